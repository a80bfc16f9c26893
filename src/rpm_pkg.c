/* rpm_pkg.c — reads a .rpm (rpmbuild's or relpkg's) into a struct
 * pkginfo, and in PKG_VERIFY mode checks what it claims.
 *
 * Layout: a 96-byte lead (magic ed ab ee db, signature type 5), the
 * signature header padded to 8 bytes, the main header (both decoded by
 * rpm_header.c), then the compressed cpio payload to the end of the file.
 * verify checks, in this order, and stops at the first failure: the lead;
 * both headers' structure; SHA256 and SHA1 of the main header bytes;
 * SIZE (header + payload); MD5 (header + payload) if present;
 * PAYLOADDIGEST (of the compressed payload); then, reading the payload
 * with libarchive, every file against FILEDIGESTS (FILEDIGESTALGO),
 * FILESIZES and FILELINKTOS, and every header file against the payload. */
#include "buf.h"
#include "digest.h"
#include "error.h"
#include "pkginfo.h"
#include "rpm_header.h"
#include "version.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { PGP_MD5 = 1, PGP_SHA1 = 2, PGP_SHA256 = 8 };

/* The header's file arrays, one element per file (pointers into the header). */
struct rfiles {
	uint32_t n;
	char **path;            /* owned, absolute */
	const char **digest, **linkto;
	enum halgo algo;
	int *checked;
};

struct rpmread {
	int fd;
	struct pkginfo *pi;
	struct rpmhdr sig, hdr;
	off_t payload_off;      /* where the payload starts */
	struct rfiles rf;
};

static int read_headers(struct rpmread *r)
{
	if (rpmhdr_read_pkg(r->fd, &r->sig, &r->hdr) < 0)
		return -1;
	r->payload_off = lseek(r->fd, 0, SEEK_CUR);
	if (r->payload_off < 0)
		return rp_errno("lseek");
	return 0;
}

/* ---- metadata ---- */

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static char *evr_of(const struct rpmhdr *h)
{
	uint64_t e;
	char ebuf[24];
	int has_epoch = rpmhdr_int(h, RPMTAG_EPOCH, 0, &e) == 0;
	if (has_epoch)
		snprintf(ebuf, sizeof ebuf, "%llu", (unsigned long long)e);
	const char *ver = rpmhdr_str(h, RPMTAG_VERSION);
	return version_full(has_epoch ? ebuf : NULL, ver ? ver : "", rpmhdr_str(h, RPMTAG_RELEASE));
}

/* names[i] has no version and an earlier element has the same name. */
static int seen_bare(const char **names, const char **vers, long i)
{
	if (vers && vers[i][0])
		return 0;
	for (long j = 0; j < i; j++)
		if (!strcmp(names[j], names[i]) && !(vers && vers[j][0]))
			return 1;
	return 0;
}

/* "a, b >= 1.0" from REQUIRENAME/FLAGS/VERSION, without rpmlib() ones. */
static int depends_of(const struct rpmhdr *h, char **out)
{
	const char **names, **vers;
	long n = rpmhdr_strv(h, RPMTAG_REQUIRENAME, &names);
	long nv = rpmhdr_strv(h, RPMTAG_REQUIREVERSION, &vers);
	struct buf b = BUF_INIT;
	int rc = 0;
	if (n < 0 || nv < 0 || (nv && nv != n) || (n && rpmhdr_count(h, RPMTAG_REQUIREFLAGS) != (uint32_t)n)) {
		rc = rp_err("header: the require arrays disagree");
		goto out;
	}
	for (long i = 0; i < n; i++) {
		uint64_t fl = 0;
		rpmhdr_int(h, RPMTAG_REQUIREFLAGS, (uint32_t)i, &fl);
		if ((fl & RPMSENSE_RPMLIB) || !strncmp(names[i], "rpmlib(", 7))
			continue;
		if (seen_bare(names, vers, i))
			continue;   /* the same bare name twice (/bin/sh, once per script) */
		buf_adds(&b, b.len ? ", " : "");
		buf_adds(&b, names[i]);
		if (vers && vers[i][0] && (fl & (RPMSENSE_LESS | RPMSENSE_GREATER | RPMSENSE_EQUAL)))
			buf_addf(&b, " %s%s%s %s", fl & RPMSENSE_LESS ? "<" : "", fl & RPMSENSE_GREATER ? ">" : "",
				 fl & RPMSENSE_EQUAL ? "=" : "", vers[i]);
	}
	*out = b.len ? buf_detach(&b) : NULL;
out:
	buf_free(&b);
	free(names);
	free(vers);
	return rc;
}

