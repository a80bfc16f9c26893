/* recognise.h — what kind of release a tarball holds, with no flags.
 *
 * OTP releases (relx/rebar3, mix release, Distillery) are recognised from
 * releases/start_erl.data and releases/VSN/NAME.rel; their kind from the
 * bin/NAME script.  Anything else is generic and takes its name and
 * version from --name/--version or a NAME-VERSION.tar.* file name. */
#ifndef RELPKG_RECOGNISE_H
#define RELPKG_RECOGNISE_H

struct ingest;          /* ingest.h: only recognise() reads it */

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

const char *relkind_name(enum relkind k);
/* name and version may be NULL (not given on the command line). */
int recognise(const struct ingest *in, const char *name, const char *version,
	      struct release *r);
void release_free(struct release *r);
/* 0 if name is a valid release name (the rule of --name: non-empty,
 * letters, digits, _ - . +), else -1.  Every name taken from release
 * metadata passes it before it reaches a path or a command line. */
int release_name_check(const char *name);

#endif
