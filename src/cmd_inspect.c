/* cmd_inspect.c — `relpkg inspect PKG [--json]`: metadata, maintainer
 * scripts and file list of any .deb or .rpm (read by deb_pkg.c and
 * rpm_pkg.c, never by dpkg or rpm), as text or as one JSON object. */
#include "buf.h"
#include "error.h"
#include "journal.h"
#include "pkginfo.h"
#include "text.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char help[] =
	"usage: relpkg inspect PKG [--json]\n\n"
	"Shows a .deb's or .rpm's metadata (name, version, arch, maintainer,\n"
	"depends, summary, installed size), its maintainer scripts (name, size)\n"
	"and its files (mode, owner, size, path, link target).\n\n"
	"  --json      one JSON object on stdout\n"
	"  --help, -h  this text\n";

static const char *type_of(const struct pkgfile *f)
{
	if (f->hardlink)
		return "hardlink";
	switch (f->mode & S_IFMT) {
	case S_IFDIR: return "dir";
	case S_IFLNK: return "symlink";
	case S_IFCHR: return "char";
	case S_IFBLK: return "block";
	case S_IFIFO: return "fifo";
	case S_IFSOCK: return "socket";
	default: return "file";
	}
}

static char type_char(const struct pkgfile *f)
{
	if (f->hardlink)
		return 'h';
	switch (f->mode & S_IFMT) {
	case S_IFDIR: return 'd';
	case S_IFLNK: return 'l';
	case S_IFCHR: return 'c';
	case S_IFBLK: return 'b';
	case S_IFIFO: return 'p';
	case S_IFSOCK: return 's';
	default: return '-';
	}
}

/* "drwxr-xr-x", with s/S/t/T as ls prints them; 'h' for a hard link
 * (as dpkg-deb --contents shows it). */
static void perms(const struct pkgfile *f, char out[11])
{
	const char *rwx = "rwxrwxrwx";
	out[0] = type_char(f);
	for (int i = 0; i < 9; i++)
		out[1 + i] = f->mode & (0400u >> i) ? rwx[i] : '-';
	if (f->mode & S_ISUID)
		out[3] = out[3] == 'x' ? 's' : 'S';
	if (f->mode & S_ISGID)
		out[6] = out[6] == 'x' ? 's' : 'S';
	if (f->mode & S_ISVTX)
		out[9] = out[9] == 'x' ? 't' : 'T';
	out[10] = 0;
}

static void json_field(struct buf *b, const char *key, const char *val)
{
	buf_addf(b, "  \"%s\": ", key);
	text_json(b, val);
	buf_adds(b, ",\n");
}

/* Hot upgrades (issue 13): what a relpkg package's metadata says about
 * its relup (relpkg-meta(5), HOT*); NULL for other packages and for
 * packages of earlier relpkg versions. */
struct hotinfo {
	const char *hot, *why, *up, *down, *restart, *erts;
};

static int hot_info(struct kvfile *kv, const struct pkginfo *pi, struct hotinfo *h)
{
	memset(h, 0, sizeof *h);
	if (!pi->relpkg_meta)
		return 0;
	kv_parse_meta(pi->relpkg_meta, kv);
	h->hot = kv_get(kv, "HOT");
	if (!h->hot)
		return 0;
	h->why = kv_str(kv, "HOT_WHY");
	h->up = kv_str(kv, "HOT_UP_FROM");
	h->down = kv_str(kv, "HOT_DOWN_TO");
	h->restart = kv_str(kv, "HOT_RESTART");
	h->erts = kv_str(kv, "ERTS_VERSION");
	return 1;
}

/* "yes (relup: up from A B; down to A)" / "no (why)" */
static void hot_text(struct buf *b, const struct hotinfo *h)
{
	if (strcmp(h->hot, "yes")) {
		buf_addf(b, "no (%s)", *h->why ? h->why : "not hot-capable");
		return;
	}
	if (!*h->up && !*h->down)
		buf_adds(b, "yes (no relup: a hot downgrade target only)");
	else
		buf_addf(b, "yes (relup: up from %s; down to %s)", *h->up ? h->up : "none",
			 *h->down ? h->down : "none");
	if (*h->restart)
		buf_addf(b, "; emulator restart (cold): %s", h->restart);
}

