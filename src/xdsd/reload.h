/*
 * reload.h: SIGHUP reloads the node's TLS files (certificate, key, CA,
 * CRLs) without dropping a connection (docs/design.md, Certificates).
 */
#ifndef XDS_RELOAD_H
#define XDS_RELOAD_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "conf.h"
#include "http.h"
#include "pki.h"

/*
 * Start the reload thread for c (borrowed until reload_stop) and the
 * server s (NULL or a plain server: only the CRLs of outbound requests
 * are reloaded).  crls is the set loaded at start (NULL: none); its
 * earliest nextUpdate and ctx's notAfter go into the metrics.  0, or -1
 * with err filled.
 */
int	reload_start(const struct conf *c, struct http_server *s,
	    SSL_CTX *ctx, const struct pki_crls *crls, char *err,
	    size_t errlen);
/* The ITI-8 feed's listener (feedlisten.h), once started: with
 * registry.feed_tls its context is reloaded too.  fl outlives
 * reload_stop. */
struct feedlisten;
void	reload_feed(struct feedlisten *fl);
/* A DICOM listener (dcmshim.h), once started: over TLS, its certificate
 * and key are reloaded too (a plain one or NULL: nothing).  scp outlives
 * reload_stop. */
struct dcmshim_scp;
void	reload_dicom(struct dcmshim_scp *scp);
/* The subject and notAfter of the server certificate in use on any TLS
 * listener (HTTP, the ITI-8 feed, dicom.listen, push.listen: the same
 * files, the last ones loaded successfully): 0, or -1 when the node
 * serves no TLS. */
int	reload_cert(char *subject, size_t len, time_t *notafter);
/* Ask for a reload; async-signal-safe (the SIGHUP handler). */
void	reload_signal(void);
/* Stop and join the reload thread. */
void	reload_stop(void);
/* The reloads, the certificate's notAfter, the CRLs' nextUpdate and the
 * refused peer certificates for GET /metrics (metrics_add_source). */
int	reload_metrics(void *arg, struct buf *out);

#endif
