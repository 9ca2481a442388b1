/*
 * auth (api): wazo-auth's token routes (wazo-api.md 2.1 to 2.4), the token checks every
 * other REST handler and the websocketd protocol call (api/auth.h), and the registration of
 * the /api/auth/0.1 routes. User management lives in api/auth_users.c.
 *
 * Decisions (where wazo-auth offers more than Huard keeps):
 * - Backends: only "wazo_user"; another backend name is a failed authentication (401), as
 *   wazo-auth answers an unknown backend.
 * - `access_type: "offline"` is accepted (the SDK sends it whenever it has a client id) but
 *   no refresh token is issued: `data.refresh_token` is absent, which the SDK handles. A
 *   body carrying `refresh_token` gets 400 (legacy shape) saying refresh tokens are not
 *   supported, rather than a 401 that would look like a wrong token.
 * - `tenant_id` selects the tenant by uuid (default: the default tenant); `domain_name`
 *   and `saml_session_id` are validated and ignored.
 * - Login attempts are charged to two token buckets, the client address and the username,
 *   before the password is checked, and refunded when it was right: only failures count,
 *   and a flood is refused before it costs an argon2id computation.
 */
#define LOG_MODULE "auth"
#include "api/auth.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <sodium.h>

#include "api/app.h"
#include "api/auth_internal.h"
#include "api/ratelimit.h"
#include "api/validate.h"
#include "base/buf.h"
#include "base/config.h"
#include "base/err.h"
#include "base/log.h"
#include "base/time.h"
#include "domain/acl.h"
#include "domain/auth.h"
#include "domain/password.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"
#include "store/store.h"
#include "text/utf8.h"

#include "base/banned.h"

/* wazo-api.md 2.1: expiration bounds (10 years). */
#define AUTH_EXPIRATION_MAX 315360000
/* Tokens longer than this are unknown without hashing them. */
#define AUTH_TOKEN_MAX 1024
/* Expired tokens are purged by a login at most this often. */
#define AUTH_PURGE_EVERY_US (60 * TIME_US_PER_SEC)
/* Concurrent argon2id computations, and how long a login waits for one before 503. */
#define AUTH_HASH_SLOTS 2
#define AUTH_HASH_WAIT_US (10 * TIME_US_PER_SEC)

enum { AUTH_RATE_ADDR = 0, AUTH_RATE_USER = 1 };
/*
 * Failed logins allowed per client address and per username: a burst, then a steady rate.
 * An address gets more (several people behind one NAT); a username fewer (one person).
 */
static const struct rate_policy auth_rate_policies[] = {
    [AUTH_RATE_ADDR] = {30.0, 0.5}, /* 30 at once, then one every 2 s */
    [AUTH_RATE_USER] = {10.0, 0.1}, /* 10 at once, then one every 10 s */
};

/* ---------------------------------------------------------------------------------------- */
/* Response helpers                                                                         */

/*
 * raw as text (new, NUL-terminated, *textlen bytes): itself when it is UTF-8, else read as
 * Latin-1, each byte the code point of the same value, as WSGI servers decode headers.
 */
static char *auth_text(const unsigned char *raw, size_t len, size_t *textlen)
{
    if (utf8_valid((const char *)raw, len, NULL)) {
        *textlen = len;
        return xstrndup((const char *)raw, len);
    }
    char *text = xmalloc(len * 2 + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (raw[i] < 0x80) {
            text[n++] = (char)raw[i];
        } else {
            text[n++] = (char)(0xc0 | (raw[i] >> 6));
            text[n++] = (char)(0x80 | (raw[i] & 0x3f));
        }
    }
    text[n] = '\0';
    *textlen = n;
    return text;
}

json_t *auth__text_json(const char *s)
{
    size_t len = 0;
    char *text = auth_text((const unsigned char *)s, strlen(s), &len);
    json_t *j = json_stringn(text, len);
    BUG_ON(j == NULL);
    free(text);
    return j;
}

void auth__legacy_error(struct http_response *resp, int status, const char *reason)
{
    double ts = (double)time_now_us() / 1e6;
    /* reason may quote the request (a scope, a tenant), which may be any bytes. */
    json_t *body = json_pack("{s:[o], s:[f], s:i}", "reason", auth__text_json(reason), "timestamp",
                             ts, "status_code", status);
    BUG_ON(body == NULL);
    http_resp_json(resp, status, body);
}

