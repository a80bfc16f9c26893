/* ingest.c — reading and validating the input tarball; see ingest.h. */
#include "ingest.h"
#include "progress.h"
#include "atomic.h"
#include "buf.h"
#include "error.h"
#include "gunzip.h"

#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SMALL_MAX INGEST_SMALL_MAX
#define NAME_MAX_TOTAL 3800     /* leaves room for /opt/NAME/releases/VERSION/ */
#define COMPONENT_MAX 255
#define LINK_HOPS_MAX 40        /* as the kernel's ELOOP */

void ingest_init(struct ingest *in, const char *path, int64_t clamp_mtime)
{
	memset(in, 0, sizeof *in);
	in->path = xstrdup(path);
	in->fd = -1;
	in->max_size = INGEST_MAX_SIZE_DEFAULT;
	in->clamp_mtime = clamp_mtime;
	in->spool_fd = -1;
}

void ingest_free(struct ingest *in)
{
	for (size_t i = 0; i < in->n; i++) {
		if (!in->names_borrowed)
			free(in->v[i].name);
		free(in->v[i].link);
	}
	for (size_t i = 0; i < in->nsmall; i++) {
		free(in->small[i].name);
		free(in->small[i].data);
	}
	if (in->fd >= 0)
		close(in->fd);
	if (in->spool_fd >= 0)
		close(in->spool_fd);
	free(in->spool_mem);
	free(in->v);
	free(in->small);
	free(in->sorted);
	free(in->strip);
	free(in->path);
	memset(in, 0, sizeof *in);
	in->fd = -1;
	in->spool_fd = -1;
}

void ingest_borrow_names(struct ingest *in, const char *(*name_of)(void *ctx, size_t i), void *ctx)
{
	if (in->names_borrowed)
		return;
	for (size_t i = 0; i < in->n; i++) {
		char *p = (char *)name_of(ctx, i);
		if (strcmp(p, in->v[i].name))
			abort();        /* a caller's bug: the same name is required */
		free(in->v[i].name);
		in->v[i].name = p;
	}
	in->names_borrowed = 1;
}

/* ---- the one descriptor ----
 *
 * Both walks read in->fd with pread() at their own offsets, so neither
 * disturbs the other and nothing is read by path twice. */

static const char *tmp_dir(void)
{
	const char *dir = getenv("TMPDIR");
	return dir && *dir ? dir : "/tmp";
}

/* A FIFO, pipe or terminal can be read only once: copy it to an anonymous
 * file in $TMPDIR (gone when closed), at most max_size bytes. */
static int spool(struct ingest *in, int src)
{
	const char *dir = tmp_dir();
	int fd = scratch_open(dir);
	if (fd < 0) {
		close(src);
		return rp_errno("%s: cannot copy the piped tarball to a temporary file in %s "
				"(set TMPDIR, or give the tarball as a file)", in->path, dir);
	}
	static unsigned char b[1 << 16];
	uint64_t total = 0;
	for (;;) {
		ssize_t r = read(src, b, sizeof b);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rp_errno("%s: read", in->path);
			goto fail;
		}
		if (r == 0)
			break;
		total += (uint64_t)r;
		if (total > in->max_size) {
			rp_err("%s: more than %llu bytes arrive on this pipe (--max-size): refused; "
			       "raise --max-size if this is intended", in->path, (unsigned long long)in->max_size);
			goto fail;
		}
		if (write_full(fd, b, (size_t)r) < 0) {
			rp_errno("%s: copying the piped tarball to %s", in->path, dir);
			goto fail;
		}
	}
	close(src);
	return fd;
fail:
	close(fd);
	close(src);
	return -1;
}

