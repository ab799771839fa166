/*
 * check_trust.c: the SSL trust of the registrations, for lstool check:
 *  - each node's machine certificate: __MACHINE_CERT in the
 *    MACHINE_SSL_CERT store of the vecsd given with --vecs [NODE=]SOCKET
 *    (vecs/vecs.h), and with --live the certificate its HTTPS port
 *    presents; a registration of that node whose endpoints' trust does
 *    not hold it is a High problem;
 *  - with --live, the certificate each https:// endpoint presents;
 *  - trust certificates that expired (High) or expire soon (Medium);
 *  - --fix-trust: the mismatched endpoints get their node's machine
 *    certificate, written (PUT) on that node as the administrator, and
 *    replication carries it to the others.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/pem.h>

#include "vecs/vecs.h"
#include "tools/lstool/check.h"

static const char *
trust_str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL ? s : "";
}

static X509 *
trust_vecs_cert(const char *sock, char **msg)
{
	struct vecs_conn *vc = NULL;
	struct vecs_entry *e = NULL;
	X509 *x = NULL;
	BIO *b;
	int rc;

	if ((rc = vecs_connect(sock, &vc)) != VECS_OK) {
		*msg = xasprintf("cannot reach vecsd at %s (%s)", sock, vecs_err_name(rc));
		vecs_close(vc);
		return NULL;
	}
	rc = vecs_entry_get(vc, CHECK_MACHINE_STORE, CHECK_MACHINE_ALIAS, &e);
	if (rc != VECS_OK)
		*msg = xasprintf("vecsd at %s: no %s in %s (%s)", sock, CHECK_MACHINE_ALIAS,
		    CHECK_MACHINE_STORE, vecs_err_name(rc));
	else if (e->cert == NULL || (b = BIO_new_mem_buf(e->cert, -1)) == NULL)
		*msg = xasprintf("vecsd at %s: %s holds no certificate", sock,
		    CHECK_MACHINE_ALIAS);
	else {
		if ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL)
			*msg = xasprintf("vecsd at %s: %s is not a PEM certificate", sock,
			    CHECK_MACHINE_ALIAS);
		BIO_free(b);
	}
	vecs_entry_free(e);
	vecs_close(vc);
	return x;
}

void
check_machine_certs(struct check *k)
{
	for (size_t i = 0; i < k->o->vecs.n; i++) {
		const char *arg = k->o->vecs.v[i], *eq = strchr(arg, '=');
		char *node = eq != NULL ? xasprintf("%.*s", (int)(eq - arg), arg) :
		    (k->local != NULL ? xstrdup(k->local) : NULL);
		const char *sock = eq != NULL ? eq + 1 : arg;
		struct check_node *n = node != NULL ? check_node_named(k, node) : NULL;
		char *msg = NULL;
		X509 *x;

		if (n == NULL) {
			check_add(k, "trust", "WARNING", "Low", NULL, "Name the node: --vecs "
			    "NODE=SOCKET.", "Machine certificate not read",
			    "--vecs %s: %s", arg, node == NULL ? "which node it belongs to is "
			    "unknown (no --server)" : "no such node");
			free(node);
			continue;
		}
		if ((x = trust_vecs_cert(sock, &msg)) == NULL) {
			check_add(k, "trust", "WARNING", "Medium", NULL, "Start vecsd, or give "
			    "the right socket.", "Machine certificate not read", "%s: %s",
			    n->name, msg);
			free(msg);
		} else {
			X509_free(n->machine);
			free(n->machine_from);
			n->machine = x;
			n->machine_from = xasprintf("VECS %s", sock);
		}
		free(node);
	}
}

/* True when one of the endpoint's trust certificates is x. */
static bool
trust_holds(const json_t *ep, X509 *x)
{
	const json_t *c;
	size_t i;

	json_array_foreach(json_object_get(ep, "sslTrust"), i, c) {
		X509 *t = reg_cert_parse(json_string_value(c));
		bool same = t != NULL && X509_cmp(t, x) == 0;
		X509_free(t);
		if (same)
			return true;
	}
	return false;
}

/* Registrations of node n whose endpoints (those with a trust) do not
 * trust n's machine certificate. */
