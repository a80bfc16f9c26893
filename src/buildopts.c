/* buildopts.c — the command line and the config file of `relpkg build`,
 * read through the settings table (settings.h); the package metadata's
 * ownership.  See buildopts.h. */
#include "buildopts.h"
#include "sign.h"
#include "deps.h"
#include "buf.h"
#include "error.h"
#include "release.h"
#include "version.h"
#include "elfarch.h"
#include "ingest.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

void buildopts_usage(FILE *f)
{
	fputs("usage: relpkg build TARBALL [options]\n\n"
	      "Wraps a release tarball into versioned .deb and .rpm packages.\n\noptions:\n", f);
	int w = (int)strlen("--quiet, -q");
	for (const struct setting *d = settings; d < settings + SET_COUNT; d++)
		if (d->flag && (int)(strlen(d->flag) + strlen(d->arg) + 3) > w)
			w = (int)(strlen(d->flag) + strlen(d->arg) + 3);
	for (const struct setting *d = settings; d < settings + SET_COUNT; d++) {
		if (!d->flag)
			continue;
		char left[96];
		snprintf(left, sizeof left, "--%s%s%s", d->flag, *d->arg ? " " : "", d->arg);
		fprintf(f, "  %-*s  %s\n", w, left, d->help);
	}
	fprintf(f, "  %-*s  %s\n", w, "--quiet, -q", "only errors on stderr (no warnings, no progress)");
	fprintf(f, "  %-*s  %s\n", w, "--help, -h", "this text");
}

/* Sets setting id to v as given; a repeatable one collects every v. */
static void set_value(struct buildopts *o, enum setting_id id, const char *v)
{
	char **fp = &o->val[id];
	if (settings[id].repeat && *fp) {
		struct buf b = BUF_INIT;
		buf_addf(&b, "%s\n%s", *fp, v);
		free(*fp);
		*fp = buf_detach(&b);
	} else {
		free(*fp);
		*fp = xstrdup(v);
	}
}

/* "16G", "512M", "1024", "2TiB": bytes, binary suffixes.  0 or -1. */
static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || v == 0)
		return -1;
	unsigned shift = 0;
	switch (toupper((unsigned char)*end)) {
	case 'K': shift = 10; break;
	case 'M': shift = 20; break;
	case 'G': shift = 30; break;
	case 'T': shift = 40; break;
	case 0: break;
	default: return -1;
	}
	if (shift) {
		end++;
		if (!strcmp(end, "iB") || !strcmp(end, "B") || !strcmp(end, "b"))
			end += strlen(end);
	}
	if (*end || v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

/* Config file: "key = value" lines, '#' comments, keys are flag names. */
static int load_config(struct buildopts *o, const char *path, int must_exist)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		if (!must_exist && errno == ENOENT)
			return 0;
		return rp_errno("%s", path);
	}
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0, rc = 0;
	while (getline(&line, &cap, f) > 0) {
		lineno++;
		char *s = line;
		while (isspace((unsigned char)*s))
			s++;
		if (!*s || *s == '#')
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			rc = rp_usage("%s:%d: expected 'key = value'", path, lineno);
			break;
		}
		char *k = s, *ke = eq;
		while (ke > k && isspace((unsigned char)ke[-1]))
			ke--;
		char *v = eq + 1;
		while (isspace((unsigned char)*v))
			v++;
		size_t vl = strlen(v);
		while (vl && isspace((unsigned char)v[vl - 1]))
			v[--vl] = 0;
		if (vl >= 2 && ((v[0] == '"' && v[vl - 1] == '"') || (v[0] == '\'' && v[vl - 1] == '\''))) {
			v[vl - 1] = 0;
			v++;
		}
		enum setting_id id = setting_by_conf(k, (size_t)(ke - k));
		if (id == SET_COUNT) {
			rc = rp_usage("%s:%d: unknown key '%.*s'", path, lineno, (int)(ke - k), k);
			break;
		}
		if (!o->val[id]) {      /* flags win */
			o->val[id] = xstrdup(v);
			if (id == SET_NAME)
				o->name_from_config = 1;
		}
	}
	free(line);
	fclose(f);
	return rc;
}

