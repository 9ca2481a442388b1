/*
 * The store's domain operations written once in SQL over the backend statement primitives
 * (store/backend.h). Both backends put these functions in their ops tables, so ordering,
 * uniqueness and pagination are the same code on SQLite and PostgreSQL.
 *
 * Conventions: every statement goes through q_exec()/q_next(), which poison the transaction
 * on the first unexpected error (store.h "Errors"). Expected conflicts are INSERT ... ON
 * CONFLICT DO NOTHING reporting zero changed rows, so they never raise an SQL error (an error
 * would abort the whole PostgreSQL transaction).
 */
#include "store/backend.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/uuid.h"
#include "base/banned.h"

#define OPS(tx) ((tx)->store->ops)
#define NO_LIMIT INT64_MAX

/* ---------------------------------------------------------------------------------------- */
/* Statement helpers                                                                        */

static int q_exec(struct store_tx *tx, enum sql_id id, const struct sql_arg *args, size_t n,
                  struct sql_cur *cur)
{
    memset(cur, 0, sizeof(*cur));
    cur->tx = tx;
    cur->id = id;
    if (tx->poison != 0) {
        return tx->poison;
    }
    int rc = OPS(tx)->exec(tx, id, args, n, cur);
    if (rc < 0 && tx->poison == 0) {
        tx->poison = rc;
    }
    return rc;
}

/* 1: a row, 0: end, < 0: error (poisons). */
static int q_next(struct sql_cur *cur)
{
    int rc = OPS(cur->tx)->next(cur);
    if (rc < 0 && cur->tx->poison == 0) {
        cur->tx->poison = rc;
    }
    return rc;
}

static void q_done(struct sql_cur *cur)
{
    if (cur->tx != NULL) {
        OPS(cur->tx)->done(cur);
        cur->tx = NULL;
    }
}

/* Runs a statement that returns no rows; *changes (may be NULL) gets the changed rows. */
static int q_run(struct store_tx *tx, enum sql_id id, const struct sql_arg *args, size_t n,
                 int64_t *changes)
{
    struct sql_cur cur;
    int rc = q_exec(tx, id, args, n, &cur);
    if (rc == 0 && changes != NULL) {
        *changes = cur.changes;
    }
    q_done(&cur);
    return rc;
}

/* Runs a one-value query (count, max): *out gets column 0 of the first row, or 0. */
static int q_int(struct store_tx *tx, enum sql_id id, const struct sql_arg *args, size_t n,
                 int64_t *out)
{
    struct sql_cur cur;
    *out = 0;
    int rc = q_exec(tx, id, args, n, &cur);
    if (rc == 0) {
        rc = q_next(&cur);
        if (rc == 1) {
            *out = OPS(tx)->col_int(&cur, 0);
            rc = 0;
        }
    }
    q_done(&cur);
    return rc;
}

#define ARGS(...) ((const struct sql_arg[]){__VA_ARGS__})
#define NARGS(...) (sizeof((const struct sql_arg[]){__VA_ARGS__}) / sizeof(struct sql_arg))
#define EXEC(tx, id, cur, ...) q_exec((tx), (id), ARGS(__VA_ARGS__), NARGS(__VA_ARGS__), (cur))
#define RUN(tx, id, changes, ...)                                                                  \
    q_run((tx), (id), ARGS(__VA_ARGS__), NARGS(__VA_ARGS__), (changes))
#define QINT(tx, id, out, ...) q_int((tx), (id), ARGS(__VA_ARGS__), NARGS(__VA_ARGS__), (out))

#define NEED_WRITE(tx)                                                                             \
    do {                                                                                           \
        if (!(tx)->write) {                                                                        \
            return HE_INTERNAL;                                                                    \
        }                                                                                          \
    } while (0)

/* NULL string -> SQL NULL. */
static struct sql_arg opt_text(const char *s)
{
    return s != NULL ? SQL_TEXT(s) : SQL_NULL;
}

/* "" uuid -> SQL NULL. */
static struct sql_arg opt_uuid(const char *s)
{
    return s != NULL && s[0] != '\0' ? SQL_TEXT(s) : SQL_NULL;
}

/* 0 -> SQL NULL. */
static struct sql_arg opt_time(int64_t t)
{
    return t != 0 ? SQL_INT(t) : SQL_NULL;
}

static char *col_dup(struct sql_cur *cur, int col)
{
    const char *s = OPS(cur->tx)->col_text(cur, col);
    return s != NULL ? xstrndup(s, OPS(cur->tx)->col_len(cur, col)) : NULL;
}

static void col_uuid(struct sql_cur *cur, int col, char out[UUID_STR_LEN])
{
    store__uuid_copy(out, OPS(cur->tx)->col_text(cur, col));
}

static int64_t col_int(struct sql_cur *cur, int col)
{
    return OPS(cur->tx)->col_int(cur, col);
}

static const char *col_text(struct sql_cur *cur, int col)
{
    return OPS(cur->tx)->col_text(cur, col);
}

/* A growing string (the store's own small buffer; no JSON library here). */
struct sbuf {
    char *s;
    size_t len, cap;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2 + 64;
        b->s = xrealloc(b->s, b->cap);
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_adds(struct sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

/* Appends s as a JSON string (quotes, backslashes and control characters escaped). */
static void sb_json_string(struct sbuf *b, const char *s)
{
    sb_add(b, "\"", 1);
    for (const char *p = s; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            sb_add(b, esc, 2);
        } else if (c < 0x20) {
            static const char hex[] = "0123456789abcdef";
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            sb_add(b, esc, 6);
        } else {
            sb_add(b, p, 1);
        }
    }
    sb_add(b, "\"", 1);
}

/* JSON array of the strings, for JSON_TEXT_ARRAY parameters. Caller frees. */
static char *json_array(const char *const *items, size_t n)
{
    struct sbuf b = {0};
    sb_add(&b, "[", 1);
    for (size_t i = 0; i < n; i++) {
        if (i > 0) {
            sb_add(&b, ",", 1);
        }
        sb_json_string(&b, items[i]);
    }
    sb_add(&b, "]", 1);
    return b.s;
}

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted copy of the pointers without duplicates; *n_out its length. Caller frees the array. */
static const char **dedup(const char *const *items, size_t n, size_t *n_out)
{
    const char **v = xcalloc(n > 0 ? n : 1, sizeof(*v));
    for (size_t i = 0; i < n; i++) {
        v[i] = items[i];
    }
    qsort(v, n, sizeof(*v), cmp_str_ptr);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k == 0 || strcmp(v[k - 1], v[i]) != 0) {
            v[k++] = v[i];
        }
    }
    *n_out = k;
    return v;
}

