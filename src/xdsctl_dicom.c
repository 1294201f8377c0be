/*
 * xdsctl dicom: the DICOM bridge's studies on the local state directory.
 *
 *	xdsctl dicom pending		studies waiting for a BSN (or with two)
 *	xdsctl dicom studies [STATE]	all studies, or those in STATE
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bridge.h"
#include "log.h"
#include "xdsctl.h"

struct walk {
	int	json;
	int	n;
};

static int
print_study(void *arg, const struct bridge_study *s)
{
	struct walk *w = arg;
	char when[32];
	time_t t = (time_t)s->last_arrival;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		when[0] = '\0';
	/* UIDs are digits and dots, the BSN digits, the state a keyword:
	 * nothing to escape in the JSON. */
	if (w->json)
		printf("%s{\"study\":\"%s\",\"bsn\":%s%s%s,\"instances\":%lld,"
		    "\"last_arrival\":\"%s\",\"state\":\"%s\"}",
		    w->n ? "," : "[", s->study_uid, s->bsn ? "\"" : "",
		    s->bsn ? s->bsn : "null", s->bsn ? "\"" : "", s->instances,
		    when, s->state);
	else
		printf("%-64s %-9s %9lld %-20s %s\n", s->study_uid,
		    s->bsn ? s->bsn : "-", s->instances, when, s->state);
	w->n++;
	return 0;
}

static void
dicom_usage(void)
{
	fprintf(stderr, "usage: xdsctl dicom pending | studies [STATE]\n");
}

int
ctl_dicom(struct ctl *ctl, int argc, char **argv)
{
	struct bridge_db *db = NULL;
	struct walk w = { ctl->json, 0 };
	const char *state = NULL;
	char err[512];
	int rc = 1;

	if (argc == 1 && strcmp(argv[0], "pending") == 0)
		state = NULL;
	else if ((argc == 1 || argc == 2) && strcmp(argv[0], "studies") == 0)
		state = argc == 2 ? argv[1] : "";
	else {
		dicom_usage();
		return 2;
	}
	if (bridge_db_open(ctl->conf.node_state_dir, &db, err, sizeof err) != 0) {
		fprintf(stderr, "xdsctl: %s\n", err);
		return 1;
	}
	if (!w.json)
		printf("%-64s %-9s %9s %-20s %s\n", "STUDY", "BSN", "INSTANCES",
		    "LAST ARRIVAL", "STATE");
	if (state != NULL && state[0] == '\0') {
		static const char *const all[] = { "pending", "conflict",
		    "receiving", "ready", "published" };
		size_t i;

		for (i = 0; i < sizeof all / sizeof all[0]; i++)
			if (bridge_db_list(db, all[i], print_study, &w, err,
			    sizeof err) != 0)
				goto out;
	} else if (bridge_db_list(db, state, print_study, &w, err,
	    sizeof err) != 0)
		goto out;
	if (w.json)
		printf("%s]\n", w.n ? "" : "[");
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "xdsctl: %s\n", err);
	bridge_db_close(db);
	return rc;
}
