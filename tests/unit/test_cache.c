/* test_cache.c — the history cache: values kept (copied or by reference)
 * come back after a save and a reopen; a file of another stamp, or cut
 * short, is an empty cache (or ends where it is cut). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../generator/cache.h"
#include "harness.h"

static void S_path(char *out, size_t n, const char *name) {
    snprintf(out, n, "/tmp/pp-unit-cache-%ld-%s/history.cache", (long)getpid(), name);
}

TEST(cache_values_by_copy_and_by_reference_survive_a_save) {
    char path[256];
    S_path(path, sizeof path, "a");
    unsigned char stamp[16] = {1, 2, 3};
    arena *a = arena_new();
    diag *d = diag_new(0);
    cache *c = cache_open(path, stamp, a);
    CHECK(c != NULL);
    char copied[] = "a copied value";
    cache_put(c, "k1", copied, sizeof copied);
    memset(copied, 'x', sizeof copied - 1); /* the cache has its own copy */
    /* by reference: these bytes must stay until the save */
    char *held = arena_strdup(a, "a value held by the caller\0with a NUL inside");
    size_t hl = strlen(held) + 1;
    cache_put_ref(c, "k2", held, hl);
    cache_put_ref(c, "empty", "", 0);
    cache_save(c, d);
    cache_free(c);

    arena *b = arena_new();
    c = cache_open(path, stamp, b);
    size_t n = 0, r = 0, h = 0, ad = 0;
    const char *v = cache_get(c, "k1", &n);
    CHECK(v && n == sizeof "a copied value" && strcmp(v, "a copied value") == 0);
    v = cache_get(c, "k2", &n);
    CHECK(v && n == hl && strcmp(v, "a value held by the caller") == 0);
    v = cache_get(c, "empty", &n);
    CHECK(v != NULL && n == 0);
    CHECK(cache_get(c, "k3", &n) == NULL);
    cache_counts(c, &r, &h, &ad);
    CHECK(r == 3 && h == 3 && ad == 0);
    cache_free(c);

    /* another stamp (another binary, other settings): empty */
    unsigned char other[16] = {9};
    arena *e = arena_new();
    c = cache_open(path, other, e);
    CHECK(cache_get(c, "k1", &n) == NULL);
    cache_free(c);

    /* cut short in the last value: the entries before it remain */
    FILE *f = fopen(path, "rb+");
    CHECK(f != NULL);
    if (f) {
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        fclose(f);
        CHECK(truncate(path, len - 3) == 0);
    }
    arena *g = arena_new();
    c = cache_open(path, stamp, g);
    int kept = (cache_get(c, "k1", &n) != NULL) + (cache_get(c, "k2", &n) != NULL) +
               (cache_get(c, "empty", &n) != NULL);
    CHECK(kept == 2);
    cache_free(c);

    unlink(path);
    char dir[256];
    snprintf(dir, sizeof dir, "/tmp/pp-unit-cache-%ld-a", (long)getpid());
    rmdir(dir);
    diag_free(d);
    arena_free(a);
    arena_free(b);
    arena_free(e);
    arena_free(g);
}
