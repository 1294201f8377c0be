/*
 * uzi.h: the identity string of an UZI certificate (UZI-register CPS):
 * subjectAltName otherName type-id 2.5.5.5, an IA5String
 *
 *	<OID of the CA>-<version>-<UZI number>-<card type>-<URA>-<role>-<AGB>
 *
 * e.g. 2.16.528.1.1003.1.3.5.5.5-1-12345678-S-00001234-00.000-00000000
 * for a server certificate (card type S).  Pure.
 */
#ifndef XDS_UZI_H
#define XDS_UZI_H

#include <stddef.h>

#define UZI_STRING_MAX	128	/* longer is not an UZI string */

struct uzi_id {
	char	ca_oid[64];
	char	version[8];
	char	number[16];	/* UZI number */
	char	card;		/* 'Z' zorgverlener, 'N' medewerker op naam,
				   'M' niet op naam, 'S' server */
	char	ura[16];	/* abonneenummer: 8 digits */
	char	role[8];	/* NN.NNN, 00.000 for servers */
	char	agb[16];	/* 8 digits, 00000000 when none */
};

/*
 * Parse len bytes of an UZI string into out.  The CA's OID may also be
 * followed by ':' (as one description writes it).  XDS_OK, or
 * XDS_EFORMAT with the field that is wrong in err.
 */
int	uzi_parse(const char *s, size_t len, struct uzi_id *out, char *err,
	    size_t errlen);

#endif