static void add_scripts(struct pkginfo *pi, const struct rpmhdr *h)
{
	static const struct { uint32_t tag; const char *name; } s[] = {
		{ RPMTAG_PRETRANS, "%pretrans" }, { RPMTAG_PREIN, "%pre" }, { RPMTAG_POSTIN, "%post" },
		{ RPMTAG_PREUN, "%preun" }, { RPMTAG_POSTUN, "%postun" }, { RPMTAG_POSTTRANS, "%posttrans" },
		{ RPMTAG_VERIFYSCRIPT, "%verifyscript" },
	};
	for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
		const char *body = rpmhdr_str(h, s[i].tag);
		if (body)
			pkginfo_add_script(pi, s[i].name, strlen(body));
	}
}

static int read_meta(struct rpmread *r)
{
	struct pkginfo *pi = r->pi;
	const struct rpmhdr *h = &r->hdr;
	pi->name = dup_or_null(rpmhdr_str(h, RPMTAG_NAME));
	if (!pi->name || !rpmhdr_str(h, RPMTAG_VERSION))
		return rp_err("header: no %s", pi->name ? "VERSION" : "NAME");
	pi->version = evr_of(h);
	pi->arch = dup_or_null(rpmhdr_str(h, RPMTAG_ARCH));
	pi->maintainer = dup_or_null(rpmhdr_str(h, RPMTAG_PACKAGER));
	pi->summary = dup_or_null(rpmhdr_str(h, RPMTAG_SUMMARY));
	uint64_t size;
	if (rpmhdr_int(h, RPMTAG_LONGSIZE, 0, &size) == 0 || rpmhdr_int(h, RPMTAG_SIZE, 0, &size) == 0) {
		pi->installed_size = size;
		pi->has_installed_size = 1;
	}
	add_scripts(pi, h);
	return depends_of(h, &pi->depends);
}

/* ---- the file list ---- */

static void rfiles_free(struct rfiles *f)
{
	for (uint32_t i = 0; f->path && i < f->n; i++)
		free(f->path[i]);
	free(f->path);
	free(f->digest);
	free(f->linkto);
	free(f->checked);
	memset(f, 0, sizeof *f);
}

/* Paths from DIRNAMES[DIRINDEXES[i]] + BASENAMES[i] (or OLDFILENAMES). */
static int file_paths(const struct rpmhdr *h, struct rfiles *f)
{
	const char **base = NULL, **dirs = NULL;
	long nb = rpmhdr_strv(h, RPMTAG_BASENAMES, &base), nd = rpmhdr_strv(h, RPMTAG_DIRNAMES, &dirs);
	int rc = -1;
	if (nb < 0 || nd < 0)
		goto out;
	if (nb == 0) {
		free(base);
		base = NULL;
		nb = rpmhdr_strv(h, RPMTAG_OLDFILENAMES, &base);
		if (nb < 0)
			goto out;
		nd = -1;
	}
	f->n = (uint32_t)nb;
	f->path = xcalloc(f->n, sizeof *f->path);
	if (nd >= 0 && rpmhdr_count(h, RPMTAG_DIRINDEXES) != f->n && f->n) {
		rp_err("header: DIRINDEXES and BASENAMES disagree");
		goto out;
	}
	for (uint32_t i = 0; i < f->n; i++) {
		uint64_t di = 0;
		if (nd < 0) {
			f->path[i] = xstrdup(base[i]);
			continue;
		}
		if (rpmhdr_int(h, RPMTAG_DIRINDEXES, i, &di) < 0 || di >= (uint64_t)nd) {
			rp_err("header: file %u: directory index out of range", i);
			goto out;
		}
		struct buf b = BUF_INIT;
		buf_addf(&b, "%s%s", dirs[di], base[i]);
		f->path[i] = buf_detach(&b);
	}
	rc = 0;
out:
	free(base);
	free(dirs);
	return rc;
}

