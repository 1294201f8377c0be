/*
 * spool.c: a received byte stream written to a temporary file while its
 * SHA-1 and SHA-256 are computed; past 1 MiB the digests and the file
 * writes run on three helper threads.  See spool.h.
 *
 * The ring.  SPOOL_NBUF buffers of SPOOL_BUF bytes and three helper
 * threads that consume every buffer in order: SHA-1, SHA-256 and the
 * writer (write() to the file).  The
 * receiving thread only copies into the buffer of sequence number `pub`
 * (slot pub % SPOOL_NBUF); when it is full and more bytes arrive it
 * publishes it (pub++, broadcast) and goes on with the next slot, which
 * it may refill only when all three helpers have passed its previous
 * use (min(done) > pub - SPOOL_NBUF): it waits only when it is
 * SPOOL_NBUF buffers ahead of the slowest consumer.  The helpers only
 * read the buffers.  One mutex, two condition variables, no busy waits;
 * the EVP contexts and the file offset belong to the helpers between
 * pthread_create and pthread_join.
 *
 * Direct I/O.  Once threaded, the file is switched to O_DIRECT (where the
 * file system accepts it): the writer hands the ring buffers to the
 * device instead of copying them into the page cache, the copy that was
 * the largest cost of an upload, and the consumer's fsync finds the
 * data already written.  The last, partial buffer (and any file system
 * that refuses the writes) goes through the page cache, with
 * sync_file_range write-back every SPOOL_SYNC_STEP as before.  In a
 * 1 GiB spool_write loop on the development VM this halved the spool's
 * CPU (3.3 -> 1.7 s, two digests included) and doubled its speed.
 *
 * Why a writer thread rather than write() on the receiving thread: the
 * page-cache copy of write() was the largest single cost of an upload
 * (45-50 % of xdsd's profile, docs/benchmarks.md), larger than the two
 * digests together; on its own thread it overlaps the socket reads and
 * the MIME boundary scan instead of adding to them, so with free cores
 * the upload runs at the speed of its slowest stage, not of their sum.
 * Both variants were measured (bench/bench_repo.py and a 1 GiB
 * spool_write loop): on the 2-vCPU development VM, shared with the
 * client and other builds, the difference was within the noise.
 *
 * Small streams.  Threads are per spool (created on demand, joined in
 * spool_finish/spool_abort) rather than a pool shared by all spools:
 * there is no shared state to size or shut down, no queueing behind
 * another upload, and starting three threads costs well under 0.1 ms,
 * nothing next to a document of more than 1 MiB.
 * Most documents are smaller: a spool allocates one buffer at open and
 * starts no thread until that buffer is full and more bytes arrive, so
 * a stream of at most SPOOL_BUF bytes is hashed and written once, inline,
 * on the caller's thread in spool_finish (one write()).  The other
 * buffers are allocated when the threads start.  If a thread cannot be
 * started the spool stays inline (hashing and writing on the caller's
 * thread).
 *
 * Memory per spool: SPOOL_BUF while inline, SPOOL_NBUF * SPOOL_BUF once
 * threaded (4 MiB) and three small thread stacks, whatever the size of
 * the stream.  The buffers are mmap()ed, not malloc()ed: freed, malloc
 * keeps them in the arena of the request worker that used them (glibc
 * raises its mmap threshold after the first free of a large block), so
 * 16 workers would each hold a ring after their first large upload
 * (seen as +14 MiB VmHWM after three uploads); munmap gives them back.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "spool.h"
#include "str.h"

/* Ring buffer size and count: 1 MiB pieces keep write()s and hand-offs
 * at about 1,000 per GiB; 4 of them let the receiver run up to 3 MiB
 * ahead of the slowest helper, which absorbs the jitter between the
 * stages (not tuned further: on the 2-vCPU VM the stages compete for
 * the same cores). */
#define SPOOL_BUF	((size_t)1024 * 1024)
#define SPOOL_NBUF	4
/* Buffered writes: write-back of the file is started every 8 MiB so that
 * it overlaps the upload instead of waiting in the consumer's fsync. */
