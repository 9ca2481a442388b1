/*
 * request: the copied request and its accessors. Strings live in a small bump allocator that
 * dies with the request (one or two allocations for a typical request instead of one per
 * header); the body is a separate buffer since it can reach the body cap.
 */
#include "http/request.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "http/internal.h"

#include "base/banned.h"

#define CHUNK_SIZE 2048

struct http__chunk {
    struct http__chunk *next;
    size_t used;
    size_t cap;
    char data[];
};

struct http_request *http__request_new(uint64_t id)
{
    struct http_request *req = xcalloc(1, sizeof(*req));
    req->id = id;
    req->method = "";
    req->path = "";
    req->query_string = "";
    req->remote_addr = "";
    return req;
}

void http__request_free(struct http_request *req)
{
    if (!req) {
        return;
    }
    while (req->chunks) {
        struct http__chunk *c = req->chunks;
        req->chunks = c->next;
        free(c);
    }
    free(req->params);
    free(req->query);
    free(req->headers);
    free(req->body);
    json_decref(req->json);
    free(req);
}

static void *arena_alloc(struct http_request *req, size_t n)
{
    struct http__chunk *c = req->chunks;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > CHUNK_SIZE ? n : CHUNK_SIZE;
        c = xmalloc(sizeof(*c) + cap);
        c->used = 0;
        c->cap = cap;
        c->next = req->chunks;
        req->chunks = c;
    }
    void *p = c->data + c->used;
    c->used += n;
    return p;
}

const char *http__request_strndup(struct http_request *req, const char *s, size_t len)
{
    char *p = arena_alloc(req, len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

static const char *arena_strdup(struct http_request *req, const char *s)
{
    return http__request_strndup(req, s, strlen(s));
}

static void kv_push(struct http_kv **arr, size_t *n, size_t *cap, const char *name,
                    const char *value)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        *arr = xreallocarray(*arr, *cap, sizeof(**arr));
    }
    (*arr)[*n].name = name;
    (*arr)[*n].value = value;
    (*n)++;
}

void http__request_add_header(struct http_request *req, const char *name, const char *value)
{
    kv_push(&req->headers, &req->nheaders, &req->headers_cap, arena_strdup(req, name),
            arena_strdup(req, value ? value : ""));
}

void http__request_add_query(struct http_request *req, const char *name, const char *value)
{
    kv_push(&req->query, &req->nquery, &req->query_cap, arena_strdup(req, name),
            arena_strdup(req, value ? value : ""));
}

void http__request_set_body(struct http_request *req, char *body, size_t len)
{
    free(req->body);
    req->body = body;
    req->body_len = len;
}

uint64_t http_request_id(const struct http_request *req)
{
    return req->id;
}

const char *http_request_method(const struct http_request *req)
{
    return req->method;
}

const char *http_request_path(const struct http_request *req)
{
    return req->path;
}

const char *http_request_param(const struct http_request *req, const char *name)
{
    for (size_t i = 0; i < req->nparams; i++) {
        if (strcmp(req->params[i].name, name) == 0) {
            return req->params[i].value;
        }
    }
    return NULL;
}

const char *http_request_query(const struct http_request *req, const char *name)
{
    for (size_t i = 0; i < req->nquery; i++) {
        if (strcmp(req->query[i].name, name) == 0) {
            return req->query[i].value;
        }
    }
    return NULL;
}

size_t http_request_query_count(const struct http_request *req)
{
    return req->nquery;
}

void http_request_query_at(const struct http_request *req, size_t i, const char **name,
                           const char **value)
{
    BUG_ON(i >= req->nquery);
    *name = req->query[i].name;
    *value = req->query[i].value;
}

const char *http_request_query_string(const struct http_request *req)
{
    return req->query_string;
}

const char *http_request_header(const struct http_request *req, const char *name)
{
    for (size_t i = 0; i < req->nheaders; i++) {
        if (strcasecmp(req->headers[i].name, name) == 0) {
            return req->headers[i].value;
        }
    }
    return NULL;
}

const char *http_request_body(const struct http_request *req, size_t *len)
{
    if (len) {
        *len = req->body_len;
    }
    return req->body ? req->body : "";
}

json_t *http_request_json(const struct http_request *req)
{
    return req->json;
}

const char *http_request_remote_addr(const struct http_request *req)
{
    return req->remote_addr;
}
