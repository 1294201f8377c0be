/*
 * xdm.h: the pure parts of an XDM package (IHE ITI TF-1 16, ITI TF-3
 * 4.3): the rules for the names of its entries, the reading and checking
 * of a submission set's METADATA.XML, and the metadata written on export
 * and sent again on import.  No I/O: the archive itself is xdsctl's.
 */
#ifndef XDS_XDM_H
#define XDS_XDM_H

#include <stddef.h>

#include "ebrim.h"

struct buf;

#define XDM_NAME_MAX	255	/* bytes of an entry's name */
#define XDM_MAX_DOCS	1000	/* DocumentEntries of a subset */
#define XDM_DIR		"IHE_XDM"
#define XDM_METADATA	"METADATA.XML"

/*
 * An entry name of a package (or a DocumentEntry's URI), as the archive
 * or the metadata gives it (len bytes, no NUL expected): relative, '/'
 * separated, no empty, "." or ".." component, no backslash, no drive
 * letter, no control character, at most XDM_NAME_MAX bytes.  A final '/'
 * (a directory entry) is allowed.  XDS_OK, or XDS_EFORMAT with the rule
 * broken in err ("absolute name", "'..' component", ...).
 */
int	xdm_name_check(const char *name, size_t len, char *err,
	    size_t errlen);

/* One DocumentEntry of a submission set, pointers into the list. */
struct xdm_doc {
	size_t		 obj;		/* into xdm_meta.l.obj */
	const char	*id;		/* entryUUID (or symbolic id) */
	const char	*unique_id;
	const char	*uri;		/* file in the subset */
	const char	*mime;
	const char	*hash;		/* SHA-1, 40 hex digits */
	long long	 size;
	const char	*patient;	/* XDSDocumentEntry.patientId */
	int		 kos;		/* a KOS manifest */
};

struct xdm_meta {
	struct rim_list	 l;
	size_t		 ss;		/* SubmissionSet, in l.obj */
	const char	*patient;	/* XDSSubmissionSet.patientId */
	struct xdm_doc	*docs;
	size_t		 ndocs;
};

/*
 * Read and check a METADATA.XML (len bytes of buf): an
 * lcm:SubmitObjectsRequest with one SubmissionSet and 1 to XDM_MAX_DOCS
 * stable DocumentEntries, each with a uniqueId, a patientId equal to the
 * SubmissionSet's, a URI that passes xdm_name_check, a size and a SHA-1
 * hash; no two with the same URI or uniqueId.  XDS_OK with m filled (free
 * it with xdm_meta_free either way), or XDS_EFORMAT (XDS_ENOMEM) with the
 * rule broken in err.
 */
int	xdm_meta_parse(const char *buf, size_t len, struct xdm_meta *m,
	    char *err, size_t errlen);
void	xdm_meta_free(struct xdm_meta *m);

/* The new SubmissionSet of an export or an import. */
struct xdm_ss {
	const char	*unique_id;	/* a new OID */
	const char	*source_id;	/* OID of the sender */
	const char	*patient;	/* CX */
	const char	*time;		/* YYYYMMDDhhmmss */
	const char	*title;
	const struct rim_code *content_type;
};

/*
 * METADATA.XML of an export: the lcm:SubmitObjectsRequest of the
 * DocumentEntries objs[0..n) (as a registry answered them; their status,
 * home and repositoryUniqueId stay), each with the URI slot uris[i] set,
 * a new SubmissionSet ss with its HasMember Associations, appended to
 * out.  The objects of l are changed (the URI slot).  XDS_OK or the
 * buffer's status.
 */
int	xdm_meta_write(struct rim_list *l, struct rim_object **objs,
	    const char **uris, size_t n, const struct xdm_ss *ss,
	    struct buf *out);

/*
 * The lcm:SubmitObjectsRequest that registers the DocumentEntries
 * m->docs[i] with use[i] set again (ITI-41 after an XDM import, ITI TF-3
 * 4.3.1): every id becomes a new symbolic one (the registry gives fresh
 * entryUUIDs; DocumentEntry i is "Document<i>" in ids[i], 16 bytes), the
 * document uniqueIds, size and hash stay, patientId becomes ss->patient
 * (sourcePatientId stays), URI, repositoryUniqueId, home and status go;
 * the package's SubmissionSet keeps its codes and authors under
 * ss->unique_id, source_id, patient and time.  Associations between
 * documents and folders are not carried over.  Appended to out; XDS_OK,
 * XDS_EINVAL (nothing used) or the buffer's status.
 */
int	xdm_meta_resubmit(struct xdm_meta *m, const int *use,
	    const struct xdm_ss *ss, char (*ids)[16], struct buf *out);

#endif
