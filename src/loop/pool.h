/*
 * pool: the worker threads that run request logic (api -> domain -> store), password hashes,
 * Markdown rendering and thumbnails, so that the loop never blocks on disk, crypto or the
 * database (DESIGN.md section 2).
 *
 * A job is a pair of functions: work(arg) runs on a worker thread; done(loop, arg) then runs
 * on the loop thread (through loop_post), where it may touch network objects. done is called
 * exactly once for every submitted job, also at shutdown, so it is where arg is released.
 *
 * Threads: pool_new, pool_submit, pool_free and pool_pending are for the loop thread.
 * work functions must not touch MHD, wslay or session objects.
 */
#ifndef HUARD_LOOP_POOL_H
#define HUARD_LOOP_POOL_H

#include <stddef.h>

struct loop;
struct pool;

/** Runs on a worker thread. */
typedef void (*pool_work_fn)(void *arg);
/** Runs on the loop thread after work returned. */
typedef void (*pool_done_fn)(struct loop *loop, void *arg);

/**
 * Starts nthreads workers (0: 2 x online cores). Call after loop_new() so the workers inherit
 * its blocked signals. Returns NULL (logged) when a thread cannot start.
 */
struct pool *pool_new(struct loop *loop, unsigned nthreads);
/**
 * Runs every job already queued, joins the workers, then leaves the done callbacks posted on
 * the loop (run them with loop_run_once, or loop_free runs them). NULL does nothing.
 */
void pool_free(struct pool *pool);
/** Queues a job (FIFO). done may be NULL. Never fails (aborts on OOM). */
void pool_submit(struct pool *pool, pool_work_fn work, pool_done_fn done, void *arg);
/** Jobs submitted whose done has not run yet. */
size_t pool_pending(const struct pool *pool);
/** Number of worker threads. */
unsigned pool_size(const struct pool *pool);

#endif
