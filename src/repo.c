/* repo.c — see repo.h.  The store's index of entries, the commands add /
 * list / prune, and the helpers both index writers share.  What a .deb or
 * .rpm says is read in repo_apt.c / repo_rpm.c; this file never looks
 * inside a package. */
#include "repo.h"
#include "atomic.h"
#include "buf.h"
#include "digest.h"
#include "error.h"
#include "exec.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <solv/evr.h>
#include <solv/pool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define ENTRY_MAGIC "relpkg-repo-entry 1\n"
#define ENTRY_SUFFIX ".entry"
#define ENTRY_MAX (64u << 20)   /* an entry file larger than this is corrupt */

void repo_entry_release(struct repo_entry *e)
{
	free(e->name);
	free(e->version);
	free(e->arch);
	free(e->file);
	free(e->src);
	for (int i = 0; i < FR_N; i++)
		buf_free(&e->frag[i]);
	memset(e, 0, sizeof *e);
}

void repo_entries_release(struct repo_entries *es)
{
	for (size_t i = 0; i < es->n; i++)
		repo_entry_release(&es->v[i]);
	free(es->v);
	memset(es, 0, sizeof *es);
}

static struct repo_entry *entries_push(struct repo_entries *es)
{
	if (es->n == es->cap) {
		es->cap = es->cap ? 2 * es->cap : 16;
		es->v = xrealloc(es->v, es->cap * sizeof *es->v);
	}
	struct repo_entry *e = &es->v[es->n++];
	memset(e, 0, sizeof *e);
	return e;
}

/* ---- shared helpers ---------------------------------------------------- */

int repo_file_digests(const char *path, struct repo_digests *d)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rp_errno("%s", path);
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return rp_err("%s: not a regular file", path);
	}
	struct hasher h[4];
	static const enum halgo algo[4] = { H_MD5, H_SHA1, H_SHA256, H_SHA512 };
	for (int i = 0; i < 4; i++)
		hasher_init(&h[i], algo[i]);
	static char chunk[1 << 16];
	uint64_t total = 0;
	int rc = 0;
	for (;;) {
		ssize_t r = read(fd, chunk, sizeof chunk);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = rp_errno("%s: read", path);
			break;
		}
		if (r == 0)
			break;
		for (int i = 0; i < 4; i++)
			hasher_update(&h[i], chunk, (size_t)r);
		total += (uint64_t)r;
	}
	unsigned char md[64];
	char *hex[4] = { d->md5, d->sha1, d->sha256, d->sha512 };
	for (int i = 0; i < 4; i++) {
		unsigned n = hasher_final(&h[i], md);
		hex_encode(md, n, hex[i]);
		hasher_release(&h[i]);
	}
	d->size = total;
	d->mtime = st.st_mtime;
	close(fd);
	return rc;
}

/* One pool per format, made on first use and kept: sorting a store calls
 * this n log n times.  TODO(merge): solve_vercmp() in solve.c has the
 * same rules but makes a pool per call and can fail, which a qsort
 * comparator cannot report; hence vercmp_ready() below. */
static Pool *vercmp_pool[2];

static int vercmp_ready(void)
{
	for (int i = 0; i < 2; i++) {
		if (vercmp_pool[i])
			continue;
		vercmp_pool[i] = pool_create();
		if (pool_setdisttype(vercmp_pool[i], i ? DISTTYPE_DEB : DISTTYPE_RPM) < 0) {
			pool_free(vercmp_pool[i]);
			vercmp_pool[i] = NULL;
			return rp_err("this libsolv cannot use %s version rules (built without multi-semantics)",
				      i ? "dpkg's" : "rpm's");
		}
	}
	return 0;
}

int repo_vercmp(enum repo_format f, const char *a, const char *b)
{
	if (vercmp_ready() < 0)
		return strcmp(a, b) < 0 ? -1 : strcmp(a, b) > 0;  /* callers checked vercmp_ready() */
	int c = pool_evrcmp_str(vercmp_pool[f == RF_DEB], a, b, EVRCMP_COMPARE);
	return c < 0 ? -1 : c > 0;
}

