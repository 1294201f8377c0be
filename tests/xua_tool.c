/*
 * xua_tool.c: a WS-Security header with an X-User Assertion made by
 * lib/xua, for the end-to-end tests that play a peer (good, forged,
 * expired, unsigned assertions).  Not installed.
 *
 *	xua_tool [-k key -c cert [-a alg]] [-A audience] [-U ura]
 *	    [-z uzi] [-r role] [-p purpose] [-o org_type] [-n offset]
 *	    [-v validity]
 *
 * Without -k the assertion is unsigned.  NotBefore is now + offset
 * (seconds, may be negative), NotOnOrAfter validity seconds later.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "status.h"
#include "str.h"
#include "vocab.h"
#include "xml.h"
#include "xua.h"
#include "xua_dsig.h"

int
main(int argc, char **argv)
{
	struct xua_claims c;
	struct xua_signer *s = NULL;
	enum xua_alg alg = XUA_RSA_SHA256;
	const char *key = NULL, *cert = NULL;
	struct buf u, out;
	char err[256];
	long off = 0, validity = 600;
	time_t now = time(NULL);
	int ch;

	xml_init();
	memset(&c, 0, sizeof c);
	str_fmt(c.id, sizeof c.id, "_t%ld%d", (long)now, (int)getpid());
	str_lcpy(c.issuer, "urn:oid:1.2.3.4", sizeof c.issuer);
	str_lcpy(c.provider_id, "900012345", sizeof c.provider_id);
	str_lcpy(c.role, "01.015", sizeof c.role);
	str_lcpy(c.purpose, "TREAT", sizeof c.purpose);
	str_lcpy(c.org_type, "V4", sizeof c.org_type);
	while ((ch = getopt(argc, argv, "A:a:c:k:n:o:p:r:U:v:z:")) != -1) {
		switch (ch) {
		case 'A':
			str_lcpy(c.audience, optarg, sizeof c.audience);
			break;
		case 'a':
			if (xua_alg_parse(optarg, &alg) != 0)
				goto usage;
			break;
		case 'c':
			cert = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 'n':
			off = strtol(optarg, NULL, 10);
			break;
		case 'o':
			str_lcpy(c.org_type, optarg, sizeof c.org_type);
			break;
		case 'p':
			str_lcpy(c.purpose, optarg, sizeof c.purpose);
			break;
		case 'r':
			str_lcpy(c.role, optarg, sizeof c.role);
			break;
		case 'U':
			str_lcpy(c.ura, optarg, sizeof c.ura);
			break;
		case 'v':
			validity = strtol(optarg, NULL, 10);
			break;
		case 'z':
			str_lcpy(c.provider_id, optarg, sizeof c.provider_id);
			break;
		default:
			goto usage;
		}
	}
	str_lcpy(c.subject, c.provider_id, sizeof c.subject);
	c.issued = now;
	c.not_before = now + off;
	c.not_on_or_after = c.not_before + validity;
	buf_init(&u, 1 << 16);
	buf_init(&out, 1 << 17);
	if (xua_build(&c, &u, err, sizeof err) != XDS_OK)
		goto fail;
	if (key != NULL) {
		if (cert == NULL || xua_signer_open(key, cert, &s, err,
		    sizeof err) != XDS_OK || xua_sign(s, alg, u.b_data,
		    u.b_len, &out, err, sizeof err) != XDS_OK)
			goto fail;
	} else if (buf_add(&out, u.b_data, u.b_len) != XDS_OK)
		goto fail;
	printf("<wsse:Security xmlns:wsse=\"%s\">%s</wsse:Security>\n",
	    NS_WSSE, out.b_data);
	xua_signer_close(s);
	buf_free(&u);
	buf_free(&out);
	return 0;
fail:
	fprintf(stderr, "xua_tool: %s\n", err);
	return 1;
usage:
	fprintf(stderr, "usage: xua_tool [-k key -c cert [-a alg]] "
	    "[-A audience] [-U ura] [-z uzi] [-r role] [-p purpose] "
	    "[-o org_type] [-n offset] [-v validity]\n");
	return 2;
}
