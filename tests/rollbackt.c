/* rollbackt — runs src/rollback.c's policy on a text case (tests/rollback/).
 * Case lines ('#' starts a comment line):
 *   format deb|rpm            version rules (default deb)
 *   installed EVR [UPSTREAM]  the package database (upstream: from EVR)
 *   dbstate STATE             installed, half-configured, unpacked, ...
 *   running V [EVR]           the version running now (and its package version)
 *   result ok|failed|interrupted   the state file's RESULT
 *   failed V                  the failure marker's VERSION
 *   txn FROM TO STEP          an unfinished transaction record
 *   pinned V                  the version relpkg's pin holds
 *   journal FROM TO RESULT    one journal line (repeatable, oldest first)
 *   to X                      --to
 *   candidate EVR [UPSTREAM]  an available version (repeatable)
 *   expect EVR | expect error SUBSTRING
 *   why SUBSTRING             the explanation must contain it (repeatable)
 * Prints "ok" or what differs; exit 0/1. */
#include "error.h"
#include "rollback.h"
#include "solve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXC 64
#define MAXW 8

static int cmp(void *ctx, const char *a, const char *b)
{
	int r = 0;
	if (solve_vercmp(*(enum pkgfmt *)ctx, a, b, &r) < 0) {
		fprintf(stderr, "rollbackt: %s\n", rp_errmsg());
		exit(2);
	}
	return r;
}

/* The upstream part of an EVR: no epoch, no revision. */
static char *upstream_of(const char *evr)
{
	const char *c = strchr(evr, ':');
	const char *s = c ? c + 1 : evr;
	const char *dash = strrchr(s, '-');
	return xstrndup(s, dash ? (size_t)(dash - s) : strlen(s));
}

struct tcase {
	enum pkgfmt fmt;
	struct rb_input in;
	struct rb_candidate c[MAXC];
	struct journal j;
	char *strs[32];         /* everything else strdup'd, freed at the end */
	size_t nstrs;
	char *expect, *why[MAXW];
	size_t nwhy;
	int expect_error;
};

static const char *keep(struct tcase *t, const char *s)
{
	if (!s)
		return NULL;
	if (t->nstrs == sizeof t->strs / sizeof *t->strs) {
		fputs("rollbackt: too many values in one case\n", stderr);
		exit(2);
	}
	return t->strs[t->nstrs++] = xstrdup(s);
}

static int parse(FILE *f, struct tcase *t)
{
	char line[512];
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = 0;
		char *k = strtok(line, " "), *v = strtok(NULL, " "), *w = strtok(NULL, " "), *x = strtok(NULL, "");
		if (!k || k[0] == '#')
			continue;
		if (!v) {
			fprintf(stderr, "rollbackt: '%s' needs a value\n", k);
			return -1;
		}
		struct rb_input *in = &t->in;
		if (!strcmp(k, "format"))
			t->fmt = !strcmp(v, "rpm") ? FMT_RPM : FMT_DEB;
		else if (!strcmp(k, "installed")) {
			in->installed_evr = keep(t, v);
			char *u = upstream_of(v);
			in->installed_upstream = keep(t, w ? w : u);
			free(u);
		} else if (!strcmp(k, "dbstate"))
			in->db_state = keep(t, v);
		else if (!strcmp(k, "running")) {
			in->running = keep(t, v);
			in->running_evr = keep(t, w);
		} else if (!strcmp(k, "result"))
			in->result = keep(t, v);
		else if (!strcmp(k, "failed"))
			in->failed_version = keep(t, v);
		else if (!strcmp(k, "txn")) {
			in->txn = 1;
			in->txn_from = keep(t, v);
			in->txn_to = keep(t, w);
			in->txn_step = keep(t, x);
		} else if (!strcmp(k, "pinned"))
			in->pinned = keep(t, v);
		else if (!strcmp(k, "journal")) {
			t->j.v = xrealloc(t->j.v, (t->j.n + 1) * sizeof *t->j.v);
			struct jentry *e = &t->j.v[t->j.n++];
			memset(e, 0, sizeof *e);
			e->time = xstrdup("2026-01-01T00:00:00Z");
			e->from = xstrdup(v);
			e->to = xstrdup(w ? w : "-");
			e->result = xstrdup(x ? x : "ok");
			e->downtime_ms = xstrdup("-"), e->migrations = xstrdup("-"), e->message = xstrdup("");
			t->j.present = 1;
		} else if (!strcmp(k, "to"))
			in->to = keep(t, v);
		else if (!strcmp(k, "candidate")) {
			if (in->n == MAXC)
				return -1;
			char *u = upstream_of(v);
			t->c[in->n].evr = xstrdup(v);
			t->c[in->n].upstream = w ? xstrdup(w) : u;
			if (w)
				free(u);
			in->n++;
		} else if (!strcmp(k, "expect")) {
			t->expect_error = !strcmp(v, "error");
			char rest[512];
			snprintf(rest, sizeof rest, "%s%s%s", w ? w : "", x ? " " : "", x ? x : "");
			t->expect = xstrdup(t->expect_error ? rest : v);
		} else if (!strcmp(k, "why") && t->nwhy < MAXW) {
			char rest[512];
			snprintf(rest, sizeof rest, "%s%s%s%s%s", v, w ? " " : "", w ? w : "", x ? " " : "", x ? x : "");
			t->why[t->nwhy++] = xstrdup(rest);
		} else {
			fprintf(stderr, "rollbackt: unknown line '%s'\n", k);
			return -1;
		}
	}
	if (!t->expect) {
		fputs("rollbackt: no expect line\n", stderr);
		return -1;
	}
	return 0;
}

