/*
 * server: libmicrohttpd 0.9.75 in external-epoll mode on our loop.
 *
 * MHD's epoll fd sits in our epoll (level-triggered); when it is readable we call MHD_run.
 * A prepare hook runs MHD again when something we did needs it (a resume, an upgrade close:
 * mhd-notes.md 1.3 b and c) and bounds the loop's wait by MHD_get_timeout.
 *
 * Per request (MHD's con_cls) we keep a struct conn, created by the URI log callback, which
 * sees the raw request-target (for the 414 check and the raw query string). The access
 * handler's first call only records; the body calls accumulate under the cap; the last call
 * copies the request, routes it and answers, suspends for a worker, or upgrades. Answers are
 * never queued in the first call, else MHD closes the connection after them (mhd-notes 1.3 a),
 * except 413 for a declared oversize body, where closing is what we want.
 */
#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#define LOG_MODULE "http"
#include "base/err.h"
#include "base/log.h"
#include "http/internal.h"
#include "loop/loop.h"
#include "loop/pool.h"

#include "base/banned.h"

enum conn_state {
    CONN_READING,  /* headers and body arriving */
    CONN_RUNNING,  /* suspended, handler on a worker */
    CONN_READY,    /* resumed, response waiting to be queued */
    CONN_ANSWERED, /* response queued */
    CONN_UPGRADED, /* socket handed to an upgrade route */
};

struct conn {
    struct http_server *srv;
    struct MHD_Connection *mc;
    enum conn_state state;
    unsigned calls;
    int early_err;   /* HE_* decided before the body was complete (414, 431, 413) */
    char *raw_query; /* NULL when none */
    size_t body_max;
    char *body;
    size_t body_len;
    size_t body_cap;
    struct http_request *req;
    const struct http_route *route;
    int route_err; /* HE_NOT_FOUND or HE_METHOD when route is NULL */
    struct http_response *resp;
};

/*
 * An upgraded socket is detached from MHD: the upgrade callback dups it and hands MHD's
 * connection back at once (UPGRADE_ACTION_CLOSE; with MHD_USE_TURBO, MHD closes its own
 * descriptor without shutdown(), so the socket lives on in our dup). MHD 0.9.75 otherwise
 * keeps every upgraded connection in its suspended list with its memory pool: 8.6 kB per
 * idle WebSocket, and a walk over all of them in every MHD_run that follows a resume (each
 * REST answer from a worker), 7 % of the server's CPU with 2,000 sockets in issue 6's
 * many-rooms profile. Only when dup fails does a socket stay with MHD (urh set).
 */
struct http_upgraded {
    struct http_server *srv;
    struct MHD_UpgradeResponseHandle *urh; /* NULL once detached */
    int fd;                                /* our dup when detached, else -1 */
};

struct http_server {
    struct loop *loop;
    struct pool *pool;
    const struct http_router *router;
    struct http_config cfg;
    struct MHD_Daemon *daemon;
    struct loop_watch *watch;
    uint16_t port;
    bool need_run;
    size_t inflight;
    size_t upgraded; /* sockets handed to upgrade routes and not closed yet */
    uint64_t next_id;
    bool draining;
    void (*drain_done)(void *arg);
    void *drain_arg;
};

void http_config_defaults(struct http_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->listen_host, sizeof(cfg->listen_host), "127.0.0.1");
    cfg->listen_port = 9500;
    cfg->connection_limit = 20000;
    cfg->connection_memory = 8192;
    cfg->body_max = 64 * 1024;
    cfg->header_max = 8 * 1024;
    cfg->uri_max = 4 * 1024;
    cfg->idle_timeout_s = 60;
}

/* ---- helpers ---- */

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char buf[512];
    vsnprintf(buf, sizeof(buf), fmt, ap);
    size_t len = strlen(buf);
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) {
        buf[--len] = '\0';
    }
    for (char *p = buf; *p; p++) {
        if (*p == '"') {
            *p = '\'';
        }
    }
    log_warn("msg=mhd text=\"%s\"", buf);
}

static bool addr_is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
    }
    return false;
}

static void addr_text(const struct sockaddr *sa, char *out, size_t len)
{
    out[0] = '\0';
    if (sa->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)len);
    } else if (sa->sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)len);
    }
}

/*
 * Writes the last entry of an X-Forwarded-For list into out (len bytes) in inet_ntop's
 * canonical form. Returns false, out untouched, when that entry is not an IPv4 or IPv6
 * address: the value is a client-supplied string until proven otherwise, and it keys the
 * login limiter and the logs.
 */
