/*
 * push_notify.c: push.notify_command, run when a pushed study is
 * committed (push_notify.h): no shell, its environment says which study,
 * from whom, for which patient; the node never waits for it.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "log.h"
#include "push_notify.h"
#include "str.h"

#define NOTIFY_ARGS	16
#define NOTIFY_CMD_SZ	1024

extern char **environ;

static void *
reap(void *arg)
{
	pid_t pid = (pid_t)(long)arg;
	pid_t r;
	int st = 0;

	while ((r = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
		;
	if (r < 0)
		log_warn("push: push.notify_command (pid %ld)", (long)pid);
	else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		log_warnx("push: push.notify_command (pid %ld) ended with "
		    "status %d", (long)pid, WIFEXITED(st) ? WEXITSTATUS(st) :
		    128 + WTERMSIG(st));
	return NULL;
}

int
push_notify_split(const char *cmd, char *buf, size_t bufsz, char **argv,
    size_t maxargs)
{
	size_t n = 0;
	char *p = buf;

	if (maxargs == 0 || str_lcpy(buf, cmd, bufsz) >= bufsz)
		return -1;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (*p == '\0')
			break;
		if (n + 1 >= maxargs)
			return -1;
		argv[n++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
	}
	argv[n] = NULL;
	return n > 0 && argv[0][0] == '/' ? (int)n : -1;
}

void
push_notify(const char *cmd, const char *study, const char *sender_ura,
    const char *patient)
{
	char buf[NOTIFY_CMD_SZ], e1[128], e2[64], e3[64];
	char *argv[NOTIFY_ARGS], *envp[] = { e1, e2, e3,
	    "PATH=/usr/bin:/bin", NULL };
	pthread_t t;
	pid_t pid;
	int rc;

	if (cmd[0] == '\0')
		return;
	if (push_notify_split(cmd, buf, sizeof buf, argv, NOTIFY_ARGS) < 0) {
		log_warnx("push: push.notify_command: not an absolute path "
		    "and at most %d words", NOTIFY_ARGS - 1);
		return;
	}
	str_fmt(e1, sizeof e1, "XDS_PUSH_STUDY=%s", study);
	str_fmt(e2, sizeof e2, "XDS_PUSH_SENDER_URA=%s", sender_ura);
	str_fmt(e3, sizeof e3, "XDS_PUSH_PATIENT=%s", patient);
	if ((rc = posix_spawn(&pid, argv[0], NULL, NULL, argv, envp)) != 0) {
		log_warnx("push: push.notify_command %s: %s", argv[0],
		    strerror(rc));
		return;
	}
	if (pthread_create(&t, NULL, reap, (void *)(long)pid) != 0) {
		/* nobody waits: reaped when the node exits */
		log_warnx("push: push.notify_command: no thread to wait for it");
		return;
	}
	pthread_detach(t);
}
