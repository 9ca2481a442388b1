/*
 * websocketd: the wazo-websocketd protocol (versions 2 and 1) on /api/websocketd/
 * (wazo-api.md 4), on top of the ws layer's sessions and the event bus.
 *
 * A session's life:
 * 1. on_open: the upgrade is complete (the ws layer answered 101). The version and the
 *    token are read from the upgrade request; problems close the socket (4001, 4004, 1011).
 * 2. The token is checked with the required ACL `websocketd` on a worker (auth_token_check
 *    reads the store); the done callback, on the loop, closes with 4002 or registers the
 *    session on the bus and sends `init`. Messages the client sends meanwhile wait, in order,
 *    in a small bounded queue (wazo-websocketd reads nothing before init either).
 * 3. Ops: subscribe, start, token (renewal, checked on a worker like the first token; the
 *    queue holds later messages until it is done, so replies keep the client's order), ping.
 *    Anything else closes with 4004. Events flow only after start (bus_sub_start).
 * 4. Expiry watchdog: a loop timer per session, armed around the token's expiry like
 *    wazo-websocketd's "dynamic" strategy (wazo-api.md 4.5) and at most ws_auth_check_max
 *    apart (so a revoked token is noticed), re-checks the current token on a worker; once it
 *    no longer validates, close 4003.
 *
 * Async results find their session through ws_session_data() on a referenced ws_session:
 * when the session ended meanwhile, on_close has cleared it and the result is dropped. A
 * renewal bumps the session's token generation, so a re-check of the previous token that
 * finishes later is ignored.
 *
 * Threads: everything here runs on the loop thread except job_work (a worker).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define LOG_MODULE "websocketd"
#include "api/app.h"
#include "api/auth.h"
#include "base/config.h"
#include "base/err.h"
#include "base/log.h"
#include "base/time.h"
#include "events/bus.h"
#include "http/request.h"
#include "loop/loop.h"
#include "loop/pool.h"
#include "ws/ws.h"

#include "base/banned.h"

#define WSD_PATH "/api/websocketd/"
#define WSD_ACL "websocketd"

/* wazo-api.md 4.6 */
#define WSD_CLOSE_NO_TOKEN 4001
#define WSD_CLOSE_AUTH_FAILED 4002
#define WSD_CLOSE_AUTH_EXPIRED 4003
#define WSD_CLOSE_PROTOCOL 4004

/* Messages held while a token check runs (a client has no reason to send many). */
#define WSD_PENDING_MAX 64
#define WSD_PENDING_BYTES ((size_t)256 * 1024)
/* wazo-websocketd's re-check period once the token is past its expiry or auth is down. */
#define WSD_RECHECK_LATE_MS 15000
/* Check a little after the expiry instant, so that the store sees the token as expired. */
#define WSD_EXPIRY_MARGIN_MS 20
#define WSD_CHECK_MAX_DEFAULT_MS (UINT64_C(12) * 3600 * 1000)

static const char frame_init_v2[] = "{\"op\":\"init\",\"code\":0,\"data\":{\"version\":2}}";
static const char frame_init_v1[] = "{\"op\":\"init\",\"code\":0,\"data\":{\"version\":1}}";
static const char frame_subscribe[] = "{\"op\":\"subscribe\",\"code\":0,\"data\":null}";
static const char frame_start[] = "{\"op\":\"start\",\"code\":0,\"data\":null}";
static const char frame_token[] = "{\"op\":\"token\",\"code\":0,\"data\":null}";

struct wsd_msg {
    struct wsd_msg *next;
    size_t len;
    char data[]; /* len bytes and a NUL */
};

struct wsd_session {
    struct app *app;
    struct ws_session *ws;
    struct bus_sub *sub;
    int version;
    bool started;
    bool busy;          /* the first check or a renewal runs: messages wait in the queue */
    bool check_running; /* a watchdog re-check runs */
    uint64_t gen;       /* bumped by each accepted token */
    char *token;
    int64_t expires_at; /* microseconds since the epoch */
    struct loop_timer *watchdog;
    struct wsd_msg *q_head;
    struct wsd_msg *q_tail;
    size_t q_count;
    size_t q_bytes;
};

