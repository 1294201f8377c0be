/*
 * url.c: which URLs patient data may leave by (url.h).
 */
#include "config.h"

#include <string.h>

#include "status.h"
#include "str.h"
#include "url.h"

int
url_host_loopback(const char *host)
{
	const char *p = host;
	const char *es;
	long long v;
	char part[4];
	size_t n;
	int i;

	if (str_caseeq(host, "localhost") || strcmp(host, "::1") == 0 ||
	    strcmp(host, "[::1]") == 0)
		return 1;
	for (i = 0; i < 4; i++) {	/* 127.d.d.d, each 0-255 */
		n = strcspn(p, ".");
		if (n == 0 || n >= sizeof part || (i < 3) != (p[n] == '.'))
			return 0;
		memcpy(part, p, n);
		part[n] = '\0';
		if (strspn(part, "0123456789") != n ||
		    str_tonum(part, 0, 255, &v, &es) != 0 ||
		    (i == 0 && v != 127))
			return 0;
		p += n + (i < 3);
	}
	return *p == '\0';
}

int
url_check(const char *url, char *err, size_t errlen)
{
	char host[256];
	const char *h;
	size_t n;

	if (str_ncaseeq(url, "https://", 8))
		h = url + 8;
	else if (str_ncaseeq(url, "http://", 7))
		h = url + 7;
	else {
		str_fmt(err, errlen, "\"%.200s\" is not an http(s) URL", url);
		return XDS_EINVAL;
	}
	n = h[0] == '[' ? strcspn(h, "]/?#") + (h[strcspn(h, "]/?#")] == ']') :
	    strcspn(h, ":/?#@");
	if (n == 0 || n >= sizeof host) {
		str_fmt(err, errlen, "\"%.200s\": no host", url);
		return XDS_EINVAL;
	}
	memcpy(host, h, n);
	host[n] = '\0';
	if (memchr(h, '@', strcspn(h, "/?#")) != NULL ||
	    (h == url + 7 && !url_host_loopback(host))) {
		str_fmt(err, errlen, "%.200s: https:// (mutual TLS) is "
		    "required off loopback", url);
		return XDS_EINVAL;
	}
	return XDS_OK;
}
