/* pin.c — see pin.h.
 *
 * apt: /etc/apt/preferences.d/relpkg-NAME.pref with Pin-Priority 1001, so
 * that neither `apt upgrade` nor a newer package in the repository moves
 * NAME away from the pinned version.
 * dnf: one line "NAME-[EPOCH:]VERSION-RELEASE.*" in the versionlock plugin's
 * list (/etc/dnf/plugins/versionlock.list), marked by a comment naming
 * relpkg, so that --release removes exactly what relpkg wrote. */
#include "pin.h"
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

static int write_file(const char *path, const char *text, size_t len)
{
	struct buf tmp = BUF_INIT;
	buf_addf(&tmp, "%s.relpkg-tmp", path);
	int fd = open(tmp.p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int rc = -1;
	if (fd < 0) {
		rp_errno("%s", tmp.p);
		goto out;
	}
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0) {
		rp_errno("%s", tmp.p);
		close(fd);
		unlink(tmp.p);
		goto out;
	}
	close(fd);
	if (rename(tmp.p, path) < 0) {
		rp_errno("%s", path);
		unlink(tmp.p);
		goto out;
	}
	rc = 0;
out:
	buf_free(&tmp);
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
		dnf_list_path(root, &path);
		struct buf dir = BUF_INIT;
		buf_addf(&dir, "%s/etc/dnf/plugins", rootp(root));
		if (access(dir.p, F_OK) < 0) {
			rp_err("%s: no dnf plugin directory: install the versionlock plugin "
			       "(dnf-plugins-core / python3-dnf-plugin-versionlock) to pin", dir.p);
			buf_free(&dir);
			goto out;
		}
		buf_free(&dir);
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
