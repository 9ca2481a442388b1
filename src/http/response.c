/*
 * response: the response builder and the Wazo error shape (wazo-api.md 1.3). MHD-free, so a
 * worker fills it; server.c turns it into an MHD response on the loop.
 */
#include "http/response.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_MODULE "http"
#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "http/internal.h"

#include "base/banned.h"

struct http_response *http__response_new(void)
{
    struct http_response *resp = xcalloc(1, sizeof(*resp));
    resp->fd = -1;
    return resp;
}

static void clear_body(struct http_response *resp)
{
    free(resp->body);
    resp->body = NULL;
    resp->body_len = 0;
    free(resp->content_type);
    resp->content_type = NULL;
    if (resp->fd >= 0) {
        close(resp->fd);
        resp->fd = -1;
    }
}

void http__response_run_after(struct http_response *resp, struct loop *loop)
{
    /* A closure may add none, but be safe against reentrancy: detach the list first. */
    struct http__after *after = resp->after;
    size_t n = resp->nafter;
    resp->after = NULL;
    resp->nafter = 0;
    for (size_t i = 0; i < n; i++) {
        after[i].fn(loop, after[i].arg);
    }
    free(after);
}

void http__response_free(struct http_response *resp, struct loop *loop)
{
    if (!resp) {
        return;
    }
    http__response_run_after(resp, loop);
    clear_body(resp);
    for (size_t i = 0; i < resp->nheaders * 2; i++) {
        free(resp->headers[i]);
    }
    free(resp->headers);
    free(resp);
}

void http_resp_take(struct http_response *resp, int status, const char *content_type, void *data,
                    size_t len)
{
    clear_body(resp);
    resp->status = status;
    resp->content_type = content_type ? xstrdup(content_type) : NULL;
    resp->body = data;
    resp->body_len = len;
}

void http_resp_bytes(struct http_response *resp, int status, const char *content_type,
                     const void *data, size_t len)
{
    http_resp_take(resp, status, content_type, len ? xmemdup(data, len) : NULL, len);
}

void http_resp_json(struct http_response *resp, int status, json_t *body)
{
    char *text = NULL;
    if (body) {
        text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
        json_decref(body);
    }
    if (!text) {
        static const char fallback[] = "{\"message\":\"Internal server error\","
                                       "\"error_id\":\"internal-error\",\"details\":{}}";
        log_err("msg=json_dump_failed status=%d", status);
        http_resp_bytes(resp, 500, "application/json", fallback, sizeof(fallback) - 1);
        return;
    }
    /* jansson allocates with malloc: hand the text over as is (free() releases both). */
    http_resp_take(resp, status, "application/json", text, strlen(text));
}

void http_resp_status(struct http_response *resp, int status)
{
    clear_body(resp);
    resp->status = status;
}

void http_resp_header(struct http_response *resp, const char *name, const char *value)
{
    resp->headers = xreallocarray(resp->headers, (resp->nheaders + 1) * 2, sizeof(char *));
    resp->headers[resp->nheaders * 2] = xstrdup(name);
    resp->headers[resp->nheaders * 2 + 1] = xstrdup(value);
    resp->nheaders++;
}

void http_resp_error(struct http_response *resp, int he_code, json_t *details, const char *resource,
                     const char *message)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    double now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    json_t *body = json_object();
    json_object_set_new(body, "message", json_string(message ? message : he_message(he_code)));
    json_object_set_new(body, "error_id", json_string(he_error_id(he_code)));
    json_object_set_new(body, "details", details ? details : json_object());
    json_object_set_new(body, "timestamp", json_real(now));
    if (resource) {
        json_object_set_new(body, "resource", json_string(resource));
    }
    int status = he_status(he_code);
    http_resp_json(resp, status > 0 ? status : 500, body);
}

int http_resp_get_status(const struct http_response *resp)
{
    return resp->status;
}

void http_resp_after(struct http_response *resp, http_after_fn fn, void *arg)
{
    resp->after = xreallocarray(resp->after, resp->nafter + 1, sizeof(*resp->after));
    resp->after[resp->nafter].fn = fn;
    resp->after[resp->nafter].arg = arg;
    resp->nafter++;
}

void http_resp_upgrade(struct http_response *resp)
{
    http_resp_status(resp, 101);
    resp->upgrade = true;
}

void http__response_finish(struct http_response *resp, int rc)
{
    if (rc < 0 && (resp->status == 0 || resp->status < 400)) {
        if (resp->status != 0) {
            log_warn("msg=handler_error_after_answer code=%s", he_name(rc));
        }
        clear_body(resp);
        http_resp_error(resp, rc, NULL, NULL, NULL);
        return;
    }
    if (resp->status == 0) {
        log_err("msg=handler_left_no_answer");
        http_resp_error(resp, HE_INTERNAL, NULL, NULL, NULL);
    }
}
