/*
 * push_fetch.c: a push job's instances fetched from dicom.pacs into its
 * spool when this node holds only their header-only copies (dicom.mode =
 * proxy), a window at a time (push_fetch.h).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "dcmfetch.h"
#include "fileio.h"
#include "log.h"
#include "push_fetch.h"
#include "push_int.h"
#include "space.h"
#include "str.h"
#include "vocab.h"

#define PATH_SZ		1024
#define SPOOL_DIR	"push-spool"
#define NTS		3	/* as received, explicit LE, implicit LE */

struct push_fetch {
	struct push		*p;
	long long		 job;
	char			 study[PUSH_UID_SZ];
	char			 dir[PATH_SZ];	/* the job's spool */
	char			 ae[17], host[256];
	int			 port;
	char			*stripped;	/* per item of the attempt */
	size_t			 n;
	/* the window's association and the classes it proposed */
	struct dcmfetch		*get;
	const char		*cls[DCMFETCH_MAX_PC];
	const char		*ts[DCMFETCH_MAX_PC][NTS];
	size_t			 ncls;
	/* the window fetched ahead on a thread (push_fetch_ahead) */
	pthread_t		 th;
	int			 running;
	struct push_item	*av;
	const size_t		*aidx;
	struct dcmshim_push_item *api;
	size_t			 afrom, ato;
	int			 arc;
	char			 awhy[PUSH_ERR_SZ];
};

int
push_fetch_check(const struct dcmshim_info *info, const char *study_uid,
    const char *sop_uid, char *why, size_t whylen)
{
	if (strcmp(info->sop_uid, sop_uid) != 0) {
		str_fmt(why, whylen, "the PACS sent instance %s for %s: "
		    "refused", info->sop_uid, sop_uid);
		return 0;
	}
	if (strcmp(info->study_uid, study_uid) != 0) {
		str_fmt(why, whylen, "the PACS sent %s of study %s, not of "
		    "%s: refused", sop_uid, info->study_uid, study_uid);
		return 0;
	}
	return 1;
}

static int
spool_root(const struct push *p, char *out, size_t outsz)
{
	return str_fmt(out, outsz, "%s/" SPOOL_DIR, p->conf.node_state_dir);
}

/* The files of a job's spool (no subdirectories), then the directory. */
static void
spool_remove(const char *dir)
{
	struct dirent *de;
	char path[PATH_SZ];
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (str_fmt(path, sizeof path, "%s/%s", dir, de->d_name) >= 0 &&
		    unlink(path) != 0 && errno != ENOENT)
			log_warn("push: %s", path);
	}
	closedir(d);
	if (rmdir(dir) != 0 && errno != ENOENT)
		log_warn("push: %s", dir);
}

