/*
 * test_spool.c: the hashing spool writer (inline and on helper threads)
 * and the streaming base64 decoder.
 */
#include "config.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cutest.h"
#include "spool.h"
#include "str.h"
#include "testutil.h"

#define MIB	((size_t)1024 * 1024)

static char dir[256];

/* xorshift64*: repeatable "random" bytes and chunk sizes. */
static uint64_t
rnd(uint64_t *st)
{
	*st ^= *st >> 12;
	*st ^= *st << 25;
	*st ^= *st >> 27;
	return *st * 2685821657736338717ULL;
}

static unsigned char *
rnd_bytes(size_t n, uint64_t seed)
{
	unsigned char *p;
	size_t i;

	if ((p = malloc(n ? n : 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(rnd(&seed) >> 32);
	return p;
}

static void
hex_digest(const EVP_MD *md, const unsigned char *p, size_t n, char *hex)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dl = 0;

	hex[0] = '\0';
	if (EVP_Digest(p, n, d, &dl, md, NULL) == 1)
		str_hex(d, dl, hex);
}

static int
count_files(void)
{
	return testutil_count_files(dir, 0);
}

/* The file holds exactly p[0..n). */
static int
file_equals(const char *path, const unsigned char *p, size_t n)
{
	unsigned char b[65536];
	size_t off = 0;
	ssize_t r;
	int fd, ok = 1;

	if ((fd = open(path, O_RDONLY)) < 0)
		return 0;
	while ((r = read(fd, b, sizeof b)) > 0) {
		if ((size_t)r > n - off || memcmp(b, p + off, (size_t)r) != 0) {
			ok = 0;
			break;
		}
		off += (size_t)r;
	}
	close(fd);
	return ok && r == 0 && off == n;
}

/* Spool n bytes in chunks of 1..maxchunk; 0 if every check holds. */
static int
spool_check(const unsigned char *p, size_t n, size_t maxchunk, uint64_t seed)
{
	char err[256] = "", sha1[41], sha256[65];
	struct spool_result res;
	struct spool *s = NULL;
	struct stat st;
	size_t off = 0, c;
	int bad = 0;

	if (spool_open(&s, dir, 0, err, sizeof err) != XDS_OK)
		return 1;
	while (off < n) {
		c = 1 + (size_t)(rnd(&seed) % maxchunk);
		if (c > n - off)
			c = n - off;
		if (spool_write(s, p + off, c, err, sizeof err) != XDS_OK) {
			spool_abort(s);
			return 2;
		}
		off += c;
	}
	if (spool_size(s) != (off_t)n)
		bad = 3;
	if (spool_finish(s, &res, err, sizeof err) != XDS_OK)
		return 4;
	hex_digest(EVP_sha1(), p, n, sha1);
	hex_digest(EVP_sha256(), p, n, sha256);
	if (strcmp(res.sha1, sha1) != 0 || strcmp(res.sha256, sha256) != 0)
		bad = 5;
	else if (res.size != (off_t)n)
		bad = 6;
	else if (stat(res.path, &st) != 0 || (st.st_mode & 0777) != 0600 ||
	    st.st_size != (off_t)n)
		bad = 7;
	else if (!file_equals(res.path, p, n))
		bad = 8;
	(void)unlink(res.path);
	return bad;
}

static void
test_sizes(void)
{
	static const size_t sizes[] = { 0, 1, MIB - 1, MIB, MIB + 1,
	    4 * MIB, 20 * MIB };
	unsigned char *p;
	size_t i;

	if ((p = rnd_bytes(20 * MIB, 42)) == NULL) {
		CU_FAIL_FATAL("out of memory");
		return;
	}
	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		/* one write, small random chunks, large random chunks */
		CU_ASSERT_EQUAL(spool_check(p, sizes[i], sizes[i] + 1, i), 0);
		if (sizes[i] <= 2 * MIB)
			CU_ASSERT_EQUAL(spool_check(p, sizes[i], 4099, i), 0);
		CU_ASSERT_EQUAL(spool_check(p, sizes[i], 3 * MIB, i + 7), 0);
	}
	free(p);
	/* Known answer: SHA-1 and SHA-256 of "abc". */
	{
		struct spool_result res;
		struct spool *s;
		char err[256];

		CU_ASSERT_EQUAL_FATAL(spool_open(&s, dir, 3, err, sizeof err),
		    XDS_OK);
		CU_ASSERT_EQUAL(spool_write(s, "abc", 3, err, sizeof err),
		    XDS_OK);
		CU_ASSERT_EQUAL_FATAL(spool_finish(s, &res, err, sizeof err),
		    XDS_OK);
		CU_ASSERT_STRING_EQUAL(res.sha1,
		    "a9993e364706816aba3e25717850c26c9cd0d89d");
		CU_ASSERT_STRING_EQUAL(res.sha256, "ba7816bf8f01cfea414140de5d"
		    "ae2223b00361a396177a9cb410ff61f20015ad");
		CU_ASSERT_EQUAL(res.size, 3);
		CU_ASSERT_PTR_NOT_NULL(strstr(res.path, "/xds-spool-"));
		CU_ASSERT_EQUAL(unlink(res.path), 0);
	}
	CU_ASSERT_EQUAL(count_files(), 0);
}

/* Over max_size, inline (small) and threaded (past the first buffer). */
static void
test_too_big(void)
{
	static const off_t limits[] = { 10, (off_t)(3 * MIB + 5) };
	struct spool_result res;
	unsigned char *p;
	struct spool *s;
	char err[256];
	size_t i, off;
	int rc;

	if ((p = rnd_bytes(4 * MIB, 7)) == NULL) {
		CU_FAIL_FATAL("out of memory");
		return;
	}
	for (i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL_FATAL(spool_open(&s, dir, limits[i], err,
		    sizeof err), XDS_OK);
		rc = XDS_OK;
		for (off = 0; off < 4 * MIB && rc == XDS_OK; off += 65536)
			rc = spool_write(s, p + off, 65536, err, sizeof err);
		CU_ASSERT_EQUAL(rc, XDS_ETOOBIG);
		CU_ASSERT_STRING_EQUAL(err, "data over the size limit");
		/* everything accepted up to the limit, nothing past it */
		CU_ASSERT(spool_size(s) <= limits[i]);
		CU_ASSERT(spool_size(s) + 65536 > limits[i]);
		/* later calls fail the same way */
		err[0] = '\0';
		CU_ASSERT_EQUAL(spool_write(s, p, 1, err, sizeof err),
		    XDS_ETOOBIG);
		CU_ASSERT_STRING_EQUAL(err, "data over the size limit");
		if (i == 0) {
			spool_abort(s);
		} else {
			err[0] = '\0';
			CU_ASSERT_EQUAL(spool_finish(s, &res, err, sizeof err),
			    XDS_ETOOBIG);
			CU_ASSERT_STRING_EQUAL(err, "data over the size limit");
			CU_ASSERT_STRING_EQUAL(res.path, "");
		}
		CU_ASSERT_EQUAL(count_files(), 0);
	}
	/* Exactly at the limit is fine. */
	CU_ASSERT_EQUAL_FATAL(spool_open(&s, dir, (off_t)(2 * MIB), err,
	    sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(spool_write(s, p, 2 * MIB, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(spool_write(s, p, 0, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(spool_write(s, p, 1, err, sizeof err), XDS_ETOOBIG);
	spool_abort(s);
	CU_ASSERT_EQUAL(count_files(), 0);
	free(p);
}

static void
test_abort(void)
{
	static const size_t sizes[] = { 0, 100, 5 * MIB + 3 };
	unsigned char *p;
	struct spool *s;
	char err[256];
	size_t i;

	spool_abort(NULL);
	if ((p = rnd_bytes(5 * MIB + 3, 9)) == NULL) {
		CU_FAIL_FATAL("out of memory");
		return;
	}
	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		CU_ASSERT_EQUAL_FATAL(spool_open(&s, dir, 0, err, sizeof err),
		    XDS_OK);
		CU_ASSERT_EQUAL(count_files(), 1);
		CU_ASSERT_EQUAL(spool_write(s, p, sizes[i], err, sizeof err),
		    XDS_OK);
		spool_abort(s);
		CU_ASSERT_EQUAL(count_files(), 0);
	}
	free(p);
	/* No such directory; a directory path that does not fit. */
	{
		char longdir[1100];

		err[0] = '\0';
		CU_ASSERT_EQUAL(spool_open(&s, "/nonexistent/spool", 0, err,
		    sizeof err), XDS_EIO);
		CU_ASSERT_PTR_NULL(s);
		CU_ASSERT_STRING_EQUAL(err, "cannot create spool file");
		memset(longdir, 'a', sizeof longdir - 1);
		longdir[0] = '/';
		longdir[sizeof longdir - 1] = '\0';
		CU_ASSERT_EQUAL(spool_open(&s, longdir, 0, err, sizeof err),
		    XDS_EIO);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "too long"));
		CU_ASSERT_EQUAL(spool_open(&s, NULL, 0, err, sizeof err),
		    XDS_EIO);
	}
}

/* A file that cannot grow (RLIMIT_FSIZE, in a child process): the write
 * error comes back as XDS_EIO from the writer thread (large) or the
 * caller's thread (small), and the file is removed.  Exit status: 0 if
 * every check held, else the number of the failed one. */
static int
write_error_child(void)
{
	static const size_t sizes[] = { 1000, 5 * MIB + 1 };
	struct spool_result res;
	struct rlimit rl = { 512, 512 };	/* under both sizes */
	unsigned char *p;
	struct spool *s;
	char err[256];
	size_t i, off;
	int rc;

	if (signal(SIGXFSZ, SIG_IGN) == SIG_ERR || setrlimit(RLIMIT_FSIZE,
	    &rl) != 0 || (p = rnd_bytes(5 * MIB + 1, 1)) == NULL)
		return 10;
	for (i = 0; i < 2; i++) {
		if (spool_open(&s, dir, 0, err, sizeof err) != XDS_OK)
			return 11;
		rc = XDS_OK;
		for (off = 0; off < sizes[i] && rc == XDS_OK; off += 4096)
			rc = spool_write(s, p + off, sizes[i] - off < 4096 ?
			    sizes[i] - off : 4096, err, sizeof err);
		if (rc == XDS_OK)
			rc = spool_finish(s, &res, err, sizeof err);
		else
			spool_abort(s);
		if (rc != XDS_EIO)
			return 12 + (int)i;
		if (strcmp(err, "cannot write spool file") != 0)
			return 14;
		if (count_files() != 0)
			return 15;
	}
	free(p);
	return 0;
}

static void
test_write_error(void)
{
	pid_t pid;
	int st = -1;

	if ((pid = fork()) < 0) {
		CU_FAIL("fork");
		return;
	}
	if (pid == 0)
		_exit(write_error_child());
	CU_ASSERT_EQUAL(waitpid(pid, &st, 0), pid);
	CU_ASSERT(WIFEXITED(st));
	CU_ASSERT_EQUAL(WEXITSTATUS(st), 0);
	CU_ASSERT_EQUAL(count_files(), 0);
}

/* Many spools at once, small (inline) and large (threaded). */
struct worker {
	const unsigned char *p;
	size_t		 max;
	uint64_t	 seed;
	int		 failures;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	size_t n;
	int i;

	for (i = 0; i < 20; i++) {
		/* half small, half up to max */
		n = (size_t)(rnd(&w->seed) % (i % 2 ? w->max : 64 * 1024));
		if (spool_check(w->p, n, 1 + rnd(&w->seed) % (512 * 1024),
		    w->seed) != 0)
			w->failures++;
	}
	return NULL;
}

static void
test_concurrent(void)
{
	struct worker w[8];
	pthread_t th[8];
	unsigned char *p;
	int i, started = 0, failures = 0;

	if ((p = rnd_bytes(6 * MIB, 11)) == NULL) {
		CU_FAIL_FATAL("out of memory");
		return;
	}
	for (i = 0; i < 8; i++) {
		w[i].p = p;
		w[i].max = 6 * MIB;
		w[i].seed = 1000 + (uint64_t)i;
		w[i].failures = 0;
		if (pthread_create(&th[i], NULL, worker_main, &w[i]) != 0)
			break;
		started++;
	}
	CU_ASSERT_EQUAL(started, 8);
	for (i = 0; i < started; i++) {
		pthread_join(th[i], NULL);
		failures += w[i].failures;
	}
	CU_ASSERT_EQUAL(failures, 0);
	CU_ASSERT_EQUAL(count_files(), 0);
	free(p);
}

/* base64 */

struct out {
	char	 b[256];
	size_t	 n;
	int	 refuse;	/* return this from the callback */
};

static int
collect(void *arg, const unsigned char *p, size_t n)
{
	struct out *o = arg;

	if (o->refuse)
		return o->refuse;
	if (n > sizeof o->b - 1 - o->n)
		return -99;
	memcpy(o->b + o->n, p, n);
	o->n += n;
	o->b[o->n] = '\0';
	return 0;
}

/* Decode s fed in pieces of `step` characters; rc of the first failure. */
static int
dec(const char *s, size_t step, struct out *o, char *err, size_t errlen)
{
	struct b64dec st;
	size_t off, len = strlen(s), c;
	int rc;

	memset(&st, 0, sizeof st);
	memset(o, 0, sizeof *o);
	err[0] = '\0';
	for (off = 0; off < len; off += c) {
		c = len - off < step ? len - off : step;
		if ((rc = b64dec_feed(&st, s + off, c, collect, o, err,
		    errlen)) != 0)
			return rc;
	}
	return b64dec_final(&st, collect, o, err, errlen);
}

static void
test_b64(void)
{
	static const struct { const char *in, *out; } v[] = {
		/* RFC 4648 section 10 */
		{ "", "" }, { "Zg==", "f" }, { "Zm8=", "fo" }, { "Zm9v", "foo" },
		{ "Zm9vYg==", "foob" }, { "Zm9vYmE=", "fooba" },
		{ "Zm9vYmFy", "foobar" },
		/* whitespace anywhere (RFC 2045 6.8) */
		{ " Zm9v\r\nYm\tFy\n", "foobar" }, { "Zm9vYg=\r\n=\r\n", "foob" },
		/* unpadded end tolerated */
		{ "Zm9vYg", "foob" }, { "Zm9vYmE", "fooba" },
		/* the whole alphabet */
		{ "+/+/", "\xfb\xff\xbf" }, { "AAEC", "\x00\x01\x02" },
	};
	static const struct { const char *in, *err; } bad[] = {
		{ "Zm9*", "base64 part: invalid character" },
		{ "Zm9v-", "base64 part: invalid character" },
		{ "Zg=a", "base64 part: invalid character" },
		{ "Zg==Zg==", "base64 part: data after the padding" },
		{ "Zm8=x", "base64 part: data after the padding" },
		{ "=AAA", "base64 part: misplaced '='" },
		{ "Z===", "base64 part: misplaced '='" },
		{ "Zm9vY", "base64 part: truncated" },
		{ "Zg=", "base64 part: truncated" },
	};
	struct out o;
	char err[128];
	size_t i, step;

	for (i = 0; i < sizeof v / sizeof v[0]; i++)
		for (step = 1; step <= 9; step += 8) {
			CU_ASSERT_EQUAL(dec(v[i].in, step, &o, err, sizeof err),
			    0);
			CU_ASSERT_EQUAL(o.n, i >= 11 ? 3 : strlen(v[i].out));
			CU_ASSERT_EQUAL(memcmp(o.b, v[i].out, o.n), 0);
		}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		for (step = 1; step <= 9; step += 8) {
			CU_ASSERT_EQUAL(dec(bad[i].in, step, &o, err,
			    sizeof err), XDS_EFORMAT);
			CU_ASSERT_STRING_EQUAL(err, bad[i].err);
		}
	/* The callback's refusal is passed back unchanged. */
	{
		struct b64dec st;

		memset(&st, 0, sizeof st);
		memset(&o, 0, sizeof o);
		o.refuse = -3;
		CU_ASSERT_EQUAL(b64dec_feed(&st, "Zm9v", 4, collect, &o, err,
		    sizeof err), -3);
		memset(&st, 0, sizeof st);
		CU_ASSERT_EQUAL(b64dec_feed(&st, "Zm9vYg", 6, collect, &o, err,
		    sizeof err), -3);
		memset(&st, 0, sizeof st);
		o.refuse = 0;
		CU_ASSERT_EQUAL(b64dec_feed(&st, "Zm9vYg", 6, collect, &o, err,
		    sizeof err), 0);
		o.refuse = -3;
		CU_ASSERT_EQUAL(b64dec_final(&st, collect, &o, err,
		    sizeof err), -3);
	}
}

/* A long stream through the decoder into a spool: the callback chunking
 * (3 KiB of output at a time) and the digests agree with one shot. */
struct b64sp {
	struct spool	*s;
	char		 err[256];
};

static int
to_spool(void *arg, const unsigned char *p, size_t n)
{
	struct b64sp *b = arg;

	return spool_write(b->s, p, n, b->err, sizeof b->err);
}

static void
test_b64_spool(void)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = 3 * MIB + 2, i, j = 0, off, c, elen;
	unsigned char *p;
	char *enc = NULL, sha1[41], err[256];
	struct spool_result res;
	struct b64dec st;
	struct b64sp b;
	uint64_t seed = 5;
	unsigned long v;

	p = rnd_bytes(n, 3);
	elen = (n + 2) / 3 * 4 + n / 57 * 2 + 2;
	enc = malloc(elen);
	if (p == NULL || enc == NULL) {
		CU_FAIL("out of memory");
		goto out;
	}
	for (i = 0; i < n; i += 3) {
		v = (unsigned long)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned long)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		enc[j++] = al[v >> 18 & 63];
		enc[j++] = al[v >> 12 & 63];
		enc[j++] = i + 1 < n ? al[v >> 6 & 63] : '=';
		enc[j++] = i + 2 < n ? al[v & 63] : '=';
		if ((i / 3) % 19 == 18) {	/* 76-character lines */
			enc[j++] = '\r';
			enc[j++] = '\n';
		}
	}
	CU_ASSERT_FATAL(j <= elen);
	memset(&st, 0, sizeof st);
	CU_ASSERT_EQUAL_FATAL(spool_open(&b.s, dir, 0, err, sizeof err),
	    XDS_OK);
	for (off = 0; off < j; off += c) {
		c = 1 + (size_t)(rnd(&seed) % 70000);
		if (c > j - off)
			c = j - off;
		if (b64dec_feed(&st, enc + off, c, to_spool, &b, err,
		    sizeof err) != 0)
			break;
	}
	CU_ASSERT_EQUAL(off, j);
	CU_ASSERT_EQUAL(b64dec_final(&st, to_spool, &b, err, sizeof err), 0);
	CU_ASSERT_EQUAL_FATAL(spool_finish(b.s, &res, err, sizeof err),
	    XDS_OK);
	hex_digest(EVP_sha1(), p, n, sha1);
	CU_ASSERT_STRING_EQUAL(res.sha1, sha1);
	CU_ASSERT_EQUAL(res.size, (off_t)n);
	CU_ASSERT_EQUAL(unlink(res.path), 0);
out:
	free(enc);
	free(p);
}

static const struct cutest tests[] = {
	{ "sizes and digests", test_sizes },
	{ "max_size", test_too_big },
	{ "abort and open errors", test_abort },
	{ "write errors", test_write_error },
	{ "8 threads x 20 spools", test_concurrent },
	{ "base64 decoder", test_b64 },
	{ "base64 into a spool", test_b64_spool },
};

int
main(void)
{
	int rc;

	if (testutil_tmpdir("spool", dir, sizeof dir) != 0)
		return 99;
	rc = cutest_run("spool", tests, sizeof tests / sizeof tests[0]);
	if (rmdir(dir) != 0)
		return 1;	/* files left behind */
	return rc;
}
