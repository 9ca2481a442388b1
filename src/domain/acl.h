/*
 * acl: Wazo access patterns (wazo-api.md 1.6), the stock user and admin policies, and the
 * required-ACL strings of routes and events.
 *
 * A token carries a list of patterns; a route or an event names one required ACL. Patterns
 * and required ACLs are dot-separated. In a pattern, `*` matches any run of characters
 * without a dot (so, as a whole segment, exactly one segment), `#` matches any run of
 * characters, dots included (so `a.#` needs at least the dot after `a`). A whole segment
 * `me` (never the first) matches `me` or the token's user uuid, `my_session` matches
 * `my_session` or the token's session uuid, `edit` matches `edit` or `update` (the legacy
 * verb). A pattern starting with `!` is negative: when it matches, access is refused
 * whatever the positive patterns say. These are the rules of xivo's AccessCheck (regexes
 * built from the patterns), computed here without regexes and without backtracking.
 *
 * Everything is borrowed; nothing allocates. Any thread may call these functions.
 */
#ifndef HUARD_DOMAIN_ACL_H
#define HUARD_DOMAIN_ACL_H

#include <stdbool.h>
#include <stddef.h>

#include "base/alloc.h"

/* Longest required ACL acl_check() evaluates; a longer one never matches. */
#define ACL_MAX_LEN 1024

/** The stock policy of a Wazo user, chat subset (wazo-api.md 1.6). */
extern const char *const acl_user_policy[];
extern const size_t acl_user_policy_len;
/** The stock policy of an administrator: everything of auth, chatd and events. */
extern const char *const acl_admin_policy[];
extern const size_t acl_admin_policy_len;

/**
 * True when one pattern (without a leading `!`) matches required. user_uuid and
 * session_uuid may be NULL (then `me` and `my_session` match only themselves).
 */
bool acl_pattern_match(const char *pattern, const char *required, const char *user_uuid,
                       const char *session_uuid);

/**
 * True when the token's patterns grant required: no negative pattern matches and a
 * positive one does. A NULL required ACL is granted (an event whose `required_acl` is null
 * goes to everyone, wazo-api.md 4.7); a required ACL longer than ACL_MAX_LEN is refused.
 */
bool acl_check(const char *const *acl, size_t n, const char *required, const char *user_uuid,
               const char *session_uuid);

/**
 * Writes a required ACL from a template whose `{}` placeholders are replaced, in order, by
 * params with every `.` turned into `_` (path parameters must not add segments,
 * wazo-api.md 1.6), e.g. "chatd.users.me.rooms.{}.messages.read". Returns 0, or HE_INVAL
 * when the placeholders and nparams differ or the result does not fit in out (NUL included).
 */
int acl_format(char *out, size_t outsz, const char *tmpl, const char *const *params,
               size_t nparams) HU_MUST_CHECK;

#endif
