/* hooks.c — template rendering; see hooks.h. */
#include "hooks.h"
#include "buf.h"
#include "error.h"
#include "sysfiles.h"

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

static const char *token_value(const char *tok, size_t len, const struct pkgmeta *pm,
			       enum pkgfmt fmt, struct buf *tmp)
{
#define IS(s) (len == sizeof(s) - 1 && !memcmp(tok, s, len))
	if (IS("NAME"))
		return pm->name;
	if (IS("RELNAME"))
		return pm->rel.relname;
	if (IS("VERSION"))
		return pm->upstream;
	if (IS("PKGVERSION")) {
		if (fmt == FMT_DEB)
			return pm->deb_version;
		buf_reset(tmp);
		if (pm->epoch)
			buf_addf(tmp, "%s:", pm->epoch);
		buf_addf(tmp, "%s-%s", pm->rpm_version, pm->release);
		return buf_str(tmp);
	}
	if (IS("USER"))
		return pm->user;
	if (IS("FORMAT"))
		return fmt == FMT_DEB ? "deb" : "rpm";
	if (IS("START_CMD"))
		return pm->start_cmd;
	if (IS("STOP_CMD"))
		return pm->stop_cmd;
	if (IS("DAEMON_CMD"))
		return pm->daemon_cmd;
	if (IS("SCHEMA"))
		return pm->schema_version;
	if (IS("MIGRATE_UP"))
		return pm->migrate_up;
	if (IS("MIGRATE_DOWN"))
		return pm->migrate_down;
	if (IS("HEALTH_CMD"))
		return pm->health_cmd;
	if (IS("HEALTH_URL"))
		return pm->health_url;
	if (IS("HEALTH_TIMEOUT"))
		return pm->health_timeout;
	if (IS("HOOK_BEFORE_STOP"))
		return pm->hook[0];
	if (IS("HOOK_AFTER_STOP"))
		return pm->hook[1];
	if (IS("HOOK_BEFORE_START"))
		return pm->hook[2];
	if (IS("HOOK_AFTER_START"))
		return pm->hook[3];
	if (IS("SANDBOX")) {
		/* the unit's sandbox as KEY=VALUE lines, for systemd-run -p */
		buf_reset(tmp);
		sysfiles_sandbox(tmp, pm);
		return buf_str(tmp);
	}
#undef IS
	return NULL;
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
			int r = render_into(out, "lib.sh", lean.p ? lean.p : "", pm, fmt);
			buf_free(&lean);
			if (r < 0) {
				buf_free(&tmp);
				return -1;
			}
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
