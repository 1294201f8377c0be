/*
 * feedlisten.c: the ITI-8 feed's MLLP listener (feedlisten.h): each
 * message one transaction, its acknowledgment sent only after the
 * registry's change is durable and its audit record written.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>

#include "buf.h"
#include "conf.h"
#include "feed.h"
#include "feedlisten.h"
#include "hl7v2.h"
#include "log.h"
#include "mllp.h"
#include "str.h"
#include "tls.h"
#include "vocab.h"
#include "xact.h"

struct feedlisten {
	const struct conf	*conf;
	struct registry_feed	*feed;
	struct mllp_server	*srv;
	int			 tls;		/* registry.feed_tls */
	char			 host[256];
};

static int
on_message(void *arg, const struct mllp_peer *p, const char *msg, size_t len,
    int toobig, struct buf *out)
{
	struct feedlisten *fl = arg;
	struct xact x;
	char why[128];
	int rc;

	xact_begin(&x, fl->conf, FEEDLISTEN_ENDPOINT, p->subject[0] != '\0' ?
	    p->subject : "anonymous", p->addr);
	str_lcpy(x.txn, TXN_ITI8, sizeof x.txn);
	x.http_status = 0;		/* not HTTP */
	if (!registry_feed_source_ok(fl->conf->registry_feed_sources,
	    p->addr, p->subject)) {
		/* a merge cannot be undone: only the sources named */
		rc = registry_feed_refuse(fl->feed, &x, msg, len,
		    FEED_R_SOURCE, "the peer is not in registry.feed_sources",
		    out);
	} else if (toobig) {
		str_fmt(why, sizeof why, "message of more than %d bytes",
		    HL7V2_MAX_MESSAGE);
		rc = registry_feed_refuse(fl->feed, &x, msg, len,
		    FEED_R_TOO_BIG, why, out);
	} else
		rc = registry_feed_message(fl->feed, &x, msg, len, out);
	if (rc != XDS_OK) {
		xact_fail(&x, XACT_FAULT, "out of memory");
		xact_end(&x);
		return -1;
	}
	/* no acknowledgment without the record: the source sends the
	 * message again, and taking it twice changes nothing more */
	if (xact_end(&x) != 0) {
		log_warnx("feed: the audit record could not be written: the "
		    "message is not acknowledged");
		return -1;
	}
	return 0;
}

int
feedlisten_start(const struct conf *cf, struct registry *reg,
    const struct pki_crls *crls, struct feedlisten **out, char *err,
    size_t errlen)
{
	struct feedlisten *fl;
	struct mllp_opts o;
	SSL_CTX *tls = NULL;
	char host[256];
	int port;

	*out = NULL;
	if (conf_listen_addr(cf->registry_feed_listen, host, sizeof host,
	    &port) != 0) {
		str_fmt(err, errlen, "registry.feed_listen: not host:port");
		return -1;
	}
	if ((fl = calloc(1, sizeof *fl)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return -1;
	}
	fl->conf = cf;
	str_lcpy(fl->host, host, sizeof fl->host);
	if (registry_feed_open(cf, reg, &fl->feed, err, errlen) != XDS_OK)
		goto fail;
	if (cf->registry_feed_tls && (tls = tls_server_ctx(cf->http_cert,
	    cf->http_key, cf->http_ca, crls, err, errlen)) == NULL)
		goto fail;
	fl->tls = tls != NULL;
	memset(&o, 0, sizeof o);
	o.host = host;
	o.port = port;
	o.tls = tls;
	o.max_message = HL7V2_MAX_MESSAGE;
	o.max_conns = FEEDLISTEN_MAX_CONNS;
	o.idle_timeout = FEEDLISTEN_IDLE;
	o.fn = on_message;
	o.arg = fl;
	if (mllp_start(&o, &fl->srv, err, errlen) != XDS_OK)
		goto fail;
	SSL_CTX_free(tls);	/* the listener holds its own */
	*out = fl;
	return 0;
fail:
	SSL_CTX_free(tls);
	feedlisten_stop(fl);
	return -1;
}

int
feedlisten_set_tls(struct feedlisten *fl, SSL_CTX *ctx)
{
	return mllp_set_tls(fl->srv, ctx);
}

int
feedlisten_port(const struct feedlisten *fl)
{
	return mllp_port(fl->srv);
}

void
feedlisten_info(struct feedlisten *fl, struct feedlisten_info *fi)
{
	memset(fi, 0, sizeof *fi);
	str_lcpy(fi->host, fl->host, sizeof fi->host);
	fi->port = mllp_port(fl->srv);
	fi->tls = fl->tls;
	registry_feed_stats(fl->feed, &fi->st);
}

int
feedlisten_metrics(void *arg, struct buf *out)
{
	struct registry_feed_stats st;
	int i, rc;

	registry_feed_stats(((struct feedlisten *)arg)->feed, &st);
	rc = buf_adds(out, "# HELP xds_feed_messages_total ITI-8 messages "
	    "answered on registry.feed_listen: accepted, or the reason of "
	    "the refusal.\n# TYPE xds_feed_messages_total counter\n");
	for (i = 0; i < FEED_NRESULTS; i++)
		rc |= buf_addf(out, "xds_feed_messages_total{result=\"%s\"} "
		    "%llu\n", registry_feed_result_name(i), st.n[i]);
	rc |= buf_addf(out, "# HELP xds_feed_last_message_seconds When the "
	    "last ITI-8 message came (Unix time; 0: none yet).\n"
	    "# TYPE xds_feed_last_message_seconds gauge\n"
	    "xds_feed_last_message_seconds %lld\n", st.last_at);
	return rc == XDS_OK ? XDS_OK : XDS_ETOOBIG;
}

void
feedlisten_stop(struct feedlisten *fl)
{
	if (fl == NULL)
		return;
	mllp_stop(fl->srv);
	registry_feed_close(fl->feed);
	free(fl);
}
