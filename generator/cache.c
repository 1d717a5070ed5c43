/* cache.c — results kept between builds (see cache.h). */
#include "cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "strbuf.h"
#include "strmap.h"

#define CACHE_MAGIC "planpress-cache\n"
#define CACHE_MAGIC_LEN 16
#define CACHE_FORMAT 1u
#define CACHE_MAX_FILE ((size_t)4 << 30)

typedef struct cache_entry {
    const char *key;
    const unsigned char *val;
    size_t len;
    int used;
} cache_entry;

struct cache {
    char *path;
    unsigned char stamp[16];
    arena *a;                 /* the values read, and the index */
    strmap index;             /* key -> cache_entry* (read only once loaded) */
    cache_entry *read;
    size_t nread;
    pthread_mutex_t lock;     /* guards the new entries */
    cache_entry *added;
    size_t nadded, cap;
    size_t hits;
};

/* ---- the stamp --------------------------------------------------------------- */

typedef struct fnv2 {
    uint64_t a, b;
} fnv2;

static void S_fnv(fnv2 *h, const unsigned char *p, size_t n) {
    uint64_t a = h->a, b = h->b;
    for (size_t i = 0; i < n; i++) {
        a = (a ^ p[i]) * 0x100000001b3ull;
        b = (b ^ p[i]) * 0x100000001b3ull;
        b ^= b >> 29;
    }
    h->a = a;
    h->b = b;
}

int cache_stamp(const void *settings, size_t len, unsigned char out[16]) {
    fnv2 h = {0xcbf29ce484222325ull, 0x84222325cbf29ce4ull};
    FILE *f = fopen("/proc/self/exe", "rb");
    if (!f) return -1;
    unsigned char buf[1 << 16];
    size_t n, total = 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        S_fnv(&h, buf, n);
        total += n;
    }
    int bad = ferror(f) || total == 0;
    fclose(f);
    if (bad) return -1;
    unsigned char sep = 0;
    S_fnv(&h, &sep, 1);
    S_fnv(&h, settings, len);
    for (int i = 0; i < 8; i++) {
        out[i] = (unsigned char)(h.a >> (8 * i));
        out[8 + i] = (unsigned char)(h.b >> (8 * i));
    }
    return 0;
}

/* ---- reading ------------------------------------------------------------------- */

