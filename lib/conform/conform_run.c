/*
 * conform_run.c: a conformance run.  The tests of one actor are loaded
 * (compiled in, or from a directory, plus a NIST testkit's plans), those
 * asked for are kept with the tests they need, and each is sent in order
 * to its peer: the system under test, or the registry or repository
 * given for loading test data.  Values ($patient, $uuid:X, ...) live for
 * the whole run, so a query finds what an earlier test registered.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "clock.h"
#include "conform.h"
#include "fileio.h"
#include "hl7dt.h"
#include "mtom.h"
#include "soap.h"
#include "soap_peer.h"
#include "status.h"
#include "str.h"
#include "vocab.h"

/* The compiled-in test definitions and fragments (tools/embed). */
extern const struct soap_schema conform_files[];

const char *const conform_actors[] = {
	"registry", "repository", "responding-gateway", "initiating-gateway",
	"imaging-source", "responding-imaging-gateway",
	"initiating-imaging-gateway", NULL
};

const char *const conform_options[] = { "metadata-update", "on-demand",
	NULL };

#define CID_SUFFIX	"@conformance"
#define PLAN_MAX_FILES	1024

/* A fragment by name: the plan directory's, else the compiled-in one. */
struct frags {
	const char	*dir;
	char		*loaded[64];
	char		 names[64][CONFORM_NAME_MAX];
	size_t		 n;
};

static char *
read_file(const char *path, size_t max, size_t *len)
{
	char *p, e[8];

	return fileio_read_file(path, max, &p, len, e, sizeof e) == XDS_OK ?
	    p : NULL;
}

static const char *
frag_get(void *arg, const char *name)
{
	struct frags *f = arg;
	const struct soap_schema *s;
	char path[1024], want[128];
	size_t i, len;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->names[i], name) == 0)
			return f->loaded[i];
	if (f->dir != NULL && f->n < 64 &&
	    str_fmt(path, sizeof path, "%s/frag/%s.xml", f->dir, name) >= 0) {
		char *d = read_file(path, CONFORM_MAX_FILE, &len);

		if (d != NULL) {
			f->loaded[f->n] = d;
			str_lcpy(f->names[f->n], name, sizeof f->names[0]);
			return f->loaded[f->n++];
		}
	}
	if (str_fmt(want, sizeof want, "frag/%s.xml", name) < 0)
		return NULL;
	for (s = conform_files; s->name != NULL; s++)
		if (strcmp(s->name, want) == 0)
			return s->data;
	return NULL;
}

static struct frags run_frags;

static int
by_file(const void *a, const void *b)
{
	const struct conform_test *x = a, *y = b;

	return strcmp(x->file, y->file);
}

static int
add_test(struct conform_run *r, const char *name, const char *data,
    size_t len, char *err, size_t errlen)
{
	size_t i;
	int rc;

	if (r->ntests >= CONFORM_MAX_TESTS) {
		str_fmt(err, errlen, "more than %d tests", CONFORM_MAX_TESTS);
		return XDS_ETOOBIG;
	}
	if ((rc = conform_test_parse(name, data, len, &r->tests[r->ntests],
	    err, errlen)) != XDS_OK)
		return rc;
	for (i = 0; i < r->ntests; i++)
		if (strcmp(r->tests[i].name, r->tests[r->ntests].name) == 0) {
			str_fmt(err, errlen, "%s: test %s is also in %s", name,
			    r->tests[i].name, r->tests[i].file);
			conform_test_free(&r->tests[r->ntests]);
			return XDS_EFORMAT;
		}
	r->ntests++;
	return XDS_OK;
}

