/* cmd_pin.c — `relpkg pin NAME VERSION`, `relpkg pin --release NAME`. */
#include "buf.h"
#include "error.h"
#include "pin.h"

#include <stdio.h>
#include <string.h>

int cmd_pin(int argc, char **argv)
{
	const char *args[2] = { 0 }, *root = NULL;
	int nargs = 0, release = 0, print = 0;
	enum pkgfmt fmt = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			puts("usage: relpkg pin NAME VERSION [--deb|--rpm] [--print] [--root DIR]\n"
			     "       relpkg pin --release NAME [--deb|--rpm] [--root DIR]\n\n"
			     "Holds NAME at VERSION so that apt upgrade / dnf upgrade leave it there:\n"
			     "an apt preferences file (Pin-Priority 1001) or a dnf versionlock entry.\n"
			     "VERSION is a package version (1.0.0-1) or an upstream one (1.0.0: any revision).\n\n"
			     "  --release   remove relpkg's pin of NAME\n"
			     "  --deb, --rpm  which package manager (default: the one NAME is installed with)\n"
			     "  --print     print the configuration instead of writing it (for Ansible, Puppet)\n"
			     "  --root DIR  write under DIR (an image or chroot)");
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
	if (pin_write(fmt, root, name, args[1]) < 0)
		return -1;
	printf("pinned %s at %s (%s)\n", name, args[1], fmt == FMT_DEB ? "apt preferences" : "dnf versionlock");
	return 0;
}
