/* repo_rpm.c — the rpm-md side of the store: reads an .rpm's headers
 * (lead, signature header, main header through rpm_header.c, as inspect
 * and verify do; not the payload) into the primary / filelists / other
 * XML fragments createrepo_c would write for it, and writes repodata/
 * (checksum-named files, repomd.xml last). */
#include "repo.h"
#include "buf.h"
#include "clock.h"
#include "digest.h"
#include "error.h"
#include "gunzip.h"
#include "rpm_header.h"
#include "text.h"
#include "version.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHANGELOG_LIMIT 10          /* createrepo_c's default --changelog-limit */

/* All strings of a string tag (pointers into h; the array is the
 * caller's), or NULL with *n = 0 where the tag is absent or not a string:
 * the XML leaves out what it cannot render, as createrepo_c. */
static const char **strs(const struct rpmhdr *h, uint32_t tag, uint32_t *n)
{
	const char **v = NULL;
	long c = rpmhdr_find(h, tag) ? rpmhdr_strv(h, tag, &v) : 0;
	*n = c > 0 ? (uint32_t)c : 0;
	if (c <= 0) {
		free(v);
		return NULL;
	}
	return v;
}

static int int0(const struct rpmhdr *h, uint32_t tag, uint64_t *x)
{
	return rpmhdr_int(h, tag, 0, x) == 0;
}

/* ---- rendering, following createrepo_c's parsehdr.c / xml_dump_*.c ------ */

static const char *s_or_empty(const char *s)
{
	return s ? s : "";
}

static void text_el(struct buf *b, const char *indent, const char *el, const char *s)
{
	buf_addf(b, "%s<%s>", indent, el);
	text_xml(b, s_or_empty(s));
	buf_addf(b, "</%s>\n", el);
}

static void attr(struct buf *b, const char *name, const char *v)
{
	buf_addf(b, " %s=\"", name);
	text_xml(b, v);
	buf_addc(b, '"');
}

static const char *flag_str(uint64_t f)
{
	switch (f & (RPMSENSE_LESS | RPMSENSE_GREATER | RPMSENSE_EQUAL)) {
	case RPMSENSE_LESS: return "LT";
	case RPMSENSE_GREATER: return "GT";
	case RPMSENSE_EQUAL: return "EQ";
	case RPMSENSE_LESS | RPMSENSE_EQUAL: return "LE";
	case RPMSENSE_GREATER | RPMSENSE_EQUAL: return "GE";
	default: return NULL;
	}
}

/* "[E:]V[-R]" -> epoch (default "0"), ver, rel (as cr_str_to_evr). */
static void evr_attrs(struct buf *b, const char *evr)
{
	const char *colon = strchr(evr, ':');
	const char *v = evr;
	struct buf e = BUF_INIT;
	if (colon) {
		buf_add(&e, evr, (size_t)(colon - evr));
		v = colon + 1;
	} else {
		buf_adds(&e, "0");
	}
	const char *dash = strrchr(v, '-');
	attr(b, "epoch", buf_str(&e));
	char *ver = dash ? xstrndup(v, (size_t)(dash - v)) : xstrdup(v);
	if (*ver)
		attr(b, "ver", ver);
	if (dash && dash[1])
		attr(b, "rel", dash + 1);
	free(ver);
	buf_free(&e);
}

/* createrepo_c lists only these files in primary.xml (cr_is_primary). */
static int is_primary(const char *f)
{
	return !strncmp(f, "/etc/", 5) || !strcmp(f, "/usr/lib/sendmail") || strstr(f, "bin/") != NULL;
}

struct files {
	char **path;            /* owned */
	uint64_t *mode, *flags; /* owned */
	uint32_t n;
};

static void files_free(struct files *f)
{
	for (uint32_t i = 0; i < f->n; i++)
		free(f->path[i]);
	free(f->path);
	free(f->mode);
	free(f->flags);
	memset(f, 0, sizeof *f);
}

