/* cmd_build.c — `relpkg build`: validate -> construct -> emit.
 *
 *   validate:  flags (buildopts.c), the tarball's headers (ingest_scan)
 *   construct: what the release is (recognise.c), the package metadata,
 *              the manifest (release tree + sysfiles.c)
 *   emit:      one pass over the tarball feeding every writer (payload.c),
 *              then each writer assembles its package atomically. */
#include "buf.h"
#include "buildopts.h"
#include "deb_write.h"
#include "autodeps.h"
#include "elfarch.h"
#include "exec.h"
#include "error.h"
#include "ingest.h"
#include "payload.h"
#include "recognise.h"
#include "relup.h"
#include "rpm_write.h"
#include "sysfiles.h"
#include "atomic.h"
#include "version.h"
#include "clock.h"
#include "progress.h"
#include "changelog.h"     /* issue 15: --changelog */
#include "conffiles.h"     /* issue 15: --config-file */

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The input before any reading: a file that is there and is not
 * something relpkg cannot read (a zip, a directory).  A pipe or FIFO is
 * left alone (ingest copies it).  0, or -1 after rp_err(). */
static int check_input(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			return rp_err("%s: not found: give the path of the release tarball (mix release and "
				      "rebar3 tar write one, e.g. _build/prod/NAME-VERSION.tar.gz)", path);
		return rp_errno("%s", path);
	}
	if (S_ISDIR(st.st_mode))
		return rp_err("%s: is a directory: give the release tarball, or pack the release first: "
			      "tar -C %s -czf NAME-VERSION.tar.gz .", path, path);
	if (!S_ISREG(st.st_mode))
		return 0;
	unsigned char magic[4] = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rp_errno("%s: cannot read", path);
	ssize_t n = read(fd, magic, sizeof magic);
	close(fd);
	if (n == 4 && magic[0] == 'P' && magic[1] == 'K' && ((magic[2] == 3 && magic[3] == 4) ||
							     (magic[2] == 5 && magic[3] == 6)))
		return rp_err("%s: a zip archive: relpkg reads tar archives (.tar, .tar.gz, .tar.xz, .tar.zst); "
			      "repack it: mkdir rel && unzip -q %s -d rel && tar -C rel -czf NAME-VERSION.tar.gz .",
			      path, path);
	if (n == 0)
		return rp_err("%s: empty file: give the release tarball", path);
	return 0;
}

/* Package names: lower case, '_' -> '-'; then Debian's rule. */
static char *package_name(const char *relname, int explicit_flag)
{
	char *n = xstrdup(relname);
	for (char *s = n; *s; s++) {
		*s = (char)tolower((unsigned char)*s);
		if (*s == '_')
			*s = '-';
	}
	int ok = strlen(n) >= 2 && isalnum((unsigned char)n[0]);
	for (const char *s = n; ok && *s; s++)
		ok = islower((unsigned char)*s) || isdigit((unsigned char)*s) || strchr("+-.", *s);
	if (!ok) {
		if (explicit_flag)
			rp_usage("--name '%s': a package name needs 2 or more of a-z 0-9 + - . "
				 "and must start with a letter or digit", relname);
		else
			rp_err("release name '%s' does not make a valid package name; give --name", relname);
		free(n);
		return NULL;
	}
	return n;
}

static char *absolute_cmd(const struct pkgmeta *pm, const char *cmd)
{
	struct buf b = BUF_INIT;
	if (cmd[0] != '/')
		buf_addf(&b, "/opt/%s/current/", pm->name);
	buf_adds(&b, cmd);
	return buf_detach(&b);
}

/* Appends s as one sh word: bare when it holds only characters that mean
 * nothing to sh (so that ordinary commands read as before), else quoted. */
static void add_word(struct buf *b, const char *s)
{
	int bare = *s != 0;
	for (const char *p = s; bare && *p; p++)
		bare = isalnum((unsigned char)*p) || strchr("/._+-=:,@%", *p);
	if (bare)
		buf_adds(b, s);
	else
		buf_add_shquoted(b, s);
}

/* "/opt/NAME/current/bin/RELNAME ARGS", each part one quoted word. */
static char *release_cmd(const struct pkgmeta *pm, const char *args)
{
	struct buf b = BUF_INIT, path = BUF_INIT;
	buf_addf(&path, "/opt/%s/current/bin/%s", pm->name, pm->rel.relname);
	add_word(&b, path.p);
	if (*args) {
		buf_addc(&b, ' ');
		add_word(&b, args);
	}
	buf_free(&path);
	return buf_detach(&b);
}

static char *default_maintainer(void)
{
	/* the default is a placeholder that lintian and people reject */
	const char *name = getenv("DEBFULLNAME"), *mail = getenv("DEBEMAIL");
	struct buf b = BUF_INIT;
	if (mail && strchr(mail, '<'))
		buf_adds(&b, mail);
	else if (mail)
		buf_addf(&b, "%s <%s>", name ? name : "Maintainer", mail);
	else {
		buf_adds(&b, "Unknown <unknown@example.invalid>");
		rp_warn("no --maintainer (and no DEBEMAIL): the packages say '%s'; give --maintainer "
			"'Name <email>' (or maintainer = ... in relpkg.conf, or set DEBFULLNAME and DEBEMAIL)", b.p);
	}
	return buf_detach(&b);
}