static size_t
trust_machine(struct check *k, struct check_node *n, json_t *all)
{
	json_t *reg, *ep;
	size_t i, j, found = 0;

	json_array_foreach(all, i, reg) {
		json_t *entries;
		size_t bad = 0;
		if (strcasecmp(trust_str(reg, "nodeId"), n->name) != 0)
			continue;
		json_array_foreach(json_object_get(reg, "endpoints"), j, ep)
			if (json_array_size(json_object_get(ep, "sslTrust")) > 0 &&
			    !trust_holds(ep, n->machine))
				bad++;
		if (bad == 0)
			continue;
		found++;
		entries = json_pack("[o]", check_entry(k, reg, NULL));
		check_add(k, "trust", "FAIL", "High", entries,
		    "Set the endpoints' SSL trust to the node's current machine certificate: "
		    "lstool check --fix-trust --user administrator@DOMAIN (or lstool update "
		    "--id ID --trust machine.pem).",
		    "SSL trust does not match the node's machine certificate",
		    "%s (%s): %zu endpoint%s of node %s do%s not trust the certificate it "
		    "serves (%s)", trust_str(reg, "serviceId"), trust_str(reg, "type"), bad,
		    bad == 1 ? "" : "s", n->name, bad == 1 ? "es" : "", n->machine_from);
		json_object_set_new(json_array_get(k->findings,
		    json_array_size(k->findings) - 1), "node", json_string(n->name));
	}
	return found;
}

/* --live: every https:// endpoint's presented certificate. */
static size_t
trust_live(struct check *k, json_t *all)
{
	json_t *reg, *ep;
	size_t i, j, found = 0;

	json_array_foreach(all, i, reg)
		json_array_foreach(json_object_get(reg, "endpoints"), j, ep) {
			const char *url = trust_str(ep, "url");
			char *msg = NULL;
			X509 *x;
			if (strncasecmp(url, "https://", 8) != 0 ||
			    json_array_size(json_object_get(ep, "sslTrust")) == 0)
				continue;
			if ((x = lstool_http_peer_cert(url, &msg)) == NULL) {
				found++;
				check_add(k, "live", "WARNING", "Medium",
				    json_pack("[o]", check_entry(k, reg, NULL)),
				    "Check that the service runs and the URL is right.",
				    "Endpoint cannot be reached", "%s (%s) %s: %s",
				    trust_str(reg, "serviceId"), trust_str(reg, "type"), url, msg);
				free(msg);
				continue;
			}
			if (!trust_holds(ep, x)) {
				found++;
				check_add(k, "live", "FAIL", "High",
				    json_pack("[o]", check_entry(k, reg, NULL)),
				    "Update the registration's SSL trust to the certificate the "
				    "service presents (lstool update --id ID --trust FILE).",
				    "SSL trust does not match the certificate the endpoint presents",
				    "%s (%s) %s", trust_str(reg, "serviceId"),
				    trust_str(reg, "type"), url);
			}
			X509_free(x);
		}
	return found;
}

/* Days from now to t (negative: past). */
static int
trust_days_left(const ASN1_TIME *t)
{
	int days = 0, secs = 0;

	if (!ASN1_TIME_diff(&days, &secs, NULL, t))
		return 0;
	/* whole days left, rounded down (days and secs share their sign) */
	return days - (days <= 0 && secs < 0 ? 1 : 0);
}

static size_t
trust_expiry(struct check *k, json_t *all)
{
	json_t *reg, *ep, *c, *seen = json_object();
	size_t i, j, m, found = 0;

	json_array_foreach(all, i, reg)
		json_array_foreach(json_object_get(reg, "endpoints"), j, ep)
			json_array_foreach(json_object_get(ep, "sslTrust"), m, c) {
				X509 *x = reg_cert_parse(json_string_value(c));
				char *key, subj[256] = "", when[64] = "";
				const ASN1_TIME *na;
				BIO *b;
				int days;
				if (x == NULL)
					continue;
				key = xasprintf("%s\n%s", trust_str(reg, "serviceId"),
				    json_string_value(c));
				if (json_object_get(seen, key) != NULL) {
					free(key);
					X509_free(x);
					continue;
				}
				json_object_set_new(seen, key, json_true());
				free(key);
				na = X509_get0_notAfter(x);
				days = trust_days_left(na);
				X509_NAME_oneline(X509_get_subject_name(x), subj, sizeof(subj));
				if ((b = BIO_new(BIO_s_mem())) != NULL) {
					int n;
					ASN1_TIME_print(b, na);
					n = BIO_read(b, when, sizeof(when) - 1);
					when[n > 0 ? n : 0] = '\0';
					BIO_free(b);
				}
				if (X509_cmp_current_time(na) <= 0) {
					found++;
					check_add(k, "expiry", "FAIL", "High",
					    json_pack("[o]", check_entry(k, reg, NULL)),
					    "Replace the service's certificate and update the "
					    "registration's SSL trust (lstool update --id ID --trust "
					    "FILE, or check --fix-trust for machine certificates).",
					    "SSL trust certificate expired",
					    "%s (%s) %s: %s expired on %s", trust_str(reg, "serviceId"),
					    trust_str(reg, "type"), trust_str(ep, "url"), subj, when);
				} else if (days < k->o->expiry_days) {
					found++;
					check_add(k, "expiry", "WARNING", "Medium",
					    json_pack("[o]", check_entry(k, reg, NULL)),
					    "Plan the certificate's replacement, then update the "
					    "registration's SSL trust.",
					    "SSL trust certificate expires soon",
					    "%s (%s) %s: %s will expire in %d day%s (%s)",
					    trust_str(reg, "serviceId"), trust_str(reg, "type"),
					    trust_str(ep, "url"), subj, days, days == 1 ? "" : "s", when);
				}
				X509_free(x);
			}
	json_decref(seen);
	return found;
}

