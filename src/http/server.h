/*
 * server: libmicrohttpd 0.9.75 in external-epoll mode, driven by our loop (DESIGN.md section 2,
 * mhd-notes.md sections 1.3 and 6).
 *
 * Each request is read and size-checked on the loop (URI 414, header block 431, body 413),
 * copied into a struct http_request, matched against the router, then:
 * - inline routes run their handler at once on the loop;
 * - other routes suspend the connection, run the handler on a worker (pool_submit), and the
 *   done callback resumes the connection on the loop and the answer is queued;
 * - upgrade routes hand the socket to their open function (ws/).
 * Answers are queued only from the second access-handler call, so keep-alive survives
 * (mhd-notes 1.3 a).
 *
 * Threads: all functions on the loop thread. Ownership: the server borrows loop, pool and
 * router; they must outlive it.
 */
#ifndef HUARD_HTTP_SERVER_H
#define HUARD_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "base/alloc.h"

struct loop;
struct pool;
struct http_router;
struct http_server;

struct http_config {
    char listen_host[64];      /* numeric IPv4 or IPv6 address, default "127.0.0.1" */
    uint16_t listen_port;      /* 0: an ephemeral port (see http_server_port) */
    unsigned connection_limit; /* MHD_OPTION_CONNECTION_LIMIT, default 20000 (mhd-notes 4.1) */
    size_t connection_memory;  /* MHD_OPTION_CONNECTION_MEMORY_LIMIT, default 8 KiB (4.2) */
    size_t body_max;           /* request body cap, default 64 KiB (413) */
    size_t header_max;         /* header block cap, default 8 KiB (431) */
    size_t uri_max;            /* request-target cap, default 4 KiB (414) */
    unsigned idle_timeout_s;   /* keep-alive idle timeout, default 60 s (not for WebSockets) */
};

/** Fills cfg with the defaults above. */
void http_config_defaults(struct http_config *cfg);

/**
 * Creates the server and binds its listening socket (so an ephemeral port is known at once).
 * Raises RLIMIT_NOFILE's soft limit to cover connection_limit. Returns NULL (logged) on
 * failure, such as an address in use.
 */
struct http_server *http_server_new(struct loop *loop, struct pool *pool,
                                    const struct http_router *router,
                                    const struct http_config *cfg);
/** The bound port (useful with listen_port 0). */
uint16_t http_server_port(const struct http_server *srv);
/**
 * Stops accepting connections (MHD_quiesce_daemon); requests in flight finish. done runs on
 * the loop once no request is waiting for a worker.
 */
void http_server_drain(struct http_server *srv, void (*done)(void *arg), void *arg);
/** Requests whose handler is running or queued on a worker. */
size_t http_server_inflight(const struct http_server *srv);
/**
 * Stops MHD and frees the server. Upgraded sockets must have been closed before (ws_server_free
 * does that) and no request may still wait for a worker: free the pool first and let the loop
 * run its done callbacks (loop_run_once) until http_server_inflight is 0. NULL does nothing.
 */
void http_server_free(struct http_server *srv);

#endif