/* The per-version KEY=VALUE file (format 2, man/relpkg-meta.5): what the
 * scripts of another version of this package need to know about this one
 * (format 2 added what a later version needs to bring this one back).
 * One line per setting whose row has a meta key, in table order; values
 * are shell-quoted, readers parse them as data. */
static char *meta_text(const struct pkgmeta *pm)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "# relpkg per-version metadata (relpkg-meta(5)); read by the maintainer\n"
		     "# scripts of other versions of this package.  Do not edit.\n"
		     "RELPKG_META_FORMAT=2\n");
	for (int id = 0; id < SET_COUNT; id++) {
		if (!settings[id].meta)
			continue;
		const char *v = pkgmeta_get(pm, (enum setting_id)id);
		buf_addf(&b, "%s=", settings[id].meta);
		buf_add_shquoted(&b, v ? v : "");
		buf_addc(&b, '\n');
	}
	/* only when an rpm is built: its version is not a setting of the deb */
	if (pm->rpm_version) {
		buf_adds(&b, "RPM_VERSION=");
		char *e = version_full(pm->epoch, pm->rpm_version, pm->revision);
		buf_add_shquoted(&b, e);
		free(e);
		buf_addc(&b, '\n');
	}
	return buf_detach(&b);
}

/* Ecto-style migrations: priv/repo/migrations/20231002120000_name.exs;
 * the schema version is the newest timestamp.  "" when there are none. */
static char *infer_schema(const struct ingest *in)
{
	const char *best = NULL;
	size_t bestlen = 0;
	for (size_t i = 0; i < in->n; i++) {
		const char *m = strstr(in->v[i].name, "priv/repo/migrations/");
		if (!m || in->v[i].skip || in->v[i].type != E_REG)
			continue;
		const char *f = m + strlen("priv/repo/migrations/");
		size_t d = strspn(f, "0123456789");
		if (d == 0 || f[d] != '_' || strchr(f, '/'))
			continue;
		if (!best || d > bestlen || (d == bestlen && strncmp(f, best, d) > 0)) {
			best = f;
			bestlen = d;
		}
	}
	return best ? xstrndup(best, bestlen) : xstrdup("");
}

/* --hook's POINT:CMD lines for one point, joined with '\n'; "" if none. */
static char *hook_lines(const char *hooks, const char *point)
{
	struct buf hb = BUF_INIT;
	size_t pl = strlen(point);
	for (const char *h = hooks; h && *h;) {
		size_t len = strcspn(h, "\n");
		if (len > pl + 1 && !strncmp(h, point, pl) && h[pl] == ':') {
			if (hb.len)
				buf_adds(&hb, "\n");
			buf_add(&hb, h + pl + 1, len - pl - 1);
		}
		h += len;
		if (*h)
			h++;
	}
	return buf_detach(&hb);
}

/* The commands: the release's own script with fixed arguments unless
 * given; every value is shell-quoted when it needs it (names are
 * validated too).  0, or -1 after rp_err(). */
static int make_commands(struct pkgmeta *pm, char *const *ov, const struct ingest *in)
{
	struct buf b = BUF_INIT, q = BUF_INIT;
	buf_addf(&b, "bin/%s", pm->rel.relname);
	int has_bin = ingest_find(in, b.p) != (size_t)-1;
	buf_reset(&b);
	if (ov[SET_START_CMD]) {
		pm->start_cmd = pkgmeta_keep(pm, absolute_cmd(pm, ov[SET_START_CMD]));
	} else if (has_bin) {
		pm->start_cmd = pkgmeta_keep(pm, release_cmd(pm, pm->rel.start_args));
	} else {
		buf_free(&b);
		return rp_err("%s: the release has no bin/%s to start: give --start-cmd", in->path,
			      pm->rel.relname);
	}
	char **stop = pkgmeta_slot(pm, SET_STOP_CMD), **daemon = pkgmeta_slot(pm, SET_DAEMON_CMD);
	if (ov[SET_STOP_CMD])
		*stop = pkgmeta_keep(pm, absolute_cmd(pm, ov[SET_STOP_CMD]));
	else if (has_bin && *pm->rel.stop_args)
		*stop = pkgmeta_keep(pm, release_cmd(pm, pm->rel.stop_args));
	else
		*stop = pkgmeta_keep(pm, xstrdup(""));
	if (has_bin && *pm->rel.daemon_args && !ov[SET_START_CMD]) {
		*daemon = pkgmeta_keep(pm, release_cmd(pm, pm->rel.daemon_args));
	} else {
		buf_addf(&b, "%s >>", pm->start_cmd);
		buf_addf(&q, "/var/log/%s/console.log", pm->name);
		add_word(&b, q.p);
		buf_adds(&b, " 2>&1 &");
		*daemon = pkgmeta_keep(pm, buf_detach(&b));
	}
	buf_free(&b);
	buf_free(&q);
	return 0;
}

/* A name in the config file is the app the file was written for: a
 * tarball whose release has another name is not that app (a relpkg.conf
 * of one app's directory would give another its migrations, Depends,
 * maintainer).  Names compare as package names (my_app = my-app).  A
 * tarball that does not say its name (generic, no NAME-VERSION file
 * name) takes the file's.  0, or -1 after rp_err(). */
