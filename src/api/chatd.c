/*
 * chatd: the wazo-chatd REST API (/api/chatd/1.0, wazo-api.md 3) and Huard's extensions to
 * it. This file registers the routes of rooms.c, messages.c, presences.c and reactions.c,
 * answers /status, and holds the helpers they share (chatd_internal.h).
 */
#define LOG_MODULE "chatd"
#include "api/chatd_internal.h"

#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "api/auth.h"
#include "base/config.h"
#include "base/err.h"
#include "base/log.h"
#include "domain/acl.h"
#include "domain/render.h"
#include "events/bus.h"
#include "events/envelope.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"
#include "store/store.h"

bool chatd__path_uuid(const struct http_request *req, struct http_response *resp, const char *name,
                      char out[UUID_STR_LEN])
{
    const char *v = http_request_param(req, name);
    if (v && uuid_normalize(v, strlen(v), out)) {
        return true;
    }
    /* Flask's uuid converter: a routing miss, answered in the standard shape (1.3). */
    http_resp_error(resp, HE_NOT_FOUND, NULL, NULL,
                    "The requested URL was not found on the server.");
    return false;
}

int chatd__auth(struct chatd *c, const struct http_request *req, struct http_response *resp,
                const char *tmpl, const char *const *params, size_t nparams,
                struct auth_identity *id)
{
    char acl[ACL_MAX_LEN];
    int rc = acl_format(acl, sizeof(acl), tmpl, params, nparams);
    BUG_ON(rc < 0); /* templates are static, params are canonical uuids */
    return api_auth_require(c->app, req, resp, acl, id);
}

/* The body as JSON: an empty one is null, which validation reads as {}. */
static int body_parse(const struct http_request *req, json_t **body, json_t **details)
{
    size_t len = 0;
    const char *data = http_request_body(req, &len);
    if (!data || len == 0) {
        *body = json_null();
        return 0;
    }
    json_error_t jerr;
    *body = json_loadb(data, len, JSON_DECODE_ANY, &jerr);
    if (!*body) {
        *details = json_pack("{s:i, s:i}", "line", jerr.line, "column", jerr.column);
        return HE_BAD_JSON;
    }
    return 0;
}

int chatd__body_check(const struct http_request *req, const struct validate_field *fields, size_t n,
                      struct validate_value *v, json_t **body, json_t **details)
{
    *details = NULL;
    int rc = body_parse(req, body, details);
    if (rc == 0) {
        rc = validate_json(*body, fields, n, v, details);
    }
    return rc;
}

static const char *query_get(void *ctx, const char *name)
{
    return http_request_query((const struct http_request *)ctx, name);
}

int chatd__query(const struct http_request *req, struct http_response *resp,
                 const struct validate_field *fields, size_t n, struct validate_value *v)
{
    json_t *details = NULL;
    int rc = validate_query(query_get, (void *)req, fields, n, v, &details);
    if (rc < 0) {
        return chatd__reject(resp, rc, details);
    }
    return 0;
}

size_t chatd__uuid_list(const struct validate_value *v, char (**out)[UUID_STR_LEN])
{
    *out = NULL;
    if (!v->present || v->count == 0) {
        return 0;
    }
    char(*uuids)[UUID_STR_LEN] = xcalloc(v->count, UUID_STR_LEN);
    size_t n = 0;
    size_t pos = 0;
    while (n < v->count && validate_uuid_list_next(v, &pos, uuids[n])) {
        n++;
    }
    *out = uuids;
    return n;
}

int chatd__reject(struct http_response *resp, int code, json_t *details)
{
    http_resp_error(resp, code, details, NULL, NULL);
    return code;
}

int chatd__json(struct http_response *resp, int status, char *text, size_t len)
{
    http_resp_take(resp, status, "application/json", text, len);
    return 0;
}

int chatd__unknown(struct http_response *resp, int code, const char *uuid)
{
    const char *what = "room";
    const char *resource = "rooms";
    if (code == HE_UNKNOWN_MESSAGE) {
        what = "message";
        resource = "messages";
    } else if (code == HE_UNKNOWN_USER) {
        what = "user";
        resource = "users";
    }
    char *message = xasprintf("No such %s: \"%s\"", what, uuid);
    http_resp_error(resp, code, json_pack("{s:s}", "uuid", uuid), resource, message);
    free(message);
    return code;
}

