/*
 * audit_chain.c: the hash chain of the access log (see audit_chain.h).
 *
 * The link is the last field of a record so that the record's other
 * fields are formatted as before and a reader that knows nothing of the
 * chain reads it as one more field.  A record's hash covers its whole
 * line, the link included, so each record vouches for every one before
 * it.  What a chain cannot show by itself is a cut at its end (the last
 * records removed): the copy sent to the audit record repository (ATNA)
 * is the witness for that.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "audit_chain.h"
#include "buf.h"
#include "status.h"
#include "str.h"

#define LINK_HEAD	",\"prev\":\""
#define LINK_HEAD_LEN	9
#define GENESIS	"00000000000000000000000000000000" \
			"00000000000000000000000000000000"

static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;
static EVP_MD *sha256;

/* The digest fetched once: an implicit fetch per record costs more than
 * hashing it. */
static void
sha256_fetch(void)
{
	sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void
audit_chain_hash(const char *line, size_t len, char hex[AUDIT_CHAIN_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	pthread_once(&sha256_once, sha256_fetch);
	if (sha256 == NULL ||
	    EVP_Digest(line, len, md, &mdlen, sha256, NULL) != 1 ||
	    mdlen != 32) {
		/* Cannot happen with a working libcrypto; a hash that
		 * matches nothing makes the break visible. */
		str_lcpy(hex, "unhashable", AUDIT_CHAIN_HEX);
		return;
	}
	str_hex(md, 32, hex);
}

int
audit_chain_seal(struct buf *b, const char *prev, char hex[AUDIT_CHAIN_HEX])
{
	int rc;

	if (b->b_len < 3 || b->b_data[b->b_len - 1] != '\n' ||
	    b->b_data[b->b_len - 2] != '}' || strlen(prev) != 64)
		return XDS_EFORMAT;
	b->b_len -= 2;
	if ((rc = buf_addf(b, LINK_HEAD "%s\"}", prev)) != XDS_OK) {
		buf_reset(b);
		return rc;
	}
	audit_chain_hash(b->b_data, b->b_len, hex);
	return buf_adds(b, "\n");
}

int
audit_chain_is_log(const char *name)
{
	return strncmp(name, "access-", 7) == 0 && strlen(name) == 23 &&
	    strcmp(name + 17, ".jsonl") == 0;
}

int
audit_chain_is_day(const char *name)
{
	return strncmp(name, "access-", 7) == 0 && (strlen(name) == 23 ||
	    (strlen(name) == 26 && strcmp(name + 23, ".gz") == 0)) &&
	    strncmp(name + 17, ".jsonl", 6) == 0;
}

int
audit_chain_last(int fd, char hex[AUDIT_CHAIN_HEX])
{
	struct stat st;
	char *tail = NULL;
	off_t from;
	size_t n, end, start;
	int rc = -1;

	if (fstat(fd, &st) == -1)
		return -1;
	if (st.st_size == 0)
		return 0;
	from = st.st_size > AUDIT_LINE_MAX ? st.st_size - AUDIT_LINE_MAX : 0;
	n = (size_t)(st.st_size - from);
	if ((tail = malloc(n)) == NULL ||
	    pread(fd, tail, n, from) != (ssize_t)n)
		goto out;
	/* A whole line ends in a newline; anything after the last one is
	 * a torn tail, not a record. */
	for (end = n; end > 0 && tail[end - 1] != '\n'; end--)
		;
	if (end == 0) {
		rc = from == 0 ? 0 : -1;
		goto out;
	}
	for (start = end - 1; start > 0 && tail[start - 1] != '\n'; start--)
		;
	if (start == 0 && from > 0) {
		errno = EFBIG;
		goto out;
	}
	audit_chain_hash(tail + start, end - 1 - start, hex);
	rc = 1;
out:
	free(tail);
	return rc;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
audit_log_list(const char *dir, char ***names, size_t *n, char *err,
    size_t errlen)
{
	struct dirent *de;
	size_t cap = 0, i, j;
	char **v = NULL, **nv;
	DIR *d;
	int rc = XDS_ENOMEM;

	*n = 0;
	if ((d = opendir(dir)) == NULL) {
		str_fmt(err, errlen, "%s: %s", dir, strerror(errno));
		return XDS_EIO;
	}
	while ((de = readdir(d)) != NULL) {
		if (!audit_chain_is_day(de->d_name))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nv = realloc(v, cap * sizeof *v)) == NULL)
				goto fail;
			v = nv;
		}
		if ((v[*n] = strdup(de->d_name)) == NULL)
			goto fail;
		(*n)++;
	}
	closedir(d);
	if (*n > 0)
		qsort(v, *n, sizeof *v, name_cmp);
	/* A day both plain and compressed: the compression did not finish
	 * (the plain file goes last), so the plain file is the day. */
	for (i = 1, j = *n > 0 ? 1 : 0; i < *n; i++) {
		if (strncmp(v[i], v[j - 1], 23) == 0) {
			free(v[i]);
			continue;
		}
		v[j++] = v[i];
	}
	*n = j;
	*names = v;
	return XDS_OK;
fail:
	closedir(d);
	while (*n > 0)
		free(v[--*n]);
	free(v);
	str_fmt(err, errlen, "out of memory");
	return rc;
}

