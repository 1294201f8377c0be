/*
 * mime.h: streaming multipart/related parser (RFC 2046 5.1, RFC 2387)
 * and the header helpers MTOM/XOP needs (RFC 2045 Content-Type
 * parameters, RFC 2392 cid: URLs).
 *
 * The parser is push-style and pure: feed it the body in chunks of any
 * size; it calls back at the start of each part (with the parsed part
 * headers), for each piece of part data, and at the end of each part.
 * Memory is constant whatever the part size: only the part header block
 * (bounded) is buffered, never part data.  CRLF and bare LF are both
 * accepted in part headers and delimiters; a preamble, an epilogue and
 * transport padding after a boundary are skipped.
 */
#ifndef XDS_MIME_H
#define XDS_MIME_H

#include <stddef.h>

#include "status.h"

/*
 * The functions return enum xds_status: XDS_EFORMAT for a malformed
 * boundary, Content-Type value, cid, delimiter line or part header, and
 * for a body that ends before the close delimiter; XDS_ETOOBIG for a part
 * header block over its limit or more parts than allowed; XDS_ENOMEM.
 */

#define MIME_BOUNDARY_MAX	70	/* RFC 2046 */
#define MIME_DEFAULT_HEADER_BYTES 8192
#define MIME_DEFAULT_HEADER_FIELDS 32
#define MIME_DEFAULT_MAX_PARTS	1000

struct mime_limits {
	size_t	max_header_bytes;	/* one part's header block */
	size_t	max_header_fields;	/* header fields in one part */
	size_t	max_parts;		/* parts in the message */
};

enum mime_cte {
	MIME_CTE_BINARY = 0,	/* also when the header is absent */
	MIME_CTE_8BIT,
	MIME_CTE_7BIT,
	MIME_CTE_BASE64,
	MIME_CTE_QP,		/* quoted-printable: reported, not decoded */
	MIME_CTE_OTHER,
};

/* Headers of one part, as handed to part_begin (borrowed, valid during
 * the callback only). */
struct mime_part {
	size_t	 index;			/* 0 for the first part */
	char	 content_type[256];	/* value, whitespace-trimmed; "" if absent */
	char	 content_id[256];	/* without <>, percent-decoded; "" if absent */
	enum mime_cte cte;
	char	 cte_name[32];		/* as received, lower-cased */
};

/*
 * Callbacks return 0 to go on, or an enum xds_status to stop: the parser
 * then fails with that status (XDS_ERR for any other nonzero value) and
 * keeps failing.  part_data is called
 * with pieces of any size (possibly many per feed, never empty).
 */
struct mime_callbacks {
	int	(*part_begin)(void *arg, const struct mime_part *);
	int	(*part_data)(void *arg, const char *data, size_t len);
	int	(*part_end)(void *arg);
};

struct mime_parser;

/*
 * New parser for the given boundary (the Content-Type parameter, already
 * unquoted: 1..70 characters, printable ASCII, not ending in a space).
 * limits may be NULL (defaults); a zero field means its default.
 */
int	mime_parser_new(struct mime_parser **out, const char *boundary,
	    const struct mime_limits *limits, const struct mime_callbacks *cb,
	    void *arg, char *err, size_t errlen)
	    __attribute__((warn_unused_result));
/* Push body bytes; any chunking gives the same callbacks and result.
 * After an error every later call returns that same error. */
int	mime_feed(struct mime_parser *, const void *data, size_t len)
	    __attribute__((warn_unused_result));
/* End of body: XDS_EFORMAT unless the close delimiter was seen. */
int	mime_finish(struct mime_parser *)
	    __attribute__((warn_unused_result));
/* Text of the last error ("" if none); valid until the parser is freed. */
const char *mime_error(const struct mime_parser *);
size_t	mime_part_count(const struct mime_parser *);
void	mime_parser_free(struct mime_parser *);

/* A parsed Content-Type value.  Names are matched case-insensitively;
 * type and subtype are lower-cased; parameter values are unquoted. */
struct mime_ctype {
	char	type[64];
	char	subtype[64];
	char	boundary[MIME_BOUNDARY_MAX + 1];
	char	type_param[128];	/* the "type" parameter */
	char	start[256];		/* without <>, percent-decoded */
	char	start_info[128];
	char	action[256];
	char	charset[64];
	unsigned has_start : 1;		/* a "start" parameter was present */
};

/* Parse "type/subtype *(; name=value)".  Unknown parameters are skipped;
 * a known one given twice, too long, or a syntax error is XDS_EFORMAT. */
int	mime_content_type_parse(const char *value, struct mime_ctype *out,
	    char *err, size_t errlen)
	    __attribute__((warn_unused_result));

/*
 * Decode a cid: URL (RFC 2392) into the Content-ID it names: strip the
 * "cid:" scheme (case-insensitive; optional), and surrounding <> if a
 * sender put them there, then percent-decode.  Also used on Content-ID
 * header values, so both sides compare in one form.  XDS_EFORMAT when the
 * result does not fit outsz or would contain a NUL or control character.
 */
int	mime_cid_decode(const char *in, size_t inlen, char *out, size_t outsz)
	    __attribute__((warn_unused_result));

#endif
