/*
 * xua_conf.h: the trust store that verifies X-User Assertions, as the
 * node's configuration says: the CAs of xua.trusted_issuers (else
 * http.ca), the audiences (the home community id as urn:oid:..., its
 * bare OID, xua.audience) and xua.clock_skew.  One place for the
 * responding gateway's door (pep.c) and the initiating gateway's
 * consumers (gw_xua.c).
 */
#ifndef XDS_XUA_CONF_H
#define XDS_XUA_CONF_H

#include <stddef.h>

struct conf;
struct xua_trust;

/* home: the home community id the assertions must be meant for. */
int	xua_conf_trust(const struct conf *cf, const char *home,
	    struct xua_trust **out, char *err, size_t errlen);

#endif
