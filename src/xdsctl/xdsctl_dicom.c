/*
 * xdsctl dicom: the DICOM bridge's studies on the local state directory.
 *
 *	xdsctl dicom pending		studies waiting for a BSN (or with two)
 *	xdsctl dicom studies [STATE]	all studies, or those in STATE
 *	xdsctl dicom publish STUDYUID	publish (or republish) now: the
 *					running xdsd does it within a second
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "bridge_db.h"
#include "buf.h"
#include "clock.h"
#include "dcmshim.h"
#include "ebrim.h"
#include "gateway.h"
#include "hl7dt.h"
#include "log.h"
#include "mtom.h"
#include "push_db.h"
#include "push_route.h"
#include "rad69.h"
#include "soap.h"
#include "soap_peer.h"
#include "str.h"
#include "vocab.h"
#include "xdsctl.h"
#include "xml.h"

struct walk {
	int	json;
	int	n;
};

static int
print_study(void *arg, const struct bridge_db_study *s)
{
	struct walk *w = arg;
	char when[32];
	time_t t = (time_t)s->last_arrival;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		when[0] = '\0';
	/* UIDs are digits and dots, the BSN digits, the state a keyword:
	 * nothing to escape in the JSON. */
	if (w->json)
		printf("%s{\"study\":\"%s\",\"bsn\":%s%s%s,\"instances\":%lld,"
		    "\"last_arrival\":\"%s\",\"state\":\"%s\","
		    "\"entry_uuid\":%s%s%s,\"unique_id\":%s%s%s}",
		    w->n ? "," : "[", s->study_uid, s->bsn ? "\"" : "",
		    s->bsn ? s->bsn : "null", s->bsn ? "\"" : "", s->instances,
		    when, s->state, s->entry_uuid ? "\"" : "",
		    s->entry_uuid ? s->entry_uuid : "null",
		    s->entry_uuid ? "\"" : "", s->unique_id ? "\"" : "",
		    s->unique_id ? s->unique_id : "null",
		    s->unique_id ? "\"" : "");
	else
		printf("%-64s %-9s %9lld %-20s %s\n", s->study_uid,
		    s->bsn ? s->bsn : "-", s->instances, when, s->state);
	w->n++;
	return 0;
}

static void
dicom_usage(void)
{
	fprintf(stderr, "usage: xdsctl dicom pending | studies [STATE] | "
	    "publish STUDYUID\n");
}

#define PUBLISH_WAIT_MS	15000	/* for the scheduler's next tick */

static void
route_say(void *arg, int warn, const char *msg)
{
	const struct ctl *ctl = arg;

	if (warn)
		fprintf(stderr, "xdsctl: push: %s\n", msg);
	else if (!ctl->json)
		printf("push: %s\n", msg);
}

/*
 * A study sent under a routed AE title (push.route) is complete once made
 * ready: its push job is made here, as the sender would at its next poll,
 * and the write to push.db wakes the sender now.  It is made once, whoever
 * makes it first.
 */
static void
publish_routes(struct ctl *ctl, struct bridge_db *bdb)
{
	struct push_db *db = NULL;
	char err[512];

	if (ctl->conf.push_route[0] == '\0')
		return;
	if (push_db_open(ctl->conf.node_state_dir, &db, err, sizeof err) !=
	    XDS_OK) {
		fprintf(stderr, "xdsctl: push: %s\n", err);
		return;
	}
	push_route_jobs(db, bdb, ctl->conf.push_route, clock_wall(),
	    ctl->conf.dicom_publish_after, 0, route_say, ctl);
	push_db_close(db);
}

