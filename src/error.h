/* error.h — the one error convention of relpkg.
 *
 * Functions return 0 on success and -1 on failure after recording one
 * message with rp_err()/rp_errno().  The command boundary (main.c) prints
 * it once as "relpkg: <message>" and maps it to exit status 1.  Nothing
 * below main() exits.  The message slot is process-wide; worker threads
 * never write it (they keep their own error text, see zsink.h). */
#ifndef RELPKG_ERROR_H
#define RELPKG_ERROR_H

#include <stdarg.h>

#define RP_USAGE 2  /* exit status for usage errors */

/* Record a message; returns -1 so callers can `return rp_err(...)`. */
int rp_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Record "<what>: <strerror(errno)>"; returns -1. */
int rp_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prefix the recorded message with context: "<ctx>: <old message>". */
int rp_err_context(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Mark the recorded error as a usage error (exit 2). */
int rp_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Turns the recorded error into a usage error (exit 2); returns -1. */
int rp_err_as_usage(void);
const char *rp_errmsg(void);
int rp_err_is_usage(void);
/* Forgets the recorded error (the fuzz harnesses, between inputs). */
void rp_err_clear(void);

/* Warnings go to stderr as "relpkg: warning: ..." unless quiet. */
void rp_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void rp_set_quiet(int quiet);

/* Out of memory is not recoverable: print and abort. */
void *xmalloc(unsigned long n);
void *xcalloc(unsigned long n, unsigned long size);
void *xrealloc(void *p, unsigned long n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, unsigned long n);

#endif
