/*
 * query_int.h: inside the query module (query.c <-> query_sql.c).
 */
#ifndef XDS_QUERY_INT_H
#define XDS_QUERY_INT_H

#include <stddef.h>
#include <sqlite3.h>

struct buf;
struct query_opts;
struct sqp_set;

enum query_status {
	QUERY_OK = 0,
	QUERY_EINTERNAL = -1,	/* database or memory: no response */
	QUERY_ETOOMANY = -2,	/* XDSTooManyResults */
	QUERY_ENOTSINGLE = -3,	/* XDSResultNotSinglePatient */
	QUERY_EPARAM = -4,	/* XDSRegistryError: a value we cannot use */
};

/*
 * Run the parsed query on db in one read transaction and append the
 * returned objects (ObjectRefs, or LeafClass XML when leaf) to objs.
 * Returns a query_status with a reason in err.
 */
int	query_exec(sqlite3 *db, const struct sqp_set *ps,
	    const struct query_opts *o, int leaf, struct buf *objs,
	    char *err, size_t errlen);
/* vocab.h error code of a query_status (NULL for QUERY_OK). */
const char *query_errcode(int st);

#endif
