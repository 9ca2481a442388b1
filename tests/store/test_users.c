/* Store conformance: schema, tenants, settings, users, tokens, presences, transactions. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "harness.h"

static struct ts_env env;

static void setup(void)
{
    ts_setup(&env);
}

static void teardown(void)
{
    ts_teardown(&env);
}

TestSuite(store_base, .init = setup, .fini = teardown, .timeout = 60);

static struct store_tx *wtx(void)
{
    struct store_tx *tx = NULL;
    cr_assert_eq(store_tx_begin(env.store, &tx), 0);
    return tx;
}

static struct store_tx *rtx(void)
{
    struct store_tx *tx = NULL;
    cr_assert_eq(store_tx_begin_read(env.store, &tx), 0);
    return tx;
}

Test(store_base, migrations_from_empty_reach_latest_and_reopen_is_idempotent)
{
    int cur = -1, latest = -1;
    cr_assert_eq(store_schema_version(env.store, &cur, &latest), 0);
    cr_assert_gt(latest, 0);
    cr_assert_eq(cur, latest);
    store_close(env.store);
    cr_assert_eq(store_open(env.where, NULL, &env.store), 0);
    cr_assert_eq(store_schema_version(env.store, &cur, &latest), 0);
    cr_assert_eq(cur, latest);
    /* The default tenant created by the harness survived the reopen. */
    struct store_tx *tx = rtx();
    struct store_tenant *t = NULL;
    cr_assert_eq(store_tenant_get_default(tx, &t), 0);
    cr_assert_str_eq(t->uuid, env.tenant);
    store_tenant_free(t);
    store_tx_rollback(tx);
}

Test(store_base, newer_schema_is_refused)
{
    int cur = 0, latest = 0;
    cr_assert_eq(store_schema_version(env.store, &cur, &latest), 0);
    store_close(env.store);
    env.store = NULL;
    ts_raw_sql(&env, "UPDATE schema_version SET version = 999");
    struct store *s = NULL;
    cr_assert_eq(store_open(env.where, NULL, &s), HE_CONFIG);
    cr_assert_null(s);
    char *sql = xasprintf("UPDATE schema_version SET version = %d", latest);
    ts_raw_sql(&env, sql);
    free(sql);
    cr_assert_eq(store_open(env.where, NULL, &env.store), 0);
}

Test(store_base, backend_name_matches_the_url)
{
    cr_assert_str_eq(store_backend_name(env.store), ts_is_pg() ? "postgresql" : "sqlite");
}

Test(store_base, tenants_default_is_unique_and_ensure_is_idempotent)
{
    struct store_tx *tx = wtx();
    struct store_tenant *t = NULL;
    cr_assert_eq(store_tenant_ensure_default(tx, &t), 0);
    cr_assert_str_eq(t->uuid, env.tenant);
    cr_assert(t->is_default);
    cr_assert_str_eq(t->name, "default");
    store_tenant_free(t);
    struct store_tenant second = {.name = "other", .is_default = true};
    cr_assert_eq(store_tenant_create(tx, &second), HE_EXISTS);
    struct store_tenant other = {.name = "other"};
    cr_assert_eq(store_tenant_create(tx, &other), 0, "tx stays usable after HE_EXISTS");
    cr_assert_eq(store_tx_commit(tx), 0);

    tx = rtx();
    cr_assert_eq(store_tenant_get(tx, other.uuid, &t), 0);
    cr_assert_str_eq(t->name, "other");
    cr_assert_not(t->is_default);
    cr_assert_gt(t->created_at, 0);
    store_tenant_free(t);
    cr_assert_eq(store_tenant_get(tx, "00000000-0000-4000-8000-000000000000", &t), HE_NOT_FOUND);
    store_tx_rollback(tx);
}

