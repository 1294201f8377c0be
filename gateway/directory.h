/*
 * directory.h: the community directory: which other communities exist,
 * where their responding gateways answer, and what each of them accepts.
 *
 * One interface, back-ends chosen by directory.backend:
 *   static	directory.file, read once at start-up (dir_static.c)
 *   zorgab	ZORG-AB's REST interface at directory.zorgab_url, asked at
 *		look-up time, answers cached (dir_zorgab.c)
 * A look-up of zorgab may block on the network, within
 * directory.timeout; it then fails XDS_ETIMEOUT or XDS_EUNAVAILABLE
 * (no answer), XDS_EANSWER (not the answer described) or XDS_ETOOBIG.
 * A later back-end (mCSD) answers the same calls.
 *
 * The static file: one community a line, fields separated by white space:
 *
 *   HCID URL URA [key=value ...] NAME...
 *
 *   HCID	home community id, urn:oid:<OID>, or "-": no community
 *   URL	its responding gateway (https://, or http:// to loopback),
 *		or "-": none (an organisation reached by push only; never
 *		asked by the initiating gateway)
 *   URA	the organisation's URA (8 digits), or "-" when it has none
 *
 * A gateway needs its HCID; a line without HCID needs a URA; a line
 * without URL needs xdr= or dicom=.
 *   key=value	optional settings of this community, any order:
 *		max_documents=N	DocumentRequests per ITI-39/RAD-75 (1-10000)
 *		timeout=S	seconds per request (1-3600)
 *		concurrency=N	requests in flight at once (1-1024)
 *		dicom=AE@host:port	its DICOM node (push)
 *		xdr=URL	its XDR Document Recipient (xdsctl send)
 *   NAME	the organisation's name: the rest of the line (required)
 *
 * '#' starts a comment (at the start of a field); blank lines are
 * skipped.  A line that is not one of these is an error naming
 * "file:line"; so is a home community id or a URA given twice.  The line
 * of this node's own community (node.home_community_id) is read and
 * checked but not listed: the local community is answered in process,
 * so one file can serve every node of a region.
 */
#ifndef XDS_DIRECTORY_H
#define XDS_DIRECTORY_H

#include <stddef.h>

struct conf;

#define DIR_HCID_MAX	73	/* "urn:oid:" + a 64-character OID + NUL */
#define DIR_URL_MAX	512
#define DIR_URA_MAX	16
#define DIR_NAME_MAX	256
#define DIR_AE_MAX	96	/* AE@host:port */

struct dir_community {
	char	hcid[DIR_HCID_MAX];	/* "" when "-" */
	char	url[DIR_URL_MAX];	/* the responding gateway; "" when
					   "-" (push only) */
	char	ura[DIR_URA_MAX];	/* "" when "-" */
	char	name[DIR_NAME_MAX];
	int	max_documents;		/* 0: gateway.max_documents */
	int	timeout;		/* 0: gateway.timeout */
	int	concurrency;		/* 0: no bound of its own */
	char	dicom[DIR_AE_MAX];	/* "" when not given */
	char	xdr[DIR_URL_MAX];
	char	xua_alg[16];		/* signature of the X-User Assertions
					   sent to it (rsa-sha256,
					   rsa-sha1, ecdsa-sha256); "":
					   rsa-sha256 */
};

/*
 * Parse one line of a static directory file (without its newline).
 * Returns 1 with *out filled, 0 for a blank or comment line, -1 with the
 * reason in err (without file and line).  Pure: no I/O.
 */
int	dir_parse_line(const char *line, struct dir_community *out, char *err,
	    size_t errlen);

struct directory;

/*
 * Open the back-end directory.backend names.  For static: read and check
 * directory.file ("" is an empty directory).  For zorgab: check the
 * options, and ask nothing yet.  XDS_OK, or a status with err
 * ("file:line: reason" for a bad line).
 */
int	dir_open(const struct conf *, struct directory **out, char *err,
	    size_t errlen);
void	dir_close(struct directory *);	/* NULL is a no-op */
/* "static: /etc/xdsnode/communities (12 communities)",
 * "zorgab: https://zorgab.example/api (cache 300 s, timeout 10 s)" */
const char *dir_describe(const struct directory *);

/*
 * Look-ups fill a copy the caller owns.  XDS_OK, XDS_ENOTFOUND, or a
 * failure of the back-end (XDS_ETIMEOUT, XDS_EUNAVAILABLE) with err.
 */
int	dir_by_hcid(struct directory *, const char *hcid,
	    struct dir_community *out, char *err, size_t errlen);
int	dir_by_ura(struct directory *, const char *ura,
	    struct dir_community *out, char *err, size_t errlen);
/*
 * Every community, in the file's order (zorgab: ZORG-AB's), to fn (which returns 0 to go on,
 * anything else to stop: dir_each returns that).  XDS_OK or a failure of
 * the back-end.
 */
/*
 * The settings c gives itself as its directory line writes them,
 * "max_documents=5 timeout=10 dicom=AE@host:104", "" when none.  Pure.
 */
void	dir_settings_text(const struct dir_community *c, char *out,
	    size_t outsz);
int	dir_each(struct directory *, int (*fn)(void *arg,
	    const struct dir_community *), void *arg, char *err, size_t errlen);

#endif
