/*
 * conform.h: the conformance tester.  It plays the other side against a
 * system under test (a registry, a repository, a responding gateway):
 * runs the project's test definitions (xdsnode-conformance(5): one file
 * per test, a message template and its expectations), or the steps of a
 * NIST testkit test plan it can read, and reports each test as pass,
 * fail (with the reason: expected and seen status, error codes, object
 * counts) or skip, the request and the answer kept for evidence.
 *
 * The parts: conform_plan.c reads a test definition (pure),
 * conform_expand.c fills a template with the run's values and fragments,
 * conform_check.c judges an answer against a test's expectations (pure
 * over the DOM), conform_run.c runs a plan against the peers,
 * conform_report.c writes the table, JUnit XML, HTML and the evidence
 * files, conform_testkit.c reads NIST test plans.
 */
#ifndef XDS_CONFORM_H
#define XDS_CONFORM_H

#include <stddef.h>
#include <stdio.h>

#include <libxml/tree.h>

#include "buf.h"

#define CONFORM_NAME_MAX	64
#define CONFORM_MAX_TESTS	512
#define CONFORM_MAX_KV		48	/* expectations and attachments */
#define CONFORM_MAX_FILE	(1024 * 1024)	/* a test definition */
#define CONFORM_MAX_BODY	(8 * 1024 * 1024)	/* an expanded request */
#define CONFORM_REASON_MAX	1024

/* A key = value line of a test: expect.*, attach.* */
struct conform_kv {
	char	*key;
	char	*val;
};

/* One test, as read from its definition. */
struct conform_test {
	char		 name[CONFORM_NAME_MAX];
	char		 file[256];	/* where it came from (report) */
	char		 title[256];
	char		 actor[32];	/* registry, repository, ... */
	char		 send[16];	/* ITI-42, ITI-41, ITI-18, ... */
	char		 target[16];	/* "" the target; registry, repository */
	char		 needs[512];	/* names of tests run before, spaces */
	char		 option[64];	/* "" always run; else names (spaces
					   between) each given by --option */
	struct conform_kv kv[CONFORM_MAX_KV];
	size_t		 nkv;
	char		*body;		/* the message template */
	int		 testkit;	/* read from a NIST test plan */
};

/*
 * Read one test definition (buf, len bytes) named name (for messages)
 * into t.  XDS_OK, or XDS_EFORMAT with the line and the reason in err.
 * Free with conform_test_free.
 */
int	conform_test_parse(const char *name, const char *buf, size_t len,
	    struct conform_test *t, char *err, size_t errlen);
void	conform_test_free(struct conform_test *);
/* The value of key in t, or NULL. */
const char *conform_test_get(const struct conform_test *, const char *key);
/* wsa:Action and packaging (1 MTOM) of a send= name; -1 unknown. */
int	conform_send_action(const char *send, const char **action, int *mtom);

/* A document a test sends, by name, for the run. */
struct conform_att {
	char		 name[CONFORM_NAME_MAX];
	char		 ctype[128];
	char		*data;
	size_t		 len;
	char		 sha1[41];
	char		 path[1024];	/* its file, for the MTOM writer */
};

/* Values of a run: $name and $uuid:X, $uid:X made on first use. */
struct conform_var {
	char		 name[CONFORM_NAME_MAX + 8];
	char		 val[256];
};

/* Fragments of templates, @{name key=value...}: name to text. */
typedef const char *(*conform_frag_fn)(void *arg, const char *name);

struct conform_vars {
	struct conform_var *v;
	size_t		 n, cap;
	struct conform_att *att;
	size_t		 natt, attcap;
	conform_frag_fn	 frag;
	void		*frag_arg;
};

void	conform_vars_init(struct conform_vars *);
void	conform_vars_free(struct conform_vars *);
/* Set (or replace) $name.  XDS_OK or XDS_ENOMEM/XDS_ETOOBIG. */
int	conform_var_set(struct conform_vars *, const char *name,
	    const char *val);
/* $name's value, or NULL when it was never set. */
const char *conform_var_get(const struct conform_vars *, const char *name);
const struct conform_att *conform_att_get(const struct conform_vars *,
	    const char *name);
/*
 * Fill template tmpl into out: @{frag key=value...} by the fragment,
 * whose %key% are the values (the fragment's first line "<!-- defaults:
 * key=value ... -->" gives defaults), then $name, $uuid:X (a fresh
 * urn:uuid: the first time, the same after), $uid:X (a fresh 2.25. OID),
 * $sha1:X and $size:X of attachment X, each escaped for XML (a CX
 * holds '&').  An unknown $name is left as it is (stored query
 * parameters begin with $).  XDS_OK, or a status with
 * err (an unknown fragment, a missing attachment, too long).
 */
int	conform_expand(struct conform_vars *, const char *tmpl,
	    struct buf *out, char *err, size_t errlen);
/* Attachment name of content type ctype whose text is spec (expanded),
 * written into dir.  XDS_OK or a status with err. */
int	conform_att_add(struct conform_vars *, const char *name,
	    const char *spec, const char *dir, char *err, size_t errlen);

