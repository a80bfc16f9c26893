/* cmd_status.c — `relpkg status NAME [--json]`: what the package database
 * says, what runs (checked against systemd), and what relpkg's scripts
 * left behind (relpkg-state(5)); exit status 1 when they do not tell one
 * consistent story.
 *
 *   facts:    dpkg-query / rpm -q (pin.c), /var/lib/relpkg/NAME/{state,
 *             failed,txn,running,journal} (journal.c), the running
 *             version's saved meta, `systemctl show`, /opt/NAME/current and
 *             /opt/NAME/live
 *   verdict:  a list of problems (each with an id and a message)
 *   output:   text or JSON, the same facts */
#include "buf.h"
#include "error.h"
#include "exec.h"
#include "journal.h"
#include "pin.h"
#include "solve.h"
#include "text.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct problem {
	const char *id;         /* transaction, schema, disagreement, failed, not-running */
	char *message;          /* owned */
};

struct status {
	const char *name;
	enum pkgfmt fmt;
	char *installed, *dbstate;      /* package database (owned; NULL: not installed) */
	struct relstate rs;
	struct kvfile meta;             /* the running version's saved meta */
	int systemd;                    /* systemd runs here */
	char active[32], mainpid[32], invocation[64];   /* systemctl show */
	const char *running;            /* the version that runs, or NULL (borrowed) */
	const char *source;             /* how running was found out */
	int verified;                   /* running checked against systemd's invocation id */
	char current[256];              /* what /opt/NAME/current points at */
	char slot[8];                   /* blue-green: the active slot ("" cold) */
	char **stale;                   /* live trees other than the running one (owned) */
	size_t nstale;
	struct problem p[8];
	size_t np;
};