static int open_input(struct ingest *in)
{
	int fd = open(in->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return rp_errno("%s", in->path);
	struct stat st;
	if (fstat(fd, &st) < 0) {
		rp_errno("%s", in->path);
		close(fd);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return rp_err("%s: a directory, not a tarball: give the release tarball "
			      "(e.g. _build/prod/rel/NAME/NAME-VSN.tar.gz)", in->path);
	}
	if (!S_ISREG(st.st_mode)) {
		fd = spool(in, fd);
		if (fd < 0)
			return -1;
		if (fstat(fd, &st) < 0) {
			rp_errno("%s", in->path);
			close(fd);
			return -1;
		}
	}
	in->fd = fd;
	in->st = st;
	return 0;
}

/* The file still is what the scan saw (same descriptor, so the same inode;
 * size and mtime tell a rewrite in place). */
static int same_file(const struct ingest *in)
{
	struct stat st;
	if (fstat(in->fd, &st) < 0)
		return rp_errno("%s", in->path);
	if (st.st_dev != in->st.st_dev || st.st_ino != in->st.st_ino || st.st_size != in->st.st_size ||
	    st.st_mtim.tv_sec != in->st.st_mtim.tv_sec || st.st_mtim.tv_nsec != in->st.st_mtim.tv_nsec)
		return rp_err("%s: the file changed while relpkg read it (size or modification time "
			      "differ from the first read): refused; build from a finished tarball", in->path);
	return 0;
}

struct fdsrc {
	int fd;
	uint64_t off, size;
	unsigned char buf[1 << 16];
};

static la_ssize_t fd_read(struct archive *a, void *ctx, const void **buf)
{
	struct fdsrc *f = ctx;
	*buf = f->buf;
	for (;;) {
		ssize_t r = pread(f->fd, f->buf, sizeof f->buf, (off_t)f->off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			archive_set_error(a, errno, "read error");
			return -1;
		}
		f->off += (uint64_t)r;
		return r;
	}
}

static la_int64_t fd_skip(struct archive *a, void *ctx, la_int64_t n)
{
	struct fdsrc *f = ctx;
	(void)a;
	if (n <= 0 || f->off >= f->size)
		return 0;
	if ((uint64_t)n > f->size - f->off)
		n = (la_int64_t)(f->size - f->off);
	f->off += (uint64_t)n;
	return n;
}

static int fd_close(struct archive *a, void *ctx)
{
	(void)a;
	free(ctx);
	return ARCHIVE_OK;
}

/* ---- the spool: the scan's decompressed stream, kept for the data pass ----
 *
 * Bounded by what the entries declare: their file data so far plus
 * TEE_PER_ENTRY of headers (long names, pax records, padding) per entry
 * and TEE_SLACK of read-ahead; a stream that grows past it is refused
 * (a small tarball must not fill $TMPDIR). */
#define TEE_PER_ENTRY (16u << 10)
#define TEE_SLACK (16ull << 20)

/* Moves a spool that outgrew memory to an anonymous file in $TMPDIR. */
static int spool_to_file(struct ingest *in)
{
	in->spool_fd = scratch_open(tmp_dir());
	if (in->spool_fd < 0 || write_full(in->spool_fd, in->spool_mem, (size_t)in->spool_size) < 0)
		return -1;
	free(in->spool_mem);
	in->spool_mem = NULL;
	return 0;
}

static int tee_put(struct archive *a, struct ingest *in, const void *p, size_t n)
{
	if (!in->spooled || n == 0)
		return 0;
	uint64_t bound = in->total + ((uint64_t)in->n + 1) * TEE_PER_ENTRY + TEE_SLACK;
	if (in->spool_size + n > bound) {
		snprintf(in->spool_err, sizeof in->spool_err, "the decompressed tar stream is larger than its "
			 "entries explain (more than %llu bytes for %zu entries holding %llu bytes of file data): "
			 "refused", (unsigned long long)bound, in->n, (unsigned long long)in->total);
		archive_set_error(a, EFBIG, "%s", in->spool_err);
		return -1;
	}
	if (in->spool_fd < 0 && in->spool_size + n <= INGEST_SPOOL_MEM) {
		memcpy(in->spool_mem + in->spool_size, p, n);
		in->spool_size += n;
		return 0;
	}
	if ((in->spool_fd < 0 && spool_to_file(in) < 0) || write_full(in->spool_fd, p, n) < 0) {
		snprintf(in->spool_err, sizeof in->spool_err, "keeping the decompressed tarball in a temporary "
			 "file in %s: %s (set TMPDIR to a directory with room for the unpacked release)",
			 tmp_dir(), strerror(errno));
		archive_set_error(a, errno, "%s", in->spool_err);
		return -1;
	}
	in->spool_size += n;
	return 0;
}

/* gzip input is inflated by gunzip.c rather than by libarchive, because
 * libarchive does not check the gzip CRC-32: a flipped bit in a tarball
 * must be an error, not a silently different release.  The scan inflates
 * on a thread of its own (issue 17: inflating is most of the scan, and
 * the compressor threads do not exist yet) into a ring of GZ_BUFS
 * buffers; the main thread parses the tar stream and keeps the spool.
 * The thread touches nothing but its gunzip, the descriptor (pread) and
 * the ring.  Without a thread (pthread_create failed) it inflates inline. */
#define GZ_BUFS 4
#define GZ_BUF (256u << 10)

struct gzsrc {
	int fd;
	uint64_t off;
	struct ingest *ing;     /* the spool the inflated bytes go to */
	struct gunzip g;
	unsigned char in[1 << 16];
	unsigned char *out[GZ_BUFS];
	long len[GZ_BUFS];      /* filled slot: bytes, 0 at the end, -1 error */
	size_t filled, taken;   /* slots the thread filled / main took (mod GZ_BUFS) */
	int held;               /* main still reads the last slot it took */
	int stop, threaded;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static long gz_input(void *ctx, const void **p, char *err, size_t errlen)
{
	struct gzsrc *s = ctx;
	for (;;) {
		ssize_t r = pread(s->fd, s->in, sizeof s->in, (off_t)s->off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "read error: %s", strerror(errno));
			return -1;
		}
		s->off += (uint64_t)r;
		*p = s->in;
		return (long)r;
	}
}

static void *gz_inflater(void *ctx)
{
	struct gzsrc *s = ctx;
	for (;;) {
		pthread_mutex_lock(&s->mu);
		while (!s->stop && s->filled - s->taken == GZ_BUFS)
			pthread_cond_wait(&s->cv, &s->mu);
		int stop = s->stop;
		size_t slot = s->filled % GZ_BUFS;
		pthread_mutex_unlock(&s->mu);
		if (stop)
			return NULL;
		long n = gunzip_read(&s->g, s->out[slot], GZ_BUF);
		pthread_mutex_lock(&s->mu);
		s->len[slot] = n;
		s->filled++;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		if (n <= 0)
			return NULL;
	}
}

static la_ssize_t gz_read(struct archive *a, void *ctx, const void **buf)
{
	struct gzsrc *s = ctx;
	long n;
	if (!s->threaded) {
		*buf = s->out[0];
		n = gunzip_read(&s->g, s->out[0], GZ_BUF);
	} else {
		pthread_mutex_lock(&s->mu);
		if (s->held) {          /* libarchive is done with the slot it had */
			s->taken++;
			s->held = 0;
			pthread_cond_broadcast(&s->cv);
		}
		while (s->filled == s->taken)
			pthread_cond_wait(&s->cv, &s->mu);
		size_t slot = s->taken % GZ_BUFS;
		n = s->len[slot];
		if (n > 0)
			s->held = 1;    /* an end or an error stays the last slot */
		pthread_mutex_unlock(&s->mu);
		*buf = s->out[slot];
	}
	if (n < 0)
		archive_set_error(a, EIO, "%s", s->g.err);
	if (n > 0 && tee_put(a, s->ing, *buf, (size_t)n) < 0)
		return -1;
	return (la_ssize_t)n;
}

static int gz_close(struct archive *a, void *ctx)
{
	struct gzsrc *s = ctx;
	(void)a;
	if (s->threaded) {
		pthread_mutex_lock(&s->mu);
		s->stop = 1;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->thread, NULL);
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mu);
	}
	gunzip_end(&s->g);
	for (size_t i = 0; i < GZ_BUFS; i++)
		free(s->out[i]);
	free(s);
	return ARCHIVE_OK;
}

