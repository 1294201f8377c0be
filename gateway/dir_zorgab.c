/*
 * dir_zorgab.c: the ZORG-AB back-end of the community directory
 * (directory.backend = zorgab): look-ups as JSON REST requests to
 * directory.zorgab_url over HTTPS with the node's certificate, answers
 * kept for directory.cache_ttl seconds.  docs/design.md ("Community
 * directory: ZORG-AB") says which requests, and how an organization
 * becomes a community.
 *
 * Opening checks the options only: nothing is asked until a look-up, so
 * xdsd -n never reaches ZORG-AB.  A look-up is one gw_https_do transfer
 * (a listing: one per page) within directory.timeout, in the caller's
 * thread; the answer is bounded (DIR_ZORGAB_MAX_ANSWER) and parsed by
 * dir_zorgab_parse, a pure function (jansson).  The cache maps a key
 * ("u:" URA, "h:" home community id, "*" the listing) to a shared,
 * reference-counted result, under one mutex that is never held across
 * the network; two threads that miss the same key at once both ask.
 * Only fresh entries are served, and failures are never cached.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "buf.h"
#include "clock.h"
#include "conf.h"
#include "dir_int.h"
#include "dir_zorgab.h"
#include "directory.h"
#include "gw_https.h"
#include "hl7dt.h"
#include "log.h"
#include "status.h"
#include "str.h"
#include "url.h"
#include "vocab.h"

#define DIR_ZAB_PAGE		100	/* organizations a page of a listing */
#define DIR_ZAB_MAX_ORGS	2000	/* organizations of a listing */
#define DIR_ZAB_MAX_COMM	2000	/* communities in an answer, a list */
#define DIR_ZAB_CACHE_MAX	1024	/* keys in the cache */
#define DIR_ZAB_KEY_MAX		(DIR_HCID_MAX + 8)
#define DIR_ZAB_REQ_MAX		(CONF_STR_MAX + 512)	/* a request's URL */
#define DIR_ZAB_URA_DIGITS	8

/* A result: a look-up's community (n 1) or none (n 0), or a listing. */
struct dir_zab_val {
	unsigned		 refs;		/* under the back-end's lock */
	size_t			 n;
	struct dir_community	 v[];
};

struct dir_zab_ent {
	char			 key[DIR_ZAB_KEY_MAX];
	long long		 expires;	/* clock_mono() ms */
	struct dir_zab_val	*val;
};

struct dir_zorgab {
	char			 base[CONF_STR_MAX];	/* no trailing '/' */
	char			 own[CONF_STR_MAX];
	char			 cert[CONF_STR_MAX];	/* "": none */
	char			 key[CONF_STR_MAX];
	char			 ca[CONF_STR_MAX];	/* "": the system's */
	long long		 timeout_ms;
	long long		 ttl_ms;		/* 0: no cache */
	pthread_mutex_t		 lock;
	struct dir_zab_ent	 cache[DIR_ZAB_CACHE_MAX];
	size_t			 ncache;
};

/* ---- the answer (pure) -------------------------------------------- */

/* What one answer makes: its communities so far. */
struct dir_zab_acc {
	struct dir_community	*v;
	size_t			 n, cap;
};

/* obj's member key when it is a string, else NULL. */
static const char *
dir_zab_str(const json_t *obj, const char *key)
{
	const json_t *j = json_object_get(obj, key);

	return json_is_string(j) ? json_string_value(j) : NULL;
}

/*
 * Does the active service s have a conformance of interactionId id or
 * urn (NULL: none) that it receives?  A conformance that says it does
 * not receive ("receive": false) is a sender's and does not count.
 */
static int
dir_zab_conforms(const json_t *s, const char *id, const char *urn)
{
	const json_t *conf = json_object_get(s, "conformances"), *c;
	const char *iid;
	size_t i;

	if (!json_is_true(json_object_get(s, "active")) ||
	    !json_is_array(conf))
		return 0;
	json_array_foreach(conf, i, c) {
		if ((iid = dir_zab_str(c, "interactionId")) == NULL ||
		    json_is_false(json_object_get(c, "receive")))
			continue;
		if (strcmp(iid, id) == 0 || (urn != NULL &&
		    strcmp(iid, urn) == 0))
			return 1;
	}
	return 0;
}

