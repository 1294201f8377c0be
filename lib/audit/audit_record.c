/*
 * audit_record.c: an access log record read back into its transaction
 * (audit_int.h), for the ATNA sender: the fields audit.c writes, by name.
 */
#include "config.h"

#include <string.h>

#include <jansson.h>

#include "audit_int.h"
#include "status.h"
#include "str.h"
#include "xact.h"

static void
get(json_t *o, const char *key, char *out, size_t outsz)
{
	const char *v = json_string_value(json_object_get(o, key));

	str_lcpy(out, v != NULL ? v : "", outsz);
}

int
audit_record_parse(const char *line, size_t len, struct xact *x,
    char *when, size_t whenlen)
{
	json_t *o;
	const char *out;
	int rc = XDS_EFORMAT;

	memset(x, 0, sizeof *x);
	if ((o = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return XDS_EFORMAT;
	if (!json_is_object(o) || json_string_value(json_object_get(o,
	    "time")) == NULL || json_string_value(json_object_get(o,
	    "event")) == NULL)
		goto out;
	get(o, "time", when, whenlen);
	get(o, "event", x->txn, sizeof x->txn);
	get(o, "action", x->action, sizeof x->action);
	get(o, "endpoint", x->endpoint, sizeof x->endpoint);
	get(o, "user", x->peer, sizeof x->peer);
	get(o, "requester", x->user, sizeof x->user);
	get(o, "address", x->peer_addr, sizeof x->peer_addr);
	get(o, "patient", x->patient, sizeof x->patient);
	get(o, "object", x->object, sizeof x->object);
	get(o, "errors", x->errors, sizeof x->errors);
	get(o, "reason", x->reason, sizeof x->reason);
	get(o, "message_id", x->message_id, sizeof x->message_id);
	get(o, "organisation", x->org, sizeof x->org);
	get(o, "community", x->community, sizeof x->community);
	out = json_string_value(json_object_get(o, "direction"));
	x->outbound = out != NULL && strcmp(out, "out") == 0;
	x->http_status = (int)json_integer_value(json_object_get(o,
	    "http_status"));
	out = json_string_value(json_object_get(o, "outcome"));
	x->outcome = out == NULL ? XACT_FAULT :
	    strcmp(out, "success") == 0 ? XACT_SUCCESS :
	    strcmp(out, "partial") == 0 ? XACT_PARTIAL :
	    strcmp(out, "failure") == 0 ? XACT_FAILURE : XACT_FAULT;
	x->ended = 1;
	rc = XDS_OK;
out:
	json_decref(o);
	return rc;
}
