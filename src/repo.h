/* repo.h — the release store: one directory that is at once a flat apt
 * repository and an rpm-md repository.
 *
 *   DIR/pool/                  the package files (copied in atomically)
 *   DIR/Packages, Packages.gz, Release [, InRelease, Release.gpg]
 *   DIR/repodata/repomd.xml [.asc], <sha256>-{primary,filelists,other}.xml.gz
 *   DIR/.relpkg/index/FILE.entry   one per package: its identity and the
 *                              pre-rendered index fragments (Packages stanza;
 *                              primary/filelists/other XML)
 *   DIR/.relpkg/lock           flock()ed while a command changes the store
 *   DIR/.relpkg/sign-key       the gpg key id given last with --sign-key
 *   DIR/signing-key.asc        its armored public key (also repodata/repomd.xml.key)
 *
 * Adding a package reads that package only: the index files are the
 * concatenation of the entries' fragments.  The entries and the index
 * files of both formats change as one transaction (struct repo_txn): all
 * are staged under temporary names first, then renamed, Release/InRelease
 * and repomd.xml last; a failure before or during the renames leaves the
 * old set (a failed add also takes its new pool files out again), and
 * pool files a prune drops are deleted only after the new indexes are in
 * place.  So a reader sees the old or the new repository, never a mix of
 * indexes and a top file that does not describe them.  (A command killed
 * in the middle of the renames can leave a mix; the next add or prune
 * rebuilds every index from the entries.)
 *
 * Everything under DIR is input, not trusted: entry files are checked as
 * strictly as the packages they came from, and prune deletes only a plain
 * file name inside pool/ that is a regular file with the size and sha256
 * its entry recorded. */
#ifndef RELPKG_REPO_H
#define RELPKG_REPO_H

#include "buf.h"
#include "version.h"        /* enum pkgfmt */

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Fragment slots: a deb has FR_PACKAGES; an rpm the three XML fragments. */
enum { FR_PACKAGES = 0, FR_PRIMARY = 0, FR_FILELISTS = 1, FR_OTHER = 2, FR_N = 3 };

/* One package of the store.  Every field is owned. */
struct repo_entry {
	enum pkgfmt format;
	char *name, *version, *arch;    /* version: deb "Version"; rpm "[E:]V-R" */
	char *file;                     /* relative to DIR: "pool/..." */
	uint64_t size;
	char sha256[65];
	struct buf frag[FR_N];
	char *src;                      /* repo add only: the input path */
	time_t mtime;                   /* repo add only: the input's mtime, kept on the copy */
};

struct repo_entries {
	struct repo_entry *v;
	size_t n, cap;
};

void repo_entry_free(struct repo_entry *e);
void repo_entries_free(struct repo_entries *es);

/* The digests of a whole file, hex, and its size: what both index formats
 * say about the package file. */
struct repo_digests {
	char md5[33], sha1[41], sha256[65], sha512[129];
	uint64_t size;
	time_t mtime;
};
int repo_file_digests(const char *path, struct repo_digests *d);

/* Readers: parse the package at path (already hashed into d) and fill e,
 * rendering its fragments; e->file is decided by the reader (pool/NAME).
 * 0, or -1 after rp_err() naming what is wrong. */
int repo_deb_read(const char *path, const struct repo_digests *d, struct repo_entry *e);
int repo_rpm_read(const char *path, const struct repo_digests *d, struct repo_entry *e);

/* The reader of a .deb's control file (repo_deb_read after the archive):
 * control[0..len) (NUL-terminated at len) must be one deb822 paragraph
 * relpkg would write itself (see repo_control_check); fills e and its
 * Packages stanza. */
int repo_deb_control(const char *control, size_t len, const struct repo_digests *d, struct repo_entry *e);
/* One deb822 paragraph: valid UTF-8, no control characters but tab,
 * field names of printable ASCII (no ':', not starting with '#' or '-'),
 * each field at most once (case-insensitive), continuation lines only in
 * Description and the relationship fields, nothing after the paragraph.
 * 0, or -1 after rp_err() naming the field or line. */
int repo_control_check(const char *p, size_t len);

/* An entry file's text (what names it in messages) into e: every line
 * checked, file must be "pool/" + a plain name, a deb entry's stanza
 * must pass repo_control_check and agree with the entry.  0, or -1 after
 * rp_err(). */
int repo_entry_parse(const char *what, const char *p, size_t n, struct repo_entry *e);
/* The repodata/ names repomd.xml (xml[0..n)) refers to, one a line. */
void repo_rpm_hrefs(const char *xml, size_t n, struct buf *out);
/* Strict UTF-8 (no overlongs, surrogates, U+FFFE/U+FFFF, > U+10FFFF). */

/* A set of index files that replaces the current one as a whole or not
 * at all.  Files are staged under temporary names (.NAME.relpkg-new)
 * first; commit keeps each current file under a second name
 * (.NAME.relpkg-old), renames every staged file (the top files -
 * Release, InRelease, repomd.xml, signatures - last), and on a failed
 * rename puts the old files back.  Removal is an operation too (a stale
 * InRelease).  Every op names a file in a directory of the store. */
