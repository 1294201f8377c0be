/*
 * feedlisten.h: the ITI-8 Patient Identity Feed's listener
 * (registry.feed_listen): MLLP (lib/http/mllp.h), with mutual TLS when
 * registry.feed_tls, each message handed to the registry's feed
 * (registry/feed.h) as one transaction with its audit record.
 */
#ifndef XDS_FEEDLISTEN_H
#define XDS_FEEDLISTEN_H

#include <stddef.h>

#include "feed.h"

typedef struct ssl_ctx_st SSL_CTX;
struct buf;
struct conf;
struct feedlisten;
struct pki_crls;
struct registry;

/* The endpoint name of its transactions (the access log's "endpoint"). */
#define FEEDLISTEN_ENDPOINT	"/mllp"
#define FEEDLISTEN_MAX_CONNS	16
#define FEEDLISTEN_IDLE		300	/* seconds idle */

/* Start it (registry.feed_listen set); 0, or -1 with err. */
int	feedlisten_start(const struct conf *, struct registry *,
	    const struct pki_crls *, struct feedlisten **, char *err,
	    size_t errlen);
/* The port it bound. */
int	feedlisten_port(const struct feedlisten *);
/* The TLS context of its next handshakes (SIGHUP, reload.c); takes ctx.
 * XDS_EINVAL when the feed is plain. */
int	feedlisten_set_tls(struct feedlisten *, SSL_CTX *ctx);
/* Where it listens and what it answered, for the status page. */
struct feedlisten_info {
	char			host[256];
	int			port;
	int			tls;
	struct registry_feed_stats st;
};
void	feedlisten_info(struct feedlisten *, struct feedlisten_info *);
/* Its counters for GET /metrics (metrics_add_source; arg the listener). */
int	feedlisten_metrics(void *arg, struct buf *out);
/* Stop it: the message being handled is answered first. */
void	feedlisten_stop(struct feedlisten *);

#endif
