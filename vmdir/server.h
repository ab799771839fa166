/*
 * server.h: the running vmdird: configuration, connections, operations and
 * their handlers, access control, initialisation. Data structures and
 * storage are in vmdir.h.
 */
#ifndef VMDIR_SERVER_H
#define VMDIR_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <openssl/ssl.h>

#include "vmdir.h"

struct event_base;
struct bufferevent;

/* conf.c */

struct conf {
	char		*listen;	/* addresses (comma or space separated),
					 * default 127.0.0.1 */
	char		*ldapi_socket;	/* NULL: LDAPI_DEFAULT; "": none */
	int		 port;		/* LDAP, default 389; 0 disables */
	int		 ldaps_port;	/* LDAPS, 0 disables */
	char		*data_dir;
	char		*schema_dir;
	char		*pid_file;
	char		*tls_cert;
	char		*tls_key;
	char		*tls_ca;	/* CA file that partners' certificates
					 * must chain to (ldaps:// agreements) */
	char		*tls_ca_path;	/* the same as an OpenSSL hashed
					 * directory (e.g. VECS' TRUSTED_ROOTS) */
	char		*log_level;
	bool		 syslog;
	char		*domain;	/* vsphere.local */
	char		*site;		/* Default-First-Site */
	char		*node;		/* this node's name (host name) */
	int		 threads;	/* worker threads (default: one per CPU) */
	int		 loops;		/* event loops for connections (one per CPU) */
	bool		 loop_reads;	/* searches and compares run on the loop */
	size_t		 max_pdu;	/* largest request accepted, bytes */
	int		 idle_timeout;	/* seconds; 0 = none */
	int		 write_timeout;	/* seconds a client may leave output unread */
	int		 max_pending;	/* operations queued server-wide before busy */
	int		 conn_max_pending; /* per connection */
	int		 size_limit;	/* server-side search limits, 0 = none */
	int		 time_limit;
	size_t		 cache_mb;	/* BDB cache in MiB, 0 = auto */
	char		*indexes;	/* comma-separated attribute names */
	bool		 nosync;
	int		 tombstone_lifetime;	/* seconds */
	int		 repl_interval;	/* seconds a quiet supplier holds a pull */
	int		 repl_page_size;	/* entries per replication page */
	int		 http_port;	/* HTTP side port, default 7080; 0 disables */
	bool		 http_port_set;	/* given explicitly: failing to listen
					 * is then fatal, not a warning */
	int		 https_port;	/* the same over TLS (tls_cert), 0 = off */
	int		 http_timeout;	/* seconds for a whole request to arrive
					 * and for its answer to be read */
};

#define LDAPI_DEFAULT	"/run/trellis/vmdird.sock"

void	conf_defaults(struct conf *c);
/* Reads an INI file ([server] section; keys as the struct fields with '_'
 * or '-'). Returns 0 or -1 with a message on stderr. */
int	conf_load(struct conf *c, const char *path);
/* Applies one "key=value" setting, as from the file or a flag. */
int	conf_set(struct conf *c, const char *key, const char *value);
void	conf_free(struct conf *c);

enum node_state { STATE_NORMAL, STATE_READONLY, STATE_STANDALONE };

/* The one server of this process. */
struct server {
	struct conf		 conf;
	struct schema		*schema;
	struct be		*be;
	struct event_base	*base;
	SSL_CTX			*tls;
	char			*suffix;	/* dc=vsphere,dc=local */
	char			*nsuffix;
	char			*admin_ndn;
	char			*admins_ndn;	/* the Administrators group */
	char			*dcadmins_ndn;	/* machine accounts of the nodes */
	char			*server_dn;	/* this node's server object */
	char			*server_ndn;	/* the same, normalised */
	char			*deleted_ndn;	/* cn=Deleted Objects (tombstones) */
	char			*lostfound_ndn;	/* cn=LostAndFound (orphans) */
	char			*policy_ndn;	/* password and lockout policy */
	_Atomic int		 state;		/* enum node_state */
	char			 invocation[37];
	int			 server_id;
	_Atomic uint64_t	 next_conn_id;
	_Atomic bool		 stopping;
	time_t			 started;
};