enum wsd_job_kind { JOB_OPEN, JOB_RENEW, JOB_RECHECK };

struct wsd_job {
    struct app *app;
    struct ws_session *ws; /* referenced */
    enum wsd_job_kind kind;
    uint64_t gen;
    char *token;
    int rc;
    struct auth_identity id;
};

static void session_drain(struct wsd_session *w);
static void watchdog_arm(struct wsd_session *w);
static void job_submit(struct wsd_session *w, enum wsd_job_kind kind, const char *token);

/* ---- helpers ---- */

static void send_static(struct wsd_session *w, const char *frame, size_t len)
{
    (void)ws_session_send_copy(w->ws, frame, len);
}
#define SEND_STATIC(w, frame) send_static((w), (frame), sizeof(frame) - 1)

static void close_protocol(struct wsd_session *w, const char *why)
{
    log_info("msg=ws_protocol_error conn=%" PRIu64 " why=%s", ws_session_id(w->ws), why);
    ws_session_close(w->ws, WSD_CLOSE_PROTOCOL, "");
}

/* The bus hands a frame to this session (loop thread): a template and the recipient's uuid. */
static void deliver(void *sink, struct ws_payload *frame, const char *insert, size_t insert_len)
{
    (void)ws_session_send_spliced(sink, frame, insert, insert_len);
}

/*
 * First non-empty value of a query argument: wazo-websocketd reads the query with Python's
 * parse_qsl, which drops blank values, so `?token=&token=T` means T and `?version=` means
 * no version at all.
 */
static const char *query_first(const struct http_request *req, const char *name)
{
    size_t n = http_request_query_count(req);
    for (size_t i = 0; i < n; i++) {
        const char *k;
        const char *v;
        http_request_query_at(req, i, &k, &v);
        if (strcmp(k, name) == 0 && v[0] != '\0') {
            return v;
        }
    }
    return NULL;
}

/*
 * The version as Python's int() reads it (surrounding blanks, a sign, digits with single
 * underscores between them). Returns 0 with *out set (-1 when the number is out of any
 * sensible range), or HE_INVAL when it is not an integer at all.
 */
static int version_parse(const char *s, int *out)
{
    const char *p = s;
    const char *end = s + strlen(s);
    while (p < end && (*p == ' ' || (*p >= '\t' && *p <= '\r'))) {
        p++;
    }
    while (end > p && (end[-1] == ' ' || (end[-1] >= '\t' && end[-1] <= '\r'))) {
        end--;
    }
    bool neg = false;
    if (p < end && (*p == '+' || *p == '-')) {
        neg = *p == '-';
        p++;
    }
    if (p == end || *p < '0' || *p > '9') {
        return HE_INVAL;
    }
    long long v = 0;
    bool big = false;
    for (; p < end; p++) {
        if (*p == '_') {
            if (p + 1 == end || p[1] < '0' || p[1] > '9') {
                return HE_INVAL;
            }
            continue;
        }
        if (*p < '0' || *p > '9') {
            return HE_INVAL;
        }
        if (v > 1000000) {
            big = true;
        } else {
            v = v * 10 + (*p - '0');
        }
    }
    *out = big ? -1 : (int)(neg ? -v : v);
    return 0;
}

/* ---- jobs (token checks on workers) ---- */

static void job_work(void *arg)
{
    struct wsd_job *job = arg;
    job->rc = auth_token_check(job->app, job->token, WSD_ACL, &job->id);
}

static void job_free(struct wsd_job *job)
{
    auth_identity_release(&job->id);
    free(job->token);
    ws_session_unref(job->ws);
    free(job);
}

/* Replaces the session's identity by the job's (first token or renewal). */
static void session_take_identity(struct wsd_session *w, struct wsd_job *job)
{
    struct bus_identity bi = {
        .user_uuid = job->id.user_uuid,
        .tenant_uuid = job->id.tenant_uuid,
        .session_uuid = job->id.session_uuid,
        .admin = job->id.admin,
        .acl = (const char *const *)job->id.acl,
        .n_acl = job->id.n_acl,
    };
    if (w->sub == NULL) {
        w->sub = bus_sub_new(w->app->bus, w->version, deliver, w->ws);
    }
    bus_sub_set_identity(w->sub, &bi);
    free(w->token);
    w->token = job->token;
    job->token = NULL;
    w->expires_at = job->id.expires_at;
    w->gen++;
}

