/*
 * ws: WebSocket sessions on the loop (wslay), for the websocketd protocol (wazo-api.md 4).
 *
 * The transport: the upgrade (RFC 6455 accept key with OpenSSL SHA-1), one wslay session per
 * socket, protocol Pings every ping_interval with a close after missed_pongs_max unanswered,
 * an incoming message cap (close 1009 past it), and a per-session send queue capped in bytes.
 * What a session says is up to a protocol, given as a callback table per upgrade route
 * (struct ws_protocol); websocketd v2 (issue 5) is one.
 *
 * Close codes used by the transport itself:
 * - 1002 protocol error: an unmasked frame, RSV bits, an unknown opcode, a continuation out of
 *   place, a broken frame header, a Close with a bad status code.
 * - 1007 invalid data: a text message (or a Close reason) that is not UTF-8.
 * - 1009 message too big: an incoming message over recv_msg_max.
 * - 1013 "send queue full": the session's send queue passed send_queue_max bytes (slow
 *   consumer). 1013 (Try Again Later) tells the client the server shed it for its own
 *   resource limit: it may reconnect and resume from the last event seq it saw.
 * - 1008 "ping timeout": missed_pongs_max Pings went unanswered.
 * - 1001 "server shutting down": ws_server_close_all at shutdown.
 * A session whose peer does not answer our Close within close_timeout is dropped.
 *
 * Sending: one rendered event is one struct ws_payload, refcounted and immutable, shared by
 * every recipient (no copy per session). A payload may carry insertion points ("cuts"): it
 * is then the template of messages that differ per recipient only by a short string placed
 * at each cut (events/envelope.h: the recipient's uuid), which ws_session_send_spliced()
 * queues without building the recipient's message; the bytes are assembled once, straight
 * into the socket's staging buffer. Frames queued during a loop iteration are written
 * together at its end, coalesced into as few send() calls as the socket takes.
 *
 * Threads: ws_payload_* may be called on any thread (atomic refcount); everything else on the
 * loop thread only.
 */
#ifndef HUARD_WS_WS_H
#define HUARD_WS_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/alloc.h"

struct loop;
struct http_router;
struct http_request;
struct ws_server;
struct ws_session;
struct ws_payload;

#define WS_CLOSE_NORMAL 1000
#define WS_CLOSE_GOING_AWAY 1001
#define WS_CLOSE_PROTOCOL 1002
#define WS_CLOSE_UNSUPPORTED 1003
#define WS_CLOSE_INVALID_DATA 1007
#define WS_CLOSE_POLICY 1008
#define WS_CLOSE_TOO_BIG 1009
#define WS_CLOSE_SERVER_ERROR 1011
#define WS_CLOSE_TRY_AGAIN 1013

struct ws_config {
    unsigned ping_interval_ms; /* protocol Ping period, default 30000 */
    unsigned missed_pongs_max; /* close after this many unanswered Pings, default 2 */
    unsigned close_timeout_ms; /* wait for the peer's Close, default 5000 */
    size_t send_queue_max;     /* bytes queued per session before 1013, default 1 MiB */
    size_t recv_msg_max;       /* incoming message cap (1009), default 64 KiB */
};

/** Fills cfg with the defaults above. */
void ws_config_defaults(struct ws_config *cfg);

/*
 * A protocol: callbacks run on the loop thread. ctx is the pointer given to ws_route_add.
 * - on_open: the session is open. req (borrowed for this call only) gives the query string
 *   and headers of the upgrade request (token, version...). The protocol may send or close.
 * - on_text: one complete text message (UTF-8 as sent; data is NUL-terminated, len excludes
 *   the NUL), borrowed for the call.
 * - on_binary: a binary message; NULL closes the session with 1003.
 * - on_close: called once when the session ends, whatever the reason, before it is freed.
 *   After it, sends are refused; drop every reference to it here (or hold one with
 *   ws_session_ref).
 */
struct ws_protocol {
    void (*on_open)(struct ws_session *s, const struct http_request *req, void *ctx);
    void (*on_text)(struct ws_session *s, const char *data, size_t len, void *ctx);
    void (*on_binary)(struct ws_session *s, const void *data, size_t len, void *ctx);
    void (*on_close)(struct ws_session *s, void *ctx);
};

