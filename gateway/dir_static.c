/*
 * dir_static.c: the static back-end of the community directory: one
 * community a line of directory.file (the format is in directory.h),
 * read and checked once at open.  After open nothing changes, so any
 * number of threads look up without a lock.
 *
 * dir_parse_line reads one line and is pure; the back-end reads the file
 * line by line (each line and the number of communities bounded), then
 * refuses a home community id or URA given twice, naming both lines, and
 * leaves out this node's own community.  Look-ups are binary searches
 * over arrays sorted by home community id and by URA.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "dir_int.h"
#include "directory.h"
#include "hl7dt.h"
#include "status.h"
#include "str.h"
#include "url.h"
#include "vocab.h"
#include "xua_dsig.h"

#define DIR_LINE_MAX		4096	/* bytes of a line, without its newline */
#define DIR_COMMUNITIES_MAX	100000	/* lines that name a community */
#define DIR_URA_DIGITS		8
#define DIR_QUOTE		80	/* characters of a bad field quoted in err */

/* White space between fields; '\r' too, so a file with CRLF reads. */
static const char dir_space[] = " \t\r\v\f\n";

/*
 * The settings a line may give, in the order err lists them: a row each,
 * naming the field of struct dir_community it fills.  A number (check
 * NULL) is an int within min..max; a text is copied whole into its field
 * once its check passes (0, or -1 with the reason in err).  A new
 * setting is a row here, a field in directory.h and its text in
 * dir_settings_text.
 */
struct dir_setting {
	const char	*key;
	size_t		 off, size;	/* the field in struct dir_community */
	long long	 min, max;	/* numbers */
	int		(*check)(const char *v, char *err, size_t errlen);
};

static int	dir_check_ae(const char *, char *, size_t);
static int	dir_check_url(const char *, char *, size_t);
static int	dir_check_xua_alg(const char *, char *, size_t);

#define DIR_FIELD(f)	offsetof(struct dir_community, f), \
			sizeof(((struct dir_community *)0)->f)

static const struct dir_setting dir_settings[] = {
	{ "max_documents", DIR_FIELD(max_documents), 1, 10000, NULL },
	{ "timeout", DIR_FIELD(timeout), 1, 3600, NULL },
	{ "concurrency", DIR_FIELD(concurrency), 1, 1024, NULL },
	{ "dicom", DIR_FIELD(dicom), 0, 0, dir_check_ae },
	{ "xdr", DIR_FIELD(xdr), 0, 0, dir_check_url },
	{ "xua_alg", DIR_FIELD(xua_alg), 0, 0, dir_check_xua_alg },
};
#define DIR_NKEYS	(sizeof dir_settings / sizeof dir_settings[0])

/* A community of the file and the line that gave it. */
struct dir_ent {
	struct dir_community	c;
	unsigned long		line;
};

struct dir_static {
	struct dir_ent	 *v;		/* the file's order */
	size_t		  n, cap;
	struct dir_ent	**by_hcid;	/* nhcid: those with a home community
					   id, sorted by it */
	size_t		  nhcid;
	struct dir_ent	**by_ura;	/* nura: those with a URA, by URA */
	size_t		  nura;
};

/* How much of a bad field err quotes. */
static int
dir_quote(size_t n)
{
	return n > DIR_QUOTE ? DIR_QUOTE : (int)n;
}

/*
 * The line holds UTF-8 text without control characters (other than
 * white space): what the name carries into tables and messages.  0, or
 * -1 with the byte in err.
 */
static int
dir_text_check(const char *s, char *err, size_t errlen)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned long cp, min;
	size_t i = 0, k, need;

	while (p[i] != '\0') {
		if (p[i] < 0x80) {
			if ((p[i] < 0x20 && strchr(dir_space, p[i]) == NULL) ||
			    p[i] == 0x7f) {
				str_fmt(err, errlen, "control character at "
				    "byte %zu", i + 1);
				return -1;
			}
			i++;
			continue;
		}
		if (p[i] >= 0xc2 && p[i] <= 0xdf) {
			need = 1;
			cp = p[i] & 0x1f;
			min = 0x80;
		} else if ((p[i] & 0xf0) == 0xe0) {
			need = 2;
			cp = p[i] & 0x0f;
			min = 0x800;
		} else if (p[i] >= 0xf0 && p[i] <= 0xf4) {
			need = 3;
			cp = p[i] & 0x07;
			min = 0x10000;
		} else
			goto bad;
		/* A NUL ends the loop: it is no continuation byte. */
		for (k = 1; k <= need; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				goto bad;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			goto bad;
		i += need + 1;
	}
	return 0;
bad:
	str_fmt(err, errlen, "not UTF-8 at byte %zu", i + 1);
	return -1;
}

