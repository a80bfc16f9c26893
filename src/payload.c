/* payload.c — see payload.h. */
#include "payload.h"
#include "buildopts.h"
#include "zsink.h"
#include "error.h"
#include "ingest.h"

#include "atomic.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct pass {
	struct payload_job *job;
	size_t cur;             /* manifest index of the current entry */
	int first_block;
	int ad_on;               /* the current entry goes to job->ad */
};

static int begin(struct pass *p, size_t idx)
{
	p->cur = idx;
	p->first_block = 1;
	const struct entry *e = &p->job->m->v[idx];
	p->ad_on = p->job->ad && (e->flags & EF_RELEASE) && e->type == E_REG;
	if (p->ad_on)
		autodeps_begin(p->job->ad, e->path, (unsigned)e->mode);
	for (int i = 0; i < p->job->nw; i++)
		if (p->job->w[i]->entry(p->job->w[i], p->job->m, idx) < 0)
			return -1;
	return 0;
}

static int feed(struct pass *p, const void *d, size_t n)
{
	struct entry *e = &p->job->m->v[p->cur];
	if (p->first_block && (e->flags & EF_RELEASE))
		elfarch_note(&p->job->arch, e->path, d, n);
	p->first_block = 0;
	if (p->ad_on)
		autodeps_data(p->job->ad, d, n);
	for (int i = 0; i < p->job->nw; i++)
		if (p->job->w[i]->data(p->job->w[i], d, n) < 0)
			return -1;
	return 0;
}

/* The digests are filled by the writers' sinks (payload.h). */
static int end(struct pass *p)
{
	struct entry *e = &p->job->m->v[p->cur];
	e->digested = e->type == E_REG || e->type == E_HARDLINK;
	if (p->ad_on)
		autodeps_end(p->job->ad);
	p->ad_on = 0;
	return 0;
}

static int cb_entry(void *ctx, size_t i)
{
	struct pass *p = ctx;
	size_t idx = p->job->in2m[i];
	/* (size_t)-1: an entry made another (--config-file: a symlink, src/conffiles.c) */
	if (idx == (size_t)-1 || p->job->m->v[idx].type == E_DIR) {
		p->cur = (size_t)-1;   /* emitted with the other directories */
		return 0;
	}
	return begin(p, idx);
}

static int cb_data(void *ctx, const void *d, size_t n)
{
	struct pass *p = ctx;
	return p->cur == (size_t)-1 ? 0 : feed(p, d, n);
}

static int cb_end(void *ctx, size_t i)
{
	struct pass *p = ctx;
	(void)i;
	return p->cur == (size_t)-1 ? 0 : end(p);
}

static const struct manifest *sort_m;

static int cmp_path(const void *a, const void *b)
{
	return strcmp(sort_m->v[*(const size_t *)a].path, sort_m->v[*(const size_t *)b].path);
}

int payload_run(struct payload_job *job)
{
	struct manifest *m = job->m;
	struct pass p = { .job = job };
	int rc = -1;

	size_t *dirs = xmalloc((m->n ? m->n : 1) * sizeof *dirs), nd = 0;
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].type == E_DIR)
			dirs[nd++] = i;
	sort_m = m;
	qsort(dirs, nd, sizeof *dirs, cmp_path);
	sort_m = NULL;
	for (size_t k = 0; k < nd; k++)
		if (begin(&p, dirs[k]) < 0 || end(&p) < 0)
			goto out;

	free(dirs);     /* dead before the long part (issue 17) */
	dirs = NULL;

	struct ingest_cb cb = { cb_entry, cb_data, cb_end, &p };
	if (ingest_stream(job->in, &cb) < 0)
		goto out;

	for (size_t i = 0; i < m->n; i++) {
		struct entry *e = &m->v[i];
		if (!(e->flags & EF_GENERATED))
			continue;
		if (begin(&p, i) < 0 || (e->type == E_REG && feed(&p, e->content, e->size) < 0) || end(&p) < 0)
			goto out;
	}
	rc = 0;
out:
	free(dirs);
	return rc;
}

int64_t payload_mtime(const struct pkgmeta *pm, const struct entry *e)
{
	if (e->flags & EF_RELEASE && e->type != E_DIR)
		return e->mtime;
	return pm->clamp_mtime >= 0 ? pm->clamp_mtime : pm->build_time;
}

uint64_t payload_share_key(const struct entry *e, size_t idx, enum comp c)
{
	uint64_t min = c == COMP_XZ ? PAYLOAD_SHARE_MIN_XZ : PAYLOAD_SHARE_MIN;
	if (e->type != E_REG || e->size < min || e->flags & (EF_DEB_ONLY | EF_RPM_ONLY))
		return 0;
	return (uint64_t)idx + 1;
}

static la_ssize_t to_zsink(struct archive *a, void *zsink, const void *p, size_t n)
{
	(void)a;
	return zsink_write(zsink, p, n) < 0 ? -1 : (la_ssize_t)n;
}

int framer_open(struct framer *f, const char *what, const char *outdir, enum comp c, int level,
		int threaded, int algo, int (*set_format)(struct archive *))
{
	memset(f, 0, sizeof *f);
	f->what = what;
	f->fd = scratch_open(outdir);
	if (f->fd < 0)
		return -1;
	f->z = zsink_new(f->fd, c, level, threaded);
	if (algo >= 0)
		zsink_digest_algo(f->z, algo);
	f->a = archive_write_new();
	set_format(f->a);
	archive_write_add_filter_none(f->a);
	archive_write_set_bytes_per_block(f->a, 0);     /* straight through: see framer_data */
	if (archive_write_open2(f->a, f->z, NULL, to_zsink, NULL, NULL) != ARCHIVE_OK)
		return rp_err("%s: %s", what, archive_error_string(f->a));
	return 0;
}

int framer_data(struct framer *f, const void *p, size_t n)
{
	/* unblocked, libarchive hands the entry's bytes to to_zsink inside
	 * this call and the framing (headers, padding) in others */
	zsink_digest_on(f->z);
	la_ssize_t k = archive_write_data(f->a, p, n);
	zsink_digest_off(f->z);
	if (k != (la_ssize_t)n)
		return rp_err("%s: %s", f->what, archive_error_string(f->a));
	return 0;
}

int framer_close(struct framer *f)
{
	if (archive_write_close(f->a) != ARCHIVE_OK)
		return rp_err("%s: %s", f->what, archive_error_string(f->a));
	archive_write_free(f->a);
	f->a = NULL;
	return zsink_finish(f->z);
}

void framer_free(struct framer *f)
{
	if (f->a)
		archive_write_free(f->a);
	zsink_free(f->z);
	if (f->fd >= 0)
		close(f->fd);
	memset(f, 0, sizeof *f);
	f->fd = -1;
}

int payload_copy(int from, int to, uint64_t len, const char *what)
{
	static char chunk[1 << 16];
	off_t off = 0;
	int kernel = 1;
	while (len) {
		ssize_t r = kernel ? copy_file_range(from, &off, to, NULL, len, 0) : -1;
		if (r <= 0) {
			/* EXDEV, EINVAL, ENOSYS (or 0 on a short source): copy by hand */
			kernel = 0;
			size_t want = len < sizeof chunk ? (size_t)len : sizeof chunk;
			r = pread(from, chunk, want, off);
			if (r <= 0)
				return r < 0 ? rp_errno("%s: reading the scratch copy", what)
					     : rp_err("%s: the scratch copy is shorter than written", what);
			if (write_all(to, chunk, (size_t)r, what) < 0)
				return -1;
			off += r;
		}
		len -= (uint64_t)r;
	}
	return 0;
}
