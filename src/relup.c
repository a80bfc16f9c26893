/* relup.c — a bounded reader of the Erlang terms in relup and .rel files;
 * see relup.h.
 *
 * The reader builds a flat array of terms (no recursion on the C stack
 * beyond RELUP_MAX_DEPTH levels, no more than RELUP_MAX_TERMS terms) from
 * the subset of Erlang's term syntax that file:consult/1 accepts and
 * these files use: atoms (plain and quoted), strings (with escapes, and
 * adjacent strings joined), characters ($c), integers (with base#digits
 * and _ separators), floats, tuples, lists (proper and improper), binaries
 * and maps, % comments, one term ended by a full stop.  Only the
 * structure the hot-upgrade decision needs is looked at afterwards. */
#include "relup.h"
#include "buf.h"
#include "error.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RELUP_MAX_DEPTH 64
#define RELUP_MAX_TERMS (1u << 20)
#define RELUP_MAX_VSN 128

enum tkind { T_ATOM, T_STR, T_NUM, T_TUPLE, T_LIST, T_BIN, T_MAP };

struct term {
	enum tkind kind;
	size_t off, len;        /* T_ATOM, T_STR: decoded text in parser.text */
	size_t first;           /* first child (index), containers */
	size_t nkids;
	size_t next;            /* next sibling, or 0 (index 0 is never a child) */
};

struct parser {
	const char *s, *end;
	struct term *t;
	size_t n, cap;
	struct buf text;        /* decoded atom and string texts */
	char *why;
	size_t whylen;
	int failed;
};

static int fail(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct parser *p, const char *fmt, ...)
{
	if (!p->failed) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(p->why, p->whylen, fmt, ap);
		va_end(ap);
		p->failed = 1;
	}
	return -1;
}

static void skip_ws(struct parser *p)
{
	while (p->s < p->end) {
		if (isspace((unsigned char)*p->s)) {
			p->s++;
		} else if (*p->s == '%') {
			while (p->s < p->end && *p->s != '\n')
				p->s++;
		} else {
			break;
		}
	}
}

static long new_term(struct parser *p, enum tkind k)
{
	if (p->n >= RELUP_MAX_TERMS)
		return fail(p, "more than %u terms", RELUP_MAX_TERMS);
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 256;
		p->t = xrealloc(p->t, p->cap * sizeof *p->t);
	}
	struct term *t = &p->t[p->n];
	memset(t, 0, sizeof *t);
	t->kind = k;
	return (long)p->n++;
}

/* One escape after a backslash, appended to text. */
static int escape(struct parser *p)
{
	if (p->s >= p->end)
		return fail(p, "unterminated escape");
	char c = *p->s++;
	static const char from[] = "nrtvbfes", to[] = "\n\r\t\v\b\f\033 ";
	const char *k = strchr(from, c);
	if (c == 'd') {
		buf_addc(&p->text, 0x7f);
	} else if (k && c) {
		buf_addc(&p->text, to[k - from]);
	} else if (c >= '0' && c <= '7') {
		unsigned v = (unsigned)(c - '0');
		for (int i = 0; i < 2 && p->s < p->end && *p->s >= '0' && *p->s <= '7'; i++)
			v = v * 8 + (unsigned)(*p->s++ - '0');
		buf_addc(&p->text, (char)(v & 0xff));
	} else if (c == 'x') {
		unsigned v = 0;
		int braces = p->s < p->end && *p->s == '{', nd = 0;
		if (braces)
			p->s++;
		while (p->s < p->end && isxdigit((unsigned char)*p->s) && (braces ? nd < 8 : nd < 2)) {
			char h = *p->s++;
			v = v * 16 + (unsigned)(isdigit((unsigned char)h) ? h - '0' : (tolower((unsigned char)h) - 'a' + 10));
			nd++;
		}
		if (!nd || (braces && (p->s >= p->end || *p->s++ != '}')))
			return fail(p, "bad \\x escape");
		buf_addc(&p->text, (char)(v & 0xff));
	} else if (c == '^') {
		if (p->s >= p->end)
			return fail(p, "unterminated escape");
		buf_addc(&p->text, (char)(*p->s++ & 0x1f));
	} else {
		buf_addc(&p->text, c);
	}
	return 0;
}

/* A quoted atom or string: text up to the closing quote q, decoded. */
static int quoted(struct parser *p, char q)
{
	p->s++;
	while (p->s < p->end && *p->s != q) {
		char c = *p->s++;
		if (c == '\\') {
			if (escape(p) < 0)
				return -1;
		} else {
			buf_addc(&p->text, c);
		}
	}
	if (p->s >= p->end)
		return fail(p, "unterminated %s", q == '"' ? "string" : "quoted atom");
	p->s++;
	return 0;
}

