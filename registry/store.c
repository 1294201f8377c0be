/*
 * store.c: registry.db connections, schema and transactions.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "db.h"
#include "log.h"
#include "store.h"
#include "str.h"

/* schema_sql: registry/schema.sql as a C string, generated at build time
 * (registry/registry.am), so the .sql file stays the one source. */
#include "registry/schema_sql.h"

/*
 * Group commit (store_write): writers queue a request; the first one in
 * with no leader running becomes the leader, takes up to
 * STORE_BATCH_MAX queued requests (its own among them when it is at the
 * head), runs each in its own SAVEPOINT inside one BEGIN IMMEDIATE on
 * the writer connection, COMMITs once (one WAL fsync) and only then
 * hands every request its own result.  A request that fails is rolled
 * back to its savepoint alone.  Writers of this process never meet in
 * SQLite's busy handler (which sleeps up to 100 ms at a time).
 */
struct wreq {
	int		(*fn)(struct store_conn *, void *);
	void		*arg;
	char		*err;
	size_t		 errlen;
	int		 rc;
	int		 attempts;	/* batches that had to retry it */
	int		 settled;	/* has its answer (leader only) */
	int		 done;		/* settled, published under wmtx */
	int		 lead;		/* handed the leadership */
	pthread_cond_t	 cv;		/* its owner waits here, alone */
	struct wreq	*next;
};

struct store {
	char		 path[1024];
	pthread_mutex_t	 mtx;
	pthread_cond_t	 cv;
	struct store_conn *free;	/* idle connections */
	struct store_conn **all;	/* every connection, for close */
	size_t		 nall;
	size_t		 nbusy;

	pthread_mutex_t	 wmtx;		/* the write queue */
	struct wreq	*whead, *wtail;
	int		 wleader;	/* a leader is running a batch */
	struct store_conn *wconn;	/* the leader's connection */
	unsigned long long nbatch, nwrites;	/* statistics */

	/* Checkpoints run on a thread of their own (ckpt_main), not inside
	 * a leader's COMMIT; see wal_hook. */
	pthread_mutex_t	 ckmtx;
	pthread_cond_t	 ckcv;
	pthread_t	 ckthr;
	int		 ckrunning;	/* ckthr was started */
	int		 ckwanted;
	int		 ckstop;
	int		 ckbusy;	/* a checkpoint is running on ckthr */
	int		 ckdone;	/* WAL frames backfilled since it restarted */
	struct store_conn *ckconn;
};

int
store_rc(int rc)
{
	rc &= 0xff;
	return (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) ? XDS_EBUSY :
	    XDS_EIO;
}

static int
exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	char	*msg = NULL;
	int	 rc;

	if ((rc = sqlite3_exec(db, sql, NULL, NULL, &msg)) != SQLITE_OK) {
		str_fmt(err, errlen, "%s", msg != NULL ? msg :
		    sqlite3_errstr(rc));
		sqlite3_free(msg);
		return store_rc(rc);
	}
	return 0;
}

static void
conn_free(struct store_conn *c)
{
	size_t	 i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nstmt; i++)
		sqlite3_finalize(c->stmt[i].st);
	sqlite3_close(c->db);
	free(c);
}