static void print_json(const struct pkginfo *pi, struct buf *b)
{
	buf_adds(b, "{\n");
	json_field(b, "format", pi->fmt == FMT_DEB ? "deb" : "rpm");
	json_field(b, "name", pi->name);
	json_field(b, "version", pi->version);
	json_field(b, "arch", pi->arch);
	json_field(b, "maintainer", pi->maintainer);
	json_field(b, "depends", pi->depends);
	json_field(b, "summary", pi->summary);
	if (pi->has_installed_size)
		buf_addf(b, "  \"installed_size\": %llu,\n", (unsigned long long)pi->installed_size);
	else
		buf_adds(b, "  \"installed_size\": null,\n");
	struct kvfile kv = { 0 };
	struct hotinfo h;
	if (hot_info(&kv, pi, &h)) {
		buf_addf(b, "  \"hot\": {\"capable\": %s, \"why\": ", strcmp(h.hot, "yes") ? "false" : "true");
		text_json(b, h.why);
		buf_adds(b, ", \"erts\": ");
		text_json(b, h.erts);
		buf_adds(b, ", \"up_from\": ");
		text_json(b, h.up);
		buf_adds(b, ", \"down_to\": ");
		text_json(b, h.down);
		buf_adds(b, ", \"emulator_restart\": ");
		text_json(b, h.restart);
		buf_adds(b, "},\n");
	}
	kv_free(&kv);
	buf_adds(b, "  \"scripts\": [");
	for (size_t i = 0; i < pi->nscripts; i++) {
		buf_adds(b, i ? ",\n    {\"name\": " : "\n    {\"name\": ");
		text_json(b, pi->scripts[i].name);
		buf_addf(b, ", \"size\": %zu}", pi->scripts[i].size);
	}
	buf_adds(b, pi->nscripts ? "\n  ],\n  \"files\": [" : "],\n  \"files\": [");
	for (size_t i = 0; i < pi->nfiles; i++) {
		const struct pkgfile *f = &pi->files[i];
		buf_adds(b, i ? ",\n    {\"path\": " : "\n    {\"path\": ");
		text_json(b, f->path);
		buf_addf(b, ", \"type\": \"%s\", \"mode\": \"%04o\", \"user\": ", type_of(f), f->mode & 07777);
		text_json(b, f->user);
		buf_adds(b, ", \"group\": ");
		text_json(b, f->group);
		buf_addf(b, ", \"size\": %llu, \"target\": ", (unsigned long long)f->size);
		text_json(b, f->target);
		buf_adds(b, "}");
	}
	buf_adds(b, pi->nfiles ? "\n  ]\n}\n" : "]\n}\n");
}

static void text_field(struct buf *b, const char *key, const char *val)
{
	buf_addf(b, "%-15s %s\n", key, val ? val : "(none)");
}

static void print_text(const struct pkginfo *pi, struct buf *b)
{
	text_field(b, "format:", pi->fmt == FMT_DEB ? "deb" : "rpm");
	text_field(b, "name:", pi->name);
	text_field(b, "version:", pi->version);
	text_field(b, "arch:", pi->arch);
	text_field(b, pi->fmt == FMT_DEB ? "maintainer:" : "packager:", pi->maintainer);
	text_field(b, "depends:", pi->depends);
	text_field(b, "summary:", pi->summary);
	if (pi->has_installed_size)
		buf_addf(b, "%-15s %llu bytes\n", "installed-size:", (unsigned long long)pi->installed_size);
	else
		text_field(b, "installed-size:", NULL);
	struct kvfile kv = { 0 };
	struct hotinfo h;
	if (hot_info(&kv, pi, &h)) {
		struct buf t = BUF_INIT;
		hot_text(&t, &h);
		text_field(b, "hot:", buf_str(&t));
		buf_free(&t);
	}
	kv_free(&kv);
	buf_addf(b, "scripts:%s\n", pi->nscripts ? "" : " (none)");
	for (size_t i = 0; i < pi->nscripts; i++)
		buf_addf(b, "  %-14s %zu bytes\n", pi->scripts[i].name, pi->scripts[i].size);
	buf_addf(b, "files: %zu\n", pi->nfiles);
	for (size_t i = 0; i < pi->nfiles; i++) {
		const struct pkgfile *f = &pi->files[i];
		char m[11];
		perms(f, m);
		buf_addf(b, "  %s %s/%s %10llu %s", m, f->user, f->group, (unsigned long long)f->size, f->path);
		if (f->target)
			buf_addf(b, f->hardlink ? " link to %s" : " -> %s", f->target);
		buf_addc(b, '\n');
	}
}

int cmd_inspect(int argc, char **argv)
{
	const char *path = NULL;
	int json = 0;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(help, stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (argv[i][0] == '-' && argv[i][1])
			return rp_usage("inspect: unknown option '%s' (see relpkg inspect --help)", argv[i]);
		else if (path)
			return rp_usage("inspect: one package at a time");
		else
			path = argv[i];
	}
	if (!path)
		return rp_usage("inspect: which package? (relpkg inspect PKG [--json])");
	struct pkginfo pi;
	struct buf out = BUF_INIT;
	int rc = pkginfo_read(path, &pi, PKG_INSPECT);
	if (rc < 0)
		rp_err_context("%s", path);
	else {
		(json ? print_json : print_text)(&pi, &out);
		fwrite(out.p, 1, out.len, stdout);
		if (fflush(stdout) != 0)
			rc = rp_errno("stdout");
	}
	buf_free(&out);
	pkginfo_free(&pi);
	return rc;
}
