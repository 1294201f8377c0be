/*
 * push_int.h: what the files of push/ share (push.h draws their graph).
 */
#ifndef XDS_PUSH_INT_H
#define XDS_PUSH_INT_H

#include <pthread.h>

#include "conf.h"
#include "dcmshim.h"
#include "push.h"
#include "push_db.h"

struct bridge_db;
struct bridge_receive;
struct bridge_stage;
struct directory;
struct push_watch;

struct push {
	struct conf		 conf;
	struct directory	*dir;
	struct push_db		*db;
	struct bridge_db	*bdb;		/* the bridge's dicom.db */
	/* the sender */
	pthread_t		 send_thread;
	int			 send_running;
	pthread_mutex_t		 mu;
	int			 stopping;	/* under mu */
	struct push_watch	*watch;		/* wakes the sender */
	/* the listener (push_recv.c) */
	struct bridge_receive	*rcv;
	struct bridge_stage	*stage;		/* durable at the commitment */
	struct dcmshim_scp	*scp;
	pthread_t		 scp_thread;
	int			 scp_running;
	struct ratelimit	*refusal_records;	/* per address, reason */
	/* counters for /metrics (atomic) */
	unsigned long long	 refused[DCMSHIM_REFUSED_N];
	unsigned long long	 studies_in;	/* commitments reported */
	unsigned long long	 instances_in;	/* of them, committed */
	unsigned long long	 instances_out;	/* committed by receivers */
	unsigned long long	 studies_complete; /* received, all committed */
	unsigned long long	 reports_in;	/* on push.listen, applied */
	unsigned long long	 reports_refused;
};

/* push_send.c: one attempt of job j (state sending): its outcome is in
 * push.db when it returns. */
void	push_send_job(struct push *p, const struct push_job *j);
/* push_send.c: a job for each routed study that became complete
 * (push.route, bridge_db_routes_due). */
void	push_send_routes(struct push *p);

/* push_report.c: a storage commitment report of a request of ours on
 * push.listen (dcmshim_report_fn; arg the push). */
int	push_report(void *arg, const struct dcmshim_commit_report *r);

/* push_recv.c: the listener on push.listen, or nothing when unset. */
int	push_recv_start(struct push *p, char *err, size_t errlen);
void	push_recv_stop(struct push *p);
int	push_recv_port(const struct push *p);

#endif /* XDS_PUSH_INT_H */