void repo_xml_escape(struct buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '&': buf_adds(b, "&amp;"); break;
		case '<': buf_adds(b, "&lt;"); break;
		case '>': buf_adds(b, "&gt;"); break;
		case '"': buf_adds(b, "&quot;"); break;
		case '\t': case '\n': case '\r': buf_addc(b, (char)*p); break;
		default:
			/* control characters are not allowed in XML 1.0: dropped, as createrepo_c does */
			if (*p >= 0x20)
				buf_addc(b, (char)*p);
		}
	}
}

int repo_gzip(const void *p, size_t n, struct buf *out)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return rp_err("zlib: deflateInit2 failed");
	size_t bound = deflateBound(&z, (uLong)n);
	buf_grow(out, bound);
	z.next_in = (Bytef *)p;
	z.avail_in = (uInt)n;
	z.next_out = (Bytef *)out->p + out->len;
	z.avail_out = (uInt)bound;
	int r = deflate(&z, Z_FINISH);
	if (r != Z_STREAM_END) {
		deflateEnd(&z);
		return rp_err("zlib: deflate failed");
	}
	out->len += z.total_out;
	out->p[out->len] = 0;
	deflateEnd(&z);
	return 0;
}

static int write_all(int fd, const void *p, size_t n, const char *what)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return rp_errno("%s: write", what);
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int repo_write_file(const char *dir, const char *name, const void *p, size_t n)
{
	struct atomic a;
	if (atomic_open(&a, dir, name) < 0)
		return -1;
	if (write_all(a.fd, p, n, name) < 0) {
		atomic_abort(&a);
		return -1;
	}
	return atomic_commit(&a);
}

time_t repo_now(void)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	if (s && *s) {
		char *end;
		long long v = strtoll(s, &end, 10);
		if (!*end && v >= 0)
			return (time_t)v;
	}
	return time(NULL);
}

int repo_gpg_sign(const char *key, const struct buf *data, int clearsign, struct buf *out)
{
	/* gpg reads the data from a scratch file: exec_capture gives the child /dev/null as stdin */
	const char *tmpdir = getenv("TMPDIR");
	struct buf tpl = BUF_INIT;
	buf_addf(&tpl, "%s/relpkg-sign-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	int fd = mkstemp(tpl.p);
	if (fd < 0) {
		rp_errno("%s: cannot create a temporary file", tpl.p);
		buf_free(&tpl);
		return -1;
	}
	int rc = write_all(fd, data->p ? data->p : "", data->len, tpl.p);
	close(fd);
	if (rc == 0) {
		const char *argv[] = { "gpg", "--batch", "--yes", "--no-tty", "--local-user", key,
				       "--armor", "--digest-algo", "SHA256",
				       clearsign ? "--clearsign" : "--detach-sign", "--output", "-", tpl.p, NULL };
		int st = exec_capture(argv, out, 0);
		if (st < 0)
			rc = -1;
		else if (st == 127)
			rc = rp_err("--sign-key needs gpg, which could not be run");
		else if (st != 0)
			rc = rp_err("gpg could not sign with key %s (exit status %d)", key, st);
	}
	unlink(tpl.p);
	buf_free(&tpl);
	return rc;
}

/* ---- the index of entries ---------------------------------------------- */

static void index_dir(struct buf *b, const char *dir)
{
	buf_reset(b);
	buf_addf(b, "%s/.relpkg/index", dir);
}

/* The entry file's name: the package file's base name + ".entry". */
static void entry_name(struct buf *b, const struct repo_entry *e)
{
	const char *base = strrchr(e->file, '/');
	buf_reset(b);
	buf_addf(b, "%s%s", base ? base + 1 : e->file, ENTRY_SUFFIX);
}

static int entry_save(const char *dir, const struct repo_entry *e)
{
	struct buf b = BUF_INIT, idx = BUF_INIT, name = BUF_INIT;
	buf_adds(&b, ENTRY_MAGIC);
	buf_addf(&b, "format %s\nname %s\nversion %s\narch %s\nfile %s\nsize %llu\nsha256 %s\nmtime %lld\n",
		 e->format == RF_DEB ? "deb" : "rpm", e->name, e->version, e->arch, e->file,
		 (unsigned long long)e->size, e->sha256, (long long)e->mtime);
	for (int i = 0; i < FR_N; i++) {
		buf_addf(&b, "frag %d %zu\n", i, e->frag[i].len);
		buf_add(&b, buf_str(&e->frag[i]), e->frag[i].len);
	}
	index_dir(&idx, dir);
	entry_name(&name, e);
	int rc = repo_write_file(idx.p, name.p, b.p, b.len);
	buf_free(&b);
	buf_free(&idx);
	buf_free(&name);
	return rc;
}

static int read_whole(const char *path, struct buf *out, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rp_errno("%s", path);
	char chunk[8192];
	int rc = 0;
	for (;;) {
		ssize_t r = read(fd, chunk, sizeof chunk);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = rp_errno("%s: read", path);
			break;
		}
		if (r == 0)
			break;
		if (out->len + (size_t)r > max) {
			rc = rp_err("%s: larger than %zu bytes", path, max);
			break;
		}
		buf_add(out, chunk, (size_t)r);
	}
	close(fd);
	return rc;
}

