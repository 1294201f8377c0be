/*
 * xdsctl_audit.c: `xdsctl audit`: read the NEN 7513 access log of the
 * local node (state_dir/audit/access-YYYY-MM-DD.jsonl, the past days
 * compressed as access-YYYY-MM-DD.jsonl.gz) and answer the privacy
 * officer's question: who accessed what, when, with what outcome.
 *
 *	xdsctl audit [patient=ID] [event=ITI-18] [user=TEXT] [outcome=failure]
 *	             [since=YYYY-MM-DD] [until=YYYY-MM-DD]
 *	xdsctl audit verify
 *
 * The records are written by lib/audit/audit.c; this reads the fields back.
 * A line that is not one whole JSON object (a record cut short by a crash
 * the node has not yet repaired, or damage) is reported on stderr and
 * skipped, and the exit status is then 1.  `verify` checks the records'
 * hash chain (lib/audit/audit_chain.h) and names the first broken one.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <zlib.h>

#include "audit_chain.h"
#include "buf.h"
#include "str.h"
#include "vocab.h"
#include "xdsctl.h"

#define AUDIT_LINE_MAX	65536

struct afilter {
	const char	*patient;	/* id part of the CX, or a full CX */
	const char	*event;
	const char	*user;
	const char	*outcome;
	const char	*since;		/* YYYY-MM-DD, inclusive */
	const char	*until;		/* YYYY-MM-DD, inclusive */
};

/* Value of key in a record, control characters shown as '?'. */
static void
field(json_t *rec, const char *key, char *out, size_t outsz)
{
	const char *v = json_string_value(json_object_get(rec, key));
	size_t n;

	str_lcpy(out, v != NULL ? v : "", outsz);
	for (n = 0; out[n] != '\0'; n++)
		if ((unsigned char)out[n] < 0x20)
			out[n] = '?';
}

static int
matches(json_t *rec, const struct afilter *f)
{
	char v[1024];

	if (f->patient) {
		field(rec, "patient", v, sizeof v);
		if (strncmp(v, f->patient, strlen(f->patient)) != 0)
			return 0;
	}
	if (f->event) {
		field(rec, "event", v, sizeof v);
		if (strcmp(v, f->event) != 0)
			return 0;
	}
	if (f->outcome) {
		field(rec, "outcome", v, sizeof v);
		if (strcmp(v, f->outcome) != 0)
			return 0;
	}
	if (f->user) {
		field(rec, "user", v, sizeof v);
		if (strstr(v, f->user) == NULL)
			return 0;
	}
	return 1;
}

/*
 * The value of the attribute key (e.g. "O") in an RFC 2253 subject, as
 * written, escapes kept; "" when it has none.
 */
static void
subject_part(const char *subj, const char *key, char *out, size_t outsz)
{
	size_t kl = strlen(key), n = 0;
	const char *p = subj;

	out[0] = '\0';
	while (*p != '\0') {
		if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
			for (p += kl + 1; *p != '\0' && *p != ',' &&
			    n + 2 < outsz; p++) {
				if (*p == '\\' && p[1] != '\0')
					out[n++] = *p++;
				out[n++] = *p;
			}
			out[n] = '\0';
			return;
		}
		for (; *p != '\0' && *p != ','; p++)
			if (*p == '\\' && p[1] != '\0')
				p++;
		if (*p == ',')
			p++;
	}
}

/* The patient column fits a BSN with its assigning authority
 * (999911120^^^&2.16.840.1.113883.2.4.6.3&ISO, 42 characters); a longer
 * identifier is printed whole and pushes its row's later columns on:
 * records stream from the log, so the widths cannot come from the data. */
#define PAT_COL	42

static void
print_record(struct ctl *ctl, json_t *rec, const char *line, int *n)
{
	char t[40], ev[32], user[256], pat[256], outc[16], errs[512], obj[256];
	char consent[32], addr[64], org[256], cn[256], who[160];

	if (ctl->json) {
		printf("%s%.*s", *n ? ",\n" : "[", (int)strcspn(line, "\n"), line);
		(*n)++;
		return;
	}
	field(rec, "time", t, sizeof t);
	field(rec, "event", ev, sizeof ev);
	field(rec, "user", user, sizeof user);
	field(rec, "patient", pat, sizeof pat);
	field(rec, "outcome", outc, sizeof outc);
	field(rec, "errors", errs, sizeof errs);
	field(rec, "object", obj, sizeof obj);
	field(rec, "consent", consent, sizeof consent);
	field(rec, "requester", who, sizeof who);
	field(rec, "address", addr, sizeof addr);
	/* Who: the organisation (as the node named it, e.g. the sender
	 * of an XDR transfer by its URA, else the certificate's) and the
	 * person or system of the certificate's subject, whole when it has
	 * neither. */
	field(rec, "organisation", org, sizeof org);
	if (org[0] == '\0')
		subject_part(user, "O", org, sizeof org);
	subject_part(user, "CN", cn, sizeof cn);
	printf("%-24s %-8s %-8s %-*s %-24s %-15s %-28s %s%s%s%s%s%s%s\n",
	    t, ev, outc, PAT_COL, pat[0] ? pat : "-", org[0] ? org : "-",
	    addr[0] ? addr : "-", cn[0] ? cn : user, obj,
	    errs[0] ? " " : "", errs, consent[0] ? " consent=" : "", consent,
	    who[0] ? " requester=" : "", who);
	(*n)++;
}

