/*
 * huard: the Wazo-protocol side of the load generator.
 *
 * REST (libcurl multi, never a hand-written HTTP parser): login per member with
 * POST /api/auth/0.1/token and HTTP Basic (wazo-api.md 2.1), rooms created by their first
 * member with POST /api/chatd/1.0/users/me/rooms (3.2), messages posted by the poster thread
 * with POST .../rooms/{uuid}/messages (3.5).
 * WebSocket (loop thread): /api/websocketd/?token=T&version=2, then init -> subscribe
 * chatd_user_room_message_created -> start (4.1-4.3); every delivery is an "event" frame
 * whose data.data.content carries our payload (5.3).
 *
 * Threads: lg_huard_prepare runs on the main thread before the loop starts; the poster thread
 * touches only its curl handles, run->msgs is not touched by it (the send time travels inside
 * the payload), and it reports through the atomic counters of struct lg_run.
 */
#include "lg.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EV_NAME "chatd_user_room_message_created"
/* Rooms are created with all their members in one chatd POST (wazo-api.md 3.2): a 5,000-member
 * room is a ~250 kB body, so scripts/bench.sh raises Huard's --max_body for the run. */

/* ---- WebSocket side ---- */

static void send_json(struct lg_conn *c, const char *s)
{
    if (lg_ws_send_text(c, s, strlen(s)) != 0) {
        lg_conn_kill(c, "queue failed");
    }
}

void lg_huard_on_open(struct lg_conn *c)
{
    c->step = 0; /* waiting for init */
}

static void setup_step(struct lg_conn *c, const uint8_t *msg, size_t len)
{
    json_error_t err;
    json_t *root = json_loadb((const char *)msg, len, 0, &err);
    const char *op = root ? json_string_value(json_object_get(root, "op")) : NULL;
    if (!op) {
        lg_conn_kill(c, "setup frame without op");
    } else if (c->step == 0 && strcmp(op, "init") == 0) {
        send_json(c, "{\"op\":\"subscribe\",\"data\":{\"event_name\":\"" EV_NAME "\"}}");
        c->step = 1;
    } else if (c->step == 1 && strcmp(op, "subscribe") == 0) {
        send_json(c, "{\"op\":\"start\"}");
        c->step = 2;
    } else if (c->step == 2 && strcmp(op, "start") == 0) {
        lg_mark_ready(c);
    }
    json_decref(root);
}

void lg_huard_on_msg(struct lg_conn *c, const uint8_t *msg, size_t len)
{
    struct lg_run *run = c->run;
    int64_t now = lg_now_ns();
    if (c->state != LG_C_READY) {
        setup_step(c, msg, len);
        return;
    }
    if (!run->o.full_parse && run->parsed_full >= 1000) {
        /* Fast path once 1,000 deliveries passed the full check below: our marker only
         * appears in the content of our own message events. */
        const char *m = memmem(msg, len, LG_MARK, strlen(LG_MARK));
        if (m && memmem(msg, len, EV_NAME, strlen(EV_NAME))) {
            lg_on_payload(run, m, len - (size_t)(m - (const char *)msg), now);
        } else {
            run->unexpected++;
        }
        return;
    }
    json_error_t err;
    json_t *root = json_loadb((const char *)msg, len, 0, &err);
    const char *op = json_string_value(json_object_get(root, "op"));
    json_t *data = json_object_get(root, "data");
    const char *name = json_string_value(json_object_get(data, "name"));
    json_t *payload = json_object_get(data, "data");
    const char *content = json_string_value(json_object_get(payload, "content"));
    if (op && strcmp(op, "event") == 0 && name && strcmp(name, EV_NAME) == 0 && content &&
        strncmp(content, LG_MARK, strlen(LG_MARK)) == 0) {
        run->parsed_full++;
        lg_on_payload(run, content, strlen(content), now);
    } else {
        run->unexpected++;
    }
    json_decref(root);
}

/* ---- REST side ---- */

struct req {
    CURL *h;
    struct curl_slist *hdrs;
    char *body;
    char *resp;
    size_t resp_len;
    int kind; /* 0 login, 1 room create, 3 post */
    int idx;  /* member (login), room (create/add), message (post) */
    int64_t t0_ns;
};

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct req *r = ud;
    size_t n = size * nmemb;
    r->resp = lg_xrealloc(r->resp, r->resp_len + n + 1);
    memcpy(r->resp + r->resp_len, ptr, n);
    r->resp_len += n;
    r->resp[r->resp_len] = 0;
    return n;
}