/* Takes the next "key value\n" line of an entry file. */
static char *take_line(char **p, char *end, const char *key)
{
	char *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t kl = strlen(key);
	if (!nl || (size_t)(nl - *p) < kl + 1 || strncmp(*p, key, kl) || (*p)[kl] != ' ')
		return NULL;
	*nl = 0;
	char *v = *p + kl + 1;
	*p = nl + 1;
	return v;
}

static int entry_load(const char *path, struct repo_entry *e)
{
	struct buf b = BUF_INIT;
	int rc = -1;
	if (read_whole(path, &b, ENTRY_MAX) < 0)
		goto out;
	char *p = b.p, *end = b.p + b.len;
	if (b.len < strlen(ENTRY_MAGIC) || memcmp(p, ENTRY_MAGIC, strlen(ENTRY_MAGIC))) {
		rp_err("%s: not a relpkg repository entry", path);
		goto out;
	}
	p += strlen(ENTRY_MAGIC);
	char *v[8];
	static const char *keys[8] = { "format", "name", "version", "arch", "file", "size", "sha256", "mtime" };
	for (int i = 0; i < 8; i++)
		if (!(v[i] = take_line(&p, end, keys[i]))) {
			rp_err("%s: corrupt entry (no %s)", path, keys[i]);
			goto out;
		}
	e->format = !strcmp(v[0], "rpm") ? RF_RPM : RF_DEB;
	e->name = xstrdup(v[1]);
	e->version = xstrdup(v[2]);
	e->arch = xstrdup(v[3]);
	e->file = xstrdup(v[4]);
	e->size = strtoull(v[5], NULL, 10);
	snprintf(e->sha256, sizeof e->sha256, "%s", v[6]);
	e->mtime = (time_t)strtoll(v[7], NULL, 10);
	for (int i = 0; i < FR_N; i++) {
		char *l = take_line(&p, end, "frag");
		unsigned long long len;
		int idx;
		if (!l || sscanf(l, "%d %llu", &idx, &len) != 2 || idx != i || len > (size_t)(end - p)) {
			rp_err("%s: corrupt entry (fragment %d)", path, i);
			goto out;
		}
		buf_add(&e->frag[i], p, (size_t)len);
		p += len;
	}
	rc = 0;
out:
	buf_free(&b);
	return rc;
}

