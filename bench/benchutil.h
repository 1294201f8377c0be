/*
 * benchutil.h: what the benchmark programs share (header only, as
 * bsn.h): the monotonic clock, counts from the command line, threads run
 * to the end and timed, latencies sorted for their percentiles, and a
 * libcurl handle posting SOAP 1.2 with the answer collected in memory.
 */
#ifndef XDS_BENCH_BENCHUTIL_H
#define XDS_BENCH_BENCHUTIL_H

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

/* Seconds on CLOCK_MONOTONIC. */
static inline double
bench_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The count in s (at least 1), or exit 2 naming what it is. */
static inline int
bench_count(const char *s, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 || v > INT_MAX) {
		fprintf(stderr, "%s: not a count: %s\n", what, s);
		exit(2);
	}
	return (int)v;
}

/* fn(arg) on n threads, until each returns: the seconds it took. */
static inline double
bench_threads(int n, void *(*fn)(void *), void *arg)
{
	pthread_t *t;
	double t0;
	int i;

	if ((t = calloc((size_t)n, sizeof *t)) == NULL) {
		perror("calloc");
		exit(1);
	}
	t0 = bench_now();
	for (i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, fn, arg) != 0) {
			perror("pthread_create");
			exit(1);
		}
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	free(t);
	return bench_now() - t0;
}

static inline int
bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The n latencies at v in ascending order, for bench_pct(). */
static inline void
bench_sort(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, bench_cmp);
}

/* The p-th percentile of the n sorted values at v, in milliseconds. */
static inline double
bench_pct_ms(const double *v, int n, int p)
{
	return v[(long)n * p / 100] * 1e3;
}

/* An answer collected by libcurl: p (NUL-terminated, malloc'd; NULL
 * when nothing came), n bytes. */
struct bench_resp {
	char	*p;
	size_t	 n, cap;
};

static inline size_t
bench_resp_add(char *p, size_t sz, size_t n, void *arg)
{
	struct bench_resp *r = arg;
	size_t k = sz * n;
	char *q;

	if (r->n + k + 1 > r->cap) {
		if ((q = realloc(r->p, (r->n + k + 1) * 2)) == NULL)
			return 0;	/* libcurl: a write error */
		r->p = q;
		r->cap = (r->n + k + 1) * 2;
	}
	memcpy(r->p + r->n, p, k);
	r->n += k;
	r->p[r->n] = '\0';
	return k;
}

/* A keep-alive handle posting SOAP 1.2 to url, the answer to
 * bench_resp_add (CURLOPT_WRITEDATA per request); *h holds its headers
 * (curl_slist_free_all after curl_easy_cleanup). */
static inline CURL *
bench_soap_handle(const char *url, struct curl_slist **h)
{
	CURL *c;

	if ((c = curl_easy_init()) == NULL) {
		fprintf(stderr, "curl_easy_init failed\n");
		exit(1);
	}
	*h = curl_slist_append(NULL,
	    "Content-Type: application/soap+xml; charset=UTF-8");
	*h = curl_slist_append(*h, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, *h);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, bench_resp_add);
	return c;
}

/* POST len bytes of body on c: 1 when the answer came and holds ok, the
 * answer in *r (free r->p). */
static inline int
bench_post(CURL *c, const char *body, int len, const char *ok,
    struct bench_resp *r)
{
	memset(r, 0, sizeof *r);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
	return curl_easy_perform(c) == CURLE_OK && r->p != NULL &&
	    strstr(r->p, ok) != NULL;
}

#endif
