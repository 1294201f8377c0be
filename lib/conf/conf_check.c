/*
 * conf_check.c: the value checks of the option table (conf_opt.check)
 * and the parsers of option values that other modules share: host:port,
 * AE@host:port, peer URLs.
 *
 * A check refuses every value the node could not use later, so that
 * xdsd -n finds the mistake and names its line, instead of the bridge
 * failing when it first publishes.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "conf_int.h"
#include "ebrim.h"
#include "hl7dt.h"
#include "status.h"
#include "str.h"
#include "url.h"

#define DICOM_AE_MAX	16
#define UID_ROOT_MAX	24	/* room for ".<39 digits>" in a 64-byte UID */

static int refuse(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* The reason into err; always -1. */
static int
refuse(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int
conf_split_hostport(const char *s, char *host, size_t hostsz, int *port)
{
	const char *colon, *es;
	long long p;
	size_t n;

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (rb == NULL || rb[1] != ':')
			return -1;
		n = (size_t)(rb - s - 1);
		if (n >= hostsz)
			return -1;
		memcpy(host, s + 1, n);
		host[n] = '\0';
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return -1;
		n = (size_t)(colon - s);
		if (n >= hostsz)
			return -1;
		memcpy(host, s, n);
		host[n] = '\0';
	}
	if (str_tonum(colon + 1, 0, 65535, &p, &es) != 0)
		return -1;
	*port = (int)p;
	return 0;
}

int
conf_split_ae(const char *s, char *ae, size_t aesz, char *host,
    size_t hostsz, int *port)
{
	const char *at = strchr(s, '@');
	size_t n;

	if (at == NULL || at == s || (n = (size_t)(at - s)) > DICOM_AE_MAX ||
	    n >= aesz)
		return -1;
	memcpy(ae, s, n);
	ae[n] = '\0';
	if (conf_check_ae(ae, NULL, 0) != 0 ||
	    conf_split_hostport(at + 1, host, hostsz, port) != 0 ||
	    host[0] == '\0' || *port == 0)
		return -1;
	return 0;
}

int
conf_route_at(const char *routes, size_t i, char *ae, size_t aesz,
    char *dest, size_t destsz)
{
	const char *p = routes, *eq, *end;
	size_t k = 0, an, dn;

	for (;;) {
		p += strspn(p, " \t,;");
		if (*p == '\0')
			return 0;
		end = p + strcspn(p, ",;");
		if (k++ == i)
			break;
		p = end;
	}
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if ((eq = memchr(p, '=', (size_t)(end - p))) == NULL)
		return -1;
	an = (size_t)(eq - p);
	while (an > 0 && (p[an - 1] == ' ' || p[an - 1] == '\t'))
		an--;
	eq++;
	while (eq < end && (*eq == ' ' || *eq == '\t'))
		eq++;
	dn = (size_t)(end - eq);
	if (an == 0 || an > DICOM_AE_MAX || an >= aesz || dn == 0 ||
	    dn >= destsz)
		return -1;
	memcpy(ae, p, an);
	ae[an] = '\0';
	memcpy(dest, eq, dn);
	dest[dn] = '\0';
	if (conf_check_ae(ae, NULL, 0) != 0)
		return -1;
	if (!(dn == 8 && strspn(dest, "0123456789") == 8) &&
	    !(strncmp(dest, "urn:oid:", 8) == 0 &&
	    hl7_oid_valid(dest + 8, dn - 8, NULL, 0) == 0))
		return -1;
	return 1;
}

int
conf_route_find(const char *routes, const char *ae, char *dest,
    size_t destsz)
{
	char a[DICOM_AE_MAX + 1], d[128];
	size_t i;
	int rc;

	for (i = 0; (rc = conf_route_at(routes, i, a, sizeof a, d,
	    sizeof d)) != 0; i++)
		if (rc == 1 && strcmp(a, ae) == 0)
			return str_lcpy(dest, d, destsz) < destsz ? 1 : -1;
	return 0;
}

/* ---- checks of the option table ---------------------------------- */

int
conf_check_routes(const char *v, char *err, size_t errlen)
{
	char ae[DICOM_AE_MAX + 1], dest[128];
	size_t i;
	int rc;

	for (i = 0; (rc = conf_route_at(v, i, ae, sizeof ae, dest,
	    sizeof dest)) != 0; i++)
		if (rc < 0)
			return refuse(err, errlen, "route %zu is not "
			    "AE=URA or AE=urn:oid:HCID (AE title of 1 to %d "
			    "characters, URA 8 digits)", i + 1, DICOM_AE_MAX);
	return 0;
}

int
conf_check_oid(const char *v, char *err, size_t errlen)
{
	return hl7_oid_valid(v, strlen(v), err, errlen) != 0 ? -1 : 0;
}

int
conf_check_oid_or_empty(const char *v, char *err, size_t errlen)
{
	return v[0] == '\0' ? 0 : conf_check_oid(v, err, errlen);
}

int
conf_check_uid_root(const char *v, char *err, size_t errlen)
{
	if (conf_check_oid(v, err, errlen) != 0)
		return -1;
	if (strlen(v) > UID_ROOT_MAX)
		return refuse(err, errlen, "a UID root has at most %d "
		    "characters", UID_ROOT_MAX);
	return 0;
}

int
conf_check_home(const char *v, char *err, size_t errlen)
{
	if (strncmp(v, "urn:oid:", 8) != 0)
		return refuse(err, errlen, "\"%.200s\" must start with "
		    "urn:oid:", v);
	return conf_check_oid(v + 8, err, errlen);
}

int
conf_check_code(const char *v, char *err, size_t errlen)
{
	struct rim_code c;

	if (rim_code_parse(v, &c) != 0)
		return refuse(err, errlen, "\"%.200s\" is not "
		    "code^display^codingScheme", v);
	return 0;
}

int
conf_check_lang(const char *v, char *err, size_t errlen)
{
	if (hl7_lang_valid(v, strlen(v)) != 0)
		return refuse(err, errlen, "\"%.40s\" is not a language tag "
		    "(e.g. nl-NL)", v);
	return 0;
}

int
conf_check_listen(const char *v, char *err, size_t errlen)
{
	char host[256];
	int port;

	if (conf_split_hostport(v, host, sizeof host, &port) != 0 ||
	    host[0] == '\0')
		return refuse(err, errlen, "\"%.200s\" is not host:port", v);
	return 0;
}

int
conf_check_listen_or_empty(const char *v, char *err, size_t errlen)
{
	return v[0] == '\0' ? 0 : conf_check_listen(v, err, errlen);
}

int
conf_listen_addr(const char *s, char *host, size_t hostsz, int *port)
{
	long long p;
	const char *es;

	if (strchr(s, ':') != NULL)
		return conf_split_hostport(s, host, hostsz, port) != 0 ||
		    host[0] == '\0' ? -1 : 0;
	if (str_tonum(s, 0, 65535, &p, &es) != 0 ||
	    str_lcpy(host, "127.0.0.1", hostsz) >= hostsz)
		return -1;
	*port = (int)p;
	return 0;
}

int
conf_check_feed_listen(const char *v, char *err, size_t errlen)
{
	char host[256];
	int port;

	if (v[0] != '\0' && conf_listen_addr(v, host, sizeof host,
	    &port) != 0)
		return refuse(err, errlen, "\"%.200s\" is not host:port or "
		    "a port", v);
	return 0;
}

/* DICOM AE title: 1-16 characters of the default repertoire, no
 * backslash or control character, not only spaces (PS3.5 6.2). */
int
conf_check_ae(const char *v, char *err, size_t errlen)
{
	size_t i, n = strlen(v);

	if (n == 0 || n > DICOM_AE_MAX || strspn(v, " ") == n)
		return refuse(err, errlen, "an AE title has 1 to %d "
		    "characters, not only spaces", DICOM_AE_MAX);
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e ||
		    v[i] == '\\')
			return refuse(err, errlen, "an AE title may not hold "
			    "a backslash or control character");
	return 0;
}

