/* Store conformance: rooms and members. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "harness.h"

static struct ts_env env;
static char u[5][UUID_STR_LEN];

static void setup(void)
{
    ts_setup(&env);
    const char *names[] = {"u0", "u1", "u2", "u3", "u4"};
    for (int i = 0; i < 5; i++) {
        ts_user(&env, names[i], u[i]);
    }
}

static void teardown(void)
{
    ts_teardown(&env);
}

TestSuite(store_rooms, .init = setup, .fini = teardown, .timeout = 60);

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

static bool has_member(const struct store_room *r, const char *user)
{
    for (size_t i = 0; i < r->n_members; i++) {
        if (strcmp(r->members[i].user_uuid, user) == 0) {
            return true;
        }
    }
    return false;
}

Test(store_rooms, create_round_trips_every_field)
{
    struct store_member m[3] = {{.role = STORE_ROLE_OWNER},
                                {.role = STORE_ROLE_ADMIN, .notify = STORE_NOTIFY_MENTIONS},
                                {.role = STORE_ROLE_MEMBER}};
    for (int i = 0; i < 3; i++) {
        strcpy(m[i].user_uuid, u[i]);
    }
    struct store_room r = {.name = "ops ❤️",
                           .topic = "👨‍👩‍👧‍👦",
                           .kind = STORE_ROOM_GROUP,
                           .visibility = STORE_VISIBILITY_PUBLIC,
                           .history = STORE_HISTORY_JOINED,
                           .max_members = 100,
                           .members = m,
                           .n_members = 3};
    strcpy(r.tenant_uuid, env.tenant);
    struct store_tx *tx = wtx();
    cr_assert_eq(store_room_create(tx, &r), 0);
    cr_assert(uuid_is_canonical(r.uuid));
    cr_assert_gt(r.created_at, 0);
    cr_assert_eq(store_tx_commit(tx), 0);

    tx = rtx();
    struct store_room *got = NULL;
    cr_assert_eq(store_room_get(tx, r.uuid, u[1], &got), 0);
    cr_assert_str_eq(got->uuid, r.uuid);
    cr_assert_str_eq(got->tenant_uuid, env.tenant);
    cr_assert_str_eq(got->name, "ops ❤️");
    cr_assert_str_eq(got->topic, "👨‍👩‍👧‍👦");
    cr_assert_eq(got->kind, STORE_ROOM_GROUP);
    cr_assert_eq(got->visibility, STORE_VISIBILITY_PUBLIC);
    cr_assert_eq(got->history, STORE_HISTORY_JOINED);
    cr_assert_eq(got->max_members, 100);
    cr_assert_eq(got->created_at, r.created_at);
    cr_assert_eq(got->n_members, 3);
    for (size_t i = 0; i < 3; i++) {
        const struct store_member *gm = &got->members[i];
        cr_assert_eq(gm->joined_at, r.created_at);
        cr_assert_eq(gm->left_at, 0);
        cr_assert_str_eq(gm->tenant_uuid, env.tenant);
        if (strcmp(gm->user_uuid, u[1]) == 0) {
            cr_assert_eq(gm->role, STORE_ROLE_ADMIN);
            cr_assert_eq(gm->notify, STORE_NOTIFY_MENTIONS);
        }
    }
    store_room_free(got);
    cr_assert_eq(store_room_get(tx, r.uuid, u[3], &got), HE_UNKNOWN_ROOM, "non-member");
    cr_assert_eq(store_room_get(tx, r.uuid, NULL, &got), 0, "no viewer: no check");
    store_room_free(got);
    cr_assert_eq(store_room_get(tx, "00000000-0000-4000-8000-000000000000", NULL, &got),
                 HE_UNKNOWN_ROOM);
    store_tx_rollback(tx);
}

Test(store_rooms, create_with_unknown_user_or_duplicate_member_fails_whole)
{
    struct store_member m[2] = {{.role = STORE_ROLE_OWNER}, {.role = STORE_ROLE_MEMBER}};
    strcpy(m[0].user_uuid, u[0]);
    strcpy(m[1].user_uuid, "00000000-0000-4000-8000-000000000000");
    struct store_room r = {.members = m, .n_members = 2};
    strcpy(r.tenant_uuid, env.tenant);
    struct store_tx *tx = wtx();
    cr_assert_eq(store_room_create(tx, &r), HE_NOT_FOUND);
    cr_assert_neq(store_tx_commit(tx), 0);

    strcpy(m[1].user_uuid, u[0]);
    struct store_room r2 = {.members = m, .n_members = 2};
    strcpy(r2.tenant_uuid, env.tenant);
    tx = wtx();
    cr_assert_eq(store_room_create(tx, &r2), HE_EXISTS);
    cr_assert_neq(store_tx_commit(tx), 0);

    tx = rtx();
    struct store_room *got = NULL;
    cr_assert_eq(store_room_get(tx, r.uuid, NULL, &got), HE_UNKNOWN_ROOM);
    cr_assert_eq(store_room_get(tx, r2.uuid, NULL, &got), HE_UNKNOWN_ROOM);
    struct store_room_list *l = NULL;
    cr_assert_eq(store_room_list_for_user(tx, u[0], NULL, 0, &l), 0);
    cr_assert_eq(l->count, 0);
    store_room_list_free(l);
    store_tx_rollback(tx);
}

Test(store_rooms, find_exact_is_set_equality_of_current_members)
{
    char r01[UUID_STR_LEN], r012[UUID_STR_LEN], r12[UUID_STR_LEN];
    const char *s01[] = {u[0], u[1]};
    const char *s012[] = {u[0], u[1], u[2]};
    const char *s12[] = {u[1], u[2]};
    ts_room(&env, r01, s01, 2, STORE_HISTORY_SHARED);
    ts_room(&env, r012, s012, 3, STORE_HISTORY_SHARED);
    ts_room(&env, r12, s12, 2, STORE_HISTORY_SHARED);

    struct store_tx *tx = wtx();
    struct store_room *got = NULL;
    const char *q10[] = {u[1], u[0]};
    cr_assert_eq(store_room_find_exact(tx, env.tenant, q10, 2, &got), 0);
    cr_assert_str_eq(got->uuid, r01);
    cr_assert_eq(got->n_members, 2);
    store_room_free(got);
    const char *q210[] = {u[2], u[1], u[0]};
    cr_assert_eq(store_room_find_exact(tx, env.tenant, q210, 3, &got), 0);
    cr_assert_str_eq(got->uuid, r012);
    store_room_free(got);
    const char *q0[] = {u[0]};
    cr_assert_eq(store_room_find_exact(tx, env.tenant, q0, 1, &got), HE_UNKNOWN_ROOM, "subset");
    const char *q0123[] = {u[0], u[1], u[2], u[3]};
    cr_assert_eq(store_room_find_exact(tx, env.tenant, q0123, 4, &got), HE_UNKNOWN_ROOM,
                 "superset");
    const char *q02[] = {u[0], u[2]};
    cr_assert_eq(store_room_find_exact(tx, env.tenant, q02, 2, &got), HE_UNKNOWN_ROOM);
    struct store_tenant other = {.name = "other"};
    cr_assert_eq(store_tenant_create(tx, &other), 0);
    cr_assert_eq(store_room_find_exact(tx, other.uuid, q10, 2, &got), HE_UNKNOWN_ROOM,
                 "other tenant");
    /* After u2 leaves r012, it has exactly {u0, u1} too; the oldest (r01) is returned. */
    cr_assert_eq(store_member_leave(tx, r012, u[2], 0), 0);
    cr_assert_eq(store_room_find_exact(tx, env.tenant, q210, 3, &got), HE_UNKNOWN_ROOM);
    cr_assert_eq(store_room_find_exact(tx, env.tenant, q10, 2, &got), 0);
    cr_assert_str_eq(got->uuid, r01);
    store_room_free(got);
    cr_assert_eq(store_tx_commit(tx), 0);
}

