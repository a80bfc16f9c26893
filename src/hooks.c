/* hooks.c — template rendering; see hooks.h. */
#include "hooks.h"
#include "buf.h"
#include "error.h"
#include "sysfiles.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

const char *const hook_names_deb[4] = { "preinst", "postinst", "prerm", "postrm" };
const char *const hook_names_rpm[4] = { "pre", "post", "preun", "postun" };

static const char *template_text(const char *name)
{
	for (const struct hook_template *t = hook_templates; t->name; t++)
		if (!strcmp(t->name, name))
			return t->text;
	return NULL;
}

/* tok is "HOOK_" and point upper-cased, '-' as '_' (RP_HOOK_BEFORE_STOP). */
static int is_hook_token(const char *tok, size_t len, const char *point)
{
	size_t pl = strlen(point);
	if (len != 5 + pl || memcmp(tok, "HOOK_", 5))
		return 0;
	for (size_t i = 0; i < pl; i++)
		if (tok[5 + i] != (point[i] == '-' ? '_' : toupper((unsigned char)point[i])))
			return 0;
	return 1;
}

/* The value of @TOKEN@ (tok[0..len)): a setting's (its row names the
 * token; "" when it has none), or one that depends on the format; NULL
 * when the token is unknown. */
static const char *token_value(const char *tok, size_t len, const struct pkgmeta *pm,
			       enum pkgfmt fmt, struct buf *tmp)
{
#define IS(s) (strlen(s) == len && !memcmp(tok, s, len))
	for (int id = 0; id < SET_COUNT; id++)
		if (settings[id].token && IS(settings[id].token)) {
			const char *v = pkgmeta_get(pm, (enum setting_id)id);
			return v ? v : "";
		}
	for (int i = 0; i < HOOK_POINTS; i++)
		if (is_hook_token(tok, len, hook_points[i]))
			return pm->hook[i];
	if (IS("PKGVERSION")) {
		if (fmt == FMT_DEB)
			return pm->deb_version;
		buf_reset(tmp);
		if (pm->epoch)
			buf_addf(tmp, "%s:", pm->epoch);
		buf_addf(tmp, "%s-%s", pm->rpm_version, pm->revision);
		return buf_str(tmp);
	}
	if (IS("FORMAT"))
		return fmt == FMT_DEB ? "deb" : "rpm";
	if (IS("SANDBOX")) {
		/* the unit's sandbox as KEY=VALUE lines, for systemd-run -p */
		buf_reset(tmp);
		sysfiles_sandbox(tmp, pm);
		return buf_str(tmp);
	}
#undef IS
	return NULL;
}

/* The line @SETTINGS@ (in lib.sh's variable block): RP_TOKEN=value for
 * every setting with a token that text does not use by name.  The
 * variables of the settings that existed before it are spelled out in
 * the block, in their historic order; a setting added since reaches the
 * scripts through its row alone. */
static void add_settings_vars(struct buf *out, const char *text, const struct pkgmeta *pm)
{
	struct buf used = BUF_INIT;
	for (int id = 0; id < SET_COUNT; id++) {
		if (!settings[id].token)
			continue;
		buf_reset(&used);
		buf_addf(&used, "@%s@", settings[id].token);
		if (strstr(text, used.p))
			continue;
		const char *v = pkgmeta_get(pm, (enum setting_id)id);
		buf_addf(out, "RP_%s=", settings[id].token);
		buf_add_shquoted(out, v ? v : "");
		buf_addc(out, '\n');
	}
	buf_free(&used);
}

/* issue 15: smaller scripts.  lib.sh's functions ("name() {" at the
 * start of a line up to the next "}" line) are kept only when reachable:
 * named, as a word, by the script around @LIB@, by lib.sh's code outside
 * functions, or by a kept function.  Naming is a word match anywhere
 * (strings, comments' leftovers), so the set errs on the side of keeping:
 * lib.sh calls no function through a variable. */
struct libfn {
	const char *name, *start, *end;   /* [start, end): the definition's lines */
	size_t nlen;
	int keep;
};