/*
 * A name into dst: control characters become spaces, white space at
 * both ends goes, and a name too long is cut at a character's start
 * (jansson hands out valid UTF-8 only).
 */
static void
dir_zab_name_copy(char *dst, size_t dstsz, const char *s)
{
	size_t i, n;

	while (*s != '\0' && (*s == ' ' || (unsigned char)*s < 0x20 ||
	    *s == 0x7f))
		s++;
	for (n = 0; s[n] != '\0' && n + 1 < dstsz; n++)
		dst[n] = (unsigned char)s[n] < 0x20 || s[n] == 0x7f ? ' ' :
		    s[n];
	if (s[n] != '\0')	/* cut: back to the start of a character */
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	dst[n] = '\0';
	for (i = n; i > 0 && dst[i - 1] == ' '; i--)
		dst[i - 1] = '\0';
}

/*
 * The organization's name: displayName, else the preferred active entry
 * of names[], else the first active one; "" when none.
 */
static void
dir_zab_name(const json_t *org, char *dst, size_t dstsz)
{
	const json_t *names = json_object_get(org, "names"), *nm;
	const char *s = dir_zab_str(org, "displayName"), *first = NULL, *f;
	size_t i;

	if (s == NULL || s[strspn(s, " ")] == '\0') {
		s = NULL;
		json_array_foreach(names, i, nm) {
			if (json_is_false(json_object_get(nm, "active")) ||
			    (f = dir_zab_str(nm, "fullName")) == NULL ||
			    f[strspn(f, " ")] == '\0')
				continue;
			if (first == NULL)
				first = f;
			if (json_is_true(json_object_get(nm, "preferred"))) {
				s = f;
				break;
			}
		}
		if (s == NULL)
			s = first;
	}
	dir_zab_name_copy(dst, dstsz, s != NULL ? s : "");
}

/* The home community id of a service's applicationId, or -1. */
static int
dir_zab_hcid(const json_t *s, char *dst, size_t dstsz)
{
	const char *id = dir_zab_str(s, "applicationId");
	size_t pl = sizeof URN_OID - 1;
	char e[128];

	if (id == NULL || strlen(id) >= dstsz || strncmp(id,
	    URN_OID, pl) != 0 || hl7_oid_valid(id + pl,
	    strlen(id + pl), e, sizeof e) != 0)
		return -1;
	str_lcpy(dst, id, dstsz);
	return 0;
}

/* The address of service s into dst when the node may send there. */
static int
dir_zab_url(const json_t *s, char *dst, size_t dstsz)
{
	const char *a = dir_zab_str(s, "address");
	char e[256];

	if (a == NULL || strlen(a) >= dstsz || url_check(a, e, sizeof e) !=
	    XDS_OK)
		return -1;
	str_lcpy(dst, a, dstsz);
	return 0;
}

/* The address of service s into dst when it is AE@host:port. */
static int
dir_zab_ae(const json_t *s, char *dst, size_t dstsz)
{
	const char *a = dir_zab_str(s, "address");
	char ae[32], host[256];
	int port;

	if (a == NULL || strlen(a) >= dstsz || conf_split_ae(a, ae,
	    sizeof ae, host, sizeof host, &port) != 0)
		return -1;
	str_lcpy(dst, a, dstsz);
	return 0;
}

static int
dir_zab_seen(const struct dir_community *v, size_t n, const char *hcid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].hcid, hcid) == 0)
			return 1;
	return 0;
}

