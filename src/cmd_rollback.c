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

int cmd_rollback(int argc, char **argv)
{
	const char *name = NULL, *to = NULL, *store = NULL;
	int dry = 0, yes = 0, nopin = 0;
	enum pkgfmt fmt = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage();
			return 0;
		}
		if (!strcmp(a, "--to") && i + 1 < argc)
			to = argv[++i];
		else if (!strcmp(a, "--store") && i + 1 < argc)
			store = argv[++i];
		else if (!strcmp(a, "--dry-run"))
			dry = 1;
		else if (!strcmp(a, "--yes") || !strcmp(a, "-y"))
			yes = 1;
		else if (!strcmp(a, "--no-pin"))
			nopin = 1;
		else if (!strcmp(a, "--deb"))
			fmt = FMT_DEB;
		else if (!strcmp(a, "--rpm"))
			fmt = FMT_RPM;
		else if (a[0] == '-')
			return rp_usage("rollback: unknown option '%s' (or missing value)", a);
		else if (!name)
			name = a;
		else
			return rp_usage("rollback: more than one NAME");
	}
	if (!name)
		return rp_usage("rollback: no NAME given (see relpkg rollback --help)");
	if (!fmt)
		fmt = pin_guess_format(name);

	int rc = -1;
	struct solve_ctx *sc = NULL;
	struct solve_pkg *cand = NULL;
	size_t ncand = 0;
	char *installed = NULL, *problem = NULL, **ups = NULL, *inst_up = NULL, *dbevr = NULL, *dbstate = NULL;
	char *pinned = NULL;
	struct rb_candidate *rc_c = NULL;
	struct relstate rs;
	struct kvfile meta = { 0 };
	struct rb_plan pl = { .why = BUF_INIT };
	struct buf plan = BUF_INIT, ver = BUF_INIT, file = BUF_INIT;
	int pin_moved = 0;

	if (relstate_read(NULL, name, &rs) < 0)
		return -1;
	/* a pin that cannot hold anything is refused before anything changes */
	if (!nopin && pin_check_tool(fmt, NULL) < 0) {
		rp_err_context("rollback %s", name);
		goto out;
	}
	sc = solve_open(fmt, store);
	if (!sc)
		goto out;
	if (solve_installed(sc, name, &installed) < 0)
		goto out;
	if (solve_candidates(sc, name, &cand, &ncand) < 0)
		goto out;
	rc_c = xcalloc(ncand ? ncand : 1, sizeof *rc_c);
	ups = xcalloc(ncand ? ncand : 1, sizeof *ups);
	for (size_t i = 0; i < ncand; i++) {
		ups[i] = upstream_of(cand[i].evr);
		rc_c[i].evr = cand[i].evr;
		rc_c[i].upstream = ups[i];
	}
	pkgdb_query(fmt, name, &dbevr, &dbstate);
	if (pin_current(fmt, NULL, name, &pinned) < 0)
		goto out;
	const char *running = kv_get(&rs.running, "VERSION");
	if (!running || !*running)
		running = kv_get(&rs.state, "RUNNING");
	if (meta_read(NULL, name, running, &meta) < 0)
		goto out;
	struct rb_input in = {
		.installed_evr = installed, .db_state = dbstate, .pinned = pinned,
		.to = to, .c = rc_c, .n = ncand, .cmp = evr_cmp, .cmp_ctx = &fmt,
	};
	if (installed)
		in.installed_upstream = inst_up = upstream_of(installed);
	policy_input(&rs, &meta, fmt, &in);
	if (rollback_pick(&in, &pl) < 0) {
		rp_err_context("rollback %s", name);
		goto out;
	}
	const struct solve_pkg *target = &cand[pl.target];
	if (solve_can_install(sc, name, target->evr, &problem) < 0)
		goto out;
	if (problem) {
		rp_err("rollback %s: %s cannot be installed on this system: %s", name, target->evr, problem);
		goto out;
	}

	/* the plan: the native tool, with the arguments it will get */
	const char *argvv[16];
	int k = 0;
	if (fmt == FMT_DEB) {
		if (store && target->location) {
			buf_addf(&file, "%s/%s", store, target->location);
			argvv[k++] = "dpkg";
			argvv[k++] = "--force-confdef";
			argvv[k++] = "--force-confold";
			argvv[k++] = "-i";
			argvv[k++] = file.p;
		} else {
			buf_addf(&ver, "%s=%s", name, target->evr);
			argvv[k++] = "apt-get";
			argvv[k++] = "install";
			argvv[k++] = "-y";
			argvv[k++] = "--allow-downgrades";
			argvv[k++] = "-o";
			argvv[k++] = "Dpkg::Options::=--force-confdef";
			argvv[k++] = "-o";
			argvv[k++] = "Dpkg::Options::=--force-confold";
			argvv[k++] = ver.p;
		}
	} else {
		if (store && target->location) {
			buf_addf(&file, "%s/%s", store, target->location);
			argvv[k++] = "rpm";
			argvv[k++] = "-U";
			argvv[k++] = "--oldpackage";
			if (installed && !evr_cmp(&fmt, installed, target->evr))
				argvv[k++] = "--replacepkgs";
			argvv[k++] = file.p;
		} else {
			buf_addf(&ver, "%s-%s", name, target->evr);
			argvv[k++] = "dnf";
			argvv[k++] = "-y";
			argvv[k++] = !installed ? "install"
				     : evr_cmp(&fmt, target->evr, installed) > 0 ? "upgrade"
				     : evr_cmp(&fmt, target->evr, installed) < 0 ? "downgrade" : "reinstall";
			argvv[k++] = ver.p;
		}
	}
	argvv[k] = NULL;
	if (installed)
		buf_addf(&plan, "rollback %s: %s%s%s%s -> %s\n  why: %s\n  installable: checked with libsolv\n  run:",
			 name, installed, dbstate && strcmp(dbstate, "installed") ? " (" : "",
			 dbstate && strcmp(dbstate, "installed") ? dbstate : "",
			 dbstate && strcmp(dbstate, "installed") ? ")" : "", target->evr, pl.why.p);
	else
		buf_addf(&plan, "rollback %s: nothing is installed; installs %s\n  why: %s\n"
			 "  installable: checked with libsolv\n  run:", name, target->evr, pl.why.p);
	for (int i = 0; i < k; i++)
		buf_addf(&plan, " %s", argvv[i]);
	if (pinned && !nopin)
		buf_addf(&plan, "\n  first: lift relpkg's pin at %s (put back if the run fails)", pinned);
	if (!nopin)
		buf_addf(&plan, "\n  then: relpkg pin %s %s", name, target->evr);
	if (dry) {
		printf("%s\n(dry run: nothing changed)\n", plan.p);
		rc = 0;
		goto out;
	}
	if (!yes && confirm(plan.p) < 0)
		goto out;
	printf("%s\n", plan.p);
	fflush(stdout);
	/* dnf's versionlock hides every version but the pinned one, even from
	 * `dnf downgrade NAME-VER`: the old pin goes first */
	if (pinned && !nopin) {
		int removed;
		if (pin_release(fmt, NULL, name, &removed) < 0)
			goto out;
		pin_moved = removed;
	}
	int st = exec_run(argvv);
	if (st != 0) {
		rp_err("rollback %s: %s exited with status %d; see its output above and `relpkg status %s`",
		       name, argvv[0], st, name);
		if (pin_moved && pin_write(fmt, NULL, name, pinned) < 0)
			rp_warn("could not put back the pin of %s at %s", name, pinned);
		goto out;
	}
	if (!nopin && pin_write(fmt, NULL, name, target->evr) < 0)
		goto out;
	printf("rolled back %s to %s%s\n", name, target->evr, nopin ? "" : " and pinned it "
	       "(relpkg pin --release to lift)");
	rc = 0;
out:
	for (size_t i = 0; i < ncand; i++)
		free(ups ? ups[i] : NULL);
	free(ups);
	free(rc_c);
	solve_pkgs_free(cand, ncand);
	free(installed);
	free(inst_up);
	free(dbevr);
	free(dbstate);
	free(pinned);
	free(problem);
	kv_free(&meta);
	relstate_free(&rs);
	buf_free(&pl.why);
	buf_free(&plan);
	buf_free(&ver);
	buf_free(&file);
	solve_close(sc);
	return rc;
}
