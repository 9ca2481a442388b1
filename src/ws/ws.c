/*
 * ws: the upgrade and wslay sessions on the loop.
 *
 * Only wslay's frame layer is used, in both directions; the message-level protocol of
 * RFC 6455 (fragment reassembly, UTF-8 of text, control frames, the close handshake,
 * protocol errors) is done here. Issue 6 asks for at most 20 kB of RSS per idle session:
 * wslay's event context cost 4,345 bytes per session (its 4 KiB output buffer and queues)
 * on top of the frame context it wraps, so a session now holds one frame context (its 4 KiB
 * input buffer, for receiving) and no event context.
 *
 * Sending. Outgoing frames wait in the session's own queue (a ring of payload references,
 * no allocation per message) and are framed at flush time by one frame context shared by
 * the whole server (wslay_frame_send, single-threaded loop) straight into one staging
 * buffer. Control frames (our Pings, Pong replies, Close) are items of the same ring, so a
 * Close always follows the messages queued before it. A flush writes pending bytes, then
 * the ring, and sends the staging buffer with one send() per fill: every frame queued
 * during a loop iteration leaves in one syscall per socket (issue 6), and a frame header
 * never meets Nagle apart from its payload (mhd-notes 1.3 d).
 *
 * The byte callback takes every byte it is given: a frame is always produced whole, so the
 * shared frame context is back at its initial state after each frame and frames of
 * different sessions never mix. When the kernel refuses bytes, the rest of the staging
 * buffer and of the frame being produced go to the session's pending buffer, no further
 * frame is produced, and the socket's writability resumes the flush. Issue 6's profile:
 * wslay's event queue (a heap object per message, the payload copied once into wslay's
 * buffer and again into staging) cost about 1,700 instructions per delivery, 20 % of the
 * loop's CPU in a 1,000-member fan-out.
 *
 * Receiving. The session's frame context reads (MHD's extra_in first, then the socket) and
 * hands out payload pieces; a data message is assembled in a heap buffer that lives only
 * while the message is incomplete, a control payload (<= 125 bytes) likewise.
 *
 * Lifetime: a session is killed (session_kill) at most once: watch and timer gone, on_close
 * called, wslay freed, socket given back to MHD. A kill requested while a message is being
 * delivered (a protocol callback overflowing its own queue, say) is deferred until the
 * read loop returns. The struct itself stays until its last reference is dropped
 * (ws_session_ref).
 */
#include "ws/ws.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <wslay/wslay.h>

#define LOG_MODULE "ws"
#include "base/err.h"
#include "base/log.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"
#include "loop/loop.h"
#include "text/utf8.h"

#include "base/banned.h"

#define WS_STAGING_SIZE (64 * 1024)
#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_CONTROL_MAX 125 /* a control frame's payload (RFC 6455 5.5) */

/* A queued frame: a payload (NULL: empty control frame), and for a template the string
 * placed at its cuts. opcode is WSLAY_TEXT_FRAME for messages, else a control opcode. */
struct ws_qitem {
    struct ws_payload *p;
    uint8_t opcode;
    uint8_t insert_len;
    char insert[WS_INSERT_MAX];
};

struct ws_route_ctx {
    struct ws_server *ws;
    const struct ws_protocol *proto;
    void *ctx;
};

struct ws_session {
    struct ws_server *ws;
    const struct ws_route_ctx *route;
    uint64_t id;
    int fd;
    unsigned refs;
    struct http_upgraded *up;
    struct loop_watch *watch;
    struct loop_timer *timer;
    wslay_frame_context_ptr rctx; /* receives (its recv_callback reads extra, then fd) */
    void *data;
    char remote[48];

    char *extra; /* bytes MHD read past the upgrade request (extra_in) */
    size_t extra_len;
    size_t extra_off;

    char *msg; /* the data message being received, msg_len bytes (+1 for a NUL) */
    size_t msg_len;
    uint64_t frame_left; /* payload bytes of the current incoming frame not seen yet */
    uint8_t *ctl;        /* the control payload being received (WS_CONTROL_MAX bytes) */
    uint8_t ctl_len;
    uint8_t msg_op; /* opcode of the open data message, 0 if none */
    bool in_frame;  /* inside an incoming frame's payload */
    bool eof;       /* the peer closed or reset the connection */
    bool read_done; /* stop reading: Close received, or a protocol error answered */

    struct ws_qitem *q; /* ring of frames to produce and send, q_cap slots */
    unsigned q_cap;
    unsigned q_first;
    unsigned q_len;
    size_t queued_bytes; /* payload bytes in q */

    char *pending; /* framed bytes the kernel has not taken yet */
    size_t pending_len;
    size_t pending_off;
    size_t pending_cap;
    bool blocked; /* during a flush: the kernel refused bytes, produce no further frame */
    bool failed;  /* during a flush: send() failed, kill afterwards */