Test(store_rooms, list_for_user_contains_all_requested_members)
{
    char r01[UUID_STR_LEN], r012[UUID_STR_LEN], r12[UUID_STR_LEN];
    const char *s01[] = {u[0], u[1]};
    const char *s012[] = {u[0], u[1], u[2]};
    const char *s12[] = {u[1], u[2]};
    ts_room(&env, r01, s01, 2, STORE_HISTORY_SHARED);
    ts_room(&env, r012, s012, 3, STORE_HISTORY_SHARED);
    ts_room(&env, r12, s12, 2, STORE_HISTORY_SHARED);
    struct store_tx *tx = rtx();
    struct store_room_list *l = NULL;
    cr_assert_eq(store_room_list_for_user(tx, u[1], NULL, 0, &l), 0);
    cr_assert_eq(l->count, 3);
    cr_assert_str_eq(l->items[0].uuid, r01, "ordered by creation");
    cr_assert_str_eq(l->items[2].uuid, r12);
    cr_assert_eq(l->items[1].n_members, 3);
    cr_assert(has_member(&l->items[1], u[2]));
    store_room_list_free(l);
    const char *w2[] = {u[2], u[2]};
    cr_assert_eq(store_room_list_for_user(tx, u[0], w2, 2, &l), 0);
    cr_assert_eq(l->count, 1);
    cr_assert_str_eq(l->items[0].uuid, r012);
    store_room_list_free(l);
    const char *w3[] = {u[3]};
    cr_assert_eq(store_room_list_for_user(tx, u[0], w3, 1, &l), 0);
    cr_assert_eq(l->count, 0);
    store_room_list_free(l);
    cr_assert_eq(store_room_list_for_user(tx, u[4], NULL, 0, &l), 0);
    cr_assert_eq(l->count, 0);
    store_room_list_free(l);
    store_tx_rollback(tx);
}

