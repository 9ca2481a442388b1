/*
 * relay: events committed by other Huard instances sharing one PostgreSQL database reach
 * this instance's sessions (DESIGN.md sections 1 and 2).
 *
 * Every transaction that appends to the events outbox runs `NOTIFY huard_events, '<seq>'`
 * (store/store.h). The relay keeps one libpq connection of its own on the loop, LISTENing
 * on that channel: the loop watches its socket, so nothing blocks (connection, LISTEN and
 * notifications are all driven with libpq's non-blocking calls). On a notification it
 * reads, on a worker, the outbox rows after the last sequence it has seen
 * (store_event_read_after, in pages) and builds their envelopes there; the done callback on
 * the loop publishes them in sequence order through bus_publish. The bus drops the ones this
 * instance already published on its REST path (bus.h, duplicates), and a notification for a
 * seq the bus has already published advances the cursor without reading the database.
 *
 * Start-up: the cursor starts at the outbox's last sequence read before LISTEN, then one
 * catch-up read follows each (re)connection, so events committed while the LISTEN
 * connection was down are delivered once it is back (reconnection with a backoff of 0.5 s
 * doubling up to 30 s).
 *
 * The conninfo should name a numeric host or a Unix socket: libpq resolves host names
 * synchronously inside PQconnectStart.
 *
 * Threads: loop thread only. Ownership: borrows loop, pool, store and bus (they outlive it).
 */
#ifndef HUARD_EVENTS_RELAY_H
#define HUARD_EVENTS_RELAY_H

#include <stdbool.h>
#include <stdint.h>

struct loop;
struct pool;
struct store;
struct bus;
struct relay;

/* The NOTIFY channel every instance uses (the store's PostgreSQL backend notifies on it). */
#define RELAY_CHANNEL "huard_events"

/**
 * Starts the relay: turns on the bus's duplicate detection at once, then reads the outbox's
 * last sequence on a worker and connects. conninfo (a libpq URL or key=value string) and
 * stack_uuid are copied. Never fails: connection problems are logged and retried.
 */
struct relay *relay_new(struct loop *loop, struct pool *pool, struct store *store, struct bus *bus,
                        const char *conninfo, const char *stack_uuid);
/**
 * Closes the LISTEN connection and frees the relay; a read still running on a worker
 * finishes and its events are dropped. NULL does nothing.
 */
void relay_free(struct relay *relay);

/** True once LISTEN is active (for logs and tests). */
bool relay_listening(const struct relay *relay);
/** The last sequence published or skipped. */
int64_t relay_cursor(const struct relay *relay);

#endif
