/*
 * Unit tests of domain/rooms, domain/messages, domain/presences and domain/render on a real
 * SQLite store in a temp folder: the room rules (duplicates before the creator is added,
 * sizes, tenants, idempotent create, direct/group), membership on every message operation,
 * reactions, presences across tenants, search words, and the outbox events each change
 * appends (recipients, payload rendered once).
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "domain/messages.h"
#include "domain/presences.h"
#include "domain/render.h"
#include "domain/rooms.h"
#include "store/store.h"
#include "store_fixture.h"

#define STACK "5f0c0000-0000-4000-8000-00000000cafe"

static char dir[STORE_FIXTURE_DIR_MAX];
static struct store *store;
static char tenant[UUID_STR_LEN];
static char other_tenant[UUID_STR_LEN];
static char users[5][UUID_STR_LEN]; /* alice bob carol dave, and erin of other_tenant */

static void add_user(const char *tenant_uuid, const char *name, char out[UUID_STR_LEN])
{
    struct store_tx *tx = NULL;
    struct store_user u = {0};
    memcpy(u.tenant_uuid, tenant_uuid, UUID_STR_LEN);
    u.username = (char *)name;
    u.password_hash = (char *)"not-a-hash";
    cr_assert_eq(store_tx_begin(store, &tx), 0);
    cr_assert_eq(store_user_add(tx, &u), 0);
    cr_assert_eq(store_tx_commit(tx), 0);
    memcpy(out, u.uuid, UUID_STR_LEN);
}

static void setup(void)
{
    store = store_fixture_open("chatd-unit", dir);
    struct store_tx *tx = NULL;
    struct store_tenant *t = NULL;
    struct store_tenant other = {0};
    other.name = (char *)"other";
    cr_assert_eq(store_tx_begin(store, &tx), 0);
    cr_assert_eq(store_tenant_ensure_default(tx, &t), 0);
    cr_assert_eq(store_tenant_create(tx, &other), 0);
    cr_assert_eq(store_tx_commit(tx), 0);
    memcpy(tenant, t->uuid, UUID_STR_LEN);
    memcpy(other_tenant, other.uuid, UUID_STR_LEN);
    store_tenant_free(t);
    const char *names[] = {"alice", "bob", "carol", "dave"};
    for (size_t i = 0; i < 4; i++) {
        add_user(tenant, names[i], users[i]);
    }
    add_user(other_tenant, "erin", users[4]);
}

static void teardown(void)
{
    store_fixture_close(store, dir);
    store = NULL;
}

/* Creates a room as users[creator] with users[idx[0..n)]. */
static int create(int creator, const int *idx, size_t n, const char *name, int max,
                  struct store_room **room, bool *created, struct render_events *evs,
                  struct rooms_create_error *err)
{
    struct rooms_user list[8] = {0};
    for (size_t i = 0; i < n; i++) {
        memcpy(list[i].uuid, users[idx[i]], UUID_STR_LEN);
    }
    struct rooms_create_args a = {
        .tenant_uuid = tenant,
        .creator_uuid = users[creator],
        .name = name,
        .users = list,
        .n_users = n,
        .max_members = max,
        .stack_uuid = STACK,
    };
    return rooms_create(store, &a, room, created, evs, err);
}

static bool has_recipient(const struct store_event *ev, const char *uuid)
{
    for (size_t i = 0; i < ev->n_recipients; i++) {
        if (strcmp(ev->recipients[i], uuid) == 0) {
            return true;
        }
    }
    return false;
}

Test(rooms, rules_before_any_write, .init = setup, .fini = teardown)
{
    struct store_room *room = NULL;
    bool created = true;
    struct render_events evs = {0};
    struct rooms_create_error err;
    /* Duplicates are refused before the creator is added. */
    int dup[] = {1, 1};
    cr_assert_eq(create(0, dup, 2, NULL, 10, &room, &created, &evs, &err), HE_DUPLICATE_USER);
    /* The creator alone is one member: too small, and so is an empty list. */
    int self[] = {0};
    cr_assert_eq(create(0, self, 1, NULL, 10, &room, &created, &evs, &err), HE_INVAL);
    cr_assert_eq(err.size, 1);
    cr_assert_eq(create(0, NULL, 0, NULL, 10, &room, &created, &evs, &err), HE_INVAL);
    cr_assert_eq(err.size, 1);
    /* Three others and the creator are four: over a maximum of three. */
    int three[] = {1, 2, 3};
    cr_assert_eq(create(0, three, 3, NULL, 3, &room, &created, &evs, &err), HE_INVAL);
    cr_assert_eq(err.size, 4);
    /* A user of another tenant does not exist for this one; the error names the entry. */
    int cross[] = {1, 4};
    cr_assert_eq(create(0, cross, 2, NULL, 10, &room, &created, &evs, &err), HE_UNKNOWN_USER);
    cr_assert_eq(err.index, 1);
    cr_assert_not(err.tenant);
    cr_assert_null(room);
    cr_assert_eq(evs.count, 0);
}

