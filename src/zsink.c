/* zsink.c — see zsink.h.  One worker thread per sink; chunks move from
 * the producer to the worker through a small ring guarded by a mutex.
 *
 * Who touches what: the encoder state and its error (werr, wfailed)
 * belong to whichever thread runs the encoder (the worker while there is
 * one, else the producer); the worker publishes its error into err and
 * failed under the mutex, where the producer reads it; the producer keeps
 * its own copy (pfailed).  pthread_create/pthread_join order the rest. */
#include "zsink.h"
#include "atomic.h"
#include "buf.h"
#include "digest.h"
#include "error.h"

#include <errno.h>
#include <libdeflate.h>
#include <lzma.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#define ZSINK_CHUNK (1u << 20)
/* Chunks per sink (1 MiB each): ZSINK_NBUF, or ZSINK_NBUF_SHARED for a
 * sink given a share.  Shared data cuts a sink's chunks short where it
 * begins and ends, so with many files just above the share threshold the
 * ring holds less than its count: 6 keep the workers busier (make bench,
 * large input, gzip: 3.4 s against 3.6 s with 4; 8 gave 3.3 s but 65 MB
 * on the 1.1 GB / 110,000-entry release, over the 64 MB bound). */
#define ZSINK_NBUF 4
#define ZSINK_NBUF_SHARED 6
/* Own chunks of a sink compressed ahead at a time (memory: their members). */
#define ZSINK_PRE_MAX 2
#define ZSINK_OUTBUF (256u << 10)

/* A run of entry data inside a chunk, digested into out. */
struct seg {
	uint32_t off, len;
	unsigned char *out;
};

struct chunk {
	unsigned char *p;
	size_t len;
	struct seg *seg;        /* in order; len 0 marks an entry's start */
	size_t nseg, segcap;
	uint64_t skey;          /* a shared unit (see zsink.h): key, or 0 */
	uint32_t sseq;          /* its index within the entry's data */
	/* gzip, own data: the member compressed ahead while this sink's worker
	 * waited on the other's unit (unit_ahead), or NULL */
	unsigned char *pre;
	size_t pren;
	int prebusy;
};

/* A shared unit: claimed by the worker compressing it, then done. */
struct sunit {
	uint64_t key;
	uint32_t seq;
	int state;              /* SU_CLAIMED, SU_DONE, SU_FAILED */
	unsigned char *p;       /* the compressed bytes */
	size_t n;
	uint64_t unpadded;      /* xz: the block's sizes, for the index */
	uint64_t usize;
	int refs;               /* sinks that have not written it yet */
	struct sunit *next;
};
enum { SU_CLAIMED = 1, SU_DONE, SU_FAILED };

struct zshare {
	pthread_mutex_t mu;     /* taken after a sink's mu, never before */
	pthread_cond_t cv;      /* a unit became done or failed */
	int nsinks;
	struct sunit *units;
	/* gzip: the threaded sinks whose own chunks a waiting worker may
	 * compress ahead (help_other); each counts its helpers */
	struct zsink *sink[4];
	int nreg;
};

struct zsink {
	int fd;
	enum comp comp;
	int level;
	int threaded;

	/* producer side */
	struct chunk cur;
	uint64_t in;
	int dalgo;              /* enum halgo, or -1: no per-entry digests */
	unsigned char *dout;    /* the current entry's digest */
	int don;                /* zsink_digest_on() */
	struct zshare *share;   /* or NULL */
	uint64_t skey;          /* the current entry's share key, or 0 */
	int sharing;            /* cur holds shared data of skey */
	uint32_t sseq;          /* the next unit's index */

	/* ring: [head, head+count) are full chunks waiting for the worker */
	struct chunk ring[ZSINK_NBUF_SHARED];
	unsigned head, count;
	int closing;
	pthread_mutex_t mu;
	pthread_cond_t cv_full, cv_free;
	pthread_t thread;
	struct chunk freelist[ZSINK_NBUF_SHARED];
	unsigned nfree;

	/* worker side */
	struct libdeflate_compressor *ld;   /* gzip: one member per chunk */
	unsigned char *ldout;
	size_t ldcap;
	int members;
	lzma_stream xz;         /* xz: the open block of this sink's own data */
	lzma_block xblk;
	lzma_options_lzma xopt;
	lzma_filter xf[2];
	lzma_index *xidx;       /* the stream's blocks so far */
	int xhead;              /* the stream header is written */
	int xopen;              /* xblk is open */
	ZSTD_CCtx *zs;
	unsigned char *out;
	uint64_t outbytes;
	struct hasher sha;
	unsigned char sha256[32];
	struct hasher fh;       /* the current entry's digest (worker) */
	unsigned char *fout;    /* where it goes, or NULL */
	char werr[512];     /* encoder's error (encoder's thread only) */
	int wfailed;
	char err[512];      /* published error, under mu while the worker runs */
	int failed;
	int pfailed;        /* producer's copy of failed */
	int outhash;        /* sha256 of the output (zsink_hash_output) */
	int holding;        /* xz: output goes to hold (see xz_own_ahead) */
	struct buf hold;
	int helpers;        /* other workers inside this ring (under share->mu) */
	unsigned npre;      /* ring chunks compressed ahead or being so (under mu) */
	int registered;     /* in share->sink[] */
};

