/*
 * xmlscan.h: the bytes libxml2 may see.  Every XML document the node
 * parses (xml_parse, xml_push) passes this streaming filter first, in
 * pieces of any size:
 *
 * - Encoding.  Only UTF-8 and UTF-16 (SOAP 1.2 under the WS-I Basic
 *   Profile 2.0, R1012): the byte order mark, the XML declaration's
 *   encoding and the MIME charset parameter (when given) must all say
 *   one of the two, and the same one.  UTF-16 (which needs its byte
 *   order mark, XML 1.0 4.3.3) is decoded here; libxml2 only ever sees
 *   UTF-8, checked here too (no overlong forms, no surrogates, no NUL).
 *   UTF-7, EBCDIC, UTF-32, Latin-1 ... are XDS_EFORMAT.
 * - Line ends.  CR LF and a lone CR become LF here (XML 1.0 2.11),
 *   because libxml2 2.9's push parser hands CDATA sections on without
 *   normalising them while its DOM parser does: the two parsers built
 *   different documents from one input.
 * - Bounds, counted before libxml2 parses a start tag: its check for
 *   duplicate attributes compares every attribute of an element with
 *   every earlier one (and its namespace declarations likewise), so CPU
 *   grows with the square of the attributes of one element, and the DOM
 *   builder appends each attribute by walking the list.  Past a bound:
 *   XDS_ETOOBIG.
 *
 * A document that the filter lets through is handed on unchanged except
 * for the above (the encoding value of a UTF-16 document's declaration
 * reads UTF-8).  Pure: no I/O, no globals.
 */
#ifndef XDS_XMLSCAN_H
#define XDS_XMLSCAN_H

#include <stddef.h>

#include "status.h"

/*
 * Fixed bounds: no SOAP, WS-Addressing or ebRIM element comes near them
 * (an ebRIM object has about ten attributes, an envelope a dozen
 * namespaces), and at these values libxml2's quadratic steps cost
 * microseconds per element, so no operator needs to change them.
 */
#define XMLSCAN_ELEM_ATTRS	256	/* attributes of one element */
#define XMLSCAN_ELEM_NS		64	/* xmlns declarations of one element */
#define XMLSCAN_SCOPE_NS	256	/* xmlns declarations in scope */
#define XMLSCAN_DEPTH		128	/* nested elements (libxml2: 256) */
/* Attributes and namespace declarations of a whole document: with
 * soap.max_envelope the one bound that scales with a submission's size,
 * so the SOAP layer passes the configured soap.max_attributes; this is
 * the default (a 16 MiB ebRIM submission has about 400,000). */
#define XMLSCAN_MAX_ATTRS	1000000UL
#define XMLSCAN_DECL_MAX	256	/* bytes of the XML declaration */
/* Bytes of one start tag, its attribute values included: libxml2's push
 * parser needs a whole start tag within its look-ahead limit (10 MB)
 * and reports one past it as "Huge input lookup", which tells the
 * sender nothing; no SOAP or ebRIM start tag comes near this. */
#define XMLSCAN_TAG_MAX		1048576UL

enum xmlscan_enc {
	XMLSCAN_ENC_UNKNOWN = 0,	/* not decided yet */
	XMLSCAN_ENC_UTF8,
	XMLSCAN_ENC_UTF16LE,
	XMLSCAN_ENC_UTF16BE,
};

/* Filtered bytes for the parser; returns 0, or a status < 0 with err. */
typedef int	(*xmlscan_out)(void *arg, const char *p, size_t n, char *err,
		    size_t errlen);

struct xmlscan {
	/* set up by xmlscan_init */
	unsigned long	 max_attrs;
	int		 charset;	/* MIME charset: 0 none, 8, 16 */
	enum xmlscan_enc enc;
	int		 status;	/* first failure, sticky */
	char		 err[160];
	/* decoding */
	unsigned char	 head[4];	/* first bytes, to decide enc */
	size_t		 nhead;
	unsigned char	 u16[2];	/* half a UTF-16 code unit */
	size_t		 nu16;
	unsigned	 hi_surr;	/* pending high surrogate, or 0 */
	unsigned	 u8need;	/* UTF-8 continuation bytes to come */
	unsigned	 u8cp;		/* code point so far */
	unsigned	 u8min;		/* least code point of its length */
	int		 cr;		/* last byte was CR (now LF) */
	/* the XML declaration, held until it is complete and checked */
	int		 decl;		/* 0 undecided, 1 in it, 2 done */
	char		 declbuf[XMLSCAN_DECL_MAX];
	size_t		 ndecl;
	/* markup */
	int		 st;		/* scanner state */
	int		 sub;		/* position within a delimiter */
	char		 quote;		/* of the attribute value being read */
	unsigned long	 taglen;	/* bytes of the start tag so far */
	char		 aname[8];	/* first bytes of the attribute name */
	size_t		 naname;
	int		 xmlns;		/* it is xmlns or xmlns:... */
	unsigned	 eattrs, ens;	/* of the start tag being read */
	unsigned long	 attrs;		/* in the document so far */
	unsigned	 depth;
	unsigned	 scope;		/* xmlns declarations in scope */
	unsigned short	 nsat[XMLSCAN_DEPTH + 1]; /* per open element */
};

/*
 * Start a document.  max_attrs: attributes and namespace declarations
 * of the whole document (0: XMLSCAN_MAX_ATTRS).  charset: the MIME
 * charset parameter of the message, NULL or "" when there was none.
 */
void	xmlscan_init(struct xmlscan *, unsigned long max_attrs,
	    const char *charset);
/* The next len bytes: what may be parsed goes to out. */
int	xmlscan_feed(struct xmlscan *, const void *data, size_t len,
	    xmlscan_out out, void *arg, char *err, size_t errlen)
	    __attribute__((warn_unused_result));
/* End of input (a document cut inside a character is XDS_EFORMAT). */
int	xmlscan_finish(struct xmlscan *, xmlscan_out out, void *arg,
	    char *err, size_t errlen) __attribute__((warn_unused_result));
/* A MIME charset value the node accepts: 8 (UTF-8), 16 (UTF-16), or 0. */
int	xmlscan_charset(const char *charset);

#endif