/*
 * The next field at *pp: its length, with *f at its start, and *pp past
 * it; 0 at the end of the line or at a comment ('#' starting a field).
 */
static size_t
dir_field(const char **pp, const char **f)
{
	const char *p = *pp + strspn(*pp, dir_space);
	size_t n;

	*f = p;
	if (*p == '#') {
		*pp = p + strlen(p);
		return 0;
	}
	n = strcspn(p, dir_space);
	*pp = p + n;
	return n;
}

/* The field (f, n) into dst of dstsz bytes, or -1 naming what. */
static int
dir_copy(char *dst, size_t dstsz, const char *what, const char *f,
    size_t n, char *err, size_t errlen)
{
	if (n >= dstsz) {
		str_fmt(err, errlen, "%s longer than %zu characters", what,
		    dstsz - 1);
		return -1;
	}
	memcpy(dst, f, n);
	dst[n] = '\0';
	return 0;
}

/* The setting named by the n bytes at f (up to its '='), or DIR_NKEYS. */
static size_t
dir_key_find(const char *f, size_t n)
{
	const char *eq = memchr(f, '=', n);
	size_t i, kn = eq != NULL ? (size_t)(eq - f) : n;

	for (i = 0; i < DIR_NKEYS; i++)
		if (strlen(dir_settings[i].key) == kn &&
		    memcmp(dir_settings[i].key, f, kn) == 0)
			break;
	return i;
}

/* dicom=AE@host:port */
static int
dir_check_ae(const char *v, char *err, size_t errlen)
{
	char ae[32], host[256];
	int port;

	if (conf_split_ae(v, ae, sizeof ae, host, sizeof host, &port) == 0)
		return 0;
	str_fmt(err, errlen, "dicom \"%.*s\" is not AE@host:port",
	    dir_quote(strlen(v)), v);
	return -1;
}

/* xdr=URL: the rule of every peer URL */
static int
dir_check_url(const char *v, char *err, size_t errlen)
{
	char uerr[256];

	if (url_check(v, uerr, sizeof uerr) == XDS_OK)
		return 0;
	str_fmt(err, errlen, "xdr: %s", uerr);
	return -1;
}

/* xua_alg=rsa-sha256 | rsa-sha1 | ecdsa-sha256 */
static int
dir_check_xua_alg(const char *v, char *err, size_t errlen)
{
	enum xua_alg alg;

	if (xua_alg_parse(v, &alg) == 0)
		return 0;
	str_fmt(err, errlen, "xua_alg \"%.*s\" is not rsa-sha256, rsa-sha1 "
	    "or ecdsa-sha256", dir_quote(strlen(v)), v);
	return -1;
}

