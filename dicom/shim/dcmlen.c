/*
 * dcmlen.c: every element length of a DICOM file checked against the
 * bytes that are there, before DCMTK reads it (dcmshim.h).
 *
 * DCMTK 3.6.7 reading a file allocates a value at its declared length
 * (new[] nothrow, up to 4 GiB) before it compares that length with the
 * bytes left in the file.  This walk touches element headers only: a
 * value is stepped over, a container (sequence, item, undefined length)
 * is stepped into so that nested lengths are checked too, and encapsulated
 * pixel data fragments are stepped over.  The VR and length rules are
 * DCMTK's (DcmVR::setVR): an unknown VR of two upper-case letters has a
 * 4-byte length, any other unknown VR a 2-byte one.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dcmlen.h"
#include "dcmshim.h"

#define UNDEF		0xFFFFFFFFu
#define DICM_OFF	128		/* "DICM" after the preamble */
#define TS_MAX		64		/* a UI value */

enum enc {
	ENC_EXPLICIT_LE = DCMLEN_EXPLICIT_LE,
	ENC_EXPLICIT_BE = DCMLEN_EXPLICIT_BE,
	ENC_IMPLICIT_LE = DCMLEN_IMPLICIT_LE,
	ENC_IMPLICIT_BE = DCMLEN_IMPLICIT_BE	/* DCMTK's guess can be it */
};

#define BIG(e)	((e) == ENC_EXPLICIT_BE || (e) == ENC_IMPLICIT_BE)

enum kind {
	K_SQ,		/* items are datasets: stepped into */
	K_ITEM,		/* a dataset */
	K_PIXSEQ	/* items are fragments: stepped over */
};

struct frame {
	size_t		end;	/* SIZE_MAX: undefined length */
	enum kind	kind;
	enum enc	enc;
};

struct walk {
	const unsigned char *p;
	size_t		len;
	size_t		pos;
	struct frame	stack[DCMSHIM_LEN_MAX_DEPTH];
	size_t		depth;
	char		ts[TS_MAX + 1];	/* (0002,0010), meta walk only */
	size_t		meta_end;	/* by (0002,0000); 0: unknown */
	char		*err;
	size_t		errlen;
};

static unsigned
u16(const unsigned char *b, enum enc e)
{
	return BIG(e) ? (unsigned)b[0] << 8 | b[1] :
	    (unsigned)b[1] << 8 | b[0];
}

