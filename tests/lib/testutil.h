/*
 * testutil.h: what the CUnit test programs share (tests/lib/testutil.c).
 *
 * Temporary directories, whole files (read, written), walks over a
 * directory tree, the conformance corpus and the source tree, and
 * waiting for a condition with a deadline: a test waits for the event it
 * needs (a counter, a state, a file), never sleeps for it; the deadline
 * only bounds how long a failing test hangs.
 */
#ifndef XDS_TESTUTIL_H
#define XDS_TESTUTIL_H

#include <pthread.h>
#include <stdio.h>
#include <stddef.h>

#include <libxml/tree.h>

/* How long a test waits for an event before it fails: generous, since
 * it only limits a failing test (the machine may be loaded). */
#define TESTUTIL_DEADLINE_MS	30000

/* Milliseconds on CLOCK_MONOTONIC. */
long long	testutil_mono_ms(void);

/*
 * Call pred(arg) until it returns nonzero or timeout_ms have passed
 * (polled every few milliseconds).  Returns 1 when pred held, 0 when the
 * deadline passed first.
 */
int	testutil_wait(int (*pred)(void *), void *arg, long long timeout_ms);

/*
 * An event with a count, for threads to announce ("entered", "done")
 * and tests to wait on: TESTUTIL_COUNT_INIT, then add from any thread,
 * read or wait from another.
 */
struct testutil_count {
	pthread_mutex_t	mu;
	pthread_cond_t	cv;
	int		n;
};
#define TESTUTIL_COUNT_INIT \
	{ PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 }
void	testutil_count_add(struct testutil_count *, int);
int	testutil_count_get(struct testutil_count *);
/* Until the count reaches n: 1, or 0 after timeout_ms. */
int	testutil_count_wait(struct testutil_count *, int n, long long timeout_ms);

/* A new directory $TMPDIR/xds-<name>-XXXXXX (mode 0700) in out: 0, or -1
 * (errno set). */
int	testutil_tmpdir(const char *name, char *out, size_t outlen);
/* rm -rf path (no shell): 0, or -1 when something could not be removed. */
int	testutil_rmtree(const char *path);
/* Entries of dir other than dot files, recursively counting files only
 * when recurse; -1 when dir cannot be read. */
int	testutil_count_files(const char *dir, int recurse);

/* The whole file, NUL-terminated (malloc'd; *len without the NUL), or
 * NULL (errno set).  len may be NULL. */
char	*testutil_read_file(const char *path, size_t *len);
/* path made (or truncated) to hold the n bytes at p, or the string
 * text: 0, or -1. */
int	testutil_write_file(const char *path, const void *p, size_t n);
int	testutil_write_text(const char *path, const char *text);
/* testutil_read_file() of $top_srcdir/rel (the build directory when
 * top_srcdir is unset): a file of the source tree. */
char	*testutil_srcdir_file(const char *rel, size_t *len);

/*
 * The regular files below dir, in name order, depth first, dot files and
 * symbolic links passed over: fn(path, arg) for each whose name ends with
 * suffix (NULL: every file).  The number of files fn was called for, or
 * -1 when a directory cannot be read.
 */
int	testutil_walk(const char *dir, const char *suffix,
	    void (*fn)(const char *path, void *arg), void *arg);

/* The XML of node in doc as text (malloc'd), or NULL. */
char	*testutil_xml_text(xmlDoc *doc, xmlNode *node);

/* $XDS_TESTDATA (the conformance corpus), or NULL when unset or not a
 * directory: the caller skips what needs it. */
const char *testutil_testdata(void);
/*
 * At the start of a test that needs the corpus: without one (no
 * $XDS_TESTDATA), say so and pass over the test.  The rest of the
 * program still runs, so a checkout without the corpus tests what it can.
 */
#define TESTUTIL_NEED_CORPUS() do {					\
	if (testutil_testdata() == NULL) {				\
		fputs("corpus absent: skipped ", stderr);		\
		return;							\
	}								\
} while (0)
/* testutil_read_file() of $XDS_TESTDATA/rel; NULL when there is no
 * corpus or no such file. */
char	*testutil_testdata_file(const char *rel, size_t *len);

#endif /* XDS_TESTUTIL_H */
