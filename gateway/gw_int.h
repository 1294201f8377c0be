/*
 * gw_int.h: the gateways' shared state, for gateway.c, rgw.c and igw*.c.
 */
#ifndef XDS_GW_INT_H
#define XDS_GW_INT_H

#include "actor.h"
#include "directory.h"
#include "gateway.h"

struct conf;
struct pep;

struct gateway {
	const struct conf	*cf;
	char			 home[DIR_HCID_MAX];	/* ours */
	struct gateway_links	 l;
	struct pep		*rg;		/* NULL: no responding gateway */
	int			 ig_on;
	struct soap_endpoint	 ig_ep;
	struct soap_route	 ig_routes[3];
};

/* rgw.c: the responding gateway's door and transactions. */
int	rgw_open(struct gateway *, char *err, size_t errlen);

#endif
