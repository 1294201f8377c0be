/*
 * wire.c: the actors of this node and the peers by which they reach each
 * other.  Which actors run, and whether a peer is an endpoint of this
 * process or a URL, is the configuration's; the actors never know.
 */
#include "config.h"

#include <string.h>

#include "bridge.h"
#include "conf.h"
#include "directory.h"
#include "gateway.h"
#include "log.h"
#include "metrics.h"
#include "mitz_outbox.h"
#include "rad69.h"
#include "registry.h"
#include "repository.h"
#include "router.h"
#include "soap_peer.h"
#include "status.h"
#include "str.h"
#include "wire.h"
#include "xdr.h"

/*
 * The peer an actor reaches another by: url (the value of option opt)
 * over SOAP with the node's TLS client identity, or, when url is empty,
 * local (an endpoint of this node, NULL when none runs here: *out is
 * NULL then).
 */
static int
peer_open(const struct conf *cf, const char *opt, const char *url,
    const struct soap_endpoint *local, struct soap_peer **out, char *err,
    size_t errlen)
{
	struct soap_peer_opts o;
	char e[CONF_STR_MAX + 64];

	*out = NULL;
	if (url[0] == '\0')
		return local == NULL ? 0 : soap_peer_local(out, local, NULL,
		    err, errlen);
	memset(&o, 0, sizeof o);
	soap_peer_opts_tls(&o, cf->http_cert, cf->http_key, cf->http_ca);
	if (soap_peer_remote(out, url, &o, e, sizeof e) != XDS_OK) {
		str_fmt(err, errlen, "%s %s", opt, e);
		return -1;
	}
	return 0;
}

static void gateway_wire(const struct conf *, struct wire *);
static void xdr_wire(const struct conf *, struct wire *);
static void mitz_wire(const struct conf *, struct wire *);

void
wire_open(const struct conf *cf, struct wire *n)
{
	char err[512];

	memset(n, 0, sizeof *n);
	if (cf->registry_enabled &&
	    registry_open(cf, &n->reg, err, sizeof err) != 0)
		fatalx("registry: %s", err);
	if ((n->rt = router_new(cf, err, sizeof err)) == NULL)
		fatalx("%s", err);
	if (n->reg != NULL)
		router_mount(n->rt, registry_endpoint(n->reg));
	if (cf->dicom_enabled) {
		if (rad69_open(cf, &n->ids, err, sizeof err) != 0)
			fatalx("dicom: %s", err);
		router_mount(n->rt, rad69_endpoint(n->ids));
	}
	if (cf->repository_enabled) {
		if (peer_open(cf, "repository.registry_url",
		    cf->repository_registry_url, n->reg != NULL ?
		    registry_endpoint(n->reg) : NULL, &n->registry, err,
		    sizeof err) != 0 ||
		    repository_open(cf, n->registry, &n->repo, err,
		    sizeof err) != 0)
			fatalx("repository: %s", err);
		router_mount(n->rt, repository_endpoint(n->repo));
		metrics_add_source(repository_metrics_write, n->repo);
	}
	if (cf->dicom_enabled && peer_open(cf, "dicom.repository_url",
	    cf->dicom_repository_url, n->repo != NULL ?
	    repository_endpoint(n->repo) : NULL, &n->repository, err,
	    sizeof err) != 0)
		fatalx("dicom: %s", err);
	if ((cf->gateway_responding || cf->gateway_initiating ||
	    cf->xdr_recipient) && dir_open(cf, &n->dir, err, sizeof err) !=
	    XDS_OK)
		fatalx("directory: %s", err);
	if (n->dir != NULL)
		log_info("directory: %s", dir_describe(n->dir));
	if (cf->gateway_responding || cf->gateway_initiating)
		gateway_wire(cf, n);
	if (cf->xdr_recipient)
		xdr_wire(cf, n);
	if (strcmp(cf->consent_mode, "mitz") == 0)
		mitz_wire(cf, n);
}

/* The XDR Document Recipient, which stores through this node's
 * repository (conf_check: repository.enabled is on). */
