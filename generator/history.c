/* history.c — revisions of plans: the walk (repo.c compares trees), the
 * grouping by plan id (following renames and moves), and for each revision
 * the plan as it stood, the text diff and the changes in the plan's terms. */
#include "history.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache.h"
#include "htmldata.h"
#include "content.h"
#include "indicator_trail.h"
#include "progress.h"
#include "strmap.h"
#include "text.h"
#include "textdiff.h"
#include "workers.h"

/* ---- plan ids -------------------------------------------------------------- */

const char *history_plan_id(arena *a, const char *src, size_t len, const char *stem) {
    const char *yaml, *md;
    size_t ylen, blen;
    int yline, bline;
    if (content_split_front_matter(src, len, &yaml, &ylen, &yline, &md, &blen, &bline) == 0 && yaml) {
        const char *p = yaml, *end = yaml + ylen;
        while (p < end) {
            const char *eol = memchr(p, '\n', (size_t)(end - p));
            if (!eol) eol = end;
            if (eol - p > 3 && memcmp(p, "id:", 3) == 0) {
                const char *v = p + 3;
                while (v < eol && (*v == ' ' || *v == '\t')) v++;
                const char *ve = eol;
                while (ve > v && (ve[-1] == ' ' || ve[-1] == '\r' || ve[-1] == '\t')) ve--;
                /* a trailing comment, quotes */
                const char *hash = memchr(v, '#', (size_t)(ve - v));
                if (hash && hash > v && (hash[-1] == ' ' || hash[-1] == '\t')) {
                    ve = hash;
                    while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
                }
                if (ve - v >= 2 && (*v == '"' || *v == '\'') && ve[-1] == *v) {
                    v++;
                    ve--;
                }
                char *id = arena_strndup(a, v, (size_t)(ve - v));
                if (text_is_id(id)) return id;
                return stem;
            }
            p = eol + 1;
        }
    }
    return stem;
}

static const char *S_stem(arena *a, const char *path) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 3 && strcmp(base + n - 3, ".md") == 0) n -= 3;
    return arena_strndup(a, base, n);
}

/* ---- the walk ---------------------------------------------------------------- */

typedef struct raw_rev {
    const char *plan_id;
    repo_commit commit;
    repo_change_kind kind;
    const char *path, *old_path;
    unsigned char oid[20];      /* the blob at this revision (zero when deleted) */
    struct raw_rev *next;       /* the plan's next older revision */
} raw_rev;

typedef struct walk_ctx {
    site *s;
    repo *r;
    diag *d;
    arena *a;
    const char *prefix;
    strmap ids;                 /* blob id (hex) -> plan id */
    strmap heads;               /* plan id -> raw_rev list head (newest) */
    strmap tails;               /* plan id -> raw_rev list tail (oldest) */
    const char *plans_prefix;   /* "content/plans/" */
    const char *pages_prefix;   /* "content/pages/" */
    cache *cache;               /* plan ids of blobs, from earlier builds; or NULL */
    size_t blobs_read;          /* for PLANPRESS_TIMINGS */
    strmap blobs;               /* blob id (hex) -> kept_blob: bytes the walk read,
                                   for the revisions (read once, not twice) */
    trail_commit *trail;        /* commits that changed other content files, newest first */
    size_t ntrail, trail_cap;
    int failed;
} walk_ctx;

/* A blob the walk read, kept for the versions' parse (malloc'd). */
typedef struct kept_blob {
    char *src;
    size_t len;
} kept_blob;

static void S_hex(const unsigned char oid[20], char hex[41]) {
    for (int i = 0; i < 20; i++) snprintf(hex + 2 * i, 3, "%02x", oid[i]);
}

/* The cache's key for the plan id a blob declares under a path (the id
 * falls back to the file's stem). */
static const char *S_id_key(arena *a, const char *hex, const char *path) {
    return arena_printf(a, "id %s %s", hex, S_stem(a, path));
}

/* The plan id the cache holds under key (a copy: the cache's bytes go with
 * it), or NULL (none, or not an id). */
static const char *S_cached_id(walk_ctx *w, const char *key) {
    size_t vlen = 0;
    cache_buf buf = {NULL, 0};
    const char *cached = w->cache ? cache_get(w->cache, key, &buf, &vlen) : NULL;
    const char *id =
        cached && vlen > 0 && cached[vlen - 1] == '\0' && text_is_id(cached) ? arena_strdup(w->a, cached) : NULL;
    cache_buf_free(&buf);
    return id;
}

/* The plan id a blob declares. Reading a blob out of a pack can mean
 * inflating a long chain of deltas: the ids are kept in the cache too. */
static const char *S_id_of_blob(walk_ctx *w, const unsigned char oid[20], const char *path) {
    char hex[41];
    S_hex(oid, hex);
    const char *stem = S_stem(w->a, path);
    const char *key = S_id_key(w->a, hex, path);
    const char *id = strmap_get(&w->ids, key);
    if (id) return id;
    kept_blob *kb;
    if ((id = S_cached_id(w, key)) != NULL) {
        /* (kept from an earlier build) */
    } else if ((kb = strmap_get(&w->blobs, hex)) != NULL) {
        /* read ahead, in parallel (S_read_ahead) */
        id = history_plan_id(w->a, kb->src, kb->len, stem);
        if (w->cache) cache_put(w->cache, key, id, strlen(id) + 1);
    } else {
        char *src = NULL;
        size_t len = 0;
        if (repo_read_blob(w->r, oid, path, &src, &len, w->d) < 0) {
            w->failed = 1;
            return NULL;
        }
        id = history_plan_id(w->a, src, len, stem);
        w->blobs_read++;
        if (w->cache) cache_put(w->cache, key, id, strlen(id) + 1);
        kb = arena_alloc(w->a, sizeof *kb);
        kb->src = src;
        kb->len = len;
        strmap_put(&w->blobs, arena_strdup(w->a, hex), kb);
    }
    strmap_put(&w->ids, key, (void *)id);
    return id;
}