/* The tests of actor from dir/actor/ *.t, or from the compiled-in set. */
static int
load_tests(struct conform_run *r, char *err, size_t errlen)
{
	const struct soap_schema *s;
	char prefix[64], path[1024];
	size_t plen, len;
	int rc;

	str_fmt(prefix, sizeof prefix, "%s/", r->o.actor);
	plen = strlen(prefix);
	if (r->o.plans == NULL) {
		for (s = conform_files; s->name != NULL; s++) {
			size_t n = strlen(s->name);

			if (strncmp(s->name, prefix, plen) != 0 || n < 3 ||
			    strcmp(s->name + n - 2, ".t") != 0)
				continue;
			if ((rc = add_test(r, s->name, s->data, s->len, err,
			    errlen)) != XDS_OK)
				return rc;
		}
	} else {
		DIR *d;
		struct dirent *de;

		if (str_fmt(path, sizeof path, "%s/%s", r->o.plans,
		    r->o.actor) < 0 || (d = opendir(path)) == NULL) {
			str_fmt(err, errlen, "%s/%s: no such directory",
			    r->o.plans, r->o.actor);
			return XDS_ENOTFOUND;
		}
		while ((de = readdir(d)) != NULL) {
			size_t n = strlen(de->d_name);
			char *data;

			if (n < 3 || strcmp(de->d_name + n - 2, ".t") != 0)
				continue;
			if (str_fmt(path, sizeof path, "%s/%s/%s", r->o.plans,
			    r->o.actor, de->d_name) < 0 ||
			    (data = read_file(path, CONFORM_MAX_FILE, &len)) ==
			    NULL) {
				str_fmt(err, errlen, "%s: cannot read it", path);
				closedir(d);
				return XDS_EIO;
			}
			rc = add_test(r, path, data, len, err, errlen);
			free(data);
			if (rc != XDS_OK) {
				closedir(d);
				return rc;
			}
		}
		closedir(d);
	}
	qsort(r->tests, r->ntests, sizeof r->tests[0], by_file);
	return XDS_OK;
}

static struct conform_test *
find_test(struct conform_run *r, const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < r->ntests; i++)
		if (strlen(r->tests[i].name) == n &&
		    memcmp(r->tests[i].name, name, n) == 0)
			return &r->tests[i];
	return NULL;
}

/* Mark t and what it needs, transitively. */
static int
mark(struct conform_run *r, struct conform_test *t, unsigned char *keep,
    int depth, char *err, size_t errlen)
{
	const char *p = t->needs, *item;
	struct conform_test *n;
	size_t len;

	keep[t - r->tests] = 1;
	if (depth > CONFORM_MAX_TESTS)
		return XDS_OK;
	while (p != NULL) {
		item = str_item(&p, ' ', &len);
		if (len == 0)
			continue;
		if ((n = find_test(r, item, len)) == NULL) {
			str_fmt(err, errlen, "%s: needs %.*s, which is no test "
			    "of %s", t->name, (int)len, item, r->o.actor);
			return XDS_ENOTFOUND;
		}
		if (!keep[n - r->tests] &&
		    mark(r, n, keep, depth + 1, err, errlen) != XDS_OK)
			return XDS_ENOTFOUND;
	}
	return XDS_OK;
}

/* Keep the tests of --only and what they need, in their order. */
static int
select_tests(struct conform_run *r, char *err, size_t errlen)
{
	unsigned char *keep;
	struct conform_test *t;
	size_t i, j;
	int rc = XDS_OK;

	if (r->o.nonly == 0)
		return XDS_OK;
	if ((keep = calloc(r->ntests ? r->ntests : 1, 1)) == NULL)
		return XDS_ENOMEM;
	for (i = 0; i < r->o.nonly && rc == XDS_OK; i++) {
		if ((t = find_test(r, r->o.only[i], strlen(r->o.only[i]))) ==
		    NULL) {
			str_fmt(err, errlen, "--only %s: no such test of %s",
			    r->o.only[i], r->o.actor);
			rc = XDS_ENOTFOUND;
		} else
			rc = mark(r, t, keep, 0, err, errlen);
	}
	for (i = j = 0; i < r->ntests; i++) {
		if (keep[i] && rc == XDS_OK)
			r->tests[j++] = r->tests[i];
		else
			conform_test_free(&r->tests[i]);
	}
	r->ntests = rc == XDS_OK ? j : 0;
	free(keep);
	return rc;
}

