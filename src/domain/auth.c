#define LOG_MODULE "auth"
#include "domain/auth.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <utf8proc.h>

#include "base/err.h"
#include "base/log.h"
#include "base/time.h"
#include "domain/acl.h"
#include "store/store.h"

#include "base/banned.h"

struct auth_hasher {
    pthread_mutex_t mu;
    pthread_cond_t cond; /* on CLOCK_MONOTONIC: a wall-clock jump does not cut waits short */
    unsigned free_slots;
    int64_t max_wait_us;
    /*
     * What unknown usernames are verified against, made on first need (a hash at start-up
     * would delay every start by one argon2id computation). Written once under mu.
     */
    bool dummy_ready;
    char dummy[PASSWORD_HASH_MAX];
};

/*
 * The auth routes of wazo_default_user_policy (wazo-auth-keys 50-wazo-default.yml) that
 * Huard serves: a user may change its own password. The chat subset is acl_user_policy.
 */
static const char *const auth_user_extra[] = {
    "auth.users.me.password.edit",
};

struct auth_hasher *auth_hasher_new(unsigned max_concurrent, int64_t max_wait_us)
{
    BUG_ON(sodium_init() < 0);
    struct auth_hasher *h = xcalloc(1, sizeof(*h));
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&h->cond, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&h->mu, NULL);
    h->free_slots = max_concurrent == 0 ? 2 : max_concurrent;
    h->max_wait_us = max_wait_us <= 0 ? 10 * TIME_US_PER_SEC : max_wait_us;
    return h;
}

void auth_hasher_free(struct auth_hasher *h)
{
    if (h == NULL) {
        return;
    }
    pthread_cond_destroy(&h->cond);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

static int auth_slot_acquire(struct auth_hasher *h)
{
    if (h == NULL) {
        return 0;
    }
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    int64_t ns = (int64_t)deadline.tv_nsec + (h->max_wait_us % TIME_US_PER_SEC) * 1000;
    deadline.tv_sec += (time_t)(h->max_wait_us / TIME_US_PER_SEC + ns / 1000000000);
    deadline.tv_nsec = (long)(ns % 1000000000);

    int rc = 0;
    pthread_mutex_lock(&h->mu);
    while (h->free_slots == 0) {
        if (pthread_cond_timedwait(&h->cond, &h->mu, &deadline) == ETIMEDOUT &&
            h->free_slots == 0) {
            rc = HE_BUSY;
            break;
        }
    }
    if (rc == 0) {
        h->free_slots--;
    }
    pthread_mutex_unlock(&h->mu);
    return rc;
}

static void auth_slot_release(struct auth_hasher *h)
{
    if (h == NULL) {
        return;
    }
    pthread_mutex_lock(&h->mu);
    h->free_slots++;
    pthread_cond_signal(&h->cond);
    pthread_mutex_unlock(&h->mu);
}

int auth_password_hash(struct auth_hasher *h, const char *password, size_t len,
                       char out[PASSWORD_HASH_MAX])
{
    int rc = auth_slot_acquire(h);
    if (rc < 0) {
        return rc;
    }
    rc = password_hash(password, len, out);
    auth_slot_release(h);
    return rc;
}

/* The dummy hash, made by the first caller that needs it; NULL when it could not be made. */
static const char *auth_dummy_hash(struct auth_hasher *h)
{
    pthread_mutex_lock(&h->mu);
    bool ready = h->dummy_ready;
    pthread_mutex_unlock(&h->mu);
    if (ready) {
        return h->dummy;
    }
    char made[PASSWORD_HASH_MAX];
    unsigned char noise[32];
    randombytes_buf(noise, sizeof(noise));
    int rc = auth_password_hash(h, (const char *)noise, sizeof(noise), made);
    sodium_memzero(noise, sizeof(noise));
    if (rc < 0) {
        log_warn("msg=dummy_hash_failed err=%s", he_name(rc));
        return NULL;
    }
    pthread_mutex_lock(&h->mu);
    /* Two first callers may both make one: the first stored wins, both are equivalent. */
    if (!h->dummy_ready) {
        memcpy(h->dummy, made, sizeof(made));
        h->dummy_ready = true;
    }
    pthread_mutex_unlock(&h->mu);
    return h->dummy;
}

int auth_password_verify(struct auth_hasher *h, const char *stored, const char *password,
                         size_t len)
{
    int rc = auth_slot_acquire(h);
    if (rc < 0) {
        return rc;
    }
    bool ok = stored != NULL && stored[0] != '\0' && password_verify(stored, password, len);
    auth_slot_release(h);
    return ok ? 0 : HE_UNAUTHORIZED;
}

char **auth_policy_dup(bool admin, size_t *n)
{
    const char *const *base = admin ? acl_admin_policy : acl_user_policy;
    size_t nbase = admin ? acl_admin_policy_len : acl_user_policy_len;
    size_t nextra = admin ? 0 : HU_ARRAY_LEN(auth_user_extra);
    char **acl = xcalloc(nbase + nextra, sizeof(*acl));
    for (size_t i = 0; i < nbase; i++) {
        acl[i] = xstrdup(base[i]);
    }
    for (size_t i = 0; i < nextra; i++) {
        acl[nbase + i] = xstrdup(auth_user_extra[i]);
    }
    *n = nbase + nextra;
    return acl;
}

void auth_acl_free(char **acl, size_t n)
{
    if (acl == NULL) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        free(acl[i]);
    }
    free(acl);
}

