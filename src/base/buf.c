#include "base/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* Const so that a stray write through an unallocated buffer faults instead of racing. */
const char buf_empty_[1];

void buf_init(struct buf *b, size_t hint)
{
    b->data = (char *)buf_empty_;
    b->len = 0;
    b->cap = 0;
    if (hint) {
        buf_grow(b, hint);
    }
}

void buf_release(struct buf *b)
{
    if (b->cap) {
        free(b->data);
    }
    buf_init(b, 0);
}

void buf_grow(struct buf *b, size_t extra)
{
    /* Overflow here means a length computed from garbage, not input: inputs are bounded first. */
    BUG_ON(extra > SIZE_MAX - b->len - 1);
    size_t need = b->len + extra + 1;
    if (need <= b->cap) {
        return;
    }
    size_t cap = b->cap ? b->cap : 16;
    while (cap < need) {
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    }
    if (b->cap == 0) {
        b->data = xmalloc(cap);
        b->data[0] = '\0';
    } else {
        b->data = xrealloc(b->data, cap);
    }
    b->cap = cap;
}

void buf_setlen(struct buf *b, size_t len)
{
    if (b->cap == 0) {
        BUG_ON(len != 0);
        return;
    }
    BUG_ON(len >= b->cap);
    b->len = len;
    b->data[len] = '\0';
}

void buf_reset(struct buf *b)
{
    buf_setlen(b, 0);
}

char *buf_detach(struct buf *b, size_t *len)
{
    if (len) {
        *len = b->len;
    }
    char *s = b->cap ? b->data : xstrdup("");
    buf_init(b, 0);
    return s;
}

void buf_add(struct buf *b, const void *data, size_t n)
{
    if (n == 0) {
        return;
    }
    buf_grow(b, n);
    memcpy(b->data + b->len, data, n);
    buf_setlen(b, b->len + n);
}

void buf_adds(struct buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

void buf_addch(struct buf *b, char c)
{
    buf_grow(b, 1);
    b->data[b->len] = c;
    buf_setlen(b, b->len + 1);
}

void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    /* Try the room already there first: most appends fit and then format only once. */
    size_t avail = b->cap ? b->cap - b->len : 0;
    va_copy(cp, ap);
    int n = vsnprintf(avail ? b->data + b->len : NULL, avail, fmt, cp);
    va_end(cp);
    BUG_ON(n < 0);
    if ((size_t)n >= avail) {
        buf_grow(b, (size_t)n);
        va_copy(cp, ap);
        int m = vsnprintf(b->data + b->len, (size_t)n + 1, fmt, cp);
        va_end(cp);
        BUG_ON(m != n);
    }
    buf_setlen(b, b->len + (size_t)n);
}

void buf_addf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vaddf(b, fmt, ap);
    va_end(ap);
}