    unsigned missed_pongs;
    bool awaiting_pong;
    bool closing;    /* we queued a Close (or the peer did): no more sends */
    bool dead;       /* killed */
    bool kill;       /* kill requested while busy */
    unsigned busy;   /* inside the read loop (delivering messages to the protocol) */
    bool dirty;      /* in the flush list */
    uint32_t events; /* LOOP_* bits registered */
    struct ws_session *prev;
    struct ws_session *next;
    struct ws_session *dirty_next;
};

struct ws_server {
    struct loop *loop;
    struct ws_config cfg;
    struct ws_session *sessions;
    size_t nsessions;
    struct ws_session *dirty;
    /*
     * Frames queued after our prepare hook ran in an iteration (the bus fans out from the
     * http hook's MHD_run, registered after ours) would wait in the dirty list until some
     * other event ends the next epoll_wait: up to a ping period (issue 6 found the last
     * message of a run never delivered, and 10-30 ms added to the others). The first
     * session made dirty outside a flush therefore arms this eventfd, so the loop comes
     * straight back and flushes: one write and one read per batch, not per session.
     */
    int wake_fd;
    struct loop_watch *wake_watch;
    bool wake_armed;
    bool flushing;       /* draining the dirty list: sessions dirtied meanwhile are drained too */
    uint64_t frames_out; /* queued frames produced, and the send() calls that carried them: */
    uint64_t sends_out;  /* their ratio is how well bursts coalesce (logged at shutdown) */
    uint64_t next_id;
    char *staging;
    size_t staging_len;
    wslay_frame_context_ptr fctx; /* frames every queued frame (shared, see top) */
    struct ws_session *out;       /* the session being flushed, for the byte callback */
    struct ws_route_ctx **routes;
    size_t nroutes;
    struct http_upgrade_ops ops;
};

static void session_kill(struct ws_session *s);
static void session_flush(struct ws_session *s);
static void session_queue_close(struct ws_session *s, uint16_t code, const char *reason);
static void session_shed(struct ws_session *s);
static void queue_push(struct ws_session *s, struct ws_payload *p, uint8_t opcode,
                       const char *insert, size_t insert_len, size_t len);

void ws_config_defaults(struct ws_config *cfg)
{
    cfg->ping_interval_ms = 30000;
    cfg->missed_pongs_max = 2;
    cfg->close_timeout_ms = 5000;
    cfg->send_queue_max = 1024 * 1024;
    cfg->recv_msg_max = 64 * 1024;
}

/* ---- wslay callbacks ---- */

/* The session's frame context reads here: MHD's extra_in first, then the socket. wslay
 * turns any non-positive return into WSLAY_ERR_WANT_READ, so EOF and resets are noted in s. */
static ssize_t recv_cb(uint8_t *buf, size_t len, int flags, void *user_data)
{
    (void)flags;
    struct ws_session *s = user_data;
    if (s->extra_off < s->extra_len) {
        /* MHD's extra_in first: they precede anything still in the socket. */
        size_t n = s->extra_len - s->extra_off;
        n = n < len ? n : len;
        memcpy(buf, s->extra + s->extra_off, n);
        s->extra_off += n;
        if (s->extra_off == s->extra_len) {
            free(s->extra);
            s->extra = NULL;
            s->extra_len = s->extra_off = 0;
        }
        return (ssize_t)n;
    }
    ssize_t n = recv(s->fd, buf, len, 0);
    if (n > 0) {
        return n;
    }
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        s->eof = true; /* EOF or reset: the peer is gone */
    }
    return -1;
}

/* Appends len bytes to s's pending buffer (bytes the kernel will take later). */
static void pending_add(struct ws_session *s, const char *data, size_t len)
{
    if (s->pending_off > 0 && s->pending_off == s->pending_len) {
        s->pending_off = s->pending_len = 0;
    }
    if (s->pending_len + len > s->pending_cap) {
        size_t cap = s->pending_cap ? s->pending_cap : 4096;
        while (cap < s->pending_len + len) {
            cap *= 2;
        }
        s->pending = xrealloc(s->pending, cap);
        s->pending_cap = cap;
    }
    memcpy(s->pending + s->pending_len, data, len);
    s->pending_len += len;
}

/* Sends the staging buffer; what the kernel refuses goes to pending and blocks the flush. */
static void staging_send(struct ws_session *s)
{
    struct ws_server *ws = s->ws;
    size_t len = ws->staging_len;
    ws->staging_len = 0;
    if (len == 0) {
        return;
    }
    ws->sends_out++;
    ssize_t n = send(s->fd, ws->staging, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            s->failed = true;
            s->blocked = true;
            return;
        }
        n = 0;
    }
    if ((size_t)n < len) {
        pending_add(s, ws->staging + n, len - (size_t)n);
        s->blocked = true;
    }
}

/* Takes every byte of a frame being produced for ws->out (see the top comment). */
static void out_write(struct ws_server *ws, const uint8_t *data, size_t len)
{
    struct ws_session *s = ws->out;
    BUG_ON(s == NULL);
    while (len > 0 && !s->failed) {
        if (s->blocked) {
            pending_add(s, (const char *)data, len);
            return;
        }
        size_t room = WS_STAGING_SIZE - ws->staging_len;
        if (room == 0) {
            staging_send(s);
            continue;
        }
        size_t n = len < room ? len : room;
        memcpy(ws->staging + ws->staging_len, data, n);
        ws->staging_len += n;
        data += n;
        len -= n;
    }
}

