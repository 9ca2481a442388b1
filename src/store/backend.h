/*
 * store backend contract (internal to src/store/, like git's refs-internal.h).
 *
 * `struct store` and `struct store_tx` are the common heads of each backend's own structs
 * (the backend's struct starts with them). A backend provides a static `struct store_ops`:
 * transaction control, the statement primitives below, and the domain operations. Both
 * backends fill the domain slots with the shared SQL implementation (store/sql/ops.c), written
 * once over the statement primitives and the statement table (store/sql/statements.c) whose
 * SQL is written once for both dialects; a backend may put its own function in any slot.
 *
 * Statement primitives. exec() prepares statement `id` once per connection, binds args and
 * runs it up to the first row, so that constraint errors surface at exec() on both backends;
 * next() then yields rows (1), the end (0) or an error (< 0); col_*() read the current row;
 * done() releases the cursor (always call it, also after errors). A cursor is used by its
 * transaction's thread only; one cursor per statement id at a time.
 */
#ifndef HUARD_STORE_BACKEND_H
#define HUARD_STORE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/sql/statements.h"
#include "store/store.h"

struct store {
    const struct store_ops *ops;
};

struct store_tx {
    struct store *store;
    bool write;
    /* First unexpected error: every later operation and the commit return it. */
    int poison;
    /* PostgreSQL: the events advisory lock is already held by this transaction. */
    bool events_locked;
};

enum sql_arg_type { SQL_ARG_NULL = 0, SQL_ARG_TEXT, SQL_ARG_INT };

struct sql_arg {
    enum sql_arg_type type;
    const char *text; /* SQL_ARG_TEXT, NUL-terminated unless len is set */
    size_t len;       /* 0: strlen(text) */
    int64_t i;        /* SQL_ARG_INT */
};

/* Argument constructors: NULL text and "" optional uuids become SQL NULL where stated. */
#define SQL_TEXT(s) ((struct sql_arg){.type = SQL_ARG_TEXT, .text = (s)})
#define SQL_TEXTN(s, n) ((struct sql_arg){.type = SQL_ARG_TEXT, .text = (s), .len = (n)})
#define SQL_INT(v) ((struct sql_arg){.type = SQL_ARG_INT, .i = (int64_t)(v)})
#define SQL_NULL ((struct sql_arg){.type = SQL_ARG_NULL})

struct sql_cur {
    struct store_tx *tx;
    enum sql_id id;
    void *impl;      /* sqlite3_stmt * or PGresult * */
    int row;         /* PostgreSQL: current row; SQLite: 1 when a stepped row is pending */
    int nrows;       /* PostgreSQL: rows in the result */
    bool started;    /* next() was called at least once */
    int64_t changes; /* rows changed by an INSERT/UPDATE/DELETE */
};

struct store_ops {
    const char *name;
    void (*close)(struct store *s);
    int (*schema_version)(struct store *s, int *current);
    int (*tx_begin)(struct store *s, bool write, struct store_tx **out);
    int (*tx_commit)(struct store_tx *tx);
    void (*tx_rollback)(struct store_tx *tx);

    /* Statement primitives (see above). */
    int (*exec)(struct store_tx *tx, enum sql_id id, const struct sql_arg *args, size_t n,
                struct sql_cur *cur);
    int (*next)(struct sql_cur *cur);
    const char *(*col_text)(struct sql_cur *cur, int col); /* NULL for SQL NULL */
    size_t (*col_len)(struct sql_cur *cur, int col);
    int64_t (*col_int)(struct sql_cur *cur, int col); /* 0 for SQL NULL */
    bool (*col_null)(struct sql_cur *cur, int col);
    void (*done)(struct sql_cur *cur);

    /* Domain operations: same signatures as the store_*() wrappers in store.h. */
    int (*tenant_create)(struct store_tx *, struct store_tenant *);
    int (*tenant_get)(struct store_tx *, const char *, struct store_tenant **);
    int (*tenant_get_default)(struct store_tx *, struct store_tenant **);
    int (*tenant_ensure_default)(struct store_tx *, struct store_tenant **);
    int (*setting_get)(struct store_tx *, const char *, char **);
    int (*setting_put)(struct store_tx *, const char *, const char *);

