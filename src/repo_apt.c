/* repo_apt.c — the apt side of the store: reads a .deb's control file
 * (ar -> control.tar.* -> ./control, through libarchive) into a Packages
 * stanza, and writes the flat repository's Packages, Packages.gz and
 * Release (+ InRelease, Release.gpg when signing). */
#include "repo.h"
#include "buf.h"
#include "clock.h"
#include "digest.h"
#include "error.h"
#include "pkginfo.h"
#include "text.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CONTROL_TAR_MAX (64u << 20)
#define CONTROL_MAX (1u << 20)

/* The control file out of control.tar[.gz|.xz|.zst] held in memory. */
static int control_from_tar(const struct buf *tar, struct buf *control)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	int rc = -1, found = 0;
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_memory(a, tar->p, tar->len) != ARCHIVE_OK) {
		rp_err("control.tar: %s", archive_error_string(a));
		goto out;
	}
	for (;;) {
		int r = archive_read_next_header(a, &ae);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK) {
			rp_err("control.tar: %s", archive_error_string(a));
			goto out;
		}
		const char *p = archive_entry_pathname(ae);
		if (p && (!strcmp(p, "./control") || !strcmp(p, "control"))) {
			if (pkg_read_member(a, control, CONTROL_MAX, "control") < 0)
				goto out;
			found = 1;
			break;
		}
	}
	if (!found) {
		rp_err("control.tar has no control file");
		goto out;
	}
	rc = 0;
out:
	archive_read_free(a);
	return rc;
}

static int read_control(const char *path, struct buf *control)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	struct buf tar = BUF_INIT;
	int rc = -1, n = 0;
	archive_read_support_format_ar(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		rp_err("%s", archive_error_string(a));
		goto out;
	}
	for (;; n++) {
		int r = archive_read_next_header(a, &ae);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK) {
			rp_err("not a valid .deb: %s", archive_error_string(a));
			goto out;
		}
		const char *p = archive_entry_pathname(ae);
		if (!p)
			p = "";
		if (n == 0) {
			struct buf v = BUF_INIT;
			int bad = strcmp(p, "debian-binary") || pkg_read_member(a, &v, 64, p) < 0 ||
				  strncmp(buf_str(&v), "2.", 2);
			buf_free(&v);
			if (bad) {
				rp_err("not a .deb: the first member is not debian-binary 2.x");
				goto out;
			}
			continue;
		}
		if (!strncmp(p, "control.tar", 11)) {
			if (pkg_read_member(a, &tar, CONTROL_TAR_MAX, p) < 0 || control_from_tar(&tar, control) < 0)
				goto out;
			rc = 0;
			goto out;
		}
	}
	rp_err("not a .deb: no control.tar member");
out:
	archive_read_free(a);
	buf_free(&tar);
	return rc;
}

/* Names, versions and architectures end up in file names and index
 * lines: refuse what dpkg would refuse or what would break them. */
static int check_token(const char *what, const char *v, const char *allowed)
{
	if (!v || !*v)
		return rp_err("control file has no %s", what);
	for (const char *p = v; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      strchr(allowed, *p)))
			return rp_err("control file: bad %s '%s'", what, v);
	return 0;
}

/* Which control fields the stanza takes from the control file: all except
 * the ones the archive computes, and Description, which goes last. */
static int computed_field(const char *l, size_t len)
{
	static const char *const skip[] = { "Filename", "Size", "MD5sum", "SHA1", "SHA256", "SHA512",
					    "Description", NULL };
	for (int i = 0; skip[i]; i++) {
		size_t n = strlen(skip[i]);
		if (len > n && !strncasecmp(l, skip[i], n) && l[n] == ':')
			return 1;
	}
	return 0;
}

