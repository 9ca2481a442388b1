/*
 * alloc: allocation wrappers that never return NULL.
 *
 * Out of memory is not an error a chat server can answer well: the wrappers log one line and
 * abort (as redis and git do), so callers never test for NULL. Any thread may call them.
 * Memory from these functions is released with free().
 */
#ifndef HUARD_BASE_ALLOC_H
#define HUARD_BASE_ALLOC_H

#include <stddef.h>

#if defined(__GNUC__)
#define HU_MUST_CHECK __attribute__((warn_unused_result))
#define HU_MALLOC __attribute__((malloc, returns_nonnull))
#define HU_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define HU_NORETURN __attribute__((noreturn))
#else
#define HU_MUST_CHECK
#define HU_MALLOC
#define HU_PRINTF(f, a)
#define HU_NORETURN
#endif

#define HU_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/** Allocates n bytes (n == 0 gives a unique non-NULL pointer). */
void *xmalloc(size_t n) HU_MALLOC;
/** Allocates nmemb * size zeroed bytes; aborts on overflow. */
void *xcalloc(size_t nmemb, size_t size) HU_MALLOC;
/** Resizes p to n bytes; p may be NULL. */
void *xrealloc(void *p, size_t n);
/** Resizes p to nmemb * size bytes; aborts on overflow. */
void *xreallocarray(void *p, size_t nmemb, size_t size);
/** Copies a NUL-terminated string. */
char *xstrdup(const char *s) HU_MALLOC;
/** Copies n bytes of s and adds a NUL. */
char *xstrndup(const char *s, size_t n) HU_MALLOC;
/** Copies n bytes. */
void *xmemdup(const void *p, size_t n) HU_MALLOC;
/** printf into a new string. */
char *xasprintf(const char *fmt, ...) HU_PRINTF(1, 2) HU_MALLOC;

/** Aborts with file:line when an invariant is broken. Never for bad input. */
#define BUG_ON(cond)                                                                               \
    do {                                                                                           \
        if (cond) {                                                                                \
            hu_bug(__FILE__, __LINE__, #cond);                                                     \
        }                                                                                          \
    } while (0)

void hu_bug(const char *file, int line, const char *what) HU_NORETURN;

#endif
