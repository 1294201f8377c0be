/*
 * test_gateway_dir.c: the community directory (gateway/directory.h):
 * every field rule of a static directory line, comments and settings,
 * each error with its reason, the file (file:line errors, duplicates,
 * this node's own community left out), look-ups, dir_each, the empty
 * directory, and look-ups from several threads at once.
 */
#include "config.h"

#include "cutest.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "directory.h"
#include "status.h"
#include "str.h"
#include "testutil.h"

#define HCID_A	"urn:oid:2.16.840.1.113883.2.4.3.1"
#define HCID_B	"urn:oid:2.16.840.1.113883.2.4.3.2"
#define HCID_C	"urn:oid:2.16.840.1.113883.2.4.3.3"
#define HCID_OWN "urn:oid:1.3.6.1.4.1.21367.13.70.1"	/* the default */

static char tmpdir[512];

static int
suite_init(void)
{
	return testutil_tmpdir("gwdir", tmpdir, sizeof tmpdir);
}

static int
suite_clean(void)
{
	return testutil_rmtree(tmpdir);
}

/* ---- one line ----------------------------------------------------- */

static void
test_line_fields(void)
{
	struct dir_community c;
	char err[256];

	CU_ASSERT_EQUAL(dir_parse_line(HCID_A " https://gw.a.example/xca/rg "
	    "12345678 Ziekenhuis A", &c, err, sizeof err), 1);
	CU_ASSERT_STRING_EQUAL(c.hcid, HCID_A);
	CU_ASSERT_STRING_EQUAL(c.url, "https://gw.a.example/xca/rg");
	CU_ASSERT_STRING_EQUAL(c.ura, "12345678");
	CU_ASSERT_STRING_EQUAL(c.name, "Ziekenhuis A");
	CU_ASSERT_EQUAL(c.max_documents, 0);
	CU_ASSERT_EQUAL(c.timeout, 0);
	CU_ASSERT_EQUAL(c.concurrency, 0);
	CU_ASSERT_STRING_EQUAL(c.dicom, "");
	CU_ASSERT_STRING_EQUAL(c.xdr, "");

	/* "-": no URA; plain HTTP to loopback; a name of several fields
	 * joined by one space; white space of any kind around fields */
	CU_ASSERT_EQUAL(dir_parse_line("\t " HCID_B "\thttp://127.0.0.1:8080/"
	    "xca/rg  -   Huisartsen\t\tpost   Oost  \r", &c, err, sizeof err),
	    1);
	CU_ASSERT_STRING_EQUAL(c.url, "http://127.0.0.1:8080/xca/rg");
	CU_ASSERT_STRING_EQUAL(c.ura, "");
	CU_ASSERT_STRING_EQUAL(c.name, "Huisartsen post Oost");

	/* UTF-8 in the name; '#' inside a field is no comment */
	CU_ASSERT_EQUAL(dir_parse_line(HCID_A " https://[::1]/rg - Zorg#1 "
	    "Kliniek \xc3\x89\xc3\xa9n", &c, err, sizeof err), 1);
	CU_ASSERT_STRING_EQUAL(c.name, "Zorg#1 Kliniek \xc3\x89\xc3\xa9n");
}

