/* pin.c — see pin.h.
 *
 * apt: /etc/apt/preferences.d/relpkg-NAME.pref with Pin-Priority 1001, so
 * that neither `apt upgrade` nor a newer package in the repository moves
 * NAME away from the pinned version.
 * dnf: one line "NAME-[EPOCH:]VERSION-RELEASE.*" in the versionlock plugin's
 * list (/etc/dnf/plugins/versionlock.list), marked by a comment naming
 * relpkg, so that --release removes exactly what relpkg wrote. */
#include "pin.h"
#include "atomic.h"
#include "error.h"
#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *rootp(const char *root)
{
	return root && strcmp(root, "/") ? root : "";
}

static int has_revision(const char *v)
{
	return strchr(v, '-') != NULL;
}

void pin_text(enum pkgfmt fmt, const char *name, const char *version, struct buf *out)
{
	if (fmt == FMT_DEB) {
		buf_addf(out, "# Written by relpkg pin: holds %s at %s.\n"
			 "# `relpkg pin --release %s` removes this file.\n"
			 "Package: %s\nPin: version %s%s\nPin-Priority: 1001\n",
			 name, version, name, name, version, has_revision(version) ? "" : "-*");
	} else {
		const char *v = version;
		buf_addf(out, "# relpkg pin %s\n%s-%s%s%s.*\n", name, name, strchr(v, ':') ? "" : "0:", v,
			 has_revision(v) ? "" : "-*");
	}
}

/* path (dir/name) replaced whole, through atomic.c: apt and dnf read it. */
static int write_file(const char *path, const char *text, size_t len)
{
	const char *slash = strrchr(path, '/');
	char *dir = xstrndup(path, (size_t)(slash - path));
	int rc = atomic_write_file(dir, slash + 1, text, len);
	if (rc < 0 && (errno == EACCES || errno == EPERM || errno == EROFS))
		rp_errno("cannot write %s (pins change the package manager's configuration: run as "
			 "root, e.g. with sudo, or give --print to see the configuration)", path);
	free(dir);
	return rc;
}

/* The versionlock list without relpkg's entry for name. */
static int versionlock_without(const char *path, const char *name, struct buf *out, int *removed)
{
	*removed = 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? 0 : rp_errno("%s", path);
	char *line = NULL;
	size_t cap = 0;
	struct buf marker = BUF_INIT;
	buf_addf(&marker, "# relpkg pin %s\n", name);
	int skip_next = 0;
	while (getline(&line, &cap, f) > 0) {
		if (!strcmp(line, marker.p)) {
			skip_next = 1;
			*removed = 1;
			continue;
		}
		if (skip_next) {
			skip_next = 0;
			continue;
		}
		buf_adds(out, line);
	}
	free(line);
	buf_free(&marker);
	fclose(f);
	return 0;
}

static void dnf_list_path(const char *root, struct buf *p)
{
	buf_addf(p, "%s/etc/dnf/plugins/versionlock.list", rootp(root));
}

int pin_write(enum pkgfmt fmt, const char *root, const char *name, const char *version)
{
	struct buf path = BUF_INIT, text = BUF_INIT;
	int rc = -1;
	if (fmt == FMT_DEB) {
		buf_addf(&path, "%s/etc/apt/preferences.d", rootp(root));
		if (mkdir(path.p, 0755) < 0 && errno != EEXIST) {
			rp_errno("%s", path.p);
			goto out;
		}
		buf_addf(&path, "/relpkg-%s.pref", name);
		pin_text(fmt, name, version, &text);
	} else {
		int removed;
		if (pin_check_tool(fmt, root) < 0)
			goto out;
		dnf_list_path(root, &path);
		if (versionlock_without(path.p, name, &text, &removed) < 0)
			goto out;
		pin_text(fmt, name, version, &text);
	}
	rc = write_file(path.p, text.p, text.len);
out:
	buf_free(&path);
	buf_free(&text);
	return rc;
}

int pin_release(enum pkgfmt fmt, const char *root, const char *name, int *removed)
{
	struct buf path = BUF_INIT, text = BUF_INIT;
	int rc = 0;
	*removed = 0;
	if (fmt == FMT_DEB) {
		buf_addf(&path, "%s/etc/apt/preferences.d/relpkg-%s.pref", rootp(root), name);
		if (unlink(path.p) == 0)
			*removed = 1;
		else if (errno == EACCES || errno == EPERM || errno == EROFS)
			rc = rp_errno("cannot remove %s (run as root, e.g. with sudo)", path.p);
		else if (errno != ENOENT)
			rc = rp_errno("%s", path.p);
	} else {
		dnf_list_path(root, &path);
		rc = versionlock_without(path.p, name, &text, removed);
		if (!rc && *removed)
			rc = write_file(path.p, buf_str(&text), text.len);
	}
	buf_free(&path);
	buf_free(&text);
	return rc;
}

