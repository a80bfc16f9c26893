/* gunzip.c — see gunzip.h. */
#include "gunzip.h"

#include <stdio.h>
#include <string.h>

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

long gunzip_read(struct gunzip *g, void *out, size_t n)
{
	if (g->done)
		return 0;
	g->z.next_out = out;
	g->z.avail_out = (uInt)n;
	while (g->z.avail_out == n) {
		if (g->z.avail_in == 0) {
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
			g->z.next_in = (Bytef *)p;
			g->z.avail_in = (uInt)r;
		}
		if (!g->started) {
			/* a further gzip member follows, or only padding */
			if (g->z.next_in[0] != 0x1f) {
				g->done = 1;
				break;
			}
			inflateReset(&g->z);
			g->started = 1;
		}
		int rc = inflate(&g->z, Z_NO_FLUSH);
		if (rc == Z_STREAM_END) {
			g->started = 0;
		} else if (rc != Z_OK && rc != Z_BUF_ERROR) {
			snprintf(g->err, sizeof g->err, "gzip data is corrupt (%s)", g->z.msg ? g->z.msg : "inflate failed");
			return -1;
		}
	}
	return (long)(n - g->z.avail_out);
}

void gunzip_end(struct gunzip *g)
{
	inflateEnd(&g->z);
}