static void add_problem(struct status *st, const char *id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void add_problem(struct status *st, const char *id, const char *fmt, ...)
{
	if (st->np == sizeof st->p / sizeof *st->p)
		return;
	va_list ap;
	va_start(ap, fmt);
	char tmp[1024];
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	st->p[st->np].id = id;
	st->p[st->np].message = xstrdup(tmp);
	st->np++;
}

static int has_problem(const struct status *st, const char *id)
{
	for (size_t i = 0; i < st->np; i++)
		if (!strcmp(st->p[i].id, id))
			return 1;
	return 0;
}

static int empty(const char *s)
{
	return !s || !*s;
}

/* systemctl show NAME.service: ActiveState, MainPID, InvocationID. */
static void query_systemd(struct status *st)
{
	st->systemd = exec_have("systemctl") && access("/run/systemd/system", F_OK) == 0;
	if (!st->systemd)
		return;
	struct buf unit = BUF_INIT, out = BUF_INIT;
	/* blue-green (issue 14): the service is the active slot NAME@SLOT */
	struct kvfile sf = { 0 };
	buf_addf(&unit, "/var/lib/relpkg/%s/slot", st->name);
	if (kv_read(unit.p, 0, &sf) == 0) {
		const char *a = kv_get(&sf, "ACTIVE");
		if (a && (!strcmp(a, "blue") || !strcmp(a, "green")))
			snprintf(st->slot, sizeof st->slot, "%s", a);
	}
	kv_free(&sf);
	buf_reset(&unit);
	if (st->slot[0])
		buf_addf(&unit, "%s@%s.service", st->name, st->slot);
	else
		buf_addf(&unit, "%s.service", st->name);
	const char *argv[] = { "systemctl", "show", "-p", "ActiveState", "-p", "MainPID", "-p", "InvocationID",
			       unit.p, NULL };
	if (exec_capture(argv, &out, 1) == 0) {
		for (char *line = out.p; line && *line;) {
			char *nl = strchr(line, '\n');
			if (nl)
				*nl = 0;
			if (!strncmp(line, "ActiveState=", 12))
				snprintf(st->active, sizeof st->active, "%s", line + 12);
			else if (!strncmp(line, "MainPID=", 8))
				snprintf(st->mainpid, sizeof st->mainpid, "%s", line + 8);
			else if (!strncmp(line, "InvocationID=", 13))
				snprintf(st->invocation, sizeof st->invocation, "%s", line + 13);
			line = nl ? nl + 1 : NULL;
		}
	}
	buf_free(&unit);
	buf_free(&out);
}

/* What runs: the guard's running file checked against systemd's invocation
 * id; without a running file (packages of earlier relpkg versions), the
 * state file and /opt/NAME/current, unverified. */
static void find_running(struct status *st)
{
	const char *rv = kv_get(&st->rs.running, "VERSION");
	const char *inv = kv_get(&st->rs.running, "INVOCATION");
	const char *sv = kv_get(&st->rs.state, "RUNNING");
	int active = !strcmp(st->active, "active") || !strcmp(st->active, "reloading");
	if (st->systemd && !active) {
		st->source = "systemd: the unit is not active";
		return;
	}
	if (!empty(rv) && st->systemd) {
		st->running = rv;
		st->verified = !empty(inv) && !strcmp(inv, st->invocation);
		st->source = st->verified ? "the unit's guard, same systemd invocation"
					  : "the unit's guard, but systemd reports another invocation "
					    "(started without the guard?)";
		return;
	}
	if (!empty(rv)) {
		st->running = rv;
		st->source = "the unit's guard (no systemd to check it against)";
		return;
	}
	st->running = !empty(sv) ? sv : st->current[0] ? st->current : NULL;
	st->source = !empty(sv) ? "from the state file, unverified: no running file"
				: st->current[0] ? "from the current link, unverified: no running file, no state"
						 : "no running file, no state";
}

/* The version /opt/NAME/current points at (live/VERSION or releases/VERSION). */
static void read_current(struct status *st)
{
	struct buf p = BUF_INIT;
	buf_addf(&p, "/opt/%s/current", st->name);
	char l[256];
	ssize_t n = readlink(p.p, l, sizeof l - 1);
	if (n > 0) {
		l[n] = 0;
		const char *v = strrchr(l, '/');
		snprintf(st->current, sizeof st->current, "%s", v ? v + 1 : l);
	}
	buf_free(&p);
}

/* Live trees (/opt/NAME/live/VERSION) of versions neither running nor current. */
static void read_stale_live(struct status *st)
{
	struct buf p = BUF_INIT;
	buf_addf(&p, "/opt/%s/live", st->name);
	DIR *d = opendir(p.p);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if ((st->running && !strcmp(e->d_name, st->running)) || !strcmp(e->d_name, st->current))
			continue;
		/* hot upgrades: the tree the node booted from stays while it runs */
		const char *boot = kv_get(&st->rs.running, "BOOT");
		if (st->verified && boot && !strcmp(e->d_name, boot))
			continue;
		st->stale = xrealloc(st->stale, (st->nstale + 1) * sizeof *st->stale);
		struct buf t = BUF_INIT;
		buf_addf(&t, "%s/%s", p.p, e->d_name);
		st->stale[st->nstale++] = buf_detach(&t);
	}
	if (d)
		closedir(d);
	buf_free(&p);
}

static char *upstream_of(const char *evr)
{
	const char *c = strchr(evr, ':');
	const char *s = c ? c + 1 : evr;
	const char *dash = strrchr(s, '-');
	char *u = xstrndup(s, dash ? (size_t)(dash - s) : strlen(s));
	for (char *t = strchr(u, '~'); t; t = strchr(t, '~'))
		*t = '-';
	return u;
}

