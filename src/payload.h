/* payload.h — the single pass: manifest + input tarball -> package writers.
 *
 * Order of what the writers receive: every directory (sorted by path, so
 * parents come first), then the release's files, symlinks and hard links
 * in archive order as their bytes are read, then the generated files.
 * Each byte is read once and handed to every writer; each writer's
 * compressor thread hashes it once (md5 for deb, sha256 for rpm). */
#ifndef RELPKG_PAYLOAD_H
#define RELPKG_PAYLOAD_H

#include "autodeps.h"
#include "elfarch.h"
#include "manifest.h"
#include "zsink.h"

#include <archive.h>
#include <stdint.h>

struct ingest;          /* ingest.h: only the pass reads it (payload.c) */

struct pkgwriter {
	/* An entry begins; its digests are not known yet: each writer has
	 * its zsink digest the entry's data (deb md5, rpm sha256) into m's
	 * entry on the compressor's thread, complete when it finishes. */
	int (*entry)(struct pkgwriter *w, struct manifest *m, size_t idx);
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
	int want_md5, want_sha256;      /* informative: the writers digest */
	struct elfarch arch;    /* filled from the ELF files seen */
	struct autodeps *ad;    /* automatic dependencies: fed the release's files; NULL: off */
};

/* 0, or -1 after rp_err(). */
int payload_run(struct payload_job *job);

/* The time an entry carries in both packages: a release file's own
 * (clamped to SOURCE_DATE_EPOCH by ingest), else the build time. */
struct pkgmeta;
int64_t payload_mtime(const struct pkgmeta *pm, const struct entry *e);
/* Compress once (zsink.h): the key under which entry idx's data is shared
 * by the writers' sinks (compression c): idx + 1 for a regular file that
 * both packages carry of at least PAYLOAD_SHARE_MIN bytes (gzip: a file
 * as large as deflate's 32 KiB window loses little by starting a member of
 * its own; on make bench's inputs 32 KiB costs +0.13% in size against
 * 64 KiB's +0.02% and saves a tenth of the compression work) or
 * PAYLOAD_SHARE_MIN_XZ (xz, whose dictionary spans megabytes: a file split
 * off costs its neighbours their context; on make bench's large input,
 * deb+rpm against one xz -6 -T2 of the tar and size against one format
 * alone: 128 KiB 0.79x, +2.02%; 144 KiB 0.88x, +1.91%; 160 KiB 1.04x,
 * +1.75%; 192 KiB 1.15x, +1.49%: longer own blocks cost the encoder more
 * per byte), else 0 (small files compress better inside each stream,
 * with their neighbours). */
#define PAYLOAD_SHARE_MIN (32u << 10)
#define PAYLOAD_SHARE_MIN_XZ (144u << 10)
uint64_t payload_share_key(const struct entry *e, size_t idx, enum comp c);
/* Appends len bytes of from (from offset 0) to to's current position:
 * copy_file_range (in the kernel, a reflink where the file system can),
 * else pread/write.  0, or -1 after rp_err() naming what. */
int payload_copy(int from, int to, uint64_t len, const char *what);

/* The plumbing both writers share: a libarchive writer (tar, cpio) that
 * frames entries into a zsink compressing to an anonymous scratch file
 * in outdir.  With algo >= 0 (enum halgo) the sink digests each entry's
 * data (zsink_digest_begin() on f->z at each entry). */
struct framer {
	const char *what;       /* for messages: "data.tar", "rpm payload" */
	int fd;                 /* the scratch file, or -1 */
	struct zsink *z;
	struct archive *a;
};
/* 0, or -1 after rp_err(); framer_free() either way. */
int framer_open(struct framer *f, const char *what, const char *outdir, enum comp c, int level,
		int threaded, int algo, int (*set_format)(struct archive *));
/* Entry data: digested (if asked) and framed. */
int framer_data(struct framer *f, const void *p, size_t n);
/* Closes the archive and finishes the stream (f->fd then holds it all). */
int framer_close(struct framer *f);
void framer_free(struct framer *f);

#endif
