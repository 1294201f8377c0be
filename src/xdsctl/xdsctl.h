/* xdsctl.h: shared state of the xdsctl subcommands. */
#ifndef XDS_XDSCTL_H
#define XDS_XDSCTL_H

#include "conf.h"
#include "soapclient.h"

struct ctl {
	struct conf		 conf;
	char			 url[1024];	/* registry endpoint URL */
	struct soapclient_opts	 tls;
	int			 json;
	int			 verbose;
};

int	ctl_submit(struct ctl *, int argc, char **argv);
int	ctl_query(struct ctl *, int argc, char **argv);
int	ctl_delete(struct ctl *, int argc, char **argv);
int	ctl_audit(struct ctl *, int argc, char **argv);
/* xdsctl_repo.c: submit --patient (ITI-41) and retrieve (ITI-43) */
int	ctl_provide(struct ctl *, int argc, char **argv);
int	ctl_retrieve(struct ctl *, int argc, char **argv);

/* xdsctl_dicom.c: dicom studies|pending|publish|..., image import */
int	ctl_dicom(struct ctl *, int argc, char **argv);
int	ctl_image(struct ctl *, int argc, char **argv);

/* xdsctl_util.c */
#define CTL_MAX_FILE	(64 * 1024 * 1024)
struct _xmlNode;
/* A bare BSN becomes bsn^^^&OID_BSN&ISO; a CX is checked and kept
 * canonical.  -1 with a message on stderr. */
int	ctl_patient_cx(const char *id, char *out, size_t outsz);
/* A whole (small) file, at most max bytes; NULL with a message. */
char	*ctl_read_file(const char *path, size_t max, size_t *len);
/* The first element {ns}name in the subtree of n, or NULL. */
struct _xmlNode *ctl_find_elem(struct _xmlNode *n, const char *ns,
	    const char *name);
/* The last ':'-part of a status URN ("Success"), "" for NULL. */
const char *ctl_short_status(const char *s);

#endif
