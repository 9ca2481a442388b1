/*
 * SQLite backend: WAL, one writer connection with group commit, a pool of read connections.
 *
 * Group commit (store.h tells callers what it guarantees). State, under `mu`:
 *   batch_open     the writer connection is inside BEGIN IMMEDIATE (the "batch")
 *   tx_active      one caller holds SAVEPOINT huard_tx on it (callers run one at a time,
 *                  as SQLite runs one writer at a time anyway)
 *   waiting_begin  callers queued in tx_begin
 *   batch_waiters  callers whose savepoint was released into the open batch and who wait
 *                  for its COMMIT (their `struct gc_waiter` lives on their stack)
 *   committing     a leader is running COMMIT with `mu` released
 * A caller's commit releases its savepoint and joins batch_waiters. If other callers are
 * queued and the batch holds fewer than max_batch transactions, it lets the next one in and
 * sleeps: the batch grows while the disk is busy. Otherwise it becomes the leader: it
 * detaches the waiter list, runs COMMIT (the one fsync) without `mu`, then hands the result
 * to every waiter of that batch and wakes them. A rollback is ROLLBACK TO the caller's own
 * savepoint; if it leaves a batch with work and nobody queued, it leads the commit of the
 * others' work. The batch is always closed when nobody is queued, so the write lock is never
 * held while idle (another process such as `huard user add` can write). If SQLite ever rolls
 * back the whole batch by itself (I/O error, disk full), every caller of the batch gets HE_DB.
 *
 * Checkpoints run on a background thread with its own connection (PASSIVE: they never block
 * the writer), woken by the writer's WAL hook once the WAL holds STORE_CKPT_FRAMES frames, so
 * that commits rarely pay for copying the WAL back into the database; past
 * STORE_CKPT_FORCE_FRAMES the commit leader completes the checkpoint itself so that the WAL
 * restarts and stays bounded.
 *
 * Statement cache: each connection prepares a statement on first use (SQLITE_PREPARE_PERSISTENT)
 * and keeps it until close; cursors reset it when done.
 */
#define LOG_MODULE "store"
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "store/backend.h"
#include "store/migrations/migrations.h"
#include "base/banned.h"

enum {
    ST_SAVEPOINT = 0,
    ST_RELEASE,
    ST_ROLLBACK_TO,
    ST_BEGIN_IMMEDIATE,
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST__COUNT
};

static const char *const control_sql[ST__COUNT] = {
    [ST_SAVEPOINT] = "SAVEPOINT huard_tx",
    [ST_RELEASE] = "RELEASE huard_tx",
    [ST_ROLLBACK_TO] = "ROLLBACK TO huard_tx",
    [ST_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
    [ST_BEGIN] = "BEGIN",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
};

/* WAL size (pages) that wakes the checkpointer; SQLite's own default threshold. */
#define STORE_CKPT_FRAMES 1000
/* WAL size at which the commit leader checkpoints itself (see wal_hook). */
#define STORE_CKPT_FORCE_FRAMES 4000

struct sq_conn {
    sqlite3 *db;
    sqlite3_stmt *stmts[SQL__COUNT];
    sqlite3_stmt *control[ST__COUNT];
    struct sq_conn *next; /* idle list of readers */
};

struct gc_waiter {
    int rc;
    bool done;
    struct gc_waiter *next;
};

struct sq_store {
    struct store base;
    char *path;
    struct store_options opts;

    pthread_mutex_t mu;
    /*
     * Two conditions so that a change wakes only who can act on it: slot_cond wakes one
     * caller queued in tx_begin (the savepoint slot is free), done_cond wakes the callers
     * whose batch was committed.
     */
    pthread_cond_t slot_cond;
    pthread_cond_t done_cond;
    struct sq_conn writer;
    bool batch_open;
    bool tx_active;
    bool committing;
    unsigned waiting_begin;
    unsigned batch_count;
    struct gc_waiter *batch_waiters;

    pthread_mutex_t rmu;
    pthread_cond_t rcond;
    struct sq_conn *idle;
    unsigned nreaders;

    pthread_mutex_t ckpt_mu;
    pthread_cond_t ckpt_cond;
    pthread_t ckpt_thread;
    bool ckpt_running;
    bool ckpt_wanted;
    bool ckpt_stop;
    int ckpt_frames_at; /* WAL size at the last wake-up (wal_hook only: the writer's thread) */
    struct sq_conn ckpt;
};

struct sq_tx {
    struct store_tx base;
    struct sq_conn *conn;
};

static const struct store_ops sqlite_ops;

static int map_error(sqlite3 *db, int rc, const char *what)
{
    int ext = sqlite3_extended_errcode(db);
    int code;
    switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
        if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY) {
            code = HE_EXISTS;
        } else if (ext == SQLITE_CONSTRAINT_FOREIGNKEY) {
            code = HE_NOT_FOUND;
        } else {
            code = HE_INVAL;
        }
        break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        code = HE_BUSY;
        break;
    case SQLITE_NOMEM:
        code = HE_NOMEM;
        break;
    case SQLITE_IOERR:
    case SQLITE_FULL:
        code = HE_IO;
        break;
    default:
        code = HE_DB;
        break;
    }
    if ((rc & 0xff) == SQLITE_CONSTRAINT) {
        log_debug("msg=\"constraint\" stmt=%s err=\"%s\"", what, sqlite3_errmsg(db));
    } else {
        log_warn("msg=\"sqlite error\" stmt=%s code=%d err=\"%s\"", what, ext, sqlite3_errmsg(db));
    }
    return code;
}

