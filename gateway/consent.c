/*
 * consent.c: the closed question to Mitz, with its cache (consent.h).
 *
 * The cache: a hash table of entries keyed by "BSN|URA|role|UZI|category",
 * each also on a list from most to least recently used; past
 * consent.cache_max the least recently used goes.  An entry is used
 * until clock_mono() reaches its expiry (consent.cache_ttl after the
 * answer).  One mutex guards it; Mitz is asked without holding it, so
 * two requests for the same key at once may both ask.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "clock.h"
#include "conf.h"
#include "consent.h"
#include "log.h"
#include "soap_peer.h"
#include "status.h"
#include "str.h"
#include "vocab.h"

#define CONSENT_MAX_MAP		64
#define CONSENT_MAX_REQUESTERS	64
#define CONSENT_KEY_MAX		(9 + 5 * MITZ_ID_MAX + 8)
#define CONSENT_MAX_ANSWER	(1024 * 1024)

struct centry {
	char		 key[CONSENT_KEY_MAX];
	size_t		 bsnlen;	/* the key's BSN part */
	enum mitz_decision d;
	long long	 expires;	/* clock_mono */
	struct centry	*hnext;		/* in its bucket */
	struct centry	*prev, *next;	/* most recently used first */
};

struct creq {
	char			*subject;
	struct mitz_requester	 r;
};

struct consent {
	const struct conf	*cf;
	int			 allow_all;
	struct soap_peer	*mitz;
	struct {
		char	 code[MITZ_ID_MAX];
		char	 category[MITZ_ID_MAX];
	}			 map[CONSENT_MAX_MAP];
	size_t			 nmap;
	struct creq		 req[CONSENT_MAX_REQUESTERS];
	size_t			 nreq;
	pthread_mutex_t		 mu;
	struct centry		**buckets;
	size_t			 nbuckets;	/* a power of 2 */
	size_t			 n;
	struct centry		*head, *tail;
	unsigned long long	 asked, cached;
	unsigned long long	 answers[MITZ_NDECISIONS];	/* of Mitz */
};

/* Field i of a '|'-separated entry into out. */
static void
field(const char *p, size_t n, size_t i, char *out, size_t outsz)
{
	const char *end = p + n, *bar;

	for (; i > 0; i--) {
		if ((bar = memchr(p, '|', (size_t)(end - p))) == NULL) {
			out[0] = '\0';
			return;
		}
		p = bar + 1;
	}
	bar = memchr(p, '|', (size_t)(end - p));
	str_lcpy(out, p, (size_t)((bar != NULL ? bar : end) - p) + 1 < outsz ?
	    (size_t)((bar != NULL ? bar : end) - p) + 1 : outsz);
}

static int
read_tables(struct consent *c, char *err, size_t errlen)
{
	const char *next, *p, *eq;
	size_t n;

	for (next = c->cf->consent_category_map; next != NULL;) {
		if ((p = str_item(&next, ';', &n)) == NULL || n == 0)
			continue;	/* "", or refused by the option's check */
		if (c->nmap == CONSENT_MAX_MAP) {
			str_fmt(err, errlen, "consent.category_map: more than "
			    "%d entries", CONSENT_MAX_MAP);
			return XDS_EINVAL;
		}
		if ((eq = memchr(p, '=', n)) == NULL)
			continue;	/* the option's check refused it */
		str_lcpy(c->map[c->nmap].code, p, (size_t)(eq - p) + 1 <
		    MITZ_ID_MAX ? (size_t)(eq - p) + 1 : MITZ_ID_MAX);
		field(eq + 1, n - (size_t)(eq - p) - 1, 0,
		    c->map[c->nmap].category, MITZ_ID_MAX);
		c->nmap++;
	}
	for (next = c->cf->consent_requesters; next != NULL;) {
		struct creq *q = &c->req[c->nreq];
		const char *bar;

		if ((p = str_item(&next, ';', &n)) == NULL || n == 0)
			continue;
		if (c->nreq == CONSENT_MAX_REQUESTERS) {
			str_fmt(err, errlen, "consent.requesters: more than "
			    "%d entries", CONSENT_MAX_REQUESTERS);
			return XDS_EINVAL;
		}
		if ((bar = memchr(p, '|', n)) == NULL)
			continue;
		if ((q->subject = str_ndup(p, (size_t)(bar - p))) == NULL) {
			str_fmt(err, errlen, "out of memory");
			return XDS_ENOMEM;
		}
		field(p, n, 1, q->r.ura, sizeof q->r.ura);
		field(p, n, 2, q->r.org_type, sizeof q->r.org_type);
		field(p, n, 3, q->r.role, sizeof q->r.role);
		field(p, n, 4, q->r.professional, sizeof q->r.professional);
		q->r.source = "consent.requesters";
		c->nreq++;
	}
	return XDS_OK;
}

