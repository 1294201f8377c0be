#include "config.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf_int.h"
#include "str.h"
#include "url.h"
#include "vocab.h"

#define S(f) offsetof(struct conf, f), sizeof(((struct conf *)0)->f)

/* Sorted by name; xdsd.conf(5) documents each row. */
const struct conf_opt conf_opts[] = {
	{ "affinity.class_code", CONF_STR, S(affinity_class_code), "DOC^Document^1.3.6.1.4.1.19376.1.2.6.1", 0, 0, NULL,
	  "classCode of documents sent by xdsctl submit --patient (code^display^codingScheme)",
	  conf_check_code },
	{ "affinity.confidentiality_code", CONF_STR, S(affinity_confidentiality_code), "N^normal^2.16.840.1.113883.5.25", 0, 0, NULL,
	  "confidentialityCode of submitted documents (code^display^codingScheme)",
	  conf_check_code },
	{ "affinity.content_type_code", CONF_STR, S(affinity_content_type_code), "371531000^Report of clinical encounter^2.16.840.1.113883.6.96", 0, 0, NULL,
	  "contentTypeCode of the submission set (code^display^codingScheme)",
	  conf_check_code },
	{ "affinity.facility_code", CONF_STR, S(affinity_facility_code), "22232009^Hospital^2.16.840.1.113883.6.96", 0, 0, NULL,
	  "healthcareFacilityTypeCode of submitted documents (code^display^codingScheme)",
	  conf_check_code },
	{ "affinity.format_code", CONF_STR, S(affinity_format_code), "urn:ihe:iti:xds:2017:mimeTypeSufficient^mimeType Sufficient^1.3.6.1.4.1.19376.1.2.3", 0, 0, NULL,
	  "formatCode of submitted documents (code^display^codingScheme)",
	  conf_check_code },
	{ "affinity.language_code", CONF_STR, S(affinity_language_code), "nl-NL", 0, 0, NULL,
	  "languageCode of submitted documents",
	  conf_check_lang },
	{ "affinity.practice_code", CONF_STR, S(affinity_practice_code), "394802001^General medicine^2.16.840.1.113883.6.96", 0, 0, NULL,
	  "practiceSettingCode of submitted documents (code^display^codingScheme)",
	  conf_check_code },
	{ "affinity.source_id", CONF_STR, S(affinity_source_id), "1.3.6.1.4.1.21367.13.72.1", 0, 0, NULL,
	  "sourceId (OID) of submission sets sent by xdsctl",
	  conf_check_oid },
	{ "affinity.type_code", CONF_STR, S(affinity_type_code), "11488-4^Consult note^2.16.840.1.113883.6.1", 0, 0, NULL,
	  "typeCode of submitted documents (code^display^codingScheme)",
	  conf_check_code },
	{ "affinity.uid_root", CONF_STR, S(affinity_uid_root), "2.25", 0, 0, NULL,
	  "OID root of the uniqueIds xdsctl makes (root.<128-bit random>)",
	  conf_check_uid_root },
	{ "audit.min_free", CONF_SIZE, S(audit_min_free), "16m", 0, (1LL << 40), NULL,
	  "free space the access log's file system must keep; below it requests are refused (503) before any work", NULL },
	{ "audit.retention_days", CONF_INT, S(audit_retention_days), "1826", 0, 36525, NULL,
	  "days the access log's day files are kept (NEN 7513: five years), then removed once sent; 0: for ever", NULL },
	{ "audit.source_id", CONF_STR, S(audit_source_id), "", 0, 0, NULL,
	  "AuditSourceID and syslog HOSTNAME of the ATNA messages; empty: the host name", NULL },
	{ "audit.syslog_retry_max", CONF_INT, S(audit_syslog_retry_max), "60", 1, 3600, NULL,
	  "longest wait in seconds between attempts to reach audit.syslog_url", NULL },
	{ "audit.syslog_url", CONF_STR, S(audit_syslog_url), "", 0, 0, NULL,
	  "audit record repository for ATNA messages (tls://host:port; tcp:// on loopback only); empty: none",
	  conf_check_syslog_url },
	{ "consent.cache_max", CONF_INT, S(consent_cache_max), "10000", 1, 1000000, NULL,
	  "most consent decisions kept (the least recently used goes first)", NULL },
	{ "consent.cache_ttl", CONF_INT, S(consent_cache_ttl), "0", 0, 86400, NULL,
	  "seconds a decision of Mitz for (patient, requester, data category) is used again; 0: ask every time", NULL },
	{ "consent.category", CONF_STR, S(consent_category), "GGC002", 0, 0, NULL,
	  "Mitz data category (gegevenscategorie) of documents whose classCode is not in consent.category_map",
	  conf_check_nonempty },
	{ "consent.category_map", CONF_STR, S(consent_category_map), "", 0, 0, NULL,
	  "data category per document classCode: classCode=category pairs separated by ';'",
	  conf_check_category_map },
	{ "consent.location_cache_ttl", CONF_INT, S(consent_location_cache_ttl), "0", 0, 86400, NULL,
	  "seconds an answer of Mitz's open question for a patient is used again; 0: ask every time", NULL },
	{ "consent.location_url", CONF_STR, S(consent_location_url), "", 0, 0, NULL,
	  "URL of Mitz's open question (ITI-56): the initiating gateway asks only the communities it names (mode mitz); empty: every community",
	  conf_check_url_or_empty },
	{ "consent.mitz_url", CONF_STR, S(consent_mitz_url), "", 0, 0, NULL,
	  "URL of Mitz's closed question (https, mutual TLS with http.cert and http.key); required with mode mitz",
	  conf_check_url_or_empty },
	{ "consent.mode", CONF_ENUM, S(consent_mode), "allow-all", 0, 0, "allow-all|mitz",
	  "what the responding gateway releases: mitz (only on Mitz's Permit) or allow-all (the loopback demo; never with http.tls)", NULL },
	{ "consent.notify_from", CONF_STR, S(consent_notify_from), "", 0, 0, NULL,
	  "subject (RFC 2253) of the client certificate Mitz posts notifications with; others get 403 at /mitz/notify (empty: any peer TLS accepts)", NULL },
	{ "consent.notify_url", CONF_STR, S(consent_notify_url), "", 0, 0, NULL,
	  "URL at which Mitz reaches this node's /mitz/notify (the subscriptions' rest-hook); required with consent.subscribe_url",
	  conf_check_url_or_empty },
	{ "consent.org_type", CONF_STR, S(consent_org_type), "", 0, 0, NULL,
	  "organisation type (zorgaanbiedertype, e.g. V6) of this data holder; required with mode mitz", NULL },
	{ "consent.purpose", CONF_ENUM, S(consent_purpose), "TREAT", 0, 0, "TREAT|COC",
	  "purpose of use asked of Mitz: TREAT (explicit consent) or COC (assumed consent)", NULL },
	{ "consent.requesters", CONF_STR, S(consent_requesters), "", 0, 0, NULL,
	  "who asks, per peer: subject|URA|organisation type|UZI role[|UZI number], separated by ';'",
	  conf_check_requesters },
	{ "consent.source_system", CONF_STR, S(consent_source_system), "", 0, 0, NULL,
	  "OID of the SourceSystem extension of subscriptions at Mitz; empty: node.home_community_id's",
	  conf_check_oid_or_empty },
	{ "consent.subscribe_retry_max", CONF_INT, S(consent_subscribe_retry_max), "600", 1, 86400, NULL,
	  "longest wait in seconds between attempts to subscribe a patient while Mitz is down or throttles", NULL },
	{ "consent.subscribe_url", CONF_STR, S(consent_subscribe_url), "", 0, 0, NULL,
	  "Mitz's FHIR Subscription endpoint: each patient's first registered document subscribes the patient (mode mitz); empty: none",
	  conf_check_url_or_empty },
	{ "consent.timeout", CONF_INT, S(consent_timeout), "5", 1, 300, NULL,
	  "seconds the closed question to Mitz may take, connecting included; then nothing is released", NULL },
	{ "consent.ura", CONF_STR, S(consent_ura), "", 0, 0, NULL,
	  "URA of this data holder; required with mode mitz", NULL },
	{ "dicom.accession_issuer", CONF_STR, S(dicom_accession_issuer), "", 0, 0, NULL,
	  "OID of the accession numbers' issuer for PACS that send no IssuerOfAccessionNumberSequence",
	  conf_check_oid_or_empty },
	{ "dicom.ae_title", CONF_STR, S(dicom_ae_title), "XDSNODE", 0, 0, NULL,
	  "AE title of the DICOM bridge",
	  conf_check_ae },
	{ "dicom.allow_plain_lan", CONF_BOOL, S(dicom_allow_plain_lan), "no", 0, 1, NULL,
	  "allow plain DICOM (no TLS) on a non-loopback dicom.listen (a network you control only)", NULL },
	{ "dicom.allowed_peers", CONF_STR, S(dicom_allowed_peers), "", 0, 0, NULL,
	  "DICOM peers admitted: *, address[/len], AE title or AE@address[/len], separated by ';'; empty: loopback only",
	  NULL },
	{ "dicom.ca", CONF_STR, S(dicom_ca), "", 0, 0, NULL,
	  "PEM file of the CA(s) whose certificates DICOM TLS peers must present; empty: http.ca", NULL },
	{ "dicom.class_code", CONF_STR, S(dicom_class_code), "IMAGES^Images^1.3.6.1.4.1.19376.1.2.6.1", 0, 0, NULL,
	  "classCode of published manifests, as code^display^codingScheme",
	  conf_check_code },
	{ "dicom.enabled", CONF_BOOL, S(dicom_enabled), "yes", 0, 1, NULL,
	  "run the DICOM bridge (C-STORE/C-ECHO SCP on dicom.listen)", NULL },
	{ "dicom.facility_code", CONF_STR, S(dicom_facility_code), "22232009^Hospital^2.16.840.1.113883.6.96", 0, 0, NULL,
	  "healthcareFacilityTypeCode of published manifests (code^display^codingScheme)",
	  conf_check_code },
	{ "dicom.language_code", CONF_STR, S(dicom_language_code), "nl-NL", 0, 0, NULL,
	  "languageCode of published manifests",
	  conf_check_lang },
	{ "dicom.listen", CONF_STR, S(dicom_listen), "127.0.0.1:11112", 0, 0, NULL,
	  "address:port of the DICOM bridge",
	  conf_check_listen },
	{ "dicom.max_associations", CONF_INT, S(dicom_max_associations), "16", 1, 256, NULL,
	  "concurrent DICOM connections, negotiating or associated; more are refused at once", NULL },
	{ "dicom.max_peer_associations", CONF_INT, S(dicom_max_peer_associations), "8", 1, 256, NULL,
	  "concurrent DICOM connections from one address; more are refused at once", NULL },
	{ "dicom.mode", CONF_ENUM, S(dicom_mode), "store", 0, 0, "store|proxy",
	  "store: keep every instance; proxy: keep none, fetch from dicom.pacs (C-GET) for RAD-69", NULL },
	{ "dicom.pacs", CONF_STR, S(dicom_pacs), "", 0, 0, NULL,
	  "AE@host:port of the PACS that xdsctl image import sends instances to",
	  conf_check_ae_addr_or_empty },
	{ "dicom.patient_id_is_bsn", CONF_BOOL, S(dicom_patient_id_is_bsn), "no", 0, 1, NULL,
	  "take PatientID as the BSN when no NLMINBIZA id is in OtherPatientIDsSequence", NULL },
	{ "dicom.practice_code", CONF_STR, S(dicom_practice_code), "394914008^Radiology^2.16.840.1.113883.6.96", 0, 0, NULL,
	  "practiceSettingCode of published manifests (code^display^codingScheme)",
	  conf_check_code },
	{ "dicom.publish_after", CONF_INT, S(dicom_publish_after), "60", 1, 86400, NULL,
	  "seconds a study must be quiet before its manifest is published", NULL },
	{ "dicom.repository_url", CONF_STR, S(dicom_repository_url), "", 0, 0, NULL,
	  "RAD-68 endpoint for manifests (https, mutual TLS); empty: the repository of this node",
	  conf_check_url_or_empty },
	{ "dicom.retrieve_deadline", CONF_INT, S(dicom_retrieve_deadline), "600", 1, 86400, NULL,
	  "seconds the C-GETs of one RAD-69 or RAD-75, or of one window of a push, may take in proxy mode; the PACS is cut off then", NULL },
	{ "dicom.retrieve_location_uid", CONF_STR, S(dicom_retrieve_location_uid), "", 0, 0, NULL,
	  "Retrieve Location UID in manifests; empty: repository.unique_id",
	  conf_check_oid_or_empty },
	{ "dicom.timeout", CONF_INT, S(dicom_timeout), "30", 1, 3600, NULL,
	  "seconds without progress before a DICOM association is dropped", NULL },
	{ "dicom.tls", CONF_BOOL, S(dicom_tls), "no", 0, 1, NULL,
	  "DICOM over mutual TLS (http.cert, http.key; dicom.ca or http.ca for the peers)", NULL },
	{ "dicom.type_code", CONF_STR, S(dicom_type_code), "18748-4^Diagnostic imaging study^2.16.840.1.113883.6.1", 0, 0, NULL,
	  "typeCode of published manifests (code^display^codingScheme)",
	  conf_check_code },
	{ "dicom.uid_root", CONF_STR, S(dicom_uid_root), "2.25", 0, 0, NULL,
	  "OID root of the UIDs the bridge makes; 2.25 gives UUID-derived UIDs",
	  conf_check_uid_root },
	{ "directory.backend", CONF_ENUM, S(directory_backend), "static", 0, 0, "static|zorgab",
	  "where the other communities are found: static (directory.file) or zorgab (directory.zorgab_url)", NULL },
	{ "directory.cache_ttl", CONF_INT, S(directory_cache_ttl), "300", 0, 86400, NULL,
	  "seconds a ZORG-AB answer is used again; 0: every look-up asks ZORG-AB", NULL },
	{ "directory.file", CONF_STR, S(directory_file), "", 0, 0, NULL,
	  "the static directory: one community a line (home community id, responding gateway URL, URA, name); empty: none",
	  NULL },
	{ "directory.timeout", CONF_INT, S(directory_timeout), "10", 1, 3600, NULL,
	  "seconds one look-up in ZORG-AB may take, connecting and every page included", NULL },
	{ "directory.zorgab_url", CONF_STR, S(directory_zorgab_url), "", 0, 0, NULL,
	  "base URL of the ZORG-AB REST interface (https, mutual TLS with http.cert and http.key); required with backend zorgab",
	  conf_check_url_or_empty },
	{ "gateway.allow", CONF_STR, S(gateway_allow), "", 0, 0, NULL,
	  "peers the responding gateway answers: certificate subjects (RFC 2253), anonymous, or *, separated by ';'; empty: none",
	  conf_check_peers },
	{ "gateway.concurrency", CONF_INT, S(gateway_concurrency), "256", 1, 4096, NULL,
	  "requests to other communities the initiating gateway has in flight at once, for all consumers together", NULL },
	{ "gateway.imaging_url", CONF_STR, S(gateway_imaging_url), "", 0, 0, NULL,
	  "RAD-69 endpoint of this community's Imaging Document Source (https); empty: the DICOM bridge of this node",
	  conf_check_url_or_empty },
	{ "gateway.imaging_release_ttl", CONF_INT, S(gateway_imaging_release_ttl), "3600", 0, 86400, NULL,
	  "seconds a study shown in an ITI-38 answer may be retrieved by RAD-75 (each retrieve asks Mitz again); 0: RAD-75 refused when consent is asked", NULL },
	{ "gateway.initiating", CONF_BOOL, S(gateway_initiating), "yes", 0, 1, NULL,
	  "run the XCA Initiating Gateway at /xca/initiating", NULL },
	{ "gateway.max_answer", CONF_SIZE, S(gateway_max_answer), "64m", 4096, (1LL << 32), NULL,
	  "largest answer envelope (or MTOM root part) taken from a community", NULL },
	{ "gateway.max_documents", CONF_INT, S(gateway_max_documents), "0", 0, 10000, NULL,
	  "DocumentRequests per ITI-39/RAD-75 a community accepts, unless the directory says; 0: any number", NULL },
	{ "gateway.max_results", CONF_INT, S(gateway_max_results), "5000", 1, 10000000, NULL,
	  "most objects the responding gateway returns for one ITI-38; XDSTooManyResults past it", NULL },
	{ "gateway.registry_url", CONF_STR, S(gateway_registry_url), "", 0, 0, NULL,
	  "ITI-18 endpoint of this community's registry (https); empty: the registry of this node",
	  conf_check_url_or_empty },
	{ "gateway.repository_url", CONF_STR, S(gateway_repository_url), "", 0, 0, NULL,
	  "ITI-43 endpoint of this community's repository (https); empty: the repository of this node",
	  conf_check_url_or_empty },
	{ "gateway.responding", CONF_BOOL, S(gateway_responding), "yes", 0, 1, NULL,
	  "run the XCA Responding Gateway at /xca/responding (it answers only gateway.allow)", NULL },
	{ "gateway.retries", CONF_INT, S(gateway_retries), "2", 0, 10, NULL,
	  "retries of a request to a community after a transport error (never after an answer)", NULL },
	{ "gateway.timeout", CONF_INT, S(gateway_timeout), "30", 1, 3600, NULL,
	  "seconds a request to a community may take, connecting included, retries too", NULL },
	{ "http.allow_plain_nonlocal", CONF_BOOL, S(http_allow_plain_nonlocal), "no", 0, 1, NULL,
	  "allow plain HTTP on a non-loopback address (never in production)", NULL },
	{ "http.ca", CONF_STR, S(http_ca), "", 0, 0, NULL,
	  "PEM file of the CA(s) whose client certificates are accepted", NULL },
	{ "http.cert", CONF_STR, S(http_cert), "", 0, 0, NULL,
	  "PEM certificate chain of this node", NULL },
	{ "http.crl", CONF_STR, S(http_crl), "", 0, 0, NULL,
	  "CRLs (a PEM or DER file, or a directory of them) checked for every TLS peer, inbound and outbound; empty: no revocation check", NULL },
	{ "http.header_timeout", CONF_INT, S(http_header_timeout), "10", 1, 3600, NULL,
	  "seconds a client has to send a complete request head", NULL },
	{ "http.io_timeout", CONF_INT, S(http_io_timeout), "30", 1, 3600, NULL,
	  "seconds without progress before a read or write is abandoned", NULL },
	{ "http.keepalive_timeout", CONF_INT, S(http_keepalive_timeout), "15", 1, 3600, NULL,
	  "seconds an idle keep-alive connection is kept", NULL },
	{ "http.key", CONF_STR, S(http_key), "", 0, 0, NULL,
	  "PEM private key of this node", NULL },
	{ "http.listen", CONF_STR, S(http_listen), "127.0.0.1:8080", 0, 0, NULL,
	  "address:port of the SOAP/HTTP listener",
	  conf_check_listen },
	{ "http.max_connections", CONF_INT, S(http_max_connections), "1024", 1, 1048576, NULL,
	  "connections open at once, all peers together; past it a new one is refused", NULL },
	{ "http.max_connections_per_peer", CONF_INT, S(http_max_connections_per_peer), "128", 1, 1048576, NULL,
	  "connections open at once from one address (IPv6: one /64); past it a new one is refused", NULL },
	{ "http.max_head", CONF_SIZE, S(http_max_head), "16k", 1024, 1048576, NULL,
	  "largest request head (request line and headers); 431 past it", NULL },
	{ "http.max_headers", CONF_INT, S(http_max_headers), "64", 8, 1024, NULL,
	  "most header fields in a request; 431 past it", NULL },
	{ "http.max_requests_per_conn", CONF_INT, S(http_max_requests_per_conn), "1000", 1, 1000000, NULL,
	  "requests served on one keep-alive connection", NULL },
	{ "http.min_body_rate", CONF_SIZE, S(http_min_body_rate), "1k", 0, 1073741824, NULL,
	  "bytes per second a request body must arrive at, after 5 s of grace; 408 below it; 0: no minimum", NULL },
	{ "http.queue", CONF_INT, S(http_queue), "64", 1, 65536, NULL,
	  "complete request heads waiting for a worker; 503 past it", NULL },
	{ "http.request_deadline", CONF_INT, S(http_request_deadline), "600", 1, 86400, NULL,
	  "seconds one request may take from first byte to last", NULL },
	{ "http.tls", CONF_BOOL, S(http_tls), "no", 0, 1, NULL,
	  "serve HTTPS with mutual TLS (cert, key and ca required)", NULL },
	{ "http.workers", CONF_INT, S(http_workers), "16", 1, 1024, NULL,
	  "worker threads; each serves one connection at a time", NULL },
	{ "node.home_community_id", CONF_STR, S(node_home_community_id),
	  "urn:oid:1.3.6.1.4.1.21367.13.70.1", 0, 0, NULL,
	  "homeCommunityId of this community (urn:oid:...)",
	  conf_check_home },
	{ "node.log_level", CONF_ENUM, S(node_log_level), "info", 0, 0, "error|warning|info|debug",
	  "least severe log level written", NULL },
	{ "node.min_free_space", CONF_SIZE, S(node_min_free_space), "256m", 0, (1LL << 50), NULL,
	  "free space the state directory's file system must keep: below it submissions (ITI-41, ITI-42) and C-STOREs are refused before anything is stored, queries and retrieves go on; 0: no guard", NULL },
	{ "node.state_dir", CONF_STR, S(node_state_dir), "./xdsnode-state", 0, 0, NULL,
	  "directory of the databases, documents and audit log",
	  conf_check_nonempty },
	{ "node.syslog", CONF_BOOL, S(node_syslog), "no", 0, 1, NULL,
	  "log to syslog instead of stderr", NULL },
	{ "push.associations", CONF_INT, S(push_associations), "4", 1, 8, NULL,
	  "associations a push stores its instances on at once (then one more for the storage commitment)", NULL },
	{ "push.commit_timeout", CONF_INT, S(push_commit_timeout), "60", 1, 3600, NULL,
	  "seconds a push waits for the receiver's storage commitment report after its N-ACTION", NULL },
	{ "push.fetch_window", CONF_INT, S(push_fetch_window), "64", 1, 10000, NULL,
	  "proxy mode: instances of a push fetched from dicom.pacs into its spool as one window (sent while the next is fetched)", NULL },
	{ "push.fetch_window_size", CONF_SIZE, S(push_fetch_window_size), "256m", 1048576, (1LL << 40), NULL,
	  "proxy mode: bytes that end a window of a push before push.fetch_window does (the instance that passes it is the window's last)", NULL },
	{ "push.forward", CONF_BOOL, S(push_forward), "no", 0, 1, NULL,
	  "forward each study received on push.listen, once committed, to dicom.pacs (C-STORE, a durable queue in push.db)", NULL },
	{ "push.give_up_after", CONF_INT, S(push_give_up_after), "86400", 1, 2592000, NULL,
	  "seconds after which a push job not yet committed by its receiver is failed", NULL },
	{ "push.listen", CONF_STR, S(push_listen), "", 0, 0, NULL,
	  "address:port where other organisations push studies by DICOM over mutual TLS (C-STORE, Storage Commitment); empty: none",
	  conf_check_listen_or_empty },
	{ "push.notify_command", CONF_STR, S(push_notify_command), "", 0, 0, NULL,
	  "program (absolute path, arguments split at blanks, no shell) run when a study received on push.listen is committed; empty: none", NULL },
	{ "push.route", CONF_STR, S(push_route), "", 0, 0, NULL,
	  "AE=URA or AE=urn:oid:HCID pairs (',' between): a study the PACS sends to the bridge under that called AE title is pushed there once complete",
	  conf_check_routes },
	{ "push.poll_interval", CONF_INT, S(push_poll_interval), "60", 1, 86400, NULL,
	  "seconds between two looks of the sender into push.db when nothing told it of a new job (a safety net: writes to push.db wake it)", NULL },
	{ "push.retry_max", CONF_INT, S(push_retry_max), "300", 1, 86400, NULL,
	  "longest wait, in seconds, between two attempts of a push job (the wait doubles from 1 s)", NULL },
	{ "registry.enabled", CONF_BOOL, S(registry_enabled), "yes", 0, 1, NULL,
	  "run the Document Registry at /xds/registry", NULL },
	{ "registry.feed_sources", CONF_STR, S(registry_feed_sources), "", 0, 0, NULL,
	  "peers whose ITI-8 messages the registry takes besides loopback ones: certificate subjects (RFC 2253), or * (any the listener admits), separated by ';'; empty: loopback only",
	  NULL },
	{ "registry.feed_allow_plain_lan", CONF_BOOL, S(registry_feed_allow_plain_lan), "no", 0, 1, NULL,
	  "allow the plain ITI-8 feed (no TLS) on a non-loopback registry.feed_listen (a network you control only)", NULL },
	{ "registry.feed_domain", CONF_STR, S(registry_feed_domain), OID_BSN, 0, 0, NULL,
	  "OID of the assigning authority whose PID-3 identifier the ITI-8 feed makes known (the affinity domain's; default the BSN's)",
	  conf_check_oid },
	{ "registry.feed_listen", CONF_STR, S(registry_feed_listen), "", 0, 0, NULL,
	  "ITI-8 Patient Identity Feed (HL7 v2 over MLLP) at host:port, or a port on loopback; needs patient_ids = feed; empty: off",
	  conf_check_feed_listen },
	{ "registry.feed_tls", CONF_BOOL, S(registry_feed_tls), "no", 0, 1, NULL,
	  "the ITI-8 feed over mutual TLS (http.cert, http.key; http.ca for the sources)", NULL },
	{ "registry.max_results", CONF_INT, S(registry_max_results), "5000", 1, 10000000, NULL,
	  "most objects a stored query returns; XDSTooManyResults past it", NULL },
	{ "registry.patient_ids", CONF_ENUM, S(registry_patient_ids), "bsn", 0, 0, "bsn|feed",
	  "known patients: any valid BSN, or those made known by the ITI-8 feed and xdsctl patient add", NULL },
	{ "repository.enabled", CONF_BOOL, S(repository_enabled), "yes", 0, 1, NULL,
	  "run the Document Repository at /xds/repository", NULL },
	{ "repository.max_document_size", CONF_SIZE, S(repository_max_document_size), "1g", 1, (1LL << 42), NULL,
	  "largest document accepted by ITI-41; 413 past it", NULL },
	{ "repository.reconcile_interval", CONF_INT, S(repository_reconcile_interval), "300", 0, 86400, NULL,
	  "seconds between checks of unfinished submissions against the registry; 0: only at start-up", NULL },
	{ "repository.registry_url", CONF_STR, S(repository_registry_url), "", 0, 0, NULL,
	  "ITI-42 endpoint of the registry (https); empty: the registry of this node",
	  conf_check_url_or_empty },
	{ "repository.unique_id", CONF_STR, S(repository_unique_id), "1.3.6.1.4.1.21367.13.71.1", 0, 0, NULL,
	  "repositoryUniqueId of this repository (an OID)",
	  conf_check_oid },
	{ "repository.verify_first_max", CONF_SIZE, S(repository_verify_first_max), "64m", 0, (1LL << 42), NULL,
	  "documents up to this size are checked against their SHA-256 before an ITI-43 answer starts, larger ones as they are sent", NULL },
	{ "soap.max_attributes", CONF_INT, S(soap_max_attributes), "1000000", 1000, 100000000, NULL,
	  "most attributes and namespace declarations in one SOAP envelope; 413 past it", NULL },
	{ "soap.max_envelope", CONF_SIZE, S(soap_max_envelope), "16m", 4096, 1073741824LL, NULL,
	  "largest SOAP envelope (simple SOAP body or MTOM root part); 413 past it", NULL },
	{ "soap.max_request_bytes", CONF_SIZE, S(soap_max_request_bytes), "0", 0, (1LL << 42), NULL,
	  "all documents of one request together (MIME parts, referenced or not, and inline base64, decoded); 413 past it, nothing stored; 0: repository.max_document_size", NULL },
	{ "xdr.known_senders_only", CONF_ENUM, S(xdr_known_senders_only), "auto", 0, 0, "auto|yes|no",
	  "accept XDR only from organisations the community directory knows by the URA of their certificate; auto: yes with http.tls", NULL },
	{ "xdr.recipient", CONF_BOOL, S(xdr_recipient), "no", 0, 1, NULL,
	  "run the XDR Document Recipient at /xdr/recipient (ITI-41 from other organisations, stored by this node's repository)", NULL },
	{ "xua.audience", CONF_STR, S(xua_audience), "", 0, 0, NULL,
	  "an audience X-User Assertions may name besides node.home_community_id (or its bare OID)", NULL },
	{ "xua.clock_skew", CONF_INT, S(xua_clock_skew), "60", 0, 600, NULL,
	  "seconds an assertion's NotBefore and NotOnOrAfter are widened by for the clocks' difference", NULL },
	{ "xua.mode", CONF_ENUM, S(xua_mode), "off", 0, 0, "off|required",
	  "X-User Assertions at the responding gateway: required (verified before anything else) or off (the loopback demo; never with http.tls)", NULL },
	{ "xua.purpose", CONF_ENUM, S(xua_purpose), "TREAT", 0, 0, "TREAT|COC",
	  "purpose of use in the assertions the initiating gateway sends when the consumer names none", NULL },
	{ "xua.role", CONF_STR, S(xua_role), "", 0, 0, NULL,
	  "UZI role (RoleCodeNL, e.g. 01.015) in the assertions the initiating gateway sends when the consumer names none",
	  conf_check_uzi_role },
	{ "xua.subject_id", CONF_STR, S(xua_subject_id), "", 0, 0, NULL,
	  "UZI number of the responsible professional in the assertions the initiating gateway sends when the consumer names none",
	  conf_check_digits },
	{ "xua.trusted_consumers", CONF_STR, S(xua_trusted_consumers), "", 0, 0, NULL,
	  "certificate subjects of local consumers whose assertions the initiating gateway takes unverified, separated by ';' (loopback always)", NULL },
	{ "xua.trusted_issuers", CONF_STR, S(xua_trusted_issuers), "", 0, 0, NULL,
	  "PEM file of the CA(s) an assertion's signer must chain to; empty: http.ca", NULL },
	{ "xua.validity", CONF_INT, S(xua_validity), "600", 10, 3600, NULL,
	  "seconds an assertion the initiating gateway signs is valid (NotOnOrAfter - NotBefore)", NULL },
};
const size_t conf_nopts = sizeof conf_opts / sizeof conf_opts[0];

