#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "domain/acl.h"
#include "events/bus.h"
#include "events/envelope.h"
#include "store/store.h"
#include "ws/ws.h"

#define W "11111111-2222-4333-8444-555555555555"
#define T "7a7a7a7a-2222-4333-8444-555555555555"
#define T2 "7b7b7b7b-2222-4333-8444-555555555555"
#define R "a1a1a1a1-bbbb-4ccc-8ddd-eeeeeeeeeeee"
#define UA "aaaaaaaa-1111-4222-8333-444455556666"
#define UB "bbbbbbbb-1111-4222-8333-444455556666"
#define UC "cccccccc-1111-4222-8333-444455556666"
#define ADM "dddddddd-1111-4222-8333-444455556666"

/* A fake session: keeps what the bus handed it (the template and insert, and the message
 * they make, as ws_session_send_spliced would send it). */
struct sink {
    size_t count;
    struct ws_payload *frames[16]; /* the messages */
    struct ws_payload *tmpl[16];   /* what the bus handed over */
    char insert[16][WS_INSERT_MAX + 1];
};

static void deliver(void *arg, struct ws_payload *frame, const char *insert, size_t insert_len)
{
    struct sink *s = arg;
    cr_assert_lt(s->count, 16u);
    cr_assert_leq(insert_len, WS_INSERT_MAX);
    cr_assert((insert == NULL) == (insert_len == 0));
    s->tmpl[s->count] = ws_payload_ref(frame);
    memcpy(s->insert[s->count], insert ? insert : "", insert_len);
    s->insert[s->count][insert_len] = '\0';
    s->frames[s->count++] = ws_payload_splice(frame, insert, insert_len);
}

static void sink_release(struct sink *s)
{
    for (size_t i = 0; i < s->count; i++) {
        ws_payload_unref(s->frames[i]);
        ws_payload_unref(s->tmpl[i]);
    }
    memset(s, 0, sizeof(*s));
}

static json_t *frame_json(const struct sink *s, size_t i)
{
    cr_assert_lt(i, s->count);
    json_error_t err;
    json_t *j = json_loadb(ws_payload_data(s->frames[i]), ws_payload_len(s->frames[i]),
                           JSON_REJECT_DUPLICATES, &err);
    cr_assert_not_null(j, "not JSON: %s", err.text);
    return j;
}

static struct bus_sub *sub_for(struct bus *bus, struct sink *sink, int version, const char *user,
                               const char *tenant, bool admin, const char *const *acl, size_t n,
                               const char *event)
{
    struct bus_sub *sub = bus_sub_new(bus, version, deliver, sink);
    struct bus_identity id = {.user_uuid = user,
                              .tenant_uuid = tenant,
                              .session_uuid = "",
                              .admin = admin,
                              .acl = acl,
                              .n_acl = n};
    bus_sub_set_identity(sub, &id);
    cr_assert_eq(bus_sub_subscribe(sub, event), 0);
    bus_sub_start(sub);
    return sub;
}

static struct bus_sub *user_sub(struct bus *bus, struct sink *sink, const char *user)
{
    return sub_for(bus, sink, 2, user, T, false, acl_user_policy, acl_user_policy_len, "*");
}

static struct store_event *message_event(int64_t seq, const char *const *recipients, size_t n)
{
    struct store_event *ev = xcalloc(1, sizeof(*ev));
    ev->seq = seq;
    ev->name = xstrdup("chatd_user_room_message_created");
    memcpy(ev->tenant_uuid, T, sizeof(T));
    memcpy(ev->room_uuid, R, sizeof(R));
    ev->recipients = xcalloc(n, UUID_STR_LEN);
    for (size_t i = 0; i < n; i++) {
        memcpy(ev->recipients[i], recipients[i], UUID_STR_LEN);
    }
    ev->n_recipients = n;
    ev->payload = xstrdup("{\"content\":\"hello\"}");
    ev->payload_len = strlen(ev->payload);
    ev->created_at = 1714550400000000;
    return ev;
}

static struct store_event *presence_event(int64_t seq, const char *tenant, const char *user)
{
    struct store_event *ev = xcalloc(1, sizeof(*ev));
    ev->seq = seq;
    ev->name = xstrdup("chatd_presence_updated");
    memcpy(ev->tenant_uuid, tenant, UUID_STR_LEN);
    ev->tenant_wide = true;
    ev->recipients = xcalloc(1, UUID_STR_LEN);
    memcpy(ev->recipients[0], user, UUID_STR_LEN);
    ev->n_recipients = 1;
    ev->payload = xasprintf("{\"uuid\":\"%s\",\"state\":\"away\"}", user);
    ev->payload_len = strlen(ev->payload);
    return ev;
}

