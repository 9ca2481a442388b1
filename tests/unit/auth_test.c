/*
 * Unit tests of domain/auth and domain/bootstrap on a real SQLite store in a temp folder:
 * username rules, token policies, login, token issue, user create/password/delete with
 * tenants, first start (admin password file mode 0600, idempotence, stack uuid).
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/config.h"
#include "base/err.h"
#include "base/time.h"
#include "domain/acl.h"
#include "domain/auth.h"
#include "domain/bootstrap.h"
#include "domain/password.h"
#include "store/store.h"
#include "store_fixture.h"

static char dir[STORE_FIXTURE_DIR_MAX];
static struct store *store;

static void setup(void)
{
    store = store_fixture_open("auth-unit", dir);
}

static void teardown(void)
{
    store_fixture_close(store, dir);
    store = NULL;
}

static void config_for(struct config *cfg, const char *admin_password)
{
    config_init_defaults(cfg);
    free(cfg->data);
    cfg->data = strdup(dir);
    free(cfg->admin_password);
    cfg->admin_password = strdup(admin_password);
}

static void default_tenant(char out[UUID_STR_LEN])
{
    struct store_tx *tx = NULL;
    struct store_tenant *t = NULL;
    cr_assert_eq(store_tx_begin(store, &tx), 0);
    cr_assert_eq(store_tenant_ensure_default(tx, &t), 0);
    memcpy(out, t->uuid, UUID_STR_LEN);
    store_tenant_free(t);
    cr_assert_eq(store_tx_commit(tx), 0);
}

static void add_user(const char *tenant, const char *name, const char *password, bool admin,
                     struct store_user **out)
{
    struct auth_user_spec spec = {
        .tenant_uuid = tenant,
        .username = name,
        .password = password,
        .password_len = strlen(password),
        .admin = admin,
    };
    cr_assert_eq(auth_user_create(store, NULL, &spec, out, NULL), 0, "create %s", name);
}

Test(auth, username_rules)
{
    cr_expect_eq(auth_username_check("alice", 5), 0);
    cr_expect_eq(auth_username_check("jos\xc3\xa9", 5), 0);
    cr_expect_eq(auth_username_check("a.b-c_d@e", 9), 0);
    cr_expect_eq(auth_username_check("", 0), HE_INVAL);
    cr_expect_eq(auth_username_check("a:b", 3), HE_INVAL, "':' splits HTTP Basic");
    cr_expect_eq(auth_username_check("a\nb", 3), HE_INVAL);
    cr_expect_eq(auth_username_check("a\x7f", 2), HE_INVAL);
    cr_expect_eq(auth_username_check("a\xc2\x85", 3), HE_INVAL, "C1 control");
    cr_expect_eq(auth_username_check("\xff\xfe", 2), HE_INVAL, "invalid UTF-8");
    cr_expect_eq(auth_username_check("a\0b", 3), HE_INVAL);
}

Test(auth, token_policies)
{
    size_t n = 0;
    char **acl = auth_policy_dup(false, &n);
    cr_assert_eq(n, acl_user_policy_len + 1);
    for (size_t i = 0; i < acl_user_policy_len; i++) {
        cr_expect_str_eq(acl[i], acl_user_policy[i]);
    }
    cr_expect_str_eq(acl[n - 1], "auth.users.me.password.edit");
    const char *uuid = "0e0b2d62-8a4c-4b8e-9a55-3f7a9d3c1e11";
    cr_expect(acl_check((const char *const *)acl, n,
                        "auth.users.0e0b2d62-8a4c-4b8e-9a55-3f7a9d3c1e11.password.edit", uuid,
                        NULL));
    cr_expect_not(acl_check((const char *const *)acl, n, "auth.users.create", uuid, NULL));
    auth_acl_free(acl, n);

    acl = auth_policy_dup(true, &n);
    cr_assert_eq(n, acl_admin_policy_len);
    cr_expect(acl_check((const char *const *)acl, n, "auth.users.create", uuid, NULL));
    auth_acl_free(acl, n);
}

Test(auth, login_token_and_tenants, .init = setup, .fini = teardown)
{
    char tenant[UUID_STR_LEN];
    default_tenant(tenant);
    struct store_user *alice = NULL;
    add_user(tenant, "alice", "wonderland", false, &alice);
    cr_assert_not_null(alice);
    cr_expect_str_eq(alice->username, "alice");
    cr_expect_not(alice->admin);

    struct auth_hasher *h = auth_hasher_new(1, 0);
    struct store_user *u = NULL;
    cr_expect_eq(auth_login(store, h, NULL, "alice", "wonderland", 10, &u), 0);
    cr_assert_not_null(u);
    cr_expect_str_eq(u->uuid, alice->uuid);
    store_user_free(u);
    u = NULL;
    cr_expect_eq(auth_login(store, h, NULL, "alice", "wonder", 6, &u), HE_UNAUTHORIZED);
    cr_expect_null(u);
    cr_expect_eq(auth_login(store, h, NULL, "bob", "wonderland", 10, &u), HE_UNAUTHORIZED);
    cr_expect_eq(
        auth_login(store, h, "5d1f3c2a-0000-4000-8000-000000000000", "alice", "wonderland", 10, &u),
        HE_UNAUTHORIZED, "another tenant does not hold alice");

    char token[PASSWORD_TOKEN_LEN];
    struct store_token *t = NULL;
    struct auth_token_spec spec = {
        .user = alice,
        .lifetime_us = 60 * TIME_US_PER_SEC,
        .mobile = true,
        .remote_addr = "10.0.0.1",
        .user_agent = "unit",
        .purge_expired = true,
    };
    cr_assert_eq(auth_token_issue(store, &spec, token, &t), 0);
    cr_expect_eq(strlen(token), 64);
    char hash[PASSWORD_TOKEN_HASH_LEN];
    password_token_hash(token, 64, hash);
    cr_expect_str_eq(t->hash, hash, "only the hash is stored");
    cr_expect_str_eq(t->user_uuid, alice->uuid);
    cr_expect_str_eq(t->tenant_uuid, tenant);
    cr_expect(uuid_is_canonical(t->session_uuid));
    cr_expect_eq(t->expires_at - t->issued_at, 60 * TIME_US_PER_SEC);
    cr_expect(t->mobile);
    cr_expect_not(t->admin);
    cr_expect_eq(t->n_acl, acl_user_policy_len + 1);
    cr_expect_str_eq(t->remote_addr, "10.0.0.1");
    store_token_free(t);

    auth_hasher_free(h);
    store_user_free(alice);
}

Test(auth, create_conflicts_and_bad_input, .init = setup, .fini = teardown)
{
    char tenant[UUID_STR_LEN];
    default_tenant(tenant);
    struct store_user *a = NULL;
    add_user(tenant, "carol", "pw", false, &a);

    const char *conflict = NULL;
    struct auth_user_spec spec = {
        .tenant_uuid = tenant, .username = "carol", .password = "x", .password_len = 1};
    cr_expect_eq(auth_user_create(store, NULL, &spec, NULL, &conflict), HE_EXISTS);
    cr_expect_str_eq(conflict, "username");

    spec.username = "carol2";
    spec.uuid = a->uuid;
    conflict = NULL;
    cr_expect_eq(auth_user_create(store, NULL, &spec, NULL, &conflict), HE_EXISTS);
    cr_expect_str_eq(conflict, "uuid");

    spec.uuid = "0f0f0f0f-1111-4222-8333-444455556666";
    struct store_user *b = NULL;
    cr_expect_eq(auth_user_create(store, NULL, &spec, &b, NULL), 0);
    cr_expect_str_eq(b->uuid, spec.uuid);
    store_user_free(b);

    spec.uuid = NULL;
    spec.username = "da:ve";
    cr_expect_eq(auth_user_create(store, NULL, &spec, NULL, NULL), HE_INVAL);
    spec.username = "dave";
    spec.password_len = AUTH_PASSWORD_MAX_BYTES + 1;
    cr_expect_eq(auth_user_create(store, NULL, &spec, NULL, NULL), HE_INVAL);
    /* Names are quoted in JSON answers: bytes that are not UTF-8 would make them fail. */
    spec.password_len = 1;
    spec.firstname = "\xff";
    cr_expect_eq(auth_user_create(store, NULL, &spec, NULL, NULL), HE_INVAL);
    spec.firstname = "Dave";
    spec.lastname = "\xc3";
    cr_expect_eq(auth_user_create(store, NULL, &spec, NULL, NULL), HE_INVAL);
    store_user_free(a);
}