int
conf_check_ae_addr_or_empty(const char *v, char *err, size_t errlen)
{
	char ae[DICOM_AE_MAX + 1], host[256];
	int port;

	if (v[0] == '\0' || conf_split_ae(v, ae, sizeof ae, host, sizeof host,
	    &port) == 0)
		return 0;
	return refuse(err, errlen, "\"%.200s\" is not AE@host:port", v);
}

int
conf_check_url_or_empty(const char *v, char *err, size_t errlen)
{
	return v[0] == '\0' || url_check(v, err, errlen) == XDS_OK ? 0 : -1;
}

/* An audit record repository: "", tls://host:port, or tcp:// to a
 * loopback host (tests). */
int
conf_check_syslog_url(const char *v, char *err, size_t errlen)
{
	char host[256];
	int port;

	if (v[0] == '\0')
		return 0;
	if ((strncmp(v, "tls://", 6) != 0 && strncmp(v, "tcp://", 6) != 0) ||
	    conf_split_hostport(v + 6, host, sizeof host, &port) != 0 ||
	    host[0] == '\0' || port <= 0)
		return refuse(err, errlen, "\"%.200s\" is not tls://host:port",
		    v);
	if (strncmp(v, "tcp://", 6) == 0 && !url_host_loopback(host))
		return refuse(err, errlen, "%.200s: tcp:// is for loopback "
		    "only; use tls:// (mutual TLS)", v);
	return 0;
}

int
conf_check_nonempty(const char *v, char *err, size_t errlen)
{
	if (v[0] == '\0')
		return refuse(err, errlen, "may not be empty");
	return 0;
}

