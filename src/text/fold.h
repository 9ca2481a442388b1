/*
 * fold: search folding, so that "Élan" finds "elan" (wazo-api.md 3.4: case- and
 * accent-insensitive search, words in order).
 *
 * The same folding runs on stored content (the store keeps it in a `content_search` column)
 * and on search terms, and the term becomes a LIKE pattern '%w1%w2%'. The comparison is
 * then a plain LIKE on folded text, the same on SQLite and PostgreSQL, with no unaccent
 * extension and no collation dependence.
 *
 * Folding is utf8proc_map with: compatibility composition (NFKC: ligatures, full-width
 * forms), case folding (ß -> ss), marks stripped (accents), default-ignorable code points
 * removed (soft hyphen, ZWJ, variation selectors) and lumping (Unicode spaces, dashes and
 * quotes to their ASCII look-alikes). Line breaks are kept, so words never join across them.
 *
 * Results are the caller's, released with free(). Pure functions; any thread may call them.
 */
#ifndef HUARD_TEXT_FOLD_H
#define HUARD_TEXT_FOLD_H

#include <stddef.h>

/* The escape character of fold_like_pattern(): use `LIKE ? ESCAPE '\'`. */
#define FOLD_LIKE_ESCAPE '\\'

/**
 * Folds s[0..len) for search. Returns a new NUL-terminated string and stores its length in
 * *out_len (when out_len is not NULL), or returns NULL when s is not valid UTF-8.
 */
char *fold_text(const char *s, size_t len, size_t *out_len);

/**
 * Builds the LIKE pattern of a search term: the term is folded, split on white space, each
 * word has `%`, `_` and `\` escaped with FOLD_LIKE_ESCAPE, and the words are joined as
 * '%w1%w2%'. A term with no words gives "%" (matches everything). Returns a new
 * NUL-terminated string, or NULL when term is not valid UTF-8.
 */
char *fold_like_pattern(const char *term, size_t len);

#endif
