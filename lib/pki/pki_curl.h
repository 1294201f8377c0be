/*
 * pki_curl.h: the TLS of every request the node sends with libcurl (the
 * SOAP client, the ZORG-AB directory): TLS 1.2 at least, the server's
 * certificate verified against the CA file and its name, this node's
 * certificate shown, and the process-wide CRLs (pki.h) applied to each
 * new connection's store.
 */
#ifndef XDS_PKI_CURL_H
#define XDS_PKI_CURL_H

#include <curl/curl.h>

/*
 * Set the TLS options on e: cert and key (NULL or "": none), ca (NULL
 * or "": the system's).  The files are read again for every connection,
 * so a renewed certificate or CA file is used from the next request on;
 * libcurl's cache of CA stores is off for the same reason.  0, or -1
 * when libcurl refused an option.
 */
int	pki_curl_tls(CURL *e, const char *cert, const char *key,
	    const char *ca);

#endif
