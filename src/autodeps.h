/* autodeps.h — automatic dependencies (issue 15): what the release's ELF
 * files and scripts need from the system, written the way each format's
 * own tools write it.
 *
 *  rpm: exactly rpm's generators (elfdeps --requires, script.req):
 *       libz.so.1()(64bit), libc.so.6(GLIBC_2.34)(64bit), rtld(GNU_HASH),
 *       /usr/bin/python3 -- from the files with an execute bit, as rpm's
 *       file attributes ("exeonly") have it.
 *  deb: dpkg-shlibdeps' approach on the build host: the library file for
 *       each soname (ld.so.conf, multiarch and default directories), its
 *       owning package (/var/lib/dpkg/info/PKG.list), the dependency from
 *       that package's .symbols file (its template at the highest minimal
 *       version of the symbols used) or else its .shlibs file.  A
 *       script's interpreter gives its owning package unless that one is
 *       Essential.
 *  Sonames the release provides itself (ERTS, NIFs) are never required.
 *  `#!/usr/bin/env CMD` (no path): rpm gets /usr/bin/env (as script.req
 *  writes it) and /usr/bin/CMD; deb the owner of /usr/bin/CMD (or /bin/CMD).
 *
 * The ELF reader is bounded and trusts nothing in the file (fuzzed in
 * tests/fuzz/fuzz_elf.c); names that are not plain soname/version
 * characters are dropped with a warning, never written. */
#ifndef RELPKG_AUTODEPS_H
#define RELPKG_AUTODEPS_H

#include <stddef.h>

/* An ELF file larger than this is not examined (a warning says so). */
#define AUTODEPS_ELF_MAX (1024ull << 20)

struct elf_vn {
	char *file, *ver;       /* verneed: soname, version (GLIBC_2.34) */
};

struct elf_sym {
	char *name;             /* an undefined dynamic symbol */
	char *ver, *file;       /* its version and the soname it is asked of; NULL: unversioned */
};

struct elf_deps {
	int is64, machine, dso;
	int hash, gnuhash, debug;       /* DT_HASH, DT_GNU_HASH, DT_DEBUG seen */
	char *soname;           /* DT_SONAME or NULL */
	char **needed;          /* DT_NEEDED, in order */
	size_t nneeded;
	struct elf_vn *vn;
	size_t nvn;
	struct elf_sym *sym;
	size_t nsym;
	size_t dropped;         /* names refused for their characters */
};

/* Reads an ELF executable or shared object (ET_EXEC, ET_DYN) of n bytes.
 * 1: read into *d (free with elf_deps_free); 0: not one (not ELF, another
 * type, no dynamic section is fine: 1 with nothing in it); -1: malformed,
 * why says what. */
int elf_deps_parse(const unsigned char *p, size_t n, struct elf_deps *d, char *why, size_t whylen);
void elf_deps_free(struct elf_deps *d);

/* The collector fed by the payload pass (payload.c). */
struct autodeps;
struct autodeps *autodeps_new(void);
void autodeps_free(struct autodeps *ad);
/* A regular file of the release begins (path for messages; mode bits). */
void autodeps_begin(struct autodeps *ad, const char *path, unsigned mode);
void autodeps_data(struct autodeps *ad, const void *p, size_t n);
void autodeps_end(struct autodeps *ad);

struct autodeps_want {
	int deb, rpm;           /* which formats are built */
	const char *self;       /* the package's own name (never depended on) */
	const char *deb_user;   /* the user's Depends (deb syntax, comma-separated) */
	const char *rpm_user;   /* the user's Requires (deb syntax) */
	const char *root;       /* the host's root ("/"; the tests may point elsewhere) */
};

/* After the pass: *deb = Depends entries ("a (>= 1), b" or NULL),
 * *rpm = Requires names, one per line (or NULL); both sorted, without
 * what the user named.  Warnings (rp_warn) for what cannot be resolved.
 * 0, or -1 after rp_err(). */
int autodeps_resolve(struct autodeps *ad, const struct autodeps_want *w, char **deb, char **rpm);

#endif
