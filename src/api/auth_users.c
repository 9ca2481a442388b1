/*
 * auth_users (api): wazo-auth's user management, for administrators (the users plugin of
 * wazo-auth: POST/GET /users, GET/DELETE /users/{uuid}, PUT /users/{uuid}/password), on the
 * same domain functions as `huard user` (domain/auth.h).
 *
 * Shapes follow wazo-auth: 200 (not 201) with the user object on create; errors in the
 * xivo shape (wazo-api.md 1.3) with `resource: "users"`; a bad body gives 400 invalid-data
 * whose message and details are the first field error (wazo-auth's UserParamException);
 * a taken username 409 conflict with {"username": {"constraint_id": "unique", ...}}.
 * Authentication comes first (wazo-api.md 1.6): a missing ACL is chatd's 401.
 *
 * Huard extension: an optional boolean `admin` on create, and `admin` in the user object.
 * A password is required on create (wazo-auth allows none for external authentication,
 * which Huard does not have).
 */
#define LOG_MODULE "auth"
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/app.h"
#include "api/auth.h"
#include "api/auth_internal.h"
#include "api/validate.h"
#include "base/err.h"
#include "base/log.h"
#include "base/time.h"
#include "domain/acl.h"
#include "domain/auth.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"
#include "store/store.h"

#include "base/banned.h"

json_t *auth__user_json(const struct store_user *u)
{
    json_t *o = json_pack("{s:s, s:s, s:s?, s:s?, s:s, s:s, s:b, s:[], s:s, s:b}", "uuid", u->uuid,
                          "username", u->username, "firstname", u->firstname, "lastname",
                          u->lastname, "purpose", "user", "tenant_uuid", u->tenant_uuid, "enabled",
                          1, "emails", "authentication_method", "default", "admin", u->admin);
    BUG_ON(o == NULL);
    return o;
}

/* An error in the xivo shape with an error_id the err.h table does not carry. */
static void users_error(struct http_response *resp, int status, const char *error_id,
                        const char *message, json_t *details)
{
    json_t *body = json_pack("{s:s, s:s, s:o, s:f, s:s}", "message", message, "error_id", error_id,
                             "details", details != NULL ? details : json_object(), "timestamp",
                             (double)time_now_us() / 1e6, "resource", "users");
    BUG_ON(body == NULL);
    http_resp_json(resp, status, body);
}

/*
 * wazo-auth reports only the first field error: message = its message, details =
 * {field: leaf} (a validator list gives its first leaf). Returns a new details object and
 * points *message into it.
 */
static json_t *users_first_error(const json_t *details, const char **message)
{
    *message = "Sent data is invalid";
    void *it = json_object_iter((json_t *)details);
    if (it == NULL) {
        return json_object();
    }
    const char *field = json_object_iter_key(it);
    json_t *leaf = json_object_iter_value(it);
    if (json_is_array(leaf) && json_array_size(leaf) > 0) {
        leaf = json_array_get(leaf, 0);
    }
    json_t *out = json_object();
    json_object_set(out, field, leaf);
    json_t *msg = json_is_object(leaf) ? json_object_get(leaf, "message") : leaf;
    if (json_is_string(msg)) {
        *message = json_string_value(msg);
    }
    return out;
}

static int users_invalid(struct http_response *resp, const json_t *details)
{
    const char *message;
    json_t *first = users_first_error(details, &message);
    http_resp_error(resp, HE_INVAL, first, "users", message);
    return 0;
}

static int users_unknown(struct http_response *resp, const char *uuid)
{
    json_t *u = auth__text_json(uuid); /* a path value that is no uuid may be any bytes */
    char *message = xasprintf("No such user: \"%s\"", json_string_value(u));
    http_resp_error(resp, HE_UNKNOWN_USER, json_pack("{s:o}", "uuid", u), "users", message);
    free(message);
    return 0;
}

