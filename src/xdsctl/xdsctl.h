/* xdsctl.h: shared state of the xdsctl subcommands. */
#ifndef XDS_XDSCTL_H
#define XDS_XDSCTL_H

#include <stdio.h>

#include "conf.h"

struct soap_call;
struct soap_peer;

struct ctl {
	struct conf		 conf;
	const char		*cfile;		/* -c, or NULL */
	char			 url[1024];	/* registry endpoint URL */
	const char		*cert, *key;	/* client certificate or NULL */
	const char		*ca;		/* CA of the server, or NULL */
	int			 json;
	int			 verbose;
	/* who asks (--user-id ...): an X-User Assertion in every request
	 * (xdsctl_xua.c); user_id "": none */
	char			 user_id[32];
	char			 role[16];
	char			 purpose[8];
	char			 ura[16];
};

int	ctl_submit(struct ctl *, int argc, char **argv);
int	ctl_query(struct ctl *, int argc, char **argv);
int	ctl_delete(struct ctl *, int argc, char **argv);
int	ctl_audit(struct ctl *, int argc, char **argv);
/* The files of argv (SubmitObjectsRequests) sent to the registry as
 * action, one call each; cmd names the subcommand in usage. */
int	ctl_submit_files(struct ctl *, int argc, char **argv,
	    const char *action, const char *cmd);
/* Send body_xml to the registry as action; 0 with c->ans.body the
 * answer's body element, or -1 (printed).  The caller frees c. */
int	ctl_registry_call(struct ctl *, const char *action,
	    const char *body_xml, struct soap_call *c);
/* Print the answer rr (a RegistryResponse) of what: 0 Success, else 1. */
struct _xmlNode;
int	ctl_registry_response(struct ctl *, struct _xmlNode *rr,
	    const char *what);
/* xdsctl_update.c: update FILE... (ITI-57), deprecate and approve
 * ENTRYUUID... (ITI-57 status changes) */
int	ctl_update(struct ctl *, int argc, char **argv);
int	ctl_set_status(struct ctl *, int argc, char **argv, const char *status);
/* xdsctl_repo.c: submit --patient (ITI-41), retrieve (ITI-43),
 * remove-documents (ITI-86) */
int	ctl_provide(struct ctl *, int argc, char **argv);
int	ctl_retrieve(struct ctl *, int argc, char **argv);
int	ctl_remove_documents(struct ctl *, int argc, char **argv);
/* A new uniqueId under the OID root (root.<128-bit random>); 0 or -1. */
int	ctl_new_uid(const char *root, char *out, size_t outsz);
/* submit --patient to the repository at url (NULL: the node's), the
 * submission set's intendedRecipient the XON recipient (NULL: none); 2
 * for bad usage, which the caller explains. */
int	ctl_provide_at(struct ctl *, int argc, char **argv, const char *url,
	    const char *recipient);
/* xdsctl_send.c: send --to URA|HCID --patient BSN FILE... (XDR) */
int	ctl_send(struct ctl *, int argc, char **argv);

/* xdsctl_dicom.c: dicom studies|pending|publish|..., image import */
int	ctl_dicom(struct ctl *, int argc, char **argv);
int	ctl_image(struct ctl *, int argc, char **argv);

/* 1 if the DocumentEntry o's referenceIdList names study as a study UID. */
struct rim_object;
int	ctl_names_study(const struct rim_object *o, const char *study);
/*
 * The instances the KOS manifest at kos_path references, by RAD-69 at the
 * node of --url into the directory spool (whose files live as long as
 * *out).  0 when every one came, else -1 (printed); ctl_study_free(*out)
 * either way.  ctl_study_path(m, i) is instance i's file.
 */
struct imp;
int	ctl_study_fetch(struct ctl *, const char *kos_path, const char *spool,
	    struct imp **out);
size_t	ctl_study_count(const struct imp *);
const char *ctl_study_path(const struct imp *, size_t i);
void	ctl_study_free(struct imp *);
/* xdsctl_xdm.c: xdm export | import; the usage; a new private spool
 * directory in $TMPDIR into out (0, or -1 printed) */
int	ctl_xdm(struct ctl *, int argc, char **argv);
void	ctl_xdm_usage(void);
int	ctl_xdm_spool(char *out, size_t outsz);
/* xdsctl_xdm_import.c: xdm import FILE.zip|DIR --patient BSN ... */
int	ctl_xdm_import(struct ctl *, int argc, char **argv);
/*
 * xdsctl_xdm_dir.c: the DICOMDIR of the n instance files paths[i], which
 * the medium names by the file IDs ids[i] ("DICOM/I0000001"), written to
 * a staging directory in spool; its path into dd, the application
 * profile's name into profile.  0, or -1 printed.  ctl_xdm_dicomdir_rm
 * removes the staging directory (after a failure too).
 */
