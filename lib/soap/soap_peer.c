/*
 * soap_peer.c: peers, calls and their answers, exchanges in process, and
 * the fan-out that runs many exchanges at once (soap_peer.h).  One remote
 * exchange on libcurl is soap_xfer.c.
 *
 * Shape, and why: the request and the answer live in one struct the
 * caller owns (struct soap_call), so that a fan-out is a list of calls
 * and needs no allocation per answer; a peer holds only what does not
 * change (URL, TLS files, default bounds), so that threads share it.  A
 * remote exchange alone is a fan-out of one, so there is one way a
 * request goes out.
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "soap_int.h"
#include "soap_peer_int.h"
#include "status.h"
#include "str.h"
#include "url.h"
#include "vocab.h"
#include "xact.h"
#include "xml.h"

int
soap_call_fail(struct soap_call *c, int st, const char *fmt, ...)
{
	va_list ap;

	c->ans.status = st;
	va_start(ap, fmt);
	if (vsnprintf(c->ans.err, sizeof c->ans.err, fmt, ap) < 0)
		c->ans.err[0] = '\0';
	va_end(ap);
	return st;
}

/* ---- peers ---- */

/* "host:port" of an http(s) URL ("" when it has none). */
static void
url_hostport(const char *url, char *out, size_t outsz)
{
	const char *h, *e;

	out[0] = '\0';
	if ((h = strstr(url, "://")) == NULL)
		return;
	h += 3;
	e = h + strcspn(h, "/?#");
	if ((size_t)(e - h) < outsz) {
		memcpy(out, h, (size_t)(e - h));
		out[e - h] = '\0';
	}
}

static int
dup_opt(char **out, const char *s)
{
	*out = NULL;
	if (s == NULL)
		return 0;
	return (*out = str_ndup(s, strlen(s))) == NULL ? -1 : 0;
}

static int
peer_new(struct soap_peer **out, const struct soap_peer_opts *o,
    char *err, size_t errlen)
{
	struct soap_peer *p;
	static const struct soap_peer_opts none;

	if (o == NULL)
		o = &none;
	if ((p = calloc(1, sizeof *p)) == NULL ||
	    dup_opt(&p->cert, o->cert) != 0 || dup_opt(&p->key, o->key) != 0 ||
	    dup_opt(&p->ca, o->ca) != 0 ||
	    dup_opt(&p->user_agent, o->user_agent) != 0 ||
	    dup_opt(&p->spool_dir, o->bounds.spool_dir) != 0) {
		soap_peer_free(p);
		str_lcpy(err, "out of memory", errlen);
		return XDS_ENOMEM;
	}
	p->connect_timeout = o->connect_timeout > 0 ? o->connect_timeout :
	    PEER_DEF_CONNECT;
	p->bounds = o->bounds;
	p->bounds.spool_dir = p->spool_dir;
	*out = p;
	return XDS_OK;
}

void
soap_peer_opts_tls(struct soap_peer_opts *o, const char *cert,
    const char *key, const char *ca)
{
	o->cert = o->key = o->ca = NULL;
	if (cert != NULL && cert[0] != '\0') {
		o->cert = cert;
		o->key = key != NULL && key[0] != '\0' ? key : NULL;
	}
	if (ca != NULL && ca[0] != '\0')
		o->ca = ca;
}

int
soap_peer_remote(struct soap_peer **out, const char *url,
    const struct soap_peer_opts *o, char *err, size_t errlen)
{
	struct soap_peer *p;
	int rc;

	*out = NULL;
	if ((o == NULL || !o->allow_plain) &&
	    (rc = url_check(url, err, errlen)) != XDS_OK)
		return rc;
	if ((rc = peer_new(&p, o, err, errlen)) != XDS_OK)
		return rc;
	if ((p->url = str_ndup(url, strlen(url))) == NULL) {
		soap_peer_free(p);
		str_lcpy(err, "out of memory", errlen);
		return XDS_ENOMEM;
	}
	url_hostport(url, p->addr, sizeof p->addr);
	*out = p;
	return XDS_OK;
}

int
soap_peer_local(struct soap_peer **out, const struct soap_endpoint *ep,
    const struct soap_peer_opts *o, char *err, size_t errlen)
{
	int rc;

	*out = NULL;
	if ((rc = peer_new(out, o, err, errlen)) != XDS_OK)
		return rc;
	(*out)->ep = ep;
	str_lcpy((*out)->addr, "local", sizeof (*out)->addr);
	return XDS_OK;
}

