/*
 * testutil.c: helpers of the CUnit test programs (testutil.h).
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#define POLL_MS	5

long long
testutil_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
testutil_wait(int (*pred)(void *), void *arg, long long timeout_ms)
{
	struct timespec nap = { 0, POLL_MS * 1000000L };
	long long end = testutil_mono_ms() + timeout_ms;

	for (;;) {
		if (pred(arg))
			return 1;
		if (testutil_mono_ms() >= end)
			return pred(arg) != 0;
		nanosleep(&nap, NULL);
	}
}

void
testutil_count_add(struct testutil_count *c, int k)
{
	pthread_mutex_lock(&c->mu);
	c->n += k;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

int
testutil_count_get(struct testutil_count *c)
{
	int n;

	pthread_mutex_lock(&c->mu);
	n = c->n;
	pthread_mutex_unlock(&c->mu);
	return n;
}

int
testutil_count_wait(struct testutil_count *c, int n, long long timeout_ms)
{
	struct timespec ts;
	long long end;
	int ok;

	clock_gettime(CLOCK_REALTIME, &ts);
	end = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + timeout_ms;
	ts.tv_sec = (time_t)(end / 1000);
	ts.tv_nsec = (long)(end % 1000) * 1000000;
	pthread_mutex_lock(&c->mu);
	while (c->n < n && pthread_cond_timedwait(&c->cv, &c->mu, &ts) == 0)
		;
	ok = c->n >= n;
	pthread_mutex_unlock(&c->mu);
	return ok;
}

int
testutil_tmpdir(const char *name, char *out, size_t outlen)
{
	const char *t = getenv("TMPDIR");
	int n;

	if (t == NULL || *t == '\0')
		t = "/tmp";
	n = snprintf(out, outlen, "%s/xds-%s-XXXXXX", t, name);
	if (n < 0 || (size_t)n >= outlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return mkdtemp(out) != NULL ? 0 : -1;
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)f;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) == 0 ||
	    errno == ENOENT ? 0 : -1;
}

int
testutil_rmtree(const char *path)
{
	struct stat sb;

	if (lstat(path, &sb) != 0)
		return errno == ENOENT ? 0 : -1;
	return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

int
testutil_count_files(const char *dir, int recurse)
{
	char p[PATH_MAX];
	struct dirent *e;
	struct stat sb;
	DIR *d;
	int n = 0, k;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (!recurse) {
			n++;
			continue;
		}
		k = snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		if (k < 0 || (size_t)k >= sizeof p || lstat(p, &sb) != 0)
			continue;
		if (S_ISDIR(sb.st_mode))
			n += (k = testutil_count_files(p, 1)) > 0 ? k : 0;
		else
			n++;
	}
	closedir(d);
	return n;
}

char *
testutil_read_file(const char *path, size_t *len)
{
	struct stat sb;
	FILE *fp;
	char *p = NULL;
	size_t n = 0;

	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	if (fstat(fileno(fp), &sb) != 0 || sb.st_size < 0 ||
	    (p = malloc((size_t)sb.st_size + 1)) == NULL)
		goto out;
	n = fread(p, 1, (size_t)sb.st_size, fp);
	if (n != (size_t)sb.st_size || ferror(fp)) {
		free(p);
		p = NULL;
		errno = EIO;
		goto out;
	}
	p[n] = '\0';
	if (len != NULL)
		*len = n;
out:
	fclose(fp);
	return p;
}

int
testutil_write_file(const char *path, const void *p, size_t n)
{
	FILE *fp;
	int ok;

	if ((fp = fopen(path, "wb")) == NULL)
		return -1;
	ok = n == 0 || fwrite(p, 1, n, fp) == n;
	return fclose(fp) == 0 && ok ? 0 : -1;
}

int
testutil_write_text(const char *path, const char *text)
{
	return testutil_write_file(path, text, strlen(text));
}

char *
testutil_srcdir_file(const char *rel, size_t *len)
{
	const char *top = getenv("top_srcdir");
	char path[PATH_MAX];
	int n;

	n = snprintf(path, sizeof path, "%s/%s", top != NULL && *top != '\0' ?
	    top : ".", rel);
	if (n < 0 || (size_t)n >= sizeof path) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	return testutil_read_file(path, len);
}

static int
no_dot(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

static int
has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), k;

	if (suffix == NULL)
		return 1;
	k = strlen(suffix);
	return n > k && strcmp(name + n - k, suffix) == 0;
}

int
testutil_walk(const char *dir, const char *suffix,
    void (*fn)(const char *path, void *arg), void *arg)
{
	char path[PATH_MAX];
	struct dirent **e;
	struct stat sb;
	int i, k, n, count = 0;

	if ((n = scandir(dir, &e, no_dot, alphasort)) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		k = snprintf(path, sizeof path, "%s/%s", dir, e[i]->d_name);
		if (count >= 0 && k > 0 && (size_t)k < sizeof path &&
		    lstat(path, &sb) == 0) {
			if (S_ISDIR(sb.st_mode)) {
				k = testutil_walk(path, suffix, fn, arg);
				count = k < 0 ? -1 : count + k;
			} else if (S_ISREG(sb.st_mode) &&
			    has_suffix(e[i]->d_name, suffix)) {
				fn(path, arg);
				count++;
			}
		}
		free(e[i]);
	}
	free(e);
	return count;
}

char *
testutil_xml_text(xmlDoc *doc, xmlNode *node)
{
	xmlBuffer *xb;
	char *s = NULL;

	if ((xb = xmlBufferCreate()) == NULL)
		return NULL;
	if (xmlNodeDump(xb, doc, node, 0, 0) >= 0)
		s = strdup((const char *)xmlBufferContent(xb));
	xmlBufferFree(xb);
	return s;
}

const char *
testutil_testdata(void)
{
	const char *td = getenv("XDS_TESTDATA");
	struct stat sb;

	if (td == NULL || *td == '\0' || stat(td, &sb) != 0 ||
	    !S_ISDIR(sb.st_mode))
		return NULL;
	return td;
}

char *
testutil_testdata_file(const char *rel, size_t *len)
{
	const char *td = testutil_testdata();
	char path[PATH_MAX];
	int n;

	if (td == NULL)
		return NULL;
	n = snprintf(path, sizeof path, "%s/%s", td, rel);
	if (n < 0 || (size_t)n >= sizeof path)
		return NULL;
	return testutil_read_file(path, len);
}