Test(store_base, settings_put_replaces_and_get_reads)
{
    struct store_tx *tx = wtx();
    char *v = NULL;
    cr_assert_eq(store_setting_get(tx, "stack_uuid", &v), HE_NOT_FOUND);
    cr_assert_eq(store_setting_put(tx, "stack_uuid", "a"), 0);
    cr_assert_eq(store_setting_put(tx, "stack_uuid", "b"), 0);
    cr_assert_eq(store_tx_commit(tx), 0);
    tx = rtx();
    cr_assert_eq(store_setting_get(tx, "stack_uuid", &v), 0);
    cr_assert_str_eq(v, "b");
    free(v);
    store_tx_rollback(tx);
}

Test(store_base, users_unique_per_tenant_and_fields_round_trip)
{
    struct store_tx *tx = wtx();
    struct store_user u = {.username = "alice",
                           .password_hash = "$argon2id$v=19$fake",
                           .firstname = "Alice",
                           .lastname = "Lidell ❤️",
                           .display_name = "👨‍👩‍👧‍👦 Alice",
                           .admin = true};
    strcpy(u.tenant_uuid, env.tenant);
    cr_assert_eq(store_user_add(tx, &u), 0);
    cr_assert(uuid_is_canonical(u.uuid));
    struct store_user dup = {.username = "alice", .password_hash = "y"};
    strcpy(dup.tenant_uuid, env.tenant);
    cr_assert_eq(store_user_add(tx, &dup), HE_EXISTS);
    struct store_user bob = {.username = "bob", .password_hash = "y"};
    strcpy(bob.tenant_uuid, env.tenant);
    cr_assert_eq(store_user_add(tx, &bob), 0, "tx usable after a taken username");
    struct store_tenant other = {.name = "other"};
    cr_assert_eq(store_tenant_create(tx, &other), 0);
    struct store_user alice2 = {.username = "alice", .password_hash = "z"};
    strcpy(alice2.tenant_uuid, other.uuid);
    cr_assert_eq(store_user_add(tx, &alice2), 0, "same username in another tenant");
    cr_assert_eq(store_tx_commit(tx), 0);

    tx = rtx();
    struct store_user *got = NULL;
    cr_assert_eq(store_user_get_by_name(tx, env.tenant, "alice", &got), 0);
    cr_assert_str_eq(got->uuid, u.uuid);
    cr_assert_str_eq(got->tenant_uuid, env.tenant);
    cr_assert_str_eq(got->password_hash, "$argon2id$v=19$fake");
    cr_assert_str_eq(got->firstname, "Alice");
    cr_assert_str_eq(got->lastname, "Lidell ❤️");
    cr_assert_str_eq(got->display_name, "👨‍👩‍👧‍👦 Alice");
    cr_assert(got->admin);
    cr_assert_eq(got->created_at, u.created_at);
    store_user_free(got);
    cr_assert_eq(store_user_get(tx, bob.uuid, &got), 0);
    cr_assert_null(got->firstname);
    cr_assert_not(got->admin);
    store_user_free(got);
    cr_assert_eq(store_user_get_by_name(tx, env.tenant, "ALICE", &got), HE_UNKNOWN_USER);
    cr_assert_eq(store_user_get(tx, "00000000-0000-4000-8000-000000000000", &got), HE_UNKNOWN_USER);
    struct store_user_list *l = NULL;
    cr_assert_eq(store_user_list(tx, env.tenant, &l), 0);
    cr_assert_eq(l->count, 2);
    cr_assert_str_eq(l->items[0].username, "alice");
    cr_assert_str_eq(l->items[1].username, "bob");
    store_user_list_free(l);
    int64_t n = 0;
    cr_assert_eq(store_user_count(tx, other.uuid, &n), 0);
    cr_assert_eq(n, 1);
    store_tx_rollback(tx);
}

