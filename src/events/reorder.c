#include "events/reorder.h"

#include <stdlib.h>

#include "base/alloc.h"

#include "base/banned.h"

struct reorder_item {
    int64_t seq;
    uint64_t order; /* push order, so equal seqs leave in the order they came */
    void *item;
};

/* A binary min-heap on (seq, order): the held items are few (those behind one gap). */
struct reorder {
    struct reorder_item *heap;
    size_t len, cap;
    int64_t next_seq;
    uint64_t pushes;
};

static bool item_less(const struct reorder_item *a, const struct reorder_item *b)
{
    return a->seq < b->seq || (a->seq == b->seq && a->order < b->order);
}

static void heap_swap(struct reorder *r, size_t i, size_t j)
{
    struct reorder_item t = r->heap[i];
    r->heap[i] = r->heap[j];
    r->heap[j] = t;
}

struct reorder *reorder_new(int64_t next_seq)
{
    struct reorder *r = xcalloc(1, sizeof(*r));
    r->next_seq = next_seq;
    return r;
}

void reorder_free(struct reorder *r, void (*drop)(void *item))
{
    if (!r) {
        return;
    }
    for (size_t i = 0; drop && i < r->len; i++) {
        drop(r->heap[i].item);
    }
    free(r->heap);
    free(r);
}

void reorder_push(struct reorder *r, int64_t seq, void *item)
{
    BUG_ON(seq <= 0);
    if (r->next_seq == 0) {
        r->next_seq = seq;
    }
    if (r->len == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->heap = xreallocarray(r->heap, r->cap, sizeof(*r->heap));
    }
    size_t i = r->len++;
    r->heap[i] = (struct reorder_item){.seq = seq, .order = r->pushes++, .item = item};
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!item_less(&r->heap[i], &r->heap[parent])) {
            break;
        }
        heap_swap(r, i, parent);
        i = parent;
    }
}

static void heap_pop_top(struct reorder *r)
{
    r->heap[0] = r->heap[--r->len];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, rr = l + 1, m = i;
        if (l < r->len && item_less(&r->heap[l], &r->heap[m])) {
            m = l;
        }
        if (rr < r->len && item_less(&r->heap[rr], &r->heap[m])) {
            m = rr;
        }
        if (m == i) {
            break;
        }
        heap_swap(r, i, m);
        i = m;
    }
}

void *reorder_pop(struct reorder *r, int64_t *seq)
{
    if (r->len == 0 || r->heap[0].seq > r->next_seq) {
        return NULL;
    }
    struct reorder_item top = r->heap[0];
    heap_pop_top(r);
    if (top.seq == r->next_seq) {
        r->next_seq++;
    }
    if (seq) {
        *seq = top.seq;
    }
    return top.item;
}

bool reorder_blocked(const struct reorder *r)
{
    return r->len > 0 && r->heap[0].seq > r->next_seq;
}

size_t reorder_count(const struct reorder *r)
{
    return r->len;
}

int64_t reorder_next_seq(const struct reorder *r)
{
    return r->next_seq;
}

void reorder_skip_gap(struct reorder *r)
{
    if (reorder_blocked(r)) {
        r->next_seq = r->heap[0].seq;
    }
}
