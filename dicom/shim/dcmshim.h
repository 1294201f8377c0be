/*
 * dcmshim.h: the plain C face of DCMTK.
 *
 * Only the C++17 files of dicom/ include DCMTK, and no exception crosses
 * into C (one rule for that: dcmshim_exception in dcmshim_int.h).
 * Every function returns an enum xds_status (status.h) and writes text
 * for the caller into err: XDS_EIO for a file or socket, XDS_EFORMAT for
 * input that is not DICOM, truncated or of bad lengths, XDS_ENOTFOUND for
 * a required attribute that is missing, XDS_ETOOBIG for a value longer
 * than its bound, XDS_EUNAVAILABLE for the network (a listener that
 * cannot be set up, a peer that cannot be reached or refuses),
 * XDS_EUNSUPPORTED for no codec for a transfer syntax, XDS_EINVAL for a
 * bad argument, XDS_EINTERNAL when DCMTK threw or failed unexpectedly,
 * XDS_ENOMEM.  Outputs go into caller buffers of fixed, documented size.
 */
#ifndef XDS_DCMSHIM_H
#define XDS_DCMSHIM_H

#include <stddef.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DCMSHIM_UI_SZ		65	/* UI: 64 characters */
#define DCMSHIM_LO_SZ		65	/* LO: 64 characters */
#define DCMSHIM_PN_SZ		324	/* PN: 3 component groups of 64 + '=' */
#define DCMSHIM_MAX_OTHER_IDS	8	/* OtherPatientIDsSequence items read */

struct dcmshim_pid {
	char	id[DCMSHIM_LO_SZ];
	char	issuer[DCMSHIM_LO_SZ];	/* IssuerOfPatientID (0010,0021) */
};

/* What the bridge needs from an instance's header.  The four UIDs are
 * required; the rest are empty when absent. */
struct dcmshim_info {
	char	sop_class[DCMSHIM_UI_SZ];
	char	sop_uid[DCMSHIM_UI_SZ];
	char	study_uid[DCMSHIM_UI_SZ];
	char	series_uid[DCMSHIM_UI_SZ];
	char	transfer_syntax[DCMSHIM_UI_SZ];	/* of the file (meta header) */
	struct dcmshim_pid patient;		/* PatientID + issuer */
	struct dcmshim_pid other[DCMSHIM_MAX_OTHER_IDS];
	size_t	nother;				/* items in other[] */
	char	patient_name[DCMSHIM_PN_SZ];
	char	birth_date[9];
	char	sex[17];
	char	accession[17];
	/* IssuerOfAccessionNumberSequence (0008,0051) item 1: the
	 * UniversalEntityID when its UniversalEntityIDType is ISO, and the
	 * LocalNamespaceEntityID; "" when absent or over the bound (not an
	 * error: the accession number stays usable without its issuer). */
	char	accession_issuer_oid[DCMSHIM_UI_SZ];
	char	accession_issuer_ns[65];
	char	modality[17];
	char	study_date[9];
	char	study_time[17];
	char	study_id[17];
};

/*
 * Parse a DICOM Part 10 file (or a bare dataset) in memory / on disk up
 * to the pixel data and fill out.  XDS_EFORMAT for bytes that are not
 * DICOM, XDS_ENOTFOUND when one of the four UIDs is missing or empty,
 * XDS_ETOOBIG when a value is longer than its field.  Every element
 * length is checked against the bytes there first (dcmshim_lencheck):
 * XDS_EFORMAT naming the element.  A Deflated
 * Explicit VR Little Endian file is inflated into memory first (DCMTK
 * checks no lengths inside a deflated stream): XDS_ETOOBIG past
 * DCMSHIM_MAX_TRANSCODE inflated bytes.  Pure: no state.
 */
int	dcmshim_parse_mem(const void *buf, size_t len, struct dcmshim_info *out,
	    char *err, size_t errlen);
int	dcmshim_parse_file(const char *path, struct dcmshim_info *out,
	    char *err, size_t errlen);

