/*
 * lg: the Huard load generator (issue 6). One process, one epoll loop thread that owns every
 * member socket (WebSocket client via wslay, or raw TCP for the limit relay), plus, in Huard
 * mode, one poster thread that sends the REST POSTs with libcurl.
 *
 * Ownership: struct lg_run owns every connection and sample array; connections are only
 * touched by the loop thread. The poster thread touches only its own curl handles and the
 * atomic counters marked below.
 *
 * Protocols: "huard" (wazo-auth login + chatd REST + websocketd v2, wazo-api.md 2.1, 3.2,
 * 3.5, 4, 5), "xmpp" (RFC 7395 XMPP over WebSocket, SASL PLAIN, MUC), "limit" (raw TCP lines
 * relayed by bench/limit).
 *
 * Every run is bounded: connections (--members), messages (--messages) and wall-clock time
 * (--max-time, enforced by the loop and by alarm()). Targets must be 127.0.0.0/8.
 */
#ifndef HUARD_BENCH_LG_H
#define HUARD_BENCH_LG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <expat.h>
#include <wslay/wslay.h>

#define LG_GUARD_MAX_MEMBERS 20000
#define LG_GUARD_MAX_MESSAGES 1000000
#define LG_GUARD_MAX_TIME_S 3600
/* Every payload starts with this marker so deliveries are recognised by a cheap scan. */
#define LG_MARK "hb:"

enum lg_proto { LG_LIMIT, LG_HUARD, LG_XMPP };
enum lg_scenario { LG_FANOUT, LG_ROOMS, LG_IDLE };

enum lg_state {
    LG_C_IDLE,      /* not yet started */
    LG_C_CONNECT,   /* non-blocking connect in progress */
    LG_C_HANDSHAKE, /* HTTP upgrade sent, waiting for 101 */
    LG_C_SETUP,     /* WebSocket open, protocol login/subscribe/join in progress */
    LG_C_READY,     /* counted as a member: receives deliveries */
    LG_C_DEAD,
};

struct lg_run;

struct lg_conn {
    struct lg_run *run;
    int idx;  /* member index */
    int room; /* room index */
    int fd;
    enum lg_state state;
    int step; /* protocol sub-state, see huard.c / xmpp.c */
    uint32_t ev_mask;
    wslay_event_context_ptr ws;
    /* Set while wslay is calling us back: a kill then only records its reason, and the
     * caller of wslay frees the context once wslay has returned. */
    int in_wslay;
    /* A recv() during this wslay_event_recv returned less than asked: the socket is empty,
     * so the next callback says WOULDBLOCK without a syscall (epoll is level-triggered:
     * bytes arriving meanwhile are reported again). Halves the client's recv() calls per
     * delivery, so that the client is less of the measured latency. */
    int drained;
    const char *kill_why;
    char kill_buf[96];   /* kill_why's copy when it was asked from inside wslay */
    int64_t setup_t0_ns; /* when this member's current setup attempt started */
    int setup_retries;   /* reconnections after a stalled or refused setup (at most 1) */
    int died_in_setup;
    /* Bytes read before the WebSocket layer took over (HTTP response, then leftover frames
     * that arrived in the same segment as the 101, e.g. websocketd's "init"). */
    char *in;
    size_t in_len, in_off, in_cap;
    char ws_key[32];
    /* limit mode: partial line carried between reads, and unsent bytes of the poster */
    char *line;
    size_t line_len;
    char *out;
    size_t out_len, out_cap;
    XML_Parser xp;
    /* xmpp parse scratch (one stanza per WebSocket message, RFC 7395 3.3.3) */
    int x_depth;
    int x_in_body;
    int x_delayed;
    int x_status110, x_status201;
    int x_features_bind, x_features_mech;
    int x_kind; /* top-level element, see xmpp.c */
    char x_type[16];
    char x_id[16];
    char *x_body;
    size_t x_body_len, x_body_cap;
};

/* One sent message: latency = last delivery - t_sent. Written by the loop thread only. */
struct lg_msg {
    int64_t t_sent_ns; /* from the payload itself */
    int64_t t_last_ns;
    uint32_t n_recv;
};