int chatd__fail(struct http_response *resp, int code)
{
    if (he_status(code) >= 500) {
        log_err("msg=\"request failed\" err=%s", he_name(code));
    }
    http_resp_error(resp, code, NULL, NULL, NULL);
    return code;
}

/* Events on their way to the loop: built on the worker, published after the answer. */
struct chatd_publish {
    struct app *app; /* app->bus is read on the loop: NULL once the server tears it down */
    size_t n;
    struct store_event **evs;
    struct envelope **envs;
};

static void publish_after(struct loop *loop, void *arg)
{
    (void)loop;
    struct chatd_publish *p = arg;
    for (size_t i = 0; i < p->n; i++) {
        if (p->envs[i] && p->app->bus) {
            bus_publish(p->app->bus, p->evs[i], p->envs[i]);
        } else {
            envelope_unref(p->envs[i]);
            store_event_free(p->evs[i]);
        }
    }
    free(p->evs);
    free(p->envs);
    free(p);
}

void chatd__publish(struct chatd *c, struct http_response *resp, struct render_events *evs)
{
    if (evs->count == 0) {
        render_events_release(evs);
        return;
    }
    struct chatd_publish *p = xcalloc(1, sizeof(*p));
    p->app = c->app;
    p->n = evs->count;
    p->evs = evs->items;
    p->envs = xcalloc(p->n, sizeof(struct envelope *));
    for (size_t i = 0; i < p->n; i++) {
        int rc = bus_envelope_from_store(p->evs[i], c->app->stack_uuid, &p->envs[i]);
        if (rc < 0) {
            /* Committed but not deliverable: a catalog bug, never the client's fault. */
            log_err("msg=\"event has no envelope\" name=%s seq=%lld err=%s", p->evs[i]->name,
                    (long long)p->evs[i]->seq, he_name(rc));
            p->envs[i] = NULL;
        }
    }
    evs->items = NULL;
    evs->count = 0;
    http_resp_after(resp, publish_after, p);
}

/* GET /status (wazo-api.md 3.8): answered from the request path, no dependency to probe. */
static int status_get(const struct http_request *req, struct http_response *resp, void *ctx)
{
    struct chatd *c = ctx;
    struct auth_identity id = {0};
    int rc = chatd__auth(c, req, resp, "chatd.status.read", NULL, 0, &id);
    if (rc < 0) {
        return rc;
    }
    auth_identity_release(&id);
    json_t *ok = json_pack("{s:s}", "status", "ok");
    http_resp_json(resp, 200,
                   json_pack("{s:O, s:O, s:O, s:O}", "rest_api", ok, "bus_consumer", ok,
                             "presence_initialization", ok, "master_tenant", ok));
    json_decref(ok);
    return 0;
}

static void chatd_free(void *ctx)
{
    free(ctx);
}

int api_chatd_register(struct http_router *router, struct app *app)
{
    struct chatd *c = xcalloc(1, sizeof(*c));
    c->app = app;
    c->max_room_members = app->cfg->max_room_members;
    c->message_fields[0] =
        (struct validate_field){"content", VALIDATE_STRING, VALIDATE_REQUIRED | VALIDATE_MAX,
                                .max = app->cfg->message_max_chars};
    c->message_fields[1] = (struct validate_field){
        "alias", VALIDATE_STRING, VALIDATE_NULLABLE | VALIDATE_MAX, .max = CHATD_ALIAS_MAX};
    struct http_route *r = http_route_add(router, "GET", "/api/chatd/1.0/status", status_get, c, 0);
    if (!r) {
        free(c);
        return HE_INTERNAL;
    }
    /* Every chatd route shares c; the router frees it once, with this route. */
    http_route_own_ctx(r, chatd_free);
    int rc = chatd__rooms_register(router, c);
    if (rc == 0) {
        rc = chatd__messages_register(router, c);
    }
    if (rc == 0) {
        rc = chatd__presences_register(router, c);
    }
    if (rc == 0) {
        rc = chatd__reactions_register(router, c);
    }
    return rc;
}
