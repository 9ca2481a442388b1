/*
 * chatd_internal: what the chatd REST modules (api/chatd.c, rooms.c, messages.c,
 * presences.c, reactions.c) share. Not a public contract: only those files include it.
 *
 * Every handler follows chatd's order (wazo-api.md 1.3, 1.6): a path segment that must be a
 * UUID and is not is a routing 404 `not-found` (Flask's uuid converter answers before any
 * auth), then the token and the route's ACL (401), then validation (400) and lookups (404) in
 * the order each endpoint documents. Handlers run on workers.
 */
#ifndef HUARD_API_CHATD_INTERNAL_H
#define HUARD_API_CHATD_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "api/validate.h"
#include "base/alloc.h"
#include "base/uuid.h"

struct app;
struct http_router;
struct http_request;
struct http_response;
struct auth_identity;
struct render_events;

/* Longest page a list endpoint answers (DESIGN.md section 6: page size <= 100). */
#define CHATD_PAGE_MAX 100
/* chatd's alias limit (wazo-api.md 3.5). */
#define CHATD_ALIAS_MAX 256

/* The context of every chatd route. */
struct chatd {
    struct app *app;
    int max_room_members;
    /* POST messages body: content's max is the configured message_max_chars. */
    struct validate_field message_fields[2];
};

/**
 * Reads path parameter name as a UUID into out (canonical). On failure answers the routing
 * 404 `not-found` and returns false.
 */
bool chatd__path_uuid(const struct http_request *req, struct http_response *resp, const char *name,
                      char out[UUID_STR_LEN]);

/**
 * Checks the token against the ACL tmpl with its `{}` placeholders replaced by params
 * (acl_format). Returns 0 with *id filled (release it), or a negative code with resp set.
 */
int chatd__auth(struct chatd *c, const struct http_request *req, struct http_response *resp,
                const char *tmpl, const char *const *params, size_t nparams,
                struct auth_identity *id) HU_MUST_CHECK;

/**
 * Parses the request body as JSON into *body (new reference; an empty body is JSON null,
 * which validation reads as {}) and checks it against fields into v (which points into
 * *body). Returns 0, or HE_BAD_JSON (malformed JSON, invalid UTF-8 included; *details =
 * {line, column}) or HE_INVAL (*details = the validator's) with *details a new reference,
 * for the caller to answer with chatd__reject, at once or once the lookups that come first
 * in chatd are done.
 */
int chatd__body_check(const struct http_request *req, const struct validate_field *fields, size_t n,
                      struct validate_value *v, json_t **body, json_t **details) HU_MUST_CHECK;

/**
 * Checks the request's query string against fields into v. On failure answers 400
 * invalid-data and returns HE_INVAL.
 */
int chatd__query(const struct http_request *req, struct http_response *resp,
                 const struct validate_field *fields, size_t n,
                 struct validate_value *v) HU_MUST_CHECK;

/**
 * Copies the uuids of a validated VALIDATE_UUID_LIST value into *out (new array, free();
 * NULL when the value is absent or empty). Returns how many.
 */
size_t chatd__uuid_list(const struct validate_value *v, char (**out)[UUID_STR_LEN]);

/** Answers code (HE_BAD_JSON, HE_INVAL) with details (taken) in chatd's shape. Returns code. */
int chatd__reject(struct http_response *resp, int code, json_t *details);

/** Answers status with JSON text (taken, allocated with malloc & co). Returns 0. */
int chatd__json(struct http_response *resp, int status, char *text, size_t len);

/**
 * Answers a lookup miss in chatd's shape: `No such <what>: "<uuid>"`, details {"uuid"},
 * resource. code is HE_UNKNOWN_ROOM, HE_UNKNOWN_MESSAGE or HE_UNKNOWN_USER. Returns code.
 */
int chatd__unknown(struct http_response *resp, int code, const char *uuid);

/** Answers any other failure code of a domain call (500 logged). Returns code. */
int chatd__fail(struct http_response *resp, int code);

/**
 * Hands the committed events to the loop: builds each envelope here (worker) with
 * bus_envelope_from_store and queues bus_publish after the response (http_resp_after).
 * Takes the events (evs is left empty).
 */
void chatd__publish(struct chatd *c, struct http_response *resp, struct render_events *evs);

/* Route registration of each module. */
int chatd__rooms_register(struct http_router *router, struct chatd *c) HU_MUST_CHECK;
int chatd__messages_register(struct http_router *router, struct chatd *c) HU_MUST_CHECK;
int chatd__presences_register(struct http_router *router, struct chatd *c) HU_MUST_CHECK;
int chatd__reactions_register(struct http_router *router, struct chatd *c) HU_MUST_CHECK;

#endif
