/*
 * xdsctl_push.c: `xdsctl push`: studies the DICOM bridge holds, sent to
 * another organisation's node by DICOM over mutual TLS with Storage
 * Commitment (push/push.h).  Works on state_dir/push.db beside a running
 * xdsd, as xdsctl dicom publish works on dicom.db: the node's sender
 * takes a new or retried job within a second.
 *
 *	xdsctl push --to URA|HCID --study UID	a new job; its id printed
 *	xdsctl push list			every job, newest first
 *	xdsctl push show ID			one job and its instances
 *	xdsctl push retry ID			a failed job queued again
 *	xdsctl push cancel ID			a job stopped
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bridge_db.h"
#include "clock.h"
#include "dcmshim.h"
#include "directory.h"
#include "push_db.h"
#include "str.h"
#include "vocab.h"
#include "xdsctl.h"

static void
push_usage(void)
{
	fprintf(stderr, "usage: xdsctl push --to URA|HCID --study UID\n"
	    "       xdsctl push list | show ID | retry ID | cancel ID\n");
}

static void
when(long long t, char *out, size_t outsz)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		str_lcpy(out, "-", outsz);
}

struct out {
	int	json;
	int	n;
	int	show;	/* push show: the transaction too */
};

static int
print_job(void *arg, const struct push_job *j)
{
	struct out *o = arg;
	char c[32], nt[32];

	when(j->created, c, sizeof c);
	when(j->next_try, nt, sizeof nt);
	if (!o->json) {
		printf("%-5lld %-9s %-10s %5lld/%-5lld %-20s %s%s%s\n", j->id,
		    j->state, j->dest, j->committed, j->instances, c,
		    j->study_uid, j->last_error[0] != '\0' ? "  " : "",
		    j->last_error);
		if (o->show && j->txn[0] != '\0')
			printf("transaction %s\n", j->txn);
		o->n++;
		return 0;
	}
	printf("%s{\"id\":%lld,\"state\":", o->n++ ? "," : "", j->id);
	ctl_json_str(j->state);
	printf(",\"to\":");
	ctl_json_str(j->dest);
	printf(",\"study\":");
	ctl_json_str(j->study_uid);
	printf(",\"instances\":%lld,\"committed\":%lld,\"attempts\":%lld,"
	    "\"created\":", j->instances, j->committed, j->attempts);
	ctl_json_str(c);
	printf(",\"next_try\":");
	ctl_json_str(nt);
	printf(",\"last_error\":");
	ctl_json_str(j->last_error);
	printf(",\"transaction\":");
	ctl_json_str(j->txn);
	printf("}");
	return 0;
}

static int
print_item(void *arg, const struct push_item *it)
{
	struct out *o = arg;

	if (!o->json)
		printf("  %-9s %s\n", it->state, it->sop_uid);
	else {
		printf("%s{\"sop\":", o->n++ ? "," : "");
		ctl_json_str(it->sop_uid);
		printf(",\"state\":");
		ctl_json_str(it->state);
		printf("}");
	}
	return 0;
}

/* The destination must be in the directory with a DICOM node. */
static int
push_dest(struct ctl *ctl, const char *key, struct dir_community *c)
{
	struct directory *d = NULL;
	char err[512];
	int st;

	if (dir_open(&ctl->conf, &d, err, sizeof err) != XDS_OK) {
		fprintf(stderr, "xdsctl: directory: %s\n", err);
		return -1;
	}
	st = strncmp(key, URN_OID, sizeof URN_OID - 1) == 0 ?
	    dir_by_hcid(d, key, c, err, sizeof err) :
	    dir_by_ura(d, key, c, err, sizeof err);
	if (st != XDS_OK)
		fprintf(stderr, "xdsctl: %s: %s (%s)\n", key, err,
		    dir_describe(d));
	else if (c->dicom[0] == '\0') {
		fprintf(stderr, "xdsctl: %s (%s) has no DICOM node (dicom=) in "
		    "the directory\n", c->name, key);
		st = XDS_ENOTFOUND;
	}
	dir_close(d);
	return st == XDS_OK ? 0 : -1;
}

