/* repo.c — see repo.h.  The store's index of entries, the commands add /
 * list / prune, and the helpers both index writers share.  What a .deb or
 * .rpm says is read in repo_apt.c / repo_rpm.c; this file never looks
 * inside a package. */
#include "repo.h"
#include "atomic.h"
#include "buf.h"
#include "clock.h"
#include "digest.h"
#include "error.h"
#include "exec.h"
#include "sign.h"
#include "solve.h"
#include "text.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
/* staged new content and the kept previous file of a transaction: under
 * the store's lock, so fixed names; a killed command's leftovers are
 * removed by the next add or prune (store_sweep) */
#define TXN_NEW ".relpkg-new"
#define TXN_OLD ".relpkg-old"

void repo_entry_free(struct repo_entry *e)
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

void repo_entries_free(struct repo_entries *es)
{
	for (size_t i = 0; i < es->n; i++)
		repo_entry_free(&es->v[i]);
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

struct digests_ctx {
	struct hasher *h;   /* md5, sha1, sha256, sha512 */
	uint64_t total;
};

static int digests_chunk(void *ctx, const void *p, size_t n)
{
	struct digests_ctx *c = ctx;
	for (int i = 0; i < 4; i++)
		hasher_update(&c->h[i], p, n);
	c->total += n;
	return 0;
}

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
	struct digests_ctx c = { h, 0 };
	int rc = read_each(fd, path, digests_chunk, &c);
	uint64_t total = c.total;
	unsigned char md[64];
	char *hex[4] = { d->md5, d->sha1, d->sha256, d->sha512 };
	for (int i = 0; i < 4; i++) {
		unsigned n = hasher_final(&h[i], md);
		hex_encode(md, n, hex[i]);
		hasher_free(&h[i]);
	}
	d->size = total;
	d->mtime = st.st_mtime;
	close(fd);
	return rc;
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

void repo_sha256_hex(const void *p, size_t n, char hex[65])
{
	struct hasher h;
	unsigned char md[32];
	hasher_init(&h, H_SHA256);
	hasher_update(&h, p, n);
	hex_encode(md, hasher_final(&h, md), hex);
	hasher_free(&h);
}

/* ---- index transactions ------------------------------------------------ */

/* Test-only fault injection (tests/t_repo.sh): RELPKG_TEST_FAULT=stage:NAME
 * fails staging the file NAME, commit:NAME fails its rename.  Not for use
 * outside the test suite. */
static int fault(const char *phase, const char *name)
{
	const char *f = getenv("RELPKG_TEST_FAULT");
	size_t pl = strlen(phase);
	return f && !strncmp(f, phase, pl) && f[pl] == ':' && !strcmp(f + pl + 1, name);
}

static struct repo_txn_op *txn_push(struct repo_txn *t, const char *dir, const char *name, int top)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->v = xrealloc(t->v, t->cap * sizeof *t->v);
	}
	struct repo_txn_op *op = &t->v[t->n++];
	memset(op, 0, sizeof *op);
	struct buf b = BUF_INIT;
	buf_addf(&b, "%s/%s", dir, name);
	op->path = buf_detach(&b);
	buf_addf(&b, "%s/.%s" TXN_NEW, dir, name);
	op->tmp = buf_detach(&b);
	buf_addf(&b, "%s/.%s" TXN_OLD, dir, name);
	op->old = buf_detach(&b);
	op->top = top;
	return op;
}

