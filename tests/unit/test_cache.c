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
    cache_buf cb = {NULL, 0};
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
    const char *v = cache_get(c, "k1", &cb, &n);
    CHECK(v && n == sizeof "a copied value" && strcmp(v, "a copied value") == 0);
    v = cache_get(c, "k2", &cb, &n);
    CHECK(v && n == hl && strcmp(v, "a value held by the caller") == 0);
    v = cache_get(c, "empty", &cb, &n);
    CHECK(v != NULL && n == 0);
    CHECK(cache_get(c, "k3", &cb, &n) == NULL);
    cache_counts(c, &r, &h, &ad);
    CHECK(r == 3 && h == 3 && ad == 0);
    cache_free(c);

    /* another stamp (another binary, other settings): empty */
    unsigned char other[16] = {9};
    arena *e = arena_new();
    c = cache_open(path, other, e);
    CHECK(cache_get(c, "k1", &cb, &n) == NULL);
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
    int kept = (cache_get(c, "k1", &cb, &n) != NULL) + (cache_get(c, "k2", &cb, &n) != NULL) +
               (cache_get(c, "empty", &cb, &n) != NULL);
    CHECK(kept == 2);
    cache_free(c);

    unlink(path);
    char dir[256];
    snprintf(dir, sizeof dir, "/tmp/pp-unit-cache-%ld-a", (long)getpid());
    rmdir(dir);
    cache_buf_free(&cb);
    diag_free(d);
    arena_free(a);
    arena_free(b);
    arena_free(e);
    arena_free(g);
}

/* Damage inside an entry (4 bytes anywhere in it): that entry is not found
 * (counted as damaged) and not written again; the others are. */
TEST(cache_damaged_entry_is_dropped) {
    char path[256];
    S_path(path, sizeof path, "b");
    unsigned char stamp[16] = {4, 5, 6};
    cache_buf cb = {NULL, 0};
    diag *d = diag_new(0);
    arena *a = arena_new();
    cache *c = cache_open(path, stamp, a);
    cache_put(c, "first", "the first value", 16);
    cache_put(c, "second", "<p>the second value</p>", 24);
    cache_put(c, "third", "the third value", 16);
    cache_save(c, d);
    cache_free(c);
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    static unsigned char file[4096];
    size_t len = f ? fread(file, 1, sizeof file, f) : 0;
    if (f) fclose(f);
    unsigned char *at = memmem(file, len, "second", 7);
    CHECK(at != NULL);
    /* every place in the second entry: its key, lengths, value, checksum */
    size_t start = at ? (size_t)(at - file) - 4 : 0, end = start + 4 + 7 + 4 + 24 + 4;
    for (size_t pos = start; at && pos + 4 <= end; pos++) {
        unsigned char copy[4096];
        memcpy(copy, file, len);
        for (int k = 0; k < 4; k++) copy[pos + (size_t)k] ^= (unsigned char)(0x5a + k);
        f = fopen(path, "wb");
        CHECK(f && fwrite(copy, 1, len, f) == len);
        if (f) fclose(f);
        arena *b = arena_new();
        c = cache_open(path, stamp, b);
        size_t n = 0;
        const char *v = cache_get(c, "second", &cb, &n);
        CHECK(v == NULL);
        v = cache_get(c, "first", &cb, &n);
        CHECK(v && strcmp(v, "the first value") == 0);
        /* past a damaged length the file cannot be followed: the third entry
         * may be gone, never different */
        v = cache_get(c, "third", &cb, &n);
        CHECK(!v || strcmp(v, "the third value") == 0);
        CHECK(cache_damaged(c) <= 1);
        cache_put(c, "second", "recomputed", 11);
        cache_save(c, d);
        cache_free(c);
        arena_free(b);
        b = arena_new();
        c = cache_open(path, stamp, b);
        v = cache_get(c, "second", &cb, &n);
        CHECK(v && strcmp(v, "recomputed") == 0 && cache_damaged(c) == 0);
        cache_free(c);
        arena_free(b);
    }
    /* damage inside the value alone is found by the checksum */
    if (at) {
        file[start + 4 + 7 + 4 + 3] ^= 1;
        f = fopen(path, "wb");
        CHECK(f && fwrite(file, 1, len, f) == len);
        if (f) fclose(f);
        arena *b = arena_new();
        c = cache_open(path, stamp, b);
        size_t n = 0, r = 0, h = 0, ad = 0;
        CHECK(cache_get(c, "second", &cb, &n) == NULL && cache_damaged(c) == 1);
        CHECK(cache_get(c, "third", &cb, &n) != NULL);
        cache_counts(c, &r, &h, &ad);
        CHECK(r == 3 && h == 1);
        cache_free(c);
        arena_free(b);
    }
    unlink(path);
    char dir[256];
    snprintf(dir, sizeof dir, "/tmp/pp-unit-cache-%ld-b", (long)getpid());
    rmdir(dir);
    cache_buf_free(&cb);
    diag_free(d);
    arena_free(a);
}

/* Many entries read, some used, one added: the used ones and the new one
 * are all in the file written, and nothing else. */
TEST(cache_rewrite_keeps_every_entry_used) {
    char path[256], key[32], val[64];
    S_path(path, sizeof path, "c");
    unsigned char stamp[16] = {7, 7, 7};
    cache_buf cb = {NULL, 0};
    diag *d = diag_new(0);
    arena *a = arena_new();
    cache *c = cache_open(path, stamp, a);
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "key %d", i);
        snprintf(val, sizeof val, "value %d", i);
        cache_put(c, key, val, strlen(val) + 1);
    }
    cache_save(c, d);
    cache_free(c);
    arena *b = arena_new();
    c = cache_open(path, stamp, b);
    size_t n = 0, r = 0, h = 0, ad = 0;
    int found = 0;
    for (int i = 0; i < 1000; i += 2) {
        snprintf(key, sizeof key, "key %d", i);
        snprintf(val, sizeof val, "value %d", i);
        const char *v = cache_get(c, key, &cb, &n);
        found += v && strcmp(v, val) == 0;
    }
    CHECK(found == 500);
    cache_put(c, "new", "new value", 10);
    cache_save(c, d);
    cache_free(c);
    arena *e = arena_new();
    c = cache_open(path, stamp, e);
    found = 0;
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "key %d", i);
        snprintf(val, sizeof val, "value %d", i);
        const char *v = cache_get(c, key, &cb, &n);
        found += (i % 2 == 0) == (v && strcmp(v, val) == 0);
    }
    CHECK(found == 1000);
    CHECK(cache_get(c, "new", &cb, &n) && n == 10);
    cache_counts(c, &r, &h, &ad);
    CHECK(r == 501 && cache_damaged(c) == 0);
    cache_free(c);
    unlink(path);
    char dir[256];
    snprintf(dir, sizeof dir, "/tmp/pp-unit-cache-%ld-c", (long)getpid());
    rmdir(dir);
    cache_buf_free(&cb);
    diag_free(d);
    arena_free(a);
    arena_free(b);
    arena_free(e);
}
