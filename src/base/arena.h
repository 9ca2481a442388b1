/*
 * arena: per-request memory pool (after h2o's h2o_mem_pool_t).
 *
 * What dies with a request is allocated from its arena and freed all at once by arena_free();
 * nothing allocated here is freed one by one. Small allocations are carved from chunks that
 * grow (1 KiB doubling to 64 KiB); an allocation larger than 16 KiB gets a chunk of its own,
 * so one big body does not waste a chunk's tail. Under AddressSanitizer the unused parts of
 * chunks are poisoned, so overruns of arena memory are reported like heap overruns.
 * Ownership: the arena owns every pointer it returns. Thread: one thread at a time per arena.
 * Nothing here fails: out of memory aborts (base/alloc.h).
 */
#ifndef HUARD_BASE_ARENA_H
#define HUARD_BASE_ARENA_H

#include <stdarg.h>
#include <stddef.h>

#include "base/alloc.h"

struct arena;

/** Creates an empty arena (allocates its first chunk lazily). */
struct arena *arena_new(void);
/** Frees the arena and everything allocated from it; arena_free(NULL) does nothing. */
void arena_free(struct arena *a);
/** Frees everything allocated from a but keeps one chunk for reuse. */
void arena_reset(struct arena *a);
/** Returns n bytes aligned for any type (max_align_t); n == 0 gives a valid pointer. */
void *arena_alloc(struct arena *a, size_t n) HU_MALLOC;
/** arena_alloc() of zeroed bytes. */
void *arena_zalloc(struct arena *a, size_t n) HU_MALLOC;
/** Copies n bytes. */
void *arena_memdup(struct arena *a, const void *p, size_t n) HU_MALLOC;
/** Copies a NUL-terminated string. */
char *arena_strdup(struct arena *a, const char *s) HU_MALLOC;
/** Copies at most n bytes of s (stopping at a NUL) and adds a NUL. */
char *arena_strndup(struct arena *a, const char *s, size_t n) HU_MALLOC;
/** printf into arena memory. */
char *arena_sprintf(struct arena *a, const char *fmt, ...) HU_PRINTF(2, 3) HU_MALLOC;
/** vprintf into arena memory. */
char *arena_vsprintf(struct arena *a, const char *fmt, va_list ap) HU_PRINTF(2, 0) HU_MALLOC;
/** Bytes obtained from the heap for this arena (chunk sizes), for logs and tests. */
size_t arena_heap_bytes(const struct arena *a);

#endif
