/*
 * bridge_access.c: the parsed dicom.allowed_peers and its two questions
 * (bridge_access.h).
 */
#include "config.h"

#include <arpa/inet.h>
#include <string.h>

#include "bridge_access.h"
#include "str.h"

/* An address with an optional /LEN into fam, net, prefix; -1 if it is
 * not one. */
static int
parse_net(const char *s, size_t n, int *fam, unsigned char *net, int *prefix)
{
	char buf[64];
	const char *slash, *es;
	long long len;
	int max;

	if (n == 0 || n >= sizeof buf)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	slash = strchr(buf, '/');
	if (slash != NULL)
		buf[slash - buf] = '\0';
	if (inet_pton(AF_INET, buf, net) == 1) {
		*fam = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, net) == 1) {
		*fam = 6;
		max = 128;
	} else
		return -1;
	*prefix = max;
	if (slash != NULL) {
		if (slash[1] == '\0' || strspn(slash + 1, "0123456789") !=
		    strlen(slash + 1) || str_tonum(slash + 1, 0, max, &len,
		    &es) != 0)
			return -1;
		*prefix = (int)len;
	}
	return 0;
}

/* A peer's numeric address into fam and bytes; an IPv4-mapped IPv6
 * address is its IPv4 address.  -1 if it is not an address. */
static int
parse_addr(const char *addr, int *fam, unsigned char *b)
{
	static const unsigned char mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};

	if (inet_pton(AF_INET, addr, b) == 1) {
		*fam = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, addr, b) != 1)
		return -1;
	*fam = 6;
	if (memcmp(b, mapped, sizeof mapped) == 0) {
		memmove(b, b + 12, 4);
		*fam = 4;
	}
	return 0;
}

static int
net_match(const struct bridge_access_entry *e, int fam,
    const unsigned char *b)
{
	int full = e->prefix / 8, rest = e->prefix % 8;
	unsigned char mask;

	if (e->family == 0)
		return 1;
	if (e->family != fam || memcmp(e->net, b, (size_t)full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (unsigned char)(0xff << (8 - rest));
	return (e->net[full] & mask) == (b[full] & mask);
}

/* One entry of n characters at s (trimmed) into e. */
static int
parse_entry(const char *s, size_t n, struct bridge_access_entry *e)
{
	const char *at;
	size_t i, aelen;

	memset(e, 0, sizeof *e);
	if (n == 1 && *s == '*')
		return 0;
	if (parse_net(s, n, &e->family, e->net, &e->prefix) == 0)
		return 0;
	/* AE@ADDR: the last '@' followed by an address */
	at = NULL;
	for (i = n; i > 0; i--)
		if (s[i - 1] == '@') {
			at = s + i - 1;
			break;
		}
	aelen = n;
	if (at != NULL && parse_net(at + 1, n - (size_t)(at + 1 - s),
	    &e->family, e->net, &e->prefix) == 0)
		aelen = (size_t)(at - s);
	/* a '/' is meant as a network: a typo is no AE title */
	if (memchr(s, '/', aelen) != NULL)
		return -1;
	while (aelen > 0 && s[aelen - 1] == ' ')
		aelen--;
	if (aelen == 0 || aelen >= sizeof e->ae)
		return -1;
	for (i = 0; i < aelen; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e ||
		    s[i] == '\\')
			return -1;
	memcpy(e->ae, s, aelen);
	e->ae[aelen] = '\0';
	return 0;
}

enum xds_status
bridge_access_parse(const char *spec, struct bridge_access *a, char *err,
    size_t errlen)
{
	const char *p = spec, *next = spec;
	size_t n;

	memset(a, 0, sizeof *a);
	while (*p == ' ')
		p++;
	if (*p == '\0') {
		/* empty: loopback only */
		a->e[0].family = 4;
		a->e[0].net[0] = 127;
		a->e[0].prefix = 8;
		a->e[1].family = 6;
		a->e[1].net[15] = 1;
		a->e[1].prefix = 128;
		a->n = 2;
		return XDS_OK;
	}
	while (next != NULL) {
		p = str_item(&next, ';', &n);
		if (a->n == BRIDGE_ACCESS_MAX) {
			str_fmt(err, errlen, "more than %d entries",
			    BRIDGE_ACCESS_MAX);
			return XDS_EINVAL;
		}
		if (n == 0 || parse_entry(p, n, &a->e[a->n]) != 0) {
			str_fmt(err, errlen, "\"%.*s\" is not *, an address "
			    "(CIDR), an AE title (1-16 characters) or "
			    "AE@address",
			    (int)(n > 64 ? 64 : n), p);
			return XDS_EINVAL;
		}
		a->n++;
	}
	return XDS_OK;
}

int
bridge_access_addr(const struct bridge_access *a, const char *addr)
{
	unsigned char b[16];
	size_t i;
	int fam;

	if (parse_addr(addr, &fam, b) != 0)
		return 0;
	for (i = 0; i < a->n; i++)
		if (net_match(&a->e[i], fam, b))
			return 1;
	return 0;
}

int
bridge_access_peer(const struct bridge_access *a, const char *addr,
    const char *ae)
{
	unsigned char b[16];
	char t[17];
	size_t i, n;
	int fam;

	if (parse_addr(addr, &fam, b) != 0)
		return 0;
	while (*ae == ' ')
		ae++;
	n = strlen(ae);
	while (n > 0 && ae[n - 1] == ' ')
		n--;
	if (n >= sizeof t)
		return 0;
	memcpy(t, ae, n);
	t[n] = '\0';
	for (i = 0; i < a->n; i++)
		if ((a->e[i].ae[0] == '\0' || strcmp(a->e[i].ae, t) == 0) &&
		    net_match(&a->e[i], fam, b))
			return 1;
	return 0;
}
