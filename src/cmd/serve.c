/*
 * serve: `huard serve`, the chat server. Wiring only: options, loop, worker pool, router,
 * HTTP server, WebSocket sessions, the status routes; then run until SIGTERM/SIGINT, drain
 * and free everything (LeakSanitizer must find nothing at exit).
 *
 * Options: until base/config.{c,h} lands on main, a small parser here reads the same names
 * that its table defines (flags --name / --name=value with '-' or '_', HUARD_NAME in the
 * environment, flags winning), so that switching to config_load() changes no command line.
 * Test-only switch: HUARD_TEST_HOOKS=1 enables the echo protocol's flood op (ws/echo.h).
 */
#include "cmd/cmd.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#define LOG_MODULE "serve"
#include "api/app.h"
#include "base/config.h"
#include "base/err.h"
#include "base/log.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"
#include "http/server.h"
#include "http/static.h"
#include "loop/loop.h"
#include "domain/bootstrap.h"
#include "loop/pool.h"
#include "store/store.h"
#include "ws/echo.h"
#include "ws/ws.h"

#include "base/banned.h"

#define DRAIN_TIMEOUT_MS 5000

struct serve_opts {
    char listen[96];
    char data[512];
    char database[512];
    unsigned workers;
    struct http_config http;
    struct ws_config ws;
    bool test_hooks;
};

struct server {
    struct serve_opts opts;
    struct loop *loop;
    struct pool *pool;
    struct http_router *router;
    struct http_server *http;
    struct ws_server *ws;
    struct ws_echo *echo;
    struct loop_timer *drain_timer;
    bool stopping;
    /* Local wiring of the auth branch (the chatd branch wires the full set). */
    struct config cfg;
    struct store *store;
    struct app app;
};

static void usage(FILE *out)
{
    fprintf(out, "usage: huard serve [options]\n"
                 "\n"
                 "Runs the chat server: REST, WebSocket and web UI on one port.\n"
                 "\n"
                 "options (also HUARD_<NAME> in the environment, e.g. HUARD_LISTEN):\n"
                 "  --listen ADDR:PORT        address to listen on (default 127.0.0.1:9500;\n"
                 "                            port 0 picks a free port)\n"
                 "  --data DIR                data folder (default ./data)\n"
                 "  --database URL            database: a SQLite path or postgresql:// URL\n"
                 "                            (default: DIR/huard.db)\n"
                 "  --workers N               worker threads (default 0 = 2 x cores)\n"
                 "  --max-body SIZE           request body cap, 413 past it (default 64k)\n"
                 "  --max-header SIZE         request header block cap, 431 (default 8k)\n"
                 "  --max-uri SIZE            request URI cap, 414 (default 4k)\n"
                 "  --connection-limit N      concurrent connections (default 20000)\n"
                 "  --ws-ping-interval TIME   WebSocket ping period (default 30s)\n"
                 "  --ws-queue-max SIZE       WebSocket send queue per session (default 1m)\n"
                 "  --ws-max-message SIZE     largest WebSocket message accepted (default 64k)\n"
                 "  --log-level LEVEL         err, warn, info or debug (default info)\n"
                 "  -h, --help                show this help\n");
}

/* ---- interim option parsing (replaced by base/config when it lands) ---- */

static int parse_size(const char *s, size_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s) {
        return HE_CONFIG;
    }
    unsigned long long mult = 1;
    if (*end == 'k' || *end == 'K') {
        mult = 1024;
    } else if (*end == 'm' || *end == 'M') {
        mult = 1024 * 1024;
    } else if (*end == 'g' || *end == 'G') {
        mult = 1024ull * 1024 * 1024;
    } else if (*end != '\0') {
        return HE_CONFIG;
    }
    if (mult > 1 && end[1] != '\0' && strcasecmp(end + 1, "b") != 0 &&
        strcasecmp(end + 1, "ib") != 0) {
        return HE_CONFIG;
    }
    *out = (size_t)(v * mult);
    return 0;
}