Test(rooms, create_then_find_the_same_set, .init = setup, .fini = teardown)
{
    struct store_room *room = NULL;
    struct store_room *again = NULL;
    bool created = false;
    struct render_events evs = {0};
    struct rooms_create_error err;
    int peers[] = {1, 2};
    cr_assert_eq(create(0, peers, 2, "ops", 10, &room, &created, &evs, &err), 0);
    cr_assert(created);
    cr_assert_eq(room->n_members, 3);
    cr_assert_eq(room->kind, STORE_ROOM_GROUP);
    for (size_t i = 0; i < room->n_members; i++) {
        bool creator = strcmp(room->members[i].user_uuid, users[0]) == 0;
        cr_assert_eq(room->members[i].role, creator ? STORE_ROLE_OWNER : STORE_ROLE_MEMBER);
    }
    /* One event, to every member, whose payload is the Room JSON. */
    cr_assert_eq(evs.count, 1);
    struct store_event *ev = evs.items[0];
    cr_assert_str_eq(ev->name, RENDER_EV_ROOM_CREATED);
    cr_assert_gt(ev->seq, 0);
    cr_assert_eq(ev->n_recipients, 3);
    for (int i = 0; i < 3; i++) {
        cr_assert(has_recipient(ev, users[i]));
    }
    json_t *payload = json_loadb(ev->payload, ev->payload_len, 0, NULL);
    cr_assert_not_null(payload);
    cr_assert_str_eq(json_string_value(json_object_get(payload, "uuid")), room->uuid);
    cr_assert_str_eq(json_string_value(json_object_get(payload, "name")), "ops");
    cr_assert_eq(json_array_size(json_object_get(payload, "users")), 3);
    json_decref(payload);
    render_events_release(&evs);
    /* Same set from another member, creator named explicitly: the same room, no event. */
    int same[] = {0, 2};
    cr_assert_eq(create(1, same, 2, "other name", 10, &again, &created, &evs, &err), 0);
    cr_assert_not(created);
    cr_assert_str_eq(again->uuid, room->uuid);
    cr_assert_eq(evs.count, 0);
    store_room_free(again);
    again = NULL;
    /* Two members without a name: a direct room. */
    int one[] = {3};
    cr_assert_eq(create(0, one, 1, NULL, 10, &again, &created, &evs, &err), 0);
    cr_assert_eq(again->kind, STORE_ROOM_DIRECT);
    render_events_release(&evs);
    store_room_free(again);
    store_room_free(room);
}

Test(messages, members_only_and_events_to_members, .init = setup, .fini = teardown)
{
    struct store_room *room = NULL;
    bool created = false;
    struct render_events evs = {0};
    struct rooms_create_error err;
    int peers[] = {1};
    cr_assert_eq(create(0, peers, 1, "pair", 10, &room, &created, &evs, &err), 0);
    render_events_release(&evs);

    struct messages_post_args a = {
        .room_uuid = room->uuid,
        .user_uuid = users[2], /* carol is not a member */
        .tenant_uuid = tenant,
        .content = "Élan VITAL",
        .content_len = strlen("Élan VITAL"),
        .stack_uuid = STACK,
    };
    char *body = NULL;
    size_t len = 0;
    cr_assert_eq(messages_post(store, &a, &body, &len, &evs), HE_UNKNOWN_ROOM);
    cr_assert_null(body);
    a.user_uuid = users[1];
    cr_assert_eq(messages_post(store, &a, &body, &len, &evs), 0);
    cr_assert_eq(evs.count, 1);
    struct store_event *ev = evs.items[0];
    cr_assert_str_eq(ev->name, RENDER_EV_MESSAGE_CREATED);
    cr_assert_str_eq(ev->room_uuid, room->uuid);
    cr_assert_eq(ev->n_recipients, 2);
    cr_assert(has_recipient(ev, users[0]) && has_recipient(ev, users[1]));
    /* The answer and the event carry the same bytes. */
    cr_assert_eq(len, ev->payload_len);
    cr_assert_eq(memcmp(body, ev->payload, len), 0);
    json_t *msg = json_loadb(body, len, 0, NULL);
    const char *msg_uuid = json_string_value(json_object_get(msg, "uuid"));
    cr_assert_not_null(msg_uuid);
    char message_uuid[UUID_STR_LEN];
    snprintf(message_uuid, sizeof(message_uuid), "%s", msg_uuid);
    json_decref(msg);
    free(body);
    render_events_release(&evs);

    /* History: members only; the search folds case and accents, words in order. */
    struct store_message_list *list = NULL;
    struct messages_page_args page = {
        .room_uuid = room->uuid, .viewer_uuid = users[2], .limit = -1, .search = "elan vital"};
    cr_assert_eq(messages_page(store, &page, &list), HE_UNKNOWN_ROOM);
    page.viewer_uuid = users[0];
    cr_assert_eq(messages_page(store, &page, &list), 0);
    cr_assert_eq(list->count, 1);
    cr_assert_eq(list->filtered, 1);
    store_message_list_free(list);
    page.search = "vital elan";
    cr_assert_eq(messages_page(store, &page, &list), 0);
    cr_assert_eq(list->count, 0);
    cr_assert_eq(list->total, 1);
    store_message_list_free(list);

    /* Reactions: non-member, repeat, unknown, the events. */
    cr_assert_eq(messages_react(store, room->uuid, message_uuid, users[2], "👍", true, &evs),
                 HE_UNKNOWN_ROOM);
    cr_assert_eq(messages_react(store, room->uuid, message_uuid, users[1], "👍", true, &evs), 0);
    cr_assert_eq(messages_react(store, room->uuid, message_uuid, users[1], "👍", true, &evs),
                 HE_EXISTS);
    cr_assert_eq(messages_react(store, room->uuid, message_uuid, users[0], "👍", false, &evs),
                 HE_NOT_FOUND);
    cr_assert_eq(messages_react(store, room->uuid, room->uuid, users[0], "👍", true, &evs),
                 HE_UNKNOWN_MESSAGE);
    cr_assert_eq(messages_react(store, room->uuid, message_uuid, users[1], "👍", false, &evs), 0);
    cr_assert_eq(evs.count, 2);
    cr_assert_str_eq(evs.items[0]->name, RENDER_EV_REACTION_CREATED);
    cr_assert_str_eq(evs.items[1]->name, RENDER_EV_REACTION_DELETED);
    cr_assert_lt(evs.items[0]->seq, evs.items[1]->seq);
    json_t *p = json_loadb(evs.items[0]->payload, evs.items[0]->payload_len, 0, NULL);
    cr_assert_str_eq(json_string_value(json_object_get(p, "message_uuid")), message_uuid);
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(p, "data"), "emoji")), "👍");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(p, "data"), "user_uuid")),
                     users[1]);
    json_decref(p);
    render_events_release(&evs);
    store_room_free(room);
}

