/*
 * status.c: text and XDS error codes for enum xds_status (status.h).
 */
#include "config.h"

#include "status.h"
#include "vocab.h"

static const char *const status_text[] = {
	[-XDS_OK] = "success",
	[-XDS_ERR] = "failed",
	[-XDS_ENOMEM] = "out of memory",
	[-XDS_EIO] = "input/output error",
	[-XDS_EFORMAT] = "malformed input",
	[-XDS_ETOOBIG] = "over the limit",
	[-XDS_ENOTFOUND] = "not found",
	[-XDS_EEXIST] = "exists already",
	[-XDS_EBUSY] = "busy",
	[-XDS_ETIMEOUT] = "timed out",
	[-XDS_EUNAVAILABLE] = "peer not available",
	[-XDS_EUNCERTAIN] = "no answer from the peer, request may have "
	    "reached it",
	[-XDS_EANSWER] = "the peer's answer breaks its protocol",
	[-XDS_EINVAL] = "invalid value",
	[-XDS_EUNSUPPORTED] = "not supported",
	[-XDS_EINTERNAL] = "internal error",
	[-XDS_EDENIED] = "refused by policy",
	[-XDS_ESECURITY] = "security header missing or invalid",
	[-XDS_EAUTH] = "security token not authenticated",
};

const char *
xds_strstatus(int st)
{
	if (st > 0 || st < XDS_STATUS_MIN)
		return "unknown status";
	return status_text[-st];
}

const char *
xds_status_errcode(int st, enum xds_actor who)
{
	int repo = who == XDS_ACTOR_REPOSITORY;

	switch (st) {
	case XDS_ENOMEM:
	case XDS_ETOOBIG:
		return repo ? ERR_REPOSITORY_OUT_OF_RESOURCES :
		    ERR_REGISTRY_OUT_OF_RESOURCES;
	case XDS_EBUSY:
		return repo ? ERR_REPOSITORY_BUSY : ERR_REGISTRY_BUSY;
	case XDS_EUNAVAILABLE:
	case XDS_EUNCERTAIN:
	case XDS_ETIMEOUT:
	case XDS_EANSWER:
		if (who == XDS_ACTOR_GATEWAY)
			return ERR_UNAVAILABLE_COMMUNITY;
		if (repo)
			return ERR_REGISTRY_NOT_AVAILABLE;
		return ERR_REGISTRY;
	default:
		return repo ? ERR_REPOSITORY : ERR_REGISTRY;
	}
}
