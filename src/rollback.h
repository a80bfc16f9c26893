/* rollback.h — pure policy: (package database, what runs, what the
 * scripts recorded, candidates, --to) -> the version to go to, and why.
 * No I/O: tested from text fixtures (tests/rollback/, tests/rollbackt.c).
 *
 * The rules, in order:
 *   1. --to: that version (an EVR, or an upstream version: its highest
 *      revision), higher or lower;
 *   2. nothing installed, or an unfinished transaction record: refuse (a
 *      transition that is not settled is not a base to choose from);
 *   3. after a failed or interrupted transition that left the package
 *      database disagreeing with what runs (a failure marker or RESULT
 *      failed/interrupted, a package half-configured, the database's
 *      version not the running one): the version running now, so that the
 *      database agrees with it; no migration runs (it already runs on its
 *      schema).  When the database already agrees, there is nothing to go
 *      back to: refuse and say so;
 *   4. otherwise the newest version lower than the installed one that ran
 *      healthy on this host (a journal line with result ok whose TO is that
 *      version); versions that never ran healthy are skipped.  Never a
 *      higher version.  With no journal at all (no record of anything) the
 *      highest lower version, saying that nothing is known of it. */
#ifndef RELPKG_ROLLBACK_H
#define RELPKG_ROLLBACK_H

#include "buf.h"
#include "journal.h"

#include <stddef.h>

struct rb_candidate {
	const char *evr;        /* package version: [E:]UPSTREAM-REL (borrowed) */
	const char *upstream;   /* UPSTREAM as the release names it (borrowed) */
};

/* Every pointer is borrowed; NULL (or "") means unknown / none. */
struct rb_input {
	const char *installed_evr;      /* what the package database has */
	const char *installed_upstream; /* its upstream version (as the scripts name it) */
	const char *db_state;           /* "installed", or dpkg's half-configured, unpacked, ... */
	const char *running;            /* upstream version running now */
	const char *running_evr;        /* its package version (its saved meta) */
	const char *result;             /* the state file's RESULT: ok, failed, interrupted */
	const char *failed_version;     /* the failure marker's VERSION */
	const char *txn_from, *txn_to, *txn_step;       /* an unfinished transaction record */
	int txn;                        /* a transaction record exists */
	const char *pinned;             /* the version relpkg's pin holds */
	const struct journal *journal;  /* may be NULL: no journal */
	const char *to;                 /* --to: an EVR or an upstream version */
	const struct rb_candidate *c;   /* available versions, any order */
	size_t n;
	/* compares two EVRs with the package manager's rules: <0, 0, >0 */
	int (*cmp)(void *ctx, const char *a, const char *b);
	void *cmp_ctx;
};

enum rb_reason {
	RB_ASKED,               /* --to */
	RB_AGREE,               /* the version that runs: make the database agree */
	RB_HEALTHY,             /* the newest lower version that ran healthy */
	RB_UNRECORDED,          /* no journal: the highest lower version */
};

struct rb_plan {
	size_t target;          /* index into in->c */
	enum rb_reason reason;
	int higher;             /* the target is higher than the installed version */
	int no_migration;       /* the target already runs on its schema */
	struct buf why;         /* for people: why this target (owned) */
};

/* Fills *plan (plan->why must be BUF_INIT; the caller frees it).  0, or
 * -1 after rp_err() saying why there is no target. */
int rollback_pick(const struct rb_input *in, struct rb_plan *plan);

/* The input describes a failed or interrupted transition whose outcome the
 * package database does not reflect (rule 3). */
int rollback_after_failure(const struct rb_input *in);

#endif
