/*
 * bus: hands committed events to the websocketd sessions of this instance (DESIGN.md
 * section 2, wazo-api.md 4.7).
 *
 * Producers (REST handlers) append their events to the store's outbox inside the transaction
 * of the change; after the commit they build each event's envelope on their worker
 * (bus_envelope_from_store) and hand both to the loop with the response (http_resp_after),
 * where bus_publish fans them out. With PostgreSQL, events committed by other instances
 * arrive through LISTEN/NOTIFY and take the same bus_publish path, so a client on any
 * instance sees every event once.
 *
 * Threads: bus_envelope_from_store on any thread; everything else on the loop thread.
 */
#ifndef HUARD_EVENTS_BUS_H
#define HUARD_EVENTS_BUS_H

#include <stddef.h>
#include <stdint.h>

#include "base/alloc.h"

struct loop;
struct bus;
struct envelope;
struct store_event;

struct bus *bus_new(struct loop *loop);
/** Frees the bus; every subscriber must be gone. NULL does nothing. */
void bus_free(struct bus *bus);

/**
 * Renders the websocketd v2 frame template of an outbox event (events/envelope.h): the
 * event's name gives its required ACL template and extra headers (room_uuid...), stack_uuid
 * is the origin_uuid. Returns 0 or HE_INVAL for an event name the catalog does not know.
 */
int bus_envelope_from_store(const struct store_event *ev, const char *stack_uuid,
                            struct envelope **out) HU_MUST_CHECK;

/**
 * Delivers env to the local sessions it targets: a user event to the sessions of each of
 * ev's recipients, a tenant event to every session of ev's tenant, each filtered by the
 * session's subscriptions, start state and ACL. Takes ownership of ev and of the caller's
 * reference to env. Events with a seq already published are dropped (the NOTIFY relay may
 * bring back this instance's own events).
 */
void bus_publish(struct bus *bus, struct store_event *ev, struct envelope *env);

#endif
