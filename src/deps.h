/* deps.h — dependency lists as users write them (deb syntax):
 *   "libssl3 (>= 3.0), adduser, foo | bar"
 * parsed once, then written in each format's own terms. */
#ifndef RELPKG_DEPS_H
#define RELPKG_DEPS_H

#include <stddef.h>

enum depop { DEP_ANY, DEP_LT, DEP_LE, DEP_EQ, DEP_GE, DEP_GT };

struct dep {
	char *name;             /* owned */
	enum depop op;
	char *version;          /* owned, NULL with DEP_ANY */
	int alt_next;           /* 1: "| next" follows (an alternative) */
};

struct deplist {
	struct dep *v;
	size_t n;
};

/* Parses s; flag names the option in messages.  0 or -1 after rp_usage(). */
int deps_parse(const char *s, const char *flag, struct deplist *out);
void deps_free(struct deplist *l);

#endif