struct lg_opts {
    enum lg_proto proto;
    enum lg_scenario scenario;
    const char *host; /* dotted quad, 127.x only */
    int port;
    const char *path;   /* WebSocket path (xmpp) */
    const char *domain; /* xmpp domain */
    const char *muc;    /* xmpp MUC service */
    const char *user_prefix;
    const char *password;
    int members;
    int rooms; /* rooms scenario: number of rooms; members are split evenly */
    int messages;
    double rate;  /* messages/s; 0 = full speed */
    int inflight; /* concurrent POSTs at full speed (huard) */
    int msg_size;
    int concurrency; /* connections being set up at once */
    double max_time;
    double setup_timeout;
    double drain_timeout;
    double idle_hold; /* idle scenario: seconds to hold before sampling RSS */
    int server_pid;
    const char *label;
    bool xmpp_owner_submit;  /* Prosody locks new rooms until the owner submits the form */
    bool full_parse;         /* jansson/expat on every delivery (default: first 1,000) */
    const char *session_out; /* huard: write token and room for wrk here */
    const char *tokens_file; /* huard: "index user_uuid token" lines (bench_provision) */
};

struct lg_cpu {
    int64_t ticks;    /* utime + stime, /proc/PID/stat */
    int64_t sched_ns; /* sum of /proc/PID/task/.../schedstat, finer grained */
    long rss_kb;
};

struct lg_run {
    struct lg_opts o;
    int epfd;
    struct lg_conn *conns;
    int n_ready;
    int n_dead;
    int n_started;
    int n_in_setup;
    int setup_retries; /* members set up again (see lg_conn_retry) */
    int64_t t_start_ns;
    int64_t deadline_ns;
    struct lg_msg *msgs;
    int n_msgs_sent; /* loop thread (xmpp/limit), or poster thread result (huard) */
    uint64_t deliveries;
    uint64_t expected;
    uint64_t unexpected; /* frames not recognised as ours (presence, other events) */
    uint64_t parsed_full;
    uint32_t *lat_us; /* per-delivery latency samples, bounded by expected */
    uint64_t n_lat;
    int64_t t_first_send_ns, t_last_recv_ns;
    char run_tag[16];
    /* huard: per member */
    char **tokens;
    char **user_uuids;
    char **room_uuids; /* per room */
    /* poster thread results (written by it, read after join) */
    atomic_int posts_ok;
    atomic_int posts_failed;
    int64_t t_posts_done_ns;
    uint32_t *ack_us; /* huard: per acknowledged POST, send to 201 (poster thread) */
    int n_ack;
    /* xmpp room jid */
    char room_jid[256];
};

/* util.c */
void *lg_xmalloc(size_t n);
void *lg_xcalloc(size_t nmemb, size_t size);
void *lg_xrealloc(void *p, size_t n);
char *lg_xstrdup(const char *s);
char *lg_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int64_t lg_now_ns(void);
void lg_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void lg_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int lg_check_loopback(const char *host);
int lg_cpu_sample(int pid, struct lg_cpu *out);
/** 1-minute load average of the machine (/proc/loadavg), -1 if unreadable. */
double lg_loadavg(void);
size_t lg_payload(struct lg_run *run, int idx, int64_t t_ns, char *buf, size_t cap);
void lg_on_payload(struct lg_run *run, const char *p, size_t len, int64_t now);

/* conn.c: epoll loop, TCP connect, WebSocket client handshake and wslay glue */
void lg_conn_start(struct lg_run *run, struct lg_conn *c);
void lg_conn_kill(struct lg_conn *c, const char *why);
int lg_ws_send_text(struct lg_conn *c, const char *data, size_t len);
void lg_conn_update_events(struct lg_conn *c);
void lg_loop_once(struct lg_run *run, int timeout_ms);
void lg_mark_ready(struct lg_conn *c);
/* A member whose setup stalled or was refused starts over once on a new connection. */
void lg_conn_retry(struct lg_run *run, struct lg_conn *c);
/** Sends what is queued now (after the driver queued messages outside an I/O event). */
void lg_conn_flush(struct lg_conn *c);
/** Limit mode: appends raw bytes to the member's output (sent by lg_conn_flush). */
void lg_limit_send(struct lg_conn *c, const char *data, size_t len);

/* per protocol hooks, called by conn.c */
void lg_xmpp_on_open(struct lg_conn *c);
void lg_xmpp_on_msg(struct lg_conn *c, const uint8_t *msg, size_t len);
void lg_xmpp_send_groupchat(struct lg_conn *c, int idx);
void lg_xmpp_free(struct lg_conn *c);
void lg_huard_on_open(struct lg_conn *c);
void lg_huard_on_msg(struct lg_conn *c, const uint8_t *msg, size_t len);
void lg_limit_on_data(struct lg_conn *c, const char *data, size_t len);

/* huard.c: REST via libcurl */
int lg_huard_prepare(struct lg_run *run);
int lg_huard_start_poster(struct lg_run *run);
void lg_huard_join_poster(struct lg_run *run);

#endif
