/*
 * bench_xua.c: X-User Assertions signed and verified per second
 * (lib/xua), one thread: build + sign (what the initiating gateway does
 * per attempt) and parse + verify (what the responding gateway's door
 * does per request, chain check included).  bench/run xua prints it
 * beside openssl speed for the bare signature operations.  With a CRL
 * file, parse + verify is timed a second time with that set checked
 * against the signer's chain (pki_crls_load, as the node's pki.crl).
 *
 *	bench_xua CA KEY CERT ALG N [CRL]
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "benchutil.h"
#include "buf.h"
#include "pki.h"
#include "status.h"
#include "str.h"
#include "vocab.h"
#include "xml.h"
#include "xua.h"
#include "xua_dsig.h"

#define AUD	"urn:oid:1.3.6.1.4.1.21367.13.70.2"

/* Seconds to parse and verify the assertion in env n times. */
static double
verify_n(const struct xua_trust *t, const struct pki_crls *crls,
    const struct buf *env, time_t now, int n)
{
	struct xua_claims r;
	enum xua_fail why;
	char err[256];
	double t0;
	xmlDoc *d;
	int i;

	t0 = bench_now();
	for (i = 0; i < n; i++) {
		if ((d = xml_parse(env->b_data, env->b_len, err, sizeof err)) ==
		    NULL || xua_verify(t, crls, xmlDocGetRootElement(d), now,
		    &r, &why, err, sizeof err) != XDS_OK) {
			fprintf(stderr, "bench_xua: %s\n", err);
			exit(1);
		}
		xmlFreeDoc(d);
	}
	return bench_now() - t0;
}

int
main(int argc, char **argv)
{
	struct xua_signer *s;
	struct xua_trust *t;
	struct pki_crls *crls = NULL;
	struct xua_claims c;
	enum xua_alg alg;
	struct buf u, sig, env;
	char err[256];
	double t0, t_sign, t_verify, t_crl = 0;
	int n, i;
	time_t now = time(NULL);

	if ((argc != 6 && argc != 7) || xua_alg_parse(argv[4], &alg) != 0) {
		fprintf(stderr, "usage: bench_xua CA KEY CERT ALG N [CRL]\n");
		return 2;
	}
	n = bench_count(argv[5], "N");
	xml_init();
	if (xua_signer_open(argv[2], argv[3], &s, err, sizeof err) != XDS_OK ||
	    xua_trust_open(argv[1], AUD, 60, &t, err, sizeof err) != XDS_OK ||
	    (argc == 7 && pki_crls_load(argv[6], &crls, err, sizeof err) !=
	    XDS_OK)) {
		fprintf(stderr, "bench_xua: %s\n", err);
		return 1;
	}
	memset(&c, 0, sizeof c);
	str_lcpy(c.issuer, "urn:oid:1.3.6.1.4.1.21367.13.70.1", sizeof c.issuer);
	str_lcpy(c.subject, "900012345", sizeof c.subject);
	str_lcpy(c.audience, AUD, sizeof c.audience);
	str_lcpy(c.provider_id, "900012345", sizeof c.provider_id);
	str_lcpy(c.role, "01.015", sizeof c.role);
	str_lcpy(c.ura, "00001111", sizeof c.ura);
	str_lcpy(c.org_type, "V4", sizeof c.org_type);
	str_lcpy(c.purpose, "TREAT", sizeof c.purpose);
	c.issued = c.not_before = now;
	c.not_on_or_after = now + 600;
	buf_init(&u, 1 << 16);
	buf_init(&sig, 1 << 17);
	buf_init(&env, 1 << 17);
	t0 = bench_now();
	for (i = 0; i < n; i++) {
		buf_reset(&u);
		buf_reset(&sig);
		str_fmt(c.id, sizeof c.id, "_b%d", i);
		if (xua_build(&c, &u, err, sizeof err) != XDS_OK ||
		    xua_sign(s, alg, u.b_data, u.b_len, &sig, err,
		    sizeof err) != XDS_OK) {
			fprintf(stderr, "bench_xua: %s\n", err);
			return 1;
		}
	}
	t_sign = bench_now() - t0;
	if (buf_addf(&env, "<wsse:Security xmlns:wsse=\"%s\">%s"
	    "</wsse:Security>", NS_WSSE, sig.b_data) != XDS_OK)
		return 1;
	t_verify = verify_n(t, NULL, &env, now, n);
	if (crls != NULL)
		t_crl = verify_n(t, crls, &env, now, n);
	printf("xua %-12s %6d  build+sign %8.0f/s  parse+verify %8.0f/s  ",
	    argv[4], n, n / t_sign, n / t_verify);
	if (crls != NULL)
		printf("with CRL %8.0f/s  ", n / t_crl);
	printf("(%zu bytes signed)\n", sig.b_len);
	pki_crls_free(crls);
	xua_signer_close(s);
	xua_trust_close(t);
	buf_free(&u);
	buf_free(&sig);
	buf_free(&env);
	return 0;
}
