#include "store/sql/statements.h"

#include <pthread.h>
#include <string.h>

#include "base/alloc.h"
#include "base/banned.h"

/*
 * Column lists shared by the statements that fill the same struct (ops.c reads them by
 * position, see the row_*() helpers there).
 */
#define TENANT_COLS "t.uuid, t.name, t.is_default, t.created_at"
#define USER_COLS                                                                                  \
    "u.uuid, u.tenant_uuid, u.username, u.password_hash, u.firstname, u.lastname, "                \
    "u.display_name, u.admin, u.created_at"
#define TOKEN_COLS                                                                                 \
    "t.hash, t.user_uuid, u.tenant_uuid, t.session_uuid, t.issued_at, t.expires_at, t.acl, "       \
    "t.admin, t.mobile, t.remote_addr, t.user_agent"
/* ?2 is "now" in both presence statements. */
#define PRESENCE_COLS                                                                              \
    "u.uuid, u.tenant_uuid, COALESCE(p.state, 'unavailable'), p.status, p.last_activity, "         \
    "CASE WHEN EXISTS (SELECT 1 FROM tokens t WHERE t.user_uuid = u.uuid AND t.expires_at > ?2) "  \
    "THEN 1 ELSE 0 END, "                                                                          \
    "CASE WHEN EXISTS (SELECT 1 FROM tokens t WHERE t.user_uuid = u.uuid AND t.expires_at > ?2 "   \
    "AND t.mobile = 1) THEN 1 ELSE 0 END "                                                         \
    "FROM users u LEFT JOIN presences p ON p.user_uuid = u.uuid "
#define ROOM_COLS                                                                                  \
    "r.uuid, r.tenant_uuid, r.name, r.topic, r.kind, r.visibility, r.history_visibility, "         \
    "r.max_members, r.created_at"
/* mb.tenant_uuid is the member's own tenant, copied from users at insert (schema v2), so a
 * room's members come from room_members alone (issue 6: the join cost a message post 0.3 ms
 * per 1,000 members). */
#define MEMBER_COLS                                                                                \
    "mb.room_uuid, mb.user_uuid, mb.tenant_uuid, mb.role, mb.joined_at, mb.invited_at, "           \
    "mb.left_at, mb.read_message_uuid, mb.read_at, mb.notify "                                     \
    "FROM room_members mb "
#define MSG_COLS                                                                                   \
    "m.uuid, m.room_uuid, m.tenant_uuid, m.user_uuid, m.alias, m.content, m.content_html, "        \
    "m.mentions, m.thread_uuid, m.created_at, m.edited_at, m.deleted_at, "                         \
    "(SELECT count(*) FROM messages t WHERE t.thread_uuid = m.uuid)"
#define FILE_COLS                                                                                  \
    "f.uuid, f.tenant_uuid, f.user_uuid, f.room_uuid, f.message_uuid, f.name, f.content_type, "    \
    "f.size, f.sha256, f.storage_key, f.width, f.height, f.created_at"
/* A large recipient list lives once in event_recipients, shared by the events naming it. */
#define EVENT_COLS                                                                                 \
    "e.seq, e.name, e.tenant_uuid, e.room_uuid, e.tenant_wide, "                                   \
    "COALESCE(r.recipients, e.recipients), e.payload, e.created_at "                               \
    "FROM events e LEFT JOIN event_recipients r ON r.id = e.recipients_id"

/*
 * History visibility (DESIGN.md section 5), checked in the query: `m` a message, `r` its room,
 * `mb` the viewer's current membership row.
 */
#define VISIBLE                                                                                    \
    " (r.history_visibility = 'shared' OR m.created_at >= CASE r.history_visibility "              \
    "WHEN 'joined' THEN mb.joined_at ELSE mb.invited_at END) "
/* `m` joined with the room and the viewer (?2 in the page statements). */
#define VIEWER_JOIN(viewer)                                                                        \
    " FROM messages m JOIN rooms r ON r.uuid = m.room_uuid JOIN room_members mb ON "               \
    "mb.room_uuid = m.room_uuid AND mb.user_uuid = " viewer " AND mb.left_at IS NULL "

/*
 * Page filters: ?3 from_date (NULL: none), ?4 LIKE pattern (NULL: no search), ?5 thread mode
 * (0 all, 1 roots, 2 replies of ?6).
 */
