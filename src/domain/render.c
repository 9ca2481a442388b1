#include "domain/render.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/alloc.h"
#include "base/time.h"
#include "store/store.h"

/* A JSON string, or null for NULL. Text from the store was checked as UTF-8 on its way in;
 * should a row still hold invalid bytes, null is answered rather than aborting the request. */
static json_t *jstr(const char *s)
{
    if (!s) {
        return json_null();
    }
    json_t *j = json_string(s);
    return j ? j : json_null();
}

/* An optional uuid field: "" means absent (store.h), rendered as null. */
static json_t *juuid(const char *s)
{
    return (s && s[0]) ? jstr(s) : json_null();
}

static json_t *jtime(int64_t us)
{
    char buf[TIME_STR_LEN];
    if (us == 0) {
        return json_null();
    }
    time_format_chatd(us, buf);
    return json_string(buf);
}

/* Serializes and frees j; the text is allocated by jansson with malloc (free()). */
static char *dump(json_t *j, size_t *len)
{
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    BUG_ON(!s);
    if (len) {
        *len = strlen(s);
    }
    return s;
}

static json_t *room_json(const struct store_room *r, const char *stack_uuid, int64_t unread)
{
    json_t *users = json_array();
    for (size_t i = 0; i < r->n_members; i++) {
        const struct store_member *m = &r->members[i];
        json_array_append_new(
            users,
            json_pack("{s:s, s:o, s:s, s:n, s:s}", "uuid", m->user_uuid, "tenant_uuid",
                      juuid(m->tenant_uuid[0] ? m->tenant_uuid : r->tenant_uuid), "wazo_uuid",
                      stack_uuid, "identity", "role", store_role_name(m->role)));
    }
    json_t *j = json_object();
    json_object_set_new(j, "uuid", json_string(r->uuid));
    json_object_set_new(j, "tenant_uuid", json_string(r->tenant_uuid));
    json_object_set_new(j, "name", jstr(r->name));
    json_object_set_new(j, "users", users);
    json_object_set_new(j, "kind", json_string(store_room_kind_name(r->kind)));
    json_object_set_new(j, "visibility", json_string(store_visibility_name(r->visibility)));
    json_object_set_new(j, "history_visibility", json_string(store_history_name(r->history)));
    json_object_set_new(j, "topic", jstr(r->topic));
    json_object_set_new(j, "max_members", json_integer(r->max_members));
    if (unread >= 0) {
        json_object_set_new(j, "unread_count", json_integer(unread));
    }
    return j;
}

char *render_room(const struct store_room *room, const char *stack_uuid, int64_t unread_count,
                  size_t *len)
{
    return dump(room_json(room, stack_uuid, unread_count), len);
}

static json_t *list_envelope(json_t *items, int64_t filtered, int64_t total)
{
    return json_pack("{s:o, s:I, s:I}", "items", items, "filtered", (json_int_t)filtered, "total",
                     (json_int_t)total);
}

char *render_room_list(const struct store_room_list *rooms, const int64_t *unread,
                       const char *stack_uuid, size_t *len)
{
    json_t *items = json_array();
    size_t n = rooms ? rooms->count : 0;
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(items,
                              room_json(&rooms->items[i], stack_uuid, unread ? unread[i] : -1));
    }
    return dump(list_envelope(items, (int64_t)n, (int64_t)n), len);
}

static json_t *message_json(const struct store_message *m, const char *stack_uuid)
{
    json_t *reactions = json_array();
    for (size_t i = 0; i < m->n_reactions; i++) {
        const struct store_reaction *r = &m->reactions[i];
        json_t *users = json_array();
        for (int64_t k = 0; k < r->count; k++) {
            json_array_append_new(users, json_string(r->user_uuids[k]));
        }
        json_array_append_new(reactions,
                              json_pack("{s:o, s:I, s:o}", "emoji", jstr(r->emoji), "count",
                                        (json_int_t)r->count, "user_uuids", users));
    }
    json_t *j = json_object();
    json_object_set_new(j, "uuid", json_string(m->uuid));
    json_object_set_new(j, "content", jstr(m->content ? m->content : ""));
    json_object_set_new(j, "alias", jstr(m->alias));
    json_object_set_new(j, "user_uuid", json_string(m->user_uuid));
    json_object_set_new(j, "tenant_uuid", json_string(m->tenant_uuid));
    json_object_set_new(j, "wazo_uuid", json_string(stack_uuid));
    json_object_set_new(j, "created_at", jtime(m->created_at));
    json_object_set_new(j, "room", json_pack("{s:s}", "uuid", m->room_uuid));
    /* chatd 26.05+ sends this for internal messages; SDK master reads delivery.type. */
    json_object_set_new(j, "delivery",
                        json_pack("{s:s, s:n, s:[]}", "type", "internal", "backend", "recipients"));
    json_object_set_new(j, "reactions", reactions);
    json_object_set_new(j, "thread_uuid", juuid(m->thread_uuid));
    json_object_set_new(j, "reply_count", json_integer(m->reply_count));
    json_object_set_new(j, "edited_at", jtime(m->edited_at));
    json_object_set_new(j, "deleted_at", jtime(m->deleted_at));
    return j;
}

