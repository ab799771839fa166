/*
 * meta.c: per-attribute replication metadata, stored as attributeMetaData
 * values "<attr>:<localUSN>:<version>:<origInvocationId>:<origTime>:<origUSN>".
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "vmdir.h"

#define META_UUID_LEN	36
#define META_TIME_LEN	18

void
meta_format(const struct attr_meta *m, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%" PRIu64 ":%" PRIu64 ":%s:%s:%" PRIu64,
	    m->attr, m->local_usn, m->version, m->orig_invocation,
	    m->orig_time, m->orig_usn);
}

static int
meta_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

static int
meta_ishex(char c)
{
	return meta_isdigit(c) || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/* Field [s, s + len) must be 1 to 20 digits fitting in 64 bits. */
static int
meta_parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t	 v = 0;
	size_t		 i;

	if (len == 0 || len > 20)
		return -1;
	for (i = 0; i < len; i++) {
		if (!meta_isdigit(s[i]))
			return -1;
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static int
meta_parse_attr(const char *s, size_t len, char *out)
{
	size_t	 i;
	char	 c;

	if (len == 0 || len >= sizeof(((struct attr_meta *)0)->attr))
		return -1;
	for (i = 0; i < len; i++) {
		c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		else if (!(c >= 'a' && c <= 'z') && !meta_isdigit(c) &&
		    c != '-' && c != '.' && c != ';')
			return -1;
		out[i] = c;
	}
	out[len] = '\0';
	return 0;
}

static int
meta_parse_uuid(const char *s, size_t len, char *out)
{
	size_t	 i;

	if (len != META_UUID_LEN)
		return -1;
	for (i = 0; i < len; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -1;
		} else if (!meta_ishex(s[i]))
			return -1;
	}
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

bool
meta_uuid_ok(const char *s, size_t len)
{
	char out[META_UUID_LEN + 1];

	return meta_parse_uuid(s, len, out) == 0;
}

static int
meta_num(const char *s, size_t len)
{
	int	 v = 0;
	size_t	 i;

	for (i = 0; i < len; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/* YYYYMMDDHHMMSS.mmm with plausible field ranges (60 allows a leap second). */
static int
meta_parse_time(const char *s, size_t len, char *out)
{
	size_t	 i;

	if (len != META_TIME_LEN)
		return -1;
	for (i = 0; i < len; i++) {
		if (i == 14) {
			if (s[i] != '.')
				return -1;
		} else if (!meta_isdigit(s[i]))
			return -1;
	}
	if (meta_num(s + 4, 2) < 1 || meta_num(s + 4, 2) > 12 ||
	    meta_num(s + 6, 2) < 1 || meta_num(s + 6, 2) > 31 ||
	    meta_num(s + 8, 2) > 23 || meta_num(s + 10, 2) > 59 ||
	    meta_num(s + 12, 2) > 60)
		return -1;
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

int
meta_parse(const char *s, size_t len, struct attr_meta *m)
{
	const char	*f[6];
	size_t		 flen[6], i, nf = 0, start = 0;

	if (s == NULL || m == NULL)
		return LDAP_INVALID_SYNTAX;
	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != ':')
			continue;
		if (nf == 6)
			return LDAP_INVALID_SYNTAX;
		f[nf] = s + start;
		flen[nf++] = i - start;
		start = i + 1;
	}
	if (nf != 6)
		return LDAP_INVALID_SYNTAX;
	if (meta_parse_attr(f[0], flen[0], m->attr) == -1 ||
	    meta_parse_u64(f[1], flen[1], &m->local_usn) == -1 ||
	    meta_parse_u64(f[2], flen[2], &m->version) == -1 ||
	    meta_parse_uuid(f[3], flen[3], m->orig_invocation) == -1 ||
	    meta_parse_time(f[4], flen[4], m->orig_time) == -1 ||
	    meta_parse_u64(f[5], flen[5], &m->orig_usn) == -1)
		return LDAP_INVALID_SYNTAX;
	return LDAP_SUCCESS;
}

void
meta_now(char buf[19])
{
	struct timespec	 ts;
	struct tm	 tm;
	char		 sec[16];
	long		 ms;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	if (strftime(sec, sizeof(sec), "%Y%m%d%H%M%S", &tm) != 14)
		memcpy(sec, "19700101000000", 14);
	ms = ts.tv_nsec / 1000000;
	memcpy(buf, sec, 14);
	buf[14] = '.';
	buf[15] = (char)('0' + ms / 100 % 10);
	buf[16] = (char)('0' + ms / 10 % 10);
	buf[17] = (char)('0' + ms % 10);
	buf[18] = '\0';
}
