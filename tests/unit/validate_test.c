#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "api/validate.h"
#include "base/alloc.h"
#include "base/err.h"

#define U1 "6d0f3c9a-1111-4222-8333-444455556666"
#define U2 "0b0b0b0b-1111-4222-8333-444455556666"

/* The tables of wazo-api.md 3.2, 3.4 and 3.5, as handlers will declare them. */
enum { MSG_CONTENT, MSG_ALIAS };
static const struct validate_field message_fields[] = {
    [MSG_CONTENT] = {"content", VALIDATE_STRING, VALIDATE_REQUIRED | VALIDATE_MAX, .max = 8000},
    [MSG_ALIAS] = {"alias", VALIDATE_STRING, VALIDATE_NULLABLE | VALIDATE_MAX, .max = 256},
};

enum { RU_UUID, RU_TENANT, RU_WAZO };
static const struct validate_field room_user_fields[] = {
    [RU_UUID] = {"uuid", VALIDATE_UUID, .flags = VALIDATE_REQUIRED},
    [RU_TENANT] = {"tenant_uuid", VALIDATE_UUID, 0},
    [RU_WAZO] = {"wazo_uuid", VALIDATE_UUID, 0},
};
enum { ROOM_NAME, ROOM_USERS };
static const struct validate_field room_fields[] = {
    [ROOM_NAME] = {"name", VALIDATE_STRING, VALIDATE_NULLABLE},
    [ROOM_USERS] = {"users", VALIDATE_OBJECT_ARRAY, 0, .sub = room_user_fields,
                    .nsub = HU_ARRAY_LEN(room_user_fields)},
};

static const char *const directions[] = {"asc", "desc", NULL};
static const char *const orders[] = {"created_at", NULL};
enum { Q_LIMIT, Q_OFFSET, Q_ORDER, Q_DIRECTION, Q_SEARCH, Q_FROM, Q_USERS, Q_RECURSE };
static const struct validate_field list_fields[] = {
    [Q_LIMIT] = {"limit", VALIDATE_INT, VALIDATE_MIN, .min = 0},
    [Q_OFFSET] = {"offset", VALIDATE_INT, VALIDATE_MIN | VALIDATE_DEFAULT, .min = 0},
    [Q_ORDER] = {"order", VALIDATE_ENUM, VALIDATE_DEFAULT, .choices = orders,
                 .default_str = "created_at"},
    [Q_DIRECTION] = {"direction", VALIDATE_ENUM, VALIDATE_DEFAULT, .choices = directions,
                     .default_str = "desc"},
    [Q_SEARCH] = {"search", VALIDATE_STRING, 0},
    [Q_FROM] = {"from_date", VALIDATE_DATETIME, 0},
    [Q_USERS] = {"user_uuid", VALIDATE_UUID_LIST, VALIDATE_MAX, .max = 3},
    [Q_RECURSE] = {"recurse", VALIDATE_BOOL, VALIDATE_DEFAULT, .default_int = 0},
};

static json_t *parse(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &err);
    cr_assert_not_null(j, "bad test JSON %s: %s", text, err.text);
    return j;
}

static void assert_details(json_t *details, const char *want)
{
    json_t *w = parse(want);
    char *got = json_dumps(details, JSON_COMPACT | JSON_SORT_KEYS);
    cr_assert(json_equal(details, w), "details\n got  %s\n want %s", got ? got : "(null)", want);
    free(got);
    json_decref(w);
}

static void body_fails(const struct validate_field *fields, size_t n, const char *body,
                       const char *want)
{
    json_t *j = parse(body);
    json_t *details = NULL;
    cr_assert_eq(validate_json(j, fields, n, NULL, &details), HE_INVAL, "body %s", body);
    cr_assert_not_null(details);
    assert_details(details, want);
    json_decref(details);
    json_decref(j);
}

#define MSG_FAILS(body, want) body_fails(message_fields, HU_ARRAY_LEN(message_fields), body, want)
#define ROOM_FAILS(body, want) body_fails(room_fields, HU_ARRAY_LEN(room_fields), body, want)

