/*
 * nodestatus.c: the status page and its JSON (nodestatus.h).  One model, built
 * as a JSON object for every request (cheap: counters, one statvfs, one
 * certificate read), then either dumped or rendered as HTML: the page
 * can show nothing the JSON does not have.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "clock.h"
#include "conf.h"
#include "feedlisten.h"
#include "gateway.h"
#include "http.h"
#include "log.h"
#include "reload.h"
#include "metrics.h"
#include "nodestatus.h"
#include "router.h"
#include "status.h"
#include "str.h"

static const struct conf *st_conf;
static const struct http_server *st_srv;
static const struct router *st_rt;
static struct gateway *st_gw;
static struct feedlisten *st_feed;
static int st_http_port, st_dicom_port;
static long long st_started;		/* clock_wall at start-up */

void
status_init(const struct conf *cf, const struct http_server *srv,
    const struct router *rt, struct gateway *gw, int http_port,
    int dicom_port)
{
	st_gw = gw;
	st_conf = cf;
	st_srv = srv;
	st_rt = rt;
	st_http_port = http_port;
	st_dicom_port = dicom_port;
	st_started = clock_wall();
}

void
status_feed(struct feedlisten *fl)
{
	st_feed = fl;
}

static void
iso(long long t, char *out, size_t outsz)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* To 0.01: a status page shows milliseconds, not their float noise. */
static double
round2(double v)
{
	return (double)(long long)(v * 100.0 + (v < 0 ? -0.5 : 0.5)) / 100.0;
}

static void
add_txn(void *arg, const struct metrics_txn *t)
{
	json_t *a = arg;
	double minutes = (double)(clock_wall() - st_started) / 60.0;

	if (minutes < 1.0)
		minutes = 1.0;
	json_array_append_new(a, json_pack("{s:s,s:I,s:I,s:I,s:I,s:f,s:f,s:f}",
	    "txn", t->txn, "success", (json_int_t)t->count[0],
	    "partial", (json_int_t)t->count[1],
	    "failure", (json_int_t)t->count[2],
	    "fault", (json_int_t)t->count[3],
	    "per_minute", round2((double)t->n / minutes),
	    "mean_ms", round2(t->mean * 1000.0),
	    "p95_ms", t->p95 < 0 ? -1.0 : round2(t->p95 * 1000.0)));
}

static void
add_community(void *arg, const struct gateway_community *c)
{
	char when[32];

	if (c->last_at != 0)
		iso(c->last_at, when, sizeof when);
	else
		str_lcpy(when, "-", sizeof when);
	json_array_append_new(arg, json_pack("{s:s,s:I,s:I,s:I,s:f,s:s,s:s}",
	    "hcid", c->hcid, "ok", (json_int_t)c->ok,
	    "failed", (json_int_t)c->failed, "retries", (json_int_t)c->retries,
	    "mean_ms", round2(c->mean_ms), "last", c->last, "last_at", when));
}

/* The ITI-8 feed: where it listens, the messages accepted, those
 * refused (in all and by reason, the reasons seen only) and when the
 * last one came (null: none yet). */
static json_t *
feed(void)
{
	struct feedlisten_info fi;
	unsigned long long refused = 0;
	json_t *by;
	char when[32];
	int i;

	feedlisten_info(st_feed, &fi);
	by = json_object();
	for (i = FEED_ACCEPTED + 1; i < FEED_NRESULTS; i++) {
		refused += fi.st.n[i];
		if (fi.st.n[i] > 0)
			json_object_set_new(by, registry_feed_result_name(i),
			    json_integer((json_int_t)fi.st.n[i]));
	}
	if (fi.st.last_at != 0)
		iso(fi.st.last_at, when, sizeof when);
	return json_pack("{s:s,s:i,s:b,s:I,s:I,s:o,s:o}", "listen", fi.host,
	    "port", fi.port, "tls", fi.tls, "accepted",
	    (json_int_t)fi.st.n[FEED_ACCEPTED], "refused", (json_int_t)refused,
	    "refused_by_reason", by, "last_message", fi.st.last_at != 0 ?
	    json_string(when) : json_null());
}

/* The certificate the node serves on any TLS listener (HTTP, the ITI-8
 * feed, the DICOM listeners: the same files; the one loaded last, not
 * the file on disk, which a failed reload may have replaced): subject,
 * expiry, days left; null when no listener uses TLS. */