Test(store_rooms, public_list_and_update)
{
    char r[UUID_STR_LEN];
    const char *s[] = {u[0], u[1]};
    ts_room(&env, r, s, 2, STORE_HISTORY_SHARED);
    struct store_tx *tx = wtx();
    struct store_room_list *l = NULL;
    cr_assert_eq(store_room_list_public(tx, env.tenant, &l), 0);
    cr_assert_eq(l->count, 0);
    store_room_list_free(l);
    struct store_room upd = {.name = "renamed",
                             .topic = "t",
                             .visibility = STORE_VISIBILITY_PUBLIC,
                             .history = STORE_HISTORY_INVITED,
                             .max_members = 7};
    strcpy(upd.uuid, r);
    cr_assert_eq(store_room_update(tx, &upd), 0);
    strcpy(upd.uuid, "00000000-0000-4000-8000-000000000000");
    cr_assert_eq(store_room_update(tx, &upd), HE_UNKNOWN_ROOM);
    cr_assert_eq(store_tx_commit(tx), 0);
    tx = rtx();
    cr_assert_eq(store_room_list_public(tx, env.tenant, &l), 0);
    cr_assert_eq(l->count, 1);
    cr_assert_str_eq(l->items[0].name, "renamed");
    cr_assert_str_eq(l->items[0].topic, "t");
    cr_assert_eq(l->items[0].history, STORE_HISTORY_INVITED);
    cr_assert_eq(l->items[0].max_members, 7);
    cr_assert_eq(l->items[0].n_members, 2);
    store_room_list_free(l);
    store_tx_rollback(tx);
}

