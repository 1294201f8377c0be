/*
 * bridge_stage.c: pushed instances made durable at their storage
 * commitment, not at each C-STORE (bridge_stage.h).
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bridge_db.h"
#include "bridge_receive.h"
#include "bridge_stage.h"
#include "clock.h"
#include "fileio.h"
#include "log.h"
#include "str.h"

#define PATH_SZ		1024
#define ORIGIN_SZ	16

struct staged {
	struct bridge_db_row	 row;
	char			 origin[ORIGIN_SZ];
	unsigned long long	 seq;	/* a resend replaces an earlier one */
	long long		 at;	/* clock_mono when staged */
};

struct bridge_stage {
	pthread_mutex_t		 mu;
	struct bridge_receive	*rcv;
	struct bridge_db	*db;
	char			 root[PATH_SZ];		/* state_dir/dicom */
	struct staged		*v;			/* under mu */
	size_t			 n, cap;
	unsigned long long	 seq;
	unsigned long long	 overflows;
	unsigned long long	 expired;
	long long		 swept;		/* clock_mono of the last sweep */
};

enum xds_status
bridge_stage_new(struct bridge_receive *r, struct bridge_db *db,
    const char *state_dir, struct bridge_stage **out, char *err,
    size_t errlen)
{
	struct bridge_stage *s;

	*out = NULL;
	if ((s = calloc(1, sizeof *s)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return XDS_ENOMEM;
	}
	if (str_fmt(s->root, sizeof s->root, "%s/dicom", state_dir) < 0) {
		free(s);
		str_fmt(err, errlen, "node.state_dir: path too long");
		return XDS_EINVAL;
	}
	pthread_mutex_init(&s->mu, NULL);
	s->rcv = r;
	s->db = db;
	*out = s;
	return XDS_OK;
}

/* The staged file of e, or its final name (final != 0). */
static int
staged_path(const struct bridge_stage *s, const struct staged *e, int final,
    char *out, size_t outsz)
{
	if (final)
		return str_fmt(out, outsz, "%s/%s/%s/%s.dcm", s->root,
		    e->row.study_uid, e->row.series_uid, e->row.sop_uid);
	return str_fmt(out, outsz, "%s/%s/%s/%s.%s" BRIDGE_STAGE_SUFFIX,
	    s->root, e->row.study_uid, e->row.series_uid, e->row.sop_uid,
	    e->origin);
}

void
bridge_stage_free(struct bridge_stage *s)
{
	char path[PATH_SZ];
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		if (staged_path(s, &s->v[i], 0, path, sizeof path) >= 0)
			(void)unlink(path);
	if (s->n > 0)
		log_info("push: %zu instances received but never committed "
		    "removed", s->n);
	pthread_mutex_destroy(&s->mu);
	free(s->v);
	free(s);
}

static int
origin_valid(const char *o)
{
	size_t i;

	for (i = 0; o[i] != '\0'; i++)
		if (i + 1 >= ORIGIN_SZ || !((o[i] >= '0' && o[i] <= '9') ||
		    (o[i] >= 'A' && o[i] <= 'Z') ||
		    (o[i] >= 'a' && o[i] <= 'z')))
			return 0;
	return i > 0;
}

/* Room for one more under mu: 0, or -1 when full (or out of memory). */
static int
stage_room(struct bridge_stage *s)
{
	struct staged *nv;
	size_t cap;

	if (s->n >= BRIDGE_STAGE_MAX)
		return -1;
	if (s->n < s->cap)
		return 0;
	cap = s->cap == 0 ? 256 : s->cap * 2;
	if (cap > BRIDGE_STAGE_MAX)
		cap = BRIDGE_STAGE_MAX;
	if ((nv = realloc(s->v, cap * sizeof *nv)) == NULL)
		return -1;
	s->v = nv;
	s->cap = cap;
	return 0;
}

/* Entries by the file they stage: origin, then SOP Instance UID. */
static int
file_cmp(const void *a, const void *b)
{
	const struct staged *x = *(const struct staged *const *)a;
	const struct staged *y = *(const struct staged *const *)b;
	int c = strcmp(x->origin, y->origin);

	return c != 0 ? c : strcmp(x->row.sop_uid, y->row.sop_uid);
}

/*
 * At most once a minute, the instances staged more than BRIDGE_STAGE_TTL
 * ago forgotten and their files removed: a sender that stopped before
 * its commitment request (crashed, gave up) would otherwise hold them
 * until the node stops.  Its next attempt, if any, sends them again.  A
 * file a fresher resend staged again stays.  mu held.
 */
static void
stage_expire(struct bridge_stage *s, long long now)
{
	const struct staged **keep = NULL, *e;
	char path[PATH_SZ];
	size_t i, k = 0, nk = 0, gone = 0;

	if (now - s->swept < 60 * 1000)
		return;
	s->swept = now;
	for (i = 0; i < s->n; i++)
		if (now - s->v[i].at >= BRIDGE_STAGE_TTL * 1000LL)
			gone++;
	/* the entries kept, sorted by file: an expired one whose file a
	 * kept resend staged again leaves it (n log n, under mu) */
	if (gone == 0 || (keep = calloc(s->n - gone + 1, sizeof *keep)) ==
	    NULL)
		return;		/* out of memory: the next sweep */
	for (i = 0; i < s->n; i++)
		if (now - s->v[i].at < BRIDGE_STAGE_TTL * 1000LL)
			keep[nk++] = &s->v[i];
	qsort(keep, nk, sizeof *keep, file_cmp);
	for (i = 0; i < s->n; i++) {
		e = &s->v[i];
		if (now - e->at < BRIDGE_STAGE_TTL * 1000LL)
			continue;
		if (bsearch(&e, keep, nk, sizeof *keep, file_cmp) == NULL &&
		    staged_path(s, e, 0, path, sizeof path) >= 0)
			(void)unlink(path);
	}
	free(keep);
	for (i = 0; i < s->n; i++)
		if (now - s->v[i].at < BRIDGE_STAGE_TTL * 1000LL)
			s->v[k++] = s->v[i];
	s->n = k;
	if (gone > 0) {
		s->expired += gone;
		log_warnx("push: %zu instances received more than %d s ago "
		    "and never committed removed", gone, BRIDGE_STAGE_TTL);
	}
}

enum dcmshim_store_result
bridge_stage_store(struct bridge_stage *s, const char *tmppath,
    const struct dcmshim_info *in, const char *calling_ae,
    const char *origin)
{
	struct staged e;
	enum dcmshim_store_result res;
	char series[PATH_SZ], path[PATH_SZ], bsn[10];
	int full;

	if (!origin_valid(origin))
		return DCMSHIM_STORE_NORESOURCES;
	pthread_mutex_lock(&s->mu);
	stage_expire(s, clock_mono());
	full = s->n >= BRIDGE_STAGE_MAX;
	if (full && s->overflows++ % 1000 == 0)
		log_warnx("push: %d instances wait for their commitment: "
		    "this one made durable at once", BRIDGE_STAGE_MAX);
	pthread_mutex_unlock(&s->mu);
	if (full)
		return bridge_receive_store_from(s->rcv, tmppath, in,
		    calling_ae, NULL, origin);
	if ((res = bridge_receive_prepare(s->rcv, in, calling_ae, series,
	    sizeof series)) != DCMSHIM_STORE_OK)
		return res;
	memset(&e, 0, sizeof e);
	(void)bridge_receive_bsn(s->rcv, in, calling_ae, bsn);
	bridge_db_row_of(in, bsn[0] != '\0' ? bsn : NULL, &e.row);
	str_lcpy(e.origin, origin, sizeof e.origin);
	if (staged_path(s, &e, 0, path, sizeof path) < 0)
		return DCMSHIM_STORE_NORESOURCES;
	pthread_mutex_lock(&s->mu);
	if (stage_room(s) != 0) {
		/* Others filled it meanwhile: durable now, as past it. */
		s->overflows++;
		pthread_mutex_unlock(&s->mu);
		return bridge_receive_store_from(s->rcv, tmppath, in,
		    calling_ae, NULL, origin);
	}
	/* No fsync: bridge_stage_commit flushes it before its row.  The
	 * rename and the entry under mu, together: a sweep must not see a
	 * resend's file in place without its entry (it would remove it). */
	if (rename(tmppath, path) != 0) {
		pthread_mutex_unlock(&s->mu);
		log_warn("push: staging an instance of %s", in->study_uid);
		return DCMSHIM_STORE_NORESOURCES;
	}
	e.seq = ++s->seq;
	e.at = clock_mono();
	s->v[s->n++] = e;
	pthread_mutex_unlock(&s->mu);
	return DCMSHIM_STORE_OK;
}

/* By SOP Instance UID, the latest (highest seq) first. */
static int
staged_cmp(const void *a, const void *b)
{
	const struct staged *x = a, *y = b;
	int c = strcmp(x->row.sop_uid, y->row.sop_uid);

	if (c != 0)
		return c;
	return x->seq < y->seq ? 1 : x->seq > y->seq ? -1 : 0;
}

/* Take origin's staged instances out of s into *out (*n of them), each
 * SOP Instance UID once (its latest). */
static enum xds_status
stage_take(struct bridge_stage *s, const char *origin, struct staged **out,
    size_t *n, char *err, size_t errlen)
{
	struct staged *t;
	size_t i, k = 0, m = 0;

	*out = NULL;
	*n = 0;
	pthread_mutex_lock(&s->mu);
	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i].origin, origin) == 0)
			m++;
	if (m == 0) {
		pthread_mutex_unlock(&s->mu);
		return XDS_OK;
	}
	if ((t = calloc(m, sizeof *t)) == NULL) {
		pthread_mutex_unlock(&s->mu);
		str_fmt(err, errlen, "out of memory");
		return XDS_ENOMEM;
	}
	for (i = 0, m = 0; i < s->n; i++) {
		if (strcmp(s->v[i].origin, origin) == 0)
			t[m++] = s->v[i];
		else
			s->v[k++] = s->v[i];
	}
	s->n = k;
	pthread_mutex_unlock(&s->mu);
	qsort(t, m, sizeof *t, staged_cmp);
	for (i = 0, k = 0; i < m; i++)
		if (k == 0 || strcmp(t[k - 1].row.sop_uid,
		    t[i].row.sop_uid) != 0)
			t[k++] = t[i];
	*out = t;
	*n = k;
	return XDS_OK;
}