static int check_config_name(const struct buildopts *o, const struct ingest *in)
{
	struct release r;
	memset(&r, 0, sizeof r);
	int rc = 0;
	if (recognise(in, NULL, o->val[SET_VERSION] ? o->val[SET_VERSION] : "0", &r) == 0) {
		char *a = xstrdup(o->val[SET_NAME]), *b = xstrdup(r.relname);
		for (char *s = a; *s; s++)
			*s = *s == '_' ? '-' : (char)tolower((unsigned char)*s);
		for (char *s = b; *s; s++)
			*s = *s == '_' ? '-' : (char)tolower((unsigned char)*s);
		if (strcmp(a, b))
			rc = rp_err("%s says name = %s, but %s is the release '%s': the config file is another "
				    "app's; build from the app's own directory, give --config FILE, or give "
				    "--name to package it under another name", o->config, o->val[SET_NAME], in->path,
				    r.relname);
		free(a);
		free(b);
	}
	release_free(&r);
	if (rc == 0)
		rp_err_clear();
	return rc;
}

/* A release without its runtime: name the Erlang packages that give it.
 * ERTS 10.x came with OTP 22, and each major ERTS since with the next OTP. */
static void warn_erts(const char *path, const char *erts)
{
	int major = erts ? atoi(erts) : 0;
	if (major >= 10)
		rp_warn("%s: ERTS is not bundled (no erts-%s/): the server needs Erlang/OTP %d installed; give "
			"--depends 'erlang-base (>= 1:%d)' (Debian and Ubuntu; the rpm gets the same name: "
			"Fedora's package is erlang-erts) or bundle ERTS in the release (mix: include_erts: true; "
			"rebar3: {include_erts, true})", path, erts, major + 12, major + 12);
	else
		rp_warn("%s: ERTS is not bundled (no erts-%s/): the server needs the matching Erlang/OTP installed; "
			"give --depends 'erlang-base' (Debian and Ubuntu) or bundle ERTS in the release (mix: "
			"include_erts: true; rebar3: {include_erts, true})", path, erts ? erts : "VSN");
}

/* path (relative to the release's top, no trailing '/' needed) is an
 * entry of the release, or a directory some entry is in. */
static int in_release(const struct ingest *in, const char *path)
{
	size_t l = strlen(path);
	while (l > 1 && path[l - 1] == '/')
		l--;
	char *p = xstrndup(path, l);
	int found = ingest_find(in, p) != (size_t)-1;
	for (size_t i = 0; !found && i < in->n; i++)
		found = !in->v[i].skip && !strncmp(in->v[i].name, p, l) && in->v[i].name[l] == '/';
	free(p);
	return found;
}

/* Where a command runs (hooks/lib.sh): migrations, start and stop in the
 * release's top directory; hooks in /opt/NAME (as root); the health
 * command in /var/lib/NAME. */
enum cmd_dir { IN_RELEASE, IN_BASE, IN_STATE };

/* One command the package will run, as given to flag: valid sh (sh -n),
 * and every word that is a path into the release (bin/..., releases/...,
 * lib/... where it runs in the release, current/... in /opt/NAME, or
 * /opt/NAME/current/...) names a file the tarball has.  The scripts run
 * it at install time, with the service stopped: a typo found there is an
 * outage.  0, or -1 after rp_err(). */
static int check_command(const struct pkgmeta *pm, const struct ingest *in, const char *flag,
			 const char *cmd, enum cmd_dir dir)
{
	const char *argv[] = { "/bin/sh", "-c", "/bin/sh -n -c \"$1\" 2>&1", "sh", cmd, NULL };
	struct buf out = BUF_INIT, cur = BUF_INIT, word = BUF_INIT;
	int rc = exec_capture(argv, &out, 1);
	if (rc != 0) {
		while (out.len && out.p[out.len - 1] == '\n')
			out.p[--out.len] = 0;
		const char *m = out.p ? out.p : "";
		if (!strncmp(m, "/bin/sh: ", 9))
			m += 9;
		if (!strncmp(m, "1: ", 3))
			m += 3;
		rc = rc < 0 ? -1 : rp_err("--%s '%s': not a valid sh command (%s); quote the arguments the shell "
					  "must not read, e.g. --migrate-up 'bin/app eval \"App.Release.migrate()\"'",
					  flag, cmd, *m ? m : "sh -n failed");
		buf_free(&out);
		return rc;
	}
	buf_free(&out);
	buf_addf(&cur, "/opt/%s/current/", pm->name);
	const char *where = dir == IN_BASE ? "/opt/%s" : dir == IN_STATE ? "/var/lib/%s" : "/opt/%s/current";
	for (const char *s = cmd; *s;) {
		size_t l = strcspn(s, " \t\n;&|()<>'\"`$=");
		buf_reset(&word);
		buf_add(&word, s, l);
		const char *w = word.p ? word.p : "";
		if (!strncmp(w, "./", 2))
			w += 2;
		int rel = !strncmp(w, "bin/", 4) || !strncmp(w, "releases/", 9) || !strncmp(w, "lib/", 4);
		int mapped = 1;
		if (!strncmp(word.p ? word.p : "", cur.p, cur.len))
			w = word.p + cur.len;
		else if (dir == IN_BASE && !strncmp(w, "current/", 8))
			w += 8;
		else if (dir != IN_RELEASE && rel) {
			char here[512];
			snprintf(here, sizeof here, where, pm->name);
			rc = rp_err("--%s '%s': %s is looked for in %s, where the %s runs, not in the release; "
				    "write /opt/%s/current/%s", flag, cmd, w, here,
				    dir == IN_BASE ? "hook" : "health command", pm->name, w);
			break;
		} else
			mapped = dir == IN_RELEASE && rel;
		if (l && mapped && *w && !strpbrk(w, "*?[") && !in_release(in, w)) {
			rc = rp_err("--%s '%s': the release has no %s; fix the path in --%s, or the tarball", flag, cmd,
				    w, flag);
			break;
		}
		s += l;
		if (*s)
			s++;
	}
	buf_free(&cur);
	buf_free(&word);
	return rc;
}