Test(validate, message_body_ok_with_unknown_keys_ignored)
{
    /* What the SDK posts (wazo-api.md 3.5): extra keys must be ignored. */
    json_t *j = parse("{\"type\":\"ChatMessage\",\"content\":\"h\\u00e9\",\"alias\":\"Al\","
                      "\"uuid\":\"x\",\"read\":true}");
    struct validate_value v[HU_ARRAY_LEN(message_fields)];
    json_t *details = (json_t *)1;
    cr_assert_eq(validate_json(j, message_fields, HU_ARRAY_LEN(message_fields), v, &details), 0);
    cr_assert_null(details);
    cr_assert(v[MSG_CONTENT].present);
    cr_assert_str_eq(v[MSG_CONTENT].s, "h\xc3\xa9");
    cr_assert_eq(v[MSG_CONTENT].len, 3);
    cr_assert_eq(v[MSG_CONTENT].count, 2, "length in scalar values, not bytes");
    cr_assert_str_eq(v[MSG_ALIAS].s, "Al");
    json_decref(j);
}

Test(validate, empty_content_and_null_alias_are_accepted)
{
    json_t *j = parse("{\"content\":\"\",\"alias\":null}");
    struct validate_value v[2];
    cr_assert_eq(validate_json(j, message_fields, 2, v, NULL), 0);
    cr_assert_eq(v[MSG_CONTENT].len, 0);
    cr_assert(v[MSG_ALIAS].present);
    cr_assert(v[MSG_ALIAS].is_null);
    json_decref(j);
}

Test(validate, missing_null_and_wrong_type_are_field_level_objects)
{
    MSG_FAILS("{}", "{\"content\":{\"constraint_id\":\"required\",\"constraint\":\"required\","
                    "\"message\":\"Missing data for required field.\"}}");
    MSG_FAILS("{\"content\":null}",
              "{\"content\":{\"constraint_id\":\"not_null\",\"constraint\":\"not_null\","
              "\"message\":\"Field may not be null.\"}}");
    MSG_FAILS("{\"content\":5}",
              "{\"content\":{\"constraint_id\":\"type\",\"constraint\":\"string\","
              "\"message\":\"Not a valid string.\"}}");
    MSG_FAILS("{\"content\":[\"a\"]}",
              "{\"content\":{\"constraint_id\":\"type\",\"constraint\":\"string\","
              "\"message\":\"Not a valid string.\"}}");
}

Test(validate, length_errors_are_lists_counted_in_scalar_values)
{
    /* 256 two-byte characters fit; 257 do not. */
    char body[2048] = "{\"content\":\"x\",\"alias\":\"";
    for (int i = 0; i < 256; i++) {
        strcat(body, "\xc3\xa9");
    }
    strcat(body, "\"}");
    json_t *j = parse(body);
    cr_assert_eq(validate_json(j, message_fields, 2, NULL, NULL), 0);
    json_decref(j);
    body[strlen(body) - 2] = '\0';
    strcat(body, "\xc3\xa9\"}");
    MSG_FAILS(body, "{\"alias\":[{\"constraint_id\":\"length\",\"constraint\":{\"min\":null,"
                    "\"max\":256},\"message\":\"Longer than maximum length 256.\"}]}");
}

Test(validate, all_errors_are_collected)
{
    MSG_FAILS("{\"alias\":7}",
              "{\"content\":{\"constraint_id\":\"required\",\"constraint\":\"required\","
              "\"message\":\"Missing data for required field.\"},"
              "\"alias\":{\"constraint_id\":\"type\",\"constraint\":\"string\","
              "\"message\":\"Not a valid string.\"}}");
}

Test(validate, body_that_is_not_an_object)
{
    MSG_FAILS("[]", "{\"_schema\":[\"Invalid input type.\"]}");
    MSG_FAILS("\"text\"", "{\"_schema\":[\"Invalid input type.\"]}");
    /* null counts as {} (xivo ensure_dict). */
    MSG_FAILS("null", "{\"content\":{\"constraint_id\":\"required\",\"constraint\":\"required\","
                      "\"message\":\"Missing data for required field.\"}}");
}

