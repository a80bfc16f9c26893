/* buildopts.h — the flags of `relpkg build` and the package metadata
 * derived from them and from the release.
 *
 * Every setting is one row of settings[] (settings.h): the command line,
 * the config file (relpkg.conf) and --help all read it, so a flag exists
 * in all three or in none.  Flags win over the config file. */
#ifndef RELPKG_BUILDOPTS_H
#define RELPKG_BUILDOPTS_H

#include "release.h"
#include "settings.h"
#include "zsink.h"

#include <stdint.h>
#include <stdio.h>

struct buildopts {
	char *val[SET_COUNT];   /* each setting as given (flag, else relpkg.conf) or its
	                         * default; NULL: none.  Owned. */
	char *tarball;
	int quiet;
	const char *config;     /* the config file read, or NULL */
	int name_from_config;   /* the name setting came from the config file */
	/* parsed by the checks */
	unsigned fmt_mask;      /* 1 << FMT_DEB | 1 << FMT_RPM */
	enum comp comp;
	int level_n;
	uint64_t max_size_n;    /* bound of the expanded release, bytes */
};

/* Parses argv (after "build").  0, or -1 after rp_usage()/rp_err(). */
int buildopts_parse(struct buildopts *o, int argc, char **argv);
void buildopts_usage(FILE *f);
void buildopts_free(struct buildopts *o);

/* Everything the writers need to know about the package.  Every string
 * is owned by the structure (pkgmeta_keep), whichever field points at it:
 * pkgmeta_free frees them all without a list of fields. */
struct pkgmeta {
	struct release rel;     /* what the tarball is.  First: no field a setting's row
	                         * names (settings.h, .pm) is at offset 0 */
	char *name;             /* package name (lower case, '-' for '_') */
	char *upstream;         /* version as the release says it */
	char *deb_upstream;     /* mapped for dpkg */
	char *rpm_version;      /* mapped for rpm */
	char *revision;         /* package revision (--release N): dpkg's -N, rpm's Release tag */
	char *epoch;            /* or NULL */
	char *deb_version;      /* [E:]U-R */
	const char *deb_arch, *rpm_arch;
	char *maintainer, *summary, *description, *url, *license, *section, *priority;
	char *depends, *conflicts, *provides;   /* comma-separated, deb syntax */
	char *user;
	char *prefix;           /* package path of the release tree: opt/NAME/releases/VSN */
	char *start_cmd;        /* foreground command line (absolute paths) */
	char *hook[HOOK_POINTS];        /* per hook_points[]; "" if none */
	char *metafile;         /* the per-version metadata (KEY=VALUE), see relpkg-meta(5) */
	char *val[SET_COUNT];   /* the value of a setting whose row names no field above
	                         * (stop-cmd, migrations, health, ...); NULL: none */
	int64_t build_time;     /* SOURCE_DATE_EPOCH, or now */
	int64_t clamp_mtime;    /* SOURCE_DATE_EPOCH, or -1 */
	char **owned;           /* every string above but rel's */
	size_t nowned;
};

/* Hands s (malloc'd, or NULL) to pm; returns s. */
char *pkgmeta_keep(struct pkgmeta *pm, char *s);
/* Where setting id's value is kept in pm: its named field, or val[id]. */
char **pkgmeta_slot(struct pkgmeta *pm, enum setting_id id);
/* The value of setting id in pm; NULL when it has none. */
const char *pkgmeta_get(const struct pkgmeta *pm, enum setting_id id);
void pkgmeta_free(struct pkgmeta *pm);

#endif