/* A random 9-digit BSN that passes the 11-check; bad: one that fails. */
static int
fresh_bsn(char out[10], int bad)
{
	unsigned char r[8];
	int i, s;

	for (;;) {
		if (RAND_bytes(r, sizeof r) != 1)
			return -1;
		for (i = 0, s = 0; i < 8; i++) {
			out[i] = (char)('0' + r[i] % 10);
			s += (9 - i) * (out[i] - '0');
		}
		if (out[0] == '0')
			continue;
		s %= 11;
		if (bad) {
			/* -1 * last digit must not make the sum 0 mod 11 */
			out[8] = (char)('0' + (s + 1) % 10);
			out[9] = '\0';
			if (hl7_bsn_valid(out, 9) != 0)
				return 0;
			continue;
		}
		if (s < 10) {
			out[8] = (char)('0' + s);
			out[9] = '\0';
			return 0;
		}
	}
}

static int
patient_var(struct conform_run *r, const char *name, const char *given,
    int bad)
{
	char bsn[10], cx[256];

	if (given != NULL)
		return conform_var_set(&r->vars, name, given);
	if (fresh_bsn(bsn, bad) != 0)
		return XDS_EINTERNAL;
	str_fmt(cx, sizeof cx, "%s^^^&%s&ISO", bsn, OID_BSN);
	return conform_var_set(&r->vars, name, cx);
}

int
conform_run_init(struct conform_run *r, const struct conform_opts *o,
    char *err, size_t errlen)
{
	const char *tmp = getenv("TMPDIR");
	size_t n = 0;
	time_t now = time(NULL);
	struct tm tm;
	char dtm[32];
	int rc;

	memset(r, 0, sizeof *r);
	r->o = *o;
	conform_vars_init(&r->vars);
	memset(&run_frags, 0, sizeof run_frags);
	run_frags.dir = o->plans;
	r->vars.frag = frag_get;
	r->vars.frag_arg = &run_frags;
	if ((r->tests = calloc(CONFORM_MAX_TESTS, sizeof *r->tests)) == NULL)
		return XDS_ENOMEM;
	if ((rc = load_tests(r, err, errlen)) != XDS_OK)
		return rc;
	if (o->testkit != NULL) {
		if ((rc = conform_testkit_load(o->testkit, o->actor,
		    r->tests + r->ntests, CONFORM_MAX_TESTS - r->ntests, &n,
		    err, errlen)) != XDS_OK)
			return rc;
		r->ntests += n;
	}
	if ((rc = select_tests(r, err, errlen)) != XDS_OK)
		return rc;
	if (r->ntests == 0) {
		str_fmt(err, errlen, "no tests for the actor %s", o->actor);
		return XDS_ENOTFOUND;
	}
	if ((r->res = calloc(r->ntests, sizeof *r->res)) == NULL)
		return XDS_ENOMEM;
	if (str_fmt(r->tmpdir, sizeof r->tmpdir, "%s/xdsctl-conformance-"
	    "XXXXXX", tmp && tmp[0] ? tmp : "/tmp") < 0 ||
	    mkdtemp(r->tmpdir) == NULL) {
		str_fmt(err, errlen, "cannot make a temporary directory");
		r->tmpdir[0] = '\0';
		return XDS_EIO;
	}
	gmtime_r(&now, &tm);
	strftime(r->started, sizeof r->started, "%Y-%m-%dT%H:%M:%SZ", &tm);
	strftime(dtm, sizeof dtm, "%Y%m%d%H%M%S", &tm);
	if (patient_var(r, "patient", o->patient, 0) != XDS_OK ||
	    patient_var(r, "patient2", o->patient2, 0) != XDS_OK ||
	    patient_var(r, "badpatient", NULL, 1) != XDS_OK ||
	    conform_var_set(&r->vars, "now", dtm) != XDS_OK ||
	    (o->home && conform_var_set(&r->vars, "home", o->home) !=
	    XDS_OK) || (o->repository_id && conform_var_set(&r->vars, "repo",
	    o->repository_id) != XDS_OK) || (o->study &&
	    conform_var_set(&r->vars, "study", o->study) != XDS_OK) ||
	    (o->series && conform_var_set(&r->vars, "series", o->series) !=
	    XDS_OK) || (o->instance && conform_var_set(&r->vars, "instance",
	    o->instance) != XDS_OK) || (o->unavailable &&
	    conform_var_set(&r->vars, "unavailable", o->unavailable) !=
	    XDS_OK)) {
		str_fmt(err, errlen, "cannot set the run's values");
		return XDS_EINTERNAL;
	}
	return XDS_OK;
}

