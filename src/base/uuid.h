/*
 * uuid: UUID v4 (random) and v7 (time-ordered) in canonical lower-case text.
 *
 * Messages and events use v7 so that their keys sort by creation time (RFC 9562, method 1:
 * a 12-bit counter in rand_a keeps v7 values strictly increasing within one process even
 * within a millisecond). Any thread may call these functions.
 */
#ifndef HUARD_BASE_UUID_H
#define HUARD_BASE_UUID_H

#include <stdbool.h>
#include <stddef.h>

#define UUID_STR_LEN 37 /* 36 characters and a NUL */

/** Writes a random v4 UUID into out. */
void uuid_v4(char out[UUID_STR_LEN]);
/** Writes a v7 UUID, greater than every earlier v7 from this process, into out. */
void uuid_v7(char out[UUID_STR_LEN]);
/**
 * Parses any form Python's uuid.UUID accepts that matters on the wire (canonical, upper case,
 * braces, no dashes) and writes the canonical lower-case form. Returns false when s is not a
 * UUID. s need not be NUL-terminated.
 */
bool uuid_normalize(const char *s, size_t len, char out[UUID_STR_LEN]);
/** True when s is exactly a canonical lower-case UUID. */
bool uuid_is_canonical(const char *s);

#endif