static bool xff_last_addr(const char *xff, char *out, size_t len)
{
    const char *last = strrchr(xff, ',');
    last = last ? last + 1 : xff;
    while (*last == ' ' || *last == '\t') {
        last++;
    }
    size_t n = strcspn(last, " \t");
    char entry[INET6_ADDRSTRLEN];
    if (n == 0 || n >= sizeof(entry) || last[n + strspn(last + n, " \t")] != '\0') {
        return false;
    }
    memcpy(entry, last, n);
    entry[n] = '\0';
    unsigned char bin[sizeof(struct in6_addr)];
    int af = strchr(entry, ':') ? AF_INET6 : AF_INET;
    if (inet_pton(af, entry, bin) != 1) {
        return false;
    }
    return inet_ntop(af, bin, out, (socklen_t)len) != NULL;
}

/* The client address: the peer, or the last X-Forwarded-For entry when the peer is loopback
 * (nginx in front sets it, DESIGN.md section 1) and that entry is an address. */
static void set_remote_addr(struct conn *c, struct http_request *req)
{
    char text[INET6_ADDRSTRLEN] = "";
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c->mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    if (sa) {
        addr_text(sa, text, sizeof(text));
        const char *xff = http_request_header(req, "X-Forwarded-For");
        if (xff && addr_is_loopback(sa) && !xff_last_addr(xff, text, sizeof(text))) {
            log_debug("msg=xff_ignored peer=%s", text);
        }
    }
    req->remote_addr = http__request_strndup(req, text, strlen(text));
}

static enum MHD_Result copy_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    http__request_add_header(cls, key, value);
    return MHD_YES;
}

static enum MHD_Result copy_query(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    (void)kind;
    http__request_add_query(cls, key, value);
    return MHD_YES;
}

struct header_size {
    size_t total;
};

static enum MHD_Result sum_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    (void)kind;
    struct header_size *hs = cls;
    hs->total += strlen(key) + (value ? strlen(value) : 0) + 4; /* ": " and CRLF */
    return MHD_YES;
}

/* ---- answering ---- */

static enum MHD_Result queue_response(struct conn *c, struct http_response *resp);

static void upgrade_cb(void *cls, struct MHD_Connection *mc, void *con_cls, const char *extra_in,
                       size_t extra_in_size, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
    (void)cls;
    (void)mc;
    struct conn *c = con_cls;
    struct http_server *srv = c->srv;
    /* MHD switched Nagle back on for the upgraded socket; wslay writes header and payload
     * separately, so Nagle plus delayed ACK would stall frames by 40 ms (mhd-notes 1.3 d). */
    int one = 1;
    setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    struct http_upgraded *up = xcalloc(1, sizeof(*up));
    up->srv = srv;
    up->urh = urh;
    up->fd = fcntl(sock, F_DUPFD_CLOEXEC, 0);
    if (up->fd >= 0) {
        /* extra_in points into MHD's read buffer, which stays until the next MHD_run. */
        MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
        srv->need_run = true;
        up->urh = NULL;
        sock = up->fd;
    } else {
        log_warn("msg=upgrade_dup_failed errno=%d", errno);
    }
    srv->upgraded++;
    c->state = CONN_UPGRADED;
    c->route->upgrade->open(c->route->ctx, c->req, up, sock, extra_in, extra_in_size);
    /* The request was only needed for the open callback; a long-lived WebSocket keeps no
     * copy of its headers (memory per idle socket, DESIGN.md goal). */
    http__request_free(c->req);
    c->req = NULL;
}

void http_upgraded_close(struct http_upgraded *up)
{
    if (!up) {
        return;
    }
    up->srv->upgraded--;
    if (up->urh == NULL) {
        close(up->fd);
        free(up);
        return;
    }
    MHD_upgrade_action(up->urh, MHD_UPGRADE_ACTION_CLOSE);
    /* CLOSE only marks the connection; the socket is closed by the next MHD_run, which
     * nothing else would trigger (mhd-notes 1.3 c). */
    up->srv->need_run = true;
    free(up);
}

