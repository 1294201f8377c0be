/*
 * test_push.c: the push jobs' database (push/push_db.h): a job's life
 * (queued, taken, items recorded, queued again with its next try, done
 * once every instance is committed), an attempt that listed no items is
 * never done, retry and cancel by state, a job left sending by a crash
 * queued again, the counts for /metrics, a routed job made once, storage
 * commitment reports of a transaction (push_report.c); the
 * sender's watch woken by another connection's write and by a poke;
 * in proxy mode, an instance fetched from the PACS refused unless its
 * SOP Instance UID and study are those asked for.
 */
#include "config.h"

#include "cutest.h"
#include <string.h>

#include "push_db.h"
#include "push_fetch.h"
#include "push_notify.h"
#include "push_watch.h"
#include "testutil.h"

static char dir[512];
static struct push_db *db;

static int
setup(void)
{
	char err[256];

	if (testutil_tmpdir("push", dir, sizeof dir) != 0 ||
	    push_db_open(dir, &db, err, sizeof err) != XDS_OK)
		return -1;
	return 0;
}

static int
teardown(void)
{
	push_db_close(db);
	testutil_rmtree(dir);
	return 0;
}

static void
item(struct push_item *it, const char *sop, const char *state)
{
	memset(it, 0, sizeof *it);
	strcpy(it->sop_uid, sop);
	strcpy(it->series_uid, "1.2.3.1");
	strcpy(it->sop_class, "1.2.840.10008.5.1.4.1.1.7");
	strcpy(it->ts, "1.2.840.10008.1.2.1");
	strcpy(it->state, state);
}


static int
stop_at_first(void *arg, const struct push_item *it)
{
	(void)arg;
	(void)it;
	return 1;
}

static int
count_items(void *arg, const struct push_item *it)
{
	(void)it;
	(*(int *)arg)++;
	return 0;
}

