#include <criterion/criterion.h>
#include <jansson.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "events/envelope.h"

#define W "11111111-2222-4333-8444-555555555555"
#define T "7a7a7a7a-2222-4333-8444-555555555555"
#define R "a1a1a1a1-bbbb-4ccc-8ddd-eeeeeeeeeeee"
#define U1 "6d0f3c9a-1111-4222-8333-444455556666"
#define U2 "0b0b0b0b-1111-4222-8333-444455556666"

static const char message_payload[] =
    "{\"uuid\":\"01900000-0000-7000-8000-000000000001\",\"content\":\"h\\u00e9llo \\\"you\\\"\","
    "\"alias\":null,\"user_uuid\":\"" U1 "\",\"tenant_uuid\":\"" T "\",\"wazo_uuid\":\"" W "\","
    "\"created_at\":\"2024-05-01T08:00:01.456789+00:00\",\"room\":{\"uuid\":\"" R "\"}}";

static struct envelope *message_created(uint64_t seq)
{
    static const struct envelope_header headers[] = {{"room_uuid", R}};
    struct envelope_spec spec = {
        .target = ENVELOPE_USER,
        .name = "chatd_user_room_message_created",
        .origin_uuid = W,
        .tenant_uuid = T,
        .timestamp = "2024-05-01T08:00:01.456789",
        .headers = headers,
        .nheaders = 1,
        .required_acl = "events.chatd.users.{user}.rooms." R ".messages.created",
        .payload = message_payload,
        .payload_len = strlen(message_payload),
        .seq = seq,
    };
    struct envelope *ev = NULL;
    cr_assert_eq(envelope_new(&spec, &ev), 0);
    cr_assert_not_null(ev);
    return ev;
}

static json_t *parse_frame(const char *bytes, size_t len)
{
    json_error_t err;
    json_t *j = json_loadb(bytes, len, JSON_REJECT_DUPLICATES, &err);
    cr_assert_not_null(j, "frame is not JSON: %s: %.*s", err.text, (int)len, bytes);
    return j;
}

static size_t count_user_keys(json_t *data)
{
    size_t n = 0;
    const char *key;
    json_t *v;
    json_object_foreach(data, key, v)
    {
        n += strncmp(key, "user_uuid:", 10) == 0;
    }
    return n;
}

Test(envelope, user_event_frame_per_recipient)
{
    struct envelope *ev = message_created(0);
    json_t *payload = json_loads(message_payload, 0, NULL);
    cr_assert_not_null(payload);
    const char *recipients[] = {U1, U2};
    size_t len0 = 0;
    for (size_t i = 0; i < 2; i++) {
        size_t len = 0;
        char *frame = envelope_frame_dup(ev, recipients[i], &len);
        cr_assert_not_null(frame);
        cr_assert_eq(len, envelope_frame_len(ev));
        cr_assert_eq(strlen(frame), len, "NUL-terminated copy");
        if (i == 0) {
            len0 = len;
        }
        cr_assert_eq(len, len0, "every recipient's frame has the same length");

        json_t *j = parse_frame(frame, len);
        cr_assert_str_eq(json_string_value(json_object_get(j, "op")), "event");
        cr_assert_eq(json_integer_value(json_object_get(j, "code")), 0);
        cr_assert_null(json_object_get(j, "seq"));
        json_t *d = json_object_get(j, "data");
        cr_assert_str_eq(json_string_value(json_object_get(d, "name")),
                         "chatd_user_room_message_created");
        cr_assert_str_eq(json_string_value(json_object_get(d, "origin_uuid")), W);
        cr_assert_str_eq(json_string_value(json_object_get(d, "tenant_uuid")), T);
        cr_assert_str_eq(json_string_value(json_object_get(d, "timestamp")),
                         "2024-05-01T08:00:01.456789");
        cr_assert_str_eq(json_string_value(json_object_get(d, "room_uuid")), R);
        cr_assert_str_eq(json_string_value(json_object_get(d, "required_access")),
                         "event.chatd_user_room_message_created");
        char key[64];
        snprintf(key, sizeof(key), "user_uuid:%s", recipients[i]);
        cr_assert(json_is_true(json_object_get(d, key)));
        cr_assert_eq(count_user_keys(d), 1);
        char acl[160];
        snprintf(acl, sizeof(acl), "events.chatd.users.%s.rooms.%s.messages.created", recipients[i],
                 R);
        cr_assert_str_eq(json_string_value(json_object_get(d, "required_acl")), acl);
        cr_assert(json_equal(json_object_get(d, "data"), payload), "payload kept as is");

        char acl2[160];
        cr_assert_eq(envelope_required_acl(ev, recipients[i], acl2, sizeof(acl2)), 0);
        cr_assert_str_eq(acl2, acl);
        json_decref(j);
        free(frame);
    }
    cr_assert(envelope_has_required_acl(ev));
    cr_assert_null(envelope_frame_shared(ev, &len0));
    cr_assert_str_eq(envelope_name(ev), "chatd_user_room_message_created");
    cr_assert_str_eq(envelope_tenant_uuid(ev), T);
    cr_assert_eq(envelope_target(ev), ENVELOPE_USER);
    json_decref(payload);
    envelope_unref(ev);
}

