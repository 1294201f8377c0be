/*
 * xdsd: the xdsnode daemon.
 *
 *	xdsd [-fnv] [-c file] [-C section.key=value]...
 *
 * Reads the configuration (the embedded default when there is no -c),
 * checks it completely, opens the state directory and the actors
 * (wire.c), and serves until SIGTERM or SIGINT, then stops gracefully:
 * no new connections, current requests finish.  SIGHUP reloads the TLS
 * files (reload.c).
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <curl/curl.h>
#include <openssl/ssl.h>

#include "audit.h"
#include "audit_keep.h"
#include "audit_send.h"
#include "bridge.h"
#include "bridge_access.h"
#include "push.h"
#include "buf.h"
#include "conf.h"
#include "curl_lazy.h"
#include "directory.h"
#include "feedlisten.h"
#include "fileio.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "nodestatus.h"
#include "notify.h"
#include "pki.h"
#include "ports.h"
#include "reload.h"
#include "router.h"
#include "space.h"
#include "status.h"
#include "str.h"
#include "tls.h"
#include "vocab.h"
#include "wire.h"
#include "xact.h"
#include "xml.h"

/* What the command line asks for. */
struct args {
	const char	*cfile;		/* -c, or NULL: the embedded default */
	char		**overrides;	/* -C section.key=value */
	int		 noverrides;
	int		 foreground;	/* -f */
	int		 check;		/* -n */
	int		 verbose;	/* -v */
};

static struct http_server *server;

static void
usage(void)
{
	fprintf(stderr, "usage: xdsd [-fnv] [-c file] [-C section.key=value]...\n"
	    "       xdsd -E\n"
	    "  -E  print an example configuration (every option at its "
	    "default) and exit\n"
	    "  -f  stay in the foreground (log to stderr)\n"
	    "  -n  check the configuration and exit\n"
	    "  -v  print the effective configuration (with -n) or log debug\n"
	    "  -c  configuration file (default: the embedded default)\n"
	    "  -C  override one option, e.g. -C http.listen=127.0.0.1:18080\n");
	exit(2);
}

