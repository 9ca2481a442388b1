/*
 * envelope: a websocketd v2 event frame, rendered once, copied per recipient.
 *
 * A Wazo bus event reaches a client as (wazo-api.md 4.3, 5.1)
 *   {"op":"event","code":0,"data":{"name":..,"origin_uuid":..,"timestamp":..,
 *    "tenant_uuid":..,<extra headers>,"required_access":"event.<name>",
 *    "user_uuid:<recipient>":true,"required_acl":"events.chatd.users.<recipient>...",
 *    "data":<payload>}}
 * and the copies sent for one event differ only in the recipient's uuid, in the
 * `user_uuid:<uuid>` key and inside `required_acl` (DESIGN.md section 2). envelope_new()
 * renders everything else once into a few byte pieces; envelope_frame_write() then builds a
 * recipient's frame by memcpy of those pieces and the 36-byte uuid, with no JSON work per
 * recipient. Every frame of a user event has the same length.
 *
 * A tenant event (presence) carries `"user_uuid:*":true` and a fixed required ACL: it has
 * one frame for everybody (envelope_frame_shared()).
 *
 * An envelope is immutable once built and refcounted (atomically): a worker builds it, the
 * loop thread fans it out and drops its reference; any thread may read or unref it.
 */
#ifndef HUARD_EVENTS_ENVELOPE_H
#define HUARD_EVENTS_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/alloc.h"

/* The required_acl placeholder replaced by each recipient's uuid (user events). */
#define ENVELOPE_USER_PLACEHOLDER "{user}"
/* Largest `seq` (Number.MAX_SAFE_INTEGER). */
#define ENVELOPE_SEQ_MAX 9007199254740991ull

enum envelope_target {
    ENVELOPE_USER,   /* one frame per recipient, header `user_uuid:<uuid>` */
    ENVELOPE_TENANT, /* one frame for all, header `user_uuid:*` */
};

/* An extra string header of the bus message, e.g. {"room_uuid", "<uuid>"}. */
struct envelope_header {
    const char *key;
    const char *value;
};

/* What envelope_new() renders; every pointer is borrowed for the call only. */
struct envelope_spec {
    enum envelope_target target;
    const char *name;        /* event name, e.g. "chatd_user_room_message_created" */
    const char *origin_uuid; /* the server (stack) uuid */
    const char *tenant_uuid;
    const char *timestamp; /* naive local ISO time; NULL: now (time_format_local) */
    const struct envelope_header *headers;
    size_t nheaders;
    /*
     * User events: a template holding ENVELOPE_USER_PLACEHOLDER exactly once, e.g.
     * "events.chatd.users.{user}.rooms.<room>.messages.created". Tenant events: the fixed ACL.
     * NULL renders `"required_acl":null` (delivered to every subscriber, wazo-api.md 4.7).
     * Printable ASCII without `"` or `\`, so that it needs no JSON escaping.
     */
    const char *required_acl;
    const char *payload; /* the event's `data` as JSON text, rendered once by the caller */
    size_t payload_len;
    /* Events outbox sequence, sent as the frame's "seq"; 0 = none. At most
     * ENVELOPE_SEQ_MAX: clients are JavaScript, whose numbers are exact up to 2^53 - 1. */
    uint64_t seq;
};

struct envelope;

/**
 * Renders spec into a new envelope (refcount 1) stored in *out. Returns 0, or HE_INVAL when
 * a string is not valid UTF-8, a header key collides with a standard one, the required ACL
 * template is malformed, the payload is empty or seq exceeds ENVELOPE_SEQ_MAX.
 */
int envelope_new(const struct envelope_spec *spec, struct envelope **out) HU_MUST_CHECK;
/** Takes one more reference; returns ev. */
struct envelope *envelope_ref(struct envelope *ev);
/** Drops a reference; the last one frees. NULL does nothing. */
void envelope_unref(struct envelope *ev);

const char *envelope_name(const struct envelope *ev);
const char *envelope_tenant_uuid(const struct envelope *ev);
enum envelope_target envelope_target(const struct envelope *ev);
uint64_t envelope_seq(const struct envelope *ev);

/** Length in bytes of every frame of ev (for a user event, whatever the recipient). */
size_t envelope_frame_len(const struct envelope *ev);
/**
 * Writes the frame for recipient user_uuid (canonical lower-case uuid) into out, which holds
 * envelope_frame_len(ev) bytes; no NUL is added. For a tenant event user_uuid is ignored
 * (may be NULL). Returns 0, or HE_INVAL when user_uuid is not canonical.
 */
int envelope_frame_write(const struct envelope *ev, const char *user_uuid, char *out) HU_MUST_CHECK;
/** Same as envelope_frame_write() into a new buffer (caller frees); NULL on HE_INVAL. */
char *envelope_frame_dup(const struct envelope *ev, const char *user_uuid, size_t *len);
/* Most places a recipient's uuid goes in a frame (the user_uuid key and the required ACL). */
#define ENVELOPE_CUTS_MAX 2
/**
 * The frame as a template: *base (owned by ev, valid while a reference is held) holds *len
 * bytes, the frame without any recipient uuid, and cuts[0..n) (n returned, at most
 * ENVELOPE_CUTS_MAX, 0 for a tenant event) are the ascending offsets in it where the
 * recipient's 36-byte uuid goes: what envelope_frame_write() writes is base[0:cuts[0]], uuid,
 * base[cuts[0]:cuts[1]], uuid, ... Lets the fan-out queue (template, uuid) per recipient
 * instead of building every frame.
 */
size_t envelope_frame_template(const struct envelope *ev, const char **base, size_t *len,
                               size_t cuts[ENVELOPE_CUTS_MAX]);
/**
 * The one frame of a tenant event, owned by ev (valid while a reference is held), and its
 * length in *len. NULL for a user event.
 */
const char *envelope_frame_shared(const struct envelope *ev, size_t *len);

/** False when the event's required_acl is null (no ACL check, wazo-api.md 4.7 rule 5). */
bool envelope_has_required_acl(const struct envelope *ev);
/**
 * Writes the required ACL the recipient's token must match (NUL-terminated) into out, for
 * the ws layer's delivery check (acl_check()). Writes "" when the event has none. Returns 0,
 * or HE_INVAL when user_uuid is not canonical (user events) or outsz is too small.
 */
int envelope_required_acl(const struct envelope *ev, const char *user_uuid, char *out,
                          size_t outsz) HU_MUST_CHECK;
/**
 * The required ACL as the envelope keeps it: *prefix is the whole ACL when it is fixed ("" when
 * there is none) and *suffix NULL; for a user event naming its recipient, the ACL is *prefix,
 * the recipient's uuid, then *suffix. Both are owned by ev. Lets a fan-out tell which events
 * share one ACL decision for a session's own user without building each recipient's string.
 */
void envelope_required_acl_parts(const struct envelope *ev, const char **prefix,
                                 const char **suffix);

#endif