int repo_txn_write(struct repo_txn *t, const char *dir, const char *name, const void *p, size_t n, int top)
{
	struct repo_txn_op *op = txn_push(t, dir, name, top);
	op->write = 1;
	if (fault("stage", name))
		return rp_err("%s: cannot stage (RELPKG_TEST_FAULT)", op->path);
	unlink(op->tmp);
	int fd = open(op->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return rp_errno("cannot create %s", op->tmp);
	op->staged = 1;
	int rc = 0;
	if (fchmod(fd, 0644) < 0 || write_all(fd, p, n, op->tmp) < 0 || fsync(fd) < 0)
		rc = errno ? rp_errno("%s", op->tmp) : -1;
	if (close(fd) < 0 && rc == 0)
		rc = rp_errno("%s", op->tmp);
	return rc;
}

void repo_txn_remove(struct repo_txn *t, const char *dir, const char *name, int top)
{
	txn_push(t, dir, name, top);
}

void repo_txn_after(struct repo_txn *t, const char *dir, const char *name)
{
	struct buf b = BUF_INIT;
	buf_addf(&b, "%s/%s", dir, name);
	t->after = xrealloc(t->after, (t->nafter + 1) * sizeof *t->after);
	t->after[t->nafter++] = buf_detach(&b);
}

void repo_txn_free(struct repo_txn *t)
{
	for (size_t i = 0; i < t->n; i++) {
		struct repo_txn_op *op = &t->v[i];
		if (op->staged)
			unlink(op->tmp);
		if (op->backed_up)
			unlink(op->old);
		free(op->path);
		free(op->tmp);
		free(op->old);
	}
	for (size_t i = 0; i < t->nafter; i++)
		free(t->after[i]);
	free(t->v);
	free(t->after);
	memset(t, 0, sizeof *t);
}

/* The order of the renames: every index first, the files that describe
 * them (top) last, each group in the order it was staged. */
static struct repo_txn_op *txn_nth(struct repo_txn *t, size_t k)
{
	size_t seen = 0;
	for (int top = 0; top < 2; top++)
		for (size_t i = 0; i < t->n; i++)
			if (!!t->v[i].top == top && seen++ == k)
				return &t->v[i];
	return NULL;
}

/* After the renames: the new set is in place, so a failed directory
 * fsync is a warning (it may not survive a power cut), not a failure. */
static void fsync_dir_of(const char *path)
{
	char *d = xstrndup(path, (size_t)(strrchr(path, '/') - path));
	if (fsync_dir(d) < 0)
		rp_warn("%s (the store's new files may not survive a power cut)", rp_errmsg());
	free(d);
}

int repo_txn_commit(struct repo_txn *t)
{
	int rc = -1;
	size_t k = 0;
	/* 1. keep the current version of every file under a second name, so
	 * that a failed rename below can put the old set back */
	for (size_t i = 0; i < t->n; i++) {
		struct repo_txn_op *op = &t->v[i];
		struct stat st;
		if (lstat(op->path, &st) < 0) {
			if (errno == ENOENT)
				continue;
			rp_errno("%s", op->path);
			goto undo;
		}
		unlink(op->old);
		if (!S_ISREG(st.st_mode) || link(op->path, op->old) < 0) {
			if (S_ISREG(st.st_mode))
				rp_errno("%s: cannot keep the current file", op->path);
			else
				rp_err("%s: not a regular file", op->path);
			goto undo;
		}
		op->backed_up = 1;
	}
	/* 2. the renames (and removals), top files last */
	for (; k < t->n; k++) {
		struct repo_txn_op *op = txn_nth(t, k);
		const char *base = strrchr(op->path, '/') + 1;
		if (fault("commit", base)) {
			rp_err("%s: cannot rename (RELPKG_TEST_FAULT)", op->path);
			goto undo;
		}
		if (op->write ? rename(op->tmp, op->path) < 0 : (unlink(op->path) < 0 && errno != ENOENT)) {
			rp_errno("%s: %s", op->path, op->write ? "rename" : "unlink");
			goto undo;
		}
		op->staged = 0;
		op->done = 1;
	}
	for (size_t i = 0; i < t->n; i++) {
		/* once per directory (ops of one directory are staged together) */
		const char *a = t->v[i].path, *b = i ? t->v[i - 1].path : "";
		size_t la = (size_t)(strrchr(a, '/') - a);
		if (!i || strncmp(a, b, la + 1) || strchr(b + la + 1, '/'))
			fsync_dir_of(a);
	}
	rc = 0;
	/* 3. the new set is in place: files only the old one used can go */
	for (size_t i = 0; i < t->nafter; i++)
		unlink(t->after[i]);
	goto out;
undo:
	/* back to the old set, newest change first */
	while (k-- > 0) {
		struct repo_txn_op *op = txn_nth(t, k);
		if (!op->done)
			continue;
		if (op->backed_up ? rename(op->old, op->path) < 0 : (op->write && unlink(op->path) < 0))
			rp_warn("%s: could not put the previous file back: %s", op->path, strerror(errno));
		else
			op->backed_up = 0;
	}
out:
	repo_txn_free(t);
	return rc;
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

static void entry_render(const struct repo_entry *e, struct buf *b)
{
	buf_adds(b, ENTRY_MAGIC);
	buf_addf(b, "format %s\nname %s\nversion %s\narch %s\nfile %s\nsize %llu\nsha256 %s\nmtime %lld\n",
		 e->format == FMT_DEB ? "deb" : "rpm", e->name, e->version, e->arch, e->file,
		 (unsigned long long)e->size, e->sha256, (long long)e->mtime);
	for (int i = 0; i < FR_N; i++) {
		buf_addf(b, "frag %d %zu\n", i, e->frag[i].len);
		buf_add(b, buf_str(&e->frag[i]), e->frag[i].len);
	}
}

struct slurp_ctx {
	struct buf *out;
	size_t max;
	const char *path;
};

static int slurp_chunk(void *ctx, const void *p, size_t n)
{
	struct slurp_ctx *c = ctx;
	if (c->out->len + n > c->max)
		return rp_err("%s: larger than %zu bytes", c->path, c->max);
	buf_add(c->out, p, n);
	return 0;
}

int repo_read_file(const char *path, struct buf *out, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return rp_errno("%s", path);
	struct slurp_ctx c = { out, max, path };
	int rc = read_each(fd, path, slurp_chunk, &c);
	close(fd);
	return rc;
}

/* Takes the next "key value\n" line of an entry file (value without NUL). */
static char *take_line(char **p, char *end, const char *key)
{
	char *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t kl = strlen(key);
	if (!nl || (size_t)(nl - *p) < kl + 1 || strncmp(*p, key, kl) || (*p)[kl] != ' ' ||
	    memchr(*p, 0, (size_t)(nl - *p)))
		return NULL;
	*nl = 0;
	char *v = *p + kl + 1;
	*p = nl + 1;
	return v;
}

/* A name, version or arch as the readers accept them: UTF-8, no control
 * characters, no '/', no blanks (they are fields of `repo list`). */
static int plain_token(const char *v)
{
	if (!*v || !text_utf8_valid(v, strlen(v)))
		return 0;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p <= ' ' || *p == 0x7f || *p == '/')
			return 0;
	return 1;
}

/* "pool/NAME": NAME a plain file name the store could have written. */
static int pool_file_ok(const char *file)
{
	if (strncmp(file, "pool/", 5))
		return 0;
	const char *b = file + 5;
	return plain_token(b) && b[0] != '.';
}

static int digits(const char *v, int sign, unsigned long long max, unsigned long long *out)
{
	if (sign && *v == '-')
		v++;
	if (!*v || strlen(v) > 19)
		return 0;
	unsigned long long x = 0;
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		x = x * 10 + (unsigned)(*p - '0');
	}
	if (x > max)
		return 0;
	*out = x;
	return 1;
}