extern struct server *srv;

/* tls.c */

/* Server context from PEM certificate and key; NULL with a log on error. */
SSL_CTX	*tls_server_ctx(const char *cert, const char *key);

/* conn.c */

struct conn {
	uint64_t		 id;
	pthread_mutex_t		 lock;
	struct bufferevent	*bev;
	int			 refs;
	int			 nops;		/* operations in flight */
	int			 opseq;		/* operation counter for logs */
	bool			 closing;
	const struct xport	*xp;		/* its transport */
	bool			 counted;	/* in the open connections */
	bool			 tls;
	bool			 ldapi;		/* on the local socket */
	uid_t			 peer_uid;	/* its client, at accept (ldapi) */
	gid_t			 peer_gid;
	char			*bind_ndn;	/* NULL: anonymous */
	bool			 admin;
	char			 peer[80];	/* "ldapi/" + the xport peer name */
	struct op		*ops;		/* in flight, for abandon */
	bool			 binding;	/* a bind is in progress */
	int			 binding_op;	/* its op number */
	struct op		*held;		/* arrived during it */
	struct op		*parked;	/* wait for the client to read */
	bool			 read_paused;	/* over the output bound */
	struct conn		*all_next;	/* every connection */
};

struct xport;
/* Listens on where with transport t (common/xport.h: "HOST:PORT" for
 * xport_tcp and xport_tls, a path for xport_unix, mode 0666); any number
 * of listeners. The socket file of a Unix one is removed by conn_shutdown.
 * 0 or -1 with a log. */
int	conn_listen(const struct xport *t, const char *where);
/* Stops accepting; conn_shutdown closes everything (loop thread, after
 * the loop ended). */
void	conn_stop_listening(void);
void	conn_shutdown(void);
/* A connection with no transport yet (one reference, the caller's). */
struct conn *conn_new(void);
void	conn_ref(struct conn *c);
void	conn_unref(struct conn *c);
/* Queues a complete BER message; takes no ownership; never waits.
 * Returns 0; CONN_FULL when the client's unread output is now over the
 * bound (an op with more to send parks: conn_park); or -1 if the
 * connection is gone. */
#define CONN_FULL	1
int	conn_send(struct conn *c, const struct berval *msg);
/* Holds o (its handler set o->cont) until the client has read most of
 * its output, then runs it again on a worker; at once if it already has.
 * A connection that is closed releases its parked ops, abandoned. */
void	conn_park(struct conn *c, struct op *o);
/* Number of parked ops, server-wide. */
int	conn_parked(void);
/* Closes once everything queued has been written (loop thread). */
void	conn_close_after_flush(struct conn *c);
/* Sends a notice of disconnection (RFC 4511 4.4.1) and closes. */
void	conn_disconnect(struct conn *c, int rc, const char *text);
/* Starts TLS on a plain connection after the response was queued. */
int	conn_start_tls(struct conn *c);
/* Current identity; *ndn caller-freed (NULL when anonymous). */
void	conn_identity(struct conn *c, char **ndn, bool *admin);
void	conn_set_identity(struct conn *c, const char *ndn, bool admin);

/* op.c: one request from decoding to its result */

