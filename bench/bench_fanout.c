/*
 * bench_fanout.c: N SOAP calls one after the other, then all at once
 * (soap_fanout), against servers that answer after a delay as
 * communities across a WAN do: what the XCA initiating gateway gains by
 * fanning a query out.  The servers run in a process of their own, so
 * that curl can be timed against the same ones as the reference
 * (bench/run):
 *
 *	bench_fanout serve DELAY_MS NSERVERS	print the URLs, serve until
 *						SIGTERM
 *	bench_fanout envelope URL		the request envelope (for curl)
 *	bench_fanout run N URL...		time N calls, round robin
 *
 * A server reads the request and answers an empty AdhocQueryResponse
 * after DELAY_MS; the client parses every answer.
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"
#include "clock.h"
#include "http.h"
#include "soap.h"
#include "soap_peer.h"
#include "status.h"
#include "str.h"
#include "vocab.h"
#include "xml.h"

#define MAX_SERVERS	64
#define MAX_CALLS	4096

static const char query[] = "<query:AdhocQueryRequest xmlns:query=\""
    NS_QUERY "\" xmlns:rim=\"" NS_RIM "\"><query:ResponseOption "
    "returnType=\"ObjectRef\" returnComposedObjects=\"true\"/>"
    "<rim:AdhocQuery id=\"" SQ_FINDDOCUMENTS "\"><rim:Slot name=\""
    "$XDSDocumentEntryPatientId\"><rim:ValueList><rim:Value>'900203638^^^&amp;"
    OID_BSN "&amp;ISO'</rim:Value></rim:ValueList></rim:Slot>"
    "</rim:AdhocQuery></query:AdhocQueryRequest>";

static const char answer[] = "<s:Envelope xmlns:s=\"" NS_SOAP12 "\" "
    "xmlns:a=\"" NS_WSA "\"><s:Header><a:Action>" ACT_ITI18_RSP
    "</a:Action></s:Header><s:Body><q:AdhocQueryResponse xmlns:q=\""
    NS_QUERY "\" status=\"" ST_SUCCESS "\"><r:RegistryObjectList "
    "xmlns:r=\"" NS_RIM "\"/></q:AdhocQueryResponse></s:Body>"
    "</s:Envelope>";

static struct http_server *servers[MAX_SERVERS];
static int nservers;
static long delay_ms;

/* ---- serve ---- */

static void
handler(struct http_conn *c, const struct http_request *r, void *arg)
{
	struct timespec d;
	char b[65536];

	(void)r;
	(void)arg;
	while (http_body_read(c, b, sizeof b) > 0)
		;
	d.tv_sec = delay_ms / 1000;
	d.tv_nsec = (delay_ms % 1000) * 1000000L;
	nanosleep(&d, NULL);
	http_respond(c, 200, CT_SOAP12 "; charset=UTF-8", answer,
	    sizeof answer - 1);
}

static void
on_term(int sig)
{
	int i;

	(void)sig;
	for (i = 0; i < nservers; i++)
		http_server_stop(servers[i]);
}

static void *
serve_thread(void *arg)
{
	(void)http_server_run(arg);
	return NULL;
}

static int
serve(long delay, int n)
{
	struct http_server_opts o;
	struct sigaction sa;
	pthread_t t[MAX_SERVERS];
	char err[256];
	int i;

	delay_ms = delay;
	memset(&o, 0, sizeof o);
	o.host = "127.0.0.1";
	o.workers = 64;		/* calls in flight per server */
	o.queue = 1024;
	for (i = 0; i < n; i++) {
		if ((servers[i] = http_server_new(&o, handler, NULL, err,
		    sizeof err)) == NULL) {
			fprintf(stderr, "bench_fanout: %s\n", err);
			return 1;
		}
		nservers++;
		printf("http://127.0.0.1:%d/xds/registry\n",
		    http_server_port(servers[i]));
	}
	fflush(stdout);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (i = 1; i < n; i++)
		pthread_create(&t[i], NULL, serve_thread, servers[i]);
	(void)http_server_run(servers[0]);
	for (i = 1; i < n; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < n; i++)
		http_server_free(servers[i]);
	return 0;
}

