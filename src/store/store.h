/*
 * store: everything Huard knows, behind one interface with a SQLite and a PostgreSQL backend
 * (DESIGN.md sections 2, 3 and 5).
 *
 * Shape. `struct store` starts with `const struct store_ops *ops` (store/backend.h), one
 * static table per backend, like git's ref backends; callers only use the store_*() wrappers
 * below. Operations are domain-shaped (append a message, page a room's history, add a
 * reaction...) and always run inside an explicit transaction:
 *
 *     struct store_tx *tx;
 *     int rc = store_tx_begin(store, &tx);          write transaction
 *     if (rc == 0) rc = store_message_append(tx, &msg);
 *     if (rc == 0) rc = store_event_append(tx, &ev); same transaction as the change
 *     if (rc == 0) rc = store_tx_commit(tx);         returns once durable; frees tx
 *     else store_tx_rollback(tx);                    frees tx
 *
 * Durability. store_tx_commit() returns 0 only when the transaction is durable: SQLite with
 * synchronous=FULL (default) through group commit (see "SQLite group commit" below);
 * PostgreSQL with its default synchronous commit.
 *
 * SQLite group commit. One writer connection. It keeps a batch transaction (BEGIN IMMEDIATE)
 * open while callers run; each caller's write transaction is a SAVEPOINT on it, taken while
 * no other caller holds one (writes are serialized, as SQLite serializes them anyway).
 * store_tx_commit() releases the savepoint; the caller then either waits, when other callers
 * are already queued to write (they join the same batch), or becomes the leader and COMMITs
 * the batch (one fsync) and wakes every caller whose savepoint that commit covered, with the
 * commit's result. A batch holds at most store_options.max_batch transactions, so latency is
 * bounded under constant load. A rollback is ROLLBACK TO the caller's savepoint and touches no
 * other caller's work. Readers use a small pool of read connections (WAL: they never block
 * the writer and see only committed batches).
 *
 * PostgreSQL. A pool of connections (one per concurrently running transaction, at most
 * store_options.max_connections); a write transaction is BEGIN..COMMIT, a read transaction
 * is REPEATABLE READ READ ONLY (one snapshot for count + page). store_event_append() takes a
 * transaction-level advisory lock so that event sequence numbers commit in order (readers of
 * store_event_read_after() never skip a sequence that commits later), and runs
 * `NOTIFY huard_events, '<seq>'` inside the transaction.
 *
 * Errors. 0 or a negative HE_* code (base/err.h). Expected outcomes that leave the
 * transaction usable: HE_EXISTS (a unique key is taken: username in tenant, reaction, current
 * member), HE_NOT_FOUND and the HE_UNKNOWN_* codes named per function. Any other error
 * (HE_DB, HE_INVAL from a CHECK, a foreign key violation reported as HE_NOT_FOUND by a
 * statement) poisons the transaction on both backends: every later operation and the commit
 * return that error; roll back. HE_AGAIN: serialization failure (PostgreSQL), retry the
 * whole transaction.
 *
 * Ownership. Arguments are borrowed for the call. Input structs are the caller's; fields the
 * store fills (generated uuid, created_at, seq) are written back into them. Results are
 * heap objects owned by the caller, released with the matching *_free() (NULL is fine).
 * Strings in results are NUL-terminated UTF-8, NULL when the column is NULL. Optional uuid
 * fields are "" when absent. Timestamps are microseconds since the Unix epoch (UTC); 0 means
 * "none" for optional ones, and "now" on input for created_at-like fields.
 *
 * Threads. store_open/store_close from one thread. A store_tx belongs to the thread that
 * began it until commit/rollback. Any number of worker threads may hold read transactions
 * and queue for write transactions. Never begin a write transaction while holding one in the
 * same thread (it would wait for itself), and never call the store from the loop thread (it
 * blocks on disk and on other writers). Keep write transactions short (no argon2id, no
 * network, no file I/O inside): on SQLite every other writer, and the commit of the batch the
 * previous callers wait for, queue behind the open one. Uuids on input must be canonical lower-case
 * (uuid_normalize()); the store does not re-check them.
 */
