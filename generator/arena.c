/* arena.c — bump allocator in large chunks; PP_ARENA_DEBUG gives each
 * allocation its own malloc so that the sanitizers see every overrun. */
#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_SIZE (256 * 1024)
#define ALIGN 16

typedef struct chunk {
    struct chunk *next;
    size_t size, used;
    _Alignas(ALIGN) unsigned char data[];
} chunk;

struct arena {
    chunk *head;
    struct arena *children; /* adopted arenas, freed with this one */
    struct arena *next_sibling;
};

arena *arena_new(void) { return calloc(1, sizeof(arena)); }

void arena_free(arena *a) {
    if (!a) return;
    arena *child = a->children;
    while (child) {
        arena *next = child->next_sibling;
        arena_free(child);
        child = next;
    }
    chunk *c = a->head;
    while (c) {
        chunk *next = c->next;
        free(c);
        c = next;
    }
    free(a);
}

void arena_adopt(arena *a, arena *child) {
    child->next_sibling = a->children;
    a->children = child;
}

static chunk *S_new_chunk(arena *a, size_t size) {
    chunk *c = malloc(sizeof(chunk) + size);
    if (!c) {
        fputs("planpress: out of memory\n", stderr);
        abort();
    }
    c->size = size;
    c->used = 0;
    c->next = a->head;
    a->head = c;
    return c;
}

void *arena_alloc(arena *a, size_t n) {
    if (n == 0) n = 1;
    if (n > SIZE_MAX - 2 * ALIGN) {
        fputs("planpress: allocation too large\n", stderr);
        abort();
    }
    n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
#ifdef PP_ARENA_DEBUG
    chunk *c = S_new_chunk(a, n);
    c->used = n;
    memset(c->data, 0, n);
    return c->data;
#else
    chunk *c = a->head;
    if (!c || c->size - c->used < n) {
        if (n > CHUNK_SIZE / 4) {
            /* Big blocks get a chunk of their own, placed behind the current
             * one so that the current chunk's free space is not wasted. */
            chunk *big = S_new_chunk(a, n);
            if (c) {
                a->head = c;
                big->next = c->next;
                c->next = big;
            }
            big->used = n;
            memset(big->data, 0, n);
            return big->data;
        }
        c = S_new_chunk(a, CHUNK_SIZE);
    }
    void *p = c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
#endif
}

void *arena_alloc_own(arena *a, size_t n) {
    if (n == 0) n = 1;
    if (n > SIZE_MAX - 2 * ALIGN) {
        fputs("planpress: allocation too large\n", stderr);
        abort();
    }
    n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    chunk *cur = a->head;
    chunk *own = S_new_chunk(a, n);
    if (cur) { /* behind the current chunk, whose free space stays in use */
        a->head = cur;
        own->next = cur->next;
        cur->next = own;
    }
    own->used = n;
    memset(own->data, 0, n);
    return own->data;
}

void arena_release(arena *a, void *p) {
    for (chunk **pp = &a->head; p && *pp; pp = &(*pp)->next) {
        if ((void *)(*pp)->data != p) continue;
        chunk *c = *pp;
        *pp = c->next;
        free(c);
        return;
    }
}

char *arena_strndup(arena *a, const char *s, size_t n) {
    char *p = arena_alloc(a, n + 1);
    if (n) memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(arena *a, const char *s) { return s ? arena_strndup(a, s, strlen(s)) : NULL; }

char *arena_printf(arena *a, const char *fmt, ...) {
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    char *p = arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return p;
}

void *arena_grow(arena *a, void *ptr, size_t elem, size_t *cap, size_t need) {
    if (need <= *cap) return ptr;
    size_t ncap = *cap ? *cap * 2 : 8;
    while (ncap < need) ncap *= 2;
    void *p = arena_alloc(a, ncap * elem);
    if (ptr && *cap) memcpy(p, ptr, *cap * elem);
    *cap = ncap;
    return p;
}
