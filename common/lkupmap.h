/*
 * lkupmap.h: how a lookup-service registration's JSON members (the API of
 * vmdird's /lookupservice/sdk) map to the attributes of its directory
 * entries, and which ids are valid. One copy for vmdird (vmdir/lookup.c,
 * http_lookup.c) and lstool.
 */
#ifndef COMMON_LKUPMAP_H
#define COMMON_LKUPMAP_H

#include <stdbool.h>

/* JSON member <-> attribute; each table ends with { NULL, NULL }. */
struct lkupmap {
	const char	*key;
	const char	*attr;
};

extern const struct lkupmap lkupmap_reg[];	/* the registration */
extern const struct lkupmap lkupmap_ep[];	/* an endpoint */
extern const struct lkupmap lkupmap_prop[];	/* a key/value attribute */

/* Longest serviceId or siteId. */
#define LKUPMAP_ID_MAX	128
/* A serviceId or siteId: 1 to LKUPMAP_ID_MAX letters, digits and ._:@-
 * (they become RDN values and URL path segments). */
bool	lkupmap_id_ok(const char *s);
/* N of a child named <prefix>N (endpoints, properties), 1 to 99999;
 * 0 if cn (NULL allowed) is not so named. */
int	lkupmap_child_num(const char *cn, const char *prefix);

#endif /* COMMON_LKUPMAP_H */
