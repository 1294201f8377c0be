/*
 * audit_send.c: the ATNA sender (see audit_send.h).
 *
 * One thread.  It reads the access log from its cursor up to what is on
 * disk (audit_synced_to: a record that may still be cut is not sent),
 * turns each record of an IHE transaction into a syslog message holding
 * its AuditMessage, and writes them in batches to one connection.  A batch
 * counts as sent when the connection was open before it and is still open
 * after it (a receiver that went away has closed it by then, and the
 * batch is sent again on the next connection); only then does the cursor
 * move.  The cursor is renamed into place without an fsync: after a crash
 * it may lag, which sends some messages twice, never none.
 *
 * The cursor names a day by its plain file and an offset in it.  A day
 * compressed while the sender was off (audit.syslog_url unset, then set
 * again) is read from its .gz through zlib at the same offset: the
 * compressed file holds the same bytes.  One gzFile is kept open between
 * batches, so a day is decompressed once, a chunk at a time, whatever
 * its size.  A day that is gone in both forms (removed after
 * audit.retention_days meanwhile) is passed over with a warning that
 * names it, and counted.
 *
 * A day file that is there but cannot be read (its mode, an I/O error)
 * stops the sender, which tries it again on every wake-up: the first
 * failure is a warning, then at most one a minute with the attempts
 * since, or one at once when the error or the file changes; every
 * attempt is counted, and the end of it said once.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <zlib.h>

#include "atna.h"
#include "audit_chain.h"
#include "audit_int.h"
#include "audit_send.h"
#include "buf.h"
#include "clock.h"
#include "log.h"
#include "pki.h"
#include "status.h"
#include "str.h"
#include "url.h"
#include "vocab.h"
#include "xact.h"

#define SEND_BATCH_MSGS		256
#define SEND_BATCH_BYTES	(1024 * 1024)
#define SEND_READ_CHUNK		(256 * 1024)
#define SEND_IO_TIMEOUT_S	10
#define SEND_RETRY_MIN_MS	100
#define SEND_IDLE_MS		1000
#define SEND_WARN_EVERY_MS	60000	/* an unreadable day, said again */
#define SYSLOG_PRI		85	/* authpriv (10), notice (5) */
#define SEQ_MAX			2147483647ULL	/* RFC 5424 7.3.1 */
#define DAY_NAME_LEN		23	/* access-YYYY-MM-DD.jsonl */

struct cursor {
	char			file[64];	/* access-YYYY-MM-DD.jsonl */
	off_t			off;
	unsigned long long	seq;		/* messages so far */
};

static struct {
	pthread_t		thr;
	pthread_mutex_t		mtx;
	pthread_cond_t		cv;
	int			kicked, stop;
	char			dir[1024];	/* state_dir/audit */
	char			cpath[1200];	/* outbox/cursor */
	char			host[256], port[16];
	int			tls;
	SSL_CTX			*ctx;
	char			ca[1024];	/* read again per connection */
	long long		retry_max_ms;
	char			source_id[256], site_id[256], self[256];
	char			hcid[256], repo[128], nap[256];
	struct atna_site	site;
	struct cursor		cur;
	gzFile			gz;		/* a compressed day read */
	char			gzname[64];	/* its plain name */
	off_t			gzpos;		/* where gz is in the day */
	int			fd;
	SSL			*ssl;
	unsigned long long	written0, backlog0;
	char			unread[1300];	/* the day that cannot be read */
	int			unread_err;	/* its errno; 0: none */
	long long		unread_said;	/* clock_mono() of its warning */
	unsigned long long	unread_since;	/* attempts since then */
} snd = { .mtx = PTHREAD_MUTEX_INITIALIZER, .fd = -1 };

static atomic_int snd_running;
static atomic_ullong snd_sent, snd_failed, snd_consumed;
static atomic_ullong snd_days_gz, snd_days_gone, snd_unreadable;

/* ---- the cursor ---- */

