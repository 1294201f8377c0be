/*
 * notify.h: readiness and state to the service manager that started the
 * node (systemd's Type=notify): one datagram per state to the Unix
 * socket named by $NOTIFY_SOCKET, "READY=1", "RELOADING=1",
 * "STOPPING=1", with a STATUS= line.  Without $NOTIFY_SOCKET nothing is
 * sent.  notify_init reads the variable (and removes it from the
 * environment, so that no child inherits it); the rest are
 * async-signal-safe (sendto only), so a signal handler may say
 * STOPPING.
 */
#ifndef XDS_NOTIFY_H
#define XDS_NOTIFY_H

/* Read $NOTIFY_SOCKET: 0, or -1 with err when it names no usable socket
 * (the node runs on, unannounced: the manager will time it out). */
int	notify_init(char *err, size_t errlen);
/* The message, e.g. "READY=1\nSTATUS=listening on ...": sent whole in
 * one datagram, or not at all.  0, or -1. */
int	notify_send(const char *msg);

#endif
