/*
 * conn: member sockets on one epoll loop. Non-blocking connect, the RFC 6455 client upgrade
 * (written by hand; the 101 status and Sec-WebSocket-Accept are checked with OpenSSL SHA-1),
 * then wslay's client context for framing. Limit mode skips the upgrade: raw TCP lines.
 * Loop thread only.
 */
#include "lg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define LG_HANDSHAKE_MAX 8192
#define LG_WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

static uint64_t mask_state = 0x9e3779b97f4a7c15ULL;

void lg_conn_update_events(struct lg_conn *c)
{
    if (c->fd < 0) {
        return;
    }
    uint32_t want = EPOLLIN;
    if (c->state == LG_C_CONNECT) {
        want = EPOLLOUT;
    } else if (c->ws && wslay_event_want_write(c->ws)) {
        want |= EPOLLOUT;
    } else if (!c->ws && c->out_len > 0) {
        want |= EPOLLOUT;
    }
    if (want == c->ev_mask) {
        return;
    }
    struct epoll_event ev = {.events = want, .data.ptr = c};
    int op = c->ev_mask == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
    if (epoll_ctl(c->run->epfd, op, c->fd, &ev) < 0) {
        lg_conn_kill(c, "epoll_ctl");
        return;
    }
    c->ev_mask = want;
}

void lg_conn_kill(struct lg_conn *c, const char *why)
{
    if (c->state == LG_C_DEAD) {
        return;
    }
    if (c->in_wslay) {
        if (!c->kill_why) {
            /* why may be the caller's stack buffer: keep a copy until wslay returns */
            snprintf(c->kill_buf, sizeof(c->kill_buf), "%s", why);
            c->kill_why = c->kill_buf;
        }
        return;
    }
    struct lg_run *run = c->run;
    if (c->state == LG_C_READY) {
        run->n_ready--;
    } else if (c->state != LG_C_IDLE) {
        run->n_in_setup--;
        c->died_in_setup = 1;
    }
    if (run->n_dead < 5) {
        lg_log("member %d closed: %s", c->idx, why);
    }
    run->n_dead++;
    c->state = LG_C_DEAD;
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
    if (c->ws) {
        wslay_event_context_free(c->ws);
        c->ws = NULL;
    }
    lg_xmpp_free(c);
    free(c->in);
    c->in = NULL;
    free(c->line);
    c->line = NULL;
    free(c->out);
    c->out = NULL;
}

void lg_mark_ready(struct lg_conn *c)
{
    if (c->state == LG_C_READY) {
        return;
    }
    c->state = LG_C_READY;
    c->run->n_in_setup--;
    c->run->n_ready++;
}

void lg_conn_retry(struct lg_run *run, struct lg_conn *c)
{
    if (c->state != LG_C_DEAD) {
        lg_conn_kill(c, "setup stalled");
    }
    if (c->state != LG_C_DEAD || c->in_wslay) {
        return;
    }
    run->n_dead--;
    run->n_started--;
    c->setup_retries++;
    run->setup_retries++;
    c->kill_why = NULL;
    c->ev_mask = 0;
    c->step = 0;
    c->in_len = c->in_off = c->in_cap = 0;
    c->line_len = 0;
    c->out_len = c->out_cap = 0;
    lg_conn_start(run, c);
}

void lg_conn_start(struct lg_run *run, struct lg_conn *c)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)run->o.port)};
    inet_pton(AF_INET, run->o.host, &sa.sin_addr);
    c->run = run;
    c->setup_t0_ns = lg_now_ns();
    c->died_in_setup = 0;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    run->n_started++;
    run->n_in_setup++;
    c->state = LG_C_CONNECT;
    if (c->fd < 0) {
        lg_conn_kill(c, strerror(errno));
        return;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
        lg_conn_kill(c, strerror(errno));
        return;
    }
    lg_conn_update_events(c);
}

/* ---- WebSocket client glue ---- */

