/* changelog.h — --changelog FILE (issue 15): the release's own notes as
 * changelog.Debian.gz and the rpm %changelog.
 *
 * Three input formats, detected or given with --changelog-format:
 *   debian    debian/changelog stanzas: "pkg (1.2.0-1) unstable; urgency=low",
 *             "  * change" lines, " -- Name <mail>  Mon, 05 Jan 2026 10:00:00 +0000"
 *   rpm       a spec's %changelog: "* Mon Jan 05 2026 Name <mail> - 1.2.0-1",
 *             then "- change" lines
 *   markdown  a CHANGELOG.md with version headings: "## [1.2.0] - 2026-01-05"
 *             (Keep a Changelog), "## 1.2.0", "# v1.2.0"; "## [Unreleased]"
 *             and text before the first version are left out
 *
 * The entries kept are the one of the version being built and every entry
 * after it (older); newer ones are left out.  A file with no entry for the
 * version gets one generated in front ("Release VERSION, packaged by
 * relpkg"), followed by the entries of lower versions, with a warning.
 * A malformed file is an error naming the file and the line. */
#ifndef RELPKG_CHANGELOG_H
#define RELPKG_CHANGELOG_H

#include "buildopts.h"

#include <stddef.h>
#include <stdint.h>

struct chl_entry {
	char *debver;           /* version in changelog.Debian */
	char *rpmver;           /* [E:]V-R for the rpm's CHANGELOGNAME */
	char *author;           /* Name <mail> */
	int64_t time;           /* seconds since the epoch, UTC */
	char **lines;           /* body, Debian form: "  * change", "    more" */
	size_t nlines;
	int generated;          /* relpkg's "Release VERSION, packaged by relpkg." */
};

struct changelog {
	struct chl_entry *v;    /* newest first */
	size_t n;
};

/* Reads --changelog (pkgmeta's SET_CHANGELOG, SET_CHANGELOG_FORMAT) for
 * pm; without --changelog, the one generated entry.  0, or -1 after
 * rp_err() naming the file and line. */
int changelog_load(struct changelog *c, const struct pkgmeta *pm);
/* changelog.Debian text (not compressed). */
char *changelog_debian(const struct changelog *c, const char *pkgname);
/* One entry's rpm CHANGELOGTEXT. */
char *changelog_rpm_text(const struct chl_entry *e);
void changelog_free(struct changelog *c);

#endif
