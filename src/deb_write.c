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
#include <stdio.h>
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
	struct framer data;     /* data.tar */
	int skip;               /* the current entry is not in the deb */
};

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

static int w_entry(struct pkgwriter *base, struct manifest *m, size_t idx)
{
	struct deb_writer *w = (struct deb_writer *)base;
	struct entry *e = &m->v[idx];
	w->skip = (e->flags & EF_RPM_ONLY) != 0;
	if (w->skip)
		return 0;
	const char *target = e->type == E_HARDLINK ? m->v[e->link_first].path : e->target;
	/* the cookie: group-readable by the service user only (dpkg maps the
	 * name to the group the preinst created) */
	const char *group = e->flags & EF_SECRET ? w->pm->user : NULL;
	if (tar_header(w->data.a, e->path, e->type, e->mode, e->size, payload_mtime(w->pm, e), target,
		       group) < 0)
		return -1;
	zsink_digest_begin(w->data.z, e->type == E_REG ? e->md5 : NULL);
	zsink_share_key(w->data.z, payload_share_key(e, idx, w->comp));
	return 0;
}

static int w_data(struct pkgwriter *base, const void *p, size_t n)
{
	struct deb_writer *w = (struct deb_writer *)base;
	return w->skip ? 0 : framer_data(&w->data, p, n);
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
	w->data.fd = -1;
	if (framer_open(&w->data, "data.tar", outdir, comp, level, 1, H_MD5, archive_write_set_format_gnutar) < 0)
		goto fail;
	if (tar_header(w->data.a, "", E_DIR, 0755, 0, pm->clamp_mtime >= 0 ? pm->clamp_mtime : pm->build_time,
		       NULL, NULL) < 0)
		goto fail;
	return w;
fail:
	deb_writer_free(w);
	return NULL;
}

struct pkgwriter *deb_writer_base(struct deb_writer *w) { return &w->base; }
void deb_writer_share(struct deb_writer *w, struct zshare *sh) { zsink_share(w->data.z, sh); }

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
	/* issue 15: then the automatic ones (autodeps.c: without what the user named) */
	const char *ad = pkgmeta_get(pm, SET_AUTO_DEB_DEPENDS);
	const char *dl[] = { pm->depends, dd, ad };
	int nd = 0;
	for (int i = 0; i < 3; i++)
		if (dl[i] && *dl[i])
			buf_addf(&b, "%s%s", nd++ ? ", " : "Depends: ", dl[i]);
	if (nd)
		buf_addc(&b, '\n');
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

/* control.tar.gz into a scratch file; returns its fd or -1.  Gzip (every
 * dpkg reads it) at the package's gzip level, else gzip's default 6: the
 * md5sums of a large release are megabytes, and -9 cost 3x the time of
 * -6 for ~1% of a member that small. */
static int build_control(struct deb_writer *w, const struct manifest *m, int64_t mtime)
{
	struct framer f;
	struct buf md5s = BUF_INIT, conff = BUF_INIT;
	char *control = NULL, *script = NULL;
	int rc = -1;
	if (framer_open(&f, "control.tar", w->outdir, COMP_GZIP, w->comp == COMP_GZIP ? w->level : 6, 0, -1,
			archive_write_set_format_gnutar) < 0)
		goto out;
	struct archive *a = f.a;
	/* md5sums is measured first and written in chunks: a large release's
	 * is megabytes (issue 17: memory flat in entries) */
	uint64_t md5len = 0;
	for (size_t i = 0; i < m->n; i++) {
		const struct entry *e = &m->v[i];
		if (e->flags & EF_RPM_ONLY)
			continue;
		if (e->flags & EF_CONFIG) {
			buf_addf(&conff, "/%s\n", e->path);
			continue;
		}
		if (e->type == E_REG || e->type == E_HARDLINK)
			md5len += 32 + 2 + strlen(e->path) + 1;
	}
	control = deb_control(w->pm, m);
	if (tar_header(a, "", E_DIR, 0755, 0, mtime, NULL, NULL) < 0 ||
	    add_member(a, "control", control, strlen(control), 0644, mtime) < 0 ||
	    tar_header(a, "md5sums", E_REG, 0644, md5len, mtime, NULL, NULL) < 0)
		goto out;
	for (size_t i = 0; i < m->n; i++) {
		const struct entry *e = &m->v[i];
		if (e->flags & (EF_RPM_ONLY | EF_CONFIG) || (e->type != E_REG && e->type != E_HARDLINK))
			continue;
		char hex[33];
		hex_encode(e->md5, 16, hex);
		buf_addf(&md5s, "%s  %s\n", hex, e->path);
		if (md5s.len >= (64u << 10)) {
			if (archive_write_data(a, md5s.p, md5s.len) != (la_ssize_t)md5s.len) {
				rp_err("control.tar: %s", archive_error_string(a));
				goto out;
			}
			md5len -= md5s.len;
			buf_reset(&md5s);
		}
	}
	if (md5s.len) {
		if (archive_write_data(a, md5s.p, md5s.len) != (la_ssize_t)md5s.len) {
			rp_err("control.tar: %s", archive_error_string(a));
			goto out;
		}
		md5len -= md5s.len;
	}
	if (md5len) {
		rp_err("control.tar: md5sums: %llu bytes short of its measure", (unsigned long long)md5len);
		goto out;
	}
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
	if (framer_close(&f) < 0)
		goto out;
	rc = f.fd;
	f.fd = -1;
out:
	framer_free(&f);
	free(control);
	free(script);
	buf_free(&md5s);
	buf_free(&conff);
	return rc;
}

