/*
 * url.h: the rule for every URL patient data leaves the node by (its
 * registry, a repository, later a community): https:// (mutual TLS), or
 * plain http:// to a loopback host only, for tests and the demo.  In
 * lib/base so that both the configuration's value checks (lib/conf) and
 * the SOAP client (soap_peer_remote) apply this one copy.
 */
#ifndef XDS_URL_H
#define XDS_URL_H

#include <stddef.h>

/* 1 when host is a loopback name or address: localhost, 127.0.0.0/8 in
 * dotted decimal, ::1 (with or without brackets). */
int	url_host_loopback(const char *host);

/*
 * XDS_OK when url may carry patient data: https://host..., or
 * http://host... with a loopback host.  A URL whose authority holds user
 * information (user@host) is refused: it hides the host it connects to.
 * Else XDS_EINVAL with the reason in err: "URL: https:// (mutual TLS) is
 * required off loopback", "\"URL\" is not an http(s) URL" or "\"URL\": no
 * host" (the caller puts the option's name in front).
 */
int	url_check(const char *url, char *err, size_t errlen);

#endif
