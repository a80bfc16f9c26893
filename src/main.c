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
int cmd_repo(int argc, char **argv);
int cmd_vercmp(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_rollback(int argc, char **argv);
int cmd_pin(int argc, char **argv);
int cmd_history(int argc, char **argv);

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "build", cmd_build, "TARBALL [options]   .deb and .rpm into --out (default ./dist)" },
	{ "inspect", cmd_inspect, "PKG [--json]        metadata, scripts, file list of any .deb/.rpm" },
	{ "verify", cmd_verify, "PKG...              structure and digests of a .deb/.rpm" },
	{ "vercmp", cmd_vercmp, "[--deb|--rpm] A B   -1/0/1 with the package manager's own rules" },
	{ "repo", cmd_repo, "add|list|prune DIR  a release store that apt and dnf install from" },
	{ "rollback", cmd_rollback, "NAME [--to VER]     go back through apt/dnf/dpkg/rpm (after a failure: what runs; else the newest lower healthy)" },
	{ "pin", cmd_pin, "NAME VER            hold a version (apt preferences / dnf versionlock)" },
	{ "history", cmd_history, "NAME [--json]       the deploy journal written by the scripts" },
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