static int parse_duration_ms(const char *s, unsigned *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s) {
        return HE_CONFIG;
    }
    unsigned long long ms;
    if (strcmp(end, "ms") == 0) {
        ms = v;
    } else if (strcmp(end, "s") == 0 || *end == '\0') {
        ms = v * 1000;
    } else if (strcmp(end, "m") == 0) {
        ms = v * 60000;
    } else {
        return HE_CONFIG;
    }
    if (ms == 0 || ms > 86400000ull) {
        return HE_CONFIG;
    }
    *out = (unsigned)ms;
    return 0;
}

static int parse_uint(const char *s, unsigned max, unsigned *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v > max) {
        return HE_CONFIG;
    }
    *out = (unsigned)v;
    return 0;
}

/* Splits "host:port" or "[v6]:port". */
static int parse_listen(const char *s, struct http_config *http)
{
    const char *colon = NULL;
    const char *host = s;
    size_t hlen;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':') {
            return HE_CONFIG;
        }
        host = s + 1;
        hlen = (size_t)(close - host);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon) {
            return HE_CONFIG;
        }
        hlen = (size_t)(colon - s);
    }
    unsigned port = 0;
    if (hlen == 0 || hlen >= sizeof(http->listen_host) || parse_uint(colon + 1, 65535, &port)) {
        return HE_CONFIG;
    }
    memcpy(http->listen_host, host, hlen);
    http->listen_host[hlen] = '\0';
    if (strcmp(http->listen_host, "localhost") == 0) {
        snprintf(http->listen_host, sizeof(http->listen_host), "127.0.0.1");
    }
    http->listen_port = (uint16_t)port;
    return 0;
}

static int set_option(struct serve_opts *o, const char *name, const char *value)
{
    unsigned u = 0;
    size_t sz = 0;
    if (strcmp(name, "listen") == 0) {
        if (parse_listen(value, &o->http) != 0) {
            return HE_CONFIG;
        }
        snprintf(o->listen, sizeof(o->listen), "%s", value);
        return 0;
    }
    if (strcmp(name, "data") == 0) {
        return (size_t)snprintf(o->data, sizeof(o->data), "%s", value) < sizeof(o->data) && value[0]
                   ? 0
                   : HE_CONFIG;
    }
    if (strcmp(name, "database") == 0) {
        return (size_t)snprintf(o->database, sizeof(o->database), "%s", value) < sizeof(o->database)
                   ? 0
                   : HE_CONFIG;
    }
    if (strcmp(name, "workers") == 0) {
        return parse_uint(value, 1024, &o->workers);
    }
    if (strcmp(name, "connection_limit") == 0) {
        if (parse_uint(value, 1000000, &u) || u == 0) {
            return HE_CONFIG;
        }
        o->http.connection_limit = u;
        return 0;
    }
    if (strcmp(name, "max_body") == 0 || strcmp(name, "max_header") == 0 ||
        strcmp(name, "max_uri") == 0 || strcmp(name, "ws_queue_max") == 0 ||
        strcmp(name, "ws_max_message") == 0) {
        if (parse_size(value, &sz) || sz == 0) {
            return HE_CONFIG;
        }
        if (strcmp(name, "max_body") == 0) {
            o->http.body_max = sz;
        } else if (strcmp(name, "max_header") == 0) {
            o->http.header_max = sz;
        } else if (strcmp(name, "max_uri") == 0) {
            o->http.uri_max = sz;
        } else if (strcmp(name, "ws_queue_max") == 0) {
            o->ws.send_queue_max = sz;
        } else {
            o->ws.recv_msg_max = sz;
        }
        return 0;
    }
    if (strcmp(name, "ws_ping_interval") == 0) {
        return parse_duration_ms(value, &o->ws.ping_interval_ms);
    }
    if (strcmp(name, "log_level") == 0) {
        int lvl = log_level_parse(value);
        if (lvl < 0) {
            return HE_CONFIG;
        }
        log_level = lvl;
        return 0;
    }
    return HE_INVAL; /* unknown */
}

static const char *const option_names[] = {
    "listen",       "data",           "database",         "workers",
    "max_body",     "max_header",     "max_uri",          "connection_limit",
    "ws_queue_max", "ws_max_message", "ws_ping_interval", "log_level",
};

