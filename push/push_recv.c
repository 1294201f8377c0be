/*
 * push_recv.c: the listener on push.listen (push_int.h), where other
 * organisations push studies: DICOM over mutual TLS only, a peer whose
 * certificate chains to dicom.ca (or http.ca) and names, in its subject,
 * the URA of an organisation the directory knows; every other peer is
 * refused, counted and audited.  Its instances are staged
 * (bridge_stage.h: written, not yet durable, the C-STORE answered) and
 * made durable together at the sender's Storage Commitment request: one
 * flush, then their rows with the sender's URA as origin in one
 * transaction (the BSN checked, kept and published as the bridge does);
 * the request is answered, on the same association, with exactly the
 * instances the bridge's study table then holds from that sender.
 */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bridge_db.h"
#include "bridge_receive.h"
#include "bridge_stage.h"
#include "clock.h"
#include "directory.h"
#include "log.h"
#include "push_int.h"
#include "push_notify.h"
#include "ratelimit.h"
#include "str.h"
#include "vocab.h"
#include "xact.h"
#include "xdr.h"

#define PUSH_ENDPOINT	"/push"		/* names the listener in records */
#define PUSH_REFUSAL_EVERY 60		/* seconds: refusal records per */
#define PUSH_REFUSAL_KEYS 1024		/* peer address and reason */
/* Test only (tests/dicom/test_push_crash.py): the first storage
 * commitment request stops before anything is made durable, after
 * creating the file this names, until the node is killed. */
#define PUSH_TEST_HOLD	"XDSD_TEST_PUSH_HOLD_COMMIT"

/* The study of the instances one storage commitment request committed:
 * commit() and commit_done() run on the association's thread, one after
 * the other.  A request naming instances of more studies names the
 * first. */
static __thread char commit_study[DCMSHIM_UI_SZ];
/* The request's rows made durable (commit_synced), or that failed, so
 * that nothing is committed (commit_failed). */
static __thread int commit_synced, commit_failed;

/* The organisation a certificate subject names, from the directory. */
static int
known_org(struct push *p, const char *subject, struct dir_community *c)
{
	char ura[16], e[256];

	if (p->dir == NULL || xdr_subject_ura(subject, ura, sizeof ura) != 1)
		return 0;
	return dir_by_ura(p->dir, ura, c, e, sizeof e) == XDS_OK;
}

static int
admit_cert(void *arg, const char *addr, const char *calling,
    const char *subject)
{
	struct dir_community c;

	(void)addr;
	(void)calling;
	return known_org(arg, subject, &c);
}

/* A refusal: counted, and logged and audited unless this address had a
 * record of this reason in the last PUSH_REFUSAL_EVERY seconds (a peer
 * with a certificate of another CA fails its TLS handshake and is
 * refused here too). */
static void
refused(void *arg, enum dcmshim_refusal why, const char *addr,
    const char *calling_ae, const char *called_ae, const char *detail)
{
	struct push *p = arg;
	const char *name = dcmshim_refusal_name(why);
	struct xact x;
	char reason[256], more[128];

	__atomic_add_fetch(&p->refused[why], 1, __ATOMIC_RELAXED);
	if (!ratelimit_peer(p->refusal_records, addr, name, more,
	    sizeof more)) {
		log_debug("push: connection from %s refused (%s): recorded "
		    "with the next one", addr, name);
		return;
	}
	str_fmt(reason, sizeof reason, "push refused (%s%s)%s%s", name, more,
	    detail != NULL ? ": " : "", detail != NULL ? detail : "");
	log_warnx("push: connection from %s%s%s: %s", addr,
	    calling_ae != NULL ? " calling AE " : "",
	    calling_ae != NULL ? calling_ae : "", reason);
	xact_begin(&x, &p->conf, PUSH_ENDPOINT, why == DCMSHIM_REFUSED_CERT &&
	    detail != NULL ? detail : calling_ae != NULL ? calling_ae :
	    "anonymous", addr);
	str_lcpy(x.txn, TXN_DICOM_ASSOC, sizeof x.txn);
	str_lcpy(x.action, "A-ASSOCIATE-RQ", sizeof x.action);
	if (called_ae != NULL)
		xact_set_object(&x, called_ae);
	xact_fail(&x, XACT_FAILURE, reason);
	x.http_status = 0;
	(void)xact_end(&x);
}

/* Kept with the URA of the sender's certificate as its origin: only that
 * organisation's storage commitment request commits it. */
static enum dcmshim_store_result
store(void *arg, const char *tmppath, const struct dcmshim_info *info,
    const char *calling_ae, const char *called_ae, const char *subject)
{
	struct push *p = arg;
	char ura[16];

	(void)called_ae;	/* dicom.ae_title: no route */
	if (xdr_subject_ura(subject, ura, sizeof ura) != 1)
		return DCMSHIM_STORE_NORESOURCES;	/* admit_cert: never */
	return bridge_stage_store(p->stage, tmppath, info, calling_ae, ura);
}

