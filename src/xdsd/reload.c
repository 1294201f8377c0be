/*
 * reload.c: SIGHUP reloads certificate, key, CA and CRLs.
 *
 * The signal handler only writes a byte to a pipe; a thread of its own
 * reads it and does the work, so nothing that is not async-signal-safe
 * runs in the handler, and the event loop never waits for files to be
 * read and parsed.  The new files become a complete new server context
 * (the key must match the certificate) and a new CRL set; only when
 * both are built are they swapped in: the server's context for new
 * handshakes (http_server_set_tls; established connections keep theirs),
 * the ITI-8 feed's context of its own likewise (feedlisten_set_tls, with
 * registry.feed_tls), a new TLS layer of each DICOM listener over TLS
 * (dicom.listen with dicom.tls, push.listen: dcmshim_scp_tls_set, for the
 * associations accepted from then on), the CRLs for the next outbound
 * connection (pki_crls_install).  A reload that fails changes nothing
 * and says why.
 *
 * Every TLS listener serves the same files, so the node has one
 * certificate in use, shown on the status page and in
 * xds_tls_cert_not_after_seconds whichever listeners use TLS: taken
 * from the HTTP server's context, else the feed's, else (the DICOM
 * listeners' TLS layers are DCMTK's) read from http.cert right after
 * they loaded it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "dcmshim.h"
#include "feedlisten.h"
#include "log.h"
#include "notify.h"
#include "reload.h"
#include "status.h"
#include "str.h"
#include "tls.h"

static int pipe_fd[2] = { -1, -1 };
static pthread_t thread;
static int started;
static const struct conf *conf;
static struct http_server *server;
static struct feedlisten *_Atomic feed;	/* with registry.feed_tls */
#define RELOAD_DICOM_MAX 2	/* the bridge's listener, push.listen */
static struct dcmshim_scp *_Atomic dicom[RELOAD_DICOM_MAX];
static atomic_ullong reloads_ok, reloads_failed;
static atomic_llong not_after, next_update;
static pthread_mutex_t cert_mtx = PTHREAD_MUTEX_INITIALIZER;
static char cert_subject[256];

/* Remember the certificate in use (x; NULL: none): its notAfter for the
 * metrics, its subject for the status page. */
static void
cert_in_use(X509 *x)
{
	atomic_store(&not_after, x != NULL ?
	    (long long)pki_asn1_time(X509_get0_notAfter(x)) : 0);
	pthread_mutex_lock(&cert_mtx);
	cert_subject[0] = '\0';
	if (x != NULL)
		X509_NAME_oneline(X509_get_subject_name(x), cert_subject,
		    sizeof cert_subject);
	pthread_mutex_unlock(&cert_mtx);
}

/* The same from http.cert (its first certificate, the one a listener
 * serves) for a listener that has just loaded it; left as it was when
 * the file cannot be read now. */
static void
cert_from_file(void)
{
	FILE *fp;
	X509 *x = NULL;

	if ((fp = fopen(conf->http_cert, "re")) != NULL) {
		x = PEM_read_X509(fp, NULL, NULL, NULL);
		fclose(fp);
	}
	if (x == NULL) {
		ERR_clear_error();
		log_warnx("%s: cannot be read again for the status page and "
		    "xds_tls_cert_not_after_seconds", conf->http_cert);
		return;
	}
	cert_in_use(x);
	X509_free(x);
}

/* A certificate is in use already (the HTTP server's, say). */
static int
cert_known(void)
{
	int known;

	pthread_mutex_lock(&cert_mtx);
	known = cert_subject[0] != '\0';
	pthread_mutex_unlock(&cert_mtx);
	return known;
}

int
reload_cert(char *subject, size_t len, time_t *notafter)
{
	int rc;

	pthread_mutex_lock(&cert_mtx);
	rc = cert_subject[0] != '\0' ? 0 : -1;
	str_lcpy(subject, cert_subject, len);
	pthread_mutex_unlock(&cert_mtx);
	*notafter = (time_t)atomic_load(&not_after);
	return rc;
}

