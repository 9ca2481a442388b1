/*
 * loop: epoll, a timer heap, prepare hooks, an eventfd-woken post queue and a signalfd.
 *
 * One iteration: prepare hooks (they bound the wait), epoll_wait, ready fds, expired timers,
 * then the watches removed during the iteration are freed. Posted functions run from the
 * eventfd watch like any fd. Timers live in a binary heap keyed by due time, so 10,000
 * WebSocket ping timers cost no fd and O(log n) per re-arm.
 */
#include "loop/loop.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#define LOG_MODULE "loop"
#include "base/err.h"
#include "base/log.h"

#include "base/banned.h"

#define LOOP_MAX_EVENTS 256
#define TIMER_IDLE SIZE_MAX

struct loop_watch {
    struct loop *loop;
    int fd;
    uint32_t events;
    loop_fd_fn fn;
    void *arg;
    bool dead;
    struct loop_watch *next_dead;
};

struct loop_timer {
    struct loop *loop;
    loop_timer_fn fn;
    void *arg;
    uint64_t due;
    size_t heap_idx; /* TIMER_IDLE when not armed */
};

struct post_item {
    loop_post_fn fn;
    void *arg;
    struct post_item *next;
};

struct prepare_hook {
    loop_prepare_fn fn;
    void *arg;
};

struct loop {
    int epfd;
    int evfd;
    int sigfd;
    struct loop_watch *ev_watch;
    struct loop_watch *sig_watch;
    bool stop;
    uint64_t now;

    struct loop_timer **heap;
    size_t heap_len;
    size_t heap_cap;

    struct prepare_hook *hooks;
    size_t nhooks;

    /* Post queue: the only state shared with other threads. */
    pthread_mutex_t mu;
    struct post_item *post_head;
    struct post_item *post_tail;
    bool wake_pending;

    struct loop_watch *dead;
    loop_signal_fn sig_fn;
    void *sig_arg;
};

static uint64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t loop_now_ms(struct loop *loop)
{
    return loop ? loop->now : monotonic_ms();
}

/* ---- timer heap ---- */

static void heap_set(struct loop *loop, size_t i, struct loop_timer *t)
{
    loop->heap[i] = t;
    t->heap_idx = i;
}

static void heap_up(struct loop *loop, size_t i)
{
    struct loop_timer *t = loop->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (loop->heap[parent]->due <= t->due) {
            break;
        }
        heap_set(loop, i, loop->heap[parent]);
        i = parent;
    }
    heap_set(loop, i, t);
}

static void heap_down(struct loop *loop, size_t i)
{
    struct loop_timer *t = loop->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= loop->heap_len) {
            break;
        }
        if (c + 1 < loop->heap_len && loop->heap[c + 1]->due < loop->heap[c]->due) {
            c++;
        }
        if (t->due <= loop->heap[c]->due) {
            break;
        }
        heap_set(loop, i, loop->heap[c]);
        i = c;
    }
    heap_set(loop, i, t);
}

static void heap_remove(struct loop *loop, struct loop_timer *t)
{
    size_t i = t->heap_idx;
    BUG_ON(i >= loop->heap_len || loop->heap[i] != t);
    loop->heap_len--;
    if (i != loop->heap_len) {
        heap_set(loop, i, loop->heap[loop->heap_len]);
        heap_down(loop, i);
        heap_up(loop, loop->heap[i]->heap_idx);
    }
    t->heap_idx = TIMER_IDLE;
}

struct loop_timer *loop_timer_new(struct loop *loop, loop_timer_fn fn, void *arg)
{
    struct loop_timer *t = xcalloc(1, sizeof(*t));
    t->loop = loop;
    t->fn = fn;
    t->arg = arg;
    t->heap_idx = TIMER_IDLE;
    return t;
}

void loop_timer_start(struct loop_timer *t, uint64_t delay_ms)
{
    struct loop *loop = t->loop;
    if (t->heap_idx != TIMER_IDLE) {
        heap_remove(loop, t);
    }
    t->due = loop->now + delay_ms;
    if (loop->heap_len == loop->heap_cap) {
        loop->heap_cap = loop->heap_cap ? loop->heap_cap * 2 : 64;
        loop->heap = xreallocarray(loop->heap, loop->heap_cap, sizeof(*loop->heap));
    }
    loop->heap_len++;
    heap_set(loop, loop->heap_len - 1, t);
    heap_up(loop, loop->heap_len - 1);
}

void loop_timer_stop(struct loop_timer *t)
{
    if (t->heap_idx != TIMER_IDLE) {
        heap_remove(t->loop, t);
    }
}

bool loop_timer_active(const struct loop_timer *t)
{
    return t->heap_idx != TIMER_IDLE;
}

