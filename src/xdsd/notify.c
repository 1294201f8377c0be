/*
 * notify.c: the service manager's readiness protocol (notify.h).  The
 * address is kept from notify_init; each message opens, sends on and
 * closes its own datagram socket, so a message from a signal handler
 * needs no state shared with the threads.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"
#include "str.h"

static struct sockaddr_un notify_addr;
static socklen_t notify_len;	/* 0: no manager to tell */

int
notify_init(char *err, size_t errlen)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t n;

	notify_len = 0;
	if (path == NULL || path[0] == '\0')
		return 0;
	n = strlen(path);
	/* A path, or '@' for Linux's abstract namespace (a NUL first). */
	if ((path[0] != '/' && path[0] != '@') ||
	    n >= sizeof notify_addr.sun_path) {
		str_fmt(err, errlen, "NOTIFY_SOCKET %.64s: not a socket path",
		    path);
		unsetenv("NOTIFY_SOCKET");
		return -1;
	}
	memset(&notify_addr, 0, sizeof notify_addr);
	notify_addr.sun_family = AF_UNIX;
	memcpy(notify_addr.sun_path, path, n);
	if (path[0] == '@')
		notify_addr.sun_path[0] = '\0';
	notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	unsetenv("NOTIFY_SOCKET");
	return 0;
}

int
notify_send(const char *msg)
{
	ssize_t n;
	int fd, rc = -1, saved = errno;

	if (notify_len == 0)
		return 0;
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		goto out;
	n = sendto(fd, msg, strlen(msg), MSG_NOSIGNAL,
	    (const struct sockaddr *)&notify_addr, notify_len);
	if (n == (ssize_t)strlen(msg))
		rc = 0;
	close(fd);
out:
	errno = saved;
	return rc;
}