/* c appended to acc. */
static int
dir_zab_add(struct dir_zab_acc *acc, const struct dir_community *c,
    char *err, size_t errlen)
{
	struct dir_community *v;
	size_t cap;

	if (acc->n == DIR_ZAB_MAX_COMM) {
		str_fmt(err, errlen, "more than %d communities in one answer",
		    DIR_ZAB_MAX_COMM);
		return XDS_ETOOBIG;
	}
	if (acc->n == acc->cap) {
		cap = acc->cap ? acc->cap * 2 : 8;
		if ((v = realloc(acc->v, cap * sizeof *v)) == NULL) {
			str_fmt(err, errlen, "out of memory");
			return XDS_ENOMEM;
		}
		acc->v = v;
		acc->cap = cap;
	}
	acc->v[acc->n++] = *c;
	return XDS_OK;
}

/* The communities of one organization into acc. */
static int
dir_zab_org(const json_t *org, const char *own, struct dir_zab_acc *acc,
    char *err, size_t errlen)
{
	const json_t *svcs = json_object_get(org, "electronicServices"), *s;
	const char *ura = dir_zab_str(org, "ura");
	struct dir_community c;
	size_t i, added = 0;
	int st, ours = 0;

	if (!json_is_array(svcs))
		return XDS_OK;
	memset(&c, 0, sizeof c);
	if (ura != NULL && strlen(ura) == DIR_ZAB_URA_DIGITS &&
	    strspn(ura, "0123456789") == DIR_ZAB_URA_DIGITS)
		str_lcpy(c.ura, ura, sizeof c.ura);
	json_array_foreach(svcs, i, s) {
		if (c.dicom[0] == '\0' && dir_zab_conforms(s, DIR_ZORGAB_DICOM,
		    NULL))
			(void)dir_zab_ae(s, c.dicom, sizeof c.dicom);
		if (c.xdr[0] == '\0' && dir_zab_conforms(s, DIR_ZORGAB_XDR,
		    DIR_ZORGAB_XDR_URN))
			(void)dir_zab_url(s, c.xdr, sizeof c.xdr);
	}
	dir_zab_name(org, c.name, sizeof c.name);
	json_array_foreach(svcs, i, s) {
		if (!dir_zab_conforms(s, DIR_ZORGAB_XCA, DIR_ZORGAB_XCA_URN) ||
		    dir_zab_hcid(s, c.hcid, sizeof c.hcid) != 0)
			continue;
		if (strcmp(c.hcid, own) == 0)
			ours = 1;
		if (dir_zab_url(s, c.url, sizeof c.url) != 0 ||
		    strcmp(c.hcid, own) == 0 ||
		    dir_zab_seen(acc->v, acc->n, c.hcid))
			continue;
		if (c.name[0] == '\0')	/* nothing better to show */
			str_lcpy(c.name, c.hcid, sizeof c.name);
		if ((st = dir_zab_add(acc, &c, err, errlen)) != XDS_OK)
			return st;
		added++;
		dir_zab_name(org, c.name, sizeof c.name);
	}
	/* No gateway, but a way to push to it: found by its URA. */
	if (added == 0 && !ours && c.ura[0] != '\0' &&
	    (c.xdr[0] != '\0' || c.dicom[0] != '\0')) {
		c.hcid[0] = c.url[0] = '\0';
		if (c.name[0] == '\0')
			str_fmt(c.name, sizeof c.name, "URA %s", c.ura);
		return dir_zab_add(acc, &c, err, errlen);
	}
	return XDS_OK;
}

int
dir_zorgab_parse(const char *buf, size_t len, const char *own,
    struct dir_community **out, size_t *n, size_t *norgs, char *err,
    size_t errlen)
{
	struct dir_zab_acc acc = { NULL, 0, 0 };
	json_error_t je;
	json_t *root, *org;
	size_t i;
	int st = XDS_OK;

	*out = NULL;
	*n = *norgs = 0;
	if ((root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je)) ==
	    NULL) {
		str_fmt(err, errlen, "not JSON: line %d column %d: %s",
		    je.line, je.column, je.text);
		return XDS_EFORMAT;
	}
	if (!json_is_array(root)) {
		str_fmt(err, errlen, "not a JSON array of organizations");
		st = XDS_EFORMAT;
		goto out;
	}
	json_array_foreach(root, i, org) {
		if (!json_is_object(org)) {
			str_fmt(err, errlen, "organization %zu is not a JSON "
			    "object", i + 1);
			st = XDS_EFORMAT;
			goto out;
		}
		if ((st = dir_zab_org(org, own, &acc, err, errlen)) != XDS_OK)
			goto out;
	}
	*norgs = json_array_size(root);
	*out = acc.v;
	*n = acc.n;
	acc.v = NULL;