void loop_timer_free(struct loop_timer *t)
{
    if (!t) {
        return;
    }
    loop_timer_stop(t);
    free(t);
}

static void run_timers(struct loop *loop)
{
    /* A callback may re-arm its timer for 0 ms; bound the pass to what was due on entry so
     * such a timer cannot starve the fds. */
    size_t budget = loop->heap_len;
    while (budget-- > 0 && loop->heap_len > 0 && loop->heap[0]->due <= loop->now) {
        struct loop_timer *t = loop->heap[0];
        heap_remove(loop, t);
        t->fn(loop, t, t->arg); /* may free t */
    }
}

/* ---- fd watches ---- */

struct loop_watch *loop_watch_fd(struct loop *loop, int fd, uint32_t events, loop_fd_fn fn,
                                 void *arg)
{
    struct loop_watch *w = xcalloc(1, sizeof(*w));
    w->loop = loop;
    w->fd = fd;
    w->events = events;
    w->fn = fn;
    w->arg = arg;
    struct epoll_event ev = {.events = events, .data.ptr = w};
    if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        log_err("msg=epoll_add_failed fd=%d errno=%d", fd, errno);
        free(w);
        return NULL;
    }
    return w;
}

int loop_watch_modify(struct loop_watch *w, uint32_t events)
{
    if (w->events == events) {
        return 0;
    }
    struct epoll_event ev = {.events = events, .data.ptr = w};
    if (epoll_ctl(w->loop->epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0) {
        log_err("msg=epoll_mod_failed fd=%d errno=%d", w->fd, errno);
        return HE_IO;
    }
    w->events = events;
    return 0;
}

void loop_watch_remove(struct loop_watch *w)
{
    if (!w || w->dead) {
        return;
    }
    /* The fd may already be closed by its owner; ENOENT/EBADF are fine then. */
    epoll_ctl(w->loop->epfd, EPOLL_CTL_DEL, w->fd, NULL);
    /* Events of this iteration may still point at w: free it at the end of the iteration. */
    w->dead = true;
    w->next_dead = w->loop->dead;
    w->loop->dead = w;
}

static void free_dead_watches(struct loop *loop)
{
    while (loop->dead) {
        struct loop_watch *w = loop->dead;
        loop->dead = w->next_dead;
        free(w);
    }
}

/* ---- post queue ---- */

void loop_post(struct loop *loop, loop_post_fn fn, void *arg)
{
    struct post_item *it = xmalloc(sizeof(*it));
    it->fn = fn;
    it->arg = arg;
    it->next = NULL;
    bool wake = false;
    pthread_mutex_lock(&loop->mu);
    if (loop->post_tail) {
        loop->post_tail->next = it;
    } else {
        loop->post_head = it;
    }
    loop->post_tail = it;
    if (!loop->wake_pending) {
        /* One eventfd write per batch: the loop takes the whole list at once. */
        loop->wake_pending = true;
        wake = true;
    }
    pthread_mutex_unlock(&loop->mu);
    if (wake) {
        uint64_t one = 1;
        ssize_t n = write(loop->evfd, &one, sizeof(one));
        (void)n; /* EAGAIN means the counter is already non-zero: the loop will wake */
    }
}

static void run_posted(struct loop *loop)
{
    pthread_mutex_lock(&loop->mu);
    struct post_item *it = loop->post_head;
    loop->post_head = NULL;
    loop->post_tail = NULL;
    loop->wake_pending = false;
    pthread_mutex_unlock(&loop->mu);
    while (it) {
        struct post_item *next = it->next;
        it->fn(loop, it->arg);
        free(it);
        it = next;
    }
}

static void on_eventfd(struct loop *loop, int fd, uint32_t events, void *arg)
{
    (void)events;
    (void)arg;
    uint64_t v;
    ssize_t n = read(fd, &v, sizeof(v));
    (void)n;
    run_posted(loop);
}

/* ---- signals ---- */

static void on_signalfd(struct loop *loop, int fd, uint32_t events, void *arg)
{
    (void)events;
    (void)arg;
    struct signalfd_siginfo si;
    while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        log_info("msg=signal signo=%u", si.ssi_signo);
        if (loop->sig_fn) {
            loop->sig_fn(loop, (int)si.ssi_signo, loop->sig_arg);
        } else {
            loop_stop(loop);
        }
    }
}

void loop_on_signal(struct loop *loop, loop_signal_fn fn, void *arg)
{
    loop->sig_fn = fn;
    loop->sig_arg = arg;
}

/* ---- lifecycle ---- */

