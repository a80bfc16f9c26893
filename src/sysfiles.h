/* sysfiles.h — the files relpkg adds around the release tree: the
 * directory chain /opt/NAME/releases/VERSION, the systemd unit and its
 * sandbox, the unit's start guard /opt/NAME/relpkg-guard, the env conffile,
 * /usr/share/doc (copyright, changelog.Debian.gz) and the lintian
 * overrides.  Their contents are decided here and nowhere else. */
#ifndef RELPKG_SYSFILES_H
#define RELPKG_SYSFILES_H

#include "buf.h"
#include "buildopts.h"
#include "manifest.h"

/* Adds the directories above the release tree (call before the release
 * entries, so they come first). */
void sysfiles_add_prefix(struct manifest *m, const struct pkgmeta *pm);
/* Adds the generated files.  0, or -1 after rp_err(). */
int sysfiles_add(struct manifest *m, const struct pkgmeta *pm);
/* The unit file text (malloc'd). */
char *sysfiles_unit(const struct pkgmeta *pm);
/* 1 when pm can be upgraded hot (issue 13): its unit rebuilds a runtime
 * RELDIR at each start (/opt/NAME/relpkg-reldir) and restarts always. */
int sysfiles_hot(const struct pkgmeta *pm);
/* Appends the unit's sandbox as systemd properties for a transient unit
 * (`systemd-run -p KEY=VALUE` each): newline-separated KEY=VALUE lines,
 * no trailing newline; User=, Group=, EnvironmentFile= and the hardening,
 * the state and log directories writable.  Not WorkingDirectory=: each
 * task sets its own.  The hook token @SANDBOX@. */
void sysfiles_sandbox(struct buf *out, const struct pkgmeta *pm);
/* gzip -9n of p[0..n) into *out (malloc'd); returns its length. */
size_t gzip_max(const void *p, size_t n, char **out);

#endif
