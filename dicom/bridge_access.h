/*
 * bridge_access.h: who may talk DICOM to the bridge (dicom.allowed_peers).
 *
 * The list holds entries separated by ';' (spaces around an entry are
 * ignored), each one of
 *	*		anyone
 *	ADDR[/LEN]	any calling AE title from an IPv4 or IPv6 address or
 *			network (CIDR), e.g. 10.1.2.0/24, fd00::/8
 *	AE		this calling AE title from any address
 *	AE@ADDR[/LEN]	this calling AE title from that address or network
 * An AE title is compared exactly (case counts), without its leading and
 * trailing spaces.  An empty list admits loopback peers only
 * (127.0.0.0/8 and ::1), whatever their AE title.  A peer is admitted
 * when one entry matches.
 *
 * Two questions are asked: at accept, before a byte is read, whether any
 * entry could admit the address (bridge_access_addr), and after the
 * A-ASSOCIATE-RQ, whether one admits the address with its calling AE
 * title (bridge_access_peer).  Pure: no state beyond the parsed list.
 */
#ifndef XDS_BRIDGE_ACCESS_H
#define XDS_BRIDGE_ACCESS_H

#include <stddef.h>

#include "status.h"

#define BRIDGE_ACCESS_MAX	64	/* entries */

struct bridge_access_entry {
	char		ae[17];		/* "" for any AE title */
	int		family;		/* 0 (any address), 4 or 6 */
	unsigned char	net[16];	/* network bytes, family's length */
	int		prefix;		/* bits of net that count */
};

struct bridge_access {
	struct bridge_access_entry e[BRIDGE_ACCESS_MAX];
	size_t		n;
};

/* Parse spec into a; XDS_EINVAL with the entry named in err when it is
 * not one of the forms above or there are too many. */
enum xds_status bridge_access_parse(const char *spec, struct bridge_access *a,
	    char *err, size_t errlen);
/* 1 when some entry could admit a peer at the numeric address addr
 * (IPv4 dotted, IPv6, or IPv4-mapped IPv6), else 0. */
int	bridge_access_addr(const struct bridge_access *a, const char *addr);
/* 1 when an entry admits calling AE title ae from addr, else 0. */
int	bridge_access_peer(const struct bridge_access *a, const char *addr,
	    const char *ae);

#endif /* XDS_BRIDGE_ACCESS_H */
