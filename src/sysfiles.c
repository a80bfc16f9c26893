/* sysfiles.c — see sysfiles.h. */
#include "sysfiles.h"
#include "buf.h"
#include "error.h"
#include "hooks.h"
#include "changelog.h"     /* issue 15: --changelog */

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

void sysfiles_add_prefix(struct manifest *m, const struct pkgmeta *pm)
{
	manifest_add_dirs(m, "opt", EF_RPM_UNOWNED);
	manifest_add_dirs(m, pm->prefix, 0);
}

/* systemd treats '%' as a specifier in unit settings */
static void add_unit_escaped(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '%')
			buf_adds(b, "%%");
		else
			buf_addc(b, *s);
	}
}

/* The sandbox, described once.  The unit gets the SB_UNIT rows; the
 * maintainer scripts get the SB_TASK rows (hook token @SANDBOX@) and pass
 * each as `systemd-run -p KEY=VALUE` when they run anything as the service
 * user (a migration, a health command), so that it runs confined exactly
 * like the service.  In values, %N is the package name and %U the
 * service user (both validated: no '%', no white space).
 *
 * Left out, on purpose (relpkg(1), "THE UNIT", says the same):
 *   MemoryDenyWriteExecute  kept for OTP releases only: the BEAM JIT (OTP 24
 *                           and later) maps its code twice, writable and
 *                           executable, never both, which this allows;
 *                           a generic release may be a JVM, node or anything
 *                           else that needs memory both at once.
 *   PrivateNetwork, IPAddressDeny  the service answers on the network.
 *   PrivateUsers            a unit with it does not start where user
 *                           namespaces are disabled (user.max_user_namespaces=0
 *                           on hardened hosts); it would gain 0.2 points.
 *   SystemCallFilter=~@privileged ~@resources  chown(2), setrlimit(2),
 *                           sched_setaffinity(2) are ordinary for releases
 *                           (the BEAM binds schedulers, raises its limits).
 *   DynamicUser             the user owns persistent state and must keep
 *                           its uid across versions and removals. */
enum { SB_UNIT = 1, SB_TASK = 2, SB_BOTH = SB_UNIT | SB_TASK, SB_OTP_ONLY = 4 };

static const struct sandbox_prop {
	const char *key, *value;
	unsigned where;
} sandbox[] = {
	{ "User", "%U", SB_BOTH },
	{ "Group", "%U", SB_BOTH },
	/* a task runs where the scripts say (a migration in its release tree):
	 * a second WorkingDirectory= would override theirs */
	{ "WorkingDirectory", "/var/lib/%N", SB_UNIT },
	{ "EnvironmentFile", "-/etc/%N/%N.env", SB_BOTH },
	/* the file system: everything read-only but the app's own directories */
	{ "ProtectSystem", "strict", SB_BOTH },
	{ "StateDirectory", "%N", SB_UNIT },
	{ "StateDirectoryMode", "0750", SB_UNIT },
	{ "LogsDirectory", "%N", SB_UNIT },
	{ "LogsDirectoryMode", "0750", SB_UNIT },
	{ "RuntimeDirectory", "%N", SB_UNIT },
	{ "RuntimeDirectoryMode", "0750", SB_UNIT },
	/* a transient task next to the running service: its own
	 * StateDirectory= would compete with the service's for the same
	 * directories (and /run/NAME is the service's, gone while it is
	 * stopped); the directories exist, the scripts made them */
	{ "ReadWritePaths", "/var/lib/%N /var/log/%N", SB_TASK },
	{ "ProtectHome", "yes", SB_BOTH },
	{ "PrivateTmp", "yes", SB_BOTH },
	{ "PrivateDevices", "yes", SB_BOTH },
	{ "PrivateMounts", "yes", SB_BOTH },
	{ "UMask", "0027", SB_BOTH },
	/* no way up */
	{ "NoNewPrivileges", "yes", SB_BOTH },
	{ "CapabilityBoundingSet", "", SB_BOTH },
	{ "AmbientCapabilities", "", SB_BOTH },
	{ "RestrictSUIDSGID", "yes", SB_BOTH },
	{ "RemoveIPC", "yes", SB_BOTH },
	/* the kernel's own interfaces */
	{ "ProtectKernelTunables", "yes", SB_BOTH },
	{ "ProtectKernelModules", "yes", SB_BOTH },
	{ "ProtectKernelLogs", "yes", SB_BOTH },
	{ "ProtectControlGroups", "yes", SB_BOTH },
	{ "ProtectClock", "yes", SB_BOTH },
	{ "ProtectHostname", "yes", SB_BOTH },
	{ "ProtectProc", "invisible", SB_BOTH },
	{ "ProcSubset", "pid", SB_BOTH },
	{ "RestrictNamespaces", "yes", SB_BOTH },
	{ "RestrictRealtime", "yes", SB_BOTH },
	{ "LockPersonality", "yes", SB_BOTH },
	{ "MemoryDenyWriteExecute", "yes", SB_BOTH | SB_OTP_ONLY },
	/* AF_NETLINK: getifaddrs(3) (inet:getifaddrs/1, glibc's
	 * getaddrinfo with AI_ADDRCONFIG) asks the kernel over netlink */
	{ "RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6 AF_NETLINK", SB_BOTH },
	{ "SystemCallArchitectures", "native", SB_BOTH },
	{ "SystemCallFilter", "@system-service", SB_BOTH },
	/* a refused call fails with EPERM instead of killing the process */
	{ "SystemCallErrorNumber", "EPERM", SB_BOTH },
};

