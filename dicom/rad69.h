/*
 * rad69.h: RAD-69 Retrieve Imaging Document Set, the Imaging Document
 * Source side of XDS-I.b (rad69.c), over the bridge's store.
 */
#ifndef XDS_RAD69_H
#define XDS_RAD69_H

#include <stddef.h>

#include "conf.h"

struct soap_endpoint;

/*
 * The endpoint to mount at RAD69_PATH.  Serves the stored instances
 * by study/series/SOP UID to requests naming our Retrieve Location UID
 * (dicom.retrieve_location_uid, else repository.unique_id) as
 * RepositoryUniqueId, in the transfer syntax they were received in when
 * the request lists it.  Needs no running bridge.
 */
#define RAD69_PATH	"/xdsi/source"
struct rad69_source;
int	rad69_open(const struct conf *conf, struct rad69_source **out,
	    char *err, size_t errlen);
void	rad69_close(struct rad69_source *ids);
const struct soap_endpoint *rad69_endpoint(struct rad69_source *ids);

#endif /* XDS_RAD69_H */