/*
 * Element lengths against the bytes that are there (dcmlen.c), to be
 * called before DCMTK reads a file: DCMTK 3.6.7 allocates a value at its
 * declared length (up to 4 GiB) before it finds the bytes missing.  Walks
 * the File Meta Information (group 0002) and then the dataset in the
 * meta's transfer syntax (explicit VR LE/BE, implicit VR LE; a bare
 * dataset by DCMTK's guess from its first tag; the meta header ends where
 * its group length (0002,0000) says, as DCMTK reads it), touching element headers
 * only: sequences, items and undefined-length elements are stepped into,
 * values (pixel data fragments too) stepped over.  A Deflated file's
 * dataset is not checked (*deflated set to 1, else 0; deflated may be
 * NULL): check the inflated copy (dcmshim_undeflate).
 * XDS_EFORMAT with "element (gggg,eeee) declares N bytes, M remain"
 * when a defined length runs past the end, for a truncated element header,
 * or for nesting deeper than DCMSHIM_LEN_MAX_DEPTH; XDS_OK otherwise
 * (the end of the data ends the walk, open containers included).  Pure.
 * The _file form maps path read-only (XDS_EIO when it cannot).
 */
#define DCMSHIM_LEN_MAX_DEPTH	256
int	dcmshim_lencheck(const void *buf, size_t len, int *deflated,
	    char *err, size_t errlen);
int	dcmshim_lencheck_file(const char *path, int *deflated, char *err,
	    size_t errlen);

/* 1 if s is a syntactically valid DICOM UID (PS3.5 9.1: digits and dots,
 * at most 64 characters, no empty or zero-led component). */
int	dcmshim_uid_valid(const char *s);

/* 1 if s is a transfer syntax DCMTK knows (PS3.6 table A-1). */
int	dcmshim_ts_known(const char *s);

/*
 * A new UID under root into out (DCMSHIM_UI_SZ).  Root "2.25" gives the
 * UUID-derived form 2.25.<128-bit random decimal> (PS3.5 B.2), any other
 * root DCMTK's generator under that root.
 */
int	dcmshim_uid_new(const char *root, char *out, size_t outlen, char *err,
	    size_t errlen);

/* Key Object Selection manifest (XDS-I.b, TID 2010, title 113030). */
struct dcmshim_kos_ref {
	const char	*series_uid;
	const char	*sop_class;
	const char	*sop_uid;
};
struct dcmshim_kos {
	const char	*uid_root;		/* for the KOS series/instance UIDs */
	const char	*study_uid;		/* the imaging study */
	const struct dcmshim_info *header;	/* patient/study attributes copied */
	const char	*patient_id;		/* overrides header->patient (BSN) */
	const char	*patient_issuer;
	const char	*retrieve_ae;		/* RetrieveAETitle */
	const char	*retrieve_location_uid;	/* RetrieveLocationUID (0040,E011) */
	const struct dcmshim_kos_ref *refs;
	size_t		 nrefs;			/* at least 1 */
};
/* Write the manifest to path (Explicit VR Little Endian) and its SOP
 * Instance UID into sop_uid (DCMSHIM_UI_SZ). */
int	dcmshim_kos_write(const struct dcmshim_kos *kos, const char *path,
	    char *sop_uid, size_t sop_uidlen, char *err, size_t errlen);

/*
 * A Key Object Selection document as read (dcmkos.cc), for checking an
 * XDS-I.b manifest (xdsctl validate): what it says, not whether that is
 * right.  Strings are "" when absent (or longer than their field).
 */
#define DCMSHIM_KOS_MAX_REFS	10000	/* instances read, each list */
struct dcmshim_kos_inst {
	char	study_uid[DCMSHIM_UI_SZ];	/* evidence: its study item */
	char	series_uid[DCMSHIM_UI_SZ];	/* evidence: its series item */
	char	sop_class[DCMSHIM_UI_SZ];
	char	sop_uid[DCMSHIM_UI_SZ];
	char	retrieve_location_uid[DCMSHIM_UI_SZ];	/* (0040,E011) of
							   the series */
	char	retrieve_ae[65];		/* (0008,0054) of the series */
};
struct dcmshim_kos_doc {
	struct dcmshim_info header;	/* dcmshim_parse_mem's */
	char	value_type[17];		/* root ValueType (0040,A040) */
	char	title_code[17];		/* ConceptNameCodeSequence item 1 */
	char	title_scheme[17];
	char	template_id[17];	/* ContentTemplateSequence TID */
	/* CurrentRequestedProcedureEvidenceSequence, flattened: one entry
	 * per referenced instance */
	struct dcmshim_kos_inst *evidence;
	size_t	nevidence;
	/* ContentSequence: the SOP instances the IMAGE and COMPOSITE items
	 * reference (sop_class, sop_uid only) */
	struct dcmshim_kos_inst *content;
	size_t	ncontent;
	int	truncated;		/* more than DCMSHIM_KOS_MAX_REFS */
};
/*
 * Read the DICOM object in buf (checked as dcmshim_parse_mem does) as a
 * KOS into out (dcmshim_kos_doc_free it in every case).  A header it cannot
 * parse is XDS_EFORMAT / XDS_ENOTFOUND as for dcmshim_parse_mem; a
 * Deflated file XDS_EUNSUPPORTED.  Pure.
 */
