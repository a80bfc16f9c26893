/* journal.c — see journal.h. */
#include "journal.h"
#include "buf.h"
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int journal_read(const char *root, const char *name, struct journal *j)
{
	memset(j, 0, sizeof *j);
	struct buf p = BUF_INIT;
	buf_addf(&p, "%s/var/lib/relpkg/%s/journal", root && strcmp(root, "/") ? root : "", name);
	FILE *f = fopen(p.p, "r");
	if (!f) {
		int rc = errno == ENOENT ? 0 : rp_errno("%s", p.p);
		buf_free(&p);
		return rc;
	}
	buf_free(&p);
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = 0;
		char *fields[7] = { 0 };
		char *s = line;
		for (int k = 0; k < 7; k++) {
			char *tab = k < 6 ? strchr(s, '\t') : NULL;
			if (tab)
				*tab = 0;
			fields[k] = xstrdup(s);
			if (!tab) {
				for (int r = k + 1; r < 7; r++)
					fields[r] = xstrdup("");
				break;
			}
			s = tab + 1;
		}
		j->v = xrealloc(j->v, (j->n + 1) * sizeof *j->v);
		struct jentry *e = &j->v[j->n++];
		e->time = fields[0], e->from = fields[1], e->to = fields[2], e->result = fields[3];
		e->downtime_ms = fields[4], e->migrations = fields[5], e->message = fields[6];
	}
	free(line);
	fclose(f);
	return 0;
}

void journal_free(struct journal *j)
{
	for (size_t i = 0; i < j->n; i++) {
		struct jentry *e = &j->v[i];
		free(e->time), free(e->from), free(e->to), free(e->result);
		free(e->downtime_ms), free(e->migrations), free(e->message);
	}
	free(j->v);
	memset(j, 0, sizeof *j);
}

const char *journal_previous(const struct journal *j, const char *running)
{
	for (size_t i = j->n; i-- > 0;) {
		const struct jentry *e = &j->v[i];
		if (!strcmp(e->result, "ok") && !strcmp(e->to, running) && strcmp(e->from, "-") &&
		    strcmp(e->from, running))
			return e->from;
	}
	return NULL;
}