static void render_stanza(const char *control, const char *file, const struct repo_digests *d, struct buf *out)
{
	struct buf desc = BUF_INIT;
	int in_skipped = 0, in_desc = 0;
	for (const char *l = control; *l;) {
		const char *eol = strchr(l, '\n');
		size_t len = eol ? (size_t)(eol - l) : strlen(l);
		if (strspn(l, " \t") >= len)
			break;  /* a blank (or all-blank) line ends the paragraph */
		if (l[0] == ' ' || l[0] == '\t') {
			if (in_desc)
				buf_add(&desc, l, len), buf_addc(&desc, '\n');
			else if (!in_skipped)
				buf_add(out, l, len), buf_addc(out, '\n');
		} else {
			in_desc = len > 12 && !strncasecmp(l, "Description:", 12);
			in_skipped = computed_field(l, len);
			if (in_desc)
				buf_add(&desc, l, len), buf_addc(&desc, '\n');
			else if (!in_skipped)
				buf_add(out, l, len), buf_addc(out, '\n');
		}
		if (!eol)
			break;
		l = eol + 1;
	}
	buf_addf(out, "Filename: %s\nSize: %llu\nMD5sum: %s\nSHA1: %s\nSHA256: %s\nSHA512: %s\n", file,
		 (unsigned long long)d->size, d->md5, d->sha1, d->sha256, d->sha512);
	buf_add(out, buf_str(&desc), desc.len);
	buf_free(&desc);
}

/* Fields whose value may go on over continuation lines: Description
 * (multiline) and the relationship fields, which deb-control(5) lets be
 * folded.  Every other field is one line. */
static int may_continue(const char *name, size_t len)
{
	static const char *const multi[] = { "Description", "Depends", "Pre-Depends", "Recommends", "Suggests",
					     "Breaks", "Conflicts", "Provides", "Replaces", "Enhances",
					     "Built-Using", "Static-Built-Using", NULL };
	for (int i = 0; multi[i]; i++)
		if (strlen(multi[i]) == len && !strncasecmp(name, multi[i], len))
			return 1;
	return 0;
}

int repo_control_check(const char *p, size_t len)
{
	if (memchr(p, 0, len))
		return rp_err("control file holds a NUL byte");
	if (!text_utf8_valid(p, len))
		return rp_err("control file is not valid UTF-8");
	const char *seen[64];
	size_t seen_len[64], nseen = 0;
	const char *cur = NULL;         /* the field continuation lines would belong to */
	size_t cur_len = 0;
	int lineno = 0, ended = 0;
	for (const char *l = p, *end = p + len; l < end;) {
		const char *eol = memchr(l, '\n', (size_t)(end - l));
		size_t n = eol ? (size_t)(eol - l) : (size_t)(end - l);
		lineno++;
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)l[i] < 0x20 && l[i] != '\t')
				return rp_err("control file, line %d: control character 0x%02x", lineno,
					      (unsigned char)l[i]);
			else if (l[i] == 0x7f)
				return rp_err("control file, line %d: control character 0x7f", lineno);
		size_t blank = 0;
		while (blank < n && (l[blank] == ' ' || l[blank] == '\t'))
			blank++;
		if (blank == n) {
			/* an empty line ends the paragraph; only more empty lines may follow */
			if (!nseen)
				return rp_err("control file, line %d: blank line before the first field", lineno);
			ended = 1;
		} else if (ended) {
			return rp_err("control file, line %d: more than one paragraph", lineno);
		} else if (blank) {
			if (!cur)
				return rp_err("control file, line %d: continuation line before the first field", lineno);
			if (!may_continue(cur, cur_len))
				return rp_err("control file: field %.*s: continuation line %d (only Description "
					      "and relationship fields go on over several lines)", (int)cur_len, cur,
					      lineno);
		} else {
			const char *colon = memchr(l, ':', n);
			if (!colon)
				return rp_err("control file, line %d: not a field (no ':'): '%.*s'", lineno,
					      (int)(n > 60 ? 60 : n), l);
			size_t nl = (size_t)(colon - l);
			if (!nl || l[0] == '#' || l[0] == '-')
				return rp_err("control file, line %d: bad field name '%.*s'", lineno, (int)nl, l);
			for (size_t i = 0; i < nl; i++)
				if ((unsigned char)l[i] <= ' ' || (unsigned char)l[i] >= 0x7f)
					return rp_err("control file, line %d: bad field name '%.*s'", lineno, (int)nl,
						      l);
			for (size_t i = 0; i < nseen; i++)
				if (seen_len[i] == nl && !strncasecmp(seen[i], l, nl))
					return rp_err("control file: field %.*s appears more than once", (int)nl, l);
			if (nseen == sizeof seen / sizeof *seen)
				return rp_err("control file: more than %zu fields", sizeof seen / sizeof *seen);
			seen[nseen] = l;
			seen_len[nseen++] = nl;
			cur = l;
			cur_len = nl;
		}
		if (!eol)
			break;
		l = eol + 1;
	}
	if (!nseen)
		return rp_err("control file has no fields");
	return 0;
}