int comp_parse(const char *s, enum comp *out)
{
	static const char *names[] = { "gzip", "xz", "zstd", "none" };
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i])) {
			*out = (enum comp)i;
			return 0;
		}
	return -1;
}

const char *comp_name(enum comp c)
{
	static const char *names[] = { "gzip", "xz", "zstd", "none" };
	return names[c];
}

const char *comp_suffix(enum comp c)
{
	static const char *sfx[] = { ".gz", ".xz", ".zst", "" };
	return sfx[c];
}

int comp_default_level(enum comp c)
{
	switch (c) {
	case COMP_GZIP: return 6;
	case COMP_XZ: return 6;
	case COMP_ZSTD: return 3;
	default: return 0;
	}
}

int comp_check_level(enum comp c, int level)
{
	int lo = 1, hi = 9;
	if (c == COMP_ZSTD)
		hi = 19;
	if (c == COMP_XZ)
		lo = 0;
	if (c == COMP_NONE)
		return 0;
	if (level < lo || level > hi)
		return rp_usage("--level %d: %s takes %d to %d", level, comp_name(c), lo, hi);
	return 0;
}

/* ---- worker side ---- */

static int wfail(struct zsink *z, const char *what)
{
	if (!z->wfailed)
		snprintf(z->werr, sizeof z->werr, "%s", what);
	z->wfailed = 1;
	return -1;
}

/* Makes the encoder's error visible to the producer; the caller holds mu
 * (or there is no worker). */
static void publish_error(struct zsink *z)
{
	if (z->wfailed && !z->failed) {
		memcpy(z->err, z->werr, sizeof z->err);
		z->failed = 1;
	}
}

static int out_write(struct zsink *z, const unsigned char *p, size_t n)
{
	if (z->holding) {
		buf_add(&z->hold, p, n);
		return 0;
	}
	if (z->outhash)
		hasher_update(&z->sha, p, n);
	z->outbytes += n;
	if (write_full(z->fd, p, n) < 0) {     /* no rp_err() here: a worker thread */
		char m[300];
		snprintf(m, sizeof m, "writing payload: %s", strerror(errno));
		return wfail(z, m);
	}
	return 0;
}

static int enc_start(struct zsink *z)
{
	hasher_init(&z->sha, H_SHA256);
	z->out = xmalloc(ZSINK_OUTBUF);
	switch (z->comp) {
	case COMP_GZIP:
		/* Each chunk (ZSINK_CHUNK bytes) becomes one gzip member, compressed
		 * by libdeflate (2-3x faster than zlib at the same level).  A
		 * concatenation of members is a valid gzip file that zlib's
		 * gzread (dpkg, rpm, apt), libarchive and gzip(1) read whole;
		 * members carry mtime 0: reproducible. */
		z->ld = libdeflate_alloc_compressor(z->level);
		if (!z->ld)
			return wfail(z, "libdeflate: cannot start the compressor");
		z->ldcap = libdeflate_gzip_compress_bound(z->ld, ZSINK_CHUNK);
		z->ldout = xmalloc(z->ldcap);
		break;
	case COMP_XZ: {
		/* One .xz stream of blocks, written here block by block (stream
		 * header, blocks, index, footer) rather than by liblzma's stream
		 * encoder, so that a block compressed once can sit in two streams
		 * (zsink.h).  Without a share: one block, as xz(1) writes. */
		lzma_stream init = LZMA_STREAM_INIT;
		z->xz = init;
		if (lzma_lzma_preset(&z->xopt, (uint32_t)z->level))
			return wfail(z, "liblzma: unsupported compression level");
		z->xf[0] = (lzma_filter){ LZMA_FILTER_LZMA2, &z->xopt };
		z->xf[1] = (lzma_filter){ LZMA_VLI_UNKNOWN, NULL };
		z->xidx = lzma_index_init(NULL);
		if (!z->xidx)
			return wfail(z, "liblzma: out of memory");
		break;
	}
	case COMP_ZSTD:
		z->zs = ZSTD_createCCtx();
		if (!z->zs || ZSTD_isError(ZSTD_CCtx_setParameter(z->zs, ZSTD_c_compressionLevel, z->level)))
			return wfail(z, "libzstd: cannot start the encoder");
		ZSTD_CCtx_setParameter(z->zs, ZSTD_c_checksumFlag, 1);
		break;
	case COMP_NONE:
		break;
	}
	return 0;
}

/* ---- xz: a stream of blocks ---- */

