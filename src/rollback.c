/* rollback.c — see rollback.h for the rules and their order. */
#include "rollback.h"
#include "error.h"

#include <string.h>

#define NONE ((size_t)-1)

static int empty(const char *s)
{
	return !s || !*s;
}

static int better(const struct rb_input *in, size_t a, size_t b)
{
	return b == NONE || in->cmp(in->cmp_ctx, in->c[a].evr, in->c[b].evr) > 0;
}

/* The versions for a message, in the candidates' order; of a long list
 * (a store keeps thousands) the first and last few and how many. */
static void list_versions(const struct rb_input *in, struct buf *b, int lower_only)
{
	enum { ENDS = 5 };
	size_t total = 0, k = 0;
	for (size_t i = 0; i < in->n; i++)
		total += !lower_only || in->cmp(in->cmp_ctx, in->c[i].evr, in->installed_evr) < 0;
	for (size_t i = 0; i < in->n; i++) {
		if (lower_only && in->cmp(in->cmp_ctx, in->c[i].evr, in->installed_evr) >= 0)
			continue;
		k++;
		if (total > 3 * ENDS && k > ENDS && k <= total - ENDS) {
			if (k == ENDS + 1)
				buf_addf(b, ", ... (%zu more)", total - 2 * ENDS);
			continue;
		}
		buf_addf(b, "%s%s", k > 1 ? ", " : "", in->c[i].evr);
	}
	if (!total)
		buf_adds(b, "none");
}

/* The newest journal line with result ok whose TO is upstream, or NULL. */
static const struct jentry *ran_healthy(const struct rb_input *in, const char *upstream)
{
	if (!in->journal)
		return NULL;
	for (size_t i = in->journal->n; i-- > 0;) {
		const struct jentry *e = &in->journal->v[i];
		if (!strcmp(e->result, "ok") && !strcmp(e->to, upstream))
			return e;
	}
	return NULL;
}

static int have_journal(const struct rb_input *in)
{
	return in->journal && in->journal->n > 0;
}

/* The database and what runs disagree: the package is not fully installed,
 * or its version is not the running one. */
static int db_disagrees(const struct rb_input *in)
{
	if (!in->installed_evr)
		return !empty(in->running);
	if (!empty(in->db_state) && strcmp(in->db_state, "installed"))
		return 1;
	if (empty(in->running))
		return 0;
	if (!empty(in->running_evr))
		return in->cmp(in->cmp_ctx, in->running_evr, in->installed_evr) != 0;
	return !empty(in->installed_upstream) && strcmp(in->running, in->installed_upstream);
}

int rollback_after_failure(const struct rb_input *in)
{
	if (!in->installed_evr)
		return 0;
	return (!empty(in->result) && strcmp(in->result, "ok")) || !empty(in->failed_version) ||
	       db_disagrees(in);
}

/* The version the failed (or interrupted) transition went to, for messages. */
static const char *failed_to(const struct rb_input *in)
{
	if (!empty(in->failed_version))
		return in->failed_version;
	if (in->journal)
		for (size_t i = in->journal->n; i-- > 0;) {
			const struct jentry *e = &in->journal->v[i];
			if (strcmp(e->result, "ok"))
				return e->to;
			break;
		}
	return !empty(in->installed_upstream) ? in->installed_upstream : in->installed_evr;
}

static void note_pin(const struct rb_input *in, struct rb_plan *plan)
{
	if (!empty(in->pinned) && strcmp(in->pinned, in->c[plan->target].evr) &&
	    strcmp(in->pinned, in->c[plan->target].upstream))
		buf_addf(&plan->why, "; the pin at %s moves to it", in->pinned);
}

static int pick_to(const struct rb_input *in, struct rb_plan *plan)
{
	size_t best = NONE;
	for (size_t i = 0; i < in->n; i++) {
		if (strcmp(in->c[i].evr, in->to) && strcmp(in->c[i].upstream, in->to))
			continue;
		if (better(in, i, best))
			best = i;
	}
	if (best == NONE) {
		struct buf b = BUF_INIT;
		list_versions(in, &b, 0);
		rp_err("version %s is not available (available: %s)", in->to, b.p);
		buf_free(&b);
		return -1;
	}
	int c = in->installed_evr ? in->cmp(in->cmp_ctx, in->c[best].evr, in->installed_evr) : -1;
	if (c == 0 && !db_disagrees(in))
		return rp_err("%s is already installed", in->c[best].evr);
	plan->target = best;
	plan->reason = RB_ASKED;
	plan->higher = in->installed_evr && c > 0;
	buf_adds(&plan->why, "the version asked for (--to)");
	if (plan->higher)
		buf_addf(&plan->why, ", higher than the installed %s", in->installed_evr);
	if (have_journal(in) && !ran_healthy(in, in->c[best].upstream))
		buf_adds(&plan->why, "; it never ran healthy on this host (journal)");
	note_pin(in, plan);
	return 0;
}

