/*
 * xdsctl_send.c: `xdsctl send`: documents to another organisation by XDR
 * (ITI-41 to its Document Recipient), the push that replaces a DVD.
 *
 *	xdsctl send --to URA|HCID --patient BSN FILE... [submit's flags]
 *	xdsctl send --url URL --patient BSN FILE... [submit's flags]
 *
 * --to looks the organisation up in the community directory the node's
 * configuration names (directory.backend, as `xdsctl directory lookup`)
 * and sends to its xdr endpoint, naming it as the submission set's
 * intendedRecipient (XON with its URA); --url names the endpoint itself.  The
 * message is submit --patient's (the same flags and [affinity]
 * defaults, files streamed from disk as MTOM parts), sent over mutual TLS
 * with the node's certificate (http.cert, http.key, http.ca, or --cert,
 * --key, --ca).  The answer is printed as submit prints it; the exit
 * status is 0 only for a Success without errors.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "directory.h"
#include "status.h"
#include "str.h"
#include "vocab.h"
#include "xdsctl.h"

static void
send_usage(void)
{
	fprintf(stderr, "usage: xdsctl send --to URA|HCID | --url URL "
	    "--patient BSN FILE...\n"
	    "           [--title T]... [--mime TYPE] [--class C] [--type C] "
	    "[--format C]\n"
	    "           [--confidentiality C] [--facility C] [--practice C]\n"
	    "           [--content-type C] [--language L]\n"
	    "  C is code^display^codingScheme, or a code in the scheme of the "
	    "[affinity] default\n");
}

/*
 * The value of --name V or --name=V at argv[*i] (NULL when argv[*i] is
 * not that flag; *i moves past a separate value).  *missing when the
 * flag has no value.
 */
static const char *
send_flag(const char *name, int argc, char **argv, int *i, int *missing)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*missing = 1;
		return NULL;
	}
	return argv[++*i];
}

/*
 * The organisation c as an XON for intendedRecipient: its name (HL7
 * delimiters replaced by spaces) with its URA under the URA's OID,
 * "Ziekenhuis B^^^^^&2.16.528.1.1007.3.3&ISO^^^^00007002"; "" without a
 * URA.
 */
static void
send_recipient(const struct dir_community *c, char *out, size_t outsz)
{
	char name[DIR_NAME_MAX];
	size_t i;

	out[0] = '\0';
	if (c->ura[0] == '\0')
		return;
	str_lcpy(name, c->name, sizeof name);
	for (i = 0; name[i] != '\0'; i++)
		if (strchr("^&~\\|", name[i]) != NULL)
			name[i] = ' ';
	if (str_fmt(out, outsz, "%s^^^^^&" OID_URA "&ISO^^^^%s", name,
	    c->ura) < 0)
		out[0] = '\0';
}

/* The community of key (a URA or a home community id): its XDR
 * endpoint into url, itself as intendedRecipient into rcpt.  0, or 1
 * (printed). */
static int
send_lookup(struct ctl *ctl, const char *key, char *url, size_t urlsz,
    char *rcpt, size_t rcptsz)
{
	struct directory *d = NULL;
	struct dir_community c;
	char err[512];
	int st, rc = 1;

	if (strncmp(key, URN_OID, sizeof URN_OID - 1) != 0 &&
	    !(strlen(key) == 8 && strspn(key, "0123456789") == 8)) {
		fprintf(stderr, "xdsctl: --to %s is neither a URA (8 digits) "
		    "nor a home community id (urn:oid:...)\n", key);
		return 1;
	}
	if (dir_open(&ctl->conf, &d, err, sizeof err) != XDS_OK) {
		fprintf(stderr, "xdsctl: directory: %s\n", err);
		return 1;
	}
	if (strncmp(key, URN_OID, sizeof URN_OID - 1) == 0)
		st = dir_by_hcid(d, key, &c, err, sizeof err);
	else
		st = dir_by_ura(d, key, &c, err, sizeof err);
	if (st != XDS_OK)
		fprintf(stderr, "xdsctl: %s (%s)\n", err, dir_describe(d));
	else if (c.xdr[0] == '\0')
		fprintf(stderr, "xdsctl: %s (%s) has no xdr endpoint in the "
		    "directory (%s)\n", c.name, key, dir_describe(d));
	else if (str_lcpy(url, c.xdr, urlsz) >= urlsz)
		fprintf(stderr, "xdsctl: %s: URL too long\n", c.xdr);
	else {
		send_recipient(&c, rcpt, rcptsz);
		if (!ctl->json)
			printf("to %s (URA %s, %s) at %s\n", c.name,
			    c.ura[0] != '\0' ? c.ura : "-", c.hcid, url);
		rc = 0;
	}
	dir_close(d);
	return rc;
}

int
ctl_send(struct ctl *ctl, int argc, char **argv)
{
	const char *to = NULL, *url = NULL, *v;
	char **rest = NULL, dest[1024], rcpt[DIR_NAME_MAX + 64] = "";
	int i, n = 0, missing = 0, rc = 2;

	/* submit --patient's argv without --to and --url, after a name */
	if ((rest = calloc((size_t)argc + 2, sizeof *rest)) == NULL) {
		fprintf(stderr, "xdsctl: out of memory\n");
		return 1;
	}
	rest[n++] = "send";
	for (i = 0; i < argc; i++) {
		if ((v = send_flag("--to", argc, argv, &i, &missing)) != NULL)
			to = v;
		else if ((v = send_flag("--url", argc, argv, &i,
		    &missing)) != NULL)
			url = v;
		else if (missing)
			break;
		else
			rest[n++] = argv[i];
	}
	if (missing || (to == NULL) == (url == NULL))
		goto out;
	rc = 1;
	if (url != NULL)
		str_lcpy(dest, url, sizeof dest);
	else if (send_lookup(ctl, to, dest, sizeof dest, rcpt,
	    sizeof rcpt) != 0)
		goto out;
	/* The node's certificate, even when its own listener is plain. */
	if (ctl->cert == NULL && ctl->conf.http_cert[0] != '\0') {
		ctl->cert = ctl->conf.http_cert;
		ctl->key = ctl->conf.http_key;
		ctl->ca = ctl->conf.http_ca[0] != '\0' ? ctl->conf.http_ca :
		    NULL;
	}
	rc = ctl_provide_at(ctl, n - 1, rest + 1, dest, rcpt[0] != '\0' ?
	    rcpt : NULL);
out:
	if (rc == 2)
		send_usage();
	free(rest);
	return rc;
}