/* "deb", "rpm", "deb,rpm" -> 1 << FMT_DEB | 1 << FMT_RPM.  0 or -1. */
static int parse_formats(const char *v, unsigned *mask)
{
	*mask = 0;
	for (const char *s = v; *s;) {
		size_t len = strcspn(s, ",");
		if (len == 3 && !strncmp(s, "deb", 3))
			*mask |= 1u << FMT_DEB;
		else if (len == 3 && !strncmp(s, "rpm", 3))
			*mask |= 1u << FMT_RPM;
		else
			return -1;
		s += len;
		if (*s == ',')
			s++;
	}
	return *mask ? 0 : -1;
}

/* --hook's value: POINT:CMD lines, POINT one of hook_points[], CMD not
 * empty.  0, or -1 after rp_usage(). */
static int check_hooks(const char *flag, const char *v)
{
	for (const char *h = v; *h;) {
		size_t len = strcspn(h, "\n");
		int ok = 0;
		for (int i = 0; i < HOOK_POINTS; i++) {
			size_t pl = strlen(hook_points[i]);
			ok |= len > pl + 1 && !strncmp(h, hook_points[i], pl) && h[pl] == ':';
		}
		if (!ok) {
			struct buf b = BUF_INIT;
			for (int i = 0; i < HOOK_POINTS; i++)
				buf_addf(&b, "%s%s", i ? ", " : "", hook_points[i]);
			rp_usage("--%s '%.*s': expected POINT:CMD with POINT one of %s", flag, (int)len, h, b.p);
			buf_free(&b);
			return -1;
		}
		h += len;
		if (*h)
			h++;
	}
	return 0;
}

/* --- blue-green (issue 14) --- */

/* "P1,P2": two different ports 1..65535.  0 or -1. */
static int parse_ports(const char *v, long p[2])
{
	char *end;
	for (int i = 0; i < 2; i++) {
		if (!isdigit((unsigned char)*v))
			return -1;
		errno = 0;
		p[i] = strtol(v, &end, 10);
		if (errno || p[i] < 1 || p[i] > 65535 || *end != (i ? 0 : ','))
			return -1;
		v = end + 1;
	}
	return p[0] != p[1] ? 0 : -1;
}

/* The value kinds of the blue-green settings.  0, or -1 after rp_usage(). */
static int check_bluegreen(enum setting_id id, const char *v)
{
	const char *flag = settings[id].flag;
	long p[2];
	switch (settings[id].check) {
	case CHK_SWITCH:
		if (strcmp(v, "cold") && strcmp(v, "blue-green"))
			return rp_usage("--%s '%s': expected cold or blue-green", flag, v);
		return 0;
	case CHK_ENVNAME:
		for (const char *s = v; *s; s++)
			if (!(isalnum((unsigned char)*s) || *s == '_') || (s == v && isdigit((unsigned char)*s)))
				return rp_usage("--%s '%s': not an environment variable name (letters, digits, '_')",
						flag, v);
		return *v ? 0 : rp_usage("--%s: empty", flag);
	case CHK_PORTS:
		if (parse_ports(v, p) < 0)
			return rp_usage("--%s '%s': expected two different ports, e.g. 18091,18092", flag, v);
		return 0;
	case CHK_SOCKET:
		if (v[0] != '/')
			return rp_usage("--%s '%s': expected an absolute path", flag, v);
		for (const char *s = v; *s; s++)
			if (isspace((unsigned char)*s) || *s == '%' || *s == '\'' || *s == '"' || *s == '\\')
				return rp_usage("--%s '%s': character '%c' is not allowed", flag, v, *s);
		return 0;
	default:
		return 0;
	}
}

/* The blue-green settings together: a slot needs its port; both versions
 * run on one database during the overlap, so a migration must be declared
 * expand/contract.  0, or -1 after rp_usage(). */
static int check_bluegreen_all(const struct buildopts *o)
{
	char *const *v = o->val;
	int bg = v[SET_SWITCH] && !strcmp(v[SET_SWITCH], "blue-green");
	if (!bg) {
		static const enum setting_id only_bg[] = { SET_PORT_ENV, SET_SLOT_PORTS, SET_ROUTER_CMD };
		for (size_t i = 0; i < sizeof only_bg / sizeof *only_bg; i++)
			if (v[only_bg[i]])
				return rp_usage("--%s is for --switch blue-green (this build switches cold)",
						settings[only_bg[i]].flag);
		return 0;
	}
	if (!v[SET_PORT_ENV] || !v[SET_SLOT_PORTS])
		return rp_usage("--switch blue-green needs --port-env VAR (the variable the app takes its port "
				"from) and --slot-ports P1,P2 (the two slots' ports, the servers of the router's backend)");
	if (((v[SET_MIGRATE_UP] && *v[SET_MIGRATE_UP]) || (v[SET_MIGRATE_DOWN] && *v[SET_MIGRATE_DOWN])) &&
	    strcmp(v[SET_MIGRATE_ONLINE], "yes"))
		return rp_usage("--switch blue-green with --migrate-up/--migrate-down: during the switch the old and "
				"the new version run side by side on the same database, so every migration must be "
				"online-compatible (expand/contract: add columns and tables the old version ignores; "
				"drop or rename only in a later release, once no version reads them). Declare it with "
				"--migrate-online yes, or build with --switch cold");
	return 0;
}

