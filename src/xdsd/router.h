/*
 * router.h: the HTTP face of the node.  Maps paths to SOAP endpoints
 * (actors), serves GET /health, GET /metrics and GET <endpoint>?wsdl,
 * and opens/closes the transaction record of every request so each
 * request leaves exactly one audit record, written before the answer.
 */
#ifndef XDS_ROUTER_H
#define XDS_ROUTER_H

#include <stddef.h>

struct conf;
struct http_conn;
struct http_request;
struct router;
struct soap_endpoint;

struct router *router_new(const struct conf *, char *err, size_t errlen);
/* Mount an actor's endpoint (at most ROUTER_MAX_ENDPOINTS). */
int	router_mount(struct router *, const struct soap_endpoint *);
void	router_set_ready(struct router *, int ready);
void	router_free(struct router *);
/*
 * POST ROUTER_NOTIFY_PATH: Mitz's notification of a consent change, a
 * FHIR JSON body of at most ROUTER_NOTIFY_MAX bytes handed to fn (one
 * audit record, TXN_MITZ_NOTIFY, which fn may fill).  fn returns XDS_OK
 * (answered 204) or a failure with a short reason in why (400).  Not
 * set: the path is not served (404).
 */
struct xact;
typedef int (*router_notify_fn)(void *arg, const char *body, size_t len,
	    struct xact *x, char *why, size_t whylen);
void	router_set_notify(struct router *, router_notify_fn fn, void *arg);
#define ROUTER_NOTIFY_PATH	"/mitz/notify"
#define ROUTER_NOTIFY_MAX	(1024 * 1024)

/* http_handler_fn */
void	router_handle(struct http_conn *, const struct http_request *, void *);

/* http_server_opts.on_refuse: audit a request the server refused itself. */
void	router_refused(void *, const char *peer_addr, const char *peer_subject,
	    int status, const char *reason);

/* The paths of the mounted endpoints, at most max into out; how many. */
size_t	router_paths(const struct router *, const char **out, size_t max);

/* Requests answered 503 because the access log could not take records. */
unsigned long long router_refused_unaudited(void);

#define ROUTER_MAX_ENDPOINTS 8

#endif
