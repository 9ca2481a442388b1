/* Store conformance: messages, pagination, search, visibility, threads, edits, reactions, files. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "harness.h"

static struct ts_env env;
static char u[4][UUID_STR_LEN];
static char room[UUID_STR_LEN];

static void setup(void)
{
    ts_setup(&env);
    const char *names[] = {"u0", "u1", "u2", "u3"};
    for (int i = 0; i < 4; i++) {
        ts_user(&env, names[i], u[i]);
    }
    const char *s[] = {u[0], u[1]};
    ts_room(&env, room, s, 2, STORE_HISTORY_SHARED);
}

static void teardown(void)
{
    ts_teardown(&env);
}

TestSuite(store_messages, .init = setup, .fini = teardown, .timeout = 60);

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

static struct store_message_list *page(const char *viewer, const struct store_page_query *q0)
{
    struct store_page_query q = *q0;
    q.viewer_uuid = viewer;
    struct store_tx *tx = rtx();
    struct store_message_list *l = NULL;
    int rc = store_message_page(tx, room, &q, &l);
    cr_assert_eq(rc, 0, "page: %s", he_name(rc));
    store_tx_rollback(tx);
    return l;
}

Test(store_messages, append_and_get_round_trip_utf8)
{
    const char *content =
        "héllo ❤️ 👨‍👩‍👧‍👦 <b>&amp;</b> 'quote' \"dq\" \\ % _";
    struct store_message m = {.content = (char *)content,
                              .content_search = "hello",
                              .alias = "Ålias 👍🏽",
                              .content_html = "<p>héllo</p>",
                              .mentions = "[\"all\"]"};
    strcpy(m.room_uuid, room);
    strcpy(m.user_uuid, u[0]);
    struct store_tx *tx = wtx();
    cr_assert_eq(store_message_append(tx, &m), 0);
    cr_assert(uuid_is_canonical(m.uuid));
    cr_assert_eq(m.uuid[14], '7', "uuid v7");
    cr_assert_str_eq(m.tenant_uuid, env.tenant);
    cr_assert_gt(m.created_at, 0);
    cr_assert_eq(store_tx_commit(tx), 0);

    tx = rtx();
    struct store_message *got = NULL;
    cr_assert_eq(store_message_get(tx, m.uuid, u[1], &got), 0);
    cr_assert_str_eq(got->content, content);
    cr_assert_eq(strlen(got->content), strlen(content));
    cr_assert_str_eq(got->alias, "Ålias 👍🏽");
    cr_assert_str_eq(got->content_html, "<p>héllo</p>");
    cr_assert_str_eq(got->mentions, "[\"all\"]");
    cr_assert_null(got->content_search, "input only");
    cr_assert_str_eq(got->room_uuid, room);
    cr_assert_str_eq(got->user_uuid, u[0]);
    cr_assert_str_eq(got->thread_uuid, "");
    cr_assert_eq(got->created_at, m.created_at);
    cr_assert_eq(got->edited_at, 0);
    cr_assert_eq(got->deleted_at, 0);
    cr_assert_eq(got->n_reactions, 0);
    store_message_free(got);
    cr_assert_eq(store_message_get(tx, m.uuid, u[2], &got), HE_UNKNOWN_MESSAGE, "non-member");
    cr_assert_eq(store_message_get(tx, "00000000-0000-7000-8000-000000000000", NULL, &got),
                 HE_UNKNOWN_MESSAGE);
    store_tx_rollback(tx);
}

Test(store_messages, append_to_unknown_room_is_not_found)
{
    struct store_message m = {.content = "x", .content_search = "x"};
    strcpy(m.room_uuid, "00000000-0000-4000-8000-000000000000");
    strcpy(m.user_uuid, u[0]);
    struct store_tx *tx = wtx();
    cr_assert_eq(store_message_append(tx, &m), HE_NOT_FOUND);
    store_tx_rollback(tx);
}

Test(store_messages, page_order_limit_offset_counts)
{
    char ids[10][UUID_STR_LEN];
    int64_t base = 1700000000000000LL;
    for (int i = 0; i < 10; i++) {
        char content[16];
        snprintf(content, sizeof(content), "m%d", i);
        /* Two messages share each timestamp: uuid breaks the tie. */
        ts_message(&env, room, u[i % 2], content, base + i / 2, ids[i]);
    }
    struct store_page_query q = {.limit = -1};
    struct store_message_list *l = page(u[0], &q);
    cr_assert_eq(l->count, 10);
    cr_assert_eq(l->total, 10);
    cr_assert_eq(l->filtered, 10);
    for (int i = 0; i < 10; i++) {
        cr_assert_str_eq(l->items[i].uuid, ids[9 - i], "desc by default, position %d", i);
    }
    store_message_list_free(l);

    q = (struct store_page_query){.limit = 3, .offset = 2, .direction = STORE_ASC};
    l = page(u[1], &q);
    cr_assert_eq(l->count, 3);
    cr_assert_str_eq(l->items[0].uuid, ids[2]);
    cr_assert_str_eq(l->items[2].uuid, ids[4]);
    cr_assert_eq(l->total, 10);
    cr_assert_eq(l->filtered, 10);
    store_message_list_free(l);

    q = (struct store_page_query){.limit = 0};
    l = page(u[0], &q);
    cr_assert_eq(l->count, 0);
    cr_assert_eq(l->total, 10);
    store_message_list_free(l);

    q = (struct store_page_query){.limit = 100, .offset = 50};
    l = page(u[0], &q);
    cr_assert_eq(l->count, 0);
    store_message_list_free(l);

    q = (struct store_page_query){.limit = -1, .has_from_date = true, .from_date = base + 3};
    l = page(u[0], &q);
    cr_assert_eq(l->count, 4);
    cr_assert_eq(l->filtered, 4);
    cr_assert_eq(l->total, 10);
    cr_assert_str_eq(l->items[3].uuid, ids[6]);
    store_message_list_free(l);

    struct store_tx *tx = rtx();
    q = (struct store_page_query){.viewer_uuid = u[2], .limit = -1};
    cr_assert_eq(store_message_page(tx, room, &q, &l), HE_UNKNOWN_ROOM);
    cr_assert_eq(store_message_page(tx, "00000000-0000-4000-8000-000000000000", &q, &l),
                 HE_UNKNOWN_ROOM);
    store_tx_rollback(tx);
}