int	dcmshim_kos_inspect(const void *buf, size_t len,
	    struct dcmshim_kos_doc *out, char *err, size_t errlen);
void	dcmshim_kos_doc_free(struct dcmshim_kos_doc *);

/*
 * C-STORE / C-ECHO SCP (dcmnet.cc).  One thread accepts connections and
 * never waits on a peer: it decides at accept, before a byte is read,
 * from the peer's address alone (admit with calling_ae NULL,
 * max_associations, max_peer_associations); a connection it refuses gets
 * an A-ASSOCIATE-RJ at once and is closed.  Each admitted connection gets
 * its own thread, which reads the A-ASSOCIATE-RQ (after the TLS handshake
 * with tls_cert) within acse_timeout, asks admit again with the calling
 * AE title, and serves the association.  Connections with a thread count
 * against the limits from accept to close.  Every socket read and write
 * waits at most io_timeout seconds.
 *
 * A C-STORE dataset is written bit-preserving
 * to a unique file in tmp_dir, its header parsed, the SOP Instance UID
 * checked against the request, and then on_store decides: the callback
 * makes the file durable (or removes it) and returns the result that
 * becomes the C-STORE response status (subject: the peer certificate's
 * subject as RFC 2253 text, "" without TLS).  The callbacks run on
 * association threads concurrently (on_refused and admit on the accept
 * thread too) and must be thread-safe.
 */
enum dcmshim_store_result {
	DCMSHIM_STORE_OK = 0,		/* 0000 Success: durable */
	DCMSHIM_STORE_NORESOURCES,	/* A700 Refused: out of resources */
	DCMSHIM_STORE_INVALID		/* C000 Error: cannot understand */
};
typedef enum dcmshim_store_result (*dcmshim_store_fn)(void *arg,
	    const char *tmppath, const struct dcmshim_info *info,
	    const char *calling_ae, const char *called_ae,
	    const char *subject);

/* Why a connection or association was refused.  The first three are
 * decided at accept (no A-ASSOCIATE-RQ read, calling_ae NULL), the AE
 * ones after the A-ASSOCIATE-RQ, the last ones when none could be read. */
enum dcmshim_refusal {
	DCMSHIM_REFUSED_ADDRESS = 0,	/* admit(addr, NULL) said no */
	DCMSHIM_REFUSED_LIMIT,		/* max_associations reached */
	DCMSHIM_REFUSED_PEER_LIMIT,	/* max_peer_associations reached */
	DCMSHIM_REFUSED_CALLING_AE,	/* admit(addr, calling AE) said no */
	DCMSHIM_REFUSED_CALLED_AE,	/* addressed to another AE title */
	DCMSHIM_REFUSED_TLS,		/* TLS handshake failed */
	DCMSHIM_REFUSED_TIMEOUT,	/* no A-ASSOCIATE-RQ in acse_timeout */
	DCMSHIM_REFUSED_PROTOCOL,	/* closed, or not an A-ASSOCIATE-RQ */
	DCMSHIM_REFUSED_CERT,		/* admit_cert said no */
	DCMSHIM_REFUSED_N
};
/* "address", "limit", "peer_limit", "calling_ae", "called_ae", "tls",
 * "timeout", "protocol", "certificate". */
const char *dcmshim_refusal_name(enum dcmshim_refusal why);

/* 1: admit; 0: refuse.  addr is the peer's numeric address; calling_ae
 * is NULL at accept, then the A-ASSOCIATE-RQ's (spaces trimmed). */
typedef int (*dcmshim_admit_fn)(void *arg, const char *addr,
	    const char *calling_ae);
/* A refusal: calling_ae and called_ae are those of the A-ASSOCIATE-RQ
 * (NULL when none was read); detail is text for a log line. */
typedef void (*dcmshim_refused_fn)(void *arg, enum dcmshim_refusal why,
	    const char *addr, const char *calling_ae, const char *called_ae,
	    const char *detail);

