/*
 * echo: see echo.h. Keeps its open sessions in an array (index stored as session data) so
 * the flood hook can reach every one of them.
 */
#include "ws/echo.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MODULE "ws"
#include "base/log.h"
#include "ws/ws.h"

#include "base/banned.h"

#define FLOOD_MAX_COUNT 10000
#define FLOOD_MAX_SIZE (1024 * 1024)

struct ws_echo {
    bool test_hooks;
    struct ws_session **sessions;
    size_t nsessions;
    size_t cap;
    struct ws_protocol proto;
};

static const char init_frame[] = "{\"op\":\"init\",\"code\":0,\"data\":{\"version\":2}}";

static void echo_open(struct ws_session *s, const struct http_request *req, void *ctx)
{
    (void)req;
    struct ws_echo *echo = ctx;
    if (echo->nsessions == echo->cap) {
        echo->cap = echo->cap ? echo->cap * 2 : 64;
        echo->sessions = xreallocarray(echo->sessions, echo->cap, sizeof(*echo->sessions));
    }
    ws_session_set_data(s, (void *)(uintptr_t)echo->nsessions);
    echo->sessions[echo->nsessions++] = s;
    (void)ws_session_send_copy(s, init_frame, sizeof(init_frame) - 1);
}

static void echo_close(struct ws_session *s, void *ctx)
{
    struct ws_echo *echo = ctx;
    size_t i = (size_t)(uintptr_t)ws_session_data(s);
    BUG_ON(i >= echo->nsessions || echo->sessions[i] != s);
    echo->sessions[i] = echo->sessions[--echo->nsessions];
    ws_session_set_data(echo->sessions[i], (void *)(uintptr_t)i);
}

void ws_echo_broadcast(struct ws_echo *echo, struct ws_payload *payload)
{
    /* Sends only queue (no session ends inside), so the array is stable here. */
    for (size_t i = 0; i < echo->nsessions; i++) {
        (void)ws_session_send_text(echo->sessions[i], payload);
    }
}

static void flood(struct ws_echo *echo, struct ws_session *from, unsigned long count,
                  unsigned long size)
{
    char *data;
    struct ws_payload *p = ws_payload_alloc(size, &data);
    memset(data, 'x', size);
    /* Sending may close a slow session, which removes it from the array: walk a copy. */
    size_t n = echo->nsessions;
    struct ws_session **all = xmemdup(echo->sessions, n * sizeof(*all));
    for (size_t i = 0; i < n; i++) {
        ws_session_ref(all[i]);
    }
    for (unsigned long k = 0; k < count; k++) {
        for (size_t i = 0; i < n; i++) {
            (void)ws_session_send_text(all[i], p);
        }
    }
    for (size_t i = 0; i < n; i++) {
        ws_session_unref(all[i]);
    }
    free(all);
    ws_payload_unref(p);
    char done[64];
    int len = snprintf(done, sizeof(done), "flooded %lu", count);
    (void)ws_session_send_copy(from, done, (size_t)len);
}

/*
 * Reads a decimal number at *p (digits only: strtoul would take a sign and wrap a negative
 * one) no greater than max, and moves *p past it. Returns false on anything else.
 */
static bool parse_ulong(const char **p, unsigned long max, unsigned long *out)
{
    if (!isdigit((unsigned char)**p)) {
        return false;
    }
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(*p, &end, 10);
    if (errno != 0 || end == *p || v > max) {
        return false;
    }
    *p = end;
    *out = v;
    return true;
}

/* The test hook's "flood COUNT SIZE": two bounded numbers, one space apart, nothing after. */
static bool parse_flood(const char *args, unsigned long *count, unsigned long *size)
{
    const char *p = args;
    if (!parse_ulong(&p, FLOOD_MAX_COUNT, count) || *p++ != ' ' ||
        !parse_ulong(&p, FLOOD_MAX_SIZE, size)) {
        return false;
    }
    return *p == '\0';
}

static void echo_text(struct ws_session *s, const char *data, size_t len, void *ctx)
{
    struct ws_echo *echo = ctx;
    unsigned long count = 0;
    unsigned long size = 0;
    if (echo->test_hooks && strncmp(data, "flood ", 6) == 0 &&
        parse_flood(data + 6, &count, &size)) {
        flood(echo, s, count, size);
        return;
    }
    (void)ws_session_send_copy(s, data, len);
}

struct ws_echo *ws_echo_add(struct ws_server *ws, struct http_router *router, const char *pattern,
                            bool test_hooks)
{
    struct ws_echo *echo = xcalloc(1, sizeof(*echo));
    echo->test_hooks = test_hooks;
    echo->proto.on_open = echo_open;
    echo->proto.on_text = echo_text;
    echo->proto.on_close = echo_close;
    if (ws_route_add(ws, router, pattern, &echo->proto, echo) != 0) {
        free(echo);
        return NULL;
    }
    return echo;
}

void ws_echo_free(struct ws_echo *echo)
{
    if (!echo) {
        return;
    }
    BUG_ON(echo->nsessions != 0);
    free(echo->sessions);
    free(echo);
}