#define SPOOL_SYNC_STEP	((off_t)8 * 1024 * 1024)
/* Direct I/O: buffer address, length and file offset aligned to this
 * (the ring buffers are mmap'd, hence page-aligned; every published
 * buffer but the last is SPOOL_BUF long). */
#define DIRECT_ALIGN	4096
/* Stack of a helper thread: EVP and write() need little. */
#define HELPER_STACK	((size_t)256 * 1024)

/* The consumers of each buffer: two digests and the file. */
enum { H_SHA1, H_SHA256, H_WRITE, NHELP };
#define NHASH	2
enum stop { RUN, DRAIN, QUIT };

struct helper {
	struct spool	*s;
	int		 kind;		/* H_* */
	pthread_t	 th;
	int		 running;	/* th is joinable */
	EVP_MD_CTX	*ctx;		/* hashers */
	uint64_t	 done;		/* buffers consumed (under mu) */
	int		 failed;	/* its work failed (under mu) */
};

struct spool {
	int		 fd;
	char		 path[sizeof(((struct spool_result *)0)->path)];
	off_t		 max_size;
	off_t		 size;		/* bytes accepted */
	off_t		 written;	/* bytes in the file */
	off_t		 synced;	/* write-back started up to here */
	int		 status;
	char		 err[256];
	unsigned char	*buf[SPOOL_NBUF];
	size_t		 len[SPOOL_NBUF];	/* published lengths */
	size_t		 fill;		/* bytes in the buffer being filled */
	int		 threaded;
	int		 direct;	/* fd has O_DIRECT (writer thread) */
	int		 nothreads;	/* a thread could not be started */
	/* shared with the helpers, under mu */
	pthread_mutex_t	 mu;
	pthread_cond_t	 work;		/* a buffer published, or stop */
	pthread_cond_t	 room;		/* a helper finished a buffer */
	uint64_t	 pub;		/* buffers published */
	enum stop	 stop;
	struct helper	 h[NHELP];
};