/* Read the files again and swap them in, or keep the old ones; a service
 * manager is told (RELOADING=1, then READY=1). */
static void
reload(void)
{
	struct pki_crls *crls = NULL;
	struct feedlisten *fl = atomic_load(&feed);
	struct dcmshim_tls *dt[RELOAD_DICOM_MAX] = { NULL };
	struct dcmshim_scp *scp;
	SSL_CTX *ctx = NULL, *fctx = NULL;
	size_t i;
	int dicom_tls = 0;
	struct timespec ts;
	char err[512], na[32], nu[32], msg[128];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	str_fmt(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%lld\n"
	    "STATUS=reloading the TLS files", (long long)ts.tv_sec * 1000000 +
	    ts.tv_nsec / 1000);
	notify_send(msg);
	err[0] = '\0';
	if (conf->http_crl[0] != '\0' && pki_crls_load(conf->http_crl, &crls,
	    err, sizeof err) != XDS_OK)
		goto fail;
	if (server != NULL && (ctx = tls_server_ctx(conf->http_cert,
	    conf->http_key, conf->http_ca, crls, err, sizeof err)) == NULL)
		goto fail;
	/* the feed's own: a context shared with the event loop's
	 * non-blocking connections would be one more thing to reason about */
	if (fl != NULL && (fctx = tls_server_ctx(conf->http_cert,
	    conf->http_key, conf->http_ca, crls, err, sizeof err)) == NULL)
		goto fail;
	for (i = 0; i < RELOAD_DICOM_MAX; i++)
		if ((scp = atomic_load(&dicom[i])) != NULL) {
			if (dcmshim_scp_tls_load(scp, conf->http_cert,
			    conf->http_key, &dt[i], err, sizeof err) != XDS_OK)
				goto fail;
			dicom_tls = 1;
		}
	if (ctx != NULL || fctx != NULL)
		cert_in_use(SSL_CTX_get0_certificate(ctx != NULL ? ctx : fctx));
	else if (dicom_tls)
		cert_from_file();
	if (ctx != NULL)
		(void)http_server_set_tls(server, ctx);	/* takes ctx */
	if (fctx != NULL)
		(void)feedlisten_set_tls(fl, fctx);	/* takes fctx */
	for (i = 0; i < RELOAD_DICOM_MAX; i++)
		if (dt[i] != NULL)
			dcmshim_scp_tls_set(atomic_load(&dicom[i]), dt[i]);
	atomic_store(&next_update, (long long)pki_crls_next_update(crls));
	pki_time_text((time_t)atomic_load(&not_after), na, sizeof na);
	pki_time_text(pki_crls_next_update(crls), nu, sizeof nu);
	log_info("TLS reloaded: certificate valid until %s, %zu CRL(s), "
	    "the earliest next update %s", na, pki_crls_count(crls), nu);
	pki_crls_install(crls);
	atomic_fetch_add(&reloads_ok, 1);
	notify_send("READY=1\nSTATUS=serving; the TLS files reloaded");
	return;
fail:
	for (i = 0; i < RELOAD_DICOM_MAX; i++)
		dcmshim_tls_free(dt[i]);
	SSL_CTX_free(fctx);
	SSL_CTX_free(ctx);
	pki_crls_free(crls);
	atomic_fetch_add(&reloads_failed, 1);
	log_error("TLS reload failed, the files loaded before stay in use: "
	    "%s", err);
	notify_send("READY=1\nSTATUS=serving; a TLS reload failed, the files "
	    "loaded before stay in use");
}

static void *
reload_main(void *arg)
{
	char b;
	ssize_t n;

	(void)arg;
	for (;;) {
		n = read(pipe_fd[0], &b, 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n != 1 || b == 'q')
			break;
		reload();
	}
	return NULL;
}

