#include "api/validate.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "base/time.h"
#include "text/utf8.h"
#include "base/banned.h"

/* jansson returns NULL only when out of memory, which Huard does not try to answer. */
static json_t *must(json_t *j)
{
    if (j == NULL) {
        hu_bug(__FILE__, __LINE__, "out of memory in jansson");
    }
    return j;
}

static json_t *leaf(const char *id, json_t *constraint, const char *message)
{
    json_t *o = must(json_object());
    json_object_set_new(o, "constraint_id", must(json_string(id)));
    json_object_set_new(o, "constraint", constraint);
    json_object_set_new(o, "message", must(json_string(message)));
    return o;
}

/* Field-level errors: type, required, not_null (marshmallow's per-field messages). */
static json_t *leaf_type(const char *constraint, const char *message)
{
    return leaf("type", must(json_string(constraint)), message);
}

static json_t *leaf_required(void)
{
    return leaf("required", must(json_string("required")), "Missing data for required field.");
}

static json_t *leaf_not_null(void)
{
    return leaf("not_null", must(json_string("not_null")), "Field may not be null.");
}

static json_t *type_error(enum validate_type type)
{
    switch (type) {
    case VALIDATE_STRING:
    case VALIDATE_ENUM:
        return leaf_type("string", "Not a valid string.");
    case VALIDATE_INT:
        return leaf_type("integer", "Not a valid integer.");
    case VALIDATE_BOOL:
        return leaf_type("boolean", "Not a valid boolean.");
    case VALIDATE_UUID:
    case VALIDATE_UUID_LIST:
        return leaf_type("uuid", "Not a valid UUID.");
    case VALIDATE_DATETIME:
        return leaf_type("datetime", "Not a valid datetime");
    case VALIDATE_OBJECT:
        return leaf_type("dict", "Invalid input type.");
    case VALIDATE_OBJECT_ARRAY:
        return leaf_type("list", "Not a valid list.");
    }
    BUG_ON(1);
    return NULL;
}

/* Validator errors come as a list of leaves (marshmallow's And collects them). */
static json_t *as_list(json_t *l)
{
    json_t *a = must(json_array());
    json_array_append_new(a, l);
    return a;
}

static json_t *bound_or_null(unsigned flags, unsigned bit, int64_t v)
{
    return must((flags & bit) ? json_integer(v) : json_null());
}

json_t *validate_error_length(unsigned flags, int64_t min, int64_t max, int64_t actual)
{
    char msg[128];
    json_t *c = must(json_object());
    if (flags & VALIDATE_EQUAL) {
        json_object_set_new(c, "equal", must(json_integer(min)));
        snprintf(msg, sizeof(msg), "Length must be %" PRId64 ".", min);
        return leaf("length", c, msg);
    }
    /* xivo's Length always names both bounds, null when absent. */
    json_object_set_new(c, "min", bound_or_null(flags, VALIDATE_MIN, min));
    json_object_set_new(c, "max", bound_or_null(flags, VALIDATE_MAX, max));
    bool both = (flags & VALIDATE_MIN) && (flags & VALIDATE_MAX);
    if (both) {
        snprintf(msg, sizeof(msg), "Length must be between %" PRId64 " and %" PRId64 ".", min, max);
    } else if ((flags & VALIDATE_MIN) && actual < min) {
        snprintf(msg, sizeof(msg), "Shorter than minimum length %" PRId64 ".", min);
    } else {
        snprintf(msg, sizeof(msg), "Longer than maximum length %" PRId64 ".", max);
    }
    return leaf("length", c, msg);
}

