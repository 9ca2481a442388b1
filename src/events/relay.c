/*
 * relay: see relay.h. States of the LISTEN connection:
 *
 *   IDLE --(cursor known)--> CONNECTING --(PQconnectPoll OK)--> LISTENING --(LISTEN ok)--> READY
 *     ^                          |                                  |                       |
 *     +------ backoff timer <----+----------------------------------+-----------------------+
 *
 * At most one worker job runs at a time (job_running); a notification or reconnection that
 * needs a read while one runs sets read_again, and the done callback submits the next read.
 */
#include "events/relay.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#define LOG_MODULE "relay"
#include "base/err.h"
#include "base/log.h"
#include "base/uuid.h"
#include "events/bus.h"
#include "events/envelope.h"
#include "loop/loop.h"
#include "loop/pool.h"
#include "store/store.h"

#include "base/banned.h"

#define RELAY_PAGE 256
#define RELAY_BACKOFF_MIN_MS 500
#define RELAY_BACKOFF_MAX_MS 30000
#define RELAY_READ_RETRY_MS 1000

enum relay_state { RELAY_IDLE, RELAY_CONNECTING, RELAY_LISTENING, RELAY_READY };

struct relay {
    struct loop *loop;
    struct pool *pool;
    struct store *store;
    struct bus *bus;
    char *conninfo;
    char stack_uuid[UUID_STR_LEN];

    enum relay_state state;
    PGconn *conn;
    struct loop_watch *watch;
    int watch_fd;
    uint32_t watch_events;
    struct loop_timer *retry_timer; /* reconnect backoff */
    struct loop_timer *read_timer;  /* retry of a failed read */
    unsigned backoff_ms;

    bool cursor_known;
    int64_t cursor;       /* every seq <= cursor was published or skipped */
    int64_t max_notified; /* highest seq a notification announced */
    bool job_running;
    bool read_again;
    bool freed; /* relay_free ran while a job was out: the job's done frees */
};

enum relay_job_kind { JOB_LAST_SEQ, JOB_READ };

struct relay_job {
    struct relay *relay;
    enum relay_job_kind kind;
    int64_t after;
    int rc;
    int64_t last_seq;
    struct store_event_list *list;
    struct envelope **envs;
};

static void relay_connect(struct relay *r);
static void relay_read(struct relay *r);

/* ---- connection ---- */

static void watch_set(struct relay *r, int fd, uint32_t events);

static void relay_disconnect(struct relay *r)
{
    loop_watch_remove(r->watch);
    r->watch = NULL;
    r->watch_fd = -1;
    r->watch_events = 0;
    if (r->conn != NULL) {
        PQfinish(r->conn);
        r->conn = NULL;
    }
    r->state = RELAY_IDLE;
}

static void relay_fail(struct relay *r, const char *what)
{
    const char *msg = r->conn != NULL ? PQerrorMessage(r->conn) : "";
    size_t len = strcspn(msg, "\n");
    log_warn("msg=relay_connection_lost during=%s retry_ms=%u error=\"%.*s\"", what, r->backoff_ms,
             (int)len, msg);
    relay_disconnect(r);
    loop_timer_start(r->retry_timer, r->backoff_ms);
    r->backoff_ms =
        r->backoff_ms * 2 > RELAY_BACKOFF_MAX_MS ? RELAY_BACKOFF_MAX_MS : r->backoff_ms * 2;
}

/* A notification payload is the decimal seq; anything else asks for a read anyway. */
static void note_notify(struct relay *r, const char *extra)
{
    char *end = NULL;
    errno = 0;
    long long seq = strtoll(extra, &end, 10);
    if (errno != 0 || end == extra || *end != '\0' || seq <= 0) {
        r->max_notified = INT64_MAX;
        return;
    }
    if (seq > r->max_notified) {
        r->max_notified = seq;
    }
}

/*
 * Skips the announced seqs the bus already published (this instance's own REST path), then
 * reads the rest. Seqs are dense in practice; a gap just means a read.
 */
static void relay_catch_up(struct relay *r)
{
    if (!r->cursor_known) {
        return;
    }
    int64_t before = r->cursor;
    while (r->cursor < r->max_notified && r->max_notified != INT64_MAX &&
           bus_seq_seen(r->bus, r->cursor + 1)) {
        r->cursor++;
    }
    if (r->cursor != before) {
        bus_seq_advance(r->bus, r->cursor);
    }
    if (r->cursor < r->max_notified) {
        relay_read(r);
    }
}

static void drain_notifies(struct relay *r)
{
    PGnotify *n;
    while ((n = PQnotifies(r->conn)) != NULL) {
        if (strcmp(n->relname, RELAY_CHANNEL) == 0) {
            note_notify(r, n->extra);
        }
        PQfreemem(n);
    }
}

