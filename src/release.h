/* release.h — what the input tarball holds (struct release): its kind,
 * its own name and version, and how its bin/ script is run.  Filled by
 * recognise() (recognise.h); read by the package metadata (buildopts.h)
 * and everything after it.
 *
 * struct release, recognise() and release_* are about this, the
 * application release given as input.  The package revision (--release
 * N, dpkg's "-1", rpm's Release tag) is another thing: pkgmeta.revision
 * (buildopts.h). */
#ifndef RELPKG_RELEASE_H
#define RELPKG_RELEASE_H

enum relkind { REL_GENERIC, REL_RELX, REL_MIX, REL_DISTILLERY };

struct release {
	enum relkind kind;
	char *relname;          /* the release's own name: bin/<relname>; owned */
	char *version;          /* upstream version; owned */
	char *erts_vsn;         /* ERTS version the release names, or NULL; owned */
	int erts_bundled;       /* an erts-VSN/ directory is in the tarball */
	char *start_args;       /* argument of bin/<relname> that runs in the foreground */
	char *daemon_args;      /* ... that daemonises (no systemd) */
	char *stop_args;        /* ... that stops */
};

/* "generic", "relx", "mix", "distillery". */
const char *relkind_name(enum relkind k);
/* Frees r's strings and zeroes it (recognise.c). */
void release_free(struct release *r);

#endif