static int files_read(const struct rpmhdr *h, struct files *f)
{
	uint32_t nb = 0, nd = 0, ni = 0, nm = 0, nf = 0;
	const char **base = strs(h, RPMTAG_BASENAMES, &nb);
	const char **dirs = strs(h, RPMTAG_DIRNAMES, &nd);
	uint64_t *di = rpmhdr_ints(h, RPMTAG_DIRINDEXES, &ni);
	int rc = -1;
	memset(f, 0, sizeof *f);
	if (base) {
		if (!dirs || !di || ni != nb) {
			rp_err("file list: BASENAMES, DIRNAMES and DIRINDEXES disagree");
			goto out;
		}
		f->path = xcalloc(nb ? nb : 1, sizeof *f->path);
		for (uint32_t i = 0; i < nb; i++) {
			if (di[i] >= nd) {
				rp_err("file list: directory index %llu out of range", (unsigned long long)di[i]);
				goto out;
			}
			size_t l = strlen(dirs[di[i]]) + strlen(base[i]) + 1;
			f->path[i] = xmalloc(l);
			snprintf(f->path[i], l, "%s%s", dirs[di[i]], base[i]);
			f->n = i + 1;
		}
	} else {
		const char **old = strs(h, RPMTAG_OLDFILENAMES, &nb);
		f->path = xcalloc(nb ? nb : 1, sizeof *f->path);
		for (uint32_t i = 0; i < nb; i++)
			f->path[i] = xstrdup(old[i]);
		f->n = nb;
		free(old);
	}
	f->mode = rpmhdr_ints(h, RPMTAG_FILEMODES, &nm);
	f->flags = rpmhdr_ints(h, RPMTAG_FILEFLAGS, &nf);
	if (f->n && (nm != f->n || nf != f->n)) {
		rp_err("file list: FILEMODES/FILEFLAGS do not match the %u files", f->n);
		goto out;
	}
	rc = 0;
out:
	free(base);
	free(dirs);
	free(di);
	if (rc < 0)
		files_free(f);
	return rc;
}

static void files_xml(struct buf *b, const struct files *f, int primary_only)
{
	for (uint32_t i = 0; i < f->n; i++) {
		if (primary_only && !is_primary(f->path[i]))
			continue;
		const char *type = S_ISDIR((mode_t)f->mode[i]) ? "dir" : (f->flags[i] & RPMFILE_GHOST) ? "ghost" : NULL;
		buf_adds(b, primary_only ? "    <file" : "  <file");
		if (type)
			buf_addf(b, " type=\"%s\"", type);
		buf_addc(b, '>');
		text_xml(b, f->path[i]);
		buf_adds(b, "</file>\n");
	}
}

static int has_file(const struct files *f, const char *p)
{
	for (uint32_t i = 0; i < f->n; i++)
		if (!strcmp(f->path[i], p))
			return 1;
	return 0;
}

/* One dependency list (rpm:provides, rpm:requires, ...), with
 * createrepo_c's filters on requires: rpmlib(), the package's own primary
 * files, what it provides itself, and exact duplicates. */
static int deps_xml(struct buf *b, const struct rpmhdr *h, const char *el, uint32_t tn, uint32_t tf, uint32_t tv,
		    int requires, const struct files *f)
{
	uint32_t nn = 0, nf = 0, nv = 0, np = 0;
	const char **name = strs(h, tn, &nn);
	uint64_t *flags = rpmhdr_ints(h, tf, &nf);
	const char **ver = strs(h, tv, &nv);
	const char **prov = requires ? strs(h, RPMTAG_PROVIDENAME, &np) : NULL;
	int rc = 0, opened = 0;
	if (!name || !nn)
		goto out;
	if (nf != nn || nv != nn) {
		rc = rp_err("%s: names, flags and versions disagree", el);
		goto out;
	}
	for (uint32_t i = 0; i < nn; i++) {
		const char *fl = flag_str(flags[i]);
		int pre = requires && (flags[i] & (RPMSENSE_PREREQ | RPMSENSE_SCRIPT_PRE | RPMSENSE_SCRIPT_POST));
		if (!*name[i])
			continue;
		if (requires) {
			if (!strncmp(name[i], "rpmlib(", 7))
				continue;
			if (is_primary(name[i]) && has_file(f, name[i]))
				continue;
			int provided = 0;
			for (uint32_t k = 0; k < np && !provided; k++)
				provided = !strcmp(prov[k], name[i]);
			if (provided)
				continue;
			int dup = 0;
			for (uint32_t k = 0; k < i && !dup; k++) {
				const char *fk = flag_str(flags[k]);
				int prek = (flags[k] & (RPMSENSE_PREREQ | RPMSENSE_SCRIPT_PRE | RPMSENSE_SCRIPT_POST)) != 0;
				dup = !strcmp(name[k], name[i]) && !strcmp(ver[k], ver[i]) && prek == pre &&
				      ((!fk && !fl) || (fk && fl && !strcmp(fk, fl)));
			}
			if (dup)
				continue;
		}
		if (!opened) {
			buf_addf(b, "    <%s>\n", el);
			opened = 1;
		}
		buf_adds(b, "      <rpm:entry");
		attr(b, "name", name[i]);
		if (fl) {
			buf_addf(b, " flags=\"%s\"", fl);
			evr_attrs(b, ver[i]);
		}
		if (pre)
			buf_adds(b, " pre=\"1\"");
		buf_adds(b, "/>\n");
	}
	if (opened)
		buf_addf(b, "    </%s>\n", el);
out:
	free(name);
	free(flags);
	free(ver);
	free(prov);
	return rc;
}

