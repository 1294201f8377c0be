/* test_conf.c: the option table, the configuration file, the value
 * checks (conf_opt.check) and the shared parsers of option values. */
#include "config.h"

#include "cutest.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "str.h"
#include "testutil.h"

static void
test_conf(void)
{
	struct conf c;
	char err[256];
	const char *path = "test_conf.conf";

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

	CU_ASSERT_EQUAL_FATAL(testutil_write_text(path,
	    "# test\n[node]\nstate_dir = /tmp/x\n"
	    "[http]\nmax_head = 32k\n"), 0);
	conf_defaults(&c);
	CU_ASSERT_EQUAL(conf_load_file(&c, path, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(c.node_state_dir, "/tmp/x");
	CU_ASSERT_EQUAL(c.http_max_head, 32768);
	CU_ASSERT_EQUAL_FATAL(testutil_write_text(path, "[http]\nbogus = 1\n"),
	    0);
	CU_ASSERT_EQUAL(conf_load_file(&c, path, err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":2:"));
	remove(path);
}

/* Every option of the table is documented in xdsd.conf(5). */
static void
test_conf_manpage(void)
{
	char want[256], *man;
	size_t i;

	man = testutil_srcdir_file("man/xdsd.conf.5", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(man);
	for (i = 0; i < conf_nopts; i++) {
		const char *dot = strchr(conf_opts[i].name, '.');

		snprintf(want, sizeof want, ".It Ic %s ", dot + 1);
		if (strstr(man, want) == NULL)
			fprintf(stderr, "xdsd.conf.5 lacks %s\n", conf_opts[i].name);
		CU_ASSERT_PTR_NOT_NULL(strstr(man, want));
	}
	free(man);
}

/* Each checked option refuses a value the node could not use, naming
 * the option; the defaults pass every check (conf_defaults aborts if
 * not). */
static void
test_conf_values(void)
{
	static const char *const bad[] = {
		"dicom.class_code=IMAGES",
		"dicom.type_code=a^b",
		"dicom.practice_code=a^^c",
		"affinity.format_code=a^b^c^d",
		"dicom.language_code=nl_NL",
		"affinity.language_code=",
		"dicom.uid_root=1.2.3.4.5.6.7.8.9.10.11.12.13",
		"dicom.uid_root=1.02",
		"affinity.uid_root=x",
		"affinity.source_id=1",
		"repository.unique_id=1.2.",
		"dicom.accession_issuer=abc",
		"dicom.retrieve_location_uid=1..2",
		"node.home_community_id=1.2.3",
		"node.home_community_id=urn:oid:1.2.x",
		"dicom.ae_title=",
		"dicom.ae_title=ABCDEFGHIJKLMNOPQ",
		"dicom.ae_title=A\\B",
		"dicom.ae_title=   ",
		"dicom.pacs=PACS",
		"dicom.pacs=PACS@host",
		"dicom.pacs=PACS@host:0",
		"dicom.pacs=@host:104",
		"dicom.repository_url=http://10.0.0.1/xds/repository",
		"dicom.repository_url=ftp://127.0.0.1/",
		"repository.registry_url=http://localhost.example.org/x",
		"repository.registry_url=http://127.0.0.1.example.org/x",
		"http.listen=8080",
		"dicom.listen=:11112",
		"node.state_dir=",
	};
	static const char *const good[] = {
		"dicom.class_code=IMAGES^Images^1.2.3",
		"dicom.language_code=en",
		"affinity.language_code=de-CH-1901",
		"dicom.uid_root=1.2.840.99999",
		"dicom.accession_issuer=",
		"dicom.accession_issuer=2.16.528.1",
		"dicom.pacs=",
		"dicom.pacs=PACS@10.0.0.5:104",
		"dicom.pacs=PACS@[::1]:104",
		"dicom.repository_url=",
		"dicom.repository_url=https://pacs.example.org/xds/repository",
		"dicom.repository_url=http://127.0.0.1:8080/xds/repository",
		"repository.registry_url=http://localhost:8080/xds/registry",
		"repository.registry_url=http://[::1]:8080/xds/registry",
		"http.listen=127.0.0.1:0",
		"dicom.listen=[::1]:11112",
	};
	struct conf c;
	char err[256], name[64];
	size_t i;

	conf_defaults(&c);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		str_lcpy(name, bad[i], sizeof name);
		*strchr(name, '=') = '\0';
		err[0] = '\0';
		if (conf_set_kv(&c, bad[i], err, sizeof err) != -1)
			fprintf(stderr, "accepted: %s\n", bad[i]);
		CU_ASSERT_EQUAL(conf_set_kv(&c, bad[i], err, sizeof err), -1);
		CU_ASSERT_EQUAL(strncmp(err, name, strlen(name)), 0);
	}
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		if (conf_set_kv(&c, good[i], err, sizeof err) != 0)
			fprintf(stderr, "refused: %s: %s\n", good[i], err);
		CU_ASSERT_EQUAL(conf_set_kv(&c, good[i], err, sizeof err), 0);
	}
	/* a refused value leaves the option as it was */
	conf_defaults(&c);
	CU_ASSERT_EQUAL(conf_set_kv(&c, "dicom.class_code=x", err, sizeof err),
	    -1);
	CU_ASSERT_STRING_EQUAL(c.dicom_class_code,
	    "IMAGES^Images^1.3.6.1.4.1.19376.1.2.6.1");
}

/* A bad value in a file names the file and its line. */
static void
test_conf_file_line(void)
{
	const char *path = "test_conf_line.conf";
	struct conf c;
	char err[512];

	CU_ASSERT_EQUAL_FATAL(testutil_write_text(path,
	    "[node]\nstate_dir = /tmp/x\n\n[dicom]\n"
	    "class_code = IMAGES\n"), 0);
	conf_defaults(&c);
	CU_ASSERT_EQUAL(conf_load_file(&c, path, err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "test_conf_line.conf:5: "
	    "dicom.class_code: "));
	remove(path);
}

/* Plain HTTP only on loopback unless allowed; TLS needs its files. */
static void
test_conf_cross(void)
{
	struct conf c;
	char err[256];

	conf_defaults(&c);
	CU_ASSERT_EQUAL(conf_set_kv(&c, "http.listen=0.0.0.0:8080", err,
	    sizeof err), 0);
	CU_ASSERT_EQUAL(conf_check(&c, err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "plain HTTP"));
	CU_ASSERT_EQUAL(conf_set_kv(&c, "http.allow_plain_nonlocal=yes", err,
	    sizeof err), 0);
	CU_ASSERT_EQUAL(conf_check(&c, err, sizeof err), 0);
}

/* The shared parsers of option values. */
static void
test_conf_parsers(void)
{
	struct conf c;
	char ae[17], host[64], err[256];
	int port;

	CU_ASSERT_EQUAL(conf_split_ae("PACS@10.0.0.5:104", ae, sizeof ae, host,
	    sizeof host, &port), 0);
	CU_ASSERT_STRING_EQUAL(ae, "PACS");
	CU_ASSERT_STRING_EQUAL(host, "10.0.0.5");
	CU_ASSERT_EQUAL(port, 104);
	CU_ASSERT_EQUAL(conf_split_ae("PACS@h:104", ae, 4, host, sizeof host,
	    &port), -1);
	/* peer URLs: url_check of lib/base (test_base) as the options'
	 * check */
	conf_defaults(&c);
	CU_ASSERT_EQUAL(conf_set(&c, "repository.registry_url", "", err,
	    sizeof err), 0);
	CU_ASSERT_EQUAL(conf_set(&c, "repository.registry_url", "https://x/y",
	    err, sizeof err), 0);
	CU_ASSERT_EQUAL(conf_set(&c, "dicom.repository_url",
	    "http://127.0.0.1:9/y", err, sizeof err), 0);
	CU_ASSERT_EQUAL(conf_set(&c, "dicom.repository_url", "http://x/y", err,
	    sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "https://"));
}

/* Port 0 (a free port, reported by xdsd in state_dir/xdsd.ports) is
 * valid; past 65535 is not. */
static void
test_conf_port0(void)
{
	struct conf c;
	char err[256];

	conf_defaults(&c);
	CU_ASSERT_EQUAL(conf_set_kv(&c, "http.listen=127.0.0.1:0", err,
	    sizeof err), 0);
	CU_ASSERT_EQUAL(conf_set_kv(&c, "dicom.listen=[::1]:0", err,
	    sizeof err), 0);
	CU_ASSERT_EQUAL(conf_check(&c, err, sizeof err), 0);
	CU_ASSERT(conf_set_kv(&c, "http.listen=127.0.0.1:65536", err,
	    sizeof err) != 0 || conf_check(&c, err, sizeof err) != 0);
}

/* push.route: AE=URA|HCID pairs, ',' or ';' between, blanks allowed. */
static void
test_conf_routes(void)
{
	char ae[17], dest[80], err[256];
	struct conf c;

	CU_ASSERT_EQUAL(conf_route_at(" TWIIN_B = 00007002 ;X=urn:oid:1.2.3,",
	    0, ae, sizeof ae, dest, sizeof dest), 1);
	CU_ASSERT_STRING_EQUAL(ae, "TWIIN_B");
	CU_ASSERT_STRING_EQUAL(dest, "00007002");
	CU_ASSERT_EQUAL(conf_route_at(" TWIIN_B = 00007002 ;X=urn:oid:1.2.3,",
	    1, ae, sizeof ae, dest, sizeof dest), 1);
	CU_ASSERT_STRING_EQUAL(ae, "X");
	CU_ASSERT_STRING_EQUAL(dest, "urn:oid:1.2.3");
	CU_ASSERT_EQUAL(conf_route_at(" TWIIN_B = 00007002 ;X=urn:oid:1.2.3,",
	    2, ae, sizeof ae, dest, sizeof dest), 0);
	CU_ASSERT_EQUAL(conf_route_at("", 0, ae, sizeof ae, dest,
	    sizeof dest), 0);
	CU_ASSERT_EQUAL(conf_route_find("A=00000001,B=00000002", "B", dest,
	    sizeof dest), 1);
	CU_ASSERT_STRING_EQUAL(dest, "00000002");
	CU_ASSERT_EQUAL(conf_route_find("A=00000001", "C", dest,
	    sizeof dest), 0);
	/* no '=', 7 digits, an AE title of 17, a bad OID, nothing after = */
	CU_ASSERT_EQUAL(conf_route_at("TWIIN_B", 0, ae, sizeof ae, dest,
	    sizeof dest), -1);
	CU_ASSERT_EQUAL(conf_route_at("B=0000700", 0, ae, sizeof ae, dest,
	    sizeof dest), -1);
	CU_ASSERT_EQUAL(conf_route_at("ABCDEFGHIJKLMNOPQ=00007002", 0, ae,
	    sizeof ae, dest, sizeof dest), -1);
	CU_ASSERT_EQUAL(conf_route_at("B=urn:oid:1..2", 0, ae, sizeof ae,
	    dest, sizeof dest), -1);
	CU_ASSERT_EQUAL(conf_route_at("B=", 0, ae, sizeof ae, dest,
	    sizeof dest), -1);
	conf_defaults(&c);
	CU_ASSERT_NOT_EQUAL(conf_set(&c, "push.route", "B=123", err,
	    sizeof err), 0);
	CU_ASSERT_EQUAL(conf_set(&c, "push.route", "B=00007002", err,
	    sizeof err), 0);
}

static const struct cutest tests[] = {
	{ "conf", test_conf },
	{ "conf documented", test_conf_manpage },
	{ "conf values", test_conf_values },
	{ "conf file line", test_conf_file_line },
	{ "conf cross", test_conf_cross },
	{ "conf parsers", test_conf_parsers },
	{ "conf port 0", test_conf_port0 },
	{ "conf routes", test_conf_routes },
};

int
main(void)
{
	return cutest_run("conf", tests, sizeof tests / sizeof tests[0]);
}