static const struct conf_opt *
conf_find(const char *name)
{
	size_t i;

	for (i = 0; i < conf_nopts; i++)
		if (strcmp(conf_opts[i].name, name) == 0)
			return &conf_opts[i];
	return NULL;
}

static int
parse_bool(const char *v, int *out)
{
	if (str_caseeq(v, "yes") || str_caseeq(v, "true") || str_caseeq(v, "on") ||
	    strcmp(v, "1") == 0)
		*out = 1;
	else if (str_caseeq(v, "no") || str_caseeq(v, "false") ||
	    str_caseeq(v, "off") || strcmp(v, "0") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

static int
parse_size(const char *v, long long *out)
{
	char num[64];
	size_t n = strlen(v);
	long long mul = 1, x;
	const char *es;

	if (n == 0 || n >= sizeof num)
		return -1;
	memcpy(num, v, n + 1);
	switch (tolower((unsigned char)num[n - 1])) {
	case 'k': mul = 1024LL; num[--n] = '\0'; break;
	case 'm': mul = 1024LL * 1024; num[--n] = '\0'; break;
	case 'g': mul = 1024LL * 1024 * 1024; num[--n] = '\0'; break;
	}
	if (str_tonum(num, 0, (1LL << 50), &x, &es) != 0)
		return -1;
	*out = x * mul;
	return 0;
}

static int
enum_ok(const char *choices, const char *v)
{
	size_t n = strlen(v);
	const char *p = choices;

	while (*p) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);

		if (len == n && strncmp(p, v, n) == 0)
			return 1;
		if (bar == NULL)
			break;
		p = bar + 1;
	}
	return 0;
}

