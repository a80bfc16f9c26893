/* main.c — relpkg's dispatch table: parse the command word, run it, map
 * the recorded error to "relpkg: <message>" and an exit status. */
#include "error.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#ifndef RELPKG_VERSION
#define RELPKG_VERSION "0.1.0"
#endif

int cmd_build(int argc, char **argv);
int cmd_status(int argc, char **argv);

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "build", cmd_build, "TARBALL [options]   .deb and .rpm into --out (default ./dist)" },
	{ "status", cmd_status, "NAME [--json]       installed, running, previous version; active" },
	{ NULL, NULL, NULL },
};

static void usage(FILE *f)
{
	fputs("usage: relpkg COMMAND [options]\n\ncommands:\n", f);
	for (const struct command *c = commands; c->name; c++)
		fprintf(f, "  relpkg %s %s\n", c->name, c->summary);
	fputs("\n  relpkg --version     print the version\n"
	      "  relpkg --help        this text; relpkg COMMAND --help for a command's options\n", f);
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
	for (const struct command *c = commands; c->name; c++) {
		if (strcmp(c->name, argv[1]) != 0)
			continue;
		if (c->fn(argc - 2, argv + 2) == 0)
			return 0;
		fprintf(stderr, "relpkg: %s\n", rp_errmsg());
		return rp_err_is_usage() ? RP_USAGE : 1;
	}
	fprintf(stderr, "relpkg: unknown command '%s' (see relpkg --help)\n", argv[1]);
	return RP_USAGE;
}