static int number(struct parser *p)
{
	const char *b = p->s;
	if (p->s < p->end && (*p->s == '-' || *p->s == '+'))
		p->s++;
	if (p->s >= p->end || !isdigit((unsigned char)*p->s))
		return fail(p, "bad number near '%.*s'", (int)(p->end - b < 16 ? p->end - b : 16), b);
	while (p->s < p->end && (isdigit((unsigned char)*p->s) || *p->s == '_'))
		p->s++;
	if (p->s < p->end && *p->s == '#') {
		p->s++;
		if (p->s >= p->end || !isalnum((unsigned char)*p->s))
			return fail(p, "bad based integer");
		while (p->s < p->end && (isalnum((unsigned char)*p->s) || *p->s == '_'))
			p->s++;
		return 0;
	}
	if (p->s + 1 < p->end && *p->s == '.' && isdigit((unsigned char)p->s[1])) {
		p->s++;
		while (p->s < p->end && (isdigit((unsigned char)*p->s) || *p->s == '_'))
			p->s++;
		if (p->s < p->end && (*p->s == 'e' || *p->s == 'E')) {
			p->s++;
			if (p->s < p->end && (*p->s == '-' || *p->s == '+'))
				p->s++;
			if (p->s >= p->end || !isdigit((unsigned char)*p->s))
				return fail(p, "bad float exponent");
			while (p->s < p->end && isdigit((unsigned char)*p->s))
				p->s++;
		}
	}
	return 0;
}

static long term(struct parser *p, int depth);

/* Terms separated by ',' up to the closing text close (one or two bytes);
 * in a list a '|' tail, in a map '=>' pairs, in a binary segments with
 * ':Size' and '/Type' suffixes.  Children are linked to parent. */
static int seq(struct parser *p, long parent, const char *close, int depth)
{
	size_t cl = strlen(close), last = 0;
	enum tkind k = p->t[parent].kind;
	skip_ws(p);
	if ((size_t)(p->end - p->s) >= cl && !memcmp(p->s, close, cl)) {
		p->s += cl;
		return 0;
	}
	for (;;) {
		long c = term(p, depth + 1);
		if (c < 0)
			return -1;
		if (!p->t[parent].nkids)
			p->t[parent].first = (size_t)c;
		else
			p->t[last].next = (size_t)c;
		last = (size_t)c;
		p->t[parent].nkids++;
		skip_ws(p);
		if (k == T_MAP) {
			if (p->end - p->s < 2 || (memcmp(p->s, "=>", 2) && memcmp(p->s, ":=", 2)))
				return fail(p, "expected => in a map");
			p->s += 2;
			long v = term(p, depth + 1);
			if (v < 0)
				return -1;
			p->t[last].next = (size_t)v;
			last = (size_t)v;
			p->t[parent].nkids++;
			skip_ws(p);
		}
		if (k == T_BIN) {
			if (p->s < p->end && *p->s == ':') {
				p->s++;
				skip_ws(p);
				if (number(p) < 0)
					return -1;
				skip_ws(p);
			}
			if (p->s < p->end && *p->s == '/') {
				do {
					p->s++;
					while (p->s < p->end && (isalnum((unsigned char)*p->s) || *p->s == '_' || *p->s == ':'))
						p->s++;
				} while (p->s < p->end && *p->s == '-');
				skip_ws(p);
			}
		}
		if (k == T_LIST && p->s < p->end && *p->s == '|') {
			p->s++;
			long tl = term(p, depth + 1);
			if (tl < 0)
				return -1;
			p->t[last].next = (size_t)tl;
			p->t[parent].nkids++;
			skip_ws(p);
			if ((size_t)(p->end - p->s) < cl || memcmp(p->s, close, cl))
				return fail(p, "expected %s after a list tail", close);
			p->s += cl;
			return 0;
		}
		if (p->s < p->end && *p->s == ',') {
			p->s++;
			continue;
		}
		if ((size_t)(p->end - p->s) >= cl && !memcmp(p->s, close, cl)) {
			p->s += cl;
			return 0;
		}
		return fail(p, "expected ',' or '%s'", close);
	}
}

