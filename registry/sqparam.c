/*
 * sqparam.c: stored query parameter tables and the slot value parser
 * (see sqparam.h for the encodings and the error mapping).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "hl7dt.h"
#include "sqparam.h"
#include "str.h"
#include "vocab.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Shorthands for the tables. */
#define STR	SQP_STRING
#define PID	SQP_PATIENT
#define CODE	SQP_CODE
#define TIME	SQP_TIME
#define LEVEL	SQP_LEVEL
#define R	SQP_REQ
#define M	SQP_MULTI
#define RP	(SQP_MULTI | SQP_REPEAT)

#define DE_FIND_PARAMS							\
	{ "$XDSDocumentEntryPatientId", PID, R, 0 },			\
	{ "$XDSDocumentEntryClassCode", CODE, M, 0 },			\
	{ "$XDSDocumentEntryTypeCode", CODE, M, 0 },			\
	{ "$XDSDocumentEntryPracticeSettingCode", CODE, M, 0 },		\
	{ "$XDSDocumentEntryCreationTimeFrom", TIME, 0, 0 },		\
	{ "$XDSDocumentEntryCreationTimeTo", TIME, 0, 0 },		\
	{ "$XDSDocumentEntryServiceStartTimeFrom", TIME, 0, 0 },	\
	{ "$XDSDocumentEntryServiceStartTimeTo", TIME, 0, 0 },		\
	{ "$XDSDocumentEntryServiceStopTimeFrom", TIME, 0, 0 },		\
	{ "$XDSDocumentEntryServiceStopTimeTo", TIME, 0, 0 },		\
	{ "$XDSDocumentEntryHealthcareFacilityTypeCode", CODE, M, 0 },	\
	{ "$XDSDocumentEntryEventCodeList", CODE, RP, 0 },		\
	{ "$XDSDocumentEntryConfidentialityCode", CODE, RP, 0 },	\
	{ "$XDSDocumentEntryAuthorPerson", STR, M, 0 },			\
	{ "$XDSDocumentEntryFormatCode", CODE, M, 0 },			\
	{ "$XDSDocumentEntryStatus", STR, R | M, 0 },			\
	{ "$XDSDocumentEntryType", STR, M, 0 },				\
	{ "$XDSDocumentEntryDocumentAvailability", STR, M, 0 },		\
	{ SQP_METADATALEVEL, LEVEL, 0, 0 }

/* Document filters of the *AndContents and GetAll queries. */
#define DE_FILTER_PARAMS						\
	{ "$XDSDocumentEntryFormatCode", CODE, M, 0 },			\
	{ "$XDSDocumentEntryConfidentialityCode", CODE, RP, 0 },	\
	{ "$XDSDocumentEntryType", STR, M, 0 },				\
	{ SQP_METADATALEVEL, LEVEL, 0, 0 }

static const struct sqp_def p_finddocs[] = {
	DE_FIND_PARAMS,
};

static const struct sqp_def p_finddocsbyrefid[] = {
	DE_FIND_PARAMS,
	{ "$XDSDocumentEntryReferenceIdList", STR, R | RP, 0 },
};

static const struct sqp_def p_findss[] = {
	{ "$XDSSubmissionSetPatientId", PID, R, 0 },
	{ "$XDSSubmissionSetSourceId", STR, M, 0 },
	{ "$XDSSubmissionSetSubmissionTimeFrom", TIME, 0, 0 },
	{ "$XDSSubmissionSetSubmissionTimeTo", TIME, 0, 0 },
	{ "$XDSSubmissionSetAuthorPerson", STR, 0, 0 },
	{ "$XDSSubmissionSetContentType", CODE, M, 0 },
	{ "$XDSSubmissionSetStatus", STR, R | M, 0 },
	{ SQP_METADATALEVEL, LEVEL, 0, 0 },
};

