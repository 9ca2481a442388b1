/*
 * statements: every SQL statement of the store's shared operations, written once for both
 * dialects (internal to src/store/).
 *
 * The text uses SQLite's numbered parameters `?1`, `?2`... (PostgreSQL gets `$1`, `$2`...) and
 * one portable token, JSON_TEXT_ARRAY(?n), a set with one column `value` holding the strings
 * of a JSON array parameter (SQLite json_each, PostgreSQL json_array_elements_text). Every
 * parameter number from 1 to the highest is used, since PostgreSQL infers each one's type;
 * parameters whose type it cannot infer are CAST. A statement may exist in one dialect only
 * (sql_text() returns NULL for the other, and the caller skips it).
 */
#ifndef HUARD_STORE_SQL_STATEMENTS_H
#define HUARD_STORE_SQL_STATEMENTS_H

#define SQL_IDS(X)                                                                                 \
    X(TENANT_INSERT)                                                                               \
    X(TENANT_GET)                                                                                  \
    X(TENANT_GET_DEFAULT)                                                                          \
    X(SETTING_GET)                                                                                 \
    X(SETTING_PUT)                                                                                 \
    X(USER_INSERT)                                                                                 \
    X(USER_GET)                                                                                    \
    X(USER_GET_BY_NAME)                                                                            \
    X(USER_LIST)                                                                                   \
    X(USER_COUNT)                                                                                  \
    X(USER_SET_PASSWORD)                                                                           \
    X(USER_UPDATE)                                                                                 \
    X(USER_DELETE)                                                                                 \
    X(USER_EXISTS)                                                                                 \
    X(TOKEN_INSERT)                                                                                \
    X(TOKEN_GET)                                                                                   \
    X(TOKEN_DELETE)                                                                                \
    X(TOKEN_PURGE)                                                                                 \
    X(TOKEN_SESSIONS)                                                                              \
    X(PRESENCE_GET)                                                                                \
    X(PRESENCE_PUT)                                                                                \
    X(PRESENCE_LIST_ALL)                                                                           \
    X(PRESENCE_LIST_SOME)                                                                          \
    X(ROOM_INSERT)                                                                                 \
    X(ROOM_LOCK_TENANT)                                                                            \
    X(ROOM_FIND_EXACT)                                                                             \
    X(ROOM_GET)                                                                                    \
    X(ROOM_GET_AS_MEMBER)                                                                          \
    X(ROOM_LIST_FOR_USER)                                                                          \
    X(ROOM_LIST_PUBLIC)                                                                            \
    X(ROOM_UPDATE)                                                                                 \
    X(MEMBERS_OF_ROOMS)                                                                            \
    X(MEMBER_INSERT)                                                                               \
    X(MEMBER_REJOIN)                                                                               \
    X(MEMBER_LEAVE)                                                                                \
    X(MEMBER_GET)                                                                                  \
    X(MEMBER_LIST)                                                                                 \
    X(MEMBER_COUNT)                                                                                \
    X(MEMBER_SET_ROLE)                                                                             \
    X(MEMBER_SET_READ)                                                                             \
    X(MEMBER_SET_NOTIFY)                                                                           \
    X(MEMBER_UNREAD)                                                                               \
    X(MESSAGE_INSERT)                                                                              \
    X(MESSAGE_GET)                                                                                 \
    X(MESSAGE_GET_VISIBLE)                                                                         \
    X(MESSAGE_VERSION_SAVE)                                                                        \
    X(MESSAGE_EDIT)                                                                                \
    X(MESSAGE_DELETE)                                                                              \
    X(MESSAGE_VERSIONS_DROP)                                                                       \
    X(MESSAGE_VERSIONS)                                                                            \
    X(MESSAGE_PAGE_DESC)                                                                           \
    X(MESSAGE_PAGE_ASC)                                                                            \
    X(MESSAGE_PAGE_COUNT)                                                                          \
    X(MESSAGE_SEARCH_DESC)                                                                         \
    X(MESSAGE_SEARCH_ASC)                                                                          \
    X(MESSAGE_SEARCH_COUNT)                                                                        \
    X(REACTIONS_OF)                                                                                \
    X(REACTION_INSERT)                                                                             \
    X(REACTION_DELETE)                                                                             \
    X(FILE_INSERT)                                                                                 \
    X(FILE_GET)                                                                                    \
    X(FILE_ATTACH)                                                                                 \
    X(FILE_LIST_MESSAGE)                                                                           \
    X(FILE_DELETE)                                                                                 \
    X(EVENT_INSERT)                                                                                \
    X(EVENT_READ_AFTER)                                                                            \
    X(EVENT_LAST_SEQ)                                                                              \
    X(EVENT_PRUNE)                                                                                 \
    X(RCPT_FIND)                                                                                   \
    X(RCPT_INSERT)                                                                                 \
    X(RCPT_PRUNE)

enum sql_id {
#define SQL_ID_ENUM_(name) SQL_##name,
    SQL_IDS(SQL_ID_ENUM_)
#undef SQL_ID_ENUM_
        SQL__COUNT
};

enum sql_dialect { SQL_DIALECT_SQLITE = 0, SQL_DIALECT_PG };

/** The statement's text in a dialect, or NULL when it has none there. Thread-safe. */
const char *sql_text(enum sql_id id, enum sql_dialect d);
/** Short name for logs ("MESSAGE_INSERT"). */
const char *sql_name(enum sql_id id);

#endif