static void publish(struct bus *bus, struct store_event *ev)
{
    struct envelope *env = NULL;
    cr_assert_eq(bus_envelope_from_store(ev, W, &env), 0);
    bus_publish(bus, ev, env);
}

/* Ends a test: frees its subscriptions first (nothing is delivered after that), then the
 * frames its sinks hold, then the bus. Both lists end with NULL (SUBS, SINKS). */
static void teardown(struct bus *bus, struct bus_sub *const *subs, struct sink *const *sinks)
{
    for (size_t i = 0; subs[i] != NULL; i++) {
        bus_sub_free(subs[i]);
    }
    for (size_t i = 0; sinks[i] != NULL; i++) {
        sink_release(sinks[i]);
    }
    bus_free(bus);
}
#define SUBS(...) ((struct bus_sub *const[]){__VA_ARGS__, NULL})
#define SINKS(...) ((struct sink *const[]){__VA_ARGS__, NULL})

Test(bus, user_event_reaches_only_its_recipients_after_start)
{
    struct bus *bus = bus_new(NULL);
    struct sink a = {0}, b = {0}, c = {0}, late = {0};
    struct bus_sub *sa = user_sub(bus, &a, UA);
    struct bus_sub *sb = user_sub(bus, &b, UB);
    struct bus_sub *sc = user_sub(bus, &c, UC);
    /* a second session of A that has not sent start */
    struct bus_sub *sl = bus_sub_new(bus, 2, deliver, &late);
    struct bus_identity id = {
        .user_uuid = UA, .tenant_uuid = T, .acl = acl_user_policy, .n_acl = acl_user_policy_len};
    bus_sub_set_identity(sl, &id);
    cr_assert_eq(bus_sub_subscribe(sl, "*"), 0);

    const char *const members[] = {UA, UB};
    publish(bus, message_event(1, members, 2));
    cr_expect_eq(a.count, 1u);
    cr_expect_eq(b.count, 1u);
    cr_expect_eq(c.count, 0u, "C is not a member");
    cr_expect_eq(late.count, 0u, "events before start are dropped");

    json_t *j = frame_json(&a, 0);
    cr_expect_str_eq(json_string_value(json_object_get(j, "op")), "event");
    cr_expect_eq(json_integer_value(json_object_get(j, "seq")), 1);
    json_t *d = json_object_get(j, "data");
    cr_expect(json_is_true(json_object_get(d, "user_uuid:" UA)));
    cr_expect_null(json_object_get(d, "user_uuid:" UB));
    cr_expect_str_eq(json_string_value(json_object_get(d, "required_acl")),
                     "events.chatd.users." UA ".rooms." R ".messages.created");
    cr_expect_str_eq(json_string_value(json_object_get(d, "room_uuid")), R);
    cr_expect_str_eq(json_string_value(json_object_get(d, "origin_uuid")), W);
    json_decref(j);
    j = frame_json(&b, 0);
    cr_expect(json_is_true(json_object_get(json_object_get(j, "data"), "user_uuid:" UB)));
    json_decref(j);

    bus_sub_start(sl);
    publish(bus, message_event(2, members, 2));
    cr_expect_eq(late.count, 1u);
    /* both sessions of A share one template and insert, B's the same template */
    cr_expect_eq(a.tmpl[1], late.tmpl[0]);
    cr_expect_str_eq(late.insert[0], UA);
    cr_expect_eq(b.tmpl[1], a.tmpl[1]);
    cr_expect_str_eq(b.insert[1], UB);
    struct bus_stats st;
    bus_get_stats(bus, &st);
    cr_expect_eq(st.frames, 2u, "one template per event");
    cr_expect_eq(st.deliveries, 5u);

    teardown(bus, SUBS(sa, sb, sc, sl), SINKS(&a, &b, &c, &late));
}

