/* fuzz_ingest.c — the tarball reader: ingest_scan() (every header, all
 * validation, the small files recognition needs) and, when the scan
 * accepts the tarball, the data pass ingest_stream(). */
#include "fuzz.h"
#include "error.h"
#include "ingest.h"

/* A hostile tarball can declare a huge sparse file; issue 11 item 11
 * bounds the expanded size in relpkg itself.  The harness stops the data
 * pass after this many bytes so that one input cannot run for minutes. */
#define DATA_CAP (16u << 20)

struct sink {
	uint64_t total;
};

static int on_entry(void *ctx, size_t idx)
{
	(void)ctx, (void)idx;
	return 0;
}

static int on_data(void *ctx, const void *p, size_t n)
{
	struct sink *s = ctx;
	(void)p;
	s->total += n;
	return s->total > DATA_CAP ? rp_err("fuzz: data cap") : 0;
}

static int on_end(void *ctx, size_t idx)
{
	(void)ctx, (void)idx;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ingest in;
	ingest_init(&in, fuzz_file(data, size), -1);
	if (ingest_scan(&in) == 0) {
		for (size_t i = 0; i < in.nsorted; i++)
			(void)ingest_find(&in, in.v[in.sorted[i]].name);
		(void)ingest_small(&in, "releases/start_erl.data");
		struct sink s = { 0 };
		struct ingest_cb cb = { on_entry, on_data, on_end, &s };
		(void)ingest_stream(&in, &cb);
	}
	ingest_free(&in);
	rp_err_clear();
	return 0;
}
