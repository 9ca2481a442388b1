/*
 * router: patterns split into segments at registration; a request path is split once and
 * compared with every route (tens of routes: a linear scan costs less than the request copy).
 * Among matching patterns the most literal one wins, segment by segment from the left.
 */
#include "http/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MODULE "http"
#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "http/internal.h"

#include "base/banned.h"

#define MAX_SEGS 32

struct http_router *http_router_new(void)
{
    return xcalloc(1, sizeof(struct http_router));
}

static void route_free(struct http_route *r)
{
    if (r->ctx_free) {
        r->ctx_free(r->ctx);
    }
    for (size_t i = 0; i < r->nsegs; i++) {
        free(r->segs[i]);
    }
    free(r->segs);
    free(r->kinds);
    free(r->method);
    free(r->pattern);
    free(r);
}

void http_router_free(struct http_router *router)
{
    if (!router) {
        return;
    }
    for (size_t i = 0; i < router->nroutes; i++) {
        route_free(router->routes[i]);
    }
    free(router->routes);
    free(router);
}

/* Splits "/a/b/" into "a", "b", "" (a trailing slash is an empty last segment, so that
 * "/api/websocketd/" and "/api/websocketd" differ as they do in Flask). Returns the count, or
 * -1 when the path does not start with '/' or has too many segments. */
static int split_path(const char *path, const char **starts, size_t *lens)
{
    if (path[0] != '/') {
        return -1;
    }
    int n = 0;
    const char *p = path + 1;
    for (;;) {
        if (n == MAX_SEGS) {
            return -1;
        }
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        starts[n] = p;
        lens[n] = len;
        n++;
        if (!slash) {
            break;
        }
        p = slash + 1;
    }
    return n;
}

static struct http_route *route_parse(const char *method, const char *pattern)
{
    const char *starts[MAX_SEGS];
    size_t lens[MAX_SEGS];
    int n = split_path(pattern, starts, lens);
    if (n < 0) {
        return NULL;
    }
    struct http_route *r = xcalloc(1, sizeof(*r));
    r->method = xstrdup(method);
    r->pattern = xstrdup(pattern);
    r->segs = xcalloc((size_t)n, sizeof(*r->segs));
    r->kinds = xcalloc((size_t)n, sizeof(*r->kinds));
    r->nsegs = (size_t)n;
    for (int i = 0; i < n; i++) {
        const char *s = starts[i];
        size_t len = lens[i];
        if (len >= 2 && s[0] == '{' && s[len - 1] == '}') {
            bool tail = len >= 3 && s[len - 2] == '*';
            size_t name_len = len - 2 - (tail ? 1 : 0);
            if (name_len == 0 || memchr(s + 1, '{', name_len) || memchr(s + 1, '}', name_len) ||
                (tail && i != n - 1)) {
                route_free(r);
                return NULL;
            }
            r->segs[i] = xstrndup(s + 1, name_len);
            r->kinds[i] = tail ? HTTP__SEG_TAIL : HTTP__SEG_PARAM;
        } else {
            if (memchr(s, '{', len) || memchr(s, '}', len)) {
                route_free(r);
                return NULL;
            }
            r->segs[i] = xstrndup(s, len);
            r->kinds[i] = HTTP__SEG_LITERAL;
        }
    }
    return r;
}

static bool same_shape(const struct http_route *a, const struct http_route *b)
{
    if (a->nsegs != b->nsegs) {
        return false;
    }
    for (size_t i = 0; i < a->nsegs; i++) {
        if (a->kinds[i] != b->kinds[i]) {
            return false;
        }
        if (a->kinds[i] == HTTP__SEG_LITERAL && strcmp(a->segs[i], b->segs[i]) != 0) {
            return false;
        }
    }
    return true;
}

static struct http_route *route_insert(struct http_router *router, struct http_route *r)
{
    for (size_t i = 0; i < router->nroutes; i++) {
        const struct http_route *o = router->routes[i];
        if (strcmp(o->method, r->method) == 0 && same_shape(o, r)) {
            log_err("msg=route_duplicate method=%s pattern=%s", r->method, r->pattern);
            route_free(r);
            return NULL;
        }
    }
    router->routes = xreallocarray(router->routes, router->nroutes + 1, sizeof(*router->routes));
    router->routes[router->nroutes++] = r;
    return r;
}

struct http_route *http_route_add(struct http_router *router, const char *method,
                                  const char *pattern, http_handler_fn fn, void *ctx,
                                  unsigned flags)
{
    struct http_route *r = route_parse(method, pattern);
    if (!r) {
        log_err("msg=route_bad_pattern pattern=%s", pattern);
        return NULL;
    }
    r->fn = fn;
    r->ctx = ctx;
    r->flags = flags;
    return route_insert(router, r);
}

struct http_route *http_route_add_upgrade(struct http_router *router, const char *pattern,
                                          const struct http_upgrade_ops *ops, void *ctx)
{
    struct http_route *r = route_parse("GET", pattern);
    if (!r) {
        log_err("msg=route_bad_pattern pattern=%s", pattern);
        return NULL;
    }
    r->upgrade = ops;
    r->ctx = ctx;
    r->flags = HTTP_ROUTE_INLINE;
    return route_insert(router, r);
}

void http_route_set_schema(struct http_route *route, const void *schema)
{
    route->schema = schema;
    route->flags |= HTTP_ROUTE_JSON;
}

void http_route_set_body_max(struct http_route *route, size_t max)
{
    route->body_max = max;
}

void http_route_own_ctx(struct http_route *route, void (*free_fn)(void *ctx))
{
    route->ctx_free = free_fn;
}

