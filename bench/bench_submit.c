/*
 * bench_submit: ITI-42 submissions per second against a running xdsd.
 *
 *	bench_submit URL PATIENTS THREADS COUNT
 *
 * Each submission registers one DocumentEntry (with its SubmissionSet and
 * HasMember association) under fresh uniqueIds; THREADS clients keep one
 * keep-alive connection each.  PATIENTS is a BSN (all submissions for
 * that patient) or a count: submission i then goes to generated BSN
 * i % PATIENTS, with creation times spread over ten years and one of four
 * class codes, so a registry loaded this way looks like a real one
 * (bench/run find loads 1M entries over 10,000 patients).  Prints submissions/s and latency
 * percentiles; counts any answer other than Success as an error.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "benchutil.h"
#include "bsn.h"

static const char *url;
static char (*bsns)[10];
static int npatients;
static int total;
static atomic_int next_i, errors;
static double *lat;
static long run_id;

#define BODY_MAX	16384	/* bytes of one submission */

static const char tmpl[] =
"<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:wsa=\"http://www.w3.org/2005/08/addressing\">"
"<soap:Header><wsa:Action soap:mustUnderstand=\"true\">urn:ihe:iti:2007:RegisterDocumentSet-b</wsa:Action>"
"<wsa:MessageID>urn:uuid:00000000-0000-4000-8000-%012d</wsa:MessageID></soap:Header><soap:Body>"
"<lcm:SubmitObjectsRequest xmlns:lcm=\"urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0\" xmlns:rim=\"urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0\"><rim:RegistryObjectList>"
"<rim:ExtrinsicObject id=\"Doc\" mimeType=\"application/pdf\" objectType=\"urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1\">"
"<rim:Slot name=\"creationTime\"><rim:ValueList><rim:Value>%s</rim:Value></rim:ValueList></rim:Slot>"
"<rim:Slot name=\"hash\"><rim:ValueList><rim:Value>da39a3ee5e6b4b0d3255bfef95601890afd80709</rim:Value></rim:ValueList></rim:Slot>"
"<rim:Slot name=\"size\"><rim:ValueList><rim:Value>0</rim:Value></rim:ValueList></rim:Slot>"
"<rim:Slot name=\"languageCode\"><rim:ValueList><rim:Value>nl-NL</rim:Value></rim:ValueList></rim:Slot>"
"<rim:Slot name=\"repositoryUniqueId\"><rim:ValueList><rim:Value>1.3.6.1.4.1.21367.13.70.2</rim:Value></rim:ValueList></rim:Slot>"
"<rim:Slot name=\"sourcePatientId\"><rim:ValueList><rim:Value>%s^^^&amp;2.16.840.1.113883.2.4.6.3&amp;ISO</rim:Value></rim:ValueList></rim:Slot>"
"<rim:Name><rim:LocalizedString value=\"Verslag\"/></rim:Name>"
"<rim:Classification id=\"c1\" classificationScheme=\"urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a\" classifiedObject=\"Doc\" nodeRepresentation=\"%s\"><rim:Slot name=\"codingScheme\"><rim:ValueList><rim:Value>1.3.6.1.4.1.19376.1.2.6.1</rim:Value></rim:ValueList></rim:Slot><rim:Name><rim:LocalizedString value=\"Reports\"/></rim:Name></rim:Classification>"
"<rim:Classification id=\"c2\" classificationScheme=\"urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f\" classifiedObject=\"Doc\" nodeRepresentation=\"N\"><rim:Slot name=\"codingScheme\"><rim:ValueList><rim:Value>2.16.840.1.113883.5.25</rim:Value></rim:ValueList></rim:Slot><rim:Name><rim:LocalizedString value=\"normal\"/></rim:Name></rim:Classification>"
"<rim:Classification id=\"c3\" classificationScheme=\"urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d\" classifiedObject=\"Doc\" nodeRepresentation=\"urn:ihe:rad:PDF\"><rim:Slot name=\"codingScheme\"><rim:ValueList><rim:Value>1.3.6.1.4.1.19376.1.2.3</rim:Value></rim:ValueList></rim:Slot><rim:Name><rim:LocalizedString value=\"PDF\"/></rim:Name></rim:Classification>"
"<rim:Classification id=\"c4\" classificationScheme=\"urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1\" classifiedObject=\"Doc\" nodeRepresentation=\"22232009\"><rim:Slot name=\"codingScheme\"><rim:ValueList><rim:Value>2.16.840.1.113883.6.96</rim:Value></rim:ValueList></rim:Slot><rim:Name><rim:LocalizedString value=\"Hospital\"/></rim:Name></rim:Classification>"
"<rim:Classification id=\"c5\" classificationScheme=\"urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead\" classifiedObject=\"Doc\" nodeRepresentation=\"394914008\"><rim:Slot name=\"codingScheme\"><rim:ValueList><rim:Value>2.16.840.1.113883.6.96</rim:Value></rim:ValueList></rim:Slot><rim:Name><rim:LocalizedString value=\"Radiology\"/></rim:Name></rim:Classification>"
"<rim:Classification id=\"c6\" classificationScheme=\"urn:uuid:f0306f51-975f-434e-a61c-c59651d33983\" classifiedObject=\"Doc\" nodeRepresentation=\"18748-4\"><rim:Slot name=\"codingScheme\"><rim:ValueList><rim:Value>2.16.840.1.113883.6.1</rim:Value></rim:ValueList></rim:Slot><rim:Name><rim:LocalizedString value=\"Diagnostic imaging study\"/></rim:Name></rim:Classification>"
"<rim:ExternalIdentifier id=\"e1\" registryObject=\"Doc\" identificationScheme=\"urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427\" value=\"%s^^^&amp;2.16.840.1.113883.2.4.6.3&amp;ISO\"><rim:Name><rim:LocalizedString value=\"XDSDocumentEntry.patientId\"/></rim:Name></rim:ExternalIdentifier>"
"<rim:ExternalIdentifier id=\"e2\" registryObject=\"Doc\" identificationScheme=\"urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab\" value=\"1.3.6.1.4.1.21367.13.70.9.%ld.%d\"><rim:Name><rim:LocalizedString value=\"XDSDocumentEntry.uniqueId\"/></rim:Name></rim:ExternalIdentifier>"
"</rim:ExtrinsicObject>"
"<rim:RegistryPackage id=\"SS\"><rim:Slot name=\"submissionTime\"><rim:ValueList><rim:Value>20261123120000</rim:Value></rim:ValueList></rim:Slot>"
"<rim:Classification id=\"c7\" classificationScheme=\"urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d\" classifiedObject=\"SS\" nodeRepresentation=\"\"><rim:Slot name=\"authorInstitution\"><rim:ValueList><rim:Value>Test Hospital^^^^^^^^^1.2.3</rim:Value></rim:ValueList></rim:Slot></rim:Classification>"
"<rim:Classification id=\"c8\" classificationScheme=\"urn:uuid:aa543740-bdda-424e-8c96-df4873be8500\" classifiedObject=\"SS\" nodeRepresentation=\"371530004\"><rim:Slot name=\"codingScheme\"><rim:ValueList><rim:Value>2.16.840.1.113883.6.96</rim:Value></rim:ValueList></rim:Slot><rim:Name><rim:LocalizedString value=\"Radiology report\"/></rim:Name></rim:Classification>"
"<rim:ExternalIdentifier id=\"e3\" registryObject=\"SS\" identificationScheme=\"urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8\" value=\"1.3.6.1.4.1.21367.13.70.8.%ld.%d\"><rim:Name><rim:LocalizedString value=\"XDSSubmissionSet.uniqueId\"/></rim:Name></rim:ExternalIdentifier>"
"<rim:ExternalIdentifier id=\"e4\" registryObject=\"SS\" identificationScheme=\"urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832\" value=\"1.3.6.1.4.1.21367.13.70.7\"><rim:Name><rim:LocalizedString value=\"XDSSubmissionSet.sourceId\"/></rim:Name></rim:ExternalIdentifier>"
"<rim:ExternalIdentifier id=\"e5\" registryObject=\"SS\" identificationScheme=\"urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446\" value=\"%s^^^&amp;2.16.840.1.113883.2.4.6.3&amp;ISO\"><rim:Name><rim:LocalizedString value=\"XDSSubmissionSet.patientId\"/></rim:Name></rim:ExternalIdentifier>"
"</rim:RegistryPackage>"
"<rim:Classification id=\"c9\" classifiedObject=\"SS\" classificationNode=\"urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd\"/>"
"<rim:Association id=\"a1\" associationType=\"urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember\" sourceObject=\"SS\" targetObject=\"Doc\"><rim:Slot name=\"SubmissionSetStatus\"><rim:ValueList><rim:Value>Original</rim:Value></rim:ValueList></rim:Slot></rim:Association>"
"</rim:RegistryObjectList></lcm:SubmitObjectsRequest></soap:Body></soap:Envelope>";