/*
 * A TLS association's peer certificate, after its A-ASSOCIATE-RQ and the
 * AE title checks: subject is its subject as RFC 2253 text ("" when none
 * could be read).  1: admit; 0: refuse (DCMSHIM_REFUSED_CERT,
 * A-ASSOCIATE-RJ permanent, service user, no reason given).
 */
typedef int (*dcmshim_cert_fn)(void *arg, const char *addr,
	    const char *calling_ae, const char *subject);

/*
 * Storage Commitment Push Model, SCP side (PS3.4 J): an N-ACTION
 * (Request Storage Commitment) of the well-known instance asks about
 * each Referenced SOP Sequence item: on_commit answers 1 when the
 * instance is durably kept for this peer (subject as for on_store), 0
 * when not.  The N-ACTION response (Success once the request is
 * understood) is followed, on the same association,
 * by the N-EVENT-REPORT: event type 1 when every instance was committed,
 * 2 when some failed (Failed SOP Sequence, Failure Reason 0112 No such
 * object instance).  on_commit_done then gets the outcome (the
 * association's peer subject, "" without TLS).  At most
 * DCMSHIM_COMMIT_MAX items a request (past it: Processing Failure).
 */
#define DCMSHIM_COMMIT_MAX	100000
typedef int (*dcmshim_commit_fn)(void *arg, const char *subject,
	    const char *sop_class, const char *sop_uid);
struct dcmshim_commit_result {
	const char	*calling_ae;
	const char	*subject;
	const char	*transaction_uid;
	size_t		 committed;
	size_t		 failed;
	int		 reported;	/* 1: the N-EVENT-REPORT was answered */
};
typedef void (*dcmshim_commit_done_fn)(void *arg,
	    const struct dcmshim_commit_result *r);

/*
 * Storage Commitment Push Model, SCU side on our listener (PS3.4
 * J.3.3): a storage commitment report (N-EVENT-REPORT of the well-known
 * instance, event type 1 or 2) that a peer, the SCP of a request we
 * made, sends on an association it opened to us.  The Storage
 * Commitment context is accepted in the role the peer proposes (SCP
 * role selection answered; a peer proposing the default role is served
 * alike, as several do).  A report without a valid Transaction UID or
 * instance UIDs, listing more than DCMSHIM_COMMIT_MAX instances, of
 * another event type, class or instance is answered by the shim
 * (Invalid Argument Value 0115, No Such Event Type 0113, No Such SOP
 * Class 0118, No Such SOP Instance 0112); any other is given to
 * on_report, whose result is the response's status: XDS_OK Success,
 * XDS_ENOTFOUND or XDS_EDENIED Invalid Argument Value (0115: not a
 * transaction of ours with this peer), other Processing Failure (0110).
 * on_report runs on the association's thread, before the response:
 * what it answers with XDS_OK it has recorded.
 */
struct dcmshim_commit_report {
	const char	*calling_ae;
	const char	*subject;		/* peer certificate, "" */
	const char	*transaction_uid;
	int		 event_type;		/* 1 all committed, 2 not */
	const char *const *committed;		/* SOP Instance UIDs */
	size_t		 ncommitted;
	const char *const *failed;
	const unsigned	*failure;		/* Failure Reason of each */
	size_t		 nfailed;
};
typedef int (*dcmshim_report_fn)(void *arg,
	    const struct dcmshim_commit_report *r);

struct dcmshim_scp_opts {
	const char	*host;			/* bind address, e.g. 127.0.0.1 */
	int		 port;			/* 0: any free port */
	const char	*ae_title;		/* called AE title we answer to */
	const char *const *also_ae;		/* more we answer to (on_store
						   gets the one called) */
	size_t		 nalso_ae;
	const char	*tmp_dir;		/* same file system as the store */
	int		 max_associations;	/* connections at once */
	int		 max_peer_associations;	/* from one address; 0: max */
	int		 acse_timeout;		/* seconds */
	int		 dimse_timeout;		/* seconds */
	int		 io_timeout;		/* seconds; 0: dimse_timeout */
	dcmshim_store_fn on_store;
	void		*arg;
	dcmshim_admit_fn admit;			/* NULL: everyone */
	dcmshim_refused_fn on_refused;		/* NULL: none */
	void		*access_arg;		/* of admit and on_refused */
	/* DICOM over TLS (PS3.15 B.1, BCP195 non-downgrading profile:
	 * TLS 1.2 or 1.3), a client certificate required that chains to
	 * tls_ca.  All three PEM files, or tls_cert NULL for plain TCP. */
	const char	*tls_cert;
	const char	*tls_key;
	const char	*tls_ca;
	dcmshim_cert_fn	 admit_cert;		/* NULL: any that chains */
	/* Storage Commitment (NULL: the SOP class is not offered); arg */
	dcmshim_commit_fn on_commit;
	dcmshim_commit_done_fn on_commit_done;	/* may be NULL */
	/* Reports on associations peers open (NULL: refused); arg */
	dcmshim_report_fn on_report;
};
struct dcmshim_scp;

