/*
 * conf.h: the configuration of xdsd, read through one table of options.
 *
 * Every option has a name (section.key), a type, a default, bounds and a
 * one-line doc; xdsd.conf(5) documents the same table.  The file format is
 * INI: "[section]" lines, "key = value" lines, '#' or ';' comments.
 * A parsed struct conf is immutable once the daemon runs.
 */
#ifndef XDS_CONF_H
#define XDS_CONF_H

#include <stddef.h>

#define CONF_STR_MAX 512

struct conf {
	/* [node] */
	char	node_state_dir[CONF_STR_MAX];
	char	node_home_community_id[CONF_STR_MAX];
	char	node_log_level[16];
	int	node_syslog;
	long long node_min_free_space;		/* bytes; 0: no guard */
	/* [audit] */
	long long audit_min_free;
	long long audit_retention_days;	/* 0: keep for ever */
	char	audit_syslog_url[CONF_STR_MAX];	/* ATNA; "": off */
	long long audit_syslog_retry_max;	/* seconds between reconnects */
	char	audit_source_id[256];		/* "": the host name */
	/* [http] */
	char	http_listen[CONF_STR_MAX];
	int	http_tls;
	char	http_cert[CONF_STR_MAX];
	char	http_key[CONF_STR_MAX];
	char	http_ca[CONF_STR_MAX];
	char	http_crl[CONF_STR_MAX];		/* "": no revocation check */
	char	http_allow_plain_nonlocal;
	long long http_workers;
	long long http_queue;
	long long http_max_head;
	long long http_max_headers;
	long long http_header_timeout;
	long long http_io_timeout;
	long long http_request_deadline;
	long long http_keepalive_timeout;
	long long http_max_requests_per_conn;
	long long http_max_connections;
	long long http_max_connections_per_peer;
	long long http_min_body_rate;
	/* [soap] */
	long long soap_max_envelope;
	long long soap_max_request_bytes;	/* 0: derived */
	long long soap_max_attributes;
	/* [registry] */
	int	registry_enabled;
	char	registry_patient_ids[16];	/* bsn | feed */
	long long registry_max_results;
	char	registry_feed_listen[CONF_STR_MAX];	/* ITI-8; "" off */
	char	registry_feed_domain[128];	/* OID of PID-3 kept */
	int	registry_feed_tls;		/* mutual TLS */
	int	registry_feed_allow_plain_lan;
	char	registry_feed_sources[CONF_STR_MAX];	/* ITI-8 peers */
	/* [repository] */
	int	repository_enabled;
	char	repository_unique_id[128];
	long long repository_max_document_size;
	char	repository_registry_url[CONF_STR_MAX];
	long long repository_reconcile_interval;	/* seconds; 0: start-up only */
	long long repository_verify_first_max;	/* bytes checked before answering */
	/* [dicom] the DICOM bridge (dicom/bridge.h) */
	int	dicom_enabled;
	char	dicom_listen[CONF_STR_MAX];
	char	dicom_pacs[CONF_STR_MAX];	/* AE@host:port, xdsctl image import */
	char	dicom_ae_title[17];
	int	dicom_patient_id_is_bsn;
	long long dicom_publish_after;
	long long dicom_max_associations;
	long long dicom_max_peer_associations;	/* from one address */
	char	dicom_allowed_peers[CONF_STR_MAX];	/* "": loopback only */
	int	dicom_tls;				/* mutual TLS */
	char	dicom_ca[CONF_STR_MAX];			/* "": http.ca */
	int	dicom_allow_plain_lan;
	long long dicom_timeout;
	long long dicom_retrieve_deadline;	/* seconds, proxy C-GETs */
	char	dicom_uid_root[32];
	char	dicom_retrieve_location_uid[65];
	/* [push] studies to and from other organisations (push/push.h) */
	char	push_listen[CONF_STR_MAX];	/* "": no listener */
	long long push_commit_timeout;		/* seconds */
	long long push_associations;		/* storing at once */
	long long push_give_up_after;		/* seconds */
	long long push_retry_max;		/* seconds */
	long long push_poll_interval;		/* seconds, a safety net */
	int	push_forward;			/* received studies to dicom.pacs */
	long long push_fetch_window;		/* proxy mode: instances */
	long long push_fetch_window_size;	/* proxy mode: bytes */
	char	push_notify_command[CONF_STR_MAX];
	char	push_route[CONF_STR_MAX];	/* AE=URA|HCID,... */
	char	dicom_class_code[CONF_STR_MAX];		/* code^display^scheme */
	char	dicom_type_code[CONF_STR_MAX];
	char	dicom_facility_code[CONF_STR_MAX];
	char	dicom_practice_code[CONF_STR_MAX];
	char	dicom_language_code[32];
	char	dicom_accession_issuer[65];		/* OID, or "" */
	char	dicom_mode[8];				/* store | proxy */
	char	dicom_repository_url[CONF_STR_MAX];	/* RAD-68; "": in process */
	/* [consent] the responding gateway's closed question to Mitz */
	char	consent_mode[16];			/* allow-all | mitz */
	char	consent_mitz_url[CONF_STR_MAX];
	long long consent_timeout;			/* seconds a question */
	long long consent_cache_ttl;			/* seconds; 0: none */
	long long consent_cache_max;			/* decisions kept */
	char	consent_ura[16];			/* this data holder */
	char	consent_org_type[16];
	char	consent_purpose[8];			/* TREAT | COC */
	char	consent_category[32];			/* default category */
	char	consent_category_map[CONF_STR_MAX];	/* class=category;... */
	char	consent_requesters[CONF_STR_MAX * 4];	/* subject|URA|...;... */
	/* subscriptions at Mitz, notifications from it */
	char	consent_subscribe_url[CONF_STR_MAX];	/* "": none */
	char	consent_notify_from[CONF_STR_MAX];
	char	consent_notify_url[CONF_STR_MAX];
	char	consent_source_system[CONF_STR_MAX];	/* OID, "": home */
	long long consent_subscribe_retry_max;		/* seconds */
	char	consent_location_url[CONF_STR_MAX];	/* ITI-56; "": none */
	long long consent_location_cache_ttl;		/* seconds; 0: none */
	/* [xua] X-User Assertions (ITI-40) at the gateways (lib/xua) */
	char	xua_mode[16];				/* off | required */
	char	xua_trusted_issuers[CONF_STR_MAX];	/* CA file; "": http.ca */
	char	xua_audience[CONF_STR_MAX];
	long long xua_clock_skew;			/* seconds */
	char	xua_purpose[8];				/* TREAT | COC */
	char	xua_role[16];				/* RoleCodeNL */
	char	xua_subject_id[32];			/* UZI number */
	char	xua_trusted_consumers[CONF_STR_MAX];
	long long xua_validity;				/* seconds */
	/* [directory] where the other communities are (gateway/directory.h) */
	char	directory_backend[16];			/* static | zorgab */
	char	directory_file[CONF_STR_MAX];
	char	directory_zorgab_url[CONF_STR_MAX];	/* base, zorgab */
	long long directory_cache_ttl;			/* seconds; 0: none */
	long long directory_timeout;			/* seconds a look-up */
	/* [gateway] the XCA gateways (gateway/gateway.h) */
	int	gateway_responding;
	int	gateway_initiating;
	char	gateway_allow[CONF_STR_MAX];		/* peers the RG answers */
	char	gateway_registry_url[CONF_STR_MAX];	/* "": in process */
	char	gateway_repository_url[CONF_STR_MAX];
	char	gateway_imaging_url[CONF_STR_MAX];
	long long gateway_max_results;
	long long gateway_imaging_release_ttl;	/* seconds; 0: none */
	long long gateway_timeout;			/* seconds per request */
	long long gateway_retries;
	long long gateway_concurrency;
	long long gateway_max_documents;		/* per ITI-39/RAD-75; 0: any */
	long long gateway_max_answer;
	/* [xdr] the XDR Document Recipient (gateway/xdr.h) */
	int	xdr_recipient;
	char	xdr_known_senders_only[8];		/* auto | yes | no */
	/* [affinity] metadata defaults of xdsctl submit --patient */
	char	affinity_class_code[CONF_STR_MAX];	/* code^display^scheme */
	char	affinity_confidentiality_code[CONF_STR_MAX];
	char	affinity_content_type_code[CONF_STR_MAX];
	char	affinity_facility_code[CONF_STR_MAX];
	char	affinity_format_code[CONF_STR_MAX];
	char	affinity_language_code[32];
	char	affinity_practice_code[CONF_STR_MAX];
	char	affinity_source_id[65];
	char	affinity_type_code[CONF_STR_MAX];
	char	affinity_uid_root[25];
};