static json_t *range_error(unsigned flags, int64_t min, int64_t max)
{
    char msg[160];
    json_t *c = must(json_object());
    /* xivo's Range names only the bounds it has. */
    if (flags & VALIDATE_MIN) {
        json_object_set_new(c, "min", must(json_integer(min)));
    }
    if (flags & VALIDATE_MAX) {
        json_object_set_new(c, "max", must(json_integer(max)));
    }
    if ((flags & VALIDATE_MIN) && (flags & VALIDATE_MAX)) {
        snprintf(msg, sizeof(msg),
                 "Must be greater than or equal to %" PRId64 " and less than or equal to %" PRId64
                 ".",
                 min, max);
    } else if (flags & VALIDATE_MIN) {
        snprintf(msg, sizeof(msg), "Must be greater than or equal to %" PRId64 ".", min);
    } else {
        snprintf(msg, sizeof(msg), "Must be less than or equal to %" PRId64 ".", max);
    }
    return leaf("range", c, msg);
}

static json_t *enum_error(const char *const *choices)
{
    json_t *list = must(json_array());
    size_t need = sizeof("Must be one of: .");
    for (const char *const *c = choices; *c != NULL; c++) {
        json_array_append_new(list, must(json_string(*c)));
        need += strlen(*c) + 2;
    }
    char *msg = xmalloc(need);
    size_t o = (size_t)snprintf(msg, need, "Must be one of: ");
    for (const char *const *c = choices; *c != NULL; c++) {
        o += (size_t)snprintf(msg + o, need - o, "%s%s", c == choices ? "" : ", ", *c);
    }
    snprintf(msg + o, need - o, ".");
    json_t *constraint = must(json_object());
    json_object_set_new(constraint, "choices", list);
    json_t *l = leaf("enum", constraint, msg);
    free(msg);
    return l;
}

static bool length_ok(const struct validate_field *f, int64_t n)
{
    if (f->flags & VALIDATE_EQUAL) {
        return n == f->min;
    }
    return !((f->flags & VALIDATE_MIN) && n < f->min) && !((f->flags & VALIDATE_MAX) && n > f->max);
}

static bool range_ok(const struct validate_field *f, int64_t v)
{
    return !((f->flags & VALIDATE_MIN) && v < f->min) && !((f->flags & VALIDATE_MAX) && v > f->max);
}

/* Outcome of one row: NULL when fine, else the error to store under its name. */
static json_t *check_string(const struct validate_field *f, const char *s, size_t len,
                            struct validate_value *v)
{
    size_t count = 0;
    if (!utf8_valid(s, len, &count)) {
        return type_error(VALIDATE_STRING);
    }
    v->s = s;
    v->len = len;
    v->count = count;
    if (!length_ok(f, (int64_t)count)) {
        return as_list(validate_error_length(f->flags, f->min, f->max, (int64_t)count));
    }
    return NULL;
}

static json_t *check_enum(const struct validate_field *f, const char *s, size_t len,
                          struct validate_value *v)
{
    BUG_ON(f->choices == NULL);
    for (size_t i = 0; f->choices[i] != NULL; i++) {
        if (strlen(f->choices[i]) == len && memcmp(f->choices[i], s, len) == 0) {
            v->s = s;
            v->len = len;
            v->i = (int64_t)i;
            return NULL;
        }
    }
    return as_list(enum_error(f->choices));
}

static json_t *check_int(const struct validate_field *f, int64_t i, struct validate_value *v)
{
    v->i = i;
    if (!range_ok(f, i)) {
        return as_list(range_error(f->flags, f->min, f->max));
    }
    return NULL;
}

static json_t *check_uuid(const char *s, size_t len, struct validate_value *v)
{
    if (!uuid_normalize(s, len, v->uuid)) {
        return type_error(VALIDATE_UUID);
    }
    return NULL;
}

static json_t *check_datetime(const char *s, size_t len, struct validate_value *v)
{
    if (time_parse_iso8601(s, len, &v->i) < 0) {
        return type_error(VALIDATE_DATETIME);
    }
    v->s = s;
    v->len = len;
    return NULL;
}