/* A stanza field's first-line value in frag (field names are
 * case-insensitive; blanks around the value dropped), or NULL. */
static char *stanza_field(const struct buf *frag, const char *name)
{
	size_t nl = strlen(name);
	for (const char *l = buf_str(frag); *l;) {
		const char *eol = strchr(l, '\n');
		size_t len = eol ? (size_t)(eol - l) : strlen(l);
		if (len > nl && !strncasecmp(l, name, nl) && l[nl] == ':') {
			const char *v = l + nl + 1, *e = l + len;
			while (v < e && (*v == ' ' || *v == '\t'))
				v++;
			while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			return xstrndup(v, (size_t)(e - v));
		}
		if (!eol)
			break;
		l = eol + 1;
	}
	return NULL;
}

/* The entry's identity lines (after the magic), each checked, into e. */
static int entry_fields(const char *what, char **p, char *end, struct repo_entry *e)
{
	char *v[8];
	static const char *keys[8] = { "format", "name", "version", "arch", "file", "size", "sha256", "mtime" };
	for (int i = 0; i < 8; i++)
		if (!(v[i] = take_line(p, end, keys[i])))
			return rp_err("%s: corrupt entry (no %s line)", what, keys[i]);
	const char *bad = NULL;
	unsigned long long size = 0, mtime = 0;
	if (strcmp(v[0], "deb") && strcmp(v[0], "rpm"))
		bad = "format";
	else if (!plain_token(v[1]))
		bad = "name";
	else if (!plain_token(v[2]))
		bad = "version";
	else if (!plain_token(v[3]))
		bad = "arch";
	else if (!pool_file_ok(v[4]))
		bad = "file (not a plain file name in pool/)";
	else if (!digits(v[5], 0, UINT64_MAX, &size))
		bad = "size";
	else if (strlen(v[6]) != 64 || strspn(v[6], "0123456789abcdef") != 64)
		bad = "sha256";
	else if (!digits(v[7], 1, INT64_MAX, &mtime))
		bad = "mtime";
	if (bad)
		return rp_err("%s: corrupt entry (bad %s)", what, bad);
	e->format = !strcmp(v[0], "rpm") ? FMT_RPM : FMT_DEB;
	e->name = xstrdup(v[1]);
	e->version = xstrdup(v[2]);
	e->arch = xstrdup(v[3]);
	e->file = xstrdup(v[4]);
	e->size = size;
	memcpy(e->sha256, v[6], 65);
	e->mtime = (time_t)(v[7][0] == '-' ? -(long long)mtime : (long long)mtime);
	return 0;
}

/* The FR_N "frag K LEN" blocks, UTF-8 text each, and nothing after. */
static int entry_fragments(const char *what, char *p, char *end, struct repo_entry *e)
{
	for (int i = 0; i < FR_N; i++) {
		char *l = take_line(&p, end, "frag");
		unsigned long long len = 0;
		char num[2] = { (char)('0' + i), 0 };
		if (!l || strncmp(l, num, 1) || l[1] != ' ' || !digits(l + 2, 0, (size_t)(end - p), &len))
			return rp_err("%s: corrupt entry (fragment %d)", what, i);
		buf_add(&e->frag[i], p, (size_t)len);
		p += len;
		if (memchr(e->frag[i].p, 0, e->frag[i].len) || !text_utf8_valid(e->frag[i].p, e->frag[i].len))
			return rp_err("%s: corrupt entry (fragment %d is not UTF-8 text)", what, i);
	}
	if (p != end)
		return rp_err("%s: corrupt entry (data after the last fragment)", what);
	return 0;
}

/* A deb entry's stanza goes into Packages as it is: it must be one the
 * reader would have rendered for this very entry. */
static int entry_stanza_agrees(const char *what, const struct repo_entry *e)
{
	if (e->frag[FR_FILELISTS].len || e->frag[FR_OTHER].len || !e->frag[FR_PACKAGES].len)
		return rp_err("%s: corrupt entry (a deb entry has one stanza)", what);
	if (repo_control_check(e->frag[FR_PACKAGES].p, e->frag[FR_PACKAGES].len) < 0) {
		rp_err_context("%s: corrupt entry: Packages stanza", what);
		return -1;
	}
	static const char *const fld[] = { "Package", "Version", "Architecture", "Filename", "Size", "SHA256" };
	char sz[32];
	snprintf(sz, sizeof sz, "%llu", (unsigned long long)e->size);
	const char *want[] = { e->name, e->version, e->arch, e->file, sz, e->sha256 };
	for (size_t i = 0; i < sizeof fld / sizeof *fld; i++) {
		char *got = stanza_field(&e->frag[FR_PACKAGES], fld[i]);
		int same = got && !strcmp(got, want[i]);
		free(got);
		if (!same)
			return rp_err("%s: corrupt entry (the stanza's %s disagrees with the entry)", what, fld[i]);
	}
	return 0;
}

int repo_entry_parse(const char *what, const char *text, size_t n, struct repo_entry *e)
{
	struct buf b = BUF_INIT;
	memset(e, 0, sizeof *e);
	buf_add(&b, text, n);
	char *p = b.p, *end = b.p + b.len;
	size_t ml = strlen(ENTRY_MAGIC);
	int rc;
	if (b.len < ml || memcmp(p, ENTRY_MAGIC, ml)) {
		rc = rp_err("%s: not a relpkg repository entry", what);
	} else {
		p += ml;
		rc = entry_fields(what, &p, end, e);
		if (rc == 0)
			rc = entry_fragments(what, p, end, e);
		if (rc == 0 && e->format == FMT_DEB)
			rc = entry_stanza_agrees(what, e);
	}
	if (rc < 0)
		repo_entry_free(e);
	buf_free(&b);
	return rc;
}