int
conf_set(struct conf *c, const char *name, const char *value, char *err,
    size_t errlen)
{
	const struct conf_opt *o = conf_find(name);
	char *field, e[256];
	long long x;
	int b;
	const char *es;

	if (o == NULL) {
		str_fmt(err, errlen, "unknown option \"%s\"", name);
		return -1;
	}
	field = (char *)c + o->off;
	switch (o->type) {
	case CONF_ENUM:
		if (!enum_ok(o->choices, value)) {
			str_fmt(err, errlen, "%s: \"%s\" is not one of %s", name,
			    value, o->choices);
			return -1;
		}
		/* FALLTHROUGH */
	case CONF_STR:
		if (strlen(value) >= o->size) {
			str_fmt(err, errlen, "%s: value longer than %zu bytes",
			    name, o->size - 1);
			return -1;
		}
		if (o->check != NULL && o->check(value, e, sizeof e) != 0) {
			str_fmt(err, errlen, "%s: %s", name, e);
			return -1;
		}
		str_lcpy(field, value, o->size);
		return 0;
	case CONF_BOOL:
		if (parse_bool(value, &b) != 0) {
			str_fmt(err, errlen, "%s: \"%s\" is not yes or no", name,
			    value);
			return -1;
		}
		if (o->size == sizeof(char))
			*field = (char)b;
		else
			*(int *)(void *)field = b;
		return 0;
	case CONF_INT:
	case CONF_SIZE:
		if (o->type == CONF_INT ? str_tonum(value, -(1LL << 62),
		    1LL << 62, &x, &es) != 0 : parse_size(value, &x) != 0) {
			str_fmt(err, errlen, "%s: \"%s\" is not a %s", name, value,
			    o->type == CONF_INT ? "number" : "size (e.g. 16k, 4m)");
			return -1;
		}
		if (x < o->min || x > o->max) {
			str_fmt(err, errlen, "%s: %lld is outside %lld..%lld", name,
			    x, o->min, o->max);
			return -1;
		}
		*(long long *)(void *)field = x;
		return 0;
	}
	return -1;
}

