/* deb_pkg.c — reads a .deb (dpkg-deb's, debhelper's or relpkg's) into a
 * struct pkginfo, and in PKG_VERIFY mode checks what the package claims.
 *
 * A .deb is an ar archive: debian-binary ("2.0\n"), control.tar[.gz|.xz|
 * .zst], data.tar[.gz|.xz|.zst|.bz2|.lzma], in that order; members whose
 * name starts with '_' may follow debian-binary.  Each tar is read as a
 * chain of libarchive readers, without a temporary file:
 *
 *   ar member ──► raw reader (decompresses) ──► tar reader (no filter)
 *
 * so that after the tar's end marker the rest of the decompressed stream
 * can be read to its end too (it must be zeros): "readable to the end",
 * with gzip's CRC-32 checked by gunzip.c (libarchive does not; xz and zstd check
 * their own).  In verify mode md5sums then covers every regular file. */
#include "buf.h"
#include "digest.h"
#include "error.h"
#include "gunzip.h"
#include "pkginfo.h"
#include "text.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CONTROL_MAX (16u << 20)         /* control, md5sums, conffiles in memory */

enum member { M_BINARY, M_CONTROL, M_DATA, M_DONE };

struct md5ent {
	char *path;             /* absolute, as in pkgfile */
	char hex[33];
	int seen;
};

struct debread {
	struct pkginfo *pi;
	enum pkgmode mode;
	struct archive *ar;
	enum member next;       /* the member expected next */
	struct buf control, md5sums, conffiles;
	int have_md5sums;
	char (*md5)[33];        /* per pi->files[i], the measured md5 ("" if none) */
	size_t capmd5;
};