int
audit_send_cursor_read(const char *path, char *file, size_t filelen,
    long long *off, unsigned long long *seq)
{
	char line[256], name[64];
	FILE *fp;
	int ok;

	if ((fp = fopen(path, "re")) == NULL)
		return -1;
	ok = fgets(line, sizeof line, fp) != NULL &&
	    sscanf(line, "%63s %lld %llu", name, off, seq) == 3 &&
	    audit_chain_is_log(name) && *off >= 0;
	fclose(fp);
	if (!ok)
		return -1;
	str_lcpy(file, name, filelen);
	return 0;
}

static int
cursor_load(struct cursor *c)
{
	long long off;

	if (audit_send_cursor_read(snd.cpath, c->file, sizeof c->file, &off,
	    &c->seq) != 0)
		return -1;
	c->off = (off_t)off;
	return 0;
}

static int
cursor_save(const struct cursor *c)
{
	char tmp[1300], line[256];
	int fd, n, rc = -1;

	n = str_fmt(line, sizeof line, "%s %lld %llu\n", c->file,
	    (long long)c->off, c->seq);
	if (n < 0 || str_fmt(tmp, sizeof tmp, "%s.tmp", snd.cpath) < 0)
		return -1;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) ==
	    -1)
		goto out;
	if (write(fd, line, (size_t)n) == n && close(fd) == 0 &&
	    rename(tmp, snd.cpath) == 0)
		rc = 0;
	else if (fd != -1)
		(void)close(fd);
out:
	if (rc != 0)
		log_warn("audit: ATNA cursor %s", snd.cpath);
	return rc;
}

/* The first day after name ("": the first of all) as its plain file name
 * (access-YYYY-MM-DD.jsonl), whether it is plain or compressed now; ""
 * when there is none. */