#ifndef HUARD_STORE_STORE_H
#define HUARD_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/alloc.h"
#include "base/uuid.h"

/* Hex SHA-256 of a token and a NUL (domain/password.h computes it). */
#define STORE_HASH_LEN 65
/* Name of the SQLite file inside a data folder: DIR/huard.db. */
#define STORE_SQLITE_FILE "huard.db"

struct store;
struct store_tx;

enum store_sync {
    STORE_SYNC_FULL = 0, /* default: acknowledged writes survive power loss */
    STORE_SYNC_NORMAL,   /* WAL + NORMAL: survives a crash of Huard, not of the OS */
    STORE_SYNC_OFF,      /* tests only */
};

struct store_options {
    enum store_sync sync;     /* SQLite only */
    int busy_timeout_ms;      /* SQLite: wait on another process's lock; 0 = 5000 */
    unsigned max_connections; /* SQLite: read connections; PostgreSQL: pool size; 0 = 16 */
    unsigned max_batch;       /* SQLite: most transactions in one group commit; 0 = 512 */
    bool no_migrate;          /* do not migrate at open: HE_CONFIG if the schema is behind */
};

/* ---------------------------------------------------------------------------------------- */
/* Opening, migrations, transactions                                                        */

/**
 * Opens a store: a `postgresql://` or `postgres://` URL selects PostgreSQL (libpq conninfo),
 * anything else is a SQLite file path (created if missing, its folder must exist). Applies
 * the pending migrations unless opts->no_migrate. opts may be NULL (defaults). Errors:
 * HE_DB (cannot connect/open), HE_CONFIG (schema newer than this binary, or behind with
 * no_migrate).
 */
int store_open(const char *url_or_path, const struct store_options *opts,
               struct store **out) HU_MUST_CHECK;
/**
 * Where the database of a `--data DIR` / `--database URL_OR_PATH` pair is: database when
 * non-NULL and non-empty, else DIR/huard.db (data_dir NULL: "./data"), creating DIR with
 * mode 0700 when missing. *out is a new string. HE_IO when the folder cannot be created.
 * Used by `huard serve`, `migrate` and `user` so that they agree.
 */
int store_location(const char *data_dir, const char *database, char **out) HU_MUST_CHECK;
/** Closes every connection; no transaction may be open. NULL does nothing. */
void store_close(struct store *s);
/** "sqlite" or "postgresql". */
const char *store_backend_name(const struct store *s);
/** Schema version of the open database (after migrations) and the latest this binary knows. */
int store_schema_version(struct store *s, int *current, int *latest) HU_MUST_CHECK;

/** Begins a write transaction (SQLite: a savepoint in the group-commit batch). */
int store_tx_begin(struct store *s, struct store_tx **out) HU_MUST_CHECK;
/** Begins a read-only transaction on a read connection; write operations return HE_INTERNAL. */
int store_tx_begin_read(struct store *s, struct store_tx **out) HU_MUST_CHECK;
/**
 * Commits and frees tx. For a write transaction returns 0 only once the change is durable.
 * On failure nothing of tx is committed (HE_DB, or the error that poisoned tx).
 */
int store_tx_commit(struct store_tx *tx) HU_MUST_CHECK;
/** Rolls back and frees tx. NULL does nothing. */
void store_tx_rollback(struct store_tx *tx);

/* ---------------------------------------------------------------------------------------- */
/* Enumerations stored as text; *_name() gives the stored/wire word, *_parse() reads it.    */

enum store_room_kind { STORE_ROOM_GROUP = 0, STORE_ROOM_DIRECT };
enum store_visibility { STORE_VISIBILITY_PRIVATE = 0, STORE_VISIBILITY_PUBLIC };
enum store_history { STORE_HISTORY_SHARED = 0, STORE_HISTORY_JOINED, STORE_HISTORY_INVITED };
enum store_role { STORE_ROLE_MEMBER = 0, STORE_ROLE_ADMIN, STORE_ROLE_OWNER };
enum store_notify { STORE_NOTIFY_ALL = 0, STORE_NOTIFY_MENTIONS, STORE_NOTIFY_NONE };
enum store_direction { STORE_DESC = 0, STORE_ASC };

