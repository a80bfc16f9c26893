/* ingest.c — reading and validating the input tarball; see ingest.h. */
#include "ingest.h"
#include "buf.h"
#include "error.h"

#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SMALL_MAX (64u << 10)
#define NAME_MAX_TOTAL 3800     /* leaves room for /opt/NAME/releases/VERSION/ */
#define COMPONENT_MAX 255

void ingest_init(struct ingest *in, const char *path, int64_t clamp_mtime)
{
	memset(in, 0, sizeof *in);
	in->path = xstrdup(path);
	in->clamp_mtime = clamp_mtime;
}

void ingest_release(struct ingest *in)
{
	for (size_t i = 0; i < in->n; i++) {
		free(in->v[i].name);
		free(in->v[i].link);
	}
	for (size_t i = 0; i < in->nsmall; i++) {
		free(in->small[i].name);
		free(in->small[i].data);
	}
	free(in->v);
	free(in->small);
	free(in->sorted);
	free(in->strip);
	free(in->path);
	memset(in, 0, sizeof *in);
}

/* gzip input is inflated here with zlib rather than by libarchive, because
 * libarchive does not check the gzip CRC-32: a flipped bit in a tarball
 * must be an error, not a silently different release. */
struct gzsrc {
	int fd;
	z_stream z;
	int started, done;
	unsigned char in[1 << 16];
	unsigned char out[1 << 17];
};

static la_ssize_t gz_read(struct archive *a, void *ctx, const void **buf)
{
	struct gzsrc *g = ctx;
	*buf = g->out;
	if (g->done)
		return 0;
	g->z.next_out = g->out;
	g->z.avail_out = sizeof g->out;
	while (g->z.avail_out == sizeof g->out) {
		if (g->z.avail_in == 0) {
			ssize_t r = read(g->fd, g->in, sizeof g->in);
			if (r < 0) {
				archive_set_error(a, errno, "read error");
				return -1;
			}
			if (r == 0) {
				if (g->started) {
					archive_set_error(a, EIO, "gzip data is truncated (unexpected end of file)");
					return -1;
				}
				g->done = 1;
				break;
			}
			g->z.next_in = g->in;
			g->z.avail_in = (uInt)r;
		}
		if (!g->started) {
			/* a further gzip member follows, or only padding/garbage */
			if (g->z.avail_in >= 1 && g->z.next_in[0] != 0x1f) {
				g->done = 1;
				break;
			}
			inflateReset(&g->z);
			g->started = 1;
		}
		int rc = inflate(&g->z, Z_NO_FLUSH);
		if (rc == Z_STREAM_END) {
			g->started = 0;
		} else if (rc != Z_OK && rc != Z_BUF_ERROR) {
			archive_set_error(a, EIO, "gzip data is corrupt (%s)",
					  g->z.msg ? g->z.msg : "inflate failed");
			return -1;
		}
	}
	return (la_ssize_t)(sizeof g->out - g->z.avail_out);
}

static int gz_close(struct archive *a, void *ctx)
{
	struct gzsrc *g = ctx;
	(void)a;
	inflateEnd(&g->z);
	close(g->fd);
	free(g);
	return ARCHIVE_OK;
}

static int is_gzip(const char *path)
{
	unsigned char m[2];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t r = read(fd, m, 2);
	close(fd);
	return r == 2 && m[0] == 0x1f && m[1] == 0x8b;
}

