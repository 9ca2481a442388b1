/* Fuzz target: ACL pattern matching (pattern and required ACL split at the first newline). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "domain/acl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = xstrndup((const char *)data, size);
    char *nl = strchr(buf, '\n');
    const char *required = "chatd.users.me.rooms.read";
    if (nl) {
        *nl = '\0';
        required = nl + 1;
    }
    const char *acl[] = {buf};
    bool any = acl_check(acl, 1, required, "5f0c8a62-6b4e-4c38-9b0e-0d9f0d7b8e11", NULL);
    /* A negative pattern alone never grants anything. */
    BUG_ON(buf[0] == '!' && any);
    free(buf);
    return 0;
}
