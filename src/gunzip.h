/* gunzip.h — the one gzip inflater: a stream of one or more gzip members
 * (relpkg writes one per MiB), every member's CRC-32 and length checked
 * (libarchive checks neither: a flipped bit must be an error, not a
 * silently different file).  Inflated by ISA-L's igzip when relpkg is
 * built with it (RELPKG_ISAL: the Makefile's choice when pkg-config finds
 * libisal; about 3x zlib's speed, issue 17), else by zlib: the same
 * stream, the same checks (tests/t_gunzip.sh runs both builds).  Used for
 * release tarballs (ingest.c) and a .deb's members (deb_pkg.c); the input
 * comes through a callback, so either can feed it from its own source. */
#ifndef RELPKG_GUNZIP_H
#define RELPKG_GUNZIP_H

#include <stddef.h>
#ifdef RELPKG_ISAL
#include <isa-l/igzip_lib.h>
#else
#include <zlib.h>
#endif

/* The next input bytes at *p: their count, 0 at the end, or -1 after
 * writing why into err (errlen bytes). */
typedef long (*gunzip_input)(void *ctx, const void **p, char *err, size_t errlen);

struct gunzip {
#ifdef RELPKG_ISAL
	struct inflate_state s;
#else
	z_stream z;
#endif
	gunzip_input in;
	void *ctx;
	int started, done;
	char err[256];          /* why gunzip_read() returned -1 */
};

/* 0, or -1 if the inflater cannot start (g->err says so). */
int gunzip_init(struct gunzip *g, gunzip_input in, void *ctx);
/* Up to n inflated bytes into out: their count, 0 after the last member
 * (anything after it that is not a gzip member is left unread), or -1
 * with g->err set (corrupt, truncated, or the input's own error). */
long gunzip_read(struct gunzip *g, void *out, size_t n);
void gunzip_end(struct gunzip *g);
/* "isa-l" or "zlib": which inflater this build has (tests/gunzipt.c). */
const char *gunzip_engine(void);

#endif
