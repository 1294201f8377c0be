/*
 * test_audit.c: the access log's hash chain (seal, head, verify over
 * changed, deleted and torn records) and the ATNA audit messages of each
 * transaction, side and outcome, valid against the DICOM audit message
 * schema (check/schema/dicom-audit-message.rng), and that schema's rules.
 * The past days: compressed once over and sent, read back, removed after
 * the retention time, with the clock moved instead of waited for.  The
 * sender held back by a day it cannot read: one warning a minute, not
 * one per attempt.
 */
#include "config.h"

#include "cutest.h"
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/relaxng.h>

#include <zlib.h>

#include "atna.h"
#include "audit.h"
#include "audit_chain.h"
#include "audit_int.h"
#include "audit_keep.h"
#include "audit_send.h"
#include "clock.h"
#include "buf.h"
#include "log.h"
#include "status.h"
#include "str.h"
#include "testutil.h"
#include "vocab.h"
#include "xact.h"

#define ZEROS "0000000000000000000000000000000000000000000000000000000000000000"

static const struct atna_site site = {
	"xdsnode-test", "Test Hospital", "10.0.0.1",
	"urn:oid:1.3.6.1.4.1.21367.13.70.1", "1.3.6.1.4.1.21367.13.71.1", 4242
};

/* ---- the chain ---- */

/* A record as the log writes it, linked to *head; *head becomes its hash. */
static void
add_record(struct buf *file, const char *body, char *head)
{
	struct buf b;
	char hex[AUDIT_CHAIN_HEX];

	buf_init(&b, 4096);
	CU_ASSERT_EQUAL(buf_addf(&b, "{\"event\":\"%s\"}\n", body), XDS_OK);
	CU_ASSERT_EQUAL(audit_chain_seal(&b, head, hex), XDS_OK);
	CU_ASSERT_EQUAL(buf_add(file, b.b_data, b.b_len), XDS_OK);
	str_lcpy(head, hex, AUDIT_CHAIN_HEX);
	buf_free(&b);
}

