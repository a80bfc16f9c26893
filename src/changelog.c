/* changelog.c — see changelog.h. */
#include "changelog.h"
#include "buf.h"
#include "error.h"
#include "solve.h"
#include "version.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHANGELOG_MAX (8u << 20)

enum chl_format { CF_DETECT, CF_DEBIAN, CF_RPM, CF_MARKDOWN };

static const char *const month[12] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
static const char *const wday[7] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };

/* one parsed entry before versions are mapped */
struct raw {
	char *version;          /* as written */
	char *author;           /* or NULL: the maintainer */
	int64_t time;           /* -1: none given */
	int line;               /* of its heading */
	struct buf body;        /* Debian-form lines, '\n'-terminated */
};

struct parse {
	const char *file;
	struct raw *v;
	size_t n;
};

static struct raw *raw_new(struct parse *p, int line)
{
	p->v = xrealloc(p->v, (p->n + 1) * sizeof *p->v);
	struct raw *r = &p->v[p->n++];
	memset(r, 0, sizeof *r);
	r->time = -1;
	r->line = line;
	return r;
}

static void raw_free(struct parse *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].version);
		free(p->v[i].author);
		buf_free(&p->v[i].body);
	}
	free(p->v);
}

static int month_of(const char *s)
{
	for (int i = 0; i < 12; i++)
		if (!strncmp(s, month[i], 3))
			return i;
	return -1;
}