    int (*user_add)(struct store_tx *, struct store_user *);
    int (*user_get)(struct store_tx *, const char *, struct store_user **);
    int (*user_get_by_name)(struct store_tx *, const char *, const char *, struct store_user **);
    int (*user_list)(struct store_tx *, const char *, struct store_user_list **);
    int (*user_count)(struct store_tx *, const char *, int64_t *);
    int (*user_set_password)(struct store_tx *, const char *, const char *);
    int (*user_update)(struct store_tx *, const struct store_user *);
    int (*user_delete)(struct store_tx *, const char *);

    int (*token_create)(struct store_tx *, struct store_token *);
    int (*token_get)(struct store_tx *, const char *, int64_t, struct store_token **);
    int (*token_delete)(struct store_tx *, const char *);
    int (*token_purge_expired)(struct store_tx *, int64_t, int64_t *);
    int (*token_user_sessions)(struct store_tx *, const char *, int64_t, int64_t *, bool *);

    int (*presence_get)(struct store_tx *, const char *, int64_t, struct store_presence **);
    int (*presence_put)(struct store_tx *, struct store_presence *);
    int (*presence_list)(struct store_tx *, const char *, const char *const *, size_t, int64_t,
                         struct store_presence_list **);

    int (*room_create)(struct store_tx *, struct store_room *);
    int (*room_find_exact)(struct store_tx *, const char *, const char *const *, size_t,
                           struct store_room **);
    int (*room_get)(struct store_tx *, const char *, const char *, struct store_room **);
    int (*room_list_for_user)(struct store_tx *, const char *, const char *const *, size_t,
                              struct store_room_list **);
    int (*room_list_public)(struct store_tx *, const char *, struct store_room_list **);
    int (*room_update)(struct store_tx *, const struct store_room *);

    int (*member_add)(struct store_tx *, const char *, struct store_member *);
    int (*member_leave)(struct store_tx *, const char *, const char *, int64_t);
    int (*member_get)(struct store_tx *, const char *, const char *, struct store_member **);
    int (*member_list)(struct store_tx *, const char *, struct store_member_list **);
    int (*member_count)(struct store_tx *, const char *, int64_t *);
    int (*member_set_role)(struct store_tx *, const char *, const char *, enum store_role);
    int (*member_set_read)(struct store_tx *, const char *, const char *, const char *, int64_t);
    int (*member_set_notify)(struct store_tx *, const char *, const char *, enum store_notify);
    int (*member_unread)(struct store_tx *, const char *, const char *, int64_t *);

    int (*message_append)(struct store_tx *, struct store_message *);
    int (*message_get)(struct store_tx *, const char *, const char *, struct store_message **);
    int (*message_edit)(struct store_tx *, const char *, const char *, const char *, const char *,
                        const char *, int64_t);
    int (*message_delete)(struct store_tx *, const char *, int64_t);
    int (*message_page)(struct store_tx *, const char *, const struct store_page_query *,
                        struct store_message_list **);
    int (*message_search)(struct store_tx *, const struct store_search_query *,
                          struct store_message_list **);
    int (*message_versions)(struct store_tx *, const char *, struct store_message_version_list **);
    int (*reaction_add)(struct store_tx *, const char *, const char *, const char *, int64_t);
    int (*reaction_remove)(struct store_tx *, const char *, const char *, const char *);

    int (*file_add)(struct store_tx *, struct store_file *);
    int (*file_get)(struct store_tx *, const char *, struct store_file **);
    int (*file_attach)(struct store_tx *, const char *, const char *);
    int (*file_list_for_message)(struct store_tx *, const char *, struct store_file_list **);
    int (*file_delete)(struct store_tx *, const char *);

    int (*event_append)(struct store_tx *, struct store_event *);
    int (*event_read_after)(struct store_tx *, int64_t, size_t, struct store_event_list **);
    int (*event_last_seq)(struct store_tx *, int64_t *);
    int (*event_prune)(struct store_tx *, int64_t);
};