static json_t *
certificate(void)
{
	struct tm tm;
	time_t na, now = clock_wall();
	char subj[256], when[32];

	if (reload_cert(subj, sizeof subj, &na) != 0 ||
	    na == 0 || gmtime_r(&na, &tm) == NULL)
		return json_null();
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_pack("{s:s,s:s,s:s,s:I}", "file", st_conf->http_cert,
	    "subject", subj, "not_after", when,
	    "days_left", (json_int_t)((na - now) / 86400));
}

static json_t *
model(void)
{
	struct http_server_stats hs;
	struct log_line lines[LOG_RECENT];
	struct statvfs sv;
	const char *paths[ROUTER_MAX_ENDPOINTS];
	json_t *o, *a;
	char when[32], listen[CONF_STR_MAX + 64];
	size_t i, n;
	long long now = clock_wall();

	iso(st_started, when, sizeof when);
	o = json_pack("{s:{s:s,s:i,s:s,s:I,s:s,s:s}}", "node",
	    "version", PACKAGE_VERSION, "pid", (int)getpid(), "started", when,
	    "uptime_s", (json_int_t)(now - st_started), "home_community_id",
	    st_conf->node_home_community_id, "state_dir",
	    st_conf->node_state_dir);
	if (o == NULL)
		return NULL;
	str_fmt(listen, sizeof listen, "%s on port %d", st_conf->http_tls ?
	    "https (mutual TLS)" : "http (loopback demo)", st_http_port);
	a = json_array();
	n = router_paths(st_rt, paths, ROUTER_MAX_ENDPOINTS);
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(paths[i]));
	json_object_set_new(o, "http", json_pack("{s:s,s:o}", "listen", listen,
	    "endpoints", a));
	if (st_conf->dicom_enabled)
		json_object_set_new(o, "dicom", json_pack("{s:s,s:i,s:b}",
		    "ae_title", st_conf->dicom_ae_title, "port", st_dicom_port,
		    "tls", st_conf->dicom_tls));
	if (st_feed != NULL)
		json_object_set_new(o, "feed", feed());
	a = json_array();
	metrics_each(add_txn, a);
	json_object_set_new(o, "transactions", a);
	a = json_array();
	gateway_each_community(st_gw, add_community, a);
	json_object_set_new(o, "communities", a);
	http_server_stats(st_srv, &hs);
	json_object_set_new(o, "connections", json_pack("{s:I,s:I,s:I,s:I,s:i}",
	    "open", (json_int_t)hs.open, "parked", (json_int_t)hs.parked,
	    "queued", (json_int_t)hs.waiting, "served", (json_int_t)hs.taken,
	    "workers", (int)st_conf->http_workers));
	if (statvfs(st_conf->node_state_dir, &sv) == 0)
		json_object_set_new(o, "disk", json_pack("{s:I,s:I,s:I}",
		    "free_bytes", (json_int_t)sv.f_bavail * (json_int_t)
		    sv.f_frsize, "min_free_space", (json_int_t)
		    st_conf->node_min_free_space, "audit_min_free",
		    (json_int_t)st_conf->audit_min_free));
	json_object_set_new(o, "certificate", certificate());
	json_object_set_new(o, "atna", json_string(
	    st_conf->audit_syslog_url[0] ? st_conf->audit_syslog_url : "off"));
	a = json_array();
	n = log_recent(lines, LOG_RECENT);
	for (i = 0; i < n; i++) {
		iso(lines[i].time, when, sizeof when);
		json_array_append_new(a, json_pack("{s:s,s:s,s:s}", "time", when,
		    "level", lines[i].level == LOG_LVL_ERROR ? "error" :
		    "warning", "text", lines[i].text));
	}
	json_object_set_new(o, "recent_problems", a);
	return o;
}

int
status_json(struct buf *out)
{
	json_t *o;
	char *s;
	int rc = -1;

	if ((o = model()) == NULL)
		return -1;
	if ((s = json_dumps(o, JSON_INDENT(1) | JSON_PRESERVE_ORDER)) != NULL &&
	    buf_adds(out, s) == XDS_OK && buf_adds(out, "\n") == XDS_OK)
		rc = 0;
	free(s);
	json_decref(o);
	return rc;
}

/* ---- HTML ------------------------------------------------------- */

static int
h(struct buf *b, const char *s)
{
	int rc = XDS_OK;

	for (; rc == XDS_OK && s != NULL && *s; s++)
		switch (*s) {
		case '<': rc = buf_adds(b, "&lt;"); break;
		case '>': rc = buf_adds(b, "&gt;"); break;
		case '&': rc = buf_adds(b, "&amp;"); break;
		case '"': rc = buf_adds(b, "&quot;"); break;
		default: rc = buf_add(b, s, 1); break;
		}
	return rc;
}

static const char *
str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