static int check_token(const char *what, const char *v)
{
	if (!v || !*v)
		return rp_err("rpm header has no %s", what);
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '/' || *p == '"' || *p == '<' || *p == '&' || *p == 0x7f)
			return rp_err("rpm header: bad %s '%s'", what, v);
	return 0;
}

/* Every string of the header that ends up in the XML (and in `repo list`)
 * must be UTF-8: primary.xml says encoding="UTF-8", and one stray byte
 * makes the whole document ill-formed for every client. */
static int check_utf8(const struct rpmhdr *h)
{
	static const struct { uint32_t tag; const char *name; } tags[] = {
		{ RPMTAG_NAME, "NAME" }, { RPMTAG_VERSION, "VERSION" }, { RPMTAG_RELEASE, "RELEASE" }, { RPMTAG_ARCH, "ARCH" },
		{ RPMTAG_SUMMARY, "SUMMARY" }, { RPMTAG_DESCRIPTION, "DESCRIPTION" }, { RPMTAG_PACKAGER, "PACKAGER" },
		{ RPMTAG_URL, "URL" }, { RPMTAG_LICENSE, "LICENSE" }, { RPMTAG_VENDOR, "VENDOR" }, { RPMTAG_GROUP, "GROUP" },
		{ RPMTAG_BUILDHOST, "BUILDHOST" }, { RPMTAG_SOURCERPM, "SOURCERPM" },
		{ RPMTAG_PROVIDENAME, "PROVIDENAME" }, { RPMTAG_PROVIDEVERSION, "PROVIDEVERSION" },
		{ RPMTAG_REQUIRENAME, "REQUIRENAME" }, { RPMTAG_REQUIREVERSION, "REQUIREVERSION" },
		{ RPMTAG_CONFLICTNAME, "CONFLICTNAME" }, { RPMTAG_CONFLICTVERSION, "CONFLICTVERSION" },
		{ RPMTAG_OBSOLETENAME, "OBSOLETENAME" }, { RPMTAG_OBSOLETEVERSION, "OBSOLETEVERSION" },
		{ RPMTAG_CHANGELOGNAME, "CHANGELOGNAME" }, { RPMTAG_CHANGELOGTEXT, "CHANGELOGTEXT" },
		{ RPMTAG_BASENAMES, "BASENAMES" }, { RPMTAG_DIRNAMES, "DIRNAMES" }, { RPMTAG_OLDFILENAMES, "OLDFILENAMES" },
	};
	for (size_t i = 0; i < sizeof tags / sizeof *tags; i++) {
		uint32_t n = 0;
		const char **v = strs(h, tags[i].tag, &n);
		int bad = -1;
		for (uint32_t k = 0; k < n && bad < 0; k++)
			if (!text_utf8_valid(v[k], strlen(v[k])))
				bad = (int)k;
		free(v);
		if (bad >= 0)
			return n > 1 ? rp_err("rpm header: %s (tag %u), string %d, is not valid UTF-8", tags[i].name,
					      tags[i].tag, bad)
				     : rp_err("rpm header: %s (tag %u) is not valid UTF-8", tags[i].name, tags[i].tag);
	}
	return 0;
}

/* other.xml's changelog: the newest CHANGELOG_LIMIT entries, oldest
 * first; equal times are made distinct by bumping the older ones (as
 * createrepo_c). */