/* Make the study ready and wait until xdsd has registered a new entry. */
static int
publish(struct ctl *ctl, struct bridge_db *db, const char *uid)
{
	struct bridge_db_study_row before, now;
	char err[512];
	int ms;

	if (!dcmshim_uid_valid(uid)) {
		fprintf(stderr, "xdsctl: \"%.80s\" is not a UID\n", uid);
		return 2;
	}
	if (bridge_db_study(db, uid, &before, err, sizeof err) != 0 ||
	    bridge_db_request_publish(db, uid, err, sizeof err) != 0) {
		fprintf(stderr, "xdsctl: %s\n", err);
		return 1;
	}
	publish_routes(ctl, db);
	for (ms = 0; ms < PUBLISH_WAIT_MS; ms += 100) {
		usleep(100 * 1000);
		if (bridge_db_study(db, uid, &now, err, sizeof err) != 0) {
			fprintf(stderr, "xdsctl: %s\n", err);
			return 1;
		}
		if (strcmp(now.unique_id, before.unique_id) == 0)
			continue;
		if (ctl->json)
			printf("{\"study\":\"%s\",\"entry_uuid\":\"%s\","
			    "\"unique_id\":\"%s\",\"replaces\":%s%s%s}\n",
			    uid, now.entry_uuid, now.unique_id,
			    before.entry_uuid[0] ? "\"" : "",
			    before.entry_uuid[0] ? before.entry_uuid : "null",
			    before.entry_uuid[0] ? "\"" : "");
		else
			printf("published %s: entry %s, manifest %s%s%s\n", uid,
			    now.entry_uuid, now.unique_id, before.entry_uuid[0] ?
			    ", replacing " : "", before.entry_uuid);
		return 0;
	}
	fprintf(stderr, "xdsctl: %s is ready but was not published within "
	    "%d s: is xdsd running with dicom.enabled and repository.enabled? "
	    "(its log names the reason)\n", uid, PUBLISH_WAIT_MS / 1000);
	return 1;
}

int
ctl_dicom(struct ctl *ctl, int argc, char **argv)
{
	struct bridge_db *db = NULL;
	struct walk w = { ctl->json, 0 };
	const char *state = NULL;
	char err[512];
	int rc = 1;

	if (argc == 2 && strcmp(argv[0], "publish") == 0) {
		if (bridge_db_open(ctl->conf.node_state_dir, &db, err,
		    sizeof err) != 0) {
			fprintf(stderr, "xdsctl: %s\n", err);
			return 1;
		}
		rc = publish(ctl, db, argv[1]);
		bridge_db_close(db);
		return rc;
	}
	if (argc == 1 && strcmp(argv[0], "pending") == 0)
		state = NULL;
	else if ((argc == 1 || argc == 2) && strcmp(argv[0], "studies") == 0)
		state = argc == 2 ? argv[1] : "";
	else {
		dicom_usage();
		return 2;
	}
	if (bridge_db_open(ctl->conf.node_state_dir, &db, err, sizeof err) != 0) {
		fprintf(stderr, "xdsctl: %s\n", err);
		return 1;
	}
	if (!w.json)
		printf("%-64s %-9s %9s %-20s %s\n", "STUDY", "BSN", "INSTANCES",
		    "LAST ARRIVAL", "STATE");
	if (state != NULL && state[0] == '\0') {
		static const char *const all[] = { "pending", "conflict",
		    "receiving", "ready", "published" };
		size_t i;

		for (i = 0; i < sizeof all / sizeof all[0]; i++)
			if (bridge_db_list(db, all[i], print_study, &w, err,
			    sizeof err) != 0)
				goto out;
	} else if (bridge_db_list(db, state, print_study, &w, err,
	    sizeof err) != 0)
		goto out;
	if (w.json)
		printf("%s]\n", w.n ? "" : "[");
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "xdsctl: %s\n", err);
	bridge_db_close(db);
	return rc;
}

/*
 * xdsctl image import --patient BSN --study STUDYUID [--community HCID]
 *
 * The consumer side of XDS-I.b on this node: ITI-18 FindDocuments for the
 * patient at the registry (--url), the Approved DocumentEntry whose
 * referenceIdList names the study; ITI-43 for its KOS manifest; RAD-69 at
 * /xdsi/source for the instances it references (MTOM answers spooled to
 * a private temporary directory, kept with their calls until the end);
 * C-STORE to dicom.pacs.  The spool is removed on every path out.
 * With --community the three requests go to the node's initiating
 * gateway instead, naming that community (AdhocQuery/@home, each
 * DocumentRequest's HomeCommunityId), which asks it by ITI-38, ITI-39
 * and RAD-75.
 */
#define IMPORT_MAX_REFS		20000	/* instances in one manifest */
#define IMPORT_BATCH		500	/* DocumentRequests per RAD-69 */
#define IMPORT_MAX_ANSWER	((size_t)16 << 20)	/* envelope or root */
#define IMPORT_MAX_QUERY	((size_t)64 << 20)	/* ITI-18 answer */
#define IMPORT_MAX_REQUEST	((size_t)4 << 20)	/* RAD-69 request */

