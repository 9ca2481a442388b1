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
    size_t ncuts;
    size_t cuts[WS_SPLICE_MAX];
    char data[]; /* len bytes and a NUL */
};

struct ws_payload *ws_payload_alloc_spliced(size_t len, const size_t *cuts, size_t ncuts,
                                            char **data)
{
    BUG_ON(len > SIZE_MAX - sizeof(struct ws_payload) - 1);
    BUG_ON(ncuts > WS_SPLICE_MAX);
    struct ws_payload *p = xmalloc(sizeof(*p) + len + 1);
    atomic_init(&p->refs, 1);
    p->len = len;
    p->ncuts = ncuts;
    for (size_t i = 0; i < ncuts; i++) {
        BUG_ON(cuts[i] > len || (i > 0 && cuts[i] < cuts[i - 1]));
        p->cuts[i] = cuts[i];
    }
    p->data[len] = '\0';
    *data = p->data;
    return p;
}

struct ws_payload *ws_payload_alloc(size_t len, char **data)
{
    return ws_payload_alloc_spliced(len, NULL, 0, data);
}

size_t ws_payload_cuts(const struct ws_payload *p, size_t cuts[WS_SPLICE_MAX])
{
    for (size_t i = 0; i < p->ncuts; i++) {
        cuts[i] = p->cuts[i];
    }
    return p->ncuts;
}

struct ws_payload *ws_payload_splice(const struct ws_payload *base, const char *insert,
                                     size_t insert_len)
{
    BUG_ON(insert_len > WS_INSERT_MAX);
    char *o;
    struct ws_payload *p = ws_payload_alloc(base->len + base->ncuts * insert_len, &o);
    size_t from = 0;
    for (size_t i = 0; i <= base->ncuts; i++) {
        size_t to = i < base->ncuts ? base->cuts[i] : base->len;
        memcpy(o, base->data + from, to - from);
        o += to - from;
        if (i < base->ncuts) {
            memcpy(o, insert, insert_len);
            o += insert_len;
        }
        from = to;
    }
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
