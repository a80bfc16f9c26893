/* version.c — version mapping and validation; see version.h. */
#include "version.h"
#include "buf.h"
#include "error.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int allowed(char c, enum pkgfmt fmt)
{
	if (isalnum((unsigned char)c) || c == '.' || c == '+' || c == '~')
		return 1;
	if (fmt == FMT_DEB)
		return c == '-';   /* legal in a deb upstream version with a revision */
	return c == '_' || c == '^';
}

char *version_upstream(const char *v, enum pkgfmt fmt)
{
	const char *fname = fmt == FMT_DEB ? "deb" : "rpm";
	if (!v || !*v) {
		rp_err("version is empty");
		return NULL;
	}
	if (!isdigit((unsigned char)v[0])) {
		rp_err("version '%s': must start with a digit (%s)", v, fname);
		return NULL;
	}
	char *out = xstrdup(v);
	char *dash = strchr(out, '-');
	if (dash)
		*dash = '~';
	for (const char *p = out; *p; p++) {
		if (!allowed(*p, fmt)) {
			if (*p == '-')
				rp_err("version '%s': a %s Version cannot hold '-' "
				       "(only the first '-', the SemVer pre-release separator, "
				       "is mapped to '~')", v, fname);
			else if (isprint((unsigned char)*p))
				rp_err("version '%s': character '%c' is not allowed in a %s version",
				       v, *p, fname);
			else
				rp_err("version '%s': byte 0x%02x is not allowed in a %s version",
				       v, (unsigned char)*p, fname);
			free(out);
			return NULL;
		}
	}
	return out;
}

int version_check_release(const char *r)
{
	const char *p = r;
	if (!r || !isdigit((unsigned char)*p))
		return rp_usage("--release '%s': must be a number such as 1 (optionally 1.el9)",
				r ? r : "");
	while (isdigit((unsigned char)*p))
		p++;
	while (*p == '.') {
		p++;
		if (!isalnum((unsigned char)*p))
			return rp_usage("--release '%s': empty part after '.'", r);
		while (isalnum((unsigned char)*p))
			p++;
	}
	if (*p)
		return rp_usage("--release '%s': character '%c' is not allowed", r, *p);
	return 0;
}

int version_check_epoch(const char *e)
{
	if (!e || !*e)
		return rp_usage("--epoch: empty");
	for (const char *p = e; *p; p++)
		if (!isdigit((unsigned char)*p))
			return rp_usage("--epoch '%s': must be a decimal number", e);
	if (strlen(e) > 10 || strtoll(e, NULL, 10) > 2147483647LL)
		return rp_usage("--epoch '%s': larger than rpm can hold (2147483647)", e);
	return 0;
}

char *version_full(const char *epoch, const char *upstream, const char *release)
{
	struct buf b = BUF_INIT;
	if (epoch && *epoch)
		buf_addf(&b, "%s:", epoch);
	buf_adds(&b, upstream);
	if (release)
		buf_addf(&b, "-%s", release);
	return buf_detach(&b);
}