/* Row p belongs in the unit (SB_UNIT) or the task (SB_TASK) of pm. */
static int sb_wanted(const struct sandbox_prop *p, unsigned what, const struct pkgmeta *pm)
{
	if ((p->where & SB_OTP_ONLY) && pm->rel.kind == REL_GENERIC)
		return 0;
	return (p->where & what) != 0;
}

/* KEY=VALUE of row p, %N and %U expanded */
static void add_prop(struct buf *b, const struct sandbox_prop *p, const struct pkgmeta *pm)
{
	buf_addf(b, "%s=", p->key);
	for (const char *v = p->value; *v; v++) {
		if (v[0] == '%' && v[1] == 'N') {
			buf_adds(b, pm->name);
			v++;
		} else if (v[0] == '%' && v[1] == 'U') {
			buf_adds(b, pm->user);
			v++;
		} else {
			buf_addc(b, *v);
		}
	}
}

void sysfiles_sandbox(struct buf *out, const struct pkgmeta *pm)
{
	for (size_t i = 0; i < sizeof sandbox / sizeof *sandbox; i++) {
		if (!sb_wanted(&sandbox[i], SB_TASK, pm))
			continue;
		if (out->len)
			buf_addc(out, '\n');
		add_prop(out, &sandbox[i], pm);
	}
}

static int bluegreen(const struct pkgmeta *pm);
static char *bg_unit(const struct pkgmeta *pm);
static void bg_add(struct manifest *m, const struct pkgmeta *pm);
/* The package can be upgraded hot (relpkg-meta(5), HOT): cmd_build.c decides. */
int sysfiles_hot(const struct pkgmeta *pm)
{
	const char *h = pkgmeta_get(pm, SET_HOT);
	return h && !strcmp(h, "yes");
}

