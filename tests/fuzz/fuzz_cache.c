/* fuzz_cache.c — libFuzzer target for what planpress reads back from the
 * history cache, a file that may be damaged or foreign (cache.c, history.c):
 * the input is taken as a revision's value, then as the entries of a cache
 * file. A value that decodes has its strings inside the input, and encodes
 * to bytes that decode to the same; a cache file yields the value under its
 * first key from inside the file, and a value kept and saved comes back. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "cache.h"
#include "diag.h"
#include "history.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void S_require(int ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "fuzz_cache: invariant broken: %s\n", what);
        abort();
    }
}

static int S_inside(const void *p, const uint8_t *data, size_t size) {
    return !p || ((const uint8_t *)p >= data && (const uint8_t *)p < data + size);
}

static int S_same(const char *a, const char *b) { return (!a && !b) || (a && b && strcmp(a, b) == 0); }

static void S_value(const uint8_t *data, size_t size) {
    arena *a = arena_new();
    S_require(a != NULL, "arena");
    plan_revision rev;
    memset(&rev, 0, sizeof rev);
    const char *title = NULL;
    if (history_revision_decode(a, data, size, &rev, &title) == 0) {
        S_require(S_inside(title, data, size) && S_inside(rev.html, data, size) &&
                      S_inside(rev.diff_html, data, size),
                  "strings inside the value");
        for (size_t i = 0; i < rev.nchanges; i++)
            S_require(rev.changes[i].kind && S_inside(rev.changes[i].to, data, size), "changes inside the value");
        strbuf b = STRBUF_INIT;
        history_revision_encode(&b, &rev, title);
        S_require(!b.oom, "encode");
        plan_revision again;
        memset(&again, 0, sizeof again);
        const char *t2 = NULL;
        S_require(history_revision_decode(a, b.ptr, b.len, &again, &t2) == 0, "what was encoded decodes");
        S_require(S_same(t2, title) && S_same(again.diff_html, rev.diff_html) && again.same == rev.same &&
                      again.nchanges == rev.nchanges && again.moved_blocks == rev.moved_blocks,
                  "the same revision");
        /* the text up to its first NUL: what a page shows */
        S_require(S_same(again.html, rev.html), "the same text");
        for (size_t i = 0; i < rev.nchanges; i++)
            S_require(S_same(again.changes[i].from, rev.changes[i].from) && again.changes[i].role == rev.changes[i].role,
                      "the same changes");
        sb_free(&b);
    }
    arena_free(a);
}

static void S_file(const uint8_t *data, size_t size) {
    static char dir[64], path[96];
    if (!*dir) {
        snprintf(dir, sizeof dir, "/tmp/fuzz_cache-%ld", (long)getpid());
        snprintf(path, sizeof path, "%s/history.cache", dir);
    }
    unsigned char stamp[16] = {7, 1, 2, 3};
    /* a cache with the right header and no entries, to learn the header */
    arena *a = arena_new();
    diag *d = diag_new(0);
    cache *c = cache_open(path, stamp, a);
    cache_put(c, "x", "", 0);
    cache_save(c, d);
    cache_free(c);
    FILE *f = fopen(path, "rb");
    S_require(f != NULL, "the cache written");
    unsigned char head[36];
    S_require(fread(head, 1, sizeof head, f) == sizeof head, "its header");
    fclose(f);
    /* the input as the entries */
    f = fopen(path, "wb");
    S_require(f != NULL && fwrite(head, 1, sizeof head, f) == sizeof head &&
                  (!size || fwrite(data, 1, size, f) == size) && fclose(f) == 0,
              "the input written");
    arena *b = arena_new();
    c = cache_open(path, stamp, b);
    /* the first entry, when well formed, is what its key finds */
    size_t n = 0;
    if (size >= 9) {
        uint32_t kl = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24;
        if (kl >= 1 && kl <= 64 && kl <= size - 8 && data[4 + kl - 1] == '\0' && !memchr(data + 4, '\0', kl - 1)) {
            const uint8_t *vp = data + 4 + kl;
            uint32_t vl = (uint32_t)vp[0] | (uint32_t)vp[1] << 8 | (uint32_t)vp[2] << 16 | (uint32_t)vp[3] << 24;
            if (vl <= size - 8 - kl) {
                const unsigned char *v = cache_get(c, (const char *)data + 4, &n);
                S_require(v && n == vl && (!vl || memcmp(v, vp + 4, vl) == 0), "the first entry's value");
            }
        }
    }
    size_t keep = size < 64 ? size : 64;
    cache_put(c, "\x01kept", data, keep);
    cache_save(c, d);
    cache_free(c);
    arena *e = arena_new();
    c = cache_open(path, stamp, e);
    const unsigned char *k = cache_get(c, "\x01kept", &n);
    S_require(k && n == keep && (!keep || memcmp(k, data, keep) == 0), "a value kept comes back");
    cache_free(c);
    unlink(path);
    diag_free(d);
    arena_free(a);
    arena_free(b);
    arena_free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    S_value(data, size);
    S_file(data, size);
    return 0;
}