/* A store or server failure on a legacy-shape route. */
static void auth_legacy_fail(struct http_response *resp, int rc)
{
    auth__legacy_error(resp, he_status(rc), he_message(rc));
}

static void pyrepr_string(struct buf *b, const char *s, size_t len)
{
    /* Python's repr: single quotes unless the text has one and no double quote. */
    char q = memchr(s, '\'', len) != NULL && memchr(s, '"', len) == NULL ? '"' : '\'';
    buf_addch(b, q);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\' || c == (unsigned char)q) {
            buf_addch(b, '\\');
            buf_addch(b, (char)c);
        } else if (c == '\n') {
            buf_adds(b, "\\n");
        } else if (c == '\r') {
            buf_adds(b, "\\r");
        } else if (c == '\t') {
            buf_adds(b, "\\t");
        } else if (c < 0x20 || c == 0x7f) {
            buf_addf(b, "\\x%02x", c);
        } else {
            buf_addch(b, (char)c);
        }
    }
    buf_addch(b, q);
}

/*
 * wazo-auth answers a bad token request with str(marshmallow messages), a Python repr
 * (wazo-api.md 2.1): render the validator's detail tree the same way.
 */
static void pyrepr(struct buf *b, const json_t *v, int depth)
{
    if (depth > 16) {
        buf_adds(b, "...");
        return;
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        const json_t *item;
        bool first = true;
        buf_addch(b, '{');
        json_object_foreach((json_t *)v, key, item)
        {
            if (!first) {
                buf_adds(b, ", ");
            }
            first = false;
            pyrepr_string(b, key, strlen(key));
            buf_adds(b, ": ");
            pyrepr(b, item, depth + 1);
        }
        buf_addch(b, '}');
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        const json_t *item;
        buf_addch(b, '[');
        json_array_foreach(v, i, item)
        {
            if (i > 0) {
                buf_adds(b, ", ");
            }
            pyrepr(b, item, depth + 1);
        }
        buf_addch(b, ']');
        break;
    }
    case JSON_STRING:
        pyrepr_string(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        buf_addf(b, "%lld", (long long)json_integer_value(v));
        break;
    case JSON_REAL:
        buf_addf(b, "%.17g", json_real_value(v));
        break;
    case JSON_TRUE:
        buf_adds(b, "True");
        break;
    case JSON_FALSE:
        buf_adds(b, "False");
        break;
    case JSON_NULL:
        buf_adds(b, "None");
        break;
    }
}

static void auth_bad_body(struct http_response *resp, const json_t *details)
{
    struct buf b = BUF_INIT;
    pyrepr(&b, details, 0);
    auth__legacy_error(resp, 400, b.data);
    buf_release(&b);
}

/* A schema-level error, {'_schema': [message]} as marshmallow reports validates_schema. */
static void auth_schema_error(struct http_response *resp, const char *message)
{
    json_t *d = json_pack("{s:[s]}", "_schema", message);
    BUG_ON(d == NULL);
    auth_bad_body(resp, d);
    json_decref(d);
}

/* wazo-auth's Token.to_dict() (wazo-api.md 2.1), without metadata.jwt (2.5). */
static json_t *auth_token_json(const struct app *app, const char *token,
                               const struct store_token *t)
{
    char issued_local[TIME_STR_LEN];
    char expires_local[TIME_STR_LEN];
    char issued_utc[TIME_STR_LEN];
    char expires_utc[TIME_STR_LEN];
    time_format_local(t->issued_at, issued_local);
    time_format_local(t->expires_at, expires_local);
    time_format_auth_utc(t->issued_at, issued_utc);
    time_format_auth_utc(t->expires_at, expires_utc);

    json_t *acl = json_array();
    for (size_t i = 0; i < t->n_acl; i++) {
        json_array_append_new(acl, json_string(t->acl[i]));
    }
    json_t *metadata =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "uuid", t->user_uuid, "tenant_uuid",
                  t->tenant_uuid, "auth_id", t->user_uuid, "pbx_user_uuid", t->user_uuid,
                  "xivo_uuid", app->stack_uuid, "purpose", "user", "admin", t->admin);
    json_t *data =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:o, s:o}", "token",
                  token, "auth_id", t->user_uuid, "xivo_user_uuid", t->user_uuid, "xivo_uuid",
                  app->stack_uuid, "issued_at", issued_local, "expires_at", expires_local,
                  "utc_issued_at", issued_utc, "utc_expires_at", expires_utc, "acl", acl,
                  "metadata", metadata, "session_uuid", t->session_uuid, "remote_addr",
                  t->remote_addr != NULL ? auth__text_json(t->remote_addr) : json_null(),
                  "user_agent", auth__text_json(t->user_agent != NULL ? t->user_agent : ""));
    BUG_ON(data == NULL);
    return data;
}