static void
test_line_settings(void)
{
	struct dir_community c;
	char err[256];

	CU_ASSERT_EQUAL(dir_parse_line(HCID_A " https://gw.a.example/rg "
	    "12345678 timeout=5 max_documents=10000 concurrency=1024 "
	    "dicom=PACS@pacs.a.example:104 xdr=https://xdr.a.example/x "
	    "Ziekenhuis A", &c, err, sizeof err), 1);
	CU_ASSERT_EQUAL(c.max_documents, 10000);
	CU_ASSERT_EQUAL(c.timeout, 5);
	CU_ASSERT_EQUAL(c.concurrency, 1024);
	CU_ASSERT_STRING_EQUAL(c.dicom, "PACS@pacs.a.example:104");
	CU_ASSERT_STRING_EQUAL(c.xdr, "https://xdr.a.example/x");
	CU_ASSERT_STRING_EQUAL(c.name, "Ziekenhuis A");

	/* push: a DICOM node and an XDR recipient, nothing else */
	CU_ASSERT_EQUAL(dir_parse_line("urn:oid:2.16.528.1.1007.3.3.7002.1 "
	    "https://b.example:8443/xca/responding 00007002 "
	    "dicom=TWIIN@b.example:11113 "
	    "xdr=https://b.example:8443/xdr/recipient Ziekenhuis B", &c, err,
	    sizeof err), 1);
	CU_ASSERT_STRING_EQUAL(c.ura, "00007002");
	CU_ASSERT_STRING_EQUAL(c.dicom, "TWIIN@b.example:11113");
	CU_ASSERT_STRING_EQUAL(c.xdr, "https://b.example:8443/xdr/recipient");
	CU_ASSERT_STRING_EQUAL(c.name, "Ziekenhuis B");
	CU_ASSERT_EQUAL(c.max_documents, 0);
	CU_ASSERT_EQUAL(c.timeout, 0);

	/* push only: no community, no gateway, found by its URA */
	CU_ASSERT_EQUAL(dir_parse_line("- - 00007003 "
	    "xdr=https://c.example/xdr/recipient Kliniek C", &c, err,
	    sizeof err), 1);
	CU_ASSERT_STRING_EQUAL(c.hcid, "");
	CU_ASSERT_STRING_EQUAL(c.url, "");
	CU_ASSERT_STRING_EQUAL(c.ura, "00007003");
	CU_ASSERT_STRING_EQUAL(c.xdr, "https://c.example/xdr/recipient");
	CU_ASSERT_EQUAL(dir_parse_line(HCID_A " - - dicom=PACS@c.example:104 "
	    "Kliniek C", &c, err, sizeof err), 1);
	CU_ASSERT_STRING_EQUAL(c.hcid, HCID_A);
	CU_ASSERT_STRING_EQUAL(c.url, "");
	CU_ASSERT_EQUAL(dir_parse_line("- https://gw.c.example/rg 00007003 C",
	    &c, err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "needs the home community id"));
	CU_ASSERT_EQUAL(dir_parse_line("- - - xdr=https://c.example/x C", &c,
	    err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "nothing to find it by"));
	CU_ASSERT_EQUAL(dir_parse_line(HCID_A " - 00007003 Kliniek C", &c,
	    err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "nothing to reach"));

	CU_ASSERT_EQUAL(dir_parse_line(HCID_A " https://gw.a.example/rg - "
	    "max_documents=1 timeout=3600 concurrency=1 B", &c, err,
	    sizeof err), 1);
	CU_ASSERT_EQUAL(c.max_documents, 1);
	CU_ASSERT_EQUAL(c.timeout, 3600);
	CU_ASSERT_EQUAL(c.concurrency, 1);
	CU_ASSERT_STRING_EQUAL(c.name, "B");
	/* a '=' in a later word of the name is the name's */
	CU_ASSERT_EQUAL(dir_parse_line(HCID_A " https://gw.a.example/rg - "
	    "A a=b", &c, err, sizeof err), 1);
	CU_ASSERT_STRING_EQUAL(c.name, "A a=b");
}