/* A two-column row of the key-value tables. */
static int
row(struct buf *b, const char *k, const char *v)
{
	return buf_adds(b, "<tr><th>") | h(b, k) | buf_adds(b, "</th><td>") |
	    h(b, v) | buf_adds(b, "</td></tr>\n");
}

static int
html_txns(struct buf *b, json_t *a)
{
	json_t *t;
	size_t i;
	int rc;

	rc = buf_adds(b, "<h2>Transactions</h2>\n<table id=\"transactions\">"
	    "<tr><th>transaction</th><th>success</th><th>partial</th>"
	    "<th>failure</th><th>fault</th><th>per minute</th>"
	    "<th>mean ms</th><th>p95 ms</th></tr>\n");
	json_array_foreach(a, i, t) {
		double p95 = json_real_value(json_object_get(t, "p95_ms"));
		char p[32];

		if (p95 < 0)
			str_lcpy(p, "&gt; 10000", sizeof p);
		else
			str_fmt(p, sizeof p, "%.1f", p95);
		rc |= buf_adds(b, "<tr><td>") | h(b, str(t, "txn")) |
		    buf_addf(b, "</td><td>%lld</td><td>%lld</td><td>%lld</td>"
		    "<td>%lld</td><td>%.1f</td><td>%.1f</td><td>%s</td></tr>\n",
		    (long long)json_integer_value(json_object_get(t, "success")),
		    (long long)json_integer_value(json_object_get(t, "partial")),
		    (long long)json_integer_value(json_object_get(t, "failure")),
		    (long long)json_integer_value(json_object_get(t, "fault")),
		    json_real_value(json_object_get(t, "per_minute")),
		    json_real_value(json_object_get(t, "mean_ms")), p);
	}
	return rc | buf_adds(b, "</table>\n");
}

/* The feed's rows: where it listens; the messages, the last one's
 * time. */
static int
html_feed(struct buf *b, json_t *x)
{
	json_t *e;
	const char *k, *sep = " (";
	char v[512];
	size_t n;
	int rc;

	str_fmt(v, sizeof v, "%s port %d%s", str(x, "listen"),
	    (int)json_integer_value(json_object_get(x, "port")),
	    json_is_true(json_object_get(x, "tls")) ? " (mutual TLS)" :
	    " (plain TCP)");
	rc = row(b, "ITI-8 feed", v);
	str_fmt(v, sizeof v, "%lld accepted, %lld refused",
	    (long long)json_integer_value(json_object_get(x, "accepted")),
	    (long long)json_integer_value(json_object_get(x, "refused")));
	json_object_foreach(json_object_get(x, "refused_by_reason"), k, e) {
		n = strlen(v);
		str_fmt(v + n, sizeof v - n, "%s%s %lld", sep, k,
		    (long long)json_integer_value(e));
		sep = ", ";
	}
	n = strlen(v);
	str_fmt(v + n, sizeof v - n, "%s; the last at %s", sep[0] == ',' ?
	    ")" : "", json_is_string(json_object_get(x, "last_message")) ?
	    str(x, "last_message") : "-");
	return rc | row(b, "ITI-8 messages", v);
}

static void
mib(json_int_t n, char *out, size_t outsz)
{
	str_fmt(out, outsz, "%.1f MiB", (double)n / (1024.0 * 1024.0));
}

