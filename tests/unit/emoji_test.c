#include <criterion/criterion.h>
#include <string.h>

#include "text/emoji.h"

static bool one(const char *s)
{
    return emoji_is_single(s, strlen(s));
}

Test(emoji, accepts_the_reactions_of_the_issue)
{
    cr_assert(one(u8"\u2764\uFE0F"), "red heart with VS16");
    cr_assert(one(u8"\U0001F44D\U0001F3FD"), "thumbs up, medium skin tone");
    cr_assert(one(u8"\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466"), "family");
    cr_assert(one(u8"\U0001F1EB\U0001F1F7"), "flag of France");
    cr_assert(one(u8"1\uFE0F\u20E3"), "keycap one");
    cr_assert(one(u8"\U0001F389"), "party popper");
}

Test(emoji, accepts_other_common_shapes)
{
    cr_assert(one(u8"\u2764"), "text-default heart without VS16");
    cr_assert(one(u8"#\u20E3"), "keycap without VS16");
    cr_assert(one(u8"*\uFE0F\u20E3"), "keycap asterisk");
    cr_assert(one(u8"\U0001F3F4\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F"),
              "flag of Scotland (tag sequence)");
    cr_assert(one(u8"\U0001F469\U0001F3FD\u200D\U0001F4BB"), "woman technologist, skin tone");
    cr_assert(one(u8"\U0001F3F3\uFE0F\u200D\U0001F308"), "rainbow flag");
    cr_assert(one(u8"\U0001FAE9"), "a pictograph newer than the Unicode tables");
}

Test(emoji, rejects_text_and_several_emoji)
{
    cr_assert_not(one("a"));
    cr_assert_not(one(u8"\u00E9"), "precomposed e acute");
    cr_assert_not(one(u8"e\u0301"), "decomposed e acute");
    cr_assert_not(one(u8"\U0001F44D\U0001F44D"), "two thumbs up");
    cr_assert_not(one(""));
    cr_assert(!emoji_is_single(NULL, 0));
    cr_assert_not(one("1"));
    cr_assert_not(one("#"));
    cr_assert_not(one(u8"1\uFE0F"), "digit with VS16 but no keycap");
    cr_assert_not(one(u8"12\u20E3"), "two digits");
    cr_assert_not(one(u8"\U0001F389 "), "trailing space");
    cr_assert_not(one(u8" \U0001F389"), "leading space");
    cr_assert_not(one(u8"\U0001F1EB\U0001F1F7\U0001F1E9\U0001F1EA"), "two flags");
    cr_assert_not(one(u8"\U0001F389\u0301"), "pictograph with a combining accent");
    cr_assert_not(one(u8"\U0001F3FD"), "lone skin tone modifier");
    cr_assert_not(one(u8"\u200D"), "lone ZWJ");
    cr_assert_not(one(u8"\U0001F468\u200D"), "dangling ZWJ");
}

Test(emoji, rejects_a_lone_regional_indicator)
{
    cr_assert_not(one(u8"\U0001F1EB"));
}

Test(emoji, rejects_invalid_utf8)
{
    cr_assert_not(emoji_is_single("\xF0\x9F\x8E", 3), "truncated party popper");
    cr_assert_not(emoji_is_single("\xF0\x9F\x8E\x89\x80", 5), "stray continuation byte");
    cr_assert_not(emoji_is_single("\xED\xA0\xBD\xED\xB8\x80", 6), "CESU-8 surrogates");
    cr_assert_not(emoji_is_single("\xC0\xA3", 2), "overlong '#'");
    cr_assert_not(emoji_is_single("\xFF", 1));
    cr_assert_not(emoji_is_single("\0", 1), "NUL");
    /* The length is honoured: bytes after len are not read. */
    cr_assert(emoji_is_single("\xF0\x9F\x8E\x89garbage", 4));
}

Test(emoji, rejects_more_than_64_bytes)
{
    /* A ZWJ chain is one cluster however long: 🏳 + 10 x (ZWJ 🌈) = 4 + 10 * 7 bytes. */
    char buf[128] = u8"\U0001F3F3";
    for (int i = 0; i < 10; i++) {
        strcat(buf, u8"\u200D\U0001F308");
    }
    cr_assert_gt(strlen(buf), EMOJI_MAX_BYTES);
    cr_assert_not(one(buf));
    /* The same shape under the limit passes. */
    buf[4 + 8 * 7] = '\0';
    cr_assert_leq(strlen(buf), EMOJI_MAX_BYTES);
    cr_assert(one(buf));
}

Test(emoji, future_emoji_join_sequences)
{
    /* U+1FAE9 is unassigned in Unicode 15.0 but reserved Extended_Pictographic. */
    cr_assert(one(u8"\U0001F468\u200D\U0001FAE9"), "ZWJ sequence with a future pictograph");
    cr_assert_not(one(u8"\U0001FAE9\U0001FAE9"), "two future pictographs");
    cr_assert_not(one(u8"\U0001FB00"), "assigned symbol that is not a pictograph");
    cr_assert_not(one(u8"\U000E0080"), "unassigned outside the emoji blocks");
}