/* ---------------------------------------------------------------------------------------- */
/* Token checks (api/auth.h)                                                                */

void auth_identity_release(struct auth_identity *id)
{
    if (id == NULL) {
        return;
    }
    auth_acl_free(id->acl, id->n_acl);
    id->acl = NULL;
    id->n_acl = 0;
}

/* Reads a live token row: HE_UNAUTHORIZED when unknown or expired. */
static int auth_token_load(struct app *app, const char *token, struct store_token **out)
{
    char hash[PASSWORD_TOKEN_HASH_LEN];
    struct store_tx *tx = NULL;
    *out = NULL;
    if (token == NULL || token[0] == '\0') {
        return HE_UNAUTHORIZED;
    }
    size_t len = strnlen(token, AUTH_TOKEN_MAX + 1);
    if (len > AUTH_TOKEN_MAX) {
        return HE_UNAUTHORIZED;
    }
    password_token_hash(token, len, hash);
    int64_t now = store_now_us();
    int rc = store_tx_begin_read(app->store, &tx);
    if (rc < 0) {
        return rc;
    }
    rc = store_token_get(tx, hash, now, out);
    store_tx_rollback(tx);
    if (rc == HE_UNKNOWN_TOKEN || rc == HE_NOT_FOUND) {
        return HE_UNAUTHORIZED;
    }
    if (rc < 0) {
        return rc;
    }
    if ((*out)->expires_at <= now) {
        store_token_free(*out);
        *out = NULL;
        return HE_UNAUTHORIZED;
    }
    return 0;
}

int auth_token_check(struct app *app, const char *token, const char *required_acl,
                     struct auth_identity *out)
{
    struct store_token *t = NULL;
    memset(out, 0, sizeof(*out));
    int rc = auth_token_load(app, token, &t);
    if (rc < 0) {
        return rc;
    }
    if (required_acl != NULL && !acl_check((const char *const *)t->acl, t->n_acl, required_acl,
                                           t->user_uuid, t->session_uuid)) {
        store_token_free(t);
        return HE_FORBIDDEN;
    }
    memcpy(out->user_uuid, t->user_uuid, UUID_STR_LEN);
    memcpy(out->tenant_uuid, t->tenant_uuid, UUID_STR_LEN);
    memcpy(out->session_uuid, t->session_uuid, UUID_STR_LEN);
    out->admin = t->admin;
    out->expires_at = t->expires_at;
    out->acl = xcalloc(t->n_acl == 0 ? 1 : t->n_acl, sizeof(*out->acl));
    for (size_t i = 0; i < t->n_acl; i++) {
        out->acl[i] = xstrdup(t->acl[i]);
    }
    out->n_acl = t->n_acl;
    store_token_free(t);
    return 0;
}

/* chatd's 401 (wazo-api.md 1.6, xivo http_exceptions). */
static int auth_unauthorized(struct http_response *resp, const char *token, const char *reason,
                             const char *required_acl, bool with_tenant, const char *tenant)
{
    json_t *details = json_pack("{s:o, s:s}", "invalid_token",
                                auth__text_json(token != NULL ? token : ""), "reason", reason);
    BUG_ON(details == NULL);
    if (required_acl != NULL) {
        json_object_set_new(details, "required_access", auth__text_json(required_acl));
    }
    if (with_tenant) {
        json_object_set_new(details, "tenant_uuid",
                            tenant != NULL ? auth__text_json(tenant) : json_null());
    }
    http_resp_error(resp, HE_UNAUTHORIZED, details, NULL, NULL);
    return HE_UNAUTHORIZED;
}

