/* relup.h — what a release's relup and .rel files say, for hot upgrades.
 *
 * releases/VSN/relup is one Erlang term (systools:make_relup/4):
 *   {Vsn, [{UpFromVsn, Descr, Instructions}], [{DownToVsn, Descr, Instructions}]}.
 * releases/VSN/NAME.rel is
 *   {release, {Name, Vsn}, {erts, ErtsVsn}, [{App, AppVsn [, Type] [, Included]}]}.
 * Both are read by a small, bounded term reader (depth, term count and
 * input size are limited; no allocation grows with hostile nesting).
 * Anything it cannot read makes the version not hot-capable, never a
 * failed build: the caller warns with the reason. */
#ifndef RELPKG_RELUP_H
#define RELPKG_RELUP_H

#include <stddef.h>

/* Files larger than this are not read (not hot-capable). */
#define RELUP_MAX_BYTES (1u << 20)

struct relup {
	char *vsn;              /* the release version the relup is for */
	char *up;               /* versions it upgrades from, space-separated ("" none) */
	char *down;             /* versions it downgrades to, space-separated */
	char *restart;          /* "up:V" / "down:V" entries that restart the emulator
	                         * (restart_new_emulator / restart_emulator): cold; they
	                         * are not in up / down */
};

/* Parses a relup file's text (len bytes).  0, or -1 with a reason in
 * why (never more than whylen bytes, NUL-terminated).  r is filled only
 * on success; free it with relup_free. */
int relup_parse(const char *text, size_t len, struct relup *r, char *why, size_t whylen);
void relup_free(struct relup *r);

/* Parses a .rel file: the applications as "app:vsn" words, space-separated
 * (malloc'd, into *libs), and whether sasl is one of them.  0, or -1 with
 * a reason in why. */
int relup_rel_libs(const char *text, size_t len, char **libs, int *has_sasl, char *why, size_t whylen);

#endif
