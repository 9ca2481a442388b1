/*
 * PostgreSQL backend (libpq): a pool of connections, one per running transaction.
 *
 * A transaction checks a connection out of the pool (opening one while fewer than
 * max_connections exist, else waiting), runs BEGIN .. COMMIT on it and gives it back; a
 * worker thread thus uses one connection at a time, and the pool never holds more than the
 * number of concurrent transactions. Write transactions run at READ COMMITTED (PostgreSQL's
 * default); read transactions at REPEATABLE READ READ ONLY so that a page and its counts come
 * from one snapshot. Statements are prepared once per connection (named h<id>), all
 * parameters in text format. Uniqueness, foreign keys and CHECKs are the same as SQLite's
 * (migrations.c), and the domain statements are shared (store/sql/), so both backends give
 * the same answers. Events: see SQL_EVENT_INSERT (advisory lock + pg_notify in the tx).
 */
#define LOG_MODULE "store"
#include <inttypes.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "store/backend.h"
#include "store/migrations/migrations.h"
#include "base/banned.h"

/* Serializes migrations of concurrently starting instances ("huard.mig" in ASCII). */
#define PG_MIGRATION_LOCK "6879657132746967"

struct pg_conn {
    PGconn *conn;
    bool prepared[SQL__COUNT];
    struct pg_conn *next;
};

struct pg_store {
    struct store base;
    char *url;
    struct store_options opts;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    struct pg_conn *idle;
    unsigned nconns;
};

struct pg_tx {
    struct store_tx base;
    struct pg_conn *c;
};

static const struct store_ops pg_ops;

static void notice_ignore(void *arg, const PGresult *res)
{
    (void)arg;
    (void)res;
}

static int map_result(PGconn *conn, PGresult *res, const char *what)
{
    const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    int code = HE_DB;
    if (state != NULL) {
        if (strcmp(state, "23505") == 0) {
            code = HE_EXISTS;
        } else if (strcmp(state, "23503") == 0) {
            code = HE_NOT_FOUND;
        } else if (strncmp(state, "23", 2) == 0 || strncmp(state, "22", 2) == 0) {
            code = HE_INVAL;
        } else if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0) {
            code = HE_AGAIN;
        } else if (strcmp(state, "53100") == 0) {
            code = HE_IO;
        }
    }
    if (code == HE_EXISTS || code == HE_NOT_FOUND || code == HE_INVAL) {
        log_debug("msg=\"constraint\" stmt=%s state=%s", what, state);
    } else {
        const char *msg = res != NULL ? PQresultErrorMessage(res) : PQerrorMessage(conn);
        size_t len = strcspn(msg, "\n");
        log_warn("msg=\"postgresql error\" stmt=%s state=%s err=\"%.*s\"", what,
                 state != NULL ? state : "-", (int)len, msg);
    }
    return code;
}

/* Runs a parameterless command; 0 or HE_*. */
static int pg_command(PGconn *conn, const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);
    int rc = 0;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        rc = map_result(conn, res, sql);
    }
    PQclear(res);
    return rc;
}

static int conn_open(struct pg_store *s, struct pg_conn **out)
{
    struct pg_conn *c = xcalloc(1, sizeof(*c));
    c->conn = PQconnectdb(s->url);
    if (PQstatus(c->conn) != CONNECTION_OK) {
        const char *msg = PQerrorMessage(c->conn);
        log_err("msg=\"cannot connect to postgresql\" err=\"%.*s\"", (int)strcspn(msg, "\n"), msg);
        PQfinish(c->conn);
        free(c);
        return HE_DB;
    }
    PQsetNoticeReceiver(c->conn, notice_ignore, NULL);
    /* UTF-8 in and out whatever the server's locale; UTC is irrelevant (integer times). */
    int rc = pg_command(c->conn, "SET client_encoding = 'UTF8'");
    if (rc < 0) {
        PQfinish(c->conn);
        free(c);
        return rc;
    }
    *out = c;
    return 0;
}

static void conn_close(struct pg_conn *c)
{
    PQfinish(c->conn);
    free(c);
}

/* ---------------------------------------------------------------------------------------- */
/* Migrations                                                                               */

static int read_version(PGconn *conn, int *out)
{
    PGresult *res = PQexec(conn, "SELECT version FROM schema_version");
    int rc = 0;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        rc = map_result(conn, res, "schema_version");
    } else {
        *out = PQntuples(res) > 0 ? (int)strtol(PQgetvalue(res, 0, 0), NULL, 10) : 0;
    }
    PQclear(res);
    return rc;
}

