/* recognise.c — release recognition; see recognise.h. */
#include "recognise.h"
#include "buf.h"
#include "error.h"
#include "ingest.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *relkind_name(enum relkind k)
{
	static const char *n[] = { "generic", "relx", "mix", "distillery" };
	return n[k];
}

void release_free(struct release *r)
{
	free(r->relname);
	free(r->version);
	free(r->erts_vsn);
	free(r->start_args);
	free(r->daemon_args);
	free(r->stop_args);
	memset(r, 0, sizeof *r);
}

/* The n-th (0-based) double-quoted string in s (malloc'd), or NULL. */
static char *nth_quoted(const char *s, int n)
{
	for (;;) {
		const char *q = strchr(s, '"');
		if (!q)
			return NULL;
		const char *e = strchr(q + 1, '"');
		if (!e)
			return NULL;
		if (n-- == 0)
			return xstrndup(q + 1, (size_t)(e - q - 1));
		s = e + 1;
	}
}

/* Parses {release, {"NAME", "VSN"}, {erts, "ERTS"}, ...}: NAME and VSN
 * (the ERTS version is taken from start_erl.data, which the boot uses). */
static int parse_rel(const char *text, char **name, char **vsn)
{
	const char *p = strstr(text, "{release");
	if (!p)
		return -1;
	*name = nth_quoted(p, 0);
	*vsn = nth_quoted(p, 1);
	if (!*name || !*vsn) {
		free(*name);
		free(*vsn);
		return -1;
	}
	return 0;
}

static void from_script(const struct ingest *in, struct release *r)
{
	struct buf b = BUF_INIT;
	buf_addf(&b, "bin/%s", r->relname);
	const struct small_file *f = ingest_small(in, buf_str(&b));
	buf_free(&b);
	const char *s = f ? f->data : "";
	if (strstr(s, "istillery") || strstr(s, "DISTILLERY") || strstr(s, "RELEASE_MUTABLE_DIR"))
		r->kind = REL_DISTILLERY;
	else if (strstr(s, "relx") || strstr(s, "RELX_"))
		r->kind = REL_RELX;
	else if (strstr(s, "RELEASE_ROOT=") && (strstr(s, "elixir") || strstr(s, "RELEASE_COOKIE")))
		r->kind = REL_MIX;
	else
		r->kind = REL_RELX;
	switch (r->kind) {
	case REL_MIX:
		r->start_args = xstrdup("start");
		r->daemon_args = xstrdup("daemon");
		break;
	case REL_DISTILLERY:
		r->start_args = xstrdup("foreground");
		r->daemon_args = xstrdup("start");
		break;
	default:
		r->start_args = xstrdup("foreground");
		r->daemon_args = xstrdup("daemon");
		break;
	}
	r->stop_args = xstrdup("stop");
}

int release_name_check(const char *name)
{
	if (!*name)
		return -1;
	for (const char *s = name; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_-.+", *s))
			return -1;
	return 0;
}

/* s for a message: control bytes and bytes >= 0x80 as \xNN, so that a
 * hostile value cannot forge a line. */
static char *printable(const char *s)
{
	struct buf b = BUF_INIT;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p >= 0x7f)
			buf_addf(&b, "\\x%02x", *p);
		else
			buf_addc(&b, (char)*p);
	}
	return buf_detach(&b);
}

/* A metadata file too large to be what it claims: refused, never read in
 * part (the release would silently change kind or version). */
static int too_large(const struct ingest *in, const struct small_file *f)
{
	return rp_err("%s: entry '%s': %llu bytes, more than the %u a release's %s can need: "
		      "refused as an OTP release (a damaged or hostile tarball?)", in->path, f->name,
		      (unsigned long long)f->size, INGEST_SMALL_MAX,
		      strstr(f->name, "start_erl.data") ? "start_erl.data" : ".rel file");
}

