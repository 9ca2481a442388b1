/*
 * ws_token_mint: stores a token with a chosen ACL list, for the websocketd integration tests
 * that need a token the REST API never issues (one without the `websocketd` ACL, say).
 *
 *     ws_token_mint DATABASE USER_UUID LIFETIME_S [ACL...]
 *
 * DATABASE is the SQLite file or postgresql:// URL of a running (or stopped) server; the
 * token goes through the store like any other, and is printed on stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/uuid.h"
#include "domain/password.h"
#include "store/store.h"

#include "base/banned.h"

int main(int argc, char **argv)
{
    if (argc < 4) {
        (void)fprintf(stderr, "usage: %s DATABASE USER_UUID LIFETIME_S [ACL...]\n", argv[0]);
        return 2;
    }
    struct store_options opts = {.no_migrate = true};
    struct store *store = NULL;
    struct store_tx *tx = NULL;
    char token[PASSWORD_TOKEN_LEN];
    struct store_token t;
    memset(&t, 0, sizeof(t));

    int rc = store_open(argv[1], &opts, &store);
    if (rc < 0) {
        (void)fprintf(stderr, "ws_token_mint: cannot open %s: %s\n", argv[1], he_name(rc));
        return 1;
    }
    password_token_new(token);
    password_token_hash(token, strlen(token), t.hash);
    if (!uuid_normalize(argv[2], strlen(argv[2]), t.user_uuid)) {
        (void)fprintf(stderr, "ws_token_mint: bad user uuid\n");
        rc = HE_INVAL;
        goto out;
    }
    char *end = NULL;
    long long lifetime = strtoll(argv[3], &end, 10);
    if (end == argv[3] || *end != '\0' || lifetime < 0 || lifetime > 100LL * 365 * 86400) {
        (void)fprintf(stderr, "ws_token_mint: bad lifetime\n");
        rc = HE_INVAL;
        goto out;
    }
    t.expires_at = store_now_us() + (int64_t)lifetime * 1000000;
    t.acl = argv + 4;
    t.n_acl = (size_t)(argc - 4);
    rc = store_tx_begin(store, &tx);
    if (rc == 0) {
        rc = store_token_create(tx, &t);
        if (rc == 0) {
            rc = store_tx_commit(tx);
        } else {
            store_tx_rollback(tx);
        }
    }
    if (rc == 0) {
        (void)printf("%s\n", token);
    } else {
        (void)fprintf(stderr, "ws_token_mint: %s\n", he_name(rc));
    }
out:
    store_close(store);
    return rc == 0 ? 0 : 1;
}
