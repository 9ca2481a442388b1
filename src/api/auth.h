/*
 * auth (api side): token checks shared by every REST handler and the websocketd protocol.
 *
 * A token is checked against the store (its SHA-256 is the key), its expiry and the ACL the
 * route requires (wazo-api.md 1.6; domain/acl.h does the matching). Runs on workers (it reads
 * the store); never on the loop thread.
 */
#ifndef HUARD_API_AUTH_H
#define HUARD_API_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/alloc.h"
#include "base/uuid.h"

struct app;
struct http_request;
struct http_response;

/* Who a valid token speaks for. */
struct auth_identity {
    char user_uuid[UUID_STR_LEN];
    char tenant_uuid[UUID_STR_LEN];
    char session_uuid[UUID_STR_LEN];
    bool admin;
    int64_t expires_at; /* microseconds since the epoch */
    char **acl;         /* the token's ACL patterns, n_acl of them (owned) */
    size_t n_acl;
};
/** Frees the ACL list; the struct itself is the caller's. Safe on a zeroed struct. */
void auth_identity_release(struct auth_identity *id);

/**
 * Checks token: known, not expired, and (when required_acl is not NULL) allowed by its ACL.
 * Fills *out on success (release it). Returns 0, HE_UNAUTHORIZED when the token is unknown or
 * expired, HE_FORBIDDEN when it lacks required_acl, HE_DB on store failure.
 */
int auth_token_check(struct app *app, const char *token, const char *required_acl,
                     struct auth_identity *out) HU_MUST_CHECK;

/**
 * The chatd way (wazo-api.md 1.6): reads X-Auth-Token (and Wazo-Tenant) from req, checks it
 * against required_acl, and on failure fills resp with chatd's 401 `unauthorized` body (details
 * invalid_token, reason, required_access) and returns a negative code: the handler then just
 * returns that code. Returns 0 and fills *out on success.
 */
int api_auth_require(struct app *app, const struct http_request *req, struct http_response *resp,
                     const char *required_acl, struct auth_identity *out) HU_MUST_CHECK;

#endif
