/* test_base.c: buf, str, log redaction, status, fileio. */
#include "config.h"

#include "cutest.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "fileio.h"
#include "log.h"
#include "ratelimit.h"
#include "status.h"
#include "str.h"
#include "testutil.h"
#include "url.h"
#include "vocab.h"

static void
test_buf_cap(void)
{
	struct buf b;
	char big[100];

	buf_init(&b, 10);
	CU_ASSERT_EQUAL(buf_adds(&b, "12345"), XDS_OK);
	CU_ASSERT_EQUAL(buf_adds(&b, "67890"), XDS_OK);
	CU_ASSERT_EQUAL(buf_adds(&b, "x"), XDS_ETOOBIG);
	CU_ASSERT_STRING_EQUAL(buf_str(&b), "1234567890");
	buf_free(&b);
	memset(big, 'a', sizeof big);
	buf_init(&b, 1000);
	CU_ASSERT_EQUAL(buf_add(&b, big, sizeof big), XDS_OK);
	CU_ASSERT_EQUAL(b.b_len, 100);
	buf_free(&b);
}

static void
test_buf_xml(void)
{
	struct buf b;

	buf_init(&b, 1000);
	CU_ASSERT_EQUAL(buf_add_xml(&b, "a<b>&\"c'"), XDS_OK);
	CU_ASSERT_STRING_EQUAL(buf_str(&b), "a&lt;b&gt;&amp;&quot;c&apos;");
	CU_ASSERT_EQUAL(buf_addf(&b, "%d-%s", 42, "x"), XDS_OK);
	CU_ASSERT_STRING_EQUAL(buf_str(&b), "a&lt;b&gt;&amp;&quot;c&apos;42-x");
	buf_free(&b);
}

static void
test_str(void)
{
	char small[4];
	long long v;
	const char *es;

	const char *next = " a ;; b c;", *it;
	size_t n;

	it = str_item(&next, ';', &n);
	CU_ASSERT(n == 1 && *it == 'a' && next != NULL);
	it = str_item(&next, ';', &n);
	CU_ASSERT(n == 0 && next != NULL);
	it = str_item(&next, ';', &n);
	CU_ASSERT(n == 3 && strncmp(it, "b c", 3) == 0 && next != NULL);
	it = str_item(&next, ';', &n);
	CU_ASSERT(n == 0 && next == NULL);
	CU_ASSERT_EQUAL(str_lcpy(small, "abcdef", sizeof small), 6);
	CU_ASSERT_STRING_EQUAL(small, "abc");
	CU_ASSERT_EQUAL(str_tonum("123", 0, 1000, &v, &es), 0);
	CU_ASSERT_EQUAL(v, 123);
	CU_ASSERT_EQUAL(str_tonum("12a", 0, 1000, &v, &es), -1);
	CU_ASSERT_EQUAL(str_tonum("2000", 0, 1000, &v, &es), -1);
	CU_ASSERT_STRING_EQUAL(es, "too large");
	CU_ASSERT_EQUAL(str_tonum("", 0, 1000, &v, &es), -1);
	CU_ASSERT_EQUAL(str_tonum(" 1", 0, 1000, &v, &es), -1);
	CU_ASSERT(str_caseeq("Content-Length", "content-length"));
	CU_ASSERT(!str_caseeq("Content-Length", "content-lengt"));
	{
		static const char *const l[] = { "a", "bc", "" };

		CU_ASSERT(str_in("bc", l, 3));
		CU_ASSERT(str_in("", l, 3));
		CU_ASSERT(!str_in("b", l, 3));
		CU_ASSERT(!str_in("a", l, 0));
	}
}

static void
test_redact(void)
{
	char out[64];

	log_redact_id("999911120^^^&2.16.840.1.113883.2.4.6.3&ISO", out, sizeof out);
	CU_ASSERT_EQUAL(strncmp(out, "*****1120^^^", 12), 0);
}