void
audit_log_free(char **names, size_t n)
{
	while (n > 0)
		free(names[--n]);
	free(names);
}

/*
 * The hash of the last whole line of a compressed day file: 1, 0 when it
 * has none, -1 when it cannot be read.
 */
static int
gz_last(const char *path, char hex[AUDIT_CHAIN_HEX])
{
	char *line = NULL;
	gzFile gz = NULL;
	size_t len;
	int rc = -1, got = 0;

	if ((line = malloc(AUDIT_LINE_MAX + 2)) == NULL ||
	    (gz = gzopen(path, "rbe")) == NULL)
		goto out;
	while (gzgets(gz, line, AUDIT_LINE_MAX + 2) != NULL) {
		len = strlen(line);
		if (len == 0 || line[len - 1] != '\n') {
			if (len > AUDIT_LINE_MAX) {
				errno = EFBIG;
				goto out;
			}
			continue;	/* not a whole line */
		}
		audit_chain_hash(line, len - 1, hex);
		got = 1;
	}
	if (audit_gz_failed(gz, NULL, 0)) {
		errno = EIO;
		goto out;
	}
	rc = got;
out:
	if (gz != NULL)
		gzclose(gz);
	free(line);
	return rc;
}

int
audit_gz_failed(gzFile gz, char *err, size_t errlen)
{
	const char *msg;
	int zerr = Z_OK;

	msg = gzerror(gz, &zerr);
	if (zerr == Z_OK || zerr == Z_STREAM_END)
		return 0;
	if (errlen > 0)
		str_fmt(err, errlen, "%s", zerr == Z_ERRNO ? strerror(errno) :
		    msg);
	return 1;
}

