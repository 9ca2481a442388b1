#include "harness.h"

#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"

bool ts_is_pg(void)
{
    const char *db = getenv("HUARD_TEST_DATABASE");
    return db != NULL && db[0] != '\0';
}

static void notice_ignore(void *arg, const PGresult *res)
{
    (void)arg;
    (void)res;
}

static void pg_raw(const char *url, const char *sql)
{
    PGconn *c = PQconnectdb(url);
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "connect: %s", PQerrorMessage(c));
    PQsetNoticeReceiver(c, notice_ignore, NULL);
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    cr_assert(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, "%s: %s", sql,
              PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(c);
}

void ts_raw_sql(struct ts_env *env, const char *sql)
{
    if (ts_is_pg()) {
        pg_raw(env->where, sql);
        return;
    }
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open(env->where, &db), SQLITE_OK);
    char *err = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
    cr_assert_eq(rc, SQLITE_OK, "%s: %s", sql, err ? err : "");
    sqlite3_close(db);
}

void ts_setup(struct ts_env *env)
{
    memset(env, 0, sizeof(*env));
    log_level = LOG_WARN;
    if (ts_is_pg()) {
        const char *base = getenv("HUARD_TEST_DATABASE");
        static unsigned counter;
        env->schema = xasprintf("t_%d_%u", (int)getpid(), counter++);
        char *sql = xasprintf("DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", env->schema,
                              env->schema);
        pg_raw(base, sql);
        free(sql);
        env->where = xasprintf("%s%coptions=-csearch_path%%3D%s", base,
                               strchr(base, '?') ? '&' : '?', env->schema);
    } else {
        char tmpl[] = "/tmp/huard-store-test.XXXXXX";
        cr_assert_not_null(mkdtemp(tmpl));
        env->dir = xstrdup(tmpl);
        env->where = xasprintf("%s/%s", env->dir, STORE_SQLITE_FILE);
    }
    struct store_options opts = {0};
    int rc = store_open(env->where, &opts, &env->store);
    cr_assert_eq(rc, 0, "store_open: %s", he_name(rc));

    struct store_tx *tx = NULL;
    struct store_tenant *t = NULL;
    cr_assert_eq(store_tx_begin(env->store, &tx), 0);
    cr_assert_eq(store_tenant_ensure_default(tx, &t), 0);
    cr_assert_eq(store_tx_commit(tx), 0);
    snprintf(env->tenant, sizeof(env->tenant), "%s", t->uuid);
    store_tenant_free(t);
}

void ts_teardown(struct ts_env *env)
{
    store_close(env->store);
    env->store = NULL;
    if (env->schema != NULL) {
        char *sql = xasprintf("DROP SCHEMA IF EXISTS %s CASCADE", env->schema);
        pg_raw(getenv("HUARD_TEST_DATABASE"), sql);
        free(sql);
    }
    if (env->dir != NULL) {
        const char *suffixes[] = {"", "-wal", "-shm", "-journal"};
        for (size_t i = 0; i < 4; i++) {
            char *p = xasprintf("%s%s", env->where, suffixes[i]);
            unlink(p);
            free(p);
        }
        rmdir(env->dir);
    }
    free(env->where);
    free(env->dir);
    free(env->schema);
}

void ts_user(struct ts_env *env, const char *username, char uuid[UUID_STR_LEN])
{
    struct store_tx *tx = NULL;
    struct store_user u = {.username = (char *)username, .password_hash = "x"};
    snprintf(u.tenant_uuid, sizeof(u.tenant_uuid), "%s", env->tenant);
    cr_assert_eq(store_tx_begin(env->store, &tx), 0);
    int rc = store_user_add(tx, &u);
    cr_assert_eq(rc, 0, "user_add %s: %s", username, he_name(rc));
    cr_assert_eq(store_tx_commit(tx), 0);
    snprintf(uuid, UUID_STR_LEN, "%s", u.uuid);
}

void ts_room(struct ts_env *env, char uuid[UUID_STR_LEN], const char *const *members, size_t n,
             enum store_history history)
{
    struct store_member *m = xcalloc(n, sizeof(*m));
    for (size_t i = 0; i < n; i++) {
        snprintf(m[i].user_uuid, sizeof(m[i].user_uuid), "%s", members[i]);
        m[i].role = i == 0 ? STORE_ROLE_OWNER : STORE_ROLE_MEMBER;
    }
    struct store_room r = {.history = history, .max_members = 1000, .members = m, .n_members = n};
    snprintf(r.tenant_uuid, sizeof(r.tenant_uuid), "%s", env->tenant);
    struct store_tx *tx = NULL;
    cr_assert_eq(store_tx_begin(env->store, &tx), 0);
    int rc = store_room_create(tx, &r);
    cr_assert_eq(rc, 0, "room_create: %s", he_name(rc));
    cr_assert_eq(store_tx_commit(tx), 0);
    snprintf(uuid, UUID_STR_LEN, "%s", r.uuid);
    free(m);
}

void ts_message(struct ts_env *env, const char *room, const char *author, const char *content,
                int64_t created_at, char uuid[UUID_STR_LEN])
{
    struct store_message m = {
        .content = (char *)content, .content_search = (char *)content, .created_at = created_at};
    snprintf(m.room_uuid, sizeof(m.room_uuid), "%s", room);
    snprintf(m.user_uuid, sizeof(m.user_uuid), "%s", author);
    struct store_tx *tx = NULL;
    cr_assert_eq(store_tx_begin(env->store, &tx), 0);
    int rc = store_message_append(tx, &m);
    cr_assert_eq(rc, 0, "message_append: %s", he_name(rc));
    cr_assert_eq(store_tx_commit(tx), 0);
    if (uuid != NULL) {
        snprintf(uuid, UUID_STR_LEN, "%s", m.uuid);
    }
}
