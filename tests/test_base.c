/* test_base.c: buf, str, conf, log redaction, status. */
#include "config.h"

#include "cutest.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conf.h"
#include "log.h"
#include "status.h"
#include "str.h"
#include "vocab.h"

static void
test_buf_cap(void)
{
	struct buf b;
	char big[100];

	buf_init(&b, 10);
	CU_ASSERT_EQUAL(buf_adds(&b, "12345"), BUF_OK);
	CU_ASSERT_EQUAL(buf_adds(&b, "67890"), BUF_OK);
	CU_ASSERT_EQUAL(buf_adds(&b, "x"), BUF_TOOBIG);
	CU_ASSERT_STRING_EQUAL(buf_str(&b), "1234567890");
	buf_free(&b);
	memset(big, 'a', sizeof big);
	buf_init(&b, 1000);
	CU_ASSERT_EQUAL(buf_add(&b, big, sizeof big), BUF_OK);
	CU_ASSERT_EQUAL(b.b_len, 100);
	buf_free(&b);
}

static void
test_buf_xml(void)
{
	struct buf b;

	buf_init(&b, 1000);
	CU_ASSERT_EQUAL(buf_add_xml(&b, "a<b>&\"c'"), BUF_OK);
	CU_ASSERT_STRING_EQUAL(buf_str(&b), "a&lt;b&gt;&amp;&quot;c&apos;");
	CU_ASSERT_EQUAL(buf_addf(&b, "%d-%s", 42, "x"), BUF_OK);
	CU_ASSERT_STRING_EQUAL(buf_str(&b), "a&lt;b&gt;&amp;&quot;c&apos;42-x");
	buf_free(&b);
}

static void
test_str(void)
{
	char small[4];
	long long v;
	const char *es;

	CU_ASSERT_EQUAL(str_lcpy(small, "abcdef", sizeof small), 6);
	CU_ASSERT_STRING_EQUAL(small, "abc");
	CU_ASSERT_EQUAL(str_tonum("123", 0, 1000, &v, &es), 0);
	CU_ASSERT_EQUAL(v, 123);
	CU_ASSERT_EQUAL(str_tonum("12a", 0, 1000, &v, &es), -1);
	CU_ASSERT_EQUAL(str_tonum("2000", 0, 1000, &v, &es), -1);
	CU_ASSERT_STRING_EQUAL(es, "too large");
	CU_ASSERT_EQUAL(str_tonum("", 0, 1000, &v, &es), -1);
	CU_ASSERT_EQUAL(str_tonum(" 1", 0, 1000, &v, &es), -1);
	CU_ASSERT(str_caseeq("Content-Length", "content-length"));
	CU_ASSERT(!str_caseeq("Content-Length", "content-lengt"));
}

