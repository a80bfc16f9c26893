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

#endif
