/* atomic.h — output files that appear whole or not at all, and the one
 * write loop.  Every file another program (or a later relpkg) reads is
 * written through here: packages, pins, the store's pool files.
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

#include <stddef.h>

struct atomic {
	int fd;
	char *dir;      /* owned */
	char *name;     /* final file name inside dir, owned */
	char *tmpname;  /* named temp (fallback when O_TMPFILE is unsupported), owned */
};

/* 0, or -1 after rp_err() (errno kept from the failing call). */
int atomic_open(struct atomic *a, const char *dir, const char *name);
/* fsync, link/rename over the final name, fsync the directory; every
 * step checked.  Closes and frees a either way. */
int atomic_commit(struct atomic *a);
/* Starts writing a's data to disk without waiting (sync_file_range), so
 * that a later atomic_commit() of it overlaps other work: a build commits
 * both packages at the end (issue 17).  Nothing to check: the commit's
 * fsync reports any error. */
void atomic_writeback(struct atomic *a);
void atomic_abort(struct atomic *a);
/* The whole file dir/name = p[0..n), mode 0644, through the above. */
int atomic_write_file(const char *dir, const char *name, const void *p, size_t n);

/* fsync of a directory (after a rename in it).  0, or -1 after rp_err(). */
int fsync_dir(const char *dir);

/* Writes all n bytes, retrying short writes and EINTR.  write_full: 0, or
 * -1 with errno set and no message (for worker threads, see error.h);
 * write_all: 0, or -1 after rp_errno("<what>: write"). */
int write_full(int fd, const void *p, size_t n);
int write_all(int fd, const void *p, size_t n, const char *what);

/* Reads fd to its end in chunks, retrying EINTR, and hands each chunk to
 * fn(ctx, p, n).  0; -1 after rp_errno("<what>: read"); or fn's non-zero
 * result (fn says its own error), which stops the reading. */
typedef int (*read_fn)(void *ctx, const void *p, size_t n);
int read_each(int fd, const char *what, read_fn fn, void *ctx);

/* An anonymous scratch file in dir (removed when closed).  fd or -1. */
int scratch_open(const char *dir);

/* Creates dir (and parents) if missing.  0 or -1 after rp_err(). */
int mkdir_p(const char *dir);

#endif