/* Walks len bytes of UTF-8; false when invalid or when username rules apply and a code point
 * is ':' or a control character. */
static bool auth_text_ok(const char *s, size_t len, bool username)
{
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    size_t off = 0;
    while (off < len) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(p + off, (utf8proc_ssize_t)(len - off), &cp);
        if (n <= 0) {
            return false;
        }
        if (username && (cp == ':' || cp < 0x20 || (cp >= 0x7f && cp < 0xa0))) {
            return false;
        }
        off += (size_t)n;
    }
    return true;
}

int auth_username_check(const char *username, size_t len)
{
    if (len == 0 || len > AUTH_USERNAME_MAX_BYTES || !auth_text_ok(username, len, true)) {
        return HE_INVAL;
    }
    return 0;
}

int auth_name_check(const char *name)
{
    size_t len = strnlen(name, AUTH_NAME_MAX_BYTES + 1);
    if (len > AUTH_NAME_MAX_BYTES || !auth_text_ok(name, len, false)) {
        return HE_INVAL;
    }
    return 0;
}

int auth_login(struct store *s, struct auth_hasher *h, const char *tenant_uuid,
               const char *username, const char *password, size_t len, struct store_user **out)
{
    struct store_tx *tx = NULL;
    struct store_tenant *tenant = NULL;
    struct store_user *u = NULL;
    *out = NULL;

    int rc = store_tx_begin_read(s, &tx);
    if (rc < 0) {
        goto out;
    }
    if (tenant_uuid == NULL) {
        rc = store_tenant_get_default(tx, &tenant);
        if (rc < 0) {
            goto out;
        }
        tenant_uuid = tenant->uuid;
    }
    rc = store_user_get_by_name(tx, tenant_uuid, username, &u);
    /* Release the read connection before the slow part. */
    store_tx_rollback(tx);
    tx = NULL;
    if (rc == HE_UNKNOWN_USER) {
        const char *dummy = h != NULL ? auth_dummy_hash(h) : NULL;
        int vrc = dummy != NULL ? auth_password_verify(h, dummy, password, len) : HE_UNAUTHORIZED;
        rc = vrc == HE_BUSY ? HE_BUSY : HE_UNAUTHORIZED;
        goto out;
    }
    if (rc < 0) {
        goto out;
    }
    rc = auth_password_verify(h, u->password_hash, password, len);
    if (rc < 0) {
        goto out;
    }
    *out = u;
    u = NULL;
out:
    store_tx_rollback(tx);
    store_tenant_free(tenant);
    store_user_free(u);
    if (rc == HE_NOT_FOUND) {
        /* No default tenant yet: nobody can log in. */
        rc = HE_UNAUTHORIZED;
    }
    return rc;
}

