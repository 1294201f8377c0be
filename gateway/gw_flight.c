/*
 * gw_flight.c: identical concurrent queries at the initiating gateway
 * share one fan-out.  A request's key is who asks (the consumer's
 * identity) and what (the AdhocQueryRequest as XML): the first request
 * of a key runs the fan-out (the leader), the others that arrive while
 * it runs wait for its answer and get a copy.  A landed flight is taken
 * off the table at once, so a later request asks again: nothing is
 * cached.  A consumer's identity is part of the key because what a
 * community releases may depend on who asks.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ebrim.h"
#include "gw_int.h"
#include "status.h"

struct gw_flight {
	char			*key;
	size_t			 keylen;
	int			 refs;
	int			 landed;
	int			 rc;
	const char		*status;	/* vocab.h's */
	struct rim_errors	 errs;
	struct buf		 body;
	struct gw_flight	*next;
};

struct gw_flights {
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct gw_flight	*head;	/* flights in the air */
};

struct gw_flights *
gw_flights_new(void)
{
	struct gw_flights *t;

	if ((t = calloc(1, sizeof *t)) == NULL)
		return NULL;
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	return t;
}

void
gw_flights_free(struct gw_flights *t)
{
	if (t == NULL)
		return;
	pthread_cond_destroy(&t->cv);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

static void
flight_free(struct gw_flight *f)
{
	free(f->key);
	rim_errors_free(&f->errs);
	buf_free(&f->body);
	free(f);
}

struct gw_flight *
gw_flight_join(struct gw_flights *t, const char *key, size_t keylen,
    size_t max_body, int *leader)
{
	struct gw_flight *f;

	*leader = 0;
	pthread_mutex_lock(&t->mu);
	for (f = t->head; f != NULL; f = f->next)
		if (f->keylen == keylen && memcmp(f->key, key, keylen) == 0) {
			f->refs++;
			goto out;
		}
	if ((f = calloc(1, sizeof *f)) == NULL ||
	    (f->key = malloc(keylen)) == NULL) {
		free(f);
		f = NULL;
		goto out;
	}
	memcpy(f->key, key, keylen);
	f->keylen = keylen;
	f->refs = 1;
	rim_errors_init(&f->errs);
	buf_init(&f->body, max_body);
	f->next = t->head;
	t->head = f;
	*leader = 1;
out:
	pthread_mutex_unlock(&t->mu);
	return f;
}

void
gw_flight_land(struct gw_flights *t, struct gw_flight *f, int rc,
    const char *status, const struct rim_errors *errs,
    const struct buf *body)
{
	struct gw_flight **pp;
	size_t i;

	pthread_mutex_lock(&t->mu);
	for (pp = &t->head; *pp != NULL; pp = &(*pp)->next)
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	f->rc = rc;
	f->status = status;
	if (rc == XDS_OK) {
		for (i = 0; i < errs->n && f->rc == XDS_OK; i++)
			if (rim_errors_add(&f->errs, errs->v[i].warning,
			    errs->v[i].code, errs->v[i].location, "%s",
			    errs->v[i].context != NULL ? errs->v[i].context :
			    "") == XDS_ENOMEM)
				f->rc = XDS_ENOMEM;
		if (f->rc == XDS_OK && buf_add(&f->body, body->b_data,
		    body->b_len) != XDS_OK)
			f->rc = XDS_ENOMEM;
	}
	f->landed = 1;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
}

int
gw_flight_wait(struct gw_flights *t, struct gw_flight *f,
    const char **status, struct rim_errors *errs, struct buf *body)
{
	size_t i;
	int rc;

	pthread_mutex_lock(&t->mu);
	while (!f->landed)
		pthread_cond_wait(&t->cv, &t->mu);
	pthread_mutex_unlock(&t->mu);
	/* landed: immutable from now on */
	if ((rc = f->rc) != XDS_OK)
		return rc;
	*status = f->status;
	for (i = 0; i < f->errs.n; i++)
		if (rim_errors_add(errs, f->errs.v[i].warning, f->errs.v[i].code,
		    f->errs.v[i].location, "%s", f->errs.v[i].context != NULL ?
		    f->errs.v[i].context : "") == XDS_ENOMEM)
			return XDS_ENOMEM;
	return buf_add(body, f->body.b_data, f->body.b_len);
}

void
gw_flight_leave(struct gw_flights *t, struct gw_flight *f)
{
	int last;

	pthread_mutex_lock(&t->mu);
	last = --f->refs == 0;
	pthread_mutex_unlock(&t->mu);
	if (last)
		flight_free(f);
}