Test(validate, room_body_with_nested_users)
{
    json_t *j = parse("{\"name\":null,\"users\":[{\"uuid\":\"" U2 "\"},"
                      "{\"uuid\":\"{6D0F3C9A-1111-4222-8333-444455556666}\",\"junk\":1}]}");
    struct validate_value v[2];
    cr_assert_eq(validate_json(j, room_fields, 2, v, NULL), 0);
    cr_assert(v[ROOM_NAME].is_null);
    cr_assert_eq(v[ROOM_USERS].count, 2);
    /* A handler reads items with the same table; it cannot fail after the check. */
    struct validate_value u[HU_ARRAY_LEN(room_user_fields)];
    cr_assert_eq(validate_json(json_array_get(v[ROOM_USERS].json, 1), room_user_fields, 3, u, NULL),
                 0);
    cr_assert_str_eq(u[RU_UUID].uuid, U1, "uuid normalised to canonical lower case");
    cr_assert_not(u[RU_TENANT].present);
    json_decref(j);
}

Test(validate, room_body_errors)
{
    ROOM_FAILS("{\"users\":{}}", "{\"users\":{\"constraint_id\":\"type\",\"constraint\":\"list\","
                                 "\"message\":\"Not a valid list.\"}}");
    ROOM_FAILS("{\"users\":[{\"uuid\":\"" U2 "\"},{\"uuid\":\"nope\"}]}",
               "{\"users\":{\"1\":{\"uuid\":{\"constraint_id\":\"type\",\"constraint\":\"uuid\","
               "\"message\":\"Not a valid UUID.\"}}}}");
    ROOM_FAILS("{\"users\":[5]}", "{\"users\":{\"0\":{\"constraint_id\":\"type\",\"constraint\":"
                                  "\"dict\",\"message\":\"Invalid input type.\"}}}");
    ROOM_FAILS("{\"users\":[{\"tenant_uuid\":\"" U1 "\"}]}",
               "{\"users\":{\"0\":{\"uuid\":{\"constraint_id\":\"required\",\"constraint\":"
               "\"required\",\"message\":\"Missing data for required field.\"}}}}");
    ROOM_FAILS("{\"name\":5,\"users\":null}",
               "{\"name\":{\"constraint_id\":\"type\",\"constraint\":\"string\","
               "\"message\":\"Not a valid string.\"},"
               "\"users\":{\"constraint_id\":\"not_null\",\"constraint\":\"not_null\","
               "\"message\":\"Field may not be null.\"}}");
}

Test(validate, array_length_and_nested_object)
{
    static const struct validate_field inner[] = {{"n", VALIDATE_INT, .flags = VALIDATE_REQUIRED}};
    static const struct validate_field fields[] = {
        {"items", VALIDATE_OBJECT_ARRAY, VALIDATE_MIN | VALIDATE_MAX, .min = 1, .max = 2,
         .sub = inner, .nsub = 1},
        {"obj", VALIDATE_OBJECT, 0, .sub = inner, .nsub = 1},
    };
    body_fails(fields, 2, "{\"items\":[]}",
               "{\"items\":[{\"constraint_id\":\"length\",\"constraint\":{\"min\":1,\"max\":2},"
               "\"message\":\"Length must be between 1 and 2.\"}]}");
    body_fails(fields, 2, "{\"obj\":{\"n\":\"x\"}}",
               "{\"obj\":{\"n\":{\"constraint_id\":\"type\",\"constraint\":\"integer\","
               "\"message\":\"Not a valid integer.\"}}}");
    body_fails(fields, 2, "{\"obj\":[]}",
               "{\"obj\":{\"constraint_id\":\"type\",\"constraint\":"
               "\"dict\",\"message\":\"Invalid input type.\"}}");
    json_t *j = parse("{\"items\":[{\"n\":1},{\"n\":2.0}],\"obj\":{\"n\":3}}");
    struct validate_value v[2];
    cr_assert_eq(validate_json(j, fields, 2, v, NULL), 0);
    cr_assert_eq(v[0].count, 2);
    cr_assert_eq(v[1].json, json_object_get(j, "obj"));
    json_decref(j);
}

