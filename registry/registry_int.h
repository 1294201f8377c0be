/*
 * registry_int.h: shared between the files of the registry module
 * (registry.c, submit.c, update.c, delete.c, feed.c); not a public
 * interface.
 */
#ifndef XDS_REGISTRY_INT_H
#define XDS_REGISTRY_INT_H

#include <stddef.h>

#include "actor.h"
#include "registry.h"

struct store;
struct store_conn;
struct rim_list;
struct rim_errors;
struct xact;

#define REG_RESPONSE_MAX	(1024 * 1024)	/* RegistryResponse text */

struct registry {
	struct store		*store;
	int			 feed;		/* patient_ids = feed */
	char			 state_dir[512];	/* its space guarded */
	long long		 min_free;	/* node.min_free_space */
	long long		 max_results;
	struct soap_route	 routes[4];
	struct soap_endpoint	 ep;
	registry_patient_fn	 on_new_patient;	/* after the commit */
	void			*on_new_patient_arg;
};

/* Route handlers (actor.h actor_fn). */
int	reg_iti42(void *, struct xact *, const struct soap_request *,
	    struct soap_reply *);
int	reg_iti57(void *, struct xact *, const struct soap_request *,
	    struct soap_reply *);
int	reg_iti62(void *, struct xact *, const struct soap_request *,
	    struct soap_reply *);

/*
 * Register the parsed submission l (ITI-42 after parsing; with mu, the
 * Metadata Update of ITI-57): validate, then store it in one
 * transaction.  Returns 0 when stored, 1 when refused (errs holds every
 * reason), -1 on an internal error (err).  l is rewritten (symbolic ids
 * replaced by urn:uuid).
 */
int	submit_list(struct registry *, struct rim_list *l, int mu,
	    struct rim_errors *errs, struct xact *x, char *err, size_t errlen);

/*
 * Remove the objects with these entryUUIDs (ITI-62, R19).  Same
 * returns as submit_list.
 */
int	delete_refs(struct registry *, const char *const *ids, size_t nids,
	    struct rim_errors *errs, char *err, size_t errlen);

/*
 * The RegistryResponse of an ITI-42, ITI-57 or ITI-62 (txn) whose work returned
 * rc: 0 done (Success), 1 refused with the reasons in errs, < 0 a failure
 * of the registry itself (err; logged, it travels in the answer as
 * XDSRegistryBusy when rc is XDS_EBUSY, else XDSRegistryError, in place
 * of errs).  The error codes go on x.  XDS_OK,
 * or XDS_ENOMEM (the handler faults).
 */
int	reg_respond(struct xact *x, struct soap_reply *reply, int rc,
	    struct rim_errors *errs, const char *txn, const char *err);

/*
 * The verdict on one attempt's checks (terr, inside a store transaction):
 * XDS_EIO when a finding was lost for memory (the transaction is rolled
 * back and the caller answers a registry error), 1 when there are
 * errors (refused), 0 when the attempt may go on.
 */
int	reg_verdict(const struct rim_errors *terr);

/* Make the patient cx (canonical) known, added at added (ISO 8601 UTC),
 * inside the caller's write transaction (xdsctl patient add, ITI-8):
 * 0 or store_rc's status.  Known already: nothing changes. */
int	reg_patient_add_txn(struct store_conn *, const char *cx,
	    const char *added);

/* The current time as a UTC DTM YYYYMMDDhhmmss. */
void	reg_now_dtm(char out[15]);

#endif
