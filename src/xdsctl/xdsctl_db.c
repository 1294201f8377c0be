/*
 * xdsctl_db.c: `xdsctl db check`: the node's on-disk state checked
 * without changing it, on a stopped node or beside a running one
 * (repository/repo_check.h).
 *
 *	xdsctl db check		every stored document against the size and
 *				SHA-256 recorded for it, and files of the
 *				store that no document names; exit 1 when
 *				anything is wrong or it cannot check
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "repo_check.h"
#include "status.h"
#include "xdsctl.h"

struct db_out {
	int	json;
	int	first;
};

static void
db_usage(void)
{
	fprintf(stderr, "usage: xdsctl db check\n");
}

static void
db_finding(void *arg, const struct repo_finding *f)
{
	struct db_out *o = arg;

	if (!o->json) {
		printf("%-10s %s %s%s%s\n", repo_problem_name(f->what),
		    f->unique_id[0] != '\0' ? f->unique_id : "-", f->sha256,
		    f->detail[0] != '\0' ? ": " : "", f->detail);
		return;
	}
	printf("%s\n  {\"problem\":", o->first ? "" : ",");
	ctl_json_str(repo_problem_name(f->what));
	printf(",\"unique_id\":");
	ctl_json_str(f->unique_id);
	printf(",\"sha256\":");
	ctl_json_str(f->sha256);
	printf(",\"detail\":");
	ctl_json_str(f->detail);
	printf("}");
	o->first = 0;
}

static int
db_check(struct ctl *ctl)
{
	struct repo_check_counts n;
	struct db_out o = { ctl->json, 1 };
	unsigned long long bad = 0;
	char err[512];
	int i, rc;

	if (o.json)
		printf("{\"problems\":[");
	rc = repo_check(ctl->conf.node_state_dir, db_finding, &o, &n, err,
	    sizeof err);
	if (rc != XDS_OK) {
		if (o.json)
			printf("]}\n");
		fprintf(stderr, "xdsctl: db check: %s\n", err);
		return 1;
	}
	for (i = 0; i < REPO_NPROBLEMS; i++)
		bad += n.problems[i];
	if (o.json)
		printf("%s],\"documents\":%llu,\"blobs\":%llu,\"bytes\":%llu,"
		    "\"files\":%llu,\"missing\":%llu,\"damaged\":%llu,"
		    "\"unreadable\":%llu,\"orphans\":%llu}\n",
		    o.first ? "" : "\n", n.documents, n.blobs, n.bytes,
		    n.files, n.problems[REPO_MISSING],
		    n.problems[REPO_DAMAGED], n.problems[REPO_UNREADABLE],
		    n.problems[REPO_ORPHAN]);
	else
		printf("%llu documents, %llu blobs (%llu bytes hashed), %llu "
		    "files: %llu missing, %llu damaged, %llu unreadable, "
		    "%llu orphans\n", n.documents, n.blobs, n.bytes, n.files,
		    n.problems[REPO_MISSING], n.problems[REPO_DAMAGED],
		    n.problems[REPO_UNREADABLE], n.problems[REPO_ORPHAN]);
	return bad > 0 ? 1 : 0;
}

int
ctl_db(struct ctl *ctl, int argc, char **argv)
{
	if (argc == 1 && strcmp(argv[0], "check") == 0)
		return db_check(ctl);
	db_usage();
	return 2;
}
