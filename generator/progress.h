/* progress.h — stages, counts and a bar on a terminal; silent in pipes and
 * with --quiet. Thread-safe ticks; only the calling thread that owns the
 * progress (worker 0, the main thread) draws. */
#ifndef PP_PROGRESS_H
#define PP_PROGRESS_H
#include <stddef.h>

void progress_init(int enabled);
/* Starts a stage: "rendering", with `total` items (0 = no bar). */
void progress_stage(const char *name, size_t total);
/* One more item done; draws at most every 100 ms when on the main thread. */
void progress_tick(void);
/* Ends the stage line. */
void progress_done(void);

struct timespec;
/* Whether PLANPRESS_TIMINGS is set: stage times go to stderr. */
int progress_timings(void);
/* With PLANPRESS_TIMINGS, prints "planpress:   STAGE STEP  X s", the time
 * since *since, and sets *since to now (the steps inside a stage). */
void progress_step_time(const char *stage, const char *step, struct timespec *since);

#endif
