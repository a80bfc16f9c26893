/* cmd_repo.c — `relpkg repo add|list|prune DIR ...`: argument parsing
 * only; the store itself is repo.c (index, commands), repo_apt.c and
 * repo_rpm.c (the two repository formats). */
#include "error.h"
#include "repo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: relpkg repo add DIR PKG... [--sign-key KEYID] [--quiet]\n"
	"       relpkg repo list DIR [--json]\n"
	"       relpkg repo prune DIR --keep N [--dry-run] [--sign-key KEYID] [--quiet]\n"
	"\n"
	"DIR is a flat apt repository (Packages, Packages.gz, Release) and an rpm-md\n"
	"repository (repodata/) at once; packages are copied into DIR/pool/.\n"
	"\n"
	"  --sign-key KEYID  sign Release (InRelease, Release.gpg) and repomd.xml\n"
	"                    (repomd.xml.asc) with gpg; remembered for later runs\n"
	"  --keep N          prune: keep the N highest versions of each package\n"
	"  --dry-run         prune: print what would be removed, change nothing\n"
	"  --json            list: a JSON array\n"
	"  --quiet, -q       print nothing on success\n"
	"  --help, -h        this text\n";

/* Takes "--opt VALUE" or "--opt=VALUE"; 1 if argv[*i] is opt. */
static int opt_value(int argc, char **argv, int *i, const char *opt, const char **val)
{
	size_t n = strlen(opt);
	if (strncmp(argv[*i], opt, n))
		return 0;
	if (argv[*i][n] == '=') {
		*val = argv[*i] + n + 1;
		return 1;
	}
	if (argv[*i][n])
		return 0;
	if (*i + 1 >= argc) {
		*val = NULL;
		return 1;
	}
	*val = argv[++*i];
	return 1;
}

int cmd_repo(int argc, char **argv)
{
	if (argc < 1)
		return rp_usage("repo: no subcommand (add, list or prune; see relpkg repo --help)");
	const char *sub = argv[0];
	if (!strcmp(sub, "--help") || !strcmp(sub, "-h")) {
		fputs(usage_text, stdout);
		return 0;
	}
	int is_add = !strcmp(sub, "add"), is_list = !strcmp(sub, "list"), is_prune = !strcmp(sub, "prune");
	if (!is_add && !is_list && !is_prune)
		return rp_usage("repo: unknown subcommand '%s' (add, list or prune)", sub);

	struct repo_add_opts o = { 0 };
	const char *dir = NULL, *keep_s = NULL;
	char **pkgs = calloc((size_t)argc + 1, sizeof *pkgs);
	int npkgs = 0, json = 0, dry_run = 0, rc = -1, dashdash = 0;
	if (!pkgs)
		return rp_errno("repo");
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		if (!dashdash && a[0] == '-' && a[1]) {
			if (!strcmp(a, "--")) {
				dashdash = 1;
			} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
				fputs(usage_text, stdout);
				rc = 0;
				goto out;
			} else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
				o.quiet = 1;
				rp_set_quiet(1);
			} else if (is_list && !strcmp(a, "--json")) {
				json = 1;
			} else if (is_prune && !strcmp(a, "--dry-run")) {
				dry_run = 1;
			} else if (is_prune && opt_value(argc, argv, &i, "--keep", &v)) {
				if (!v) {
					rp_usage("repo prune: --keep needs a number");
					goto out;
				}
				keep_s = v;
			} else if (!is_list && opt_value(argc, argv, &i, "--sign-key", &v)) {
				if (!v || !*v) {
					rp_usage("repo %s: --sign-key needs a key id", sub);
					goto out;
				}
				o.sign_key = v;
			} else {
				rp_usage("repo %s: unknown option '%s' (see relpkg repo --help)", sub, a);
				goto out;
			}
			continue;
		}
		if (!dir)
			dir = a;
		else if (is_add)
			pkgs[npkgs++] = argv[i];
		else {
			rp_usage("repo %s: unexpected argument '%s'", sub, a);
			goto out;
		}
	}
	if (!dir) {
		rp_usage("repo %s: no DIR given (see relpkg repo --help)", sub);
		goto out;
	}
	if (is_add) {
		if (!npkgs) {
			rp_usage("repo add: no package given");
			goto out;
		}
		rc = repo_add(dir, pkgs, npkgs, &o);
	} else if (is_list) {
		rc = repo_list(dir, json);
	} else {
		if (!keep_s) {
			rp_usage("repo prune: --keep N is required");
			goto out;
		}
		char *end;
		errno = 0;
		long keep = strtol(keep_s, &end, 10);
		if (errno || *end || end == keep_s || keep < 1) {
			rp_usage("repo prune: --keep wants a number >= 1, not '%s'", keep_s);
			goto out;
		}
		rc = repo_prune(dir, keep, dry_run, &o);
	}
out:
	free(pkgs);
	return rc;
}
