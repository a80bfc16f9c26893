/* cmd_rollback.c — `relpkg rollback NAME [--to VER] [--store DIR]
 * [--dry-run] [--yes]`.
 *
 *   libsolv (solve.c) reads the installed database and the available
 *   versions (the store, or the system's apt lists / dnf repositories);
 *   rollback.c picks the target; libsolv's solver confirms it is
 *   installable before anything is touched; then the native tool runs
 *   (exec.c) and the target is pinned (pin.c). */
#include "buf.h"
#include "error.h"
#include "exec.h"
#include "journal.h"
#include "pin.h"
#include "rollback.h"
#include "solve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The policy's comparator: solve_candidates() has made fmt's version
 * order ready (solve_vercmp_ready), so this cannot fail. */
static int evr_cmp(void *ctx, const char *a, const char *b)
{
	return solve_verorder(*(enum pkgfmt *)ctx, a, b);
}

static void usage(void)
{
	puts("usage: relpkg rollback NAME [--to VERSION] [--store DIR] [--dry-run] [--yes] [--no-pin] [--deb|--rpm]\n\n"
	     "After a failed transition: the version that runs now, so that the package\n"
	     "database agrees with it (no migration).  Otherwise: the newest version lower\n"
	     "than the installed one that ran healthy here (the journal); never a higher\n"
	     "one unless --to names it.  Checked installable with libsolv first; runs\n"
	     "apt-get / dnf (or dpkg -i / rpm -U --oldpackage on the store's file), then\n"
	     "pins it.\n\n"
	     "  --to VERSION  go to this version (package version 1.0.0-1, or upstream 1.0.0)\n"
	     "  --store DIR   take versions from a relpkg repo DIR instead of apt/dnf's sources\n"
	     "  --dry-run     print the plan, change nothing\n"
	     "  --yes         do not ask (needed when standard input is not a terminal)\n"
	     "  --no-pin      do not pin the target afterwards\n"
	     "  --deb, --rpm  which package manager (default: the one NAME is installed with)\n"
	     "  --help, -h    this text");
}

/* The upstream version of a candidate: what the package's scripts call it
 * (/opt/NAME/releases/UPSTREAM).  From the EVR: drop epoch and revision,
 * and the '~' of a SemVer pre-release becomes '-' again. */
static char *upstream_of(const char *evr)
{
	const char *c = strchr(evr, ':');
	const char *s = c ? c + 1 : evr;
	const char *dash = strrchr(s, '-');
	char *u = xstrndup(s, dash ? (size_t)(dash - s) : strlen(s));
	char *t = strchr(u, '~');
	if (t)
		*t = '-';
	return u;
}

static int confirm(const char *plan)
{
	if (!isatty(0))
		return rp_err("standard input is not a terminal: give --yes to roll back (plan: %s)", plan);
	fprintf(stderr, "%s\nProceed? [y/N] ", plan);
	char ans[16] = "";
	if (!fgets(ans, sizeof ans, stdin) || (ans[0] != 'y' && ans[0] != 'Y'))
		return rp_err("rollback cancelled");
	return 0;
}

/* What the scripts and the package database say, as the policy's input.
 * Strings borrowed from rs/meta or owned by the caller. */
static void policy_input(const struct relstate *rs, const struct kvfile *meta, enum pkgfmt fmt,
			 struct rb_input *in)
{
	const char *running = kv_get(&rs->running, "VERSION");
	if (!running || !*running)
		running = kv_get(&rs->state, "RUNNING");
	in->running = running && *running ? running : NULL;
	in->running_evr = kv_get(meta, fmt == FMT_RPM ? "RPM_VERSION" : "DEB_VERSION");
	in->result = kv_get(&rs->state, "RESULT");
	in->failed_version = kv_get(&rs->failed, "VERSION");
	in->txn = rs->txn.present;
	in->txn_from = kv_get(&rs->txn, "FROM");
	in->txn_to = kv_get(&rs->txn, "TO");
	in->txn_step = kv_get(&rs->txn, "STEP");
	in->journal = rs->journal.present ? &rs->journal : NULL;
}

struct rb_args {
	const char *name, *to, *store;
	int dry, yes, nopin;
	enum pkgfmt fmt;        /* 0: the one name is installed with */
};

/* 0, 1 after --help (printed), or -1 after rp_usage(). */
static int parse_args(int argc, char **argv, struct rb_args *a)
{
	for (int i = 0; i < argc; i++) {
		const char *s = argv[i];
		if (!strcmp(s, "--help") || !strcmp(s, "-h")) {
			usage();
			return 1;
		}
		if (!strcmp(s, "--to") && i + 1 < argc)
			a->to = argv[++i];
		else if (!strcmp(s, "--store") && i + 1 < argc)
			a->store = argv[++i];
		else if (!strcmp(s, "--dry-run"))
			a->dry = 1;
		else if (!strcmp(s, "--yes") || !strcmp(s, "-y"))
			a->yes = 1;
		else if (!strcmp(s, "--no-pin"))
			a->nopin = 1;
		else if (!strcmp(s, "--deb"))
			a->fmt = FMT_DEB;
		else if (!strcmp(s, "--rpm"))
			a->fmt = FMT_RPM;
		else if (s[0] == '-')
			return rp_usage("rollback: unknown option '%s' (or missing value)", s);
		else if (!a->name)
			a->name = s;
		else
			return rp_usage("rollback: more than one NAME");
	}
	if (!a->name)
		return rp_usage("rollback: no NAME given (see relpkg rollback --help)");
	if (!a->fmt)
		a->fmt = pin_guess_format(a->name);
	return 0;
}