/* Reads results of LISTEN; returns false when the connection failed. */
static bool drain_results(struct relay *r)
{
    while (!PQisBusy(r->conn)) {
        PGresult *res = PQgetResult(r->conn);
        if (res == NULL) {
            if (r->state == RELAY_LISTENING) {
                /* LISTEN is active: everything committed from now on is announced. */
                r->state = RELAY_READY;
                r->backoff_ms = RELAY_BACKOFF_MIN_MS;
                log_info("msg=relay_listening channel=%s cursor=%" PRId64, RELAY_CHANNEL,
                         r->cursor);
                /* What was committed while we were not listening. */
                r->max_notified = INT64_MAX;
            }
            return true;
        }
        ExecStatusType st = PQresultStatus(res);
        PQclear(res);
        if (st != PGRES_COMMAND_OK) {
            return false;
        }
    }
    return true;
}

static void on_conn_io(struct loop *loop, int fd, uint32_t events, void *arg)
{
    (void)loop;
    (void)fd;
    struct relay *r = arg;

    if (r->state == RELAY_CONNECTING) {
        PostgresPollingStatusType st = PQconnectPoll(r->conn);
        if (st == PGRES_POLLING_FAILED) {
            relay_fail(r, "connect");
            return;
        }
        if (st != PGRES_POLLING_OK) {
            /* The socket may change between calls (several hosts or addresses). */
            watch_set(r, PQsocket(r->conn), st == PGRES_POLLING_READING ? LOOP_READ : LOOP_WRITE);
            return;
        }
        if (PQsetnonblocking(r->conn, 1) != 0 ||
            PQsendQuery(r->conn, "LISTEN " RELAY_CHANNEL) != 1) {
            relay_fail(r, "listen");
            return;
        }
        r->state = RELAY_LISTENING;
        watch_set(r, PQsocket(r->conn), LOOP_READ | LOOP_WRITE);
        return;
    }

    if (events & LOOP_WRITE) {
        int f = PQflush(r->conn);
        if (f < 0) {
            relay_fail(r, "flush");
            return;
        }
        if (f == 0) {
            watch_set(r, PQsocket(r->conn), LOOP_READ);
        }
    }
    if (events & (LOOP_READ | LOOP_HUP | LOOP_ERROR)) {
        if (PQconsumeInput(r->conn) != 1 || !drain_results(r)) {
            relay_fail(r, r->state == RELAY_READY ? "read" : "listen");
            return;
        }
        drain_notifies(r);
        if (PQstatus(r->conn) == CONNECTION_BAD) {
            relay_fail(r, "read");
            return;
        }
        if (r->state == RELAY_READY) {
            relay_catch_up(r);
        }
    }
}

static void watch_set(struct relay *r, int fd, uint32_t events)
{
    if (r->watch != NULL && fd == r->watch_fd) {
        if (events != r->watch_events && loop_watch_modify(r->watch, events) == 0) {
            r->watch_events = events;
        }
        return;
    }
    loop_watch_remove(r->watch);
    r->watch = fd >= 0 ? loop_watch_fd(r->loop, fd, events, on_conn_io, r) : NULL;
    r->watch_fd = r->watch != NULL ? fd : -1;
    r->watch_events = r->watch != NULL ? events : 0;
}

static void relay_connect(struct relay *r)
{
    r->conn = PQconnectStart(r->conninfo);
    if (r->conn == NULL || PQstatus(r->conn) == CONNECTION_BAD) {
        relay_fail(r, "connect");
        return;
    }
    r->state = RELAY_CONNECTING;
    /* Before the first PQconnectPoll, wait as if it had said "writing" (libpq docs). */
    watch_set(r, PQsocket(r->conn), LOOP_WRITE);
    if (r->watch == NULL) {
        relay_fail(r, "connect");
    }
}

static void on_retry(struct loop *loop, struct loop_timer *t, void *arg)
{
    (void)loop;
    (void)t;
    struct relay *r = arg;
    if (r->state == RELAY_IDLE) {
        relay_connect(r);
    }
}

/* ---- reads on workers ---- */

static void job_work(void *arg)
{
    struct relay_job *job = arg;
    struct relay *r = job->relay;
    struct store_tx *tx = NULL;

    job->rc = store_tx_begin_read(r->store, &tx);
    if (job->rc < 0) {
        return;
    }
    if (job->kind == JOB_LAST_SEQ) {
        job->rc = store_event_last_seq(tx, &job->last_seq);
    } else {
        job->rc = store_event_read_after(tx, job->after, RELAY_PAGE, &job->list);
    }
    store_tx_rollback(tx);
    if (job->rc < 0 || job->list == NULL) {
        return;
    }
    /* Envelopes are rendered here, off the loop; an unknown name gets none (logged). */
    job->envs = xcalloc(job->list->count ? job->list->count : 1, sizeof(struct envelope *));
    for (size_t i = 0; i < job->list->count; i++) {
        const struct store_event *ev = &job->list->items[i];
        if (bus_envelope_from_store(ev, r->stack_uuid, &job->envs[i]) < 0) {
            log_warn("msg=relay_unknown_event seq=%" PRId64 " name=%s", ev->seq,
                     ev->name ? ev->name : "");
        }
    }
}

