/* pkginfo.c — see pkginfo.h: the shared record and the dispatch on the
 * file's magic bytes. */
#include "pkginfo.h"
#include "buf.h"
#include "error.h"

#include <archive.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct pkgfile *pkginfo_add_file(struct pkginfo *pi)
{
	if (pi->nfiles == pi->capfiles) {
		pi->capfiles = pi->capfiles ? pi->capfiles * 2 : 64;
		pi->files = xrealloc(pi->files, pi->capfiles * sizeof *pi->files);
	}
	struct pkgfile *f = &pi->files[pi->nfiles++];
	memset(f, 0, sizeof *f);
	return f;
}

void pkginfo_add_script(struct pkginfo *pi, const char *name, size_t size)
{
	pi->scripts = xrealloc(pi->scripts, (pi->nscripts + 1) * sizeof *pi->scripts);
	pi->scripts[pi->nscripts].name = xstrdup(name);
	pi->scripts[pi->nscripts].size = size;
	pi->nscripts++;
}

void pkginfo_free(struct pkginfo *pi)
{
	free(pi->name), free(pi->version), free(pi->arch), free(pi->maintainer);
	free(pi->depends), free(pi->summary);
	for (size_t i = 0; i < pi->nscripts; i++)
		free(pi->scripts[i].name);
	free(pi->scripts);
	for (size_t i = 0; i < pi->nfiles; i++) {
		struct pkgfile *f = &pi->files[i];
		free(f->path), free(f->target), free(f->user), free(f->group);
	}
	free(pi->files);
	free(pi->relpkg_meta);
	memset(pi, 0, sizeof *pi);
}

/* The first 8 bytes say which format it is; fd is rewound. */
static int sniff(int fd, enum pkgfmt *fmt)
{
	unsigned char m[8];
	ssize_t n;
	do
		n = pread(fd, m, sizeof m, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return rp_errno("read");
	if (n == 8 && !memcmp(m, "!<arch>\n", 8))
		*fmt = FMT_DEB;
	else if (n >= 4 && m[0] == 0xed && m[1] == 0xab && m[2] == 0xee && m[3] == 0xdb)
		*fmt = FMT_RPM;
	else
		return rp_err("not a .deb or .rpm package (no ar or rpm lead magic)");
	return 0;
}

int pkginfo_read(const char *path, struct pkginfo *pi, enum pkgmode mode)
{
	memset(pi, 0, sizeof *pi);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rp_errno("open");
	int rc = sniff(fd, &pi->fmt);
	if (rc == 0)
		rc = pi->fmt == FMT_DEB ? deb_pkg_read(fd, pi, mode) : rpm_pkg_read(fd, pi, mode);
	close(fd);
	return rc;
}

int pkg_read_member(struct archive *a, struct buf *out, size_t max, const char *what)
{
	char chunk[1 << 14];
	for (;;) {
		la_ssize_t r = archive_read_data(a, chunk, sizeof chunk);
		if (r < 0)
			return rp_err("%s: %s", what, archive_error_string(a));
		if (r == 0)
			return 0;
		if (out->len + (size_t)r > max)
			return rp_err("%s: larger than %zu bytes", what, max);
		buf_add(out, chunk, (size_t)r);
	}
}

int pkginfo_is_relpkg_meta(const char *path)
{
	if (path[0] == '.')
		path++;
	if (strncmp(path, "/opt/", 5))
		return 0;
	const char *n = path + 5, *m = strchr(n, '/');
	if (!m || m == n || strncmp(m, "/meta/", 6))
		return 0;
	const char *v = m + 6;
	size_t vl = strlen(v);
	return vl > 5 && !strchr(v, '/') && !strcmp(v + vl - 5, ".meta");
}
