/* autodeps.c — see autodeps.h. */
#include "autodeps.h"
#include "buf.h"
#include "deps.h"
#include "error.h"
#include "solve.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- a small string set ------------------------------------------------ */

struct sv {
	char **v;
	size_t n, cap;
};

static void sv_push(struct sv *s, char *owned)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->v = xrealloc(s->v, s->cap * sizeof *s->v);
	}
	s->v[s->n++] = owned;
}

static int sv_has(const struct sv *s, const char *x)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], x))
			return 1;
	return 0;
}

static void sv_add_uniq(struct sv *s, const char *x)
{
	if (!sv_has(s, x))
		sv_push(s, xstrdup(x));
}

static void sv_free(struct sv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof *s);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- the bounded ELF reader ---------------------------------------------- */

struct elf {
	const unsigned char *p;
	size_t n;
	int is64, be;
};

/* 1 when [off, off+len) lies inside the file. */
static int in_file(const struct elf *e, uint64_t off, uint64_t len)
{
	return off <= e->n && len <= e->n - off;
}

static uint64_t rd(const struct elf *e, uint64_t off, int width)
{
	uint64_t v = 0;
	for (int i = 0; i < width; i++) {
		unsigned b = e->p[off + (uint64_t)(e->be ? i : width - 1 - i)];
		v = v << 8 | b;
	}
	return v;
}

struct shdr {
	uint32_t type, link, info;
	uint64_t off, size, entsize;
};

/* Characters a soname, a version or an interpreter path may hold here:
 * what ends up in a package's metadata or in a path relpkg opens. */
static int plain(const char *s, const char *extra)
{
	if (!*s || strlen(s) > 255)
		return 0;
	for (const char *c = s; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		      strchr("._+-", *c) || strchr(extra, *c)))
			return 0;
	return 1;
}

static int plain_soname(const char *s)
{
	return plain(s, "") && s[0] != '.';
}

/* The NUL-terminated string at index i of string table section st, or
 * NULL when it is not inside the section. */
static const char *str_at(const struct elf *e, const struct shdr *st, uint64_t i)
{
	if (!st || i >= st->size)
		return NULL;
	const char *s = (const char *)e->p + st->off + i;
	const void *z = memchr(s, 0, (size_t)(st->size - i));
	return z ? s : NULL;
}

static char *take(struct elf_deps *d, const char *s, int soname)
{
	if (!s)
		return NULL;
	if (soname ? !plain_soname(s) : !plain(s, "@")) {
		d->dropped++;
		return NULL;
	}
	return xstrdup(s);
}

static int bad(char *why, size_t whylen, const char *msg)
{
	snprintf(why, whylen, "%s", msg);
	return -1;
}

#define SHT_DYNSYM_ 11
#define SHT_DYNAMIC_ 6
#define SHT_NOBITS_ 8
#define SHT_VERNEED_ 0x6ffffffe
#define SHT_VERSYM_ 0x6fffffff
#define DT_NEEDED_ 1
#define DT_HASH_ 4
#define DT_SONAME_ 14
#define DT_DEBUG_ 21
#define DT_GNU_HASH_ 0x6ffffef5
/* bounds of the reader (a real binary is far below them) */
#define MAX_SECTIONS 65535
#define MAX_NEEDED 4096
#define MAX_VERNEED 65536
#define MAX_SYMS (1u << 20)

