/* fuzz_deb.c — every reader of a .deb: deb_pkg_read() as `inspect` and as
 * `verify` (which also reads data.tar and checks md5sums), and the store's
 * reader repo_deb_read() (control file -> Packages stanza). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_package(fuzz_file(data, size), size, repo_deb_read);
	return 0;
}