static ssize_t ws_recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                          void *user)
{
    (void)flags;
    struct lg_conn *c = user;
    if (c->in_off < c->in_len) {
        size_t n = c->in_len - c->in_off;
        if (n > len) {
            n = len;
        }
        memcpy(buf, c->in + c->in_off, n);
        c->in_off += n;
        return (ssize_t)n;
    }
    if (c->drained) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    ssize_t r = recv(c->fd, buf, len, 0);
    if (r > 0) {
        c->drained = (size_t)r < len;
        return r;
    }
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
    } else {
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
    }
    return -1;
}

static ssize_t ws_send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                          void *user)
{
    struct lg_conn *c = user;
    int f = MSG_NOSIGNAL | ((flags & WSLAY_MSG_MORE) ? MSG_MORE : 0);
    ssize_t r = send(c->fd, data, len, f);
    if (r >= 0) {
        return r;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
    } else {
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
    }
    return -1;
}

static int ws_genmask_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, void *user)
{
    (void)ctx;
    (void)user;
    /* Masking only defeats proxy cache poisoning; a load generator needs no CSPRNG here. */
    for (size_t i = 0; i < len; i++) {
        mask_state ^= mask_state << 13;
        mask_state ^= mask_state >> 7;
        mask_state ^= mask_state << 17;
        buf[i] = (uint8_t)mask_state;
    }
    return 0;
}

static void ws_on_msg_cb(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *a,
                         void *user)
{
    (void)ctx;
    struct lg_conn *c = user;
    if (c->kill_why) {
        return; /* closing: the rest of this read is not ours to act on */
    }
    if (a->opcode != WSLAY_TEXT_FRAME && a->opcode != WSLAY_BINARY_FRAME) {
        if (a->opcode == WSLAY_CONNECTION_CLOSE) {
            char why[64];
            snprintf(why, sizeof(why), "close frame %u", a->status_code);
            lg_conn_kill(c, why);
        }
        return;
    }
    if (c->run->o.proto == LG_XMPP) {
        lg_xmpp_on_msg(c, a->msg, a->msg_length);
    } else {
        lg_huard_on_msg(c, a->msg, a->msg_length);
    }
}

static const struct wslay_event_callbacks ws_callbacks = {
    .recv_callback = ws_recv_cb,
    .send_callback = ws_send_cb,
    .genmask_callback = ws_genmask_cb,
    .on_msg_recv_callback = ws_on_msg_cb,
};

/* wslay_event_recv/send with our callbacks guarded: a kill requested from inside a callback
 * runs here, after wslay returned. 0 if the connection lives on, -1 if it was closed. */
static int ws_recv(struct lg_conn *c)
{
    c->in_wslay = 1;
    c->drained = 0;
    int r = wslay_event_recv(c->ws);
    c->in_wslay = 0;
    if (c->kill_why || r != 0) {
        lg_conn_kill(c, c->kill_why ? c->kill_why : "websocket read error");
        return -1;
    }
    return 0;
}

static int ws_send(struct lg_conn *c)
{
    if (!wslay_event_want_write(c->ws)) {
        return 0;
    }
    c->in_wslay = 1;
    int r = wslay_event_send(c->ws);
    c->in_wslay = 0;
    if (c->kill_why || r != 0) {
        lg_conn_kill(c, c->kill_why ? c->kill_why : "websocket write error");
        return -1;
    }
    return 0;
}

int lg_ws_send_text(struct lg_conn *c, const char *data, size_t len)
{
    if (!c->ws) {
        return -1;
    }
    struct wslay_event_msg m = {
        .opcode = WSLAY_TEXT_FRAME, .msg = (const uint8_t *)data, .msg_length = len};
    if (wslay_event_queue_msg(c->ws, &m) != 0) {
        return -1;
    }
    return 0;
}

