/*
 * presences: /api/chatd/1.0/users/presences and /users/{user_uuid}/presences
 * (wazo-api.md 3.7, 5.4).
 */
#define LOG_MODULE "chatd"
#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "api/auth.h"
#include "api/chatd_internal.h"
#include "base/err.h"
#include "domain/presences.h"
#include "domain/render.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"
#include "store/store.h"

enum { PL_USERS, PL_RECURSE };
static const struct validate_field presence_list_fields[] = {
    [PL_USERS] = {"user_uuid", VALIDATE_UUID_LIST, .flags = 0},
    /* Huard has no sub-tenants: recurse is checked as chatd does, then has no effect. */
    [PL_RECURSE] = {"recurse", VALIDATE_BOOL, VALIDATE_DEFAULT, .default_int = 0},
};

/* GET /users/presences */
static int presences_list_get(const struct http_request *req, struct http_response *resp, void *ctx)
{
    struct chatd *c = ctx;
    struct auth_identity id = {0};
    char(*uuids)[UUID_STR_LEN] = NULL;
    struct store_presence_list *list = NULL;
    int rc = chatd__auth(c, req, resp, "chatd.users.presences.read", NULL, 0, &id);
    if (rc < 0) {
        return rc;
    }
    struct validate_value v[HU_ARRAY_LEN(presence_list_fields)];
    rc = chatd__query(req, resp, presence_list_fields, HU_ARRAY_LEN(presence_list_fields), v);
    if (rc < 0) {
        goto out;
    }
    size_t n = chatd__uuid_list(&v[PL_USERS], &uuids);
    rc =
        presences_list(c->app->store, id.tenant_uuid, (const char(*)[UUID_STR_LEN])uuids, n, &list);
    if (rc < 0) {
        rc = chatd__fail(resp, rc);
        goto out;
    }
    size_t len;
    char *text = render_presence_list(list, &len);
    rc = chatd__json(resp, 200, text, len);
out:
    store_presence_list_free(list);
    free(uuids);
    auth_identity_release(&id);
    return rc;
}

/* GET /users/{user_uuid}/presences */
static int presence_get(const struct http_request *req, struct http_response *resp, void *ctx)
{
    struct chatd *c = ctx;
    struct auth_identity id = {0};
    struct store_presence *p = NULL;
    char user_uuid[UUID_STR_LEN];
    if (!chatd__path_uuid(req, resp, "user_uuid", user_uuid)) {
        return HE_NOT_FOUND;
    }
    const char *params[] = {user_uuid};
    int rc = chatd__auth(c, req, resp, "chatd.users.{}.presences.read", params, 1, &id);
    if (rc < 0) {
        return rc;
    }
    rc = presences_get(c->app->store, id.tenant_uuid, user_uuid, &p);
    if (rc == HE_UNKNOWN_USER) {
        rc = chatd__unknown(resp, rc, user_uuid);
    } else if (rc < 0) {
        rc = chatd__fail(resp, rc);
    } else {
        size_t len;
        char *text = render_presence(p, &len);
        rc = chatd__json(resp, 200, text, len);
    }
    store_presence_free(p);
    auth_identity_release(&id);
    return rc;
}

enum { PP_STATE, PP_STATUS };
static const struct validate_field presence_put_fields[] = {
    [PP_STATE] = {"state", VALIDATE_ENUM, VALIDATE_REQUIRED, .choices = presences_states},
    [PP_STATUS] = {"status", VALIDATE_STRING, VALIDATE_NULLABLE},
};

/* PUT /users/{user_uuid}/presences: the user is looked up before the body is read (404
 * before 400, wazo-api.md 3.7). */
static int presence_put(const struct http_request *req, struct http_response *resp, void *ctx)
{
    struct chatd *c = ctx;
    struct auth_identity id = {0};
    struct store_presence *p = NULL;
    json_t *body = NULL;
    json_t *details = NULL;
    struct render_events evs = {0};
    char user_uuid[UUID_STR_LEN];
    if (!chatd__path_uuid(req, resp, "user_uuid", user_uuid)) {
        return HE_NOT_FOUND;
    }
    const char *params[] = {user_uuid};
    int rc = chatd__auth(c, req, resp, "chatd.users.{}.presences.update", params, 1, &id);
    if (rc < 0) {
        return rc;
    }
    rc = presences_get(c->app->store, id.tenant_uuid, user_uuid, &p);
    if (rc == HE_UNKNOWN_USER) {
        rc = chatd__unknown(resp, rc, user_uuid);
        goto out;
    }
    if (rc < 0) {
        rc = chatd__fail(resp, rc);
        goto out;
    }
    struct validate_value v[HU_ARRAY_LEN(presence_put_fields)];
    rc = chatd__body_check(req, presence_put_fields, HU_ARRAY_LEN(presence_put_fields), v, &body,
                           &details);
    if (rc < 0) {
        rc = chatd__reject(resp, rc, details);
        details = NULL;
        goto out;
    }
    const char *status = (v[PP_STATUS].present && !v[PP_STATUS].is_null) ? v[PP_STATUS].s : NULL;
    rc = presences_put(c->app->store, id.tenant_uuid, user_uuid, v[PP_STATE].s, status, &evs);
    if (rc == HE_UNKNOWN_USER) {
        rc = chatd__unknown(resp, rc, user_uuid); /* deleted meanwhile */
        goto out;
    }
    if (rc < 0) {
        rc = chatd__fail(resp, rc);
        goto out;
    }
    http_resp_status(resp, 204);
    chatd__publish(c, resp, &evs);
out:
    render_events_release(&evs);
    store_presence_free(p);
    json_decref(body);
    json_decref(details);
    auth_identity_release(&id);
    return rc;
}

int chatd__presences_register(struct http_router *router, struct chatd *c)
{
    if (!http_route_add(router, "GET", "/api/chatd/1.0/users/presences", presences_list_get, c,
                        0) ||
        !http_route_add(router, "GET", "/api/chatd/1.0/users/{user_uuid}/presences", presence_get,
                        c, 0) ||
        !http_route_add(router, "PUT", "/api/chatd/1.0/users/{user_uuid}/presences", presence_put,
                        c, 0)) {
        return HE_INTERNAL;
    }
    return 0;
}
