/*
 * bench_limit: the physical limit for fan-out on this box (issue 6). A minimal epoll relay with
 * no protocol logic: a client says "join ROOM\n" (answered "ok\n"), then every line it sends
 * is written to every socket of its room, the sender included (as chatd does, wazo-api.md
 * 5.3). One send() per message per socket by default, i.e. what a server that does not
 * coalesce must pay at least; --coalesce writes all lines read in one go as one send() per
 * socket (the writev figure of bench-peers.md 2.2).
 *
 * Bounds: loopback listener only, --max-conns sockets, 8 MiB of unsent bytes per socket (a
 * slower reader is dropped), --max-time seconds of life. One thread.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define OUT_MAX (8u << 20)
#define ROOMS_MAX 100000

struct client {
    int fd;
    int room; /* -1 until "join" */
    int pos;  /* index in its room's array */
    char *in;
    size_t in_len, in_cap;
    char *out;
    size_t out_len, out_cap;
    int want_out;
    int dead; /* closed and out of its room; freed at the end of the loop turn */
    struct client *next_dead;
};

struct room {
    struct client **m;
    int n, cap;
};

static struct room *rooms;
static int epfd;
static int coalesce;
static volatile sig_atomic_t stop;
static struct client *dead_list;
static int nconns;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fputs("bench_limit: out of memory\n", stderr);
        abort();
    }
    return q;
}

static void set_out(struct client *c, int on)
{
    if (c->want_out == on) {
        return;
    }
    struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_out = on;
}

/* Closing may happen while the room is being walked (a slow reader during a broadcast), so
 * the memory is only released by reap() once the event is handled. */
static void drop(struct client *c)
{
    if (c->dead) {
        return;
    }
    if (c->room >= 0) {
        struct room *r = &rooms[c->room];
        r->m[c->pos] = r->m[--r->n];
        r->m[c->pos]->pos = c->pos;
    }
    close(c->fd);
    nconns--;
    c->dead = 1;
    c->next_dead = dead_list;
    dead_list = c;
}

static void reap(void)
{
    while (dead_list) {
        struct client *c = dead_list;
        dead_list = c->next_dead;
        free(c->in);
        free(c->out);
        free(c);
    }
}

/* Returns -1 if the client must be dropped (its reader is too slow or the socket failed). */
static int deliver(struct client *c, const char *p, size_t n)
{
    if (c->out_len == 0) {
        ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && errno != EAGAIN && errno != EINTR) {
            return -1;
        }
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        }
        if (n == 0) {
            return 0;
        }
    }
    if (c->out_len + n > OUT_MAX) {
        return -1;
    }
    if (c->out_len + n > c->out_cap) {
        c->out_cap = (c->out_len + n) * 2;
        c->out = xrealloc(c->out, c->out_cap);
    }
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
    set_out(c, 1);
    return 0;
}

static void broadcast(int room, const char *p, size_t n)
{
    struct room *r = &rooms[room];
    for (int i = 0; i < r->n;) {
        struct client *m = r->m[i];
        if (deliver(m, p, n) != 0) {
            drop(m); /* swaps the last member into slot i */
            continue;
        }
        i++;
    }
}

static int join(struct client *c, const char *line, size_t len)
{
    char tmp[32];
    if (len >= sizeof(tmp)) {
        return -1;
    }
    memcpy(tmp, line, len);
    tmp[len] = 0;
    char *end;
    long r = strtol(tmp + 5, &end, 10);
    if (*end != 0 || r < 0 || r >= ROOMS_MAX || c->room >= 0) {
        return -1;
    }
    struct room *rm = &rooms[r];
    if (rm->n == rm->cap) {
        rm->cap = rm->cap ? rm->cap * 2 : 16;
        rm->m = xrealloc(rm->m, (size_t)rm->cap * sizeof(*rm->m));
    }
    c->room = (int)r;
    c->pos = rm->n;
    rm->m[rm->n++] = c;
    return deliver(c, "ok\n", 3);
}