enum conf_type { CONF_STR, CONF_INT, CONF_BOOL, CONF_SIZE, CONF_ENUM };

/*
 * A value check of a CONF_STR option: 0 when value is one the node can
 * use, else -1 with the reason in err (without the option's name).  Every
 * value that would make the node fail later (a code it cannot parse when
 * it publishes, a URL it may not use) is refused here, so that xdsd -n
 * names the line.
 */
typedef int (*conf_check_fn)(const char *value, char *err, size_t errlen);

struct conf_opt {
	const char	*name;		/* "section.key" */
	enum conf_type	 type;
	size_t		 off;		/* into struct conf */
	size_t		 size;		/* of the field (strings) */
	const char	*def;		/* default, as text */
	long long	 min, max;	/* ints and sizes */
	const char	*choices;	/* CONF_ENUM: "a|b|c" */
	const char	*doc;
	conf_check_fn	 check;		/* CONF_STR: NULL or a value check */
};

extern const struct conf_opt conf_opts[];
extern const size_t conf_nopts;

/* Fill c with the defaults. */
void	conf_defaults(struct conf *c);
/* Read an INI file into c (on top of what is there).  On error returns -1
 * with "file:line: reason" in err. */
int	conf_load_file(struct conf *c, const char *path, char *err, size_t errlen);
/* Apply one "section.key=value" override (xdsd -C). */
int	conf_set_kv(struct conf *c, const char *kv, char *err, size_t errlen);
/* Set option name to the textual value. */
int	conf_set(struct conf *c, const char *name, const char *value,
	    char *err, size_t errlen);