/* libarchive's filter codes for a member name's suffix. */
static int filter_of(const char *suffix)
{
	static const struct { const char *s; int code; } t[] = {
		{ "", ARCHIVE_FILTER_NONE }, { ".gz", ARCHIVE_FILTER_GZIP }, { ".xz", ARCHIVE_FILTER_XZ },
		{ ".zst", ARCHIVE_FILTER_ZSTD }, { ".bz2", ARCHIVE_FILTER_BZIP2 },
		{ ".lzma", ARCHIVE_FILTER_LZMA },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (!strcmp(suffix, t[i].s))
			return t[i].code;
	return -1;
}

/* A tar member being read: ar -> raw (decompressing) -> tar. */
struct tarchain {
	struct archive *ar, *raw, *tar;
	uint64_t out;           /* decompressed bytes */
	/* gzip members are inflated by gunzip.c (CRC-32 and size checked,
	 * which libarchive does not); the first block was read by chain_open */
	int gz;
	struct gunzip g;
	la_ssize_t pending;     /* bytes of cblk not yet given to g */
	char cblk[1 << 16], dblk[1 << 16];
};

static la_ssize_t from_ar(struct archive *a, void *ctx, const void **p)
{
	struct tarchain *c = ctx;
	la_ssize_t n = archive_read_data(c->ar, c->cblk, sizeof c->cblk);
	if (n < 0)
		archive_set_error(a, EIO, "%s", archive_error_string(c->ar));
	*p = c->cblk;
	return n;
}

/* gunzip's input: the block chain_open peeked at, then the ar member. */
static long gz_input(void *ctx, const void **p, char *err, size_t errlen)
{
	struct tarchain *c = ctx;
	la_ssize_t r = c->pending;
	c->pending = 0;
	if (!r)
		r = archive_read_data(c->ar, c->cblk, sizeof c->cblk);
	if (r < 0)
		snprintf(err, errlen, "%s", archive_error_string(c->ar));
	*p = c->cblk;
	return (long)r;
}

static la_ssize_t gz_data(struct tarchain *c)
{
	return (la_ssize_t)gunzip_read(&c->g, c->dblk, sizeof c->dblk);
}

static const char *raw_error(struct tarchain *c)
{
	return c->gz ? c->g.err : archive_error_string(c->raw);
}

static la_ssize_t raw_data(struct tarchain *c)
{
	la_ssize_t n = c->gz ? gz_data(c) : archive_read_data(c->raw, c->dblk, sizeof c->dblk);
	if (n > 0)
		c->out += (uint64_t)n;
	return n;
}

static la_ssize_t from_raw(struct archive *a, void *ctx, const void **p)
{
	struct tarchain *c = ctx;
	la_ssize_t n = raw_data(c);
	if (n < 0)
		archive_set_error(a, EIO, "%s", raw_error(c));
	*p = c->dblk;
	return n;
}

static void chain_close(struct tarchain *c)
{
	if (c->tar)
		archive_read_free(c->tar);
	if (c->raw)
		archive_read_free(c->raw);
	if (c->gz)
		gunzip_end(&c->g);
	free(c);
}

/* NULL after rp_err(). */
static struct tarchain *chain_open(struct archive *ar, const char *name, const char *suffix)
{
	struct tarchain *c = xcalloc(1, sizeof *c);
	struct archive_entry *ae;
	c->ar = ar;
	if (filter_of(suffix) == ARCHIVE_FILTER_GZIP) {
		if (gunzip_init(&c->g, gz_input, c) < 0) {
			rp_err("%s: %s", name, c->g.err);
			goto fail;
		}
		c->gz = 1;
		la_ssize_t r = archive_read_data(c->ar, c->cblk, sizeof c->cblk);
		if (r < 2 || (unsigned char)c->cblk[0] != 0x1f || (unsigned char)c->cblk[1] != 0x8b) {
			rp_err("%s: not gzip data, though its name says so", name);
			goto fail;
		}
		c->pending = r;
	} else {
		c->raw = archive_read_new();
		archive_read_support_filter_all(c->raw);
		archive_read_support_format_raw(c->raw);
		if (archive_read_open(c->raw, c, NULL, from_ar, NULL) != ARCHIVE_OK ||
		    archive_read_next_header(c->raw, &ae) != ARCHIVE_OK) {
			rp_err("%s: %s", name, archive_error_string(c->raw));
			goto fail;
		}
		if (archive_filter_code(c->raw, 0) != filter_of(suffix)) {
			rp_err("%s: compressed with %s, not what its name says", name,
			       archive_filter_name(c->raw, 0));
			goto fail;
		}
	}
	c->tar = archive_read_new();
	archive_read_support_filter_none(c->tar);
	archive_read_support_format_tar(c->tar);
	archive_read_support_format_gnutar(c->tar);
	if (archive_read_open(c->tar, c, NULL, from_raw, NULL) != ARCHIVE_OK) {
		rp_err("%s: %s", name, archive_error_string(c->tar));
		goto fail;
	}
	return c;
fail:
	chain_close(c);
	return NULL;
}

/* After the tar's end marker: the rest of the stream must be zeros, and
 * a gzip stream's trailer must match what was decompressed. */
static int chain_finish(struct tarchain *c, const char *name)
{
	for (;;) {
		la_ssize_t n = raw_data(c);
		if (n < 0)
			return rp_err("%s: %s", name, raw_error(c));
		if (n == 0)
			break;
		for (la_ssize_t i = 0; i < n; i++)
			if (c->dblk[i])
				return rp_err("%s: data after the end of the tar archive", name);
	}
	return 0;
}

/* "./usr/bin/x", "usr/bin/x", "/usr/bin/x" -> "/usr/bin/x"; "./" -> "/". */
static char *abs_path(const char *p)
{
	struct buf b = BUF_INIT;
	if (p[0] == '.' && p[1] == '/')
		p++;
	else if (p[0] == '.' && !p[1])
		p++;
	if (p[0] != '/')
		buf_addc(&b, '/');
	buf_adds(&b, p);
	while (b.len > 1 && b.p[b.len - 1] == '/')
		b.p[--b.len] = 0;
	return buf_detach(&b);
}

static int is_script(const char *name)
{
	static const char *const s[] = { "preinst", "postinst", "prerm", "postrm", "config" };
	for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
		if (!strcmp(name, s[i]))
			return 1;
	return 0;
}

static int control_entry(struct debread *d, struct archive *a, struct archive_entry *ae)
{
	const char *name = archive_entry_pathname(ae);
	if (!name)
		return rp_err("control.tar: an entry without a name");
	if (!strncmp(name, "./", 2))
		name += 2;
	if (!*name)
		return 0;
	if (archive_entry_filetype(ae) != AE_IFREG)
		return rp_err("control.tar: %s is not a regular file", name);
	if (!strcmp(name, "control"))
		return pkg_read_member(a, &d->control, CONTROL_MAX, "control");
	if (!strcmp(name, "md5sums")) {
		d->have_md5sums = 1;
		return pkg_read_member(a, &d->md5sums, CONTROL_MAX, "md5sums");
	}
	if (!strcmp(name, "conffiles"))
		return pkg_read_member(a, &d->conffiles, CONTROL_MAX, "conffiles");
	if (is_script(name))
		pkginfo_add_script(d->pi, name, (size_t)archive_entry_size(ae));
	return 0;
}

static void set_owner(char **dst, const char *name, int64_t id)
{
	if (name && *name) {
		*dst = xstrdup(name);
	} else {
		char tmp[32];
		snprintf(tmp, sizeof tmp, "%lld", (long long)id);
		*dst = xstrdup(tmp);
	}
}

/* Reads the entry's data; in verify mode its md5 goes to d->md5[idx]. */
static int data_content(struct debread *d, struct archive *a, size_t idx, const char *path)
{
	if (d->mode != PKG_VERIFY && !d->pi->relpkg_meta && pkginfo_is_relpkg_meta(path)) {
		/* inspect shows a relpkg package's hot-upgrade coverage */
		struct buf mb = BUF_INIT;
		if (pkg_read_member(a, &mb, PKGINFO_META_MAX, path) < 0) {
			buf_free(&mb);
			rp_err_clear();
			return 0;
		}
		d->pi->relpkg_meta = buf_detach(&mb);
		return 0;
	}
	if (d->mode != PKG_VERIFY)
		return archive_read_data_skip(a) == ARCHIVE_OK ? 0
		       : rp_err("data.tar: %s: %s", path, archive_error_string(a));
	struct hasher h;
	unsigned char dg[16];
	char tmp[1 << 16];
	int rc = 0;
	hasher_init(&h, H_MD5);
	for (;;) {
		la_ssize_t n = archive_read_data(a, tmp, sizeof tmp);
		if (n < 0) {
			rc = rp_err("data.tar: %s: %s", path, archive_error_string(a));
			break;
		}
		if (n == 0)
			break;
		hasher_update(&h, tmp, (size_t)n);
	}
	hasher_final(&h, dg);
	hasher_free(&h);
	hex_encode(dg, 16, d->md5[idx]);
	return rc;
}

static int data_entry(struct debread *d, struct archive *a, struct archive_entry *ae)
{
	const char *name = archive_entry_pathname(ae);
	if (!name)
		return rp_err("data.tar: an entry without a name");
	size_t idx = d->pi->nfiles;
	struct pkgfile *f = pkginfo_add_file(d->pi);
	if (d->capmd5 < d->pi->capfiles) {
		d->capmd5 = d->pi->capfiles;
		d->md5 = xrealloc(d->md5, d->capmd5 * sizeof *d->md5);
	}
	d->md5[idx][0] = 0;
	f->path = abs_path(name);
	f->mode = archive_entry_mode(ae);
	set_owner(&f->user, archive_entry_uname(ae), archive_entry_uid(ae));
	set_owner(&f->group, archive_entry_gname(ae), archive_entry_gid(ae));
	const char *hl = archive_entry_hardlink(ae);
	if (hl) {
		f->hardlink = 1;
		f->target = abs_path(hl);
		f->mode = (f->mode & 07777) | S_IFREG;
	} else if (archive_entry_filetype(ae) == AE_IFLNK) {
		const char *t = archive_entry_symlink(ae);
		f->target = xstrdup(t ? t : "");
	} else if (archive_entry_filetype(ae) == AE_IFREG) {
		f->size = (uint64_t)archive_entry_size(ae);
	}
	if (archive_entry_filetype(ae) == AE_IFREG && !hl)
		return data_content(d, a, idx, f->path);
	return 0;
}

/* Reads every entry of one tar member (control or data). */
static int read_tar(struct debread *d, const char *name, const char *suffix, int is_data)
{
	struct tarchain *c = chain_open(d->ar, name, suffix);
	if (!c)
		return -1;
	int rc = -1;
	struct archive_entry *ae;
	for (;;) {
		int r = archive_read_next_header(c->tar, &ae);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK) {
			/* a warning is a failure too: a package is not a best-effort read */
			rp_err("%s: %s", name, archive_error_string(c->tar));
			goto out;
		}
		if ((is_data ? data_entry(d, c->tar, ae) : control_entry(d, c->tar, ae)) < 0)
			goto out;
	}
	if (chain_finish(c, name) < 0)
		goto out;
	rc = 0;
out:
	chain_close(c);
	return rc;
}