/* Checks setting id's value v (given or default) by the row's kind; the
 * kinds that parse it store the result in o.  0, or -1 after rp_usage(). */
static int check_setting(struct buildopts *o, enum setting_id id, const char *v)
{
	const char *flag = settings[id].flag;
	char *end;
	long n;
	switch (settings[id].check) {
	case CHK_ANY:
		return 0;
	case CHK_OUTDIR:
		if (!*v)
			return rp_usage("--%s: empty (give a directory, e.g. --out dist)", flag);
		return 0;
	case CHK_FORMATS:
		if (parse_formats(v, &o->fmt_mask) < 0)
			return rp_usage("--%s '%s': expected deb, rpm or deb,rpm", flag, v);
		return 0;
	case CHK_PKGNAME:
		if (!*v)
			return rp_usage("--%s: empty", flag);
		for (const char *s = v; *s; s++)
			if (!isalnum((unsigned char)*s) && !strchr("_-.+", *s))
				return rp_usage("--%s '%s': character '%c' is not allowed in a package name",
						flag, v, *s);
		return 0;
	case CHK_NONEMPTY:
		return *v ? 0 : rp_usage("--%s: empty", flag);
	case CHK_RELEASE:
		return version_check_release(v);
	case CHK_EPOCH:
		return version_check_epoch(v);
	case CHK_ARCH: {
		const char *d, *r;
		return arch_from_flag(v, &d, &r);
	}
	case CHK_COMPRESSION:
		if (comp_parse(v, &o->comp) < 0)
			return rp_usage("--%s '%s': expected gzip, xz, zstd or none", flag, v);
		o->level_n = comp_default_level(o->comp);
		return 0;
	case CHK_LEVEL:
		errno = 0;
		n = strtol(v, &end, 10);
		if (!*v || *end || errno || n < 0 || n > 99)
			return rp_usage("--%s '%s': expected a number", flag, v);
		o->level_n = (int)n;
		return comp_check_level(o->comp, o->level_n);
	case CHK_SCHEMA:
		for (const char *s = v; *s; s++)
			if (!isalnum((unsigned char)*s) && !strchr("._-+~", *s))
				return rp_usage("--%s '%s': character '%c' is not allowed", flag, v, *s);
		return 0;
	case CHK_USER:
		for (const char *s = v; *s; s++)
			if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_' || *s == '-') ||
			    (s == v && !islower((unsigned char)*s) && *s != '_'))
				return rp_usage("--%s '%s': not a valid system user name", flag, v);
		if (strlen(v) > 32)
			return rp_usage("--%s '%s': longer than 32 characters", flag, v);
		return 0;
	case CHK_HTTP_URL:
		if (strncmp(v, "http://", 7) && strncmp(v, "https://", 8))
			return rp_usage("--%s '%s': expected http://... or https://...", flag, v);
		return 0;
	case CHK_SECONDS:
		n = strtol(v, &end, 10);
		if (!*v || *end || n < 1 || n > 86400)
			return rp_usage("--%s '%s': expected seconds (1 to 86400)", flag, v);
		return 0;
	case CHK_HOOKS:
		return check_hooks(flag, v);
	case CHK_SIZE:
		if (parse_size(v, &o->max_size_n) < 0)
			return rp_usage("--%s '%s': expected a size in bytes, e.g. 16G, 512M or 1000000", flag, v);
		return 0;
	case CHK_SWITCH:
	case CHK_ENVNAME:
	case CHK_PORTS:
	case CHK_SOCKET:
		return check_bluegreen(id, v);
	case CHK_BOOL: {
		static const char *const yes[] = { "yes", "true", "1", "on" }, *const no[] = { "no", "false", "0", "off" };
		for (size_t i = 0; i < 4; i++)
			if (!strcasecmp(v, yes[i]) || !strcasecmp(v, no[i])) {
				const char *n = !strcasecmp(v, yes[i]) ? "yes" : "no";
				free(o->val[id]);
				o->val[id] = xstrdup(n);
				return 0;
			}
		return rp_usage("%s '%s': expected yes or no", settings[id].conf ? settings[id].conf : flag, v);
	}
	case CHK_DEPS: {
		struct deplist l;
		if (deps_parse(v, flag, &l) < 0)
			return -1;
		deps_free(&l);
		return 0;
	}
	case CHK_SIGNKEY:
		if (!sign_keyid_ok(v))
			return rp_usage("--%s '%s': expected a gpg key id, fingerprint or user id", flag, v);
		return 0;
	}
	return 0;
}