/* The JSON body, parsed only once the caller is authenticated (wazo-api.md 1.6). */
static json_t *users_body(const struct http_request *req, struct http_response *resp)
{
    size_t len = 0;
    const char *raw = http_request_body(req, &len);
    json_error_t jerr;
    json_t *body = json_loadb(raw, len, JSON_DECODE_ANY, &jerr);
    if (body == NULL) {
        http_resp_error(resp, HE_BAD_JSON, NULL, NULL, NULL);
    }
    return body;
}

/*
 * Authenticates a route with the user uuid in its path against the ACL tmpl with the path's
 * value in it, e.g. auth.users.{}.delete. Returns 0 with *id filled (release it), or a
 * negative code with resp set.
 */
static int users_auth(struct auth_api *api, const struct http_request *req,
                      struct http_response *resp, const char *tmpl, struct auth_identity *id)
{
    const char *param = http_request_param(req, "user_uuid");
    const char *params[] = {param != NULL ? param : ""};
    char acl[ACL_MAX_LEN + 1];
    if (acl_format(acl, sizeof(acl), tmpl, params, 1) < 0) {
        /* Too long to be a uuid: only a pattern covering every user can allow it. */
        BUG_ON(acl_format(acl, sizeof(acl), tmpl, (const char *const[]){"*"}, 1) < 0);
    }
    return api_auth_require(api->app, req, resp, acl, id);
}

/* The path's user uuid, canonical, into out; false with the 404 answered when it is none. */
static bool users_path_uuid(const struct http_request *req, struct http_response *resp,
                            char out[UUID_STR_LEN])
{
    const char *param = http_request_param(req, "user_uuid");
    if (param != NULL && uuid_normalize(param, strlen(param), out)) {
        return true;
    }
    users_unknown(resp, param != NULL ? param : "");
    return false;
}

/* ---------------------------------------------------------------------------------------- */
/* POST /0.1/users                                                                          */

enum { U_UUID, U_USERNAME, U_PASSWORD, U_FIRSTNAME, U_LASTNAME, U_ADMIN };
static const struct validate_field user_fields[] = {
    [U_UUID] = {"uuid", VALIDATE_UUID, 0},
    [U_USERNAME] = {"username", VALIDATE_STRING, VALIDATE_REQUIRED | VALIDATE_MIN | VALIDATE_MAX,
                    .min = 1, .max = 256},
    [U_PASSWORD] = {"password", VALIDATE_STRING, VALIDATE_REQUIRED | VALIDATE_MIN | VALIDATE_MAX,
                    .min = 1, .max = 1024},
    [U_FIRSTNAME] = {"firstname", VALIDATE_STRING, VALIDATE_NULLABLE | VALIDATE_MAX, .max = 256},
    [U_LASTNAME] = {"lastname", VALIDATE_STRING, VALIDATE_NULLABLE | VALIDATE_MAX, .max = 256},
    [U_ADMIN] = {"admin", VALIDATE_BOOL, VALIDATE_DEFAULT, .default_int = 0},
};

