/*
 * bridge.c: receive, patient identity, the study table and the
 * publication scheduler of the DICOM bridge (bridge.h).
 *
 * dicom.mode = proxy: the PACS keeps the instances.  Each one received is
 * reduced to its header-only copy (dcmfetch_strip: no pixel or other bulk
 * data, marked in its File Meta) before it is made durable under the same
 * path, so the study table, the KOS publication and crash recovery read
 * it as they read a full instance; the received bytes are removed.
 * RAD-69 (rad69.c) fetches the full instance from dicom.pacs on demand.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bridge.h"
#include "bridge_receive.h"
#include "fileio.h"
#include "hl7dt.h"
#include "log.h"
#include "str.h"

#define PATH_SZ	1024

struct bridge {
	struct conf		 conf;
	struct bridge_links	 links;
	char			 root[PATH_SZ];		/* state_dir/dicom */
	char			 tmp[PATH_SZ];		/* state_dir/dicom/tmp */
	struct dcmshim_scp	*scp;
	struct bridge_db	*db;
	struct bridge_receive	*rcv;
	pthread_t		 scp_thread, sched_thread;
	int			 scp_running, sched_running;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	int			 stopping;		/* under mu */
	int			 recovering;	/* lazy commits, mark to write */
};

/* ---- crash recovery of the instance table ---- */

#define CLEAN_MARK	"clean"		/* in root: the last stop was clean */

/* The row of one stored file root/study/series/name, if it has none. */
static int
recover_file(struct bridge *b, const char *study, const char *series,
    const char *name, int *added, char *err, size_t errlen)
{
	struct dcmshim_info in;
	struct stat sb;
	char path[PATH_SZ], sop[DCMSHIM_UI_SZ], bsn[10], e[256];
	size_t n = strlen(name);
	int r;

	if (n <= 4 || strcmp(name + n - 4, ".dcm") != 0 ||
	    n - 4 >= sizeof sop)
		return 0;
	memcpy(sop, name, n - 4);
	sop[n - 4] = '\0';
	if ((r = bridge_db_has_instance(b->db, sop, err, errlen)) != 0)
		return r < 0 ? -1 : 0;
	if (str_fmt(path, sizeof path, "%s/%s/%s/%s", b->root, study, series,
	    name) < 0 || stat(path, &sb) != 0)
		return 0;
	if (dcmshim_parse_file(path, &in, e, sizeof e) != 0 ||
	    strcmp(in.sop_uid, sop) != 0 || strcmp(in.study_uid, study) != 0 ||
	    strcmp(in.series_uid, series) != 0) {
		log_warnx("dicom: recovery: %s is not the instance its path "
		    "names: left alone", path);
		return 0;
	}
	if (bridge_db_instance(b->db, &in, bridge_patient_bsn(&in,
	    b->conf.dicom_patient_id_is_bsn, bsn, e, sizeof e) == 0 ? bsn :
	    NULL, (long long)sb.st_mtime, err, errlen) != 0)
		return -1;
	(*added)++;
	return 0;
}

/*
 * After an unclean stop (no CLEAN_MARK): instance rows are committed
 * without their own fsync (the file and its directory entry are durable
 * before Success), so rows of the last instances may be lost; every stored
 * file without a row gets it back from its header.  One pass over the
 * store, so it costs a readdir per series directory.
 */
static int
recover_instances(struct bridge *b, char *err, size_t errlen)
{
	DIR *sd = NULL, *ed = NULL, *fd = NULL;
	struct dirent *s, *e, *f;
	char p[PATH_SZ];
	int added = 0, rc = -1;

	if ((sd = opendir(b->root)) == NULL) {
		str_fmt(err, errlen, "%s: %s", b->root, strerror(errno));
		return -1;
	}
	while ((s = readdir(sd)) != NULL) {
		if (!dcmshim_uid_valid(s->d_name) ||
		    str_fmt(p, sizeof p, "%s/%s", b->root, s->d_name) < 0 ||
		    (ed = opendir(p)) == NULL)
			continue;
		while ((e = readdir(ed)) != NULL) {
			if (!dcmshim_uid_valid(e->d_name) ||
			    str_fmt(p, sizeof p, "%s/%s/%s", b->root,
			    s->d_name, e->d_name) < 0 ||
			    (fd = opendir(p)) == NULL)
				continue;
			while ((f = readdir(fd)) != NULL)
				if (recover_file(b, s->d_name, e->d_name,
				    f->d_name, &added, err, errlen) != 0)
					goto out;
			closedir(fd);
			fd = NULL;
		}
		closedir(ed);
		ed = NULL;
	}
	if (added > 0)
		log_info("dicom: recovery: %d instance%s indexed again from "
		    "their files", added, added == 1 ? "" : "s");
	rc = 0;
out:
	if (fd != NULL)
		closedir(fd);
	if (ed != NULL)
		closedir(ed);
	closedir(sd);
	return rc;
}

