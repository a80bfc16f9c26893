/* zsink.h — a compressing, hashing byte sink that writes to a file
 * descriptor, optionally on its own thread.
 *
 * The producer (the single pass over the input) hands bytes to
 * zsink_write(); they are gathered into fixed chunks and compressed by a
 * worker thread, so the .deb and the .rpm payloads are compressed in
 * parallel on two cores.  Memory is bounded: ZSINK_NBUF chunks per sink
 * (4 MiB; 6 for a sink given a share).
 * Output is hashed with sha256 on the way when asked (zsink_hash_output:
 * the rpm payload digest). */
#ifndef RELPKG_ZSINK_H
#define RELPKG_ZSINK_H

#include <stddef.h>
#include <stdint.h>

enum comp { COMP_GZIP, COMP_XZ, COMP_ZSTD, COMP_NONE };

struct zsink;

/* Parses "gzip", "xz", "zstd", "none"; -1 if unknown. */
int comp_parse(const char *s, enum comp *out);
const char *comp_name(enum comp c);
/* File name suffix of a compressed member: ".gz", ".xz", ".zst", "". */
const char *comp_suffix(enum comp c);
int comp_default_level(enum comp c);
/* 0 if level is valid for c, else -1 after rp_usage(). */
int comp_check_level(enum comp c, int level);

/* fd is borrowed (not closed).  threaded: compress on a worker thread. */
struct zsink *zsink_new(int fd, enum comp c, int level, int threaded);
/* 0, or -1 after rp_err() (the worker's error, or a write error). */
int zsink_write(struct zsink *z, const void *p, size_t n);
/* Ends the stream, flushes, joins the worker.  0 or -1 after rp_err(). */
int zsink_finish(struct zsink *z);
uint64_t zsink_bytes_in(const struct zsink *z);
uint64_t zsink_bytes_out(const struct zsink *z);
/* Hash the output (sha256): before the first write.  Only the rpm needs
 * it; the .deb's md5sums cover the files, not data.tar. */
void zsink_hash_output(struct zsink *z);
/* sha256 of everything written to fd, with zsink_hash_output(); valid
 * after zsink_finish(). */
const unsigned char *zsink_out_sha256(const struct zsink *z);
void zsink_free(struct zsink *z);

/* Per-entry digests, computed on the sink's worker (off the producer's
 * critical path).  zsink_digest_algo() once, before the first write;
 * zsink_digest_begin() at each entry: the digest of what follows goes to
 * out (algo's length), which must stay valid until zsink_finish(); only
 * bytes written between zsink_digest_on() and zsink_digest_off() (the
 * entry's data, not the framing) count.  Every out is filled, an empty
 * entry's too, once zsink_finish() returned 0. */
void zsink_digest_algo(struct zsink *z, int algo);      /* enum halgo (digest.h) */
void zsink_digest_begin(struct zsink *z, unsigned char *out);
void zsink_digest_on(struct zsink *z);
void zsink_digest_off(struct zsink *z);

/* Compress once, frame twice (design 6).  The .deb's data.tar and the
 * .rpm's cpio carry the same file bytes; a zshare lets the sinks of both
 * compress a large file's data once.  A sink given a share cuts its stream
 * where such data begins and ends, and every ZSINK_CHUNK of the data
 * between becomes a unit of its own, the same bytes in both streams:
 * whichever sink's worker reaches a unit first compresses it, the other
 * writes the same bytes, and a worker waiting on the other's unit
 * compresses units queued behind it meanwhile (with gzip, also chunks of
 * own data queued in either sink's ring: each is a member of its own,
 * written in its turn; with xz, its own data queued behind the unit, into
 * a new block held in memory until the unit is written), so the two cores
 * share the work.  The bytes written do not depend on who compressed what
 * or when: block and member boundaries follow the data alone.  Framing (tar and cpio headers, padding) and small files are
 * compressed by each sink in its own stream.
 *   gzip: a unit is a gzip member; every reader takes the members as one
 *         file (zsink writes one per chunk anyway).
 *   xz:   a unit is an xz block, compressed with a dictionary no larger
 *         than it; the sink writes one .xz stream (header, blocks, index,
 *         footer) whose own data is a block between units.  One stream:
 *         rpm's and dpkg's readers stop at the end of the first, as
 *         readers of concatenated streams may.
 *   zstd: not shared.  dpkg 1.21's reader (bookworm) stops inside a
 *         data.tar.zst made of several frames ("tar: Unexpected EOF"),
 *         although zstd(1) and rpm read it.
 * Other sinks ignore the share.
 * zshare_new(nsinks): the number of sinks that will consume every unit
 * (a unit is freed when the last one wrote it).  zsink_share() before the
 * first shared entry, on sinks of the same compression and level.
 * zsink_share_key() at an entry: its data (the bytes written between
 * zsink_digest_on() and _off()) is shared under key, the same in every
 * sink; 0: not shared. */
struct zshare;
struct zshare *zshare_new(int nsinks);
void zshare_free(struct zshare *sh);
void zsink_share(struct zsink *z, struct zshare *sh);
void zsink_share_key(struct zsink *z, uint64_t key);

#endif