void
conf_defaults(struct conf *c)
{
	char err[256];
	size_t i;

	memset(c, 0, sizeof *c);
	for (i = 0; i < conf_nopts; i++)
		if (conf_set(c, conf_opts[i].name, conf_opts[i].def, err,
		    sizeof err) != 0)
			abort();	/* a broken table is a programming error */
}

int
conf_set_kv(struct conf *c, const char *kv, char *err, size_t errlen)
{
	char name[128], value[CONF_STR_MAX];
	const char *eq = strchr(kv, '=');
	size_t n;

	if (eq == NULL || (n = (size_t)(eq - kv)) == 0 || n >= sizeof name) {
		str_fmt(err, errlen, "\"%s\": expected section.key=value", kv);
		return -1;
	}
	memcpy(name, kv, n);
	name[n] = '\0';
	str_trim(name);
	if (str_lcpy(value, eq + 1, sizeof value) >= sizeof value) {
		str_fmt(err, errlen, "%s: value too long", name);
		return -1;
	}
	str_trim(value);
	return conf_set(c, name, value, err, errlen);
}

int
conf_load_file(struct conf *c, const char *path, char *err, size_t errlen)
{
	FILE *fp;
	char line[2048], section[64] = "", name[192], e[256];
	int lineno = 0, rc = -1;

	if ((fp = fopen(path, "r")) == NULL) {
		str_fmt(err, errlen, "%s: cannot open", path);
		return -1;
	}
	while (fgets(line, sizeof line, fp) != NULL) {
		char *p, *eq;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(fp)) {
			str_fmt(err, errlen, "%s:%d: line too long", path, lineno);
			goto out;
		}
		p = str_trim(line);
		if (*p == '\0' || *p == '#' || *p == ';')
			continue;
		if (*p == '[') {
			char *end = strchr(p, ']');

			if (end == NULL || end[1] != '\0' || end == p + 1 ||
			    (size_t)(end - p - 1) >= sizeof section) {
				str_fmt(err, errlen, "%s:%d: bad section header",
				    path, lineno);
				goto out;
			}
			*end = '\0';
			str_lcpy(section, p + 1, sizeof section);
			str_trim(section);
			continue;
		}
		if ((eq = strchr(p, '=')) == NULL) {
			str_fmt(err, errlen, "%s:%d: expected key = value", path,
			    lineno);
			goto out;
		}
		*eq = '\0';
		str_trim(p);
		if (section[0] == '\0') {
			str_fmt(err, errlen, "%s:%d: option \"%s\" outside a "
			    "[section]", path, lineno, p);
			goto out;
		}
		if (str_fmt(name, sizeof name, "%s.%s", section, p) < 0) {
			str_fmt(err, errlen, "%s:%d: name too long", path, lineno);
			goto out;
		}
		if (conf_set(c, name, str_trim(eq + 1), e, sizeof e) != 0) {
			str_fmt(err, errlen, "%s:%d: %s", path, lineno, e);
			goto out;
		}
	}
	rc = 0;