static void
args_parse(int argc, char **argv, struct args *a)
{
	int ch;

	memset(a, 0, sizeof *a);
	if ((a->overrides = calloc((size_t)argc, sizeof *a->overrides)) ==
	    NULL) {
		fprintf(stderr, "xdsd: out of memory\n");
		exit(1);
	}
	while ((ch = getopt(argc, argv, "c:C:Efhnv")) != -1) {
		switch (ch) {
		case 'E':
			conf_example(stdout);
			exit(fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1);
		case 'c': a->cfile = optarg; break;
		case 'C': a->overrides[a->noverrides++] = optarg; break;
		case 'f': a->foreground = 1; break;
		case 'n': a->check = 1; break;
		case 'v': a->verbose = 1; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
}

/*
 * The configuration: defaults, the file, the overrides, the checks of
 * every value and their combinations, the community directory, the
 * CRLs (*crls, NULL without http.crl) and the TLS files (*tls: a server
 * context, or NULL without http.tls).  0, or -1 after saying why.
 */
static int
config_read(const struct args *a, struct conf *c, SSL_CTX **tls,
    struct pki_crls **crls)
{
	struct bridge_access peers;
	struct directory *dir;
	char err[512];
	int i;

	*tls = NULL;
	*crls = NULL;
	conf_defaults(c);
	if (a->cfile != NULL && conf_load_file(c, a->cfile, err,
	    sizeof err) != 0) {
		fprintf(stderr, "xdsd: %s\n", err);
		return -1;
	}
	for (i = 0; i < a->noverrides; i++)
		if (conf_set_kv(c, a->overrides[i], err, sizeof err) != 0) {
			fprintf(stderr, "xdsd: -C %s\n", err);
			return -1;
		}
	if (conf_check(c, err, sizeof err) != 0) {
		fprintf(stderr, "xdsd: %s%s%s\n", a->cfile ? a->cfile : "",
		    a->cfile ? ": " : "", err);
		return -1;
	}
	/* The community directory is read now so that a bad line of it
	 * stops xdsd -n too. */
	if (dir_open(c, &dir, err, sizeof err) != XDS_OK) {
		fprintf(stderr, "xdsd: directory: %s\n", err);
		return -1;
	}
	dir_close(dir);
	if (c->dicom_enabled && bridge_access_parse(c->dicom_allowed_peers,
	    &peers, err, sizeof err) != XDS_OK) {
		fprintf(stderr, "xdsd: dicom.allowed_peers: %s\n", err);
		return -1;
	}
	if (c->http_crl[0] != '\0' && pki_crls_load(c->http_crl, crls, err,
	    sizeof err) != XDS_OK) {
		fprintf(stderr, "xdsd: http.crl: %s\n", err);
		return -1;
	}
	if (c->http_tls && (*tls = tls_server_ctx(c->http_cert, c->http_key,
	    c->http_ca, *crls, err, sizeof err)) == NULL) {
		pki_crls_free(*crls);
		*crls = NULL;
		fprintf(stderr, "xdsd: TLS: %s\n", err);
		return -1;
	}
	return 0;
}

/*
 * The state directory holds patient data: whatever the node creates is
 * its own only (umask 077: files 0600, directories 0700), and a state
 * directory made looser by hand or by an older version is tightened at
 * start-up, saying so.  Its directories being 0700 keeps everything
 * below them private, whatever their files' own modes.
 */
static void
state_private(const char *dir)
{
	char err[512];
	int n;

	umask(077);
	if (fileio_mkdir_p(dir, 0700, err, sizeof err) != XDS_OK ||
	    fileio_make_private(dir, &n, err, sizeof err) != XDS_OK)
		fatalx("state directory: %s", err);
	if (n > 0)
		log_warnx("state directory %s: %d modes that let others read "
		    "patient data made private (0700 directories, 0600 "
		    "files)", dir, n);
}

/*
 * Every closed transaction: one audit record, then the metrics.  A
 * record that could not be written is not counted: its caller refuses
 * the transaction and records the refusal instead.
 */
static int
xact_done(const struct xact *x)
{
	int rc;

	if ((rc = audit_write(x)) != 0) {
		log_error("audit: the record of a %s request at %s could not "
		    "be written: %s", x->txn, x->endpoint, xds_strstatus(rc));
		return rc;
	}
	metrics_count(x->txn, x->outcome, xact_elapsed(x));
	return 0;
}

/* The access log's counters for GET /metrics. */
static int
audit_metrics(void *arg, struct buf *out)
{
	struct audit_stats st;

	(void)arg;
	audit_stats(&st);
	return buf_addf(out,
	    "# HELP xds_audit_records_total Access log records by result.\n"
	    "# TYPE xds_audit_records_total counter\n"
	    "xds_audit_records_total{result=\"written\"} %llu\n"
	    "xds_audit_records_total{result=\"failed\"} %llu\n"
	    "# HELP xds_audit_torn_cut_total Torn records cut from the end "
	    "of an access log file when it was opened.\n"
	    "# TYPE xds_audit_torn_cut_total counter\n"
	    "xds_audit_torn_cut_total %llu\n"
	    "# HELP xds_audit_refused_total Requests refused (503) because "
	    "the access log could not take their record.\n"
	    "# TYPE xds_audit_refused_total counter\n"
	    "xds_audit_refused_total %llu\n",
	    st.written, st.failed, st.torn_cut, router_refused_unaudited());
}

/* The ATNA sender's counters for GET /metrics. */
static int
atna_metrics(void *arg, struct buf *out)
{
	struct audit_send_stats st;

	(void)arg;
	audit_send_stats(&st);
	return buf_addf(out,
	    "# HELP xds_audit_atna_queued Access log records not yet passed "
	    "to the audit record repository.\n"
	    "# TYPE xds_audit_atna_queued gauge\n"
	    "xds_audit_atna_queued %llu\n"
	    "# HELP xds_audit_atna_total ATNA messages sent, and connections "
	    "or sends that failed (their messages are sent again).\n"
	    "# TYPE xds_audit_atna_total counter\n"
	    "xds_audit_atna_total{result=\"sent\"} %llu\n"
	    "xds_audit_atna_total{result=\"failed\"} %llu\n"
	    "# HELP xds_audit_atna_days_total Days of the access log the "
	    "sender caught up on that were compressed (read from their .gz) "
	    "or gone (removed: their unsent records skipped).\n"
	    "# TYPE xds_audit_atna_days_total counter\n"
	    "xds_audit_atna_days_total{form=\"compressed\"} %llu\n"
	    "xds_audit_atna_days_total{form=\"gone\"} %llu\n"
	    "# HELP xds_audit_atna_unreadable_total Attempts to read a day of "
	    "the access log that is there but cannot be read (the sender "
	    "waits for it).\n"
	    "# TYPE xds_audit_atna_unreadable_total counter\n"
	    "xds_audit_atna_unreadable_total %llu\n",
	    st.queued, st.sent, st.failed, st.days_compressed, st.days_gone,
	    st.unreadable);
}

/*
 * The access log's past days compressed, and removed after
 * audit.retention_days: after the ATNA sender started, whose cursor says
 * what it still needs.
 */
static void
keep_start(const struct conf *c)
{
	struct audit_keep_opts o = {
		.retention_days = (int)c->audit_retention_days,
		.atna = c->audit_syslog_url[0] != '\0',
	};
	char err[512];

	if (audit_keep_start(c->node_state_dir, &o, err, sizeof err) != 0)
		fatalx("access log: %s", err);
}

/* ATNA messages to audit.syslog_url, when set; fatal on failure. */
static void
atna_start(const struct conf *c)
{
	struct audit_send_opts o;
	char host[256], err[512];

	if (c->audit_syslog_url[0] == '\0')
		return;
	if (gethostname(host, sizeof host) != 0)
		str_lcpy(host, "-", sizeof host);
	host[sizeof host - 1] = '\0';
	memset(&o, 0, sizeof o);
	o.url = c->audit_syslog_url;
	o.cert = c->http_cert;
	o.key = c->http_key;
	o.ca = c->http_ca;
	o.retry_max_ms = c->audit_syslog_retry_max * 1000;
	o.site.source_id = c->audit_source_id[0] ? c->audit_source_id : host;
	o.site.host = host;
	o.site.home_community_id = c->node_home_community_id;
	o.site.repository_uid = c->repository_enabled ?
	    c->repository_unique_id : "";
	o.site.pid = (long)getpid();
	if (audit_send_start(c->node_state_dir, &o, err, sizeof err) != 0)
		fatalx("audit.syslog_url: %s", err);
	metrics_add_source(atna_metrics, NULL);
}

/* GET /metrics: what the HTTP server parks and refuses. */
static int
server_metrics(void *arg, struct buf *out)
{
	struct http_server_stats st;
	int i, rc;

	http_server_stats(arg, &st);
	rc = buf_addf(out, "# HELP xds_http_connections Connections open, "
	    "and parked in the event loop (idle, handshake, head).\n"
	    "# TYPE xds_http_connections gauge\n"
	    "xds_http_connections{state=\"open\"} %zu\n"
	    "xds_http_connections{state=\"parked\"} %zu\n"
	    "# HELP xds_http_queue Complete request heads waiting for a "
	    "worker.\n# TYPE xds_http_queue gauge\nxds_http_queue %zu\n"
	    "# HELP xds_http_refused_total Connections and requests the HTTP "
	    "server refused or cut off, by reason.\n"
	    "# TYPE xds_http_refused_total counter\n",
	    st.open, st.parked, st.waiting);
	for (i = 0; i < HTTP_REFUSE_NREASONS; i++)
		rc |= buf_addf(out, "xds_http_refused_total{reason=\"%s\"} "
		    "%llu\n", http_refuse_name(i), st.refused[i]);
	rc |= buf_addf(out, "# HELP xds_http_refusals_unaudited_total "
	    "Refusals not audited because the reporter fell behind.\n"
	    "# TYPE xds_http_refusals_unaudited_total counter\n"
	    "xds_http_refusals_unaudited_total %llu\n", st.unreported);
	return rc == XDS_OK ? XDS_OK : XDS_ETOOBIG;
}

/* Submissions and C-STOREs refused by the disk-space guard. */
static int
space_metrics(void *arg, struct buf *out)
{
	(void)arg;
	return buf_addf(out, "# HELP xds_space_refusals_total Submissions and "
	    "C-STOREs refused because the state directory's file system had "
	    "less than node.min_free_space free.\n"
	    "# TYPE xds_space_refusals_total counter\n"
	    "xds_space_refusals_total %llu\n", space_refusals()) == XDS_OK ?
	    XDS_OK : XDS_ETOOBIG;
}

/* Room for http.max_connections descriptors besides the node's own. */
static void
nofile_raise(const struct conf *c)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)c->http_max_connections + 256;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ?
	    want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
		log_warnx("open files limited to %llu: http.max_connections "
		    "%lld may not be reached", (unsigned long long)rl.rlim_cur,
		    c->http_max_connections);
}

