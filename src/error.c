/* error.c — the recorded error message and the allocation wrappers. */
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char msg[4096];
static int usage;
static int quiet;

static void record(const char *fmt, va_list ap)
{
	vsnprintf(msg, sizeof msg, fmt, ap);
}

int rp_err(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	record(fmt, ap);
	va_end(ap);
	usage = 0;
	return -1;
}

int rp_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	record(fmt, ap);
	va_end(ap);
	usage = 1;
	return -1;
}

int rp_errno(const char *fmt, ...)
{
	int e = errno;
	char what[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (snprintf(msg, sizeof msg, "%s: %s", what, strerror(e)) >= (int)sizeof msg)
		msg[sizeof msg - 2] = '.';
	usage = 0;
	return -1;
}

int rp_err_context(const char *fmt, ...)
{
	char ctx[2048], old[sizeof msg];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof ctx, fmt, ap);
	va_end(ap);
	memcpy(old, msg, sizeof old);
	if (snprintf(msg, sizeof msg, "%s: %s", ctx, old) >= (int)sizeof msg)
		msg[sizeof msg - 2] = '.';
	return -1;
}

const char *rp_errmsg(void) { return msg[0] ? msg : "unknown error"; }
int rp_err_is_usage(void) { return usage; }
void rp_err_clear(void) { msg[0] = 0; usage = 0; }
void rp_set_quiet(int q) { quiet = q; }

void rp_warn(const char *fmt, ...)
{
	va_list ap;
	if (quiet)
		return;
	fputs("relpkg: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void oom(void)
{
	fputs("relpkg: out of memory\n", stderr);
	abort();
}

void *xmalloc(unsigned long n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xcalloc(unsigned long n, unsigned long size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, unsigned long n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		oom();
	return p;
}

char *xstrndup(const char *s, unsigned long n)
{
	char *p = strndup(s, n);
	if (!p)
		oom();
	return p;
}

int rp_err_as_usage(void)
{
	usage = 1;
	return -1;
}
