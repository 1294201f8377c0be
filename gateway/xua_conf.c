/*
 * xua_conf.c: the configured X-User Assertion trust store (xua_conf.h).
 */
#include "config.h"

#include <string.h>

#include "conf.h"
#include "status.h"
#include "str.h"
#include "vocab.h"
#include "xua_conf.h"
#include "xua_dsig.h"

int
xua_conf_trust(const struct conf *cf, const char *home,
    struct xua_trust **out, char *err, size_t errlen)
{
	char aud[CONF_STR_MAX * 3 + 16];
	size_t pl = sizeof URN_OID - 1;

	if (str_fmt(aud, sizeof aud, "%s;%s;%s", home,
	    strncmp(home, URN_OID, pl) == 0 ? home + pl : "",
	    cf->xua_audience) < 0) {
		str_fmt(err, errlen, "xua.audience is too long");
		return XDS_EINVAL;
	}
	if (cf->xua_trusted_issuers[0] == '\0' && cf->http_ca[0] == '\0') {
		str_fmt(err, errlen, "xua.trusted_issuers and http.ca are "
		    "both empty: no CA to check X-User Assertions against "
		    "(set one, or turn gateway.initiating and "
		    "gateway.responding off)");
		return XDS_EINVAL;
	}
	return xua_trust_open(cf->xua_trusted_issuers[0] != '\0' ?
	    cf->xua_trusted_issuers : cf->http_ca, aud,
	    (int)cf->xua_clock_skew, out, err, errlen);
}
