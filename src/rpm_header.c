/* rpm_header.c — see rpm_header.h. */
#include "rpm_header.h"
#include "error.h"

#include <stdlib.h>
#include <string.h>

void rpmhdr_init(struct rpmhdr *h)
{
	memset(h, 0, sizeof *h);
}

void rpmhdr_release(struct rpmhdr *h)
{
	for (size_t i = 0; i < h->n; i++)
		buf_free(&h->v[i].data);
	free(h->v);
	memset(h, 0, sizeof *h);
}

static struct rpmhdr_entry *add(struct rpmhdr *h, uint32_t tag, uint32_t type, uint32_t count)
{
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 64;
		h->v = xrealloc(h->v, h->cap * sizeof *h->v);
	}
	struct rpmhdr_entry *e = &h->v[h->n++];
	memset(e, 0, sizeof *e);
	e->tag = tag;
	e->type = type;
	e->count = count;
	return e;
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

void rpmhdr_string(struct rpmhdr *h, uint32_t tag, const char *s)
{
	struct rpmhdr_entry *e = add(h, tag, RT_STRING, 1);
	buf_add(&e->data, s, strlen(s) + 1);
}

void rpmhdr_i18n(struct rpmhdr *h, uint32_t tag, const char *s)
{
	struct rpmhdr_entry *e = add(h, tag, RT_I18NSTRING, 1);
	buf_add(&e->data, s, strlen(s) + 1);
}

void rpmhdr_strings(struct rpmhdr *h, uint32_t tag, const char *const *v, size_t n)
{
	struct rpmhdr_entry *e = add(h, tag, RT_STRING_ARRAY, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		buf_add(&e->data, v[i], strlen(v[i]) + 1);
}

void rpmhdr_int32(struct rpmhdr *h, uint32_t tag, const uint32_t *v, size_t n)
{
	struct rpmhdr_entry *e = add(h, tag, RT_INT32, (uint32_t)n);
	buf_grow(&e->data, n * 4);
	for (size_t i = 0; i < n; i++) {
		unsigned char b[4];
		put32(b, v[i]);
		buf_add(&e->data, b, 4);
	}
}

void rpmhdr_int16(struct rpmhdr *h, uint32_t tag, const uint16_t *v, size_t n)
{
	struct rpmhdr_entry *e = add(h, tag, RT_INT16, (uint32_t)n);
	buf_grow(&e->data, n * 2);
	for (size_t i = 0; i < n; i++) {
		unsigned char b[2] = { (unsigned char)(v[i] >> 8), (unsigned char)v[i] };
		buf_add(&e->data, b, 2);
	}
}

void rpmhdr_bin(struct rpmhdr *h, uint32_t tag, const void *p, size_t n)
{
	struct rpmhdr_entry *e = add(h, tag, RT_BIN, (uint32_t)n);
	buf_add(&e->data, p, n);
}

static int cmp_tag(const void *a, const void *b)
{
	const struct rpmhdr_entry *x = *(const struct rpmhdr_entry *const *)a;
	const struct rpmhdr_entry *y = *(const struct rpmhdr_entry *const *)b;
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

void rpmhdr_write(const struct rpmhdr *h, uint32_t region_tag, struct buf *out)
{
	const struct rpmhdr_entry **order = xmalloc((h->n ? h->n : 1) * sizeof *order);
	for (size_t i = 0; i < h->n; i++)
		order[i] = &h->v[i];
	qsort(order, h->n, sizeof *order, cmp_tag);

	uint32_t il = (uint32_t)h->n + 1;     /* + the region tag */
	struct buf index = BUF_INIT, data = BUF_INIT;
	unsigned char ent[16];
	for (size_t i = 0; i < h->n; i++) {
		const struct rpmhdr_entry *e = order[i];
		size_t a = align_of(e->type);
		while (data.len % a)
			buf_addc(&data, 0);
		put32(ent, e->tag);
		put32(ent + 4, e->type);
		put32(ent + 8, (uint32_t)data.len);
		put32(ent + 12, e->count);
		buf_add(&index, ent, 16);
		buf_add(&data, e->data.p ? e->data.p : "", e->data.len);
	}
	/* the region trailer closes the data: offset is -(entries in region * 16) */
	uint32_t trailer_off = (uint32_t)data.len;
	put32(ent, region_tag);
	put32(ent + 4, RT_BIN);
	put32(ent + 8, (uint32_t)(-(int32_t)(il * 16)));
	put32(ent + 12, 16);
	buf_add(&data, ent, 16);

	static const unsigned char magic[8] = { 0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0 };
	unsigned char hdr[8];
	buf_add(out, magic, 8);
	put32(hdr, il);
	put32(hdr + 4, (uint32_t)data.len);
	buf_add(out, hdr, 8);
	put32(ent, region_tag);
	put32(ent + 4, RT_BIN);
	put32(ent + 8, trailer_off);
	put32(ent + 12, 16);
	buf_add(out, ent, 16);
	buf_add(out, index.p ? index.p : "", index.len);
	buf_add(out, data.p, data.len);
	buf_free(&index);
	buf_free(&data);
	free(order);
}