static void
next_file(const char *name, char *out, size_t outsz)
{
	struct dirent *de;
	DIR *d;

	out[0] = '\0';
	if ((d = opendir(snd.dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (audit_chain_is_day(de->d_name) &&
		    strncmp(de->d_name, name, DAY_NAME_LEN) > 0 &&
		    (out[0] == '\0' ||
		    strncmp(de->d_name, out, DAY_NAME_LEN) < 0))
			str_fmt(out, outsz, "%.*s", DAY_NAME_LEN,
			    de->d_name);
	closedir(d);
}

/* A gzFile of day name positioned at off: the plain file when it is
 * there (zlib reads it as it is), else the compressed one; NULL when
 * neither can be read, with errno ERANGE when the day is shorter. */
static gzFile
day_open(const char *name, off_t off, int *compressed)
{
	char path[1300];
	gzFile gz;

	*compressed = 0;
	if (str_fmt(path, sizeof path, "%s/%s", snd.dir, name) < 0)
		return NULL;
	if ((gz = gzopen(path, "rbe")) == NULL && errno == ENOENT) {
		*compressed = 1;
		if (str_fmt(path, sizeof path, "%s/%s.gz", snd.dir, name) < 0)
			return NULL;
		gz = gzopen(path, "rbe");
	}
	if (gz != NULL && off > 0 &&
	    gzseek(gz, (z_off_t)off, SEEK_SET) != off) {
		gzclose(gz);
		errno = ERANGE;
		return NULL;
	}
	return gz;
}

static void
gz_done(void)
{
	if (snd.gz != NULL)
		gzclose(snd.gz);
	snd.gz = NULL;
	snd.gzname[0] = '\0';
}

/*
 * Up to len bytes of the compressed day name from off into buf: their
 * number, 0 at its end, -1 when the day is gone, -2 when its file is
 * broken (said in the log).
 */
static ssize_t
gz_read(const char *name, off_t off, char *buf, size_t len)
{
	static char counted[64];
	int compressed, n, zerr = Z_OK;

	if (snd.gz == NULL || strcmp(snd.gzname, name) != 0 ||
	    snd.gzpos != off) {
		gz_done();
		if ((snd.gz = day_open(name, off, &compressed)) == NULL)
			return errno == ERANGE ? 0 : -1;
		str_lcpy(snd.gzname, name, sizeof snd.gzname);
		snd.gzpos = off;
		if (compressed && strcmp(counted, name) != 0) {
			str_lcpy(counted, name, sizeof counted);
			atomic_fetch_add(&snd_days_gz, 1);
			log_info("audit: ATNA: %s was compressed while the "
			    "sender was off; read from %s.gz at offset %lld",
			    name, name, (long long)off);
		}
	}
	if ((n = gzread(snd.gz, buf, (unsigned)len)) < 0 ||
	    (n == 0 && (gzerror(snd.gz, &zerr), zerr != Z_OK))) {
		log_warnx("audit: ATNA: %s.gz cannot be read past offset %lld "
		    "(%s); the rest of that day is not sent", name,
		    (long long)off, gzerror(snd.gz, &zerr));
		gz_done();
		return -2;
	}
	snd.gzpos += n;
	return n;
}

/* Where the log ends now: the newest file and its size. */
static void
log_end(struct cursor *c)
{
	char name[64] = "", next[64];
	struct stat st;
	char path[1300];

	for (next_file("", next, sizeof next); next[0] != '\0';
	    next_file(name, next, sizeof next))
		str_lcpy(name, next, sizeof name);
	str_lcpy(c->file, name, sizeof c->file);
	c->off = 0;
	if (name[0] != '\0' &&
	    str_fmt(path, sizeof path, "%s/%s", snd.dir, name) > 0 &&
	    stat(path, &st) == 0)
		c->off = st.st_size;
}

/* Records after c, for the queued gauge at start. */
static unsigned long long
count_after(const struct cursor *c)
{
	char name[64], next[64], chunk[65536];
	unsigned long long n = 0;
	off_t off = c->off;
	int got, i, compressed;
	gzFile gz;

	str_lcpy(name, c->file, sizeof name);
	while (name[0] != '\0') {
		if ((gz = day_open(name, off, &compressed)) != NULL) {
			while ((got = gzread(gz, chunk, sizeof chunk)) > 0)
				for (i = 0; i < got; i++)
					n += chunk[i] == '\n';
			gzclose(gz);
		}
		next_file(name, next, sizeof next);
		str_lcpy(name, next, sizeof name);
		off = 0;
	}
	return n;
}

/* ---- messages ---- */

/* One record line into an octet-counted syslog frame; 0 when it has no
 * message (not an IHE transaction, or not a record). */
static int
frame(struct buf *out, const char *line, size_t len, unsigned long long seq)
{
	struct xact x;
	struct buf m;
	char when[40];
	int rc;

	if (audit_record_parse(line, len, &x, when, sizeof when) != XDS_OK)
		return 0;
	buf_init(&m, 64 * 1024);
	rc = buf_addf(&m, "<%d>1 %s %s xdsd %ld " ATNA_SYSLOG_MSGID
	    " [meta sequenceId=\"%llu\"] ", SYSLOG_PRI, when, snd.self,
	    snd.site.pid, seq % SEQ_MAX + 1);
	if (rc == XDS_OK)
		rc = atna_message(&x, when, &snd.site, &m);
	if (rc == XDS_OK)
		rc = buf_addf(out, "%zu ", m.b_len);
	if (rc == XDS_OK)
		rc = buf_add(out, m.b_data, m.b_len);
	buf_free(&m);
	if (rc != XDS_OK && rc != XDS_ENOTFOUND)
		log_warnx("audit: an ATNA message could not be built: %s",
		    xds_strstatus(rc));
	return rc == XDS_OK;
}

/* Day name is in neither form any more: said once, counted. */
static void
gone(const char *name)
{
	static char said[64];

	if (strcmp(said, name) == 0)
		return;
	str_lcpy(said, name, sizeof said);
	atomic_fetch_add(&snd_days_gone, 1);
	log_warnx("audit: ATNA: %s is no longer in the access log (removed "
	    "after audit.retention_days while the sender was off?); its "
	    "messages not sent yet cannot be", name);
}

/* Day path is there but cannot be read (err): an attempt counted, said
 * as the top of this file tells. */
static void
unreadable(const char *path, int err)
{
	long long now = clock_mono();

	atomic_fetch_add(&snd_unreadable, 1);
	if (snd.unread_err == err && strcmp(snd.unread, path) == 0) {
		snd.unread_since++;
		if (now - snd.unread_said < SEND_WARN_EVERY_MS)
			return;
		log_warnx("audit: ATNA: %s still cannot be read (%s): %llu "
		    "attempts in %llds; its messages wait", path,
		    strerror(err), snd.unread_since,
		    (now - snd.unread_said) / 1000);
	} else
		log_warnx("audit: ATNA: %s cannot be read (%s); its messages "
		    "wait, tried again until it can be", path, strerror(err));
	str_lcpy(snd.unread, path, sizeof snd.unread);
	snd.unread_err = err;
	snd.unread_said = now;
	snd.unread_since = 0;
}

/* The day that could not be read can be now (said), or is gone. */
static void
readable(int say)
{
	if (snd.unread_err == 0)
		return;
	if (say)
		log_info("audit: ATNA: %s can be read again", snd.unread);
	snd.unread_err = 0;
	snd.unread[0] = '\0';
}

/*
 * Frames for the records after *c into out, moving *c past them: at
 * most a batch, only what is on disk.  The records passed in *nrec, the
 * messages in *nmsg.
 */
static void
collect(struct cursor *c, struct buf *out, size_t *nrec, size_t *nmsg)
{
	char open_name[64], path[1300], next[64], *chunk = NULL;
	size_t i, start;
	off_t limit;
	struct stat st;
	ssize_t got;
	int fd, serr;

	*nrec = *nmsg = 0;
	if ((chunk = malloc(SEND_READ_CHUNK)) == NULL)
		return;
	while (*nmsg < SEND_BATCH_MSGS && out->b_len < SEND_BATCH_BYTES) {
		if (c->file[0] == '\0') {
			next_file("", next, sizeof next);
			if (next[0] == '\0')
				break;
			str_lcpy(c->file, next, sizeof c->file);
			c->off = 0;
		}
		audit_synced_to(open_name, sizeof open_name, &limit);
		if (str_fmt(path, sizeof path, "%s/%s", snd.dir, c->file) < 0)
			break;
		got = 0;
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 &&
		    errno == ENOENT) {
			/* Compressed while the sender was off, or gone. */
			readable(0);
			if ((got = gz_read(c->file, c->off, chunk,
			    SEND_READ_CHUNK)) == -1)
				gone(c->file);
			if (got < 0)
				got = 0;
		} else if (fd == -1 || fstat(fd, &st) == -1) {
			serr = errno;
			if (fd != -1)
				close(fd);
			unreadable(path, serr);
			break;		/* tried again after a while */
		} else {
			readable(1);
			if (strcmp(open_name, c->file) != 0)
				limit = st.st_size;
			if (c->off < limit)
				got = pread(fd, chunk, (size_t)(limit -
				    c->off) < SEND_READ_CHUNK ? (size_t)(limit -
				    c->off) : SEND_READ_CHUNK, c->off);
			close(fd);
		}
		if (got > 0) {
			for (start = 0, i = 0; i < (size_t)got &&
			    *nmsg < SEND_BATCH_MSGS &&
			    out->b_len < SEND_BATCH_BYTES; i++) {
				if (chunk[i] != '\n')
					continue;
				*nmsg += (size_t)frame(out, chunk + start,
				    i - start, c->seq + *nmsg);
				(*nrec)++;
				start = i + 1;
			}
			if (start == 0 && got == SEND_READ_CHUNK) {
				/* Longer than any record: not one the
				 * log wrote; passed over. */
				log_warnx("audit: %s: a line of more than "
				    "%d bytes passed over", c->file,
				    SEND_READ_CHUNK);
				start = (size_t)got;
			}
			if (start == 0)
				break;
			c->off += (off_t)start;
			continue;
		}
		/* At the end of this file: on to the next one, unless this
		 * is the one the log appends to. */
		if (strcmp(open_name, c->file) == 0)
			break;
		next_file(c->file, next, sizeof next);
		if (next[0] == '\0')
			break;
		str_lcpy(c->file, next, sizeof c->file);
		c->off = 0;
	}
	c->seq += *nmsg;
	free(chunk);
}

/* ---- the connection ---- */

static void
disconnect(void)
{
	if (snd.ssl != NULL) {
		SSL_free(snd.ssl);
		snd.ssl = NULL;
	}
	if (snd.fd != -1)
		close(snd.fd);
	snd.fd = -1;
}

static int
tcp_connect(void)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct timeval tv = { SEND_IO_TIMEOUT_S, 0 };
	struct pollfd p;
	socklen_t sl;
	int fd = -1, soerr, fl;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(snd.host, snd.port, &hints, &res) != 0)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol)) == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		p.fd = fd;
		p.events = POLLOUT;
		sl = sizeof soerr;
		if (errno == EINPROGRESS &&
		    poll(&p, 1, SEND_IO_TIMEOUT_S * 1000) == 1 &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 &&
		    soerr == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		return -1;
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The connection's own verification store: the CA file read again and
 * the CRLs in use now (pki.h), so that a reload (SIGHUP) reaches the
 * next connection to the audit record repository.
 */
static int
verify_store(void)
{
	X509_STORE *st;
	int rc = -1;

	if ((st = X509_STORE_new()) == NULL)
		return -1;
	if (X509_STORE_load_file(st, snd.ca) == 1 &&
	    pki_crls_apply_current(st) == XDS_OK &&
	    SSL_set1_verify_cert_store(snd.ssl, st) == 1) {
		SSL_set_verify(snd.ssl, SSL_VERIFY_PEER, pki_verify_cb);
		rc = 0;
	}
	X509_STORE_free(st);	/* the SSL holds its own reference */
	return rc;
}

static int
conn_open(void)
{
	struct in6_addr a6;
	int ip;

	if ((snd.fd = tcp_connect()) == -1)
		return -1;
	if (!snd.tls)
		return 0;
	if ((snd.ssl = SSL_new(snd.ctx)) == NULL ||
	    SSL_set_fd(snd.ssl, snd.fd) != 1 || verify_store() != 0)
		goto fail;
	ip = inet_pton(AF_INET, snd.host, &a6) == 1 ||
	    inet_pton(AF_INET6, snd.host, &a6) == 1;
	if (ip) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(snd.ssl),
		    snd.host) != 1)
			goto fail;
	} else if (SSL_set_tlsext_host_name(snd.ssl, snd.host) != 1 ||
	    SSL_set1_host(snd.ssl, snd.host) != 1)
		goto fail;
	if (SSL_connect(snd.ssl) != 1) {
		log_debug("audit: TLS to the audit record repository %s:%s: "
		    "%s", snd.host, snd.port,
		    ERR_reason_error_string(ERR_peek_last_error()) ?
		    ERR_reason_error_string(ERR_peek_last_error()) : "failed");
		goto fail;
	}
	return 0;
