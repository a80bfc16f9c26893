/* atomic.h — output files that appear whole or not at all.
 *
 * An atomic file is written as an anonymous file (O_TMPFILE) in the
 * destination directory, so a crash leaves nothing behind; commit()
 * fsyncs it, links it under a temporary name and renames it over the
 * final name.  Scratch files (payloads) are anonymous and vanish on
 * close.  Where O_TMPFILE is unsupported, a named ".NAME.tmp-XXXXXX" is
 * used instead and unlinked on every failure path (scratch files at once).
 * The environment variable RELPKG_TEST_NO_O_TMPFILE=1 forces that path;
 * it exists for the test suite only (tests/t_hostile.sh). */
#ifndef RELPKG_ATOMIC_H
#define RELPKG_ATOMIC_H

struct atomic {
	int fd;
	char *dir;      /* owned */
	char *name;     /* final file name inside dir, owned */
	char *tmpname;  /* named temp (fallback when O_TMPFILE is unsupported), owned */
};

/* 0, or -1 after rp_err(). */
int atomic_open(struct atomic *a, const char *dir, const char *name);
int atomic_commit(struct atomic *a);
void atomic_abort(struct atomic *a);

/* An anonymous scratch file in dir (removed when closed).  fd or -1. */
int scratch_open(const char *dir);

/* Creates dir (and parents) if missing.  0 or -1 after rp_err(). */
int mkdir_p(const char *dir);

#endif