static uint32_t S_u32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void S_put_u32(strbuf *b, uint32_t v) {
    unsigned char p[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    sb_append(b, (const char *)p, 4);
}

/* Reads the whole file into the arena when its header is `head`; NULL
 * when missing, unreadable or another cache. */
static unsigned char *S_slurp(arena *a, const char *path, const unsigned char *head, size_t hlen, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    struct stat st;
    unsigned char *buf = NULL, first[64];
    if (hlen <= sizeof first && fread(first, 1, hlen, f) == hlen && memcmp(first, head, hlen) == 0 &&
        fseek(f, 0, SEEK_SET) == 0 && fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
        (size_t)st.st_size <= CACHE_MAX_FILE) {
        size_t n = (size_t)st.st_size;
        buf = arena_alloc(a, n + 1);
        if (fread(buf, 1, n, f) != n) buf = NULL;
        else *len = n;
    }
    fclose(f);
    return buf;
}

/* The header a cache with this stamp starts with. */
static size_t S_header(const cache *c, unsigned char *out) {
    memcpy(out, CACHE_MAGIC, CACHE_MAGIC_LEN);
    uint32_t v = CACHE_FORMAT;
    for (int i = 0; i < 4; i++) out[CACHE_MAGIC_LEN + i] = (unsigned char)(v >> (8 * i));
    memcpy(out + CACHE_MAGIC_LEN + 4, c->stamp, 16);
    return CACHE_MAGIC_LEN + 4 + 16;
}

static void S_load(cache *c) {
    size_t len = 0;
    unsigned char want[64];
    size_t head = S_header(c, want);
    unsigned char *buf = S_slurp(c->a, c->path, want, head, &len);
    if (!buf || len < head) return;
    /* count, then index; a truncated or malformed tail ends the cache there */
    size_t n = 0, pos = head;
    for (int pass = 0; pass < 2; pass++) {
        size_t k = 0;
        pos = head;
        while (pos + 4 <= len) {
            size_t kl = S_u32(buf + pos);
            if (kl == 0 || kl > len - pos - 4) break;
            size_t kpos = pos + 4;
            if (buf[kpos + kl - 1] != '\0' || memchr(buf + kpos, '\0', kl - 1)) break;
            size_t vpos = kpos + kl;
            if (vpos + 4 > len) break;
            size_t vl = S_u32(buf + vpos);
            if (vl > len - vpos - 4) break;
            if (pass == 1) {
                cache_entry *e = &c->read[k];
                e->key = (const char *)buf + kpos;
                e->val = buf + vpos + 4;
                e->len = vl;
                if (!strmap_get(&c->index, e->key)) strmap_put(&c->index, e->key, e);
            }
            k++;
            pos = vpos + 4 + vl;
        }
        if (pass == 0) {
            n = k;
            c->read = arena_alloc(c->a, (n ? n : 1) * sizeof *c->read);
        }
    }
    c->nread = n;
}

cache *cache_open(const char *path, const unsigned char stamp[16], arena *a) {
    cache *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->path = strdup(path);
    if (!c->path) {
        free(c);
        return NULL;
    }
    memcpy(c->stamp, stamp, 16);
    c->a = a;
    strmap_init(&c->index, a);
    pthread_mutex_init(&c->lock, NULL);
    S_load(c);
    return c;
}

const void *cache_get(cache *c, const char *key, size_t *len) {
    if (!c) return NULL;
    cache_entry *e = strmap_get(&c->index, key);
    if (!e) return NULL;
    __atomic_store_n(&e->used, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&c->hits, 1, __ATOMIC_RELAXED);
    *len = e->len;
    return e->val;
}

static void S_add(cache *c, const char *key, const unsigned char *val, size_t len) {
    pthread_mutex_lock(&c->lock);
    if (c->nadded == c->cap) {
        size_t nc = c->cap ? 2 * c->cap : 64;
        cache_entry *na = realloc(c->added, nc * sizeof *na);
        if (!na) {
            pthread_mutex_unlock(&c->lock);
            free((void *)key);
            return;
        }
        c->added = na;
        c->cap = nc;
    }
    c->added[c->nadded++] = (cache_entry){key, val, len, 1};
    pthread_mutex_unlock(&c->lock);
}

void cache_put(cache *c, const char *key, const void *value, size_t len) {
    if (!c || len > UINT32_MAX) return;
    size_t kl = strlen(key) + 1;
    unsigned char *copy = malloc(kl + len ? kl + len : 1);
    if (!copy) return;
    memcpy(copy, key, kl);
    if (len) memcpy(copy + kl, value, len);
    S_add(c, (const char *)copy, copy + kl, len); /* (freed with the key) */
}

void cache_put_ref(cache *c, const char *key, const void *value, size_t len) {
    if (!c || len > UINT32_MAX) return;
    char *k = strdup(key);
    if (!k) return;
    S_add(c, k, value, len);
}

static int S_write_entry(FILE *f, const cache_entry *e) {
    strbuf b = STRBUF_INIT;
    size_t kl = strlen(e->key) + 1;
    S_put_u32(&b, (uint32_t)kl);
    sb_append(&b, e->key, kl);
    S_put_u32(&b, (uint32_t)e->len);
    int ok = !b.oom && fwrite(b.ptr, 1, b.len, f) == b.len && (!e->len || fwrite(e->val, 1, e->len, f) == e->len);
    sb_free(&b);
    return ok ? 0 : -1;
}

static int S_mkdir_for(const char *path) {
    char *dir = strdup(path);
    if (!dir) return -1;
    char *slash = strrchr(dir, '/');
    int rc = 0;
    if (slash && slash != dir) {
        *slash = '\0';
        if (mkdir(dir, 0777) < 0 && errno != EEXIST) rc = -1;
    }
    free(dir);
    return rc;
}

void cache_save(cache *c, diag *d) {
    if (!c) return;
    size_t used = 0;
    for (size_t i = 0; i < c->nread; i++) used += c->read[i].used;
    if (c->nadded == 0 && used == c->nread) return; /* nothing to say that the file does not */
    if (S_mkdir_for(c->path) < 0) {
        diag_report(d, DIAG_NOTE, NULL, 0, 0, "cannot create the folder of the cache %s: %s (the build is not cached)",
                     c->path, strerror(errno));
        return;
    }
    strbuf tmp = STRBUF_INIT;
    sb_printf(&tmp, "%s.tmp-%ld", c->path, (long)getpid());
    FILE *f = fopen(sb_str(&tmp), "wb");
    int ok = f != NULL;
    if (ok) {
        unsigned char head[64];
        size_t hlen = S_header(c, head);
        ok = fwrite(head, 1, hlen, f) == hlen;
        for (size_t i = 0; ok && i < c->nread; i++)
            if (c->read[i].used && strmap_get(&c->index, c->read[i].key) == &c->read[i])
                ok = S_write_entry(f, &c->read[i]) == 0;
        for (size_t i = 0; ok && i < c->nadded; i++) ok = S_write_entry(f, &c->added[i]) == 0;
        if (fclose(f) != 0) ok = 0;
    }
    if (!ok || rename(sb_str(&tmp), c->path) < 0) {
        diag_report(d, DIAG_NOTE, NULL, 0, 0, "cannot write the cache %s: %s (the next build is not faster)", c->path,
                     strerror(errno));
        unlink(sb_str(&tmp));
    }
    sb_free(&tmp);
}

void cache_counts(const cache *c, size_t *read, size_t *hits, size_t *added) {
    *read = c ? c->nread : 0;
    *hits = c ? c->hits : 0;
    *added = c ? c->nadded : 0;
}

void cache_free(cache *c) {
    if (!c) return;
    for (size_t i = 0; i < c->nadded; i++) free((void *)c->added[i].key);
    free(c->added);
    pthread_mutex_destroy(&c->lock);
    free(c->path);
    free(c);
}