/* Every command the package runs, checked (check_command). */
static int check_commands(const struct pkgmeta *pm, const struct ingest *in, char *const *ov)
{
	static const struct {
		enum setting_id id;
		enum cmd_dir dir;
	} cmds[] = { { SET_MIGRATE_UP, IN_RELEASE }, { SET_MIGRATE_DOWN, IN_RELEASE }, { SET_HEALTH_CMD, IN_STATE },
		     { SET_START_CMD, IN_RELEASE }, { SET_STOP_CMD, IN_RELEASE } };
	for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
		const char *v = ov[cmds[i].id];
		if (v && *v && check_command(pm, in, settings[cmds[i].id].flag, v, cmds[i].dir) < 0)
			return -1;
	}
	for (const char *h = ov[SET_HOOK]; h && *h;) {
		size_t len = strcspn(h, "\n");
		char *line = xstrndup(h, len), *c = strchr(line, ':');
		int bad = c && check_command(pm, in, "hook", c + 1, IN_BASE) < 0;
		free(line);
		if (bad)
			return -1;
		h += len;
		if (*h)
			h++;
	}
	return 0;
}

/* Hot upgrades (issue 13): whether this version can be upgraded to and
 * from in place, and which versions its relup covers (relpkg-meta(5),
 * HOT*; relpkg(1), HOT UPGRADES).  Never fails the build: a relup that
 * cannot be read makes the version cold, with a warning. */
static void hot_set(struct pkgmeta *pm, enum setting_id id, const char *v)
{
	*pkgmeta_slot(pm, id) = pkgmeta_keep(pm, xstrdup(v));
}

static void hot_meta(struct pkgmeta *pm, const struct ingest *in)
{
	const struct release *r = &pm->rel;
	const char *why = NULL;
	char reason[256] = "";
	struct buf path = BUF_INIT;
	hot_set(pm, SET_ERTS_VERSION, r->erts_vsn ? r->erts_vsn : "");
	hot_set(pm, SET_HOT_UP_FROM, "");
	hot_set(pm, SET_HOT_DOWN_TO, "");
	hot_set(pm, SET_HOT_RESTART, "");
	hot_set(pm, SET_HOT_LIBS, "");
	const char *no = pkgmeta_get(pm, SET_NO_HOT);
	if (no && !strcmp(no, "yes"))
		why = "--no-hot";
	else if (r->kind != REL_RELX && r->kind != REL_DISTILLERY)
		why = r->kind == REL_MIX ? "a mix release (no release_handler upgrades)" : "not an OTP release";
	else if (!r->erts_bundled)
		why = "ERTS is not bundled";
	const struct small_file *rel = NULL;
	if (!why) {
		buf_addf(&path, "releases/%s/%s.rel", r->version, r->relname);
		rel = ingest_small(in, buf_str(&path));
		if (!rel || rel->too_large)
			why = "no readable releases/VSN/NAME.rel";
	}
	if (!why) {
		char *libs = NULL;
		int sasl = 0;
		if (relup_rel_libs(rel->data, rel->len, &libs, &sasl, reason, sizeof reason) < 0) {
			rp_warn("%s: %s: %s: upgrades to and from %s restart it (cold)", in->path, rel->name, reason,
				r->version);
			why = "its .rel file could not be read";
		} else if (!sasl) {
			why = "sasl is not in the release (release_handler)";
		} else {
			hot_set(pm, SET_HOT_LIBS, libs);
		}
		free(libs);
	}
	if (!why) {
		buf_reset(&path);
		buf_addf(&path, "releases/%s/relup", r->version);
		const struct small_file *f = ingest_small(in, buf_str(&path));
		struct relup ru;
		if (f && f->too_large) {
			rp_warn("%s: %s: %llu bytes, more than the %u relpkg reads: no hot upgrade to %s", in->path,
				f->name, (unsigned long long)f->size, INGEST_SMALL_MAX, r->version);
		} else if (f && relup_parse(f->data, f->len, &ru, reason, sizeof reason) < 0) {
			rp_warn("%s: %s cannot be read (%s): no hot upgrade to or from %s through it", in->path,
				f->name, reason, r->version);
		} else if (f && strcmp(ru.vsn, r->version)) {
			rp_warn("%s: %s is for version %s, not %s: not used", in->path, f->name, ru.vsn, r->version);
			relup_free(&ru);
		} else if (f) {
			hot_set(pm, SET_HOT_UP_FROM, ru.up);
			hot_set(pm, SET_HOT_DOWN_TO, ru.down);
			hot_set(pm, SET_HOT_RESTART, ru.restart);
			if (*ru.restart)
				rp_warn("%s: %s restarts the emulator for %s: those transitions are cold", in->path,
					f->name, ru.restart);
			relup_free(&ru);
		}
	}
	hot_set(pm, SET_HOT, why ? "no" : "yes");
	hot_set(pm, SET_HOT_WHY, why ? why : "");
	buf_free(&path);
}

