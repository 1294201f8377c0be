/*
 * xdsctl_db.c: `xdsctl db check [--repair]`: the node's on-disk state
 * checked without changing it, on a stopped node or beside a running one.
 *
 *	xdsctl db check		1. every stored document against the size and
 *				   SHA-256 recorded for it, and files of the
 *				   store that no document names
 *				   (repository/repo_check.h);
 *				2. every registry entry of this repository
 *				   against the repository's index: stored,
 *				   with the same SHA-1 and size
 *				   (registry/registry_check.h);
 *				3. every DICOM instance row against its file,
 *				   every published study against its manifest
 *				   (dicom/bridge_check.h);
 *				exit 1 when anything is wrong or it cannot
 *				check
 *	--repair		then, on a stopped node only, the safe
 *				repairs: orphan files of the document store
 *				and temporary files removed
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bridge_check.h"
#include "clock.h"
#include "registry_check.h"
#include "repo_check.h"
#include "status.h"
#include "str.h"
#include "xdsctl.h"

/* Problems of the registry against the repository. */
enum cross_problem {
	CROSS_UNSTORED,		/* an entry whose document is not stored */
	CROSS_MISMATCH,		/* stored with another hash or size */
	CROSS_NPROBLEMS
};

struct db_out {
	struct ctl	*ctl;
	int		 first;		/* no problem printed yet (JSON) */
	struct repo_index *ix;
	unsigned long long cross[CROSS_NPROBLEMS];
	char		(*orphans)[65];	/* for --repair */
	size_t		 norphans;
	int		 nomem;
	char		 err[512];
	int		 failed;
	int		 tty;		/* progress on stderr */
	int		 shown;		/* a progress line is out */
	long long	 shown_ms;
};

static void
db_usage(void)
{
	fprintf(stderr, "usage: xdsctl db check [--repair]\n");
}

/* One problem: a line, or a JSON object. */
static void
report(struct db_out *o, const char *problem, const char *id,
    const char *what, const char *detail)
{
	if (o->shown) {		/* the progress line gives way */
		fprintf(stderr, "\r%60s\r", "");
		o->shown = 0;
	}
	if (!o->ctl->json) {
		printf("%-16s %s %s%s%s\n", problem, id[0] ? id : "-", what,
		    detail[0] ? ": " : "", detail);
		return;
	}
	printf("%s\n  {\"problem\":", o->first ? "" : ",");
	ctl_json_str(problem);
	printf(",\"unique_id\":");
	ctl_json_str(id);
	printf(",\"sha256\":");
	ctl_json_str(what);
	printf(",\"detail\":");
	ctl_json_str(detail);
	printf("}");
	o->first = 0;
}

/* On a terminal, four times a second: the blobs and bytes so far. */
static void
db_progress(void *arg, const struct repo_check_counts *n)
{
	struct db_out *o = arg;
	long long now = clock_real_ms();

	if (!o->tty || now - o->shown_ms < 250)
		return;
	o->shown_ms = now;
	o->shown = 1;
	fprintf(stderr, "\rdb check: %llu blobs, %.1f MiB hashed", n->blobs,
	    (double)n->bytes / (1024.0 * 1024.0));
}

static void
db_finding(void *arg, const struct repo_finding *f)
{
	struct db_out *o = arg;
	char (*v)[65];

	report(o, repo_problem_name(f->what), f->unique_id, f->sha256,
	    f->detail);
	if (f->what != REPO_ORPHAN || strlen(f->sha256) != 64)
		return;
	if ((v = realloc(o->orphans, (o->norphans + 1) * sizeof *v)) == NULL) {
		o->nomem = 1;
		return;
	}
	o->orphans = v;
	memcpy(o->orphans[o->norphans++], f->sha256, 65);
}