Test(bus, subscriptions_and_acl_filter)
{
    struct bus *bus = bus_new(NULL);
    struct sink named = {0}, other = {0}, noacl = {0}, foreign = {0};
    struct bus_sub *s1 = sub_for(bus, &named, 2, UA, T, false, acl_user_policy, acl_user_policy_len,
                                 "chatd_user_room_message_created");
    struct bus_sub *s2 = sub_for(bus, &other, 2, UA, T, false, acl_user_policy, acl_user_policy_len,
                                 "chatd_user_room_created");
    static const char *const narrow[] = {"websocketd", "events.chatd.users.me.rooms.created"};
    struct bus_sub *s3 = sub_for(bus, &noacl, 2, UA, T, false, narrow, 2, "*");
    /* same user uuid filed under another tenant: never receives this tenant's events */
    struct bus_sub *s4 =
        sub_for(bus, &foreign, 2, UA, T2, false, acl_user_policy, acl_user_policy_len, "*");
    const char *const members[] = {UA};
    publish(bus, message_event(1, members, 1));
    cr_expect_eq(named.count, 1u);
    cr_expect_eq(other.count, 0u, "not subscribed to that name");
    cr_expect_eq(noacl.count, 0u, "ACL does not grant messages.created");
    cr_expect_eq(foreign.count, 0u, "other tenant");
    teardown(bus, SUBS(s1, s2, s3, s4), SINKS(&named, &other, &noacl, &foreign));
}

Test(bus, tenant_event_reaches_the_tenant_once)
{
    struct bus *bus = bus_new(NULL);
    struct sink a = {0}, b = {0}, x = {0}, narrow = {0};
    struct bus_sub *sa = user_sub(bus, &a, UA);
    struct bus_sub *sb = user_sub(bus, &b, UB);
    struct bus_sub *sx =
        sub_for(bus, &x, 2, UC, T2, false, acl_user_policy, acl_user_policy_len, "*");
    static const char *const own[] = {"events.chatd.users.me.presences.updated"};
    struct bus_sub *sn = sub_for(bus, &narrow, 2, UC, T, false, own, 1, "*");
    publish(bus, presence_event(7, T, UB));
    cr_expect_eq(a.count, 1u);
    cr_expect_eq(b.count, 1u);
    cr_expect_eq(x.count, 0u, "other tenant");
    cr_expect_eq(narrow.count, 0u, "ACL covers only its own presence");
    cr_expect_eq(a.tmpl[0], b.tmpl[0], "one frame for the whole tenant");
    cr_expect_str_eq(a.insert[0], "", "nothing to insert in a tenant event");
    json_t *j = frame_json(&a, 0);
    json_t *d = json_object_get(j, "data");
    cr_expect(json_is_true(json_object_get(d, "user_uuid:*")));
    cr_expect_str_eq(json_string_value(json_object_get(d, "required_acl")),
                     "events.chatd.users." UB ".presences.updated");
    json_decref(j);
    teardown(bus, SUBS(sa, sb, sx, sn), SINKS(&a, &b, &x, &narrow));
}

Test(bus, admin_gets_one_copy_per_recipient)
{
    struct bus *bus = bus_new(NULL);
    struct sink adm = {0}, a = {0};
    struct bus_sub *sadm =
        sub_for(bus, &adm, 2, ADM, T, true, acl_admin_policy, acl_admin_policy_len, "*");
    struct bus_sub *sa = user_sub(bus, &a, UA);
    const char *const members[] = {UA, UB, ADM};
    publish(bus, message_event(1, members, 3));
    cr_expect_eq(a.count, 1u);
    cr_assert_eq(adm.count, 3u, "one copy per recipient, its own included");
    const char *keys[] = {"user_uuid:" UA, "user_uuid:" UB, "user_uuid:" ADM};
    for (size_t i = 0; i < 3; i++) {
        json_t *j = frame_json(&adm, i);
        cr_expect(json_is_true(json_object_get(json_object_get(j, "data"), keys[i])));
        json_decref(j);
    }
    cr_expect_eq(a.tmpl[0], adm.tmpl[0], "the recipient's frame is shared with admins");
    cr_expect_str_eq(adm.insert[0], UA);
    teardown(bus, SUBS(sadm, sa), SINKS(&adm, &a));
}

