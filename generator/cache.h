/* cache.h — results kept between builds, by key, in one file.
 *
 * history.c keeps each revision's parsed text, diff and changes here under
 * a key made of object ids, so a rebuild after one new commit parses and
 * diffs only what that commit changed. The file is written whole, to a
 * temporary name renamed over the old one, and holds only the entries the
 * last build used. A file that is missing, unreadable, truncated, from
 * another planpress binary or made with other settings (`stamp`) is an
 * empty cache: the cache can make a build faster, never different.
 *
 * Format (docs/history.md): "planpress-cache\n", a u32 format version, the
 * 16-byte stamp, then entries: u32 key length, key, u32 value length,
 * value; integers little-endian. */
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

/* Opens the cache at `path` (a file; its folder is created when saved).
 * The values read stay in `a` (they outlive the cache). Never fails for a
 * bad or missing file; returns NULL only when out of memory. */
cache *cache_open(const char *path, const unsigned char stamp[16], arena *a);

/* The value kept under key, or NULL. Marks the entry as used: it is
 * written again by cache_save. Safe from several threads at once. */
const void *cache_get(cache *c, const char *key, size_t *len);

/* Keeps a new value (copied). Safe from several threads at once. */
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

void cache_free(cache *c);

#endif
