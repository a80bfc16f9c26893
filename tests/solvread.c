/* solvread: reads one .deb (or, with --rpm, one .rpm) with libsolv, the way
 * a solver sees it, and prints "NAME EVR ARCH" of its solvable.
 *   solvread [--rpm] PKGFILE
 * Exit status: 0 read, 1 libsolv could not read it, 2 usage or setup. */
#include <stdio.h>
#include <string.h>

#include <solv/pool.h>
#include <solv/repo.h>
#include <solv/repo_deb.h>
#include <solv/repo_rpmdb.h>
#include <solv/solvable.h>

int main(int argc, char **argv)
{
	int rpm = 0;
	if (argc == 3 && strcmp(argv[1], "--rpm") == 0)
		rpm = 1;
	else if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: solvread [--rpm] PKGFILE\n");
		return 2;
	}
	const char *path = argv[argc - 1];

	Pool *pool = pool_create();
	if (pool_setdisttype(pool, rpm ? DISTTYPE_RPM : DISTTYPE_DEB) == -1) {
		fprintf(stderr, "solvread: this libsolv cannot do %s semantics\n",
			rpm ? "rpm" : "deb");
		pool_free(pool);
		return 2;
	}
	Repo *repo = repo_create(pool, "solvread");
	Id p = rpm ? repo_add_rpm(repo, path, 0) : repo_add_deb(repo, path, 0);
	if (!p) {
		/* libsolv's message already names the file */
		fprintf(stderr, "solvread: %s\n", pool_errstr(pool));
		pool_free(pool);
		return 1;
	}
	Solvable *s = pool_id2solvable(pool, p);
	printf("%s %s %s\n", pool_id2str(pool, s->name), pool_id2str(pool, s->evr),
	       pool_id2str(pool, s->arch));
	pool_free(pool);
	return 0;
}
