/* recognise.h — what kind of release a tarball holds, with no flags.
 *
 * OTP releases (relx/rebar3, mix release, Distillery) are recognised from
 * releases/start_erl.data and releases/VSN/NAME.rel; their kind from the
 * bin/NAME script.  Anything else is generic and takes its name and
 * version from --name/--version or a NAME-VERSION.tar.* file name. */
#ifndef RELPKG_RECOGNISE_H
#define RELPKG_RECOGNISE_H

#include "release.h"

struct ingest;          /* ingest.h: only recognise() reads it */

/* name and version may be NULL (not given on the command line). */
int recognise(const struct ingest *in, const char *name, const char *version,
	      struct release *r);
/* 0 if name is a valid release name (the rule of --name: non-empty,
 * letters, digits, _ - . +), else -1.  Every name taken from release
 * metadata passes it before it reaches a path or a command line. */
int release_name_check(const char *name);

#endif
