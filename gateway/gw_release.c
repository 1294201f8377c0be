/*
 * gw_release.c: the studies shown in released ITI-38 answers
 * (gw_release.h): a ring of entries in insertion order, found through a
 * chained hash on the study UID.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "gw_msg.h"
#include "gw_release.h"
#include "str.h"
#include "vocab.h"

struct rel {
	char		 study[65];
	char		 patient[GW_CX_MAX];
	char		 klass[64];
	long long	 at;		/* clock_mono ms when noted */
	size_t		 next;		/* in its chain, index + 1; 0 ends */
	int		 used;
};

struct gw_releases {
	pthread_mutex_t	 mu;
	struct rel	*ring;
	size_t		 max, head;
	size_t		*bucket;	/* index + 1 of a chain's first; 0 */
	size_t		 nbucket;	/* a power of two */
	long long	 ttl_ms;
};

static size_t
hash(const struct gw_releases *r, const char *s)
{
	size_t h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h & (r->nbucket - 1);
}

struct gw_releases *
gw_releases_new(size_t max, long long ttl)
{
	struct gw_releases *r;

	if (max == 0 || (r = calloc(1, sizeof *r)) == NULL)
		return NULL;
	r->max = max;
	r->ttl_ms = ttl * 1000;
	for (r->nbucket = 16; r->nbucket < 2 * max; r->nbucket <<= 1)
		;
	if ((r->ring = calloc(max, sizeof *r->ring)) == NULL ||
	    (r->bucket = calloc(r->nbucket, sizeof *r->bucket)) == NULL) {
		gw_releases_free(r);
		return NULL;
	}
	pthread_mutex_init(&r->mu, NULL);
	return r;
}

void
gw_releases_free(struct gw_releases *r)
{
	if (r == NULL)
		return;
	if (r->ring != NULL && r->bucket != NULL)
		pthread_mutex_destroy(&r->mu);
	free(r->ring);
	free(r->bucket);
	free(r);
}

/* The entry of study, or NULL (under mu). */
static struct rel *
lookup(struct gw_releases *r, const char *study)
{
	size_t i;

	for (i = r->bucket[hash(r, study)]; i != 0; i = r->ring[i - 1].next)
		if (strcmp(r->ring[i - 1].study, study) == 0)
			return &r->ring[i - 1];
	return NULL;
}

/* Take entry e (index i) out of its chain (under mu). */
static void
unlink_rel(struct gw_releases *r, size_t i)
{
	size_t *p = &r->bucket[hash(r, r->ring[i].study)];

	while (*p != 0 && *p != i + 1)
		p = &r->ring[*p - 1].next;
	if (*p != 0)
		*p = r->ring[i].next;
	r->ring[i].used = 0;
}

static void
note_one(struct gw_releases *r, const char *study, const char *patient,
    const char *klass)
{
	struct rel *e;
	size_t i, b;

	pthread_mutex_lock(&r->mu);
	if ((e = lookup(r, study)) == NULL) {
		i = r->head;
		r->head = (r->head + 1) % r->max;
		if (r->ring[i].used)
			unlink_rel(r, i);
		e = &r->ring[i];
		str_lcpy(e->study, study, sizeof e->study);
		b = hash(r, study);
		e->next = r->bucket[b];
		r->bucket[b] = i + 1;
		e->used = 1;
	}
	str_lcpy(e->patient, patient, sizeof e->patient);
	str_lcpy(e->klass, klass, sizeof e->klass);
	e->at = clock_mono();
	pthread_mutex_unlock(&r->mu);
}

/* The study UID of a referenceIdList value "uid^^^^<studyInstanceUID
 * type>" (CXi), into out: 1, or 0 for another kind of reference. */
static int
study_of(const char *v, char *out, size_t outsz)
{
	const char *t = strstr(v, "^^^^");
	size_t n;

	if (t == NULL || strcmp(t + 4, REFID_STUDYUID) != 0 ||
	    (n = (size_t)(t - v)) == 0 || n >= outsz)
		return 0;
	memcpy(out, v, n);
	out[n] = '\0';
	return 1;
}

void
gw_releases_note(struct gw_releases *r, xmlNode *resp)
{
	xmlNode *o, *c, *vl, *v;
	char patient[GW_CX_MAX], klass[64], study[65], text[256];
	const char *a;

	if (r == NULL)
		return;
	for (o = xml_first_elem(gw_objects(resp)); o != NULL;
	    o = xml_next_elem(o)) {
		if (!xml_is(o, NS_RIM, "ExtrinsicObject") ||
		    gw_object_patient(o, patient, sizeof patient) != 1)
			continue;
		klass[0] = '\0';
		for (c = xml_first_elem(o); c != NULL; c = xml_next_elem(c))
			if (xml_is(c, NS_RIM, "Classification") &&
			    (a = xml_attr(c, "classificationScheme")) != NULL &&
			    strcmp(a, CS_DE_CLASSCODE) == 0 &&
			    (a = xml_attr(c, "nodeRepresentation")) != NULL)
				str_lcpy(klass, a, sizeof klass);
		for (c = xml_first_elem(o); c != NULL; c = xml_next_elem(c)) {
			if (!xml_is(c, NS_RIM, "Slot") ||
			    (a = xml_attr(c, "name")) == NULL ||
			    strcmp(a, SLOT_REFERENCEIDLIST) != 0)
				continue;
			for (vl = xml_first_elem(c); vl != NULL;
			    vl = xml_next_elem(vl))
				for (v = xml_first_elem(vl); v != NULL;
				    v = xml_next_elem(v))
					if (xml_is(v, NS_RIM, "Value") &&
					    xml_text(v, text, sizeof text) ==
					    0 && study_of(text, study,
					    sizeof study))
						note_one(r, study, patient,
						    klass);
		}
	}
}

int
gw_releases_find(struct gw_releases *r, const char *study, char *patient,
    size_t patientsz, char *klass, size_t klasssz)
{
	struct rel *e;
	int found = 0;

	if (r == NULL)
		return 0;
	pthread_mutex_lock(&r->mu);
	if ((e = lookup(r, study)) != NULL &&
	    clock_mono() - e->at < r->ttl_ms) {
		str_lcpy(patient, e->patient, patientsz);
		str_lcpy(klass, e->klass, klasssz);
		found = 1;
	}
	pthread_mutex_unlock(&r->mu);
	return found;
}