static void changelog_xml(struct buf *o, const struct rpmhdr *hp)
{
	uint32_t nt = 0, nn = 0, nx = 0;
	uint64_t *ct = rpmhdr_ints(hp, RPMTAG_CHANGELOGTIME, &nt);
	const char **cn = strs(hp, RPMTAG_CHANGELOGNAME, &nn);
	const char **cx = strs(hp, RPMTAG_CHANGELOGTEXT, &nx);
	if (ct && cn && cx) {
		uint32_t n = nt < nn ? nt : nn;
		n = n < nx ? n : nx;
		if (n > CHANGELOG_LIMIT)
			n = CHANGELOG_LIMIT;
		uint64_t *date = xmalloc((n ? n : 1) * sizeof *date);
		for (uint32_t i = 0; i < n; i++)
			date[i] = ct[i];
		for (uint32_t i = 1; i < n; i++)
			for (uint32_t k = i; k > 0 && date[k - 1] <= date[k] && ct[k - 1] == ct[k]; k--)
				date[k - 1] = date[k] + 1;
		for (uint32_t i = n; i > 0; i--) {
			char *author = xstrdup(cn[i - 1]);
			size_t al = strlen(author);
			while (al > 1 && author[al - 1] == ' ')
				author[--al] = 0;
			buf_adds(o, "  <changelog");
			attr(o, "author", author);
			buf_addf(o, " date=\"%llu\">", (unsigned long long)date[i - 1]);
			text_xml(o, cx[i - 1]);
			buf_adds(o, "</changelog>\n");
			free(author);
		}
		free(date);
	}
	free(ct);
	free(cn);
	free(cx);
}

/* What names the package in every fragment: NAME, [E:]V-R, ARCH, checked
 * (tokens, no leading dot) and borrowed from the header. */
struct rpm_ident {
	const char *name, *ver, *rel, *arch;
	int has_epoch;
	char epoch[32];         /* "0" when there is none (as createrepo_c) */
};

static int ident_read(const struct rpmhdr *h, struct rpm_ident *id)
{
	id->name = rpmhdr_str(h, RPMTAG_NAME);
	id->ver = rpmhdr_str(h, RPMTAG_VERSION);
	id->rel = rpmhdr_str(h, RPMTAG_RELEASE);
	uint64_t src = 0, epoch = 0;
	int is_src = int0(h, RPMTAG_SOURCEPACKAGE, &src) && src;
	id->arch = is_src ? "src" : rpmhdr_str(h, RPMTAG_ARCH);
	if (check_token("name", id->name) < 0 || check_token("version", id->ver) < 0 ||
	    check_token("release", id->rel) < 0 || check_token("arch", id->arch) < 0)
		return -1;
	if (id->name[0] == '.')         /* pool/.NAME-...: a hidden file no store would keep */
		return rp_err("rpm header: bad name '%s' (starts with a dot)", id->name);
	id->has_epoch = int0(h, RPMTAG_EPOCH, &epoch);
	snprintf(id->epoch, sizeof id->epoch, "%llu", (unsigned long long)epoch);
	return 0;
}

static void version_el(struct buf *b, const struct rpm_ident *id)
{
	buf_adds(b, "  <version");
	attr(b, "epoch", id->epoch);
	attr(b, "ver", id->ver);
	attr(b, "rel", id->rel);
	buf_adds(b, "/>\n");
}

/* primary.xml's <package>: identity, texts, sizes, location, header range,
 * dependencies, the primary files.  hstart..hend: the main header's bytes
 * in the file. */