void
soap_peer_free(struct soap_peer *p)
{
	if (p == NULL)
		return;
	free(p->url);
	free(p->cert);
	free(p->key);
	free(p->ca);
	free(p->user_agent);
	free(p->spool_dir);
	free(p);
}

const char *
soap_peer_target(const struct soap_peer *p)
{
	return p->ep != NULL ? "in-process" : p->url;
}

const char *
soap_peer_addr(const struct soap_peer *p)
{
	return p->addr;
}

int
soap_peer_is_local(const struct soap_peer *p)
{
	return p->ep != NULL;
}

void
soap_call_bounds(const struct soap_peer *p, const struct soap_call *c,
    struct soap_bounds *b)
{
	const struct soap_bounds *o = &c->req.bounds;
	const char *tmp;

	*b = p->bounds;
	if (o->timeout != 0)
		b->timeout = o->timeout;
	if (o->low_speed_time != 0)
		b->low_speed_time = o->low_speed_time;
	if (o->max_answer != 0)
		b->max_answer = o->max_answer;
	if (o->max_part != 0)
		b->max_part = o->max_part;
	if (o->max_parts != 0)
		b->max_parts = o->max_parts;
	if (o->spool_dir != NULL)
		b->spool_dir = o->spool_dir;
	if (b->timeout == 0 && b->low_speed_time <= 0)
		b->timeout = PEER_DEF_TIMEOUT;
	if (b->max_answer == 0)
		b->max_answer = PEER_DEF_MAX_ANSWER;
	if (b->spool_dir == NULL)
		b->spool_dir = (tmp = getenv("TMPDIR")) != NULL &&
		    tmp[0] != '\0' ? tmp : "/tmp";
}

/* ---- calls ---- */

void
soap_call_init(struct soap_call *c, const char *action, enum soap_pack pack)
{
	memset(c, 0, sizeof *c);
	c->req.action = action;
	c->req.pack = pack;
	buf_init(&c->ans.bytes, 0);
}

static void
ans_reset(struct soap_call *c)
{
	memset(&c->ans, 0, sizeof c->ans);
	buf_init(&c->ans.bytes, 0);
}

void
soap_call_free(struct soap_call *c)
{
	size_t i;

	xmlFreeDoc(c->ans.doc);
	buf_free(&c->ans.bytes);
	for (i = 0; i < c->ans.natt; i++)
		if (c->ans.att[i].unlink_after && c->ans.att[i].path[0] !=
		    '\0' && unlink(c->ans.att[i].path) != 0)
			log_warn("soap: cannot remove %s",
			    c->ans.att[i].path);
	free(c->ans.att);
	ans_reset(c);
}

int
soap_call_body(struct soap_call *c, struct buf *out)
{
	int rc;

	if (c->req.body == NULL) {
		if (c->req.body_xml == NULL) {
			soap_call_fail(c, XDS_EINVAL, "no request body");
			return -1;
		}
		rc = buf_add(out, c->req.body_xml, c->req.body_len != 0 ?
		    c->req.body_len : strlen(c->req.body_xml));
	} else
		rc = xml_dump(c->req.body, out);
	if (rc == XDS_ETOOBIG)
		soap_call_fail(c, XDS_ETOOBIG, "request body over %zu bytes",
		    out->b_max);
	else if (rc != XDS_OK)
		soap_call_fail(c, rc, "out of memory");
	return rc == XDS_OK ? 0 : -1;
}

/* ---- answers ---- */

/* c->ans.bytes -> document, body element, fault.  An answer over the
 * wire must be a SOAP 1.2 envelope; a handler in process answers with
 * the body element alone. */