out:
	free(acc.v);
	json_decref(root);
	return st;
}

/* ---- requests ----------------------------------------------------- */

/*
 * GET url, its 200 answer into ans, before deadline (clock_real_ms).
 * XDS_OK; XDS_ETIMEOUT, XDS_EUNAVAILABLE (no answer), XDS_EANSWER
 * (another HTTP status), XDS_ETOOBIG (over DIR_ZORGAB_MAX_ANSWER) with
 * err.
 */
static int
dir_zab_get(const struct dir_zorgab *z, const char *url, long long deadline,
    struct buf *ans, char *err, size_t errlen)
{
	struct gw_https_tls t = { z->cert, z->key, z->ca };
	struct gw_https_req r;
	long long left = deadline - clock_real_ms();
	long code;
	int st;

	if (left <= 0) {
		str_fmt(err, errlen, "ZORG-AB %s: no answer within "
		    "directory.timeout (%lld s)", url, z->timeout_ms / 1000);
		return XDS_ETIMEOUT;
	}
	memset(&r, 0, sizeof r);
	r.method = "GET";
	r.url = url;
	r.accept = "application/json";
	r.timeout_ms = (long)left;
	r.who = "ZORG-AB";
	st = gw_https_do(&t, &r, ans, &code, err, errlen);
	if (st == XDS_ETIMEOUT)
		str_fmt(err, errlen, "ZORG-AB %s: no answer within "
		    "directory.timeout (%lld s)", url, z->timeout_ms / 1000);
	else if (st == XDS_ETOOBIG)
		str_fmt(err, errlen, "ZORG-AB %s: answer over %u bytes",
		    url, DIR_ZORGAB_MAX_ANSWER);
	else if (st == XDS_OK && code != 200) {
		str_fmt(err, errlen, "ZORG-AB %s: answered HTTP %ld", url,
		    code);
		st = XDS_EANSWER;
	}
	return st;
}

/*
 * GET {base}/organizations?query and its communities.  XDS_OK with *v
 * (malloc'd) of *n, *norgs; a failure of dir_zab_get, or of the answer
 * (XDS_EANSWER with the parser's reason).
 */
static int
dir_zab_ask(const struct dir_zorgab *z, const char *query, long long deadline,
    struct dir_community **v, size_t *n, size_t *norgs, char *err,
    size_t errlen)
{
	struct buf ans;
	char url[DIR_ZAB_REQ_MAX], perr[256];
	int st;

	*v = NULL;
	*n = *norgs = 0;
	buf_init(&ans, DIR_ZORGAB_MAX_ANSWER);
	if (str_fmt(url, sizeof url, "%s/organizations?%s", z->base,
	    query) < 0) {
		str_fmt(err, errlen, "ZORG-AB request longer than %d bytes",
		    DIR_ZAB_REQ_MAX);
		st = XDS_EINVAL;
		goto out;
	}
	if ((st = dir_zab_get(z, url, deadline, &ans, err, errlen)) != XDS_OK)
		goto out;
	if ((st = dir_zorgab_parse(buf_str(&ans), ans.b_len, z->own, v, n,
	    norgs, perr, sizeof perr)) != XDS_OK) {
		str_fmt(err, errlen, "ZORG-AB %s: %s", url, perr);
		if (st == XDS_EFORMAT)
			st = XDS_EANSWER;
	}
out:
	buf_free(&ans);
	return st;
}

/* value %-encoded (RFC 3986 unreserved kept) into dst. */
static int
dir_zab_escape(const char *value, char *dst, size_t dstsz)
{
	char *s;
	int rc;

	if ((s = curl_easy_escape(NULL, value, 0)) == NULL)
		return -1;
	rc = str_fmt(dst, dstsz, "%s", s) < 0 ? -1 : 0;
	curl_free(s);
	return rc;
}