/* An optional string array must have one element per file. */
static int per_file_strv(const struct rpmhdr *h, uint32_t tag, uint32_t n, const char ***v)
{
	long k = rpmhdr_strv(h, tag, v);
	if (k < 0)
		return -1;
	if (k && (uint32_t)k != n)
		return rp_err("header: tag %u has %ld elements for %u files", tag, k, n);
	if (!k) {
		free(*v);
		*v = NULL;
	}
	return 0;
}

static int per_file_ints(const struct rpmhdr *h, uint32_t tag, uint32_t n, int required)
{
	uint32_t k = rpmhdr_count(h, tag);
	if (k == n || (!k && !required))
		return 0;
	return rp_err("header: tag %u has %u elements for %u files", tag, k, n);
}

static uint64_t file_size(const struct rpmhdr *h, uint32_t i)
{
	uint64_t v = 0;
	if (rpmhdr_int(h, RPMTAG_LONGFILESIZES, i, &v) < 0)
		rpmhdr_int(h, RPMTAG_FILESIZES, i, &v);
	return v;
}

static int read_files(struct rpmread *r)
{
	const struct rpmhdr *h = &r->hdr;
	struct rfiles *f = &r->rf;
	const char **users = NULL, **groups = NULL;
	int rc = -1;
	if (file_paths(h, f) < 0)
		goto out;
	uint32_t n = f->n;
	if (per_file_ints(h, RPMTAG_FILEMODES, n, 1) < 0 ||
	    per_file_ints(h, rpmhdr_count(h, RPMTAG_LONGFILESIZES) ? RPMTAG_LONGFILESIZES : RPMTAG_FILESIZES, n, 1) < 0 ||
	    per_file_ints(h, RPMTAG_FILEFLAGS, n, 0) < 0 || per_file_ints(h, RPMTAG_FILEINODES, n, 0) < 0 ||
	    per_file_strv(h, RPMTAG_FILEDIGESTS, n, &f->digest) < 0 ||
	    per_file_strv(h, RPMTAG_FILELINKTOS, n, &f->linkto) < 0 ||
	    per_file_strv(h, RPMTAG_FILEUSERNAME, n, &users) < 0 ||
	    per_file_strv(h, RPMTAG_FILEGROUPNAME, n, &groups) < 0)
		goto out;
	for (uint32_t i = 0; i < n; i++) {
		struct pkgfile *pf = pkginfo_add_file(r->pi);
		uint64_t mode = 0;
		rpmhdr_int(h, RPMTAG_FILEMODES, i, &mode);
		pf->path = xstrdup(f->path[i]);
		pf->mode = (uint32_t)mode;
		pf->size = S_ISREG(pf->mode) ? file_size(h, i) : 0;
		pf->user = xstrdup(users ? users[i] : "root");
		pf->group = xstrdup(groups ? groups[i] : "root");
		if (S_ISLNK(pf->mode) && f->linkto)
			pf->target = xstrdup(f->linkto[i]);
	}
	rc = 0;
out:
	free(users);
	free(groups);
	return rc;
}

/* ---- verify: signature header against the bytes ---- */

static int hex_eq(const unsigned char *d, unsigned n, const char *want)
{
	char hex[2 * 64 + 1];
	hex_encode(d, n, hex);
	return want && !strcasecmp(hex, want);
}

static int check_header_digest(const struct rpmread *r, uint32_t tag, enum halgo algo, const char *name)
{
	const struct rpmhdr_entry *e = rpmhdr_find(&r->sig, tag);
	if (!e)
		return 0;
	if (e->type != RT_STRING)
		return rp_err("signature header: %s is not a string", name);
	struct hasher hs;
	unsigned char d[32];
	hasher_init(&hs, algo);
	hasher_update(&hs, r->hdr.blob, r->hdr.len);
	unsigned n = hasher_final(&hs, d);
	hasher_free(&hs);
	if (!hex_eq(d, n, rpmhdr_str(&r->sig, tag)))
		return rp_err("header %s digest mismatch", name);
	return 0;
}

