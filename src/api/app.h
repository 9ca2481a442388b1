/*
 * app: what every REST handler and the websocketd protocol share, built once by cmd/serve.c.
 *
 * Borrowed pointers, alive from start-up to shutdown. Handlers read the struct from workers;
 * nothing in it changes after start-up except through the objects' own thread rules (bus and
 * ws objects: loop thread only).
 */
#ifndef HUARD_API_APP_H
#define HUARD_API_APP_H

#include "base/alloc.h"
#include "base/uuid.h"

struct config;
struct store;
struct loop;
struct pool;
struct bus;
struct ws_server;
struct http_router;
struct rate_limiter;

struct app {
    const struct config *cfg;
    struct store *store;
    struct loop *loop;
    struct pool *pool;             /* loop/pool.h: the websocketd protocol checks tokens there */
    struct bus *bus;               /* events/bus.h: fan-out to websocketd sessions (loop thread) */
    struct ws_server *ws;          /* ws/ws.h */
    char stack_uuid[UUID_STR_LEN]; /* wazo_uuid / origin_uuid / xivo_uuid, kept in the store */
    struct rate_limiter *login_limiter; /* api/auth.c: login attempts per address and user */
};

/** Registers the wazo-auth routes (/api/auth/0.1/...): api/auth.c. */
int api_auth_register(struct http_router *router, struct app *app) HU_MUST_CHECK;
/** Registers the wazo-chatd routes (/api/chatd/1.0/...) and extensions: api/chatd.c & co. */
int api_chatd_register(struct http_router *router, struct app *app) HU_MUST_CHECK;
/** Registers the websocketd v2 upgrade route (/api/websocketd/): api/websocketd.c. */
int api_websocketd_register(struct http_router *router, struct app *app) HU_MUST_CHECK;

#endif
