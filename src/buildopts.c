/* buildopts.c — the flag table of `relpkg build`, the command line and
 * the config file.  See buildopts.h. */
#include "buildopts.h"
#include "buf.h"
#include "error.h"
#include "recognise.h"
#include "version.h"
#include "elfarch.h"
#include "ingest.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct optdef {
	const char *name;
	size_t off;             /* offset of the char * field */
	const char *arg;        /* NULL: a switch */
	const char *help;
};

#define F(x) offsetof(struct buildopts, x)

static const struct optdef opts[] = {
	{ "out", F(out), "DIR", "output directory (default ./dist)" },
	{ "format", F(formats), "LIST", "deb, rpm or deb,rpm (default deb,rpm)" },
	{ "name", F(name), "NAME", "package name (default: the release's name)" },
	{ "version", F(version), "VERSION", "upstream version (default: the release's version)" },
	{ "release", F(release), "N", "package revision (default 1)" },
	{ "epoch", F(epoch), "N", "package epoch (default none)" },
	{ "arch", F(arch), "ARCH", "architecture (default: from the ELF files inside)" },
	{ "compression", F(compression), "ALGO", "payload compression: gzip (default), xz, zstd, none" },
	{ "level", F(level), "N", "compression level (default gzip 6, xz 6, zstd 3)" },
	{ "maintainer", F(maintainer), "'NAME <EMAIL>'", "package maintainer (default $DEBFULLNAME <$DEBEMAIL>)" },
	{ "summary", F(summary), "TEXT", "one-line description" },
	{ "description", F(description), "TEXT", "long description (paragraphs separated by blank lines)" },
	{ "url", F(url), "URL", "project home page" },
	{ "license", F(license), "LICENSE", "licence of the release (default: unknown)" },
	{ "section", F(section), "SECTION", "deb section (default misc)" },
	{ "priority", F(priority), "PRIORITY", "deb priority (default optional)" },
	{ "depends", F(depends), "LIST", "dependencies, comma-separated, deb syntax: 'libssl3 (>= 3.0), adduser'" },
	{ "conflicts", F(conflicts), "LIST", "conflicting packages, comma-separated" },
	{ "provides", F(provides), "LIST", "virtual packages provided, comma-separated" },
	{ "user", F(user), "USER", "service user and group (default: the package name)" },
	{ "start-cmd", F(start_cmd), "CMD", "foreground start command (default: bin/NAME foreground|start)" },
	{ "stop-cmd", F(stop_cmd), "CMD", "stop command without systemd (default: bin/NAME stop)" },
	{ "migrate-up", F(migrate_up), "CMD", "brings the database to this version's schema (install, upgrade)" },
	{ "migrate-down", F(migrate_down), "CMD", "takes the database back to $RELPKG_SCHEMA_TARGET (downgrade from this version)" },
	{ "schema-version", F(schema_version), "V", "this version's schema (default: newest priv/repo/migrations/ timestamp)" },
	{ "health-cmd", F(health_cmd), "CMD", "healthy when it exits 0 (run as the service user)" },
	{ "health-url", F(health_url), "URL", "healthy when http://... answers 2xx" },
	{ "health-timeout", F(health_timeout), "SECONDS", "how long to wait for health (default 30)" },
	{ "hook", F(hook), "POINT:CMD", "run CMD at POINT: before-stop, after-stop, before-start, after-start (repeatable)" },
	{ "max-size", F(max_size), "SIZE", "refuse a release that expands to more than SIZE bytes (K M G T suffixes; default 16G)" },
	{ "config", F(config), "FILE", "config file (default ./relpkg.conf if present)" },
	{ NULL, 0, NULL, NULL },
};

void buildopts_usage(FILE *f)
{
	fputs("usage: relpkg build TARBALL [options]\n\n"
	      "Wraps a release tarball into versioned .deb and .rpm packages.\n\noptions:\n", f);
	for (const struct optdef *d = opts; d->name; d++) {
		char left[64];
		snprintf(left, sizeof left, "--%s %s", d->name, d->arg ? d->arg : "");
		fprintf(f, "  %-30s %s\n", left, d->help);
	}
	fprintf(f, "  %-30s %s\n", "--quiet", "only errors on stderr");
	fprintf(f, "  %-30s %s\n", "--help", "this text");
}

static char **field(struct buildopts *o, const struct optdef *d)
{
	return (char **)((char *)o + d->off);
}