static struct req *req_new(struct lg_run *run, const char *path, const char *token,
                           const char *body)
{
    struct req *r = lg_xcalloc(1, sizeof(*r));
    r->h = curl_easy_init();
    if (!r->h) {
        lg_die("curl_easy_init failed");
    }
    char *url = lg_xasprintf("http://%s:%d%s", run->o.host, run->o.port, path);
    curl_easy_setopt(r->h, CURLOPT_URL, url);
    free(url);
    r->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    r->hdrs = curl_slist_append(r->hdrs, "Accept: application/json");
    if (token) {
        char *h = lg_xasprintf("X-Auth-Token: %s", token);
        r->hdrs = curl_slist_append(r->hdrs, h);
        free(h);
    }
    /* No "Expect: 100-continue" round trip on larger bodies. */
    r->hdrs = curl_slist_append(r->hdrs, "Expect:");
    curl_easy_setopt(r->h, CURLOPT_HTTPHEADER, r->hdrs);
    r->body = lg_xstrdup(body);
    curl_easy_setopt(r->h, CURLOPT_POSTFIELDS, r->body);
    curl_easy_setopt(r->h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(r->h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(r->h, CURLOPT_PRIVATE, r);
    curl_easy_setopt(r->h, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(r->h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(r->h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(r->h, CURLOPT_PROTOCOLS_STR, "http");
    return r;
}

static void req_free(struct req *r)
{
    curl_easy_cleanup(r->h);
    curl_slist_free_all(r->hdrs);
    free(r->body);
    free(r->resp);
    free(r);
}

static int room_of_first(struct lg_run *run, int room)
{
    return room * (run->o.members / run->o.rooms);
}

static struct req *login_req(struct lg_run *run, int i)
{
    struct req *r = req_new(run, "/api/auth/0.1/token", NULL,
                            "{\"backend\":\"wazo_user\",\"expiration\":3600}");
    char *user = lg_xasprintf("%s%d", run->o.user_prefix, i);
    curl_easy_setopt(r->h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    curl_easy_setopt(r->h, CURLOPT_USERNAME, user);
    curl_easy_setopt(r->h, CURLOPT_PASSWORD, run->o.password);
    free(user);
    r->kind = 0;
    r->idx = i;
    return r;
}

static char *users_body(struct lg_run *run, int room, int from, int to, const char *name)
{
    json_t *o = json_object();
    if (name) {
        json_object_set_new(o, "name", json_string(name));
    }
    json_t *users = json_array();
    for (int m = from; m < to; m++) {
        json_t *u = json_object();
        json_object_set_new(u, "uuid", json_string(run->user_uuids[room_of_first(run, room) + m]));
        json_array_append_new(users, u);
    }
    json_object_set_new(o, "users", users);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

static int per_room(struct lg_run *run)
{
    return run->o.members / run->o.rooms;
}

static struct req *room_req(struct lg_run *run, int room)
{
    char name[32];
    snprintf(name, sizeof(name), "bench-%d", room);
    /* the creator is added by the server when absent (3.2 step 3); listing it is allowed */
    char *body = users_body(run, room, 0, per_room(run), name);
    struct req *r =
        req_new(run, "/api/chatd/1.0/users/me/rooms", run->tokens[room_of_first(run, room)], body);
    free(body);
    r->kind = 1;
    r->idx = room;
    return r;
}

static int resp_status(struct req *r)
{
    long code = 0;
    curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &code);
    return (int)code;
}

static int take_login(struct lg_run *run, struct req *r)
{
    json_error_t err;
    json_t *root = r->resp ? json_loads(r->resp, 0, &err) : NULL;
    json_t *data = json_object_get(root, "data");
    const char *tok = json_string_value(json_object_get(data, "token"));
    const char *uuid =
        json_string_value(json_object_get(json_object_get(data, "metadata"), "uuid"));
    int ret = -1;
    if (resp_status(r) == 200 && tok && uuid) {
        run->tokens[r->idx] = lg_xstrdup(tok);
        run->user_uuids[r->idx] = lg_xstrdup(uuid);
        ret = 0;
    }
    json_decref(root);
    return ret;
}

static int take_room(struct lg_run *run, struct req *r)
{
    json_error_t err;
    json_t *root = r->resp ? json_loads(r->resp, 0, &err) : NULL;
    const char *uuid = json_string_value(json_object_get(root, "uuid"));
    int ret = -1;
    if (resp_status(r) == 201 && uuid) {
        run->room_uuids[r->idx] = lg_xstrdup(uuid);
        ret = 0;
    }
    json_decref(root);
    return ret;
}

/* Runs n requests made by make(i) with at most conc in flight; done(r) checks each. */
static int batch(struct lg_run *run, int n, int conc, struct req *(*make)(struct lg_run *, int),
                 int (*done)(struct lg_run *, struct req *), const char *what)
{
    CURLM *m = curl_multi_init();
    int next = 0, running = 0, failed = 0, finished = 0;
    while (finished < n) {
        while (next < n && running < conc) {
            struct req *r = make(run, next++);
            curl_multi_add_handle(m, r->h);
            running++;
        }
        int still = 0;
        curl_multi_perform(m, &still);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE) {
                continue;
            }
            struct req *r = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
            if (msg->data.result != CURLE_OK || done(run, r) != 0) {
                if (failed < 3) {
                    lg_log("%s %d failed: %s HTTP %d %.200s", what, r->idx,
                           curl_easy_strerror(msg->data.result), resp_status(r),
                           r->resp ? r->resp : "");
                }
                failed++;
            }
            curl_multi_remove_handle(m, r->h);
            req_free(r);
            running--;
            finished++;
        }
        if (lg_now_ns() > run->deadline_ns) {
            lg_log("%s: wall-clock cap reached", what);
            failed += n - finished;
            break;
        }
        if (finished < n) {
            curl_multi_poll(m, NULL, 0, 100, NULL);
        }
    }
    curl_multi_cleanup(m);
    return failed;
}

/*
 * Members 0..n-1 from a bench_provision file instead of logging in: a login is one argon2id
 * verification on the server (tens of ms of CPU, on purpose), which is not what the
 * scenarios measure and would take minutes for 10,000 members.
 */
static int read_tokens(struct lg_run *run, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        lg_log("cannot open %s", path);
        return -1;
    }
    char line[512];
    int got = 0;
    while (fgets(line, sizeof(line), f)) {
        int idx;
        char uuid[64], tok[128];
        if (sscanf(line, "%d %63s %127s", &idx, uuid, tok) != 3) {
            continue;
        }
        if (idx < 0 || idx >= run->o.members || run->tokens[idx]) {
            continue;
        }
        run->tokens[idx] = lg_xstrdup(tok);
        run->user_uuids[idx] = lg_xstrdup(uuid);
        got++;
    }
    fclose(f);
    if (got != run->o.members) {
        lg_log("%s holds %d of the %d members needed", path, got, run->o.members);
        return -1;
    }
    return 0;
}

int lg_huard_prepare(struct lg_run *run)
{
    int n = run->o.members;
    run->tokens = lg_xcalloc((size_t)n, sizeof(char *));
    run->user_uuids = lg_xcalloc((size_t)n, sizeof(char *));
    run->room_uuids = lg_xcalloc((size_t)run->o.rooms, sizeof(char *));
    int64_t t0 = lg_now_ns();
    if (run->o.tokens_file) {
        if (read_tokens(run, run->o.tokens_file) != 0) {
            return -1;
        }
        lg_log("read %d pre-minted tokens from %s", n, run->o.tokens_file);
    } else {
        /* Logins hash a password on the server (argon2id): a few in flight keep both cores
         * busy without queueing thousands of them. */
        if (batch(run, n, 8, login_req, take_login, "login") != 0) {
            return -1;
        }
        lg_log("logged in %d users in %.1f s", n, (double)(lg_now_ns() - t0) / 1e9);
    }
    if (run->o.scenario == LG_IDLE) {
        return 0;
    }
    t0 = lg_now_ns();
    if (batch(run, run->o.rooms, 8, room_req, take_room, "room create") != 0) {
        return -1;
    }
    lg_log("created %d rooms of %d in %.1f s", run->o.rooms, per_room(run),
           (double)(lg_now_ns() - t0) / 1e9);
    if (run->o.session_out) {
        FILE *f = fopen(run->o.session_out, "w");
        if (!f) {
            lg_die("cannot write %s", run->o.session_out);
        }
        fprintf(f, "token=%s\nroom=%s\nuser=%s\n", run->tokens[0], run->room_uuids[0],
                run->user_uuids[0]);
        fclose(f);
    }
    return 0;
}

/* ---- poster thread ---- */

static pthread_t poster;

static void sleep_until(int64_t t)
{
    int64_t now = lg_now_ns();
    if (t <= now) {
        return;
    }
    struct timespec ts = {.tv_sec = (t - now) / 1000000000, .tv_nsec = (t - now) % 1000000000};
    nanosleep(&ts, NULL);
}

static void *poster_main(void *arg)
{
    struct lg_run *run = arg;
    CURLM *m = curl_multi_init();
    int total = run->o.messages, next = 0, running = 0, finished = 0;
    int conc = run->o.rate > 0 ? 64 : (run->o.inflight > 0 ? run->o.inflight : 1);
    int64_t t0 = lg_now_ns();
    while (finished < total) {
        while (next < total && running < conc) {
            int64_t due = run->o.rate > 0 ? t0 + (int64_t)((double)next * 1e9 / run->o.rate) : 0;
            if (due > lg_now_ns()) {
                break;
            }
            int room = next % run->o.rooms;
            char payload[8192];
            lg_payload(run, next, lg_now_ns(), payload, sizeof(payload));
            char *body = lg_xasprintf("{\"content\":\"%s\"}", payload);
            char path[256];
            snprintf(path, sizeof(path), "/api/chatd/1.0/users/me/rooms/%s/messages",
                     run->room_uuids[room]);
            struct req *r = req_new(run, path, run->tokens[room_of_first(run, room)], body);
            free(body);
            r->kind = 3;
            r->idx = next++;
            r->t0_ns = lg_now_ns();
            curl_multi_add_handle(m, r->h);
            running++;
        }
        int still = 0;
        curl_multi_perform(m, &still);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE) {
                continue;
            }
            struct req *r = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
            int st = resp_status(r);
            if (msg->data.result == CURLE_OK && (st == 201 || st == 202)) {
                atomic_fetch_add(&run->posts_ok, 1);
                run->ack_us[run->n_ack++] = (uint32_t)((lg_now_ns() - r->t0_ns) / 1000);
            } else {
                if (atomic_fetch_add(&run->posts_failed, 1) < 3) {
                    lg_log("post %d failed: %s HTTP %d %.200s", r->idx,
                           curl_easy_strerror(msg->data.result), st, r->resp ? r->resp : "");
                }
            }
            curl_multi_remove_handle(m, r->h);
            req_free(r);
            running--;
            finished++;
        }
        if (lg_now_ns() > run->deadline_ns) {
            break;
        }
        if (finished < total) {
            /* When the next post may start: now at full speed, on schedule at a fixed rate,
             * never once all are started. All in-flight posts may have completed in the
             * perform above, so "nothing running" must not mean "wait forever". */
            int64_t due = INT64_MAX;
            if (next < total) {
                due = run->o.rate > 0 ? t0 + (int64_t)((double)next * 1e9 / run->o.rate) : 0;
            }
            if (running == 0) {
                sleep_until(due);
            } else {
                /* wake for the next response or the next due post, whichever comes first */
                int64_t wait_ms = (due - lg_now_ns()) / 1000000;
                int tmo = wait_ms < 0 ? 0 : wait_ms > 100 ? 100 : (int)wait_ms;
                if (running >= conc) {
                    tmo = 100; /* full: only a response can let the next post start */
                }
                curl_multi_poll(m, NULL, 0, tmo, NULL);
            }
        }
    }
    run->t_posts_done_ns = lg_now_ns();
    curl_multi_cleanup(m);
    return NULL;
}

int lg_huard_start_poster(struct lg_run *run)
{
    run->ack_us = lg_xcalloc((size_t)run->o.messages + 1, sizeof(uint32_t));
    return pthread_create(&poster, NULL, poster_main, run) == 0 ? 0 : -1;
}

void lg_huard_join_poster(struct lg_run *run)
{
    (void)run;
    pthread_join(poster, NULL);
}
