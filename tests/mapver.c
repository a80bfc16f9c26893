/* mapver — prints the package version relpkg derives from an upstream
 * version, for the oracle tests (tests/t_version.sh).  It links only
 * src/version.c, the code under test.
 * usage: mapver --deb|--rpm [--release N] [--epoch E] UPSTREAM */
#include "error.h"
#include "version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	enum pkgfmt fmt = 0;
	const char *release = "1", *epoch = NULL, *v = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--deb"))
			fmt = FMT_DEB;
		else if (!strcmp(argv[i], "--rpm"))
			fmt = FMT_RPM;
		else if (!strcmp(argv[i], "--release") && i + 1 < argc)
			release = argv[++i];
		else if (!strcmp(argv[i], "--epoch") && i + 1 < argc)
			epoch = argv[++i];
		else if (!v)
			v = argv[i];
		else
			fmt = 0, i = argc;
	}
	if (!fmt || !v) {
		fputs("usage: mapver --deb|--rpm [--release N] [--epoch E] UPSTREAM\n", stderr);
		return 2;
	}
	char *u = version_upstream(v, fmt);
	if (!u || version_check_release(release) || (epoch && version_check_epoch(epoch))) {
		fprintf(stderr, "relpkg: %s\n", rp_errmsg());
		free(u);
		return 1;
	}
	char *full = version_full(epoch, u, release);
	puts(full);
	free(full);
	free(u);
	return 0;
}