/* The shared SQL implementation of every domain slot, for the backends' tables. */
#define STORE_SQL_DOMAIN_OPS                                                                       \
    .tenant_create = store__sql_tenant_create, .tenant_get = store__sql_tenant_get,                \
    .tenant_get_default = store__sql_tenant_get_default,                                           \
    .tenant_ensure_default = store__sql_tenant_ensure_default,                                     \
    .setting_get = store__sql_setting_get, .setting_put = store__sql_setting_put,                  \
    .user_add = store__sql_user_add, .user_get = store__sql_user_get,                              \
    .user_get_by_name = store__sql_user_get_by_name, .user_list = store__sql_user_list,            \
    .user_count = store__sql_user_count, .user_set_password = store__sql_user_set_password,        \
    .user_update = store__sql_user_update, .user_delete = store__sql_user_delete,                  \
    .token_create = store__sql_token_create, .token_get = store__sql_token_get,                    \
    .token_delete = store__sql_token_delete,                                                       \
    .token_purge_expired = store__sql_token_purge_expired,                                         \
    .token_user_sessions = store__sql_token_user_sessions,                                         \
    .presence_get = store__sql_presence_get, .presence_put = store__sql_presence_put,              \
    .presence_list = store__sql_presence_list, .room_create = store__sql_room_create,              \
    .room_find_exact = store__sql_room_find_exact, .room_get = store__sql_room_get,                \
    .room_list_for_user = store__sql_room_list_for_user,                                           \
    .room_list_public = store__sql_room_list_public, .room_update = store__sql_room_update,        \
    .member_add = store__sql_member_add, .member_leave = store__sql_member_leave,                  \
    .member_get = store__sql_member_get, .member_list = store__sql_member_list,                    \
    .member_count = store__sql_member_count, .member_set_role = store__sql_member_set_role,        \
    .member_set_read = store__sql_member_set_read,                                                 \
    .member_set_notify = store__sql_member_set_notify, .member_unread = store__sql_member_unread,  \
    .message_append = store__sql_message_append, .message_get = store__sql_message_get,            \
    .message_edit = store__sql_message_edit, .message_delete = store__sql_message_delete,          \
    .message_page = store__sql_message_page, .message_search = store__sql_message_search,          \
    .message_versions = store__sql_message_versions, .reaction_add = store__sql_reaction_add,      \
    .reaction_remove = store__sql_reaction_remove, .file_add = store__sql_file_add,                \
    .file_get = store__sql_file_get, .file_attach = store__sql_file_attach,                        \
    .file_list_for_message = store__sql_file_list_for_message,                                     \
    .file_delete = store__sql_file_delete, .event_append = store__sql_event_append,                \
    .event_read_after = store__sql_event_read_after, .event_last_seq = store__sql_event_last_seq,  \
    .event_prune = store__sql_event_prune

/* Declarations of the shared implementations (store/sql/ops.c). */
int store__sql_tenant_create(struct store_tx *, struct store_tenant *);
int store__sql_tenant_get(struct store_tx *, const char *, struct store_tenant **);
int store__sql_tenant_get_default(struct store_tx *, struct store_tenant **);
int store__sql_tenant_ensure_default(struct store_tx *, struct store_tenant **);
int store__sql_setting_get(struct store_tx *, const char *, char **);
int store__sql_setting_put(struct store_tx *, const char *, const char *);
int store__sql_user_add(struct store_tx *, struct store_user *);
int store__sql_user_get(struct store_tx *, const char *, struct store_user **);
int store__sql_user_get_by_name(struct store_tx *, const char *, const char *,
                                struct store_user **);
int store__sql_user_list(struct store_tx *, const char *, struct store_user_list **);
int store__sql_user_count(struct store_tx *, const char *, int64_t *);
int store__sql_user_set_password(struct store_tx *, const char *, const char *);
int store__sql_user_update(struct store_tx *, const struct store_user *);
int store__sql_user_delete(struct store_tx *, const char *);
int store__sql_token_create(struct store_tx *, struct store_token *);
int store__sql_token_get(struct store_tx *, const char *, int64_t, struct store_token **);
int store__sql_token_delete(struct store_tx *, const char *);
int store__sql_token_purge_expired(struct store_tx *, int64_t, int64_t *);
int store__sql_token_user_sessions(struct store_tx *, const char *, int64_t, int64_t *, bool *);
int store__sql_presence_get(struct store_tx *, const char *, int64_t, struct store_presence **);
int store__sql_presence_put(struct store_tx *, struct store_presence *);
int store__sql_presence_list(struct store_tx *, const char *, const char *const *, size_t, int64_t,
                             struct store_presence_list **);