Test(store_rooms, members_add_leave_rejoin_roles_markers)
{
    char r[UUID_STR_LEN];
    const char *s[] = {u[0], u[1]};
    ts_room(&env, r, s, 2, STORE_HISTORY_SHARED);
    struct store_tx *tx = wtx();
    struct store_member m = {.role = STORE_ROLE_MEMBER};
    strcpy(m.user_uuid, u[2]);
    cr_assert_eq(store_member_add(tx, r, &m), 0);
    cr_assert_gt(m.joined_at, 0);
    cr_assert_eq(m.invited_at, m.joined_at);
    cr_assert_eq(store_member_add(tx, r, &m), HE_EXISTS);
    int64_t n = 0;
    cr_assert_eq(store_member_count(tx, r, &n), 0, "tx usable after HE_EXISTS");
    cr_assert_eq(n, 3);
    cr_assert_eq(store_member_set_role(tx, r, u[2], STORE_ROLE_ADMIN), 0);
    cr_assert_eq(store_member_set_notify(tx, r, u[2], STORE_NOTIFY_NONE), 0);
    cr_assert_eq(store_member_set_read(tx, r, u[2], "11111111-1111-7111-8111-111111111111", 42), 0);
    cr_assert_eq(store_member_set_role(tx, r, u[3], STORE_ROLE_ADMIN), HE_NOT_FOUND);
    cr_assert_eq(store_member_leave(tx, r, u[2], 5), 0);
    cr_assert_eq(store_member_leave(tx, r, u[2], 6), HE_NOT_FOUND, "already left");
    struct store_member *got = NULL;
    cr_assert_eq(store_member_get(tx, r, u[2], &got), HE_NOT_FOUND);
    cr_assert_eq(store_member_count(tx, r, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_eq(store_member_set_role(tx, r, u[2], STORE_ROLE_OWNER), HE_NOT_FOUND);
    struct store_member again = {.role = STORE_ROLE_MEMBER, .joined_at = 1000};
    strcpy(again.user_uuid, u[2]);
    cr_assert_eq(store_member_add(tx, r, &again), 0, "rejoin");
    cr_assert_eq(store_member_get(tx, r, u[2], &got), 0);
    cr_assert_eq(got->role, STORE_ROLE_MEMBER);
    cr_assert_eq(got->joined_at, 1000);
    cr_assert_eq(got->left_at, 0);
    cr_assert_str_eq(got->read_message_uuid, "11111111-1111-7111-8111-111111111111",
                     "read marker kept across rejoin");
    cr_assert_eq(got->read_at, 42);
    store_member_free(got);
    struct store_member ghost = {0};
    strcpy(ghost.user_uuid, "00000000-0000-4000-8000-000000000000");
    cr_assert_eq(store_member_add(tx, r, &ghost), HE_NOT_FOUND);
    cr_assert_neq(store_tx_commit(tx), 0, "the foreign key error poisoned the tx");

    tx = rtx();
    struct store_member_list *l = NULL;
    cr_assert_eq(store_member_list(tx, r, &l), 0);
    cr_assert_eq(l->count, 2, "nothing of the poisoned tx committed");
    store_member_list_free(l);
    store_tx_rollback(tx);
}

Test(store_rooms, member_list_order_and_unread)
{
    char r[UUID_STR_LEN];
    const char *s[] = {u[0], u[1]};
    ts_room(&env, r, s, 2, STORE_HISTORY_SHARED);
    struct store_tx *tx = wtx();
    struct store_member late = {.joined_at = store_now_us() + 10};
    strcpy(late.user_uuid, u[2]);
    cr_assert_eq(store_member_add(tx, r, &late), 0);
    cr_assert_eq(store_tx_commit(tx), 0);
    char m1[UUID_STR_LEN], m2[UUID_STR_LEN], m3[UUID_STR_LEN];
    int64_t base = store_now_us() + 100;
    ts_message(&env, r, u[0], "one", base + 1, m1);
    ts_message(&env, r, u[1], "two", base + 2, m2);
    ts_message(&env, r, u[1], "three", base + 3, m3);

    tx = wtx();
    struct store_member_list *l = NULL;
    cr_assert_eq(store_member_list(tx, r, &l), 0);
    cr_assert_eq(l->count, 3);
    cr_assert_str_eq(l->items[2].user_uuid, u[2], "latest joiner last");
    store_member_list_free(l);
    int64_t unread = -1;
    cr_assert_eq(store_member_unread(tx, r, u[0], &unread), 0);
    cr_assert_eq(unread, 2, "own message not counted");
    cr_assert_eq(store_member_set_read(tx, r, u[0], m2, base + 2), 0);
    cr_assert_eq(store_member_unread(tx, r, u[0], &unread), 0);
    cr_assert_eq(unread, 1);
    cr_assert_eq(store_message_delete(tx, m3, 0), 0);
    cr_assert_eq(store_member_unread(tx, r, u[0], &unread), 0);
    cr_assert_eq(unread, 0, "deleted messages are not unread");
    cr_assert_eq(store_member_unread(tx, r, u[3], &unread), HE_NOT_FOUND);
    cr_assert_eq(store_tx_commit(tx), 0);
}

Test(store_rooms, a_member_keeps_the_tenant_of_their_user)
{
    /* The store does not require a room's members to share its tenant (the domain does): a
     * member's tenant_uuid is the one of their user, also since room_members keeps a copy. */
    struct store_tx *tx = wtx();
    struct store_tenant other = {.name = "other"};
    cr_assert_eq(store_tenant_create(tx, &other), 0);
    struct store_user ou = {.username = "elsewhere", .password_hash = "x"};
    strcpy(ou.tenant_uuid, other.uuid);
    cr_assert_eq(store_user_add(tx, &ou), 0);
    cr_assert_eq(store_tx_commit(tx), 0);
    char room[UUID_STR_LEN];
    const char *const members[] = {u[0], ou.uuid};
    ts_room(&env, room, members, 2, STORE_HISTORY_SHARED);
    struct store_member extra = {.role = STORE_ROLE_MEMBER};
    strcpy(extra.user_uuid, u[1]);
    tx = wtx();
    cr_assert_eq(store_member_add(tx, room, &extra), 0);
    cr_assert_eq(store_tx_commit(tx), 0);

    tx = rtx();
    struct store_room *got = NULL;
    cr_assert_eq(store_room_get(tx, room, NULL, &got), 0);
    cr_assert_eq(got->n_members, 3);
    for (size_t i = 0; i < got->n_members; i++) {
        bool theirs = strcmp(got->members[i].user_uuid, ou.uuid) == 0;
        cr_assert_str_eq(got->members[i].tenant_uuid, theirs ? other.uuid : env.tenant);
    }
    store_room_free(got);
    struct store_member *m = NULL;
    cr_assert_eq(store_member_get(tx, room, ou.uuid, &m), 0);
    cr_assert_str_eq(m->tenant_uuid, other.uuid);
    store_member_free(m);
    store_tx_rollback(tx);
}

Test(store_rooms, schema_2_fills_the_member_tenant_of_existing_rooms)
{
    char room[UUID_STR_LEN];
    const char *const members[] = {u[0], u[1], u[2]};
    ts_room(&env, room, members, 3, STORE_HISTORY_SHARED);
    /* Back to what a version-1 database holds: no tenant copy, no index, version 1. */
    store_close(env.store);
    env.store = NULL;
    ts_raw_sql(&env,
               "DROP INDEX room_members_current; ALTER TABLE room_members DROP COLUMN tenant_uuid;"
               "DROP INDEX events_recipients; ALTER TABLE events DROP COLUMN recipients_id;"
               "DROP TABLE event_recipients; UPDATE schema_version SET version = 1");
    cr_assert_eq(store_open(env.where, NULL, &env.store), 0, "migrates 1 -> latest");
    int cur = 0, latest = 0;
    cr_assert_eq(store_schema_version(env.store, &cur, &latest), 0);
    cr_assert_eq(cur, latest);
    struct store_tx *tx = rtx();
    struct store_room *got = NULL;
    cr_assert_eq(store_room_get(tx, room, u[1], &got), 0);
    cr_assert_eq(got->n_members, 3);
    for (size_t i = 0; i < 3; i++) {
        cr_assert_str_eq(got->members[i].tenant_uuid, env.tenant);
    }
    store_room_free(got);
    store_tx_rollback(tx);
}
