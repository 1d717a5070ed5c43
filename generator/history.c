/* history.c — revisions of plans: the walk (repo.c compares trees), the
 * grouping by plan id (following renames and moves), and for each revision
 * the plan as it stood, the text diff and the changes in the plan's terms. */
#include "history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "content.h"
#include "indicator_trail.h"
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
    trail_commit *trail;        /* commits that changed other content files, newest first */
    size_t ntrail, trail_cap;
    int failed;
} walk_ctx;

static const char *S_id_of_blob(walk_ctx *w, const unsigned char oid[20], const char *path) {
    char hex[41];
    for (int i = 0; i < 20; i++) snprintf(hex + 2 * i, 3, "%02x", oid[i]);
    const char *id = strmap_get(&w->ids, hex);
    if (id) return id;
    char *src = NULL;
    size_t len = 0;
    if (repo_read_blob(w->r, oid, path, &src, &len, w->d) < 0) {
        w->failed = 1;
        return NULL;
    }
    id = history_plan_id(w->a, src, len, S_stem(w->a, path));
    free(src);
    strmap_put(&w->ids, hex, (void *)id);
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
     * (HTML, diff, changes) is copied into the plan's arena. */
    arena *prev_a = NULL;
    const char *prev_text = NULL;
    size_t prev_tlen = 0;
    const plan *prev = NULL;
    for (size_t m = 0; m < n; m++) {
        raw_rev *rv = order[m];
        plan_revision *out = &revs[n - 1 - m]; /* newest first */
        out->commit = rv->commit;
        out->path = rv->kind == REPO_DELETED ? NULL : rv->path;
        out->old_path = rv->old_path;
        out->deleted = rv->kind == REPO_DELETED;
        out->added = rv->kind == REPO_ADDED || !prev_text;
        arena *cur_a = arena_new();
        char *src = NULL;
        size_t len = 0;
        const plan *cur = NULL;
        const char *text = NULL;
        size_t tlen = 0;
        if (!out->deleted) {
            if (!S_zero_oid(rv->oid) && memcmp(rv->oid, j->p->doc.oid, 20) == 0) {
                cur = j->p; /* this version is the current text: parsed already */
            } else {
                if (repo_read_blob(r, rv->oid, rv->path, &src, &len, ctx->d) < 0) {
                    arena_free(cur_a);
                    break;
                }
                plan *parsed = arena_alloc(cur_a, sizeof *parsed);
                if (content_parse_plan(cur_a, quiet, &ctx->s->bodies, rv->path, S_stem(cur_a, rv->path),
                                       src, len, 0, parsed) == 0)
                    cur = parsed;
            }
            out->title = arena_strdup(a, cur && cur->doc.title ? cur->doc.title : j->p->doc.title);
            if (cur) {
                out->html = cur == j->p ? cur->doc.md.html
                                         : arena_strndup(a, cur->doc.md.html, cur->doc.md.html_len);
                out->html_len = cur->doc.md.html_len;
                text = S_reader_text(cur_a, cur->doc.md.html, cur->doc.md.html_len, &tlen);
            } else {
                /* that version did not parse: its Markdown still diffs */
                const char *md;
                S_body(src, len, &md, &tlen);
                text = arena_strndup(cur_a, md, tlen);
            }
        } else {
            out->title = arena_strdup(a, prev && prev->doc.title ? prev->doc.title : j->p->doc.title);
        }
        free(src);
        /* the text diff against the revision before, as readers see it; a
         * first version (or one brought back) is all new: its page says so
         * and shows the text, without a diff that marks everything */
        if (prev_text && !out->added) {
            strbuf dh = STRBUF_INIT;
            textdiff_stats st;
            memset(&st, 0, sizeof st);
            if (textdiff_html(&dh, prev_text, prev_tlen, text ? text : "", text ? tlen : 0,
                              ctx->fold_fmt, 2, &st) == 0 &&
                !dh.oom) {
                out->diff_html = arena_strndup(a, sb_str(&dh), dh.len);
                out->same = st.same;
                out->added_blocks = st.added;
                out->removed_blocks = st.removed;
                out->changed_blocks = st.changed;
                out->moved_blocks = st.moved;
            }
            sb_free(&dh);
        }
        if (prev && cur) S_plan_changes(a, prev, cur, out);
        /* this version becomes the previous one */
        arena_free(prev_a);
        prev_a = cur_a;
        prev_text = text;
        prev_tlen = tlen;
        if (cur || out->deleted) prev = cur;
        else prev = NULL; /* unparsed: no changes in the plan's terms across it */
    }
    arena_free(prev_a);
    diag_free(quiet);
    j->p->revisions = revs;
    j->p->nrevisions = n;
}

int history_collect(site *s, repo *r, int jobs, const sandbox_limits *limits, diag *d) {
    walk_ctx w;
    memset(&w, 0, sizeof w);
    w.s = s;
    w.r = r;
    w.d = d;
    w.a = s->a;
    strmap_init(&w.ids, s->a);
    strmap_init(&w.heads, s->a);
    strmap_init(&w.tails, s->a);
    /* one walk for the plans and the files the indicators read */
    w.prefix = s->content_dir;
    w.plans_prefix = *s->content_dir ? arena_printf(s->a, "%s/plans/", s->content_dir) : "plans/";
    w.pages_prefix = *s->content_dir ? arena_printf(s->a, "%s/pages/", s->content_dir) : "pages/";
    int shallow = 0;
    if (repo_walk_history(r, s->a, &s->commit, w.prefix, HISTORY_MAX_COMMITS, S_on_commit, &w,
                          &shallow, d) < 0 ||
        w.failed)
        return -1;
    s->history = 1;
    s->history_shallow = shallow;
    /* the indicators' audit trail, oldest commit first */
    for (size_t x = 0, y = w.ntrail ? w.ntrail - 1 : 0; x < y; x++, y--) {
        trail_commit tmp = w.trail[x];
        w.trail[x] = w.trail[y];
        w.trail[y] = tmp;
    }
    if (indicator_trail_build(s, r, w.trail, w.ntrail, shallow, limits, d) < 0) return -1;

    plan_job *pj = arena_alloc(s->a, (s->nplans ? s->nplans : 1) * sizeof *pj);
    for (size_t i = 0; i < s->nplans; i++) {
        pj[i].p = s->plans[i];
        pj[i].newest = strmap_get(&w.heads, s->plans[i]->doc.id);
        s->plans[i]->history_cut = shallow;
    }
    if (jobs < 1) jobs = 1;
    repo **handles = calloc((size_t)jobs, sizeof *handles);
    if (!handles) return -1;
    handles[0] = r;
    for (int k = 1; k < jobs; k++)
        if (repo_open_again(&handles[k], r) < 0) {
            jobs = k;
            break;
        }
    int en = s->cfg.language && strcmp(s->cfg.language, "en") == 0;
    build_ctx ctx = {s, handles, d, pj, en ? "%zu unchanged paragraphs" : "%zu 段未改动"};
    workers_run(jobs, s->nplans, S_plan_history, &ctx);
    for (int k = 1; k < jobs; k++) repo_free(handles[k]);
    free(handles);
    for (size_t i = 0; i < s->nplans; i++)
        if (pj[i].a) arena_adopt(s->a, pj[i].a);
    return 0;
}