/* Rule 3: the version that runs now. */
static int pick_running(const struct rb_input *in, struct rb_plan *plan)
{
	const char *to = failed_to(in);
	if (empty(in->running))
		return rp_err("the transition to %s failed and no version runs now: nothing healthy to go back "
			      "to; see `relpkg status`, then give --to VERSION", to);
	size_t best = NONE;
	for (size_t i = 0; i < in->n; i++) {
		int same = !empty(in->running_evr) ? !in->cmp(in->cmp_ctx, in->c[i].evr, in->running_evr)
						   : !strcmp(in->c[i].upstream, in->running);
		if (same && better(in, i, best))
			best = i;
	}
	if (!db_disagrees(in))
		return rp_err("%s runs and the package database agrees (%s installed): the failed "
			      "transition to %s left nothing to roll back; give --to VERSION to go elsewhere",
			      in->running, in->installed_evr, to);
	if (best == NONE) {
		struct buf b = BUF_INIT;
		list_versions(in, &b, 0);
		rp_err("%s runs (the transition to %s failed), but no package of %s is available "
		       "(available: %s): add it to the store (relpkg repo add) or give --to VERSION",
		       in->running, to, !empty(in->running_evr) ? in->running_evr : in->running, b.p);
		buf_free(&b);
		return -1;
	}
	plan->target = best;
	plan->reason = RB_AGREE;
	plan->no_migration = 1;
	plan->higher = in->cmp(in->cmp_ctx, in->c[best].evr, in->installed_evr) > 0;
	buf_addf(&plan->why, "%s runs now, brought back after the %s transition to %s: the package database "
		 "is made to agree with it, no migration runs",
		 in->running, !empty(in->result) && !strcmp(in->result, "interrupted") ? "interrupted" : "failed",
		 to);
	note_pin(in, plan);
	return 0;
}

/* Rule 4: the newest lower version that ran healthy. */
static int pick_lower(const struct rb_input *in, struct rb_plan *plan)
{
	size_t best = NONE, lower = NONE;
	for (size_t i = 0; i < in->n; i++) {
		if (in->cmp(in->cmp_ctx, in->c[i].evr, in->installed_evr) >= 0)
			continue;
		if (better(in, i, lower))
			lower = i;
		if (have_journal(in) && !ran_healthy(in, in->c[i].upstream))
			continue;
		if (better(in, i, best))
			best = i;
	}
	struct buf b = BUF_INIT;
	if (lower == NONE) {
		list_versions(in, &b, 0);
		rp_err("no version lower than the installed %s is available (available: %s)", in->installed_evr,
		       b.p);
		buf_free(&b);
		return -1;
	}
	if (best == NONE) {
		list_versions(in, &b, 1);
		rp_err("no version lower than the installed %s ran healthy on this host (journal); lower "
		       "versions available but never run here: %s: give --to VERSION to go to one anyway",
		       in->installed_evr, b.p);
		buf_free(&b);
		return -1;
	}
	plan->target = best;
	if (have_journal(in)) {
		const struct jentry *e = ran_healthy(in, in->c[best].upstream);
		plan->reason = RB_HEALTHY;
		buf_addf(&plan->why, "the newest lower version that ran healthy on this host (journal: %s)",
			 e->time);
	} else {
		plan->reason = RB_UNRECORDED;
		buf_adds(&plan->why, "the highest lower version; no journal on this host, so nothing is known "
			 "of how it ran here");
	}
	note_pin(in, plan);
	return 0;
}

int rollback_pick(const struct rb_input *in, struct rb_plan *plan)
{
	plan->target = NONE;
	plan->higher = plan->no_migration = 0;
	if (in->to)
		return pick_to(in, plan);
	if (!in->installed_evr)
		return rp_err("it is not installed: nothing to roll back from (give --to VERSION to install one)");
	if (in->txn)
		return rp_err("a transition %s -> %s is unfinished (step %s): the next package operation "
			      "settles it (dpkg --configure -a, or installing a version); see `relpkg status`, "
			      "or give --to VERSION",
			      empty(in->txn_from) ? "-" : in->txn_from, empty(in->txn_to) ? "?" : in->txn_to,
			      empty(in->txn_step) ? "?" : in->txn_step);
	if (rollback_after_failure(in))
		return pick_running(in, plan);
	return pick_lower(in, plan);
}