static void
test_line_comments(void)
{
	struct dir_community c;
	char err[256];

	CU_ASSERT_EQUAL(dir_parse_line("", &c, err, sizeof err), 0);
	CU_ASSERT_EQUAL(dir_parse_line(" \t \r", &c, err, sizeof err), 0);
	CU_ASSERT_EQUAL(dir_parse_line("# the communities of the region", &c,
	    err, sizeof err), 0);
	CU_ASSERT_EQUAL(dir_parse_line("   #" HCID_A " https://a/ - A", &c,
	    err, sizeof err), 0);
	CU_ASSERT_EQUAL(dir_parse_line(HCID_A " https://gw.a.example/rg - "
	    "Ziekenhuis A # since 2026", &c, err, sizeof err), 1);
	CU_ASSERT_STRING_EQUAL(c.name, "Ziekenhuis A");
	CU_ASSERT_EQUAL(dir_parse_line(HCID_A " https://gw.a.example/rg - "
	    "Ziekenhuis A #", &c, err, sizeof err), 1);
	CU_ASSERT_STRING_EQUAL(c.name, "Ziekenhuis A");
	/* the signature of the assertions sent there */
	CU_ASSERT_EQUAL(dir_parse_line(HCID_A " https://gw.a.example/rg - "
	    "xua_alg=rsa-sha1 Ziekenhuis A", &c, err, sizeof err), 1);
	CU_ASSERT_STRING_EQUAL(c.xua_alg, "rsa-sha1");
	CU_ASSERT_EQUAL(dir_parse_line(HCID_A " https://gw.a.example/rg - "
	    "Ziekenhuis A", &c, err, sizeof err), 1);
	CU_ASSERT_STRING_EQUAL(c.xua_alg, "");
	/* a comment before the name leaves the line without one */
	CU_ASSERT_EQUAL(dir_parse_line(HCID_A " https://gw.a.example/rg - "
	    "timeout=5 # A", &c, err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no name"));
}

/* A line: prefix, n times c, suffix (malloc'd). */
static char *
long_line(const char *prefix, int c, size_t n, const char *suffix)
{
	size_t pn = strlen(prefix), sn = strlen(suffix);
	char *s = malloc(pn + n + sn + 1);

	if (s == NULL)
		return NULL;
	memcpy(s, prefix, pn);
	memset(s + pn, c, n);
	memcpy(s + pn + n, suffix, sn + 1);
	return s;
}

static void
test_line_errors(void)
{
	static const struct {
		const char	*line;
		const char	*reason;
	} bad[] = {
		{ "2.16.840.1 https://a.example/ - A", "urn:oid:" },
		{ "urn:oid: https://a.example/ - A", "urn:oid:" },
		{ "URN:OID:1.2 https://a.example/ - A", "urn:oid:" },
		{ "urn:oid:1.02 https://a.example/ - A", "leading zero" },
		{ "urn:oid:1..2 https://a.example/ - A", "empty arc" },
		{ "urn:oid:1 https://a.example/ - A", "two arcs" },
		{ "urn:oid:1.2.x https://a.example/ - A", "digits" },
		{ HCID_A, "no gateway URL" },
		{ HCID_A " # x", "no gateway URL" },
		{ HCID_A " ftp://a.example/ - A", "not an http(s) URL" },
		{ HCID_A " http://a.example/rg - A", "required off loopback" },
		{ HCID_A " https://u@a.example/rg - A", "required off loopback" },
		{ HCID_A " https:///rg - A", "no host" },
		{ HCID_A " https://a.example/", "no URA" },
		{ HCID_A " https://a.example/ 1234567 A", "URA \"1234567\"" },
		{ HCID_A " https://a.example/ 123456789 A", "8 digits" },
		{ HCID_A " https://a.example/ 1234567x A", "8 digits" },
		{ HCID_A " https://a.example/ -- A", "8 digits" },
		{ HCID_A " https://a.example/ 12345678", "no name" },
		{ HCID_A " https://a.example/ - timeout=5", "no name" },
		{ HCID_A " https://a.example/ - max_docs=5 A",
		  "unknown setting \"max_docs\"" },
		{ HCID_A " https://a.example/ - =5 A", "unknown setting \"\"" },
		{ HCID_A " https://a.example/ - timeout=5 timeout=6 A",
		  "timeout given twice" },
		{ HCID_A " https://a.example/ - timeout= A", "timeout: no value" },
		{ HCID_A " https://a.example/ - xua_alg=rsa-md5 A",
		  "xua_alg \"rsa-md5\" is not rsa-sha256, rsa-sha1 or "
		  "ecdsa-sha256" },
		{ HCID_A " https://a.example/ - timeout=0 A",
		  "timeout \"0\" is not a number from 1 to 3600" },
		{ HCID_A " https://a.example/ - timeout=3601 A", "1 to 3600" },
		{ HCID_A " https://a.example/ - timeout=+5 A", "1 to 3600" },
		{ HCID_A " https://a.example/ - timeout=5s A", "1 to 3600" },
		{ HCID_A " https://a.example/ - max_documents=0 A",
		  "1 to 10000" },
		{ HCID_A " https://a.example/ - max_documents=10001 A",
		  "1 to 10000" },
		{ HCID_A " https://a.example/ - concurrency=1025 A",
		  "1 to 1024" },
		{ HCID_A " https://a.example/ - concurrency=99999999999999999999"
		  " A", "1 to 1024" },
		{ HCID_A " https://a.example/ - dicom=PACS A",
		  "dicom \"PACS\" is not AE@host:port" },
		{ HCID_A " https://a.example/ - dicom=PACS@h:0 A",
		  "AE@host:port" },
		{ HCID_A " https://a.example/ - dicom=ABCDEFGHIJKLMNOPQ@h:104 A",
		  "AE@host:port" },
		{ HCID_A " https://a.example/ - xdr=http://x.example/ A",
		  "xdr: http://x.example/: https://" },
		{ HCID_A " https://a.example/ - A timeout=5",
		  "setting \"timeout=5\" after the name" },
		{ HCID_A " https://a.example/ - A\x01", "control character" },
		{ HCID_A " https://a.example/ - A\x7f", "control character" },
		{ HCID_A " https://a.example/ - A\xc3", "not UTF-8 at byte" },
		{ HCID_A " https://a.example/ - A\xc0\xaf", "not UTF-8" },
		{ HCID_A " https://a.example/ - A\xed\xa0\x80", "not UTF-8" },
		{ HCID_A " https://a.example/ - A\xf5\x80\x80\x80", "not UTF-8" },
	};
	struct dir_community c;
	char err[256];
	size_t i;

	for (i = 0; i < NELEM(bad); i++) {
		err[0] = '\0';
		if (dir_parse_line(bad[i].line, &c, err, sizeof err) != -1 ||
		    strstr(err, bad[i].reason) == NULL)
			fprintf(stderr, "\n%s: \"%s\", not \"%s\"\n",
			    bad[i].line, err, bad[i].reason);
		CU_ASSERT_EQUAL(dir_parse_line(bad[i].line, &c, err,
		    sizeof err), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].reason));
		CU_ASSERT_STRING_EQUAL(c.hcid, "");	/* nothing half */
	}
}

