/* manifest.c — see manifest.h. */
#include "manifest.h"
#include "error.h"

#include <stdlib.h>
#include <string.h>

void manifest_init(struct manifest *m)
{
	memset(m, 0, sizeof *m);
}

void manifest_free(struct manifest *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].target);
		free(m->v[i].content);
	}
	free(m->v);
	free(m->sorted);
	for (size_t i = 0; i < m->narena; i++)
		free(m->arena[i]);
	free(m->arena);
	memset(m, 0, sizeof *m);
}

#define ARENA_BLOCK (256u << 10)

/* A copy of s in the arena: one allocation per block, not per path. */
char *manifest_intern(struct manifest *m, const char *s)
{
	size_t len = strlen(s) + 1;
	if (len > ARENA_BLOCK / 4) {    /* a long one gets its own block */
		m->arena = xrealloc(m->arena, (m->narena + 1) * sizeof *m->arena);
		char *p = xmalloc(len);
		memcpy(p, s, len);
		/* kept before the last block, whose free space stays usable */
		if (m->narena) {
			m->arena[m->narena] = m->arena[m->narena - 1];
			m->arena[m->narena - 1] = p;
		} else {
			m->arena[0] = p;
			m->arena_left = 0;
		}
		m->narena++;
		return p;
	}
	if (len > m->arena_left) {
		m->arena = xrealloc(m->arena, (m->narena + 1) * sizeof *m->arena);
		m->arena[m->narena++] = xmalloc(ARENA_BLOCK);
		m->arena_left = ARENA_BLOCK;
	}
	char *p = m->arena[m->narena - 1] + (ARENA_BLOCK - m->arena_left);
	memcpy(p, s, len);
	m->arena_left -= len;
	return p;
}

struct entry *manifest_add(struct manifest *m, const char *path, enum etype t, mode_t mode)
{
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap + m->cap / 2 : 256;
		m->v = xrealloc(m->v, m->cap * sizeof *m->v);
	}
	struct entry *e = &m->v[m->n++];
	memset(e, 0, sizeof *e);
	e->path = manifest_intern(m, path);
	e->type = t;
	e->mode = mode & 07777;
	e->nlink = 1;
	free(m->sorted);
	m->sorted = NULL;
	return e;
}

struct entry *manifest_add_file(struct manifest *m, const char *path, mode_t mode,
				const void *content, size_t len, unsigned flags)
{
	struct entry *e = manifest_add(m, path, E_REG, mode);
	e->content = xmalloc(len + 1);
	memcpy(e->content, content, len);
	e->content[len] = 0;
	e->size = len;
	e->flags = flags | EF_GENERATED;
	return e;
}

static size_t find_linear(const struct manifest *m, const char *path)
{
	for (size_t i = m->n; i-- > 0;)
		if (!strcmp(m->v[i].path, path))
			return i;
	return (size_t)-1;
}

size_t manifest_add_dirs(struct manifest *m, const char *path, unsigned flags)
{
	char *p = xstrdup(path);
	size_t idx = (size_t)-1;
	for (char *s = p;; s++) {
		if (*s == '/' || *s == 0) {
			char c = *s;
			*s = 0;
			idx = m->sorted ? manifest_find(m, p) : find_linear(m, p);
			if (idx == (size_t)-1) {
				manifest_add(m, p, E_DIR, 0755)->flags = flags;
				idx = m->n - 1;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	free(p);
	return idx;
}

static const struct manifest *sort_m;

static int cmp_idx(const void *a, const void *b)
{
	return strcmp(sort_m->v[*(const size_t *)a].path, sort_m->v[*(const size_t *)b].path);
}

void manifest_index(struct manifest *m)
{
	if (m->n && m->cap > m->n) {
		m->v = xrealloc(m->v, m->n * sizeof *m->v);
		m->cap = m->n;
	}
	free(m->sorted);
	m->sorted = xmalloc((m->n ? m->n : 1) * sizeof *m->sorted);
	for (size_t i = 0; i < m->n; i++)
		m->sorted[i] = i;
	sort_m = m;
	qsort(m->sorted, m->n, sizeof *m->sorted, cmp_idx);
	sort_m = NULL;
}

size_t manifest_find(const struct manifest *m, const char *path)
{
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(m->v[m->sorted[mid]].path, path);
		if (c == 0)
			return m->sorted[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (size_t)-1;
}
