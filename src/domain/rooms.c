#define LOG_MODULE "rooms"
#include "domain/rooms.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "domain/outbox.h"
#include "domain/render.h"
#include "store/store.h"

static int uuid_cmp(const void *a, const void *b)
{
    return memcmp(a, b, UUID_STR_LEN);
}

/* True when users[] names a user twice (sorted copy, O(n log n) for big rooms). */
static bool has_duplicate(const struct rooms_user *users, size_t n)
{
    if (n < 2) {
        return false;
    }
    char(*ids)[UUID_STR_LEN] = xcalloc(n, UUID_STR_LEN);
    for (size_t i = 0; i < n; i++) {
        memcpy(ids[i], users[i].uuid, UUID_STR_LEN);
    }
    qsort(ids, n, UUID_STR_LEN, uuid_cmp);
    bool dup = false;
    for (size_t i = 1; i < n && !dup; i++) {
        dup = memcmp(ids[i - 1], ids[i], UUID_STR_LEN) == 0;
    }
    free(ids);
    return dup;
}

/* One attempt of the create transaction; see rooms_create. ids holds the final member list
 * (creator last when appended), n_ids entries. */
static int create_tx(struct store *s, const struct rooms_create_args *a, const char **ids,
                     size_t n_ids, struct store_room **room_out, bool *created,
                     struct store_event **ev_out, struct rooms_create_error *err)
{
    struct store_tx *tx = NULL;
    struct store_room *room = NULL;
    struct store_event *ev = NULL;
    struct store_room draft = {0};
    int rc = store_tx_begin(s, &tx);
    if (rc < 0) {
        return rc;
    }
    /* Every member must be a user of the creator's tenant: rooms never cross tenants. */
    for (size_t i = 0; i < a->n_users; i++) {
        const struct rooms_user *u = &a->users[i];
        if (u->tenant_uuid[0] && strcmp(u->tenant_uuid, a->tenant_uuid) != 0) {
            err->index = i;
            err->tenant = true;
            rc = HE_UNKNOWN_USER;
            goto out;
        }
        struct store_user *su = NULL;
        rc = store_user_get(tx, u->uuid, &su);
        bool ok = rc == 0 && strcmp(su->tenant_uuid, a->tenant_uuid) == 0;
        store_user_free(su);
        if (rc < 0 && rc != HE_UNKNOWN_USER) {
            goto out;
        }
        if (!ok) {
            err->index = i;
            err->tenant = false;
            rc = HE_UNKNOWN_USER;
            goto out;
        }
    }
    rc = store_room_find_exact(tx, a->tenant_uuid, ids, n_ids, &room);
    if (rc == 0) {
        /* chatd since 22.16: the same member set gives back the existing room, no event. */
        *created = false;
        store_tx_rollback(tx);
        tx = NULL;
        *room_out = room;
        room = NULL;
        goto out;
    }
    if (rc != HE_UNKNOWN_ROOM) {
        goto out;
    }
    draft.members = xcalloc(n_ids, sizeof(*draft.members));
    draft.n_members = n_ids;
    for (size_t i = 0; i < n_ids; i++) {
        struct store_member *m = &draft.members[i];
        memcpy(m->user_uuid, ids[i], UUID_STR_LEN);
        memcpy(m->tenant_uuid, a->tenant_uuid, UUID_STR_LEN);
        m->role = strcmp(ids[i], a->creator_uuid) == 0 ? STORE_ROLE_OWNER : STORE_ROLE_MEMBER;
        m->notify = STORE_NOTIFY_ALL;
    }
    memcpy(draft.tenant_uuid, a->tenant_uuid, UUID_STR_LEN);
    draft.name = (char *)a->name; /* borrowed for the call; not freed below */
    draft.kind = (n_ids == 2 && !a->name) ? STORE_ROOM_DIRECT : STORE_ROOM_GROUP;
    draft.visibility = STORE_VISIBILITY_PRIVATE;
    draft.history = STORE_HISTORY_SHARED;
    draft.max_members = a->max_members;
    rc = store_room_create(tx, &draft);
    if (rc < 0) {
        goto out;
    }
    rc = store_room_get(tx, draft.uuid, NULL, &room);
    if (rc < 0) {
        goto out;
    }
    size_t len;
    /* The event carries exactly the POST answer (no per-viewer unread count). */
    char *payload = render_room(room, a->stack_uuid, -1, &len);
    ev = render_event_room_created(room, payload, len);
    rc = outbox_commit(tx, &ev, ev_out);
    tx = NULL;
    if (rc < 0) {
        goto out;
    }
    *created = true;
    *room_out = room;
    room = NULL;
out:
    free(draft.members);
    store_tx_rollback(tx);
    store_room_free(room);
    store_event_free(ev);
    return rc;
}

