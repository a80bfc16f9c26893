/* fuzz.h — shared by the libFuzzer harnesses (tests/fuzz/fuzz_*.c).
 *
 * The readers under test take a path (they open the file themselves, as
 * relpkg does), so each input is written to one memfd, reused across
 * runs, and handed over as /proc/self/fd/N: a fresh open file description
 * per open, no file system traffic. */
#ifndef RELPKG_FUZZ_H
#define RELPKG_FUZZ_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "pkginfo.h"
#include "repo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The path of a file holding exactly data[0..size). */
static inline const char *fuzz_file(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	if (fd < 0) {
		fd = memfd_create("relpkg-fuzz", MFD_CLOEXEC);
		if (fd < 0) {
			perror("memfd_create");
			abort();
		}
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) < 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size)) {
		perror("memfd write");
		abort();
	}
	return path;
}

/* data as a NUL-terminated string (caller frees). */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	for (size_t i = 0; i < size; i++)
		s[i] = (char)data[i];
	s[size] = 0;
	return s;
}

/* A package file at path (size bytes) through every reader: pkginfo_read()
 * as `inspect` and as `verify`, then the store's reader (repo_deb_read or
 * repo_rpm_read) with made-up digests.  Errors are expected and dropped. */
static inline void fuzz_package(const char *path, size_t size,
				int (*store_read)(const char *, const struct repo_digests *, struct repo_entry *))
{
	for (int mode = PKG_INSPECT; mode <= PKG_VERIFY; mode++) {
		struct pkginfo pi;
		(void)pkginfo_read(path, &pi, (enum pkgmode)mode);
		pkginfo_free(&pi);
	}
	struct repo_digests d;
	memset(&d, 0, sizeof d);
	memset(d.sha256, '0', 64);
	d.size = size;
	struct repo_entry e;
	memset(&e, 0, sizeof e);
	(void)store_read(path, &d, &e);
	repo_entry_free(&e);
	rp_err_clear();
}

#endif