static uint32_t
u32(const unsigned char *b, enum enc e)
{
	if (BIG(e))
		return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
		    (uint32_t)b[2] << 8 | b[3];
	return (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 |
	    (uint32_t)b[1] << 8 | b[0];
}

/* VRs with a reserved 2 bytes and a 4-byte length (PS3.5 7.1.2), plus
 * DCMTK's rule for VRs it does not know. */
static int
long_vr(const unsigned char *vr)
{
	static const char *const l[] = { "OB", "OD", "OF", "OL", "OV", "OW",
	    "SQ", "SV", "UC", "UN", "UR", "UT", "UV" };
	static const char *const s[] = { "AE", "AS", "AT", "CS", "DA", "DS",
	    "DT", "FD", "FL", "IS", "LO", "LT", "PN", "SH", "SL", "SS", "ST",
	    "TM", "UI", "UL", "US" };
	size_t i;

	for (i = 0; i < sizeof l / sizeof l[0]; i++)
		if (memcmp(vr, l[i], 2) == 0)
			return 1;
	for (i = 0; i < sizeof s / sizeof s[0]; i++)
		if (memcmp(vr, s[i], 2) == 0)
			return 0;
	return vr[0] >= 'A' && vr[0] <= 'Z' && vr[1] >= 'A' && vr[1] <= 'Z';
}

static int
fail_len(struct walk *w, unsigned g, unsigned e, uint32_t n)
{
	if (w->err != NULL && w->errlen > 0)
		snprintf(w->err, w->errlen, "element (%04X,%04X) declares %lu "
		    "bytes, %zu remain", g, e, (unsigned long)n,
		    w->len - w->pos);
	return XDS_EFORMAT;
}

static int
fail_at(struct walk *w, const char *what)
{
	if (w->err != NULL && w->errlen > 0)
		snprintf(w->err, w->errlen, "%s at offset %zu", what, w->pos);
	return XDS_EFORMAT;
}

static int
push(struct walk *w, size_t end, enum kind k, enum enc e)
{
	if (w->depth == DCMSHIM_LEN_MAX_DEPTH)
		return fail_at(w, "sequences nested too deep");
	w->stack[w->depth].end = end;
	w->stack[w->depth].kind = k;
	w->stack[w->depth].enc = e;
	w->depth++;
	return XDS_OK;
}

/* (FFFE,xxxx): a 4-byte length and no VR, in the container's encoding. */
static int
item_tag(struct walk *w, unsigned e, enum enc enc)
{
	uint32_t n = u32(w->p + w->pos + 4, enc);

	w->pos += 8;
	if (e == 0xE0DD) {	/* to the nearest undefined-length sequence */
		size_t d = w->depth;

		while (d > 0 && !(w->stack[d - 1].kind != K_ITEM &&
		    w->stack[d - 1].end == SIZE_MAX))
			d--;
		if (d > 0)
			w->depth = d - 1;
		return XDS_OK;
	}
	if (e == 0xE00D) {
		if (w->depth > 0 && w->stack[w->depth - 1].kind == K_ITEM &&
		    w->stack[w->depth - 1].end == SIZE_MAX)
			w->depth--;
		return XDS_OK;
	}
	if (n == UNDEF) {
		if (e == 0xE000 && (w->depth == 0 ||
		    w->stack[w->depth - 1].kind != K_PIXSEQ))
			return push(w, SIZE_MAX, K_ITEM, enc);
		return fail_at(w, "undefined length fragment");
	}
	if (n > w->len - w->pos)
		return fail_len(w, 0xFFFE, e, n);
	if (e == 0xE000 && (w->depth == 0 ||
	    w->stack[w->depth - 1].kind != K_PIXSEQ))
		return push(w, w->pos + n, K_ITEM, enc);
	w->pos += n;
	return XDS_OK;
}

/*
 * Walk from w->pos in encoding enc to the end of the data.  meta: stop at
 * the first top-level element outside group 0002 and keep the transfer
 * syntax value.
 */
static int
walk(struct walk *w, enum enc base, int meta)
{
	const unsigned char *b;
	unsigned g, e;
	uint32_t n;
	size_t hdr;
	enum enc enc;
	int explicit;

	for (;;) {
		while (w->depth > 0 && w->stack[w->depth - 1].end != SIZE_MAX &&
		    w->pos >= w->stack[w->depth - 1].end)
			w->depth--;
		if (w->pos >= w->len)
			return XDS_OK;	/* the end of the data */
		enc = w->depth > 0 ? w->stack[w->depth - 1].enc : base;
		explicit = enc == ENC_EXPLICIT_LE || enc == ENC_EXPLICIT_BE;
		if (w->len - w->pos < 8)
			return fail_at(w, "truncated element header");
		b = w->p + w->pos;
		g = u16(b, enc);
		e = u16(b + 2, enc);
		/* DCMTK's meta header: as long as its group length says,
		 * without one as long as the group is 0002 */
		if (meta && w->depth == 0 && (w->meta_end > 0 ?
		    w->pos >= w->meta_end : g != 0x0002))
			return XDS_OK;
		if (g == 0xFFFE) {
			int rc = item_tag(w, e, enc);

			if (rc != XDS_OK)
				return rc;
			continue;
		}
		if (explicit && long_vr(b + 4)) {
			if (w->len - w->pos < 12)
				return fail_at(w, "truncated element header");
			n = u32(b + 8, enc);
			hdr = 12;
		} else if (explicit) {
			n = u16(b + 6, enc);
			hdr = 8;
		} else {
			n = u32(b + 4, enc);
			hdr = 8;
		}
		w->pos += hdr;
		if (n == UNDEF) {
			int rc;

			if (g == 0x7FE0 && e == 0x0010 && (!explicit ||
			    memcmp(b + 4, "OB", 2) == 0 ||
			    memcmp(b + 4, "OW", 2) == 0))
				rc = push(w, SIZE_MAX, K_PIXSEQ, enc);
			else if (explicit && memcmp(b + 4, "UN", 2) == 0)
				/* PS3.5 6.2.2: implicit VR LE inside */
				rc = push(w, SIZE_MAX, K_SQ, ENC_IMPLICIT_LE);
			else
				rc = push(w, SIZE_MAX, K_SQ, enc);
			if (rc != XDS_OK)
				return rc;
			continue;
		}
		if (n > w->len - w->pos)
			return fail_len(w, g, e, n);
		if (meta && w->depth == 0 && g == 0x0002 && e == 0x0010 &&
		    n <= TS_MAX) {
			memcpy(w->ts, w->p + w->pos, n);
			w->ts[n] = '\0';
		}
		if (meta && w->depth == 0 && g == 0x0002 && e == 0x0000 &&
		    n == 4 && w->meta_end == 0)
			w->meta_end = w->pos + n + u32(w->p + w->pos, enc);
		if ((explicit && memcmp(b + 4, "SQ", 2) == 0) || (!explicit &&
		    n >= 8 && !(g == 0x7FE0 && e == 0x0010) &&
		    u16(w->p + w->pos, enc) == 0xFFFE &&
		    u16(w->p + w->pos + 2, enc) == 0xE000)) {
			int rc = push(w, w->pos + n, K_SQ, enc);

			if (rc != XDS_OK)
				return rc;
			continue;
		}
		w->pos += n;
	}
}

/*
 * Data that nothing names the encoding of: DCMTK's guess from its first
 * tag and VR, which looks the tag up in DCMTK's dictionary (a guess of
 * its own here once let a length through that DCMTK then allocated).
 */
static enum enc
guess(const unsigned char *b, size_t len)
{
	return (enum enc)dcmshim_guess_enc(b, len);
}

int
dcmshim_lencheck(const void *buf, size_t len, int *deflated, char *err,
    size_t errlen)
{
	struct walk w;
	size_t n;
	int rc;

	if (buf == NULL && len > 0) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "no input");
		return XDS_EINVAL;
	}
	if (deflated != NULL)
		*deflated = 0;
	memset(&w, 0, sizeof w);
	w.p = buf;
	w.len = len;
	w.err = err;
	w.errlen = errlen;
	if (len >= DICM_OFF + 4 && memcmp(w.p + DICM_OFF, "DICM", 4) == 0)
		w.pos = DICM_OFF + 4;
	else if (len < 8 || u16(w.p, ENC_EXPLICIT_LE) != 0x0002)
		return walk(&w, guess(w.p, len), 0);	/* no meta header */
	/* The meta header: group 0002, explicit VR LE (DCMTK also takes an
	 * implicit one). */
	if ((rc = walk(&w, guess(w.p + w.pos, len - w.pos), 1)) != XDS_OK)
		return rc;
	w.depth = 0;
	n = strlen(w.ts);
	while (n > 0 && (w.ts[n - 1] == ' ' || w.ts[n - 1] == '\0'))
		w.ts[--n] = '\0';
	if (strcmp(w.ts, "1.2.840.10008.1.2.1.99") == 0) {
		if (deflated != NULL)
			*deflated = 1;
		return XDS_OK;	/* check the inflated copy */
	}
	if (strcmp(w.ts, "1.2.840.10008.1.2") == 0)
		return walk(&w, ENC_IMPLICIT_LE, 0);
	if (strcmp(w.ts, "1.2.840.10008.1.2.2") == 0)
		return walk(&w, ENC_EXPLICIT_BE, 0);
	if (w.ts[0] == '\0')
		return walk(&w, guess(w.p + w.pos, len - w.pos), 0);
	return walk(&w, ENC_EXPLICIT_LE, 0);
}

int
dcmshim_lencheck_file(const char *path, int *deflated, char *err,
    size_t errlen)
{
	struct stat st;
	void *m = MAP_FAILED;
	int fd, rc;

	if (deflated != NULL)
		*deflated = 0;
	if (path == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "no input");
		return XDS_EINVAL;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    fstat(fd, &st) != 0) {
		rc = XDS_EIO;
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
	} else if (st.st_size == 0)
		rc = dcmshim_lencheck(NULL, 0, deflated, err, errlen);
	else if ((uintmax_t)st.st_size > SIZE_MAX ||
	    (m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd,
	    0)) == MAP_FAILED) {
		rc = errno == ENOMEM ? XDS_ENOMEM : XDS_EIO;
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: cannot map: %s", path,
			    strerror(errno));
	} else
		rc = dcmshim_lencheck(m, (size_t)st.st_size, deflated, err,
		    errlen);
	if (m != MAP_FAILED)
		(void)munmap(m, (size_t)st.st_size);
	if (fd >= 0)
		close(fd);
	return rc;
}