int auth_token_issue(struct store *s, const struct auth_token_spec *spec,
                     char token[PASSWORD_TOKEN_LEN], struct store_token **out)
{
    BUG_ON(spec->lifetime_us <= 0);
    struct store_tx *tx = NULL;
    struct store_token t;
    memset(&t, 0, sizeof(t));
    *out = NULL;

    password_token_new(token);
    password_token_hash(token, PASSWORD_TOKEN_LEN - 1, t.hash);
    memcpy(t.user_uuid, spec->user->uuid, UUID_STR_LEN);
    memcpy(t.tenant_uuid, spec->user->tenant_uuid, UUID_STR_LEN);
    int64_t now = store_now_us();
    t.issued_at = now;
    t.expires_at = spec->lifetime_us > INT64_MAX - now ? INT64_MAX : now + spec->lifetime_us;
    t.admin = spec->user->admin;
    t.mobile = spec->mobile;
    t.acl = auth_policy_dup(t.admin, &t.n_acl);
    /* The store only reads these input strings. */
    t.remote_addr = (char *)spec->remote_addr;
    t.user_agent = (char *)spec->user_agent;

    int rc = store_tx_begin(s, &tx);
    if (rc < 0) {
        goto out;
    }
    if (spec->purge_expired) {
        int64_t purged = 0;
        rc = store_token_purge_expired(tx, now, &purged);
        if (rc < 0) {
            goto out;
        }
        if (purged > 0) {
            log_debug("msg=tokens_purged count=%lld", (long long)purged);
        }
    }
    rc = store_token_create(tx, &t);
    if (rc < 0) {
        goto out;
    }
    rc = store_token_get(tx, t.hash, now, out);
    if (rc < 0) {
        goto out;
    }
    rc = store_tx_commit(tx);
    tx = NULL;
out:
    store_tx_rollback(tx);
    auth_acl_free(t.acl, t.n_acl);
    if (rc < 0) {
        store_token_free(*out);
        *out = NULL;
        sodium_memzero(token, PASSWORD_TOKEN_LEN);
    }
    return rc;
}

int auth_user_create(struct store *s, struct auth_hasher *h, const struct auth_user_spec *spec,
                     struct store_user **out, const char **conflict)
{
    struct store_tx *tx = NULL;
    struct store_user *existing = NULL;
    char hash[PASSWORD_HASH_MAX];
    struct store_user u;
    memset(&u, 0, sizeof(u));
    if (out != NULL) {
        *out = NULL;
    }
    if (conflict != NULL) {
        *conflict = NULL;
    }

    int rc = auth_username_check(spec->username, strlen(spec->username));
    if (rc == 0 && spec->firstname != NULL) {
        rc = auth_name_check(spec->firstname);
    }
    if (rc == 0 && spec->lastname != NULL) {
        rc = auth_name_check(spec->lastname);
    }
    if (rc < 0) {
        return rc;
    }
    if (spec->password_len > AUTH_PASSWORD_MAX_BYTES) {
        return HE_INVAL;
    }
    /* Hash before the write transaction: it would hold the writer for tens of ms. */
    rc = auth_password_hash(h, spec->password, spec->password_len, hash);
    if (rc < 0) {
        return rc;
    }

