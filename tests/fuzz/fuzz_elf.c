/* fuzz_elf.c — the bounded ELF reader of src/autodeps.c (automatic
 * dependencies read every ELF file of an untrusted release).  Whatever the
 * input, it is read or refused with a reason, within its bounds; what it
 * returns holds only the characters a dependency may carry (checked here
 * again), and the collector takes the same bytes in odd-sized chunks. */
#include "fuzz.h"
#include "autodeps.h"

#include <string.h>

static void check_name(const char *s, const char *extra)
{
	if (!*s) {
		fprintf(stderr, "empty name in a result\n");
		abort();
	}
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      strchr("._+-", *s) || strchr(extra, *s))) {
			fprintf(stderr, "unexpected byte 0x%02x in a result\n", (unsigned char)*s);
			abort();
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[200];
	struct elf_deps d;
	int r = elf_deps_parse(data, size, &d, why, sizeof why);
	if (r < 0 && !why[0]) {
		fprintf(stderr, "elf_deps_parse failed without a reason\n");
		abort();
	}
	if (r > 0) {
		if (d.soname)
			check_name(d.soname, "");
		for (size_t i = 0; i < d.nneeded; i++)
			check_name(d.needed[i], "");
		for (size_t i = 0; i < d.nvn; i++) {
			check_name(d.vn[i].file, "");
			check_name(d.vn[i].ver, "@");
		}
		for (size_t i = 0; i < d.nsym; i++)
			check_name(d.sym[i].name, "@$");
		elf_deps_free(&d);
	}
	/* the collector: chunks of 3 bytes, then the rest; a script too */
	struct autodeps *ad = autodeps_new();
	autodeps_begin(ad, "bin/x", 0755);
	size_t first = size < 3 ? size : 3;
	autodeps_data(ad, data, first);
	autodeps_data(ad, data + first, size - first);
	autodeps_end(ad);
	autodeps_free(ad);
	return 0;
}