static int h_users_create(const struct http_request *req, struct http_response *resp, void *ctx)
{
    struct auth_api *api = ctx;
    struct auth_identity id;
    json_t *body = NULL;
    json_t *details = NULL;
    struct store_user *user = NULL;
    struct validate_value v[HU_ARRAY_LEN(user_fields)];

    int rc = api_auth_require(api->app, req, resp, "auth.users.create", &id);
    if (rc < 0) {
        return rc;
    }
    body = users_body(req, resp);
    if (body == NULL) {
        goto out;
    }
    if (validate_json(body, user_fields, HU_ARRAY_LEN(user_fields), v, &details) < 0) {
        users_invalid(resp, details);
        goto out;
    }
    if (memchr(v[U_USERNAME].s, '\0', v[U_USERNAME].len) != NULL ||
        auth_username_check(v[U_USERNAME].s, v[U_USERNAME].len) < 0) {
        http_resp_error(resp, HE_INVAL,
                        json_pack("{s:{s:s, s:s, s:s}}", "username", "constraint_id", "regex",
                                  "constraint", "[^:\\x00-\\x1f\\x7f-\\x9f]+", "message",
                                  "String does not match expected pattern."),
                        "users", "String does not match expected pattern.");
        goto out;
    }

    const char *conflict = NULL;
    struct auth_user_spec spec = {
        .tenant_uuid = id.tenant_uuid,
        .uuid = v[U_UUID].present ? v[U_UUID].uuid : NULL,
        .username = v[U_USERNAME].s,
        .password = v[U_PASSWORD].s,
        .password_len = v[U_PASSWORD].len,
        .firstname = v[U_FIRSTNAME].is_null ? NULL : v[U_FIRSTNAME].s,
        .lastname = v[U_LASTNAME].is_null ? NULL : v[U_LASTNAME].s,
        .admin = v[U_ADMIN].i != 0,
    };
    rc = auth_user_create(api->app->store, api->hasher, &spec, &user, &conflict);
    if (rc == HE_EXISTS) {
        const char *field = conflict != NULL ? conflict : "username";
        const char *value = strcmp(field, "uuid") == 0 ? spec.uuid : spec.username;
        char *msg = xasprintf("The %s \"%s\" is already used",
                              strcmp(field, "uuid") == 0 ? "uuid" : "login", value);
        http_resp_error(
            resp, HE_EXISTS,
            json_pack("{s:{s:s, s:s}}", field, "constraint_id", "unique", "message", msg), "users",
            "Conflict detected");
        free(msg);
        rc = 0;
        goto out;
    }
    if (rc < 0) {
        goto out;
    }
    log_info("msg=user_created req=%llu user=%s by=%s admin=%d",
             (unsigned long long)http_request_id(req), user->uuid, id.user_uuid, user->admin);
    http_resp_json(resp, 200, auth__user_json(user));
out:
    auth_identity_release(&id);
    store_user_free(user);
    json_decref(details);
    json_decref(body);
    return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* GET /0.1/users                                                                           */

enum { L_LIMIT, L_OFFSET, L_ORDER, L_DIRECTION, L_SEARCH };
static const char *const list_orders[] = {"username", "firstname", "lastname", NULL};
static const char *const list_directions[] = {"asc", "desc", NULL};
static const struct validate_field list_fields[] = {
    [L_LIMIT] = {"limit", VALIDATE_INT, VALIDATE_MIN, .min = 0},
    [L_OFFSET] = {"offset", VALIDATE_INT, VALIDATE_MIN | VALIDATE_DEFAULT, .min = 0},
    [L_ORDER] = {"order", VALIDATE_ENUM, VALIDATE_DEFAULT, .choices = list_orders,
                 .default_str = "username"},
    [L_DIRECTION] = {"direction", VALIDATE_ENUM, VALIDATE_DEFAULT, .choices = list_directions,
                     .default_str = "asc"},
    [L_SEARCH] = {"search", VALIDATE_STRING, 0},
};

static const char *users_query_get(void *ctx, const char *name)
{
    return http_request_query(ctx, name);
}

static const char *user_field(const struct store_user *u, int order)
{
    const char *s = order == 1 ? u->firstname : order == 2 ? u->lastname : u->username;
    return s != NULL ? s : "";
}

/* qsort has no context argument: the sort key rides in each element. */
struct users_sort_item {
    const struct store_user *u;
    int order;
    bool desc;
};

static int users_sort_cmp(const void *a, const void *b)
{
    const struct users_sort_item *x = a;
    const struct users_sort_item *y = b;
    int c = strcmp(user_field(x->u, x->order), user_field(y->u, y->order));
    if (c == 0) {
        c = strcmp(x->u->uuid, y->u->uuid);
    }
    return x->desc ? -c : c;
}

static bool user_matches(const struct store_user *u, const char *search)
{
    return strcasestr(u->username, search) != NULL ||
           (u->firstname != NULL && strcasestr(u->firstname, search) != NULL) ||
           (u->lastname != NULL && strcasestr(u->lastname, search) != NULL);
}

static int h_users_list(const struct http_request *req, struct http_response *resp, void *ctx)
{
    struct auth_api *api = ctx;
    struct auth_identity id;
    json_t *details = NULL;
    struct store_tx *tx = NULL;
    struct store_user_list *list = NULL;
    struct users_sort_item *items = NULL;
    struct validate_value v[HU_ARRAY_LEN(list_fields)];

    int rc = api_auth_require(api->app, req, resp, "auth.users.read", &id);
    if (rc < 0) {
        return rc;
    }
    if (validate_query(users_query_get, (void *)req, list_fields, HU_ARRAY_LEN(list_fields), v,
                       &details) < 0) {
        const char *message;
        json_t *first = users_first_error(details, &message);
        users_error(resp, 400, "invalid-list-param", message, first);
        goto out;
    }
    rc = store_tx_begin_read(api->app->store, &tx);
    if (rc < 0) {
        goto out;
    }
    rc = store_user_list(tx, id.tenant_uuid, &list);
    store_tx_rollback(tx);
    if (rc < 0) {
        goto out;
    }

    const char *search = v[L_SEARCH].present && v[L_SEARCH].len > 0 ? v[L_SEARCH].s : NULL;
    size_t n = 0;
    items = xcalloc(list->count == 0 ? 1 : list->count, sizeof(*items));
    for (size_t i = 0; i < list->count; i++) {
        if (search == NULL || user_matches(&list->items[i], search)) {
            items[n++] =
                (struct users_sort_item){&list->items[i], (int)v[L_ORDER].i, v[L_DIRECTION].i == 1};
        }
    }
    qsort(items, n, sizeof(*items), users_sort_cmp);

    size_t offset = (uint64_t)v[L_OFFSET].i > n ? n : (size_t)v[L_OFFSET].i;
    size_t end = n;
    if (v[L_LIMIT].present && (uint64_t)v[L_LIMIT].i < n - offset) {
        end = offset + (size_t)v[L_LIMIT].i;
    }
    json_t *arr = json_array();
    for (size_t i = offset; i < end; i++) {
        json_array_append_new(arr, auth__user_json(items[i].u));
    }
    http_resp_json(resp, 200,
                   json_pack("{s:o, s:I, s:I}", "items", arr, "filtered", (json_int_t)n, "total",
                             (json_int_t)list->count));
out:
    auth_identity_release(&id);
    free(items);
    store_user_list_free(list);
    json_decref(details);
    return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* GET / DELETE /0.1/users/{user_uuid}                                                      */

static int h_user_get(const struct http_request *req, struct http_response *resp, void *ctx)
{
    struct auth_api *api = ctx;
    struct auth_identity id;
    struct store_user *user = NULL;
    char uuid[UUID_STR_LEN];

    int rc = users_auth(api, req, resp, "auth.users.{}.read", &id);
    if (rc < 0) {
        return rc;
    }
    if (!users_path_uuid(req, resp, uuid)) {
        goto out;
    }
    rc = auth_user_get(api->app->store, id.tenant_uuid, uuid, &user);
    if (rc == HE_UNKNOWN_USER) {
        rc = users_unknown(resp, uuid);
        goto out;
    }
    if (rc < 0) {
        goto out;
    }
    http_resp_json(resp, 200, auth__user_json(user));
out:
    auth_identity_release(&id);
    store_user_free(user);
    return rc;
}

static int h_user_delete(const struct http_request *req, struct http_response *resp, void *ctx)
{
    struct auth_api *api = ctx;
    struct auth_identity id;
    char uuid[UUID_STR_LEN];

    int rc = users_auth(api, req, resp, "auth.users.{}.delete", &id);
    if (rc < 0) {
        return rc;
    }
    if (!users_path_uuid(req, resp, uuid)) {
        goto out;
    }
    rc = auth_user_delete(api->app->store, id.tenant_uuid, uuid);
    if (rc == HE_UNKNOWN_USER) {
        rc = users_unknown(resp, uuid);
        goto out;
    }
    if (rc < 0) {
        goto out;
    }
    log_info("msg=user_deleted req=%llu user=%s by=%s", (unsigned long long)http_request_id(req),
             uuid, id.user_uuid);
    http_resp_status(resp, 204);
out:
    auth_identity_release(&id);
    return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* PUT /0.1/users/{user_uuid}/password                                                      */

enum { P_OLD, P_NEW };
static const struct validate_field password_fields[] = {
    [P_OLD] = {"old_password", VALIDATE_STRING, VALIDATE_MIN | VALIDATE_MAX, .min = 1, .max = 1024},
    [P_NEW] = {"new_password", VALIDATE_STRING, VALIDATE_REQUIRED | VALIDATE_MIN | VALIDATE_MAX,
               .min = 1, .max = 1024},
};

static int h_user_password(const struct http_request *req, struct http_response *resp, void *ctx)
{
    struct auth_api *api = ctx;
    struct auth_identity id;
    json_t *body = NULL;
    json_t *details = NULL;
    struct validate_value v[HU_ARRAY_LEN(password_fields)];
    char uuid[UUID_STR_LEN];

    int rc = users_auth(api, req, resp, "auth.users.{}.password.edit", &id);
    if (rc < 0) {
        return rc;
    }
    body = users_body(req, resp);
    if (body == NULL) {
        goto out;
    }
    if (validate_json(body, password_fields, HU_ARRAY_LEN(password_fields), v, &details) < 0) {
        users_invalid(resp, details);
        goto out;
    }
    /* wazo-auth requires the old password; an administrator may reset without it. */
    if (!v[P_OLD].present && !id.admin) {
        const char *msg = "Missing data for required field.";
        http_resp_error(resp, HE_INVAL,
                        json_pack("{s:{s:s, s:s, s:s}}", "old_password", "constraint_id",
                                  "required", "constraint", "required", "message", msg),
                        "users", msg);
        goto out;
    }
    if (!users_path_uuid(req, resp, uuid)) {
        goto out;
    }
    rc = auth_user_password_set(api->app->store, api->hasher, id.tenant_uuid, uuid,
                                v[P_OLD].present ? v[P_OLD].s : NULL, v[P_OLD].len, v[P_NEW].s,
                                v[P_NEW].len);
    if (rc == HE_UNKNOWN_USER) {
        rc = users_unknown(resp, uuid);
        goto out;
    }
    if (rc == HE_UNAUTHORIZED) {
        /* A wrong old password: wazo-auth's AuthenticationFailedException. */
        auth__legacy_error(resp, 401, "Authentication Failed");
        rc = 0;
        goto out;
    }
    if (rc < 0) {
        goto out;
    }
    log_info("msg=password_changed req=%llu user=%s by=%s",
             (unsigned long long)http_request_id(req), uuid, id.user_uuid);
    http_resp_status(resp, 204);
out:
    auth_identity_release(&id);
    json_decref(details);
    json_decref(body);
    return rc;
}

int auth__users_register(struct http_router *router, struct auth_api *api)
{
    if (http_route_add(router, "POST", "/api/auth/0.1/users", h_users_create, api, 0) == NULL ||
        http_route_add(router, "GET", "/api/auth/0.1/users", h_users_list, api, 0) == NULL ||
        http_route_add(router, "GET", "/api/auth/0.1/users/{user_uuid}", h_user_get, api, 0) ==
            NULL ||
        http_route_add(router, "DELETE", "/api/auth/0.1/users/{user_uuid}", h_user_delete, api,
                       0) == NULL ||
        http_route_add(router, "PUT", "/api/auth/0.1/users/{user_uuid}/password", h_user_password,
                       api, 0) == NULL) {
        return HE_INTERNAL;
    }
    return 0;
}