int
reload_start(const struct conf *c, struct http_server *s, SSL_CTX *ctx,
    const struct pki_crls *crls, char *err, size_t errlen)
{
	conf = c;
	server = ctx != NULL ? s : NULL;
	cert_in_use(ctx != NULL ? SSL_CTX_get0_certificate(ctx) : NULL);
	atomic_store(&next_update, (long long)pki_crls_next_update(crls));
	if (pipe2(pipe_fd, O_CLOEXEC) == -1) {
		str_fmt(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	if ((errno = pthread_create(&thread, NULL, reload_main, NULL)) != 0) {
		str_fmt(err, errlen, "pthread_create: %s", strerror(errno));
		close(pipe_fd[0]);
		close(pipe_fd[1]);
		pipe_fd[0] = pipe_fd[1] = -1;
		return -1;
	}
	started = 1;
	return 0;
}

void
reload_feed(struct feedlisten *fl)
{
	if (conf == NULL || !conf->registry_feed_tls || fl == NULL)
		return;
	atomic_store(&feed, fl);
	if (!cert_known())
		cert_from_file();
}

void
reload_dicom(struct dcmshim_scp *scp)
{
	size_t i;

	if (scp == NULL || !dcmshim_scp_tls(scp))
		return;
	for (i = 0; i < RELOAD_DICOM_MAX; i++) {
		struct dcmshim_scp *none = NULL;

		if (atomic_compare_exchange_strong(&dicom[i], &none, scp)) {
			if (!cert_known())
				cert_from_file();
			return;
		}
	}
	log_warnx("reload: more DICOM listeners than %d: SIGHUP leaves "
	    "one's certificate as it is", RELOAD_DICOM_MAX);
}

void
reload_signal(void)
{
	int saved = errno;

	if (pipe_fd[1] != -1)
		(void)!write(pipe_fd[1], "h", 1);
	errno = saved;
}

void
reload_stop(void)
{
	if (!started)
		return;
	(void)!write(pipe_fd[1], "q", 1);
	pthread_join(thread, NULL);
	close(pipe_fd[0]);
	close(pipe_fd[1]);
	pipe_fd[0] = pipe_fd[1] = -1;
	started = 0;
}

int
reload_metrics(void *arg, struct buf *out)
{
	int i, rc;

	(void)arg;
	rc = buf_addf(out, "# HELP xds_tls_reloads_total Reloads of the TLS "
	    "files (SIGHUP), by result.\n"
	    "# TYPE xds_tls_reloads_total counter\n"
	    "xds_tls_reloads_total{result=\"ok\"} %llu\n"
	    "xds_tls_reloads_total{result=\"failed\"} %llu\n"
	    "# HELP xds_tls_cert_not_after_seconds End of validity of the "
	    "server certificate in use on any TLS listener: HTTP, ITI-8 "
	    "feed, DICOM (Unix time; 0: none).\n"
	    "# TYPE xds_tls_cert_not_after_seconds gauge\n"
	    "xds_tls_cert_not_after_seconds %lld\n"
	    "# HELP xds_tls_crl_next_update_seconds The earliest nextUpdate "
	    "of the CRLs in use (Unix time; 0: none).\n"
	    "# TYPE xds_tls_crl_next_update_seconds gauge\n"
	    "xds_tls_crl_next_update_seconds %lld\n"
	    "# HELP xds_tls_refused_total Peer certificates refused, inbound "
	    "and outbound, by reason.\n"
	    "# TYPE xds_tls_refused_total counter\n",
	    atomic_load(&reloads_ok), atomic_load(&reloads_failed),
	    atomic_load(&not_after), atomic_load(&next_update));
	for (i = 0; i < PKI_REFUSED_N; i++)
		rc |= buf_addf(out, "xds_tls_refused_total{reason=\"%s\"} "
		    "%llu\n", pki_refusal_name(i), pki_refused(i));
	return rc == XDS_OK ? XDS_OK : XDS_ETOOBIG;
}