char *sysfiles_unit(const struct pkgmeta *pm)
{
	if (bluegreen(pm))
		return bg_unit(pm);
	struct buf b = BUF_INIT;
	const char *n = pm->name;
	buf_addf(&b, "# Generated by relpkg for %s.  Local changes belong in a drop-in:\n"
		 "#   systemctl edit %s.service\n", n, n);
	buf_adds(&b, "[Unit]\nDescription=");
	add_unit_escaped(&b, pm->summary);
	buf_adds(&b, "\nAfter=network.target\n\n[Service]\nType=simple\n");
	buf_addf(&b, "Environment=HOME=/var/lib/%s\n", n);
	if (pm->rel.kind != REL_GENERIC) {
		/* keep the read-only release tree read-only: runtime files go elsewhere */
		buf_addf(&b, "Environment=RELEASE_TMP=/run/%s\n", n);
		buf_addf(&b, "Environment=RELX_OUT_FILE_PATH=/run/%s\n", n);
		buf_addf(&b, "Environment=RUNNER_LOG_DIR=/var/log/%s\n", n);
		buf_addf(&b, "Environment=PIPE_DIR=/run/%s/pipe/\n", n);
	}
	/* '+': as root, outside the sandbox; refuses to start a version on a
	 * schema not its own (relpkg-state(5)) */
	buf_addf(&b, "ExecStartPre=+/opt/%s/relpkg-guard\n", n);
	int hot = sysfiles_hot(pm);
	if (hot) {
		/* hot upgrades (issue 13): release_handler's RELDIR is runtime
		 * state, rebuilt at each start by the service user; a node can
		 * end with exit status 0 after a failed upgrade: always restart */
		buf_addf(&b, "Environment=RELDIR=/run/%s/releases\n", n);
		buf_addf(&b, "ExecStartPre=/opt/%s/relpkg-reldir\n", n);
	}
	buf_adds(&b, "ExecStart=");
	add_unit_escaped(&b, pm->start_cmd);
	buf_addf(&b, "\nRestart=%s\nRestartSec=2\nTimeoutStopSec=60\n", hot ? "always" : "on-failure");
	buf_adds(&b, "# The sandbox (the maintainer scripts run migrations and health\n"
		 "# commands in the same one); relpkg(1) says why each setting is there.\n");
	for (size_t i = 0; i < sizeof sandbox / sizeof *sandbox; i++) {
		if (!sb_wanted(&sandbox[i], SB_UNIT, pm))
			continue;
		add_prop(&b, &sandbox[i], pm);
		buf_addc(&b, '\n');
	}
	buf_adds(&b, "\n[Install]\nWantedBy=multi-user.target\n");
	return buf_detach(&b);
}

size_t gzip_max(const void *p, size_t n, char **out)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
	size_t cap = deflateBound(&z, (uLong)n) + 64;
	*out = xmalloc(cap);
	z.next_in = (unsigned char *)p;
	z.avail_in = (uInt)n;
	z.next_out = (unsigned char *)*out;
	z.avail_out = (uInt)cap;
	deflate(&z, Z_FINISH);
	size_t len = cap - z.avail_out;
	deflateEnd(&z);
	return len;
}

static void add_dir(struct manifest *m, const char *path, unsigned flags)
{
	manifest_add_dirs(m, path, flags);
}

