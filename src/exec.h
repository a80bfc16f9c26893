/* exec.h — child processes from argv vectors (never a shell string). */
#ifndef RELPKG_EXEC_H
#define RELPKG_EXEC_H

#include "buf.h"

/* Runs argv[0] (searched in PATH) with stdin from /dev/null.  Appends its
 * stdout to out (if not NULL); stderr is inherited unless quiet_stderr.
 * Returns the exit status (0..255), 127 if it could not be run, or -1
 * after rp_err() for a failure to fork. */
int exec_capture(const char *const argv[], struct buf *out, int quiet_stderr);
/* Runs argv with the caller's stdout/stderr, stdin from /dev/null; returns
 * the exit status as exec_capture() does. */
int exec_run(const char *const argv[]);
/* The program is in PATH. */
int exec_have(const char *prog);

#endif