const char *store_room_kind_name(enum store_room_kind k);   /* "group" | "direct" */
const char *store_visibility_name(enum store_visibility v); /* "private" | "public" */
const char *store_history_name(enum store_history h);       /* "shared" | "joined" | "invited" */
const char *store_role_name(enum store_role r);             /* "member" | "admin" | "owner" */
const char *store_notify_name(enum store_notify n);         /* "all" | "mentions" | "none" */
/** Each returns 0, or HE_INVAL for an unknown word. */
int store_room_kind_parse(const char *s, enum store_room_kind *out) HU_MUST_CHECK;
int store_visibility_parse(const char *s, enum store_visibility *out) HU_MUST_CHECK;
int store_history_parse(const char *s, enum store_history *out) HU_MUST_CHECK;
int store_role_parse(const char *s, enum store_role *out) HU_MUST_CHECK;
int store_notify_parse(const char *s, enum store_notify *out) HU_MUST_CHECK;

/** Current wall-clock time in microseconds since the epoch (what "now" means in the store). */
int64_t store_now_us(void);

/* ---------------------------------------------------------------------------------------- */
/* Tenants and server settings                                                              */

struct store_tenant {
    char uuid[UUID_STR_LEN]; /* "" on input: generated */
    char *name;
    bool is_default;
    int64_t created_at;
};
void store_tenant_free(struct store_tenant *t);

/** Creates a tenant. HE_EXISTS when its uuid exists or a default tenant already exists. */
int store_tenant_create(struct store_tx *tx, struct store_tenant *t) HU_MUST_CHECK;
/** HE_NOT_FOUND when unknown. */
int store_tenant_get(struct store_tx *tx, const char *uuid,
                     struct store_tenant **out) HU_MUST_CHECK;
/** The default tenant; HE_NOT_FOUND when none was created yet. */
int store_tenant_get_default(struct store_tx *tx, struct store_tenant **out) HU_MUST_CHECK;
/** The default tenant, created (name "default") if missing. Write transaction. */
int store_tenant_ensure_default(struct store_tx *tx, struct store_tenant **out) HU_MUST_CHECK;

/**
 * Server-wide key/value settings (e.g. "stack_uuid", the wazo_uuid/origin_uuid every instance
 * sharing the database must agree on). get: HE_NOT_FOUND when unset. put: insert or replace.
 */
int store_setting_get(struct store_tx *tx, const char *key, char **value_out) HU_MUST_CHECK;
int store_setting_put(struct store_tx *tx, const char *key, const char *value) HU_MUST_CHECK;

/* ---------------------------------------------------------------------------------------- */
/* Users                                                                                    */

struct store_user {
    char uuid[UUID_STR_LEN]; /* "" on input: generated (v4) */
    char tenant_uuid[UUID_STR_LEN];
    char *username;      /* unique per tenant, compared bytewise */
    char *password_hash; /* argon2id string (domain/password.h) */
    char *firstname;     /* NULL allowed */
    char *lastname;      /* NULL allowed */
    char *display_name;  /* NULL allowed */
    bool admin;
    int64_t created_at;
};
struct store_user_list {
    struct store_user *items;
    size_t count;
};
void store_user_free(struct store_user *u);
void store_user_list_free(struct store_user_list *l);

/** Adds a user. HE_EXISTS: username taken in the tenant (tx stays usable). */
int store_user_add(struct store_tx *tx, struct store_user *u) HU_MUST_CHECK;
/** HE_UNKNOWN_USER when unknown. */
int store_user_get(struct store_tx *tx, const char *uuid, struct store_user **out) HU_MUST_CHECK;
/** HE_UNKNOWN_USER when no such username in the tenant. */
int store_user_get_by_name(struct store_tx *tx, const char *tenant_uuid, const char *username,
                           struct store_user **out) HU_MUST_CHECK;