static void
xdr_wire(const struct conf *cf, struct wire *n)
{
	char err[512];

	if (n->repo == NULL || peer_open(cf, "xdr.recipient", "",
	    repository_endpoint(n->repo), &n->xdr_repository, err,
	    sizeof err) != 0 || xdr_open(cf, n->dir, n->xdr_repository,
	    &n->xdr, err, sizeof err) != XDS_OK)
		fatalx("xdr: %s", n->repo == NULL ? "needs repository.enabled" :
		    err);
	router_mount(n->rt, xdr_endpoint(n->xdr));
}

/*
 * Mitz's side of consent: the registry's new patients to the
 * subscription outbox, Mitz's notifications to the responding gateway's
 * consent cache.
 */
/* mitz_patients_fn over this node's registry. */
static int
registry_patients(void *arg, int (*cb)(void *, const char *), void *cbarg)
{
	return registry_each_patient(arg, cb, cbarg);
}

static void
mitz_wire(const struct conf *cf, struct wire *n)
{
	char err[512];

	if (cf->consent_subscribe_url[0] != '\0' && n->reg == NULL)
		log_warnx("mitz: consent.subscribe_url is set, but this node "
		    "runs no registry: nobody is subscribed");
	else if (cf->consent_subscribe_url[0] != '\0') {
		if (mitz_outbox_open(cf, registry_patients, n->reg,
		    &n->outbox, err, sizeof err) != XDS_OK)
			fatalx("mitz: %s", err);
		registry_on_new_patient(n->reg, mitz_outbox_patient,
		    n->outbox);
		metrics_add_source(mitz_outbox_metrics_write, n->outbox);
	}
	if (n->gw != NULL && gateway_rg_endpoint(n->gw) != NULL)
		router_set_notify(n->rt, gateway_mitz_notify, n->gw);
}

/* The gateways and their peers to this community's actors. */
static void
gateway_wire(const struct conf *cf, struct wire *n)
{
	struct gateway_links gl;
	const struct soap_endpoint *ep;
	char err[512];

	if (peer_open(cf, "gateway.registry_url", cf->gateway_registry_url,
	    n->reg != NULL ? registry_endpoint(n->reg) : NULL,
	    &n->gw_registry, err, sizeof err) != 0 ||
	    peer_open(cf, "gateway.repository_url",
	    cf->gateway_repository_url, n->repo != NULL ?
	    repository_endpoint(n->repo) : NULL, &n->gw_repository, err,
	    sizeof err) != 0 ||
	    peer_open(cf, "gateway.imaging_url", cf->gateway_imaging_url,
	    n->ids != NULL ? rad69_endpoint(n->ids) : NULL, &n->gw_imaging,
	    err, sizeof err) != 0)
		fatalx("gateway: %s", err);
	memset(&gl, 0, sizeof gl);
	gl.directory = n->dir;
	gl.registry = n->gw_registry;
	gl.repository = n->gw_repository;
	gl.imaging = n->gw_imaging;
	if (gateway_open(cf, &gl, &n->gw, err, sizeof err) != 0)
		fatalx("gateway: %s", err);
	if ((ep = gateway_rg_endpoint(n->gw)) != NULL)
		router_mount(n->rt, ep);
	if ((ep = gateway_ig_endpoint(n->gw)) != NULL) {
		router_mount(n->rt, ep);
		metrics_add_source(gateway_metrics_write, n->gw);
	}
}

void
wire_close(struct wire *n)
{
	router_free(n->rt);
	xdr_close(n->xdr);
	soap_peer_free(n->xdr_repository);
	gateway_close(n->gw);
	dir_close(n->dir);
	soap_peer_free(n->gw_registry);
	soap_peer_free(n->gw_repository);
	soap_peer_free(n->gw_imaging);
	mitz_outbox_close(n->outbox);
	repository_close(n->repo);
	soap_peer_free(n->registry);
	soap_peer_free(n->repository);
	rad69_close(n->ids);
	registry_close(n->reg);
}