struct repo_txn_op {
	char *path, *tmp, *old;         /* owned */
	int top, write, staged, backed_up, done;
};
struct repo_txn {
	struct repo_txn_op *v;
	size_t n, cap;
	char **after;                   /* removed once committed (best effort), owned */
	size_t nafter;
};
int repo_txn_write(struct repo_txn *t, const char *dir, const char *name, const void *p, size_t n, int top);
void repo_txn_remove(struct repo_txn *t, const char *dir, const char *name, int top);
void repo_txn_after(struct repo_txn *t, const char *dir, const char *name);
/* Commits (0) or leaves every file as it was (-1 after rp_err());
 * releases t either way. */
int repo_txn_commit(struct repo_txn *t);
/* Drops the staged files; nothing in the store changed. */
void repo_txn_free(struct repo_txn *t);

/* What the index files written last are (DIR/.relpkg/indexes, staged
 * with them), so that an add can append the new packages to them instead
 * of rendering every entry again:
 *
 *   Packages      the stanzas, in the order they were added; a full
 *                 write (prune, or a store whose record is missing or
 *                 disagrees with its files) sorts them again
 *   Packages.gz   gzip members: the one of a full write, then one per add
 *   repodata/     primary, filelists, other (.xml.gz): gzip members, the
 *                 document's head (which counts the packages, so it
 *                 changes with every add), the packages, the closing tag.  An add writes a new head,
 *                 copies the packages' member(s) as they are, appends a
 *                 member with the new packages and the closing tag: rpm-md
 *                 has no append, the file is new, but nothing old is read
 *                 from the entries or compressed again (the open-checksum
 *                 needs the old packages inflated once).
 *
 * Every file the record names is checked (size, sha256) before it is
 * appended to; any difference, a missing record, a different number of
 * entries or leftovers of a killed command and the add writes everything
 * from the entries instead. */
struct repo_mdrec {
	char name[128];         /* <sha256>-<type>.xml.gz in repodata/ */
	uint64_t size;          /* of the .gz */
	uint64_t head, tail;    /* sizes of its first and last gzip member */
	uint64_t open_size;     /* of the XML */
};
struct repo_istate {
	size_t ndeb, nrpm;
	char *archs;            /* the debs' architectures: sorted, unique, ' '-separated; owned */
	uint64_t pk_size, gz_size;
	char pk_sha[65], gz_sha[65];
	struct repo_mdrec md[3];        /* primary, filelists, other */
	/* the files' bytes, read and checked against the above (repo add) */
	struct buf pk, gz, mdgz[3];
};
void repo_istate_free(struct repo_istate *st);

/* Writers: stage the index files of one side from all entries (sorted)
 * into t, and note them in *st.  Nothing visible changes until
 * repo_txn_commit(). */
#define REPO_KEY_FILE "signing-key.asc"   /* issue 15: the published public key */

struct repo_sign {
	const char *key;        /* gpg key id, NULL: unsigned */
};
int repo_apt_write(const char *dir, const struct repo_entries *es, const struct repo_sign *sg, struct repo_txn *t,
		   struct repo_istate *st);
int repo_rpm_write(const char *dir, const struct repo_entries *es, const struct repo_sign *sg, struct repo_txn *t,
		   struct repo_istate *st);
/* Appenders: the same, from the files *old describes (their bytes read
 * and checked by the caller) and the new entries only; *st describes the
 * result. */
int repo_apt_append(const char *dir, const struct repo_istate *old, const struct repo_entries *add,
		    const struct repo_sign *sg, struct repo_txn *t, struct repo_istate *st);
int repo_rpm_append(const char *dir, const struct repo_istate *old, const struct repo_entries *add,
		    const struct repo_sign *sg, struct repo_txn *t, struct repo_istate *st);
/* A whole file of the store (no symlink followed) appended to out; more
 * than max bytes is an error. */
int repo_read_file(const char *path, struct buf *out, size_t max);
/* sha256 of p[0..n), hex. */
void repo_sha256_hex(const void *p, size_t n, char hex[65]);

/* Shared helpers for the writers. */
/* gzip (deterministic: no name, mtime 0) of p[0..n) appended to out. */
int repo_gzip(const void *p, size_t n, struct buf *out);
/* Detached or clear-signed armoured signature of data by key, via gpg. */
int repo_gpg_sign(const char *key, const struct buf *data, int clearsign, struct buf *out);

/* The commands (cmd_repo.c parses, these run). */
struct repo_add_opts {
	const char *sign_key;
	int quiet;
};
int repo_add(const char *dir, char **paths, int n, const struct repo_add_opts *o);
int repo_list(const char *dir, int json);
int repo_prune(const char *dir, long keep, int dry_run, const struct repo_add_opts *o);

#endif
