/*
 * xdsctl_xua.c: who xdsctl says is asking (--user-id, --role, --purpose,
 * --ura): an unsigned X-User Assertion in the WS-Security header of
 * every request, for a node's initiating gateway to take over into the
 * signed assertions it sends to other communities.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "soap_peer.h"
#include "status.h"
#include "str.h"
#include "vocab.h"
#include "xdsctl.h"
#include "xua.h"

#define CTL_XUA_VALIDITY	600	/* seconds */

static int
xua_header(void *arg, struct buf *out, char *err, size_t errlen)
{
	const struct ctl *ctl = arg;
	struct xua_claims c;
	unsigned char r[16];
	char hex[33];
	time_t now = time(NULL);
	int rc;

	memset(&c, 0, sizeof c);
	if (getentropy(r, sizeof r) != 0) {
		str_fmt(err, errlen, "no random bytes for an assertion ID");
		return XDS_EINTERNAL;
	}
	str_hex(r, sizeof r, hex);
	str_fmt(c.id, sizeof c.id, "_%s", hex);
	str_lcpy(c.issuer, "xdsctl", sizeof c.issuer);
	str_lcpy(c.subject, ctl->user_id, sizeof c.subject);
	str_lcpy(c.audience, ctl->conf.node_home_community_id,
	    sizeof c.audience);
	c.issued = c.not_before = now;
	c.not_on_or_after = now + CTL_XUA_VALIDITY;
	str_lcpy(c.provider_id, ctl->user_id, sizeof c.provider_id);
	str_lcpy(c.role, ctl->role, sizeof c.role);
	str_lcpy(c.purpose, ctl->purpose, sizeof c.purpose);
	str_lcpy(c.ura, ctl->ura[0] != '\0' ? ctl->ura :
	    ctl->conf.consent_ura, sizeof c.ura);
	if ((rc = buf_adds(out, "<wsse:Security xmlns:wsse=\"" NS_WSSE
	    "\">")) != XDS_OK ||
	    (rc = xua_build(&c, out, err, errlen)) != XDS_OK ||
	    (rc = buf_adds(out, "</wsse:Security>")) != XDS_OK)
		return rc;
	return XDS_OK;
}

void
ctl_xua(const struct ctl *ctl, struct soap_call *c)
{
	if (ctl->user_id[0] == '\0')
		return;
	c->req.header = xua_header;
	c->req.header_arg = (void *)(uintptr_t)ctl;
}
