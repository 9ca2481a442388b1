/*
 * bench_provision: creates the benchmark's users and one token each directly in the store,
 * in a few transactions, and writes "index user_uuid token" lines for bench_loadgen
 * --tokens (issue 6).
 *
 *     bench_provision --database PATH_OR_URL --users N [--prefix u] [--password pw]
 *                     [--lifetime S] --out FILE
 *
 * Why not `huard user add` and POST /token per user: each costs one argon2id hash or
 * verification (tens of milliseconds and 64 MiB, on purpose: domain/password.h), so 10,000
 * users took most of an hour of the two shared cores, and login is not what the fan-out,
 * rooms and idle scenarios measure. Here the password is hashed once and the same argon2id
 * string is stored for every user (each can still log in with it through the REST API), and
 * each token is what auth_token_issue() stores: 256 random bits kept as their SHA-256, the
 * stock user policy ACL (auth_policy_dup), a new session uuid, expiry now + lifetime.
 *
 * Users go to the default tenant (created if missing), like `huard user add`. A user that
 * already exists (same username) is kept and gets a new token, so the tool may be rerun on
 * the same database. Run it before `huard serve` or beside it (SQLite WAL: the server's
 * transactions simply queue behind these short ones).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/uuid.h"
#include "domain/auth.h"
#include "domain/password.h"
#include "store/store.h"

/* Users per write transaction: large enough that commits (fsyncs) do not dominate, small
 * enough that a server started meanwhile never waits long behind one. */
#define PROVISION_BATCH 1000
#define PROVISION_MAX_USERS 100000

struct opts {
    const char *database;
    const char *prefix;
    const char *password;
    const char *out;
    long users;
    long lifetime_s;
};

static void usage(FILE *f)
{
    (void)fprintf(f, "usage: bench_provision --database PATH_OR_URL --users N --out FILE\n"
                     "                       [--prefix u] [--password pw] [--lifetime 14400]\n"
                     "Creates users PREFIX0..PREFIX(N-1) in the default tenant with one token\n"
                     "each; writes \"index user_uuid token\" lines to FILE (mode 0600).\n");
}

