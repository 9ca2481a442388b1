/* Store conformance: events outbox, atomicity with the change, concurrent writers. */
#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/err.h"
#include "harness.h"

static struct ts_env env;
static char u[2][UUID_STR_LEN];
static char room[UUID_STR_LEN];

static void setup(void)
{
    ts_setup(&env);
    ts_user(&env, "u0", u[0]);
    ts_user(&env, "u1", u[1]);
    const char *s[] = {u[0], u[1]};
    ts_room(&env, room, s, 2, STORE_HISTORY_SHARED);
}

static void teardown(void)
{
    ts_teardown(&env);
}

TestSuite(store_events, .init = setup, .fini = teardown, .timeout = 120);

static int append_with_event(struct store *s, const char *content, bool rollback,
                             char uuid_out[UUID_STR_LEN], int64_t *seq_out);

/* One write transaction: a message and its event (payload names the message). */
static int append_with_event_x(struct store *s, const char *content, bool rollback, bool poison_it,
                               char uuid_out[UUID_STR_LEN], int64_t *seq_out)
{
    struct store_tx *tx = NULL;
    int rc = store_tx_begin(s, &tx);
    if (rc < 0) {
        return rc;
    }
    struct store_message m = {.content = (char *)content, .content_search = (char *)content};
    strcpy(m.room_uuid, room);
    strcpy(m.user_uuid, u[0]);
    rc = store_message_append(tx, &m);
    char payload[128];
    char rcpt[2][UUID_STR_LEN];
    strcpy(rcpt[0], u[0]);
    strcpy(rcpt[1], u[1]);
    snprintf(payload, sizeof(payload), "{\"uuid\":\"%s\"}", m.uuid);
    struct store_event ev = {.name = "chatd_user_room_message_created",
                             .recipients = rcpt,
                             .n_recipients = 2,
                             .payload = payload,
                             .payload_len = strlen(payload)};
    strcpy(ev.tenant_uuid, env.tenant);
    strcpy(ev.room_uuid, room);
    if (rc == 0) {
        rc = store_event_append(tx, &ev);
    }
    if (rc < 0 || rollback) {
        store_tx_rollback(tx);
        return rc;
    }
    if (poison_it) {
        /* A foreign key error poisons the tx: its commit must fail and keep nothing. */
        rc = store_reaction_add(tx, "00000000-0000-7000-8000-000000000000", u[0], "x", 0);
        if (rc != HE_NOT_FOUND) {
            store_tx_rollback(tx);
            return HE_INTERNAL;
        }
        rc = store_tx_commit(tx);
        return rc == HE_NOT_FOUND ? 1 : HE_INTERNAL;
    }
    rc = store_tx_commit(tx);
    if (rc == 0) {
        strcpy(uuid_out, m.uuid);
        *seq_out = ev.seq;
    }
    return rc;
}