struct imp_ref {
	char	series[DCMSHIM_UI_SZ];
	char	sop_class[DCMSHIM_UI_SZ];
	char	sop[DCMSHIM_UI_SZ];
	char	path[1024];		/* spooled instance, or "" */
	int	status;			/* C-STORE status, -1 not sent */
};

struct imp {
	struct ctl	*ctl;
	const char	*hcid;		/* --community, or NULL */
	char		 spool[256];
	char		 entry_uuid[128];
	char		 unique_id[128];
	char		 repo_uid[128];
	struct dcmshim_kos_info kos;
	struct imp_ref	*refs;
	size_t		 nrefs, caprefs;
	size_t		 retrieved, stored, failed, sent;
	int		 tty;
	/* ITI-43 and RAD-69: their answers' files are the instances */
	struct soap_call calls[IMPORT_MAX_REFS / IMPORT_BATCH + 2];
	size_t		 ncalls;
};

int
ctl_names_study(const struct rim_object *o, const char *study)
{
	const struct rim_slot *s;
	struct hl7_cx cx;
	char err[128];
	size_t i;

	if ((s = rim_slot(o->slots, o->nslots, SLOT_REFERENCEIDLIST)) == NULL)
		return 0;
	for (i = 0; i < s->nvalues; i++)
		if (hl7_cxi_parse(s->values[i], strlen(s->values[i]), &cx, err,
		    sizeof err) == 0 && strcmp(cx.id_type, REFID_STUDYUID) == 0 &&
		    strcmp(cx.id, study) == 0)
			return 1;
	return 0;
}

static int import_url(const struct imp *, const char *path, char *out,
    size_t outsz);

/* ITI-18 FindDocuments (Approved, LeafClass) for bsn; the KOS entry of
 * study into m.  0 found, 1 none, -1 error (printed). */
static int
find_manifest(struct imp *m, const char *bsn, const char *study)
{
	struct soap_call c;
	struct buf q;
	struct rim_list l;
	xmlNode *list;
	char err[1024], url[1024], cx[64];
	int rc = -1;
	size_t i;

	soap_call_init(&c, ACT_ITI18, PACK_SIMPLE);
	buf_init(&q, 64 * 1024);
	rim_list_init(&l);
	if (str_fmt(cx, sizeof cx, "%s^^^&%s&ISO", bsn, OID_BSN) < 0 ||
	    ctl_find_documents(&q, cx, m->hcid) != 0) {
		fprintf(stderr, "xdsctl: out of memory\n");
		goto out;
	}
	c.req.body_xml = buf_str(&q);
	c.req.bounds.timeout = CTL_TIMEOUT;
	c.req.bounds.max_answer = IMPORT_MAX_QUERY;
	if (import_url(m, m->ctl->url, url, sizeof url) != 0 ||
	    ctl_call(m->ctl, url, &c) != 0)
		goto out;
	if ((list = xml_find(c.ans.body, NS_RIM, "RegistryObjectList")) ==
	    NULL) {
		fprintf(stderr, "xdsctl: FindDocuments at %s answered HTTP %d "
		    "without a RegistryObjectList\n", url,
		    c.ans.http_status);
		goto out;
	}
	if (rim_parse_list(list, &l, err, sizeof err) != 0) {
		fprintf(stderr, "xdsctl: FindDocuments answer: %s\n", err);
		goto out;
	}
	rc = 1;
	for (i = 0; i < l.nobj; i++) {
		const struct rim_object *o = &l.obj[i];
		const struct rim_extid *uid = rim_extid(o, EI_DE_UNIQUEID);
		const char *repo = rim_slot1(o, SLOT_REPOSITORYUID);

		if (o->kind != RIM_EXTRINSIC_OBJECT || uid == NULL || repo == NULL ||
		    !ctl_names_study(o, study))
			continue;
		str_lcpy(m->entry_uuid, o->id, sizeof m->entry_uuid);
		str_lcpy(m->unique_id, uid->value, sizeof m->unique_id);
		str_lcpy(m->repo_uid, repo, sizeof m->repo_uid);
		rc = 0;
	}
out:
	rim_list_free(&l);
	soap_call_free(&c);
	buf_free(&q);
	return rc;
}