/* The gzip source of the scan, its inflater thread started; NULL after
 * rp_err(). */
static struct gzsrc *gzsrc_open(struct ingest *in)
{
	struct gzsrc *g = xcalloc(1, sizeof *g);
	g->fd = in->fd;
	g->ing = in;
	if (gunzip_init(&g->g, gz_input, g) < 0) {
		rp_err("%s: %s", in->path, g->g.err);
		free(g);
		return NULL;
	}
	for (size_t i = 0; i < GZ_BUFS; i++)
		g->out[i] = xmalloc(GZ_BUF);
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	g->threaded = pthread_create(&g->thread, NULL, gz_inflater, g) == 0;
	if (!g->threaded) {
		pthread_cond_destroy(&g->cv);
		pthread_mutex_destroy(&g->mu);
	}
	return g;
}

/* Other compressed input: libarchive's filters decompress it (format
 * "raw"), and the tar reader reads that stream through raw_read. */
struct rawsrc {
	struct archive *inner;
	struct ingest *in;
};

static la_ssize_t raw_read(struct archive *a, void *ctx, const void **buf)
{
	struct rawsrc *s = ctx;
	const void *p = NULL;
	size_t len = 0;
	la_int64_t off;
	int r;
	do
		r = archive_read_data_block(s->inner, &p, &len, &off);
	while (r == ARCHIVE_OK && len == 0);
	if (r == ARCHIVE_EOF)
		return 0;
	if (r != ARCHIVE_OK) {
		archive_set_error(a, archive_errno(s->inner) > 0 ? archive_errno(s->inner) : EIO, "%s",
				  archive_error_string(s->inner) ? archive_error_string(s->inner) : "read error");
		return -1;
	}
	if (tee_put(a, s->in, p, len) < 0)
		return -1;
	*buf = p;
	return (la_ssize_t)len;
}

static int raw_close(struct archive *a, void *ctx)
{
	struct rawsrc *s = ctx;
	(void)a;
	archive_read_free(s->inner);
	free(s);
	return ARCHIVE_OK;
}

enum packing { PACK_NONE, PACK_GZIP, PACK_OTHER };

/* What the first bytes say: gzip, another compressor libarchive reads
 * (bzip2, xz, zstd, lz4), or a plain tar. */
static enum packing packing_of(int fd)
{
	static const struct { unsigned char m[6]; size_t n; } magic[] = {
		{ { 'B', 'Z', 'h' }, 3 },                       /* bzip2 */
		{ { 0xfd, '7', 'z', 'X', 'Z', 0 }, 6 },         /* xz */
		{ { 0x28, 0xb5, 0x2f, 0xfd }, 4 },              /* zstd */
		{ { 0x04, 0x22, 0x4d, 0x18 }, 4 },              /* lz4 */
		{ { 0x02, 0x21, 0x4c, 0x18 }, 4 },              /* lz4 (legacy) */
	};
	unsigned char m[6];
	ssize_t k = pread(fd, m, sizeof m, 0);
	if (k >= 2 && m[0] == 0x1f && m[1] == 0x8b)
		return PACK_GZIP;
	for (size_t i = 0; i < sizeof magic / sizeof magic[0]; i++)
		if (k >= (ssize_t)magic[i].n && !memcmp(m, magic[i].m, magic[i].n))
			return PACK_OTHER;
	return PACK_NONE;
}

static struct fdsrc *fdsrc_new(int fd, uint64_t size)
{
	struct fdsrc *f = xcalloc(1, sizeof *f);
	f->fd = fd;
	f->size = size;
	return f;
}

/* The decompressing reader of a PACK_OTHER input, or NULL after rp_err(). */
static struct rawsrc *rawsrc_open(struct ingest *in)
{
	struct rawsrc *s = xcalloc(1, sizeof *s);
	s->in = in;
	s->inner = archive_read_new();
	archive_read_support_format_raw(s->inner);
	archive_read_support_filter_bzip2(s->inner);
	archive_read_support_filter_xz(s->inner);
	archive_read_support_filter_zstd(s->inner);
	archive_read_support_filter_lz4(s->inner);
	archive_read_set_callback_data(s->inner, fdsrc_new(in->fd, (uint64_t)in->st.st_size));
	archive_read_set_read_callback(s->inner, fd_read);
	archive_read_set_close_callback(s->inner, fd_close);
	struct archive_entry *ae;
	if (archive_read_open1(s->inner) != ARCHIVE_OK ||
	    archive_read_next_header(s->inner, &ae) != ARCHIVE_OK) {
		rp_err("%s: %s", in->path, archive_error_string(s->inner));
		archive_read_free(s->inner);
		free(s);
		return NULL;
	}
	return s;
}

/* A libarchive reader of the tar stream: for the scan (spool 0) over
 * in->fd from offset 0, decompressing and keeping the decompressed stream
 * in a new spool when the input is compressed; for the data pass
 * (spool 1) over that spool, else over in->fd again. */
