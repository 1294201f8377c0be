/*
 * xdsctl: the tool for the people who run and test xdsnode.
 *
 *	xdsctl [options] patient add ID... | patient list
 *	xdsctl [options] submit FILE...
 *	xdsctl [options] submit FILE... --patient BSN [metadata flags]
 *	xdsctl [options] send --to URA|HCID --patient BSN FILE... [flags]
 *	xdsctl [options] retrieve UNIQUEID... [--repository ID] [-o DIR]
 *	xdsctl [options] query NAME [key=value...]
 *	xdsctl [options] delete ENTRYUUID...
 *	xdsctl [options] update FILE...
 *	xdsctl [options] deprecate | approve ENTRYUUID...
 *	xdsctl [options] remove-documents UNIQUEID... [--repository ID]
 *	xdsctl [options] validate [--json] FILE...
 *	xdsctl [options] proxy --listen ADDR --to URL [--dir DIR] ...
 *	xdsctl [options] directory list | lookup URA|HCID
 *	xdsctl [options] tls check HOST:PORT [--ca F] [--crl F] [--cert F --key F]
 *	xdsctl [options] conformance run --actor ACTOR --target URL [...]
 *	xdsctl [options] xdm export ... | xdm import FILE.zip|DIR --patient BSN
 *
 * patient works on the local state directory of the configured node;
 * directory reads the community directory the node's configuration
 * names;
 * submit, query, delete, update, deprecate and approve speak SOAP to
 * any XDS.b registry (--url);
 * validate checks captured IHE messages offline, proxy checks them
 * live between two systems.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "buf.h"
#include "ebrim.h"
#include "hl7dt.h"
#include "pki.h"
#include "registry.h"
#include "status.h"
#include "str.h"
#include "vocab.h"
#include "xdsctl.h"
#include "xml.h"

static void
usage(void)
{
	fprintf(stderr,
	    "usage: xdsctl [-c file] [-C section.key=value] [--url URL] [--json]\n"
	    "              [--cert FILE --key FILE --ca FILE]\n"
	    "              [--user-id UZI --role CODE [--purpose TREAT|COC] [--ura URA]]\n"
	    "              command ...\n"
	    "commands:\n"
	    "  patient add ID...        make patients known (registry.patient_ids = feed);\n"
	    "                           ID is a BSN or a CX id^^^&oid&ISO\n"
	    "  patient list             list the known patients\n"
	    "  submit FILE...           ITI-42: register the ebRIM SubmitObjectsRequest in FILE\n"
	    "  submit FILE... --patient BSN [--title T]... [--class C] [--type C] ...\n"
	    "                           ITI-41: store and register documents with\n"
	    "                           metadata from the flags and [affinity]\n"
	    "  send --to URA|HCID --patient BSN FILE... [submit's flags]\n"
	    "                           XDR: the documents to another organisation's\n"
	    "                           Document Recipient (the directory's xdr=)\n"
	    "  retrieve UNIQUEID... [--repository ID] [-o DIR]\n"
	    "                           ITI-43: fetch documents into DIR\n"
	    "  query NAME [key=value]   ITI-18 stored query, e.g.\n"
	    "                           query FindDocuments patient=999911120\n"
	    "  delete ENTRYUUID...      ITI-62: remove registry objects\n"
	    "  update FILE...           ITI-57: send the Metadata Update (new versions,\n"
	    "                           status changes) in FILE\n"
	    "  deprecate ENTRYUUID...   ITI-57: make document entries Deprecated\n"
	    "  approve ENTRYUUID...     ITI-57: make them Approved again\n"
	    "  remove-documents UNIQUEID... [--repository ID]\n"
	    "                           ITI-86: remove documents from the repository\n"
	    "                           (after their metadata: delete)\n"
	    "  validate [--json] FILE...\n"
	    "                           what each captured IHE message is and what\n"
	    "                           is wrong with it (schema, SOAP/MTOM, metadata)\n"
	    "  proxy --listen ADDR --to URL [--dir DIR] [--listen-cert F --listen-key F]\n"
	    "                           forward HTTP(S) exchanges unchanged, checking\n"
	    "                           both directions as validate does\n"
	    "  audit [key=value...]     read the NEN 7513 access log; filters: patient,\n"
	    "                           event, user, outcome, since, until (YYYY-MM-DD)\n"
	    "  audit verify             check the access log's hash chain\n"
	    "  dicom pending            DICOM studies kept without a (single) valid BSN\n"
	    "  dicom studies [STATE]    the DICOM bridge's studies\n"
	    "  image import --patient BSN --study UID [--community HCID]\n"
	    "                           a study from the registry, or from another\n"
	    "                           community through the gateway, into dicom.pacs\n"
	    "  push --to URA|HCID --study UID\n"
	    "                           send a study the DICOM bridge holds to another\n"
	    "                           organisation's node (DICOM TLS, storage commitment)\n"
	    "  push list | show ID | retry ID | cancel ID\n"
	    "                           the push jobs\n"
	    "  directory list           the other communities of the community directory\n"
	    "  directory lookup URA|HCID  one community, every field\n"
	    "  db check                 the stored documents against their recorded\n"
	    "                           size and SHA-256, and orphan files\n"
	    "  status                   the node's version, endpoints, requests,\n"
	    "                           disk, certificate and last warnings\n"
	    "  backup DIR               a consistent copy of the node's state into\n"
	    "                           the new directory DIR, beside a running node\n"
	    "  restore DIR              a backup into node.state_dir (absent or empty)\n"
	    "  mitz subscriptions [state=pending|done|failed]\n"
	    "                           the patients' subscriptions at Mitz\n"
	    "  timeline --patient BSN [--since YYYY-MM-DD]\n"
	    "                           the patient's documents and studies in every\n"
	    "                           community, newest first (initiating gateway)\n"
	    "  tls check HOST:PORT [--ca FILE] [--crl FILE] [--cert FILE --key FILE]\n"
	    "                           what a TLS peer presents, and whether the node\n"
	    "                           would accept it (exit 0) or not (exit 1)\n"
	    "  conformance run --actor ACTOR --target URL [--junit F] [--html F] ...\n"
	    "                           the tests of an actor (registry, repository,\n"
	    "                           responding-gateway, initiating-gateway,\n"
	    "                           imaging-source and the imaging gateways;\n"
	    "                           --option metadata-update) against a\n"
	    "                           system; exit 1 when one fails (xdsctl(1))\n"
	    "  xdm export --patient BSN (--study UID | --document UNIQUEID...) -o FILE.zip\n"
	    "                           an XDM package (ITI-32) of the patient's\n"
	    "                           documents or study, from the node\n"
	    "  xdm import FILE.zip|DIR --patient BSN [--store AE@HOST:PORT]\n"
	    "                           an XDM package or PDI media checked, then\n"
	    "                           registered (ITI-41) and C-STOREd (exit 3:\n"
	    "                           refused)\n");
	exit(2);
}

static int
print_patient(void *arg, const char *cx, const char *added)
{
	struct ctl *ctl = arg;
	static int first = 1;

	if (ctl->json) {
		printf("%s{\"patient\":\"%s\",\"added\":\"%s\"}", first ? "[" : ",",
		    cx, added);
		first = 0;
	} else
		printf("%-48s %s\n", cx, added);
	return 0;
}

static int
ctl_patient(struct ctl *ctl, int argc, char **argv)
{
	struct registry *reg = NULL;
	char err[512], cx[512];
	int i, rc = 1;

	if (argc < 1)
		usage();
	if (registry_open(&ctl->conf, &reg, err, sizeof err) != 0) {
		fprintf(stderr, "xdsctl: %s\n", err);
		return 1;
	}
	if (strcmp(argv[0], "add") == 0 && argc > 1) {
		for (i = 1; i < argc; i++) {
			if (ctl_patient_cx(argv[i], cx, sizeof cx) != 0)
				goto out;
			if (registry_patient_add(reg, cx, err, sizeof err) != 0) {
				fprintf(stderr, "xdsctl: %s: %s\n", cx, err);
				goto out;
			}
			printf("added %s\n", cx);
		}
		if (strcmp(ctl->conf.registry_patient_ids, "feed") != 0)
			fprintf(stderr, "xdsctl: note: registry.patient_ids is "
			    "\"%s\"; the list is used when it is \"feed\"\n",
			    ctl->conf.registry_patient_ids);
	} else if (strcmp(argv[0], "list") == 0 && argc == 1) {
		if (!ctl->json)
			printf("%-48s %s\n", "PATIENT", "ADDED");
		registry_patient_list(reg, print_patient, ctl);
		if (ctl->json)
			printf("]\n");
	} else
		usage();
	rc = 0;
out:
	registry_close(reg);
	return rc;
}

/* submit with --patient sends documents (ITI-41), without it ebRIM (ITI-42). */
static int
has_patient(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--patient") == 0 ||
		    strncmp(argv[i], "--patient=", 10) == 0)
			return 1;
	return 0;
}