/* One key=value field (f, n) into c; *seen has a bit per key given. */
static int
dir_setting_parse(const char *f, size_t n, struct dir_community *c,
    unsigned *seen, char *err, size_t errlen)
{
	const struct dir_setting *s;
	const char *eq = memchr(f, '=', n), *es;
	char val[DIR_URL_MAX], keys[256];
	size_t i, k = dir_key_find(f, n), vn = n - (size_t)(eq - f) - 1;
	long long v;

	if (k == DIR_NKEYS) {
		keys[0] = '\0';
		for (i = 0; i < DIR_NKEYS; i++) {
			str_lcat(keys, i > 0 ? ", " : "", sizeof keys);
			str_lcat(keys, dir_settings[i].key, sizeof keys);
		}
		str_fmt(err, errlen, "unknown setting \"%.*s\" (%s)",
		    dir_quote((size_t)(eq - f)), f, keys);
		return -1;
	}
	s = &dir_settings[k];
	if (*seen & 1u << k) {
		str_fmt(err, errlen, "%s given twice", s->key);
		return -1;
	}
	*seen |= 1u << k;
	if (vn == 0) {
		str_fmt(err, errlen, "%s: no value", s->key);
		return -1;
	}
	if (dir_copy(val, s->check != NULL && s->size < sizeof val ?
	    s->size : sizeof val, s->key, eq + 1, vn, err, errlen) != 0)
		return -1;
	if (s->check != NULL) {
		if (s->check(val, err, errlen) != 0)
			return -1;
		str_lcpy((char *)c + s->off, val, s->size);
		return 0;
	}
	if (strspn(val, "0123456789") != vn ||
	    str_tonum(val, s->min, s->max, &v, &es) != 0) {
		str_fmt(err, errlen, "%s \"%.*s\" is not a number from %lld "
		    "to %lld", s->key, dir_quote(vn), val, s->min, s->max);
		return -1;
	}
	*(int *)(void *)((char *)c + s->off) = (int)v;
	return 0;
}

/* The name: the fields from f on (the first at f, n bytes), joined by one
 * space, up to the end of the line or a comment. */
static int
dir_name_parse(const char *p, const char *f, size_t n,
    struct dir_community *c, char *err, size_t errlen)
{
	size_t len = 0;

	do {
		if (memchr(f, '=', n) != NULL &&
		    dir_key_find(f, n) != DIR_NKEYS) {
			str_fmt(err, errlen, "setting \"%.*s\" after the name "
			    "(settings come before it)", dir_quote(n), f);
			return -1;
		}
		if (len + (len > 0) + n >= sizeof c->name) {
			str_fmt(err, errlen, "name longer than %zu characters",
			    sizeof c->name - 1);
			return -1;
		}
		if (len > 0)
			c->name[len++] = ' ';
		memcpy(c->name + len, f, n);
		len += n;
		c->name[len] = '\0';
	} while ((n = dir_field(&p, &f)) > 0);
	return 0;
}

/* dir_parse_line, but a refused line may leave *out half filled. */
static int
dir_line_parse(const char *line, struct dir_community *out, char *err,
    size_t errlen)
{
	const char *p = line, *f;
	char oerr[128];
	unsigned seen = 0;
	size_t n, pl = sizeof URN_OID - 1;

	memset(out, 0, sizeof *out);
	if (dir_text_check(line, err, errlen) != 0)
		return -1;
	if ((n = dir_field(&p, &f)) == 0)
		return 0;		/* blank or comment */

	if (n == 1 && f[0] == '-') {
		/* "-": no community, an organisation reached by push only */
	} else if (n <= pl || memcmp(f, URN_OID, pl) != 0) {
		str_fmt(err, errlen, "home community id \"%.*s\" does not "
		    "start with urn:oid: (or is -)", dir_quote(n), f);
		return -1;
	} else if (hl7_oid_valid(f + pl, n - pl, oerr, sizeof oerr) != 0) {
		str_fmt(err, errlen, "home community id \"%.*s\": %s",
		    dir_quote(n), f, oerr);
		return -1;
	} else if (dir_copy(out->hcid, sizeof out->hcid, "home community id",
	    f, n, err, errlen) != 0)
		return -1;

	if ((n = dir_field(&p, &f)) == 0) {
		str_fmt(err, errlen, "no gateway URL after the home "
		    "community id");
		return -1;
	}
	if (n == 1 && f[0] == '-') {
		/* "-": no responding gateway, url stays "" */
	} else if (dir_copy(out->url, sizeof out->url, "gateway URL", f, n,
	    err, errlen) != 0)
		return -1;
	else if (url_check(out->url, oerr, sizeof oerr) != XDS_OK) {
		str_fmt(err, errlen, "gateway URL: %s", oerr);
		return -1;
	}
	if (out->hcid[0] == '\0' && out->url[0] != '\0') {
		str_fmt(err, errlen, "a responding gateway needs the home "
		    "community id it answers for");
		return -1;
	}

	if ((n = dir_field(&p, &f)) == 0) {
		str_fmt(err, errlen, "no URA after the gateway URL");
		return -1;
	}
	if (n == DIR_URA_DIGITS && strspn(f, "0123456789") >= n) {
		memcpy(out->ura, f, n);
		out->ura[n] = '\0';
	} else if (n != 1 || f[0] != '-') {	/* "-": none, ura stays "" */
		str_fmt(err, errlen, "URA \"%.*s\" is neither %d digits nor -",
		    dir_quote(n), f, DIR_URA_DIGITS);
		return -1;
	}

	while ((n = dir_field(&p, &f)) > 0 && memchr(f, '=', n) != NULL)
		if (dir_setting_parse(f, n, out, &seen, err, errlen) != 0)
			return -1;
	if (n == 0) {
		str_fmt(err, errlen, "no name (the organisation's name ends "
		    "the line)");
		return -1;
	}
	if (dir_name_parse(p, f, n, out, err, errlen) != 0)
		return -1;
	if (out->hcid[0] == '\0' && out->ura[0] == '\0') {
		str_fmt(err, errlen, "neither a home community id nor a URA: "
		    "nothing to find it by");
		return -1;
	}
	if (out->url[0] == '\0' && out->xdr[0] == '\0' &&
	    out->dicom[0] == '\0') {
		str_fmt(err, errlen, "no responding gateway, xdr= or dicom=: "
		    "nothing to reach");
		return -1;
	}
	return 1;
}