static const struct sqp_def p_findfolders[] = {
	{ "$XDSFolderPatientId", PID, R, 0 },
	{ "$XDSFolderLastUpdateTimeFrom", TIME, 0, 0 },
	{ "$XDSFolderLastUpdateTimeTo", TIME, 0, 0 },
	{ "$XDSFolderCodeList", CODE, RP, 0 },
	{ "$XDSFolderStatus", STR, R | M, 0 },
	{ SQP_METADATALEVEL, LEVEL, 0, 0 },
};

static const struct sqp_def p_getall[] = {
	{ "$patientId", PID, R, 0 },
	{ "$XDSDocumentEntryStatus", STR, R | M, 0 },
	{ "$XDSSubmissionSetStatus", STR, R | M, 0 },
	{ "$XDSFolderStatus", STR, R | M, 0 },
	DE_FILTER_PARAMS,
};

static const struct sqp_def p_getdocs[] = {
	{ "$XDSDocumentEntryEntryUUID", STR, R | M, 1 },
	{ "$XDSDocumentEntryUniqueId", STR, R | M, 1 },
	{ "$XDSDocumentEntryLogicalID", STR, R | M, 1 },
	{ SQP_METADATALEVEL, LEVEL, 0, 0 },
};

static const struct sqp_def p_getfolders[] = {
	{ "$XDSFolderEntryUUID", STR, R | M, 1 },
	{ "$XDSFolderUniqueId", STR, R | M, 1 },
	{ "$XDSFolderLogicalID", STR, R | M, 1 },
	{ SQP_METADATALEVEL, LEVEL, 0, 0 },
};

static const struct sqp_def p_uuids[] = {
	{ "$uuid", STR, R | M, 0 },
	{ SQP_METADATALEVEL, LEVEL, 0, 0 },
};

static const struct sqp_def p_getdocsandassocs[] = {
	{ "$XDSDocumentEntryEntryUUID", STR, R | M, 1 },
	{ "$XDSDocumentEntryUniqueId", STR, R | M, 1 },
	{ SQP_METADATALEVEL, LEVEL, 0, 0 },
};

static const struct sqp_def p_getssandcontents[] = {
	{ "$XDSSubmissionSetEntryUUID", STR, R, 1 },
	{ "$XDSSubmissionSetUniqueId", STR, R, 1 },
	DE_FILTER_PARAMS,
};

static const struct sqp_def p_getfolderandcontents[] = {
	{ "$XDSFolderEntryUUID", STR, R, 1 },
	{ "$XDSFolderUniqueId", STR, R, 1 },
	DE_FILTER_PARAMS,
};

static const struct sqp_def p_getfoldersfordoc[] = {
	{ "$XDSDocumentEntryEntryUUID", STR, R, 1 },
	{ "$XDSDocumentEntryUniqueId", STR, R, 1 },
	{ SQP_METADATALEVEL, LEVEL, 0, 0 },
};

static const struct sqp_def p_getrelated[] = {
	{ "$XDSDocumentEntryEntryUUID", STR, R, 1 },
	{ "$XDSDocumentEntryUniqueId", STR, R, 1 },
	{ "$AssociationTypes", STR, R | M, 0 },
	{ "$XDSDocumentEntryType", STR, M, 0 },
	{ SQP_METADATALEVEL, LEVEL, 0, 0 },
};