/* The shared frame context's output: every frame we queue. */
static ssize_t frame_send_cb(const uint8_t *data, size_t len, int flags, void *user_data)
{
    (void)flags;
    out_write(user_data, data, len);
    return (ssize_t)len;
}

/* ---- session lifecycle ---- */

static void session_free(struct ws_session *s)
{
    free(s);
}

void ws_session_ref(struct ws_session *s)
{
    s->refs++;
}

void ws_session_unref(struct ws_session *s)
{
    if (s && --s->refs == 0) {
        BUG_ON(!s->dead);
        session_free(s);
    }
}

/* Read until a Close or a protocol error (watching the fd then would spin on a peer that
 * keeps sending), write while bytes are pending. */
static void update_interest(struct ws_session *s)
{
    uint32_t events =
        (!s->read_done ? LOOP_READ : 0) | (s->pending_off < s->pending_len ? LOOP_WRITE : 0);
    if (events != s->events && loop_watch_modify(s->watch, events) == 0) {
        s->events = events;
    }
}

static void session_kill(struct ws_session *s)
{
    if (s->dead) {
        return;
    }
    if (s->busy) {
        s->kill = true; /* the read loop is on the stack: finish after it */
        return;
    }
    struct ws_server *ws = s->ws;
    s->dead = true;
    s->closing = true;
    log_debug("msg=ws_closed conn=%" PRIu64, s->id);
    loop_watch_remove(s->watch);
    s->watch = NULL;
    loop_timer_free(s->timer);
    s->timer = NULL;
    if (s->route->proto->on_close) {
        s->route->proto->on_close(s, s->route->ctx);
    }
    wslay_frame_context_free(s->rctx);
    s->rctx = NULL;
    free(s->msg);
    s->msg = NULL;
    free(s->ctl);
    s->ctl = NULL;
    for (unsigned i = 0; i < s->q_len; i++) {
        ws_payload_unref(s->q[(s->q_first + i) % s->q_cap].p);
    }
    free(s->q);
    s->q = NULL;
    s->q_cap = s->q_first = s->q_len = 0;
    s->queued_bytes = 0;
    free(s->pending);
    s->pending = NULL;
    s->pending_len = s->pending_off = s->pending_cap = 0;
    free(s->extra);
    s->extra = NULL;
    /* The fd left our epoll above; now MHD closes it (never close() it ourselves). */
    http_upgraded_close(s->up);
    s->up = NULL;
    if (s->prev) {
        s->prev->next = s->next;
    } else {
        ws->sessions = s->next;
    }
    if (s->next) {
        s->next->prev = s->prev;
    }
    ws->nsessions--;
    ws_session_unref(s); /* the server's reference */
}

/* Ends the session if the close handshake is over (the peer's Close read, our Close sent)
 * or a kill was requested meanwhile. */
static void session_settle(struct ws_session *s)
{
    if (s->dead) {
        return;
    }
    if (s->kill) {
        session_kill(s);
        return;
    }
    if (s->read_done && s->closing && s->q_len == 0 && s->pending_off == s->pending_len) {
        session_kill(s);
    }
}

static void mark_dirty(struct ws_session *s)
{
    struct ws_server *ws = s->ws;
    if (!s->dirty && !s->dead) {
        s->dirty = true;
        s->dirty_next = ws->dirty;
        ws->dirty = s;
        ws_session_ref(s);
        if (!ws->wake_armed && !ws->flushing && ws->wake_fd >= 0) {
            uint64_t one = 1;
            ssize_t n = write(ws->wake_fd, &one, sizeof(one));
            (void)n; /* EAGAIN: the counter is already non-zero, the loop wakes anyway */
            ws->wake_armed = true;
        }
    }
}

/* Produces one queued control frame (fin=1, payload <= 125 bytes). Returns its length. */
static size_t control_write(struct ws_server *ws, const struct ws_qitem *it)
{
    size_t len = it->p ? ws_payload_len(it->p) : 0;
    struct wslay_frame_iocb iocb = {
        .fin = 1,
        .opcode = it->opcode,
        .payload_length = len,
        .data = it->p ? (const uint8_t *)ws_payload_data(it->p) : NULL,
        .data_length = len,
    };
    ssize_t r = wslay_frame_send(ws->fctx, &iocb);
    BUG_ON(r != (ssize_t)len); /* our callback takes every byte */
    return len;
}

/*
 * Produces one queued message as a whole text frame through the shared frame context: the
 * header and the pieces of a template with the insert between them, each handed to
 * wslay_frame_send in turn (payload_length is the whole message, so the pieces make one
 * frame). Returns the message length.
 */