/* LIKE pattern '%w1%w2%' with % _ \ escaped; NULL when there is no non-empty word. */
static char *like_pattern(const char *const *words, size_t n)
{
    struct sbuf b = {0};
    bool any = false;
    sb_add(&b, "%", 1);
    for (size_t i = 0; i < n; i++) {
        if (words[i] == NULL || words[i][0] == '\0') {
            continue;
        }
        any = true;
        for (const char *p = words[i]; *p != '\0'; p++) {
            if (*p == '%' || *p == '_' || *p == '\\') {
                sb_add(&b, "\\", 1);
            }
            sb_add(&b, p, 1);
        }
        sb_add(&b, "%", 1);
    }
    if (!any) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

/* Index from uuid to position, for attaching child rows (members, reactions) to parents. */
struct uuid_index {
    const char *uuid;
    size_t pos;
};

static int cmp_uuid_index(const void *a, const void *b)
{
    return strcmp(((const struct uuid_index *)a)->uuid, ((const struct uuid_index *)b)->uuid);
}

static long uuid_index_find(const struct uuid_index *idx, size_t n, const char *uuid)
{
    struct uuid_index key = {.uuid = uuid};
    const struct uuid_index *hit = bsearch(&key, idx, n, sizeof(*idx), cmp_uuid_index);
    return hit != NULL ? (long)hit->pos : -1;
}

/* ---------------------------------------------------------------------------------------- */
/* Row readers (column orders of statements.c)                                             */

static void row_tenant(struct sql_cur *c, struct store_tenant *t)
{
    col_uuid(c, 0, t->uuid);
    t->name = col_dup(c, 1);
    t->is_default = col_int(c, 2) != 0;
    t->created_at = col_int(c, 3);
}

static void row_user(struct sql_cur *c, struct store_user *u)
{
    col_uuid(c, 0, u->uuid);
    col_uuid(c, 1, u->tenant_uuid);
    u->username = col_dup(c, 2);
    u->password_hash = col_dup(c, 3);
    u->firstname = col_dup(c, 4);
    u->lastname = col_dup(c, 5);
    u->display_name = col_dup(c, 6);
    u->admin = col_int(c, 7) != 0;
    u->created_at = col_int(c, 8);
}

static void row_presence(struct sql_cur *c, struct store_presence *p)
{
    col_uuid(c, 0, p->user_uuid);
    col_uuid(c, 1, p->tenant_uuid);
    p->state = col_dup(c, 2);
    p->status = col_dup(c, 3);
    p->last_activity = col_int(c, 4);
    p->connected = col_int(c, 5) != 0;
    p->mobile = col_int(c, 6) != 0;
}

static void row_room(struct sql_cur *c, struct store_room *r)
{
    col_uuid(c, 0, r->uuid);
    col_uuid(c, 1, r->tenant_uuid);
    r->name = col_dup(c, 2);
    r->topic = col_dup(c, 3);
    /* CHECK constraints guarantee known words; a failed parse keeps the zero default. */
    (void)!store_room_kind_parse(col_text(c, 4), &r->kind);
    (void)!store_visibility_parse(col_text(c, 5), &r->visibility);
    (void)!store_history_parse(col_text(c, 6), &r->history);
    r->max_members = (int32_t)col_int(c, 7);
    r->created_at = col_int(c, 8);
}

/* Member columns start at 1 (column 0 is the room uuid). */
static void row_member(struct sql_cur *c, struct store_member *m)
{
    col_uuid(c, 1, m->user_uuid);
    col_uuid(c, 2, m->tenant_uuid);
    (void)!store_role_parse(col_text(c, 3), &m->role);
    m->joined_at = col_int(c, 4);
    m->invited_at = col_int(c, 5);
    m->left_at = col_int(c, 6);
    col_uuid(c, 7, m->read_message_uuid);
    m->read_at = col_int(c, 8);
    (void)!store_notify_parse(col_text(c, 9), &m->notify);
}

static void row_message(struct sql_cur *c, struct store_message *m)
{
    col_uuid(c, 0, m->uuid);
    col_uuid(c, 1, m->room_uuid);
    col_uuid(c, 2, m->tenant_uuid);
    col_uuid(c, 3, m->user_uuid);
    m->alias = col_dup(c, 4);
    m->content = col_dup(c, 5);
    m->content_html = col_dup(c, 6);
    m->mentions = col_dup(c, 7);
    col_uuid(c, 8, m->thread_uuid);
    m->created_at = col_int(c, 9);
    m->edited_at = col_int(c, 10);
    m->deleted_at = col_int(c, 11);
    m->reply_count = col_int(c, 12);
}

static void row_file(struct sql_cur *c, struct store_file *f)
{
    col_uuid(c, 0, f->uuid);
    col_uuid(c, 1, f->tenant_uuid);
    col_uuid(c, 2, f->user_uuid);
    col_uuid(c, 3, f->room_uuid);
    col_uuid(c, 4, f->message_uuid);
    f->name = col_dup(c, 5);
    f->content_type = col_dup(c, 6);
    f->size = col_int(c, 7);
    f->sha256 = col_dup(c, 8);
    f->storage_key = col_dup(c, 9);
    f->width = (int32_t)col_int(c, 10);
    f->height = (int32_t)col_int(c, 11);
    f->created_at = col_int(c, 12);
}

/* Splits "a,b,c" (uuids) into a flat array. */
static void split_uuids(const char *s, char (**out)[UUID_STR_LEN], size_t *n_out)
{
    size_t n = 0;
    if (s != NULL && s[0] != '\0') {
        n = 1;
        for (const char *p = s; *p != '\0'; p++) {
            n += *p == ',';
        }
    }
    *out = n > 0 ? xcalloc(n, UUID_STR_LEN) : NULL;
    *n_out = n;
    for (size_t i = 0; i < n; i++) {
        const char *end = strchr(s, ',');
        size_t len = end != NULL ? (size_t)(end - s) : strlen(s);
        if (len >= UUID_STR_LEN) {
            len = UUID_STR_LEN - 1;
        }
        memcpy((*out)[i], s, len);
        (*out)[i][len] = '\0';
        s = end != NULL ? end + 1 : s + len;
    }
}

static void row_event(struct sql_cur *c, struct store_event *e)
{
    e->seq = col_int(c, 0);
    e->name = col_dup(c, 1);
    col_uuid(c, 2, e->tenant_uuid);
    col_uuid(c, 3, e->room_uuid);
    e->tenant_wide = col_int(c, 4) != 0;
    split_uuids(col_text(c, 5), &e->recipients, &e->n_recipients);
    e->payload = col_dup(c, 6);
    e->payload_len = e->payload != NULL ? OPS(c->tx)->col_len(c, 6) : 0;
    e->created_at = col_int(c, 7);
}

/*
 * Generic "query rows into a growing array" loop: read(cur, &items[i]) for each row.
 * Returns 0 or the error; on error the already read items are released by release().
 */
typedef void row_read_fn(struct sql_cur *c, void *item);
typedef void row_release_fn(void *item);

static int q_rows(struct store_tx *tx, enum sql_id id, const struct sql_arg *args, size_t n,
                  size_t item_size, row_read_fn *read, row_release_fn *release, void **items_out,
                  size_t *count_out)
{
    struct sql_cur cur;
    char *items = NULL;
    size_t count = 0, cap = 0;
    int rc = q_exec(tx, id, args, n, &cur);
    while (rc == 0) {
        int r = q_next(&cur);
        if (r <= 0) {
            rc = r;
            break;
        }
        if (count == cap) {
            cap = cap ? cap * 2 : 8;
            items = xreallocarray(items, cap, item_size);
        }
        memset(items + count * item_size, 0, item_size);
        read(&cur, items + count * item_size);
        count++;
    }
    q_done(&cur);
    if (rc < 0) {
        for (size_t i = 0; i < count; i++) {
            release(items + i * item_size);
        }
        free(items);
        return rc;
    }
    *items_out = items;
    *count_out = count;
    return 0;
}

#define QROWS(tx, id, type, read, release, items, count, ...)                                      \
    q_rows((tx), (id), ARGS(__VA_ARGS__), NARGS(__VA_ARGS__), sizeof(type), read##_v, release##_v, \
           (void **)(items), (count))

/*
 * Runs a query for at most one row: *out gets a new zeroed item of item_size bytes filled by
 * read() from the first row; without a row the result is missing (the caller's "not found").
 */
static int q_one(struct store_tx *tx, enum sql_id id, const struct sql_arg *args, size_t n,
                 size_t item_size, row_read_fn *read, int missing, void **out)
{
    struct sql_cur cur;
    int rc = q_exec(tx, id, args, n, &cur);
    if (rc == 0) {
        rc = q_next(&cur);
        if (rc == 1) {
            *out = xcalloc(1, item_size);
            read(&cur, *out);
            rc = 0;
        } else if (rc == 0) {
            rc = missing;
        }
    }
    q_done(&cur);
    return rc;
}

#define QONE(tx, id, read, missing, out, ...)                                                      \
    q_one((tx), (id), ARGS(__VA_ARGS__), NARGS(__VA_ARGS__), sizeof(**(out)), read##_v, (missing), \
          (void **)(out))

/* void * adapters of the typed row readers and releasers, for q_rows(). */
#define ROW_ADAPTER(fn, type)                                                                      \
    static void fn##_v(struct sql_cur *c, void *p)                                                 \
    {                                                                                              \
        fn(c, (type *)p);                                                                          \
    }
#define RELEASE_ADAPTER(fn, type)                                                                  \
    static void fn##_v(void *p)                                                                    \
    {                                                                                              \
        fn((type *)p);                                                                             \
    }
ROW_ADAPTER(row_tenant, struct store_tenant)
ROW_ADAPTER(row_user, struct store_user)
ROW_ADAPTER(row_presence, struct store_presence)
ROW_ADAPTER(row_room, struct store_room)
ROW_ADAPTER(row_member, struct store_member)
ROW_ADAPTER(row_message, struct store_message)
ROW_ADAPTER(row_file, struct store_file)
ROW_ADAPTER(row_event, struct store_event)
RELEASE_ADAPTER(store__user_release, struct store_user)
RELEASE_ADAPTER(store__presence_release, struct store_presence)
RELEASE_ADAPTER(store__room_release, struct store_room)
RELEASE_ADAPTER(store__member_release, struct store_member)
RELEASE_ADAPTER(store__message_release, struct store_message)
RELEASE_ADAPTER(store__file_release, struct store_file)
RELEASE_ADAPTER(store__event_release, struct store_event)

/* ---------------------------------------------------------------------------------------- */
/* Tenants, settings                                                                        */

int store__sql_tenant_create(struct store_tx *tx, struct store_tenant *t)
{
    NEED_WRITE(tx);
    if (t->uuid[0] == '\0') {
        uuid_v4(t->uuid);
    }
    if (t->created_at == 0) {
        t->created_at = store_now_us();
    }
    int64_t changes = 0;
    int rc = RUN(tx, SQL_TENANT_INSERT, &changes, SQL_TEXT(t->uuid), opt_text(t->name),
                 SQL_INT(t->is_default ? 1 : 0), SQL_INT(t->created_at));
    if (rc == 0 && changes == 0) {
        rc = HE_EXISTS;
    }
    return rc;
}

int store__sql_tenant_get(struct store_tx *tx, const char *uuid, struct store_tenant **out)
{
    return QONE(tx, SQL_TENANT_GET, row_tenant, HE_NOT_FOUND, out, SQL_TEXT(uuid));
}

int store__sql_tenant_get_default(struct store_tx *tx, struct store_tenant **out)
{
    return q_one(tx, SQL_TENANT_GET_DEFAULT, NULL, 0, sizeof(**out), row_tenant_v, HE_NOT_FOUND,
                 (void **)out);
}

int store__sql_tenant_ensure_default(struct store_tx *tx, struct store_tenant **out)
{
    NEED_WRITE(tx);
    int rc = store__sql_tenant_get_default(tx, out);
    if (rc != HE_NOT_FOUND) {
        return rc;
    }
    struct store_tenant t = {.name = "default", .is_default = true};
    rc = store__sql_tenant_create(tx, &t);
    if (rc == 0) {
        rc = store__sql_tenant_get_default(tx, out);
    }
    return rc;
}

int store__sql_setting_get(struct store_tx *tx, const char *key, char **value_out)
{
    struct sql_cur cur;
    int rc = EXEC(tx, SQL_SETTING_GET, &cur, SQL_TEXT(key));
    if (rc == 0) {
        rc = q_next(&cur);
        if (rc == 1) {
            *value_out = col_dup(&cur, 0);
            rc = 0;
        } else if (rc == 0) {
            rc = HE_NOT_FOUND;
        }
    }
    q_done(&cur);
    return rc;
}

int store__sql_setting_put(struct store_tx *tx, const char *key, const char *value)
{
    NEED_WRITE(tx);
    return RUN(tx, SQL_SETTING_PUT, NULL, SQL_TEXT(key), SQL_TEXT(value));
}

/* ---------------------------------------------------------------------------------------- */
/* Users                                                                                    */

int store__sql_user_add(struct store_tx *tx, struct store_user *u)
{
    NEED_WRITE(tx);
    if (u->username == NULL || u->password_hash == NULL) {
        return HE_INVAL;
    }
    if (u->uuid[0] == '\0') {
        uuid_v4(u->uuid);
    }
    if (u->created_at == 0) {
        u->created_at = store_now_us();
    }
    int64_t changes = 0;
    int rc = RUN(tx, SQL_USER_INSERT, &changes, SQL_TEXT(u->uuid), SQL_TEXT(u->tenant_uuid),
                 SQL_TEXT(u->username), SQL_TEXT(u->password_hash), opt_text(u->firstname),
                 opt_text(u->lastname), opt_text(u->display_name), SQL_INT(u->admin ? 1 : 0),
                 SQL_INT(u->created_at));
    if (rc == 0 && changes == 0) {
        rc = HE_EXISTS;
    }
    return rc;
}

int store__sql_user_get(struct store_tx *tx, const char *uuid, struct store_user **out)
{
    return QONE(tx, SQL_USER_GET, row_user, HE_UNKNOWN_USER, out, SQL_TEXT(uuid));
}

int store__sql_user_get_by_name(struct store_tx *tx, const char *tenant_uuid, const char *username,
                                struct store_user **out)
{
    return QONE(tx, SQL_USER_GET_BY_NAME, row_user, HE_UNKNOWN_USER, out, SQL_TEXT(tenant_uuid),
                SQL_TEXT(username));
}

int store__sql_user_list(struct store_tx *tx, const char *tenant_uuid, struct store_user_list **out)
{
    struct store_user_list *l = xcalloc(1, sizeof(*l));
    int rc = QROWS(tx, SQL_USER_LIST, struct store_user, row_user, store__user_release, &l->items,
                   &l->count, SQL_TEXT(tenant_uuid));
    if (rc < 0) {
        free(l);
        return rc;
    }
    *out = l;
    return 0;
}

int store__sql_user_count(struct store_tx *tx, const char *tenant_uuid, int64_t *out)
{
    return QINT(tx, SQL_USER_COUNT, out, SQL_TEXT(tenant_uuid));
}

static int changed_or(int rc, int64_t changes, int missing)
{
    if (rc == 0 && changes == 0) {
        return missing;
    }
    return rc;
}

int store__sql_user_set_password(struct store_tx *tx, const char *uuid, const char *password_hash)
{
    NEED_WRITE(tx);
    int64_t ch = 0;
    int rc = RUN(tx, SQL_USER_SET_PASSWORD, &ch, SQL_TEXT(uuid), SQL_TEXT(password_hash));
    return changed_or(rc, ch, HE_UNKNOWN_USER);
}

int store__sql_user_update(struct store_tx *tx, const struct store_user *u)
{
    NEED_WRITE(tx);
    int64_t ch = 0;
    int rc = RUN(tx, SQL_USER_UPDATE, &ch, SQL_TEXT(u->uuid), opt_text(u->firstname),
                 opt_text(u->lastname), opt_text(u->display_name), SQL_INT(u->admin ? 1 : 0));
    return changed_or(rc, ch, HE_UNKNOWN_USER);
}

int store__sql_user_delete(struct store_tx *tx, const char *uuid)
{
    NEED_WRITE(tx);
    int64_t ch = 0;
    int rc = RUN(tx, SQL_USER_DELETE, &ch, SQL_TEXT(uuid));
    return changed_or(rc, ch, HE_UNKNOWN_USER);
}

static int user_exists(struct store_tx *tx, const char *uuid)
{
    int64_t one = 0;
    int rc = QINT(tx, SQL_USER_EXISTS, &one, SQL_TEXT(uuid));
    return changed_or(rc, one, HE_UNKNOWN_USER);
}

/* ---------------------------------------------------------------------------------------- */
/* Tokens                                                                                   */

int store__sql_token_create(struct store_tx *tx, struct store_token *t)
{
    NEED_WRITE(tx);
    if (t->session_uuid[0] == '\0') {
        uuid_v4(t->session_uuid);
    }
    if (t->issued_at == 0) {
        t->issued_at = store_now_us();
    }
    /* ACL patterns joined by '\n' (patterns hold no newline; the API validates them). */
    struct sbuf acl = {0};
    sb_add(&acl, "", 0);
    for (size_t i = 0; i < t->n_acl; i++) {
        if (i > 0) {
            sb_add(&acl, "\n", 1);
        }
        sb_adds(&acl, t->acl[i]);
    }
    int64_t changes = 0;
    int rc = RUN(tx, SQL_TOKEN_INSERT, &changes, SQL_TEXT(t->hash), SQL_TEXT(t->user_uuid),
                 SQL_TEXT(t->session_uuid), SQL_INT(t->issued_at), SQL_INT(t->expires_at),
                 SQL_TEXT(acl.s), SQL_INT(t->admin ? 1 : 0), SQL_INT(t->mobile ? 1 : 0),
                 opt_text(t->remote_addr), opt_text(t->user_agent));
    free(acl.s);
    if (rc == 0 && changes == 0) {
        rc = HE_EXISTS;
    }
    return rc;
}

static void split_lines(const char *s, char ***out, size_t *n_out)
{
    size_t n = 0;
    if (s != NULL && s[0] != '\0') {
        n = 1;
        for (const char *p = s; *p != '\0'; p++) {
            n += *p == '\n';
        }
    }
    *out = xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        const char *end = strchr(s, '\n');
        size_t len = end != NULL ? (size_t)(end - s) : strlen(s);
        (*out)[i] = xstrndup(s, len);
        s += len + (end != NULL);
    }
    *n_out = n;
}

