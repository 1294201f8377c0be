/*
 * xdsd: the xdsnode daemon.
 *
 *	xdsd [-fnv] [-c file] [-C section.key=value]...
 *
 * Reads the configuration (the embedded default when there is no -c),
 * checks it completely, opens the state directory and the actors, and
 * serves until SIGTERM or SIGINT, then stops gracefully: no new
 * connections, current requests finish.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/ssl.h>

#include "audit.h"
#include "bridge.h"
#include "buf.h"
#include "conf.h"
#include "fileio.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "rad69.h"
#include "registry.h"
#include "repository.h"
#include "router.h"
#include "soap_peer.h"
#include "status.h"
#include "str.h"
#include "tls.h"
#include "xact.h"
#include "xml.h"

static struct http_server *server;

/* Every closed transaction: one audit record, then the metrics. */
static void
xact_done(const struct xact *x)
{
	if (audit_write(x) != 0)
		log_error("audit record lost for %s %s", x->txn, x->endpoint);
	metrics_count(x->txn, x->outcome, xact_elapsed(x));
}

static void
usage(void)
{
	fprintf(stderr, "usage: xdsd [-fnv] [-c file] [-C section.key=value]...\n"
	    "  -f  stay in the foreground (log to stderr)\n"
	    "  -n  check the configuration and exit\n"
	    "  -v  print the effective configuration (with -n) or log debug\n"
	    "  -c  configuration file (default: the embedded default)\n"
	    "  -C  override one option, e.g. -C http.listen=127.0.0.1:18080\n");
	exit(2);
}

static void
on_signal(int sig)
{
	(void)sig;
	if (server != NULL)
		http_server_stop(server);
}

/* The actors of this node and the peers they reach each other by. */
struct node {
	struct registry		*reg;
	struct repository	*repo;
	struct bridge_ids	*ids;
	struct router		*rt;
	struct soap_peer	*registry;	/* the repository's registry */
	struct soap_peer	*repository;	/* where RAD-68 goes */
};

/*
 * The peer an actor reaches another by: url (the value of option opt)
 * over SOAP with the node's TLS client identity, or, when url is empty,
 * local (an endpoint of this node, NULL when none runs here: *out is
 * NULL then).
 */
static int
peer_open(const struct conf *cf, const char *opt, const char *url,
    const struct soap_endpoint *local, struct soap_peer **out, char *err,
    size_t errlen)
{
	struct soap_peer_opts o;
	char e[CONF_STR_MAX + 64];

	*out = NULL;
	if (url[0] == '\0')
		return local == NULL ? 0 : soap_peer_local(out, local, NULL,
		    err, errlen);
	memset(&o, 0, sizeof o);
	if (cf->http_cert[0] != '\0') {
		o.cert = cf->http_cert;
		o.key = cf->http_key;
	}
	if (cf->http_ca[0] != '\0')
		o.ca = cf->http_ca;
	if (soap_peer_remote(out, url, &o, e, sizeof e) != XDS_OK) {
		str_fmt(err, errlen, "%s %s", opt, e);
		return -1;
	}
	return 0;
}

/* Open the actors, mount their endpoints and wire them to each other;
 * fatal on failure. */
static void
node_open(const struct conf *cf, struct node *n)
{
	char err[512];

	memset(n, 0, sizeof *n);
	if (cf->registry_enabled &&
	    registry_open(cf, &n->reg, err, sizeof err) != 0)
		fatalx("registry: %s", err);
	if ((n->rt = router_new(cf, err, sizeof err)) == NULL)
		fatalx("%s", err);
	if (n->reg != NULL)
		router_mount(n->rt, registry_endpoint(n->reg));
	if (cf->dicom_enabled) {
		if (bridge_ids_open(cf, &n->ids, err, sizeof err) != 0)
			fatalx("dicom: %s", err);
		router_mount(n->rt, bridge_ids_endpoint(n->ids));
	}
	if (cf->repository_enabled) {
		if (peer_open(cf, "repository.registry_url",
		    cf->repository_registry_url, n->reg != NULL ?
		    registry_endpoint(n->reg) : NULL, &n->registry, err,
		    sizeof err) != 0 ||
		    repository_open(cf, n->registry, &n->repo, err,
		    sizeof err) != 0)
			fatalx("repository: %s", err);
		router_mount(n->rt, repository_endpoint(n->repo));
	}
	if (cf->dicom_enabled && peer_open(cf, "dicom.repository_url",
	    cf->dicom_repository_url, n->repo != NULL ?
	    repository_endpoint(n->repo) : NULL, &n->repository, err,
	    sizeof err) != 0)
		fatalx("dicom: %s", err);
}