/* Every code has its own text; the XDS error codes follow the actor. */
static void
test_status(void)
{
	int i, j;

	CU_ASSERT_STRING_EQUAL(xds_strstatus(XDS_OK), "success");
	CU_ASSERT_STRING_EQUAL(xds_strstatus(XDS_ENOMEM), "out of memory");
	CU_ASSERT_STRING_EQUAL(xds_strstatus(1), "unknown status");
	CU_ASSERT_STRING_EQUAL(xds_strstatus(XDS_STATUS_MIN - 1),
	    "unknown status");
	for (i = XDS_STATUS_MIN; i <= 0; i++)
		for (j = i + 1; j <= 0; j++)
			CU_ASSERT(strcmp(xds_strstatus(i), xds_strstatus(j)) != 0);
	CU_ASSERT_STRING_EQUAL(xds_status_errcode(XDS_EBUSY,
	    XDS_ACTOR_REGISTRY), ERR_REGISTRY_BUSY);
	CU_ASSERT_STRING_EQUAL(xds_status_errcode(XDS_ENOMEM,
	    XDS_ACTOR_REPOSITORY), ERR_REPOSITORY_OUT_OF_RESOURCES);
	CU_ASSERT_STRING_EQUAL(xds_status_errcode(XDS_EUNCERTAIN,
	    XDS_ACTOR_REPOSITORY), ERR_REGISTRY_NOT_AVAILABLE);
	CU_ASSERT_STRING_EQUAL(xds_status_errcode(XDS_ETIMEOUT,
	    XDS_ACTOR_GATEWAY), ERR_UNAVAILABLE_COMMUNITY);
	CU_ASSERT_STRING_EQUAL(xds_status_errcode(XDS_EIO,
	    XDS_ACTOR_REPOSITORY), ERR_REPOSITORY);
	CU_ASSERT_STRING_EQUAL(xds_status_errcode(XDS_ERR,
	    XDS_ACTOR_GATEWAY), ERR_REGISTRY);
}

/* ---- fileio ---- */

static int
is_dir(const char *path, mode_t mode)
{
	struct stat sb;

	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode) &&
	    (sb.st_mode & 0777) == mode;
}

/* 1 when the file at path holds exactly text. */
static int
has_text(const char *path, const char *text)
{
	char *b = testutil_read_file(path, NULL);
	int same = b != NULL && strcmp(b, text) == 0;

	free(b);
	return same;
}

typedef enum xds_status (*mkdir_fn)(const char *, mode_t, char *, size_t);

/* fn(dir/arg, mode) is XDS_OK twice (an existing directory is fine), and
 * dir/made is a directory with mode. */