int store__sql_token_get(struct store_tx *tx, const char *hash, int64_t now,
                         struct store_token **out)
{
    struct sql_cur cur;
    int rc = EXEC(tx, SQL_TOKEN_GET, &cur, SQL_TEXT(hash), SQL_INT(now));
    if (rc == 0) {
        rc = q_next(&cur);
        if (rc == 1) {
            struct store_token *t = xcalloc(1, sizeof(*t));
            snprintf(t->hash, sizeof(t->hash), "%s", col_text(&cur, 0));
            col_uuid(&cur, 1, t->user_uuid);
            col_uuid(&cur, 2, t->tenant_uuid);
            col_uuid(&cur, 3, t->session_uuid);
            t->issued_at = col_int(&cur, 4);
            t->expires_at = col_int(&cur, 5);
            split_lines(col_text(&cur, 6), &t->acl, &t->n_acl);
            t->admin = col_int(&cur, 7) != 0;
            t->mobile = col_int(&cur, 8) != 0;
            t->remote_addr = col_dup(&cur, 9);
            t->user_agent = col_dup(&cur, 10);
            *out = t;
            rc = 0;
        } else if (rc == 0) {
            rc = HE_UNKNOWN_TOKEN;
        }
    }
    q_done(&cur);
    return rc;
}

