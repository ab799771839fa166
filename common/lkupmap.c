/*
 * lkupmap.c: the registration, endpoint and attribute tables of
 * lkupmap.h (classes vmwLKUPServiceRegistration, vmwLKUPEndpointRegistration
 * and vmwLKUPProperty of schema/50trellis.schema).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lkupmap.h"

const struct lkupmap lkupmap_reg[] = {
	{ "serviceId",	 "vmwLKUPServiceId" },
	{ "name",	 "vmwLKUPServiceNameDefault" },
	{ "description", "vmwLKUPServiceDescriptionDefault" },
	{ "product",	 "vmwLKUPProduct" },
	{ "type",	 "vmwLKUPType" },
	{ "version",	 "vmwLKUPVersion" },
	{ "siteId",	 "vmwLKUPSite" },
	{ "nodeId",	 "vmwLKUPDeploymentNodeId" },
	{ "ownerId",	 "vmwLKUPOwnerId" },
	{ NULL, NULL }
};

const struct lkupmap lkupmap_ep[] = {
	{ "type",	"vmwLKUPEndpointType" },
	{ "protocol",	"vmwLKUPEndpointProtocol" },
	{ "url",	"vmwLKUPURI" },
	{ NULL, NULL }
};

const struct lkupmap lkupmap_prop[] = {
	{ "key",	"vmwLKUPPropertyName" },
	{ "value",	"vmwLKUPPropertyValue" },
	{ NULL, NULL }
};

bool
lkupmap_id_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > LKUPMAP_ID_MAX)
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("._:@-", *s) != NULL))
			return false;
	return true;
}

int
lkupmap_child_num(const char *cn, const char *prefix)
{
	size_t n = strlen(prefix);
	char *end;
	long v;

	if (cn == NULL || strncasecmp(cn, prefix, n) != 0 || cn[n] < '1' || cn[n] > '9')
		return 0;
	v = strtol(cn + n, &end, 10);
	return *end == '\0' && v > 0 && v < 100000 ? (int)v : 0;
}
