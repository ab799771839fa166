/*
 * lkupmap.c: the registration, endpoint and attribute tables of
 * lkupmap.h (classes vmwLKUPServiceRegistration, vmwLKUPEndpointRegistration
 * and vmwLKUPProperty of schema/50trellis.schema).
 */
#include <stddef.h>
#include <string.h>

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