/* Each field at its bound and one past it. */
static void
test_line_limits(void)
{
	struct dir_community c;
	char err[256], oid[80], line[1024];
	char *s;
	int i;

	/* a home community id of DIR_HCID_MAX - 1 characters fits */
	str_lcpy(oid, "1", sizeof oid);
	for (i = 0; strlen(oid) + 2 <= DIR_HCID_MAX - 1 - 8; i++)
		str_lcat(oid, ".1", sizeof oid);
	if (strlen(oid) < DIR_HCID_MAX - 1 - 8)
		str_lcat(oid, "1", sizeof oid);
	CU_ASSERT_EQUAL(strlen(oid), DIR_HCID_MAX - 1 - 8);
	str_fmt(line, sizeof line, "urn:oid:%s https://a.example/ - A", oid);
	CU_ASSERT_EQUAL(dir_parse_line(line, &c, err, sizeof err), 1);
	CU_ASSERT_EQUAL(strlen(c.hcid), DIR_HCID_MAX - 1);
	str_lcat(oid, "1", sizeof oid);
	str_fmt(line, sizeof line, "urn:oid:%s https://a.example/ - A", oid);
	/* one more: past the 64 characters an OID may have (refused as an
	 * OID, before it could overflow the field) */
	CU_ASSERT_EQUAL(dir_parse_line(line, &c, err, sizeof err), -1);
	CU_ASSERT(strstr(err, "home community id") != NULL);

	/* "https://a.example/" is 18 characters */
	s = long_line(HCID_A " https://a.example/", 'x', DIR_URL_MAX - 1 - 18,
	    " - A");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(dir_parse_line(s, &c, err, sizeof err), 1);
	CU_ASSERT_EQUAL(strlen(c.url), DIR_URL_MAX - 1);
	free(s);
	s = long_line(HCID_A " https://a.example/", 'x', DIR_URL_MAX - 18,
	    " - A");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(dir_parse_line(s, &c, err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "gateway URL longer than 511"));
	free(s);

	s = long_line(HCID_A " https://a.example/ - ", 'n', DIR_NAME_MAX - 1,
	    "");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(dir_parse_line(s, &c, err, sizeof err), 1);
	CU_ASSERT_EQUAL(strlen(c.name), DIR_NAME_MAX - 1);
	free(s);
	s = long_line(HCID_A " https://a.example/ - ", 'n', DIR_NAME_MAX, "");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(dir_parse_line(s, &c, err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "name longer than 255"));
	free(s);

	/* "AE@" + host + ":104" */
	s = long_line(HCID_A " https://a.example/ - dicom=AE@", 'h',
	    DIR_AE_MAX - 1 - 3 - 4, ":104 A");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(dir_parse_line(s, &c, err, sizeof err), 1);
	CU_ASSERT_EQUAL(strlen(c.dicom), DIR_AE_MAX - 1);
	free(s);
	s = long_line(HCID_A " https://a.example/ - dicom=AE@", 'h',
	    DIR_AE_MAX - 3 - 4, ":104 A");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(dir_parse_line(s, &c, err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "dicom longer than 95"));
	free(s);
}

