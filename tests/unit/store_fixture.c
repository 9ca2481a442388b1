#include "store_fixture.h"

#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/log.h"
#include "store/store.h"

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

struct store *store_fixture_open(const char *name, char dir[STORE_FIXTURE_DIR_MAX])
{
    log_level = LOG_ERR;
    int n = snprintf(dir, STORE_FIXTURE_DIR_MAX, "/tmp/huard-%s-XXXXXX", name);
    cr_assert(n > 0 && n < STORE_FIXTURE_DIR_MAX);
    cr_assert_not_null(mkdtemp(dir));
    char *path = NULL;
    cr_assert_eq(store_location(dir, NULL, &path), 0);
    struct store_options opts = {.sync = STORE_SYNC_OFF};
    struct store *s = NULL;
    cr_assert_eq(store_open(path, &opts, &s), 0);
    free(path);
    return s;
}

void store_fixture_close(struct store *s, const char *dir)
{
    store_close(s);
    nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}