void
push_fetch_sweep(struct push *p, int all)
{
	struct push_job j;
	struct dirent *de;
	char root[PATH_SZ], dir[PATH_SZ], e[256];
	const char *bad;
	long long id;
	DIR *d;
	int rc;

	if (spool_root(p, root, sizeof root) < 0 ||
	    (d = opendir(root)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (!all) {
			if (str_tonum(de->d_name, 1, (1LL << 62), &id,
			    &bad) != 0)
				continue;	/* not ours: left alone */
			rc = push_db_job(p->db, id, &j, e, sizeof e);
			if (rc != XDS_OK && rc != XDS_ENOTFOUND)
				continue;	/* ask again next time */
			if (rc == XDS_OK && (strcmp(j.state, "queued") == 0 ||
			    strcmp(j.state, "sending") == 0))
				continue;
		}
		if (str_fmt(dir, sizeof dir, "%s/%s", root, de->d_name) >= 0)
			spool_remove(dir);
	}
	closedir(d);
}

/* 1 when the item's stored file is a header-only copy to fetch. */
static int
is_stripped(const struct push *p, const struct dcmshim_push_item *it)
{
	char e[256];
	int rc;

	if (!it->send || it->path == NULL)
		return 0;
	rc = dcmfetch_is_stripped(it->path, e, sizeof e);
	/* in proxy mode a copy the bridge lost is fetched all the same */
	return rc == 1 || (rc < 0 && strcmp(p->conf.dicom_mode, "proxy") == 0);
}

int
push_fetch_begin(struct push *p, const struct push_job *j,
    const struct dcmshim_push_item *pi, size_t n, struct push_fetch **out,
    char *why, size_t whylen)
{
	struct push_fetch *f;
	char root[PATH_SZ], e[256];
	size_t k, nfetch = 0;
	int rc = XDS_ENOMEM;

	*out = NULL;
	if ((f = calloc(1, sizeof *f)) == NULL ||
	    (f->stripped = calloc(n > 0 ? n : 1, 1)) == NULL) {
		str_fmt(why, whylen, "out of memory");
		goto fail;
	}
	for (k = 0; k < n; k++)
		nfetch += (f->stripped[k] = (char)is_stripped(p, &pi[k]));
	if (nfetch == 0) {
		push_fetch_end(f);
		return XDS_OK;
	}
	f->p = p;
	f->job = j->id;
	f->n = n;
	str_lcpy(f->study, j->study_uid, sizeof f->study);
	rc = XDS_EINVAL;
	if (conf_split_ae(p->conf.dicom_pacs, f->ae, sizeof f->ae, f->host,
	    sizeof f->host, &f->port) != 0) {
		str_fmt(why, whylen, "%zu instances are kept at the PACS, and "
		    "dicom.pacs is not AE@host:port", nfetch);
		goto fail;
	}
	rc = XDS_EIO;
	if (spool_root(p, root, sizeof root) < 0 ||
	    str_fmt(f->dir, sizeof f->dir, "%s/%lld", root, j->id) < 0) {
		str_fmt(why, whylen, "spool: path too long");
		goto fail;
	}
	if (fileio_mkdir(root, 0700, e, sizeof e) != XDS_OK ||
	    fileio_mkdir(f->dir, 0700, e, sizeof e) != XDS_OK) {
		str_fmt(why, whylen, "spool: %s", e);
		goto fail;
	}
	*out = f;
	return XDS_OK;
fail:
	push_fetch_end(f);
	return rc;
}

static int
has_class(const struct push_fetch *f, const char *cls)
{
	size_t i;

	for (i = 0; i < f->ncls; i++)
		if (strcmp(f->cls[i], cls) == 0)
			return 1;
	return 0;
}

/* The association for the window from item k: a context per syntax
 * (the one received first, then the uncompressed ones) of each SOP class
 * of the items to fetch in the next push.fetch_window. */
static int
window_open(struct push_fetch *f, const struct push_item *v,
    const size_t *idx, size_t from, char *why, size_t whylen)
{
	struct dcmfetch_ctx ctx[DCMFETCH_MAX_PC];
	struct dcmfetch_peer peer;
	const struct push_item *it;
	size_t k, m, npc = 0, seen = 0;
	char e[256];
	int rc;

	f->ncls = 0;
	for (k = from; k < f->n && seen < (size_t)f->p->conf.push_fetch_window;
	    k++) {
		if (!f->stripped[k])
			continue;
		seen++;
		it = &v[idx[k]];
		if (has_class(f, it->sop_class))
			continue;
		m = 0;
		f->ts[f->ncls][m++] = it->ts;
		if (strcmp(it->ts, TS_EXPLICIT_LE) != 0)
			f->ts[f->ncls][m++] = TS_EXPLICIT_LE;
		if (strcmp(it->ts, TS_IMPLICIT_LE) != 0)
			f->ts[f->ncls][m++] = TS_IMPLICIT_LE;
		if (npc + m > DCMFETCH_MAX_PC)
			break;		/* the next window's */
		ctx[f->ncls].sop_class = f->cls[f->ncls] = it->sop_class;
		ctx[f->ncls].ts = f->ts[f->ncls];
		ctx[f->ncls].nts = m;
		npc += m;
		f->ncls++;
	}
	memset(&peer, 0, sizeof peer);
	peer.host = f->host;
	peer.port = f->port;
	peer.calling_ae = f->p->conf.dicom_ae_title;
	peer.called_ae = f->ae;
	peer.timeout = (int)f->p->conf.dicom_timeout;
	peer.deadline = clock_real_ms() +
	    f->p->conf.dicom_retrieve_deadline * 1000;
	if ((rc = dcmfetch_open(&peer, ctx, f->ncls, &f->get, e, sizeof e)) !=
	    XDS_OK) {
		f->ncls = 0;
		str_fmt(why, whylen, "fetching from the PACS: %s", e);
	}
	return rc;
}

/* Item k into the spool (fetched, or left by an earlier attempt): its
 * path in dst, its transfer syntax in v[idx[k]].ts, its size in *size. */
static int
fetch_one(struct push_fetch *f, struct push_item *it, const char *dst,
    long long *size, char *why, size_t whylen)
{
	struct dcmshim_info info;
	struct dcmfetch_inst in;
	struct stat sb;
	char part[PATH_SZ], e[256];
	int rc, have;

	have = stat(dst, &sb) == 0;
	if (!have) {
		if (str_fmt(part, sizeof part, "%s/%s.part", f->dir,
		    it->sop_uid) < 0) {
			str_fmt(why, whylen, "spool: path too long");
			return XDS_EIO;
		}
		(void)unlink(part);	/* a torn fetch */
		if (!space_ok(f->p->conf.node_state_dir,
		    f->p->conf.node_min_free_space, e, sizeof e)) {
			str_fmt(why, whylen, "spool: %s", e);
			return XDS_EIO;
		}
		memset(&in, 0, sizeof in);
		in.study_uid = f->study;
		in.series_uid = it->series_uid;
		in.sop_uid = it->sop_uid;
		in.sop_class = it->sop_class;
		if ((rc = dcmfetch_one(f->get, &in, part,
		    f->p->conf.repository_max_document_size, e, sizeof e)) !=
		    XDS_OK) {
			str_fmt(why, whylen, "fetching %s from the PACS: %s",
			    it->sop_uid, e);
			return rc;
		}
	}
	rc = dcmshim_parse_file(have ? dst : part, &info, e, sizeof e);
	if (rc != 0) {
		str_fmt(why, whylen, "the PACS's copy of %s: %s", it->sop_uid,
		    e);
		rc = XDS_EFORMAT;
	} else if (!push_fetch_check(&info, f->study, it->sop_uid, why,
	    whylen))
		rc = XDS_EFORMAT;
	else if (!have && rename(part, dst) != 0) {
		str_fmt(why, whylen, "spool: %s: %s", dst, strerror(errno));
		rc = XDS_EIO;
	} else if (stat(dst, &sb) != 0) {
		str_fmt(why, whylen, "spool: %s: %s", dst, strerror(errno));
		rc = XDS_EIO;
	}
	if (rc != XDS_OK) {
		(void)unlink(have ? dst : part);
		return rc;
	}
	str_lcpy(it->ts, info.transfer_syntax[0] != '\0' ?
	    info.transfer_syntax : TS_IMPLICIT_LE, sizeof it->ts);
	*size = sb.st_size;
	return XDS_OK;
}

int
push_fetch_window(struct push_fetch *f, struct push_item *v,
    const size_t *idx, struct dcmshim_push_item *pi, size_t from,
    size_t *to, char *why, size_t whylen)
{
	char dst[PATH_SZ], *path;
	long long bytes = 0, size, nfetched = 0;
	size_t k;
	int rc = XDS_OK;

	for (k = from; k < f->n; k++) {
		struct push_item *it = &v[idx[k]];

		if (!f->stripped[k])
			continue;	/* sent as it is, or commitment only */
		if (nfetched >= f->p->conf.push_fetch_window ||
		    bytes >= f->p->conf.push_fetch_window_size)
			break;
		if (str_fmt(dst, sizeof dst, "%s/%s.dcm", f->dir,
		    it->sop_uid) < 0) {
			str_fmt(why, whylen, "spool: path too long");
			rc = XDS_EIO;
			break;
		}
		/* an association per window, opened at its first fetch */
		if (f->get != NULL && !dcmfetch_alive(f->get)) {
			dcmfetch_close(f->get);
			f->get = NULL;
		}
		if (f->get == NULL && access(dst, F_OK) != 0 &&
		    (rc = window_open(f, v, idx, k, why, whylen)) != XDS_OK)
			break;
		if (f->get != NULL && !has_class(f, it->sop_class) &&
		    access(dst, F_OK) != 0)
			break;		/* no room for its class: next window */
		if ((rc = fetch_one(f, it, dst, &size, why, whylen)) != XDS_OK)
			break;
		if ((path = strdup(dst)) == NULL) {
			str_fmt(why, whylen, "out of memory");
			rc = XDS_ENOMEM;
			break;
		}
		free((void *)pi[k].path);
		pi[k].path = path;
		pi[k].ts = it->ts;
		nfetched++;
		bytes += size;
	}
	dcmfetch_close(f->get);		/* not idle while the window is sent */
	f->get = NULL;
	*to = k;
	if (nfetched > 0)
		log_debug("push: job %lld: %lld instances (%lld bytes) fetched "
		    "from the PACS", f->job, nfetched, bytes);
	return rc;
}

static void *
ahead_main(void *arg)
{
	struct push_fetch *f = arg;

	f->arc = push_fetch_window(f, f->av, f->aidx, f->api, f->afrom,
	    &f->ato, f->awhy, sizeof f->awhy);
	return NULL;
}

void
push_fetch_ahead(struct push_fetch *f, struct push_item *v,
    const size_t *idx, struct dcmshim_push_item *pi, size_t from)
{
	f->av = v;
	f->aidx = idx;
	f->api = pi;
	f->afrom = f->ato = from;
	f->arc = XDS_OK;
	f->awhy[0] = '\0';
	if (pthread_create(&f->th, NULL, ahead_main, f) == 0)
		f->running = 1;
	else
		(void)ahead_main(f);	/* no thread: fetched now */
}

int
push_fetch_collect(struct push_fetch *f, size_t *to, char *why,
    size_t whylen)
{
	if (f->running) {
		pthread_join(f->th, NULL);
		f->running = 0;
	}
	*to = f->ato;
	if (f->arc != XDS_OK)
		str_lcpy(why, f->awhy, whylen);
	return f->arc;
}

void
push_fetch_release(struct push_fetch *f, const struct push_item *v,
    const size_t *idx, const struct dcmshim_push_item *pi, size_t from,
    size_t to)
{
	size_t k;

	for (k = from; k < to; k++)
		if (f->stripped[k] && strcmp(v[idx[k]].state, "new") != 0 &&
		    pi[k].path != NULL && unlink(pi[k].path) != 0 &&
		    errno != ENOENT)
			log_warn("push: %s", pi[k].path);
}

void
push_fetch_end(struct push_fetch *f)
{
	if (f == NULL)
		return;
	if (f->running)
		pthread_join(f->th, NULL);
	dcmfetch_close(f->get);
	free(f->stripped);
	free(f);
}
