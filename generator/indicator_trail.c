/* indicator_trail.c — the indicators' audit trail (see indicator_trail.h).
 *
 * The commits come oldest first. The scripts run on the first one, then on
 * each later one that could change their result: one that touched a script
 * under indicators/, site.yaml (the limits), or a path that csv() asked for
 * at the last run (found or not, so a CSV that appears counts too). Two
 * runs in a row are compared indicator by indicator; only the changes of
 * indicators that exist in the built revision are kept. */
#include "indicator_trail.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "indicators.h"
#include "strbuf.h"
#include "strmap.h"
#include "text.h"

typedef struct trail_acc {
    indicator_change *items;
    size_t n, cap;
    int seen;                  /* declared in some run so far */
} trail_acc;

typedef struct trail_ctx {
    site *s;
    trail_acc *acc;            /* per indicator of s, in s->indicators' order */
} trail_ctx;

static indicator *S_find(indicator **list, size_t n, const char *id) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(list[mid]->id, id);
        if (c == 0) return list[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

static indicator_change *S_add(trail_ctx *t, long at, const repo_commit *c, indicator_change_kind kind) {
    trail_acc *acc = &t->acc[at];
    acc->items = arena_grow(t->s->a, acc->items, sizeof *acc->items, &acc->cap, acc->n + 1);
    indicator_change *x = &acc->items[acc->n++];
    memset(x, 0, sizeof *x);
    x->commit = *c;
    x->kind = kind;
    return x;
}

static int S_same_point(int ha, indicator_value a, int hb, indicator_value b) {
    if (ha != hb) return 0;
    return !ha || (a.year == b.year && a.value == b.value);
}

static int S_streq(const char *a, const char *b) { return (!a && !b) || (a && b && strcmp(a, b) == 0); }

static const char *S_keep(arena *a, const char *s) { return s ? arena_strdup(a, s) : NULL; }

/* What changed for one indicator between two runs (either may be NULL). */
static void S_compare(trail_ctx *t, long at, const repo_commit *c, const indicator *a, const indicator *b) {
    arena *ar = t->s->a;
    if (!a && b) {
        indicator_change *x = S_add(t, at, c, IND_CHANGE_ADDED);
        x->again = t->acc[at].seen;
        x->has_from = b->has_baseline;
        x->from = b->baseline;
        x->has_to = b->has_target;
        x->to = b->target;
        return;
    }
    if (a && !b) {
        S_add(t, at, c, IND_CHANGE_REMOVED);
        return;
    }
    if (!S_streq(a->name, b->name)) {
        indicator_change *x = S_add(t, at, c, IND_CHANGE_NAME);
        x->from_text = S_keep(ar, a->name);
        x->to_text = S_keep(ar, b->name);
    }
    if (!S_streq(a->unit, b->unit)) {
        indicator_change *x = S_add(t, at, c, IND_CHANGE_UNIT);
        x->from_text = S_keep(ar, a->unit);
        x->to_text = S_keep(ar, b->unit);
    }
    if (!S_same_point(a->has_baseline, a->baseline, b->has_baseline, b->baseline)) {
        indicator_change *x = S_add(t, at, c, IND_CHANGE_BASELINE);
        x->has_from = a->has_baseline;
        x->from = a->baseline;
        x->has_to = b->has_baseline;
        x->to = b->baseline;
    }
    if (!S_same_point(a->has_target, a->target, b->has_target, b->target)) {
        indicator_change *x = S_add(t, at, c, IND_CHANGE_TARGET);
        x->has_from = a->has_target;
        x->from = a->target;
        x->has_to = b->has_target;
        x->to = b->target;
    }
    /* values: both lists are sorted by year, one value a year */
    size_t i = 0, k = 0;
    while (i < a->nvalues || k < b->nvalues) {
        int ya = i < a->nvalues ? a->values[i].year : 0x7fffffff;
        int yb = k < b->nvalues ? b->values[k].year : 0x7fffffff;
        int year = ya < yb ? ya : yb;
        int ha = ya == year, hb = yb == year;
        if (!(ha && hb && a->values[i].value == b->values[k].value)) {
            indicator_change *x = S_add(t, at, c, IND_CHANGE_VALUE);
            x->year = year;
            x->has_from = ha;
            if (ha) x->from = a->values[i];
            x->has_to = hb;
            if (hb) x->to = b->values[k];
        }
        if (ha) i++;
        if (hb) k++;
    }
}

/* Could this commit change what the scripts declare? */
static int S_relevant(const trail_commit *tc, const char *scripts_prefix, const char *site_yaml,
                      const strmap *reads) {
    size_t pl = strlen(scripts_prefix);
    for (size_t i = 0; i < tc->npaths; i++) {
        const char *p = tc->paths[i];
        if (strncmp(p, scripts_prefix, pl) == 0) return 1;
        if (strcmp(p, site_yaml) == 0) return 1;
        if (reads && strmap_get(reads, p)) return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * The scripts' results kept in the cache
 *
 * Running the scripts of a past commit gives the same result for the same
 * scripts, the same files read with csv() and the same limits. Two entries:
 *   S = "indicators\n" + limits + content folder + every script's path and
 *       blob id            -> the paths csv() asked for, one a line
 *   S + "data" + each of those paths with its blob id at the commit (or "-")
 *                          -> the indicators (S_encode), or "L" when a
 *                             limit stopped the scripts
 * A value that does not decode is a miss (the scripts run again).
 * ------------------------------------------------------------------------ */

static void S_hex(const unsigned char oid[20], char out[41]) {
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 20; i++) {
        out[2 * i] = digits[oid[i] >> 4];
        out[2 * i + 1] = digits[oid[i] & 15];
    }
    out[40] = '\0';
}

/* The first key, or NULL when the scripts cannot be listed. */
static char *S_scripts_key(repo *r, const repo_commit *c, const char *scripts_dir, const char *content_dir,
                           const sandbox_limits *lim, arena *a) {
    repo_file *files = NULL;
    size_t n = 0;
    diag *quiet = diag_new(0);
    if (!quiet) return NULL;
    int rc = repo_list(r, c, scripts_dir, a, &files, &n, quiet);
    diag_free(quiet);
    if (rc < 0) return NULL;
    strbuf k = STRBUF_INIT;
    sb_printf(&k, "indicators\n%zu %lld %.17g %lld\n%s\n", lim ? lim->memory_bytes : 0,
              lim ? lim->instructions : 0, lim ? lim->seconds : 0.0, lim ? lim->total_instructions : 0,
              content_dir);
    for (size_t i = 0; i < n; i++) {
        if (!text_ends_with(files[i].path, ".lua")) continue;
        char hex[41];
        S_hex(files[i].oid, hex);
        sb_printf(&k, "%s %s\n", files[i].path, hex);
    }
    char *out = k.oom ? NULL : arena_strdup(a, sb_str(&k));
    sb_free(&k);
    return out;
}

/* The second key: the first, then each path read with its blob id. */
static char *S_data_key(repo *r, const repo_commit *c, const char *key1, const char *const *paths, size_t n,
                        arena *a) {
    strbuf k = STRBUF_INIT;
    sb_puts(&k, key1);
    sb_puts(&k, "data\n"); /* never the first key itself, even with nothing read */
    diag *quiet = diag_new(0);
    if (!quiet) return NULL;
    for (size_t i = 0; i < n; i++) {
        /* the folder of the path, listed: the file's blob id, if it is there */
        const char *slash = strrchr(paths[i], '/');
        char *dir = arena_strndup(a, paths[i], slash ? (size_t)(slash - paths[i]) : 0);
        repo_file *files = NULL;
        size_t nf = 0;
        const char *id = "-";
        char hex[41];
        if (repo_list(r, c, dir, a, &files, &nf, quiet) < 0) {
            sb_free(&k);
            diag_free(quiet);
            return NULL;
        }
        for (size_t f = 0; f < nf; f++)
            if (strcmp(files[f].path, paths[i]) == 0) {
                S_hex(files[f].oid, hex);
                id = hex;
                break;
            }
        sb_printf(&k, "read %s %s\n", paths[i], id);
    }
    diag_free(quiet);
    char *out = k.oom ? NULL : arena_strdup(a, sb_str(&k));
    sb_free(&k);
    return out;
}

static int S_cmp_str(const void *x, const void *y) {
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The paths csv() asked for, sorted. */
static const char **S_reads_list(const strmap *reads, arena *a, size_t *n) {
    const char **v = arena_alloc(a, (reads->n ? reads->n : 1) * sizeof *v);
    size_t k = 0;
    for (size_t i = 0; i < reads->cap && k < reads->n; i++)
        if (reads->keys && reads->keys[i]) v[k++] = reads->keys[i];
    qsort(v, k, sizeof *v, S_cmp_str);
    *n = k;
    return v;
}

static void S_put_u32(strbuf *b, uint32_t x) {
    unsigned char c[4] = {(unsigned char)x, (unsigned char)(x >> 8), (unsigned char)(x >> 16),
                          (unsigned char)(x >> 24)};
    sb_append(b, (const char *)c, 4);
}

static void S_put_str(strbuf *b, const char *s) {
    if (!s) {
        S_put_u32(b, UINT32_MAX);
        return;
    }
    size_t n = strlen(s);
    S_put_u32(b, (uint32_t)n);
    sb_append(b, s, n);
}

static void S_put_point(strbuf *b, int has, indicator_value p) {
    sb_putc(b, has ? 1 : 0);
    S_put_u32(b, (uint32_t)p.year);
    sb_append(b, (const char *)&p.value, sizeof p.value);
}

static void S_encode(strbuf *b, indicator **v, size_t n) {
    sb_putc(b, 'I');
    S_put_u32(b, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        const indicator *x = v[i];
        S_put_str(b, x->id);
        S_put_str(b, x->name);
        S_put_str(b, x->unit);
        S_put_point(b, x->has_baseline, x->baseline);
        S_put_point(b, x->has_target, x->target);
        S_put_u32(b, (uint32_t)x->nvalues);
        for (size_t k = 0; k < x->nvalues; k++) S_put_point(b, 1, x->values[k]);
    }
}

typedef struct S_reader {
    const unsigned char *p, *end;
    int bad;
} S_reader;

static uint32_t S_get_u32(S_reader *r) {
    if (r->end - r->p < 4) {
        r->bad = 1;
        return 0;
    }
    uint32_t x = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 | (uint32_t)r->p[3] << 24;
    r->p += 4;
    return x;
}

static const char *S_get_str(S_reader *r, arena *a, int nullable) {
    uint32_t n = S_get_u32(r);
    if (r->bad) return NULL;
    if (n == UINT32_MAX) {
        if (!nullable) r->bad = 1;
        return NULL;
    }
    if ((size_t)(r->end - r->p) < n || memchr(r->p, 0, n)) {
        r->bad = 1;
        return NULL;
    }
    const char *s = arena_strndup(a, (const char *)r->p, n);
    r->p += n;
    return s;
}

static int S_get_point(S_reader *r, indicator_value *p) {
    if (r->end - r->p < 1) {
        r->bad = 1;
        return 0;
    }
    int has = *r->p++;
    p->year = (int)S_get_u32(r);
    if ((size_t)(r->end - r->p) < sizeof p->value) {
        r->bad = 1;
        return 0;
    }
    memcpy(&p->value, r->p, sizeof p->value);
    r->p += sizeof p->value;
    if (has > 1) r->bad = 1;
    return has;
}

/* Decodes what S_encode wrote; 0, or -1 when it does not decode. */
static int S_decode(const void *val, size_t len, arena *a, indicator ***out, size_t *nout) {
    S_reader r = {val, (const unsigned char *)val + len, 0};
    if (len < 1 || *r.p++ != 'I') return -1;
    uint32_t n = S_get_u32(&r);
    if (r.bad || n > len / 16) return -1;
    indicator **v = arena_alloc(a, (n ? n : 1) * sizeof *v);
    for (uint32_t i = 0; i < n && !r.bad; i++) {
        indicator *x = arena_alloc(a, sizeof *x);
        memset(x, 0, sizeof *x);
        x->id = S_get_str(&r, a, 0);
        x->name = S_get_str(&r, a, 1);
        x->unit = S_get_str(&r, a, 1);
        x->has_baseline = S_get_point(&r, &x->baseline);
        x->has_target = S_get_point(&r, &x->target);
        uint32_t nv = S_get_u32(&r);
        if (r.bad || nv > (size_t)(r.end - r.p) / 13) return -1;
        x->values = arena_alloc(a, (nv ? nv : 1) * sizeof *x->values);
        for (uint32_t k = 0; k < nv && !r.bad; k++) S_get_point(&r, &x->values[k]);
        x->nvalues = nv;
        /* sorted by id, as S_find needs */
        if (!r.bad && i > 0 && strcmp(v[i - 1]->id, x->id) >= 0) r.bad = 1;
        v[i] = x;
    }
    if (r.bad || r.p != r.end) return -1;
    *out = v;
    *nout = n;
    return 0;
}

/* The scripts' result at commit c from the cache: 0 (indicators), 1 (a
 * limit stopped them), or -1 (not there). Fills `reads`. */
static int S_cached_in(cache *kc, cache_buf *buf, repo *r, const repo_commit *c, const char *key1,
                       arena *a, strmap *reads, indicator ***cur, size_t *ncur, char **key2) {
    size_t len = 0;
    const char *v1 = cache_get(kc, key1, buf, &len);
    if (!v1) return -1;
    /* the paths, one a line */
    size_t n = 0;
    const char **paths = arena_alloc(a, (len / 2 + 1) * sizeof *paths);
    for (const char *p = v1, *end = v1 + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl || nl == p) return -1;
        paths[n++] = arena_strndup(a, p, (size_t)(nl - p));
        p = nl + 1;
    }
    *key2 = S_data_key(r, c, key1, paths, n, a);
    if (!*key2) return -1;
    const char *v2 = cache_get(kc, *key2, buf, &len); /* (v1 is read: buf is free again) */
    if (!v2) return -1;
    int rc;
    if (len == 1 && v2[0] == 'L') {
        rc = 1;
        *cur = NULL;
        *ncur = 0;
    } else if (S_decode(v2, len, a, cur, ncur) == 0) {
        rc = 0;
    } else {
        return -1;
    }
    for (size_t i = 0; i < n; i++) strmap_put(reads, paths[i], (void *)paths[i]);
    return rc;
}

static int S_cached(cache *kc, repo *r, const repo_commit *c, const char *key1, arena *a, strmap *reads,
                    indicator ***cur, size_t *ncur, char **key2) {
    cache_buf buf = {0};
    int rc = S_cached_in(kc, &buf, r, c, key1, a, reads, cur, ncur, key2);
    cache_buf_free(&buf);
    return rc;
}

/* Keeps the result of running the scripts at commit c. */
static void S_keep_result(cache *kc, repo *r, const repo_commit *c, const char *key1, arena *a, const strmap *reads,
                   int limited, indicator **cur, size_t ncur) {
    size_t n = 0;
    const char **paths = S_reads_list(reads, a, &n);
    strbuf b = STRBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        if (strchr(paths[i], '\n')) {
            sb_free(&b);
            return;
        }
        sb_puts(&b, paths[i]);
        sb_putc(&b, '\n');
    }
    char *key2 = S_data_key(r, c, key1, paths, n, a);
    if (!key2 || b.oom) {
        sb_free(&b);
        return;
    }
    cache_put(kc, key1, b.ptr ? b.ptr : "", b.len);
    sb_clear(&b);
    if (limited) sb_putc(&b, 'L');
    else S_encode(&b, cur, ncur);
    if (!b.oom) cache_put(kc, key2, b.ptr, b.len);
    sb_free(&b);
}

int indicator_trail_build(site *s, repo *r, const trail_commit *commits, size_t n, int cut,
                          const sandbox_limits *limits, cache *kc, diag *d) {
    if (!n || !s->nindicators) return 0;
    repo *own = NULL;
    if (repo_open_again(&own, r) < 0) {
        diag_error(d, NULL, 0, 0, "cannot open the repository again to read the indicators' history");
        return -1;
    }
    repo_read_committed(own);
    const char *dir = s->content_dir ? s->content_dir : "";
    const char *scripts_prefix = arena_printf(s->a, "%s%sindicators/", dir, *dir ? "/" : "");
    const char *site_yaml = arena_printf(s->a, "%s%ssite.yaml", dir, *dir ? "/" : "");
    const char *scripts_dir = arena_printf(s->a, "%s%sindicators", dir, *dir ? "/" : "");
    trail_ctx t = {s, arena_alloc(s->a, s->nindicators * sizeof(trail_acc))};
    memset(t.acc, 0, s->nindicators * sizeof(trail_acc));

    arena *prev_a = NULL;
    indicator **prev = NULL;
    size_t nprev = 0;
    strmap *prev_reads = NULL;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        const trail_commit *tc = &commits[i];
        if (prev_a && !S_relevant(tc, scripts_prefix, site_yaml, prev_reads)) continue;
        arena *a = arena_new();
        strmap *reads = arena_alloc(a, sizeof *reads);
        strmap_init(reads, a);
        indicator **cur = NULL;
        size_t ncur = 0;
        char *key1 = kc ? S_scripts_key(own, &tc->commit, scripts_dir, dir, limits, a) : NULL, *key2 = NULL;
        int src = key1 ? S_cached(kc, own, &tc->commit, key1, a, reads, &cur, &ncur, &key2) : -1;
        if (src < 0) {
            s->trail_runs++;
            src = indicators_snapshot(s, own, &tc->commit, a, limits, reads, &cur, &ncur);
            if (key1 && src >= 0) S_keep_result(kc, own, &tc->commit, key1, a, reads, src > 0, cur, ncur);
        }
        if (src < 0) {
            diag_error(d, NULL, 0, 0, "cannot read the indicator scripts of commit %s", tc->commit.short_id);
            arena_free(a);
            rc = -1;
            break;
        }
        if (src > 0) { /* a limit stopped its scripts: the next commit is compared with the one before */
            arena_free(a);
            continue;
        }
        int first = prev_a == NULL;
        if (first && cut) {
            for (size_t k = 0; k < s->nindicators; k++)
                if (S_find(cur, ncur, s->indicators[k]->id)) t.acc[k].seen = 1;
        } else {
            /* every indicator of the built revision, in either run */
            for (size_t k = 0; k < s->nindicators; k++) {
                const char *id = s->indicators[k]->id;
                indicator *was = first ? NULL : S_find(prev, nprev, id);
                indicator *now = S_find(cur, ncur, id);
                if (was || now) S_compare(&t, (long)k, &tc->commit, was, now);
                if (now) t.acc[k].seen = 1;
            }
        }
        arena_free(prev_a);
        prev_a = a;
        prev = cur;
        nprev = ncur;
        prev_reads = reads;
    }
    arena_free(prev_a);
    repo_free(own);
    if (rc < 0) return rc;
    for (size_t k = 0; k < s->nindicators; k++) {
        indicator *ind = s->indicators[k];
        trail_acc *acc = &t.acc[k];
        /* newest commit first; a commit's own changes keep their order
         * (name, unit, baseline, target, values by year) */
        indicator_change *out = acc->n ? arena_alloc(s->a, acc->n * sizeof *out) : NULL;
        size_t m = 0, end = acc->n;
        while (end > 0) {
            size_t start = end - 1;
            while (start > 0 && strcmp(acc->items[start - 1].commit.id, acc->items[end - 1].commit.id) == 0)
                start--;
            memcpy(out + m, acc->items + start, (end - start) * sizeof *out);
            m += end - start;
            end = start;
        }
        acc->items = out;
        ind->changes = acc->items;
        ind->nchanges = acc->n;
        ind->changes_cut = cut;
    }
    return 0;
}
