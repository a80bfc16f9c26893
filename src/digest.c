/* digest.c — thin wrappers over EVP. */
#include "digest.h"
#include "error.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>

static const EVP_MD *md_of(enum halgo a)
{
	switch (a) {
	case H_MD5: return EVP_md5();
	case H_SHA1: return EVP_sha1();
	case H_SHA512: return EVP_sha512();
	default: return EVP_sha256();
	}
}

/* A digest call fails only when OpenSSL cannot allocate or its provider
 * is broken: like running out of memory, not recoverable (error.h). */
static void evp_check(int r, const char *what)
{
	if (r != 1) {
		fprintf(stderr, "relpkg: OpenSSL %s failed\n", what);
		abort();
	}
}

void hasher_init(struct hasher *h, enum halgo algo)
{
	h->algo = algo;
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx)
		xmalloc((unsigned long)-1);  /* aborts with "out of memory" */
	hasher_reset(h);
}

void hasher_reset(struct hasher *h)
{
	evp_check(EVP_DigestInit_ex(h->ctx, md_of(h->algo), NULL), "EVP_DigestInit_ex");
}

void hasher_update(struct hasher *h, const void *p, size_t n)
{
	if (n)
		evp_check(EVP_DigestUpdate(h->ctx, p, n), "EVP_DigestUpdate");
}

unsigned hasher_final(struct hasher *h, unsigned char *out)
{
	unsigned n = 0;
	evp_check(EVP_DigestFinal_ex(h->ctx, out, &n), "EVP_DigestFinal_ex");
	return n;
}

void hasher_free(struct hasher *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

void hex_encode(const unsigned char *p, unsigned n, char *hex)
{
	static const char d[] = "0123456789abcdef";
	for (unsigned i = 0; i < n; i++) {
		hex[2 * i] = d[p[i] >> 4];
		hex[2 * i + 1] = d[p[i] & 15];
	}
	hex[2 * n] = 0;
}
