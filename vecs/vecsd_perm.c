/*
 * vecsd_perm.c: who may do what in a store. The caller is the uid the
 * kernel reported for the socket's peer; user names given in grants are
 * resolved here with the system's user database.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vecs/vecsd.h"

static uid_t vecsd_perm_self;

void
vecsd_perm_init(uid_t self)
{
	vecsd_perm_self = self;
}

bool
vecsd_perm_manage(const struct vecsd_store *s, uid_t uid)
{
	return uid == 0 || uid == vecsd_perm_self || uid == s->owner;
}

static unsigned
vecsd_perm_granted(const struct vecsd_store *s, uid_t uid)
{
	unsigned r = 0;

	for (size_t i = 0; i < s->ngrants; i++)
		if (s->grants[i].uid == uid || s->grants[i].uid == VECSD_UID_EVERYONE)
			r |= s->grants[i].rights;
	return r;
}

bool
vecsd_perm_allows(const struct vecsd_store *s, uid_t uid, unsigned rights)
{
	if (vecsd_perm_manage(s, uid))
		return true;
	return (vecsd_perm_granted(s, uid) & rights) == rights;
}

bool
vecsd_perm_visible(const struct vecsd_store *s, uid_t uid)
{
	return vecsd_perm_manage(s, uid) || vecsd_perm_granted(s, uid) != 0;
}

int
vecsd_perm_change(struct vecsd_store *s, uid_t uid, bool grant, unsigned rights)
{
	struct vecsd_grant *g;
	size_t i;

	for (i = 0; i < s->ngrants && s->grants[i].uid != uid; i++)
		;
	if (i == s->ngrants) {
		if (!grant)
			return 0;
		if ((g = realloc(s->grants, (s->ngrants + 1) * sizeof(*g))) == NULL)
			return VECS_ERR_NO_MEMORY;
		s->grants = g;
		s->grants[s->ngrants].uid = uid;
		s->grants[s->ngrants].rights = 0;
		s->ngrants++;
	}
	if (grant)
		s->grants[i].rights |= rights;
	else
		s->grants[i].rights &= ~rights;
	/* a grant with no right left goes away */
	if (s->grants[i].rights == 0) {
		memmove(&s->grants[i], &s->grants[i + 1],
		    (s->ngrants - i - 1) * sizeof(*s->grants));
		s->ngrants--;
	}
	return 0;
}

bool
vecsd_perm_user_uid(const char *name, uid_t *uid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (strcasecmp(name, VECS_EVERYONE) == 0) {
		*uid = VECSD_UID_EVERYONE;
		return true;
	}
	if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) != 0 || res == NULL)
		return false;
	*uid = pw.pw_uid;
	return true;
}

const char *
vecsd_perm_user_name(uid_t uid, char *out, size_t len)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (uid == VECSD_UID_EVERYONE)
		snprintf(out, len, "%s", VECS_EVERYONE);
	else if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res != NULL)
		snprintf(out, len, "%s", pw.pw_name);
	else
		snprintf(out, len, "%lu", (unsigned long)uid);
	return out;
}
