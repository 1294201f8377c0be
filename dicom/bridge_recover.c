/*
 * bridge_recover.c: crash recovery of the DICOM bridge's store
 * (bridge_recover.h).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bridge_db.h"
#include "bridge_patient.h"
#include "bridge_recover.h"
#include "bridge_stage.h"
#include "dcmshim.h"
#include "fileio.h"
#include "log.h"
#include "str.h"

#define PATH_SZ		1024
#define CLEAN_MARK	"clean"		/* in root: the last stop was clean */

struct recover {
	char			 root[PATH_SZ];		/* state_dir/dicom */
	char			 mark[PATH_SZ];		/* root/CLEAN_MARK */
	char			 tmp[PATH_SZ];		/* root/tmp */
	int			 patient_id_is_bsn;
	struct bridge_db	*db;
	int			 unstaged;	/* .pending files removed */
};

/* root, mark and tmp of conf's store into r. */
static enum xds_status
recover_init(struct recover *r, const struct conf *conf,
    struct bridge_db *db, char *err, size_t errlen)
{
	if (str_fmt(r->root, sizeof r->root, "%s/dicom",
	    conf->node_state_dir) < 0 ||
	    str_fmt(r->mark, sizeof r->mark, "%s/" CLEAN_MARK, r->root) < 0 ||
	    str_fmt(r->tmp, sizeof r->tmp, "%s/tmp", r->root) < 0) {
		str_fmt(err, errlen, "node.state_dir: path too long");
		return XDS_EINVAL;
	}
	r->patient_id_is_bsn = conf->dicom_patient_id_is_bsn;
	r->db = db;
	r->unstaged = 0;
	return XDS_OK;
}

/* The row of one stored file root/study/series/name, if it has none. */
static int
recover_file(struct recover *r, const char *study, const char *series,
    const char *name, int *added, char *err, size_t errlen)
{
	struct dcmshim_info in;
	struct stat sb;
	char path[PATH_SZ], sop[DCMSHIM_UI_SZ], bsn[10], e[256];
	size_t n = strlen(name), sn = strlen(BRIDGE_STAGE_SUFFIX);
	int known;

	/* A pushed instance never committed (bridge_stage.h): maybe torn,
	 * never given a row; its sender resends it. */
	if (n > sn && strcmp(name + n - sn, BRIDGE_STAGE_SUFFIX) == 0) {
		if (str_fmt(path, sizeof path, "%s/%s/%s/%s", r->root, study,
		    series, name) >= 0 && unlink(path) == 0)
			r->unstaged++;
		return 0;
	}
	if (n <= 4 || strcmp(name + n - 4, ".dcm") != 0 ||
	    n - 4 >= sizeof sop)
		return 0;
	memcpy(sop, name, n - 4);
	sop[n - 4] = '\0';
	if ((known = bridge_db_has_instance(r->db, sop, err, errlen)) != 0)
		return known < 0 ? -1 : 0;
	if (str_fmt(path, sizeof path, "%s/%s/%s/%s", r->root, study, series,
	    name) < 0 || stat(path, &sb) != 0)
		return 0;
	if (dcmshim_parse_file(path, &in, e, sizeof e) != 0 ||
	    strcmp(in.sop_uid, sop) != 0 || strcmp(in.study_uid, study) != 0 ||
	    strcmp(in.series_uid, series) != 0) {
		log_warnx("dicom: recovery: %s is not the instance its path "
		    "names: left alone", path);
		return 0;
	}
	if (bridge_db_instance(r->db, &in, bridge_patient_bsn(&in,
	    r->patient_id_is_bsn, bsn, e, sizeof e) == 0 ? bsn : NULL,
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
recover_instances(struct recover *r, char *err, size_t errlen)
{
	DIR *sd = NULL, *ed = NULL, *fd = NULL;
	struct dirent *s, *e, *f;
	char p[PATH_SZ];
	int added = 0, rc = -1;

	if ((sd = opendir(r->root)) == NULL) {
		str_fmt(err, errlen, "%s: %s", r->root, strerror(errno));
		return -1;
	}
	while ((s = readdir(sd)) != NULL) {
		if (!dcmshim_uid_valid(s->d_name) ||
		    str_fmt(p, sizeof p, "%s/%s", r->root, s->d_name) < 0 ||
		    (ed = opendir(p)) == NULL)
			continue;
		while ((e = readdir(ed)) != NULL) {
			if (!dcmshim_uid_valid(e->d_name) ||
			    str_fmt(p, sizeof p, "%s/%s/%s", r->root,
			    s->d_name, e->d_name) < 0 ||
			    (fd = opendir(p)) == NULL)
				continue;
			while ((f = readdir(fd)) != NULL)
				if (recover_file(r, s->d_name, e->d_name,
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
	if (r->unstaged > 0)
		log_info("dicom: recovery: %d pushed instance%s never "
		    "committed removed", r->unstaged, r->unstaged == 1 ? "" :
		    "s");
	rc = 0;
out:
	if (fd != NULL)
		closedir(fd);
	if (ed != NULL)
		closedir(ed);
	closedir(sd);
	return rc;
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

enum xds_status
bridge_recover_begin(const struct conf *conf, struct bridge_db *db,
    char *err, size_t errlen)
{
	struct recover r;
	enum xds_status st;

	if ((st = recover_init(&r, conf, db, err, errlen)) != XDS_OK)
		return st;
	clean_tmp(r.tmp);
	if (access(r.mark, F_OK) != 0 &&
	    recover_instances(&r, err, errlen) != 0)
		return XDS_EIO;
	/* The mark goes, durably, before the first lazy commit. */
	if (unlink(r.mark) != 0 && errno != ENOENT) {
		str_fmt(err, errlen, "%s: %s", r.mark, strerror(errno));
		return XDS_EIO;
	}
	if ((st = fileio_fsync_dir(r.root, err, errlen)) != XDS_OK)
		return st;
	bridge_db_set_lazy(db);
	return XDS_OK;
}

void
bridge_recover_end(const struct conf *conf, struct bridge_db *db)
{
	struct recover r;
	char err[1024];
	int fd;

	if (recover_init(&r, conf, db, err, sizeof err) != XDS_OK)
		return;
	if (bridge_db_checkpoint(db, err, sizeof err) != XDS_OK) {
		log_warnx("%s", err);
		return;		/* no mark: the next start recovers */
	}
	if ((fd = open(r.mark, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) < 0 || fsync(fd) != 0)
		log_warn("dicom: %s", r.mark);
	else if (fileio_fsync_dir(r.root, err, sizeof err) != XDS_OK)
		log_warnx("dicom: %s", err);
	if (fd >= 0)
		close(fd);
}