struct op {
	struct conn	*conn;
	struct op	*next;		/* conn->ops list */
	struct op	*held_next;	/* conn->held list */
	bool		 limit;		/* over the connection's limit */
	int		 num;		/* op=N in logs */
	ber_int_t	 msgid;
	ber_tag_t	 tag;
	BerElement	*ber;		/* positioned at the request body */
	struct berval	 pdu;		/* owned copy of the whole message */
	_Atomic bool	 abandoned;
	/* controls */
	bool		 paged;
	ber_int_t	 page_size;
	struct berval	 cookie;	/* owned (ber_memfree) */
	struct berval	 pull;		/* replication pull control value,
					 * owned (ber_memfree); bv_val NULL if absent */
	struct berval	 pull_direct;	/* the consumer's direct partners
					 * (relay.c), owned; NULL if absent */
	char		*bind_ndn;	/* identity when the op started */
	bool		 admin;
	struct berval	 out;		/* search entries not sent yet (sent
					 * with the next one or the result) */
	size_t		 out_cap;
	/* An op whose client's output is over the bound saves its position
	 * and sets cont: it is parked and cont(o) later runs on a worker.
	 * cont owns cont_arg; when o->abandoned it only frees it (it may then
	 * run on the loop thread, after storage closed). */
	void		(*cont)(struct op *);
	void		*cont_arg;
	struct op	*parked_next;	/* conn->parked list */
	bool		 unflushed;	/* committed a change not yet on disk:
					 * its answer waits for the flush */
	bool		 on_loop;	/* running on its connection's event
					 * loop: a search yields to a worker
					 * after OP_LOOP_BUDGET candidates */
};

/* Candidates a search examines on the event loop before it goes on on a
 * worker: a short read answers without a hand-off, a long one does not
 * hold up the loop's other connections. */
#define OP_LOOP_BUDGET	64

/* Decodes one framed message and runs it; takes ownership of pdu. */
void	op_dispatch(struct conn *c, void *pdu, size_t len);
/* A bind's answer is about to leave: later requests need not wait for
 * the rest of it (RFC 4511 4.2.1 holds only those already waiting). */
void	op_bind_answered(struct op *o);
/* Queues a parked op to continue on a worker of its pool. */
void	op_resume(struct op *o);
void	op_free(struct op *o);
/* Handlers: return nothing; each sends its own result. */
void	op_bind(struct op *o);
void	op_search(struct op *o);
void	op_add(struct op *o);
void	op_modify(struct op *o);
void	op_delete(struct op *o);
void	op_modrdn(struct op *o);
void	op_compare(struct op *o);
void	op_extended(struct op *o);
/* Purges old tombstones (a workq job). */
void	delete_purge(void *unused);
/* Deletes the leaf ndn in t as the delete operation does (it becomes a
 * tombstone, so the delete replicates). LDAP code with d set. */
int	delete_entry(struct be_txn *t, const char *ndn, struct diag *d);

/* op_bind.c */

/* Checks a simple bind's name (DN, UPN or account name) and password as
 * an LDAP bind does, failures counted and locked out the same way; peer
 * ("addr:port") is whom they count against, ctx names the request in the
 * log. On LDAP_SUCCESS *ndn (caller frees) and *admin are set;
 * LDAP_INVALID_CREDENTIALS for a wrong or locked account. */
int	bind_password(const char *name, const struct berval *cred,
	    const char *peer, const char *ctx, char **ndn, bool *admin);

/* result.c: encoding of responses (only this file and conn.c write) */

/* The one LDAPResult encoder: an LDAPMessage opened with messageID, the
 * response tag and the LDAPResult fields. The caller appends the
 * response's own fields and closes with "N}" (+ controls) "N}". Caller
 * frees (ber_free(ber, 1)); NULL without memory. */
BerElement *result_ber(ber_int_t msgid, ber_tag_t tag, int rc,
	    const char *matched, const char *text);
/* LDAPResult with tag (e.g. LDAP_RES_SEARCH_RESULT). */
void	result_send(struct op *o, ber_tag_t tag, const struct diag *d);
/* Convenience: result_send with rc and a message. */
void	result_error(struct op *o, ber_tag_t tag, int rc, const char *text);
/* SearchResultDone carrying a paged-results control with the cookie. */
void	result_search_done(struct op *o, const struct diag *d,
	    const struct berval *cookie);
/* SearchResultDone with one response control (none if oid is NULL). */
void	result_search_done_control(struct op *o, const struct diag *d,
	    const char *oid, const struct berval *value);
/* SearchResultEntry; the attributes already selected. 0, CONN_FULL (sent;
 * the op should park before the next one), or -1 if the connection is
 * gone. */
int	result_entry(struct op *o, const struct entry *e, bool types_only);
/* ExtendedResponse with optional name and value. */
void	result_extended(struct op *o, const struct diag *d, const char *oid,
	    const struct berval *value);
