/*
 * pki_crl.c: CRL sets read from a file or a directory, applied to the
 * stores of TLS contexts and to single verifications (X-User Assertion
 * signers), and the one set in use, counted so that a reload never frees
 * a set a verification holds.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "log.h"
#include "pki.h"
#include "status.h"
#include "str.h"

struct pki_crls {
	X509_CRL	*crl[PKI_MAX_CRLS];
	size_t		 n;
	time_t		 next_update;	/* earliest; 0: none */
	STACK_OF(X509_CRL) *sk;		/* crl[] again, for one check */
	atomic_uint	 refs;
};

static pthread_mutex_t current_mu = PTHREAD_MUTEX_INITIALIZER;
static struct pki_crls *current;

/* Keep crl in s (taking it), noting its nextUpdate. */
static int
crls_add(struct pki_crls *s, X509_CRL *crl, const char *file, char *err,
    size_t errlen)
{
	char issuer[256], when[32];
	time_t next;

	if (s->n == PKI_MAX_CRLS) {
		X509_CRL_free(crl);
		str_fmt(err, errlen, "%s: more than %d CRLs", file,
		    PKI_MAX_CRLS);
		return XDS_ETOOBIG;
	}
	s->crl[s->n++] = crl;
	next = pki_asn1_time(X509_CRL_get0_nextUpdate(crl));
	if (next != 0 && (s->next_update == 0 || next < s->next_update))
		s->next_update = next;
	if (next != 0 && next < time(NULL)) {
		(void)pki_name(X509_CRL_get_issuer(crl), issuer, sizeof issuer);
		pki_time_text(next, when, sizeof when);
		log_error("CRL of %s in %s expired at %s: peers whose chain it "
		    "covers are refused until a fresh CRL is loaded (SIGHUP)",
		    issuer, file, when);
	}
	return XDS_OK;
}

/* Every CRL of one file: PEM (one or more), else one DER CRL. */
static int
load_file(struct pki_crls *s, const char *file, char *err, size_t errlen)
{
	struct stat st;
	X509_CRL *crl;
	BIO *b = NULL;
	size_t before = s->n;
	int rc = XDS_OK;

	if (stat(file, &st) != 0) {
		str_fmt(err, errlen, "%s: %s", file, strerror(errno));
		return XDS_EIO;
	}
	if (st.st_size > PKI_MAX_CRL_FILE) {
		str_fmt(err, errlen, "%s: over %ld bytes", file,
		    PKI_MAX_CRL_FILE);
		return XDS_ETOOBIG;
	}
	ERR_clear_error();
	if ((b = BIO_new_file(file, "rb")) == NULL) {
		str_fmt(err, errlen, "%s: %s", file, strerror(errno));
		rc = XDS_EIO;
		goto out;
	}
	while ((crl = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL)) != NULL)
		if ((rc = crls_add(s, crl, file, err, errlen)) != XDS_OK)
			goto out;
	ERR_clear_error();
	if (s->n == before && BIO_reset(b) == 0 &&
	    (crl = d2i_X509_CRL_bio(b, NULL)) != NULL &&
	    (rc = crls_add(s, crl, file, err, errlen)) != XDS_OK)
		goto out;
	if (s->n == before) {
		str_fmt(err, errlen, "%s: no CRL in it (PEM or DER)", file);
		rc = XDS_EFORMAT;
	}
out:
	ERR_clear_error();
	BIO_free(b);
	return rc;
}

static int
load_dir(struct pki_crls *s, const char *dir, char *err, size_t errlen)
{
	struct dirent *de;
	struct stat st;
	char path[4096];
	DIR *d;
	int rc = XDS_OK;

	if ((d = opendir(dir)) == NULL) {
		str_fmt(err, errlen, "%s: %s", dir, strerror(errno));
		return XDS_EIO;
	}
	while (rc == XDS_OK && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (str_fmt(path, sizeof path, "%s/%s", dir, de->d_name) < 0) {
			str_fmt(err, errlen, "%s: a name too long", dir);
			rc = XDS_ETOOBIG;
		} else if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			rc = load_file(s, path, err, errlen);
	}
	closedir(d);
	if (rc == XDS_OK && s->n == 0) {
		str_fmt(err, errlen, "%s: no CRL file in it", dir);
		rc = XDS_EFORMAT;
	}
	return rc;
}

int
pki_crls_load(const char *path, struct pki_crls **out, char *err,
    size_t errlen)
{
	struct pki_crls *s;
	struct stat st;
	size_t i;
	int rc;

	*out = NULL;
	if ((s = calloc(1, sizeof *s)) == NULL ||
	    (s->sk = sk_X509_CRL_new_null()) == NULL) {
		free(s);
		str_fmt(err, errlen, "out of memory");
		return XDS_ENOMEM;
	}
	atomic_init(&s->refs, 1);
	if (stat(path, &st) != 0) {
		str_fmt(err, errlen, "%s: %s", path, strerror(errno));
		rc = XDS_EIO;
	} else if (S_ISDIR(st.st_mode))
		rc = load_dir(s, path, err, errlen);
	else
		rc = load_file(s, path, err, errlen);
	for (i = 0; rc == XDS_OK && i < s->n; i++)
		if (sk_X509_CRL_push(s->sk, s->crl[i]) <= 0) {
			str_fmt(err, errlen, "out of memory");
			rc = XDS_ENOMEM;
		}
	if (rc != XDS_OK) {
		pki_crls_free(s);
		return rc;
	}
	*out = s;
	return XDS_OK;
}

void
pki_crls_free(struct pki_crls *s)
{
	size_t i;

	if (s == NULL || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	sk_X509_CRL_free(s->sk);	/* the CRLs are crl[]'s */
	for (i = 0; i < s->n; i++)
		X509_CRL_free(s->crl[i]);
	free(s);
}

size_t
pki_crls_count(const struct pki_crls *s)
{
	return s == NULL ? 0 : s->n;
}

time_t
pki_crls_next_update(const struct pki_crls *s)
{
	return s == NULL ? 0 : s->next_update;
}

int
pki_crls_check(const struct pki_crls *s, X509_STORE_CTX *vc)
{
	if (s == NULL)
		return XDS_OK;
	X509_STORE_CTX_set0_crls(vc, s->sk);
	X509_STORE_CTX_set_flags(vc, X509_V_FLAG_CRL_CHECK |
	    X509_V_FLAG_CRL_CHECK_ALL);
	return XDS_OK;
}

int
pki_crls_apply(const struct pki_crls *s, X509_STORE *st)
{
	size_t i;

	if (s == NULL)
		return XDS_OK;
	for (i = 0; i < s->n; i++)
		if (X509_STORE_add_crl(st, s->crl[i]) != 1) {
			ERR_clear_error();
			return XDS_ENOMEM;
		}
	X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK |
	    X509_V_FLAG_CRL_CHECK_ALL);
	return XDS_OK;
}

void
pki_crls_install(struct pki_crls *s)
{
	struct pki_crls *old;

	pthread_mutex_lock(&current_mu);
	old = current;
	current = s;
	pthread_mutex_unlock(&current_mu);
	pki_crls_free(old);
}

struct pki_crls *
pki_crls_current(void)
{
	struct pki_crls *s;

	pthread_mutex_lock(&current_mu);
	if ((s = current) != NULL)
		atomic_fetch_add(&s->refs, 1);
	pthread_mutex_unlock(&current_mu);
	return s;
}

int
pki_crls_apply_current(X509_STORE *st)
{
	int rc;

	pthread_mutex_lock(&current_mu);
	rc = pki_crls_apply(current, st);
	pthread_mutex_unlock(&current_mu);
	return rc;
}
