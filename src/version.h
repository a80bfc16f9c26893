/* version.h — upstream (SemVer-ish) versions mapped onto dpkg and rpm.
 *
 * The only rewrite is the SemVer pre-release separator: the first '-' of
 * the upstream version becomes '~', so that 1.0.0-rc.1 sorts before 1.0.0
 * in both formats.  Anything else a format cannot hold is refused with a
 * message naming the character, never rewritten. */
#ifndef RELPKG_VERSION_H
#define RELPKG_VERSION_H

enum pkgfmt { FMT_DEB = 1, FMT_RPM = 2 };

/* Returns the format's upstream version (malloc'd), or NULL after rp_err(). */
char *version_upstream(const char *v, enum pkgfmt fmt);
/* Package revision: digits, optionally followed by .alnum parts (1, 2.el9).
 * 0 if valid, else -1 after rp_err(). */
int version_check_release(const char *r);
/* Epoch: decimal 0 .. 2^31-1.  0 if valid, else -1 after rp_err(). */
int version_check_epoch(const char *e);
/* "[E:]U[-R]" (malloc'd): the one place an EVR string is formatted (deb
 * Version, rpm EVR, the store's entries, inspect).  epoch may be NULL or
 * "", release NULL. */
char *version_full(const char *epoch, const char *upstream, const char *release);

#endif
