#include "domain/acl.h"

#include <string.h>

#include "base/err.h"
#include "base/banned.h"

/*
 * Chat-relevant subset of wazo_default_user_policy (wazo-auth-keys 50-wazo-default.yml), the
 * ACLs a stock Wazo user token carries; Huard's extensions live under the same prefixes so
 * that these patterns cover them.
 */
/* clang-format off */
const char *const acl_user_policy[] = {
    "chatd.users.me.rooms.#",
    "chatd.users.me.presences.update",
    "chatd.users.*.presences.read",
    "chatd.users.presences.read",
    "events.chatd.users.me.rooms.#",
    "events.chatd.users.*.presences.updated",
    "events.chat.message.*.me.*",
    "websocketd",
};
/* clang-format on */
const size_t acl_user_policy_len = HU_ARRAY_LEN(acl_user_policy);

const char *const acl_admin_policy[] = {
    "auth.#",
    "chatd.#",
    "events.#",
    "websocketd",
};
const size_t acl_admin_policy_len = HU_ARRAY_LEN(acl_admin_policy);

/*
 * The match runs the pattern as an automaton over the set of positions of `required` that
 * the pattern prefix read so far can end at (reach[j]: required[0..j) matched). Each pattern
 * element maps one set to the next in O(len), so a hostile pattern full of `#` and `*`
 * costs O(pattern * required), never the exponential time of a backtracking matcher.
 */
struct acl_run {
    const char *s;
    size_t len;
    unsigned char a[ACL_MAX_LEN + 1];
    unsigned char b[ACL_MAX_LEN + 1];
    unsigned char *cur;
    unsigned char *next;
};

static bool acl_run_swap(struct acl_run *r)
{
    unsigned char *t = r->cur;
    bool any = false;
    r->cur = r->next;
    r->next = t;
    for (size_t j = 0; j <= r->len; j++) {
        any |= r->cur[j] != 0;
    }
    return any;
}

static void acl_step_literal(struct acl_run *r, char c)
{
    memset(r->next, 0, r->len + 1);
    for (size_t j = 0; j < r->len; j++) {
        if (r->cur[j] && r->s[j] == c) {
            r->next[j + 1] = 1;
        }
    }
}

/* `*`: any run of non-dot characters, the empty run included (regex `[^.]*?`). */
static void acl_step_star(struct acl_run *r)
{
    bool open = false;
    for (size_t j = 0; j <= r->len; j++) {
        if (r->cur[j]) {
            open = true;
        }
        r->next[j] = open;
        if (j < r->len && r->s[j] == '.') {
            open = false;
        }
    }
}

/* `#`: any run of characters (regex `.*?`). */
static void acl_step_hash(struct acl_run *r)
{
    bool open = false;
    for (size_t j = 0; j <= r->len; j++) {
        open |= r->cur[j] != 0;
        r->next[j] = open;
    }
}

/* A whole special segment: one of the alternatives, taken literally. */
static void acl_step_alternatives(struct acl_run *r, const char *const *alts, size_t nalts)
{
    memset(r->next, 0, r->len + 1);
    for (size_t k = 0; k < nalts; k++) {
        size_t alen = strlen(alts[k]);
        if (alen > r->len) {
            continue;
        }
        for (size_t j = 0; j + alen <= r->len; j++) {
            if (r->cur[j] && memcmp(r->s + j, alts[k], alen) == 0) {
                r->next[j + alen] = 1;
            }
        }
    }
}

static bool segment_is(const char *seg, size_t seglen, const char *word)
{
    return seglen == strlen(word) && memcmp(seg, word, seglen) == 0;
}

bool acl_pattern_match(const char *pattern, const char *required, const char *user_uuid,
                       const char *session_uuid)
{
    struct acl_run r;
    r.s = required;
    r.len = strlen(required);
    if (r.len > ACL_MAX_LEN) {
        return false;
    }
    r.cur = r.a;
    r.next = r.b;
    memset(r.cur, 0, r.len + 1);
    r.cur[0] = 1;

    bool segment_start = false; /* the first segment is never special (xivo matches `.me.`) */
    for (size_t i = 0; pattern[i] != '\0';) {
        if (segment_start) {
            const char *seg = pattern + i;
            const char *dot = strchr(seg, '.');
            size_t seglen = dot ? (size_t)(dot - seg) : strlen(seg);
            const char *alts[2];
            size_t nalts = 0;
            if (segment_is(seg, seglen, "me")) {
                alts[nalts++] = "me";
                if (user_uuid != NULL) {
                    alts[nalts++] = user_uuid;
                }
            } else if (segment_is(seg, seglen, "my_session")) {
                alts[nalts++] = "my_session";
                if (session_uuid != NULL) {
                    alts[nalts++] = session_uuid;
                }
            } else if (segment_is(seg, seglen, "edit")) {
                alts[nalts++] = "edit";
                alts[nalts++] = "update";
            }
            segment_start = false;
            if (nalts > 0) {
                acl_step_alternatives(&r, alts, nalts);
                if (!acl_run_swap(&r)) {
                    return false;
                }
                i += seglen;
                continue;
            }
        }
        char c = pattern[i];
        if (c == '*') {
            acl_step_star(&r);
        } else if (c == '#') {
            acl_step_hash(&r);
        } else {
            acl_step_literal(&r, c);
        }
        if (!acl_run_swap(&r)) {
            return false;
        }
        segment_start = c == '.';
        i++;
    }
    return r.cur[r.len] != 0;
}

bool acl_check(const char *const *acl, size_t n, const char *required, const char *user_uuid,
               const char *session_uuid)
{
    if (required == NULL) {
        return true;
    }
    if (strlen(required) > ACL_MAX_LEN) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (acl[i][0] == '!' && acl_pattern_match(acl[i] + 1, required, user_uuid, session_uuid)) {
            return false;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (acl[i][0] != '!' && acl_pattern_match(acl[i], required, user_uuid, session_uuid)) {
            return true;
        }
    }
    return false;
}

int acl_format(char *out, size_t outsz, const char *tmpl, const char *const *params, size_t nparams)
{
    size_t o = 0;
    size_t used = 0;
    if (outsz == 0) {
        return HE_INVAL;
    }
    for (const char *t = tmpl; *t != '\0'; t++) {
        if (t[0] == '{' && t[1] == '}') {
            if (used == nparams) {
                goto fail;
            }
            for (const char *p = params[used++]; *p != '\0'; p++) {
                if (o + 1 >= outsz) {
                    goto fail;
                }
                out[o++] = (char)(*p == '.' ? '_' : *p);
            }
            t++;
            continue;
        }
        if (o + 1 >= outsz) {
            goto fail;
        }
        out[o++] = *t;
    }
    if (used != nparams) {
        goto fail;
    }
    out[o] = '\0';
    return 0;
fail:
    out[0] = '\0';
    return HE_INVAL;
}
