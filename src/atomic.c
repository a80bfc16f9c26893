/* atomic.c — see atomic.h. */
#include "atomic.h"
#include "buf.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int mkdir_p(const char *dir)
{
	if (!*dir)
		return rp_err("an empty directory name");
	char *p = xstrdup(dir);
	for (char *s = p + 1;; s++) {
		if (*s == '/' || !*s) {
			char c = *s;
			*s = 0;
			if (mkdir(p, 0755) < 0 && errno != EEXIST) {
				rp_errno("cannot create directory %s", p);
				free(p);
				return -1;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	free(p);
	struct stat st;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return rp_err("%s: not a directory", dir);
	return 0;
}

/* For tests only: RELPKG_TEST_NO_O_TMPFILE=1 takes the path of a file
 * system without O_TMPFILE (named temporary files), see atomic.h. */
static int tmpfile_open(const char *dir, mode_t mode)
{
	const char *t = getenv("RELPKG_TEST_NO_O_TMPFILE");
	if (t && *t == '1') {
		errno = EOPNOTSUPP;
		return -1;
	}
	return open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, mode);
}

int scratch_open(const char *dir)
{
	int fd = tmpfile_open(dir, 0600);
	if (fd >= 0)
		return fd;
	struct buf b = BUF_INIT;
	buf_addf(&b, "%s/.relpkg-scratch-XXXXXX", dir);
	fd = mkostemp(b.p, O_CLOEXEC);
	if (fd >= 0)
		unlink(b.p);
	else
		rp_errno("cannot create a scratch file in %s", dir);
	buf_free(&b);
	return fd;
}

int atomic_open(struct atomic *a, const char *dir, const char *name)
{
	memset(a, 0, sizeof *a);
	a->dir = xstrdup(dir);
	a->name = xstrdup(name);
	a->fd = tmpfile_open(dir, 0644);
	if (a->fd >= 0) {
		fchmod(a->fd, 0644);
		return 0;
	}
	struct buf b = BUF_INIT;
	buf_addf(&b, "%s/.%s.tmp-XXXXXX", dir, name);
	a->fd = mkostemp(b.p, O_CLOEXEC);
	if (a->fd < 0) {
		rp_errno("cannot create a file in %s", dir);
		buf_free(&b);
		return -1;
	}
	fchmod(a->fd, 0644);
	a->tmpname = buf_detach(&b);
	return 0;
}

static void free_names(struct atomic *a)
{
	free(a->dir);
	free(a->name);
	free(a->tmpname);
	a->dir = a->name = a->tmpname = NULL;
}

int atomic_commit(struct atomic *a)
{
	int rc = -1;
	struct buf final = BUF_INIT, tmp = BUF_INIT;
	buf_addf(&final, "%s/%s", a->dir, a->name);
	if (fsync(a->fd) < 0) {
		rp_errno("%s: fsync", final.p);
		goto fail;
	}
	if (!a->tmpname) {
		/* give the anonymous file a temporary name, then rename it */
		char proc[64];
		snprintf(proc, sizeof proc, "/proc/self/fd/%d", a->fd);
		buf_addf(&tmp, "%s/.%s.tmp-%ld", a->dir, a->name, (long)getpid());
		unlink(tmp.p);
		if (linkat(AT_FDCWD, proc, AT_FDCWD, tmp.p, AT_SYMLINK_FOLLOW) < 0) {
			rp_errno("%s: cannot link the finished file", final.p);
			goto fail;
		}
		a->tmpname = buf_detach(&tmp);
	}
	if (rename(a->tmpname, final.p) < 0) {
		rp_errno("%s: rename", final.p);
		goto fail;
	}
	int dfd = open(a->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	rc = 0;
	goto out;
fail:
	/* every failure removes the temporary name: nothing is left behind */
	if (a->tmpname)
		unlink(a->tmpname);
out:
	close(a->fd);
	a->fd = -1;
	buf_free(&final);
	buf_free(&tmp);
	free_names(a);
	return rc;
}

void atomic_abort(struct atomic *a)
{
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	if (a->tmpname)
		unlink(a->tmpname);
	free_names(a);
}