static int migrate(struct pg_store *s, PGconn *conn)
{
    int current = 0;
    int rc = pg_command(conn, "BEGIN");
    if (rc == 0) {
        rc = pg_command(conn, "SELECT pg_advisory_xact_lock(" PG_MIGRATION_LOCK ")");
    }
    if (rc == 0) {
        rc =
            pg_command(conn, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);"
                             "INSERT INTO schema_version (version) SELECT 0 WHERE NOT EXISTS "
                             "(SELECT 1 FROM schema_version)");
    }
    if (rc == 0) {
        rc = read_version(conn, &current);
    }
    if (rc == 0 && current > store__schema_latest) {
        log_err("msg=\"database schema is newer than this binary\" version=%d latest=%d", current,
                store__schema_latest);
        rc = HE_CONFIG;
    }
    if (rc == 0 && current < store__schema_latest && s->opts.no_migrate) {
        log_err("msg=\"database schema needs migrations\" version=%d latest=%d", current,
                store__schema_latest);
        rc = HE_CONFIG;
    }
    for (int v = current + 1; rc == 0 && v <= store__schema_latest; v++) {
        const struct store_migration *m = &store__migrations_pg[v - 1];
        BUG_ON(m->version != v);
        rc = pg_command(conn, m->sql);
        if (rc == 0) {
            char bump[64];
            snprintf(bump, sizeof(bump), "UPDATE schema_version SET version = %d", v);
            rc = pg_command(conn, bump);
        }
        if (rc == 0) {
            log_info("msg=\"schema migrated\" version=%d", v);
        } else {
            log_err("msg=\"migration failed\" version=%d", v);
        }
    }
    if (rc == 0) {
        rc = pg_command(conn, "COMMIT");
    } else {
        (void)pg_command(conn, "ROLLBACK");
    }
    return rc;
}

int store__pg_open(const char *url, const struct store_options *opts, struct store **out)
{
    struct pg_store *s = xcalloc(1, sizeof(*s));
    s->base.ops = &pg_ops;
    s->url = xstrdup(url);
    s->opts = *opts;
    if (s->opts.max_connections == 0) {
        s->opts.max_connections = 16;
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cond, NULL);
    struct pg_conn *c = NULL;
    int rc = conn_open(s, &c);
    if (rc == 0) {
        rc = migrate(s, c->conn);
        s->nconns = 1;
        c->next = s->idle;
        s->idle = c;
    }
    if (rc < 0) {
        pg_ops.close(&s->base);
        return rc;
    }
    *out = &s->base;
    return 0;
}

static void pg_close(struct store *base)
{
    struct pg_store *s = (struct pg_store *)base;
    while (s->idle != NULL) {
        struct pg_conn *c = s->idle;
        s->idle = c->next;
        conn_close(c);
        s->nconns--;
    }
    BUG_ON(s->nconns != 0); /* a transaction is still open */
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cond);
    free(s->url);
    free(s);
}

/* ---------------------------------------------------------------------------------------- */
/* Pool and transactions                                                                    */

static int checkout(struct pg_store *s, struct pg_conn **out)
{
    struct pg_conn *c = NULL;
    pthread_mutex_lock(&s->mu);
    while (s->idle == NULL && s->nconns >= s->opts.max_connections) {
        pthread_cond_wait(&s->cond, &s->mu);
    }
    if (s->idle != NULL) {
        c = s->idle;
        s->idle = c->next;
    } else {
        s->nconns++;
    }
    pthread_mutex_unlock(&s->mu);
    if (c == NULL) {
        int rc = conn_open(s, &c);
        if (rc < 0) {
            pthread_mutex_lock(&s->mu);
            s->nconns--;
            pthread_cond_signal(&s->cond);
            pthread_mutex_unlock(&s->mu);
            return rc;
        }
    }
    *out = c;
    return 0;
}

/* Returns a connection to the pool, or drops it when it is broken or mid-transaction. */
static void checkin(struct pg_store *s, struct pg_conn *c)
{
    bool broken =
        PQstatus(c->conn) != CONNECTION_OK || PQtransactionStatus(c->conn) != PQTRANS_IDLE;
    pthread_mutex_lock(&s->mu);
    if (broken) {
        s->nconns--;
    } else {
        c->next = s->idle;
        s->idle = c;
    }
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->mu);
    if (broken) {
        log_warn("msg=\"dropping postgresql connection\"");
        conn_close(c);
    }
}

static int pg_tx_begin(struct store *base, bool write, struct store_tx **out)
{
    struct pg_store *s = (struct pg_store *)base;
    struct pg_conn *c = NULL;
    *out = NULL;
    int rc = checkout(s, &c);
    if (rc < 0) {
        return rc;
    }
    rc = pg_command(c->conn, write ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    if (rc < 0) {
        checkin(s, c);
        return rc;
    }
    struct pg_tx *tx = xcalloc(1, sizeof(*tx));
    tx->base.store = base;
    tx->base.write = write;
    tx->c = c;
    *out = &tx->base;
    return 0;
}

static int pg_tx_commit(struct store_tx *base)
{
    struct pg_tx *tx = (struct pg_tx *)base;
    struct pg_store *s = (struct pg_store *)base->store;
    int rc = base->poison;
    if (rc == 0) {
        PGresult *res = PQexec(tx->c->conn, "COMMIT");
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            rc = map_result(tx->c->conn, res, "COMMIT");
        } else if (strcmp(PQcmdStatus(res), "COMMIT") != 0) {
            rc = HE_DB; /* the server rolled the transaction back */
        }
        PQclear(res);
    } else {
        (void)pg_command(tx->c->conn, "ROLLBACK");
    }
    checkin(s, tx->c);
    free(tx);
    return rc;
}

