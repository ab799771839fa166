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

/* Uniform in [0, n), n <= 256; -1 if the generator fails. */
static int
pwd_rand(int n)
{
	unsigned char r;

	do {
		if (RAND_bytes(&r, 1) != 1)
			return -1;
	} while (r >= 256 / n * n);
	return r % n;
}

/* Appends count characters drawn from set to out at *len. */
static int
pwd_draw(char *out, int *len, const char *set, int count)
{
	int k;

	for (int i = 0; i < count; i++) {
		if ((k = pwd_rand((int)strlen(set))) < 0)
			return -1;
		out[(*len)++] = set[k];
	}
	return 0;
}

char *
pwd_generate(const struct policy *p)
{
	static const char upper[] = "ABCDEFGHJKLMNPQRSTUVWXYZ",
	    lower[] = "abcdefghijkmnopqrstuvwxyz", digit[] = "23456789",
	    special[] = "!@#%^*-_";
	static const char all[] =
	    "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!@#%^*-_";
	struct policy def;
	int want, len = 0, k, rc = 0;
	char *out, t;

	if (p == NULL) {
		policy_defaults(&def);
		p = &def;
	}
	/* 20 characters unless the policy says otherwise */
	want = 20;
	if (p->max_length > 0 && want > p->max_length)
		want = p->max_length;
	if (want < p->min_length)
		want = p->min_length;
	k = p->min_upper + p->min_lower + p->min_numeric + p->min_special;
	if (want < k)
		want = k;
	if (want > 256 || (out = malloc(want + 1)) == NULL)
		return NULL;
	rc |= pwd_draw(out, &len, upper, p->min_upper);
	rc |= pwd_draw(out, &len, lower, p->min_lower);
	rc |= pwd_draw(out, &len, digit, p->min_numeric);
	rc |= pwd_draw(out, &len, special, p->min_special);
	rc |= pwd_draw(out, &len, all, want - len);
	/* Fisher-Yates, so the required classes are not always in front */
	for (int i = len - 1; i > 0 && rc == 0; i--) {
		if ((k = pwd_rand(i + 1)) < 0)
			rc = -1;
		else
			t = out[i], out[i] = out[k], out[k] = t;
	}
	out[len] = '\0';
	if (rc != 0) {
		OPENSSL_cleanse(out, len);
		free(out);
		return NULL;
	}
	return out;
}

void
pwd_wipe_bvarray(struct berval *vals)
{
	for (size_t i = 0; vals != NULL && vals[i].bv_val != NULL; i++)
		OPENSSL_cleanse(vals[i].bv_val, vals[i].bv_len);
	ber_bvarray_free(vals);
}
