/*
 * xdsctl_status.c: `xdsctl status`: what the node's GET /status.json
 * says (src/xdsd/nodestatus.c), as a short report, or as it is with
 * --json.  The node is the one of --url (or of the configuration), over
 * the same TLS as every other command.  Exit 1 when it cannot be asked.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "buf.h"
#include "pki_curl.h"
#include "str.h"
#include "xdsctl.h"

#define STATUS_MAX	(1024 * 1024)

static size_t
collect(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	return buf_add(b, p, size * n) == XDS_OK ? size * n : 0;
}

/* GET url into b: 0, or -1 with a message on stderr. */
static int
get(const struct ctl *ctl, const char *url, struct buf *b)
{
	CURL *e;
	CURLcode cc;
	long code = 0;
	int bad = 0;

	if ((e = curl_easy_init()) == NULL)
		return -1;
	bad |= curl_easy_setopt(e, CURLOPT_URL, url) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_WRITEDATA, b) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_TIMEOUT, 30L) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") !=
	    CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_USERAGENT, "xdsctl/"
	    PACKAGE_VERSION) != CURLE_OK;
	bad |= pki_curl_tls(e, ctl->cert, ctl->key, ctl->ca) != 0;
	if (bad) {
		fprintf(stderr, "xdsctl: status: libcurl refused an option\n");
		curl_easy_cleanup(e);
		return -1;
	}
	cc = curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(e);
	if (cc != CURLE_OK || code != 200) {
		fprintf(stderr, "xdsctl: status: %s: %s\n", url, cc != CURLE_OK ?
		    curl_easy_strerror(cc) : code == 404 ?
		    "HTTP 404: not an xdsnode, or one older than GET /status" :
		    "no status (HTTP error)");
		return -1;
	}
	return 0;
}

static const char *
s(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v != NULL ? v : "-";
}