/* 0, 1 when --help was asked, 2 on a usage error (printed). */
static int parse_options(struct serve_opts *o, int argc, char **argv)
{
    for (size_t i = 0; i < HU_ARRAY_LEN(option_names); i++) {
        char env[64];
        snprintf(env, sizeof(env), "HUARD_%s", option_names[i]);
        for (char *p = env; *p; p++) {
            if (*p >= 'a' && *p <= 'z') {
                *p = (char)(*p - 'a' + 'A');
            }
        }
        const char *v = getenv(env);
        if (v && set_option(o, option_names[i], v) != 0) {
            fprintf(stderr, "env %s: option '%s': invalid value '%s'\n", env, option_names[i], v);
            return 2;
        }
    }
    const char *hooks = getenv("HUARD_TEST_HOOKS");
    o->test_hooks = hooks && strcmp(hooks, "1") == 0;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            return 1;
        }
        if (strncmp(arg, "--", 2) != 0) {
            fprintf(stderr, "huard serve: unexpected argument '%s'\n", arg);
            return 2;
        }
        char name[64];
        const char *value = NULL;
        const char *eq = strchr(arg + 2, '=');
        size_t nlen = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
        if (nlen == 0 || nlen >= sizeof(name)) {
            fprintf(stderr, "huard serve: bad option '%s'\n", arg);
            return 2;
        }
        memcpy(name, arg + 2, nlen);
        name[nlen] = '\0';
        for (char *p = name; *p; p++) {
            if (*p == '-') {
                *p = '_';
            }
        }
        if (eq) {
            value = eq + 1;
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            fprintf(stderr, "--%s: option '%s': missing value\n", name, name);
            return 2;
        }
        int rc = set_option(o, name, value);
        if (rc == HE_INVAL) {
            fprintf(stderr, "huard serve: unknown option '--%s'\n", name);
            return 2;
        }
        if (rc != 0) {
            fprintf(stderr, "--%s: option '%s': invalid value '%s'\n", name, name, value);
            return 2;
        }
    }
    return 0;
}

/* ---- routes of the server itself ---- */

/* GET /api/chatd/1.0/status (wazo-api.md 3.8). Wazo requires the ACL chatd.status.read;
 * issue 5 adds the token check when auth exists. Until then it answers anyone. */
static int status_chatd(const struct http_request *req, struct http_response *resp, void *ctx)
{
    (void)req;
    (void)ctx;
    /* The body never changes: rendered once, copied per answer. */
    static const char body[] = "{\"rest_api\":{\"status\":\"ok\"},\"bus_consumer\":{\"status\":"
                               "\"ok\"},\"presence_initialization\":{\"status\":\"ok\"},"
                               "\"master_tenant\":{\"status\":\"ok\"}}";
    http_resp_bytes(resp, 200, "application/json", body, sizeof(body) - 1);
    return 0;
}

/* GET /api/huard/1.0/status: unauthenticated readiness probe for load balancers. */
static int status_huard(const struct http_request *req, struct http_response *resp, void *ctx)
{
    (void)req;
    (void)ctx;
    json_t *body = json_pack("{s:s, s:s}", "status", "ok", "version", HUARD_VERSION);
    http_resp_json(resp, 200, body);
    return 0;
}

/* Test hooks only: runs on a worker and answers what it was given, so that integration tests
 * see suspend/resume, path parameters, query decoding, JSON parsing and the client address. */
static int test_echo(const struct http_request *req, struct http_response *resp, void *ctx)
{
    (void)ctx;
    json_t *query = json_object();
    for (size_t i = 0; i < http_request_query_count(req); i++) {
        const char *name;
        const char *value;
        http_request_query_at(req, i, &name, &value);
        json_object_set_new(query, name, json_string(value));
    }
    json_t *body = http_request_json(req);
    json_t *out =
        json_pack("{s:s, s:s, s:s?, s:o, s:O?, s:s, s:s}", "method", http_request_method(req),
                  "path", http_request_path(req), "name", http_request_param(req, "name"), "query",
                  query, "json", body, "query_string", http_request_query_string(req), "remote",
                  http_request_remote_addr(req));
    if (!out) {
        return HE_INTERNAL;
    }
    http_resp_json(resp, 200, out);
    return 0;
}