static int check_size(const struct rpmread *r)
{
	uint64_t want;
	if (rpmhdr_int(&r->sig, RPMSIGTAG_LONGSIZE, 0, &want) < 0 && rpmhdr_int(&r->sig, RPMSIGTAG_SIZE, 0, &want) < 0)
		return 0;
	struct stat st;
	if (fstat(r->fd, &st) < 0)
		return rp_errno("fstat");
	uint64_t got = (uint64_t)(st.st_size - r->payload_off) + r->hdr.len;
	if (got != want)
		return rp_err("size mismatch: the signature header says %llu bytes of header and payload, "
			      "the file has %llu (truncated or padded)", (unsigned long long)want,
			      (unsigned long long)got);
	return 0;
}

static int algo_of(uint64_t pgp, enum halgo *out)
{
	switch (pgp) {
	case PGP_MD5: *out = H_MD5; return 0;
	case PGP_SHA1: *out = H_SHA1; return 0;
	case PGP_SHA256: *out = H_SHA256; return 0;
	default: return -1;
	}
}

/* One pass over the compressed payload: PAYLOADDIGEST and the MD5 of
 * header + payload, whichever the package carries. */
static int check_payload_digests(struct rpmread *r)
{
	const char *pd = rpmhdr_str(&r->hdr, RPMTAG_PAYLOADDIGEST);
	uint32_t md5len = 0;
	const unsigned char *md5 = rpmhdr_bin(&r->sig, RPMSIGTAG_MD5, &md5len);
	uint64_t pgp = PGP_SHA256;
	enum halgo palgo = H_SHA256;
	rpmhdr_int(&r->hdr, RPMTAG_PAYLOADDIGESTALGO, 0, &pgp);
	if (pd && algo_of(pgp, &palgo) < 0)
		return rp_err("payload digest algorithm %llu not supported", (unsigned long long)pgp);
	if (md5 && md5len != 16)
		return rp_err("signature header: MD5 is %u bytes, want 16", md5len);
	if (!pd && !md5)
		return 0;
	struct hasher hp, hm;
	hasher_init(&hp, pd ? palgo : H_SHA256);
	hasher_init(&hm, H_MD5);
	hasher_update(&hm, r->hdr.blob, r->hdr.len);
	static unsigned char blk[1 << 16];
	off_t off = r->payload_off;
	int rc = 0;
	for (;;) {
		ssize_t n = pread(r->fd, blk, sizeof blk, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = rp_errno("payload");
			break;
		}
		if (n == 0)
			break;
		hasher_update(&hp, blk, (size_t)n);
		hasher_update(&hm, blk, (size_t)n);
		off += n;
	}
	unsigned char d[32], dm[16];
	unsigned len = hasher_final(&hp, d);
	hasher_final(&hm, dm);
	hasher_free(&hp);
	hasher_free(&hm);
	if (rc == 0 && md5 && memcmp(md5, dm, 16))
		rc = rp_err("MD5 digest mismatch (header + payload)");
	if (rc == 0 && pd && !hex_eq(d, len, pd))
		rc = rp_err("payload digest mismatch");
	return rc;
}

/* ---- verify: the payload's files against the header ---- */