/* What the host says about the package: the package database (through
 * libsolv and dpkg-query / rpm), the versions available, relpkg's pin and
 * the scripts' records.  Everything owned; session_free() frees it. */
struct session {
	struct solve_ctx *sc;
	char *installed;                /* EVR, or NULL */
	char *inst_up;                  /* its upstream version */
	char *dbevr, *dbstate;          /* the database's own word */
	char *pinned;                   /* relpkg's pin, or NULL */
	struct solve_pkg *cand;         /* available versions, lowest first */
	size_t ncand;
	struct rb_candidate *rbc;       /* the same, for the policy */
	char **ups;                     /* their upstream versions */
	struct relstate rs;
	int have_rs;
	struct kvfile meta;             /* the running version's saved metadata */
};

static void session_free(struct session *ss)
{
	for (size_t i = 0; i < ss->ncand; i++)
		free(ss->ups ? ss->ups[i] : NULL);
	free(ss->ups);
	free(ss->rbc);
	solve_pkgs_free(ss->cand, ss->ncand);
	free(ss->installed);
	free(ss->inst_up);
	free(ss->dbevr);
	free(ss->dbstate);
	free(ss->pinned);
	kv_free(&ss->meta);
	if (ss->have_rs)
		relstate_free(&ss->rs);
	solve_close(ss->sc);
}

static int session_open(const struct rb_args *a, struct session *ss)
{
	if (relstate_read(NULL, a->name, &ss->rs) < 0)
		return -1;
	ss->have_rs = 1;
	/* a pin that cannot hold anything is refused before anything changes */
	if (!a->nopin && pin_check_tool(a->fmt, NULL) < 0) {
		rp_err_context("rollback %s", a->name);
		return -1;
	}
	ss->sc = solve_open(a->fmt, a->store);
	if (!ss->sc || solve_installed(ss->sc, a->name, &ss->installed) < 0 ||
	    solve_candidates(ss->sc, a->name, &ss->cand, &ss->ncand) < 0)
		return -1;
	ss->rbc = xcalloc(ss->ncand ? ss->ncand : 1, sizeof *ss->rbc);
	ss->ups = xcalloc(ss->ncand ? ss->ncand : 1, sizeof *ss->ups);
	for (size_t i = 0; i < ss->ncand; i++) {
		ss->ups[i] = upstream_of(ss->cand[i].evr);
		ss->rbc[i].evr = ss->cand[i].evr;
		ss->rbc[i].upstream = ss->ups[i];
	}
	if (ss->installed)
		ss->inst_up = upstream_of(ss->installed);
	pkgdb_query(a->fmt, a->name, &ss->dbevr, &ss->dbstate);
	if (pin_current(a->fmt, NULL, a->name, &ss->pinned) < 0)
		return -1;
	const char *running = kv_get(&ss->rs.running, "VERSION");
	if (!running || !*running)
		running = kv_get(&ss->rs.state, "RUNNING");
	return meta_read(NULL, a->name, running, &ss->meta);
}

/* The policy's choice, confirmed installable by libsolv's solver. */
static int pick_target(const struct rb_args *a, struct session *ss, enum pkgfmt *fmt, struct rb_plan *pl)
{
	struct rb_input in = {
		.installed_evr = ss->installed, .installed_upstream = ss->inst_up, .db_state = ss->dbstate,
		.pinned = ss->pinned, .to = a->to, .c = ss->rbc, .n = ss->ncand, .cmp = evr_cmp, .cmp_ctx = fmt,
	};
	policy_input(&ss->rs, &ss->meta, *fmt, &in);
	if (rollback_pick(&in, pl) < 0) {
		rp_err_context("rollback %s", a->name);
		return -1;
	}
	const char *evr = ss->cand[pl->target].evr;
	char *problem = NULL;
	if (solve_can_install(ss->sc, a->name, evr, &problem) < 0)
		return -1;
	if (problem) {
		rp_err("rollback %s: %s cannot be installed on this system: %s", a->name, evr, problem);
		free(problem);
		return -1;
	}
	return 0;
}

/* The native tool's argv (NULL-terminated, at most 15 words) for going to
 * target: dpkg -i / rpm -U of the store's file, else apt-get / dnf.
 * Strings point into file and ver (the caller frees them). */
