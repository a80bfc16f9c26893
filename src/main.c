/* main.c — relpkg's dispatch table: parse the command word, run it, map
 * the recorded error to "relpkg: <message>" and an exit status. */
#include "buf.h"
#include "error.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef RELPKG_VERSION
#define RELPKG_VERSION "0.1.0"
#endif

int cmd_build(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_repo(int argc, char **argv);
int cmd_vercmp(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_rollback(int argc, char **argv);
int cmd_pin(int argc, char **argv);
int cmd_history(int argc, char **argv);

/* One row per command; a command with more than one form has one line
 * per form (usage[] lines, the first naming the command's arguments).
 * `relpkg --help` prints them aligned. */
struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage[3][2];        /* { "ARGS", "what it does" } */
};

static const struct command commands[] = {
	{ "build", cmd_build, { { "TARBALL [options]", ".deb and .rpm into --out (default ./dist)" } } },
	{ "inspect", cmd_inspect, { { "PKG [--json]", "metadata, scripts, file list of any .deb/.rpm" } } },
	{ "verify", cmd_verify, { { "PKG...", "structure and digests of a .deb/.rpm" } } },
	{ "vercmp", cmd_vercmp, { { "[--deb|--rpm] A B", "-1/0/1 with the package manager's own rules" } } },
	{ "repo", cmd_repo, { { "add|list|prune DIR", "a release store that apt and dnf install from" } } },
	{ "rollback", cmd_rollback,
	  { { "NAME [--to VER] [--no-pin]", "go back to the newest lower version that ran healthy" } } },
	{ "pin", cmd_pin,
	  { { "NAME VER", "hold a version (apt preferences / dnf versionlock)" },
	    { "--release NAME", "lift relpkg's pin of NAME (not build's --release)" } } },
	{ "history", cmd_history, { { "NAME [--json]", "the deploy journal written by the scripts" } } },
	{ "status", cmd_status, { { "NAME [--json]", "installed, running, previous version; active" } } },
	{ NULL, NULL, { { NULL, NULL } } },
};

static void usage(FILE *f)
{
	int w = 0;
	for (const struct command *c = commands; c->name; c++)
		for (int k = 0; k < 3 && c->usage[k][0]; k++) {
			int l = (int)(strlen(c->name) + 1 + strlen(c->usage[k][0]));
			w = l > w ? l : w;
		}
	fputs("usage: relpkg COMMAND [options]\n\ncommands:\n", f);
	for (const struct command *c = commands; c->name; c++)
		for (int k = 0; k < 3 && c->usage[k][0]; k++)
			fprintf(f, "  relpkg %s %-*s  %s\n", c->name, w - (int)strlen(c->name) - 1, c->usage[k][0],
				c->usage[k][1]);
	fprintf(f, "\n  relpkg %-*s  %s\n", w, "--version", "print the version");
	fprintf(f, "  relpkg %-*s  %s\n", w, "--help, -h", "this text; relpkg COMMAND --help for a command's options");
}

/* Levenshtein distance of a and b, at most 99 characters each (else 99). */
static int distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 99 || lb > 99)
		return 99;
	int d[100][100];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			int v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			d[i][j] = v;
		}
	return d[la][lb];
}

/* The nearest of the n words at cand (a ' '/'\n'-separated list) to word,
 * when it is near enough to be a typo (or word is its prefix); NULL else.
 * The result points into a static buffer. */
static const char *nearest(const char *word, const char *cands)
{
	static char best[128];
	int bestd = 99;
	size_t wl = strlen(word);
	for (const char *s = cands; *s;) {
		size_t l = strcspn(s, " \n");
		if (l && l < sizeof best) {
			char c[sizeof best];
			memcpy(c, s, l);
			c[l] = 0;
			int d = distance(word, c);
			if (wl >= 3 && !strncmp(c, word, wl))
				d = 1;  /* an abbreviation */
			if (d < bestd) {
				bestd = d;
				memcpy(best, c, l + 1);
			}
		}
		s += l;
		while (*s == ' ' || *s == '\n')
			s++;
	}
	int limit = wl <= 4 ? 1 : wl <= 8 ? 2 : 3;
	return bestd <= limit ? best : NULL;
}

/* The --flags of a command: the ones its --help names at the start of an
 * option line ("  --to VERSION  ...", "  --deb, --rpm  ...") or in a usage
 * line.  Read from the help text itself, so it is what the parser takes.
 * malloc'd, '\n'-separated. */