/* ---- the file ----------------------------------------------------- */

/* A directory file of text in tmpdir; its path in path. */
static void
dir_file(const char *name, const char *text, char *path, size_t pathsz)
{
	str_fmt(path, pathsz, "%s/%s", tmpdir, name);
	CU_ASSERT_EQUAL_FATAL(testutil_write_text(path, text), 0);
}

/* dir_open of the static file path ("" for none). */
static int
open_file(const char *path, struct directory **d, char *err, size_t errlen)
{
	struct conf c;

	conf_defaults(&c);
	CU_ASSERT_EQUAL_FATAL(conf_set(&c, "directory.file", path, err,
	    errlen), 0);
	return dir_open(&c, d, err, errlen);
}

static const char communities[] =
    "# communities of the region\n"
    "\n"
    HCID_B " https://gw.b.example/xca/rg 22222222 timeout=10 "
    "Ziekenhuis B\n"
    "   \t\n"
    HCID_OWN " https://gw.own.example/xca/rg 99999999 This node\n"
    HCID_A " https://gw.a.example/xca/rg - max_documents=50 "
    "Huisartsen A # no URA\n"
    HCID_C " https://gw.c.example/xca/rg 33333333 Kliniek C";	/* no \n */

struct collect {
	char	hcids[4][DIR_HCID_MAX];
	int	n;
	int	stop_at;	/* return 7 after that many; 0: never */
};

static int
collect(void *arg, const struct dir_community *c)
{
	struct collect *co = arg;

	if (co->n < 4)
		str_lcpy(co->hcids[co->n], c->hcid, sizeof co->hcids[0]);
	co->n++;
	return co->stop_at != 0 && co->n == co->stop_at ? 7 : 0;
}

/* Organisations reached by push only, beside a community: found by
 * URA, never by an empty home community id, two without one allowed. */