/* The test hold (PUSH_TEST_HOLD): never returns while it is set. */
static void
test_hold(void)
{
	const char *path = getenv(PUSH_TEST_HOLD);
	int fd;

	if (path == NULL || path[0] == '\0')
		return;
	log_warnx("push: %s: holding the storage commitment", PUSH_TEST_HOLD);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) >= 0)
		close(fd);
	for (;;)
		pause();
}

/* The first item of a request: the sender's staged instances made
 * durable and recorded (bridge_stage.h), and the rows of any instance
 * that took the durable receive (lazy: its file durable, its row maybe
 * not) made durable too: a FULL commit syncs the WAL with every lazy
 * commit before it; without one, a FULL WAL checkpoint. */
static void
commit_first(struct push *p, const char *ura)
{
	char e[256];
	size_t n = 0;

	test_hold();
	if (bridge_stage_commit(p->stage, ura, &n, e, sizeof e) != XDS_OK) {
		log_warnx("push: storage commitment: %s", e);
		commit_failed = 1;
	} else if (n == 0 && bridge_db_checkpoint(p->bdb, e, sizeof e) !=
	    XDS_OK) {
		log_warnx("push: storage commitment: %s", e);
		commit_failed = 1;
	}
}

/*
 * Committed: the bridge's table has its row, written only after its file
 * was durable (bridge_receive.h), and the row names the requesting
 * organisation (the URA of its certificate) as one that pushed it.  Any
 * other instance, one that another organisation pushed, the bridge's own
 * SCP received or this node never held, is failed alike with "No such
 * object instance": a request reveals nothing of what the node holds for
 * others.  The first item of a request first makes that sender's
 * instances durable with their rows (commit_first): what is reported
 * committed survives a crash with its origin.
 */
static int
commit(void *arg, const char *subject, const char *sop_class,
    const char *sop_uid)
{
	struct push *p = arg;
	char ura[16], e[256];
	int rc;

	(void)sop_class;
	if (xdr_subject_ura(subject, ura, sizeof ura) != 1)
		return 0;
	if (!commit_synced) {
		commit_synced = 1;
		commit_first(p, ura);
	}
	if (commit_failed)
		return 0;
	if ((rc = bridge_db_instance_from(p->bdb, sop_uid, ura,
	    commit_study[0] == '\0' ? commit_study : NULL, e, sizeof e)) < 0)
		log_warnx("push: storage commitment: %s", e);
	return rc == 1;
}

/* The forward of a committed study to this node's PACS, queued in
 * push.db (push.forward). */
static void
forward(struct push *p, const char *study)
{
	char e[256];
	long long id;

	if (push_db_add(p->db, PUSH_DEST_PACS, study, NULL, clock_wall(), &id,
	    e, sizeof e) != XDS_OK)
		log_warnx("push: forwarding %s to dicom.pacs: %s", study, e);
	else {
		log_info("push: study %s queued for dicom.pacs (job %lld)",
		    study, id);
		push_wake(p);
	}
}

static void
commit_done(void *arg, const struct dcmshim_commit_result *r)
{
	struct push *p = arg;
	struct bridge_db_study_row row;
	struct dir_community c;
	struct xact x;
	char why[128], cx[64], red[32], e[256];
	int known = known_org(p, r->subject, &c);

	memset(&row, 0, sizeof row);
	if (commit_study[0] != '\0')
		(void)bridge_db_study(p->bdb, commit_study, &row, e, sizeof e);
	__atomic_add_fetch(&p->studies_in, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&p->instances_in, r->committed, __ATOMIC_RELAXED);
	log_redact_id(row.bsn, red, sizeof red);
	log_info("push: from %s: %zu instances committed, %zu failed, "
	    "transaction %s, study %s, patient %s%s", known ? c.name :
	    r->calling_ae, r->committed, r->failed, r->transaction_uid,
	    commit_study[0] != '\0' ? commit_study : "-",
	    row.bsn[0] != '\0' ? red : "-", r->reported ? "" :
	    " (report not acknowledged)");
	xact_begin(&x, &p->conf, PUSH_ENDPOINT, r->subject, "");
	str_lcpy(x.txn, TXN_DICOM_PUSH, sizeof x.txn);
	str_lcpy(x.action, "N-ACTION", sizeof x.action);
	xact_set_object(&x, commit_study[0] != '\0' ? commit_study :
	    r->transaction_uid);
	if (row.bsn[0] != '\0') {
		str_fmt(cx, sizeof cx, "%s^^^&" OID_BSN "&ISO", row.bsn);
		xact_set_patient(&x, cx);
	}
	if (known)
		str_fmt(x.org, sizeof x.org, "%s %s", c.ura, c.name);
	if (r->failed > 0 || !r->reported) {
		str_fmt(why, sizeof why, "%zu instances not committed%s",
		    r->failed, r->reported ? "" : ", report not acknowledged");
		xact_fail(&x, r->committed == 0 ? XACT_FAILURE : XACT_PARTIAL,
		    why);
	}
	x.http_status = 0;
	(void)xact_end(&x);
	if (r->failed == 0 && r->committed > 0 && commit_study[0] != '\0') {
		__atomic_add_fetch(&p->studies_complete, 1, __ATOMIC_RELAXED);
		if (p->conf.push_forward)
			forward(p, commit_study);
		push_notify(p->conf.push_notify_command, commit_study,
		    known ? c.ura : "", row.bsn);
	}
	commit_study[0] = '\0';
	commit_synced = commit_failed = 0;
}

