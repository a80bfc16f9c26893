/* rpm_header.h — the RPM v4 header store, both ways: the tag table,
 * the encoder the writer uses (struct rpmhdr_enc) and the bounds-checked
 * decoder every reader uses (struct rpmhdr: inspect, verify, the store).
 *
 * A header is: magic 8e ad e8 01 + 4 reserved bytes, the index length
 * il and the data length dl (big-endian int32), il 16-byte index entries
 * (tag, type, offset, count) sorted by tag, then dl bytes of data with
 * each value aligned to its type.  The first entry is the region tag (62
 * for the signature header, 63 for the main header) whose 16-byte
 * trailer closes the data and says how many entries the region covers.
 *
 * An .rpm file is a 96-byte lead (magic ed ab ee db, signature type 5),
 * the signature header padded to 8 bytes, the main header, the payload.
 *
 * rpmhdr_parse() validates every entry against the data store before
 * anything is read from it (type known, offset and count inside dl,
 * strings NUL-terminated inside dl, region trailer in bounds), so the
 * getters never read out of bounds, whatever the input.  A bounds rule
 * lives here once. */
#ifndef RELPKG_RPM_HEADER_H
#define RELPKG_RPM_HEADER_H

#include "buf.h"

#include <stddef.h>
#include <stdint.h>

enum rpmtype {
	RT_NULL = 0, RT_CHAR = 1, RT_INT8 = 2, RT_INT16 = 3, RT_INT32 = 4, RT_INT64 = 5, RT_STRING = 6,
	RT_BIN = 7, RT_STRING_ARRAY = 8, RT_I18NSTRING = 9,
};

/* The tags relpkg writes or reads (rpm's rpmtag.h names). */
enum rpmtag {
	RPMTAG_HEADERSIGNATURES = 62, RPMTAG_HEADERIMMUTABLE = 63, RPMTAG_HEADERI18NTABLE = 100,
	RPMTAG_NAME = 1000, RPMTAG_VERSION = 1001, RPMTAG_RELEASE = 1002, RPMTAG_EPOCH = 1003,
	RPMTAG_SUMMARY = 1004, RPMTAG_DESCRIPTION = 1005, RPMTAG_BUILDTIME = 1006, RPMTAG_BUILDHOST = 1007,
	RPMTAG_SIZE = 1009, RPMTAG_VENDOR = 1011, RPMTAG_LICENSE = 1014, RPMTAG_PACKAGER = 1015,
	RPMTAG_GROUP = 1016, RPMTAG_URL = 1020, RPMTAG_OS = 1021, RPMTAG_ARCH = 1022,
	RPMTAG_PREIN = 1023, RPMTAG_POSTIN = 1024, RPMTAG_PREUN = 1025, RPMTAG_POSTUN = 1026,
	RPMTAG_OLDFILENAMES = 1027, RPMTAG_FILESIZES = 1028, RPMTAG_FILEMODES = 1030,
	RPMTAG_FILERDEVS = 1033, RPMTAG_FILEMTIMES = 1034, RPMTAG_FILEDIGESTS = 1035,
	RPMTAG_FILELINKTOS = 1036, RPMTAG_FILEFLAGS = 1037, RPMTAG_FILEUSERNAME = 1039,
	RPMTAG_FILEGROUPNAME = 1040, RPMTAG_SOURCERPM = 1044, RPMTAG_FILEVERIFYFLAGS = 1045,
	RPMTAG_ARCHIVESIZE = 1046, RPMTAG_PROVIDENAME = 1047, RPMTAG_REQUIREFLAGS = 1048,
	RPMTAG_REQUIRENAME = 1049, RPMTAG_REQUIREVERSION = 1050, RPMTAG_CONFLICTFLAGS = 1053,
	RPMTAG_CONFLICTNAME = 1054, RPMTAG_CONFLICTVERSION = 1055, RPMTAG_RPMVERSION = 1064,
	RPMTAG_VERIFYSCRIPT = 1079, RPMTAG_CHANGELOGTIME = 1080, RPMTAG_CHANGELOGNAME = 1081,
	RPMTAG_CHANGELOGTEXT = 1082, RPMTAG_PREINPROG = 1085, RPMTAG_POSTINPROG = 1086,
	RPMTAG_PREUNPROG = 1087, RPMTAG_POSTUNPROG = 1088, RPMTAG_OBSOLETENAME = 1090,
	RPMTAG_FILEDEVICES = 1095, RPMTAG_FILEINODES = 1096, RPMTAG_FILELANGS = 1097,
	RPMTAG_SOURCEPACKAGE = 1106, RPMTAG_PROVIDEFLAGS = 1112, RPMTAG_PROVIDEVERSION = 1113,
	RPMTAG_OBSOLETEFLAGS = 1114, RPMTAG_OBSOLETEVERSION = 1115, RPMTAG_DIRINDEXES = 1116,
	RPMTAG_BASENAMES = 1117, RPMTAG_DIRNAMES = 1118, RPMTAG_PAYLOADFORMAT = 1124,
	RPMTAG_PAYLOADCOMPRESSOR = 1125, RPMTAG_PAYLOADFLAGS = 1126, RPMTAG_PRETRANS = 1151,
	RPMTAG_POSTTRANS = 1152, RPMTAG_LONGFILESIZES = 5008, RPMTAG_LONGSIZE = 5009,
	RPMTAG_FILEDIGESTALGO = 5011, RPMTAG_ENCODING = 5062, RPMTAG_PAYLOADDIGEST = 5092,
	RPMTAG_PAYLOADDIGESTALGO = 5093,
	RPMTAG_RECOMMENDNAME = 5046, RPMTAG_RECOMMENDVERSION = 5047, RPMTAG_RECOMMENDFLAGS = 5048,
	RPMTAG_SUGGESTNAME = 5049, RPMTAG_SUGGESTVERSION = 5050, RPMTAG_SUGGESTFLAGS = 5051,
};

