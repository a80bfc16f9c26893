/* fuzz_conf.c — relpkg.conf: buildopts_parse() with --config FILE, which
 * reads the file, then checks and defaults every value (formats, release,
 * epoch, compression, level, name, version, ...). */
#include "fuzz.h"
#include "buildopts.h"
#include "error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[] = { "app-1.0.0.tar.gz", "--config", (char *)fuzz_file(data, size), NULL };
	struct buildopts o;
	(void)buildopts_parse(&o, 3, argv);
	buildopts_free(&o);
	rp_err_clear();
	return 0;
}
