/* journal.c — see journal.h. */
#include "journal.h"
#include "buf.h"
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void state_path(struct buf *p, const char *root, const char *name, const char *file)
{
	buf_addf(p, "%s/var/lib/relpkg/%s%s%s", root && strcmp(root, "/") ? root : "", name, file ? "/" : "",
		 file ? file : "");
}

/* Opens path for reading; a missing file is *f = NULL and 0. */
static int open_opt(const char *path, FILE **f)
{
	*f = fopen(path, "r");
	if (!*f && errno != ENOENT)
		return rp_errno("%s", path);
	return 0;
}

int journal_read(const char *root, const char *name, struct journal *j)
{
	memset(j, 0, sizeof *j);
	struct buf p = BUF_INIT;
	state_path(&p, root, name, "journal");
	FILE *f;
	int rc = open_opt(p.p, &f);
	buf_free(&p);
	if (rc < 0 || !f)
		return rc;
	j->present = 1;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = 0;
		if (!len)
			continue;
		char *fields[7] = { 0 };
		char *s = line;
		for (int k = 0; k < 7; k++) {
			char *tab = k < 6 ? strchr(s, '\t') : NULL;
			if (tab)
				*tab = 0;
			fields[k] = xstrdup(s);
			if (!tab) {
				for (int r = k + 1; r < 7; r++)
					fields[r] = xstrdup("");
				break;
			}
			s = tab + 1;
		}
		j->v = xrealloc(j->v, (j->n + 1) * sizeof *j->v);
		struct jentry *e = &j->v[j->n++];
		e->time = fields[0], e->from = fields[1], e->to = fields[2], e->result = fields[3];
		e->downtime_ms = fields[4], e->migrations = fields[5], e->message = fields[6];
	}
	free(line);
	fclose(f);
	return 0;
}

void journal_free(struct journal *j)
{
	for (size_t i = 0; i < j->n; i++) {
		struct jentry *e = &j->v[i];
		free(e->time), free(e->from), free(e->to), free(e->result);
		free(e->downtime_ms), free(e->migrations), free(e->message);
	}
	free(j->v);
	memset(j, 0, sizeof *j);
}

static void kv_add(struct kvfile *kv, char *k, char *v)
{
	kv->key = xrealloc(kv->key, (kv->n + 1) * sizeof *kv->key);
	kv->val = xrealloc(kv->val, (kv->n + 1) * sizeof *kv->val);
	kv->key[kv->n] = k;
	kv->val[kv->n] = v;
	kv->n++;
}

static int is_key_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* relpkg-state(5): KEY=VALUE, the value to the end of the line. */
static void parse_plain(const char *s, struct kvfile *kv)
{
	while (*s) {
		size_t len = strcspn(s, "\n");
		const char *eq = memchr(s, '=', len);
		if (s[0] != '#' && eq && eq > s) {
			int ok = 1;
			for (const char *c = s; c < eq; c++)
				ok &= is_key_char(*c);
			if (ok)
				kv_add(kv, xstrndup(s, (size_t)(eq - s)), xstrndup(eq + 1, len - (size_t)(eq - s) - 1));
		}
		s += len;
		if (*s)
			s++;
	}
}

/* relpkg-meta(5): KEY= followed by one POSIX-sh word made of '...'
 * segments, backslash escapes and plain characters.  A line that is not
 * an assignment is skipped. */