/* Tags of the signature header. */
enum rpmsigtag {
	RPMSIGTAG_DSA = 267, RPMSIGTAG_RSA = 268, RPMSIGTAG_PGP = 1002, RPMSIGTAG_GPG = 1005,
	RPMSIGTAG_SHA1 = 269, RPMSIGTAG_LONGSIZE = 270, RPMSIGTAG_LONGARCHIVESIZE = 271,
	RPMSIGTAG_SHA256 = 273, RPMSIGTAG_SIZE = 1000, RPMSIGTAG_MD5 = 1004, RPMSIGTAG_PAYLOADSIZE = 1007,
};

/* Dependency flags (REQUIREFLAGS, ...) and file flags (FILEFLAGS). */
enum rpmsense {
	RPMSENSE_LESS = 1 << 1, RPMSENSE_GREATER = 1 << 2, RPMSENSE_EQUAL = 1 << 3,
	RPMSENSE_PREREQ = 1 << 6, RPMSENSE_INTERP = 1 << 8, RPMSENSE_SCRIPT_PRE = 1 << 9,
	RPMSENSE_SCRIPT_POST = 1 << 10, RPMSENSE_SCRIPT_PREUN = 1 << 11, RPMSENSE_SCRIPT_POSTUN = 1 << 12,
	RPMSENSE_FIND_REQUIRES = 1 << 14, RPMSENSE_RPMLIB = 1 << 24, RPMSENSE_CONFIG = 1 << 28,
};
enum rpmfileflag {
	RPMFILE_CONFIG = 1, RPMFILE_DOC = 2, RPMFILE_NOREPLACE = 16, RPMFILE_GHOST = 64, RPMFILE_LICENSE = 128,
};

#define RPM_LEAD_SIZE 96

/* ---- encoding (the writer) ---- */

/* Where a header goes (rpmhdr_enc_write*): counted, hashed, and appended
 * to a buf or written to an fd through a small buffer. */
struct hasher;
struct rpmhdr_out {
	int fd;                 /* -1: to b (or nowhere when count_only) */
	struct buf *b;
	const char *what;       /* for write errors */
	int count_only;         /* only len advances */
	int err;                /* a write failed (after rp_errno) */
	uint64_t len;           /* bytes so far */
	struct hasher *hash[2]; /* updated with every byte, or NULL */
	size_t n;
	unsigned char chunk[1 << 16];
};
void rpmhdr_out_add(struct rpmhdr_out *o, const void *p, size_t n);
void rpmhdr_out_str(struct rpmhdr_out *o, const char *s);      /* with its NUL */
void rpmhdr_out_u32(struct rpmhdr_out *o, uint32_t v);         /* big-endian */
void rpmhdr_out_u16(struct rpmhdr_out *o, uint16_t v);

/* A value written when the header is (the per-file tags of a large
 * release): called once to measure it and once to write it, it must
 * write the same bytes both times. */
typedef void (*rpmhdr_gen_fn)(void *ctx, uint32_t tag, struct rpmhdr_out *o);

struct rpmhdr_enc_entry {
	uint32_t tag, type, count;
	struct buf data;        /* the value, already big-endian / NUL-separated */
	rpmhdr_gen_fn gen;      /* or, when set, written by gen(ctx) */
	void *ctx;
};

struct rpmhdr_enc {
	struct rpmhdr_enc_entry *v;     /* owned, in the order added */
	size_t n, cap;
};