int elf_deps_parse(const unsigned char *p, size_t n, struct elf_deps *d, char *why, size_t whylen)
{
	memset(d, 0, sizeof *d);
	why[0] = 0;
	if (n < 16 || memcmp(p, "\177ELF", 4) != 0)
		return 0;
	struct elf e = { .p = p, .n = n, .is64 = p[4] == 2, .be = p[5] == 2 };
	if ((p[4] != 1 && p[4] != 2) || (p[5] != 1 && p[5] != 2))
		return bad(why, whylen, "unknown ELF class or byte order");
	int w = e.is64 ? 8 : 4;
	uint64_t ehsize = e.is64 ? 64 : 52;
	if (!in_file(&e, 0, ehsize))
		return bad(why, whylen, "truncated ELF header");
	unsigned type = (unsigned)rd(&e, 16, 2);
	if (type != 2 && type != 3)
		return 0;
	d->is64 = e.is64;
	d->machine = (int)rd(&e, 18, 2);
	d->dso = type == 3;
	uint64_t shoff = rd(&e, e.is64 ? 40 : 32, w);
	unsigned shentsize = (unsigned)rd(&e, e.is64 ? 58 : 46, 2);
	unsigned shnum = (unsigned)rd(&e, e.is64 ? 60 : 48, 2);
	if (shnum == 0 || shoff == 0)
		return 1;               /* no section headers: nothing to read (as elfdeps) */
	if (shentsize < (e.is64 ? 64u : 40u))
		return bad(why, whylen, "section header entries too small");
	if (shnum > MAX_SECTIONS || !in_file(&e, shoff, (uint64_t)shnum * shentsize))
		return bad(why, whylen, "section headers outside the file");
	struct shdr *sh = xcalloc(shnum, sizeof *sh);
	for (unsigned i = 0; i < shnum; i++) {
		uint64_t o = shoff + (uint64_t)i * shentsize;
		sh[i].type = (uint32_t)rd(&e, o + 4, 4);
		sh[i].off = rd(&e, o + (e.is64 ? 24 : 16), w);
		sh[i].size = rd(&e, o + (e.is64 ? 32 : 20), w);
		sh[i].link = (uint32_t)rd(&e, o + (e.is64 ? 40 : 24), 4);
		sh[i].info = (uint32_t)rd(&e, o + (e.is64 ? 44 : 28), 4);
		sh[i].entsize = rd(&e, o + (e.is64 ? 56 : 36), w);
		if (sh[i].type != SHT_NOBITS_ && sh[i].type != 0 && !in_file(&e, sh[i].off, sh[i].size)) {
			/* a section we do not read may point anywhere; ours may not */
			if (sh[i].type == SHT_DYNAMIC_ || sh[i].type == SHT_VERNEED_ ||
			    sh[i].type == SHT_DYNSYM_ || sh[i].type == SHT_VERSYM_) {
				free(sh);
				return bad(why, whylen, "a dynamic section lies outside the file");
			}
			sh[i].type = 0;
		}
	}
	/* string tables are checked as their users name them */
#define STRTAB(i) ((i) < shnum && sh[i].type == 3 ? &sh[i] : NULL)
	const struct shdr *dynsym = NULL, *versym = NULL, *verneed = NULL;
	for (unsigned i = 0; i < shnum; i++) {
		const struct shdr *s = &sh[i];
		if (s->type == SHT_DYNSYM_ && !dynsym)
			dynsym = s;
		else if (s->type == SHT_VERSYM_ && !versym)
			versym = s;
		else if (s->type == SHT_VERNEED_ && !verneed)
			verneed = s;
		else if (s->type == SHT_DYNAMIC_) {
			const struct shdr *st = STRTAB(s->link);
			uint64_t es = e.is64 ? 16 : 8;
			for (uint64_t o = 0; o + es <= s->size; o += es) {
				uint64_t tag = rd(&e, s->off + o, w), val = rd(&e, s->off + o + (uint64_t)w, w);
				if (tag == 0)
					break;
				if (tag == DT_HASH_)
					d->hash = 1;
				else if (tag == DT_GNU_HASH_)
					d->gnuhash = 1;
				else if (tag == DT_DEBUG_)
					d->debug = 1;
				else if (tag == DT_SONAME_ && !d->soname)
					d->soname = take(d, str_at(&e, st, val), 1);
				else if (tag == DT_NEEDED_ && d->nneeded < MAX_NEEDED) {
					char *s2 = take(d, str_at(&e, st, val), 1);
					if (s2) {
						d->needed = xrealloc(d->needed, (d->nneeded + 1) * sizeof *d->needed);
						d->needed[d->nneeded++] = s2;
					}
				}
			}
		}
	}
	/* verneed: Elf_Verneed {u16 version, u16 cnt, u32 file, u32 aux, u32 next},
	 * Elf_Vernaux {u32 hash, u16 flags, u16 other, u32 name, u32 next};
	 * the same in both classes.  other: the index versym uses. */
	struct { uint16_t idx; char *file, *ver; } *ix = NULL;
	size_t nix = 0;
	if (verneed) {
		const struct shdr *st = STRTAB(verneed->link);
		uint64_t off = 0;
		size_t seen = 0;
		for (uint32_t k = 0; k < verneed->info && seen < MAX_VERNEED; k++) {
			if (off > verneed->size || verneed->size - off < 16)
				break;
			uint64_t b = verneed->off + off;
			unsigned cnt = (unsigned)rd(&e, b + 2, 2);
			const char *file = str_at(&e, st, rd(&e, b + 4, 4));
			uint64_t aux = off + rd(&e, b + 8, 4);
			uint64_t next = rd(&e, b + 12, 4);
			char *f = take(d, file, 1);
			for (unsigned j = 0; j < cnt && seen < MAX_VERNEED; j++, seen++) {
				if (aux > verneed->size || verneed->size - aux < 16)
					break;
				uint64_t a = verneed->off + aux;
				uint16_t other = (uint16_t)rd(&e, a + 6, 2);
				char *v = take(d, str_at(&e, st, rd(&e, a + 8, 4)), 0);
				if (f && v) {
					d->vn = xrealloc(d->vn, (d->nvn + 1) * sizeof *d->vn);
					d->vn[d->nvn].file = xstrdup(f);
					d->vn[d->nvn].ver = xstrdup(v);
					d->nvn++;
					ix = xrealloc(ix, (nix + 1) * sizeof *ix);
					ix[nix].idx = other & 0x7fff;
					ix[nix].file = d->vn[d->nvn - 1].file;
					ix[nix].ver = d->vn[d->nvn - 1].ver;
					nix++;
				}
				free(v);
				uint64_t an = rd(&e, a + 12, 4);
				if (an == 0)
					break;
				aux += an;
			}
			free(f);
			if (next == 0)
				break;
			off += next;
		}
	}
	/* the undefined dynamic symbols (dpkg's symbols files are keyed by them) */
	if (dynsym) {
		const struct shdr *st = STRTAB(dynsym->link);
		uint64_t es = e.is64 ? 24 : 16;
		uint64_t nsyms = dynsym->size / es;
		if (nsyms > MAX_SYMS)
			nsyms = MAX_SYMS;
		for (uint64_t k = 1; k < nsyms; k++) {
			uint64_t b = dynsym->off + k * es;
			uint64_t name = rd(&e, b, 4);
			unsigned info = e.is64 ? p[b + 4] : p[b + 12];
			unsigned shndx = (unsigned)rd(&e, b + (e.is64 ? 6 : 14), 2);
			unsigned bind = info >> 4;
			if (shndx != 0 || name == 0 || (bind != 1 && bind != 2))
				continue;
			const char *nm = str_at(&e, st, name);
			if (!nm || !plain(nm, "@$"))
				continue;
			const char *ver = NULL, *file = NULL;
			if (versym && versym->size / 2 > k) {
				uint16_t vi = (uint16_t)rd(&e, versym->off + k * 2, 2) & 0x7fff;
				for (size_t q = 0; q < nix && vi > 1; q++)
					if (ix[q].idx == vi) {
						ver = ix[q].ver;
						file = ix[q].file;
						break;
					}
			}
			d->sym = xrealloc(d->sym, (d->nsym + 1) * sizeof *d->sym);
			d->sym[d->nsym].name = xstrdup(nm);
			d->sym[d->nsym].ver = ver ? xstrdup(ver) : NULL;
			d->sym[d->nsym].file = file ? xstrdup(file) : NULL;
			d->nsym++;
		}
	}
#undef STRTAB
	free(ix);
	free(sh);
	return 1;
}

