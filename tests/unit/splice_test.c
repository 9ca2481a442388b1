/* Frame templates (events/envelope.h) spliced by the ws layer (ws/ws.h) give the frames
 * envelope_frame_write() builds, for user events (uuid in two places) and tenant events. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "events/envelope.h"
#include "ws/ws.h"

#define W "11111111-2222-4333-8444-555555555555"
#define T "7a7a7a7a-2222-4333-8444-555555555555"
#define R "a1a1a1a1-bbbb-4ccc-8ddd-eeeeeeeeeeee"
#define U1 "6d0f3c9a-1111-4222-8333-444455556666"

static struct envelope *event(enum envelope_target target, const char *acl)
{
    static const char payload[] = "{\"content\":\"hello\"}";
    struct envelope_spec spec = {
        .target = target,
        .name = "chatd_user_room_message_created",
        .origin_uuid = W,
        .tenant_uuid = T,
        .timestamp = "2024-05-01T08:00:01.456789",
        .required_acl = acl,
        .payload = payload,
        .payload_len = strlen(payload),
        .seq = 7,
    };
    struct envelope *ev = NULL;
    cr_assert_eq(envelope_new(&spec, &ev), 0);
    return ev;
}

static struct ws_payload *template_of(const struct envelope *ev, size_t *ncuts)
{
    const char *base;
    size_t len;
    size_t cuts[ENVELOPE_CUTS_MAX];
    *ncuts = envelope_frame_template(ev, &base, &len, cuts);
    char *data;
    struct ws_payload *p = ws_payload_alloc_spliced(len, cuts, *ncuts, &data);
    memcpy(data, base, len);
    return p;
}

static void expect_same_frame(const struct envelope *ev, const char *user, size_t want_cuts)
{
    size_t ncuts;
    struct ws_payload *tmpl = template_of(ev, &ncuts);
    cr_assert_eq(ncuts, want_cuts);
    size_t cuts[WS_SPLICE_MAX];
    cr_assert_eq(ws_payload_cuts(tmpl, cuts), want_cuts);
    struct ws_payload *spliced = ws_payload_splice(tmpl, user, user ? strlen(user) : 0);
    size_t len;
    char *want = envelope_frame_dup(ev, user, &len);
    cr_assert_not_null(want);
    cr_assert_eq(ws_payload_len(spliced), len);
    cr_assert_eq(memcmp(ws_payload_data(spliced), want, len), 0, "%.*s", (int)len, want);
    free(want);
    ws_payload_unref(spliced);
    ws_payload_unref(tmpl);
}

Test(splice, user_event_with_the_recipient_in_its_acl)
{
    struct envelope *ev =
        event(ENVELOPE_USER, "events.chatd.users.{user}.rooms." R ".messages.created");
    expect_same_frame(ev, U1, 2);
    envelope_unref(ev);
}

Test(splice, user_event_with_a_fixed_acl_or_none)
{
    struct envelope *ev = event(ENVELOPE_USER, "events.fixed");
    expect_same_frame(ev, U1, 1);
    envelope_unref(ev);
    ev = event(ENVELOPE_USER, NULL);
    expect_same_frame(ev, U1, 1);
    envelope_unref(ev);
}

Test(splice, tenant_event_has_no_cut)
{
    struct envelope *ev = event(ENVELOPE_TENANT, "events.fixed");
    expect_same_frame(ev, NULL, 0);
    envelope_unref(ev);
}

Test(splice, a_plain_payload_splices_to_itself)
{
    struct ws_payload *p = ws_payload_new("abc", 3);
    size_t cuts[WS_SPLICE_MAX];
    cr_assert_eq(ws_payload_cuts(p, cuts), 0);
    struct ws_payload *q = ws_payload_splice(p, "zz", 2);
    cr_assert_eq(ws_payload_len(q), 3);
    cr_assert_eq(memcmp(ws_payload_data(q), "abc", 3), 0);
    ws_payload_unref(q);
    ws_payload_unref(p);
}