Test(store_messages, search_matches_words_in_order_with_escapes)
{
    ts_message(&env, room, u[0], "the quick brown fox", 0, NULL);
    ts_message(&env, room, u[0], "brown quick the", 0, NULL);
    ts_message(&env, room, u[0], "100% sure_thing", 0, NULL);
    ts_message(&env, room, u[0], "100 percent surething", 0, NULL);
    ts_message(&env, room, u[0], "café ❤️ crème", 0, NULL);
    const char *w1[] = {"quick", "fox"};
    struct store_page_query q = {.limit = -1, .words = w1, .n_words = 2};
    struct store_message_list *l = page(u[0], &q);
    cr_assert_eq(l->count, 1);
    cr_assert_str_eq(l->items[0].content, "the quick brown fox");
    cr_assert_eq(l->filtered, 1);
    cr_assert_eq(l->total, 5);
    store_message_list_free(l);

    q = (struct store_page_query){.limit = -1, .pattern = "%quick%fox%"};
    l = page(u[0], &q);
    cr_assert_eq(l->count, 1, "a ready pattern");
    cr_assert_str_eq(l->items[0].content, "the quick brown fox");
    store_message_list_free(l);
    q = (struct store_page_query){.limit = -1, .pattern = "%100\\%%"};
    l = page(u[0], &q);
    cr_assert_eq(l->count, 1, "escaped % in a ready pattern");
    store_message_list_free(l);
    q = (struct store_page_query){.limit = -1, .words = w1, .n_words = 2};

    const char *w2[] = {"brown", "quick"};
    q.words = w2;
    l = page(u[0], &q);
    cr_assert_eq(l->count, 1);
    cr_assert_str_eq(l->items[0].content, "brown quick the");
    store_message_list_free(l);

    const char *w3[] = {"100%", "_"};
    q.words = w3;
    l = page(u[0], &q);
    cr_assert_eq(l->count, 1, "% and _ are literal");
    cr_assert_str_eq(l->items[0].content, "100% sure_thing");
    store_message_list_free(l);

    const char *w4[] = {"❤️", "crème"};
    q.words = w4;
    l = page(u[0], &q);
    cr_assert_eq(l->count, 1);
    store_message_list_free(l);

    const char *w5[] = {"", ""};
    q.words = w5;
    l = page(u[0], &q);
    cr_assert_eq(l->count, 5, "empty words: no search");
    store_message_list_free(l);
}

