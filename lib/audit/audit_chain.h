/*
 * audit_chain.h: the hash chain of the NEN 7513 access log.
 *
 * Every record ends with ,"prev":"<hex>"}: the SHA-256 of the record
 * before it (its line without the newline), across the day files in
 * the order of their names, the first record ever chaining to 64 zeros.
 * A record that is changed, removed or inserted breaks the link of the
 * record after it, which audit_verify() finds.  The head of the chain is
 * the last whole record on disk, found again at open, so it survives
 * restarts and the cutting of torn or unsynced tails.
 */
#ifndef XDS_AUDIT_CHAIN_H
#define XDS_AUDIT_CHAIN_H

#include <stddef.h>

#include <zlib.h>

struct buf;

#define AUDIT_CHAIN_HEX		65	/* 64 hex digits and a NUL */
/* The link's bytes at the end of a record: ,"prev":"<64 hex>"} */
#define AUDIT_CHAIN_FIELD	75
#define AUDIT_LINE_MAX		65536	/* longest line read back */

/* SHA-256 of one record (len bytes, no newline) in lower-case hex. */
void	audit_chain_hash(const char *line, size_t len,
	    char hex[AUDIT_CHAIN_HEX]);
/*
 * Turn the record in b, a JSON object ending in "}\n", into one that
 * links to prev; then hex is the record's own hash, the next head.
 * XDS_OK or XDS_ETOOBIG/XDS_EFORMAT.
 */
int	audit_chain_seal(struct buf *b, const char *prev,
	    char hex[AUDIT_CHAIN_HEX]);
/*
 * The head of the chain in the access log directory dir: the hash of
 * the last whole record of the newest day (plain or compressed) that has
 * one, or the zeros of an empty log.  XDS_OK, or XDS_EIO with err set.
 */
int	audit_chain_head(const char *dir, char hex[AUDIT_CHAIN_HEX],
	    char *err, size_t errlen);
/*
 * The hash of the last whole line of the open file fd: 1, 0 when it has
 * none, -1 on an I/O error or a line longer than AUDIT_LINE_MAX.
 */
int	audit_chain_last(int fd, char hex[AUDIT_CHAIN_HEX]);

/* What audit_verify() found. */
struct audit_verify {
	size_t	files;
	size_t	records;	/* whole records read */
	size_t	unchained;	/* records before the chain began */
	int	broken;		/* 1: the first break is below */
	char	file[64];	/* access-YYYY-MM-DD.jsonl[.gz] */
	size_t	line;		/* 1-based */
	char	what[512];
	/* "YYYY-MM-DD" when the chain begins at that day because the days
	 * before it were removed by retention (AUDIT_CHAIN_START); else "" */
	char	begins[16];
};
/*
 * Check the chain over every day file in dir, plain or compressed, in
 * day order, and stop at the first broken record.  The first record may
 * link to the hash in AUDIT_CHAIN_START instead of the zeros (see
 * v->begins).  XDS_OK (see v->broken), or XDS_EIO with err set when the
 * log cannot be read.
 */
int	audit_verify(const char *dir, struct audit_verify *v, char *err,
	    size_t errlen);
/* 1 when name is an access log file, access-YYYY-MM-DD.jsonl. */
int	audit_chain_is_log(const char *name);
/* 1 when name is a day of the log: access-YYYY-MM-DD.jsonl, or the
 * same day compressed, access-YYYY-MM-DD.jsonl.gz. */
int	audit_chain_is_day(const char *name);
/*
 * The day files in dir, sorted by day, one name per day: a day both
 * plain and compressed (a compression cut short) is its plain file.
 * Free *names with audit_log_free.  XDS_OK, XDS_EIO or XDS_ENOMEM.
 */
int	audit_log_list(const char *dir, char ***names, size_t *n, char *err,
	    size_t errlen);
void	audit_log_free(char **names, size_t n);
/*
 * The hash of the last whole record of the day file name in dir, plain
 * or compressed: 1, 0 when it has none, -1 (errno set) when it cannot be
 * read.
 */
int	audit_log_last(const char *dir, const char *name,
	    char hex[AUDIT_CHAIN_HEX]);

/*
 * 1 when reading the day file gz (gzopen: plain or compressed) failed:
 * an I/O error, or a compressed file damaged or cut short; then err
 * says what.  0 when it was read to its end.
 */
int	audit_gz_failed(gzFile gz, char *err, size_t errlen);

/*
 * Where the chain begins once retention removed the oldest days: a file
 * in the log's directory holding the hash of the last removed record
 * (64 hex digits and a newline), to which the first kept record links.
 * Written before the days are removed.
 */
#define AUDIT_CHAIN_START	"chain-start"
/* The hash in dir's AUDIT_CHAIN_START: 1, or 0 when there is none. */
int	audit_chain_start_read(const char *dir, char hex[AUDIT_CHAIN_HEX]);

#endif