static void job_free(struct relay_job *job)
{
    if (job->list != NULL) {
        for (size_t i = 0; i < job->list->count; i++) {
            envelope_unref(job->envs ? job->envs[i] : NULL);
        }
    }
    free(job->envs);
    store_event_list_free(job->list);
    free(job);
}

static void relay_release(struct relay *r)
{
    free(r->conninfo);
    free(r);
}

/* Publishes the page in order; takes each event out of the list for bus_publish. */
static void job_publish(struct relay_job *job)
{
    struct relay *r = job->relay;
    for (size_t i = 0; i < job->list->count; i++) {
        struct store_event *item = &job->list->items[i];
        int64_t seq = item->seq;
        if (seq <= r->cursor) {
            continue;
        }
        struct store_event *ev = xmemdup(item, sizeof(*item));
        memset(item, 0, sizeof(*item));
        bus_publish(r->bus, ev, job->envs[i]);
        job->envs[i] = NULL;
        r->cursor = seq;
    }
    bus_seq_advance(r->bus, r->cursor);
}

static void job_done(struct loop *loop, void *arg)
{
    (void)loop;
    struct relay_job *job = arg;
    struct relay *r = job->relay;
    bool full = false;

    r->job_running = false;
    if (r->freed) {
        job_free(job);
        relay_release(r);
        return;
    }
    if (job->rc < 0) {
        log_warn("msg=relay_read_failed rc=%d retry_ms=%d", job->rc, RELAY_READ_RETRY_MS);
        loop_timer_start(r->read_timer, RELAY_READ_RETRY_MS);
        job_free(job);
        return;
    }
    if (job->kind == JOB_LAST_SEQ) {
        r->cursor = job->last_seq;
        r->cursor_known = true;
        bus_seq_advance(r->bus, r->cursor);
        job_free(job);
        relay_connect(r);
        return;
    }
    full = job->list->count == RELAY_PAGE;
    job_publish(job);
    job_free(job);
    if (!full && r->max_notified == INT64_MAX) {
        /*
         * A catch-up read came back short: everything committed is published. Notifications
         * that arrived meanwhile set read_again, so nothing announced is skipped.
         */
        r->max_notified = r->cursor;
    }
    if (full || r->read_again || r->cursor < r->max_notified) {
        r->read_again = false;
        relay_read(r);
    }
}

static void submit(struct relay *r, enum relay_job_kind kind)
{
    struct relay_job *job = xcalloc(1, sizeof(*job));
    job->relay = r;
    job->kind = kind;
    job->after = r->cursor;
    r->job_running = true;
    pool_submit(r->pool, job_work, job_done, job);
}

static void relay_read(struct relay *r)
{
    if (r->job_running) {
        r->read_again = true;
        return;
    }
    if (loop_timer_active(r->read_timer)) {
        return; /* a failed read is waiting to be retried */
    }
    submit(r, JOB_READ);
}

static void on_read_retry(struct loop *loop, struct loop_timer *t, void *arg)
{
    (void)loop;
    (void)t;
    struct relay *r = arg;
    submit(r, r->cursor_known ? JOB_READ : JOB_LAST_SEQ);
}

/* ---- lifecycle ---- */

struct relay *relay_new(struct loop *loop, struct pool *pool, struct store *store, struct bus *bus,
                        const char *conninfo, const char *stack_uuid)
{
    struct relay *r = xcalloc(1, sizeof(*r));
    r->loop = loop;
    r->pool = pool;
    r->store = store;
    r->bus = bus;
    r->conninfo = xstrdup(conninfo);
    (void)snprintf(r->stack_uuid, sizeof(r->stack_uuid), "%s", stack_uuid);
    r->watch_fd = -1;
    r->backoff_ms = RELAY_BACKOFF_MIN_MS;
    r->retry_timer = loop_timer_new(loop, on_retry, r);
    r->read_timer = loop_timer_new(loop, on_read_retry, r);
    /* From now on the bus remembers what the REST path publishes. */
    bus_dedupe_start(bus, -1);
    submit(r, JOB_LAST_SEQ);
    return r;
}

void relay_free(struct relay *r)
{
    if (r == NULL) {
        return;
    }
    relay_disconnect(r);
    loop_timer_free(r->retry_timer);
    loop_timer_free(r->read_timer);
    r->retry_timer = r->read_timer = NULL;
    if (r->job_running) {
        r->freed = true; /* job_done releases the rest */
        return;
    }
    relay_release(r);
}

bool relay_listening(const struct relay *r)
{
    return r->state == RELAY_READY;
}

int64_t relay_cursor(const struct relay *r)
{
    return r->cursor;
}