static int cmp_entries(const void *pa, const void *pb)
{
	const struct repo_entry *a = pa, *b = pb;
	int c = strcmp(a->name, b->name);
	if (c)
		return c;
	if (a->format != b->format)
		return a->format == RF_DEB ? -1 : 1;
	c = repo_vercmp(a->format, a->version, b->version);
	if (c)
		return c;
	return strcmp(a->arch, b->arch);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every entry of the store, sorted (name, format, version, arch). */
static int index_load(const char *dir, struct repo_entries *es)
{
	struct buf idx = BUF_INIT, path = BUF_INIT;
	index_dir(&idx, dir);
	if (vercmp_ready() < 0) {
		buf_free(&idx);
		return -1;
	}
	DIR *d = opendir(idx.p);
	int rc = 0;
	if (!d) {
		if (errno != ENOENT)
			rc = rp_errno("%s", idx.p);
		buf_free(&idx);
		return rc;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name), sl = strlen(ENTRY_SUFFIX);
		if (de->d_name[0] == '.' || l <= sl || strcmp(de->d_name + l - sl, ENTRY_SUFFIX))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			names = xrealloc(names, cap * sizeof *names);
		}
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, cmp_str);
	for (size_t i = 0; i < n && rc == 0; i++) {
		buf_reset(&path);
		buf_addf(&path, "%s/%s", idx.p, names[i]);
		struct repo_entry *e = entries_push(es);
		rc = entry_load(path.p, e);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	buf_free(&idx);
	buf_free(&path);
	if (rc == 0 && es->n)
		qsort(es->v, es->n, sizeof *es->v, cmp_entries);
	return rc;
}

/* ---- the store: lock, sign key, regeneration ----------------------------- */

struct store {
	char *dir;      /* owned */
	int lockfd;
	char *sign_key; /* owned: --sign-key, else the remembered one, else NULL */
};