/* The HTTP(S) listener on http.listen, serving rt; fatal on failure. */
static struct http_server *
server_open(const struct conf *c, const char *host, int port, SSL_CTX *tls,
    struct router *rt)
{
	struct http_server_opts ho;
	struct http_server *s;
	char err[512];

	memset(&ho, 0, sizeof ho);
	ho.host = host;
	ho.port = port;
	ho.workers = (int)c->http_workers;
	ho.queue = (int)c->http_queue;
	ho.max_head = (size_t)c->http_max_head;
	ho.max_headers = (int)c->http_max_headers;
	ho.header_timeout = (int)c->http_header_timeout;
	ho.io_timeout = (int)c->http_io_timeout;
	ho.request_deadline = (int)c->http_request_deadline;
	ho.keepalive_timeout = (int)c->http_keepalive_timeout;
	ho.max_requests_per_conn = (int)c->http_max_requests_per_conn;
	ho.max_connections = (int)c->http_max_connections;
	ho.max_connections_per_peer = (int)c->http_max_connections_per_peer;
	ho.min_body_rate = c->http_min_body_rate == 0 ? -1 :
	    (int)c->http_min_body_rate;
	ho.tls = tls;
	ho.peer_name_oid = OID_UZI_OTHERNAME;
	ho.on_refuse = router_refused;
	nofile_raise(c);
	if ((s = http_server_new(&ho, router_handle, rt, err, sizeof err)) ==
	    NULL)
		fatalx("http.listen %s: %s", c->http_listen, err);
	metrics_add_source(server_metrics, s);
	if (!c->http_tls)
		log_warnx("plain HTTP without authentication on %s: for the "
		    "loopback demo only; set http.tls for mutual TLS",
		    c->http_listen);
	return s;
}

