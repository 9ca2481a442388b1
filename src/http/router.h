/*
 * router: the routing table. api/ modules register their handlers here at start-up; the
 * http server matches every request against it on the loop thread.
 *
 * A pattern is a path split on '/': each segment is a literal or a parameter `{name}`; a
 * last segment `{name*}` matches the rest of the path (may be empty). Matching is exact,
 * case- and slash-sensitive like Flask (wazo-api.md 1.1). When several patterns match, the
 * one with a literal at the first differing segment wins (`/rooms/messages` beats
 * `/rooms/{room_uuid}`). A path that matches no pattern is 404 not-found; a path that matches
 * only with other methods is 405 with `Allow`. HEAD is served by GET routes.
 *
 * Handlers: by default a handler runs on a worker (the connection is suspended meanwhile),
 * so it may block on the store; HTTP_ROUTE_INLINE runs it on the loop thread, for trivial
 * answers only (status). A handler returns 0 after filling resp, or a negative HE_* code:
 * then, unless it already set a response, the error is answered in the Wazo shape.
 *
 * Threads: router functions are for start-up, before http_server_start (not thread-safe);
 * matching afterwards only reads.
 */
#ifndef HUARD_HTTP_ROUTER_H
#define HUARD_HTTP_ROUTER_H

#include <stddef.h>

#include <jansson.h>

#include "base/alloc.h"

struct http_request;
struct http_response;
struct http_router;
struct http_route;

/** Route flags. */
#define HTTP_ROUTE_INLINE 0x1u /* run on the loop thread (never block) */
#define HTTP_ROUTE_JSON 0x2u   /* parse a non-empty body as JSON; malformed -> 400 HE_BAD_JSON */

/** A request handler. ctx is the pointer given at registration. */
typedef int (*http_handler_fn)(const struct http_request *req, struct http_response *resp,
                               void *ctx);

/**
 * A body validator (api/validate.c provides it): checks body against schema, returns 0 or
 * HE_INVAL with *details set to the mallow-style error tree (wazo-api.md 1.4, taken by the
 * caller). Runs on the worker before the handler, for routes given a schema.
 */
typedef int (*http_validate_fn)(const void *schema, json_t *body, json_t **details);

/**
 * Upgrade routes (WebSocket). check runs on the loop thread when the request is complete: it
 * returns 0 after filling resp with status 101 and its headers, or a negative HE_* code / an
 * error response. open then runs on the loop thread when MHD hands over the socket: fd is
 * the connected socket (do not close it; http_upgraded_close gives it back), extra bytes
 * already read past the request (MHD's extra_in) are in extra/extra_len (borrowed: copy them),
 * and req is borrowed for the duration of the call.
 */
struct http_upgraded;
struct http_upgrade_ops {
    int (*check)(void *ctx, const struct http_request *req, struct http_response *resp);
    void (*open)(void *ctx, const struct http_request *req, struct http_upgraded *up, int fd,
                 const char *extra, size_t extra_len);
};

/** Sets 101 Switching Protocols on resp (for upgrade check functions). */
void http_resp_upgrade(struct http_response *resp);
/**
 * Gives the upgraded socket back to MHD, which closes it, and makes the server run MHD on
 * this iteration (mhd-notes.md 1.3 c). Remove fd from every epoll watch before calling.
 * Frees up. Loop thread only.
 */
void http_upgraded_close(struct http_upgraded *up);

struct http_router *http_router_new(void);
/** Frees the router and its routes. NULL does nothing. After http_server_free. */
void http_router_free(struct http_router *router);

/**
 * Adds a route. method is upper case ("GET", "POST", "PUT", "PATCH", "DELETE"); pattern as
 * above. Returns the route (owned by the router), or NULL (logged) when the pattern is
 * malformed or the same method+pattern exists.
 */
struct http_route *http_route_add(struct http_router *router, const char *method,
                                  const char *pattern, http_handler_fn fn, void *ctx,
                                  unsigned flags);
/** Adds an upgrade route (GET). ops is borrowed and must outlive the router. */
struct http_route *http_route_add_upgrade(struct http_router *router, const char *pattern,
                                          const struct http_upgrade_ops *ops, void *ctx);
/** Gives a route a body schema for the router's validator (implies HTTP_ROUTE_JSON). */
void http_route_set_schema(struct http_route *route, const void *schema);
/** Overrides the body cap (bytes) for one route (413 past it). */
void http_route_set_body_max(struct http_route *route, size_t max);
/** Makes the router free ctx with free_fn when it is freed (ctx allocated for one route). */
void http_route_own_ctx(struct http_route *route, void (*free_fn)(void *ctx));
/** Sets the validator used for routes with a schema. */
void http_router_set_validator(struct http_router *router, http_validate_fn fn);

#endif