static void send_upgrade(struct lg_conn *c)
{
    struct lg_run *run = c->run;
    unsigned char rnd[16];
    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        lg_die("RAND_bytes failed");
    }
    EVP_EncodeBlock((unsigned char *)c->ws_key, rnd, sizeof(rnd));
    char *path;
    const char *extra = "";
    if (run->o.proto == LG_HUARD) {
        /* wazo-api.md 4.1: token in the query, protocol version 2 */
        path = lg_xasprintf("/api/websocketd/?token=%s&version=2", run->tokens[c->idx]);
    } else {
        /* RFC 7395 section 3.1: the subprotocol is "xmpp" */
        path = lg_xstrdup(run->o.path);
        extra = "Sec-WebSocket-Protocol: xmpp\r\n";
    }
    char *req = lg_xasprintf("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
                             "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                             "Sec-WebSocket-Version: 13\r\n%s\r\n",
                             path, run->o.host, run->o.port, c->ws_key, extra);
    size_t len = strlen(req);
    /* A fresh socket's send buffer takes a few hundred bytes at once. */
    ssize_t w = send(c->fd, req, len, MSG_NOSIGNAL);
    free(req);
    free(path);
    if (w != (ssize_t)len) {
        lg_conn_kill(c, "upgrade request not sent whole");
        return;
    }
    c->state = LG_C_HANDSHAKE;
}

static const char *find_header(const char *head, size_t len, const char *name, size_t *vlen)
{
    size_t nl = strlen(name);
    const char *p = head, *end = head + len;
    while (p < end) {
        const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
        if (!eol) {
            break;
        }
        if ((size_t)(eol - p) > nl && p[nl] == ':' && strncasecmp(p, name, nl) == 0) {
            const char *v = p + nl + 1;
            while (v < eol && (*v == ' ' || *v == '\t')) {
                v++;
            }
            const char *ve = eol;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) {
                ve--;
            }
            *vlen = (size_t)(ve - v);
            return v;
        }
        p = eol + 2;
    }
    return NULL;
}

static void read_upgrade(struct lg_conn *c)
{
    if (!c->in) {
        c->in_cap = LG_HANDSHAKE_MAX;
        c->in = lg_xmalloc(c->in_cap);
    }
    ssize_t r = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
        lg_conn_kill(c, "closed during upgrade");
        return;
    }
    if (r < 0) {
        return;
    }
    c->in_len += (size_t)r;
    const char *hend = memmem(c->in, c->in_len, "\r\n\r\n", 4);
    if (!hend) {
        if (c->in_len == c->in_cap) {
            lg_conn_kill(c, "upgrade response too long");
        }
        return;
    }
    size_t hlen = (size_t)(hend - c->in) + 4;
    if (c->in_len < 12 || memcmp(c->in, "HTTP/1.1 101", 12) != 0) {
        char why[80];
        size_t n = 0;
        while (n < 40 && n < c->in_len && c->in[n] != '\r') {
            n++;
        }
        snprintf(why, sizeof(why), "upgrade refused: %.*s", (int)n, c->in);
        lg_conn_kill(c, why);
        return;
    }
    /* Sec-WebSocket-Accept = base64(SHA-1(key + GUID)), RFC 6455 section 4.2.2 */
    char concat[64];
    int cl = snprintf(concat, sizeof(concat), "%s%s", c->ws_key, LG_WS_GUID);
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)concat, (size_t)cl, digest);
    char expect[64];
    int el = EVP_EncodeBlock((unsigned char *)expect, digest, SHA_DIGEST_LENGTH);
    size_t vlen = 0;
    const char *v = find_header(c->in, hlen, "Sec-WebSocket-Accept", &vlen);
    if (!v || vlen != (size_t)el || memcmp(v, expect, vlen) != 0) {
        lg_conn_kill(c, "bad Sec-WebSocket-Accept");
        return;
    }
    c->in_off = hlen; /* what follows is already WebSocket framing */
    if (wslay_event_context_client_init(&c->ws, &ws_callbacks, c) != 0) {
        lg_die("wslay_event_context_client_init failed");
    }
    wslay_event_config_set_max_recv_msg_length(c->ws, 1 << 20);
    c->state = LG_C_SETUP;
    if (c->run->o.proto == LG_XMPP) {
        lg_xmpp_on_open(c);
    } else {
        lg_huard_on_open(c);
    }
    if (c->state != LG_C_DEAD && c->in_off < c->in_len) {
        ws_recv(c);
    }
}