static int parse(int argc, char **argv, struct opts *o)
{
    static const struct option longs[] = {
        {"database", required_argument, 0, 'd'}, {"users", required_argument, 0, 'n'},
        {"prefix", required_argument, 0, 'p'},   {"password", required_argument, 0, 'w'},
        {"lifetime", required_argument, 0, 'l'}, {"out", required_argument, 0, 'o'},
        {"help", no_argument, 0, 'h'},           {0, 0, 0, 0}};
    *o = (struct opts){.prefix = "u", .password = "pw", .lifetime_s = 4 * 3600};
    int ch;
    while ((ch = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (ch) {
        case 'd':
            o->database = optarg;
            break;
        case 'n':
            o->users = strtol(optarg, NULL, 10);
            break;
        case 'p':
            o->prefix = optarg;
            break;
        case 'w':
            o->password = optarg;
            break;
        case 'l':
            o->lifetime_s = strtol(optarg, NULL, 10);
            break;
        case 'o':
            o->out = optarg;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            return -1;
        }
    }
    if (!o->database || !o->out || o->users < 1 || o->users > PROVISION_MAX_USERS ||
        o->lifetime_s < 60 || o->password[0] == '\0') {
        return -1;
    }
    return 0;
}

/* The user named name: created with hash, or the existing one. */
static int user_ensure(struct store_tx *tx, const char *tenant, const char *name, const char *hash,
                       struct store_user **out)
{
    struct store_user u;
    memset(&u, 0, sizeof(u));
    memcpy(u.tenant_uuid, tenant, UUID_STR_LEN);
    u.username = (char *)name; /* the store only reads input strings */
    u.password_hash = (char *)hash;
    int rc = store_user_add(tx, &u);
    if (rc == HE_EXISTS) {
        return store_user_get_by_name(tx, tenant, name, out);
    }
    if (rc < 0) {
        return rc;
    }
    return store_user_get(tx, u.uuid, out);
}

/* Users [from, to) with a token each, in one write transaction; lines go to f. */
static int provision_batch(struct store *s, const struct opts *o, const char *tenant,
                           const char *hash, long from, long to, FILE *f)
{
    struct store_tx *tx = NULL;
    size_t n_acl = 0;
    char **acl = auth_policy_dup(false, &n_acl);
    char(*tokens)[PASSWORD_TOKEN_LEN] = xcalloc((size_t)(to - from), PASSWORD_TOKEN_LEN);
    char(*uuids)[UUID_STR_LEN] = xcalloc((size_t)(to - from), UUID_STR_LEN);
    int rc = store_tx_begin(s, &tx);
    int64_t now = store_now_us();
    for (long i = from; rc == 0 && i < to; i++) {
        char name[256];
        (void)snprintf(name, sizeof(name), "%s%ld", o->prefix, i);
        struct store_user *u = NULL;
        rc = user_ensure(tx, tenant, name, hash, &u);
        if (rc < 0) {
            (void)fprintf(stderr, "bench_provision: user %s: %s\n", name, he_name(rc));
            break;
        }
        struct store_token t;
        memset(&t, 0, sizeof(t));
        char *token = tokens[i - from];
        password_token_new(token);
        password_token_hash(token, PASSWORD_TOKEN_LEN - 1, t.hash);
        memcpy(t.user_uuid, u->uuid, UUID_STR_LEN);
        memcpy(t.tenant_uuid, u->tenant_uuid, UUID_STR_LEN);
        memcpy(uuids[i - from], u->uuid, UUID_STR_LEN);
        t.issued_at = now;
        t.expires_at = now + (int64_t)o->lifetime_s * 1000000;
        t.admin = u->admin;
        t.acl = acl;
        t.n_acl = n_acl;
        t.user_agent = "bench_provision";
        store_user_free(u);
        rc = store_token_create(tx, &t);
    }
    if (rc == 0) {
        rc = store_tx_commit(tx);
        tx = NULL;
    }
    store_tx_rollback(tx);
    for (long i = from; rc == 0 && i < to; i++) {
        (void)fprintf(f, "%ld %s %s\n", i, uuids[i - from], tokens[i - from]);
    }
    auth_acl_free(acl, n_acl);
    free(tokens);
    free(uuids);
    return rc;
}

int main(int argc, char **argv)
{
    struct opts o;
    if (parse(argc, argv, &o) != 0) {
        usage(stderr);
        return 2;
    }
    struct store *s = NULL;
    struct store_tx *tx = NULL;
    struct store_tenant *tenant = NULL;
    FILE *f = NULL;
    char hash[PASSWORD_HASH_MAX];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);

    int rc = store_open(o.database, NULL, &s);
    if (rc < 0) {
        (void)fprintf(stderr, "bench_provision: cannot open %s: %s\n", o.database, he_name(rc));
        return 1;
    }
    /* One argon2id hash for every user: the slow part of `huard user add`, paid once. */
    rc = password_hash(o.password, strlen(o.password), hash);
    if (rc == 0) {
        rc = store_tx_begin(s, &tx);
    }
    if (rc == 0) {
        rc = store_tenant_ensure_default(tx, &tenant);
    }
    if (rc == 0) {
        rc = store_tx_commit(tx);
        tx = NULL;
    }
    store_tx_rollback(tx);
    if (rc == 0) {
        mode_t old = umask(077); /* the file holds live tokens */
        f = fopen(o.out, "w");
        umask(old);
        rc = f ? 0 : HE_IO;
    }
    for (long from = 0; rc == 0 && from < o.users; from += PROVISION_BATCH) {
        long to = from + PROVISION_BATCH < o.users ? from + PROVISION_BATCH : o.users;
        rc = provision_batch(s, &o, tenant->uuid, hash, from, to, f);
    }
    if (f != NULL && fclose(f) != 0 && rc == 0) {
        rc = HE_IO;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc == 0) {
        (void)fprintf(stderr, "bench_provision: %ld users with tokens in %.2f s -> %s\n", o.users,
                      (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
                      o.out);
    } else {
        (void)fprintf(stderr, "bench_provision: failed: %s\n", he_name(rc));
    }
    store_tenant_free(tenant);
    store_close(s);
    return rc == 0 ? 0 : 1;
}
