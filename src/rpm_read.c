/* rpm_read.c — see rpm_read.h.  All bounds are checked in rhdr_parse();
 * the getters rely on the sizes it computed. */
#include "rpm_read.h"
#include "error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { T_NULL = 0, T_CHAR = 1, T_INT8 = 2 };

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static const unsigned char hmagic[4] = { 0x8e, 0xad, 0xe8, 0x01 };

static int width_of(uint32_t type)
{
	switch (type) {
	case T_CHAR: case T_INT8: case RT_BIN: return 1;
	case RT_INT16: return 2;
	case RT_INT32: return 4;
	case RT_INT64: return 8;
	default: return 0;      /* strings: measured */
	}
}

/* Bytes taken by `count` NUL-terminated strings at data+off, or -1. */
static long strings_size(const unsigned char *data, uint32_t dl, uint32_t off, uint32_t count)
{
	uint32_t p = off;
	for (uint32_t i = 0; i < count; i++) {
		const unsigned char *z = memchr(data + p, 0, dl - p);
		if (!z)
			return -1;
		p = (uint32_t)(z - data) + 1;
		if (i + 1 < count && p >= dl)
			return -1;
	}
	return (long)(p - off);
}

static int check_entry(struct rhdr *h, struct rhdr_entry *e, uint32_t i, const char *what)
{
	if (e->type > RT_I18NSTRING || e->type == T_NULL)
		return rp_err("%s: entry %u (tag %u) has unknown type %u", what, i, e->tag, e->type);
	if (e->offset >= h->dl || e->count == 0 || e->count > h->dl)
		return rp_err("%s: entry %u (tag %u) points outside the data (offset %u, count %u)",
			      what, i, e->tag, e->offset, e->count);
	if (e->type == RT_STRING && e->count != 1)
		return rp_err("%s: tag %u: a STRING with count %u", what, e->tag, e->count);
	int w = width_of(e->type);
	if (w) {
		uint64_t size = (uint64_t)e->count * (uint64_t)w;
		if (e->offset % (uint32_t)w || size > h->dl - e->offset)
			return rp_err("%s: tag %u: value out of bounds or misaligned", what, e->tag);
		e->size = (uint32_t)size;
		return 0;
	}
	long s = strings_size(h->data, h->dl, e->offset, e->count);
	if (s < 0)
		return rp_err("%s: tag %u: strings run past the data", what, e->tag);
	e->size = (uint32_t)s;
	return 0;
}

/* The region tag (61..63) first: its trailer must be inside the data. */
static int check_region(const struct rhdr *h, const char *what)
{
	const struct rhdr_entry *r = &h->e[0];
	if (r->tag < 61 || r->tag > 63)
		return 0;   /* pre-region (rpm 3) header: nothing to check */
	if (r->type != RT_BIN || r->count != 16 || h->dl < 16 || r->offset > h->dl - 16)
		return rp_err("%s: bad region tag", what);
	const unsigned char *t = h->data + r->offset;
	uint32_t neg = get32(t + 8);
	uint32_t n = (0u - neg) / 16;      /* the offset is -(16 * entries) */
	if (get32(t) != r->tag || get32(t + 4) != RT_BIN || get32(t + 12) != 16 || neg % 16 || n == 0 ||
	    n > h->il)
		return rp_err("%s: bad region trailer", what);
	return 0;
}

int rhdr_parse(const void *p, size_t len, struct rhdr *h, const char *what)
{
	memset(h, 0, sizeof *h);
	const unsigned char *b = p;
	if (len < 16 || memcmp(b, hmagic, 4))
		return rp_err("%s: no header magic", what);
	uint32_t il = get32(b + 8), dl = get32(b + 12);
	if (il == 0 || il > RHDR_MAX_ENTRIES || dl == 0 || dl > RHDR_MAX_DATA)
		return rp_err("%s: implausible size (%u entries, %u data bytes)", what, il, dl);
	size_t need = 16 + (size_t)il * 16 + dl;
	if (len < need)
		return rp_err("%s: truncated", what);
	h->blob = xmalloc(need);
	memcpy(h->blob, b, need);
	h->len = need;
	h->il = il;
	h->dl = dl;
	h->data = h->blob + 16 + (size_t)il * 16;
	h->e = xcalloc(il, sizeof *h->e);
	for (uint32_t i = 0; i < il; i++) {
		const unsigned char *x = h->blob + 16 + (size_t)i * 16;
		struct rhdr_entry *e = &h->e[i];
		e->tag = get32(x), e->type = get32(x + 4), e->offset = get32(x + 8), e->count = get32(x + 12);
		if (check_entry(h, e, i, what) < 0)
			goto bad;
	}
	if (check_region(h, what) < 0)
		goto bad;
	return 0;
bad:
	rhdr_release(h);
	return -1;
}