static void *
scp_main(void *arg)
{
	struct push *p = arg;
	char err[256];

	if (dcmshim_scp_run(p->scp, err, sizeof err) != 0)
		log_warnx("push: listener stopped: %s", err);
	return NULL;
}

int
push_recv_start(struct push *p, char *err, size_t errlen)
{
	struct dcmshim_scp_opts o;
	char host[256], tmp[1024], e[256];
	int port;

	if (p->conf.push_listen[0] == '\0')
		return XDS_OK;
	if (conf_split_hostport(p->conf.push_listen, host, sizeof host,
	    &port) != 0) {
		str_fmt(err, errlen, "push.listen: \"%s\" is not host:port",
		    p->conf.push_listen);
		return XDS_EINVAL;
	}
	if (str_fmt(tmp, sizeof tmp, "%s/dicom/tmp",
	    p->conf.node_state_dir) < 0) {
		str_fmt(err, errlen, "node.state_dir: path too long");
		return XDS_EINVAL;
	}
	if (bridge_receive_new(&p->conf, p->bdb, &p->rcv, err, errlen) !=
	    XDS_OK ||
	    bridge_stage_new(p->rcv, p->bdb, p->conf.node_state_dir, &p->stage,
	    err, errlen) != XDS_OK)
		return XDS_EINVAL;
	/* A row is written only for a durable file: staged instances at
	 * their commitment, after their flush; one that took the durable
	 * receive (the stage full) as the bridge's own (bridge_recover.h:
	 * its row may be lost by a crash, the bridge's recovery gives it
	 * back without origin).  So a row seen by commit() is an instance
	 * on disk.  (The bridge started before this and stops after it:
	 * its recovery covers these files.) */
	bridge_db_set_lazy(p->bdb);
	p->refusal_records = ratelimit_new(PUSH_REFUSAL_KEYS,
	    PUSH_REFUSAL_EVERY * 1000LL);	/* NULL: every one recorded */
	memset(&o, 0, sizeof o);
	o.host = host;
	o.port = port;
	o.ae_title = p->conf.dicom_ae_title;
	o.tmp_dir = tmp;
	o.max_associations = (int)p->conf.dicom_max_associations;
	o.max_peer_associations = (int)p->conf.dicom_max_peer_associations;
	o.acse_timeout = (int)p->conf.dicom_timeout;
	o.dimse_timeout = (int)p->conf.dicom_timeout;
	o.io_timeout = (int)p->conf.dicom_timeout;
	o.on_store = store;
	o.arg = p;
	o.on_refused = refused;
	o.access_arg = p;
	o.tls_cert = p->conf.http_cert;
	o.tls_key = p->conf.http_key;
	o.tls_ca = p->conf.dicom_ca[0] != '\0' ? p->conf.dicom_ca :
	    p->conf.http_ca;
	o.admit_cert = admit_cert;
	o.on_commit = commit;
	o.on_commit_done = commit_done;
	o.on_report = push_report;	/* of our own requests */
	if (dcmshim_scp_new(&o, &p->scp, e, sizeof e) != 0) {
		str_fmt(err, errlen, "push.listen %s: %s", p->conf.push_listen,
		    e);
		return XDS_EUNAVAILABLE;
	}
	if (pthread_create(&p->scp_thread, NULL, scp_main, p) != 0) {
		str_fmt(err, errlen, "cannot start the push listener");
		return XDS_EINTERNAL;
	}
	p->scp_running = 1;
	return XDS_OK;
}

int
push_recv_port(const struct push *p)
{
	return p->scp != NULL ? dcmshim_scp_port(p->scp) : 0;
}

void
push_recv_stop(struct push *p)
{
	if (p->scp_running) {
		dcmshim_scp_stop(p->scp);
		pthread_join(p->scp_thread, NULL);
		p->scp_running = 0;
	}
	dcmshim_scp_free(p->scp);
	p->scp = NULL;
	bridge_stage_free(p->stage);
	p->stage = NULL;
	bridge_receive_free(p->rcv);
	p->rcv = NULL;
	ratelimit_free(p->refusal_records);
	p->refusal_records = NULL;
}