/* ---- run ---- */

static int
envelope(const char *url)
{
	struct buf b;
	char id[SOAP_UUID_LEN];

	buf_init(&b, 1 << 20);
	if (soap_write_request(&b, ACT_ITI18, url, query, sizeof query - 1,
	    id, sizeof id) != XDS_OK)
		return 1;
	fwrite(b.b_data, 1, b.b_len, stdout);
	buf_free(&b);
	return 0;
}

/* Every call answered with an AdhocQueryResponse? */
static int
all_ok(struct soap_call *c, int n)
{
	int i, ok = 0;

	for (i = 0; i < n; i++) {
		ok += c[i].ans.status == XDS_OK && xml_is(c[i].ans.body,
		    NS_QUERY, "AdhocQueryResponse");
		soap_call_free(&c[i]);
	}
	return ok;
}

static void
prepare(struct soap_call *c, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		soap_call_init(&c[i], ACT_ITI18, PACK_SIMPLE);
		c[i].req.body_xml = query;
	}
}

static int
run(int n, char **urls, int nurls)
{
	struct soap_peer *p[MAX_SERVERS];
	struct soap_fanout *f;
	struct soap_call *c;
	char err[256];
	double t0, seq, fan;
	int i, ok1, ok2;

	if ((c = calloc((size_t)n, sizeof *c)) == NULL)
		return 1;
	for (i = 0; i < nurls; i++)
		if (soap_peer_remote(&p[i], urls[i], NULL, err, sizeof err) !=
		    XDS_OK) {
			fprintf(stderr, "bench_fanout: %s\n", err);
			return 1;
		}
	prepare(c, n);
	t0 = clock_real_ms() / 1e3;
	for (i = 0; i < n; i++)
		(void)soap_peer_call(p[i % nurls], &c[i]);
	seq = clock_real_ms() / 1e3 - t0;
	ok1 = all_ok(c, n);
	prepare(c, n);
	if (soap_fanout_new(&f, err, sizeof err) != XDS_OK)
		return 1;
	for (i = 0; i < n; i++)
		if (soap_fanout_add(f, p[i % nurls], &c[i]) != XDS_OK)
			return 1;
	t0 = clock_real_ms() / 1e3;
	(void)soap_fanout_run(f, 0);
	fan = clock_real_ms() / 1e3 - t0;
	soap_fanout_free(f);
	ok2 = all_ok(c, n);
	printf("%-20s %4d calls %8.3f s  %7.2f ms/call  %d ok\n",
	    "soap_peer_call", n, seq, seq * 1000 / n, ok1);
	printf("%-20s %4d calls %8.3f s  %7.2f ms/call  %d ok\n",
	    "soap_fanout", n, fan, fan * 1000 / n, ok2);
	for (i = 0; i < nurls; i++)
		soap_peer_free(p[i]);
	free(c);
	return ok1 == n && ok2 == n ? 0 : 1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_fanout serve DELAY_MS NSERVERS\n"
	    "       bench_fanout envelope URL\n"
	    "       bench_fanout run N URL...\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *es;
	long long a, b;
	int rc;

	if (argc < 3)
		usage();
	signal(SIGPIPE, SIG_IGN);
	if (strcmp(argv[1], "serve") == 0) {
		if (argc != 4 || str_tonum(argv[2], 0, 60000, &a, &es) != 0 ||
		    str_tonum(argv[3], 1, MAX_SERVERS, &b, &es) != 0)
			usage();
		return serve((long)a, (int)b);
	}
	if (strcmp(argv[1], "envelope") == 0)
		return envelope(argv[2]);
	if (strcmp(argv[1], "run") != 0 || argc < 4 ||
	    str_tonum(argv[2], 1, MAX_CALLS, &a, &es) != 0 ||
	    argc - 3 > MAX_SERVERS)
		usage();
	xml_init();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = run((int)a, argv + 3, argc - 3);
	curl_global_cleanup();
	return rc;
}