/* BindResponse. */
void	result_bind(struct op *o, const struct diag *d);
/* The tag of the response to a request tag. */
ber_tag_t result_tag(ber_tag_t req);

/* durable.c: answers to writes, sent once the log is flushed */

int	durable_start(void);
/* Sends msg (the final answer to request msgid, whose response tag is
 * tag) once every commit so far is on disk; 0 or -1. With c NULL, only
 * has the log flushed soon. */
int	durable_send(struct conn *c, const struct berval *msg, ber_int_t msgid,
	    ber_tag_t tag);
/* True when no answer waits. */
bool	durable_idle(void);
void	durable_stop(void);

/* cache.c: the Berkeley DB cache's size, fixed or grown with the data */
struct be_config;
/* Sets bc's cache sizes from the settings and the data in bc->dir. */
void	cache_plan(struct be_config *bc);
/* Logs the size chosen (after be_open). */
void	cache_log(void);
/* The timer that grows an automatic cache (main loop). */
int	cache_start(void);
void	cache_stop(void);

/* loops.c: the event loops of the client connections (srv->base keeps
 * the listeners, signals and timers) */
int	loops_start(int n);
/* The loop for a new connection, in turn (an xport_base_fn). */
struct event_base *loops_pick(void *arg);
/* Ends every loop and joins its thread (their connections stay). */
void	loops_stop(void);
void	loops_free(void);

/* workq.c: worker threads that run operations off the event loop */

int	workq_start(int threads);
/* Queues fn(arg); -1 if the queue is full (caller answers busy). Without
 * worker threads (workq_start not called) fn runs at once. */
int	workq_push(void (*fn)(void *), void *arg);
/* Same on the replication pool (pull requests, which may wait long). */
int	workq_push_repl(void (*fn)(void *), void *arg);
/* Queues fn(arg) for an op admitted before (a parked one continuing) on
 * the replication pool or the operations pool: a full queue does not
 * refuse it. -1 only without memory or once the pools stopped. */
int	workq_requeue(void (*fn)(void *), void *arg, bool repl);
/* True when nothing is queued or running. */
bool	workq_idle(void);
void	workq_stop(void);

/* acl.c */

enum acl_right { ACL_READ, ACL_WRITE };
/* LDAP_SUCCESS or LDAP_INSUFFICIENT_ACCESS with a diagnostic. */
int	acl_check(const struct op *o, const char *ndn, enum acl_right r,
	    struct diag *d);
/* True if the attribute may be returned to this requester. */
bool	acl_attr_visible(const struct op *o, const struct at_def *at);
/* True if ndn is a member of the Administrators group (txn borrowed). */
bool	acl_is_admin(struct be_txn *t, const char *ndn);
/* True if ndn is a member of the group gndn. */
bool	acl_is_member(struct be_txn *t, const char *gndn, const char *ndn);

/* policy.c: the password and lockout policy entry */

struct policy {
	int	min_length;		/* characters, 8 */
	int	max_length;		/* 20; 0 = no limit */
	int	min_special;		/* 1 */
	int	min_numeric;		/* 1 */
	int	min_upper;		/* 1 */
	int	min_lower;		/* 1 */
	int	max_failures;		/* failed binds that lock, 5; 0 = never */
	int	failure_interval;	/* seconds they count together, 180 */
	int	unlock_interval;	/* seconds locked, 300; 0 = until restart */
};

#define POLICY_RDN	"cn=password and lockout policy"

void	policy_defaults(struct policy *p);
/* The settings of the policy entry e (defaults where it has none). */
void	policy_from_entry(const struct entry *e, struct policy *p);
/* Reads the policy entry in t; defaults when it is absent. LDAP code
 * (BE_RETRY passes through). */
int	policy_read(struct be_txn *t, struct policy *p);
/* Same in a read transaction of its own; the defaults if storage fails. */
void	policy_load(struct policy *p);
/* LDAP_SUCCESS, or LDAP_CONSTRAINT_VIOLATION with a diagnostic naming the
 * rule a new password breaks. */