void http_router_set_validator(struct http_router *router, http_validate_fn fn)
{
    router->validate = fn;
}

static bool route_matches(const struct http_route *r, int n, const char **starts,
                          const size_t *lens)
{
    size_t segs = (size_t)n;
    bool tail = r->nsegs > 0 && r->kinds[r->nsegs - 1] == HTTP__SEG_TAIL;
    if (tail ? segs < r->nsegs - 1 : segs != r->nsegs) {
        return false;
    }
    /* i < segs is implied by the count check (only the last segment may be a tail); said
     * again so that the analyzer sees every starts[i] read is set. */
    for (size_t i = 0; i < r->nsegs && i < segs; i++) {
        switch (r->kinds[i]) {
        case HTTP__SEG_LITERAL:
            if (strlen(r->segs[i]) != lens[i] || memcmp(r->segs[i], starts[i], lens[i]) != 0) {
                return false;
            }
            break;
        case HTTP__SEG_PARAM:
            if (lens[i] == 0) {
                return false;
            }
            break;
        default:
            return true; /* tail: the rest */
        }
    }
    return true;
}

/* True when a is more specific than b: a literal where b has a parameter, at the first
 * segment where they differ. */
static bool more_specific(const struct http_route *a, const struct http_route *b)
{
    size_t n = a->nsegs < b->nsegs ? a->nsegs : b->nsegs;
    for (size_t i = 0; i < n; i++) {
        if (a->kinds[i] != b->kinds[i]) {
            return a->kinds[i] < b->kinds[i];
        }
    }
    return a->nsegs > b->nsegs;
}

static bool method_is(const struct http_route *r, const char *method)
{
    if (strcmp(r->method, method) == 0) {
        return true;
    }
    return strcmp(method, "HEAD") == 0 && strcmp(r->method, "GET") == 0;
}

static void allow_add(char *allow, size_t allow_len, const char *method)
{
    /* Skip duplicates (two patterns of one method may match the same path). */
    size_t mlen = strlen(method);
    for (const char *p = allow; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == mlen && memcmp(p, method, len) == 0) {
            return;
        }
        p = comma ? comma + 2 : p + len;
    }
    size_t used = strlen(allow);
    snprintf(allow + used, allow_len - used, "%s%s", used ? ", " : "", method);
}

const struct http_route *http__router_match(const struct http_router *router, const char *method,
                                            const char *path, struct http_request *req, char *allow,
                                            size_t allow_len, int *err)
{
    const char *starts[MAX_SEGS];
    size_t lens[MAX_SEGS];
    allow[0] = '\0';
    int n = split_path(path, starts, lens);
    if (n < 0) {
        *err = HE_NOT_FOUND;
        return NULL;
    }
    const struct http_route *best = NULL;
    bool path_known = false;
    for (size_t i = 0; i < router->nroutes; i++) {
        const struct http_route *r = router->routes[i];
        if (!route_matches(r, n, starts, lens)) {
            continue;
        }
        path_known = true;
        if (!method_is(r, method)) {
            continue;
        }
        if (!best || more_specific(r, best)) {
            best = r;
        }
    }
    if (!best) {
        if (!path_known) {
            *err = HE_NOT_FOUND;
            return NULL;
        }
        for (size_t i = 0; i < router->nroutes; i++) {
            const struct http_route *r = router->routes[i];
            if (route_matches(r, n, starts, lens)) {
                allow_add(allow, allow_len, r->method);
                if (strcmp(r->method, "GET") == 0) {
                    allow_add(allow, allow_len, "HEAD");
                }
            }
        }
        *err = HE_METHOD;
        return NULL;
    }
    size_t nparams = 0;
    for (size_t i = 0; i < best->nsegs; i++) {
        nparams += best->kinds[i] != HTTP__SEG_LITERAL;
    }
    if (nparams > 0) {
        req->params = xcalloc(nparams, sizeof(*req->params));
        for (size_t i = 0; i < best->nsegs; i++) {
            if (i < (size_t)n && best->kinds[i] == HTTP__SEG_PARAM) {
                req->params[req->nparams].name = best->segs[i];
                req->params[req->nparams].value = http__request_strndup(req, starts[i], lens[i]);
                req->nparams++;
            } else if (best->kinds[i] == HTTP__SEG_TAIL) {
                /* The rest of the path, slashes included; "" when the tail is absent. */
                const char *rest = (size_t)n > i ? starts[i] : "";
                req->params[req->nparams].name = best->segs[i];
                req->params[req->nparams].value = http__request_strndup(req, rest, strlen(rest));
                req->nparams++;
            }
        }
    }
    *err = 0;
    return best;
}

void http__route_run(const struct http_router *router, const struct http_route *route,
                     struct http_request *req, struct http_response *resp)
{
    int rc = 0;
    if ((route->flags & HTTP_ROUTE_JSON) && req->body_len > 0 && !req->json) {
        json_error_t jerr;
        req->json = json_loadb(req->body, req->body_len, JSON_DECODE_ANY, &jerr);
        if (!req->json) {
            json_t *details = json_pack("{s:i, s:i}", "line", jerr.line, "column", jerr.column);
            http_resp_error(resp, HE_BAD_JSON, details, NULL, NULL);
            return;
        }
    }
    if (route->schema && router->validate) {
        json_t *details = NULL;
        rc = router->validate(route->schema, req->json, &details);
        if (rc < 0) {
            http_resp_error(resp, rc, details, NULL, NULL);
            return;
        }
        json_decref(details);
    }
    rc = route->fn(req, resp, route->ctx);
    http__response_finish(resp, rc);
}
