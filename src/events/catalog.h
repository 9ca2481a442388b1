/*
 * catalog: what an outbox event's name means on the websocketd wire (wazo-api.md 5.2-5.4,
 * DESIGN.md 5b): whether it goes to named users or to the whole tenant, the required ACL the
 * receiving token must match, and the extra envelope headers (room_uuid).
 *
 * Known names:
 * - chatd_user_room_created: user event, `events.chatd.users.{user}.rooms.created`.
 * - chatd_user_room_message_created: user event,
 *   `events.chatd.users.{user}.rooms.<room>.messages.created`, header room_uuid.
 * - chatd_users_room_message_reaction_created / _deleted (the Wazo team's names): user
 *   events, `events.chatd.users.{user}.rooms.<room>.messages.reactions.created|deleted`,
 *   header room_uuid.
 * - chatd_presence_updated: tenant event, `events.chatd.users.<subject>.presences.updated`
 *   where <subject> is the payload's `uuid` (the user whose presence changed).
 * - chatd_user_room_updated / _deleted: user events about the room itself,
 *   `events.chatd.users.{user}.rooms.<room>.updated|deleted`, header room_uuid.
 * - Extensions chatd_user_room_<noun>_<verb> (verb: created, updated, deleted, added,
 *   removed; noun: lower-case letters and `_`): user events,
 *   `events.chatd.users.{user}.rooms.<room>.<noun>s.<verb>` (chatd's plural collection
 *   segment, e.g. member_added -> `members.added`), header room_uuid. So the stock user
 *   pattern `events.chatd.users.me.rooms.#` covers every room event, old and new.
 * {user} stays in the template: envelope.h puts each recipient's uuid there.
 *
 * Everything is borrowed; nothing allocates except the payload parse of tenant events. Any
 * thread may call these functions.
 */
#ifndef HUARD_EVENTS_CATALOG_H
#define HUARD_EVENTS_CATALOG_H

#include <stdbool.h>
#include <stddef.h>

#include "base/alloc.h"
#include "events/envelope.h"

struct store_event;

/* Longest required ACL template the catalog writes (NUL included). */
#define CATALOG_ACL_MAX 256
#define CATALOG_HEADERS_MAX 2

/* What catalog_describe() finds; header values are borrowed from the store event. */
struct catalog_event {
    enum envelope_target target;
    char required_acl[CATALOG_ACL_MAX]; /* template with ENVELOPE_USER_PLACEHOLDER for users */
    struct envelope_header headers[CATALOG_HEADERS_MAX];
    size_t nheaders;
};

/** True when name is an event the catalog can describe (explicit or extension form). */
bool catalog_known(const char *name);

/**
 * Describes ev. Returns 0, or HE_INVAL when the name is unknown, when ev's target
 * (tenant_wide) is not the name's, when a room event has no canonical room_uuid, or when a
 * presence payload has no canonical `uuid` string.
 */
int catalog_describe(const struct store_event *ev, struct catalog_event *out) HU_MUST_CHECK;

#endif