static struct store_conn *
conn_new(const char *path, char *err, size_t errlen)
{
	struct store_conn *c;

	if ((c = calloc(1, sizeof *c)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return NULL;
	}
	/*
	 * mmap_size: reads come straight from the page cache instead of a
	 * pread() and a copy per page, which was most of a query's time on
	 * a 1M-entry registry (bench/run find).  Writes still go through the
	 * WAL with synchronous=FULL.  cache_size: 8 MiB per connection.
	 */
	if (db_open(path, DB_ONE_THREAD, STORE_BUSY_TIMEOUT_MS,
	    "PRAGMA foreign_keys=ON;"
	    "PRAGMA mmap_size=17179869184;"
	    "PRAGMA cache_size=-8192;", &c->db, err, errlen) != XDS_OK)
		goto fail;
	return c;
fail:
	conn_free(c);
	return NULL;
}

/*
 * Create the schema in a fresh file, or bring an old one to this
 * version (db_schema_apply: one writer at a time, so two processes
 * opening a new file do not both apply it; a newer file is refused).
 * Version k+1 is steps[k] applied to version k: a change of schema.sql
 * adds a step here and bumps STORE_SCHEMA_VERSION.
 */
static int
schema_apply(sqlite3 *db, char *err, size_t errlen)
{
	static const char *const steps[] = { schema_sql };
	static const struct db_schema sch = { "registry.db", steps,
	    STORE_SCHEMA_VERSION, NULL };

	_Static_assert(sizeof steps / sizeof steps[0] == STORE_SCHEMA_VERSION,
	    "one step per schema version");
	return db_schema_apply(db, &sch, err, errlen);
}

/* The checkpointer: copies WAL frames into registry.db (and fsyncs it)
 * while the leader goes on committing. */
static void *
ckpt_main(void *arg)
{
	struct store *s = arg;
	int	 rc, nlog, nckpt;

	pthread_mutex_lock(&s->ckmtx);
	for (;;) {
		while (!s->ckwanted && !s->ckstop)
			pthread_cond_wait(&s->ckcv, &s->ckmtx);
		if (s->ckstop)
			break;
		s->ckwanted = 0;
		s->ckbusy = 1;
		pthread_mutex_unlock(&s->ckmtx);
		nckpt = 0;
		rc = sqlite3_wal_checkpoint_v2(s->ckconn->db, "main",
		    SQLITE_CHECKPOINT_PASSIVE, &nlog, &nckpt);
		if (rc != SQLITE_OK && store_rc(rc) != XDS_EBUSY)
			log_warnx("registry: checkpoint: %s",
			    sqlite3_errmsg(s->ckconn->db));
		pthread_mutex_lock(&s->ckmtx);
		s->ckbusy = 0;
		if (rc == SQLITE_OK && nckpt > s->ckdone)
			s->ckdone = nckpt;
	}
	pthread_mutex_unlock(&s->ckmtx);
	return NULL;
}

/*
 * After each COMMIT of the writer connection (instead of SQLite's
 * automatic checkpoint, which runs inside the COMMIT).  The checkpointer
 * copies the bulk of the WAL in the background, STORE_CKPT_FRAMES new
 * frames at a time; it can never finish on its own while commits go on
 * (frames arrive while it copies), so when it is done the leader copies
 * the short tail itself, which completes the checkpoint and lets the
 * next transaction restart the WAL from its beginning.  (Waking the
 * checkpointer after every COMMIT past STORE_CKPT_FRAMES, as before,
 * made it run ~0.1 checkpoints per submission at 16 clients, each
 * rewriting the hot pages and paying two fsyncs.)  Past
 * STORE_CKPT_INLINE (it fell behind) the leader checkpoints what is
 * left itself, so the WAL stays bounded.
 */
static int
wal_hook(void *arg, sqlite3 *db, const char *name, int nframes)
{
	struct store *s = arg;
	int	 inl = 0, nlog = 0, nckpt = 0;

	if (nframes >= STORE_CKPT_INLINE)
		inl = 1;
	else if (s->ckrunning) {
		pthread_mutex_lock(&s->ckmtx);
		if (nframes < s->ckdone)
			s->ckdone = 0;		/* the WAL restarted */
		if (!s->ckbusy && !s->ckwanted) {
			if (s->ckdone > 0 &&
			    nframes - s->ckdone < STORE_CKPT_FRAMES)
				inl = 1;	/* the tail */
			else if (nframes - s->ckdone >= STORE_CKPT_FRAMES) {
				s->ckwanted = 1;
				pthread_cond_signal(&s->ckcv);
			}
		}
		pthread_mutex_unlock(&s->ckmtx);
	}
	if (!inl)
		return SQLITE_OK;
	if (sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE,
	    &nlog, &nckpt) != SQLITE_OK) {
		if (store_rc(sqlite3_errcode(db)) != XDS_EBUSY)
			log_warnx("registry: checkpoint: %s",
			    sqlite3_errmsg(db));
		return SQLITE_OK;
	}
	if (s->ckrunning) {
		/* Complete: the WAL restarts with the next transaction. */
		pthread_mutex_lock(&s->ckmtx);
		s->ckdone = nckpt >= nlog ? 0 : nckpt;
		pthread_mutex_unlock(&s->ckmtx);
	}
	return SQLITE_OK;
}