static int xz_fail(struct zsink *z, lzma_ret rc)
{
	return wfail(z, rc == LZMA_MEM_ERROR ? "liblzma: out of memory" : "liblzma: encoder failed");
}

static int xz_header(struct zsink *z)
{
	if (z->xhead)
		return 0;
	lzma_stream_flags fl = { .version = 0, .check = LZMA_CHECK_CRC64 };
	unsigned char h[LZMA_STREAM_HEADER_SIZE];
	lzma_ret rc = lzma_stream_header_encode(&fl, h);
	if (rc != LZMA_OK)
		return xz_fail(z, rc);
	z->xhead = 1;
	return out_write(z, h, sizeof h);
}

/* Runs the open block's encoder over p[0..n) (LZMA_FINISH: to its end). */
static int xz_code(struct zsink *z, const unsigned char *p, size_t n, lzma_action act)
{
	z->xz.next_in = p;
	z->xz.avail_in = n;
	lzma_ret rc;
	do {
		z->xz.next_out = z->out;
		z->xz.avail_out = ZSINK_OUTBUF;
		rc = lzma_code(&z->xz, act);
		if (rc != LZMA_OK && rc != LZMA_STREAM_END)
			return xz_fail(z, rc);
		if (out_write(z, z->out, ZSINK_OUTBUF - z->xz.avail_out))
			return -1;
	} while (z->xz.avail_out == 0 || (act == LZMA_FINISH && rc != LZMA_STREAM_END));
	return 0;
}

/* Starts a block of this sink's own data: its header (sizes unknown: the
 * data is streamed), then the encoder (which writes data, padding, check). */
static int xz_open(struct zsink *z)
{
	if (xz_header(z) < 0)
		return -1;
	z->xblk = (lzma_block){ .version = 0, .check = LZMA_CHECK_CRC64, .filters = z->xf,
				.compressed_size = LZMA_VLI_UNKNOWN, .uncompressed_size = LZMA_VLI_UNKNOWN };
	unsigned char h[LZMA_BLOCK_HEADER_SIZE_MAX];
	lzma_ret rc = lzma_block_header_size(&z->xblk);
	if (rc == LZMA_OK)
		rc = lzma_block_header_encode(&z->xblk, h);
	if (rc == LZMA_OK && out_write(z, h, z->xblk.header_size) < 0)
		return -1;
	if (rc == LZMA_OK)
		rc = lzma_block_encoder(&z->xz, &z->xblk);
	if (rc != LZMA_OK)
		return xz_fail(z, rc);
	z->xopen = 1;
	return 0;
}

/* Ends the open block (if any) and enters it in the index. */
static int xz_close(struct zsink *z)
{
	if (!z->xopen)
		return 0;
	z->xopen = 0;
	if (xz_code(z, NULL, 0, LZMA_FINISH) < 0)
		return -1;
	lzma_ret rc = lzma_index_append(z->xidx, NULL, lzma_block_unpadded_size(&z->xblk),
					z->xblk.uncompressed_size);
	return rc == LZMA_OK ? 0 : xz_fail(z, rc);
}

/* A block compressed elsewhere (a shared unit): its bytes and index entry. */
static int xz_put(struct zsink *z, const struct sunit *u)
{
	if (xz_close(z) < 0 || xz_header(z) < 0 || out_write(z, u->p, u->n) < 0)
		return -1;
	lzma_ret rc = lzma_index_append(z->xidx, NULL, u->unpadded, u->usize);
	return rc == LZMA_OK ? 0 : xz_fail(z, rc);
}

/* Ends the stream: the last block, the index, the footer. */
static int xz_end(struct zsink *z)
{
	if (xz_close(z) < 0 || xz_header(z) < 0)
		return -1;
	lzma_vli isz = lzma_index_size(z->xidx);
	unsigned char *ib = xmalloc(isz);
	size_t pos = 0;
	lzma_ret rc = lzma_index_buffer_encode(z->xidx, ib, &pos, isz);
	if (rc != LZMA_OK) {
		free(ib);
		return xz_fail(z, rc);
	}
	int w = out_write(z, ib, pos);
	free(ib);
	if (w < 0)
		return -1;
	lzma_stream_flags fl = { .version = 0, .backward_size = isz, .check = LZMA_CHECK_CRC64 };
	unsigned char f[LZMA_STREAM_HEADER_SIZE];
	rc = lzma_stream_footer_encode(&fl, f);
	if (rc != LZMA_OK)
		return xz_fail(z, rc);
	return out_write(z, f, sizeof f);
}