fail:
	ERR_clear_error();
	disconnect();
	return -1;
}

/*
 * 1 while the connection is open: a receiver sends nothing, so a socket
 * that has something to read has been closed (TLS records that are not
 * data, such as session tickets, are taken and passed over).
 */
static int
conn_alive(void)
{
	struct pollfd p = { .fd = snd.fd, .events = POLLIN };
	char c;
	int fl, n, alive = 1;

	if (snd.fd == -1)
		return 0;
	if (poll(&p, 1, 0) == 0)
		return 1;
	if ((fl = fcntl(snd.fd, F_GETFL)) == -1 ||
	    fcntl(snd.fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return 0;
	if (snd.ssl != NULL) {
		n = SSL_read(snd.ssl, &c, 1);
		if (n <= 0 && SSL_get_error(snd.ssl, n) != SSL_ERROR_WANT_READ)
			alive = 0;
		ERR_clear_error();
	} else if (recv(snd.fd, &c, 1, 0) == 0 ||
	    (errno != EAGAIN && errno != EWOULDBLOCK))
		alive = 0;
	if (fcntl(snd.fd, F_SETFL, fl) == -1)
		alive = 0;
	return alive;
}

static int
conn_write(const struct buf *b)
{
	size_t off = 0;
	ssize_t n;

	while (off < b->b_len) {
		if (snd.ssl != NULL)
			n = SSL_write(snd.ssl, b->b_data + off,
			    (int)(b->b_len - off));
		else
			n = send(snd.fd, b->b_data + off, b->b_len - off,
			    MSG_NOSIGNAL);
		if (n <= 0) {
			ERR_clear_error();
			return -1;
		}
		off += (size_t)n;
	}
	return 0;
}

/* ---- the thread ---- */

/* Wait ms or until kicked or stopped; with the mutex held. */
static void
wait_ms(long long ms, int for_kick)
{
	struct timespec ts;

	clock_deadline_ts(CLOCK_MONOTONIC, ms, &ts);
	while (!snd.stop && !(for_kick && snd.kicked))
		if (pthread_cond_timedwait(&snd.cv, &snd.mtx, &ts) ==
		    ETIMEDOUT)
			break;
	if (for_kick)
		snd.kicked = 0;
}

static void *
sender(void *arg)
{
	struct cursor next;
	struct buf batch;
	long long backoff = 0;
	size_t nrec, nmsg;
	int was_up = 0;

	(void)arg;
	buf_init(&batch, SEND_BATCH_BYTES + 128 * 1024);
	pthread_mutex_lock(&snd.mtx);
	while (!snd.stop) {
		pthread_mutex_unlock(&snd.mtx);
		next = snd.cur;
		buf_reset(&batch);
		collect(&next, &batch, &nrec, &nmsg);
		if (nrec > 0 && nmsg == 0) {
			/* Nothing to send among them: just move on. */
			snd.cur = next;
			(void)cursor_save(&snd.cur);
			atomic_fetch_add(&snd_consumed, nrec);
			pthread_mutex_lock(&snd.mtx);
			continue;
		}
		if (nrec > 0 && snd.fd == -1 && conn_open() != 0) {
			atomic_fetch_add(&snd_failed, 1);
			if (was_up || backoff == 0)
				log_warnx("audit: the audit record repository "
				    "%s:%s cannot be reached; its messages "
				    "wait in the access log", snd.host,
				    snd.port);
			was_up = 0;
			backoff = backoff == 0 ? SEND_RETRY_MIN_MS :
			    backoff * 2 > snd.retry_max_ms ? snd.retry_max_ms :
			    backoff * 2;
			pthread_mutex_lock(&snd.mtx);
			wait_ms(backoff, 0);
			continue;
		}
		if (nrec > 0 && (!conn_alive() || conn_write(&batch) != 0 ||
		    !conn_alive())) {
			/* Sent again on the next connection. */
			atomic_fetch_add(&snd_failed, 1);
			disconnect();
			pthread_mutex_lock(&snd.mtx);
			continue;
		}
		if (nrec > 0) {
			if (!was_up)
				log_info("audit: connected to the audit record "
				    "repository %s:%s", snd.host, snd.port);
			was_up = 1;
			backoff = 0;
			snd.cur = next;
			(void)cursor_save(&snd.cur);
			atomic_fetch_add(&snd_sent, nmsg);
			atomic_fetch_add(&snd_consumed, nrec);
		}
		pthread_mutex_lock(&snd.mtx);
		if (nrec == 0)
			wait_ms(SEND_IDLE_MS, 1);
	}
	pthread_mutex_unlock(&snd.mtx);
	disconnect();
	gz_done();
	buf_free(&batch);
	return NULL;
}

/* ---- start, stop ---- */

/* tls://host:port or tcp://host:port (loopback host only). */
static int
parse_url(const char *url, char *err, size_t errlen)
{
	const char *hp, *colon;
	size_t hl;

	if (strncmp(url, "tls://", 6) == 0)
		snd.tls = 1;
	else if (strncmp(url, "tcp://", 6) == 0)
		snd.tls = 0;
	else
		goto bad;
	hp = url + 6;
	if (*hp == '[') {
		if ((colon = strstr(hp, "]:")) == NULL)
			goto bad;
		hp++;
		hl = (size_t)(colon - hp);
		colon++;
	} else {
		if ((colon = strrchr(hp, ':')) == NULL)
			goto bad;
		hl = (size_t)(colon - hp);
	}
	if (hl == 0 || hl >= sizeof snd.host ||
	    strlen(colon + 1) == 0 || strlen(colon + 1) >= sizeof snd.port ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))
		goto bad;
	memcpy(snd.host, hp, hl);
	snd.host[hl] = '\0';
	str_lcpy(snd.port, colon + 1, sizeof snd.port);
	if (!snd.tls && !url_host_loopback(snd.host)) {
		str_fmt(err, errlen, "%s: tcp:// only to loopback; use tls://",
		    url);
		return XDS_EINVAL;
	}
	return XDS_OK;
bad:
	str_fmt(err, errlen, "\"%s\" is not tls://host:port or "
	    "tcp://host:port", url);
	return XDS_EINVAL;
}

static int
tls_ctx(const struct audit_send_opts *o, char *err, size_t errlen)
{
	if ((snd.ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(snd.ctx, TLS1_2_VERSION) != 1)
		goto fail;
	if (o->cert == NULL || o->cert[0] == '\0' || o->key == NULL ||
	    o->key[0] == '\0' || o->ca == NULL || o->ca[0] == '\0') {
		str_fmt(err, errlen, "tls:// needs the node's certificate, key "
		    "and CA (http.cert, http.key, http.ca)");
		return XDS_EINVAL;
	}
	if (SSL_CTX_use_certificate_chain_file(snd.ctx, o->cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(snd.ctx, o->key, SSL_FILETYPE_PEM) !=
	    1 || SSL_CTX_check_private_key(snd.ctx) != 1 ||
	    SSL_CTX_load_verify_locations(snd.ctx, o->ca, NULL) != 1)
		goto fail;
	SSL_CTX_set_verify(snd.ctx, SSL_VERIFY_PEER, NULL);
	str_lcpy(snd.ca, o->ca, sizeof snd.ca);
	return XDS_OK;
fail:
	str_fmt(err, errlen, "TLS: %s",
	    ERR_reason_error_string(ERR_peek_last_error()) ?
	    ERR_reason_error_string(ERR_peek_last_error()) : "cannot set up");
	ERR_clear_error();
	return XDS_EINVAL;
}

static const char *
keep(char *dst, size_t dstsz, const char *src)
{
	str_lcpy(dst, src != NULL ? src : "", dstsz);
	return dst;
}

int
audit_send_start(const char *state_dir, const struct audit_send_opts *o,
    char *err, size_t errlen)
{
	pthread_condattr_t ca;
	char outbox[1100];
	size_t i;
	int rc;

	if ((rc = parse_url(o->url, err, errlen)) != XDS_OK)
		return rc;
	if (snd.tls && (rc = tls_ctx(o, err, errlen)) != XDS_OK)
		goto fail;
	rc = XDS_EIO;
	if (str_fmt(snd.dir, sizeof snd.dir, "%s/audit", state_dir) < 0 ||
	    str_fmt(outbox, sizeof outbox, "%s/outbox", snd.dir) < 0 ||
	    str_fmt(snd.cpath, sizeof snd.cpath, "%s/cursor", outbox) < 0) {
		str_fmt(err, errlen, "state_dir too long");
		goto fail;
	}
	if (mkdir(outbox, 0700) != 0 && errno != EEXIST) {
		str_fmt(err, errlen, "%s: %s", outbox, strerror(errno));
		goto fail;
	}
	snd.retry_max_ms = o->retry_max_ms > SEND_RETRY_MIN_MS ?
	    o->retry_max_ms : SEND_RETRY_MIN_MS;
	snd.site = o->site;
	snd.site.source_id = keep(snd.source_id, sizeof snd.source_id,
	    o->site.source_id);
	snd.site.site_id = keep(snd.site_id, sizeof snd.site_id,
	    o->site.site_id);
	snd.site.home_community_id = keep(snd.hcid, sizeof snd.hcid,
	    o->site.home_community_id);
	snd.site.repository_uid = keep(snd.repo, sizeof snd.repo,
	    o->site.repository_uid);
	snd.site.host = keep(snd.nap, sizeof snd.nap, o->site.host);
	/* RFC 5424 HOSTNAME: printable, no spaces. */
	keep(snd.self, sizeof snd.self, o->site.source_id);
	for (i = 0; snd.self[i] != '\0'; i++)
		if (snd.self[i] <= ' ' || snd.self[i] > '~')
			snd.self[i] = '-';
	if (snd.self[0] == '\0')
		str_lcpy(snd.self, "-", sizeof snd.self);
	if (cursor_load(&snd.cur) != 0) {
		/* First start: from the end of the log as it is now. */
		log_end(&snd.cur);
		snd.cur.seq = 0;
		if (cursor_save(&snd.cur) != 0) {
			str_fmt(err, errlen, "%s: %s", snd.cpath,
			    strerror(errno));
			goto fail;
		}
	}
	snd.written0 = audit_written();
	snd.backlog0 = count_after(&snd.cur);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&snd.cv, &ca);
	pthread_condattr_destroy(&ca);
	snd.stop = snd.kicked = 0;
	if (pthread_create(&snd.thr, NULL, sender, NULL) != 0) {
		str_fmt(err, errlen, "cannot start the sender thread");
		pthread_cond_destroy(&snd.cv);
		rc = XDS_EINTERNAL;
		goto fail;
	}
	atomic_store(&snd_running, 1);
	return XDS_OK;
fail:
	SSL_CTX_free(snd.ctx);
	snd.ctx = NULL;
	return rc;
}

void
audit_send_kick(void)
{
	if (!atomic_load(&snd_running))
		return;
	pthread_mutex_lock(&snd.mtx);
	snd.kicked = 1;
	pthread_cond_signal(&snd.cv);
	pthread_mutex_unlock(&snd.mtx);
}

void
audit_send_stop(void)
{
	if (!atomic_load(&snd_running))
		return;
	pthread_mutex_lock(&snd.mtx);
	snd.stop = 1;
	pthread_cond_broadcast(&snd.cv);
	pthread_mutex_unlock(&snd.mtx);
	pthread_join(snd.thr, NULL);
	atomic_store(&snd_running, 0);
	pthread_cond_destroy(&snd.cv);
	SSL_CTX_free(snd.ctx);
	snd.ctx = NULL;
}

void
audit_send_stats(struct audit_send_stats *st)
{
	unsigned long long in, out;

	st->running = atomic_load(&snd_running);
	in = snd.backlog0 + (audit_written() - snd.written0);
	out = atomic_load(&snd_consumed);
	st->queued = st->running && in > out ? in - out : 0;
	st->sent = atomic_load(&snd_sent);
	st->failed = atomic_load(&snd_failed);
	st->days_compressed = atomic_load(&snd_days_gz);
	st->days_gone = atomic_load(&snd_days_gone);
	st->unreadable = atomic_load(&snd_unreadable);
}
