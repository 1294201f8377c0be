/*
 * ebrim_resp.c: registry error lists and rs:RegistryResponse (ebRS 3.0,
 * ITI TF-3 4.2.4).  Attribute order on rs:RegistryError follows the NIST
 * and IPF samples: errorCode, codeContext, location, severity.
 * highestSeverity on the list is Error when any entry is an error.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ebrim.h"
#include "str.h"
#include "vocab.h"
#include "xact.h"

/* Bounds: a list keeps at most RIM_ERRORS_MAX entries (rim_errors_add
 * returns XDS_ETOOBIG past it, the first ones are kept) and
 * codeContext is cut at RIM_ERROR_TEXT_MAX - 1 bytes. */
#define RIM_ERRORS_MAX		1000
#define RIM_ERROR_TEXT_MAX	1024

void
rim_errors_init(struct rim_errors *e)
{
	memset(e, 0, sizeof *e);
}

void
rim_errors_free(struct rim_errors *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->n; i++) {
		free(e->v[i].code);
		free(e->v[i].context);
		free(e->v[i].location);
	}
	free(e->v);
	memset(e, 0, sizeof *e);
}

int
rim_errors_add(struct rim_errors *e, int warning, const char *code,
    const char *location, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = rim_errors_vadd(e, warning, code, location, fmt, ap);
	va_end(ap);
	return rc;
}

int
rim_error(struct rim_errors *e, struct xact *x, const char *code,
    const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (x != NULL)
		xact_add_error(x, code);
	va_start(ap, fmt);
	rc = rim_errors_vadd(e, 0, code, NULL, fmt, ap);
	va_end(ap);
	return rc == XDS_ETOOBIG ? XDS_OK : rc;	/* full: the first ones stay */
}

int
rim_errors_vadd(struct rim_errors *e, int warning, const char *code,
    const char *location, const char *fmt, va_list ap)
{
	struct rim_error *v, *r;
	char text[RIM_ERROR_TEXT_MAX];
	size_t ncap;

	if (code == NULL || fmt == NULL)
		return XDS_EINVAL;
	if (e->n >= RIM_ERRORS_MAX)
		return XDS_ETOOBIG;
	if (e->n == e->cap) {
		ncap = e->cap ? e->cap * 2 : 8;
		if ((v = reallocarray(e->v, ncap, sizeof *v)) == NULL) {
			e->nomem = 1;
			return XDS_ENOMEM;
		}
		e->v = v;
		e->cap = ncap;
	}
	if (vsnprintf(text, sizeof text, fmt, ap) < 0)
		text[0] = '\0';
	r = &e->v[e->n];
	memset(r, 0, sizeof *r);
	r->warning = warning != 0;
	if ((r->code = str_ndup(code, strlen(code))) == NULL ||
	    (r->context = str_ndup(text, strlen(text))) == NULL ||
	    (location != NULL &&
	    (r->location = str_ndup(location, strlen(location))) == NULL)) {
		free(r->code);
		free(r->context);
		free(r->location);
		e->nomem = 1;
		return XDS_ENOMEM;
	}
	e->n++;
	return XDS_OK;
}

int
rim_errors_nerror(const struct rim_errors *e)
{
	size_t i;
	int n = 0;

	for (i = 0; i < e->n; i++)
		if (!e->v[i].warning)
			n++;
	return n;
}

static int
write_list(struct buf *b, const struct rim_errors *e, int declare_ns)
{
	size_t i;
	int rc;

	if (e == NULL || e->n == 0)
		return XDS_OK;
	if ((rc = buf_adds(b, "<rs:RegistryErrorList")) != XDS_OK ||
	    (declare_ns &&
	    (rc = buf_adds(b, " xmlns:rs=\"" NS_RS "\"")) != XDS_OK) ||
	    (rc = buf_addf(b, " highestSeverity=\"%s\">",
	    rim_errors_nerror(e) > 0 ? SEV_ERROR : SEV_WARNING)) != XDS_OK)
		return rc;
	for (i = 0; i < e->n; i++) {
		const struct rim_error *r = &e->v[i];

		if ((rc = buf_adds(b, "<rs:RegistryError errorCode=\"")) !=
		    XDS_OK ||
		    (rc = buf_add_xml(b, r->code)) != XDS_OK ||
		    (rc = buf_adds(b, "\" codeContext=\"")) != XDS_OK ||
		    (rc = buf_add_xml(b, r->context ? r->context : "")) !=
		    XDS_OK)
			return rc;
		if (r->location != NULL &&
		    ((rc = buf_adds(b, "\" location=\"")) != XDS_OK ||
		    (rc = buf_add_xml(b, r->location)) != XDS_OK))
			return rc;
		if ((rc = buf_addf(b, "\" severity=\"%s\"/>",
		    r->warning ? SEV_WARNING : SEV_ERROR)) != XDS_OK)
			return rc;
	}
	return buf_adds(b, "</rs:RegistryErrorList>");
}

