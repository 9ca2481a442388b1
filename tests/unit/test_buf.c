/* Unit tests of base/buf: growth, NUL termination, detach, formatting. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

Test(buf, static_init_is_an_empty_string_without_allocation)
{
    struct buf b = BUF_INIT;
    cr_expect_str_eq(b.data, "");
    cr_expect_eq(b.len, 0);
    cr_expect_eq(b.cap, 0);
    buf_reset(&b);
    buf_release(&b);
    cr_expect_str_eq(b.data, "");
}

Test(buf, appends_stay_nul_terminated_across_growth)
{
    struct buf b;
    buf_init(&b, 0);
    buf_adds(&b, "hello");
    buf_addch(&b, ' ');
    buf_add(&b, "world!!", 5);
    cr_expect_str_eq(b.data, "hello world");
    cr_expect_eq(b.len, 11);
    for (int i = 0; i < 10000; i++) {
        buf_addch(&b, (char)('a' + i % 26));
        cr_assert_eq(b.data[b.len], '\0');
        cr_assert_lt(b.len, b.cap);
    }
    cr_expect_eq(b.len, 10011);
    cr_expect_eq(b.data[11], 'a');
    cr_expect_eq(b.data[10010], (char)('a' + 9999 % 26));
    buf_release(&b);
    cr_expect_eq(b.len, 0);
    cr_expect_eq(b.cap, 0);
}

Test(buf, binary_content_keeps_embedded_nuls)
{
    struct buf b = BUF_INIT;
    buf_add(&b, "a\0b", 3);
    cr_expect_eq(b.len, 3);
    cr_expect_eq(memcmp(b.data, "a\0b", 4), 0);
    buf_release(&b);
}

Test(buf, addf_formats_small_and_large_text)
{
    struct buf b;
    buf_init(&b, 64);
    size_t cap = b.cap;
    buf_addf(&b, "%d-%s", 42, "x");
    cr_expect_str_eq(b.data, "42-x");
    cr_expect_eq(b.cap, cap, "small format reallocated");
    char big[5000];
    memset(big, 'z', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    buf_addf(&b, "[%s]", big);
    cr_expect_eq(b.len, 4 + 2 + 4999);
    cr_expect_eq(b.data[5], 'z');
    cr_expect_eq(b.data[b.len - 1], ']');
    cr_expect_eq(b.data[b.len], '\0');
    buf_addf(&b, "%s", "");
    cr_expect_eq(b.len, 4 + 2 + 4999);
    buf_release(&b);
}

Test(buf, reset_keeps_memory_and_detach_hands_it_over)
{
    struct buf b = BUF_INIT;
    buf_adds(&b, "some text");
    size_t cap = b.cap;
    buf_reset(&b);
    cr_expect_eq(b.len, 0);
    cr_expect_str_eq(b.data, "");
    cr_expect_eq(b.cap, cap);
    buf_adds(&b, "kept");
    size_t len = 0;
    char *s = buf_detach(&b, &len);
    cr_expect_str_eq(s, "kept");
    cr_expect_eq(len, 4);
    cr_expect_eq(b.cap, 0);
    cr_expect_str_eq(b.data, "");
    free(s);
    s = buf_detach(&b, NULL);
    cr_expect_str_eq(s, "");
    free(s);
}

Test(buf, grow_reserves_room)
{
    struct buf b = BUF_INIT;
    buf_grow(&b, 1000);
    cr_expect_geq(b.cap, 1001);
    char *before = b.data;
    buf_add(&b, before, 0);
    for (int i = 0; i < 1000; i++) {
        buf_addch(&b, 'q');
    }
    cr_expect_eq(b.data, before, "grow did not reserve enough");
    buf_setlen(&b, 3);
    cr_expect_str_eq(b.data, "qqq");
    buf_release(&b);
}