Test(store_messages, history_visibility_joined_and_invited_hide_earlier_messages)
{
    /* After the room's creation, so that the founding members see everything. */
    int64_t base = store_now_us() + 1000000;
    char r[UUID_STR_LEN];
    const char *s[] = {u[0], u[1]};
    ts_room(&env, r, s, 2, STORE_HISTORY_JOINED);
    ts_message(&env, r, u[0], "before", base, NULL);
    struct store_tx *tx = wtx();
    struct store_member m = {.joined_at = base + 10, .invited_at = base + 5};
    strcpy(m.user_uuid, u[2]);
    cr_assert_eq(store_member_add(tx, r, &m), 0);
    cr_assert_eq(store_tx_commit(tx), 0);
    char between[UUID_STR_LEN];
    ts_message(&env, r, u[0], "between", base + 7, between);
    ts_message(&env, r, u[0], "after", base + 20, NULL);

    tx = rtx();
    struct store_page_query q = {.viewer_uuid = u[2], .limit = -1};
    struct store_message_list *l = NULL;
    cr_assert_eq(store_message_page(tx, r, &q, &l), 0);
    cr_assert_eq(l->count, 1);
    cr_assert_eq(l->total, 1, "total counts only visible messages");
    cr_assert_str_eq(l->items[0].content, "after");
    store_message_list_free(l);
    q.viewer_uuid = u[1];
    cr_assert_eq(store_message_page(tx, r, &q, &l), 0);
    cr_assert_eq(l->count, 3, "a founding member sees everything");
    store_message_list_free(l);
    struct store_message *got = NULL;
    cr_assert_eq(store_message_get(tx, between, u[2], &got), HE_UNKNOWN_MESSAGE);
    store_tx_rollback(tx);

    tx = wtx();
    struct store_room upd = {.history = STORE_HISTORY_INVITED, .max_members = 10};
    strcpy(upd.uuid, r);
    cr_assert_eq(store_room_update(tx, &upd), 0);
    cr_assert_eq(store_tx_commit(tx), 0);
    tx = rtx();
    q.viewer_uuid = u[2];
    cr_assert_eq(store_message_page(tx, r, &q, &l), 0);
    cr_assert_eq(l->count, 2, "invited: from the invitation");
    store_message_list_free(l);
    store_tx_rollback(tx);

    tx = wtx();
    upd.history = STORE_HISTORY_SHARED;
    cr_assert_eq(store_room_update(tx, &upd), 0);
    cr_assert_eq(store_tx_commit(tx), 0);
    tx = rtx();
    cr_assert_eq(store_message_page(tx, r, &q, &l), 0);
    cr_assert_eq(l->count, 3, "shared: everything");
    store_message_list_free(l);
    store_tx_rollback(tx);
}

Test(store_messages, threads_reply_counts_and_filters)
{
    char root[UUID_STR_LEN], other[UUID_STR_LEN];
    ts_message(&env, room, u[0], "root", 0, root);
    ts_message(&env, room, u[0], "other", 0, other);
    for (int i = 0; i < 3; i++) {
        struct store_message m = {.content = "reply", .content_search = "reply"};
        strcpy(m.room_uuid, room);
        strcpy(m.user_uuid, u[1]);
        strcpy(m.thread_uuid, root);
        struct store_tx *tx = wtx();
        cr_assert_eq(store_message_append(tx, &m), 0);
        cr_assert_eq(store_tx_commit(tx), 0);
    }
    struct store_page_query q = {.limit = -1, .threads = STORE_THREAD_ROOTS};
    struct store_message_list *l = page(u[0], &q);
    cr_assert_eq(l->count, 2);
    cr_assert_str_eq(l->items[1].uuid, root);
    cr_assert_eq(l->items[1].reply_count, 3);
    cr_assert_eq(l->items[0].reply_count, 0);
    cr_assert_eq(l->total, 5);
    cr_assert_eq(l->filtered, 2);
    store_message_list_free(l);
    q = (struct store_page_query){
        .limit = -1, .threads = STORE_THREAD_REPLIES, .thread_uuid = root, .direction = STORE_ASC};
    l = page(u[0], &q);
    cr_assert_eq(l->count, 3);
    cr_assert_str_eq(l->items[0].thread_uuid, root);
    store_message_list_free(l);
    q = (struct store_page_query){.limit = -1};
    l = page(u[0], &q);
    cr_assert_eq(l->count, 5, "chatd view: everything");
    store_message_list_free(l);

    struct store_message bad = {.content = "x", .content_search = "x"};
    strcpy(bad.room_uuid, room);
    strcpy(bad.user_uuid, u[0]);
    strcpy(bad.thread_uuid, "00000000-0000-7000-8000-000000000000");
    struct store_tx *tx = wtx();
    cr_assert_eq(store_message_append(tx, &bad), HE_NOT_FOUND, "unknown thread root");
    store_tx_rollback(tx);
}