/* One ar member header (the common format dpkg reads: name space-padded,
 * no '/', decimal mtime and size, octal mode, root-owned).  60 bytes. */
static int ar_member(int fd, const char *name, uint64_t size, int64_t mtime, const char *what)
{
	char h[96];
	int n = snprintf(h, sizeof h, "%-16.16s%-12lld%-6d%-6d%-8o%-10llu`\n", name, (long long)mtime, 0, 0,
			 0100644, (unsigned long long)size);
	if (n != 60)
		return rp_err("%s: ar member %s: size %llu or time %lld does not fit its header", what, name,
			      (unsigned long long)size, (long long)mtime);
	return write_all(fd, h, 60, what);
}

/* A whole member from a scratch file: header, the bytes copied in the
 * kernel where possible, the padding to an even offset. */
static int ar_copy(int fd, const char *name, int from, int64_t mtime, const char *what)
{
	struct stat st;
	if (fstat(from, &st) < 0)
		return rp_errno("%s: fstat", name);
	if (ar_member(fd, name, (uint64_t)st.st_size, mtime, what) < 0 ||
	    payload_copy(from, fd, (uint64_t)st.st_size, what) < 0)
		return -1;
	return st.st_size % 2 ? write_all(fd, "\n", 1, what) : 0;
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
				      { .fd = w->data.fd, .len = (size_t)dsize } };
	return sign_detached(key, parts, 3, sig);
}

int deb_writer_finish(struct deb_writer *w, const struct manifest *m, struct atomic *outp)
{
	int rc = -1, cfd = -1;
	struct atomic out = { .fd = -1 };
	*outp = out;
	struct buf fname = BUF_INIT, member = BUF_INIT, sig = BUF_INIT;
	int64_t mtime = w->pm->clamp_mtime >= 0 ? w->pm->clamp_mtime : w->pm->build_time;

	if (framer_close(&w->data) < 0)
		goto out;
	for (size_t i = 0; i < m->n; i++)       /* the sink digested the first names */
		if (m->v[i].type == E_HARDLINK)
			memcpy(m->v[i].md5, m->v[m->v[i].link_first].md5, sizeof m->v[i].md5);
	cfd = build_control(w, m, mtime);
	if (cfd < 0)
		goto out;

	struct stat cst, dst;
	if (fstat(cfd, &cst) < 0 || fstat(w->data.fd, &dst) < 0) {
		rp_errno("fstat");
		goto out;
	}
	if (deb_sign(w, cfd, cst.st_size, dst.st_size, &sig) < 0)
		goto out;
	buf_addf(&fname, "%s_%s-%s_%s.deb", w->pm->name, w->pm->deb_upstream, w->pm->revision,
		 w->pm->deb_arch);
	if (atomic_open(&out, w->outdir, fname.p) < 0)
		goto out;
	buf_addf(&member, "data.tar%s", comp_suffix(w->comp));
	if (write_all(out.fd, "!<arch>\n", 8, fname.p) < 0 ||
	    ar_member(out.fd, "debian-binary", 4, mtime, fname.p) < 0 ||
	    write_all(out.fd, "2.0\n", 4, fname.p) < 0 ||
	    ar_copy(out.fd, "control.tar.gz", cfd, mtime, fname.p) < 0 ||
	    ar_copy(out.fd, member.p, w->data.fd, mtime, fname.p) < 0)
		goto out;
	if (sig.len && (ar_member(out.fd, "_gpgorigin", sig.len, mtime, fname.p) < 0 ||
			write_all(out.fd, sig.p, sig.len, fname.p) < 0 ||
			(sig.len % 2 && write_all(out.fd, "\n", 1, fname.p) < 0)))
		goto out;
	atomic_writeback(&out);
	*outp = out;
	out.fd = -1;
	rc = 0;
out:
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
	framer_free(&w->data);
	free(w->outdir);
	free(w);
}
