/*
 * buf: growable byte buffer (after git's strbuf).
 *
 * Invariants: data is never NULL and data[len] == '\0' always, so data can be passed as a C
 * string (when the content holds no NUL) without a copy. A buffer with cap == 0 owns no memory:
 * data points at a shared read-only empty string, so BUF_INIT costs no allocation.
 * Ownership: the struct is the caller's storage; the memory behind data belongs to the buffer
 * until buf_detach() hands it over (free() it). Thread: one buffer per thread at a time.
 * Nothing here fails: allocation aborts on out of memory (base/alloc.h).
 */
#ifndef HUARD_BASE_BUF_H
#define HUARD_BASE_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "base/alloc.h"

struct buf {
    char *data;
    size_t len; /* bytes used, not counting the terminating NUL */
    size_t cap; /* bytes allocated, 0 when data is the shared empty string */
};

extern const char buf_empty_[1];
#define BUF_INIT                                                                                   \
    {                                                                                              \
        (char *)buf_empty_, 0, 0                                                                   \
    }

/** Initialises b, reserving room for hint bytes (0 = allocate nothing). */
void buf_init(struct buf *b, size_t hint);
/** Frees b's memory and leaves it initialised and empty. */
void buf_release(struct buf *b);
/** Ensures room for extra more bytes (plus the NUL) without another allocation. */
void buf_grow(struct buf *b, size_t extra);
/** Empties b, keeping its memory. */
void buf_reset(struct buf *b);
/** Sets the length to len (<= len + available room), writing the NUL. */
void buf_setlen(struct buf *b, size_t len);
/**
 * Returns b's content as a NUL-terminated heap string the caller frees, stores its length in
 * *len if len is not NULL, and leaves b empty and initialised.
 */
char *buf_detach(struct buf *b, size_t *len);
/** Appends n bytes of data (which may hold NULs). */
void buf_add(struct buf *b, const void *data, size_t n);
/** Appends a NUL-terminated string. */
void buf_adds(struct buf *b, const char *s);
/** Appends one byte. */
void buf_addch(struct buf *b, char c);
/** Appends printf-formatted text. */
void buf_addf(struct buf *b, const char *fmt, ...) HU_PRINTF(2, 3);
/** Appends printf-formatted text from a va_list. */
void buf_vaddf(struct buf *b, const char *fmt, va_list ap) HU_PRINTF(2, 0);

#endif
