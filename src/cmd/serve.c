/*
 * serve: `huard serve`, the chat server. Wiring only: options, loop, worker pool, router,
 * HTTP server, WebSocket sessions, the status routes; then run until SIGTERM/SIGINT, drain
 * and free everything (LeakSanitizer must find nothing at exit).
 *
 * Options come from base/config (defaults < file < HUARD_* environment < flags).
 * Test-only switch, deliberately not a config option: HUARD_TEST_HOOKS=1 enables the test
 * routes below and the echo protocol's flood op (ws/echo.h).
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
#include "base/config.h"
#include "base/err.h"
#include "base/log.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"
#include "http/server.h"
#include "http/static.h"
#include "loop/loop.h"
#include "loop/pool.h"
#include "ws/echo.h"
#include "ws/ws.h"

#include "base/banned.h"

#define DRAIN_TIMEOUT_MS 5000

struct server {
    struct config cfg;
    bool test_hooks;
    struct loop *loop;
    struct pool *pool;
    struct http_router *router;
    struct http_server *http;
    struct ws_server *ws;
    struct ws_echo *echo;
    struct loop_timer *drain_timer;
    bool stopping;
};

static void usage(FILE *out)
{
    fprintf(out, "usage: huard serve [options]\n"
                 "\n"
                 "Runs the chat server: REST, WebSocket and web UI on one port, and logs\n"
                 "`msg=listening addr=http://HOST:PORT` on stderr once it accepts connections.\n"
                 "\n");
    config_usage(out);
    fprintf(out, "  --print-config          print the resulting configuration and exit\n"
                 "  -h, --help              show this help\n");
}

/* Turns the configuration into the http and ws settings. */
static int settings_from_config(const struct config *cfg, struct http_config *http,
                                struct ws_config *ws)
{
    http_config_defaults(http);
    ws_config_defaults(ws);
    uint16_t port = 0;
    if (config_addr_split(cfg->listen, http->listen_host, sizeof(http->listen_host), &port) != 0) {
        return HE_CONFIG;
    }
    if (strcmp(http->listen_host, "localhost") == 0) {
        snprintf(http->listen_host, sizeof(http->listen_host), "127.0.0.1");
    }
    http->listen_port = port;
    http->connection_limit = (unsigned)cfg->connection_limit;
    http->body_max = cfg->max_body;
    http->header_max = cfg->max_header;
    http->uri_max = cfg->max_uri;
    ws->ping_interval_ms = (unsigned)cfg->ws_ping_interval_ms;
    ws->send_queue_max = cfg->ws_queue_max;
    ws->recv_msg_max = cfg->ws_max_message;
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
    if (srv->test_hooks) {
        if (!http_route_add(srv->router, "GET", "/api/huard/1.0/test/echo/{name}", test_echo, srv,
                            0) ||
            !http_route_add(srv->router, "POST", "/api/huard/1.0/test/echo/{name}", test_echo, srv,
                            HTTP_ROUTE_JSON) ||
            !http_route_add(srv->router, "GET", "/api/huard/1.0/test/echo/fixed", test_echo, srv,
                            0) ||
            !http_route_add(srv->router, "POST", "/api/huard/1.0/test/broadcast", test_broadcast,
                            srv, 0) ||
            http_static_add(srv->router, "/api/huard/1.0/test/static", srv->cfg.data) != 0) {
            return HE_INTERNAL;
        }
    }
    if (!http_route_add(srv->router, "GET", "/api/chatd/1.0/status", status_chatd, srv,
                        HTTP_ROUTE_INLINE) ||
        !http_route_add(srv->router, "GET", "/api/huard/1.0/status", status_huard, srv,
                        HTTP_ROUTE_INLINE)) {
        return HE_INTERNAL;
    }
    srv->echo = ws_echo_add(srv->ws, srv->router, "/api/websocketd/", srv->test_hooks);
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
}

int cmd_serve(int argc, char **argv)
{
    struct server srv;
    memset(&srv, 0, sizeof(srv));
    int status = 2;
    char *err = NULL;
    int first = argc;
    struct http_config http;
    struct ws_config wscfg;
    if (config_load(&srv.cfg, argc, argv, NULL, &first, &err) != 0) {
        fprintf(stderr, "huard serve: %s\n", err ? err : "bad configuration");
        goto out;
    }
    if (srv.cfg.help) {
        usage(stdout);
        status = 0;
        goto out;
    }
    if (first < argc) {
        fprintf(stderr, "huard serve: unexpected argument '%s'\n", argv[first]);
        goto out;
    }
    if (settings_from_config(&srv.cfg, &http, &wscfg) != 0) {
        fprintf(stderr, "huard serve: option 'listen': invalid address '%s'\n", srv.cfg.listen);
        goto out;
    }
    if (srv.cfg.print_config) {
        config_print(&srv.cfg, stdout);
        status = 0;
        goto out;
    }
    log_level = srv.cfg.log_level;
    const char *hooks = getenv("HUARD_TEST_HOOKS");
    srv.test_hooks = hooks && strcmp(hooks, "1") == 0;
    status = 1;
    if (mkdir(srv.cfg.data, 0700) != 0 && errno != EEXIST) {
        log_err("msg=data_dir_failed path=%s errno=%d", srv.cfg.data, errno);
        goto out;
    }

    srv.loop = loop_new();
    if (!srv.loop) {
        goto out;
    }
    srv.pool = pool_new(srv.loop, (unsigned)config_worker_count(&srv.cfg));
    if (!srv.pool) {
        goto out;
    }
    srv.router = http_router_new();
    srv.ws = ws_server_new(srv.loop, &wscfg);
    if (!srv.ws || add_routes(&srv) != 0) {
        goto out;
    }
    srv.http = http_server_new(srv.loop, srv.pool, srv.router, &http);
    if (!srv.http) {
        goto out;
    }
    loop_on_signal(srv.loop, on_signal, &srv);
    const char *host = http.listen_host;
    bool v6 = strchr(host, ':') != NULL;
    log_info("msg=listening addr=http://%s%s%s:%u workers=%u data=%s", v6 ? "[" : "", host,
             v6 ? "]" : "", (unsigned)http_server_port(srv.http), pool_size(srv.pool),
             srv.cfg.data);
    if (srv.test_hooks) {
        log_warn("msg=test_hooks_enabled");
    }
    if (loop_run(srv.loop) != 0) {
        goto out;
    }
    status = 0;
    log_info("msg=stopped");
out:
    server_teardown(&srv);
    config_release(&srv.cfg);
    free(err);
    return status;
}