static int primary_xml(struct buf *p, const struct rpmhdr *sig, const struct rpmhdr *h,
		       const struct rpm_ident *id, const struct repo_digests *d, const char *file,
		       off_t hstart, off_t hend, const struct files *f)
{
	uint64_t btime = 0, isize = 0, asize = 0;
	int0(h, RPMTAG_BUILDTIME, &btime);
	if (!int0(h, RPMTAG_LONGSIZE, &isize))
		int0(h, RPMTAG_SIZE, &isize);
	if (!int0(sig, RPMSIGTAG_LONGARCHIVESIZE, &asize) && !int0(sig, RPMSIGTAG_PAYLOADSIZE, &asize))
		int0(h, RPMTAG_ARCHIVESIZE, &asize);

	buf_adds(p, "<package type=\"rpm\">\n");
	text_el(p, "  ", "name", id->name);
	text_el(p, "  ", "arch", id->arch);
	version_el(p, id);
	buf_addf(p, "  <checksum type=\"sha256\" pkgid=\"YES\">%s</checksum>\n", d->sha256);
	text_el(p, "  ", "summary", rpmhdr_str(h, RPMTAG_SUMMARY));
	text_el(p, "  ", "description", rpmhdr_str(h, RPMTAG_DESCRIPTION));
	text_el(p, "  ", "packager", rpmhdr_str(h, RPMTAG_PACKAGER));
	text_el(p, "  ", "url", rpmhdr_str(h, RPMTAG_URL));
	buf_addf(p, "  <time file=\"%lld\" build=\"%llu\"/>\n", (long long)d->mtime, (unsigned long long)btime);
	buf_addf(p, "  <size package=\"%llu\" installed=\"%llu\" archive=\"%llu\"/>\n",
		 (unsigned long long)d->size, (unsigned long long)isize, (unsigned long long)asize);
	buf_adds(p, "  <location");
	attr(p, "href", file);
	buf_adds(p, "/>\n  <format>\n");
	text_el(p, "    ", "rpm:license", rpmhdr_str(h, RPMTAG_LICENSE));
	text_el(p, "    ", "rpm:vendor", rpmhdr_str(h, RPMTAG_VENDOR));
	text_el(p, "    ", "rpm:group", rpmhdr_str(h, RPMTAG_GROUP));
	text_el(p, "    ", "rpm:buildhost", rpmhdr_str(h, RPMTAG_BUILDHOST));
	text_el(p, "    ", "rpm:sourcerpm", rpmhdr_str(h, RPMTAG_SOURCERPM));
	buf_addf(p, "    <rpm:header-range start=\"%lld\" end=\"%lld\"/>\n", (long long)hstart, (long long)hend);
	if (deps_xml(p, h, "rpm:provides", RPMTAG_PROVIDENAME, RPMTAG_PROVIDEFLAGS, RPMTAG_PROVIDEVERSION, 0, f) < 0 ||
	    deps_xml(p, h, "rpm:requires", RPMTAG_REQUIRENAME, RPMTAG_REQUIREFLAGS, RPMTAG_REQUIREVERSION, 1, f) < 0 ||
	    deps_xml(p, h, "rpm:conflicts", RPMTAG_CONFLICTNAME, RPMTAG_CONFLICTFLAGS, RPMTAG_CONFLICTVERSION, 0, f) < 0 ||
	    deps_xml(p, h, "rpm:obsoletes", RPMTAG_OBSOLETENAME, RPMTAG_OBSOLETEFLAGS, RPMTAG_OBSOLETEVERSION, 0, f) < 0 ||
	    deps_xml(p, h, "rpm:suggests", RPMTAG_SUGGESTNAME, RPMTAG_SUGGESTFLAGS, RPMTAG_SUGGESTVERSION, 0, f) < 0 ||
	    deps_xml(p, h, "rpm:recommends", RPMTAG_RECOMMENDNAME, RPMTAG_RECOMMENDFLAGS, RPMTAG_RECOMMENDVERSION, 0, f) < 0)
		return -1;
	files_xml(p, f, 1);
	buf_adds(p, "  </format>\n</package>\n");
	return 0;
}

/* filelists.xml's and other.xml's <package>: the same package and
 * version lines, then every file / the changelog. */
static void filelists_other_xml(struct repo_entry *e, const struct rpmhdr *h, const struct rpm_ident *id,
				const char *sha256, const struct files *f)
{
	struct buf head = BUF_INIT;
	buf_addf(&head, "<package pkgid=\"%s\"", sha256);
	attr(&head, "name", id->name);
	attr(&head, "arch", id->arch);
	buf_adds(&head, ">\n");
	version_el(&head, id);

	buf_add(&e->frag[FR_FILELISTS], head.p, head.len);
	files_xml(&e->frag[FR_FILELISTS], f, 0);
	buf_adds(&e->frag[FR_FILELISTS], "</package>\n");

	struct buf *o = &e->frag[FR_OTHER];
	buf_add(o, head.p, head.len);
	changelog_xml(o, h);
	buf_adds(o, "</package>\n");
	buf_free(&head);
}

