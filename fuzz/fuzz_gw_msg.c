/*
 * fuzz_gw_msg.c: bytes -> what the XCA gateways read of messages
 * (gateway/gw_msg.h).  The input is parsed as XML (the safe parser);
 * its root element is read as a consumer's AdhocQueryRequest, as a
 * community's AdhocQueryResponse (objects counted, homes set, errors
 * located and taken, each object's patient) and as a retrieve request
 * (DocumentRequests, a subset of every other one); the bytes themselves
 * are read as a slot's value list.  Nothing may crash or leak, and what
 * is read stays within its bounds.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ebrim.h"
#include "gw_msg.h"
#include "status.h"
#include "vocab.h"
#include "xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define HOME	"urn:oid:1.2.3"

static void
as_query(xmlNode *root)
{
	struct gw_query q;
	char err[256];
	size_t i;

	if (gw_query_read(root, &q, err, sizeof err) != XDS_OK)
		return;
	if (q.ntargets > GW_MAX_TARGETS)
		abort();
	for (i = 0; i < q.ntargets; i++)
		if (memchr(q.targets[i], '\0', DIR_HCID_MAX) == NULL)
			abort();
	gw_query_drop_slot(&q, SQP_TARGET_COMMUNITIES);
}

static void
as_response(xmlNode *root)
{
	struct rim_errors errs;
	struct buf b;
	xmlNode *o;
	char cx[GW_CX_MAX];
	size_t n = gw_count_objects(root);

	(void)gw_status(root);
	if (gw_stamp_home(root, HOME) != XDS_OK ||
	    gw_locate_errors(root, HOME) != XDS_OK)
		return;
	rim_errors_init(&errs);
	(void)gw_take_errors(root, &errs, HOME);
	rim_errors_free(&errs);
	buf_init(&b, 1 << 20);
	for (o = xml_first_elem(gw_objects(root)); o != NULL && n-- > 0;
	    o = xml_next_elem(o)) {
		if (gw_object_patient(o, cx, sizeof cx) == 1 &&
		    memchr(cx, '\0', sizeof cx) == NULL)
			abort();
		(void)xml_dump(o, &b);
	}
	buf_free(&b);
}

static void
as_retrieve(xmlNode *root)
{
	xmlNode **v;
	xmlDoc *sub;
	unsigned char *keep;
	size_t i, n;

	if (gw_doc_requests(root, &v, &n) != XDS_OK)
		return;
	free(v);
	if ((keep = calloc(n + 1, 1)) == NULL)
		return;
	for (i = 0; i < n; i += 2)
		keep[i] = 1;
	if ((sub = gw_request_subset(root, keep, n)) != NULL) {
		if (gw_doc_requests(xmlDocGetRootElement(sub), &v, &i) ==
		    XDS_OK) {
			if (i != (n + 1) / 2)
				abort();
			free(v);
		}
		xmlFreeDoc(sub);
	}
	free(keep);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char vals[8][DIR_HCID_MAX], *s, err[256];
	size_t n;
	xmlDoc *d;

	xml_init();
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (gw_slot_values(s, vals, 8, &n) == XDS_OK && n > 8)
		abort();
	free(s);
	if ((d = xml_parse((const char *)data, size, err, sizeof err)) ==
	    NULL)
		return 0;
	as_query(xmlDocGetRootElement(d));
	as_response(xmlDocGetRootElement(d));
	as_retrieve(xmlDocGetRootElement(d));
	xmlFreeDoc(d);
	return 0;
}
