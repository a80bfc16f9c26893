/* conffiles.c — see conffiles.h. */
#include "conffiles.h"
#include "buf.h"
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CONFFILE_MAX (16u << 20)

/* DEST: relative, components of [A-Za-z0-9._+@-], none "." or "..". */
static int dest_ok(const char *d)
{
	if (!*d || *d == '/' || d[strlen(d) - 1] == '/')
		return 0;
	for (const char *s = d; *s;) {
		size_t l = strcspn(s, "/");
		if (!l || (l == 1 && s[0] == '.') || (l == 2 && s[0] == '.' && s[1] == '.'))
			return 0;
		for (size_t i = 0; i < l; i++)
			if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
			      strchr("._+@-", s[i])))
				return 0;
		s += l;
		if (*s)
			s++;
	}
	return 1;
}

static int escapes(const char *p)
{
	for (const char *s = p; *s;) {
		size_t l = strcspn(s, "/");
		if (l == 2 && s[0] == '.' && s[1] == '.')
			return 1;
		s += l;
		if (*s)
			s++;
	}
	return 0;
}

static char *read_host_file(const char *src, size_t *len)
{
	struct stat st;
	if (stat(src, &st) < 0) {
		rp_errno("--config-file %s: cannot read the file of this host", src);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		rp_err("--config-file %s: not a regular file", src);
		return NULL;
	}
	if (st.st_size > (off_t)CONFFILE_MAX) {
		rp_err("--config-file %s: %lld bytes, more than the %u a configuration file may have", src,
		       (long long)st.st_size, CONFFILE_MAX);
		return NULL;
	}
	FILE *f = fopen(src, "rb");
	if (!f) {
		rp_errno("--config-file %s", src);
		return NULL;
	}
	char *d = xmalloc((size_t)st.st_size + 1);
	*len = fread(d, 1, (size_t)st.st_size, f);
	int err = ferror(f) || *len != (size_t)st.st_size;
	fclose(f);
	if (err) {
		free(d);
		rp_err("--config-file %s: read error (did it change?)", src);
		return NULL;
	}
	d[*len] = 0;
	return d;
}

/* the data pass of the capture: only the wanted entries' bytes */
struct capture {
	struct conffiles *cf;
	size_t cur;             /* index into cf->v, or (size_t)-1 */
	struct buf b;
};

static int cap_entry(void *ctx, size_t idx)
{
	struct capture *c = ctx;
	c->cur = (size_t)-1;
	for (size_t k = 0; k < c->cf->n; k++)
		if (c->cf->v[k].in_idx == idx)
			c->cur = k;
	buf_reset(&c->b);
	return 0;
}

static int cap_data(void *ctx, const void *p, size_t n)
{
	struct capture *c = ctx;
	if (c->cur != (size_t)-1)
		buf_add(&c->b, p, n);
	return 0;
}

static int cap_end(void *ctx, size_t idx)
{
	struct capture *c = ctx;
	(void)idx;
	if (c->cur != (size_t)-1) {
		struct conffile *f = &c->cf->v[c->cur];
		f->len = c->b.len;
		buf_addc(&c->b, 0);
		f->data = buf_detach(&c->b);
	}
	return 0;
}