/* One registry entry against the repository's row. */
static int
cross_entry(void *arg, const char *uid, const char *hash, long long size)
{
	struct db_out *o = arg;
	char sha1[41], detail[160];
	long long rsize;
	int committed, rc;

	rc = repo_index_get(o->ix, uid, sha1, &rsize, &committed, o->err,
	    sizeof o->err);
	if (rc == XDS_ENOTFOUND) {
		o->cross[CROSS_UNSTORED]++;
		report(o, "unstored", uid, "-", "the registry names it, the "
		    "repository does not hold it");
		return 0;
	}
	if (rc != XDS_OK) {
		o->failed = 1;
		return 1;
	}
	if ((hash != NULL && strcasecmp(hash, sha1) != 0) ||
	    (size >= 0 && size != rsize)) {
		o->cross[CROSS_MISMATCH]++;
		str_fmt(detail, sizeof detail, "registry SHA-1 %s size %lld, "
		    "repository SHA-1 %s size %lld", hash ? hash : "-", size,
		    sha1, rsize);
		report(o, "mismatch", uid, "-", detail);
	}
	return 0;
}

static void
dicom_finding(void *arg, enum bridge_problem p, const char *uid,
    const char *path)
{
	report(arg, bridge_problem_name(p), uid, "-", path);
}

