/*
 * gateway.c: opening and closing the XCA gateways (gateway.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "gw_int.h"
#include "log.h"
#include "pep.h"
#include "status.h"
#include "str.h"

int
gateway_open(const struct conf *cf, const struct gateway_links *l,
    struct gateway **out, char *err, size_t errlen)
{
	struct gateway *g;
	int rc;

	*out = NULL;
	if ((g = calloc(1, sizeof *g)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return XDS_ENOMEM;
	}
	g->cf = cf;
	g->l = *l;
	str_lcpy(g->home, cf->node_home_community_id, sizeof g->home);
	if (cf->gateway_responding) {
		if (l->registry == NULL) {
			str_fmt(err, errlen, "the responding gateway needs a "
			    "registry: set gateway.registry_url or run this "
			    "node's (registry.enabled)");
			gateway_close(g);
			return XDS_EINVAL;
		}
		if ((rc = rgw_open(g, err, errlen)) != XDS_OK) {
			gateway_close(g);
			return rc;
		}
	}
	log_info("gateway: %s%s%s, community %s", g->rg != NULL ?
	    GATEWAY_RG_PATH : "", g->rg != NULL && g->ig_on ? " " : "",
	    g->ig_on ? GATEWAY_IG_PATH : "", g->home);
	*out = g;
	return XDS_OK;
}

void
gateway_close(struct gateway *g)
{
	if (g == NULL)
		return;
	pep_close(g->rg);
	free(g);
}

const struct soap_endpoint *
gateway_rg_endpoint(struct gateway *g)
{
	return g->rg != NULL ? pep_endpoint(g->rg) : NULL;
}

const struct soap_endpoint *
gateway_ig_endpoint(struct gateway *g)
{
	return g->ig_on ? &g->ig_ep : NULL;
}