/* ---- the cache ---------------------------------------------------- */

static struct dir_zab_val *
dir_zab_val_new(const struct dir_community *v, size_t n)
{
	struct dir_zab_val *val;

	if ((val = malloc(sizeof *val + n * sizeof val->v[0])) == NULL)
		return NULL;
	val->refs = 1;
	val->n = n;
	if (n > 0)
		memcpy(val->v, v, n * sizeof val->v[0]);
	return val;
}

/* Drop a reference; the lock is held. */
static void
dir_zab_unref_locked(struct dir_zab_val *val)
{
	if (val != NULL && --val->refs == 0)
		free(val);
}

static void
dir_zab_unref(struct dir_zorgab *z, struct dir_zab_val *val)
{
	pthread_mutex_lock(&z->lock);
	dir_zab_unref_locked(val);
	pthread_mutex_unlock(&z->lock);
}

/* A fresh result of key, referenced for the caller, or NULL. */
static struct dir_zab_val *
dir_zab_cache_get(struct dir_zorgab *z, const char *key)
{
	struct dir_zab_val *val = NULL;
	long long now = clock_mono();
	size_t i;

	if (z->ttl_ms == 0)
		return NULL;
	pthread_mutex_lock(&z->lock);
	for (i = 0; i < z->ncache; i++)
		if (strcmp(z->cache[i].key, key) == 0) {
			if (z->cache[i].expires > now) {
				val = z->cache[i].val;
				val->refs++;
			}
			break;
		}
	pthread_mutex_unlock(&z->lock);
	return val;
}

/* Remove entry i; the lock is held. */
static void
dir_zab_cache_drop(struct dir_zorgab *z, size_t i)
{
	dir_zab_unref_locked(z->cache[i].val);
	z->cache[i] = z->cache[--z->ncache];
}

/*
 * Keep val for key for the TTL (a reference of the cache's own): in
 * place of the key's entry, else in a free slot, else in place of
 * expired entries, else of the one that expires first.
 */
static void
dir_zab_cache_put(struct dir_zorgab *z, const char *key,
    struct dir_zab_val *val)
{
	long long now = clock_mono();
	size_t i, first = 0;

	if (z->ttl_ms == 0)
		return;
	pthread_mutex_lock(&z->lock);
	for (i = 0; i < z->ncache; i++)
		if (strcmp(z->cache[i].key, key) == 0) {
			dir_zab_cache_drop(z, i);
			break;
		}
	for (i = z->ncache; i > 0 && z->ncache == DIR_ZAB_CACHE_MAX; i--)
		if (z->cache[i - 1].expires <= now)
			dir_zab_cache_drop(z, i - 1);
	if (z->ncache == DIR_ZAB_CACHE_MAX) {
		for (i = 1; i < z->ncache; i++)
			if (z->cache[i].expires < z->cache[first].expires)
				first = i;
		dir_zab_cache_drop(z, first);
	}
	str_lcpy(z->cache[z->ncache].key, key, sizeof z->cache[0].key);
	z->cache[z->ncache].expires = now + z->ttl_ms;
	z->cache[z->ncache].val = val;
	val->refs++;
	z->ncache++;
	pthread_mutex_unlock(&z->lock);
}

/* ---- the back-end ------------------------------------------------- */

static void
dir_zorgab_close(void *state)
{
	struct dir_zorgab *z = state;

	if (z == NULL)
		return;
	while (z->ncache > 0)
		dir_zab_cache_drop(z, z->ncache - 1);
	pthread_mutex_destroy(&z->lock);
	free(z);
}

