/* text.c — see text.h. */
#include "text.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

/* ---- UTF-8 ---- */

int text_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	while (p < end) {
		unsigned c = *p;
		size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
		if (!len || (size_t)(end - p) < len)
			return 0;
		uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1f : len == 3 ? c & 0x0f : c & 0x07;
		for (size_t i = 1; i < len; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
		if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
			return 0;
		p += len;
	}
	return 1;
}

/* ---- JSON (inspect, status, history, repo list) ---- */

/* Length of the valid UTF-8 sequence at s (1..4), or 0. */
static int utf8_len(const unsigned char *s)
{
	int n = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3
		: (s[0] & 0xf8) == 0xf0 ? 4 : 0;
	if (n == 2 && s[0] < 0xc2)
		return 0;       /* overlong */
	for (int i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

void text_json(struct buf *b, const char *s)
{
	if (!s) {
		buf_adds(b, "null");
		return;
	}
	buf_addc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		int n = utf8_len(p);
		if (*p == '"' || *p == '\\')
			buf_addf(b, "\\%c", *p);
		else if (*p == '\n')
			buf_adds(b, "\\n");
		else if (*p == '\t')
			buf_adds(b, "\\t");
		else if (*p < 0x20 || *p == 0x7f)
			buf_addf(b, "\\u%04x", *p);
		else if (n)
			buf_add(b, p, (size_t)n);
		else
			buf_adds(b, "\\ufffd");
		p += n ? n : 1;
	}
	buf_addc(b, '"');
}

/* ---- XML (the store's rpm-md documents) ---- */

void text_xml(struct buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '&': buf_adds(b, "&amp;"); break;
		case '<': buf_adds(b, "&lt;"); break;
		case '>': buf_adds(b, "&gt;"); break;
		case '"': buf_adds(b, "&quot;"); break;
		case '\t': case '\n': case '\r': buf_addc(b, (char)*p); break;
		default:
			/* control characters are not allowed in XML 1.0: dropped, as createrepo_c does */
			if (*p >= 0x20)
				buf_addc(b, (char)*p);
		}
	}
}

/* ---- folded paragraphs (a deb field's extended lines, an rpm description) ---- */

/* One paragraph p[0..len): its words, lines of at most TEXT_FOLD_COLS
 * columns counting one space before every word (the deb field's leading
 * space included), each line starting with lead. */
static void fold_paragraph(struct buf *b, const char *p, size_t len, const char *lead)
{
	size_t col = 0;
	const char *s = p, *end = p + len;
	while (s < end) {
		while (s < end && (*s == ' ' || *s == '\n' || *s == '\t'))
			s++;
		const char *w = s;
		while (s < end && *s != ' ' && *s != '\n' && *s != '\t')
			s++;
		size_t wl = (size_t)(s - w);
		if (!wl)
			break;
		if (col && col + 1 + wl > TEXT_FOLD_COLS) {
			buf_addc(b, '\n');
			col = 0;
		}
		buf_adds(b, col ? " " : lead);
		buf_add(b, w, wl);
		col += 1 + wl;
	}
	buf_addc(b, '\n');
}

void text_fold(struct buf *b, const char *text, const char *lead, const char *sep)
{
	const char *s = text;
	int first = 1;
	while (*s) {
		const char *e = strstr(s, "\n\n");
		size_t len = e ? (size_t)(e - s) : strlen(s);
		if (len) {
			if (!first)
				buf_adds(b, sep);
			fold_paragraph(b, s, len, lead);
			first = 0;
		}
		s += len;
		while (*s == '\n')
			s++;
	}
}

/* ---- deb control fields (inspect, verify, the store) ---- */

char *text_deb_field(const char *control, const char *name)
{
	size_t nl = strlen(name);
	int first_line_only = !strcasecmp(name, "Description");
	for (const char *l = control; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (strncasecmp(l, name, nl) || l[nl] != ':')
			continue;
		struct buf v = BUF_INIT;
		const char *p = l + nl + 1;
		for (;;) {
			while (*p == ' ' || *p == '\t')
				p++;
			size_t n = strcspn(p, "\n"), k = n;
			while (k && (p[k - 1] == ' ' || p[k - 1] == '\t' || p[k - 1] == '\r'))
				k--;
			if (v.len && k)
				buf_addc(&v, ' ');
			buf_add(&v, p, k);
			p += n;
			if (!*p || (p[1] != ' ' && p[1] != '\t') || first_line_only)
				break;
			p++;
		}
		return buf_detach(&v);
	}
	return NULL;
}