struct loop *loop_new(void)
{
    struct loop *loop = xcalloc(1, sizeof(*loop));
    loop->epfd = -1;
    loop->evfd = -1;
    loop->sigfd = -1;
    pthread_mutex_init(&loop->mu, NULL);
    loop->now = monotonic_ms();

    /* Writes to a closed peer must fail with EPIPE, not kill the process. */
    signal(SIGPIPE, SIG_IGN);

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) {
        log_err("msg=sigmask_failed");
        goto fail;
    }
    loop->epfd = epoll_create1(EPOLL_CLOEXEC);
    loop->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    loop->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (loop->epfd < 0 || loop->evfd < 0 || loop->sigfd < 0) {
        log_err("msg=loop_fds_failed errno=%d", errno);
        goto fail;
    }
    loop->ev_watch = loop_watch_fd(loop, loop->evfd, LOOP_READ, on_eventfd, NULL);
    loop->sig_watch = loop_watch_fd(loop, loop->sigfd, LOOP_READ, on_signalfd, NULL);
    if (!loop->ev_watch || !loop->sig_watch) {
        goto fail;
    }
    return loop;
fail:
    loop_free(loop);
    return NULL;
}

void loop_free(struct loop *loop)
{
    if (!loop) {
        return;
    }
    /* Posted functions release what they carry; run them even at shutdown. A posted
     * function may post again: loop until the queue stays empty. */
    for (;;) {
        pthread_mutex_lock(&loop->mu);
        bool empty = loop->post_head == NULL;
        pthread_mutex_unlock(&loop->mu);
        if (empty) {
            break;
        }
        run_posted(loop);
    }
    loop_watch_remove(loop->ev_watch);
    loop_watch_remove(loop->sig_watch);
    free_dead_watches(loop);
    if (loop->heap_len > 0) {
        log_warn("msg=timers_left_at_free count=%zu", loop->heap_len);
    }
    free(loop->heap);
    free(loop->hooks);
    if (loop->epfd >= 0) {
        close(loop->epfd);
    }
    if (loop->evfd >= 0) {
        close(loop->evfd);
    }
    if (loop->sigfd >= 0) {
        close(loop->sigfd);
    }
    pthread_mutex_destroy(&loop->mu);
    free(loop);
}

void loop_prepare_add(struct loop *loop, loop_prepare_fn fn, void *arg)
{
    loop->hooks = xreallocarray(loop->hooks, loop->nhooks + 1, sizeof(*loop->hooks));
    loop->hooks[loop->nhooks].fn = fn;
    loop->hooks[loop->nhooks].arg = arg;
    loop->nhooks++;
}

void loop_prepare_remove(struct loop *loop, loop_prepare_fn fn, void *arg)
{
    for (size_t i = 0; i < loop->nhooks; i++) {
        if (loop->hooks[i].fn == fn && loop->hooks[i].arg == arg) {
            memmove(&loop->hooks[i], &loop->hooks[i + 1],
                    (loop->nhooks - i - 1) * sizeof(*loop->hooks));
            loop->nhooks--;
            return;
        }
    }
}

void loop_stop(struct loop *loop)
{
    loop->stop = true;
}

static int min_timeout(int a, int b)
{
    if (a < 0) {
        return b;
    }
    if (b < 0) {
        return a;
    }
    return a < b ? a : b;
}

int loop_run_once(struct loop *loop, int timeout_ms)
{
    struct epoll_event evs[LOOP_MAX_EVENTS];
    loop->now = monotonic_ms();
    int tmo = timeout_ms;
    for (size_t i = 0; i < loop->nhooks; i++) {
        tmo = min_timeout(tmo, loop->hooks[i].fn(loop, loop->hooks[i].arg));
    }
    if (loop->heap_len > 0) {
        uint64_t due = loop->heap[0]->due;
        uint64_t now = monotonic_ms();
        uint64_t d = due > now ? due - now : 0;
        tmo = min_timeout(tmo, d > INT32_MAX ? INT32_MAX : (int)d);
    }
    if (loop->stop) {
        tmo = 0;
    }
    int n = epoll_wait(loop->epfd, evs, LOOP_MAX_EVENTS, tmo);
    if (n < 0) {
        if (errno == EINTR) {
            return 0;
        }
        log_err("msg=epoll_wait_failed errno=%d", errno);
        return HE_IO;
    }
    loop->now = monotonic_ms();
    for (int i = 0; i < n; i++) {
        struct loop_watch *w = evs[i].data.ptr;
        if (w->dead) {
            continue;
        }
        w->fn(loop, w->fd, evs[i].events, w->arg);
    }
    run_timers(loop);
    free_dead_watches(loop);
    return 0;
}

int loop_run(struct loop *loop)
{
    loop->stop = false;
    while (!loop->stop) {
        int rc = loop_run_once(loop, -1);
        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}
