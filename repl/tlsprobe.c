/*
 * tlsprobe.c: why an ldaps:// partner cannot be reached. libldap reports
 * a refused certificate as "Can't contact LDAP server", the same as a
 * partner that is down; so the consumer repeats the handshake here with
 * OpenSSL and the same trust (tls_ca, host or address check) and says
 * what failed: no TCP connection, or the certificate check with the
 * verifier's reason.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "server.h"
#include "repl.h"

/* A TCP connection to host:port with a 5-second limit; -1 with why. */
static int
tlsprobe_connect(const char *host, int port, char *why, size_t len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	struct timeval tv = { 5, 0 };
	char sport[16];
	int fd = -1;

	snprintf(sport, sizeof(sport), "%d", port);
	if (getaddrinfo(host, sport, &hints, &ai) != 0 || ai == NULL) {
		snprintf(why, len, "cannot resolve %s", host);
		return -1;
	}
	if ((fd = socket(ai->ai_family, SOCK_STREAM, 0)) >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			snprintf(why, len, "TCP connection refused or failed: %s",
			    strerror(errno));
			close(fd);
			fd = -1;
		}
	} else
		snprintf(why, len, "socket: %s", strerror(errno));
	freeaddrinfo(ai);
	return fd;
}

void
repl_tls_why(const char *uri, char *why, size_t len)
{
	LDAPURLDesc *lud = NULL;
	const char *ca = srv->conf.tls_ca, *dir = srv->conf.tls_ca_path;
	const char *trust = ca != NULL ? ca : dir;
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	long vr;
	int fd = -1;

	snprintf(why, len, "reason unknown");
	if (ldap_url_parse(uri, &lud) != LDAP_SUCCESS || lud->lud_host == NULL)
		goto out;
	if ((fd = tlsprobe_connect(lud->lud_host, lud->lud_port > 0 ? lud->lud_port : 636,
	    why, len)) < 0)
		goto out;
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    (trust != NULL ? SSL_CTX_load_verify_locations(ctx, ca, dir) :
	    SSL_CTX_set_default_verify_paths(ctx)) != 1 || (ssl = SSL_new(ctx)) == NULL) {
		snprintf(why, len, "cannot set up TLS with CA %s", trust ? trust : "(system)");
		goto out;
	}
	SSL_set_verify(ssl, SSL_VERIFY_PEER, NULL);
	/* an address is checked as an address, a name as a name */
	if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), lud->lud_host) != 1)
		SSL_set1_host(ssl, lud->lud_host);
	SSL_set_tlsext_host_name(ssl, lud->lud_host);
	SSL_set_fd(ssl, fd);
	if (SSL_connect(ssl) == 1)
		snprintf(why, len, "the TLS handshake works now; the partner may have "
		    "been restarting");
	else if ((vr = SSL_get_verify_result(ssl)) != X509_V_OK)
		snprintf(why, len, "TLS: the partner's certificate does not verify against "
		    "%s: %s", trust != NULL ? trust : "the system CAs",
		    X509_verify_cert_error_string(vr));
	else {
		const char *r = ERR_reason_error_string(ERR_peek_last_error());
		snprintf(why, len, "TLS handshake failed: %s", r != NULL ? r :
		    "the partner closed the connection");
	}
out:
	ERR_clear_error();
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
	ldap_free_urldesc(lud);
}