static int
ans_parse(struct soap_call *c, const char *who, int envelope)
{
	xmlNode *root;
	char e[256];

	if ((c->ans.doc = xml_parse(c->ans.bytes.b_data, c->ans.bytes.b_len,
	    e, sizeof e)) == NULL)
		return soap_call_fail(c, XDS_EANSWER, "%s answered HTTP %d "
		    "with no SOAP: %s", who, c->ans.http_status, e);
	if ((root = xmlDocGetRootElement(c->ans.doc)) == NULL ||
	    (envelope && !xml_is(root, NS_SOAP12, "Envelope")))
		return soap_call_fail(c, XDS_EANSWER, "%s answered HTTP %d "
		    "with no SOAP: the root element is %.100s, not a SOAP "
		    "1.2 Envelope", who, c->ans.http_status, root != NULL ?
		    (const char *)root->name : "missing");
	if ((c->ans.body = soap_body_elem(root)) == NULL)
		return soap_call_fail(c, XDS_EANSWER, "%s answered HTTP %d "
		    "with an empty soap:Body", who, c->ans.http_status);
	if (xml_is(c->ans.body, NS_SOAP12, "Fault")) {
		c->ans.fault = 1;
		soap_fault_text(c->ans.body, c->ans.fault_reason,
		    sizeof c->ans.fault_reason);
	}
	c->ans.status = XDS_OK;
	return XDS_OK;
}