void
check_trust(struct check *k)
{
	json_t *all = check_merged(k);
	size_t found = 0, known = 0;
	char *names = xstrdup("");

	for (size_t i = 0; i < k->n; i++) {
		struct check_node *n = &k->nodes[i];
		char *msg = NULL, *url, *s;
		if (n->machine == NULL && k->o->live && n->https != NULL) {
			url = xasprintf("%s/health", n->https);
			if ((n->machine = lstool_http_peer_cert(url, &msg)) != NULL)
				n->machine_from = xasprintf("presented at %s", n->https);
			free(msg);
			free(url);
		}
		if (n->machine == NULL)
			continue;
		known++;
		s = xasprintf("%s%s%s", names, names[0] ? ", " : "", n->name);
		free(names);
		names = s;
		found += trust_machine(k, n, all);
	}
	if (known == 0)
		check_add(k, "trust", "WARNING", "Low", NULL, "Give --vecs [NODE=]SOCKET "
		    "(vecsd's socket) or --live.", "SSL trust not compared with machine "
		    "certificates", "no node's machine certificate is known");
	else if (found == 0)
		check_add(k, "trust", "PASS", NULL, NULL, NULL,
		    "SSL trust matches the machine certificates", "nodes compared: %s", names);
	if (k->o->live && trust_live(k, all) == 0)
		check_add(k, "live", "PASS", NULL, NULL, NULL, "SSL trust matches what the "
		    "endpoints present", "every https:// endpoint with a trust");
	if (trust_expiry(k, all) == 0)
		check_add(k, "expiry", "PASS", NULL, NULL, NULL, "No SSL trust expires soon",
		    "every trust certificate is valid for %d days or more", k->o->expiry_days);
	free(names);
	json_decref(all);
}

/* reg with every trusting endpoint that lacks x trusting x alone. */
static json_t *
trust_repaired(const json_t *reg, X509 *x)
{
	json_t *out = json_deep_copy(reg), *ep;
	char *b64 = reg_cert_b64(x);
	size_t i;

	json_array_foreach(json_object_get(out, "endpoints"), i, ep)
		if (json_array_size(json_object_get(ep, "sslTrust")) > 0 && !trust_holds(ep, x))
			json_object_set_new(ep, "sslTrust", json_pack("[s]", b64));
	free(b64);
	return out;
}

void
check_fix_trust(struct check *k)
{
	json_t *f, *all = check_merged(k);
	size_t i;

	json_array_foreach(k->findings, i, f) {
		struct check_node *n;
		struct lstool_conn c = { .ops = &lstool_http_ops, .o = k->o };
		const json_t *e = json_array_get(json_object_get(f, "entries"), 0);
		const char *id = trust_str(e, "serviceId");
		json_t *reg = NULL, *fixed, *out = NULL, *r;
		char *msg = NULL;
		size_t j;
		int rc;

		if (strcmp(trust_str(f, "check"), "trust") != 0 ||
		    strcmp(trust_str(f, "status"), "FAIL") != 0 ||
		    (n = check_node_named(k, trust_str(f, "node"))) == NULL ||
		    n->machine == NULL)
			continue;
		json_array_foreach(all, j, r)
			if (strcmp(trust_str(r, "serviceId"), id) == 0)
				reg = r;
		if (reg == NULL || n->base == NULL)
			continue;
		fixed = trust_repaired(reg, n->machine);
		c.base = n->base;
		rc = c.ops->replace(&c, id, fixed, &out, &msg);
		json_decref(fixed);
		json_decref(out);
		if (rc != 0) {
			k->fix_failures++;
			check_add(k, "fix-trust", "FAIL", "High", NULL, "Fix it by hand: lstool "
			    "update --id ID --trust FILE.", "SSL trust could not be repaired",
			    "%s on %s: %s", id, n->name, msg);
			free(msg);
			continue;
		}
		json_object_set_new(f, "fixed", json_true());
		json_array_append_new(k->fixed, json_pack("{s:s,s:s,s:s}", "serviceId", id,
		    "node", n->name, "nodeId", trust_str(reg, "nodeId")));
	}
	json_decref(all);
}