static struct archive *open_archive(struct ingest *in, int spool)
{
	struct archive *a = archive_read_new();
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	int r;
	enum packing pk = spool ? PACK_NONE : packing_of(in->fd);
	if (pk != PACK_NONE) {
		if (in->spool_fd >= 0)
			close(in->spool_fd);
		in->spool_fd = -1;
		in->spool_size = 0;
		in->spool_err[0] = 0;
		in->spooled = 1;
		if (!in->spool_mem)
			in->spool_mem = xmalloc(INGEST_SPOOL_MEM);
	}
	if (pk == PACK_OTHER) {
		struct rawsrc *s = rawsrc_open(in);
		if (!s) {
			archive_read_free(a);
			return NULL;
		}
		archive_read_support_filter_none(a);
		r = archive_read_open(a, s, NULL, raw_read, raw_close);
	} else if (pk == PACK_GZIP) {
		struct gzsrc *g = gzsrc_open(in);
		if (!g) {
			archive_read_free(a);
			return NULL;
		}
		archive_read_support_filter_none(a);
		r = archive_read_open(a, g, NULL, gz_read, gz_close);
	} else if (spool && in->spooled && in->spool_fd < 0) {
		archive_read_support_filter_none(a);
		r = archive_read_open_memory(a, in->spool_mem, (size_t)in->spool_size);
	} else {
		archive_read_support_filter_none(a);
		int fd = spool && in->spooled ? in->spool_fd : in->fd;
		uint64_t size = spool && in->spooled ? in->spool_size : (uint64_t)in->st.st_size;
		archive_read_set_callback_data(a, fdsrc_new(fd, size));
		archive_read_set_read_callback(a, fd_read);
		archive_read_set_skip_callback(a, fd_skip);
		archive_read_set_close_callback(a, fd_close);
		r = archive_read_open1(a);
	}
	if (r != ARCHIVE_OK) {
		rp_err("%s: %s", in->path, archive_error_string(a));
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* Printable form of a name for messages: control bytes and invalid UTF-8
 * escaped as \xNN so that the culprit can be named safely. */
static void add_printable(struct buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f || *p >= 0x80)
			buf_addf(b, "\\x%02x", *p);
		else
			buf_addc(b, (char)*p);
	}
}

