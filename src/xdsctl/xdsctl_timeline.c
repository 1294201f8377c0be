/*
 * xdsctl_timeline.c: `xdsctl timeline --patient BSN [--since DATE]
 * [--json]`: the patient's reports and imaging studies in every
 * community, from one ITI-18 FindDocuments at the node's initiating
 * gateway (which asks every community of the directory at once).
 *
 * One line per document, newest first: date (service start, else
 * creation), community (the directory's name for its home, else the
 * id), type (typeCode), title, and for a KOS manifest its modalities
 * (eventCodeList, DICOM codes) and study UID (referenceIdList); then a
 * line per community that did not answer, with why.  The image timeline
 * without a central index.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "directory.h"
#include "ebrim.h"
#include "gateway.h"
#include "hl7dt.h"
#include "soap.h"
#include "soap_peer.h"
#include "status.h"
#include "str.h"
#include "vocab.h"
#include "xdsctl.h"
#include "xml.h"

#define TL_MAX_ANSWER	((size_t)64 << 20)

struct tl_entry {
	char		 date[16];	/* DTM digits, "" unknown */
	const char	*home;
	char		 community[DIR_NAME_MAX];
	const char	*type;
	const char	*title;
	char		 modality[64];
	char		 study[72];
	const char	*mime;
	const char	*uid;
};

static void
tl_usage(void)
{
	fprintf(stderr, "usage: xdsctl timeline --patient BSN [--since "
	    "YYYY-MM-DD] [--json]\n");
}

/* DATE as YYYY[-MM[-DD]] or YYYYMMDD -> digits into out. */
static int
since_digits(const char *s, char *out, size_t outsz)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		if (*s == '-')
			continue;
		if (*s < '0' || *s > '9' || n + 1 >= outsz)
			return -1;
		out[n++] = *s;
	}
	out[n] = '\0';
	return n == 4 || n == 6 || n == 8 ? 0 : -1;
}

static const char *
class_name(const struct rim_object *o, const char *scheme)
{
	size_t i;

	for (i = 0; i < o->ncls; i++)
		if (strcmp(o->cls[i].scheme, scheme) == 0)
			return o->cls[i].name != NULL && o->cls[i].name[0] !=
			    '\0' ? o->cls[i].name : o->cls[i].noderep;
	return "";
}

/* The DICOM modality codes of the eventCodeList, "CT MR". */
static void
modalities(const struct rim_object *o, char *out, size_t outsz)
{
	const struct rim_slot *cs;
	size_t i;

	out[0] = '\0';
	for (i = 0; i < o->ncls; i++) {
		if (strcmp(o->cls[i].scheme, CS_DE_EVENTCODE) != 0 ||
		    (cs = rim_slot(o->cls[i].slots, o->cls[i].nslots,
		    SLOT_CODINGSCHEME)) == NULL || cs->nvalues == 0 ||
		    strcmp(cs->values[0], CSCHEME_DCM) != 0)
			continue;
		if (out[0] != '\0')
			str_lcat(out, " ", outsz);
		str_lcat(out, o->cls[i].noderep, outsz);
	}
}

static void
study_uid(const struct rim_object *o, char *out, size_t outsz)
{
	const struct rim_slot *s;
	struct hl7_cx cx;
	char err[128];
	size_t i;

	out[0] = '\0';
	if ((s = rim_slot(o->slots, o->nslots, SLOT_REFERENCEIDLIST)) == NULL)
		return;
	for (i = 0; i < s->nvalues; i++)
		if (hl7_cxi_parse(s->values[i], strlen(s->values[i]), &cx, err,
		    sizeof err) == 0 && strcmp(cx.id_type, REFID_STUDYUID) == 0)
			str_lcpy(out, cx.id, outsz);
}

/* The community's name: the directory's, "this community", or its id. */
static void
community_name(struct ctl *ctl, struct directory *dir, const char *hcid,
    char *out, size_t outsz)
{
	struct dir_community c;
	char err[256];

	if (hcid == NULL)
		str_lcpy(out, "?", outsz);
	else if (strcmp(hcid, ctl->conf.node_home_community_id) == 0)
		str_lcpy(out, "this community", outsz);
	else if (dir != NULL && dir_by_hcid(dir, hcid, &c, err, sizeof err) ==
	    XDS_OK)
		str_lcpy(out, c.name, outsz);
	else
		str_lcpy(out, hcid, outsz);
}

static int
newest_first(const void *a, const void *b)
{
	const struct tl_entry *x = a, *y = b;

	return strcmp(y->date, x->date);
}

/* date "20241231..." -> "2024-12-31" (as much as there is). */
static void
print_date(const char *d)
{
	size_t n = strlen(d);

	if (n >= 8)
		printf("%.4s-%.2s-%.2s", d, d + 4, d + 6);
	else if (n >= 6)
		printf("%.4s-%.2s   ", d, d + 4);
	else
		printf("%-10s", n > 0 ? d : "?");
}

