#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "events/catalog.h"
#include "store/store.h"

#define T "7a7a7a7a-2222-4333-8444-555555555555"
#define R "a1a1a1a1-bbbb-4ccc-8ddd-eeeeeeeeeeee"
#define U1 "6d0f3c9a-1111-4222-8333-444455556666"

static struct store_event event(const char *name, const char *room, bool tenant_wide,
                                const char *payload)
{
    struct store_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.name = (char *)name;
    memcpy(ev.tenant_uuid, T, sizeof(T));
    snprintf(ev.room_uuid, sizeof(ev.room_uuid), "%s", room);
    ev.tenant_wide = tenant_wide;
    ev.payload = (char *)payload;
    ev.payload_len = strlen(payload);
    return ev;
}

static void expect(const char *name, const char *room, bool tenant_wide, const char *payload,
                   enum envelope_target target, const char *acl, bool room_header)
{
    struct store_event ev = event(name, room, tenant_wide, payload);
    struct catalog_event ce;
    cr_assert_eq(catalog_describe(&ev, &ce), 0, "%s", name);
    cr_expect_eq(ce.target, target, "%s", name);
    cr_expect_str_eq(ce.required_acl, acl);
    cr_assert_eq(ce.nheaders, room_header ? 1u : 0u, "%s", name);
    if (room_header) {
        cr_expect_str_eq(ce.headers[0].key, "room_uuid");
        cr_expect_str_eq(ce.headers[0].value, R);
    }
}

Test(catalog, wazo_events_have_the_documented_acls)
{
    expect("chatd_user_room_created", R, false, "{}", ENVELOPE_USER,
           "events.chatd.users.{user}.rooms.created", false);
    expect("chatd_user_room_message_created", R, false, "{}", ENVELOPE_USER,
           "events.chatd.users.{user}.rooms." R ".messages.created", true);
    expect("chatd_users_room_message_reaction_created", R, false, "{}", ENVELOPE_USER,
           "events.chatd.users.{user}.rooms." R ".messages.reactions.created", true);
    expect("chatd_users_room_message_reaction_deleted", R, false, "{}", ENVELOPE_USER,
           "events.chatd.users.{user}.rooms." R ".messages.reactions.deleted", true);
    expect("chatd_presence_updated", "", true, "{\"uuid\":\"" U1 "\",\"state\":\"away\"}",
           ENVELOPE_TENANT, "events.chatd.users." U1 ".presences.updated", false);
}

Test(catalog, extension_names_map_to_room_collections)
{
    expect("chatd_user_room_message_updated", R, false, "{}", ENVELOPE_USER,
           "events.chatd.users.{user}.rooms." R ".messages.updated", true);
    expect("chatd_user_room_member_added", R, false, "{}", ENVELOPE_USER,
           "events.chatd.users.{user}.rooms." R ".members.added", true);
    expect("chatd_user_room_read_marker_updated", R, false, "{}", ENVELOPE_USER,
           "events.chatd.users.{user}.rooms." R ".read_markers.updated", true);
    expect("chatd_user_room_updated", R, false, "{}", ENVELOPE_USER,
           "events.chatd.users.{user}.rooms." R ".updated", true);
    cr_expect(catalog_known("chatd_user_room_message_deleted"));
    cr_expect(catalog_known("chatd_presence_updated"));
}

Test(catalog, refuses_what_does_not_fit)
{
    static const char *const unknown[] = {
        "chatd_user_room_message_exploded", /* verb not in the list */
        "chatd_user_room__created",         /* empty noun */
        "chatd_user_room_Message_created",  /* upper case */
        "chatd_user_room_a__b_created",     /* double underscore */
        "chatd_user_room_a.b_created",      /* would add an ACL segment */
        "auth_session_created",
        "",
    };
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        struct store_event ev = event(unknown[i], R, false, "{}");
        struct catalog_event ce;
        cr_expect_eq(catalog_describe(&ev, &ce), HE_INVAL, "%s", unknown[i]);
        cr_expect_not(catalog_known(unknown[i]), "%s", unknown[i]);
    }
    struct catalog_event ce;
    /* a room event without its room */
    struct store_event ev = event("chatd_user_room_message_created", "", false, "{}");
    cr_expect_eq(catalog_describe(&ev, &ce), HE_INVAL);
    /* target mismatch both ways */
    ev = event("chatd_user_room_message_created", R, true, "{}");
    cr_expect_eq(catalog_describe(&ev, &ce), HE_INVAL);
    ev = event("chatd_presence_updated", "", false, "{\"uuid\":\"" U1 "\"}");
    cr_expect_eq(catalog_describe(&ev, &ce), HE_INVAL);
    /* a presence whose subject is missing, not a string, or not a canonical uuid */
    static const char *const bad_presence[] = {
        "{}", "{\"uuid\":3}", "{\"uuid\":\"6D0F3C9A-1111-4222-8333-444455556666\"}",
        "{\"uuid\":\"x.y\"}", "not json"};
    for (size_t i = 0; i < sizeof(bad_presence) / sizeof(bad_presence[0]); i++) {
        ev = event("chatd_presence_updated", "", true, bad_presence[i]);
        cr_expect_eq(catalog_describe(&ev, &ce), HE_INVAL, "%s", bad_presence[i]);
    }
}