/* Runs one of the transaction-control statements (prepared once per connection). */
static int control(struct sq_conn *c, int which)
{
    sqlite3_stmt **st = &c->control[which];
    if (*st == NULL) {
        int rc =
            sqlite3_prepare_v3(c->db, control_sql[which], -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
        if (rc != SQLITE_OK) {
            return map_error(c->db, rc, control_sql[which]);
        }
    }
    int rc = sqlite3_step(*st);
    int ret = 0;
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        ret = map_error(c->db, rc, control_sql[which]);
    }
    sqlite3_reset(*st);
    return ret;
}

static int conn_open(struct sq_store *s, struct sq_conn *c, bool writer)
{
    memset(c, 0, sizeof(*c));
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (writer ? SQLITE_OPEN_CREATE : 0);
    int rc = sqlite3_open_v2(s->path, &c->db, flags, NULL);
    if (rc != SQLITE_OK) {
        log_err("msg=\"cannot open database\" path=%s err=\"%s\"", s->path,
                c->db != NULL ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        sqlite3_close(c->db);
        c->db = NULL;
        return HE_DB;
    }
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, s->opts.busy_timeout_ms);
    static const char *const sync_names[] = {"FULL", "NORMAL", "OFF"};
    char *pragmas =
        xasprintf("PRAGMA foreign_keys = ON; PRAGMA synchronous = %s;%s", sync_names[s->opts.sync],
                  writer ? " PRAGMA journal_mode = WAL;" : " PRAGMA query_only = 1;");
    char *err = NULL;
    rc = sqlite3_exec(c->db, pragmas, NULL, NULL, &err);
    free(pragmas);
    if (rc != SQLITE_OK) {
        log_err("msg=\"cannot configure database\" path=%s err=\"%s\"", s->path,
                err != NULL ? err : "");
        sqlite3_free(err);
        sqlite3_close(c->db);
        c->db = NULL;
        return HE_DB;
    }
    return 0;
}

