/* rpm_read.h — decoding an RPM v4 header store (the reading side of
 * rpm_header.h): magic 8e ad e8 01, 4 reserved bytes, il and dl
 * (big-endian), il 16-byte index entries (tag, type, offset, count), dl
 * bytes of data.
 *
 * rhdr_parse() validates every entry against the data store before
 * anything is read from it (type known, offset and count inside dl,
 * strings NUL-terminated inside dl, region trailer in bounds), so the
 * getters below never read out of bounds, whatever the input. */
#ifndef RELPKG_RPM_READ_H
#define RELPKG_RPM_READ_H

#include "rpm_header.h"

#include <stddef.h>
#include <stdint.h>

#define RHDR_MAX_ENTRIES 0xffffu        /* rpm's own limits (hdrchkTags, hdrchkData) */
#define RHDR_MAX_DATA (256u << 20)

struct rhdr_entry {
	uint32_t tag, type, offset, count;
	uint32_t size;          /* bytes of the value in the data store */
};

struct rhdr {
	unsigned char *blob;    /* owned: the whole header, magic to end of data */
	size_t len;
	uint32_t il, dl;
	struct rhdr_entry *e;   /* owned, il entries in file order */
	const unsigned char *data;  /* into blob */
};

/* Reads one header from fd at its current position.  0, or -1 after
 * rp_err() naming `what` ("signature header", "header"). */
int rhdr_read(int fd, struct rhdr *h, const char *what);
/* Same from memory (copied). */
int rhdr_parse(const void *p, size_t len, struct rhdr *h, const char *what);
void rhdr_release(struct rhdr *h);

const struct rhdr_entry *rhdr_find(const struct rhdr *h, uint32_t tag);
/* STRING, I18NSTRING (first translation) or STRING_ARRAY[0]; NULL if absent. */
const char *rhdr_str(const struct rhdr *h, uint32_t tag);
/* A STRING_ARRAY (or STRING as one element): *v is malloc'd, its strings
 * point into h.  Returns the count (0 if absent) or -1 after rp_err() for
 * a wrong type. */
long rhdr_strv(const struct rhdr *h, uint32_t tag, const char ***v);
/* Element i of an INT8/16/32/64 tag (or CHAR).  0, or -1 if absent, of
 * another type, or i out of range (no message recorded). */
int rhdr_int(const struct rhdr *h, uint32_t tag, uint32_t i, uint64_t *out);
/* The count of a tag, 0 if absent. */
uint32_t rhdr_count(const struct rhdr *h, uint32_t tag);
/* A BIN value: pointer into h and its size; NULL if absent or not BIN. */
const unsigned char *rhdr_bin(const struct rhdr *h, uint32_t tag, uint32_t *size);

#endif