int store__sql_room_create(struct store_tx *, struct store_room *);
int store__sql_room_find_exact(struct store_tx *, const char *, const char *const *, size_t,
                               struct store_room **);
int store__sql_room_get(struct store_tx *, const char *, const char *, struct store_room **);
int store__sql_room_list_for_user(struct store_tx *, const char *, const char *const *, size_t,
                                  struct store_room_list **);
int store__sql_room_list_public(struct store_tx *, const char *, struct store_room_list **);
int store__sql_room_update(struct store_tx *, const struct store_room *);
int store__sql_member_add(struct store_tx *, const char *, struct store_member *);
int store__sql_member_leave(struct store_tx *, const char *, const char *, int64_t);
int store__sql_member_get(struct store_tx *, const char *, const char *, struct store_member **);
int store__sql_member_list(struct store_tx *, const char *, struct store_member_list **);
int store__sql_member_count(struct store_tx *, const char *, int64_t *);
int store__sql_member_set_role(struct store_tx *, const char *, const char *, enum store_role);
int store__sql_member_set_read(struct store_tx *, const char *, const char *, const char *,
                               int64_t);
int store__sql_member_set_notify(struct store_tx *, const char *, const char *, enum store_notify);
int store__sql_member_unread(struct store_tx *, const char *, const char *, int64_t *);
int store__sql_message_append(struct store_tx *, struct store_message *);
int store__sql_message_get(struct store_tx *, const char *, const char *, struct store_message **);
int store__sql_message_edit(struct store_tx *, const char *, const char *, const char *,
                            const char *, const char *, int64_t);
int store__sql_message_delete(struct store_tx *, const char *, int64_t);
int store__sql_message_page(struct store_tx *, const char *, const struct store_page_query *,
                            struct store_message_list **);
int store__sql_message_search(struct store_tx *, const struct store_search_query *,
                              struct store_message_list **);
int store__sql_message_versions(struct store_tx *, const char *,
                                struct store_message_version_list **);
int store__sql_reaction_add(struct store_tx *, const char *, const char *, const char *, int64_t);
int store__sql_reaction_remove(struct store_tx *, const char *, const char *, const char *);
int store__sql_file_add(struct store_tx *, struct store_file *);
int store__sql_file_get(struct store_tx *, const char *, struct store_file **);
int store__sql_file_attach(struct store_tx *, const char *, const char *);
int store__sql_file_list_for_message(struct store_tx *, const char *, struct store_file_list **);
int store__sql_file_delete(struct store_tx *, const char *);
int store__sql_event_append(struct store_tx *, struct store_event *);
int store__sql_event_read_after(struct store_tx *, int64_t, size_t, struct store_event_list **);
int store__sql_event_last_seq(struct store_tx *, int64_t *);
int store__sql_event_prune(struct store_tx *, int64_t);

/* Backend constructors (store_open() picks one). */
int store__sqlite_open(const char *path, const struct store_options *opts, struct store **out);
int store__pg_open(const char *url, const struct store_options *opts, struct store **out);

/* Releases the strings of one element (used by the list frees and by ops.c on errors). */
void store__user_release(struct store_user *u);
void store__member_release(struct store_member *m);
void store__room_release(struct store_room *r);
void store__message_release(struct store_message *m);
void store__presence_release(struct store_presence *p);
void store__file_release(struct store_file *f);
void store__event_release(struct store_event *e);
void store__tenant_release(struct store_tenant *t);

/* Copies at most UUID_STR_LEN - 1 bytes of s (NULL: "") into out. */
void store__uuid_copy(char out[UUID_STR_LEN], const char *s);

#endif