int	ctl_xdm_dicomdir(const char *spool, const char *const *paths,
	    const char *const *ids, size_t n, char *dd, size_t ddsz,
	    char *profile, size_t profsz);
void	ctl_xdm_dicomdir_rm(const char *spool);

/* xdsctl_dir.c: directory list | lookup URA|HCID */
int	ctl_directory(struct ctl *, int argc, char **argv);
/* xdsctl_db.c: db check */
int	ctl_db(struct ctl *, int argc, char **argv);
/* xdsctl_status.c: status */
int	ctl_status(struct ctl *, int argc, char **argv);
/* xdsctl_backup.c: backup DIR, restore DIR */
int	ctl_backup(struct ctl *, int argc, char **argv);
int	ctl_restore(struct ctl *, int argc, char **argv);
/* xdsctl_push.c: push --to URA|HCID --study UID, list, show, retry,
 * cancel */
int	ctl_push(struct ctl *, int argc, char **argv);
/* xdsctl_mitz.c: mitz subscriptions */
int	ctl_mitz(struct ctl *, int argc, char **argv);
/* xdsctl_timeline.c: timeline --patient BSN [--since DATE] */
int	ctl_timeline(struct ctl *, int argc, char **argv);
/* xdsctl_tls.c: tls check HOST:PORT [--ca F] [--crl F] [--cert F --key F] */
int	ctl_tls(struct ctl *, int argc, char **argv);

/* xdsctl_conform.c: conformance run|list --actor A --target URL ... */
int	ctl_conformance(struct ctl *, int argc, char **argv);
/* xdsctl_validate.c: validate [--json] FILE...; one report as text */
struct chk_report;
int	ctl_validate(struct ctl *, int argc, char **argv);
void	ctl_check_print(const char *name, const struct chk_report *r,
	    FILE *fp);
/* xdsctl_proxy.c: proxy --listen ADDR --to URL [--dir DIR] ... */
int	ctl_proxy(struct ctl *, int argc, char **argv);

/* xdsctl_xua.c: the assertion of --user-id, --role, --purpose, --ura
 * (unsigned) into c's WS-Security header, when --user-id was given. */
void	ctl_xua(const struct ctl *, struct soap_call *c);

/* xdsctl_util.c */
#define CTL_MAX_FILE	(64 * 1024 * 1024)
#define CTL_TIMEOUT	300	/* seconds for a registry transaction */
#define CTL_LOW_SPEED	300	/* seconds without progress, any transfer */
/*
 * A peer at url with xdsctl's transport: the TLS files of -E/-K/-A (or
 * the node's), plain HTTP to any host (a test tool speaks to the node it
 * is told), no deadline for big transfers but CTL_LOW_SPEED seconds
 * without progress.  NULL with a message on stderr.
 */
struct soap_peer *ctl_peer(const struct ctl *, const char *url);
/*
 * Run c at url and print why it failed: no answer, not SOAP, a SOAP
 * fault (with -v the answer too).  0 with c->ans.body the answer's body
 * element, or -1.  The caller frees c (soap_call_free) either way.
 */
int	ctl_call(struct ctl *, const char *url, struct soap_call *c);
/* A bare BSN becomes bsn^^^&OID_BSN&ISO; a CX is checked and kept
 * canonical.  -1 with a message on stderr. */
int	ctl_patient_cx(const char *id, char *out, size_t outsz);
/* A whole (small) file, at most max bytes; NULL with a message. */
char	*ctl_read_file(const char *path, size_t max, size_t *len);
/* The last ':'-part of a status URN ("Success"), "" for NULL. */
const char *ctl_short_status(const char *s);
/* url with its path replaced: http://h:p/xds/registry, "/xca/initiating"
 * -> http://h:p/xca/initiating.  0, or -1 when it does not fit. */
int	ctl_node_url(const char *url, const char *path, char *out,
	    size_t outsz);
/* The ITI-18 FindDocuments request (Approved, LeafClass) for the patient
 * cx, of community home (NULL: none named), appended to q.  0 or -1. */
struct buf;
int	ctl_find_documents(struct buf *q, const char *cx, const char *home);
/* v as a JSON string on stdout, quotes included. */
void	ctl_json_str(const char *v);
/* The tree at path removed, symbolic links not followed: 0, or -1 with
 * errno. */
int	ctl_rm_tree(const char *path);

#endif