static void judge(struct status *st)
{
	const struct kvfile *txn = &st->rs.txn, *state = &st->rs.state, *failed = &st->rs.failed;
	if (txn->present)
		add_problem(st, "transaction", "a transition %s -> %s is unfinished (step %s, recorded %s): the next "
			    "package operation settles it (dpkg --configure -a, or install either version)",
			    empty(kv_get(txn, "FROM")) ? "-" : kv_get(txn, "FROM"), kv_str(txn, "TO"),
			    kv_str(txn, "STEP"), kv_str(txn, "TIME"));
	/* the schema the database is at: an unfinished record knows best */
	const char *db = txn->present && kv_get(txn, "DB_SCHEMA") ? kv_get(txn, "DB_SCHEMA") : kv_get(state, "DB_SCHEMA");
	const char *want = kv_get(&st->meta, "SCHEMA_VERSION");
	if (st->running && !empty(db) && !empty(want) && strcmp(db, want))
		add_problem(st, "schema", "%s runs but the database is at schema %s, not %s's %s", st->running,
			    !strcmp(db, "?") ? "unknown (a migration was interrupted)" : db, st->running, want);
	if (st->installed && st->dbstate && strcmp(st->dbstate, "installed"))
		add_problem(st, "disagreement", "the package database has %s %s %s", st->name, st->installed,
			    st->dbstate);
	else if (st->installed && st->running) {
		const char *pv = kv_get(&st->meta, st->fmt == FMT_RPM ? "RPM_VERSION" : "DEB_VERSION");
		int differ = 0;
		if (!empty(pv)) {
			int r = 0;
			differ = solve_vercmp(st->fmt, pv, st->installed, &r) == 0 && r != 0;
		} else {
			char *u = upstream_of(st->installed);
			differ = strcmp(u, st->running) != 0;
			free(u);
		}
		if (differ)
			add_problem(st, "disagreement", "the package database says %s is installed, but %s runs",
				    st->installed, st->running);
	} else if (!st->installed && st->running)
		add_problem(st, "disagreement", "%s is not installed according to the package database, but %s runs",
			    st->name, st->running);
	if (!strcmp(kv_str(state, "RESULT"), "failed") || failed->present)
		add_problem(st, "failed", "the last transition failed%s%s%s%s: %s",
			    failed->present ? " (" : "", failed->present ? kv_str(failed, "VERSION") : "",
			    failed->present ? " at " : "", failed->present ? kv_str(failed, "STEP") : "",
			    failed->present && kv_get(failed, "REASON") ? kv_str(failed, "REASON")
								: kv_str(state, "MESSAGE"));
	if (st->installed && !st->running && !has_problem(st, "transaction"))
		add_problem(st, "not-running", "%s is installed but no version runs (%s)", st->name,
			    st->systemd ? "the unit is not active" : "the state file names none");
}

static void json_str(struct buf *b, const char *k, const char *v, int last)
{
	buf_addf(b, "  \"%s\": ", k);
	text_json(b, v && *v ? v : NULL);
	buf_adds(b, last ? "\n" : ",\n");
}

static void json_kv_object(struct buf *b, const char *k, const struct kvfile *kv, const char *const *keys)
{
	buf_addf(b, "  \"%s\": ", k);
	if (!kv->present) {
		buf_adds(b, "null,\n");
		return;
	}
	buf_adds(b, "{");
	for (size_t i = 0; keys[i]; i++) {
		buf_addf(b, "%s\"%s\": ", i ? ", " : "", keys[i]);
		const char *v = kv_get(kv, keys[i]);
		text_json(b, v && *v ? v : NULL);
	}
	buf_adds(b, "},\n");
}