Test(store_messages, edit_keeps_versions_and_delete_leaves_tombstone)
{
    char id[UUID_STR_LEN], reply[UUID_STR_LEN];
    ts_message(&env, room, u[0], "v1", 0, id);
    struct store_tx *tx = wtx();
    cr_assert_eq(store_message_edit(tx, id, "v2 ❤️", "v2", "<p>v2</p>", "[]", 111), 0);
    cr_assert_eq(store_message_edit(tx, id, "v3", "v3", NULL, NULL, 222), 0);
    cr_assert_eq(
        store_message_edit(tx, "00000000-0000-7000-8000-000000000000", "x", "x", NULL, NULL, 0),
        HE_UNKNOWN_MESSAGE);
    cr_assert_eq(store_reaction_add(tx, id, u[1], "👍", 0), 0);
    struct store_message r = {.content = "re", .content_search = "re"};
    strcpy(r.room_uuid, room);
    strcpy(r.user_uuid, u[1]);
    strcpy(r.thread_uuid, id);
    cr_assert_eq(store_message_append(tx, &r), 0);
    strcpy(reply, r.uuid);
    cr_assert_eq(store_tx_commit(tx), 0);

    tx = rtx();
    struct store_message *got = NULL;
    cr_assert_eq(store_message_get(tx, id, NULL, &got), 0);
    cr_assert_str_eq(got->content, "v3");
    cr_assert_eq(got->edited_at, 222);
    cr_assert_null(got->content_html);
    store_message_free(got);
    struct store_message_version_list *v = NULL;
    cr_assert_eq(store_message_versions(tx, id, &v), 0);
    cr_assert_eq(v->count, 2);
    cr_assert_eq(v->items[0].version, 1);
    cr_assert_str_eq(v->items[0].content, "v1");
    cr_assert_str_eq(v->items[1].content, "v2 ❤️");
    cr_assert_str_eq(v->items[1].content_html, "<p>v2</p>");
    cr_assert_eq(v->items[1].created_at, 111);
    store_message_version_list_free(v);
    store_tx_rollback(tx);

    /* The search sees the current version only. */
    const char *w[] = {"v1"};
    struct store_page_query q = {.limit = -1, .words = w, .n_words = 1};
    struct store_message_list *l = page(u[0], &q);
    cr_assert_eq(l->count, 0);
    store_message_list_free(l);

    tx = wtx();
    cr_assert_eq(store_message_delete(tx, id, 333), 0);
    cr_assert_eq(store_message_delete(tx, id, 444), HE_UNKNOWN_MESSAGE);
    cr_assert_eq(store_message_edit(tx, id, "x", "x", NULL, NULL, 0), HE_UNKNOWN_MESSAGE);
    cr_assert_eq(store_tx_commit(tx), 0);
    tx = rtx();
    cr_assert_eq(store_message_get(tx, id, u[0], &got), 0);
    cr_assert_str_eq(got->content, "");
    cr_assert_null(got->content_html);
    cr_assert_eq(got->deleted_at, 333);
    cr_assert_eq(got->reply_count, 1, "replies stay");
    cr_assert_eq(got->n_reactions, 1, "reactions stay");
    store_message_free(got);
    cr_assert_eq(store_message_versions(tx, id, &v), 0);
    cr_assert_eq(v->count, 0, "content gone from the versions too");
    store_message_version_list_free(v);
    cr_assert_eq(store_message_get(tx, reply, u[0], &got), 0);
    store_message_free(got);
    store_tx_rollback(tx);
    q = (struct store_page_query){.limit = -1};
    l = page(u[0], &q);
    cr_assert_eq(l->count, 2, "the tombstone keeps its position");
    cr_assert_str_eq(l->items[1].uuid, id);
    store_message_list_free(l);
}