int	policy_check_password(const struct policy *p, const char *pw,
	    size_t len, struct diag *d);

/* lockout.c: failed binds, counted in memory on this node only */

/* True while key (see op_bind.c) is locked under policy p. */
bool	lockout_locked(const char *key, const struct policy *p);
/* Counts one failed bind (key NULL: an unknown account, only counted);
 * true if this one locked key. */
bool	lockout_fail(const char *key, const struct policy *p);
/* Forgets key's failures (after a successful bind). */
void	lockout_clear(const char *key);
/* Forgets every record of the account ndn, whatever the source (its
 * password was changed). */
void	lockout_forget(const char *ndn);
/* Replaces the clock (seconds, monotonic) for tests; NULL restores it. */
void	lockout_set_clock(time_t (*fn)(void));

/* pwd.c */

/* A salted hash of pw ("{PBKDF2-SHA512}iter$salt$hash"); caller frees. */
char	*pwd_hash(const char *pw, size_t len);
/* True if pw matches the stored value (hashed, or plain for legacy). */
bool	pwd_verify(const char *stored, const char *pw, size_t len);
/* A random password that satisfies policy p (the defaults if NULL);
 * caller frees (after wiping it). */
char	*pwd_generate(const struct policy *p);
/* Wipes every value of a ber_bvarray, then frees it; accepts NULL. */
void	pwd_wipe_bvarray(struct berval *vals);

/* write.c: the common path of every change */

/* Fills the operational attributes of a new entry (objectGUID unless
 * present, uSNCreated/uSNChanged, timestamps, creator/modifier, metadata)
 * with a fresh USN from t. who is the creator's DN ("" for the server). */
int	write_stamp_add(struct be_txn *t, struct entry *e, const char *who,
	    struct diag *d);
/* Same for a changed entry: bumps the metadata of every attribute whose
 * values differ between old and nw. */
int	write_stamp_modify(struct be_txn *t, const struct entry *old,
	    struct entry *nw, const char *who, struct diag *d);
/* The metadata part of write_stamp_modify: an originating change (USN
 * usn, now) for the name if it moved and for every attribute whose values
 * differ between old and nw. 0 or -1 (no memory). */
int	write_stamp_diff(const struct entry *old, struct entry *nw, uint64_t usn);
/* Records an originating change of attr (version + 1, this node's
 * invocation, usn, now) in e's metadata. 0 or -1 (no memory). */
int	write_meta_originate(struct entry *e, const char *attr, uint64_t usn);
/* Adds e below its parent: checks the parent exists, schema, stamps,
 * stores. Used by the add operation and by initialisation. */
int	write_add(struct be_txn *t, struct entry *e, const char *who,
	    struct diag *d);
/* Adds the superclasses of e's object classes to it; -1 if no memory. */
int	write_expand_oc(struct entry *e);
/* Fills in the schema type of every attribute that lacks it. */
void	write_resolve(struct entry *e);
/* After old was renamed to nw (same id), gives every descendant its new
 * DN (their own changes are not stamped: the parent's name is). */
int	write_rename_subtree(struct be_txn *t, const struct entry *old,
	    const struct entry *nw);
/* Number of RDNs of a DN. */
int	dn_depth(const char *dn);
/* Sets d->matched to the nearest existing ancestor of ndn. */
void	write_matched(struct be_txn *t, const char *ndn, struct diag *d);
/* May this operation change ndn (access rights, node state)? */
int	write_check(const struct op *o, const char *ndn, struct diag *d);
/* Resolves a client-supplied attribute name; refuses unknown and
 * server-maintained ones. */
int	write_user_attr(const char *name, const struct at_def **at,
	    struct diag *d);
/* Checks a new clear-text password (malloc'd) against the policy and
 * replaces it by its hash. The clear text is wiped whatever the result. */
int	write_password(struct berval *v, struct diag *d);
/* Runs fn in a write transaction, again on deadlock; on LDAP_SUCCESS the
 * change is durable. */