void elf_deps_free(struct elf_deps *d)
{
	free(d->soname);
	for (size_t i = 0; i < d->nneeded; i++)
		free(d->needed[i]);
	free(d->needed);
	for (size_t i = 0; i < d->nvn; i++) {
		free(d->vn[i].file);
		free(d->vn[i].ver);
	}
	free(d->vn);
	for (size_t i = 0; i < d->nsym; i++) {
		free(d->sym[i].name);
		free(d->sym[i].ver);
		free(d->sym[i].file);
	}
	free(d->sym);
	memset(d, 0, sizeof *d);
}

/* ---- the collector ------------------------------------------------------- */

struct elffile {
	char *path;
	int exec;               /* an execute bit: rpm's generators look at it */
	struct elf_deps d;
};

struct script {
	char *path, *interp;
	char *envcmd;           /* #!/usr/bin/env CMD: CMD, else NULL */
};

enum cur { C_NONE, C_PROBE, C_ELF, C_SCRIPT };

struct autodeps {
	struct elffile *f;
	size_t nf;
	struct script *s;
	size_t ns;
	struct sv warn;         /* said once each, at resolve */
	/* the current file */
	enum cur cur;
	char *path;
	unsigned mode;
	struct buf b;
	int toolarge;
};

struct autodeps *autodeps_new(void)
{
	return xcalloc(1, sizeof(struct autodeps));
}

void autodeps_free(struct autodeps *ad)
{
	if (!ad)
		return;
	for (size_t i = 0; i < ad->nf; i++) {
		free(ad->f[i].path);
		elf_deps_free(&ad->f[i].d);
	}
	free(ad->f);
	for (size_t i = 0; i < ad->ns; i++) {
		free(ad->s[i].path);
		free(ad->s[i].interp);
		free(ad->s[i].envcmd);
	}
	free(ad->s);
	sv_free(&ad->warn);
	free(ad->path);
	buf_free(&ad->b);
	free(ad);
}

void autodeps_begin(struct autodeps *ad, const char *path, unsigned mode)
{
	free(ad->path);
	ad->path = xstrdup(path);
	ad->mode = mode;
	ad->cur = C_PROBE;
	ad->toolarge = 0;
	buf_reset(&ad->b);
}

void autodeps_data(struct autodeps *ad, const void *p, size_t n)
{
	if (ad->cur == C_NONE || !n)
		return;
	if (ad->cur == C_PROBE) {
		/* the kind is decided by the first bytes (up to 4 over chunks) */
		buf_add(&ad->b, p, n);
		if (ad->b.len < 4)
			return;
		if (!memcmp(ad->b.p, "\177ELF", 4))
			ad->cur = C_ELF;
		else if (ad->b.p[0] == '#' && ad->b.p[1] == '!' && (ad->mode & 0111))
			ad->cur = C_SCRIPT;
		else {
			ad->cur = C_NONE;
			buf_reset(&ad->b);
		}
		return;
	}
	if (ad->cur == C_SCRIPT) {
		if (ad->b.len < 512)
			buf_add(&ad->b, p, n < 512 ? n : 512);
		return;
	}
	if (ad->b.len + n > AUTODEPS_ELF_MAX) {
		ad->toolarge = 1;
		ad->cur = C_NONE;
		buf_free(&ad->b);
		struct buf m = BUF_INIT;
		buf_addf(&m, "'%s': an ELF file over %llu MiB is not examined for its dependencies",
			 ad->path, AUTODEPS_ELF_MAX >> 20);
		sv_push(&ad->warn, buf_detach(&m));
		return;
	}
	buf_add(&ad->b, p, n);
}

/* "#!" line -> interpreter (and env's command), as rpm's script.req reads
 * it: the first word after "#!" when it is an absolute path. */
static void end_script(struct autodeps *ad)
{
	const char *s = ad->b.p + 2;
	const char *end = ad->b.p + ad->b.len;
	const char *nl = memchr(s, '\n', (size_t)(end - s));
	if (!nl)
		nl = end;
	char *line = xstrndup(s, (size_t)(nl - s));
	char *save = NULL, *word = strtok_r(line, " \t\r\f\v", &save);
	if (word && word[0] == '/') {
		char *cmd = NULL;
		size_t wl = strlen(word);
		if (wl >= 4 && !strcmp(word + wl - 4, "/env")) {
			char *a;
			/* env's options and NAME=VALUE assignments come before the command */
			while ((a = strtok_r(NULL, " \t\r\f\v", &save)) && (a[0] == '-' || strchr(a, '=')))
				;
			if (a)
				cmd = a;
		}
		if (!plain(word, "/") || strstr(word, "/..") ||
		    (cmd && !(cmd[0] == '/' ? plain(cmd, "/") && !strstr(cmd, "/..") : plain(cmd, "")))) {
			struct buf m = BUF_INIT;
			buf_addf(&m, "'%s': its #! line names an interpreter relpkg does not write into "
				 "a dependency (unusual characters); add it with --depends", ad->path);
			sv_push(&ad->warn, buf_detach(&m));
		} else {
			ad->s = xrealloc(ad->s, (ad->ns + 1) * sizeof *ad->s);
			ad->s[ad->ns].path = xstrdup(ad->path);
			ad->s[ad->ns].interp = xstrdup(word);
			ad->s[ad->ns].envcmd = cmd ? xstrdup(cmd) : NULL;
			ad->ns++;
		}
	}
	free(line);
}

static void end_elf(struct autodeps *ad)
{
	struct elf_deps d;
	char why[200];
	int r = elf_deps_parse((const unsigned char *)ad->b.p, ad->b.len, &d, why, sizeof why);
	struct buf m = BUF_INIT;
	if (r < 0) {
		buf_addf(&m, "'%s': not examined for its dependencies: %s", ad->path, why);
		sv_push(&ad->warn, buf_detach(&m));
		return;
	}
	if (r == 0)
		return;
	if (d.dropped) {
		buf_addf(&m, "'%s': %zu names in its dynamic section have characters no soname or "
			 "version has; they are left out of the dependencies", ad->path, d.dropped);
		sv_push(&ad->warn, buf_detach(&m));
	}
	ad->f = xrealloc(ad->f, (ad->nf + 1) * sizeof *ad->f);
	ad->f[ad->nf].path = xstrdup(ad->path);
	ad->f[ad->nf].exec = (ad->mode & 0111) != 0;
	ad->f[ad->nf].d = d;
	ad->nf++;
}