/* Returns -1 when c was dropped. */
static int on_readable(struct client *c)
{
    char buf[65536];
    ssize_t r = recv(c->fd, buf, sizeof(buf), 0);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
        drop(c);
        return -1;
    }
    if (r < 0) {
        return 0;
    }
    if (c->in_len + (size_t)r > OUT_MAX) {
        drop(c);
        return -1;
    }
    if (c->in_len + (size_t)r > c->in_cap) {
        c->in_cap = (c->in_len + (size_t)r) * 2;
        c->in = xrealloc(c->in, c->in_cap);
    }
    memcpy(c->in + c->in_len, buf, (size_t)r);
    c->in_len += (size_t)r;
    size_t off = 0;
    size_t batch_start = 0, batch_end = 0;
    int room = c->room;
    while (off < c->in_len) {
        char *nl = memchr(c->in + off, '\n', c->in_len - off);
        if (!nl) {
            break;
        }
        size_t ll = (size_t)(nl - (c->in + off));
        if (c->room < 0) {
            if (ll < 5 || memcmp(c->in + off, "join ", 5) != 0 || join(c, c->in + off, ll) != 0) {
                drop(c);
                return -1;
            }
            room = c->room;
            batch_start = batch_end = off + ll + 1;
        } else if (coalesce) {
            batch_end = off + ll + 1;
        } else {
            /* c may be dropped meanwhile; its buffers live until reap() */
            broadcast(room, c->in + off, ll + 1);
            if (c->dead) {
                return -1;
            }
        }
        off += ll + 1;
    }
    if (coalesce && batch_end > batch_start) {
        broadcast(room, c->in + batch_start, batch_end - batch_start);
        if (c->dead) {
            return -1;
        }
    }
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
    return 0;
}

static void on_writable(struct client *c)
{
    ssize_t w = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0 && errno != EAGAIN && errno != EINTR) {
        drop(c);
        return;
    }
    if (w > 0) {
        memmove(c->out, c->out + w, c->out_len - (size_t)w);
        c->out_len -= (size_t)w;
    }
    if (c->out_len == 0) {
        set_out(c, 0);
    }
}

static void usage(FILE *out)
{
    fprintf(out, "usage: bench_limit [--host 127.0.0.1] [--port N (0 = any free)] [--coalesce]\n"
                 "                   [--max-conns N (20000)] [--max-time S (3600)]\n"
                 "Prints \"listening HOST:PORT\" on stdout once ready.\n");
}

int main(int argc, char **argv)
{
    static const struct option longs[] = {{"host", required_argument, 0, 'H'},
                                          {"port", required_argument, 0, 'p'},
                                          {"coalesce", no_argument, 0, 'c'},
                                          {"max-conns", required_argument, 0, 'n'},
                                          {"max-time", required_argument, 0, 't'},
                                          {"help", no_argument, 0, 'h'},
                                          {0, 0, 0, 0}};
    const char *host = "127.0.0.1";
    int port = 0, max_conns = 20000;
    double max_time = 3600;
    int ch;
    while ((ch = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (ch) {
        case 'H':
            host = optarg;
            break;
        case 'p':
            port = atoi(optarg);
            break;
        case 'c':
            coalesce = 1;
            break;
        case 'n':
            max_conns = atoi(optarg);
            break;
        case 't':
            max_time = atof(optarg);
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1 || (ntohl(sa.sin_addr.s_addr) >> 24) != 127 ||
        max_time <= 0 || max_time > 86400 || max_conns < 1) {
        fprintf(stderr, "bench_limit: loopback (127.0.0.0/8) only, bounded time and sockets\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    rooms = calloc(ROOMS_MAX, sizeof(*rooms));
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (!rooms || lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(lfd, 4096) < 0) {
        perror("bench_limit: listen");
        return 1;
    }
    socklen_t sl = sizeof(sa);
    getsockname(lfd, (struct sockaddr *)&sa, &sl);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &lev);
    printf("listening %s:%d\n", host, ntohs(sa.sin_port));
    fflush(stdout);
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (!stop) {
        struct epoll_event evs[256];
        int n = epoll_wait(epfd, evs, 256, 1000);
        for (int i = 0; i < n; i++) {
            struct client *c = evs[i].data.ptr;
            if (!c) {
                for (;;) {
                    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (fd < 0) {
                        break;
                    }
                    if (nconns >= max_conns) {
                        close(fd);
                        continue;
                    }
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                    struct client *nc = calloc(1, sizeof(*nc));
                    if (!nc) {
                        abort();
                    }
                    nc->fd = fd;
                    nc->room = -1;
                    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = nc};
                    epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
                    nconns++;
                }
                continue;
            }
            if (c->dead) {
                continue;
            }
            if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                if (on_readable(c) != 0) {
                    continue;
                }
            }
            if (!c->dead && (evs[i].events & EPOLLOUT)) {
                on_writable(c);
            }
        }
        reap();
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((double)(now.tv_sec - t0.tv_sec) > max_time) {
            fprintf(stderr, "bench_limit: --max-time reached\n");
            break;
        }
    }
    return 0;
}
