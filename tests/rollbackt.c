/* rollbackt — runs src/rollback.c's policy on a text case (tests/rollback/).
 * Case lines: "format deb|rpm", "installed EVR", "running V", "previous V",
 * "to X", "candidate EVR UPSTREAM" (repeatable), "expect EVR" or
 * "expect error SUBSTRING".  Prints "ok" or what differs; exit 0/1. */
#include "error.h"
#include "rollback.h"
#include "solve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp(void *ctx, const char *a, const char *b)
{
	int r = 0;
	if (solve_vercmp(*(enum pkgfmt *)ctx, a, b, &r) < 0) {
		fprintf(stderr, "rollbackt: %s\n", rp_errmsg());
		exit(2);
	}
	return r;
}

static int verdict(int rc, int expect_error, const char *expect, const struct rb_candidate *c, size_t t,
		   const char *why);

int main(int argc, char **argv)
{
	if (argc != 2) {
		fputs("usage: rollbackt CASEFILE\n", stderr);
		return 2;
	}
	FILE *f = fopen(argv[1], "r");
	if (!f) {
		perror(argv[1]);
		return 2;
	}
	enum pkgfmt fmt = FMT_DEB;
	struct rb_input in = { .cmp = cmp, .cmp_ctx = &fmt };
	struct rb_candidate c[64];
	char *expect = NULL, line[512];
	int expect_error = 0;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = 0;
		char *k = strtok(line, " "), *v = strtok(NULL, " "), *w = strtok(NULL, "");
		if (!k || k[0] == '#')
			continue;
		if (!strcmp(k, "format"))
			fmt = v && !strcmp(v, "rpm") ? FMT_RPM : FMT_DEB;
		else if (!strcmp(k, "installed"))
			in.installed_evr = strdup(v);
		else if (!strcmp(k, "running"))
			in.running = strdup(v);
		else if (!strcmp(k, "previous"))
			in.previous = strdup(v);
		else if (!strcmp(k, "to"))
			in.to = strdup(v);
		else if (!strcmp(k, "candidate") && in.n < 64) {
			c[in.n].evr = strdup(v);
			c[in.n].upstream = strdup(w ? w : v);
			in.n++;
		} else if (!strcmp(k, "expect")) {
			expect_error = !strcmp(v, "error");
			expect = strdup(expect_error ? (w ? w : "") : v);
		}
	}
	fclose(f);
	in.c = c;
	size_t t;
	const char *why;
	int rc = rollback_pick(&in, &t, &why);
	int result = verdict(rc, expect_error, expect, c, t, why);
	free((char *)in.installed_evr), free((char *)in.running), free((char *)in.previous);
	free((char *)in.to), free(expect);
	for (size_t i = 0; i < in.n; i++)
		free((char *)c[i].evr), free((char *)c[i].upstream);
	return result;
}

static int verdict(int rc, int expect_error, const char *expect, const struct rb_candidate *c, size_t t,
		   const char *why)
{
	if (expect_error) {
		if (rc == 0) {
			printf("expected an error containing '%s', got %s (%s)\n", expect, c[t].evr, why);
			return 1;
		}
		if (!strstr(rp_errmsg(), expect)) {
			printf("expected an error containing '%s', got: %s\n", expect, rp_errmsg());
			return 1;
		}
		printf("ok (error: %s)\n", rp_errmsg());
		return 0;
	}
	if (rc < 0) {
		printf("expected %s, got error: %s\n", expect, rp_errmsg());
		return 1;
	}
	if (strcmp(c[t].evr, expect)) {
		printf("expected %s, got %s (%s)\n", expect, c[t].evr, why);
		return 1;
	}
	printf("ok (%s: %s)\n", c[t].evr, why);
	return 0;
}