static const struct optdef *find_opt(const char *name, size_t len)
{
	for (const struct optdef *d = opts; d->name; d++)
		if (strlen(d->name) == len && !strncmp(d->name, name, len))
			return d;
	return NULL;
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
		const struct optdef *d = find_opt(k, (size_t)(ke - k));
		if (!d || !d->arg || !strcmp(d->name, "config")) {
			rc = rp_usage("%s:%d: unknown key '%.*s'", path, lineno, (int)(ke - k), k);
			break;
		}
		char **fp = field(o, d);
		if (!*fp)       /* flags win */
			*fp = xstrdup(v);
	}
	free(line);
	fclose(f);
	return rc;
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
			const struct optdef *d = find_opt(nm, len);
			if (!d)
				return rp_usage("build: unknown option '--%.*s' (see relpkg build --help)", (int)len, nm);
			const char *val = eq ? eq + 1 : NULL;
			if (!val) {
				if (i + 1 >= argc)
					return rp_usage("build: option '--%s' needs a value (%s)", d->name, d->arg);
				val = argv[++i];
			}
			char **fp = field(o, d);
			if (d->off == F(hook) && *fp) {     /* repeatable */
				struct buf b = BUF_INIT;
				buf_addf(&b, "%s\n%s", *fp, val);
				free(*fp);
				*fp = buf_detach(&b);
			} else {
				free(*fp);
				*fp = xstrdup(val);
			}
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
	if (o->config) {
		if (load_config(o, o->config, 1) < 0)
			return -1;
	} else if (access("relpkg.conf", F_OK) == 0) {
		if (load_config(o, "relpkg.conf", 0) < 0)
			return -1;
	}

	/* defaults and checks */
	if (!o->out)
		o->out = xstrdup("dist");
	if (!*o->out)
		return rp_usage("--out: empty (give a directory, e.g. --out dist)");
	o->max_size_n = INGEST_MAX_SIZE_DEFAULT;
	if (o->max_size && parse_size(o->max_size, &o->max_size_n) < 0)
		return rp_usage("--max-size '%s': expected a size in bytes, e.g. 16G, 512M or 1000000",
				o->max_size);
	if (!o->formats)
		o->formats = xstrdup("deb,rpm");
	if (!o->release)
		o->release = xstrdup("1");
	o->fmt_mask = 0;
	for (const char *s = o->formats; *s;) {
		size_t len = strcspn(s, ",");
		if (len == 3 && !strncmp(s, "deb", 3))
			o->fmt_mask |= 1u << FMT_DEB;
		else if (len == 3 && !strncmp(s, "rpm", 3))
			o->fmt_mask |= 1u << FMT_RPM;
		else
			return rp_usage("--format '%s': expected deb, rpm or deb,rpm", o->formats);
		s += len;
		if (*s == ',')
			s++;
	}
	if (!o->fmt_mask)
		return rp_usage("--format '%s': expected deb, rpm or deb,rpm", o->formats);
	if (version_check_release(o->release) < 0)
		return -1;
	if (o->epoch && version_check_epoch(o->epoch) < 0)
		return -1;
	o->comp = COMP_GZIP;
	if (o->compression && comp_parse(o->compression, &o->comp) < 0)
		return rp_usage("--compression '%s': expected gzip, xz, zstd or none", o->compression);
	o->level_n = comp_default_level(o->comp);
	if (o->level) {
		char *end;
		errno = 0;
		long l = strtol(o->level, &end, 10);
		if (!*o->level || *end || errno || l < 0 || l > 99)
			return rp_usage("--level '%s': expected a number", o->level);
		o->level_n = (int)l;
		if (comp_check_level(o->comp, o->level_n) < 0)
			return -1;
	}
	if (o->version && !*o->version)
		return rp_usage("--version: empty");
	if (o->name) {
		if (!*o->name)
			return rp_usage("--name: empty");
		for (const char *s = o->name; *s; s++)
			if (!isalnum((unsigned char)*s) && !strchr("_-.+", *s))
				return rp_usage("--name '%s': character '%c' is not allowed in a package name",
						o->name, *s);
	}
	if (o->user) {
		for (const char *s = o->user; *s; s++)
			if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_' || *s == '-') ||
			    (s == o->user && !islower((unsigned char)*s) && *s != '_'))
				return rp_usage("--user '%s': not a valid system user name", o->user);
		if (strlen(o->user) > 32)
			return rp_usage("--user '%s': longer than 32 characters", o->user);
	}
	if (o->health_timeout) {
		char *end;
		long t = strtol(o->health_timeout, &end, 10);
		if (!*o->health_timeout || *end || t < 1 || t > 86400)
			return rp_usage("--health-timeout '%s': expected seconds (1 to 86400)", o->health_timeout);
	}
	if (o->health_url && strncmp(o->health_url, "http://", 7) && strncmp(o->health_url, "https://", 8))
		return rp_usage("--health-url '%s': expected http://... or https://...", o->health_url);
	if (o->schema_version)
		for (const char *s = o->schema_version; *s; s++)
			if (!isalnum((unsigned char)*s) && !strchr("._-+~", *s))
				return rp_usage("--schema-version '%s': character '%c' is not allowed",
						o->schema_version, *s);
	for (const char *h = o->hook; h && *h;) {
		size_t len = strcspn(h, "\n");
		static const char *points[] = { "before-stop:", "after-stop:", "before-start:", "after-start:", NULL };
		int ok = 0;
		for (int i = 0; points[i]; i++)
			ok |= !strncmp(h, points[i], strlen(points[i])) && len > strlen(points[i]);
		if (!ok)
			return rp_usage("--hook '%.*s': expected POINT:CMD with POINT one of before-stop, "
					"after-stop, before-start, after-start", (int)len, h);
		h += len;
		if (*h)
			h++;
	}
	if (o->arch) {
		const char *d, *r;
		if (arch_from_flag(o->arch, &d, &r) < 0)
			return -1;
	}
	return 0;
}

void buildopts_free(struct buildopts *o)
{
	for (const struct optdef *d = opts; d->name; d++)
		free(*field(o, d));
	free(o->tarball);
	memset(o, 0, sizeof *o);
}

void pkgmeta_free(struct pkgmeta *pm)
{
	release_free(&pm->rel);
	char **fields[] = { &pm->name, &pm->upstream, &pm->deb_upstream, &pm->rpm_version, &pm->release,
			    &pm->epoch, &pm->deb_version, &pm->maintainer, &pm->summary, &pm->description,
			    &pm->url, &pm->license, &pm->section, &pm->priority, &pm->depends,
			    &pm->conflicts, &pm->provides, &pm->user, &pm->prefix, &pm->start_cmd,
			    &pm->stop_cmd, &pm->daemon_cmd, &pm->migrate_up, &pm->migrate_down,
			    &pm->schema_version, &pm->health_cmd, &pm->health_url, &pm->health_timeout,
			    &pm->hook[0], &pm->hook[1], &pm->hook[2], &pm->hook[3], &pm->metafile };
	for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
		free(*fields[i]);
	memset(pm, 0, sizeof *pm);
}
