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

int write_full(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int write_all(int fd, const void *p, size_t n, const char *what)
{
	return write_full(fd, p, n) < 0 ? rp_errno("%s: write", what) : 0;
}

int read_each(int fd, const char *what, read_fn fn, void *ctx)
{
	char chunk[1 << 16];
	for (;;) {
		ssize_t r = read(fd, chunk, sizeof chunk);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return rp_errno("%s: read", what);
		if (r == 0)
			return 0;
		int rc = fn(ctx, chunk, (size_t)r);
		if (rc)
			return rc;
	}
}

int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return rp_errno("%s", dir);
	int rc = fsync(fd) < 0 ? rp_errno("%s: fsync", dir) : 0;
	close(fd);
	return rc;
}

static void free_names(struct atomic *a)
{
	free(a->dir);
	free(a->name);
	free(a->tmpname);
	a->dir = a->name = a->tmpname = NULL;
}

int atomic_open(struct atomic *a, const char *dir, const char *name)
{
	memset(a, 0, sizeof *a);
	a->dir = xstrdup(dir);
	a->name = xstrdup(name);
	a->fd = tmpfile_open(dir, 0644);
	if (a->fd < 0) {
		struct buf b = BUF_INIT;
		buf_addf(&b, "%s/.%s.tmp-XXXXXX", dir, name);
		a->fd = mkostemp(b.p, O_CLOEXEC);
		if (a->fd >= 0)
			a->tmpname = buf_detach(&b);
		buf_free(&b);
	}
	/* the mode regardless of the umask: packages and pins are read by others */
	if (a->fd < 0 || fchmod(a->fd, 0644) < 0) {
		int e = errno;
		rp_errno("cannot create a file in %s", dir);
		atomic_abort(a);
		errno = e;
		return -1;
	}
	return 0;
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
	/* the rename is durable once the directory is: a failure here is
	 * reported (the file is in place, but may not survive a power cut) */
	rc = fsync_dir(a->dir);
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

void atomic_writeback(struct atomic *a)
{
	if (a->fd >= 0)
		(void)sync_file_range(a->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
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

int atomic_write_file(const char *dir, const char *name, const void *p, size_t n)
{
	struct atomic a;
	if (atomic_open(&a, dir, name) < 0)
		return -1;
	struct buf path = BUF_INIT;
	buf_addf(&path, "%s/%s", dir, name);
	int rc = write_all(a.fd, p, n, path.p);
	buf_free(&path);
	if (rc < 0) {
		atomic_abort(&a);
		return -1;
	}
	return atomic_commit(&a);
}
