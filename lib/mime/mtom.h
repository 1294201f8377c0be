/*
 * mtom.h: MTOM/XOP packaging (W3C SOAP MTOM, XOP; ITI TF-2 Appendix V)
 * on top of the multipart parser in mime.h.
 *
 * Reading: the root part (the "start" parameter, else the first part) is
 * collected into a bounded struct buf; every other part is spooled to a
 * fresh 0600 file in the caller's spool directory while its SHA-1,
 * SHA-256 and size are computed (base64 parts are decoded on the way), so
 * that nobody reads the file again to hash it.  On any error
 * every spool file is removed.
 *
 * Writing: the root XML and attachment files become a multipart/related
 * body passed to a write callback in pieces (files are streamed from
 * disk); mtom_length() gives the exact length beforehand.
 */
#ifndef XDS_MTOM_H
#define XDS_MTOM_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "mime.h"

/* A binary part of an MTOM message, spooled to a file while hashed. */
struct mtom_attachment {
	char	 cid[256];		/* Content-ID without <> */
	char	 content_type[128];
	char	 path[1024];		/* spool file, removed after the request */
	off_t	 size;
	char	 sha1[41];		/* lower-case hex */
	char	 sha256[65];		/* lower-case hex; "" when not computed
					   (then a consumer hashes the file) */
	int	 unlink_after;		/* reply only: a file the handler made
					   for this answer (a transcoded or
					   fetched instance), removed once the
					   response is sent or abandoned */
	int	 verify;		/* reply only: sha256 and size are
					   those recorded for stored bytes;
					   the writer checks the file against
					   them as it sends it (MTOM_PULL) */
};


/*
 * The functions return enum xds_status (status.h): XDS_EFORMAT for a body
 * that is not multipart/related, bad MIME, no root part, a duplicate
 * Content-ID or bad base64 (400); XDS_ETOOBIG for the envelope, a part,
 * the part count or a part header over its limit (413); XDS_EIO for a
 * spool file, body read or write error and XDS_ENOMEM (500).
 */

#define MTOM_DEFAULT_MAX_ENVELOPE ((size_t)16 * 1024 * 1024)
#define MTOM_DEFAULT_MAX_PART	((off_t)1024 * 1024 * 1024)

struct mtom_limits {
	size_t	max_envelope;		/* root part bytes */
	off_t	max_part;		/* one attachment, after decoding */
	size_t	max_parts;		/* parts, root included */
	size_t	max_header_bytes;	/* one part's header block */
	off_t	max_total;		/* every part but the root together,
					   decoded (0: no bound but the
					   others); 413 past it */
	off_t	*total;			/* or NULL: their count, shared with
					   a caller that adds documents of its
					   own (inline in the root) */
};

/* A received MTOM message.  Owned by the caller: mtom_message_free(). */
struct mtom_message {
	struct mime_ctype ctype;	/* the HTTP Content-Type, parsed */
	struct buf	 root;		/* root part bytes, NUL-terminated */
	char		 root_type[256];	/* root part Content-Type value */
	char		 root_cid[256];	/* root part Content-ID (no <>) */
	struct mtom_attachment *att;	/* other parts, in arrival order */
	size_t		 natt;
};

struct mtom_reader;

/*
 * Start reading a body whose HTTP Content-Type is content_type (must be
 * multipart/related with a boundary).  spool_dir must exist and be
 * private to the daemon.  limits may be NULL; zero fields take defaults.
 */
int	mtom_reader_new(struct mtom_reader **out, const char *content_type,
	    const char *spool_dir, const struct mtom_limits *limits,
	    char *err, size_t errlen) __attribute__((warn_unused_result));
/* Push body bytes in chunks of any size.  After an error the spool files
 * are already gone and every later call fails the same way. */
int	mtom_reader_feed(struct mtom_reader *, const void *data, size_t len,
	    char *err, size_t errlen) __attribute__((warn_unused_result));
/* End of body: checks the close delimiter and the root part, then moves
 * the result into *out (the reader keeps nothing). */
int	mtom_reader_finish(struct mtom_reader *, struct mtom_message *out,
	    char *err, size_t errlen) __attribute__((warn_unused_result));
/* Free the reader; spool files not handed out by finish are removed. */
void	mtom_reader_free(struct mtom_reader *);

/*
 * Root part consumer.  When set (before the first feed), the root part's
 * decoded bytes go to fn as they arrive instead of into mtom_message.root
 * (which then stays empty, and max_envelope is fn's to enforce): a SAX
 * push parser can then take a root part with large inline content in
 * constant memory.  fn returns 0, or an enum xds_status (< 0) with err
 * filled, which fails the read as any other error does.
 */
typedef int (*mtom_root_fn)(void *arg, const void *data, size_t len,
	    char *err, size_t errlen);
void	mtom_reader_set_root_sink(struct mtom_reader *, mtom_root_fn fn,
	    void *arg);

