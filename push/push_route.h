/*
 * push_route.h: the jobs of routed studies (push.route), made by the
 * push sender and by xdsctl dicom publish.
 */
#ifndef XDS_PUSH_ROUTE_H
#define XDS_PUSH_ROUTE_H

struct bridge_db;
struct push_db;

/* What push_route_jobs did: a job made (warn 0) or why a route was not
 * (warn 1), as a sentence. */
typedef void	push_route_say_fn(void *arg, int warn, const char *msg);

/*
 * A job in db for each study of bdb sent under a routed called AE title
 * that is complete (bridge_db_routes_due: ready, published, or quiet for
 * quiet seconds at now) and has none yet, to the destination routes
 * (push.route) gives its AE title; the job recorded in bdb.  A job is
 * made once whoever makes it (push_db_add with the origin "route:AE").
 * A title routes no longer names is recorded as pushed to nowhere when
 * settle is set (the sender), left alone when not (xdsctl, whose
 * configuration may not be the node's).
 */
void	push_route_jobs(struct push_db *db, struct bridge_db *bdb,
	    const char *routes, long long now, long long quiet, int settle,
	    push_route_say_fn *say, void *arg);

#endif /* XDS_PUSH_ROUTE_H */