int	write_txn(int (*fn)(struct be_txn *, void *, struct diag *), void *arg,
	    struct diag *d);
/* Same, without waiting for the disk (be_commit_nosync): on LDAP_SUCCESS
 * the caller hands its answer to durable_send, or asks it to flush. */
int	write_txn_nosync(int (*fn)(struct be_txn *, void *, struct diag *),
	    void *arg, struct diag *d);
/* write_txn_nosync for a client's operation: on LDAP_SUCCESS sets
 * o->unflushed, and the op's result then leaves through the log flusher
 * (result.c), or op.c flushes if no result was sent. */
int	write_txn_op(struct op *o, int (*fn)(struct be_txn *, void *,
	    struct diag *), void *arg, struct diag *d);

/* Trellis' own protocol elements. */
#define OID_TRELLIS_ADMIN	"1.3.6.1.4.1.6876.40.10.4.1"	/* extended op */
#define OID_TRELLIS_PULL	"1.3.6.1.4.1.6876.40.10.3.1"	/* control */
#define OID_TRELLIS_PULL_DIRECT	"1.3.6.1.4.1.6876.40.10.3.2"	/* control */

/* repl/ (linked into vmdird) */

/* Wakes every consumer for a cycle now. */
void	repl_kick(void);
/* Called after every committed write: wakes waiting suppliers. */
void	repl_notify(void);
/* Answers a search that carries the pull control (the request body was
 * read already). */
void	repl_supply(struct op *o);
/* Starts and stops the consumers (one thread per agreement). */
int	repl_start(void);
void	repl_stop(void);
/* Merges one replicated entry into storage (in t). */
int	repl_apply_entry(struct be_txn *t, struct entry *in, struct diag *d);
/* True if ndn may pull changes (administrators and machine accounts). */
bool	repl_may_pull(const struct op *o);

/* stats.c: every counter of the node (since start), in one place */

enum stats_op {
	STATS_BIND, STATS_UNBIND, STATS_SEARCH, STATS_MODIFY, STATS_ADD,
	STATS_DELETE, STATS_MODRDN, STATS_COMPARE, STATS_ABANDON, STATS_EXTENDED,
	STATS_OP_MAX
};

#define STATS_HTTP_CODES	600

struct stats {
	uint64_t	 ops[STATS_OP_MAX];	/* requests received */
	uint64_t	 results[128];		/* results sent, by code */
	uint64_t	 conns;			/* open now */
	uint64_t	 conns_total;		/* accepted */
	uint64_t	 bytes_in, bytes_out;	/* LDAP messages */
	uint64_t	 entries_out;		/* search entries sent */
	uint64_t	 bind_failures, lockouts;
	uint64_t	 loop_reads;		/* answered on an event loop */
	uint64_t	 loop_handoffs;		/* of those, gone on on a worker */
	uint64_t	 http[STATS_HTTP_CODES];	/* HTTP answers by status */
	/* replication, this node as the supplier (repl/supply.c) */
	uint64_t	 supply_answers;	/* pulls answered */
	uint64_t	 supply_entries;	/* entries sent in them */
	uint64_t	 supply_dampened;	/* wake-ups with nothing to send
						 * that kept the pull waiting */
	uint64_t	 supply_held;		/* waiting pulls that held changes
						 * relayed from direct partners */
	uint64_t	 supply_waiting;	/* pulls waiting now */
};

/* One replication agreement, by its supplier's URI. */
struct stats_repl {
	char			 uri[512];
	time_t			 last_success;	/* 0: never */
	time_t			 last_error;	/* 0: never */
	char			 error[256];	/* the last error's text */
	uint64_t		 backlog;	/* supplier USNs not processed yet */
	uint64_t		 pulls;		/* successful pulls */
	uint64_t		 applied;	/* entries applied */
	uint64_t		 failures;	/* failed cycles */
	char			 inv[64];	/* the supplier's invocationId, "" */
	bool			 healthy;	/* its last cycle succeeded */
	struct stats_repl	*next;
};