static int is_word(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static int names(const char *p, const char *end, const struct libfn *f)
{
	for (const char *q = p; q + f->nlen <= end; q++) {
		q = memmem(q, (size_t)(end - q), f->name, f->nlen);
		if (!q)
			return 0;
		if ((q == p || !is_word((unsigned char)q[-1])) &&
		    (q + f->nlen == end || !is_word((unsigned char)q[f->nlen])))
			return 1;
	}
	return 0;
}

/* drop_conf: the package has no --config-file files (issue 15): the
 * rp_conf_* functions go too (lib.sh calls them only when RP_CONF_FILES
 * is not empty). */
static void lib_prune(const char *lib, const char *roots, struct buf *out, int drop_conf)
{
	struct libfn *fn = NULL;
	size_t n = 0;
	struct buf top = BUF_INIT;      /* lib.sh outside its functions: always kept, and a root */
	/* a function runs from its header to the last "}" line before the
	 * next header (a "}" line may also end a multi-line ${x#*
	 * } inside a body); what follows that, up to the next header, is
	 * top-level code */
	const char *l = lib, *lend = lib + strlen(lib);
	while (l < lend) {
		const char *next = memchr(l, '\n', (size_t)(lend - l));
		next = next ? next + 1 : lend;
		size_t w = 0;
		while (is_word((unsigned char)l[w]))
			w++;
		if (!(w && !strncmp(l + w, "() {\n", 5))) {
			buf_add(&top, l, (size_t)(next - l));
			l = next;
			continue;
		}
		/* the region up to the next header */
		const char *r = next, *last = NULL;
		while (r < lend) {
			const char *rn = memchr(r, '\n', (size_t)(lend - r));
			rn = rn ? rn + 1 : lend;
			size_t rw = 0;
			while (is_word((unsigned char)r[rw]))
				rw++;
			if (rw && !strncmp(r + rw, "() {\n", 5))
				break;
			if (r[0] == '}' && (r[1] == '\n' || r + 1 == lend))
				last = rn;
			r = rn;
		}
		if (!last) {            /* no closing line: keep it all as top-level */
			buf_add(&top, l, (size_t)(r - l));
			l = r;
			continue;
		}
		fn = xrealloc(fn, (n + 1) * sizeof *fn);
		fn[n++] = (struct libfn){ .name = l, .nlen = w, .start = l, .end = last };
		l = last;
	}
	/* roots, then a worklist over the kept functions' bodies */
	for (size_t i = 0; i < n; i++)
		fn[i].keep = names(roots, roots + strlen(roots), &fn[i]) ||
			     (top.len && names(top.p, top.p + top.len, &fn[i]));
	for (int changed = 1; changed;) {
		changed = 0;
		for (size_t i = 0; i < n; i++) {
			if (fn[i].keep != 1)
				continue;
			fn[i].keep = 2;         /* its body scanned */
			for (size_t j = 0; j < n; j++)
				if (!fn[j].keep && names(fn[i].start + fn[i].nlen, fn[i].end, &fn[j]))
					fn[j].keep = changed = 1;
		}
	}
	if (drop_conf)
		for (size_t i = 0; i < n; i++)
			if (fn[i].nlen > 8 && !strncmp(fn[i].name, "rp_conf_", 8))
				fn[i].keep = 0;
	/* lib.sh's order, minus the unreachable functions */
	l = lib;
	for (size_t i = 0; i < n; i++) {
		buf_add(out, l, (size_t)(fn[i].start - l));
		if (fn[i].keep)
			buf_add(out, fn[i].start, (size_t)(fn[i].end - fn[i].start));
		l = fn[i].end;
	}
	buf_adds(out, l);
	free(fn);
	buf_free(&top);
}

static int render_into(struct buf *out, const char *name, const char *text,
		       const struct pkgmeta *pm, enum pkgfmt fmt)
{
	struct buf tmp = BUF_INIT;
	const char *s = text;
	while (*s) {
		const char *at = strchr(s, '@');
		if (!at) {
			buf_adds(out, s);
			break;
		}
		buf_add(out, s, (size_t)(at - s));
		size_t len = strspn(at + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_");
		if (len == 0 || at[1 + len] != '@') {
			buf_addc(out, '@');
			s = at + 1;
			continue;
		}
		if (len == 3 && !memcmp(at + 1, "LIB", 3)) {
			const char *lib = template_text("lib.sh");
			if (!lib) {
				buf_free(&tmp);
				return rp_err("hooks: lib.sh is not embedded");
			}
			/* the library's comments are for its readers in hooks/;
			 * every script carries it, so leave them out (shellcheck
			 * directives stay: the rendered scripts are checked too) */
			struct buf lean = BUF_INIT;
			for (const char *l = lib; *l;) {
				const char *e = strchr(l, '\n');
				size_t n = e ? (size_t)(e - l + 1) : strlen(l);
				const char *t = l + strspn(l, " \t");
				if (*t != '#' || !strncmp(t, "# shellcheck", 12))
					buf_add(&lean, l, n);
				l += n;
			}
			struct buf used = BUF_INIT;
			const char *cf = pkgmeta_get(pm, SET_CONF_FILES);
			lib_prune(buf_str(&lean), text, &used, !cf || !*cf);
			int r = render_into(out, "lib.sh", buf_str(&used), pm, fmt);
			buf_free(&used);
			buf_free(&lean);
			if (r < 0) {
				buf_free(&tmp);
				return -1;
			}
		} else if (len == 8 && !memcmp(at + 1, "SETTINGS", 8)) {
			add_settings_vars(out, text, pm);
			if (at[len + 2] == '\n')       /* the line goes, whatever it adds */
				len++;
		} else {
			const char *v = token_value(at + 1, len, pm, fmt, &tmp);
			if (!v) {
				buf_free(&tmp);
				return rp_err("hooks/%s: unknown token @%.*s@", name, (int)len, at + 1);
			}
			buf_add_shquoted(out, v);
		}
		s = at + len + 2;
	}
	buf_free(&tmp);
	return 0;
}

char *hooks_render(const char *name, const struct pkgmeta *pm, enum pkgfmt fmt)
{
	const char *text = template_text(name);
	if (!text) {
		rp_err("hooks/%s: no such template", name);
		return NULL;
	}
	struct buf out = BUF_INIT;
	if (render_into(&out, name, text, pm, fmt) < 0) {
		buf_free(&out);
		return NULL;
	}
	return buf_detach(&out);
}