static void S_append(walk_ctx *w, raw_rev *rv) {
    raw_rev *tail = strmap_get(&w->tails, rv->plan_id);
    if (tail) tail->next = rv;
    else strmap_put(&w->heads, rv->plan_id, rv);
    strmap_put(&w->tails, rv->plan_id, rv);
}

static int S_on_commit(void *payload, const repo_commit *c, const repo_change *ch, size_t n) {
    walk_ctx *w = payload;
    /* this commit's revisions, by plan id: a delete and an add of one id
     * in one commit is a rename (or a move), told as one revision */
    raw_rev *mine[64];
    size_t nmine = 0;
    /* at most two revisions a change (an id changed: one deleted, one added) */
    raw_rev **list = 2 * n > 64 ? arena_alloc(w->a, 2 * n * sizeof *list) : mine;
    size_t plans_len = strlen(w->plans_prefix), pages_len = strlen(w->pages_prefix);
    trail_commit *tc = NULL;
    for (size_t i = 0; i < n; i++) {
        const repo_change *x = &ch[i];
        if (strncmp(x->path, w->plans_prefix, plans_len) != 0) {
            /* not a plan: the indicators' trail may need it */
            if (strncmp(x->path, w->pages_prefix, pages_len) == 0) continue;
            if (!tc) {
                w->trail = arena_grow(w->a, w->trail, sizeof *w->trail, &w->trail_cap, w->ntrail + 1);
                tc = &w->trail[w->ntrail++];
                tc->commit = *c;
                tc->paths = arena_alloc(w->a, n * sizeof *tc->paths);
                tc->npaths = 0;
            }
            tc->paths[tc->npaths++] = x->path;
            continue;
        }
        if (!text_ends_with(x->path, ".md")) continue;
        int gone = x->kind == REPO_DELETED;
        const char *id = S_id_of_blob(w, gone ? x->old_oid : x->new_oid, x->path);
        if (!id) return 1;
        /* a modification that changes the id is a deletion of the old id
         * and an addition of the new one */
        const char *old_id = x->kind == REPO_MODIFIED ? S_id_of_blob(w, x->old_oid, x->path) : id;
        if (!old_id) return 1;
        for (int pass = 0; pass < 2; pass++) {
            const char *pid = pass ? old_id : id;
            if (pass && strcmp(old_id, id) == 0) break;
            repo_change_kind kind = x->kind;
            if (x->kind == REPO_MODIFIED && strcmp(old_id, id) != 0) kind = pass ? REPO_DELETED : REPO_ADDED;
            raw_rev *found = NULL;
            for (size_t k = 0; k < nmine; k++)
                if (strcmp(list[k]->plan_id, pid) == 0) found = list[k];
            if (found) {
                /* the other half of a rename */
                if (kind == REPO_ADDED && found->kind == REPO_DELETED) {
                    found->old_path = found->path;
                    found->path = x->path;
                    memcpy(found->oid, x->new_oid, 20);
                    found->kind = REPO_MODIFIED;
                } else if (kind == REPO_DELETED && found->kind == REPO_ADDED) {
                    found->old_path = x->path;
                    found->kind = REPO_MODIFIED;
                }
                continue; /* two files with one id: the first one counts */
            }
            raw_rev *rv = arena_alloc(w->a, sizeof *rv);
            rv->plan_id = pid;
            rv->commit = *c;
            rv->kind = kind;
            rv->path = x->path;
            if (kind != REPO_DELETED) memcpy(rv->oid, x->new_oid, 20);
            list[nmine++] = rv;
        }
    }
    for (size_t k = 0; k < nmine; k++) S_append(w, list[k]);
    return w->failed;
}

/* ---- the changes in the plan's own terms ------------------------------------ */

typedef struct change_acc {
    arena *a;
    plan_change *items;
    size_t n, cap;
} change_acc;

static void S_add_change(change_acc *acc, const char *kind, const char *field, const item *it,
                         const char *from, const char *to) {
    acc->items = arena_grow(acc->a, acc->items, sizeof *acc->items, &acc->cap, acc->n + 1);
    plan_change *c = &acc->items[acc->n++];
    /* the parsed versions are freed as the walk goes on: keep copies */
    c->kind = kind;
    c->field = field;
    c->item_id = it ? arena_strdup(acc->a, it->id) : NULL;
    c->item_title = it ? arena_strdup(acc->a, it->title) : NULL;
    c->role = it ? (int)it->role : -1;
    c->from = arena_strdup(acc->a, from);
    c->to = arena_strdup(acc->a, to);
}

static int S_streq(const char *a, const char *b) { return (!a && !b) || (a && b && strcmp(a, b) == 0); }

static const item *S_item(const plan *p, const char *id, item_role role) {
    for (size_t i = 0; i < p->nitems; i++)
        if (p->items[i]->role == role && strcmp(p->items[i]->id, id) == 0) return p->items[i];
    return NULL;
}

/* The name a body reference stands for: its body id, else its text. */
static const char *S_ref_key(const item_ref *r) { return r->body ? r->body->id : r->text; }
static const char *S_ref_name(const item_ref *r) { return r->body ? r->body->name : r->text; }

