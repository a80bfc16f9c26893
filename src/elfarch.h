/* elfarch.h — the package architecture from the ELF files of a release. */
#ifndef RELPKG_ELFARCH_H
#define RELPKG_ELFARCH_H

#include <stddef.h>

struct elfarch {
	int machine;            /* e_machine seen first, 0 if none */
	int is64;
	char *first_path;       /* the file that set it, owned */
	char *conflict;         /* message when two architectures were seen, owned */
};

/* Looks at the first bytes of a regular file. */
void elfarch_note(struct elfarch *ea, const char *path, const unsigned char *p, size_t n);
/* Debian and rpm names; "all"/"noarch" when no ELF file was seen.
 * -1 after rp_err() for a mix or an unknown machine. */
int elfarch_names(const struct elfarch *ea, const char **deb, const char **rpm);
/* Maps a --arch value (either naming) to both names; -1 after rp_usage(). */
int arch_from_flag(const char *flag, const char **deb, const char **rpm);
void elfarch_free(struct elfarch *ea);

#endif