static int verdict(const struct tcase *t, int rc, const struct rb_plan *plan)
{
	if (t->expect_error) {
		if (rc == 0) {
			printf("expected an error containing '%s', got %s (%s)\n", t->expect, t->c[plan->target].evr,
			       buf_str(&plan->why));
			return 1;
		}
		if (!strstr(rp_errmsg(), t->expect)) {
			printf("expected an error containing '%s', got: %s\n", t->expect, rp_errmsg());
			return 1;
		}
		printf("ok (error: %s)\n", rp_errmsg());
		return 0;
	}
	if (rc < 0) {
		printf("expected %s, got error: %s\n", t->expect, rp_errmsg());
		return 1;
	}
	if (strcmp(t->c[plan->target].evr, t->expect)) {
		printf("expected %s, got %s (%s)\n", t->expect, t->c[plan->target].evr, buf_str(&plan->why));
		return 1;
	}
	for (size_t i = 0; i < t->nwhy; i++)
		if (!strstr(buf_str(&plan->why), t->why[i])) {
			printf("%s as expected, but the reason lacks '%s': %s\n", t->expect, t->why[i],
			       buf_str(&plan->why));
			return 1;
		}
	printf("ok (%s: %s)\n", t->c[plan->target].evr, buf_str(&plan->why));
	return 0;
}

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
	static struct tcase t;
	t.fmt = FMT_DEB;
	t.in.cmp = cmp;
	t.in.cmp_ctx = &t.fmt;
	int result = 2;
	if (parse(f, &t) == 0) {
		t.in.c = t.c;
		t.in.journal = t.j.present ? &t.j : NULL;
		struct rb_plan plan = { .why = BUF_INIT };
		int rc = rollback_pick(&t.in, &plan);
		result = verdict(&t, rc, &plan);
		buf_free(&plan.why);
	}
	fclose(f);
	for (size_t i = 0; i < t.in.n; i++)
		free((char *)t.c[i].evr), free((char *)t.c[i].upstream);
	for (size_t i = 0; i < t.nstrs; i++)
		free(t.strs[i]);
	for (size_t i = 0; i < t.nwhy; i++)
		free(t.why[i]);
	free(t.expect);
	for (size_t i = 0; i < t.j.n; i++) {   /* journal.o is not linked here */
		struct jentry *e = &t.j.v[i];
		free(e->time), free(e->from), free(e->to), free(e->result);
		free(e->downtime_ms), free(e->migrations), free(e->message);
	}
	free(t.j.v);
	return result;
}
