/* fuzz_version.c — versions: the upstream -> deb/rpm mapping and the
 * release/epoch checks of version.c, and comparison with dpkg's and rpm's
 * rules (solve_vercmp and solve_verorder through libsolv: the one order
 * vercmp, rollback and the store use).
 * Input: "A\nB[\nREL[\nEPOCH]]"; missing parts are empty. */
#include "fuzz.h"
#include "error.h"
#include "solve.h"
#include "version.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	char *part[4] = { s, "", "", "" };
	for (int i = 1; i < 4; i++) {
		char *nl = strchr(part[i - 1], '\n');
		if (!nl)
			break;
		*nl = 0;
		part[i] = nl + 1;
	}
	for (int f = FMT_DEB; f <= FMT_RPM; f++) {
		char *u = version_upstream(part[0], (enum pkgfmt)f);
		if (u) {
			if (version_check_release(part[2]) == 0) {
				int ep = version_check_epoch(part[3]) == 0;
				char *full = version_full(ep ? part[3] : NULL, u, part[2]);
				int r;
				if (solve_vercmp((enum pkgfmt)f, full, part[1], &r) == 0) {
					int back;
					if (solve_vercmp((enum pkgfmt)f, part[1], full, &back) == 0 && back != -r) {
						fprintf(stderr, "vercmp not antisymmetric: '%s' '%s' %d %d\n", full, part[1], r, back);
						abort();
					}
				}
				free(full);
			}
			free(u);
		}
		if (solve_vercmp_ready((enum pkgfmt)f) == 0)
			(void)solve_verorder((enum pkgfmt)f, part[0], part[1]);
	}
	free(s);
	rp_err_clear();
	return 0;
}