/** Users of a tenant ordered by username (bytewise). */
int store_user_list(struct store_tx *tx, const char *tenant_uuid,
                    struct store_user_list **out) HU_MUST_CHECK;
/** Counts the users of a tenant. */
int store_user_count(struct store_tx *tx, const char *tenant_uuid, int64_t *out) HU_MUST_CHECK;
/** HE_UNKNOWN_USER when unknown. */
int store_user_set_password(struct store_tx *tx, const char *uuid,
                            const char *password_hash) HU_MUST_CHECK;
/** Updates firstname, lastname, display_name and admin of u->uuid. HE_UNKNOWN_USER. */
int store_user_update(struct store_tx *tx, const struct store_user *u) HU_MUST_CHECK;
/**
 * Deletes a user with its tokens, presence, memberships and reactions; messages stay (their
 * user_uuid is kept as written). HE_UNKNOWN_USER when unknown.
 */
int store_user_delete(struct store_tx *tx, const char *uuid) HU_MUST_CHECK;

/* ---------------------------------------------------------------------------------------- */
/* Tokens (stored only as a hash)                                                           */

struct store_token {
    char hash[STORE_HASH_LEN]; /* hex SHA-256 of the token (password_token_hash()) */
    char user_uuid[UUID_STR_LEN];
    char tenant_uuid[UUID_STR_LEN];  /* output: the user's tenant */
    char session_uuid[UUID_STR_LEN]; /* "" on input: generated (v4) */
    int64_t issued_at;               /* 0 on input: now */
    int64_t expires_at;
    char **acl; /* ACL patterns (wazo-api.md 1.6), n_acl of them; no '\n' inside */
    size_t n_acl;
    bool admin;
    bool mobile;
    char *remote_addr; /* NULL allowed */
    char *user_agent;  /* NULL allowed */
};
void store_token_free(struct store_token *t);

/** Stores a token. HE_EXISTS: same hash; HE_NOT_FOUND: unknown user (poisons). */
int store_token_create(struct store_tx *tx, struct store_token *t) HU_MUST_CHECK;
/** HE_UNKNOWN_TOKEN when missing or expires_at <= now. */
int store_token_get(struct store_tx *tx, const char *hash, int64_t now,
                    struct store_token **out) HU_MUST_CHECK;
/** HE_UNKNOWN_TOKEN when missing. */
int store_token_delete(struct store_tx *tx, const char *hash) HU_MUST_CHECK;
/** Deletes tokens with expires_at <= now; *deleted (may be NULL) gets the count. */
int store_token_purge_expired(struct store_tx *tx, int64_t now, int64_t *deleted) HU_MUST_CHECK;
/** Unexpired sessions of a user: count, and whether one of them is mobile. */
int store_token_user_sessions(struct store_tx *tx, const char *user_uuid, int64_t now,
                              int64_t *count, bool *mobile) HU_MUST_CHECK;

/* ---------------------------------------------------------------------------------------- */
/* Presences (wazo-api.md 3.7)                                                              */

struct store_presence {
    char user_uuid[UUID_STR_LEN];
    char tenant_uuid[UUID_STR_LEN]; /* output */
    char *state;           /* "available" "away" "unavailable" "invisible" (domain checks) */
    char *status;          /* NULL allowed */
    int64_t last_activity; /* 0: never set */
    bool connected;        /* output: the user has an unexpired token at `now` */
    bool mobile;           /* output: one of those tokens is mobile */
};
struct store_presence_list {
    struct store_presence *items;
    size_t count;
    int64_t filtered; /* = count */
    int64_t total;    /* users of the tenant */
};
void store_presence_free(struct store_presence *p);
void store_presence_list_free(struct store_presence_list *l);

/** A user's presence; "unavailable" with no last_activity if never set. HE_UNKNOWN_USER. */
int store_presence_get(struct store_tx *tx, const char *user_uuid, int64_t now,
                       struct store_presence **out) HU_MUST_CHECK;