static int make_meta(struct pkgmeta *pm, const struct buildopts *o, const struct ingest *in,
		     int64_t now, int sde_set, struct conffiles *cf)
{
	char *const *ov = o->val;
	if (o->name_from_config && check_config_name(o, in) < 0)
		return -1;
	if (recognise(in, ov[SET_NAME], ov[SET_VERSION], &pm->rel) < 0)
		return -1;
	/* every setting as given (or its default) lands in its place; what
	 * follows derives the values that need more than that */
	for (int id = 0; id < SET_COUNT; id++)
		if (ov[id])
			*pkgmeta_slot(pm, (enum setting_id)id) = pkgmeta_keep(pm, xstrdup(ov[id]));

	pm->name = pkgmeta_keep(pm, package_name(ov[SET_NAME] ? ov[SET_NAME] : pm->rel.relname,
						 ov[SET_NAME] != NULL));
	if (!pm->name)
		return -1;
	pm->upstream = pkgmeta_keep(pm, xstrdup(pm->rel.version));
	if (strchr(pm->upstream, '/') || !strcmp(pm->upstream, ".") || !strcmp(pm->upstream, ".."))
		return rp_err("version '%s' cannot name a directory", pm->upstream);
	if (o->fmt_mask & (1u << FMT_DEB)) {
		pm->deb_upstream = pkgmeta_keep(pm, version_upstream(pm->upstream, FMT_DEB));
		if (!pm->deb_upstream)
			return ov[SET_VERSION] ? (rp_err_context("--version"), rp_err_as_usage()) : -1;
	}
	if (o->fmt_mask & (1u << FMT_RPM)) {
		pm->rpm_version = pkgmeta_keep(pm, version_upstream(pm->upstream, FMT_RPM));
		if (!pm->rpm_version)
			return ov[SET_VERSION] ? (rp_err_context("--version"), rp_err_as_usage()) : -1;
	}
	pm->deb_version = pkgmeta_keep(pm, version_full(pm->epoch, pm->deb_upstream ? pm->deb_upstream :
							 pm->upstream, pm->revision));
	pm->build_time = now;
	pm->clamp_mtime = sde_set ? now : -1;
	if (!pm->user)
		pm->user = pkgmeta_keep(pm, xstrdup(pm->name));
	if (!pm->maintainer)
		pm->maintainer = pkgmeta_keep(pm, default_maintainer());
	if (!strchr(pm->maintainer, '<') || !strchr(pm->maintainer, '>') || strchr(pm->maintainer, '\n'))
		return rp_usage("--maintainer '%s': expected 'Name <email>'", pm->maintainer);
	struct buf b = BUF_INIT;
	if (!pm->summary) {
		buf_addf(&b, "%s release %s", pm->rel.kind == REL_GENERIC ? "Application" : "Erlang/OTP",
			 pm->upstream);
		pm->summary = pkgmeta_keep(pm, buf_detach(&b));
	}
	if (strchr(pm->summary, '\n'))
		return rp_usage("--summary: must be one line");
	if (!pm->description) {
		const char *kind = pm->rel.kind == REL_GENERIC ? "application" : "Erlang/OTP";
		buf_addf(&b, "The %s %s release %s (%s), packaged by relpkg. It is installed under "
			 "/opt/%s/releases/%s and runs as the %s systemd service; installing another "
			 "version of this package switches to it, and installing an older one rolls back.",
			 kind, pm->rel.relname, pm->upstream, relkind_name(pm->rel.kind), pm->name,
			 pm->upstream, pm->name);
		pm->description = pkgmeta_keep(pm, buf_detach(&b));
	}
	buf_addf(&b, "opt/%s/releases/%s", pm->name, pm->upstream);
	pm->prefix = pkgmeta_keep(pm, buf_detach(&b));

	if (make_commands(pm, ov, in) < 0 || check_commands(pm, in, ov) < 0)
		return -1;
	char **schema = pkgmeta_slot(pm, SET_SCHEMA_VERSION);
	if (!*schema)
		*schema = pkgmeta_keep(pm, infer_schema(in));
	for (int i = 0; i < HOOK_POINTS; i++)
		pm->hook[i] = pkgmeta_keep(pm, hook_lines(ov[SET_HOOK], hook_points[i]));
	hot_meta(pm, in);
	/* issue 15: --config-file (its DEST list is metadata), --changelog read once to check it */
	if (conffiles_plan(cf, pm, in) < 0)
		return -1;
	struct changelog chl;
	if (changelog_load(&chl, pm) < 0)
		return -1;
	changelog_free(&chl);
	pm->metafile = pkgmeta_keep(pm, meta_text(pm));
	const char *down = pkgmeta_get(pm, SET_MIGRATE_DOWN);
	if (down && *down && !**schema)
		rp_warn("--migrate-down without a schema version: older versions cannot be told which schema to "
			"go back to; give --schema-version");
	const char *deps = pm->depends ? pm->depends : "";
	if (!pm->rel.erts_bundled && pm->rel.kind != REL_GENERIC && !strstr(deps, "erlang"))
		warn_erts(in->path, pm->rel.erts_vsn);
	return 0;
}