static int recognise_otp(const struct ingest *in, const struct small_file *sed, struct release *r)
{
	char erts_v[256] = "", rel_v[256] = "";
	if (sed->too_large)
		return too_large(in, sed);
	if (sscanf(sed->data, "%255s %255s", erts_v, rel_v) != 2)
		return rp_err("%s: releases/start_erl.data: expected \"ERTS_VSN REL_VSN\"", in->path);
	/* both go into paths and messages: versions, nothing else */
	for (const char *v = erts_v; v; v = v == erts_v ? rel_v : NULL)
		for (const char *c = v; *c; c++)
			if (!isalnum((unsigned char)*c) && !strchr("._-+~", *c)) {
				char *pv = printable(v);
				rp_err("%s: releases/start_erl.data: '%s' is not a version (letters, digits, "
				       ". _ - + ~ only): refused", in->path, pv);
				free(pv);
				return -1;
			}
	/* releases/REL_VSN/ *.rel: prefer the one whose name has a bin/ script */
	struct buf dir = BUF_INIT;
	buf_addf(&dir, "releases/%s/", rel_v);
	char *name = NULL, *vsn = NULL;
	for (size_t i = 0; i < in->nsmall; i++) {
		const struct small_file *f = &in->small[i];
		size_t fl = strlen(f->name);
		if (strncmp(f->name, buf_str(&dir), dir.len) != 0 || strchr(f->name + dir.len, '/') ||
		    fl < 4 || strcmp(f->name + fl - 4, ".rel") != 0)
			continue;
		if (f->too_large) {
			free(name), free(vsn);
			buf_free(&dir);
			return too_large(in, f);
		}
		char *n, *v;
		if (parse_rel(f->data, &n, &v) < 0)
			continue;
		struct buf bin = BUF_INIT;
		buf_addf(&bin, "bin/%s", n);
		int has_bin = ingest_find(in, buf_str(&bin)) != (size_t)-1;
		buf_free(&bin);
		if (!name || has_bin) {
			free(name), free(vsn);
			name = n, vsn = v;
			if (has_bin)
				break;
		} else {
			free(n), free(v);
		}
	}
	buf_free(&dir);
	if (!name)
		return rp_err("%s: releases/%s/ holds no readable NAME.rel file "
			      "(releases/start_erl.data names release version %s)", in->path, rel_v, rel_v);
	/* the name goes into paths and command lines: the rule of --name,
	 * whether or not --name is given */
	if (release_name_check(name) < 0) {
		char *pn = printable(name), *pv = printable(rel_v);
		rp_err("%s: releases/%s/*.rel names the release \"%s\": not a valid release name (letters, "
		       "digits, _ - . + only, as for --name): refused", in->path, pv, pn);
		free(pn), free(pv);
		free(name), free(vsn);
		return -1;
	}
	if (strcmp(vsn, rel_v)) {
		char *pr = printable(rel_v), *pv = printable(vsn);
		rp_err("%s: releases/start_erl.data says release version '%s' but releases/%s/%s.rel says "
		       "'%s': refused (an inconsistent release)", in->path, pr, pr, name, pv);
		free(pr), free(pv);
		free(name), free(vsn);
		return -1;
	}
	r->relname = name;
	r->version = vsn;
	r->erts_vsn = xstrdup(erts_v);
	struct buf ed = BUF_INIT;
	buf_addf(&ed, "erts-%s/bin", erts_v);
	r->erts_bundled = ingest_find(in, buf_str(&ed)) != (size_t)-1;
	buf_reset(&ed);
	buf_addf(&ed, "erts-%s/bin/beam.smp", erts_v);
	r->erts_bundled |= ingest_find(in, buf_str(&ed)) != (size_t)-1;
	buf_free(&ed);
	from_script(in, r);
	return 0;
}

/* NAME-VERSION.tar.gz (or .tgz, .tar.xz, .tar.zst, .tar.bz2, .tar) */
static int from_filename(const char *path, char **name, char **version)
{
	static const char *sfx[] = { ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.zst", ".tar.bz2",
				     ".tar.lz4", ".tar", NULL };
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t bl = strlen(base);
	for (int i = 0; sfx[i]; i++) {
		size_t sl = strlen(sfx[i]);
		if (bl > sl && !strcmp(base + bl - sl, sfx[i])) {
			bl -= sl;
			break;
		}
	}
	for (size_t i = 1; i + 1 < bl; i++) {
		if (base[i] == '-' && isdigit((unsigned char)base[i + 1])) {
			*name = xstrndup(base, i);
			*version = xstrndup(base + i + 1, bl - i - 1);
			return 0;
		}
	}
	return -1;
}

int recognise(const struct ingest *in, const char *name, const char *version, struct release *r)
{
	memset(r, 0, sizeof *r);
	const struct small_file *sed = ingest_small(in, "releases/start_erl.data");
	if (sed) {
		if (recognise_otp(in, sed, r) < 0)
			return -1;
	} else {
		r->kind = REL_GENERIC;
		char *fn = NULL, *fv = NULL;
		if ((!name || !version) && from_filename(in->path, &fn, &fv) < 0) {
			if (!name && !version)
				return rp_err("%s: not an OTP release (no releases/start_erl.data) and the file "
					      "name is not NAME-VERSION.tar.*: give --name and --version", in->path);
		}
		r->relname = xstrdup(name ? name : fn ? fn : "");
		r->version = xstrdup(version ? version : fv ? fv : "");
		free(fn);
		free(fv);
		if (!*r->relname)
			return rp_err("%s: cannot infer the name: give --name", in->path);
		if (release_name_check(r->relname) < 0)
			return rp_err("%s: the file name gives the release name '%s', which is not valid "
				      "(letters, digits, _ - . + only): give --name", in->path, r->relname);
		if (!*r->version)
			return rp_err("%s: cannot infer the version: give --version", in->path);
		r->start_args = xstrdup("");
		r->daemon_args = xstrdup("");
		r->stop_args = xstrdup("");
	}
	if (version && strcmp(version, r->version)) {
		free(r->version);
		r->version = xstrdup(version);
	}
	return 0;
}
