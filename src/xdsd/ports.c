/*
 * ports.c: where a ready node listens, in the log and in
 * state_dir/xdsd.ports, for whoever started it with port 0 (tests,
 * scripts): "pid <pid>", then "<name> <host> <port>" per listener (http,
 * dicom when the bridge runs, push with push.listen, feed with the ITI-8
 * feed).  Written to a temporary file and committed (fsync, rename,
 * directory fsync): a reader sees all of it or none.  Removed at start (a
 * crashed run's) and on a clean exit.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "bridge.h"
#include "conf.h"
#include "fileio.h"
#include "log.h"
#include "ports.h"
#include "status.h"
#include "str.h"

#define PORTS_FILE	"xdsd.ports"

static int
ports_path(const char *state_dir, const char *suffix, char *path,
    size_t pathlen)
{
	return str_fmt(path, pathlen, "%s/" PORTS_FILE "%s", state_dir, suffix);
}

static enum xds_status
ports_write(const char *state_dir, const char *text, char *err,
    size_t errlen)
{
	char tmp[CONF_STR_MAX + 32], path[CONF_STR_MAX + 32];
	size_t len = strlen(text);
	enum xds_status rc = XDS_EIO;
	int fd;

	if (ports_path(state_dir, ".tmp", tmp, sizeof tmp) < 0 ||
	    ports_path(state_dir, "", path, sizeof path) < 0) {
		str_fmt(err, errlen, "%s: path too long", state_dir);
		return XDS_ETOOBIG;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1) {
		str_fmt(err, errlen, "%s: %s", tmp, strerror(errno));
		return XDS_EIO;
	}
	if (fileio_write_all(fd, text, len) != XDS_OK) {
		str_fmt(err, errlen, "%s: %s", tmp, strerror(errno));
		close(fd);
	} else if (close(fd) != 0)
		str_fmt(err, errlen, "%s: %s", tmp, strerror(errno));
	else
		rc = fileio_commit(NULL, tmp, path, err, errlen);
	if (rc != XDS_OK)
		unlink(tmp);	/* after the rename: gone already */
	return rc;
}

void
ports_remove(const char *state_dir)
{
	char path[CONF_STR_MAX + 32];

	if (ports_path(state_dir, "", path, sizeof path) >= 0)
		unlink(path);
}

/* host:port, [host]:port for an IPv6 address. */
static void
hostport(char *out, size_t outlen, const char *host, int port)
{
	str_fmt(out, outlen, strchr(host, ':') != NULL ? "[%s]:%d" : "%s:%d",
	    host, port);
}

void
ports_announce(const struct conf *conf, const char *host, int port,
    const struct bridge *dicom, int push_port, int feed_port)
{
	char text[1024], dhost[256], hp[300], err[512];
	int dport, n, m = 0, k = 0;

	hostport(hp, sizeof hp, host, port);
	log_info("xdsnode %s listening on %s://%s, state in %s",
	    PACKAGE_VERSION, conf->http_tls ? "https" : "http", hp,
	    conf->node_state_dir);
	n = str_fmt(text, sizeof text, "pid %ld\nhttp %s %d\n",
	    (long)getpid(), host, port);
	if (dicom != NULL && n >= 0 &&
	    conf_split_hostport(conf->dicom_listen, dhost, sizeof dhost,
	    &dport) == 0) {
		dport = bridge_port(dicom);
		hostport(hp, sizeof hp, dhost, dport);
		log_info("DICOM bridge %s listening on %s%s",
		    conf->dicom_ae_title, hp, conf->dicom_tls ?
		    " (mutual TLS)" : "");
		m = str_fmt(text + n, sizeof text - (size_t)n, "dicom %s %d\n",
		    dhost, dport);
	}
	if (push_port > 0 && n >= 0 && m >= 0 &&
	    conf_split_hostport(conf->push_listen, dhost, sizeof dhost,
	    &dport) == 0) {
		hostport(hp, sizeof hp, dhost, push_port);
		log_info("push listener %s on %s (mutual TLS)",
		    conf->dicom_ae_title, hp);
		n = (int)strlen(text);
		m = str_fmt(text + n, sizeof text - (size_t)n, "push %s %d\n",
		    dhost, push_port);
	}
	if (feed_port > 0 && n >= 0 && m >= 0 &&
	    conf_listen_addr(conf->registry_feed_listen, dhost, sizeof dhost,
	    &dport) == 0) {
		hostport(hp, sizeof hp, dhost, feed_port);
		log_info("ITI-8 patient identity feed (MLLP) listening on %s%s",
		    hp, conf->registry_feed_tls ? " (mutual TLS)" : "");
		n = (int)strlen(text);
		k = str_fmt(text + n, sizeof text - (size_t)n, "feed %s %d\n",
		    dhost, feed_port);
	}
	if (n < 0 || m < 0 || k < 0)
		log_warnx("%s/" PORTS_FILE ": too long", conf->node_state_dir);
	else if (ports_write(conf->node_state_dir, text, err,
	    sizeof err) != XDS_OK)
		log_warnx("%s", err);
}