/* w, widened to s's length (a column is as wide as its longest value:
 * nothing is cut). */
static int
widen(int w, const char *s)
{
	size_t n = strlen(s);

	return n > (size_t)w && n < 1024 ? (int)n : w;
}

static void
print_table(const struct tl_entry *e, size_t n)
{
	size_t i;
	int wc = 9, wt = 4, wi = 5, wm = 8;

	for (i = 0; i < n; i++) {
		wc = widen(wc, e[i].community);
		wt = widen(wt, e[i].type);
		wi = widen(wi, e[i].title);
		wm = widen(wm, e[i].modality);
	}
	printf("%-10s  %-*s  %-*s  %-*s  %-*s  %s\n", "DATE", wc, "COMMUNITY",
	    wt, "TYPE", wi, "TITLE", wm, "MODALITY", "STUDY");
	for (i = 0; i < n; i++) {
		print_date(e[i].date);
		printf("  %-*s  %-*s  %-*s  %-*s  %s\n", wc, e[i].community,
		    wt, e[i].type, wi, e[i].title, wm, e[i].modality,
		    e[i].study);
	}
}

static void
json_field(const char *name, const char *v, int comma)
{
	printf("%s\"%s\": ", comma ? ", " : "", name);
	ctl_json_str(v != NULL ? v : "");
}

static void
print_json(const struct tl_entry *e, size_t n, xmlNode *resp)
{
	xmlNode *list = xml_find(resp, NS_RS, "RegistryErrorList"), *x;
	size_t i;
	int first = 1;

	printf("{\"status\": ");
	ctl_json_str(ctl_short_status(xml_attr(resp, "status")));
	printf(", \"documents\": [");
	for (i = 0; i < n; i++) {
		printf("%s\n  {", i ? "," : "");
		json_field("date", e[i].date, 0);
		json_field("home", e[i].home, 1);
		json_field("community", e[i].community, 1);
		json_field("type", e[i].type, 1);
		json_field("title", e[i].title, 1);
		json_field("mimeType", e[i].mime, 1);
		json_field("uniqueId", e[i].uid, 1);
		json_field("modality", e[i].modality, 1);
		json_field("study", e[i].study, 1);
		printf("}");
	}
	printf("],\n \"errors\": [");
	for (x = list != NULL ? xml_first_elem(list) : NULL; x != NULL;
	    x = xml_next_elem(x)) {
		printf("%s\n  {", first ? "" : ",");
		json_field("code", xml_attr(x, "errorCode"), 0);
		json_field("location", xml_attr(x, "location"), 1);
		json_field("context", xml_attr(x, "codeContext"), 1);
		printf("}");
		first = 0;
	}
	printf("]}\n");
}

/* The lines for errors of the answer: a community that did not answer,
 * or what else went wrong where. */
static void
print_errors(struct ctl *ctl, struct directory *dir, xmlNode *resp)
{
	xmlNode *list = xml_find(resp, NS_RS, "RegistryErrorList"), *x;
	const char *code, *loc, *ctx;
	char name[DIR_NAME_MAX];

	for (x = list != NULL ? xml_first_elem(list) : NULL; x != NULL;
	    x = xml_next_elem(x)) {
		code = xml_attr(x, "errorCode");
		loc = xml_attr(x, "location");
		ctx = xml_attr(x, "codeContext");
		community_name(ctl, dir, loc, name, sizeof name);
		if (code != NULL && strcmp(code, ERR_UNAVAILABLE_COMMUNITY) == 0)
			printf("no answer from %s (%s): %s\n", name,
			    loc != NULL ? loc : "?", ctx != NULL ? ctx : "");
		else
			printf("%s: %s: %s\n", name, code != NULL ? code : "?",
			    ctx != NULL ? ctx : "");
	}
}