static enum MHD_Result queue_response(struct conn *c, struct http_response *resp)
{
    struct MHD_Response *r = NULL;
    if (resp->upgrade) {
        r = MHD_create_response_for_upgrade(upgrade_cb, c);
    } else if (resp->fd >= 0) {
        r = MHD_create_response_from_fd_at_offset64(resp->fd_len, resp->fd, resp->fd_offset);
        if (r) {
            resp->fd = -1; /* MHD closes it with the response */
        }
    } else if (resp->body_len > 0) {
        r = MHD_create_response_from_buffer(resp->body_len, resp->body, MHD_RESPMEM_MUST_FREE);
        if (r) {
            resp->body = NULL; /* MHD frees it (xmalloc memory is malloc memory) */
            resp->body_len = 0;
        }
    } else {
        r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    }
    if (!r) {
        log_err("msg=mhd_response_failed req=%" PRIu64, c->req ? c->req->id : 0);
        return MHD_NO;
    }
    if (resp->content_type) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
    }
    for (size_t i = 0; i < resp->nheaders; i++) {
        MHD_add_response_header(r, resp->headers[2 * i], resp->headers[2 * i + 1]);
    }
    enum MHD_Result ret = MHD_queue_response(c->mc, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    if (c->req) {
        log_debug("msg=answer req=%" PRIu64 " method=%s path=%s status=%d", c->req->id,
                  c->req->method, c->req->path, resp->status);
    }
    if (ret == MHD_YES && c->state != CONN_UPGRADED) {
        c->state = CONN_ANSWERED;
    }
    /* Post-response closures (event fan-out) run now, on the loop, after the answer is in
     * MHD's hands. They run even when queueing failed, so their arguments are released. */
    http__response_run_after(resp, c->srv->loop);
    return ret;
}

static enum MHD_Result answer_error(struct conn *c, int code, const char *allow)
{
    struct http_response *resp = http__response_new();
    http_resp_error(resp, code, NULL, NULL, NULL);
    if (allow && allow[0]) {
        http_resp_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
    }
    enum MHD_Result ret = queue_response(c, resp);
    http__response_free(resp, c->srv->loop);
    return ret;
}

/* ---- workers ---- */

static void job_work(void *arg)
{
    struct conn *c = arg;
    http__route_run(c->srv->router, c->route, c->req, c->resp);
}

static void check_drained(struct http_server *srv)
{
    if (srv->draining && srv->inflight == 0 && srv->drain_done) {
        void (*done)(void *) = srv->drain_done;
        srv->drain_done = NULL;
        done(srv->drain_arg);
    }
}

static void job_done(struct loop *loop, void *arg)
{
    (void)loop;
    struct conn *c = arg;
    struct http_server *srv = c->srv;
    c->state = CONN_READY;
    srv->inflight--;
    /* Resumed on the loop thread; the next MHD_run (prepare hook) calls the access handler
     * again, which queues the response (mhd-notes 1.3 b: external mode has no wake-up). */
    MHD_resume_connection(c->mc);
    srv->need_run = true;
    check_drained(srv);
}

/* ---- MHD callbacks ---- */

static void *uri_log_cb(void *cls, const char *uri, struct MHD_Connection *mc)
{
    struct http_server *srv = cls;
    struct conn *c = xcalloc(1, sizeof(*c));
    c->srv = srv;
    c->mc = mc;
    c->body_max = srv->cfg.body_max;
    size_t len = strlen(uri);
    if (len > srv->cfg.uri_max) {
        c->early_err = HE_URI_TOO_LONG;
    } else {
        const char *q = strchr(uri, '?');
        if (q) {
            c->raw_query = xstrdup(q + 1);
        }
    }
    return c;
}

static void completed_cb(void *cls, struct MHD_Connection *mc, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)mc;
    (void)toe;
    struct http_server *srv = cls;
    struct conn *c = *con_cls;
    if (!c) {
        return;
    }
    BUG_ON(c->state == CONN_RUNNING); /* a suspended connection cannot complete */
    http__response_free(c->resp, srv->loop);
    http__request_free(c->req);
    free(c->raw_query);
    free(c->body);
    free(c);
    *con_cls = NULL;
}

static struct http_request *build_request(struct conn *c, const char *url, const char *method);

/* First access-handler call: headers are in. Copy the request, route it, and decide the caps
 * that do not need the body (the route may raise the body cap). */
