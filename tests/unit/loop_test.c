/* Unit tests of loop/ (loop.h, pool.h): timer order and re-arming, watch removal inside a
 * callback, loop_post from other threads, pool jobs completing on the loop thread. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "loop/loop.h"
#include "loop/pool.h"

#define MAX_ITERATIONS 2000 /* every run loop below is bounded */

struct order {
    int fired[8];
    int n;
};

struct timer_arg {
    struct order *order;
    int id;
};

static void record_timer(struct loop *loop, struct loop_timer *t, void *arg)
{
    (void)loop;
    (void)t;
    struct timer_arg *a = arg;
    a->order->fired[a->order->n++] = a->id;
}

Test(loop, timers_fire_in_due_order_and_stopped_ones_never)
{
    struct loop *loop = loop_new();
    cr_assert_not_null(loop);
    struct order order = {0};
    struct timer_arg args[4] = {{&order, 0}, {&order, 1}, {&order, 2}, {&order, 3}};
    struct loop_timer *t[4];
    uint64_t delays[4] = {30, 10, 20, 5};
    for (int i = 0; i < 4; i++) {
        t[i] = loop_timer_new(loop, record_timer, &args[i]);
        loop_timer_start(t[i], delays[i]);
    }
    loop_timer_stop(t[3]);
    cr_assert(!loop_timer_active(t[3]));
    for (int i = 0; i < MAX_ITERATIONS && order.n < 3; i++) {
        cr_assert_eq(loop_run_once(loop, 50), 0);
    }
    cr_assert_eq(order.n, 3);
    cr_assert_eq(order.fired[0], 1);
    cr_assert_eq(order.fired[1], 2);
    cr_assert_eq(order.fired[2], 0);
    for (int i = 0; i < 4; i++) {
        loop_timer_free(t[i]);
    }
    loop_free(loop);
}

static void rearm_timer(struct loop *loop, struct loop_timer *t, void *arg)
{
    (void)loop;
    int *count = arg;
    if (++*count < 3) {
        loop_timer_start(t, 1);
    }
}

Test(loop, timer_rearmed_from_its_callback_fires_again)
{
    struct loop *loop = loop_new();
    int count = 0;
    struct loop_timer *t = loop_timer_new(loop, rearm_timer, &count);
    loop_timer_start(t, 1);
    for (int i = 0; i < MAX_ITERATIONS && count < 3; i++) {
        cr_assert_eq(loop_run_once(loop, 20), 0);
    }
    cr_assert_eq(count, 3);
    cr_assert(!loop_timer_active(t));
    loop_timer_free(t);
    loop_free(loop);
}

struct pipe_ctx {
    struct loop_watch *watch;
    int calls;
};

static void on_pipe(struct loop *loop, int fd, uint32_t events, void *arg)
{
    (void)loop;
    (void)fd;
    struct pipe_ctx *c = arg;
    cr_assert(events & LOOP_READ);
    c->calls++;
    loop_watch_remove(c->watch); /* inside its own callback */
}

Test(loop, watch_removed_in_its_callback_is_not_called_again)
{
    struct loop *loop = loop_new();
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    struct pipe_ctx c = {0};
    c.watch = loop_watch_fd(loop, fds[0], LOOP_READ, on_pipe, &c);
    cr_assert_not_null(c.watch);
    cr_assert_eq(write(fds[1], "x", 1), 1);
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(loop_run_once(loop, 10), 0);
    }
    cr_assert_eq(c.calls, 1); /* level-triggered: without the removal it would be 5 */
    close(fds[0]);
    close(fds[1]);
    loop_free(loop);
}

struct post_ctx {
    struct loop *loop;
    atomic_int done;
    pthread_t loop_thread;
    int wrong_thread;
};

#define POSTERS 4
#define POSTS_EACH 500

static void on_post(struct loop *loop, void *arg)
{
    (void)loop;
    struct post_ctx *c = arg;
    if (!pthread_equal(pthread_self(), c->loop_thread)) {
        c->wrong_thread++;
    }
    atomic_fetch_add(&c->done, 1);
}

static void *poster(void *arg)
{
    struct post_ctx *c = arg;
    for (int i = 0; i < POSTS_EACH; i++) {
        loop_post(c->loop, on_post, c);
    }
    return NULL;
}

Test(loop, posts_from_threads_all_run_on_the_loop_thread)
{
    struct post_ctx c = {.loop = loop_new(), .loop_thread = pthread_self()};
    pthread_t th[POSTERS];
    for (int i = 0; i < POSTERS; i++) {
        cr_assert_eq(pthread_create(&th[i], NULL, poster, &c), 0);
    }
    for (int i = 0; i < POSTERS; i++) {
        pthread_join(th[i], NULL);
    }
    for (int i = 0; i < MAX_ITERATIONS && atomic_load(&c.done) < POSTERS * POSTS_EACH; i++) {
        cr_assert_eq(loop_run_once(c.loop, 50), 0);
    }
    cr_assert_eq(atomic_load(&c.done), POSTERS * POSTS_EACH);
    cr_assert_eq(c.wrong_thread, 0);
    loop_free(c.loop);
}

struct job_ctx {
    pthread_t loop_thread;
    atomic_int worked;
    int done;
    int done_off_loop;
    int work_on_loop;
};

static void job_work(void *arg)
{
    struct job_ctx *c = arg;
    if (pthread_equal(pthread_self(), c->loop_thread)) {
        c->work_on_loop++;
    }
    atomic_fetch_add(&c->worked, 1);
}

static void job_done(struct loop *loop, void *arg)
{
    (void)loop;
    struct job_ctx *c = arg;
    if (!pthread_equal(pthread_self(), c->loop_thread)) {
        c->done_off_loop++;
    }
    c->done++;
}

Test(pool, jobs_run_on_workers_and_complete_on_the_loop)
{
    struct loop *loop = loop_new();
    struct pool *pool = pool_new(loop, 3);
    cr_assert_not_null(pool);
    cr_assert_eq(pool_size(pool), 3);
    struct job_ctx c = {.loop_thread = pthread_self()};
    for (int i = 0; i < 100; i++) {
        pool_submit(pool, job_work, job_done, &c);
    }
    for (int i = 0; i < MAX_ITERATIONS && c.done < 100; i++) {
        cr_assert_eq(loop_run_once(loop, 50), 0);
    }
    cr_assert_eq(c.done, 100);
    cr_assert_eq(atomic_load(&c.worked), 100);
    cr_assert_eq(c.work_on_loop, 0);
    cr_assert_eq(c.done_off_loop, 0);
    cr_assert_eq(pool_pending(pool), 0);
    pool_free(pool);
    loop_free(loop);
}

Test(pool, free_with_queued_jobs_still_completes_them)
{
    struct loop *loop = loop_new();
    struct pool *pool = pool_new(loop, 1);
    struct job_ctx c = {.loop_thread = pthread_self()};
    for (int i = 0; i < 50; i++) {
        pool_submit(pool, job_work, job_done, &c);
    }
    pool_free(pool); /* runs the queue, joins; done callbacks run from loop_free */
    cr_assert_eq(atomic_load(&c.worked), 50);
    loop_free(loop);
    cr_assert_eq(c.done, 50);
}
