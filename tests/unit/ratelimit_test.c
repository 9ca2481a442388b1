/* Unit tests of api/ratelimit: burst, refill, atomic multi-key charge, refund, LRU bound. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>

#include "api/ratelimit.h"

#define SEC INT64_C(1000000)

static const struct rate_policy one_per_sec_burst3[] = {{3.0, 1.0}};

Test(ratelimit, burst_then_refusal_with_retry_after)
{
    struct rate_limiter *rl = rate_limiter_new(one_per_sec_burst3, 1, 0);
    struct rate_key k = {0, "10.0.0.1"};
    int64_t wait = -1;
    for (int i = 0; i < 3; i++) {
        cr_assert(rate_limiter_take(rl, &k, 1, 100 * SEC, &wait), "attempt %d", i);
        cr_expect_eq(wait, 0);
    }
    cr_expect_not(rate_limiter_take(rl, &k, 1, 100 * SEC, &wait));
    cr_expect_eq(wait, SEC);
    /* Half a second later half a token is back: half a second still to wait. */
    cr_expect_not(rate_limiter_take(rl, &k, 1, 100 * SEC + SEC / 2, &wait));
    cr_expect_eq(wait, SEC / 2);
    cr_expect(rate_limiter_take(rl, &k, 1, 101 * SEC, &wait));
    cr_expect_not(rate_limiter_take(rl, &k, 1, 101 * SEC, NULL));
    rate_limiter_free(rl);
}

Test(ratelimit, keys_are_independent)
{
    struct rate_limiter *rl = rate_limiter_new(one_per_sec_burst3, 1, 0);
    struct rate_key a = {0, "alice"};
    struct rate_key b = {0, "bob"};
    for (int i = 0; i < 3; i++) {
        cr_assert(rate_limiter_take(rl, &a, 1, 0, NULL));
    }
    cr_expect_not(rate_limiter_take(rl, &a, 1, 0, NULL));
    cr_expect(rate_limiter_take(rl, &b, 1, 0, NULL));
    rate_limiter_free(rl);
}

Test(ratelimit, refill_is_capped_at_the_burst)
{
    struct rate_limiter *rl = rate_limiter_new(one_per_sec_burst3, 1, 0);
    struct rate_key k = {0, "k"};
    cr_assert(rate_limiter_take(rl, &k, 1, 0, NULL));
    /* An hour idle gives back 3 tokens, not 3600. */
    int allowed = 0;
    for (int i = 0; i < 10; i++) {
        allowed += rate_limiter_take(rl, &k, 1, 3600 * SEC, NULL);
    }
    cr_expect_eq(allowed, 3);
    rate_limiter_free(rl);
}

Test(ratelimit, multi_key_take_charges_all_or_nothing)
{
    static const struct rate_policy pol[] = {{5.0, 0.1}, {2.0, 0.1}};
    struct rate_limiter *rl = rate_limiter_new(pol, 2, 0);
    struct rate_key both[] = {{0, "10.0.0.9"}, {1, "carol"}};
    cr_assert(rate_limiter_take(rl, both, 2, 0, NULL));
    cr_assert(rate_limiter_take(rl, both, 2, 0, NULL));
    int64_t wait = 0;
    /* carol is empty: the address must not be charged for the refusal. */
    cr_expect_not(rate_limiter_take(rl, both, 2, 0, &wait));
    cr_expect_eq(wait, 10 * SEC);
    struct rate_key addr_only = {0, "10.0.0.9"};
    int allowed = 0;
    for (int i = 0; i < 10; i++) {
        allowed += rate_limiter_take(rl, &addr_only, 1, 0, NULL);
    }
    cr_expect_eq(allowed, 3, "address bucket had 3 left, got %d", allowed);
    rate_limiter_free(rl);
}

Test(ratelimit, same_key_under_two_policies_is_two_buckets)
{
    static const struct rate_policy pol[] = {{1.0, 0.1}, {1.0, 0.1}};
    struct rate_limiter *rl = rate_limiter_new(pol, 2, 0);
    struct rate_key p0 = {0, "same"};
    struct rate_key p1 = {1, "same"};
    cr_expect(rate_limiter_take(rl, &p0, 1, 0, NULL));
    cr_expect(rate_limiter_take(rl, &p1, 1, 0, NULL));
    cr_expect_not(rate_limiter_take(rl, &p0, 1, 0, NULL));
    cr_expect_not(rate_limiter_take(rl, &p1, 1, 0, NULL));
    rate_limiter_free(rl);
}

