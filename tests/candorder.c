/* candorder — the rollback candidate list of a store, as `relpkg rollback
 * --store` builds it (solve_open + solve_candidates in src/solve.c: libsolv
 * reads the store's index, the versions sorted by the one version order).
 *   candorder deb|rpm STORE NAME
 * Prints one EVR a line, lowest first.  Exit 0, or 1 after a message. */
#include "error.h"
#include "solve.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc != 4 || (strcmp(argv[1], "deb") && strcmp(argv[1], "rpm"))) {
		fprintf(stderr, "usage: candorder deb|rpm STORE NAME\n");
		return 2;
	}
	enum pkgfmt fmt = strcmp(argv[1], "rpm") ? FMT_DEB : FMT_RPM;
	struct solve_ctx *sc = solve_open(fmt, argv[2]);
	struct solve_pkg *v = NULL;
	size_t n = 0;
	if (!sc || solve_candidates(sc, argv[3], &v, &n) < 0) {
		fprintf(stderr, "candorder: %s\n", rp_errmsg());
		if (sc)
			solve_close(sc);
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		printf("%s\n", v[i].evr);
	solve_pkgs_free(v, n);
	solve_close(sc);
	return 0;
}
