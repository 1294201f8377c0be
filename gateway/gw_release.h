/*
 * gw_release.h: the imaging studies this responding gateway has shown,
 * so that a RAD-75 retrieve can be put to consent.  A RAD-75 request
 * names studies, series and instances only, none of which is in the
 * registry, so its patient cannot be looked up; but XCA-I consumers ask
 * ITI-38 first, and the manifests (KOS DocumentEntries) in a released
 * ITI-38 answer name their studies in referenceIdList.  Each study seen
 * there is kept with its patient and classCode for
 * gateway.imaging_release_ttl seconds (at most GW_RELEASE_MAX studies,
 * the oldest go first); a retrieve of a study not kept is refused, one of
 * a kept study is asked of Mitz for that patient like any other.  Safe
 * from any number of threads.
 */
#ifndef XDS_GW_RELEASE_H
#define XDS_GW_RELEASE_H

#include <stddef.h>

#include "xml.h"

#define GW_RELEASE_MAX	100000

struct gw_releases;

struct gw_releases *gw_releases_new(size_t max, long long ttl);
void	gw_releases_free(struct gw_releases *);	/* NULL is a no-op */
/* Note the studies of the manifests among the objects of resp (an
 * AdhocQueryResponse about to be released). */
void	gw_releases_note(struct gw_releases *, xmlNode *resp);
/* Study uid as last shown: 1 with its patient (canonical CX) and the
 * manifest's classCode ("" when none), 0 when not kept or expired. */
int	gw_releases_find(struct gw_releases *, const char *study,
	    char *patient, size_t patientsz, char *klass, size_t klasssz);

#endif