/** Sets state, status and last_activity (0: now) of p->user_uuid. HE_UNKNOWN_USER. */
int store_presence_put(struct store_tx *tx, struct store_presence *p) HU_MUST_CHECK;
/**
 * Presences of a tenant's users ordered by user uuid; with user_uuids (n > 0) only those users
 * (unknown or other-tenant ones silently absent). user_uuids NULL: every user.
 */
int store_presence_list(struct store_tx *tx, const char *tenant_uuid, const char *const *user_uuids,
                        size_t n_user_uuids, int64_t now,
                        struct store_presence_list **out) HU_MUST_CHECK;

/* ---------------------------------------------------------------------------------------- */
/* Rooms and members                                                                        */

struct store_member {
    char user_uuid[UUID_STR_LEN];
    char tenant_uuid[UUID_STR_LEN]; /* output: the user's tenant */
    enum store_role role;
    int64_t joined_at;  /* 0 on input: now (room_create: the room's created_at) */
    int64_t invited_at; /* 0 on input: joined_at; used by history_visibility "invited" */
    int64_t left_at;    /* output; 0 for current members */
    char read_message_uuid[UUID_STR_LEN]; /* read marker; "" none */
    int64_t read_at;                      /* created_at of that message; 0 none */
    enum store_notify notify;
};
struct store_member_list {
    struct store_member *items;
    size_t count;
};
void store_member_free(struct store_member *m);
void store_member_list_free(struct store_member_list *l);

struct store_room {
    char uuid[UUID_STR_LEN]; /* "" on input: generated (v4) */
    char tenant_uuid[UUID_STR_LEN];
    char *name;  /* NULL allowed */
    char *topic; /* NULL allowed */
    enum store_room_kind kind;
    enum store_visibility visibility;
    enum store_history history;
    int32_t max_members; /* stored; the domain enforces it */
    int64_t created_at;
    /* Current members ordered by joined_at then user uuid (input of room_create too). */
    struct store_member *members;
    size_t n_members;
};
struct store_room_list {
    struct store_room *items;
    size_t count;
};
void store_room_free(struct store_room *r);
void store_room_list_free(struct store_room_list *l);

/**
 * Creates a room with its members (duplicate user uuids: HE_EXISTS, unknown user or tenant:
 * HE_NOT_FOUND; both poison the tx, so the domain checks first).
 */
int store_room_create(struct store_tx *tx, struct store_room *r) HU_MUST_CHECK;
/**
 * The room of the tenant whose current member set is exactly user_uuids (set equality;
 * the list must hold no duplicates), for chatd's idempotent create (wazo-api.md 3.2).
 * When several match, the oldest. HE_UNKNOWN_ROOM when none. In a write transaction on
 * PostgreSQL it also takes a per-tenant lock so that two concurrent identical creates
 * serialize (SQLite serializes writers anyway).
 */
int store_room_find_exact(struct store_tx *tx, const char *tenant_uuid,
                          const char *const *user_uuids, size_t n,
                          struct store_room **out) HU_MUST_CHECK;
/**
 * A room with its current members. viewer_uuid non-NULL: HE_UNKNOWN_ROOM unless the viewer is
 * a current member. NULL: no membership check (public rooms, admin).
 */
int store_room_get(struct store_tx *tx, const char *room_uuid, const char *viewer_uuid,
                   struct store_room **out) HU_MUST_CHECK;
/**
 * Rooms where user_uuid is a current member and so is every uuid of with (may be NULL/0),
 * wazo-api.md 3.3; ordered by created_at then uuid.
 */
int store_room_list_for_user(struct store_tx *tx, const char *user_uuid, const char *const *with,
                             size_t n_with, struct store_room_list **out) HU_MUST_CHECK;
/** Public rooms of a tenant, ordered by created_at then uuid. */
int store_room_list_public(struct store_tx *tx, const char *tenant_uuid,
                           struct store_room_list **out) HU_MUST_CHECK;
/** Updates name, topic, visibility, history and max_members of r->uuid. HE_UNKNOWN_ROOM. */
int store_room_update(struct store_tx *tx, const struct store_room *r) HU_MUST_CHECK;