int sysfiles_add(struct manifest *m, const struct pkgmeta *pm)
{
	struct buf path = BUF_INIT, text = BUF_INIT;
	const char *n = pm->name;

	/* /etc/NAME/NAME.env: 0640 root:USER, it is where secrets go (EF_SECRET
	 * makes the group the service user's).  Its text is byte for byte what
	 * every earlier relpkg wrote, and must stay so: dpkg compares a
	 * conffile's packaged text across versions, and a change makes it ask
	 * about every locally edited copy -- and fail at the prompt without a
	 * terminal ("end of file on stdin at conffile prompt").  The PORT line
	 * is only an example (relpkg(1), "THE UNIT" and "THE ERLANG COOKIE",
	 * say what belongs there). */
	add_dir(m, "etc", EF_RPM_UNOWNED);
	buf_addf(&path, "etc/%s", n);
	add_dir(m, path.p, 0);
	buf_addf(&path, "/%s.env", n);
	buf_addf(&text,
		 "# Environment of the %s service (read by systemd: KEY=value lines).\n"
		 "# This file is yours: upgrades and downgrades of the package keep it.\n"
		 "#PORT=4000\n", n);
	manifest_add_file(m, path.p, 0640, text.p, text.len, EF_CONFIG | EF_SECRET);

	/* the unit's start guard: root runs it (ExecStartPre=+), so it lives
	 * where only root can write */
	buf_reset(&path);
	buf_addf(&path, "opt/%s/relpkg-guard", n);
	char *guard = hooks_render("guard.sh", pm, FMT_DEB);
	if (!guard) {
		buf_free(&path);
		buf_free(&text);
		return -1;
	}
	manifest_add_file(m, path.p, 0755, guard, strlen(guard), 0);
	free(guard);
	if (sysfiles_hot(pm)) {
		/* the unit's start-up step of hot upgrades: root's file, run as
		 * the service user */
		buf_reset(&path);
		buf_addf(&path, "opt/%s/relpkg-reldir", n);
		char *rd = hooks_render("reldir.sh", pm, FMT_DEB);
		if (!rd) {
			buf_free(&path);
			buf_free(&text);
			return -1;
		}
		manifest_add_file(m, path.p, 0755, rd, strlen(rd), 0);
		free(rd);
	}

	/* the unit */
	add_dir(m, "lib", EF_RPM_UNOWNED);
	add_dir(m, "lib/systemd", EF_RPM_UNOWNED);
	add_dir(m, "lib/systemd/system", EF_RPM_UNOWNED);
	buf_reset(&path);
	buf_addf(&path, bluegreen(pm) ? "lib/systemd/system/%s@.service" : "lib/systemd/system/%s.service", n);
	char *unit = sysfiles_unit(pm);
	manifest_add_file(m, path.p, 0644, unit, strlen(unit), 0);
	free(unit);
	if (bluegreen(pm))
		bg_add(m, pm);

	/* documentation: deb in /usr/share/doc, rpm's %license in /usr/share/licenses */
	add_dir(m, "usr", EF_RPM_UNOWNED);
	add_dir(m, "usr/share", EF_RPM_UNOWNED);
	add_dir(m, "usr/share/doc", EF_RPM_UNOWNED);
	buf_reset(&path);
	buf_addf(&path, "usr/share/doc/%s", n);
	add_dir(m, path.p, EF_DEB_ONLY);
	buf_reset(&text);
	buf_addf(&text, "%s %s\n\nThis package was generated by relpkg from the %s release %s (%s).\n"
		 "Its copyright holders are the authors of that release.\n",
		 n, pm->upstream, pm->rel.relname, pm->upstream, relkind_name(pm->rel.kind));
	if (pm->url)
		buf_addf(&text, "Upstream: %s\n", pm->url);
	buf_addf(&text, "License: %s\n", pm->license ? pm->license : "unknown (not given to relpkg --license)");
	buf_adds(&path, "/copyright");
	manifest_add_file(m, path.p, 0644, text.p, text.len, EF_DEB_ONLY);
	add_dir(m, "usr/share/licenses", EF_RPM_UNOWNED | EF_RPM_ONLY);
	buf_reset(&path);
	buf_addf(&path, "usr/share/licenses/%s", n);
	add_dir(m, path.p, EF_RPM_ONLY);
	buf_adds(&path, "/copyright");
	manifest_add_file(m, path.p, 0644, text.p, text.len, EF_RPM_ONLY | EF_LICENSE);

	/* the per-version metadata other versions' scripts read (relpkg-meta(5)) */
	buf_reset(&path);
	buf_addf(&path, "opt/%s/meta", n);
	add_dir(m, path.p, 0);
	buf_addf(&path, "/%s.meta", pm->upstream);
	manifest_add_file(m, path.p, 0644, pm->metafile, strlen(pm->metafile), 0);

	/* issue 15: --changelog's entries, or the one generated (src/changelog.c) */
	struct changelog chl;
	if (changelog_load(&chl, pm) < 0) {
		buf_free(&path);
		buf_free(&text);
		return -1;
	}
	char *cltext = changelog_debian(&chl, n);
	changelog_free(&chl);
	char *gz;
	size_t gzlen = gzip_max(cltext, strlen(cltext), &gz);
	free(cltext);
	buf_reset(&path);
	buf_addf(&path, "usr/share/doc/%s/changelog.Debian.gz", n);
	manifest_add_file(m, path.p, 0644, gz, gzlen, EF_DEB_ONLY);
	free(gz);

	/* lintian overrides, each with its reason */
	add_dir(m, "usr/share/lintian", EF_RPM_UNOWNED | EF_DEB_ONLY);
	add_dir(m, "usr/share/lintian/overrides", EF_RPM_UNOWNED | EF_DEB_ONLY);
	buf_reset(&path);
	buf_addf(&path, "usr/share/lintian/overrides/%s", n);
	buf_reset(&text);
	buf_addf(&text,
		 "# Add-on application software: the FHS reserves /opt for it, and the\n"
		 "# versioned tree /opt/%s/releases/VERSION is what makes rollback cheap.\n"
		 "%s: dir-or-file-in-opt\n"
		 "# The maintainer scripts stop, switch and start the service themselves, the\n"
		 "# same way for .deb and .rpm, and must not depend on relpkg on the server.\n"
		 "%s: maintainer-script-calls-systemctl\n"
		 "# An add-on package built from a release, not an upload to Debian: no ITP bug.\n"
		 "%s: initial-upload-closes-no-bugs\n"
		 "# relpkg cannot know the release's copyright holders or years; the\n"
		 "# copyright file names the release and its licence (--license).\n"
		 "%s: copyright-without-copyright-notice\n"
		 "# The env file is where secrets go (the Erlang cookie): readable by root\n"
		 "# and the service user only (0640 root:SERVICE-USER).\n"
		 "%s: non-standard-file-perm 0640 != 0644 [etc/%s/%s.env]\n"
		 "# RELEASE_TMP=/tmp is given to tasks that run in the service's sandbox,\n"
		 "# with PrivateTmp=yes: a /tmp of their own, not the system's.\n"
		 "%s: possibly-insecure-handling-of-tmp-files-in-maintainer-script /tmp [*]\n",
		 n, n, n, n, n, n, n, n, n);
	if (pkgmeta_get(pm, SET_SIGN_KEY))      /* issue 15: --sign-key */
		buf_addf(&text,
			 "# --sign-key: the debsigs origin signature, an ar member after data.tar\n"
			 "# (deb(5) reserves names starting with '_' for it; dpkg ignores it).\n"
			 "%s: misplaced-extra-member-in-deb _gpgorigin *\n", n);
	/* issue 15: --config-file: secrets may be there too (src/conffiles.c) */
	const char *cfl = pkgmeta_get(pm, SET_CONF_FILES);
	for (const char *c = cfl; c && *c;) {
		int l = (int)strcspn(c, "\n");
		buf_addf(&text, "# --config-file %.*s: root:%s 0640 like the env file; its packaged text in\n"
			 "# /opt/%s/conf-default is what the scripts compare a local edit with.\n"
			 "%s: non-standard-file-perm 0640 != 0644 [etc/%s/%.*s]\n"
			 "%s: non-standard-file-perm 0640 != 0644 [opt/%s/conf-default/%.*s]\n",
			 l, c, pm->user, n, n, n, l, c, n, n, l, c);
		c += l;
		if (*c)
			c++;
	}
	manifest_add_file(m, path.p, 0644, text.p, text.len, EF_DEB_ONLY);

	buf_free(&path);
	buf_free(&text);
	return 0;
}

