#include "base/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#if defined(__SANITIZE_ADDRESS__)
#define ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_ASAN 1
#endif
#endif

#ifdef ARENA_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define ARENA_FIRST_CHUNK 1024u
#define ARENA_MAX_CHUNK (64u * 1024u)
/* Larger allocations get their own chunk: carving them would waste most of a chunk. */
#define ARENA_LARGE (ARENA_MAX_CHUNK / 4)
#define ARENA_ALIGN alignof(max_align_t)

struct chunk {
    struct chunk *next;
    size_t size; /* bytes in data */
    size_t used;
    alignas(max_align_t) unsigned char data[];
};

struct arena {
    struct chunk *small; /* head is the chunk being carved; the rest are full */
    struct chunk *large; /* one allocation each */
    size_t next_size;    /* data size of the next small chunk */
    size_t heap_bytes;
};

static struct chunk *chunk_new(struct arena *a, size_t size)
{
    BUG_ON(size > SIZE_MAX - sizeof(struct chunk));
    struct chunk *c = xmalloc(sizeof(*c) + size);
    c->next = NULL;
    c->size = size;
    c->used = 0;
    POISON(c->data, size);
    a->heap_bytes += sizeof(*c) + size;
    return c;
}

static void chunk_free_list(struct chunk *c)
{
    while (c) {
        struct chunk *next = c->next;
        UNPOISON(c->data, c->size);
        free(c);
        c = next;
    }
}

struct arena *arena_new(void)
{
    struct arena *a = xcalloc(1, sizeof(*a));
    a->next_size = ARENA_FIRST_CHUNK;
    return a;
}

void arena_free(struct arena *a)
{
    if (!a) {
        return;
    }
    chunk_free_list(a->small);
    chunk_free_list(a->large);
    free(a);
}

void arena_reset(struct arena *a)
{
    chunk_free_list(a->large);
    a->large = NULL;
    a->heap_bytes = 0;
    if (a->small) {
        /* Keep the newest chunk: it is the largest. */
        chunk_free_list(a->small->next);
        a->small->next = NULL;
        a->small->used = 0;
        POISON(a->small->data, a->small->size);
        a->heap_bytes = sizeof(struct chunk) + a->small->size;
    }
}

static void *arena_take(struct arena *a, size_t n, size_t align)
{
    if (n == 0) {
        n = 1;
    }
    if (n > ARENA_LARGE) {
        struct chunk *c = chunk_new(a, n);
        c->next = a->large;
        a->large = c;
        c->used = n;
        UNPOISON(c->data, n);
        return c->data;
    }
    struct chunk *c = a->small;
    size_t off = c ? (c->used + align - 1) & ~(align - 1) : 0;
    if (!c || off > c->size || c->size - off < n) {
        size_t size = a->next_size;
        while (size < n) {
            size *= 2;
        }
        if (a->next_size < ARENA_MAX_CHUNK) {
            a->next_size *= 2;
        }
        c = chunk_new(a, size);
        c->next = a->small;
        a->small = c;
        off = 0;
    }
    c->used = off + n;
    UNPOISON(c->data + off, n);
    return c->data + off;
}

void *arena_alloc(struct arena *a, size_t n)
{
    return arena_take(a, n, ARENA_ALIGN);
}

void *arena_zalloc(struct arena *a, size_t n)
{
    void *p = arena_take(a, n, ARENA_ALIGN);
    memset(p, 0, n);
    return p;
}

void *arena_memdup(struct arena *a, const void *p, size_t n)
{
    void *q = arena_take(a, n, 1);
    if (n) {
        memcpy(q, p, n);
    }
    return q;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *q = arena_take(a, len + 1, 1);
    memcpy(q, s, len);
    q[len] = '\0';
    return q;
}

char *arena_strdup(struct arena *a, const char *s)
{
    return arena_memdup(a, s, strlen(s) + 1);
}

char *arena_vsprintf(struct arena *a, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    BUG_ON(n < 0);
    char *s = arena_take(a, (size_t)n + 1, 1);
    va_copy(cp, ap);
    vsnprintf(s, (size_t)n + 1, fmt, cp);
    va_end(cp);
    return s;
}

char *arena_sprintf(struct arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = arena_vsprintf(a, fmt, ap);
    va_end(ap);
    return s;
}

size_t arena_heap_bytes(const struct arena *a)
{
    return a->heap_bytes;
}