static void conn_close(struct sq_conn *c)
{
    for (int i = 0; i < SQL__COUNT; i++) {
        sqlite3_finalize(c->stmts[i]);
    }
    for (int i = 0; i < ST__COUNT; i++) {
        sqlite3_finalize(c->control[i]);
    }
    if (sqlite3_close(c->db) != SQLITE_OK) {
        log_warn("msg=\"database close failed\" err=\"%s\"", sqlite3_errmsg(c->db));
    }
    c->db = NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* Migrations                                                                               */

static int migrate(struct sq_store *s)
{
    sqlite3 *db = s->writer.db;
    char *err = NULL;
    int current = 0;
    int ret = 0;
    int rc = sqlite3_exec(db,
                          "BEGIN IMMEDIATE;"
                          "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);"
                          "INSERT INTO schema_version (version) SELECT 0 WHERE NOT EXISTS "
                          "(SELECT 1 FROM schema_version);",
                          NULL, NULL, &err);
    if (rc != SQLITE_OK) {
        log_err("msg=\"cannot read schema version\" err=\"%s\"", err != NULL ? err : "");
        ret = HE_DB;
        goto out;
    }
    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2(db, "SELECT version FROM schema_version", -1, &st, NULL);
    if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        current = sqlite3_column_int(st, 0);
    }
    sqlite3_finalize(st);
    if (current > store__schema_latest) {
        log_err("msg=\"database schema is newer than this binary\" version=%d latest=%d", current,
                store__schema_latest);
        ret = HE_CONFIG;
        goto out;
    }
    if (current < store__schema_latest && s->opts.no_migrate) {
        log_err("msg=\"database schema needs migrations\" version=%d latest=%d", current,
                store__schema_latest);
        ret = HE_CONFIG;
        goto out;
    }
    for (int v = current + 1; v <= store__schema_latest; v++) {
        const struct store_migration *m = &store__migrations_sqlite[v - 1];
        BUG_ON(m->version != v);
        char *bump = xasprintf("UPDATE schema_version SET version = %d", v);
        rc = sqlite3_exec(db, m->sql, NULL, NULL, &err);
        if (rc == SQLITE_OK) {
            rc = sqlite3_exec(db, bump, NULL, NULL, &err);
        }
        free(bump);
        if (rc != SQLITE_OK) {
            log_err("msg=\"migration failed\" version=%d err=\"%s\"", v, err != NULL ? err : "");
            ret = HE_DB;
            goto out;
        }
        log_info("msg=\"schema migrated\" version=%d", v);
    }
    rc = sqlite3_exec(db, "COMMIT", NULL, NULL, &err);
    if (rc != SQLITE_OK) {
        log_err("msg=\"migration commit failed\" err=\"%s\"", err != NULL ? err : "");
        ret = HE_DB;
    }
out:
    sqlite3_free(err);
    if (ret != 0 && !sqlite3_get_autocommit(db)) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    }
    return ret;
}

/* ---------------------------------------------------------------------------------------- */
/* Background checkpoints                                                                   */

static int wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
    struct sq_store *s = arg;
    if (frames >= STORE_CKPT_FORCE_FRAMES) {
        /*
         * Under constant writes the background checkpoint never catches up with the end of
         * the WAL, and SQLite restarts the WAL only once it is fully copied: the leader
         * finishes the job here (what SQLite's own hook does), most pages already copied.
         */
        int log_frames = 0, done_frames = 0;
        (void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, &log_frames,
                                        &done_frames);
    } else if (frames < s->ckpt_frames_at) {
        s->ckpt_frames_at = 0; /* the WAL restarted */
    } else if (frames - s->ckpt_frames_at >= STORE_CKPT_FRAMES) {
        /*
         * Once per STORE_CKPT_FRAMES of WAL growth, not on every commit past the threshold: a
         * PASSIVE checkpoint copies what is new and fsyncs the database file, so waking it per
         * commit doubled the fsyncs of a steady stream of small posts (issue 6's profile of
         * the many-rooms scenario: 14 % of the server's CPU in the checkpointer).
         */
        s->ckpt_frames_at = frames;
        pthread_mutex_lock(&s->ckpt_mu);
        s->ckpt_wanted = true;
        pthread_cond_signal(&s->ckpt_cond);
        pthread_mutex_unlock(&s->ckpt_mu);
    }
    return SQLITE_OK;
}

