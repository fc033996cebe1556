/* A fixed pool of pthreads that runs `tasks` independent tasks and returns when all are done. */
#pragma once

#include "common.h"

struct edge_pool;

/* thread is in [0, edge_pool_threads): tasks use it to pick per-thread scratch. */
typedef void (*edge_task_fn)(void *arg, size_t thread, size_t task);

enum edge_status edge_pool_create(size_t threads, struct edge_pool **out);
void edge_pool_destroy(struct edge_pool *pool);
size_t edge_pool_threads(const struct edge_pool *pool);
/* The calling thread works too; with one thread this is a plain loop. */
void edge_pool_run(struct edge_pool *pool, edge_task_fn fn, void *arg, size_t tasks);
