/* buf.h — a growable byte buffer (always NUL-terminated).
 * The buffer owns p; buf_free() releases it, buf_detach() hands it over. */
#ifndef RELPKG_BUF_H
#define RELPKG_BUF_H

#include <stddef.h>

struct buf {
	char *p;
	size_t len, cap;
};

#define BUF_INIT { NULL, 0, 0 }

void buf_grow(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *data, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s quoted for POSIX sh: 'it'\''s' */
void buf_add_shquoted(struct buf *b, const char *s);
void buf_reset(struct buf *b);
char *buf_detach(struct buf *b);
void buf_free(struct buf *b);
/* The contents so far (never NULL). */
const char *buf_str(const struct buf *b);

/* qsort() comparator for an array of C strings (char *): strcmp order. */
int cmp_strp(const void *a, const void *b);

#endif
