/* ingest.h — the only reader of input tarballs (libarchive).
 *
 * Two walks over the archive, one of them cheap:
 *  1. ingest_scan(): headers only (data skipped), plus the contents of a
 *     few small files release recognition needs (releases/start_erl.data,
 *     releases/ SLASH * SLASH *.rel, bin/ scripts), a streaming look for
 *     "-setcookie" in every vm.args, and the sparse maps.  Every entry is
 *     validated here, before any output exists: hostile names, links
 *     (resolved through the archive's other links), types, modes and the
 *     expanded size are refused with the entry named.  The single
 *     wrapper directory of generic tarballs is detected and stripped.
 *  2. ingest_stream(): the data pass.  Each entry's bytes are read once
 *     and handed to a callback (payload.c feeds both packages from it).
 *
 * The input is read and decompressed once.  A compressed tarball (gzip,
 * xz, zstd, bzip2, lz4) is inflated by the scan, which keeps the
 * decompressed tar stream (the spool: in memory up to INGEST_SPOOL_MEM,
 * beyond that in an anonymous file in $TMPDIR; bounded by what the
 * entries declare); the data pass reads the spool, never the input again.  An uncompressed tar is not copied: the scan
 * skips its data (seeks) and the data pass reads it.
 * The tarball is opened once; both walks read that one descriptor (pread,
 * never by path again).  A FIFO or a pipe (/dev/stdin) is first copied
 * to an anonymous file in $TMPDIR, counted against max_size.  The data
 * pass checks that the file did not change (size, mtime) and that it
 * yields the same entries, in the same order, with the same sizes: a file
 * rewritten between the walks fails, it never builds a mixed package. */
#ifndef RELPKG_INGEST_H
#define RELPKG_INGEST_H

#include "manifest.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* Recognition files (start_erl.data, *.rel, ...) larger than this are
 * not captured: see small_file.too_large. */
#define INGEST_SMALL_MAX (64u << 10)
/* Default bound of the expanded release (sum of regular file sizes);
 * `relpkg build --max-size` changes it. */
#define INGEST_MAX_SIZE_DEFAULT (16ULL << 30)
/* A decompressed tar stream up to this size is kept in memory. */
#define INGEST_SPOOL_MEM (4u << 20)

struct input_entry {
	char *name;             /* relative path after normalisation and strip, owned */
	char *link;             /* symlink text / hard link target (normalised), owned */
	uint64_t size;
	int64_t mtime;
	enum etype type;        /* E_DIR, E_REG, E_SYMLINK, E_HARDLINK */
	mode_t mode;            /* permission bits */
	uint32_t link_first;    /* E_HARDLINK: index of the target E_REG */
	unsigned char skip;     /* the stripped wrapper directory itself */
	unsigned char cookie;   /* E_REG named vm.args with a line starting "-setcookie" */
};

struct small_file {
	char *name;             /* relative path after strip, owned */
	char *data;             /* NUL-terminated, owned; at most INGEST_SMALL_MAX bytes */
	size_t len;
	uint64_t size;          /* the entry's size */
	int too_large;          /* size > INGEST_SMALL_MAX: data is "" (start_erl.data,
				   *.rel, RELEASES, COOKIE) or its first bytes (bin/ scripts) */
};

struct ingest {
	char *path;             /* the tarball as named (messages, NAME-VERSION), owned */
	int fd;                 /* the one open descriptor both walks read, or -1 */
	struct stat st;         /* fstat(fd) when the scan began */
	uint64_t max_size;      /* bound of the expanded size; INGEST_MAX_SIZE_DEFAULT */
	uint64_t total;         /* sum of the regular files' sizes */
	struct input_entry *v;
	size_t n, cap;
	char *strip;            /* the stripped wrapper directory, or NULL */
	struct small_file *small;
	size_t nsmall;
	size_t *sorted;         /* indexes of the live entries of v, sorted by name */
	size_t nsorted;
	int64_t clamp_mtime;    /* SOURCE_DATE_EPOCH, or -1 */
	int spooled;            /* the scan kept the decompressed tar stream: */
	unsigned char *spool_mem;       /* in memory (owned), while it is small */
	int spool_fd;           /* or in this anonymous file, or -1 */
	uint64_t spool_size;
	char spool_err[400];    /* why the spool failed (the scan's message), or "" */
	int names_borrowed;     /* v[].name belong to another (ingest_borrow_names) */
};

void ingest_init(struct ingest *in, const char *path, int64_t clamp_mtime);
/* Frees everything and closes the descriptor. */
void ingest_free(struct ingest *in);
/* The header walk and all validation.  0, or -1 after rp_err() naming
 * the tarball and the entry. */
int ingest_scan(struct ingest *in);
/* After the scan: each entry's name is replaced by name_of(ctx, i), an
 * equal string the caller keeps alive until ingest_free() (the build
 * shares the tails of its package paths: one copy of each name, issue 17). */
void ingest_borrow_names(struct ingest *in, const char *(*name_of)(void *ctx, size_t i), void *ctx);
/* Index of the entry named name, or (size_t)-1. */
size_t ingest_find(const struct ingest *in, const char *name);
/* Contents of a small file captured by the scan, or NULL. */
const struct small_file *ingest_small(const struct ingest *in, const char *name);

struct ingest_cb {
	/* An entry begins (index into in->v).  Skipped entries are not passed. */
	int (*entry)(void *ctx, size_t idx);
	/* Data of the current E_REG entry, in order, holes filled with zeros. */
	int (*data)(void *ctx, const void *p, size_t n);
	/* The current entry's data is complete. */
	int (*entry_end)(void *ctx, size_t idx);
	void *ctx;
};

/* The data pass, after ingest_scan().  0, or -1 after rp_err() (also
 * when the file or its entries differ from what the scan saw). */
int ingest_stream(struct ingest *in, const struct ingest_cb *cb);

#endif