static int
sink_fail(struct soap_sink *k, int st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
sink_fail(struct soap_sink *k, int st, const char *fmt, ...)
{
	va_list ap;
	char e[sizeof k->c->ans.err];

	if (k->status != 0)
		return k->status;
	va_start(ap, fmt);
	if (vsnprintf(e, sizeof e, fmt, ap) < 0)
		e[0] = '\0';
	va_end(ap);
	k->status = st;
	return soap_call_fail(k->c, st, "%s", e);
}

static int
mtom_fail(struct soap_sink *k, int rc, const char *e)
{
	if (rc == XDS_ETOOBIG)
		k->c->ans.toobig = 1;
	/* Malformed or too large, the answer breaks the protocol. */
	return sink_fail(k, rc == XDS_ENOMEM || rc == XDS_EIO ? rc :
	    XDS_EANSWER, "%s: bad MTOM answer: %s", k->who, e);
}

static int
sink_begin(struct soap_sink *k, const char *ctype)
{
	struct mtom_limits lim;
	char e[256];
	int rc;

	k->started = 1;
	buf_init(&k->c->ans.bytes, k->b->max_answer);
	if (ctype == NULL || !str_ncaseeq(ctype, CT_MULTIPART_RELATED,
	    strlen(CT_MULTIPART_RELATED)))
		return 0;
	memset(&lim, 0, sizeof lim);
	lim.max_envelope = k->b->max_answer;
	lim.max_part = k->b->max_part;
	lim.max_parts = k->b->max_parts;
	if ((rc = mtom_reader_new(&k->rd, ctype, k->b->spool_dir, &lim, e,
	    sizeof e)) != XDS_OK)
		return mtom_fail(k, rc, e);
	return 0;
}

int
soap_sink_feed(struct soap_sink *k, const char *ctype, const void *data,
    size_t len)
{
	char e[256];
	int rc;

	if (k->status != 0)
		return k->status;
	if (!k->started && sink_begin(k, ctype) != 0)
		return k->status;
	if (k->rd != NULL) {
		if ((rc = mtom_reader_feed(k->rd, data, len, e, sizeof e)) !=
		    XDS_OK)
			return mtom_fail(k, rc, e);
		return 0;
	}
	if ((rc = buf_add(&k->c->ans.bytes, data, len)) == XDS_ETOOBIG) {
		k->c->ans.toobig = 1;
		return sink_fail(k, XDS_EANSWER, "%s: answer over %zu bytes",
		    k->who, k->b->max_answer);
	}
	if (rc != XDS_OK)
		return sink_fail(k, XDS_ENOMEM, "out of memory");
	return 0;
}

/* The spooled parts become the answer's, to be removed with it. */
static void
take_parts(struct soap_call *c, struct mtom_message *m)
{
	size_t i;

	buf_free(&c->ans.bytes);
	c->ans.bytes = m->root;
	buf_init(&m->root, 0);
	c->ans.att = m->att;
	c->ans.natt = m->natt;
	for (i = 0; i < m->natt; i++)
		c->ans.att[i].unlink_after = 1;
	m->att = NULL;
	m->natt = 0;
}

int
soap_sink_end(struct soap_sink *k, int http_status)
{
	struct mtom_message m;
	char e[256];
	int rc;

	k->c->ans.http_status = http_status;
	if (k->status != 0)
		return k->status;
	if (k->rd != NULL) {
		memset(&m, 0, sizeof m);
		if ((rc = mtom_reader_finish(k->rd, &m, e, sizeof e)) !=
		    XDS_OK)
			return mtom_fail(k, rc, e);
		take_parts(k->c, &m);
		mtom_message_free(&m);
	}
	if (k->c->ans.bytes.b_len == 0)
		return sink_fail(k, XDS_EANSWER, "%s: HTTP %d without a body",
		    k->who, http_status);
	return ans_parse(k->c, k->who, 1);
}

void
soap_sink_free(struct soap_sink *k)
{
	mtom_reader_free(k->rd);
	k->rd = NULL;
}

int
soap_call_answer(struct soap_call *c, int http_status,
    const char *content_type, const void *body, size_t len,
    const struct soap_bounds *b)
{
	struct soap_bounds merged;
	struct soap_peer p;
	struct soap_sink k;

	memset(&p, 0, sizeof p);
	if (b != NULL)
		p.bounds = *b;
	soap_call_bounds(&p, c, &merged);
	memset(&k, 0, sizeof k);
	k.c = c;
	k.b = &merged;
	k.who = "the peer";
	ans_reset(c);
	if (len > 0)
		(void)soap_sink_feed(&k, content_type, body, len);
	else
		k.started = 1;
	(void)soap_sink_end(&k, http_status);
	soap_sink_free(&k);
	return c->ans.status;
}

/* ---- in process ---- */

/* A fault answered in process, recorded as soap_serve records one. */
static int
local_fault(struct soap_call *c, struct xact *x, const char *reason)
{
	c->ans.fault = 1;
	c->ans.http_status = 500;
	str_lcpy(c->ans.fault_reason, reason, sizeof c->ans.fault_reason);
	xact_fail(x, XACT_FAULT, reason);
	c->ans.status = XDS_OK;
	return XDS_OK;
}

/* What the caller left unset of the record: txn (the route's), action,
 * endpoint (its path). */
static void
local_record(const struct soap_peer *p, const struct soap_call *c,
    struct xact *x, const struct soap_route *route)
{
	if (x->endpoint[0] == '\0')
		str_lcpy(x->endpoint, p->ep->path, sizeof x->endpoint);
	if (route != NULL && strcmp(x->txn, "HTTP") == 0)
		str_lcpy(x->txn, route->txn, sizeof x->txn);
	if (x->action[0] == '\0')
		str_lcpy(x->action, c->req.action, sizeof x->action);
}

/* The route for the call, its body element (parsing body_xml into
 * *parsed), checked as soap_serve checks a request.  0, or 1 with a
 * fault answered, or -1 (c->ans set). */
static int
local_request(struct soap_peer *p, struct soap_call *c, struct xact *x,
    const struct soap_route **route, xmlDoc **parsed, xmlNode **body)
{
	struct soap_fault f;
	char e[256];

	*route = soap_route_find(p->ep, c->req.action);
	local_record(p, c, x, *route);
	if (*route == NULL) {
		str_fmt(e, sizeof e, "unknown action %s at %s", c->req.action,
		    p->ep->path);
		local_fault(c, x, e);
		return 1;
	}
	if ((*body = c->req.body) == NULL) {
		if (c->req.body_xml == NULL) {
			soap_call_fail(c, XDS_EINVAL, "no request body");
			return -1;
		}
		if ((*parsed = xml_parse(c->req.body_xml, c->req.body_len != 0 ?
		    c->req.body_len : strlen(c->req.body_xml), e, sizeof e)) ==
		    NULL) {
			soap_call_fail(c, XDS_EFORMAT, "request body: %s", e);
			return -1;
		}
		*body = xmlDocGetRootElement(*parsed);
	}
	if (soap_route_check(*route, c->req.pack, *body, &f) != 0) {
		local_fault(c, x, f.reason);
		return 1;
	}
	return 0;
}

static int
local_call(struct soap_peer *p, struct soap_call *c)
{
	const struct soap_route *route = NULL;
	struct soap_bounds b;
	struct soap_request req;
	struct soap_reply reply;
	struct xact scratch, *x = c->req.x;
	xmlDoc *parsed = NULL;
	xmlNode *body = NULL;
	long long t0 = clock_real_ms();
	int r;

	if (x == NULL) {
		xact_begin(&scratch, NULL, p->ep->path, "in-process", "local");
		x = &scratch;
	}
	soap_call_bounds(p, c, &b);
	memset(&reply, 0, sizeof reply);
	buf_init(&reply.body, b.max_answer);
	if ((r = local_request(p, c, x, &route, &parsed, &body)) != 0)
		goto out;
	memset(&req, 0, sizeof req);
	req.doc = body->doc;
	req.body = body;
	req.pack = c->req.pack;
	req.att = c->req.att;
	req.natt = c->req.natt;
	r = route->fn(p->ep->actor, x, &req, &reply);
	c->ans.att = reply.att;		/* removed with the answer, as marked */
	c->ans.natt = reply.natt;
	if (r != 0 || reply.body.b_len == 0) {
		c->ans.handler_status = r < 0 ? r : 0;
		local_fault(c, x, x->reason[0] != '\0' ? x->reason : r != 0 ?
		    "the request could not be processed" :
		    "no response was produced");
		goto out;
	}
	c->ans.http_status = 200;
	c->ans.bytes = reply.body;
	buf_init(&reply.body, 0);
	(void)ans_parse(c, "in-process", 0);
out:
	x->http_status = c->ans.http_status != 0 ? c->ans.http_status : 500;
	c->ans.elapsed_ms = clock_real_ms() - t0;
	buf_free(&reply.body);
	xmlFreeDoc(parsed);
	return c->ans.status;
}

int
soap_peer_call(struct soap_peer *p, struct soap_call *c)
{
	struct soap_fanout *f = NULL;
	char e[128];

	ans_reset(c);
	if (p->ep != NULL)
		return local_call(p, c);
	if (soap_fanout_new(&f, e, sizeof e) != XDS_OK ||
	    soap_fanout_add(f, p, c) != XDS_OK ||
	    soap_fanout_run(f, 0) != XDS_OK) {
		soap_fanout_free(f);
		return soap_call_fail(c, XDS_ENOMEM, "out of memory");
	}
	soap_fanout_free(f);
	return c->ans.status;
}

/* ---- the fan-out ---- */

struct fan_item {
	struct soap_peer	*p;
	struct soap_call	*c;
	struct soap_xfer		*xf;	/* remote, while it runs */
	int			 started;	/* remote: this try began */
	long long		 start_at;	/* remote: not before (ms) */
};

struct soap_fanout {
	struct fan_item		*v;
	size_t			 n, cap;
	size_t			 nlocal;
	soap_again_fn		 again;
	void			*again_arg;
};

int
soap_fanout_new(struct soap_fanout **out, char *err, size_t errlen)
{
	if ((*out = calloc(1, sizeof **out)) == NULL) {
		str_lcpy(err, "out of memory", errlen);
		return XDS_ENOMEM;
	}
	return XDS_OK;
}

int
soap_fanout_add(struct soap_fanout *f, struct soap_peer *p,
    struct soap_call *c)
{
	struct fan_item *v;
	size_t cap;

	if (f->n == f->cap) {
		cap = f->cap == 0 ? 8 : f->cap * 2;
		if ((v = reallocarray(f->v, cap, sizeof *v)) == NULL)
			return XDS_ENOMEM;
		f->v = v;
		f->cap = cap;
	}
	memset(&f->v[f->n], 0, sizeof f->v[f->n]);
	f->v[f->n].p = p;
	f->v[f->n].c = c;
	f->n++;
	if (p->ep != NULL)
		f->nlocal++;
	return XDS_OK;
}

/* The in-process calls, one after the other (on the helper thread). */
static void *
run_locals(void *arg)
{
	struct soap_fanout *f = arg;
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->v[i].p->ep != NULL) {
			ans_reset(f->v[i].c);
			(void)local_call(f->v[i].p, f->v[i].c);
		}
	return NULL;
}