Test(auth, password_change_and_delete, .init = setup, .fini = teardown)
{
    char tenant[UUID_STR_LEN];
    default_tenant(tenant);
    struct store_user *e = NULL;
    add_user(tenant, "erin", "old", false, &e);
    const char *other = "7a7a7a7a-0000-4000-8000-000000000001";

    cr_expect_eq(auth_user_password_set(store, NULL, tenant, e->uuid, "bad", 3, "new", 3),
                 HE_UNAUTHORIZED);
    cr_expect_eq(auth_user_password_set(store, NULL, other, e->uuid, NULL, 0, "new", 3),
                 HE_UNKNOWN_USER, "a user of another tenant is unknown");
    cr_expect_eq(auth_user_password_set(store, NULL, tenant, e->uuid, "old", 3, "new", 3), 0);
    struct store_user *u = NULL;
    cr_expect_eq(auth_login(store, NULL, NULL, "erin", "old", 3, &u), HE_UNAUTHORIZED);
    cr_expect_eq(auth_login(store, NULL, NULL, "erin", "new", 3, &u), 0);
    store_user_free(u);
    cr_expect_eq(auth_user_password_set(store, NULL, NULL, e->uuid, NULL, 0, "reset", 5), 0);

    cr_expect_eq(auth_user_delete(store, other, e->uuid), HE_UNKNOWN_USER);
    cr_expect_eq(auth_user_delete(store, tenant, e->uuid), 0);
    cr_expect_eq(auth_user_delete(store, tenant, e->uuid), HE_UNKNOWN_USER);
    u = NULL;
    cr_expect_eq(auth_user_get(store, NULL, e->uuid, &u), HE_UNKNOWN_USER);
    store_user_free(e);
}