static void apply_default(const struct validate_field *f, struct validate_value *v)
{
    if (!(f->flags & VALIDATE_DEFAULT)) {
        return;
    }
    v->i = f->default_int;
    if (f->default_str != NULL) {
        v->s = f->default_str;
        v->len = strlen(f->default_str);
        if (f->type == VALIDATE_ENUM) {
            for (size_t i = 0; f->choices[i] != NULL; i++) {
                if (strcmp(f->choices[i], f->default_str) == 0) {
                    v->i = (int64_t)i;
                }
            }
        }
    }
}

static json_t *check_object(const json_t *obj, const struct validate_field *fields, size_t n,
                            struct validate_value *out);

static json_t *check_object_array(const struct validate_field *f, const json_t *j,
                                  struct validate_value *v)
{
    if (!json_is_array(j)) {
        return type_error(VALIDATE_OBJECT_ARRAY);
    }
    json_t *items = NULL;
    size_t idx;
    json_t *item;
    json_array_foreach(j, idx, item)
    {
        json_t *err = NULL;
        if (!json_is_object(item)) {
            err = type_error(VALIDATE_OBJECT);
        } else {
            err = check_object(item, f->sub, f->nsub, NULL);
        }
        if (err != NULL) {
            char key[24];
            snprintf(key, sizeof(key), "%zu", idx);
            if (items == NULL) {
                items = must(json_object());
            }
            json_object_set_new(items, key, err);
        }
    }
    /* As in marshmallow, item errors stop the field before its length validator. */
    if (items != NULL) {
        return items;
    }
    v->json = j;
    v->count = json_array_size(j);
    if (!length_ok(f, (int64_t)v->count)) {
        return as_list(validate_error_length(f->flags, f->min, f->max, (int64_t)v->count));
    }
    return NULL;
}

/* Integral JSON reals (5.0) are integers, as Python's int() would take them. */
static bool json_to_int(const json_t *j, int64_t *out)
{
    if (json_is_integer(j)) {
        *out = (int64_t)json_integer_value(j);
        return true;
    }
    if (json_is_real(j)) {
        double d = json_real_value(j);
        if (d >= -9223372036854775808.0 && d < 9223372036854775808.0 && floor(d) == d) {
            *out = (int64_t)d;
            return true;
        }
    }
    return false;
}

static json_t *check_json_value(const struct validate_field *f, const json_t *j,
                                struct validate_value *v)
{
    switch (f->type) {
    case VALIDATE_STRING:
    case VALIDATE_ENUM:
    case VALIDATE_UUID:
    case VALIDATE_DATETIME: {
        if (!json_is_string(j)) {
            return type_error(f->type);
        }
        const char *s = json_string_value(j);
        size_t len = json_string_length(j);
        if (f->type == VALIDATE_STRING) {
            return check_string(f, s, len, v);
        }
        if (f->type == VALIDATE_ENUM) {
            return check_enum(f, s, len, v);
        }
        if (f->type == VALIDATE_UUID) {
            return check_uuid(s, len, v);
        }
        return check_datetime(s, len, v);
    }
    case VALIDATE_INT: {
        int64_t i;
        if (!json_to_int(j, &i)) {
            return type_error(VALIDATE_INT);
        }
        return check_int(f, i, v);
    }
    case VALIDATE_BOOL:
        if (!json_is_boolean(j)) {
            return type_error(VALIDATE_BOOL);
        }
        v->i = json_is_true(j);
        return NULL;
    case VALIDATE_OBJECT: {
        if (!json_is_object(j)) {
            return type_error(VALIDATE_OBJECT);
        }
        json_t *err = check_object(j, f->sub, f->nsub, NULL);
        if (err == NULL) {
            v->json = j;
        }
        return err;
    }
    case VALIDATE_OBJECT_ARRAY:
        return check_object_array(f, j, v);
    case VALIDATE_UUID_LIST:
        break;
    }
    hu_bug(__FILE__, __LINE__, "validate: UUID_LIST rows are for query strings");
}