static void pg_tx_rollback(struct store_tx *base)
{
    struct pg_tx *tx = (struct pg_tx *)base;
    (void)pg_command(tx->c->conn, "ROLLBACK");
    checkin((struct pg_store *)base->store, tx->c);
    free(tx);
}

static int pg_schema_version(struct store *base, int *current)
{
    struct store_tx *tx = NULL;
    int rc = pg_tx_begin(base, false, &tx);
    if (rc == 0) {
        rc = read_version(((struct pg_tx *)tx)->c->conn, current);
        pg_tx_rollback(tx);
    }
    return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Statement primitives                                                                     */

#define PG_MAX_PARAMS 16

static int pg_exec(struct store_tx *base, enum sql_id id, const struct sql_arg *args, size_t n,
                   struct sql_cur *cur)
{
    struct pg_conn *c = ((struct pg_tx *)base)->c;
    char name[16];
    snprintf(name, sizeof(name), "h%d", (int)id);
    cur->impl = NULL;
    if (!c->prepared[id]) {
        PGresult *res = PQprepare(c->conn, name, sql_text(id, SQL_DIALECT_PG), 0, NULL);
        int rc =
            PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : map_result(c->conn, res, sql_name(id));
        PQclear(res);
        if (rc < 0) {
            return rc;
        }
        c->prepared[id] = true;
    }
    BUG_ON(n > PG_MAX_PARAMS);
    const char *values[PG_MAX_PARAMS];
    char ints[PG_MAX_PARAMS][24];
    char *copies[PG_MAX_PARAMS] = {0};
    for (size_t i = 0; i < n; i++) {
        switch (args[i].type) {
        case SQL_ARG_NULL:
            values[i] = NULL;
            break;
        case SQL_ARG_TEXT:
            /* libpq takes NUL-terminated text parameters. */
            if (args[i].len != 0 && args[i].text[args[i].len] != '\0') {
                copies[i] = xstrndup(args[i].text, args[i].len);
                values[i] = copies[i];
            } else {
                values[i] = args[i].text;
            }
            break;
        case SQL_ARG_INT:
            snprintf(ints[i], sizeof(ints[i]), "%" PRId64, args[i].i);
            values[i] = ints[i];
            break;
        }
    }
    PGresult *res = PQexecPrepared(c->conn, name, (int)n, values, NULL, NULL, 0);
    for (size_t i = 0; i < n; i++) {
        free(copies[i]);
    }
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        int rc = map_result(c->conn, res, sql_name(id));
        PQclear(res);
        return rc;
    }
    const char *tuples = PQcmdTuples(res);
    cur->changes = tuples[0] != '\0' ? strtoll(tuples, NULL, 10) : 0;
    cur->nrows = st == PGRES_TUPLES_OK ? PQntuples(res) : 0;
    cur->row = -1;
    cur->impl = res;
    return 0;
}

static int pg_next(struct sql_cur *cur)
{
    if (cur->impl == NULL || cur->row + 1 >= cur->nrows) {
        return 0;
    }
    cur->row++;
    return 1;
}

static const char *pg_col_text(struct sql_cur *cur, int col)
{
    if (PQgetisnull(cur->impl, cur->row, col)) {
        return NULL;
    }
    return PQgetvalue(cur->impl, cur->row, col);
}

static size_t pg_col_len(struct sql_cur *cur, int col)
{
    return (size_t)PQgetlength(cur->impl, cur->row, col);
}

static int64_t pg_col_int(struct sql_cur *cur, int col)
{
    if (PQgetisnull(cur->impl, cur->row, col)) {
        return 0;
    }
    return strtoll(PQgetvalue(cur->impl, cur->row, col), NULL, 10);
}

static bool pg_col_null(struct sql_cur *cur, int col)
{
    return PQgetisnull(cur->impl, cur->row, col) != 0;
}

static void pg_done(struct sql_cur *cur)
{
    PQclear(cur->impl);
    cur->impl = NULL;
}

static const struct store_ops pg_ops = {
    .name = "postgresql",
    .close = pg_close,
    .schema_version = pg_schema_version,
    .tx_begin = pg_tx_begin,
    .tx_commit = pg_tx_commit,
    .tx_rollback = pg_tx_rollback,
    .exec = pg_exec,
    .next = pg_next,
    .col_text = pg_col_text,
    .col_len = pg_col_len,
    .col_int = pg_col_int,
    .col_null = pg_col_null,
    .done = pg_done,
    STORE_SQL_DOMAIN_OPS,
};
