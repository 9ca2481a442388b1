/*
 * bench_loadgen: drives one scenario of issue 6 against Huard, an XMPP peer or bench/limit
 * and prints its parameters and results, ending with one "RESULT k=v ..." line that
 * scripts/bench.sh turns into the table.
 *
 *   fanout: rooms=1, every member connected, posters send --messages at --rate (0 = full
 *           speed); latency is POST (or stanza send) to the last member's receipt.
 *   rooms:  --members split into --rooms rooms, the first member of each room posts.
 *   idle:   --members sessions logged in and held; server RSS per session.
 *
 * Server CPU per delivery = (utime + stime) delta of --server-pid over deliveries, from
 * /proc/PID/stat (bench-peers.md 2.3); the schedstat sum is printed beside it because 10 ms
 * clock ticks are coarse for quick runs.
 */
#include "lg.h"

#include <curl/curl.h>
#include <getopt.h>
#include <inttypes.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

static void usage(FILE *out)
{
    fprintf(out, "usage: bench_loadgen --proto huard|xmpp|limit --port N [options]\n"
                 "  --scenario fanout|rooms|idle   (fanout)\n"
                 "  --host 127.x.x.x               (127.0.0.1; loopback only)\n"
                 "  --members N --rooms R --messages M --rate MSG_PER_S (0 = full speed)\n"
                 "  --inflight K (huard, full speed: concurrent POSTs, 4)  --size BYTES (200)\n"
                 "  --concurrency C (sessions set up at once, 100)\n"
                 "  --max-time S (hard wall-clock cap, 300)  --setup-timeout S (120)\n"
                 "  --drain-timeout S (10)  --idle-hold S (2)\n"
                 "  --server-pid PID  --label TEXT  --full-parse  --session-out FILE\n"
                 "  xmpp: --path /ws --domain localhost --muc conference.localhost\n"
                 "        --xmpp-owner-submit (Prosody: unlock new rooms)\n"
                 "  --user-prefix u --password pw (users u0..uN-1, provisioned beforehand)\n"
                 "  --tokens FILE  huard: pre-minted tokens, \"index user_uuid token\" lines\n"
                 "                 (bench_provision) instead of one login per member\n");
}