int
audit_log_last(const char *dir, const char *name, char hex[AUDIT_CHAIN_HEX])
{
	char path[1200];
	int fd, got;

	if (str_fmt(path, sizeof path, "%s/%s", dir, name) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (!audit_chain_is_log(name))
		return gz_last(path, hex);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -1;
	got = audit_chain_last(fd, hex);
	close(fd);
	return got;
}

int
audit_chain_head(const char *dir, char hex[AUDIT_CHAIN_HEX], char *err,
    size_t errlen)
{
	char **names = NULL;
	size_t n, i;
	int got = 0, rc;

	if ((rc = audit_log_list(dir, &names, &n, err, errlen)) != XDS_OK)
		return rc;
	str_lcpy(hex, GENESIS, AUDIT_CHAIN_HEX);
	for (i = n; i > 0 && got == 0; i--) {
		if ((got = audit_log_last(dir, names[i - 1], hex)) < 0) {
			str_fmt(err, errlen, "%s: the last record cannot be "
			    "read: %s", names[i - 1], strerror(errno));
			rc = XDS_EIO;
		}
	}
	/* No record kept: the chain goes on from the last one removed. */
	if (rc == XDS_OK && got == 0)
		(void)audit_chain_start_read(dir, hex);
	audit_log_free(names, n);
	return rc;
}

int
audit_chain_start_read(const char *dir, char hex[AUDIT_CHAIN_HEX])
{
	char path[1200], line[128];
	FILE *fp;
	int ok;

	if (str_fmt(path, sizeof path, "%s/" AUDIT_CHAIN_START, dir) < 0 ||
	    (fp = fopen(path, "re")) == NULL)
		return 0;
	ok = fgets(line, sizeof line, fp) != NULL && strlen(line) == 65 &&
	    line[64] == '\n' && strspn(line, "0123456789abcdef") == 64;
	fclose(fp);
	if (!ok)
		return 0;
	memcpy(hex, line, 64);
	hex[64] = '\0';
	return 1;
}

/* Record a break at the current line. */
static void
broken(struct audit_verify *v, const char *file, size_t line,
    const char *what)
{
	v->broken = 1;
	str_lcpy(v->file, file, sizeof v->file);
	v->line = line;
	str_lcpy(v->what, what, sizeof v->what);
}

/*
 * Check one line against the chain so far: prev is the hash of the
 * record before it ("" before the first), prevfile and prevline say
 * where that record is.  0 or 1 (broken).
 */
static int
check_line(struct audit_verify *v, const char *name, size_t lineno,
    const char *line, size_t len, int *chained, const char *prev,
    const char *prevfile, size_t prevline, const char *start)
{
	char what[512];
	const char *link;

	if (len < AUDIT_CHAIN_FIELD + 1 || line[0] != '{' ||
	    line[len - 1] != '}' ||
	    memcmp(line + len - AUDIT_CHAIN_FIELD, LINK_HEAD,
	    LINK_HEAD_LEN) != 0 || line[len - 2] != '"') {
		if (*chained) {
			broken(v, name, lineno, "no link to the "
			    "record before it (\"prev\" missing or moved): "
			    "the record was changed or inserted");
			return 1;
		}
		v->unchained++;		/* written before the chain began */
		return 0;
	}
	link = line + len - AUDIT_CHAIN_FIELD + LINK_HEAD_LEN;
	if (prev[0] == '\0') {
		if (start[0] != '\0' && lineno == 1 && v->records == 0 &&
		    v->unchained == 0 && memcmp(link, start, 64) == 0) {
			/* The days before were removed by retention, which
			 * kept the hash this record links to. */
			str_fmt(v->begins, sizeof v->begins, "%.10s",
			    name + 7);
		} else if (memcmp(link, GENESIS, 64) != 0) {
			broken(v, name, lineno, "the chain does not "
			    "begin here: the records or files before it were "
			    "removed");
			return 1;
		}
	} else if (memcmp(link, prev, 64) != 0) {
		str_fmt(what, sizeof what, "its \"prev\" is not the hash "
		    "of the record before it (%s line %zu): that record was "
		    "changed, or records between them were removed or "
		    "inserted", prevfile, prevline);
		broken(v, name, lineno, what);
		return 1;
	}
	*chained = 1;
	return 0;
}

/*
 * One line of gz (a plain or a compressed day) into buf, the newline not
 * kept: its length; -1 at the end; -2 past max bytes (the rest of the
 * line is passed over).  *nl says whether it ended in a newline.
 */
static ssize_t
read_line(gzFile gz, char *buf, size_t max, int *nl)
{
	size_t n = 0;
	int ch;

	*nl = 0;
	while ((ch = gzgetc(gz)) != -1) {
		if (ch == '\n') {
			*nl = 1;
			return (ssize_t)n;
		}
		if (n == max) {
			while ((ch = gzgetc(gz)) != -1 && ch != '\n')
				;
			return -2;
		}
		buf[n++] = (char)ch;
	}
	return n == 0 ? -1 : (ssize_t)n;
}

int
audit_verify(const char *dir, struct audit_verify *v, char *err,
    size_t errlen)
{
	char path[1200], prev[AUDIT_CHAIN_HEX] = "", prevfile[64] = "";
	char start[AUDIT_CHAIN_HEX] = "";
	char **names = NULL, *line = NULL;
	size_t n, i, lineno, len, prevline = 0;
	ssize_t got;
	char what[256];
	int chained = 0, nl, rc;
	gzFile fp;

	memset(v, 0, sizeof *v);
	(void)audit_chain_start_read(dir, start);
	if ((rc = audit_log_list(dir, &names, &n, err, errlen)) != XDS_OK)
		return rc;
	if ((line = malloc(AUDIT_LINE_MAX)) == NULL) {
		audit_log_free(names, n);
		str_fmt(err, errlen, "out of memory");
		return XDS_ENOMEM;
	}
	for (i = 0; i < n && !v->broken; i++) {
		if (str_fmt(path, sizeof path, "%s/%s", dir, names[i]) < 0 ||
		    (fp = gzopen(path, "rbe")) == NULL) {
			str_fmt(err, errlen, "%s: %s", names[i],
			    strerror(errno));
			rc = XDS_EIO;
			break;
		}
		v->files++;
		for (lineno = 1; !v->broken && (got = read_line(fp, line,
		    AUDIT_LINE_MAX, &nl)) != -1; lineno++) {
			if (got == -2) {
				broken(v, names[i], lineno, "longer than "
				    "any record");
				break;
			}
			if (!nl) {
				broken(v, names[i], lineno, "not a whole "
				    "record (no newline: a torn tail)");
				break;
			}
			len = (size_t)got;
			if (check_line(v, names[i], lineno, line, len,
			    &chained, prev, prevfile, prevline, start))
				break;
			v->records++;
			audit_chain_hash(line, len, prev);
			str_lcpy(prevfile, names[i], sizeof prevfile);
			prevline = lineno;
		}
		/* A compressed day cut short or damaged: the read error,
		 * not the torn line it may end in. */
		if (audit_gz_failed(fp, what, sizeof what)) {
			str_fmt(err, errlen, "%s: %s", names[i], what);
			rc = XDS_EIO;
		}
		gzclose(fp);
		if (rc != XDS_OK)
			break;
	}
	free(line);
	audit_log_free(names, n);
	return rc;
}