Test(validate, json_scalars)
{
    static const char *const colors[] = {"red", "green", NULL};
    static const struct validate_field fields[] = {
        {"i", VALIDATE_INT, VALIDATE_MIN | VALIDATE_MAX, .min = 1, .max = 10},
        {"b", VALIDATE_BOOL, .flags = 0},
        {"e", VALIDATE_ENUM, 0, .choices = colors},
        {"d", VALIDATE_DATETIME, .flags = 0},
        {"u", VALIDATE_UUID, .flags = 0},
    };
    json_t *j = parse("{\"i\":10,\"b\":false,\"e\":\"green\",\"d\":\"1970-01-01T00:00:01Z\","
                      "\"u\":\"" U1 "\"}");
    struct validate_value v[5];
    cr_assert_eq(validate_json(j, fields, 5, v, NULL), 0);
    cr_assert_eq(v[0].i, 10);
    cr_assert_eq(v[1].i, 0);
    cr_assert(v[1].present);
    cr_assert_eq(v[2].i, 1);
    cr_assert_eq(v[3].i, 1000000);
    cr_assert_str_eq(v[4].uuid, U1);
    json_decref(j);

    body_fails(
        fields, 5, "{\"i\":11,\"b\":1,\"e\":\"blue\",\"d\":\"yesterday\",\"u\":5}",
        "{\"i\":[{\"constraint_id\":\"range\",\"constraint\":{\"min\":1,\"max\":10},"
        "\"message\":\"Must be greater than or equal to 1 and less than or equal to 10.\"}],"
        "\"b\":{\"constraint_id\":\"type\",\"constraint\":\"boolean\","
        "\"message\":\"Not a valid boolean.\"},"
        "\"e\":[{\"constraint_id\":\"enum\",\"constraint\":{\"choices\":[\"red\",\"green\"]},"
        "\"message\":\"Must be one of: red, green.\"}],"
        "\"d\":{\"constraint_id\":\"type\",\"constraint\":\"datetime\","
        "\"message\":\"Not a valid datetime\"},"
        "\"u\":{\"constraint_id\":\"type\",\"constraint\":\"uuid\","
        "\"message\":\"Not a valid UUID.\"}}");
    body_fails(fields, 5, "{\"i\":2.5,\"e\":7}",
               "{\"i\":{\"constraint_id\":\"type\",\"constraint\":\"integer\","
               "\"message\":\"Not a valid integer.\"},"
               "\"e\":{\"constraint_id\":\"type\",\"constraint\":\"string\","
               "\"message\":\"Not a valid string.\"}}");
    body_fails(fields, 5, "{\"i\":1e300}",
               "{\"i\":{\"constraint_id\":\"type\",\"constraint\":\"integer\","
               "\"message\":\"Not a valid integer.\"}}");
    body_fails(fields, 5, "{\"i\":true}",
               "{\"i\":{\"constraint_id\":\"type\",\"constraint\":\"integer\","
               "\"message\":\"Not a valid integer.\"}}");
}

static int query(const struct validate_kv *kv, struct validate_value *v, json_t **details)
{
    return validate_query(validate_kv_get, (void *)kv, list_fields, HU_ARRAY_LEN(list_fields), v,
                          details);
}

static void query_fails(const struct validate_kv *kv, const char *want)
{
    json_t *details = NULL;
    cr_assert_eq(query(kv, NULL, &details), HE_INVAL);
    assert_details(details, want);
    json_decref(details);
}