static int
push_new(struct ctl *ctl, struct push_db *db, int argc, char **argv)
{
	struct bridge_db_study_row row;
	struct dir_community c;
	struct bridge_db *bdb = NULL;
	const char *to = NULL, *study = NULL;
	char err[512];
	long long id;
	int i, rc = 1;

	for (i = 0; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--to") == 0)
			to = argv[i + 1];
		else if (strcmp(argv[i], "--study") == 0)
			study = argv[i + 1];
		else
			break;
	}
	if (i != argc || to == NULL || study == NULL ||
	    !dcmshim_uid_valid(study) || strlen(to) >= PUSH_DEST_SZ) {
		push_usage();
		return 2;
	}
	if (push_dest(ctl, to, &c) != 0)
		return 1;
	if (bridge_db_open(ctl->conf.node_state_dir, &bdb, err,
	    sizeof err) != 0 || bridge_db_study(bdb, study, &row, err,
	    sizeof err) != 0)
		fprintf(stderr, "xdsctl: %s\n", err);
	else if (!row.found)
		fprintf(stderr, "xdsctl: the DICOM bridge holds no study %s\n",
		    study);
	else if (push_db_add(db, to, study, NULL, clock_wall(), &id, err,
	    sizeof err) != XDS_OK)
		fprintf(stderr, "xdsctl: %s\n", err);
	else {
		if (ctl->json)
			printf("{\"id\":%lld}\n", id);
		else
			printf("push job %lld: study %s (%lld instances) to %s "
			    "(%s)\n", id, study, row.instances, c.name, c.dicom);
		rc = 0;
	}
	bridge_db_close(bdb);
	return rc;
}

int
ctl_push(struct ctl *ctl, int argc, char **argv)
{
	struct push_db *db = NULL;
	struct push_job j;
	struct out o = { ctl->json, 0, 0 };
	const char *why;
	char err[512];
	long long id = 0;
	int rc = 1, st;

	if (argc < 1) {
		push_usage();
		return 2;
	}
	if (argv[0][0] != '-' && argc == 2 && str_tonum(argv[1], 1,
	    (1LL << 53), &id, &why) != 0) {
		push_usage();
		return 2;
	}
	if (push_db_open(ctl->conf.node_state_dir, &db, err, sizeof err) !=
	    XDS_OK) {
		fprintf(stderr, "xdsctl: %s\n", err);
		return 1;
	}
	if (argv[0][0] == '-')
		rc = push_new(ctl, db, argc, argv);
	else if (argc == 1 && strcmp(argv[0], "list") == 0) {
		if (ctl->json)
			printf("{\"jobs\":[");
		st = push_db_list(db, print_job, &o, err, sizeof err);
		if (ctl->json)
			printf("]}\n");
		if (st != XDS_OK)
			fprintf(stderr, "xdsctl: %s\n", err);
		rc = st != XDS_OK;
	} else if (argc == 2 && strcmp(argv[0], "show") == 0) {
		if ((st = push_db_job(db, id, &j, err, sizeof err)) == XDS_OK) {
			if (ctl->json)
				printf("{\"job\":");
			o.show = 1;
			print_job(&o, &j);
			o.n = 0;
			printf(ctl->json ? ",\"instances\":[" : "");
			st = push_db_items(db, id, print_item, &o, err,
			    sizeof err);
			if (ctl->json)
				printf("]}\n");
		}
		if (st != XDS_OK)
			fprintf(stderr, "xdsctl: push job %lld: %s\n", id, err);
		rc = st != XDS_OK;
	} else if (argc == 2 && strcmp(argv[0], "retry") == 0) {
		if ((st = push_db_retry(db, id, clock_wall(), err,
		    sizeof err)) != XDS_OK)
			fprintf(stderr, "xdsctl: push job %lld: %s\n", id, err);
		rc = st != XDS_OK;
	} else if (argc == 2 && strcmp(argv[0], "cancel") == 0) {
		if ((st = push_db_cancel(db, id, err, sizeof err)) != XDS_OK)
			fprintf(stderr, "xdsctl: push job %lld: %s\n", id, err);
		rc = st != XDS_OK;
	} else {
		push_usage();
		rc = 2;
	}
	push_db_close(db);
	return rc;
}
