/* rpm_header.c — see rpm_header.h.  The encoder first, then the
 * decoder: all bounds are checked in rpmhdr_parse(); the getters rely on
 * the sizes it computed. */
#include "rpm_header.h"
#include "atomic.h"
#include "digest.h"
#include "error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- encoding ---- */

void rpmhdr_enc_init(struct rpmhdr_enc *h)
{
	memset(h, 0, sizeof *h);
}

void rpmhdr_enc_free(struct rpmhdr_enc *h)
{
	for (size_t i = 0; i < h->n; i++)
		buf_free(&h->v[i].data);
	free(h->v);
	memset(h, 0, sizeof *h);
}

static struct rpmhdr_enc_entry *add(struct rpmhdr_enc *h, uint32_t tag, uint32_t type, uint32_t count)
{
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 64;
		h->v = xrealloc(h->v, h->cap * sizeof *h->v);
	}
	struct rpmhdr_enc_entry *e = &h->v[h->n++];
	memset(e, 0, sizeof *e);
	e->tag = tag;
	e->type = type;
	e->count = count;
	return e;
}

static const unsigned char hmagic[8] = { 0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0 };

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

void rpmhdr_enc_string(struct rpmhdr_enc *h, uint32_t tag, const char *s)
{
	struct rpmhdr_enc_entry *e = add(h, tag, RT_STRING, 1);
	buf_add(&e->data, s, strlen(s) + 1);
}

void rpmhdr_enc_i18n(struct rpmhdr_enc *h, uint32_t tag, const char *s)
{
	struct rpmhdr_enc_entry *e = add(h, tag, RT_I18NSTRING, 1);
	buf_add(&e->data, s, strlen(s) + 1);
}

