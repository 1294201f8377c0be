/*
 * db.h: an SQLite database opened the way every store of the node opens
 * one (the registry, the repository's index, the DICOM bridge's study
 * table): read-write, created when missing, extended result codes, the
 * defensive flag (no writable schema from SQL), the journal in WAL mode
 * with synchronous=FULL (nothing is acknowledged before it is on disk),
 * an untrusted schema, a busy timeout; then the caller's own pragmas.
 * One place, so that a rule for every database (permissions, a pragma)
 * is written once.
 */
#ifndef XDS_DB_H
#define XDS_DB_H

#include <stddef.h>
#include <sqlite3.h>

/* How threads share the connection. */
enum db_threads {
	DB_ONE_THREAD,		/* used by one thread at a time (a pool) */
	DB_SHARED,		/* used by several threads: serialised */
};

/*
 * Open path with busy_ms of busy timeout and then run pragmas (SQL, or
 * NULL).  XDS_OK with *out set, or XDS_EIO ("path: reason" in err; *out
 * is NULL, nothing is left open).
 */
int	db_open(const char *path, enum db_threads threads, int busy_ms,
	    const char *pragmas, sqlite3 **out, char *err, size_t errlen);

/*
 * Open an existing database for reading only (a tool beside a running
 * node: xdsctl db check): no create, no journal mode set, query_only, the
 * same busy timeout, defensive flag and untrusted schema.  Readers of a
 * WAL database see the last commit when their read transaction starts.
 */
int	db_open_readonly(const char *path, int busy_ms, sqlite3 **out,
	    char *err, size_t errlen);

/*
 * A consistent copy of the database at src (beside a running node) in a
 * new file dst: SQLite's online backup of every page in one step, under
 * one read transaction, so writers carry on (WAL) and the copy is the
 * database as of one commit; then dst is synced.  XDS_OK, XDS_EEXIST
 * when dst exists, or XDS_EIO with the reason in err (dst removed).
 */
int	db_backup(const char *src, const char *dst, int busy_ms, char *err,
	    size_t errlen);

/* Run sql (one or more statements): XDS_OK, or XDS_EIO with "what:
 * SQLite's message" in err. */
int	db_exec(sqlite3 *db, const char *what, const char *sql, char *err,
	    size_t errlen);

#endif /* XDS_DB_H */
