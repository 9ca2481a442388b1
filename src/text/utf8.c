#include "text/utf8.h"

#include <utf8proc.h>

bool utf8_valid(const char *s, size_t len, size_t *count)
{
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    size_t n = 0;
    while (len > 0) {
        if (*p < 0x80) { /* ASCII, most of what chat text is, without the library call */
            p++;
            len--;
            n++;
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t r = utf8proc_iterate(p, (utf8proc_ssize_t)len, &cp);
        if (r <= 0) {
            return false;
        }
        p += r;
        len -= (size_t)r;
        n++;
    }
    if (count != NULL) {
        *count = n;
    }
    return true;
}
