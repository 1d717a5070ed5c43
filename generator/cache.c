/* cache.c — results kept between builds (see cache.h). */
#include "cache.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "strbuf.h"
#include "strmap.h"

#define CACHE_MAGIC "planpress-cache\n"
#define CACHE_MAGIC_LEN 16
#define CACHE_FORMAT 2u
#define CACHE_MAX_FILE ((size_t)4 << 30)
#define CACHE_MAX_KEY ((size_t)1 << 16)

typedef struct cache_entry {
    const char *key;
    const unsigned char *val; /* entries added: the value (entries read: NULL) */
    size_t len;
    int used;
    /* entries read: where the record is in the file, its length and its
     * CRC-32; read again (and checked) when asked for, and when saved */
    size_t off, rec_len, vpos;
    uint32_t crc;
    int state;                /* 0 not checked yet, 1 sound, 2 damaged */
    int replaced;             /* put again (its value did not do): not written */
} cache_entry;

struct cache {
    char *path;
    unsigned char stamp[16];
    arena *a;                 /* the index */
    int fd;                   /* the file read, or -1: values are read when asked for */
    strmap index;             /* key -> cache_entry* (read only once loaded) */
    cache_entry *read;
    size_t nread;
    pthread_mutex_t lock;     /* guards the new entries */
    cache_entry *added;
    size_t nadded, cap;
    size_t hits;
    size_t damaged;           /* entries read whose checksum failed */
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

/* Reads n bytes at off; -1 when the file ends before (or cannot be read). */
static int S_pread(int fd, void *buf, size_t n, size_t off) {
    unsigned char *p = buf;
    while (n > 0) {
        ssize_t r = pread(fd, p, n, (off_t)off);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        p += r;
        n -= (size_t)r;
        off += (size_t)r;
    }
    return 0;
}

/* The header a cache with this stamp starts with. */
static size_t S_header(const cache *c, unsigned char *out) {
    memcpy(out, CACHE_MAGIC, CACHE_MAGIC_LEN);
    uint32_t v = CACHE_FORMAT;
    for (int i = 0; i < 4; i++) out[CACHE_MAGIC_LEN + i] = (unsigned char)(v >> (8 * i));
    memcpy(out + CACHE_MAGIC_LEN + 4, c->stamp, 16);
    return CACHE_MAGIC_LEN + 4 + 16;
}

/* Indexes the file's entries (their keys, where they are): the values stay
 * in the file until asked for, so a build does not hold them twice (the
 * file's bytes and what the caller makes of them). A truncated or malformed
 * tail ends the cache there. */
static void S_load(cache *c) {
    unsigned char want[64], got[64];
    size_t head = S_header(c, want);
    int fd = open(c->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size < head ||
        (size_t)st.st_size > CACHE_MAX_FILE || S_pread(fd, got, head, 0) < 0 || memcmp(got, want, head) != 0) {
        close(fd);
        return;
    }
    c->fd = fd;
    size_t len = (size_t)st.st_size, pos = head, cap = 0;
    unsigned char u[4], *key = malloc(CACHE_MAX_KEY + 4);
    while (key && pos + 4 <= len && S_pread(fd, u, 4, pos) == 0) {
        size_t kl = S_u32(u);
        if (kl == 0 || kl > CACHE_MAX_KEY || kl + 4 > len - pos - 4) break;
        if (S_pread(fd, key, kl + 4, pos + 4) < 0) break; /* the key and the value's length */
        if (key[kl - 1] != '\0' || memchr(key, '\0', kl - 1)) break;
        size_t vpos = pos + 4 + kl;
        size_t vl = S_u32(key + kl);
        if (vl > len - vpos - 4 || len - vpos - 4 - vl < 4) break;
        if (S_pread(fd, u, 4, vpos + 4 + vl) < 0) break;
        c->read = arena_grow(c->a, c->read, sizeof *c->read, &cap, c->nread + 1);
        cache_entry *e = &c->read[c->nread++];
        memset(e, 0, sizeof *e);
        e->key = arena_strndup(c->a, (const char *)key, kl - 1);
        e->off = pos;
        e->vpos = vpos + 4;
        e->len = vl;
        e->rec_len = vpos + 4 + vl - pos;
        e->crc = S_u32(u);
        pos = vpos + 4 + vl + 4;
    }
    free(key);
    /* indexed once the array no longer moves */
    for (size_t i = 0; i < c->nread; i++)
        if (!strmap_get(&c->index, c->read[i].key)) strmap_put(&c->index, c->read[i].key, &c->read[i]);
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
    c->fd = -1;
    strmap_init(&c->index, a);
    pthread_mutex_init(&c->lock, NULL);
    S_load(c);
    return c;
}

/* zlib's CRC-32 of n bytes, however many. */
static uint32_t S_crc(uint32_t crc, const unsigned char *p, size_t n) {
    while (n > 0) {
        uInt k = n > (1u << 30) ? 1u << 30 : (uInt)n;
        crc = (uint32_t)crc32(crc, p, k);
        p += k;
        n -= k;
    }
    return crc;
}

/* Reads an entry's record (its checksum included) into buf; -1 when it
 * cannot be read. */
static int S_read_record(const cache *c, const cache_entry *e, cache_buf *buf) {
    if (buf->cap < e->rec_len + 4) {
        unsigned char *np = realloc(buf->p, e->rec_len + 4);
        if (!np) return -1;
        buf->p = np;
        buf->cap = e->rec_len + 4;
    }
    return S_pread(c->fd, buf->p, e->rec_len + 4, e->off);
}

const void *cache_get(cache *c, const char *key, cache_buf *buf, size_t *len) {
    if (!c) return NULL;
    cache_entry *e = strmap_get(&c->index, key);
    if (!e || __atomic_load_n(&e->state, __ATOMIC_ACQUIRE) == 2) return NULL;
    if (S_read_record(c, e, buf) < 0) return NULL;
    size_t kl = strlen(e->key) + 1;
    int sound = S_crc((uint32_t)crc32(0, Z_NULL, 0), buf->p, e->rec_len) == e->crc &&
                memcmp(buf->p + 4, e->key, kl) == 0;
    int expected = 0;
    if (__atomic_compare_exchange_n(&e->state, &expected, sound ? 1 : 2, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) &&
        !sound)
        __atomic_add_fetch(&c->damaged, 1, __ATOMIC_RELAXED);
    if (!sound) {
        __atomic_store_n(&e->state, 2, __ATOMIC_RELEASE); /* (changed since it was checked) */
        return NULL; /* damaged: recomputed, and not written again */
    }
    __atomic_store_n(&e->used, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&c->hits, 1, __ATOMIC_RELAXED);
    *len = e->len;
    buf->p[e->rec_len] = '\0'; /* (the byte after the value: its checksum's first, overwritten) */
    return buf->p + (e->vpos - e->off);
}

void cache_buf_free(cache_buf *buf) {
    free(buf->p);
    buf->p = NULL;
    buf->cap = 0;
}

static void S_add(cache *c, const char *key, const unsigned char *val, size_t len) {
    /* a value read under this key is replaced (the caller found it wrong) */
    cache_entry *old = strmap_get(&c->index, key);
    if (old) __atomic_store_n(&old->replaced, 1, __ATOMIC_RELAXED);
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
    c->added[c->nadded++] = (cache_entry){key, val, len, 1, 0, 0, 0, 0, 0, 0};
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

/* Writes an entry added in this build, with its CRC-32. */
static int S_write_entry(FILE *f, const cache_entry *e) {
    strbuf b = STRBUF_INIT;
    size_t kl = strlen(e->key) + 1;
    S_put_u32(&b, (uint32_t)kl);
    sb_append(&b, e->key, kl);
    S_put_u32(&b, (uint32_t)e->len);
    int ok = !b.oom && fwrite(b.ptr, 1, b.len, f) == b.len && (!e->len || fwrite(e->val, 1, e->len, f) == e->len);
    if (ok) {
        /* the entry's CRC-32, of everything before it */
        uint32_t crc =
            S_crc(S_crc((uint32_t)crc32(0, Z_NULL, 0), (const unsigned char *)b.ptr, b.len), e->val, e->len);
        unsigned char p[4] = {(unsigned char)crc, (unsigned char)(crc >> 8), (unsigned char)(crc >> 16),
                              (unsigned char)(crc >> 24)};
        ok = fwrite(p, 1, 4, f) == 4;
    }
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
        /* the entries read and used: their records as they are in the file */
        cache_buf rec = {NULL, 0};
        for (size_t i = 0; ok && i < c->nread; i++)
            if (c->read[i].used && !c->read[i].replaced && strmap_get(&c->index, c->read[i].key) == &c->read[i])
                ok = S_read_record(c, &c->read[i], &rec) == 0 &&
                     fwrite(rec.p, 1, c->read[i].rec_len + 4, f) == c->read[i].rec_len + 4;
        cache_buf_free(&rec);
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

size_t cache_damaged(const cache *c) { return c ? c->damaged : 0; }

void cache_free(cache *c) {
    if (!c) return;
    for (size_t i = 0; i < c->nadded; i++) free((void *)c->added[i].key);
    free(c->added);
    if (c->fd >= 0) close(c->fd);
    pthread_mutex_destroy(&c->lock);
    free(c->path);
    free(c);
}
