/*
 * xml.h: libxml2 set up safely.
 * No network, no DTD, no entity expansion: a document with any DOCTYPE
 * is refused before anything in it is expanded.  Callers cap sizes
 * before calling (libxml2's own limits are not relied upon).  Every
 * document passes xmlscan (xmlscan.h) before libxml2 sees it: UTF-8 or
 * UTF-16 only, line ends normalised, attributes, namespace declarations
 * and depth bounded (XDS_ETOOBIG past a bound).
 */
#ifndef XDS_XML_H
#define XDS_XML_H

#include <stddef.h>
#include <libxml/tree.h>

#include "status.h"

/* An element name: namespace URI and local name. */
struct xml_qname {
	const char	*ns;
	const char	*name;
};

/* Once in main() before threads: parser init + deny-all entity loader. */
void	xml_init(void);
/* What a message says of the document it carries (NULL: defaults). */
struct xml_opts {
	unsigned long	 max_attrs;	/* attributes and namespace
					   declarations (0: the default) */
	const char	*charset;	/* MIME charset parameter, or NULL */
};

/* Parse len bytes; NULL with a reason in err (DOCTYPE, not well-formed). */
xmlDoc	*xml_parse(const char *data, size_t len, char *err, size_t errlen);
/* xml_parse with options; *status (when not NULL) gets XDS_OK, or
 * XDS_EFORMAT, XDS_ETOOBIG, XDS_ENOMEM with the reason in err. */
xmlDoc	*xml_parse_opts(const char *data, size_t len, const struct xml_opts *,
	    int *status, char *err, size_t errlen);
/*
 * Push parser: the same document and the same safety as xml_parse, fed
 * in chunks of any size (a SAX2 push parser building the DOM).
 *
 * Divert: the text of elements named in divert->names ({NULL, NULL}-
 * terminated) does not go into the DOM but to divert->text as it is
 * parsed (character data and CDATA, entity and character references
 * resolved); an element child inside such an element is an error,
 * except an xop:Include before any text other than whitespace: then the
 * element is an XOP reference already, divert->cancel is called and the
 * element is parsed as any other.  At
 * its end tag divert->end either names an href (XML_DIVERT_INCLUDE: the
 * element gets one child <xop:Include href="..."/>) or gives a short
 * text to put there instead (XML_DIVERT_TEXT).  So an element holding
 * megabytes of base64 costs the DOM a few bytes.
 *
 * max_xml bounds the bytes that are not diverted (everything fed minus
 * the diverted text): XDS_ETOOBIG past it.  Callbacks return 0 (or an
 * XML_DIVERT_* for end) or an enum xds_status < 0 with err filled; that
 * status stops the parse and is returned by xml_push_feed/xml_push_finish.
 * Their own failures: XDS_ENOMEM, XDS_ETOOBIG past a bound of xmlscan,
 * and XDS_EFORMAT for a DOCTYPE, an encoding other than UTF-8 or UTF-16, a
 * document not well-formed, or a diverted element with an element child.
 */

#define XML_DIVERT_INCLUDE	0
#define XML_DIVERT_TEXT		1

struct xml_divert {
	const struct xml_qname *names;
	/* A diverted element starts (its attributes are in el). */
	int	(*begin)(void *arg, xmlNode *el, char *err, size_t errlen);
	int	(*text)(void *arg, const char *p, size_t n, char *err,
		    size_t errlen);
	/* It holds an xop:Include: forget it (no end call follows). */
	void	(*cancel)(void *arg);
	/* Its end tag: fill out (href or replacement text, NUL-terminated). */
	int	(*end)(void *arg, xmlNode *el, char *out, size_t outsz,
		    char *err, size_t errlen);
	void	*arg;
};

struct xml_push;

/* divert may be NULL (then this is xml_parse in pieces). */
int	xml_push_new(struct xml_push **out, size_t max_xml,
	    const struct xml_divert *divert, char *err, size_t errlen)
	    __attribute__((warn_unused_result));
/* Options for the document, before the first xml_push_feed. */
void	xml_push_opts(struct xml_push *, const struct xml_opts *);
/* After an error every later call fails with the same status. */
int	xml_push_feed(struct xml_push *, const void *data, size_t len,
	    char *err, size_t errlen) __attribute__((warn_unused_result));
/* End of input: the document moves to *doc (the caller frees it). */
int	xml_push_finish(struct xml_push *, xmlDoc **doc, char *err,
	    size_t errlen) __attribute__((warn_unused_result));
/* Free the parser and any partial document (NULL is a no-op). */
void	xml_push_free(struct xml_push *);
/* The encoding of what was fed: 8 (UTF-8), 16 (UTF-16), 0 not known
 * yet (fewer than 4 bytes) or refused. */
int	xml_push_charset(const struct xml_push *);
/* Text bytes diverted so far. */
unsigned long long xml_push_diverted(const struct xml_push *);

/* First element child of n (skipping text/comments), or NULL. */
xmlNode	*xml_first_elem(xmlNode *n);
xmlNode	*xml_next_elem(xmlNode *n);
/* Element n is {ns}name. */
int	xml_is(const xmlNode *n, const char *ns, const char *name);
/* Attribute value (borrowed from the tree) or NULL. */
const char *xml_attr(const xmlNode *n, const char *name);
/* Text content of n, trimmed, into out; -1 if it does not fit. */
int	xml_text(const xmlNode *n, char *out, size_t outsz);
/* The first child element {ns}name of n, or NULL. */
xmlNode	*xml_child(xmlNode *n, const char *ns, const char *name);
/* The text of xml_child(n, ns, name) as xml_text gives it, "" when there
 * is no such child; -1 if it does not fit. */
int	xml_child_text(xmlNode *n, const char *ns, const char *name,
	    char *out, size_t outsz);
/* The first element {ns}name in document order among n, its
 * descendants and its following siblings' subtrees, or NULL. */
xmlNode	*xml_find(xmlNode *n, const char *ns, const char *name);
/*
 * Append element n as XML text to out, with every namespace it and its
 * descendants use declared on it (whatever ancestors declared them), so
 * it stands alone or inside any other element.  XDS_OK, XDS_ENOMEM, or
 * XDS_ETOOBIG from out (nothing appended then).
 */
struct buf;
int	xml_dump(xmlNode *n, struct buf *out);

#endif