/* The Erlang cookie must not be world-readable on the server: mix keeps it
 * in releases/COOKIE, relx in a vm.args line "-setcookie" (looked for by
 * ingest in the whole file, however large). */
static int holds_cookie(const struct input_entry *ie)
{
	const char *name = ie->name;
	const char *base = strrchr(name, '/');
	base = base ? base + 1 : name;
	if (!strncmp(name, "releases/", 9) && !strcmp(base, "COOKIE"))
		return 1;
	if (!strncmp(name, "releases/", 9) && !strcmp(base, "vm.args"))
		return ie->cookie;
	return 0;
}

/* The release tree under pm->prefix; in2m maps ingest -> manifest index. */
static size_t *add_release(struct manifest *m, const struct ingest *in, const struct pkgmeta *pm,
			   int rpm)
{
	size_t *in2m = xmalloc((in->n ? in->n : 1) * sizeof *in2m);
	struct buf p = BUF_INIT;
	for (size_t i = 0; i < in->n; i++) {
		const struct input_entry *ie = &in->v[i];
		in2m[i] = (size_t)-1;
		if (ie->skip)
			continue;
		buf_reset(&p);
		buf_addf(&p, "%s/%s", pm->prefix, ie->name);
		if (rpm && ie->type == E_REG && ie->size > 0xffffffffULL) {
			rp_err("%s: entry '%s': %llu bytes: the rpm payload (cpio) cannot hold a file of "
			       "4 GiB or more; build with --format deb", in->path, ie->name,
			       (unsigned long long)ie->size);
			free(in2m);
			buf_free(&p);
			return NULL;
		}
		struct entry *e = manifest_add(m, p.p, ie->type, ie->mode);
		e->flags = EF_RELEASE;
		if (ie->type == E_REG && holds_cookie(ie)) {
			e->flags |= EF_SECRET;
			e->mode = (e->mode & ~(mode_t)007) | 040;
		}
		e->size = ie->size;
		e->mtime = ie->mtime;
		if (ie->type == E_SYMLINK)
			e->target = xstrdup(ie->link);
		in2m[i] = m->n - 1;
		if (ie->type == E_HARDLINK) {
			e->link_first = in2m[ie->link_first];
			m->v[e->link_first].nlink++;
			e->target = xstrdup(m->v[e->link_first].path);
		}
	}
	buf_free(&p);
	return in2m;
}

/* issue 17: the input's names are the tails of the release's package
 * paths ("PREFIX/NAME"): the ingest keeps those, not copies. */
struct share { struct manifest *m; const struct ingest *in; const size_t *in2m; size_t skip; };
static const char *shared_name(void *ctx, size_t i)
{
	struct share *s = ctx;
	if (s->in2m[i] == (size_t)-1)   /* the stripped wrapper: not in the manifest */
		return manifest_intern(s->m, s->in->v[i].name);
	return s->m->v[s->in2m[i]].path + s->skip;
}

/* Directories the tarball does not list (relx tarballs list none): every
 * proper prefix of every entry, less those the tarball has.  In sorted
 * order, a prefix "D/" shared with the previous name was handled with
 * it, so each name adds only the prefixes past its common part with the
 * previous one: memory is the new directories themselves, never every
 * prefix of every name (a deep tree would take gigabytes).  They are
 * added sorted by path, as the writers and the inode numbers expect. */
static int cmp_entry_path(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->path, ((const struct entry *)b)->path);
}

static void add_missing_dirs(struct manifest *m, const struct ingest *in, const struct pkgmeta *pm)
{
	size_t first = m->n;
	struct buf dir = BUF_INIT, p = BUF_INIT;
	const char *prev = "";
	for (size_t k = 0; k < in->nsorted; k++) {
		const char *nm = in->v[in->sorted[k]].name;
		size_t lcp = 0;
		while (nm[lcp] && nm[lcp] == prev[lcp])
			lcp++;
		for (const char *s = strchr(nm, '/'); s; s = strchr(s + 1, '/')) {
			size_t len = (size_t)(s - nm);
			if (len < lcp)          /* "nm[0..len]/" is a prefix of prev too */
				continue;
			buf_reset(&dir);
			buf_add(&dir, nm, len);
			if (ingest_find(in, dir.p) != (size_t)-1)
				continue;
			buf_reset(&p);
			buf_addf(&p, "%s/%s", pm->prefix, dir.p);
			manifest_add(m, p.p, E_DIR, 0755);
		}
		prev = nm;
	}
	qsort(m->v + first, m->n - first, sizeof *m->v, cmp_entry_path);
	buf_free(&dir);
	buf_free(&p);
}

/* ---- output: both packages appear together, or neither ----
 *
 * The writers finish their packages in a private directory inside --out
 * (.relpkg-build-XXXXXX, same file system); publish() then renames them
 * into --out one after the other.  A failure before that leaves --out as
 * it was (an earlier package of the same version included); a failure of
 * the second rename puts the first name back as it was.  Only a SIGKILL
 * (or power loss) between the two renames can leave the new .deb next to
 * the old (or no) .rpm; the staging directory, still holding the new
 * .rpm, then remains and tells it (relpkg(1), OUTPUT). */
