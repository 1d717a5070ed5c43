/* arena.h — one region that owns the model and its strings, freed at once. */
#ifndef PP_ARENA_H
#define PP_ARENA_H
#include <stddef.h>

typedef struct arena arena;

/* A new, empty arena. Returns NULL when out of memory. */
arena *arena_new(void);
/* Frees every allocation made from the arena, then the arena itself. */
void arena_free(arena *a);

/* Makes `child` part of `a`: it is freed when `a` is. (Documents are
 * parsed in parallel into arenas of their own, then adopted by the site.) */
void arena_adopt(arena *a, arena *child);

/* Zeroed memory, aligned for any type; aborts the process when out of memory
 * (the only place that does: a build cannot go on without its model). */
void *arena_alloc(arena *a, size_t n);
/* A zeroed block of its own (a large text that may be replaced), which
 * arena_release can give back before the arena is freed. */
void *arena_alloc_own(arena *a, size_t n);
/* Frees a block that arena_alloc_own returned from `a` (nothing else). */
void arena_release(arena *a, void *p);
/* Copies of strings; the result is always NUL-terminated. */
char *arena_strndup(arena *a, const char *s, size_t n);
char *arena_strdup(arena *a, const char *s);
char *arena_printf(arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Grows an array of `elem`-sized items held in the arena to hold `need`
 * items; *cap is updated. The old storage stays in the arena. */
void *arena_grow(arena *a, void *ptr, size_t elem, size_t *cap, size_t need);

#endif