/* Route DCMTK's own logging into log.h (dcmlog.cc): warnings and errors
 * only, with our timestamps and control characters escaped. */
void	dcmshim_log_init(void);
/* After dcmshim_log_init: the least severe DCMTK message still shown
 * (xdsctl: ERROR, WARN with -v).  The header-reading noise of dcmdata and
 * dcmsr stays at ERROR whatever the level. */
enum dcmshim_log_level {
	DCMSHIM_LOG_ERROR = 0,
	DCMSHIM_LOG_WARN,
	DCMSHIM_LOG_INFO,
	DCMSHIM_LOG_DEBUG
};
void	dcmshim_log_level(enum dcmshim_log_level level);
/* Bind the listening socket (so a port conflict shows at start-up). */
int	dcmshim_scp_new(const struct dcmshim_scp_opts *opts,
	    struct dcmshim_scp **out, char *err, size_t errlen);
/* The bound port (useful with port 0). */
int	dcmshim_scp_port(const struct dcmshim_scp *scp);
/* Serve until dcmshim_scp_stop(); returns after the running associations
 * have finished. */
int	dcmshim_scp_run(struct dcmshim_scp *scp, char *err, size_t errlen);
/*
 * The node's certificate and key again (SIGHUP), for an SCP over TLS, in
 * two steps so that a reload of several listeners installs all or none:
 * dcmshim_scp_tls_load builds a TLS layer from cert and key (with the
 * SCP's CA file) as dcmshim_scp_new does, the key checked against the
 * certificate: XDS_EINVAL with the file that failed, nothing in use
 * changed (XDS_EINVAL too for a plain SCP).  dcmshim_scp_tls_set takes t
 * and installs it for the connections accepted from then on (any
 * thread); the connections before keep the layer they began with, which
 * is freed with the last of them.  dcmshim_tls_free frees one not set.
 * The CA file and the CRLs are read for each connection anyway.
 */
struct dcmshim_tls;
int	dcmshim_scp_tls(const struct dcmshim_scp *scp);	/* 1: over TLS */
int	dcmshim_scp_tls_load(const struct dcmshim_scp *scp, const char *cert,
	    const char *key, struct dcmshim_tls **out, char *err,
	    size_t errlen);
void	dcmshim_scp_tls_set(struct dcmshim_scp *scp, struct dcmshim_tls *t);
void	dcmshim_tls_free(struct dcmshim_tls *t);
/* Ask run() to return; safe from any thread (not from a signal handler). */
void	dcmshim_scp_stop(struct dcmshim_scp *scp);
void	dcmshim_scp_free(struct dcmshim_scp *scp);

/*
 * Consumer side (dcmscu.cc).  Read a KOS manifest at path: fn is called
 * for each referenced instance of its Current Requested Procedure
 * Evidence (a nonzero return ends the walk with XDS_ETOOBIG); out gets
 * the study and the Retrieve Location UID (empty when absent).  All
 * references must name one study and one location (XDS_EFORMAT).
 */
struct dcmshim_kos_info {
	char	study_uid[DCMSHIM_UI_SZ];
	char	location_uid[DCMSHIM_UI_SZ];
	size_t	nrefs;
};
typedef int (*dcmshim_kos_ref_fn)(void *arg, const char *series_uid,
	    const char *sop_class, const char *sop_uid);
int	dcmshim_kos_read(const char *path, struct dcmshim_kos_info *out,
	    dcmshim_kos_ref_fn fn, void *arg, char *err, size_t errlen);