/* What an answer showed. */
struct conform_seen {
	char		 status[32];	/* Success, Failure, PartialSuccess,
					   Fault, "" (none) */
	char		 errors[512];	/* codes, space separated */
	int		 nobj[6];	/* by enum conform_count */
	char		 home[256];	/* the first object's home, or "" */
	char		 repo[128];	/* the first repositoryUniqueId */
};

enum conform_count {
	CC_EXTRINSIC, CC_PACKAGE, CC_OBJECTREF, CC_ASSOCIATION, CC_DOCRESP,
	CC_ERROR
};

/* An answer's retrieved documents: for expect.document. */
struct conform_doc_src {
	/* The file of the MTOM part href names ("cid:..."), or NULL. */
	const char *(*part)(void *arg, const char *href);
	void	   *arg;
};

/*
 * Judge the answer (body: the SOAP Body's child, NULL for none; fault:
 * 1 when it is a soap:Fault with fault_reason) against t's expectations
 * (expanded with vars).  Fills seen; returns 1 when every expectation
 * held, 0 with the reasons in reason, -1 on an internal error (reason
 * says which).
 */
int	conform_check(const struct conform_test *t, struct conform_vars *vars,
	    xmlNode *body, int fault, const char *fault_reason,
	    const struct conform_doc_src *docs, struct conform_seen *seen,
	    char *reason, size_t reasonlen);

/* The result of one test. */
enum conform_outcome { CONFORM_PASS, CONFORM_FAIL, CONFORM_SKIP };

struct conform_result {
	const struct conform_test *t;
	enum conform_outcome outcome;
	char		 reason[CONFORM_REASON_MAX];
	char		 url[512];
	const char	*action;
	struct buf	 request;	/* the body sent */
	struct buf	 answer;	/* the envelope (or MTOM root) back */
	int		 http_status;
	long long	 ms;
};

/* The options of a run. */
struct conform_opts {
	const char	*actor;
	const char	*target;	/* URL of the system under test */
	const char	*registry;	/* URL: target = registry tests */
	const char	*repository;	/* URL: target = repository tests */
	const char	*repository_id;	/* $repo */
	const char	*home;		/* $home: the expected home */
	const char	*patient;	/* CX; NULL: a fresh BSN */
	const char	*patient2;	/* CX of a second; NULL: fresh */
	const char	*unavailable;	/* $unavailable: a community the
					   initiating gateway cannot reach */
	const char	*study, *series, *instance;	/* imaging: a stored
					   instance ($study, ...) */
	const char	*cert, *key, *ca;
	const char	*plans;		/* a directory of tests; NULL: the
					   compiled-in ones */
	const char	*testkit;	/* a NIST testkit directory, or NULL */
	char *const	*only;		/* names, or NULL */
	size_t		 nonly;
	char *const	*options;	/* --option NAMEs the system under
					   test supports, or NULL */
	size_t		 noptions;
	long		 timeout;	/* seconds per exchange */
};

struct conform_run {
	struct conform_opts o;
	struct conform_test *tests;	/* in order */
	size_t		 ntests;
	struct conform_result *res;	/* ntests of them, after the run */
	struct conform_vars vars;
	char		 tmpdir[256];
	char		 started[32];	/* ISO 8601, UTC */
	long long	 ms;
};

/* The actors with compiled-in tests ("registry", ...), NULL-ended. */
extern const char *const conform_actors[];
/* The options tests may belong to (option = NAME), NULL-ended. */
extern const char *const conform_options[];

/*
 * Load the tests of o->actor (from o->plans or the compiled-in set, and
 * o->testkit's plans), keep those of o->only with what they need, and
 * prepare the run.  XDS_OK or a status with err.
 */
int	conform_run_init(struct conform_run *, const struct conform_opts *o,
	    char *err, size_t errlen);
/* Run every test in order; progress (one line a test) to fp, or NULL.
 * XDS_OK (whatever the outcomes) or a status with err. */
int	conform_run_all(struct conform_run *, FILE *progress, char *err,
	    size_t errlen);
void	conform_run_free(struct conform_run *);
/* Counts of outcomes. */
void	conform_run_counts(const struct conform_run *, size_t *pass,
	    size_t *fail, size_t *skip);

/* Reports of a run that ended (conform_report.c). */
void	conform_report_table(const struct conform_run *, FILE *fp);
int	conform_report_junit(const struct conform_run *, const char *path,
	    char *err, size_t errlen);
int	conform_report_html(const struct conform_run *, const char *path,
	    char *err, size_t errlen);
/* One file pair a test (NN-name.request.xml, .answer.xml) into dir
 * (made when absent). */
int	conform_report_evidence(const struct conform_run *, const char *dir,
	    char *err, size_t errlen);

/*
 * The steps of the NIST test plans under dir (testplan.xml files,
 * index.idx order where there is one) that conform_testkit can run, as
 * tests appended to t (at most max; *n updated): stored queries
 * (StoredQueryTransaction, XCQTransaction) of ebRIM 3.0 files with their
 * ExpectedStatus and ExpectedContents.  Steps of other kinds become
 * tests that are skipped with the reason.  XDS_OK or a status with err.
 */
int	conform_testkit_load(const char *dir, const char *actor,
	    struct conform_test *t, size_t max, size_t *n, char *err,
	    size_t errlen);

#endif