Test(store_base, user_list_is_bytewise_ordered)
{
    const char *names[] = {"zoé", "Zed", "alice", "_x", "émile", "Bob"};
    char uuid[UUID_STR_LEN];
    for (size_t i = 0; i < 6; i++) {
        ts_user(&env, names[i], uuid);
    }
    struct store_tx *tx = rtx();
    struct store_user_list *l = NULL;
    cr_assert_eq(store_user_list(tx, env.tenant, &l), 0);
    cr_assert_eq(l->count, 6);
    for (size_t i = 1; i < l->count; i++) {
        cr_assert_lt(strcmp(l->items[i - 1].username, l->items[i].username), 0);
    }
    cr_assert_str_eq(l->items[0].username, "Bob");
    cr_assert_str_eq(l->items[5].username, "émile");
    store_user_list_free(l);
    store_tx_rollback(tx);
}

Test(store_base, user_password_update_delete)
{
    char alice[UUID_STR_LEN];
    ts_user(&env, "alice", alice);
    struct store_tx *tx = wtx();
    cr_assert_eq(store_user_set_password(tx, alice, "newhash"), 0);
    struct store_user upd = {.firstname = "A", .lastname = "L", .admin = true};
    strcpy(upd.uuid, alice);
    cr_assert_eq(store_user_update(tx, &upd), 0);
    cr_assert_eq(store_user_set_password(tx, "00000000-0000-4000-8000-000000000000", "h"),
                 HE_UNKNOWN_USER);
    cr_assert_eq(store_tx_commit(tx), 0);
    tx = rtx();
    struct store_user *u = NULL;
    cr_assert_eq(store_user_get(tx, alice, &u), 0);
    cr_assert_str_eq(u->password_hash, "newhash");
    cr_assert_str_eq(u->firstname, "A");
    cr_assert(u->admin);
    store_user_free(u);
    store_tx_rollback(tx);

    /* Delete cascades to tokens, presence and memberships; messages stay. */
    char bob[UUID_STR_LEN], room[UUID_STR_LEN], msg[UUID_STR_LEN];
    ts_user(&env, "bob", bob);
    const char *members[] = {alice, bob};
    ts_room(&env, room, members, 2, STORE_HISTORY_SHARED);
    ts_message(&env, room, alice, "hello", 0, msg);
    tx = wtx();
    struct store_token t = {.expires_at = store_now_us() + 60000000};
    strcpy(t.hash, "aa");
    strcpy(t.user_uuid, alice);
    cr_assert_eq(store_token_create(tx, &t), 0);
    struct store_presence p = {.state = "away"};
    strcpy(p.user_uuid, alice);
    cr_assert_eq(store_presence_put(tx, &p), 0);
    cr_assert_eq(store_tx_commit(tx), 0);

    tx = wtx();
    cr_assert_eq(store_user_delete(tx, alice), 0);
    cr_assert_eq(store_user_delete(tx, alice), HE_UNKNOWN_USER);
    cr_assert_eq(store_tx_commit(tx), 0);
    tx = rtx();
    struct store_token *tok = NULL;
    cr_assert_eq(store_token_get(tx, "aa", 0, &tok), HE_UNKNOWN_TOKEN);
    struct store_presence *pr = NULL;
    cr_assert_eq(store_presence_get(tx, alice, 0, &pr), HE_UNKNOWN_USER);
    int64_t n = -1;
    cr_assert_eq(store_member_count(tx, room, &n), 0);
    cr_assert_eq(n, 1);
    struct store_message *m = NULL;
    cr_assert_eq(store_message_get(tx, msg, NULL, &m), 0);
    cr_assert_str_eq(m->user_uuid, alice);
    store_message_free(m);
    store_tx_rollback(tx);
}