Test(bootstrap, configured_password_and_idempotence, .init = setup, .fini = teardown)
{
    struct config cfg;
    config_for(&cfg, "configured-pw");
    char first[UUID_STR_LEN];
    char second[UUID_STR_LEN];
    cr_assert_eq(bootstrap_first_start(store, &cfg, first), 0);
    cr_expect(uuid_is_canonical(first));
    char *file = NULL;
    cr_assert_gt(asprintf(&file, "%s/%s", dir, BOOTSTRAP_ADMIN_PASSWORD_FILE), 0);
    cr_expect_neq(access(file, F_OK), 0, "no file for a configured password");

    struct store_user *u = NULL;
    cr_expect_eq(auth_login(store, NULL, NULL, "admin", "configured-pw", 13, &u), 0);
    cr_assert_not_null(u);
    cr_expect(u->admin);
    store_user_free(u);

    /* A second start changes nothing: same stack uuid, the password stays. */
    free(cfg.admin_password);
    cfg.admin_password = strdup("other-pw");
    cr_assert_eq(bootstrap_first_start(store, &cfg, second), 0);
    cr_expect_str_eq(first, second);
    u = NULL;
    cr_expect_eq(auth_login(store, NULL, NULL, "admin", "configured-pw", 13, &u), 0);
    store_user_free(u);
    free(file);
    config_release(&cfg);
}

Test(bootstrap, generated_password_goes_to_a_0600_file, .init = setup, .fini = teardown)
{
    cr_redirect_stderr();
    struct config cfg;
    config_for(&cfg, "");
    char stack[UUID_STR_LEN];
    /* A stale file from an older database must not block or leak into the new one. */
    char *file = NULL;
    cr_assert_gt(asprintf(&file, "%s/%s", dir, BOOTSTRAP_ADMIN_PASSWORD_FILE), 0);
    FILE *stale = fopen(file, "w");
    cr_assert_not_null(stale);
    fputs("stale\n", stale);
    fclose(stale);

    cr_assert_eq(bootstrap_first_start(store, &cfg, stack), 0);
    struct stat st;
    cr_assert_eq(stat(file, &st), 0);
    cr_expect_eq(st.st_mode & 0777, 0600);
    char buf[64] = "";
    FILE *f = fopen(file, "r");
    cr_assert_not_null(f);
    cr_assert_not_null(fgets(buf, sizeof(buf), f));
    fclose(f);
    cr_expect_eq(strlen(buf), 25, "24 characters and a newline: '%s'", buf);
    buf[24] = '\0';
    for (size_t i = 0; i < 24; i++) {
        char c = buf[i];
        cr_expect((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_',
                  "base64url character '%c'", c);
    }
    struct store_user *u = NULL;
    cr_expect_eq(auth_login(store, NULL, NULL, "admin", buf, 24, &u), 0);
    store_user_free(u);

    /* Restart: nothing new is generated, the file keeps the password in force. */
    cr_assert_eq(bootstrap_first_start(store, &cfg, stack), 0);
    f = fopen(file, "r");
    char again[64] = "";
    cr_assert_not_null(fgets(again, sizeof(again), f));
    fclose(f);
    cr_expect_eq(strncmp(again, buf, 24), 0);
    free(file);
    config_release(&cfg);
}
