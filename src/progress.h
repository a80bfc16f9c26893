/* progress.h — the progress line of `relpkg build` on standard error.
 *
 * Shown only when standard error is a terminal and --quiet is not given:
 * bytes and entries read of the totals, the rate and the time left while
 * the tarball is read (and compressed: the writers keep pace with the
 * reading), then the finishing step of each package.  The line is
 * rewritten in place ("\r", at most ten times a second) and erased at the
 * end, so nothing of it stays in the terminal's text; a pipe or a file
 * gets nothing.  Called from the thread that reads the tarball only. */
#ifndef RELPKG_PROGRESS_H
#define RELPKG_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

/* Starts the display for a read of total_bytes of file data in
 * total_entries entries; does nothing (and the calls below do nothing)
 * when quiet or when standard error is not a terminal. */
void progress_start(uint64_t total_bytes, size_t total_entries, int quiet);
/* n more bytes of entry idx (an index into the tarball's entries) read. */
void progress_data(size_t idx, size_t n);
/* A step after the reading ("deb: control.tar, ar"); shown at once. */
void progress_step(const char *what);
/* Erases the line; the display is over. */
void progress_end(void);

#endif