static int store_open(struct store *s, const char *dir, int create)
{
	struct buf b = BUF_INIT;
	memset(s, 0, sizeof *s);
	s->lockfd = -1;
	s->dir = xstrdup(dir);
	int rc = -1;
	buf_addf(&b, "%s/.relpkg", dir);
	struct stat st;
	if (!create && stat(b.p, &st) < 0) {
		rp_err("%s: not a relpkg repository (no .relpkg/; make one with relpkg repo add)", dir);
		goto out;
	}
	if (create) {
		const char *sub[] = { "pool", ".relpkg/index", "repodata" };
		for (size_t i = 0; i < sizeof sub / sizeof *sub; i++) {
			buf_reset(&b);
			buf_addf(&b, "%s/%s", dir, sub[i]);
			if (mkdir_p(b.p) < 0)
				goto out;
		}
	}
	buf_reset(&b);
	buf_addf(&b, "%s/.relpkg/lock", dir);
	s->lockfd = open(b.p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (s->lockfd < 0) {
		rp_errno("%s", b.p);
		goto out;
	}
	if (flock(s->lockfd, LOCK_EX) < 0) {
		rp_errno("%s: lock", b.p);
		goto out;
	}
	rc = 0;
out:
	buf_free(&b);
	return rc;
}

static void store_close(struct store *s)
{
	if (s->lockfd >= 0)
		close(s->lockfd);
	free(s->dir);
	free(s->sign_key);
	memset(s, 0, sizeof *s);
	s->lockfd = -1;
}

static int valid_keyid(const char *k)
{
	if (!*k || *k == '-')
		return 0;
	for (const char *p = k; *p; p++)
		if (*p == '\n' || *p == '\r')
			return 0;
	return 1;
}

/* --sign-key KEY is remembered in .relpkg/sign-key: a later add or prune
 * without it must not leave a stale InRelease beside a new Release. */
static int store_sign_key(struct store *s, const char *given)
{
	struct buf path = BUF_INIT, b = BUF_INIT;
	buf_addf(&path, "%s/.relpkg", s->dir);
	int rc = 0;
	if (given) {
		s->sign_key = xstrdup(given);
	} else {
		buf_adds(&path, "/sign-key");
		if (access(path.p, F_OK) == 0 && read_whole(path.p, &b, 4096) == 0) {
			b.len = strcspn(b.p, "\n");
			b.p[b.len] = 0;
			if (b.len)
				s->sign_key = xstrdup(b.p);
		}
	}
	/* sign once now, before anything changes: a key gpg cannot use must
	 * fail the command while the store is still as it was */
	if (rc == 0 && s->sign_key) {
		struct buf probe = BUF_INIT, sig = BUF_INIT;
		buf_adds(&probe, "relpkg: signing probe\n");
		rc = repo_gpg_sign(s->sign_key, &probe, 0, &sig);
		buf_free(&probe);
		buf_free(&sig);
	}
	if (rc == 0 && given) {
		buf_reset(&b);
		buf_addf(&b, "%s\n", given);
		rc = repo_write_file(path.p, "sign-key", b.p, b.len);
	}
	buf_free(&path);
	buf_free(&b);
	return rc;
}

static int store_regenerate(struct store *s)
{
	struct repo_entries es = { 0 };
	struct repo_sign sg = { s->sign_key };
	int rc = index_load(s->dir, &es);
	if (rc == 0)
		rc = repo_apt_write(s->dir, &es, &sg);
	if (rc == 0)
		rc = repo_rpm_write(s->dir, &es, &sg);
	repo_entries_release(&es);
	return rc;
}

/* ---- repo add -------------------------------------------------------------- */

static int sniff_format(const char *path, enum repo_format *f)
{
	unsigned char m[8] = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rp_errno("%s", path);
	ssize_t r = read(fd, m, sizeof m);
	close(fd);
	if (r == 8 && !memcmp(m, "!<arch>\n", 8))
		*f = RF_DEB;
	else if (r >= 4 && m[0] == 0xed && m[1] == 0xab && m[2] == 0xee && m[3] == 0xdb)
		*f = RF_RPM;
	else
		return rp_err("%s: not a .deb or .rpm package", path);
	return 0;
}

/* Copies src into dir/pool under the entry's file name: atomically, with
 * the input's mtime, checking that the bytes are the ones hashed before. */
static int copy_in(const char *dir, const struct repo_entry *e)
{
	struct buf pool = BUF_INIT;
	struct atomic a;
	struct hasher h;
	int in = -1, rc = -1;
	const char *base = strrchr(e->file, '/');
	buf_addf(&pool, "%s/%.*s", dir, (int)(base - e->file), e->file);
	hasher_init(&h, H_SHA256);
	a.fd = -1;
	in = open(e->src, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		rp_errno("%s", e->src);
		goto out;
	}
	if (atomic_open(&a, pool.p, base + 1) < 0)
		goto out;
	static char chunk[1 << 16];
	for (;;) {
		ssize_t r = read(in, chunk, sizeof chunk);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rp_errno("%s: read", e->src);
			atomic_abort(&a);
			goto out;
		}
		if (r == 0)
			break;
		hasher_update(&h, chunk, (size_t)r);
		if (write_all(a.fd, chunk, (size_t)r, e->file) < 0) {
			atomic_abort(&a);
			goto out;
		}
	}
	unsigned char md[32];
	char hex[65];
	hex_encode(md, hasher_final(&h, md), hex);
	if (strcmp(hex, e->sha256)) {
		rp_err("%s: changed while it was being added", e->src);
		atomic_abort(&a);
		goto out;
	}
	struct timespec ts[2] = { { e->mtime, 0 }, { e->mtime, 0 } };
	futimens(a.fd, ts);
	rc = atomic_commit(&a);
out:
	if (in >= 0)
		close(in);
	hasher_release(&h);
	buf_free(&pool);
	return rc;
}

static const struct repo_entry *find_file(const struct repo_entries *es, const char *file)
{
	for (size_t i = 0; i < es->n; i++)
		if (!strcmp(es->v[i].file, file))
			return &es->v[i];
	return NULL;
}

