/*
 * bootstrap: what `huard serve` makes sure of before it listens (DESIGN.md section 1, zero
 * configuration): a default tenant, a stack uuid shared by every instance on the database
 * (the wazo_uuid / xivo_uuid / origin_uuid of the wire), and an administrator named `admin`.
 *
 * The admin's password is the admin_password option (HUARD_ADMIN_PASSWORD) when set;
 * otherwise one is generated (144 random bits as 24 base64url characters), printed once on
 * stderr and written to <data>/admin-password, created with mode 0600. An existing admin is
 * never touched, so the password printed at the first start stays the one in force.
 *
 * Thread: start-up, on the main thread, before the workers use the store.
 */
#ifndef HUARD_DOMAIN_BOOTSTRAP_H
#define HUARD_DOMAIN_BOOTSTRAP_H

#include "base/alloc.h"
#include "base/uuid.h"

struct store;
struct config;

/* Name of the generated admin password file inside the data folder. */
#define BOOTSTRAP_ADMIN_PASSWORD_FILE "admin-password"
/* Login of the administrator created at first start. */
#define BOOTSTRAP_ADMIN_USERNAME "admin"

/**
 * Ensures the default tenant, the "stack_uuid" setting (written to stack_uuid_out) and the
 * admin user. Returns 0, HE_DB, HE_IO (password file), HE_NOMEM.
 */
int bootstrap_first_start(struct store *s, const struct config *cfg,
                          char stack_uuid_out[UUID_STR_LEN]) HU_MUST_CHECK;

#endif
