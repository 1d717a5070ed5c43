/* strmap.c — open-addressing hash map with FNV-1a hashing. */
#include "strmap.h"

#include <stdint.h>
#include <string.h>

static uint64_t S_hash(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

void strmap_init(strmap *m, arena *a) {
    memset(m, 0, sizeof *m);
    m->a = a;
}

static void S_rehash(strmap *m) {
    size_t ncap = m->cap ? m->cap * 2 : 16;
    const char **keys = arena_alloc(m->a, ncap * sizeof *keys);
    void **vals = arena_alloc(m->a, ncap * sizeof *vals);
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i]) continue;
        size_t j = S_hash(m->keys[i]) & (ncap - 1);
        while (keys[j]) j = (j + 1) & (ncap - 1);
        keys[j] = m->keys[i];
        vals[j] = m->vals[i];
    }
    m->keys = keys;
    m->vals = vals;
    m->cap = ncap;
}

void *strmap_put(strmap *m, const char *key, void *val) {
    if ((m->n + 1) * 4 > m->cap * 3) S_rehash(m);
    size_t j = S_hash(key) & (m->cap - 1);
    while (m->keys[j]) {
        if (strcmp(m->keys[j], key) == 0) {
            void *old = m->vals[j];
            m->vals[j] = val;
            return old;
        }
        j = (j + 1) & (m->cap - 1);
    }
    m->keys[j] = arena_strdup(m->a, key);
    m->vals[j] = val;
    m->n++;
    return NULL;
}

void *strmap_get(const strmap *m, const char *key) {
    if (!m->cap) return NULL;
    size_t j = S_hash(key) & (m->cap - 1);
    while (m->keys[j]) {
        if (strcmp(m->keys[j], key) == 0) return m->vals[j];
        j = (j + 1) & (m->cap - 1);
    }
    return NULL;
}