/* The answer's DocumentEntries (on or after since) into *out. */
static int
entries(struct ctl *ctl, struct directory *dir, const struct rim_list *l,
    const char *since, struct tl_entry **out, size_t *n)
{
	struct tl_entry *e;
	const struct rim_extid *uid;
	const char *d;
	size_t i;

	*n = 0;
	if ((*out = e = calloc(l->nobj + 1, sizeof *e)) == NULL)
		return -1;
	for (i = 0; i < l->nobj; i++) {
		const struct rim_object *o = &l->obj[i];
		struct tl_entry *t = &e[*n];

		if (o->kind != RIM_EXTRINSIC_OBJECT)
			continue;
		if ((d = rim_slot1(o, SLOT_SERVICESTART)) == NULL)
			d = rim_slot1(o, SLOT_CREATIONTIME);
		str_lcpy(t->date, d != NULL ? d : "", sizeof t->date);
		if (since[0] != '\0' && strncmp(t->date, since,
		    strlen(since)) < 0)
			continue;
		t->home = o->home;
		community_name(ctl, dir, o->home, t->community,
		    sizeof t->community);
		t->type = class_name(o, CS_DE_TYPECODE);
		t->title = o->name != NULL ? o->name : "";
		t->mime = o->mime_type != NULL ? o->mime_type : "";
		t->uid = (uid = rim_extid(o, EI_DE_UNIQUEID)) != NULL ?
		    uid->value : "";
		modalities(o, t->modality, sizeof t->modality);
		study_uid(o, t->study, sizeof t->study);
		(*n)++;
	}
	qsort(e, *n, sizeof *e, newest_first);
	return 0;
}

/* --url's node, path /xca/initiating (a URL that names it is kept). */
static int
gateway_url(const struct ctl *ctl, char *out, size_t outsz)
{
	size_t n = strlen(GATEWAY_IG_PATH), len = strlen(ctl->url);

	if (len >= n && strcmp(ctl->url + len - n, GATEWAY_IG_PATH) == 0)
		return str_lcpy(out, ctl->url, outsz) >= outsz ? -1 : 0;
	return ctl_node_url(ctl->url, GATEWAY_IG_PATH, out, outsz);
}

/* Run the query; the answer in c.  0, or -1 (printed). */
static int
ask(struct ctl *ctl, const char *cx, struct soap_call *c)
{
	struct buf q;
	char url[1024];
	int rc = -1;

	buf_init(&q, 64 * 1024);
	if (ctl_find_documents(&q, cx, NULL) != 0 || gateway_url(ctl, url,
	    sizeof url) != 0) {
		fprintf(stderr, "xdsctl: URL or request too long\n");
		goto out;
	}
	c->req.body_xml = buf_str(&q);
	c->req.bounds.timeout = CTL_TIMEOUT;
	c->req.bounds.max_answer = TL_MAX_ANSWER;
	if (ctl_call(ctl, url, c) != 0)
		goto out;
	if (!xml_is(c->ans.body, NS_QUERY, "AdhocQueryResponse")) {
		fprintf(stderr, "xdsctl: %s answered without an "
		    "AdhocQueryResponse\n", url);
		goto out;
	}
	rc = 0;
out:
	c->req.body_xml = NULL;
	buf_free(&q);
	return rc;
}

int
ctl_timeline(struct ctl *ctl, int argc, char **argv)
{
	struct soap_call c;
	struct rim_list l;
	struct directory *dir = NULL;
	struct tl_entry *e = NULL;
	const char *bsn = NULL;
	char cx[512], since[16] = "", err[512];
	xmlNode *list;
	size_t n = 0;
	int i, rc = 1;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			ctl->json = 1;
		else if (strcmp(argv[i], "--patient") == 0 && i + 1 < argc)
			bsn = argv[++i];
		else if (strcmp(argv[i], "--since") == 0 && i + 1 < argc) {
			if (since_digits(argv[++i], since, sizeof since) != 0) {
				fprintf(stderr, "xdsctl: --since %.40s: not "
				    "YYYY-MM-DD\n", argv[i]);
				return 2;
			}
		} else {
			tl_usage();
			return 2;
		}
	}
	if (bsn == NULL) {
		tl_usage();
		return 2;
	}
	if (ctl_patient_cx(bsn, cx, sizeof cx) != 0)
		return 2;
	if (dir_open(&ctl->conf, &dir, err, sizeof err) != XDS_OK)
		fprintf(stderr, "xdsctl: directory: %s (communities are shown "
		    "by id)\n", err);
	rim_list_init(&l);
	soap_call_init(&c, ACT_ITI18, PACK_SIMPLE);
	if (ask(ctl, cx, &c) != 0)
		goto out;
	list = xml_find(c.ans.body, NS_RIM, "RegistryObjectList");
	if (list != NULL && rim_parse_list(list, &l, err, sizeof err) !=
	    XDS_OK) {
		fprintf(stderr, "xdsctl: cannot read the answer: %s\n", err);
		goto out;
	}
	if (entries(ctl, dir, &l, since, &e, &n) != 0) {
		fprintf(stderr, "xdsctl: out of memory\n");
		goto out;
	}
	if (ctl->json)
		print_json(e, n, c.ans.body);
	else {
		print_table(e, n);
		print_errors(ctl, dir, c.ans.body);
	}
	rc = strcmp(ctl_short_status(xml_attr(c.ans.body, "status")),
	    "Failure") == 0 ? 1 : 0;
out:
	free(e);
	rim_list_free(&l);
	soap_call_free(&c);
	dir_close(dir);
	return rc;
}
