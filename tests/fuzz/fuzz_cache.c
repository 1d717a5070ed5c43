/* fuzz_cache.c — libFuzzer target for what planpress reads back from the
 * history cache, a file that may be damaged, foreign or forged (cache.c,
 * history.c, htmldata.c): the input is taken as a revision's value, as HTML
 * data, then as the entries of a cache file. A value that decodes has HTML
 * in the form planpress writes (it encodes again: only the elements and
 * attributes of htmldata.c's tables, text and values checked, no
 * javascript: link) and encodes to bytes that decode to the same; a cache
 * file yields the value under its first key when its checksum holds, and
 * nothing when it does not; a value kept and saved comes back. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "arena.h"
#include "cache.h"
#include "diag.h"
#include "history.h"
#include "htmldata.h"
#include "strbuf.h"
#include <zlib.h>

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

/* HTML that came out of data: in the form planpress writes (it can be kept
 * as data again), and none of what a script needs. */
static void S_html_safe(const char *h, size_t len) {
    if (!h) return;
    S_require(strlen(h) == len, "no NUL inside");
    strbuf b = STRBUF_INIT;
    S_require(htmldata_encode(&b, h, len) == 0 || b.oom, "HTML from data encodes again");
    sb_free(&b);
    static const char *const never[] = {"<script", "<style", "<iframe", "<svg", "<object", "<!--["};
    for (size_t i = 0; i < sizeof never / sizeof *never; i++) S_require(!strcasestr(h, never[i]), never[i]);
    /* links and images: never javascript:, vbscript:, data:text */
    for (const char *p = h; (p = strstr(p, "=\"")) != NULL; p += 2) {
        if (!((p - h >= 5 && memcmp(p - 5, " href", 5) == 0) || (p - h >= 4 && memcmp(p - 4, " src", 4) == 0))) continue;
        S_require(strncasecmp(p + 2, "javascript:", 11) != 0 && strncasecmp(p + 2, "vbscript:", 9) != 0 &&
                      strncasecmp(p + 2, "data:text", 9) != 0,
                  "no script link");
    }
}

static void S_data(const uint8_t *data, size_t size) {
    arena *a = arena_new();
    size_t n = 0;
    char *h = htmldata_decode(a, data, size, &n);
    if (h) {
        S_html_safe(h, n);
        /* kept again, it comes back the same */
        strbuf b = STRBUF_INIT;
        size_t m = 0;
        char *back = htmldata_encode(&b, h, n) == 0 ? htmldata_decode(a, b.ptr, b.len, &m) : NULL;
        S_require(b.oom || (back && m == n && memcmp(back, h, n) == 0), "the same HTML");
        sb_free(&b);
    }
    arena_free(a);
}

static void S_value(const uint8_t *data, size_t size) {
    arena *a = arena_new();
    S_require(a != NULL, "arena");
    plan_revision rev;
    memset(&rev, 0, sizeof rev);
    const char *title = NULL;
    if (history_revision_decode(a, data, size, &rev, &title) == 0) {
        /* copies: nothing points into the cache's bytes */
        S_require(!title || !S_inside(title, data, size), "the title copied");
        S_html_safe(rev.html, rev.html_len);
        S_html_safe(rev.diff_html, rev.diff_html ? strlen(rev.diff_html) : 0);
        for (size_t i = 0; i < rev.nchanges; i++)
            S_require(rev.changes[i].kind && !S_inside(rev.changes[i].kind, data, size), "changes copied");
        strbuf b = STRBUF_INIT;
        S_require(history_revision_encode(&b, &rev, title) == 0 || b.oom, "encode");
        plan_revision again;
        memset(&again, 0, sizeof again);
        const char *t2 = NULL;
        S_require(history_revision_decode(a, b.ptr, b.len, &again, &t2) == 0, "what was encoded decodes");
        S_require(S_same(t2, title) && S_same(again.diff_html, rev.diff_html) && again.same == rev.same &&
                      again.nchanges == rev.nchanges && again.moved_blocks == rev.moved_blocks,
                  "the same revision");
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
    cache_buf cb = {NULL, 0};
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
    /* the first entry, when well formed, is what its key finds when its
     * checksum holds, and nothing when it does not */
    size_t n = 0;
    if (size >= 13) {
        uint32_t kl = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24;
        if (kl >= 1 && kl <= 64 && kl <= size - 12 && data[4 + kl - 1] == '\0' && !memchr(data + 4, '\0', kl - 1)) {
            const uint8_t *vp = data + 4 + kl;
            uint32_t vl = (uint32_t)vp[0] | (uint32_t)vp[1] << 8 | (uint32_t)vp[2] << 16 | (uint32_t)vp[3] << 24;
            if (vl <= size - 12 - kl) {
                const uint8_t *cp = vp + 4 + vl;
                uint32_t crc = (uint32_t)cp[0] | (uint32_t)cp[1] << 8 | (uint32_t)cp[2] << 16 | (uint32_t)cp[3] << 24;
                int sound = (uint32_t)crc32(0, data, (uInt)(cp - data)) == crc;
                const unsigned char *v = cache_get(c, (const char *)data + 4, &cb, &n);
                if (sound)
                    S_require(v && n == vl && (!vl || memcmp(v, vp + 4, vl) == 0), "the first entry's value");
                else
                    S_require(!v && cache_damaged(c) == 1, "a damaged entry is not found");
            }
        }
    }
    size_t keep = size < 64 ? size : 64;
    cache_put(c, "\x01kept", data, keep);
    cache_save(c, d);
    cache_free(c);
    arena *e = arena_new();
    c = cache_open(path, stamp, e);
    const unsigned char *k = cache_get(c, "\x01kept", &cb, &n);
    S_require(k && n == keep && (!keep || memcmp(k, data, keep) == 0), "a value kept comes back");
    cache_free(c);
    unlink(path);
    cache_buf_free(&cb);
    diag_free(d);
    arena_free(a);
    arena_free(b);
    arena_free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    S_data(data, size);
    S_value(data, size);
    S_file(data, size);
    return 0;
}