static int64_t days_from_civil(int y, int m, int d)   /* m 1..12 */
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int valid_date(int y, int m, int d)
{
	static const int dim[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return y >= 1970 && y < 2106 && m >= 1 && m <= 12 && d >= 1 && d <= dim[m - 1] &&
	       !(m == 2 && d == 29 && (y % 4 || (y % 100 == 0 && y % 400)));
}

/* The version characters both formats allow, after an optional 'v'. */
static int version_word(const char *s, size_t n)
{
	if (n == 0 || !isalnum((unsigned char)s[0]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr(".+~-:_", s[i]))
			return 0;
	return 1;
}

static int trim_len(const char *s, size_t n)
{
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	return (int)n;
}

/* The next line of a text split in place: NUL-terminated, trailing blanks
 * cut; *ln counts lines.  NULL at the end. */
static char *next_line(char **cur, int *ln)
{
	char *l = *cur;
	if (!l || !*l)
		return NULL;
	char *nl = strchr(l, '\n');
	if (nl)
		*nl++ = 0;
	*cur = nl;
	(*ln)++;
	l[trim_len(l, strlen(l))] = 0;
	return l;
}

static int bad(const struct parse *p, int line, const char *what)
{
	return rp_err("%s:%d: %s", p->file, line, what);
}

/* ---- debian ---------------------------------------------------------------- */

/* " -- Name <mail>  Mon, 05 Jan 2026 10:00:00 +0100" */
static int deb_trailer(struct parse *p, struct raw *r, const char *l, int ln)
{
	const char *s = l + 4, *sep = strstr(s, ">  ");
	if (!sep)
		return bad(p, ln, "the trailer line must be ' -- Name <email>  Day, DD Mon YYYY HH:MM:SS +ZZZZ' "
			   "(two spaces after the e-mail)");
	r->author = xstrndup(s, (size_t)(sep - s + 1));
	if (!strchr(r->author, '<'))
		return bad(p, ln, "the trailer names no e-mail address ('Name <email>')");
	const char *d = sep + 3;
	char dn[4], mn[4], sign;
	int day, year, hh, mm, ss, off, k = 0;
	if (sscanf(d, "%3s, %d %3s %d %d:%d:%d %c%4d%n", dn, &day, mn, &year, &hh, &mm, &ss, &sign, &off, &k) != 9)
		k = 0;
	int mo = k ? month_of(mn) : -1;
	if (!k || mo < 0 || !valid_date(year, mo + 1, day) || hh > 23 || mm > 59 || ss > 60 ||
	    (sign != '+' && sign != '-') || d[k] != 0)
		return bad(p, ln, "the trailer's date must be RFC 2822: 'Mon, 05 Jan 2026 10:00:00 +0000' (date -R)");
	int64_t t = days_from_civil(year, mo + 1, day) * 86400 + hh * 3600 + mm * 60 + ss;
	int64_t o = (off / 100) * 3600 + (off % 100) * 60;
	r->time = sign == '+' ? t - o : t + o;
	return 0;
}

static int parse_debian(struct parse *p, char *text)
{
	struct raw *r = NULL;
	int ln = 0, want = 0;   /* 0 heading, 1 body or trailer */
	for (char *cur = text, *l; (l = next_line(&cur, &ln));) {
		int len = (int)strlen(l);
		if (!len)
			continue;
		if (want == 0) {
			if (l[0] == ' ' || l[0] == '\t')
				return bad(p, ln, "expected an entry's first line 'PACKAGE (VERSION) DISTRIBUTION; "
					   "urgency=URGENCY'");
			/* old-format lines (vim modelines, "Local variables:") end the file */
			if (!strncmp(l, "Local variables:", 16) || !strncmp(l, "# ", 2) || l[0] == ';')
				break;
			const char *o = strstr(l, " ("), *c = o ? strchr(o, ')') : NULL;
			if (!o || !c || !strchr(c, ';') || !version_word(o + 2, (size_t)(c - o - 2)))
				return bad(p, ln, "expected 'PACKAGE (VERSION) DISTRIBUTION; urgency=URGENCY'");
			r = raw_new(p, ln);
			r->version = xstrndup(o + 2, (size_t)(c - o - 2));
			want = 1;
		} else if (!strncmp(l, " -- ", 4)) {
			if (deb_trailer(p, r, l, ln) < 0)
				return -1;
			if (!r->body.len)
				return bad(p, ln, "the entry has no change lines ('  * ...')");
			want = 0;
		} else if (l[0] == ' ' || l[0] == '\t') {
			const char *t = l + strspn(l, " \t");
			buf_addf(&r->body, "%s%s\n", l[0] == '\t' || strspn(l, " ") < 2 ? "  " : "", l[0] == '\t' ? t : l);
		} else {
			return bad(p, ln, "expected a change line (indented by two spaces) or the trailer ' -- Name "
				   "<email>  DATE'");
		}
	}
	if (want == 1)
		return bad(p, r->line, "the entry has no trailer line ' -- Name <email>  DATE'");
	return 0;
}

/* ---- rpm ------------------------------------------------------------------- */

static int parse_rpm(struct parse *p, char *text)
{
	struct raw *r = NULL;
	int ln = 0;
	for (char *cur = text, *l; (l = next_line(&cur, &ln));) {
		int len = (int)strlen(l);
		if (!len || (!r && !strcmp(l, "%changelog")))
			continue;
		if (l[0] == '*') {
			char dn[4], mn[4];
			int day, year, k = 0;
			if (sscanf(l, "* %3s %3s %d %d %n", dn, mn, &day, &year, &k) != 4 || !k)
				return bad(p, ln, "expected '* Mon Jan 05 2026 Name <email> - VERSION'");
			int mo = month_of(mn);
			if (mo < 0 || !valid_date(year, mo + 1, day))
				return bad(p, ln, "the date must be 'Day Mon DD YYYY', e.g. 'Mon Jan 05 2026'");
			const char *who = l + k, *gt = strrchr(who, '>');
			if (!strchr(who, '<') || !gt)
				return bad(p, ln, "the entry names no 'Name <email>'");
			const char *v = gt + 1;
			v += strspn(v, " \t");
			if (*v == '-')
				v++;
			v += strspn(v, " \t");
			if (!*v || !version_word(v, strlen(v)))
				return bad(p, ln, "the entry gives no version: write '- VERSION-RELEASE' after the e-mail");
			r = raw_new(p, ln);
			r->author = xstrndup(who, (size_t)(gt - who + 1));
			r->version = xstrdup(v);
			r->time = days_from_civil(year, mo + 1, day) * 86400 + 43200;
			continue;
		}
		if (!r)
			return bad(p, ln, "expected an entry's first line '* Mon Jan 05 2026 Name <email> - VERSION'");
		if (l[0] == '-') {
			const char *t = l + 1 + strspn(l + 1, " \t");
			buf_addf(&r->body, "  * %s\n", t);
		} else {
			buf_addf(&r->body, "    %s\n", l + strspn(l, " \t"));
		}
	}
	for (size_t i = 0; i < p->n; i++)
		if (!p->v[i].body.len)
			return bad(p, p->v[i].line, "the entry has no change lines ('- ...')");
	return 0;
}

/* ---- markdown -------------------------------------------------------------- */

/* "## [1.2.0] - 2026-01-05", "## 1.2.0 (2026-01-05)", "# v1.2.0",
 * "## [1.2.0](https://...) (2026-01-05)": 1 and the version and date, 0
 * when the heading is not a version's, -1 after rp_err(). */
static int md_heading(struct parse *p, const char *l, int ln, char **ver, int64_t *time)
{
	const char *s = l + strspn(l, "#");
	s += strspn(s, " \t");
	int br = *s == '[';
	s += br;
	if (*s == 'v' || *s == 'V')
		s++;
	size_t n = strcspn(s, " \t]()");
	if (!n || !isdigit((unsigned char)*s))
		return 0;
	if (!version_word(s, n))
		return bad(p, ln, "a version heading whose version has characters a package version cannot have");
	*ver = xstrndup(s, n);
	*time = -1;
	const char *d = s + n;
	while (*d && !isdigit((unsigned char)*d)) {
		if (*d == '(' && br && d[-1] == ']') {      /* a link: skip it */
			const char *c = strchr(d, ')');
			d = c ? c + 1 : d + strlen(d);
			continue;
		}
		d++;
	}
	if (*d) {
		int y, m, dd, k = 0;
		if (sscanf(d, "%4d-%2d-%2d%n", &y, &m, &dd, &k) != 3 || k != 10 || !valid_date(y, m, dd)) {
			free(*ver);
			*ver = NULL;
			return bad(p, ln, "the heading's date must be YYYY-MM-DD, e.g. '## [1.2.0] - 2026-01-05'");
		}
		*time = days_from_civil(y, m, dd) * 86400 + 43200;
	}
	return 1;
}

static int parse_markdown(struct parse *p, char *text)
{
	struct raw *r = NULL;
	int ln = 0, fence = 0;
	for (char *cur = text, *l; (l = next_line(&cur, &ln));) {
		int len = (int)strlen(l);
		if (!strncmp(l + strspn(l, " "), "```", 3)) {
			fence = !fence;
			continue;
		}
		if (!len)
			continue;
		if (l[0] == '#' && !fence) {
			size_t level = strspn(l, "#");
			char *ver = NULL;
			int64_t t;
			int h = level <= 2 ? md_heading(p, l, ln, &ver, &t) : 0;
			if (h < 0)
				return -1;
			if (h) {
				r = raw_new(p, ln);
				r->version = ver;
				r->time = t;
				continue;
			}
			if (level <= 2) {       /* "## [Unreleased]", the title: not an entry */
				r = NULL;
				continue;
			}
			if (r) {
				const char *t2 = l + level + strspn(l + level, " \t");
				buf_addf(&r->body, "%s  [ %s ]\n", r->body.len ? "\n" : "", t2);
			}
			continue;
		}
		if (!r)
			continue;
		/* link reference definitions: "[1.2.0]: https://..." */
		if (l[0] == '[' && strstr(l, "]: "))
			continue;
		size_t ind = strspn(l, " \t");
		const char *t = l + ind;
		if ((t[0] == '-' || t[0] == '*' || t[0] == '+') && t[1] == ' ')
			buf_addf(&r->body, ind ? "    - %s\n" : "  * %s\n", t + 2);
		else
			buf_addf(&r->body, "    %s\n", t);
	}
	if (fence)
		return bad(p, ln, "a ``` code block is not closed");
	return 0;
}

/* ---- the whole ------------------------------------------------------------- */

static enum chl_format detect(const char *text)
{
	const char *l = text;
	while (*l == '\n' || *l == ' ' || *l == '\r' || *l == '\t')
		l++;
	if (*l == '#')
		return CF_MARKDOWN;
	if (*l == '*' || !strncmp(l, "%changelog", 10))
		return CF_RPM;
	const char *nl = strchr(l, '\n'), *o = strstr(l, " (");
	if (o && (!nl || o < nl) && isalnum((unsigned char)*l))
		return CF_DEBIAN;
	return CF_DETECT;
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		rp_errno("--changelog %s", path);
		return NULL;
	}
	struct buf b = BUF_INIT;
	char chunk[8192];
	size_t k;
	while ((k = fread(chunk, 1, sizeof chunk, f)) > 0) {
		buf_add(&b, chunk, k);
		if (b.len > CHANGELOG_MAX) {
			fclose(f);
			buf_free(&b);
			rp_err("--changelog %s: more than %u bytes: give the changelog, not something else", path,
			       CHANGELOG_MAX);
			return NULL;
		}
	}
	int e = ferror(f);
	fclose(f);
	if (e) {
		buf_free(&b);
		rp_err("--changelog %s: read error", path);
		return NULL;
	}
	buf_addc(&b, 0);
	if (memchr(b.p, 0, b.len - 1)) {
		buf_free(&b);
		rp_err("--changelog %s: a binary file (NUL bytes): give a text changelog", path);
		return NULL;
	}
	return buf_detach(&b);
}

/* "v1.2.0" "1:1.2.0-3": the upstream part as written, the revision ("" if
 * none: Markdown versions have none, their '-' is SemVer's) */
static void split_version(const char *v, enum chl_format f, char **epoch, char **up, char **rev)
{
	const char *c = strchr(v, ':');
	*epoch = NULL;
	if (c && c > v && strspn(v, "0123456789") == (size_t)(c - v)) {
		*epoch = xstrndup(v, (size_t)(c - v));
		v = c + 1;
	}
	const char *dash = f == CF_MARKDOWN ? NULL : strrchr(v, '-');
	*up = dash ? xstrndup(v, (size_t)(dash - v)) : xstrdup(v);
	*rev = xstrdup(dash ? dash + 1 : "");
}

static int same_upstream(const struct pkgmeta *pm, const char *up)
{
	return !strcmp(up, pm->upstream) || (pm->deb_upstream && !strcmp(up, pm->deb_upstream)) ||
	       (pm->rpm_version && !strcmp(up, pm->rpm_version));
}

static void entry_generated(struct chl_entry *e, const struct pkgmeta *pm)
{
	memset(e, 0, sizeof *e);
	e->debver = xstrdup(pm->deb_version);
	e->author = xstrdup(pm->maintainer);
	e->time = pm->build_time;
	e->generated = 1;
	e->lines = xmalloc(sizeof *e->lines);
	struct buf b = BUF_INIT;
	buf_addf(&b, "  * Release %s, packaged by relpkg.", pm->upstream);
	e->lines[0] = buf_detach(&b);
	e->nlines = 1;
}

static void entry_from(struct chl_entry *e, struct raw *r, const struct pkgmeta *pm, char *debver, char *rpmver)
{
	memset(e, 0, sizeof *e);
	e->debver = debver;
	e->rpmver = rpmver;
	e->author = xstrdup(r->author ? r->author : pm->maintainer);
	e->time = r->time;      /* -1: undated, see date_undated() */
	for (char *l = r->body.p, *nl; l && *l; l = nl) {
		nl = strchr(l, '\n');
		*nl++ = 0;
		e->lines = xrealloc(e->lines, (e->nlines + 1) * sizeof *e->lines);
		e->lines[e->nlines++] = xstrdup(l);
	}
}

/* Entries without a date (Markdown headings without one; the generated
 * entry): the newest gets SOURCE_DATE_EPOCH (or now), an older one the day
 * before the entry above it; and the newest is always later than the
 * next (lintian: latest-changelog-entry-without-new-date), so a generated
 * entry above dated ones is dated the day after the newest of them. */
static void date_undated(struct changelog *c, const struct pkgmeta *pm)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].time < 0)
			c->v[i].time = i == 0 ? pm->build_time : c->v[i - 1].time / 86400 * 86400 - 43200;
	if (c->n > 1 && c->v[0].generated && c->v[0].time <= c->v[1].time)
		c->v[0].time = c->v[1].time / 86400 * 86400 + 86400 + 43200;
}

