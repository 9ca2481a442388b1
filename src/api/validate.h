/*
 * validate: the one table-driven checker of request bodies and query strings, producing
 * Wazo's "mallow" validation `details` (wazo-api.md 1.3, 1.4).
 *
 * An endpoint declares a static table of fields (name, type, flags, bounds) and calls
 * validate_json() on its parsed body or validate_query() on its query string. Every field is
 * checked (errors are collected, not stopped at the first, as marshmallow does); unknown
 * keys are ignored. On success each row's value lands in the parallel `out` array; on
 * failure the function returns HE_INVAL and `*details` receives the error tree:
 *   - type, required and not_null errors are one leaf object per field:
 *       {"limit": {"constraint_id":"type","constraint":"integer","message":"Not a valid integer."}}
 *   - validator errors (length, range, enum) are a list of leaves:
 *       {"direction": [{"constraint_id":"enum","constraint":{"choices":["asc","desc"]},...}]}
 *   - nested objects nest, array items are keyed by their index as a string:
 *       {"users": {"0": {"uuid": {...}}}}
 * A body that is not an object gives {"_schema": ["Invalid input type."]}; a JSON null body
 * counts as {} (xivo's Schema.ensure_dict).
 *
 * Example:
 *   enum { MSG_CONTENT, MSG_ALIAS };
 *   static const struct validate_field message_fields[] = {
 *       [MSG_CONTENT] = {"content", VALIDATE_STRING, VALIDATE_REQUIRED | VALIDATE_MAX, .max =
 * 8000}, [MSG_ALIAS] = {"alias", VALIDATE_STRING, VALIDATE_NULLABLE | VALIDATE_MAX, .max = 256},
 *   };
 *   struct validate_value v[HU_ARRAY_LEN(message_fields)];
 *   json_t *details = NULL;
 *   if (validate_json(body, message_fields, HU_ARRAY_LEN(message_fields), v, &details) < 0)
 *       -> 400 invalid-data with details (caller json_decref()s it)
 *   v[MSG_CONTENT].s, v[MSG_CONTENT].len; v[MSG_ALIAS].present / .is_null / .s
 *
 * Write rows with at least one designated member (`.flags = 0`, `.max = 256`): a purely
 * positional row that stops early trips gcc's -Wmissing-field-initializers.
 *
 * Values borrow from the input (the json_t body, or the strings the query getter returns):
 * keep the input alive while using them. Nothing else is allocated but `*details`.
 * Pure functions over their arguments; any thread may call them.
 */
#ifndef HUARD_API_VALIDATE_H
#define HUARD_API_VALIDATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/alloc.h"
#include "base/uuid.h"

enum validate_type {
    VALIDATE_STRING,       /* valid UTF-8; min/max bound its length in Unicode scalar values */
    VALIDATE_INT,          /* 64-bit; min/max bound the value */
    VALIDATE_BOOL,         /* JSON true/false; query: true/false/1/0/yes/no/on/off/t/f/y/n */
    VALIDATE_UUID,         /* any form uuid_normalize() accepts; out: canonical */
    VALIDATE_DATETIME,     /* ISO 8601 as marshmallow reads it; naive means UTC */
    VALIDATE_ENUM,         /* a string among `choices` */
    VALIDATE_OBJECT,       /* an object checked against `sub` */
    VALIDATE_OBJECT_ARRAY, /* an array of objects checked against `sub`; min/max bound count */
    VALIDATE_UUID_LIST,    /* query only: comma-separated uuids; min/max bound the count */
};

/* Row flags. */
#define VALIDATE_REQUIRED 0x01u /* missing -> "required" error */
#define VALIDATE_NULLABLE 0x02u /* JSON null accepted (else "not_null" error) */
#define VALIDATE_MIN 0x04u      /* `min` applies */
#define VALIDATE_MAX 0x08u      /* `max` applies */
#define VALIDATE_EQUAL 0x10u    /* length must be exactly `min` (strings, arrays, lists) */
#define VALIDATE_DEFAULT 0x20u  /* missing -> default_int / default_str in the value */

struct validate_field {
    const char *name;
    enum validate_type type;
    unsigned flags;
    int64_t min;
    int64_t max;
    const char *const *choices;       /* VALIDATE_ENUM: NULL-terminated */
    const struct validate_field *sub; /* VALIDATE_OBJECT, VALIDATE_OBJECT_ARRAY */
    size_t nsub;
    int64_t default_int;     /* VALIDATE_DEFAULT on INT, BOOL */
    const char *default_str; /* VALIDATE_DEFAULT on STRING, ENUM */
};

/* The value of one row after a successful check. */
struct validate_value {
    bool present; /* the key was given (JSON null included); false when defaulted */
    bool is_null; /* given as JSON null (VALIDATE_NULLABLE rows only) */
    /* INT, BOOL (0/1), ENUM (index in choices), DATETIME (microseconds since the epoch, UTC) */
    int64_t i;
    const char *s; /* STRING, ENUM, DATETIME, UUID_LIST: the text (NUL-terminated), or NULL */
    size_t len;    /* bytes of s */
    size_t count;  /* STRING: scalar values; OBJECT_ARRAY, UUID_LIST: items */
    char uuid[UUID_STR_LEN]; /* UUID: canonical lower case */
    const json_t *json;      /* OBJECT, OBJECT_ARRAY: the node in the body */
};

/**
 * Checks body against fields[0..n). Fills out[0..n) (may be NULL to only check).
 * Returns 0, or HE_INVAL and stores a new reference to the details object in *details
 * (when details is not NULL; *details is set to NULL on success).
 */
int validate_json(const json_t *body, const struct validate_field *fields, size_t n,
                  struct validate_value *out, json_t **details) HU_MUST_CHECK;

/* Returns the URL-decoded value of query parameter name, or NULL when absent. */
typedef const char *(*validate_get_fn)(void *ctx, const char *name);

/**
 * Same as validate_json() for a query string: every value is text to convert ("abc" for an
 * integer is a type error, "-1" against min 0 a range error, a value beyond 64 bits a range
 * error when the row has that bound, else a type error). Rows of type OBJECT and
 * OBJECT_ARRAY are not allowed here. Empty UUID_LIST values give an empty list.
 */
int validate_query(validate_get_fn get, void *ctx, const struct validate_field *fields, size_t n,
                   struct validate_value *out, json_t **details) HU_MUST_CHECK;

/* Key/value pairs, terminated by a NULL key, for validate_kv_get(). */
struct validate_kv {
    const char *key;
    const char *value;
};
/** A validate_get_fn over a struct validate_kv array (ctx); the first match wins. */
const char *validate_kv_get(void *ctx, const char *name);

/**
 * Iterates a checked UUID_LIST value: *pos starts at 0; each call writes the next canonical
 * uuid into out and returns true, then false at the end.
 */
bool validate_uuid_list_next(const struct validate_value *v, size_t *pos, char out[UUID_STR_LEN]);

/**
 * A length error leaf for handlers that check sizes themselves, e.g. chatd's room size
 * (wazo-api.md 3.2: {"users": leaf}). flags: VALIDATE_MIN/MAX/EQUAL as in a row; actual
 * selects the message. Returns a new reference.
 */
json_t *validate_error_length(unsigned flags, int64_t min, int64_t max, int64_t actual);

#endif
