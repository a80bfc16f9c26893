/* cmd_history.c — `relpkg history NAME [--json]`: the deploy journal the
 * maintainer scripts wrote, oldest first. */
#include "buf.h"
#include "error.h"
#include "journal.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void json_field(struct buf *b, const char *k, const char *v, int comma)
{
	buf_addf(b, "\"%s\": ", k);
	text_json(b, v && *v && strcmp(v, "-") ? v : NULL);
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
			     "time, from, to, result (ok, failed, interrupted, refused), downtime,\n"
			     "migrations, message.  Exit status 1 for a package with no journal.\n\n"
			     "  --json       a JSON array on stdout\n"
			     "  --root DIR   read DIR/var/lib/relpkg/NAME/journal (an image or chroot)\n"
			     "  --help, -h   this text");
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
	if (strchr(name, '/') || name[0] == '.')
		return rp_usage("history: '%s' is not a package name", name);
	struct journal j;
	if (journal_read(root, name, &j) < 0)
		return -1;
	if (!j.present)
		return rp_err("history %s: no journal (%s/var/lib/relpkg/%s/journal): not a package installed "
			      "by relpkg's scripts here", name, root && strcmp(root, "/") ? root : "", name);
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
			buf_addf(&b, "\"hot\": %s, ", jentry_hot(e) ? "true" : "false");
			json_field(&b, "message", e->message, 0);
			buf_adds(&b, "}");
		}
		buf_adds(&b, j.n ? "\n]\n" : "]\n");
	} else if (j.n == 0) {
		buf_addf(&b, "no transitions recorded for %s\n", name);
	} else {
		/* columns as wide as their widest value (Ecto's migrations are
		 * 14-digit timestamps; versions can be long); the message last */
		int w[6] = { 4, 4, 2, 6, 8, 10 };
		char (*dt)[32] = xcalloc(j.n, sizeof *dt);
		for (size_t i = 0; i < j.n; i++) {
			const struct jentry *e = &j.v[i];
			if (jentry_hot(e))
				strcpy(dt[i], "0 ms (hot)");
			else if (strcmp(e->downtime_ms, "-") && *e->downtime_ms)
				snprintf(dt[i], sizeof dt[i], "%s ms", e->downtime_ms);
			else
				strcpy(dt[i], "-");
			const char *f[6] = { e->time, e->from, e->to, e->result, dt[i], e->migrations };
			for (int k = 0; k < 6; k++)
				if ((int)strlen(f[k]) > w[k])
					w[k] = (int)strlen(f[k]);
		}
		buf_addf(&b, "%-*s  %-*s  %-*s  %-*s  %*s  %-*s  %s\n", w[0], "TIME", w[1], "FROM", w[2], "TO",
			 w[3], "RESULT", w[4], "DOWNTIME", w[5], "MIGRATIONS", "MESSAGE");
		for (size_t i = 0; i < j.n; i++) {
			const struct jentry *e = &j.v[i];
			buf_addf(&b, "%-*s  %-*s  %-*s  %-*s  %*s  %-*s  %s\n", w[0], e->time, w[1], e->from, w[2],
				 e->to, w[3], e->result, w[4], dt[i], w[5], e->migrations, e->message);
		}
		free(dt);
	}
	fputs(buf_str(&b), stdout);
	buf_free(&b);
	journal_free(&j);
	return 0;
}
