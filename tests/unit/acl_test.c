#include <criterion/criterion.h>
#include <string.h>

#include "base/alloc.h"
#include "domain/acl.h"

#define U "6d0f3c9a-1111-4222-8333-444455556666"
#define OTHER "0b0b0b0b-1111-4222-8333-444455556666"
#define S "5e5e5e5e-aaaa-4bbb-8ccc-dddddddddddd"
#define R "a1a1a1a1-bbbb-4ccc-8ddd-eeeeeeeeeeee"

static bool m(const char *pattern, const char *required)
{
    return acl_pattern_match(pattern, required, U, S);
}

Test(acl, literal_pattern_matches_only_itself)
{
    cr_assert(m("websocketd", "websocketd"));
    cr_assert_not(m("websocketd", "websocketd2"));
    cr_assert_not(m("websocketd", "websocket"));
    cr_assert_not(m("chatd.status.read", "chatd.status"));
}

Test(acl, star_matches_one_segment)
{
    cr_assert(m("chatd.users.*.presences.read", "chatd.users." OTHER ".presences.read"));
    cr_assert_not(m("chatd.users.*.presences.read", "chatd.users.a.b.presences.read"));
    cr_assert_not(m("chatd.*", "chatd.users.read"));
    cr_assert(m("chatd.*", "chatd.x"));
    /* Inside a segment, `*` is a glob, as in xivo's regex translation. */
    cr_assert(m("chatd.us*.read", "chatd.users.read"));
    cr_assert_not(m("chatd.us*.read", "chatd.rooms.read"));
}

Test(acl, hash_matches_any_remainder_but_needs_its_dot)
{
    cr_assert(m("chatd.#", "chatd.users.me.rooms.read"));
    cr_assert(m("chatd.#", "chatd.x"));
    cr_assert_not(m("chatd.#", "chatd"));
    cr_assert_not(m("chatd.#", "chatdx.read"));
    cr_assert(m("#", "anything.at.all"));
    cr_assert(m("dird.#.me.read", "dird.a.b.c.me.read"));
    cr_assert(m("dird.#.me.read", "dird.a." U ".read"));
    cr_assert_not(m("dird.#.me.read", "dird.a.b.c.me.write"));
}

Test(acl, me_matches_literal_me_or_the_user_uuid)
{
    cr_assert(m("chatd.users.me.rooms.#", "chatd.users.me.rooms.create"));
    cr_assert(m("chatd.users.me.rooms.#", "chatd.users." U ".rooms.create"));
    cr_assert_not(m("chatd.users.me.rooms.#", "chatd.users." OTHER ".rooms.create"));
    cr_assert(m("events.chatd.users.me.rooms.#",
                "events.chatd.users." U ".rooms." R ".messages.created"));
    cr_assert_not(m("events.chatd.users.me.rooms.#",
                    "events.chatd.users." OTHER ".rooms." R ".messages.created"));
    /* `me` as the last segment too. */
    cr_assert(m("events.calls.me", "events.calls." U));
    /* Only a whole segment is special. */
    cr_assert_not(m("chatd.users.mex.read", "chatd.users." U "x.read"));
    /* Without a user, `me` matches only itself. */
    cr_assert_not(acl_pattern_match("chatd.users.me.read", "chatd.users." U ".read", NULL, NULL));
    cr_assert(acl_pattern_match("chatd.users.me.read", "chatd.users.me.read", NULL, NULL));
}

Test(acl, my_session_matches_the_session_uuid)
{
    cr_assert(m("auth.sessions.my_session.delete", "auth.sessions." S ".delete"));
    cr_assert(m("auth.sessions.my_session.delete", "auth.sessions.my_session.delete"));
    cr_assert_not(m("auth.sessions.my_session.delete", "auth.sessions." U ".delete"));
}

Test(acl, edit_matches_update)
{
    cr_assert(m("chatd.users.me.presences.edit", "chatd.users.me.presences.update"));
    cr_assert(m("chatd.users.me.presences.edit", "chatd.users.me.presences.edit"));
    cr_assert_not(m("chatd.users.me.presences.update", "chatd.users.me.presences.edit"));
}

Test(acl, negative_pattern_wins)
{
    const char *acl[] = {"chatd.#", "!chatd.users.me.rooms.*.messages.create"};
    cr_assert(acl_check(acl, 2, "chatd.users.me.rooms.create", U, S));
    cr_assert_not(acl_check(acl, 2, "chatd.users.me.rooms." R ".messages.create", U, S));
    cr_assert_not(acl_check(acl, 2, "chatd.users." U ".rooms." R ".messages.create", U, S));
    /* Order does not matter. */
    const char *acl2[] = {"!chatd.status.read", "chatd.#"};
    cr_assert_not(acl_check(acl2, 2, "chatd.status.read", U, S));
    cr_assert(acl_check(acl2, 2, "chatd.config.read", U, S));
}