static void
mkdir_ok(mkdir_fn fn, const char *dir, const char *arg, const char *made,
    mode_t mode)
{
	char p[300], err[600];

	str_fmt(p, sizeof p, "%s/%s", dir, arg);
	CU_ASSERT_EQUAL(fn(p, mode, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(fn(p, mode, err, sizeof err), XDS_OK);
	str_fmt(p, sizeof p, "%s/%s", dir, made);
	CU_ASSERT(is_dir(p, mode));
}

/* fn(dir/arg) fails with XDS_EIO, and err names the path. */
static void
mkdir_fails(mkdir_fn fn, const char *dir, const char *arg)
{
	char p[300], err[600] = "";

	str_fmt(p, sizeof p, "%s/%s", dir, arg);
	CU_ASSERT_EQUAL(fn(p, 0700, err, sizeof err), XDS_EIO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "mkdir"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, p));
}

static void
test_fileio_mkdir(void)
{
	char dir[256], q[300], err[600];
	char *longp;
	size_t n;

	CU_ASSERT_EQUAL_FATAL(testutil_tmpdir("base", dir, sizeof dir), 0);
	/* one level, durable; a trailing slash names the same directory */
	mkdir_ok(fileio_mkdir, dir, "a", "a", 0700);
	mkdir_ok(fileio_mkdir, dir, "b/", "b", 0750);
	/* one level only: a missing parent is an error naming the path */
	mkdir_fails(fileio_mkdir, dir, "c/d");
	/* mkdir -p: every level, with the mode */
	mkdir_ok(fileio_mkdir_p, dir, "c/d/e", "c", 0700);
	mkdir_ok(fileio_mkdir_p, dir, "c/d/e", "c/d/e", 0700);
	mkdir_ok(fileio_mkdir_p, dir, "c/d/e/f/", "c/d/e/f", 0700);
	/* through a file: the level that fails is named */
	str_fmt(q, sizeof q, "%s/file", dir);
	CU_ASSERT_EQUAL_FATAL(testutil_write_text(q, "x"), 0);
	mkdir_fails(fileio_mkdir_p, dir, "file/g");
	mkdir_fails(fileio_mkdir, dir, "file/g");
	/* bounds */
	CU_ASSERT_EQUAL(fileio_mkdir_p("", 0700, err, sizeof err),
	    XDS_EINVAL);
	n = 5000;
	longp = malloc(n + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(longp);
	memset(longp, 'a', n);
	longp[0] = '/';
	longp[n] = '\0';
	CU_ASSERT_EQUAL(fileio_mkdir_p(longp, 0700, err, sizeof err),
	    XDS_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "too long"));
	CU_ASSERT_EQUAL(fileio_mkdir(longp, 0700, err, sizeof err),
	    XDS_EINVAL);
	CU_ASSERT_EQUAL(fileio_commit(NULL, q, longp, err, sizeof err),
	    XDS_EINVAL);
	CU_ASSERT(has_text(q, "x"));	/* left where it was */
	free(longp);
	CU_ASSERT_EQUAL(testutil_rmtree(dir), 0);
}

static void
test_fileio_fsync(void)
{
	char dir[256], p[300], err[600];

	CU_ASSERT_EQUAL_FATAL(testutil_tmpdir("base", dir, sizeof dir), 0);
	str_fmt(p, sizeof p, "%s/f", dir);
	CU_ASSERT_EQUAL_FATAL(testutil_write_text(p, "data"), 0);
	CU_ASSERT_EQUAL(fileio_fsync(p, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(fileio_fsync_dir(dir, err, sizeof err), XDS_OK);
	/* a file is not a directory */
	err[0] = '\0';
	CU_ASSERT_EQUAL(fileio_fsync_dir(p, err, sizeof err), XDS_EIO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, p));
	str_fmt(p, sizeof p, "%s/missing", dir);
	err[0] = '\0';
	CU_ASSERT_EQUAL(fileio_fsync(p, err, sizeof err), XDS_EIO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "fsync"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, p));
	CU_ASSERT_EQUAL(testutil_rmtree(dir), 0);
}

static void
test_fileio_commit(void)
{
	char dir[256], tmp[300], dst[300], err[600];
	struct fileio_dirsync *ds = NULL;

	CU_ASSERT_EQUAL_FATAL(testutil_tmpdir("base", dir, sizeof dir), 0);
	CU_ASSERT_EQUAL_FATAL(fileio_dirsync_new(&ds, err, sizeof err),
	    XDS_OK);
	/* tmp -> dst, without and with group commit; dst replaced */
	str_fmt(tmp, sizeof tmp, "%s/tmp1", dir);
	str_fmt(dst, sizeof dst, "%s/one", dir);
	CU_ASSERT_EQUAL_FATAL(testutil_write_text(tmp, "first"), 0);
	CU_ASSERT_EQUAL(fileio_commit(NULL, tmp, dst, err, sizeof err),
	    XDS_OK);
	CU_ASSERT(has_text(dst, "first"));
	CU_ASSERT_NOT_EQUAL(access(tmp, F_OK), 0);
	CU_ASSERT_EQUAL_FATAL(testutil_write_text(tmp, "second"), 0);
	CU_ASSERT_EQUAL(fileio_commit(ds, tmp, dst, err, sizeof err), XDS_OK);
	CU_ASSERT(has_text(dst, "second"));
	CU_ASSERT_NOT_EQUAL(access(tmp, F_OK), 0);
	/* no tmp: nothing at dst changes */
	err[0] = '\0';
	CU_ASSERT_EQUAL(fileio_commit(ds, tmp, dst, err, sizeof err),
	    XDS_EIO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, tmp));
	CU_ASSERT(has_text(dst, "second"));
	/* rename fails (no such directory): the file stays at tmp */
	CU_ASSERT_EQUAL_FATAL(testutil_write_text(tmp, "third"), 0);
	str_fmt(dst, sizeof dst, "%s/none/one", dir);
	err[0] = '\0';
	CU_ASSERT_EQUAL(fileio_commit(ds, tmp, dst, err, sizeof err),
	    XDS_EIO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "rename"));
	CU_ASSERT(has_text(tmp, "third"));
	fileio_dirsync_free(ds);
	fileio_dirsync_free(NULL);
	CU_ASSERT_EQUAL(testutil_rmtree(dir), 0);
}

