/*
 * bench_find: ITI-18 FindDocuments latency against a running xdsd, side by
 * side with the raw SQLite index lookup that returns the same answers
 * from the same registry.db (read-only), for the same patients.
 *
 *	bench_find URL REGISTRY_DB PATIENTS QUERIES
 *
 * PATIENTS is the count bench_submit loaded (the same generated BSNs).
 * Three query shapes: ObjectRef by patient + status; LeafClass by patient
 * + status; ObjectRef with classCode and a creationTime range.  One
 * client, sequential, keep-alive: latency, not throughput.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchutil.h"
#include "bsn.h"

#define ENVFMT \
"<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:wsa=\"http://www.w3.org/2005/08/addressing\">" \
"<soap:Header><wsa:Action soap:mustUnderstand=\"true\">urn:ihe:iti:2007:RegistryStoredQuery</wsa:Action>" \
"<wsa:MessageID>urn:uuid:00000000-0000-4000-8000-000000000001</wsa:MessageID></soap:Header><soap:Body>" \
"<query:AdhocQueryRequest xmlns:query=\"urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0\" xmlns:rim=\"urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0\">" \
"<query:ResponseOption returnType=\"%s\" returnComposedObjects=\"true\"/>" \
"<rim:AdhocQuery id=\"urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d\">" \
"<rim:Slot name=\"$XDSDocumentEntryPatientId\"><rim:ValueList><rim:Value>'%s^^^&amp;2.16.840.1.113883.2.4.6.3&amp;ISO'</rim:Value></rim:ValueList></rim:Slot>" \
"<rim:Slot name=\"$XDSDocumentEntryStatus\"><rim:ValueList><rim:Value>('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')</rim:Value></rim:ValueList></rim:Slot>" \
"%s</rim:AdhocQuery></query:AdhocQueryRequest></soap:Body></soap:Envelope>"

static const char *extra_class =
"<rim:Slot name=\"$XDSDocumentEntryClassCode\"><rim:ValueList><rim:Value>('IMAGES^^1.3.6.1.4.1.19376.1.2.6.1')</rim:Value></rim:ValueList></rim:Slot>"
"<rim:Slot name=\"$XDSDocumentEntryCreationTimeFrom\"><rim:ValueList><rim:Value>20200101</rim:Value></rim:ValueList></rim:Slot>"
"<rim:Slot name=\"$XDSDocumentEntryCreationTimeTo\"><rim:ValueList><rim:Value>20240101</rim:Value></rim:ValueList></rim:Slot>";

/* The same answers straight from the indexes. */
static const char *rawsql[] = {
	"SELECT ro.entry_uuid FROM document_entry de JOIN registry_object ro ON ro.id = de.id "
	"WHERE de.patient_id = ?1 AND de.status = 'urn:oasis:names:tc:ebxml-regrep:StatusType:Approved' "
	"AND de.object_type = 'urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1'",
	"SELECT ro.xml FROM document_entry de JOIN registry_object ro ON ro.id = de.id "
	"WHERE de.patient_id = ?1 AND de.status = 'urn:oasis:names:tc:ebxml-regrep:StatusType:Approved' "
	"AND de.object_type = 'urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1'",
	"SELECT ro.entry_uuid FROM document_entry de JOIN registry_object ro ON ro.id = de.id "
	"WHERE de.patient_id = ?1 AND de.status = 'urn:oasis:names:tc:ebxml-regrep:StatusType:Approved' "
	"AND de.object_type = 'urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1' "
	"AND de.creation_time >= '20200101000000' AND de.creation_time < '20240101000000' "
	"AND EXISTS (SELECT 1 FROM code c WHERE c.object_id = de.id AND "
	"c.scheme = 'urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a' AND "
	"c.code = 'IMAGES' AND c.coding_scheme = '1.3.6.1.4.1.19376.1.2.6.1')",
};

int
main(int argc, char **argv)
{
	static const char *names[] = { "ObjectRef patient+status",
	    "LeafClass patient+status", "ObjectRef +classCode +creationTime" };
	char (*bsns)[10];
	int npat, nq, shape, i;
	double *lat, *raw;
	sqlite3 *db;
	CURL *c;
	struct curl_slist *h;
	char body[8192], cx[64];

	if (argc != 5) {
		fprintf(stderr, "usage: bench_find URL REGISTRY_DB PATIENTS QUERIES\n");
		return 2;
	}
	npat = bench_count(argv[3], "PATIENTS");
	nq = bench_count(argv[4], "QUERIES");
	bsns = calloc((size_t)npat, sizeof *bsns);
	bsn_table(bsns, npat);
	lat = calloc((size_t)nq, sizeof *lat);
	raw = calloc((size_t)nq, sizeof *raw);
	if (sqlite3_open_v2(argv[2], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s: cannot open\n", argv[2]);
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c = bench_soap_handle(argv[1], &h);
	for (shape = 0; shape < 3; shape++) {
		sqlite3_stmt *st;
		long long nrows = 0, nhttp = 0;
		int errors = 0;

		sqlite3_prepare_v2(db, rawsql[shape], -1, &st, NULL);
		srand(42 + shape);
		for (i = 0; i < nq; i++) {
			const char *b = bsns[rand() % npat];
			struct bench_resp r;
			double t0;
			int len;
			const char *p;

			len = snprintf(body, sizeof body, ENVFMT,
			    shape == 1 ? "LeafClass" : "ObjectRef", b,
			    shape == 2 ? extra_class : "");
			t0 = bench_now();
			if (!bench_post(c, body, len,
			    "ResponseStatusType:Success", &r))
				errors++;
			lat[i] = bench_now() - t0;
			for (p = r.p; p && (p = strstr(p, shape == 1 ?
			    "<rim:ExtrinsicObject" : "<rim:ObjectRef")); p++)
				nhttp++;
			free(r.p);

			snprintf(cx, sizeof cx, "%s^^^&2.16.840.1.113883.2.4.6.3&ISO", b);
			t0 = bench_now();
			sqlite3_bind_text(st, 1, cx, -1, SQLITE_STATIC);
			while (sqlite3_step(st) == SQLITE_ROW) {
				(void)sqlite3_column_blob(st, 0);
				(void)sqlite3_column_bytes(st, 0);
				nrows++;
			}
			sqlite3_reset(st);
			raw[i] = bench_now() - t0;
		}
		sqlite3_finalize(st);
		bench_sort(lat, nq);
		bench_sort(raw, nq);
		printf("%-36s xdsd p50=%.2fms p90=%.2fms p99=%.2fms | raw SQLite "
		    "p50=%.3fms p99=%.3fms | ratio p50=%.1fx p99=%.1fx | "
		    "objects=%lld/%lld errors=%d\n", names[shape],
		    bench_pct_ms(lat, nq, 50), bench_pct_ms(lat, nq, 90),
		    bench_pct_ms(lat, nq, 99), bench_pct_ms(raw, nq, 50),
		    bench_pct_ms(raw, nq, 99),
		    lat[nq / 2] / raw[nq / 2], lat[nq * 99 / 100] / raw[nq * 99 / 100],
		    nhttp, nrows, errors);
	}
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	sqlite3_close(db);
	return 0;
}