static void on_alarm(int sig)
{
    (void)sig;
    static const char m[] = "loadgen: hard wall-clock cap reached, exiting\n";
    ssize_t w = write(2, m, sizeof(m) - 1);
    (void)w;
    _exit(3);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static double pct_ms(uint32_t *v, uint64_t n, double p)
{
    if (n == 0) {
        return -1;
    }
    uint64_t i = (uint64_t)(p * (double)(n - 1) + 0.5);
    return (double)v[i] / 1000.0;
}

static int per_room(struct lg_run *run)
{
    return run->o.members / run->o.rooms;
}

static void pump_until(struct lg_run *run, int64_t until, int (*done)(struct lg_run *))
{
    while (lg_now_ns() < until && lg_now_ns() < run->deadline_ns && !done(run)) {
        lg_loop_once(run, 5);
    }
}

static int creators_settled(struct lg_run *run)
{
    for (int r = 0; r < run->o.rooms; r++) {
        enum lg_state s = run->conns[r * per_room(run)].state;
        if (s != LG_C_READY && s != LG_C_DEAD) {
            return 0;
        }
    }
    return 1;
}

static int never(struct lg_run *run)
{
    (void)run;
    return 0;
}

/*
 * A member whose setup has waited SETUP_STALL_S for an answer, or was refused (closed), is
 * set up once more on a new connection, the same way for every target: one of 10,000
 * ejabberd logins now and then never gets its answer, and a lost setup would void the whole
 * scenario. Counted in RESULT (setup_retries).
 */
#define SETUP_STALL_S 15
static void retry_stalled(struct lg_run *run, int started)
{
    int64_t now = lg_now_ns();
    for (int i = 0; i < started; i++) {
        struct lg_conn *c = &run->conns[i];
        bool stalled = c->state != LG_C_READY && c->state != LG_C_DEAD && c->state != LG_C_IDLE &&
                       now - c->setup_t0_ns > (int64_t)SETUP_STALL_S * 1000000000;
        bool refused = c->state == LG_C_DEAD && c->died_in_setup;
        if ((stalled || refused) && c->setup_retries == 0) {
            lg_log("member %d: setup %s (state %d step %d), connecting it again", i,
                   stalled ? "stalled" : "refused", c->state, c->step);
            lg_conn_retry(run, c);
        }
    }
}

static int connect_all(struct lg_run *run)
{
    int64_t until = lg_now_ns() + (int64_t)(run->o.setup_timeout * 1e9);
    /* A room's first member creates it (MUC: and owns it), so it joins before the others. */
    for (int r = 0; r < run->o.rooms; r++) {
        lg_conn_start(run, &run->conns[r * per_room(run)]);
        while (run->n_in_setup >= run->o.concurrency && lg_now_ns() < until) {
            lg_loop_once(run, 10);
        }
    }
    pump_until(run, until, creators_settled);
    int next = 0;
    int64_t last_log = lg_now_ns();
    while (run->n_ready + run->n_dead < run->o.members && lg_now_ns() < until &&
           lg_now_ns() < run->deadline_ns) {
        while (next < run->o.members && run->n_in_setup < run->o.concurrency) {
            if (next % per_room(run) != 0) {
                lg_conn_start(run, &run->conns[next]);
            }
            next++;
        }
        lg_loop_once(run, 10);
        if (lg_now_ns() - last_log > 5000000000LL) {
            lg_log("setup: %d ready, %d dead, %d in progress", run->n_ready, run->n_dead,
                   run->n_in_setup);
            last_log = lg_now_ns();
            retry_stalled(run, next);
        }
    }
    return run->n_ready == run->o.members ? 0 : -1;
}

static void send_due(struct lg_run *run, int64_t t0, int *next)
{
    int64_t now = lg_now_ns();
    int first = *next;
    while (*next < run->o.messages) {
        int64_t due = run->o.rate > 0 ? t0 + (int64_t)((double)*next * 1e9 / run->o.rate) : 0;
        if (due > now) {
            break;
        }
        int room = *next % run->o.rooms;
        struct lg_conn *c = &run->conns[room * per_room(run)];
        if (run->o.proto == LG_XMPP) {
            lg_xmpp_send_groupchat(c, *next);
        } else {
            char buf[8200];
            size_t n = lg_payload(run, *next, now, buf, sizeof(buf) - 1);
            buf[n++] = '\n';
            lg_limit_send(c, buf, n);
        }
        (*next)++;
    }
    if (*next > first) {
        for (int r = 0; r < run->o.rooms; r++) {
            lg_conn_flush(&run->conns[r * per_room(run)]);
        }
    }
}

static const char *proto_name(enum lg_proto p)
{
    return p == LG_HUARD ? "huard" : p == LG_XMPP ? "xmpp" : "limit";
}

static const char *scenario_name(enum lg_scenario s)
{
    return s == LG_FANOUT ? "fanout" : s == LG_ROOMS ? "rooms" : "idle";
}

static void print_params(struct lg_run *run)
{
    struct lg_opts *o = &run->o;
    printf("== %s %s [%s]\n", scenario_name(o->scenario), proto_name(o->proto),
           o->label ? o->label : "");
    printf("params: target=%s:%d members=%d rooms=%d per_room=%d messages=%d rate=%s%g "
           "size=%d inflight=%d server_pid=%d\n",
           o->host, o->port, o->members, o->rooms, per_room(run), o->messages,
           o->rate > 0 ? "" : "full-speed/", o->rate, o->msg_size, o->inflight, o->server_pid);
}

static void fail_result(struct lg_run *run, const char *status)
{
    printf("RESULT label=%s proto=%s scenario=%s members=%d rooms=%d messages=%d rate=%g "
           "ready=%d status=%s\n",
           run->o.label ? run->o.label : "-", proto_name(run->o.proto),
           scenario_name(run->o.scenario), run->o.members, run->o.rooms, run->o.messages,
           run->o.rate, run->n_ready, status);
    fflush(stdout);
}

static int parse_args(struct lg_opts *o, int argc, char **argv)
{
    static const struct option longs[] = {{"proto", required_argument, 0, 'p'},
                                          {"scenario", required_argument, 0, 's'},
                                          {"host", required_argument, 0, 'H'},
                                          {"port", required_argument, 0, 'P'},
                                          {"path", required_argument, 0, 1},
                                          {"domain", required_argument, 0, 2},
                                          {"muc", required_argument, 0, 3},
                                          {"user-prefix", required_argument, 0, 4},
                                          {"password", required_argument, 0, 5},
                                          {"members", required_argument, 0, 'n'},
                                          {"rooms", required_argument, 0, 'r'},
                                          {"messages", required_argument, 0, 'm'},
                                          {"rate", required_argument, 0, 'R'},
                                          {"inflight", required_argument, 0, 6},
                                          {"size", required_argument, 0, 7},
                                          {"concurrency", required_argument, 0, 8},
                                          {"max-time", required_argument, 0, 9},
                                          {"setup-timeout", required_argument, 0, 10},
                                          {"drain-timeout", required_argument, 0, 11},
                                          {"idle-hold", required_argument, 0, 12},
                                          {"server-pid", required_argument, 0, 13},
                                          {"label", required_argument, 0, 14},
                                          {"xmpp-owner-submit", no_argument, 0, 15},
                                          {"full-parse", no_argument, 0, 16},
                                          {"session-out", required_argument, 0, 17},
                                          {"tokens", required_argument, 0, 18},
                                          {"help", no_argument, 0, 'h'},
                                          {0, 0, 0, 0}};
    *o = (struct lg_opts){.proto = LG_LIMIT,
                          .scenario = LG_FANOUT,
                          .host = "127.0.0.1",
                          .path = "/ws",
                          .domain = "localhost",
                          .muc = "conference.localhost",
                          .user_prefix = "u",
                          .password = "pw",
                          .members = 10,
                          .rooms = 1,
                          .messages = 10,
                          .inflight = 4,
                          .msg_size = 200,
                          .concurrency = 100,
                          .max_time = 300,
                          .setup_timeout = 120,
                          .drain_timeout = 10,
                          .idle_hold = 2};
    int ch;
    while ((ch = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (ch) {
        case 'p':
            if (strcmp(optarg, "huard") == 0) {
                o->proto = LG_HUARD;
            } else if (strcmp(optarg, "xmpp") == 0) {
                o->proto = LG_XMPP;
            } else if (strcmp(optarg, "limit") == 0) {
                o->proto = LG_LIMIT;
            } else {
                return -1;
            }
            break;
        case 's':
            if (strcmp(optarg, "fanout") == 0) {
                o->scenario = LG_FANOUT;
            } else if (strcmp(optarg, "rooms") == 0) {
                o->scenario = LG_ROOMS;
            } else if (strcmp(optarg, "idle") == 0) {
                o->scenario = LG_IDLE;
            } else {
                return -1;
            }
            break;
        case 'H':
            o->host = optarg;
            break;
        case 'P':
            o->port = atoi(optarg);
            break;
        case 1:
            o->path = optarg;
            break;
        case 2:
            o->domain = optarg;
            break;
        case 3:
            o->muc = optarg;
            break;
        case 4:
            o->user_prefix = optarg;
            break;
        case 5:
            o->password = optarg;
            break;
        case 'n':
            o->members = atoi(optarg);
            break;
        case 'r':
            o->rooms = atoi(optarg);
            break;
        case 'm':
            o->messages = atoi(optarg);
            break;
        case 'R':
            o->rate = atof(optarg);
            break;
        case 6:
            o->inflight = atoi(optarg);
            break;
        case 7:
            o->msg_size = atoi(optarg);
            break;
        case 8:
            o->concurrency = atoi(optarg);
            break;
        case 9:
            o->max_time = atof(optarg);
            break;
        case 10:
            o->setup_timeout = atof(optarg);
            break;
        case 11:
            o->drain_timeout = atof(optarg);
            break;
        case 12:
            o->idle_hold = atof(optarg);
            break;
        case 13:
            o->server_pid = atoi(optarg);
            break;
        case 14:
            o->label = optarg;
            break;
        case 15:
            o->xmpp_owner_submit = true;
            break;
        case 16:
            o->full_parse = true;
            break;
        case 17:
            o->session_out = optarg;
            break;
        case 18:
            o->tokens_file = optarg;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            return -1;
        }
    }
    if (o->scenario != LG_ROOMS) {
        o->rooms = 1;
    }
    if (o->port <= 0 || o->port > 65535) {
        fprintf(stderr, "loadgen: --port is required\n");
        return -1;
    }
    if (lg_check_loopback(o->host) != 0) {
        fprintf(stderr, "loadgen: refusing target %s: loopback (127.0.0.0/8) only\n", o->host);
        return -1;
    }
    if (o->members < 1 || o->members > LG_GUARD_MAX_MEMBERS || o->rooms < 1 ||
        o->members % o->rooms != 0 || o->messages < 0 || o->messages > LG_GUARD_MAX_MESSAGES ||
        o->max_time <= 0 || o->max_time > LG_GUARD_MAX_TIME_S || o->msg_size < 40 ||
        o->msg_size > 8000 || o->concurrency < 1 || o->rate < 0) {
        fprintf(stderr,
                "loadgen: parameters out of bounds (members <= %d and a multiple of "
                "rooms, messages <= %d, max-time <= %d s, 40 <= size <= 8000)\n",
                LG_GUARD_MAX_MEMBERS, LG_GUARD_MAX_MESSAGES, LG_GUARD_MAX_TIME_S);
        return -1;
    }
    return 0;
}

static int deliveries_done(struct lg_run *run)
{
    return run->deliveries >= run->expected;
}

int main(int argc, char **argv)
{
    static struct lg_run run_storage;
    struct lg_run *run = &run_storage;
    if (parse_args(&run->o, argc, argv) != 0) {
        usage(stderr);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGALRM, on_alarm);
    /* The hard cap holds even if the loop or a library call wedges. */
    alarm((unsigned)run->o.max_time + 15);
    setvbuf(stdout, NULL, _IOLBF, 0);
    curl_global_init(CURL_GLOBAL_DEFAULT);

    unsigned char rnd[4];
    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        lg_die("RAND_bytes failed");
    }
    snprintf(run->run_tag, sizeof(run->run_tag), "%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2],
             rnd[3]);
    run->epfd = epoll_create1(EPOLL_CLOEXEC);
    run->t_start_ns = lg_now_ns();
    run->deadline_ns = run->t_start_ns + (int64_t)(run->o.max_time * 1e9);
    run->conns = lg_xcalloc((size_t)run->o.members, sizeof(struct lg_conn));
    for (int i = 0; i < run->o.members; i++) {
        run->conns[i].idx = i;
        run->conns[i].room = i / per_room(run);
        run->conns[i].fd = -1;
        run->conns[i].run = run;
    }
    run->msgs = lg_xcalloc((size_t)run->o.messages, sizeof(struct lg_msg));
    run->expected =
        run->o.scenario == LG_IDLE ? 0 : (uint64_t)run->o.messages * (uint64_t)per_room(run);
    run->lat_us = lg_xcalloc(run->expected ? run->expected : 1, sizeof(uint32_t));
    print_params(run);

    struct lg_cpu base, c0, c1;
    lg_cpu_sample(run->o.server_pid, &base);
    if (run->o.proto == LG_HUARD && lg_huard_prepare(run) != 0) {
        fail_result(run, "http_setup_failed");
        return 1;
    }
    int64_t ts = lg_now_ns();
    if (connect_all(run) != 0) {
        lg_log("only %d of %d members ready (%d closed)", run->n_ready, run->o.members,
               run->n_dead);
        /* where the others stopped: state/step of the first few, for the peer's logs */
        int shown = 0;
        for (int i = 0; i < run->o.members && shown < 5; i++) {
            struct lg_conn *c = &run->conns[i];
            if (c->state != LG_C_READY && c->state != LG_C_DEAD && c->state != LG_C_IDLE) {
                lg_log("member %d (room %d) stuck in state %d step %d", i, c->room, c->state,
                       c->step);
                shown++;
            }
        }
        fail_result(run, "setup_failed");
        return 1;
    }
    double setup_s = (double)(lg_now_ns() - ts) / 1e9;
    printf("setup: %d sessions ready in %.2f s\n", run->n_ready, setup_s);

    if (run->o.scenario == LG_IDLE) {
        pump_until(run, lg_now_ns() + (int64_t)(run->o.idle_hold * 1e9), never);
        lg_cpu_sample(run->o.server_pid, &c1);
        double per = run->n_ready ? (double)(c1.rss_kb - base.rss_kb) / run->n_ready : 0;
        printf("idle: server rss before=%ld kB after=%ld kB -> %.2f kB per session\n", base.rss_kb,
               c1.rss_kb, per);
        printf("RESULT label=%s proto=%s scenario=idle members=%d ready=%d rss_base_kb=%ld "
               "rss_kb=%ld rss_per_session_kb=%.2f setup_s=%.2f setup_retries=%d load=%.2f "
               "status=ok\n",
               run->o.label ? run->o.label : "-", proto_name(run->o.proto), run->o.members,
               run->n_ready, base.rss_kb, c1.rss_kb, per, setup_s, run->setup_retries,
               lg_loadavg());
        return 0;
    }

    lg_cpu_sample(run->o.server_pid, &c0);
    run->t_first_send_ns = lg_now_ns();
    int64_t t0 = run->t_first_send_ns;
    int next = 0;
    int64_t sends_done_at = 0;
    if (run->o.proto == LG_HUARD) {
        if (lg_huard_start_poster(run) != 0) {
            lg_die("cannot start the poster thread");
        }
    }
    while (!deliveries_done(run) && lg_now_ns() < run->deadline_ns) {
        int tmo = 5;
        if (run->o.proto != LG_HUARD) {
            send_due(run, t0, &next);
            if (next >= run->o.messages && sends_done_at == 0) {
                sends_done_at = lg_now_ns();
            }
            if (next < run->o.messages && run->o.rate > 0) {
                int64_t due = t0 + (int64_t)((double)next * 1e9 / run->o.rate);
                int64_t ms = (due - lg_now_ns()) / 1000000;
                tmo = ms < 0 ? 0 : ms < 5 ? (int)ms : 5;
            }
        } else if (sends_done_at == 0 &&
                   atomic_load(&run->posts_ok) + atomic_load(&run->posts_failed) >=
                       run->o.messages) {
            sends_done_at = lg_now_ns();
        }
        if (sends_done_at && lg_now_ns() - sends_done_at > (int64_t)(run->o.drain_timeout * 1e9)) {
            lg_log("drain timeout: %" PRIu64 " of %" PRIu64 " deliveries", run->deliveries,
                   run->expected);
            break;
        }
        lg_loop_once(run, tmo);
    }
    lg_cpu_sample(run->o.server_pid, &c1);
    int n_sent = next;
    if (run->o.proto == LG_HUARD) {
        lg_huard_join_poster(run);
        n_sent = atomic_load(&run->posts_ok);
    }

    /* per-message latency: from the send time to the last member's receipt */
    uint32_t *last = lg_xcalloc((size_t)run->o.messages + 1, sizeof(uint32_t));
    uint64_t n_last = 0;
    int complete = 0;
    for (int i = 0; i < run->o.messages; i++) {
        struct lg_msg *m = &run->msgs[i];
        if (m->n_recv == 0) {
            continue;
        }
        if (m->n_recv >= (uint32_t)per_room(run)) {
            complete++;
        }
        int64_t us = (m->t_last_ns - m->t_sent_ns) / 1000;
        last[n_last++] = (uint32_t)(us < 0 ? 0 : us);
    }
    if (complete < run->o.messages) {
        /* which messages fell short, to tell a lost event from a slow member */
        int shown = 0;
        for (int i = 0; i < run->o.messages && shown < 10; i++) {
            if (run->msgs[i].n_recv < (uint32_t)per_room(run)) {
                lg_log("message %d reached %u of %d members", i, run->msgs[i].n_recv,
                       per_room(run));
                shown++;
            }
        }
    }
    qsort(last, n_last, sizeof(uint32_t), cmp_u32);
    qsort(run->lat_us, run->n_lat, sizeof(uint32_t), cmp_u32);
    double span_s = run->t_last_recv_ns > t0 ? (double)(run->t_last_recv_ns - t0) / 1e9 : 0;
    double dps = span_s > 0 ? (double)run->deliveries / span_s : 0;
    double send_span = (double)((sends_done_at ? sends_done_at : lg_now_ns()) - t0) / 1e9;
    double sends_ps = send_span > 0 ? n_sent / send_span : 0;
    long tck = sysconf(_SC_CLK_TCK);
    double cpu_s = (double)(c1.ticks - c0.ticks) / (double)tck;
    double cpu_us = run->deliveries ? cpu_s * 1e6 / (double)run->deliveries : -1;
    double sched_us =
        run->deliveries ? (double)(c1.sched_ns - c0.sched_ns) / 1e3 / (double)run->deliveries : -1;
    const char *status = run->deliveries == run->expected ? "ok" : "incomplete";

    printf("sent: %d messages (%s) in %.3f s = %.1f/s\n", n_sent,
           run->o.proto == LG_HUARD ? "acknowledged POSTs" : "stanzas/lines", send_span, sends_ps);
    printf("delivered: %" PRIu64 " of %" PRIu64 " (%d of %d messages complete), other frames "
           "%" PRIu64 "\n",
           run->deliveries, run->expected, complete, run->o.messages, run->unexpected);
    printf("deliveries/s: %.0f over %.3f s\n", dps, span_s);
    printf("latency send->last member (per message): p50 %.2f ms  p99 %.2f ms  max %.2f ms\n",
           pct_ms(last, n_last, 0.5), pct_ms(last, n_last, 0.99), pct_ms(last, n_last, 1.0));
    printf("latency per delivery: p50 %.2f ms  p99 %.2f ms\n", pct_ms(run->lat_us, run->n_lat, 0.5),
           pct_ms(run->lat_us, run->n_lat, 0.99));
    double ack50 = -1, ack99 = -1;
    if (run->n_ack > 0) {
        qsort(run->ack_us, (size_t)run->n_ack, sizeof(uint32_t), cmp_u32);
        ack50 = pct_ms(run->ack_us, (uint64_t)run->n_ack, 0.5);
        ack99 = pct_ms(run->ack_us, (uint64_t)run->n_ack, 0.99);
        printf("POST acknowledged (201) after: p50 %.2f ms  p99 %.2f ms\n", ack50, ack99);
    }
    if (run->o.server_pid > 0) {
        printf("server pid %d: cpu %.2f s (stat) / %.3f s (schedstat) -> %.2f us (stat), %.2f us "
               "(schedstat) per delivery; rss %ld kB\n",
               run->o.server_pid, cpu_s, (double)(c1.sched_ns - c0.sched_ns) / 1e9, cpu_us,
               sched_us, c1.rss_kb);
    }
    printf("RESULT label=%s proto=%s scenario=%s members=%d rooms=%d messages=%d rate=%g size=%d "
           "ready=%d sent=%d sends_s=%.1f deliveries=%" PRIu64 " expected=%" PRIu64
           " dps=%.0f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f dlv_p50_ms=%.2f dlv_p99_ms=%.2f "
           "ack_p50_ms=%.2f "
           "ack_p99_ms=%.2f cpu_s=%.2f "
           "cpu_us=%.2f cpu_sched_us=%.2f rss_kb=%ld setup_s=%.2f setup_retries=%d load=%.2f "
           "status=%s\n",
           run->o.label ? run->o.label : "-", proto_name(run->o.proto),
           scenario_name(run->o.scenario), run->o.members, run->o.rooms, run->o.messages,
           run->o.rate, run->o.msg_size, run->n_ready, n_sent, sends_ps, run->deliveries,
           run->expected, dps, pct_ms(last, n_last, 0.5), pct_ms(last, n_last, 0.99),
           pct_ms(last, n_last, 1.0), pct_ms(run->lat_us, run->n_lat, 0.5),
           pct_ms(run->lat_us, run->n_lat, 0.99), ack50, ack99, cpu_s, cpu_us, sched_us, c1.rss_kb,
           setup_s, run->setup_retries, lg_loadavg(), status);
    free(last);
    return run->deliveries == run->expected ? 0 : 1;
}