int repo_add(const char *dir, char **paths, int n, const struct repo_add_opts *o)
{
	struct repo_entries add = { 0 }, cur = { 0 };
	struct store s = { .lockfd = -1 };
	int rc = -1;

	/* 1. read every input before touching DIR: a bad one changes nothing */
	for (int i = 0; i < n; i++) {
		struct repo_digests d;
		enum repo_format f = RF_DEB;
		struct repo_entry *e = entries_push(&add);
		if (sniff_format(paths[i], &f) < 0 || repo_file_digests(paths[i], &d) < 0)
			goto out;
		if ((f == RF_DEB ? repo_deb_read : repo_rpm_read)(paths[i], &d, e) < 0) {
			rp_err_context("%s", paths[i]);
			goto out;
		}
		e->src = xstrdup(paths[i]);
		e->mtime = d.mtime;
		for (int j = 0; j + 1 < (int)add.n; j++)
			if (!strcmp(add.v[j].file, e->file) && strcmp(add.v[j].sha256, e->sha256)) {
				rp_err("%s and %s are different packages with the same name %s",
				       add.v[j].src, e->src, e->file);
				goto out;
			}
	}
	if (o->sign_key && !valid_keyid(o->sign_key)) {
		rp_usage("--sign-key: bad key id '%s'", o->sign_key);
		goto out;
	}

	/* 2. a published file never changes: the same name must be the same bytes */
	if (store_open(&s, dir, 1) < 0 || index_load(dir, &cur) < 0)
		goto out;
	for (size_t i = 0; i < add.n; i++) {
		const struct repo_entry *old = find_file(&cur, add.v[i].file);
		if (old && strcmp(old->sha256, add.v[i].sha256)) {
			rp_err("%s: the store already has a different %s (same name, other content); "
			       "build it with another --release", add.v[i].src, add.v[i].file);
			goto out;
		}
	}
	if (store_sign_key(&s, o->sign_key) < 0)
		goto out;

	/* 3. copy in, record the entries, then rewrite the indexes; if that
	 * fails, take the new files out again (the old indexes still stand,
	 * since every index is renamed only once all of them are rendered) */
	size_t done = 0;
	rc = 0;
	for (; done < add.n && rc == 0; done++) {
		const struct repo_entry *e = &add.v[done];
		if (find_file(&cur, e->file))
			continue;       /* the very same bytes are in the store */
		if (copy_in(dir, e) < 0 || entry_save(dir, e) < 0)
			rc = -1;
	}
	if (rc == 0)
		rc = store_regenerate(&s);
	if (rc < 0) {
		for (size_t i = 0; i < done; i++) {
			const struct repo_entry *e = &add.v[i];
			if (find_file(&cur, e->file))
				continue;
			struct buf p = BUF_INIT, name = BUF_INIT;
			entry_name(&name, e);
			buf_addf(&p, "%s/.relpkg/index/%s", dir, name.p);
			unlink(p.p);
			buf_reset(&p);
			buf_addf(&p, "%s/%s", dir, e->file);
			unlink(p.p);
			buf_free(&p);
			buf_free(&name);
		}
		goto out;
	}
	for (size_t i = 0; i < add.n && !o->quiet; i++) {
		const struct repo_entry *e = &add.v[i];
		printf("%s %s %s %s %s\n", find_file(&cur, e->file) ? "unchanged" : "added",
		       e->name, e->version, e->arch, e->file);
	}
out:
	repo_entries_release(&add);
	repo_entries_release(&cur);
	store_close(&s);
	return rc;
}

/* ---- repo list ------------------------------------------------------------- */

static void json_string(struct buf *b, const char *s)
{
	buf_addc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_addf(b, "\\%c", *p);
		else if (*p < 0x20)
			buf_addf(b, "\\u%04x", *p);
		else
			buf_addc(b, (char)*p);
	}
	buf_addc(b, '"');
}

