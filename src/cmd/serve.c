/*
 * serve: `huard serve`, the chat server. Wiring only: configuration (base/config.h), the
 * store, first-start bootstrap, loop, worker pool, router, HTTP server, WebSocket sessions,
 * the event bus and the API modules (auth, chatd, websocketd, which share struct app); then
 * run until SIGTERM/SIGINT, drain and free everything (LeakSanitizer must find nothing at exit).
 *
 * Test-only switch: HUARD_TEST_HOOKS=1 enables the test routes and the echo protocol's flood
 * op (ws/echo.h).
 */
#include "cmd/cmd.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#define LOG_MODULE "serve"
#include "api/app.h"
#include "base/config.h"
#include "base/err.h"
#include "base/log.h"
#include "domain/bootstrap.h"
#include "events/bus.h"
#include "events/relay.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"
#include "http/server.h"
#include "http/static.h"
#include "loop/loop.h"
#include "loop/pool.h"
#include "store/store.h"
#include "ws/echo.h"
#include "ws/ws.h"

#include "base/banned.h"

#define DRAIN_TIMEOUT_MS 5000
/* Test hooks only: the echo WebSocket protocol of the transport's tests (ws/echo.h). */
#define SERVE_TEST_WS_PATH "/api/huard/1.0/test/ws/"

struct serve_opts {
    char listen[96];
    char data[512];
    char *database; /* store_location(): --database, or <data>/huard.db */
    unsigned workers;
    struct http_config http;
    struct ws_config ws;
    bool test_hooks;
};

struct server {
    struct serve_opts opts;
    struct config cfg;
    struct store *store;
    struct bus *bus;
    struct app app; /* what the API modules share (api/app.h) */
    struct loop *loop;
    struct pool *pool;
    struct http_router *router;
    struct http_server *http;
    struct ws_server *ws;
    struct ws_echo *echo;
    struct relay *relay; /* PostgreSQL only: events of the other instances */
    struct loop_timer *drain_timer;
    bool stopping;
};

static void usage(FILE *out)
{
    fprintf(out, "usage: huard serve [options]\n"
                 "\n"
                 "Runs the chat server: REST, WebSocket and web UI on one port.\n"
                 "Each option is also read from HUARD_<NAME> in the environment and from\n"
                 "the --config file; flags win. --print-config shows the values in force.\n"
                 "\n");
    config_usage(out);
}

/* ---- configuration ---- */

/* Splits "host:port" or "[v6]:port" into the HTTP config ("localhost" binds 127.0.0.1). */
static int listen_from_config(const char *addr, struct http_config *http)
{
    uint16_t port = 0;
    if (config_addr_split(addr, http->listen_host, sizeof(http->listen_host), &port) != 0) {
        return HE_CONFIG;
    }
    if (strcmp(http->listen_host, "localhost") == 0) {
        snprintf(http->listen_host, sizeof(http->listen_host), "127.0.0.1");
    }
    http->listen_port = port;
    return 0;
}

/* 0, 1 when --help or --print-config was served, 2 on a usage error (printed). */
static int load_options(struct serve_opts *o, struct config *cfg, int argc, char **argv)
{
    char *err = NULL;
    int first = argc;
    if (config_load(cfg, argc, argv, NULL, &first, &err) != 0) {
        fprintf(stderr, "huard serve: %s\n", err ? err : "invalid configuration");
        free(err);
        return 2;
    }
    if (cfg->help) {
        usage(stdout);
        return 1;
    }
    if (cfg->print_config) {
        config_print(cfg, stdout);
        return 1;
    }
    if (first < argc) {
        fprintf(stderr, "huard serve: unexpected argument '%s'\n", argv[first]);
        return 2;
    }
    if (listen_from_config(cfg->listen, &o->http) != 0) {
        fprintf(stderr, "huard serve: option 'listen': invalid address '%s'\n", cfg->listen);
        return 2;
    }
    log_level = cfg->log_level;
    snprintf(o->listen, sizeof(o->listen), "%s", cfg->listen);
    if ((size_t)snprintf(o->data, sizeof(o->data), "%s", cfg->data) >= sizeof(o->data) ||
        !cfg->data[0]) {
        fprintf(stderr, "huard serve: option 'data': invalid folder '%s'\n", cfg->data);
        return 2;
    }
    /* The same rule as `huard migrate` and `huard user` (store.h), so all three agree. */
    if (store_location(cfg->data, cfg->database, &o->database) != 0) {
        fprintf(stderr, "huard serve: cannot create the data folder '%s'\n", cfg->data);
        return 2;
    }
    o->workers = (unsigned)config_worker_count(cfg);
    o->http.connection_limit = (unsigned)cfg->connection_limit;
    o->http.body_max = cfg->max_body;
    o->http.header_max = cfg->max_header;
    o->http.uri_max = cfg->max_uri;
    o->ws.ping_interval_ms = (unsigned)cfg->ws_ping_interval_ms;
    o->ws.send_queue_max = cfg->ws_queue_max;
    o->ws.recv_msg_max = cfg->ws_max_message;
    const char *hooks = getenv("HUARD_TEST_HOOKS");
    o->test_hooks = hooks && strcmp(hooks, "1") == 0;
    return 0;
}

