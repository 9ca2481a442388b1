/*
 * http internal: the structures shared by the files of src/http/ (request.c, response.c,
 * router.c, server.c, static.c). Not for other layers: they use request.h, response.h,
 * router.h, server.h and static.h.
 */
#ifndef HUARD_HTTP_INTERNAL_H
#define HUARD_HTTP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "http/request.h"
#include "http/response.h"
#include "http/router.h"

struct http_kv {
    const char *name;
    const char *value;
};

struct http__chunk; /* request.c's bump allocator */

struct http_request {
    uint64_t id;
    const char *method;
    const char *path;
    const char *query_string;
    const char *remote_addr;
    struct http_kv *params;
    size_t nparams;
    struct http_kv *query;
    size_t nquery;
    size_t query_cap;
    struct http_kv *headers;
    size_t nheaders;
    size_t headers_cap;
    char *body; /* xmalloc'd, NUL-terminated */
    size_t body_len;
    json_t *json;
    struct http__chunk *chunks;
};

struct http__after {
    http_after_fn fn;
    void *arg;
};

struct http_response {
    int status;
    bool upgrade;
    char *content_type;
    char *body; /* xmalloc'd */
    size_t body_len;
    int fd; /* file body when >= 0 (static.c) */
    uint64_t fd_offset;
    uint64_t fd_len;
    char **headers; /* name, value, name, value... */
    size_t nheaders;
    struct http__after *after;
    size_t nafter;
};

#define HTTP__SEG_LITERAL 0
#define HTTP__SEG_PARAM 1
#define HTTP__SEG_TAIL 2

struct http_route {
    char *method;
    char *pattern;
    char **segs;
    unsigned char *kinds;
    size_t nsegs;
    http_handler_fn fn;
    void *ctx;
    void (*ctx_free)(void *ctx);
    unsigned flags;
    const struct http_upgrade_ops *upgrade;
    const void *schema;
    size_t body_max; /* 0: the server's */
};

struct http_router {
    struct http_route **routes;
    size_t nroutes;
    http_validate_fn validate;
};

/* ---- request.c ---- */
struct http_request *http__request_new(uint64_t id);
void http__request_free(struct http_request *req);
/** Copies s (len bytes) into the request's arena, NUL-terminated. */
const char *http__request_strndup(struct http_request *req, const char *s, size_t len);
void http__request_add_header(struct http_request *req, const char *name, const char *value);
void http__request_add_query(struct http_request *req, const char *name, const char *value);
/** Takes body (xmalloc'd, NUL-terminated at body[len]). */
void http__request_set_body(struct http_request *req, char *body, size_t len);

/* ---- response.c ---- */
struct http_response *http__response_new(void);
/** Frees the response; runs its after-closures first unless they already ran. */
void http__response_free(struct http_response *resp, struct loop *loop);
/** Runs and forgets the after-closures (loop thread). */
void http__response_run_after(struct http_response *resp, struct loop *loop);
/** Turns a handler return code into an answer when the handler left none. */
void http__response_finish(struct http_response *resp, int rc);

/* ---- router.c ---- */
/**
 * Matches method+path: returns the route and fills req->params, or sets *err to HE_NOT_FOUND
 * or HE_METHOD (then allow holds the methods, comma-separated) and returns NULL.
 */
const struct http_route *http__router_match(const struct http_router *router, const char *method,
                                            const char *path, struct http_request *req, char *allow,
                                            size_t allow_len, int *err);
/** Runs the route's body handling and handler (any thread): JSON, schema, fn. */
void http__route_run(const struct http_router *router, const struct http_route *route,
                     struct http_request *req, struct http_response *resp);

#endif
