/*
 * rooms: POST and GET /api/chatd/1.0/users/me/rooms (wazo-api.md 3.2, 3.3).
 */
#define LOG_MODULE "chatd"
#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "api/auth.h"
#include "api/chatd_internal.h"
#include "base/err.h"
#include "domain/render.h"
#include "domain/rooms.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"
#include "store/store.h"

enum { RU_UUID, RU_TENANT, RU_WAZO, RU_IDENTITY };
static const struct validate_field room_user_fields[] = {
    [RU_UUID] = {"uuid", VALIDATE_UUID, VALIDATE_REQUIRED},
    [RU_TENANT] = {"tenant_uuid", VALIDATE_UUID, 0},
    [RU_WAZO] = {"wazo_uuid", VALIDATE_UUID, 0},
    [RU_IDENTITY] = {"identity", VALIDATE_STRING, VALIDATE_NULLABLE | VALIDATE_MIN, .min = 1},
};

enum { RC_NAME, RC_USERS };
static const struct validate_field room_create_fields[] = {
    [RC_NAME] = {"name", VALIDATE_STRING, VALIDATE_NULLABLE},
    [RC_USERS] = {"users", VALIDATE_OBJECT_ARRAY, 0, .sub = room_user_fields,
                  .nsub = HU_ARRAY_LEN(room_user_fields)},
};

/* Reads a validated users[] entry (uuid required, tenant_uuid optional). */
static void read_user(const json_t *item, struct rooms_user *u)
{
    const char *s = json_string_value(json_object_get(item, "uuid"));
    BUG_ON(!s || !uuid_normalize(s, strlen(s), u->uuid)); /* validated */
    u->tenant_uuid[0] = '\0';
    const char *t = json_string_value(json_object_get(item, "tenant_uuid"));
    if (t) {
        BUG_ON(!uuid_normalize(t, strlen(t), u->tenant_uuid));
    }
}

/* POST /users/me/rooms: create or find (wazo-api.md 3.2). */
static int rooms_post(const struct http_request *req, struct http_response *resp, void *ctx)
{
    struct chatd *c = ctx;
    struct auth_identity id = {0};
    json_t *body = NULL;
    json_t *details = NULL;
    struct rooms_user *users = NULL;
    struct store_room *room = NULL;
    struct render_events evs = {0};
    int rc = chatd__auth(c, req, resp, "chatd.users.me.rooms.create", NULL, 0, &id);
    if (rc < 0) {
        return rc;
    }
    struct validate_value v[HU_ARRAY_LEN(room_create_fields)];
    rc = chatd__body_check(req, room_create_fields, HU_ARRAY_LEN(room_create_fields), v, &body,
                           &details);
    if (rc < 0) {
        rc = chatd__reject(resp, rc, details);
        details = NULL;
        goto out;
    }
    size_t n = v[RC_USERS].present ? json_array_size(v[RC_USERS].json) : 0;
    users = xcalloc(n ? n : 1, sizeof(*users));
    for (size_t i = 0; i < n; i++) {
        read_user(json_array_get(v[RC_USERS].json, i), &users[i]);
    }
    struct rooms_create_args args = {
        .tenant_uuid = id.tenant_uuid,
        .creator_uuid = id.user_uuid,
        .name = (v[RC_NAME].present && !v[RC_NAME].is_null) ? v[RC_NAME].s : NULL,
        .users = users,
        .n_users = n,
        .max_members = c->max_room_members,
        .stack_uuid = c->app->stack_uuid,
    };
    struct rooms_create_error err;
    bool created = false;
    rc = rooms_create(c->app->store, &args, &room, &created, &evs, &err);
    if (rc == HE_DUPLICATE_USER) {
        http_resp_error(resp, rc, NULL, "rooms", NULL);
        goto out;
    }
    if (rc == HE_INVAL) {
        /* chatd's size error is one leaf, not a list (wazo-api.md 3.2 step 4). */
        rc = chatd__reject(
            resp, HE_INVAL,
            json_pack("{s:o}", "users",
                      validate_error_length(VALIDATE_MIN | VALIDATE_MAX, ROOMS_MIN_MEMBERS,
                                            c->max_room_members, (int64_t)err.size)));
        goto out;
    }
    if (rc == HE_UNKNOWN_USER) {
        /* Huard's own rule: members must be users of the creator's tenant. chatd does not
         * check; the error names the entry, in the nested-list detail format (1.4). */
        char index[24];
        (void)snprintf(index, sizeof(index), "%zu", err.index);
        json_t *leaf = json_pack("{s:s, s:s, s:s}", "constraint_id", "exists", "constraint",
                                 err.tenant ? "tenant" : "user", "message",
                                 err.tenant ? "Not the tenant of the creator."
                                            : "No such user in this tenant.");
        rc = chatd__reject(
            resp, HE_INVAL,
            json_pack("{s:{s:{s:o}}}", "users", index, err.tenant ? "tenant_uuid" : "uuid", leaf));
        goto out;
    }
    if (rc < 0) {
        rc = chatd__fail(resp, rc);
        goto out;
    }
    size_t len;
    char *text = render_room(room, c->app->stack_uuid, -1, &len);
    rc = chatd__json(resp, 201, text, len);
    chatd__publish(c, resp, &evs);
out:
    render_events_release(&evs);
    store_room_free(room);
    free(users);
    json_decref(body);
    json_decref(details);
    auth_identity_release(&id);
    return rc;
}

static const struct validate_field room_list_fields[] = {
    {"user_uuid", VALIDATE_UUID_LIST, .flags = 0},
};

/* GET /users/me/rooms (wazo-api.md 3.3). */
static int rooms_get(const struct http_request *req, struct http_response *resp, void *ctx)
{
    struct chatd *c = ctx;
    struct auth_identity id = {0};
    char(*with)[UUID_STR_LEN] = NULL;
    struct store_room_list *rooms = NULL;
    int64_t *unread = NULL;
    int rc = chatd__auth(c, req, resp, "chatd.users.me.rooms.read", NULL, 0, &id);
    if (rc < 0) {
        return rc;
    }
    struct validate_value v[1];
    rc = chatd__query(req, resp, room_list_fields, 1, v);
    if (rc < 0) {
        goto out;
    }
    size_t n = chatd__uuid_list(&v[0], &with);
    rc = rooms_list(c->app->store, id.user_uuid, (const char(*)[UUID_STR_LEN])with, n, &rooms,
                    &unread);
    if (rc < 0) {
        rc = chatd__fail(resp, rc);
        goto out;
    }
    size_t len;
    char *text = render_room_list(rooms, unread, c->app->stack_uuid, &len);
    rc = chatd__json(resp, 200, text, len);
out:
    free(with);
    free(unread);
    store_room_list_free(rooms);
    auth_identity_release(&id);
    return rc;
}

int chatd__rooms_register(struct http_router *router, struct chatd *c)
{
    if (!http_route_add(router, "POST", "/api/chatd/1.0/users/me/rooms", rooms_post, c, 0) ||
        !http_route_add(router, "GET", "/api/chatd/1.0/users/me/rooms", rooms_get, c, 0)) {
        return HE_INTERNAL;
    }
    return 0;
}