static int entry_load(const char *path, struct repo_entry *e)
{
	struct buf b = BUF_INIT;
	int rc = repo_read_file(path, &b, ENTRY_MAX);
	if (rc == 0)
		rc = repo_entry_parse(path, buf_str(&b), b.len, e);
	buf_free(&b);
	if (rc == 0) {
		/* the entry file is named after its package file */
		struct buf want = BUF_INIT;
		const char *base = strrchr(path, '/');
		entry_name(&want, e);
		if (strcmp(base ? base + 1 : path, want.p))
			rc = rp_err("%s: corrupt entry (it records %s)", path, e->file);
		buf_free(&want);
	}
	return rc;
}

static int cmp_entries(const void *pa, const void *pb)
{
	const struct repo_entry *a = pa, *b = pb;
	int c = strcmp(a->name, b->name);
	if (c)
		return c;
	if (a->format != b->format)
		return a->format == FMT_DEB ? -1 : 1;
	c = solve_verorder(a->format, a->version, b->version);
	if (c)
		return c;
	c = strcmp(a->arch, b->arch);
	return c ? c : strcmp(a->file, b->file);
}

/* Every entry of the store, sorted (name, format, version, arch). */
static int index_load(const char *dir, struct repo_entries *es)
{
	struct buf idx = BUF_INIT, path = BUF_INIT;
	index_dir(&idx, dir);
	if (solve_vercmp_ready(FMT_DEB) < 0 || solve_vercmp_ready(FMT_RPM) < 0) {
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
		qsort(names, n, sizeof *names, cmp_strp);
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
	int swept;      /* leftovers of a killed command were removed: rebuild */
};

/* Removes what a killed command left (staged files, kept old files): we
 * hold the lock, so nobody else is writing them. */
static void store_sweep(struct store *s)
{
	const char *sub[] = { "", "/repodata", "/.relpkg/index", "/.relpkg" };
	struct buf path = BUF_INIT;
	for (size_t i = 0; i < sizeof sub / sizeof *sub; i++) {
		buf_reset(&path);
		buf_addf(&path, "%s%s", s->dir, sub[i]);
		DIR *d = opendir(path.p);
		if (!d)
			continue;
		int dfd = dirfd(d);
		struct dirent *de;
		while ((de = readdir(d))) {
			const char *nm = de->d_name;
			size_t l = strlen(nm), k = strlen(TXN_NEW);
			struct stat st;
			if (nm[0] != '.' || l <= k + 1 || (strcmp(nm + l - k, TXN_NEW) && strcmp(nm + l - k, TXN_OLD)) ||
			    fstatat(dfd, nm, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
				continue;
			if (unlinkat(dfd, nm, 0) == 0)
				s->swept = 1;
		}
		closedir(d);
	}
	buf_free(&path);
}

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
	s->lockfd = open(b.p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (s->lockfd < 0) {
		rp_errno("%s", b.p);
		goto out;
	}
	if (flock(s->lockfd, LOCK_EX) < 0) {
		rp_errno("%s: lock", b.p);
		goto out;
	}
	store_sweep(s);
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

/* --sign-key KEY is remembered in .relpkg/sign-key (staged in t: it
 * changes with the indexes): a later add or prune without it must not
 * leave a stale InRelease beside a new Release. */
static int store_sign_key(struct store *s, const char *given, struct repo_txn *t)
{
	struct buf path = BUF_INIT, b = BUF_INIT;
	buf_addf(&path, "%s/.relpkg", s->dir);
	int rc = 0;
	if (given) {
		s->sign_key = xstrdup(given);
	} else {
		buf_adds(&path, "/sign-key");
		if (access(path.p, F_OK) == 0 && repo_read_file(path.p, &b, 4096) == 0) {
			b.len = strcspn(b.p, "\n");
			b.p[b.len] = 0;
			if (b.len && valid_keyid(b.p))
				s->sign_key = xstrdup(b.p);
		}
		buf_reset(&path);
		buf_addf(&path, "%s/.relpkg", s->dir);
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
		rc = repo_txn_write(t, path.p, "sign-key", b.p, b.len, 0);
	}
	buf_free(&path);
	buf_free(&b);
	return rc;
}

/* ---- the record of the index files (.relpkg/indexes) ----------------------- */

#define ISTATE_MAGIC "relpkg-indexes 1\n"
#define ISTATE_MAX (1u << 20)

void repo_istate_free(struct repo_istate *st)
{
	free(st->archs);
	buf_free(&st->pk);
	buf_free(&st->gz);
	for (int k = 0; k < 3; k++)
		buf_free(&st->mdgz[k]);
	memset(st, 0, sizeof *st);
}

static void istate_render(const struct repo_istate *st, struct buf *b)
{
	buf_adds(b, ISTATE_MAGIC);
	buf_addf(b, "debs %zu\nrpms %zu\narchs %s\n", st->ndeb, st->nrpm, st->archs ? st->archs : "");
	buf_addf(b, "packages %llu %s\npackages.gz %llu %s\n", (unsigned long long)st->pk_size, st->pk_sha,
		 (unsigned long long)st->gz_size, st->gz_sha);
	for (int k = 0; k < 3; k++)
		buf_addf(b, "md %s %llu %llu %llu %llu\n", st->md[k].name, (unsigned long long)st->md[k].size,
			 (unsigned long long)st->md[k].head, (unsigned long long)st->md[k].tail,
			 (unsigned long long)st->md[k].open_size);
}

/* Reads the record and the files it names, each checked (size, sha256;
 * a repodata file's name is its sha256).  0: *st describes the store's
 * index files and holds their bytes; -1: absent or disagreeing (no
 * message: the caller writes everything again). */
static int istate_load(const char *dir, struct repo_istate *st)
{
	struct buf b = BUF_INIT, path = BUF_INIT;
	int rc = -1;
	memset(st, 0, sizeof *st);
	buf_addf(&path, "%s/.relpkg/indexes", dir);
	if (access(path.p, F_OK) < 0 || repo_read_file(path.p, &b, ISTATE_MAX) < 0) {
		rp_err_clear();
		goto out;
	}
	char archs[4096] = "", pk_sha[65], gz_sha[65], name[3][129];
	unsigned long long pk_size, gz_size, v[3][4];
	int used = 0;
	if (b.len < strlen(ISTATE_MAGIC) || memcmp(b.p, ISTATE_MAGIC, strlen(ISTATE_MAGIC)) ||
	    sscanf(b.p + strlen(ISTATE_MAGIC), "debs %zu\nrpms %zu\narchs%*[ ]%4095[^\n]\n", &st->ndeb, &st->nrpm,
		   archs) < 2)
		goto out;
	const char *l = strstr(b.p, "\npackages ");
	if (!l || sscanf(l + 1, "packages %llu %64s\npackages.gz %llu %64s\n%n", &pk_size, pk_sha, &gz_size, gz_sha,
			 &used) != 4)
		goto out;
	l += 1 + used;
	for (int k = 0; k < 3; k++, l += used)
		if (sscanf(l, "md %127s %llu %llu %llu %llu\n%n", name[k], &v[k][0], &v[k][1], &v[k][2], &v[k][3],
			   &used) != 5 || strlen(name[k]) < 66 || strchr(name[k], '/'))
			goto out;
	if (*l)
		goto out;
	st->archs = xstrdup(archs);
	st->pk_size = pk_size;
	st->gz_size = gz_size;
	memcpy(st->pk_sha, pk_sha, sizeof pk_sha);
	memcpy(st->gz_sha, gz_sha, sizeof gz_sha);
	char hex[65];
	struct { const char *file; struct buf *into; uint64_t size; const char *sha; } f[5] = {
		{ "Packages", &st->pk, pk_size, pk_sha }, { "Packages.gz", &st->gz, gz_size, gz_sha },
	};
	for (int k = 0; k < 3; k++) {
		struct repo_mdrec *r = &st->md[k];
		memcpy(r->name, name[k], sizeof r->name);
		r->size = v[k][0], r->head = v[k][1], r->tail = v[k][2], r->open_size = v[k][3];
		f[2 + k].file = r->name;
		f[2 + k].into = &st->mdgz[k];
		f[2 + k].size = r->size;
		f[2 + k].sha = NULL;    /* the name's first 64 characters */
	}
	for (int i = 0; i < 5; i++) {
		buf_reset(&path);
		buf_addf(&path, "%s/%s%s", dir, i < 2 ? "" : "repodata/", f[i].file);
		if (repo_read_file(path.p, f[i].into, f[i].size) < 0 || f[i].into->len != f[i].size) {
			rp_err_clear();
			goto out;
		}
		repo_sha256_hex(buf_str(f[i].into), f[i].into->len, hex);
		if (f[i].sha ? strcmp(hex, f[i].sha) : strncmp(hex, f[i].file, 64) || f[i].file[64] != '-')
			goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		repo_istate_free(st);
	buf_free(&b);
	buf_free(&path);
	return rc;
}

static int istate_stage(const struct store *s, const struct repo_istate *st, struct repo_txn *t)
{
	struct buf b = BUF_INIT, dir = BUF_INIT;
	istate_render(st, &b);
	buf_addf(&dir, "%s/.relpkg", s->dir);
	int rc = repo_txn_write(t, dir.p, "indexes", b.p, b.len, 0);
	buf_free(&b);
	buf_free(&dir);
	return rc;
}

/* issue 15: a signed store publishes its public key, for clients to
 * pin: REPO_KEY_FILE at the root (apt signed-by, dnf gpgkey=) and
 * repodata/repomd.xml.key (where zypper looks).  An unsigned store
 * removes them. */
static int store_publish_key(struct store *s, struct repo_txn *t)
{
	struct buf rdir = BUF_INIT, key = BUF_INIT;
	buf_addf(&rdir, "%s/repodata", s->dir);
	int rc = 0;
	if (!s->sign_key) {
		repo_txn_remove(t, s->dir, REPO_KEY_FILE, 0);
		repo_txn_remove(t, rdir.p, "repomd.xml.key", 0);
	} else if (sign_export_key(s->sign_key, &key) < 0 ||
		   repo_txn_write(t, s->dir, REPO_KEY_FILE, key.p, key.len, 0) < 0 ||
		   repo_txn_write(t, rdir.p, "repomd.xml.key", key.p, key.len, 0) < 0) {
		rc = -1;
	}
	buf_free(&rdir);
	buf_free(&key);
	return rc;
}

/* issue 15: a signed store takes only packages signed by its own key
 * (clients check them with gpgcheck=1 / debsig-verify against the
 * published key); the store never re-signs a package: its bytes are the
 * ones built. */
static int store_check_signed(struct store *s, const struct repo_entries *add)
{
	if (!s->sign_key || !add->n)
		return 0;
	struct buf key = BUF_INIT;
	int rc = sign_export_key(s->sign_key, &key);
	for (size_t i = 0; i < add->n && rc == 0; i++)
		if (sign_check_pkg_key(add->v[i].src, &key) < 0) {
			char *why = xstrdup(rp_errmsg());
			rc = rp_err("%s: %s; the store signs with %s and takes only packages signed by it: "
				    "build it with relpkg build --sign-key %s",
				    add->v[i].src, why, s->sign_key, s->sign_key);
			free(why);
		}
	buf_free(&key);
	return rc;
}

/* Stages the index files of both formats for the entries es (any order:
 * sorted here; es is a view, its entries are not released). */
static int store_stage(struct store *s, struct repo_entries *es, struct repo_txn *t)
{
	struct repo_sign sg = { s->sign_key };
	struct repo_istate st = { 0 };
	if (es->n)
		qsort(es->v, es->n, sizeof *es->v, cmp_entries);
	int rc = repo_apt_write(s->dir, es, &sg, t, &st) < 0 || repo_rpm_write(s->dir, es, &sg, t, &st) < 0 ||
		 istate_stage(s, &st, t) < 0 || store_publish_key(s, t) < 0 ? -1 : 0;
	repo_istate_free(&st);
	return rc;
}

/* Stages the index files of both formats: the ones *old describes and the
 * new entries add (sorted here). */
static int store_append(struct store *s, const struct repo_istate *old, struct repo_entries *add,
			struct repo_txn *t)
{
	struct repo_sign sg = { s->sign_key };
	struct repo_istate st = { .ndeb = old->ndeb, .nrpm = old->nrpm };
	if (add->n)
		qsort(add->v, add->n, sizeof *add->v, cmp_entries);
	int rc = repo_apt_append(s->dir, old, add, &sg, t, &st) < 0 ||
		 repo_rpm_append(s->dir, old, add, &sg, t, &st) < 0 || istate_stage(s, &st, t) < 0 ||
		 store_publish_key(s, t) < 0 ? -1 : 0;
	repo_istate_free(&st);
	return rc;
}

/* The number of entry files in the index directory, or -1. */
static long entry_count(const char *dir)
{
	struct buf idx = BUF_INIT;
	index_dir(&idx, dir);
	DIR *d = opendir(idx.p);
	buf_free(&idx);
	if (!d)
		return -1;
	long n = 0;
	struct dirent *de;
	size_t sl = strlen(ENTRY_SUFFIX);
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		n += de->d_name[0] != '.' && l > sl && !strcmp(de->d_name + l - sl, ENTRY_SUFFIX);
	}
	closedir(d);
	return n;
}

/* ---- repo add -------------------------------------------------------------- */

static int sniff_format(const char *path, enum pkgfmt *f)
{
	unsigned char m[8] = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rp_errno("%s", path);
	ssize_t r = read(fd, m, sizeof m);
	close(fd);
	if (r == 8 && !memcmp(m, "!<arch>\n", 8))
		*f = FMT_DEB;
	else if (r >= 4 && m[0] == 0xed && m[1] == 0xab && m[2] == 0xee && m[3] == 0xdb)
		*f = FMT_RPM;
	else
		return rp_err("%s: not a .deb or .rpm package", path);
	return 0;
}

struct copy_ctx {
	struct hasher *h;
	int fd;
	const char *what;
};

static int copy_chunk(void *ctx, const void *p, size_t n)
{
	struct copy_ctx *c = ctx;
	hasher_update(c->h, p, n);
	return write_all(c->fd, p, n, c->what);
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
	struct copy_ctx c = { &h, a.fd, e->file };
	if (read_each(in, e->src, copy_chunk, &c)) {
		atomic_abort(&a);
		goto out;
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
	if (futimens(a.fd, ts) < 0) {   /* the file time is the package's <time file=> */
		rp_errno("%s: futimens", e->file);
		atomic_abort(&a);
		goto out;
	}
	rc = atomic_commit(&a);
out:
	if (in >= 0)
		close(in);
	hasher_free(&h);
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

/* A view: the entries' structs copied, their buffers shared (never released). */
static void view_push(struct repo_entries *view, const struct repo_entry *e)
{
	struct repo_entry *v = entries_push(view);
	*v = *e;
}

/* Every input read (format, digests, headers) before the store is touched:
 * a bad one changes nothing. */
static int read_inputs(char **paths, int n, struct repo_entries *add)
{
	for (int i = 0; i < n; i++) {
		struct repo_digests d;
		enum pkgfmt f = FMT_DEB;
		struct repo_entry *e = entries_push(add);
		if (sniff_format(paths[i], &f) < 0 || repo_file_digests(paths[i], &d) < 0)
			return -1;
		if ((f == FMT_DEB ? repo_deb_read : repo_rpm_read)(paths[i], &d, e) < 0) {
			rp_err_context("%s", paths[i]);
			return -1;
		}
		e->src = xstrdup(paths[i]);
		e->mtime = d.mtime;
		for (size_t j = 0; j + 1 < add->n; j++)
			if (!strcmp(add->v[j].file, e->file) && strcmp(add->v[j].sha256, e->sha256))
				return rp_err("%s and %s are different packages with the same name %s",
					      add->v[j].src, e->src, e->file);
	}
	return 0;
}

/* A published file never changes: 1 if the store has e's file with the
 * same bytes, 0 if it has no such file, -1 after rp_err() if its bytes
 * differ.  The store's entries are cur, or (cur NULL) read by name. */
static int published(const char *dir, const struct repo_entries *cur, const struct repo_entry *e)
{
	struct repo_entry mine = { 0 };
	const struct repo_entry *old = NULL;
	if (cur) {
		old = find_file(cur, e->file);
	} else {
		struct buf path = BUF_INIT, name = BUF_INIT;
		index_dir(&path, dir);
		entry_name(&name, e);
		buf_addf(&path, "/%s", name.p);
		int r = access(path.p, F_OK) == 0 ? entry_load(path.p, &mine) : 1;
		buf_free(&path);
		buf_free(&name);
		if (r < 0)
			return -1;
		old = r == 0 ? &mine : NULL;
	}
	int rc = 0;
	if (old && strcmp(old->sha256, e->sha256))
		rc = rp_err("%s: the store already has a different %s (same name, other content); "
			    "build it with another --release", e->src, e->file);
	else if (old)
		rc = 1;
	repo_entry_free(&mine);
	return rc;
}

/* Copies the new packages into the pool (under names no index uses yet;
 * copied[i] notes which, for taking them out again) and stages their
 * entry files; *fresh views the entries that are new. */
static int stage_new(const char *dir, const struct repo_entries *add, const char *present, char *copied,
		     struct repo_entries *fresh, struct repo_txn *t)
{
	struct buf idx = BUF_INIT, name = BUF_INIT, b = BUF_INIT;
	int rc = 0;
	index_dir(&idx, dir);
	for (size_t i = 0; i < add->n && rc == 0; i++) {
		const struct repo_entry *e = &add->v[i];
		if (present[i] || find_file(fresh, e->file))
			continue;       /* the very same bytes are in the store (or earlier in this add) */
		if (copy_in(dir, e) < 0) {
			rc = -1;
			break;
		}
		copied[i] = 1;
		buf_reset(&b);
		entry_render(e, &b);
		entry_name(&name, e);
		rc = repo_txn_write(t, idx.p, name.p, b.p, b.len, 0);
		view_push(fresh, e);
	}
	buf_free(&idx);
	buf_free(&name);
	buf_free(&b);
	return rc;
}

int repo_add(const char *dir, char **paths, int n, const struct repo_add_opts *o)
{
	struct repo_entries add = { 0 }, cur = { 0 }, fresh = { 0 }, view = { 0 };
	struct repo_istate old = { 0 };
	struct store s = { .lockfd = -1 };
	struct repo_txn t = { 0 };
	char *copied = NULL;    /* add.v[i] was copied into the pool by this run */
	char *present = NULL;   /* add.v[i]'s bytes were in the store already */
	int rc = -1;

	if (read_inputs(paths, n, &add) < 0)
		goto out;
	if (o->sign_key && !valid_keyid(o->sign_key)) {
		rp_usage("--sign-key: bad key id '%s'", o->sign_key);
		goto out;
	}
	if (store_open(&s, dir, 1) < 0)
		goto out;
	/* append to the index files when their record holds; else every
	 * entry is read and the indexes are written from all of them */
	int append = !s.swept && istate_load(dir, &old) == 0 && entry_count(dir) == (long)(old.ndeb + old.nrpm);
	if (!append && index_load(dir, &cur) < 0)
		goto out;
	present = xcalloc(add.n ? add.n : 1, 1);
	for (size_t i = 0; i < add.n; i++) {
		int r = published(dir, append ? NULL : &cur, &add.v[i]);
		if (r < 0)
			goto out;
		present[i] = (char)r;
	}
	if (store_sign_key(&s, o->sign_key, &t) < 0 || store_check_signed(&s, &add) < 0)
		goto out;

	/* the new entry files and the indexes of both formats are staged,
	 * then committed as one */
	copied = xcalloc(add.n ? add.n : 1, 1);
	if (stage_new(dir, &add, present, copied, &fresh, &t) < 0)
		goto out;
	if (append) {
		if (store_append(&s, &old, &fresh, &t) < 0)
			goto out;
	} else {
		for (size_t i = 0; i < cur.n; i++)
			view_push(&view, &cur.v[i]);
		for (size_t i = 0; i < fresh.n; i++)
			view_push(&view, &fresh.v[i]);
		if (store_stage(&s, &view, &t) < 0)
			goto out;
	}
	if (repo_txn_commit(&t) < 0)
		goto out;
	rc = 0;
	for (size_t i = 0; i < add.n && !o->quiet; i++) {
		const struct repo_entry *e = &add.v[i];
		printf("%s %s %s %s %s\n", copied[i] ? "added" : "unchanged", e->name, e->version, e->arch, e->file);
	}
out:
	repo_txn_free(&t);
	if (rc < 0 && copied) {
		struct buf b = BUF_INIT;
		for (size_t i = 0; i < add.n; i++) {
			if (!copied[i])
				continue;
			buf_reset(&b);
			buf_addf(&b, "%s/%s", dir, add.v[i].file);
			unlink(b.p);
		}
		buf_free(&b);
	}
	free(copied);
	free(present);
	free(fresh.v);  /* views: the entries belong to add and cur */
	free(view.v);
	repo_istate_free(&old);
	repo_entries_free(&add);
	repo_entries_free(&cur);
	store_close(&s);
	return rc;
}

/* ---- repo list ------------------------------------------------------------- */

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
		repo_entries_free(&es);
		return -1;
	}
	if (json)
		buf_adds(&b, "[");
	for (size_t i = 0; i < es.n; i++) {
		const struct repo_entry *e = &es.v[i];
		const char *fmt = e->format == FMT_DEB ? "deb" : "rpm";
		if (!json) {
			buf_addf(&b, "%s %s %s %s %s\n", e->name, e->version, e->arch, fmt, e->file);
			continue;
		}
		buf_adds(&b, i ? ",\n  {" : "\n  {");
		buf_adds(&b, "\"name\": ");
		text_json(&b, e->name);
		buf_adds(&b, ", \"version\": ");
		text_json(&b, e->version);
		buf_adds(&b, ", \"arch\": ");
		text_json(&b, e->arch);
		buf_addf(&b, ", \"format\": \"%s\", \"file\": ", fmt);
		text_json(&b, e->file);
		buf_addf(&b, ", \"size\": %llu, \"sha256\": \"%s\"}", (unsigned long long)e->size, e->sha256);
	}
	if (json)
		buf_adds(&b, es.n ? "\n]\n" : "]\n");
	fwrite(b.p ? b.p : "", 1, b.len, stdout);
	buf_free(&b);
	repo_entries_free(&es);
	return 0;
}

/* ---- repo prune ------------------------------------------------------------ */

static int hash_chunk(void *ctx, const void *p, size_t n)
{
	hasher_update(ctx, p, n);
	return 0;
}

/* Is pool/NAME (a plain name: entries are checked when loaded) the file
 * the store wrote for e?  Read through pool's directory fd with
 * O_NOFOLLOW: a regular file with e's size and sha256.  1 yes, 0 it is
 * gone already, -1 (after rp_err) anything else. */
static int pool_file_is(int pool, const struct repo_entry *e)
{
	const char *nm = e->file + 5;
	struct stat st;
	if (fstatat(pool, nm, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : rp_errno("%s", e->file);
	if (!S_ISREG(st.st_mode))
		return rp_err("%s: not a regular file; the store did not write it, not removing it", e->file);
	if ((uint64_t)st.st_size != e->size)
		return rp_err("%s: %llu bytes, its entry says %llu; not removing it", e->file,
			      (unsigned long long)st.st_size, (unsigned long long)e->size);
	int fd = openat(pool, nm, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return rp_errno("%s", e->file);
	struct hasher h;
	hasher_init(&h, H_SHA256);
	int rc = read_each(fd, e->file, hash_chunk, &h) ? -1 : 1;
	close(fd);
	unsigned char md[32];
	char hex[65];
	hex_encode(md, hasher_final(&h, md), hex);
	hasher_free(&h);
	if (rc == 1 && strcmp(hex, e->sha256))
		rc = rp_err("%s: not the content its entry records (sha256 differs); not removing it", e->file);
	return rc;
}

static void print_dropped(const struct repo_entries *es, const char *drop, const char *what, int quiet)
{
	for (size_t i = 0; i < es->n; i++)
		if (drop[i] && !quiet)
			printf("%s %s %s %s %s %s\n", what, es->v[i].name, es->v[i].version, es->v[i].arch,
			       es->v[i].format == FMT_DEB ? "deb" : "rpm", es->v[i].file);
}

int repo_prune(const char *dir, long keep, int dry_run, const struct repo_add_opts *o)
{
	struct repo_entries es = { 0 }, view = { 0 };
	struct store s = { .lockfd = -1 };
	struct repo_txn t = { 0 };
	struct buf path = BUF_INIT, idx = BUF_INIT, name = BUF_INIT;
	char *drop = NULL;
	int rc = -1, pool = -1;
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
			if (!last || solve_verorder(e->format, e->version, last) != 0)
				versions++;
			last = e->version;
			if (versions > keep) {
				drop[i - 1] = 1;
				ndrop++;
			}
		}
		end = beg;
	}
	/* only files the store wrote go: checked before anything changes */
	buf_addf(&path, "%s/pool", dir);
	pool = open(path.p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (pool < 0 && (ndrop || errno != ENOENT)) {
		rp_errno("%s (a directory, not a link)", path.p);
		goto out;
	}
	for (size_t i = 0; i < es.n; i++)
		if (drop[i] && pool_file_is(pool, &es.v[i]) < 0)
			goto out;
	if (dry_run)
		print_dropped(&es, drop, "would remove", o->quiet);
	if (dry_run || (ndrop == 0 && !s.swept)) {
		rc = 0;
		goto out;
	}
	if (store_sign_key(&s, o->sign_key, &t) < 0)
		goto out;
	/* entries and indexes move to the new set together; the files only
	 * the old set named are removed after that */
	index_dir(&idx, dir);
	for (size_t i = 0; i < es.n; i++) {
		if (!drop[i]) {
			view_push(&view, &es.v[i]);
			continue;
		}
		entry_name(&name, &es.v[i]);
		repo_txn_remove(&t, idx.p, name.p, 0);
	}
	if (store_stage(&s, &view, &t) < 0 || repo_txn_commit(&t) < 0)
		goto out;
	rc = 0;
	print_dropped(&es, drop, "removed", o->quiet);
	for (size_t i = 0; i < es.n; i++) {
		if (!drop[i])
			continue;
		/* the check again, just before: the name is plain, the dir fd fixed */
		int is = pool_file_is(pool, &es.v[i]);
		if (is < 0 || (is == 1 && unlinkat(pool, es.v[i].file + 5, 0) < 0 && errno != ENOENT)) {
			if (is == 1)
				rp_errno("%s", es.v[i].file);
			rp_err_context("the indexes no longer name it, but it could not be removed");
			rc = -1;
		}
	}
out:
	repo_txn_free(&t);
	if (pool >= 0)
		close(pool);
	free(drop);
	free(view.v);
	buf_free(&path);
	buf_free(&idx);
	buf_free(&name);
	repo_entries_free(&es);
	store_close(&s);
	return rc;
}