static bool auth_refused(int rc)
{
    return rc == HE_UNAUTHORIZED || rc == HE_FORBIDDEN || rc == HE_UNKNOWN_TOKEN;
}

static void job_done(struct loop *loop, void *arg)
{
    (void)loop;
    struct wsd_job *job = arg;
    struct wsd_session *w = ws_session_data(job->ws);
    if (w == NULL || !ws_session_is_open(job->ws)) {
        goto out; /* the session ended meanwhile */
    }
    switch (job->kind) {
    case JOB_OPEN:
    case JOB_RENEW:
        w->busy = false;
        if (job->rc < 0) {
            log_info("msg=ws_auth_failed conn=%" PRIu64 " op=%s rc=%d", ws_session_id(w->ws),
                     job->kind == JOB_OPEN ? "connect" : "token", job->rc);
            ws_session_close(w->ws, WSD_CLOSE_AUTH_FAILED, "authentication failed");
            goto out;
        }
        session_take_identity(w, job);
        if (job->kind == JOB_OPEN) {
            log_debug("msg=ws_authenticated conn=%" PRIu64 " user=%s version=%d",
                      ws_session_id(w->ws), job->id.user_uuid, w->version);
            if (w->version == 2) {
                SEND_STATIC(w, frame_init_v2);
            } else {
                SEND_STATIC(w, frame_init_v1);
            }
        } else if (w->version == 2 || !w->started) {
            SEND_STATIC(w, frame_token);
        }
        watchdog_arm(w);
        session_drain(w);
        break;
    case JOB_RECHECK:
        w->check_running = false;
        if (job->gen != w->gen || w->busy) {
            break; /* a renewal replaced (or is replacing) that token and re-arms */
        }
        if (auth_refused(job->rc)) {
            log_info("msg=ws_auth_expired conn=%" PRIu64, ws_session_id(w->ws));
            ws_session_close(w->ws, WSD_CLOSE_AUTH_EXPIRED, "authentication expired");
            break;
        }
        if (job->rc < 0) {
            /* The store failed: not the client's fault, try again later. */
            log_warn("msg=ws_auth_recheck_failed conn=%" PRIu64 " rc=%d", ws_session_id(w->ws),
                     job->rc);
            loop_timer_start(w->watchdog, WSD_RECHECK_LATE_MS);
            break;
        }
        w->expires_at = job->id.expires_at;
        watchdog_arm(w);
        break;
    }
out:
    job_free(job);
}

static void job_submit(struct wsd_session *w, enum wsd_job_kind kind, const char *token)
{
    struct wsd_job *job = xcalloc(1, sizeof(*job));
    job->app = w->app;
    job->ws = w->ws;
    job->kind = kind;
    job->gen = w->gen;
    job->token = xstrdup(token);
    ws_session_ref(w->ws);
    pool_submit(w->app->pool, job_work, job_done, job);
}

/* ---- expiry watchdog (wazo-api.md 4.5) ---- */

static uint64_t check_max_ms(const struct app *app)
{
    if (app->cfg != NULL && app->cfg->ws_auth_check_max_ms > 0) {
        return (uint64_t)app->cfg->ws_auth_check_max_ms;
    }
    return WSD_CHECK_MAX_DEFAULT_MS;
}

/* wazo-websocketd's dynamic delay until the next check, in milliseconds. */
static uint64_t watchdog_delay_ms(int64_t expires_at, int64_t now)
{
    int64_t left_ms = (expires_at - now + 999) / 1000;
    if (left_ms <= 0) {
        return WSD_RECHECK_LATE_MS;
    }
    if (left_ms < 15000) {
        return (uint64_t)left_ms + WSD_EXPIRY_MARGIN_MS;
    }
    if (left_ms <= 80000) {
        return left_ms < 60000 ? (uint64_t)left_ms + WSD_EXPIRY_MARGIN_MS : 60000;
    }
    if (left_ms <= 57600000) {
        return (uint64_t)left_ms * 3 / 4;
    }
    return 43200000;
}

