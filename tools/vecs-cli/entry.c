/*
 * entry.c: vecs-cli entry create|list|getcert|getkey|delete. --text
 * renders certificates with OpenSSL's X509_print (CRLs with
 * X509_CRL_print), the form runbooks grep for "Not After".
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tools/common/toolutil.h"
#include "tools/vecs-cli/vecs-cli.h"

static void
entry_usage(FILE *f)
{
	fputs("  entry create --store NAME [--alias ALIAS] [--cert FILE] [--key FILE]\n"
	    "  entry list --store NAME [--text] [--aliases]\n"
	    "  entry getcert --store NAME --alias ALIAS [--output FILE] [--text]\n"
	    "  entry getkey --store NAME --alias ALIAS [--output FILE]\n"
	    "  entry delete --store NAME --alias ALIAS [-y]\n", f);
}

struct entry_opts {
	const char	*store, *alias, *cert, *key, *output;
	bool		 text, aliases, yes;
};

static int
entry_parse(struct cli *cli, int argc, char **argv, struct entry_opts *o)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "alias", required_argument, NULL, 'a' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "output", required_argument, NULL, 'o' },
		{ "text", no_argument, NULL, 't' },
		{ "aliases", no_argument, NULL, 'A' },
		{ "yes", no_argument, NULL, 'y' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	memset(o, 0, sizeof(*o));
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "y", opts, NULL)) != -1) {
		switch (ch) {
		case 's': o->store = optarg; break;
		case 'a': o->alias = optarg; break;
		case 'c': o->cert = optarg; break;
		case 'k': o->key = optarg; break;
		case 'o': o->output = optarg; break;
		case 't': o->text = true; break;
		case 'A': o->aliases = true; break;
		case 'y': o->yes = true; break;
		default:
			return cli_usage_error(cli, &cli_cmd_entry, "unknown or incomplete option");
		}
	}
	if (optind < argc)
		return cli_usage_error(cli, &cli_cmd_entry, "unexpected argument");
	if (o->store == NULL)
		return cli_usage_error(cli, &cli_cmd_entry, "--store is required");
	return 0;
}

/* Every certificate (or the CRL) of pem rendered by OpenSSL; caller frees. */
static char *
entry_render(const char *pem)
{
	BIO *in = BIO_new_mem_buf(pem, -1), *out = BIO_new(BIO_s_mem());
	X509 *x;
	X509_CRL *crl;
	char *p, *s;
	long len;

	if (in == NULL || out == NULL)
		abort();
	if (strstr(pem, "-----BEGIN X509 CRL-----") != NULL) {
		while ((crl = PEM_read_bio_X509_CRL(in, NULL, NULL, NULL)) != NULL) {
			X509_CRL_print(out, crl);
			X509_CRL_free(crl);
		}
	} else {
		while ((x = PEM_read_bio_X509(in, NULL, NULL, NULL)) != NULL) {
			X509_print(out, x);
			X509_free(x);
		}
	}
	ERR_clear_error();
	len = BIO_get_mem_data(out, &p);
	s = xmalloc((size_t)len + 1);
	memcpy(s, p, (size_t)len);
	s[len] = '\0';
	BIO_free(in);
	BIO_free(out);
	return s;
}

/* The first certificate's notAfter as ISO 8601, for --json; caller frees. */
static char *
entry_not_after(const char *pem)
{
	BIO *in = BIO_new_mem_buf(pem, -1);
	X509 *x = in != NULL ? PEM_read_bio_X509(in, NULL, NULL, NULL) : NULL;
	struct tm tm;
	char buf[32], *s = NULL;

	if (x != NULL && ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1 &&
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) > 0)
		s = xstrdup(buf);
	ERR_clear_error();
	X509_free(x);
	BIO_free(in);
	return s;
}

static json_t *
entry_json(const struct vecs_entry *e)
{
	json_t *j = json_pack("{s:s, s:s, s:b}", "alias", e->alias, "type",
	    vecs_entry_type_name(e->type), "pulled", e->pulled);
	char *na;

	if (e->cert != NULL) {
		json_object_set_new(j, "certificate", json_string(e->cert));
		if ((na = entry_not_after(e->cert)) != NULL) {
			json_object_set_new(j, "not_after", json_string(na));
			free(na);
		}
	}
	return j;
}

static int
entry_create(struct cli *cli, struct entry_opts *o)
{
	char *cert = NULL, *key = NULL, *alias = NULL;
	int rc;

	if (o->cert == NULL && o->key == NULL)
		return cli_usage_error(cli, &cli_cmd_entry, "--cert or --key is required");
	if (o->cert != NULL && (cert = cli_read_file(o->cert)) == NULL)
		return cli_fail_detail(cli, VECS_ERR_INVALID_PARAMETER,
		    "Error : cannot read [%s]: %s", o->cert, strerror(errno));
	if (o->key != NULL && (key = cli_read_file(o->key)) == NULL) {
		free(cert);
		return cli_fail_detail(cli, VECS_ERR_INVALID_PARAMETER,
		    "Error : cannot read [%s]: %s", o->key, strerror(errno));
	}
	if ((rc = cli_connect(cli)) == 0 &&
	    (rc = vecs_entry_add(cli->conn, o->store, o->alias, cert, key, &alias)) != VECS_OK)
		rc = cli_fail(cli, rc);
	free(cert);
	vecs_secret_free(key);
	if (rc != 0)
		return rc;
	if (cli->json)
		tool_json_print(json_pack("{s:s, s:s, s:b}", "store", o->store, "alias", alias,
		    "created", 1));
	else
		printf("Entry with alias [%s] in store [%s] was created successfully \n", alias,
		    o->store);
	free(alias);
	return 0;
}

