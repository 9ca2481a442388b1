#include "events/catalog.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "base/uuid.h"
#include "store/store.h"

#include "base/banned.h"

#define ROOM_PREFIX "chatd_user_room_"

/*
 * How the required ACL is built: acl_head, the parameter (none, the room uuid or the presence
 * subject), acl_tail. {user} is left in the template for envelope.h.
 */
enum catalog_param {
    PARAM_NONE,    /* fixed template */
    PARAM_ROOM,    /* room uuid, also sent as the room_uuid header */
    PARAM_SUBJECT, /* payload `uuid` (presence of that user) */
};

struct catalog_entry {
    const char *name;
    enum envelope_target target;
    enum catalog_param param;
    const char *acl_head;
    const char *acl_tail;
};

#define USER_ROOMS "events.chatd.users." ENVELOPE_USER_PLACEHOLDER ".rooms."

static const struct catalog_entry entries[] = {
    {"chatd_user_room_created", ENVELOPE_USER, PARAM_NONE, USER_ROOMS "created", ""},
    {"chatd_user_room_message_created", ENVELOPE_USER, PARAM_ROOM, USER_ROOMS, ".messages.created"},
    {"chatd_users_room_message_reaction_created", ENVELOPE_USER, PARAM_ROOM, USER_ROOMS,
     ".messages.reactions.created"},
    {"chatd_users_room_message_reaction_deleted", ENVELOPE_USER, PARAM_ROOM, USER_ROOMS,
     ".messages.reactions.deleted"},
    {"chatd_user_room_updated", ENVELOPE_USER, PARAM_ROOM, USER_ROOMS, ".updated"},
    {"chatd_user_room_deleted", ENVELOPE_USER, PARAM_ROOM, USER_ROOMS, ".deleted"},
    {"chatd_presence_updated", ENVELOPE_TENANT, PARAM_SUBJECT, "events.chatd.users.",
     ".presences.updated"},
};

static const char *const extension_verbs[] = {"created", "updated", "deleted", "added", "removed"};

/* Longest noun of an extension name: keeps every ACL far below CATALOG_ACL_MAX. */
#define NOUN_MAX 48

static const struct catalog_entry *entry_find(const char *name)
{
    for (size_t i = 0; i < HU_ARRAY_LEN(entries); i++) {
        if (strcmp(entries[i].name, name) == 0) {
            return &entries[i];
        }
    }
    return NULL;
}

/*
 * chatd_user_room_<noun>_<verb>: on success noun (noun_len bytes) and verb point into name.
 * The noun is lower-case letters and single inner underscores (no dots: it becomes one ACL
 * segment).
 */
static bool extension_split(const char *name, const char **noun, size_t *noun_len,
                            const char **verb)
{
    size_t plen = strlen(ROOM_PREFIX);
    if (strncmp(name, ROOM_PREFIX, plen) != 0) {
        return false;
    }
    const char *n = name + plen;
    const char *last = strrchr(n, '_');
    if (last == NULL || last == n) {
        return false;
    }
    bool verb_ok = false;
    for (size_t i = 0; i < HU_ARRAY_LEN(extension_verbs); i++) {
        if (strcmp(last + 1, extension_verbs[i]) == 0) {
            verb_ok = true;
        }
    }
    size_t len = (size_t)(last - n);
    if (!verb_ok || len > NOUN_MAX || n[0] == '_' || n[len - 1] == '_') {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        bool letter = n[i] >= 'a' && n[i] <= 'z';
        if (!letter && !(n[i] == '_' && n[i - 1] != '_')) {
            return false;
        }
    }
    *noun = n;
    *noun_len = len;
    *verb = last + 1;
    return true;
}

bool catalog_known(const char *name)
{
    const char *noun;
    const char *verb;
    size_t noun_len;
    return name != NULL &&
           (entry_find(name) != NULL || extension_split(name, &noun, &noun_len, &verb));
}

/* The payload's "uuid" (canonical) into out; HE_INVAL otherwise. */
static int payload_subject(const struct store_event *ev, char out[UUID_STR_LEN])
{
    int rc = HE_INVAL;
    json_t *root = json_loadb(ev->payload, ev->payload_len, 0, NULL);
    const char *s = json_string_value(json_object_get(root, "uuid"));
    if (s != NULL && uuid_is_canonical(s)) {
        memcpy(out, s, UUID_STR_LEN);
        rc = 0;
    }
    json_decref(root);
    return rc;
}

int catalog_describe(const struct store_event *ev, struct catalog_event *out)
{
    const struct catalog_entry *e;
    const char *noun = NULL;
    const char *verb = NULL;
    size_t noun_len = 0;
    char subject[UUID_STR_LEN];
    int n;

    memset(out, 0, sizeof(*out));
    if (ev->name == NULL) {
        return HE_INVAL;
    }
    e = entry_find(ev->name);
    if (e == NULL && !extension_split(ev->name, &noun, &noun_len, &verb)) {
        return HE_INVAL;
    }
    out->target = e != NULL ? e->target : ENVELOPE_USER;
    if (ev->tenant_wide != (out->target == ENVELOPE_TENANT)) {
        return HE_INVAL;
    }
    if (e == NULL || e->param == PARAM_ROOM) {
        if (!uuid_is_canonical(ev->room_uuid)) {
            return HE_INVAL;
        }
        out->headers[out->nheaders].key = "room_uuid";
        out->headers[out->nheaders].value = ev->room_uuid;
        out->nheaders++;
    }
    if (e == NULL) {
        n = snprintf(out->required_acl, sizeof(out->required_acl), "%s%s.%.*ss.%s", USER_ROOMS,
                     ev->room_uuid, (int)noun_len, noun, verb);
    } else {
        const char *param = "";
        if (e->param == PARAM_ROOM) {
            param = ev->room_uuid;
        } else if (e->param == PARAM_SUBJECT) {
            if (payload_subject(ev, subject) < 0) {
                return HE_INVAL;
            }
            param = subject;
        }
        n = snprintf(out->required_acl, sizeof(out->required_acl), "%s%s%s", e->acl_head, param,
                     e->acl_tail);
    }
    BUG_ON(n < 0 || (size_t)n >= sizeof(out->required_acl));
    return 0;
}
