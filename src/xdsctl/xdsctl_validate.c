/*
 * xdsctl_validate.c: xdsctl validate FILE...: what each captured message
 * is and what is wrong with it (check/check.h), as text or --json; exit
 * 0 when no file has an error, 1 when one has, 2 on bad usage.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "check.h"
#include "xdsctl.h"

#define VALIDATE_MAX_FILE	(512u * 1024 * 1024)

/* One report as text: a summary line, then a line per finding. */
void
ctl_check_print(const char *name, const struct chk_report *r, FILE *fp)
{
	size_t i;

	fprintf(fp, "%s: %s %s%s (%s): %s (%zu error%s, %zu warning%s)\n",
	    name, r->kind[0] ? r->kind : "unknown", r->message,
	    r->response == 1 ? " response" : r->response == 0 ? " request" : "",
	    r->packaging[0] ? r->packaging : "-",
	    r->nerrors ? "invalid" : "valid", r->nerrors,
	    r->nerrors == 1 ? "" : "s", r->nwarnings,
	    r->nwarnings == 1 ? "" : "s");
	for (i = 0; i < r->n; i++) {
		const struct chk_finding *f = &r->v[i];

		fprintf(fp, "%s: %s %s%s%s%s%s%s: %s\n", name,
		    chk_sev_name(f->sev), f->rule,
		    f->code[0] ? " [" : "", f->code, f->code[0] ? "]" : "",
		    f->loc[0] ? " at " : "", f->loc, f->text);
	}
	if (r->n < r->nerrors + r->nwarnings)
		fprintf(fp, "%s: (findings past %d not shown)\n", name,
		    CHK_MAX_FINDINGS);
}

int
ctl_validate(struct ctl *ctl, int argc, char **argv)
{
	struct chk_opts o = { NULL, 0 };
	struct chk_report r;
	struct buf out;
	char err[256];
	size_t len;
	char *data;
	int i, bad = 0, nfiles = 0, first = 1;

	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], "--json") == 0)
			ctl->json = 1;
		else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "usage: xdsctl validate [--json] "
			    "FILE...\n");
			return 2;
		} else
			nfiles++;
	if (nfiles == 0) {
		fprintf(stderr, "usage: xdsctl validate [--json] FILE...\n");
		return 2;
	}
	if (chk_init(err, sizeof err) != XDS_OK) {
		fprintf(stderr, "xdsctl: %s\n", err);
		return 1;
	}
	o.bsn_patients = strcmp(ctl->conf.registry_patient_ids, "bsn") == 0;
	if (ctl->json)
		printf("[");
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			continue;
		if ((data = ctl_read_file(argv[i], VALIDATE_MAX_FILE, &len)) ==
		    NULL) {
			bad = 1;
			continue;
		}
		chk_report_init(&r);
		if (chk_message(data, len, &o, &r) != XDS_OK) {
			fprintf(stderr, "xdsctl: %s: out of memory\n", argv[i]);
			bad = 1;
		}
		if (r.nerrors > 0)
			bad = 1;
		if (ctl->json) {
			buf_init(&out, 1 << 24);
			if (chk_report_json(&r, argv[i], &out) != XDS_OK)
				bad = 1;
			printf("%s%s", first ? "" : ",\n", buf_str(&out));
			buf_free(&out);
			first = 0;
		} else
			ctl_check_print(argv[i], &r, stdout);
		chk_report_free(&r);
		free(data);
	}
	if (ctl->json)
		printf("]\n");
	return bad;
}
