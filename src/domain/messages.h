/*
 * messages: chatd's message rules and Huard's reactions (wazo-api.md 3.4-3.6; DESIGN.md
 * section 5; issue 5).
 *
 * Only current members read or write a room's messages: anybody else gets HE_UNKNOWN_ROOM, the
 * same answer as for a room that does not exist, so membership never leaks (chatd checks it
 * on reads only; posting as a non-member is the chatd bug wazo-api.md 8 names). Content is
 * stored as sent, with its search folding (text/fold.h) beside it. Every change appends its
 * events to the outbox in the same transaction, addressed to the room's current members
 * (the author included).
 *
 * Functions run their own transaction on the store and return 0 or a negative HE_* code.
 * Results are the caller's. Workers only (store.h threads).
 */
#ifndef HUARD_DOMAIN_MESSAGES_H
#define HUARD_DOMAIN_MESSAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/alloc.h"

struct store;
struct store_message_list;
struct render_events;

struct messages_post_args {
    const char *room_uuid;
    const char *user_uuid; /* the author, from the token */
    const char *tenant_uuid;
    const char *content; /* valid UTF-8, length checked by the caller */
    size_t content_len;
    const char *alias; /* NULL allowed */
    const char *stack_uuid;
};

/**
 * Stores a message and its chatd_user_room_message_created event. *body gets the Message
 * JSON (render_message(), the event's payload too; free()), *body_len its length. Errors:
 * HE_UNKNOWN_ROOM (no such room or not a member), HE_INVAL (content is not valid UTF-8),
 * HE_DB.
 */
int messages_post(struct store *s, const struct messages_post_args *a, char **body,
                  size_t *body_len, struct render_events *evs) HU_MUST_CHECK;

/**
 * Splits a search term into folded words (case and accents removed, split on white space) for
 * the store's in-order match. *words is one allocation (free()); *n may be 0 (blank term).
 * HE_INVAL when term is not valid UTF-8.
 */
int messages_search_words(const char *term, size_t len, char ***words, size_t *n) HU_MUST_CHECK;

struct messages_page_args {
    const char *room_uuid;
    const char *viewer_uuid;
    int64_t limit; /* < 0: no limit */
    int64_t offset;
    bool ascending;
    const char *search; /* NULL: none */
    bool has_from_date;
    int64_t from_date;
};
/** A room's history (wazo-api.md 3.4). HE_UNKNOWN_ROOM as above, HE_INVAL (search), HE_DB. */
int messages_page(struct store *s, const struct messages_page_args *a,
                  struct store_message_list **out) HU_MUST_CHECK;

struct messages_search_args {
    const char *user_uuid;
    int64_t limit;
    int64_t offset;
    bool ascending;
    const char *search; /* NULL: none */
    bool distinct_room;
};
/** Messages across the user's rooms (wazo-api.md 3.6). HE_INVAL (search), HE_DB. */
int messages_search(struct store *s, const struct messages_search_args *a,
                    struct store_message_list **out) HU_MUST_CHECK;

/**
 * Checks that user_uuid may see message_uuid through room_uuid: HE_UNKNOWN_ROOM (no such room
 * or not a member), HE_UNKNOWN_MESSAGE (no such message in that room), HE_DB.
 */
int messages_check(struct store *s, const char *room_uuid, const char *message_uuid,
                   const char *user_uuid) HU_MUST_CHECK;

/**
 * Adds (add true) or removes the user's reaction emoji (checked by the caller with
 * text/emoji.h) on message_uuid of room_uuid, with its reaction event. Errors:
 * HE_UNKNOWN_ROOM (no such room or not a member), HE_UNKNOWN_MESSAGE (no such message in
 * that room), HE_EXISTS (add: already reacted so), HE_NOT_FOUND (remove: no such reaction),
 * HE_DB.
 */
int messages_react(struct store *s, const char *room_uuid, const char *message_uuid,
                   const char *user_uuid, const char *emoji, bool add,
                   struct render_events *evs) HU_MUST_CHECK;

#endif