static char *help_flags(const struct command *c)
{
	char *text = NULL, *argv[] = { "--help", NULL };
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len), *saved = stdout;
	if (!mem)
		return xstrdup("");
	fflush(stdout);
	stdout = mem;
	c->fn(1, argv);
	fflush(stdout);
	stdout = saved;
	fclose(mem);
	struct buf b = BUF_INIT;
	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		char *s = line;
		while (*s == ' ')
			s++;
		int usage_line = !strncmp(s, "usage:", 6) || !strncmp(s, "relpkg ", 7);
		if (usage_line || (s > line && s[0] == '-' && s[1] == '-')) {
			for (char *p = strstr(s, "--"); p; p = strstr(p, "--")) {
				size_t l = 2 + strspn(p + 2, "abcdefghijklmnopqrstuvwxyz0123456789-");
				char w[64];
				snprintf(w, sizeof w, "\n%.*s\n", (int)(l < 60 ? l : 60), p);
				if (l > 2 && !(b.p && (strstr(b.p, w + 1) == b.p || strstr(b.p, w))))
					buf_adds(&b, w + 1);
				p += l;
				/* an option line names its flags before the text */
				if (!usage_line && strncmp(p, ", --", 4) && strncmp(p, "|--", 3))
					break;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	free(text);
	return buf_detach(&b);
}

/* "unknown option '--X'" from a command: add the nearest real flag. */
static void suggest_flag(const struct command *c, const char *msg)
{
	const char *q = strstr(msg, "unknown option '--");
	if (!q)
		return;
	q += strlen("unknown option '");
	char word[128];
	size_t l = strcspn(q, "'=");
	if (l >= sizeof word)
		return;
	memcpy(word, q, l);
	word[l] = 0;
	char *flags = help_flags(c);
	const char *n = nearest(word, flags);
	if (n)
		fprintf(stderr, "relpkg: did you mean '%s'? (relpkg %s --help lists the options)\n", n, c->name);
	free(flags);
}

/* pin and rollback change the system, unless they only print (--print,
 * --dry-run, --help) or write into an image (--root). */
static int needs_root(const char *cmd, int argc, char **argv)
{
	if (strcmp(cmd, "pin") && strcmp(cmd, "rollback"))
		return 0;
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h") || !strcmp(argv[i], "--print") ||
		    !strcmp(argv[i], "--dry-run") || !strcmp(argv[i], "--root"))
			return 0;
	return 1;
}

int main(int argc, char **argv)
{
	/* UTF-8 names in pax headers decode as UTF-8; raw bytes stay raw */
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		setlocale(LC_CTYPE, "");
	if (argc < 2) {
		usage(stderr);
		return RP_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("relpkg %s\n", RELPKG_VERSION);
		return 0;
	}
	/* the flags a command's --help names, one a line (bash completion) */
	if (!strcmp(argv[1], "--flags-of") && argc == 3) {
		for (const struct command *c = commands; c->name; c++)
			if (!strcmp(c->name, argv[2])) {
				char *f = help_flags(c);
				fputs(f, stdout);
				free(f);
				return 0;
			}
		return 1;
	}
	for (const struct command *c = commands; c->name; c++) {
		if (strcmp(c->name, argv[1]) != 0)
			continue;
		if (needs_root(c->name, argc - 2, argv + 2) && geteuid() != 0) {
			fprintf(stderr, "relpkg: %s changes the package manager's configuration%s: run it as root "
				"(e.g. sudo relpkg %s ...)\n", c->name, !strcmp(c->name, "pin") ? "" : " and the installed version",
				c->name);
			return 1;
		}
		if (c->fn(argc - 2, argv + 2) == 0)
			return 0;
		const char *msg = rp_errmsg();
		fprintf(stderr, "relpkg: %s\n", msg);
		if (rp_err_is_usage()) {
			char *copy = xstrdup(msg);
			suggest_flag(c, copy);
			free(copy);
			return RP_USAGE;
		}
		/* a command that changes the system, run by a user who may not */
		if (strstr(msg, "Permission denied") && geteuid() != 0 && !strstr(msg, "as root"))
			fprintf(stderr, "relpkg: %s changes system files: run it as root (e.g. sudo relpkg %s ...)\n",
				c->name, c->name);
		return 1;
	}
	struct buf names = BUF_INIT;
	for (const struct command *c = commands; c->name; c++)
		buf_addf(&names, "%s ", c->name);
	const char *n = argv[1][0] == '-' ? NULL : nearest(argv[1], names.p);
	if (n)
		fprintf(stderr, "relpkg: unknown command '%s': did you mean '%s'? (see relpkg --help)\n", argv[1], n);
	else if (argv[1][0] == '-')
		fprintf(stderr, "relpkg: unknown option '%s': the command comes first (relpkg COMMAND [options]; "
			"see relpkg --help)\n", argv[1]);
	else
		fprintf(stderr, "relpkg: unknown command '%s' (see relpkg --help)\n", argv[1]);
	buf_free(&names);
	return RP_USAGE;
}
