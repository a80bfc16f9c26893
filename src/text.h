/* text.h — text in the formats relpkg writes and reads: UTF-8 checks,
 * JSON strings, XML character data, folded paragraphs.  The one place for
 * each escaping rule. */
#ifndef RELPKG_TEXT_H
#define RELPKG_TEXT_H

#include "buf.h"

#include <stddef.h>

#define TEXT_FOLD_COLS 79       /* Debian policy's and rpmlint's line limit */

/* 1 if s[0..n) is well-formed UTF-8 (no overlongs, surrogates, U+FFFE/F). */
int text_utf8_valid(const char *s, size_t n);
/* Appends s as a JSON string (null for NULL); bytes that are not UTF-8
 * become U+FFFD. */
void text_json(struct buf *b, const char *s);
/* Appends s escaped for XML character data and attribute values; control
 * characters other than tab and newlines are dropped (as createrepo_c). */
void text_xml(struct buf *b, const char *s);
/* Appends text's paragraphs (separated by blank lines) with their words
 * folded at TEXT_FOLD_COLS: each line starts with lead, sep goes between
 * paragraphs.  deb: lead " ", sep " .\n"; rpm: lead "", sep "\n". */
void text_fold(struct buf *b, const char *text, const char *lead, const char *sep);
/* The value of field `name` (case-insensitive, deb-control(5)) in a
 * control file or Packages stanza, malloc'd, or NULL if absent:
 * continuation lines joined with one space, blanks trimmed at both ends
 * of each line; for Description only the synopsis (first line). */
char *text_deb_field(const char *control, const char *name);

#endif