/* body (one element) as an MTOM request for action at url: the next of
 * m's calls, kept with its answer's files.  0 with the call in *out, or
 * -1 (printed). */
static int
post_mtom(struct imp *m, const char *url, const char *action,
    const char *body, struct soap_call **out)
{
	struct soap_call *c;

	if (m->ncalls == sizeof m->calls / sizeof m->calls[0]) {
		fprintf(stderr, "xdsctl: too many requests\n");
		return -1;
	}
	c = &m->calls[m->ncalls++];
	soap_call_init(c, action, PACK_MTOM);
	c->req.body_xml = body;
	c->req.bounds.max_answer = IMPORT_MAX_ANSWER;
	c->req.bounds.spool_dir = m->spool;
	*out = c;
	return ctl_call(m->ctl, url, c);
}

/*
 * Where a request of the import goes: path at the node of --url (the
 * registry's URL itself for ITI-18), or, with --community, the node's
 * initiating gateway.
 */
static int
import_url(const struct imp *m, const char *path, char *out, size_t outsz)
{
	if (m->hcid != NULL)
		path = GATEWAY_IG_PATH;
	else if (path == m->ctl->url)
		return str_lcpy(out, path, outsz) >= outsz ? -1 : 0;
	return ctl_node_url(m->ctl->url, path, out, outsz);
}

/* A DocumentRequest's HomeCommunityId for --community, or nothing. */
static int
add_home(const struct imp *m, struct buf *b)
{
	if (m->hcid == NULL)
		return XDS_OK;
	return buf_adds(b, "<xdsb:HomeCommunityId>") | buf_add_xml(b,
	    m->hcid) | buf_adds(b, "</xdsb:HomeCommunityId>");
}

/* The RegistryResponse status of an answer ("Success" ...) or "". */
static const char *
answer_status(const struct soap_call *sc)
{
	xmlNode *rr = xml_find(sc->ans.body, NS_RS, "RegistryResponse");
	const char *s = rr ? xml_attr(rr, "status") : NULL;
	const char *c;

	if (s == NULL)
		return "";
	return (c = strrchr(s, ':')) != NULL ? c + 1 : s;
}

/* Each DocumentResponse of an answer: fn(uid, attachment path). */
static int
each_document(const struct soap_call *sc,
    int (*fn)(void *, const char *, const char *), void *arg)
{
	xmlNode *rsp = sc->ans.body, *dr, *c;
	int n = 0;

	if (!xml_is(rsp, NS_XDSB, "RetrieveDocumentSetResponse"))
		return 0;
	for (dr = xml_first_elem(rsp); dr; dr = xml_next_elem(dr)) {
		char uid[DCMSHIM_UI_SZ + 1] = "";
		const struct mtom_attachment *a = NULL;

		if (!xml_is(dr, NS_XDSB, "DocumentResponse"))
			continue;
		for (c = xml_first_elem(dr); c; c = xml_next_elem(c))
			if (xml_is(c, NS_XDSB, "DocumentUniqueId"))
				xml_text(c, uid, sizeof uid);
			else if (xml_is(c, NS_XDSB, "Document") &&
			    (c = xml_find(c->children, NS_XOP,
			    "Include")) != NULL) {
				a = mtom_find(sc->ans.att, sc->ans.natt,
				    xml_attr(c, "href"));
				c = c->parent;
			}
		if (a != NULL && uid[0] != '\0' && fn(arg, uid, a->path) == 0)
			n++;
	}
	return n;
}

static int
kos_found(void *arg, const char *uid, const char *path)
{
	char *out = arg;

	(void)uid;
	return str_lcpy(out, path, 1024) >= 1024 ? -1 : 0;
}

static int
kos_ref(void *arg, const char *series, const char *cls, const char *sop)
{
	struct imp *m = arg;
	struct imp_ref *r;

	if (m->nrefs == m->caprefs) {
		size_t cap = m->caprefs ? m->caprefs * 2 : 64;

		if (cap > IMPORT_MAX_REFS)
			cap = IMPORT_MAX_REFS;
		if (m->nrefs == cap || (r = realloc(m->refs, cap *
		    sizeof *r)) == NULL)
			return -1;
		m->refs = r;
		m->caprefs = cap;
	}
	r = &m->refs[m->nrefs++];
	memset(r, 0, sizeof *r);
	str_lcpy(r->series, series, sizeof r->series);
	str_lcpy(r->sop_class, cls, sizeof r->sop_class);
	str_lcpy(r->sop, sop, sizeof r->sop);
	r->status = -1;
	return 0;
}