Test(store_messages, reactions_unique_aggregated_per_message_in_order)
{
    char m1[UUID_STR_LEN], m2[UUID_STR_LEN];
    ts_message(&env, room, u[0], "one", 0, m1);
    ts_message(&env, room, u[0], "two", 0, m2);
    const char *family = "👨‍👩‍👧‍👦";
    struct store_tx *tx = wtx();
    cr_assert_eq(store_reaction_add(tx, m1, u[0], "❤️", 10), 0);
    cr_assert_eq(store_reaction_add(tx, m1, u[1], family, 20), 0);
    cr_assert_eq(store_reaction_add(tx, m1, u[1], "❤️", 30), 0);
    cr_assert_eq(store_reaction_add(tx, m1, u[1], "❤️", 40), HE_EXISTS);
    cr_assert_eq(store_reaction_add(tx, m2, u[1], "🇫🇷", 50), 0, "tx usable after HE_EXISTS");
    cr_assert_eq(store_reaction_add(tx, m2, u[1], "1️⃣", 60), 0);
    cr_assert_eq(store_tx_commit(tx), 0);

    struct store_page_query q = {.limit = -1, .direction = STORE_ASC};
    struct store_message_list *l = page(u[1], &q);
    cr_assert_eq(l->count, 2);
    struct store_message *a = &l->items[0];
    cr_assert_str_eq(a->uuid, m1);
    cr_assert_eq(a->n_reactions, 2);
    cr_assert_str_eq(a->reactions[0].emoji, "❤️", "first reacted emoji first");
    cr_assert_eq(a->reactions[0].count, 2);
    cr_assert_str_eq(a->reactions[0].user_uuids[0], u[0]);
    cr_assert_str_eq(a->reactions[0].user_uuids[1], u[1]);
    cr_assert_str_eq(a->reactions[1].emoji, family);
    cr_assert_eq(a->reactions[1].count, 1);
    cr_assert_eq(l->items[1].n_reactions, 2);
    cr_assert_str_eq(l->items[1].reactions[0].emoji, "🇫🇷");
    cr_assert_str_eq(l->items[1].reactions[1].emoji, "1️⃣");
    store_message_list_free(l);

    tx = wtx();
    cr_assert_eq(store_reaction_remove(tx, m1, u[0], "❤️"), 0);
    cr_assert_eq(store_reaction_remove(tx, m1, u[0], "❤️"), HE_NOT_FOUND);
    cr_assert_eq(store_reaction_add(tx, "00000000-0000-7000-8000-000000000000", u[0], "❤️", 0),
                 HE_NOT_FOUND);
    store_tx_rollback(tx);
    tx = wtx();
    cr_assert_eq(store_reaction_remove(tx, m1, u[0], "❤️"), 0);
    cr_assert_eq(store_tx_commit(tx), 0);
    tx = rtx();
    struct store_message *got = NULL;
    cr_assert_eq(store_message_get(tx, m1, u[0], &got), 0);
    cr_assert_eq(got->n_reactions, 2);
    cr_assert_eq(got->reactions[0].count, 1);
    cr_assert_str_eq(got->reactions[0].user_uuids[0], u[1]);
    store_message_free(got);
    store_tx_rollback(tx);
}

