/* elfarch.c — see elfarch.h. */
#include "elfarch.h"
#include "buf.h"
#include "error.h"

#include <stdlib.h>
#include <string.h>

struct archname {
	int machine, is64, little;
	const char *deb, *rpm;
};

static const struct archname arches[] = {
	{ 62, 1, 1, "amd64", "x86_64" },
	{ 183, 1, 1, "arm64", "aarch64" },
	{ 3, 0, 1, "i386", "i686" },
	{ 40, 0, 1, "armhf", "armv7hl" },
	{ 243, 1, 1, "riscv64", "riscv64" },
	{ 21, 1, 1, "ppc64el", "ppc64le" },
	{ 22, 1, 0, "s390x", "s390x" },
	{ 0, 0, 0, NULL, NULL },
};

void elfarch_note(struct elfarch *ea, const char *path, const unsigned char *p, size_t n)
{
	if (n < 20 || memcmp(p, "\177ELF", 4) != 0)
		return;
	int is64 = p[4] == 2;
	int little = p[5] == 1;
	int machine = little ? p[18] | p[19] << 8 : p[19] | p[18] << 8;
	if (!ea->machine) {
		ea->machine = machine;
		ea->is64 = is64;
		ea->first_path = xstrdup(path);
	} else if ((ea->machine != machine || ea->is64 != is64) && !ea->conflict) {
		struct buf b = BUF_INIT;
		buf_addf(&b, "ELF files of two architectures: '%s' (machine %d) and '%s' (machine %d); "
			 "give --arch if this is intended", ea->first_path, ea->machine, path, machine);
		ea->conflict = buf_detach(&b);
	}
}

int elfarch_names(const struct elfarch *ea, const char **deb, const char **rpm)
{
	if (ea->conflict)
		return rp_err("%s", ea->conflict);
	if (!ea->machine) {
		*deb = "all";
		*rpm = "noarch";
		return 0;
	}
	for (const struct archname *a = arches; a->deb; a++)
		if (a->machine == ea->machine && a->is64 == ea->is64) {
			*deb = a->deb;
			*rpm = a->rpm;
			return 0;
		}
	return rp_err("'%s': ELF machine %d is not an architecture relpkg knows; give --arch",
		      ea->first_path, ea->machine);
}

int arch_from_flag(const char *flag, const char **deb, const char **rpm)
{
	if (!strcmp(flag, "all") || !strcmp(flag, "noarch")) {
		*deb = "all";
		*rpm = "noarch";
		return 0;
	}
	for (const struct archname *a = arches; a->deb; a++)
		if (!strcmp(flag, a->deb) || !strcmp(flag, a->rpm)) {
			*deb = a->deb;
			*rpm = a->rpm;
			return 0;
		}
	return rp_usage("--arch '%s': unknown (amd64/x86_64, arm64/aarch64, i386, armhf, "
			"riscv64, ppc64el, s390x, all/noarch)", flag);
}

void elfarch_free(struct elfarch *ea)
{
	free(ea->first_path);
	free(ea->conflict);
	memset(ea, 0, sizeof *ea);
}