    rc = store_tx_begin(s, &tx);
    if (rc < 0) {
        goto out;
    }
    if (spec->uuid != NULL && spec->uuid[0] != '\0') {
        rc = store_user_get(tx, spec->uuid, &existing);
        if (rc == 0) {
            rc = HE_EXISTS;
            if (conflict != NULL) {
                *conflict = "uuid";
            }
            goto out;
        }
        if (rc != HE_UNKNOWN_USER) {
            goto out;
        }
        memcpy(u.uuid, spec->uuid, UUID_STR_LEN);
    }
    memcpy(u.tenant_uuid, spec->tenant_uuid, UUID_STR_LEN);
    /* The store only reads these input strings. */
    u.username = (char *)spec->username;
    u.password_hash = hash;
    u.firstname = (char *)spec->firstname;
    u.lastname = (char *)spec->lastname;
    u.admin = spec->admin;
    rc = store_user_add(tx, &u);
    if (rc == HE_EXISTS && conflict != NULL) {
        *conflict = "username";
    }
    if (rc < 0) {
        goto out;
    }
    if (out != NULL) {
        rc = store_user_get(tx, u.uuid, out);
        if (rc < 0) {
            goto out;
        }
    }
    rc = store_tx_commit(tx);
    tx = NULL;
out:
    store_tx_rollback(tx);
    store_user_free(existing);
    sodium_memzero(hash, sizeof(hash));
    if (rc < 0 && out != NULL) {
        store_user_free(*out);
        *out = NULL;
    }
    return rc;
}

int auth_user_get(struct store *s, const char *tenant_uuid, const char *user_uuid,
                  struct store_user **out)
{
    struct store_tx *tx = NULL;
    *out = NULL;
    int rc = store_tx_begin_read(s, &tx);
    if (rc < 0) {
        return rc;
    }
    rc = store_user_get(tx, user_uuid, out);
    store_tx_rollback(tx);
    if (rc == 0 && tenant_uuid != NULL && strcmp((*out)->tenant_uuid, tenant_uuid) != 0) {
        /* Another tenant's user does not exist for this caller. */
        store_user_free(*out);
        *out = NULL;
        rc = HE_UNKNOWN_USER;
    }
    return rc;
}

int auth_user_password_set(struct store *s, struct auth_hasher *h, const char *tenant_uuid,
                           const char *user_uuid, const char *old_password, size_t old_len,
                           const char *new_password, size_t new_len)
{
    struct store_user *u = NULL;
    struct store_tx *tx = NULL;
    char hash[PASSWORD_HASH_MAX];
    hash[0] = '\0';

    if (new_len > AUTH_PASSWORD_MAX_BYTES) {
        return HE_INVAL;
    }
    int rc = auth_user_get(s, tenant_uuid, user_uuid, &u);
    if (rc < 0) {
        goto out;
    }
    if (old_password != NULL) {
        rc = auth_password_verify(h, u->password_hash, old_password, old_len);
        if (rc < 0) {
            goto out;
        }
    }
    rc = auth_password_hash(h, new_password, new_len, hash);
    if (rc < 0) {
        goto out;
    }
    rc = store_tx_begin(s, &tx);
    if (rc < 0) {
        goto out;
    }
    rc = store_user_set_password(tx, user_uuid, hash);
    if (rc < 0) {
        goto out;
    }
    rc = store_tx_commit(tx);
    tx = NULL;
out:
    store_tx_rollback(tx);
    store_user_free(u);
    sodium_memzero(hash, sizeof(hash));
    return rc;
}

int auth_user_delete(struct store *s, const char *tenant_uuid, const char *user_uuid)
{
    struct store_tx *tx = NULL;
    struct store_user *u = NULL;
    int rc = store_tx_begin(s, &tx);
    if (rc < 0) {
        goto out;
    }
    rc = store_user_get(tx, user_uuid, &u);
    if (rc < 0) {
        goto out;
    }
    if (tenant_uuid != NULL && strcmp(u->tenant_uuid, tenant_uuid) != 0) {
        rc = HE_UNKNOWN_USER;
        goto out;
    }
    rc = store_user_delete(tx, user_uuid);
    if (rc < 0) {
        goto out;
    }
    rc = store_tx_commit(tx);
    tx = NULL;
out:
    store_tx_rollback(tx);
    store_user_free(u);
    return rc;
}