int
status_html(struct buf *b)
{
	json_t *o, *node, *x, *e;
	char v[256];
	size_t i;
	int rc;

	if ((o = model()) == NULL)
		return -1;
	node = json_object_get(o, "node");
	rc = buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\"><meta http-equiv=\"refresh\" "
	    "content=\"10\"><title>xdsnode status</title><style>"
	    "body{font:14px sans-serif;margin:2em;color:#222}"
	    "table{border-collapse:collapse;margin-bottom:1.5em}"
	    "th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}"
	    "th{background:#f3f3f3}.warn{color:#a40}</style></head><body>\n");
	rc |= buf_adds(b, "<h1>xdsnode ") | h(b, str(node, "version")) |
	    buf_adds(b, "</h1>\n<table id=\"node\">\n");
	str_fmt(v, sizeof v, "%lld s", (long long)json_integer_value(
	    json_object_get(node, "uptime_s")));
	rc |= row(b, "started", str(node, "started")) | row(b, "uptime", v);
	str_fmt(v, sizeof v, "%d", (int)json_integer_value(json_object_get(
	    node, "pid")));
	rc |= row(b, "pid", v) |
	    row(b, "home community", str(node, "home_community_id")) |
	    row(b, "state directory", str(node, "state_dir"));
	x = json_object_get(o, "http");
	rc |= row(b, "HTTP", str(x, "listen"));
	json_array_foreach(json_object_get(x, "endpoints"), i, e)
		rc |= row(b, "endpoint", json_string_value(e));
	if ((x = json_object_get(o, "dicom")) != NULL) {
		str_fmt(v, sizeof v, "%s on port %d%s", str(x, "ae_title"),
		    (int)json_integer_value(json_object_get(x, "port")),
		    json_is_true(json_object_get(x, "tls")) ? " (TLS)" : "");
		rc |= row(b, "DICOM", v);
	}
	if ((x = json_object_get(o, "feed")) != NULL)
		rc |= html_feed(b, x);
	rc |= row(b, "ATNA audit repository", str(o, "atna"));
	rc |= buf_adds(b, "</table>\n");
	rc |= html_txns(b, json_object_get(o, "transactions"));
	x = json_object_get(o, "communities");
	if (json_array_size(x) > 0) {
		rc |= buf_adds(b, "<h2>Communities</h2>\n<table id=\"communities\">"
		    "<tr><th>community</th><th>answered</th><th>failed</th>"
		    "<th>retries</th><th>mean ms</th><th>last</th>"
		    "<th>at</th></tr>\n");
		json_array_foreach(x, i, e)
			rc |= buf_adds(b, "<tr><td>") | h(b, str(e, "hcid")) |
			    buf_addf(b, "</td><td>%lld</td><td>%lld</td><td>"
			    "%lld</td><td>%.1f</td><td>", (long long)
			    json_integer_value(json_object_get(e, "ok")),
			    (long long)json_integer_value(json_object_get(e,
			    "failed")), (long long)json_integer_value(
			    json_object_get(e, "retries")), json_real_value(
			    json_object_get(e, "mean_ms"))) |
			    h(b, str(e, "last")) | buf_adds(b, "</td><td>") |
			    h(b, str(e, "last_at")) | buf_adds(b,
			    "</td></tr>\n");
		rc |= buf_adds(b, "</table>\n");
	}
	x = json_object_get(o, "connections");
	rc |= buf_adds(b, "<h2>Connections</h2>\n<table id=\"connections\">\n");
	str_fmt(v, sizeof v, "%lld open, %lld parked, %lld queued, %lld served"
	    " by %lld workers", (long long)json_integer_value(json_object_get(x,
	    "open")), (long long)json_integer_value(json_object_get(x,
	    "parked")), (long long)json_integer_value(json_object_get(x,
	    "queued")), (long long)json_integer_value(json_object_get(x,
	    "served")), (long long)json_integer_value(json_object_get(x,
	    "workers")));
	rc |= row(b, "HTTP", v) | buf_adds(b, "</table>\n");
	if ((x = json_object_get(o, "disk")) != NULL) {
		char f[32], m[32];

		mib(json_integer_value(json_object_get(x, "free_bytes")), f,
		    sizeof f);
		mib(json_integer_value(json_object_get(x, "min_free_space")), m,
		    sizeof m);
		str_fmt(v, sizeof v, "%s free (new data refused below %s)", f, m);
		rc |= buf_adds(b, "<h2>Disk</h2>\n<table id=\"disk\">\n") |
		    row(b, "state directory", v) | buf_adds(b, "</table>\n");
	}
	x = json_object_get(o, "certificate");
	rc |= buf_adds(b, "<h2>Certificate</h2>\n<table id=\"certificate\">\n");
	if (json_is_object(x)) {
		str_fmt(v, sizeof v, "%s (%d days left)", str(x, "not_after"),
		    (int)json_integer_value(json_object_get(x, "days_left")));
		rc |= row(b, "subject", str(x, "subject")) |
		    row(b, "valid until", v);
	} else
		rc |= row(b, "certificate", "none (no TLS listener)");
	rc |= buf_adds(b, "</table>\n<h2>Recent warnings</h2>\n"
	    "<table id=\"problems\">\n");
	x = json_object_get(o, "recent_problems");
	if (json_array_size(x) == 0)
		rc |= buf_adds(b, "<tr><td>none</td></tr>\n");
	json_array_foreach(x, i, e)
		rc |= buf_adds(b, "<tr><td>") | h(b, str(e, "time")) |
		    buf_adds(b, "</td><td class=\"warn\">") |
		    h(b, str(e, "level")) | buf_adds(b, "</td><td>") |
		    h(b, str(e, "text")) | buf_adds(b, "</td></tr>\n");
	rc |= buf_adds(b, "</table>\n</body></html>\n");
	json_decref(o);
	return rc == XDS_OK ? 0 : -1;
}
