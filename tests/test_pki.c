/*
 * test_pki.c: CRL sets (files, DER, directories, the bounds and errors),
 * a revoked certificate refused and counted by the verification
 * callback.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <CUnit/CUnit.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "cutest.h"
#include "pki.h"
#include "status.h"
#include "str.h"
#include "testutil.h"
#include "tlscerts.h"

static char dir[512];

/* The test CA of tlscerts.h revokes cli.pem: none.crl (before), crl.pem
 * (after), old.crl (after, nextUpdate in 2020), crl.der, two.pem (both
 * CRLs), crl.d/ (crl.pem and a dotfile). */
static int
setup(void)
{
	char cmd[2048];

	if (testutil_tmpdir("pki", dir, sizeof dir) != 0 ||
	    tls_make_certs(dir) != 0)
		return -1;
	if (str_fmt(cmd, sizeof cmd, "cd '%s' && exec >>log 2>&1 && "
	    "printf '[ca]\\ndefault_ca=t\\n[t]\\ndatabase=index\\n"
	    "crlnumber=crlnum\\ncertificate=ca.pem\\nprivate_key=ca.key\\n"
	    "default_md=sha256\\ndefault_crl_days=2\\n' >ca.cnf && "
	    ": >index && echo 01 >crlnum && "
	    "openssl ca -config ca.cnf -gencrl -out none.crl && "
	    "openssl ca -config ca.cnf -revoke cli.pem && "
	    "openssl ca -config ca.cnf -gencrl -out crl.pem && "
	    "openssl ca -config ca.cnf -gencrl -crl_lastupdate "
	    "20200101000000Z -crl_nextupdate 20200102000000Z -out old.crl && "
	    "openssl crl -in crl.pem -outform DER -out crl.der && "
	    "cat none.crl crl.pem >two.pem && mkdir crl.d && "
	    "cp crl.pem crl.d/ca.crl && echo junk >crl.d/.hidden && "
	    "mkdir empty.d", dir) < 0)
		return -1;
	return tls_sh(cmd) == 0 ? 0 : -1;
}

static void
teardown(void)
{
	(void)testutil_rmtree(dir);
}

static int
load(const char *name, struct pki_crls **out, char *err, size_t errlen)
{
	char path[700];

	str_fmt(path, sizeof path, "%s/%s", dir, name);
	return pki_crls_load(path, out, err, errlen);
}

static void
test_pki_load(void)
{
	struct pki_crls *s = NULL;
	char err[512];

	CU_ASSERT_FATAL(setup() == 0);
	CU_ASSERT_EQUAL(load("crl.pem", &s, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(pki_crls_count(s), 1);
	CU_ASSERT(pki_crls_next_update(s) > time(NULL));
	pki_crls_free(s);
	CU_ASSERT_EQUAL(load("two.pem", &s, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(pki_crls_count(s), 2);
	pki_crls_free(s);
	CU_ASSERT_EQUAL(load("crl.der", &s, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(pki_crls_count(s), 1);
	pki_crls_free(s);
	CU_ASSERT_EQUAL(load("crl.d", &s, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(pki_crls_count(s), 1);	/* the dotfile skipped */
	pki_crls_free(s);
	/* An expired CRL loads (and is refused at use), its date kept. */
	CU_ASSERT_EQUAL(load("old.crl", &s, err, sizeof err), XDS_OK);
	CU_ASSERT(pki_crls_next_update(s) > 0 &&
	    pki_crls_next_update(s) < time(NULL));
	pki_crls_free(s);
	s = NULL;
	CU_ASSERT_EQUAL(load("missing.crl", &s, err, sizeof err), XDS_EIO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "missing.crl"));
	CU_ASSERT_PTR_NULL(s);
	CU_ASSERT_EQUAL(load("ca.pem", &s, err, sizeof err), XDS_EFORMAT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no CRL"));
	CU_ASSERT_EQUAL(load("empty.d", &s, err, sizeof err), XDS_EFORMAT);
	CU_ASSERT_PTR_NULL(s);
	CU_ASSERT_EQUAL(pki_crls_count(NULL), 0);
	CU_ASSERT_EQUAL(pki_crls_apply(NULL, NULL), XDS_OK);
}

/* Verify dir/cert against the CA with the CRL set crl (NULL: none);
 * the X509_V_ERR_* code, X509_V_OK when accepted. */
static int
verify(const char *cert, const char *crl)
{
	struct pki_crls *s = NULL;
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *x = X509_STORE_CTX_new();
	X509 *c = NULL;
	FILE *f;
	char path[700], err[512];
	int rc = -1;

	str_fmt(path, sizeof path, "%s/ca.pem", dir);
	if (st == NULL || x == NULL || X509_STORE_load_file(st, path) != 1)
		goto out;
	X509_STORE_set_verify_cb(st, pki_verify_cb);
	if (crl != NULL && (load(crl, &s, err, sizeof err) != XDS_OK ||
	    pki_crls_apply(s, st) != XDS_OK))
		goto out;
	str_fmt(path, sizeof path, "%s/%s", dir, cert);
	if ((f = fopen(path, "r")) == NULL)
		goto out;
	c = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (c == NULL || X509_STORE_CTX_init(x, st, c, NULL) != 1)
		goto out;
	rc = X509_verify_cert(x) == 1 ? X509_V_OK :
	    X509_STORE_CTX_get_error(x);
out:
	X509_free(c);
	X509_STORE_CTX_free(x);
	X509_STORE_free(st);
	pki_crls_free(s);
	return rc;
}

static void
test_pki_verify(void)
{
	unsigned long long revoked = pki_refused(PKI_REFUSED_REVOKED);
	unsigned long long expired = pki_refused(PKI_REFUSED_CRL_EXPIRED);

	CU_ASSERT_EQUAL(verify("cli.pem", NULL), X509_V_OK);
	CU_ASSERT_EQUAL(verify("cli.pem", "none.crl"), X509_V_OK);
	CU_ASSERT_EQUAL(verify("srv.pem", "crl.pem"), X509_V_OK);
	CU_ASSERT_EQUAL(verify("cli.pem", "crl.pem"), X509_V_ERR_CERT_REVOKED);
	CU_ASSERT_EQUAL(pki_refused(PKI_REFUSED_REVOKED), revoked + 1);
	/* Fail-closed: an expired CRL refuses a certificate it does not
	 * even list. */
	CU_ASSERT_EQUAL(verify("srv.pem", "old.crl"),
	    X509_V_ERR_CRL_HAS_EXPIRED);
	CU_ASSERT_EQUAL(pki_refused(PKI_REFUSED_CRL_EXPIRED), expired + 1);
	CU_ASSERT_STRING_EQUAL(pki_refusal_name(PKI_REFUSED_REVOKED),
	    "revoked");
	CU_ASSERT_EQUAL(pki_refusal_of(X509_V_ERR_UNABLE_TO_GET_CRL),
	    PKI_REFUSED_CRL_MISSING);
	teardown();
}

static const struct cutest tests[] = {
	{ "pki load", test_pki_load },
	{ "pki verify", test_pki_verify },
};

int
main(void)
{
	return cutest_run("pki", tests, NELEM(tests));
}