/* The series directories of t's instances not dropped, each once (the
 * first instance of each is the one whose look back finds none). */
static enum xds_status
flush_dirs(struct bridge_stage *s, const struct staged *t, size_t n,
    char *err, size_t errlen)
{
	char dir[PATH_SZ];
	enum xds_status st;
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (t[i].row.sop_uid[0] == '\0')
			continue;
		for (j = 0; j < i; j++)
			if (t[j].row.sop_uid[0] != '\0' &&
			    strcmp(t[j].row.series_uid,
			    t[i].row.series_uid) == 0 &&
			    strcmp(t[j].row.study_uid,
			    t[i].row.study_uid) == 0)
				break;
		if (j < i)
			continue;
		if (str_fmt(dir, sizeof dir, "%s/%s/%s", s->root,
		    t[i].row.study_uid, t[i].row.series_uid) < 0) {
			str_fmt(err, errlen, "path too long");
			return XDS_EIO;
		}
		if ((st = fileio_fsync_dir(dir, err, errlen)) != XDS_OK)
			return st;
	}
	return XDS_OK;
}

/*
 * The files of t made durable under their final names: an fsync of each
 * (a failed one is dropped: marked by an empty sop_uid, its file
 * removed), the renames, then an fsync of the directories they changed.
 * Not one syncfs of the store's file system: measured in the push
 * benchmark, a few tens of milliseconds either way for 1,000 files (the
 * write-back of each started as it arrived), both up to a second while
 * other processes flushed, and syncfs waits for every other writer's
 * data and reports a write-back error of any file.
 */
