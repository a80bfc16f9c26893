/* gunzipt — stdin (a gzip stream) to stdout through src/gunzip.c, for
 * tests/t_gunzip.sh.  `gunzipt --engine` prints which inflater it has.
 * Exit 0, or 1 with "gunzipt: WHY" on stderr. */
#include "gunzip.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static unsigned char inbuf[1 << 16];

static long from_stdin(void *ctx, const void **p, char *err, size_t errlen)
{
	(void)ctx;
	for (;;) {
		ssize_t r = read(0, inbuf, sizeof inbuf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "read error: %s", strerror(errno));
			return -1;
		}
		*p = inbuf;
		return (long)r;
	}
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--engine")) {
		puts(gunzip_engine());
		return 0;
	}
	struct gunzip g;
	static unsigned char out[100003];       /* odd: members end mid-buffer */
	if (gunzip_init(&g, from_stdin, NULL) < 0) {
		fprintf(stderr, "gunzipt: %s\n", g.err);
		return 1;
	}
	long n;
	while ((n = gunzip_read(&g, out, sizeof out)) > 0)
		if (fwrite(out, 1, (size_t)n, stdout) != (size_t)n)
			return 1;
	gunzip_end(&g);
	if (n < 0) {
		fprintf(stderr, "gunzipt: %s\n", g.err);
		return 1;
	}
	return fflush(stdout) ? 1 : 0;
}
