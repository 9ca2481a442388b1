/*
 * emoji: is a string exactly one emoji? (a reaction, DESIGN.md section 5)
 *
 * One emoji is one extended grapheme cluster (UAX #29, segmented by utf8proc) of one of
 * these shapes (UTS #51):
 *   - a keycap: [0-9#*] U+FE0F? U+20E3                      (1️⃣)
 *   - a flag: two regional indicators                        (🇫🇷); a lone one is refused
 *   - an Extended_Pictographic code point, followed only by U+FE0F, skin tone modifiers,
 *     tag characters (subdivision flags) and ZWJ + Extended_Pictographic elements
 *                                                            (🎉 ❤️ 👍🏽 👨‍👩‍👧‍👦
 * 🏴󠁧󠁢󠁳󠁣󠁴󠁿) A text-default pictograph without U+FE0F (❤) is accepted, as
 * clients send both. Code points still unassigned in utf8proc's Unicode version but reserved as
 * Extended_Pictographic count, so newer emoji pass before the library knows them.
 *
 * Pure function of its input; any thread may call it.
 */
#ifndef HUARD_TEXT_EMOJI_H
#define HUARD_TEXT_EMOJI_H

#include <stdbool.h>
#include <stddef.h>

/* Longest accepted emoji in bytes (UTF-8). */
#define EMOJI_MAX_BYTES 64

/**
 * True iff s[0..len) is valid UTF-8 of at most EMOJI_MAX_BYTES bytes and exactly one
 * emoji as described above. s need not be NUL-terminated.
 */
bool emoji_is_single(const char *s, size_t len);

#endif
