/* cache.h — results kept between builds, by key, in one file.
 *
 * history.c keeps each revision's parsed text, diff and changes here under
 * a key made of object ids, so a rebuild after one new commit parses and
 * diffs only what that commit changed. The file is written whole, to a
 * temporary name renamed over the old one, and holds only the entries the
 * last build used. A file that is missing, unreadable, truncated, from
 * another planpress binary or made with other settings (`stamp`) is an
 * empty cache; an entry whose checksum fails is not there (it is counted,
 * recomputed by the caller and written anew). The checksum finds damage, not
 * a forger: what the values hold is the caller's to check (history.c keeps
 * data, not markup, and checks it when read back).
 *
 * Format (docs/history.md): "planpress-cache\n", a u32 format version (2),
 * the 16-byte stamp, then entries: u32 key length, key, u32 value length,
 * value, u32 CRC-32 (zlib's) of the entry's bytes before it; integers
 * little-endian. */
#ifndef PP_CACHE_H
#define PP_CACHE_H

#include <stddef.h>

#include "arena.h"
#include "diag.h"

typedef struct cache cache;

/* A stamp that changes with the planpress binary itself (a hash of
 * /proc/self/exe) and with `settings` (bytes the caller's results depend
 * on). Returns 0, or -1 when the binary cannot be read (no cache then). */
int cache_stamp(const void *settings, size_t len, unsigned char out[16]);

/* Opens the cache at `path` (a file; its folder is created when saved)
 * and indexes it (in `a`); values stay in the file, open until cache_free,
 * until asked for. Never fails for a bad or missing file; returns NULL only
 * when out of memory. */
cache *cache_open(const char *path, const unsigned char stamp[16], arena *a);

/* A buffer for the values read (one per thread, reused). */
typedef struct cache_buf {
    unsigned char *p;
    size_t cap;
} cache_buf;
void cache_buf_free(cache_buf *buf);

/* The value kept under key, read from the file into buf (valid until buf
 * is used again; a NUL follows it), or NULL (none, or its checksum fails).
 * Marks the entry as used: it is written again by cache_save. Safe from
 * several threads at once (each with its own buf). */
const void *cache_get(cache *c, const char *key, cache_buf *buf, size_t *len);

/* Keeps a new value (copied); a value read under the same key (one the
 * caller found wrong) is not written again. Safe from several threads at
 * once. */
void cache_put(cache *c, const char *key, const void *value, size_t len);
/* Keeps a new value without copying it: the caller's bytes must stay as
 * they are until cache_save (a revision kept once, in its plan's arena,
 * rather than twice). Safe from several threads at once. */
void cache_put_ref(cache *c, const char *key, const void *value, size_t len);

/* Writes the used and new entries when they differ from what was read.
 * A failure is a warning (the build does not need the cache). */
void cache_save(cache *c, diag *d);

/* Counts for the build's timings: entries read, found, added. */
void cache_counts(const cache *c, size_t *read, size_t *hits, size_t *added);
/* Entries asked for whose checksum failed (damaged, and recomputed). */
size_t cache_damaged(const cache *c);

void cache_free(cache *c);

#endif