/*
 * A node's base URL (http://host:port, with or without the final /)
 * means its registry endpoint, as the node's own address does without
 * --url: the commands that need another endpoint of the node (retrieve,
 * the gateway) derive it from that.  0, or -1 when it does not fit.
 */
static int
base_url(char *url, size_t urlsz)
{
	const char *p = strstr(url, "://");

	if (p == NULL)
		return 0;
	if ((p = strchr(p + 3, '/')) == NULL)
		return str_lcat(url, "/xds/registry", urlsz) >= urlsz ? -1 : 0;
	if (strcmp(p, "/") == 0)
		return str_lcat(url, "xds/registry", urlsz) >= urlsz ? -1 : 0;
	return 0;
}

/* --user-id, --role, --purpose, --ura into ctl; -1 with a message. */
static int
ctl_xua_opt(struct ctl *ctl, int ch, const char *v)
{
	char err[128] = "empty";
	size_t n = strlen(v);

	switch (ch) {
	case 'U':
		if (n == 0 || n >= sizeof ctl->user_id ||
		    strspn(v, "0123456789") != n) {
			fprintf(stderr, "xdsctl: --user-id: an UZI number\n");
			return -1;
		}
		str_lcpy(ctl->user_id, v, sizeof ctl->user_id);
		return 0;
	case 'R':
		if (n == 0 || conf_set(&ctl->conf, "xua.role", v, err,
		    sizeof err) != 0) {
			fprintf(stderr, "xdsctl: --role: %s\n", err);
			return -1;
		}
		str_lcpy(ctl->role, v, sizeof ctl->role);
		return 0;
	case 'P':
		if (conf_set(&ctl->conf, "xua.purpose", v, err, sizeof err) !=
		    0) {
			fprintf(stderr, "xdsctl: --purpose: %s\n", err);
			return -1;
		}
		str_lcpy(ctl->purpose, v, sizeof ctl->purpose);
		return 0;
	default:
		if (n != 8 || strspn(v, "0123456789") != n) {
			fprintf(stderr, "xdsctl: --ura: 8 digits\n");
			return -1;
		}
		str_lcpy(ctl->ura, v, sizeof ctl->ura);
		return 0;
	}
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "json", no_argument, NULL, 'j' },
		{ "cert", required_argument, NULL, 'E' },
		{ "key", required_argument, NULL, 'K' },
		{ "ca", required_argument, NULL, 'A' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "user-id", required_argument, NULL, 'U' },
		{ "role", required_argument, NULL, 'R' },
		{ "purpose", required_argument, NULL, 'P' },
		{ "ura", required_argument, NULL, 'G' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct ctl ctl;
	char err[512], host[256];
	const char *cfile = NULL;
	int ch, port, rc;

	memset(&ctl, 0, sizeof ctl);
	conf_defaults(&ctl.conf);
	str_lcpy(ctl.purpose, "TREAT", sizeof ctl.purpose);
	/* "+": stop at the command, so "query ... key=value" is left alone */
	while ((ch = getopt_long(argc, argv, "+c:C:hjv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cfile = optarg;
			ctl.cfile = optarg;
			if (conf_load_file(&ctl.conf, cfile, err, sizeof err) != 0) {
				fprintf(stderr, "xdsctl: %s\n", err);
				return 1;
			}
			break;
		case 'C':
			if (conf_set_kv(&ctl.conf, optarg, err, sizeof err) != 0) {
				fprintf(stderr, "xdsctl: -C %s\n", err);
				return 1;
			}
			break;
		case 'u':
			str_lcpy(ctl.url, optarg, sizeof ctl.url);
			break;
		case 'j': ctl.json = 1; break;
		case 'v': ctl.verbose = 1; break;
		case 'E': ctl.cert = optarg; break;
		case 'K': ctl.key = optarg; break;
		case 'A': ctl.ca = optarg; break;
		case 'U':
		case 'R':
		case 'P':
		case 'G':
			if (ctl_xua_opt(&ctl, ch, optarg) != 0)
				return 2;
			break;
		default: usage();
		}
	}
	if (ctl.user_id[0] != '\0' && (ctl.role[0] == '\0' ||
	    (ctl.ura[0] == '\0' && ctl.conf.consent_ura[0] == '\0'))) {
		fprintf(stderr, "xdsctl: --user-id needs --role and --ura (or "
		    "consent.ura)\n");
		return 2;
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	if (ctl.url[0] != '\0' && base_url(ctl.url, sizeof ctl.url) != 0) {
		fprintf(stderr, "xdsctl: --url %s: too long\n", ctl.url);
		return 1;
	}
	if (ctl.url[0] == '\0') {
		if (conf_split_hostport(ctl.conf.http_listen, host, sizeof host,
		    &port) != 0) {
			fprintf(stderr, "xdsctl: http.listen: bad address\n");
			return 1;
		}
		str_fmt(ctl.url, sizeof ctl.url, "%s://%s%s%s:%d/xds/registry",
		    ctl.conf.http_tls ? "https" : "http",
		    strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "",
		    port);
	}
	if (ctl.conf.http_tls && ctl.cert == NULL) {
		ctl.cert = ctl.conf.http_cert;
		ctl.key = ctl.conf.http_key;
		ctl.ca = ctl.conf.http_ca;
	}
	xml_init();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	/* The node's CRLs for the requests xdsctl sends, as the node's. */
	if (ctl.conf.http_crl[0] != '\0') {
		struct pki_crls *crls;

		if (pki_crls_load(ctl.conf.http_crl, &crls, err, sizeof err) !=
		    XDS_OK) {
			fprintf(stderr, "xdsctl: http.crl: %s\n", err);
			return 1;
		}
		pki_crls_install(crls);
	}
	if (strcmp(argv[0], "patient") == 0)
		rc = ctl_patient(&ctl, argc - 1, argv + 1);
	else if (strcmp(argv[0], "validate") == 0)
		rc = ctl_validate(&ctl, argc - 1, argv + 1);
	else if (strcmp(argv[0], "proxy") == 0)
		rc = ctl_proxy(&ctl, argc - 1, argv + 1);
	else if (strcmp(argv[0], "submit") == 0 && has_patient(argc, argv))
		rc = ctl_provide(&ctl, argc - 1, argv + 1);
	else if (strcmp(argv[0], "submit") == 0)
		rc = ctl_submit(&ctl, argc - 1, argv + 1);
	else if (strcmp(argv[0], "send") == 0)
		rc = ctl_send(&ctl, argc - 1, argv + 1);
	else if (strcmp(argv[0], "retrieve") == 0)
		rc = ctl_retrieve(&ctl, argc - 1, argv + 1);
	else if (strcmp(argv[0], "query") == 0)
		rc = ctl_query(&ctl, argc - 1, argv + 1);
	else if (strcmp(argv[0], "audit") == 0)
		rc = ctl_audit(&ctl, argc - 1, argv + 1);
	else if (strcmp(argv[0], "delete") == 0)
		rc = ctl_delete(&ctl, argc - 1, argv + 1);
	else if (strcmp(argv[0], "update") == 0)
		rc = ctl_update(&ctl, argc - 1, argv + 1);
	else if (strcmp(argv[0], "deprecate") == 0)
		rc = ctl_set_status(&ctl, argc - 1, argv + 1, STATUS_DEPRECATED);
	else if (strcmp(argv[0], "approve") == 0)
		rc = ctl_set_status(&ctl, argc - 1, argv + 1, STATUS_APPROVED);
	else if (strcmp(argv[0], "remove-documents") == 0)
		rc = ctl_remove_documents(&ctl, argc - 1, argv + 1);
	else if (strcmp(argv[0], "dicom") == 0)
		rc = ctl_dicom(&ctl, argc - 1, argv + 1);
	else if (strcmp(argv[0], "image") == 0)
		rc = ctl_image(&ctl, argc - 1, argv + 1);
	else if (strcmp(argv[0], "directory") == 0)
		rc = ctl_directory(&ctl, argc - 1, argv + 1);
	else if (strcmp(argv[0], "db") == 0)
		rc = ctl_db(&ctl, argc - 1, argv + 1);
	else if (strcmp(argv[0], "status") == 0)
		rc = ctl_status(&ctl, argc - 1, argv + 1);
	else if (strcmp(argv[0], "backup") == 0)
		rc = ctl_backup(&ctl, argc - 1, argv + 1);
	else if (strcmp(argv[0], "restore") == 0)
		rc = ctl_restore(&ctl, argc - 1, argv + 1);
	else if (strcmp(argv[0], "mitz") == 0)
		rc = ctl_mitz(&ctl, argc - 1, argv + 1);
	else if (strcmp(argv[0], "push") == 0)
		rc = ctl_push(&ctl, argc - 1, argv + 1);
	else if (strcmp(argv[0], "timeline") == 0)
		rc = ctl_timeline(&ctl, argc - 1, argv + 1);
	else if (strcmp(argv[0], "tls") == 0)
		rc = ctl_tls(&ctl, argc - 1, argv + 1);
	else if (strcmp(argv[0], "conformance") == 0)
		rc = ctl_conformance(&ctl, argc - 1, argv + 1);
	else if (strcmp(argv[0], "xdm") == 0)
		rc = ctl_xdm(&ctl, argc - 1, argv + 1);
	else {
		fprintf(stderr, "xdsctl: unknown command \"%s\"\n", argv[0]);
		usage();
	}
	pki_crls_install(NULL);
	curl_global_cleanup();
	return rc;
}
