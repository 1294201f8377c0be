/*
 * ports.h: the ports a ready node bound, in the log and in
 * state_dir/xdsd.ports (ports.c; the format is in xdsd(8), FILES).
 */
#ifndef XDS_PORTS_H
#define XDS_PORTS_H

struct bridge;
struct conf;

/* The node is ready: log where it listens (the bound ports, also when
 * the configuration asked for port 0) and write state_dir/xdsd.ports.
 * dicom is NULL when the bridge does not run; push_port is push.listen's
 * bound port, 0 without it; feed_port the ITI-8 feed's, 0 without it. */
void	ports_announce(const struct conf *, const char *host, int port,
	    const struct bridge *dicom, int push_port, int feed_port);
/* Remove state_dir/xdsd.ports (at start, a crashed run's; at a clean
 * exit). */
void	ports_remove(const char *state_dir);

#endif
