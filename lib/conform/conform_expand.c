/*
 * conform_expand.c: the values of a conformance run ($patient, $uuid:X,
 * $uid:X, ...), the documents its tests send, and the filling of a
 * message template with fragments (@{name key=value}) and values.
 */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "conform.h"
#include "hl7dt.h"
#include "status.h"
#include "str.h"

#define FRAG_DEPTH	4	/* fragments in fragments */
#define FRAG_PARAMS	16

void
conform_vars_init(struct conform_vars *v)
{
	memset(v, 0, sizeof *v);
}

void
conform_vars_free(struct conform_vars *v)
{
	size_t i;

	for (i = 0; i < v->natt; i++) {
		if (v->att[i].path[0] != '\0')
			(void)unlink(v->att[i].path);
		free(v->att[i].data);
	}
	free(v->att);
	free(v->v);
	memset(v, 0, sizeof *v);
}

const char *
conform_var_get(const struct conform_vars *v, const char *name)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (strcmp(v->v[i].name, name) == 0)
			return v->v[i].val;
	return NULL;
}

int
conform_var_set(struct conform_vars *v, const char *name, const char *val)
{
	struct conform_var *nv;
	size_t i;

	if (strlen(name) >= sizeof v->v[0].name ||
	    strlen(val) >= sizeof v->v[0].val)
		return XDS_ETOOBIG;
	for (i = 0; i < v->n; i++)
		if (strcmp(v->v[i].name, name) == 0)
			break;
	if (i == v->n) {
		if (v->n == v->cap) {
			size_t cap = v->cap ? v->cap * 2 : 32;

			if ((nv = realloc(v->v, cap * sizeof *nv)) == NULL)
				return XDS_ENOMEM;
			v->v = nv;
			v->cap = cap;
		}
		v->n++;
		str_lcpy(v->v[i].name, name, sizeof v->v[i].name);
	}
	str_lcpy(v->v[i].val, val, sizeof v->v[i].val);
	return XDS_OK;
}

const struct conform_att *
conform_att_get(const struct conform_vars *v, const char *name)
{
	size_t i;

	for (i = 0; i < v->natt; i++)
		if (strcmp(v->att[i].name, name) == 0)
			return &v->att[i];
	return NULL;
}

/* A fresh OID under 2.25 (ITU-T X.667): a random 96-bit decimal. */
static int
fresh_uid(char *out, size_t outsz)
{
	unsigned char r[12];
	unsigned long long hi, lo;

	if (RAND_bytes(r, sizeof r) != 1)
		return -1;
	memcpy(&hi, r, 4);
	hi &= 0xffffffffULL;
	memcpy(&lo, r + 4, 8);
	/* Two parts printed one after the other: unique, not a number
	 * system; the first digit is never 0. */
	return str_fmt(out, outsz, "2.25.%llu%019llu", (hi % 9000000000ULL) +
	    1000000000ULL, lo % 10000000000000000000ULL) < 0 ? -1 : 0;
}

/* The value of variable name ("patient", "uuid:d1", ...); NULL unknown. */
static const char *
lookup(struct conform_vars *v, const char *name, char *err, size_t errlen)
{
	const struct conform_att *a;
	const char *val;
	char fresh[128];

	if ((val = conform_var_get(v, name)) != NULL)
		return val;
	if (strncmp(name, "uuid:", 5) == 0 && name[5] != '\0') {
		if (hl7_uuid_new(fresh) != 0)
			return NULL;
	} else if (strncmp(name, "uid:", 4) == 0 && name[4] != '\0') {
		if (fresh_uid(fresh, sizeof fresh) != 0)
			return NULL;
	} else if (strncmp(name, "sha1:", 5) == 0 ||
	    strncmp(name, "size:", 5) == 0) {
		if ((a = conform_att_get(v, name + 5)) == NULL) {
			str_fmt(err, errlen, "$%s: no document %s", name,
			    name + 5);
			return NULL;
		}
		if (name[1] == 'h')
			return a->sha1;
		str_fmt(fresh, sizeof fresh, "%zu", a->len);
	} else
		return NULL;
	if (conform_var_set(v, name, fresh) != XDS_OK)
		return NULL;
	return conform_var_get(v, name);
}

