/*
 * render: the JSON text of chatd's objects (Room, Message, Presence, list envelopes) and the
 * outbox events that carry them (wazo-api.md 3.1, 5.2-5.4; DESIGN.md section 5b).
 *
 * An object is rendered once, as text, and that text is both the REST answer and the event
 * payload the bus splices into every recipient's frame: what a stock client reads in an
 * event's `data` is byte for byte what the POST answered. Extensions only add keys.
 *
 * The text is built with jansson inside render.c; the header exposes no JSON library type, so
 * the rest of domain/ stays free of it (DESIGN.md section 3). Results are NUL-terminated,
 * allocated, the caller's (free()); *len (when not NULL) gets the length without the NUL.
 * Pure functions of their arguments; any thread may call them.
 */
#ifndef HUARD_DOMAIN_RENDER_H
#define HUARD_DOMAIN_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/alloc.h"

struct store_room;
struct store_room_list;
struct store_message;
struct store_message_list;
struct store_presence;
struct store_presence_list;
struct store_event;

/* Event names (wazo-api.md 5.2-5.4; reactions: the names the Wazo team sketched, issue 5). */
#define RENDER_EV_ROOM_CREATED "chatd_user_room_created"
#define RENDER_EV_MESSAGE_CREATED "chatd_user_room_message_created"
#define RENDER_EV_PRESENCE_UPDATED "chatd_presence_updated"
#define RENDER_EV_REACTION_CREATED "chatd_users_room_message_reaction_created"
#define RENDER_EV_REACTION_DELETED "chatd_users_room_message_reaction_deleted"

/**
 * A Room: uuid, tenant_uuid, name, users [{uuid, tenant_uuid, wazo_uuid, identity, role}],
 * plus kind, visibility, history_visibility, topic, max_members and, when unread_count >= 0,
 * unread_count (the viewer's; the creation answer and event give 0). stack_uuid is the
 * wazo_uuid of every internal user.
 */
char *render_room(const struct store_room *room, const char *stack_uuid, int64_t unread_count,
                  size_t *len);
/**
 * {"items":[Room...],"filtered":n,"total":n} (wazo-api.md 3.3). unread (may be NULL) holds
 * one count per room, as render_room's unread_count.
 */
char *render_room_list(const struct store_room_list *rooms, const int64_t *unread,
                       const char *stack_uuid, size_t *len);

/**
 * A Message: uuid, content, alias, user_uuid, tenant_uuid, wazo_uuid, created_at,
 * room {uuid}, delivery (chatd 26.05's internal shape) plus reactions
 * [{emoji, count, user_uuids}], thread_uuid, reply_count, edited_at, deleted_at.
 */
char *render_message(const struct store_message *msg, const char *stack_uuid, size_t *len);
/** {"items":[Message...],"filtered":..,"total":..} (wazo-api.md 3.4, 3.6). */
char *render_message_list(const struct store_message_list *msgs, const char *stack_uuid,
                          size_t *len);

/**
 * A Presence: uuid, tenant_uuid, state, status, last_activity, line_state, lines [],
 * mobile, connected, do_not_disturb (wazo-api.md 3.1). Huard has no phone lines: lines is
 * empty and line_state "unavailable", as chatd reports for a user without lines.
 */
char *render_presence(const struct store_presence *p, size_t *len);
/** {"items":[Presence...],"filtered":..,"total":..} (wazo-api.md 3.7). */
char *render_presence_list(const struct store_presence_list *l, size_t *len);

/** The reaction answer: {"message_uuid","room_uuid","emoji","user_uuid"}. */
char *render_reaction(const char *room_uuid, const char *message_uuid, const char *emoji,
                      const char *user_uuid, size_t *len);

/*
 * Outbox events. Each builder returns a new heap event (store_event_free()) ready for
 * store_event_append(): name, tenant, room, recipients and the payload rendered once.
 * Per-user events list their recipients (the bus sends one frame each, header
 * `user_uuid:<recipient>`); the presence event is tenant-wide and carries the user whose
 * presence changed as its only recipient, from which the bus fills the required ACL
 * `events.chatd.users.<uuid>.presences.updated` (wazo-api.md 5.4).
 */

/** chatd_user_room_created to every member, payload = the Room text (taken). */
struct store_event *render_event_room_created(const struct store_room *room, char *payload,
                                              size_t payload_len);
/** chatd_user_room_message_created to every current member (sender included); payload taken. */
struct store_event *render_event_message_created(const struct store_room *room, char *payload,
                                                 size_t payload_len);
/**
 * chatd_users_room_message_reaction_created (created true) or _deleted to every current
 * member, payload {"message_uuid": .., "data": {"emoji": .., "user_uuid": ..}}.
 */
struct store_event *render_event_reaction(const struct store_room *room, bool created,
                                          const char *message_uuid, const char *emoji,
                                          const char *user_uuid);
/** chatd_presence_updated, tenant-wide, payload = the Presence text (taken). */
struct store_event *render_event_presence(const struct store_presence *p, char *payload,
                                          size_t payload_len);

/*
 * The events a change committed, in commit order, for the caller to hand to the bus.
 * The caller's storage; release frees the events still held.
 */
struct render_events {
    struct store_event **items;
    size_t count;
};
/** Appends ev (taken). */
void render_events_push(struct render_events *evs, struct store_event *ev);
/** Frees the events left and resets evs. */
void render_events_release(struct render_events *evs);

#endif
