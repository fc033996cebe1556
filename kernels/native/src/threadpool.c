#include "threadpool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

/*
 * A run is a generation: the caller publishes it under the lock (function, argument,
 * task count) and tags the claim counter with it, generation in the high 32 bits and
 * the next task in the low 32. Threads claim tasks by compare-and-swap on the tagged
 * counter, so a worker that wakes late, with another run's snapshot, can neither claim
 * nor disturb the current run's tasks. The caller waits for its tasks to finish, not for
 * the workers to show up: when the OS parks a worker, the others take its share.
 */
struct edge_pool {
  size_t threads;
  pthread_t *workers;
  size_t started;
  pthread_mutex_t lock;
  pthread_cond_t wake;
  pthread_cond_t done;
  bool stop;
  /* The current run, read under the lock. */
  uint32_t generation;
  edge_task_fn fn;
  void *arg;
  size_t tasks;
  atomic_uint_fast64_t claims; /* generation << 32 | next task */
  atomic_size_t finished;      /* tasks of the current run that are done */
};

struct run {
  uint32_t generation;
  edge_task_fn fn;
  void *arg;
  size_t tasks;
};

struct worker_start {
  struct edge_pool *pool;
  size_t index;
};

static void drain(struct edge_pool *pool, const struct run *run, size_t thread) {
  uint_fast64_t seen = atomic_load_explicit(&pool->claims, memory_order_acquire);
  for (;;) {
    if ((uint32_t)(seen >> 32) != run->generation || (seen & 0xFFFFFFFFu) >= run->tasks) return;
    if (!atomic_compare_exchange_weak_explicit(&pool->claims, &seen, seen + 1, memory_order_acq_rel,
                                               memory_order_acquire)) {
      continue;
    }
    run->fn(run->arg, thread, (size_t)(seen & 0xFFFFFFFFu));
    atomic_fetch_add_explicit(&pool->finished, 1, memory_order_release);
    seen++;
  }
}

/*
 * Layers follow each other within microseconds, so both sides spin briefly before
 * sleeping: a condition-variable round trip per layer would cost more than small layers.
 */
#define SPINS 20000

static inline void relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
  __asm__ volatile("yield");
#endif
}

static uint32_t current_generation(const struct edge_pool *pool) {
  return (uint32_t)(atomic_load_explicit(&pool->claims, memory_order_acquire) >> 32);
}

static void *worker_main(void *p) {
  struct worker_start *start = p;
  struct edge_pool *pool = start->pool;
  size_t index = start->index;
  free(start);
  uint32_t seen = 0;
  for (;;) {
    for (int i = 0; i < SPINS && current_generation(pool) == seen; i++) relax();
    pthread_mutex_lock(&pool->lock);
    while (!pool->stop && pool->generation == seen) pthread_cond_wait(&pool->wake, &pool->lock);
    const bool stop = pool->stop;
    const struct run run = {pool->generation, pool->fn, pool->arg, pool->tasks};
    seen = pool->generation;
    pthread_mutex_unlock(&pool->lock);
    if (stop) return NULL;
    drain(pool, &run, index);
    pthread_mutex_lock(&pool->lock);
    pthread_cond_signal(&pool->done);
    pthread_mutex_unlock(&pool->lock);
  }
}

enum edge_status edge_pool_create(size_t threads, struct edge_pool **out) {
  if (threads == 0) threads = 1;
  struct edge_pool *pool = calloc(1, sizeof(*pool));
  if (pool == NULL) return EDGE_ERR_NOMEM;
  pool->threads = threads;
  pthread_mutex_init(&pool->lock, NULL);
  pthread_cond_init(&pool->wake, NULL);
  pthread_cond_init(&pool->done, NULL);
  if (threads > 1) {
    pool->workers = calloc(threads - 1, sizeof(pthread_t));
    if (pool->workers == NULL) {
      edge_pool_destroy(pool);
      return EDGE_ERR_NOMEM;
    }
    for (size_t i = 1; i < threads; i++) {
      struct worker_start *start = malloc(sizeof(*start));
      if (start == NULL) {
        edge_pool_destroy(pool);
        return EDGE_ERR_NOMEM;
      }
      start->pool = pool;
      start->index = i;
      if (pthread_create(&pool->workers[i - 1], NULL, worker_main, start) != 0) {
        free(start);
        edge_pool_destroy(pool);
        return EDGE_ERR_THREAD;
      }
      pool->started++;
    }
  }
  *out = pool;
  return EDGE_OK;
}

void edge_pool_destroy(struct edge_pool *pool) {
  if (pool == NULL) return;
  pthread_mutex_lock(&pool->lock);
  pool->stop = true;
  pthread_cond_broadcast(&pool->wake);
  pthread_mutex_unlock(&pool->lock);
  for (size_t i = 0; i < pool->started; i++) pthread_join(pool->workers[i], NULL);
  free(pool->workers);
  pthread_cond_destroy(&pool->done);
  pthread_cond_destroy(&pool->wake);
  pthread_mutex_destroy(&pool->lock);
  free(pool);
}

size_t edge_pool_threads(const struct edge_pool *pool) { return pool->threads; }

void edge_pool_run(struct edge_pool *pool, edge_task_fn fn, void *arg, size_t tasks) {
  if (pool->started == 0 || tasks <= 1) {
    for (size_t t = 0; t < tasks; t++) fn(arg, 0, t);
    return;
  }
  pthread_mutex_lock(&pool->lock);
  const struct run run = {pool->generation + 1, fn, arg, tasks};
  pool->generation = run.generation;
  pool->fn = fn;
  pool->arg = arg;
  pool->tasks = tasks;
  atomic_store_explicit(&pool->finished, 0, memory_order_relaxed);
  atomic_store_explicit(&pool->claims, (uint_fast64_t)run.generation << 32, memory_order_release);
  pthread_cond_broadcast(&pool->wake);
  pthread_mutex_unlock(&pool->lock);
  drain(pool, &run, 0);
  for (int i = 0; i < SPINS && atomic_load_explicit(&pool->finished, memory_order_acquire) != tasks; i++) relax();
  pthread_mutex_lock(&pool->lock);
  while (atomic_load_explicit(&pool->finished, memory_order_acquire) != tasks) {
    pthread_cond_wait(&pool->done, &pool->lock);
  }
  pthread_mutex_unlock(&pool->lock);
}
