/* fuzz_relup.c — the Erlang term reader of src/relup.c: relup files and
 * .rel files (hot upgrades).  Whatever the input, it is read or refused
 * with a reason, within its bounds; a successful read gives versions
 * relpkg may put in scripts (checked here again). */
#include "fuzz.h"
#include "relup.h"

#include <string.h>

static void check_words(const char *s, const char *extra)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      strchr("._+~- ", *s) || strchr(extra, *s))) {
			fprintf(stderr, "unexpected byte 0x%02x in a result\n", (unsigned char)*s);
			abort();
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256];
	struct relup r;
	/* the text as read by ingest: NUL-terminated, may hold NULs */
	char *s = fuzz_str(data, size);
	if (relup_parse(s, size, &r, why, sizeof why) == 0) {
		check_words(r.vsn, "");
		check_words(r.up, "");
		check_words(r.down, "");
		check_words(r.restart, ":");
		relup_free(&r);
	} else if (!why[0]) {
		fprintf(stderr, "relup_parse failed without a reason\n");
		abort();
	}
	char *libs = NULL;
	int sasl;
	if (relup_rel_libs(s, size, &libs, &sasl, why, sizeof why) == 0) {
		check_words(libs, ":");
		free(libs);
	} else if (!why[0]) {
		fprintf(stderr, "relup_rel_libs failed without a reason\n");
		abort();
	}
	free(s);
	return 0;
}
