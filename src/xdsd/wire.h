/*
 * wire.h: the actors of this node, mounted on the router, and the peers
 * by which they reach each other (wire.c).
 */
#ifndef XDS_WIRE_H
#define XDS_WIRE_H

struct conf;

struct wire {
	struct registry		*reg;
	struct repository	*repo;
	struct rad69_source	*ids;		/* RAD-69 of the DICOM bridge */
	struct router		*rt;
	struct soap_peer	*registry;	/* the repository's registry */
	struct soap_peer	*repository;	/* where RAD-68 goes */
	struct gateway		*gw;		/* the XCA gateways */
	struct directory	*dir;		/* the other communities */
	struct soap_peer	*gw_registry;	/* their community's actors */
	struct soap_peer	*gw_repository;
	struct soap_peer	*gw_imaging;
	struct xdr_recipient	*xdr;		/* the XDR Document Recipient */
	struct soap_peer	*xdr_repository;	/* where it stores */
	struct mitz_outbox	*outbox;	/* subscriptions at Mitz */
};

/* Open the enabled actors, mount their endpoints on a new router and
 * make their peers: a local endpoint, or the URL the configuration
 * names.  Fatal on failure (start-up). */
void	wire_open(const struct conf *, struct wire *);
/* After the HTTP server and the bridge stopped. */
void	wire_close(struct wire *);

#endif
