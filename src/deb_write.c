/* deb_write.c — see deb_write.h. */
#include "deb_write.h"
#include "sign.h"
#include "atomic.h"
#include "buf.h"
#include "digest.h"
#include "error.h"
#include "hooks.h"
#include "text.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct deb_writer {
	struct pkgwriter base;  /* must be first */
	const struct pkgmeta *pm;       /* borrowed */
	char *outdir;
	enum comp comp;
	int level;
	int data_fd;
	struct zsink *z;
	struct archive *tar;
	int skip;               /* the current entry is not in the deb */
};

static struct archive *tar_open(struct zsink *z)
{
	struct archive *a = archive_write_new();
	archive_write_set_format_gnutar(a);
	archive_write_add_filter_none(a);
	archive_write_set_bytes_per_block(a, 0);
	if (archive_write_open2(a, z, NULL, payload_to_zsink, NULL, NULL) != ARCHIVE_OK) {
		rp_err("tar: %s", archive_error_string(a));
		archive_write_free(a);
		return NULL;
	}
	return a;
}

/* Writes a tar header; path is the package path ("" for the root). */
static int tar_header(struct archive *a, const char *path, enum etype t, mode_t mode,
		      uint64_t size, int64_t mtime, const char *target, const char *group)
{
	struct archive_entry *ae = archive_entry_new();
	struct buf name = BUF_INIT;
	buf_adds(&name, "./");
	buf_adds(&name, path);
	if (t == E_DIR && *path)
		buf_addc(&name, '/');
	archive_entry_set_pathname(ae, name.p);
	archive_entry_set_uid(ae, 0);
	archive_entry_set_gid(ae, 0);
	archive_entry_set_uname(ae, "root");
	archive_entry_set_gname(ae, group ? group : "root");
	archive_entry_set_mtime(ae, mtime, 0);
	archive_entry_set_perm(ae, mode);
	switch (t) {
	case E_DIR:
		archive_entry_set_filetype(ae, AE_IFDIR);
		archive_entry_set_size(ae, 0);
		break;
	case E_REG:
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_size(ae, (la_int64_t)size);
		break;
	case E_SYMLINK:
		archive_entry_set_filetype(ae, AE_IFLNK);
		archive_entry_set_symlink(ae, target);
		archive_entry_set_size(ae, 0);
		break;
	case E_HARDLINK: {
		struct buf tgt = BUF_INIT;
		buf_addf(&tgt, "./%s", target);
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_hardlink(ae, tgt.p);
		archive_entry_set_size(ae, 0);
		buf_free(&tgt);
		break;
	}
	}
	int r = archive_write_header(a, ae);
	archive_entry_free(ae);
	int rc = 0;
	if (r != ARCHIVE_OK)
		rc = rp_err("data.tar: %s: %s", name.p, archive_error_string(a));
	buf_free(&name);
	return rc;
}

static int w_entry(struct pkgwriter *base, const struct manifest *m, size_t idx)
{
	struct deb_writer *w = (struct deb_writer *)base;
	const struct entry *e = &m->v[idx];
	w->skip = (e->flags & EF_RPM_ONLY) != 0;
	if (w->skip)
		return 0;
	const char *target = e->type == E_HARDLINK ? m->v[e->link_first].path : e->target;
	/* the cookie: group-readable by the service user only (dpkg maps the
	 * name to the group the preinst created) */
	const char *group = e->flags & EF_SECRET ? w->pm->user : NULL;
	if (tar_header(w->tar, e->path, e->type, e->mode, e->size, payload_mtime(w->pm, e), target, group) < 0)
		return -1;
	return 0;
}

static int w_data(struct pkgwriter *base, const void *p, size_t n)
{
	struct deb_writer *w = (struct deb_writer *)base;
	if (w->skip)
		return 0;
	if (archive_write_data(w->tar, p, n) != (la_ssize_t)n)
		return rp_err("data.tar: %s", archive_error_string(w->tar));
	return 0;
}