Test(store_events, append_read_after_last_seq_prune)
{
    char m1[UUID_STR_LEN], m2[UUID_STR_LEN], m3[UUID_STR_LEN];
    int64_t s1 = 0, s2 = 0, s3 = 0;
    cr_assert_eq(append_with_event(env.store, "one", false, m1, &s1), 0);
    cr_assert_eq(append_with_event(env.store, "two", false, m2, &s2), 0);
    cr_assert_eq(append_with_event(env.store, "three", false, m3, &s3), 0);
    cr_assert_gt(s1, 0);
    cr_assert_gt(s2, s1);
    cr_assert_gt(s3, s2);

    struct store_tx *tx = NULL;
    cr_assert_eq(store_tx_begin_read(env.store, &tx), 0);
    int64_t last = 0;
    cr_assert_eq(store_event_last_seq(tx, &last), 0);
    cr_assert_eq(last, s3);
    struct store_event_list *l = NULL;
    cr_assert_eq(store_event_read_after(tx, s1, 10, &l), 0);
    cr_assert_eq(l->count, 2);
    struct store_event *e = &l->items[0];
    cr_assert_eq(e->seq, s2);
    cr_assert_str_eq(e->name, "chatd_user_room_message_created");
    cr_assert_str_eq(e->tenant_uuid, env.tenant);
    cr_assert_str_eq(e->room_uuid, room);
    cr_assert_not(e->tenant_wide);
    cr_assert_eq(e->n_recipients, 2);
    cr_assert_str_eq(e->recipients[0], u[0]);
    cr_assert_str_eq(e->recipients[1], u[1]);
    char expect[128];
    snprintf(expect, sizeof(expect), "{\"uuid\":\"%s\"}", m2);
    cr_assert_eq(e->payload_len, strlen(expect));
    cr_assert_str_eq(e->payload, expect);
    cr_assert_gt(e->created_at, 0);
    store_event_list_free(l);
    cr_assert_eq(store_event_read_after(tx, 0, 1, &l), 0);
    cr_assert_eq(l->count, 1, "limit");
    cr_assert_eq(l->items[0].seq, s1);
    store_event_list_free(l);
    store_tx_rollback(tx);

    cr_assert_eq(store_tx_begin(env.store, &tx), 0);
    /* A tenant-wide event with no recipients and a payload not NUL-terminated at its length. */
    char buf[] = "{\"state\":\"away\"}XXXX";
    struct store_event pres = {.name = "chatd_presence_updated",
                               .tenant_wide = true,
                               .payload = buf,
                               .payload_len = strlen(buf) - 4};
    strcpy(pres.tenant_uuid, env.tenant);
    cr_assert_eq(store_event_append(tx, &pres), 0);
    cr_assert_eq(store_event_prune(tx, s3), 0);
    cr_assert_eq(store_tx_commit(tx), 0);
    cr_assert_eq(store_tx_begin_read(env.store, &tx), 0);
    cr_assert_eq(store_event_read_after(tx, 0, 100, &l), 0);
    cr_assert_eq(l->count, 2);
    cr_assert_eq(l->items[0].seq, s3);
    cr_assert_eq(l->items[1].seq, pres.seq);
    cr_assert(l->items[1].tenant_wide);
    cr_assert_eq(l->items[1].n_recipients, 0);
    cr_assert_str_eq(l->items[1].room_uuid, "");
    cr_assert_str_eq(l->items[1].payload, "{\"state\":\"away\"}");
    store_event_list_free(l);
    store_tx_rollback(tx);
}

Test(store_events, rollback_drops_the_change_and_its_event_together)
{
    char m[UUID_STR_LEN] = "";
    int64_t seq = 0;
    cr_assert_eq(append_with_event(env.store, "kept", false, m, &seq), 0);
    char gone[UUID_STR_LEN] = "";
    int64_t gone_seq = 0;
    cr_assert_eq(append_with_event(env.store, "dropped", true, gone, &gone_seq), 0);
    struct store_tx *tx = NULL;
    cr_assert_eq(store_tx_begin_read(env.store, &tx), 0);
    struct store_page_query q = {.viewer_uuid = u[0], .limit = -1};
    struct store_message_list *l = NULL;
    cr_assert_eq(store_message_page(tx, room, &q, &l), 0);
    cr_assert_eq(l->count, 1);
    cr_assert_str_eq(l->items[0].content, "kept");
    store_message_list_free(l);
    struct store_event_list *ev = NULL;
    cr_assert_eq(store_event_read_after(tx, 0, 100, &ev), 0);
    cr_assert_eq(ev->count, 1);
    cr_assert_eq(ev->items[0].seq, seq);
    store_event_list_free(ev);
    store_tx_rollback(tx);
}

static int append_with_event(struct store *s, const char *content, bool rollback,
                             char uuid_out[UUID_STR_LEN], int64_t *seq_out)
{
    return append_with_event_x(s, content, rollback, false, uuid_out, seq_out);
}

/* Waits (bounded) for the next notification on c; returns its payload as a number, or -1. */
static long long next_notify(PGconn *c)
{
    for (int i = 0; i < 100; i++) {
        PGnotify *n = NULL;
        if (PQconsumeInput(c) == 0) {
            return -1;
        }
        if ((n = PQnotifies(c)) != NULL) {
            long long v = strcmp(n->relname, "huard_events") == 0 ? atoll(n->extra) : -1;
            PQfreemem(n);
            return v;
        }
        struct pollfd p = {.fd = PQsocket(c), .events = POLLIN};
        (void)poll(&p, 1, 100);
    }
    return -1;
}