static void
test_file_push_only(void)
{
	static const char text[] =
	    HCID_B " https://gw.b.example/xca/rg 22222222 Ziekenhuis B\n"
	    "- - 44444444 xdr=https://d.example/xdr Kliniek D\n"
	    "- - 55555555 dicom=PACS@e.example:104 Kliniek E\n";
	struct directory *d = NULL;
	struct dir_community c;
	struct collect co;
	char path[1024], err[512];

	dir_file("push-only", text, path, sizeof path);
	CU_ASSERT_EQUAL_FATAL(open_file(path, &d, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(dir_by_ura(d, "44444444", &c, err, sizeof err),
	    XDS_OK);
	CU_ASSERT_STRING_EQUAL(c.hcid, "");
	CU_ASSERT_STRING_EQUAL(c.xdr, "https://d.example/xdr");
	CU_ASSERT_EQUAL(dir_by_ura(d, "55555555", &c, err, sizeof err),
	    XDS_OK);
	CU_ASSERT_STRING_EQUAL(c.dicom, "PACS@e.example:104");
	CU_ASSERT_EQUAL(dir_by_hcid(d, "", &c, err, sizeof err),
	    XDS_ENOTFOUND);
	CU_ASSERT_EQUAL(dir_by_hcid(d, HCID_B, &c, err, sizeof err), XDS_OK);
	memset(&co, 0, sizeof co);
	CU_ASSERT_EQUAL(dir_each(d, collect, &co, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(co.n, 3);
	dir_close(d);
}

static void
test_file_lookups(void)
{
	struct directory *d = NULL;
	struct dir_community c;
	struct collect co;
	char path[1024], want[1100], err[512];

	dir_file("communities", communities, path, sizeof path);
	CU_ASSERT_EQUAL_FATAL(open_file(path, &d, err, sizeof err), XDS_OK);
	str_fmt(want, sizeof want, "static: %s (3 communities)", path);
	CU_ASSERT_STRING_EQUAL(dir_describe(d), want);

	CU_ASSERT_EQUAL(dir_by_hcid(d, HCID_A, &c, err, sizeof err), XDS_OK);
	CU_ASSERT_STRING_EQUAL(c.name, "Huisartsen A");
	CU_ASSERT_STRING_EQUAL(c.ura, "");
	CU_ASSERT_EQUAL(c.max_documents, 50);
	CU_ASSERT_EQUAL(dir_by_hcid(d, HCID_C, &c, err, sizeof err), XDS_OK);
	CU_ASSERT_STRING_EQUAL(c.url, "https://gw.c.example/xca/rg");
	CU_ASSERT_EQUAL(dir_by_ura(d, "22222222", &c, err, sizeof err),
	    XDS_OK);
	CU_ASSERT_STRING_EQUAL(c.hcid, HCID_B);
	CU_ASSERT_EQUAL(c.timeout, 10);
	CU_ASSERT_EQUAL(dir_by_ura(d, "33333333", &c, err, sizeof err),
	    XDS_OK);
	CU_ASSERT_STRING_EQUAL(c.name, "Kliniek C");

	CU_ASSERT_EQUAL(dir_by_hcid(d, "urn:oid:1.2.3", &c, err, sizeof err),
	    XDS_ENOTFOUND);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "urn:oid:1.2.3"));
	CU_ASSERT_EQUAL(dir_by_ura(d, "12345678", &c, err, sizeof err),
	    XDS_ENOTFOUND);
	CU_ASSERT_EQUAL(dir_by_ura(d, "", &c, err, sizeof err),
	    XDS_ENOTFOUND);
	CU_ASSERT_EQUAL(dir_by_ura(d, "-", &c, err, sizeof err),
	    XDS_ENOTFOUND);
	/* this node's own community is checked, not listed */
	CU_ASSERT_EQUAL(dir_by_hcid(d, HCID_OWN, &c, err, sizeof err),
	    XDS_ENOTFOUND);
	CU_ASSERT_EQUAL(dir_by_ura(d, "99999999", &c, err, sizeof err),
	    XDS_ENOTFOUND);
	CU_ASSERT_EQUAL(dir_by_hcid(NULL, HCID_A, &c, err, sizeof err),
	    XDS_EINVAL);

	/* the file's order, and an early stop returns fn's value */
	memset(&co, 0, sizeof co);
	CU_ASSERT_EQUAL(dir_each(d, collect, &co, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(co.n, 3);
	CU_ASSERT_STRING_EQUAL(co.hcids[0], HCID_B);
	CU_ASSERT_STRING_EQUAL(co.hcids[1], HCID_A);
	CU_ASSERT_STRING_EQUAL(co.hcids[2], HCID_C);
	memset(&co, 0, sizeof co);
	co.stop_at = 2;
	CU_ASSERT_EQUAL(dir_each(d, collect, &co, err, sizeof err), 7);
	CU_ASSERT_EQUAL(co.n, 2);
	dir_close(d);
	dir_close(NULL);
}

static void
test_file_crlf(void)
{
	struct directory *d = NULL;
	struct dir_community c;
	char path[1024], err[512];

	dir_file("crlf", "# dos\r\n\r\n" HCID_A " https://a.example/ - A\r\n"
	    HCID_B " https://b.example/ 22222222 B b\r\n", path, sizeof path);
	CU_ASSERT_EQUAL_FATAL(open_file(path, &d, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(dir_by_ura(d, "22222222", &c, err, sizeof err),
	    XDS_OK);
	CU_ASSERT_STRING_EQUAL(c.name, "B b");
	dir_close(d);
}

static void
test_file_empty(void)
{
	struct directory *d = NULL;
	struct dir_community c;
	struct collect co;
	char path[1024], want[1100], err[512];

	CU_ASSERT_EQUAL_FATAL(open_file("", &d, err, sizeof err), XDS_OK);
	CU_ASSERT_STRING_EQUAL(dir_describe(d),
	    "static: no directory.file (0 communities)");
	memset(&co, 0, sizeof co);
	CU_ASSERT_EQUAL(dir_each(d, collect, &co, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(co.n, 0);
	CU_ASSERT_EQUAL(dir_by_hcid(d, HCID_A, &c, err, sizeof err),
	    XDS_ENOTFOUND);
	CU_ASSERT_EQUAL(dir_by_ura(d, "12345678", &c, err, sizeof err),
	    XDS_ENOTFOUND);
	dir_close(d);

	dir_file("empty", "", path, sizeof path);
	CU_ASSERT_EQUAL_FATAL(open_file(path, &d, err, sizeof err), XDS_OK);
	str_fmt(want, sizeof want, "static: %s (0 communities)", path);
	CU_ASSERT_STRING_EQUAL(dir_describe(d), want);
	dir_close(d);

	/* only the own community, and comments */
	dir_file("own", "# just us\n" HCID_OWN " https://o.example/ - Us\n",
	    path, sizeof path);
	CU_ASSERT_EQUAL_FATAL(open_file(path, &d, err, sizeof err), XDS_OK);
	str_fmt(want, sizeof want, "static: %s (0 communities)", path);
	CU_ASSERT_STRING_EQUAL(dir_describe(d), want);
	dir_close(d);

	dir_file("one", HCID_A " https://a.example/ - A\n", path, sizeof path);
	CU_ASSERT_EQUAL_FATAL(open_file(path, &d, err, sizeof err), XDS_OK);
	str_fmt(want, sizeof want, "static: %s (1 community)", path);
	CU_ASSERT_STRING_EQUAL(dir_describe(d), want);
	dir_close(d);
}

/* Opening fails with st, and err holds want after the file's path. */
static void
open_fails(const char *name, const char *text, int st, const char *want)
{
	struct directory *d = (struct directory *)1;
	char path[1024], pre[1100], err[512];

	dir_file(name, text, path, sizeof path);
	err[0] = '\0';
	CU_ASSERT_EQUAL(open_file(path, &d, err, sizeof err), st);
	CU_ASSERT_PTR_NULL(d);
	str_fmt(pre, sizeof pre, "%s:%s", path, want);
	if (strncmp(err, pre, strlen(pre)) != 0)
		fprintf(stderr, "\n%s: \"%s\", not \"%s\"\n", name, err, pre);
	CU_ASSERT_EQUAL(strncmp(err, pre, strlen(pre)), 0);
}

static void
test_file_errors(void)
{
	struct directory *d = NULL;
	struct conf c;
	char err[512], path[1024];
	char *s;

	open_fails("bad", "# one\n" HCID_A " https://a.example/ - A\n\n"
	    HCID_B " https://b.example/ 2222 B\n", XDS_EFORMAT,
	    "4: URA \"2222\" is neither 8 digits nor -");
	open_fails("badkey", "# push\n" HCID_A " https://a.example/ - "
	    "xdr=https://x.a.example/xdr color=blue A\n", XDS_EFORMAT,
	    "2: unknown setting \"color\" (max_documents, timeout, ");
	open_fails("badxdr", HCID_A " https://a.example/ - A\n"
	    HCID_B " https://b.example/ - xdr=ftp://b.example/ B\n",
	    XDS_EFORMAT, "2: xdr: ");
	open_fails("noname", HCID_A " https://a.example/ 12345678\n",
	    XDS_EFORMAT, "1: no name");
	open_fails("duphcid", HCID_A " https://a.example/ - A\n"
	    HCID_B " https://b.example/ - B\n"
	    HCID_A " https://a2.example/ - A2\n", XDS_EEXIST,
	    "3: home community id " HCID_A " was given on line 1 already");
	open_fails("dupura", HCID_A " https://a.example/ 11111111 A\n"
	    HCID_B " https://b.example/ - B\n"
	    HCID_C " https://c.example/ - C\n"
	    "urn:oid:1.2.3 https://d.example/ 11111111 D\n", XDS_EEXIST,
	    "4: URA 11111111 was given on line 1 already");
	/* of several duplicates, the one first in the file */
	open_fails("dups", HCID_C " https://c.example/ - C\n"
	    HCID_A " https://a.example/ - A\n"
	    HCID_A " https://a.example/ - A again\n"
	    HCID_C " https://c.example/ - C again\n", XDS_EEXIST,
	    "3: home community id " HCID_A " was given on line 2 already");
	/* the own community's line counts too */
	open_fails("dupown", HCID_OWN " https://o.example/ 11111111 Us\n"
	    HCID_A " https://a.example/ 11111111 A\n", XDS_EEXIST,
	    "2: URA 11111111 was given on line 1 already");
	open_fails("dupown2", HCID_OWN " https://o.example/ - Us\n"
	    HCID_OWN " https://o.example/ - Us\n", XDS_EEXIST,
	    "2: home community id " HCID_OWN);
	open_fails("badown", HCID_OWN " http://o.example/ - Us\n", XDS_EFORMAT,
	    "1: gateway URL: http://o.example/: https://");

	/* a line longer than the bound, then a NUL byte */
	s = long_line("# ", 'x', 4096 - 2, "\n" HCID_A " https://a.example/ - A\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	dir_file("longok", s, path, sizeof path);
	CU_ASSERT_EQUAL(open_file(path, &d, err, sizeof err), XDS_OK);
	dir_close(d);
	d = NULL;
	free(s);
	s = long_line("# ", 'x', 4096 - 1, "\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	open_fails("long", s, XDS_ETOOBIG, "1: longer than 4096 bytes");
	free(s);
	str_fmt(path, sizeof path, "%s/nul", tmpdir);
	CU_ASSERT_EQUAL_FATAL(testutil_write_file(path, "# a\n#\0b\n", 8), 0);
	CU_ASSERT_EQUAL(open_file(path, &d, err, sizeof err), XDS_EFORMAT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "nul:2: a NUL byte"));

	str_fmt(path, sizeof path, "%s/absent", tmpdir);
	CU_ASSERT_EQUAL(open_file(path, &d, err, sizeof err), XDS_EIO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "absent"));
	CU_ASSERT_PTR_NULL(d);

	/* a back-end that does not exist (the option's check would refuse
	 * it; the interface does too) */
	conf_defaults(&c);
	str_lcpy(c.directory_backend, "ldap", sizeof c.directory_backend);
	CU_ASSERT_EQUAL(dir_open(&c, &d, err, sizeof err), XDS_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "ldap"));
	CU_ASSERT_PTR_NULL(d);
}

/* ---- readers at once ---------------------------------------------- */

#define READERS	4
#define ROUNDS	2000

static void *
reader(void *arg)
{
	struct directory *d = arg;
	struct dir_community c;
	char err[256];
	int i;

	for (i = 0; i < ROUNDS; i++)
		if (dir_by_ura(d, "33333333", &c, err, sizeof err) != XDS_OK ||
		    strcmp(c.hcid, HCID_C) != 0 ||
		    dir_by_hcid(d, HCID_B, &c, err, sizeof err) != XDS_OK ||
		    strcmp(c.name, "Ziekenhuis B") != 0)
			return (void *)1;
	return NULL;
}

static void
test_readers(void)
{
	struct directory *d = NULL;
	pthread_t t[READERS];
	char path[1024], err[512];
	void *ret;
	int i, started = 0, bad = 0;

	dir_file("readers", communities, path, sizeof path);
	CU_ASSERT_EQUAL_FATAL(open_file(path, &d, err, sizeof err), XDS_OK);
	for (i = 0; i < READERS; i++)
		if (pthread_create(&t[i], NULL, reader, d) == 0)
			started++;
	CU_ASSERT_EQUAL(started, READERS);
	for (i = 0; i < started; i++) {
		pthread_join(t[i], &ret);
		bad += ret != NULL;
	}
	CU_ASSERT_EQUAL(bad, 0);
	dir_close(d);
}

int
main(void)
{
	static const struct cutest line[] = {
		{ "fields", test_line_fields },
		{ "settings", test_line_settings },
		{ "comments", test_line_comments },
		{ "errors", test_line_errors },
		{ "limits", test_line_limits },
	};
	static const struct cutest file[] = {
		{ "look-ups", test_file_lookups },
		{ "push only", test_file_push_only },
		{ "crlf", test_file_crlf },
		{ "empty", test_file_empty },
		{ "errors", test_file_errors },
		{ "readers", test_readers },
	};
	static const struct cutest_suite suites[] = {
		{ "dir_line", NULL, NULL, line, NELEM(line) },
		{ "dir_file", suite_init, suite_clean, file, NELEM(file) },
	};

	return cutest_run_suites(suites, NELEM(suites));
}
