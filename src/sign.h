/* sign.h — detached OpenPGP signatures, made and checked by gpg.
 *
 * relpkg never holds a key: signing runs `gpg --detach-sign` with the
 * user's own keyring and agent (GNUPGHOME honoured), checking runs
 * `gpgv` against a keyring file the user names.  The signed data is
 * described as a list of parts (memory or a range of a file) which are
 * concatenated into one scratch file gpg reads. */
#ifndef RELPKG_SIGN_H
#define RELPKG_SIGN_H

#include "buf.h"

#include <stdint.h>
#include <sys/types.h>

struct sign_part {
	const void *p;          /* memory, len bytes; or, when p is NULL: */
	size_t len;
	int fd;                 /* fd's bytes [off, off + len) */
	off_t off;
};

/* OpenPGP public-key algorithm ids (RFC 4880 9.1, RFC 9580). */
enum { PGP_ALGO_RSA = 1, PGP_ALGO_DSA = 17, PGP_ALGO_ECDSA = 19, PGP_ALGO_EDDSA = 22 };

/* A usable key id (not empty, not an option, one line).  1 or 0. */
int sign_keyid_ok(const char *key);
/* A binary (unarmored) detached signature by key over the parts,
 * appended to sig.  0, or -1 after rp_err() naming the key. */
int sign_detached(const char *key, const struct sign_part *parts, size_t n, struct buf *sig);
/* The same, ASCII-armored (the store's metadata). */
int sign_detached_armor(const char *key, const struct sign_part *parts, size_t n, struct buf *sig);
/* The public-key algorithm of a binary signature packet; -1 if it is not one. */
int sign_pubkey_algo(const unsigned char *sig, size_t len);
/* Checks sig (binary or armored) over the parts against keyring (a
 * keyring file, binary or armored, as gpg --export [--armor] writes it).
 * 0, or -1 after rp_err() with gpgv's verdict. */
int sign_verify(const char *keyring, const unsigned char *sig, size_t siglen,
		const struct sign_part *parts, size_t n);
/* The armored public key of key, appended to out (gpg --export --armor). */
int sign_export_key(const char *key, struct buf *out);

/* Checks the signatures of a .deb (_gpgorigin) or an .rpm (header, and
 * header+payload when present) against keyring; an unsigned package
 * fails.  0, or -1 after rp_err(). */
int sign_check_pkg(const char *path, const char *keyring);
/* The same against one armored key held in memory. */
int sign_check_pkg_key(const char *path, const struct buf *key);

#endif