int repo_rpm_read(const char *path, const struct repo_digests *d, struct repo_entry *e)
{
	struct rpmhdr sig = { 0 }, h = { 0 };
	struct files f = { 0 };
	struct rpm_ident id;
	int rc = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rp_errno("%s", path);
	if (rpmhdr_read_pkg(fd, &sig, &h) < 0) {
		close(fd);      /* the reader's message, word for word as inspect's and verify's */
		return -1;
	}
	/* the lead, the signature header padded to 8 bytes, the main header */
	off_t hstart = RPM_LEAD_SIZE + (off_t)((sig.len + 7) / 8 * 8);
	off_t hend = hstart + (off_t)h.len;
	if (check_utf8(&h) < 0 || ident_read(&h, &id) < 0 || files_read(&h, &f) < 0)
		goto out;

	e->format = FMT_RPM;
	e->name = xstrdup(id.name);
	e->version = version_full(id.has_epoch ? id.epoch : NULL, id.ver, id.rel);
	e->arch = xstrdup(id.arch);
	struct buf b = BUF_INIT;
	buf_addf(&b, "pool/%s-%s-%s.%s.rpm", id.name, id.ver, id.rel, id.arch);
	e->file = buf_detach(&b);
	e->size = d->size;
	memcpy(e->sha256, d->sha256, sizeof e->sha256);
	if (primary_xml(&e->frag[FR_PRIMARY], &sig, &h, &id, d, e->file, hstart, hend, &f) < 0)
		goto out;
	filelists_other_xml(e, &h, &id, d->sha256, &f);
	rc = 0;
out:
	if (rc < 0)
		rp_err_context("not a valid .rpm");
	close(fd);
	rpmhdr_free(&sig);
	rpmhdr_free(&h);
	files_free(&f);
	return rc;
}

/* ---- repodata/ ------------------------------------------------------------- */

struct mdfile {
	const char *type;       /* primary, filelists, other */
	struct buf gz;          /* head, packages, tail: gzip members */
	struct hasher open;     /* sha256 of the XML */
	uint64_t open_size;
	uint64_t head, tail;    /* sizes of the first and last member */
	char sum[65], open_sum[65];
	char name[128];         /* <sum>-<type>.xml.gz */
};

static const char *const md_type[3] = { "primary", "filelists", "other" };
static const char *const open_tag[3] = {
	/* parenthesised: one element split over two lines (clang's -Wstring-concatenation) */
	("<metadata xmlns=\"http://linux.duke.edu/metadata/common\" "
	 "xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\" packages=\"%zu\">\n"),
	"<filelists xmlns=\"http://linux.duke.edu/metadata/filelists\" packages=\"%zu\">\n",
	"<otherdata xmlns=\"http://linux.duke.edu/metadata/other\" packages=\"%zu\">\n",
};
/* createrepo_c ends the documents without a newline */
static const char *const close_tag[3] = { "</metadata>", "</filelists>", "</otherdata>" };

/* XML bytes of the document: hashed and counted for the open-checksum. */
static void md_xml(struct mdfile *m, const void *p, size_t n)
{
	hasher_update(&m->open, p, n);
	m->open_size += n;
}

