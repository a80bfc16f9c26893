/* pin.h — holding a package at a version: an apt preferences file or a
 * dnf versionlock entry.  Used by `relpkg pin` and by `relpkg rollback`. */
#ifndef RELPKG_PIN_H
#define RELPKG_PIN_H

#include "buf.h"
#include "version.h"

/* The configuration that holds NAME at VERSION (a package version such as
 * 1.0.0-1, or an upstream version: then any revision of it). */
void pin_text(enum pkgfmt fmt, const char *name, const char *version, struct buf *out);
/* Writes (atomically) or removes the pin under root ("" or "/" for the
 * system).  0, or -1 after rp_err(). */
int pin_write(enum pkgfmt fmt, const char *root, const char *name, const char *version);
int pin_release(enum pkgfmt fmt, const char *root, const char *name, int *removed);
/* deb if NAME is in the dpkg database (or only apt exists), else rpm. */
enum pkgfmt pin_guess_format(const char *name);
/* The version relpkg's pin holds NAME at (malloc'd), or NULL: none.
 * 0, or -1 after rp_err(). */
int pin_current(enum pkgfmt fmt, const char *root, const char *name, char **version);
/* Whether pins can work: for rpm, dnf and its versionlock plugin must be
 * there (`dnf versionlock list` succeeds; under a root other than "/", the
 * plugin's configuration file exists).  0, or -1 after rp_err() saying
 * how to get the plugin.  Always 0 for deb. */
int pin_check_tool(enum pkgfmt fmt, const char *root);

/* What the package database says of NAME (dpkg-query / rpm -q): *evr
 * (malloc'd, NULL: not installed) and *state (malloc'd: "installed", or
 * dpkg's half-configured, unpacked, half-installed, ...; rpm: "installed",
 * or "duplicate" when several versions are in the rpmdb).  Not a pin, but
 * the same tools pin_guess_format() asks. */
void pkgdb_query(enum pkgfmt fmt, const char *name, char **evr, char **state);

#endif
