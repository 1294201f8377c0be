/*
 * conform_testkit.c: test plans in the NIST XDS Toolkit's public format
 * (a test directory with index.idx naming its sections, each with a
 * testplan.xml of TestSteps and the message files they name) read into
 * conformance tests.  The stored-query steps whose message is ebRIM 3.0
 * (StoredQueryTransaction: ITI-18, XCQTransaction: ITI-38) are run with
 * their ExpectedStatus, ExpectedContents and the object counts and home
 * checks of their Assertions; $patient_id$ is the run's patient and
 * $home$ its home.  Other steps (registering in ebRIM 2.1, values taken
 * from other tests' logs) become tests skipped with the reason, so the
 * report shows what was not run.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libxml/tree.h>

#include "buf.h"
#include "conform.h"
#include "fileio.h"
#include "status.h"
#include "str.h"
#include "vocab.h"
#include "xml.h"

#define TK_DEPTH	3	/* collection / test / section */

struct tk {
	const char		*actor;
	struct conform_test	*t;
	size_t			 max, n;
};

static char *
tk_read(const char *path, size_t *len)
{
	char *p, e[8];

	return fileio_read_file(path, CONFORM_MAX_FILE, &p, len, e,
	    sizeof e) == XDS_OK ? p : NULL;
}

static int
is_el(const xmlNode *n, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE &&
	    strcmp((const char *)n->name, name) == 0;
}

static xmlNode *
child(xmlNode *n, const char *name)
{
	for (n = xml_first_elem(n); n != NULL; n = xml_next_elem(n))
		if (is_el(n, name))
			return n;
	return NULL;
}

static int
kv_add(struct conform_test *t, const char *key, const char *val)
{
	if (t->nkv >= CONFORM_MAX_KV)
		return XDS_ETOOBIG;
	if ((t->kv[t->nkv].key = strdup(key)) == NULL ||
	    (t->kv[t->nkv].val = strdup(val)) == NULL) {
		free(t->kv[t->nkv].key);
		t->kv[t->nkv].key = NULL;
		return XDS_ENOMEM;
	}
	t->nkv++;
	return XDS_OK;
}

/* NIST $tokens$ in the message: the run's values, or the first one that
 * names a value of another test (returned in other). */
static int
translate(const char *in, struct buf *out, char *other, size_t olen)
{
	static const struct { const char *from, *to; } tok[] = {
		{ "$patient_id$", "$patient" }, { "$patientid$", "$patient" },
		{ "$home$", "$home" },
	};
	const char *p = in, *q;
	size_t i;

	other[0] = '\0';
	/* an XML declaration before the element is not sent */
	if (strncmp(p, "<?xml", 5) == 0 && (q = strstr(p, "?>")) != NULL)
		p = q + 2;
	while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
		p++;
	while (*p != '\0') {
		if (*p != '$') {
			if (buf_add(out, p, 1) != XDS_OK)
				return -1;
			p++;
			continue;
		}
		for (i = 0; i < sizeof tok / sizeof tok[0]; i++)
			if (strncmp(p, tok[i].from, strlen(tok[i].from)) == 0)
				break;
		if (i < sizeof tok / sizeof tok[0]) {
			if (buf_adds(out, tok[i].to) != XDS_OK)
				return -1;
			p += strlen(tok[i].from);
			continue;
		}
		q = strchr(p + 1, '$');
		if (q != NULL && q - p < 40 && strspn(p + 1,
		    "abcdefghijklmnopqrstuvwxyz_0123456789") ==
		    (size_t)(q - p - 1) && q > p + 1 && other[0] == '\0')
			str_fmt(other, olen, "%.*s", (int)(q - p + 1), p);
		if (buf_add(out, p, 1) != XDS_OK)
			return -1;
		p++;
	}
	return 0;
}

/* count(...'X']) = N and ...@home = '$home$' of the Assertions. */
static int
assertions(xmlNode *tx, struct conform_test *t)
{
	static const struct { const char *name, *key; } counts[] = {
		{ "ExtrinsicObject", "expect.count.ExtrinsicObject" },
		{ "ObjectRef", "expect.count.ObjectRef" },
		{ "RegistryPackage", "expect.count.RegistryPackage" },
		{ "Association", "expect.count.Association" },
	};
	xmlNode *as = child(tx, "Assertions"), *a;
	int home = 0, rc = XDS_OK;
	size_t i;

	for (a = as ? xml_first_elem(as) : NULL; a && rc == XDS_OK;
	    a = xml_next_elem(a)) {
		xmlChar *txt;
		const char *s, *eq;
		char key[64] = "", num[16];

		if (!is_el(a, "Assert") || (txt = xmlNodeGetContent(a)) ==
		    NULL)
			continue;
		s = (const char *)txt;
		if (strstr(s, "@home") != NULL && strstr(s, "$home$") != NULL)
			home = 1;
		else if (strncmp(s + strspn(s, " \t\r\n"), "count(", 6) == 0 &&
		    (eq = strrchr(s, '=')) != NULL) {
			for (i = 0; i < sizeof counts / sizeof counts[0]; i++) {
				char pat[64];

				str_fmt(pat, sizeof pat, "'%s'])",
				    counts[i].name);
				if (strstr(s, pat) != NULL)
					str_lcpy(key, counts[i].key, sizeof key);
			}
			str_fmt(num, sizeof num, "%.*s", (int)strspn(eq + 1 +
			    strspn(eq + 1, " "), "0123456789"), eq + 1 +
			    strspn(eq + 1, " "));
			if (key[0] != '\0' && num[0] != '\0')
				rc = kv_add(t, key, num);
		}
		xmlFree(txt);
	}
	if (home && rc == XDS_OK)
		rc = kv_add(t, "expect.home", "$home");
	return rc;
}