static void print_json(const struct status *st)
{
	static const char *const fkeys[] = { "VERSION", "FROM", "STEP", "REASON", "TIME", NULL };
	static const char *const tkeys[] = { "FROM", "TO", "FROM_SCHEMA", "TO_SCHEMA", "MIGRATION", "STEP",
					     "DB_SCHEMA", "TIME", NULL };
	const struct kvfile *state = &st->rs.state;
	struct buf b = BUF_INIT;
	buf_adds(&b, "{\n");
	json_str(&b, "name", st->name, 0);
	json_str(&b, "format", st->installed ? (st->fmt == FMT_RPM ? "rpm" : "deb") : NULL, 0);
	json_str(&b, "installed", st->installed, 0);
	json_str(&b, "database_state", st->dbstate, 0);
	json_str(&b, "running", st->running, 0);
	buf_addf(&b, "  \"running_verified\": %s,\n", st->verified ? "true" : "false");
	json_str(&b, "running_source", st->source, 0);
	buf_addf(&b, "  \"active\": %s,\n", !st->systemd ? "null" : !strcmp(st->active, "active") ? "true" : "false");
	json_str(&b, "active_state", st->active, 0);
	buf_addf(&b, "  \"main_pid\": %s,\n", st->systemd && atol(st->mainpid) > 0 ? st->mainpid : "null");
	json_str(&b, "invocation", st->invocation, 0);
	json_str(&b, "current", st->current, 0);
	json_str(&b, "slot", st->slot[0] ? st->slot : NULL, 0);
	json_str(&b, "previous", kv_get(state, "PREVIOUS"), 0);
	json_str(&b, "last_result", kv_get(state, "RESULT"), 0);
	json_str(&b, "last_message", kv_get(state, "MESSAGE"), 0);
	json_str(&b, "last_time", kv_get(state, "TIME"), 0);
	json_str(&b, "last_healthy", kv_get(state, "LAST_HEALTHY"), 0);
	json_str(&b, "db_schema", kv_get(state, "DB_SCHEMA"), 0);
	json_str(&b, "expected_schema", kv_get(&st->meta, "SCHEMA_VERSION"), 0);
	json_kv_object(&b, "failed", &st->rs.failed, fkeys);
	json_kv_object(&b, "transaction", &st->rs.txn, tkeys);
	buf_adds(&b, "  \"stale_live\": [");
	for (size_t i = 0; i < st->nstale; i++) {
		buf_adds(&b, i ? ", " : "");
		text_json(&b, st->stale[i]);
	}
	buf_adds(&b, "],\n");
	static const char *const ids[] = { "transaction", "schema", "disagreement", "failed", "not-running", NULL };
	static const char *const fields[] = { "unfinished_transaction", "schema_mismatch", "database_disagrees",
					      "last_failed", "not_running", NULL };
	for (size_t i = 0; ids[i]; i++)
		buf_addf(&b, "  \"%s\": %s,\n", fields[i], has_problem(st, ids[i]) ? "true" : "false");
	buf_adds(&b, "  \"problems\": [");
	for (size_t i = 0; i < st->np; i++) {
		buf_addf(&b, "%s\n    {\"id\": \"%s\", \"message\": ", i ? "," : "", st->p[i].id);
		text_json(&b, st->p[i].message);
		buf_adds(&b, "}");
	}
	buf_adds(&b, st->np ? "\n  ],\n" : "],\n");
	buf_addf(&b, "  \"consistent\": %s\n}\n", st->np ? "false" : "true");
	fputs(b.p, stdout);
	buf_free(&b);
}

static void print_text(const struct status *st)
{
	const struct kvfile *state = &st->rs.state;
	printf("name: %s\n", st->name);
	if (st->installed)
		printf("installed: %s (%s, %s)\n", st->installed, st->dbstate, st->fmt == FMT_RPM ? "rpm" : "deb");
	else
		printf("installed: - (not in the package database)\n");
	printf("running: %s (%s)\n", st->running ? st->running : "-", st->source);
	if (st->systemd)
		printf("active: %s%s%s\n", st->active[0] ? st->active : "unknown",
		       atol(st->mainpid) > 0 ? ", main pid " : "", atol(st->mainpid) > 0 ? st->mainpid : "");
	else
		printf("active: unknown (no systemd)\n");
	if (st->verified && !empty(kv_get(&st->rs.running, "BOOT")))
		printf("hot: %s runs in the node booted from %s (pid %s kept)\n", st->running,
		       kv_get(&st->rs.running, "BOOT"), kv_str(&st->rs.running, "PID"));
	printf("current: %s\n", st->current[0] ? st->current : "-");
	if (st->slot[0])
		printf("slot: %s (%s@%s.service, blue-green)\n", st->slot, st->name, st->slot);
	printf("previous: %s\n", empty(kv_get(state, "PREVIOUS")) ? "-" : kv_get(state, "PREVIOUS"));
	if (!empty(kv_get(state, "DB_SCHEMA")) || !empty(kv_get(&st->meta, "SCHEMA_VERSION")))
		printf("schema: database %s, %s expects %s\n",
		       empty(kv_get(state, "DB_SCHEMA")) ? "unknown" : kv_get(state, "DB_SCHEMA"),
		       st->running ? st->running : "-",
		       empty(kv_get(&st->meta, "SCHEMA_VERSION")) ? "none" : kv_get(&st->meta, "SCHEMA_VERSION"));
	if (!empty(kv_get(state, "LAST_HEALTHY")))
		printf("last healthy: %s\n", kv_get(state, "LAST_HEALTHY"));
	if (!empty(kv_get(state, "RESULT")))
		printf("last: %s %s: %s\n", kv_str(state, "TIME"), kv_str(state, "RESULT"), kv_str(state, "MESSAGE"));
	for (size_t i = 0; i < st->nstale; i++)
		printf("stale live tree: %s (the next transition removes it)\n", st->stale[i]);
	for (size_t i = 0; i < st->np; i++)
		printf("problem (%s): %s\n", st->p[i].id, st->p[i].message);
	if (!st->np)
		printf("consistent: yes\n");
}

