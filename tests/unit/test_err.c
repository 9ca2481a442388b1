/* Unit tests of base/err: the error table's HTTP statuses, Wazo ids and unknown codes. */
#include <criterion/criterion.h>
#include <string.h>

#include "base/err.h"

Test(err, codes_map_to_status_and_wazo_error_id)
{
    cr_expect_eq(he_status(HE_INVAL), 400);
    cr_expect_str_eq(he_error_id(HE_INVAL), "invalid-data");
    cr_expect_eq(he_status(HE_UNAUTHORIZED), 401);
    cr_expect_eq(he_status(HE_FORBIDDEN), 403);
    cr_expect_eq(he_status(HE_UNKNOWN_ROOM), 404);
    cr_expect_str_eq(he_error_id(HE_UNKNOWN_ROOM), "unknown-room");
    cr_expect_eq(he_status(HE_METHOD), 405);
    cr_expect_eq(he_status(HE_TOO_LARGE), 413);
    cr_expect_eq(he_status(HE_URI_TOO_LONG), 414);
    cr_expect_eq(he_status(HE_RANGE), 416);
    cr_expect_eq(he_status(HE_RATE_LIMITED), 429);
    cr_expect_eq(he_status(HE_HEADERS_TOO_LARGE), 431);
    cr_expect_eq(he_status(HE_INTERNAL), 500);
    cr_expect_eq(he_status(HE_UNAVAILABLE), 503);
    cr_expect_str_eq(he_message(HE_NOT_FOUND), "Not found");
    cr_expect_str_eq(he_name(HE_INVAL), "HE_INVAL");
    cr_expect_str_eq(he_name(HE_OK), "HE_OK");
}

Test(err, unknown_codes_are_internal_errors)
{
    static const int unknown[] = {-1, 1, 404, HE_ERR_FIRST_, HE_ERR_LAST_, -100000};
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        cr_expect_eq(he_status(unknown[i]), 500, "code %d", unknown[i]);
        cr_expect_str_eq(he_error_id(unknown[i]), "internal-error", "code %d", unknown[i]);
        cr_expect_str_eq(he_name(unknown[i]), "HE_INTERNAL", "code %d", unknown[i]);
    }
}

Test(err, every_row_is_complete)
{
    for (int code = HE_ERR_FIRST_ + 1; code < HE_ERR_LAST_; code++) {
        cr_expect_gt(strlen(he_error_id(code)), 0, "code %d", code);
        cr_expect_gt(strlen(he_message(code)), 0, "code %d", code);
        cr_expect_eq(strncmp(he_name(code), "HE_", 3), 0, "code %d", code);
        int st = he_status(code);
        cr_expect(st == 0 || (st >= 400 && st < 600), "code %d status %d", code, st);
    }
}
