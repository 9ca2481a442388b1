#include "base/time.h"

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "base/err.h"
#include "base/banned.h"

static int64_t clock_us(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * TIME_US_PER_SEC + ts.tv_nsec / 1000;
}

int64_t time_now_us(void)
{
    return clock_us(CLOCK_REALTIME);
}

int64_t time_mono_us(void)
{
    return clock_us(CLOCK_MONOTONIC);
}

/* Splits us into whole seconds and microseconds, rounding toward minus infinity. */
static void split_us(int64_t us, time_t *sec, int *frac)
{
    int64_t s = us / TIME_US_PER_SEC;
    int64_t f = us % TIME_US_PER_SEC;
    if (f < 0) {
        f += TIME_US_PER_SEC;
        s--;
    }
    *sec = (time_t)s;
    *frac = (int)f;
}

enum frac_mode { FRAC_PYTHON, FRAC_ALWAYS };

static size_t format(int64_t us, bool local, enum frac_mode mode, const char *suffix,
                     char out[TIME_STR_LEN])
{
    time_t sec;
    int frac;
    struct tm tm;
    split_us(us, &sec, &frac);
    if (local) {
        localtime_r(&sec, &tm);
    } else {
        gmtime_r(&sec, &tm);
    }
    int n = snprintf(out, TIME_STR_LEN, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    /* Python's isoformat() drops the fraction when it is 0; strftime's %f never does. */
    if (frac != 0 || mode == FRAC_ALWAYS) {
        n += snprintf(out + n, TIME_STR_LEN - (size_t)n, ".%06d", frac);
    }
    n += snprintf(out + n, TIME_STR_LEN - (size_t)n, "%s", suffix);
    return (size_t)n;
}

size_t time_format_chatd(int64_t us, char out[TIME_STR_LEN])
{
    return format(us, false, FRAC_PYTHON, "+00:00", out);
}

size_t time_format_naive_utc(int64_t us, char out[TIME_STR_LEN])
{
    return format(us, false, FRAC_PYTHON, "", out);
}

size_t time_format_auth_utc(int64_t us, char out[TIME_STR_LEN])
{
    return format(us, false, FRAC_ALWAYS, "", out);
}

size_t time_format_local(int64_t us, char out[TIME_STR_LEN])
{
    return format(us, true, FRAC_PYTHON, "", out);
}

/* Reads exactly n digits at *p (bounded by end). */
static bool digits(const char **p, const char *end, int n, int *out)
{
    int v = 0;
    if (end - *p < n) {
        return false;
    }
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9') {
            return false;
        }
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static bool accept(const char **p, const char *end, char c)
{
    if (*p < end && **p == c) {
        (*p)++;
        return true;
    }
    return false;
}

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int time_parse_iso8601(const char *s, size_t len, int64_t *us)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const char *p = s;
    const char *end = s + len;
    int y, mo, d, h = 0, mi = 0, sec = 0;
    int64_t frac = 0;
    int64_t offset_s = 0;

    if (!digits(&p, end, 4, &y) || !accept(&p, end, '-') || !digits(&p, end, 2, &mo) ||
        !accept(&p, end, '-') || !digits(&p, end, 2, &d)) {
        return HE_INVAL;
    }
    if (y < 1 || mo < 1 || mo > 12 || d < 1 ||
        d > mdays[mo - 1] + (mo == 2 && is_leap(y) ? 1 : 0)) {
        return HE_INVAL;
    }
    if (p < end && (*p == 'T' || *p == 't' || *p == ' ')) {
        p++;
        if (!digits(&p, end, 2, &h) || !accept(&p, end, ':') || !digits(&p, end, 2, &mi)) {
            return HE_INVAL;
        }
        if (accept(&p, end, ':')) {
            if (!digits(&p, end, 2, &sec)) {
                return HE_INVAL;
            }
            if (accept(&p, end, '.') || accept(&p, end, ',')) {
                int nd = 0;
                int64_t scale = 100000;
                while (p < end && *p >= '0' && *p <= '9') {
                    if (nd < 6) {
                        frac += (*p - '0') * scale;
                        scale /= 10;
                    }
                    nd++;
                    p++;
                }
                if (nd == 0 || nd > 9) {
                    return HE_INVAL;
                }
            }
        }
        if (h > 23 || mi > 59 || sec > 59) {
            return HE_INVAL;
        }
        if (accept(&p, end, 'Z') || accept(&p, end, 'z')) {
            /* UTC */
        } else if (p < end && (*p == '+' || *p == '-')) {
            int sign = *p == '-' ? -1 : 1;
            int oh, om = 0;
            p++;
            if (!digits(&p, end, 2, &oh)) {
                return HE_INVAL;
            }
            if (accept(&p, end, ':')) {
                if (!digits(&p, end, 2, &om)) {
                    return HE_INVAL;
                }
            } else if (p < end && !digits(&p, end, 2, &om)) {
                return HE_INVAL;
            }
            if (oh > 23 || om > 59) {
                return HE_INVAL;
            }
            offset_s = sign * (oh * 3600 + om * 60);
        }
    }
    if (p != end) {
        return HE_INVAL;
    }
    int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset_s;
    *us = t * TIME_US_PER_SEC + frac;
    return 0;
}