static void status_free(struct status *st)
{
	free(st->installed);
	free(st->dbstate);
	relstate_free(&st->rs);
	kv_free(&st->meta);
	for (size_t i = 0; i < st->nstale; i++)
		free(st->stale[i]);
	free(st->stale);
	for (size_t i = 0; i < st->np; i++)
		free(st->p[i].message);
}

int cmd_status(int argc, char **argv)
{
	int json = 0;
	const char *name = NULL;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			puts("usage: relpkg status NAME [--json]\n\n"
			     "What the package database says is installed, what runs (checked against\n"
			     "systemd), and what relpkg's scripts left (relpkg-state(5)).  Exit status 0:\n"
			     "one consistent story; 1: an unknown package, an unfinished transition, a\n"
			     "schema mismatch, the database disagreeing with what runs, a failed last\n"
			     "transition, or nothing running (each is named); 2: usage.\n\n"
			     "  --json      one JSON object on stdout: the same facts and a \"problems\" array\n"
			     "  --help, -h  this text");
			return 0;
		}
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (argv[i][0] == '-')
			return rp_usage("status: unknown option '%s'", argv[i]);
		else if (!name)
			name = argv[i];
		else
			return rp_usage("status: more than one NAME");
	}
	if (!name)
		return rp_usage("status: no NAME given (see relpkg status --help)");
	if (strchr(name, '/') || name[0] == '.')
		return rp_usage("status: '%s' is not a package name", name);

	struct status st;
	memset(&st, 0, sizeof st);
	st.name = name;
	st.fmt = FMT_DEB;
	pkgdb_query(FMT_DEB, name, &st.installed, &st.dbstate);
	if (!st.installed) {
		st.fmt = FMT_RPM;
		pkgdb_query(FMT_RPM, name, &st.installed, &st.dbstate);
	}
	if (relstate_read(NULL, name, &st.rs) < 0) {
		status_free(&st);
		return -1;
	}
	if (!st.rs.dir) {
		int rc = st.installed ? rp_err("status %s: %s is installed but relpkg's scripts left nothing in "
					       "/var/lib/relpkg/%s: not a package built by relpkg",
					       name, st.installed, name)
				      : rp_err("status %s: unknown package: not in the package database, and "
					       "relpkg's scripts left nothing in /var/lib/relpkg/%s", name, name);
		status_free(&st);
		return rc;
	}
	query_systemd(&st);
	read_current(&st);
	find_running(&st);
	read_stale_live(&st);
	int rc = 0;
	if (st.running && meta_read(NULL, name, st.running, &st.meta) < 0)
		rc = -1;
	if (!rc) {
		judge(&st);
		if (json)
			print_json(&st);
		else
			print_text(&st);
		fflush(stdout);
		if (st.np) {
			struct buf ids = BUF_INIT;
			for (size_t i = 0; i < st.np; i++)
				buf_addf(&ids, "%s%s", i ? ", " : "", st.p[i].id);
			rc = rp_err("status %s: not consistent (%s)", name, ids.p);
			buf_free(&ids);
		}
	}
	status_free(&st);
	return rc;
}
