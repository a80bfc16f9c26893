/* settings.h — every setting of `relpkg build`, one row each.
 *
 * A row says everything the plumbing needs to know about a setting: its
 * flag and the flag's argument, its relpkg.conf key, its --help line, its
 * default, how its value is checked, the pkgmeta field that holds its
 * packaged value, the key that carries it in the per-version metadata
 * file (relpkg-meta(5)) and the token that carries it into the
 * maintainer scripts.  The command line and relpkg.conf (buildopts.c),
 * --help, make_meta and the metadata writer (cmd_build.c) and the token
 * lookup (hooks.c) all walk this table, so a setting without behaviour of
 * its own is one row; one with behaviour is one row plus that code.
 *
 * A row without a flag is a value the build derives (DEB_VERSION,
 * DAEMON_CMD): it is a row so that the metadata file and the scripts'
 * variables are written from this table alone.  The table order is the
 * order of --help and of the metadata file (format 2: the keys that exist
 * keep their place; a new one goes last).
 *
 * BUILD_SETTINGS(X) calls X(ID, field initialisers) once per row: one
 * line gives both the id SET_ID (enum setting_id) and the row
 * settings[SET_ID].  Fields left out are NULL / 0. */
#ifndef RELPKG_SETTINGS_H
#define RELPKG_SETTINGS_H

#include <stddef.h>

/* How a value is checked (buildopts.c, check_setting), given or default. */
enum setting_check {
	CHK_ANY,                /* any text */
	CHK_OUTDIR,             /* not empty */
	CHK_FORMATS,            /* deb, rpm or deb,rpm -> buildopts.fmt_mask */
	CHK_PKGNAME,            /* a package name's characters */
	CHK_NONEMPTY,
	CHK_RELEASE,            /* version_check_release */
	CHK_EPOCH,              /* version_check_epoch */
	CHK_ARCH,               /* arch_from_flag */
	CHK_COMPRESSION,        /* -> buildopts.comp (and the default level) */
	CHK_LEVEL,              /* -> buildopts.level_n; after the compression */
	CHK_SCHEMA,             /* letters, digits . _ - + ~ */
	CHK_USER,               /* a system user name */
	CHK_HTTP_URL,           /* http://... or https://... */
	CHK_SECONDS,            /* 1 to 86400 */
	CHK_HOOKS,              /* POINT:CMD lines, POINT from hook_points[] */
	CHK_SIZE,               /* bytes with K M G T suffixes -> buildopts.max_size_n */
	/* blue-green (issue 14) */
	CHK_SWITCH,             /* cold or blue-green */
	CHK_ENVNAME,            /* an environment variable's name */
	CHK_PORTS,              /* two different TCP ports: P1,P2 */
	CHK_SOCKET,             /* an absolute path without white space or '%' */
	CHK_BOOL,               /* yes/no, true/false, 1/0, on/off -> "yes" or "no" */
	CHK_SIGNKEY,            /* a gpg key id (sign_keyid_ok) */
	CHK_DEPS,               /* a dependency list (deps_parse) */
};

struct setting {
	const char *flag;       /* --FLAG; NULL: derived, not a flag */
	const char *arg;        /* the flag's argument in --help */
	const char *conf;       /* relpkg.conf key; NULL: not in the file */
	const char *help;       /* the --help line */
	const char *def;        /* when neither flag nor file gives one; NULL: none (or derived) */
	enum setting_check check;
	int repeat;             /* the flag may be given more than once: lines joined with '\n' */
	size_t pm;              /* offsetof its struct pkgmeta field (read by name elsewhere);
	                         * 0: the value is in pkgmeta.val[SET_ID] */
	const char *meta;       /* relpkg-meta(5) key; NULL: not in the file */
	const char *token;      /* hook token @TOKEN@ and variable RP_TOKEN; NULL: none */
	int noarg;              /* a switch: --FLAG takes no value and means "yes" */
};

