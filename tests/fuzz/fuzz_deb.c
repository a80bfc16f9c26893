/* fuzz_deb.c — every reader of a .deb: deb_pkg_read() as `inspect` and as
 * `verify` (which also reads data.tar and checks md5sums), and the store's
 * reader repo_deb_read() (control file -> Packages stanza). */
#include "fuzz.h"
#include "error.h"
#include "pkginfo.h"
#include "repo.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(data, size);
	for (int mode = PKG_INSPECT; mode <= PKG_VERIFY; mode++) {
		struct pkginfo pi;
		(void)pkginfo_read(path, &pi, (enum pkgmode)mode);
		pkginfo_release(&pi);
	}
	struct repo_digests d;
	memset(&d, 0, sizeof d);
	memset(d.sha256, '0', 64);
	d.size = size;
	struct repo_entry e;
	memset(&e, 0, sizeof e);
	(void)repo_deb_read(path, &d, &e);
	repo_entry_release(&e);
	rp_err_clear();
	return 0;
}
