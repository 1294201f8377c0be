/*
 * registry_check.h: the registry's DocumentEntries of one repository,
 * read-only (xdsctl db check holds them against that repository's
 * index).  Safe beside a running xdsd: registry.db is opened read-only
 * and read a page of entries per read transaction, so the node's WAL
 * checkpoints are not held back.
 */
#ifndef XDS_REGISTRY_CHECK_H
#define XDS_REGISTRY_CHECK_H

#include <stddef.h>

/* One entry: its uniqueId, and the hash (SHA-1, hex) and size the
 * metadata records (NULL and -1 when absent).  0 goes on, else stop. */
typedef int (*registry_doc_fn)(void *arg, const char *unique_id,
	    const char *hash, long long size);

/*
 * Every DocumentEntry of state_dir/registry.db whose repositoryUniqueId
 * is repository_uid, in the order they were registered, of each the
 * latest version only (ITI-57); *n counts them.
 * XDS_OK (also when fn stopped it), XDS_ENOTFOUND when there is no
 * registry.db, else XDS_EIO with err.
 */
int	registry_each_document(const char *state_dir, const char *repository_uid,
	    registry_doc_fn fn, void *arg, unsigned long long *n, char *err,
	    size_t errlen);

#endif