int store__sql_token_delete(struct store_tx *tx, const char *hash)
{
    NEED_WRITE(tx);
    int64_t ch = 0;
    int rc = RUN(tx, SQL_TOKEN_DELETE, &ch, SQL_TEXT(hash));
    return changed_or(rc, ch, HE_UNKNOWN_TOKEN);
}

int store__sql_token_purge_expired(struct store_tx *tx, int64_t now, int64_t *deleted)
{
    NEED_WRITE(tx);
    int64_t ch = 0;
    int rc = RUN(tx, SQL_TOKEN_PURGE, &ch, SQL_INT(now));
    if (rc == 0 && deleted != NULL) {
        *deleted = ch;
    }
    return rc;
}

int store__sql_token_user_sessions(struct store_tx *tx, const char *user_uuid, int64_t now,
                                   int64_t *count, bool *mobile)
{
    struct sql_cur cur;
    *count = 0;
    *mobile = false;
    int rc = EXEC(tx, SQL_TOKEN_SESSIONS, &cur, SQL_TEXT(user_uuid), SQL_INT(now));
    if (rc == 0) {
        rc = q_next(&cur);
        if (rc == 1) {
            *count = col_int(&cur, 0);
            *mobile = col_int(&cur, 1) != 0;
            rc = 0;
        }
    }
    q_done(&cur);
    return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Presences                                                                                */

int store__sql_presence_get(struct store_tx *tx, const char *user_uuid, int64_t now,
                            struct store_presence **out)
{
    return QONE(tx, SQL_PRESENCE_GET, row_presence, HE_UNKNOWN_USER, out, SQL_TEXT(user_uuid),
                SQL_INT(now));
}

int store__sql_presence_put(struct store_tx *tx, struct store_presence *p)
{
    NEED_WRITE(tx);
    if (p->state == NULL) {
        return HE_INVAL;
    }
    int rc = user_exists(tx, p->user_uuid);
    if (rc < 0) {
        return rc;
    }
    if (p->last_activity == 0) {
        p->last_activity = store_now_us();
    }
    return RUN(tx, SQL_PRESENCE_PUT, NULL, SQL_TEXT(p->user_uuid), SQL_TEXT(p->state),
               opt_text(p->status), SQL_INT(p->last_activity));
}

int store__sql_presence_list(struct store_tx *tx, const char *tenant_uuid,
                             const char *const *user_uuids, size_t n, int64_t now,
                             struct store_presence_list **out)
{
    struct store_presence_list *l = xcalloc(1, sizeof(*l));
    int rc;
    if (user_uuids == NULL) {
        rc = QROWS(tx, SQL_PRESENCE_LIST_ALL, struct store_presence, row_presence,
                   store__presence_release, &l->items, &l->count, SQL_TEXT(tenant_uuid),
                   SQL_INT(now));
    } else {
        char *json = json_array(user_uuids, n);
        rc = QROWS(tx, SQL_PRESENCE_LIST_SOME, struct store_presence, row_presence,
                   store__presence_release, &l->items, &l->count, SQL_TEXT(tenant_uuid),
                   SQL_INT(now), SQL_TEXT(json));
        free(json);
    }
    if (rc == 0) {
        rc = store__sql_user_count(tx, tenant_uuid, &l->total);
    }
    if (rc < 0) {
        store_presence_list_free(l);
        return rc;
    }
    l->filtered = (int64_t)l->count;
    *out = l;
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Rooms and members                                                                        */

/* Fills the current members of rooms[0..n) with one query. */
static int load_members(struct store_tx *tx, struct store_room *rooms, size_t n)
{
    if (n == 0) {
        return 0;
    }
    const char **uuids = xcalloc(n, sizeof(*uuids));
    struct uuid_index *idx = xcalloc(n, sizeof(*idx));
    for (size_t i = 0; i < n; i++) {
        uuids[i] = rooms[i].uuid;
        idx[i] = (struct uuid_index){rooms[i].uuid, i};
    }
    qsort(idx, n, sizeof(*idx), cmp_uuid_index);
    char *json = json_array(uuids, n);
    size_t *cap = xcalloc(n, sizeof(*cap));
    struct sql_cur cur;
    int rc = EXEC(tx, SQL_MEMBERS_OF_ROOMS, &cur, SQL_TEXT(json));
    while (rc == 0) {
        int r = q_next(&cur);
        if (r <= 0) {
            rc = r;
            break;
        }
        long pos = uuid_index_find(idx, n, col_text(&cur, 0));
        if (pos < 0) {
            continue;
        }
        struct store_room *room = &rooms[pos];
        if (room->n_members == cap[pos]) {
            cap[pos] = cap[pos] ? cap[pos] * 2 : 4;
            room->members = xreallocarray(room->members, cap[pos], sizeof(*room->members));
        }
        struct store_member *m = &room->members[room->n_members++];
        memset(m, 0, sizeof(*m));
        row_member(&cur, m);
    }
    q_done(&cur);
    free(cap);
    free(json);
    free(idx);
    free(uuids);
    return rc;
}

int store__sql_room_create(struct store_tx *tx, struct store_room *r)
{
    NEED_WRITE(tx);
    if (r->uuid[0] == '\0') {
        uuid_v4(r->uuid);
    }
    if (r->created_at == 0) {
        r->created_at = store_now_us();
    }
    int64_t changes = 0;
    int rc = RUN(tx, SQL_ROOM_INSERT, &changes, SQL_TEXT(r->uuid), SQL_TEXT(r->tenant_uuid),
                 opt_text(r->name), opt_text(r->topic), SQL_TEXT(store_room_kind_name(r->kind)),
                 SQL_TEXT(store_visibility_name(r->visibility)),
                 SQL_TEXT(store_history_name(r->history)), SQL_INT(r->max_members),
                 SQL_INT(r->created_at));
    if (rc == 0 && changes == 0) {
        return HE_EXISTS;
    }
    for (size_t i = 0; rc == 0 && i < r->n_members; i++) {
        struct store_member *m = &r->members[i];
        if (m->joined_at == 0) {
            m->joined_at = r->created_at;
        }
        if (m->invited_at == 0) {
            m->invited_at = m->joined_at;
        }
        rc = RUN(tx, SQL_MEMBER_INSERT, &changes, SQL_TEXT(r->uuid), SQL_TEXT(m->user_uuid),
                 SQL_TEXT(store_role_name(m->role)), SQL_INT(m->joined_at), SQL_INT(m->invited_at),
                 SQL_TEXT(store_notify_name(m->notify)));
        if (rc == 0 && changes == 0) {
            /* A duplicate member: half a room is in tx, so the tx cannot be committed. */
            rc = tx->poison = HE_EXISTS;
        }
    }
    return rc;
}

static int room_get_by(struct store_tx *tx, enum sql_id id, const struct sql_arg *args, size_t n,
                       struct store_room **out)
{
    struct sql_cur cur;
    struct store_room *r = NULL;
    int rc = q_exec(tx, id, args, n, &cur);
    if (rc == 0) {
        rc = q_next(&cur);
        if (rc == 1) {
            r = xcalloc(1, sizeof(*r));
            row_room(&cur, r);
            rc = 0;
        } else if (rc == 0) {
            rc = HE_UNKNOWN_ROOM;
        }
    }
    q_done(&cur);
    if (rc == 0) {
        rc = load_members(tx, r, 1);
    }
    if (rc < 0) {
        store_room_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

int store__sql_room_find_exact(struct store_tx *tx, const char *tenant_uuid,
                               const char *const *user_uuids, size_t n, struct store_room **out)
{
    if (n == 0) {
        return HE_UNKNOWN_ROOM;
    }
    if (tx->write) {
        /* A statement of PostgreSQL only: SQLite's exec runs nothing for it. */
        int rc = RUN(tx, SQL_ROOM_LOCK_TENANT, NULL, SQL_TEXT(tenant_uuid));
        if (rc < 0) {
            return rc;
        }
    }
    char *json = json_array(user_uuids, n);
    char uuid[UUID_STR_LEN] = "";
    struct sql_cur cur;
    int rc = EXEC(tx, SQL_ROOM_FIND_EXACT, &cur, SQL_TEXT(tenant_uuid), SQL_INT(n), SQL_TEXT(json),
                  SQL_TEXT(user_uuids[0]));
    if (rc == 0) {
        rc = q_next(&cur);
        if (rc == 1) {
            col_uuid(&cur, 0, uuid);
            rc = 0;
        } else if (rc == 0) {
            rc = HE_UNKNOWN_ROOM;
        }
    }
    q_done(&cur);
    free(json);
    if (rc < 0) {
        return rc;
    }
    return room_get_by(tx, SQL_ROOM_GET, ARGS(SQL_TEXT(uuid)), 1, out);
}

int store__sql_room_get(struct store_tx *tx, const char *room_uuid, const char *viewer_uuid,
                        struct store_room **out)
{
    if (viewer_uuid == NULL) {
        return room_get_by(tx, SQL_ROOM_GET, ARGS(SQL_TEXT(room_uuid)), 1, out);
    }
    return room_get_by(tx, SQL_ROOM_GET_AS_MEMBER, ARGS(SQL_TEXT(room_uuid), SQL_TEXT(viewer_uuid)),
                       2, out);
}

static int room_list_finish(struct store_tx *tx, struct store_room_list *l, int rc,
                            struct store_room_list **out)
{
    if (rc == 0) {
        rc = load_members(tx, l->items, l->count);
    }
    if (rc < 0) {
        store_room_list_free(l);
        return rc;
    }
    *out = l;
    return 0;
}

int store__sql_room_list_for_user(struct store_tx *tx, const char *user_uuid,
                                  const char *const *with, size_t n_with,
                                  struct store_room_list **out)
{
    size_t n = 0;
    const char **set = dedup(with, with != NULL ? n_with : 0, &n);
    char *json = json_array(set, n);
    struct store_room_list *l = xcalloc(1, sizeof(*l));
    int rc = QROWS(tx, SQL_ROOM_LIST_FOR_USER, struct store_room, row_room, store__room_release,
                   &l->items, &l->count, SQL_TEXT(user_uuid), SQL_TEXT(json), SQL_INT(n));
    free(json);
    free(set);
    return room_list_finish(tx, l, rc, out);
}

int store__sql_room_list_public(struct store_tx *tx, const char *tenant_uuid,
                                struct store_room_list **out)
{
    struct store_room_list *l = xcalloc(1, sizeof(*l));
    int rc = QROWS(tx, SQL_ROOM_LIST_PUBLIC, struct store_room, row_room, store__room_release,
                   &l->items, &l->count, SQL_TEXT(tenant_uuid));
    return room_list_finish(tx, l, rc, out);
}

int store__sql_room_update(struct store_tx *tx, const struct store_room *r)
{
    NEED_WRITE(tx);
    int64_t ch = 0;
    int rc = RUN(tx, SQL_ROOM_UPDATE, &ch, SQL_TEXT(r->uuid), opt_text(r->name), opt_text(r->topic),
                 SQL_TEXT(store_visibility_name(r->visibility)),
                 SQL_TEXT(store_history_name(r->history)), SQL_INT(r->max_members));
    return changed_or(rc, ch, HE_UNKNOWN_ROOM);
}

int store__sql_member_add(struct store_tx *tx, const char *room_uuid, struct store_member *m)
{
    NEED_WRITE(tx);
    if (m->joined_at == 0) {
        m->joined_at = store_now_us();
    }
    if (m->invited_at == 0) {
        m->invited_at = m->joined_at;
    }
    struct sql_arg args[] = {
        SQL_TEXT(room_uuid),   SQL_TEXT(m->user_uuid), SQL_TEXT(store_role_name(m->role)),
        SQL_INT(m->joined_at), SQL_INT(m->invited_at), SQL_TEXT(store_notify_name(m->notify))};
    int64_t ch = 0;
    int rc = q_run(tx, SQL_MEMBER_REJOIN, args, HU_ARRAY_LEN(args), &ch);
    if (rc < 0 || ch > 0) {
        return rc;
    }
    rc = q_run(tx, SQL_MEMBER_INSERT, args, HU_ARRAY_LEN(args), &ch);
    return changed_or(rc, ch, HE_EXISTS);
}

int store__sql_member_leave(struct store_tx *tx, const char *room_uuid, const char *user_uuid,
                            int64_t left_at)
{
    NEED_WRITE(tx);
    int64_t ch = 0;
    int rc = RUN(tx, SQL_MEMBER_LEAVE, &ch, SQL_TEXT(room_uuid), SQL_TEXT(user_uuid),
                 SQL_INT(left_at != 0 ? left_at : store_now_us()));
    return changed_or(rc, ch, HE_NOT_FOUND);
}

int store__sql_member_get(struct store_tx *tx, const char *room_uuid, const char *user_uuid,
                          struct store_member **out)
{
    return QONE(tx, SQL_MEMBER_GET, row_member, HE_NOT_FOUND, out, SQL_TEXT(room_uuid),
                SQL_TEXT(user_uuid));
}

int store__sql_member_list(struct store_tx *tx, const char *room_uuid,
                           struct store_member_list **out)
{
    struct store_member_list *l = xcalloc(1, sizeof(*l));
    int rc = QROWS(tx, SQL_MEMBER_LIST, struct store_member, row_member, store__member_release,
                   &l->items, &l->count, SQL_TEXT(room_uuid));
    if (rc < 0) {
        free(l);
        return rc;
    }
    *out = l;
    return 0;
}

int store__sql_member_count(struct store_tx *tx, const char *room_uuid, int64_t *out)
{
    return QINT(tx, SQL_MEMBER_COUNT, out, SQL_TEXT(room_uuid));
}

int store__sql_member_set_role(struct store_tx *tx, const char *room_uuid, const char *user_uuid,
                               enum store_role role)
{
    NEED_WRITE(tx);
    int64_t ch = 0;
    int rc = RUN(tx, SQL_MEMBER_SET_ROLE, &ch, SQL_TEXT(room_uuid), SQL_TEXT(user_uuid),
                 SQL_TEXT(store_role_name(role)));
    return changed_or(rc, ch, HE_NOT_FOUND);
}

int store__sql_member_set_read(struct store_tx *tx, const char *room_uuid, const char *user_uuid,
                               const char *message_uuid, int64_t read_at)
{
    NEED_WRITE(tx);
    int64_t ch = 0;
    int rc = RUN(tx, SQL_MEMBER_SET_READ, &ch, SQL_TEXT(room_uuid), SQL_TEXT(user_uuid),
                 opt_uuid(message_uuid), opt_time(read_at));
    return changed_or(rc, ch, HE_NOT_FOUND);
}

int store__sql_member_set_notify(struct store_tx *tx, const char *room_uuid, const char *user_uuid,
                                 enum store_notify notify)
{
    NEED_WRITE(tx);
    int64_t ch = 0;
    int rc = RUN(tx, SQL_MEMBER_SET_NOTIFY, &ch, SQL_TEXT(room_uuid), SQL_TEXT(user_uuid),
                 SQL_TEXT(store_notify_name(notify)));
    return changed_or(rc, ch, HE_NOT_FOUND);
}

int store__sql_member_unread(struct store_tx *tx, const char *room_uuid, const char *user_uuid,
                             int64_t *out)
{
    struct store_member *m = NULL;
    int rc = store__sql_member_get(tx, room_uuid, user_uuid, &m);
    store_member_free(m);
    if (rc < 0) {
        return rc;
    }
    return QINT(tx, SQL_MEMBER_UNREAD, out, SQL_TEXT(room_uuid), SQL_TEXT(user_uuid));
}

/* ---------------------------------------------------------------------------------------- */
/* Messages and reactions                                                                   */

/* Fills the reactions of msgs[0..n) with one query (wire shape: DESIGN.md 5b). */
static int load_reactions(struct store_tx *tx, struct store_message *msgs, size_t n)
{
    if (n == 0) {
        return 0;
    }
    const char **uuids = xcalloc(n, sizeof(*uuids));
    struct uuid_index *idx = xcalloc(n, sizeof(*idx));
    for (size_t i = 0; i < n; i++) {
        uuids[i] = msgs[i].uuid;
        idx[i] = (struct uuid_index){msgs[i].uuid, i};
    }
    qsort(idx, n, sizeof(*idx), cmp_uuid_index);
    char *json = json_array(uuids, n);
    struct sql_cur cur;
    int rc = EXEC(tx, SQL_REACTIONS_OF, &cur, SQL_TEXT(json));
    while (rc == 0) {
        int r = q_next(&cur);
        if (r <= 0) {
            rc = r;
            break;
        }
        long pos = uuid_index_find(idx, n, col_text(&cur, 0));
        if (pos < 0) {
            continue;
        }
        struct store_message *m = &msgs[pos];
        const char *emoji = col_text(&cur, 1);
        struct store_reaction *re = NULL;
        for (size_t k = 0; k < m->n_reactions; k++) {
            if (strcmp(m->reactions[k].emoji, emoji) == 0) {
                re = &m->reactions[k];
                break;
            }
        }
        if (re == NULL) {
            /* Rows come in reaction time order: a new emoji goes last. */
            m->reactions = xreallocarray(m->reactions, m->n_reactions + 1, sizeof(*m->reactions));
            re = &m->reactions[m->n_reactions++];
            memset(re, 0, sizeof(*re));
            re->emoji = col_dup(&cur, 1);
        }
        re->user_uuids = xreallocarray(re->user_uuids, (size_t)re->count + 1, UUID_STR_LEN);
        col_uuid(&cur, 2, re->user_uuids[re->count]);
        re->count++;
    }
    q_done(&cur);
    free(json);
    free(idx);
    free(uuids);
    return rc;
}

int store__sql_message_append(struct store_tx *tx, struct store_message *m)
{
    NEED_WRITE(tx);
    if (m->content == NULL || m->content_search == NULL) {
        return HE_INVAL;
    }
    if (m->uuid[0] == '\0') {
        uuid_v7(m->uuid);
    }
    if (m->created_at == 0) {
        m->created_at = store_now_us();
    }
    struct sql_cur cur;
    int rc = EXEC(tx, SQL_MESSAGE_INSERT, &cur, SQL_TEXT(m->uuid), SQL_TEXT(m->room_uuid),
                  SQL_TEXT(m->user_uuid), opt_text(m->alias), SQL_TEXT(m->content),
                  SQL_TEXT(m->content_search), opt_text(m->content_html), opt_text(m->mentions),
                  opt_uuid(m->thread_uuid), SQL_INT(m->created_at));
    if (rc == 0) {
        rc = q_next(&cur);
        if (rc == 1) {
            col_uuid(&cur, 0, m->tenant_uuid);
            rc = 0;
        } else if (rc == 0) {
            rc = HE_NOT_FOUND;
        }
    }
    q_done(&cur);
    return rc;
}

static int message_list_finish(struct store_tx *tx, struct store_message_list *l, int rc,
                               struct store_message_list **out)
{
    if (rc == 0) {
        rc = load_reactions(tx, l->items, l->count);
    }
    if (rc < 0) {
        store_message_list_free(l);
        return rc;
    }
    *out = l;
    return 0;
}

int store__sql_message_get(struct store_tx *tx, const char *uuid, const char *viewer_uuid,
                           struct store_message **out)
{
    struct store_message_list *l = xcalloc(1, sizeof(*l));
    int rc;
    if (viewer_uuid == NULL) {
        rc = QROWS(tx, SQL_MESSAGE_GET, struct store_message, row_message, store__message_release,
                   &l->items, &l->count, SQL_TEXT(uuid));
    } else {
        rc = QROWS(tx, SQL_MESSAGE_GET_VISIBLE, struct store_message, row_message,
                   store__message_release, &l->items, &l->count, SQL_TEXT(uuid),
                   SQL_TEXT(viewer_uuid));
    }
    if (rc == 0 && l->count == 0) {
        rc = HE_UNKNOWN_MESSAGE;
    }
    if (rc == 0) {
        rc = load_reactions(tx, l->items, l->count);
    }
    if (rc < 0) {
        store_message_list_free(l);
        return rc;
    }
    *out = xmemdup(&l->items[0], sizeof(l->items[0]));
    free(l->items);
    free(l);
    return 0;
}

int store__sql_message_edit(struct store_tx *tx, const char *uuid, const char *content,
                            const char *content_search, const char *content_html,
                            const char *mentions, int64_t edited_at)
{
    NEED_WRITE(tx);
    if (content == NULL || content_search == NULL) {
        return HE_INVAL;
    }
    int64_t ch = 0;
    int rc = RUN(tx, SQL_MESSAGE_VERSION_SAVE, &ch, SQL_TEXT(uuid));
    if (rc < 0 || ch == 0) {
        return rc < 0 ? rc : HE_UNKNOWN_MESSAGE;
    }
    rc = RUN(tx, SQL_MESSAGE_EDIT, &ch, SQL_TEXT(uuid), SQL_TEXT(content), SQL_TEXT(content_search),
             opt_text(content_html), opt_text(mentions),
             SQL_INT(edited_at != 0 ? edited_at : store_now_us()));
    return changed_or(rc, ch, HE_UNKNOWN_MESSAGE);
}

int store__sql_message_delete(struct store_tx *tx, const char *uuid, int64_t deleted_at)
{
    NEED_WRITE(tx);
    int64_t ch = 0;
    int rc = RUN(tx, SQL_MESSAGE_DELETE, &ch, SQL_TEXT(uuid),
                 SQL_INT(deleted_at != 0 ? deleted_at : store_now_us()));
    if (rc < 0 || ch == 0) {
        return rc < 0 ? rc : HE_UNKNOWN_MESSAGE;
    }
    /* The content is gone from every version, not only the current one. */
    return RUN(tx, SQL_MESSAGE_VERSIONS_DROP, NULL, SQL_TEXT(uuid));
}

/*
 * A page of messages with its totals: count_id (given the first count_n of args) answers
 * total and filtered, then rows_id (given all n args) the messages, reactions loaded.
 */
static int message_list_query(struct store_tx *tx, enum sql_id count_id, size_t count_n,
                              enum sql_id rows_id, const struct sql_arg *args, size_t n,
                              struct store_message_list **out)
{
    struct store_message_list *l = xcalloc(1, sizeof(*l));
    struct sql_cur cur;
    int rc = q_exec(tx, count_id, args, count_n, &cur);
    if (rc == 0) {
        rc = q_next(&cur);
        if (rc == 1) {
            l->total = col_int(&cur, 0);
            l->filtered = col_int(&cur, 1);
            rc = 0;
        }
    }
    q_done(&cur);
    if (rc == 0) {
        rc = q_rows(tx, rows_id, args, n, sizeof(struct store_message), row_message_v,
                    store__message_release_v, (void **)&l->items, &l->count);
    }
    return message_list_finish(tx, l, rc, out);
}

int store__sql_message_page(struct store_tx *tx, const char *room_uuid,
                            const struct store_page_query *q, struct store_message_list **out)
{
    if (q->viewer_uuid == NULL || q->offset < 0) {
        return HE_INVAL;
    }
    struct store_member *me = NULL;
    int rc = store__sql_member_get(tx, room_uuid, q->viewer_uuid, &me);
    store_member_free(me);
    if (rc < 0) {
        return rc == HE_NOT_FOUND ? HE_UNKNOWN_ROOM : rc;
    }
    char *pattern = q->pattern != NULL ? xstrdup(q->pattern) : like_pattern(q->words, q->n_words);
    int thread_mode = q->threads == STORE_THREAD_ROOTS     ? 1
                      : q->threads == STORE_THREAD_REPLIES ? 2
                                                           : 0;
    struct sql_arg args[] = {
        SQL_TEXT(room_uuid),
        SQL_TEXT(q->viewer_uuid),
        q->has_from_date ? SQL_INT(q->from_date) : SQL_NULL,
        opt_text(pattern),
        SQL_INT(thread_mode),
        opt_uuid(thread_mode == 2 ? q->thread_uuid : NULL),
        SQL_INT(q->limit < 0 ? NO_LIMIT : q->limit),
        SQL_INT(q->offset),
    };
    /* The count takes the filters, not limit and offset. */
    rc =
        message_list_query(tx, SQL_MESSAGE_PAGE_COUNT, 6,
                           q->direction == STORE_ASC ? SQL_MESSAGE_PAGE_ASC : SQL_MESSAGE_PAGE_DESC,
                           args, HU_ARRAY_LEN(args), out);
    free(pattern);
    return rc;
}

int store__sql_message_search(struct store_tx *tx, const struct store_search_query *q,
                              struct store_message_list **out)
{
    if (q->user_uuid == NULL || q->offset < 0) {
        return HE_INVAL;
    }
    char *pattern = q->pattern != NULL ? xstrdup(q->pattern) : like_pattern(q->words, q->n_words);
    struct sql_arg args[] = {
        SQL_TEXT(q->user_uuid),
        opt_text(pattern),
        SQL_INT(q->distinct_room ? 1 : 0),
        SQL_INT(q->limit < 0 ? NO_LIMIT : q->limit),
        SQL_INT(q->offset),
    };
    /* The count takes the filters, not limit and offset. */
    int rc = message_list_query(tx, SQL_MESSAGE_SEARCH_COUNT, 3,
                                q->direction == STORE_ASC ? SQL_MESSAGE_SEARCH_ASC
                                                          : SQL_MESSAGE_SEARCH_DESC,
                                args, HU_ARRAY_LEN(args), out);
    free(pattern);
    return rc;
}

static void row_version(struct sql_cur *c, struct store_message_version *v)
{
    v->version = (int32_t)col_int(c, 0);
    v->content = col_dup(c, 1);
    v->content_html = col_dup(c, 2);
    v->mentions = col_dup(c, 3);
    v->created_at = col_int(c, 4);
}

static void version_release(struct store_message_version *v)
{
    free(v->content);
    free(v->content_html);
    free(v->mentions);
}

ROW_ADAPTER(row_version, struct store_message_version)
RELEASE_ADAPTER(version_release, struct store_message_version)

int store__sql_message_versions(struct store_tx *tx, const char *uuid,
                                struct store_message_version_list **out)
{
    struct store_message_version_list *l = xcalloc(1, sizeof(*l));
    int rc = QROWS(tx, SQL_MESSAGE_VERSIONS, struct store_message_version, row_version,
                   version_release, &l->items, &l->count, SQL_TEXT(uuid));
    if (rc < 0) {
        free(l);
        return rc;
    }
    *out = l;
    return 0;
}

int store__sql_reaction_add(struct store_tx *tx, const char *message_uuid, const char *user_uuid,
                            const char *emoji, int64_t created_at)
{
    NEED_WRITE(tx);
    int64_t ch = 0;
    int rc = RUN(tx, SQL_REACTION_INSERT, &ch, SQL_TEXT(message_uuid), SQL_TEXT(user_uuid),
                 SQL_TEXT(emoji), SQL_INT(created_at != 0 ? created_at : store_now_us()));
    return changed_or(rc, ch, HE_EXISTS);
}

int store__sql_reaction_remove(struct store_tx *tx, const char *message_uuid, const char *user_uuid,
                               const char *emoji)
{
    NEED_WRITE(tx);
    int64_t ch = 0;
    int rc = RUN(tx, SQL_REACTION_DELETE, &ch, SQL_TEXT(message_uuid), SQL_TEXT(user_uuid),
                 SQL_TEXT(emoji));
    return changed_or(rc, ch, HE_NOT_FOUND);
}

/* ---------------------------------------------------------------------------------------- */
/* Files                                                                                    */

int store__sql_file_add(struct store_tx *tx, struct store_file *f)
{
    NEED_WRITE(tx);
    if (f->name == NULL || f->content_type == NULL || f->storage_key == NULL) {
        return HE_INVAL;
    }
    if (f->uuid[0] == '\0') {
        uuid_v4(f->uuid);
    }
    if (f->created_at == 0) {
        f->created_at = store_now_us();
    }
    int64_t ch = 0;
    int rc = RUN(tx, SQL_FILE_INSERT, &ch, SQL_TEXT(f->uuid), SQL_TEXT(f->tenant_uuid),
                 SQL_TEXT(f->user_uuid), opt_uuid(f->room_uuid), opt_uuid(f->message_uuid),
                 SQL_TEXT(f->name), SQL_TEXT(f->content_type), SQL_INT(f->size),
                 opt_text(f->sha256), SQL_TEXT(f->storage_key), SQL_INT(f->width),
                 SQL_INT(f->height), SQL_INT(f->created_at));
    return changed_or(rc, ch, HE_EXISTS);
}

int store__sql_file_get(struct store_tx *tx, const char *uuid, struct store_file **out)
{
    return QONE(tx, SQL_FILE_GET, row_file, HE_NOT_FOUND, out, SQL_TEXT(uuid));
}

int store__sql_file_attach(struct store_tx *tx, const char *file_uuid, const char *message_uuid)
{
    NEED_WRITE(tx);
    int64_t ch = 0;
    int rc = RUN(tx, SQL_FILE_ATTACH, &ch, SQL_TEXT(file_uuid), SQL_TEXT(message_uuid));
    return changed_or(rc, ch, HE_NOT_FOUND);
}

int store__sql_file_list_for_message(struct store_tx *tx, const char *message_uuid,
                                     struct store_file_list **out)
{
    struct store_file_list *l = xcalloc(1, sizeof(*l));
    int rc = QROWS(tx, SQL_FILE_LIST_MESSAGE, struct store_file, row_file, store__file_release,
                   &l->items, &l->count, SQL_TEXT(message_uuid));
    if (rc < 0) {
        free(l);
        return rc;
    }
    *out = l;
    return 0;
}

int store__sql_file_delete(struct store_tx *tx, const char *uuid)
{
    NEED_WRITE(tx);
    int64_t ch = 0;
    int rc = RUN(tx, SQL_FILE_DELETE, &ch, SQL_TEXT(uuid));
    return changed_or(rc, ch, HE_NOT_FOUND);
}

/* ---------------------------------------------------------------------------------------- */
/* Events                                                                                   */

/*
 * A recipient list this long or longer is stored once in event_recipients and shared by the
 * events that name it (schema 2): a message to a 5,000-member room used to carry its 185 kB
 * list in its own row, 533 MB of database after issue 6's fan-out runs, while consecutive
 * events of a room almost always name the same members. Shorter lists stay in the row, where
 * they cost less than a lookup.
 */
#define STORE_RCPT_SHARED_MIN 16

/* The id of the event_recipients row holding list (len bytes), added if missing. */
static int rcpt_share(struct store_tx *tx, const char *list, size_t len, int64_t *id)
{
    unsigned char h[crypto_generichash_BYTES];
    char digest[2 * crypto_generichash_BYTES + 1];
    crypto_generichash(h, sizeof(h), (const unsigned char *)list, len, NULL, 0);
    sodium_bin2hex(digest, sizeof(digest), h, sizeof(h));
    struct sql_cur cur;
    int rc = EXEC(tx, SQL_RCPT_FIND, &cur, SQL_TEXT(digest), SQL_TEXTN(list, len));
    if (rc == 0) {
        rc = q_next(&cur);
        if (rc == 1) {
            *id = col_int(&cur, 0);
            rc = 0;
        } else if (rc == 0) {
            rc = 1; /* not there yet */
        }
    }
    q_done(&cur);
    if (rc != 1) {
        return rc;
    }
    rc = EXEC(tx, SQL_RCPT_INSERT, &cur, SQL_TEXT(digest), SQL_TEXTN(list, len));
    if (rc == 0) {
        rc = q_next(&cur);
        if (rc == 1) {
            *id = col_int(&cur, 0);
            rc = 0;
        } else if (rc == 0) {
            rc = tx->poison = HE_DB;
        }
    }
    q_done(&cur);
    return rc;
}

int store__sql_event_append(struct store_tx *tx, struct store_event *ev)
{
    NEED_WRITE(tx);
    if (ev->name == NULL || ev->payload == NULL) {
        return HE_INVAL;
    }
    if (ev->created_at == 0) {
        ev->created_at = store_now_us();
    }
    /* Recipients as "uuid,uuid,..." (uuids hold no comma). */
    struct sbuf rcpt = {0};
    sb_add(&rcpt, "", 0);
    for (size_t i = 0; i < ev->n_recipients; i++) {
        if (i > 0) {
            sb_add(&rcpt, ",", 1);
        }
        sb_adds(&rcpt, ev->recipients[i]);
    }
    int64_t shared = 0;
    int rc = 0;
    if (ev->n_recipients >= STORE_RCPT_SHARED_MIN) {
        rc = rcpt_share(tx, rcpt.s, rcpt.len, &shared);
    }
    struct sql_cur cur;
    if (rc == 0) {
        rc = EXEC(tx, SQL_EVENT_INSERT, &cur, SQL_TEXT(ev->name), SQL_TEXT(ev->tenant_uuid),
                  opt_uuid(ev->room_uuid), SQL_INT(ev->tenant_wide ? 1 : 0),
                  SQL_TEXT(shared != 0 ? "" : rcpt.s), SQL_TEXTN(ev->payload, ev->payload_len),
                  SQL_INT(ev->created_at), shared != 0 ? SQL_INT(shared) : SQL_NULL);
        if (rc == 0) {
            rc = q_next(&cur);
            if (rc == 1) {
                ev->seq = col_int(&cur, 0);
                rc = 0;
            } else if (rc == 0) {
                rc = tx->poison = HE_DB;
            }
        }
        q_done(&cur);
    }
    free(rcpt.s);
    return rc;
}

int store__sql_event_read_after(struct store_tx *tx, int64_t after_seq, size_t limit,
                                struct store_event_list **out)
{
    struct store_event_list *l = xcalloc(1, sizeof(*l));
    int rc = QROWS(tx, SQL_EVENT_READ_AFTER, struct store_event, row_event, store__event_release,
                   &l->items, &l->count, SQL_INT(after_seq),
                   SQL_INT(limit > (size_t)INT64_MAX ? INT64_MAX : (int64_t)limit));
    if (rc < 0) {
        free(l);
        return rc;
    }
    *out = l;
    return 0;
}

int store__sql_event_last_seq(struct store_tx *tx, int64_t *out)
{
    return q_int(tx, SQL_EVENT_LAST_SEQ, NULL, 0, out);
}

int store__sql_event_prune(struct store_tx *tx, int64_t before_seq)
{
    NEED_WRITE(tx);
    int rc = RUN(tx, SQL_EVENT_PRUNE, NULL, SQL_INT(before_seq));
    if (rc == 0) {
        rc = q_run(tx, SQL_RCPT_PRUNE, NULL, 0, NULL); /* lists no event names any more */
    }
    return rc;
}
