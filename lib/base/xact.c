#include "config.h"

#include <string.h>

#include "str.h"
#include "xact.h"

static xact_sink_fn xact_sink;

void
xact_set_sink(xact_sink_fn fn)
{
	xact_sink = fn;
}

void
xact_begin(struct xact *x, const struct conf *conf, const char *endpoint,
    const char *peer, const char *peer_addr)
{
	memset(x, 0, sizeof *x);
	clock_gettime(CLOCK_MONOTONIC, &x->t_start);
	x->conf = conf;
	str_lcpy(x->txn, "HTTP", sizeof x->txn);
	str_lcpy(x->endpoint, endpoint ? endpoint : "", sizeof x->endpoint);
	str_lcpy(x->peer, peer && *peer ? peer : "anonymous", sizeof x->peer);
	str_lcpy(x->peer_addr, peer_addr ? peer_addr : "", sizeof x->peer_addr);
	x->outcome = XACT_SUCCESS;
	x->http_status = 200;
}

void
xact_begin_out(struct xact *x, const struct conf *conf, const char *txn,
    const char *peer_url)
{
	xact_begin(x, conf, "", peer_url, "");
	str_lcpy(x->txn, txn != NULL ? txn : "", sizeof x->txn);
	x->outbound = 1;
}

void
xact_set_patient(struct xact *x, const char *cx)
{
	if (cx != NULL && x->patient[0] == '\0')
		str_lcpy(x->patient, cx, sizeof x->patient);
}

void
xact_set_object(struct xact *x, const char *obj)
{
	if (obj != NULL)
		str_lcpy(x->object, obj, sizeof x->object);
}

void
xact_add_error(struct xact *x, const char *code)
{
	const char *p = x->errors;
	size_t n = strlen(code);

	if (x->outcome < XACT_FAILURE)
		x->outcome = XACT_FAILURE;
	while ((p = strstr(p, code)) != NULL) {
		if ((p == x->errors || p[-1] == ' ') &&
		    (p[n] == '\0' || p[n] == ' '))
			return;		/* already recorded */
		p += n;
	}
	if (x->errors[0] != '\0')
		str_lcat(x->errors, " ", sizeof x->errors);
	str_lcat(x->errors, code, sizeof x->errors);
}

void
xact_fail(struct xact *x, enum xact_outcome o, const char *reason)
{
	if (o > x->outcome)
		x->outcome = o;
	if (reason != NULL && x->reason[0] == '\0')
		str_lcpy(x->reason, reason, sizeof x->reason);
}

double
xact_elapsed(const struct xact *x)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - x->t_start.tv_sec) +
	    (double)(now.tv_nsec - x->t_start.tv_nsec) / 1e9;
}

int
xact_end(struct xact *x)
{
	if (x->ended)
		return x->end_status;
	x->ended = 1;
	if (xact_sink != NULL)
		x->end_status = xact_sink(x);
	return x->end_status;
}

int
xact_end_refused(struct xact *x, int http_status, const char *reason)
{
	x->outcome = XACT_FAULT;
	x->http_status = http_status;
	str_lcpy(x->reason, reason, sizeof x->reason);
	x->ended = 0;
	return xact_end(x);
}
