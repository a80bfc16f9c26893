/* pkginfo.h — what relpkg reads back from a .deb or .rpm (any builder's):
 * metadata, maintainer scripts and the file list, for `inspect` and
 * `verify`.  deb_pkg.c and rpm_pkg.c fill it; pkginfo owns every string.
 *
 * Reading in PKG_VERIFY mode also checks the package's own claims
 * (structure, digests, sizes) and fails on the first that does not hold;
 * PKG_INSPECT mode reads only what inspect shows. */
#ifndef RELPKG_PKGINFO_H
#define RELPKG_PKGINFO_H

#include "version.h"

#include <stddef.h>
#include <stdint.h>

enum pkgmode { PKG_INSPECT, PKG_VERIFY };

struct pkgfile {
	char *path;             /* absolute: "/opt/x/bin/x"; the root is "/" */
	char *target;           /* symlink target, hard link target path, or NULL */
	char *user, *group;
	uint32_t mode;          /* with the S_IF* type bits */
	uint64_t size;
	int hardlink;           /* target names the hard link's other path */
};

struct pkgscript {
	char *name;             /* "postinst" (deb), "%post" (rpm) */
	size_t size;
};

struct pkginfo {
	enum pkgfmt fmt;
	char *name, *version, *arch, *maintainer, *depends, *summary;  /* NULL if absent */
	uint64_t installed_size;  /* bytes (deb: Installed-Size KiB * 1024) */
	int has_installed_size;
	struct pkgscript *scripts;
	size_t nscripts;
	struct pkgfile *files;
	size_t nfiles, capfiles;
	char *relpkg_meta;      /* inspect: a relpkg package's /opt/NAME/meta/V.meta text
	                         * (relpkg-meta(5)), or NULL */
};

/* path is a relpkg per-version metadata file, /opt/NAME/meta/VERSION.meta
 * ("./" or "/" first). */
int pkginfo_is_relpkg_meta(const char *path);
#define PKGINFO_META_MAX (64u << 10)

/* Reads path (format from its first bytes) into pi.  0, or -1 after
 * rp_err() with a message not yet naming path.  pi must be released
 * with pkginfo_free() in both cases. */
int pkginfo_read(const char *path, struct pkginfo *pi, enum pkgmode mode);
void pkginfo_free(struct pkginfo *pi);

/* For the readers. */
struct pkgfile *pkginfo_add_file(struct pkginfo *pi);
void pkginfo_add_script(struct pkginfo *pi, const char *name, size_t size);

int deb_pkg_read(int fd, struct pkginfo *pi, enum pkgmode mode);
int rpm_pkg_read(int fd, struct pkginfo *pi, enum pkgmode mode);

/* The current libarchive entry's data appended to out, refusing more than
 * max bytes (a .deb's control members, for inspect, verify and the store).
 * 0, or -1 after rp_err() naming what. */
struct archive;
struct buf;
int pkg_read_member(struct archive *a, struct buf *out, size_t max, const char *what);

#endif
