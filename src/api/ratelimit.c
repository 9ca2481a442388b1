#include "api/ratelimit.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

#include <sodium.h>

#include "base/banned.h"

/*
 * A bucket: chained in its hash slot and in the LRU list (head = most recently used).
 * tokens is the level at last_us; the level now is computed on each touch.
 */
struct rate_bucket {
    struct rate_bucket *hnext;
    struct rate_bucket *newer;
    struct rate_bucket *older;
    uint64_t hash;
    unsigned policy;
    double tokens;
    int64_t last_us;
    size_t keylen;
    char key[]; /* keylen bytes and a NUL */
};

struct rate_limiter {
    pthread_mutex_t mu;
    struct rate_policy *policies;
    size_t n_policies;
    size_t max_keys;
    size_t count;
    struct rate_bucket **slots;
    size_t mask; /* slots - 1, a power of two minus one */
    struct rate_bucket *lru_newest;
    struct rate_bucket *lru_oldest;
    unsigned char hash_key[crypto_shorthash_KEYBYTES];
};

struct rate_limiter *rate_limiter_new(const struct rate_policy *policies, size_t n_policies,
                                      size_t max_keys)
{
    BUG_ON(n_policies == 0);
    for (size_t i = 0; i < n_policies; i++) {
        BUG_ON(!(policies[i].burst >= 1.0));
        BUG_ON(!(policies[i].per_second > 0.0));
    }
    BUG_ON(sodium_init() < 0);
    struct rate_limiter *rl = xcalloc(1, sizeof(*rl));
    pthread_mutex_init(&rl->mu, NULL);
    rl->policies = xmemdup(policies, n_policies * sizeof(*policies));
    rl->n_policies = n_policies;
    /* A floor of 16 keeps the buckets of one call (a handful) from evicting each other. */
    rl->max_keys = max_keys == 0 ? 65536 : (max_keys < 16 ? 16 : max_keys);
    size_t nslots = 16;
    while (nslots < rl->max_keys) {
        nslots <<= 1;
    }
    rl->slots = xcalloc(nslots, sizeof(struct rate_bucket *));
    rl->mask = nslots - 1;
    crypto_shorthash_keygen(rl->hash_key);
    return rl;
}

void rate_limiter_free(struct rate_limiter *rl)
{
    if (rl == NULL) {
        return;
    }
    struct rate_bucket *b = rl->lru_newest;
    while (b != NULL) {
        struct rate_bucket *next = b->older;
        free(b);
        b = next;
    }
    free(rl->slots);
    free(rl->policies);
    pthread_mutex_destroy(&rl->mu);
    free(rl);
}

static size_t rate_keylen(const char *key)
{
    return strnlen(key, RATE_KEY_MAX);
}

static uint64_t rate_hash(const struct rate_limiter *rl, unsigned policy, const char *key,
                          size_t len)
{
    unsigned char out[crypto_shorthash_BYTES];
    uint64_t h;
    crypto_shorthash(out, (const unsigned char *)key, len, rl->hash_key);
    memcpy(&h, out, sizeof(h));
    /* Policies share the table; mixing the index in keeps (0, k) and (1, k) apart. */
    return h ^ ((uint64_t)policy * UINT64_C(0x9E3779B97F4A7C15));
}

static struct rate_bucket *rate_find(struct rate_limiter *rl, unsigned policy, const char *key,
                                     size_t len, uint64_t hash)
{
    for (struct rate_bucket *b = rl->slots[hash & rl->mask]; b != NULL; b = b->hnext) {
        if (b->hash == hash && b->policy == policy && b->keylen == len &&
            memcmp(b->key, key, len) == 0) {
            return b;
        }
    }
    return NULL;
}

static void rate_lru_unlink(struct rate_limiter *rl, struct rate_bucket *b)
{
    if (b->newer != NULL) {
        b->newer->older = b->older;
    } else {
        rl->lru_newest = b->older;
    }
    if (b->older != NULL) {
        b->older->newer = b->newer;
    } else {
        rl->lru_oldest = b->newer;
    }
    b->newer = NULL;
    b->older = NULL;
}

static void rate_lru_push(struct rate_limiter *rl, struct rate_bucket *b)
{
    b->newer = NULL;
    b->older = rl->lru_newest;
    if (rl->lru_newest != NULL) {
        rl->lru_newest->newer = b;
    }
    rl->lru_newest = b;
    if (rl->lru_oldest == NULL) {
        rl->lru_oldest = b;
    }
}