/**
 * Adds a member (m->user_uuid, role, joined_at, invited_at, notify). A former member who left
 * rejoins (left_at cleared, new joined_at, read marker kept). HE_EXISTS: already a current
 * member (tx usable). Unknown room/user: HE_NOT_FOUND (poisons).
 */
int store_member_add(struct store_tx *tx, const char *room_uuid,
                     struct store_member *m) HU_MUST_CHECK;
/** Marks a current member as left at left_at (0: now). HE_NOT_FOUND if not a current member. */
int store_member_leave(struct store_tx *tx, const char *room_uuid, const char *user_uuid,
                       int64_t left_at) HU_MUST_CHECK;
/** A current member. HE_NOT_FOUND otherwise. */
int store_member_get(struct store_tx *tx, const char *room_uuid, const char *user_uuid,
                     struct store_member **out) HU_MUST_CHECK;
/** Current members ordered by joined_at then user uuid (a room that does not exist: empty). */
int store_member_list(struct store_tx *tx, const char *room_uuid,
                      struct store_member_list **out) HU_MUST_CHECK;
/** Number of current members. */
int store_member_count(struct store_tx *tx, const char *room_uuid, int64_t *out) HU_MUST_CHECK;
/** HE_NOT_FOUND if not a current member. */
int store_member_set_role(struct store_tx *tx, const char *room_uuid, const char *user_uuid,
                          enum store_role role) HU_MUST_CHECK;
/** Moves the read marker (message uuid and its created_at). HE_NOT_FOUND if not a member. */
int store_member_set_read(struct store_tx *tx, const char *room_uuid, const char *user_uuid,
                          const char *message_uuid, int64_t read_at) HU_MUST_CHECK;
/** HE_NOT_FOUND if not a current member. */
int store_member_set_notify(struct store_tx *tx, const char *room_uuid, const char *user_uuid,
                            enum store_notify notify) HU_MUST_CHECK;
/**
 * Messages of the room visible to the member, not written by them and not deleted, created
 * after their read marker. HE_NOT_FOUND if not a current member.
 */
int store_member_unread(struct store_tx *tx, const char *room_uuid, const char *user_uuid,
                        int64_t *out) HU_MUST_CHECK;

/* ---------------------------------------------------------------------------------------- */
/* Messages, versions, reactions                                                            */

struct store_reaction {
    char *emoji;
    int64_t count;
    char (*user_uuids)[UUID_STR_LEN]; /* count of them, oldest reaction first */
};

struct store_message {
    char uuid[UUID_STR_LEN]; /* "" on input: generated (v7) */
    char room_uuid[UUID_STR_LEN];
    char tenant_uuid[UUID_STR_LEN];
    char user_uuid[UUID_STR_LEN]; /* author */
    char *alias;                  /* NULL allowed */
    char *content;                /* "" for a tombstone */
    /*
     * Input only (NULL in results): the content case- and accent-folded by the caller
     * (utf8proc), which searches match against. Required on append/edit ("" allowed).
     */
    char *content_search;
    char *content_html;             /* rendered once per version; NULL allowed */
    char *mentions;                 /* JSON text (domain's format); NULL allowed */
    char thread_uuid[UUID_STR_LEN]; /* thread root; "" when not a reply */
    int64_t created_at;             /* 0 on input: now */
    int64_t edited_at;              /* 0: never edited */
    int64_t deleted_at;             /* 0: not deleted */
    /* Output only, filled by get/page/search: */
    int64_t reply_count;              /* replies whose thread_uuid is this message */
    struct store_reaction *reactions; /* ordered by first reaction time, then emoji */
    size_t n_reactions;
};
struct store_message_list {
    struct store_message *items;
    size_t count;
    int64_t filtered; /* after search/from_date/distinct (wazo-api.md 3.4, 3.6) */
    int64_t total;    /* every message the viewer may see in scope */
};
void store_message_free(struct store_message *m);
void store_message_list_free(struct store_message_list *l);

/**
 * Appends a message; the tenant comes from the room (written back to m->tenant_uuid).
 * Unknown room: HE_NOT_FOUND (tx usable). Unknown thread root: HE_NOT_FOUND (poisons; the
 * domain checks the root first). The store does not check membership: the domain does.
 */
