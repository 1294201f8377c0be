/*
 * xdsctl_dir.c: `xdsctl directory`: the community directory of the
 * configured node (directory.backend, directory.file), read as xdsd's
 * gateways read it (gateway/directory.h), so a file can be checked and
 * searched before the node uses it.
 *
 *	xdsctl directory list			every community: a table
 *	xdsctl directory lookup URA|HCID	one community, every field
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "directory.h"
#include "status.h"
#include "str.h"
#include "xdsctl.h"

#define DIR_SETTINGS_MAX	(2 * DIR_URL_MAX + DIR_AE_MAX + 128)

/* The widths of the table's columns, then the rows. */
struct dir_table {
	int	pass;		/* 0: measure, 1: print */
	size_t	hcid, ura, url, name;
	size_t	n;
};

static void
dir_usage(void)
{
	fprintf(stderr, "usage: xdsctl directory list | lookup URA|HCID\n");
}

static size_t
dir_max(size_t a, size_t b)
{
	return a > b ? a : b;
}

static int
dir_row(void *arg, const struct dir_community *c)
{
	struct dir_table *t = arg;
	char settings[DIR_SETTINGS_MAX];
	const char *ura = c->ura[0] != '\0' ? c->ura : "-";
	const char *hcid = c->hcid[0] != '\0' ? c->hcid : "-";
	const char *url = c->url[0] != '\0' ? c->url : "-";

	if (t->pass == 0) {
		t->hcid = dir_max(t->hcid, strlen(hcid));
		t->ura = dir_max(t->ura, strlen(ura));
		t->url = dir_max(t->url, strlen(url));
		t->name = dir_max(t->name, strlen(c->name));
		return 0;
	}
	dir_settings_text(c, settings, sizeof settings);
	printf("%-*s  %-*s  %-*s  %-*s%s%s\n", (int)t->hcid, hcid,
	    (int)t->ura, ura, (int)t->url, url,
	    settings[0] != '\0' ? (int)t->name : 0, c->name,
	    settings[0] != '\0' ? "  " : "", settings);
	t->n++;
	return 0;
}

static int
dir_list(struct directory *d)
{
	struct dir_table t = { 0, 4, 3, 3, 4, 0 };	/* the headings */
	char err[512];

	if (dir_each(d, dir_row, &t, err, sizeof err) != XDS_OK)
		goto fail;
	printf("%-*s  %-*s  %-*s  %-*s  %s\n", (int)t.hcid, "HCID",
	    (int)t.ura, "URA", (int)t.url, "URL", (int)t.name, "NAME",
	    "SETTINGS");
	t.pass = 1;
	if (dir_each(d, dir_row, &t, err, sizeof err) != XDS_OK)
		goto fail;
	printf("(%s)\n", dir_describe(d));
	return 0;
fail:
	fprintf(stderr, "xdsctl: %s\n", err);
	return 1;
}

/* One field of a community: its name, then its value. */
static void
dir_field_print(const char *name, const char *value)
{
	printf("%-14s %s\n", name, value);
}

/* Every field of c; a setting it leaves to the node says whose value. */
static void
dir_print(const struct ctl *ctl, const struct dir_community *c)
{
	char v[64];

	dir_field_print("hcid", c->hcid[0] != '\0' ? c->hcid : "-");
	dir_field_print("url", c->url[0] != '\0' ? c->url : "-");
	dir_field_print("ura", c->ura[0] != '\0' ? c->ura : "-");
	dir_field_print("name", c->name);
	if (c->max_documents != 0)
		str_fmt(v, sizeof v, "%d", c->max_documents);
	else if (ctl->conf.gateway_max_documents != 0)
		str_fmt(v, sizeof v, "%lld (gateway.max_documents)",
		    ctl->conf.gateway_max_documents);
	else
		str_fmt(v, sizeof v, "any (gateway.max_documents)");
	dir_field_print("max_documents", v);
	if (c->timeout != 0)
		str_fmt(v, sizeof v, "%d", c->timeout);
	else
		str_fmt(v, sizeof v, "%lld (gateway.timeout)",
		    ctl->conf.gateway_timeout);
	dir_field_print("timeout", v);
	if (c->concurrency != 0)
		str_fmt(v, sizeof v, "%d", c->concurrency);
	else
		str_fmt(v, sizeof v, "- (gateway.concurrency, all together)");
	dir_field_print("concurrency", v);
	dir_field_print("dicom", c->dicom[0] != '\0' ? c->dicom : "-");
	dir_field_print("xdr", c->xdr[0] != '\0' ? c->xdr : "-");
	dir_field_print("xua_alg", c->xua_alg[0] != '\0' ? c->xua_alg :
	    "rsa-sha256 (the default)");
}

static int
dir_lookup(const struct ctl *ctl, struct directory *d, const char *key)
{
	struct dir_community c;
	char err[512];
	int st;

	if (strncmp(key, "urn:oid:", 8) == 0)
		st = dir_by_hcid(d, key, &c, err, sizeof err);
	else if (strlen(key) == 8 && strspn(key, "0123456789") == 8)
		st = dir_by_ura(d, key, &c, err, sizeof err);
	else {
		fprintf(stderr, "xdsctl: \"%s\" is neither a URA (8 digits) "
		    "nor a home community id (urn:oid:...)\n", key);
		return 2;
	}
	if (st == XDS_OK) {
		dir_print(ctl, &c);
		return 0;
	}
	if (st == XDS_ENOTFOUND && strcmp(key,
	    ctl->conf.node_home_community_id) == 0)
		fprintf(stderr, "xdsctl: %s is this node's own community "
		    "(node.home_community_id); the directory does not list "
		    "it\n", key);
	else if (st == XDS_ENOTFOUND)
		fprintf(stderr, "xdsctl: %s (%s)\n", err, dir_describe(d));
	else
		fprintf(stderr, "xdsctl: %s\n", err);
	return 1;
}

int
ctl_directory(struct ctl *ctl, int argc, char **argv)
{
	struct directory *d = NULL;
	char err[512];
	int rc;

	if (!(argc == 1 && strcmp(argv[0], "list") == 0) &&
	    !(argc == 2 && strcmp(argv[0], "lookup") == 0)) {
		dir_usage();
		return 2;
	}
	if (dir_open(&ctl->conf, &d, err, sizeof err) != XDS_OK) {
		fprintf(stderr, "xdsctl: directory: %s\n", err);
		return 1;
	}
	if (argc == 1)
		rc = dir_list(d);
	else
		rc = dir_lookup(ctl, d, argv[1]);
	dir_close(d);
	return rc;
}
