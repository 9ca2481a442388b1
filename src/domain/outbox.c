#include "domain/outbox.h"

#include <stddef.h>

#include "store/store.h"

int outbox_commit(struct store_tx *tx, struct store_event **ev, struct store_event **ev_out)
{
    int rc = store_event_append(tx, *ev);
    if (rc < 0) {
        store_tx_rollback(tx);
        return rc;
    }
    rc = store_tx_commit(tx);
    if (rc == 0) {
        *ev_out = *ev;
        *ev = NULL;
    }
    return rc;
}