/*
 * Concurrent commits through one dirsync: FILEIO_THREADS threads, two
 * to a directory, so that directories share fsyncs and more directories
 * can be in flight than the group commit has slots (those fsync alone).
 */
#define FILEIO_THREADS	80
struct committer {
	struct fileio_dirsync	*ds;
	char			 tmp[300], dst[300];
	enum xds_status		 st;
};

static void *
committer_main(void *arg)
{
	struct committer *c = arg;
	char err[600];

	c->st = fileio_commit(c->ds, c->tmp, c->dst, err, sizeof err);
	return NULL;
}

static void
test_fileio_dirsync(void)
{
	static struct committer c[FILEIO_THREADS];
	char dir[256], sub[300], err[600];
	struct fileio_dirsync *ds = NULL;
	pthread_t t[FILEIO_THREADS];
	int i, started[FILEIO_THREADS];

	CU_ASSERT_EQUAL_FATAL(testutil_tmpdir("base", dir, sizeof dir), 0);
	CU_ASSERT_EQUAL_FATAL(fileio_dirsync_new(&ds, err, sizeof err),
	    XDS_OK);
	for (i = 0; i < FILEIO_THREADS; i++) {
		str_fmt(sub, sizeof sub, "%s/d%d", dir, i / 2);
		CU_ASSERT_EQUAL_FATAL(fileio_mkdir(sub, 0700, err, sizeof err),
		    XDS_OK);
		c[i].ds = ds;
		c[i].st = XDS_ERR;
		str_fmt(c[i].tmp, sizeof c[i].tmp, "%s/t%d", dir, i);
		str_fmt(c[i].dst, sizeof c[i].dst, "%s/f%d", sub, i);
		CU_ASSERT_EQUAL_FATAL(testutil_write_text(c[i].tmp, c[i].dst),
		    0);
	}
	for (i = 0; i < FILEIO_THREADS; i++)
		started[i] = pthread_create(&t[i], NULL, committer_main,
		    &c[i]) == 0;
	for (i = 0; i < FILEIO_THREADS; i++) {
		CU_ASSERT_FATAL(started[i]);
		pthread_join(t[i], NULL);
	}
	for (i = 0; i < FILEIO_THREADS; i++) {
		CU_ASSERT_EQUAL(c[i].st, XDS_OK);
		CU_ASSERT(has_text(c[i].dst, c[i].dst));
	}
	fileio_dirsync_free(ds);
	CU_ASSERT_EQUAL(testutil_rmtree(dir), 0);
}

/* Plain HTTP leaves the node to loopback only, and a URL cannot hide
 * its host in user information. */
