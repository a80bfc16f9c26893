/* solve.c — see solve.h.  The only file of relpkg that includes libsolv
 * (tests/solvread.c reads packages with it directly). */
#include "solve.h"
#include "error.h"

#include <stdlib.h>
#include <string.h>

#include <solv/evr.h>
#include <solv/pool.h>

/* A pool with fmt's version rules, or NULL after rp_err(). */
static Pool *pool_for(enum pkgfmt fmt)
{
	Pool *pool = pool_create();
	int type = fmt == FMT_RPM ? DISTTYPE_RPM : DISTTYPE_DEB;
	if (pool_setdisttype(pool, type) == -1) {
		pool_free(pool);
		rp_err("this libsolv was built without %s version semantics "
		       "(pool_setdisttype failed): rebuild it with MULTI_SEMANTICS",
		       fmt == FMT_RPM ? "rpm" : "deb");
		return NULL;
	}
	return pool;
}

/* ---- the version order: one per format ---- */

/* One pool per format, made on first use and kept for the process:
 * sorting a store compares n log n times. */
static Pool *order_pool[FMT_RPM + 1];

int solve_vercmp_ready(enum pkgfmt fmt)
{
	if (fmt != FMT_DEB && fmt != FMT_RPM)
		return rp_err("version order: unknown package format %d", (int)fmt);
	if (!order_pool[fmt])
		order_pool[fmt] = pool_for(fmt);
	return order_pool[fmt] ? 0 : -1;
}

/* dpkg compares an absent revision as an empty one, which equals "0"
 * ("1.0" = "1.0-0"); libsolv's EVRCMP_COMPARE sorts "no release" first
 * whatever the disttype ("1.0" < "1.0-0"), which is rpm's rule only.
 * Spelling the absent revision "-0" gives dpkg's answer for every pair
 * (tests/t_vercmp.sh).  Returns s itself or a malloc'd copy. */
static char *deb_with_revision(const char *s)
{
	if (strchr(s, '-'))
		return (char *)s;
	size_t n = strlen(s);
	char *t = xmalloc(n + 3);
	memcpy(t, s, n);
	memcpy(t + n, "-0", 3);
	return t;
}

int solve_verorder(enum pkgfmt fmt, const char *a, const char *b)
{
	if ((fmt != FMT_DEB && fmt != FMT_RPM) || !order_pool[fmt])
		abort();        /* the caller skipped solve_vercmp_ready(): a bug, never "equal" */
	char *x = fmt == FMT_DEB ? deb_with_revision(a) : (char *)a;
	char *y = fmt == FMT_DEB ? deb_with_revision(b) : (char *)b;
	int r = pool_evrcmp_str(order_pool[fmt], x, y, EVRCMP_COMPARE);
	if (x != a)
		free(x);
	if (y != b)
		free(y);
	return r < 0 ? -1 : r > 0;
}

int solve_vercmp(enum pkgfmt fmt, const char *a, const char *b, int *result)
{
	if (solve_vercmp_ready(fmt) < 0)
		return -1;
	*result = solve_verorder(fmt, a, b);
	return 0;
}

/* ---- a session over the installed database and the available versions ---- */

#include <glob.h>
#include <rpm/rpmlib.h>
#include <pwd.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <solv/poolarch.h>
#include <solv/repo.h>
#include <solv/repo_deb.h>
#include <solv/repo_rpmdb.h>
#include <solv/repo_rpmmd.h>
#include <solv/repo_repomdxml.h>
#include <solv/bitmap.h>
#include <solv/selection.h>
#include <solv/solver.h>
#include <solv/solv_xfopen.h>
#include "buf.h"

struct solve_ctx {
	Pool *pool;
	Repo *installed, *available;
	enum pkgfmt fmt;
};

static int add_file(struct solve_ctx *sc, const char *path, int rpmmd)
{
	FILE *fp = solv_xfopen(path, "r");
	if (!fp)
		return rp_errno("%s", path);
	int r = rpmmd ? repo_add_rpmmd(sc->available, fp, 0, REPO_REUSE_REPODATA | REPO_NO_INTERNALIZE)
		      : repo_add_debpackages(sc->available, fp, REPO_REUSE_REPODATA | REPO_NO_INTERNALIZE);
	fclose(fp);
	if (r)
		return rp_err("%s: %s", path, pool_errstr(sc->pool));
	return 0;
}

