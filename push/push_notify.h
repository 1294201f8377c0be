/*
 * push_notify.h: push.notify_command when a pushed study is committed
 * (push_notify.c).
 */
#ifndef XDS_PUSH_NOTIFY_H
#define XDS_PUSH_NOTIFY_H

#include <stddef.h>

/*
 * Split cmd at blanks (no quotes, no shell) into argv (at most maxargs
 * - 1 words, NULL-terminated) over a copy in buf: the number of words,
 * or -1 when it does not fit, is empty or its program is not an
 * absolute path.  Pure.
 */
int	push_notify_split(const char *cmd, char *buf, size_t bufsz,
	    char **argv, size_t maxargs);
/*
 * Run cmd ("" : nothing) with the environment XDS_PUSH_STUDY,
 * XDS_PUSH_SENDER_URA, XDS_PUSH_PATIENT (the BSN, "" when unknown) and
 * PATH only; not waited for (a thread reaps it and logs a failure).
 */
void	push_notify(const char *cmd, const char *study, const char *sender_ura,
	    const char *patient);

#endif /* XDS_PUSH_NOTIFY_H */
