/* test_base.c: buf, str, log redaction, status. */
#include "config.h"

#include "cutest.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
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
	{ "redact", test_redact },
	{ "status", test_status },
};

int
main(void)
{
	return cutest_run("base", tests, sizeof tests / sizeof tests[0]);
}