static void
test_conf(void)
{
	struct conf c;
	char err[256];
	FILE *fp;
	const char *path = "test_base.conf";

	conf_defaults(&c);
	CU_ASSERT_STRING_EQUAL(c.http_listen, "127.0.0.1:8080");
	CU_ASSERT_EQUAL(c.soap_max_envelope, 16LL * 1024 * 1024);
	CU_ASSERT_EQUAL(conf_check(&c, err, sizeof err), 0);
	CU_ASSERT_EQUAL(conf_set_kv(&c, "http.listen=127.0.0.1:18080", err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(c.http_listen, "127.0.0.1:18080");
	CU_ASSERT_EQUAL(conf_set_kv(&c, "http.workers=0", err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "outside"));
	CU_ASSERT_EQUAL(conf_set_kv(&c, "nope.key=1", err, sizeof err), -1);
	CU_ASSERT_EQUAL(conf_set_kv(&c, "registry.patient_ids=pix", err, sizeof err), -1);
	CU_ASSERT_EQUAL(conf_set_kv(&c, "http.tls=yes", err, sizeof err), 0);
	CU_ASSERT_EQUAL(conf_check(&c, err, sizeof err), -1);

	fp = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	fputs("# test\n[node]\nstate_dir = /tmp/x\n[http]\nmax_head = 32k\n", fp);
	fclose(fp);
	conf_defaults(&c);
	CU_ASSERT_EQUAL(conf_load_file(&c, path, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(c.node_state_dir, "/tmp/x");
	CU_ASSERT_EQUAL(c.http_max_head, 32768);
	fp = fopen(path, "w");
	fputs("[http]\nbogus = 1\n", fp);
	fclose(fp);
	CU_ASSERT_EQUAL(conf_load_file(&c, path, err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":2:"));
	remove(path);
}

/* Every option of the table is documented in xdsd.conf(5). */
static void
test_conf_manpage(void)
{
	const char *top = getenv("top_srcdir");
	char path[1024], line[1024], want[256];
	struct buf man;
	FILE *fp;
	size_t i;

	snprintf(path, sizeof path, "%s/man/xdsd.conf.5", top ? top : ".");
	fp = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	buf_init(&man, 1 << 20);
	while (fgets(line, sizeof line, fp) != NULL)
		CU_ASSERT_EQUAL(buf_adds(&man, line), BUF_OK);
	fclose(fp);
	for (i = 0; i < conf_nopts; i++) {
		const char *dot = strchr(conf_opts[i].name, '.');

		snprintf(want, sizeof want, ".It Ic %s ", dot + 1);
		if (strstr(buf_str(&man), want) == NULL)
			fprintf(stderr, "xdsd.conf.5 lacks %s\n", conf_opts[i].name);
		CU_ASSERT_PTR_NOT_NULL(strstr(buf_str(&man), want));
	}
	buf_free(&man);
}

static void
test_redact(void)
{
	char out[64];

	log_redact_id("999911120^^^&2.16.840.1.113883.2.4.6.3&ISO", out, sizeof out);
	CU_ASSERT_EQUAL(strncmp(out, "*****1120^^^", 12), 0);
}

/* Every code has its own text; the XDS error codes follow the actor. */
static void
test_status(void)
{
	int i, j;

	CU_ASSERT_STRING_EQUAL(xds_strstatus(XDS_OK), "success");
	CU_ASSERT_STRING_EQUAL(xds_strstatus(XDS_ENOMEM), "out of memory");
	CU_ASSERT_STRING_EQUAL(xds_strstatus(1), "unknown status");
	CU_ASSERT_STRING_EQUAL(xds_strstatus(XDS_STATUS_MIN - 1),
	    "unknown status");
	for (i = XDS_STATUS_MIN; i <= 0; i++)
		for (j = i + 1; j <= 0; j++)
			CU_ASSERT(strcmp(xds_strstatus(i), xds_strstatus(j)) != 0);
	CU_ASSERT_STRING_EQUAL(xds_status_errcode(XDS_EBUSY,
	    XDS_ACTOR_REGISTRY), ERR_REGISTRY_BUSY);
	CU_ASSERT_STRING_EQUAL(xds_status_errcode(XDS_ENOMEM,
	    XDS_ACTOR_REPOSITORY), ERR_REPOSITORY_OUT_OF_RESOURCES);
	CU_ASSERT_STRING_EQUAL(xds_status_errcode(XDS_EUNCERTAIN,
	    XDS_ACTOR_REPOSITORY), ERR_REGISTRY_NOT_AVAILABLE);
	CU_ASSERT_STRING_EQUAL(xds_status_errcode(XDS_ETIMEOUT,
	    XDS_ACTOR_GATEWAY), ERR_UNAVAILABLE_COMMUNITY);
	CU_ASSERT_STRING_EQUAL(xds_status_errcode(XDS_EIO,
	    XDS_ACTOR_REPOSITORY), ERR_REPOSITORY);
	CU_ASSERT_STRING_EQUAL(xds_status_errcode(XDS_ERR,
	    XDS_ACTOR_GATEWAY), ERR_REGISTRY);
}

static const struct cutest tests[] = {
	{ "buf cap", test_buf_cap },
	{ "buf xml", test_buf_xml },
	{ "str", test_str },
	{ "conf", test_conf },
	{ "conf documented", test_conf_manpage },
	{ "redact", test_redact },
	{ "status", test_status },
};

int
main(void)
{
	return cutest_run("base", tests, sizeof tests / sizeof tests[0]);
}