/** Creates the session manager. cfg is copied. */
struct ws_server *ws_server_new(struct loop *loop, const struct ws_config *cfg);
/**
 * Registers pattern (e.g. "/api/websocketd/") as an upgrade route on router, speaking proto
 * (borrowed, must outlive the server) with ctx. Returns 0 or a negative HE_* code.
 */
int ws_route_add(struct ws_server *ws, struct http_router *router, const char *pattern,
                 const struct ws_protocol *proto, void *ctx) HU_MUST_CHECK;
/** Closes every open session with code and reason (shutdown: 1001). */
void ws_server_close_all(struct ws_server *ws, uint16_t code, const char *reason);
/** Sessions alive (open or closing). */
size_t ws_server_session_count(const struct ws_server *ws);
/**
 * Drops every session left (on_close runs), gives the sockets back to MHD and frees the
 * server. Call before http_server_free. NULL does nothing.
 */
void ws_server_free(struct ws_server *ws);

/* ---- sessions (loop thread) ---- */

/** Process-unique session id, for logs (`conn=`) and for looking a session up later. */
uint64_t ws_session_id(const struct ws_session *s);
/** The protocol's pointer for this session (NULL until set). */
void *ws_session_data(const struct ws_session *s);
void ws_session_set_data(struct ws_session *s, void *data);
/** Client address (see http_request_remote_addr). */
const char *ws_session_remote_addr(const struct ws_session *s);
/** True until the session starts closing. */
bool ws_session_is_open(const struct ws_session *s);
/** Bytes queued and not yet taken by the kernel. */
size_t ws_session_queued_bytes(const struct ws_session *s);
/**
 * Queues payload as one text message (takes its own reference; the caller keeps its own).
 * Returns 0, HE_AGAIN when the session is closing, or HE_BUSY when this would pass
 * send_queue_max: the session is then closed with 1013 (see above).
 */
int ws_session_send_text(struct ws_session *s, struct ws_payload *payload);
/**
 * Queues one text message made of base with insert (insert_len <= WS_INSERT_MAX bytes) placed
 * at each of base's cuts: base[0:c0] insert base[c0:c1] insert ... base[cn:]. A base without
 * cuts is sent as is. Takes its own reference to base; insert is copied. Same returns as
 * ws_session_send_text().
 */
int ws_session_send_spliced(struct ws_session *s, struct ws_payload *base, const char *insert,
                            size_t insert_len);
/** Convenience: copies len bytes into a new payload and sends it. Same returns. */
int ws_session_send_copy(struct ws_session *s, const char *data, size_t len);
/** Starts the close handshake (reason <= 123 bytes, truncated). Idempotent. */
void ws_session_close(struct ws_session *s, uint16_t code, const char *reason);
/** Keeps s allocated past on_close (for async work that looks it up later). */
void ws_session_ref(struct ws_session *s);
void ws_session_unref(struct ws_session *s);

/* ---- payloads (any thread) ---- */

/** A payload holding a copy of len bytes (refcount 1). */
struct ws_payload *ws_payload_new(const void *bytes, size_t len);
/**
 * A payload of len bytes left for the caller to fill through *data before it is shared
 * (to render or splice an event in place without a second copy). Refcount 1.
 */
struct ws_payload *ws_payload_alloc(size_t len, char **data);
/* Most insertion points of a payload, and longest string inserted at them. */
#define WS_SPLICE_MAX 2
#define WS_INSERT_MAX 36
/**
 * Like ws_payload_alloc() for a template with ncuts (<= WS_SPLICE_MAX) insertion points at the
 * given offsets (ascending, <= len) into its len bytes.
 */
struct ws_payload *ws_payload_alloc_spliced(size_t len, const size_t *cuts, size_t ncuts,
                                            char **data);
/** Number of insertion points of p (0 for a plain payload); their offsets in cuts. */
size_t ws_payload_cuts(const struct ws_payload *p, size_t cuts[WS_SPLICE_MAX]);
/** A plain payload holding base with insert placed at each cut (tests, protocol v1). */
struct ws_payload *ws_payload_splice(const struct ws_payload *base, const char *insert,
                                     size_t insert_len);
struct ws_payload *ws_payload_ref(struct ws_payload *p);
/** Drops a reference; frees at zero. NULL does nothing. */
void ws_payload_unref(struct ws_payload *p);
const char *ws_payload_data(const struct ws_payload *p);
size_t ws_payload_len(const struct ws_payload *p);

#endif
