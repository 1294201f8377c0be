/*
 * bridge_receive.c: the durable receive of the DICOM bridge
 * (bridge_receive.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bridge_db.h"
#include "bridge_patient.h"
#include "bridge_receive.h"
#include "clock.h"
#include "dcmfetch.h"
#include "fileio.h"
#include "log.h"
#include "space.h"
#include "str.h"

#define PATH_SZ	1024

struct bridge_receive {
	char			 root[PATH_SZ];		/* state_dir/dicom */
	int			 proxy;		/* dicom.mode = proxy */
	char			 state_dir[PATH_SZ];	/* its space guarded */
	long long		 min_free;	/* node.min_free_space */
	int			 patient_id_is_bsn;
	char			 ae_title[17];	/* dicom.ae_title */
	struct bridge_db	*db;
	struct fileio_dirsync	*dirsync;	/* of the series directories */
	/* told of each new route (bridge_receive_on_route; atomic) */
	void			(*on_route)(void *arg);
	void			*route_arg;
};

void
bridge_receive_on_route(struct bridge_receive *r, void (*fn)(void *arg),
    void *arg)
{
	__atomic_store_n(&r->route_arg, arg, __ATOMIC_RELEASE);
	__atomic_store_n(&r->on_route, fn, __ATOMIC_RELEASE);
}

/* A routed instance (called_ae not dicom.ae_title): its study's route
 * recorded, and whoever asked told when the route is new. */
static int
route(struct bridge_receive *r, const char *study_uid, const char *ae,
    char *err, size_t errlen)
{
	void (*fn)(void *);
	int rc;

	if ((rc = bridge_db_route(r->db, study_uid, ae, err, errlen)) == 1 &&
	    (fn = __atomic_load_n(&r->on_route, __ATOMIC_ACQUIRE)) != NULL)
		fn(__atomic_load_n(&r->route_arg, __ATOMIC_ACQUIRE));
	return rc < 0 ? -1 : 0;
}

enum xds_status
bridge_receive_new(const struct conf *conf, struct bridge_db *db,
    struct bridge_receive **out, char *err, size_t errlen)
{
	struct bridge_receive *r;
	enum xds_status st;

