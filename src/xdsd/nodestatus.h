/*
 * nodestatus.h: what `GET /status` (one self-contained HTML page) and
 * `GET /status.json` (what `xdsctl status` reads) tell an operator: the
 * node's version and uptime, where it listens and which endpoints it
 * serves, requests per transaction with their rate and latency, the
 * connections and queue, the disk space left, the certificate's expiry,
 * the ITI-8 feed (where, messages by result, the last one's time),
 * each community the initiating gateway asks (answered, failed, how the
 * last request went) and the last warnings.  No patient data: the counters carry none and
 * the log lines never do (log.h).  Served under the same rules as
 * /metrics.
 */
#ifndef XDS_NODESTATUS_H
#define XDS_NODESTATUS_H

struct buf;
struct conf;
struct feedlisten;
struct gateway;
struct http_server;
struct router;

/* At start-up, once the listener is open; cf, srv, rt and gw (NULL: no
 * gateways) outlive it. */
void	status_init(const struct conf *cf, const struct http_server *srv,
	    const struct router *rt, struct gateway *gw, int http_port,
	    int dicom_port);
/* The ITI-8 feed's listener, once started (it outlives the status). */
void	status_feed(struct feedlisten *);
/* The status as JSON, or as an HTML page: 0, or -1 when it does not fit
 * out. */
int	status_json(struct buf *out);
int	status_html(struct buf *out);

#endif
