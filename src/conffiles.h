/* conffiles.h — --config-file (issue 15): configuration files that are
 * dpkg conffiles / rpm %config(noreplace) under /etc/NAME, whose local
 * edits survive upgrades and downgrades.
 *
 * --config-file PATH     PATH is a regular file of the release (relative to
 *                        its top: releases/1.0/sys.config, config/app.toml);
 *                        it becomes /etc/NAME/BASENAME, and PATH in the
 *                        package's release tree a symlink to it, so that the
 *                        service, its migrations and remote consoles read
 *                        the file in /etc.
 * --config-file SRC:DEST SRC, a file of the build host, becomes /etc/NAME/DEST
 *                        (DEST relative, sub-directories allowed).
 *
 * Each file's packaged text is also installed as
 * /opt/NAME/conf-default/DEST: the next version's preinst/%pre compares
 * /etc/NAME/DEST with it, and when the admin changed it, keeps the
 * admin's copy aside and puts the packaged text back, so that dpkg
 * replaces the file without a prompt (and rpm without .rpmnew); the
 * postinst/%post puts the admin's copy back (hooks/lib.sh, section
 * "config files").  The scripts get the DEST list as RP_CONF_FILES (the
 * CONF_FILES row of settings.h, also in relpkg-meta(5)). */
#ifndef RELPKG_CONFFILES_H
#define RELPKG_CONFFILES_H

#include "buildopts.h"
#include "ingest.h"
#include "manifest.h"

#include <stddef.h>

struct conffile {
	char *dest;             /* relative to /etc/NAME */
	size_t in_idx;          /* index into ingest v[] of the release file, or (size_t)-1 */
	char *data;             /* the packaged text */
	size_t len;
};

struct conffiles {
	struct conffile *v;
	size_t n;
};

/* Checks every --config-file of pm against the release, reads the files'
 * text and sets pm's CONF_FILES.  Before the metadata file is written.
 * 0, or -1 after rp_err()/rp_usage(). */
int conffiles_plan(struct conffiles *cf, struct pkgmeta *pm, const struct ingest *in);
/* The release's files become symlinks into /etc/NAME (in2m: ingest ->
 * manifest index; their in2m slot becomes (size_t)-1: the data pass
 * leaves them out); adds /etc/NAME/DEST and /opt/NAME/conf-default/DEST. */
void conffiles_add(const struct conffiles *cf, struct manifest *m, const struct pkgmeta *pm, size_t *in2m);
void conffiles_free(struct conffiles *cf);

#endif