out:
	fclose(fp);
	return rc;
}

int
conf_check(const struct conf *c, char *err, size_t errlen)
{
	char host[256];
	int port;

	if (conf_split_hostport(c->http_listen, host, sizeof host, &port) == 0 &&
	    !c->http_tls && !url_host_loopback(host) &&
	    !c->http_allow_plain_nonlocal) {
		str_fmt(err, errlen, "plain HTTP on %s is refused: turn on "
		    "http.tls (mutual TLS) or listen on loopback", c->http_listen);
		return -1;
	}
	if (c->http_tls && (!c->http_cert[0] || !c->http_key[0] || !c->http_ca[0])) {
		str_fmt(err, errlen, "http.tls is on: http.cert, http.key and "
		    "http.ca are required (mutual TLS)");
		return -1;
	}
	if (c->dicom_enabled && conf_split_hostport(c->dicom_listen, host,
	    sizeof host, &port) == 0 && !c->dicom_tls &&
	    !url_host_loopback(host) && !c->dicom_allow_plain_lan) {
		str_fmt(err, errlen, "plain DICOM on %s is refused: turn on "
		    "dicom.tls (mutual TLS) or listen on loopback "
		    "(dicom.allow_plain_lan = yes on a network you control)",
		    c->dicom_listen);
		return -1;
	}
	if (c->registry_enabled && c->registry_feed_listen[0] != '\0' &&
	    conf_listen_addr(c->registry_feed_listen, host, sizeof host,
	    &port) == 0 && !c->registry_feed_tls &&
	    !url_host_loopback(host) && !c->registry_feed_allow_plain_lan) {
		str_fmt(err, errlen, "the plain ITI-8 feed on %s is refused: "
		    "turn on registry.feed_tls (mutual TLS) or listen on "
		    "loopback (registry.feed_allow_plain_lan = yes on a "
		    "network you control)", c->registry_feed_listen);
		return -1;
	}
	if (c->registry_enabled && c->registry_feed_listen[0] != '\0' &&
	    c->registry_feed_tls && (!c->http_cert[0] || !c->http_key[0] ||
	    !c->http_ca[0])) {
		str_fmt(err, errlen, "registry.feed_tls is on: http.cert, "
		    "http.key and http.ca are required (mutual TLS)");
		return -1;
	}
	if (!c->registry_enabled && c->registry_feed_listen[0] != '\0') {
		str_fmt(err, errlen, "registry.feed_listen is set: the feed "
		    "is the registry's, and registry.enabled is no");
		return -1;
	}
	if (c->registry_enabled && c->registry_feed_listen[0] != '\0' &&
	    strcmp(c->registry_patient_ids, "feed") != 0) {
		str_fmt(err, errlen, "registry.feed_listen is set: it needs "
		    "registry.patient_ids = feed");
		return -1;
	}
	if (c->dicom_enabled && c->dicom_tls && (!c->http_cert[0] ||
	    !c->http_key[0] || (!c->dicom_ca[0] && !c->http_ca[0]))) {
		str_fmt(err, errlen, "dicom.tls is on: http.cert, http.key and "
		    "dicom.ca or http.ca are required (mutual TLS)");
		return -1;
	}
	if (c->push_forward && c->dicom_pacs[0] == '\0') {
		str_fmt(err, errlen, "push.forward needs dicom.pacs");
		return -1;
	}
	if (c->push_listen[0] != '\0' &&
	    strcmp(c->dicom_mode, "store") != 0) {
		str_fmt(err, errlen, "push.listen needs dicom.mode = store: "
		    "pushed instances are kept whole");
		return -1;
	}
	if (c->push_listen[0] != '\0' && (!c->dicom_enabled ||
	    !c->http_cert[0] || !c->http_key[0] ||
	    (!c->dicom_ca[0] && !c->http_ca[0]))) {
		str_fmt(err, errlen, "push.listen is set: it needs "
		    "dicom.enabled, http.cert, http.key and dicom.ca or "
		    "http.ca (mutual TLS)");
		return -1;
	}
	if (c->http_tls && c->gateway_responding &&
	    strcmp(c->consent_mode, "mitz") != 0) {
		str_fmt(err, errlen, "http.tls is on: the responding gateway "
		    "needs consent.mode = mitz (allow-all is for the loopback "
		    "demo only)");
		return -1;
	}
	if (c->http_tls && c->gateway_responding &&
	    strcmp(c->xua_mode, "required") != 0) {
		str_fmt(err, errlen, "http.tls is on: the responding gateway "
		    "needs xua.mode = required (off is for the loopback demo "
		    "only)");
		return -1;
	}
	if (strcmp(c->xua_mode, "required") == 0 &&
	    !c->xua_trusted_issuers[0] && !c->http_ca[0]) {
		str_fmt(err, errlen, "xua.mode is required: xua.trusted_issuers "
		    "or http.ca is needed to trust an assertion's signer");
		return -1;
	}
	if (strcmp(c->consent_mode, "mitz") == 0 &&
	    (!c->consent_mitz_url[0] || !c->consent_ura[0] ||
	    !c->consent_org_type[0])) {
		str_fmt(err, errlen, "consent.mode is mitz: consent.mitz_url, "
		    "consent.ura and consent.org_type are required");
		return -1;
	}
	if (c->consent_location_url[0] != '\0' &&
	    strcmp(c->consent_mode, "mitz") != 0) {
		str_fmt(err, errlen, "consent.location_url is set: "
		    "consent.mode = mitz is required");
		return -1;
	}
	if (c->consent_subscribe_url[0] != '\0' &&
	    (strcmp(c->consent_mode, "mitz") != 0 ||
	    c->consent_notify_url[0] == '\0')) {
		str_fmt(err, errlen, "consent.subscribe_url is set: "
		    "consent.mode = mitz and consent.notify_url are required");
		return -1;
	}
	if (c->consent_notify_from[0] != '\0' && !c->http_tls) {
		str_fmt(err, errlen, "consent.notify_from is set: http.tls is "
		    "required (a certificate subject needs mutual TLS)");
		return -1;
	}
	if (strncmp(c->audit_syslog_url, "tls://", 6) == 0 &&
	    (!c->http_cert[0] || !c->http_key[0] || !c->http_ca[0])) {
		str_fmt(err, errlen, "audit.syslog_url is tls://: http.cert, "
		    "http.key and http.ca are required (mutual TLS)");
		return -1;
	}
	if (c->xdr_recipient && !c->repository_enabled) {
		str_fmt(err, errlen, "xdr.recipient is on: it stores what it "
		    "receives through this node's repository, so "
		    "repository.enabled must be on");
		return -1;
	}
	if (strcmp(c->directory_backend, "zorgab") == 0 &&
	    c->directory_zorgab_url[0] == '\0') {
		str_fmt(err, errlen, "directory.backend is zorgab: "
		    "directory.zorgab_url is required");
		return -1;
	}
	return 0;
}