/* ITI-43 for the manifest; its references into m->refs. */
static int
fetch_manifest(struct imp *m)
{
	struct soap_call *c;
	struct buf b;
	char url[1024], path[1024] = "", err[512];
	int rc = -1;

	buf_init(&b, 8192);
	if (import_url(m, "/xds/repository", url, sizeof url) != 0 ||
	    (buf_adds(&b, "<xdsb:RetrieveDocumentSetRequest xmlns:xdsb=\""
	    NS_XDSB "\"><xdsb:DocumentRequest>") | add_home(m, &b) |
	    buf_adds(&b, "<xdsb:RepositoryUniqueId>") |
	    buf_add_xml(&b, m->repo_uid) | buf_adds(&b, "</xdsb:"
	    "RepositoryUniqueId><xdsb:DocumentUniqueId>") |
	    buf_add_xml(&b, m->unique_id) | buf_adds(&b, "</xdsb:"
	    "DocumentUniqueId></xdsb:DocumentRequest></xdsb:"
	    "RetrieveDocumentSetRequest>")) != XDS_OK) {
		fprintf(stderr, "xdsctl: URL or request too long\n");
		goto out;
	}
	if (post_mtom(m, url, ACT_ITI43, buf_str(&b), &c) != 0)
		goto out;
	if (each_document(c, kos_found, path) != 1) {
		fprintf(stderr, "xdsctl: ITI-43 at %s: manifest %s not returned "
		    "(%s)\n", url, m->unique_id, answer_status(c));
		goto out;
	}
	if (dcmshim_kos_read(path, &m->kos, kos_ref, m, err, sizeof err) != 0) {
		fprintf(stderr, "xdsctl: manifest %s: %s\n", m->unique_id, err);
		goto out;
	}
	rc = 0;
out:
	buf_free(&b);
	return rc;
}

/* Transfer syntaxes we accept from RAD-69: every one DCMTK can store and
 * send unchanged (no transcoding on the way to the PACS). */
static const char *const import_ts[] = {
	"1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.1.99",
	"1.2.840.10008.1.2.2", "1.2.840.10008.1.2.4.50",
	"1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57",
	"1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.4.80",
	"1.2.840.10008.1.2.4.81", "1.2.840.10008.1.2.4.90",
	"1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.5",
};

static int
instance_found(void *arg, const char *uid, const char *path)
{
	struct imp *m = arg;
	size_t i;

	for (i = 0; i < m->nrefs; i++)
		if (m->refs[i].path[0] == '\0' && strcmp(m->refs[i].sop,
		    uid) == 0) {
			str_lcpy(m->refs[i].path, path, sizeof m->refs[i].path);
			m->retrieved++;
			return 0;
		}
	return -1;
}

/* The RAD-69 request for refs [from, to), series by series as the
 * manifest lists them. */
static int
rad69_request(const struct imp *m, size_t from, size_t to, struct buf *b)
{
	size_t i;
	int r = XDS_OK;

	r |= buf_adds(b, "<xdsiB:RetrieveImagingDocumentSetRequest "
	    "xmlns:xdsiB=\"" NS_XDSI "\" xmlns:xdsb=\"" NS_XDSB "\">"
	    "<xdsiB:StudyRequest studyInstanceUID=\"");
	r |= buf_addf(b, "%s\">", m->kos.study_uid);
	for (i = from; i < to; i++) {
		if (i == from || strcmp(m->refs[i].series,
		    m->refs[i - 1].series) != 0)
			r |= buf_addf(b, "%s<xdsiB:SeriesRequest "
			    "seriesInstanceUID=\"%s\">", i == from ? "" :
			    "</xdsiB:SeriesRequest>", m->refs[i].series);
		r |= buf_adds(b, "<xdsb:DocumentRequest>");
		r |= add_home(m, b);
		r |= buf_addf(b, "<xdsb:RepositoryUniqueId>%s</xdsb:"
		    "RepositoryUniqueId><xdsb:DocumentUniqueId>%s</xdsb:"
		    "DocumentUniqueId></xdsb:DocumentRequest>",
		    m->kos.location_uid, m->refs[i].sop);
	}
	r |= buf_adds(b, "</xdsiB:SeriesRequest></xdsiB:StudyRequest>"
	    "<xdsiB:TransferSyntaxUIDList>");
	for (i = 0; i < sizeof import_ts / sizeof import_ts[0]; i++)
		r |= buf_addf(b, "<xdsiB:TransferSyntaxUID>%s</xdsiB:"
		    "TransferSyntaxUID>", import_ts[i]);
	r |= buf_adds(b, "</xdsiB:TransferSyntaxUIDList></xdsiB:"
	    "RetrieveImagingDocumentSetRequest>");
	return r == XDS_OK ? 0 : -1;
}

