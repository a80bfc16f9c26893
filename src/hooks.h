/* hooks.h — maintainer scripts rendered from the embedded hooks/ templates.
 *
 * Templates are real sh files under hooks/ (lib.sh, deb/, rpm/), turned
 * into the C table hook_templates[] at build time.  Rendering replaces a
 * fixed list of @TOKENS@ with shell-quoted values -- the tokens of the
 * settings table (settings.h), HOOK_<POINT>, PKGVERSION, FORMAT and
 * SANDBOX --, the line @LIB@ with the rendered lib.sh and the line
 * @SETTINGS@ with an RP_TOKEN=value line for each setting whose token the
 * template does not use itself; an unknown token is an error. */
#ifndef RELPKG_HOOKS_H
#define RELPKG_HOOKS_H

#include "buildopts.h"
#include "version.h"

struct hook_template {
	const char *name;       /* path below hooks/, e.g. "deb/preinst" */
	const char *text;
};

extern const struct hook_template hook_templates[];

/* The script names of a format, in order: deb: preinst postinst prerm
 * postrm; rpm: pre post preun postun. */
extern const char *const hook_names_deb[4];
extern const char *const hook_names_rpm[4];

/* Renders "deb/preinst" etc. for pm.  malloc'd text, or NULL after rp_err(). */
char *hooks_render(const char *name, const struct pkgmeta *pm, enum pkgfmt fmt);

#endif