/* Each ';'-separated entry of v (spaces around it trimmed, none empty)
 * passes fn(entry, length); "" has none. */
static int
each_entry(const char *v, int (*fn)(const char *, size_t, char *, size_t),
    char *err, size_t errlen)
{
	const char *p, *next = v;
	size_t i, n;

	for (i = 0; v[i] != '\0'; i++)
		if ((unsigned char)v[i] < 0x20)
			return refuse(err, errlen, "no control characters");
	if (v[0] == '\0')
		return 0;
	while (next != NULL) {
		p = str_item(&next, ';', &n);
		if (n == 0)
			return refuse(err, errlen, "an empty entry (two ';' in "
			    "a row, or one at an end)");
		if (fn(p, n, err, errlen) != 0)
			return -1;
	}
	return 0;
}

/*
 * gateway.allow: entries separated by ';', each "*", "anonymous" or a
 * certificate subject as RFC 2253 prints it ("CN=b.example,O=B,C=NL").
 * Empty entries and control characters are refused: a typo must not
 * widen or silently narrow who may ask.
 */
static int
peer_entry(const char *p, size_t n, char *err, size_t errlen)
{
	if (!(n == 1 && *p == '*') && !(n == 9 &&
	    strncmp(p, "anonymous", 9) == 0) && memchr(p, '=', n) == NULL)
		return refuse(err, errlen, "\"%.*s\" is not *, anonymous "
		    "or a certificate subject (CN=...,O=...)", (int)n > 100 ?
		    100 : (int)n, p);
	return 0;
}

int
conf_check_peers(const char *v, char *err, size_t errlen)
{
	return each_entry(v, peer_entry, err, errlen);
}

/* A code of the closed question: 1 to 39 characters, no space, no
 * separator of these options. */
static int
consent_code(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || n >= 40)
		return 0;
	for (i = 0; i < n; i++)
		if (p[i] <= ' ' || p[i] > '~' || p[i] == '|' || p[i] == '=' ||
		    p[i] == ';')
			return 0;
	return 1;
}

static int
category_pair(const char *p, size_t n, char *err, size_t errlen)
{
	const char *eq = memchr(p, '=', n);

	if (eq == NULL || !consent_code(p, (size_t)(eq - p)) ||
	    !consent_code(eq + 1, n - (size_t)(eq - p) - 1))
		return refuse(err, errlen, "\"%.*s\" is not classCode=category",
		    (int)n > 100 ? 100 : (int)n, p);
	return 0;
}

int
conf_check_category_map(const char *v, char *err, size_t errlen)
{
	return each_entry(v, category_pair, err, errlen);
}

/* subject|URA|organisation type|role[|UZI number]; the subject is a
 * certificate subject (RFC 2253) or anonymous */
static int
requester(const char *p, size_t n, char *err, size_t errlen)
{
	const char *f[6], *end = p + n, *bar;
	size_t nf = 0, i;

	f[nf++] = p;
	while (nf < 6 && (bar = memchr(f[nf - 1], '|', (size_t)(end -
	    f[nf - 1]))) != NULL)
		f[nf++] = bar + 1;
	if (nf < 4 || nf > 5 || (memchr(f[0], '=', (size_t)(f[1] - 1 -
	    f[0])) == NULL && !(f[1] - 1 - f[0] == 9 &&
	    strncmp(f[0], "anonymous", 9) == 0)))
		goto bad;
	for (i = 1; i < nf; i++)
		if (!consent_code(f[i], (size_t)((i + 1 < nf ? f[i + 1] - 1 :
		    end) - f[i])))
			goto bad;
	return 0;
bad:
	return refuse(err, errlen, "\"%.*s\" is not subject|URA|organisation "
	    "type|role[|UZI number]", (int)n > 100 ? 100 : (int)n, p);
}

int
conf_check_requesters(const char *v, char *err, size_t errlen)
{
	return each_entry(v, requester, err, errlen);
}

/* An UZI role (RoleCodeNL: NN.NNN), or empty. */
int
conf_check_uzi_role(const char *v, char *err, size_t errlen)
{
	if (v[0] == '\0' || (strlen(v) == 6 && isdigit((unsigned char)v[0]) &&
	    isdigit((unsigned char)v[1]) && v[2] == '.' &&
	    strspn(v + 3, "0123456789") == 3))
		return 0;
	str_fmt(err, errlen, "not an UZI role (NN.NNN, e.g. 01.015)");
	return -1;
}

/* Digits only (an UZI number), at most 12, or empty. */
int
conf_check_digits(const char *v, char *err, size_t errlen)
{
	size_t n = strlen(v);

	if (n <= 12 && strspn(v, "0123456789") == n)
		return 0;
	str_fmt(err, errlen, "not a number of at most 12 digits");
	return -1;
}
