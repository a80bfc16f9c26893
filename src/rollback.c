/* rollback.c — see rollback.h.  The order of preference:
 *   1. --to: that version (an EVR, or an upstream version: its highest
 *      revision);
 *   2. the version that ran before the running one (the journal), if it is
 *      available and is not what is installed;
 *   3. the highest available version lower than the installed one. */
#include "rollback.h"
#include "buf.h"
#include "error.h"

#include <string.h>

static int better(const struct rb_input *in, size_t a, size_t b)
{
	return in->cmp(in->cmp_ctx, in->c[a].evr, in->c[b].evr) > 0;
}

static void list_available(const struct rb_input *in, struct buf *b)
{
	for (size_t i = 0; i < in->n; i++)
		buf_addf(b, "%s%s", i ? ", " : "", in->c[i].evr);
	if (!in->n)
		buf_adds(b, "none");
}

int rollback_pick(const struct rb_input *in, size_t *target, const char **why)
{
	size_t best = (size_t)-1;
	if (in->to) {
		for (size_t i = 0; i < in->n; i++) {
			if (strcmp(in->c[i].evr, in->to) && strcmp(in->c[i].upstream, in->to))
				continue;
			if (best == (size_t)-1 || better(in, i, best))
				best = i;
		}
		if (best == (size_t)-1) {
			struct buf b = BUF_INIT;
			list_available(in, &b);
			rp_err("version %s is not available (available: %s)", in->to, b.p);
			buf_free(&b);
			return -1;
		}
		if (in->installed_evr && !in->cmp(in->cmp_ctx, in->c[best].evr, in->installed_evr))
			return rp_err("%s is already installed", in->c[best].evr);
		*target = best;
		*why = "the version asked for (--to)";
		return 0;
	}
	if (!in->installed_evr)
		return rp_err("it is not installed: nothing to roll back from");
	if (in->previous && (!in->running || strcmp(in->previous, in->running))) {
		for (size_t i = 0; i < in->n; i++) {
			if (strcmp(in->c[i].upstream, in->previous))
				continue;
			if (!in->cmp(in->cmp_ctx, in->c[i].evr, in->installed_evr))
				continue;
			if (best == (size_t)-1 || better(in, i, best))
				best = i;
		}
		if (best != (size_t)-1) {
			*target = best;
			*why = "the version that ran before (journal)";
			return 0;
		}
	}
	for (size_t i = 0; i < in->n; i++) {
		if (in->cmp(in->cmp_ctx, in->c[i].evr, in->installed_evr) >= 0)
			continue;
		if (best == (size_t)-1 || better(in, i, best))
			best = i;
	}
	if (best == (size_t)-1) {
		struct buf b = BUF_INIT;
		list_available(in, &b);
		rp_err("no version lower than the installed %s is available (available: %s)",
		       in->installed_evr, b.p);
		buf_free(&b);
		return -1;
	}
	*target = best;
	*why = "the highest version lower than the installed one";
	return 0;
}
