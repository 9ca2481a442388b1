/*
 * response: what a handler answers. A handler fills the response it is given (on its worker
 * or, for inline routes, on the loop); the loop then turns it into an MHD response. Nothing
 * here calls MHD, so any thread that owns the response may use it.
 *
 * Ownership: functions that take a json_t or a buffer take it even on failure (asterisk
 * json.h). Setting a body twice replaces the first one (which is released).
 *
 * Error bodies follow wazo-api.md 1.3: {"message","error_id","details","timestamp"[,
 * "resource"]}, timestamp as float epoch seconds, built from the base/err.h table.
 */
#ifndef HUARD_HTTP_RESPONSE_H
#define HUARD_HTTP_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct loop;
struct http_response;

/** Answers status with a JSON body (application/json); takes ownership of body. */
void http_resp_json(struct http_response *resp, int status, json_t *body);
/** Answers status with a copy of len bytes of data and the given Content-Type. */
void http_resp_bytes(struct http_response *resp, int status, const char *content_type,
                     const void *data, size_t len);
/** Like http_resp_bytes, but takes data (allocated with xmalloc & co) instead of copying. */
void http_resp_take(struct http_response *resp, int status, const char *content_type, void *data,
                    size_t len);
/** Answers status with no body (204, 304...). */
void http_resp_status(struct http_response *resp, int status);
/**
 * Adds a response header (copied). Content-Type and Content-Length come from the body
 * functions; use this for Location, ETag, Retry-After, Cache-Control...
 */
void http_resp_header(struct http_response *resp, const char *name, const char *value);
/**
 * Answers an error in the Wazo chatd shape: status and error_id from he_code (a negative HE_*),
 * message = message or the table's text, details = details (taken; NULL gives {}), and
 * "resource" only when resource is not NULL.
 */
void http_resp_error(struct http_response *resp, int he_code, json_t *details, const char *resource,
                     const char *message);
/** Status set so far (0 while nothing is set). */
int http_resp_get_status(const struct http_response *resp);

/**
 * A closure run on the loop thread after the response has been handed to MHD, in the order
 * added. It is called exactly once, also when the client went away or at shutdown, so it
 * may release arg. This is how a handler hands events to the loop (ws fan-out).
 */
typedef void (*http_after_fn)(struct loop *loop, void *arg);
void http_resp_after(struct http_response *resp, http_after_fn fn, void *arg);

#endif