static void S_refs_diff(change_acc *acc, const item *it, const item_ref *a, size_t na,
                        const item_ref *b, size_t nb, const char *added, const char *removed) {
    for (size_t i = 0; i < nb; i++) {
        int found = 0;
        for (size_t k = 0; k < na && !found; k++) found = strcmp(S_ref_key(&a[k]), S_ref_key(&b[i])) == 0;
        if (!found) S_add_change(acc, added, NULL, it, NULL, S_ref_name(&b[i]));
    }
    for (size_t i = 0; i < na; i++) {
        int found = 0;
        for (size_t k = 0; k < nb && !found; k++) found = strcmp(S_ref_key(&a[i]), S_ref_key(&b[k])) == 0;
        if (!found) S_add_change(acc, removed, NULL, it, S_ref_name(&a[i]), NULL);
    }
}

/* The figures of an item's section (numbers with a following % or unit
 * character, as plans write targets): text outside tags, in order. */
typedef struct figures {
    const char *items[64];
    size_t n;
} figures;

static void S_figures(arena *a, const plan *p, const item *it, figures *f) {
    f->n = 0;
    if (it->table_row) return; /* a row: the section it points to is the table's */
    const md_block *b = &p->doc.md.blocks[it->block];
    const char *h = p->doc.md.html;
    size_t lo = b->html_off, hi = b->html_end ? b->html_end : p->doc.md.html_len;
    if (!h || hi > p->doc.md.html_len || lo > hi) return;
    /* up to the first sub-item: its figures are its own */
    for (size_t i = it->block + 1; i < p->doc.md.nblocks; i++) {
        const md_block *nb = &p->doc.md.blocks[i];
        if (nb->html_off > lo && nb->html_off < hi) {
            hi = nb->html_off;
            break;
        }
    }
    int in_tag = 0;
    for (size_t i = lo; i < hi && f->n < 64; i++) {
        char c = h[i];
        if (c == '<') in_tag = 1;
        else if (c == '>') in_tag = 0;
        if (in_tag || !(c >= '0' && c <= '9')) continue;
        if (i > lo && ((h[i - 1] >= '0' && h[i - 1] <= '9') || h[i - 1] == '.')) continue;
        size_t j = i;
        while (j < hi && ((h[j] >= '0' && h[j] <= '9') || (h[j] == '.' && j + 1 < hi && h[j + 1] >= '0' && h[j + 1] <= '9'))) j++;
        /* a unit: %, or one CJK character such as 家 个 项 万 */
        size_t u = j;
        if (u < hi && h[u] == '%') u++;
        else if (u + 2 < hi && (unsigned char)h[u] >= 0xE4 && (unsigned char)h[u] <= 0xE9) u += 3;
        f->items[f->n++] = arena_strndup(a, h + i, u - i);
        i = j;
    }
}

static void S_plan_changes(arena *a, const plan *old, const plan *cur, plan_revision *rev) {
    change_acc acc = {a, NULL, 0, 0};
    static const char *const fields[] = {"title", "number", "date", "adopted", "period", "status", "issuer"};
    const char *ov[7] = {old->doc.title, old->number, old->date, old->adopted, old->period,
                         plan_status_name(old->status), old->issuer};
    const char *nv[7] = {cur->doc.title, cur->number, cur->date, cur->adopted, cur->period,
                         plan_status_name(cur->status), cur->issuer};
    for (int i = 0; i < 7; i++)
        if (!S_streq(ov[i], nv[i])) S_add_change(&acc, "field", fields[i], NULL, ov[i], nv[i]);
    for (size_t i = 0; i < cur->nitems; i++) {
        const item *it = cur->items[i];
        const item *was = S_item(old, it->id, it->role);
        if (!was) {
            S_add_change(&acc, "item-added", NULL, it, NULL, it->title);
            continue;
        }
        if (!S_streq(was->title, it->title)) S_add_change(&acc, "item-title", NULL, it, was->title, it->title);
        if (!S_streq(was->due, it->due)) S_add_change(&acc, "due", NULL, it, was->due, it->due);
        S_refs_diff(&acc, it, was->lead_refs, was->nlead_refs, it->lead_refs, it->nlead_refs,
                    "lead-added", "lead-removed");
        S_refs_diff(&acc, it, was->partner_refs, was->npartner_refs, it->partner_refs,
                    it->npartner_refs, "partner-added", "partner-removed");
        figures fo, fn;
        S_figures(a, old, was, &fo);
        S_figures(a, cur, it, &fn);
        if (fo.n == fn.n) {
            for (size_t k = 0; k < fn.n; k++)
                if (strcmp(fo.items[k], fn.items[k]) != 0)
                    S_add_change(&acc, "figure", NULL, it, fo.items[k], fn.items[k]);
        }
    }
    for (size_t i = 0; i < old->nitems; i++) {
        const item *was = old->items[i];
        if (!S_item(cur, was->id, was->role)) S_add_change(&acc, "item-removed", NULL, was, was->title, NULL);
    }
    rev->changes = acc.items;
    rev->nchanges = acc.n;
}

/* ---- the text as readers see it -------------------------------------------- */

/* The rendered text of a version as plain paragraphs (blank lines between
 * blocks), markup and the item badges left out: what the diff compares, so
 * that it speaks of the text and not of Markdown or attribute blocks. */
