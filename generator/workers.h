/* workers.h — run n independent jobs on a pool of threads. */
#ifndef PP_WORKERS_H
#define PP_WORKERS_H
#include <stddef.h>

/* Calls fn(ctx, i, worker) for every i in [0, n), on `jobs` threads (worker
 * is 0..jobs-1, so per-thread state can be indexed by it). Jobs are taken in
 * order; the calling thread is worker 0. Returns when all are done. */
void workers_run(int jobs, size_t n, void (*fn)(void *ctx, size_t i, int worker), void *ctx);
/* The number of online processors (at least 1). */
int workers_default_jobs(void);

#endif