/*
 * The writer connection: savepoint (statement) journals in memory, not
 * in a temporary file opened, written and unlinked per batch; the file
 * grows in STORE_CHUNK_BYTES steps, so readers' maps of it (mmap_size)
 * and checkpoints' truncates change once per chunk, not per commit.
 */
static int
writer_setup(struct store_conn *c, char *err, size_t errlen)
{
	int	 chunk = STORE_CHUNK_BYTES;

	if (exec(c->db, "PRAGMA temp_store=MEMORY;"
	    "PRAGMA cache_size=-32768;", err, errlen) != 0)
		return XDS_EIO;
	if (sqlite3_file_control(c->db, "main", SQLITE_FCNTL_CHUNK_SIZE,
	    &chunk) != SQLITE_OK)
		log_warnx("registry: chunk size not set: %s",
		    sqlite3_errmsg(c->db));
	return 0;
}

int
store_open(const char *state_dir, struct store **out, char *err,
    size_t errlen)
{
	struct store *s = NULL;
	struct store_conn *c = NULL;

	*out = NULL;
	if (state_dir == NULL || state_dir[0] == '\0') {
		str_fmt(err, errlen, "node.state_dir is empty");
		return XDS_EIO;
	}
	if (fileio_mkdir_p(state_dir, 0700, err, errlen) != XDS_OK)
		return XDS_EIO;
	if ((s = calloc(1, sizeof *s)) == NULL ||
	    (s->all = calloc(STORE_MAX_CONNS, sizeof *s->all)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		goto fail;
	}
	if (str_fmt(s->path, sizeof s->path, "%s/registry.db", state_dir) < 0) {
		str_fmt(err, errlen, "state_dir too long");
		goto fail;
	}
	pthread_mutex_init(&s->mtx, NULL);
	pthread_cond_init(&s->cv, NULL);
	pthread_mutex_init(&s->wmtx, NULL);
	pthread_mutex_init(&s->ckmtx, NULL);
	pthread_cond_init(&s->ckcv, NULL);
	if ((c = conn_new(s->path, err, errlen)) == NULL)
		goto fail_sync;
	if (schema_apply(c->db, err, errlen) != 0)
		goto fail_sync;
	/* The file holds patient data: owner only. */
	if (chmod(s->path, 0600) == -1)
		log_warn("chmod %s", s->path);
	if ((s->wconn = conn_new(s->path, err, errlen)) == NULL ||
	    writer_setup(s->wconn, err, errlen) != 0)
		goto fail_sync;
	/* Without the checkpointer SQLite checkpoints in the COMMIT. */
	if ((s->ckconn = conn_new(s->path, err, errlen)) == NULL)
		log_warnx("registry: no checkpointer: %s", err);
	else if (pthread_create(&s->ckthr, NULL, ckpt_main, s) != 0) {
		log_warnx("registry: no checkpointer thread");
		conn_free(s->ckconn);
		s->ckconn = NULL;
	} else {
		s->ckrunning = 1;
		sqlite3_wal_hook(s->wconn->db, wal_hook, s);
	}
	err[0] = '\0';
	s->all[s->nall++] = c;
	s->free = c;
	*out = s;
	return XDS_OK;
fail_sync:
	conn_free(s->wconn);
	conn_free(c);
	pthread_cond_destroy(&s->ckcv);
	pthread_mutex_destroy(&s->ckmtx);
	pthread_mutex_destroy(&s->wmtx);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mtx);
fail:
	if (s != NULL)
		free(s->all);
	free(s);
	return XDS_EIO;
}

void
store_close(struct store *s)
{
	size_t	 i;

	if (s == NULL)
		return;
	if (s->nbusy != 0)
		log_warnx("registry: closing with %zu connections in use",
		    s->nbusy);
	if (s->ckrunning) {
		pthread_mutex_lock(&s->ckmtx);
		s->ckstop = 1;
		pthread_cond_signal(&s->ckcv);
		pthread_mutex_unlock(&s->ckmtx);
		pthread_join(s->ckthr, NULL);
	}
	conn_free(s->ckconn);
	for (i = 0; i < STORE_MAX_CONNS; i++)
		conn_free(s->all[i]);
	conn_free(s->wconn);
	if (s->nbatch > 0)
		log_debug("registry: %llu writes in %llu commits", s->nwrites,
		    s->nbatch);
	pthread_cond_destroy(&s->ckcv);
	pthread_mutex_destroy(&s->ckmtx);
	pthread_mutex_destroy(&s->wmtx);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mtx);
	free(s->all);
	free(s);
}