/* RAD-69 for refs [from, to). */
static int
fetch_instances(struct imp *m, const char *url, size_t from, size_t to)
{
	struct soap_call *c;
	struct buf b;
	int rc = -1;

	buf_init(&b, IMPORT_MAX_REQUEST);
	if (rad69_request(m, from, to, &b) != 0) {
		fprintf(stderr, "xdsctl: out of memory\n");
		goto out;
	}
	if (post_mtom(m, url, ACT_RAD69, buf_str(&b), &c) != 0)
		goto out;
	(void)each_document(c, instance_found, m);
	if (strcmp(answer_status(c), "Success") != 0)
		fprintf(stderr, "xdsctl: RAD-69 at %s answered %s\n", url,
		    answer_status(c));
	rc = 0;
out:
	buf_free(&b);
	return rc;
}

static void
on_sent(void *arg, size_t i, int status)
{
	struct imp *m = arg;
	size_t w = 40, done;

	(void)i;
	(void)status;
	m->sent++;
	if (!m->tty)
		return;
	done = m->retrieved ? m->sent * w / m->retrieved : w;
	fprintf(stderr, "\r[%.*s%*s] %zu/%zu", (int)done,
	    "========================================", (int)(w - done), "",
	    m->sent, m->retrieved);
	if (m->sent == m->retrieved)
		fputc('\n', stderr);
}

/* C-STORE the retrieved instances to the PACS. */
static int
store_all(struct imp *m)
{
	struct dcmshim_scu_opts o;
	const char **paths = NULL;
	int *st = NULL;
	size_t *idx = NULL, i, n = 0;
	char ae[17], host[256], err[512];
	int port, rc = -1;

	if (conf_split_ae(m->ctl->conf.dicom_pacs, ae, sizeof ae, host,
	    sizeof host, &port) != 0) {
		fprintf(stderr, "xdsctl: dicom.pacs: \"%s\" is not "
		    "AE@host:port\n", m->ctl->conf.dicom_pacs);
		return -1;
	}
	if (m->retrieved == 0)
		return 0;
	if ((paths = calloc(m->retrieved, sizeof *paths)) == NULL ||
	    (st = calloc(m->retrieved, sizeof *st)) == NULL ||
	    (idx = calloc(m->retrieved, sizeof *idx)) == NULL) {
		fprintf(stderr, "xdsctl: out of memory\n");
		goto out;
	}
	for (i = 0; i < m->nrefs; i++)
		if (m->refs[i].path[0] != '\0') {
			idx[n] = i;
			paths[n++] = m->refs[i].path;
		}
	memset(&o, 0, sizeof o);
	o.host = host;
	o.port = port;
	o.calling_ae = m->ctl->conf.dicom_ae_title;
	o.called_ae = ae;
	o.acse_timeout = (int)m->ctl->conf.dicom_timeout;
	o.dimse_timeout = (int)m->ctl->conf.dicom_timeout;
	o.on_sent = on_sent;
	o.arg = m;
	if (dcmshim_store_scu(&o, paths, n, st, err, sizeof err) != 0)
		fprintf(stderr, "xdsctl: %s\n", err);
	for (i = 0; i < n; i++) {
		m->refs[idx[i]].status = st[i];
		if (st[i] == 0 || (st[i] & 0xf000) == 0xb000)
			m->stored++;
		else
			m->failed++;
	}
	rc = 0;
out:
	free(paths);
	free(st);
	free(idx);
	return rc;
}