int
consent_mitz_peer(const struct conf *cf, const char *url, size_t max_answer,
    struct soap_peer **out, char *err, size_t errlen)
{
	struct soap_peer_opts o;

	memset(&o, 0, sizeof o);
	soap_peer_opts_tls(&o, cf->http_cert, cf->http_key, cf->http_ca);
	o.connect_timeout = cf->consent_timeout < 10 ? cf->consent_timeout : 10;
	o.bounds.timeout = cf->consent_timeout;
	o.bounds.max_answer = max_answer;
	return soap_peer_remote(out, url, &o, err, errlen);
}

int
consent_open(const struct conf *cf, struct consent **out, char *err,
    size_t errlen)
{
	struct consent *c;
	int rc;

	*out = NULL;
	if ((c = calloc(1, sizeof *c)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return XDS_ENOMEM;
	}
	c->cf = cf;
	pthread_mutex_init(&c->mu, NULL);
	c->allow_all = strcmp(cf->consent_mode, "mitz") != 0;
	if ((rc = read_tables(c, err, errlen)) != XDS_OK)
		goto fail;
	if (c->allow_all) {
		log_warnx("gateway: consent.mode is allow-all: the responding "
		    "gateway releases without asking Mitz (the loopback demo "
		    "only)");
		*out = c;
		return XDS_OK;
	}
	for (c->nbuckets = 16; c->nbuckets < (size_t)cf->consent_cache_max;
	    c->nbuckets <<= 1)
		;
	if ((c->buckets = calloc(c->nbuckets, sizeof *c->buckets)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		rc = XDS_ENOMEM;
		goto fail;
	}
	if ((rc = consent_mitz_peer(cf, cf->consent_mitz_url, CONSENT_MAX_ANSWER,
	    &c->mitz, err, errlen)) != XDS_OK)
		goto fail;
	log_info("gateway: consent: the closed question goes to Mitz at %s "
	    "(cache %lld s)", cf->consent_mitz_url, cf->consent_cache_ttl);
	*out = c;
	return XDS_OK;
fail:
	consent_close(c);
	return rc;
}

void
consent_close(struct consent *c)
{
	struct centry *e, *next;
	size_t i;

	if (c == NULL)
		return;
	for (e = c->head; e != NULL; e = next) {
		next = e->next;
		free(e);
	}
	free(c->buckets);
	for (i = 0; i < c->nreq; i++)
		free(c->req[i].subject);
	soap_peer_free(c->mitz);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

int
consent_allow_all(const struct consent *c)
{
	return c->allow_all;
}

int
consent_requester(const struct consent *c, const char *peer,
    struct mitz_requester *out)
{
	size_t i;

	for (i = 0; i < c->nreq; i++)
		if (strcmp(c->req[i].subject, peer) == 0) {
			*out = c->req[i].r;
			return XDS_OK;
		}
	return XDS_ENOTFOUND;
}

const char *
consent_category(const struct consent *c, const char *code)
{
	size_t i;

	for (i = 0; i < c->nmap; i++)
		if (strcmp(c->map[i].code, code) == 0)
			return c->map[i].category;
	return c->cf->consent_category;
}

size_t
consent_categories(const struct consent *c, const char **out, size_t max)
{
	size_t i, j, n = 0;

	for (i = 0; i <= c->nmap && n < max; i++) {
		const char *cat = i < c->nmap ? c->map[i].category :
		    c->cf->consent_category;

		for (j = 0; j < n && strcmp(out[j], cat) != 0; j++)
			;
		if (j == n)
			out[n++] = cat;
	}
	return n;
}

/* ---- the cache ---- */

static size_t
hash(const char *s)
{
	size_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void
lru_unlink(struct consent *c, struct centry *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = e->next = NULL;
}

static void
lru_front(struct consent *c, struct centry *e)
{
	e->next = c->head;
	e->prev = NULL;
	if (c->head != NULL)
		c->head->prev = e;
	c->head = e;
	if (c->tail == NULL)
		c->tail = e;
}

static void
drop(struct consent *c, struct centry *e)
{
	struct centry **pp;

	for (pp = &c->buckets[hash(e->key) & (c->nbuckets - 1)]; *pp != NULL;
	    pp = &(*pp)->hnext)
		if (*pp == e) {
			*pp = e->hnext;
			break;
		}
	lru_unlink(c, e);
	free(e);
	c->n--;
}

/* Under c->mu: the live entry of key, or NULL (an expired one is
 * dropped). */
static struct centry *
lookup(struct consent *c, const char *key)
{
	struct centry *e;

	for (e = c->buckets[hash(key) & (c->nbuckets - 1)]; e != NULL;
	    e = e->hnext)
		if (strcmp(e->key, key) == 0)
			break;
	if (e != NULL && clock_mono() >= e->expires) {
		drop(c, e);
		return NULL;
	}
	return e;
}

static void
remember(struct consent *c, const char *key, size_t bsnlen,
    enum mitz_decision d)
{
	struct centry *e;
	size_t b;

	pthread_mutex_lock(&c->mu);
	if ((e = lookup(c, key)) != NULL)
		drop(c, e);
	while (c->n >= (size_t)c->cf->consent_cache_max && c->tail != NULL)
		drop(c, c->tail);
	if ((e = calloc(1, sizeof *e)) != NULL) {
		str_lcpy(e->key, key, sizeof e->key);
		e->bsnlen = bsnlen;
		e->d = d;
		e->expires = clock_mono() + c->cf->consent_cache_ttl;
		b = hash(key) & (c->nbuckets - 1);
		e->hnext = c->buckets[b];
		c->buckets[b] = e;
		lru_front(c, e);
		c->n++;
	}
	pthread_mutex_unlock(&c->mu);
}

void
consent_invalidate(struct consent *c, const char *bsn)
{
	struct centry *e, *next;
	size_t n = bsn != NULL ? strlen(bsn) : 0;

	if (c->buckets == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	for (e = c->head; e != NULL; e = next) {
		next = e->next;
		if (bsn == NULL || (e->bsnlen == n &&
		    strncmp(e->key, bsn, n) == 0))
			drop(c, e);
	}
	pthread_mutex_unlock(&c->mu);
}

void
consent_counts(struct consent *c, unsigned long long *asked,
    unsigned long long *cached)
{
	pthread_mutex_lock(&c->mu);
	*asked = c->asked;
	*cached = c->cached;
	pthread_mutex_unlock(&c->mu);
}

int
consent_metrics_write(struct consent *c, struct buf *out)
{
	enum mitz_decision d;
	int rc;

	if (c->allow_all)
		return XDS_OK;
	rc = buf_adds(out, "# HELP xds_consent_questions_total Closed "
	    "questions the responding gateway asked Mitz, by answer.\n"
	    "# TYPE xds_consent_questions_total counter\n");
	pthread_mutex_lock(&c->mu);
	for (d = MITZ_PERMIT; d < MITZ_NDECISIONS && rc == XDS_OK; d++)
		rc = buf_addf(out, "xds_consent_questions_total{answer=\"%s\"} "
		    "%llu\n", mitz_decision_name(d), c->answers[d]);
	if (rc == XDS_OK)
		rc = buf_addf(out, "# HELP xds_consent_cached_total Consent "
		    "decisions taken from the cache.\n# TYPE "
		    "xds_consent_cached_total counter\n"
		    "xds_consent_cached_total %llu\n", c->cached);
	pthread_mutex_unlock(&c->mu);
	return rc == XDS_OK ? XDS_OK : XDS_ETOOBIG;
}

/* ---- the question ---- */

static enum mitz_decision
ask_mitz(struct consent *c, const struct mitz_question *q, char *why,
    size_t whylen)
{
	struct soap_call call;
	enum mitz_decision d = MITZ_NO_ANSWER;
	xmlDoc *doc = NULL;
	char e[256];
	int rc;

	soap_call_init(&call, ACT_MITZ_CLOSED, PACK_SIMPLE);
	if ((rc = mitz_query_build(q, &doc, e, sizeof e)) != XDS_OK) {
		str_fmt(why, whylen, "the closed question cannot be asked: %s",
		    e);
		return MITZ_NO_ANSWER;
	}
	call.req.body = xmlDocGetRootElement(doc);
	/* why goes to the caller: short; the details to the log */
	rc = soap_peer_call(c->mitz, &call);
	if (rc != XDS_OK) {
		str_fmt(why, whylen, "Mitz did not answer: %s",
		    xds_strstatus(rc));
		log_warnx("consent: Mitz did not answer: %s", call.ans.err);
	} else if (call.ans.fault) {
		str_fmt(why, whylen, "Mitz answered a fault");
		log_warnx("consent: Mitz answered a fault (HTTP %d): %s",
		    call.ans.http_status, call.ans.fault_reason);
	} else if (call.ans.body == NULL ||
	    mitz_answer_read(call.ans.body, &d, e, sizeof e) != XDS_OK) {
		str_fmt(why, whylen, "Mitz's answer is not an XACML decision");
		log_warnx("consent: Mitz's answer (HTTP %d) is not one: %s",
		    call.ans.http_status, call.ans.body == NULL ? "no body" :
		    e);
	} else
		str_fmt(why, whylen, "Mitz: %s", mitz_decision_name(d));
	soap_call_free(&call);
	xmlFreeDoc(doc);
	return d;
}

enum mitz_decision
consent_ask(struct consent *c, const char *bsn,
    const struct mitz_requester *r, const char *category, char *why,
    size_t whylen)
{
	struct mitz_question q;
	struct centry *e;
	enum mitz_decision d;
	const char *purpose;
	char key[CONSENT_KEY_MAX], id[SOAP_UUID_LEN + 1], instant[32];
	time_t now;
	struct tm tm;

	if (c->allow_all) {
		str_fmt(why, whylen, "consent.mode allow-all");
		return MITZ_PERMIT;
	}
	purpose = r->purpose[0] != '\0' ? r->purpose : c->cf->consent_purpose;
	if (str_fmt(key, sizeof key, "%s|%s|%s|%s|%s|%s", bsn, r->ura, r->role,
	    r->professional, category, purpose) < 0) {
		str_fmt(why, whylen, "the question is too long");
		return MITZ_NO_ANSWER;
	}
	if (c->cf->consent_cache_ttl > 0) {
		pthread_mutex_lock(&c->mu);
		if ((e = lookup(c, key)) != NULL) {
			d = e->d;
			lru_unlink(c, e);
			lru_front(c, e);
			c->cached++;
			pthread_mutex_unlock(&c->mu);
			str_fmt(why, whylen, "Mitz: %s (kept)",
			    mitz_decision_name(d));
			return d;
		}
		pthread_mutex_unlock(&c->mu);
	}
	memset(&q, 0, sizeof q);
	q.bsn = bsn;
	q.holder_ura = c->cf->consent_ura;
	q.holder_type = c->cf->consent_org_type;
	q.requester = r;
	q.category = category;
	q.purpose = purpose;
	/* The query's ID: an NCName, so "_" and the UUID's hex. */
	if (soap_uuid(id + 1, sizeof id - 1) != 0) {
		str_fmt(why, whylen, "no random ID");
		return MITZ_NO_ANSWER;
	}
	id[0] = '_';
	memmove(id + 1, id + 1 + strlen("urn:uuid:"),
	    strlen(id + 1 + strlen("urn:uuid:")) + 1);
	q.id = id;
	now = (time_t)clock_wall();
	gmtime_r(&now, &tm);
	strftime(instant, sizeof instant, "%Y-%m-%dT%H:%M:%SZ", &tm);
	q.instant = instant;
	d = ask_mitz(c, &q, why, whylen);
	pthread_mutex_lock(&c->mu);
	c->asked++;
	c->answers[d]++;
	pthread_mutex_unlock(&c->mu);
	if (c->cf->consent_cache_ttl > 0 && (d == MITZ_PERMIT ||
	    d == MITZ_DENY || d == MITZ_NOT_APPLICABLE))
		remember(c, key, strlen(bsn), d);
	return d;
}
