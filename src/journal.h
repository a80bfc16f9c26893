/* journal.h — the deploy journal the maintainer scripts write
 * (/var/lib/relpkg/NAME/journal): one TAB-separated line per transition:
 * TIME FROM TO RESULT DOWNTIME_MS MIGRATIONS MESSAGE ("-" for none). */
#ifndef RELPKG_JOURNAL_H
#define RELPKG_JOURNAL_H

#include <stddef.h>

struct jentry {
	char *time, *from, *to, *result, *downtime_ms, *migrations, *message;   /* owned */
};

struct journal {
	struct jentry *v;
	size_t n;
};

/* Reads NAME's journal under root (normally "/" or NULL).  A missing
 * journal is an empty one.  0, or -1 after rp_err(). */
int journal_read(const char *root, const char *name, struct journal *j);
void journal_free(struct journal *j);
/* The version that ran before `running`: the FROM of the newest successful
 * transition to `running` that came from another version, or NULL. */
const char *journal_previous(const struct journal *j, const char *running);

#endif