#define Q(qid, name, id, p)	{ qid, name, id, p, NELEM(p) }
static const struct sqp_query queries[SQP_NQUERIES] = {
	Q(SQP_FINDDOCUMENTS, "FindDocuments", SQ_FINDDOCUMENTS, p_finddocs),
	Q(SQP_FINDSUBMISSIONSETS, "FindSubmissionSets", SQ_FINDSUBMISSIONSETS,
	    p_findss),
	Q(SQP_FINDFOLDERS, "FindFolders", SQ_FINDFOLDERS, p_findfolders),
	Q(SQP_GETALL, "GetAll", SQ_GETALL, p_getall),
	Q(SQP_GETDOCUMENTS, "GetDocuments", SQ_GETDOCUMENTS, p_getdocs),
	Q(SQP_GETFOLDERS, "GetFolders", SQ_GETFOLDERS, p_getfolders),
	Q(SQP_GETASSOCIATIONS, "GetAssociations", SQ_GETASSOCIATIONS, p_uuids),
	Q(SQP_GETDOCSANDASSOCS, "GetDocumentsAndAssociations",
	    SQ_GETDOCSANDASSOCS, p_getdocsandassocs),
	Q(SQP_GETSUBMISSIONSETS, "GetSubmissionSets", SQ_GETSUBMISSIONSETS,
	    p_uuids),
	Q(SQP_GETSSANDCONTENTS, "GetSubmissionSetAndContents",
	    SQ_GETSSANDCONTENTS, p_getssandcontents),
	Q(SQP_GETFOLDERANDCONTENTS, "GetFolderAndContents",
	    SQ_GETFOLDERANDCONTENTS, p_getfolderandcontents),
	Q(SQP_GETFOLDERSFORDOC, "GetFoldersForDocument", SQ_GETFOLDERSFORDOC,
	    p_getfoldersfordoc),
	Q(SQP_GETRELATEDDOCS, "GetRelatedDocuments", SQ_GETRELATEDDOCS,
	    p_getrelated),
	Q(SQP_FINDDOCSBYREFID, "FindDocumentsByReferenceId",
	    SQ_FINDDOCSBYREFID, p_finddocsbyrefid),
};

const struct sqp_query *
sqp_query_by_id(const char *id)
{
	size_t i;

	for (i = 0; id != NULL && i < NELEM(queries); i++)
		if (strcmp(queries[i].id, id) == 0)
			return &queries[i];
	return NULL;
}

const struct sqp_query *
sqp_query_by_name(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < NELEM(queries); i++)
		if (strcmp(queries[i].name, name) == 0)
			return &queries[i];
	return NULL;
}

const struct sqp_query *
sqp_query_at(size_t i)
{
	return i < NELEM(queries) ? &queries[i] : NULL;
}

const char *
sqp_errcode(int status)
{
	switch (status) {
	case XDS_OK:
		return NULL;
	case SQP_EMISSING:
		return ERR_SQ_MISSING_PARAM;
	case SQP_ENUMBER:
		return ERR_SQ_PARAM_NUMBER;
	default:
		return ERR_REGISTRY;
	}
}

/*
 * The splitter.  Grammar (whitespace allowed around every token):
 *   value = item | "(" item *( "," item ) ")"
 *   item  = "'" *( char | "''" ) "'" | 1*( char except ' , ( ) space )
 */
static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static size_t
skip_ws(const char *s, size_t len, size_t i)
{
	while (i < len && is_ws(s[i]))
		i++;
	return i;
}

/* One item at s[*ip]: unquoted into tmp (SQP_MAX_ITEM + 1 bytes). */
static int
split_item(const char *s, size_t len, size_t *ip, char *tmp, size_t *np,
    int *quoted, char *err, size_t errlen)
{
	size_t i = *ip, n = 0;

	*quoted = 0;
	if (i < len && s[i] == '\'') {
		*quoted = 1;
		for (i++; ; i++) {
			if (i >= len) {
				str_fmt(err, errlen, "unterminated quoted string");
				return XDS_EFORMAT;
			}
			if (s[i] == '\'') {
				if (i + 1 < len && s[i + 1] == '\'')
					i++;	/* '' is one quote */
				else
					break;
			}
			if (n >= SQP_MAX_ITEM) {
				str_fmt(err, errlen, "value longer than %d bytes",
				    SQP_MAX_ITEM);
				return XDS_ETOOBIG;
			}
			tmp[n++] = s[i];
		}
		i++;		/* closing quote */
	} else {
		while (i < len && !is_ws(s[i]) && s[i] != ',' && s[i] != '(' &&
		    s[i] != ')' && s[i] != '\'') {
			if (n >= SQP_MAX_ITEM) {
				str_fmt(err, errlen, "value longer than %d bytes",
				    SQP_MAX_ITEM);
				return XDS_ETOOBIG;
			}
			tmp[n++] = s[i++];
		}
		if (n == 0) {
			str_fmt(err, errlen, "empty value");
			return XDS_EFORMAT;
		}
	}
	tmp[n] = '\0';
	*np = n;
	*ip = i;
	return XDS_OK;
}

