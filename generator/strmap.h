/* strmap.h — a string-keyed hash map (open addressing) whose keys and
 * storage live in an arena. Values are pointers. Not thread-safe to write;
 * safe to read from many threads once built. */
#ifndef PP_STRMAP_H
#define PP_STRMAP_H
#include <stddef.h>

#include "arena.h"

typedef struct strmap {
    arena *a;
    const char **keys;
    void **vals;
    size_t cap, n;
} strmap;

void strmap_init(strmap *m, arena *a);
/* Sets key -> val (the key is copied into the arena). Returns the previous
 * value or NULL. */
void *strmap_put(strmap *m, const char *key, void *val);
void *strmap_get(const strmap *m, const char *key);

#endif