Test(validate, query_defaults_and_values)
{
    struct validate_value v[HU_ARRAY_LEN(list_fields)];
    const struct validate_kv none[] = {{"unknown", "x"}, {NULL, NULL}};
    cr_assert_eq(query(none, v, NULL), 0);
    cr_assert_not(v[Q_LIMIT].present);
    cr_assert_eq(v[Q_OFFSET].i, 0);
    cr_assert_not(v[Q_OFFSET].present);
    cr_assert_str_eq(v[Q_ORDER].s, "created_at");
    cr_assert_str_eq(v[Q_DIRECTION].s, "desc");
    cr_assert_eq(v[Q_DIRECTION].i, 1);
    cr_assert_eq(v[Q_RECURSE].i, 0);

    const struct validate_kv kv[] = {{"limit", "0"},
                                     {"offset", "+20"},
                                     {"direction", "asc"},
                                     {"search", "\xc3\x89lan vital"},
                                     {"from_date", "2019-06-12T10:00:00.000+00:00"},
                                     {"user_uuid", U1 "," U2},
                                     {"recurse", "True"},
                                     {NULL, NULL}};
    cr_assert_eq(query(kv, v, NULL), 0);
    cr_assert(v[Q_LIMIT].present);
    cr_assert_eq(v[Q_LIMIT].i, 0);
    cr_assert_eq(v[Q_OFFSET].i, 20);
    cr_assert_eq(v[Q_DIRECTION].i, 0);
    cr_assert_eq(v[Q_SEARCH].count, 10);
    cr_assert_eq(v[Q_FROM].i, 1560333600000000ll);
    cr_assert_eq(v[Q_RECURSE].i, 1);
    cr_assert_eq(v[Q_USERS].count, 2);
    char u[UUID_STR_LEN];
    size_t pos = 0;
    cr_assert(validate_uuid_list_next(&v[Q_USERS], &pos, u));
    cr_assert_str_eq(u, U1);
    cr_assert(validate_uuid_list_next(&v[Q_USERS], &pos, u));
    cr_assert_str_eq(u, U2);
    cr_assert_not(validate_uuid_list_next(&v[Q_USERS], &pos, u));
}

Test(validate, query_integer_errors)
{
    const char *type_integer = "{\"limit\":{\"constraint_id\":\"type\",\"constraint\":\"integer\","
                               "\"message\":\"Not a valid integer.\"}}";
    const char *range_min0 = "{\"limit\":[{\"constraint_id\":\"range\",\"constraint\":{\"min\":0},"
                             "\"message\":\"Must be greater than or equal to 0.\"}]}";
    const struct validate_kv abc[] = {{"limit", "abc"}, {NULL, NULL}};
    query_fails(abc, type_integer);
    const struct validate_kv empty[] = {{"limit", ""}, {NULL, NULL}};
    query_fails(empty, type_integer);
    const struct validate_kv real[] = {{"limit", "1.5"}, {NULL, NULL}};
    query_fails(real, type_integer);
    const struct validate_kv space[] = {{"limit", " 1"}, {NULL, NULL}};
    query_fails(space, type_integer);
    const struct validate_kv sign[] = {{"limit", "-"}, {NULL, NULL}};
    query_fails(sign, type_integer);
    const struct validate_kv neg[] = {{"limit", "-1"}, {NULL, NULL}};
    query_fails(neg, range_min0);
    /* Below int64: on the side of the min bound, so a range error. */
    const struct validate_kv hugeneg[] = {{"limit", "-99999999999999999999999"}, {NULL, NULL}};
    query_fails(hugeneg, range_min0);
    /* Above int64 with no max: not an integer we can hold. */
    const struct validate_kv huge[] = {{"limit", "99999999999999999999999"}, {NULL, NULL}};
    query_fails(huge, type_integer);
    const struct validate_kv max[] = {{"limit", "9223372036854775807"}, {NULL, NULL}};
    struct validate_value v[HU_ARRAY_LEN(list_fields)];
    cr_assert_eq(query(max, v, NULL), 0);
    cr_assert_eq(v[Q_LIMIT].i, INT64_MAX);
    const struct validate_kv over[] = {{"limit", "9223372036854775808"}, {NULL, NULL}};
    query_fails(over, type_integer);
}

