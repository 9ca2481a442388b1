/*
 * store: the wrappers of store.h over the backend's ops table, result frees and the enum
 * words. Nothing here knows SQL.
 */
#include "store/store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/err.h"
#define LOG_MODULE "store"
#include "base/log.h"
#include "store/backend.h"
#include "store/migrations/migrations.h"
#include "base/banned.h"

int store_open(const char *url_or_path, const struct store_options *opts, struct store **out)
{
    static const struct store_options defaults = {0};
    if (opts == NULL) {
        opts = &defaults;
    }
    *out = NULL;
    if (url_or_path == NULL || url_or_path[0] == '\0') {
        return HE_CONFIG;
    }
    if (strncmp(url_or_path, "postgresql://", 13) == 0 ||
        strncmp(url_or_path, "postgres://", 11) == 0) {
        return store__pg_open(url_or_path, opts, out);
    }
    return store__sqlite_open(url_or_path, opts, out);
}

int store_location(const char *data_dir, const char *database, char **out)
{
    *out = NULL;
    if (database != NULL && database[0] != '\0') {
        *out = xstrdup(database);
        return 0;
    }
    if (data_dir == NULL || data_dir[0] == '\0') {
        data_dir = "./data";
    }
    if (mkdir(data_dir, 0700) != 0 && errno != EEXIST) {
        log_err("msg=\"cannot create data folder\" path=%s errno=%d", data_dir, errno);
        return HE_IO;
    }
    *out = xasprintf("%s/%s", data_dir, STORE_SQLITE_FILE);
    return 0;
}

void store_close(struct store *s)
{
    if (s != NULL) {
        s->ops->close(s);
    }
}

const char *store_backend_name(const struct store *s)
{
    return s->ops->name;
}

int store_schema_version(struct store *s, int *current, int *latest)
{
    *latest = store__schema_latest;
    return s->ops->schema_version(s, current);
}

int store_tx_begin(struct store *s, struct store_tx **out)
{
    return s->ops->tx_begin(s, true, out);
}

int store_tx_begin_read(struct store *s, struct store_tx **out)
{
    return s->ops->tx_begin(s, false, out);
}

int store_tx_commit(struct store_tx *tx)
{
    return tx->store->ops->tx_commit(tx);
}

void store_tx_rollback(struct store_tx *tx)
{
    if (tx != NULL) {
        tx->store->ops->tx_rollback(tx);
    }
}

int64_t store_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void store__uuid_copy(char out[UUID_STR_LEN], const char *s)
{
    size_t n = s != NULL ? strnlen(s, UUID_STR_LEN - 1) : 0;
    memcpy(out, s != NULL ? s : "", n);
    out[n] = '\0';
}

/* ---------------------------------------------------------------------------------------- */
/* Enum words (the stored text and the wire text are the same)                              */

static const char *const room_kinds[] = {"group", "direct"};
static const char *const visibilities[] = {"private", "public"};
static const char *const histories[] = {"shared", "joined", "invited"};
static const char *const roles[] = {"member", "admin", "owner"};
static const char *const notifies[] = {"all", "mentions", "none"};

static int word_parse(const char *const *words, size_t n, const char *s, int *out)
{
    for (size_t i = 0; s != NULL && i < n; i++) {
        if (strcmp(words[i], s) == 0) {
            *out = (int)i;
            return 0;
        }
    }
    return HE_INVAL;
}

#define ENUM_WORDS(fn, type, words)                                                                \
    const char *store_##fn##_name(type v)                                                          \
    {                                                                                              \
        BUG_ON((size_t)v >= HU_ARRAY_LEN(words));                                                  \
        return (words)[v];                                                                         \
    }                                                                                              \
    /* NOLINTNEXTLINE(bugprone-macro-parentheses): `type` is a type name */                        \
    int store_##fn##_parse(const char *s, type *out)                                               \
    {                                                                                              \
        int v = 0;                                                                                 \
        int rc = word_parse((words), HU_ARRAY_LEN(words), s, &v);                                  \
        if (rc == 0) {                                                                             \
            *out = (type)v;                                                                        \
        }                                                                                          \
        return rc;                                                                                 \
    }

ENUM_WORDS(room_kind, enum store_room_kind, room_kinds)
ENUM_WORDS(visibility, enum store_visibility, visibilities)
ENUM_WORDS(history, enum store_history, histories)
ENUM_WORDS(role, enum store_role, roles)
ENUM_WORDS(notify, enum store_notify, notifies)

/* ---------------------------------------------------------------------------------------- */
/* Result frees                                                                             */

void store__tenant_release(struct store_tenant *t)
{
    free(t->name);
}

void store_tenant_free(struct store_tenant *t)
{
    if (t != NULL) {
        store__tenant_release(t);
        free(t);
    }
}