static void
test_url(void)
{
	static const char *const ok[] = {
		"https://registry.example/xds/registry",
		"HTTPS://registry.example:8443/x",
		"http://127.0.0.1:8080/xds/registry", "http://127.1.2.3/x",
		"http://localhost/x", "http://LOCALHOST:80",
		"http://[::1]:80/x",
		"http://127.0.0.1",
	};
	static const char *const off[] = {
		"http://reg.example/xds", "http://localhost.evil.example/x",
		"http://127.evil.example/x", "http://127.0.0.1@evil.example/",
		"https://127.0.0.1@evil.example/", "http://128.0.0.1/x",
		"http://127.0.0.256/x", "http://127.0.0/x", "http://[::2]/x",
		"http://[::1/x", "http://127.0.0.1.nip.io/x",
		"http://10.0.0.1/",
	};
	static const char *const bad[] = {
		"ftp://127.0.0.1/x", "file:///etc/passwd", "registry.example",
		"",
	};
	char err[256];
	size_t i;

	for (i = 0; i < sizeof ok / sizeof ok[0]; i++)
		CU_ASSERT_EQUAL(url_check(ok[i], err, sizeof err), XDS_OK);
	for (i = 0; i < sizeof off / sizeof off[0]; i++) {
		err[0] = '\0';
		CU_ASSERT_EQUAL(url_check(off[i], err, sizeof err), XDS_EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "https:// (mutual TLS) is "
		    "required off loopback"));
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CU_ASSERT_EQUAL(url_check(bad[i], err, sizeof err), XDS_EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "is not an http(s) URL"));
	}
	CU_ASSERT_EQUAL(url_check("http:///x", err, sizeof err), XDS_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no host"));
	CU_ASSERT_EQUAL(url_check("https://", err, sizeof err), XDS_EINVAL);
	CU_ASSERT(url_host_loopback("127.0.0.1"));
	CU_ASSERT(url_host_loopback("localhost"));
	CU_ASSERT(url_host_loopback("::1"));
	CU_ASSERT(!url_host_loopback("0.0.0.0"));
	CU_ASSERT(!url_host_loopback("127.0.0.1."));
	CU_ASSERT(!url_host_loopback("127.0.0.1.nip.io"));
	CU_ASSERT(!url_host_loopback("10.0.0.1"));
}

/* The test offset moves both clocks forward, and only forward; the
 * clock of I/O deadlines stays real. */
static void
test_clock(void)
{
	long long w0 = clock_wall(), m0 = clock_mono(), r0 = clock_real_ms();

	CU_ASSERT_EQUAL(clock_test_offset(), 0);
	clock_test_advance(3600);
	CU_ASSERT(clock_wall() >= w0 + 3600);
	CU_ASSERT(clock_mono() >= m0 + 3600 * 1000LL);
	CU_ASSERT(clock_real_ms() < r0 + 3600 * 1000LL);
	CU_ASSERT_EQUAL(clock_test_offset(), 3600);
	clock_test_advance(-3600);
	CU_ASSERT_EQUAL(clock_test_offset(), 0);
}

/* One record per key per interval, the rest counted and reported with
 * the next record; a full table gives up keys whose interval passed,
 * and new keys share one record per interval while every key is recent. */
