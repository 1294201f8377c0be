/* xdsctl.h: shared state of the xdsctl subcommands. */
#ifndef XDS_XDSCTL_H
#define XDS_XDSCTL_H

#include "conf.h"
#include "soapclient.h"

struct ctl {
	struct conf		 conf;
	char			 url[1024];	/* registry endpoint URL */
	struct soapclient_opts	 tls;
	int			 json;
	int			 verbose;
};

int	ctl_submit(struct ctl *, int argc, char **argv);
int	ctl_query(struct ctl *, int argc, char **argv);
int	ctl_delete(struct ctl *, int argc, char **argv);
int	ctl_audit(struct ctl *, int argc, char **argv);
/* xdsctl_repo.c: submit --patient (ITI-41) and retrieve (ITI-43) */
int	ctl_provide(struct ctl *, int argc, char **argv);
int	ctl_retrieve(struct ctl *, int argc, char **argv);

#endif