/* Start of the lazy instance commits: recover if the last stop was not
 * clean, then remove the mark durably before any lazy commit. */
static int
recovery_begin(struct bridge *b, char *err, size_t errlen)
{
	char mark[PATH_SZ];

	if (str_fmt(mark, sizeof mark, "%s/" CLEAN_MARK, b->root) < 0) {
		str_fmt(err, errlen, "%s: path too long", b->root);
		return -1;
	}
	if (access(mark, F_OK) != 0 && recover_instances(b, err, errlen) != 0)
		return -1;
	if (unlink(mark) != 0 && errno != ENOENT) {
		str_fmt(err, errlen, "%s: %s", mark, strerror(errno));
		return -1;
	}
	if (fileio_fsync_dir(b->root, err, errlen) != XDS_OK)
		return -1;
	bridge_db_set_lazy(b->db);
	b->recovering = 1;
	return 0;
}

/* A clean stop: every lazy commit made durable, then the mark. */
static void
recovery_end(struct bridge *b)
{
	char mark[PATH_SZ], err[256];
	int fd;

	if (!b->recovering ||
	    str_fmt(mark, sizeof mark, "%s/" CLEAN_MARK, b->root) < 0)
		return;
	if (bridge_db_checkpoint(b->db, err, sizeof err) != XDS_OK) {
		log_warnx("%s", err);
		return;		/* no mark: the next start recovers */
	}
	if ((fd = open(mark, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) < 0 || fsync(fd) != 0)
		log_warn("dicom: %s", mark);
	else if (fileio_fsync_dir(b->root, err, sizeof err) != XDS_OK)
		log_warnx("dicom: %s", err);
	if (fd >= 0)
		close(fd);
}

/* ---- threads ---- */

static void *
scp_main(void *arg)
{
	struct bridge *b = arg;
	char err[256];

	if (dcmshim_scp_run(b->scp, err, sizeof err) != 0)
		log_warnx("dicom: SCP stopped: %s", err);
	return NULL;
}

#define BRIDGE_PUB_BATCH	16	/* studies published per tick */
#define BRIDGE_PUB_RETRY	30	/* seconds before a failed one is retried */

struct due {
	char	uid[BRIDGE_PUB_BATCH][DCMSHIM_UI_SZ];
	size_t	n;
};

static int
add_due(void *arg, const struct bridge_db_study *s)
{
	struct due *d = arg;

	str_lcpy(d->uid[d->n++], s->study_uid, DCMSHIM_UI_SZ);
	return d->n == BRIDGE_PUB_BATCH;
}

/* Publish the ready studies whose time has come; a failure waits
 * BRIDGE_PUB_RETRY seconds (the repository or registry may be back by then). */
static void
publish_due(struct bridge *b)
{
	struct due d;
	char err[512];
	long long now = (long long)time(NULL);
	size_t i;

	if (!bridge_links_usable(&b->conf, &b->links))
		return;
	d.n = 0;
	if (bridge_db_due(b->db, now, add_due, &d, err, sizeof err) != 0) {
		log_warnx("dicom: scheduler: %s", err);
		return;
	}
	for (i = 0; i < d.n; i++) {
		if (bridge_publish(&b->conf, b->db, &b->links, d.uid[i], err,
		    sizeof err) == 0)
			continue;
		log_warnx("dicom: publishing %s: %s (retry in %d s)",
		    d.uid[i], err, BRIDGE_PUB_RETRY);
		if (bridge_db_retry_at(b->db, d.uid[i], now + BRIDGE_PUB_RETRY,
		    err, sizeof err) != 0)
			log_warnx("dicom: %s", err);
	}
}

/*
 * The publication scheduler: once a second, studies quiet for
 * dicom.publish_after seconds become ready, and ready studies (also
 * those xdsctl dicom publish made ready) are published.
 */
static void *
sched_main(void *arg)
{
	struct bridge *b = arg;
	struct timespec ts;
	char err[256];
	int n;

	pthread_mutex_lock(&b->mu);
	while (!b->stopping) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&b->cv, &b->mu, &ts);
		if (b->stopping)
			break;
		pthread_mutex_unlock(&b->mu);
		n = bridge_db_mark_ready(b->db, (long long)time(NULL),
		    b->conf.dicom_publish_after, err, sizeof err);
		if (n < 0)
			log_warnx("dicom: scheduler: %s", err);
		else if (n > 0)
			log_info("dicom: %d stud%s ready for publication", n,
			    n == 1 ? "y" : "ies");
		publish_due(b);
		pthread_mutex_lock(&b->mu);
	}
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

/* Remove receive files left by a crash (never acknowledged). */
static void
clean_tmp(const char *dir)
{
	DIR *d;
	struct dirent *e;
	char p[PATH_SZ];

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, "rcv-", 4) == 0 &&
		    str_fmt(p, sizeof p, "%s/%s", dir, e->d_name) >= 0)
			unlink(p);
	closedir(d);
}