static char *stage_open(const char *out)
{
	struct buf b = BUF_INIT;
	buf_addf(&b, "%s/.relpkg-build-XXXXXX", out);
	if (!mkdtemp(b.p)) {
		rp_errno("cannot create a directory in %s", out);
		buf_free(&b);
		return NULL;
	}
	return buf_detach(&b);
}

/* Removes the staging directory and whatever is left in it. */
static void stage_remove(const char *dir)
{
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				unlinkat(dirfd(d), de->d_name, 0);
		closedir(d);
	}
	rmdir(dir);
}

static int publish(const char *out, const char *stage, char *const names[], int n)
{
	struct buf from = BUF_INIT, to = BUF_INIT, keep = BUF_INIT;
	int done = 0, rc = -1, existed[2] = { 0, 0 };
	for (; done < n; done++) {
		buf_reset(&from);
		buf_reset(&to);
		buf_reset(&keep);
		buf_addf(&from, "%s/%s", stage, names[done]);
		buf_addf(&to, "%s/%s", out, names[done]);
		buf_addf(&keep, "%s/%s.prev", stage, names[done]);
		/* keep the name's old file, to put it back if a later rename fails */
		if (link(to.p, keep.p) == 0)
			existed[done < 2 ? done : 1] = 1;
		else if (errno != ENOENT) {
			rp_errno("%s: cannot keep the previous file while replacing it", to.p);
			goto undo;
		}
		if (rename(from.p, to.p) < 0) {
			rp_errno("%s: rename", to.p);
			unlink(keep.p);
			goto undo;
		}
	}
	if (fsync_dir(out) < 0)
		goto undo;
	/* a rebuild of the same name and version replaces the earlier file:
	 * said, so that a package already handed out is not changed unseen */
	for (int i = 0; i < n && i < 2; i++)
		if (existed[i])
			rp_warn("%s/%s: replaced the earlier package of the same name and version (to keep both, "
				"build a new revision with --release N)", out, names[i]);
	rc = 0;
	goto out;
undo:
	while (done-- > 0) {
		buf_reset(&to);
		buf_reset(&keep);
		buf_addf(&to, "%s/%s", out, names[done]);
		buf_addf(&keep, "%s/%s.prev", stage, names[done]);
		if (rename(keep.p, to.p) < 0)
			unlink(to.p);   /* there was none before */
	}
out:
	buf_free(&from);
	buf_free(&to);
	buf_free(&keep);
	return rc;
}

static void assign_inodes(struct manifest *m)
{
	uint32_t ino = 1;
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].type != E_HARDLINK)
			m->v[i].ino = ino++;
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].type == E_HARDLINK)
			m->v[i].ino = m->v[m->v[i].link_first].ino;
}

/* issue 15: automatic dependencies, unless --no-auto-depends or
 * relpkg.conf's auto-depends = no. */
static int auto_depends_on(const struct pkgmeta *pm)
{
	const char *no = pkgmeta_get(pm, SET_NO_AUTO_DEPENDS), *on = pkgmeta_get(pm, SET_AUTO_DEPENDS);
	return !(no && !strcmp(no, "yes")) && !(on && !strcmp(on, "no"));
}

/* The user's two lists of one format, joined (deb syntax). */
static char *join_lists(const char *a, const char *b)
{
	struct buf j = BUF_INIT;
	buf_addf(&j, "%s%s%s", a && *a ? a : "", a && *a && b && *b ? ", " : "", b && *b ? b : "");
	return buf_detach(&j);
}

/* What the release's files need (src/autodeps.c), into the derived rows
 * AUTO_DEB_DEPENDS and AUTO_RPM_REQUIRES that the writers read. */
static int auto_depends(struct autodeps *ad, struct pkgmeta *pm, unsigned fmt_mask)
{
	char *du = join_lists(pm->depends, pkgmeta_get(pm, SET_DEB_DEPENDS));
	char *ru = join_lists(pm->depends, pkgmeta_get(pm, SET_RPM_REQUIRES));
	struct autodeps_want w = {
		.deb = (fmt_mask & (1u << FMT_DEB)) != 0, .rpm = (fmt_mask & (1u << FMT_RPM)) != 0,
		.self = pm->name, .deb_user = du, .rpm_user = ru, .root = "/",
	};
	char *deb = NULL, *rpm = NULL;
	int rc = autodeps_resolve(ad, &w, &deb, &rpm);
	free(du);
	free(ru);
	if (rc < 0)
		return -1;
	*pkgmeta_slot(pm, SET_AUTO_DEB_DEPENDS) = pkgmeta_keep(pm, deb);
	*pkgmeta_slot(pm, SET_AUTO_RPM_REQUIRES) = pkgmeta_keep(pm, rpm);
	return 0;
}