static size_t frame_write(struct ws_server *ws, const struct ws_qitem *it)
{
    if (it->opcode != WSLAY_TEXT_FRAME) {
        return control_write(ws, it);
    }
    size_t cuts[WS_SPLICE_MAX];
    size_t ncuts = ws_payload_cuts(it->p, cuts);
    const uint8_t *data = (const uint8_t *)ws_payload_data(it->p);
    size_t len = ws_payload_len(it->p);
    size_t total = len + ncuts * it->insert_len;
    struct wslay_frame_iocb iocb = {.fin = 1, .opcode = WSLAY_TEXT_FRAME, .payload_length = total};
    size_t from = 0;
    size_t sent = 0;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t to = i < ncuts ? cuts[i] : len;
        iocb.data = data + from;
        iocb.data_length = to - from;
        ssize_t r = wslay_frame_send(ws->fctx, &iocb);
        BUG_ON(r != (ssize_t)iocb.data_length); /* our callback takes every byte */
        sent += (size_t)r;
        if (i < ncuts) {
            iocb.data = (const uint8_t *)it->insert;
            iocb.data_length = it->insert_len;
            r = wslay_frame_send(ws->fctx, &iocb);
            BUG_ON(r != (ssize_t)iocb.data_length);
            sent += (size_t)r;
        }
        from = to;
    }
    BUG_ON(sent != total);
    return total;
}

/* Frames and writes what the kernel takes: pending bytes first, then the queued frames,
 * through the staging buffer (see the top comment). */
static void session_flush(struct ws_session *s)
{
    struct ws_server *ws = s->ws;
    if (s->dead) {
        return;
    }
    if (s->pending_off < s->pending_len) {
        ssize_t n = send(s->fd, s->pending + s->pending_off, s->pending_len - s->pending_off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            session_kill(s);
            return;
        }
        s->pending_off += n > 0 ? (size_t)n : 0;
    }
    if (s->pending_off == s->pending_len) {
        /* A slow moment passed: do not keep its buffer for the session's whole life. */
        free(s->pending);
        s->pending = NULL;
        s->pending_off = s->pending_len = s->pending_cap = 0;
        BUG_ON(ws->out != NULL || ws->staging_len != 0);
        ws->out = s;
        s->blocked = false;
        while (s->q_len > 0 && !s->blocked) {
            struct ws_qitem *it = &s->q[s->q_first];
            size_t len = frame_write(ws, it);
            ws->frames_out++;
            s->q_first = (s->q_first + 1) % s->q_cap;
            s->q_len--;
            s->queued_bytes -= len;
            ws_payload_unref(it->p);
            it->p = NULL;
        }
        if (!s->blocked) {
            staging_send(s);
        }
        ws->staging_len = 0;
        ws->out = NULL;
        s->blocked = false;
    }
    if (s->failed) {
        session_kill(s);
        return;
    }
    update_interest(s);
    session_settle(s);
}

/* ---- receiving (message level of RFC 6455 over wslay's frame layer) ---- */

/* Codes a peer may put in a Close (RFC 6455 7.4, and the IANA registry up to 1014). */
static bool close_code_valid(unsigned code)
{
    return (code >= 1000 && code <= 1014 && code != 1004 && code != 1005 && code != 1006) ||
           (code >= 3000 && code <= 4999);
}

/* A broken peer: answer with a Close (if we have not sent one) and read no more. */
static bool recv_fail(struct ws_session *s, uint16_t code)
{
    s->read_done = true;
    session_queue_close(s, code, NULL);
    return false;
}

/* A whole data message: handed to the protocol (text NUL-terminated, jansson likes that). */
static bool recv_message(struct ws_session *s)
{
    const struct ws_protocol *proto = s->route->proto;
    char *msg = s->msg;
    size_t len = s->msg_len;
    uint8_t op = s->msg_op;
    s->msg = NULL;
    s->msg_len = 0;
    s->msg_op = 0;
    msg[len] = '\0';
    bool ok = true;
    if (op == WSLAY_TEXT_FRAME && !utf8_valid((const char *)msg, len, NULL)) {
        ok = recv_fail(s, WS_CLOSE_INVALID_DATA);
    } else if (s->closing) {
        /* We said Close: what the peer sent meanwhile is not delivered. */
    } else if (op == WSLAY_TEXT_FRAME) {
        if (proto->on_text) {
            proto->on_text(s, msg, len, s->route->ctx);
        }
    } else if (proto->on_binary) {
        proto->on_binary(s, msg, len, s->route->ctx);
    } else {
        ws_session_close(s, WS_CLOSE_UNSUPPORTED, "binary messages not supported");
    }
    free(msg);
    return ok;
}