const char *
store_path(const struct store *s)
{
	return s->path;
}

struct store_conn *
store_get(struct store *s, char *err, size_t errlen)
{
	struct store_conn *c = NULL;

	pthread_mutex_lock(&s->mtx);
	while (s->free == NULL && s->nall >= STORE_MAX_CONNS)
		pthread_cond_wait(&s->cv, &s->mtx);
	if (s->free != NULL) {
		c = s->free;
		s->free = c->next;
		c->next = NULL;
		s->nbusy++;
		pthread_mutex_unlock(&s->mtx);
		return c;
	}
	/* Reserve the slot, then open outside the lock. */
	s->nall++;
	s->nbusy++;
	pthread_mutex_unlock(&s->mtx);
	c = conn_new(s->path, err, errlen);
	pthread_mutex_lock(&s->mtx);
	if (c == NULL) {
		s->nall--;
		s->nbusy--;
		pthread_cond_signal(&s->cv);
	} else {
		/* At most nall - 1 slots are taken: there is a free one. */
		size_t i;

		for (i = 0; i < STORE_MAX_CONNS && s->all[i] != NULL; i++)
			;
		s->all[i] = c;
	}
	pthread_mutex_unlock(&s->mtx);
	return c;
}

void
store_put(struct store *s, struct store_conn *c)
{
	if (c == NULL)
		return;
	if (!sqlite3_get_autocommit(c->db)) {
		log_warnx("registry: connection returned inside a transaction");
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	}
	pthread_mutex_lock(&s->mtx);
	c->next = s->free;
	s->free = c;
	s->nbusy--;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mtx);
}

sqlite3_stmt *
store_stmt(struct store_conn *c, const char *sql)
{
	sqlite3_stmt *st = NULL;
	size_t	 i;

	for (i = 0; i < c->nstmt; i++) {
		if (c->stmt[i].sql == sql) {
			st = c->stmt[i].st;
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return st;
		}
	}
	if (sqlite3_prepare_v3(c->db, sql, -1, c->nstmt < STORE_MAX_STMTS ?
	    SQLITE_PREPARE_PERSISTENT : 0, &st, NULL) != SQLITE_OK)
		return NULL;
	if (c->nstmt >= STORE_MAX_STMTS) {
		/* Cache full (a programming error): keep the statement
		 * anyway by evicting the oldest. */
		log_warnx("registry: statement cache full");
		sqlite3_finalize(c->stmt[0].st);
		memmove(&c->stmt[0], &c->stmt[1],
		    (STORE_MAX_STMTS - 1) * sizeof c->stmt[0]);
		c->nstmt--;
	}
	c->stmt[c->nstmt].sql = sql;
	c->stmt[c->nstmt].st = st;
	c->nstmt++;
	return st;
}

static void
backoff(int attempt)
{
	struct timespec ts;

	ts.tv_sec = 0;
	ts.tv_nsec = 20L * 1000000L * (attempt + 1);
	nanosleep(&ts, NULL);
}

static int
run_txn(struct store *s, const char *begin, int (*fn)(struct store_conn *,
    void *), void *arg, char *err, size_t errlen)
{
	struct store_conn *c;
	int	 attempt, rc = XDS_EIO;

	if ((c = store_get(s, err, errlen)) == NULL)
		return XDS_EIO;
	for (attempt = 0; attempt < STORE_WRITE_RETRIES; attempt++) {
		if ((rc = exec(c->db, begin, err, errlen)) != 0) {
			if (rc == XDS_EBUSY) {
				backoff(attempt);
				continue;
			}
			break;
		}
		rc = fn(c, arg);
		if (rc == 0) {
			rc = exec(c->db, "COMMIT", err, errlen);
			if (rc == 0)
				break;
		}
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
		if (rc != XDS_EBUSY)
			break;
		backoff(attempt);
	}
	if (rc == XDS_EBUSY)
		str_fmt(err, errlen, "registry database busy after %d attempts",
		    STORE_WRITE_RETRIES);
	else if (rc == XDS_EIO && err[0] == '\0')
		str_fmt(err, errlen, "%s", sqlite3_errmsg(c->db));
	store_put(s, c);
	return rc;
}

