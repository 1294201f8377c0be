/*
 * bridge.h: the DICOM bridge as the node runs it (bridge.c): a C-STORE
 * SCP whose instances are made durable and tracked per study, and a
 * scheduler that publishes each study, once quiet, as a KOS manifest by
 * RAD-68.  RAD-69 for those instances is rad69.h.
 *
 * The files of dicom/, each with its own header; a call only goes down
 * this graph, never back up (each file may also use dicom/shim and lib/):
 *
 *	bridge.c		start/stop, SCP thread, publication scheduler
 *	|-> bridge_receive.c	durable receive of the C-STORE instances
 *	|   |-> bridge_patient.c
 *	|   `-> bridge_db.c
 *	|-> bridge_recover.c	crash recovery at start and at a clean stop
 *	|   |-> bridge_patient.c
 *	|   `-> bridge_db.c
 *	|-> publish.c		KOS manifest by RAD-68
 *	|   `-> bridge_db.c
 *	`-> bridge_db.c		the study database, state_dir/dicom.db
 *	bridge_patient.c	the patient's BSN from a header (pure)
 *	rad69.c			RAD-69 over the store; calls none of the above
 *
 * Prefixes: bridge_ (bridge.c), bridge_receive_, bridge_recover_,
 * bridge_patient_, bridge_db_, bridge_ids_ (rad69.c); publish.c exports
 * bridge_publish, bridge_links_usable, bridge_accession_cxi and
 * bridge_rad68_*.  publish.c includes this header for struct bridge_links
 * only.
 */
#ifndef XDS_BRIDGE_H
#define XDS_BRIDGE_H

#include <stddef.h>

#include "conf.h"

struct bridge;
struct soap_endpoint;
struct xact;

/*
 * The HTTP transport for RAD-68 to a remote repository (dicom.repository_url),
 * passed in because this library links before the node's HTTP client:
 * POST len bytes of body with this Content-Type to url (TLS 1.2+, the
 * server certificate verified against o->ca, client certificate o->cert/
 * o->key when set; o->timeout and o->max_response bound the exchange).
 * Returns 0 with *http_status, the response's Content-Type in reply_type
 * ("" if none) and its body in out; -1 when there is no answer (err says
 * why: connection refused, TLS, timeout, response too large).
 */
struct buf;
struct soapclient_opts;
typedef int (*bridge_post_fn)(const char *url, const char *content_type,
    const void *body, size_t len, const struct soapclient_opts *o,
    int *http_status, char *reply_type, size_t reply_typelen,
    struct buf *out, char *err, size_t errlen);

/*
 * Where manifests go.  With dicom.repository_url empty: repository, the
 * endpoint of this node's repository (its ITI-41 route takes RAD-68), or
 * NULL when none runs here (studies then wait as ready).  With it set, the
 * manifest goes there as an MTOM ITI-41 through post (xdsd passes
 * soapclient_post, which lives in a library linked after this one), with
 * the node's TLS client certificate (http.cert/http.key/http.ca, as
 * repository.registry_url); NULL post: studies wait as ready.  audit
 * closes each RAD-68 transaction (xact_end), or NULL.
 */
struct bridge_links {
	const struct soap_endpoint	*repository;
	void				(*audit)(struct xact *);
	bridge_post_fn			 post;
};

/* Start the SCP on conf->dicom_listen in its own thread, and the
 * scheduler.  The state directory must exist.  links may be NULL. */
int	bridge_start(const struct conf *conf, const struct bridge_links *links,
	    struct bridge **out, char *err, size_t errlen);
/* The bound DICOM port. */
int	bridge_port(const struct bridge *b);
/* Stop accepting, let current associations finish, stop the scheduler,
 * free.  NULL is a no-op. */
void	bridge_stop(struct bridge *b);

#endif /* XDS_BRIDGE_H */