static int filter_for(struct archive *a, const char *compr)
{
	if (!compr || !strcmp(compr, "gzip")) {
		/* rpm's default; zlib also reads an uncompressed payload as is */
		archive_read_support_filter_gzip(a);
		return 0;
	}
	static const struct { const char *name; int (*fn)(struct archive *); } t[] = {
		{ "xz", archive_read_support_filter_xz }, { "zstd", archive_read_support_filter_zstd },
		{ "bzip2", archive_read_support_filter_bzip2 }, { "lzma", archive_read_support_filter_lzma },
		{ "none", archive_read_support_filter_none },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (!strcmp(compr, t[i].name)) {
			t[i].fn(a);
			return 0;
		}
	return rp_err("payload compressor '%s' not supported", compr);
}

static struct rfiles *sort_rf;
static int cmp_idx(const void *a, const void *b)
{
	return strcmp(sort_rf->path[*(const uint32_t *)a], sort_rf->path[*(const uint32_t *)b]);
}

/* Index of path in the header's files, or -1. */
static long find_file(const struct rfiles *f, const uint32_t *order, const char *path)
{
	size_t lo = 0, hi = f->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(path, f->path[order[mid]]);
		if (!c)
			return order[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

static int hash_entry(struct archive *a, enum halgo algo, char *hex, uint64_t *size)
{
	struct hasher h;
	unsigned char d[32];
	static char blk[1 << 16];
	int rc = 0;
	*size = 0;
	hasher_init(&h, algo);
	for (;;) {
		la_ssize_t n = archive_read_data(a, blk, sizeof blk);
		if (n < 0) {
			rc = rp_err("payload: %s", archive_error_string(a));
			break;
		}
		if (n == 0)
			break;
		hasher_update(&h, blk, (size_t)n);
		*size += (uint64_t)n;
	}
	hex_encode(d, hasher_final(&h, d), hex);
	hasher_free(&h);
	return rc;
}

static int check_entry(struct rpmread *r, struct archive *a, struct archive_entry *ae, const uint32_t *order)
{
	struct rfiles *f = &r->rf;
	const char *name = archive_entry_pathname(ae);
	if (!name)
		return rp_err("payload: an entry without a name");
	const char *p = name[0] == '.' ? name + 1 : name;
	long i = find_file(f, order, p);
	if (i < 0)
		return rp_err("payload holds %s, which the header does not list", name);
	const char *path = f->path[i];
	uint64_t mode = 0;
	rpmhdr_int(&r->hdr, RPMTAG_FILEMODES, (uint32_t)i, &mode);
	if ((archive_entry_mode(ae) & AE_IFMT) != (mode & S_IFMT))
		return rp_err("%s: file type differs between header and payload", path);
	if (S_ISLNK(mode) && f->linkto) {
		const char *t = archive_entry_symlink(ae);
		if (!t || strcmp(t, f->linkto[i]))
			return rp_err("%s: symlink target differs between header and payload", path);
	}
	if (!S_ISREG(mode)) {
		f->checked[i] = 1;
		return 0;
	}
	uint64_t want = file_size(&r->hdr, (uint32_t)i);
	if (archive_entry_size(ae) == 0 && want > 0)
		return 0;   /* a hard link whose data comes with another name */
	char hex[2 * 32 + 1];
	uint64_t got;
	if (hash_entry(a, f->algo, hex, &got) < 0)
		return rp_err_context("%s", path);
	if (got != want)
		return rp_err("%s: size mismatch (header: %llu, payload: %llu)", path,
			      (unsigned long long)want, (unsigned long long)got);
	if (f->digest && f->digest[i][0] && strcasecmp(hex, f->digest[i]))
		return rp_err("%s: file digest mismatch", path);
	f->checked[i] = 1;
	return 0;
}

/* Files the payload did not carry: ghosts, or hard links to a checked file. */
static int check_missing(struct rpmread *r)
{
	struct rfiles *f = &r->rf;
	for (uint32_t i = 0; i < f->n; i++) {
		uint64_t fl = 0, ino = 0, ino2 = 0;
		rpmhdr_int(&r->hdr, RPMTAG_FILEFLAGS, i, &fl);
		if (f->checked[i] || (fl & RPMFILE_GHOST))
			continue;
		int ok = 0;
		if (rpmhdr_int(&r->hdr, RPMTAG_FILEINODES, i, &ino) == 0)
			for (uint32_t j = 0; j < f->n && !ok; j++)
				ok = j != i && f->checked[j] && rpmhdr_int(&r->hdr, RPMTAG_FILEINODES, j, &ino2) == 0 &&
				     ino2 == ino && f->digest && !strcmp(f->digest[i], f->digest[j]);
		if (!ok)
			return rp_err("%s: listed in the header, missing from the payload", f->path[i]);
	}
	return 0;
}

static int read_payload(struct rpmread *r)
{
	struct rfiles *f = &r->rf;
	uint64_t pgp = PGP_MD5;    /* rpm's default before FILEDIGESTALGO existed */
	rpmhdr_int(&r->hdr, RPMTAG_FILEDIGESTALGO, 0, &pgp);
	if (algo_of(pgp, &f->algo) < 0)
		return rp_err("file digest algorithm %llu not supported", (unsigned long long)pgp);
	const char *fmt = rpmhdr_str(&r->hdr, RPMTAG_PAYLOADFORMAT);
	if (fmt && strcmp(fmt, "cpio"))
		return rp_err("payload format '%s' not supported", fmt);
	uint32_t *order = xmalloc((f->n ? f->n : 1) * sizeof *order);
	for (uint32_t i = 0; i < f->n; i++)
		order[i] = i;
	sort_rf = f;
	qsort(order, f->n, sizeof *order, cmp_idx);
	sort_rf = NULL;
	f->checked = xcalloc(f->n, sizeof *f->checked);
	int rc = -1;
	struct archive *a = archive_read_new();
	archive_read_support_format_cpio(a);
	if (filter_for(a, rpmhdr_str(&r->hdr, RPMTAG_PAYLOADCOMPRESSOR)) < 0)
		goto out;
	if (lseek(r->fd, r->payload_off, SEEK_SET) < 0) {
		rp_errno("lseek");
		goto out;
	}
	if (archive_read_open_fd(a, r->fd, 1 << 16) != ARCHIVE_OK) {
		rp_err("payload: %s", archive_error_string(a));
		goto out;
	}
	for (;;) {
		struct archive_entry *ae;
		int s = archive_read_next_header(a, &ae);
		if (s == ARCHIVE_EOF)
			break;
		if (s != ARCHIVE_OK) {
			rp_err("payload: %s", archive_error_string(a));
			goto out;
		}
		if (check_entry(r, a, ae, order) < 0)
			goto out;
	}
	rc = check_missing(r);
out:
	archive_read_free(a);
	free(order);
	return rc;
}

static int verify(struct rpmread *r)
{
	if (!rpmhdr_find(&r->sig, RPMSIGTAG_SHA256) && !rpmhdr_find(&r->sig, RPMSIGTAG_SHA1) && !rpmhdr_find(&r->sig, RPMSIGTAG_MD5))
		return rp_err("signature header: no digest (SHA256, SHA1 or MD5)");
	if (check_header_digest(r, RPMSIGTAG_SHA256, H_SHA256, "SHA256") < 0 ||
	    check_header_digest(r, RPMSIGTAG_SHA1, H_SHA1, "SHA1") < 0 ||
	    check_size(r) < 0 || check_payload_digests(r) < 0)
		return -1;
	return read_payload(r);
}

/* inspect: a relpkg package's per-version metadata (hot-upgrade coverage),
 * read from the payload up to that entry; only when the header lists one.
 * Anything that goes wrong leaves pi->relpkg_meta NULL: inspect shows what
 * it can. */
static void read_relpkg_meta(struct rpmread *r)
{
	int listed = 0;
	for (uint32_t i = 0; i < r->rf.n && !listed; i++)
		listed = pkginfo_is_relpkg_meta(r->rf.path[i]);
	if (!listed)
		return;
	const char *fmt = rpmhdr_str(&r->hdr, RPMTAG_PAYLOADFORMAT);
	struct archive *a = archive_read_new();
	archive_read_support_format_cpio(a);
	if ((fmt && strcmp(fmt, "cpio")) || filter_for(a, rpmhdr_str(&r->hdr, RPMTAG_PAYLOADCOMPRESSOR)) < 0 ||
	    lseek(r->fd, r->payload_off, SEEK_SET) < 0 || archive_read_open_fd(a, r->fd, 1 << 16) != ARCHIVE_OK) {
		archive_read_free(a);
		rp_err_clear();
		return;
	}
	struct archive_entry *ae;
	while (archive_read_next_header(a, &ae) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(ae);
		if (!name || !pkginfo_is_relpkg_meta(name) || archive_entry_filetype(ae) != AE_IFREG)
			continue;
		struct buf mb = BUF_INIT;
		if (pkg_read_member(a, &mb, PKGINFO_META_MAX, name) == 0)
			r->pi->relpkg_meta = buf_detach(&mb);
		buf_free(&mb);
		break;
	}
	archive_read_free(a);
	rp_err_clear();
}

int rpm_pkg_read(int fd, struct pkginfo *pi, enum pkgmode mode)
{
	struct rpmread r = { .fd = fd, .pi = pi };
	int rc = read_headers(&r);
	if (rc == 0)
		rc = read_meta(&r);
	if (rc == 0)
		rc = read_files(&r);
	if (rc == 0 && mode == PKG_VERIFY)
		rc = verify(&r);
	if (rc == 0 && mode == PKG_INSPECT)
		read_relpkg_meta(&r);
	rfiles_free(&r.rf);
	rpmhdr_free(&r.sig);
	rpmhdr_free(&r.hdr);
	return rc;
}