/* Run one batch (the requests in b, linked by next) on the writer
 * connection.  Sets rc and settled on each request that has its answer;
 * leaves settled = 0 on those to run again in a later batch.  Returns
 * the number of writes committed. */
static int
run_batch(struct store *s, struct wreq *b)
{
	struct store_conn *c = s->wconn;
	struct wreq *r;
	char	 berr[256];
	int	 attempt, rc, n, single;

	berr[0] = '\0';
	for (attempt = 0; attempt < STORE_WRITE_RETRIES; attempt++) {
		if ((rc = exec(c->db, "BEGIN IMMEDIATE", berr,
		    sizeof berr)) != XDS_EBUSY)
			break;
		backoff(attempt);
	}
	if (rc != 0) {
		for (r = b; r != NULL; r = r->next) {
			r->rc = rc;
			if (rc == XDS_EBUSY)
				str_fmt(r->err, r->errlen, "registry database "
				    "busy after %d attempts",
				    STORE_WRITE_RETRIES);
			else
				str_fmt(r->err, r->errlen, "%s", berr);
			r->settled = 1;
		}
		return 0;
	}
	/* A batch of one needs no savepoint: its failure is the ROLLBACK
	 * of the whole transaction below. */
	single = b->next == NULL;
	n = 0;
	for (r = b; r != NULL; r = r->next) {
		if (!single &&
		    exec(c->db, "SAVEPOINT w", r->err, r->errlen) != 0) {
			r->rc = XDS_EIO;
			r->settled = 1;
			continue;
		}
		r->rc = r->fn(c, r->arg);
		if (sqlite3_get_autocommit(c->db)) {
			/* SQLite rolled the whole transaction back (an I/O
			 * error, out of memory): this request fails, the
			 * ones before it lost their rows and run again. */
			struct wreq *p;

			log_warnx("registry: write transaction rolled back: "
			    "%s", sqlite3_errmsg(c->db));
			if (r->rc == 0 || r->err[0] == '\0')
				str_fmt(r->err, r->errlen, "%s",
				    sqlite3_errmsg(c->db));
			r->rc = r->rc == XDS_EBUSY ? XDS_EBUSY : XDS_EIO;
			r->settled = 1;
			for (p = b; p != r; p = p->next) {
				if (p->rc == 0) {
					p->attempts++;
					p->settled = 0;
				}
			}
			return 0;
		}
		if (r->rc == 0) {
			if (!single &&
			    exec(c->db, "RELEASE w", r->err, r->errlen) != 0)
				r->rc = XDS_EIO;
			else
				n++;
		}
		if (r->rc != 0) {
			if (r->rc == XDS_EIO && r->err[0] == '\0')
				str_fmt(r->err, r->errlen, "%s",
				    sqlite3_errmsg(c->db));
			if (!single && exec(c->db, "ROLLBACK TO w; RELEASE w",
			    berr, sizeof berr) != 0) {
				/* Cannot undo this one alone: undo all. */
				log_warnx("registry: savepoint: %s", berr);
				sqlite3_exec(c->db, "ROLLBACK", NULL, NULL,
				    NULL);
				r->rc = XDS_EIO;
				r->settled = 1;
				for (r = b; r != NULL; r = r->next)
					if (!r->settled || r->rc == 0) {
						r->attempts++;
						r->settled = 0;
					}
				return 0;
			}
		}
		/* fn asked to run again (XDS_EBUSY): next batch. */
		if (r->rc == XDS_EBUSY &&
		    r->attempts + 1 < STORE_WRITE_RETRIES) {
			r->attempts++;
			r->err[0] = '\0';
			continue;
		}
		if (r->rc == XDS_EBUSY)
			str_fmt(r->err, r->errlen, "registry database busy "
			    "after %d attempts", STORE_WRITE_RETRIES);
		r->settled = 1;
	}
	if (n == 0) {
		/* Nothing to keep: no commit, no fsync. */
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
		return 0;
	}
	if ((rc = exec(c->db, "COMMIT", berr, sizeof berr)) == 0)
		return n;
	sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	for (r = b; r != NULL; r = r->next) {
		if (!r->settled || r->rc != 0)
			continue;
		if (rc == XDS_EBUSY &&
		    r->attempts + 1 < STORE_WRITE_RETRIES) {
			r->attempts++;
			r->settled = 0;
			continue;
		}
		r->rc = rc;
		str_fmt(r->err, r->errlen, "commit: %s", berr);
	}
	return 0;
}