/* A whole control frame, its payload in s->ctl. */
static bool recv_control(struct ws_session *s, uint8_t opcode)
{
    bool go_on = true;
    switch (opcode) {
    case WSLAY_PING:
        if (!s->closing) {
            if (ws_session_queued_bytes(s) + s->ctl_len > s->ws->cfg.send_queue_max) {
                session_shed(s); /* pings from a peer that does not read its pongs */
                go_on = false;
            } else {
                struct ws_payload *p = s->ctl_len ? ws_payload_new(s->ctl, s->ctl_len) : NULL;
                queue_push(s, p, WSLAY_PONG, NULL, 0, s->ctl_len);
            }
        }
        break;
    case WSLAY_PONG:
        s->awaiting_pong = false;
        s->missed_pongs = 0;
        break;
    default: {
        /* Close: echo a valid status code (none if none was given) and stop reading; the
         * session ends once our Close is sent (session_settle). */
        uint16_t code = 0;
        if (s->ctl_len == 1) {
            code = WS_CLOSE_PROTOCOL;
        } else if (s->ctl_len >= 2) {
            code = (uint16_t)(s->ctl[0] << 8 | s->ctl[1]);
            if (!close_code_valid(code)) {
                code = WS_CLOSE_PROTOCOL;
            } else if (!utf8_valid((const char *)s->ctl + 2, s->ctl_len - 2u, NULL)) {
                code = WS_CLOSE_INVALID_DATA;
            }
        }
        go_on = recv_fail(s, code);
        break;
    }
    }
    free(s->ctl); /* idle sessions keep no buffer */
    s->ctl = NULL;
    s->ctl_len = 0;
    return go_on;
}

/* Checks a frame's header (the first piece of its payload): what RFC 6455 5.2 to 5.5 ask of
 * a server that wslay's frame layer leaves to its user. It already refused control frames
 * with fin=0 or a payload over 125 bytes and malformed lengths. */
static bool recv_frame_start(struct ws_session *s, const struct wslay_frame_iocb *f)
{
    if (!f->mask || f->rsv != 0) {
        return recv_fail(s, WS_CLOSE_PROTOCOL);
    }
    switch (f->opcode) {
    case WSLAY_CONTINUATION_FRAME:
        if (s->msg_op == 0) {
            return recv_fail(s, WS_CLOSE_PROTOCOL);
        }
        break;
    case WSLAY_TEXT_FRAME:
    case WSLAY_BINARY_FRAME:
        if (s->msg_op != 0) {
            return recv_fail(s, WS_CLOSE_PROTOCOL);
        }
        s->msg_op = (uint8_t)f->opcode;
        break;
    case WSLAY_CONNECTION_CLOSE:
    case WSLAY_PING:
    case WSLAY_PONG:
        s->ctl_len = 0;
        s->frame_left = f->payload_length;
        s->in_frame = true;
        return true;
    default:
        return recv_fail(s, WS_CLOSE_PROTOCOL);
    }
    if (f->payload_length > s->ws->cfg.recv_msg_max - s->msg_len) {
        return recv_fail(s, WS_CLOSE_TOO_BIG);
    }
    /* One allocation per frame, sized by its header; +1 for the NUL of recv_message. */
    s->msg = xrealloc(s->msg, s->msg_len + (size_t)f->payload_length + 1);
    s->frame_left = f->payload_length;
    s->in_frame = true;
    return true;
}

/* One piece of a frame's payload, as wslay_frame_recv hands it out. Returns false when
 * reading must stop. */
static bool recv_piece(struct ws_session *s, const struct wslay_frame_iocb *f)
{
    if (!s->in_frame && !recv_frame_start(s, f)) {
        return false;
    }
    bool control = (f->opcode & 0x8) != 0;
    if (f->data_length > 0) {
        if (control) {
            if (s->ctl == NULL) {
                s->ctl = xmalloc(WS_CONTROL_MAX);
            }
            memcpy(s->ctl + s->ctl_len, f->data, f->data_length);
            s->ctl_len = (uint8_t)(s->ctl_len + f->data_length);
        } else {
            memcpy(s->msg + s->msg_len, f->data, f->data_length);
            s->msg_len += f->data_length;
        }
    }
    s->frame_left -= f->data_length;
    if (s->frame_left > 0) {
        return true;
    }
    s->in_frame = false;
    if (control) {
        return recv_control(s, (uint8_t)f->opcode);
    }
    return f->fin ? recv_message(s) : true;
}

/* Reads and handles every frame the socket holds. */
static void session_read(struct ws_session *s)
{
    s->busy++;
    while (!s->read_done && !s->kill) {
        struct wslay_frame_iocb f;
        ssize_t r = wslay_frame_recv(s->rctx, &f);
        if (r == WSLAY_ERR_WANT_READ) {
            break;
        }
        if (r < 0) {
            recv_fail(s, WS_CLOSE_PROTOCOL); /* a malformed header */
            break;
        }
        if (!recv_piece(s, &f)) {
            break;
        }
    }
    s->busy--;
}

static void on_session_io(struct loop *loop, int fd, uint32_t events, void *arg)
{
    (void)loop;
    (void)fd;
    struct ws_session *s = arg;
    ws_session_ref(s);
    if (events & LOOP_WRITE) {
        session_flush(s);
    }
    if (!s->dead && (events & (LOOP_READ | LOOP_ERROR | LOOP_HUP))) {
        if (!s->read_done) {
            session_read(s);
        }
        if (s->eof) {
            session_kill(s); /* EOF or reset */
        } else {
            session_flush(s); /* pongs, close replies, protocol answers */
        }
    }
    ws_session_unref(s);
}

