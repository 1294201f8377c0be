/*
 * conf_int.h: the value checks of the option table (conf_check.c), for
 * conf.c.  Each is a conf_check_fn.
 */
#ifndef XDS_CONF_INT_H
#define XDS_CONF_INT_H

#include <stddef.h>

int	conf_check_oid(const char *, char *err, size_t errlen);
int	conf_check_oid_or_empty(const char *, char *err, size_t errlen);
int	conf_check_uid_root(const char *, char *err, size_t errlen);
int	conf_check_home(const char *, char *err, size_t errlen);
int	conf_check_code(const char *, char *err, size_t errlen);
int	conf_check_lang(const char *, char *err, size_t errlen);
int	conf_check_listen(const char *, char *err, size_t errlen);
int	conf_check_listen_or_empty(const char *, char *err, size_t errlen);
int	conf_check_routes(const char *, char *err, size_t errlen);
/* "" (off), host:port, or a port alone (loopback). */
int	conf_check_feed_listen(const char *, char *err, size_t errlen);
int	conf_check_ae(const char *, char *err, size_t errlen);
int	conf_check_ae_addr_or_empty(const char *, char *err, size_t errlen);
int	conf_check_url_or_empty(const char *, char *err, size_t errlen);
int	conf_check_syslog_url(const char *, char *err, size_t errlen);
int	conf_check_peers(const char *, char *err, size_t errlen);
int	conf_check_nonempty(const char *, char *err, size_t errlen);
int	conf_check_category_map(const char *, char *err, size_t errlen);
int	conf_check_requesters(const char *, char *err, size_t errlen);
int	conf_check_uzi_role(const char *, char *err, size_t errlen);
int	conf_check_digits(const char *, char *err, size_t errlen);

#endif