static void rate_remove(struct rate_limiter *rl, struct rate_bucket *b)
{
    struct rate_bucket **pp = &rl->slots[b->hash & rl->mask];
    while (*pp != b) {
        pp = &(*pp)->hnext;
    }
    *pp = b->hnext;
    rate_lru_unlink(rl, b);
    rl->count--;
    free(b);
}

/* Level of b at now, at most the burst. A clock that went back refills nothing. */
static double rate_level(const struct rate_limiter *rl, const struct rate_bucket *b, int64_t now)
{
    const struct rate_policy *p = &rl->policies[b->policy];
    double elapsed = now > b->last_us ? (double)(now - b->last_us) / 1e6 : 0.0;
    double level = b->tokens + elapsed * p->per_second;
    return level > p->burst ? p->burst : level;
}

static struct rate_bucket *rate_get_or_create(struct rate_limiter *rl, unsigned policy,
                                              const char *key, int64_t now)
{
    size_t len = rate_keylen(key);
    uint64_t hash = rate_hash(rl, policy, key, len);
    struct rate_bucket *b = rate_find(rl, policy, key, len, hash);
    if (b != NULL) {
        b->tokens = rate_level(rl, b, now);
        b->last_us = now;
        rate_lru_unlink(rl, b);
        rate_lru_push(rl, b);
        return b;
    }
    if (rl->count >= rl->max_keys) {
        rate_remove(rl, rl->lru_oldest);
    }
    b = xmalloc(sizeof(*b) + len + 1);
    memset(b, 0, sizeof(*b));
    b->hash = hash;
    b->policy = policy;
    b->tokens = rl->policies[policy].burst;
    b->last_us = now;
    b->keylen = len;
    memcpy(b->key, key, len);
    b->key[len] = '\0';
    b->hnext = rl->slots[hash & rl->mask];
    rl->slots[hash & rl->mask] = b;
    rate_lru_push(rl, b);
    rl->count++;
    return b;
}

/* The existing bucket of k, or NULL. */
static struct rate_bucket *rate_lookup(struct rate_limiter *rl, const struct rate_key *k)
{
    BUG_ON(k->policy >= rl->n_policies);
    size_t len = rate_keylen(k->key);
    return rate_find(rl, k->policy, k->key, len, rate_hash(rl, k->policy, k->key, len));
}

bool rate_limiter_take(struct rate_limiter *rl, const struct rate_key *keys, size_t n,
                       int64_t now_us, int64_t *retry_after_us)
{
    int64_t wait = 0;
    pthread_mutex_lock(&rl->mu);
    /* First pass: look only, so that a refusal charges nothing and creates nothing. */
    for (size_t i = 0; i < n; i++) {
        struct rate_bucket *b = rate_lookup(rl, &keys[i]);
        if (b == NULL) {
            continue;
        }
        double level = rate_level(rl, b, now_us);
        if (level < 1.0) {
            double us = ceil((1.0 - level) * 1e6 / rl->policies[b->policy].per_second);
            int64_t w = us > 9e15 ? INT64_C(9000000000000000) : (int64_t)us;
            if (w > wait) {
                wait = w;
            }
        }
    }
    bool ok = wait == 0;
    if (ok) {
        for (size_t i = 0; i < n; i++) {
            struct rate_bucket *b = rate_get_or_create(rl, keys[i].policy, keys[i].key, now_us);
            b->tokens -= 1.0;
        }
    }
    pthread_mutex_unlock(&rl->mu);
    if (retry_after_us != NULL) {
        *retry_after_us = wait;
    }
    return ok;
}

void rate_limiter_refund(struct rate_limiter *rl, const struct rate_key *keys, size_t n,
                         int64_t now_us)
{
    pthread_mutex_lock(&rl->mu);
    for (size_t i = 0; i < n; i++) {
        struct rate_bucket *b = rate_lookup(rl, &keys[i]);
        if (b == NULL) {
            continue;
        }
        double level = rate_level(rl, b, now_us) + 1.0;
        if (level >= rl->policies[b->policy].burst) {
            /* A full bucket says nothing a missing one does not: give the memory back. */
            rate_remove(rl, b);
            continue;
        }
        b->tokens = level;
        b->last_us = now_us;
    }
    pthread_mutex_unlock(&rl->mu);
}

size_t rate_limiter_size(struct rate_limiter *rl)
{
    pthread_mutex_lock(&rl->mu);
    size_t n = rl->count;
    pthread_mutex_unlock(&rl->mu);
    return n;
}
