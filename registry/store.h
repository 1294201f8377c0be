/*
 * store.h: the registry database (state_dir/registry.db), internal to
 * the registry module.
 *
 * Writes go through one writer connection with group commit (see
 * store_write).  Reads use one SQLite connection per concurrent handler: a small pool hands a
 * connection to one thread at a time (SQLITE_OPEN_NOMUTEX is safe since
 * no connection is ever used by two threads at once).  Each connection
 * caches its prepared statements, keyed by the address of the SQL text,
 * so callers pass static const strings and never build SQL from values.
 */
#ifndef XDS_STORE_H
#define XDS_STORE_H

#include <stddef.h>
#include <sqlite3.h>

#include "status.h"

#define STORE_SCHEMA_VERSION	1	/* PRAGMA user_version of schema.sql */
#define STORE_MAX_CONNS		64	/* connections in the pool */
#define STORE_MAX_STMTS		64	/* cached statements per connection */
#define STORE_BUSY_TIMEOUT_MS	5000
#define STORE_WRITE_RETRIES	5	/* BEGIN IMMEDIATE / BUSY retries */
#define STORE_BATCH_MAX		128	/* writes per group commit */
#define STORE_CKPT_FRAMES	2000	/* WAL frames: wake the checkpointer */
#define STORE_CKPT_INLINE	8000	/* WAL frames: the leader checkpoints */
#define STORE_CHUNK_BYTES	(4 * 1024 * 1024)	/* registry.db growth */

/* Failures are enum xds_status: XDS_EIO for a SQLite or system error
 * (err says which), XDS_EBUSY when the database stayed locked past the
 * busy timeout. */

struct store;

struct store_conn {
	sqlite3		*db;
	struct {
		const char	*sql;
		sqlite3_stmt	*st;
	}		 stmt[STORE_MAX_STMTS];
	size_t		 nstmt;
	struct store_conn *next;	/* free list / all list */
};

/* Open (mkdir -p, mode 0700) state_dir/registry.db, apply or check the
 * schema.  Path ":memory:" is refused: connections must share a file. */
int	store_open(const char *state_dir, struct store **, char *err,
	    size_t errlen);
void	store_close(struct store *);
const char *store_path(const struct store *);

/* Borrow a connection (waits when all STORE_MAX_CONNS are in use) and
 * give it back.  NULL with err set when a new connection fails. */
struct store_conn *store_get(struct store *, char *err, size_t errlen);
void	store_put(struct store *, struct store_conn *);

/* The cached statement for sql (which must be a string with static
 * storage); reset and with cleared bindings.  NULL on a prepare error
 * (sqlite3_errmsg(c->db) says why). */
sqlite3_stmt *store_stmt(struct store_conn *, const char *sql);

/*
 * Run fn inside a write transaction and return once that transaction
 * is durable (COMMIT with synchronous=FULL) or undone.  fn returns 0 to
 * keep its writes, > 0 to undo them and have store_write return that
 * value (a business failure: fn has recorded why), XDS_EBUSY to undo
 * them and run again (bounded), or XDS_EIO to undo them and fail.
 * fn may run more than once: it must not keep state from an earlier
 * attempt.
 *
 * Group commit: concurrent calls are batched.  One caller (the leader)
 * runs the queued fns in order on the writer connection, each inside its
 * own SAVEPOINT within one BEGIN IMMEDIATE ... COMMIT: fn sees the
 * writes of the fns before it in the batch, a failing fn is rolled back
 * alone, and no caller returns before the COMMIT that holds its writes
 * has returned.  Writers of one process are serialised here, never in
 * SQLite's busy handler.  fn must not call store_write itself.
 */
int	store_write(struct store *, int (*fn)(struct store_conn *, void *),
	    void *arg, char *err, size_t errlen);
/* Same, as a read transaction (BEGIN DEFERRED, then COMMIT). */
int	store_read(struct store *, int (*fn)(struct store_conn *, void *),
	    void *arg, char *err, size_t errlen);

/* Writes committed so far and the COMMITs (batches) that held them. */
void	store_stats(struct store *, unsigned long long *writes,
	    unsigned long long *commits);

/* Writers queued behind the running batch (not yet taken into one):
 * lets a test line writers up in a known order without sleeping. */
size_t	store_queued(struct store *);

/* Map a SQLite result code to XDS_EBUSY or XDS_EIO. */
int	store_rc(int sqlite_rc);

#endif