/* Cross-option checks: mutual TLS needs its three files; plain HTTP only
 * on loopback unless http.allow_plain_nonlocal, plain DICOM only on
 * loopback unless dicom.allow_plain_lan.  Every single value was
 * checked when it was set (conf_opt.check). */
int	conf_check(const struct conf *c, char *err, size_t errlen);
/* Write the effective configuration as INI text to fp. */
void	conf_dump(const struct conf *c, void *fp);
/* Write an example configuration to fp: every option commented out at
 * its default, with its description and range. */
void	conf_example(void *fp);
/* Split "host:port" (or "[v6]:port"). */
int	conf_split_hostport(const char *s, char *host, size_t hostsz, int *port);
/* The same for a listener that may be given as a port alone: loopback
 * (127.0.0.1) then.  -1 when it is neither. */
int	conf_listen_addr(const char *s, char *host, size_t hostsz,
	    int *port);
/* Split a DICOM peer "AE@host:port" (AE title of 1 to 16 characters,
 * port 1-65535); -1 when it is not one or a part does not fit. */
/* push.route, "AE=DEST" pairs separated by ',' or ';' (DEST a URA of 8
 * digits or urn:oid:HCID): the i-th pair, 1; 0 past the last; -1 when it
 * is malformed or does not fit.  Pure. */
int	conf_route_at(const char *routes, size_t i, char *ae, size_t aesz,
	    char *dest, size_t destsz);
/* The DEST of called AE title ae: 1, 0 when none, -1 when it does not
 * fit. */
int	conf_route_find(const char *routes, const char *ae, char *dest,
	    size_t destsz);
int	conf_split_ae(const char *s, char *ae, size_t aesz, char *host,
	    size_t hostsz, int *port);

#endif