static void *
worker(void *arg)
{
	static const char *classes[] = { "REPORTS", "IMAGES", "LABRESULTS",
	    "SUMMARIES" };
	struct curl_slist *h;
	struct bench_resp r;
	CURL *c = bench_soap_handle(url, &h);
	char *b = malloc(BODY_MAX), ctime[16];
	unsigned hh;
	double t0;
	int i, len;

	(void)arg;
	while (b != NULL && (i = atomic_fetch_add(&next_i, 1)) < total) {
		const char *patient = bsns[i % npatients];

		hh = (unsigned)i * 2654435761u;
		snprintf(ctime, sizeof ctime, "%04u%02u%02u%02u%02u%02u",
		    2016 + hh % 10, 1 + (hh >> 4) % 12, 1 + (hh >> 8) % 28,
		    (hh >> 12) % 24, (hh >> 16) % 60, (hh >> 20) % 60);
		len = snprintf(b, BODY_MAX, tmpl, i, ctime, patient,
		    classes[(hh >> 24) % 4], patient, run_id, i, run_id, i, patient);
		t0 = bench_now();
		if (!bench_post(c, b, len, "ResponseStatusType:Success", &r) &&
		    atomic_fetch_add(&errors, 1) == 0)
			fprintf(stderr, "first error: %.800s\n",
			    r.p != NULL ? r.p : "(no answer)");
		lat[i] = bench_now() - t0;
		free(r.p);
	}
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	free(b);
	return NULL;
}

