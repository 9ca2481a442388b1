/*
 * time: clocks in microseconds and the timestamp text forms of the Wazo wire (wazo-api.md 1.5).
 *
 * Timestamps are int64_t microseconds since the Unix epoch (UTC), the precision Python's
 * datetime renders. Renderers write into a caller buffer of TIME_STR_LEN bytes and return the
 * length written. The parser accepts the ISO 8601 forms clients send as query parameters
 * (from_date...). Any thread may call these functions (they use the _r libc variants).
 */
#ifndef HUARD_BASE_TIME_H
#define HUARD_BASE_TIME_H

#include <stddef.h>
#include <stdint.h>

#include "base/alloc.h"

/* Longest rendering, "2024-05-01T12:00:00.123456+00:00", is 32 characters. */
#define TIME_STR_LEN 40

#define TIME_US_PER_SEC INT64_C(1000000)

/** Wall-clock time (CLOCK_REALTIME), microseconds since the epoch. For timestamps. */
int64_t time_now_us(void);
/** Monotonic time (CLOCK_MONOTONIC) in microseconds. For durations and timers. */
int64_t time_mono_us(void);

/**
 * chatd form: Python isoformat() of an aware UTC datetime, "2024-05-01T12:00:00.123456+00:00",
 * the fraction omitted when it is 0 ("2024-05-01T12:00:00+00:00").
 */
size_t time_format_chatd(int64_t us, char out[TIME_STR_LEN]);
/** Naive UTC isoformat(), "2024-05-01T12:00:00.123456" (fraction omitted when 0), as chatd
 * sends in the presence event right after a PUT. */
size_t time_format_naive_utc(int64_t us, char out[TIME_STR_LEN]);
/** wazo-auth utc_issued_at/utc_expires_at: "%Y-%m-%dT%H:%M:%S.%f" in UTC, always 6 digits. */
size_t time_format_auth_utc(int64_t us, char out[TIME_STR_LEN]);
/** Naive server-local isoformat() (wazo-auth issued_at, websocketd envelope timestamp). */
size_t time_format_local(int64_t us, char out[TIME_STR_LEN]);

/**
 * Parses an ISO 8601 date or date-time: "2019-06-12", "2019-06-12T10:00:00",
 * "2019-06-12T10:00", "2019-06-12 10:00:00.5", fractions up to 9 digits (beyond microseconds
 * truncated), with an offset "Z", "+02:00", "-0530", "+02" or none (naive = UTC, as
 * PostgreSQL compares chatd's from_date). s need not be NUL-terminated. Returns HE_INVAL for
 * anything else, including out-of-range fields and trailing characters.
 */
int time_parse_iso8601(const char *s, size_t len, int64_t *us) HU_MUST_CHECK;

#endif
