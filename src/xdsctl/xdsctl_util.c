/*
 * xdsctl_util.c: helpers the xdsctl subcommands share.
 */
#include "config.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/tree.h>

#include "buf.h"
#include "fileio.h"
#include "hl7dt.h"
#include "soap_peer.h"
#include "status.h"
#include "str.h"
#include "vocab.h"
#include "xdsctl.h"
#include "xml.h"

/* A bare BSN becomes the CX "bsn^^^&2.16.840.1.113883.2.4.6.3&ISO". */
int
ctl_patient_cx(const char *id, char *out, size_t outsz)
{
	struct hl7_cx cx;
	char err[256];
	size_t n = strlen(id);

	if (strchr(id, '^') == NULL) {
		if (hl7_bsn_valid(id, n) != 0) {
			fprintf(stderr, "xdsctl: %s is not a valid BSN (11-check)\n", id);
			return -1;
		}
		return str_fmt(out, outsz, "%s^^^&%s&ISO", id, OID_BSN) < 0 ? -1 : 0;
	}
	if (hl7_cx_parse(id, n, &cx, err, sizeof err) != 0) {
		fprintf(stderr, "xdsctl: %s: %s\n", id, err);
		return -1;
	}
	return hl7_cx_format(&cx, out, outsz);
}

char *
ctl_read_file(const char *path, size_t max, size_t *len)
{
	char *p, err[1200];

	if (fileio_read_file(path, max, &p, len, err, sizeof err) != XDS_OK) {
		fprintf(stderr, "xdsctl: %s\n", err);
		return NULL;
	}
	return p;
}

const char *
ctl_short_status(const char *s)
{
	const char *p = s ? strrchr(s, ':') : NULL;

	return p ? p + 1 : (s ? s : "");
}

struct soap_peer *
ctl_peer(const struct ctl *ctl, const char *url)
{
	struct soap_peer_opts o;
	struct soap_peer *p;
	char err[1200];

	memset(&o, 0, sizeof o);
	soap_peer_opts_tls(&o, ctl->cert, ctl->key, ctl->ca);
	o.allow_plain = 1;
	o.user_agent = "xdsctl/" PACKAGE_VERSION;
	o.bounds.timeout = -1;
	o.bounds.low_speed_time = CTL_LOW_SPEED;
	if (soap_peer_remote(&p, url, &o, err, sizeof err) != XDS_OK) {
		fprintf(stderr, "xdsctl: %s\n", err);
		return NULL;
	}
	return p;
}

int
ctl_call(struct ctl *ctl, const char *url, struct soap_call *c)
{
	struct soap_peer *p;

	if ((p = ctl_peer(ctl, url)) == NULL)
		return -1;
	ctl_xua(ctl, c);
	(void)soap_peer_call(p, c);
	soap_peer_free(p);
	if (ctl->verbose && c->ans.http_status != 0)
		fprintf(stderr, "HTTP %d, %zu bytes\n%s\n", c->ans.http_status,
		    c->ans.bytes.b_len, buf_str(&c->ans.bytes));
	if (c->ans.status != XDS_OK) {
		fprintf(stderr, "xdsctl: %s\n", c->ans.err);
		return -1;
	}
	if (c->ans.fault) {
		fprintf(stderr, "xdsctl: SOAP fault (HTTP %d): %s\n",
		    c->ans.http_status, c->ans.fault_reason);
		return -1;
	}
	return 0;
}

void
ctl_json_str(const char *v)
{
	const unsigned char *p;

	putchar('"');
	for (p = (const unsigned char *)v; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

int
ctl_node_url(const char *url, const char *path, char *out, size_t outsz)
{
	const char *p = strstr(url, "://");

	if (p == NULL || (p = strchr(p + 3, '/')) == NULL)
		p = url + strlen(url);
	return str_fmt(out, outsz, "%.*s%s", (int)(p - url), url, path) < 0 ?
	    -1 : 0;
}

int
ctl_find_documents(struct buf *q, const char *cx, const char *home)
{
	int rc;

	rc = buf_adds(q, "<query:AdhocQueryRequest xmlns:query=\"" NS_QUERY
	    "\" xmlns:rim=\"" NS_RIM "\"><query:ResponseOption "
	    "returnComposedObjects=\"true\" returnType=\"LeafClass\"/>"
	    "<rim:AdhocQuery id=\"" SQ_FINDDOCUMENTS "\"");
	if (home != NULL)
		rc |= buf_adds(q, " home=\"") | buf_add_xml(q, home) |
		    buf_adds(q, "\"");
	rc |= buf_adds(q, "><rim:Slot name=\"" SQP_DE_PATIENTID "\">"
	    "<rim:ValueList><rim:Value>'") | buf_add_xml(q, cx) |
	    buf_adds(q, "'</rim:Value></rim:ValueList></rim:Slot><rim:Slot "
	    "name=\"$XDSDocumentEntryStatus\"><rim:ValueList><rim:Value>('"
	    STATUS_APPROVED "')</rim:Value></rim:ValueList></rim:Slot>"
	    "</rim:AdhocQuery></query:AdhocQueryRequest>");
	return rc == XDS_OK ? 0 : -1;
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)f;
	if (flag == FTW_DP)
		return rmdir(path);
	return unlink(path);
}

/* The tree at path removed (symbolic links not followed). */
int
ctl_rm_tree(const char *path)
{
	return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}
