/*
 * xdsctl_mitz.c: `xdsctl mitz subscriptions`: the node's subscriptions of
 * patients at Mitz (state_dir/mitz.db, gateway/mitz_outbox.h), read-only,
 * on a stopped node or beside a running one.
 *
 *	xdsctl mitz subscriptions [state=pending|done|failed]
 *		one line per patient: BSN, state, attempts, when it was
 *		queued, Mitz's id, the last attempt's outcome
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mitz_outbox.h"
#include "status.h"
#include "xdsctl.h"

struct mitz_out {
	int	json;
	int	first;
	size_t	n;
};

static void
mitz_usage(void)
{
	fprintf(stderr, "usage: xdsctl mitz subscriptions "
	    "[state=pending|done|failed]\n");
}

static int
mitz_row(void *arg, const struct mitz_outbox_row *r)
{
	struct mitz_out *o = arg;
	char when[32];
	time_t t = (time_t)r->added;
	struct tm tm;

	o->n++;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		when[0] = '\0';
	if (!o->json) {
		printf("%-9s %-7s %3lld %-20s %-36s %s\n", r->bsn, r->state,
		    r->attempts, when, r->mitz_id[0] != '\0' ? r->mitz_id : "-",
		    r->reason);
		return XDS_OK;
	}
	printf("%s\n  {\"bsn\":", o->first ? "" : ",");
	ctl_json_str(r->bsn);
	printf(",\"state\":");
	ctl_json_str(r->state);
	printf(",\"attempts\":%lld,\"added\":", r->attempts);
	ctl_json_str(when);
	printf(",\"mitz_id\":");
	ctl_json_str(r->mitz_id);
	printf(",\"reason\":");
	ctl_json_str(r->reason);
	printf("}");
	o->first = 0;
	return XDS_OK;
}

int
ctl_mitz(struct ctl *ctl, int argc, char **argv)
{
	struct mitz_out o = { ctl->json, 1, 0 };
	const char *state = NULL;
	char err[512];
	int rc;

	if (argc < 1 || argc > 2 || strcmp(argv[0], "subscriptions") != 0) {
		mitz_usage();
		return 2;
	}
	if (argc == 2) {
		if (strncmp(argv[1], "state=", 6) != 0 ||
		    (strcmp(argv[1] + 6, "pending") != 0 &&
		    strcmp(argv[1] + 6, "done") != 0 &&
		    strcmp(argv[1] + 6, "failed") != 0)) {
			mitz_usage();
			return 2;
		}
		state = argv[1] + 6;
	}
	if (o.json)
		printf("{\"subscriptions\":[");
	rc = mitz_outbox_each(ctl->conf.node_state_dir, state, mitz_row, &o,
	    err, sizeof err);
	if (o.json)
		printf("%s]}\n", o.first ? "" : "\n");
	if (rc != XDS_OK) {
		fprintf(stderr, "xdsctl: mitz subscriptions: %s\n", err);
		return 1;
	}
	return 0;
}
