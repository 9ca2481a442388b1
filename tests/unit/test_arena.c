/* Unit tests of base/arena: alignment, growth, large allocations, strings, reset. */
#include <criterion/criterion.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/arena.h"

Test(arena, allocations_are_aligned_and_distinct)
{
    struct arena *a = arena_new();
    char *prev = NULL;
    for (size_t i = 0; i < 2000; i++) {
        char *p = arena_alloc(a, i % 37);
        cr_assert_eq((uintptr_t)p % alignof(max_align_t), 0, "allocation %zu misaligned", i);
        cr_assert_neq(p, prev);
        memset(p, 0xab, i % 37);
        prev = p;
    }
    arena_free(a);
}

Test(arena, contents_survive_later_allocations)
{
    struct arena *a = arena_new();
    int *nums[500];
    for (int i = 0; i < 500; i++) {
        nums[i] = arena_alloc(a, sizeof(int) * 10);
        for (int j = 0; j < 10; j++) {
            nums[i][j] = i * 10 + j;
        }
    }
    for (int i = 0; i < 500; i++) {
        for (int j = 0; j < 10; j++) {
            cr_assert_eq(nums[i][j], i * 10 + j);
        }
    }
    arena_free(a);
}

Test(arena, chunks_grow_and_large_allocations_get_their_own)
{
    struct arena *a = arena_new();
    cr_expect_eq(arena_heap_bytes(a), 0);
    (void)arena_alloc(a, 8);
    size_t first = arena_heap_bytes(a);
    cr_expect_gt(first, 1000);
    cr_expect_lt(first, 2000);
    char *big = arena_alloc(a, 1 << 20);
    memset(big, 1, 1 << 20);
    size_t after_big = arena_heap_bytes(a);
    cr_expect_geq(after_big - first, (size_t)1 << 20);
    cr_expect_lt(after_big - first, ((size_t)1 << 20) + 256);
    /* The small chunk is still in use after the large allocation. */
    (void)arena_alloc(a, 8);
    cr_expect_eq(arena_heap_bytes(a), after_big);
    /* Filling past the first chunk takes a bigger one. */
    for (int i = 0; i < 100; i++) {
        (void)arena_alloc(a, 64);
    }
    size_t grown = arena_heap_bytes(a) - after_big;
    cr_expect_geq(grown, 2048, "second chunk not larger than the first: %zu", grown);
    arena_free(a);
}

Test(arena, string_helpers_copy_and_terminate)
{
    struct arena *a = arena_new();
    char src[] = "hello world";
    char *s = arena_strdup(a, src);
    src[0] = 'j';
    cr_expect_str_eq(s, "hello world");
    cr_expect_str_eq(arena_strndup(a, "hello world", 5), "hello");
    cr_expect_str_eq(arena_strndup(a, "hi", 10), "hi");
    cr_expect_str_eq(arena_strndup(a, "", 0), "");
    cr_expect_str_eq(arena_sprintf(a, "%s=%d", "k", 42), "k=42");
    char long_text[40000];
    memset(long_text, 'x', sizeof(long_text) - 1);
    long_text[sizeof(long_text) - 1] = '\0';
    char *l = arena_sprintf(a, "<%s>", long_text);
    cr_expect_eq(strlen(l), sizeof(long_text) + 1);
    cr_expect_eq(l[0], '<');
    cr_expect_eq(l[sizeof(long_text)], '>');
    unsigned char *m = arena_memdup(a, "a\0b", 3);
    cr_expect_eq(memcmp(m, "a\0b", 3), 0);
    unsigned char *z = arena_zalloc(a, 100);
    for (int i = 0; i < 100; i++) {
        cr_assert_eq(z[i], 0);
    }
    arena_free(a);
}

Test(arena, reset_keeps_one_chunk_and_allows_reuse)
{
    struct arena *a = arena_new();
    for (int i = 0; i < 1000; i++) {
        (void)arena_alloc(a, 100);
    }
    (void)arena_alloc(a, 100000);
    size_t before = arena_heap_bytes(a);
    arena_reset(a);
    size_t kept = arena_heap_bytes(a);
    cr_expect_lt(kept, before);
    cr_expect_gt(kept, 0);
    cr_expect_str_eq(arena_strdup(a, "again"), "again");
    cr_expect_eq(arena_heap_bytes(a), kept);
    arena_free(a);
    arena_free(NULL);
}