void
conform_run_free(struct conform_run *r)
{
	size_t i;

	if (r->res != NULL)
		for (i = 0; i < r->ntests; i++) {
			buf_free(&r->res[i].request);
			buf_free(&r->res[i].answer);
		}
	free(r->res);
	if (r->tests != NULL)
		for (i = 0; i < r->ntests; i++)
			conform_test_free(&r->tests[i]);
	free(r->tests);
	conform_vars_free(&r->vars);
	for (i = 0; i < run_frags.n; i++)
		free(run_frags.loaded[i]);
	memset(&run_frags, 0, sizeof run_frags);
	if (r->tmpdir[0] != '\0')
		(void)rmdir(r->tmpdir);
	memset(r, 0, sizeof *r);
}

void
conform_run_counts(const struct conform_run *r, size_t *pass, size_t *fail,
    size_t *skip)
{
	size_t i;

	*pass = *fail = *skip = 0;
	for (i = 0; i < r->ntests; i++)
		switch (r->res[i].outcome) {
		case CONFORM_PASS: (*pass)++; break;
		case CONFORM_FAIL: (*fail)++; break;
		default: (*skip)++; break;
		}
}

/* Values the user gives (or an answer shows: home, repo). */
static const struct {
	const char	*var, *opt;
} given[] = {
	{ "repo", "--repository-id OID" },
	{ "home", "--home urn:oid:HCID" },
	{ "study", "--study UID" },
	{ "series", "--series UID" },
	{ "instance", "--instance UID" },
	{ "unavailable", "--unavailable urn:oid:HCID (a community the "
	    "gateway cannot reach)" },
};

/* t's message or one of its expectations names $var. */
static int
uses(const struct conform_test *t, const char *var)
{
	char want[32];
	size_t i, n;
	const char *p;

	str_fmt(want, sizeof want, "$%s", var);
	n = strlen(want);
	for (i = 0; i <= t->nkv; i++) {
		const char *s = i < t->nkv ? t->kv[i].val : t->body;

		if (strncmp(i < t->nkv ? t->kv[i].key : "", "attach.", 7) == 0)
			continue;
		for (p = s; (p = strstr(p, want)) != NULL; p += n)
			if (!(p[n] >= 'a' && p[n] <= 'z') &&
			    !(p[n] >= 'A' && p[n] <= 'Z'))
				return 1;
	}
	return 0;
}

/* Why t cannot run now: a missing URL or value, a test it needs that did
 * not pass.  "" when it can. */
static void
blocked(struct conform_run *r, size_t idx, char *why, size_t len)
{
	const struct conform_test *t = &r->tests[idx];
	const char *p = t->needs, *item;
	size_t i, n;

	why[0] = '\0';
	for (p = t->option; p != NULL; ) {
		item = str_item(&p, ' ', &n);
		for (i = 0; n > 0 && i < r->o.noptions; i++)
			if (strlen(r->o.options[i]) == n &&
			    memcmp(r->o.options[i], item, n) == 0)
				break;
		if (n > 0 && i == r->o.noptions) {
			str_fmt(why, len, "option %.*s: run with --option "
			    "%.*s when the system supports it", (int)n, item,
			    (int)n, item);
			return;
		}
	}
	p = t->needs;
	if (strcmp(t->target, "registry") == 0 && r->o.registry == NULL) {
		str_fmt(why, len, "needs --registry URL (the registry of the "
		    "system under test)");
		return;
	}
	if (strcmp(t->target, "repository") == 0 && r->o.repository == NULL) {
		str_fmt(why, len, "needs --repository URL (where the test data "
		    "is loaded)");
		return;
	}
	while (p != NULL) {
		item = str_item(&p, ' ', &n);
		for (i = 0; i < idx && n > 0; i++)
			if (strlen(r->tests[i].name) == n &&
			    memcmp(r->tests[i].name, item, n) == 0 &&
			    r->res[i].outcome != CONFORM_PASS) {
				str_fmt(why, len, "needs %s, which %s",
				    r->tests[i].name, r->res[i].outcome ==
				    CONFORM_FAIL ? "failed" : "was skipped");
				return;
			}
	}
	for (i = 0; i < sizeof given / sizeof given[0]; i++)
		if (uses(t, given[i].var) &&
		    conform_var_get(&r->vars, given[i].var) == NULL) {
			str_fmt(why, len, "needs %s", given[i].opt);
			return;
		}
}

