#include "text/emoji.h"

#include <stdint.h>
#include <utf8proc.h>

#include "base/banned.h"

#define CP_ZWJ 0x200D
#define CP_VS16 0xFE0F
#define CP_KEYCAP 0x20E3
#define CP_TAG_FIRST 0xE0020
#define CP_TAG_CANCEL 0xE007F

/*
 * Unicode reserves the unassigned code points of the emoji blocks as Extended_Pictographic
 * (emoji-data.txt) so that segmentation stays stable when new emoji are assigned, but
 * utf8proc's tables (Unicode 15.0 in 2.8) only flag assigned ones. An unassigned code point
 * of those ranges is therefore a future emoji.
 */
static bool is_reserved_pictographic(utf8proc_int32_t cp)
{
    return ((cp >= 0x1F000 && cp <= 0x1FAFF) || (cp >= 0x1FC00 && cp <= 0x1FFFD)) &&
           utf8proc_get_property(cp)->category == UTF8PROC_CATEGORY_CN;
}

static bool is_pictographic(utf8proc_int32_t cp)
{
    return utf8proc_get_property(cp)->boundclass == UTF8PROC_BOUNDCLASS_EXTENDED_PICTOGRAPHIC ||
           is_reserved_pictographic(cp);
}

/* What utf8proc's segmentation should see: a future emoji stands in as a known one. */
static utf8proc_int32_t segmentation_cp(utf8proc_int32_t cp)
{
    return is_reserved_pictographic(cp) ? 0x1F389 : cp;
}

static bool is_regional_indicator(utf8proc_int32_t cp)
{
    return utf8proc_get_property(cp)->boundclass == UTF8PROC_BOUNDCLASS_REGIONAL_INDICATOR;
}

static bool is_skin_tone(utf8proc_int32_t cp)
{
    return cp >= 0x1F3FB && cp <= 0x1F3FF;
}

static bool is_keycap_base(utf8proc_int32_t cp)
{
    return (cp >= '0' && cp <= '9') || cp == '#' || cp == '*';
}

/* Everything after the base pictograph: modifiers, VS16, tags, ZWJ-joined pictographs. */
static bool pictographic_tail_ok(const utf8proc_int32_t *cp, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        utf8proc_int32_t c = cp[i];
        if (c == CP_VS16 || is_skin_tone(c) || (c >= CP_TAG_FIRST && c <= CP_TAG_CANCEL)) {
            continue;
        }
        if (c == CP_ZWJ && i + 1 < n && is_pictographic(cp[i + 1])) {
            i++;
            continue;
        }
        return false;
    }
    return true;
}

bool emoji_is_single(const char *s, size_t len)
{
    /* At most one code point per byte, so this bounds the decoded array. */
    utf8proc_int32_t cp[EMOJI_MAX_BYTES];
    size_t n = 0;

    if (len == 0 || len > EMOJI_MAX_BYTES) {
        return false;
    }
    for (size_t off = 0; off < len;) {
        utf8proc_ssize_t r = utf8proc_iterate((const utf8proc_uint8_t *)s + off,
                                              (utf8proc_ssize_t)(len - off), &cp[n]);
        if (r <= 0) {
            return false; /* invalid UTF-8, surrogates and overlong forms included */
        }
        off += (size_t)r;
        n++;
    }

    /* Exactly one extended grapheme cluster: no break between consecutive code points. */
    utf8proc_int32_t state = 0;
    for (size_t i = 1; i < n; i++) {
        if (utf8proc_grapheme_break_stateful(segmentation_cp(cp[i - 1]), segmentation_cp(cp[i]),
                                             &state)) {
            return false;
        }
    }

    if (is_keycap_base(cp[0])) {
        return (n == 2 && cp[1] == CP_KEYCAP) || (n == 3 && cp[1] == CP_VS16 && cp[2] == CP_KEYCAP);
    }
    if (is_regional_indicator(cp[0])) {
        return n == 2 && is_regional_indicator(cp[1]);
    }
    return is_pictographic(cp[0]) && pictographic_tail_ok(cp, n);
}
