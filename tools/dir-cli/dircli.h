/*
 * dircli.h: dir-cli, the directory's certificate tool. Each subcommand
 * ("trustedcert publish", ...) is one file exporting one struct
 * dircli_cmd; main.c holds the table, option parsing, connecting and the
 * error output, cert.c the certificate and CRL handling they share.
 */
#ifndef TOOLS_DIRCLI_H
#define TOOLS_DIRCLI_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/x509.h>

#include "tools/common/toolutil.h"

/*
 * VMware's error codes (Windows error numbers), printed as
 * "dir-cli failed. Error <code>: Operation failed with error <NAME> (<code>) "
 * and returned as the exit status modulo 256.
 */
enum dircli_err {
	DIRCLI_OK = 0,
	DIRCLI_ERR_ACCESS_DENIED = 5,
	DIRCLI_ERR_INVALID_PARAMETER = 87,
	DIRCLI_ERR_ALREADY_EXISTS = 183,
	DIRCLI_ERR_CANNOT_CONNECT = 1021,
	DIRCLI_ERR_LOGON_FAILURE = 1326,
	DIRCLI_ERR_NOT_FOUND = 4312,
};

/* Which options a subcommand takes (dircli_cmd.allowed, .required). */
#define DIRCLI_O_CERT		0x01
#define DIRCLI_O_CRL		0x02
#define DIRCLI_O_CHAIN		0x04
#define DIRCLI_O_ID		0x08
#define DIRCLI_O_OUTCERT	0x10
#define DIRCLI_O_OUTCRL		0x20

struct dircli_opts {
	char		*uri;		/* -h/--server-name as a URI; NULL: this node */
	const char	*login;		/* --login; NULL: EXTERNAL on the socket, else administrator */
	const char	*pw;		/* --password */
	const char	*pw_file;	/* --password-file */
	const char	*cert;		/* --cert */
	const char	*crl;		/* --crl */
	const char	*id;		/* --id */
	const char	*outcert;	/* --outcert */
	const char	*outcrl;	/* --outcrl */
	bool		 chain;		/* --chain */
	bool		 json;		/* --json */
};

struct dircli_cmd {
	const char	*name;		/* after "trustedcert" */
	const char	*synopsis;	/* its options, for the usage */
	unsigned	 allowed;	/* DIRCLI_O_* */
	unsigned	 required;
	int		(*handler)(struct dircli_opts *);
};

/* A bound connection and where the trusted roots live. */
struct dircli_conn {
	LDAP		*ld;
	char		*uri;		/* the URI connected to */
	char		*ca_base;	/* cn=Certificate-Authorities,cn=Configuration,<nc> */
};

/* main.c */
/*
 * Prints a failure: each detail line (may be NULL) then
 * "dir-cli failed. Error <code>: Operation failed with error <NAME> (<code>) "
 * on stderr, or with --json {"error": {"code": code, "message": detail}}
 * on stdout. Returns the exit status (code modulo 256, never 0).
 */
int	 dircli_fail(int code, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* The same for an LDAP result rc on ld, with what was being done. */
int	 dircli_fail_ld(LDAP *ld, int rc, const char *what);
/*
 * Connects and binds as the options say (prompting for a password on a
 * terminal when one is needed and missing) and finds the naming context.
 * Prints the failure; returns 0 or an exit status.
 */
int	 dircli_connect(struct dircli_opts *o, struct dircli_conn *c);
void	 dircli_conn_close(struct dircli_conn *c);
/* The DN of the entry of id (RFC 4514 escaped); caller frees. */
char	*dircli_ca_dn(const struct dircli_conn *c, const char *id);
/* Values of attr on e, ignoring attribute options (";binary"); free with
 * ber_bvecfree. NULL when absent. */
struct berval **dircli_values(LDAP *ld, LDAPMessage *e, const char *attr);

/* cert.c */
/* One certificate of an input file, with what the directory stores. */
struct dircli_cert {
	X509		*x509;
	char		*id;		/* lowercase hex SHA-1 of the DER, no colons */
	char		*subject;	/* RFC 4514 string of the subject */
	unsigned char	*der;
	size_t		 der_len;
};
/*
 * Reads every PEM certificate of path into *certs (caller frees with
 * dircli_certs_free), *n of them. Fails (printing why, returning the
 * exit status) when the file cannot be read, is not PEM, holds a damaged
 * certificate or none.
 */
int	 dircli_certs_load(const char *path, struct dircli_cert **certs, size_t *n);
void	 dircli_certs_free(struct dircli_cert *certs, size_t n);
/* Releases what c holds (not c itself). */
void	 dircli_cert_clear(struct dircli_cert *c);
/* True when c has basicConstraints with CA:TRUE. */
bool	 dircli_cert_is_ca(const struct dircli_cert *c);
/* Fills c from a DER certificate (as stored in cACertificate); false if
 * it does not parse. */
bool	 dircli_cert_from_der(const unsigned char *der, size_t len,
	    struct dircli_cert *c);
/* Reads one CRL (PEM or DER) from path into *der (caller frees) and *crl
 * (caller frees with X509_CRL_free); prints the failure, returns 0 or the
 * exit status. */
int	 dircli_crl_load(const char *path, X509_CRL **crl, unsigned char **der,
	    size_t *der_len);
/* True when crl was issued and signed by the certificate c. */
bool	 dircli_crl_issued_by(X509_CRL *crl, const struct dircli_cert *c);
/* Writes DER certificate or CRL as PEM to path; false (errno or an
 * OpenSSL error) on failure. */
bool	 dircli_write_pem_cert(const char *path, const unsigned char *der, size_t len);
bool	 dircli_write_pem_crl(const char *path, const unsigned char *der, size_t len);
/* dircli_certs_load with the rule that several certificates need --chain
 * (verb says what would be done to them, for the hint). Returns 0 or the
 * exit status. */
int	 dircli_certs_load_checked(const char *path, bool chain, const char *verb,
	    struct dircli_cert **certs, size_t *n);

extern const struct dircli_cmd cmd_trustedcert_get;
extern const struct dircli_cmd cmd_trustedcert_list;
extern const struct dircli_cmd cmd_trustedcert_publish;
extern const struct dircli_cmd cmd_trustedcert_unpublish;

#endif