static int add_glob(struct solve_ctx *sc, const char *pattern, int rpmmd, int *count)
{
	glob_t g;
	if (glob(pattern, 0, NULL, &g) != 0)
		return 0;
	int rc = 0;
	for (size_t i = 0; i < g.gl_pathc && !rc; i++) {
		rc = add_file(sc, g.gl_pathv[i], rpmmd);
		(*count)++;
	}
	globfree(&g);
	return rc;
}

struct solve_ctx *solve_open(enum pkgfmt fmt, const char *store)
{
	/* Debian's rpm keeps its database in ~/.rpmdb: librpm (through
	 * libsolv) and the rpm/dnf runs that follow need HOME */
	if (fmt == FMT_RPM && !getenv("HOME")) {
		struct passwd *pw = getpwuid(getuid());
		if (pw && pw->pw_dir)
			setenv("HOME", pw->pw_dir, 0);
	}
	/* libsolv reads the rpmdb through librpm, which needs rpm's macros
	 * (the database path and backend) loaded by the application */
	if (fmt == FMT_RPM && rpmReadConfigFiles(NULL, NULL) != 0) {
		rp_err("cannot read rpm's configuration (rpmReadConfigFiles)");
		return NULL;
	}
	struct solve_ctx *sc = xcalloc(1, sizeof *sc);
	sc->fmt = fmt;
	sc->pool = pool_for(fmt);
	if (!sc->pool)
		goto fail;
	pool_setarch(sc->pool, NULL);   /* the machine's architecture */
	sc->installed = repo_create(sc->pool, "@System");
	int r = fmt == FMT_DEB ? repo_add_debdb(sc->installed, REPO_REUSE_REPODATA)
			       : repo_add_rpmdb(sc->installed, NULL, REPO_REUSE_REPODATA);
	if (r) {
		rp_err("reading the installed %s database: %s", fmt == FMT_DEB ? "dpkg" : "rpm",
		       pool_errstr(sc->pool));
		goto fail;
	}
	pool_set_installed(sc->pool, sc->installed);
	sc->available = repo_create(sc->pool, store ? store : "system");
	struct buf p = BUF_INIT;
	int n = 0, rc = 0;
	if (store) {
		if (fmt == FMT_DEB) {
			buf_addf(&p, "%s/Packages", store);
			rc = add_file(sc, p.p, 0);
			n = 1;
		} else {
			buf_addf(&p, "%s/repodata/*primary.xml*", store);
			rc = add_glob(sc, p.p, 1, &n);
		}
	} else if (fmt == FMT_DEB) {
		rc = add_glob(sc, "/var/lib/apt/lists/*_Packages", 0, &n);
	} else {
		rc = add_glob(sc, "/var/cache/dnf/*/repodata/*primary.xml*", 1, &n);
	}
	if (!rc && n == 0)
		rc = rp_err(store ? "%s: no package index (Packages or repodata/*primary.xml*): "
				    "is it a relpkg repo?"
				  : "%s: no package lists found (run apt-get update / dnf makecache, or give --store)",
			    store ? store : "system");
	buf_free(&p);
	if (rc)
		goto fail;
	repo_internalize(sc->available);
	pool_addfileprovides(sc->pool);
	pool_createwhatprovides(sc->pool);
	return sc;
fail:
	solve_close(sc);
	return NULL;
}

void solve_close(struct solve_ctx *sc)
{
	if (!sc)
		return;
	if (sc->pool)
		pool_free(sc->pool);
	free(sc);
}

int solve_installed(struct solve_ctx *sc, const char *name, char **evr)
{
	*evr = NULL;
	Id id = pool_str2id(sc->pool, name, 0), p;
	Solvable *s;
	if (!id)
		return 0;
	FOR_REPO_SOLVABLES(sc->installed, p, s)
	{
		if (s->name == id) {
			*evr = xstrdup(pool_id2str(sc->pool, s->evr));
			break;
		}
	}
	return 0;
}