static int entry_err(const struct ingest *in, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int entry_err(const struct ingest *in, const char *name, const char *fmt, ...)
{
	struct buf b = BUF_INIT, why = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	char tmp[1024];
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	buf_adds(&why, tmp);
	add_printable(&b, name);
	rp_err("%s: entry '%s': %s", in->path, buf_str(&b), buf_str(&why));
	buf_free(&b);
	buf_free(&why);
	return -1;
}

static int utf8_valid(const unsigned char *s)
{
	while (*s) {
		unsigned c = *s, n;
		if (c < 0x80) {
			s++;
			continue;
		}
		if ((c & 0xe0) == 0xc0 && c >= 0xc2)
			n = 1;
		else if ((c & 0xf0) == 0xe0)
			n = 2;
		else if ((c & 0xf8) == 0xf0 && c <= 0xf4)
			n = 3;
		else
			return 0;
		for (unsigned i = 1; i <= n; i++)
			if ((s[i] & 0xc0) != 0x80)
				return 0;
		s += n + 1;
	}
	return 1;
}

/* Normalises an archive path: drops "./", empty and "." components and a
 * trailing '/'.  Refuses absolute paths and "..".  *out is "" for the
 * archive root.  0, or -1 after entry_err(). */
static int normalise(const struct ingest *in, const char *raw, char **out)
{
	if (!utf8_valid((const unsigned char *)raw))
		return entry_err(in, raw, "name is not valid UTF-8");
	for (const unsigned char *p = (const unsigned char *)raw; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return entry_err(in, raw, "name contains a control character");
	if (raw[0] == '/')
		return entry_err(in, raw, "absolute path");
	struct buf b = BUF_INIT;
	const char *s = raw;
	while (*s) {
		const char *e = strchr(s, '/');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		if (len == 2 && s[0] == '.' && s[1] == '.') {
			buf_free(&b);
			return entry_err(in, raw, "path contains '..'");
		}
		if (len > COMPONENT_MAX) {
			buf_free(&b);
			return entry_err(in, raw, "a path component is longer than %d bytes", COMPONENT_MAX);
		}
		if (len && !(len == 1 && s[0] == '.')) {
			if (b.len)
				buf_addc(&b, '/');
			buf_add(&b, s, len);
		}
		s += len;
		while (*s == '/')
			s++;
	}
	if (b.len > NAME_MAX_TOTAL) {
		buf_free(&b);
		return entry_err(in, raw, "path is longer than %d bytes", NAME_MAX_TOTAL);
	}
	*out = xstrndup(b.len ? b.p : "", b.len);   /* exact size: one per entry */
	buf_free(&b);
	return 0;
}

/* Symbolic link text is checked like a name (it is printed by inspect,
 * written into package headers and resolved on the server): valid UTF-8,
 * no control characters, components and total length bounded.  ".." and
 * absolute targets are judged later, by resolving (check_symlink). */
static int check_link_text(const struct ingest *in, const char *raw, const char *t)
{
	struct buf b = BUF_INIT;
	int rc = 0;
	add_printable(&b, t);
	if (!*t)
		rc = entry_err(in, raw, "symbolic link with an empty target");
	else if (!utf8_valid((const unsigned char *)t))
		rc = entry_err(in, raw, "symbolic link target '%.200s' is not valid UTF-8", buf_str(&b));
	else if (strlen(t) > NAME_MAX_TOTAL)
		rc = entry_err(in, raw, "symbolic link target is longer than %d bytes (%zu)", NAME_MAX_TOTAL,
			       strlen(t));
	for (const unsigned char *p = (const unsigned char *)t; !rc && *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			rc = entry_err(in, raw, "symbolic link target '%.200s' contains a control character",
				       buf_str(&b));
	for (const char *s = t; !rc && *s;) {
		size_t len = strcspn(s, "/");
		if (len > COMPONENT_MAX)
			rc = entry_err(in, raw, "symbolic link target has a component longer than %d bytes",
				       COMPONENT_MAX);
		s += len;
		while (*s == '/')
			s++;
	}
	buf_free(&b);
	return rc;
}

static const char *base_name(const char *name)
{
	const char *b = strrchr(name, '/');
	return b ? b + 1 : name;
}

/* Files release recognition reads whole: refused as too large for an OTP
 * release (recognise.c) rather than read in part. */
static int is_recognition_file(const char *name)
{
	const char *base = base_name(name);
	size_t bl = strlen(base);
	return !strcmp(base, "start_erl.data") || !strcmp(base, "RELEASES") || !strcmp(base, "COOKIE") ||
	       !strcmp(base, "relup") || /* hot upgrades: src/relup.c */
	       (bl > 4 && !strcmp(base + bl - 4, ".rel"));
}

/* bin/ scripts directly under the release root (or one wrapper dir): their
 * first INGEST_SMALL_MAX bytes tell the kind of release. */
static int is_script(const char *name)
{
	const char *bin = strstr(name, "bin/");
	if (bin && (bin == name || bin[-1] == '/') && !strchr(bin + 4, '/')) {
		int depth = 0;
		for (const char *p = name; p < bin; p++)
			depth += *p == '/';
		return depth <= 1;
	}
	return 0;
}

static void add_small(struct ingest *in, const char *name, struct buf *b, uint64_t size)
{
	in->small = xrealloc(in->small, (in->nsmall + 1) * sizeof *in->small);
	struct small_file *f = &in->small[in->nsmall++];
	f->name = xstrdup(name);
	f->len = b->len;
	f->data = buf_detach(b);
	f->size = size;
	f->too_large = size > SMALL_MAX;
}

/* Looks for a vm.args line that starts (after blanks) with "-setcookie",
 * a byte at a time, so that a file of any size is seen whole in O(1)
 * memory.  Same rule as a line-by-line strncmp. */
struct cookie_scan {
	int state;      /* 0 blanks at line start, 1 matching the token, 2 rest of line */
	size_t k;       /* bytes of the token matched */
	int found;
};

static void cookie_feed(struct cookie_scan *c, const unsigned char *p, size_t n)
{
	static const char tok[] = "-setcookie";
	for (size_t i = 0; i < n && !c->found; i++) {
		unsigned char ch = p[i];
		if (ch == '\n') {
			c->state = 0;
			continue;
		}
		if (c->state == 0) {
			if (ch == ' ' || ch == '\t')
				continue;
			c->state = 1;
			c->k = 0;
		}
		if (c->state == 1) {
			if (ch != (unsigned char)tok[c->k])
				c->state = 2;
			else if (++c->k == sizeof tok - 1)
				c->found = 1;
		}
	}
}

/* Hands n zero bytes (a hole, or the tail of a sparse file) to cb. */
static int stream_zeros(const struct ingest_cb *cb, uint64_t n)
{
	static const unsigned char zeros[65536];
	while (n) {
		size_t z = n < sizeof zeros ? (size_t)n : sizeof zeros;
		if (cb->data(cb->ctx, zeros, z) < 0)
			return -1;
		n -= z;
	}
	return 0;
}

/* Reads the data of the current entry, checking the order of a sparse
 * map, for whichever of these is given: a capture (capture_max bytes,
 * holes as zeros), the cookie look, and (the data pass) cb, which gets
 * every byte, holes and a sparse file's tail as zeros.  raw names the
 * entry. */
/* The entry the data pass is reading, for the progress line. */
static size_t progress_idx;

static int read_data(const struct ingest *in, struct archive *a, const char *raw, uint64_t size,
		     struct buf *capture, size_t capture_max, struct cookie_scan *cookie,
		     const struct ingest_cb *cb)
{
	static const unsigned char zero;
	uint64_t at = 0;
	for (;;) {
		const void *p;
		size_t len;
		la_int64_t off;
		int r = archive_read_data_block(a, &p, &len, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK)
			return entry_err(in, raw, "%s", archive_error_string(a));
		if (off < 0 || (uint64_t)off < at)
			return entry_err(in, raw, "its sparse map is out of order or overlapping (a data "
					 "region at byte %lld, before byte %llu where the previous one ended); "
					 "GNU tar refuses such a map too", (long long)off, (unsigned long long)at);
		if ((uint64_t)off + len > size)
			return entry_err(in, raw, "more data than its declared size");
		if ((uint64_t)off > at) {      /* a hole */
			if (cookie)
				cookie_feed(cookie, &zero, 1);
			if (cb && stream_zeros(cb, (uint64_t)off - at) < 0)
				return -1;
			while (capture && capture->len < capture_max && at < (uint64_t)off) {
				buf_addc(capture, 0);
				at++;
			}
		}
		if (cookie)
			cookie_feed(cookie, p, len);
		if (capture && capture->len < capture_max)
			buf_add(capture, p, len < capture_max - capture->len ? len : capture_max - capture->len);
		if (cb && len && cb->data(cb->ctx, p, len) < 0)
			return -1;
		if (cb)
			progress_data(progress_idx, len);
		at = (uint64_t)off + len;
	}
	return cb ? stream_zeros(cb, size - at) : 0;
}

static const char *type_name(mode_t t)
{
	switch (t) {
	case AE_IFCHR: return "character device";
	case AE_IFBLK: return "block device";
	case AE_IFIFO: return "fifo";
	case AE_IFSOCK: return "socket";
	default: return "unsupported file type";
	}
}

static struct input_entry *push(struct ingest *in)
{
	if (in->n == in->cap) {
		in->cap = in->cap ? in->cap + in->cap / 2 : 512;
		in->v = xrealloc(in->v, in->cap * sizeof *in->v);
	}
	struct input_entry *e = &in->v[in->n++];
	memset(e, 0, sizeof *e);
	return e;
}

/* The type of a header as the scan records it. */
static enum etype header_type(struct archive_entry *ae, int *ok)
{
	mode_t ft = archive_entry_filetype(ae);
	*ok = 1;
	if (archive_entry_hardlink(ae))
		return E_HARDLINK;
	if (ft == AE_IFREG)
		return E_REG;
	if (ft == AE_IFDIR)
		return E_DIR;
	if (ft == AE_IFLNK)
		return E_SYMLINK;
	*ok = 0;
	return E_REG;
}

/* Reads one header into a new input_entry (raw-normalised name); reads or
 * skips its data.  0, or -1 after entry_err(). */
static int scan_one(struct ingest *in, struct archive *a, struct archive_entry *ae)
{
	const char *raw = archive_entry_pathname(ae);
	if (!raw)
		return rp_err("%s: an entry has no name (or one that cannot be decoded)", in->path);
	char *name;
	if (normalise(in, raw, &name) < 0)
		return -1;
	if (!*name) {           /* the archive root "./" */
		free(name);
		return archive_read_data_skip(a) == ARCHIVE_OK ? 0 : entry_err(in, raw, "%s", archive_error_string(a));
	}
	struct input_entry *e = push(in);
	e->name = name;
	e->mode = archive_entry_perm(ae);
	e->mtime = archive_entry_mtime(ae);
	if (in->clamp_mtime >= 0 && e->mtime > in->clamp_mtime)
		e->mtime = in->clamp_mtime;
	if (e->mtime < 0)
		e->mtime = 0;
	int known;
	e->type = header_type(ae, &known);
	if (!known)
		return entry_err(in, raw, "%s: not allowed in a release", type_name(archive_entry_filetype(ae)));
	if (e->type == E_HARDLINK) {
		const char *hl = archive_entry_hardlink(ae);
		if (normalise(in, hl, &e->link) < 0)
			return entry_err(in, raw, "hard link target '%s' is not a safe path", hl);
	} else if (e->type == E_REG) {
		if (!archive_entry_size_is_set(ae))
			return entry_err(in, raw, "size is not set");
		if (archive_entry_size(ae) < 0)
			return entry_err(in, raw, "negative size");
		e->size = (uint64_t)archive_entry_size(ae);
		if (e->size > in->max_size - in->total)
			return entry_err(in, raw, "declares %llu bytes: the release would expand to more than "
					 "--max-size (%llu bytes in all); refused, raise --max-size if this is "
					 "intended", (unsigned long long)e->size, (unsigned long long)in->max_size);
		in->total += e->size;
	} else if (e->type == E_SYMLINK) {
		const char *t = archive_entry_symlink(ae);
		if (check_link_text(in, raw, t ? t : "") < 0)
			return -1;
		e->link = xstrdup(t);
		e->size = strlen(t);
	}
	if (e->mode & (S_ISUID | S_ISGID))
		return entry_err(in, raw, "%s bit set: refused (a release needs no privileged files)",
				 e->mode & S_ISUID ? "setuid" : "setgid");
	if (e->mode & S_ISVTX)
		return entry_err(in, raw, "sticky bit set: refused");
	if (e->type != E_REG)
		return archive_read_data_skip(a) == ARCHIVE_OK ? 0 : entry_err(in, raw, "%s", archive_error_string(a));

	struct buf cap = BUF_INIT;
	struct cookie_scan cs = { 0, 0, 0 };
	int recog = is_recognition_file(name), script = !recog && is_script(name);
	int vmargs = !strcmp(base_name(name), "vm.args");
	int sparse = archive_entry_sparse_count(ae) > 0;
	int rc;
	if (recog && e->size > SMALL_MAX) {
		/* not read: recognise() refuses it if it matters */
		add_small(in, name, &cap, e->size);
		rc = archive_read_data_skip(a) == ARCHIVE_OK ? 0 : entry_err(in, raw, "%s", archive_error_string(a));
	} else if (recog || script || vmargs || sparse) {
		rc = read_data(in, a, raw, e->size, recog || script ? &cap : NULL, SMALL_MAX,
			       vmargs ? &cs : NULL, NULL);
		if (rc == 0 && (recog || script))
			add_small(in, name, &cap, e->size);
		e->cookie = cs.found;
	} else {
		rc = archive_read_data_skip(a) == ARCHIVE_OK ? 0 : entry_err(in, raw, "%s", archive_error_string(a));
	}
	buf_free(&cap);
	return rc;
}

static int all_under(const struct ingest *in, const char *top, size_t tl)
{
	int deeper = 0;
	for (size_t i = 0; i < in->n; i++) {
		const char *nm = in->v[i].name;
		if (strncmp(nm, top, tl) != 0 || (nm[tl] != '/' && nm[tl] != 0))
			return 0;
		if (nm[tl] == 0 && in->v[i].type != E_DIR)
			return 0;
		if (nm[tl] == '/')
			deeper = 1;
	}
	return deeper;
}

/* Generic tarballs often wrap everything in one NAME-VERSION/ directory;
 * release layouts never do.  Strip such a wrapper. */
static void detect_strip(struct ingest *in)
{
	static const char *release_dirs[] = { "bin", "lib", "releases", "priv", "etc", "share", "usr", NULL };
	if (in->n == 0)
		return;
	const char *first = in->v[0].name;
	size_t tl = strcspn(first, "/");
	char *top = xstrndup(first, tl);
	int known = !strncmp(top, "erts-", 5);
	for (int i = 0; release_dirs[i]; i++)
		known |= !strcmp(top, release_dirs[i]);
	if (known || !all_under(in, top, tl)) {
		free(top);
		return;
	}
	in->strip = top;
	for (size_t i = 0; i < in->n; i++) {
		struct input_entry *e = &in->v[i];
		if (!e->name[tl]) {
			e->skip = 1;
			continue;
		}
		memmove(e->name, e->name + tl + 1, strlen(e->name + tl + 1) + 1);
		if (e->type == E_HARDLINK) {
			if (strncmp(e->link, top, tl) != 0 || e->link[tl] != '/') {
				/* leave it: validation reports the target as outside */
				continue;
			}
			memmove(e->link, e->link + tl + 1, strlen(e->link + tl + 1) + 1);
		}
	}
	for (size_t i = 0; i < in->nsmall; i++) {
		char *nm = in->small[i].name;
		if (!strncmp(nm, top, tl) && nm[tl] == '/')
			memmove(nm, nm + tl + 1, strlen(nm + tl + 1) + 1);
	}
}

static const struct ingest *sort_in;

static int cmp_name(const void *a, const void *b)
{
	return strcmp(sort_in->v[*(const size_t *)a].name, sort_in->v[*(const size_t *)b].name);
}

size_t ingest_find(const struct ingest *in, const char *name)
{
	size_t lo = 0, hi = in->nsorted;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(in->v[in->sorted[mid]].name, name);
		if (c == 0)
			return in->sorted[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (size_t)-1;
}

const struct small_file *ingest_small(const struct ingest *in, const char *name)
{
	for (size_t i = 0; i < in->nsmall; i++)
		if (!strcmp(in->small[i].name, name))
			return &in->small[i];
	return NULL;
}

/* Index into in->sorted of the first name >= key. */
static size_t lower_bound(const struct ingest *in, const char *key)
{
	size_t lo = 0, hi = in->nsorted;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (strcmp(in->v[in->sorted[mid]].name, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Resolves the symbolic link e the way the kernel will on the server,
 * through the archive's own links (a target may pass through other links
 * of the release, e.g. "d/u -> .." then "lib/t -> ../d/u/d/u/../.."); 0 if
 * every step stays inside the release tree, -1 after entry_err() if one
 * leaves it or the links loop.  Components the archive does not hold are
 * taken as directories: they cannot lead anywhere but where they say. */
static int check_symlink(const struct ingest *in, const struct input_entry *e)
{
	struct buf dir = BUF_INIT, rest = BUF_INIT;
	const char *via = NULL;         /* the last link followed, for the message */
	int hops = 0, rc = 0;
	const char *slash = strrchr(e->name, '/');
	if (slash)
		buf_add(&dir, e->name, (size_t)(slash - e->name));
	buf_adds(&rest, e->link);
	if (e->link[0] == '/')
		rc = -2;
	size_t pos = 0;
	while (!rc && pos < rest.len) {
		const char *s = rest.p + pos;
		size_t len = strcspn(s, "/");
		pos += len;
		while (pos < rest.len && rest.p[pos] == '/')
			pos++;
		if (!len || (len == 1 && s[0] == '.'))
			continue;
		if (len == 2 && s[0] == '.' && s[1] == '.') {
			if (!dir.len) {
				rc = -2;
				break;
			}
			const char *up = strrchr(buf_str(&dir), '/');
			dir.len = up ? (size_t)(up - dir.p) : 0;
			dir.p[dir.len] = 0;
			continue;
		}
		size_t save = dir.len;
		if (dir.len)
			buf_addc(&dir, '/');
		buf_add(&dir, s, len);
		size_t j = ingest_find(in, dir.p);
		if (j == (size_t)-1 || in->v[j].type != E_SYMLINK)
			continue;
		if (++hops > LINK_HOPS_MAX) {
			rc = -3;
			break;
		}
		via = in->v[j].name;
		const char *t = in->v[j].link;
		if (t[0] == '/') {
			rc = -2;
			break;
		}
		/* go on from that link's directory with its target, then the rest */
		dir.len = save;
		dir.p[save] = 0;
		struct buf nr = BUF_INIT;
		buf_adds(&nr, t);
		buf_addc(&nr, '/');
		buf_add(&nr, rest.p + pos, rest.len - pos);
		buf_free(&rest);
		rest = nr;
		pos = 0;
	}
	buf_free(&dir);
	buf_free(&rest);
	if (rc == -2 && via && strcmp(via, e->name))
		return entry_err(in, e->name, "symbolic link to '%s' points outside the release (through "
				 "the symbolic link '%s')", e->link, via);
	if (rc == -2)
		return entry_err(in, e->name, "symbolic link to '%s' points outside the release", e->link);
	if (rc == -3)
		return entry_err(in, e->name, "symbolic link to '%s': the links loop (more than %d steps "
				 "through the archive's symbolic links)", e->link, LINK_HOPS_MAX);
	return 0;
}

static int validate(struct ingest *in)
{
	size_t live = 0;
	for (size_t i = 0; i < in->n; i++)
		live += !in->v[i].skip;
	if (live == 0)
		return rp_err("%s: the archive has no entries", in->path);

	in->sorted = xmalloc(in->n * sizeof *in->sorted);
	size_t k = 0;
	for (size_t i = 0; i < in->n; i++)
		if (!in->v[i].skip)
			in->sorted[k++] = i;
	sort_in = in;
	qsort(in->sorted, k, sizeof *in->sorted, cmp_name);
	sort_in = NULL;
	in->nsorted = k;
	for (size_t j = 1; j < k; j++) {
		const struct input_entry *a = &in->v[in->sorted[j - 1]], *b = &in->v[in->sorted[j]];
		if (!strcmp(a->name, b->name))
			return entry_err(in, b->name, "duplicate entry (the archive holds this path twice)");
	}
	struct buf key = BUF_INIT;
	for (size_t i = 0; i < in->n; i++) {
		struct input_entry *e = &in->v[i];
		if (e->skip)
			continue;
		/* nothing below a link or a file: the names that start with
		 * "NAME/" are next to each other in sorted order */
		if (e->type != E_DIR) {
			buf_reset(&key);
			buf_addf(&key, "%s/", e->name);
			size_t j = lower_bound(in, key.p);
			if (j < in->nsorted && !strncmp(in->v[in->sorted[j]].name, key.p, key.len)) {
				int sym = e->type == E_SYMLINK;
				const char *child = in->v[in->sorted[j]].name;
				buf_free(&key);
				return entry_err(in, child, "its parent '%s' is %s", e->name,
						 sym ? "a symbolic link (an archive must not write through links)"
						     : "not a directory");
			}
		}
		if (e->type == E_SYMLINK && check_symlink(in, e) < 0) {
			buf_free(&key);
			return -1;
		}
		if (e->type == E_HARDLINK) {
			size_t j = ingest_find(in, e->link);
			const char *why = NULL;
			if (j == (size_t)-1)
				why = "which is not in the archive";
			else if (j == i)
				why = "itself (a hard link must name an earlier file)";
			else if (j > i)
				why = "which comes later in the archive (a hard link must name an earlier file)";
			else if (in->v[j].type == E_HARDLINK)
				j = in->v[j].link_first;
			if (!why && in->v[j].type != E_REG)
				why = "which is not a regular file";
			if (why) {
				buf_free(&key);
				return entry_err(in, e->name, "hard link to '%s', %s", e->link, why);
			}
			e->link_first = j;
			e->size = in->v[j].size;
			e->mode = in->v[j].mode;
		}
		if ((e->type == E_REG || e->type == E_DIR) && (e->mode & S_IWOTH)) {
			rp_warn("%s: entry '%s' is world-writable; packaged without o+w", in->path, e->name);
			e->mode &= ~(mode_t)S_IWOTH;
		}
	}
	buf_free(&key);
	return 0;
}

static int read_header(struct ingest *in, struct archive *a, struct archive_entry **ae, size_t count)
{
	int r = archive_read_next_header(a, ae);
	if (r == ARCHIVE_EOF)
		return 0;
	if (r == ARCHIVE_OK)
		return 1;
	/* WARN counts as failure: a release must read back cleanly */
	if (count == 0)
		return rp_err("%s: not a readable tar archive: %s", in->path, archive_error_string(a));
	return rp_err("%s: after entry '%s': %s", in->path,
		      count <= in->n && in->n ? in->v[in->n - 1].name : "?",
		      archive_error_string(a));
}

int ingest_scan(struct ingest *in)
{
	if (in->fd < 0 && open_input(in) < 0)
		return -1;
	struct archive *a = open_archive(in, 0);
	if (!a)
		return -1;
	struct archive_entry *ae;
	int rc = -1, r;
	size_t count = 0;
	while ((r = read_header(in, a, &ae, count)) == 1) {
		count++;
		if (scan_one(in, a, ae) < 0)
			goto out;
	}
	if (r < 0)
		goto out;
	if (archive_filter_code(a, 0) == ARCHIVE_FILTER_NONE && count == 0) {
		rp_err("%s: not a tar archive, or an empty one", in->path);
		goto out;
	}
	if (same_file(in) < 0)
		goto out;
	if (in->n && in->cap > in->n) {       /* issue 17: no doubling slack kept */
		in->v = xrealloc(in->v, in->n * sizeof *in->v);
		in->cap = in->n;
	}
	detect_strip(in);
	rc = validate(in);
out:
	archive_read_free(a);
	if (rc < 0 && in->spool_err[0])   /* libarchive reports it as a truncated input */
		rp_err("%s: %s", in->path, in->spool_err);
	return rc;
}

/* The data pass must see what the scan saw: the entry's name (as in the
 * archive, before the wrapper strip), type, size and link text. */
static int same_entry(const struct ingest *in, const struct input_entry *e, struct archive_entry *ae,
		      const char *name)
{
	struct buf want = BUF_INIT;
	if (in->strip) {
		buf_adds(&want, in->strip);
		if (!e->skip)
			buf_addf(&want, "/%s", e->name);
	} else {
		buf_adds(&want, e->name);
	}
	int known, same = !strcmp(want.p, name);
	enum etype t = header_type(ae, &known);
	same = same && known && t == e->type;
	if (same && t == E_REG)
		same = archive_entry_size(ae) >= 0 && (uint64_t)archive_entry_size(ae) == e->size;
	if (same && t == E_SYMLINK)
		same = archive_entry_symlink(ae) && !strcmp(archive_entry_symlink(ae), e->link);
	buf_free(&want);
	if (!same)
		return entry_err(in, name, "the archive changed between relpkg's two reads of it (the "
				 "first read had '%s' here): refused; build from a finished tarball", e->name);
	return 0;
}

/* The data of the E_REG entry e (the archive's current entry) to cb;
 * a vm.args must still say what the scan saw.  0, or -1 after rp_err(). */
static int stream_data(struct ingest *in, struct archive *a, const struct input_entry *e,
		       const struct ingest_cb *cb)
{
	int vmargs = !strcmp(base_name(e->name), "vm.args");
	struct cookie_scan cs = { 0, 0, 0 };
	progress_idx = (size_t)(e - in->v);
	if (read_data(in, a, e->name, e->size, NULL, 0, vmargs ? &cs : NULL, cb) < 0)
		return -1;
	if (vmargs && cs.found != e->cookie)
		return entry_err(in, e->name, "the archive changed between relpkg's two reads of it (a "
				 "-setcookie line %s): refused", e->cookie ? "went away" : "appeared");
	return 0;
}

int ingest_stream(struct ingest *in, const struct ingest_cb *cb)
{
	if (in->fd < 0)
		return rp_err("%s: ingest_stream() before ingest_scan()", in->path);
	if (same_file(in) < 0)
		return -1;
	struct archive *a = open_archive(in, 1);
	if (!a)
		return -1;
	struct archive_entry *ae;
	int rc = -1, r;
	size_t i = 0;
	while ((r = read_header(in, a, &ae, i)) == 1) {
		char *name;
		if (normalise(in, archive_entry_pathname(ae), &name) < 0)
			goto out;
		if (!*name) {
			free(name);
			continue;
		}
		if (i >= in->n) {
			entry_err(in, name, "the archive changed between relpkg's two reads of it (an entry "
				  "the first read did not have): refused; build from a finished tarball");
			free(name);
			goto out;
		}
		struct input_entry *e = &in->v[i];
		int diff = same_entry(in, e, ae, name);
		free(name);
		if (diff < 0)
			goto out;
		if (e->skip) {
			i++;
			continue;
		}
		if (cb->entry(cb->ctx, i) < 0)
			goto out;
		if (e->type == E_REG && stream_data(in, a, e, cb) < 0)
			goto out;
		if (cb->entry_end(cb->ctx, i) < 0)
			goto out;
		i++;
	}
	if (r < 0)
		goto out;
	if (i != in->n) {
		rp_err("%s: the archive changed between relpkg's two reads of it (%zu entries, the first "
		       "read had %zu): refused; build from a finished tarball", in->path, i, in->n);
		goto out;
	}
	if (same_file(in) < 0)
		goto out;
	rc = 0;
out:
	archive_read_free(a);
	return rc;
}
