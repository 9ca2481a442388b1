/*
 * request: one HTTP request as a handler sees it, copied out of libmicrohttpd on the loop
 * thread before dispatch, so that workers never call MHD (DESIGN.md section 2).
 *
 * Everything here is immutable once the handler runs and lives until the response has been
 * sent; strings are NUL-terminated and borrowed from the request. Any thread may read a request
 * it was handed (the handler's worker, or the loop for inline routes and upgrades).
 */
#ifndef HUARD_HTTP_REQUEST_H
#define HUARD_HTTP_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct http_request;

/** Request id for log lines (`req=%llu`), unique within the process. */
uint64_t http_request_id(const struct http_request *req);
/** Method as sent, upper case: "GET", "POST", ... (HEAD is routed like GET). */
const char *http_request_method(const struct http_request *req);
/** Path, percent-decoded by MHD, without the query string. */
const char *http_request_path(const struct http_request *req);
/** Value of the path parameter `{name}` of the matched route pattern, or NULL. */
const char *http_request_param(const struct http_request *req, const char *name);
/** First value of query argument name, percent-decoded, or NULL when absent. */
const char *http_request_query(const struct http_request *req, const char *name);
/** Number of query arguments (repeated keys count each time). */
size_t http_request_query_count(const struct http_request *req);
/** The i-th query argument (i < http_request_query_count); value may be "" but not NULL. */
void http_request_query_at(const struct http_request *req, size_t i, const char **name,
                           const char **value);
/** The raw query string after '?', not decoded ("" when none). */
const char *http_request_query_string(const struct http_request *req);
/** First header with this name (case-insensitive), or NULL. */
const char *http_request_header(const struct http_request *req, const char *name);
/** Request body bytes (NUL-terminated for convenience; *len excludes the NUL). */
const char *http_request_body(const struct http_request *req, size_t *len);
/**
 * Parsed JSON body (borrowed; json_incref to keep it) for routes flagged HTTP_ROUTE_JSON, NULL
 * when the body was empty or the route does not ask for JSON. A malformed body never reaches
 * the handler: it is answered 400 invalid-data (HE_BAD_JSON, details {line, column}). The
 * parse runs where the handler runs (the worker, or the loop for inline routes).
 */
json_t *http_request_json(const struct http_request *req);
/**
 * Client address: the peer's IP, or the last X-Forwarded-For entry when the peer is a loopback
 * address (nginx in front, DESIGN.md section 1) and that entry is an IPv4 or IPv6 address
 * (given in inet_ntop's canonical form).
 */
const char *http_request_remote_addr(const struct http_request *req);

#endif