/* The version order, then the spelling (versions the order calls equal,
 * "1.0" and "1.0-0" in dpkg's, stay apart), then the store's order: the
 * same strings are neighbours, the first the store lists first. */
static int cmp_pkg(const void *a, const void *b, void *ctx)
{
	const struct solve_pkg *x = a, *y = b;
	int c = solve_verorder(*(const enum pkgfmt *)ctx, x->evr, y->evr);
	if (!c)
		c = strcmp(x->evr, y->evr);
	return c ? c : x->seq < y->seq ? -1 : x->seq > y->seq;
}

int solve_candidates(struct solve_ctx *sc, const char *name, struct solve_pkg **v, size_t *n)
{
	*v = NULL;
	*n = 0;
	if (solve_vercmp_ready(sc->fmt) < 0)
		return -1;
	Id id = pool_str2id(sc->pool, name, 0), p;
	Solvable *s;
	if (!id)
		return 0;
	size_t cap = 0;
	FOR_REPO_SOLVABLES(sc->available, p, s)
	{
		if (s->name != id || !pool_installable(sc->pool, s))
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			*v = xrealloc(*v, cap * sizeof **v);
		}
		unsigned medianr;
		const char *loc = solvable_lookup_location(s, &medianr);
		(*v)[*n].evr = xstrdup(pool_id2str(sc->pool, s->evr));
		(*v)[*n].location = loc ? xstrdup(loc) : NULL;
		(*n)++;
	}
	if (!*n)
		return 0;
	/* one candidate per version string, the first the store lists */
	for (size_t i = 0; i < *n; i++)
		(*v)[i].seq = i;
	qsort_r(*v, *n, sizeof **v, cmp_pkg, &sc->fmt);
	size_t k = 1;
	for (size_t i = 1; i < *n; i++) {
		if (!strcmp((*v)[i].evr, (*v)[k - 1].evr)) {
			free((*v)[i].evr);
			free((*v)[i].location);
		} else {
			(*v)[k++] = (*v)[i];
		}
	}
	*n = k;
	return 0;
}

void solve_pkgs_free(struct solve_pkg *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].evr);
		free(v[i].location);
	}
	free(v);
}

int solve_can_install(struct solve_ctx *sc, const char *name, const char *evr, char **problem)
{
	*problem = NULL;
	Id id = pool_str2id(sc->pool, name, 0), p, target = 0;
	Id evrid = pool_str2id(sc->pool, evr, 0);
	Solvable *s;
	FOR_REPO_SOLVABLES(sc->available, p, s)
	{
		if (s->name == id && s->evr == evrid) {
			target = p;
			break;
		}
	}
	if (!target)
		return rp_err("%s %s is not in the available versions", name, evr);
	/* The solver is asked about the target and the installed version
	 * only: the other available versions of name are out of its sight.
	 * With all N of them, every pair gets a same-name rule (N^2: 2.3 GB
	 * and 5.6 s at 10,000 versions), to answer a question about one. */
	Map considered;
	map_init(&considered, sc->pool->nsolvables);
	map_setall(&considered);
	FOR_REPO_SOLVABLES(sc->available, p, s)
	{
		if (s->name == id && p != target)
			MAPCLR(&considered, p);
	}
	sc->pool->considered = &considered;
	pool_createwhatprovides(sc->pool);
	Queue job;
	queue_init(&job);
	queue_push2(&job, SOLVER_INSTALL | SOLVER_SOLVABLE, target);
	Solver *solv = solver_create(sc->pool);
	solver_set_flag(solv, SOLVER_FLAG_ALLOW_DOWNGRADE, 1);
	int nprob = solver_solve(solv, &job);
	if (nprob) {
		struct buf b = BUF_INIT;
		for (Id pr = 1; pr <= nprob; pr++)
			buf_addf(&b, "%s%s", pr > 1 ? "; " : "", solver_problem2str(solv, pr));
		*problem = buf_detach(&b);
	}
	solver_free(solv);
	queue_free(&job);
	sc->pool->considered = NULL;
	map_free(&considered);
	pool_createwhatprovides(sc->pool);
	return 0;
}
