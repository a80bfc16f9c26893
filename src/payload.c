/* payload.c — see payload.h. */
#include "payload.h"
#include "buildopts.h"
#include "zsink.h"
#include "digest.h"
#include "error.h"
#include "ingest.h"

#include <stdlib.h>
#include <string.h>

struct pass {
	struct payload_job *job;
	struct hasher md5, sha256;
	size_t cur;             /* manifest index of the current entry */
	int first_block;
};

static int begin(struct pass *p, size_t idx)
{
	p->cur = idx;
	p->first_block = 1;
	if (p->job->want_md5)
		hasher_reset(&p->md5);
	if (p->job->want_sha256)
		hasher_reset(&p->sha256);
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
	if (p->job->want_md5)
		hasher_update(&p->md5, d, n);
	if (p->job->want_sha256)
		hasher_update(&p->sha256, d, n);
	for (int i = 0; i < p->job->nw; i++)
		if (p->job->w[i]->data(p->job->w[i], d, n) < 0)
			return -1;
	return 0;
}

static int end(struct pass *p)
{
	struct entry *e = &p->job->m->v[p->cur];
	if (e->type == E_REG) {
		if (p->job->want_md5)
			hasher_final(&p->md5, e->md5);
		if (p->job->want_sha256)
			hasher_final(&p->sha256, e->sha256);
		e->digested = 1;
	} else if (e->type == E_HARDLINK) {
		const struct entry *f = &p->job->m->v[e->link_first];
		memcpy(e->md5, f->md5, sizeof e->md5);
		memcpy(e->sha256, f->sha256, sizeof e->sha256);
		e->digested = 1;
	}
	return 0;
}

static int cb_entry(void *ctx, size_t i)
{
	struct pass *p = ctx;
	size_t idx = p->job->in2m[i];
	if (p->job->m->v[idx].type == E_DIR) {
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
	hasher_init(&p.md5, H_MD5);
	hasher_init(&p.sha256, H_SHA256);

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

	struct ingest_cb cb = { cb_entry, cb_data, cb_end, &p };
	if (ingest_stream(job->in, &cb) < 0)
		goto out;

	for (size_t i = 0; i < m->n; i++) {
		struct entry *e = &m->v[i];
		if (!(e->flags & EF_GENERATED))
			continue;
		if (begin(&p, i) < 0 || feed(&p, e->content, e->size) < 0 || end(&p) < 0)
			goto out;
	}
	rc = 0;
out:
	free(dirs);
	hasher_release(&p.md5);
	hasher_release(&p.sha256);
	return rc;
}

int64_t payload_mtime(const struct pkgmeta *pm, const struct entry *e)
{
	if (e->flags & EF_RELEASE && e->type != E_DIR)
		return e->mtime;
	return pm->clamp_mtime >= 0 ? pm->clamp_mtime : pm->build_time;
}

la_ssize_t payload_to_zsink(struct archive *a, void *zsink, const void *p, size_t n)
{
	(void)a;
	return zsink_write(zsink, p, n) < 0 ? -1 : (la_ssize_t)n;
}