/* Pull-style wrapper: read the whole body through rd (returns bytes
 * read, 0 at the end, < 0 on error; e.g. a wrapper of http_body_read
 * that keeps its own status for the caller to map). */
typedef ssize_t (*mtom_read_fn)(void *arg, void *buf, size_t len);
int	mtom_read(const char *content_type, mtom_read_fn rd, void *arg,
	    const char *spool_dir, const struct mtom_limits *limits,
	    struct mtom_message *out, char *err, size_t errlen)
	    __attribute__((warn_unused_result));
/* The same with a root part consumer (see mtom_reader_set_root_sink). */
int	mtom_read_sink(const char *content_type, mtom_read_fn rd, void *arg,
	    const char *spool_dir, const struct mtom_limits *limits,
	    mtom_root_fn root_fn, void *root_arg, struct mtom_message *out,
	    char *err, size_t errlen) __attribute__((warn_unused_result));

/* Remove the spool files and free the array (NULL is a no-op). */
void	mtom_attachments_free(struct mtom_attachment *att, size_t natt);
/* buf_free(root) and mtom_attachments_free(); the struct is zeroed. */
void	mtom_message_free(struct mtom_message *);

/* The attachment an xop:Include/@href names ("cid:..." URL, RFC 2392,
 * percent-decoded); NULL if none. */
const struct mtom_attachment *mtom_find(const struct mtom_attachment *att,
	    size_t natt, const char *href);

/* Writer: a random boundary and root Content-ID per message. */
struct mtom_writer {
	char	boundary[64];
	char	root_cid[96];
	char	content_type[640];	/* the HTTP Content-Type value */
};

/* action (the wsa:Action, may be NULL) is added as the "action"
 * parameter of the Content-Type. */
int	mtom_writer_init(struct mtom_writer *, const char *action,
	    char *err, size_t errlen) __attribute__((warn_unused_result));
/* Exact body length for root and attachments (att[i].size is trusted;
 * mtom_write fails if a file does not hold exactly that many bytes). */
int	mtom_length(const struct mtom_writer *, const struct buf *root,
	    const struct mtom_attachment *att, size_t natt, long long *len,
	    char *err, size_t errlen) __attribute__((warn_unused_result));
/* The write callback returns 0, or nonzero to abort (XDS_EIO).  Built
 * on the pull writer below: both give the same bytes. */
typedef int (*mtom_write_fn)(void *arg, const void *data, size_t len);
int	mtom_write(const struct mtom_writer *, const struct buf *root,
	    const struct mtom_attachment *att, size_t natt, mtom_write_fn wr,
	    void *arg, char *err, size_t errlen)
	    __attribute__((warn_unused_result));


/*
 * Pull writer: the body mtom_write writes, handed out as a consumer asks
 * for it (libcurl's read callback), so that client and server send MTOM
 * the same way.  Attachment files are read straight into the consumer's
 * buffer, in constant memory whatever their size; a file that does not
 * hold exactly att[i].size bytes fails the read ("PATH: changed size
 * while being sent").  With MTOM_PULL_SHA1 an attachment whose sha1 is
 * "" is hashed on the way (mtom_pull_sha1).  w, root and att must stay
 * valid until mtom_pull_free.
 *
 * An attachment with verify set is hashed with SHA-256 as it is read, and
 * the read that would hand out its last byte fails instead (XDS_EIO,
 * "PATH: stored bytes do not match their recorded SHA-256") when the
 * hash differs from att[i].sha256 or the file from att[i].size: the body
 * then ends short of its length and without its close delimiter, which
 * no consumer can take for a whole message.  Such a failure is logged as
 * an error and counted (mtom_verify_failures).
 */
#define MTOM_PULL_SHA1	0x1
struct mtom_pull;
int	mtom_pull_new(struct mtom_pull **out, const struct mtom_writer *w,
	    const struct buf *root, const struct mtom_attachment *att,
	    size_t natt, int flags, char *err, size_t errlen)
	    __attribute__((warn_unused_result));
/* Up to len bytes: the count, 0 after the last byte, or an enum
 * xds_status (< 0) with err filled; a failure sticks. */
ssize_t	mtom_pull_read(struct mtom_pull *, void *buf, size_t len, char *err,
	    size_t errlen) __attribute__((warn_unused_result));
/* Back to the first byte (a resend); hashes start again. */
void	mtom_pull_rewind(struct mtom_pull *);
/* The part being handed out: 0 the root, i + 1 attachment i, natt + 1
 * the closing delimiter. */
size_t	mtom_pull_part(const struct mtom_pull *);
/* Lower-case hex SHA-1 of attachment i as it was sent; "" before its
 * last byte, or when it was not hashed. */
const char *mtom_pull_sha1(const struct mtom_pull *, size_t i);
void	mtom_pull_free(struct mtom_pull *);
/* Attachments with verify that did not match, in this process so far. */
unsigned long long mtom_verify_failures(void);

#endif
