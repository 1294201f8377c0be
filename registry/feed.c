/*
 * feed.c: ITI-8 Patient Identity Feed at the Document Registry (feed.h):
 * ADT A01/A04/A05/A08 make a patient known, A40 merges one into another.
 */
#include "config.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "clock.h"
#include "conf.h"
#include "ebrim.h"
#include "feed.h"
#include "hl7dt.h"
#include "hl7v2.h"
#include "log.h"
#include "registry_int.h"
#include "store.h"
#include "str.h"
#include "url.h"
#include "vocab.h"
#include "xact.h"
#include "xml.h"

#define CX_MAX		(2 * HL7_ID_MAX + 16)
#define XML_MAX		(4 * 1024 * 1024)	/* one stored object */

struct registry_feed {
	struct registry	*reg;
	char		 domain[HL7_ID_MAX];	/* feed_domain */
	atomic_ulong	 seq;			/* ACK control ids */
	atomic_ullong	 n[FEED_NRESULTS];	/* registry_feed_stats */
	atomic_llong	 last_at;
};

static const char *const result_names[FEED_NRESULTS] = {
	"accepted", "malformed", "required", "invalid", "message_type",
	"event", "domain", "registry", "too_big", "source"
};

/* What a message asks of the registry, or why it is not taken. */
struct req {
	char		 event[8];
	char		 control[HL7V2_MAX_VALUE];
	char		 patient[CX_MAX];	/* PID-3, canonical */
	char		 subsumed[CX_MAX];	/* MRG-1 (A40) */
	/* the answer when not AA */
	const char	*ack, *err_code, *err_loc;
	char		 why[300];
	/* the merge */
	size_t		 moved;
	char		 added[32];
};

static int refuse(struct req *, const char *, const char *, const char *,
    const char *, ...) __attribute__((format(printf, 5, 6)));