int repo_list(const char *dir, int json)
{
	struct repo_entries es = { 0 };
	struct buf b = BUF_INIT, p = BUF_INIT;
	buf_addf(&p, "%s/.relpkg", dir);
	struct stat st;
	if (stat(p.p, &st) < 0) {
		buf_free(&p);
		return rp_err("%s: not a relpkg repository (no .relpkg/)", dir);
	}
	buf_free(&p);
	/* no lock: entries are replaced atomically, a reader sees each whole */
	if (index_load(dir, &es) < 0) {
		repo_entries_release(&es);
		return -1;
	}
	if (json)
		buf_adds(&b, "[");
	for (size_t i = 0; i < es.n; i++) {
		const struct repo_entry *e = &es.v[i];
		const char *fmt = e->format == RF_DEB ? "deb" : "rpm";
		if (!json) {
			buf_addf(&b, "%s %s %s %s %s\n", e->name, e->version, e->arch, fmt, e->file);
			continue;
		}
		buf_adds(&b, i ? ",\n  {" : "\n  {");
		buf_adds(&b, "\"name\": ");
		json_string(&b, e->name);
		buf_adds(&b, ", \"version\": ");
		json_string(&b, e->version);
		buf_adds(&b, ", \"arch\": ");
		json_string(&b, e->arch);
		buf_addf(&b, ", \"format\": \"%s\", \"file\": ", fmt);
		json_string(&b, e->file);
		buf_addf(&b, ", \"size\": %llu, \"sha256\": \"%s\"}", (unsigned long long)e->size, e->sha256);
	}
	if (json)
		buf_adds(&b, es.n ? "\n]\n" : "]\n");
	fwrite(b.p ? b.p : "", 1, b.len, stdout);
	buf_free(&b);
	repo_entries_release(&es);
	return 0;
}

/* ---- repo prune ------------------------------------------------------------ */

int repo_prune(const char *dir, long keep, int dry_run, const struct repo_add_opts *o)
{
	struct repo_entries es = { 0 };
	struct store s = { .lockfd = -1 };
	struct buf path = BUF_INIT, idx = BUF_INIT, name = BUF_INIT;
	char *drop = NULL;
	int rc = -1;
	if (o->sign_key && !valid_keyid(o->sign_key)) {
		rp_usage("--sign-key: bad key id '%s'", o->sign_key);
		goto out;
	}
	if (store_open(&s, dir, 0) < 0 || index_load(dir, &es) < 0)
		goto out;
	/* es is sorted by (name, format, version, arch): walk each (name, format)
	 * group from its highest version down, counting distinct versions */
	drop = xcalloc(es.n ? es.n : 1, 1);
	size_t ndrop = 0;
	for (size_t end = es.n; end > 0;) {
		size_t beg = end;
		while (beg > 0 && !strcmp(es.v[beg - 1].name, es.v[end - 1].name) &&
		       es.v[beg - 1].format == es.v[end - 1].format)
			beg--;
		long versions = 0;
		const char *last = NULL;
		for (size_t i = end; i > beg; i--) {
			const struct repo_entry *e = &es.v[i - 1];
			if (!last || repo_vercmp(e->format, e->version, last) != 0)
				versions++;
			last = e->version;
			if (versions > keep) {
				drop[i - 1] = 1;
				ndrop++;
			}
		}
		end = beg;
	}
	for (size_t i = 0; i < es.n; i++)
		if (drop[i] && !o->quiet)
			printf("%s %s %s %s %s %s\n", dry_run ? "would remove" : "removed",
			       es.v[i].name, es.v[i].version, es.v[i].arch,
			       es.v[i].format == RF_DEB ? "deb" : "rpm", es.v[i].file);
	if (dry_run || ndrop == 0) {
		rc = 0;
		goto out;
	}
	if (store_sign_key(&s, o->sign_key) < 0)
		goto out;
	/* entries first, then the indexes, then the files: no index ever names
	 * a file that is gone */
	index_dir(&idx, dir);
	for (size_t i = 0; i < es.n; i++) {
		if (!drop[i])
			continue;
		entry_name(&name, &es.v[i]);
		buf_reset(&path);
		buf_addf(&path, "%s/%s", idx.p, name.p);
		if (unlink(path.p) < 0 && errno != ENOENT) {
			rp_errno("%s", path.p);
			goto out;
		}
	}
	if (store_regenerate(&s) < 0)
		goto out;
	for (size_t i = 0; i < es.n; i++) {
		if (!drop[i])
			continue;
		buf_reset(&path);
		buf_addf(&path, "%s/%s", dir, es.v[i].file);
		if (unlink(path.p) < 0 && errno != ENOENT) {
			rp_errno("%s", path.p);
			goto out;
		}
	}
	rc = 0;
out:
	free(drop);
	buf_free(&path);
	buf_free(&idx);
	buf_free(&name);
	repo_entries_release(&es);
	store_close(&s);
	return rc;
}