static void watchdog_arm(struct wsd_session *w)
{
    uint64_t delay = watchdog_delay_ms(w->expires_at, time_now_us());
    uint64_t max = check_max_ms(w->app);
    loop_timer_start(w->watchdog, delay < max ? delay : max);
}

static void on_watchdog(struct loop *loop, struct loop_timer *t, void *arg)
{
    (void)loop;
    (void)t;
    struct wsd_session *w = arg;
    if (w->busy || w->check_running || w->token == NULL) {
        return; /* a renewal in flight re-arms when it ends */
    }
    w->check_running = true;
    job_submit(w, JOB_RECHECK, w->token);
}

/* ---- client messages (wazo-api.md 4.2) ---- */

/* data.<key> as a string node, or NULL (the caller closes with 4004). */
static json_t *data_string(json_t *root, const char *key)
{
    json_t *v = json_object_get(json_object_get(root, "data"), key);
    return json_is_string(v) ? v : NULL;
}

static void op_subscribe(struct wsd_session *w, json_t *root)
{
    json_t *name = data_string(root, "event_name");
    if (name == NULL) {
        close_protocol(w, "subscribe_without_event_name");
        return;
    }
    /* A name with a NUL inside can match no event: answered, not kept. */
    int rc = strlen(json_string_value(name)) == json_string_length(name)
                 ? bus_sub_subscribe(w->sub, json_string_value(name))
                 : HE_INVAL;
    if (rc == HE_BUSY) {
        ws_session_close(w->ws, WS_CLOSE_POLICY, "too many subscriptions");
        return;
    }
    /* HE_INVAL: a name longer than any event's; it can never match, so it is not kept. */
    if (w->version == 2 || !w->started) {
        SEND_STATIC(w, frame_subscribe);
    }
}

static void op_start(struct wsd_session *w)
{
    w->started = true;
    bus_sub_start(w->sub);
    SEND_STATIC(w, frame_start);
}

static void op_token(struct wsd_session *w, json_t *root)
{
    json_t *token = data_string(root, "token");
    if (token == NULL) {
        close_protocol(w, "token_without_token");
        return;
    }
    if (strlen(json_string_value(token)) != json_string_length(token)) {
        ws_session_close(w->ws, WSD_CLOSE_AUTH_FAILED, "authentication failed");
        return;
    }
    w->busy = true;
    job_submit(w, JOB_RENEW, json_string_value(token));
}

