/*
 * log.h: the one logging API (OpenBSD log.c style, Redis level check).
 * log_warn appends strerror(errno); log_warnx does not.  Never log
 * document content or a full BSN at info level: use log_redact_id().
 */
#ifndef XDS_LOG_H
#define XDS_LOG_H

#include <stddef.h>

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

extern int log_verbosity;	/* messages above it are dropped unevaluated */

void	log_init(const char *progname, int to_syslog, int level);
int	log_level_parse(const char *name);	/* -1 if unknown */
void	log_emit(int level, int with_errno, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
/* The last LOG_RECENT warnings and errors (the status page): newest
 * first, at most max into out; how many. */
#define LOG_RECENT	16
struct log_line {
	long long	 time;		/* seconds since the epoch */
	int		 level;
	char		 text[256];
};
size_t	log_recent(struct log_line *out, size_t max);
/* "999911120^^^&2.16...&ISO" -> "*****1120^^^&..." into out. */
void	log_redact_id(const char *id, char *out, size_t outsz);

#define log_at(lvl, errn, ...) do {					\
	if ((lvl) <= log_verbosity) log_emit((lvl), (errn), __VA_ARGS__);	\
} while (0)
#define log_error(...)	log_at(LOG_LVL_ERROR, 0, __VA_ARGS__)
#define log_warn(...)	log_at(LOG_LVL_WARN, 1, __VA_ARGS__)
#define log_warnx(...)	log_at(LOG_LVL_WARN, 0, __VA_ARGS__)
#define log_info(...)	log_at(LOG_LVL_INFO, 0, __VA_ARGS__)
#define log_debug(...)	log_at(LOG_LVL_DEBUG, 0, __VA_ARGS__)

#endif