void
soap_fanout_again(struct soap_fanout *f, soap_again_fn fn, void *arg)
{
	f->again = fn;
	f->again_arg = arg;
}

/* The remote calls waiting for their (next) try: how many, and the
 * earliest time one is due in *next. */
static size_t
pending(const struct soap_fanout *f, long long *next)
{
	size_t i, n = 0;

	*next = 0;
	for (i = 0; i < f->n; i++)
		if (f->v[i].p->ep == NULL && !f->v[i].started &&
		    (n++ == 0 || f->v[i].start_at < *next))
			*next = f->v[i].start_at;
	return n;
}

/* Add the remote calls due by now to m (a call that cannot start ends
 * now). */
static void
start_due(struct soap_fanout *f, CURLM *m, long long deadline,
    long long now)
{
	struct fan_item *it;
	size_t i;

	for (i = 0; i < f->n; i++) {
		it = &f->v[i];
		if (it->p->ep != NULL || it->started || it->start_at > now)
			continue;
		it->started = 1;
		ans_reset(it->c);
		if (soap_xfer_new(&it->xf, it->p, it->c, deadline) != XDS_OK)
			continue;	/* its failure is in its answer */
		if (curl_multi_add_handle(m, soap_xfer_easy(it->xf)) !=
		    CURLM_OK) {
			soap_call_fail(it->c, XDS_ENOMEM, "out of memory");
			soap_xfer_free(it->xf);
			it->xf = NULL;
		}
	}
}

