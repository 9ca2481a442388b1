#define LOG_MODULE "bootstrap"
#include "domain/bootstrap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "base/config.h"
#include "base/err.h"
#include "base/log.h"
#include "domain/auth.h"
#include "store/store.h"

#include "base/banned.h"

/* 18 random bytes are 24 base64url characters without padding. */
#define BOOTSTRAP_PASSWORD_BYTES 18
#define BOOTSTRAP_PASSWORD_LEN 24

/* Tenant, stack uuid, and whether the admin exists, in one write transaction. */
static int bootstrap_settings(struct store *s, char tenant_uuid[UUID_STR_LEN],
                              char stack_uuid[UUID_STR_LEN], bool *admin_exists)
{
    struct store_tx *tx = NULL;
    struct store_tenant *tenant = NULL;
    struct store_user *admin = NULL;
    char *value = NULL;

    int rc = store_tx_begin(s, &tx);
    if (rc < 0) {
        goto out;
    }
    rc = store_tenant_ensure_default(tx, &tenant);
    if (rc < 0) {
        goto out;
    }
    memcpy(tenant_uuid, tenant->uuid, UUID_STR_LEN);

    rc = store_setting_get(tx, "stack_uuid", &value);
    if (rc == 0 && !uuid_normalize(value, strlen(value), stack_uuid)) {
        log_err("msg=bad_setting key=stack_uuid");
        rc = HE_DB;
        goto out;
    }
    if (rc == HE_NOT_FOUND) {
        uuid_v4(stack_uuid);
        rc = store_setting_put(tx, "stack_uuid", stack_uuid);
        if (rc == 0) {
            log_info("msg=stack_uuid_created uuid=%s", stack_uuid);
        }
    }
    if (rc < 0) {
        goto out;
    }

    rc = store_user_get_by_name(tx, tenant_uuid, BOOTSTRAP_ADMIN_USERNAME, &admin);
    if (rc == 0 || rc == HE_UNKNOWN_USER) {
        *admin_exists = rc == 0;
        rc = 0;
    }
    if (rc < 0) {
        goto out;
    }
    rc = store_tx_commit(tx);
    tx = NULL;
out:
    store_tx_rollback(tx);
    store_tenant_free(tenant);
    store_user_free(admin);
    free(value);
    return rc;
}

/*
 * Writes the password to a new file beside the final one: O_EXCL and O_NOFOLLOW so that
 * nothing planted at that path (a symlink) receives it, mode 0600 from creation on.
 */
static int bootstrap_password_file_write(const char *tmp_path, const char *password)
{
    int fd = open(tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        log_err("msg=admin_password_file_failed path=%s err=\"%s\"", tmp_path, strerror(errno));
        return HE_IO;
    }
    size_t len = strlen(password);
    int rc = 0;
    if (write(fd, password, len) != (ssize_t)len || write(fd, "\n", 1) != 1 || fsync(fd) < 0) {
        log_err("msg=admin_password_file_failed path=%s err=\"%s\"", tmp_path, strerror(errno));
        rc = HE_IO;
    }
    if (close(fd) < 0 && rc == 0) {
        rc = HE_IO;
    }
    if (rc < 0) {
        unlink(tmp_path);
    }
    return rc;
}

static int bootstrap_admin_create(struct store *s, const struct config *cfg,
                                  const char *tenant_uuid)
{
    char generated[BOOTSTRAP_PASSWORD_LEN + 1];
    unsigned char raw[BOOTSTRAP_PASSWORD_BYTES];
    char *path = NULL;
    char *tmp_path = NULL;
    bool tmp_written = false;
    const char *password = cfg->admin_password;
    int rc = 0;

    if (password == NULL || password[0] == '\0') {
        randombytes_buf(raw, sizeof(raw));
        sodium_bin2base64(generated, sizeof(generated), raw, sizeof(raw),
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        sodium_memzero(raw, sizeof(raw));
        password = generated;
        path = xasprintf("%s/%s", cfg->data, BOOTSTRAP_ADMIN_PASSWORD_FILE);
        tmp_path = xasprintf("%s.%ld.tmp", path, (long)getpid());
        /* Written before the user exists: a folder we cannot write stops us before. */
        rc = bootstrap_password_file_write(tmp_path, password);
        if (rc < 0) {
            goto out;
        }
        tmp_written = true;
    }

    const char *conflict = NULL;
    struct auth_user_spec spec = {
        .tenant_uuid = tenant_uuid,
        .username = BOOTSTRAP_ADMIN_USERNAME,
        .password = password,
        .password_len = strlen(password),
        .admin = true,
    };
    rc = auth_user_create(s, NULL, &spec, NULL, &conflict);
    if (rc == HE_EXISTS) {
        /* Another instance on the same database created it first: its password stands. */
        log_info("msg=admin_created_elsewhere");
        rc = 0;
        goto out;
    }
    if (rc < 0) {
        log_err("msg=admin_create_failed err=%s", he_name(rc));
        goto out;
    }
    if (tmp_path == NULL) {
        log_info("msg=admin_created password=configured");
        goto out;
    }
    bool stored = rename(tmp_path, path) == 0;
    if (!stored) {
        /* The user exists and the password is printed below: serve anyway. */
        log_err("msg=admin_password_file_failed path=%s err=\"%s\"", path, strerror(errno));
    } else {
        tmp_written = false;
    }
    /* The one time this password is shown; it is never logged. */
    (void)fprintf(stderr, "huard: created user 'admin' with password: %s\n", password);
    if (stored) {
        (void)fprintf(stderr, "huard: (shown once; also stored in %s, mode 0600)\n", path);
    }
    (void)fflush(stderr);
out:
    if (tmp_written) {
        unlink(tmp_path);
    }
    sodium_memzero(generated, sizeof(generated));
    free(tmp_path);
    free(path);
    return rc;
}

int bootstrap_first_start(struct store *s, const struct config *cfg,
                          char stack_uuid_out[UUID_STR_LEN])
{
    char tenant_uuid[UUID_STR_LEN];
    bool admin_exists = false;
    BUG_ON(sodium_init() < 0);
    int rc = bootstrap_settings(s, tenant_uuid, stack_uuid_out, &admin_exists);
    if (rc < 0) {
        log_err("msg=bootstrap_failed err=%s", he_name(rc));
        return rc;
    }
    if (admin_exists) {
        return 0;
    }
    return bootstrap_admin_create(s, cfg, tenant_uuid);
}
