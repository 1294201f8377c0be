/*
 * curl_lazy.h: the daemon loads libcurl on its first outbound request
 * (curl_lazy.c defines the libcurl functions it forwards to).
 */
#ifndef XDS_CURL_LAZY_H
#define XDS_CURL_LAZY_H

#include <stddef.h>

/* Load libcurl now: 0, or -1 with the reason in err (`xdsd -n`). */
int	curl_lazy_load(char *err, size_t errlen);
/* Whether libcurl has been loaded (the idle-memory test). */
int	curl_lazy_loaded(void);

#endif