/* Compresses p[0..n); with fin set, ends the stream. */
static int enc_run(struct zsink *z, const unsigned char *p, size_t n, int fin)
{
	if (z->wfailed)
		return -1;
	switch (z->comp) {
	case COMP_NONE:
		return out_write(z, p, n);
	case COMP_GZIP: {
		/* one member per call; an empty stream still gets one member */
		if (n == 0 && (!fin || z->members))
			return 0;
		size_t need = libdeflate_gzip_compress_bound(z->ld, n);
		if (need > z->ldcap) {
			z->ldout = xrealloc(z->ldout, need);
			z->ldcap = need;
		}
		size_t k = libdeflate_gzip_compress(z->ld, p, n, z->ldout, z->ldcap);
		if (k == 0)
			return wfail(z, "libdeflate: compression failed");
		z->members++;
		return out_write(z, z->ldout, k);
	}
	case COMP_XZ:
		if (n && ((!z->xopen && xz_open(z) < 0) || xz_code(z, p, n, LZMA_RUN) < 0))
			return -1;
		return fin ? xz_end(z) : 0;
	case COMP_ZSTD: {
		ZSTD_inBuffer in = { p, n, 0 };
		size_t left;
		do {
			ZSTD_outBuffer out = { z->out, ZSINK_OUTBUF, 0 };
			left = ZSTD_compressStream2(z->zs, &out, &in, fin ? ZSTD_e_end : ZSTD_e_continue);
			if (ZSTD_isError(left))
				return wfail(z, ZSTD_getErrorName(left));
			if (out_write(z, z->out, out.pos))
				return -1;
		} while (in.pos < in.size || (fin && left != 0));
		return 0;
	}
	}
	return 0;
}

/* ---- compress once (zsink.h) ---- */

struct zshare *zshare_new(int nsinks)
{
	struct zshare *sh = xcalloc(1, sizeof *sh);
	pthread_mutex_init(&sh->mu, NULL);
	pthread_cond_init(&sh->cv, NULL);
	sh->nsinks = nsinks;
	return sh;
}

void zshare_free(struct zshare *sh)
{
	if (!sh)
		return;
	for (struct sunit *u = sh->units, *next; u; u = next) {
		next = u->next;
		free(u->p);
		free(u);
	}
	pthread_mutex_destroy(&sh->mu);
	pthread_cond_destroy(&sh->cv);
	free(sh);
}

static struct sunit *unit_find(struct zshare *sh, uint64_t key, uint32_t seq)
{
	for (struct sunit *u = sh->units; u; u = u->next)
		if (u->key == key && u->seq == seq)
			return u;
	return NULL;
}

/* A new unit, claimed by the caller (who holds sh->mu). */
static struct sunit *unit_claim(struct zshare *sh, uint64_t key, uint32_t seq)
{
	struct sunit *u = xcalloc(1, sizeof *u);
	u->key = key;
	u->seq = seq;
	u->state = SU_CLAIMED;
	u->refs = sh->nsinks;
	u->next = sh->units;
	sh->units = u;
	return u;
}

/* c as an xz block of its own into out (*cap bytes, grown); its size, or 0.
 * The dictionary is no larger than the data: the same block, in less
 * memory, than with the level's own dictionary. */
static size_t xz_unit(struct zsink *z, struct sunit *u, const struct chunk *c, unsigned char **out)
{
	lzma_options_lzma o = z->xopt;
	if (o.dict_size > c->len)
		o.dict_size = c->len > LZMA_DICT_SIZE_MIN ? (uint32_t)c->len : LZMA_DICT_SIZE_MIN;
	lzma_filter f[2] = { { LZMA_FILTER_LZMA2, &o }, { LZMA_VLI_UNKNOWN, NULL } };
	lzma_block b = { .version = 0, .check = LZMA_CHECK_CRC64, .filters = f };
	size_t cap = lzma_block_buffer_bound(c->len), pos = 0;
	*out = xmalloc(cap);
	if (lzma_block_buffer_encode(&b, NULL, c->p, c->len, *out, &pos, cap) != LZMA_OK)
		return 0;
	u->unpadded = lzma_block_unpadded_size(&b);
	u->usize = b.uncompressed_size;
	return pos;
}

/* Compresses c into the claimed unit u on this worker (a gzip member or an
 * xz block of its own) and marks it done. */
static void unit_fill(struct zsink *z, struct sunit *u, const struct chunk *c)
{
	unsigned char *out;
	size_t k;
	if (z->comp == COMP_XZ) {
		k = xz_unit(z, u, c, &out);
	} else {
		size_t cap = libdeflate_gzip_compress_bound(z->ld, c->len);
		out = xmalloc(cap);
		k = libdeflate_gzip_compress(z->ld, c->p, c->len, out, cap);
	}
	pthread_mutex_lock(&z->share->mu);
	u->p = out;
	u->n = k;
	u->state = k ? SU_DONE : SU_FAILED;
	pthread_cond_broadcast(&z->share->cv);
	pthread_mutex_unlock(&z->share->mu);
}