int store_message_append(struct store_tx *tx, struct store_message *m) HU_MUST_CHECK;
/**
 * One message with reply_count and reactions. viewer_uuid non-NULL: HE_UNKNOWN_MESSAGE unless
 * the viewer is a current member of its room allowed by the room's history visibility.
 */
int store_message_get(struct store_tx *tx, const char *uuid, const char *viewer_uuid,
                      struct store_message **out) HU_MUST_CHECK;
/**
 * Replaces content, content_search, content_html and mentions, sets edited_at (0: now) and
 * keeps the previous version in the versions table. HE_UNKNOWN_MESSAGE (also when deleted).
 */
int store_message_edit(struct store_tx *tx, const char *uuid, const char *content,
                       const char *content_search, const char *content_html, const char *mentions,
                       int64_t edited_at) HU_MUST_CHECK;
/**
 * Tombstone: content "", html and mentions NULL, versions dropped, deleted_at set (0: now);
 * uuid, position, reactions and replies stay. HE_UNKNOWN_MESSAGE (also when already deleted).
 */
int store_message_delete(struct store_tx *tx, const char *uuid, int64_t deleted_at) HU_MUST_CHECK;

enum store_thread_filter {
    STORE_THREAD_ALL = 0, /* every message (chatd's view) */
    STORE_THREAD_ROOTS,   /* messages that are not replies */
    STORE_THREAD_REPLIES, /* replies to thread_uuid */
};

struct store_page_query {
    const char *viewer_uuid;        /* required: must be a current member; visibility applies */
    int64_t limit;                  /* < 0: no limit; 0: no items (counts still computed) */
    int64_t offset;                 /* >= 0 */
    enum store_direction direction; /* STORE_DESC (default, newest first) or STORE_ASC */
    bool has_from_date;
    int64_t from_date; /* created_at >= from_date */
    /*
     * Search: words already case/accent-folded by the caller, matched in this order as
     * LIKE '%w1%w2%...' on content_search (the store escapes % _ \). n_words 0: no search.
     */
    const char *const *words;
    size_t n_words;
    /*
     * Or a ready LIKE pattern on content_search, escaped with '\\' (text/fold.h
     * fold_like_pattern()); when non-NULL it is used instead of words.
     */
    const char *pattern;
    enum store_thread_filter threads;
    const char *thread_uuid; /* for STORE_THREAD_REPLIES */
};

/**
 * One page of a room's history ordered by (created_at, uuid) in q->direction, with
 * filtered (search, from_date, thread filter) and total (all messages the viewer may see).
 * HE_UNKNOWN_ROOM when the room does not exist or the viewer is not a current member.
 */
int store_message_page(struct store_tx *tx, const char *room_uuid, const struct store_page_query *q,
                       struct store_message_list **out) HU_MUST_CHECK;

struct store_search_query {
    const char *user_uuid; /* scope: rooms where this user is a current member */
    int64_t limit;         /* < 0: no limit */
    int64_t offset;
    enum store_direction direction;
    const char *const *words; /* as in store_page_query; may be 0 words with distinct_room */
    size_t n_words;
    const char *pattern; /* as in store_page_query */
    bool distinct_room;  /* keep only the latest (matching) message per room (wazo-api.md 3.6) */
};
/** Messages across the user's rooms (wazo-api.md 3.6), ordered by (created_at, uuid). */
int store_message_search(struct store_tx *tx, const struct store_search_query *q,
                         struct store_message_list **out) HU_MUST_CHECK;

struct store_message_version {
    int32_t version; /* 1 = the original */
    char *content;
    char *content_html;
    char *mentions;
    int64_t created_at; /* when this version was written */
};
struct store_message_version_list {
    struct store_message_version *items;
    size_t count;
};
void store_message_version_list_free(struct store_message_version_list *l);
/** Previous versions of a message, oldest first (the current one is the message itself). */
int store_message_versions(struct store_tx *tx, const char *uuid,
                           struct store_message_version_list **out) HU_MUST_CHECK;

