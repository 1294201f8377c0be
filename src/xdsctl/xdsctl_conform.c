/*
 * xdsctl_conform.c: conformance run --actor ACTOR --target URL [...]: the
 * tests of an actor against someone's system (lib/conform), a table on
 * stdout, JUnit XML, an HTML page and the exchanges as evidence files on
 * request; exit 0 when no test failed, 1 when one did, 2 for bad usage.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conform.h"
#include "hl7dt.h"
#include "str.h"
#include "xdsctl.h"

#define MAX_ONLY	256
#define MAX_OPTIONS	8

static int
conform_usage(void)
{
	fprintf(stderr,
	    "usage: xdsctl conformance run --actor ACTOR --target URL\n"
	    "           [--registry URL] [--repository URL] [--repository-id OID]\n"
	    "           [--home urn:oid:HCID] [--patient ID [--patient2 ID]]\n"
	    "           [--unavailable urn:oid:HCID] [--only TEST...]\n"
	    "           [--plans DIR] [--testkit DIR] [--junit FILE] [--html FILE]\n"
	    "           [--evidence DIR] [--timeout SECONDS]\n"
	    "           [--study UID --series UID --instance UID]\n"
	    "           [--option metadata-update] [--option on-demand]\n"
	    "       xdsctl conformance list --actor ACTOR [--plans DIR] [--testkit DIR]\n"
	    "actors: registry, repository, responding-gateway, initiating-gateway,\n"
	    "        imaging-source, responding-imaging-gateway,\n"
	    "        initiating-imaging-gateway\n"
	    "options (registry): metadata-update, on-demand\n");
	return 2;
}

static int
actor_ok(const char *a)
{
	size_t i;

	for (i = 0; conform_actors[i] != NULL; i++)
		if (strcmp(conform_actors[i], a) == 0)
			return 1;
	return 0;
}

static int
option_ok(const char *o)
{
	size_t i;

	for (i = 0; conform_options[i] != NULL; i++)
		if (strcmp(conform_options[i], o) == 0)
			return 1;
	return 0;
}

int
ctl_conformance(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "actor", required_argument, NULL, 'a' },
		{ "target", required_argument, NULL, 't' },
		{ "registry", required_argument, NULL, 'r' },
		{ "repository", required_argument, NULL, 'R' },
		{ "repository-id", required_argument, NULL, 'I' },
		{ "home", required_argument, NULL, 'H' },
		{ "patient", required_argument, NULL, 'p' },
		{ "only", required_argument, NULL, 'o' },
		{ "plans", required_argument, NULL, 'P' },
		{ "testkit", required_argument, NULL, 'k' },
		{ "junit", required_argument, NULL, 'j' },
		{ "html", required_argument, NULL, 'h' },
		{ "evidence", required_argument, NULL, 'e' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "study", required_argument, NULL, 'S' },
		{ "patient2", required_argument, NULL, '2' },
		{ "unavailable", required_argument, NULL, 'U' },
		{ "series", required_argument, NULL, 'E' },
		{ "instance", required_argument, NULL, 'N' },
		{ "option", required_argument, NULL, 'O' },
		{ NULL, 0, NULL, 0 }
	};
	struct conform_opts o;
	struct conform_run r;
	char *only[MAX_ONLY], *opts[MAX_OPTIONS], cx[512], cx2[512], err[1024];
	const char *junit = NULL, *html = NULL, *evidence = NULL, *es;
	size_t pass, fail, skip, i;
	long long v;
	int ch, list, rc = 1;

	if (argc < 1 || (strcmp(argv[0], "run") != 0 &&
	    strcmp(argv[0], "list") != 0))
		return conform_usage();
	list = strcmp(argv[0], "list") == 0;
	memset(&o, 0, sizeof o);
	o.only = only;
	o.options = opts;
	o.cert = ctl->cert;
	o.key = ctl->key;
	o.ca = ctl->ca;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a': o.actor = optarg; break;
		case 't': o.target = optarg; break;
		case 'r': o.registry = optarg; break;
		case 'R': o.repository = optarg; break;
		case 'I': o.repository_id = optarg; break;
		case 'H': o.home = optarg; break;
		case 'p':
			if (ctl_patient_cx(optarg, cx, sizeof cx) != 0)
				return 2;
			o.patient = cx;
			break;
		case 'o':
			if (o.nonly == MAX_ONLY)
				return conform_usage();
			only[o.nonly++] = optarg;
			break;
		case 'P': o.plans = optarg; break;
		case 'S': o.study = optarg; break;
		case 'U': o.unavailable = optarg; break;
		case '2':
			if (ctl_patient_cx(optarg, cx2, sizeof cx2) != 0)
				return 2;
			o.patient2 = cx2;
			break;
		case 'E': o.series = optarg; break;
		case 'N': o.instance = optarg; break;
		case 'O':
			if (!option_ok(optarg)) {
				fprintf(stderr, "xdsctl: --option %s: no tests "
				    "for it; options: metadata-update, "
				    "on-demand\n", optarg);
				return 2;
			}
			if (o.noptions == MAX_OPTIONS)
				return conform_usage();
			opts[o.noptions++] = optarg;
			break;
		case 'k': o.testkit = optarg; break;
		case 'j': junit = optarg; break;
		case 'h': html = optarg; break;
		case 'e': evidence = optarg; break;
		case 'T':
			if (str_tonum(optarg, 1, 86400, &v, &es) != 0) {
				fprintf(stderr, "xdsctl: --timeout: %s\n", es);
				return 2;
			}
			o.timeout = (long)v;
			break;
		default:
			return conform_usage();
		}
	}
	/* more names after --only NAME */
	for (; optind < argc && o.nonly > 0 && o.nonly < MAX_ONLY; optind++)
		only[o.nonly++] = argv[optind];
	if (optind < argc || o.actor == NULL || (!list && o.target == NULL))
		return conform_usage();
	if (!actor_ok(o.actor)) {
		fprintf(stderr, "xdsctl: --actor %s: no tests for it (yet); "
		    "actors: registry, repository, responding-gateway, "
		    "initiating-gateway, imaging-source, "
		    "responding-imaging-gateway, initiating-imaging-gateway\n",
		    o.actor);
		return 2;
	}
	if (list)
		o.target = "-";
	if (conform_run_init(&r, &o, err, sizeof err) != XDS_OK) {
		fprintf(stderr, "xdsctl: conformance: %s\n", err);
		conform_run_free(&r);
		return 2;
	}
	if (list) {
		for (i = 0; i < r.ntests; i++)
			printf("%-40s %-7s %s%s%s%s\n", r.tests[i].name,
			    r.tests[i].send, r.tests[i].title,
			    r.tests[i].option[0] ? " [--option " : "",
			    r.tests[i].option, r.tests[i].option[0] ? "]" :
			    "");
		conform_run_free(&r);
		return 0;
	}
	if (conform_run_all(&r, ctl->verbose ? stderr : NULL, err,
	    sizeof err) != XDS_OK) {
		fprintf(stderr, "xdsctl: conformance: %s\n", err);
		goto out;
	}
	conform_report_table(&r, stdout);
	if (junit && conform_report_junit(&r, junit, err, sizeof err) !=
	    XDS_OK)
		fprintf(stderr, "xdsctl: --junit: %s\n", err);
	else if (html && conform_report_html(&r, html, err, sizeof err) !=
	    XDS_OK)
		fprintf(stderr, "xdsctl: --html: %s\n", err);
	else if (evidence && conform_report_evidence(&r, evidence, err,
	    sizeof err) != XDS_OK)
		fprintf(stderr, "xdsctl: --evidence: %s\n", err);
	else {
		conform_run_counts(&r, &pass, &fail, &skip);
		rc = fail > 0 ? 1 : 0;
	}
out:
	conform_run_free(&r);
	return rc;
}