/* Row i's value: out[i] zeroed, or tmp (already zeroed) when the caller wants none. */
static struct validate_value *row_value(struct validate_value *out, size_t i,
                                        struct validate_value *tmp)
{
    if (out == NULL) {
        return tmp;
    }
    memset(&out[i], 0, sizeof(out[i]));
    return &out[i];
}

/* A row the input lacks: its required error, or its default into v. */
static json_t *check_missing(const struct validate_field *f, struct validate_value *v)
{
    if (f->flags & VALIDATE_REQUIRED) {
        return leaf_required();
    }
    apply_default(f, v);
    return NULL;
}

/* Adds a row's error (taken; NULL for none) to *errors, made on the first. */
static void collect(json_t **errors, const char *name, json_t *err)
{
    if (err == NULL) {
        return;
    }
    if (*errors == NULL) {
        *errors = must(json_object());
    }
    json_object_set_new(*errors, name, err);
}

/* Checks every row; returns the error object (new reference) or NULL. */
static json_t *check_object(const json_t *obj, const struct validate_field *fields, size_t n,
                            struct validate_value *out)
{
    json_t *errors = NULL;
    for (size_t i = 0; i < n; i++) {
        const struct validate_field *f = &fields[i];
        struct validate_value tmp = {0};
        struct validate_value *v = row_value(out, i, &tmp);
        json_t *err = NULL;
        const json_t *j = json_object_get(obj, f->name);
        if (j == NULL) {
            err = check_missing(f, v);
        } else if (json_is_null(j)) {
            v->present = true;
            v->is_null = true;
            if (!(f->flags & VALIDATE_NULLABLE)) {
                err = leaf_not_null();
            }
        } else {
            v->present = true;
            err = check_json_value(f, j, v);
        }
        collect(&errors, f->name, err);
    }
    return errors;
}

static int finish(json_t *errors, json_t **details)
{
    if (details != NULL) {
        *details = errors;
    } else {
        json_decref(errors);
    }
    return errors == NULL ? 0 : HE_INVAL;
}

int validate_json(const json_t *body, const struct validate_field *fields, size_t n,
                  struct validate_value *out, json_t **details)
{
    json_t *errors = NULL;
    json_t *empty = NULL;
    if (body == NULL || json_is_null(body)) {
        body = empty = must(json_object());
    }
    if (!json_is_object(body)) {
        if (out != NULL) {
            memset(out, 0, n * sizeof(*out));
        }
        errors = must(json_object());
        json_t *list = must(json_array());
        json_array_append_new(list, must(json_string("Invalid input type.")));
        json_object_set_new(errors, "_schema", list);
    } else {
        errors = check_object(body, fields, n, out);
    }
    json_decref(empty);
    return finish(errors, details);
}

/* Strict decimal: optional sign, digits only. *overflow gets the sign of an out-of-range value. */
static bool parse_int(const char *s, int64_t *out, int *overflow)
{
    bool neg = false;
    uint64_t acc = 0;
    uint64_t limit;
    *overflow = 0;
    if (*s == '-' || *s == '+') {
        neg = *s == '-';
        s++;
    }
    if (*s == '\0') {
        return false;
    }
    limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9') {
            return false;
        }
        unsigned d = (unsigned)(*s - '0');
        if (*overflow == 0 && acc > (limit - d) / 10) {
            *overflow = neg ? -1 : 1;
        }
        acc = acc * 10 + d;
    }
    if (*overflow != 0) {
        return false;
    }
    *out = neg ? (int64_t)(0 - acc) : (int64_t)acc;
    return true;
}

static bool parse_bool(const char *s, int64_t *out)
{
    static const char *const truthy[] = {"true", "t", "1", "yes", "y", "on"};
    static const char *const falsy[] = {"false", "f", "0", "no", "n", "off"};
    for (size_t i = 0; i < HU_ARRAY_LEN(truthy); i++) {
        if (strcasecmp(s, truthy[i]) == 0) {
            *out = 1;
            return true;
        }
        if (strcasecmp(s, falsy[i]) == 0) {
            *out = 0;
            return true;
        }
    }
    return false;
}