char *render_message(const struct store_message *msg, const char *stack_uuid, size_t *len)
{
    return dump(message_json(msg, stack_uuid), len);
}

char *render_message_list(const struct store_message_list *msgs, const char *stack_uuid,
                          size_t *len)
{
    json_t *items = json_array();
    for (size_t i = 0; i < msgs->count; i++) {
        json_array_append_new(items, message_json(&msgs->items[i], stack_uuid));
    }
    return dump(list_envelope(items, msgs->filtered, msgs->total), len);
}

static json_t *presence_json(const struct store_presence *p)
{
    json_t *j = json_object();
    json_object_set_new(j, "uuid", json_string(p->user_uuid));
    json_object_set_new(j, "tenant_uuid", json_string(p->tenant_uuid));
    json_object_set_new(j, "state", jstr(p->state ? p->state : "unavailable"));
    json_object_set_new(j, "status", jstr(p->status));
    json_object_set_new(j, "last_activity", jtime(p->last_activity));
    json_object_set_new(j, "line_state", json_string("unavailable"));
    json_object_set_new(j, "lines", json_array());
    json_object_set_new(j, "mobile", json_boolean(p->mobile));
    json_object_set_new(j, "connected", json_boolean(p->connected));
    json_object_set_new(j, "do_not_disturb", json_false());
    return j;
}

char *render_presence(const struct store_presence *p, size_t *len)
{
    return dump(presence_json(p), len);
}

char *render_presence_list(const struct store_presence_list *l, size_t *len)
{
    json_t *items = json_array();
    for (size_t i = 0; i < l->count; i++) {
        json_array_append_new(items, presence_json(&l->items[i]));
    }
    return dump(list_envelope(items, l->filtered, l->total), len);
}

char *render_reaction(const char *room_uuid, const char *message_uuid, const char *emoji,
                      const char *user_uuid, size_t *len)
{
    json_t *j = json_object();
    json_object_set_new(j, "message_uuid", json_string(message_uuid));
    json_object_set_new(j, "room_uuid", json_string(room_uuid));
    json_object_set_new(j, "emoji", jstr(emoji));
    json_object_set_new(j, "user_uuid", json_string(user_uuid));
    return dump(j, len);
}

/* An event addressed to the current members of room. */
static struct store_event *room_event(const struct store_room *room, const char *name,
                                      char *payload, size_t payload_len)
{
    struct store_event *ev = xcalloc(1, sizeof(*ev));
    ev->name = xstrdup(name);
    memcpy(ev->tenant_uuid, room->tenant_uuid, UUID_STR_LEN);
    memcpy(ev->room_uuid, room->uuid, UUID_STR_LEN);
    ev->n_recipients = room->n_members;
    ev->recipients = xcalloc(room->n_members ? room->n_members : 1, UUID_STR_LEN);
    for (size_t i = 0; i < room->n_members; i++) {
        memcpy(ev->recipients[i], room->members[i].user_uuid, UUID_STR_LEN);
    }
    ev->payload = payload;
    ev->payload_len = payload_len;
    return ev;
}

struct store_event *render_event_room_created(const struct store_room *room, char *payload,
                                              size_t payload_len)
{
    return room_event(room, RENDER_EV_ROOM_CREATED, payload, payload_len);
}

struct store_event *render_event_message_created(const struct store_room *room, char *payload,
                                                 size_t payload_len)
{
    return room_event(room, RENDER_EV_MESSAGE_CREATED, payload, payload_len);
}

struct store_event *render_event_reaction(const struct store_room *room, bool created,
                                          const char *message_uuid, const char *emoji,
                                          const char *user_uuid)
{
    json_t *j = json_pack("{s:s, s:{s:o, s:s}}", "message_uuid", message_uuid, "data", "emoji",
                          jstr(emoji), "user_uuid", user_uuid);
    size_t len;
    char *payload = dump(j, &len);
    return room_event(room, created ? RENDER_EV_REACTION_CREATED : RENDER_EV_REACTION_DELETED,
                      payload, len);
}

struct store_event *render_event_presence(const struct store_presence *p, char *payload,
                                          size_t payload_len)
{
    struct store_event *ev = xcalloc(1, sizeof(*ev));
    ev->name = xstrdup(RENDER_EV_PRESENCE_UPDATED);
    memcpy(ev->tenant_uuid, p->tenant_uuid, UUID_STR_LEN);
    ev->tenant_wide = true;
    ev->n_recipients = 1;
    ev->recipients = xcalloc(1, UUID_STR_LEN);
    memcpy(ev->recipients[0], p->user_uuid, UUID_STR_LEN);
    ev->payload = payload;
    ev->payload_len = payload_len;
    return ev;
}

void render_events_push(struct render_events *evs, struct store_event *ev)
{
    evs->items = xreallocarray(evs->items, evs->count + 1, sizeof(*evs->items));
    evs->items[evs->count++] = ev;
}

void render_events_release(struct render_events *evs)
{
    for (size_t i = 0; i < evs->count; i++) {
        store_event_free(evs->items[i]);
    }
    free(evs->items);
    evs->items = NULL;
    evs->count = 0;
}
