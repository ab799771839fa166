/*
 * trustedcert_list.c: "dir-cli trustedcert list": the published roots in
 * VMware's shape ("Number of certificates:\t<n>", then per certificate
 * "#<i>:", "CN(id):\t\t<id>", "Subject DN:\t<dn>", "CRL present:\t<yes|no>"),
 * ordered by id so that every node prints the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tools/dir-cli/dircli.h"

struct list_item {
	char	*id;
	char	*subject;
	bool	 crl;
};

struct list_acc {
	struct list_item	*v;
	size_t			 n;
};

static int
list_entry(LDAP *ld, LDAPMessage *e, void *arg)
{
	struct list_acc *acc = arg;
	struct list_item *it;
	struct berval **cert, **crl;
	struct dircli_cert c;

	acc->v = xrealloc(acc->v, (acc->n + 1) * sizeof(*acc->v));
	it = &acc->v[acc->n++];
	if ((it->id = tool_value(ld, e, "cn")) == NULL)
		it->id = xstrdup("");
	it->subject = tool_value(ld, e, "cACertificateDN");
	if (it->subject == NULL && (cert = dircli_values(ld, e, "cACertificate")) != NULL) {
		if (dircli_cert_from_der((unsigned char *)cert[0]->bv_val,
		    cert[0]->bv_len, &c)) {
			it->subject = c.subject;
			c.subject = NULL;
			dircli_cert_clear(&c);
		}
		ber_bvecfree(cert);
	}
	if (it->subject == NULL)
		it->subject = xstrdup("");
	crl = dircli_values(ld, e, "certificateRevocationList");
	it->crl = crl != NULL && crl[0] != NULL && crl[0]->bv_len > 0;
	ber_bvecfree(crl);
	return 0;
}

static int
list_cmp(const void *a, const void *b)
{
	const struct list_item *x = a, *y = b;

	return strcasecmp(x->id, y->id);
}

static int
list_run(struct dircli_opts *o)
{
	char *attrs[] = { "cn", "cACertificateDN", "cACertificate",
	    "certificateRevocationList", NULL };
	struct list_acc acc = { NULL, 0 };
	struct dircli_conn conn;
	json_t *arr;
	size_t i;
	int rc;

	if ((rc = dircli_connect(o, &conn)) != 0)
		return rc;
	rc = tool_search(conn.ld, conn.ca_base, LDAP_SCOPE_ONELEVEL,
	    "(|(objectClass=vmwCertificationAuthority)(objectClass=pkiCA))",
	    attrs, list_entry, &acc);
	if (rc == LDAP_NO_SUCH_OBJECT)
		rc = LDAP_SUCCESS;
	if (rc != LDAP_SUCCESS) {
		rc = dircli_fail_ld(conn.ld, rc, "Cannot list the trusted roots");
		goto out;
	}
	if (acc.n > 1)
		qsort(acc.v, acc.n, sizeof(*acc.v), list_cmp);
	if (o->json) {
		arr = json_array();
		for (i = 0; i < acc.n; i++)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:b}",
			    "id", acc.v[i].id, "subjectDN", acc.v[i].subject,
			    "crl", acc.v[i].crl));
		tool_json_print(json_pack("{s:i, s:o}", "count", (int)acc.n,
		    "certificates", arr));
	} else {
		printf("Number of certificates:\t%zu\n", acc.n);
		for (i = 0; i < acc.n; i++)
			printf("#%zu:\nCN(id):\t\t%s\nSubject DN:\t%s\nCRL present:\t%s\n",
			    i + 1, acc.v[i].id, acc.v[i].subject,
			    acc.v[i].crl ? "yes" : "no");
	}
	rc = 0;
out:
	for (i = 0; i < acc.n; i++) {
		free(acc.v[i].id);
		free(acc.v[i].subject);
	}
	free(acc.v);
	dircli_conn_close(&conn);
	return rc;
}

const struct dircli_cmd cmd_trustedcert_list = {
	.name = "list",
	.synopsis = "",
	.handler = list_run,
};