static long term(struct parser *p, int depth)
{
	if (depth > RELUP_MAX_DEPTH)
		return fail(p, "nested more than %d deep", RELUP_MAX_DEPTH);
	skip_ws(p);
	if (p->s >= p->end)
		return fail(p, "unexpected end of file");
	char c = *p->s;
	long t;
	if (c == '{' || c == '[' || (c == '<' && p->end - p->s >= 2 && p->s[1] == '<') ||
	    (c == '#' && p->end - p->s >= 2 && p->s[1] == '{')) {
		enum tkind k = c == '{' ? T_TUPLE : c == '[' ? T_LIST : c == '<' ? T_BIN : T_MAP;
		if ((t = new_term(p, k)) < 0)
			return -1;
		p->s += (k == T_BIN || k == T_MAP) ? 2 : 1;
		if (seq(p, t, k == T_TUPLE || k == T_MAP ? "}" : k == T_LIST ? "]" : ">>", depth) < 0)
			return -1;
		return t;
	}
	if (c == '"' || c == '\'') {
		if ((t = new_term(p, c == '"' ? T_STR : T_ATOM)) < 0)
			return -1;
		p->t[t].off = p->text.len;
		if (quoted(p, c) < 0)
			return -1;
		/* "a" "b" is "ab" */
		while (c == '"') {
			skip_ws(p);
			if (p->s >= p->end || *p->s != '"')
				break;
			if (quoted(p, '"') < 0)
				return -1;
		}
		p->t[t].len = p->text.len - p->t[t].off;
		buf_addc(&p->text, 0);
		return t;
	}
	if (c == '$') {
		if ((t = new_term(p, T_NUM)) < 0)
			return -1;
		p->s++;
		if (p->s >= p->end)
			return fail(p, "unterminated character");
		if (*p->s++ == '\\') {
			size_t mark = p->text.len;
			if (escape(p) < 0)
				return -1;
			p->text.len = mark;
		}
		return t;
	}
	if (isdigit((unsigned char)c) || ((c == '-' || c == '+') && p->end - p->s >= 2 && isdigit((unsigned char)p->s[1]))) {
		if ((t = new_term(p, T_NUM)) < 0)
			return -1;
		return number(p) < 0 ? -1 : t;
	}
	if (islower((unsigned char)c)) {
		if ((t = new_term(p, T_ATOM)) < 0)
			return -1;
		const char *b = p->s;
		while (p->s < p->end && (isalnum((unsigned char)*p->s) || *p->s == '_' || *p->s == '@'))
			p->s++;
		p->t[t].off = p->text.len;
		p->t[t].len = (size_t)(p->s - b);
		buf_add(&p->text, b, p->t[t].len);
		buf_addc(&p->text, 0);
		return t;
	}
	if (isprint((unsigned char)c))
		return fail(p, "unexpected '%c'", c);
	return fail(p, "unexpected byte 0x%02x", (unsigned char)c);
}

/* Index 0 is a placeholder: a child index of 0 means "none". */
#define ROOT 1

/* Parses the one term of text; its index is ROOT. */
static int parse(struct parser *p, const char *text, size_t len, char *why, size_t whylen)
{
	memset(p, 0, sizeof *p);
	p->why = why;
	p->whylen = whylen;
	if (whylen)
		why[0] = 0;
	if (len > RELUP_MAX_BYTES)
		return fail(p, "%zu bytes, more than %u", len, RELUP_MAX_BYTES);
	p->s = text;
	p->end = text + len;
	if (new_term(p, T_NUM) < 0 || term(p, 0) < 0)
		return -1;
	skip_ws(p);
	if (p->s >= p->end || *p->s != '.')
		return fail(p, "expected a full stop after the term");
	p->s++;
	skip_ws(p);
	if (p->s < p->end)
		return fail(p, "more than one term");
	return 0;
}

static void parser_free(struct parser *p)
{
	free(p->t);
	buf_free(&p->text);
}

static const char *txt(const struct parser *p, size_t i)
{
	return p->text.p + p->t[i].off;
}

/* The children of container i, in order: for (EACH_KID(p, i, c, k)) */
#define EACH_KID(p, i, c, k) size_t k = 0, c = (p)->t[i].first; k < (p)->t[i].nkids; k++, c = (p)->t[c].next

/* The k-th child of container i (0-based); 0 if none.  For the first few children only: a walk. */
static size_t kid(const struct parser *p, size_t i, size_t k)
{
	if (k >= p->t[i].nkids)
		return 0;
	size_t c = p->t[i].first;
	while (k--)
		c = p->t[c].next;
	return c;
}

static int is(const struct parser *p, size_t i, enum tkind k, size_t nkids)
{
	return i && p->t[i].kind == k && p->t[i].nkids == nkids;
}

static int is_atom(const struct parser *p, size_t i, const char *name)
{
	return i && p->t[i].kind == T_ATOM && !strcmp(txt(p, i), name);
}

/* A version relpkg puts in paths and scripts: letters, digits . _ + ~ -. */
static int good_vsn(const struct parser *p, size_t i)
{
	if (!i || p->t[i].kind != T_STR || !p->t[i].len || p->t[i].len > RELUP_MAX_VSN)
		return 0;
	const char *s = txt(p, i);
	if (strlen(s) != p->t[i].len)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._+~-", *s))
			return 0;
	return 1;
}