static void
on_signal(int sig)
{
	if (sig == SIGHUP) {
		reload_signal();
		return;
	}
	notify_send("STOPPING=1\nSTATUS=stopping: finishing the requests "
	    "in progress");
	if (server != NULL)
		http_server_stop(server);
}

/* Tell a service manager (systemd Type=notify) that the node serves:
 * every listener is bound and every actor open. */
/* The bridge tells the push sender of each new routed study
 * (push.route) while the sender runs; route_set(b, NULL) before
 * push_stop, so that no association thread wakes a stopped sender. */
static pthread_mutex_t route_mu = PTHREAD_MUTEX_INITIALIZER;
static struct push *route_push;		/* under route_mu */

static void
route_wake(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&route_mu);
	if (route_push != NULL)
		push_wake(route_push);
	pthread_mutex_unlock(&route_mu);
}

static void
route_set(struct bridge *b, struct push *p)
{
	pthread_mutex_lock(&route_mu);
	route_push = p;
	pthread_mutex_unlock(&route_mu);
	bridge_on_route(b, p != NULL ? route_wake : NULL, NULL);
}

static void
announce_ready(const struct conf *c, int port)
{
	char msg[CONF_STR_MAX + 128];

	str_fmt(msg, sizeof msg, "READY=1\nSTATUS=serving %s://%s (port %d)"
	    "%s%s", c->http_tls ? "https" : "http", c->http_listen, port,
	    c->dicom_enabled ? ", DICOM " : "", c->dicom_enabled ?
	    c->dicom_listen : "");
	notify_send(msg);
}

/* SIGTERM and SIGINT stop the server gracefully, SIGHUP reloads the TLS
 * files; SIGPIPE is ignored. */