static enum MHD_Result first_call(struct conn *c, const char *url, const char *method)
{
    struct http_server *srv = c->srv;
    if (c->early_err) {
        return MHD_YES;
    }
    struct header_size hs = {0};
    MHD_get_connection_values(c->mc, MHD_HEADER_KIND, sum_header, &hs);
    if (hs.total > srv->cfg.header_max) {
        c->early_err = HE_HEADERS_TOO_LARGE;
        return MHD_YES;
    }
    c->req = build_request(c, url, method);
    char allow[8];
    c->route =
        http__router_match(srv->router, method, url, c->req, allow, sizeof(allow), &c->route_err);
    if (c->route && c->route->body_max) {
        c->body_max = c->route->body_max;
    }
    const char *cl =
        MHD_lookup_connection_value(c->mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        char *end = NULL;
        errno = 0;
        unsigned long long n = strtoull(cl, &end, 10);
        if (errno == 0 && end != cl && n > c->body_max) {
            /* Answer now: MHD then closes the connection instead of reading a body we
             * would throw away. */
            c->early_err = HE_TOO_LARGE;
            return answer_error(c, HE_TOO_LARGE, NULL);
        }
    }
    return MHD_YES;
}

static void body_append(struct conn *c, const char *data, size_t len)
{
    if (c->early_err) {
        return; /* discarding */
    }
    if (len > c->body_max - c->body_len) {
        c->early_err = HE_TOO_LARGE;
        free(c->body);
        c->body = NULL;
        c->body_len = c->body_cap = 0;
        return;
    }
    if (c->body_len + len + 1 > c->body_cap) {
        size_t cap = c->body_cap ? c->body_cap : 1024;
        while (cap < c->body_len + len + 1) {
            cap *= 2;
        }
        c->body = xrealloc(c->body, cap);
        c->body_cap = cap;
    }
    memcpy(c->body + c->body_len, data, len);
    c->body_len += len;
}

static struct http_request *build_request(struct conn *c, const char *url, const char *method)
{
    struct http_server *srv = c->srv;
    struct http_request *req = http__request_new(++srv->next_id);
    req->method = http__request_strndup(req, method, strlen(method));
    req->path = http__request_strndup(req, url, strlen(url));
    if (c->raw_query) {
        req->query_string = http__request_strndup(req, c->raw_query, strlen(c->raw_query));
    }
    MHD_get_connection_values(c->mc, MHD_HEADER_KIND, copy_header, req);
    MHD_get_connection_values(c->mc, MHD_GET_ARGUMENT_KIND, copy_query, req);
    set_remote_addr(c, req);
    return req;
}