static const char *
part_file(void *arg, const char *href)
{
	const struct soap_call *c = arg;
	const struct mtom_attachment *a = mtom_find(c->ans.att, c->ans.natt,
	    href);

	return a && a->path[0] ? a->path : NULL;
}

/* The documents t sends (attach.*) as MTOM attachments in att. */
static int
attachments(struct conform_run *r, const struct conform_test *t,
    struct mtom_attachment *att, size_t *natt, char *err, size_t errlen)
{
	const struct conform_att *a;
	size_t i;
	int rc;

	*natt = 0;
	for (i = 0; i < t->nkv; i++) {
		if (strncmp(t->kv[i].key, "attach.", 7) != 0)
			continue;
		if ((rc = conform_att_add(&r->vars, t->kv[i].key + 7,
		    t->kv[i].val, r->tmpdir, err, errlen)) != XDS_OK)
			return rc;
		a = conform_att_get(&r->vars, t->kv[i].key + 7);
		memset(&att[*natt], 0, sizeof att[0]);
		str_fmt(att[*natt].cid, sizeof att[0].cid, "%s" CID_SUFFIX,
		    a->name);
		str_lcpy(att[*natt].content_type, a->ctype,
		    sizeof att[0].content_type);
		str_lcpy(att[*natt].path, a->path, sizeof att[0].path);
		att[*natt].size = (off_t)a->len;
		(*natt)++;
	}
	return XDS_OK;
}

static void
one_test(struct conform_run *r, size_t idx, struct soap_peer *peer,
    const char *url)
{
	const struct conform_test *t = &r->tests[idx];
	struct conform_result *res = &r->res[idx];
	struct mtom_attachment att[CONFORM_MAX_KV];
	struct conform_doc_src docs;
	struct conform_seen seen;
	struct soap_call c;
	char err[512];
	size_t natt;
	int mtom, ok;

	(void)conform_send_action(t->send, &res->action, &mtom);
	str_lcpy(res->url, url, sizeof res->url);
	if (attachments(r, t, att, &natt, err, sizeof err) != XDS_OK ||
	    conform_expand(&r->vars, t->body, &res->request, err,
	    sizeof err) != XDS_OK) {
		res->outcome = CONFORM_FAIL;
		str_fmt(res->reason, sizeof res->reason, "test definition: %s",
		    err);
		return;
	}
	soap_call_init(&c, res->action, mtom ? PACK_MTOM : PACK_SIMPLE);
	c.req.body_xml = buf_str(&res->request);
	c.req.body_len = res->request.b_len;
	c.req.att = natt ? att : NULL;
	c.req.natt = natt;
	c.req.bounds.timeout = r->o.timeout > 0 ? r->o.timeout : 300;
	c.req.bounds.spool_dir = r->tmpdir;
	(void)soap_peer_call(peer, &c);
	res->http_status = c.ans.http_status;
	res->ms = c.ans.elapsed_ms;
	if (c.ans.bytes.b_len > 0 &&
	    buf_add(&res->answer, c.ans.bytes.b_data, c.ans.bytes.b_len) !=
	    XDS_OK)
		buf_reset(&res->answer);
	if (c.ans.status != XDS_OK) {
		res->outcome = CONFORM_FAIL;
		str_fmt(res->reason, sizeof res->reason, "no answer: %s "
		    "(HTTP %d)", c.ans.err, c.ans.http_status);
		soap_call_free(&c);
		return;
	}
	docs.part = part_file;
	docs.arg = &c;
	ok = conform_check(t, &r->vars, c.ans.body, c.ans.fault,
	    c.ans.fault_reason, &docs, &seen, res->reason,
	    sizeof res->reason);
	res->outcome = ok == 1 ? CONFORM_PASS : CONFORM_FAIL;
	if (ok == 1) {
		/* what it showed, for the report */
		int k, any = 0;
		static const char *const what[] = { "ExtrinsicObject",
		    "RegistryPackage", "ObjectRef", "Association",
		    "DocumentResponse" };

		str_fmt(res->reason, sizeof res->reason, "%s%s%s%s",
		    seen.status[0] ? seen.status : "answered",
		    seen.errors[0] ? " [" : "", seen.errors,
		    seen.errors[0] ? "]" : "");
		for (k = 0; k < 5; k++)
			if (seen.nobj[k] > 0) {
				char one[64];

				str_fmt(one, sizeof one, "%s%d %s", any++ ?
				    ", " : ": ", seen.nobj[k], what[k]);
				str_lcat(res->reason, one, sizeof res->reason);
			}
	}
	/* Learn what the user did not say, from the first answer that
	 * shows it: the home of the gateway, the repository's id. */
	if (seen.home[0] != '\0' && conform_var_get(&r->vars, "home") == NULL)
		(void)conform_var_set(&r->vars, "home", seen.home);
	if (seen.repo[0] != '\0' && conform_var_get(&r->vars, "repo") == NULL)
		(void)conform_var_set(&r->vars, "repo", seen.repo);
	soap_call_free(&c);
}

