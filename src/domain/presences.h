/*
 * presences: chatd's user presences (wazo-api.md 3.7, 5.4).
 *
 * A presence is visible only inside its user's tenant: a user of another tenant is
 * HE_UNKNOWN_USER, as chatd answers 404 `unknown-user` for it. Setting one stamps
 * last_activity and appends the tenant-wide chatd_presence_updated event in the same
 * transaction. Huard has no phone lines, so only state and status change.
 *
 * Functions run their own transaction and return 0 or a negative HE_* code; results are the
 * caller's. Workers only (store.h threads).
 */
#ifndef HUARD_DOMAIN_PRESENCES_H
#define HUARD_DOMAIN_PRESENCES_H

#include <stddef.h>

#include "base/alloc.h"
#include "base/uuid.h"

struct store;
struct store_presence;
struct store_presence_list;
struct render_events;

/* The states chatd accepts, NULL-terminated (wazo-api.md 3.1). */
extern const char *const presences_states[];

/** The presence of user_uuid in tenant_uuid. HE_UNKNOWN_USER, HE_DB. */
int presences_get(struct store *s, const char *tenant_uuid, const char *user_uuid,
                  struct store_presence **out) HU_MUST_CHECK;
/** Presences of the tenant's users, or only of uuids[0..n) when n > 0. HE_DB. */
int presences_list(struct store *s, const char *tenant_uuid, const char (*uuids)[UUID_STR_LEN],
                   size_t n, struct store_presence_list **out) HU_MUST_CHECK;
/**
 * Sets state (one of presences_states) and status (NULL allowed) of user_uuid in tenant_uuid,
 * with its event. HE_UNKNOWN_USER, HE_INVAL (state), HE_DB.
 */
int presences_put(struct store *s, const char *tenant_uuid, const char *user_uuid,
                  const char *state, const char *status, struct render_events *evs) HU_MUST_CHECK;

#endif