struct deb_writer *deb_writer_new(const struct pkgmeta *pm, const char *outdir,
				  enum comp comp, int level)
{
	struct deb_writer *w = xcalloc(1, sizeof *w);
	w->base.entry = w_entry;
	w->base.data = w_data;
	w->pm = pm;
	w->outdir = xstrdup(outdir);
	w->comp = comp;
	w->level = level;
	w->data_fd = scratch_open(outdir);
	if (w->data_fd < 0)
		goto fail;
	w->z = zsink_new(w->data_fd, comp, level, 1);
	w->tar = tar_open(w->z);
	if (!w->tar)
		goto fail;
	if (tar_header(w->tar, "", E_DIR, 0755, 0, pm->clamp_mtime >= 0 ? pm->clamp_mtime : pm->build_time,
		       NULL, NULL) < 0)
		goto fail;
	return w;
fail:
	deb_writer_free(w);
	return NULL;
}

struct pkgwriter *deb_writer_base(struct deb_writer *w) { return &w->base; }

/* The Description field: synopsis line, then folded paragraphs. */
static void deb_add_description(struct buf *b, const char *summary, const char *description)
{
	buf_addf(b, "Description: %s\n", summary);
	text_fold(b, description, " ", " .\n");
}

/* issue 15: the relation fields of the .deb only (deb syntax, checked). */
static void deb_relations(struct buf *b, const struct pkgmeta *pm)
{
	static const struct { enum setting_id id; const char *field; } rel[] = {
		{ SET_PRE_DEPENDS, "Pre-Depends" }, { SET_RECOMMENDS, "Recommends" },
		{ SET_SUGGESTS, "Suggests" }, { SET_BREAKS, "Breaks" }, { SET_REPLACES, "Replaces" },
	};
	for (size_t i = 0; i < sizeof rel / sizeof *rel; i++) {
		const char *v = pkgmeta_get(pm, rel[i].id);
		if (v && *v)
			buf_addf(b, "%s: %s\n", rel[i].field, v);
	}
}

/* The control file text (malloc'd). */
static char *deb_control(const struct pkgmeta *pm, const struct manifest *m)
{
	uint64_t kib = 0;
	for (size_t i = 0; i < m->n; i++) {
		const struct entry *e = &m->v[i];
		if (e->flags & EF_RPM_ONLY)
			continue;
		if (e->type == E_REG)
			kib += (e->size + 1023) / 1024;
		else if (e->type != E_HARDLINK)
			kib += 1;
	}
	struct buf b = BUF_INIT;
	buf_addf(&b, "Package: %s\nVersion: %s\nArchitecture: %s\nMaintainer: %s\n"
		 "Installed-Size: %llu\n", pm->name, pm->deb_version, pm->deb_arch, pm->maintainer,
		 (unsigned long long)kib);
	const char *dd = pkgmeta_get(pm, SET_DEB_DEPENDS);
	if ((pm->depends && *pm->depends) || (dd && *dd))
		buf_addf(&b, "Depends: %s%s%s\n", pm->depends ? pm->depends : "",
			 pm->depends && *pm->depends && dd && *dd ? ", " : "", dd ? dd : "");
	deb_relations(&b, pm);
	if (pm->conflicts && *pm->conflicts)
		buf_addf(&b, "Conflicts: %s\n", pm->conflicts);
	if (pm->provides && *pm->provides)
		buf_addf(&b, "Provides: %s\n", pm->provides);
	buf_addf(&b, "Section: %s\nPriority: %s\n", pm->section, pm->priority);
	if (pm->url && *pm->url)
		buf_addf(&b, "Homepage: %s\n", pm->url);
	deb_add_description(&b, pm->summary, pm->description);
	return buf_detach(&b);
}

static int add_member(struct archive *a, const char *name, const void *p, size_t n,
		      mode_t mode, int64_t mtime)
{
	if (tar_header(a, name, E_REG, mode, n, mtime, NULL, NULL) < 0)
		return -1;
	if (n && archive_write_data(a, p, n) != (la_ssize_t)n)
		return rp_err("control.tar: %s", archive_error_string(a));
	return 0;
}

