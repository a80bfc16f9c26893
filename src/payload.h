/* payload.h — the single pass: manifest + input tarball -> package writers.
 *
 * Order of what the writers receive: every directory (sorted by path, so
 * parents come first), then the release's files, symlinks and hard links
 * in archive order as their bytes are read, then the generated files.
 * Each byte is read once, hashed once (md5 for deb, sha256 for rpm) and
 * handed to every writer. */
#ifndef RELPKG_PAYLOAD_H
#define RELPKG_PAYLOAD_H

#include "elfarch.h"
#include "manifest.h"

#include <archive.h>

struct ingest;          /* ingest.h: only the pass reads it (payload.c) */

struct pkgwriter {
	/* An entry begins; its digests are not known yet. */
	int (*entry)(struct pkgwriter *w, const struct manifest *m, size_t idx);
	int (*data)(struct pkgwriter *w, const void *p, size_t n);
	/* (No end-of-entry call: the writers need the digests only at
	 * finish, when the manifest holds them all.) */
};

struct payload_job {
	struct ingest *in;
	struct manifest *m;
	const size_t *in2m;     /* ingest index -> manifest index */
	struct pkgwriter **w;
	int nw;
	int want_md5, want_sha256;
	struct elfarch arch;    /* filled from the ELF files seen */
};

/* 0, or -1 after rp_err(). */
int payload_run(struct payload_job *job);

/* The time an entry carries in both packages: a release file's own
 * (clamped to SOURCE_DATE_EPOCH by ingest), else the build time. */
struct pkgmeta;
int64_t payload_mtime(const struct pkgmeta *pm, const struct entry *e);
/* libarchive write callback that hands the framed bytes to a zsink. */
la_ssize_t payload_to_zsink(struct archive *a, void *zsink, const void *p, size_t n);

#endif