static long long
i(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

/* The ITI-8 feed: where, then its messages by result. */
static void
feed(json_t *x)
{
	json_t *e;
	const char *k, *sep = " (";

	printf("%-16s %s port %lld%s\n", "ITI-8 feed", s(x, "listen"),
	    i(x, "port"), json_is_true(json_object_get(x, "tls")) ?
	    " (mutual TLS)" : " (plain TCP)");
	printf("%-16s %lld accepted, %lld refused", "", i(x, "accepted"),
	    i(x, "refused"));
	json_object_foreach(json_object_get(x, "refused_by_reason"), k, e) {
		printf("%s%s %lld", sep, k, (long long)json_integer_value(e));
		sep = ", ";
	}
	printf("%s, the last at %s\n", sep[0] == ',' ? ")" : "",
	    s(x, "last_message"));
}

static void
report(json_t *o, const char *url)
{
	json_t *node = json_object_get(o, "node"), *x, *e;
	long long up = i(node, "uptime_s");
	size_t k;

	printf("xdsnode %s at %s, up %lld d %lld h %lld min (pid %lld)\n",
	    s(node, "version"), url, up / 86400, up / 3600 % 24, up / 60 % 60,
	    i(node, "pid"));
	printf("%-16s %s\n%-16s %s\n", "home community",
	    s(node, "home_community_id"), "state directory",
	    s(node, "state_dir"));
	x = json_object_get(o, "http");
	printf("%-16s %s:", "HTTP", s(x, "listen"));
	json_array_foreach(json_object_get(x, "endpoints"), k, e)
		printf(" %s", json_string_value(e));
	printf("\n");
	if ((x = json_object_get(o, "dicom")) != NULL)
		printf("%-16s %s on port %lld%s\n", "DICOM", s(x, "ae_title"),
		    i(x, "port"), json_is_true(json_object_get(x, "tls")) ?
		    " (TLS)" : "");
	if ((x = json_object_get(o, "feed")) != NULL)
		feed(x);
	if ((x = json_object_get(o, "disk")) != NULL)
		printf("%-16s %.1f GiB free (new data refused below %.1f MiB)\n",
		    "disk", (double)i(x, "free_bytes") / (1 << 30),
		    (double)i(x, "min_free_space") / (1 << 20));
	x = json_object_get(o, "certificate");
	if (json_is_object(x))
		printf("%-16s %s, valid until %s (%lld days)\n", "certificate",
		    s(x, "subject"), s(x, "not_after"), i(x, "days_left"));
	printf("%-16s %s\n", "ATNA", s(o, "atna"));
	x = json_object_get(o, "connections");
	printf("%-16s %lld open, %lld parked, %lld queued, %lld served, %lld "
	    "workers\n", "connections", i(x, "open"), i(x, "parked"),
	    i(x, "queued"), i(x, "served"), i(x, "workers"));
	printf("\n%-12s %9s %9s %9s %9s %9s %9s %9s\n", "TRANSACTION",
	    "SUCCESS", "PARTIAL", "FAILURE", "FAULT", "PER MIN", "MEAN MS",
	    "P95 MS");
	json_array_foreach(json_object_get(o, "transactions"), k, e) {
		double p95 = json_real_value(json_object_get(e, "p95_ms"));

		printf("%-12s %9lld %9lld %9lld %9lld %9.1f %9.1f ", s(e, "txn"),
		    i(e, "success"), i(e, "partial"), i(e, "failure"),
		    i(e, "fault"), json_real_value(json_object_get(e,
		    "per_minute")), json_real_value(json_object_get(e,
		    "mean_ms")));
		if (p95 < 0)
			printf("%9s\n", ">10000");
		else
			printf("%9.1f\n", p95);
	}
	x = json_object_get(o, "communities");
	if (json_array_size(x) > 0)
		printf("\n%-40s %9s %9s %9s %9s %-12s %s\n", "COMMUNITY",
		    "ANSWERED", "FAILED", "RETRIES", "MEAN MS", "LAST", "AT");
	json_array_foreach(x, k, e)
		printf("%-40s %9lld %9lld %9lld %9.1f %-12s %s\n", s(e, "hcid"),
		    i(e, "ok"), i(e, "failed"), i(e, "retries"),
		    json_real_value(json_object_get(e, "mean_ms")), s(e, "last"),
		    s(e, "last_at"));
	x = json_object_get(o, "recent_problems");
	printf("\nrecent warnings: %s\n", json_array_size(x) ? "" : "none");
	json_array_foreach(x, k, e)
		printf("  %s %-7s %s\n", s(e, "time"), s(e, "level"),
		    s(e, "text"));
}

int
ctl_status(struct ctl *ctl, int argc, char **argv)
{
	char url[1100], base[1100], *p;
	struct buf b;
	json_t *o;
	json_error_t je;
	int rc = 1;

	(void)argv;
	if (argc != 0) {
		fprintf(stderr, "usage: xdsctl status\n");
		return 2;
	}
	if (ctl_node_url(ctl->url, "/status.json", url, sizeof url) != 0) {
		fprintf(stderr, "xdsctl: --url %s: too long\n", ctl->url);
		return 1;
	}
	buf_init(&b, STATUS_MAX);
	if (get(ctl, url, &b) != 0)
		goto out;
	if (ctl->json) {
		fwrite(b.b_data, 1, b.b_len, stdout);
		rc = 0;
		goto out;
	}
	if ((o = json_loadb(b.b_data, b.b_len, JSON_REJECT_DUPLICATES, &je)) ==
	    NULL || !json_is_object(o)) {
		fprintf(stderr, "xdsctl: status: %s: not a status (%s)\n", url,
		    je.text);
		json_decref(o);
		goto out;
	}
	str_lcpy(base, url, sizeof base);
	if ((p = strstr(base, "/status.json")) != NULL)
		*p = '\0';
	report(o, base);
	json_decref(o);
	rc = 0;
out:
	buf_free(&b);
	return rc;
}
