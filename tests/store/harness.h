/*
 * Store test harness: one fresh store per test on the backend under test.
 *
 * HUARD_TEST_DATABASE unset: a SQLite file in a new temp folder. Set to a postgresql:// URL
 * (scripts/test-store.sh starts the server with scripts/pg.sh): a new schema per test, selected
 * with the connection's search_path, dropped at the end. Criterion runs each test in its own
 * process, so tests never share a store.
 */
#ifndef HUARD_TESTS_STORE_HARNESS_H
#define HUARD_TESTS_STORE_HARNESS_H

#include <stdbool.h>

#include "store/store.h"

struct ts_env {
    struct store *store;
    char *where;  /* SQLite path or PostgreSQL URL with the test's search_path */
    char *dir;    /* SQLite temp folder */
    char *schema; /* PostgreSQL schema */
    char tenant[UUID_STR_LEN];
};

/** Opens a fresh store and creates the default tenant. Aborts the test on failure. */
void ts_setup(struct ts_env *env);
/** Closes the store and removes its folder/schema. */
void ts_teardown(struct ts_env *env);
/** True when the backend under test is PostgreSQL. */
bool ts_is_pg(void);
/** Runs raw SQL on the test database outside the store (for schema tricks). */
void ts_raw_sql(struct ts_env *env, const char *sql);

/** Adds a user (password hash "x") in env's tenant; writes its uuid. */
void ts_user(struct ts_env *env, const char *username, char uuid[UUID_STR_LEN]);
/** Creates a group room of the given members (first is owner); writes its uuid. */
void ts_room(struct ts_env *env, char uuid[UUID_STR_LEN], const char *const *members, size_t n,
             enum store_history history);
/** Appends a message with content and content_search = content; writes its uuid. */
void ts_message(struct ts_env *env, const char *room, const char *author, const char *content,
                int64_t created_at, char uuid[UUID_STR_LEN]);

#endif
