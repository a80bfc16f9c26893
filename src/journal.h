/* journal.h — reading what relpkg's maintainer scripts leave behind in
 * ROOT/var/lib/relpkg/NAME (relpkg-state(5)): the journal, and the
 * KEY=VALUE files (state, failed, txn, running) and the shell-quoted
 * per-version meta files (relpkg-meta(5)).  Everything is read as data:
 * nothing is sourced or executed.  root is "/" or NULL for the system. */
#ifndef RELPKG_JOURNAL_H
#define RELPKG_JOURNAL_H

#include <stddef.h>

/* The journal: one TAB-separated line per transition:
 * TIME FROM TO RESULT DOWNTIME_MS MIGRATIONS MESSAGE ("-" for none).
 * RESULT is ok, failed, interrupted or refused (later formats may add
 * others: readers show them as they are). */
struct jentry {
	char *time, *from, *to, *result, *downtime_ms, *migrations, *message;   /* owned */
};

/* A hot transition (relpkg(1), HOT UPGRADES): the node kept running; its
 * message starts "hot up" or "hot down" (the format is unchanged). */
int jentry_hot(const struct jentry *e);

struct journal {
	struct jentry *v;
	size_t n;
	int present;            /* the file exists (it may still hold no line) */
};

/* Reads NAME's journal.  A missing journal is an empty one (present 0).
 * 0, or -1 after rp_err(). */
int journal_read(const char *root, const char *name, struct journal *j);
void journal_free(struct journal *j);

/* A KEY=VALUE file.  Keys and values are owned. */
struct kvfile {
	char **key, **val;
	size_t n;
	int present;            /* the file exists */
};

/* Reads path: plain KEY=VALUE lines (relpkg-state(5): the value runs to
 * the end of the line), or with shquoted, POSIX-sh words as the meta
 * files write them (KEY='it'\''s', values may span lines).  A missing
 * file is an empty one (present 0).  0, or -1 after rp_err(). */
int kv_read(const char *path, int shquoted, struct kvfile *kv);
/* Parses a relpkg-meta(5) text already in memory (a package's, for
 * inspect: hot-upgrade coverage). */
void kv_parse_meta(const char *text, struct kvfile *kv);
/* The value of the last line setting key, or NULL. */
const char *kv_get(const struct kvfile *kv, const char *key);
/* The value, or "" when absent. */
const char *kv_str(const struct kvfile *kv, const char *key);
void kv_free(struct kvfile *kv);

/* What the scripts left for NAME. */
struct relstate {
	int dir;                /* ROOT/var/lib/relpkg/NAME exists */
	struct kvfile state;    /* RUNNING PREVIOUS RESULT MESSAGE TIME DB_SCHEMA LAST_HEALTHY */
	struct kvfile failed;   /* VERSION FROM STEP FINGERPRINT REASON TIME */
	struct kvfile txn;      /* FROM TO FROM_SCHEMA TO_SCHEMA MIGRATION STEP DB_SCHEMA ... */
	struct kvfile running;  /* VERSION SCHEMA INVOCATION (the unit's guard) */
	struct journal journal;
};

/* Reads all of them; missing files are empty.  0, or -1 after rp_err()
 * (a file that exists but cannot be read). */
int relstate_read(const char *root, const char *name, struct relstate *rs);
void relstate_free(struct relstate *rs);

/* Reads the saved meta of one version (ROOT/var/lib/relpkg/NAME/meta/
 * VERSION.meta).  0, or -1 after rp_err(). */
int meta_read(const char *root, const char *name, const char *version, struct kvfile *meta);

#endif