static void
signals_set(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/*
 * glibc's malloc set for a server whose requests may be large: blocks of
 * 1 MiB and more are mapped and go back when freed (a fixed mmap
 * threshold, which also keeps the trim threshold from growing to 64 MiB
 * per arena), and the workers share at most XDSD_ARENAS arenas instead of
 * up to eight per core, each keeping what its largest request left.
 * soap_serve hands the rest back after a large request (malloc_trim).
 */
#define XDSD_ARENAS	4
static void
memory_policy(void)
{
#if defined(__GLIBC__)
	(void)mallopt(M_ARENA_MAX, XDSD_ARENAS);
	(void)mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
	(void)mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
#endif
}

int
main(int argc, char **argv)
{
	struct args a;
	struct conf conf;
	struct bridge *dicom = NULL;
	struct push *push = NULL;
	struct feedlisten *feed = NULL;
	struct wire node;
	SSL_CTX *tls;
	struct pki_crls *crls;
	char err[512], host[256];
	int port, rc;

	memory_policy();
	args_parse(argc, argv, &a);
	rc = config_read(&a, &conf, &tls, &crls);
	free(a.overrides);
	if (rc != 0)
		return 1;
	if (a.check) {
		if (a.verbose)
			conf_dump(&conf, stdout);
		SSL_CTX_free(tls);
		pki_crls_free(crls);
		/* the outbound requests' library, loaded on first use */
		if (curl_lazy_load(err, sizeof err) != 0) {
			fprintf(stderr, "xdsd: %s\n", err);
			return 1;
		}
		fprintf(stderr, "xdsd: configuration OK\n");
		return 0;
	}

	log_init("xdsd", !a.foreground || conf.node_syslog,
	    a.verbose ? LOG_LVL_DEBUG : log_level_parse(conf.node_log_level));
	if (notify_init(err, sizeof err) != 0)
		log_warnx("%s: the service manager is not told when the node "
		    "is ready", err);
	if (!a.foreground && daemon(1, 0) != 0)
		fatal("daemon");
	xml_init();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	state_private(conf.node_state_dir);
	if (audit_open(conf.node_state_dir, conf.audit_min_free, err,
	    sizeof err) != 0)
		fatalx("access log: %s", err);
	metrics_add_source(audit_metrics, NULL);
	metrics_add_source(space_metrics, NULL);
	atna_start(&conf);
	keep_start(&conf);
	ports_remove(conf.node_state_dir);	/* a crashed run's */
	xact_set_sink(xact_done);
	wire_open(&conf, &node);
	conf_split_hostport(conf.http_listen, host, sizeof host, &port);
	server = server_open(&conf, host, port, tls, node.rt);
	if (reload_start(&conf, server, tls, crls, err, sizeof err) != 0)
		fatalx("reload: %s", err);
	pki_crls_install(crls);		/* outbound requests: from now on */
	metrics_add_source(reload_metrics, NULL);
	signals_set();
	if (conf.dicom_enabled) {
		struct publish_links bl = { .repository = node.repository };

		if (bridge_start(&conf, &bl, &dicom, err, sizeof err) != 0)
			fatalx("dicom: %s", err);
		metrics_add_source(bridge_metrics_write, dicom);
		reload_dicom(bridge_scp(dicom));
		if (push_start(&conf, &push, err, sizeof err) != XDS_OK)
			fatalx("push: %s", err);
		route_set(dicom, push);
		metrics_add_source(push_metrics_write, push);
		reload_dicom(push_scp(push));
	}
	status_init(&conf, server, node.rt, node.gw, http_server_port(server),
	    dicom != NULL ? bridge_port(dicom) : 0);
	router_set_ready(node.rt, 1);
	if (conf.registry_feed_listen[0] != '\0' && node.reg != NULL &&
	    feedlisten_start(&conf, node.reg, crls, &feed, err,
	    sizeof err) != 0)
		fatalx("feed: %s", err);
	if (feed != NULL) {
		metrics_add_source(feedlisten_metrics, feed);
		status_feed(feed);
		reload_feed(feed);
	}
	ports_announce(&conf, host, http_server_port(server), dicom,
	    push_port(push), feed != NULL ? feedlisten_port(feed) : 0);
	announce_ready(&conf, http_server_port(server));

	rc = http_server_run(server) == 0 ? 0 : 1;
	reload_stop();
	route_set(dicom, NULL);
	push_stop(push);	/* current associations finish */
	bridge_stop(dicom);
	feedlisten_stop(feed);	/* the message in hand is answered */
	ports_remove(conf.node_state_dir);
	log_info("stopped");
	http_server_free(server);
	server = NULL;
	wire_close(&node);
	audit_keep_stop();
	audit_send_stop();
	audit_close();
	SSL_CTX_free(tls);
	pki_crls_install(NULL);
	curl_global_cleanup();
	return rc;
}