/* --- blue-green (issue 14) ---
 *
 * --switch blue-green: instead of NAME.service, the template NAME@.service
 * with two instances, the slots NAME@blue and NAME@green.  Each slot runs
 * the version its link /opt/NAME/slots/SLOT points at (made by the
 * maintainer scripts), with its own runtime directory /run/NAME/SLOT
 * (RELEASE_TMP of a BEAM release) and the environment of
 * /opt/NAME/slot-env/SLOT (root's, in the package): the port variable
 * (--port-env) set to the slot's port, RELPKG_SLOT, and for a mix release
 * its own node name RELEASE_NODE.  That file is read after the user's env
 * file, so the slot's port wins over a PORT= there. */

static const char *const bg_slots[2] = { "blue", "green" };

static int bluegreen(const struct pkgmeta *pm)
{
	const char *sw = pkgmeta_get(pm, SET_SWITCH);
	return sw && !strcmp(sw, "blue-green");
}

/* s, '%'-escaped, with every "/opt/NAME/current/" as "/opt/NAME/slots/%i/" */
static void add_slot_cmd(struct buf *b, const char *s, const char *name)
{
	struct buf cur = BUF_INIT;
	buf_addf(&cur, "/opt/%s/current/", name);
	for (;;) {
		const char *at = strstr(s, cur.p);
		if (!at) {
			add_unit_escaped(b, s);
			break;
		}
		char *head = xstrndup(s, (size_t)(at - s));
		add_unit_escaped(b, head);
		free(head);
		buf_addf(b, "/opt/%s/slots/%%i/", name);
		s = at + cur.len;
	}
	buf_free(&cur);
}