static int read_binary(struct debread *d)
{
	struct buf b = BUF_INIT;
	int rc = pkg_read_member(d->ar, &b, CONTROL_MAX, "debian-binary");
	if (rc == 0 && (b.len < 3 || strncmp(b.p, "2.", 2) || !memchr(b.p, '\n', b.len)))
		rc = rp_err("debian-binary: format version '%.*s', want 2.x",
			    (int)strcspn(buf_str(&b), "\n"), buf_str(&b));
	buf_free(&b);
	return rc;
}

/* One ar member, in the order dpkg requires. */
static int ar_member(struct debread *d, const char *name)
{
	if (d->next == M_BINARY) {
		if (strcmp(name, "debian-binary"))
			return rp_err("first ar member is '%s', want debian-binary", name);
		d->next = M_CONTROL;
		return read_binary(d);
	}
	if (name[0] == '_')
		return 0;   /* dpkg's room for extensions: ignored */
	if (d->next == M_CONTROL && !strncmp(name, "control.tar", 11)) {
		d->next = M_DATA;
		if (filter_of(name + 11) < 0)
			return rp_err("%s: unknown compression", name);
		return read_tar(d, name, name + 11, 0);
	}
	if (d->next == M_DATA && !strncmp(name, "data.tar", 8)) {
		d->next = M_DONE;
		if (filter_of(name + 8) < 0)
			return rp_err("%s: unknown compression", name);
		return read_tar(d, name, name + 8, 1);
	}
	return rp_err("unexpected ar member '%s' (want %s)", name,
		      d->next == M_CONTROL ? "control.tar" : d->next == M_DATA ? "data.tar" : "nothing more");
}