static int
refuse(struct req *q, const char *ack, const char *code, const char *loc,
    const char *fmt, ...)
{
	va_list ap;

	q->ack = ack;
	q->err_code = code;
	q->err_loc = loc;
	va_start(ap, fmt);
	(void)vsnprintf(q->why, sizeof q->why, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * The identifier of the feed's domain among the repetitions of seg-field
 * (PID-3, MRG-1): id^^^&OID&ISO, canonical, into out.  0, or -1 with the
 * refusal in q.
 */
static int
domain_id(const struct registry_feed *f, const struct hl7v2_msg *m,
    const char *seg, int field, const char *loc, struct req *q, char *out,
    size_t outsz)
{
	struct hl7_cx cx;
	char oid[HL7_ID_MAX], typ[16], what[16];
	size_t r, n = hl7v2_nrep(m, seg, 0, field);

	str_fmt(what, sizeof what, "%s-%d", seg, field);
	for (r = 0; r < n; r++) {
		memset(&cx, 0, sizeof cx);
		if (hl7v2_get(m, seg, 0, field, (int)r, 4, 2, oid,
		    sizeof oid) <= 0 || strcmp(oid, f->domain) != 0)
			continue;
		if (hl7v2_get(m, seg, 0, field, (int)r, 4, 3, typ,
		    sizeof typ) > 0 && strcmp(typ, "ISO") != 0)
			continue;
		if (hl7v2_get(m, seg, 0, field, (int)r, 1, 1, cx.id,
		    sizeof cx.id) <= 0)
			return refuse(q, HL7_ACK_ERROR, HL7_ERR_REQUIRED, loc,
			    "%s: the identifier of the domain is empty", what);
		if (strcmp(f->domain, OID_BSN) == 0 &&
		    hl7_bsn_valid(cx.id, strlen(cx.id)) != 0)
			return refuse(q, HL7_ACK_ERROR, HL7_ERR_DATATYPE, loc,
			    "%s: not a valid BSN (the 11-check fails)", what);
		str_lcpy(cx.aa_oid, oid, sizeof cx.aa_oid);
		if (hl7_cx_format(&cx, out, outsz) != 0)
			return refuse(q, HL7_ACK_ERROR, HL7_ERR_DATATYPE, loc,
			    "%s: identifier too long", what);
		return 0;
	}
	if (n == 0)
		return refuse(q, HL7_ACK_ERROR, HL7_ERR_REQUIRED, loc,
		    "%s is empty", what);
	str_fmt(q->why, sizeof q->why, "%s: no identifier of the affinity "
	    "domain (assigning authority &%s&ISO)", what, f->domain);
	q->ack = HL7_ACK_ERROR;
	q->err_code = HL7_ERR_UNKNOWN_KEY;
	q->err_loc = loc;
	return -1;
}

/* Read the message into q: 0, or -1 with the refusal in q. */
static int
read_request(const struct registry_feed *f, const struct hl7v2_msg *m,
    struct req *q)
{
	char v[HL7V2_MAX_VALUE];

	if (hl7v2_get(m, "MSH", 0, 10, 0, 1, 1, q->control,
	    sizeof q->control) <= 0)
		return refuse(q, HL7_ACK_REJECT, HL7_ERR_REQUIRED, "MSH^1^10",
		    "%s", "MSH-10 (message control id) is missing");
	if (hl7v2_get(m, "MSH", 0, 9, 0, 1, 1, v, sizeof v) < 0 ||
	    strcmp(v, HL7_MSG_ADT) != 0)
		return refuse(q, HL7_ACK_REJECT, HL7_ERR_MSG_TYPE, "MSH^1^9",
		    "message type %.40s is not taken (ADT only)", v);
	if (hl7v2_get(m, "MSH", 0, 9, 0, 2, 1, q->event,
	    sizeof q->event) <= 0)
		q->event[0] = '\0';
	/* link and unlink (ITI TF-2a 3.8: not events of this transaction
	 * at the registry), answered with why (docs/design.md) */
	if (strcmp(q->event, "A37") == 0 || strcmp(q->event, "A24") == 0)
		return refuse(q, HL7_ACK_REJECT, HL7_ERR_EVENT, "MSH^1^9",
		    "event %s (%s) is not taken: the registry keeps no "
		    "patient links and no merge history; an A40 merge is "
		    "final", q->event, q->event[1] == '3' ? "unlink" : "link");
	if (q->event[0] == '\0' || (strcmp(q->event, "A01") != 0 &&
	    strcmp(q->event, "A04") != 0 && strcmp(q->event, "A05") != 0 &&
	    strcmp(q->event, "A08") != 0 && strcmp(q->event, "A40") != 0))
		return refuse(q, HL7_ACK_REJECT, HL7_ERR_EVENT, "MSH^1^9",
		    "event %.40s is not taken (A01, A04, A05, A08, A40)",
		    q->event);
	if (hl7v2_count(m, "PID") == 0)
		return refuse(q, HL7_ACK_REJECT, HL7_ERR_SEGMENT, NULL,
		    "%s", "no PID segment");
	if (domain_id(f, m, "PID", 3, "PID^1^3", q, q->patient,
	    sizeof q->patient) != 0)
		return -1;
	if (strcmp(q->event, "A40") != 0)
		return 0;
	if (hl7v2_count(m, "MRG") == 0)
		return refuse(q, HL7_ACK_REJECT, HL7_ERR_SEGMENT, NULL,
		    "%s", "A40 without an MRG segment");
	if (domain_id(f, m, "MRG", 1, "MRG^1^1", q, q->subsumed,
	    sizeof q->subsumed) != 0)
		return -1;
	if (strcmp(q->subsumed, q->patient) == 0)
		return refuse(q, HL7_ACK_ERROR, HL7_ERR_DATATYPE, "MRG^1^1",
		    "%s", "MRG-1 names the surviving patient of PID-3");
	return 0;
}

/* ---- the merge (ITI TF-2a 3.8.4.2.3) ---- */

/* One at a time: each is rewritten with the statement reset, never
 * under its open scan (whose index holds patient_id). */
static const char SQL_OBJECTS_OF[] =
    "SELECT id, xml FROM registry_object WHERE patient_id = ? AND "
    "kind IN (1, 2, 3) LIMIT 1";
static const char SQL_OBJECT_SET[] =
    "UPDATE registry_object SET patient_id = ?, xml = ? WHERE id = ?";
static const char SQL_DE_MOVE[] =
    "UPDATE document_entry SET patient_id = ?1 WHERE patient_id = ?2";
static const char SQL_SS_MOVE[] =
    "UPDATE submission_set SET patient_id = ?1 WHERE patient_id = ?2";
static const char SQL_FOL_MOVE[] =
    "UPDATE folder SET patient_id = ?1 WHERE patient_id = ?2";
static const char SQL_PATIENT_FORGET[] =
    "DELETE FROM patient WHERE patient_id = ?";

/* The stored object text xml with its patientId external identifier
 * set to cx, into out.  0, or -1 (err). */
static int
rewrite_xml(const char *xml, size_t len, const char *cx, struct buf *out,
    char *err, size_t errlen)
{
	struct rim_list l;
	struct buf w;
	xmlDoc *doc = NULL;
	size_t i;
	int rc = -1;

	rim_list_init(&l);
	buf_init(&w, XML_MAX + 16);
	if (buf_adds(&w, "<w>") != XDS_OK || buf_add(&w, xml, len) != XDS_OK ||
	    buf_adds(&w, "</w>") != XDS_OK) {
		str_fmt(err, errlen, "stored object too large");
		goto out;
	}
	if ((doc = xml_parse(buf_str(&w), strlen(buf_str(&w)), err,
	    errlen)) == NULL || rim_parse_list(xmlDocGetRootElement(doc), &l,
	    err, errlen) != XDS_OK)
		goto out;
	if (l.nobj != 1) {
		str_fmt(err, errlen, "stored object text holds %zu objects",
		    l.nobj);
		goto out;
	}
	for (i = 0; i < l.obj[0].neids; i++) {
		struct rim_extid *e = &l.obj[0].eids[i];

		if ((strcmp(e->scheme, EI_DE_PATIENTID) == 0 ||
		    strcmp(e->scheme, EI_SS_PATIENTID) == 0 ||
		    strcmp(e->scheme, EI_FOL_PATIENTID) == 0) &&
		    (e->value = rim_strdup(&l, cx)) == NULL) {
			str_fmt(err, errlen, "out of memory");
			goto out;
		}
	}
	if (rim_write_object(&l.obj[0], out) != XDS_OK) {
		str_fmt(err, errlen, "stored object text: out of memory");
		goto out;
	}
	rc = 0;
out:
	if (doc != NULL)
		xmlFreeDoc(doc);
	rim_list_free(&l);
	buf_free(&w);
	return rc;
}

/* Move every object of the subsumed patient to the surviving one. */
static int
move_objects(struct store_conn *c, struct req *q)
{
	static const char *const moves[] = { SQL_DE_MOVE, SQL_SS_MOVE,
	    SQL_FOL_MOVE };
	sqlite3_stmt *st, *up;
	struct buf x;
	char err[256];
	sqlite3_int64 id;
	size_t i;
	int rc;

	q->moved = 0;
	if ((st = store_stmt(c, SQL_OBJECTS_OF)) == NULL)
		return XDS_EIO;
	/* each object rewritten leaves the subsumed patient (the two
	 * differ), so the next look finds the next one */
	for (;;) {
		sqlite3_bind_text(st, 1, q->subsumed, -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(st)) != SQLITE_ROW)
			break;
		id = sqlite3_column_int64(st, 0);
		buf_init(&x, XML_MAX);
		rc = rewrite_xml(sqlite3_column_blob(st, 1),
		    (size_t)sqlite3_column_bytes(st, 1), q->patient, &x, err,
		    sizeof err);
		sqlite3_reset(st);
		if (rc != 0) {
			log_warnx("registry: ITI-8 merge: object %lld: %s",
			    (long long)id, err);
			buf_free(&x);
			return XDS_EIO;
		}
		if ((up = store_stmt(c, SQL_OBJECT_SET)) == NULL) {
			buf_free(&x);
			return XDS_EIO;
		}
		sqlite3_bind_text(up, 1, q->patient, -1, SQLITE_STATIC);
		sqlite3_bind_blob(up, 2, x.b_data, (int)x.b_len,
		    SQLITE_TRANSIENT);
		sqlite3_bind_int64(up, 3, id);
		rc = sqlite3_step(up);
		sqlite3_reset(up);
		buf_free(&x);
		if (rc != SQLITE_DONE)
			return store_rc(rc);
		q->moved++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_rc(rc);
	for (i = 0; i < sizeof moves / sizeof moves[0]; i++) {
		if ((st = store_stmt(c, moves[i])) == NULL)
			return XDS_EIO;
		sqlite3_bind_text(st, 1, q->patient, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, q->subsumed, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return store_rc(rc);
	}
	if ((st = store_stmt(c, SQL_PATIENT_FORGET)) == NULL)
		return XDS_EIO;
	sqlite3_bind_text(st, 1, q->subsumed, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : store_rc(rc);
}

/* The write of one message: the patient known, and for A40 the merge;
 * all in the caller's transaction. */
static int
apply_txn(struct store_conn *c, void *arg)
{
	struct req *q = arg;
	int rc;

	if ((rc = reg_patient_add_txn(c, q->patient, q->added)) != 0)
		return rc;
	if (strcmp(q->event, "A40") == 0)
		return move_objects(c, q);
	return 0;
}

/* ---- messages ---- */

static int
write_ack(struct registry_feed *f, const struct hl7v2_msg *m,
    const struct req *q, struct buf *ack)
{
	struct hl7v2_ack a;
	char now[15], ctl[32];

	reg_now_dtm(now);
	str_fmt(ctl, sizeof ctl, "XDS%s%lu", now,
	    (unsigned long)atomic_fetch_add(&f->seq, 1) + 1);
	memset(&a, 0, sizeof a);
	a.code = q->ack != NULL ? q->ack : HL7_ACK_ACCEPT;
	a.err_code = q->err_code;
	a.err_loc = q->err_loc;
	a.text = q->ack != NULL ? q->why : NULL;
	a.control_id = ctl;
	a.now = now;
	return hl7v2_write_ack(m, &a, ack);
}

/* Count a message answered q (too_big: over the limit). */
static void
count(struct registry_feed *f, const struct req *q,
    enum registry_feed_result refused)
{
	static const struct {
		const char		*code;
		enum registry_feed_result r;
	} by_code[] = {
		{ HL7_ERR_SEGMENT, FEED_R_MALFORMED },
		{ HL7_ERR_REQUIRED, FEED_R_REQUIRED },
		{ HL7_ERR_DATATYPE, FEED_R_INVALID },
		{ HL7_ERR_MSG_TYPE, FEED_R_MESSAGE_TYPE },
		{ HL7_ERR_EVENT, FEED_R_EVENT },
		{ HL7_ERR_UNKNOWN_KEY, FEED_R_DOMAIN },
	};
	enum registry_feed_result r = FEED_ACCEPTED;
	size_t i;

	if (refused != FEED_ACCEPTED)
		r = refused;
	else if (q->ack != NULL) {
		r = FEED_R_REGISTRY;
		for (i = 0; i < sizeof by_code / sizeof by_code[0]; i++)
			if (q->err_code != NULL &&
			    strcmp(q->err_code, by_code[i].code) == 0)
				r = by_code[i].r;
	}
	atomic_fetch_add(&f->n[r], 1);
	atomic_store(&f->last_at, clock_wall());
}

void
registry_feed_stats(struct registry_feed *f, struct registry_feed_stats *st)
{
	int i;

	for (i = 0; i < FEED_NRESULTS; i++)
		st->n[i] = atomic_load(&f->n[i]);
	st->last_at = atomic_load(&f->last_at);
}

const char *
registry_feed_result_name(int r)
{
	return r >= 0 && r < FEED_NRESULTS ? result_names[r] : "?";
}

/* x for a refused message: the codes and the reason. */
static void
record_refusal(struct xact *x, const struct req *q)
{
	char code[16];

	str_fmt(code, sizeof code, "HL7-%s", q->err_code != NULL ?
	    q->err_code : HL7_ERR_INTERNAL);
	xact_add_error(x, code);
	str_lcpy(x->reason, q->why, sizeof x->reason);
}

int
registry_feed_message(struct registry_feed *f, struct xact *x,
    const char *msg, size_t len, struct buf *ack)
{
	struct hl7v2_msg *m;
	struct req q;
	time_t t = (time_t)clock_wall();
	struct tm tm;
	char err[256], red[64], red2[64];
	int rc, parsed;

	if ((m = malloc(sizeof *m)) == NULL)
		return XDS_ENOMEM;
	memset(&q, 0, sizeof q);
	parsed = hl7v2_parse(msg, len, m, err, sizeof err) == XDS_OK;
	if (!parsed)
		refuse(&q, HL7_ACK_REJECT, HL7_ERR_SEGMENT, NULL, "%s", err);
	else if (read_request(f, m, &q) == 0) {
		xact_set_patient(x, q.patient);
		if (gmtime_r(&t, &tm) == NULL || strftime(q.added,
		    sizeof q.added, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
			str_lcpy(q.added, "1970-01-01T00:00:00Z",
			    sizeof q.added);
		rc = store_write(f->reg->store, apply_txn, &q, err,
		    sizeof err);
		if (rc != 0) {
			log_warnx("registry: ITI-8 %s: %s", q.event, err);
			refuse(&q, HL7_ACK_ERROR, HL7_ERR_INTERNAL, NULL, "%s",
			    rc == XDS_EBUSY ? "registry busy: nothing was "
			    "changed; send the message again" : "registry "
			    "error: nothing was changed");
		}
	}
	if (parsed && q.control[0] != '\0')
		xact_set_object(x, q.control);
	if (q.ack != NULL)
		record_refusal(x, &q);
	else if (strcmp(q.event, "A40") == 0) {
		log_redact_id(q.patient, red, sizeof red);
		log_redact_id(q.subsumed, red2, sizeof red2);
		log_info("registry: ITI-8 A40: patient %s merged into %s, "
		    "%zu object(s) moved", red2, red, q.moved);
		str_fmt(x->reason, sizeof x->reason, "merged %s into this "
		    "patient", q.subsumed);
		if (q.moved > 0 && f->reg->on_new_patient != NULL)
			f->reg->on_new_patient(f->reg->on_new_patient_arg,
			    q.patient);
	} else {
		log_redact_id(q.patient, red, sizeof red);
		log_info("registry: ITI-8 %s: patient %s known", q.event, red);
	}
	count(f, &q, FEED_ACCEPTED);
	rc = write_ack(f, parsed ? m : NULL, &q, ack);
	free(m);
	return rc == XDS_OK ? XDS_OK : XDS_ENOMEM;
}

int
registry_feed_refuse(struct registry_feed *f, struct xact *x,
    const char *msg, size_t len, enum registry_feed_result r,
    const char *why, struct buf *ack)
{
	struct hl7v2_msg *m;
	struct req q;
	char err[128];
	int parsed, rc;

	if ((m = malloc(sizeof *m)) == NULL)
		return XDS_ENOMEM;
	memset(&q, 0, sizeof q);
	/* the prefix up to its last whole segment */
	while (len > 0 && msg[len - 1] != '\r' && msg[len - 1] != '\n')
		len--;
	parsed = len > 0 && hl7v2_parse(msg, len, m, err, sizeof err) ==
	    XDS_OK;
	if (parsed && hl7v2_get(m, "MSH", 0, 10, 0, 1, 1, q.control,
	    sizeof q.control) > 0)
		xact_set_object(x, q.control);
	refuse(&q, HL7_ACK_REJECT, r == FEED_R_SOURCE ? HL7_ERR_INTERNAL :
	    HL7_ERR_SEGMENT, NULL, "%s", why);
	record_refusal(x, &q);
	count(f, &q, r);
	rc = write_ack(f, parsed ? m : NULL, &q, ack);
	free(m);
	return rc == XDS_OK ? XDS_OK : XDS_ENOMEM;
}

int
registry_feed_open(const struct conf *cf, struct registry *reg,
    struct registry_feed **out, char *err, size_t errlen)
{
	struct registry_feed *f;
	char oerr[128];

	*out = NULL;
	if (!reg->feed) {
		str_fmt(err, errlen, "registry.feed_listen needs "
		    "registry.patient_ids = feed");
		return XDS_EINVAL;
	}
	if (hl7_oid_valid(cf->registry_feed_domain,
	    strlen(cf->registry_feed_domain), oerr, sizeof oerr) != 0) {
		str_fmt(err, errlen, "registry.feed_domain: %s", oerr);
		return XDS_EINVAL;
	}
	if ((f = calloc(1, sizeof *f)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return XDS_ENOMEM;
	}
	f->reg = reg;
	str_lcpy(f->domain, cf->registry_feed_domain, sizeof f->domain);
	*out = f;
	return XDS_OK;
}

void
registry_feed_close(struct registry_feed *f)
{
	free(f);
}

int
registry_feed_source_ok(const char *sources, const char *addr,
    const char *subject)
{
	const char *next = sources, *s;
	size_t n;

	if (url_host_loopback(addr))
		return 1;
	while (next != NULL && *next != '\0') {
		s = str_item(&next, ';', &n);
		if (n == 1 && *s == '*')
			return 1;
		if (n > 0 && subject[0] != '\0' && strlen(subject) == n &&
		    memcmp(subject, s, n) == 0)
			return 1;
	}
	return 0;
}