/* gzip: compresses a chunk of sink o's own data queued in o's ring (not
 * yet compressed ahead) with z's compressor into a member of its own,
 * which o's worker writes when its turn comes.  o may be z, or another
 * sink (of the same level) whose worker z's helps.  1 if one was done. */
static int own_ahead(struct zsink *z, struct zsink *o)
{
	struct chunk c, *own = NULL;
	if (z->comp != COMP_GZIP || o->comp != COMP_GZIP)
		return 0;
	pthread_mutex_lock(&o->mu);
	for (unsigned i = 0; i < o->count && !own && o->npre < ZSINK_PRE_MAX; i++) {
		struct chunk *r = &o->ring[(o->head + i) % ZSINK_NBUF_SHARED];
		if (!r->skey && !r->pre && !r->prebusy && r->len)
			own = r;
	}
	if (own) {
		own->prebusy = 1;       /* o's worker waits for it before taking it */
		o->npre++;
		c = *own;
	}
	pthread_mutex_unlock(&o->mu);
	if (!own)
		return 0;
	/* c.p stays as it is until o's worker takes own off the ring */
	size_t cap = libdeflate_gzip_compress_bound(z->ld, c.len);
	unsigned char *out = xmalloc(cap);
	size_t k = libdeflate_gzip_compress(z->ld, c.p, c.len, out, cap);
	pthread_mutex_lock(&o->mu);
	own->prebusy = 0;
	if (k) {
		own->pre = out;
		own->pren = k;
	} else {
		free(out);      /* compressed again in its turn, which reports it */
		o->npre--;
	}
	pthread_cond_broadcast(&o->cv_full);
	pthread_mutex_unlock(&o->mu);
	return 1;
}

/* own_ahead() on another registered sink: 1 if one chunk was done. */
static int help_other(struct zsink *z)
{
	struct zshare *sh = z->share;
	pthread_mutex_lock(&sh->mu);
	for (int i = 0; i < sh->nreg; i++) {
		struct zsink *o = sh->sink[i];
		if (o == z)
			continue;
		o->helpers++;   /* o's worker does not end while it counts */
		pthread_mutex_unlock(&sh->mu);
		int did = own_ahead(z, o);
		pthread_mutex_lock(&sh->mu);
		o->helpers--;
		pthread_cond_broadcast(&sh->cv);
		if (did) {
			pthread_mutex_unlock(&sh->mu);
			return 1;
		}
	}
	pthread_mutex_unlock(&sh->mu);
	return 0;
}

/* While this worker waits on a unit the other sink's worker compresses:
 * compress a unit queued behind it in this sink's ring that nobody has
 * claimed yet; with gzip, else a chunk of own data queued in this sink's
 * ring or in the other's (each own chunk is a member of its own, written
 * in its turn: every gzip chunk can be compressed by either core).
 * 1 if one was compressed, 0 if there was none. */
static int unit_ahead(struct zsink *z)
{
	if (!z->threaded)
		return 0;
	struct sunit *u = NULL;
	struct chunk c;
	pthread_mutex_lock(&z->mu);
	for (unsigned i = 0; i < z->count && !u; i++) {
		c = z->ring[(z->head + i) % ZSINK_NBUF_SHARED];
		if (!c.skey)
			continue;
		pthread_mutex_lock(&z->share->mu);
		if (!unit_find(z->share, c.skey, c.sseq))
			u = unit_claim(z->share, c.skey, c.sseq);
		pthread_mutex_unlock(&z->share->mu);
	}
	pthread_mutex_unlock(&z->mu);
	if (u) {
		/* c.p stays as it is until this worker takes c off the ring */
		unit_fill(z, u, &c);
		return 1;
	}
	return own_ahead(z, z) || help_other(z);
}

static void digest_chunk(struct zsink *z, const struct chunk *c);

/* A chunk the worker took off the ring is done: back to the free list
 * (the caller holds mu). */
static void chunk_done(struct zsink *z, struct chunk *c)
{
	publish_error(z);
	c->len = 0;
	c->nseg = 0;
	c->skey = 0;
	if (c->pre)
		z->npre--;
	free(c->pre);
	c->pre = NULL;
	c->pren = 0;
	z->freelist[z->nfree++] = *c;
	pthread_cond_signal(&z->cv_free);
}

/* xz, while this worker waits on a unit the other's worker compresses and
 * has no unit of its own to compress: the sink's own data queued right
 * behind the unit goes on, in a new block held in memory (hold) until the
 * unit is written: [own block, closed now][unit][held block, open].
 * 1 if a chunk was compressed so, 0 if the next is not own data. */