Test(envelope, frame_write_fills_exactly_frame_len)
{
    struct envelope *ev = message_created(0);
    size_t len = envelope_frame_len(ev);
    char *buf = malloc(len + 8);
    memset(buf, 'Z', len + 8);
    cr_assert_eq(envelope_frame_write(ev, U2, buf), 0);
    for (size_t i = len; i < len + 8; i++) {
        cr_assert_eq(buf[i], 'Z', "byte %zu past the frame was written", i);
    }
    json_decref(parse_frame(buf, len));
    free(buf);
    envelope_unref(ev);
}

Test(envelope, seq_is_carried_on_the_frame)
{
    struct envelope *ev = message_created(ENVELOPE_SEQ_MAX);
    size_t len = 0;
    char *frame = envelope_frame_dup(ev, U1, &len);
    json_t *j = parse_frame(frame, len);
    cr_assert_eq(json_integer_value(json_object_get(j, "seq")), 9007199254740991ll);
    cr_assert_eq(envelope_seq(ev), ENVELOPE_SEQ_MAX);
    json_decref(j);
    free(frame);
    envelope_unref(ev);

    ev = message_created(42);
    frame = envelope_frame_dup(ev, U1, &len);
    j = parse_frame(frame, len);
    cr_assert_eq(json_integer_value(json_object_get(j, "seq")), 42);
    json_decref(j);
    free(frame);
    envelope_unref(ev);
}

Test(envelope, rejects_non_canonical_recipient)
{
    struct envelope *ev = message_created(0);
    char buf[4096];
    cr_assert_eq(envelope_frame_write(ev, "6D0F3C9A-1111-4222-8333-444455556666", buf), HE_INVAL);
    cr_assert_eq(envelope_frame_write(ev, "not-a-uuid", buf), HE_INVAL);
    cr_assert_eq(envelope_frame_write(ev, NULL, buf), HE_INVAL);
    cr_assert_eq(envelope_frame_write(ev, U1 "\"", buf), HE_INVAL);
    cr_assert_null(envelope_frame_dup(ev, "x", NULL));
    cr_assert_eq(envelope_required_acl(ev, "x", buf, sizeof(buf)), HE_INVAL);
    cr_assert_eq(envelope_required_acl(ev, U1, buf, 10), HE_INVAL, "buffer too small");
    envelope_unref(ev);
}

Test(envelope, tenant_event_has_one_shared_frame)
{
    static const char presence[] = "{\"uuid\":\"" U1 "\",\"state\":\"away\",\"lines\":[]}";
    struct envelope_spec spec = {
        .target = ENVELOPE_TENANT,
        .name = "chatd_presence_updated",
        .origin_uuid = W,
        .tenant_uuid = T,
        .required_acl = "events.chatd.users." U1 ".presences.updated",
        .payload = presence,
        .payload_len = strlen(presence),
    };
    struct envelope *ev = NULL;
    cr_assert_eq(envelope_new(&spec, &ev), 0);
    size_t len = 0;
    const char *frame = envelope_frame_shared(ev, &len);
    cr_assert_not_null(frame);
    cr_assert_eq(len, envelope_frame_len(ev));
    json_t *j = parse_frame(frame, len);
    json_t *d = json_object_get(j, "data");
    cr_assert(json_is_true(json_object_get(d, "user_uuid:*")));
    cr_assert_eq(count_user_keys(d), 1);
    cr_assert_str_eq(json_string_value(json_object_get(d, "required_acl")),
                     "events.chatd.users." U1 ".presences.updated");
    /* The timestamp defaults to now, naive local isoformat. */
    regex_t re;
    cr_assert_eq(regcomp(&re,
                         "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{6})?$",
                         REG_EXTENDED | REG_NOSUB),
                 0);
    cr_assert_eq(regexec(&re, json_string_value(json_object_get(d, "timestamp")), 0, NULL, 0), 0);
    regfree(&re);
    /* Writing gives the same bytes whoever the recipient is. */
    char buf[1024];
    cr_assert_eq(envelope_frame_write(ev, NULL, buf), 0);
    cr_assert_eq(memcmp(buf, frame, len), 0);
    char acl[128];
    cr_assert_eq(envelope_required_acl(ev, NULL, acl, sizeof(acl)), 0);
    cr_assert_str_eq(acl, "events.chatd.users." U1 ".presences.updated");
    json_decref(j);

    /* References keep it alive. */
    struct envelope *again = envelope_ref(ev);
    envelope_unref(ev);
    cr_assert_eq(envelope_frame_len(again), len);
    envelope_unref(again);
    envelope_unref(NULL);
}