static char *bg_unit(const struct pkgmeta *pm)
{
	struct buf b = BUF_INIT;
	const char *n = pm->name;
	buf_addf(&b, "# Generated by relpkg for %s (--switch blue-green): the slots %s@blue and\n"
		 "# %s@green.  Local changes belong in a drop-in:\n"
		 "#   systemctl edit %s@.service\n", n, n, n, n);
	buf_adds(&b, "[Unit]\nDescription=");
	add_unit_escaped(&b, pm->summary);
	buf_adds(&b, " (slot %i)\nAfter=network.target\n\n[Service]\nType=simple\n");
	buf_addf(&b, "Environment=HOME=/var/lib/%s\n", n);
	if (pm->rel.kind != REL_GENERIC) {
		buf_addf(&b, "Environment=RELEASE_TMP=/run/%s/%%i\n", n);
		buf_addf(&b, "Environment=RELX_OUT_FILE_PATH=/run/%s/%%i\n", n);
		buf_addf(&b, "Environment=RUNNER_LOG_DIR=/var/log/%s\n", n);
		buf_addf(&b, "Environment=PIPE_DIR=/run/%s/%%i/pipe/\n", n);
	}
	buf_addf(&b, "ExecStartPre=+/opt/%s/relpkg-guard %%i\n", n);
	buf_adds(&b, "ExecStart=");
	add_slot_cmd(&b, pm->start_cmd, n);
	buf_adds(&b, "\nRestart=on-failure\nRestartSec=2\nTimeoutStopSec=60\n");
	buf_adds(&b, "# The sandbox (the maintainer scripts run migrations and health\n"
		 "# commands in the same one); relpkg(1) says why each setting is there.\n");
	for (size_t i = 0; i < sizeof sandbox / sizeof *sandbox; i++) {
		if (!sb_wanted(&sandbox[i], SB_UNIT, pm))
			continue;
		if (!strcmp(sandbox[i].key, "RuntimeDirectory")) {
			/* one per slot: a slot that stops removes its own only */
			buf_addf(&b, "RuntimeDirectory=%s/%%i\n", n);
			continue;
		}
		add_prop(&b, &sandbox[i], pm);
		buf_addc(&b, '\n');
	}
	buf_addf(&b, "# the slot's port and names; after the env file, so that they win\n"
		 "EnvironmentFile=/opt/%s/slot-env/%%i\n", n);
	buf_adds(&b, "\n[Install]\nWantedBy=multi-user.target\n");
	return buf_detach(&b);
}

static void bg_add(struct manifest *m, const struct pkgmeta *pm)
{
	struct buf path = BUF_INIT, text = BUF_INIT;
	const char *ports = pkgmeta_get(pm, SET_SLOT_PORTS);
	const char *var = pkgmeta_get(pm, SET_PORT_ENV);
	buf_addf(&path, "opt/%s/slot-env", pm->name);
	manifest_add_dirs(m, path.p, 0);
	for (int i = 0; i < 2; i++) {
		size_t cut = strcspn(ports, ",");
		const char *port = i ? ports + cut + 1 : ports;
		int plen = i ? (int)strlen(port) : (int)cut;
		buf_reset(&text);
		buf_addf(&text, "# The environment of the slot %s@%s (relpkg, --switch blue-green).\n"
			 "%s=%.*s\nRELPKG_SLOT=%s\n", pm->name, bg_slots[i], var, plen, port, bg_slots[i]);
		if (pm->rel.kind == REL_MIX)
			buf_addf(&text, "RELEASE_NODE=%s_%s\n", pm->rel.relname, bg_slots[i]);
		buf_reset(&path);
		buf_addf(&path, "opt/%s/slot-env/%s", pm->name, bg_slots[i]);
		manifest_add_file(m, path.p, 0644, text.p, text.len, 0);
	}
	buf_free(&path);
	buf_free(&text);
}