void store__user_release(struct store_user *u)
{
    free(u->username);
    free(u->password_hash);
    free(u->firstname);
    free(u->lastname);
    free(u->display_name);
}

void store_user_free(struct store_user *u)
{
    if (u != NULL) {
        store__user_release(u);
        free(u);
    }
}

void store_user_list_free(struct store_user_list *l)
{
    if (l != NULL) {
        for (size_t i = 0; i < l->count; i++) {
            store__user_release(&l->items[i]);
        }
        free(l->items);
        free(l);
    }
}

void store_token_free(struct store_token *t)
{
    if (t != NULL) {
        for (size_t i = 0; i < t->n_acl; i++) {
            free(t->acl[i]);
        }
        free(t->acl);
        free(t->remote_addr);
        free(t->user_agent);
        free(t);
    }
}

void store__presence_release(struct store_presence *p)
{
    free(p->state);
    free(p->status);
}

void store_presence_free(struct store_presence *p)
{
    if (p != NULL) {
        store__presence_release(p);
        free(p);
    }
}

void store_presence_list_free(struct store_presence_list *l)
{
    if (l != NULL) {
        for (size_t i = 0; i < l->count; i++) {
            store__presence_release(&l->items[i]);
        }
        free(l->items);
        free(l);
    }
}

void store__member_release(struct store_member *m)
{
    (void)m; /* no heap fields today; kept so that lists free members uniformly */
}

void store_member_free(struct store_member *m)
{
    free(m);
}

void store_member_list_free(struct store_member_list *l)
{
    if (l != NULL) {
        free(l->items);
        free(l);
    }
}

void store__room_release(struct store_room *r)
{
    free(r->name);
    free(r->topic);
    free(r->members);
}

void store_room_free(struct store_room *r)
{
    if (r != NULL) {
        store__room_release(r);
        free(r);
    }
}

void store_room_list_free(struct store_room_list *l)
{
    if (l != NULL) {
        for (size_t i = 0; i < l->count; i++) {
            store__room_release(&l->items[i]);
        }
        free(l->items);
        free(l);
    }
}

void store__message_release(struct store_message *m)
{
    free(m->alias);
    free(m->content);
    free(m->content_search);
    free(m->content_html);
    free(m->mentions);
    for (size_t i = 0; i < m->n_reactions; i++) {
        free(m->reactions[i].emoji);
        free(m->reactions[i].user_uuids);
    }
    free(m->reactions);
}

void store_message_free(struct store_message *m)
{
    if (m != NULL) {
        store__message_release(m);
        free(m);
    }
}

void store_message_list_free(struct store_message_list *l)
{
    if (l != NULL) {
        for (size_t i = 0; i < l->count; i++) {
            store__message_release(&l->items[i]);
        }
        free(l->items);
        free(l);
    }
}

void store_message_version_list_free(struct store_message_version_list *l)
{
    if (l != NULL) {
        for (size_t i = 0; i < l->count; i++) {
            free(l->items[i].content);
            free(l->items[i].content_html);
            free(l->items[i].mentions);
        }
        free(l->items);
        free(l);
    }
}

void store__file_release(struct store_file *f)
{
    free(f->name);
    free(f->content_type);
    free(f->sha256);
    free(f->storage_key);
}

void store_file_free(struct store_file *f)
{
    if (f != NULL) {
        store__file_release(f);
        free(f);
    }
}

void store_file_list_free(struct store_file_list *l)
{
    if (l != NULL) {
        for (size_t i = 0; i < l->count; i++) {
            store__file_release(&l->items[i]);
        }
        free(l->items);
        free(l);
    }
}

void store__event_release(struct store_event *e)
{
    free(e->name);
    free(e->recipients);
    free(e->payload);
}

void store_event_free(struct store_event *e)
{
    if (e != NULL) {
        store__event_release(e);
        free(e);
    }
}

