/* clock.h — the one clock of relpkg's outputs: SOURCE_DATE_EPOCH when it
 * is set (reproducible builds, https://reproducible-builds.org/specs/
 * source-date-epoch/), else the time now.  Packages, the store's indexes
 * and its repomd.xml take their times from here. */
#ifndef RELPKG_CLOCK_H
#define RELPKG_CLOCK_H

#include <stdint.h>

/* Seconds since the epoch; *from_env (if not NULL) says whether they came
 * from SOURCE_DATE_EPOCH.  A value that is not a number of seconds is
 * warned about (once) and ignored. */
int64_t clock_now(int *from_env);

#endif