static int
dir_zorgab_open(const struct conf *conf, void **out, char *desc,
    size_t desclen, char *err, size_t errlen)
{
	struct dir_zorgab *z;
	char uerr[CONF_STR_MAX + 64];
	size_t n;

	*out = NULL;
	if (conf->directory_zorgab_url[0] == '\0') {
		str_fmt(err, errlen, "directory.backend is zorgab: "
		    "directory.zorgab_url is required");
		return XDS_EINVAL;
	}
	if (url_check(conf->directory_zorgab_url, uerr, sizeof uerr) !=
	    XDS_OK) {
		str_fmt(err, errlen, "directory.zorgab_url %s", uerr);
		return XDS_EINVAL;
	}
	if ((z = calloc(1, sizeof *z)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return XDS_ENOMEM;
	}
	if (pthread_mutex_init(&z->lock, NULL) != 0) {
		free(z);
		str_fmt(err, errlen, "cannot make a lock");
		return XDS_EINTERNAL;
	}
	str_lcpy(z->base, conf->directory_zorgab_url, sizeof z->base);
	for (n = strlen(z->base); n > 0 && z->base[n - 1] == '/'; n--)
		z->base[n - 1] = '\0';
	str_lcpy(z->own, conf->node_home_community_id, sizeof z->own);
	if (conf->http_cert[0] != '\0') {
		str_lcpy(z->cert, conf->http_cert, sizeof z->cert);
		str_lcpy(z->key, conf->http_key, sizeof z->key);
	}
	str_lcpy(z->ca, conf->http_ca, sizeof z->ca);
	z->timeout_ms = conf->directory_timeout * 1000;
	z->ttl_ms = conf->directory_cache_ttl * 1000;
	if (conf->directory_cache_ttl > 0)
		str_fmt(desc, desclen, "zorgab: %s (cache %lld s, timeout "
		    "%lld s)", z->base, conf->directory_cache_ttl,
		    conf->directory_timeout);
	else
		str_fmt(desc, desclen, "zorgab: %s (no cache, timeout %lld s)",
		    z->base, conf->directory_timeout);
	*out = z;
	return XDS_OK;
}

/*
 * One community by key ("u:" or "h:" and the value): from the cache, or
 * asked with query, the first of the answer whose URA (by_ura) or home
 * community id equals want.  A community not found is cached too.
 */
static int
dir_zab_one(struct dir_zorgab *z, const char *key, const char *query,
    int by_ura, const char *want, struct dir_community *out, char *err,
    size_t errlen)
{
	struct dir_community *v = NULL;
	struct dir_zab_val *val;
	size_t n, norgs, i;
	int st;

	if ((val = dir_zab_cache_get(z, key)) == NULL) {
		if ((st = dir_zab_ask(z, query, clock_real_ms() +
		    z->timeout_ms, &v, &n, &norgs, err, errlen)) != XDS_OK)
			goto out;
		for (i = 0; i < n; i++)
			if (strcmp(by_ura ? v[i].ura : v[i].hcid, want) == 0)
				break;
		if ((val = dir_zab_val_new(i < n ? &v[i] : NULL, i < n)) ==
		    NULL) {
			str_fmt(err, errlen, "out of memory");
			st = XDS_ENOMEM;
			goto out;
		}
		dir_zab_cache_put(z, key, val);
	}
	if (val->n == 0) {
		str_fmt(err, errlen, "no community %s%.*s in ZORG-AB",
		    by_ura ? "with URA " : "", DIR_HCID_MAX, want);
		st = XDS_ENOTFOUND;
	} else {
		*out = val->v[0];
		st = XDS_OK;
	}
	dir_zab_unref(z, val);
out:
	free(v);
	return st;
}

static int
dir_zorgab_by_hcid(void *state, const char *hcid, struct dir_community *out,
    char *err, size_t errlen)
{
	struct dir_zorgab *z = state;
	char key[DIR_ZAB_KEY_MAX], q[DIR_ZAB_REQ_MAX];
	size_t pl = sizeof URN_OID - 1;

	/* Nothing to ask for what cannot be a community (this one, or no
	 * home community id) */
	if (strlen(hcid) >= DIR_HCID_MAX || strncmp(hcid, URN_OID,
	    pl) != 0 || strcmp(hcid, z->own) == 0) {
		str_fmt(err, errlen, "no community %.*s in ZORG-AB",
		    DIR_HCID_MAX, hcid);
		return XDS_ENOTFOUND;
	}
	str_fmt(key, sizeof key, "h:%s", hcid);
	str_lcpy(q, "electronicServices.applicationId=", sizeof q);
	if (dir_zab_escape(hcid, q + strlen(q), sizeof q - strlen(q)) != 0) {
		str_fmt(err, errlen, "out of memory");
		return XDS_ENOMEM;
	}
	return dir_zab_one(z, key, q, 0, hcid, out, err, errlen);
}

static int
dir_zorgab_by_ura(void *state, const char *ura, struct dir_community *out,
    char *err, size_t errlen)
{
	struct dir_zorgab *z = state;
	char key[DIR_ZAB_KEY_MAX], q[64];

	if (strlen(ura) != DIR_ZAB_URA_DIGITS ||
	    strspn(ura, "0123456789") != DIR_ZAB_URA_DIGITS) {
		str_fmt(err, errlen, "no community with URA %.*s in ZORG-AB",
		    DIR_URA_MAX, ura);
		return XDS_ENOTFOUND;
	}
	str_fmt(key, sizeof key, "u:%s", ura);
	str_fmt(q, sizeof q, "ura=%s", ura);
	return dir_zab_one(z, key, q, 1, ura, out, err, errlen);
}

/* Every community, page by page, within one deadline. */
static int
dir_zab_list(struct dir_zorgab *z, struct dir_zab_val **out, char *err,
    size_t errlen)
{
	struct dir_zab_acc acc = { NULL, 0, 0 };
	struct dir_community *v = NULL;
	long long deadline = clock_real_ms() + z->timeout_ms;
	size_t n, norgs, total = 0, i;
	char q[256];
	int st;

	*out = NULL;
	for (;;) {
		str_fmt(q, sizeof q, "electronicServices.conformances."
		    "interactionId=" DIR_ZORGAB_XCA "&electronicServices."
		    "conformances.interactionId=urn%%3Aihe%%3Aiti%%3A2007%%3A"
		    "CrossGatewayQuery&offset=%zu&limit=%d", total,
		    DIR_ZAB_PAGE);
		if ((st = dir_zab_ask(z, q, deadline, &v, &n, &norgs, err,
		    errlen)) != XDS_OK)
			goto out;
		total += norgs;
		if (total > DIR_ZAB_MAX_ORGS) {
			str_fmt(err, errlen, "ZORG-AB lists more than %d "
			    "organizations with an XCA gateway",
			    DIR_ZAB_MAX_ORGS);
			st = XDS_ETOOBIG;
			goto out;
		}
		for (i = 0; i < n; i++)
			if (v[i].hcid[0] != '\0' &&	/* a gateway */
			    !dir_zab_seen(acc.v, acc.n, v[i].hcid) &&
			    (st = dir_zab_add(&acc, &v[i], err, errlen)) !=
			    XDS_OK)
				goto out;
		free(v);
		v = NULL;
		if (norgs != DIR_ZAB_PAGE)	/* the last page */
			break;
	}
	if ((*out = dir_zab_val_new(acc.v, acc.n)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		st = XDS_ENOMEM;
	}
out:
	free(v);
	free(acc.v);
	return st;
}

static int
dir_zorgab_each(void *state, int (*fn)(void *, const struct dir_community *),
    void *arg, char *err, size_t errlen)
{
	struct dir_zorgab *z = state;
	struct dir_zab_val *val;
	size_t i;
	int rc = XDS_OK;

	if ((val = dir_zab_cache_get(z, "*")) == NULL) {
		if ((rc = dir_zab_list(z, &val, err, errlen)) != XDS_OK)
			return rc;
		dir_zab_cache_put(z, "*", val);
	}
	for (i = 0; i < val->n && rc == 0; i++)
		rc = fn(arg, &val->v[i]);
	dir_zab_unref(z, val);
	return rc;
}

const struct dir_backend dir_zorgab_backend = {
	.name = "zorgab",
	.open = dir_zorgab_open,
	.by_hcid = dir_zorgab_by_hcid,
	.by_ura = dir_zorgab_by_ura,
	.each = dir_zorgab_each,
	.close = dir_zorgab_close,
};