Test(store_events, postgresql_notifies_each_committed_sequence)
{
    if (!ts_is_pg()) {
        return; /* PostgreSQL only (LISTEN/NOTIFY); a skip would bypass the fixture's teardown */
    }
    /* A database of its own: the channel is per database and other tests run alongside. */
    const char *base = getenv("HUARD_TEST_DATABASE");
    char *name = xasprintf("notify_%d", (int)getpid());
    char *sql = xasprintf("CREATE DATABASE %s", name);
    ts_raw_sql(&env, sql);
    free(sql);
    const char *slash = strrchr(base, '/');
    cr_assert_not_null(slash);
    char *url = xasprintf("%.*s/%s", (int)(slash - base), base, name);
    struct store *saved = env.store;
    cr_assert_eq(store_open(url, NULL, &env.store), 0);
    struct store_tx *tx = NULL;
    struct store_tenant *t = NULL;
    cr_assert_eq(store_tx_begin(env.store, &tx), 0);
    cr_assert_eq(store_tenant_ensure_default(tx, &t), 0);
    cr_assert_eq(store_tx_commit(tx), 0);
    char saved_tenant[UUID_STR_LEN];
    strcpy(saved_tenant, env.tenant);
    strcpy(env.tenant, t->uuid);
    store_tenant_free(t);
    char saved_room[UUID_STR_LEN], saved_u[2][UUID_STR_LEN];
    strcpy(saved_room, room);
    memcpy(saved_u, u, sizeof(u));
    ts_user(&env, "n0", u[0]);
    ts_user(&env, "n1", u[1]);
    const char *s2[] = {u[0], u[1]};
    ts_room(&env, room, s2, 2, STORE_HISTORY_SHARED);

    PGconn *c = PQconnectdb(url);
    cr_assert_eq(PQstatus(c), CONNECTION_OK);
    PGresult *r = PQexec(c, "LISTEN huard_events");
    cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    char m[UUID_STR_LEN];
    int64_t seq = 0, dropped = 0, seq2 = 0;
    cr_assert_eq(append_with_event(env.store, "one", false, m, &seq), 0);
    cr_assert_eq(next_notify(c), seq);
    /* A rolled-back append notifies nobody: the next notification is the next commit's. */
    cr_assert_eq(append_with_event(env.store, "dropped", true, m, &dropped), 0);
    cr_assert_eq(append_with_event(env.store, "two", false, m, &seq2), 0);
    cr_assert_eq(next_notify(c), seq2);
    PQfinish(c);

    store_close(env.store);
    env.store = saved;
    strcpy(env.tenant, saved_tenant);
    strcpy(room, saved_room);
    memcpy(u, saved_u, sizeof(u));
    sql = xasprintf("DROP DATABASE %s", name);
    ts_raw_sql(&env, sql);
    free(sql);
    free(url);
    free(name);
}

/* ---------------------------------------------------------------------------------------- */
/* Concurrent writers                                                                       */

#define WRITERS 16
#define PER_WRITER 40

struct writer_result {
    int index;
    int failures;
    int committed;
    char uuids[PER_WRITER][UUID_STR_LEN];
    int64_t seqs[PER_WRITER];
};

static atomic_int readers_stop;

static void *writer_main(void *arg)
{
    struct writer_result *w = arg;
    for (int i = 0; i < PER_WRITER; i++) {
        char content[64];
        snprintf(content, sizeof(content), "w%d-%d", w->index, i);
        /*
         * Every fifth transaction rolls back and every seventh other one is poisoned and
         * committed: both must vanish without harming the other transactions of their batch.
         */
        bool rollback = i % 5 == 4;
        bool poison_it = !rollback && i % 7 == 6;
        char uuid[UUID_STR_LEN];
        int64_t seq = 0;
        int rc = append_with_event_x(env.store, content, rollback, poison_it, uuid, &seq);
        if (poison_it) {
            w->failures += rc != 1;
        } else if (rc != 0) {
            w->failures++;
        } else if (!rollback) {
            strcpy(w->uuids[w->committed], uuid);
            w->seqs[w->committed] = seq;
            w->committed++;
        }
    }
    return NULL;
}

/*
 * Readers poll the outbox while writers run. What a reader sees must be a prefix of the final
 * outbox: it never sees an event and later finds an older one committed behind its back.
 */
struct reader_result {
    int bad;
    int n;
    int64_t seen[WRITERS * PER_WRITER];
};

