/*
 * err: the one error table of Huard (after libuv's UV_ERRNO_MAP).
 *
 * Fallible functions return 0 or a negative HE_* code. Each code carries the HTTP status and
 * the Wazo `error_id` and message that api/ and ws/ put on the wire (wazo-api.md 1.3); no
 * other layer turns codes into wire errors. Add a row here, never a code elsewhere.
 * Any thread may call these functions; they only read static data.
 */
#ifndef HUARD_BASE_ERR_H
#define HUARD_BASE_ERR_H

/* X(name, http status, error_id, message) */
#define HE_ERRNO_MAP(X)                                                                            \
    X(NOMEM, 500, "internal-error", "Out of memory")                                               \
    X(INTERNAL, 500, "internal-error", "Internal server error")                                    \
    X(IO, 500, "internal-error", "Input/output error")                                             \
    X(DB, 500, "internal-error", "Database error")                                                 \
    X(INVAL, 400, "invalid-data", "Sent data is invalid")                                          \
    X(BAD_JSON, 400, "invalid-data", "Malformed JSON body")                                        \
    X(DUPLICATE_USER, 400, "duplicate-user", "Duplicate user detected")                            \
    X(UNAUTHORIZED, 401, "unauthorized", "Unauthorized")                                           \
    X(FORBIDDEN, 403, "forbidden", "Forbidden")                                                    \
    X(NOT_FOUND, 404, "not-found", "Not found")                                                    \
    X(UNKNOWN_ROOM, 404, "unknown-room", "No such room")                                           \
    X(UNKNOWN_USER, 404, "unknown-user", "No such user")                                           \
    X(UNKNOWN_MESSAGE, 404, "unknown-message", "No such message")                                  \
    X(UNKNOWN_TOKEN, 404, "unknown-token", "No such token")                                        \
    X(METHOD, 405, "method-not-allowed", "Method not allowed")                                     \
    X(EXISTS, 409, "conflict", "Already exists")                                                   \
    X(TOO_LARGE, 413, "payload-too-large", "Request body too large")                               \
    X(URI_TOO_LONG, 414, "uri-too-long", "Request URI too long")                                   \
    X(RANGE, 416, "range-not-satisfiable", "Requested range not satisfiable")                      \
    X(RATE_LIMITED, 429, "too-many-requests", "Too many requests")                                 \
    X(HEADERS_TOO_LARGE, 431, "headers-too-large", "Request header fields too large")              \
    X(UNAVAILABLE, 503, "service-unavailable", "Service unavailable")                              \
    X(BUSY, 503, "service-unavailable", "Server busy")                                             \
    X(CONFIG, 0, "config", "Invalid configuration")                                                \
    X(AGAIN, 0, "again", "Try again")

enum he_code {
    HE_OK = 0,
#define HE_ENUM_(name, status, id, msg) HE_##name,
    HE_ERR_FIRST_ = -1000,
    HE_ERRNO_MAP(HE_ENUM_)
#undef HE_ENUM_
    HE_ERR_LAST_
};

/** HTTP status for a code (500 for unknown codes). */
int he_status(int code);
/** Wazo `error_id` for a code ("internal-error" for unknown codes). */
const char *he_error_id(int code);
/** Human message for a code. */
const char *he_message(int code);
/** Symbolic name, e.g. "HE_INVAL", for logs. */
const char *he_name(int code);

#endif
