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
 *
 * Adding a package reads that package only: the index files are the
 * concatenation of the entries' fragments.  Every file is written to a
 * temporary name and renamed; Release/InRelease and repomd.xml are renamed
 * last, so a reader sees the old or the new repository, never a mix of
 * indexes and a top file that does not describe them. */
#ifndef RELPKG_REPO_H
#define RELPKG_REPO_H

#include "buf.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum repo_format { RF_DEB, RF_RPM };

/* Fragment slots: a deb has FR_PACKAGES; an rpm the three XML fragments. */
enum { FR_PACKAGES = 0, FR_PRIMARY = 0, FR_FILELISTS = 1, FR_OTHER = 2, FR_N = 3 };

/* One package of the store.  Every field is owned. */
struct repo_entry {
	enum repo_format format;
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

void repo_entry_release(struct repo_entry *e);
void repo_entries_release(struct repo_entries *es);

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

/* Writers: the index files of one side from all entries (sorted). */
struct repo_sign {
	const char *key;        /* gpg key id, NULL: unsigned */
};
int repo_apt_write(const char *dir, const struct repo_entries *es, const struct repo_sign *sg);
int repo_rpm_write(const char *dir, const struct repo_entries *es, const struct repo_sign *sg);

/* -1/0/1 with the rules of the entry's format (libsolv). */
int repo_vercmp(enum repo_format f, const char *a, const char *b);

/* Shared helpers for the writers. */
void repo_xml_escape(struct buf *b, const char *s);
/* gzip (deterministic: no name, mtime 0) of p[0..n) appended to out. */
int repo_gzip(const void *p, size_t n, struct buf *out);
/* Writes data to dir/name atomically (temp name + rename). */
int repo_write_file(const char *dir, const char *name, const void *p, size_t n);
/* The time indexes are stamped with: SOURCE_DATE_EPOCH if set, else now. */
time_t repo_now(void);
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