/*
 * The files a DICOMDIR (PS3.10 media directory, len bytes at buf)
 * references, in record order: fn(arg, path) with each record's
 * ReferencedFileID, its components joined with '/' as they are written on
 * the medium (records without one, such as patient and study records,
 * passed over); a nonzero return ends the walk with XDS_ETOOBIG.  Lengths
 * are checked first (dcmshim_lencheck); XDS_EFORMAT for bytes that are
 * not a DICOMDIR (its Media Storage SOP class) or a ReferencedFileID
 * with an empty component or over DCMSHIM_DICOMDIR_PATH_MAX characters
 * (PS3.10 8.2 allows 8 components of 8; media that exceed it are read),
 * XDS_ETOOBIG past DCMSHIM_DICOMDIR_MAX_RECORDS records.  Pure.
 */
#define DCMSHIM_DICOMDIR_MAX_RECORDS	200000
#define DCMSHIM_DICOMDIR_PATH_MAX	255
int	dcmshim_dicomdir_mem(const void *buf, size_t len,
	    int (*fn)(void *arg, const char *path), void *arg, char *err,
	    size_t errlen);

/*
 * A DICOMDIR written to root/DICOMDIR for the n files root/ids[i], whose
 * file IDs ids[i] are at most 8 components of at most 8 characters A-Z,
 * 0-9 and _ joined with '/' (PS3.10 8.2): PATIENT, STUDY, SERIES and
 * IMAGE (or the SOP class's) records from each file's header, DCMTK's
 * DicomDirInterface checking each file against the application profile.
 * The profile is STD-GEN-CD (PDI's) when every file is Explicit VR Little
 * Endian, else STD-GEN-MIME (files are not transcoded); its name goes to
 * profile.  Type 1 keys a file lacks are made up in its record.  Large
 * values (pixel data) are not read into memory.  XDS_EFORMAT with the file
 * ID for a file that is not such a file or an invalid file ID, XDS_EIO
 * when the DICOMDIR cannot be written.
 */
int	dcmshim_dicomdir_write(const char *root, const char *const *ids,
	    size_t n, const char *fileset_id, char *profile, size_t profilelen,
	    char *err, size_t errlen);

/*
 * C-STORE SCU: send n files over one association to called_ae at
 * host:port, each in its own transfer syntax (one presentation context
 * per SOP class and syntax, at most DCMSHIM_SCU_MAX_CONTEXTS).  Nagle is
 * off (TCP_NODELAY).  status[i] is the DIMSE status of file i (0 Success,
 * 0xB... warning, other failure), -2 when the peer refused its context,
 * -1 when not sent.  on_sent (may be NULL) is called after each file.
 * Returns 0 when the association ran to its end (read status[]), else an
 * enum xds_status with the reason in err.
 */
#define DCMSHIM_SCU_MAX_CONTEXTS	128
struct dcmshim_scu_opts {
	const char	*host;
	int		 port;
	const char	*calling_ae;
	const char	*called_ae;
	int		 acse_timeout;		/* seconds (0: 30) */
	int		 dimse_timeout;		/* seconds (0: 60) */
	void		(*on_sent)(void *arg, size_t i, int status);
	void		*arg;
};
int	dcmshim_store_scu(const struct dcmshim_scu_opts *o,
	    const char *const *paths, size_t n, int *status, char *err,
	    size_t errlen);

/*
 * Push to another node (dcmpush.cc): one association over mutual TLS
 * (or several storing at once: associations)
 * (dcmtls.cc: TLS 1.2/1.3, our cert and key, the peer's certificate
 * chained to tls_ca, the CRLs in use), a C-STORE of each item with
 * send set, streamed from its file in the file's own transfer syntax
 * (the dataset's bytes as they are on disk: never decoded, never whole in
 * memory), then Storage Commitment Push Model: one N-ACTION listing
 * every item (sent now or earlier) under transaction_uid, and the
 * N-EVENT-REPORT awaited on the same association for commit_timeout
 * seconds, answered, and the association released.
 *
 * Per item: status is the C-STORE's DIMSE status (0 Success, 0xB...
 * warning, other failure), -2 when the peer refused its context, -1 when
 * not sent; committed 1 when the report lists it as committed, 0 when as
 * failed (failure its Failure Reason), -1 when no report said.
 * peer_subject (DCMSHIM_SUBJECT_SZ) gets the receiver's certificate
 * subject.  XDS_OK when the association ran to its end (the report may
 * still fail items); XDS_EUNCERTAIN when the receiver accepted the
 * N-ACTION and then ended the association (release, abort or close)
 * without its report: it may send the report later on an association
 * of its own (PS3.4 J.3.3; the items' C-STORE statuses are set, none is
 * committed); XDS_EUNAVAILABLE when the peer could not be reached or the
 * association broke (err says where), XDS_ETIMEOUT when no report came
 * in time, XDS_EDENIED when check_peer refused the receiver, XDS_EINVAL
 * for bad options.
 */