static int
is_name(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

/* $name, $kind:name: variables into out. */
static int
expand_vars(struct conform_vars *v, const char *s, struct buf *out,
    char *err, size_t errlen)
{
	char name[CONFORM_NAME_MAX + 8];
	const char *p, *q, *val;
	int rc;

	for (p = s; *p != '\0'; p = q) {
		size_t n;

		if (*p != '$') {
			q = strchr(p, '$');
			if (q == NULL)
				q = p + strlen(p);
			if ((rc = buf_add(out, p, (size_t)(q - p))) != XDS_OK)
				goto toobig;
			continue;
		}
		for (q = p + 1; is_name((unsigned char)*q); q++)
			;
		if (*q == ':' && is_name((unsigned char)q[1]))
			for (q++; is_name((unsigned char)*q) || *q == '-' ||
			    *q == '.'; q++)
				;
		n = (size_t)(q - p - 1);
		err[0] = '\0';
		if (n == 0 || n >= sizeof name)
			val = NULL;
		else {
			memcpy(name, p + 1, n);
			name[n] = '\0';
			val = lookup(v, name, err, errlen);
		}
		if (val == NULL && err[0] != '\0')
			return XDS_EINVAL;
		if ((rc = buf_add_xml(out, val ? val : "")) != XDS_OK ||
		    (val == NULL &&
		    (rc = buf_add(out, p, (size_t)(q - p))) != XDS_OK))
			goto toobig;
	}
	return XDS_OK;
toobig:
	str_fmt(err, errlen, "the message is longer than %zu bytes",
	    out->b_max);
	return rc;
}

struct params {
	char	*key[FRAG_PARAMS];
	char	*val[FRAG_PARAMS];
	size_t	 n;
};

static void
params_free(struct params *pp)
{
	size_t i;

	for (i = 0; i < pp->n; i++) {
		free(pp->key[i]);
		free(pp->val[i]);
	}
	pp->n = 0;
}

/* "k=v k=v" (v up to the next space) into pp, later keys winning. */
static int
params_add(struct params *pp, const char *s, size_t len, char *err,
    size_t errlen)
{
	const char *p = s, *end = s + len, *eq, *sp;
	size_t i;

	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n'))
			p++;
		if (p >= end)
			break;
		for (sp = p; sp < end && *sp != ' ' && *sp != '\t' &&
		    *sp != '\n'; sp++)
			;
		eq = memchr(p, '=', (size_t)(sp - p));
		if (eq == NULL || eq == p) {
			str_fmt(err, errlen, "fragment parameter \"%.*s\": "
			    "expected key=value", (int)(sp - p), p);
			return XDS_EFORMAT;
		}
		for (i = 0; i < pp->n; i++)
			if (strlen(pp->key[i]) == (size_t)(eq - p) &&
			    memcmp(pp->key[i], p, (size_t)(eq - p)) == 0)
				break;
		if (i == pp->n) {
			if (pp->n == FRAG_PARAMS) {
				str_fmt(err, errlen, "more than %d fragment "
				    "parameters", FRAG_PARAMS);
				return XDS_EFORMAT;
			}
			if ((pp->key[i] = str_ndup(p, (size_t)(eq - p))) ==
			    NULL)
				return XDS_ENOMEM;
			pp->val[i] = NULL;
			pp->n++;
		}
		free(pp->val[i]);
		if ((pp->val[i] = str_ndup(eq + 1, (size_t)(sp - eq - 1))) ==
		    NULL)
			return XDS_ENOMEM;
		p = sp;
	}
	return XDS_OK;
}

/*
 * A value that names another parameter (a default "lid=%id%") gets that
 * one's value; one level, so a value naming itself stays as it is.
 */