int repo_deb_control(const char *control, size_t len, const struct repo_digests *d, struct repo_entry *e)
{
	if (repo_control_check(control, len) < 0)
		return -1;
	e->format = FMT_DEB;
	e->name = text_deb_field(control, "Package");
	e->version = text_deb_field(control, "Version");
	e->arch = text_deb_field(control, "Architecture");
	if (check_token("Package", e->name, "+-.") < 0 || check_token("Version", e->version, ".+-~:") < 0 ||
	    check_token("Architecture", e->arch, "-"))
		return -1;
	/* deb-control(5): a name starts with an alphanumeric (and a pool
	 * file name never starts with a dot) */
	if (!isalnum((unsigned char)e->name[0]))
		return rp_err("control file: bad Package '%s' (does not start with a letter or digit)", e->name);
	/* dpkg-name's canonical name: the epoch is not part of it */
	const char *colon = strchr(e->version, ':');
	struct buf f = BUF_INIT;
	buf_addf(&f, "pool/%s_%s_%s.deb", e->name, colon ? colon + 1 : e->version, e->arch);
	e->file = buf_detach(&f);
	e->size = d->size;
	memcpy(e->sha256, d->sha256, sizeof e->sha256);
	render_stanza(control, e->file, d, &e->frag[FR_PACKAGES]);
	return 0;
}

int repo_deb_read(const char *path, const struct repo_digests *d, struct repo_entry *e)
{
	struct buf control = BUF_INIT;
	int rc = -1;
	if (read_control(path, &control) == 0)
		rc = repo_deb_control(buf_str(&control), control.len, d, e);
	buf_free(&control);
	return rc;
}

/* ---- the flat repository's index files --------------------------------- */

static void add_sums(struct buf *rel, const char *title, enum halgo algo,
		     const char *const names[], const struct buf *const data[], int n)
{
	buf_addf(rel, "%s:\n", title);
	for (int i = 0; i < n; i++) {
		struct hasher h;
		unsigned char md[64];
		char hex[129];
		hasher_init(&h, algo);
		hasher_update(&h, data[i]->p ? data[i]->p : "", data[i]->len);
		hex_encode(md, hasher_final(&h, md), hex);
		hasher_free(&h);
		buf_addf(rel, " %s %16zu %s\n", hex, data[i]->len, names[i]);
	}
}

/* Release for Packages and Packages.gz, signed (InRelease, Release.gpg)
 * with sg's key, all staged in t. */
static int stage_apt(const char *dir, const struct buf *pk, const struct buf *gz, const char *archs,
		     const struct repo_sign *sg, struct repo_txn *t)
{
	struct buf rel = BUF_INIT, inrel = BUF_INIT, sig = BUF_INIT;
	int rc = -1;
	/* Release: a flat repository ("deb URI ./") has no dists/ and no
	 * components; Suite/Codename are informational there. */
	char date[64];
	time_t now = (time_t)clock_now(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S UTC", &tm);
	buf_adds(&rel, "Origin: relpkg\nLabel: relpkg\nSuite: stable\nCodename: stable\n");
	buf_addf(&rel, "Date: %s\nArchitectures: %s\n", date, *archs ? archs : "all");
	buf_adds(&rel, "Description: release store written by relpkg\n");
	const char *const names[] = { "Packages", "Packages.gz" };
	const struct buf *const data[] = { pk, gz };
	add_sums(&rel, "MD5Sum", H_MD5, names, data, 2);
	add_sums(&rel, "SHA1", H_SHA1, names, data, 2);
	add_sums(&rel, "SHA256", H_SHA256, names, data, 2);
	add_sums(&rel, "SHA512", H_SHA512, names, data, 2);

	/* sign before anything is staged: a gpg failure changes nothing */
	if (sg->key && (repo_gpg_sign(sg->key, &rel, 1, &inrel) < 0 || repo_gpg_sign(sg->key, &rel, 0, &sig) < 0))
		goto out;

	/* indexes first, the files that describe them last; an unsigned
	 * store drops the signatures of an older Release before any index
	 * changes, so that none ever describes the new files */
	if (!sg->key) {
		repo_txn_remove(t, dir, "InRelease", 0);
		repo_txn_remove(t, dir, "Release.gpg", 0);
	}
	if (repo_txn_write(t, dir, "Packages", buf_str(pk), pk->len, 0) < 0 ||
	    repo_txn_write(t, dir, "Packages.gz", gz->p, gz->len, 0) < 0 ||
	    repo_txn_write(t, dir, "Release", rel.p, rel.len, 1) < 0)
		goto out;
	if (sg->key && (repo_txn_write(t, dir, "Release.gpg", sig.p, sig.len, 1) < 0 ||
			repo_txn_write(t, dir, "InRelease", inrel.p, inrel.len, 1) < 0))
		goto out;
	rc = 0;
out:
	buf_free(&rel);
	buf_free(&inrel);
	buf_free(&sig);
	return rc;
}

/* The sorted, unique architectures of arch[0..n) (sorted in place), ' '-separated. */
static char *arch_list(const char **arch, size_t n)
{
	struct buf b = BUF_INIT;
	qsort(arch, n, sizeof *arch, cmp_strp);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || strcmp(arch[i], arch[i - 1]))
			buf_addf(&b, "%s%s", b.len ? " " : "", arch[i]);
	return b.len ? buf_detach(&b) : (buf_free(&b), xstrdup(""));
}

