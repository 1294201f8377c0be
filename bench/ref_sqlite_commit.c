/*
 * ref_sqlite_commit: the reference for bench_submit: the same number of
 * durable SQLite transactions (WAL, synchronous=FULL, BEGIN IMMEDIATE,
 * one small row each) from THREADS connections, with nothing else: the
 * floor a durable registry pays per submission on this disk.
 *
 *	ref_sqlite_commit DBFILE THREADS COUNT
 */
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>

#include "benchutil.h"

static const char *path;
static int total;
static atomic_int next_i, errors;

static void *
worker(void *arg)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int i;

	(void)arg;
	sqlite3_open(path, &db);
	sqlite3_busy_timeout(db, 10000);
	sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", 0, 0, 0);
	sqlite3_prepare_v2(db, "INSERT INTO t(k, v) VALUES (?, ?)", -1, &st, NULL);
	while ((i = atomic_fetch_add(&next_i, 1)) < total) {
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", 0, 0, 0) != SQLITE_OK) {
			atomic_fetch_add(&errors, 1);
			continue;
		}
		sqlite3_bind_int(st, 1, i);
		sqlite3_bind_text(st, 2, "1.3.6.1.4.1.21367.13.70.9.1", -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			atomic_fetch_add(&errors, 1);
		sqlite3_reset(st);
		if (sqlite3_exec(db, "COMMIT", 0, 0, 0) != SQLITE_OK)
			atomic_fetch_add(&errors, 1);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return NULL;
}

int
main(int argc, char **argv)
{
	sqlite3 *db;
	double el;
	int n;

	if (argc != 4) {
		fprintf(stderr, "usage: ref_sqlite_commit DBFILE THREADS COUNT\n");
		return 2;
	}
	path = argv[1];
	n = bench_count(argv[2], "THREADS");
	total = bench_count(argv[3], "COUNT");
	sqlite3_open(path, &db);
	sqlite3_exec(db, "PRAGMA journal_mode=WAL; CREATE TABLE IF NOT EXISTS "
	    "t(k INTEGER PRIMARY KEY, v TEXT)", 0, 0, 0);
	sqlite3_close(db);
	el = bench_threads(n, worker, NULL);
	printf("transactions=%d threads=%d seconds=%.2f per_second=%.0f errors=%d\n",
	    total, n, el, total / el, atomic_load(&errors));
	return 0;
}