static int xz_own_ahead(struct zsink *z)
{
	if (z->comp != COMP_XZ || !z->threaded || z->wfailed)
		return 0;
	struct chunk c;
	pthread_mutex_lock(&z->mu);
	int own = z->count > 0 && !z->ring[z->head].skey;
	if (own) {
		c = z->ring[z->head];
		z->head = (z->head + 1) % ZSINK_NBUF_SHARED;
		z->count--;
	}
	pthread_mutex_unlock(&z->mu);
	if (!own)
		return 0;
	if (!z->holding && xz_close(z) == 0 && xz_header(z) == 0)
		z->holding = 1;
	digest_chunk(z, &c);
	if (z->holding)
		enc_run(z, c.p, c.len, 0);
	pthread_mutex_lock(&z->mu);
	chunk_done(z, &c);
	pthread_mutex_unlock(&z->mu);
	return 1;
}

/* The unit u after held own data: the unit, then what was held; the
 * held block stays open for the own data that follows. */
static int xz_put_held(struct zsink *z, const struct sunit *u)
{
	z->holding = 0;
	if (out_write(z, u->p, u->n) < 0)
		return -1;
	lzma_ret rc = lzma_index_append(z->xidx, NULL, u->unpadded, u->usize);
	if (rc != LZMA_OK)
		return xz_fail(z, rc);
	int w = out_write(z, (const unsigned char *)z->hold.p, z->hold.len);
	z->hold.len = 0;
	return w;
}

/* Writes the shared unit of chunk c: compressed here, or by the other
 * sink's worker. */
static int enc_shared(struct zsink *z, const struct chunk *c)
{
	if (z->wfailed)
		return -1;
	struct zshare *sh = z->share;
	pthread_mutex_lock(&sh->mu);
	struct sunit *u = unit_find(sh, c->skey, c->sseq);
	if (!u) {
		u = unit_claim(sh, c->skey, c->sseq);
		pthread_mutex_unlock(&sh->mu);
		unit_fill(z, u, c);
		pthread_mutex_lock(&sh->mu);
	}
	while (u->state == SU_CLAIMED) {
		pthread_mutex_unlock(&sh->mu);
		int did = unit_ahead(z) || xz_own_ahead(z);
		pthread_mutex_lock(&sh->mu);
		if (!did)
			while (u->state == SU_CLAIMED)
				pthread_cond_wait(&sh->cv, &sh->mu);
	}
	pthread_mutex_unlock(&sh->mu);
	int rc;
	if (u->state != SU_DONE) {
		z->holding = 0;
		rc = wfail(z, z->comp == COMP_XZ ? "liblzma: encoder failed" : "libdeflate: compression failed");
	} else if (z->comp == COMP_XZ) {
		rc = z->holding ? xz_put_held(z, u) : xz_put(z, u);
	} else if ((rc = out_write(z, u->p, u->n)) == 0) {
		z->members++;
	}
	pthread_mutex_lock(&sh->mu);
	if (--u->refs == 0) {
		struct sunit **pp = &sh->units;
		while (*pp != u)
			pp = &(*pp)->next;
		*pp = u->next;
		free(u->p);
		free(u);
	}
	pthread_mutex_unlock(&sh->mu);
	return rc;
}

/* A chunk: shared, or compressed into this sink's own stream (or
 * compressed ahead: its member). */
static int enc_chunk(struct zsink *z, const struct chunk *c)
{
	if (c->skey)
		return enc_shared(z, c);
	if (c->pre) {
		if (z->wfailed)
			return -1;
		z->members++;
		return out_write(z, c->pre, c->pren);
	}
	return enc_run(z, c->p, c->len, 0);
}

/* The per-entry digests of chunk c (encoder's thread). */
static void digest_chunk(struct zsink *z, const struct chunk *c)
{
	for (size_t i = 0; i < c->nseg; i++) {
		const struct seg *g = &c->seg[i];
		if (g->out != z->fout || g->len == 0) {
			if (z->fout)
				hasher_final(&z->fh, z->fout);
			hasher_reset(&z->fh);
			z->fout = g->out;
		}
		hasher_update(&z->fh, c->p + g->off, g->len);
	}
}

static void digest_end(struct zsink *z)
{
	if (z->dalgo < 0)
		return;
	if (z->fout)
		hasher_final(&z->fh, z->fout);
	z->fout = NULL;
	hasher_free(&z->fh);
	z->dalgo = -1;
}

static void enc_end(struct zsink *z)
{
	if (z->comp == COMP_GZIP) {
		libdeflate_free_compressor(z->ld);
		z->ld = NULL;
		free(z->ldout);
		z->ldout = NULL;
	} else if (z->comp == COMP_XZ) {
		lzma_end(&z->xz);
		lzma_index_end(z->xidx, NULL);
		z->xidx = NULL;
	}
	else if (z->comp == COMP_ZSTD)
		ZSTD_freeCCtx(z->zs);
	z->zs = NULL;
	buf_free(&z->hold);
	hasher_final(&z->sha, z->sha256);
	hasher_free(&z->sha);
	free(z->out);
	z->out = NULL;
}