int api_auth_require(struct app *app, const struct http_request *req, struct http_response *resp,
                     const char *required_acl, struct auth_identity *out)
{
    const char *token = http_request_header(req, "X-Auth-Token");
    const char *tenant = http_request_header(req, "Wazo-Tenant");
    memset(out, 0, sizeof(*out));
    if (tenant != NULL && tenant[0] == '\0') {
        tenant = NULL;
    }
    /* The SDK sends the literal "undefined" before setToken() (wazo-api.md 1.2). */
    if (token == NULL || token[0] == '\0' || strcmp(token, "undefined") == 0) {
        return auth_unauthorized(resp, token, "not_found_or_expired", required_acl, false, NULL);
    }
    int rc = auth_token_check(app, token, required_acl, out);
    if (rc == HE_UNAUTHORIZED) {
        return auth_unauthorized(resp, token, "not_found_or_expired", required_acl, false, NULL);
    }
    if (rc == HE_FORBIDDEN) {
        return auth_unauthorized(resp, token, "missing_permission_or_invalid_tenant", required_acl,
                                 true, tenant);
    }
    if (rc < 0) {
        log_err("msg=token_check_failed req=%llu err=%s", (unsigned long long)http_request_id(req),
                he_name(rc));
        return rc;
    }
    if (tenant != NULL) {
        char canon[UUID_STR_LEN];
        if (!uuid_normalize(tenant, strlen(tenant), canon) ||
            strcmp(canon, out->tenant_uuid) != 0) {
            auth_identity_release(out);
            memset(out, 0, sizeof(*out));
            return auth_unauthorized(resp, token, "missing_permission_or_invalid_tenant",
                                     required_acl, true, tenant);
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* POST /0.1/token                                                                          */

enum {
    TK_BACKEND,
    TK_EXPIRATION,
    TK_ACCESS_TYPE,
    TK_CLIENT_ID,
    TK_REFRESH_TOKEN,
    TK_TENANT_ID,
    TK_DOMAIN_NAME,
    TK_SAML_SESSION_ID,
};
static const char *const auth_access_types[] = {"online", "offline", NULL};
static const struct validate_field token_fields[] = {
    [TK_BACKEND] = {"backend", VALIDATE_STRING, VALIDATE_DEFAULT, .default_str = "wazo_user"},
    [TK_EXPIRATION] = {"expiration", VALIDATE_INT, VALIDATE_MIN | VALIDATE_MAX, .min = 1,
                       .max = AUTH_EXPIRATION_MAX},
    [TK_ACCESS_TYPE] = {"access_type", VALIDATE_ENUM, 0, .choices = auth_access_types},
    [TK_CLIENT_ID] = {"client_id", VALIDATE_STRING, VALIDATE_MIN | VALIDATE_MAX, .min = 1,
                      .max = 1024},
    [TK_REFRESH_TOKEN] = {"refresh_token", VALIDATE_STRING, 0},
    [TK_TENANT_ID] = {"tenant_id", VALIDATE_STRING, 0},
    [TK_DOMAIN_NAME] = {"domain_name", VALIDATE_STRING, 0},
    [TK_SAML_SESSION_ID] = {"saml_session_id", VALIDATE_STRING, VALIDATE_MIN | VALIDATE_MAX,
                            .min = 1, .max = 1024},
};

struct auth_basic {
    char *login;    /* NUL-terminated UTF-8, no NUL inside */
    char *password; /* len bytes (NUL-terminated too) */
    size_t len;
};

static void auth_basic_release(struct auth_basic *c)
{
    free(c->login);
    if (c->password != NULL) {
        sodium_memzero(c->password, c->len);
        free(c->password);
    }
    memset(c, 0, sizeof(*c));
}

/*
 * HTTP Basic as wazo-auth reads it (wazo-api.md 2.1): "Basic " then base64 of
 * "login:password", decoded as UTF-8, else as Latin-1, split on the first ':'. An empty
 * login or password counts as no credentials. Returns false when there are none usable.
 */
static bool auth_basic_parse(const char *header, struct auth_basic *out)
{
    memset(out, 0, sizeof(*out));
    if (header == NULL || strncmp(header, "Basic ", 6) != 0) {
        return false;
    }
    const char *b64 = header + 6;
    size_t b64len = strlen(b64);
    size_t cap = b64len / 4 * 3 + 3;
    unsigned char *raw = xmalloc(cap + 1);
    size_t rawlen = 0;
    const char *end = NULL;
    char *text = NULL;
    size_t textlen = 0;
    bool ok = false;
    if (sodium_base642bin(raw, cap, b64, b64len, NULL, &rawlen, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != b64 + b64len) {
        goto out;
    }
    text = auth_text(raw, rawlen, &textlen);
    char *colon = memchr(text, ':', textlen);
    if (colon == NULL) {
        goto out;
    }
    size_t loginlen = (size_t)(colon - text);
    size_t pwlen = textlen - loginlen - 1;
    if (loginlen == 0 || pwlen == 0 || memchr(text, '\0', loginlen) != NULL) {
        goto out;
    }
    out->login = xstrndup(text, loginlen);
    out->password = xmemdup(colon + 1, pwlen + 1);
    out->len = pwlen;
    ok = true;
out:
    sodium_memzero(raw, cap + 1);
    free(raw);
    if (text != NULL) {
        sodium_memzero(text, textlen);
        free(text);
    }
    return ok;
}

static bool auth_purge_due(struct auth_api *api)
{
    int64_t now = time_mono_us();
    int64_t next = atomic_load(&api->next_purge_us);
    return now >= next &&
           atomic_compare_exchange_strong(&api->next_purge_us, &next, now + AUTH_PURGE_EVERY_US);
}

static int h_token_create(const struct http_request *req, struct http_response *resp, void *ctx)
{
    struct auth_api *api = ctx;
    struct app *app = api->app;
    json_t *body = NULL;
    json_t *details = NULL;
    struct auth_basic creds = {0};
    struct store_user *user = NULL;
    struct store_token *stored = NULL;
    struct validate_value v[HU_ARRAY_LEN(token_fields)];
    char token[PASSWORD_TOKEN_LEN];
    char tenant_buf[UUID_STR_LEN];
    const char *tenant = NULL;
    const char *addr = http_request_remote_addr(req);
    struct rate_key keys[2];

    size_t blen = 0;
    const char *raw = http_request_body(req, &blen);
    json_error_t jerr;
    body = json_loadb(raw, blen, JSON_DECODE_ANY, &jerr);
    if (body == NULL) {
        auth__legacy_error(resp, 400, "Failed to decode JSON object");
        goto out;
    }
    if (validate_json(body, token_fields, HU_ARRAY_LEN(token_fields), v, &details) < 0) {
        auth_bad_body(resp, details);
        goto out;
    }
    /* The schema-level rules of wazo-auth's TokenRequestSchema. */
    bool offline = v[TK_ACCESS_TYPE].present && strcmp(v[TK_ACCESS_TYPE].s, "offline") == 0;
    bool has_refresh = v[TK_REFRESH_TOKEN].present && v[TK_REFRESH_TOKEN].len > 0;
    bool has_client = v[TK_CLIENT_ID].present && v[TK_CLIENT_ID].len > 0;
    if (offline && has_refresh) {
        auth_schema_error(resp, "cannot use the \"access_type\" \"offline\" with a refresh token");
        goto out;
    }
    if (offline && !has_client) {
        auth_schema_error(resp, "\"client_id\" must be specified when using \"access_type\" is "
                                "\"offline\"");
        goto out;
    }
    if (has_refresh && !has_client) {
        auth_schema_error(resp, "\"client_id\" must be specified when using a \"refresh_token\"");
        goto out;
    }
    if (has_refresh) {
        auth__legacy_error(resp, 400, "refresh tokens are not supported by this server");
        goto out;
    }

    if (!auth_basic_parse(http_request_header(req, "Authorization"), &creds)) {
        auth__legacy_error(resp, 401, "Authentication Failed");
        goto out;
    }
    if (strcmp(v[TK_BACKEND].s, "wazo_user") != 0) {
        auth__legacy_error(resp, 401, "Authentication Failed");
        goto out;
    }
    if (v[TK_TENANT_ID].present) {
        if (!uuid_normalize(v[TK_TENANT_ID].s, v[TK_TENANT_ID].len, tenant_buf)) {
            auth__legacy_error(resp, 401, "Authentication Failed");
            goto out;
        }
        tenant = tenant_buf;
    }

    keys[0] = (struct rate_key){AUTH_RATE_ADDR, addr != NULL ? addr : ""};
    keys[1] = (struct rate_key){AUTH_RATE_USER, creds.login};
    int64_t wait_us = 0;
    if (!rate_limiter_take(api->limiter, keys, 2, time_mono_us(), &wait_us)) {
        char secs[32];
        (void)snprintf(secs, sizeof(secs), "%lld",
                       (long long)((wait_us + TIME_US_PER_SEC - 1) / TIME_US_PER_SEC));
        log_info("msg=login_rate_limited req=%llu addr=%s retry_after=%s",
                 (unsigned long long)http_request_id(req), addr != NULL ? addr : "", secs);
        auth__legacy_error(resp, 429, "Too many login attempts, retry later");
        http_resp_header(resp, "Retry-After", secs);
        goto out;
    }

    int rc =
        auth_login(app->store, api->hasher, tenant, creds.login, creds.password, creds.len, &user);
    if (rc == HE_UNAUTHORIZED) {
        log_info("msg=login_failed req=%llu addr=%s", (unsigned long long)http_request_id(req),
                 addr != NULL ? addr : "");
        auth__legacy_error(resp, 401, "Authentication Failed");
        goto out;
    }
    /* Success, or a failure that was ours (busy, database): the attempt does not count. */
    rate_limiter_refund(api->limiter, keys, 2, time_mono_us());
    if (rc < 0) {
        log_err("msg=login_error req=%llu err=%s", (unsigned long long)http_request_id(req),
                he_name(rc));
        auth_legacy_fail(resp, rc);
        goto out;
    }

    const char *mobile = http_request_header(req, "Wazo-Session-Type");
    int64_t lifetime_s =
        v[TK_EXPIRATION].present ? v[TK_EXPIRATION].i : app->cfg->token_lifetime_ms / 1000;
    if (lifetime_s < 1) {
        lifetime_s = 1;
    }
    struct auth_token_spec spec = {
        .user = user,
        .lifetime_us = lifetime_s * TIME_US_PER_SEC,
        .mobile = mobile != NULL && strcasecmp(mobile, "mobile") == 0,
        .remote_addr = addr,
        .user_agent = http_request_header(req, "User-Agent"),
        .purge_expired = auth_purge_due(api),
    };
    if (spec.user_agent == NULL) {
        spec.user_agent = "";
    }
    rc = auth_token_issue(app->store, &spec, token, &stored);
    if (rc < 0) {
        log_err("msg=token_issue_failed req=%llu err=%s", (unsigned long long)http_request_id(req),
                he_name(rc));
        auth_legacy_fail(resp, rc);
        goto out;
    }
    log_info("msg=login req=%llu user=%s session=%s addr=%s",
             (unsigned long long)http_request_id(req), stored->user_uuid, stored->session_uuid,
             addr != NULL ? addr : "");
    http_resp_json(resp, 200, json_pack("{s:o}", "data", auth_token_json(app, token, stored)));
    /* Recent wazo-auth: sessions revoked to respect a per-user limit; Huard has none. */
    http_resp_header(resp, "Wazo-Sessions-Revoked", "0");
    sodium_memzero(token, sizeof(token));
out:
    auth_basic_release(&creds);
    store_user_free(user);
    store_token_free(stored);
    json_decref(details);
    json_decref(body);
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* GET / HEAD / DELETE /0.1/token/{token}                                                   */

static int h_token_get(const struct http_request *req, struct http_response *resp, void *ctx)
{
    struct auth_api *api = ctx;
    const char *token = http_request_param(req, "token");
    const char *scope = http_request_query(req, "scope");
    const char *tenant = http_request_query(req, "tenant");
    struct store_token *t = NULL;
    char canon[UUID_STR_LEN];

    int rc = auth_token_load(api->app, token, &t);
    if (rc == HE_UNAUTHORIZED) {
        auth__legacy_error(resp, 404, "No such token");
        goto out;
    }
    if (rc < 0) {
        auth_legacy_fail(resp, rc);
        goto out;
    }
    if (scope != NULL && scope[0] != '\0' &&
        !acl_check((const char *const *)t->acl, t->n_acl, scope, t->user_uuid, t->session_uuid)) {
        char *reason = xasprintf("Unauthorized for %s", scope);
        auth__legacy_error(resp, 403, reason);
        free(reason);
        goto out;
    }
    if (tenant != NULL && tenant[0] != '\0' &&
        (!uuid_normalize(tenant, strlen(tenant), canon) || strcmp(canon, t->tenant_uuid) != 0)) {
        char *reason = xasprintf("Unauthorized for tenant %s", tenant);
        auth__legacy_error(resp, 403, reason);
        free(reason);
        goto out;
    }
    if (strcmp(http_request_method(req), "HEAD") == 0) {
        http_resp_status(resp, 204);
    } else {
        http_resp_json(resp, 200, json_pack("{s:o}", "data", auth_token_json(api->app, token, t)));
    }
out:
    store_token_free(t);
    return 0;
}

static int h_token_delete(const struct http_request *req, struct http_response *resp, void *ctx)
{
    struct auth_api *api = ctx;
    const char *token = http_request_param(req, "token");
    char hash[PASSWORD_TOKEN_HASH_LEN];
    struct store_tx *tx = NULL;

    size_t len = token != NULL ? strnlen(token, AUTH_TOKEN_MAX + 1) : 0;
    int rc = 0;
    if (len > 0 && len <= AUTH_TOKEN_MAX) {
        password_token_hash(token, len, hash);
        rc = store_tx_begin(api->app->store, &tx);
        if (rc == 0) {
            rc = store_token_delete(tx, hash);
            /* Always "success", also for unknown tokens (wazo-api.md 2.4). */
            if (rc == HE_UNKNOWN_TOKEN || rc == HE_NOT_FOUND) {
                rc = 0;
            }
        }
        if (rc == 0) {
            rc = store_tx_commit(tx);
            tx = NULL;
        }
        store_tx_rollback(tx);
    }
    if (rc < 0) {
        log_err("msg=token_delete_failed req=%llu err=%s", (unsigned long long)http_request_id(req),
                he_name(rc));
        auth_legacy_fail(resp, rc);
        return 0;
    }
    http_resp_json(resp, 200, json_pack("{s:{s:s}}", "data", "message", "success"));
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Registration                                                                             */

static void auth_api_free(void *ctx)
{
    struct auth_api *api = ctx;
    if (api == NULL) {
        return;
    }
    rate_limiter_free(api->limiter);
    auth_hasher_free(api->hasher);
    free(api);
}

int api_auth_register(struct http_router *router, struct app *app)
{
    struct auth_api *api = xcalloc(1, sizeof(*api));
    api->app = app;
    api->limiter =
        rate_limiter_new(auth_rate_policies, HU_ARRAY_LEN(auth_rate_policies), 0 /* default */);
    api->hasher = auth_hasher_new(AUTH_HASH_SLOTS, AUTH_HASH_WAIT_US);
    atomic_init(&api->next_purge_us, 0);

    struct http_route *first =
        http_route_add(router, "POST", "/api/auth/0.1/token", h_token_create, api, 0);
    if (first == NULL) {
        auth_api_free(api);
        return HE_INTERNAL;
    }
    /* From here on the router frees api, also when a later route fails. */
    http_route_own_ctx(first, auth_api_free);
    app->login_limiter = api->limiter;

    if (http_route_add(router, "GET", "/api/auth/0.1/token/{token}", h_token_get, api, 0) == NULL ||
        http_route_add(router, "DELETE", "/api/auth/0.1/token/{token}", h_token_delete, api, 0) ==
            NULL) {
        return HE_INTERNAL;
    }
    return auth__users_register(router, api);
}
