/* cmd_history.c — `relpkg history NAME [--json]`: the deploy journal the
 * maintainer scripts wrote, oldest first. */
#include "buf.h"
#include "error.h"
#include "journal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void json_field(struct buf *b, const char *k, const char *v, int comma)
{
	buf_addf(b, "\"%s\": ", k);
	buf_add_json(b, v && *v && strcmp(v, "-") ? v : NULL);
	if (comma)
		buf_adds(b, ", ");
}

int cmd_history(int argc, char **argv)
{
	int json = 0;
	const char *name = NULL, *root = NULL;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			puts("usage: relpkg history NAME [--json] [--root DIR]\n\n"
			     "The transitions relpkg's maintainer scripts recorded for NAME, oldest first:\n"
			     "time, from, to, result, downtime, migrations, message.\n\n"
			     "  --json       a JSON array on stdout\n"
			     "  --root DIR   read DIR/var/lib/relpkg/NAME/journal (an image or chroot)");
			return 0;
		}
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!strcmp(argv[i], "--root") && i + 1 < argc)
			root = argv[++i];
		else if (argv[i][0] == '-')
			return rp_usage("history: unknown option '%s'", argv[i]);
		else if (!name)
			name = argv[i];
		else
			return rp_usage("history: more than one NAME");
	}
	if (!name)
		return rp_usage("history: no NAME given (see relpkg history --help)");
	struct journal j;
	if (journal_read(root, name, &j) < 0)
		return -1;
	struct buf b = BUF_INIT;
	if (json) {
		buf_adds(&b, "[");
		for (size_t i = 0; i < j.n; i++) {
			const struct jentry *e = &j.v[i];
			buf_adds(&b, i ? ",\n  {" : "\n  {");
			json_field(&b, "time", e->time, 1);
			json_field(&b, "from", e->from, 1);
			json_field(&b, "to", e->to, 1);
			json_field(&b, "result", e->result, 1);
			if (strcmp(e->downtime_ms, "-") && *e->downtime_ms)
				buf_addf(&b, "\"downtime_ms\": %ld, ", strtol(e->downtime_ms, NULL, 10));
			else
				buf_adds(&b, "\"downtime_ms\": null, ");
			json_field(&b, "migrations", e->migrations, 1);
			json_field(&b, "message", e->message, 0);
			buf_adds(&b, "}");
		}
		buf_adds(&b, j.n ? "\n]\n" : "]\n");
	} else if (j.n == 0) {
		buf_addf(&b, "no transitions recorded for %s\n", name);
	} else {
		buf_addf(&b, "%-20s  %-12s  %-12s  %-6s  %9s  %-14s  %s\n", "TIME", "FROM", "TO", "RESULT",
			 "DOWNTIME", "MIGRATIONS", "MESSAGE");
		for (size_t i = 0; i < j.n; i++) {
			const struct jentry *e = &j.v[i];
			char dt[32] = "-";
			if (strcmp(e->downtime_ms, "-") && *e->downtime_ms)
				snprintf(dt, sizeof dt, "%s ms", e->downtime_ms);
			buf_addf(&b, "%-20s  %-12s  %-12s  %-6s  %9s  %-14s  %s\n", e->time, e->from, e->to,
				 e->result, dt, e->migrations, e->message);
		}
	}
	fputs(buf_str(&b), stdout);
	buf_free(&b);
	journal_free(&j);
	return 0;
}