/* The node runs on this state directory: xdsd.ports names a live pid. */
static int
node_running(const char *state_dir)
{
	char path[4096];
	FILE *fp;
	long pid = 0;

	str_fmt(path, sizeof path, "%s/xdsd.ports", state_dir);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	if (fscanf(fp, "pid %ld", &pid) != 1)
		pid = 0;
	fclose(fp);
	return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

/* Every regular file below dir removed (temporary files); the count. */
static unsigned long long
remove_files(const char *dir)
{
	char sub[4096];
	struct dirent *de;
	struct stat st;
	unsigned long long n = 0;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (str_fmt(sub, sizeof sub, "%s/%s", dir, de->d_name) < 0 ||
		    lstat(sub, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			n += remove_files(sub);
		else if (S_ISREG(st.st_mode) && unlink(sub) == 0)
			n++;
	}
	closedir(d);
	return n;
}

static int
repair(struct db_out *o, const char *state_dir)
{
	static const char *const tmps[] = { "documents/tmp", "dicom/tmp",
	    "spool" };
	char path[4096];
	unsigned long long removed = 0, temps = 0;
	size_t i;

	if (node_running(state_dir)) {
		fprintf(stderr, "xdsctl: db check --repair: xdsd runs on %s: "
		    "stop it first (it removes orphans itself at start-up)\n",
		    state_dir);
		return 1;
	}
	for (i = 0; i < o->norphans; i++) {
		str_fmt(path, sizeof path, "%s/documents/%.2s/%.2s/%s",
		    state_dir, o->orphans[i], o->orphans[i] + 2, o->orphans[i]);
		if (unlink(path) == 0)
			removed++;
		else
			fprintf(stderr, "xdsctl: %s: %s\n", path,
			    strerror(errno));
	}
	for (i = 0; i < sizeof tmps / sizeof tmps[0]; i++) {
		str_fmt(path, sizeof path, "%s/%s", state_dir, tmps[i]);
		temps += remove_files(path);
	}
	if (!o->ctl->json)
		printf("repaired: %llu orphan files and %llu temporary files "
		    "removed\n", removed, temps);
	return removed == o->norphans ? 0 : 1;
}

static int
db_check(struct ctl *ctl, int fix)
{
	struct repo_check_counts n;
	struct bridge_check_counts dn;
	struct db_out o;
	const char *state = ctl->conf.node_state_dir;
	unsigned long long bad = 0, entries = 0;
	char err[512];
	int i, rc, ret = 1, have_dicom = 0;

	memset(&o, 0, sizeof o);
	o.ctl = ctl;
	o.first = 1;
	memset(&dn, 0, sizeof dn);
	if (ctl->json)
		printf("{\"problems\":[");
	o.tty = isatty(STDERR_FILENO);
	rc = repo_check(state, db_finding, db_progress, &o, &n, err,
	    sizeof err);
	if (o.shown)
		fputc('\n', stderr);
	if (rc != XDS_OK)
		goto fail;
	if ((rc = repo_index_open(state, &o.ix, err, sizeof err)) != XDS_OK)
		goto fail;
	rc = registry_each_document(state, ctl->conf.repository_unique_id,
	    cross_entry, &o, &entries, err, sizeof err);
	if (rc == XDS_ENOTFOUND)
		rc = XDS_OK;		/* a repository of another registry */
	if (rc != XDS_OK || o.failed) {
		if (o.failed)
			str_lcpy(err, o.err, sizeof err);
		goto fail;
	}
	rc = bridge_check(state, dicom_finding, &o, &dn, err, sizeof err);
	if (rc == XDS_OK)
		have_dicom = 1;
	else if (rc != XDS_ENOTFOUND)
		goto fail;
	if (o.nomem) {
		str_lcpy(err, "out of memory", sizeof err);
		goto fail;
	}
	for (i = 0; i < REPO_NPROBLEMS; i++)
		bad += n.problems[i];
	for (i = 0; i < CROSS_NPROBLEMS; i++)
		bad += o.cross[i];
	for (i = 0; i < BRIDGE_NPROBLEMS; i++)
		bad += dn.problems[i];
	if (ctl->json)
		printf("%s],\"documents\":%llu,\"blobs\":%llu,\"bytes\":%llu,"
		    "\"files\":%llu,\"missing\":%llu,\"damaged\":%llu,"
		    "\"unreadable\":%llu,\"orphans\":%llu,\"registry_entries\":"
		    "%llu,\"unstored\":%llu,\"mismatched\":%llu,"
		    "\"dicom_instances\":%llu,\"published_studies\":%llu,"
		    "\"instances_without_file\":%llu,\"studies_without_manifest\":"
		    "%llu}\n", o.first ? "" : "\n", n.documents, n.blobs,
		    n.bytes, n.files, n.problems[REPO_MISSING],
		    n.problems[REPO_DAMAGED], n.problems[REPO_UNREADABLE],
		    n.problems[REPO_ORPHAN], entries, o.cross[CROSS_UNSTORED],
		    o.cross[CROSS_MISMATCH], dn.instances, dn.studies,
		    dn.problems[BRIDGE_NO_INSTANCE],
		    dn.problems[BRIDGE_NO_MANIFEST]);
	else {
		printf("%llu documents, %llu blobs (%llu bytes hashed), %llu "
		    "files: %llu missing, %llu damaged, %llu unreadable, "
		    "%llu orphans\n", n.documents, n.blobs, n.bytes, n.files,
		    n.problems[REPO_MISSING], n.problems[REPO_DAMAGED],
		    n.problems[REPO_UNREADABLE], n.problems[REPO_ORPHAN]);
		printf("%llu registry entries of this repository: %llu "
		    "unstored, %llu mismatched\n", entries,
		    o.cross[CROSS_UNSTORED], o.cross[CROSS_MISMATCH]);
		if (have_dicom)
			printf("%llu DICOM instances, %llu published studies: "
			    "%llu without their file, %llu without their "
			    "manifest\n", dn.instances, dn.studies,
			    dn.problems[BRIDGE_NO_INSTANCE],
			    dn.problems[BRIDGE_NO_MANIFEST]);
	}
	ret = bad > 0 ? 1 : 0;
	if (fix) {
		/* Only the orphans and temporaries are safe to remove:
		 * anything else needs a person (or a restore). */
		if (repair(&o, state) != 0)
			ret = 1;
		else if (bad == n.problems[REPO_ORPHAN])
			ret = 0;
	}
	goto out;
fail:
	if (ctl->json)
		printf("]}\n");
	fprintf(stderr, "xdsctl: db check: %s\n", err);
out:
	repo_index_close(o.ix);
	free(o.orphans);
	return ret;
}

int
ctl_db(struct ctl *ctl, int argc, char **argv)
{
	if (argc == 1 && strcmp(argv[0], "check") == 0)
		return db_check(ctl, 0);
	if (argc == 2 && strcmp(argv[0], "check") == 0 &&
	    strcmp(argv[1], "--repair") == 0)
		return db_check(ctl, 1);
	db_usage();
	return 2;
}
