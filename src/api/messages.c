/*
 * messages: a room's history, posting, and the search across rooms
 * (/api/chatd/1.0/users/me/rooms/..., wazo-api.md 3.4-3.6).
 */
#define LOG_MODULE "chatd"
#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "api/auth.h"
#include "api/chatd_internal.h"
#include "base/err.h"
#include "domain/messages.h"
#include "domain/render.h"
#include "domain/rooms.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"
#include "store/store.h"

static const char *const order_choices[] = {"created_at", NULL};
static const char *const direction_choices[] = {"asc", "desc", NULL};
static const char *const distinct_choices[] = {"room_uuid", NULL};
#define DIRECTION_ASC 0 /* index of "asc" in direction_choices */

/* The page parameters shared by 3.4 and 3.6. limit defaults to and stops at CHATD_PAGE_MAX
 * (DESIGN.md section 6): chatd answers every message when limit is absent. */
#define PAGE_FIELDS                                                                                \
    {"limit",  VALIDATE_INT,          VALIDATE_MIN | VALIDATE_MAX | VALIDATE_DEFAULT,              \
     .min = 0, .max = CHATD_PAGE_MAX, .default_int = CHATD_PAGE_MAX},                              \
        {"offset", VALIDATE_INT, VALIDATE_MIN | VALIDATE_DEFAULT, .min = 0, .default_int = 0},     \
        {"order", VALIDATE_ENUM, VALIDATE_DEFAULT, .choices = order_choices,                       \
         .default_str = "created_at"},                                                             \
        {"direction", VALIDATE_ENUM, VALIDATE_DEFAULT, .choices = direction_choices,               \
         .default_str = "desc"},                                                                   \
    {                                                                                              \
        "search", VALIDATE_STRING, .flags = 0                                                      \
    }

enum { Q_LIMIT, Q_OFFSET, Q_ORDER, Q_DIRECTION, Q_SEARCH, Q_FROM_DATE, Q_DISTINCT = Q_FROM_DATE };

static const struct validate_field history_fields[] = {
    PAGE_FIELDS,
    {"from_date", VALIDATE_DATETIME, .flags = 0},
};

static const struct validate_field search_fields[] = {
    PAGE_FIELDS,
    {"distinct", VALIDATE_ENUM, 0, .choices = distinct_choices},
};

/* The search term of a query, NULL when absent or empty (the SDK never sends empty ones). */
static const char *search_term(const struct validate_value *v)
{
    return (v->present && v->s && v->s[0]) ? v->s : NULL;
}

/* GET /users/me/rooms/{room_uuid}/messages (wazo-api.md 3.4). */
static int history_get(const struct http_request *req, struct http_response *resp, void *ctx)
{
    struct chatd *c = ctx;
    struct auth_identity id = {0};
    struct store_message_list *list = NULL;
    char room_uuid[UUID_STR_LEN];
    if (!chatd__path_uuid(req, resp, "room_uuid", room_uuid)) {
        return HE_NOT_FOUND;
    }
    const char *params[] = {room_uuid};
    int rc = chatd__auth(c, req, resp, "chatd.users.me.rooms.{}.messages.read", params, 1, &id);
    if (rc < 0) {
        return rc;
    }
    struct validate_value v[HU_ARRAY_LEN(history_fields)];
    rc = chatd__query(req, resp, history_fields, HU_ARRAY_LEN(history_fields), v);
    if (rc < 0) {
        goto out;
    }
    struct messages_page_args args = {
        .room_uuid = room_uuid,
        .viewer_uuid = id.user_uuid,
        .limit = v[Q_LIMIT].i,
        .offset = v[Q_OFFSET].i,
        .ascending = v[Q_DIRECTION].i == DIRECTION_ASC,
        .search = search_term(&v[Q_SEARCH]),
        .has_from_date = v[Q_FROM_DATE].present,
        .from_date = v[Q_FROM_DATE].i,
    };
    rc = messages_page(c->app->store, &args, &list);
    if (rc == HE_UNKNOWN_ROOM) {
        rc = chatd__unknown(resp, rc, room_uuid);
        goto out;
    }
    if (rc < 0) {
        rc = chatd__fail(resp, rc);
        goto out;
    }
    size_t len;
    char *text = render_message_list(list, c->app->stack_uuid, &len);
    rc = chatd__json(resp, 200, text, len);
out:
    store_message_list_free(list);
    auth_identity_release(&id);
    return rc;
}

