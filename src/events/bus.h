/*
 * bus: hands committed events to the websocketd sessions of this instance (DESIGN.md
 * section 2, wazo-api.md 4.7).
 *
 * Producers (REST handlers) append their events to the store's outbox inside the transaction
 * of the change; after the commit they build each event's envelope on their worker
 * (bus_envelope_from_store) and hand both to the loop with the response (http_resp_after),
 * where bus_publish fans them out. With PostgreSQL, events committed by other instances
 * arrive through LISTEN/NOTIFY (events/relay.h) and take the same bus_publish path, so a
 * client on any instance sees every event once.
 *
 * Subscribers: each websocketd session registers one struct bus_sub, given the token's
 * identity (user, tenant, session, admin flag, ACL), the event names it subscribed to and
 * whether it sent `start`. The bus indexes subscribers by user uuid, by tenant and by
 * tenant for admins (hash maps), so the cost of a publish is proportional to the sessions
 * that receive it, not to every session of the process:
 * - a user event (`user_uuid:<uuid>`) goes to each recipient's non-admin sessions, and a
 *   copy per recipient to every admin session of the tenant (wazo-api.md 4.7 rule 4);
 * - a tenant event (`user_uuid:*`) goes to every session of the tenant;
 * each filtered by start state, subscription (name or "*") and the token's ACL against the
 * recipient's required_acl (domain/acl.h, `me` = the token's user). An event's frame is
 * rendered once as a template (envelope_frame_template) shared by every recipient, and each
 * v2 session is handed that template with its recipient's uuid to insert (the ws layer
 * splices it in while writing to the socket, ws_session_send_spliced); v1 sessions get the
 * bus message without the op wrapper (wazo-api.md 4.3), built once per recipient.
 *
 * Ordering and duplicates: events carry their outbox sequence (`seq`). Once the relay enables
 * it (bus_dedupe_start), the bus drops a seq it has already published: the relay reads back
 * this instance's own events, which the REST path has usually published already.
 *
 * Threads: bus_envelope_from_store on any thread; everything else on the loop thread.
 */
#ifndef HUARD_EVENTS_BUS_H
#define HUARD_EVENTS_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/alloc.h"

struct loop;
struct bus;
struct bus_sub;
struct envelope;
struct store_event;
struct ws_payload;

/* Limits per subscriber: a session subscribing past them is refused (HE_BUSY / HE_INVAL). */
#define BUS_SUB_NAMES_MAX 256
#define BUS_EVENT_NAME_MAX 128

struct bus *bus_new(struct loop *loop);
/** Frees the bus; every subscriber must be gone. NULL does nothing. */
void bus_free(struct bus *bus);

/**
 * Renders the websocketd v2 frame template of an outbox event (events/envelope.h): the
 * event's name gives its required ACL template and extra headers (room_uuid...), stack_uuid
 * is the origin_uuid, the event's created_at its timestamp. Returns 0 or HE_INVAL for an
 * event name the catalog (events/catalog.h) does not know or fields that do not fit it.
 */
int bus_envelope_from_store(const struct store_event *ev, const char *stack_uuid,
                            struct envelope **out) HU_MUST_CHECK;

/**
 * Delivers env to the local sessions it targets: a user event to the sessions of each of
 * ev's recipients, a tenant event to every session of ev's tenant, each filtered by the
 * session's subscriptions, start state and ACL. Takes ownership of ev (store_event_free) and
 * of the caller's reference to env (NULL env: ev is only freed). Events leave in outbox
 * sequence order: one above the next expected seq waits (events/reorder.h) until the gap
 * fills or a short wait expires; a late one goes out at once. Events with a seq already
 * published are dropped (the NOTIFY relay may bring back this instance's own events).
 */
void bus_publish(struct bus *bus, struct store_event *ev, struct envelope *env);

/* ---- subscribers (one per websocketd session) ---- */

/**
 * Called once per event the subscriber receives, with the message to send: frame with
 * insert (insert_len bytes, not NUL-terminated; NULL when 0) placed at each of frame's cuts,
 * i.e. what ws_session_send_spliced(session, frame, insert, insert_len) sends. frame is
 * borrowed (take a reference to keep it). It must not free any subscriber (the ws layer
 * defers its closes, so sending is fine).
 */
typedef void (*bus_deliver_fn)(void *sink, struct ws_payload *frame, const char *insert,
                               size_t insert_len);

/* Who a subscriber's token speaks for; copied by bus_sub_set_identity. */
struct bus_identity {
    const char *user_uuid;    /* canonical */
    const char *tenant_uuid;  /* canonical */
    const char *session_uuid; /* may be "" */
    bool admin;               /* receives every user event of its tenant */
    const char *const *acl;   /* the token's ACL patterns */
    size_t n_acl;
};

/**
 * A subscriber speaking protocol version (1 or 2), delivering through fn(sink, frame). It
 * receives nothing until it has an identity and is started.
 */
struct bus_sub *bus_sub_new(struct bus *bus, int version, bus_deliver_fn fn, void *sink);
/** Unregisters and frees sub. NULL does nothing. Not from inside a bus_deliver_fn. */
void bus_sub_free(struct bus_sub *sub);
/** Sets or replaces the identity (token renewal: user, tenant and ACL may change). */
void bus_sub_set_identity(struct bus_sub *sub, const struct bus_identity *id);
/**
 * Subscribes to an event name ("*": every event). Idempotent. Returns 0, HE_INVAL for a name
 * longer than BUS_EVENT_NAME_MAX, or HE_BUSY past BUS_SUB_NAMES_MAX distinct names.
 */
int bus_sub_subscribe(struct bus_sub *sub, const char *event_name) HU_MUST_CHECK;
/** Events published from now on reach sub (wazo-api.md 4.1: earlier ones are dropped). */
void bus_sub_start(struct bus_sub *sub);
bool bus_sub_started(const struct bus_sub *sub);

/* ---- duplicates (the relay) ---- */

/**
 * Turns on duplicate detection: every seq <= floor counts as published (floor < 0: not known
 * yet), and the bus remembers which later seqs it publishes (a window of BUS_SEQ_WINDOW).
 */
#define BUS_SEQ_WINDOW 65536
void bus_dedupe_start(struct bus *bus, int64_t floor);
/** True when seq was published (or is <= the floor). False while dedupe is off. */
bool bus_seq_seen(const struct bus *bus, int64_t seq);
/** Raises the floor: the relay has published (or skipped) every seq up to floor. */
void bus_seq_advance(struct bus *bus, int64_t floor);

/* ---- figures for tests and benchmarks ---- */
struct bus_stats {
    uint64_t published;    /* events fanned out */
    uint64_t duplicates;   /* events dropped as already published */
    uint64_t deliveries;   /* frames handed to subscribers */
    uint64_t frames;       /* frames built: one template per event, one per recipient for v1 */
    size_t subs;           /* subscribers registered */
    uint64_t gaps_skipped; /* sequence gaps given up on after the reorder wait */
};
void bus_get_stats(const struct bus *bus, struct bus_stats *out);

#endif