static void *reader_main(void *arg)
{
    struct reader_result *r = arg;
    int64_t after = 0;
    for (int round = 0; round < 100000 && !atomic_load(&readers_stop); round++) {
        struct store_tx *tx = NULL;
        if (store_tx_begin_read(env.store, &tx) != 0) {
            r->bad++;
            break;
        }
        struct store_event_list *l = NULL;
        if (store_event_read_after(tx, after, 1000, &l) != 0) {
            r->bad++;
        } else {
            for (size_t i = 0; i < l->count && r->n < WRITERS * PER_WRITER; i++) {
                r->seen[r->n++] = l->items[i].seq;
                after = l->items[i].seq;
            }
            store_event_list_free(l);
        }
        store_tx_rollback(tx);
    }
    return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

Test(store_events, sixteen_concurrent_writers_lose_and_duplicate_nothing)
{
    pthread_t th[WRITERS], rd[2];
    struct writer_result *res = xcalloc(WRITERS, sizeof(*res));
    struct reader_result *rr = xcalloc(2, sizeof(*rr));
    atomic_store(&readers_stop, 0);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(pthread_create(&rd[i], NULL, reader_main, &rr[i]), 0);
    }
    for (int i = 0; i < WRITERS; i++) {
        res[i].index = i;
        cr_assert_eq(pthread_create(&th[i], NULL, writer_main, &res[i]), 0);
    }
    for (int i = 0; i < WRITERS; i++) {
        pthread_join(th[i], NULL);
    }
    atomic_store(&readers_stop, 1);
    for (int i = 0; i < 2; i++) {
        pthread_join(rd[i], NULL);
        cr_assert_eq(rr[i].bad, 0, "a reader failed");
    }

    int per_writer = 0;
    for (int i = 0; i < PER_WRITER; i++) {
        per_writer += i % 5 != 4 && i % 7 != 6;
    }
    const int expected = WRITERS * per_writer;
    int64_t *seqs = xcalloc(expected, sizeof(*seqs));
    int n = 0;
    for (int i = 0; i < WRITERS; i++) {
        cr_assert_eq(res[i].failures, 0, "writer %d had failures", i);
        cr_assert_eq(res[i].committed, per_writer);
        for (int k = 0; k < res[i].committed; k++) {
            if (k > 0) {
                cr_assert_gt(res[i].seqs[k], res[i].seqs[k - 1], "a writer's own order");
            }
            seqs[n++] = res[i].seqs[k];
        }
    }
    cr_assert_eq(n, expected);
    qsort(seqs, n, sizeof(*seqs), cmp_i64);

    struct store_tx *tx = NULL;
    cr_assert_eq(store_tx_begin_read(env.store, &tx), 0);
    struct store_event_list *l = NULL;
    cr_assert_eq(store_event_read_after(tx, 0, 100000, &l), 0);
    cr_assert_eq((int)l->count, expected, "one event per committed tx, none of the rollbacks");
    for (int i = 0; i < expected; i++) {
        cr_assert_eq(l->items[i].seq, seqs[i], "acknowledged seqs are exactly the outbox");
        /* SQLite reuses a rolled-back sequence; PostgreSQL sequences leave a gap. */
        if (i > 0 && !ts_is_pg()) {
            cr_assert_eq(l->items[i].seq, l->items[i - 1].seq + 1, "one total order, no gap");
        }
    }
    for (int r = 0; r < 2; r++) {
        for (int i = 0; i < rr[r].n; i++) {
            cr_assert_eq(rr[r].seen[i], l->items[i].seq,
                         "reader %d saw a sequence that is not a prefix of the outbox", r);
        }
    }
    store_event_list_free(l);
    struct store_page_query q = {.viewer_uuid = u[1], .limit = -1, .direction = STORE_ASC};
    struct store_message_list *ml = NULL;
    cr_assert_eq(store_message_page(tx, room, &q, &ml), 0);
    cr_assert_eq((int)ml->count, expected, "no lost or duplicated message");
    cr_assert_eq(ml->total, expected);
    for (size_t i = 0; i < ml->count; i++) {
        int wi = -1, k = -1;
        cr_assert_eq(sscanf(ml->items[i].content, "w%d-%d", &wi, &k), 2);
        cr_assert(k % 5 != 4 && k % 7 != 6, "rolled-back or poisoned message %s is there",
                  ml->items[i].content);
    }
    store_message_list_free(ml);
    for (int i = 0; i < WRITERS; i++) {
        for (int k = 0; k < res[i].committed; k++) {
            struct store_message *m = NULL;
            cr_assert_eq(store_message_get(tx, res[i].uuids[k], NULL, &m), 0);
            store_message_free(m);
        }
    }
    store_tx_rollback(tx);
    free(seqs);
    free(res);
    free(rr);
}

