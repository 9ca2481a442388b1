#include "text/fold.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "base/alloc.h"
#include "base/banned.h"

#define FOLD_OPTIONS                                                                               \
    (UTF8PROC_COMPAT | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK |                 \
     UTF8PROC_IGNORE | UTF8PROC_LUMP)

char *fold_text(const char *s, size_t len, size_t *out_len)
{
    utf8proc_uint8_t *out = NULL;
    if (len > (size_t)PTRDIFF_MAX / 8) {
        return NULL; /* far beyond any bounded input; utf8proc would overflow its sizes */
    }
    utf8proc_ssize_t r = utf8proc_map((const utf8proc_uint8_t *)(len > 0 ? s : ""),
                                      (utf8proc_ssize_t)len, &out, FOLD_OPTIONS);
    if (r == UTF8PROC_ERROR_NOMEM) {
        hu_bug(__FILE__, __LINE__, "out of memory in utf8proc_map");
    }
    if (r < 0) {
        return NULL;
    }
    if (out_len != NULL) {
        *out_len = (size_t)r;
    }
    return (char *)out;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

char *fold_like_pattern(const char *term, size_t len)
{
    size_t flen = 0;
    char *folded = fold_text(term, len, &flen);
    if (folded == NULL) {
        return NULL;
    }
    /* Worst case: every byte escaped, a % between words and around. */
    char *pat = xmalloc(2 * flen + 3);
    size_t o = 0;
    pat[o++] = '%';
    for (size_t i = 0; i < flen;) {
        while (i < flen && is_space(folded[i])) {
            i++;
        }
        if (i == flen) {
            break;
        }
        while (i < flen && !is_space(folded[i])) {
            char c = folded[i++];
            if (c == '%' || c == '_' || c == FOLD_LIKE_ESCAPE) {
                pat[o++] = FOLD_LIKE_ESCAPE;
            }
            pat[o++] = c;
        }
        pat[o++] = '%';
    }
    pat[o] = '\0';
    free(folded);
    return pat;
}