static enum xds_status
stage_flush(struct bridge_stage *s, struct staged *t, size_t n, char *err,
    size_t errlen)
{
	char from[PATH_SZ], to[PATH_SZ], e[256];
	size_t i;

	for (i = 0; i < n; i++) {
		str_lcpy(e, "path too long", sizeof e);
		if (staged_path(s, &t[i], 0, from, sizeof from) < 0 ||
		    fileio_fsync(from, e, sizeof e) != XDS_OK) {
			log_warnx("push: %s from %s not committed: its file "
			    "could not be flushed (%s)", t[i].row.sop_uid,
			    t[i].origin, e);
			(void)unlink(from);
			t[i].row.sop_uid[0] = '\0';
		}
	}
	for (i = 0; i < n; i++) {
		if (t[i].row.sop_uid[0] == '\0')
			continue;
		if (staged_path(s, &t[i], 0, from, sizeof from) < 0 ||
		    staged_path(s, &t[i], 1, to, sizeof to) < 0 ||
		    rename(from, to) != 0) {
			log_warn("push: %s from %s not committed",
			    t[i].row.sop_uid, t[i].origin);
			t[i].row.sop_uid[0] = '\0';
		}
	}
	return flush_dirs(s, t, n, err, errlen);
}

enum xds_status
bridge_stage_commit(struct bridge_stage *s, const char *origin, size_t *n,
    char *err, size_t errlen)
{
	struct bridge_db_row *rows = NULL;
	struct staged *t = NULL;
	enum xds_status st;
	size_t i, m = 0, k = 0;
	long long t0, t1;

	*n = 0;
	if ((st = stage_take(s, origin, &t, &m, err, errlen)) != XDS_OK ||
	    m == 0)
		return st;
	t0 = clock_real_ms();
	if ((st = stage_flush(s, t, m, err, errlen)) != XDS_OK)
		goto out;
	t1 = clock_real_ms();
	if ((rows = calloc(m, sizeof *rows)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		st = XDS_ENOMEM;
		goto out;
	}
	for (i = 0; i < m; i++)
		if (t[i].row.sop_uid[0] != '\0')
			rows[k++] = t[i].row;
	if (k > 0 && bridge_db_instances_from(s->db, rows, k, origin,
	    clock_wall(), err, errlen) != 0) {
		st = XDS_EIO;
		goto out;
	}
	*n = k;
	log_info("push: %zu instances from %s made durable: files %lld ms, "
	    "rows %lld ms", k, origin, t1 - t0, clock_real_ms() - t1);
out:
	free(rows);
	free(t);
	return st;
}

size_t
bridge_stage_count(struct bridge_stage *s)
{
	size_t n;

	pthread_mutex_lock(&s->mu);
	n = s->n;
	pthread_mutex_unlock(&s->mu);
	return n;
}

unsigned long long
bridge_stage_overflows(struct bridge_stage *s)
{
	unsigned long long n;

	pthread_mutex_lock(&s->mu);
	n = s->overflows;
	pthread_mutex_unlock(&s->mu);
	return n;
}

unsigned long long
bridge_stage_expired(struct bridge_stage *s)
{
	unsigned long long n;

	pthread_mutex_lock(&s->mu);
	n = s->expired;
	pthread_mutex_unlock(&s->mu);
	return n;
}