static void
import_usage(void)
{
	fprintf(stderr, "usage: xdsctl image import --patient BSN --study "
	    "STUDYUID [--community HCID]\n");
}

static void
import_summary(const struct imp *m, const char *study)
{
	size_t i;

	if (m->ctl->json) {
		printf("{\"study\":\"%s\",\"manifest\":\"%s\",\"entry_uuid\":"
		    "\"%s\",\"pacs\":\"%s\",\"referenced\":%zu,\"retrieved\":"
		    "%zu,\"stored\":%zu,\"failed\":%zu,\"instances\":[", study,
		    m->unique_id, m->entry_uuid, m->ctl->conf.dicom_pacs,
		    m->nrefs, m->retrieved, m->stored, m->failed);
		for (i = 0; i < m->nrefs; i++)
			printf("%s{\"series\":\"%s\",\"sop\":\"%s\",\"status\":"
			    "%d}", i ? "," : "", m->refs[i].series,
			    m->refs[i].sop, m->refs[i].status);
		printf("]}\n");
		return;
	}
	printf("%-12s %s\n%-12s %s\n%-12s %s\n", "STUDY", study, "MANIFEST",
	    m->unique_id, "PACS", m->ctl->conf.dicom_pacs);
	printf("%-12s %zu\n%-12s %zu\n%-12s %zu\n%-12s %zu\n", "REFERENCED",
	    m->nrefs, "RETRIEVED", m->retrieved, "STORED", m->stored,
	    "FAILED", m->failed + (m->nrefs - m->retrieved));
	for (i = 0; i < m->nrefs; i++)
		if (m->refs[i].status != 0)
			printf("  %s: %s\n", m->refs[i].sop,
			    m->refs[i].path[0] == '\0' ? "not retrieved" :
			    m->refs[i].status == -2 ? "context refused" :
			    m->refs[i].status == -1 ? "not sent" : "refused");
}

static int
ctl_image_import(struct ctl *ctl, int argc, char **argv)
{
	struct imp *m = NULL;
	const char *bsn = NULL, *study = NULL, *hcid = NULL, *tmp;
	char url[1024];
	size_t i;
	int rc = 2, r;

	for (i = 0; i < (size_t)argc; i += 2) {
		if (i + 1 >= (size_t)argc) {
			import_usage();
			return 2;
		}
		if (strcmp(argv[i], "--patient") == 0)
			bsn = argv[i + 1];
		else if (strcmp(argv[i], "--study") == 0)
			study = argv[i + 1];
		else if (strcmp(argv[i], "--community") == 0)
			hcid = argv[i + 1];
		else {
			import_usage();
			return 2;
		}
	}
	if (bsn == NULL || study == NULL) {
		import_usage();
		return 2;
	}
	if (hcid != NULL && (strncmp(hcid, "urn:oid:", 8) != 0 ||
	    hl7_oid_valid(hcid + 8, strlen(hcid + 8), url, sizeof url) != 0)) {
		fprintf(stderr, "xdsctl: \"%.100s\" is not a home community "
		    "id (urn:oid:...)\n", hcid);
		return 2;
	}
	if (strlen(bsn) != 9 || hl7_bsn_valid(bsn, 9) != 0) {
		fprintf(stderr, "xdsctl: \"%.20s\" is not a valid BSN\n", bsn);
		return 2;
	}
	if (!dcmshim_uid_valid(study)) {
		fprintf(stderr, "xdsctl: \"%.80s\" is not a UID\n", study);
		return 2;
	}
	if (ctl->conf.dicom_pacs[0] == '\0') {
		fprintf(stderr, "xdsctl: dicom.pacs is not set (AE@host:port of "
		    "the PACS to store the study in)\n");
		return 2;
	}
	rc = 1;
	if ((m = calloc(1, sizeof *m)) == NULL) {
		fprintf(stderr, "xdsctl: out of memory\n");
		return 1;
	}
	m->ctl = ctl;
	m->hcid = hcid;
	dcmshim_log_init();
	/* DCMTK's W: lines (e.g. association details) are for -v only. */
	dcmshim_log_level(ctl->verbose ? DCMSHIM_LOG_WARN : DCMSHIM_LOG_ERROR);
	m->tty = isatty(STDERR_FILENO) && !ctl->json;
	if ((tmp = getenv("TMPDIR")) == NULL || tmp[0] == '\0')
		tmp = "/tmp";
	if (str_fmt(m->spool, sizeof m->spool, "%s/xdsctl-image.XXXXXX",
	    tmp) < 0 || mkdtemp(m->spool) == NULL) {
		fprintf(stderr, "xdsctl: spool directory in %s: %s\n", tmp,
		    strerror(errno));
		m->spool[0] = '\0';
		goto out;
	}
	if ((r = find_manifest(m, bsn, study)) != 0) {
		if (r == 1)
			fprintf(stderr, "xdsctl: no Approved manifest for study "
			    "%s of patient %s %s %s\n", study, bsn, hcid != NULL ?
			    "in community" : "at", hcid != NULL ? hcid :
			    ctl->url);
		goto out;
	}
	if (fetch_manifest(m) != 0)
		goto out;
	if (strcmp(m->kos.study_uid, study) != 0) {
		fprintf(stderr, "xdsctl: manifest %s is of study %s\n",
		    m->unique_id, m->kos.study_uid);
		goto out;
	}
	if (import_url(m, RAD69_PATH, url, sizeof url) != 0) {
		fprintf(stderr, "xdsctl: URL too long\n");
		goto out;
	}
	for (i = 0; i < m->nrefs; i += IMPORT_BATCH)
		if (fetch_instances(m, url, i, i + IMPORT_BATCH < m->nrefs ?
		    i + IMPORT_BATCH : m->nrefs) != 0)
			goto out;
	if (store_all(m) != 0)
		goto out;
	import_summary(m, study);
	rc = m->stored == m->nrefs ? 0 : 1;
out:
	for (i = 0; i < m->ncalls; i++)
		soap_call_free(&m->calls[i]);
	if (m->spool[0] != '\0' && rmdir(m->spool) != 0)
		log_warnx("spool %s: %s", m->spool, strerror(errno));
	free(m->refs);
	free(m);
	return rc;
}