static void *checkpointer(void *arg)
{
    struct sq_store *s = arg;
    pthread_mutex_lock(&s->ckpt_mu);
    for (;;) {
        while (!s->ckpt_wanted && !s->ckpt_stop) {
            pthread_cond_wait(&s->ckpt_cond, &s->ckpt_mu);
        }
        if (s->ckpt_stop) {
            break;
        }
        s->ckpt_wanted = false;
        pthread_mutex_unlock(&s->ckpt_mu);
        int log_frames = 0, done_frames = 0;
        int rc = sqlite3_wal_checkpoint_v2(s->ckpt.db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log_frames,
                                           &done_frames);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
            log_warn("msg=\"checkpoint failed\" err=\"%s\"", sqlite3_errmsg(s->ckpt.db));
        }
        pthread_mutex_lock(&s->ckpt_mu);
    }
    pthread_mutex_unlock(&s->ckpt_mu);
    return NULL;
}

static int checkpointer_start(struct sq_store *s)
{
    int rc = conn_open(s, &s->ckpt, false);
    if (rc < 0) {
        return rc;
    }
    if (pthread_create(&s->ckpt_thread, NULL, checkpointer, s) != 0) {
        conn_close(&s->ckpt);
        return HE_INTERNAL;
    }
    s->ckpt_running = true;
    /* Replaces SQLite's automatic checkpoint of the writer (run inside COMMIT). */
    sqlite3_wal_hook(s->writer.db, wal_hook, s);
    return 0;
}

int store__sqlite_open(const char *path, const struct store_options *opts, struct store **out)
{
    struct sq_store *s = xcalloc(1, sizeof(*s));
    s->base.ops = &sqlite_ops;
    s->path = xstrdup(path);
    s->opts = *opts;
    if (s->opts.busy_timeout_ms <= 0) {
        s->opts.busy_timeout_ms = 5000;
    }
    if (s->opts.max_connections == 0) {
        s->opts.max_connections = 16;
    }
    if (s->opts.max_batch == 0) {
        s->opts.max_batch = 512;
    }
    if ((unsigned)s->opts.sync > STORE_SYNC_OFF) {
        s->opts.sync = STORE_SYNC_FULL;
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->slot_cond, NULL);
    pthread_cond_init(&s->done_cond, NULL);
    pthread_mutex_init(&s->rmu, NULL);
    pthread_cond_init(&s->rcond, NULL);
    pthread_mutex_init(&s->ckpt_mu, NULL);
    pthread_cond_init(&s->ckpt_cond, NULL);
    int rc = conn_open(s, &s->writer, true);
    if (rc == 0) {
        rc = migrate(s);
    }
    if (rc == 0) {
        rc = checkpointer_start(s);
    }
    if (rc < 0) {
        s->base.ops->close(&s->base);
        return rc;
    }
    *out = &s->base;
    return 0;
}

static void sq_close(struct store *base)
{
    struct sq_store *s = (struct sq_store *)base;
    BUG_ON(s->tx_active || s->committing || s->batch_open);
    if (s->ckpt_running) {
        pthread_mutex_lock(&s->ckpt_mu);
        s->ckpt_stop = true;
        pthread_cond_signal(&s->ckpt_cond);
        pthread_mutex_unlock(&s->ckpt_mu);
        pthread_join(s->ckpt_thread, NULL);
        conn_close(&s->ckpt);
    }
    while (s->idle != NULL) {
        struct sq_conn *c = s->idle;
        s->idle = c->next;
        conn_close(c);
        free(c);
        s->nreaders--;
    }
    BUG_ON(s->nreaders != 0); /* a read transaction is still open */
    if (s->writer.db != NULL) {
        conn_close(&s->writer);
    }
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->slot_cond);
    pthread_cond_destroy(&s->done_cond);
    pthread_mutex_destroy(&s->rmu);
    pthread_cond_destroy(&s->rcond);
    pthread_mutex_destroy(&s->ckpt_mu);
    pthread_cond_destroy(&s->ckpt_cond);
    free(s->path);
    free(s);
}

static int sq_schema_version(struct store *base, int *current)
{
    struct store_tx *tx = NULL;
    int rc = base->ops->tx_begin(base, false, &tx);
    if (rc < 0) {
        return rc;
    }
    struct sq_conn *c = ((struct sq_tx *)tx)->conn;
    sqlite3_stmt *st = NULL;
    *current = 0;
    rc = sqlite3_prepare_v2(c->db, "SELECT version FROM schema_version", -1, &st, NULL);
    if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        *current = sqlite3_column_int(st, 0);
        rc = 0;
    } else {
        rc = map_error(c->db, rc, "schema_version");
    }
    sqlite3_finalize(st);
    base->ops->tx_rollback(tx);
    return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Group commit                                                                             */