static int
params_resolve(struct params *pp)
{
	struct buf b;
	const char *p, *q;
	size_t i, j;
	char *nv;

	for (i = 0; i < pp->n; i++) {
		if (strchr(pp->val[i], '%') == NULL)
			continue;
		buf_init(&b, CONFORM_MAX_FILE);
		for (p = pp->val[i]; *p != '\0'; p = q) {
			if (*p != '%' || (q = strchr(p + 1, '%')) == NULL) {
				if ((q = strchr(p + 1, '%')) == NULL)
					q = p + strlen(p);
				if (buf_add(&b, p, (size_t)(q - p)) != XDS_OK)
					goto nomem;
				continue;
			}
			for (j = 0; j < pp->n; j++)
				if (j != i && strlen(pp->key[j]) ==
				    (size_t)(q - p - 1) && memcmp(pp->key[j],
				    p + 1, (size_t)(q - p - 1)) == 0)
					break;
			if (buf_add(&b, j < pp->n ? pp->val[j] : p, j < pp->n ?
			    strlen(pp->val[j]) : (size_t)(q + 1 - p)) !=
			    XDS_OK)
				goto nomem;
			q++;
		}
		if ((nv = strdup(buf_str(&b))) == NULL)
			goto nomem;
		buf_free(&b);
		free(pp->val[i]);
		pp->val[i] = nv;
	}
	return XDS_OK;
nomem:
	buf_free(&b);
	return XDS_ENOMEM;
}

static int expand_frags(struct conform_vars *, const char *, struct buf *,
    int, char *, size_t);

/* Fragment name with its parameters pstr (plen bytes) into out. */
static int
one_frag(struct conform_vars *v, const char *name, const char *pstr,
    size_t plen, struct buf *out, int depth, char *err, size_t errlen)
{
	struct params pp = { { 0 }, { 0 }, 0 };
	struct buf filled;
	const char *text, *p, *q, *body;
	size_t i;
	int rc;

	buf_init(&filled, CONFORM_MAX_BODY);
	if (v->frag == NULL || (text = v->frag(v->frag_arg, name)) == NULL) {
		str_fmt(err, errlen, "no fragment \"%s\"", name);
		rc = XDS_ENOTFOUND;
		goto out;
	}
	body = text;
	if (strncmp(text, "<!-- defaults:", 14) == 0 &&
	    (q = strstr(text, "-->")) != NULL) {
		if ((rc = params_add(&pp, text + 14, (size_t)(q - text - 14),
		    err, errlen)) != XDS_OK)
			goto out;
		body = q + 3;
		if (*body == '\n')
			body++;
	}
	if ((rc = params_add(&pp, pstr, plen, err, errlen)) != XDS_OK ||
	    (rc = params_resolve(&pp)) != XDS_OK)
		goto out;
	for (p = body; *p != '\0'; p = q) {
		if (*p != '%' || (q = strchr(p + 1, '%')) == NULL) {
			q = strchr(p + 1, '%');
			if (q == NULL)
				q = p + strlen(p);
			if ((rc = buf_add(&filled, p, (size_t)(q - p))) != XDS_OK)
				goto out;
			continue;
		}
		for (i = 0; i < pp.n; i++)
			if (strlen(pp.key[i]) == (size_t)(q - p - 1) &&
			    memcmp(pp.key[i], p + 1, (size_t)(q - p - 1)) == 0)
				break;
		if (i == pp.n) {
			str_fmt(err, errlen, "fragment %s: no value for "
			    "%%%.*s%%", name, (int)(q - p - 1), p + 1);
			rc = XDS_EINVAL;
			goto out;
		}
		if ((rc = buf_adds(&filled, pp.val[i])) != XDS_OK)
			goto out;
		q++;
	}
	rc = expand_frags(v, buf_str(&filled), out, depth + 1, err, errlen);
out:
	params_free(&pp);
	buf_free(&filled);
	return rc;
}