int buildopts_parse(struct buildopts *o, int argc, char **argv)
{
	memset(o, 0, sizeof *o);
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
			o->quiet = 1;
			continue;
		}
		if (a[0] == '-' && a[1] == '-' && a[2]) {
			const char *nm = a + 2, *eq = strchr(nm, '=');
			size_t len = eq ? (size_t)(eq - nm) : strlen(nm);
			enum setting_id id = setting_by_flag(nm, len);
			if (id == SET_COUNT)
				return rp_usage("build: unknown option '--%.*s' (see relpkg build --help)", (int)len, nm);
			const char *val = eq ? eq + 1 : NULL;
			if (settings[id].noarg) {
				if (val)
					return rp_usage("build: option '--%s' takes no value", settings[id].flag);
				val = "yes";
			} else if (!val) {
				if (i + 1 >= argc)
					return rp_usage("build: option '--%s' needs a value (%s)", settings[id].flag,
							settings[id].arg);
				val = argv[++i];
			}
			set_value(o, id, val);
			continue;
		}
		if (a[0] == '-' && a[1])
			return rp_usage("build: unknown option '%s' (see relpkg build --help)", a);
		if (o->tarball)
			return rp_usage("build: more than one TARBALL ('%s' and '%s')", o->tarball, a);
		o->tarball = xstrdup(a);
	}
	if (!o->tarball)
		return rp_usage("build: no TARBALL given (see relpkg build --help)");
	/* the config file in use is said: one found in the current directory
	 * applies to whatever tarball is built from there */
	if (o->val[SET_CONFIG]) {
		o->config = o->val[SET_CONFIG];
		if (load_config(o, o->config, 1) < 0)
			return -1;
	} else if (access("relpkg.conf", F_OK) == 0) {
		o->config = "./relpkg.conf";
		if (load_config(o, "relpkg.conf", 0) < 0)
			return -1;
	}
	if (o->config && !o->quiet)
		fprintf(stderr, "relpkg: using %s\n", o->config);

	/* defaults, then every value through its row's check, in table order */
	o->max_size_n = INGEST_MAX_SIZE_DEFAULT;
	for (int id = 0; id < SET_COUNT; id++) {
		if (!o->val[id] && settings[id].def)
			o->val[id] = xstrdup(settings[id].def);
		if (o->val[id] && check_setting(o, (enum setting_id)id, o->val[id]) < 0)
			return -1;
	}
	return check_bluegreen_all(o);
}

void buildopts_free(struct buildopts *o)
{
	for (int id = 0; id < SET_COUNT; id++)
		free(o->val[id]);
	free(o->tarball);
	memset(o, 0, sizeof *o);
}

char *pkgmeta_keep(struct pkgmeta *pm, char *s)
{
	if (s) {
		pm->owned = xrealloc(pm->owned, (pm->nowned + 1) * sizeof *pm->owned);
		pm->owned[pm->nowned++] = s;
	}
	return s;
}

char **pkgmeta_slot(struct pkgmeta *pm, enum setting_id id)
{
	if (settings[id].pm)
		return (char **)((char *)pm + settings[id].pm);
	return &pm->val[id];
}

const char *pkgmeta_get(const struct pkgmeta *pm, enum setting_id id)
{
	return *pkgmeta_slot((struct pkgmeta *)pm, id);
}

void pkgmeta_free(struct pkgmeta *pm)
{
	release_free(&pm->rel);
	for (size_t i = 0; i < pm->nowned; i++)
		free(pm->owned[i]);
	free(pm->owned);
	memset(pm, 0, sizeof *pm);
}
