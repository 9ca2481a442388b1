/*
 * password: argon2id password hashes and token hashing (libsodium).
 *
 * password_hash() is slow on purpose (argon2id, libsodium's INTERACTIVE limits: about 64 MiB
 * and tens of milliseconds): call it on a worker, never on the loop, and bound how many run at
 * once (DESIGN.md section 6). Tokens are 256 random bits shown to the client once and stored
 * only as their SHA-256 (store_token.hash). Any thread may call these functions.
 */
#ifndef HUARD_DOMAIN_PASSWORD_H
#define HUARD_DOMAIN_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#include "base/alloc.h"

/* Room for an argon2id string (crypto_pwhash_STRBYTES) including the NUL. */
#define PASSWORD_HASH_MAX 128
/* A token: 256 random bits as 64 lower-case hex characters and a NUL. */
#define PASSWORD_TOKEN_LEN 65
/* Hex SHA-256 and a NUL (same as STORE_HASH_LEN). */
#define PASSWORD_TOKEN_HASH_LEN 65

/** Hashes password (len bytes) into out (NUL-terminated). HE_NOMEM when the memory limit fails. */
int password_hash(const char *password, size_t len, char out[PASSWORD_HASH_MAX]) HU_MUST_CHECK;
/** True when password matches the stored argon2id string. Constant time in the password. */
bool password_verify(const char *stored_hash, const char *password, size_t len);
/** Writes a new random token (64 hex characters). */
void password_token_new(char out[PASSWORD_TOKEN_LEN]);
/** Writes the hex SHA-256 of token (len bytes): what the store keeps. */
void password_token_hash(const char *token, size_t len, char out[PASSWORD_TOKEN_HASH_LEN]);

#endif