/* ---- store and first start ---- */

static int open_store(struct server *srv)
{
    struct store_options sopts = {0};
    sopts.sync =
        srv->cfg.sqlite_synchronous == CONFIG_SYNC_NORMAL ? STORE_SYNC_NORMAL : STORE_SYNC_FULL;
    int rc = store_open(srv->opts.database, &sopts, &srv->store);
    if (rc < 0) {
        log_err("msg=store_open_failed backend=%s err=%s",
                strncmp(srv->opts.database, "postgres", 8) == 0 ? "postgresql" : "sqlite",
                he_name(rc));
        return rc;
    }
    /* Default tenant, the stack uuid every instance shares, the admin user. */
    rc = bootstrap_first_start(srv->store, &srv->cfg, srv->app.stack_uuid);
    if (rc < 0) {
        log_err("msg=bootstrap_failed err=%s", he_name(rc));
    }
    return rc;
}

/* ---- routes of the server itself ---- */

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
    if (!http_route_add(srv->router, "GET", "/api/huard/1.0/status", status_huard, srv,
                        HTTP_ROUTE_INLINE)) {
        return HE_INTERNAL;
    }
    struct app *app = &srv->app;
    app->cfg = &srv->cfg;
    app->store = srv->store;
    app->loop = srv->loop;
    app->pool = srv->pool;
    app->bus = srv->bus;
    app->ws = srv->ws;
    int rc = api_auth_register(srv->router, app);
    if (rc == 0) {
        rc = api_chatd_register(srv->router, app);
    }
    if (rc == 0) {
        rc = api_websocketd_register(srv->router, app);
    }
    if (rc != 0) {
        log_err("msg=api_register_failed err=%s", he_name(rc));
        return rc;
    }
    if (srv->opts.test_hooks) {
        /* The transport's own protocol, for its tests; websocketd v2 owns /api/websocketd/. */
        srv->echo = ws_echo_add(srv->ws, srv->router, SERVE_TEST_WS_PATH, true);
        if (!srv->echo) {
            return HE_INTERNAL;
        }
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
    relay_free(srv->relay);
    srv->relay = NULL;
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
    /* Events still on their way (http_resp_after closures run by loop_free) find no bus and
     * are dropped: nobody is connected any more. */
    srv->app.bus = NULL;
    bus_free(srv->bus);
    srv->bus = NULL;
    loop_free(srv->loop);
    srv->loop = NULL;
    store_close(srv->store);
    srv->store = NULL;
    free(srv->opts.database);
    srv->opts.database = NULL;
    config_release(&srv->cfg);
}

int cmd_serve(int argc, char **argv)
{
    struct server srv;
    memset(&srv, 0, sizeof(srv));
    struct serve_opts *o = &srv.opts;
    http_config_defaults(&o->http);
    ws_config_defaults(&o->ws);

    int prc = load_options(o, &srv.cfg, argc, argv);
    if (prc != 0) {
        if (prc == 2) {
            usage(stderr);
        }
        free(o->database);
        config_release(&srv.cfg);
        return prc == 1 ? 0 : 2;
    }
    int status = 1;
    /* The loop first: it blocks SIGTERM/SIGINT in this thread, so every thread started after
     * it (the store's checkpointer, the workers) inherits the mask and signals reach the
     * loop's signalfd instead of killing the process. */
    srv.loop = loop_new();
    if (!srv.loop) {
        goto out;
    }
    if (open_store(&srv) != 0) {
        goto out;
    }
    srv.pool = pool_new(srv.loop, o->workers);
    if (!srv.pool) {
        goto out;
    }
    srv.router = http_router_new();
    srv.ws = ws_server_new(srv.loop, &o->ws);
    srv.bus = bus_new(srv.loop);
    if (!srv.ws || !srv.bus || add_routes(&srv) != 0) {
        goto out;
    }
    srv.http = http_server_new(srv.loop, srv.pool, srv.router, &o->http);
    if (!srv.http) {
        goto out;
    }
    if (strcmp(store_backend_name(srv.store), "postgresql") == 0) {
        /* Instances sharing the database see each other's events (DESIGN.md section 1). */
        srv.relay =
            relay_new(srv.loop, srv.pool, srv.store, srv.bus, o->database, srv.app.stack_uuid);
    }
    loop_on_signal(srv.loop, on_signal, &srv);
    const char *host = o->http.listen_host;
    bool v6 = strchr(host, ':') != NULL;
    log_info("msg=listening addr=http://%s%s%s:%u workers=%u data=%s store=%s", v6 ? "[" : "", host,
             v6 ? "]" : "", (unsigned)http_server_port(srv.http), pool_size(srv.pool), o->data,
             store_backend_name(srv.store));
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