/* Starts document k for npkg packages: its head as the first gzip member. */
static int md_begin(struct mdfile *m, int k, size_t npkg)
{
	struct buf x = BUF_INIT;
	m->type = md_type[k];
	hasher_init(&m->open, H_SHA256);
	buf_adds(&x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	buf_addf(&x, open_tag[k], npkg);
	md_xml(m, x.p, x.len);
	int rc = repo_gzip(x.p, x.len, &m->gz);
	m->head = m->gz.len;
	buf_free(&x);
	return rc;
}

/* Ends document k: the closing tag as the last member; sums and name. */
static int md_end(struct mdfile *m, int k)
{
	size_t before = m->gz.len;
	md_xml(m, close_tag[k], strlen(close_tag[k]));
	if (repo_gzip(close_tag[k], strlen(close_tag[k]), &m->gz) < 0)
		return -1;
	m->tail = m->gz.len - before;
	unsigned char d[32];
	hex_encode(d, hasher_final(&m->open, d), m->open_sum);
	repo_sha256_hex(m->gz.p, m->gz.len, m->sum);
	char name[sizeof m->name];      /* not straight into m: gcc's -Wrestrict */
	snprintf(name, sizeof name, "%s-%s.xml.gz", m->sum, m->type);
	memcpy(m->name, name, sizeof name);
	return 0;
}

/* The fragments k of the rpm entries of es as one gzip member. */
static int md_packages(struct mdfile *m, int k, const struct repo_entries *es)
{
	struct buf x = BUF_INIT;
	for (size_t i = 0; i < es->n; i++)
		if (es->v[i].format == FMT_RPM)
			buf_add(&x, buf_str(&es->v[i].frag[k]), es->v[i].frag[k].len);
	md_xml(m, buf_str(&x), x.len);
	int rc = x.len ? repo_gzip(x.p, x.len, &m->gz) : 0;
	buf_free(&x);
	return rc;
}

struct mem_in {
	const void *p;
	size_t n;
};

static long mem_input(void *ctx, const void **p, char *err, size_t errlen)
{
	(void)err, (void)errlen;
	struct mem_in *m = ctx;
	long n = (long)m->n;
	*p = m->p;
	m->n = 0;
	return n;
}

/* The packages of an old document: its middle members (gz[head ..
 * size - tail]) copied as they are, and inflated once for the
 * open-checksum. */
static int md_copy_packages(struct mdfile *m, const struct buf *gz, const struct repo_mdrec *r)
{
	if (r->head + r->tail > gz->len)
		return rp_err("repodata/%s: shorter than .relpkg/indexes says", r->name);
	struct mem_in in = { gz->p + r->head, gz->len - r->head - r->tail };
	if (!in.n)
		return 0;
	buf_add(&m->gz, in.p, in.n);
	struct gunzip g;
	if (gunzip_init(&g, mem_input, &in) < 0)
		return rp_err("repodata/%s: %s", r->name, g.err);
	static char chunk[1 << 16];
	long got;
	while ((got = gunzip_read(&g, chunk, sizeof chunk)) > 0)
		md_xml(m, chunk, (size_t)got);
	if (got < 0)
		rp_err("repodata/%s: %s", r->name, g.err);
	gunzip_end(&g);
	return got < 0 ? -1 : 0;
}

void repo_rpm_hrefs(const char *xml, size_t n, struct buf *out)
{
	static const char key[] = "href=\"repodata/";
	const char *p = xml, *end = xml + n;
	for (;;) {
		const char *h = memmem(p, (size_t)(end - p), key, sizeof key - 1);
		if (!h)
			break;
		h += sizeof key - 1;
		const char *q = memchr(h, '"', (size_t)(end - h));
		if (!q)
			break;
		size_t len = (size_t)(q - h);
		/* a plain file name in repodata/, nothing else is ours to keep */
		if (len && !memchr(h, '/', len) && !memchr(h, '\n', len) && !memchr(h, 0, len)) {
			buf_add(out, h, len);
			buf_addc(out, '\n');
		}
		p = q + 1;
	}
}

/* The hrefs of the repodata files repomd.xml names now (the generation a
 * client may be fetching while we write the next one). */
static void current_hrefs(const char *dir, struct buf *out)
{
	struct buf path = BUF_INIT, xml = BUF_INIT;
	buf_addf(&path, "%s/repodata/repomd.xml", dir);
	/* No repomd.xml (a new store) or an unreadable one: no current files;
	 * the message recorded is not an error of the command. */
	(void)repo_read_file(path.p, &xml, 16u << 20);
	buf_free(&path);
	repo_rpm_hrefs(buf_str(&xml), xml.len, out);
	buf_free(&xml);
}

static int listed(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *l = list; *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		if (len == n && !memcmp(l, name, n))
			return 1;
		if (!nl)
			break;
		l = nl + 1;
	}
	return 0;
}

/* repomd.xml for md[], signed (repomd.xml.asc) with sg's key; the
 * checksum-named files, repomd.xml and its signature staged in t; older
 * generations dropped after the commit. */