static json_t *check_uuid_list(const struct validate_field *f, const char *s,
                               struct validate_value *v)
{
    size_t len = strlen(s);
    size_t count = 0;
    char tmp[UUID_STR_LEN];
    v->s = s;
    v->len = len;
    for (size_t start = 0; len > 0 && start <= len;) {
        const char *comma = memchr(s + start, ',', len - start);
        size_t end = comma ? (size_t)(comma - s) : len;
        if (!uuid_normalize(s + start, end - start, tmp)) {
            return type_error(VALIDATE_UUID_LIST);
        }
        count++;
        start = end + 1;
    }
    v->count = count;
    if (!length_ok(f, (int64_t)count)) {
        return as_list(validate_error_length(f->flags, f->min, f->max, (int64_t)count));
    }
    return NULL;
}

static json_t *check_query_value(const struct validate_field *f, const char *s,
                                 struct validate_value *v)
{
    size_t len = strlen(s);
    switch (f->type) {
    case VALIDATE_STRING:
        return check_string(f, s, len, v);
    case VALIDATE_ENUM:
        return check_enum(f, s, len, v);
    case VALIDATE_UUID:
        return check_uuid(s, len, v);
    case VALIDATE_DATETIME:
        return check_datetime(s, len, v);
    case VALIDATE_INT: {
        int64_t i = 0;
        int overflow = 0;
        if (parse_int(s, &i, &overflow)) {
            return check_int(f, i, v);
        }
        /* Beyond 64 bits but on the side of a declared bound: that bound is the error. */
        if ((overflow > 0 && (f->flags & VALIDATE_MAX)) ||
            (overflow < 0 && (f->flags & VALIDATE_MIN))) {
            return as_list(range_error(f->flags, f->min, f->max));
        }
        return type_error(VALIDATE_INT);
    }
    case VALIDATE_BOOL:
        if (!parse_bool(s, &v->i)) {
            return type_error(VALIDATE_BOOL);
        }
        return NULL;
    case VALIDATE_UUID_LIST:
        return check_uuid_list(f, s, v);
    case VALIDATE_OBJECT:
    case VALIDATE_OBJECT_ARRAY:
        break;
    }
    hu_bug(__FILE__, __LINE__, "validate: object rows are for JSON bodies");
}

int validate_query(validate_get_fn get, void *ctx, const struct validate_field *fields, size_t n,
                   struct validate_value *out, json_t **details)
{
    json_t *errors = NULL;
    for (size_t i = 0; i < n; i++) {
        const struct validate_field *f = &fields[i];
        struct validate_value tmp = {0};
        struct validate_value *v = row_value(out, i, &tmp);
        json_t *err = NULL;
        const char *s = get(ctx, f->name);
        if (s == NULL) {
            err = check_missing(f, v);
        } else {
            v->present = true;
            err = check_query_value(f, s, v);
        }
        collect(&errors, f->name, err);
    }
    return finish(errors, details);
}

const char *validate_kv_get(void *ctx, const char *name)
{
    for (const struct validate_kv *kv = ctx; kv->key != NULL; kv++) {
        if (strcmp(kv->key, name) == 0) {
            return kv->value;
        }
    }
    return NULL;
}

bool validate_uuid_list_next(const struct validate_value *v, size_t *pos, char out[UUID_STR_LEN])
{
    if (v->s == NULL || *pos >= v->len) {
        return false;
    }
    const char *start = v->s + *pos;
    const char *comma = memchr(start, ',', v->len - *pos);
    size_t n = comma ? (size_t)(comma - start) : v->len - *pos;
    *pos += n + 1;
    /* Checked by validate_query(); a failure here means the value was not checked. */
    BUG_ON(!uuid_normalize(start, n, out));
    return true;
}
