/*
 * pwd.c: password hashing. Stored form: {PBKDF2-SHA512}<iter>$<salt>$<hash>
 * with base64 salt and hash, made with OpenSSL's PKCS5_PBKDF2_HMAC.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "server.h"

#define PWD_SCHEME	"{PBKDF2-SHA512}"
#define PWD_ITER	10000
#define PWD_SALT	16
#define PWD_HASH	64

static bool
pwd_derive(const char *pw, size_t len, const unsigned char *salt, size_t saltlen,
    int iter, unsigned char out[PWD_HASH])
{
	return PKCS5_PBKDF2_HMAC(pw, (int)len, salt, (int)saltlen, iter,
	    EVP_sha512(), PWD_HASH, out) == 1;
}

char *
pwd_hash(const char *pw, size_t len)
{
	unsigned char salt[PWD_SALT], hash[PWD_HASH];
	char bsalt[64], bhash[128], *out;

	if (RAND_bytes(salt, sizeof(salt)) != 1 ||
	    !pwd_derive(pw, len, salt, sizeof(salt), PWD_ITER, hash))
		return NULL;
	EVP_EncodeBlock((unsigned char *)bsalt, salt, sizeof(salt));
	EVP_EncodeBlock((unsigned char *)bhash, hash, sizeof(hash));
	OPENSSL_cleanse(hash, sizeof(hash));
	if (asprintf(&out, "%s%d$%s$%s", PWD_SCHEME, PWD_ITER, bsalt, bhash) < 0)
		return NULL;
	return out;
}

/* Decodes base64 into out (cap bytes); returns the length or -1. */
static int
pwd_unbase64(const char *in, size_t inlen, unsigned char *out, size_t cap)
{
	int n, pad = 0;

	if (inlen == 0 || inlen % 4 != 0 || inlen / 4 * 3 > cap)
		return -1;
	n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)inlen);
	if (n < 0)
		return -1;
	if (in[inlen - 1] == '=')
		pad++;
	if (in[inlen - 2] == '=')
		pad++;
	return n - pad;
}

bool
pwd_verify(const char *stored, const char *pw, size_t len)
{
	unsigned char salt[64], want[PWD_HASH + 3], got[PWD_HASH];
	const char *p, *d1, *d2;
	int iter, saltlen, hashlen;
	bool ok;

	if (strncmp(stored, PWD_SCHEME, strlen(PWD_SCHEME)) != 0)
		return stored[0] != '{' && strlen(stored) == len &&
		    CRYPTO_memcmp(stored, pw, len) == 0;
	p = stored + strlen(PWD_SCHEME);
	iter = atoi(p);
	if (iter < 1 || iter > 10000000 || (d1 = strchr(p, '$')) == NULL ||
	    (d2 = strchr(d1 + 1, '$')) == NULL)
		return false;
	saltlen = pwd_unbase64(d1 + 1, d2 - d1 - 1, salt, sizeof(salt));
	hashlen = pwd_unbase64(d2 + 1, strlen(d2 + 1), want, sizeof(want));
	if (saltlen < 0 || hashlen != PWD_HASH ||
	    !pwd_derive(pw, len, salt, saltlen, iter, got))
		return false;
	ok = CRYPTO_memcmp(got, want, PWD_HASH) == 0;
	OPENSSL_cleanse(got, sizeof(got));
	return ok;
}

char *
pwd_generate(void)
{
	static const char set[] =
	    "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!@#%^*-_";
	unsigned char r[20];
	char *out = malloc(sizeof(r) + 1);

	if (out == NULL || RAND_bytes(r, sizeof(r)) != 1) {
		free(out);
		return NULL;
	}
	for (size_t i = 0; i < sizeof(r); i++)
		out[i] = set[r[i] % (sizeof(set) - 1)];
	out[sizeof(r)] = '\0';
	return out;
}