#define DCMSHIM_SUBJECT_SZ	512
struct dcmshim_push_item {
	const char	*path;			/* Part 10 file */
	const char	*sop_class;
	const char	*sop_uid;
	const char	*ts;			/* the file's transfer syntax */
	int		 send;			/* 0: commitment only */
	int		 status;		/* out */
	int		 committed;		/* out */
	unsigned	 failure;		/* out */
};
struct dcmshim_push_opts {
	const char	*host;
	int		 port;
	const char	*calling_ae;
	const char	*called_ae;
	const char	*tls_cert, *tls_key, *tls_ca;	/* all required */
	int		 acse_timeout;		/* seconds (0: 30) */
	int		 dimse_timeout;		/* seconds (0: 60) */
	int		 commit_timeout;	/* seconds (0: 60) */
	/* Associations storing at once (0, 1: one for all); more than one:
	 * the items split between them, then the commitment on one more. */
	int		 associations;
	const char	*transaction_uid;
	char		*peer_subject;		/* out, may be NULL */
	/* Once an association is accepted, before its first C-STORE: the
	 * receiver's certificate subject; 0 aborts the attempt
	 * (XDS_EDENIED, err from why).  NULL: any that chains.  Called on
	 * the store associations' threads too: thread-safe. */
	int		(*check_peer)(void *arg, const char *subject,
			    char *why, size_t whylen);
	void		*arg;
};
int	dcmshim_push(const struct dcmshim_push_opts *o,
	    struct dcmshim_push_item *items, size_t n, char *err,
	    size_t errlen);

/*
 * Transcoding (dcmcodec.cc), for RAD-69 answers in a syntax the consumer
 * asked for.  Codecs are registered once, on first use (thread-safe).
 */

/* 1 when an instance stored as from_ts can be written as to_ts by this
 * shim (equal known syntaxes: 1), else 0.  Lossless only: a lossy target
 * syntax is produced only when from_ts is that same syntax (never lossy
 * from lossless pixel data: a radiologist must not get a silently
 * degraded image).  A lossy source may be written uncompressed or
 * losslessly compressed (nothing further is lost).  Pure. */
int	dcmshim_can_transcode(const char *from_ts, const char *to_ts);

/*
 * Write the instance at in_path to out_path (created 0600 with O_EXCL and
 * O_NOFOLLOW; no fsync: it is a temporary answer) in transfer syntax
 * to_ts.  The dataset is unchanged but for its pixel data encoding (same
 * SOP Instance UID: a lossless transcoding is the same instance; no new
 * UID either when a lossy source is decoded, LossyImageCompression stays
 * 01).  In the meta header TransferSyntaxUID changes, and the
 * Implementation Class UID / Version Name become DCMTK's (PS3.10 7.1:
 * they name the writer of the file).  Decoded pixel values are identical
 * to the original's (bits above HighBit excepted: the JPEG codecs carry
 * BitsStored bits per sample, PS3.5 8.2).
 * Equal syntaxes: rewritten without decoding (any known syntax).
 * The whole dataset is decoded in memory: inputs over
 * DCMSHIM_MAX_TRANSCODE bytes, or whose decoded pixel data would be
 * (Rows x Columns x Samples x BitsAllocated x Frames), -> XDS_ETOOBIG.
 * XDS_EUNSUPPORTED when to_ts is unknown, when dcmshim_can_transcode()
 * is 0, or when the codec cannot take this image (err says why);
 * XDS_EFORMAT for a file that is not DICOM or is truncated;
 * XDS_EIO for file errors, out_path existing included (that file is
 * left alone); XDS_EINVAL for NULL arguments or a to_ts that is not a
 * UID.  out_path is removed on any error after it was created.
 * Thread-safe.
 */
#define DCMSHIM_MAX_TRANSCODE	((size_t)1 << 30)	/* 1 GiB */
int	dcmshim_transcode(const char *in_path, const char *to_ts,
	    const char *out_path, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* XDS_DCMSHIM_H */