Test(validate, query_integer_overflow_against_a_max)
{
    static const struct validate_field fields[] = {
        {"n", VALIDATE_INT, VALIDATE_MIN | VALIDATE_MAX, .min = -5, .max = 100},
    };
    json_t *details = NULL;
    const struct validate_kv huge[] = {{"n", "18446744073709551616"}, {NULL, NULL}};
    cr_assert_eq(validate_query(validate_kv_get, (void *)huge, fields, 1, NULL, &details),
                 HE_INVAL);
    assert_details(details, "{\"n\":[{\"constraint_id\":\"range\",\"constraint\":{\"min\":-5,"
                            "\"max\":100},\"message\":\"Must be greater than or equal to -5 and "
                            "less than or equal to 100.\"}]}");
    json_decref(details);
    int64_t minval = 0;
    static const struct validate_field any[] = {{"n", VALIDATE_INT, .flags = 0}};
    const struct validate_kv lowest[] = {{"n", "-9223372036854775808"}, {NULL, NULL}};
    struct validate_value v;
    cr_assert_eq(validate_query(validate_kv_get, (void *)lowest, any, 1, &v, NULL), 0);
    minval = v.i;
    cr_assert_eq(minval, INT64_MIN);
}

Test(validate, query_enum_datetime_uuid_bool_errors)
{
    const struct validate_kv kv[] = {{"direction", "ASC"},
                                     {"order", "name"},
                                     {"from_date", "2019-02-30T10:00:00"},
                                     {"user_uuid", U1 ",,"},
                                     {"recurse", "maybe"},
                                     {"search", "\xff"},
                                     {NULL, NULL}};
    query_fails(kv, "{\"order\":[{\"constraint_id\":\"enum\",\"constraint\":{\"choices\":"
                    "[\"created_at\"]},\"message\":\"Must be one of: created_at.\"}],"
                    "\"direction\":[{\"constraint_id\":\"enum\",\"constraint\":{\"choices\":"
                    "[\"asc\",\"desc\"]},\"message\":\"Must be one of: asc, desc.\"}],"
                    "\"search\":{\"constraint_id\":\"type\",\"constraint\":\"string\","
                    "\"message\":\"Not a valid string.\"},"
                    "\"from_date\":{\"constraint_id\":\"type\",\"constraint\":\"datetime\","
                    "\"message\":\"Not a valid datetime\"},"
                    "\"user_uuid\":{\"constraint_id\":\"type\",\"constraint\":\"uuid\","
                    "\"message\":\"Not a valid UUID.\"},"
                    "\"recurse\":{\"constraint_id\":\"type\",\"constraint\":\"boolean\","
                    "\"message\":\"Not a valid boolean.\"}}");
}

Test(validate, query_uuid_list_bounds)
{
    const struct validate_kv four[] = {{"user_uuid", U1 "," U2 "," U1 "," U2}, {NULL, NULL}};
    query_fails(four, "{\"user_uuid\":[{\"constraint_id\":\"length\",\"constraint\":{\"min\":null,"
                      "\"max\":3},\"message\":\"Longer than maximum length 3.\"}]}");
    struct validate_value v[HU_ARRAY_LEN(list_fields)];
    const struct validate_kv empty[] = {{"user_uuid", ""}, {NULL, NULL}};
    cr_assert_eq(query(empty, v, NULL), 0);
    cr_assert_eq(v[Q_USERS].count, 0);
    size_t pos = 0;
    char u[UUID_STR_LEN];
    cr_assert_not(validate_uuid_list_next(&v[Q_USERS], &pos, u));
    const struct validate_kv trailing[] = {{"user_uuid", U1 ","}, {NULL, NULL}};
    cr_assert_eq(query(trailing, NULL, NULL), HE_INVAL);
}