static void
test_life(void)
{
	struct push_item it[2];
	struct push_job j;
	char err[256];
	int nitems = 0;
	long long id;

	CU_ASSERT_EQUAL(push_db_add(db, "00007002", "1.2.3", NULL, 100, &id,
	    err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(push_db_take(db, 99, &j, err, sizeof err),
	    XDS_ENOTFOUND);
	CU_ASSERT_EQUAL(push_db_take(db, 100, &j, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(j.id, id);
	CU_ASSERT_STRING_EQUAL(j.state, "sending");
	CU_ASSERT_EQUAL(j.attempts, 1);
	/* nothing listed yet: queued again, not done */
	CU_ASSERT_EQUAL(push_db_attempt(db, id, NULL, 0, 101, 0, "down", err,
	    sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(push_db_job(db, id, &j, err, sizeof err), XDS_OK);
	CU_ASSERT_STRING_EQUAL(j.state, "queued");
	CU_ASSERT_STRING_EQUAL(j.last_error, "down");
	CU_ASSERT_EQUAL(j.next_try, 101);
	CU_ASSERT_EQUAL(push_db_take(db, 101, &j, err, sizeof err), XDS_OK);
	item(&it[0], "1.2.3.1.1", "new");
	item(&it[1], "1.2.3.1.2", "new");
	CU_ASSERT_EQUAL(push_db_set_items(db, id, it, 2, err, sizeof err),
	    XDS_OK);
	/* a reader that stops (a list at its bound) is an error, not a
	 * short list taken for the whole */
	CU_ASSERT_EQUAL(push_db_items(db, id, stop_at_first, NULL, err,
	    sizeof err), XDS_ETOOBIG);
	CU_ASSERT_EQUAL(push_db_items(db, id, count_items, &nitems, err,
	    sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(nitems, 2);
	strcpy(it[0].state, "committed");
	strcpy(it[1].state, "stored");
	CU_ASSERT_EQUAL(push_db_attempt(db, id, it, 2, 103, 0, "1 of 2", err,
	    sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(push_db_job(db, id, &j, err, sizeof err), XDS_OK);
	CU_ASSERT_STRING_EQUAL(j.state, "queued");
	CU_ASSERT_EQUAL(j.instances, 2);
	CU_ASSERT_EQUAL(j.committed, 1);
	/* a crash while sending: queued again at start */
	CU_ASSERT_EQUAL(push_db_take(db, 103, &j, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(push_db_requeue(db, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(push_db_take(db, 103, &j, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(j.attempts, 4);
	strcpy(it[1].state, "committed");
	CU_ASSERT_EQUAL(push_db_attempt(db, id, &it[1], 1, 104, 0, "", err,
	    sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(push_db_job(db, id, &j, err, sizeof err), XDS_OK);
	CU_ASSERT_STRING_EQUAL(j.state, "done");
	CU_ASSERT_EQUAL(j.committed, 2);
	/* done: neither retried nor cancelled */
	CU_ASSERT_EQUAL(push_db_retry(db, id, 200, err, sizeof err),
	    XDS_EINVAL);
	CU_ASSERT_EQUAL(push_db_cancel(db, id, err, sizeof err), XDS_EINVAL);
}

static void
test_fail_retry_cancel(void)
{
	struct push_job j;
	long long id, n[PUSH_NSTATES];
	char err[256];

	CU_ASSERT_EQUAL(push_db_add(db, "urn:oid:1.2.3", "1.2.4", NULL, 300,
	    &id, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(push_db_take(db, 300, &j, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(push_db_fail(db, id, "not in the directory", err,
	    sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(push_db_job(db, id, &j, err, sizeof err), XDS_OK);
	CU_ASSERT_STRING_EQUAL(j.state, "failed");
	CU_ASSERT_EQUAL(push_db_retry(db, id, 400, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(push_db_job(db, id, &j, err, sizeof err), XDS_OK);
	CU_ASSERT_STRING_EQUAL(j.state, "queued");
	CU_ASSERT_EQUAL(j.started, 400);
	CU_ASSERT_EQUAL(push_db_cancel(db, id, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(push_db_take(db, 1000, &j, err, sizeof err),
	    XDS_ENOTFOUND);
	CU_ASSERT_EQUAL(push_db_retry(db, id, 500, err, sizeof err),
	    XDS_EINVAL);
	CU_ASSERT_EQUAL(push_db_job(db, 999, &j, err, sizeof err),
	    XDS_ENOTFOUND);
	CU_ASSERT_EQUAL(push_db_counts(db, n, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(n[2], 1);	/* done (test_life) */
	CU_ASSERT_EQUAL(n[4], 1);	/* cancelled */
}

/* A job with an origin (a route) is made once: the second push_db_add,
 * as after a crash between making the job and marking the route, and
 * after the database was closed and opened again, finds the first. */
static void
test_once(void)
{
	struct push_job j;
	long long id, id2, id3, n[PUSH_NSTATES];
	char err[256];

	CU_ASSERT_EQUAL(push_db_add(db, "00007002", "1.2.5", "route:TWIIN_B",
	    600, &id, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(push_db_take(db, 600, &j, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(j.id, id);
	push_db_close(db);
	CU_ASSERT_EQUAL_FATAL(push_db_open(dir, &db, err, sizeof err),
	    XDS_OK);
	CU_ASSERT_EQUAL(push_db_add(db, "00007002", "1.2.5", "route:TWIIN_B",
	    700, &id2, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(id2, id);
	CU_ASSERT_EQUAL(push_db_job(db, id, &j, err, sizeof err), XDS_OK);
	CU_ASSERT_STRING_EQUAL(j.state, "sending");	/* untouched */
	CU_ASSERT_EQUAL(j.created, 600);
	/* another destination or origin, or none: a job of its own */
	CU_ASSERT_EQUAL(push_db_add(db, "00007003", "1.2.5", "route:TWIIN_B",
	    700, &id2, err, sizeof err), XDS_OK);
	CU_ASSERT_NOT_EQUAL(id2, id);
	CU_ASSERT_EQUAL(push_db_add(db, "00007002", "1.2.5", "route:TWIIN_C",
	    700, &id3, err, sizeof err), XDS_OK);
	CU_ASSERT(id3 != id && id3 != id2);
	CU_ASSERT_EQUAL(push_db_add(db, "00007002", "1.2.5", NULL, 700, &id2,
	    err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(push_db_add(db, "00007002", "1.2.5", NULL, 700, &id3,
	    err, sizeof err), XDS_OK);
	CU_ASSERT(id2 != id3 && id2 != id);
	CU_ASSERT_EQUAL(push_db_counts(db, n, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(n[1], 1);	/* sending: the routed job, once */
	CU_ASSERT_EQUAL(n[0], 4);	/* queued: the others */
}

/* The sender's watch: a job another connection writes (xdsctl push)
 * wakes it, a poke wakes it, nothing else does. */
static void
test_watch(void)
{
	struct push_watch *w;
	struct push_db *other;
	char err[256];
	long long id;

	CU_ASSERT_EQUAL_FATAL(push_watch_open(dir, &w, err, sizeof err),
	    XDS_OK);
	CU_ASSERT_EQUAL(push_watch_ok(w), 1);
	while (push_watch_wait(w, 0) == 1)
		;	/* what the tests before wrote */
	CU_ASSERT_EQUAL(push_watch_wait(w, 20), 0);
	CU_ASSERT_EQUAL_FATAL(push_db_open(dir, &other, err, sizeof err),
	    XDS_OK);
	CU_ASSERT_EQUAL(push_db_add(other, "00007002", "1.2.6", NULL, 800,
	    &id, err, sizeof err), XDS_OK);
	push_db_close(other);
	CU_ASSERT_EQUAL(push_watch_wait(w, 30000), 1);
	while (push_watch_wait(w, 0) == 1)
		;
	push_watch_poke(w);
	CU_ASSERT_EQUAL(push_watch_wait(w, 30000), 1);
	CU_ASSERT_EQUAL(push_watch_wait(w, 0), 0);
	push_watch_close(w);
}

/* Storage commitment reports on push.listen: a job's transaction found
 * while it is sending or queued, a report during the attempt kept by
 * the attempt's record, a failed instance new again, the job due at
 * once, the transaction forgotten at the next take. */
static void
test_report(void)
{
	const char *ok[] = { "1.2.9.1.1" }, *bad[] = { "1.2.9.1.2" };
	struct push_item it[2];
	struct push_job j;
	char err[256];
	long long id;
	size_t newly;

	CU_ASSERT_EQUAL(push_db_add(db, "00007009", "1.2.9", NULL, 500, &id,
	    err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(push_db_take(db, 500, &j, err, sizeof err), XDS_OK);
	item(&it[0], "1.2.9.1.1", "new");
	item(&it[1], "1.2.9.1.2", "new");
	CU_ASSERT_EQUAL(push_db_set_items(db, id, it, 2, err, sizeof err),
	    XDS_OK);
	CU_ASSERT_EQUAL(push_db_by_txn(db, "1.2.9.9", &j, err, sizeof err),
	    XDS_ENOTFOUND);
	CU_ASSERT_EQUAL(push_db_set_txn(db, id, "1.2.9.9", err, sizeof err),
	    XDS_OK);
	CU_ASSERT_EQUAL(push_db_by_txn(db, "1.2.9.9", &j, err, sizeof err),
	    XDS_OK);
	CU_ASSERT_EQUAL(j.id, id);
	CU_ASSERT_STRING_EQUAL(j.txn, "1.2.9.9");
	/* the report comes before the attempt is recorded */
	CU_ASSERT_EQUAL(push_db_report(db, "1.2.9.9", id, ok, 1, NULL, 0,
	    505, &newly, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(newly, 1);
	strcpy(it[0].state, "stored");
	strcpy(it[1].state, "stored");
	CU_ASSERT_EQUAL(push_db_await(db, id, it, 2, 600, 510, "awaited",
	    err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(push_db_job(db, id, &j, err, sizeof err), XDS_OK);
	CU_ASSERT_STRING_EQUAL(j.state, "queued");
	CU_ASSERT_EQUAL(j.next_try, 600);
	CU_ASSERT_EQUAL(j.committed, 1);
	CU_ASSERT_STRING_EQUAL(j.txn, "1.2.9.9");
	/* another transaction, another job's id: nothing changes */
	CU_ASSERT_EQUAL(push_db_report(db, "1.2.9.8", id, NULL, 0, bad, 1,
	    515, &newly, err, sizeof err), XDS_ENOTFOUND);
	CU_ASSERT_EQUAL(push_db_report(db, "1.2.9.9", id + 1, NULL, 0, bad, 1,
	    515, &newly, err, sizeof err), XDS_ENOTFOUND);
	/* the failed one is new again, the job due at once */
	CU_ASSERT_EQUAL(push_db_report(db, "1.2.9.9", id, NULL, 0, bad, 1,
	    520, &newly, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(newly, 0);
	CU_ASSERT_EQUAL(push_db_job(db, id, &j, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(j.next_try, 520);
	CU_ASSERT_EQUAL(push_db_take(db, 520, &j, err, sizeof err), XDS_OK);
	CU_ASSERT_STRING_EQUAL(j.txn, "");
	CU_ASSERT_EQUAL(push_db_by_txn(db, "1.2.9.9", &j, err, sizeof err),
	    XDS_ENOTFOUND);
	/* all committed while awaiting: due at once, not done there */
	strcpy(it[1].state, "committed");
	CU_ASSERT_EQUAL(push_db_await(db, id, &it[1], 1, 700, 530, "awaited",
	    err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(push_db_job(db, id, &j, err, sizeof err), XDS_OK);
	CU_ASSERT_STRING_EQUAL(j.state, "queued");
	CU_ASSERT_EQUAL(j.next_try, 530);
	CU_ASSERT_EQUAL(j.committed, 2);
	CU_ASSERT_EQUAL(push_db_take(db, 530, &j, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(push_db_attempt(db, id, NULL, 0, 540, 0, "", err,
	    sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(push_db_job(db, id, &j, err, sizeof err), XDS_OK);
	CU_ASSERT_STRING_EQUAL(j.state, "done");
}

static void
test_notify_split(void)
{
	char buf[64], *argv[4];

	CU_ASSERT_EQUAL(push_notify_split("/usr/bin/logger -t  xds", buf,
	    sizeof buf, argv, 4), 3);
	CU_ASSERT_STRING_EQUAL(argv[0], "/usr/bin/logger");
	CU_ASSERT_STRING_EQUAL(argv[1], "-t");
	CU_ASSERT_STRING_EQUAL(argv[2], "xds");
	CU_ASSERT_PTR_NULL(argv[3]);
	/* no shell: a relative program, too many words, nothing, too long */
	CU_ASSERT_EQUAL(push_notify_split("logger x", buf, sizeof buf, argv,
	    4), -1);
	CU_ASSERT_EQUAL(push_notify_split("/bin/a b c d", buf, sizeof buf,
	    argv, 4), -1);
	CU_ASSERT_EQUAL(push_notify_split(" \t ", buf, sizeof buf, argv, 4),
	    -1);
	CU_ASSERT_EQUAL(push_notify_split("/bin/true "
	    "0123456789012345678901234567890123456789012345678901234567890123",
	    buf, sizeof buf, argv, 4), -1);
}

static void
test_fetch_check(void)
{
	struct dcmshim_info info;
	char why[256];

	memset(&info, 0, sizeof info);
	strcpy(info.study_uid, "1.2.3");
	strcpy(info.sop_uid, "1.2.3.1.1");
	CU_ASSERT_EQUAL(push_fetch_check(&info, "1.2.3", "1.2.3.1.1", why,
	    sizeof why), 1);
	/* another instance, the right one of another study: refused */
	CU_ASSERT_EQUAL(push_fetch_check(&info, "1.2.3", "1.2.3.1.2", why,
	    sizeof why), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "instance 1.2.3.1.1 for "
	    "1.2.3.1.2: refused"));
	CU_ASSERT_EQUAL(push_fetch_check(&info, "1.2.4", "1.2.3.1.1", why,
	    sizeof why), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "of study 1.2.3, not of 1.2.4"));
	/* a prefix is not the UID */
	CU_ASSERT_EQUAL(push_fetch_check(&info, "1.2.3", "1.2.3.1.11", why,
	    sizeof why), 0);
}

int
main(void)
{
	static const struct cutest tests[] = {
		{ "life", test_life },
		{ "fail_retry_cancel", test_fail_retry_cancel },
		{ "once", test_once },
		{ "watch", test_watch },
		{ "report", test_report },
	};
	static const struct cutest notify[] = {
		{ "split", test_notify_split },
	};
	static const struct cutest fetch[] = {
		{ "check", test_fetch_check },
	};
	static const struct cutest_suite suites[] = {
		{ "push_db", setup, teardown, tests, NELEM(tests) },
		{ "push_notify", NULL, NULL, notify, NELEM(notify) },
		{ "push_fetch", NULL, NULL, fetch, NELEM(fetch) },
	};

	return cutest_run_suites(suites, NELEM(suites));
}
