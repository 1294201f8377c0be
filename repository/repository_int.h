/*
 * repository_int.h: shared by the files of the repository actor.
 */
#ifndef XDS_REPOSITORY_INT_H
#define XDS_REPOSITORY_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>

#include "actor.h"
#include "blobstore.h"
#include "registry_client.h"
#include "repo_db.h"

#define REPO_MAX_DOCUMENTS	1000	/* xdsb:Document / DocumentRequest per message */

struct repository {
	char			 unique_id[128];
	char			 home[512];	/* node.home_community_id */
	char			 state_dir[512];	/* its space guarded */
	long long		 min_free;	/* node.min_free_space */
	off_t			 max_doc;
	off_t			 verify_first_max;	/* checked before
							   the answer */
	/* for GET /metrics: documents found damaged (size or SHA-256)
	 * or missing by ITI-43 before its answer */
	atomic_ullong		 damaged, missing;
	struct blobstore	*bs;
	struct repo_db		*db;
	struct registry_client	*rc;
	struct soap_route	 routes[3];
	struct soap_endpoint	 ep;
	/* the periodic reconciliation (repository.c) */
	long long		 interval;	/* seconds; 0: none */
	pthread_mutex_t		 mu;		/* stop, passes */
	pthread_cond_t		 cv;		/* CLOCK_MONOTONIC */
	pthread_t		 thr;
	int			 sync_init;	/* mu, cv initialised */
	int			 thr_on;
	int			 stop;
	unsigned long long	 passes;	/* periodic passes finished */
};

/* One xdsb:DocumentRequest (ITI-43, and ITI-86 whose RemoveDocumentsRequest
 * has the same type). */
#define REPO_DREQ_ID_MAX	256
struct repo_dreq {
	char	home[REPO_DREQ_ID_MAX];
	char	repo[REPO_DREQ_ID_MAX];
	char	uid[REPO_DREQ_ID_MAX];
};
/* Read n into q: 0, -1 when its children are not HomeCommunityId?,
 * RepositoryUniqueId, DocumentUniqueId in this order, -2 when a value is
 * too long. */
int	repo_dreq_read(xmlNode *n, struct repo_dreq *q);

int	repo_iti41(void *actor, struct xact *x, const struct soap_request *req,
	    struct soap_reply *reply);
int	repo_iti43(void *actor, struct xact *x, const struct soap_request *req,
	    struct soap_reply *reply);
int	repo_iti86(void *actor, struct xact *x,
	    const struct soap_request *req, struct soap_reply *reply);

#endif