static void
test_ratelimit(void)
{
	struct ratelimit *r = ratelimit_new(2, 60000);
	struct ratelimit_skipped sk;
	char longkey[200], more[128];
	int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(ratelimit_take(r, "10.0.0.1 tls", &sk), 1);
	CU_ASSERT(sk.same == 0 && sk.others == 0);
	for (i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(ratelimit_take(r, "10.0.0.1 tls", &sk), 0);
	/* another key has its own interval */
	CU_ASSERT_EQUAL(ratelimit_take(r, "10.0.0.1 protocol", &sk), 1);
	/* the table is full and recent: new keys share one record */
	CU_ASSERT_EQUAL(ratelimit_take(r, "10.0.0.2 tls", &sk), 1);
	CU_ASSERT_EQUAL(ratelimit_take(r, "10.0.0.3 tls", &sk), 0);
	CU_ASSERT_EQUAL(ratelimit_take(r, "10.0.0.4 tls", &sk), 0);
	clock_test_advance(60);
	/* the interval passed: recorded, with the five left out, and the
	 * two the overflow left out */
	CU_ASSERT_EQUAL(ratelimit_take(r, "10.0.0.1 tls", &sk), 1);
	CU_ASSERT_EQUAL(sk.same, 5);
	CU_ASSERT_EQUAL(sk.others, 2);
	CU_ASSERT_EQUAL(ratelimit_take(r, "10.0.0.1 tls", &sk), 0);
	/* "10.0.0.1 protocol" is given up for a new key, then the table is
	 * full again */
	CU_ASSERT_EQUAL(ratelimit_take(r, "10.0.0.5 tls", &sk), 1);
	CU_ASSERT_EQUAL(sk.same, 0);
	CU_ASSERT_EQUAL(sk.others, 0);
	CU_ASSERT_EQUAL(ratelimit_take(r, "10.0.0.6 tls", &sk), 1);
	CU_ASSERT_EQUAL(sk.others, 0);
	CU_ASSERT_EQUAL(ratelimit_take(r, "10.0.0.7 tls", &sk), 0);
	clock_test_advance(60);
	/* a key given up with events left out, and the overflow's: counted
	 * in the next record */
	CU_ASSERT_EQUAL(ratelimit_take(r, "10.0.0.8 tls", &sk), 1);
	CU_ASSERT_EQUAL(sk.others, 2);
	CU_ASSERT_EQUAL(ratelimit_take(r, "10.0.0.9 tls", &sk), 1);
	CU_ASSERT_EQUAL(sk.others, 0);
	/* keys past the bound are cut, and still match */
	memset(longkey, 'a', sizeof longkey - 1);
	longkey[sizeof longkey - 1] = '\0';
	clock_test_advance(60);
	CU_ASSERT_EQUAL(ratelimit_take(r, longkey, &sk), 1);
	CU_ASSERT_EQUAL(ratelimit_take(r, longkey, &sk), 0);
	clock_test_advance(-180);
	ratelimit_free(r);
	/* the refusal form: the text a record appends */
	r = ratelimit_new(4, 60000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(ratelimit_peer(r, "10.0.0.1", "tls", more,
	    sizeof more), 1);
	CU_ASSERT_STRING_EQUAL(more, "");
	CU_ASSERT_EQUAL(ratelimit_peer(r, "10.0.0.1", "tls", more,
	    sizeof more), 0);
	CU_ASSERT_EQUAL(ratelimit_peer(r, "10.0.0.1", "certificate", more,
	    sizeof more), 1);
	clock_test_advance(60);
	CU_ASSERT_EQUAL(ratelimit_peer(r, "10.0.0.1", "tls", more,
	    sizeof more), 1);
	CU_ASSERT_STRING_EQUAL(more, "; before it, not recorded one by one: "
	    "1 from this address, 0 from others");
	CU_ASSERT_EQUAL(ratelimit_peer(NULL, "10.0.0.1", "tls", more,
	    sizeof more), 1);
	CU_ASSERT_STRING_EQUAL(more, "");
	clock_test_advance(-60);
	ratelimit_free(r);
}

struct chunks {
	size_t		 n, bytes;
	unsigned char	 seen[100000];
	size_t		 stop_after;	/* 0: never */
};

static int
chunk_seen(void *arg, const void *p, size_t n, char *err, size_t errlen)
{
	struct chunks *c = arg;

	CU_ASSERT(n <= 4096);
	if (c->bytes + n <= sizeof c->seen)
		memcpy(c->seen + c->bytes, p, n);
	c->bytes += n;
	if (++c->n == c->stop_after) {
		str_fmt(err, errlen, "enough");
		return XDS_ETOOBIG;
	}
	return XDS_OK;
}

/* write_all puts every byte there; read_each hands them back in pieces
 * and stops at the callback's first refusal. */
static void
test_fileio_rw(void)
{
	static unsigned char data[100000];
	static struct chunks c;
	char path[] = "/tmp/test_fileio.XXXXXX", buf[4096], err[128];
	size_t i;
	int fd;

	for (i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)(i * 7 + (i >> 8));
	CU_ASSERT_FATAL((fd = mkstemp(path)) != -1);
	CU_ASSERT_EQUAL(fileio_write_all(fd, data, sizeof data), XDS_OK);
	CU_ASSERT_EQUAL(lseek(fd, 0, SEEK_SET), 0);
	memset(&c, 0, sizeof c);
	CU_ASSERT_EQUAL(fileio_read_each(fd, buf, sizeof buf, chunk_seen, &c,
	    err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(c.bytes, sizeof data);
	CU_ASSERT_EQUAL(memcmp(c.seen, data, sizeof data), 0);
	CU_ASSERT_EQUAL(lseek(fd, 0, SEEK_SET), 0);
	memset(&c, 0, sizeof c);
	c.stop_after = 3;
	CU_ASSERT_EQUAL(fileio_read_each(fd, buf, sizeof buf, chunk_seen, &c,
	    err, sizeof err), XDS_ETOOBIG);
	CU_ASSERT_EQUAL(c.n, 3);
	CU_ASSERT_STRING_EQUAL(err, "enough");
	close(fd);
	/* the whole file, NUL-terminated; past its bound; empty; absent */
	{
		char *all = NULL;
		size_t n = 0;

		CU_ASSERT_EQUAL(fileio_read_file(path, sizeof data, &all, &n,
		    err, sizeof err), XDS_OK);
		CU_ASSERT_EQUAL(n, sizeof data);
		CU_ASSERT(all != NULL && memcmp(all, data, n) == 0 &&
		    all[n] == '\0');
		free(all);
		CU_ASSERT_EQUAL(fileio_read_file(path, sizeof data - 1, &all,
		    &n, err, sizeof err), XDS_ETOOBIG);
		CU_ASSERT_PTR_NULL(all);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "larger than 99999 bytes"));
		CU_ASSERT_EQUAL(truncate(path, 0), 0);
		CU_ASSERT_EQUAL(fileio_read_file(path, 10, &all, &n, err,
		    sizeof err), XDS_OK);
		CU_ASSERT(n == 0 && all != NULL && all[0] == '\0');
		free(all);
		unlink(path);
		CU_ASSERT_EQUAL(fileio_read_file(path, 10, &all, &n, err,
		    sizeof err), XDS_EIO);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "No such file"));
	}
	/* a descriptor that cannot be read or written */
	CU_ASSERT_EQUAL(fileio_read_each(-1, buf, sizeof buf, chunk_seen, &c,
	    err, sizeof err), XDS_EIO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "read: "));
	CU_ASSERT_EQUAL(fileio_write_all(-1, data, 1), XDS_EIO);
}

