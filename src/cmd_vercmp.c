/* cmd_vercmp.c — `relpkg vercmp [--deb|--rpm] A B`: prints -1, 0 or 1, the
 * order of two versions by dpkg's or rpm's own rules (through libsolv,
 * see solve.c), and exits 0 whatever the order. */
#include "error.h"
#include "solve.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
	"usage: relpkg vercmp [--deb|--rpm] A B\n\n"
	"Prints -1, 0 or 1 as version A sorts before, equal to or after B.\n\n"
	"  --deb       dpkg's rules (default): [EPOCH:]UPSTREAM[-REVISION], '~' sorts first\n"
	"  --rpm       rpm's rules: [EPOCH:]VERSION[-RELEASE], '~' first, '^' after the base\n"
	"  --help, -h  this text\n"
	"  --          ends the options (for a version starting with '-')\n";

/* The versions dpkg --compare-versions refuses outright (it only warns
 * about the rest: a first character that is not a digit, characters
 * outside [A-Za-z0-9.+~:-]); 0 or -1 after rp_usage(). */
static int deb_check(const char *v)
{
	const char *colon = strchr(v, ':'), *dash = strrchr(v, '-');
	if (!*v)
		return rp_usage("vercmp: version '' is empty");
	if (strpbrk(v, " \t\n"))
		return rp_usage("vercmp: version '%s' has embedded spaces", v);
	if (colon) {
		size_t n = (size_t)(colon - v);
		if (!n || strspn(v, "0123456789") != n || n > 10 || strtoull(v, NULL, 10) > INT_MAX)
			return rp_usage("vercmp: version '%s': the epoch is not a number from 0 to %d",
					v, INT_MAX);
		if (!colon[1])
			return rp_usage("vercmp: version '%s': nothing after the epoch", v);
	}
	const char *up = colon ? colon + 1 : v;
	if (dash && !dash[1])
		return rp_usage("vercmp: version '%s': the revision is empty", v);
	if (dash == up || (dash && dash < up))
		return rp_usage("vercmp: version '%s': the upstream version is empty", v);
	return 0;
}

int cmd_vercmp(int argc, char **argv)
{
	enum pkgfmt fmt = FMT_DEB;
	const char *v[2];
	int nv = 0, opts = 1;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (opts && (!strcmp(a, "--help") || !strcmp(a, "-h"))) {
			fputs(help, stdout);
			return 0;
		}
		if (opts && !strcmp(a, "--deb"))
			fmt = FMT_DEB;
		else if (opts && !strcmp(a, "--rpm"))
			fmt = FMT_RPM;
		else if (opts && !strcmp(a, "--"))
			opts = 0;
		else if (opts && a[0] == '-' && a[1])
			return rp_usage("vercmp: unknown option '%s' (see relpkg vercmp --help)", a);
		else if (nv == 2)
			return rp_usage("vercmp: too many arguments: want two versions A B");
		else
			v[nv++] = a;
	}
	if (nv != 2)
		return rp_usage("vercmp: want two versions A B (see relpkg vercmp --help)");
	for (int i = 0; i < 2; i++) {
		if (fmt == FMT_DEB && deb_check(v[i]) < 0)
			return -1;
		if (fmt == FMT_RPM && !*v[i])
			return rp_usage("vercmp: version '' is empty");
	}
	int r;
	if (solve_vercmp(fmt, v[0], v[1], &r) < 0)
		return -1;
	printf("%d\n", r);
	return 0;
}