static void on_session_timer(struct loop *loop, struct loop_timer *t, void *arg)
{
    (void)loop;
    struct ws_session *s = arg;
    struct ws_server *ws = s->ws;
    if (s->closing) {
        log_info("msg=ws_close_timeout conn=%" PRIu64, s->id);
        session_kill(s);
        return;
    }
    if (s->awaiting_pong && ++s->missed_pongs >= ws->cfg.missed_pongs_max) {
        log_info("msg=ws_ping_timeout conn=%" PRIu64 " missed=%u", s->id, s->missed_pongs);
        ws_session_close(s, WS_CLOSE_POLICY, "ping timeout");
        /* The peer is silent: send what the kernel takes and drop it without waiting. */
        session_flush(s);
        session_kill(s);
        return;
    }
    queue_push(s, NULL, WSLAY_PING, NULL, 0, 0);
    s->awaiting_pong = true;
    loop_timer_start(t, ws->cfg.ping_interval_ms);
}

/* Everything queued since the last flush leaves now, one send() per socket. */
static void flush_dirty(struct ws_server *ws)
{
    ws->flushing = true;
    while (ws->dirty) {
        struct ws_session *s = ws->dirty;
        ws->dirty = s->dirty_next;
        s->dirty = false;
        s->dirty_next = NULL;
        session_flush(s);
        ws_session_unref(s);
    }
    ws->flushing = false;
}

static int prepare_cb(struct loop *loop, void *arg)
{
    (void)loop;
    flush_dirty(arg);
    return -1;
}

static void on_wake(struct loop *loop, int fd, uint32_t events, void *arg)
{
    (void)loop;
    (void)events;
    struct ws_server *ws = arg;
    uint64_t v;
    ssize_t n = read(fd, &v, sizeof(v));
    (void)n;
    ws->wake_armed = false;
    flush_dirty(ws);
}

/* ---- session API ---- */

uint64_t ws_session_id(const struct ws_session *s)
{
    return s->id;
}

void *ws_session_data(const struct ws_session *s)
{
    return s->data;
}

void ws_session_set_data(struct ws_session *s, void *data)
{
    s->data = data;
}

const char *ws_session_remote_addr(const struct ws_session *s)
{
    return s->remote;
}

bool ws_session_is_open(const struct ws_session *s)
{
    return !s->dead && !s->closing;
}

size_t ws_session_queued_bytes(const struct ws_session *s)
{
    return s->queued_bytes + (s->pending_len - s->pending_off);
}

/* Appends a frame to s's ring, taking the reference p (NULL: an empty control frame); len
 * is the frame's payload length. */
static void queue_push(struct ws_session *s, struct ws_payload *p, uint8_t opcode,
                       const char *insert, size_t insert_len, size_t len)
{
    if (s->q_len == s->q_cap) {
        /* Grow the ring, unwrapping it; a session rarely holds more than a few messages. */
        unsigned cap = s->q_cap ? s->q_cap * 2 : 2;
        struct ws_qitem *q = xcalloc(cap, sizeof(*q));
        for (unsigned i = 0; i < s->q_len; i++) {
            q[i] = s->q[(s->q_first + i) % s->q_cap];
        }
        free(s->q);
        s->q = q;
        s->q_cap = cap;
        s->q_first = 0;
    }
    struct ws_qitem *it = &s->q[(s->q_first + s->q_len) % s->q_cap];
    it->p = p;
    it->opcode = opcode;
    it->insert_len = (uint8_t)insert_len;
    if (insert_len > 0) {
        memcpy(it->insert, insert, insert_len);
    }
    s->q_len++;
    s->queued_bytes += len;
    mark_dirty(s);
}

/* A slow consumer: Close 1013, and kill without waiting for its Close (it does not read). */
static void session_shed(struct ws_session *s)
{
    log_warn("msg=ws_slow_consumer conn=%" PRIu64 " queued=%zu cap=%zu", s->id,
             ws_session_queued_bytes(s), s->ws->cfg.send_queue_max);
    ws_session_close(s, WS_CLOSE_TRY_AGAIN, "send queue full");
    s->kill = true;
    mark_dirty(s);
}

int ws_session_send_spliced(struct ws_session *s, struct ws_payload *base, const char *insert,
                            size_t insert_len)
{
    if (!ws_session_is_open(s)) {
        return HE_AGAIN;
    }
    BUG_ON(insert_len > WS_INSERT_MAX);
    size_t cuts[WS_SPLICE_MAX];
    size_t len = ws_payload_len(base) + ws_payload_cuts(base, cuts) * insert_len;
    if (ws_session_queued_bytes(s) + len > s->ws->cfg.send_queue_max) {
        session_shed(s);
        return HE_BUSY;
    }
    queue_push(s, ws_payload_ref(base), WSLAY_TEXT_FRAME, insert, insert_len, len);
    return 0;
}

