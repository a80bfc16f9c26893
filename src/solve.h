/* solve.h — relpkg's only door to libsolv: version semantics of the
 * package managers (and, later, installability checks).
 *
 * libsolv holds dpkg's and rpm's comparison rules in one build only when
 * it was compiled with multi-semantics support; solve_* functions check
 * pool_setdisttype() and fail loudly instead of silently using the
 * wrong rules. */
#ifndef RELPKG_SOLVE_H
#define RELPKG_SOLVE_H

#include "version.h"

#include <stddef.h>

/* The version order, one per format, for every caller (vercmp, status,
 * pin, rollback candidates, repo list / prune): two full versions
 * ([EPOCH:]UPSTREAM[-REVISION]) compared by the rules of fmt's package
 * manager, dpkg's absent revision ("1.0" = "1.0-0") included.
 *
 * solve_vercmp() sets *result to -1, 0 or 1 and returns 0, or returns -1
 * after rp_err() if this libsolv cannot use fmt's rules.
 * solve_vercmp_ready() makes that check once (0, or -1 after rp_err());
 * after it succeeded, solve_verorder() cannot fail and returns -1, 0 or 1
 * (for qsort comparators; it aborts if the check was skipped). */
int solve_vercmp(enum pkgfmt fmt, const char *a, const char *b, int *result);
int solve_vercmp_ready(enum pkgfmt fmt);
int solve_verorder(enum pkgfmt fmt, const char *a, const char *b);

/* A session over the installed database (dpkg status / rpmdb) and the
 * available versions: a relpkg store (DIR/Packages or DIR/repodata), or,
 * with store NULL, the system's apt lists / dnf cache. */
struct solve_ctx;

struct solve_pkg {
	char *evr;              /* [E:]VERSION-RELEASE, owned */
	char *location;         /* file inside the store (Filename / location href), or NULL */
	size_t seq;             /* solve_candidates' own use */
};

/* NULL after rp_err(). */
struct solve_ctx *solve_open(enum pkgfmt fmt, const char *store);
void solve_close(struct solve_ctx *sc);
/* *evr = the installed version of name (malloc'd), or NULL if not installed. */
int solve_installed(struct solve_ctx *sc, const char *name, char **evr);
/* The available versions of name, lowest first. */
int solve_candidates(struct solve_ctx *sc, const char *name, struct solve_pkg **v, size_t *n);
void solve_pkgs_free(struct solve_pkg *v, size_t n);
/* Asks libsolv's solver whether name-evr can be installed here (downgrade
 * allowed).  *problem = NULL if it can, else the solver's explanation. */
int solve_can_install(struct solve_ctx *sc, const char *name, const char *evr, char **problem);

#endif