static unsigned char *
ring_alloc(void)
{
	void *p;

	p = mmap(NULL, SPOOL_BUF, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void
ring_free(unsigned char *p)
{
	if (p != NULL)
		(void)munmap(p, SPOOL_BUF);
}

static int
sfail(struct spool *s, int status, const char *msg)
{
	if (s->status == 0) {
		s->status = status;
		str_lcpy(s->err, msg, sizeof s->err);
	}
	return s->status;
}

static int
serror(const struct spool *s, char *err, size_t errlen)
{
	str_lcpy(err, s->err, errlen);
	return s->status;
}

static int write_out(struct spool *, const unsigned char *, size_t);

/* One consumer of the ring: in order, every published buffer. */
static void *
helper_main(void *arg)
{
	struct helper *h = arg;
	struct spool *s = h->s;
	const unsigned char *p;
	size_t n;
	int bad = 0;

	for (;;) {
		pthread_mutex_lock(&s->mu);
		while (h->done == s->pub && s->stop == RUN)
			pthread_cond_wait(&s->work, &s->mu);
		if (s->stop == QUIT || h->done == s->pub) {
			pthread_mutex_unlock(&s->mu);
			break;
		}
		p = s->buf[h->done % SPOOL_NBUF];
		n = s->len[h->done % SPOOL_NBUF];
		pthread_mutex_unlock(&s->mu);
		if (!bad)
			bad = h->kind == H_WRITE ? write_out(s, p, n) != 0 :
			    EVP_DigestUpdate(h->ctx, p, n) != 1;
		pthread_mutex_lock(&s->mu);
		h->done++;
		h->failed = bad;
		pthread_cond_signal(&s->room);
		pthread_mutex_unlock(&s->mu);
	}
	return NULL;
}

/* Stop the helpers (DRAIN: after the published buffers; QUIT: now) and
 * join them; the contexts and the file are the caller's again. */
static void
stop_threads(struct spool *s, enum stop how)
{
	int i;

	pthread_mutex_lock(&s->mu);
	s->stop = how;
	pthread_cond_broadcast(&s->work);
	pthread_mutex_unlock(&s->mu);
	for (i = 0; i < NHELP; i++)
		if (s->h[i].running) {
			pthread_join(s->h[i].th, NULL);
			s->h[i].running = 0;
		}
	s->threaded = 0;
}

/* Start the helpers with every signal blocked (they inherit the mask;
 * signals belong to the daemon's main thread).  On failure the spool
 * stays inline. */
static void
start_threads(struct spool *s)
{
	pthread_attr_t attr;
	sigset_t all, old;
	int i, ok = 1;

	for (i = 1; i < SPOOL_NBUF; i++)
		if (s->buf[i] == NULL &&
		    (s->buf[i] = ring_alloc()) == NULL)
			goto inline_only;
	if (pthread_attr_init(&attr) != 0)
		goto inline_only;
	(void)pthread_attr_setstacksize(&attr, HELPER_STACK);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	s->stop = RUN;
	for (i = 0; i < NHELP && ok; i++) {
		s->h[i].s = s;
		s->h[i].kind = i;
		if (pthread_create(&s->h[i].th, &attr, helper_main,
		    &s->h[i]) == 0)
			s->h[i].running = 1;
		else
			ok = 0;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (ok) {
		s->threaded = 1;
		/* From here the writer thread owns the file: direct I/O from
		 * the page-aligned ring where the file system allows it. */
		if ((i = fcntl(s->fd, F_GETFL)) >= 0 &&
		    fcntl(s->fd, F_SETFL, i | O_DIRECT) == 0)
			s->direct = 1;
		return;
	}
	stop_threads(s, QUIT);	/* nothing published yet */
inline_only:
	s->nothreads = 1;
}

/* Leave direct I/O: for an unaligned tail, or where the file system
 * took O_DIRECT but refuses the writes. */
static int
buffered(struct spool *s)
{
	int fl;

	if ((fl = fcntl(s->fd, F_GETFL)) < 0 ||
	    fcntl(s->fd, F_SETFL, fl & ~O_DIRECT) != 0)
		return -1;
	s->direct = 0;
	return 0;
}

/* Append to the file (the caller's thread while inline, the writer's
 * once threaded); -1 on failure. */
static int
write_out(struct spool *s, const unsigned char *p, size_t n)
{
	ssize_t w;

	if (s->direct && (n % DIRECT_ALIGN != 0 ||
	    s->written % DIRECT_ALIGN != 0) && buffered(s) != 0)
		return -1;
	while (n > 0) {
		w = write(s->fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EINVAL && s->direct) {
			if (buffered(s) != 0)
				return -1;
			continue;
		}
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
		s->written += w;
	}
#ifdef SYNC_FILE_RANGE_WRITE
	if (!s->direct && s->written - s->synced >= SPOOL_SYNC_STEP) {
		(void)sync_file_range(s->fd, s->synced, s->written - s->synced,
		    SYNC_FILE_RANGE_WRITE);
		s->synced = s->written;
	}
#endif
	return 0;
}

/* Hand the current buffer (fill bytes) on: to the helpers when
 * threaded, else digest and write it here.  Then make the next slot free
 * to fill. */
static int
flush_buf(struct spool *s)
{
	size_t n = s->fill;
	uint64_t lo;
	int i, wfail;

	s->fill = 0;
	if (!s->threaded) {
		for (i = 0; i < NHASH; i++)
			if (EVP_DigestUpdate(s->h[i].ctx, s->buf[0], n) != 1)
				return sfail(s, XDS_ENOMEM,
				    "digest update failed");
		if (write_out(s, s->buf[0], n) != 0)
			return sfail(s, XDS_EIO, "cannot write spool file");
		return 0;
	}
	pthread_mutex_lock(&s->mu);
	s->len[s->pub % SPOOL_NBUF] = n;
	s->pub++;
	pthread_cond_broadcast(&s->work);
	/* The next slot (sequence pub) last held pub - SPOOL_NBUF. */
	for (;;) {
		lo = s->h[0].done;
		for (i = 1; i < NHELP; i++)
			if (s->h[i].done < lo)
				lo = s->h[i].done;
		if (lo + SPOOL_NBUF > s->pub)
			break;
		pthread_cond_wait(&s->room, &s->mu);
	}
	wfail = s->h[H_WRITE].failed;
	pthread_mutex_unlock(&s->mu);
	if (wfail)
		return sfail(s, XDS_EIO, "cannot write spool file");
	return 0;
}

static unsigned char *
cur_buf(struct spool *s)
{
	return s->threaded ? s->buf[s->pub % SPOOL_NBUF] : s->buf[0];
}

/* A zeroed spool with its lock and condition variables, or NULL. */
static struct spool *
spool_new(void)
{
	struct spool *s;
	int n = 0;

	if ((s = calloc(1, sizeof *s)) == NULL)
		return NULL;
	if (pthread_mutex_init(&s->mu, NULL) != 0)
		goto fail;
	n++;
	if (pthread_cond_init(&s->work, NULL) != 0)
		goto fail;
	n++;
	if (pthread_cond_init(&s->room, NULL) != 0)
		goto fail;
	s->fd = -1;
	return s;
fail:
	if (n > 1)
		pthread_cond_destroy(&s->work);
	if (n > 0)
		pthread_mutex_destroy(&s->mu);
	free(s);
	return NULL;
}

int
spool_open(struct spool **out, const char *dir, off_t max_size, char *err,
    size_t errlen)
{
	struct spool *s;
	int i, rc;

	*out = NULL;
	if ((s = spool_new()) == NULL) {
		str_lcpy(err, "out of memory", errlen);
		return XDS_ENOMEM;
	}
	s->max_size = max_size;
	if ((s->buf[0] = ring_alloc()) == NULL) {
		rc = sfail(s, XDS_ENOMEM, "out of memory");
		goto fail;
	}
	for (i = 0; i < NHASH; i++)
		if ((s->h[i].ctx = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestInit_ex(s->h[i].ctx, i == H_SHA1 ? EVP_sha1() :
		    EVP_sha256(), NULL) != 1) {
			rc = sfail(s, XDS_ENOMEM, "digest init failed");
			goto fail;
		}
	if (dir == NULL || *dir == '\0' ||
	    str_fmt(s->path, sizeof s->path, "%s/%s", dir,
	    SPOOL_TEMPLATE) < 0) {
		s->path[0] = '\0';
		rc = sfail(s, XDS_EIO, "spool directory missing or its "
		    "path too long");
		goto fail;
	}
	if ((s->fd = mkostemp(s->path, O_CLOEXEC)) < 0) {
		s->path[0] = '\0';
		rc = sfail(s, XDS_EIO, "cannot create spool file");
		goto fail;
	}
	/* mkostemp makes 0600 under any umask on glibc; be explicit. */
	if (fchmod(s->fd, S_IRUSR | S_IWUSR) != 0) {
		rc = sfail(s, XDS_EIO, "cannot set spool file mode");
		goto fail;
	}
	*out = s;
	return XDS_OK;
fail:
	(void)serror(s, err, errlen);
	spool_abort(s);
	return rc;
}

int
spool_write(struct spool *s, const void *p, size_t n, char *err,
    size_t errlen)
{
	const unsigned char *d = p;
	size_t take;

	if (s->status != 0)
		return serror(s, err, errlen);
	if (s->max_size > 0 && (off_t)n > s->max_size - s->size) {
		(void)sfail(s, XDS_ETOOBIG, "data over the size limit");
		return serror(s, err, errlen);
	}
	while (n > 0) {
		if (s->fill == SPOOL_BUF) {
			/* Full and more to come: the stream is large. */
			if (!s->threaded && !s->nothreads)
				start_threads(s);
			if (flush_buf(s) != 0)
				return serror(s, err, errlen);
		}
		take = SPOOL_BUF - s->fill;
		if (take > n)
			take = n;
		memcpy(cur_buf(s) + s->fill, d, take);
		s->fill += take;
		s->size += (off_t)take;
		d += take;
		n -= take;
	}
	return XDS_OK;
}

off_t
spool_size(const struct spool *s)
{
	return s->size;
}

int
spool_finish(struct spool *s, struct spool_result *out, char *err,
    size_t errlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int fd, rc, i;

	memset(out, 0, sizeof *out);
	if (s->status == 0 && s->fill > 0)
		(void)flush_buf(s);
	if (s->threaded)
		stop_threads(s, s->status == 0 ? DRAIN : QUIT);
	if (s->h[H_WRITE].failed)
		(void)sfail(s, XDS_EIO, "cannot write spool file");
	for (i = 0; i < NHASH; i++)
		if (s->h[i].failed)
			(void)sfail(s, XDS_ENOMEM, "digest update failed");
	if (s->status != 0)
		goto fail;
	if (EVP_DigestFinal_ex(s->h[H_SHA1].ctx, md, &mdlen) != 1 ||
	    mdlen != 20) {
		(void)sfail(s, XDS_ENOMEM, "SHA-1 final failed");
		goto fail;
	}
	str_hex(md, mdlen, out->sha1);
	if (EVP_DigestFinal_ex(s->h[H_SHA256].ctx, md, &mdlen) != 1 ||
	    mdlen != 32) {
		(void)sfail(s, XDS_ENOMEM, "SHA-256 final failed");
		goto fail;
	}
	str_hex(md, mdlen, out->sha256);
	fd = s->fd;
	s->fd = -1;
	if (close(fd) != 0) {
		(void)sfail(s, XDS_EIO, "cannot close spool file");
		goto fail;
	}
	str_lcpy(out->path, s->path, sizeof out->path);
	out->size = s->size;
	s->path[0] = '\0';	/* the caller's now */
	spool_abort(s);
	return XDS_OK;
fail:
	rc = serror(s, err, errlen);
	memset(out, 0, sizeof *out);
	spool_abort(s);
	return rc;
}

void
spool_abort(struct spool *s)
{
	int i;

	if (s == NULL)
		return;
	if (s->threaded)
		stop_threads(s, QUIT);
	if (s->fd >= 0)
		(void)close(s->fd);
	if (s->path[0] != '\0')
		(void)unlink(s->path);
	for (i = 0; i < NHASH; i++)
		EVP_MD_CTX_free(s->h[i].ctx);
	for (i = 0; i < SPOOL_NBUF; i++)
		ring_free(s->buf[i]);
	pthread_cond_destroy(&s->room);
	pthread_cond_destroy(&s->work);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* Base64 (RFC 4648 alphabet; RFC 2045 6.8 whitespace ignored). */

static int
b64_val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static int
b64_err(char *err, size_t errlen, const char *msg)
{
	str_lcpy(err, msg, errlen);
	return XDS_EFORMAT;
}

int
b64dec_feed(struct b64dec *st, const char *in, size_t n, b64_out_fn out,
    void *arg, char *err, size_t errlen)
{
	unsigned char o[3 * 1024];
	size_t i, k = 0;
	int c, v, rc;

	for (i = 0; i < n; i++) {
		c = (unsigned char)in[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (st->done)
			return b64_err(err, errlen, "base64 part: data "
			    "after the padding");
		if (c == '=') {
			if (st->nq < 2)
				return b64_err(err, errlen, "base64 part: "
				    "misplaced '='");
			v = 0;
			st->pad++;
		} else if ((v = b64_val(c)) < 0 || st->pad > 0) {
			return b64_err(err, errlen, "base64 part: invalid "
			    "character");
		}
		st->acc = (st->acc << 6 | (unsigned long)v) & 0xffffff;
		if (++st->nq < 4)
			continue;
		o[k++] = (unsigned char)(st->acc >> 16);
		if (st->pad < 2)
			o[k++] = (unsigned char)(st->acc >> 8);
		if (st->pad < 1)
			o[k++] = (unsigned char)st->acc;
		st->done = st->pad > 0;
		st->nq = st->pad = 0;
		if (k + 3 > sizeof o) {
			if ((rc = out(arg, o, k)) != 0)
				return rc;
			k = 0;
		}
	}
	return k > 0 ? out(arg, o, k) : 0;
}

int
b64dec_final(struct b64dec *st, b64_out_fn out, void *arg, char *err,
    size_t errlen)
{
	unsigned char o[2];
	size_t k = 0;

	if (st->nq == 0)
		return 0;
	if (st->nq == 1 || st->pad > 0)
		return b64_err(err, errlen, "base64 part: truncated");
	if (st->nq == 2) {
		o[k++] = (unsigned char)(st->acc >> 4);
	} else {
		o[k++] = (unsigned char)(st->acc >> 10);
		o[k++] = (unsigned char)(st->acc >> 2);
	}
	st->nq = 0;
	return out(arg, o, k);
}