struct broadcast {
    struct server *srv;
    struct ws_payload *payload;
};

static void broadcast_after(struct loop *loop, void *arg)
{
    (void)loop;
    struct broadcast *b = arg;
    if (b->srv->echo) {
        ws_echo_broadcast(b->srv->echo, b->payload);
    }
    ws_payload_unref(b->payload);
    free(b);
}

/* Test hooks only: POST body -> every echo WebSocket. The payload is rendered on the worker;
 * the fan-out runs on the loop after the answer (http_resp_after), as websocketd events will. */
static int test_broadcast(const struct http_request *req, struct http_response *resp, void *ctx)
{
    size_t len = 0;
    const char *body = http_request_body(req, &len);
    struct broadcast *b = xcalloc(1, sizeof(*b));
    b->srv = ctx;
    b->payload = ws_payload_new(body, len);
    http_resp_after(resp, broadcast_after, b);
    http_resp_status(resp, 204);
    return 0;
}

static int add_routes(struct server *srv)
{
    if (srv->opts.test_hooks) {
        if (!http_route_add(srv->router, "GET", "/api/huard/1.0/test/echo/{name}", test_echo, srv,
                            0) ||
            !http_route_add(srv->router, "POST", "/api/huard/1.0/test/echo/{name}", test_echo, srv,
                            HTTP_ROUTE_JSON) ||
            !http_route_add(srv->router, "GET", "/api/huard/1.0/test/echo/fixed", test_echo, srv,
                            0) ||
            !http_route_add(srv->router, "POST", "/api/huard/1.0/test/broadcast", test_broadcast,
                            srv, 0) ||
            http_static_add(srv->router, "/api/huard/1.0/test/static", srv->opts.data) != 0) {
            return HE_INTERNAL;
        }
    }
    if (!http_route_add(srv->router, "GET", "/api/chatd/1.0/status", status_chatd, srv,
                        HTTP_ROUTE_INLINE) ||
        !http_route_add(srv->router, "GET", "/api/huard/1.0/status", status_huard, srv,
                        HTTP_ROUTE_INLINE)) {
        return HE_INTERNAL;
    }
    srv->echo = ws_echo_add(srv->ws, srv->router, "/api/websocketd/", srv->opts.test_hooks);
    if (!srv->echo) {
        return HE_INTERNAL;
    }
    return 0;
}

/* ---- shutdown ---- */

static void finish_stop(struct server *srv)
{
    loop_stop(srv->loop);
}

static void on_drain_timeout(struct loop *loop, struct loop_timer *t, void *arg)
{
    (void)loop;
    (void)t;
    struct server *srv = arg;
    log_warn("msg=drain_timeout inflight=%zu sessions=%zu", http_server_inflight(srv->http),
             ws_server_session_count(srv->ws));
    finish_stop(srv);
}

static void on_http_drained(void *arg)
{
    struct server *srv = arg;
    if (ws_server_session_count(srv->ws) == 0) {
        finish_stop(srv);
    }
}

/* Re-checked every iteration during the drain: WebSocket closes complete asynchronously. */
static int drain_prepare(struct loop *loop, void *arg)
{
    (void)loop;
    struct server *srv = arg;
    if (srv->stopping && http_server_inflight(srv->http) == 0 &&
        ws_server_session_count(srv->ws) == 0) {
        finish_stop(srv);
        return 0;
    }
    return -1;
}

static void on_signal(struct loop *loop, int signo, void *arg)
{
    (void)loop;
    struct server *srv = arg;
    if (srv->stopping) {
        log_warn("msg=second_signal signo=%d action=stop_now", signo);
        finish_stop(srv);
        return;
    }
    srv->stopping = true;
    log_info("msg=draining signo=%d inflight=%zu sessions=%zu", signo,
             http_server_inflight(srv->http), ws_server_session_count(srv->ws));
    ws_server_close_all(srv->ws, WS_CLOSE_GOING_AWAY, "server shutting down");
    http_server_drain(srv->http, on_http_drained, srv);
    srv->drain_timer = loop_timer_new(srv->loop, on_drain_timeout, srv);
    loop_timer_start(srv->drain_timer, DRAIN_TIMEOUT_MS);
    loop_prepare_add(srv->loop, drain_prepare, srv);
}