#define PAGE_FILTER                                                                                \
    " (CAST(?3 AS BIGINT) IS NULL OR m.created_at >= ?3) "                                         \
    "AND (CAST(?4 AS TEXT) IS NULL OR m.content_search LIKE ?4 ESCAPE '\\') "                      \
    "AND (CAST(?5 AS INTEGER) = 0 OR (?5 = 1 AND m.thread_uuid IS NULL) "                          \
    "OR (?5 = 2 AND m.thread_uuid = ?6)) "
#define PAGE_SELECT                                                                                \
    "SELECT " MSG_COLS VIEWER_JOIN("?2") "WHERE m.room_uuid = ?1 AND" VISIBLE "AND" PAGE_FILTER

/*
 * Search across the rooms of ?1: visible messages, those matching ?2 (NULL: all), numbered per
 * room newest first so that ?3 = 1 keeps the latest one per room (wazo-api.md 3.6).
 */
#define SEARCH_CTE                                                                                 \
    "WITH vis AS (SELECT m.uuid AS uuid, m.room_uuid AS room_uuid, m.created_at AS created_at, "   \
    "m.content_search AS content_search" VIEWER_JOIN(                                              \
        "?1") "WHERE" VISIBLE "), "                                                                \
              "f AS (SELECT vis.uuid, vis.created_at, ROW_NUMBER() OVER (PARTITION BY "            \
              "vis.room_uuid "                                                                     \
              "ORDER BY vis.created_at DESC, vis.uuid DESC) AS rn FROM vis "                       \
              "WHERE CAST(?2 AS TEXT) IS NULL OR vis.content_search LIKE ?2 ESCAPE '\\') "
#define SEARCH_SELECT                                                                              \
    SEARCH_CTE "SELECT " MSG_COLS " FROM f JOIN messages m ON m.uuid = f.uuid "                    \
               "WHERE CAST(?3 AS INTEGER) = 0 OR f.rn = 1 "

