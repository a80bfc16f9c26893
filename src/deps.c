/* deps.c — see deps.h. */
#include "deps.h"
#include "error.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char *skip_ws(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return s;
}

int deps_parse(const char *s, const char *flag, struct deplist *out)
{
	memset(out, 0, sizeof *out);
	const char *p = s;
	for (;;) {
		p = skip_ws(p);
		if (!*p)
			break;
		const char *n = p;
		while (*p && (isalnum((unsigned char)*p) || strchr("+-._/:", *p)))
			p++;
		if (p == n) {
			deps_free(out);
			return rp_usage("--%s '%s': expected a package name at '%s'", flag, s, n);
		}
		struct dep d = { .name = xstrndup(n, (size_t)(p - n)), .op = DEP_ANY };
		p = skip_ws(p);
		if (*p == '(') {
			p = skip_ws(p + 1);
			static const struct { const char *t; enum depop op; } ops[] = {
				{ "<<", DEP_LT }, { "<=", DEP_LE }, { ">=", DEP_GE }, { ">>", DEP_GT },
				{ "=", DEP_EQ }, { NULL, DEP_ANY } };
			int k;
			for (k = 0; ops[k].t; k++)
				if (!strncmp(p, ops[k].t, strlen(ops[k].t)))
					break;
			if (!ops[k].t) {
				free(d.name);
				deps_free(out);
				return rp_usage("--%s '%s': expected <<, <=, =, >= or >> after '('", flag, s);
			}
			d.op = ops[k].op;
			p = skip_ws(p + strlen(ops[k].t));
			const char *v = p;
			while (*p && *p != ')' && !isspace((unsigned char)*p))
				p++;
			d.version = xstrndup(v, (size_t)(p - v));
			p = skip_ws(p);
			if (*p != ')' || !*d.version) {
				free(d.name);
				free(d.version);
				deps_free(out);
				return rp_usage("--%s '%s': unterminated version in '%s'", flag, s, n);
			}
			p++;
		}
		p = skip_ws(p);
		if (*p == '|')
			d.alt_next = 1;
		out->v = xrealloc(out->v, (out->n + 1) * sizeof *out->v);
		out->v[out->n++] = d;
		if (*p == ',' || *p == '|') {
			p++;
			continue;
		}
		if (*p) {
			deps_free(out);
			return rp_usage("--%s '%s': unexpected '%c'", flag, s, *p);
		}
	}
	return 0;
}

void deps_free(struct deplist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].version);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}