static char *S_reader_text(arena *a, const char *h, size_t n, size_t *out_len) {
    strbuf b = STRBUF_INIT;
    size_t i = 0;
    while (i < n) {
        if (h[i] == '<') {
            const char *end = memchr(h + i, '>', n - i);
            if (!end) break;
            size_t tl = (size_t)(end - (h + i)) + 1;
            /* the badge linking an item to its page: not part of the text */
            if (tl > 21 && memcmp(h + i, "<a class=\"item-link", 19) == 0) {
                const char *close = strstr(end, "</a>");
                if (close && (size_t)(close - h) < n) {
                    i = (size_t)(close - h) + 4;
                    continue;
                }
            }
            int block_end = (tl >= 4 && h[i + 1] == '/' &&
                             (h[i + 2] == 'p' || h[i + 2] == 'h' || h[i + 2] == 'l' || h[i + 2] == 't' ||
                              h[i + 2] == 'b' || h[i + 2] == 'u' || h[i + 2] == 'o'));
            if (block_end) {
                while (b.len && b.ptr[b.len - 1] == ' ') b.len--;
                if (b.len && !(b.len >= 2 && b.ptr[b.len - 1] == '\n' && b.ptr[b.len - 2] == '\n'))
                    sb_puts(&b, "\n\n");
            }
            i += tl;
            continue;
        }
        if (h[i] == '&') {
            static const struct { const char *ent; char c; } ents[] = {
                {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}};
            int done = 0;
            for (size_t k = 0; k < sizeof ents / sizeof *ents && !done; k++) {
                size_t el = strlen(ents[k].ent);
                if (n - i >= el && memcmp(h + i, ents[k].ent, el) == 0) {
                    sb_putc(&b, ents[k].c);
                    i += el;
                    done = 1;
                }
            }
            if (done) continue;
        }
        if (h[i] == '\n') {
            /* a soft break inside a paragraph */
            if (b.len && b.ptr[b.len - 1] != '\n') sb_putc(&b, ' ');
            i++;
            continue;
        }
        sb_putc(&b, h[i++]);
    }
    char *r = arena_strndup(a, sb_str(&b), b.len);
    *out_len = b.len;
    sb_free(&b);
    return r;
}

/* ---- per plan: the versions, their diffs and changes ------------------------ */

typedef struct plan_job {
    plan *p;
    raw_rev *newest;
    arena *a;
} plan_job;

typedef struct build_ctx {
    site *s;
    repo **handles;
    diag *d;
    plan_job *jobs;
    const char *fold_fmt;
    cache *cache;               /* results of earlier builds, or NULL */
    const strmap *blobs;        /* blobs the walk read (kept_blob), read-only here */
    int failed;                 /* a blob could not be read */
    size_t rejected;            /* cached values that did not decode (recomputed) */
} build_ctx;

/* The Markdown body of a version (after the front matter). */
static void S_body(const char *src, size_t len, const char **md, size_t *blen) {
    const char *yaml;
    size_t ylen;
    int yl, bl;
    if (content_split_front_matter(src, len, &yaml, &ylen, &yl, md, blen, &bl) < 0) {
        *md = src;
        *blen = len;
    }
}

static int S_zero_oid(const unsigned char *oid) {
    for (int i = 0; i < 20; i++)
        if (oid[i]) return 0;
    return 1;
}

/* One version of a plan, held while it is the "previous" of the next one:
 * parsed, or (when it no longer parses) its Markdown. */
typedef struct version {
    arena *a;                   /* NULL: not loaded */
    const plan *p;              /* parsed, or NULL (deleted, or does not parse) */
    const char *text;           /* what the diff compares; NULL when deleted */
    size_t tlen;
} version;

static void S_version_free(version *v) {
    arena_free(v->a);
    memset(v, 0, sizeof *v);
}

/* Loads the version a revision left. Returns 0, or -1 when its blob cannot
 * be read (reported). */
static int S_version_load(build_ctx *ctx, const plan_job *j, repo *r, diag *quiet, const raw_rev *rv,
                          version *v) {
    memset(v, 0, sizeof *v);
    v->a = arena_new();
    if (rv->kind == REPO_DELETED) return 0;
    if (!S_zero_oid(rv->oid) && memcmp(rv->oid, j->p->doc.oid, 20) == 0) {
        v->p = j->p; /* this version is the current text: parsed already */
    } else {
        char *src = NULL;
        size_t len = 0;
        char hex[41];
        S_hex(rv->oid, hex);
        const kept_blob *kb = strmap_get(ctx->blobs, hex);
        if (kb) {
            src = kb->src;
            len = kb->len;
        } else if (repo_read_blob(r, rv->oid, rv->path, &src, &len, ctx->d) < 0) {
            return -1;
        }
        plan *parsed = arena_alloc(v->a, sizeof *parsed);
        if (content_parse_plan(v->a, quiet, &ctx->s->bodies, rv->path, S_stem(v->a, rv->path), src, len, 0,
                               parsed) == 0) {
            v->p = parsed;
        } else {
            /* that version does not parse: its Markdown still diffs */
            const char *md;
            S_body(src, len, &md, &v->tlen);
            v->text = arena_strndup(v->a, md, v->tlen);
        }
        if (!kb) free(src);
    }
    if (v->p) v->text = S_reader_text(v->a, v->p->doc.md.html, v->p->doc.md.html_len, &v->tlen);
    return 0;
}

/* ---- the cache: a revision's results by object ids -------------------------- */

/* The key of a revision: the plan, the blobs before and after, the path
 * and whether it starts afresh. Everything else a result depends on (the
 * bodies, the language, the planpress binary) is in the cache's stamp. */
static char *S_cache_key(arena *a, const plan *p, const raw_rev *before, const raw_rev *rv, int added) {
    static const unsigned char zero[20];
    char b[41], c[41];
    S_hex(before && !added ? before->oid : zero, b);
    S_hex(rv->oid, c);
    return arena_printf(a, "rev %s %s %s %s %d%d", p->doc.id, b, c, rv->path ? rv->path : "",
                        rv->kind == REPO_DELETED, added);
}

