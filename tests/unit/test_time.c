/* Unit tests of base/time: Wazo timestamp renderings and the ISO 8601 parser. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/err.h"
#include "base/time.h"

/* 2024-05-01T12:00:00Z */
#define T0 (INT64_C(1714564800) * TIME_US_PER_SEC)

Test(time, chatd_form_is_aware_utc_with_python_fraction_rules)
{
    char out[TIME_STR_LEN];
    cr_expect_eq(time_format_chatd(T0 + 123456, out), 32);
    cr_expect_str_eq(out, "2024-05-01T12:00:00.123456+00:00");
    time_format_chatd(T0, out);
    cr_expect_str_eq(out, "2024-05-01T12:00:00+00:00");
    time_format_chatd(T0 + 1, out);
    cr_expect_str_eq(out, "2024-05-01T12:00:00.000001+00:00");
    time_format_chatd(0, out);
    cr_expect_str_eq(out, "1970-01-01T00:00:00+00:00");
    time_format_chatd(-1, out);
    cr_expect_str_eq(out, "1969-12-31T23:59:59.999999+00:00");
    time_format_naive_utc(T0 + 500000, out);
    cr_expect_str_eq(out, "2024-05-01T12:00:00.500000");
}

Test(time, auth_utc_form_always_has_six_digits)
{
    char out[TIME_STR_LEN];
    cr_expect_eq(time_format_auth_utc(T0, out), 26);
    cr_expect_str_eq(out, "2024-05-01T12:00:00.000000");
    time_format_auth_utc(T0 + 7200 * TIME_US_PER_SEC + 42, out);
    cr_expect_str_eq(out, "2024-05-01T14:00:00.000042");
}

Test(time, local_form_is_naive_in_the_server_zone)
{
    /* A POSIX rule (Paris) so the test needs no tzdata; each test runs in its own process. */
    setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
    tzset();
    char out[TIME_STR_LEN];
    time_format_local(T0 + 250000, out);
    cr_expect_str_eq(out, "2024-05-01T14:00:00.250000"); /* CEST, UTC+2 */
    time_format_local(INT64_C(1704067200) * TIME_US_PER_SEC, out);
    cr_expect_str_eq(out, "2024-01-01T01:00:00"); /* CET, UTC+1 */
    setenv("TZ", "UTC", 1);
    tzset();
    time_format_local(T0, out);
    cr_expect_str_eq(out, "2024-05-01T12:00:00");
}

Test(time, clocks_advance)
{
    int64_t now = time_now_us();
    cr_expect_gt(now, T0, "realtime clock before 2024");
    int64_t m1 = time_mono_us();
    int64_t m2 = time_mono_us();
    cr_expect_geq(m2, m1);
}

static int64_t parse_ok(const char *s)
{
    int64_t us = -42;
    int rc = time_parse_iso8601(s, strlen(s), &us);
    cr_expect_eq(rc, 0, "rejected '%s'", s);
    return us;
}

Test(time, parser_accepts_the_forms_clients_send)
{
    cr_expect_eq(parse_ok("2024-05-01T12:00:00.000+00:00"), T0);
    cr_expect_eq(parse_ok("2024-05-01T12:00:00Z"), T0);
    cr_expect_eq(parse_ok("2024-05-01t12:00:00z"), T0);
    cr_expect_eq(parse_ok("2024-05-01T12:00:00"), T0); /* naive = UTC */
    cr_expect_eq(parse_ok("2024-05-01 12:00"), T0);
    cr_expect_eq(parse_ok("2024-05-01T14:00:00+02:00"), T0);
    cr_expect_eq(parse_ok("2024-05-01T06:30:00-0530"), T0);
    cr_expect_eq(parse_ok("2024-05-01T13:00:00+01"), T0);
    cr_expect_eq(parse_ok("2024-05-01"), T0 - 12 * 3600 * TIME_US_PER_SEC);
    cr_expect_eq(parse_ok("2024-05-01T12:00:00.123456+00:00"), T0 + 123456);
    cr_expect_eq(parse_ok("2024-05-01T12:00:00.5"), T0 + 500000);
    cr_expect_eq(parse_ok("2024-05-01T12:00:00.123456789Z"), T0 + 123456);
    cr_expect_eq(parse_ok("2019-06-12T10:00:00.000+00:00"), INT64_C(1560333600) * TIME_US_PER_SEC);
    cr_expect_eq(parse_ok("1970-01-01"), 0);
    cr_expect_eq(parse_ok("2024-02-29"), INT64_C(1709164800) * TIME_US_PER_SEC);
    cr_expect_eq(parse_ok("1969-12-31T23:59:59.999999Z"), -1);
}

Test(time, parser_round_trips_the_renderings)
{
    char out[TIME_STR_LEN];
    int64_t samples[] = {T0, T0 + 1, T0 + 999999, 0, INT64_C(253402300799) * TIME_US_PER_SEC};
    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        time_format_chatd(samples[i], out);
        cr_expect_eq(parse_ok(out), samples[i], "%s", out);
        time_format_auth_utc(samples[i], out);
        cr_expect_eq(parse_ok(out), samples[i], "%s", out);
    }
}

Test(time, parser_rejects_bad_input)
{
    static const char *const bad[] = {
        "",
        "2024",
        "2024-05",
        "2024-5-01",
        "24-05-01",
        "2024-13-01",
        "2024-00-10",
        "2023-02-29",
        "2024-04-31",
        "0000-01-01",
        "2024-05-01T",
        "2024-05-01T12",
        "2024-05-01T24:00:00",
        "2024-05-01T12:60:00",
        "2024-05-01T12:00:60",
        "2024-05-01T12:00:00.",
        "2024-05-01T12:00:00.1234567890",
        "2024-05-01T12:00:00+",
        "2024-05-01T12:00:00+2",
        "2024-05-01T12:00:00+24:00",
        "2024-05-01T12:00:00+02:60",
        "2024-05-01T12:00:00Zjunk",
        "2024-05-01x",
        " 2024-05-01",
        "2024-05-01T12:00:00 ",
        "yesterday",
        "2024-05-01T1a:00:00",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t us = 7;
        cr_expect_eq(time_parse_iso8601(bad[i], strlen(bad[i]), &us), HE_INVAL, "accepted '%s'",
                     bad[i]);
        cr_expect_eq(us, 7, "wrote output for '%s'", bad[i]);
    }
}

Test(time, parser_honours_the_length_not_the_nul)
{
    const char *s = "2024-05-01T12:00:00Z and more";
    int64_t us = 0;
    cr_expect_eq(time_parse_iso8601(s, 20, &us), 0);
    cr_expect_eq(us, T0);
    cr_expect_eq(time_parse_iso8601(s, 21, &us), HE_INVAL);
}
