#include <criterion/criterion.h>
#include <stdint.h>

#include "events/reorder.h"

static int items[64];

static intptr_t pop_seq(struct reorder *r)
{
    int64_t seq = -1;
    void *it = reorder_pop(r, &seq);
    return it ? (intptr_t)seq : -1;
}

Test(reorder, releases_in_sequence_order_whatever_the_arrival_order)
{
    struct reorder *r = reorder_new(1);
    int64_t arrival[] = {3, 1, 2, 5, 4, 6};
    int64_t released[6];
    size_t n = 0;
    for (size_t i = 0; i < 6; i++) {
        reorder_push(r, arrival[i], &items[arrival[i]]);
        int64_t seq;
        void *it;
        while ((it = reorder_pop(r, &seq)) != NULL) {
            cr_assert_eq(it, &items[seq]);
            released[n++] = seq;
        }
    }
    cr_assert_eq(n, 6);
    for (size_t i = 0; i < 6; i++) {
        cr_assert_eq(released[i], (int64_t)i + 1);
    }
    cr_assert_eq(reorder_next_seq(r), 7);
    cr_assert_not(reorder_blocked(r));
    reorder_free(r, NULL);
}

Test(reorder, holds_events_behind_a_gap_until_skipped)
{
    struct reorder *r = reorder_new(10);
    reorder_push(r, 12, &items[12]);
    reorder_push(r, 11, &items[11]);
    cr_assert_eq(pop_seq(r), -1, "11 and 12 wait for 10");
    cr_assert(reorder_blocked(r));
    cr_assert_eq(reorder_count(r), 2);
    reorder_skip_gap(r);
    cr_assert_eq(pop_seq(r), 11);
    cr_assert_eq(pop_seq(r), 12);
    cr_assert_eq(pop_seq(r), -1);
    cr_assert_eq(reorder_next_seq(r), 13);
    reorder_free(r, NULL);
}

Test(reorder, a_late_event_is_released_at_once_and_never_lost)
{
    struct reorder *r = reorder_new(10);
    reorder_push(r, 11, &items[11]);
    reorder_skip_gap(r);
    cr_assert_eq(pop_seq(r), 11);
    reorder_push(r, 10, &items[10]);
    cr_assert_eq(pop_seq(r), 10, "the skipped event still goes out");
    cr_assert_eq(reorder_next_seq(r), 12, "a late event does not move the expected seq");
    reorder_free(r, NULL);
}

Test(reorder, first_push_sets_the_start_when_none_is_given)
{
    struct reorder *r = reorder_new(0);
    reorder_push(r, 42, &items[0]);
    cr_assert_eq(pop_seq(r), 42);
    cr_assert_eq(reorder_next_seq(r), 43);
    reorder_free(r, NULL);
}

static int dropped;
static void count_drop(void *item)
{
    (void)item;
    dropped++;
}

Test(reorder, free_drops_what_is_still_held)
{
    struct reorder *r = reorder_new(1);
    for (int i = 5; i < 45; i++) {
        reorder_push(r, i, &items[i]);
    }
    dropped = 0;
    reorder_free(r, count_drop);
    cr_assert_eq(dropped, 40);
}

Test(reorder, many_shuffled_events_come_out_sorted)
{
    enum { N = 5000 };
    struct reorder *r = reorder_new(1);
    /* A fixed permutation: i * 7919 mod N visits every residue since 7919 is prime to N. */
    int64_t expect = 1;
    for (int64_t i = 0; i < N; i++) {
        int64_t seq = (i * 7919) % N + 1;
        reorder_push(r, seq, &items[0]);
        int64_t got;
        while (reorder_pop(r, &got) != NULL) {
            cr_assert_eq(got, expect);
            expect++;
        }
    }
    cr_assert_eq(expect, N + 1);
    reorder_free(r, NULL);
}
