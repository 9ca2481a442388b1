/*
 * rooms: chatd's room rules (wazo-api.md 3.2, 3.3; DESIGN.md section 5).
 *
 * Creating a room: the submitted member list must hold no duplicate (checked before the
 * creator is added, as chatd does), the creator is appended when absent, the final size must
 * be 2..max_members, every member must be a user of the creator's tenant, and a room of the
 * tenant with exactly the same member set is returned instead of a new one (201, no event).
 * A new room is `direct` when it has two members and no name, else `group`; the creator is
 * its owner, the others members; it is private with shared history. Its
 * chatd_user_room_created event is appended to the outbox in the same transaction.
 *
 * Functions take the store and run their own transaction; they return 0 or a negative HE_*
 * code (listed per function). Results are the caller's. Workers only (store.h threads).
 */
#ifndef HUARD_DOMAIN_ROOMS_H
#define HUARD_DOMAIN_ROOMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/alloc.h"
#include "base/uuid.h"

struct store;
struct store_room;
struct store_room_list;
struct render_events;

/* Smallest room, creator included (chatd's Length(min=2)). */
#define ROOMS_MIN_MEMBERS 2

/* One entry of a create request's `users`. */
struct rooms_user {
    char uuid[UUID_STR_LEN];        /* canonical */
    char tenant_uuid[UUID_STR_LEN]; /* "" when not given: the creator's tenant */
};

struct rooms_create_args {
    const char *tenant_uuid;  /* the creator's */
    const char *creator_uuid; /* the token's user */
    const char *name;         /* NULL allowed */
    const struct rooms_user *users;
    size_t n_users;
    int max_members;
    const char *stack_uuid;
};

/* Why a create was refused, for the caller's error details. */
struct rooms_create_error {
    size_t size;  /* HE_INVAL: the final member count (creator included) */
    size_t index; /* HE_UNKNOWN_USER: index in args->users of the first bad entry */
    bool tenant;  /* HE_UNKNOWN_USER: true when the given tenant_uuid is the bad field */
};

/**
 * Creates a room or finds the existing identical one. On success *room is the room (with its
 * members), *created tells which, and the committed events (none for an existing room) are
 * appended to evs. Errors: HE_DUPLICATE_USER (duplicate in args->users), HE_INVAL (size out of
 * 2..max_members, err->size), HE_UNKNOWN_USER (a member is not a user of the tenant,
 * err->index and err->tenant), HE_DB.
 */
int rooms_create(struct store *s, const struct rooms_create_args *args, struct store_room **room,
                 bool *created, struct render_events *evs,
                 struct rooms_create_error *err) HU_MUST_CHECK;

/**
 * The rooms of user_uuid that also hold every user of with[0..n_with) (wazo-api.md 3.3), and
 * the user's unread count in each (*unread, count entries, caller frees).
 */
int rooms_list(struct store *s, const char *user_uuid, const char (*with)[UUID_STR_LEN],
               size_t n_with, struct store_room_list **rooms, int64_t **unread) HU_MUST_CHECK;

/**
 * A room with its members when user_uuid is a current member, else HE_UNKNOWN_ROOM (also for
 * a room of another tenant: members are of the room's tenant).
 */
int rooms_get_for_member(struct store *s, const char *room_uuid, const char *user_uuid,
                         struct store_room **room) HU_MUST_CHECK;

#endif