/* ExpectedContents: counts of documents, sets, folders, ObjectRefs. */
static int
contents(xmlNode *tx, struct conform_test *t)
{
	xmlNode *ec = child(tx, "ExpectedContents"), *c;
	int pkg = -1, rc = XDS_OK;
	char num[16];

	for (c = ec ? xml_first_elem(ec) : NULL; c && rc == XDS_OK;
	    c = xml_next_elem(c)) {
		const char *cnt = xml_attr(c, "count");
		long long v;
		const char *e;

		if (cnt == NULL || str_tonum(cnt, 0, 100000, &v, &e) != 0)
			continue;
		str_fmt(num, sizeof num, "%lld", v);
		if (is_el(c, "Documents"))
			rc = kv_add(t, "expect.count.ExtrinsicObject", num);
		else if (is_el(c, "ObjectRefs"))
			rc = kv_add(t, "expect.count.ObjectRef", num);
		else if (is_el(c, "Associations"))
			rc = kv_add(t, "expect.count.Association", num);
		else if (is_el(c, "SubmissionSets") || is_el(c, "Folders"))
			pkg = (pkg < 0 ? 0 : pkg) + (int)v;
	}
	if (pkg >= 0 && rc == XDS_OK) {
		str_fmt(num, sizeof num, "%d", pkg);
		rc = kv_add(t, "expect.count.RegistryPackage", num);
	}
	return rc;
}

/* One TestStep of plan (in dir) as a test. */
static int
step(struct tk *k, const char *dir, const char *test, xmlNode *ts)
{
	struct conform_test *t;
	xmlNode *tx = NULL, *c;
	const char *send = NULL, *id = xml_attr(ts, "id"), *st;
	char path[1024], other[64], sname[CONFORM_NAME_MAX * 2];
	struct buf body;
	char *data = NULL, *p;
	size_t len;
	int rc = XDS_OK;

	if (k->n >= k->max)
		return XDS_ETOOBIG;
	for (c = xml_first_elem(ts); c != NULL; c = xml_next_elem(c))
		if (strstr((const char *)c->name, "Transaction") != NULL)
			tx = c;
	if (tx == NULL)
		return XDS_OK;
	if (is_el(tx, "StoredQueryTransaction"))
		send = "ITI-18";
	else if (is_el(tx, "XCQTransaction"))
		send = "ITI-38";
	/* only the steps of the actor under test */
	if (send != NULL && strcmp(send, strcmp(k->actor,
	    "responding-gateway") == 0 ? "ITI-38" : "ITI-18") != 0)
		return XDS_OK;
	t = &k->t[k->n];
	memset(t, 0, sizeof *t);
	t->testkit = 1;
	str_fmt(sname, sizeof sname, "nist-%s-%s", test, id ? id : "step");
	for (p = sname; *p; p++)
		if (strchr("abcdefghijklmnopqrstuvwxyz0123456789-_.", *p) ==
		    NULL)
			*p = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') :
			    '-';
	str_lcpy(t->name, sname, sizeof t->name);
	str_fmt(t->file, sizeof t->file, "%s/testplan.xml", dir);
	str_fmt(t->title, sizeof t->title, "NIST %s, step %s", test,
	    id ? id : "?");
	str_lcpy(t->actor, k->actor, sizeof t->actor);
	str_lcpy(t->send, send ? send : "ITI-18", sizeof t->send);
	if (strcmp(k->actor, "responding-gateway") == 0)
		str_lcpy(t->needs, "load", sizeof t->needs);
	k->n++;
	buf_init(&body, CONFORM_MAX_BODY);
	if (send == NULL) {
		str_fmt(path, sizeof path, "skip:%s: not run by --testkit "
		    "(stored queries only)", (const char *)tx->name);
		t->body = strdup(path);
		rc = kv_add(t, "expect.status", "Success");
		goto out;
	}
	st = NULL;
	if ((c = child(ts, "ExpectedStatus")) != NULL &&
	    xml_text(c, other, sizeof other) == 0)
		st = strrchr(other, ':') ? strrchr(other, ':') + 1 : other;
	if ((rc = kv_add(t, "expect.status", st ? st : "Success")) != XDS_OK)
		goto out;
	if ((c = child(tx, "MetadataFile")) == NULL ||
	    xml_text(c, other, sizeof other) != 0 ||
	    str_fmt(path, sizeof path, "%s/%s", dir, other) < 0 ||
	    (data = tk_read(path, &len)) == NULL) {
		t->body = strdup("skip:no readable MetadataFile");
		goto out;
	}
	if (strstr(data, NS_QUERY) == NULL) {
		t->body = strdup("skip:the query is not ebRIM 3.0");
		goto out;
	}
	if (translate(data, &body, other, sizeof other) != 0) {
		rc = XDS_ETOOBIG;
		goto out;
	}
	if (other[0] != '\0') {
		str_fmt(path, sizeof path, "skip:uses %s, a value of another "
		    "test's log", other);
		t->body = strdup(path);
		goto out;
	}
	if ((rc = contents(tx, t)) == XDS_OK)
		rc = assertions(tx, t);
	t->body = buf_take(&body, NULL);
out:
	if (rc == XDS_OK && t->body == NULL)
		rc = XDS_ENOMEM;
	buf_free(&body);
	free(data);
	return rc;
}

