/* indicator_trail.c — the indicators' audit trail (see indicator_trail.h).
 *
 * The commits come oldest first. The scripts run on the first one, then on
 * each later one that could change their result: one that touched a script
 * under indicators/, site.yaml (the limits), or a path that csv() asked for
 * at the last run (found or not, so a CSV that appears counts too). Two
 * runs in a row are compared indicator by indicator; only the changes of
 * indicators that exist in the built revision are kept. */
#include "indicator_trail.h"

#include <stdlib.h>
#include <string.h>

#include "indicators.h"
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

int indicator_trail_build(site *s, repo *r, const trail_commit *commits, size_t n, int cut,
                          const sandbox_limits *limits, diag *d) {
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
        int src = indicators_snapshot(s, own, &tc->commit, a, limits, reads, &cur, &ncur);
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