/* `xdsctl audit verify`: the hash chain over every file. */
static int
audit_verify_cmd(const char *dir)
{
	struct audit_verify v;
	char err[512];

	if (audit_verify(dir, &v, err, sizeof err) != 0) {
		fprintf(stderr, "xdsctl audit verify: %s\n", err);
		return 1;
	}
	if (v.broken) {
		printf("broken: %s/%s line %zu: %s\n", dir, v.file, v.line,
		    v.what);
		printf("(%zu record%s read before it, in %zu file%s)\n",
		    v.records, v.records == 1 ? "" : "s", v.files,
		    v.files == 1 ? "" : "s");
		return 1;
	}
	printf("intact: %zu record%s in %zu file%s", v.records,
	    v.records == 1 ? "" : "s", v.files, v.files == 1 ? "" : "s");
	if (v.unchained > 0)
		printf(", of which the first %zu written before the chain "
		    "began", v.unchained);
	printf("\n");
	if (v.begins[0] != '\0')
		printf("the chain begins at %s: earlier days removed after "
		    "audit.retention_days\n", v.begins);
	return 0;
}

int
ctl_audit(struct ctl *ctl, int argc, char **argv)
{
	struct afilter f = { 0 };
	char dir[CONF_STR_MAX + 16], path[CONF_STR_MAX + 300], cx[512];
	char **names = NULL, *line = NULL, err[512];
	size_t nnames = 0, i, j;
	size_t lineno, nbad = 0;
	int n = 0, rc = 1;

	if (argc == 1 && strcmp(argv[0], "verify") == 0) {
		if (str_fmt(dir, sizeof dir, "%s/audit",
		    ctl->conf.node_state_dir) < 0)
			return 1;
		return audit_verify_cmd(dir);
	}
	for (i = 0; i < (size_t)argc; i++) {
		const char *a = argv[i], *eq = strchr(a, '=');

		if (eq == NULL) {
			fprintf(stderr, "xdsctl audit: \"%s\": expected key=value\n", a);
			return 2;
		}
		if (strncmp(a, "patient=", 8) == 0) {
			/* A bare BSN matches its CX under the BSN authority. */
			if (strchr(eq + 1, '^') == NULL &&
			    str_fmt(cx, sizeof cx, "%s^^^&%s&ISO", eq + 1, OID_BSN) > 0)
				f.patient = cx;
			else
				f.patient = eq + 1;
		} else if (strncmp(a, "event=", 6) == 0)
			f.event = eq + 1;
		else if (strncmp(a, "user=", 5) == 0)
			f.user = eq + 1;
		else if (strncmp(a, "outcome=", 8) == 0)
			f.outcome = eq + 1;
		else if (strncmp(a, "since=", 6) == 0)
			f.since = eq + 1;
		else if (strncmp(a, "until=", 6) == 0)
			f.until = eq + 1;
		else {
			fprintf(stderr, "xdsctl audit: unknown filter \"%s\" (patient, "
			    "event, user, outcome, since, until)\n", a);
			return 2;
		}
	}
	if (str_fmt(dir, sizeof dir, "%s/audit", ctl->conf.node_state_dir) < 0 ||
	    audit_log_list(dir, &names, &nnames, err, sizeof err) != 0) {
		fprintf(stderr, "xdsctl audit: %s: no access log here (see "
		    "node.state_dir)\n", dir);
		return 1;
	}
	/* The days in since..until; access-YYYY-MM-DD.jsonl[.gz] */
	for (i = j = 0; i < nnames; i++) {
		const char *day = names[i] + 7;

		if ((f.since && strncmp(day, f.since, 10) < 0) ||
		    (f.until && strncmp(day, f.until, 10) > 0))
			free(names[i]);
		else
			names[j++] = names[i];
	}
	nnames = j;
	if ((line = malloc(AUDIT_LINE_MAX)) == NULL)
		goto out;
	if (!ctl->json)
		printf("%-24s %-8s %-8s %-*s %-24s %-15s %-28s %s\n", "TIME",
		    "EVENT", "OUTCOME", PAT_COL, "PATIENT", "ORGANISATION", "ADDRESS",
		    "USER", "OBJECT / ERRORS");
	for (i = 0; i < nnames; i++) {
		gzFile fp;	/* plain or compressed */

		if (str_fmt(path, sizeof path, "%s/%s", dir, names[i]) < 0 ||
		    (fp = gzopen(path, "rbe")) == NULL)
			continue;
		for (lineno = 1; gzgets(fp, line, AUDIT_LINE_MAX) != NULL;
		    lineno++) {
			json_t *rec;

			/* A record is one whole line holding one object. */
			rec = strchr(line, '\n') != NULL ?
			    json_loads(line, JSON_REJECT_DUPLICATES, NULL) : NULL;
			if (!json_is_object(rec)) {
				fprintf(stderr, "xdsctl audit: %s line %zu: not "
				    "a whole record, skipped\n", path, lineno);
				nbad++;
				while (strchr(line, '\n') == NULL &&
				    gzgets(fp, line, AUDIT_LINE_MAX) != NULL)
					;	/* the rest of an overlong line */
			} else if (matches(rec, &f))
				print_record(ctl, rec, line, &n);
			json_decref(rec);
		}
		if (audit_gz_failed(fp, err, sizeof err)) {
			fprintf(stderr, "xdsctl audit: %s: %s\n", path, err);
			nbad++;
		}
		gzclose(fp);
	}
	if (ctl->json)
		printf("%s]\n", n ? "\n" : "[");
	else
		printf("(%d record%s)\n", n, n == 1 ? "" : "s");
	rc = nbad > 0 ? 1 : 0;
out:
	audit_log_free(names, nnames);
	free(line);
	return rc;
}