/* control.tar.gz into a scratch file; returns its fd or -1. */
static int build_control(struct deb_writer *w, const struct manifest *m, int64_t mtime)
{
	int fd = scratch_open(w->outdir);
	if (fd < 0)
		return -1;
	struct zsink *z = zsink_new(fd, COMP_GZIP, 9, 0);
	struct archive *a = tar_open(z);
	struct buf md5s = BUF_INIT, conff = BUF_INIT;
	char *control = NULL, *script = NULL;
	int rc = -1;
	if (!a)
		goto out;
	for (size_t i = 0; i < m->n; i++) {
		const struct entry *e = &m->v[i];
		if (e->flags & EF_RPM_ONLY)
			continue;
		if (e->flags & EF_CONFIG) {
			buf_addf(&conff, "/%s\n", e->path);
			continue;
		}
		if (e->type == E_REG || e->type == E_HARDLINK) {
			char hex[33];
			hex_encode(e->md5, 16, hex);
			buf_addf(&md5s, "%s  %s\n", hex, e->path);
		}
	}
	control = deb_control(w->pm, m);
	if (tar_header(a, "", E_DIR, 0755, 0, mtime, NULL, NULL) < 0 ||
	    add_member(a, "control", control, strlen(control), 0644, mtime) < 0 ||
	    add_member(a, "md5sums", md5s.p, md5s.len, 0644, mtime) < 0)
		goto out;
	if (conff.len && add_member(a, "conffiles", conff.p, conff.len, 0644, mtime) < 0)
		goto out;
	for (int i = 0; i < 4; i++) {
		struct buf nm = BUF_INIT;
		buf_addf(&nm, "deb/%s", hook_names_deb[i]);
		script = hooks_render(nm.p, w->pm, FMT_DEB);
		buf_free(&nm);
		if (!script || add_member(a, hook_names_deb[i], script, strlen(script), 0755, mtime) < 0)
			goto out;
		free(script);
		script = NULL;
	}
	if (archive_write_close(a) != ARCHIVE_OK) {
		rp_err("control.tar: %s", archive_error_string(a));
		goto out;
	}
	if (zsink_finish(z) < 0)
		goto out;
	rc = 0;
out:
	if (a)
		archive_write_free(a);
	zsink_free(z);
	free(control);
	free(script);
	buf_free(&md5s);
	buf_free(&conff);
	if (rc < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Copies a scratch file into the ar member currently open in `ar`. */
static int copy_fd(struct archive *ar, int fd, const char *what)
{
	static char chunk[1 << 16];
	if (lseek(fd, 0, SEEK_SET) < 0)
		return rp_errno("%s: seek", what);
	for (;;) {
		ssize_t r = read(fd, chunk, sizeof chunk);
		if (r < 0)
			return rp_errno("%s: read", what);
		if (r == 0)
			return 0;
		if (archive_write_data(ar, chunk, (size_t)r) != r)
			return rp_err("%s: %s", what, archive_error_string(ar));
	}
}

static int ar_member(struct archive *ar, const char *name, int64_t size, int64_t mtime)
{
	struct archive_entry *ae = archive_entry_new();
	archive_entry_set_pathname(ae, name);
	archive_entry_set_filetype(ae, AE_IFREG);
	archive_entry_set_perm(ae, 0644);
	archive_entry_set_size(ae, size);
	archive_entry_set_mtime(ae, mtime, 0);
	archive_entry_set_uid(ae, 0);
	archive_entry_set_gid(ae, 0);
	int r = archive_write_header(ar, ae);
	archive_entry_free(ae);
	if (r != ARCHIVE_OK)
		return rp_err("ar: %s: %s", name, archive_error_string(ar));
	return 0;
}

/* --sign-key: a debsigs origin signature, the ar member _gpgorigin: a
 * detached OpenPGP signature over debian-binary, control.tar.* and
 * data.tar.* concatenated (debsig-verify's "origin" type). */
static int deb_sign(struct deb_writer *w, int cfd, off_t csize, off_t dsize, struct buf *sig)
{
	const char *key = pkgmeta_get(w->pm, SET_SIGN_KEY);
	if (!key)
		return 0;
	struct sign_part parts[3] = { { .p = "2.0\n", .len = 4 },
				      { .fd = cfd, .len = (size_t)csize },
				      { .fd = w->data_fd, .len = (size_t)dsize } };
	return sign_detached(key, parts, 3, sig);
}

int deb_writer_finish(struct deb_writer *w, const struct manifest *m, char **path)
{
	int rc = -1, cfd = -1;
	struct archive *ar = NULL;
	struct atomic out = { .fd = -1 };
	struct buf fname = BUF_INIT, member = BUF_INIT, sig = BUF_INIT;
	int64_t mtime = w->pm->clamp_mtime >= 0 ? w->pm->clamp_mtime : w->pm->build_time;

	if (archive_write_close(w->tar) != ARCHIVE_OK) {
		rp_err("data.tar: %s", archive_error_string(w->tar));
		goto out;
	}
	archive_write_free(w->tar);
	w->tar = NULL;
	if (zsink_finish(w->z) < 0)
		goto out;
	cfd = build_control(w, m, mtime);
	if (cfd < 0)
		goto out;

	struct stat cst, dst;
	if (fstat(cfd, &cst) < 0 || fstat(w->data_fd, &dst) < 0) {
		rp_errno("fstat");
		goto out;
	}
	if (deb_sign(w, cfd, cst.st_size, dst.st_size, &sig) < 0)
		goto out;
	buf_addf(&fname, "%s_%s-%s_%s.deb", w->pm->name, w->pm->deb_upstream, w->pm->release,
		 w->pm->deb_arch);
	if (atomic_open(&out, w->outdir, fname.p) < 0)
		goto out;
	ar = archive_write_new();
	archive_write_set_format_ar_bsd(ar);
	archive_write_add_filter_none(ar);
	archive_write_set_bytes_per_block(ar, 0);
	if (archive_write_open_fd(ar, out.fd) != ARCHIVE_OK) {
		rp_err("%s: %s", fname.p, archive_error_string(ar));
		goto out;
	}
	if (ar_member(ar, "debian-binary", 4, mtime) < 0)
		goto out;
	if (archive_write_data(ar, "2.0\n", 4) != 4) {
		rp_err("ar: %s", archive_error_string(ar));
		goto out;
	}
	if (ar_member(ar, "control.tar.gz", cst.st_size, mtime) < 0 ||
	    copy_fd(ar, cfd, "control.tar.gz") < 0)
		goto out;
	buf_addf(&member, "data.tar%s", comp_suffix(w->comp));
	if (ar_member(ar, member.p, dst.st_size, mtime) < 0 || copy_fd(ar, w->data_fd, member.p) < 0)
		goto out;
	if (sig.len && (ar_member(ar, "_gpgorigin", (int64_t)sig.len, mtime) < 0 ||
			archive_write_data(ar, sig.p, sig.len) != (la_ssize_t)sig.len)) {
		rp_err("ar: _gpgorigin: %s", archive_error_string(ar));
		goto out;
	}
	if (archive_write_close(ar) != ARCHIVE_OK) {
		rp_err("%s: %s", fname.p, archive_error_string(ar));
		goto out;
	}
	if (atomic_commit(&out) < 0)
		goto out;
	*path = buf_detach(&fname);
	rc = 0;
out:
	if (ar)
		archive_write_free(ar);
	if (out.fd >= 0)
		atomic_abort(&out);
	if (cfd >= 0)
		close(cfd);
	buf_free(&fname);
	buf_free(&member);
	buf_free(&sig);
	return rc;
}

void deb_writer_free(struct deb_writer *w)
{
	if (!w)
		return;
	if (w->tar)
		archive_write_free(w->tar);
	zsink_free(w->z);
	if (w->data_fd >= 0)
		close(w->data_fd);
	free(w->outdir);
	free(w);
}