/* An event to n recipients whose uuids are made from (list, i). */
static int64_t append_to_many(int list, size_t n)
{
    char(*rcpt)[UUID_STR_LEN] = xcalloc(n, UUID_STR_LEN);
    for (size_t i = 0; i < n; i++) {
        snprintf(rcpt[i], UUID_STR_LEN, "%08x-0000-4000-8000-%012x", (unsigned)list, (unsigned)i);
    }
    struct store_event ev = {.name = "chatd_user_room_message_created",
                             .recipients = rcpt,
                             .n_recipients = n,
                             .payload = "{}",
                             .payload_len = 2};
    strcpy(ev.tenant_uuid, env.tenant);
    strcpy(ev.room_uuid, room);
    struct store_tx *tx = NULL;
    cr_assert_eq(store_tx_begin(env.store, &tx), 0);
    cr_assert_eq(store_event_append(tx, &ev), 0);
    cr_assert_eq(store_tx_commit(tx), 0);
    free(rcpt);
    return ev.seq;
}

static void expect_recipients(const struct store_event *e, int list, size_t n)
{
    cr_assert_eq(e->n_recipients, n, "seq %lld", (long long)e->seq);
    for (size_t i = 0; i < n; i++) {
        char want[UUID_STR_LEN];
        snprintf(want, sizeof(want), "%08x-0000-4000-8000-%012x", (unsigned)list, (unsigned)i);
        cr_assert_str_eq(e->recipients[i], want);
    }
}

Test(store_events, long_recipient_lists_are_shared_and_read_back_exactly)
{
    /* Long lists are stored once per distinct list (schema 2); short ones in the row. */
    int64_t a1 = append_to_many(1, 1000);
    int64_t b1 = append_to_many(2, 1000); /* same length, other members */
    int64_t a2 = append_to_many(1, 1000);
    int64_t a3 = append_to_many(1, 999); /* one member fewer: another list */
    int64_t s1 = append_to_many(3, 2);
    int64_t z = append_to_many(4, 0);
    struct store_tx *tx = NULL;
    cr_assert_eq(store_tx_begin_read(env.store, &tx), 0);
    struct store_event_list *l = NULL;
    cr_assert_eq(store_event_read_after(tx, a1 - 1, 100, &l), 0);
    cr_assert_eq(l->count, 6);
    const int64_t seqs[] = {a1, b1, a2, a3, s1, z};
    const int lists[] = {1, 2, 1, 1, 3, 4};
    const size_t ns[] = {1000, 1000, 1000, 999, 2, 0};
    for (size_t i = 0; i < 6; i++) {
        cr_assert_eq(l->items[i].seq, seqs[i]);
        expect_recipients(&l->items[i], lists[i], ns[i]);
    }
    store_event_list_free(l);
    store_tx_rollback(tx);
}

Test(store_events, prune_keeps_the_lists_later_events_still_name)
{
    int64_t a1 = append_to_many(1, 100);
    int64_t b1 = append_to_many(2, 100);
    int64_t a2 = append_to_many(1, 100);
    struct store_tx *tx = NULL;
    cr_assert_eq(store_tx_begin(env.store, &tx), 0);
    cr_assert_eq(store_event_prune(tx, a2), 0, "drops a1 and b1; list 1 is still named by a2");
    cr_assert_eq(store_tx_commit(tx), 0);
    int64_t a3 = append_to_many(1, 100);
    int64_t b2 = append_to_many(2, 100); /* list 2 was pruned with b1: stored again */
    cr_assert_eq(store_tx_begin_read(env.store, &tx), 0);
    struct store_event_list *l = NULL;
    cr_assert_eq(store_event_read_after(tx, b1, 100, &l), 0);
    cr_assert_eq(l->count, 3);
    cr_assert_eq(l->items[0].seq, a2);
    expect_recipients(&l->items[0], 1, 100);
    cr_assert_eq(l->items[1].seq, a3);
    expect_recipients(&l->items[1], 1, 100);
    cr_assert_eq(l->items[2].seq, b2);
    expect_recipients(&l->items[2], 2, 100);
    store_event_list_free(l);
    store_tx_rollback(tx);
    (void)a1;
}
