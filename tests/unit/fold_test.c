#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "text/fold.h"

static void assert_fold(const char *in, const char *want)
{
    size_t len = 0;
    char *out = fold_text(in, strlen(in), &len);
    cr_assert_not_null(out, "fold of \"%s\" failed", in);
    cr_assert_str_eq(out, want, "fold of \"%s\"", in);
    cr_assert_eq(len, strlen(want));
    free(out);
}

static void assert_pattern(const char *term, const char *want)
{
    char *p = fold_like_pattern(term, strlen(term));
    cr_assert_not_null(p);
    cr_assert_str_eq(p, want, "pattern of \"%s\"", term);
    free(p);
}

Test(fold, strips_case_and_accents)
{
    assert_fold(u8"\u00C9lan", "elan");
    assert_fold("ELAN", "elan");
    assert_fold(u8"E\u0301LAN", "elan"); /* decomposed input folds the same */
    assert_fold(u8"Gar\u00E7on na\u00EFve", "garcon naive");
    assert_fold(u8"Stra\u00DFe", "strasse");
    assert_fold(u8"\u0130stanbul", "istanbul");
    assert_fold(u8"\u039F\u0394\u03A5\u03A3\u03A3\u0395\u038E\u03A3",
                u8"\u03BF\u03B4\u03C5\u03C3\u03C3\u03B5\u03C5\u03C3");
}

Test(fold, compatibility_forms_and_ignorables)
{
    assert_fold(u8"\uFB01le", "file");             /* ligature fi */
    assert_fold(u8"\uFF21\uFF22\uFF23", "abc");    /* full-width */
    assert_fold(u8"co\u00ADoperate", "cooperate"); /* soft hyphen */
    assert_fold(u8"don\u2019t", "don't");          /* right single quote lumped */
    assert_fold(u8"a\u00A0b", "a b");              /* no-break space lumped */
}

Test(fold, keeps_line_breaks_and_empty_input)
{
    assert_fold("foo\nbar", "foo\nbar");
    assert_fold("", "");
    size_t len = 99;
    char *out = fold_text(NULL, 0, &len);
    cr_assert_not_null(out);
    cr_assert_eq(len, 0);
    free(out);
}

Test(fold, rejects_invalid_utf8)
{
    cr_assert_null(fold_text("a\xC3", 2, NULL));
    cr_assert_null(fold_text("\xED\xA0\x80", 3, NULL));
    cr_assert_null(fold_like_pattern("\xFF", 1));
}

Test(fold, like_pattern_words_in_order)
{
    assert_pattern("hello", "%hello%");
    assert_pattern(u8"  \u00C9lan   Vital ", "%elan%vital%");
    assert_pattern("", "%");
    assert_pattern("   ", "%");
    assert_pattern("a\tb\nc", "%a%b%c%");
}

Test(fold, like_pattern_escapes_wildcards)
{
    assert_pattern("100%", "%100\\%%");
    assert_pattern("snake_case", "%snake\\_case%");
    assert_pattern("back\\slash", "%back\\\\slash%");
}

/* The pattern does what the store will do with it: LIKE over folded content in SQLite. */
static bool like(sqlite3 *db, const char *content, const char *term)
{
    size_t clen = 0;
    char *folded = fold_text(content, strlen(content), &clen);
    char *pat = fold_like_pattern(term, strlen(term));
    cr_assert(folded && pat);
    sqlite3_stmt *st = NULL;
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT ?1 LIKE ?2 ESCAPE '\\'", -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, folded, (int)clen, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, pat, -1, SQLITE_STATIC);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    bool hit = sqlite3_column_int(st, 0) == 1;
    sqlite3_finalize(st);
    free(folded);
    free(pat);
    return hit;
}

Test(fold, like_in_sqlite)
{
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
    cr_assert(like(db, u8"Un \u00E9lan vital", "ELAN"));
    cr_assert(like(db, u8"Un \u00E9lan vital", u8"\u00E9lan vital"));
    cr_assert(like(db, "the quick brown fox", "quick fox"));
    cr_assert_not(like(db, "the quick brown fox", "fox quick"), "words must keep their order");
    cr_assert(like(db, "progress: 100% done", "100%"));
    cr_assert_not(like(db, "progress: 1000 done", "100%"), "% in the term is literal");
    cr_assert_not(like(db, "snakeXcase", "snake_case"), "_ in the term is literal");
    cr_assert(like(db, "a snake_case name", "snake_case"));
    cr_assert(like(db, "C:\\dir", "c:\\dir"));
    cr_assert(like(db, "anything", "  "));
    sqlite3_close(db);
}