static void op_ping(struct wsd_session *w, json_t *root)
{
    json_t *payload = data_string(root, "payload");
    if (payload == NULL) {
        close_protocol(w, "ping_without_payload");
        return;
    }
    if (w->version != 2) {
        return; /* v1 ignores pings */
    }
    json_t *reply =
        json_pack("{s:s, s:i, s:{s:O}}", "op", "pong", "code", 0, "data", "payload", payload);
    char *text = reply ? json_dumps(reply, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (text == NULL) {
        ws_session_close(w->ws, WS_CLOSE_SERVER_ERROR, "");
    } else {
        (void)ws_session_send_copy(w->ws, text, strlen(text));
    }
    free(text);
    json_decref(reply);
}

static void session_handle(struct wsd_session *w, const char *data, size_t len)
{
    /* Python's json module accepts \u0000 in strings (a ping payload may hold one). */
    json_t *root = json_loadb(data, len, JSON_ALLOW_NUL, NULL);
    const char *op = json_string_value(json_object_get(root, "op"));
    if (!json_is_object(root) || op == NULL) {
        close_protocol(w, root == NULL ? "invalid_json" : "no_op");
    } else if (strcmp(op, "subscribe") == 0) {
        op_subscribe(w, root);
    } else if (strcmp(op, "start") == 0) {
        op_start(w);
    } else if (strcmp(op, "token") == 0) {
        op_token(w, root);
    } else if (strcmp(op, "ping") == 0) {
        op_ping(w, root);
    } else {
        close_protocol(w, "unknown_op");
    }
    json_decref(root);
}

/* Handles the queued messages in order until one starts a token check or the session closes. */
static void session_drain(struct wsd_session *w)
{
    while (w->q_head != NULL && !w->busy && ws_session_is_open(w->ws)) {
        struct wsd_msg *m = w->q_head;
        w->q_head = m->next;
        if (w->q_head == NULL) {
            w->q_tail = NULL;
        }
        w->q_count--;
        w->q_bytes -= m->len;
        session_handle(w, m->data, m->len);
        free(m);
    }
}

static void queue_free(struct wsd_session *w)
{
    while (w->q_head != NULL) {
        struct wsd_msg *m = w->q_head;
        w->q_head = m->next;
        free(m);
    }
    w->q_tail = NULL;
    w->q_count = w->q_bytes = 0;
}

/* ---- ws_protocol callbacks ---- */

static void wsd_open(struct ws_session *s, const struct http_request *req, void *ctx)
{
    struct app *app = ctx;
    struct wsd_session *w = xcalloc(1, sizeof(*w));
    w->app = app;
    w->ws = s;
    w->watchdog = loop_timer_new(app->loop, on_watchdog, w);
    ws_session_set_data(s, w);

    /* wazo-api.md 4.1: version first, then the token. */
    const char *v = query_first(req, "version");
    w->version = 1;
    if (v != NULL) {
        int version = 0;
        if (version_parse(v, &version) < 0) {
            /* stock websocketd fails with an unhandled error: 1011 */
            log_info("msg=ws_bad_version conn=%" PRIu64, ws_session_id(s));
            ws_session_close(s, WS_CLOSE_SERVER_ERROR, "");
            return;
        }
        if (version != 1 && version != 2) {
            log_info("msg=ws_unsupported_version conn=%" PRIu64 " version=%d", ws_session_id(s),
                     version);
            ws_session_close(s, WSD_CLOSE_PROTOCOL, "");
            return;
        }
        w->version = version;
    }
    const char *token = query_first(req, "token");
    if (token == NULL) {
        token = http_request_header(req, "X-Auth-Token");
    }
    if (token == NULL || token[0] == '\0') {
        ws_session_close(s, WSD_CLOSE_NO_TOKEN, "no token");
        return;
    }
    w->busy = true;
    job_submit(w, JOB_OPEN, token);
}

static void wsd_text(struct ws_session *s, const char *data, size_t len, void *ctx)
{
    (void)ctx;
    struct wsd_session *w = ws_session_data(s);
    if (w == NULL || !ws_session_is_open(s)) {
        return;
    }
    if (!w->busy) {
        session_handle(w, data, len);
        return;
    }
    if (w->q_count >= WSD_PENDING_MAX || w->q_bytes + len > WSD_PENDING_BYTES) {
        ws_session_close(s, WS_CLOSE_POLICY, "too many messages before authentication");
        return;
    }
    struct wsd_msg *m = xmalloc(sizeof(*m) + len + 1);
    m->next = NULL;
    m->len = len;
    memcpy(m->data, data, len);
    m->data[len] = '\0';
    if (w->q_tail != NULL) {
        w->q_tail->next = m;
    } else {
        w->q_head = m;
    }
    w->q_tail = m;
    w->q_count++;
    w->q_bytes += len;
}

static void wsd_binary(struct ws_session *s, const void *data, size_t len, void *ctx)
{
    (void)data;
    (void)len;
    (void)ctx;
    struct wsd_session *w = ws_session_data(s);
    if (w != NULL && ws_session_is_open(s)) {
        close_protocol(w, "binary_frame");
    }
}

static void wsd_close(struct ws_session *s, void *ctx)
{
    (void)ctx;
    struct wsd_session *w = ws_session_data(s);
    if (w == NULL) {
        return;
    }
    ws_session_set_data(s, NULL);
    bus_sub_free(w->sub);
    loop_timer_free(w->watchdog);
    queue_free(w);
    free(w->token);
    free(w);
}

static const struct ws_protocol wsd_protocol = {
    .on_open = wsd_open,
    .on_text = wsd_text,
    .on_binary = wsd_binary,
    .on_close = wsd_close,
};

int api_websocketd_register(struct http_router *router, struct app *app)
{
    BUG_ON(app->pool == NULL || app->bus == NULL || app->ws == NULL);
    return ws_route_add(app->ws, router, WSD_PATH, &wsd_protocol, app);
}