/* A transfer that ended: its answer is the call's; another try when the
 * run's again function asks for one (the transfer is freed first: the
 * answer does not depend on it). */
static void
ended(struct soap_fanout *f, struct soap_xfer *xf)
{
	struct fan_item *it = NULL;
	long delay;
	size_t i;

	if (f->again == NULL)
		return;
	for (i = 0; i < f->n && it == NULL; i++)
		if (f->v[i].xf == xf)
			it = &f->v[i];
	if (it == NULL)
		return;
	soap_xfer_free(it->xf);
	it->xf = NULL;
	if ((delay = f->again(f->again_arg, it->c)) < 0)
		return;
	it->started = 0;
	it->start_at = clock_real_ms() + delay;
}

/* Transfers that ended: their answers. */
static void
reap(struct soap_fanout *f, CURLM *m)
{
	struct soap_xfer *xf;
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(m, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		if (curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
		    (char **)&xf) != CURLE_OK || xf == NULL)
			continue;
		soap_xfer_done(xf, msg->data.result);
		curl_multi_remove_handle(m, msg->easy_handle);
		ended(f, xf);
	}
}

/* Drive m until every transfer ended and none waits for another try, or
 * the deadline passed. */
static void
drive(struct soap_fanout *f, CURLM *m, long long deadline)
{
	long long now, next;
	size_t waiting;
	int running = 0, wait;

	for (;;) {
		start_due(f, m, deadline, clock_real_ms());
		if (curl_multi_perform(m, &running) != CURLM_OK)
			break;
		reap(f, m);		/* may ask for other tries */
		waiting = pending(f, &next);
		if (running == 0 && waiting == 0)
			break;
		now = clock_real_ms();
		wait = 1000;
		if (deadline > 0) {
			if (now >= deadline)
				break;
			if (deadline - now < wait)
				wait = (int)(deadline - now);
		}
		if (waiting > 0 && next - now < wait)
			wait = next > now ? (int)(next - now) : 0;
		if (curl_multi_poll(m, NULL, 0, wait, NULL) != CURLM_OK)
			break;
	}
}

int
soap_fanout_run(struct soap_fanout *f, long timeout_ms)
{
	long long deadline = timeout_ms > 0 ? clock_real_ms() + timeout_ms : 0;
	struct fan_item *it;
	pthread_t helper;
	CURLM *m;
	size_t i;
	int threaded = 0;

	if ((m = curl_multi_init()) == NULL) {
		for (i = 0; i < f->n; i++) {
			ans_reset(f->v[i].c);
			soap_call_fail(f->v[i].c, XDS_ENOMEM, "out of memory");
		}
		return XDS_ENOMEM;
	}
	for (i = 0; i < f->n; i++) {
		f->v[i].started = 0;
		f->v[i].start_at = 0;
	}
	if (f->nlocal > 0 && f->nlocal < f->n)
		threaded = pthread_create(&helper, NULL, run_locals, f) == 0;
	if (f->nlocal > 0 && !threaded)
		(void)run_locals(f);
	drive(f, m, deadline);
	/* A call that waited for another try past the deadline has no
	 * transfer: it ends with its last try's answer. */
	for (i = 0; i < f->n; i++) {
		if ((it = &f->v[i])->xf == NULL)
			continue;
		if (!soap_xfer_ended(it->xf)) {
			curl_multi_remove_handle(m, soap_xfer_easy(it->xf));
			soap_xfer_expired(it->xf, timeout_ms);
		}
		soap_xfer_free(it->xf);
		it->xf = NULL;
	}
	if (threaded)
		pthread_join(helper, NULL);
	curl_multi_cleanup(m);
	return XDS_OK;
}

void
soap_fanout_free(struct soap_fanout *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n; i++)
		soap_xfer_free(f->v[i].xf);
	free(f->v);
	free(f);
}
