/* manifest.h — the normalised package tree, shared by both writers.
 *
 * A manifest is what ends up on the server: package paths (no leading
 * '/', e.g. "opt/hello/releases/1.0.0/bin/hello"), types, modes, sizes,
 * link targets, flags, and the digests that the single pass fills in.
 * Owners are always root:root.  The manifest owns every string in it. */
#ifndef RELPKG_MANIFEST_H
#define RELPKG_MANIFEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum etype { E_DIR, E_REG, E_SYMLINK, E_HARDLINK };

enum eflag {
	EF_CONFIG = 1 << 0,     /* deb conffile, rpm %config(noreplace) */
	EF_DOC = 1 << 1,        /* rpm %doc */
	EF_LICENSE = 1 << 2,    /* rpm %license */
	EF_DEB_ONLY = 1 << 3,   /* e.g. changelog.Debian.gz, lintian overrides */
	EF_RPM_UNOWNED = 1 << 4,/* system directory (/opt, /etc, ...): not owned by the rpm */
	EF_GENERATED = 1 << 5,  /* content made by relpkg (data in `content`) */
	EF_RELEASE = 1 << 6,    /* part of the release tree: data comes from the input */
	EF_SECRET = 1 << 7,     /* holds the Erlang cookie: mode o-rwx, group = service user */
	EF_RPM_ONLY = 1 << 8,   /* e.g. /usr/share/licenses/NAME (rpm's %license place) */
};

/* Laid out small (issue 17: memory flat in entries): pointers and 64-bit
 * fields first, then 32-bit ones, then the digests (binary until a
 * writer prints them). */
struct entry {
	char *path;             /* package path, in the manifest's arena (never freed alone) */
	char *target;           /* E_SYMLINK: link text; E_HARDLINK: path of the first name; owned */
	char *content;          /* EF_GENERATED: the bytes (size of them), owned */
	uint64_t size;          /* E_REG: bytes; E_SYMLINK: strlen(target) */
	int64_t mtime;
	enum etype type;
	mode_t mode;            /* permission bits (07777) only */
	unsigned flags;
	/* hard link groups: the first name (E_REG) and its E_HARDLINK names */
	uint32_t link_first;    /* E_HARDLINK: index of the E_REG entry */
	uint32_t nlink;         /* E_REG: 1 + number of E_HARDLINK names */
	uint32_t ino;           /* inode number in the rpm (shared within a group) */
	int digested;           /* digests are filled */
	unsigned char md5[16];
	unsigned char sha256[32];
};

struct manifest {
	struct entry *v;
	size_t n, cap;
	size_t *sorted;         /* indexes sorted by path; see manifest_index() */
	char **arena;           /* the paths, packed into large blocks (owned) */
	size_t narena;
	size_t arena_left;      /* bytes free in the last block */
};

void manifest_init(struct manifest *m);
void manifest_free(struct manifest *m);
/* Appends an entry (path copied) and returns it; the pointer is valid
 * until the next add. */
struct entry *manifest_add(struct manifest *m, const char *path, enum etype t, mode_t mode);
/* A copy of s kept as long as the manifest (in its arena). */
char *manifest_intern(struct manifest *m, const char *s);
/* Adds a generated regular file; content copied. */
struct entry *manifest_add_file(struct manifest *m, const char *path, mode_t mode,
				const void *content, size_t len, unsigned flags);
/* Adds path and every missing parent directory (mode 0755), returns the
 * index of path's entry. */
size_t manifest_add_dirs(struct manifest *m, const char *path, unsigned flags);
/* Builds the path index; needed before manifest_find().  Also gives
 * back the array's unused capacity (the manifest is complete). */
void manifest_index(struct manifest *m);
/* Index of the entry with that path, or (size_t)-1. */
size_t manifest_find(const struct manifest *m, const char *path);

#endif