/* str_escape_ctl: a peer's text cannot make a second log line. */
static void
test_escape_ctl(void)
{
	char out[32];

	str_escape_ctl("AE\nxdsd[info] forged", out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "AE\\x0axdsd[info] forged");
	str_escape_ctl("tab\there\x7f\x01", out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "tab\\x09here\\x7f\\x01");
	str_escape_ctl("Zi\xc3\xabkenhuis", out, sizeof out);	/* UTF-8 kept */
	CU_ASSERT_STRING_EQUAL(out, "Zi\xc3\xabkenhuis");
	str_escape_ctl("abc\n", out, 6);		/* never half an escape */
	CU_ASSERT_STRING_EQUAL(out, "abc");
	str_escape_ctl("abcdef", out, 4);
	CU_ASSERT_STRING_EQUAL(out, "abc");
}

static const struct cutest tests[] = {
	{ "url", test_url },
	{ "buf cap", test_buf_cap },
	{ "buf xml", test_buf_xml },
	{ "str", test_str },
	{ "str_escape_ctl", test_escape_ctl },
	{ "redact", test_redact },
	{ "status", test_status },
	{ "fileio mkdir", test_fileio_mkdir },
	{ "fileio fsync", test_fileio_fsync },
	{ "fileio commit", test_fileio_commit },
	{ "fileio dirsync", test_fileio_dirsync },
	{ "fileio write and read", test_fileio_rw },
	{ "clock", test_clock },
	{ "ratelimit", test_ratelimit },
};

int
main(void)
{
	return cutest_run("base", tests, sizeof tests / sizeof tests[0]);
}