Test(acl, null_required_is_granted_and_empty_list_refuses)
{
    cr_assert(acl_check(NULL, 0, NULL, U, S));
    cr_assert_not(acl_check(NULL, 0, "websocketd", U, S));
}

Test(acl, overlong_required_is_refused)
{
    char big[ACL_MAX_LEN + 10];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    const char *acl[] = {"#"};
    cr_assert_not(acl_check(acl, 1, big, U, S));
    big[ACL_MAX_LEN] = '\0';
    cr_assert(acl_check(acl, 1, big, U, S));
}

Test(acl, hostile_pattern_is_fast_and_correct)
{
    /* Exponential for a naive backtracker; linear passes here. */
    const char *p = "#a#a#a#a#a#a#a#a#a#a#a#a#a#a#a#a#a#a#a#a#a#a#a#a#b";
    char req[600];
    memset(req, 'a', sizeof(req) - 1);
    req[sizeof(req) - 1] = '\0';
    cr_assert_not(m(p, req));
    req[sizeof(req) - 2] = 'b';
    cr_assert(m(p, req));
}

Test(acl, stock_user_policy)
{
    const char *const *p = acl_user_policy;
    size_t n = acl_user_policy_len;
    cr_assert(acl_check(p, n, "websocketd", U, S));
    cr_assert(acl_check(p, n, "chatd.users.me.rooms.create", U, S));
    cr_assert(acl_check(p, n, "chatd.users.me.rooms.read", U, S));
    cr_assert(acl_check(p, n, "chatd.users.me.rooms." R ".messages.read", U, S));
    cr_assert(acl_check(p, n, "chatd.users.me.rooms.messages.read", U, S));
    cr_assert(acl_check(p, n, "chatd.users." OTHER ".presences.read", U, S));
    cr_assert(acl_check(p, n, "chatd.users.presences.read", U, S));
    cr_assert(acl_check(p, n, "chatd.users." U ".presences.update", U, S));
    cr_assert_not(acl_check(p, n, "chatd.users." OTHER ".presences.update", U, S));
    cr_assert(acl_check(p, n, "events.chatd.users." U ".rooms.created", U, S));
    cr_assert(acl_check(p, n, "events.chatd.users." U ".rooms." R ".messages.created", U, S));
    cr_assert_not(
        acl_check(p, n, "events.chatd.users." OTHER ".rooms." R ".messages.created", U, S));
    cr_assert(acl_check(p, n, "events.chatd.users." OTHER ".presences.updated", U, S));
    cr_assert_not(acl_check(p, n, "chatd.status.read", U, S));
    cr_assert_not(acl_check(p, n, "auth.users.create", U, S));
}

Test(acl, stock_admin_policy)
{
    const char *const *p = acl_admin_policy;
    size_t n = acl_admin_policy_len;
    cr_assert(acl_check(p, n, "websocketd", U, S));
    cr_assert(acl_check(p, n, "chatd.status.read", U, S));
    cr_assert(acl_check(p, n, "auth.users.create", U, S));
    cr_assert(acl_check(p, n, "events.chatd.users." OTHER ".rooms." R ".messages.created", U, S));
}

Test(acl, format_replaces_dots_in_params)
{
    char out[128];
    const char *params[] = {"a.b.c"};
    cr_assert_eq(acl_format(out, sizeof(out), "chatd.users.me.rooms.{}.messages.read", params, 1),
                 0);
    cr_assert_str_eq(out, "chatd.users.me.rooms.a_b_c.messages.read");
    const char *two[] = {U, R};
    cr_assert_eq(acl_format(out, sizeof(out), "x.{}.y.{}", two, 2), 0);
    cr_assert_str_eq(out, "x." U ".y." R);
}

Test(acl, format_rejects_mismatch_and_overflow)
{
    char out[16];
    const char *params[] = {"room"};
    cr_assert_neq(acl_format(out, sizeof(out), "a.{}.{}", params, 1), 0);
    cr_assert_str_eq(out, "");
    cr_assert_neq(acl_format(out, sizeof(out), "a.b", params, 1), 0);
    cr_assert_neq(acl_format(out, sizeof(out), "a.very.long.template.{}", params, 1), 0);
    cr_assert_eq(acl_format(out, sizeof(out), "a.{}", params, 1), 0);
    cr_assert_str_eq(out, "a.room");
    /* Exactly fills the buffer: 15 characters and the NUL. */
    cr_assert_eq(acl_format(out, sizeof(out), "0123456789.{}", params, 1), 0);
    cr_assert_neq(acl_format(out, sizeof(out), "0123456789a.{}", params, 1), 0);
}
