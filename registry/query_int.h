/*
 * query_int.h: inside the query module (query.c <-> query_sql.c).
 */
#ifndef XDS_QUERY_INT_H
#define XDS_QUERY_INT_H

#include <stddef.h>
#include <sqlite3.h>

#include "status.h"

struct buf;
struct query_opts;
struct sqp_set;

/* What a query finds that its answer reports as an XDS error (> 0). */
enum query_status {
	QUERY_ETOOMANY = 1,	/* XDSTooManyResults */
	QUERY_ENOTSINGLE,	/* XDSResultNotSinglePatient */
};

/*
 * Run the parsed query on db in one read transaction and append the
 * returned objects (ObjectRefs, or LeafClass XML when leaf) to objs.
 * Returns XDS_OK, a query_status, or an enum xds_status (< 0: the
 * database or memory failed, no response), with a reason in err.
 */
int	query_exec(sqlite3 *db, const struct sqp_set *ps,
	    const struct query_opts *o, int leaf, struct buf *objs,
	    char *err, size_t errlen);

/* What query_obj_write puts into one stored object's XML. */
struct query_obj {
	const char	*status;	/* availabilityStatus */
	const char	*home;		/* homeCommunityId, or NULL */
	const char	*lid;		/* added when the XML has none */
	long long	 version;	/* registry_object.version, 0: not read */
	int		 versioned;	/* DE, SS, Folder: VersionInfo
					 * added when missing */
};

#define QUERY_OBJ_NEEDS	1	/* lid and version wanted (see below) */

/*
 * Append the stored XML (n bytes) of one object to b as a LeafClass
 * answer shows it (query_obj.c).  XDS_EFORMAT: the text does not start
 * with an element; else the buffer's status.  With lid NULL and version
 * 0 (not read), an XML that lacks lid or VersionInfo gives
 * QUERY_OBJ_NEEDS and nothing is written: the caller reads them and
 * calls again (the XML written since Metadata Update has both).
 */
int	query_obj_write(struct buf *b, const char *xml, size_t n,
	    const struct query_obj *o);

/* vocab.h error code of a query_status (NULL for XDS_OK). */
const char *query_errcode(int st);

#endif