int ws_session_send_text(struct ws_session *s, struct ws_payload *payload)
{
    return ws_session_send_spliced(s, payload, NULL, 0);
}

int ws_session_send_copy(struct ws_session *s, const char *data, size_t len)
{
    struct ws_payload *p = ws_payload_new(data, len);
    int rc = ws_session_send_text(s, p);
    ws_payload_unref(p);
    return rc;
}

/* Queues our Close (code 0: an empty one) behind the frames already queued; no frame is
 * queued after it. The peer has close_timeout to answer. */
static void session_queue_close(struct ws_session *s, uint16_t code, const char *reason)
{
    if (s->dead || s->closing) {
        return;
    }
    s->closing = true;
    uint8_t buf[WS_CONTROL_MAX];
    size_t len = 0;
    if (code != 0) {
        buf[0] = (uint8_t)(code >> 8);
        buf[1] = (uint8_t)(code & 0xff);
        /* The reason is cut to what a control frame holds (2 bytes go to the code). */
        size_t rlen = reason ? strnlen(reason, WS_CONTROL_MAX - 2) : 0;
        if (rlen > 0) {
            memcpy(buf + 2, reason, rlen);
        }
        len = 2 + rlen;
    }
    queue_push(s, len ? ws_payload_new(buf, len) : NULL, WSLAY_CONNECTION_CLOSE, NULL, 0, len);
    loop_timer_start(s->timer, s->ws->cfg.close_timeout_ms);
}

void ws_session_close(struct ws_session *s, uint16_t code, const char *reason)
{
    session_queue_close(s, code, reason);
}

/* ---- upgrade (http -> ws) ---- */

static bool header_has_token(const char *value, const char *token)
{
    size_t tlen = strlen(token);
    const char *p = value;
    while (p && *p) {
        while (*p == ' ' || *p == '\t' || *p == ',') {
            p++;
        }
        size_t len = strcspn(p, ",");
        size_t end = len;
        while (end > 0 && (p[end - 1] == ' ' || p[end - 1] == '\t')) {
            end--;
        }
        if (end == tlen && strncasecmp(p, token, tlen) == 0) {
            return true;
        }
        p += len;
    }
    return false;
}

static int upgrade_check(void *ctx, const struct http_request *req, struct http_response *resp)
{
    (void)ctx;
    const char *upgrade = http_request_header(req, "Upgrade");
    const char *connection = http_request_header(req, "Connection");
    const char *version = http_request_header(req, "Sec-WebSocket-Version");
    const char *key = http_request_header(req, "Sec-WebSocket-Key");
    if (!upgrade || !header_has_token(upgrade, "websocket") || !connection ||
        !header_has_token(connection, "upgrade") || !key) {
        http_resp_error(resp, HE_INVAL, NULL, NULL, "WebSocket upgrade required");
        return HE_INVAL;
    }
    if (!version || strcmp(version, "13") != 0) {
        http_resp_error(resp, HE_INVAL, NULL, NULL, "Unsupported WebSocket version");
        http_resp_header(resp, "Sec-WebSocket-Version", "13");
        return HE_INVAL;
    }
    /* The key is 16 random bytes in base64 (RFC 6455 4.1): 24 characters. */
    if (strlen(key) != 24) {
        http_resp_error(resp, HE_INVAL, NULL, NULL, "Bad Sec-WebSocket-Key");
        return HE_INVAL;
    }
    char buf[24 + sizeof(WS_GUID)];
    memcpy(buf, key, 24);
    memcpy(buf + 24, WS_GUID, sizeof(WS_GUID) - 1);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (EVP_Digest(buf, 24 + sizeof(WS_GUID) - 1, md, &mdlen, EVP_sha1(), NULL) != 1 ||
        mdlen != 20) {
        return HE_INTERNAL;
    }
    unsigned char accept[32];
    EVP_EncodeBlock(accept, md, 20);
    http_resp_upgrade(resp);
    http_resp_header(resp, "Upgrade", "websocket");
    http_resp_header(resp, "Sec-WebSocket-Accept", (const char *)accept);
    return 0;
}

