/*
 * registry.h: the XDS.b Document Registry actor (/xds/registry).
 * ITI-42 Register Document Set-b, ITI-18 Registry Stored Query,
 * ITI-62 Delete Document Set, ITI-57 Update Document Set (the Metadata
 * Update option); state in node.state_dir/registry.db.
 */
#ifndef XDS_REGISTRY_H
#define XDS_REGISTRY_H

#include <stddef.h>

struct conf;
struct registry;
struct soap_endpoint;

/* Open (creating or migrating) state_dir/registry.db. */
int	registry_open(const struct conf *, struct registry **, char *err,
	    size_t errlen);
void	registry_close(struct registry *);
/* The endpoint to mount: path "/xds/registry" and its route table. */
const struct soap_endpoint *registry_endpoint(struct registry *);

/*
 * fn is called with the canonical CX of a patient after a submission
 * that gave the registry the first document entry of that patient has
 * committed, before the submission is answered; in the submitting
 * request's thread, so it must not block for long.  NULL: nobody.
 * Set before the endpoint is mounted.
 */
typedef void (*registry_patient_fn)(void *arg, const char *cx);
void	registry_on_new_patient(struct registry *, registry_patient_fn fn,
	    void *arg);

/* Every patient that has a document entry (its canonical CX), each once:
 * what registry_on_new_patient reported over the registry's life, asked
 * again by whoever must not have missed one (the Mitz outbox at start).
 * One read transaction; cb returns 0 to go on.  0, or -1 (logged). */
int	registry_each_patient(struct registry *,
	    int (*cb)(void *arg, const char *cx), void *arg);

/* Patients known when registry.patient_ids = feed (xdsctl patient add). */
int	registry_patient_add(struct registry *, const char *cx, char *err,
	    size_t errlen);
int	registry_patient_list(struct registry *,
	    int (*cb)(void *arg, const char *cx, const char *added), void *arg);

#endif