Test(validate, query_required_field)
{
    static const struct validate_field fields[] = {
        {"q", VALIDATE_STRING, .flags = VALIDATE_REQUIRED}};
    const struct validate_kv none[] = {{NULL, NULL}};
    json_t *details = NULL;
    cr_assert_eq(validate_query(validate_kv_get, (void *)none, fields, 1, NULL, &details),
                 HE_INVAL);
    assert_details(details, "{\"q\":{\"constraint_id\":\"required\",\"constraint\":\"required\","
                            "\"message\":\"Missing data for required field.\"}}");
    json_decref(details);
}

/* The parser is base/time's (tested there); here, its use by the datetime rows. */
static int64_t dt(const char *s)
{
    static const struct validate_field fields[] = {{"d", VALIDATE_DATETIME, .flags = 0}};
    const struct validate_kv kv[] = {{"d", s}, {NULL, NULL}};
    struct validate_value v;
    cr_assert_eq(validate_query(validate_kv_get, (void *)kv, fields, 1, &v, NULL), 0,
                 "%s should parse", s);
    cr_assert_str_eq(v.s, s);
    return v.i;
}

static void dt_bad(const char *s)
{
    static const struct validate_field fields[] = {{"d", VALIDATE_DATETIME, .flags = 0}};
    const struct validate_kv kv[] = {{"d", s}, {NULL, NULL}};
    json_t *details = NULL;
    cr_assert_eq(validate_query(validate_kv_get, (void *)kv, fields, 1, NULL, &details), HE_INVAL,
                 "%s should not parse", s);
    assert_details(details, "{\"d\":{\"constraint_id\":\"type\",\"constraint\":\"datetime\","
                            "\"message\":\"Not a valid datetime\"}}");
    json_decref(details);
}

Test(validate, datetime_rows)
{
    cr_assert_eq(dt("1970-01-01T00:00:00"), 0);
    cr_assert_eq(dt("2019-06-12T10:00:00.000+00:00"), 1560333600000000ll);
    cr_assert_eq(dt("2019-06-12T12:00:00+02:00"), 1560333600000000ll);
    cr_assert_eq(dt("2019-06-12T05:00:00-0500"), 1560333600000000ll);
    cr_assert_eq(dt("2019-06-12T10:00:00Z"), 1560333600000000ll);
    cr_assert_eq(dt("2024-05-01T12:00:00.123456+00:00") % 1000000, 123456);
    dt_bad("");
    dt_bad("2023-02-29T00:00:00");
    dt_bad("2024-05-01T24:00:00");
    dt_bad("2024-05-01T12:00:00+24:00");
    dt_bad("2024-05-01T12:00:00 ");
    dt_bad("yesterday");
}

Test(validate, length_error_helper_for_room_size)
{
    json_t *l = validate_error_length(VALIDATE_MIN | VALIDATE_MAX, 2, 100, 1);
    assert_details(l, "{\"constraint_id\":\"length\",\"constraint\":{\"min\":2,\"max\":100},"
                      "\"message\":\"Length must be between 2 and 100.\"}");
    json_decref(l);
    l = validate_error_length(VALIDATE_EQUAL, 2, 0, 3);
    assert_details(l, "{\"constraint_id\":\"length\",\"constraint\":{\"equal\":2},"
                      "\"message\":\"Length must be 2.\"}");
    json_decref(l);
    l = validate_error_length(VALIDATE_MIN, 2, 0, 1);
    assert_details(l, "{\"constraint_id\":\"length\",\"constraint\":{\"min\":2,\"max\":null},"
                      "\"message\":\"Shorter than minimum length 2.\"}");
    json_decref(l);
}

Test(validate, equal_length_row)
{
    static const struct validate_field fields[] = {
        {"code", VALIDATE_STRING, VALIDATE_EQUAL, .min = 2},
    };
    body_fails(fields, 1, "{\"code\":\"abc\"}",
               "{\"code\":[{\"constraint_id\":\"length\",\"constraint\":{\"equal\":2},"
               "\"message\":\"Length must be 2.\"}]}");
    json_t *j = parse("{\"code\":\"\\u00e9\\u00e9\"}");
    cr_assert_eq(validate_json(j, fields, 1, NULL, NULL), 0);
    json_decref(j);
}