/* Last access-handler call of a request (body complete): answer, suspend or upgrade. */
static enum MHD_Result dispatch(struct conn *c, const char *url, const char *method)
{
    struct http_server *srv = c->srv;
    if (c->early_err) {
        return answer_error(c, c->early_err, NULL);
    }
    if (!c->route) {
        char allow[128];
        int err = 0;
        if (c->route_err == HE_METHOD) {
            /* Recomputed here for the Allow header only (rare path). */
            http__router_match(srv->router, method, url, c->req, allow, sizeof(allow), &err);
        } else {
            allow[0] = '\0';
        }
        return answer_error(c, c->route_err, allow);
    }
    if (c->body) {
        c->body[c->body_len] = '\0';
        http__request_set_body(c->req, c->body, c->body_len);
        c->body = NULL;
        c->body_len = c->body_cap = 0;
    }
    c->resp = http__response_new();
    if (c->route->upgrade) {
        /* Detached sockets are not counted by MHD's connection limit: the same cap here. */
        if (srv->upgraded >= srv->cfg.connection_limit) {
            http__response_finish(c->resp, HE_BUSY);
            return queue_response(c, c->resp);
        }
        int rc = c->route->upgrade->check(c->route->ctx, c->req, c->resp);
        http__response_finish(c->resp, rc);
        return queue_response(c, c->resp);
    }
    if (c->route->flags & HTTP_ROUTE_INLINE) {
        http__route_run(srv->router, c->route, c->req, c->resp);
        return queue_response(c, c->resp);
    }
    MHD_suspend_connection(c->mc);
    c->state = CONN_RUNNING;
    srv->inflight++;
    pool_submit(srv->pool, job_work, job_done, c);
    return MHD_YES;
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *mc, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct http_server *srv = cls;
    struct conn *c = *con_cls;
    if (!c) {
        /* The URI log callback always runs first; keep a sane state anyway. */
        c = uri_log_cb(srv, url, mc);
        *con_cls = c;
    }
    if (c->calls++ == 0) {
        return first_call(c, url, method);
    }
    if (*upload_data_size > 0) {
        body_append(c, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    switch (c->state) {
    case CONN_READING:
        return dispatch(c, url, method);
    case CONN_READY:
        return queue_response(c, c->resp);
    default:
        return MHD_YES;
    }
}

/* ---- loop integration ---- */

static void run_mhd(struct http_server *srv)
{
    srv->need_run = false;
    MHD_run(srv->daemon);
}

static void on_mhd_fd(struct loop *loop, int fd, uint32_t events, void *arg)
{
    (void)loop;
    (void)fd;
    (void)events;
    run_mhd(arg);
}

static int prepare_cb(struct loop *loop, void *arg)
{
    (void)loop;
    struct http_server *srv = arg;
    /* A few passes at most: MHD reports timeout 0 while its ready list is not empty. */
    for (int pass = 0; pass < 4; pass++) {
        MHD_UNSIGNED_LONG_LONG to = 0;
        bool has_to = MHD_get_timeout(srv->daemon, &to) == MHD_YES;
        if (!srv->need_run && !(has_to && to == 0)) {
            if (!has_to) {
                return -1;
            }
            return to > INT32_MAX ? INT32_MAX : (int)to;
        }
        run_mhd(srv);
    }
    return 0;
}

static void raise_nofile(unsigned want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        return;
    }
    /* Connections plus a margin for the listen socket, epoll, store and workers' files. */
    rlim_t need = (rlim_t)want + 256;
    if (rl.rlim_cur >= need) {
        return;
    }
    rl.rlim_cur = need < rl.rlim_max ? need : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur < (rlim_t)want) {
        /* Past the soft limit accept() fails and MHD stops accepting for a while. */
        log_warn("msg=nofile_limit_low connection_limit=%u soft=%llu hard=%llu", want,
                 (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
    }
}

struct http_server *http_server_new(struct loop *loop, struct pool *pool,
                                    const struct http_router *router, const struct http_config *cfg)
{
    struct http_server *srv = xcalloc(1, sizeof(*srv));
    srv->loop = loop;
    srv->pool = pool;
    srv->router = router;
    srv->cfg = *cfg;

    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_UPGRADE | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO |
                     MHD_USE_ERROR_LOG;
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, cfg->listen_host, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons(cfg->listen_port);
    } else if (inet_pton(AF_INET6, cfg->listen_host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(cfg->listen_port);
        flags |= MHD_USE_IPv6;
    } else {
        log_err("msg=bad_listen_address host=%s", cfg->listen_host);
        goto fail;
    }
    /* HTTP connections (MHD's limit) plus as many detached upgraded sockets. */
    raise_nofile(2 * cfg->connection_limit);

    /* The logger must be the first option, else MHD logs to stderr on its own first. */
    srv->daemon = MHD_start_daemon(
        flags, cfg->listen_port, NULL, NULL, access_cb, srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_logger,
        srv, MHD_OPTION_URI_LOG_CALLBACK, uri_log_cb, srv, MHD_OPTION_NOTIFY_COMPLETED,
        completed_cb, srv, MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->connection_limit,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)cfg->connection_memory,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->idle_timeout_s, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&ss, MHD_OPTION_END);
    if (!srv->daemon) {
        log_err("msg=listen_failed host=%s port=%u", cfg->listen_host, (unsigned)cfg->listen_port);
        goto fail;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = di ? di->port : cfg->listen_port;
    di = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_EPOLL_FD);
    if (!di) {
        log_err("msg=mhd_no_epoll_fd");
        goto fail;
    }
    srv->watch = loop_watch_fd(loop, di->epoll_fd, LOOP_READ, on_mhd_fd, srv);
    if (!srv->watch) {
        goto fail;
    }
    loop_prepare_add(loop, prepare_cb, srv);
    return srv;
fail:
    http_server_free(srv);
    return NULL;
}

uint16_t http_server_port(const struct http_server *srv)
{
    return srv->port;
}

size_t http_server_inflight(const struct http_server *srv)
{
    return srv->inflight;
}

void http_server_drain(struct http_server *srv, void (*done)(void *arg), void *arg)
{
    if (!srv->draining) {
        srv->draining = true;
        MHD_socket lfd = MHD_quiesce_daemon(srv->daemon);
        if (lfd != MHD_INVALID_SOCKET) {
            close(lfd); /* external mode: ours to close */
        }
    }
    srv->drain_done = done;
    srv->drain_arg = arg;
    check_drained(srv);
}

void http_server_free(struct http_server *srv)
{
    if (!srv) {
        return;
    }
    if (srv->daemon) {
        BUG_ON(srv->inflight > 0); /* pool_free and the loop ran every job_done before */
        loop_prepare_remove(srv->loop, prepare_cb, srv);
        /* Process resumes and upgrade closes still pending, then stop. */
        MHD_run(srv->daemon);
        MHD_stop_daemon(srv->daemon);
    }
    loop_watch_remove(srv->watch);
    free(srv);
}