static void
rollback(struct buf *b, size_t mark)
{
	b->b_len = mark;
	if (b->b_data != NULL)
		b->b_data[mark] = '\0';
}

int
rim_write_error_list(struct buf *out, const struct rim_errors *errs)
{
	size_t mark = out->b_len;
	int rc;

	if ((rc = write_list(out, errs, 1)) != XDS_OK) {
		rollback(out, mark);
		return rc;
	}
	return XDS_OK;
}

int
rim_write_registry_response(struct buf *out, const char *status,
    const struct rim_errors *errs)
{
	size_t mark = out->b_len;
	int rc;

	if (status == NULL)
		return XDS_EINVAL;
	if ((rc = buf_adds(out, "<rs:RegistryResponse xmlns:rs=\"" NS_RS
	    "\" status=\"")) != XDS_OK ||
	    (rc = buf_add_xml(out, status)) != XDS_OK ||
	    (rc = buf_adds(out, "\"")) != XDS_OK)
		goto fail;
	if (errs == NULL || errs->n == 0)
		rc = buf_adds(out, "/>");
	else if ((rc = buf_adds(out, ">")) == XDS_OK &&
	    (rc = write_list(out, errs, 0)) == XDS_OK)
		rc = buf_adds(out, "</rs:RegistryResponse>");
	if (rc != XDS_OK)
		goto fail;
	return XDS_OK;
fail:
	rollback(out, mark);
	return rc;
}

int
rim_write_query_response(struct buf *out, const char *status,
    const struct rim_errors *errs, const struct buf *objs)
{
	size_t mark = out->b_len;
	int rc;

	if (status == NULL)
		return XDS_EINVAL;
	if ((rc = buf_adds(out, "<query:AdhocQueryResponse xmlns:query=\""
	    NS_QUERY "\" xmlns:rim=\"" NS_RIM "\" status=\"")) != XDS_OK ||
	    (rc = buf_add_xml(out, status)) != XDS_OK ||
	    (rc = buf_adds(out, "\">")) != XDS_OK ||
	    (rc = write_list(out, errs, 1)) != XDS_OK)
		goto fail;
	if (objs == NULL || objs->b_len == 0)
		rc = buf_adds(out, "<rim:RegistryObjectList/>");
	else if ((rc = buf_adds(out, "<rim:RegistryObjectList>")) == XDS_OK &&
	    (rc = buf_add(out, objs->b_data, objs->b_len)) == XDS_OK)
		rc = buf_adds(out, "</rim:RegistryObjectList>");
	if (rc != XDS_OK ||
	    (rc = buf_adds(out, "</query:AdhocQueryResponse>")) != XDS_OK)
		goto fail;
	return XDS_OK;
fail:
	rollback(out, mark);
	return rc;
}

int
rim_write_retrieve_response(struct buf *out, const char *status,
    const struct rim_errors *errs, const struct buf *docs)
{
	size_t mark = out->b_len;
	int rc;

	if ((rc = buf_adds(out, "<xdsb:RetrieveDocumentSetResponse "
	    "xmlns:xdsb=\"" NS_XDSB "\">")) != XDS_OK ||
	    (rc = rim_write_registry_response(out, status, errs)) != XDS_OK ||
	    (docs != NULL && docs->b_len > 0 &&
	    (rc = buf_add(out, docs->b_data, docs->b_len)) != XDS_OK) ||
	    (rc = buf_adds(out, "</xdsb:RetrieveDocumentSetResponse>")) !=
	    XDS_OK) {
		rollback(out, mark);
		return rc;
	}
	return XDS_OK;
}