void rpmhdr_enc_strings(struct rpmhdr_enc *h, uint32_t tag, const char *const *v, size_t n)
{
	struct rpmhdr_enc_entry *e = add(h, tag, RT_STRING_ARRAY, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		buf_add(&e->data, v[i], strlen(v[i]) + 1);
}

void rpmhdr_enc_int32(struct rpmhdr_enc *h, uint32_t tag, const uint32_t *v, size_t n)
{
	struct rpmhdr_enc_entry *e = add(h, tag, RT_INT32, (uint32_t)n);
	buf_grow(&e->data, n * 4);
	for (size_t i = 0; i < n; i++) {
		unsigned char b[4];
		put32(b, v[i]);
		buf_add(&e->data, b, 4);
	}
}

void rpmhdr_enc_bin(struct rpmhdr_enc *h, uint32_t tag, const void *p, size_t n)
{
	struct rpmhdr_enc_entry *e = add(h, tag, RT_BIN, (uint32_t)n);
	buf_add(&e->data, p, n);
}

void rpmhdr_enc_int16(struct rpmhdr_enc *h, uint32_t tag, const uint16_t *v, size_t n)
{
	struct rpmhdr_enc_entry *e = add(h, tag, RT_INT16, (uint32_t)n);
	buf_grow(&e->data, n * 2);
	for (size_t i = 0; i < n; i++) {
		unsigned char b[2] = { (unsigned char)(v[i] >> 8), (unsigned char)v[i] };
		buf_add(&e->data, b, 2);
	}
}

static int cmp_tag(const void *a, const void *b)
{
	const struct rpmhdr_enc_entry *x = *(const struct rpmhdr_enc_entry *const *)a;
	const struct rpmhdr_enc_entry *y = *(const struct rpmhdr_enc_entry *const *)b;
	return x->tag < y->tag ? -1 : x->tag > y->tag;
}

static size_t align_of(uint32_t type)
{
	switch (type) {
	case RT_INT16: return 2;
	case RT_INT32: return 4;
	case RT_INT64: return 8;
	default: return 1;
	}
}

void rpmhdr_enc_gen(struct rpmhdr_enc *h, uint32_t tag, uint32_t type, uint32_t count,
		    rpmhdr_gen_fn gen, void *ctx)
{
	struct rpmhdr_enc_entry *e = add(h, tag, type, count);
	e->gen = gen;
	e->ctx = ctx;
}

/* ---- the output both writers share: counted, hashed, to a buf or an fd ---- */

static void out_flush(struct rpmhdr_out *o)
{
	if (o->fd >= 0 && o->n && !o->err && write_all(o->fd, o->chunk, o->n, o->what) < 0)
		o->err = 1;
	o->n = 0;
}

void rpmhdr_out_add(struct rpmhdr_out *o, const void *p, size_t n)
{
	o->len += n;
	if (o->count_only)
		return;
	for (int i = 0; i < 2; i++)
		if (o->hash[i])
			hasher_update(o->hash[i], p, n);
	if (o->b) {
		buf_add(o->b, p, n);
		return;
	}
	const unsigned char *s = p;
	while (n) {
		size_t k = sizeof o->chunk - o->n;
		if (k > n)
			k = n;
		memcpy(o->chunk + o->n, s, k);
		o->n += k, s += k, n -= k;
		if (o->n == sizeof o->chunk)
			out_flush(o);
	}
}

void rpmhdr_out_str(struct rpmhdr_out *o, const char *s)
{
	rpmhdr_out_add(o, s, strlen(s) + 1);
}

void rpmhdr_out_u32(struct rpmhdr_out *o, uint32_t v)
{
	unsigned char b[4];
	put32(b, v);
	rpmhdr_out_add(o, b, 4);
}

void rpmhdr_out_u16(struct rpmhdr_out *o, uint16_t v)
{
	unsigned char b[2] = { (unsigned char)(v >> 8), (unsigned char)v };
	rpmhdr_out_add(o, b, 2);
}

/* The bytes of one entry's value (a generated one is asked again: it
 * must write the same bytes each time). */
static void emit_value(const struct rpmhdr_enc_entry *e, struct rpmhdr_out *o)
{
	if (e->gen)
		e->gen(e->ctx, e->tag, o);
	else
		rpmhdr_out_add(o, e->data.p ? e->data.p : "", e->data.len);
}

/* The layout, once: sizes first (generated values counted without being
 * kept), then magic, index and data in order.  Nothing of the size of
 * the header is held in memory when o writes to a file. */
static void emit(const struct rpmhdr_enc *h, uint32_t region_tag, struct rpmhdr_out *o)
{
	const struct rpmhdr_enc_entry **order = xmalloc((h->n ? h->n : 1) * sizeof *order);
	uint64_t *off = xmalloc((h->n ? h->n : 1) * sizeof *off);
	for (size_t i = 0; i < h->n; i++)
		order[i] = &h->v[i];
	qsort(order, h->n, sizeof *order, cmp_tag);

	uint32_t il = (uint32_t)h->n + 1;     /* + the region tag */
	uint64_t dl = 0;
	for (size_t i = 0; i < h->n; i++) {
		const struct rpmhdr_enc_entry *e = order[i];
		size_t a = align_of(e->type);
		dl = (dl + a - 1) / a * a;
		off[i] = dl;
		struct rpmhdr_out c = { .fd = -1, .count_only = 1 };
		emit_value(e, &c);
		dl += c.len;
	}
	/* the region trailer closes the data: offset is -(entries in region * 16) */
	uint32_t trailer_off = (uint32_t)dl;
	dl += 16;

	unsigned char ent[16];
	rpmhdr_out_add(o, hmagic, 8);
	put32(ent, il);
	put32(ent + 4, (uint32_t)dl);
	rpmhdr_out_add(o, ent, 8);
	put32(ent, region_tag);
	put32(ent + 4, RT_BIN);
	put32(ent + 8, trailer_off);
	put32(ent + 12, 16);
	rpmhdr_out_add(o, ent, 16);
	for (size_t i = 0; i < h->n; i++) {
		put32(ent, order[i]->tag);
		put32(ent + 4, order[i]->type);
		put32(ent + 8, (uint32_t)off[i]);
		put32(ent + 12, order[i]->count);
		rpmhdr_out_add(o, ent, 16);
	}
	uint64_t base = o->len;
	for (size_t i = 0; i < h->n; i++) {
		static const unsigned char zero[8];
		rpmhdr_out_add(o, zero, (size_t)(base + off[i] - o->len));
		emit_value(order[i], o);
	}
	put32(ent, region_tag);
	put32(ent + 4, RT_BIN);
	put32(ent + 8, (uint32_t)(-(int32_t)(il * 16)));
	put32(ent + 12, 16);
	rpmhdr_out_add(o, ent, 16);
	free(off);
	free(order);
}

void rpmhdr_enc_write(const struct rpmhdr_enc *h, uint32_t region_tag, struct buf *out)
{
	struct rpmhdr_out *o = xcalloc(1, sizeof *o);
	o->fd = -1;
	o->b = out;
	emit(h, region_tag, o);
	free(o);
}

int rpmhdr_enc_write_fd(const struct rpmhdr_enc *h, uint32_t region_tag, int fd, const char *what,
			struct hasher *h1, struct hasher *h2, uint64_t *len)
{
	struct rpmhdr_out *o = xcalloc(1, sizeof *o);
	o->fd = fd;
	o->what = what;
	o->hash[0] = h1;
	o->hash[1] = h2;
	emit(h, region_tag, o);
	out_flush(o);
	int rc = o->err ? -1 : 0;
	*len = o->len;
	free(o);
	return rc;
}

/* ---- decoding ---- */

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int width_of(uint32_t type)
{
	switch (type) {
	case RT_CHAR: case RT_INT8: case RT_BIN: return 1;
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

static int check_entry(struct rpmhdr *h, struct rpmhdr_entry *e, uint32_t i, const char *what)
{
	if (e->type > RT_I18NSTRING || e->type == RT_NULL)
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
static int check_region(const struct rpmhdr *h, const char *what)
{
	const struct rpmhdr_entry *r = &h->e[0];
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

int rpmhdr_parse(const void *p, size_t len, struct rpmhdr *h, const char *what)
{
	memset(h, 0, sizeof *h);
	const unsigned char *b = p;
	if (len < 16 || memcmp(b, hmagic, 4))
		return rp_err("%s: no header magic", what);
	uint32_t il = get32(b + 8), dl = get32(b + 12);
	if (il == 0 || il > RPMHDR_MAX_ENTRIES || dl == 0 || dl > RPMHDR_MAX_DATA)
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
		struct rpmhdr_entry *e = &h->e[i];
		e->tag = get32(x), e->type = get32(x + 4), e->offset = get32(x + 8), e->count = get32(x + 12);
		if (check_entry(h, e, i, what) < 0)
			goto bad;
	}
	if (check_region(h, what) < 0)
		goto bad;
	return 0;
bad:
	rpmhdr_free(h);
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

static int read_lead(int fd)
{
	unsigned char l[RPM_LEAD_SIZE];
	int r = read_full(fd, l, sizeof l);
	if (r)
		return r < 0 ? rp_errno("lead") : rp_err("truncated in the lead");
	if (l[0] != 0xed || l[1] != 0xab || l[2] != 0xee || l[3] != 0xdb)
		return rp_err("lead: no rpm magic");
	if (l[78] != 0 || l[79] != 5)
		return rp_err("lead: signature type %u, want 5 (header-style)", l[78] << 8 | l[79]);
	return 0;
}

int rpmhdr_read(int fd, struct rpmhdr *h, const char *what)
{
	unsigned char intro[16];
	memset(h, 0, sizeof *h);
	int r = read_full(fd, intro, sizeof intro);
	if (r)
		return r < 0 ? rp_errno("%s", what) : rp_err("%s: truncated", what);
	if (memcmp(intro, hmagic, 4))
		return rp_err("%s: no header magic", what);
	uint32_t il = get32(intro + 8), dl = get32(intro + 12);
	if (il == 0 || il > RPMHDR_MAX_ENTRIES || dl == 0 || dl > RPMHDR_MAX_DATA)
		return rp_err("%s: implausible size (%u entries, %u data bytes)", what, il, dl);
	size_t len = 16 + (size_t)il * 16 + dl;
	unsigned char *buf = xmalloc(len);
	memcpy(buf, intro, 16);
	r = read_full(fd, buf + 16, len - 16);
	int rc = r ? (r < 0 ? rp_errno("%s", what) : rp_err("%s: truncated", what))
		   : rpmhdr_parse(buf, len, h, what);
	free(buf);
	return rc;
}

int rpmhdr_read_pkg(int fd, struct rpmhdr *sig, struct rpmhdr *hdr)
{
	memset(hdr, 0, sizeof *hdr);
	memset(sig, 0, sizeof *sig);
	if (lseek(fd, 0, SEEK_SET) < 0)
		return rp_errno("lseek");
	if (read_lead(fd) < 0 || rpmhdr_read(fd, sig, "signature header") < 0)
		return -1;
	size_t pad = (8 - sig->len % 8) % 8;
	unsigned char zeros[8];
	if (pad && read_full(fd, zeros, pad)) {
		rpmhdr_free(sig);
		return rp_err("truncated after the signature header");
	}
	if (rpmhdr_read(fd, hdr, "header") < 0) {
		rpmhdr_free(sig);
		return -1;
	}
	return 0;
}

void rpmhdr_free(struct rpmhdr *h)
{
	free(h->blob);
	free(h->e);
	memset(h, 0, sizeof *h);
}

const struct rpmhdr_entry *rpmhdr_find(const struct rpmhdr *h, uint32_t tag)
{
	for (uint32_t i = 0; i < h->il; i++)
		if (h->e[i].tag == tag)
			return &h->e[i];
	return NULL;
}

uint32_t rpmhdr_count(const struct rpmhdr *h, uint32_t tag)
{
	const struct rpmhdr_entry *e = rpmhdr_find(h, tag);
	return e ? e->count : 0;
}

const char *rpmhdr_str(const struct rpmhdr *h, uint32_t tag)
{
	const struct rpmhdr_entry *e = rpmhdr_find(h, tag);
	if (!e || (e->type != RT_STRING && e->type != RT_I18NSTRING && e->type != RT_STRING_ARRAY))
		return NULL;
	return (const char *)h->data + e->offset;
}

long rpmhdr_strv(const struct rpmhdr *h, uint32_t tag, const char ***v)
{
	*v = NULL;
	const struct rpmhdr_entry *e = rpmhdr_find(h, tag);
	if (!e)
		return 0;
	if (e->type != RT_STRING_ARRAY && e->type != RT_STRING && e->type != RT_I18NSTRING)
		return rp_err("header: tag %u is not a string array", tag);
	const char **out = xmalloc(e->count * sizeof *out);
	const char *s = (const char *)h->data + e->offset;
	for (uint32_t i = 0; i < e->count; i++) {
		out[i] = s;
		s += strlen(s) + 1;     /* bounded: rpmhdr_parse checked each NUL */
	}
	*v = out;
	return (long)e->count;
}

int rpmhdr_int(const struct rpmhdr *h, uint32_t tag, uint32_t i, uint64_t *out)
{
	const struct rpmhdr_entry *e = rpmhdr_find(h, tag);
	if (!e || i >= e->count)
		return -1;
	const unsigned char *p = h->data + e->offset;
	switch (e->type) {
	case RT_CHAR: case RT_INT8: *out = p[i]; return 0;
	case RT_INT16: *out = (uint64_t)p[2 * i] << 8 | p[2 * i + 1]; return 0;
	case RT_INT32: *out = get32(p + 4 * i); return 0;
	case RT_INT64: *out = (uint64_t)get32(p + 8 * i) << 32 | get32(p + 8 * i + 4); return 0;
	default: return -1;
	}
}

uint64_t *rpmhdr_ints(const struct rpmhdr *h, uint32_t tag, uint32_t *n)
{
	const struct rpmhdr_entry *e = rpmhdr_find(h, tag);
	uint64_t x;
	*n = 0;
	if (!e || rpmhdr_int(h, tag, 0, &x) < 0)
		return NULL;
	uint64_t *out = xmalloc(e->count * sizeof *out);
	for (uint32_t i = 0; i < e->count; i++)
		rpmhdr_int(h, tag, i, &out[i]);
	*n = e->count;
	return out;
}

const unsigned char *rpmhdr_bin(const struct rpmhdr *h, uint32_t tag, uint32_t *size)
{
	const struct rpmhdr_entry *e = rpmhdr_find(h, tag);
	if (!e || e->type != RT_BIN)
		return NULL;
	*size = e->size;
	return h->data + e->offset;
}