Test(messages, search_words_are_folded_and_split)
{
    char **words = NULL;
    size_t n = 99;
    cr_assert_eq(messages_search_words("  Élan\tVITAL  café ", 21, &words, &n), 0);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(words[0], "elan");
    cr_assert_str_eq(words[1], "vital");
    cr_assert_str_eq(words[2], "cafe");
    cr_assert_null(words[3]);
    free(words);
    cr_assert_eq(messages_search_words("   ", 3, &words, &n), 0);
    cr_assert_eq(n, 0);
    free(words);
    cr_assert_eq(messages_search_words("\xff", 1, &words, &n), HE_INVAL);
}

Test(presences, tenant_scoped_with_tenant_event, .init = setup, .fini = teardown)
{
    struct render_events evs = {0};
    struct store_presence *p = NULL;
    cr_assert_eq(presences_get(store, tenant, users[4], &p), HE_UNKNOWN_USER);
    cr_assert_eq(presences_put(store, tenant, users[4], "away", NULL, &evs), HE_UNKNOWN_USER);
    cr_assert_eq(presences_put(store, tenant, users[1], "busy", NULL, &evs), HE_INVAL);
    cr_assert_eq(presences_get(store, tenant, users[1], &p), 0);
    cr_assert_str_eq(p->state, "unavailable");
    cr_assert_eq(p->last_activity, 0);
    store_presence_free(p);
    cr_assert_eq(presences_put(store, tenant, users[1], "away", "lunch", &evs), 0);
    cr_assert_eq(evs.count, 1);
    struct store_event *ev = evs.items[0];
    cr_assert_str_eq(ev->name, RENDER_EV_PRESENCE_UPDATED);
    cr_assert(ev->tenant_wide);
    cr_assert_str_eq(ev->tenant_uuid, tenant);
    cr_assert_eq(ev->n_recipients, 1);
    cr_assert_str_eq(ev->recipients[0], users[1]);
    json_t *j = json_loadb(ev->payload, ev->payload_len, 0, NULL);
    cr_assert_str_eq(json_string_value(json_object_get(j, "uuid")), users[1]);
    cr_assert_str_eq(json_string_value(json_object_get(j, "state")), "away");
    cr_assert_str_eq(json_string_value(json_object_get(j, "status")), "lunch");
    cr_assert(json_is_array(json_object_get(j, "lines")));
    json_decref(j);
    render_events_release(&evs);
    struct store_presence_list *l = NULL;
    char only[1][UUID_STR_LEN];
    memcpy(only[0], users[1], UUID_STR_LEN);
    cr_assert_eq(presences_list(store, tenant, (const char(*)[UUID_STR_LEN])only, 1, &l), 0);
    cr_assert_eq(l->count, 1);
    cr_assert_str_eq(l->items[0].state, "away");
    cr_assert_eq(l->total, 4);
    store_presence_list_free(l);
}
