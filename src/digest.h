/* digest.h — md5/sha1/sha256/sha512 through OpenSSL's libcrypto (which uses the
 * CPU's SHA extensions).  One struct hasher per running digest. */
#ifndef RELPKG_DIGEST_H
#define RELPKG_DIGEST_H

#include <stddef.h>

enum halgo { H_MD5, H_SHA1, H_SHA256, H_SHA512 };

struct hasher {
	void *ctx;          /* EVP_MD_CTX *, owned */
	enum halgo algo;
};

void hasher_init(struct hasher *h, enum halgo algo);
void hasher_reset(struct hasher *h);
void hasher_update(struct hasher *h, const void *p, size_t n);
/* Writes the raw digest (16, 20, 32 or 64 bytes) and returns its length. */
unsigned hasher_final(struct hasher *h, unsigned char *out);
void hasher_free(struct hasher *h);

/* hex must hold 2*n+1 bytes. */
void hex_encode(const unsigned char *p, unsigned n, char *hex);

#endif