/* "search", "modrdn", ... */
const char *stats_op_name(enum stats_op op);
/* A request of this protocol tag arrived (other tags are not counted). */
void	stats_request(ber_tag_t tag);
/* A response carrying an LDAPResult with code rc was sent. */
void	stats_result(int rc);
void	stats_conn_open(void);
void	stats_conn_close(void);
void	stats_bytes_in(size_t n);
void	stats_bytes_out(size_t n);
void	stats_entry_sent(void);
/* A read ran on its event loop; one went on on a worker past the budget. */
void	stats_loop_read(void);
void	stats_loop_handoff(void);
void	stats_bind_failure(void);
void	stats_lockout(void);
/* An HTTP answer with this status was sent. */
void	stats_http(int status);
/* A pull was answered (SearchResultDone with the pull control) after
 * sending entries. */
void	stats_supply_answered(size_t entries);
/* A waiting pull woke to changes its consumer had all of and waits on. */
void	stats_supply_dampened(void);
/* A waiting pull started holding relayed changes back (relay.c). */
void	stats_supply_held(void);
/* A pull starts (+1) or stops (-1) waiting for changes. */
void	stats_supply_waiting(int delta);
/* A consistent-enough copy of the counters (each read atomically). */
void	stats_snapshot(struct stats *s);
/* An agreement's cycle succeeded: applied entries, backlog left. */
void	stats_repl_success(const char *uri, size_t applied, uint64_t backlog);
/* An agreement's cycle failed with text. */
void	stats_repl_error(const char *uri, const char *text);
/* The supplier of the agreement is incarnation inv. */
void	stats_repl_partner(const char *uri, const char *inv);
/* The invocationIds of the suppliers this node pulls from, other than
 * except's, whose last cycle succeeded: at most max, in out[][64]. */
size_t	stats_repl_direct(const char *except, char (*out)[64], size_t max);
/* The agreement is gone. */
void	stats_repl_forget(const char *uri);
/* Copies of every agreement's record: *out caller-frees (an array of *n,
 * next pointers NULL). 0 or -1 without memory. */
int	stats_repl_snapshot(struct stats_repl **out, size_t *n);

/* lookup.c: lookup-service registrations, as the JSON objects of the
 * HTTP API (README), stored as directory entries */

struct json_t;

/* What a list asks for; NULL members match anything (case-insensitive). */
struct lookup_filter {
	const char	*id, *type, *product, *ep_type, *node_id;
};

/* Every registration matching f, sorted by serviceId: *out is a JSON
 * array (caller decrefs). LDAP code. */
int	lookup_list(const struct lookup_filter *f, struct json_t **out);
/* The number of registrations. */
int	lookup_count(size_t *n);
/* Stores reg, complete and checked (every member of the API present,
 * serviceId set), as who. LDAP_ALREADY_EXISTS if its serviceId is taken,
 * LDAP_CONSTRAINT_VIOLATION for an unknown site. */
int	lookup_add(const struct json_t *reg, const char *who, struct diag *d);
/* Makes the registration id what reg says (same site). */
int	lookup_replace(const char *id, const struct json_t *reg, const char *who,
	    struct diag *d);
/* Deletes the registration id with its endpoints and attributes. */
int	lookup_remove(const char *id, const char *who, struct diag *d);

/* http.c: the HTTP side port (lookup service, /health, /metrics) */

/* One request, complete, as a handler sees it (on a worker thread). */
struct http_req {
	uint64_t	 id;		/* http=N in logs */
	char		 peer[64];	/* "addr:port" */
	char		 method[8];
	char		*path;		/* as sent, without the query */
	char		*query;		/* after '?', NULL if none */
	char		*auth;		/* the Authorization header, or NULL */
	char		*body;		/* NUL-terminated (not counted) */
	size_t		 bodylen;
};

/* Its answer, filled by the handler. */
struct http_resp {
	int		 status;
	const char	*ctype;		/* static */
	char		*body;		/* owned */
	size_t		 len;
	char		 extra[256];	/* more header lines, each "\r\n"-ended */
};