static void upgrade_open(void *ctx, const struct http_request *req, struct http_upgraded *up,
                         int fd, const char *extra, size_t extra_len)
{
    struct ws_route_ctx *rc = ctx;
    struct ws_server *ws = rc->ws;
    struct ws_session *s = xcalloc(1, sizeof(*s));
    s->ws = ws;
    s->route = rc;
    s->id = ++ws->next_id;
    s->fd = fd;
    s->refs = 1;
    s->up = up;
    snprintf(s->remote, sizeof(s->remote), "%s", http_request_remote_addr(req));
    if (extra_len > 0) {
        s->extra = xmemdup(extra, extra_len);
        s->extra_len = extra_len;
    }
    static const struct wslay_frame_callbacks recv_callbacks = {.recv_callback = recv_cb};
    if (wslay_frame_context_init(&s->rctx, &recv_callbacks, s) != 0) {
        log_err("msg=wslay_init_failed");
        http_upgraded_close(up);
        free(s->extra);
        free(s);
        return;
    }
    s->events = LOOP_READ;
    s->watch = loop_watch_fd(ws->loop, fd, s->events, on_session_io, s);
    if (!s->watch) {
        wslay_frame_context_free(s->rctx);
        http_upgraded_close(up);
        free(s->extra);
        free(s);
        return;
    }
    s->timer = loop_timer_new(ws->loop, on_session_timer, s);
    loop_timer_start(s->timer, ws->cfg.ping_interval_ms);
    s->next = ws->sessions;
    if (ws->sessions) {
        ws->sessions->prev = s;
    }
    ws->sessions = s;
    ws->nsessions++;
    log_debug("msg=ws_open conn=%" PRIu64 " req=%" PRIu64 " remote=%s", s->id, http_request_id(req),
              s->remote);

    /* on_open may end the session: our reference keeps s readable until we have looked. */
    ws_session_ref(s);
    if (rc->proto->on_open) {
        rc->proto->on_open(s, req, rc->ctx);
    }
    /* Frames that came with the handshake are not in the socket: epoll will not report
     * them, so read them now. A live session still holds the server's reference, so ours is
     * dropped first and on_session_io takes its own: s is not touched after a kill there. */
    bool read_extra = !s->dead && s->extra;
    ws_session_unref(s);
    if (read_extra) {
        on_session_io(ws->loop, fd, LOOP_READ, s);
    }
}

/* ---- server ---- */

struct ws_server *ws_server_new(struct loop *loop, const struct ws_config *cfg)
{
    struct ws_server *ws = xcalloc(1, sizeof(*ws));
    ws->loop = loop;
    ws->cfg = *cfg;
    if (ws->cfg.missed_pongs_max == 0) {
        ws->cfg.missed_pongs_max = 1;
    }
    ws->staging = xmalloc(WS_STAGING_SIZE);
    static const struct wslay_frame_callbacks frame_callbacks = {.send_callback = frame_send_cb};
    if (wslay_frame_context_init(&ws->fctx, &frame_callbacks, ws) != 0) {
        BUG_ON(true); /* an allocation failure, as xmalloc */
    }
    ws->ops.check = upgrade_check;
    ws->ops.open = upgrade_open;
    loop_prepare_add(loop, prepare_cb, ws);
    ws->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (ws->wake_fd >= 0) {
        ws->wake_watch = loop_watch_fd(loop, ws->wake_fd, LOOP_READ, on_wake, ws);
    }
    if (ws->wake_watch == NULL) {
        /* Not fatal: frames then leave at the next loop iteration, as before. */
        log_warn("msg=ws_wake_unavailable errno=%d", errno);
        if (ws->wake_fd >= 0) {
            close(ws->wake_fd);
        }
        ws->wake_fd = -1;
    }
    return ws;
}

int ws_route_add(struct ws_server *ws, struct http_router *router, const char *pattern,
                 const struct ws_protocol *proto, void *ctx)
{
    struct ws_route_ctx *rc = xcalloc(1, sizeof(*rc));
    rc->ws = ws;
    rc->proto = proto;
    rc->ctx = ctx;
    if (!http_route_add_upgrade(router, pattern, &ws->ops, rc)) {
        free(rc);
        return HE_INVAL;
    }
    ws->routes = xreallocarray(ws->routes, ws->nroutes + 1, sizeof(*ws->routes));
    ws->routes[ws->nroutes++] = rc;
    return 0;
}

void ws_server_close_all(struct ws_server *ws, uint16_t code, const char *reason)
{
    for (struct ws_session *s = ws->sessions; s; s = s->next) {
        ws_session_close(s, code, reason);
    }
}

size_t ws_server_session_count(const struct ws_server *ws)
{
    return ws->nsessions;
}

void ws_server_free(struct ws_server *ws)
{
    if (!ws) {
        return;
    }
    log_info("msg=ws_stats frames=%" PRIu64 " sends=%" PRIu64, ws->frames_out, ws->sends_out);
    while (ws->sessions) {
        /* session_kill unlinks s from s->ws (this ws) unless the read loop is on the stack, which
         * it cannot be at shutdown: check that rather than spin. Our reference keeps s
         * valid for the check. */
        struct ws_session *s = ws->sessions;
        ws_session_ref(s);
        session_kill(s);
        BUG_ON(ws->sessions == s);
        ws_session_unref(s);
    }
    while (ws->dirty) {
        struct ws_session *s = ws->dirty;
        ws->dirty = s->dirty_next;
        ws_session_unref(s);
    }
    loop_prepare_remove(ws->loop, prepare_cb, ws);
    if (ws->wake_watch != NULL) {
        loop_watch_remove(ws->wake_watch);
        close(ws->wake_fd);
        ws->wake_fd = -1;
    }
    for (size_t i = 0; i < ws->nroutes; i++) {
        free(ws->routes[i]);
    }
    free(ws->routes);
    wslay_frame_context_free(ws->fctx);
    free(ws->staging);
    free(ws);
}
