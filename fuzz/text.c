/* Fuzz target: reaction emoji check and search folding on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "text/emoji.h"
#include "text/fold.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    bool single = emoji_is_single(s, size);
    BUG_ON(single && (size == 0 || size > 64));
    size_t n = 0;
    char *folded = fold_text(s, size, &n);
    if (folded) {
        /* JSON strings reach the folder without NUL bytes; with them only the length holds. */
        BUG_ON(!memchr(s, '\0', size) && strlen(folded) != n);
        /* Folding is idempotent: what is stored and what is searched agree. */
        size_t m = 0;
        char *twice = fold_text(folded, n, &m);
        BUG_ON(!twice || m != n || memcmp(folded, twice, n) != 0);
        free(twice);
    }
    free(folded);
    char *pattern = fold_like_pattern(s, size);
    BUG_ON(pattern && pattern[0] != '%');
    free(pattern);
    return 0;
}