Test(store_base, unknown_tenant_is_a_foreign_key_error_that_poisons_the_tx)
{
    struct store_tx *tx = wtx();
    struct store_user ok = {.username = "first", .password_hash = "x"};
    strcpy(ok.tenant_uuid, env.tenant);
    cr_assert_eq(store_user_add(tx, &ok), 0);
    struct store_user u = {.username = "ghost", .password_hash = "x"};
    strcpy(u.tenant_uuid, "00000000-0000-4000-8000-000000000000");
    cr_assert_eq(store_user_add(tx, &u), HE_NOT_FOUND);
    struct store_user later = {.username = "later", .password_hash = "x"};
    strcpy(later.tenant_uuid, env.tenant);
    cr_assert_eq(store_user_add(tx, &later), HE_NOT_FOUND, "poisoned tx repeats its error");
    cr_assert_eq(store_tx_commit(tx), HE_NOT_FOUND);
    tx = rtx();
    int64_t n = -1;
    cr_assert_eq(store_user_count(tx, env.tenant, &n), 0);
    cr_assert_eq(n, 0, "nothing of the poisoned tx was committed");
    store_tx_rollback(tx);
}

Test(store_base, rollback_discards_and_read_tx_refuses_writes)
{
    struct store_tx *tx = wtx();
    struct store_user u = {.username = "gone", .password_hash = "x"};
    strcpy(u.tenant_uuid, env.tenant);
    cr_assert_eq(store_user_add(tx, &u), 0);
    store_tx_rollback(tx);
    tx = rtx();
    struct store_user *got = NULL;
    cr_assert_eq(store_user_get(tx, u.uuid, &got), HE_UNKNOWN_USER);
    struct store_user w = {.username = "w", .password_hash = "x"};
    strcpy(w.tenant_uuid, env.tenant);
    cr_assert_eq(store_user_add(tx, &w), HE_INTERNAL);
    store_tx_rollback(tx);
}