static int read_full(int fd, void *p, size_t n)
{
	unsigned char *s = p;
	while (n) {
		ssize_t r = read(fd, s, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -1 : 1;
		s += r;
		n -= (size_t)r;
	}
	return 0;
}

int rhdr_read(int fd, struct rhdr *h, const char *what)
{
	unsigned char intro[16];
	memset(h, 0, sizeof *h);
	int r = read_full(fd, intro, sizeof intro);
	if (r)
		return r < 0 ? rp_errno("%s", what) : rp_err("%s: truncated", what);
	if (memcmp(intro, hmagic, 4))
		return rp_err("%s: no header magic", what);
	uint32_t il = get32(intro + 8), dl = get32(intro + 12);
	if (il == 0 || il > RHDR_MAX_ENTRIES || dl == 0 || dl > RHDR_MAX_DATA)
		return rp_err("%s: implausible size (%u entries, %u data bytes)", what, il, dl);
	size_t len = 16 + (size_t)il * 16 + dl;
	unsigned char *buf = xmalloc(len);
	memcpy(buf, intro, 16);
	r = read_full(fd, buf + 16, len - 16);
	int rc = r ? (r < 0 ? rp_errno("%s", what) : rp_err("%s: truncated", what))
		   : rhdr_parse(buf, len, h, what);
	free(buf);
	return rc;
}

void rhdr_release(struct rhdr *h)
{
	free(h->blob);
	free(h->e);
	memset(h, 0, sizeof *h);
}

const struct rhdr_entry *rhdr_find(const struct rhdr *h, uint32_t tag)
{
	for (uint32_t i = 0; i < h->il; i++)
		if (h->e[i].tag == tag)
			return &h->e[i];
	return NULL;
}

uint32_t rhdr_count(const struct rhdr *h, uint32_t tag)
{
	const struct rhdr_entry *e = rhdr_find(h, tag);
	return e ? e->count : 0;
}

const char *rhdr_str(const struct rhdr *h, uint32_t tag)
{
	const struct rhdr_entry *e = rhdr_find(h, tag);
	if (!e || (e->type != RT_STRING && e->type != RT_I18NSTRING && e->type != RT_STRING_ARRAY))
		return NULL;
	return (const char *)h->data + e->offset;
}

long rhdr_strv(const struct rhdr *h, uint32_t tag, const char ***v)
{
	*v = NULL;
	const struct rhdr_entry *e = rhdr_find(h, tag);
	if (!e)
		return 0;
	if (e->type != RT_STRING_ARRAY && e->type != RT_STRING && e->type != RT_I18NSTRING)
		return rp_err("header: tag %u is not a string array", tag);
	const char **out = xmalloc(e->count * sizeof *out);
	const char *s = (const char *)h->data + e->offset;
	for (uint32_t i = 0; i < e->count; i++) {
		out[i] = s;
		s += strlen(s) + 1;     /* bounded: rhdr_parse checked each NUL */
	}
	*v = out;
	return (long)e->count;
}

int rhdr_int(const struct rhdr *h, uint32_t tag, uint32_t i, uint64_t *out)
{
	const struct rhdr_entry *e = rhdr_find(h, tag);
	if (!e || i >= e->count)
		return -1;
	const unsigned char *p = h->data + e->offset;
	switch (e->type) {
	case T_CHAR: case T_INT8: *out = p[i]; return 0;
	case RT_INT16: *out = (uint64_t)p[2 * i] << 8 | p[2 * i + 1]; return 0;
	case RT_INT32: *out = get32(p + 4 * i); return 0;
	case RT_INT64: *out = (uint64_t)get32(p + 8 * i) << 32 | get32(p + 8 * i + 4); return 0;
	default: return -1;
	}
}

const unsigned char *rhdr_bin(const struct rhdr *h, uint32_t tag, uint32_t *size)
{
	const struct rhdr_entry *e = rhdr_find(h, tag);
	if (!e || e->type != RT_BIN)
		return NULL;
	*size = e->size;
	return h->data + e->offset;
}