int
sqp_split(const char *s, size_t len,
    int (*fn)(void *, const char *, size_t, int), void *arg, char *err,
    size_t errlen)
{
	char *tmp = NULL;
	size_t i, n;
	int rc, quoted, list = 0;

	if (len > SQP_MAX_TEXT) {
		str_fmt(err, errlen, "value longer than %d bytes", SQP_MAX_TEXT);
		return XDS_ETOOBIG;
	}
	if ((tmp = malloc(SQP_MAX_ITEM + 1)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return XDS_ENOMEM;
	}
	i = skip_ws(s, len, 0);
	if (i < len && s[i] == '(') {
		list = 1;
		i = skip_ws(s, len, i + 1);
	}
	for (;;) {
		if ((rc = split_item(s, len, &i, tmp, &n, &quoted, err,
		    errlen)) != XDS_OK)
			goto fail;
		if ((rc = fn(arg, tmp, n, quoted)) != XDS_OK)
			goto fail;
		i = skip_ws(s, len, i);
		if (!list || i >= len || s[i] != ',')
			break;
		i = skip_ws(s, len, i + 1);
	}
	rc = XDS_EFORMAT;
	if (list) {
		if (i >= len || s[i] != ')') {
			str_fmt(err, errlen, "list not closed with ')'");
			goto fail;
		}
		i = skip_ws(s, len, i + 1);
	}
	if (i != len) {
		str_fmt(err, errlen, "unexpected text after the value");
		goto fail;
	}
	rc = XDS_OK;
fail:
	free(tmp);
	return rc;
}

/* Parsing state while one slot's values are added to one parameter. */
struct addctx {
	struct sqp_set	*set;
	struct sqp_param *p;
	unsigned	 group;
	char		*err;
	size_t		 errlen;
};

static int
typed_value(struct addctx *c, const char *item, size_t n, int quoted,
    struct sqp_value *v)
{
	const struct sqp_def *d = c->p->def;
	char reason[128], out[2 * HL7_ID_MAX + 80];
	struct hl7_cx cx;
	const char *es, *hat;
	char t[15];

	memset(v, 0, sizeof *v);
	v->group = c->group;
	switch (d->type) {
	case SQP_NUMBER:
		if (quoted || str_tonum(item, 0, 1000000000LL, &v->num,
		    &es) != 0)
			goto bad;
		v->str = str_ndup(item, n);
		break;
	case SQP_LEVEL:
		/* A number, 1 or 2: the levels the registry serves (it has
		 * the Metadata Update option). */
		if (quoted || str_tonum(item, 1, 2, &v->num, &es) != 0) {
			str_fmt(c->err, c->errlen, "%s: invalid value '%.64s' "
			    "(1 or 2)", d->name, item);
			return XDS_EFORMAT;
		}
		v->str = str_ndup(item, n);
		break;
	case SQP_TIME:
		/* Times are unquoted; a quoted DTM is tolerated (IPF). */
		if (hl7_dtm_valid(item, n, reason, sizeof reason) != 0 ||
		    hl7_dtm_norm(item, n, t) != 0)
			goto bad;
		v->str = str_ndup(t, 14);
		break;
	case SQP_PATIENT:
		if (!quoted)
			goto unquoted;
		if (hl7_cx_parse(item, n, &cx, reason, sizeof reason) != 0 ||
		    hl7_cx_format(&cx, out, sizeof out) != 0)
			goto bad;
		v->str = str_ndup(out, strlen(out));
		break;
	case SQP_CODE:
		if (!quoted)
			goto unquoted;
		/* code^^codingScheme: both present, scheme without '^'. */
		if ((hat = strstr(item, "^^")) == NULL || hat == item ||
		    hat[2] == '\0' || strchr(hat + 2, '^') != NULL) {
			str_fmt(c->err, c->errlen, "%s: '%.64s' is not in the "
			    "code^^codingScheme format", d->name, item);
			return XDS_EFORMAT;
		}
		v->str = str_ndup(item, (size_t)(hat - item));
		v->scheme = str_ndup(hat + 2, strlen(hat + 2));
		if (v->str == NULL || v->scheme == NULL)
			goto nomem;
		break;
	case SQP_STRING:
		if (!quoted)
			goto unquoted;
		if (n == 0) {
			str_fmt(c->err, c->errlen, "%s: empty value", d->name);
			return XDS_EFORMAT;
		}
		v->str = str_ndup(item, n);
		break;
	}
	if (v->str == NULL)
		goto nomem;
	return XDS_OK;
unquoted:
	str_fmt(c->err, c->errlen, "%s: value %.64s must be quoted", d->name,
	    item);
	return XDS_EFORMAT;
bad:
	str_fmt(c->err, c->errlen, "%s: invalid value '%.64s'", d->name, item);
	return XDS_EFORMAT;
nomem:
	str_fmt(c->err, c->errlen, "out of memory");
	return XDS_ENOMEM;
}

static int
add_item(void *arg, const char *item, size_t n, int quoted)
{
	struct addctx *c = arg;
	struct sqp_param *p = c->p;
	struct sqp_value *nv, v;
	int rc;

	if (c->set->nvalues >= SQP_MAX_VALUES) {
		str_fmt(c->err, c->errlen, "more than %d parameter values",
		    SQP_MAX_VALUES);
		return XDS_ETOOBIG;
	}
	if (!(p->def->flags & SQP_MULTI) && p->nv > 0) {
		str_fmt(c->err, c->errlen, "%s takes a single value",
		    p->def->name);
		return SQP_ENUMBER;
	}
	if (p->nv >= SQP_MAX_PARAM_VALUES) {
		str_fmt(c->err, c->errlen, "%s: more than %d values",
		    p->def->name, SQP_MAX_PARAM_VALUES);
		return XDS_ETOOBIG;
	}
	if ((rc = typed_value(c, item, n, quoted, &v)) != XDS_OK) {
		free(v.str);
		free(v.scheme);
		return rc;
	}
	if ((nv = realloc(p->v, (p->nv + 1) * sizeof *nv)) == NULL) {
		free(v.str);
		free(v.scheme);
		str_fmt(c->err, c->errlen, "out of memory");
		return XDS_ENOMEM;
	}
	p->v = nv;
	p->v[p->nv++] = v;
	c->set->nvalues++;
	return XDS_OK;
}

static int
param_index(const struct sqp_query *q, const char *name)
{
	size_t i;

	for (i = 0; i < q->nparams; i++)
		if (strcmp(q->params[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int
add_slot(struct sqp_set *set, const struct sqp_slot *sl, char *err,
    size_t errlen)
{
	struct addctx c;
	size_t i;
	int k, rc;

	/*
	 * A parameter the query does not define is ignored: "extra,
	 * not-understood parameters are always acceptable" (NIST 11897
	 * practicesetting_scheme, which still sends the obsolete
	 * $XDSDocumentEntryPracticeSettingCodeScheme next to a CE-form code).
	 */
	if ((k = param_index(set->q, sl->name)) < 0)
		return XDS_OK;
	c.set = set;
	c.p = &set->p[k];
	c.err = err;
	c.errlen = errlen;
	if (c.p->ngroups > 0 && !(c.p->def->flags & SQP_REPEAT)) {
		str_fmt(err, errlen, "%s given in more than one slot",
		    c.p->def->name);
		return SQP_ENUMBER;
	}
	c.group = c.p->ngroups++;
	if (sl->nvalues == 0) {
		str_fmt(err, errlen, "%s has no value", c.p->def->name);
		return XDS_EFORMAT;
	}
	for (i = 0; i < sl->nvalues; i++) {
		rc = sqp_split(sl->values[i], strlen(sl->values[i]), add_item,
		    &c, err, errlen);
		if (rc != XDS_OK)
			return rc;
	}
	return XDS_OK;
}

/* Required parameters present, exclusive groups respected. */
static int
check_presence(const struct sqp_set *set, char *err, size_t errlen)
{
	const struct sqp_query *q = set->q;
	size_t i, j;
	int given, required;

	for (i = 0; i < q->nparams; i++) {
		const struct sqp_def *d = &q->params[i];

		if (d->group == 0) {
			if ((d->flags & SQP_REQ) && set->p[i].nv == 0) {
				str_fmt(err, errlen, "%s requires %s", q->name,
				    d->name);
				return SQP_EMISSING;
			}
			continue;
		}
		given = required = 0;
		for (j = 0; j < q->nparams; j++) {
			if (q->params[j].group != d->group)
				continue;
			given += set->p[j].nv > 0;
			required |= (q->params[j].flags & SQP_REQ) != 0;
		}
		if (given > 1) {
			str_fmt(err, errlen, "%s: give only one of the "
			    "parameters that identify the object (%s and "
			    "others given)", q->name, d->name);
			return SQP_ENUMBER;
		}
		if (given == 0 && required) {
			str_fmt(err, errlen, "%s requires %s or an alternative "
			    "identifying parameter", q->name, d->name);
			return SQP_EMISSING;
		}
	}
	return XDS_OK;
}

int
sqp_parse(const struct sqp_query *q, const struct sqp_slot *slots,
    size_t nslots, struct sqp_set *out, char *err, size_t errlen)
{
	size_t i;
	int rc;

	memset(out, 0, sizeof *out);
	out->q = q;
	if ((out->p = calloc(q->nparams, sizeof *out->p)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return XDS_ENOMEM;
	}
	for (i = 0; i < q->nparams; i++)
		out->p[i].def = &q->params[i];
	if (nslots > SQP_MAX_SLOTS) {
		str_fmt(err, errlen, "more than %d slots", SQP_MAX_SLOTS);
		return XDS_ETOOBIG;
	}
	for (i = 0; i < nslots; i++)
		if ((rc = add_slot(out, &slots[i], err, errlen)) != XDS_OK)
			return rc;
	return check_presence(out, err, errlen);
}

void
sqp_free(struct sqp_set *set)
{
	size_t i, j;

	if (set->p != NULL && set->q != NULL)
		for (i = 0; i < set->q->nparams; i++) {
			for (j = 0; j < set->p[i].nv; j++) {
				free(set->p[i].v[j].str);
				free(set->p[i].v[j].scheme);
			}
			free(set->p[i].v);
		}
	free(set->p);
	memset(set, 0, sizeof *set);
}

const struct sqp_param *
sqp_get(const struct sqp_set *set, const char *name)
{
	int k;

	if (set->q == NULL || set->p == NULL ||
	    (k = param_index(set->q, name)) < 0 || set->p[k].nv == 0)
		return NULL;
	return &set->p[k];
}

const char *
sqp_str(const struct sqp_set *set, const char *name)
{
	const struct sqp_param *p = sqp_get(set, name);

	return p != NULL ? p->v[0].str : NULL;
}

int
sqp_metadata_level(const struct sqp_set *set)
{
	const struct sqp_param *p = sqp_get(set, SQP_METADATALEVEL);

	return p != NULL && p->v[0].num == 2 ? 2 : 1;
}
