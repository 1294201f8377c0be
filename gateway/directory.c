/*
 * directory.c: the community directory's one interface (directory.h)
 * over its back-ends (dir_int.h): directory.backend picks one of the
 * table below, and every call goes to it.  A new back-end (mCSD) is a
 * struct dir_backend in a file of its own and a row here.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "dir_int.h"
#include "directory.h"
#include "status.h"
#include "str.h"

#define DIR_DESC_MAX	(CONF_STR_MAX + 64)

static const struct dir_backend *const dir_backends[] = {
	&dir_static_backend,
	&dir_zorgab_backend,
};
#define DIR_NBACKENDS	(sizeof dir_backends / sizeof dir_backends[0])

struct directory {
	const struct dir_backend	*be;
	void				*state;
	char				 desc[DIR_DESC_MAX];
};

int
dir_open(const struct conf *conf, struct directory **out, char *err,
    size_t errlen)
{
	struct directory *d = NULL;
	size_t i;
	int st;

	*out = NULL;
	for (i = 0; i < DIR_NBACKENDS; i++)
		if (strcmp(dir_backends[i]->name, conf->directory_backend) == 0)
			break;
	if (i == DIR_NBACKENDS) {
		str_fmt(err, errlen, "directory.backend \"%.40s\" is not "
		    "known", conf->directory_backend);
		st = XDS_EINVAL;
		goto out;
	}
	if ((d = calloc(1, sizeof *d)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		st = XDS_ENOMEM;
		goto out;
	}
	d->be = dir_backends[i];
	if ((st = d->be->open(conf, &d->state, d->desc, sizeof d->desc, err,
	    errlen)) != XDS_OK)
		goto out;
	*out = d;
	d = NULL;
out:
	dir_close(d);
	return st;
}

void
dir_close(struct directory *d)
{
	if (d == NULL)
		return;
	if (d->state != NULL)
		d->be->close(d->state);
	free(d);
}

const char *
dir_describe(const struct directory *d)
{
	return d != NULL ? d->desc : "no directory";
}

/* A call on no directory, or without what it looks for. */
static int
dir_bad_call(char *err, size_t errlen)
{
	str_fmt(err, errlen, "no directory or no key to look up");
	return XDS_EINVAL;
}

int
dir_by_hcid(struct directory *d, const char *hcid, struct dir_community *out,
    char *err, size_t errlen)
{
	if (d == NULL || hcid == NULL || out == NULL)
		return dir_bad_call(err, errlen);
	return d->be->by_hcid(d->state, hcid, out, err, errlen);
}

int
dir_by_ura(struct directory *d, const char *ura, struct dir_community *out,
    char *err, size_t errlen)
{
	if (d == NULL || ura == NULL || out == NULL)
		return dir_bad_call(err, errlen);
	return d->be->by_ura(d->state, ura, out, err, errlen);
}

int
dir_each(struct directory *d, int (*fn)(void *arg,
    const struct dir_community *), void *arg, char *err, size_t errlen)
{
	if (d == NULL || fn == NULL)
		return dir_bad_call(err, errlen);
	return d->be->each(d->state, fn, arg, err, errlen);
}

void
dir_settings_text(const struct dir_community *c, char *out, size_t outsz)
{
	char n[48];

	out[0] = '\0';
	if (c->max_documents != 0) {
		str_fmt(n, sizeof n, " max_documents=%d", c->max_documents);
		str_lcat(out, n, outsz);
	}
	if (c->timeout != 0) {
		str_fmt(n, sizeof n, " timeout=%d", c->timeout);
		str_lcat(out, n, outsz);
	}
	if (c->concurrency != 0) {
		str_fmt(n, sizeof n, " concurrency=%d", c->concurrency);
		str_lcat(out, n, outsz);
	}
	if (c->dicom[0] != '\0') {
		str_lcat(out, " dicom=", outsz);
		str_lcat(out, c->dicom, outsz);
	}
	if (c->xdr[0] != '\0') {
		str_lcat(out, " xdr=", outsz);
		str_lcat(out, c->xdr, outsz);
	}
	if (out[0] == ' ')
		memmove(out, out + 1, strlen(out));
}