static int read_ar(struct debread *d, int fd)
{
	int rc = -1;
	d->ar = archive_read_new();
	archive_read_support_format_ar(d->ar);
	archive_read_support_filter_none(d->ar);
	if (archive_read_open_fd(d->ar, fd, 1 << 16) != ARCHIVE_OK) {
		rp_err("%s", archive_error_string(d->ar));
		goto out;
	}
	for (;;) {
		struct archive_entry *ae;
		int r = archive_read_next_header(d->ar, &ae);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK) {
			rp_err("ar: %s", archive_error_string(d->ar));
			goto out;
		}
		const char *name = archive_entry_pathname(ae);
		if (!name || ar_member(d, name) < 0)
			goto out;
	}
	if (d->next != M_DONE) {
		rp_err("truncated: no %s member", d->next == M_BINARY ? "debian-binary"
			   : d->next == M_CONTROL ? "control.tar" : "data.tar");
		goto out;
	}
	rc = 0;
out:
	archive_read_free(d->ar);
	d->ar = NULL;
	return rc;
}

/* ---- control fields ---- */

static int parse_control(struct debread *d)
{
	struct pkginfo *pi = d->pi;
	const char *c = buf_str(&d->control);
	if (!d->control.len)
		return rp_err("control.tar has no control file");
	pi->name = text_deb_field(c, "Package");
	pi->version = text_deb_field(c, "Version");
	pi->arch = text_deb_field(c, "Architecture");
	pi->maintainer = text_deb_field(c, "Maintainer");
	pi->depends = text_deb_field(c, "Depends");
	pi->summary = text_deb_field(c, "Description");
	char *is = text_deb_field(c, "Installed-Size");
	if (is) {
		char *end;
		unsigned long long k = strtoull(is, &end, 10);
		if (end != is && !*end && k < (1ULL << 50)) {
			pi->installed_size = k * 1024;
			pi->has_installed_size = 1;
		}
		free(is);
	}
	if (!pi->name || !pi->version)
		return rp_err("control: no %s field", pi->name ? "Version" : "Package");
	return 0;
}

/* ---- verify: md5sums against data.tar ---- */

static int cmp_md5ent(const void *a, const void *b)
{
	return strcmp(((const struct md5ent *)a)->path, ((const struct md5ent *)b)->path);
}

