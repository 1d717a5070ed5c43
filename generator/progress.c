/* progress.c — a one-line progress display on stderr. */
#include "progress.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int enabled;
static pthread_t owner;
static const char *stage;
static size_t total;
static atomic_size_t done;
static double last_draw;

static double S_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void progress_init(int on) {
    enabled = on;
    owner = pthread_self();
}

static void S_draw(void) {
    size_t n = atomic_load(&done);
    if (total) {
        int width = 30, filled = (int)((double)n / (double)total * width);
        if (filled > width) filled = width;
        fprintf(stderr, "\r\033[K%-10s [", stage);
        for (int i = 0; i < width; i++) fputs(i < filled ? "#" : "-", stderr);
        fprintf(stderr, "] %zu/%zu", n, total);
    } else {
        fprintf(stderr, "\r\033[K%s ...", stage);
    }
    fflush(stderr);
}

void progress_stage(const char *name, size_t n) {
    if (!enabled) return;
    stage = name;
    total = n;
    atomic_store(&done, 0);
    last_draw = S_now();
    S_draw();
}

void progress_tick(void) {
    atomic_fetch_add(&done, 1);
    if (!enabled || !pthread_equal(pthread_self(), owner)) return;
    double t = S_now();
    if (t - last_draw < 0.1) return;
    last_draw = t;
    S_draw();
}

void progress_done(void) {
    if (!enabled) return;
    S_draw();
    fputc('\n', stderr);
}

int progress_timings(void) {
    static int on = -1;
    if (on < 0) on = getenv("PLANPRESS_TIMINGS") != NULL;
    return on;
}

void progress_step_time(const char *stage_name, const char *step, struct timespec *since) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (progress_timings())
        fprintf(stderr, "planpress:   %s %-11s %7.3f s\n", stage_name, step,
                (double)(now.tv_sec - since->tv_sec) + (double)(now.tv_nsec - since->tv_nsec) / 1e9);
    *since = now;
}