void rpmhdr_enc_init(struct rpmhdr_enc *h);
void rpmhdr_enc_free(struct rpmhdr_enc *h);
void rpmhdr_enc_string(struct rpmhdr_enc *h, uint32_t tag, const char *s);
void rpmhdr_enc_i18n(struct rpmhdr_enc *h, uint32_t tag, const char *s);
void rpmhdr_enc_strings(struct rpmhdr_enc *h, uint32_t tag, const char *const *v, size_t n);
void rpmhdr_enc_int32(struct rpmhdr_enc *h, uint32_t tag, const uint32_t *v, size_t n);
void rpmhdr_enc_int16(struct rpmhdr_enc *h, uint32_t tag, const uint16_t *v, size_t n);
void rpmhdr_enc_bin(struct rpmhdr_enc *h, uint32_t tag, const void *p, size_t n);
/* A value of `count` elements of `type` that gen writes (see rpmhdr_gen_fn). */
void rpmhdr_enc_gen(struct rpmhdr_enc *h, uint32_t tag, uint32_t type, uint32_t count,
		    rpmhdr_gen_fn gen, void *ctx);
/* Serialises, entries sorted by tag, with region tag 62 or 63; appended to out. */
void rpmhdr_enc_write(const struct rpmhdr_enc *h, uint32_t region_tag, struct buf *out);
/* The same, streamed to fd (memory bounded whatever the header's size),
 * every byte also hashed into h1 and h2 (each may be NULL); *len is the
 * header's size.  0, or -1 after rp_errno() naming what. */
int rpmhdr_enc_write_fd(const struct rpmhdr_enc *h, uint32_t region_tag, int fd, const char *what,
			struct hasher *h1, struct hasher *h2, uint64_t *len);

/* ---- decoding (inspect, verify, the store) ---- */

#define RPMHDR_MAX_ENTRIES 0xffffu      /* rpm's own limits (hdrchkTags, hdrchkData) */
#define RPMHDR_MAX_DATA (256u << 20)

struct rpmhdr_entry {
	uint32_t tag, type, offset, count;
	uint32_t size;          /* bytes of the value in the data store */
};

struct rpmhdr {
	unsigned char *blob;    /* owned: the whole header, magic to end of data */
	size_t len;
	uint32_t il, dl;
	struct rpmhdr_entry *e; /* owned, il entries in file order */
	const unsigned char *data;      /* into blob */
};

/* Reads one header from fd at its current position.  0, or -1 after
 * rp_err() naming `what` ("signature header", "header"). */
int rpmhdr_read(int fd, struct rpmhdr *h, const char *what);
/* Same from memory (copied). */
int rpmhdr_parse(const void *p, size_t len, struct rpmhdr *h, const char *what);
/* Reads an .rpm's lead, signature header (and its padding) and main
 * header from fd at offset 0; leaves fd at the payload.  On failure both
 * headers are empty (safe to free).  The one entry point of every reader
 * of .rpm files, so inspect, verify and the store refuse a malformed
 * package with the same message. */
int rpmhdr_read_pkg(int fd, struct rpmhdr *sig, struct rpmhdr *hdr);
void rpmhdr_free(struct rpmhdr *h);

const struct rpmhdr_entry *rpmhdr_find(const struct rpmhdr *h, uint32_t tag);
/* STRING, I18NSTRING (first translation) or STRING_ARRAY[0]; NULL if absent. */
const char *rpmhdr_str(const struct rpmhdr *h, uint32_t tag);
/* A STRING_ARRAY (or STRING as one element): *v is malloc'd, its strings
 * point into h.  Returns the count (0 if absent) or -1 after rp_err() for
 * a wrong type. */
long rpmhdr_strv(const struct rpmhdr *h, uint32_t tag, const char ***v);
/* Element i of an INT8/16/32/64 tag (or CHAR).  0, or -1 if absent, of
 * another type, or i out of range (no message recorded). */
int rpmhdr_int(const struct rpmhdr *h, uint32_t tag, uint32_t i, uint64_t *out);
/* All elements of an integer tag, widened: malloc'd, count in *n; NULL
 * (and *n = 0) if absent or not an integer type. */
uint64_t *rpmhdr_ints(const struct rpmhdr *h, uint32_t tag, uint32_t *n);
/* The count of a tag, 0 if absent. */
uint32_t rpmhdr_count(const struct rpmhdr *h, uint32_t tag);
/* A BIN value: pointer into h and its size; NULL if absent or not BIN. */
const unsigned char *rpmhdr_bin(const struct rpmhdr *h, uint32_t tag, uint32_t *size);

#endif
