/* ingest.h — the only reader of input tarballs (libarchive).
 *
 * Two walks over the archive, one of them cheap:
 *  1. ingest_scan(): headers only (data skipped), plus the contents of a
 *     few small files release recognition needs (releases/start_erl.data,
 *     releases/ SLASH * SLASH *.rel, bin/ scripts).  Every entry is
 *     validated here, before any output exists: hostile names, links,
 *     types and modes are refused with the entry named.  The single
 *     wrapper directory of generic tarballs is detected and stripped.
 *  2. ingest_stream(): the data pass.  Each entry's bytes are read once
 *     and handed to a callback (payload.c feeds both packages from it).
 *     The archive must yield the same entries as in the scan. */
#ifndef RELPKG_INGEST_H
#define RELPKG_INGEST_H

#include "manifest.h"

#include <stddef.h>
#include <stdint.h>

struct input_entry {
	char *name;             /* relative path after normalisation and strip, owned */
	enum etype type;        /* E_DIR, E_REG, E_SYMLINK, E_HARDLINK */
	mode_t mode;            /* permission bits */
	uint64_t size;
	int64_t mtime;
	char *link;             /* symlink text / hard link target (normalised), owned */
	size_t link_first;      /* E_HARDLINK: index of the target E_REG */
	int skip;               /* the stripped wrapper directory itself */
};

struct small_file {
	char *name;             /* relative path after strip, owned */
	char *data;             /* NUL-terminated, owned; at most SMALL_MAX bytes */
	size_t len;
};

struct ingest {
	char *path;             /* the tarball, owned */
	struct input_entry *v;
	size_t n, cap;
	char *strip;            /* the stripped wrapper directory, or NULL */
	struct small_file *small;
	size_t nsmall;
	size_t *sorted;         /* indexes of the live entries of v, sorted by name */
	size_t nsorted;
	int64_t clamp_mtime;    /* SOURCE_DATE_EPOCH, or -1 */
};

void ingest_init(struct ingest *in, const char *path, int64_t clamp_mtime);
void ingest_release(struct ingest *in);
/* The header walk and all validation.  0, or -1 after rp_err() naming
 * the tarball and the entry. */
int ingest_scan(struct ingest *in);
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

/* The data pass.  0, or -1 after rp_err(). */
int ingest_stream(struct ingest *in, const struct ingest_cb *cb);

#endif
