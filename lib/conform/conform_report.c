/*
 * conform_report.c: what a conformance run found, four ways: a table on
 * the terminal (test, result, reason), JUnit XML for CI, one HTML page
 * that stands alone (inline CSS, every exchange in a <details> element,
 * open for a failed test, no script, no external asset), and the exchanges as files for
 * evidence.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "conform.h"
#include "fileio.h"
#include "status.h"
#include "str.h"

static const char *
outcome_name(enum conform_outcome o)
{
	return o == CONFORM_PASS ? "pass" : o == CONFORM_FAIL ? "FAIL" : "skip";
}

void
conform_report_table(const struct conform_run *r, FILE *fp)
{
	size_t i, w = 4, pass, fail, skip;

	for (i = 0; i < r->ntests; i++)
		if (strlen(r->tests[i].name) > w)
			w = strlen(r->tests[i].name);
	fprintf(fp, "%-*s %-6s %s\n", (int)w, "TEST", "RESULT", "REASON");
	for (i = 0; i < r->ntests; i++)
		fprintf(fp, "%-*s %-6s %s\n", (int)w, r->tests[i].name,
		    outcome_name(r->res[i].outcome), r->res[i].reason);
	conform_run_counts(r, &pass, &fail, &skip);
	fprintf(fp, "%s at %s: %zu passed, %zu failed, %zu skipped\n",
	    r->o.actor, r->o.target, pass, fail, skip);
}

/* Text as XML character data: escaped, and control characters other
 * than tab and line ends (not allowed in XML 1.0) as '?'. */
static int
add_text(struct buf *b, const char *s, size_t n)
{
	size_t i, j;
	int rc = XDS_OK;

	for (i = j = 0; i < n && rc == XDS_OK; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *rep = NULL;

		if (c == '&')
			rep = "&amp;";
		else if (c == '<')
			rep = "&lt;";
		else if (c == '>')
			rep = "&gt;";
		else if (c == '"')
			rep = "&quot;";
		else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			rep = "?";
		if (rep == NULL)
			continue;
		rc = buf_add(b, s + j, i - j);
		if (rc == XDS_OK)
			rc = buf_adds(b, rep);
		j = i + 1;
	}
	if (rc == XDS_OK)
		rc = buf_add(b, s + j, n - j);
	return rc;
}

static int
add_str(struct buf *b, const char *s)
{
	return add_text(b, s, strlen(s));
}

static int
write_out(const char *path, const struct buf *b, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL) {
		str_fmt(err, errlen, "%s: %s", path, strerror(errno));
		return XDS_EIO;
	}
	if (fwrite(b->b_data, 1, b->b_len, fp) != b->b_len ||
	    fclose(fp) != 0) {
		str_fmt(err, errlen, "%s: cannot write", path);
		return XDS_EIO;
	}
	return XDS_OK;
}

/* The report built in b (rc: how building it went) written to path; b
 * freed. */
static int
finish(const char *path, struct buf *b, int rc, char *err, size_t errlen)
{
	if (rc != XDS_OK) {
		str_fmt(err, errlen, "%s: too big", path);
		rc = XDS_ETOOBIG;
	} else
		rc = write_out(path, b, err, errlen);
	buf_free(b);
	return rc;
}

int
conform_report_junit(const struct conform_run *r, const char *path,
    char *err, size_t errlen)
{
	struct buf b;
	size_t i, pass, fail, skip;
	int rc = XDS_OK;

	buf_init(&b, (size_t)1 << 30);
	conform_run_counts(r, &pass, &fail, &skip);
	rc |= buf_addf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<testsuites tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\" "
	    "time=\"%.3f\">\n<testsuite name=\"", r->ntests, fail, skip,
	    (double)r->ms / 1000);
	rc |= add_str(&b, r->o.actor);
	rc |= buf_addf(&b, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
	    "skipped=\"%zu\" timestamp=\"%s\" time=\"%.3f\" hostname=\"",
	    r->ntests, fail, skip, r->started, (double)r->ms / 1000);
	rc |= add_str(&b, r->o.target);
	rc |= buf_adds(&b, "\">\n");
	for (i = 0; i < r->ntests && rc == XDS_OK; i++) {
		const struct conform_result *res = &r->res[i];

		rc |= buf_adds(&b, "<testcase classname=\"conformance.");
		rc |= add_str(&b, r->o.actor);
		rc |= buf_adds(&b, "\" name=\"");
		rc |= add_str(&b, r->tests[i].name);
		rc |= buf_addf(&b, "\" time=\"%.3f\">", (double)res->ms / 1000);
		if (res->outcome == CONFORM_FAIL) {
			rc |= buf_adds(&b, "\n<failure message=\"");
			rc |= add_str(&b, res->reason);
			rc |= buf_adds(&b, "\" type=\"nonconformance\">");
			rc |= add_str(&b, r->tests[i].title);
			rc |= buf_adds(&b, "</failure>\n");
		} else if (res->outcome == CONFORM_SKIP) {
			rc |= buf_adds(&b, "<skipped message=\"");
			rc |= add_str(&b, res->reason);
			rc |= buf_adds(&b, "\"/>");
		}
		if (res->request.b_len > 0) {
			rc |= buf_adds(&b, "<system-out>");
			rc |= add_text(&b, res->request.b_data,
			    res->request.b_len);
			rc |= buf_adds(&b, "\n\n");
			rc |= add_text(&b, res->answer.b_data ?
			    res->answer.b_data : "", res->answer.b_len);
			rc |= buf_adds(&b, "</system-out>");
		}
		rc |= buf_adds(&b, "</testcase>\n");
	}
	rc |= buf_adds(&b, "</testsuite>\n</testsuites>\n");
	return finish(path, &b, rc, err, errlen);
}