void autodeps_end(struct autodeps *ad)
{
	if (ad->cur == C_ELF)
		end_elf(ad);
	else if (ad->cur == C_SCRIPT)
		end_script(ad);
	ad->cur = C_NONE;
	buf_free(&ad->b);
}

/* ---- rpm: what elfdeps --requires and script.req write ------------------- */

/* elfdeps' soname filter: a dependency on a name without ".so", or not
 * starting with "lib" or "ld" (the dynamic linker), is not written. */
static int rpm_skip_soname(const char *s)
{
	if (!strstr(s, ".so"))
		return 1;
	if (!strncmp(s, "ld.", 3) || !strncmp(s, "ld-", 3) || !strncmp(s, "ld64.", 5) || !strncmp(s, "ld64-", 5))
		return 0;
	return strncmp(s, "lib", 3) != 0;
}

static const char *marker(const struct elf_deps *d)
{
	/* ELFCLASS64 gets "(64bit)", except alpha (EM_ALPHA 0x9026), as elfdeps */
	return d->is64 && d->machine != 0x9026 ? "(64bit)" : "";
}

static void rpm_dep(struct sv *out, const struct sv *own, const char *soname, const char *ver,
		    const char *mark)
{
	if (rpm_skip_soname(soname) || sv_has(own, soname))
		return;
	struct buf b = BUF_INIT;
	if (ver || *mark)
		buf_addf(&b, "%s(%s)%s", soname, ver ? ver : "", mark);
	else
		buf_adds(&b, soname);
	if (!sv_has(out, b.p))
		sv_push(out, buf_detach(&b));
	else
		buf_free(&b);
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* The sonames the release provides: DT_SONAME, or the file name of a
 * shared object without one (elfdeps' "fake soname"). */
static void own_sonames(const struct autodeps *ad, struct sv *own)
{
	for (size_t i = 0; i < ad->nf; i++) {
		const struct elf_deps *d = &ad->f[i].d;
		if (!d->dso)
			continue;
		if (d->soname)
			sv_add_uniq(own, d->soname);
		sv_add_uniq(own, base_name(ad->f[i].path));
	}
}

static void rpm_requires(const struct autodeps *ad, const struct sv *own, struct sv *out)
{
	for (size_t i = 0; i < ad->nf; i++) {
		const struct elffile *f = &ad->f[i];
		if (!f->exec)
			continue;
		const char *mark = marker(&f->d);
		for (size_t k = 0; k < f->d.nneeded; k++)
			rpm_dep(out, own, f->d.needed[k], NULL, mark);
		for (size_t k = 0; k < f->d.nvn; k++)
			rpm_dep(out, own, f->d.vn[k].file, f->d.vn[k].ver, mark);
		if (f->d.gnuhash && !f->d.hash)
			sv_add_uniq(out, "rtld(GNU_HASH)");
	}
	for (size_t i = 0; i < ad->ns; i++) {
		const struct script *s = &ad->s[i];
		sv_add_uniq(out, s->interp);
		if (s->envcmd) {
			if (s->envcmd[0] == '/')
				sv_add_uniq(out, s->envcmd);
			else {
				struct buf b = BUF_INIT;
				buf_addf(&b, "/usr/bin/%s", s->envcmd);
				sv_add_uniq(out, b.p);
				buf_free(&b);
			}
		}
	}
}

/* ---- deb: the build host's dpkg data, as dpkg-shlibdeps reads it --------- */

static const char *triplet(int machine, int is64)
{
	switch (machine) {
	case 62: return is64 ? "x86_64-linux-gnu" : "x86_64-linux-gnux32";
	case 183: return "aarch64-linux-gnu";
	case 3: return "i386-linux-gnu";
	case 40: return "arm-linux-gnueabihf";
	case 243: return "riscv64-linux-gnu";
	case 21: return "powerpc64le-linux-gnu";
	case 22: return "s390x-linux-gnu";
	}
	return NULL;
}

/* /usr/bin/x and /bin/x are one file on a merged-/usr system; dpkg's lists
 * name either.  The key drops "/usr" before bin, sbin and lib*. */
static char *path_key(const char *p)
{
	if (!strncmp(p, "/usr/", 5) &&
	    (!strncmp(p + 5, "bin/", 4) || !strncmp(p + 5, "sbin/", 5) || !strncmp(p + 5, "lib", 3)))
		p += 4;
	return xstrdup(p);
}

static char *rooted(const char *root, const char *p)
{
	struct buf b = BUF_INIT;
	buf_addf(&b, "%s%s", strcmp(root, "/") ? root : "", p);
	return buf_detach(&b);
}

/* Reads a whole (small) host file; NULL if it cannot. */
static char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "re");
	if (!fp)
		return NULL;
	struct buf b = BUF_INIT;
	char tmp[65536];
	size_t k;
	while ((k = fread(tmp, 1, sizeof tmp, fp)) > 0)
		buf_add(&b, tmp, k);
	fclose(fp);
	if (len)
		*len = b.len;
	buf_addc(&b, 0);
	return buf_detach(&b);
}

/* The library directories: /etc/ld.so.conf (and its includes), the
 * multiarch directories, then the defaults. */
