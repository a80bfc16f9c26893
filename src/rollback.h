/* rollback.h — pure policy: (installed, candidates, journal, --to) -> the
 * version to go back to, and why.  No I/O: tested from text fixtures
 * (tests/rollback/). */
#ifndef RELPKG_ROLLBACK_H
#define RELPKG_ROLLBACK_H

#include <stddef.h>

struct rb_candidate {
	const char *evr;        /* package version: [E:]UPSTREAM-REL (borrowed) */
	const char *upstream;   /* UPSTREAM as the release names it (borrowed) */
};

struct rb_input {
	const char *installed_evr;      /* what the package database has */
	const char *running;            /* upstream version running (state file), or NULL */
	const char *previous;           /* upstream version that ran before it (journal), or NULL */
	const char *to;                 /* --to: an EVR or an upstream version, or NULL */
	const struct rb_candidate *c;   /* available versions, any order */
	size_t n;
	/* compares two EVRs with the package manager's rules: <0, 0, >0 */
	int (*cmp)(void *ctx, const char *a, const char *b);
	void *cmp_ctx;
};

/* Sets *target (index into c) and *why (a static explanation).  0, or -1
 * after rp_err() naming what is missing. */
int rollback_pick(const struct rb_input *in, size_t *target, const char **why);

/* Upstream part of an EVR with the '~' of a SemVer pre-release mapped back
 * is not recoverable in general; the candidates carry their upstream. */

#endif