/* The options as INI text: c's values, or with c NULL every default,
 * commented out, with its range or choices (an example file). */
static void
conf_write(const struct conf *c, FILE *fp)
{
	char section[64] = "";
	size_t i;

	for (i = 0; i < conf_nopts; i++) {
		const struct conf_opt *o = &conf_opts[i];
		const char *dot = strchr(o->name, '.');
		const char *field = c != NULL ? (const char *)c + o->off : NULL;
		size_t sl = (size_t)(dot - o->name);

		if (strlen(section) != sl || strncmp(section, o->name, sl) != 0) {
			memcpy(section, o->name, sl);
			section[sl] = '\0';
			fprintf(fp, "%s[%s]\n", i ? "\n" : "", section);
		}
		fprintf(fp, "# %s\n", o->doc);
		if (c == NULL) {
			if (o->type == CONF_ENUM)
				fprintf(fp, "# one of: %s\n", o->choices);
			else if (o->type == CONF_INT || o->type == CONF_SIZE)
				fprintf(fp, "# from %lld to %lld%s\n", o->min,
				    o->max, o->type == CONF_SIZE ?
				    " bytes (suffixes k, m, g)" : "");
			fprintf(fp, "#%s = %s\n", dot + 1, o->def);
			continue;
		}
		fprintf(fp, "%s = ", dot + 1);
		switch (o->type) {
		case CONF_STR:
		case CONF_ENUM:
			fprintf(fp, "%s\n", field);
			break;
		case CONF_BOOL:
			fprintf(fp, "%s\n", (o->size == 1 ? *field :
			    *(const int *)(const void *)field) ? "yes" : "no");
			break;
		case CONF_INT:
		case CONF_SIZE:
			fprintf(fp, "%lld\n", *(const long long *)(const void *)field);
			break;
		}
	}
}

void
conf_dump(const struct conf *c, void *fp)
{
	conf_write(c, fp);
}

void
conf_example(void *fp)
{
	fprintf(fp, "# xdsd.conf: the configuration of xdsd(8), every option "
	    "with its default\n# (xdsd.conf(5) describes them).  Made by "
	    "xdsd -E from the option table:\n# remove the '#' before a key "
	    "to set it.\n\n");
	conf_write(NULL, fp);
}
