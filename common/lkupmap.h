/*
 * lkupmap.h: how a lookup-service registration's JSON members (the API of
 * vmdird's /lookupservice/sdk) map to the attributes of its directory
 * entries. One table for vmdird (vmdir/lookup.c) and lstool's LDAP side.
 */
#ifndef COMMON_LKUPMAP_H
#define COMMON_LKUPMAP_H

/* JSON member <-> attribute; each table ends with { NULL, NULL }. */
struct lkupmap {
	const char	*key;
	const char	*attr;
};

extern const struct lkupmap lkupmap_reg[];	/* the registration */
extern const struct lkupmap lkupmap_ep[];	/* an endpoint */
extern const struct lkupmap lkupmap_prop[];	/* a key/value attribute */

#endif /* COMMON_LKUPMAP_H */
