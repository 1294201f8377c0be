/*
 * dir_zorgab.h: the ZORG-AB back-end of the community directory
 * (directory.backend = zorgab; the requests and the rules that make a
 * community of an organization are in docs/design.md, "Community
 * directory: ZORG-AB").  The back-end itself is dir_zorgab_backend
 * (dir_int.h); here is its pure part, for tests and the fuzz target.
 */
#ifndef XDS_DIR_ZORGAB_H
#define XDS_DIR_ZORGAB_H

#include <stddef.h>

#include "vocab.h"

struct dir_community;

#define DIR_ZORGAB_MAX_ANSWER	(4u * 1024 * 1024)	/* bytes an answer */

/* interactionIds of a conformance that make a service what it is */
#define DIR_ZORGAB_XCA		"ITI-38"
#define DIR_ZORGAB_XCA_URN	ACT_ITI38
#define DIR_ZORGAB_XDR		"ITI-41"
#define DIR_ZORGAB_XDR_URN	ACT_ITI41
#define DIR_ZORGAB_DICOM	"DICOM-C-STORE"

/*
 * The communities of one answer: len bytes of JSON at buf, an array of
 * Organizations.  Each active XCA service (an address the node may use,
 * an applicationId that is urn:oid:<OID>) is a community; those of home
 * community id own, and a home community id given again, are left out.
 * XDS_OK with *out (malloc'd, *n entries, NULL when none) and *norgs,
 * the organizations in the array; XDS_EFORMAT (not JSON, not an array of
 * objects) or XDS_ENOMEM with err.  Pure: no I/O.
 */
int	dir_zorgab_parse(const char *buf, size_t len, const char *own,
	    struct dir_community **out, size_t *n, size_t *norgs, char *err,
	    size_t errlen);

#endif