/* @{name params} fragments of s into out, recursively. */
static int
expand_frags(struct conform_vars *v, const char *s, struct buf *out,
    int depth, char *err, size_t errlen)
{
	char name[CONFORM_NAME_MAX];
	const char *p, *q, *close, *sp;
	int rc;

	if (depth > FRAG_DEPTH) {
		str_fmt(err, errlen, "fragments nested deeper than %d",
		    FRAG_DEPTH);
		return XDS_EFORMAT;
	}
	for (p = s; *p != '\0'; p = q) {
		if ((q = strstr(p, "@{")) == NULL)
			q = p + strlen(p);
		if ((rc = buf_add(out, p, (size_t)(q - p))) != XDS_OK)
			return rc;
		if (*q == '\0')
			break;
		if ((close = strchr(q, '}')) == NULL) {
			str_fmt(err, errlen, "\"@{\" without \"}\"");
			return XDS_EFORMAT;
		}
		for (sp = q + 2; sp < close && *sp != ' ' && *sp != '\n'; sp++)
			;
		if (str_fmt(name, sizeof name, "%.*s", (int)(sp - q - 2),
		    q + 2) < 0) {
			str_fmt(err, errlen, "a fragment name too long");
			return XDS_EFORMAT;
		}
		if ((rc = one_frag(v, name, sp, (size_t)(close - sp), out,
		    depth, err, errlen)) != XDS_OK)
			return rc;
		q = close + 1;
	}
	return XDS_OK;
}

int
conform_expand(struct conform_vars *v, const char *tmpl, struct buf *out,
    char *err, size_t errlen)
{
	struct buf mid;
	int rc;

	buf_init(&mid, out->b_max ? out->b_max : CONFORM_MAX_BODY);
	if ((rc = expand_frags(v, tmpl, &mid, 0, err, errlen)) == XDS_OK)
		rc = expand_vars(v, buf_str(&mid), out, err, errlen);
	else if (rc == XDS_ETOOBIG || rc == XDS_ENOMEM)
		str_fmt(err, errlen, "the message is too long");
	buf_free(&mid);
	return rc;
}

int
conform_att_add(struct conform_vars *v, const char *name, const char *spec,
    const char *dir, char *err, size_t errlen)
{
	struct conform_att *a, *na;
	struct buf text;
	const char *sp;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	size_t cap;
	int rc, fd = -1;

	buf_init(&text, CONFORM_MAX_BODY);
	if ((sp = strchr(spec, ' ')) == NULL || sp == spec ||
	    (size_t)(sp - spec) >= sizeof a->ctype) {
		str_fmt(err, errlen, "attach.%s: CONTENT-TYPE TEXT", name);
		rc = XDS_EFORMAT;
		goto out;
	}
	if ((rc = conform_expand(v, sp + 1, &text, err, errlen)) != XDS_OK)
		goto out;
	if ((a = (struct conform_att *)conform_att_get(v, name)) != NULL) {
		/* a test sends a document of that name again: new text */
		if (a->path[0] != '\0')
			(void)unlink(a->path);
		free(a->data);
	} else {
		if (v->natt == v->attcap) {
			cap = v->attcap ? v->attcap * 2 : 16;
			if ((na = realloc(v->att, cap * sizeof *na)) == NULL) {
				rc = XDS_ENOMEM;
				goto out;
			}
			v->att = na;
			v->attcap = cap;
		}
		a = &v->att[v->natt++];
	}
	memset(a, 0, sizeof *a);
	str_lcpy(a->name, name, sizeof a->name);
	str_fmt(a->ctype, sizeof a->ctype, "%.*s", (int)(sp - spec), spec);
	a->len = text.b_len;
	a->data = buf_take(&text, NULL);
	if (a->data == NULL && (a->data = strdup("")) == NULL) {
		rc = XDS_ENOMEM;
		goto out;
	}
	if (EVP_Digest(a->data, a->len, md, &mdlen, EVP_sha1(), NULL) != 1) {
		rc = XDS_EINTERNAL;
		str_fmt(err, errlen, "SHA-1 failed");
		goto out;
	}
	str_hex(md, mdlen, a->sha1);
	if (str_fmt(a->path, sizeof a->path, "%s/%s.doc", dir, name) < 0 ||
	    (fd = open(a->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) < 0 || (a->len > 0 && write(fd, a->data, a->len) !=
	    (ssize_t)a->len)) {
		str_fmt(err, errlen, "%s: cannot write", a->path);
		rc = XDS_EIO;
		goto out;
	}
	rc = XDS_OK;
out:
	if (fd >= 0)
		(void)close(fd);
	buf_free(&text);
	return rc;
}