/* PM(field): the pkgmeta field a row's value lands in (settings.c only). */
#define BUILD_SETTINGS(X) \
	X(OUT, .flag = "out", .arg = "DIR", .conf = "out", .def = "dist", .check = CHK_OUTDIR, \
	  .help = "output directory (default ./dist)") \
	X(FORMAT, .flag = "format", .arg = "LIST", .conf = "format", .def = "deb,rpm", .check = CHK_FORMATS, \
	  .help = "deb, rpm or deb,rpm (default deb,rpm)") \
	X(NAME, .flag = "name", .arg = "NAME", .conf = "name", .check = CHK_PKGNAME, \
	  .help = "package name (default: the release's name)", \
	  .pm = PM(name), .meta = "NAME", .token = "NAME") \
	X(VERSION, .flag = "version", .arg = "VERSION", .conf = "version", .check = CHK_NONEMPTY, \
	  .help = "upstream version (default: the release's version)", \
	  .pm = PM(upstream), .meta = "VERSION", .token = "VERSION") \
	X(RELEASE, .flag = "release", .arg = "N", .conf = "release", .def = "1", .check = CHK_RELEASE, \
	  .help = "package revision: the N of VERSION-N (default 1; not pin --release)", .pm = PM(revision)) \
	X(EPOCH, .flag = "epoch", .arg = "N", .conf = "epoch", .check = CHK_EPOCH, \
	  .help = "package epoch (default none)", .pm = PM(epoch)) \
	X(DEB_VERSION, .pm = PM(deb_version), .meta = "DEB_VERSION") \
	X(RELNAME, .pm = PM(rel.relname), .token = "RELNAME") \
	X(ARCH, .flag = "arch", .arg = "ARCH", .conf = "arch", .check = CHK_ARCH, \
	  .help = "architecture (default: from the ELF files inside)") \
	X(COMPRESSION, .flag = "compression", .arg = "ALGO", .conf = "compression", .def = "gzip", \
	  .check = CHK_COMPRESSION, .help = "payload compression: gzip (default), xz, zstd, none") \
	X(LEVEL, .flag = "level", .arg = "N", .conf = "level", .check = CHK_LEVEL, \
	  .help = "compression level (default gzip 6, xz 6, zstd 3)") \
	X(MAINTAINER, .flag = "maintainer", .arg = "'NAME <EMAIL>'", .conf = "maintainer", \
	  .help = "package maintainer (default $DEBFULLNAME <$DEBEMAIL>)", .pm = PM(maintainer)) \
	X(SUMMARY, .flag = "summary", .arg = "TEXT", .conf = "summary", \
	  .help = "one-line description", .pm = PM(summary)) \
	X(DESCRIPTION, .flag = "description", .arg = "TEXT", .conf = "description", \
	  .help = "long description (paragraphs separated by blank lines)", .pm = PM(description)) \
	X(URL, .flag = "url", .arg = "URL", .conf = "url", \
	  .help = "project home page", .pm = PM(url)) \
	X(LICENSE, .flag = "license", .arg = "LICENSE", .conf = "license", \
	  .help = "licence of the release (default: unknown)", .pm = PM(license)) \
	X(SECTION, .flag = "section", .arg = "SECTION", .conf = "section", .def = "misc", \
	  .help = "deb section (default misc)", .pm = PM(section)) \
	X(PRIORITY, .flag = "priority", .arg = "PRIORITY", .conf = "priority", .def = "optional", \
	  .help = "deb priority (default optional)", .pm = PM(priority)) \
	X(DEPENDS, .flag = "depends", .arg = "LIST", .conf = "depends", \
	  .help = "dependencies, comma-separated, deb syntax: 'libssl3 (>= 3.0), adduser'", .pm = PM(depends)) \
	X(CONFLICTS, .flag = "conflicts", .arg = "LIST", .conf = "conflicts", \
	  .help = "conflicting packages, comma-separated", .pm = PM(conflicts)) \
	X(PROVIDES, .flag = "provides", .arg = "LIST", .conf = "provides", \
	  .help = "virtual packages provided, comma-separated", .pm = PM(provides)) \
	X(SCHEMA_VERSION, .flag = "schema-version", .arg = "V", .conf = "schema-version", .check = CHK_SCHEMA, \
	  .help = "this version's schema (default: newest priv/repo/migrations/ timestamp)", \
	  .meta = "SCHEMA_VERSION", .token = "SCHEMA") \
	X(MIGRATE_UP, .flag = "migrate-up", .arg = "CMD", .conf = "migrate-up", \
	  .help = "brings the database to this version's schema (install, upgrade)", \
	  .meta = "MIGRATE_UP", .token = "MIGRATE_UP") \
	X(MIGRATE_DOWN, .flag = "migrate-down", .arg = "CMD", .conf = "migrate-down", \
	  .help = "takes the database back to $RELPKG_SCHEMA_TARGET (downgrade from this version)", \
	  .meta = "MIGRATE_DOWN", .token = "MIGRATE_DOWN") \
	X(USER, .flag = "user", .arg = "USER", .conf = "user", .check = CHK_USER, \
	  .help = "service user and group (default: the package name)", \
	  .pm = PM(user), .meta = "SERVICE_USER", .token = "USER") \
	X(START_CMD, .flag = "start-cmd", .arg = "CMD", .conf = "start-cmd", \
	  .help = "foreground start command (default: bin/NAME foreground|start)", \
	  .pm = PM(start_cmd), .meta = "START_CMD", .token = "START_CMD") \
	X(STOP_CMD, .flag = "stop-cmd", .arg = "CMD", .conf = "stop-cmd", \
	  .help = "stop command without systemd (default: bin/NAME stop)", \
	  .meta = "STOP_CMD", .token = "STOP_CMD") \
	X(DAEMON_CMD, .meta = "DAEMON_CMD", .token = "DAEMON_CMD") \
	X(HEALTH_CMD, .flag = "health-cmd", .arg = "CMD", .conf = "health-cmd", \
	  .help = "healthy when it exits 0 (run as the service user)", \
	  .meta = "HEALTH_CMD", .token = "HEALTH_CMD") \
	X(HEALTH_URL, .flag = "health-url", .arg = "URL", .conf = "health-url", .check = CHK_HTTP_URL, \
	  .help = "healthy when http://... answers 2xx", \
	  .meta = "HEALTH_URL", .token = "HEALTH_URL") \
	X(HEALTH_TIMEOUT, .flag = "health-timeout", .arg = "SECONDS", .conf = "health-timeout", .def = "30", \
	  .check = CHK_SECONDS, .help = "how long to wait for health (default 30)", \
	  .meta = "HEALTH_TIMEOUT", .token = "HEALTH_TIMEOUT") \
	X(HOOK, .flag = "hook", .arg = "POINT:CMD", .conf = "hook", .check = CHK_HOOKS, .repeat = 1, \
	  .help = "run CMD at POINT: before-stop, after-stop, before-start, after-start (repeatable)") \
	X(MAX_SIZE, .flag = "max-size", .arg = "SIZE", .conf = "max-size", .check = CHK_SIZE, \
	  .help = "refuse a release that expands to more than SIZE bytes (K M G T suffixes; default 16G)") \
	X(CONFIG, .flag = "config", .arg = "FILE", \
	  .help = "config file (default ./relpkg.conf if present)") \
	/* blue-green (issue 14): how a version replaces another on the host */ \
	X(SWITCH, .flag = "switch", .arg = "MODE", .conf = "switch", .def = "cold", .check = CHK_SWITCH, \
	  .help = "cold (default: stop, start) or blue-green (two slots behind a router)", \
	  .meta = "SWITCH", .token = "SWITCH") \
	X(PORT_ENV, .flag = "port-env", .arg = "VAR", .conf = "port-env", .check = CHK_ENVNAME, \
	  .help = "blue-green: the environment variable the app takes its port from", \
	  .meta = "PORT_ENV", .token = "PORT_ENV") \
	X(SLOT_PORTS, .flag = "slot-ports", .arg = "P1,P2", .conf = "slot-ports", .check = CHK_PORTS, \
	  .help = "blue-green: the ports of the blue and the green slot", \
	  .meta = "SLOT_PORTS", .token = "SLOT_PORTS") \
	X(DRAIN_TIMEOUT, .flag = "drain-timeout", .arg = "SECONDS", .conf = "drain-timeout", .def = "30", \
	  .check = CHK_SECONDS, .help = "blue-green: longest wait for the old slot's sessions (default 30)", \
	  .meta = "DRAIN_TIMEOUT", .token = "DRAIN_TIMEOUT") \
	X(HAPROXY_SOCKET, .flag = "haproxy-socket", .arg = "PATH", .conf = "haproxy-socket", \
	  .def = "/run/haproxy/admin.sock", .check = CHK_SOCKET, \
	  .help = "blue-green: haproxy's admin socket (default /run/haproxy/admin.sock)", \
	  .meta = "HAPROXY_SOCKET", .token = "HAPROXY_SOCKET") \
	X(HAPROXY_BACKEND, .flag = "haproxy-backend", .arg = "NAME", .conf = "haproxy-backend", \
	  .check = CHK_PKGNAME, .help = "blue-green: haproxy backend with servers blue and green (default: NAME)", \
	  .meta = "HAPROXY_BACKEND", .token = "HAPROXY_BACKEND") \
	X(ROUTER_CMD, .flag = "router-cmd", .arg = "CMD", .conf = "router-cmd", \
	  .help = "blue-green: flips another router instead of haproxy (run as root)", \
	  .meta = "ROUTER_CMD", .token = "ROUTER_CMD") \
	X(MIGRATE_ONLINE, .flag = "migrate-online", .arg = "yes|no", .conf = "migrate-online", .def = "no", \
	  .check = CHK_BOOL, .help = "blue-green: the migrations are expand/contract (both versions run on them)", \
	  .meta = "MIGRATE_ONLINE", .token = "MIGRATE_ONLINE") \
	/* hot upgrades (issue 13): --no-hot, and what the build derives from \
	 * the release's relup (src/relup.c; relpkg-meta(5), "HOT UPGRADES") */ \
	X(NO_HOT, .flag = "no-hot", .arg = "", .conf = "no-hot", .check = CHK_BOOL, .noarg = 1, \
	  .help = "never upgrade this version hot (relup): every transition restarts") \
	X(HOT, .meta = "HOT", .token = "HOT") \
	X(HOT_WHY, .meta = "HOT_WHY") \
	X(ERTS_VERSION, .meta = "ERTS_VERSION", .token = "ERTS_VERSION") \
	X(HOT_UP_FROM, .meta = "HOT_UP_FROM", .token = "HOT_UP_FROM") \
	X(HOT_DOWN_TO, .meta = "HOT_DOWN_TO", .token = "HOT_DOWN_TO") \
	X(HOT_RESTART, .meta = "HOT_RESTART") \
	X(HOT_LIBS, .meta = "HOT_LIBS", .token = "HOT_LIBS") \
	/* issue 15: signing */ \
	X(SIGN_KEY, .flag = "sign-key", .arg = "KEYID", .conf = "sign-key", .check = CHK_SIGNKEY, \
	  .help = "sign the packages with this gpg key (rpm header signature, deb _gpgorigin)") \
	/* issue 15: per-format relations (deb syntax, as --depends) */ \
	X(DEB_DEPENDS, .flag = "deb-depends", .arg = "LIST", .conf = "deb-depends", .check = CHK_DEPS, \
	  .help = "dependencies of the .deb only (added to --depends)") \
	X(RPM_REQUIRES, .flag = "rpm-requires", .arg = "LIST", .conf = "rpm-requires", .check = CHK_DEPS, \
	  .help = "dependencies of the .rpm only (added to --depends)") \
	X(PRE_DEPENDS, .flag = "pre-depends", .arg = "LIST", .conf = "pre-depends", .check = CHK_DEPS, \
	  .help = "deb Pre-Depends") \
	X(RECOMMENDS, .flag = "recommends", .arg = "LIST", .conf = "recommends", .check = CHK_DEPS, \
	  .help = "deb Recommends and rpm Recommends (weak)") \
	X(SUGGESTS, .flag = "suggests", .arg = "LIST", .conf = "suggests", .check = CHK_DEPS, \
	  .help = "deb Suggests and rpm Suggests") \
	X(BREAKS, .flag = "breaks", .arg = "LIST", .conf = "breaks", .check = CHK_DEPS, \
	  .help = "deb Breaks") \
	X(REPLACES, .flag = "replaces", .arg = "LIST", .conf = "replaces", .check = CHK_DEPS, \
	  .help = "deb Replaces") \
	X(OBSOLETES, .flag = "obsoletes", .arg = "LIST", .conf = "obsoletes", .check = CHK_DEPS, \
	  .help = "rpm Obsoletes") \
	/* issue 15: --changelog (src/changelog.c), --config-file (src/conffiles.c) */ \
	X(CHANGELOG, .flag = "changelog", .arg = "FILE", .conf = "changelog", \
	  .help = "the release's changelog (Debian, rpm %changelog or Markdown) for both packages") \
	X(CHANGELOG_FORMAT, .flag = "changelog-format", .arg = "FORMAT", .conf = "changelog-format", .def = "auto", \
	  .help = "the --changelog file's format: auto (default), debian, rpm, markdown") \
	X(CONFIG_FILE, .flag = "config-file", .arg = "PATH|SRC:DEST", .conf = "config-file", .repeat = 1, \
	  .help = "a conffile in /etc/NAME: a file of the release, or SRC of this host as DEST (repeatable)") \
	X(CONF_FILES, .meta = "CONF_FILES", .token = "CONF_FILES") \
	/* issue 15: automatic dependencies (src/autodeps.c); the two derived \
	 * rows hold what the build found, in each format's own syntax */ \
	X(NO_AUTO_DEPENDS, .flag = "no-auto-depends", .arg = "", .conf = "no-auto-depends", .check = CHK_BOOL, .noarg = 1, \
	  .help = "no automatic dependencies (ELF sonames, #! interpreters)") \
	X(AUTO_DEPENDS, .conf = "auto-depends", .def = "yes", .check = CHK_BOOL) \
	X(AUTO_DEB_DEPENDS) \
	X(AUTO_RPM_REQUIRES) \
	/* end of BUILD_SETTINGS: a new row goes above this line */

#define SETTING_ID(id, ...) SET_##id,
enum setting_id { BUILD_SETTINGS(SETTING_ID) SET_COUNT };
#undef SETTING_ID

extern const struct setting settings[SET_COUNT];

/* The row of --NAME (name[0..len)) or of relpkg.conf key name; SET_COUNT
 * when there is none. */
enum setting_id setting_by_flag(const char *name, size_t len);
enum setting_id setting_by_conf(const char *key, size_t len);

/* The points of --hook, in the order of pkgmeta.hook[]; the scripts see
 * them as RP_HOOK_BEFORE_STOP etc. (the point upper-cased, '-' -> '_'). */
#define HOOK_POINTS 4
extern const char *const hook_points[HOOK_POINTS];

#endif
