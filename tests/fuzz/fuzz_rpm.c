/* fuzz_rpm.c — every reader of an .rpm: rpm_pkg_read() as `inspect` and
 * as `verify` (lead, signature and main headers through rpm_header.c, then
 * the payload: decompression, cpio, digests), the store's reader
 * repo_rpm_read() (headers -> primary/filelists/other XML), and
 * rpmhdr_parse() on the raw input. */
#include "fuzz.h"
#include "rpm_header.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_package(fuzz_file(data, size), size, repo_rpm_read);
	/* the raw input as a header store: at 0, and after a 96-byte lead */
	for (size_t off = 0; off <= 96 && off <= size; off += 96) {
		struct rpmhdr h;
		if (rpmhdr_parse(data + off, size - off, &h, "fuzz") == 0) {
			const char **v = NULL;
			uint64_t x;
			for (uint32_t i = 0; i < h.il; i++) {
				(void)rpmhdr_str(&h, h.e[i].tag);
				(void)rpmhdr_strv(&h, h.e[i].tag, &v);
				free(v);
				(void)rpmhdr_int(&h, h.e[i].tag, 0, &x);
				uint32_t bs;
				(void)rpmhdr_bin(&h, h.e[i].tag, &bs);
			}
		}
		rpmhdr_free(&h);
	}
	rp_err_clear();
	return 0;
}
