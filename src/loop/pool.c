/*
 * pool: a fixed set of worker threads around one FIFO of jobs (mutex + condition variable).
 *
 * A finished job is posted back to the loop, which runs its done function. pool_free joins
 * the workers after they emptied the queue; done functions still posted then run later on the
 * loop, so the pool struct outlives pool_free until the last of them ran ("zombie").
 */
#include "loop/pool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#define LOG_MODULE "pool"
#include "base/log.h"
#include "loop/loop.h"

#include "base/banned.h"

struct job {
    struct pool *pool;
    pool_work_fn work;
    pool_done_fn done;
    void *arg;
    struct job *next;
};

struct pool {
    struct loop *loop;
    pthread_t *threads;
    unsigned nthreads;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct job *head;
    struct job *tail;
    bool stopping;
    /* Loop-thread state. */
    size_t pending;
    bool zombie;
};

static void pool_destroy(struct pool *pool)
{
    pthread_mutex_destroy(&pool->mu);
    pthread_cond_destroy(&pool->cv);
    free(pool->threads);
    free(pool);
}

static void job_done(struct loop *loop, void *arg)
{
    struct job *job = arg;
    struct pool *pool = job->pool;
    if (job->done) {
        job->done(loop, job->arg);
    }
    free(job);
    pool->pending--;
    if (pool->zombie && pool->pending == 0) {
        pool_destroy(pool);
    }
}

static void *worker_main(void *arg)
{
    struct pool *pool = arg;
    pthread_mutex_lock(&pool->mu);
    for (;;) {
        while (!pool->head && !pool->stopping) {
            pthread_cond_wait(&pool->cv, &pool->mu);
        }
        struct job *job = pool->head;
        if (!job) {
            break; /* stopping and the queue is empty */
        }
        pool->head = job->next;
        if (!pool->head) {
            pool->tail = NULL;
        }
        pthread_mutex_unlock(&pool->mu);
        job->work(job->arg);
        loop_post(pool->loop, job_done, job);
        pthread_mutex_lock(&pool->mu);
    }
    pthread_mutex_unlock(&pool->mu);
    return NULL;
}

struct pool *pool_new(struct loop *loop, unsigned nthreads)
{
    if (nthreads == 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        nthreads = cores > 0 ? (unsigned)(2 * cores) : 2;
    }
    struct pool *pool = xcalloc(1, sizeof(*pool));
    pool->loop = loop;
    pthread_mutex_init(&pool->mu, NULL);
    pthread_cond_init(&pool->cv, NULL);
    pool->threads = xcalloc(nthreads, sizeof(*pool->threads));
    for (unsigned i = 0; i < nthreads; i++) {
        if (pthread_create(&pool->threads[i], NULL, worker_main, pool) != 0) {
            log_err("msg=worker_start_failed index=%u", i);
            pool_free(pool);
            return NULL;
        }
        pool->nthreads++;
    }
    log_debug("msg=pool_started workers=%u", nthreads);
    return pool;
}

void pool_submit(struct pool *pool, pool_work_fn work, pool_done_fn done, void *arg)
{
    struct job *job = xmalloc(sizeof(*job));
    job->pool = pool;
    job->work = work;
    job->done = done;
    job->arg = arg;
    job->next = NULL;
    pool->pending++;
    pthread_mutex_lock(&pool->mu);
    BUG_ON(pool->stopping);
    if (pool->tail) {
        pool->tail->next = job;
    } else {
        pool->head = job;
    }
    pool->tail = job;
    pthread_cond_signal(&pool->cv);
    pthread_mutex_unlock(&pool->mu);
}

void pool_free(struct pool *pool)
{
    if (!pool) {
        return;
    }
    pthread_mutex_lock(&pool->mu);
    pool->stopping = true;
    pthread_cond_broadcast(&pool->cv);
    pthread_mutex_unlock(&pool->mu);
    for (unsigned i = 0; i < pool->nthreads; i++) {
        pthread_join(pool->threads[i], NULL);
    }
    if (pool->pending == 0) {
        pool_destroy(pool);
    } else {
        pool->zombie = true; /* the last job_done frees it */
    }
}

size_t pool_pending(const struct pool *pool)
{
    return pool->pending;
}

unsigned pool_size(const struct pool *pool)
{
    return pool->nthreads;
}