static int
plan(struct tk *k, const char *dir, char *err, size_t errlen)
{
	char path[1024], test[128];
	xmlDoc *doc;
	xmlNode *root, *n;
	char *data;
	size_t len;
	int rc = XDS_OK;

	str_fmt(path, sizeof path, "%s/testplan.xml", dir);
	if ((data = tk_read(path, &len)) == NULL)
		return XDS_OK;
	if ((doc = xml_parse(data, len, err, errlen)) == NULL) {
		free(data);
		return XDS_EFORMAT;
	}
	free(data);
	root = xmlDocGetRootElement(doc);
	if (!is_el(root, "TestPlan")) {
		str_fmt(err, errlen, "%s: no TestPlan", path);
		xmlFreeDoc(doc);
		return XDS_EFORMAT;
	}
	if ((n = child(root, "Test")) == NULL ||
	    xml_text(n, test, sizeof test) != 0)
		str_lcpy(test, "test", sizeof test);
	for (n = xml_first_elem(root); n != NULL && rc == XDS_OK;
	    n = xml_next_elem(n))
		if (is_el(n, "TestStep"))
			rc = step(k, dir, test, n);
	if (rc != XDS_OK)
		str_fmt(err, errlen, "%s: %s", path, rc == XDS_ETOOBIG ?
		    "too many tests" : "out of memory");
	xmlFreeDoc(doc);
	return rc;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* dir: a section (testplan.xml), a test (index.idx), or a collection of
 * tests (its subdirectories in name order). */
static int
walk(struct tk *k, const char *dir, int depth, char *err, size_t errlen)
{
	char path[1024], *idx, *names[1024];
	size_t len, n = 0, i;
	struct stat sb;
	DIR *d;
	struct dirent *de;
	int rc = XDS_OK;

	str_fmt(path, sizeof path, "%s/index.idx", dir);
	if ((idx = tk_read(path, &len)) != NULL) {
		const char *p = idx, *item;
		size_t ilen;

		while (p != NULL && rc == XDS_OK) {
			item = str_item(&p, '\n', &ilen);
			if (ilen > 0 && item[ilen - 1] == '\r')
				ilen--;
			if (ilen == 0 || item[0] == '#')
				continue;
			str_fmt(path, sizeof path, "%s/%.*s", dir, (int)ilen,
			    item);
			rc = plan(k, path, err, errlen);
		}
		free(idx);
		return rc;
	}
	str_fmt(path, sizeof path, "%s/testplan.xml", dir);
	if (stat(path, &sb) == 0)
		return plan(k, dir, err, errlen);
	if (depth >= TK_DEPTH || (d = opendir(dir)) == NULL)
		return XDS_OK;
	while ((de = readdir(d)) != NULL && n < 1024) {
		if (de->d_name[0] == '.')
			continue;
		str_fmt(path, sizeof path, "%s/%s", dir, de->d_name);
		if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode) &&
		    (names[n] = strdup(de->d_name)) != NULL)
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof names[0], by_name);
	for (i = 0; i < n; i++) {
		str_fmt(path, sizeof path, "%s/%s", dir, names[i]);
		if (rc == XDS_OK)
			rc = walk(k, path, depth + 1, err, errlen);
		free(names[i]);
	}
	return rc;
}

int
conform_testkit_load(const char *dir, const char *actor,
    struct conform_test *t, size_t max, size_t *n, char *err,
    size_t errlen)
{
	struct tk k = { actor, t, max, 0 };
	struct stat sb;
	int rc;

	*n = 0;
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		str_fmt(err, errlen, "--testkit %s: no such directory", dir);
		return XDS_ENOTFOUND;
	}
	rc = walk(&k, dir, 0, err, errlen);
	*n = k.n;
	return rc;
}