/* With mu held: SQLite rolled the whole batch back by itself; fail everyone in it. */
static void batch_lost_locked(struct sq_store *s)
{
    log_err("msg=\"write batch rolled back by SQLite\" transactions=%u", s->batch_count);
    for (struct gc_waiter *w = s->batch_waiters; w != NULL; w = w->next) {
        w->rc = HE_DB;
        w->done = true;
    }
    s->batch_waiters = NULL;
    s->batch_count = 0;
    s->batch_open = false;
    pthread_cond_broadcast(&s->done_cond);
    pthread_cond_signal(&s->slot_cond);
}

/* With mu held, no savepoint open: commits the batch (mu released meanwhile). */
static void batch_commit_locked(struct sq_store *s)
{
    struct gc_waiter *waiters = s->batch_waiters;
    s->batch_waiters = NULL;
    s->batch_count = 0;
    s->committing = true;
    pthread_mutex_unlock(&s->mu);

    int rc = control(&s->writer, ST_COMMIT);
    if (rc < 0 && !sqlite3_get_autocommit(s->writer.db)) {
        /* COMMIT failed (e.g. SQLITE_BUSY on a checkpoint lock): nothing was committed. */
        (void)control(&s->writer, ST_ROLLBACK);
    }

    pthread_mutex_lock(&s->mu);
    s->committing = false;
    s->batch_open = false;
    for (struct gc_waiter *w = waiters; w != NULL; w = w->next) {
        w->rc = rc;
        w->done = true;
    }
    pthread_cond_broadcast(&s->done_cond);
    pthread_cond_signal(&s->slot_cond);
}

/* With mu held, after a savepoint was released or rolled back: commit, wait, or close. */
static void batch_after_tx_locked(struct sq_store *s, struct gc_waiter *self)
{
    if (s->batch_open && sqlite3_get_autocommit(s->writer.db)) {
        batch_lost_locked(s);
        return;
    }
    if (s->batch_count > 0 && (s->waiting_begin == 0 || s->batch_count >= s->opts.max_batch)) {
        batch_commit_locked(s);
    } else if (s->batch_count == 0 && s->batch_open && s->waiting_begin == 0) {
        /* Empty batch (only rollbacks): close it, keeping no write lock while idle. */
        (void)control(&s->writer, ST_ROLLBACK);
        s->batch_open = false;
    } else if (s->waiting_begin > 0) {
        /* Others are queued: let the next one in, the batch grows. */
        pthread_cond_signal(&s->slot_cond);
    }
    while (self != NULL && !self->done) {
        pthread_cond_wait(&s->done_cond, &s->mu);
    }
}

static int writer_begin(struct sq_store *s, struct store_tx **out)
{
    pthread_mutex_lock(&s->mu);
    s->waiting_begin++;
    while (s->tx_active || s->committing) {
        pthread_cond_wait(&s->slot_cond, &s->mu);
    }
    s->waiting_begin--;
    int rc = 0;
    if (!s->batch_open) {
        rc = control(&s->writer, ST_BEGIN_IMMEDIATE);
        if (rc == 0) {
            s->batch_open = true;
        }
    }
    if (rc == 0) {
        rc = control(&s->writer, ST_SAVEPOINT);
        if (rc < 0) {
            batch_after_tx_locked(s, NULL);
        }
    }
    if (rc == 0) {
        s->tx_active = true;
    } else {
        pthread_cond_signal(&s->slot_cond); /* the slot stays free: let another try */
    }
    pthread_mutex_unlock(&s->mu);
    if (rc < 0) {
        return rc;
    }
    struct sq_tx *tx = xcalloc(1, sizeof(*tx));
    tx->base.store = &s->base;
    tx->base.write = true;
    tx->conn = &s->writer;
    *out = &tx->base;
    return 0;
}