void store_event_list_free(struct store_event_list *l)
{
    if (l != NULL) {
        for (size_t i = 0; i < l->count; i++) {
            store__event_release(&l->items[i]);
        }
        free(l->items);
        free(l);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Domain operation wrappers                                                                */

#define OPS(tx) ((tx)->store->ops)

int store_tenant_create(struct store_tx *tx, struct store_tenant *t)
{
    return OPS(tx)->tenant_create(tx, t);
}

int store_tenant_get(struct store_tx *tx, const char *uuid, struct store_tenant **out)
{
    return OPS(tx)->tenant_get(tx, uuid, out);
}

int store_tenant_get_default(struct store_tx *tx, struct store_tenant **out)
{
    return OPS(tx)->tenant_get_default(tx, out);
}

int store_tenant_ensure_default(struct store_tx *tx, struct store_tenant **out)
{
    return OPS(tx)->tenant_ensure_default(tx, out);
}

int store_setting_get(struct store_tx *tx, const char *key, char **value_out)
{
    return OPS(tx)->setting_get(tx, key, value_out);
}

int store_setting_put(struct store_tx *tx, const char *key, const char *value)
{
    return OPS(tx)->setting_put(tx, key, value);
}

int store_user_add(struct store_tx *tx, struct store_user *u)
{
    return OPS(tx)->user_add(tx, u);
}

int store_user_get(struct store_tx *tx, const char *uuid, struct store_user **out)
{
    return OPS(tx)->user_get(tx, uuid, out);
}

int store_user_get_by_name(struct store_tx *tx, const char *tenant_uuid, const char *username,
                           struct store_user **out)
{
    return OPS(tx)->user_get_by_name(tx, tenant_uuid, username, out);
}

int store_user_list(struct store_tx *tx, const char *tenant_uuid, struct store_user_list **out)
{
    return OPS(tx)->user_list(tx, tenant_uuid, out);
}

int store_user_count(struct store_tx *tx, const char *tenant_uuid, int64_t *out)
{
    return OPS(tx)->user_count(tx, tenant_uuid, out);
}

int store_user_set_password(struct store_tx *tx, const char *uuid, const char *password_hash)
{
    return OPS(tx)->user_set_password(tx, uuid, password_hash);
}

int store_user_update(struct store_tx *tx, const struct store_user *u)
{
    return OPS(tx)->user_update(tx, u);
}

int store_user_delete(struct store_tx *tx, const char *uuid)
{
    return OPS(tx)->user_delete(tx, uuid);
}

int store_token_create(struct store_tx *tx, struct store_token *t)
{
    return OPS(tx)->token_create(tx, t);
}

int store_token_get(struct store_tx *tx, const char *hash, int64_t now, struct store_token **out)
{
    return OPS(tx)->token_get(tx, hash, now, out);
}

int store_token_delete(struct store_tx *tx, const char *hash)
{
    return OPS(tx)->token_delete(tx, hash);
}

int store_token_purge_expired(struct store_tx *tx, int64_t now, int64_t *deleted)
{
    return OPS(tx)->token_purge_expired(tx, now, deleted);
}

int store_token_user_sessions(struct store_tx *tx, const char *user_uuid, int64_t now,
                              int64_t *count, bool *mobile)
{
    return OPS(tx)->token_user_sessions(tx, user_uuid, now, count, mobile);
}

int store_presence_get(struct store_tx *tx, const char *user_uuid, int64_t now,
                       struct store_presence **out)
{
    return OPS(tx)->presence_get(tx, user_uuid, now, out);
}

int store_presence_put(struct store_tx *tx, struct store_presence *p)
{
    return OPS(tx)->presence_put(tx, p);
}

int store_presence_list(struct store_tx *tx, const char *tenant_uuid, const char *const *user_uuids,
                        size_t n_user_uuids, int64_t now, struct store_presence_list **out)
{
    return OPS(tx)->presence_list(tx, tenant_uuid, user_uuids, n_user_uuids, now, out);
}

int store_room_create(struct store_tx *tx, struct store_room *r)
{
    return OPS(tx)->room_create(tx, r);
}

int store_room_find_exact(struct store_tx *tx, const char *tenant_uuid,
                          const char *const *user_uuids, size_t n, struct store_room **out)
{
    return OPS(tx)->room_find_exact(tx, tenant_uuid, user_uuids, n, out);
}

int store_room_get(struct store_tx *tx, const char *room_uuid, const char *viewer_uuid,
                   struct store_room **out)
{
    return OPS(tx)->room_get(tx, room_uuid, viewer_uuid, out);
}

int store_room_list_for_user(struct store_tx *tx, const char *user_uuid, const char *const *with,
                             size_t n_with, struct store_room_list **out)
{
    return OPS(tx)->room_list_for_user(tx, user_uuid, with, n_with, out);
}

int store_room_list_public(struct store_tx *tx, const char *tenant_uuid,
                           struct store_room_list **out)
{
    return OPS(tx)->room_list_public(tx, tenant_uuid, out);
}

int store_room_update(struct store_tx *tx, const struct store_room *r)
{
    return OPS(tx)->room_update(tx, r);
}

int store_member_add(struct store_tx *tx, const char *room_uuid, struct store_member *m)
{
    return OPS(tx)->member_add(tx, room_uuid, m);
}

int store_member_leave(struct store_tx *tx, const char *room_uuid, const char *user_uuid,
                       int64_t left_at)
{
    return OPS(tx)->member_leave(tx, room_uuid, user_uuid, left_at);
}

int store_member_get(struct store_tx *tx, const char *room_uuid, const char *user_uuid,
                     struct store_member **out)
{
    return OPS(tx)->member_get(tx, room_uuid, user_uuid, out);
}

int store_member_list(struct store_tx *tx, const char *room_uuid, struct store_member_list **out)
{
    return OPS(tx)->member_list(tx, room_uuid, out);
}

int store_member_count(struct store_tx *tx, const char *room_uuid, int64_t *out)
{
    return OPS(tx)->member_count(tx, room_uuid, out);
}

int store_member_set_role(struct store_tx *tx, const char *room_uuid, const char *user_uuid,
                          enum store_role role)
{
    return OPS(tx)->member_set_role(tx, room_uuid, user_uuid, role);
}

int store_member_set_read(struct store_tx *tx, const char *room_uuid, const char *user_uuid,
                          const char *message_uuid, int64_t read_at)
{
    return OPS(tx)->member_set_read(tx, room_uuid, user_uuid, message_uuid, read_at);
}

int store_member_set_notify(struct store_tx *tx, const char *room_uuid, const char *user_uuid,
                            enum store_notify notify)
{
    return OPS(tx)->member_set_notify(tx, room_uuid, user_uuid, notify);
}

int store_member_unread(struct store_tx *tx, const char *room_uuid, const char *user_uuid,
                        int64_t *out)
{
    return OPS(tx)->member_unread(tx, room_uuid, user_uuid, out);
}

int store_message_append(struct store_tx *tx, struct store_message *m)
{
    return OPS(tx)->message_append(tx, m);
}

int store_message_get(struct store_tx *tx, const char *uuid, const char *viewer_uuid,
                      struct store_message **out)
{
    return OPS(tx)->message_get(tx, uuid, viewer_uuid, out);
}

int store_message_edit(struct store_tx *tx, const char *uuid, const char *content,
                       const char *content_search, const char *content_html, const char *mentions,
                       int64_t edited_at)
{
    return OPS(tx)->message_edit(tx, uuid, content, content_search, content_html, mentions,
                                 edited_at);
}

int store_message_delete(struct store_tx *tx, const char *uuid, int64_t deleted_at)
{
    return OPS(tx)->message_delete(tx, uuid, deleted_at);
}

int store_message_page(struct store_tx *tx, const char *room_uuid, const struct store_page_query *q,
                       struct store_message_list **out)
{
    return OPS(tx)->message_page(tx, room_uuid, q, out);
}

int store_message_search(struct store_tx *tx, const struct store_search_query *q,
                         struct store_message_list **out)
{
    return OPS(tx)->message_search(tx, q, out);
}

int store_message_versions(struct store_tx *tx, const char *uuid,
                           struct store_message_version_list **out)
{
    return OPS(tx)->message_versions(tx, uuid, out);
}

int store_reaction_add(struct store_tx *tx, const char *message_uuid, const char *user_uuid,
                       const char *emoji, int64_t created_at)
{
    return OPS(tx)->reaction_add(tx, message_uuid, user_uuid, emoji, created_at);
}

int store_reaction_remove(struct store_tx *tx, const char *message_uuid, const char *user_uuid,
                          const char *emoji)
{
    return OPS(tx)->reaction_remove(tx, message_uuid, user_uuid, emoji);
}

int store_file_add(struct store_tx *tx, struct store_file *f)
{
    return OPS(tx)->file_add(tx, f);
}

int store_file_get(struct store_tx *tx, const char *uuid, struct store_file **out)
{
    return OPS(tx)->file_get(tx, uuid, out);
}

int store_file_attach(struct store_tx *tx, const char *file_uuid, const char *message_uuid)
{
    return OPS(tx)->file_attach(tx, file_uuid, message_uuid);
}

int store_file_list_for_message(struct store_tx *tx, const char *message_uuid,
                                struct store_file_list **out)
{
    return OPS(tx)->file_list_for_message(tx, message_uuid, out);
}

int store_file_delete(struct store_tx *tx, const char *uuid)
{
    return OPS(tx)->file_delete(tx, uuid);
}

int store_event_append(struct store_tx *tx, struct store_event *ev)
{
    return OPS(tx)->event_append(tx, ev);
}

int store_event_read_after(struct store_tx *tx, int64_t after_seq, size_t limit,
                           struct store_event_list **out)
{
    return OPS(tx)->event_read_after(tx, after_seq, limit, out);
}

int store_event_last_seq(struct store_tx *tx, int64_t *out)
{
    return OPS(tx)->event_last_seq(tx, out);
}

int store_event_prune(struct store_tx *tx, int64_t before_seq)
{
    return OPS(tx)->event_prune(tx, before_seq);
}
