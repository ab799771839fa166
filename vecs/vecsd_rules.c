/*
 * vecsd_rules.c: what a store name and an alias may be, and the default
 * stores. Store names become words of `for i in $(vecs-cli store list)`
 * and may one day name files (the hashed CA directory), so they are
 * printable and hold no space, no path separator and no . or .. alone.
 */
#include <string.h>
#include <strings.h>

#include "vecs/vecsd.h"

const char *const vecsd_rules_default_stores[] = {
	"MACHINE_SSL_CERT", "TRUSTED_ROOTS", "TRUSTED_ROOT_CRLS", "machine", "vpxd",
	"vpxd-extension", "vsphere-webclient", "BACKUP_STORE", NULL
};

bool
vecsd_rules_store_name_ok(const char *name, size_t len)
{
	if (len == 0 || len > VECSD_NAME_MAX || strlen(name) != len)
		return false;
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c <= ' ' || c == 0x7f || c == '/' || c == '\\')
			return false;
	}
	return true;
}

bool
vecsd_rules_alias_ok(const char *alias, size_t len)
{
	if (len == 0 || len > VECSD_NAME_MAX || strlen(alias) != len)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)alias[i];
		if (c < ' ' || c == 0x7f)
			return false;
	}
	return true;
}

bool
vecsd_rules_protected(const char *name)
{
	return strcasecmp(name, "MACHINE_SSL_CERT") == 0 ||
	    vecsd_rules_public(name);
}

bool
vecsd_rules_public(const char *name)
{
	return strcasecmp(name, "TRUSTED_ROOTS") == 0 ||
	    strcasecmp(name, "TRUSTED_ROOT_CRLS") == 0;
}
