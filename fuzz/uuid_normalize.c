/* Fuzz target: UUID parsing of path segments and query values. */
#include <stdint.h>
#include <string.h>

#include "base/alloc.h"
#include "base/uuid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char out[UUID_STR_LEN];
    if (uuid_normalize((const char *)data, size, out)) {
        BUG_ON(strlen(out) != 36);
        BUG_ON(!uuid_is_canonical(out));
        char again[UUID_STR_LEN];
        BUG_ON(!uuid_normalize(out, 36, again) || memcmp(out, again, UUID_STR_LEN) != 0);
    }
    return 0;
}
