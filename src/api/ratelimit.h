/*
 * ratelimit: token buckets keyed by text (a remote address, a username...), for the 429
 * answers of DESIGN.md section 6.
 *
 * A limiter holds one or more policies (bucket size `burst`, refill rate `per_second`); a
 * bucket is identified by (policy index, key). A missing bucket is a full one, so only keys
 * that spent tokens use memory, and at most max_keys buckets exist: past that the least
 * recently used bucket is dropped (it forgets some spending; bounded memory wins over exact
 * accounting under a flood of distinct keys). Keys are hashed with a keyed SipHash
 * (libsodium crypto_shorthash, random key per limiter) so that chosen keys cannot pile into
 * one chain.
 *
 * Time is passed in by the caller (monotonic microseconds, base/time.h time_mono_us), which
 * keeps the arithmetic testable.
 *
 * Threads: every function but new/free may be called from any thread at once (one mutex per
 * limiter; the critical sections are a hash lookup and a few multiplications).
 * Ownership: keys are borrowed for the call and copied when a bucket is created.
 */
#ifndef HUARD_API_RATELIMIT_H
#define HUARD_API_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/alloc.h"

struct rate_limiter;

struct rate_policy {
    double burst;      /* bucket size: attempts allowed at once (>= 1) */
    double per_second; /* refill rate in tokens per second (> 0) */
};

/* One bucket to charge: the policy it follows and its key. */
struct rate_key {
    unsigned policy; /* index into the policies given to rate_limiter_new */
    const char *key; /* NUL-terminated; only the first RATE_KEY_MAX bytes count */
};

/* Longest key kept; longer keys are cut (two keys equal on this prefix share a bucket). */
#define RATE_KEY_MAX 256

/**
 * Creates a limiter with n_policies policies (copied) and room for max_keys buckets (0 =
 * 65536). Aborts on a policy with burst < 1 or per_second <= 0 (a programming error).
 */
struct rate_limiter *rate_limiter_new(const struct rate_policy *policies, size_t n_policies,
                                      size_t max_keys);
/** Frees the limiter and its buckets. NULL does nothing. */
void rate_limiter_free(struct rate_limiter *rl);

/**
 * Charges one token to each of keys[0..n) as one step: when every bucket holds at least one
 * token all are charged and true is returned; otherwise none is charged, false is returned
 * and *retry_after_us (may be NULL) receives the time until every bucket holds a token again.
 */
bool rate_limiter_take(struct rate_limiter *rl, const struct rate_key *keys, size_t n,
                       int64_t now_us, int64_t *retry_after_us);

/**
 * Gives one token back to each of keys[0..n) (capped at the burst), e.g. after a login
 * attempt that succeeded, so that only failures count.
 */
void rate_limiter_refund(struct rate_limiter *rl, const struct rate_key *keys, size_t n,
                         int64_t now_us);

/** Number of buckets held (for tests and metrics). */
size_t rate_limiter_size(struct rate_limiter *rl);

#endif
