/*
 * utf8: is a byte string valid UTF-8, and how many code points does it hold?
 *
 * The one check behind every place that takes text from outside: WebSocket text messages and
 * close reasons (RFC 6455 8.1), auth headers, request fields counted in characters. Decoding
 * is utf8proc's, which refuses overlong forms, surrogates and code points past U+10FFFF.
 *
 * Pure function of its input; any thread may call it.
 */
#ifndef HUARD_TEXT_UTF8_H
#define HUARD_TEXT_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/**
 * True iff s[0..len) is valid UTF-8 (s need not be NUL-terminated). When count is not NULL
 * and the text is valid, *count is its number of Unicode scalar values.
 */
bool utf8_valid(const char *s, size_t len, size_t *count);

#endif