/* Opens http_port and https_port on every listen address. 0 or -1 with
 * a log. */
int	http_listen(void);
/* Stops accepting (shutdown begins). */
void	http_stop_listening(void);
/* Closes every HTTP connection and listener (loop thread, after the
 * loop ended and the workers stopped). */
void	http_shutdown(void);
/* Sets the answer: status with body (taken over) of type ctype. */
void	http_reply(struct http_resp *r, int status, const char *ctype,
	    char *body, size_t len);
/* Sets a JSON answer; takes the reference to j (NULL: 500). */
void	http_json(struct http_resp *r, int status, struct json_t *j);
/* Sets {"error":{"code":status,"message":...}}. */
void	http_error(struct http_resp *r, int status, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* The next "key=value" pair of a query string *q (advanced past it),
 * percent-decoded into key and val: 1, 0 at the end, -1 if malformed
 * (a bad escape, an embedded NUL, too long). */
int	http_query_next(const char **q, char *key, size_t klen, char *val,
	    size_t vlen);
/* Percent-decodes in[0..len) into out; -1 if malformed or too long. */
int	http_unescape(const char *in, size_t len, char *out, size_t outlen);
/* HTTP Basic as an administrator (UPN, account name or DN): true with
 * *ndn set (caller frees); false with the answer set (401, or 403 for a
 * valid user who is not an administrator). Failures count as failed
 * binds and lock out as they do. */
bool	http_admin(const struct http_req *q, struct http_resp *r, char **ndn);

/* http_health.c */

/* GET /health: state, USN, invocation and every partner, as JSON. */
void	http_health(const struct http_req *q, struct http_resp *r);

/* http_metrics.c */

/* GET /metrics: the counters in the Prometheus text format 0.0.4. */
void	http_metrics(const struct http_req *q, struct http_resp *r);

/* http_lookup.c: /lookupservice/sdk */

void	http_lookup_list(const struct http_req *q, struct http_resp *r);
void	http_lookup_get(const struct http_req *q, struct http_resp *r);
void	http_lookup_register(const struct http_req *q, struct http_resp *r);
void	http_lookup_update(const struct http_req *q, struct http_resp *r);
void	http_lookup_delete(const struct http_req *q, struct http_resp *r);

/* monitor.c: the cn=monitor entries, built from stats.c on each read */

#define MONITOR_NDN	"cn=monitor"
/* The entries under (and including) cn=monitor that a search of base
 * ndn with scope sees: *out caller-frees with monitor_free. LDAP code
 * (noSuchObject for a base that is not there). */
int	monitor_entries(const char *ndn, int scope, struct entry ***out,
	    size_t *n);
void	monitor_free(struct entry **v, size_t n);

/* state.c */

const char *state_name(int st);
int	state_parse(const char *s);	/* -1 if unknown */
/* Reads the persisted state into srv->state. */
int	state_load(void);
/* Persists and applies a new state. */
int	state_set(int st, struct diag *d);

/* rootdse.c */

/* Caller frees. Administrators also see this node's bind counters
 * (vmwBindFailures, vmwAccountLockouts). */
struct entry *rootdse_entry(bool admin);

/* init.c */

/* Fills srv's suffix and well-known DNs from the settings. */
int	init_names(void);
/* Frees them (and leaves them NULL). */
void	init_free_names(void);
/* Creates the domain layout in a new data directory. */
int	init_domain(const char *password, struct diag *d);
/* Writes the machine account's password into the data directory. */
int	init_save_machine_pw(const char *pw);
/* The first line of file path (a password), caller frees (and wipes);
 * NULL if it cannot be read. The stack copy is wiped. */
char	*init_read_secret(const char *path);
/* The machine-account password init_save_machine_pw stored; as above. */
char	*init_read_machine_pw(void);

/* join.c */

/* Registers this node with the domain of the partner at uri (as its
 * administrator) and prepares the local data directory; myuri is how
 * partners reach this node. */
int	join_domain(const char *uri, const char *admin_pw, const char *myuri,
	    struct diag *d);

#endif /* VMDIR_SERVER_H */