enum pkgfmt pin_guess_format(const char *name)
{
	if (exec_have("dpkg-query")) {
		const char *argv[] = { "dpkg-query", "-W", "-f", "${Status}", name, NULL };
		struct buf out = BUF_INIT;
		int st = exec_capture(argv, &out, 1);
		int installed = st == 0 && strstr(buf_str(&out), " installed");
		buf_free(&out);
		if (installed)
			return FMT_DEB;
	}
	if (exec_have("rpm")) {
		const char *argv[] = { "rpm", "-q", "--quiet", name, NULL };
		if (exec_capture(argv, NULL, 1) == 0)
			return FMT_RPM;
	}
	return access("/etc/apt", F_OK) == 0 ? FMT_DEB : FMT_RPM;
}

/* How to get dnf's versionlock plugin, for messages. */
#define VERSIONLOCK_HOWTO                                                                                 \
	"install the versionlock plugin: `dnf install python3-dnf-plugin-versionlock` (Fedora, RHEL and "  \
	"derivatives; `dnf install 'dnf-command(versionlock)'` finds it by its command) or "                \
	"`apt-get install dnf-plugins-core` (Debian, Ubuntu)"

int pin_check_tool(enum pkgfmt fmt, const char *root)
{
	if (fmt == FMT_DEB)
		return 0;
	if (*rootp(root)) {
		struct buf conf = BUF_INIT;
		buf_addf(&conf, "%s/etc/dnf/plugins/versionlock.conf", rootp(root));
		int ok = access(conf.p, F_OK) == 0;
		if (!ok)
			rp_err("no dnf versionlock plugin under %s (no %s): a pin there would hold nothing; "
			       VERSIONLOCK_HOWTO, root, conf.p);
		buf_free(&conf);
		return ok ? 0 : -1;
	}
	if (!exec_have("dnf"))
		return rp_err("dnf is not installed: an rpm pin is a dnf versionlock entry and would hold "
			      "nothing here (give --no-pin to roll back without one)");
	const char *argv[] = { "dnf", "-q", "-C", "versionlock", "list", NULL };
	int st = exec_capture(argv, NULL, 1);
	if (st != 0)
		return rp_err("dnf's versionlock plugin is not available (`dnf versionlock list` exited "
			      "with status %d): a pin would hold nothing, `dnf upgrade` would still offer "
			      "other versions; " VERSIONLOCK_HOWTO, st);
	return 0;
}

int pin_current(enum pkgfmt fmt, const char *root, const char *name, char **version)
{
	*version = NULL;
	struct buf path = BUF_INIT, marker = BUF_INIT;
	int rc = 0;
	if (fmt == FMT_DEB)
		buf_addf(&path, "%s/etc/apt/preferences.d/relpkg-%s.pref", rootp(root), name);
	else
		dnf_list_path(root, &path);
	buf_addf(&marker, "# relpkg pin %s\n", name);
	FILE *f = fopen(path.p, "r");
	if (!f) {
		if (errno != ENOENT)
			rc = rp_errno("%s", path.p);
		goto out;
	}
	char *line = NULL;
	size_t cap = 0;
	int next = 0;
	while (!*version && getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = 0;
		const char *v = NULL;
		if (fmt == FMT_DEB && !strncmp(line, "Pin: version ", 13))
			v = line + 13;
		else if (fmt == FMT_RPM && next && !strncmp(line, name, strlen(name)) && line[strlen(name)] == '-')
			v = line + strlen(name) + 1;
		next = fmt == FMT_RPM && !strncmp(line, marker.p, marker.len - 1) && !line[marker.len - 1];
		if (!v)
			continue;
		if (!strncmp(v, "0:", 2))
			v += 2;
		size_t n = strlen(v);
		if (n >= 2 && !strcmp(v + n - 2, ".*"))
			n -= 2;
		if (n >= 2 && !strncmp(v + n - 2, "-*", 2))
			n -= 2;
		*version = xstrndup(v, n);
	}
	free(line);
	fclose(f);
out:
	buf_free(&path);
	buf_free(&marker);
	return rc;
}

static char *dup_chomped(const char *s, size_t n)
{
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		n--;
	return xstrndup(s, n);
}

void pkgdb_query(enum pkgfmt fmt, const char *name, char **evr, char **state)
{
	*evr = *state = NULL;
	struct buf out = BUF_INIT;
	if (fmt == FMT_DEB && exec_have("dpkg-query")) {
		const char *argv[] = { "dpkg-query", "-W", "-f", "${Version}\t${Status}", name, NULL };
		if (exec_capture(argv, &out, 1) == 0 && out.len) {
			const char *tab = strchr(out.p, '\t');
			const char *st = tab ? strrchr(tab, ' ') : NULL;
			st = st ? st + 1 : tab ? tab + 1 : "";
			*state = dup_chomped(st, strlen(st));
			if (tab && strcmp(*state, "not-installed") && strcmp(*state, "config-files"))
				*evr = xstrndup(out.p, (size_t)(tab - out.p));
		}
	} else if (fmt == FMT_RPM && exec_have("rpm")) {
		const char *argv[] = { "rpm", "-q", "--qf", "%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\n",
				       name, NULL };
		if (exec_capture(argv, &out, 1) == 0 && out.len) {
			char *nl = strchr(out.p, '\n');
			*evr = dup_chomped(out.p, nl ? (size_t)(nl - out.p) : out.len);
			*state = xstrdup(nl && nl[1] ? "duplicate" : "installed");
		}
	}
	if (!*evr) {
		free(*state);
		*state = NULL;
	}
	buf_free(&out);
}