static int stage_rpm(const char *dir, struct mdfile md[3], const struct repo_sign *sg, struct repo_txn *t)
{
	struct buf rdir = BUF_INIT, repomd = BUF_INIT, asc = BUF_INIT, keep = BUF_INIT;
	int rc = -1;
	buf_addf(&rdir, "%s/repodata", dir);
	time_t now = (time_t)clock_now(NULL);
	buf_adds(&repomd, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		 "<repomd xmlns=\"http://linux.duke.edu/metadata/repo\" "
		 "xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\">\n");
	buf_addf(&repomd, "  <revision>%lld</revision>\n", (long long)now);
	for (int k = 0; k < 3; k++) {
		buf_addf(&repomd, "  <data type=\"%s\">\n", md[k].type);
		buf_addf(&repomd, "    <checksum type=\"sha256\">%s</checksum>\n", md[k].sum);
		buf_addf(&repomd, "    <open-checksum type=\"sha256\">%s</open-checksum>\n", md[k].open_sum);
		buf_addf(&repomd, "    <location href=\"repodata/%s\"/>\n", md[k].name);
		buf_addf(&repomd, "    <timestamp>%lld</timestamp>\n", (long long)now);
		buf_addf(&repomd, "    <size>%zu</size>\n", md[k].gz.len);
		buf_addf(&repomd, "    <open-size>%llu</open-size>\n", (unsigned long long)md[k].open_size);
		buf_adds(&repomd, "  </data>\n");
	}
	buf_adds(&repomd, "</repomd>\n");
	if (sg->key && repo_gpg_sign(sg->key, &repomd, 0, &asc) < 0)
		goto out;

	/* the checksum-named files first (new names: nothing a reader uses
	 * changes), then repomd.xml, then its signature (an unsigned store
	 * drops an old signature before repomd.xml changes) */
	current_hrefs(dir, &keep);
	for (int k = 0; k < 3; k++)
		if (repo_txn_write(t, rdir.p, md[k].name, md[k].gz.p, md[k].gz.len, 0) < 0)
			goto out;
	if (!sg->key)
		repo_txn_remove(t, rdir.p, "repomd.xml.asc", 0);
	if (repo_txn_write(t, rdir.p, "repomd.xml", repomd.p, repomd.len, 1) < 0 ||
	    (sg->key && repo_txn_write(t, rdir.p, "repomd.xml.asc", asc.p, asc.len, 1) < 0))
		goto out;

	/* once committed, drop metadata older than the previous generation
	 * (which a client that read the old repomd.xml a moment ago may still
	 * fetch) */
	for (int k = 0; k < 3; k++)
		buf_addf(&keep, "%s\n", md[k].name);
	DIR *d = opendir(rdir.p);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d))) {
			const char *nm = de->d_name;
			size_t l = strlen(nm);
			int ours = l > 65 && nm[64] == '-' && strspn(nm, "0123456789abcdef") == 64 &&
				   (strstr(nm, "-primary.xml") || strstr(nm, "-filelists.xml") || strstr(nm, "-other.xml"));
			if (ours && !listed(keep.p, nm))
				repo_txn_after(t, rdir.p, nm);
		}
		closedir(d);
	}
	rc = 0;
out:
	buf_free(&rdir);
	buf_free(&repomd);
	buf_free(&asc);
	buf_free(&keep);
	return rc;
}

static void note_rpm(struct repo_istate *st, const struct mdfile md[3])
{
	for (int k = 0; k < 3; k++) {
		struct repo_mdrec *r = &st->md[k];
		memcpy(r->name, md[k].name, sizeof r->name);
		r->size = md[k].gz.len;
		r->head = md[k].head;
		r->tail = md[k].tail;
		r->open_size = md[k].open_size;
	}
}

static void md_free(struct mdfile md[3])
{
	for (int k = 0; k < 3; k++) {
		buf_free(&md[k].gz);
		if (md[k].type)
			hasher_free(&md[k].open);
	}
}

/* The three documents: the packages of *old's files (NULL: none), copied
 * as they are, then es's rpms; repomd.xml for them. */
static int rpm_write(const char *dir, const struct repo_istate *old, const struct repo_entries *es,
		     const struct repo_sign *sg, struct repo_txn *t, struct repo_istate *st)
{
	struct mdfile md[3] = { { 0 } };
	int rc = -1;
	size_t n = old ? old->nrpm : 0;
	for (size_t i = 0; i < es->n; i++)
		n += es->v[i].format == FMT_RPM;
	for (int k = 0; k < 3; k++)
		if (md_begin(&md[k], k, n) < 0 || (old && md_copy_packages(&md[k], &old->mdgz[k], &old->md[k]) < 0) ||
		    md_packages(&md[k], k, es) < 0 || md_end(&md[k], k) < 0)
			goto out;
	if (stage_rpm(dir, md, sg, t) < 0)
		goto out;
	st->nrpm = n;
	note_rpm(st, md);
	rc = 0;
out:
	md_free(md);
	return rc;
}

int repo_rpm_write(const char *dir, const struct repo_entries *es, const struct repo_sign *sg, struct repo_txn *t,
		   struct repo_istate *st)
{
	return rpm_write(dir, NULL, es, sg, t, st);
}

int repo_rpm_append(const char *dir, const struct repo_istate *old, const struct repo_entries *add,
		    const struct repo_sign *sg, struct repo_txn *t, struct repo_istate *st)
{
	return rpm_write(dir, old, add, sg, t, st);
}