int
ctl_image(struct ctl *ctl, int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "import") == 0)
		return ctl_image_import(ctl, argc - 1, argv + 1);
	import_usage();
	return 2;
}

/* ---- the instances of a manifest, for xdsctl xdm export ------------ */

int
ctl_study_fetch(struct ctl *ctl, const char *kos_path, const char *spool,
    struct imp **out)
{
	struct imp *m;
	char url[1024], err[512];
	size_t i;

	*out = NULL;
	if ((m = calloc(1, sizeof *m)) == NULL) {
		fprintf(stderr, "xdsctl: out of memory\n");
		return -1;
	}
	*out = m;
	m->ctl = ctl;
	if (str_lcpy(m->spool, spool, sizeof m->spool) >= sizeof m->spool) {
		fprintf(stderr, "xdsctl: %s: path too long\n", spool);
		return -1;
	}
	dcmshim_log_init();
	dcmshim_log_level(ctl->verbose ? DCMSHIM_LOG_WARN : DCMSHIM_LOG_ERROR);
	if (dcmshim_kos_read(kos_path, &m->kos, kos_ref, m, err, sizeof err) !=
	    0) {
		fprintf(stderr, "xdsctl: manifest: %s\n", err);
		return -1;
	}
	if (import_url(m, RAD69_PATH, url, sizeof url) != 0) {
		fprintf(stderr, "xdsctl: URL too long\n");
		return -1;
	}
	for (i = 0; i < m->nrefs; i += IMPORT_BATCH)
		if (fetch_instances(m, url, i, i + IMPORT_BATCH < m->nrefs ?
		    i + IMPORT_BATCH : m->nrefs) != 0)
			return -1;
	if (m->retrieved != m->nrefs) {
		fprintf(stderr, "xdsctl: RAD-69: %zu of the manifest's %zu "
		    "instances retrieved\n", m->retrieved, m->nrefs);
		return -1;
	}
	return 0;
}

size_t
ctl_study_count(const struct imp *m)
{
	return m->nrefs;
}

const char *
ctl_study_path(const struct imp *m, size_t i)
{
	return m->refs[i].path;
}

void
ctl_study_free(struct imp *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->ncalls; i++)
		soap_call_free(&m->calls[i]);
	free(m->refs);
	free(m);
}
