/* workers.c — a minimal thread pool over an atomic job counter. */
#include "workers.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct pool {
    atomic_size_t next;
    size_t n;
    void (*fn)(void *, size_t, int);
    void *ctx;
} pool;

typedef struct worker_arg {
    pool *p;
    int id;
} worker_arg;

static void *S_work(void *arg) {
    worker_arg *w = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&w->p->next, 1);
        if (i >= w->p->n) break;
        w->p->fn(w->p->ctx, i, w->id);
    }
    return NULL;
}

void workers_run(int jobs, size_t n, void (*fn)(void *ctx, size_t i, int worker), void *ctx) {
    pool p;
    atomic_init(&p.next, 0);
    p.n = n;
    p.fn = fn;
    p.ctx = ctx;
    if (jobs < 1) jobs = 1;
    if ((size_t)jobs > n) jobs = n ? (int)n : 1;
    pthread_t *th = jobs > 1 ? calloc((size_t)jobs, sizeof *th) : NULL;
    worker_arg *args = calloc((size_t)jobs, sizeof *args);
    int started = 1;
    for (int k = 0; k < jobs; k++) args[k] = (worker_arg){&p, k};
    if (th) {
        for (int k = 1; k < jobs; k++) {
            if (pthread_create(&th[k], NULL, S_work, &args[k]) != 0) break;
            started++;
        }
    }
    S_work(&args[0]);
    for (int k = 1; k < started; k++) pthread_join(th[k], NULL);
    free(th);
    free(args);
}

int workers_default_jobs(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (n > 64 ? 64 : (int)n);
}