static void ld_conf(const char *root, const char *file, struct sv *dirs, int depth)
{
	char *path = rooted(root, file);
	char *t = slurp(path, NULL);
	free(path);
	if (!t || depth > 4) {
		free(t);
		return;
	}
	char *save = NULL;
	for (char *l = strtok_r(t, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *h = strchr(l, '#');
		if (h)
			*h = 0;
		while (*l == ' ' || *l == '\t')
			l++;
		size_t n = strlen(l);
		while (n && (l[n - 1] == ' ' || l[n - 1] == '\t' || l[n - 1] == '\r'))
			l[--n] = 0;
		if (!n)
			continue;
		if (!strncmp(l, "include", 7) && (l[7] == ' ' || l[7] == '\t')) {
			char *pat = l + 8;
			while (*pat == ' ' || *pat == '\t')
				pat++;
			char *rp = rooted(root, pat);
			glob_t g;
			if (glob(rp, 0, NULL, &g) == 0) {
				for (size_t i = 0; i < g.gl_pathc; i++)
					ld_conf("/", g.gl_pathv[i], dirs, depth + 1);
				globfree(&g);
			}
			free(rp);
		} else if (l[0] == '/') {
			sv_add_uniq(dirs, l);
		}
	}
	free(t);
}

static int elf_matches(const char *path, int is64, int machine)
{
	unsigned char h[20];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t k = read(fd, h, sizeof h);
	close(fd);
	if (k != (ssize_t)sizeof h || memcmp(h, "\177ELF", 4))
		return 0;
	int m = h[5] == 2 ? h[18] << 8 | h[19] : h[18] | h[19] << 8;
	return (h[4] == 2) == (is64 != 0) && m == machine;
}

struct want {           /* a soname (or interpreter) to resolve on the host */
	char *name;             /* soname, or interpreter path */
	int is64, machine;      /* ELF: the asking file's */
	int interp;
	char *path;             /* the host file found, or NULL */
	char *key, *rkey;       /* path_key of path and of its real path */
	char *pkg;              /* owning package's list name (libc6:amd64), or NULL */
	char *needed_by;
};

struct deb_ctx {
	const char *root;
	char *info;             /* ROOT/var/lib/dpkg/info */
	struct sv dirs;
	struct want *w;
	size_t nw;
	struct sv deps;         /* the result entries */
	struct sv vers;         /* (parallel) max minimal version of deps[i] or "" */
	struct sv *warn;
	const struct autodeps *ad;
	struct sv essential;     /* Essential: yes packages (the status file) */
};

static void want_add(struct deb_ctx *c, const char *name, int is64, int machine, int interp, const char *by)
{
	for (size_t i = 0; i < c->nw; i++)
		if (!strcmp(c->w[i].name, name) && c->w[i].interp == interp &&
		    (interp || (c->w[i].is64 == is64 && c->w[i].machine == machine)))
			return;
	c->w = xrealloc(c->w, (c->nw + 1) * sizeof *c->w);
	struct want *w = &c->w[c->nw++];
	memset(w, 0, sizeof *w);
	w->name = xstrdup(name);
	w->is64 = is64;
	w->machine = machine;
	w->interp = interp;
	w->needed_by = xstrdup(by);
}

static void locate(struct deb_ctx *c, struct want *w)
{
	if (w->interp) {
		char *p = rooted(c->root, w->name);
		struct stat st;
		if (stat(p, &st) == 0) {
			w->path = xstrdup(w->name);
			w->key = path_key(w->name);
			char *real = realpath(p, NULL);
			if (real) {
				size_t rl = strcmp(c->root, "/") ? strlen(c->root) : 0;
				w->rkey = path_key(real + rl);
				free(real);
			}
		}
		free(p);
		return;
	}
	struct sv cand = { 0 };
	const char *tr = triplet(w->machine, w->is64);
	for (size_t i = 0; i < c->dirs.n; i++)
		sv_add_uniq(&cand, c->dirs.v[i]);
	if (tr) {
		const char *fmt[] = { "/lib/%s", "/usr/lib/%s" };
		for (int k = 0; k < 2; k++) {
			struct buf b = BUF_INIT;
			buf_addf(&b, fmt[k], tr);
			sv_add_uniq(&cand, b.p);
			buf_free(&b);
		}
	}
	sv_add_uniq(&cand, "/lib");
	sv_add_uniq(&cand, "/usr/lib");
	if (w->is64) {
		sv_add_uniq(&cand, "/lib64");
		sv_add_uniq(&cand, "/usr/lib64");
	}
	for (size_t i = 0; i < cand.n && !w->path; i++) {
		struct buf b = BUF_INIT;
		buf_addf(&b, "%s/%s", cand.v[i], w->name);
		char *p = rooted(c->root, b.p);
		if (elf_matches(p, w->is64, w->machine)) {
			w->path = buf_detach(&b);
			w->key = path_key(w->path);
			char *real = realpath(p, NULL);
			if (real) {
				size_t rl = strcmp(c->root, "/") ? strlen(c->root) : 0;
				w->rkey = path_key(real + rl);
				free(real);
			}
		}
		buf_free(&b);
		free(p);
	}
	sv_free(&cand);
}

static const char *pkg_name(const char *listname, char *out, size_t n);
static int essential(const struct deb_ctx *c, const char *pkg);

/* One walk over every package's file list: the owner of each file found. */
static void owners(struct deb_ctx *c)
{
	size_t open_w = 0;
	for (size_t i = 0; i < c->nw; i++)
		open_w += c->w[i].path != NULL;
	if (!open_w)
		return;
	DIR *dir = opendir(c->info);
	if (!dir)
		return;
	struct sv lists = { 0 };
	struct dirent *de;
	while ((de = readdir(dir))) {
		size_t l = strlen(de->d_name);
		if (l > 5 && !strcmp(de->d_name + l - 5, ".list"))
			sv_push(&lists, xstrndup(de->d_name, l - 5));
	}
	closedir(dir);
	/* the same order on every host state: the first owner in name order;
	 * read first the Essential packages (/bin/sh, env), then those with
	 * symbols or shlibs files (libraries), the rest only if still needed */
	if (lists.n)
		qsort(lists.v, lists.n, sizeof *lists.v, cmp_str);
	unsigned char *prio = xcalloc(lists.n ? lists.n : 1, 1);
	for (size_t li = 0; li < lists.n; li++) {
		char name[256];
		if (essential(c, pkg_name(lists.v[li], name, sizeof name)))
			continue;
		struct buf b = BUF_INIT;
		buf_addf(&b, "%s/%s.symbols", c->info, lists.v[li]);
		int lib = access(b.p, F_OK) == 0;
		buf_reset(&b);
		buf_addf(&b, "%s/%s.shlibs", c->info, lists.v[li]);
		lib = lib || access(b.p, F_OK) == 0;
		buf_free(&b);
		prio[li] = lib ? 1 : 2;
	}
	for (size_t k = 0; k < 3 * lists.n && open_w; k++) {
		size_t li = k % lists.n;
		if (prio[li] != k / lists.n)
			continue;
		struct buf b = BUF_INIT;
		buf_addf(&b, "%s/%s.list", c->info, lists.v[li]);
		char *t = slurp(b.p, NULL);
		buf_free(&b);
		if (!t)
			continue;
		char *save = NULL;
		for (char *l = strtok_r(t, "\n", &save); l && open_w; l = strtok_r(NULL, "\n", &save)) {
			/* cheap first test: the line ends with a wanted base name */
			const char *bn = base_name(l);
			for (size_t i = 0; i < c->nw; i++) {
				struct want *w = &c->w[i];
				if (!w->path || w->pkg)
					continue;
				if (strcmp(bn, base_name(w->key)) && (!w->rkey || strcmp(bn, base_name(w->rkey))))
					continue;
				char *k = path_key(l);
				if (!strcmp(k, w->key) || (w->rkey && !strcmp(k, w->rkey))) {
					w->pkg = xstrdup(lists.v[li]);
					open_w--;
				}
				free(k);
			}
		}
		free(t);
	}
	free(prio);
	sv_free(&lists);
}

/* Essential: yes packages, from the status file (interpreters of those
 * are on every system; dpkg-shlibdeps' users leave them out too). */
static void read_essential(struct deb_ctx *c)
{
	char *p = rooted(c->root, "/var/lib/dpkg/status");
	char *t = slurp(p, NULL);
	free(p);
	if (!t)
		return;
	char *pkg = NULL, *save = NULL;
	for (char *l = strtok_r(t, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(l, "Package: ", 9))
			pkg = l + 9;
		else if (pkg && !strcmp(l, "Essential: yes"))
			sv_add_uniq(&c->essential, pkg);
	}
	free(t);
}

static int essential(const struct deb_ctx *c, const char *pkg)
{
	return sv_has(&c->essential, pkg);
}

static const char *pkg_name(const char *listname, char *out, size_t n)
{
	snprintf(out, n, "%s", listname);
	char *colon = strchr(out, ':');
	if (colon)
		*colon = 0;
	return out;
}

/* Adds "NAME" or "NAME (>= VER)": one entry per dependency text, the
 * highest minimal version kept. */
static int dep_note(struct deb_ctx *c, const char *dep, const char *minver)
{
	/* "NAME (>= V)" (a shlibs entry) is NAME at V: one entry per package */
	const char *ge = strstr(dep, " (>= ");
	if (ge && !minver && dep[strlen(dep) - 1] == ')' && !strpbrk(dep, "|,") &&
	    (size_t)(ge - dep) == strcspn(dep, " (")) {
		char *name = xstrndup(dep, (size_t)(ge - dep));
		char *v = xstrndup(ge + 5, strlen(ge + 5) - 1);
		while (*v == ' ')
			memmove(v, v + 1, strlen(v));
		dep_note(c, name, v);
		free(name);
		free(v);
		return 0;
	}
	for (size_t i = 0; i < c->deps.n; i++)
		if (!strcmp(c->deps.v[i], dep)) {
			if (minver && *minver) {
				int r = 0;
				if (!*c->vers.v[i] || (solve_vercmp(FMT_DEB, minver, c->vers.v[i], &r) == 0 && r > 0)) {
					free(c->vers.v[i]);
					c->vers.v[i] = xstrdup(minver);
				}
			}
			return 0;
		}
	sv_push(&c->deps, xstrdup(dep));
	sv_push(&c->vers, xstrdup(minver ? minver : ""));
	return 0;
}

/* Does the symbols line's name (NAME@VERSION, or a (symver) VERSION)
 * match a symbol the release uses from soname? */
static int sym_used(const struct autodeps *ad, const char *soname, const char *spec, int symver)
{
	const char *at = symver ? NULL : strrchr(spec, '@');
	if (!symver && !at)
		return 0;
	for (size_t i = 0; i < ad->nf; i++) {
		const struct elf_deps *d = &ad->f[i].d;
		int needs = 0;
		for (size_t k = 0; k < d->nneeded && !needs; k++)
			needs = !strcmp(d->needed[k], soname);
		if (!needs)
			continue;
		for (size_t k = 0; k < d->nsym; k++) {
			const struct elf_sym *s = &d->sym[k];
			if (symver) {
				if (s->ver && s->file && !strcmp(s->file, soname) && !strcmp(s->ver, spec))
					return 1;
				continue;
			}
			size_t nl = (size_t)(at - spec);
			if (strlen(s->name) != nl || memcmp(s->name, spec, nl))
				continue;
			if (s->ver ? s->file && !strcmp(s->file, soname) && !strcmp(s->ver, at + 1)
				   : !strcmp(at + 1, "Base"))
				return 1;
		}
	}
	return 0;
}

/* dpkg-shlibdeps on one soname's section of PKG.symbols: the first
 * template, at the highest minimal version over the symbols used (and at
 * least the smallest one of the library).  1: found; 0: no section. */
static int from_symbols(struct deb_ctx *c, const char *list, const char *soname)
{
	struct buf b = BUF_INIT;
	buf_addf(&b, "%s/%s.symbols", c->info, list);
	char *t = slurp(b.p, NULL);
	buf_free(&b);
	if (!t)
		return 0;
	int in = 0, found = 0;
	char *tmpl = NULL, *minv = NULL, *maxv = NULL;
	char *save = NULL;
	for (char *l = strtok_r(t, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (l[0] != ' ' && l[0] != '|' && l[0] != '*' && l[0] != '#') {
			if (in)
				break;
			size_t sl = strlen(soname);
			if (!strncmp(l, soname, sl) && (l[sl] == ' ' || l[sl] == '\t')) {
				in = found = 1;
				const char *tp = l + sl;
				while (*tp == ' ' || *tp == '\t')
					tp++;
				tmpl = xstrdup(tp);
			}
			continue;
		}
		if (!in || l[0] != ' ')
			continue;
		/* " [(tags)]NAME MINVER [ID]" */
		char *s = l + 1, *tags = NULL;
		if (*s == '(') {
			char *close = strchr(s, ')');
			if (!close)
				continue;
			*close = 0;
			tags = s + 1;
			s = close + 1;
		}
		char *sp = strchr(s, ' ');
		if (!sp)
			continue;
		*sp = 0;
		char *ver = sp + 1, *ve = strchr(ver, ' ');
		int alt = 0;
		if (ve) {
			*ve = 0;
			alt = atoi(ve + 1) != 0;
		}
		if (tags && (strstr(tags, "c++") || strstr(tags, "regex")))
			continue;
		int symver = tags && strstr(tags, "symver");
		if (*ver) {
			int r = 0;
			if (!minv || (solve_vercmp(FMT_DEB, ver, minv, &r) == 0 && r < 0)) {
				free(minv);
				minv = xstrdup(ver);
			}
		}
		/* a symbol tied to an alternative template (GLIBC_PRIVATE) is not followed */
		if (alt || !sym_used(c->ad, soname, s, symver))
			continue;
		int r = 0;
		if (*ver &&
		    (!maxv || (solve_vercmp(FMT_DEB, ver, maxv, &r) == 0 && r > 0))) {
			free(maxv);
			maxv = xstrdup(ver);
		}
	}
	if (found && tmpl) {
		const char *v = maxv ? maxv : minv;
		int r = 0;
		if (maxv && minv && solve_vercmp(FMT_DEB, minv, maxv, &r) == 0 && r > 0)
			v = minv;
		if (v && !strcmp(v, "0"))
			v = NULL;       /* "0": any version (dpkg-shlibdeps writes none) */
		/* the template may list several packages: "libfoo1 #MINVER#, libbar" */
		char *save2 = NULL;
		for (char *d = strtok_r(tmpl, ",", &save2); d; d = strtok_r(NULL, ",", &save2)) {
			while (*d == ' ')
				d++;
			char *mv = strstr(d, "#MINVER#");
			if (mv) {
				*mv = 0;
				size_t n = strlen(d);
				while (n && d[n - 1] == ' ')
					d[--n] = 0;
				dep_note(c, d, v);
			} else if (*d) {
				size_t n = strlen(d);
				while (n && d[n - 1] == ' ')
					d[--n] = 0;
				dep_note(c, d, NULL);
			}
		}
	}
	free(tmpl);
	free(minv);
	free(maxv);
	free(t);
	return found;
}

/* libfoo.so.1 -> libfoo 1; libfoo-1.2.so -> libfoo 1.2 (dpkg's split). */
static int split_soname(const char *so, char *lib, size_t ln, char *ver, size_t vn)
{
	const char *p = strstr(so, ".so.");
	if (p && p[4]) {
		snprintf(lib, ln, "%.*s", (int)(p - so), so);
		snprintf(ver, vn, "%s", p + 4);
		return 0;
	}
	size_t l = strlen(so);
	if (l > 3 && !strcmp(so + l - 3, ".so")) {
		const char *dash = NULL;
		for (const char *q = so; q < so + l - 3; q++)
			if (*q == '-' && q[1] >= '0' && q[1] <= '9')
				dash = q;
		if (dash) {
			snprintf(lib, ln, "%.*s", (int)(dash - so), so);
			snprintf(ver, vn, "%.*s", (int)(so + l - 3 - dash - 1), dash + 1);
			return 0;
		}
	}
	return -1;
}

static int from_shlibs(struct deb_ctx *c, const char *list, const char *soname)
{
	char lib[256], ver[256];
	if (split_soname(soname, lib, sizeof lib, ver, sizeof ver) < 0)
		return 0;
	struct buf b = BUF_INIT;
	buf_addf(&b, "%s/%s.shlibs", c->info, list);
	char *t = slurp(b.p, NULL);
	buf_free(&b);
	if (!t)
		return 0;
	int found = 0;
	char *save = NULL;
	for (char *l = strtok_r(t, "\n", &save); l && !found; l = strtok_r(NULL, "\n", &save)) {
		if (l[0] == '#')
			continue;
		char *w1 = strtok(l, " \t");
		if (w1 && w1[strlen(w1) - 1] == ':')
			continue;               /* udeb: and other package types */
		char *w2 = w1 ? strtok(NULL, " \t") : NULL;
		char *rest = w2 ? strtok(NULL, "") : NULL;
		if (!rest || strcmp(w1, lib) || strcmp(w2, ver))
			continue;
		found = 1;
		char *save2 = NULL;
		for (char *d = strtok_r(rest, ",", &save2); d; d = strtok_r(NULL, ",", &save2)) {
			while (*d == ' ' || *d == '\t')
				d++;
			size_t n = strlen(d);
			while (n && (d[n - 1] == ' ' || d[n - 1] == '\t' || d[n - 1] == '\r'))
				d[--n] = 0;
			if (*d)
				dep_note(c, d, NULL);
		}
	}
	free(t);
	return found;
}

static void warnf(struct sv *warn, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warnf(struct sv *warn, const char *fmt, ...)
{
	char m[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m, sizeof m, fmt, ap);
	va_end(ap);
	sv_add_uniq(warn, m);
}

static void deb_depends(const struct autodeps *ad, const struct sv *own, const struct autodeps_want *wt,
			struct sv *out, struct sv *warn)
{
	struct deb_ctx c = { .root = wt->root ? wt->root : "/", .warn = warn, .ad = ad };
	c.info = rooted(c.root, "/var/lib/dpkg/info");
	for (size_t i = 0; i < ad->nf; i++) {
		const struct elf_deps *d = &ad->f[i].d;
		for (size_t k = 0; k < d->nneeded; k++)
			if (!sv_has(own, d->needed[k]))
				want_add(&c, d->needed[k], d->is64, d->machine, 0, ad->f[i].path);
	}
	for (size_t i = 0; i < ad->ns; i++) {
		const struct script *s = &ad->s[i];
		if (s->envcmd && s->envcmd[0] != '/') {
			struct buf b = BUF_INIT;
			buf_addf(&b, "/usr/bin/%s", s->envcmd);
			want_add(&c, b.p, 0, 0, 1, s->path);
			buf_free(&b);
		} else
			want_add(&c, s->envcmd ? s->envcmd : s->interp, 0, 0, 1, s->path);
		if (s->envcmd)
			want_add(&c, s->interp, 0, 0, 1, s->path);
	}
	if (!c.nw)
		goto out;
	struct stat st;
	if (stat(c.info, &st) != 0 || !S_ISDIR(st.st_mode)) {
		struct buf names = BUF_INIT;
		for (size_t i = 0; i < c.nw; i++)
			buf_addf(&names, "%s%s", i ? ", " : "", c.w[i].name);
		warnf(warn, "no dpkg database on this build host (%s): the .deb gets no automatic "
		      "Depends for %s; give them with --deb-depends, or build on Debian or Ubuntu",
		      c.info, names.p);
		buf_free(&names);
		goto out;
	}
	ld_conf(c.root, "/etc/ld.so.conf", &c.dirs, 0);
	read_essential(&c);
	for (size_t i = 0; i < c.nw; i++)
		locate(&c, &c.w[i]);
	owners(&c);
	for (size_t i = 0; i < c.nw; i++) {
		struct want *w = &c.w[i];
		char name[256];
		if (w->interp) {
			if (!w->path) {
				warnf(warn, "interpreter %s (of %s) is not on this build host: the .deb does not "
				      "depend on it; give its package with --deb-depends", w->name, w->needed_by);
				continue;
			}
			if (!w->pkg) {
				warnf(warn, "interpreter %s (of %s) belongs to no Debian package on this build "
				      "host: the .deb does not depend on it; give its package with --deb-depends",
				      w->name, w->needed_by);
				continue;
			}
			pkg_name(w->pkg, name, sizeof name);
			if (!essential(&c, name))
				dep_note(&c, name, NULL);
			continue;
		}
		if (!w->path) {
			warnf(warn, "library %s (needed by %s) is not on this build host: the .deb does not "
			      "depend on it; install the library's package here and build again, or give it "
			      "with --deb-depends", w->name, w->needed_by);
			continue;
		}
		if (!w->pkg) {
			warnf(warn, "library %s (%s, needed by %s) belongs to no Debian package on this build "
			      "host: the .deb does not depend on it; give its package with --deb-depends",
			      w->name, w->path, w->needed_by);
			continue;
		}
		if (!from_symbols(&c, w->pkg, w->name) && !from_shlibs(&c, w->pkg, w->name))
			warnf(warn, "library %s belongs to %s, which has no symbols or shlibs entry for it: the "
			      ".deb does not depend on it; give it with --deb-depends", w->name,
			      pkg_name(w->pkg, name, sizeof name));
	}
	for (size_t i = 0; i < c.deps.n; i++) {
		struct buf b = BUF_INIT;
		if (*c.vers.v[i])
			buf_addf(&b, "%s (>= %s)", c.deps.v[i], c.vers.v[i]);
		else
			buf_adds(&b, c.deps.v[i]);
		sv_push(out, buf_detach(&b));
	}
out:
	for (size_t i = 0; i < c.nw; i++) {
		free(c.w[i].name);
		free(c.w[i].path);
		free(c.w[i].key);
		free(c.w[i].rkey);
		free(c.w[i].pkg);
		free(c.w[i].needed_by);
	}
	free(c.w);
	sv_free(&c.dirs);
	sv_free(&c.essential);
	sv_free(&c.deps);
	sv_free(&c.vers);
	free(c.info);
}

/* ---- merging with the user's lists --------------------------------------- */

/* The names of a user's list (deb syntax, every alternative). */
static int user_names(const char *list, const char *flag, struct sv *names)
{
	if (!list || !*list)
		return 0;
	struct deplist l;
	if (deps_parse(list, flag, &l) < 0)
		return -1;
	for (size_t i = 0; i < l.n; i++)
		sv_add_uniq(names, l.v[i].name);
	deps_free(&l);
	return 0;
}

/* The package name an entry is about ("libc6 (>= 2.34)" -> "libc6"; an
 * rpm name as it is). */
static char *entry_name(const char *e)
{
	size_t n = strcspn(e, " (|");
	return xstrndup(e, n);
}

int autodeps_resolve(struct autodeps *ad, const struct autodeps_want *w, char **deb, char **rpm)
{
	*deb = *rpm = NULL;
	struct sv own = { 0 }, user = { 0 }, out = { 0 };
	int rc = -1;
	own_sonames(ad, &own);
	if (w->rpm) {
		if (user_names(w->rpm_user, "rpm-requires", &user) < 0)
			goto done;
		rpm_requires(ad, &own, &out);
		if (out.n)
			qsort(out.v, out.n, sizeof *out.v, cmp_str);
		struct buf b = BUF_INIT;
		for (size_t i = 0; i < out.n; i++)
			if (!sv_has(&user, out.v[i]))
				buf_addf(&b, "%s\n", out.v[i]);
		*rpm = b.len ? buf_detach(&b) : NULL;
		buf_free(&b);
		sv_free(&out);
		sv_free(&user);
	}
	if (w->deb) {
		if (user_names(w->deb_user, "deb-depends", &user) < 0)
			goto done;
		if (w->self)
			sv_add_uniq(&user, w->self);
		if (solve_vercmp_ready(FMT_DEB) < 0)
			goto done;
		deb_depends(ad, &own, w, &out, &ad->warn);
		if (out.n)
			qsort(out.v, out.n, sizeof *out.v, cmp_str);
		struct buf b = BUF_INIT;
		for (size_t i = 0; i < out.n; i++) {
			char *nm = entry_name(out.v[i]);
			if (!sv_has(&user, nm))
				buf_addf(&b, "%s%s", b.len ? ", " : "", out.v[i]);
			free(nm);
		}
		*deb = b.len ? buf_detach(&b) : NULL;
		buf_free(&b);
	}
	for (size_t i = 0; i < ad->warn.n; i++)
		rp_warn("%s", ad->warn.v[i]);
	rc = 0;
done:
	sv_free(&own);
	sv_free(&user);
	sv_free(&out);
	return rc;
}