/* With mu held: undoes the caller's savepoint. */
static void savepoint_rollback_locked(struct sq_store *s)
{
    if (!sqlite3_get_autocommit(s->writer.db)) {
        (void)control(&s->writer, ST_ROLLBACK_TO);
        (void)control(&s->writer, ST_RELEASE);
    }
    s->tx_active = false;
}

static int writer_commit(struct sq_tx *tx)
{
    struct sq_store *s = (struct sq_store *)tx->base.store;
    struct gc_waiter self = {0};
    int rc = tx->base.poison;
    pthread_mutex_lock(&s->mu);
    BUG_ON(!s->tx_active);
    if (rc == 0 && !sqlite3_get_autocommit(s->writer.db)) {
        rc = control(&s->writer, ST_RELEASE);
    } else if (rc == 0) {
        rc = HE_DB; /* the batch vanished under this transaction */
    }
    if (rc < 0) {
        savepoint_rollback_locked(s);
        batch_after_tx_locked(s, NULL);
        pthread_mutex_unlock(&s->mu);
        return rc;
    }
    s->tx_active = false;
    s->batch_count++;
    self.next = s->batch_waiters;
    s->batch_waiters = &self;
    batch_after_tx_locked(s, &self);
    pthread_mutex_unlock(&s->mu);
    return self.rc;
}

static void writer_rollback(struct sq_tx *tx)
{
    struct sq_store *s = (struct sq_store *)tx->base.store;
    pthread_mutex_lock(&s->mu);
    BUG_ON(!s->tx_active);
    savepoint_rollback_locked(s);
    batch_after_tx_locked(s, NULL);
    pthread_mutex_unlock(&s->mu);
}

/* ---------------------------------------------------------------------------------------- */
/* Read connections                                                                         */

static int reader_begin(struct sq_store *s, struct store_tx **out)
{
    struct sq_conn *c = NULL;
    pthread_mutex_lock(&s->rmu);
    while (s->idle == NULL && s->nreaders >= s->opts.max_connections) {
        pthread_cond_wait(&s->rcond, &s->rmu);
    }
    if (s->idle != NULL) {
        c = s->idle;
        s->idle = c->next;
    } else {
        s->nreaders++;
    }
    pthread_mutex_unlock(&s->rmu);
    if (c == NULL) {
        c = xcalloc(1, sizeof(*c));
        int rc = conn_open(s, c, false);
        if (rc < 0) {
            free(c);
            pthread_mutex_lock(&s->rmu);
            s->nreaders--;
            pthread_cond_signal(&s->rcond);
            pthread_mutex_unlock(&s->rmu);
            return rc;
        }
    }
    int rc = control(c, ST_BEGIN);
    if (rc < 0) {
        pthread_mutex_lock(&s->rmu);
        c->next = s->idle;
        s->idle = c;
        pthread_cond_signal(&s->rcond);
        pthread_mutex_unlock(&s->rmu);
        return rc;
    }
    struct sq_tx *tx = xcalloc(1, sizeof(*tx));
    tx->base.store = &s->base;
    tx->conn = c;
    *out = &tx->base;
    return 0;
}

static void reader_end(struct sq_tx *tx)
{
    struct sq_store *s = (struct sq_store *)tx->base.store;
    struct sq_conn *c = tx->conn;
    if (!sqlite3_get_autocommit(c->db)) {
        (void)control(c, ST_COMMIT);
    }
    pthread_mutex_lock(&s->rmu);
    c->next = s->idle;
    s->idle = c;
    pthread_cond_signal(&s->rcond);
    pthread_mutex_unlock(&s->rmu);
}

static int sq_tx_begin(struct store *base, bool write, struct store_tx **out)
{
    struct sq_store *s = (struct sq_store *)base;
    *out = NULL;
    return write ? writer_begin(s, out) : reader_begin(s, out);
}

static int sq_tx_commit(struct store_tx *base)
{
    struct sq_tx *tx = (struct sq_tx *)base;
    int rc;
    if (base->write) {
        rc = writer_commit(tx);
    } else {
        reader_end(tx);
        rc = base->poison;
    }
    free(tx);
    return rc;
}