static void
test_chain_seal(void)
{
	struct buf b;
	char hex[AUDIT_CHAIN_HEX], again[AUDIT_CHAIN_HEX];

	buf_init(&b, 4096);
	CU_ASSERT_EQUAL(buf_adds(&b, "{\"a\":1}\n"), XDS_OK);
	CU_ASSERT_EQUAL(audit_chain_seal(&b, ZEROS, hex), XDS_OK);
	CU_ASSERT_STRING_EQUAL(b.b_data, "{\"a\":1,\"prev\":\"" ZEROS "\"}\n");
	CU_ASSERT_EQUAL(b.b_len, 8 + AUDIT_CHAIN_FIELD - 2 + 1);
	audit_chain_hash(b.b_data, b.b_len - 1, again);
	CU_ASSERT_STRING_EQUAL(hex, again);
	/* SHA-256 of "abc" */
	audit_chain_hash("abc", 3, again);
	CU_ASSERT_STRING_EQUAL(again, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	buf_reset(&b);
	CU_ASSERT_EQUAL(buf_adds(&b, "not a record"), XDS_OK);
	CU_ASSERT_EQUAL(audit_chain_seal(&b, ZEROS, hex), XDS_EFORMAT);
	buf_free(&b);
}

static void
write_log(const char *dir, const char *name, const struct buf *b)
{
	char path[1024];

	str_fmt(path, sizeof path, "%s/%s", dir, name);
	CU_ASSERT_EQUAL(testutil_write_file(path, b->b_data, b->b_len), 0);
}

static void
test_chain_verify(void)
{
	struct audit_verify v;
	struct buf d1, d2, bad;
	char dir[512], head[AUDIT_CHAIN_HEX] = ZEROS, got[AUDIT_CHAIN_HEX];
	char err[256], path[1024], *p;
	int fd;

	CU_ASSERT_EQUAL_FATAL(testutil_tmpdir("audit-chain", dir, sizeof dir),
	    0);
	CU_ASSERT_EQUAL(audit_chain_head(dir, got, err, sizeof err), XDS_OK);
	CU_ASSERT_STRING_EQUAL(got, ZEROS);
	buf_init(&d1, 1 << 16);
	buf_init(&d2, 1 << 16);
	buf_init(&bad, 1 << 18);
	/* Two records written before the chain began, then three days. */
	CU_ASSERT_EQUAL(buf_adds(&d1, "{\"event\":\"old\"}\n"), XDS_OK);
	audit_chain_hash("{\"event\":\"old\"}", 15, head);
	add_record(&d1, "ITI-18", head);
	add_record(&d1, "ITI-42", head);
	add_record(&d2, "ITI-43", head);
	add_record(&d2, "ITI-62", head);
	write_log(dir, "access-2026-01-01.jsonl", &d1);
	write_log(dir, "access-2026-01-02.jsonl", &d2);
	CU_ASSERT_EQUAL(testutil_write_text(strcat(strcpy(path, dir),
	    "/access-2026-01-03.jsonl"), ""), 0);
	CU_ASSERT_EQUAL(audit_chain_head(dir, got, err, sizeof err), XDS_OK);
	CU_ASSERT_STRING_EQUAL(got, head);
	fd = open(strcat(strcpy(path, dir), "/access-2026-01-02.jsonl"),
	    O_RDONLY);
	CU_ASSERT_EQUAL(audit_chain_last(fd, got), 1);
	CU_ASSERT_STRING_EQUAL(got, head);
	close(fd);

	CU_ASSERT_EQUAL(audit_verify(dir, &v, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(v.broken, 0);
	CU_ASSERT_EQUAL(v.files, 3);
	CU_ASSERT_EQUAL(v.records, 5);
	CU_ASSERT_EQUAL(v.unchained, 1);

	/* A changed record: the one after it is broken, and names it. */
	CU_ASSERT_EQUAL(buf_add(&bad, d1.b_data, d1.b_len), XDS_OK);
	p = strstr(bad.b_data, "ITI-42");
	p[5] = '3';
	write_log(dir, "access-2026-01-01.jsonl", &bad);
	CU_ASSERT_EQUAL(audit_verify(dir, &v, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(v.broken, 1);
	CU_ASSERT_STRING_EQUAL(v.file, "access-2026-01-02.jsonl");
	CU_ASSERT_EQUAL(v.line, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(v.what,
	    "access-2026-01-01.jsonl line 3"));

	/* A deleted record: the one after the gap. */
	write_log(dir, "access-2026-01-01.jsonl", &d1);
	buf_reset(&bad);
	p = strchr(d2.b_data, '\n') + 1;
	CU_ASSERT_EQUAL(buf_add(&bad, p, d2.b_len - (size_t)(p - d2.b_data)),
	    XDS_OK);
	write_log(dir, "access-2026-01-02.jsonl", &bad);
	CU_ASSERT_EQUAL(audit_verify(dir, &v, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(v.broken, 1);
	CU_ASSERT_STRING_EQUAL(v.file, "access-2026-01-02.jsonl");
	CU_ASSERT_EQUAL(v.line, 1);

	/* A link removed after the chain began; a torn tail. */
	buf_reset(&bad);
	CU_ASSERT_EQUAL(buf_add(&bad, d2.b_data, d2.b_len), XDS_OK);
	CU_ASSERT_EQUAL(buf_adds(&bad, "{\"event\":\"x\"}\n"), XDS_OK);
	write_log(dir, "access-2026-01-02.jsonl", &bad);
	CU_ASSERT_EQUAL(audit_verify(dir, &v, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(v.broken, 1);
	CU_ASSERT_EQUAL(v.line, 3);
	CU_ASSERT_PTR_NOT_NULL(strstr(v.what, "prev"));
	bad.b_len--;
	write_log(dir, "access-2026-01-02.jsonl", &bad);
	CU_ASSERT_EQUAL(audit_verify(dir, &v, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(v.broken, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(v.what, "torn"));
	/* The head is the last whole record, whatever is torn after it. */
	fd = open(strcat(strcpy(path, dir), "/access-2026-01-02.jsonl"),
	    O_RDONLY);
	CU_ASSERT_EQUAL(audit_chain_last(fd, got), 1);
	CU_ASSERT_STRING_EQUAL(got, head);
	close(fd);

	/* A line longer than any record. */
	buf_reset(&bad);
	CU_ASSERT_EQUAL(buf_add(&bad, d2.b_data, d2.b_len), XDS_OK);
	while (bad.b_len < d2.b_len + AUDIT_LINE_MAX + 10 &&
	    buf_adds(&bad, "xxxxxxxx") == XDS_OK)
		;
	CU_ASSERT_EQUAL(buf_adds(&bad, "\n"), XDS_OK);
	write_log(dir, "access-2026-01-02.jsonl", &bad);
	CU_ASSERT_EQUAL(audit_verify(dir, &v, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(v.broken, 1);
	CU_ASSERT_EQUAL(v.line, 3);
	CU_ASSERT_PTR_NOT_NULL(strstr(v.what, "longer"));

	/* The first file removed: the chain does not begin where it did. */
	write_log(dir, "access-2026-01-02.jsonl", &d2);
	unlink(strcat(strcpy(path, dir), "/access-2026-01-01.jsonl"));
	CU_ASSERT_EQUAL(audit_verify(dir, &v, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(v.broken, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(v.what, "removed"));
	buf_free(&d1);
	buf_free(&d2);
	buf_free(&bad);
	testutil_rmtree(dir);
}

/* ---- the past days ---- */

/* YYYY-MM-DD of the injected clock plus days. */
static void
day_at(int days, char out[16])
{
	time_t t = (time_t)(clock_wall() + days * 86400LL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 16, "%Y-%m-%d", &tm);
}

static int
exists(const char *dir, const char *day, const char *suffix)
{
	char path[1200];
	struct stat st;

	str_fmt(path, sizeof path, "%s/access-%s.jsonl%s", dir, day, suffix);
	return stat(path, &st) == 0;
}

/* Records for patient in every day file, as xdsctl audit reads them. */
static int
count_patient(const char *dir, const char *patient)
{
	char path[1200], line[8192], **names = NULL, err[256];
	size_t n = 0, i;
	int hits = 0;
	gzFile gz;

	CU_ASSERT_EQUAL_FATAL(audit_log_list(dir, &names, &n, err,
	    sizeof err), XDS_OK);
	for (i = 0; i < n; i++) {
		str_fmt(path, sizeof path, "%s/%s", dir, names[i]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(gz = gzopen(path, "rb"));
		while (gzgets(gz, line, sizeof line) != NULL)
			hits += strstr(line, patient) != NULL;
		CU_ASSERT_EQUAL(audit_gz_failed(gz, err, sizeof err), 0);
		gzclose(gz);
	}
	audit_log_free(names, n);
	return hits;
}

static void
write_day(const char *patient)
{
	struct xact x;

	memset(&x, 0, sizeof x);
	str_lcpy(x.txn, "ITI-43", sizeof x.txn);
	str_lcpy(x.peer, "anonymous", sizeof x.peer);
	str_lcpy(x.patient, patient, sizeof x.patient);
	CU_ASSERT_EQUAL(audit_write(&x), XDS_OK);
	CU_ASSERT_EQUAL(audit_write(&x), XDS_OK);
}

static void
write_cursor(const char *dir, const char *day, long long off)
{
	char path[1200], text[128];

	str_fmt(path, sizeof path, "%s/outbox", dir);
	(void)mkdir(path, 0700);
	str_fmt(path, sizeof path, "%s/" AUDIT_SEND_CURSOR, dir);
	str_fmt(text, sizeof text, "access-%s.jsonl %lld 7\n", day, off);
	CU_ASSERT_EQUAL(testutil_write_text(path, text), 0);
}

static void
test_keep(void)
{
	struct audit_keep_opts ko = { 0, 0 };
	struct audit_keep_result kr;
	struct audit_verify v;
	char state[512], dir[600], err[256], path[1200], path2[1200];
	char d1[16], d2[16], d3[16], head[AUDIT_CHAIN_HEX], got[AUDIT_CHAIN_HEX];
	const char *pat = "999911120^^^&2.16.840.1.113883.2.4.6.3&ISO";
	struct stat st;
	char *data;
	size_t len;

	CU_ASSERT_EQUAL_FATAL(testutil_tmpdir("audit-keep", state,
	    sizeof state), 0);
	str_fmt(dir, sizeof dir, "%s/audit", state);
	CU_ASSERT_EQUAL_FATAL(audit_open(state, 0, err, sizeof err), XDS_OK);
	/* Records over three days, the clock moved a day at a time. */
	day_at(0, d1);
	write_day(pat);
	clock_test_advance(86400);
	day_at(0, d2);
	write_day(pat);
	clock_test_advance(86400);
	day_at(0, d3);
	write_day(pat);
	CU_ASSERT(exists(dir, d1, "") && exists(dir, d2, "") &&
	    exists(dir, d3, ""));
	CU_ASSERT_EQUAL(audit_chain_head(dir, head, err, sizeof err), XDS_OK);

	/* ATNA to a repository that never answered: its cursor still at the
	 * start of the second day, which is not compressed. */
	ko.atna = 1;
	CU_ASSERT_EQUAL(audit_keep_pass(dir, clock_wall(), &ko, &kr, err,
	    sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(kr.compressed, 0);	/* no cursor: nothing sent */
	write_cursor(dir, d2, 0);
	CU_ASSERT_EQUAL(audit_keep_pass(dir, clock_wall(), &ko, &kr, err,
	    sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(kr.compressed, 1);
	CU_ASSERT_EQUAL(kr.unsent, 1);
	CU_ASSERT(exists(dir, d1, ".gz") && !exists(dir, d1, ""));
	CU_ASSERT(exists(dir, d2, "") && !exists(dir, d2, ".gz"));
	/* The whole second day sent: compressed; never today's. */
	str_fmt(path, sizeof path, "%s/access-%s.jsonl", dir, d2);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	write_cursor(dir, d2, (long long)st.st_size);
	CU_ASSERT_EQUAL(audit_keep_pass(dir, clock_wall(), &ko, &kr, err,
	    sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(kr.compressed, 1);
	CU_ASSERT(exists(dir, d2, ".gz") && !exists(dir, d2, ""));
	CU_ASSERT(exists(dir, d3, "") && !exists(dir, d3, ".gz"));

	/* Every record read across .gz and .jsonl; the chain goes on. */
	CU_ASSERT_EQUAL(count_patient(dir, pat), 6);
	CU_ASSERT_EQUAL(audit_verify(dir, &v, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(v.broken, 0);
	CU_ASSERT_EQUAL(v.files, 3);
	CU_ASSERT_EQUAL(v.records, 6);
	CU_ASSERT_STRING_EQUAL(v.begins, "");

	/* The head read at start from a compressed day: a new day, the
	 * last one compressed, the log opened again. */
	audit_close();
	clock_test_advance(86400);
	CU_ASSERT_EQUAL(audit_open(state, 0, err, sizeof err), XDS_OK);
	ko.atna = 0;
	CU_ASSERT_EQUAL(audit_keep_pass(dir, clock_wall(), &ko, &kr, err,
	    sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(kr.compressed, 1);
	CU_ASSERT(exists(dir, d3, ".gz") && !exists(dir, d3, ""));
	CU_ASSERT_EQUAL(audit_chain_head(dir, got, err, sizeof err), XDS_OK);
	CU_ASSERT_STRING_EQUAL(got, head);
	write_day(pat);
	CU_ASSERT_EQUAL(audit_verify(dir, &v, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(v.broken, 0);
	CU_ASSERT_EQUAL(v.records, 8);

	/* A crash between the rename and the unlink: both forms of the
	 * first day, and a stale .gz.tmp of the second.  The plain file is
	 * the day, read once; the next pass finishes. */
	str_fmt(path, sizeof path, "%s/access-%s.jsonl.gz", dir, d1);
	{
		gzFile gz = gzopen(path, "rb");
		char buf[65536];
		int n;

		CU_ASSERT_PTR_NOT_NULL_FATAL(gz);
		n = gzread(gz, buf, sizeof buf);
		CU_ASSERT(n > 0);
		gzclose(gz);
		str_fmt(path2, sizeof path2, "%s/access-%s.jsonl", dir, d1);
		CU_ASSERT_EQUAL(testutil_write_file(path2, buf, (size_t)n), 0);
	}
	str_fmt(path2, sizeof path2, "%s/access-%s.jsonl.gz.tmp", dir, d2);
	CU_ASSERT_EQUAL(testutil_write_text(path2, "half"), 0);
	CU_ASSERT_EQUAL(count_patient(dir, pat), 8);
	CU_ASSERT_EQUAL(audit_verify(dir, &v, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(v.broken, 0);
	CU_ASSERT_EQUAL(v.records, 8);
	CU_ASSERT_EQUAL(audit_keep_pass(dir, clock_wall(), &ko, &kr, err,
	    sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(kr.compressed, 1);
	CU_ASSERT(exists(dir, d1, ".gz") && !exists(dir, d1, ""));
	CU_ASSERT_NOT_EQUAL(stat(path2, &st), 0);
	CU_ASSERT_EQUAL(count_patient(dir, pat), 8);

	/* A damaged .gz is an error, not a short day. */
	str_fmt(path, sizeof path, "%s/access-%s.jsonl.gz", dir, d2);
	data = testutil_read_file(path, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(data);
	CU_ASSERT_EQUAL(testutil_write_file(path, data, len - 12), 0);
	CU_ASSERT_EQUAL(audit_verify(dir, &v, err, sizeof err), XDS_EIO);
	CU_ASSERT_EQUAL(testutil_write_file(path, data, len), 0);
	free(data);

	/* Retention of one day, the clock three days past the first: the
	 * first two days go, never one the sender still needs. */
	ko.retention_days = 1;
	ko.atna = 1;
	write_cursor(dir, d1, 0);
	str_fmt(path, sizeof path, "%s/access-%s.jsonl.gz", dir, d1);
	CU_ASSERT_EQUAL(audit_keep_pass(dir, clock_wall(), &ko, &kr, err,
	    sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(kr.removed, 0);	/* compressed while the sender was
					 * off: it reads d1 from its .gz */
	CU_ASSERT(exists(dir, d1, ".gz"));
	write_cursor(dir, d2, 0);
	CU_ASSERT_EQUAL(audit_keep_pass(dir, clock_wall(), &ko, &kr, err,
	    sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(kr.removed, 1);	/* the sender has passed d1 */
	CU_ASSERT(!exists(dir, d1, ".gz"));
	CU_ASSERT(exists(dir, d2, ".gz"));
	ko.atna = 0;
	CU_ASSERT_EQUAL(audit_keep_pass(dir, clock_wall(), &ko, &kr, err,
	    sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(kr.removed, 1);
	CU_ASSERT(!exists(dir, d2, ".gz") && exists(dir, d3, ".gz"));
	CU_ASSERT_EQUAL(audit_verify(dir, &v, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(v.broken, 0);
	CU_ASSERT_EQUAL(v.records, 4);
	CU_ASSERT_STRING_EQUAL(v.begins, d3);
	CU_ASSERT_EQUAL(count_patient(dir, pat), 4);
	/* Without the kept hash, the same state is a break. */
	str_fmt(path, sizeof path, "%s/" AUDIT_CHAIN_START, dir);
	data = testutil_read_file(path, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(data);
	unlink(path);
	CU_ASSERT_EQUAL(audit_verify(dir, &v, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(v.broken, 1);
	CU_ASSERT_EQUAL(testutil_write_file(path, data, len), 0);
	free(data);

	/* Every day removed: the next record goes on from the last one
	 * removed. */
	audit_close();
	clock_test_advance(3 * 86400);
	CU_ASSERT_EQUAL(audit_open(state, 0, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(audit_keep_pass(dir, clock_wall(), &ko, &kr, err,
	    sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(kr.removed, 2);
	CU_ASSERT_EQUAL(count_patient(dir, pat), 0);
	write_day(pat);
	CU_ASSERT_EQUAL(audit_verify(dir, &v, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(v.broken, 0);
	CU_ASSERT_EQUAL(v.records, 2);
	day_at(0, d1);
	CU_ASSERT_STRING_EQUAL(v.begins, d1);

	audit_close();
	clock_test_advance(-6 * 86400);
	testutil_rmtree(state);
}

/* ---- the sender and a day it cannot read ---- */

static unsigned long long unread_seen;

static int
unread_more(void *arg)
{
	struct audit_send_stats st;

	(void)arg;
	audit_send_stats(&st);
	return st.unreadable > unread_seen;
}

/* Kick the sender and wait for its next failed attempt. */
static void
unread_attempt(void)
{
	struct audit_send_stats st;

	audit_send_stats(&st);
	unread_seen = st.unreadable;
	audit_send_kick();
	CU_ASSERT_FATAL(testutil_wait(unread_more, NULL,
	    TESTUTIL_DEADLINE_MS));
}

/* The sender's warnings about dir so far; the newest into newest. */
static int
unread_warnings(const char *dir, char *newest, size_t len)
{
	struct log_line l[LOG_RECENT];
	size_t i, n;
	int count = 0;

	n = log_recent(l, LOG_RECENT);
	newest[0] = '\0';
	for (i = 0; i < n; i++)
		if (l[i].level == LOG_LVL_WARN &&
		    strstr(l[i].text, "audit: ATNA: ") != NULL &&
		    strstr(l[i].text, dir) != NULL) {
			if (count++ == 0)
				str_lcpy(newest, l[i].text, len);
		}
	return count;
}

static int
cursor_moved(void *arg)
{
	char file[64];
	long long off = 0;
	unsigned long long seq;

	return audit_send_cursor_read(arg, file, sizeof file, &off,
	    &seq) == 0 && off > 0;
}

static void
test_send_unreadable(void)
{
	struct audit_send_opts o;
	char state[512], dir[600], day[1200], other[1200], cpath[1200];
	char err[256], last[256];
	const char *at;
	unsigned long long n = 0;
	int i;

	CU_ASSERT_EQUAL_FATAL(testutil_tmpdir("audit-unread", state,
	    sizeof state), 0);
	str_fmt(dir, sizeof dir, "%s/audit", state);
	CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0700), 0);
	write_cursor(dir, "2026-12-01", 0);
	str_fmt(cpath, sizeof cpath, "%s/" AUDIT_SEND_CURSOR, dir);
	/* The day is there but cannot be opened: a link to itself. */
	str_fmt(day, sizeof day, "%s/access-2026-12-01.jsonl", dir);
	CU_ASSERT_EQUAL_FATAL(symlink(day, day), 0);
	memset(&o, 0, sizeof o);
	o.url = "tcp://127.0.0.1:9";	/* never reached: nothing to send */
	o.retry_max_ms = 1000;
	o.site = site;
	CU_ASSERT_EQUAL_FATAL(audit_send_start(state, &o, err, sizeof err),
	    XDS_OK);
	unread_seen = 0;
	CU_ASSERT_FATAL(testutil_wait(unread_more, NULL,
	    TESTUTIL_DEADLINE_MS));
	CU_ASSERT_EQUAL(unread_warnings(dir, last, sizeof last), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(last, "cannot be read ("));

	/* Attempt after attempt within the minute: counted, not said. */
	for (i = 0; i < 5; i++)
		unread_attempt();
	CU_ASSERT_EQUAL(unread_warnings(dir, last, sizeof last), 1);

	/* A minute on: one warning with the attempts since the first. */
	clock_test_advance(61);
	unread_attempt();
	CU_ASSERT_EQUAL(unread_warnings(dir, last, sizeof last), 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(at = strstr(last, "still cannot be "
	    "read ("));
	CU_ASSERT_PTR_NOT_NULL_FATAL(at = strstr(at, "): "));
	CU_ASSERT_EQUAL(sscanf(at, "): %llu attempts", &n), 1);
	CU_ASSERT(n >= 6);
	unread_attempt();
	CU_ASSERT_EQUAL(unread_warnings(dir, last, sizeof last), 2);

	/* Another error: said at once. */
	str_fmt(other, sizeof other, "%s/plain", dir);
	CU_ASSERT_EQUAL(testutil_write_text(other, ""), 0);
	str_fmt(other, sizeof other, "%s/plain/below", dir);
	CU_ASSERT_EQUAL(unlink(day), 0);
	CU_ASSERT_EQUAL_FATAL(symlink(other, day), 0);
	unread_attempt();
	CU_ASSERT_EQUAL(unread_warnings(dir, last, sizeof last), 3);
	CU_ASSERT_PTR_NOT_NULL(strstr(last, "cannot be read ("));
	CU_ASSERT_PTR_NULL(strstr(last, "still"));

	/* Readable: the sender goes on (a line that is no record of an
	 * IHE transaction moves its cursor); unreadable again after that
	 * is a new failure, said at once. */
	CU_ASSERT_EQUAL(unlink(day), 0);
	CU_ASSERT_EQUAL(testutil_write_text(day, "{}\n"), 0);
	audit_send_kick();
	CU_ASSERT(testutil_wait(cursor_moved, cpath, TESTUTIL_DEADLINE_MS));
	CU_ASSERT_EQUAL(unlink(day), 0);
	CU_ASSERT_EQUAL_FATAL(symlink(other, day), 0);
	unread_attempt();
	CU_ASSERT_EQUAL(unread_warnings(dir, last, sizeof last), 4);
	CU_ASSERT_PTR_NULL(strstr(last, "still"));

	audit_send_stop();
	clock_test_advance(-61);
	testutil_rmtree(state);
}

/* ---- ATNA messages ---- */

#define AUDIT_RNG	"check/schema/dicom-audit-message.rng"

static xmlRelaxNGPtr audit_schema;

/* The DICOM audit message schema (PS3.15 A.5.1.1), parsed once. */
static xmlRelaxNGPtr
schema(void)
{
	xmlRelaxNGParserCtxtPtr pc;
	size_t len;
	char *text;

	if (audit_schema == NULL &&
	    (text = testutil_srcdir_file(AUDIT_RNG, &len)) != NULL) {
		pc = xmlRelaxNGNewMemParserCtxt(text, (int)len);
		audit_schema = xmlRelaxNGParse(pc);
		xmlRelaxNGFreeParserCtxt(pc);
		free(text);
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(audit_schema);
	return audit_schema;
}

/* The first validity error into the buffer in arg. */
static void
first_error(void *arg, xmlErrorPtr e)
{
	char *why = arg;

	if (why[0] == '\0')
		str_fmt(why, 512, "line %d: %s", e->line, e->message);
}

/*
 * s (len bytes) against the schema: "" when it is a valid AuditMessage,
 * else the first error, in why (512 bytes).
 */
static const char *
invalid(const char *s, size_t len, char *why)
{
	xmlRelaxNGValidCtxtPtr vc;
	xmlDoc *doc;

	why[0] = '\0';
	doc = xmlReadMemory(s, (int)len, "atna.xml", NULL, XML_PARSE_NONET);
	if (doc == NULL) {
		str_lcpy(why, "not well-formed", 512);
		return why;
	}
	vc = xmlRelaxNGNewValidCtxt(schema());
	xmlRelaxNGSetValidStructuredErrors(vc, first_error, why);
	if (xmlRelaxNGValidateDoc(vc, doc) != 0 && why[0] == '\0')
		str_lcpy(why, "invalid", 512);
	xmlRelaxNGFreeValidCtxt(vc);
	xmlFreeDoc(doc);
	return why;
}

/* The message of x, valid against the schema; the text, to free. */
static char *
message(const struct xact *x)
{
	struct buf b;
	size_t len;
	char *s, why[512];

	buf_init(&b, 1 << 16);
	CU_ASSERT_EQUAL_FATAL(atna_message(x, "2026-12-06T10:00:00.123Z",
	    &site, &b), XDS_OK);
	s = buf_take(&b, &len);
	if (invalid(s, len, why)[0] != '\0')
		fprintf(stderr, "\n%s %s: %s\n", x->txn, x->endpoint, why);
	CU_ASSERT_STRING_EQUAL(why, "");
	return s;
}

static void
server_xact(struct xact *x, const char *txn, const char *endpoint)
{
	xact_begin(x, NULL, endpoint, "CN=Dr. Jansen,O=Ziekenhuis Oost",
	    "192.0.2.7");
	str_lcpy(x->txn, txn, sizeof x->txn);
	xact_set_patient(x, "999911120^^^&" OID_BSN "&ISO");
}

#define HAS(s, t)	CU_ASSERT_PTR_NOT_NULL(strstr((s), (t)))
#define HASNT(s, t)	CU_ASSERT_PTR_NULL(strstr((s), (t)))

static void
test_atna_register(void)
{
	struct xact x;
	char *m;

	server_xact(&x, TXN_ITI42, "/xds/registry");
	xact_set_object(&x, "1.2.3.4.5");
	m = message(&x);
	HAS(m, "<EventIdentification EventActionCode=\"C\" "
	    "EventDateTime=\"2026-12-06T10:00:00.123Z\" "
	    "EventOutcomeIndicator=\"0\">");
	HAS(m, "<EventID csd-code=\"110107\" codeSystemName=\"DCM\" "
	    "originalText=\"Import\"/>");
	HAS(m, "<EventTypeCode csd-code=\"ITI-42\" codeSystemName=\"IHE "
	    "Transactions\" originalText=\"Register Document Set-b\"/>");
	HAS(m, "<ActiveParticipant UserID=\"CN=Dr. Jansen,O=Ziekenhuis Oost\""
	    " UserIsRequestor=\"true\" NetworkAccessPointID=\"192.0.2.7\" "
	    "NetworkAccessPointTypeCode=\"2\"><RoleIDCode csd-code=\"110153\"");
	HAS(m, "<ActiveParticipant UserID=\"/xds/registry\" "
	    "AlternativeUserID=\"4242\" UserIsRequestor=\"false\" "
	    "NetworkAccessPointID=\"10.0.0.1\"");
	HAS(m, "csd-code=\"110152\"");
	/* the human requestor */
	HAS(m, "<ActiveParticipant UserID=\"CN=Dr. Jansen,O=Ziekenhuis Oost\""
	    " UserIsRequestor=\"true\"/>");
	HAS(m, "<AuditSourceIdentification AuditEnterpriseSiteID=\"Test "
	    "Hospital\" AuditSourceID=\"xdsnode-test\">");
	HAS(m, "ParticipantObjectID=\"999911120^^^&amp;" OID_BSN
	    "&amp;ISO\" ParticipantObjectTypeCode=\"1\" "
	    "ParticipantObjectTypeCodeRole=\"1\"><ParticipantObjectIDTypeCode "
	    "csd-code=\"2\" codeSystemName=\"RFC-3881\"");
	HAS(m, "ParticipantObjectID=\"1.2.3.4.5\" ParticipantObjectTypeCode="
	    "\"2\" ParticipantObjectTypeCodeRole=\"20\">"
	    "<ParticipantObjectIDTypeCode csd-code=\"" NODE_SUBMISSIONSET "\"");
	HAS(m, "<ParticipantObjectName>1.2.3.4.5</ParticipantObjectName>");
	free(m);

	/* The repository's side of the same transaction: it asked. */
	xact_begin(&x, NULL, NULL, "https://registry.example/xds/registry",
	    "");
	str_lcpy(x.txn, TXN_ITI42, sizeof x.txn);
	xact_fail(&x, XACT_FAILURE, "XDSRegistryError");
	m = message(&x);
	HAS(m, "EventActionCode=\"R\"");
	HAS(m, "EventOutcomeIndicator=\"8\"");
	HAS(m, "csd-code=\"110106\"");
	HAS(m, "<ActiveParticipant UserID=\"xdsnode-test\" AlternativeUserID="
	    "\"4242\" UserIsRequestor=\"true\" "
	    "NetworkAccessPointID=\"10.0.0.1\"");
	HAS(m, "<ActiveParticipant UserID=\"https://registry.example/xds/"
	    "registry\" UserIsRequestor=\"false\" NetworkAccessPointID="
	    "\"registry.example\" NetworkAccessPointTypeCode=\"1\"");
	HASNT(m, "ParticipantObjectIdentification");
	free(m);
}

/* A transfer at the XDR Document Recipient: an Import whose source is
 * named by its organisation too. */
static void
test_atna_xdr(void)
{
	struct xact x;
	char *m;

	server_xact(&x, TXN_ITI41, "/xdr/recipient");
	xact_set_object(&x, "1.2.3.4.6");
	str_lcpy(x.org, "00007001 Ziekenhuis A", sizeof x.org);
	m = message(&x);
	HAS(m, "<EventID csd-code=\"110107\" codeSystemName=\"DCM\" "
	    "originalText=\"Import\"/>");
	HAS(m, "<EventTypeCode csd-code=\"ITI-41\"");
	HAS(m, "<ActiveParticipant UserID=\"CN=Dr. Jansen,O=Ziekenhuis Oost\""
	    " UserName=\"00007001 Ziekenhuis A\" UserIsRequestor=\"true\" "
	    "NetworkAccessPointID=\"192.0.2.7\"");
	HAS(m, "<ActiveParticipant UserID=\"/xdr/recipient\"");
	free(m);

	/* without an organisation, no UserName */
	server_xact(&x, TXN_ITI41, "/xds/repository");
	m = message(&x);
	HASNT(m, "UserName");
	free(m);
}

static void
test_atna_query_retrieve(void)
{
	struct xact x;
	char *m;

	server_xact(&x, TXN_ITI38, "/xca/rgw");
	xact_set_object(&x, "urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d");
	x.outcome = XACT_PARTIAL;
	m = message(&x);
	HAS(m, "EventActionCode=\"E\"");
	HAS(m, "EventOutcomeIndicator=\"4\"");
	HAS(m, "csd-code=\"110112\" codeSystemName=\"DCM\" originalText="
	    "\"Query\"");
	HAS(m, "ParticipantObjectTypeCodeRole=\"24\">"
	    "<ParticipantObjectIDTypeCode csd-code=\"ITI-38\" "
	    "codeSystemName=\"IHE Transactions\"");
	/* base64 of the home community id */
	HAS(m, "<ParticipantObjectDetail type=\"urn:ihe:iti:xca:2010:"
	    "homeCommunityId\" value=\"dXJuOm9pZDoxLjMuNi4xLjQuMS4yMTM2Ny4x"
	    "My43MC4x\"/>");
	free(m);

	server_xact(&x, TXN_ITI43, "/xds/repository");
	xact_set_object(&x, "1.2.3.9");
	m = message(&x);
	HAS(m, "EventActionCode=\"R\"");
	HAS(m, "csd-code=\"110106\"");
	HAS(m, "ParticipantObjectID=\"1.2.3.9\" ParticipantObjectTypeCode=\"2\""
	    " ParticipantObjectTypeCodeRole=\"3\"><ParticipantObjectIDTypeCode "
	    "csd-code=\"9\" codeSystemName=\"RFC-3881\"");
	HAS(m, "type=\"Repository Unique Id\" value=\"MS4zLjYuMS40LjEuMjEzN"
	    "jcuMTMuNzEuMQ==\"");
	free(m);

	server_xact(&x, TXN_ITI39, "/xca/rgw/retrieve");
	xact_set_object(&x, "1.2.3.9");
	m = message(&x);
	HAS(m, "type=\"ihe:homeCommunityID\"");
	free(m);

	server_xact(&x, TXN_ITI62, "/xds/registry");
	xact_set_object(&x, "urn:uuid:aaaaaaaa-0000-4000-8000-000000000000");
	m = message(&x);
	HAS(m, "EventActionCode=\"D\"");
	HAS(m, "csd-code=\"110110\"");
	HAS(m, "csd-code=\"urn:ihe:iti:2017:ObjectRef\"");
	free(m);

	/* ITI-8: a feed message, its control id a detail of the patient. */
	server_xact(&x, TXN_ITI8, "/mllp");
	xact_set_patient(&x, "999911120^^^&2.16.840.1.113883.2.4.6.3&ISO");
	xact_set_object(&x, "MSG00001");
	m = message(&x);
	HAS(m, "EventActionCode=\"U\"");
	HAS(m, "csd-code=\"110110\"");
	HAS(m, "csd-code=\"ITI-8\"");
	HAS(m, "type=\"MSH-10\" value=\"TVNHMDAwMDE=\"");
	CU_ASSERT_PTR_NULL(strstr(m, "ParticipantObjectID=\"MSG00001\""));
	free(m);

	/* ITI-86: the repository removed a document. */
	server_xact(&x, TXN_ITI86, "/xds/repository");
	xact_set_object(&x, "1.2.3.4.5");
	m = message(&x);
	HAS(m, "EventActionCode=\"D\"");
	HAS(m, "csd-code=\"110110\"");
	HAS(m, "csd-code=\"ITI-86\"");
	HAS(m, "ParticipantObjectID=\"1.2.3.4.5\"");
	free(m);

	/* The bridge publishing a study (RAD-68, the node asks). */
	xact_begin(&x, NULL, "dicom", "http://127.0.0.1:1/xds/repository",
	    "127.0.0.1");
	str_lcpy(x.txn, TXN_RAD68, sizeof x.txn);
	xact_set_object(&x, "1.2.840.1");
	m = message(&x);
	HAS(m, "EventActionCode=\"R\"");
	HAS(m, "csd-code=\"110180\" codeSystemName=\"DCM\"");
	free(m);
	server_xact(&x, TXN_RAD69, "/xdsi/rad69");
	m = message(&x);
	HAS(m, "csd-code=\"110104\"");
	free(m);
}

/*
 * The initiating gateway's own record of a request to another community
 * (xact_begin_out): the node is the source and requestor, the community's
 * responding gateway the destination, named by its organisation; the
 * consumer's user is the human requestor; the home community id is the
 * community asked.
 */
static void
out_xact(struct xact *x, const char *txn, const char *object)
{
	xact_begin_out(x, NULL, txn, "https://rgw.example:8443/xca/responding");
	str_lcpy(x->community, "urn:oid:1.3.6.1.4.1.21367.13.70.2",
	    sizeof x->community);
	str_lcpy(x->org, "00007002 Ziekenhuis B", sizeof x->org);
	str_lcpy(x->user, "UZI 900012345, 01.015, 00007001", sizeof x->user);
	xact_set_patient(x, "999911120^^^&" OID_BSN "&ISO");
	xact_set_object(x, object);
}

static void
test_atna_initiating(void)
{
	struct xact x;
	char *m;

	out_xact(&x, TXN_ITI38,
	    "urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d");
	CU_ASSERT_EQUAL(x.outbound, 1);
	CU_ASSERT_STRING_EQUAL(x.endpoint, "");
	xact_fail(&x, XACT_FAULT, "no answer within 10 s");
	m = message(&x);
	HAS(m, "EventActionCode=\"E\"");
	HAS(m, "EventOutcomeIndicator=\"8\"");
	HAS(m, "<EventID csd-code=\"110112\" codeSystemName=\"DCM\" "
	    "originalText=\"Query\"/>");
	HAS(m, "<EventTypeCode csd-code=\"ITI-38\"");
	HAS(m, "<ActiveParticipant UserID=\"xdsnode-test\" AlternativeUserID="
	    "\"4242\" UserIsRequestor=\"true\" NetworkAccessPointID="
	    "\"10.0.0.1\" NetworkAccessPointTypeCode=\"2\"><RoleIDCode "
	    "csd-code=\"" ATNA_ROLE_SOURCE "\"");
	HAS(m, "<ActiveParticipant UserID=\"https://rgw.example:8443/xca/"
	    "responding\" UserName=\"00007002 Ziekenhuis B\" "
	    "UserIsRequestor=\"false\" NetworkAccessPointID=\"rgw.example\" "
	    "NetworkAccessPointTypeCode=\"1\"><RoleIDCode csd-code=\""
	    ATNA_ROLE_DESTINATION "\"");
	HAS(m, "<ActiveParticipant UserID=\"UZI 900012345, 01.015, 00007001\" "
	    "UserIsRequestor=\"true\"/>");
	HAS(m, "ParticipantObjectTypeCodeRole=\"24\">"
	    "<ParticipantObjectIDTypeCode csd-code=\"ITI-38\"");
	/* base64 of the community asked, not of this node's */
	HAS(m, "<ParticipantObjectDetail type=\"" ATNA_DETAIL_XCA_HCID "\" "
	    "value=\"dXJuOm9pZDoxLjMuNi4xLjQuMS4yMTM2Ny4xMy43MC4y\"/>");
	HAS(m, "999911120^^^&amp;" OID_BSN);
	free(m);

	out_xact(&x, TXN_ITI39, "1.2.3.9");
	m = message(&x);
	HAS(m, "EventActionCode=\"C\"");
	HAS(m, "<EventID csd-code=\"" ATNA_EV_IMPORT "\" codeSystemName="
	    "\"DCM\" originalText=\"Import\"/>");
	HAS(m, "UserIsRequestor=\"false\" NetworkAccessPointID=\"rgw.example"
	    "\"");
	HAS(m, "<ParticipantObjectDetail type=\"" ATNA_DETAIL_HCID "\" "
	    "value=\"dXJuOm9pZDoxLjMuNi4xLjQuMS4yMTM2Ny4xMy43MC4y\"/>");
	free(m);

	/* Mitz's open question: the patient, and the request itself. */
	out_xact(&x, TXN_ITI56, "");
	str_lcpy(x.org, "Mitz", sizeof x.org);
	str_lcpy(x.message_id, "urn:uuid:5c0b5bb0-1d7e-4a51-8a8e-4d0c1f1b2a3c",
	    sizeof x.message_id);
	m = message(&x);
	HAS(m, "EventActionCode=\"E\"");
	HAS(m, "<EventID csd-code=\"" ATNA_EV_QUERY "\" codeSystemName="
	    "\"DCM\" originalText=\"Query\"/>");
	HAS(m, "<EventTypeCode csd-code=\"ITI-56\" codeSystemName=\"IHE "
	    "Transactions\" originalText=\"Patient Location Query\"/>");
	HAS(m, "UserName=\"Mitz\" UserIsRequestor=\"false\"");
	HAS(m, "<ParticipantObjectIdentification ParticipantObjectID=\""
	    "999911120^^^&amp;" OID_BSN "&amp;ISO\" ParticipantObjectTypeCode="
	    "\"1\" ParticipantObjectTypeCodeRole=\"1\">");
	HAS(m, "<ParticipantObjectIdentification ParticipantObjectID=\""
	    "urn:uuid:5c0b5bb0-1d7e-4a51-8a8e-4d0c1f1b2a3c\" "
	    "ParticipantObjectTypeCode=\"2\" ParticipantObjectTypeCodeRole="
	    "\"24\"><ParticipantObjectIDTypeCode csd-code=\"ITI-56\" "
	    "codeSystemName=\"IHE Transactions\" originalText=\"Patient "
	    "Location Query\"/><ParticipantObjectQuery>");
	/* base64 of <PatientLocationQueryRequest xmlns="urn:ihe:iti:xcpd:
	 * 2009"><RequestedPatientId root="2.16.840.1.113883.2.4.6.3"
	 * extension="999911120" assigningAuthorityName="NLMINBIZA"/>... */
	HAS(m, "<ParticipantObjectQuery>PFBhdGllbnRMb2NhdGlvblF1ZXJ5UmVxdWVzdC"
	    "B4bWxucz0idXJuOmloZTppdGk6eGNwZDoyMDA5Ij48UmVxdWVzdGVkUGF0aWVudElk"
	    "IHJvb3Q9IjIuMTYuODQwLjEuMTEzODgzLjIuNC42LjMiIGV4dGVuc2lvbj0iOTk5OT"
	    "ExMTIwIiBhc3NpZ25pbmdBdXRob3JpdHlOYW1lPSJOTE1JTkJJWkEiLz48L1BhdGll"
	    "bnRMb2NhdGlvblF1ZXJ5UmVxdWVzdD4=</ParticipantObjectQuery>");
	free(m);

	out_xact(&x, TXN_RAD75, "1.2.840.9");
	x.outcome = XACT_PARTIAL;
	m = message(&x);
	HAS(m, "<EventID csd-code=\"" ATNA_EV_INSTANCES_ACCESSED "\"");
	HAS(m, "EventOutcomeIndicator=\"4\"");
	free(m);
}

static void
test_atna_hostile(void)
{
	static const struct atna_site bare;
	struct buf b;
	struct xact x;
	char *m, why[512];

	/* Not an IHE transaction: no message. */
	buf_init(&b, 1 << 16);
	xact_begin(&x, NULL, "/health", "", "127.0.0.1");
	str_lcpy(x.txn, "HEALTH", sizeof x.txn);
	CU_ASSERT_EQUAL(atna_message(&x, "t", &site, &b), XDS_ENOTFOUND);
	CU_ASSERT_EQUAL(b.b_len, 0);
	buf_free(&b);
	/* Markup and control characters from a peer stay data. */
	server_xact(&x, TXN_ITI18, "/xds/registry");
	str_lcpy(x.peer, "CN=\"<x>\"\x01&,O=a'b", sizeof x.peer);
	xact_set_object(&x, "q\n<AuditMessage>");
	m = message(&x);
	HAS(m, "UserID=\"CN=&quot;&lt;x&gt;&quot;?&amp;,O=a&apos;b\"");
	HAS(m, "ParticipantObjectID=\"q?&lt;AuditMessage&gt;\"");
	HASNT(m, "anonymous");
	free(m);
	/* Between actors of this node: both ends are the node. */
	xact_begin(&x, NULL, "/xds/registry", "in-process", "local");
	str_lcpy(x.txn, TXN_ITI42, sizeof x.txn);
	m = message(&x);
	HAS(m, "<ActiveParticipant UserID=\"xdsnode-test\" AlternativeUserID="
	    "\"4242\" UserIsRequestor=\"true\" "
	    "NetworkAccessPointID=\"10.0.0.1\"");
	HASNT(m, "in-process");
	HASNT(m, "\"local\"");
	free(m);
	xact_begin(&x, NULL, NULL, "in-process", "local");
	str_lcpy(x.txn, TXN_ITI42, sizeof x.txn);
	m = message(&x);
	HAS(m, "<ActiveParticipant UserID=\"in-process\" UserIsRequestor="
	    "\"false\" NetworkAccessPointID=\"10.0.0.1\"");
	free(m);
	/* What the schema requires is there even without a value. */
	buf_init(&b, 1 << 16);
	xact_begin(&x, NULL, NULL, "", "");
	str_lcpy(x.txn, TXN_ITI42, sizeof x.txn);
	str_lcpy(x.peer, "", sizeof x.peer);
	CU_ASSERT_EQUAL(atna_message(&x, "2026-12-06T10:00:00.000Z", &bare,
	    &b), XDS_OK);
	CU_ASSERT_STRING_EQUAL(invalid(b.b_data, b.b_len, why), "");
	HAS(b.b_data, "AuditSourceID=\"-\"");
	HAS(b.b_data, "<ActiveParticipant UserID=\"-\"");
	buf_free(&b);
	/* The professional of a verified X-User Assertion is. */
	server_xact(&x, TXN_ITI38, "/xca/responding");
	str_lcpy(x.user, "UZI 900012345, role 01.015, URA 00001111",
	    sizeof x.user);
	m = message(&x);
	HAS(m, "<ActiveParticipant UserID=\"UZI 900012345, role 01.015, URA "
	    "00001111\" UserIsRequestor=\"true\"/>");
	HASNT(m, "<ActiveParticipant UserID=\"CN=Dr. Jansen,O=Ziekenhuis "
	    "Oost\" UserIsRequestor=\"true\"/>");
	free(m);
	/* An anonymous peer is no human requestor. */
	xact_begin(&x, NULL, "/xds/registry", "", "127.0.0.1");
	str_lcpy(x.txn, TXN_ITI18, sizeof x.txn);
	m = message(&x);
	HAS(m, "UserID=\"anonymous\"");
	CU_ASSERT_PTR_NULL(strstr(strstr(m, "anonymous") + 1, "anonymous"));
	free(m);
}

/*
 * The schema itself: a message written by hand is valid, and each rule
 * broken in turn (the replacement of one piece of it) makes it invalid.
 * So the transcription keeps the rules the node's messages are held to.
 */
static void
test_atna_schema(void)
{
	static const char good[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><AuditMessage>"
	    "<EventIdentification EventActionCode=\"E\" EventDateTime="
	    "\"2026-12-06T10:00:00.123Z\" EventOutcomeIndicator=\"0\">"
	    "<EventID csd-code=\"110112\" codeSystemName=\"DCM\" "
	    "originalText=\"Query\"/>"
	    "<EventTypeCode csd-code=\"ITI-18\" codeSystemName=\"IHE "
	    "Transactions\" originalText=\"Registry Stored Query\"/>"
	    "</EventIdentification>"
	    "<ActiveParticipant UserID=\"a\" UserIsRequestor=\"true\" "
	    "NetworkAccessPointID=\"192.0.2.7\" NetworkAccessPointTypeCode="
	    "\"2\"><RoleIDCode csd-code=\"110153\" codeSystemName=\"DCM\" "
	    "originalText=\"Source Role ID\"/></ActiveParticipant>"
	    "<ActiveParticipant UserID=\"b\" UserIsRequestor=\"false\"/>"
	    "<AuditSourceIdentification AuditSourceID=\"n\">"
	    "<AuditSourceTypeCode csd-code=\"4\"/>"
	    "</AuditSourceIdentification>"
	    "<ParticipantObjectIdentification ParticipantObjectID=\"p^^^&amp;"
	    "1.2&amp;ISO\" ParticipantObjectTypeCode=\"1\" "
	    "ParticipantObjectTypeCodeRole=\"1\"><ParticipantObjectIDTypeCode "
	    "csd-code=\"2\" codeSystemName=\"RFC-3881\" originalText=\"Patient "
	    "Number\"/><ParticipantObjectName>p^^^&amp;1.2&amp;ISO"
	    "</ParticipantObjectName></ParticipantObjectIdentification>"
	    "<ParticipantObjectIdentification ParticipantObjectID=\"q\" "
	    "ParticipantObjectTypeCode=\"2\" ParticipantObjectTypeCodeRole="
	    "\"24\"><ParticipantObjectIDTypeCode csd-code=\"ITI-18\" "
	    "codeSystemName=\"IHE Transactions\" originalText=\"Registry "
	    "Stored Query\"/><ParticipantObjectQuery>PHEvPg=="
	    "</ParticipantObjectQuery><ParticipantObjectDetail type="
	    "\"QueryEncoding\" value=\"VVRGLTg=\"/>"
	    "</ParticipantObjectIdentification></AuditMessage>";
	static const struct {
		const char	*rule, *from, *to;
	} broken[] = {
		{ "EventID is required", "<EventID csd-code=\"110112\" "
		  "codeSystemName=\"DCM\" originalText=\"Query\"/>", "" },
		{ "EventOutcomeIndicator is 0, 4, 8 or 12",
		  "EventOutcomeIndicator=\"0\"",
		  "EventOutcomeIndicator=\"1\"" },
		{ "EventActionCode is C, R, U, D or E",
		  "EventActionCode=\"E\"", "EventActionCode=\"X\"" },
		{ "EventDateTime is an xsd:dateTime",
		  "10:00:00.123Z", "10:00" },
		{ "EventID comes before EventTypeCode",
		  "<EventID csd-code=\"110112\" codeSystemName=\"DCM\" "
		  "originalText=\"Query\"/><EventTypeCode csd-code=\"ITI-18\" "
		  "codeSystemName=\"IHE Transactions\" originalText=\"Registry "
		  "Stored Query\"/>",
		  "<EventTypeCode csd-code=\"ITI-18\" codeSystemName=\"IHE "
		  "Transactions\" originalText=\"Registry Stored Query\"/>"
		  "<EventID csd-code=\"110112\" codeSystemName=\"DCM\" "
		  "originalText=\"Query\"/>" },
		{ "a code has its originalText", " originalText=\"Query\"",
		  "" },
		{ "a code has its codeSystemName",
		  " codeSystemName=\"DCM\" originalText=\"Query\"",
		  " originalText=\"Query\"" },
		{ "AuditSourceIdentification is required",
		  "<AuditSourceIdentification AuditSourceID=\"n\">"
		  "<AuditSourceTypeCode csd-code=\"4\"/>"
		  "</AuditSourceIdentification>", "" },
		{ "AuditSourceID is required", " AuditSourceID=\"n\"", "" },
		{ "an active participant comes before the audit source",
		  "<ActiveParticipant UserID=\"b\" UserIsRequestor=\"false\"/>"
		  "<AuditSourceIdentification AuditSourceID=\"n\">"
		  "<AuditSourceTypeCode csd-code=\"4\"/>"
		  "</AuditSourceIdentification>",
		  "<AuditSourceIdentification AuditSourceID=\"n\">"
		  "<AuditSourceTypeCode csd-code=\"4\"/>"
		  "</AuditSourceIdentification>"
		  "<ActiveParticipant UserID=\"b\" "
		  "UserIsRequestor=\"false\"/>" },
		{ "UserIsRequestor is an xsd:boolean",
		  "UserIsRequestor=\"false\"", "UserIsRequestor=\"no\"" },
		{ "UserIsRequestor is required", " UserIsRequestor=\"false\"",
		  "" },
		{ "NetworkAccessPointTypeCode is 1 to 5",
		  "NetworkAccessPointTypeCode=\"2\"",
		  "NetworkAccessPointTypeCode=\"6\"" },
		{ "a participant object has a name or a query",
		  "<ParticipantObjectName>p^^^&amp;1.2&amp;ISO"
		  "</ParticipantObjectName>", "" },
		{ "a participant object has a name or a query, not both",
		  "</ParticipantObjectName>", "</ParticipantObjectName>"
		  "<ParticipantObjectQuery>PHEvPg==</ParticipantObjectQuery>" },
		{ "ParticipantObjectQuery is xsd:base64Binary",
		  ">PHEvPg==<", ">&lt;q/&gt;<" },
		{ "a detail value is xsd:base64Binary",
		  "value=\"VVRGLTg=\"", "value=\"VVRGLTg\"" },
		{ "ParticipantObjectTypeCodeRole is 1 to 26",
		  "ParticipantObjectTypeCodeRole=\"24\"",
		  "ParticipantObjectTypeCodeRole=\"27\"" },
		{ "ParticipantObjectID is required",
		  " ParticipantObjectID=\"q\"", "" },
		{ "nothing the schema does not name",
		  "<AuditSourceTypeCode csd-code=\"4\"/>",
		  "<AuditSourceTypeCode csd-code=\"4\"/><Comment/>" },
	};
	struct buf b;
	const char *at;
	char why[512];
	size_t i;

	CU_ASSERT_STRING_EQUAL(invalid(good, sizeof good - 1, why), "");
	for (i = 0; i < NELEM(broken); i++) {
		at = strstr(good, broken[i].from);
		CU_ASSERT_PTR_NOT_NULL_FATAL(at);
		buf_init(&b, 1 << 16);
		CU_ASSERT_EQUAL(buf_add(&b, good, (size_t)(at - good)), XDS_OK);
		CU_ASSERT_EQUAL(buf_adds(&b, broken[i].to), XDS_OK);
		CU_ASSERT_EQUAL(buf_adds(&b, at + strlen(broken[i].from)),
		    XDS_OK);
		if (invalid(b.b_data, b.b_len, why)[0] == '\0')
			fprintf(stderr, "\nvalid, but breaks \"%s\"\n",
			    broken[i].rule);
		CU_ASSERT_STRING_NOT_EQUAL(why, "");
		buf_free(&b);
	}
}

/*
 * Every transaction the node audits, on each side (answered by an
 * endpoint of its own, asked of a peer, between two of its own actors),
 * with each outcome, with and without patient and object: a valid
 * message each.
 */
static void
test_atna_every(void)
{
	static const char *txns[] = { TXN_ITI18, TXN_ITI38, TXN_ITI39,
	    TXN_ITI41, TXN_ITI42, TXN_ITI43, TXN_ITI57, TXN_ITI62, TXN_ITI86,
	    TXN_RAD68, TXN_RAD69, TXN_RAD75, TXN_DICOM_PUSH, TXN_ITI8 };
	static const struct {
		const char	*endpoint, *peer, *addr;
	} sides[] = {
		{ "/xds/endpoint", "CN=Dr. Jansen,O=Ziekenhuis Oost",
		  "192.0.2.7" },
		{ "/xds/endpoint", "anonymous", "2001:db8::7" },
		{ NULL, "https://peer.example:8443/xds/endpoint", "" },
		{ NULL, "http://[2001:db8::1]/xds", "" },
		{ "/xds/endpoint", "in-process", "local" },
		{ NULL, "in-process", "local" },
	};
	static const enum xact_outcome outcomes[] = { XACT_SUCCESS,
	    XACT_PARTIAL, XACT_FAILURE, XACT_FAULT };
	struct xact x;
	size_t t, s, o;
	int with;

	for (t = 0; t < NELEM(txns); t++)
		for (s = 0; s < NELEM(sides); s++)
			for (o = 0; o < NELEM(outcomes); o++)
				for (with = 0; with < 2; with++) {
					xact_begin(&x, NULL, sides[s].endpoint,
					    sides[s].peer, sides[s].addr);
					str_lcpy(x.txn, txns[t], sizeof x.txn);
					if (outcomes[o] != XACT_SUCCESS)
						xact_fail(&x, outcomes[o],
						    "XDSRegistryError");
					if (with) {
						xact_set_patient(&x,
						    "999911120^^^&" OID_BSN
						    "&ISO");
						xact_set_object(&x,
						    "1.2.3.4.5");
					}
					free(message(&x));
				}
}

/* A record read back for the sender: the fields its message needs. */
static void
test_record_parse(void)
{
	static const char line[] = "{\"time\":\"2026-12-06T10:00:00.123Z\","
	    "\"event\":\"ITI-43\",\"action\":\"a\",\"endpoint\":"
	    "\"/xds/repository\",\"user\":\"CN=\\\"x\\\"\",\"address\":"
	    "\"192.0.2.1\",\"patient\":\"p^^^&1.2&ISO\",\"object\":\"1.2\","
	    "\"outcome\":\"partial\",\"outcome_code\":4,\"http_status\":200,"
	    "\"errors\":\"\",\"reason\":\"\",\"requester\":\"UZI 1\","
	    "\"organisation\":\"00007001 Ziekenhuis A\","
	    "\"message_id\":\"m\",\"duration_ms\":1.5,\"prev\":\"" ZEROS
	    "\"}";
	/* an initiating gateway's request to another community */
	static const char out[] = "{\"time\":\"2026-12-06T10:00:00.123Z\","
	    "\"event\":\"ITI-38\",\"endpoint\":\"\",\"direction\":\"out\","
	    "\"user\":\"https://rgw.example/xca\",\"outcome\":\"fault\","
	    "\"community\":\"urn:oid:1.2.3\"}";
	struct xact x;
	char when[40];

	CU_ASSERT_EQUAL_FATAL(audit_record_parse(line, strlen(line), &x, when,
	    sizeof when), XDS_OK);
	CU_ASSERT_STRING_EQUAL(when, "2026-12-06T10:00:00.123Z");
	CU_ASSERT_STRING_EQUAL(x.txn, "ITI-43");
	CU_ASSERT_STRING_EQUAL(x.endpoint, "/xds/repository");
	CU_ASSERT_STRING_EQUAL(x.peer, "CN=\"x\"");
	CU_ASSERT_STRING_EQUAL(x.peer_addr, "192.0.2.1");
	CU_ASSERT_STRING_EQUAL(x.patient, "p^^^&1.2&ISO");
	CU_ASSERT_STRING_EQUAL(x.object, "1.2");
	CU_ASSERT_STRING_EQUAL(x.user, "UZI 1");
	CU_ASSERT_STRING_EQUAL(x.org, "00007001 Ziekenhuis A");
	CU_ASSERT_EQUAL(x.outcome, XACT_PARTIAL);
	CU_ASSERT_EQUAL(x.outbound, 0);
	CU_ASSERT_STRING_EQUAL(x.community, "");
	CU_ASSERT_EQUAL_FATAL(audit_record_parse(out, strlen(out), &x, when,
	    sizeof when), XDS_OK);
	CU_ASSERT_EQUAL(x.outbound, 1);
	CU_ASSERT_STRING_EQUAL(x.community, "urn:oid:1.2.3");
	CU_ASSERT_EQUAL(x.outcome, XACT_FAULT);
	CU_ASSERT_EQUAL(audit_record_parse("{\"time\":1}", 10, &x, when,
	    sizeof when), XDS_EFORMAT);
	CU_ASSERT_EQUAL(audit_record_parse("{\"time\":\"", 9, &x, when,
	    sizeof when), XDS_EFORMAT);
}

int
main(void)
{
	static const struct cutest tests[] = {
		{ "chain seal", test_chain_seal },
		{ "chain verify", test_chain_verify },
		{ "atna register", test_atna_register },
		{ "atna xdr", test_atna_xdr },
		{ "atna query retrieve", test_atna_query_retrieve },
		{ "atna initiating gateway", test_atna_initiating },
		{ "atna hostile", test_atna_hostile },
		{ "atna schema", test_atna_schema },
		{ "atna every message", test_atna_every },
		{ "record parse", test_record_parse },
		{ "past days", test_keep },
		{ "sender: a day it cannot read", test_send_unreadable },
	};

	return cutest_run("audit", tests, NELEM(tests));
}