/**
 * Adds a reaction (primary key message, user, emoji; created_at 0: now). HE_EXISTS when this
 * user already added this emoji (tx usable). Unknown message/user: HE_NOT_FOUND (poisons).
 */
int store_reaction_add(struct store_tx *tx, const char *message_uuid, const char *user_uuid,
                       const char *emoji, int64_t created_at) HU_MUST_CHECK;
/** HE_NOT_FOUND when that reaction does not exist. */
int store_reaction_remove(struct store_tx *tx, const char *message_uuid, const char *user_uuid,
                          const char *emoji) HU_MUST_CHECK;

/* ---------------------------------------------------------------------------------------- */
/* Files (metadata; the bytes live in the attachments folder)                               */

struct store_file {
    char uuid[UUID_STR_LEN]; /* "" on input: generated (v4) */
    char tenant_uuid[UUID_STR_LEN];
    char user_uuid[UUID_STR_LEN];    /* uploader */
    char room_uuid[UUID_STR_LEN];    /* "" none */
    char message_uuid[UUID_STR_LEN]; /* "" until attached */
    char *name;
    char *content_type;
    int64_t size;
    char *sha256;      /* hex; NULL allowed */
    char *storage_key; /* path relative to the attachments folder */
    int32_t width;     /* images; 0 unknown */
    int32_t height;
    int64_t created_at;
};
struct store_file_list {
    struct store_file *items;
    size_t count;
};
void store_file_free(struct store_file *f);
void store_file_list_free(struct store_file_list *l);

int store_file_add(struct store_tx *tx, struct store_file *f) HU_MUST_CHECK;
/** HE_NOT_FOUND when unknown. */
int store_file_get(struct store_tx *tx, const char *uuid, struct store_file **out) HU_MUST_CHECK;
/** Attaches a file to a message. HE_NOT_FOUND when the file is unknown. */
int store_file_attach(struct store_tx *tx, const char *file_uuid,
                      const char *message_uuid) HU_MUST_CHECK;
/** Files attached to a message, ordered by created_at then uuid. */
int store_file_list_for_message(struct store_tx *tx, const char *message_uuid,
                                struct store_file_list **out) HU_MUST_CHECK;
/** HE_NOT_FOUND when unknown. */
int store_file_delete(struct store_tx *tx, const char *uuid) HU_MUST_CHECK;

/* ---------------------------------------------------------------------------------------- */
/* Events outbox (DESIGN.md section 2)                                                      */

struct store_event {
    int64_t seq; /* output: global sequence, strictly increasing in commit order */
    char *name;  /* e.g. "chatd_user_room_message_created" */
    char tenant_uuid[UUID_STR_LEN];
    char room_uuid[UUID_STR_LEN];     /* "" none */
    bool tenant_wide;                 /* every user of the tenant (wazo `user_uuid:*`) */
    char (*recipients)[UUID_STR_LEN]; /* user uuids, n_recipients of them */
    size_t n_recipients;
    char *payload; /* rendered once (JSON text), payload_len bytes, no NUL inside */
    size_t payload_len;
    int64_t created_at; /* 0 on input: now */
};
struct store_event_list {
    struct store_event *items;
    size_t count;
};
void store_event_free(struct store_event *e);
void store_event_list_free(struct store_event_list *l);

/** Appends an event to the outbox in tx (fills ev->seq, ev->created_at). Write transaction. */
int store_event_append(struct store_tx *tx, struct store_event *ev) HU_MUST_CHECK;
/** Committed events with seq > after_seq, ascending, at most limit of them. */
int store_event_read_after(struct store_tx *tx, int64_t after_seq, size_t limit,
                           struct store_event_list **out) HU_MUST_CHECK;
/** Highest committed sequence, 0 when the outbox is empty. */
int store_event_last_seq(struct store_tx *tx, int64_t *out) HU_MUST_CHECK;
/** Deletes events with seq < before_seq (the sequence never goes back). */
int store_event_prune(struct store_tx *tx, int64_t before_seq) HU_MUST_CHECK;

#endif