int rooms_create(struct store *s, const struct rooms_create_args *a, struct store_room **room,
                 bool *created, struct render_events *evs, struct rooms_create_error *err)
{
    memset(err, 0, sizeof(*err));
    *room = NULL;
    *created = false;
    if (has_duplicate(a->users, a->n_users)) {
        return HE_DUPLICATE_USER;
    }
    bool has_creator = false;
    for (size_t i = 0; i < a->n_users && !has_creator; i++) {
        has_creator = strcmp(a->users[i].uuid, a->creator_uuid) == 0;
    }
    size_t n_ids = a->n_users + (has_creator ? 0 : 1);
    if (n_ids < ROOMS_MIN_MEMBERS || n_ids > (size_t)a->max_members) {
        err->size = n_ids;
        return HE_INVAL;
    }
    const char **ids = xcalloc(n_ids, sizeof(*ids));
    for (size_t i = 0; i < a->n_users; i++) {
        ids[i] = a->users[i].uuid;
    }
    if (!has_creator) {
        ids[n_ids - 1] = a->creator_uuid;
    }
    int rc;
    struct store_event *ev = NULL;
    int attempt = 0;
    do {
        rc = create_tx(s, a, ids, n_ids, room, created, &ev, err);
    } while (rc == HE_AGAIN && ++attempt < OUTBOX_TX_ATTEMPTS);
    free(ids);
    if (rc < 0) {
        if (rc != HE_UNKNOWN_USER) {
            log_err("msg=\"room create failed\" err=%s", he_name(rc));
        }
        return rc;
    }
    if (ev) {
        render_events_push(evs, ev);
    }
    return 0;
}

int rooms_list(struct store *s, const char *user_uuid, const char (*with)[UUID_STR_LEN],
               size_t n_with, struct store_room_list **rooms_out, int64_t **unread_out)
{
    struct store_tx *tx = NULL;
    struct store_room_list *rooms = NULL;
    int64_t *unread = NULL;
    const char **w = xcalloc(n_with ? n_with : 1, sizeof(*w));
    for (size_t i = 0; i < n_with; i++) {
        w[i] = with[i];
    }
    int rc = store_tx_begin_read(s, &tx);
    if (rc < 0) {
        goto out;
    }
    rc = store_room_list_for_user(tx, user_uuid, w, n_with, &rooms);
    if (rc < 0) {
        goto out;
    }
    unread = xcalloc(rooms->count ? rooms->count : 1, sizeof(*unread));
    for (size_t i = 0; i < rooms->count; i++) {
        rc = store_member_unread(tx, rooms->items[i].uuid, user_uuid, &unread[i]);
        if (rc < 0) {
            goto out;
        }
    }
    *rooms_out = rooms;
    rooms = NULL;
    *unread_out = unread;
    unread = NULL;
out:
    store_tx_rollback(tx);
    store_room_list_free(rooms);
    free(unread);
    free(w);
    return rc;
}

int rooms_get_for_member(struct store *s, const char *room_uuid, const char *user_uuid,
                         struct store_room **room)
{
    struct store_tx *tx = NULL;
    int rc = store_tx_begin_read(s, &tx);
    if (rc < 0) {
        return rc;
    }
    rc = store_room_get(tx, room_uuid, user_uuid, room);
    store_tx_rollback(tx);
    return rc;
}
