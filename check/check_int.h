/*
 * check_int.h: what the files of check/ share: adding findings, the
 * unwrapped message (check_frame.c) and the per-part checks.
 */
#ifndef XDS_CHECK_INT_H
#define XDS_CHECK_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <libxml/tree.h>

#include "check.h"

/* Add a finding (loc may be NULL; code NULL or ""). */
void	chk_add(struct chk_report *, enum chk_sev, const char *rule,
	    const char *code, const char *loc, const char *fmt, ...)
	    __attribute__((format(printf, 6, 7)));
/* The same with the location of node n (its XPath-like path). */
void	chk_addn(struct chk_report *, enum chk_sev, const char *rule,
	    const char *code, const xmlNode *n, const char *fmt, ...)
	    __attribute__((format(printf, 6, 7)));

/* fn on every element {ns}name below e (not e), in document order. */
void	chk_walk(xmlNode *e, const char *ns, const char *name,
	    void (*fn)(xmlNode *, void *), void *arg);

/* One MIME part: its headers, its size, and its bytes when kept (the
 * root part and DICOM parts). */
struct chk_part {
	char	 ctype[256];
	char	 cid[256];
	size_t	 size;
	char	*data;
	size_t	 len;
};

#define CHK_MAX_PARTS	1000

/* A capture unwrapped (check_frame.c). */
struct chk_frame {
	int	 http;			/* 0 no head, 1 request, 2 answer */
	int	 status;		/* the answer's HTTP status */
	char	 ctype[512];		/* Content-Type, "" when unknown */
	const char *body;		/* the HTTP body (chunked undone) */
	size_t	 blen;
	char	*owned;			/* body when it was decoded */
	int	 multipart;		/* multipart/related */
	int	 xop;			/* its type is application/xop+xml */
	struct chk_part *parts;
	size_t	 nparts;
	size_t	 root;			/* index of the root part */
	const char *xml;		/* the root XML (or the whole body) */
	size_t	 xlen;
};

/* Unwrap buf into f (chk_frame_free it always); problems are findings. */
void	chk_frame(const char *buf, size_t len, const struct chk_opts *,
	    struct chk_frame *f, struct chk_report *r);
void	chk_frame_free(struct chk_frame *);
/* The part with Content-ID cid (already decoded), or NULL. */
const struct chk_part *chk_frame_part(const struct chk_frame *,
	    const char *cid);

/* check_schema.c: the compiled schemas. */
int	chk_schema_init(char *err, size_t errlen);
/* Element e against the message schemas (its namespace is one of
 * theirs); 0 when the namespace has none. */
int	chk_schema_known(const xmlNode *e);
void	chk_schema_xsd(xmlNode *e, struct chk_report *);
void	chk_schema_atna(xmlDoc *doc, struct chk_report *);
/* A saml:Assertion against the SAML 2.0 assertion schema (XUA-XSD). */
void	chk_schema_saml(xmlNode *assertion, struct chk_report *);

/* check_soap.c: the envelope and its packaging. */
struct chk_txn {
	const char	*kind;		/* "ITI-41" */
	const char	*action;
	const char	*ns, *name;	/* the body element */
	int		 response;
	int		 mtom;		/* 2 required, 1 recommended, 0 no */
};
/* The transaction for action (may be "") and body element e. */
const struct chk_txn *chk_txn_find(const char *action, const xmlNode *e,
	    int *action_mismatch);
void	chk_soap(xmlDoc *doc, const struct chk_frame *, struct chk_report *,
	    xmlNode **body);
void	chk_packaging(const struct chk_txn *, const struct chk_frame *,
	    xmlNode *body, struct chk_report *);

/* check_meta.c: the metadata rules of each body. */
void	chk_meta(const struct chk_txn *, xmlNode *body,
	    const struct chk_opts *, struct chk_report *);

/* check_doc.c: documents that are not SOAP bodies. */
void	chk_xua(xmlNode *assertion, struct chk_report *);
void	chk_kos(const char *buf, size_t len, const char *where,
	    struct chk_report *);

#endif