static void *worker(void *arg)
{
	struct zsink *z = arg;
	pthread_mutex_lock(&z->mu);
	for (;;) {
		while (z->count == 0 && !z->closing)
			pthread_cond_wait(&z->cv_full, &z->mu);
		if (z->count == 0 && z->closing)
			break;
		while (z->ring[z->head].prebusy)        /* the other worker compresses it */
			pthread_cond_wait(&z->cv_full, &z->mu);
		struct chunk c = z->ring[z->head];
		z->head = (z->head + 1) % ZSINK_NBUF_SHARED;
		z->count--;
		pthread_mutex_unlock(&z->mu);
		digest_chunk(z, &c);
		enc_chunk(z, &c);
		pthread_mutex_lock(&z->mu);
		chunk_done(z, &c);
	}
	pthread_mutex_unlock(&z->mu);
	if (z->registered) {    /* no helper comes in after this, none is inside */
		struct zshare *sh = z->share;
		pthread_mutex_lock(&sh->mu);
		for (int i = 0; i < sh->nreg; i++)
			if (sh->sink[i] == z)
				sh->sink[i--] = sh->sink[--sh->nreg];
		z->registered = 0;
		while (z->helpers)
			pthread_cond_wait(&sh->cv, &sh->mu);
		pthread_mutex_unlock(&sh->mu);
	}
	digest_end(z);
	enc_run(z, NULL, 0, 1);
	enc_end(z);
	pthread_mutex_lock(&z->mu);
	publish_error(z);
	pthread_mutex_unlock(&z->mu);
	return NULL;
}

/* ---- producer side ---- */

static void chunk_free(struct chunk *c)
{
	free(c->p);
	free(c->seg);
	free(c->pre);
	memset(c, 0, sizeof *c);
}

struct zsink *zsink_new(int fd, enum comp c, int level, int threaded)
{
	struct zsink *z = xcalloc(1, sizeof *z);
	z->fd = fd;
	z->comp = c;
	z->level = level;
	z->threaded = threaded;
	z->dalgo = -1;
	if (enc_start(z) < 0) {
		z->threaded = 0;
		publish_error(z);
		z->pfailed = 1;
		return z;   /* the error surfaces at the first write */
	}
	if (!threaded) {
		z->cur.p = xmalloc(ZSINK_CHUNK);
		return z;
	}
	pthread_mutex_init(&z->mu, NULL);
	pthread_cond_init(&z->cv_full, NULL);
	pthread_cond_init(&z->cv_free, NULL);
	for (unsigned i = 0; i < ZSINK_NBUF; i++)
		z->freelist[i].p = xmalloc(ZSINK_CHUNK);
	z->nfree = ZSINK_NBUF - 1;
	z->cur = z->freelist[ZSINK_NBUF - 1];
	if (pthread_create(&z->thread, NULL, worker, z) != 0) {
		/* fall back to compressing inline */
		for (unsigned i = 0; i < z->nfree; i++)
			chunk_free(&z->freelist[i]);
		z->nfree = 0;
		z->threaded = 0;
	}
	return z;
}

/* Only when failed was read under mu (or the worker is gone). */
static int producer_error(struct zsink *z)
{
	z->pfailed = 1;
	return rp_err("%s", z->err[0] ? z->err : "compression failed");
}

static int hand_over(struct zsink *z)
{
	if (!z->threaded) {
		digest_chunk(z, &z->cur);
		int rc = enc_chunk(z, &z->cur);
		z->cur.len = 0;
		z->cur.nseg = 0;
		z->cur.skey = 0;
		publish_error(z);
		return rc < 0 ? producer_error(z) : 0;
	}
	pthread_mutex_lock(&z->mu);
	z->ring[(z->head + z->count) % ZSINK_NBUF_SHARED] = z->cur;
	z->count++;
	pthread_cond_signal(&z->cv_full);
	while (z->nfree == 0)
		pthread_cond_wait(&z->cv_free, &z->mu);
	z->cur = z->freelist[--z->nfree];
	int failed = z->failed;
	pthread_mutex_unlock(&z->mu);
	return failed ? producer_error(z) : 0;
}

static void seg_add(struct chunk *c, uint32_t off, uint32_t len, unsigned char *out)
{
	if (len && c->nseg) {
		struct seg *last = &c->seg[c->nseg - 1];
		if (last->len && last->out == out && last->off + last->len == off) {
			last->len += len;
			return;
		}
	}
	if (c->nseg == c->segcap) {
		c->segcap = c->segcap ? 2 * c->segcap : 64;
		c->seg = xrealloc(c->seg, c->segcap * sizeof *c->seg);
	}
	c->seg[c->nseg++] = (struct seg){ off, len, out };
}

void zsink_digest_algo(struct zsink *z, int algo)
{
	if (z->dalgo >= 0 || z->in)
		return;
	z->dalgo = algo;
	/* the worker reads fh only after the first chunk is handed over
	 * (the mutex orders it), or runs on this thread */
	hasher_init(&z->fh, (enum halgo)algo);
}