int changelog_load(struct changelog *c, const struct pkgmeta *pm)
{
	memset(c, 0, sizeof *c);
	const char *path = pkgmeta_get(pm, SET_CHANGELOG), *fmt = pkgmeta_get(pm, SET_CHANGELOG_FORMAT);
	enum chl_format f = CF_DETECT;
	if (fmt && !strcmp(fmt, "debian"))
		f = CF_DEBIAN;
	else if (fmt && !strcmp(fmt, "rpm"))
		f = CF_RPM;
	else if (fmt && !strcmp(fmt, "markdown"))
		f = CF_MARKDOWN;
	else if (fmt && strcmp(fmt, "auto"))
		return rp_usage("--changelog-format '%s': auto, debian, rpm or markdown", fmt);
	if (!path) {
		c->v = xmalloc(sizeof *c->v);
		entry_generated(&c->v[0], pm);
		c->n = 1;
		return 0;
	}
	char *text = read_text(path);
	if (!text)
		return -1;
	if (f == CF_DETECT)
		f = detect(text);
	if (f == CF_DETECT) {
		free(text);
		return rp_err("%s:1: not a changelog relpkg can read: a Debian changelog ('PACKAGE (VERSION) "
			      "unstable; urgency=medium'), an rpm %%changelog ('* Mon Jan 05 2026 Name <email> - "
			      "VERSION') or a Markdown CHANGELOG with version headings ('## [1.2.0] - 2026-01-05'); "
			      "give --changelog-format", path);
	}
	struct parse p = { .file = path };
	int rc = f == CF_DEBIAN ? parse_debian(&p, text) : f == CF_RPM ? parse_rpm(&p, text) : parse_markdown(&p, text);
	free(text);
	if (rc == 0 && p.n == 0)
		rc = rp_err("%s: no entry with a version in it (read as %s)", path,
			    f == CF_DEBIAN ? "a Debian changelog" : f == CF_RPM ? "an rpm %changelog" :
			    "Markdown, whose versions are headings: '## [1.2.0] - 2026-01-05'");
	if (rc < 0) {
		raw_free(&p);
		return -1;
	}
	/* the entry of this version, or none */
	size_t at = p.n;
	for (size_t i = 0; i < p.n && at == p.n; i++) {
		char *ep, *up, *rev;
		split_version(p.v[i].version, f, &ep, &up, &rev);
		if (same_upstream(pm, up))
			at = i;
		free(ep);
		free(up);
		free(rev);
	}
	c->v = xmalloc((p.n + 1) * sizeof *c->v);
	size_t from = at + 1;
	if (at == p.n) {
		rp_warn("%s has no entry for %s: the changelogs start with a generated one ('Release %s, packaged "
			"by relpkg'), followed by the file's entries of lower versions", path, pm->upstream, pm->upstream);
		entry_generated(&c->v[c->n++], pm);
		from = 0;
	} else {
		entry_from(&c->v[c->n++], &p.v[at], pm, xstrdup(pm->deb_version), NULL);
	}
	int deb_ready = solve_vercmp_ready(FMT_DEB) == 0;
	if (!deb_ready)
		rp_err_clear();
	const char *prev = pm->deb_version;
	for (size_t i = from; i < p.n && rc == 0; i++) {
		struct raw *r = &p.v[i];
		char *ep, *up, *rev;
		split_version(r->version, f, &ep, &up, &rev);
		const char *epoch = ep ? ep : pm->epoch;
		char *du = version_upstream(up, FMT_DEB), *ru = version_upstream(up, FMT_RPM);
		if (!du || !ru || (*rev && version_check_release(rev) < 0 && f != CF_DEBIAN)) {
			rp_err_clear();
			rc = rp_err("%s:%d: version '%s' cannot be a package version (relpkg(1), VERSIONS)", path, r->line,
				    r->version);
		} else {
			char *debver = f == CF_DEBIAN ? xstrdup(r->version) : version_full(epoch, du, *rev ? rev : "1");
			char *rpmver = version_full(epoch, ru, *rev ? rev : "1");
			int cmp = 1;
			if (deb_ready && solve_vercmp(FMT_DEB, prev, debver, &cmp) < 0)
				cmp = 1;
			if (cmp > 0) {
				entry_from(&c->v[c->n++], r, pm, debver, rpmver);
				prev = c->v[c->n - 1].debver;
			} else if (at == p.n) {
				/* newer than the version built: not in this release */
				free(debver);
				free(rpmver);
			} else {
				free(debver);
				free(rpmver);
				rc = rp_err("%s:%d: version %s is not lower than the entry above it (%s): a changelog lists "
					    "the newest version first", path, r->line, r->version, prev);
			}
		}
		free(du);
		free(ru);
		free(ep);
		free(up);
		free(rev);
	}
	raw_free(&p);
	if (rc < 0)
		changelog_free(c);
	else
		date_undated(c, pm);
	return rc;
}