static void tool_argv(const struct rb_args *a, enum pkgfmt fmt, const char *installed,
		      const struct solve_pkg *target, const char **argv, struct buf *file, struct buf *ver)
{
	int k = 0;
	if (a->store && target->location)
		buf_addf(file, "%s/%s", a->store, target->location);
	if (fmt == FMT_DEB && a->store && target->location) {
		static const char *const w[] = { "dpkg", "--force-confdef", "--force-confold", "-i" };
		for (size_t i = 0; i < sizeof w / sizeof *w; i++)
			argv[k++] = w[i];
		argv[k++] = file->p;
	} else if (fmt == FMT_DEB) {
		static const char *const w[] = { "apt-get", "install", "-y", "--allow-downgrades",
						 "-o", "Dpkg::Options::=--force-confdef",
						 "-o", "Dpkg::Options::=--force-confold" };
		for (size_t i = 0; i < sizeof w / sizeof *w; i++)
			argv[k++] = w[i];
		buf_addf(ver, "%s=%s", a->name, target->evr);
		argv[k++] = ver->p;
	} else if (a->store && target->location) {
		argv[k++] = "rpm";
		argv[k++] = "-U";
		argv[k++] = "--oldpackage";
		if (installed && !evr_cmp(&fmt, installed, target->evr))
			argv[k++] = "--replacepkgs";
		argv[k++] = file->p;
	} else {
		int c = installed ? evr_cmp(&fmt, target->evr, installed) : 0;
		buf_addf(ver, "%s-%s", a->name, target->evr);
		argv[k++] = "dnf";
		argv[k++] = "-y";
		argv[k++] = !installed ? "install" : c > 0 ? "upgrade" : c < 0 ? "downgrade" : "reinstall";
		argv[k++] = ver->p;
	}
	argv[k] = NULL;
}

/* The plan as people read it (the dry run's output, the question). */
static void plan_text(const struct rb_args *a, const struct session *ss, const char *target,
		      const struct rb_plan *pl, const char *const *argv, struct buf *plan)
{
	const char *st = ss->dbstate && strcmp(ss->dbstate, "installed") ? ss->dbstate : NULL;
	if (ss->installed)
		buf_addf(plan, "rollback %s: %s%s%s%s -> %s\n", a->name, ss->installed, st ? " (" : "",
			 st ? st : "", st ? ")" : "", target);
	else
		buf_addf(plan, "rollback %s: nothing is installed; installs %s\n", a->name, target);
	buf_addf(plan, "  why: %s\n  installable: checked with libsolv\n  run:", pl->why.p);
	for (int i = 0; argv[i]; i++)
		buf_addf(plan, " %s", argv[i]);
	if (ss->pinned && !a->nopin)
		buf_addf(plan, "\n  first: lift relpkg's pin at %s (put back if the run fails)", ss->pinned);
	if (!a->nopin)
		buf_addf(plan, "\n  then: relpkg pin %s %s", a->name, target);
}

/* Runs the tool; the pin is lifted first (dnf's versionlock hides every
 * version but the pinned one, even from `dnf downgrade NAME-VER`) and put
 * back if the run fails; the target is pinned after. */
static int execute(const struct rb_args *a, const struct session *ss, const char *target,
		   const char *const *argv)
{
	int pin_moved = 0;
	if (ss->pinned && !a->nopin && pin_release(a->fmt, NULL, a->name, &pin_moved) < 0)
		return -1;
	int st = exec_run(argv);
	if (st != 0) {
		rp_err("rollback %s: %s exited with status %d; see its output above and `relpkg status %s`",
		       a->name, argv[0], st, a->name);
		if (pin_moved && pin_write(a->fmt, NULL, a->name, ss->pinned) < 0)
			rp_warn("could not put back the pin of %s at %s", a->name, ss->pinned);
		return -1;
	}
	if (!a->nopin && pin_write(a->fmt, NULL, a->name, target) < 0)
		return -1;
	printf("rolled back %s to %s%s\n", a->name, target, a->nopin ? "" : " and pinned it "
	       "(relpkg pin --release to lift)");
	return 0;
}

int cmd_rollback(int argc, char **argv)
{
	struct rb_args a = { 0 };
	int r = parse_args(argc, argv, &a);
	if (r)
		return r > 0 ? 0 : -1;
	struct session ss = { 0 };
	struct rb_plan pl = { .why = BUF_INIT };
	struct buf plan = BUF_INIT, ver = BUF_INIT, file = BUF_INIT;
	const char *tool[16];
	int rc = -1;
	if (session_open(&a, &ss) < 0 || pick_target(&a, &ss, &a.fmt, &pl) < 0)
		goto out;
	const struct solve_pkg *target = &ss.cand[pl.target];
	tool_argv(&a, a.fmt, ss.installed, target, tool, &file, &ver);
	plan_text(&a, &ss, target->evr, &pl, tool, &plan);
	if (a.dry) {
		printf("%s\n(dry run: nothing changed)\n", plan.p);
		rc = 0;
		goto out;
	}
	if (!a.yes && confirm(plan.p) < 0)
		goto out;
	printf("%s\n", plan.p);
	fflush(stdout);
	rc = execute(&a, &ss, target->evr, tool);
out:
	session_free(&ss);
	buf_free(&pl.why);
	buf_free(&plan);
	buf_free(&ver);
	buf_free(&file);
	return rc;
}
