/* cmd_verify.c — `relpkg verify PKG...`: checks a .deb's or .rpm's
 * structure and every digest it carries (see deb_pkg.c and rpm_pkg.c for
 * the list), prints "PKG: OK" per package, and stops at the first problem
 * with "relpkg: PKG: <problem>" (exit status 1). */
#include "error.h"
#include "pkginfo.h"
#include "sign.h"

#include <stdio.h>
#include <string.h>

static const char help[] =
	"usage: relpkg verify [--keyring FILE] PKG...\n\n"
	"Checks each .deb or .rpm: its structure, and every digest and size it\n"
	"carries (deb: md5sums against data.tar; rpm: header and payload digests,\n"
	"SIZE, per-file digests).  Prints \"PKG: OK\", or stops at the first problem.\n\n"
	"  --keyring FILE  also check the OpenPGP signatures (rpm: header and\n"
	"                  header+payload; deb: _gpgorigin) against the public keys\n"
	"                  in FILE (gpg --export [--armor]); an unsigned package fails\n"
	"  --help, -h      this text\n"
	"  --              ends the options (for a file name starting with '-')\n";

int cmd_verify(int argc, char **argv)
{
	int n = 0, opts = 1;
	const char *keyring = NULL;
	for (int i = 0; i < argc; i++) {
		if (opts && (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))) {
			fputs(help, stdout);
			return 0;
		}
		if (opts && !strcmp(argv[i], "--keyring")) {
			if (i + 1 >= argc)
				return rp_usage("verify: --keyring needs a file");
			keyring = argv[i + 1];
			argv[i] = argv[i + 1] = NULL;
			i++;
			continue;
		}
		if (opts && !strncmp(argv[i], "--keyring=", 10)) {
			keyring = argv[i] + 10;
			argv[i] = NULL;
			if (!*keyring)
				return rp_usage("verify: --keyring needs a file");
			continue;
		}
		if (opts && !strcmp(argv[i], "--"))
			opts = 0;
		else if (opts && argv[i][0] == '-' && argv[i][1])
			return rp_usage("verify: unknown option '%s' (see relpkg verify --help)", argv[i]);
		else
			n++;
	}
	if (!n)
		return rp_usage("verify: which package? (relpkg verify PKG...)");
	opts = 1;
	for (int i = 0; i < argc; i++) {
		if (!argv[i])
			continue;
		if (opts && !strcmp(argv[i], "--")) {
			opts = 0;
			continue;
		}
		if (opts && argv[i][0] == '-' && argv[i][1])
			continue;
		struct pkginfo pi;
		int rc = pkginfo_read(argv[i], &pi, PKG_VERIFY);
		pkginfo_free(&pi);
		if (rc == 0 && keyring)
			rc = sign_check_pkg(argv[i], keyring);
		if (rc < 0)
			return rp_err_context("%s", argv[i]);
		printf("%s: OK\n", argv[i]);
		fflush(stdout);
	}
	return 0;
}