Test(store_base, tokens_hash_expiry_acl_sessions)
{
    char alice[UUID_STR_LEN];
    ts_user(&env, "alice", alice);
    int64_t now = store_now_us();
    char *acl[] = {"chatd.users.me.rooms.#", "websocketd",
                   "events.chatd.users.*.presences.updated"};
    struct store_token t = {.expires_at = now + 3600000000LL,
                            .acl = acl,
                            .n_acl = 3,
                            .mobile = true,
                            .remote_addr = "127.0.0.1",
                            .user_agent = "node"};
    strcpy(t.hash, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    strcpy(t.user_uuid, alice);
    struct store_token old = {.expires_at = now - 1};
    strcpy(old.hash, "old");
    strcpy(old.user_uuid, alice);
    struct store_tx *tx = wtx();
    cr_assert_eq(store_token_create(tx, &t), 0);
    cr_assert(uuid_is_canonical(t.session_uuid));
    cr_assert_eq(store_token_create(tx, &t), HE_EXISTS);
    cr_assert_eq(store_token_create(tx, &old), 0);
    cr_assert_eq(store_tx_commit(tx), 0);

    tx = rtx();
    struct store_token *got = NULL;
    cr_assert_eq(store_token_get(tx, t.hash, now, &got), 0);
    cr_assert_str_eq(got->user_uuid, alice);
    cr_assert_str_eq(got->tenant_uuid, env.tenant);
    cr_assert_str_eq(got->session_uuid, t.session_uuid);
    cr_assert_eq(got->expires_at, t.expires_at);
    cr_assert_eq(got->issued_at, t.issued_at);
    cr_assert_eq(got->n_acl, 3);
    cr_assert_str_eq(got->acl[2], "events.chatd.users.*.presences.updated");
    cr_assert(got->mobile);
    cr_assert_not(got->admin);
    cr_assert_str_eq(got->remote_addr, "127.0.0.1");
    cr_assert_str_eq(got->user_agent, "node");
    store_token_free(got);
    cr_assert_eq(store_token_get(tx, "old", now, &got), HE_UNKNOWN_TOKEN, "expired");
    cr_assert_eq(store_token_get(tx, t.hash, t.expires_at, &got), HE_UNKNOWN_TOKEN,
                 "expires_at <= now");
    int64_t count = 0;
    bool mobile = false;
    cr_assert_eq(store_token_user_sessions(tx, alice, now, &count, &mobile), 0);
    cr_assert_eq(count, 1);
    cr_assert(mobile);
    store_tx_rollback(tx);

    tx = wtx();
    int64_t purged = 0;
    cr_assert_eq(store_token_purge_expired(tx, now, &purged), 0);
    cr_assert_eq(purged, 1);
    cr_assert_eq(store_token_delete(tx, t.hash), 0);
    cr_assert_eq(store_token_delete(tx, t.hash), HE_UNKNOWN_TOKEN);
    cr_assert_eq(store_token_user_sessions(tx, alice, now, &count, &mobile), 0);
    cr_assert_eq(count, 0);
    cr_assert_not(mobile);
    cr_assert_eq(store_tx_commit(tx), 0);
}

Test(store_base, token_of_unknown_user_is_refused)
{
    struct store_tx *tx = wtx();
    struct store_token t = {.expires_at = 1};
    strcpy(t.hash, "h");
    strcpy(t.user_uuid, "00000000-0000-4000-8000-000000000000");
    cr_assert_eq(store_token_create(tx, &t), HE_NOT_FOUND);
    cr_assert_neq(store_tx_commit(tx), 0);
}

Test(store_base, presences_default_put_list)
{
    char a[UUID_STR_LEN], b[UUID_STR_LEN], c[UUID_STR_LEN];
    ts_user(&env, "a", a);
    ts_user(&env, "b", b);
    ts_user(&env, "c", c);
    int64_t now = store_now_us();
    struct store_tx *tx = rtx();
    struct store_presence *p = NULL;
    cr_assert_eq(store_presence_get(tx, a, now, &p), 0);
    cr_assert_str_eq(p->state, "unavailable");
    cr_assert_null(p->status);
    cr_assert_eq(p->last_activity, 0);
    cr_assert_not(p->connected);
    cr_assert_str_eq(p->tenant_uuid, env.tenant);
    store_presence_free(p);
    store_tx_rollback(tx);

    tx = wtx();
    struct store_presence put = {.state = "away", .status = "lunch 🍕"};
    strcpy(put.user_uuid, b);
    cr_assert_eq(store_presence_put(tx, &put), 0);
    cr_assert_gt(put.last_activity, 0);
    put.state = "available";
    put.status = NULL;
    put.last_activity = 0;
    cr_assert_eq(store_presence_put(tx, &put), 0);
    struct store_presence ghost = {.state = "away"};
    strcpy(ghost.user_uuid, "00000000-0000-4000-8000-000000000000");
    cr_assert_eq(store_presence_put(tx, &ghost), HE_UNKNOWN_USER);
    struct store_token t = {.expires_at = now + 1000000000};
    strcpy(t.hash, "tok");
    strcpy(t.user_uuid, b);
    cr_assert_eq(store_token_create(tx, &t), 0, "tx usable after HE_UNKNOWN_USER");
    cr_assert_eq(store_tx_commit(tx), 0);

    tx = rtx();
    cr_assert_eq(store_presence_get(tx, b, now, &p), 0);
    cr_assert_str_eq(p->state, "available");
    cr_assert_null(p->status);
    cr_assert_eq(p->last_activity, put.last_activity);
    cr_assert(p->connected);
    cr_assert_not(p->mobile);
    store_presence_free(p);
    struct store_presence_list *l = NULL;
    cr_assert_eq(store_presence_list(tx, env.tenant, NULL, 0, now, &l), 0);
    cr_assert_eq(l->count, 3);
    cr_assert_eq(l->total, 3);
    cr_assert_eq(l->filtered, 3);
    for (size_t i = 1; i < l->count; i++) {
        cr_assert_lt(strcmp(l->items[i - 1].user_uuid, l->items[i].user_uuid), 0);
    }
    store_presence_list_free(l);
    const char *some[] = {c, "00000000-0000-4000-8000-000000000000", b};
    cr_assert_eq(store_presence_list(tx, env.tenant, some, 3, now, &l), 0);
    cr_assert_eq(l->count, 2);
    cr_assert_eq(l->filtered, 2);
    cr_assert_eq(l->total, 3);
    store_presence_list_free(l);
    store_tx_rollback(tx);
}