int
store_write(struct store *s, int (*fn)(struct store_conn *, void *),
    void *arg, char *err, size_t errlen)
{
	struct wreq me, *b, *r, *nx, **tail;
	char	 dummy[1];
	size_t	 n;

	if (errlen == 0) {
		err = dummy;
		errlen = sizeof dummy;
	}
	err[0] = '\0';
	memset(&me, 0, sizeof me);
	me.fn = fn;
	me.arg = arg;
	me.err = err;
	me.errlen = errlen;
	/*
	 * Every waiter sleeps on its own condition variable and is woken
	 * once: by the leader that settled it, or to lead the next batch
	 * (the leader hands over to the head of the queue).  A broadcast
	 * woke every queued writer after each batch, and all but one went
	 * back to sleep: one useless wake-up per write.
	 */
	if (pthread_cond_init(&me.cv, NULL) != 0) {
		str_fmt(err, errlen, "out of memory");
		return XDS_EIO;
	}

	pthread_mutex_lock(&s->wmtx);
	if (s->wtail != NULL)
		s->wtail->next = &me;
	else
		s->whead = &me;
	s->wtail = &me;
	while (!me.done) {
		if (s->wleader && !me.lead) {
			pthread_cond_wait(&me.cv, &s->wmtx);
			continue;
		}
		/* Lead: take the head of the queue (us) as one batch. */
		me.lead = 0;
		s->wleader = 1;
		b = s->whead;
		for (r = b, n = 1; r->next != NULL && n < STORE_BATCH_MAX;
		    r = r->next, n++)
			;
		s->whead = r->next;
		if (s->whead == NULL)
			s->wtail = NULL;
		r->next = NULL;
		pthread_mutex_unlock(&s->wmtx);

		n = (size_t)run_batch(s, b);

		pthread_mutex_lock(&s->wmtx);
		if (n > 0) {
			s->nbatch++;
			s->nwrites += n;
		}
		/* Answer the settled ones; those to run again go back to
		 * the head of the queue, in order.  A request is not
		 * touched once its owner holds the mutex again: it may
		 * return at once. */
		tail = &b;
		for (r = b; r != NULL; r = nx) {
			nx = r->next;
			if (r->settled) {
				r->done = 1;
				if (r != &me)
					pthread_cond_signal(&r->cv);
				continue;
			}
			*tail = r;
			tail = &r->next;
		}
		*tail = NULL;
		if (b != NULL) {
			for (r = b; r->next != NULL; r = r->next)
				;
			r->next = s->whead;
			if (s->whead == NULL)
				s->wtail = r;
			s->whead = b;
		}
		/* Hand over to the next writer in the queue (it arrived
		 * while we ran), or lead again when we are that writer. */
		s->wleader = 0;
		if (s->whead != NULL && s->whead != &me) {
			s->wleader = 1;
			s->whead->lead = 1;
			pthread_cond_signal(&s->whead->cv);
		}
	}
	pthread_mutex_unlock(&s->wmtx);
	pthread_cond_destroy(&me.cv);
	return me.rc;
}

size_t
store_queued(struct store *s)
{
	struct wreq *r;
	size_t n = 0;

	pthread_mutex_lock(&s->wmtx);
	for (r = s->whead; r != NULL; r = r->next)
		n++;
	pthread_mutex_unlock(&s->wmtx);
	return n;
}

void
store_stats(struct store *s, unsigned long long *writes,
    unsigned long long *commits)
{
	pthread_mutex_lock(&s->wmtx);
	*writes = s->nwrites;
	*commits = s->nbatch;
	pthread_mutex_unlock(&s->wmtx);
}

int
store_read(struct store *s, int (*fn)(struct store_conn *, void *),
    void *arg, char *err, size_t errlen)
{
	if (errlen > 0)
		err[0] = '\0';
	return run_txn(s, "BEGIN", fn, arg, err, errlen);
}