void zsink_digest_begin(struct zsink *z, unsigned char *out)
{
	z->dout = out;
	if (z->dalgo < 0 || !out)
		return;
	seg_add(&z->cur, (uint32_t)z->cur.len, 0, out);
}

void zsink_digest_on(struct zsink *z) { z->don = z->dalgo >= 0 && z->dout; }
void zsink_digest_off(struct zsink *z) { z->don = 0; }

void zsink_share(struct zsink *z, struct zshare *sh)
{
	if (z->comp == COMP_GZIP || z->comp == COMP_XZ)
		z->share = sh;
	if (z->share && z->threaded) {
		pthread_mutex_lock(&z->mu);
		for (unsigned i = ZSINK_NBUF; i < ZSINK_NBUF_SHARED; i++)   /* fresh: a free slot may hold a stale copy */
			z->freelist[z->nfree++] = (struct chunk){ .p = xmalloc(ZSINK_CHUNK) };
		pthread_mutex_unlock(&z->mu);
	}
	if (z->comp == COMP_GZIP && z->threaded) {
		pthread_mutex_lock(&sh->mu);
		if (sh->nreg < (int)(sizeof sh->sink / sizeof sh->sink[0])) {
			sh->sink[sh->nreg++] = z;
			z->registered = 1;
		}
		pthread_mutex_unlock(&sh->mu);
	}
}

void zsink_share_key(struct zsink *z, uint64_t key) { z->skey = z->share ? key : 0; }

/* Hands cur over where shared data begins or ends (if it holds anything),
 * marking a chunk of shared data with its key and index. */
static int cut(struct zsink *z)
{
	if (z->sharing) {
		z->cur.skey = z->skey;
		z->cur.sseq = z->sseq++;
	}
	return z->cur.len ? hand_over(z) : 0;
}

int zsink_write(struct zsink *z, const void *p, size_t n)
{
	const unsigned char *s = p;
	if (z->pfailed)
		return producer_error(z);
	if (n && z->sharing != (z->skey && z->don)) {
		if (cut(z) < 0)
			return -1;
		z->sharing = !z->sharing;
		z->sseq = 0;
		if (!z->sharing)
			z->skey = 0;   /* an entry's data is one run */
	}
	z->in += n;
	while (n) {
		size_t room = ZSINK_CHUNK - z->cur.len;
		size_t k = n < room ? n : room;
		if (z->don)
			seg_add(&z->cur, (uint32_t)z->cur.len, (uint32_t)k, z->dout);
		memcpy(z->cur.p + z->cur.len, s, k);
		z->cur.len += k;
		s += k;
		n -= k;
		if (z->cur.len == ZSINK_CHUNK && cut(z) < 0)
			return -1;
	}
	return 0;
}

int zsink_finish(struct zsink *z)
{
	if (z->sharing && z->cur.len && !z->pfailed && cut(z) < 0)
		return -1;
	z->sharing = 0;
	if (!z->threaded) {
		if (!z->wfailed && z->cur.p) {
			digest_chunk(z, &z->cur);
			digest_end(z);
			enc_run(z, z->cur.p, z->cur.len, 1);
		}
		if (z->out)
			enc_end(z);
		chunk_free(&z->cur);
		publish_error(z);
		return z->failed ? producer_error(z) : 0;
	}
	pthread_mutex_lock(&z->mu);
	if (z->cur.len || z->cur.nseg) {
		z->ring[(z->head + z->count) % ZSINK_NBUF_SHARED] = z->cur;
		z->count++;
	} else {
		z->freelist[z->nfree++] = z->cur;
	}
	memset(&z->cur, 0, sizeof z->cur);
	z->closing = 1;
	pthread_cond_signal(&z->cv_full);
	pthread_mutex_unlock(&z->mu);
	pthread_join(z->thread, NULL);
	z->threaded = 0;
	for (unsigned i = 0; i < z->nfree; i++)
		chunk_free(&z->freelist[i]);
	z->nfree = 0;
	pthread_mutex_destroy(&z->mu);
	pthread_cond_destroy(&z->cv_full);
	pthread_cond_destroy(&z->cv_free);
	return z->failed ? producer_error(z) : 0;
}

uint64_t zsink_bytes_in(const struct zsink *z) { return z->in; }
uint64_t zsink_bytes_out(const struct zsink *z) { return z->outbytes; }
void zsink_hash_output(struct zsink *z) { z->outhash = 1; }
const unsigned char *zsink_out_sha256(const struct zsink *z) { return z->sha256; }

void zsink_free(struct zsink *z)
{
	if (!z)
		return;
	if (z->threaded)
		zsink_finish(z);   /* joins the worker; result no longer wanted */
	chunk_free(&z->cur);
	if (z->dalgo >= 0)
		hasher_free(&z->fh);
	if (z->out)
		enc_end(z);
	free(z);
}