int
dir_parse_line(const char *line, struct dir_community *out, char *err,
    size_t errlen)
{
	int rc = dir_line_parse(line, out, err, errlen);

	if (rc < 0)
		memset(out, 0, sizeof *out);
	return rc;
}

/* ---- the back-end ------------------------------------------------- */

/*
 * The next line of fp into buf (without its newline): 1, 0 at the end,
 * XDS_ETOOBIG past bufsz - 1 bytes, XDS_EFORMAT for a NUL byte, XDS_EIO
 * when reading failed.
 */
static int
dir_getline(FILE *fp, char *buf, size_t bufsz)
{
	size_t n = 0;
	int ch;

	while ((ch = getc(fp)) != EOF && ch != '\n') {
		if (ch == '\0')
			return XDS_EFORMAT;
		if (n + 1 >= bufsz)
			return XDS_ETOOBIG;
		buf[n++] = (char)ch;
	}
	buf[n] = '\0';
	if (ch == EOF && ferror(fp))
		return XDS_EIO;
	return ch == EOF && n == 0 ? 0 : 1;
}

static int
dir_ent_cmp(const struct dir_ent *x, const struct dir_ent *y, int d)
{
	if (d != 0)
		return d;
	return (x->line > y->line) - (x->line < y->line);
}

/* qsort: by home community id, then line */
static int
dir_cmp_hcid(const void *a, const void *b)
{
	const struct dir_ent *x = *(struct dir_ent *const *)a;
	const struct dir_ent *y = *(struct dir_ent *const *)b;

	return dir_ent_cmp(x, y, strcmp(x->c.hcid, y->c.hcid));
}

/* qsort: by URA, then line */
static int
dir_cmp_ura(const void *a, const void *b)
{
	const struct dir_ent *x = *(struct dir_ent *const *)a;
	const struct dir_ent *y = *(struct dir_ent *const *)b;

	return dir_ent_cmp(x, y, strcmp(x->c.ura, y->c.ura));
}

static const char *
dir_key_of(const struct dir_ent *e, int ura)
{
	return ura ? e->c.ura : e->c.hcid;
}

/*
 * The n entries of s sorted (by URA when ura, else by home community
 * id): a key given twice is an error at the later line; of several,
 * the one that comes first in the file.
 */
static int
dir_dup_check(struct dir_ent **s, size_t n, int ura, const char *path,
    char *err, size_t errlen)
{
	const struct dir_ent *first = NULL, *again = NULL;
	size_t i;

	qsort(s, n, sizeof *s, ura ? dir_cmp_ura : dir_cmp_hcid);
	for (i = 1; i < n; i++)
		if (strcmp(dir_key_of(s[i - 1], ura), dir_key_of(s[i], ura)) ==
		    0 && (again == NULL || s[i]->line < again->line)) {
			first = s[i - 1];
			again = s[i];
		}
	if (again == NULL)
		return XDS_OK;
	str_fmt(err, errlen, "%s:%lu: %s %s was given on line %lu already",
	    path, again->line, ura ? "URA" : "home community id",
	    dir_key_of(again, ura), first->line);
	return XDS_EEXIST;
}

