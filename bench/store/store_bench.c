/*
 * bench_store: acknowledged message appends per second through the store, and the latency
 * of one append (begin .. commit returned), with N concurrent writers.
 *
 *   bench_store [--database URL_OR_PATH] [--writers N] [--count TOTAL] [--sync full|normal]
 *
 * Each append is what the API does for a posted message: one write transaction with the
 * message and its event (2 recipients). Without --database a SQLite file in a temp folder is
 * used and removed. Prints one Markdown table row:
 *   | backend | sync | writers | appends | appends/s | p50 ms | p99 ms | max ms |
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "store/store.h"

struct bench {
    struct store *store;
    char tenant[UUID_STR_LEN];
    char users[2][UUID_STR_LEN];
    char room[UUID_STR_LEN];
    atomic_long next;
    long total;
    double *lat_ms; /* one per append */
    atomic_int errors;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int setup(struct bench *b)
{
    struct store_tx *tx = NULL;
    struct store_tenant *t = NULL;
    int rc = store_tx_begin(b->store, &tx);
    if (rc == 0) {
        rc = store_tenant_ensure_default(tx, &t);
    }
    if (rc == 0) {
        snprintf(b->tenant, sizeof(b->tenant), "%s", t->uuid);
    }
    struct store_member m[2] = {{.role = STORE_ROLE_OWNER}, {.role = STORE_ROLE_MEMBER}};
    for (int i = 0; rc == 0 && i < 2; i++) {
        char name[64];
        snprintf(name, sizeof(name), "bench-%d-%ld", i, (long)getpid());
        struct store_user u = {.username = name, .password_hash = "x"};
        snprintf(u.tenant_uuid, sizeof(u.tenant_uuid), "%s", b->tenant);
        rc = store_user_add(tx, &u);
        snprintf(b->users[i], sizeof(b->users[i]), "%s", u.uuid);
        snprintf(m[i].user_uuid, sizeof(m[i].user_uuid), "%s", u.uuid);
    }
    struct store_room r = {.name = "bench", .max_members = 2, .members = m, .n_members = 2};
    snprintf(r.tenant_uuid, sizeof(r.tenant_uuid), "%s", b->tenant);
    if (rc == 0) {
        rc = store_room_create(tx, &r);
        snprintf(b->room, sizeof(b->room), "%s", r.uuid);
    }
    if (rc == 0) {
        rc = store_tx_commit(tx);
    } else {
        store_tx_rollback(tx);
    }
    store_tenant_free(t);
    return rc;
}

static void *writer(void *arg)
{
    struct bench *b = arg;
    static const char text[] = "a typical chat message of some fifty-odd bytes here";
    for (;;) {
        long i = atomic_fetch_add(&b->next, 1);
        if (i >= b->total) {
            break;
        }
        double t0 = now_s();
        struct store_message m = {.content = (char *)text, .content_search = (char *)text};
        snprintf(m.room_uuid, sizeof(m.room_uuid), "%s", b->room);
        snprintf(m.user_uuid, sizeof(m.user_uuid), "%s", b->users[i % 2]);
        uuid_v7(m.uuid);
        char payload[256];
        int plen = snprintf(payload, sizeof(payload),
                            "{\"uuid\":\"%s\",\"content\":\"%s\",\"room\":{\"uuid\":\"%s\"}}",
                            m.uuid, text, b->room);
        struct store_event ev = {.name = "chatd_user_room_message_created",
                                 .recipients = b->users,
                                 .n_recipients = 2,
                                 .payload = payload,
                                 .payload_len = (size_t)plen};
        snprintf(ev.tenant_uuid, sizeof(ev.tenant_uuid), "%s", b->tenant);
        snprintf(ev.room_uuid, sizeof(ev.room_uuid), "%s", b->room);
        struct store_tx *tx = NULL;
        int rc = store_tx_begin(b->store, &tx);
        if (rc == 0) {
            rc = store_message_append(tx, &m);
            if (rc == 0) {
                rc = store_event_append(tx, &ev);
            }
            if (rc == 0) {
                rc = store_tx_commit(tx);
            } else {
                store_tx_rollback(tx);
            }
        }
        if (rc != 0) {
            atomic_fetch_add(&b->errors, 1);
        }
        b->lat_ms[i] = (now_s() - t0) * 1000.0;
    }
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    const char *database = NULL;
    const char *sync = "full";
    int writers = 1;
    long total = 2000;
    log_level = LOG_WARN;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--database") == 0) {
            database = argv[++i];
        } else if (i + 1 < argc && strcmp(argv[i], "--writers") == 0) {
            writers = atoi(argv[++i]);
        } else if (i + 1 < argc && strcmp(argv[i], "--count") == 0) {
            total = atol(argv[++i]);
        } else if (i + 1 < argc && strcmp(argv[i], "--sync") == 0) {
            sync = argv[++i];
        } else {
            fprintf(stderr, "usage: bench_store [--database URL_OR_PATH] [--writers N] "
                            "[--count TOTAL] [--sync full|normal]\n");
            return 2;
        }
    }
    if (writers < 1 || writers > 256 || total < 1) {
        fprintf(stderr, "bench_store: bad --writers or --count\n");
        return 2;
    }
    char dir[] = "/tmp/huard-bench-store.XXXXXX";
    char *path = NULL;
    if (database == NULL) {
        if (mkdtemp(dir) == NULL) {
            perror("mkdtemp");
            return 1;
        }
        path = xasprintf("%s/%s", dir, STORE_SQLITE_FILE);
        database = path;
    }
    struct store_options opts = {
        .sync = strcmp(sync, "normal") == 0 ? STORE_SYNC_NORMAL : STORE_SYNC_FULL,
        .max_connections = (unsigned)writers + 2,
    };
    struct bench b = {.total = total};
    atomic_init(&b.next, 0);
    atomic_init(&b.errors, 0);
    b.lat_ms = xcalloc((size_t)total, sizeof(double));
    int rc = store_open(database, &opts, &b.store);
    if (rc == 0) {
        rc = setup(&b);
    }
    if (rc != 0) {
        fprintf(stderr, "bench_store: setup failed: %s\n", he_name(rc));
        return 1;
    }
    pthread_t *th = xcalloc((size_t)writers, sizeof(*th));
    double t0 = now_s();
    for (int i = 0; i < writers; i++) {
        pthread_create(&th[i], NULL, writer, &b);
    }
    for (int i = 0; i < writers; i++) {
        pthread_join(th[i], NULL);
    }
    double elapsed = now_s() - t0;
    qsort(b.lat_ms, (size_t)total, sizeof(double), cmp_double);
    printf("| %s | %s | %d | %ld | %.0f | %.2f | %.2f | %.2f |\n", store_backend_name(b.store),
           strcmp(store_backend_name(b.store), "sqlite") == 0 ? sync : "default", writers, total,
           (double)total / elapsed, b.lat_ms[total / 2], b.lat_ms[(long)((double)total * 0.99)],
           b.lat_ms[total - 1]);
    int errors = atomic_load(&b.errors);
    if (errors > 0) {
        fprintf(stderr, "bench_store: %d appends failed\n", errors);
    }
    store_close(b.store);
    if (path != NULL) {
        const char *suffixes[] = {"", "-wal", "-shm"};
        for (int i = 0; i < 3; i++) {
            char *p = xasprintf("%s%s", path, suffixes[i]);
            unlink(p);
            free(p);
        }
        rmdir(dir);
        free(path);
    }
    free(th);
    free(b.lat_ms);
    return errors > 0;
}
