/* text/utf8: the one UTF-8 check behind WebSocket text, auth headers and field lengths. */
#include <criterion/criterion.h>
#include <string.h>

#include "text/utf8.h"

static size_t count_of(const char *s, size_t len)
{
    size_t n = 12345;
    cr_assert(utf8_valid(s, len, &n), "expected valid: %zu bytes", len);
    return n;
}

Test(utf8, counts_scalar_values_not_bytes)
{
    cr_assert_eq(count_of("", 0), 0);
    cr_assert_eq(count_of("hello", 5), 5);
    cr_assert_eq(count_of("h\xc3\xa9", 3), 2);                /* hé */
    cr_assert_eq(count_of("\xe2\x9d\xa4\xef\xb8\x8f", 6), 2); /* ❤️: U+2764 U+FE0F */
    cr_assert_eq(count_of("\xf0\x9f\x91\x8d", 4), 1);         /* 👍 */
    cr_assert_eq(count_of("a\0b", 3), 3);                     /* NUL is a code point */
    cr_assert(utf8_valid("ok", 2, NULL));
}

Test(utf8, refuses_what_rfc_3629_forbids)
{
    static const char *const bad[] = {
        "\xc0\xaf",         /* overlong '/' */
        "\xe0\x80\xaf",     /* overlong, three bytes */
        "\xed\xa0\x80",     /* surrogate U+D800 */
        "\xf4\x90\x80\x80", /* past U+10FFFF */
        "\xe2\x9d",         /* truncated */
        "\x80",             /* lone continuation byte */
        "\xff",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t n = 7;
        cr_assert_not(utf8_valid(bad[i], strlen(bad[i]), &n), "case %zu accepted", i);
        cr_assert_eq(n, 7, "count written on failure (case %zu)", i);
    }
    /* The bad byte may come after valid text. */
    cr_assert_not(utf8_valid("abc\xc3", 4, NULL));
}