int cmd_build(int argc, char **argv)
{
	struct buildopts o;
	struct ingest in;
	struct pkgmeta pm;
	struct manifest m;
	struct conffiles cf = { NULL, 0 };
	struct deb_writer *dw = NULL;
	struct rpm_writer *rw = NULL;
	struct zshare *share = NULL;
	size_t *in2m = NULL;
	char *debpath = NULL, *rpmpath = NULL, *stage = NULL;
	struct atomic debout = { .fd = -1 }, rpmout = { .fd = -1 };
	int rc = -1, sde_set;

	memset(&pm, 0, sizeof pm);
	manifest_init(&m);
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			buildopts_usage(stdout);
			return 0;
		}
	if (buildopts_parse(&o, argc, argv) < 0) {
		buildopts_free(&o);
		return -1;
	}
	rp_set_quiet(o.quiet);
	int64_t now = clock_now(&sde_set);
	ingest_init(&in, o.tarball, sde_set ? now : -1);
	in.max_size = o.max_size_n;

	/* validate */
	if (check_input(o.tarball) < 0 || ingest_scan(&in) < 0)
		goto out;
	/* construct */
	if (make_meta(&pm, &o, &in, now, sde_set, &cf) < 0)
		goto out;
	if (o.val[SET_ARCH])
		arch_from_flag(o.val[SET_ARCH], &pm.deb_arch, &pm.rpm_arch);
	sysfiles_add_prefix(&m, &pm);
	in2m = add_release(&m, &in, &pm, (o.fmt_mask & (1u << FMT_RPM)) != 0);
	if (!in2m)
		goto out;
	struct share sh = { &m, &in, in2m, strlen(pm.prefix) + 1 };
	ingest_borrow_names(&in, shared_name, &sh);
	manifest_index(&m);
	add_missing_dirs(&m, &in, &pm);
	if (sysfiles_add(&m, &pm) < 0)
		goto out;
	manifest_index(&m);
	conffiles_add(&cf, &m, &pm, in2m);      /* issue 15: --config-file */
	manifest_index(&m);
	assign_inodes(&m);

	/* emit */
	const char *outdir = o.val[SET_OUT];
	if (mkdir_p(outdir) < 0)
		goto out;
	stage = stage_open(outdir);
	if (!stage)
		goto out;
	struct pkgwriter *ws[2];
	int nw = 0;
	struct payload_job job = { .in = &in, .m = &m, .in2m = in2m, .w = ws };
	job.ad = auto_depends_on(&pm) ? autodeps_new() : NULL;
	if (o.fmt_mask & (1u << FMT_DEB)) {
		dw = deb_writer_new(&pm, stage, o.comp, o.level_n);
		if (!dw)
			goto out;
		ws[nw++] = deb_writer_base(dw);
		job.want_md5 = 1;
	}
	if (o.fmt_mask & (1u << FMT_RPM)) {
		rw = rpm_writer_new(&pm, stage, o.comp, o.level_n);
		if (!rw)
			goto out;
		ws[nw++] = rpm_writer_base(rw);
		job.want_sha256 = 1;
	}
	job.nw = nw;
	if (dw && rw) {         /* compress once, frame twice (zsink.h) */
		share = zshare_new(2);
		deb_writer_share(dw, share);
		rpm_writer_share(rw, share);
	}
	uint64_t total = 0;
	for (size_t i = 0; i < in.n; i++)
		if (!in.v[i].skip && in.v[i].type == E_REG)
			total += in.v[i].size;
	progress_start(total, in.n, o.quiet);
	malloc_trim(0);         /* the scan's freed names and buffers: given back before the long part */
	if (payload_run(&job) < 0) {
		elfarch_free(&job.arch);
		autodeps_free(job.ad);
		goto out;
	}
	if (!o.val[SET_ARCH] && elfarch_names(&job.arch, &pm.deb_arch, &pm.rpm_arch) < 0) {
		rp_err_context("%s", o.tarball);
		elfarch_free(&job.arch);
		autodeps_free(job.ad);
		goto out;
	}
	elfarch_free(&job.arch);
	if (job.ad) {
		int arc = auto_depends(job.ad, &pm, o.fmt_mask);
		autodeps_free(job.ad);
		if (arc < 0)
			goto out;
	}
	if (dw)
		progress_step("deb: control.tar.gz, md5sums, ar archive");
	if (dw && deb_writer_finish(dw, &m, &debout) < 0)
		goto out;
	if (rw)
		progress_step("rpm: header, digests, signature");
	if (rw && rpm_writer_finish(rw, &m, &rpmout) < 0)
		goto out;
	/* both written, their writeback running: now wait for the disk */
	if (debout.fd >= 0) {
		debpath = xstrdup(debout.name);
		if (atomic_commit(&debout) < 0)
			goto out;
	}
	if (rpmout.fd >= 0) {
		rpmpath = xstrdup(rpmout.name);
		if (atomic_commit(&rpmout) < 0)
			goto out;
	}
	progress_end();
	char *names[2];
	int nn = 0;
	if (debpath)
		names[nn++] = debpath;
	if (rpmpath)
		names[nn++] = rpmpath;
	if (publish(outdir, stage, names, nn) < 0)
		goto out;
	if (!o.quiet) {
		if (debpath)
			printf("%s/%s\n", outdir, debpath);
		if (rpmpath)
			printf("%s/%s\n", outdir, rpmpath);
	}
	rc = 0;
out:
	progress_end();
	if (debout.fd >= 0)
		atomic_abort(&debout);
	if (rpmout.fd >= 0)
		atomic_abort(&rpmout);
	deb_writer_free(dw);
	rpm_writer_free(rw);
	zshare_free(share);   /* after both sinks: they hold units of it */
	if (stage)
		stage_remove(stage);
	free(stage);
	free(debpath);
	free(rpmpath);
	free(in2m);
	manifest_free(&m);
	conffiles_free(&cf);
	pkgmeta_free(&pm);
	ingest_free(&in);
	buildopts_free(&o);
	return rc;
}