/* After the server and the bridge stopped. */
static void
node_close(struct node *n)
{
	router_free(n->rt);
	repository_close(n->repo);
	soap_peer_free(n->registry);
	soap_peer_free(n->repository);
	bridge_ids_close(n->ids);
	registry_close(n->reg);
}

/*
 * state_dir/xdsd.ports: the listeners of a ready node, for whoever
 * started it with port 0 (tests): "pid <pid>", then "<name> <host>
 * <port>" per listener (http, and dicom when the bridge runs).  Written
 * to a temporary file and committed (fsync, rename, directory fsync):
 * a reader sees all of it or none.  Removed at start and on a clean exit.
 */
#define PORTS_FILE	"xdsd.ports"

static int
ports_path(const char *state_dir, const char *suffix, char *path,
    size_t pathlen)
{
	return str_fmt(path, pathlen, "%s/" PORTS_FILE "%s", state_dir, suffix);
}

static enum xds_status
ports_write(const char *state_dir, const char *text, char *err,
    size_t errlen)
{
	char tmp[CONF_STR_MAX + 32], path[CONF_STR_MAX + 32];
	size_t len = strlen(text);
	enum xds_status rc = XDS_EIO;
	ssize_t n;
	int fd;

	if (ports_path(state_dir, ".tmp", tmp, sizeof tmp) < 0 ||
	    ports_path(state_dir, "", path, sizeof path) < 0) {
		str_fmt(err, errlen, "%s: path too long", state_dir);
		return XDS_ETOOBIG;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1) {
		str_fmt(err, errlen, "%s: %s", tmp, strerror(errno));
		return XDS_EIO;
	}
	if ((n = write(fd, text, len)) < 0 || (size_t)n != len) {
		str_fmt(err, errlen, "%s: %s", tmp, n < 0 ? strerror(errno) :
		    "short write");
		close(fd);
	} else if (close(fd) != 0)
		str_fmt(err, errlen, "%s: %s", tmp, strerror(errno));
	else
		rc = fileio_commit(NULL, tmp, path, err, errlen);
	if (rc != XDS_OK)
		unlink(tmp);	/* after the rename: gone already */
	return rc;
}

static void
ports_remove(const char *state_dir)
{
	char path[CONF_STR_MAX + 32];

	if (ports_path(state_dir, "", path, sizeof path) >= 0)
		unlink(path);
}

/* host:port, [host]:port for an IPv6 address. */
static void
hostport(char *out, size_t outlen, const char *host, int port)
{
	str_fmt(out, outlen, strchr(host, ':') != NULL ? "[%s]:%d" : "%s:%d",
	    host, port);
}

/*
 * The node is ready: say where it listens (the bound ports, also when
 * the configuration asked for port 0), in the log and in
 * state_dir/xdsd.ports.
 */
static void
announce(const struct conf *conf, const char *host, int port,
    const struct bridge *dicom)
{
	char text[1024], dhost[256], hp[300], err[512];
	int dport, n, m = 0;

	hostport(hp, sizeof hp, host, port);
	log_info("xdsnode %s listening on %s://%s, state in %s",
	    PACKAGE_VERSION, conf->http_tls ? "https" : "http", hp,
	    conf->node_state_dir);
	n = str_fmt(text, sizeof text, "pid %ld\nhttp %s %d\n",
	    (long)getpid(), host, port);
	if (dicom != NULL && n >= 0 &&
	    conf_split_hostport(conf->dicom_listen, dhost, sizeof dhost,
	    &dport) == 0) {
		dport = bridge_port(dicom);
		hostport(hp, sizeof hp, dhost, dport);
		log_info("DICOM bridge %s listening on %s", conf->dicom_ae_title,
		    hp);
		m = str_fmt(text + n, sizeof text - (size_t)n, "dicom %s %d\n",
		    dhost, dport);
	}
	if (n < 0 || m < 0)
		log_warnx("%s/" PORTS_FILE ": too long", conf->node_state_dir);
	else if (ports_write(conf->node_state_dir, text, err,
	    sizeof err) != XDS_OK)
		log_warnx("%s", err);
}

