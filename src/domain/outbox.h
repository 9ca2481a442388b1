/*
 * outbox: the end every domain write shares (DESIGN.md section 2): the change's event is
 * appended to the events outbox in the same transaction, then the transaction commits, so an
 * event exists exactly when its change does. Domain-internal (rooms, messages, presences);
 * any worker thread.
 */
#ifndef HUARD_DOMAIN_OUTBOX_H
#define HUARD_DOMAIN_OUTBOX_H

#include "base/alloc.h"

struct store_tx;
struct store_event;

/* PostgreSQL may ask to retry a transaction (serialization failure, HE_AGAIN); a few whole
 * attempts are plenty. */
#define OUTBOX_TX_ATTEMPTS 5

/**
 * Appends *ev to tx's outbox and commits tx. tx is finished either way (committed, or
 * rolled back on failure): the caller forgets it. On success *ev moves to *ev_out; on
 * failure *ev stays the caller's. Returns 0 or the store's code (HE_AGAIN: retry the whole
 * transaction).
 */
int outbox_commit(struct store_tx *tx, struct store_event **ev,
                  struct store_event **ev_out) HU_MUST_CHECK;

#endif