int
bridge_start(const struct conf *conf, const struct bridge_links *links,
    struct bridge **out, char *err, size_t errlen)
{
	struct dcmshim_scp_opts o;
	struct bridge *b;
	char host[256], e[256];
	int port;

	*out = NULL;
	if (conf->dicom_accession_issuer[0] != '\0' &&
	    hl7_oid_valid(conf->dicom_accession_issuer,
	    strlen(conf->dicom_accession_issuer), e, sizeof e) != 0) {
		str_fmt(err, errlen, "dicom.accession_issuer: %s", e);
		return -1;
	}
	if ((b = calloc(1, sizeof *b)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return -1;
	}
	b->conf = *conf;
	if (strcmp(conf->dicom_mode, "proxy") == 0 &&
	    conf->dicom_pacs[0] == '\0')
		log_warnx("dicom: dicom.mode is proxy without dicom.pacs: "
		    "RAD-69 cannot fetch the instances it is asked for");
	if (links != NULL)
		b->links = *links;
	if (!bridge_links_usable(conf, &b->links))
		log_warnx("dicom: no repository in this node "
		    "(repository.enabled) and no dicom.repository_url: ready "
		    "studies are not published");
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	if (!dcmshim_uid_valid(conf->dicom_uid_root) ||
	    strlen(conf->dicom_uid_root) > 24) {
		str_fmt(err, errlen, "dicom.uid_root: \"%s\" is not a UID root "
		    "of at most 24 characters", conf->dicom_uid_root);
		goto fail;
	}
	if (conf_split_hostport(conf->dicom_listen, host, sizeof host,
	    &port) != 0) {
		str_fmt(err, errlen, "dicom.listen: \"%s\" is not host:port",
		    conf->dicom_listen);
		goto fail;
	}
	if (str_fmt(b->root, sizeof b->root, "%s/dicom",
	    conf->node_state_dir) < 0 ||
	    str_fmt(b->tmp, sizeof b->tmp, "%s/tmp", b->root) < 0) {
		str_fmt(err, errlen, "node.state_dir: path too long");
		goto fail;
	}
	if ((mkdir(b->root, 0700) != 0 && errno != EEXIST) ||
	    (mkdir(b->tmp, 0700) != 0 && errno != EEXIST)) {
		str_fmt(err, errlen, "%s: %s", b->tmp, strerror(errno));
		goto fail;
	}
	clean_tmp(b->tmp);
	if (bridge_db_open(conf->node_state_dir, &b->db, e, sizeof e) != 0) {
		str_fmt(err, errlen, "%s", e);
		goto fail;
	}
	if (bridge_receive_new(conf, b->db, &b->rcv, e, sizeof e) != XDS_OK) {
		str_fmt(err, errlen, "%s", e);
		goto fail;
	}
	dcmshim_log_init();
	if (recovery_begin(b, e, sizeof e) != 0) {
		str_fmt(err, errlen, "dicom: recovery: %s", e);
		goto fail;
	}
	memset(&o, 0, sizeof o);
	o.host = host;
	o.port = port;
	o.ae_title = conf->dicom_ae_title;
	o.tmp_dir = b->tmp;
	o.max_associations = (int)conf->dicom_max_associations;
	o.acse_timeout = (int)conf->dicom_timeout;
	o.dimse_timeout = (int)conf->dicom_timeout;
	o.on_store = bridge_receive_store;
	o.arg = b->rcv;
	if (dcmshim_scp_new(&o, &b->scp, e, sizeof e) != 0) {
		str_fmt(err, errlen, "dicom.listen %s: %s", conf->dicom_listen, e);
		goto fail;
	}
	if (pthread_create(&b->scp_thread, NULL, scp_main, b) != 0) {
		str_fmt(err, errlen, "cannot start the DICOM thread");
		goto fail;
	}
	b->scp_running = 1;
	if (pthread_create(&b->sched_thread, NULL, sched_main, b) != 0) {
		str_fmt(err, errlen, "cannot start the DICOM scheduler");
		goto fail;
	}
	b->sched_running = 1;
	*out = b;
	return 0;
fail:
	bridge_stop(b);
	return -1;
}

int
bridge_port(const struct bridge *b)
{
	return dcmshim_scp_port(b->scp);
}

void
bridge_stop(struct bridge *b)
{
	if (b == NULL)
		return;
	if (b->scp_running) {
		dcmshim_scp_stop(b->scp);
		pthread_join(b->scp_thread, NULL);
	}
	if (b->sched_running) {
		pthread_mutex_lock(&b->mu);
		b->stopping = 1;
		pthread_cond_broadcast(&b->cv);
		pthread_mutex_unlock(&b->mu);
		pthread_join(b->sched_thread, NULL);
	}
	dcmshim_scp_free(b->scp);
	bridge_receive_free(b->rcv);
	recovery_end(b);
	bridge_db_close(b->db);
	pthread_cond_destroy(&b->cv);
	pthread_mutex_destroy(&b->mu);
	free(b);
}