static const char css[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}"
    "h1{font-size:1.4em}table{border-collapse:collapse;width:100%}"
    "td,th{border-bottom:1px solid #ddd;padding:.3em .6em;text-align:left;"
    "vertical-align:top}th{background:#f4f4f4}td:first-child{width:17em}"
    ".pass{color:#176b2c;font-weight:bold}.FAIL{color:#b00020;"
    "font-weight:bold}.skip{color:#8a6d00;font-weight:bold}"
    ".sum span{display:inline-block;margin-right:1.5em;padding:.2em .6em;"
    "border-radius:4px}.sum .p{background:#dff3e4}.sum .f{background:"
    "#fbe0e4}.sum .s{background:#fff4cc}"
    "details{margin:.2em 0}summary{cursor:pointer;color:#555}"
    "pre{background:#f8f8f8;border:1px solid #e5e5e5;padding:.5em;"
    "white-space:pre-wrap;word-break:break-all;max-height:30em;"
    "overflow:auto;font-size:12px}small{color:#666}";

int
conform_report_html(const struct conform_run *r, const char *path,
    char *err, size_t errlen)
{
	struct buf b;
	size_t i, pass, fail, skip;
	int rc = XDS_OK;

	buf_init(&b, (size_t)1 << 30);
	conform_run_counts(r, &pass, &fail, &skip);
	rc |= buf_adds(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\"><title>Conformance: ");
	rc |= add_str(&b, r->o.actor);
	rc |= buf_adds(&b, "</title><style>");
	rc |= buf_adds(&b, css);
	rc |= buf_adds(&b, "</style></head><body>\n<h1>Conformance of the ");
	rc |= add_str(&b, r->o.actor);
	rc |= buf_adds(&b, " at ");
	rc |= add_str(&b, r->o.target);
	rc |= buf_addf(&b, "</h1>\n<p class=\"sum\"><span class=\"p\">%zu "
	    "passed</span><span class=\"f\">%zu failed</span><span "
	    "class=\"s\">%zu skipped</span><small>%zu tests, started %s, "
	    "%.1f s; xdsctl %s</small></p>\n<table><tr><th>Test</th>"
	    "<th>Result</th><th>Reason</th></tr>\n", pass, fail, skip,
	    r->ntests, r->started, (double)r->ms / 1000, PACKAGE_VERSION);
	for (i = 0; i < r->ntests && rc == XDS_OK; i++) {
		const struct conform_result *res = &r->res[i];
		const char *o = outcome_name(res->outcome);

		rc |= buf_adds(&b, "<tr><td><b>");
		rc |= add_str(&b, r->tests[i].name);
		rc |= buf_adds(&b, "</b><br><small>");
		rc |= add_str(&b, r->tests[i].title);
		rc |= buf_addf(&b, "</small></td><td class=\"%s\">%s</td><td>",
		    o, o);
		rc |= add_str(&b, res->reason);
		if (res->request.b_len > 0) {
			/* a failure's exchange is open: it is what one
			 * reads next */
			rc |= buf_addf(&b, "<details%s><summary>",
			    res->outcome == CONFORM_FAIL ? " open" : "");
			rc |= add_str(&b, r->tests[i].send);
			rc |= buf_adds(&b, " to ");
			rc |= add_str(&b, res->url);
			rc |= buf_addf(&b, ": HTTP %d, %lld ms</summary>"
			    "<p><small>request, ", res->http_status, res->ms);
			rc |= add_str(&b, res->action ? res->action : "");
			rc |= buf_adds(&b, "</small></p><pre>");
			rc |= add_text(&b, res->request.b_data,
			    res->request.b_len);
			rc |= buf_adds(&b, "</pre><p><small>answer</small></p>"
			    "<pre>");
			rc |= add_text(&b, res->answer.b_data ?
			    res->answer.b_data : "", res->answer.b_len);
			rc |= buf_adds(&b, "</pre></details>");
		}
		rc |= buf_adds(&b, "</td></tr>\n");
	}
	rc |= buf_adds(&b, "</table>\n</body></html>\n");
	return finish(path, &b, rc, err, errlen);
}

int
conform_report_evidence(const struct conform_run *r, const char *dir,
    char *err, size_t errlen)
{
	char path[1024];
	size_t i;
	int rc;

	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		str_fmt(err, errlen, "%s: %s", dir, strerror(errno));
		return XDS_EIO;
	}
	for (i = 0; i < r->ntests; i++) {
		const struct conform_result *res = &r->res[i];

		if (res->request.b_len == 0)
			continue;
		str_fmt(path, sizeof path, "%s/%03zu-%s.request.xml", dir,
		    i + 1, r->tests[i].name);
		if ((rc = write_out(path, &res->request, err, errlen)) !=
		    XDS_OK)
			return rc;
		str_fmt(path, sizeof path, "%s/%03zu-%s.answer.xml", dir,
		    i + 1, r->tests[i].name);
		if ((rc = write_out(path, &res->answer, err, errlen)) !=
		    XDS_OK)
			return rc;
	}
	return XDS_OK;
}