/* An application name relpkg writes unquoted into Erlang terms. */
static int good_app(const struct parser *p, size_t i)
{
	if (!i || p->t[i].kind != T_ATOM || !p->t[i].len || p->t[i].len > 255)
		return 0;
	const char *s = txt(p, i);
	if (strlen(s) != p->t[i].len || !islower((unsigned char)*s))
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

/* The entries [{Vsn, Descr, Instructions}] of list l into out ("" or
 * words) and restart ("DIR:V" words). */
static int entries(struct parser *p, size_t l, const char *dir, struct buf *out, struct buf *restart)
{
	if (!l || p->t[l].kind != T_LIST)
		return fail(p, "the %s section is not a list", dir);
	for (EACH_KID(p, l, e, k)) {
		if (!is(p, e, T_TUPLE, 3))
			return fail(p, "an entry of the %s section is not {Vsn, Descr, Instructions}", dir);
		size_t v = kid(p, e, 0), ins = kid(p, e, 2);
		if (!good_vsn(p, v))
			return fail(p, "an entry of the %s section names no usable version (a string of letters, "
				    "digits, . _ + ~ -)", dir);
		if (p->t[ins].kind != T_LIST)
			return fail(p, "the %s instructions for %s are not a list", dir, txt(p, v));
		int restarts = 0;
		for (EACH_KID(p, ins, i, j))
			restarts |= is_atom(p, i, "restart_new_emulator") || is_atom(p, i, "restart_emulator");
		struct buf *b = restarts ? restart : out;
		if (b->len)
			buf_addc(b, ' ');
		if (restarts)
			buf_addf(b, "%s:", dir);
		buf_adds(b, txt(p, v));
	}
	return 0;
}

int relup_parse(const char *text, size_t len, struct relup *r, char *why, size_t whylen)
{
	struct parser p;
	struct buf up = BUF_INIT, down = BUF_INIT, restart = BUF_INIT;
	int rc = parse(&p, text, len, why, whylen);
	if (rc == 0 && !is(&p, ROOT, T_TUPLE, 3))
		rc = fail(&p, "not a {Vsn, UpFrom, DownTo} tuple");
	if (rc == 0 && !good_vsn(&p, kid(&p, ROOT, 0)))
		rc = fail(&p, "its version is not a usable version string");
	if (rc == 0)
		rc = entries(&p, kid(&p, ROOT, 1), "up", &up, &restart);
	if (rc == 0)
		rc = entries(&p, kid(&p, ROOT, 2), "down", &down, &restart);
	if (rc == 0) {
		r->vsn = xstrdup(txt(&p, kid(&p, ROOT, 0)));
		r->up = buf_detach(&up);
		r->down = buf_detach(&down);
		r->restart = buf_detach(&restart);
	}
	buf_free(&up);
	buf_free(&down);
	buf_free(&restart);
	parser_free(&p);
	return rc;
}

void relup_free(struct relup *r)
{
	free(r->vsn);
	free(r->up);
	free(r->down);
	free(r->restart);
	memset(r, 0, sizeof *r);
}

int relup_rel_libs(const char *text, size_t len, char **libs, int *has_sasl, char *why, size_t whylen)
{
	struct parser p;
	struct buf b = BUF_INIT;
	*has_sasl = 0;
	int rc = parse(&p, text, len, why, whylen);
	size_t l = 0;
	if (rc == 0 && (!is(&p, ROOT, T_TUPLE, 4) || !is_atom(&p, kid(&p, ROOT, 0), "release")))
		rc = fail(&p, "not a {release, {Name, Vsn}, {erts, Vsn}, Apps} tuple");
	if (rc == 0) {
		l = kid(&p, ROOT, 3);
		if (p.t[l].kind != T_LIST)
			rc = fail(&p, "its applications are not a list");
	}
	for (EACH_KID(&p, l, a, k)) {
		if (rc != 0)
			break;
		if (p.t[a].kind != T_TUPLE || p.t[a].nkids < 2 || p.t[a].nkids > 4 || !good_app(&p, kid(&p, a, 0)) ||
		    !good_vsn(&p, kid(&p, a, 1))) {
			rc = fail(&p, "application %zu is not {App, Vsn, ...} with a plain atom and a version", k + 1);
			break;
		}
		if (b.len)
			buf_addc(&b, ' ');
		buf_addf(&b, "%s:%s", txt(&p, kid(&p, a, 0)), txt(&p, kid(&p, a, 1)));
		*has_sasl |= is_atom(&p, kid(&p, a, 0), "sasl");
	}
	if (rc == 0)
		*libs = buf_detach(&b);
	buf_free(&b);
	parser_free(&p);
	return rc;
}
