/*
 * store_crash: the appender and the checker of the store crash test (scripts/test-store.sh).
 *
 *   store_crash append DB THREADS MAX   appends until MAX or killed; each transaction is one
 *                                       message plus its event; after store_tx_commit() returns
 *                                       it prints "ack <message uuid> <event seq>" on stdout
 *   store_crash check DB ACKFILE        after a kill -9: every acknowledged append is there,
 *                                       and messages and events match one to one (a message
 *                                       without its event, or the reverse, is half-written)
 *
 * DB is a SQLite path or a postgresql:// URL. Exit status 0 when the check holds.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "store/store.h"

#define EVENT_NAME "crash_test_message_created"

struct ctx {
    struct store *store;
    char tenant[UUID_STR_LEN];
    char user[UUID_STR_LEN];
    char room[UUID_STR_LEN];
    atomic_long next;
    long max;
    pthread_mutex_t out_mu;
};

static int setup(struct ctx *c)
{
    struct store_tx *tx = NULL;
    struct store_tenant *t = NULL;
    struct store_user *u = NULL;
    struct store_room_list *rooms = NULL;
    int rc = store_tx_begin(c->store, &tx);
    if (rc == 0) {
        rc = store_tenant_ensure_default(tx, &t);
    }
    if (rc == 0) {
        snprintf(c->tenant, sizeof(c->tenant), "%s", t->uuid);
        rc = store_user_get_by_name(tx, c->tenant, "crash", &u);
        if (rc == HE_UNKNOWN_USER) {
            struct store_user nu = {.username = "crash", .password_hash = "x"};
            snprintf(nu.tenant_uuid, sizeof(nu.tenant_uuid), "%s", c->tenant);
            rc = store_user_add(tx, &nu);
            snprintf(c->user, sizeof(c->user), "%s", nu.uuid);
        } else if (rc == 0) {
            snprintf(c->user, sizeof(c->user), "%s", u->uuid);
        }
    }
    if (rc == 0) {
        rc = store_room_list_for_user(tx, c->user, NULL, 0, &rooms);
    }
    if (rc == 0 && rooms->count > 0) {
        snprintf(c->room, sizeof(c->room), "%s", rooms->items[0].uuid);
    } else if (rc == 0) {
        struct store_member m = {.role = STORE_ROLE_OWNER};
        snprintf(m.user_uuid, sizeof(m.user_uuid), "%s", c->user);
        struct store_room r = {.name = "crash", .max_members = 2, .members = &m, .n_members = 1};
        snprintf(r.tenant_uuid, sizeof(r.tenant_uuid), "%s", c->tenant);
        rc = store_room_create(tx, &r);
        snprintf(c->room, sizeof(c->room), "%s", r.uuid);
    }
    if (rc == 0) {
        rc = store_tx_commit(tx);
    } else {
        store_tx_rollback(tx);
    }
    store_room_list_free(rooms);
    store_user_free(u);
    store_tenant_free(t);
    return rc;
}

static void *appender(void *arg)
{
    struct ctx *c = arg;
    for (;;) {
        long i = atomic_fetch_add(&c->next, 1);
        if (i >= c->max) {
            break;
        }
        char content[96];
        snprintf(content, sizeof(content), "crash append %ld with some text to write", i);
        struct store_message m = {.content = content, .content_search = content};
        snprintf(m.room_uuid, sizeof(m.room_uuid), "%s", c->room);
        snprintf(m.user_uuid, sizeof(m.user_uuid), "%s", c->user);
        uuid_v7(m.uuid);
        char payload[128];
        snprintf(payload, sizeof(payload), "{\"uuid\":\"%s\",\"i\":%ld}", m.uuid, i);
        char rcpt[1][UUID_STR_LEN];
        snprintf(rcpt[0], sizeof(rcpt[0]), "%s", c->user);
        struct store_event ev = {.name = EVENT_NAME,
                                 .recipients = rcpt,
                                 .n_recipients = 1,
                                 .payload = payload,
                                 .payload_len = strlen(payload)};
        snprintf(ev.tenant_uuid, sizeof(ev.tenant_uuid), "%s", c->tenant);
        snprintf(ev.room_uuid, sizeof(ev.room_uuid), "%s", c->room);
        struct store_tx *tx = NULL;
        int rc = store_tx_begin(c->store, &tx);
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
            /* The server went away (PostgreSQL crash): stop, unacknowledged. */
            break;
        }
        char line[128];
        int n = snprintf(line, sizeof(line), "ack %s %lld\n", m.uuid, (long long)ev.seq);
        pthread_mutex_lock(&c->out_mu);
        ssize_t w = write(STDOUT_FILENO, line, (size_t)n);
        pthread_mutex_unlock(&c->out_mu);
        if (w != n) {
            break;
        }
    }
    return NULL;
}