static void sq_tx_rollback(struct store_tx *base)
{
    struct sq_tx *tx = (struct sq_tx *)base;
    if (base->write) {
        writer_rollback(tx);
    } else {
        reader_end(tx);
    }
    free(tx);
}

/* ---------------------------------------------------------------------------------------- */
/* Statement primitives                                                                     */

static int sq_exec(struct store_tx *base, enum sql_id id, const struct sql_arg *args, size_t n,
                   struct sql_cur *cur)
{
    struct sq_conn *c = ((struct sq_tx *)base)->conn;
    const char *sql = sql_text(id, SQL_DIALECT_SQLITE);
    cur->impl = NULL;
    if (sql == NULL) {
        return 0; /* statement of the other dialect only: nothing to do here */
    }
    sqlite3_stmt *st = c->stmts[id];
    if (st == NULL) {
        int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
        if (rc != SQLITE_OK) {
            return map_error(c->db, rc, sql_name(id));
        }
        c->stmts[id] = st;
    }
    BUG_ON((int)n != sqlite3_bind_parameter_count(st));
    for (size_t i = 0; i < n; i++) {
        int rc = SQLITE_OK;
        int pos = (int)i + 1;
        switch (args[i].type) {
        case SQL_ARG_NULL:
            rc = sqlite3_bind_null(st, pos);
            break;
        case SQL_ARG_TEXT: {
            /* Arguments outlive the cursor (ops.c keeps them until done), hence STATIC. */
            size_t len = args[i].len != 0 ? args[i].len : strlen(args[i].text);
            rc = sqlite3_bind_text64(st, pos, args[i].text, len, SQLITE_STATIC, SQLITE_UTF8);
            break;
        }
        case SQL_ARG_INT:
            rc = sqlite3_bind_int64(st, pos, args[i].i);
            break;
        }
        if (rc != SQLITE_OK) {
            sqlite3_clear_bindings(st);
            return map_error(c->db, rc, sql_name(id));
        }
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        cur->row = 1;
    } else if (rc == SQLITE_DONE) {
        cur->row = 0;
        cur->changes = sqlite3_changes64(c->db);
    } else {
        int err = map_error(c->db, rc, sql_name(id));
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        return err;
    }
    cur->impl = st;
    return 0;
}

static int sq_next(struct sql_cur *cur)
{
    sqlite3_stmt *st = cur->impl;
    if (st == NULL) {
        return 0;
    }
    if (!cur->started) {
        cur->started = true;
        return cur->row;
    }
    if (cur->row == 0) {
        return 0;
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        return 1;
    }
    cur->row = 0;
    if (rc == SQLITE_DONE) {
        return 0;
    }
    return map_error(sqlite3_db_handle(st), rc, sql_name(cur->id));
}

static const char *sq_col_text(struct sql_cur *cur, int col)
{
    return (const char *)sqlite3_column_text(cur->impl, col);
}

static size_t sq_col_len(struct sql_cur *cur, int col)
{
    return (size_t)sqlite3_column_bytes(cur->impl, col);
}

static int64_t sq_col_int(struct sql_cur *cur, int col)
{
    return sqlite3_column_int64(cur->impl, col);
}

static bool sq_col_null(struct sql_cur *cur, int col)
{
    return sqlite3_column_type(cur->impl, col) == SQLITE_NULL;
}

static void sq_done(struct sql_cur *cur)
{
    if (cur->impl != NULL) {
        sqlite3_reset(cur->impl);
        sqlite3_clear_bindings(cur->impl);
        cur->impl = NULL;
    }
}

static const struct store_ops sqlite_ops = {
    .name = "sqlite",
    .close = sq_close,
    .schema_version = sq_schema_version,
    .tx_begin = sq_tx_begin,
    .tx_commit = sq_tx_commit,
    .tx_rollback = sq_tx_rollback,
    .exec = sq_exec,
    .next = sq_next,
    .col_text = sq_col_text,
    .col_len = sq_col_len,
    .col_int = sq_col_int,
    .col_null = sq_col_null,
    .done = sq_done,
    STORE_SQL_DOMAIN_OPS,
};
