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

/*
 * A database's schema by version (PRAGMA user_version): version k+1 is
 * version k after steps[k], so a file made by any earlier release is
 * brought up to nsteps, the version this program writes, one step at a
 * time in one transaction.  Files made before versions were kept have
 * user_version 0 and may hold some of the schema already: legacy, when
 * set, takes such a file (and a new one) to version 1 in place of
 * steps[0].
 */
struct db_schema {
	const char	 *name;		/* "registry.db", for messages */
	const char *const *steps;	/* SQL from version k to k + 1 */
	int		  nsteps;	/* the version this program writes */
	int		(*legacy)(sqlite3 *, char *err, size_t errlen);
};

/*
 * Bring db to s->nsteps (under BEGIN IMMEDIATE: one process migrates,
 * another waits and finds it done).  XDS_OK; XDS_EUNSUPPORTED when the
 * file was written by a newer program (a downgrade: refused, err says
 * what to do); XDS_EIO with the failing step.  Logs each migration.
 */
int	db_schema_apply(sqlite3 *db, const struct db_schema *s, char *err,
	    size_t errlen);

/* Run sql (one or more statements): XDS_OK, or XDS_EIO with "what:
 * SQLite's message" in err. */
int	db_exec(sqlite3 *db, const char *what, const char *sql, char *err,
	    size_t errlen);

#endif /* XDS_DB_H */