Test(bus, v1_sessions_get_the_bus_message_only)
{
    struct bus *bus = bus_new(NULL);
    struct sink v1 = {0}, v2 = {0};
    struct bus_sub *s1 =
        sub_for(bus, &v1, 1, UA, T, false, acl_user_policy, acl_user_policy_len, "*");
    struct bus_sub *s2 = user_sub(bus, &v2, UA);
    const char *const members[] = {UA};
    publish(bus, message_event(3, members, 1));
    cr_assert_eq(v1.count, 1u);
    json_t *j1 = frame_json(&v1, 0);
    json_t *j2 = frame_json(&v2, 0);
    cr_expect_null(json_object_get(j1, "op"));
    cr_expect_str_eq(json_string_value(json_object_get(j1, "name")),
                     "chatd_user_room_message_created");
    cr_expect(json_equal(j1, json_object_get(j2, "data")));
    json_decref(j1);
    json_decref(j2);
    teardown(bus, SUBS(s1, s2), SINKS(&v1, &v2));
}

Test(bus, renewal_moves_a_session_to_the_new_user)
{
    struct bus *bus = bus_new(NULL);
    struct sink a = {0};
    struct bus_sub *s = user_sub(bus, &a, UA);
    struct bus_identity id = {
        .user_uuid = UB, .tenant_uuid = T, .acl = acl_user_policy, .n_acl = acl_user_policy_len};
    bus_sub_set_identity(s, &id);
    const char *const to_a[] = {UA};
    const char *const to_b[] = {UB};
    publish(bus, message_event(1, to_a, 1));
    cr_expect_eq(a.count, 0u);
    publish(bus, message_event(2, to_b, 1));
    cr_expect_eq(a.count, 1u);
    teardown(bus, SUBS(s), SINKS(&a));
}

Test(bus, duplicates_are_dropped_once_dedupe_is_on)
{
    struct bus *bus = bus_new(NULL);
    struct sink a = {0};
    struct bus_sub *s = user_sub(bus, &a, UA);
    const char *const to_a[] = {UA};
    publish(bus, message_event(5, to_a, 1));
    publish(bus, message_event(5, to_a, 1));
    cr_expect_eq(a.count, 2u, "no dedupe without a relay");

    bus_dedupe_start(bus, -1);
    publish(bus, message_event(100000, to_a, 1));
    publish(bus, message_event(100000, to_a, 1));
    cr_expect_eq(a.count, 3u);
    cr_expect(bus_seq_seen(bus, 100000));
    cr_expect_not(bus_seq_seen(bus, 100001));
    bus_seq_advance(bus, 100002);
    cr_expect(bus_seq_seen(bus, 100001));
    publish(bus, message_event(100001, to_a, 1));
    cr_expect_eq(a.count, 3u, "below the floor");
    publish(bus, message_event(100003, to_a, 1));
    cr_expect_eq(a.count, 4u);
    /* far ahead: the window slides instead of refusing */
    publish(bus, message_event(100003 + 3 * BUS_SEQ_WINDOW, to_a, 1));
    cr_expect_eq(a.count, 5u);
    cr_expect(bus_seq_seen(bus, 100003 + 3 * BUS_SEQ_WINDOW));
    struct bus_stats st;
    bus_get_stats(bus, &st);
    cr_expect_eq(st.duplicates, 2u);
    teardown(bus, SUBS(s), SINKS(&a));
}