static struct soap_peer *
make_peer(const struct conform_run *r, const char *url, char *err,
    size_t errlen)
{
	struct soap_peer_opts o;
	struct soap_peer *p;
	char e[1024];

	memset(&o, 0, sizeof o);
	soap_peer_opts_tls(&o, r->o.cert, r->o.key, r->o.ca);
	o.allow_plain = 1;
	o.user_agent = "xdsctl-conformance/" PACKAGE_VERSION;
	o.bounds.timeout = r->o.timeout > 0 ? r->o.timeout : 300;
	if (soap_peer_remote(&p, url, &o, e, sizeof e) != XDS_OK) {
		str_fmt(err, errlen, "%s: %s", url, e);
		return NULL;
	}
	return p;
}

int
conform_run_all(struct conform_run *r, FILE *progress, char *err,
    size_t errlen)
{
	struct soap_peer *main_p = NULL, *reg_p = NULL, *rep_p = NULL;
	long long t0 = clock_real_ms();
	char why[512];
	size_t i;
	int rc = XDS_EINVAL;

	if ((main_p = make_peer(r, r->o.target, err, errlen)) == NULL ||
	    (r->o.registry && (reg_p = make_peer(r, r->o.registry, err,
	    errlen)) == NULL) || (r->o.repository && (rep_p = make_peer(r,
	    r->o.repository, err, errlen)) == NULL))
		goto out;
	for (i = 0; i < r->ntests; i++) {
		const struct conform_test *t = &r->tests[i];
		struct conform_result *res = &r->res[i];

		res->t = t;
		buf_init(&res->request, CONFORM_MAX_BODY);
		buf_init(&res->answer, CONFORM_MAX_BODY);
		blocked(r, i, why, sizeof why);
		if (why[0] == '\0' && t->testkit &&
		    strncmp(t->body, "skip:", 5) == 0)
			str_lcpy(why, t->body + 5, sizeof why);
		if (why[0] != '\0') {
			res->outcome = CONFORM_SKIP;
			str_lcpy(res->reason, why, sizeof res->reason);
		} else if (strcmp(t->target, "registry") == 0)
			one_test(r, i, reg_p, r->o.registry);
		else if (strcmp(t->target, "repository") == 0)
			one_test(r, i, rep_p, r->o.repository);
		else
			one_test(r, i, main_p, r->o.target);
		if (progress != NULL) {
			fprintf(progress, "%-4s %s\n", res->outcome ==
			    CONFORM_PASS ? "pass" : res->outcome ==
			    CONFORM_FAIL ? "FAIL" : "skip", t->name);
			fflush(progress);
		}
	}
	rc = XDS_OK;
out:
	r->ms = clock_real_ms() - t0;
	soap_peer_free(main_p);
	soap_peer_free(reg_p);
	soap_peer_free(rep_p);
	return rc;
}