/*
 * Refuse duplicates (this node's own line included), drop the own line,
 * then sort the look-up arrays.
 */
static int
dir_index(struct dir_static *ds, const char *path, const char *own,
    char *err, size_t errlen)
{
	struct dir_ent **s;
	size_t i, j, m;
	int st;

	if ((s = calloc(ds->n ? ds->n : 1, sizeof *s)) == NULL)
		goto nomem;
	for (i = m = 0; i < ds->n; i++)
		if (ds->v[i].c.hcid[0] != '\0')
			s[m++] = &ds->v[i];
	if ((st = dir_dup_check(s, m, 0, path, err, errlen)) != XDS_OK)
		goto out;
	for (i = m = 0; i < ds->n; i++)
		if (ds->v[i].c.ura[0] != '\0')
			s[m++] = &ds->v[i];
	if ((st = dir_dup_check(s, m, 1, path, err, errlen)) != XDS_OK)
		goto out;

	for (i = j = 0; i < ds->n; i++)
		if (ds->v[i].c.hcid[0] == '\0' ||
		    strcmp(ds->v[i].c.hcid, own) != 0)
			ds->v[j++] = ds->v[i];
	ds->n = j;
	ds->by_hcid = s;
	s = NULL;
	if ((ds->by_ura = calloc(ds->n ? ds->n : 1, sizeof *ds->by_ura)) ==
	    NULL)
		goto nomem;
	for (i = 0; i < ds->n; i++) {
		if (ds->v[i].c.hcid[0] != '\0')
			ds->by_hcid[ds->nhcid++] = &ds->v[i];
		if (ds->v[i].c.ura[0] != '\0')
			ds->by_ura[ds->nura++] = &ds->v[i];
	}
	qsort(ds->by_hcid, ds->nhcid, sizeof *ds->by_hcid, dir_cmp_hcid);
	qsort(ds->by_ura, ds->nura, sizeof *ds->by_ura, dir_cmp_ura);
	st = XDS_OK;
	goto out;
nomem:
	str_fmt(err, errlen, "%s: out of memory", path);
	st = XDS_ENOMEM;
out:
	free(s);
	return st;
}

/* Room for one more community in ds->v. */
static int
dir_grow(struct dir_static *ds)
{
	struct dir_ent *v;
	size_t cap;

	if (ds->n < ds->cap)
		return XDS_OK;
	cap = ds->cap ? ds->cap * 2 : 16;
	if (cap > DIR_COMMUNITIES_MAX)
		cap = DIR_COMMUNITIES_MAX;
	if ((v = realloc(ds->v, cap * sizeof *v)) == NULL)
		return XDS_ENOMEM;
	ds->v = v;
	ds->cap = cap;
	return XDS_OK;
}

static void
dir_static_close(void *state)
{
	struct dir_static *ds = state;

	if (ds == NULL)
		return;
	free(ds->by_hcid);
	free(ds->by_ura);
	free(ds->v);
	free(ds);
}

