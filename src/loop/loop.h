/*
 * loop: the one event loop of a Huard process (epoll), its timers, a thread-safe job queue
 * (eventfd) and signal delivery (signalfd), after redis's ae.c.
 *
 * Threads: every function here must be called on the loop thread (the thread that runs
 * loop_run), except loop_post(), which any thread may call, and loop_now_ms().
 * Only the loop thread touches network objects (MHD, wslay sessions); workers hand results
 * back with loop_post() or through pool_submit()'s done callback (loop/pool.h).
 *
 * Ownership: loop_new() returns the loop; loop_free() runs the posted functions still queued
 * (so their arguments are released) and frees the watches and timers still registered.
 *
 * Errors: fallible functions return 0 or a negative HE_* code (base/err.h).
 */
#ifndef HUARD_LOOP_LOOP_H
#define HUARD_LOOP_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "base/alloc.h"

struct loop;
struct loop_watch;
struct loop_timer;

/* Event bits for fd watches, the epoll ones (EPOLLIN, EPOLLOUT, EPOLLRDHUP...). */
#define LOOP_READ 0x001u  /* EPOLLIN */
#define LOOP_WRITE 0x004u /* EPOLLOUT */
#define LOOP_ERROR 0x008u /* EPOLLERR, always reported */
#define LOOP_HUP 0x010u   /* EPOLLHUP, always reported */

/** Called on the loop thread when fd is ready; events holds LOOP_* bits. */
typedef void (*loop_fd_fn)(struct loop *loop, int fd, uint32_t events, void *arg);
/** Called on the loop thread when a timer expires. The timer is stopped before the call. */
typedef void (*loop_timer_fn)(struct loop *loop, struct loop_timer *timer, void *arg);
/** A function posted to the loop thread with loop_post(). */
typedef void (*loop_post_fn)(struct loop *loop, void *arg);
/**
 * Called on the loop thread once per iteration, right before epoll_wait. Returns the longest
 * wait in milliseconds it allows (0: poll, -1: no bound). Used by http/ to run libmicrohttpd
 * (MHD_run after resume or upgrade close, MHD_get_timeout) and by ws/ to flush send queues.
 */
typedef int (*loop_prepare_fn)(struct loop *loop, void *arg);
/** Called on the loop thread when SIGTERM or SIGINT arrives (signo is the signal). */
typedef void (*loop_signal_fn)(struct loop *loop, int signo, void *arg);

/**
 * Creates a loop. Blocks SIGTERM and SIGINT in the calling thread (so threads started after
 * this, such as the worker pool, inherit the mask) and receives them through a signalfd;
 * without a handler (loop_on_signal) a signal stops the loop. Ignores SIGPIPE.
 * Returns NULL (logged) when the kernel refuses epoll/eventfd/signalfd.
 */
struct loop *loop_new(void);
/** Frees the loop (see Ownership above). NULL does nothing. Never while loop_run runs. */
void loop_free(struct loop *loop);

/** Runs until loop_stop(). Returns 0, or a negative HE_* code when epoll_wait fails. */
int loop_run(struct loop *loop) HU_MUST_CHECK;
/** Makes loop_run() return after the current iteration. Loop thread only. */
void loop_stop(struct loop *loop);
/**
 * Runs one iteration: prepare hooks, a wait of at most timeout_ms (0: poll), ready fds,
 * expired timers, posted functions. For draining at shutdown.
 */
int loop_run_once(struct loop *loop, int timeout_ms) HU_MUST_CHECK;
/** Monotonic milliseconds, cached for the current iteration (loop thread). */
uint64_t loop_now_ms(struct loop *loop);

/** Sets the SIGTERM/SIGINT handler (replaces the default, which is loop_stop). */
void loop_on_signal(struct loop *loop, loop_signal_fn fn, void *arg);

/**
 * Watches fd for events (LOOP_READ and/or LOOP_WRITE; level-triggered). The loop does not
 * own fd and never closes it. Returns the watch, or NULL (logged) when epoll refuses fd.
 */
struct loop_watch *loop_watch_fd(struct loop *loop, int fd, uint32_t events, loop_fd_fn fn,
                                 void *arg);
/** Changes the events of a watch. Returns 0 or HE_IO. */
int loop_watch_modify(struct loop_watch *watch, uint32_t events) HU_MUST_CHECK;
/**
 * Stops watching and frees the watch (the fd stays open). Safe inside any callback, including
 * the watch's own: pending events of this iteration are dropped. NULL does nothing.
 */
void loop_watch_remove(struct loop_watch *watch);

/** Creates a stopped timer that will call fn(loop, timer, arg). */
struct loop_timer *loop_timer_new(struct loop *loop, loop_timer_fn fn, void *arg);
/** (Re)arms the timer to fire once, delay_ms from now (timer heap, no fd per timer). */
void loop_timer_start(struct loop_timer *timer, uint64_t delay_ms);
/** Disarms the timer; nothing happens when it is not armed. */
void loop_timer_stop(struct loop_timer *timer);
/** True while the timer is armed. */
bool loop_timer_active(const struct loop_timer *timer);
/** Disarms and frees the timer; safe inside its own callback. NULL does nothing. */
void loop_timer_free(struct loop_timer *timer);

/**
 * Adds a hook called before each wait (see loop_prepare_fn). Hooks run in the order added.
 * Remove with loop_prepare_remove (same fn and arg).
 */
void loop_prepare_add(struct loop *loop, loop_prepare_fn fn, void *arg);
void loop_prepare_remove(struct loop *loop, loop_prepare_fn fn, void *arg);

/**
 * Runs fn(loop, arg) on the loop thread, soon, in posting order. ANY thread may call it; it
 * never fails (allocation aborts on OOM) and wakes the loop through its eventfd. Posted
 * functions still queued at loop_free() are run then, so arg is always released.
 */
void loop_post(struct loop *loop, loop_post_fn fn, void *arg);

#endif
