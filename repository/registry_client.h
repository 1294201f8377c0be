/*
 * registry_client.h: how the Document Repository reaches its Document
 * Registry with ITI-42 (ihe-reference.md 1.12 P3, P4).
 *
 *   in-process: the ITI-42 route of the local registry's endpoint is
 *               called directly with the metadata DOM (no copy, no HTTP);
 *               the call is audited as its own ITI-42 transaction;
 *   SOAP:       repository.registry_url, simple SOAP 1.2, mutual TLS with
 *               the node's http.cert/http.key/http.ca.
 *
 * The SOAP transport is passed in (registry_post_fn, e.g. soapclient_call)
 * so that this library does not link the node's HTTP client.
 */
#ifndef XDS_REGISTRY_CLIENT_H
#define XDS_REGISTRY_CLIENT_H

#include <stddef.h>
#include <libxml/tree.h>

#include "soapclient.h"

struct buf;
struct conf;
struct registry_client;
struct rim_errors;
struct soap_endpoint;
struct xact;

/* Closes (audits) the in-process ITI-42 transaction: xact_end, which
 * lives in the node layer above this library; NULL: not audited. */
typedef void (*registry_audit_fn)(struct xact *);

typedef int (*registry_post_fn)(const char *url, const char *action,
    const char *body_xml, const struct soapclient_opts *o, int *http_status,
    struct buf *out, char *err, size_t errlen);

enum regc_status {
	REGC_SUCCESS = 0,	/* the registry answered Success */
	REGC_FAILURE = 1,	/* it answered Failure/PartialSuccess: errs */
	REGC_UNAVAILABLE = 2,	/* no usable answer: XDSRegistryNotAvailable
				   was added to errs */
	REGC_UNCERTAIN = 3,	/* as UNAVAILABLE, but the request may have
				   reached the remote registry (timeout, lost
				   connection): the caller must keep what the
				   registry may now refer to */
	REGC_ENOMEM = -1,
};

/*
 * local: the local registry's endpoint (NULL when none runs here); post:
 * the SOAP transport, required when cf->repository_registry_url is set;
 * audit: see registry_audit_fn.  Fails when neither way to a registry
 * exists.
 */
int	registry_client_new(const struct conf *cf,
	    const struct soap_endpoint *local, registry_post_fn post,
	    registry_audit_fn audit, struct registry_client **out, char *err,
	    size_t errlen);
void	registry_client_free(struct registry_client *);
/* "in-process" or the URL. */
const char *registry_client_target(const struct registry_client *);

/*
 * Register the lcm:SubmitObjectsRequest element sor (of document doc) as
 * ITI-42.  The registry's RegistryErrors (errors and warnings) are added
 * to errs.  parent is the inbound transaction (for the log).
 */
int	registry_client_register(struct registry_client *, xmlDoc *doc,
	    xmlNode *sor, struct xact *parent, struct rim_errors *errs);

/*
 * Ask the registry whether it holds a DocumentEntry with this uniqueId
 * (ITI-18 GetDocuments, returnType ObjectRef, any status; in-process or
 * to repository.registry_url).  1: it does, 0: it does not, -1: no
 * answer that tells (err says why).  For the start-up reconciliation of
 * rows whose registration outcome is unknown.
 */
int	registry_client_find(struct registry_client *, const char *unique_id,
	    char *err, size_t errlen);
/* Parse an AdhocQueryResponse (alone or in an envelope): 1 when it is a
 * Success with at least one object, 0 a Success without, -1 otherwise.
 * Pure; for tests. */
int	registry_client_parse_found(const char *xml, size_t len, char *err,
	    size_t errlen);

/*
 * Parse a RegistryResponse (alone, or the Body child of a SOAP envelope)
 * from len bytes: REGC_SUCCESS / REGC_FAILURE with its errors added to
 * errs, or REGC_UNAVAILABLE when it is not one.  Pure; for tests.
 */
int	registry_client_parse_response(const char *xml, size_t len,
	    struct rim_errors *errs, char *err, size_t errlen);

#endif
