/* rpm_header.h — RPM v4 header encoding (the tag store).
 *
 * A header is: magic 8e ad e8 01 + 4 reserved bytes, the index length
 * and the data length (big-endian int32), 16-byte index entries (tag,
 * type, offset, count) sorted by tag, then the data store with each
 * value aligned to its type.  The first entry is the region tag (62 for
 * the signature header, 63 for the main header) whose 16-byte trailer
 * closes the data and says how many entries the region covers. */
#ifndef RELPKG_RPM_HEADER_H
#define RELPKG_RPM_HEADER_H

#include "buf.h"

#include <stddef.h>
#include <stdint.h>

enum rpmtype {
	RT_INT16 = 3, RT_INT32 = 4, RT_INT64 = 5, RT_STRING = 6, RT_BIN = 7,
	RT_STRING_ARRAY = 8, RT_I18NSTRING = 9,
};

struct rpmhdr_entry {
	uint32_t tag, type, count;
	struct buf data;        /* the value, already big-endian / NUL-separated */
};

struct rpmhdr {
	struct rpmhdr_entry *v;
	size_t n, cap;
};

void rpmhdr_init(struct rpmhdr *h);
void rpmhdr_release(struct rpmhdr *h);
void rpmhdr_string(struct rpmhdr *h, uint32_t tag, const char *s);
void rpmhdr_i18n(struct rpmhdr *h, uint32_t tag, const char *s);
void rpmhdr_strings(struct rpmhdr *h, uint32_t tag, const char *const *v, size_t n);
void rpmhdr_int32(struct rpmhdr *h, uint32_t tag, const uint32_t *v, size_t n);
void rpmhdr_int16(struct rpmhdr *h, uint32_t tag, const uint16_t *v, size_t n);
void rpmhdr_bin(struct rpmhdr *h, uint32_t tag, const void *p, size_t n);
/* Serialises with region tag 62 or 63 into out (appended). */
void rpmhdr_write(const struct rpmhdr *h, uint32_t region_tag, struct buf *out);

#endif