static void server_teardown(struct server *srv)
{
    if (srv->loop) {
        loop_prepare_remove(srv->loop, drain_prepare, srv);
    }
    loop_timer_free(srv->drain_timer);
    srv->drain_timer = NULL;
    /* Sessions first: their sockets go back to MHD before it stops. */
    ws_server_free(srv->ws);
    srv->ws = NULL;
    ws_echo_free(srv->echo);
    srv->echo = NULL;
    /* Workers finish their jobs; the done callbacks (resumes) run on the loop, then MHD can
     * stop with no suspended connection. */
    pool_free(srv->pool);
    srv->pool = NULL;
    if (srv->loop) {
        for (int i = 0; i < 100 && srv->http && http_server_inflight(srv->http) > 0; i++) {
            if (loop_run_once(srv->loop, 10) != 0) {
                break;
            }
        }
    }
    http_server_free(srv->http);
    srv->http = NULL;
    http_router_free(srv->router);
    srv->router = NULL;
    loop_free(srv->loop);
    srv->loop = NULL;
    store_close(srv->store);
    srv->store = NULL;
    config_release(&srv->cfg);
}

int cmd_serve(int argc, char **argv)
{
    struct server srv;
    memset(&srv, 0, sizeof(srv));
    struct serve_opts *o = &srv.opts;
    snprintf(o->listen, sizeof(o->listen), "127.0.0.1:9500");
    snprintf(o->data, sizeof(o->data), "./data");
    http_config_defaults(&o->http);
    ws_config_defaults(&o->ws);

    int prc = parse_options(o, argc, argv);
    if (prc == 1) {
        usage(stdout);
        return 0;
    }
    if (prc != 0) {
        usage(stderr);
        return 2;
    }
    int status = 1;
    if (mkdir(o->data, 0700) != 0 && errno != EEXIST) {
        log_err("msg=data_dir_failed path=%s errno=%d", o->data, errno);
        return 1;
    }

    config_init_defaults(&srv.cfg);
    char *cerr = NULL;
    if (config_load_env(&srv.cfg, NULL, &cerr) != 0) {
        log_err("msg=config_failed err=\"%s\"", cerr);
        free(cerr);
        goto out;
    }
    free(srv.cfg.data);
    srv.cfg.data = xstrdup(o->data);
    char *dbpath = o->database[0] ? xstrdup(o->database) : xasprintf("%s/huard.db", o->data);
    int src = store_open(dbpath, NULL, &srv.store);
    free(dbpath);
    if (src != 0 || bootstrap_first_start(srv.store, &srv.cfg, srv.app.stack_uuid) != 0) {
        log_err("msg=store_failed err=%s", he_name(src));
        goto out;
    }

    srv.loop = loop_new();
    if (!srv.loop) {
        goto out;
    }
    srv.pool = pool_new(srv.loop, o->workers);
    if (!srv.pool) {
        goto out;
    }
    srv.router = http_router_new();
    srv.ws = ws_server_new(srv.loop, &o->ws);
    if (!srv.ws || add_routes(&srv) != 0) {
        goto out;
    }
    srv.app.cfg = &srv.cfg;
    srv.app.store = srv.store;
    srv.app.loop = srv.loop;
    srv.app.ws = srv.ws;
    if (api_auth_register(srv.router, &srv.app) != 0) {
        goto out;
    }
    srv.http = http_server_new(srv.loop, srv.pool, srv.router, &o->http);
    if (!srv.http) {
        goto out;
    }
    loop_on_signal(srv.loop, on_signal, &srv);
    const char *host = o->http.listen_host;
    bool v6 = strchr(host, ':') != NULL;
    log_info("msg=listening addr=http://%s%s%s:%u workers=%u data=%s", v6 ? "[" : "", host,
             v6 ? "]" : "", (unsigned)http_server_port(srv.http), pool_size(srv.pool), o->data);
    if (o->test_hooks) {
        log_warn("msg=test_hooks_enabled");
    }
    if (loop_run(srv.loop) != 0) {
        goto out;
    }
    status = 0;
    log_info("msg=stopped");
out:
    server_teardown(&srv);
    return status;
}
