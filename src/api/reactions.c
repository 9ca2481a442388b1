/*
 * reactions: Huard's first extension of chatd (issue 5; DESIGN.md sections 5, 5b).
 *
 *   POST   /api/chatd/1.0/users/me/rooms/{room}/messages/{message}/reactions  {"emoji": "🎉"}
 *   DELETE /api/chatd/1.0/users/me/rooms/{room}/messages/{message}/reactions/{emoji}
 *
 * ACLs follow chatd's scheme, chatd.users.me.rooms.<room>.messages.<message>.reactions.
 * create|delete, which the stock user policy's chatd.users.me.rooms.# grants. Order as for
 * posting a message: routing, token, then the room and message lookups win over body errors.
 */
#define LOG_MODULE "chatd"
#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "api/auth.h"
#include "api/chatd_internal.h"
#include "base/err.h"
#include "domain/messages.h"
#include "domain/render.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"
#include "text/emoji.h"

static const struct validate_field reaction_fields[] = {
    {"emoji", VALIDATE_STRING, .flags = VALIDATE_REQUIRED},
};

/* Answers a messages_react() failure; returns the code. */
static int react_fail(struct http_response *resp, int rc, const char *room_uuid,
                      const char *message_uuid, const char *emoji)
{
    switch (rc) {
    case HE_UNKNOWN_ROOM:
        return chatd__unknown(resp, rc, room_uuid);
    case HE_UNKNOWN_MESSAGE:
        return chatd__unknown(resp, rc, message_uuid);
    case HE_EXISTS:
        http_resp_error(resp, rc,
                        json_pack("{s:s, s:s}", "message_uuid", message_uuid, "emoji", emoji),
                        "reactions", "Reaction already exists");
        return rc;
    case HE_NOT_FOUND:
        http_resp_error(resp, rc,
                        json_pack("{s:s, s:s}", "message_uuid", message_uuid, "emoji", emoji),
                        "reactions", "No such reaction");
        return rc;
    default:
        return chatd__fail(resp, rc);
    }
}

/* The emoji rule as a validator error, in the list form of field validators (1.4). */
static json_t *emoji_error(void)
{
    return json_pack("{s:[{s:s, s:s, s:s}]}", "emoji", "constraint_id", "emoji", "constraint",
                     "single_emoji", "message", "Must be exactly one emoji.");
}

/*
 * What both routes do first: the two path uuids (routing 404), then the token against
 * chatd.users.me.rooms.<room>.messages.<message>.reactions.<verb> (401). Returns 0 with *id
 * filled, or a negative code with resp set.
 */
static int reaction_begin(struct chatd *c, const struct http_request *req,
                          struct http_response *resp, const char *verb,
                          char room_uuid[UUID_STR_LEN], char message_uuid[UUID_STR_LEN],
                          struct auth_identity *id)
{
    if (!chatd__path_uuid(req, resp, "room_uuid", room_uuid) ||
        !chatd__path_uuid(req, resp, "message_uuid", message_uuid)) {
        return HE_NOT_FOUND;
    }
    const char *params[] = {room_uuid, message_uuid, verb};
    return chatd__auth(c, req, resp, "chatd.users.me.rooms.{}.messages.{}.reactions.{}", params, 3,
                       id);
}

static int reaction_post(const struct http_request *req, struct http_response *resp, void *ctx)
{
    struct chatd *c = ctx;
    struct auth_identity id = {0};
    json_t *body = NULL;
    json_t *details = NULL;
    struct render_events evs = {0};
    char room_uuid[UUID_STR_LEN];
    char message_uuid[UUID_STR_LEN];
    int rc = reaction_begin(c, req, resp, "create", room_uuid, message_uuid, &id);
    if (rc < 0) {
        return rc;
    }
    struct validate_value v[1] = {{0}};
    int bad = chatd__body_check(req, reaction_fields, 1, v, &body, &details);
    if (bad == 0 && !emoji_is_single(v[0].s, v[0].len)) {
        bad = HE_INVAL;
        details = emoji_error();
    }
    if (bad < 0) {
        /* Room and message first: a non-member learns nothing from a body error. */
        rc = messages_check(c->app->store, room_uuid, message_uuid, id.user_uuid);
        if (rc < 0) {
            rc = react_fail(resp, rc, room_uuid, message_uuid, "");
        } else {
            rc = chatd__reject(resp, bad, details);
            details = NULL;
        }
        goto out;
    }
    const char *emoji = v[0].s;
    rc = messages_react(c->app->store, room_uuid, message_uuid, id.user_uuid, emoji, true, &evs);
    if (rc < 0) {
        rc = react_fail(resp, rc, room_uuid, message_uuid, emoji);
        goto out;
    }
    size_t len;
    char *text = render_reaction(room_uuid, message_uuid, emoji, id.user_uuid, &len);
    rc = chatd__json(resp, 201, text, len);
    chatd__publish(c, resp, &evs);
out:
    render_events_release(&evs);
    json_decref(body);
    json_decref(details);
    auth_identity_release(&id);
    return rc;
}

static int reaction_delete(const struct http_request *req, struct http_response *resp, void *ctx)
{
    struct chatd *c = ctx;
    struct auth_identity id = {0};
    struct render_events evs = {0};
    char room_uuid[UUID_STR_LEN];
    char message_uuid[UUID_STR_LEN];
    int rc = reaction_begin(c, req, resp, "delete", room_uuid, message_uuid, &id);
    if (rc < 0) {
        return rc;
    }
    /* The path is percent-decoded by the server: "%F0%9F%8E%89" arrives as the emoji. Only
     * single emoji are ever stored, so anything else (invalid UTF-8 included, which
     * PostgreSQL would refuse as a parameter) is not found once room and message are. */
    const char *emoji = http_request_param(req, "emoji");
    if (!emoji || !emoji_is_single(emoji, strlen(emoji))) {
        rc = messages_check(c->app->store, room_uuid, message_uuid, id.user_uuid);
        rc = react_fail(resp, rc < 0 ? rc : HE_NOT_FOUND, room_uuid, message_uuid, "");
        goto out;
    }
    rc = messages_react(c->app->store, room_uuid, message_uuid, id.user_uuid, emoji, false, &evs);
    if (rc < 0) {
        rc = react_fail(resp, rc, room_uuid, message_uuid, emoji);
        goto out;
    }
    http_resp_status(resp, 204);
    chatd__publish(c, resp, &evs);
out:
    render_events_release(&evs);
    auth_identity_release(&id);
    return rc;
}

int chatd__reactions_register(struct http_router *router, struct chatd *c)
{
    if (!http_route_add(router, "POST",
                        "/api/chatd/1.0/users/me/rooms/{room_uuid}/messages/{message_uuid}/"
                        "reactions",
                        reaction_post, c, 0) ||
        !http_route_add(router, "DELETE",
                        "/api/chatd/1.0/users/me/rooms/{room_uuid}/messages/{message_uuid}/"
                        "reactions/{emoji}",
                        reaction_delete, c, 0)) {
        return HE_INTERNAL;
    }
    return 0;
}