/* Read path into ds; XDS_OK, or a status with "path:line: reason". */
static int
dir_static_read(struct dir_static *ds, const char *path, char *err,
    size_t errlen)
{
	struct dir_community c;
	FILE *fp;
	char *line = NULL, lerr[256];
	unsigned long lno = 0;
	int rc, st = XDS_OK;

	if ((fp = fopen(path, "re")) == NULL) {
		str_fmt(err, errlen, "%s: %s", path, strerror(errno));
		return XDS_EIO;
	}
	if ((line = malloc(DIR_LINE_MAX + 1)) == NULL) {
		st = XDS_ENOMEM;
		str_fmt(err, errlen, "%s: out of memory", path);
		goto out;
	}
	while ((rc = dir_getline(fp, line, DIR_LINE_MAX + 1)) != 0) {
		lno++;
		if (rc == XDS_ETOOBIG)
			str_fmt(lerr, sizeof lerr, "longer than %d bytes",
			    DIR_LINE_MAX);
		else if (rc == XDS_EFORMAT)
			str_fmt(lerr, sizeof lerr, "a NUL byte");
		else if (rc == XDS_EIO)
			str_fmt(lerr, sizeof lerr, "%s", strerror(errno));
		else if ((rc = dir_parse_line(line, &c, lerr,
		    sizeof lerr)) == 0)
			continue;
		else if (rc < 0)
			rc = XDS_EFORMAT;
		else if (ds->n == DIR_COMMUNITIES_MAX) {
			str_fmt(lerr, sizeof lerr, "more than %d communities",
			    DIR_COMMUNITIES_MAX);
			rc = XDS_ETOOBIG;
		} else if (dir_grow(ds) != XDS_OK) {
			str_fmt(lerr, sizeof lerr, "out of memory");
			rc = XDS_ENOMEM;
		} else {
			ds->v[ds->n].c = c;
			ds->v[ds->n++].line = lno;
			continue;
		}
		st = rc;
		str_fmt(err, errlen, "%s:%lu: %s", path, lno, lerr);
		goto out;
	}
out:
	free(line);
	fclose(fp);
	return st;
}

static int
dir_static_open(const struct conf *conf, void **out, char *desc,
    size_t desclen, char *err, size_t errlen)
{
	struct dir_static *ds;
	const char *path = conf->directory_file;
	int st;

	*out = NULL;
	if ((ds = calloc(1, sizeof *ds)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return XDS_ENOMEM;
	}
	if (path[0] != '\0' &&
	    (st = dir_static_read(ds, path, err, errlen)) != XDS_OK)
		goto out;
	if ((st = dir_index(ds, path, conf->node_home_community_id, err,
	    errlen)) != XDS_OK)
		goto out;
	str_fmt(desc, desclen, "static: %s (%zu communit%s)",
	    path[0] != '\0' ? path : "no directory.file", ds->n,
	    ds->n == 1 ? "y" : "ies");
	*out = ds;
	ds = NULL;
out:
	dir_static_close(ds);
	return st;
}

/* The entry with key in the n entries of s (sorted by it), or NULL. */
static const struct dir_ent *
dir_find(struct dir_ent *const *s, size_t n, int ura, const char *key)
{
	size_t lo = 0, hi = n, mid;
	int d;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((d = strcmp(key, dir_key_of(s[mid], ura))) == 0)
			return s[mid];
		if (d < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static int
dir_static_by_hcid(void *state, const char *hcid, struct dir_community *out,
    char *err, size_t errlen)
{
	const struct dir_static *ds = state;
	const struct dir_ent *e = dir_find(ds->by_hcid, ds->nhcid, 0, hcid);

	if (e == NULL) {
		str_fmt(err, errlen, "no community %.*s in the directory",
		    dir_quote(strlen(hcid)), hcid);
		return XDS_ENOTFOUND;
	}
	*out = e->c;
	return XDS_OK;
}

static int
dir_static_by_ura(void *state, const char *ura, struct dir_community *out,
    char *err, size_t errlen)
{
	const struct dir_static *ds = state;
	const struct dir_ent *e = dir_find(ds->by_ura, ds->nura, 1, ura);

	if (e == NULL) {
		str_fmt(err, errlen, "no community with URA %.*s in the "
		    "directory", dir_quote(strlen(ura)), ura);
		return XDS_ENOTFOUND;
	}
	*out = e->c;
	return XDS_OK;
}

static int
dir_static_each(void *state, int (*fn)(void *, const struct dir_community *),
    void *arg, char *err, size_t errlen)
{
	const struct dir_static *ds = state;
	size_t i;
	int rc;

	(void)err;
	(void)errlen;
	for (i = 0; i < ds->n; i++)
		if ((rc = fn(arg, &ds->v[i].c)) != 0)
			return rc;
	return XDS_OK;
}

const struct dir_backend dir_static_backend = {
	.name = "static",
	.open = dir_static_open,
	.by_hcid = dir_static_by_hcid,
	.by_ura = dir_static_by_ura,
	.each = dir_static_each,
	.close = dir_static_close,
};
