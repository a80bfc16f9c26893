/* cmd_pin.c — `relpkg pin NAME VERSION`, `relpkg pin --release NAME`. */
#include "buf.h"
#include "error.h"
#include "pin.h"
#include "solve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* VERSION (a package version, or an upstream one) is installed or
 * available: the same sources as rollback (the store, or apt's lists /
 * dnf's cache), read with libsolv.  0, or -1 after rp_err(). */
static int check_exists(enum pkgfmt fmt, const char *store, const char *name, const char *version)
{
	struct solve_ctx *sc = solve_open(fmt, store);
	if (!sc)
		return rp_err_context("pin %s: cannot check that %s exists", name, version);
	char *installed = NULL;
	struct solve_pkg *c = NULL;
	size_t n = 0;
	int rc = -1, found = 0;
	if (solve_installed(sc, name, &installed) < 0 || solve_candidates(sc, name, &c, &n) < 0)
		goto out;
	struct buf avail = BUF_INIT;
	for (size_t i = 0; i <= n && !found; i++) {
		const char *evr = i < n ? c[i].evr : installed;
		if (!evr)
			continue;
		int r = 1;
		/* 1.0.0 matches 1.0.0-1, 0:1.0.0-1 and 1.0.0~rc.1-1's upstream 1.0.0-rc.1 */
		const char *e = strchr(evr, ':') ? strchr(evr, ':') + 1 : evr;
		const char *dash = strrchr(e, '-');
		size_t ul = dash ? (size_t)(dash - e) : strlen(e);
		char *up = xstrndup(e, ul);
		for (char *t = strchr(up, '~'); t; t = strchr(t, '~'))
			*t = '-';
		if (!strcmp(up, version) || (strchr(version, '-') && solve_vercmp(fmt, evr, version, &r) == 0 && !r))
			found = 1;
		free(up);
		if (i < n)
			buf_addf(&avail, "%s%s", avail.len ? ", " : "", evr);
	}
	if (found)
		rc = 0;
	else
		rp_err("pin %s: version %s is neither installed (installed: %s) nor available (available: %s%s); "
		       "a pin of it would hold nothing", name, version, installed ? installed : "none",
		       avail.len ? avail.p : "none", store ? "" : "; give --store DIR for a relpkg store");
	buf_free(&avail);
out:
	free(installed);
	solve_pkgs_free(c, n);
	solve_close(sc);
	return rc;
}

int cmd_pin(int argc, char **argv)
{
	const char *args[2] = { 0 }, *root = NULL, *store = NULL;
	int nargs = 0, release = 0, print = 0;
	enum pkgfmt fmt = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			puts("usage: relpkg pin NAME VERSION [--deb|--rpm] [--store DIR] [--print] [--root DIR]\n"
			     "       relpkg pin --release NAME [--deb|--rpm] [--root DIR]\n\n"
			     "Holds NAME at VERSION so that apt upgrade / dnf upgrade leave it there:\n"
			     "an apt preferences file (Pin-Priority 1001) or a dnf versionlock entry.\n"
			     "VERSION is a package version (1.0.0-1) or an upstream one (1.0.0: any revision);\n"
			     "it must be installed or available (apt's lists, dnf's cache, or --store).\n"
			     "On rpm hosts dnf's versionlock plugin must be installed.\n\n"
			     "  --release     remove relpkg's pin of NAME (build's --release is the package revision)\n"
			     "  --deb, --rpm  which package manager (default: the one NAME is installed with)\n"
			     "  --store DIR   check VERSION against a relpkg repo DIR instead of apt/dnf's sources\n"
			     "  --print       print the configuration instead of writing it (for Ansible, Puppet)\n"
			     "  --root DIR    write under DIR (an image or chroot)\n"
			     "  --help, -h    this text");
			return 0;
		}
		if (!strcmp(a, "--release"))
			release = 1;
		else if (!strcmp(a, "--print"))
			print = 1;
		else if (!strcmp(a, "--deb"))
			fmt = FMT_DEB;
		else if (!strcmp(a, "--rpm"))
			fmt = FMT_RPM;
		else if (!strcmp(a, "--root") && i + 1 < argc)
			root = argv[++i];
		else if (!strcmp(a, "--store") && i + 1 < argc)
			store = argv[++i];
		else if (a[0] == '-')
			return rp_usage("pin: unknown option '%s'", a);
		else if (nargs < 2)
			args[nargs++] = a;
		else
			return rp_usage("pin: too many arguments");
	}
	if (release ? nargs != 1 : nargs != 2)
		return rp_usage(release ? "pin --release: give NAME" : "pin: give NAME and VERSION");
	const char *name = args[0];
	for (const char *s = name; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789+-.", *s))
			return rp_usage("pin: '%s' is not a package name", name);
	if (!release)
		for (const char *s = args[1]; *s; s++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.~:_^", *s))
				return rp_usage("pin: '%s' is not a version", args[1]);
	if (!fmt)
		fmt = pin_guess_format(name);
	if (print) {
		if (release)
			return rp_usage("pin: --print goes with NAME VERSION");
		struct buf b = BUF_INIT;
		pin_text(fmt, name, args[1], &b);
		fputs(b.p, stdout);
		buf_free(&b);
		return 0;
	}
	if (release) {
		int removed;
		if (pin_release(fmt, root, name, &removed) < 0)
			return -1;
		printf(removed ? "released the pin of %s\n" : "%s was not pinned by relpkg\n", name);
		return 0;
	}
	if (pin_check_tool(fmt, root) < 0)
		return rp_err_context("pin %s", name);
	/* under --root (an image) this system's sources say nothing of it */
	if ((!root || !strcmp(root, "/")) && check_exists(fmt, store, name, args[1]) < 0)
		return -1;
	if (pin_write(fmt, root, name, args[1]) < 0)
		return -1;
	printf("pinned %s at %s (%s)\n", name, args[1], fmt == FMT_DEB ? "apt preferences" : "dnf versionlock");
	return 0;
}