Test(bus, subscription_limits)
{
    struct bus *bus = bus_new(NULL);
    struct sink a = {0};
    struct bus_sub *s = bus_sub_new(bus, 2, deliver, &a);
    char name[BUS_EVENT_NAME_MAX + 2];
    memset(name, 'x', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    cr_expect_eq(bus_sub_subscribe(s, name), HE_INVAL);
    for (int i = 0; i < BUS_SUB_NAMES_MAX; i++) {
        char n[32];
        snprintf(n, sizeof(n), "event_%d", i);
        cr_assert_eq(bus_sub_subscribe(s, n), 0);
    }
    cr_expect_eq(bus_sub_subscribe(s, "event_0"), 0, "already there");
    cr_expect_eq(bus_sub_subscribe(s, "one_more"), HE_BUSY);
    cr_expect_eq(bus_sub_subscribe(s, "*"), 0);
    teardown(bus, SUBS(s), SINKS(&a));
}

Test(bus, remembered_acl_decisions_follow_the_token)
{
    struct bus *bus = bus_new(NULL);
    struct sink a = {0};
    struct bus_sub *s = user_sub(bus, &a, UA);
    const char *const to_a[] = {UA};
    publish(bus, message_event(1, to_a, 1));
    publish(bus, message_event(2, to_a, 1));
    cr_expect_eq(a.count, 2u);
    /* a renewal with a token that no longer grants room messages: the memo must not say yes */
    static const char *const narrow[] = {"websocketd", "events.chatd.users.me.rooms.created"};
    struct bus_identity id = {.user_uuid = UA, .tenant_uuid = T, .acl = narrow, .n_acl = 2};
    bus_sub_set_identity(s, &id);
    publish(bus, message_event(3, to_a, 1));
    cr_expect_eq(a.count, 2u);
    teardown(bus, SUBS(s), SINKS(&a));
}

Test(bus, a_malformed_recipient_gets_nothing)
{
    struct bus *bus = bus_new(NULL);
    struct sink a = {0}, adm = {0};
    struct bus_sub *s = user_sub(bus, &a, UA);
    struct bus_sub *sadm =
        sub_for(bus, &adm, 2, ADM, T, true, acl_admin_policy, acl_admin_policy_len, "*");
    const char *const bad[] = {"AAAAAAAA-1111-4222-8333-444455556666", UA};
    publish(bus, message_event(1, bad, 2));
    cr_expect_eq(a.count, 1u, "the good recipient still gets its frame");
    cr_expect_eq(adm.count, 1u, "no copy for the malformed one");
    teardown(bus, SUBS(s, sadm), SINKS(&a, &adm));
}

static struct store_event *room_message_event(int64_t seq, const char *room, const char *user)
{
    struct store_event *ev = message_event(seq, &user, 1);
    memcpy(ev->room_uuid, room, UUID_STR_LEN);
    return ev;
}

Test(bus, remembered_acl_decisions_are_per_room_template)
{
    struct bus *bus = bus_new(NULL);
    struct sink a = {0};
    /* A token granting the messages of room R only: every other room's template is refused. */
    static const char *const only_r[] = {"websocketd", "events.chatd.users.me.rooms." R ".#"};
    struct bus_sub *s = sub_for(bus, &a, 2, UA, T, false, only_r, 2, "*");
    char rooms[6][UUID_STR_LEN];
    for (int i = 0; i < 6; i++) {
        snprintf(rooms[i], sizeof(rooms[i]), "%08x-bbbb-4ccc-8ddd-eeeeeeeeeeee",
                 i == 0 ? 0xa1a1a1a1u : (unsigned)i);
    }
    cr_assert_str_eq(rooms[0], R);
    /* more rooms than memo slots, several rounds, so that every slot is reused */
    int64_t seq = 1;
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 6; i++) {
            publish(bus, room_message_event(seq++, rooms[i], UA));
        }
    }
    cr_expect_eq(a.count, 3u, "only room R's three messages");
    teardown(bus, SUBS(s), SINKS(&a));
}

Test(bus, decisions_stay_right_past_the_intern_table_size)
{
    struct bus *bus = bus_new(NULL);
    struct sink a = {0};
    static const char *const only_r[] = {"websocketd", "events.chatd.users.me.rooms." R ".#"};
    struct bus_sub *s = sub_for(bus, &a, 2, UA, T, false, only_r, 2, "*");
    /* R, then 5,000 other rooms (the bus forgets its interned templates past 4,096), then R. */
    publish(bus, room_message_event(1, R, UA));
    char room[UUID_STR_LEN];
    for (int i = 0; i < 5000; i++) {
        snprintf(room, sizeof(room), "%08x-cccc-4ccc-8ddd-eeeeeeeeeeee", i);
        publish(bus, room_message_event(2 + i, room, UA));
    }
    publish(bus, room_message_event(6000, R, UA));
    cr_expect_eq(a.count, 2u);
    teardown(bus, SUBS(s), SINKS(&a));
}

Test(bus, a_later_subscription_is_not_hidden_by_a_remembered_refusal)
{
    struct bus *bus = bus_new(NULL);
    struct sink a = {0};
    struct bus_sub *s = sub_for(bus, &a, 2, UA, T, false, acl_user_policy, acl_user_policy_len,
                                "chatd_presence_updated");
    const char *const to_a[] = {UA};
    publish(bus, message_event(1, to_a, 1));
    cr_expect_eq(a.count, 0u, "not subscribed to messages");
    cr_assert_eq(bus_sub_subscribe(s, "chatd_user_room_message_created"), 0);
    publish(bus, message_event(2, to_a, 1));
    cr_expect_eq(a.count, 1u);
    teardown(bus, SUBS(s), SINKS(&a));
}