Test(store_messages, search_across_rooms_and_distinct_room)
{
    char r2[UUID_STR_LEN], r3[UUID_STR_LEN];
    const char *s2[] = {u[0], u[2]};
    const char *s3[] = {u[1], u[2]};
    ts_room(&env, r2, s2, 2, STORE_HISTORY_SHARED);
    ts_room(&env, r3, s3, 2, STORE_HISTORY_SHARED);
    int64_t base = 1700000000000000LL;
    char a1[UUID_STR_LEN], a2[UUID_STR_LEN], b1[UUID_STR_LEN], b2[UUID_STR_LEN];
    ts_message(&env, room, u[0], "apple pie", base + 1, a1);
    ts_message(&env, room, u[1], "banana", base + 2, a2);
    ts_message(&env, r2, u[2], "apple tart", base + 3, b1);
    ts_message(&env, r2, u[0], "cherry", base + 4, b2);
    ts_message(&env, r3, u[1], "apple secret", base + 5, NULL);

    struct store_tx *tx = rtx();
    const char *w[] = {"apple"};
    struct store_search_query q = {.user_uuid = u[0], .limit = -1, .words = w, .n_words = 1};
    struct store_message_list *l = NULL;
    cr_assert_eq(store_message_search(tx, &q, &l), 0);
    cr_assert_eq(l->count, 2, "not the room u0 is not in");
    cr_assert_str_eq(l->items[0].uuid, b1);
    cr_assert_str_eq(l->items[1].uuid, a1);
    cr_assert_eq(l->filtered, 2);
    cr_assert_eq(l->total, 4);
    store_message_list_free(l);

    q = (struct store_search_query){.user_uuid = u[0], .limit = -1, .distinct_room = true};
    cr_assert_eq(store_message_search(tx, &q, &l), 0);
    cr_assert_eq(l->count, 2);
    cr_assert_str_eq(l->items[0].uuid, b2, "latest per room, newest first");
    cr_assert_str_eq(l->items[1].uuid, a2);
    cr_assert_eq(l->filtered, 2);
    cr_assert_eq(l->total, 4);
    store_message_list_free(l);

    q = (struct store_search_query){.user_uuid = u[0],
                                    .limit = 1,
                                    .offset = 1,
                                    .direction = STORE_ASC,
                                    .words = w,
                                    .n_words = 1,
                                    .distinct_room = true};
    cr_assert_eq(store_message_search(tx, &q, &l), 0);
    cr_assert_eq(l->count, 1);
    cr_assert_str_eq(l->items[0].uuid, b1, "latest matching per room, then paginated");
    cr_assert_eq(l->filtered, 2);
    store_message_list_free(l);
    store_tx_rollback(tx);
}

Test(store_messages, files_metadata)
{
    char m[UUID_STR_LEN];
    ts_message(&env, room, u[0], "see attached", 0, m);
    struct store_file f = {.name = "photo ❤️.png",
                           .content_type = "image/png",
                           .size = 1234,
                           .sha256 = "abc",
                           .storage_key = "ab/cdef",
                           .width = 640,
                           .height = 480};
    strcpy(f.tenant_uuid, env.tenant);
    strcpy(f.user_uuid, u[0]);
    strcpy(f.room_uuid, room);
    struct store_tx *tx = wtx();
    cr_assert_eq(store_file_add(tx, &f), 0);
    cr_assert_eq(store_file_add(tx, &f), HE_EXISTS);
    cr_assert_eq(store_file_attach(tx, f.uuid, m), 0);
    cr_assert_eq(store_file_attach(tx, "00000000-0000-4000-8000-000000000000", m), HE_NOT_FOUND);
    cr_assert_eq(store_tx_commit(tx), 0);
    tx = rtx();
    struct store_file *got = NULL;
    cr_assert_eq(store_file_get(tx, f.uuid, &got), 0);
    cr_assert_str_eq(got->name, "photo ❤️.png");
    cr_assert_str_eq(got->message_uuid, m);
    cr_assert_str_eq(got->room_uuid, room);
    cr_assert_eq(got->size, 1234);
    cr_assert_eq(got->width, 640);
    cr_assert_str_eq(got->storage_key, "ab/cdef");
    store_file_free(got);
    struct store_file_list *l = NULL;
    cr_assert_eq(store_file_list_for_message(tx, m, &l), 0);
    cr_assert_eq(l->count, 1);
    store_file_list_free(l);
    store_tx_rollback(tx);
    tx = wtx();
    cr_assert_eq(store_file_delete(tx, f.uuid), 0);
    cr_assert_eq(store_file_delete(tx, f.uuid), HE_NOT_FOUND);
    cr_assert_eq(store_file_get(tx, f.uuid, &got), HE_NOT_FOUND);
    cr_assert_eq(store_tx_commit(tx), 0);
}