int
main(int argc, char **argv)
{
	struct conf conf;
	struct http_server_opts ho;
	struct bridge *dicom = NULL;
	struct node node;
	SSL_CTX *tls = NULL;
	char err[512], host[256];
	const char *cfile = NULL;
	int ch, foreground = 0, check = 0, verbose = 0, port, rc = 1, i;
	char **overrides;
	int noverrides = 0;
	struct sigaction sa;

	if ((overrides = calloc((size_t)argc, sizeof *overrides)) == NULL)
		return 1;
	while ((ch = getopt(argc, argv, "c:C:fhnv")) != -1) {
		switch (ch) {
		case 'c': cfile = optarg; break;
		case 'C': overrides[noverrides++] = optarg; break;
		case 'f': foreground = 1; break;
		case 'n': check = 1; break;
		case 'v': verbose = 1; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();

	conf_defaults(&conf);
	if (cfile != NULL && conf_load_file(&conf, cfile, err, sizeof err) != 0) {
		fprintf(stderr, "xdsd: %s\n", err);
		return 1;
	}
	for (i = 0; i < noverrides; i++)
		if (conf_set_kv(&conf, overrides[i], err, sizeof err) != 0) {
			fprintf(stderr, "xdsd: -C %s\n", err);
			return 1;
		}
	free(overrides);
	if (conf_check(&conf, err, sizeof err) != 0) {
		fprintf(stderr, "xdsd: %s%s%s\n", cfile ? cfile : "", cfile ? ": " : "", err);
		return 1;
	}
	conf_split_hostport(conf.http_listen, host, sizeof host, &port);
	if (conf.http_tls) {
		if ((tls = tls_server_ctx(conf.http_cert, conf.http_key, conf.http_ca,
		    err, sizeof err)) == NULL) {
			fprintf(stderr, "xdsd: TLS: %s\n", err);
			return 1;
		}
	}
	if (check) {
		if (verbose)
			conf_dump(&conf, stdout);
		fprintf(stderr, "xdsd: configuration OK\n");
		SSL_CTX_free(tls);
		return 0;
	}

	log_init("xdsd", !foreground || conf.node_syslog,
	    verbose ? LOG_LVL_DEBUG : log_level_parse(conf.node_log_level));
	if (!foreground && daemon(1, 0) != 0)
		fatal("daemon");
	xml_init();
	curl_global_init(CURL_GLOBAL_DEFAULT);

	if (fileio_mkdir_p(conf.node_state_dir, 0700, err, sizeof err) !=
	    XDS_OK ||
	    audit_open(conf.node_state_dir, err, sizeof err) != 0)
		fatalx("state directory: %s", err);
	ports_remove(conf.node_state_dir);	/* a crashed run's */
	xact_set_sink(xact_done);
	node_open(&conf, &node);

	memset(&ho, 0, sizeof ho);
	ho.host = host;
	ho.port = port;
	ho.workers = (int)conf.http_workers;
	ho.queue = (int)conf.http_queue;
	ho.max_head = (size_t)conf.http_max_head;
	ho.max_headers = (int)conf.http_max_headers;
	ho.header_timeout = (int)conf.http_header_timeout;
	ho.io_timeout = (int)conf.http_io_timeout;
	ho.request_deadline = (int)conf.http_request_deadline;
	ho.keepalive_timeout = (int)conf.http_keepalive_timeout;
	ho.max_requests_per_conn = (int)conf.http_max_requests_per_conn;
	ho.tls = tls;
	ho.on_refuse = router_refused;
	if ((server = http_server_new(&ho, router_handle, node.rt, err,
	    sizeof err)) == NULL)
		fatalx("http.listen %s: %s", conf.http_listen, err);

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	if (!conf.http_tls)
		log_warnx("plain HTTP without authentication on %s: for the "
		    "loopback demo only; set http.tls for mutual TLS",
		    conf.http_listen);
	if (conf.dicom_enabled) {
		struct bridge_links bl = { .repository = node.repository };

		if (bridge_start(&conf, &bl, &dicom, err, sizeof err) != 0)
			fatalx("dicom: %s", err);
	}
	router_set_ready(node.rt, 1);
	announce(&conf, host, http_server_port(server), dicom);
	rc = http_server_run(server) == 0 ? 0 : 1;
	bridge_stop(dicom);	/* current associations finish */
	ports_remove(conf.node_state_dir);
	log_info("stopped");

	http_server_free(server);
	server = NULL;
	node_close(&node);
	audit_close();
	SSL_CTX_free(tls);
	curl_global_cleanup();
	return rc;
}
