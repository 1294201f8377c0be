/*
 * dir_int.h: what a back-end of the community directory provides
 * (directory.c calls it; dir_static.c is one).
 *
 * A back-end keeps its own state (void *).  Its look-ups may be called
 * from many threads at once; a back-end that changes its state after
 * open (one that asks the network) locks it itself.  A look-up fills a
 * copy the caller owns and returns XDS_OK, XDS_ENOTFOUND or a failure
 * with err.
 */
#ifndef XDS_DIR_INT_H
#define XDS_DIR_INT_H

#include <stddef.h>

struct conf;
struct dir_community;

struct dir_backend {
	const char	*name;		/* the value of directory.backend */
	/* The state in *out and a line for dir_describe in desc. */
	int		(*open)(const struct conf *, void **out, char *desc,
			    size_t desclen, char *err, size_t errlen);
	int		(*by_hcid)(void *, const char *hcid,
			    struct dir_community *out, char *err,
			    size_t errlen);
	int		(*by_ura)(void *, const char *ura,
			    struct dir_community *out, char *err,
			    size_t errlen);
	int		(*each)(void *, int (*fn)(void *arg,
			    const struct dir_community *), void *arg,
			    char *err, size_t errlen);
	void		(*close)(void *);	/* NULL is a no-op */
};

/* dir_static.c: directory.file, read once at open */
extern const struct dir_backend dir_static_backend;
/* dir_zorgab.c: ZORG-AB at directory.zorgab_url, asked at each look-up
 * (with a cache) */
extern const struct dir_backend dir_zorgab_backend;

#endif