static const char *base_of(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* one --config-file value */
static int plan_one(struct conffiles *cf, const struct pkgmeta *pm, const struct ingest *in, const char *v)
{
	struct conffile f = { NULL, (size_t)-1, NULL, 0 };
	const char *colon = strrchr(v, ':');
	if (colon) {
		char *src = xstrndup(v, (size_t)(colon - v));
		if (!*src || !dest_ok(colon + 1)) {
			free(src);
			return rp_usage("--config-file '%s': SRC:DEST needs a file of this host and a relative DEST "
					"under /etc/%s (letters, digits, . _ + @ -, sub-directories with /; no ..)", v,
					pm->name);
		}
		f.dest = xstrdup(colon + 1);
		f.data = read_host_file(src, &f.len);
		free(src);
		if (!f.data) {
			free(f.dest);
			return -1;
		}
	} else {
		const char *p = v;
		while (!strncmp(p, "./", 2))
			p += 2;
		if (*p == '/')
			return rp_usage("--config-file '%s': an absolute path: give the file's path inside the release "
					"(e.g. releases/%s/sys.config), or SRC:DEST for a file of this host", v,
					pm->upstream);
		if (escapes(p))
			return rp_usage("--config-file '%s': '..' leaves the release: give a path inside it", v);
		size_t i = ingest_find(in, p);
		if (i == (size_t)-1) {
			struct buf hint = BUF_INIT;
			for (size_t k = 0; k < in->n && hint.len < 300; k++)
				if (!in->v[k].skip && in->v[k].type == E_REG && !strcmp(base_of(in->v[k].name), base_of(p)))
					buf_addf(&hint, "%s%s", hint.len ? ", " : " (the release has ", in->v[k].name);
			if (hint.len)
				buf_adds(&hint, ")");
			rp_err("--config-file %s: the release %s has no such file%s; give the path relative to the "
			       "release's top, or SRC:DEST for a file of this host", v, in->path, hint.len ? hint.p : "");
			buf_free(&hint);
			return -1;
		}
		if (in->v[i].type != E_REG)
			return rp_err("--config-file %s: in %s it is a %s, not a regular file", v, in->path,
				      in->v[i].type == E_DIR ? "directory" : in->v[i].type == E_SYMLINK ? "symbolic link"
											   : "hard link");
		for (size_t k = 0; k < in->n; k++)
			if (in->v[k].type == E_HARDLINK && in->v[k].link_first == i)
				return rp_err("--config-file %s: in %s it is hard-linked with %s: a conffile cannot be "
					      "(give the other name's content as SRC:DEST)", v, in->path, in->v[k].name);
		if (in->v[i].size > CONFFILE_MAX)
			return rp_err("--config-file %s: %llu bytes, more than the %u a configuration file may have", v,
				      (unsigned long long)in->v[i].size, CONFFILE_MAX);
		if (!dest_ok(base_of(p)))
			return rp_usage("--config-file %s: /etc/%s/%s: that name cannot be a conffile's (letters, "
					"digits, . _ + @ -)", v, pm->name, base_of(p));
		f.dest = xstrdup(base_of(p));
		f.in_idx = i;
	}
	/* collisions: the env file, another DEST, a DEST that is another's directory */
	struct buf env = BUF_INIT;
	buf_addf(&env, "%s.env", pm->name);
	int clash = !strcmp(f.dest, env.p);
	buf_free(&env);
	const char *with = clash ? "the env file" : NULL;
	for (size_t k = 0; !clash && k < cf->n; k++) {
		size_t a = strlen(f.dest), b = strlen(cf->v[k].dest);
		clash = !strcmp(f.dest, cf->v[k].dest) || (a < b && !strncmp(cf->v[k].dest, f.dest, a) &&
							   cf->v[k].dest[a] == '/') ||
			(b < a && !strncmp(f.dest, cf->v[k].dest, b) && f.dest[b] == '/');
		if (clash)
			with = cf->v[k].dest;
	}
	if (clash) {
		int env = !strcmp(with, "the env file");
		rp_usage("--config-file %s: /etc/%s/%s collides with %s%s%s%s; give one of them as SRC:DEST with "
			 "another DEST", v, pm->name, f.dest, env ? "" : "/etc/", env ? "" : pm->name, env ? "" : "/",
			 with);
		free(f.dest);
		free(f.data);
		return -1;
	}
	cf->v = xrealloc(cf->v, (cf->n + 1) * sizeof *cf->v);
	cf->v[cf->n++] = f;
	return 0;
}

int conffiles_plan(struct conffiles *cf, struct pkgmeta *pm, const struct ingest *in)
{
	memset(cf, 0, sizeof *cf);
	const char *val = pkgmeta_get(pm, SET_CONFIG_FILE);
	int need_pass = 0;
	for (const char *s = val; s && *s;) {
		size_t l = strcspn(s, ",\n");
		while (l && (*s == ' ' || *s == '\t')) {
			s++;
			l--;
		}
		while (l && (s[l - 1] == ' ' || s[l - 1] == '\t'))
			l--;
		if (l) {
			char *one = xstrndup(s, l);
			int rc = plan_one(cf, pm, in, one);
			free(one);
			if (rc < 0)
				return -1;
			need_pass |= cf->v[cf->n - 1].in_idx != (size_t)-1;
		}
		s += strcspn(s, ",\n");
		if (*s)
			s++;
	}
	if (need_pass) {
		struct capture c = { cf, (size_t)-1, BUF_INIT };
		struct ingest_cb cb = { cap_entry, cap_data, cap_end, &c };
		int rc = ingest_stream((struct ingest *)in, &cb);
		buf_free(&c.b);
		if (rc < 0)
			return -1;
	}
	struct buf list = BUF_INIT;
	for (size_t k = 0; k < cf->n; k++) {
		if (!cf->v[k].data)
			return rp_err("%s: %s was not read", in->path, in->v[cf->v[k].in_idx].name);
		buf_addf(&list, "%s%s", k ? "\n" : "", cf->v[k].dest);
	}
	*pkgmeta_slot(pm, SET_CONF_FILES) = pkgmeta_keep(pm, list.p ? buf_detach(&list) : xstrdup(""));
	return 0;
}

void conffiles_add(const struct conffiles *cf, struct manifest *m, const struct pkgmeta *pm, size_t *in2m)
{
	struct buf path = BUF_INIT, target = BUF_INIT;
	for (size_t k = 0; k < cf->n; k++) {
		const struct conffile *f = &cf->v[k];
		if (f->in_idx != (size_t)-1 && in2m[f->in_idx] != (size_t)-1) {
			struct entry *e = &m->v[in2m[f->in_idx]];
			buf_reset(&target);
			buf_addf(&target, "/etc/%s/%s", pm->name, f->dest);
			e->type = E_SYMLINK;
			e->mode = 0777;
			e->flags &= ~(unsigned)(EF_RELEASE | EF_SECRET);
			e->flags |= EF_GENERATED;
			free(e->target);
			e->target = xstrdup(target.p);
			e->size = target.len;
			in2m[f->in_idx] = (size_t)-1;
		}
		const char *slash = strrchr(f->dest, '/');
		static const char *const top[2] = { "etc/%s", "opt/%s/conf-default" };
		for (int t = 0; t < 2; t++) {
			buf_reset(&path);
			buf_addf(&path, top[t], pm->name);
			if (slash)
				buf_addf(&path, "/%.*s", (int)(slash - f->dest), f->dest);
			manifest_index(m);
			manifest_add_dirs(m, path.p, 0);
			buf_addf(&path, "/%s", slash ? slash + 1 : f->dest);
			manifest_add_file(m, path.p, 0640, f->data, f->len, (t ? 0u : EF_CONFIG) | EF_SECRET);
		}
	}
	buf_free(&path);
	buf_free(&target);
}

void conffiles_free(struct conffiles *cf)
{
	for (size_t k = 0; k < cf->n; k++) {
		free(cf->v[k].dest);
		free(cf->v[k].data);
	}
	free(cf->v);
	memset(cf, 0, sizeof *cf);
}