int
main(int argc, char **argv)
{
	int nthreads;
	double el;

	if (argc != 5) {
		fprintf(stderr, "usage: bench_submit URL PATIENTS THREADS COUNT\n");
		return 2;
	}
	url = argv[1];
	npatients = strlen(argv[2]) == 9 ? 1 : bench_count(argv[2], "PATIENTS");
	if ((bsns = calloc((size_t)npatients, sizeof *bsns)) == NULL)
		return 1;
	if (strlen(argv[2]) == 9)
		memcpy(bsns[0], argv[2], 10);
	else
		bsn_table(bsns, npatients);
	nthreads = bench_count(argv[3], "THREADS");
	total = bench_count(argv[4], "COUNT");
	run_id = (long)time(NULL);
	if ((lat = calloc((size_t)total, sizeof *lat)) == NULL)
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	el = bench_threads(nthreads, worker, NULL);
	bench_sort(lat, total);
	printf("submissions=%d threads=%d seconds=%.2f per_second=%.0f errors=%d "
	    "p50_ms=%.2f p99_ms=%.2f\n", total, nthreads, el, total / el,
	    atomic_load(&errors), bench_pct_ms(lat, total, 50),
	    bench_pct_ms(lat, total, 99));
	return atomic_load(&errors) ? 1 : 0;
}