static struct archive *open_archive(const char *path)
{
	struct archive *a = archive_read_new();
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	int r;
	if (is_gzip(path)) {
		struct gzsrc *g = xcalloc(1, sizeof *g);
		g->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (g->fd < 0 || inflateInit2(&g->z, 15 + 16) != Z_OK) {
			rp_errno("%s", path);
			if (g->fd >= 0)
				close(g->fd);
			free(g);
			archive_read_free(a);
			return NULL;
		}
		archive_read_support_filter_none(a);
		r = archive_read_open(a, g, NULL, gz_read, gz_close);
	} else {
		archive_read_support_filter_bzip2(a);
		archive_read_support_filter_xz(a);
		archive_read_support_filter_zstd(a);
		archive_read_support_filter_lz4(a);
		r = archive_read_open_filename(a, path, 1 << 16);
	}
	if (r != ARCHIVE_OK) {
		rp_err("%s: %s", path, archive_error_string(a));
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
	*out = buf_detach(&b);
	return 0;
}

static int wants_content(const char *name, uint64_t size)
{
	if (size > SMALL_MAX * 16)
		return 0;
	const char *base = strrchr(name, '/');
	base = base ? base + 1 : name;
	size_t bl = strlen(base);
	if (!strcmp(base, "start_erl.data") || !strcmp(base, "RELEASES") || !strcmp(base, "COOKIE") ||
	    !strcmp(base, "vm.args"))
		return 1;
	if (bl > 4 && !strcmp(base + bl - 4, ".rel"))
		return 1;
	/* bin/ scripts directly under the release root (or one wrapper dir) */
	const char *bin = strstr(name, "bin/");
	if (bin && (bin == name || bin[-1] == '/') && !strchr(bin + 4, '/')) {
		int depth = 0;
		for (const char *p = name; p < bin; p++)
			depth += *p == '/';
		return depth <= 1;
	}
	return 0;
}

static int capture(struct ingest *in, struct archive *a, const char *name)
{
	struct buf b = BUF_INIT;
	char tmp[8192];
	for (;;) {
		la_ssize_t r = archive_read_data(a, tmp, sizeof tmp);
		if (r < 0) {
			buf_free(&b);
			return entry_err(in, name, "%s", archive_error_string(a));
		}
		if (r == 0)
			break;
		if (b.len < SMALL_MAX)
			buf_add(&b, tmp, (size_t)r);
	}
	in->small = xrealloc(in->small, (in->nsmall + 1) * sizeof *in->small);
	struct small_file *f = &in->small[in->nsmall++];
	f->name = xstrdup(name);
	f->len = b.len;
	f->data = buf_detach(&b);
	return 0;
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
		in->cap = in->cap ? in->cap * 2 : 512;
		in->v = xrealloc(in->v, in->cap * sizeof *in->v);
	}
	struct input_entry *e = &in->v[in->n++];
	memset(e, 0, sizeof *e);
	return e;
}

/* Reads one header into a new input_entry (raw-normalised name). */
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
		return 0;
	}
	struct input_entry *e = push(in);
	e->name = name;
	e->mode = archive_entry_perm(ae);
	e->mtime = archive_entry_mtime(ae);
	if (in->clamp_mtime >= 0 && e->mtime > in->clamp_mtime)
		e->mtime = in->clamp_mtime;
	if (e->mtime < 0)
		e->mtime = 0;
	const char *hl = archive_entry_hardlink(ae);
	mode_t ft = archive_entry_filetype(ae);
	if (hl) {
		e->type = E_HARDLINK;
		if (normalise(in, hl, &e->link) < 0)
			return entry_err(in, raw, "hard link target '%s' is not a safe path", hl);
	} else if (ft == AE_IFREG) {
		e->type = E_REG;
		if (!archive_entry_size_is_set(ae))
			return entry_err(in, raw, "size is not set");
		if (archive_entry_size(ae) < 0)
			return entry_err(in, raw, "negative size");
		e->size = (uint64_t)archive_entry_size(ae);
	} else if (ft == AE_IFDIR) {
		e->type = E_DIR;
	} else if (ft == AE_IFLNK) {
		e->type = E_SYMLINK;
		const char *t = archive_entry_symlink(ae);
		if (!t || !*t)
			return entry_err(in, raw, "symbolic link with an empty target");
		e->link = xstrdup(t);
		e->size = strlen(t);
	} else {
		return entry_err(in, raw, "%s: not allowed in a release", type_name(ft));
	}
	if (e->mode & (S_ISUID | S_ISGID))
		return entry_err(in, raw, "%s bit set: refused (a release needs no privileged files)",
				 e->mode & S_ISUID ? "setuid" : "setgid");
	if (e->mode & S_ISVTX)
		return entry_err(in, raw, "sticky bit set: refused");
	if (e->type == E_REG && wants_content(name, e->size))
		return capture(in, a, name);
	return 0;
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

/* Lexically resolves a symlink's text against its directory; 0 if it
 * stays inside the release tree. */