char *changelog_debian(const struct changelog *c, const char *pkgname)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < c->n; i++) {
		const struct chl_entry *e = &c->v[i];
		if (i)
			buf_addc(&b, '\n');
		buf_addf(&b, "%s (%s) unstable; urgency=medium\n\n", pkgname, e->debver);
		for (size_t k = 0; k < e->nlines; k++)
			buf_addf(&b, "%s\n", e->lines[k]);
		time_t t = (time_t)e->time;
		struct tm tm;
		gmtime_r(&t, &tm);
		buf_addf(&b, "\n -- %s  %s, %02d %s %04d %02d:%02d:%02d +0000\n", e->author, wday[tm.tm_wday], tm.tm_mday,
			 month[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	}
	return buf_detach(&b);
}

char *changelog_rpm_text(const struct chl_entry *e)
{
	struct buf b = BUF_INIT;
	for (size_t k = 0; k < e->nlines; k++) {
		const char *l = e->lines[k];
		if (!*l)
			continue;       /* a blank line between groups: rpm's text has none */
		if (b.len)
			buf_addc(&b, '\n');
		if (!strncmp(l, "  * ", 4) && e->generated)     /* as every earlier relpkg wrote it */
			buf_addf(&b, "- %.*s", (int)strlen(l) - 5, l + 4);
		else if (!strncmp(l, "  * ", 4))
			buf_addf(&b, "- %s", l + 4);
		else if (!strncmp(l, "  [ ", 4) && strlen(l) > 6)
			buf_addf(&b, "%.*s:", (int)strlen(l) - 6, l + 4);
		else
			buf_addf(&b, "  %s", l + strspn(l, " "));
	}
	return buf_detach(&b);
}

void changelog_free(struct changelog *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].debver);
		free(c->v[i].rpmver);
		free(c->v[i].author);
		for (size_t k = 0; k < c->v[i].nlines; k++)
			free(c->v[i].lines[k]);
		free(c->v[i].lines);
	}
	free(c->v);
	memset(c, 0, sizeof *c);
}
