/*
 * xdsctl dicom: the DICOM bridge's studies on the local state directory.
 *
 *	xdsctl dicom pending		studies waiting for a BSN (or with two)
 *	xdsctl dicom studies [STATE]	all studies, or those in STATE
 *	xdsctl dicom publish STUDYUID	publish (or republish) now: the
 *					running xdsd does it within a second
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
		    "\"last_arrival\":\"%s\",\"state\":\"%s\","
		    "\"entry_uuid\":%s%s%s,\"unique_id\":%s%s%s}",
		    w->n ? "," : "[", s->study_uid, s->bsn ? "\"" : "",
		    s->bsn ? s->bsn : "null", s->bsn ? "\"" : "", s->instances,
		    when, s->state, s->entry_uuid ? "\"" : "",
		    s->entry_uuid ? s->entry_uuid : "null",
		    s->entry_uuid ? "\"" : "", s->unique_id ? "\"" : "",
		    s->unique_id ? s->unique_id : "null",
		    s->unique_id ? "\"" : "");
	else
		printf("%-64s %-9s %9lld %-20s %s\n", s->study_uid,
		    s->bsn ? s->bsn : "-", s->instances, when, s->state);
	w->n++;
	return 0;
}

static void
dicom_usage(void)
{
	fprintf(stderr, "usage: xdsctl dicom pending | studies [STATE] | "
	    "publish STUDYUID\n");
}

#define PUBLISH_WAIT_MS	15000	/* for the scheduler's next tick */

/* Make the study ready and wait until xdsd has registered a new entry. */
static int
publish(struct ctl *ctl, struct bridge_db *db, const char *uid)
{
	struct bridge_study_row before, now;
	char err[512];
	int ms;

	if (!dcmshim_uid_valid(uid)) {
		fprintf(stderr, "xdsctl: \"%.80s\" is not a UID\n", uid);
		return 2;
	}
	if (bridge_db_study(db, uid, &before, err, sizeof err) != 0 ||
	    bridge_db_request_publish(db, uid, err, sizeof err) != 0) {
		fprintf(stderr, "xdsctl: %s\n", err);
		return 1;
	}
	for (ms = 0; ms < PUBLISH_WAIT_MS; ms += 100) {
		usleep(100 * 1000);
		if (bridge_db_study(db, uid, &now, err, sizeof err) != 0) {
			fprintf(stderr, "xdsctl: %s\n", err);
			return 1;
		}
		if (strcmp(now.unique_id, before.unique_id) == 0)
			continue;
		if (ctl->json)
			printf("{\"study\":\"%s\",\"entry_uuid\":\"%s\","
			    "\"unique_id\":\"%s\",\"replaces\":%s%s%s}\n",
			    uid, now.entry_uuid, now.unique_id,
			    before.entry_uuid[0] ? "\"" : "",
			    before.entry_uuid[0] ? before.entry_uuid : "null",
			    before.entry_uuid[0] ? "\"" : "");
		else
			printf("published %s: entry %s, manifest %s%s%s\n", uid,
			    now.entry_uuid, now.unique_id, before.entry_uuid[0] ?
			    ", replacing " : "", before.entry_uuid);
		return 0;
	}
	fprintf(stderr, "xdsctl: %s is ready but was not published within "
	    "%d s: is xdsd running with dicom.enabled and repository.enabled? "
	    "(its log names the reason)\n", uid, PUBLISH_WAIT_MS / 1000);
	return 1;
}

int
ctl_dicom(struct ctl *ctl, int argc, char **argv)
{
	struct bridge_db *db = NULL;
	struct walk w = { ctl->json, 0 };
	const char *state = NULL;
	char err[512];
	int rc = 1;

	if (argc == 2 && strcmp(argv[0], "publish") == 0) {
		if (bridge_db_open(ctl->conf.node_state_dir, &db, err,
		    sizeof err) != 0) {
			fprintf(stderr, "xdsctl: %s\n", err);
			return 1;
		}
		rc = publish(ctl, db, argv[1]);
		bridge_db_close(db);
		return rc;
	}
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