static int parse_md5sums(const char *s, struct md5ent **out, size_t *n)
{
	for (const char *l = s; *l;) {
		size_t len = strcspn(l, "\n");
		size_t h = 0;
		while (h < len && strchr("0123456789abcdefABCDEF", l[h]) && l[h])
			h++;
		if (h != 32 || len < 35 || l[32] != ' ')
			return rp_err("md5sums: bad line '%.*s'", (int)(len > 80 ? 80 : len), l);
		const char *p = l + 33 + (l[33] == ' ' || l[33] == '*');
		char *rel = xstrndup(p, len - (size_t)(p - l));
		*out = xrealloc(*out, (*n + 1) * sizeof **out);
		struct md5ent *e = &(*out)[(*n)++];
		e->path = abs_path(rel);
		free(rel);
		for (int i = 0; i < 32; i++)
			e->hex[i] = (char)(l[i] | 0x20);   /* lower case */
		e->hex[32] = 0;
		e->seen = 0;
		l += len + (l[len] == '\n');
	}
	qsort(*out, *n, sizeof **out, cmp_md5ent);
	return 0;
}

static int is_conffile(const char *conffiles, const char *path)
{
	size_t pl = strlen(path);
	for (const char *l = conffiles; *l;) {
		size_t len = strcspn(l, "\n");
		const char *p = memchr(l, '/', len);   /* "[flags ]/path" */
		if (p && (size_t)(l + len - p) == pl && !memcmp(p, path, pl))
			return 1;
		l += len + (l[len] == '\n');
	}
	return 0;
}

static struct md5ent *find_md5(struct md5ent *v, size_t n, const char *path)
{
	struct md5ent key = { .path = (char *)path };
	return bsearch(&key, v, n, sizeof *v, cmp_md5ent);
}

/* The measured md5 of the regular file `path` in data.tar, or NULL. */
static const char *measured(const struct debread *d, const char *path)
{
	for (size_t i = 0; i < d->pi->nfiles; i++)
		if (!d->pi->files[i].hardlink && !strcmp(d->pi->files[i].path, path))
			return d->md5[i][0] ? d->md5[i] : NULL;
	return NULL;
}

static int check_file(struct debread *d, size_t i, struct md5ent *v, size_t n)
{
	const struct pkgfile *f = &d->pi->files[i];
	if (!S_ISREG(f->mode))
		return 0;
	struct md5ent *e = find_md5(v, n, f->path);
	if (!e) {
		if (f->hardlink || is_conffile(buf_str(&d->conffiles), f->path))
			return 0;
		return rp_err("%s: regular file not listed in md5sums", f->path);
	}
	e->seen = 1;
	const char *got = f->hardlink ? measured(d, f->target) : d->md5[i];
	if (!got)
		return rp_err("%s: hard link to %s, which data.tar does not hold", f->path, f->target);
	if (strcmp(got, e->hex))
		return rp_err("%s: md5sum mismatch (md5sums: %s, data.tar: %s)", f->path, e->hex, got);
	return 0;
}

static int verify_md5sums(struct debread *d)
{
	if (!d->have_md5sums) {
		rp_warn("no md5sums in control.tar: file contents not checked");
		return 0;
	}
	struct md5ent *v = NULL;
	size_t n = 0;
	int rc = parse_md5sums(buf_str(&d->md5sums), &v, &n);
	for (size_t i = 0; rc == 0 && i < d->pi->nfiles; i++)
		rc = check_file(d, i, v, n);
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (!v[i].seen)
			rc = rp_err("md5sums lists %s, which data.tar does not hold", v[i].path);
	for (size_t i = 0; i < n; i++)
		free(v[i].path);
	free(v);
	return rc;
}

int deb_pkg_read(int fd, struct pkginfo *pi, enum pkgmode mode)
{
	struct debread d = { .pi = pi, .mode = mode };
	int rc = read_ar(&d, fd);
	if (rc == 0)
		rc = parse_control(&d);
	if (rc == 0 && mode == PKG_VERIFY)
		rc = verify_md5sums(&d);
	buf_free(&d.control);
	buf_free(&d.md5sums);
	buf_free(&d.conffiles);
	free(d.md5);
	return rc;
}
