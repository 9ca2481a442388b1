/*
 * echo: a trivial WebSocket protocol for the transport's tests, until the websocketd v2
 * protocol (issue 5) takes /api/websocketd/.
 *
 * On open it sends {"op":"init","code":0,"data":{"version":2}} (the first frame of v2,
 * wazo-api.md 4.3); every text message is echoed back. With test hooks enabled (huard serve
 * --test-hooks), a text message "flood COUNT SIZE" makes the server send COUNT messages of
 * SIZE bytes to every open session of this protocol, all sharing one payload; the sender
 * then gets "flooded COUNT" after them. Never enable test hooks in production: it lets any
 * client make the server push data to every other client.
 *
 * Threads: loop thread only.
 */
#ifndef HUARD_WS_ECHO_H
#define HUARD_WS_ECHO_H

#include <stdbool.h>

#include "base/alloc.h"

struct ws_server;
struct http_router;
struct ws_echo;
struct ws_payload;

/** Registers the echo protocol at pattern. Returns the protocol state, or NULL. */
struct ws_echo *ws_echo_add(struct ws_server *ws, struct http_router *router, const char *pattern,
                            bool test_hooks);
/**
 * Sends payload to every open session of this protocol (it takes its own references). Used
 * by the test-only broadcast route to exercise the worker -> http_resp_after -> loop path
 * that the websocketd fan-out follows.
 */
void ws_echo_broadcast(struct ws_echo *echo, struct ws_payload *payload);
/** Frees the state; after ws_server_free (sessions are gone). NULL does nothing. */
void ws_echo_free(struct ws_echo *echo);

#endif