static void limit_io(struct lg_conn *c, uint32_t events)
{
    if (events & EPOLLIN) {
        char buf[65536];
        for (int i = 0; i < 16; i++) {
            ssize_t r = recv(c->fd, buf, sizeof(buf), 0);
            if (r > 0) {
                lg_limit_on_data(c, buf, (size_t)r);
                if (c->state == LG_C_DEAD) {
                    return;
                }
                if ((size_t)r < sizeof(buf)) {
                    break; /* short read: empty now (level-triggered epoll, see drained) */
                }
                continue;
            }
            if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
                lg_conn_kill(c, "relay closed");
                return;
            }
            break;
        }
    }
    if (c->out_len > 0) {
        ssize_t w = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);
        if (w < 0 && errno != EAGAIN && errno != EINTR) {
            lg_conn_kill(c, "send failed");
            return;
        }
        if (w > 0) {
            memmove(c->out, c->out + w, c->out_len - (size_t)w);
            c->out_len -= (size_t)w;
        }
    }
}

static void conn_event(struct lg_conn *c, uint32_t events)
{
    if (c->state == LG_C_CONNECT) {
        int err = 0;
        socklen_t el = sizeof(err);
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
        if (err != 0) {
            lg_conn_kill(c, strerror(err));
            return;
        }
        if (c->run->o.proto == LG_LIMIT) {
            c->state = LG_C_SETUP; /* ready on the relay's "ok" line */
            char join[32];
            int n = snprintf(join, sizeof(join), "join %d\n", c->room);
            lg_limit_send(c, join, (size_t)n);
            limit_io(c, 0);
        } else {
            send_upgrade(c);
        }
    } else if (c->state == LG_C_HANDSHAKE) {
        if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
            read_upgrade(c);
        }
    } else if (c->state == LG_C_SETUP || c->state == LG_C_READY) {
        if (!c->ws) {
            limit_io(c, events);
        } else {
            if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && ws_recv(c) != 0) {
                return;
            }
            if (ws_send(c) != 0) {
                return;
            }
            if (!wslay_event_want_read(c->ws) && !wslay_event_want_write(c->ws)) {
                lg_conn_kill(c, "websocket closed");
                return;
            }
        }
    }
    if (c->state != LG_C_DEAD) {
        lg_conn_update_events(c);
    }
}

void lg_loop_once(struct lg_run *run, int timeout_ms)
{
    struct epoll_event evs[512];
    int n = epoll_wait(run->epfd, evs, 512, timeout_ms);
    for (int i = 0; i < n; i++) {
        conn_event(evs[i].data.ptr, evs[i].events);
    }
}

void lg_conn_flush(struct lg_conn *c)
{
    if (c->state == LG_C_DEAD) {
        return;
    }
    if (c->ws) {
        if (ws_send(c) != 0) {
            return;
        }
    } else {
        limit_io(c, 0);
        if (c->state == LG_C_DEAD) {
            return;
        }
    }
    lg_conn_update_events(c);
}

void lg_limit_send(struct lg_conn *c, const char *data, size_t len)
{
    if (c->out_len + len > c->out_cap) {
        c->out_cap = (c->out_len + len) * 2;
        c->out = lg_xrealloc(c->out, c->out_cap);
    }
    memcpy(c->out + c->out_len, data, len);
    c->out_len += len;
}

void lg_limit_on_data(struct lg_conn *c, const char *data, size_t len)
{
    struct lg_run *run = c->run;
    int64_t now = lg_now_ns();
    const char *p = data, *end = data + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) {
            /* keep the partial line for the next read */
            size_t n = (size_t)(end - p);
            c->line = lg_xrealloc(c->line, c->line_len + n);
            memcpy(c->line + c->line_len, p, n);
            c->line_len += n;
            return;
        }
        const char *lp = p;
        size_t ll = (size_t)(nl - p);
        if (c->line_len > 0) {
            c->line = lg_xrealloc(c->line, c->line_len + ll);
            memcpy(c->line + c->line_len, p, ll);
            lp = c->line;
            ll += c->line_len;
        }
        if (c->state == LG_C_SETUP && ll == 2 && memcmp(lp, "ok", 2) == 0) {
            lg_mark_ready(c);
        } else if (ll >= strlen(LG_MARK) && memcmp(lp, LG_MARK, strlen(LG_MARK)) == 0) {
            lg_on_payload(run, lp, ll, now);
        } else {
            run->unexpected++;
        }
        c->line_len = 0;
        p = nl + 1;
    }
}