static int link_escapes(const char *linkname, const char *target)
{
	if (target[0] == '/')
		return 1;
	int depth = 0;
	for (const char *p = linkname; *p; p++)
		depth += *p == '/';
	const char *s = target;
	while (*s) {
		size_t len = strcspn(s, "/");
		if (len == 2 && s[0] == '.' && s[1] == '.') {
			if (--depth < 0)
				return 1;
		} else if (len && !(len == 1 && s[0] == '.')) {
			depth++;
		}
		s += len;
		while (*s == '/')
			s++;
	}
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
	for (size_t i = 0; i < in->n; i++) {
		struct input_entry *e = &in->v[i];
		if (e->skip)
			continue;
		/* parents must be directories (or absent), never links or files */
		char *p = xstrdup(e->name);
		for (char *s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
			*s = 0;
			size_t j = ingest_find(in, p);
			if (j != (size_t)-1 && in->v[j].type != E_DIR) {
				int sym = in->v[j].type == E_SYMLINK;
				free(p);
				return entry_err(in, e->name, "its parent '%s' is %s", in->v[j].name,
						 sym ? "a symbolic link (an archive must not write through links)"
						     : "not a directory");
			}
			*s = '/';
		}
		free(p);
		if (e->type == E_SYMLINK && link_escapes(e->name, e->link))
			return entry_err(in, e->name, "symbolic link to '%s' points outside the release", e->link);
		if (e->type == E_HARDLINK) {
			size_t j = ingest_find(in, e->link);
			if (j == (size_t)-1)
				return entry_err(in, e->name, "hard link to '%s', which is not in the archive", e->link);
			if (j > i)
				return entry_err(in, e->name, "hard link to '%s', which comes later in the archive", e->link);
			if (in->v[j].type == E_HARDLINK)
				j = in->v[j].link_first;
			if (in->v[j].type != E_REG)
				return entry_err(in, e->name, "hard link to '%s', which is not a regular file", e->link);
			e->link_first = j;
			e->size = in->v[j].size;
			e->mode = in->v[j].mode;
		}
		if ((e->type == E_REG || e->type == E_DIR) && (e->mode & S_IWOTH)) {
			rp_warn("%s: entry '%s' is world-writable; packaged without o+w", in->path, e->name);
			e->mode &= ~(mode_t)S_IWOTH;
		}
	}
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
	struct archive *a = open_archive(in->path);
	if (!a)
		return -1;
	struct archive_entry *ae;
	int rc = -1, r;
	size_t count = 0;
	while ((r = read_header(in, a, &ae, count)) == 1) {
		count++;
		size_t before = in->nsmall;
		if (scan_one(in, a, ae) < 0)
			goto out;
		if (in->nsmall == before && archive_read_data_skip(a) != ARCHIVE_OK) {
			entry_err(in, archive_entry_pathname(ae), "%s", archive_error_string(a));
			goto out;
		}
	}
	if (r < 0)
		goto out;
	if (archive_filter_code(a, 0) == ARCHIVE_FILTER_NONE && count == 0) {
		rp_err("%s: not a tar archive, or an empty one", in->path);
		goto out;
	}
	detect_strip(in);
	rc = validate(in);
out:
	archive_read_free(a);
	return rc;
}

int ingest_stream(struct ingest *in, const struct ingest_cb *cb)
{
	static const unsigned char zeros[65536];
	struct archive *a = open_archive(in->path);
	if (!a)
		return -1;
	struct archive_entry *ae;
	int rc = -1, r;
	size_t i = 0;
	while ((r = read_header(in, a, &ae, i)) == 1) {
		char *name;
		if (normalise(in, archive_entry_pathname(ae), &name) < 0)
			goto out;
		int root = !*name;
		free(name);
		if (root)
			continue;
		if (i >= in->n) {
			rp_err("%s: the archive changed while it was read", in->path);
			goto out;
		}
		struct input_entry *e = &in->v[i];
		if (e->skip) {
			i++;
			continue;
		}
		if (cb->entry(cb->ctx, i) < 0)
			goto out;
		if (e->type == E_REG) {
			uint64_t at = 0;
			const void *p;
			size_t len;
			la_int64_t off;
			for (;;) {
				r = archive_read_data_block(a, &p, &len, &off);
				if (r == ARCHIVE_EOF)
					break;
				if (r != ARCHIVE_OK) {
					entry_err(in, e->name, "%s", archive_error_string(a));
					goto out;
				}
				if ((uint64_t)off + len > e->size) {
					entry_err(in, e->name, "more data than its declared size");
					goto out;
				}
				while (at < (uint64_t)off) {  /* a hole of a sparse file */
					size_t z = (uint64_t)off - at < sizeof zeros ? (size_t)((uint64_t)off - at) : sizeof zeros;
					if (cb->data(cb->ctx, zeros, z) < 0)
						goto out;
					at += z;
				}
				if (len && cb->data(cb->ctx, p, len) < 0)
					goto out;
				at += len;
			}
			while (at < e->size) {
				size_t z = e->size - at < sizeof zeros ? (size_t)(e->size - at) : sizeof zeros;
				if (cb->data(cb->ctx, zeros, z) < 0)
					goto out;
				at += z;
			}
		}
		if (cb->entry_end(cb->ctx, i) < 0)
			goto out;
		i++;
	}
	if (r < 0)
		goto out;
	if (i != in->n) {
		rp_err("%s: the archive changed while it was read", in->path);
		goto out;
	}
	rc = 0;
out:
	archive_read_free(a);
	return rc;
}
