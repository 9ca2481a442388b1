/* Fuzz target: the ISO 8601 parser behind from_date (bad dates must give HE_INVAL). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int64_t us = 0;
    int rc = time_parse_iso8601((const char *)data, size, &us);
    BUG_ON(rc != 0 && rc != HE_INVAL);
    if (rc == 0) {
        /* A parsed time renders and parses back to the same instant. */
        char out[TIME_STR_LEN];
        size_t n = time_format_chatd(us, out);
        int64_t back = 0;
        BUG_ON(time_parse_iso8601(out, n, &back) != 0);
        BUG_ON(back != us);
    }
    return 0;
}