static const char *const sql_texts[SQL__COUNT][2] = {
    [SQL_TENANT_INSERT] = {"INSERT INTO tenants (uuid, name, is_default, created_at) "
                           "VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING"},
    [SQL_TENANT_GET] = {"SELECT " TENANT_COLS " FROM tenants t WHERE t.uuid = ?1"},
    [SQL_TENANT_GET_DEFAULT] = {"SELECT " TENANT_COLS " FROM tenants t WHERE t.is_default = 1"},
    [SQL_SETTING_GET] = {"SELECT value FROM settings WHERE key = ?1"},
    [SQL_SETTING_PUT] = {"INSERT INTO settings (key, value) VALUES (?1, ?2) "
                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value"},

    [SQL_USER_INSERT] = {"INSERT INTO users (uuid, tenant_uuid, username, password_hash, "
                         "firstname, lastname, display_name, admin, created_at) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING"},
    [SQL_USER_GET] = {"SELECT " USER_COLS " FROM users u WHERE u.uuid = ?1"},
    [SQL_USER_GET_BY_NAME] = {"SELECT " USER_COLS
                              " FROM users u WHERE u.tenant_uuid = ?1 AND u.username = ?2"},
    [SQL_USER_LIST] = {"SELECT " USER_COLS
                       " FROM users u WHERE u.tenant_uuid = ?1 ORDER BY u.username, u.uuid"},
    [SQL_USER_COUNT] = {"SELECT count(*) FROM users WHERE tenant_uuid = ?1"},
    [SQL_USER_SET_PASSWORD] = {"UPDATE users SET password_hash = ?2 WHERE uuid = ?1"},
    [SQL_USER_UPDATE] = {"UPDATE users SET firstname = ?2, lastname = ?3, display_name = ?4, "
                         "admin = ?5 WHERE uuid = ?1"},
    [SQL_USER_DELETE] = {"DELETE FROM users WHERE uuid = ?1"},
    [SQL_USER_EXISTS] = {"SELECT 1 FROM users WHERE uuid = ?1"},

    [SQL_TOKEN_INSERT] = {"INSERT INTO tokens (hash, user_uuid, session_uuid, issued_at, "
                          "expires_at, acl, admin, mobile, remote_addr, user_agent) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
                          "ON CONFLICT DO NOTHING"},
    [SQL_TOKEN_GET] = {"SELECT " TOKEN_COLS " FROM tokens t JOIN users u ON u.uuid = t.user_uuid "
                       "WHERE t.hash = ?1 AND t.expires_at > ?2"},
    [SQL_TOKEN_DELETE] = {"DELETE FROM tokens WHERE hash = ?1"},
    [SQL_TOKEN_PURGE] = {"DELETE FROM tokens WHERE expires_at <= ?1"},
    [SQL_TOKEN_SESSIONS] = {"SELECT count(*), COALESCE(max(mobile), 0) FROM tokens "
                            "WHERE user_uuid = ?1 AND expires_at > ?2"},

    [SQL_PRESENCE_GET] = {"SELECT " PRESENCE_COLS "WHERE u.uuid = ?1"},
    [SQL_PRESENCE_PUT] = {"INSERT INTO presences (user_uuid, state, status, last_activity) "
                          "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (user_uuid) DO UPDATE SET "
                          "state = excluded.state, status = excluded.status, "
                          "last_activity = excluded.last_activity"},
    [SQL_PRESENCE_LIST_ALL] = {"SELECT " PRESENCE_COLS "WHERE u.tenant_uuid = ?1 ORDER BY u.uuid"},
    [SQL_PRESENCE_LIST_SOME] = {"SELECT " PRESENCE_COLS "WHERE u.tenant_uuid = ?1 AND u.uuid IN "
                                "(SELECT value FROM JSON_TEXT_ARRAY(?3)) ORDER BY u.uuid"},

    [SQL_ROOM_INSERT] = {"INSERT INTO rooms (uuid, tenant_uuid, name, topic, kind, visibility, "
                         "history_visibility, max_members, created_at) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING"},
    /* SQLite serializes writers already; PostgreSQL serializes identical creates per tenant. */
    [SQL_ROOM_LOCK_TENANT] = {NULL, "SELECT 1 FROM (SELECT pg_advisory_xact_lock("
                                    "hashtext('huard.rooms.' || ?1))) AS l"},
    /*
     * ?1 tenant, ?2 member count, ?3 JSON array of the members, ?4 one of them (the candidate
     * rooms are that user's, so the scan is bounded by one user's rooms).
     */
    [SQL_ROOM_FIND_EXACT] = {"SELECT r.uuid FROM rooms r WHERE r.tenant_uuid = ?1 AND r.uuid IN "
                             "(SELECT s.room_uuid FROM room_members s WHERE s.user_uuid = ?4 "
                             "AND s.left_at IS NULL) "
                             "AND (SELECT count(*) FROM room_members a WHERE a.room_uuid = r.uuid "
                             "AND a.left_at IS NULL) = CAST(?2 AS BIGINT) "
                             "AND (SELECT count(*) FROM room_members b WHERE b.room_uuid = r.uuid "
                             "AND b.left_at IS NULL AND b.user_uuid IN "
                             "(SELECT value FROM JSON_TEXT_ARRAY(?3))) = ?2 "
                             "ORDER BY r.created_at, r.uuid LIMIT 1"},
    [SQL_ROOM_GET] = {"SELECT " ROOM_COLS " FROM rooms r WHERE r.uuid = ?1"},
    [SQL_ROOM_GET_AS_MEMBER] =
        {"SELECT " ROOM_COLS " FROM rooms r JOIN room_members mb ON "
         "mb.room_uuid = r.uuid AND mb.user_uuid = ?2 AND mb.left_at IS NULL "
         "WHERE r.uuid = ?1"},
    /* ?2 JSON array of the other required members (deduplicated), ?3 their count. */
    [SQL_ROOM_LIST_FOR_USER] =
        {"SELECT " ROOM_COLS " FROM rooms r JOIN room_members mb ON "
         "mb.room_uuid = r.uuid AND mb.user_uuid = ?1 AND mb.left_at IS NULL "
         "WHERE (SELECT count(*) FROM room_members w WHERE w.room_uuid = "
         "r.uuid AND w.left_at IS NULL AND w.user_uuid IN "
         "(SELECT value FROM JSON_TEXT_ARRAY(?2))) = CAST(?3 AS BIGINT) "
         "ORDER BY r.created_at, r.uuid"},
    [SQL_ROOM_LIST_PUBLIC] = {"SELECT " ROOM_COLS " FROM rooms r WHERE r.tenant_uuid = ?1 AND "
                              "r.visibility = 'public' ORDER BY r.created_at, r.uuid"},
    [SQL_ROOM_UPDATE] = {"UPDATE rooms SET name = ?2, topic = ?3, visibility = ?4, "
                         "history_visibility = ?5, max_members = ?6 WHERE uuid = ?1"},

    [SQL_MEMBERS_OF_ROOMS] = {"SELECT " MEMBER_COLS
                              "WHERE mb.room_uuid IN (SELECT value FROM JSON_TEXT_ARRAY(?1)) "
                              "AND mb.left_at IS NULL "
                              "ORDER BY mb.room_uuid, mb.joined_at, mb.user_uuid"},
    /* An unknown user leaves tenant_uuid NULL and fails the user_uuid foreign key, as before. */
    [SQL_MEMBER_INSERT] = {"INSERT INTO room_members (room_uuid, user_uuid, role, joined_at, "
                           "invited_at, notify, tenant_uuid) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
                           "(SELECT u.tenant_uuid FROM users u WHERE u.uuid = ?2)) "
                           "ON CONFLICT DO NOTHING"},
    [SQL_MEMBER_REJOIN] = {"UPDATE room_members SET role = ?3, joined_at = ?4, invited_at = ?5, "
                           "left_at = NULL, notify = ?6 WHERE room_uuid = ?1 AND user_uuid = ?2 "
                           "AND left_at IS NOT NULL"},
    [SQL_MEMBER_LEAVE] = {"UPDATE room_members SET left_at = ?3 WHERE room_uuid = ?1 AND "
                          "user_uuid = ?2 AND left_at IS NULL"},
    [SQL_MEMBER_GET] = {"SELECT " MEMBER_COLS "WHERE mb.room_uuid = ?1 AND mb.user_uuid = ?2 "
                        "AND mb.left_at IS NULL"},
    [SQL_MEMBER_LIST] = {"SELECT " MEMBER_COLS "WHERE mb.room_uuid = ?1 AND mb.left_at IS NULL "
                         "ORDER BY mb.joined_at, mb.user_uuid"},
    [SQL_MEMBER_COUNT] = {"SELECT count(*) FROM room_members WHERE room_uuid = ?1 AND "
                          "left_at IS NULL"},
    [SQL_MEMBER_SET_ROLE] = {"UPDATE room_members SET role = ?3 WHERE room_uuid = ?1 AND "
                             "user_uuid = ?2 AND left_at IS NULL"},
    [SQL_MEMBER_SET_READ] = {"UPDATE room_members SET read_message_uuid = ?3, read_at = ?4 "
                             "WHERE room_uuid = ?1 AND user_uuid = ?2 AND left_at IS NULL"},
    [SQL_MEMBER_SET_NOTIFY] = {"UPDATE room_members SET notify = ?3 WHERE room_uuid = ?1 AND "
                               "user_uuid = ?2 AND left_at IS NULL"},
    [SQL_MEMBER_UNREAD] = {"SELECT count(*)" VIEWER_JOIN(
        "?2") "WHERE m.room_uuid = ?1 AND" VISIBLE
              "AND m.user_uuid <> ?2 AND m.deleted_at IS NULL AND "
              "(mb.read_at IS NULL OR m.created_at > mb.read_at)"},

    /* The room supplies the tenant; no row when the room is unknown. */
    [SQL_MESSAGE_INSERT] = {"INSERT INTO messages (uuid, room_uuid, tenant_uuid, user_uuid, alias, "
                            "content, content_search, content_html, mentions, thread_uuid, "
                            "created_at) SELECT ?1, r.uuid, r.tenant_uuid, ?3, ?4, ?5, ?6, ?7, ?8, "
                            "?9, CAST(?10 AS BIGINT) FROM rooms r WHERE r.uuid = ?2 "
                            "RETURNING tenant_uuid"},
    [SQL_MESSAGE_GET] = {"SELECT " MSG_COLS " FROM messages m WHERE m.uuid = ?1"},
    [SQL_MESSAGE_GET_VISIBLE] = {"SELECT " MSG_COLS VIEWER_JOIN(
        "?2") "WHERE m.uuid = ?1 AND" VISIBLE},
    [SQL_MESSAGE_VERSION_SAVE] = {"INSERT INTO message_versions (message_uuid, version, content, "
                                  "content_html, mentions, created_at) SELECT m.uuid, "
                                  "(SELECT COALESCE(max(v.version), 0) + 1 FROM message_versions v "
                                  "WHERE v.message_uuid = m.uuid), m.content, m.content_html, "
                                  "m.mentions, COALESCE(m.edited_at, m.created_at) FROM messages m "
                                  "WHERE m.uuid = ?1 AND m.deleted_at IS NULL"},
    [SQL_MESSAGE_EDIT] = {"UPDATE messages SET content = ?2, content_search = ?3, "
                          "content_html = ?4, mentions = ?5, edited_at = ?6 "
                          "WHERE uuid = ?1 AND deleted_at IS NULL"},
    [SQL_MESSAGE_DELETE] = {"UPDATE messages SET content = '', content_search = '', "
                            "content_html = NULL, mentions = NULL, deleted_at = ?2 "
                            "WHERE uuid = ?1 AND deleted_at IS NULL"},
    [SQL_MESSAGE_VERSIONS_DROP] = {"DELETE FROM message_versions WHERE message_uuid = ?1"},
    [SQL_MESSAGE_VERSIONS] = {"SELECT version, content, content_html, mentions, created_at "
                              "FROM message_versions WHERE message_uuid = ?1 ORDER BY version"},
    /* ?7 limit (a huge value for none), ?8 offset. */
    [SQL_MESSAGE_PAGE_DESC] = {PAGE_SELECT
                               "ORDER BY m.created_at DESC, m.uuid DESC LIMIT ?7 OFFSET ?8"},
    [SQL_MESSAGE_PAGE_ASC] = {PAGE_SELECT "ORDER BY m.created_at, m.uuid LIMIT ?7 OFFSET ?8"},
    [SQL_MESSAGE_PAGE_COUNT] = {"SELECT count(*), COALESCE(sum(CASE WHEN" PAGE_FILTER
                                "THEN 1 ELSE 0 END), 0)" VIEWER_JOIN("?2") "WHERE m.room_uuid = ?1 "
                                                                           "AND" VISIBLE},
    /* ?4 limit, ?5 offset. */
    [SQL_MESSAGE_SEARCH_DESC] = {SEARCH_SELECT
                                 "ORDER BY m.created_at DESC, m.uuid DESC LIMIT ?4 OFFSET ?5"},
    [SQL_MESSAGE_SEARCH_ASC] = {SEARCH_SELECT "ORDER BY m.created_at, m.uuid LIMIT ?4 OFFSET ?5"},
    [SQL_MESSAGE_SEARCH_COUNT] = {SEARCH_CTE
                                  "SELECT (SELECT count(*) FROM vis), "
                                  "(SELECT count(*) FROM f WHERE CAST(?3 AS INTEGER) = 0 "
                                  "OR f.rn = 1)"},

    [SQL_REACTIONS_OF] = {"SELECT message_uuid, emoji, user_uuid FROM reactions WHERE "
                          "message_uuid IN (SELECT value FROM JSON_TEXT_ARRAY(?1)) "
                          "ORDER BY message_uuid, created_at, emoji, user_uuid"},
    [SQL_REACTION_INSERT] = {"INSERT INTO reactions (message_uuid, user_uuid, emoji, created_at) "
                             "VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING"},
    [SQL_REACTION_DELETE] = {"DELETE FROM reactions WHERE message_uuid = ?1 AND user_uuid = ?2 "
                             "AND emoji = ?3"},

    [SQL_FILE_INSERT] =
        {"INSERT INTO files (uuid, tenant_uuid, user_uuid, room_uuid, message_uuid, "
         "name, content_type, size, sha256, storage_key, width, height, "
         "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
         "?13) ON CONFLICT DO NOTHING"},
    [SQL_FILE_GET] = {"SELECT " FILE_COLS " FROM files f WHERE f.uuid = ?1"},
    [SQL_FILE_ATTACH] = {"UPDATE files SET message_uuid = ?2 WHERE uuid = ?1"},
    [SQL_FILE_LIST_MESSAGE] = {"SELECT " FILE_COLS " FROM files f WHERE f.message_uuid = ?1 "
                               "ORDER BY f.created_at, f.uuid"},
    [SQL_FILE_DELETE] = {"DELETE FROM files WHERE uuid = ?1"},

    /*
     * PostgreSQL: the transaction-level advisory lock is taken before the sequence is drawn
     * and held until commit, so sequence order is commit order and a reader that saw seq N
     * never later finds a committed seq < N. NOTIFY is delivered at commit only.
     */
    [SQL_EVENT_INSERT] =
        {"INSERT INTO events (name, tenant_uuid, room_uuid, tenant_wide, recipients, payload, "
         "created_at, recipients_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING seq",
         "WITH l AS (SELECT pg_advisory_xact_lock(4851906582163014144)), "
         "ins AS (INSERT INTO events (name, tenant_uuid, room_uuid, tenant_wide, recipients, "
         "payload, created_at, recipients_id) SELECT ?1, ?2, ?3, CAST(?4 AS INTEGER), ?5, ?6, "
         "CAST(?7 AS BIGINT), CAST(?8 AS BIGINT) FROM l RETURNING seq) "
         "SELECT seq, pg_notify('huard_events', CAST(seq AS TEXT)) FROM ins"},
    [SQL_EVENT_READ_AFTER] = {"SELECT " EVENT_COLS " WHERE e.seq > ?1 "
                              "ORDER BY e.seq LIMIT ?2"},
    [SQL_EVENT_LAST_SEQ] = {"SELECT COALESCE(max(seq), 0) FROM events"},
    [SQL_EVENT_PRUNE] = {"DELETE FROM events WHERE seq < ?1"},
    /* ?1 the digest, ?2 the list itself (compared too: equal lists only, digest or not). */
    [SQL_RCPT_FIND] = {"SELECT id FROM event_recipients WHERE digest = ?1 AND recipients = ?2"},
    [SQL_RCPT_INSERT] = {"INSERT INTO event_recipients (digest, recipients) VALUES (?1, ?2) "
                         "RETURNING id"},
    [SQL_RCPT_PRUNE] = {"DELETE FROM event_recipients WHERE NOT EXISTS (SELECT 1 FROM events e "
                        "WHERE e.recipients_id = event_recipients.id)"},
};

static const char *const sql_names[SQL__COUNT] = {
#define SQL_NAME_(name) #name,
    SQL_IDS(SQL_NAME_)
#undef SQL_NAME_
};

static char *sql_built[SQL__COUNT][2];
static pthread_once_t sql_once = PTHREAD_ONCE_INIT;

/* Appends n bytes to a growing string. */
static void grow_append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (*len + n + 1 > *cap) {
        *cap = (*len + n + 1) * 2;
        *buf = xrealloc(*buf, *cap);
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = '\0';
}

/*
 * Rewrites the portable text for a dialect: JSON_TEXT_ARRAY(?n) becomes the dialect's set
 * function, and PostgreSQL gets $n for ?n. The texts hold no '?' outside parameters.
 */
static char *sql_translate(const char *src, enum sql_dialect d)
{
    static const char token[] = "JSON_TEXT_ARRAY(?";
    char *buf = NULL;
    size_t len = 0, cap = 0;
    grow_append(&buf, &len, &cap, "", 0);
    const char *p = src;
    while (*p != '\0') {
        if (strncmp(p, token, sizeof(token) - 1) == 0) {
            const char *num = p + sizeof(token) - 1;
            size_t nlen = strspn(num, "0123456789");
            BUG_ON(nlen == 0 || num[nlen] != ')');
            if (d == SQL_DIALECT_SQLITE) {
                grow_append(&buf, &len, &cap, "json_each(?", 11);
                grow_append(&buf, &len, &cap, num, nlen);
                grow_append(&buf, &len, &cap, ")", 1);
            } else {
                grow_append(&buf, &len, &cap, "json_array_elements_text(CAST($", 31);
                grow_append(&buf, &len, &cap, num, nlen);
                grow_append(&buf, &len, &cap, " AS json))", 10);
            }
            p = num + nlen + 1;
            continue;
        }
        if (*p == '?' && d == SQL_DIALECT_PG) {
            grow_append(&buf, &len, &cap, "$", 1);
        } else {
            grow_append(&buf, &len, &cap, p, 1);
        }
        p++;
    }
    return buf;
}

static void sql_build(void)
{
    for (int i = 0; i < SQL__COUNT; i++) {
        const char *common = sql_texts[i][0];
        const char *pg = sql_texts[i][1] != NULL ? sql_texts[i][1] : common;
        BUG_ON(common == NULL && pg == NULL);
        sql_built[i][SQL_DIALECT_SQLITE] =
            common != NULL ? sql_translate(common, SQL_DIALECT_SQLITE) : NULL;
        sql_built[i][SQL_DIALECT_PG] = sql_translate(pg, SQL_DIALECT_PG);
    }
}

const char *sql_text(enum sql_id id, enum sql_dialect d)
{
    BUG_ON(id < 0 || id >= SQL__COUNT);
    pthread_once(&sql_once, sql_build);
    return sql_built[id][d];
}

const char *sql_name(enum sql_id id)
{
    BUG_ON(id < 0 || id >= SQL__COUNT);
    return sql_names[id];
}
