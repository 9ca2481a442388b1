#define LOG_MODULE "presences"
#include "domain/presences.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "domain/outbox.h"
#include "domain/render.h"
#include "store/store.h"

const char *const presences_states[] = {"available", "away", "unavailable", "invisible", NULL};

static bool state_known(const char *state)
{
    for (size_t i = 0; presences_states[i]; i++) {
        if (strcmp(presences_states[i], state) == 0) {
            return true;
        }
    }
    return false;
}

/* Reads the presence in tx; other tenants' users do not exist for this caller. */
static int get_in(struct store_tx *tx, const char *tenant_uuid, const char *user_uuid,
                  struct store_presence **out)
{
    struct store_presence *p = NULL;
    int rc = store_presence_get(tx, user_uuid, store_now_us(), &p);
    if (rc == 0 && strcmp(p->tenant_uuid, tenant_uuid) != 0) {
        store_presence_free(p);
        p = NULL;
        rc = HE_UNKNOWN_USER;
    }
    *out = p;
    return rc;
}

int presences_get(struct store *s, const char *tenant_uuid, const char *user_uuid,
                  struct store_presence **out)
{
    struct store_tx *tx = NULL;
    *out = NULL;
    int rc = store_tx_begin_read(s, &tx);
    if (rc == 0) {
        rc = get_in(tx, tenant_uuid, user_uuid, out);
    }
    store_tx_rollback(tx);
    return rc;
}

int presences_list(struct store *s, const char *tenant_uuid, const char (*uuids)[UUID_STR_LEN],
                   size_t n, struct store_presence_list **out)
{
    struct store_tx *tx = NULL;
    const char **ids = xcalloc(n ? n : 1, sizeof(*ids));
    for (size_t i = 0; i < n; i++) {
        ids[i] = uuids[i];
    }
    int rc = store_tx_begin_read(s, &tx);
    if (rc == 0) {
        rc = store_presence_list(tx, tenant_uuid, n ? ids : NULL, n, store_now_us(), out);
    }
    store_tx_rollback(tx);
    free(ids);
    return rc;
}

static int put_tx(struct store *s, const char *tenant_uuid, const char *user_uuid,
                  const char *state, const char *status, struct store_event **ev_out)
{
    struct store_tx *tx = NULL;
    struct store_presence *p = NULL;
    struct store_event *ev = NULL;
    int rc = store_tx_begin(s, &tx);
    if (rc < 0) {
        return rc;
    }
    rc = get_in(tx, tenant_uuid, user_uuid, &p);
    if (rc < 0) {
        goto out;
    }
    struct store_presence in = {0};
    memcpy(in.user_uuid, user_uuid, UUID_STR_LEN);
    in.state = (char *)state;   /* borrowed for the call */
    in.status = (char *)status; /* borrowed for the call */
    rc = store_presence_put(tx, &in);
    if (rc < 0) {
        goto out;
    }
    /* The event carries the presence as stored, read back in the same transaction. */
    store_presence_free(p);
    p = NULL;
    rc = get_in(tx, tenant_uuid, user_uuid, &p);
    if (rc < 0) {
        goto out;
    }
    size_t len;
    char *payload = render_presence(p, &len);
    ev = render_event_presence(p, payload, len);
    rc = outbox_commit(tx, &ev, ev_out);
    tx = NULL;
out:
    store_tx_rollback(tx);
    store_presence_free(p);
    store_event_free(ev);
    return rc;
}

int presences_put(struct store *s, const char *tenant_uuid, const char *user_uuid,
                  const char *state, const char *status, struct render_events *evs)
{
    if (!state_known(state)) {
        return HE_INVAL;
    }
    struct store_event *ev = NULL;
    int rc;
    int attempt = 0;
    do {
        rc = put_tx(s, tenant_uuid, user_uuid, state, status, &ev);
    } while (rc == HE_AGAIN && ++attempt < OUTBOX_TX_ATTEMPTS);
    if (rc < 0) {
        if (rc != HE_UNKNOWN_USER) {
            log_err("msg=\"presence put failed\" err=%s", he_name(rc));
        }
        return rc;
    }
    render_events_push(evs, ev);
    return 0;
}