/* POST /users/me/rooms/{room_uuid}/messages (wazo-api.md 3.5). */
static int message_post(const struct http_request *req, struct http_response *resp, void *ctx)
{
    struct chatd *c = ctx;
    struct auth_identity id = {0};
    json_t *body = NULL;
    json_t *details = NULL;
    struct store_room *room = NULL;
    struct render_events evs = {0};
    char *text = NULL;
    char room_uuid[UUID_STR_LEN];
    if (!chatd__path_uuid(req, resp, "room_uuid", room_uuid)) {
        return HE_NOT_FOUND;
    }
    const char *params[] = {room_uuid};
    int rc = chatd__auth(c, req, resp, "chatd.users.me.rooms.{}.messages.create", params, 1, &id);
    if (rc < 0) {
        return rc;
    }
    struct validate_value v[HU_ARRAY_LEN(c->message_fields)] = {{0}};
    int bad = chatd__body_check(req, c->message_fields, HU_ARRAY_LEN(c->message_fields), v, &body,
                                &details);
    if (bad < 0) {
        /* chatd looks the room up before it reads the body: 404 wins over 400. */
        rc = rooms_get_for_member(c->app->store, room_uuid, id.user_uuid, &room);
        if (rc == HE_UNKNOWN_ROOM) {
            rc = chatd__unknown(resp, rc, room_uuid);
        } else if (rc < 0) {
            rc = chatd__fail(resp, rc);
        } else {
            rc = chatd__reject(resp, bad, details);
            details = NULL;
        }
        goto out;
    }
    struct messages_post_args args = {
        .room_uuid = room_uuid,
        .user_uuid = id.user_uuid,
        .tenant_uuid = id.tenant_uuid,
        .content = v[0].s,
        .content_len = v[0].len,
        .alias = (v[1].present && !v[1].is_null) ? v[1].s : NULL,
        .stack_uuid = c->app->stack_uuid,
    };
    size_t len = 0;
    rc = messages_post(c->app->store, &args, &text, &len, &evs);
    if (rc == HE_UNKNOWN_ROOM) {
        rc = chatd__unknown(resp, rc, room_uuid);
        goto out;
    }
    if (rc < 0) {
        rc = chatd__fail(resp, rc);
        goto out;
    }
    rc = chatd__json(resp, 201, text, len);
    text = NULL;
    chatd__publish(c, resp, &evs);
out:
    free(text);
    render_events_release(&evs);
    store_room_free(room);
    json_decref(body);
    json_decref(details);
    auth_identity_release(&id);
    return rc;
}

/* GET /users/me/rooms/messages (wazo-api.md 3.6). */
static int search_get(const struct http_request *req, struct http_response *resp, void *ctx)
{
    struct chatd *c = ctx;
    struct auth_identity id = {0};
    struct store_message_list *list = NULL;
    int rc = chatd__auth(c, req, resp, "chatd.users.me.rooms.messages.read", NULL, 0, &id);
    if (rc < 0) {
        return rc;
    }
    struct validate_value v[HU_ARRAY_LEN(search_fields)];
    rc = chatd__query(req, resp, search_fields, HU_ARRAY_LEN(search_fields), v);
    if (rc < 0) {
        goto out;
    }
    const char *term = search_term(&v[Q_SEARCH]);
    bool distinct = v[Q_DISTINCT].present;
    if (!term && !distinct) {
        /* chatd's schema-level check, wazo-26 shape (wazo-api.md 3.6). */
        rc = chatd__reject(resp, HE_INVAL,
                           json_pack("{s:s}", "_schema", "Missing search or distinct"));
        goto out;
    }
    struct messages_search_args args = {
        .user_uuid = id.user_uuid,
        .limit = v[Q_LIMIT].i,
        .offset = v[Q_OFFSET].i,
        .ascending = v[Q_DIRECTION].i == DIRECTION_ASC,
        .search = term,
        .distinct_room = distinct,
    };
    rc = messages_search(c->app->store, &args, &list);
    if (rc < 0) {
        rc = chatd__fail(resp, rc);
        goto out;
    }
    size_t len;
    char *text = render_message_list(list, c->app->stack_uuid, &len);
    rc = chatd__json(resp, 200, text, len);
out:
    store_message_list_free(list);
    auth_identity_release(&id);
    return rc;
}

int chatd__messages_register(struct http_router *router, struct chatd *c)
{
    if (!http_route_add(router, "GET", "/api/chatd/1.0/users/me/rooms/{room_uuid}/messages",
                        history_get, c, 0) ||
        !http_route_add(router, "POST", "/api/chatd/1.0/users/me/rooms/{room_uuid}/messages",
                        message_post, c, 0) ||
        !http_route_add(router, "GET", "/api/chatd/1.0/users/me/rooms/messages", search_get, c,
                        0)) {
        return HE_INTERNAL;
    }
    return 0;
}
