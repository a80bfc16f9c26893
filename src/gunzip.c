/* gunzip.c — see gunzip.h.  One loop over members for both inflaters;
 * only the calls into the library differ. */
#include "gunzip.h"

#include <stdio.h>
#include <string.h>

#ifdef RELPKG_ISAL
#define AVAIL_IN(g) ((g)->s.avail_in)
#define NEXT_IN(g) ((g)->s.next_in)
#define AVAIL_OUT(g) ((g)->s.avail_out)

const char *gunzip_engine(void) { return "isa-l"; }

int gunzip_init(struct gunzip *g, gunzip_input in, void *ctx)
{
	memset(g, 0, sizeof *g);
	g->in = in;
	g->ctx = ctx;
	isal_inflate_init(&g->s);
	return 0;
}

static void member_start(struct gunzip *g)
{
	isal_inflate_reset(&g->s);
	g->s.crc_flag = ISAL_GZIP;      /* header parsed, CRC-32 and ISIZE checked */
}

static const char *isal_why(int rc)
{
	switch (rc) {
	case ISAL_INVALID_BLOCK: return "invalid block";
	case ISAL_INVALID_SYMBOL: return "invalid code";
	case ISAL_INVALID_LOOKBACK: return "invalid distance";
	case ISAL_INVALID_WRAPPER: return "invalid gzip header";
	case ISAL_UNSUPPORTED_METHOD: return "unknown compression method";
	case ISAL_INCORRECT_CHECKSUM: return "incorrect data check or length";
	default: return "inflate failed";
	}
}

/* 1 at the member's end, 0 to go on, -1 with g->err set. */
static int step(struct gunzip *g)
{
	int rc = isal_inflate(&g->s);
	if (rc != ISAL_DECOMP_OK) {
		snprintf(g->err, sizeof g->err, "gzip data is corrupt (%s)", isal_why(rc));
		return -1;
	}
	return g->s.block_state == ISAL_BLOCK_FINISH;
}

static void set_out(struct gunzip *g, void *out, size_t n)
{
	g->s.next_out = out;
	g->s.avail_out = (uint32_t)n;
}

static void set_in(struct gunzip *g, const void *p, long r)
{
	g->s.next_in = (uint8_t *)p;
	g->s.avail_in = (uint32_t)r;
}

void gunzip_end(struct gunzip *g)
{
	(void)g;
}
#else
#define AVAIL_IN(g) ((g)->z.avail_in)
#define NEXT_IN(g) ((g)->z.next_in)
#define AVAIL_OUT(g) ((g)->z.avail_out)

const char *gunzip_engine(void) { return "zlib"; }

int gunzip_init(struct gunzip *g, gunzip_input in, void *ctx)
{
	memset(g, 0, sizeof *g);
	g->in = in;
	g->ctx = ctx;
	if (inflateInit2(&g->z, 15 + 16) != Z_OK) {
		snprintf(g->err, sizeof g->err, "zlib: cannot start inflating");
		return -1;
	}
	return 0;
}

static void member_start(struct gunzip *g)
{
	inflateReset(&g->z);
}

static int step(struct gunzip *g)
{
	int rc = inflate(&g->z, Z_NO_FLUSH);
	if (rc == Z_STREAM_END)
		return 1;
	if (rc != Z_OK && rc != Z_BUF_ERROR) {
		snprintf(g->err, sizeof g->err, "gzip data is corrupt (%s)", g->z.msg ? g->z.msg : "inflate failed");
		return -1;
	}
	return 0;
}

static void set_out(struct gunzip *g, void *out, size_t n)
{
	g->z.next_out = out;
	g->z.avail_out = (uInt)n;
}

static void set_in(struct gunzip *g, const void *p, long r)
{
	g->z.next_in = (Bytef *)p;
	g->z.avail_in = (uInt)r;
}

void gunzip_end(struct gunzip *g)
{
	inflateEnd(&g->z);
}
#endif

long gunzip_read(struct gunzip *g, void *out, size_t n)
{
	if (g->done)
		return 0;
	if (n > (1u << 30))
		n = 1u << 30;
	set_out(g, out, n);
	while (AVAIL_OUT(g) == n) {
		if (AVAIL_IN(g) == 0) {
			const void *p;
			long r = g->in(g->ctx, &p, g->err, sizeof g->err);
			if (r < 0)
				return -1;
			if (r == 0) {
				if (g->started) {
					snprintf(g->err, sizeof g->err, "gzip data is truncated (unexpected end of file)");
					return -1;
				}
				g->done = 1;
				break;
			}
			set_in(g, p, r);
		}
		if (!g->started) {
			/* a further gzip member follows, or only padding */
			if (NEXT_IN(g)[0] != 0x1f) {
				g->done = 1;
				break;
			}
			member_start(g);
			g->started = 1;
		}
		int rc = step(g);
		if (rc < 0)
			return -1;
		if (rc == 1)
			g->started = 0;
	}
	return (long)(n - AVAIL_OUT(g));
}