static int run_append(const char *db, int threads, long max)
{
    struct ctx c = {.max = max};
    pthread_mutex_init(&c.out_mu, NULL);
    atomic_init(&c.next, 0);
    int rc = store_open(db, NULL, &c.store);
    if (rc == 0) {
        rc = setup(&c);
    }
    if (rc != 0) {
        fprintf(stderr, "store_crash: setup failed: %s\n", he_name(rc));
        store_close(c.store);
        return 1;
    }
    pthread_t *th = xcalloc((size_t)threads, sizeof(*th));
    for (int i = 0; i < threads; i++) {
        pthread_create(&th[i], NULL, appender, &c);
    }
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
    }
    free(th);
    store_close(c.store);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_check(const char *db, const char *ackfile)
{
    struct store *s = NULL;
    struct store_tx *tx = NULL;
    struct store_event_list *events = NULL;
    struct store_message_list *msgs = NULL;
    struct store_user *u = NULL;
    struct store_tenant *t = NULL;
    struct store_room_list *rooms = NULL;
    char **event_uuids = NULL;
    int bad = 0;
    long acked = 0;
    FILE *f = fopen(ackfile, "r");
    int rc = f != NULL ? store_open(db, NULL, &s) : HE_IO;
    if (rc == 0) {
        rc = store_tx_begin_read(s, &tx);
    }
    if (rc == 0) {
        rc = store_tenant_get_default(tx, &t);
    }
    if (rc == 0) {
        rc = store_user_get_by_name(tx, t->uuid, "crash", &u);
    }
    if (rc == 0) {
        rc = store_room_list_for_user(tx, u->uuid, NULL, 0, &rooms);
    }
    if (rc == 0 && rooms->count != 1) {
        rc = HE_INTERNAL;
    }
    if (rc == 0) {
        rc = store_event_read_after(tx, 0, 100000000, &events);
    }
    if (rc == 0) {
        struct store_page_query q = {.viewer_uuid = u->uuid, .limit = -1, .direction = STORE_ASC};
        rc = store_message_page(tx, rooms->items[0].uuid, &q, &msgs);
    }
    if (rc != 0) {
        fprintf(stderr, "store_crash check: cannot read the store: %s\n", he_name(rc));
        bad = 1;
        goto out;
    }
    /* Events <-> messages, one to one. */
    event_uuids = xcalloc(events->count + 1, sizeof(*event_uuids));
    size_t ne = 0;
    for (size_t i = 0; i < events->count; i++) {
        const struct store_event *e = &events->items[i];
        if (strcmp(e->name, EVENT_NAME) != 0) {
            continue;
        }
        const char *p = strstr(e->payload, "\"uuid\":\"");
        if (p == NULL || strlen(p + 8) < 36) {
            fprintf(stderr, "half-written event seq=%lld\n", (long long)e->seq);
            bad++;
            continue;
        }
        event_uuids[ne++] = xstrndup(p + 8, 36);
    }
    qsort(event_uuids, ne, sizeof(*event_uuids), cmp_str);
    if (ne != msgs->count) {
        fprintf(stderr, "messages=%zu events=%zu: a change without its event or the reverse\n",
                msgs->count, ne);
        bad++;
    }
    for (size_t i = 0; i < msgs->count; i++) {
        const char *id = msgs->items[i].uuid;
        if (bsearch(&id, event_uuids, ne, sizeof(*event_uuids), cmp_str) == NULL) {
            fprintf(stderr, "message %s has no event\n", id);
            bad++;
        }
        if (strncmp(msgs->items[i].content, "crash append ", 13) != 0) {
            fprintf(stderr, "message %s content damaged\n", id);
            bad++;
        }
    }
    /* Every acknowledged append is there. */
    char line[256];
    while (fgets(line, sizeof(line), f) != NULL) {
        char uuid[64];
        long long seq = 0;
        if (strchr(line, '\n') == NULL || sscanf(line, "ack %63s %lld", uuid, &seq) != 2) {
            continue; /* the line the kill cut short was never a complete acknowledgement */
        }
        acked++;
        struct store_message *m = NULL;
        if (store_message_get(tx, uuid, NULL, &m) != 0) {
            fprintf(stderr, "acknowledged message %s lost\n", uuid);
            bad++;
        }
        store_message_free(m);
        const char *key = uuid;
        if (bsearch(&key, event_uuids, ne, sizeof(*event_uuids), cmp_str) == NULL) {
            fprintf(stderr, "acknowledged event of %s (seq %lld) lost\n", uuid, seq);
            bad++;
        }
    }
    printf("crash check: acknowledged=%ld stored=%zu events=%zu violations=%d\n", acked,
           msgs->count, ne, bad);
    if (acked == 0) {
        fprintf(stderr, "no acknowledged append: the test proved nothing\n");
        bad++;
    }
out:
    if (event_uuids != NULL) {
        for (size_t i = 0; event_uuids[i] != NULL; i++) {
            free(event_uuids[i]);
        }
        free(event_uuids);
    }
    store_message_list_free(msgs);
    store_event_list_free(events);
    store_room_list_free(rooms);
    store_user_free(u);
    store_tenant_free(t);
    store_tx_rollback(tx);
    store_close(s);
    if (f != NULL) {
        fclose(f);
    }
    return bad == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    log_level = LOG_WARN;
    if (argc == 5 && strcmp(argv[1], "append") == 0) {
        return run_append(argv[2], atoi(argv[3]), atol(argv[4]));
    }
    if (argc == 4 && strcmp(argv[1], "check") == 0) {
        return run_check(argv[2], argv[3]);
    }
    fprintf(stderr, "usage: store_crash append DB THREADS MAX | check DB ACKFILE\n");
    return 2;
}
