/* Unit tests of base/uuid: v4/v7 bits, v7 ordering (one and several threads), normalising. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/time.h"
#include "base/uuid.h"

static int hexval(char c)
{
    return c <= '9' ? c - '0' : c - 'a' + 10;
}

Test(uuid, v4_has_version_and_variant_bits)
{
    char a[UUID_STR_LEN], b[UUID_STR_LEN];
    for (int i = 0; i < 1000; i++) {
        uuid_v4(a);
        cr_assert(uuid_is_canonical(a), "%s", a);
        cr_assert_eq(a[14], '4', "%s", a);
        cr_assert(strchr("89ab", a[19]) != NULL, "%s", a);
    }
    uuid_v4(b);
    cr_expect_str_neq(a, b);
}

Test(uuid, v7_has_bits_and_current_time)
{
    char u[UUID_STR_LEN];
    int64_t before_ms = time_now_us() / 1000;
    uuid_v7(u);
    cr_assert(uuid_is_canonical(u), "%s", u);
    cr_expect_eq(u[14], '7', "%s", u);
    cr_expect(strchr("89ab", u[19]) != NULL, "%s", u);
    int64_t ms = 0;
    for (int i = 0; i < 13; i++) {
        if (u[i] != '-') {
            ms = ms * 16 + hexval(u[i]);
        }
    }
    cr_expect_geq(ms, before_ms);
}

Test(uuid, v7_strictly_increases_over_100k_calls)
{
    enum { N = 100000 };
    char prev[UUID_STR_LEN], cur[UUID_STR_LEN];
    uuid_v7(prev);
    for (int i = 0; i < N; i++) {
        uuid_v7(cur);
        cr_assert_gt(strcmp(cur, prev), 0, "call %d: %s after %s", i, cur, prev);
        memcpy(prev, cur, sizeof(cur));
    }
}

enum { THREADS = 4, PER_THREAD = 20000 };

static void *v7_worker(void *arg)
{
    char(*out)[UUID_STR_LEN] = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        uuid_v7(out[i]);
    }
    return NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(a, b);
}

Test(uuid, v7_is_ordered_per_thread_and_unique_across_threads)
{
    char(*all)[UUID_STR_LEN] = xcalloc((size_t)THREADS * PER_THREAD, UUID_STR_LEN);
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++) {
        cr_assert_eq(pthread_create(&th[t], NULL, v7_worker, all + (size_t)t * PER_THREAD), 0);
    }
    for (int t = 0; t < THREADS; t++) {
        pthread_join(th[t], NULL);
    }
    for (int t = 0; t < THREADS; t++) {
        for (int i = 1; i < PER_THREAD; i++) {
            const char *p = all[(size_t)t * PER_THREAD + (size_t)i - 1];
            const char *c = all[(size_t)t * PER_THREAD + (size_t)i];
            cr_assert_gt(strcmp(c, p), 0, "thread %d call %d: %s after %s", t, i, c, p);
        }
    }
    qsort(all, (size_t)THREADS * PER_THREAD, UUID_STR_LEN, cmp_str);
    for (size_t i = 1; i < (size_t)THREADS * PER_THREAD; i++) {
        cr_assert_str_neq(all[i], all[i - 1], "duplicate %s", all[i]);
    }
    free(all);
}

static void expect_norm(const char *in, const char *want)
{
    char out[UUID_STR_LEN];
    cr_assert(uuid_normalize(in, strlen(in), out), "rejected '%s'", in);
    cr_expect_str_eq(out, want, "from '%s'", in);
}

Test(uuid, normalize_accepts_python_forms)
{
    const char *canon = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
    expect_norm(canon, canon);
    expect_norm("0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D", canon);
    expect_norm("{0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d}", canon);
    expect_norm("0a1b2c3d4e5f4a6b8c7d9e0f1a2b3c4d", canon);
    expect_norm("urn:uuid:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", canon);
    /* Not NUL-terminated: only len bytes are read. */
    char out[UUID_STR_LEN];
    cr_expect(uuid_normalize("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4dXYZ", 36, out));
    cr_expect_str_eq(out, canon);
    cr_expect(uuid_is_canonical(canon));
    cr_expect_not(uuid_is_canonical("0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D"));
}

Test(uuid, normalize_rejects_non_uuids)
{
    static const char *const bad[] = {
        "",
        "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4",
        "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4dd",
        "0a1b2c3d-4e5f-4a6b-8c7d_9e0f1a2b3c4d",
        "0a1b2c3d4-e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "0g1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "{0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "0a1b2c3d 4e5f 4a6b 8c7d 9e0f1a2b3c4d",
        "me",
    };
    char out[UUID_STR_LEN];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_expect_not(uuid_normalize(bad[i], strlen(bad[i]), out), "accepted '%s'", bad[i]);
    }
}

Test(uuid, is_canonical_wants_exactly_the_lower_case_dashed_form)
{
    cr_expect(uuid_is_canonical("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"));
    static const char *const bad[] = {
        "",
        "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4",   /* short */
        "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d0", /* long */
        "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4D",  /* one upper-case digit */
        "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4g",
        "0a1b2c3d4e5f-4a6b-8c7d-9e0f1a2b3c4d-", /* dash moved */
        "{0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d}",
        "0a1b2c3d4e5f4a6b8c7d9e0f1a2b3c4d",
        "urn:uuid:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_expect_not(uuid_is_canonical(bad[i]), "%s", bad[i]);
    }
}
