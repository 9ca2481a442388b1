/*
 * auth (domain): wazo-auth's rules over the store, shared by the REST API (api/auth.c), the
 * `huard user` command and the first start (domain/bootstrap.c): who may log in, which ACL a
 * token carries, how users are created and their passwords changed.
 *
 * Passwords are hashed with argon2id (domain/password.h), which costs tens of milliseconds
 * and 64 MiB: a struct auth_hasher bounds how many run at once (a counting semaphore,
 * DESIGN.md section 6) and how long a caller waits for a slot (HE_BUSY past it). Functions
 * taking a hasher accept NULL for no bound (command line, start-up). Hashing never happens
 * inside a store write transaction, which would hold the writer for its whole duration.
 *
 * Errors: 0 or a negative HE_* code: HE_UNAUTHORIZED (bad credentials), HE_EXISTS (a taken
 * username or uuid), HE_UNKNOWN_USER, HE_INVAL (a username we refuse), HE_BUSY (no hashing
 * slot in time), HE_DB and the store's other codes.
 *
 * Threads: any thread but the loop's (these functions block on the store and on argon2id).
 * Ownership: arguments are borrowed; results (*out) are the caller's, freed with the store's
 * *_free() functions.
 */
#ifndef HUARD_DOMAIN_AUTH_H
#define HUARD_DOMAIN_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/alloc.h"
#include "domain/password.h"

struct store;
struct store_user;
struct store_token;

/* Longest username (Unicode scalar values are checked by the API; this bounds bytes). */
#define AUTH_USERNAME_MAX_BYTES 1024
/* First and last names: 256 characters (wazo-auth's bound) of at most 4 bytes. */
#define AUTH_NAME_MAX_BYTES 1024
/* Longest password accepted (bytes): argon2id takes any length, but input stays bounded. */
#define AUTH_PASSWORD_MAX_BYTES 4096

struct auth_hasher;

/**
 * Creates a hasher allowing max_concurrent hashes at once (0 = 2) and waiting at most
 * max_wait_us for a slot (0 = 10 s). It also keeps the dummy hash that logins of unknown
 * users are checked against, so that they cost the same time as real ones (made by the first
 * such login, so that start-up does not pay for it).
 */
struct auth_hasher *auth_hasher_new(unsigned max_concurrent, int64_t max_wait_us);
/** Frees the hasher; no hash may be running. NULL does nothing. */
void auth_hasher_free(struct auth_hasher *h);

/** Hashes password into out. HE_BUSY, HE_NOMEM. */
int auth_password_hash(struct auth_hasher *h, const char *password, size_t len,
                       char out[PASSWORD_HASH_MAX]) HU_MUST_CHECK;
/** 0 when password matches stored, HE_UNAUTHORIZED when not, HE_BUSY. */
int auth_password_verify(struct auth_hasher *h, const char *stored, const char *password,
                         size_t len) HU_MUST_CHECK;

/**
 * The ACL of a new token: the stock admin policy, or the stock user policy plus the auth
 * routes a Wazo user may use on itself (wazo_default_user_policy: password change). Returns
 * a heap array of heap strings (*n of them), freed by auth_acl_free().
 */
char **auth_policy_dup(bool admin, size_t *n);
/** Frees an array from auth_policy_dup (or any array of n heap strings). */
void auth_acl_free(char **acl, size_t n);

/**
 * Checks a username we are asked to create: 1 to AUTH_USERNAME_MAX_BYTES bytes, valid UTF-8,
 * no ':' (HTTP Basic splits login and password on the first one, so such a user could never
 * log in) and no control characters. HE_INVAL otherwise.
 */
int auth_username_check(const char *username, size_t len) HU_MUST_CHECK;

/**
 * Checks a first or last name we are asked to store: valid UTF-8, at most
 * AUTH_NAME_MAX_BYTES bytes (every answer that carries a user quotes it as JSON text).
 * HE_INVAL otherwise.
 */
int auth_name_check(const char *name) HU_MUST_CHECK;

/**
 * Checks credentials. tenant_uuid NULL means the default tenant. An unknown username costs
 * one argon2id verification too (against the hasher's dummy hash), so response times do not
 * tell which usernames exist. *out gets the user on success. HE_UNAUTHORIZED, HE_BUSY, HE_DB.
 */
int auth_login(struct store *s, struct auth_hasher *h, const char *tenant_uuid,
               const char *username, const char *password, size_t len,
               struct store_user **out) HU_MUST_CHECK;

struct auth_token_spec {
    const struct store_user *user;
    int64_t lifetime_us;     /* > 0 */
    bool mobile;             /* Wazo-Session-Type: mobile */
    const char *remote_addr; /* NULL allowed */
    const char *user_agent;  /* NULL allowed */
    bool purge_expired;      /* also delete expired tokens in the same transaction */
};

/**
 * Issues a token for spec->user: 256 random bits written to token (shown once), stored as
 * its hash with the user's policy, a new session uuid and expiry now + lifetime. *out gets
 * the stored row (hash, session, times, ACL, tenant). HE_DB, HE_NOT_FOUND (user deleted
 * meanwhile).
 */
int auth_token_issue(struct store *s, const struct auth_token_spec *spec,
                     char token[PASSWORD_TOKEN_LEN], struct store_token **out) HU_MUST_CHECK;

struct auth_user_spec {
    const char *tenant_uuid; /* required, canonical */
    const char *uuid;        /* NULL or "": generated; else canonical */
    const char *username;
    const char *password;
    size_t password_len;
    const char *firstname; /* NULL allowed */
    const char *lastname;  /* NULL allowed */
    bool admin;
};

/**
 * Creates a user (what POST /users does). HE_INVAL: a username auth_username_check or a
 * name auth_name_check refuses, or a password longer than AUTH_PASSWORD_MAX_BYTES. HE_EXISTS:
 * the username is taken in the tenant, or the uuid is taken; *conflict (may be NULL) is then
 * "username" or "uuid". *out (may be NULL) gets the stored user.
 */
int auth_user_create(struct store *s, struct auth_hasher *h, const struct auth_user_spec *spec,
                     struct store_user **out, const char **conflict) HU_MUST_CHECK;

/**
 * Changes a password. old_password NULL skips the check (an admin resetting it); otherwise
 * a wrong one gives HE_UNAUTHORIZED. HE_UNKNOWN_USER when user_uuid is not a user of
 * tenant_uuid (NULL: any tenant).
 */
int auth_user_password_set(struct store *s, struct auth_hasher *h, const char *tenant_uuid,
                           const char *user_uuid, const char *old_password, size_t old_len,
                           const char *new_password, size_t new_len) HU_MUST_CHECK;

/** The user user_uuid of tenant_uuid (NULL: any tenant). HE_UNKNOWN_USER, HE_DB. */
int auth_user_get(struct store *s, const char *tenant_uuid, const char *user_uuid,
                  struct store_user **out) HU_MUST_CHECK;

/** Deletes a user of tenant_uuid (NULL: any tenant) with its tokens. HE_UNKNOWN_USER. */
int auth_user_delete(struct store *s, const char *tenant_uuid, const char *user_uuid) HU_MUST_CHECK;

#endif