static void parse_shquoted(const char *s, struct kvfile *kv)
{
	while (*s) {
		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		if (!*s)
			break;
		const char *k = s;
		while (is_key_char(*s))
			s++;
		if (*k == '#' || s == k || *s != '=') {
			s += strcspn(s, "\n");
			continue;
		}
		char *key = xstrndup(k, (size_t)(s - k));
		s++;
		struct buf v = BUF_INIT;
		buf_adds(&v, "");
		while (*s && *s != ' ' && *s != '\t' && *s != '\n') {
			if (*s == '\'') {
				const char *end = strchr(s + 1, '\'');
				if (!end)
					end = s + strlen(s);
				buf_add(&v, s + 1, (size_t)(end - s - 1));
				s = *end ? end + 1 : end;
			} else if (*s == '\\' && s[1]) {
				buf_addc(&v, s[1]);
				s += 2;
			} else {
				buf_addc(&v, *s++);
			}
		}
		kv_add(kv, key, buf_detach(&v));
		s += strcspn(s, "\n");
	}
}

int kv_read(const char *path, int shquoted, struct kvfile *kv)
{
	memset(kv, 0, sizeof *kv);
	FILE *f;
	if (open_opt(path, &f) < 0)
		return -1;
	if (!f)
		return 0;
	struct buf text = BUF_INIT;
	char chunk[4096];
	size_t r;
	while ((r = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(&text, chunk, r);
	int err = ferror(f);
	fclose(f);
	if (err) {
		buf_free(&text);
		return rp_err("%s: read error", path);
	}
	kv->present = 1;
	if (shquoted)
		parse_shquoted(buf_str(&text), kv);
	else
		parse_plain(buf_str(&text), kv);
	buf_free(&text);
	return 0;
}

void kv_parse_meta(const char *text, struct kvfile *kv)
{
	memset(kv, 0, sizeof *kv);
	kv->present = 1;
	parse_shquoted(text, kv);
}

const char *kv_get(const struct kvfile *kv, const char *key)
{
	for (size_t i = kv->n; i-- > 0;)
		if (!strcmp(kv->key[i], key))
			return kv->val[i];
	return NULL;
}

const char *kv_str(const struct kvfile *kv, const char *key)
{
	const char *v = kv_get(kv, key);
	return v ? v : "";
}

void kv_free(struct kvfile *kv)
{
	for (size_t i = 0; i < kv->n; i++)
		free(kv->key[i]), free(kv->val[i]);
	free(kv->key);
	free(kv->val);
	memset(kv, 0, sizeof *kv);
}

int relstate_read(const char *root, const char *name, struct relstate *rs)
{
	memset(rs, 0, sizeof *rs);
	static const char *const files[] = { "state", "failed", "txn", "running" };
	struct kvfile *kvs[] = { &rs->state, &rs->failed, &rs->txn, &rs->running };
	struct buf p = BUF_INIT;
	struct stat sb;
	int rc = 0;
	state_path(&p, root, name, NULL);
	rs->dir = stat(p.p, &sb) == 0 && S_ISDIR(sb.st_mode);
	for (size_t i = 0; i < sizeof files / sizeof *files && !rc; i++) {
		buf_reset(&p);
		state_path(&p, root, name, files[i]);
		rc = kv_read(p.p, 0, kvs[i]);
	}
	buf_free(&p);
	if (!rc)
		rc = journal_read(root, name, &rs->journal);
	if (rc)
		relstate_free(rs);
	return rc;
}

void relstate_free(struct relstate *rs)
{
	kv_free(&rs->state);
	kv_free(&rs->failed);
	kv_free(&rs->txn);
	kv_free(&rs->running);
	journal_free(&rs->journal);
}

int meta_read(const char *root, const char *name, const char *version, struct kvfile *meta)
{
	memset(meta, 0, sizeof *meta);
	if (!version || !*version || strchr(version, '/') || !strcmp(version, "..") || !strcmp(version, "."))
		return 0;
	struct buf p = BUF_INIT;
	state_path(&p, root, name, "meta/");
	buf_addf(&p, "%s.meta", version);
	int rc = kv_read(p.p, 1, meta);
	buf_free(&p);
	return rc;
}

int jentry_hot(const struct jentry *e)
{
	return !strcmp(e->result, "ok") && (!strncmp(e->message, "hot up ", 7) || !strncmp(e->message, "hot down ", 9));
}