Test(envelope, null_required_acl)
{
    struct envelope_spec spec = {
        .target = ENVELOPE_USER,
        .name = "chatd_user_room_created",
        .origin_uuid = W,
        .tenant_uuid = T,
        .timestamp = "2024-05-01T08:00:00",
        .payload = "{}",
        .payload_len = 2,
    };
    struct envelope *ev = NULL;
    cr_assert_eq(envelope_new(&spec, &ev), 0);
    cr_assert_not(envelope_has_required_acl(ev));
    size_t len = 0;
    char *frame = envelope_frame_dup(ev, U2, &len);
    json_t *j = parse_frame(frame, len);
    json_t *d = json_object_get(j, "data");
    cr_assert(json_is_null(json_object_get(d, "required_acl")));
    cr_assert(json_is_true(json_object_get(d, "user_uuid:" U2)));
    char acl[8];
    cr_assert_eq(envelope_required_acl(ev, U2, acl, sizeof(acl)), 0);
    cr_assert_str_eq(acl, "");
    json_decref(j);
    free(frame);
    envelope_unref(ev);
}

Test(envelope, header_strings_are_escaped)
{
    static const struct envelope_header headers[] = {{"note", "quote \" backslash \\ tab \t"}};
    struct envelope_spec spec = {
        .target = ENVELOPE_USER,
        .name = "odd\"name",
        .origin_uuid = W,
        .tenant_uuid = T,
        .timestamp = "t",
        .headers = headers,
        .nheaders = 1,
        .required_acl = "events.{user}",
        .payload = "[1,2]",
        .payload_len = 5,
    };
    struct envelope *ev = NULL;
    cr_assert_eq(envelope_new(&spec, &ev), 0);
    size_t len = 0;
    char *frame = envelope_frame_dup(ev, U1, &len);
    json_t *j = parse_frame(frame, len);
    json_t *d = json_object_get(j, "data");
    cr_assert_str_eq(json_string_value(json_object_get(d, "name")), "odd\"name");
    cr_assert_str_eq(json_string_value(json_object_get(d, "required_access")), "event.odd\"name");
    cr_assert_str_eq(json_string_value(json_object_get(d, "note")), "quote \" backslash \\ tab \t");
    cr_assert_str_eq(json_string_value(json_object_get(d, "required_acl")), "events." U1);
    json_decref(j);
    free(frame);
    envelope_unref(ev);
}

static int try_new(struct envelope_spec spec)
{
    struct envelope *ev = (struct envelope *)&spec; /* must be reset to NULL on failure */
    int rc = envelope_new(&spec, &ev);
    if (rc < 0) {
        cr_assert_null(ev);
    }
    envelope_unref(ev);
    return rc;
}

Test(envelope, rejects_bad_specs)
{
    static const struct envelope_header reserved[] = {{"required_acl", "x"}};
    static const struct envelope_header user_key[] = {{"user_uuid:" U1, "x"}};
    static const struct envelope_header twice[] = {{"room_uuid", R}, {"room_uuid", R}};
    static const struct envelope_header bad_utf8[] = {{"room_uuid", "\xC3("}};
    struct envelope_spec ok = {
        .target = ENVELOPE_USER,
        .name = "n",
        .origin_uuid = W,
        .tenant_uuid = T,
        .timestamp = "t",
        .required_acl = "a.{user}.b",
        .payload = "{}",
        .payload_len = 2,
    };
    cr_assert_eq(try_new(ok), 0);

    struct envelope_spec s = ok;
    s.headers = reserved;
    s.nheaders = 1;
    cr_assert_eq(try_new(s), HE_INVAL, "standard key as extra header");
    s.headers = user_key;
    cr_assert_eq(try_new(s), HE_INVAL, "recipient key as extra header");
    s.headers = twice;
    s.nheaders = 2;
    cr_assert_eq(try_new(s), HE_INVAL, "duplicate header");
    s.headers = bad_utf8;
    s.nheaders = 1;
    cr_assert_eq(try_new(s), HE_INVAL, "invalid UTF-8");

    s = ok;
    s.required_acl = "a.{user}.{user}";
    cr_assert_eq(try_new(s), HE_INVAL, "two placeholders");
    s.required_acl = "a.\"b";
    cr_assert_eq(try_new(s), HE_INVAL, "ACL needing escapes");
    s.target = ENVELOPE_TENANT;
    s.required_acl = "a.{user}";
    cr_assert_eq(try_new(s), HE_INVAL, "placeholder in a tenant event");

    s = ok;
    s.payload_len = 0;
    cr_assert_eq(try_new(s), HE_INVAL, "empty payload");
    s = ok;
    s.seq = ENVELOPE_SEQ_MAX + 1;
    cr_assert_eq(try_new(s), HE_INVAL, "seq beyond JavaScript's exact integers");
    s = ok;
    s.name = NULL;
    cr_assert_eq(try_new(s), HE_INVAL, "no name");
    s = ok;
    s.origin_uuid = NULL;
    cr_assert_eq(try_new(s), HE_INVAL, "no origin");
}