static void S_put_u32(strbuf *b, uint32_t v) {
    unsigned char p[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    sb_append(b, (const char *)p, 4);
}

/* A string: its length (0xffffffff: none), its bytes, a NUL. */
static void S_put_str(strbuf *b, const char *s, size_t len) {
    if (!s) {
        S_put_u32(b, 0xffffffffu);
        return;
    }
    S_put_u32(b, (uint32_t)len);
    sb_append(b, s, len);
    sb_putc(b, '\0');
}

static void S_put_cstr(strbuf *b, const char *s) { S_put_str(b, s, s ? strlen(s) : 0); }

/* HTML as data (htmldata.h): its length (0xffffffff: none), the data.
 * Returns -1 when the HTML cannot be kept as data. */
static int S_put_html(strbuf *b, const char *html, size_t len) {
    if (!html) {
        S_put_u32(b, 0xffffffffu);
        return 0;
    }
    size_t at = b->len;
    S_put_u32(b, 0);
    if (htmldata_encode(b, html, len) < 0 || b->oom || b->len - at - 4 >= 0xffffffffu) return -1;
    size_t n = b->len - at - 4;
    for (int i = 0; i < 4; i++) b->ptr[at + (size_t)i] = (char)(n >> (8 * i));
    return 0;
}

int history_revision_encode(strbuf *b, const plan_revision *out, const char *title) {
    S_put_cstr(b, title);
    if (S_put_html(b, out->html, out->html_len) < 0 ||
        S_put_html(b, out->diff_html, out->diff_html ? strlen(out->diff_html) : 0) < 0)
        return -1;
    S_put_u32(b, (uint32_t)out->same);
    S_put_u32(b, (uint32_t)out->added_blocks);
    S_put_u32(b, (uint32_t)out->removed_blocks);
    S_put_u32(b, (uint32_t)out->changed_blocks);
    S_put_u32(b, (uint32_t)out->moved_blocks);
    S_put_u32(b, (uint32_t)out->nchanges);
    for (size_t i = 0; i < out->nchanges; i++) {
        const plan_change *c = &out->changes[i];
        S_put_cstr(b, c->kind);
        S_put_cstr(b, c->field);
        S_put_cstr(b, c->item_id);
        S_put_cstr(b, c->item_title);
        S_put_cstr(b, c->from);
        S_put_cstr(b, c->to);
        S_put_u32(b, (uint32_t)(int32_t)c->role);
    }
    return b->oom ? -1 : 0;
}

typedef struct reader {
    const unsigned char *p, *end;
    int bad;
} reader;

static uint32_t S_get_u32(reader *r) {
    if (r->bad || r->end - r->p < 4) {
        r->bad = 1;
        return 0;
    }
    uint32_t v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 | (uint32_t)r->p[3] << 24;
    r->p += 4;
    return v;
}

/* A copy in `a` (the cache's bytes go with it). */
static const char *S_get_str(reader *r, arena *a, size_t *len) {
    uint32_t n = S_get_u32(r);
    if (r->bad || n == 0xffffffffu) return NULL;
    if ((size_t)(r->end - r->p) < (size_t)n + 1 || r->p[n] != '\0') {
        r->bad = 1;
        return NULL;
    }
    const char *s = arena_strndup(a, (const char *)r->p, n);
    r->p += (size_t)n + 1;
    if (len) *len = n;
    return s;
}

/* HTML from its data (htmldata.h), into `a`: NULL when there is none, or
 * (r->bad) when the data is malformed or breaks a rule. */
static const char *S_get_html(reader *r, arena *a, size_t *len) {
    uint32_t n = S_get_u32(r);
    if (r->bad || n == 0xffffffffu) return NULL;
    if ((size_t)(r->end - r->p) < n) {
        r->bad = 1;
        return NULL;
    }
    size_t hl = 0;
    const char *h = htmldata_decode(a, r->p, n, &hl);
    r->p += n;
    if (!h) r->bad = 1;
    if (len) *len = hl;
    return h;
}

/* The kinds of change a revision can hold (S_plan_changes). */
static int S_change_kind_ok(const char *k) {
    static const char *const kinds[] = {"field",        "item-added",   "item-removed", "item-title",
                                        "due",          "lead-added",   "lead-removed", "partner-added",
                                        "partner-removed", "figure"};
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        if (strcmp(k, kinds[i]) == 0) return 1;
    return 0;
}

/* An item id becomes one segment of a link's path: nothing that leaves it. */
static int S_segment_ok(const char *s) {
    return !s || (*s && strcmp(s, ".") != 0 && strcmp(s, "..") != 0 && !strpbrk(s, "/\\?#%:"));
}

/* Fills a revision from a cached value; -1 when it is malformed. */
int history_revision_decode(arena *a, const void *val, size_t len, plan_revision *out, const char **title) {
    reader r = {val, (const unsigned char *)val + len, 0};
    *title = S_get_str(&r, a, NULL);
    out->html = S_get_html(&r, a, &out->html_len);
    if (!out->html) out->html_len = 0;
    out->diff_html = S_get_html(&r, a, NULL);
    out->same = S_get_u32(&r);
    out->added_blocks = S_get_u32(&r);
    out->removed_blocks = S_get_u32(&r);
    out->changed_blocks = S_get_u32(&r);
    out->moved_blocks = S_get_u32(&r);
    uint32_t n = S_get_u32(&r);
    if (r.bad || n > (size_t)(r.end - r.p) / 28) return -1;
    out->changes = n ? arena_alloc(a, n * sizeof *out->changes) : NULL;
    out->nchanges = n;
    for (uint32_t i = 0; i < n && !r.bad; i++) {
        plan_change *c = &out->changes[i];
        c->kind = S_get_str(&r, a, NULL);
        c->field = S_get_str(&r, a, NULL);
        c->item_id = S_get_str(&r, a, NULL);
        c->item_title = S_get_str(&r, a, NULL);
        c->from = S_get_str(&r, a, NULL);
        c->to = S_get_str(&r, a, NULL);
        c->role = (int)(int32_t)S_get_u32(&r);
        if (!c->kind || !S_change_kind_ok(c->kind) || !S_segment_ok(c->item_id) || c->role < -1 || c->role > 2)
            r.bad = 1;
    }
    return r.bad || r.p != r.end ? -1 : 0;
}

static void S_plan_history(void *vctx, size_t i, int worker) {
    build_ctx *ctx = vctx;
    plan_job *j = &ctx->jobs[i];
    repo *r = ctx->handles[worker];
    size_t n = 0;
    for (raw_rev *rv = j->newest; rv; rv = rv->next) n++;
    if (!n) return;
    j->a = arena_new();
    arena *a = j->a;
    raw_rev **order = arena_alloc(a, n * sizeof *order);
    size_t k = n;
    for (raw_rev *rv = j->newest; rv; rv = rv->next) order[--k] = rv; /* oldest first */
    plan_revision *revs = arena_alloc(a, n * sizeof *revs);
    diag *quiet = diag_new(0);
    /* Each version is parsed into an arena of its own, kept while it is the
     * "previous" of the next version, then freed: only what the pages show
     * (HTML, diff, changes) is copied into the plan's arena. A revision
     * found in the cache needs neither version; the one before is loaded
     * only when the next revision is not in the cache. */
    version prev, cur;
    memset(&prev, 0, sizeof prev);
    int failed = 0;
    cache_buf cbuf = {NULL, 0}; /* the cached values, read one at a time */
    for (size_t m = 0; m < n; m++) {
        raw_rev *rv = order[m];
        plan_revision *out = &revs[n - 1 - m]; /* newest first */
        out->commit = rv->commit;
        out->path = rv->kind == REPO_DELETED ? NULL : rv->path;
        out->old_path = rv->old_path;
        out->deleted = rv->kind == REPO_DELETED;
        /* a first version, or one brought back, is all new: its page says so
         * and shows the text, without a diff that marks everything */
        out->added = rv->kind == REPO_ADDED || m == 0 || order[m - 1]->kind == REPO_DELETED;
        const char *key = ctx->cache ? S_cache_key(a, j->p, m ? order[m - 1] : NULL, rv, out->added) : NULL;
        size_t vlen = 0;
        const void *val = key ? cache_get(ctx->cache, key, &cbuf, &vlen) : NULL;
        const char *title = NULL;
        if (val && history_revision_decode(a, val, vlen, out, &title) == 0) {
            out->title = title ? title : j->p->doc.title;
            S_version_free(&prev); /* this version is not loaded: the next loads it if it needs it */
            continue;
        }
        if (val) {
            __atomic_add_fetch(&ctx->rejected, 1, __ATOMIC_RELAXED);
            memset(&out->html, 0, sizeof *out - offsetof(plan_revision, html));
        }
        if ((m > 0 && !prev.a && S_version_load(ctx, j, r, quiet, order[m - 1], &prev) < 0) ||
            S_version_load(ctx, j, r, quiet, rv, &cur) < 0) {
            S_version_free(&cur);
            failed = 1;
            break;
        }
        /* With the cache, the revision is kept once: encoded into the plan's
         * arena, read back from there (as a revision found in the cache is),
         * and the cache refers to those bytes. Until then its text, title and
         * diff stay where they were made. */
        int keep = key != NULL;
        if (!out->deleted) {
            title = cur.p && cur.p->doc.title ? cur.p->doc.title : NULL;
            if (cur.p) {
                out->html = keep || cur.p == j->p ? cur.p->doc.md.html
                                                   : arena_strndup(a, cur.p->doc.md.html, cur.p->doc.md.html_len);
                out->html_len = cur.p->doc.md.html_len;
            }
        } else {
            title = prev.p && prev.p->doc.title ? prev.p->doc.title : NULL;
        }
        if (title && !keep) title = arena_strdup(a, title);
        out->title = title ? title : j->p->doc.title;
        /* the text diff against the revision before, as readers see it */
        strbuf dh = STRBUF_INIT;
        if (prev.text && !out->added) {
            textdiff_stats st;
            memset(&st, 0, sizeof st);
            if (textdiff_html(&dh, prev.text, prev.tlen, cur.text ? cur.text : "", cur.text ? cur.tlen : 0,
                              ctx->fold_fmt, 2, &st) == 0 &&
                !dh.oom) {
                out->diff_html = keep ? sb_str(&dh) : arena_strndup(a, sb_str(&dh), dh.len);
                out->same = st.same;
                out->added_blocks = st.added;
                out->removed_blocks = st.removed;
                out->changed_blocks = st.changed;
                out->moved_blocks = st.moved;
            }
        }
        /* no changes in the plan's terms across a version that does not parse */
        if (prev.p && cur.p) S_plan_changes(a, prev.p, cur.p, out);
        if (keep) {
            strbuf v = STRBUF_INIT;
            int encoded = history_revision_encode(&v, out, title) == 0;
            size_t elen = v.len;
            unsigned char *enc = !encoded || v.oom ? NULL : arena_alloc(a, elen ? elen : 1);
            if (enc) memcpy(enc, v.ptr, elen);
            sb_free(&v);
            const char *t = NULL;
            plan_revision dec = *out;
            if (enc && history_revision_decode(a, enc, elen, &dec, &t) == 0) {
                *out = dec;
                out->title = t ? t : j->p->doc.title;
                cache_put_ref(ctx->cache, key, enc, elen);
            } else {
                /* (out of memory, or HTML that cannot be kept as data)
                 * copies, as without the cache */
                if (out->html && out->html != j->p->doc.md.html) out->html = arena_strndup(a, out->html, out->html_len);
                if (out->diff_html) out->diff_html = arena_strdup(a, out->diff_html);
                if (title) out->title = arena_strdup(a, title);
            }
        }
        sb_free(&dh);
        /* this version becomes the previous one */
        S_version_free(&prev);
        prev = cur;
    }
    S_version_free(&prev);
    cache_buf_free(&cbuf);
    diag_free(quiet);
    if (failed) {
        /* reported: the build stops */
        __atomic_store_n(&ctx->failed, 1, __ATOMIC_RELAXED);
        return;
    }
    j->p->revisions = revs;
    j->p->nrevisions = n;
}

/* The cache's stamp: what every revision's result depends on besides the
 * two blobs — the bodies (names resolve to them), the language (the diff's
 * words) and the content folder. */
static int S_stamp(const site *s, unsigned char out[16]) {
    strbuf b = STRBUF_INIT;
    sb_printf(&b, "history 1\n%s\n%s\n", s->cfg.language ? s->cfg.language : "", s->content_dir);
    for (size_t i = 0; i < s->bodies.n; i++) {
        const body *x = s->bodies.items[i];
        sb_printf(&b, "%s\t%s\t%s\t%d", x->id, x->name ? x->name : "", x->parent_id ? x->parent_id : "",
                  x->declared);
        for (size_t k = 0; k < x->naliases; k++) sb_printf(&b, "\t%s", x->aliases[k]);
        sb_putc(&b, '\n');
    }
    int rc = b.oom ? -1 : cache_stamp(b.ptr, b.len, out);
    sb_free(&b);
    return rc;
}

static void S_free_blobs(strmap *blobs) {
    for (size_t i = 0; i < blobs->cap; i++)
        if (blobs->keys[i]) {
            kept_blob *kb = blobs->vals[i];
            free(kb->src);
            kb->src = NULL;
        }
}

/* ---- the walk: the commits first, then the blobs, then the revisions --------- */

/* A commit of the walk and the files it changed (in the site's arena). */
typedef struct walked_commit {
    repo_commit c;
    const repo_change *ch;
    size_t n;
} walked_commit;

typedef struct walked {
    arena *a;
    walked_commit *v;
    size_t n, cap;
} walked;

static int S_keep_commit(void *payload, const repo_commit *c, const repo_change *ch, size_t n) {
    walked *wk = payload;
    wk->v = arena_grow(wk->a, wk->v, sizeof *wk->v, &wk->cap, wk->n + 1);
    wk->v[wk->n++] = (walked_commit){*c, ch, n};
    return 0;
}

/* A blob to read ahead of the walk's second pass. */
typedef struct ahead_job {
    unsigned char oid[20];
    const char *path;
    const char *hex;
    char *src;
    size_t len;
    int ok;
} ahead_job;

typedef struct ahead_ctx {
    repo **handles;
    ahead_job *jobs;
    diag *quiet;
} ahead_ctx;

static void S_read_one(void *vctx, size_t i, int worker) {
    ahead_ctx *x = vctx;
    ahead_job *j = &x->jobs[i];
    j->ok = repo_read_blob(x->handles[worker], j->oid, j->path, &j->src, &j->len, x->quiet) == 0;
}

/* Reads, on `jobs` threads, the blobs whose plan ids the walk will ask for
 * and that it neither knows (the current files) nor finds in the cache.
 * Out of a pack, a blob can be a long chain of deltas to inflate (1.3 ms
 * a blob on the benchmark's repository of 2,000 commits, nearly all of the
 * walk), and the walk itself is one thread. A blob that cannot be read is
 * left to the walk, which reports it where it stands. */
static void S_read_ahead(walk_ctx *w, const walked *wk, repo **handles, int jobs) {
    strmap want;
    strmap_init(&want, w->a);
    ahead_job *v = NULL;
    size_t n = 0, cap = 0, plen = strlen(w->plans_prefix);
    for (size_t k = 0; k < wk->n; k++) {
        for (size_t i = 0; i < wk->v[k].n; i++) {
            const repo_change *x = &wk->v[k].ch[i];
            if (strncmp(x->path, w->plans_prefix, plen) != 0 || !text_ends_with(x->path, ".md")) continue;
            /* the blobs S_on_commit asks the ids of */
            const unsigned char *oids[2] = {x->kind == REPO_DELETED ? x->old_oid : x->new_oid,
                                            x->kind == REPO_MODIFIED ? x->old_oid : NULL};
            for (int side = 0; side < 2; side++) {
                if (!oids[side]) continue;
                char hex[41];
                S_hex(oids[side], hex);
                if (strmap_get(&want, hex) || strmap_get(&w->blobs, hex)) continue;
                const char *key = S_id_key(w->a, hex, x->path), *cached;
                if (strmap_get(&w->ids, key)) continue;
                if ((cached = S_cached_id(w, key)) != NULL) {
                    strmap_put(&w->ids, key, (void *)cached);
                    continue;
                }
                v = arena_grow(w->a, v, sizeof *v, &cap, n + 1);
                memset(&v[n], 0, sizeof v[n]);
                memcpy(v[n].oid, oids[side], 20);
                v[n].path = x->path;
                v[n].hex = arena_strdup(w->a, hex);
                strmap_put(&want, v[n].hex, &v[n]);
                n++;
            }
        }
    }
    if (!n) return;
    ahead_ctx x = {handles, v, diag_new(0)};
    workers_run(jobs, n, S_read_one, &x);
    diag_free(x.quiet);
    for (size_t i = 0; i < n; i++) {
        if (!v[i].ok) continue;
        kept_blob *kb = arena_alloc(w->a, sizeof *kb);
        kb->src = v[i].src;
        kb->len = v[i].len;
        strmap_put(&w->blobs, v[i].hex, kb);
        w->blobs_read++;
    }
}

int history_collect(site *s, repo *r, int jobs, const sandbox_limits *limits, const char *cache_path,
                    diag *d) {
    walk_ctx w;
    memset(&w, 0, sizeof w);
    w.s = s;
    w.r = r;
    w.d = d;
    w.a = s->a;
    strmap_init(&w.ids, s->a);
    strmap_init(&w.heads, s->a);
    strmap_init(&w.tails, s->a);
    strmap_init(&w.blobs, s->a);
    /* one walk for the plans and the files the indicators read */
    w.prefix = s->content_dir;
    w.plans_prefix = *s->content_dir ? arena_printf(s->a, "%s/plans/", s->content_dir) : "plans/";
    w.pages_prefix = *s->content_dir ? arena_printf(s->a, "%s/pages/", s->content_dir) : "pages/";
    int shallow = 0;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    unsigned char stamp[16];
    cache *kept = cache_path && S_stamp(s, stamp) == 0 ? cache_open(cache_path, stamp, s->a) : NULL;
    progress_step_time("history", "cache load", &ts);
    w.cache = kept;
    /* the current files' ids are known: their blobs need not be read */
    for (size_t i = 0; i < s->nplans; i++) {
        const document *doc = &s->plans[i]->doc;
        if (S_zero_oid(doc->oid) || !doc->path) continue;
        char hex[41];
        S_hex(doc->oid, hex);
        strmap_put(&w.ids, S_id_key(s->a, hex, doc->path), (void *)doc->id);
    }
    /* worker threads, each with its own handle on the repository: for the
     * blobs read ahead of the walk, then for the plans' revisions */
    if (jobs < 1) jobs = 1;
    repo **handles = calloc((size_t)jobs, sizeof *handles);
    if (!handles) {
        cache_free(kept);
        return -1;
    }
    handles[0] = r;
    for (int k = 1; k < jobs; k++)
        if (repo_open_again(&handles[k], r) < 0) {
            jobs = k;
            break;
        }
    /* the commits and what each changed; then the blobs whose plan ids are
     * needed, in parallel; then each commit's revisions, in order */
    walked wk = {s->a, NULL, 0, 0};
    int rc = repo_walk_history(r, s->a, &s->commit, w.prefix, HISTORY_MAX_COMMITS, S_keep_commit, &wk,
                               &shallow, d);
    if (rc == 0) {
        S_read_ahead(&w, &wk, handles, jobs);
        for (size_t k = 0; k < wk.n && !w.failed; k++)
            if (S_on_commit(&w, &wk.v[k].c, wk.v[k].ch, wk.v[k].n)) w.failed = 1;
    }
    int failed = rc < 0 || w.failed;
    if (failed) goto done;
    s->history = 1;
    s->history_shallow = shallow;
    /* the indicators' audit trail, oldest commit first */
    for (size_t x = 0, y = w.ntrail ? w.ntrail - 1 : 0; x < y; x++, y--) {
        trail_commit tmp = w.trail[x];
        w.trail[x] = w.trail[y];
        w.trail[y] = tmp;
    }
    progress_step_time("history", "walk", &ts);
    if (progress_timings()) fprintf(stderr, "planpress:   history walk read %zu blobs\n", w.blobs_read);
    if ((failed = indicator_trail_build(s, r, w.trail, w.ntrail, shallow, limits, kept, d) < 0)) goto done;
    progress_step_time("history", "indicators", &ts);

    plan_job *pj = arena_alloc(s->a, (s->nplans ? s->nplans : 1) * sizeof *pj);
    for (size_t i = 0; i < s->nplans; i++) {
        pj[i].p = s->plans[i];
        pj[i].newest = strmap_get(&w.heads, s->plans[i]->doc.id);
        s->plans[i]->history_cut = shallow;
    }
    int en = s->cfg.language && strcmp(s->cfg.language, "en") == 0;
    build_ctx ctx = {s, handles, d, pj, en ? "%zu unchanged paragraphs" : "%zu 段未改动", kept, &w.blobs, 0, 0};
    workers_run(jobs, s->nplans, S_plan_history, &ctx);
    progress_step_time("history", "revisions", &ts);
    if (kept) {
        size_t bad = cache_damaged(kept) + ctx.rejected;
        if (bad)
            diag_report(d, DIAG_NOTE, NULL, 0, 0,
                        "%zu entr%s of the history cache %s damaged or invalid: recomputed, not used", bad,
                        bad == 1 ? "y" : "ies", bad == 1 ? "was" : "were");
        if (!ctx.failed) cache_save(kept, d);
        progress_step_time("history", "cache save", &ts);
        cache_counts(kept, &s->history_cache_read, &s->history_cache_hits, &s->history_cache_added);
    }
    for (size_t i = 0; i < s->nplans; i++)
        if (pj[i].a) arena_adopt(s->a, pj[i].a);
    failed = ctx.failed;
done:
    cache_free(kept);
    for (int k = 1; k < jobs; k++) repo_free(handles[k]);
    free(handles);
    S_free_blobs(&w.blobs);
    return failed ? -1 : 0;
}
