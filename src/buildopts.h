/* buildopts.h — the flags of `relpkg build` and the package metadata
 * derived from them and from the release.
 *
 * One table (buildopts.c) describes every flag: the command line, the
 * config file (relpkg.conf) and --help all read it, so a flag exists in
 * all three or in none.  Flags win over the config file. */
#ifndef RELPKG_BUILDOPTS_H
#define RELPKG_BUILDOPTS_H

#include "recognise.h"
#include "zsink.h"

#include <stdint.h>
#include <stdio.h>

struct buildopts {
	char *tarball;
	char *out;
	char *formats;          /* "deb,rpm" */
	char *name, *version, *release, *epoch, *arch;
	char *compression, *level;
	char *maintainer, *summary, *description, *url, *license, *section, *priority;
	char *depends, *conflicts, *provides;
	char *user, *start_cmd, *stop_cmd;
	char *migrate_up, *migrate_down, *schema_version;
	char *health_cmd, *health_url, *health_timeout, *hook;
	char *max_size;
	char *config;
	int quiet;
	/* parsed */
	unsigned fmt_mask;      /* 1 << FMT_DEB | 1 << FMT_RPM */
	enum comp comp;
	int level_n;
	uint64_t max_size_n;    /* bound of the expanded release, bytes */
};

/* Parses argv (after "build").  0, or -1 after rp_usage()/rp_err(). */
int buildopts_parse(struct buildopts *o, int argc, char **argv);
void buildopts_usage(FILE *f);
void buildopts_free(struct buildopts *o);

/* Everything the writers need to know about the package. */
struct pkgmeta {
	char *name;             /* package name (lower case, '-' for '_') */
	struct release rel;     /* what the tarball is */
	char *upstream;         /* version as the release says it */
	char *deb_upstream;     /* mapped for dpkg */
	char *rpm_version;      /* mapped for rpm */
	char *release;          /* package revision */
	char *epoch;            /* or NULL */
	char *deb_version;      /* [E:]U-R */
	const char *deb_arch, *rpm_arch;
	char *maintainer, *summary, *description, *url, *license, *section, *priority;
	char *depends, *conflicts, *provides;   /* comma-separated, deb syntax */
	char *user;
	char *prefix;           /* package path of the release tree: opt/NAME/releases/VSN */
	char *start_cmd;        /* foreground command line (absolute paths) */
	char *stop_cmd;
	char *daemon_cmd;       /* without systemd */
	char *migrate_up, *migrate_down;        /* "" when not set */
	char *schema_version;   /* "" when unknown */
	char *health_cmd, *health_url, *health_timeout;
	char *hook[4];          /* before-stop, after-stop, before-start, after-start; "" if none */
	char *metafile;         /* the per-version metadata (KEY=VALUE), see relpkg-meta(5) */
	int64_t build_time;     /* SOURCE_DATE_EPOCH, or now */
	int64_t clamp_mtime;    /* SOURCE_DATE_EPOCH, or -1 */
};

void pkgmeta_free(struct pkgmeta *pm);

#endif