static void
entry_print(const struct vecs_entry *e, bool text)
{
	char *r;

	printf("Alias :\t%s\nEntry type :\t%s\n", e->alias, vecs_entry_type_name(e->type));
	if (e->cert != NULL && text) {
		r = entry_render(e->cert);
		fputs(r, stdout);
		free(r);
	} else if (e->cert != NULL)
		printf("Certificate :\t%s", e->cert);
	putchar('\n');
}

static int
entry_list(struct cli *cli, struct entry_opts *o)
{
	struct vecs_entry *e;
	size_t n;
	int rc;

	if ((rc = cli_connect(cli)) != 0)
		return rc;
	if ((rc = vecs_entry_list(cli->conn, o->store, &e, &n)) != VECS_OK)
		return cli_fail(cli, rc);
	if (cli->json) {
		json_t *a = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, entry_json(&e[i]));
		tool_json_print(json_pack("{s:s, s:I, s:o}", "store", o->store, "count",
		    (json_int_t)n, "entries", a));
	} else {
		printf("Number of entries in store :\t%zu\n", n);
		for (size_t i = 0; i < n; i++) {
			if (o->aliases)
				printf("%s\n", e[i].alias);
			else
				entry_print(&e[i], o->text);
		}
	}
	vecs_entries_free(e, n);
	return 0;
}

static int
entry_getcert(struct cli *cli, struct entry_opts *o)
{
	struct vecs_entry *e;
	char *out;
	int rc;

	if (o->alias == NULL)
		return cli_usage_error(cli, &cli_cmd_entry, "--alias is required");
	if ((rc = cli_connect(cli)) != 0)
		return rc;
	if ((rc = vecs_entry_get(cli->conn, o->store, o->alias, &e)) != VECS_OK)
		return cli_fail(cli, rc);
	if (e->cert == NULL) {
		rc = cli_fail_detail(cli, VECS_ERR_NOT_FOUND, "Error: No certificates were "
		    "found for entry [%s] of type [%s].", e->alias, vecs_entry_type_name(e->type));
		vecs_entry_free(e);
		return rc;
	}
	out = o->text ? entry_render(e->cert) : xstrdup(e->cert);
	if (o->output != NULL) {
		if (cli_write_private(o->output, out) != 0)
			rc = cli_fail_detail(cli, VECS_ERR_INVALID_PARAMETER,
			    "Error : cannot write [%s]: %s", o->output, strerror(errno));
	} else if (cli->json) {
		json_t *j = entry_json(e);
		if (o->text)
			json_object_set_new(j, "text", json_string(out));
		tool_json_print(j);
	} else
		fputs(out, stdout);
	free(out);
	vecs_entry_free(e);
	return rc;
}

static int
entry_getkey(struct cli *cli, struct entry_opts *o)
{
	char *key;
	int rc;

	if (o->alias == NULL)
		return cli_usage_error(cli, &cli_cmd_entry, "--alias is required");
	if ((rc = cli_connect(cli)) != 0)
		return rc;
	if ((rc = vecs_entry_get_key(cli->conn, o->store, o->alias, &key)) != VECS_OK)
		return cli_fail(cli, rc);
	if (o->output != NULL) {
		if (cli_write_private(o->output, key) != 0)
			rc = cli_fail_detail(cli, VECS_ERR_INVALID_PARAMETER,
			    "Error : cannot write [%s]: %s", o->output, strerror(errno));
	} else if (cli->json)
		tool_json_print(json_pack("{s:s, s:s}", "alias", o->alias, "key", key));
	else
		fputs(key, stdout);
	vecs_secret_free(key);
	return rc;
}

static int
entry_delete(struct cli *cli, struct entry_opts *o)
{
	char *warn;
	bool go;
	int rc;

	if (o->alias == NULL)
		return cli_usage_error(cli, &cli_cmd_entry, "--alias is required");
	if (!o->yes) {
		warn = xasprintf("Warning: This operation will delete entry [%s] from store [%s]",
		    o->alias, o->store);
		go = cli_confirm(warn);
		free(warn);
		if (!go)
			return 0;
	}
	if ((rc = cli_connect(cli)) != 0)
		return rc;
	if ((rc = vecs_entry_delete(cli->conn, o->store, o->alias)) != VECS_OK)
		return cli_fail(cli, rc);
	if (cli->json)
		tool_json_print(json_pack("{s:s, s:s, s:b}", "store", o->store, "alias",
		    o->alias, "deleted", 1));
	else
		printf("Deleted entry with alias [%s] in store [%s] successfully\n \n", o->alias,
		    o->store);
	return 0;
}

static int
entry_run(struct cli *cli, int argc, char **argv)
{
	static const struct {
		const char	*name;
		int		(*fn)(struct cli *, struct entry_opts *);
	} subs[] = {
		{ "create", entry_create },
		{ "list", entry_list },
		{ "getcert", entry_getcert },
		{ "getkey", entry_getkey },
		{ "delete", entry_delete },
	};
	struct entry_opts o;
	int rc;

	if (argc < 2)
		return cli_usage_error(cli, &cli_cmd_entry, "entry needs a command");
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if (strcmp(argv[1], subs[i].name) != 0)
			continue;
		if ((rc = entry_parse(cli, argc - 1, argv + 1, &o)) != 0)
			return rc;
		return subs[i].fn(cli, &o);
	}
	return cli_usage_error(cli, &cli_cmd_entry, "unknown entry command");
}

const struct cli_cmd cli_cmd_entry = { "entry", entry_run, entry_usage };