	*out = NULL;
	if ((r = calloc(1, sizeof *r)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return XDS_ENOMEM;
	}
	if (str_fmt(r->root, sizeof r->root, "%s/dicom",
	    conf->node_state_dir) < 0) {
		str_fmt(err, errlen, "node.state_dir: path too long");
		st = XDS_EINVAL;
		goto fail;
	}
	if ((st = fileio_dirsync_new(&r->dirsync, err, errlen)) != XDS_OK)
		goto fail;
	r->proxy = strcmp(conf->dicom_mode, "proxy") == 0;
	str_lcpy(r->state_dir, conf->node_state_dir, sizeof r->state_dir);
	r->min_free = conf->node_min_free_space;
	r->patient_id_is_bsn = conf->dicom_patient_id_is_bsn;
	str_lcpy(r->ae_title, conf->dicom_ae_title, sizeof r->ae_title);
	r->db = db;
	*out = r;
	return XDS_OK;
fail:
	bridge_receive_free(r);
	return st;
}

void
bridge_receive_free(struct bridge_receive *r)
{
	if (r == NULL)
		return;
	fileio_dirsync_free(r->dirsync);
	free(r);
}

/* Proxy mode: the header-only copy of the received file, which is
 * removed; its path into hdr.  The shim removes tmppath on a failure. */
static enum dcmshim_store_result
strip_received(const char *tmppath, const char *study_uid, char *hdr,
    size_t hdrsz)
{
	char err[512];
	int rc;

	if (str_fmt(hdr, hdrsz, "%s.hdr", tmppath) < 0)
		return DCMSHIM_STORE_NORESOURCES;
	if ((rc = dcmfetch_strip(tmppath, hdr, err, sizeof err)) != 0) {
		log_warnx("dicom: proxy: header of an instance of %s: %s",
		    study_uid, err);
		return rc == XDS_EFORMAT ? DCMSHIM_STORE_INVALID :
		    DCMSHIM_STORE_NORESOURCES;
	}
	if (unlink(tmppath) != 0) {
		log_warn("dicom: proxy: %s", tmppath);
		unlink(hdr);
		return DCMSHIM_STORE_NORESOURCES;
	}
	return DCMSHIM_STORE_OK;
}

enum dcmshim_store_result
bridge_receive_store(void *arg, const char *tmppath,
    const struct dcmshim_info *in, const char *calling_ae,
    const char *called_ae, const char *subject)
{
	(void)subject;		/* the bridge's SCP: anyone it admits */
	return bridge_receive_store_from(arg, tmppath, in, calling_ae,
	    called_ae, NULL);
}

enum dcmshim_store_result
bridge_receive_prepare(struct bridge_receive *r, const struct dcmshim_info *in,
    const char *calling_ae, char *series, size_t seriessz)
{
	char study[PATH_SZ], err[1024];

	/* The UIDs become path components: the shim checked their syntax. */
	if (!dcmshim_uid_valid(in->study_uid) ||
	    !dcmshim_uid_valid(in->series_uid) ||
	    !dcmshim_uid_valid(in->sop_uid))
		return DCMSHIM_STORE_INVALID;
	/* Out of Resources (A700) rather than an instance that cannot
	 * be kept: the modality retries later, or elsewhere. */
	if (!space_ok(r->state_dir, r->min_free, err, sizeof err)) {
		log_warnx("dicom: C-STORE from %s refused: %s", calling_ae, err);
		return DCMSHIM_STORE_NORESOURCES;
	}
	if (str_fmt(study, sizeof study, "%s/%s", r->root, in->study_uid) < 0 ||
	    str_fmt(series, seriessz, "%s/%s", study, in->series_uid) < 0)
		return DCMSHIM_STORE_NORESOURCES;
	if (fileio_mkdir(study, 0700, err, sizeof err) != XDS_OK ||
	    fileio_mkdir(series, 0700, err, sizeof err) != XDS_OK) {
		log_warnx("dicom: storing an instance of %s: %s", in->study_uid,
		    err);
		return DCMSHIM_STORE_NORESOURCES;
	}
	return DCMSHIM_STORE_OK;
}

int
bridge_receive_bsn(struct bridge_receive *r, const struct dcmshim_info *in,
    const char *calling_ae, char bsn[10])
{
	char err[256], red[32];

	if (bridge_patient_bsn(in, r->patient_id_is_bsn, bsn, err,
	    sizeof err) != 0) {
		log_info("dicom: study %s from %s kept as pending: %s",
		    in->study_uid, calling_ae, err);
		bsn[0] = '\0';
		return 0;
	}
	log_redact_id(bsn, red, sizeof red);
	log_debug("dicom: %s from %s, patient %s", in->sop_uid, calling_ae,
	    red);
	return 1;
}

enum dcmshim_store_result
bridge_receive_store_from(struct bridge_receive *r, const char *tmppath,
    const struct dcmshim_info *in, const char *calling_ae,
    const char *called_ae, const char *origin)
{
	char series[PATH_SZ], dst[PATH_SZ], err[1024];
	char hdr[PATH_SZ], bsn[10];
	const char *src = tmppath;
	enum dcmshim_store_result res;
	int have_bsn;

	if ((res = bridge_receive_prepare(r, in, calling_ae, series,
	    sizeof series)) != DCMSHIM_STORE_OK)
		return res;
	if (str_fmt(dst, sizeof dst, "%s/%s.dcm", series, in->sop_uid) < 0)
		return DCMSHIM_STORE_NORESOURCES;
	if (r->proxy) {
		if ((res = strip_received(tmppath, in->study_uid, hdr,
		    sizeof hdr)) != DCMSHIM_STORE_OK)
			return res;
		src = hdr;
	}
	if (fileio_commit(r->dirsync, src, dst, err, sizeof err) != XDS_OK) {
		log_warnx("dicom: storing an instance of %s: %s", in->study_uid,
		    err);
		if (src != tmppath)
			unlink(src);
		return DCMSHIM_STORE_NORESOURCES;
	}
	have_bsn = bridge_receive_bsn(r, in, calling_ae, bsn);
	if (bridge_db_instance(r->db, in, have_bsn ? bsn : NULL, origin,
	    clock_wall(), err, sizeof err) != 0 || (called_ae != NULL &&
	    strcmp(called_ae, r->ae_title) != 0 && route(r, in->study_uid,
	    called_ae, err, sizeof err) != 0)) {
		/* The file is durable; a resend is idempotent. */
		log_warnx("dicom: %s", err);
		return DCMSHIM_STORE_NORESOURCES;
	}
	return DCMSHIM_STORE_OK;
}
