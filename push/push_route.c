/*
 * push_route.c: the jobs of routed studies (push.route).  A study a PACS
 * sends to the bridge under a routed called AE title gets one job to the
 * route's destination once it is complete.  The sender makes them at each
 * wake (push_send_routes); xdsctl dicom publish, which makes a study
 * complete by hand, makes them too, so that its write to push.db wakes the
 * sender at once instead of at its next poll.
 */
#include "config.h"

#include "bridge_db.h"
#include "conf.h"
#include "dcmshim.h"
#include "push_db.h"
#include "push_route.h"
#include "str.h"

#define ROUTES_BATCH	64

struct routes {
	char	study[ROUTES_BATCH][DCMSHIM_UI_SZ];
	char	ae[ROUTES_BATCH][17];
	size_t	n;
};

static int
route_one(void *arg, const char *study, const char *ae)
{
	struct routes *r = arg;

	str_lcpy(r->study[r->n], study, sizeof r->study[r->n]);
	str_lcpy(r->ae[r->n], ae, sizeof r->ae[r->n]);
	return ++r->n == ROUTES_BATCH;
}

void
push_route_jobs(struct push_db *db, struct bridge_db *bdb, const char *routes,
    long long now, long long quiet, int settle, push_route_say_fn *say,
    void *arg)
{
	struct routes r;
	char dest[PUSH_DEST_SZ], origin[32], e[256], msg[512];
	long long id;
	size_t i;

	r.n = 0;
	if (bridge_db_routes_due(bdb, now, quiet, route_one, &r, e,
	    sizeof e) != 0) {
		str_fmt(msg, sizeof msg, "routes: %s", e);
		say(arg, 1, msg);
		return;
	}
	for (i = 0; i < r.n; i++) {
		str_fmt(origin, sizeof origin, "route:%s", r.ae[i]);
		if (conf_route_find(routes, r.ae[i], dest, sizeof dest) != 1) {
			if (!settle)
				continue;
			str_fmt(msg, sizeof msg, "study %s came for %s, which "
			    "push.route no longer names: not pushed",
			    r.study[i], r.ae[i]);
			say(arg, 1, msg);
			id = 0;
		} else if (push_db_add(db, dest, r.study[i], origin, now, &id,
		    e, sizeof e) != XDS_OK) {
			str_fmt(msg, sizeof msg, "route %s: %s", r.ae[i], e);
			say(arg, 1, msg);
			continue;
		} else {
			str_fmt(msg, sizeof msg, "study %s complete, sent to "
			    "%s: job %lld to %s", r.study[i], r.ae[i], id, dest);
			say(arg, 0, msg);
		}
		/* A crash before this line finds the same job next time
		 * (push_db_add with its origin): the study is pushed once. */
		if (bridge_db_route_job(bdb, r.study[i], r.ae[i], id, e,
		    sizeof e) != 0)
			say(arg, 1, e);
	}
}
