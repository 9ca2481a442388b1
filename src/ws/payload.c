/*
 * payload: refcounted immutable bytes shared by every session that sends them (asterisk
 * stasis messages). The refcount is atomic because a worker renders an event and the loop
 * fans it out; the bytes are never written once shared.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "ws/ws.h"

#include "base/banned.h"

struct ws_payload {
    atomic_size_t refs;
    size_t len;
    char data[]; /* len bytes and a NUL */
};

struct ws_payload *ws_payload_alloc(size_t len, char **data)
{
    BUG_ON(len > SIZE_MAX - sizeof(struct ws_payload) - 1);
    struct ws_payload *p = xmalloc(sizeof(*p) + len + 1);
    atomic_init(&p->refs, 1);
    p->len = len;
    p->data[len] = '\0';
    *data = p->data;
    return p;
}

struct ws_payload *ws_payload_new(const void *bytes, size_t len)
{
    char *data;
    struct ws_payload *p = ws_payload_alloc(len, &data);
    if (len > 0) {
        memcpy(data, bytes, len);
    }
    return p;
}

struct ws_payload *ws_payload_ref(struct ws_payload *p)
{
    atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
    return p;
}

void ws_payload_unref(struct ws_payload *p)
{
    if (p && atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) == 1) {
        free(p);
    }
}

const char *ws_payload_data(const struct ws_payload *p)
{
    return p->data;
}

size_t ws_payload_len(const struct ws_payload *p)
{
    return p->len;
}
