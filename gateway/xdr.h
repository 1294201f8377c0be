/*
 * xdr.h: the XDR Document Recipient: POST /xdr/recipient takes ITI-41
 * Provide and Register Document Set-b from another organisation (the
 * push of a report or letter instead of a DVD) and has this node's own
 * Document Repository store and register it.
 *
 * The recipient keeps no documents of its own: it checks who sends, then
 * hands the request as it came (the DOM body, the spooled attachments)
 * to the repository through a soap_peer, so the repository's ITI-41 path
 * (hashes, sizes, durable store, ITI-42 to the registry) is the one that
 * runs, and its RegistryResponse is the answer.  The transfer is one
 * transaction record: ITI-41 at /xdr/recipient, its "organisation" the
 * sender's URA and name from the community directory.
 *
 * Who may send (xdr.known_senders_only, on by default with http.tls):
 * the sender's client certificate has passed http.ca already; it must
 * name a URA, in its UZI server identity (subjectAltName otherName
 * 2.5.5.5, card type S, as the transport hands it up) or in its subject
 * (xdr_subject_ura), both the same when it has both, that the community
 * directory knows (dir_by_ura).  Anything else is a SOAP Sender fault (HTTP 403)
 * and stores nothing.
 */
#ifndef XDS_XDR_H
#define XDS_XDR_H

#include <stddef.h>

struct conf;
struct directory;
struct soap_endpoint;
struct soap_peer;
struct xdr_recipient;

/*
 * The recipient; dir and repository are borrowed and must outlive it
 * (repository: the peer of this node's Document Repository).  XDS_OK,
 * or a status with err.
 */
int	xdr_open(const struct conf *, struct directory *dir,
	    struct soap_peer *repository, struct xdr_recipient **out,
	    char *err, size_t errlen);
void	xdr_close(struct xdr_recipient *);	/* NULL is a no-op */
/* Its endpoint, /xdr/recipient, to mount on the router. */
const struct soap_endpoint *xdr_endpoint(struct xdr_recipient *);

/*
 * The URA a certificate subject (RFC 2253, as the transport writes it)
 * names: the value of its organizationIdentifier attribute (2.5.4.97)
 * when that is "URA-" and 8 digits.  1 with the 8 digits in ura (at
 * least 9 bytes), 0 when the subject names none, -1 when it names two
 * different ones or ura is too small.  Pure.
 */
int	xdr_subject_ura(const char *subject, char *ura, size_t urasz);

#endif