Test(ratelimit, refund_gives_back_and_frees_full_buckets)
{
    struct rate_limiter *rl = rate_limiter_new(one_per_sec_burst3, 1, 0);
    struct rate_key k = {0, "dave"};
    for (int i = 0; i < 3; i++) {
        cr_assert(rate_limiter_take(rl, &k, 1, 0, NULL));
    }
    cr_expect_not(rate_limiter_take(rl, &k, 1, 0, NULL));
    rate_limiter_refund(rl, &k, 1, 0);
    cr_expect(rate_limiter_take(rl, &k, 1, 0, NULL));
    cr_expect_eq(rate_limiter_size(rl), 1);
    for (int i = 0; i < 3; i++) {
        rate_limiter_refund(rl, &k, 1, 0);
    }
    cr_expect_eq(rate_limiter_size(rl), 0, "a full bucket is dropped");
    /* Refunding an unknown key creates nothing. */
    struct rate_key u = {0, "nobody"};
    rate_limiter_refund(rl, &u, 1, 0);
    cr_expect_eq(rate_limiter_size(rl), 0);
    rate_limiter_free(rl);
}

Test(ratelimit, refusal_creates_no_bucket_and_memory_is_bounded)
{
    static const struct rate_policy pol[] = {{1.0, 0.001}};
    struct rate_limiter *rl = rate_limiter_new(pol, 1, 32);
    char key[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "10.1.%d.%d", i / 256, i % 256);
        struct rate_key k = {0, key};
        cr_assert(rate_limiter_take(rl, &k, 1, 0, NULL));
        cr_assert_leq(rate_limiter_size(rl), 32);
    }
    cr_expect_eq(rate_limiter_size(rl), 32);
    /* The most recent keys are still remembered, the oldest were dropped. */
    struct rate_key recent = {0, "10.1.3.231"};
    cr_expect_not(rate_limiter_take(rl, &recent, 1, 0, NULL));
    struct rate_key oldest = {0, "10.1.0.0"};
    cr_expect(rate_limiter_take(rl, &oldest, 1, 0, NULL));
    rate_limiter_free(rl);
}

Test(ratelimit, long_keys_are_cut_to_the_maximum)
{
    static const struct rate_policy pol[] = {{1.0, 0.001}};
    struct rate_limiter *rl = rate_limiter_new(pol, 1, 0);
    char a[RATE_KEY_MAX + 10];
    char b[RATE_KEY_MAX + 10];
    memset(a, 'x', sizeof(a) - 1);
    a[sizeof(a) - 1] = '\0';
    memcpy(b, a, sizeof(b));
    b[RATE_KEY_MAX + 5] = 'y';
    struct rate_key ka = {0, a};
    struct rate_key kb = {0, b};
    cr_expect(rate_limiter_take(rl, &ka, 1, 0, NULL));
    cr_expect_not(rate_limiter_take(rl, &kb, 1, 0, NULL));
    rate_limiter_free(rl);
}

struct hammer {
    struct rate_limiter *rl;
    int allowed;
};

static void *hammer_run(void *arg)
{
    struct hammer *h = arg;
    struct rate_key k = {0, "shared"};
    for (int i = 0; i < 2000; i++) {
        h->allowed += rate_limiter_take(h->rl, &k, 1, 0, NULL);
    }
    return NULL;
}

Test(ratelimit, concurrent_takes_never_exceed_the_burst)
{
    static const struct rate_policy pol[] = {{100.0, 0.001}};
    struct rate_limiter *rl = rate_limiter_new(pol, 1, 0);
    pthread_t th[4];
    struct hammer hs[4];
    for (int i = 0; i < 4; i++) {
        hs[i].rl = rl;
        hs[i].allowed = 0;
        cr_assert_eq(pthread_create(&th[i], NULL, hammer_run, &hs[i]), 0);
    }
    int total = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        total += hs[i].allowed;
    }
    cr_expect_eq(total, 100);
    rate_limiter_free(rl);
}