static void note_apt(struct repo_istate *st, const struct buf *pk, const struct buf *gz)
{
	st->pk_size = pk->len;
	st->gz_size = gz->len;
	repo_sha256_hex(buf_str(pk), pk->len, st->pk_sha);
	repo_sha256_hex(buf_str(gz), gz->len, st->gz_sha);
}

/* Packages (and .gz) as *old describes them (NULL: none) followed by the
 * stanzas of es's debs, as one more gzip member; Release for them. */
static int apt_write(const char *dir, const struct repo_istate *old, const struct repo_entries *es,
		     const struct repo_sign *sg, struct repo_txn *t, struct repo_istate *st)
{
	struct buf pk = BUF_INIT, gz = BUF_INIT, words = BUF_INIT;
	int rc = -1;
	size_t na = 0, more = 0;
	if (old) {
		buf_add(&pk, buf_str(&old->pk), old->pk.len);
		buf_add(&gz, buf_str(&old->gz), old->gz.len);
		buf_adds(&words, old->archs);   /* the architectures: the old list's words and the new ones */
	}
	size_t at = pk.len;
	const char **arch = xmalloc((es->n + words.len / 2 + 2) * sizeof *arch);
	for (char *w = words.p, *sp; w && *w; w = sp ? sp + 1 : NULL) {
		sp = strchr(w, ' ');
		if (sp)
			*sp = 0;
		arch[na++] = w;
	}
	for (size_t i = 0; i < es->n; i++) {
		const struct repo_entry *e = &es->v[i];
		if (e->format != FMT_DEB)
			continue;
		buf_add(&pk, buf_str(&e->frag[FR_PACKAGES]), e->frag[FR_PACKAGES].len);
		buf_addc(&pk, '\n');
		arch[na++] = e->arch;
		more++;
	}
	free(st->archs);
	st->archs = arch_list(arch, na);
	st->ndeb = (old ? old->ndeb : 0) + more;
	/* a full write is one member, even when empty; an add adds one if any deb is new */
	if ((!old || more) && repo_gzip(buf_str(&pk) + at, pk.len - at, &gz) < 0)
		goto out;
	if (stage_apt(dir, &pk, &gz, st->archs, sg, t) < 0)
		goto out;
	note_apt(st, &pk, &gz);
	rc = 0;
out:
	free(arch);
	buf_free(&pk);
	buf_free(&gz);
	buf_free(&words);
	return rc;
}

int repo_apt_write(const char *dir, const struct repo_entries *es, const struct repo_sign *sg, struct repo_txn *t,
		   struct repo_istate *st)
{
	return apt_write(dir, NULL, es, sg, t, st);
}

int repo_apt_append(const char *dir, const struct repo_istate *old, const struct repo_entries *add,
		    const struct repo_sign *sg, struct repo_txn *t, struct repo_istate *st)
{
	return apt_write(dir, old, add, sg, t, st);
}
