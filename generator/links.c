/* links.c — resolving references between items, plans and bodies. */
#include "links.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"

static item *S_item_in(const plan *p, const char *id) {
    for (size_t i = 0; i < p->nitems; i++)
        if (strcmp(p->items[i]->id, id) == 0) return p->items[i];
    return NULL;
}

item *links_find_item(const site *s, const plan *p, const char *ref) {
    const char *hash = strchr(ref, '#');
    if (!hash) return p ? S_item_in(p, ref) : NULL;
    char pid[128];
    size_t n = (size_t)(hash - ref);
    if (n == 0 || n >= sizeof pid) return NULL;
    memcpy(pid, ref, n);
    pid[n] = '\0';
    const plan *other = site_find_plan(s, pid);
    return other ? S_item_in(other, hash + 1) : NULL;
}

static void S_push(arena *a, item ***list, size_t *n, item *x) {
    for (size_t i = 0; i < *n; i++)
        if ((*list)[i] == x) return;
    item **nl = arena_alloc(a, (*n + 1) * sizeof *nl);
    if (*n) memcpy(nl, *list, *n * sizeof *nl);
    nl[(*n)++] = x;
    *list = nl;
}

static void S_bodies_of(site *s, item_ref *refs, size_t n, body ***out, size_t *nout) {
    *out = n ? arena_alloc(s->a, n * sizeof **out) : NULL;
    *nout = 0;
    for (size_t i = 0; i < n; i++) {
        body *b = refs[i].body ? (body *)refs[i].body
                               : (refs[i].unknown_id ? bodies_get(&s->bodies, refs[i].unknown_id) : NULL);
        if (!b) continue;
        int dup = 0;
        for (size_t k = 0; k < *nout; k++) dup |= (*out)[k] == b;
        if (!dup) (*out)[(*nout)++] = b;
    }
}

/* Depth-first search for cycles of `supports` from it; marks: 0 new,
 * 1 on the stack, 2 done. Every cycle found is reported (where it closes),
 * not only the first. */
static int S_supports_cycle(item *it, strmap *marks, arena *a, diag *d, const char *start_path) {
    char key[512];
    snprintf(key, sizeof key, "%s#%s", it->plan->doc.id, it->id);
    long m = (long)(size_t)strmap_get(marks, key);
    if (m == 1) {
        diag_error(d, it->plan->doc.path, it->line, it->col,
                   "goal \"%s\" supports itself through a cycle of `supports`", key);
        return 1;
    }
    if (m == 2) return 0;
    strmap_put(marks, key, (void *)1);
    int found = 0;
    for (size_t i = 0; i < it->nsupports; i++)
        found |= S_supports_cycle(it->supports[i], marks, a, d, start_path);
    strmap_put(marks, key, (void *)2);
    return found;
}

int links_build(site *s, diag *d, int check) {
    int failed = 0;
    /* 1. names that resolved to no body get a page of their own */
    int added = 0;
    for (size_t i = 0; i < s->nplans; i++) {
        plan *p = s->plans[i];
        for (size_t k = 0; k < p->nitems; k++) {
            item *it = p->items[k];
            for (int lead = 1; lead >= 0; lead--) {
                item_ref *refs = lead ? it->lead_refs : it->partner_refs;
                size_t n = lead ? it->nlead_refs : it->npartner_refs;
                for (size_t r = 0; r < n; r++) {
                    if (!refs[r].unknown_id) continue;
                    /* an id taken already: reported, and never another body's tasks */
                    if (!bodies_add_unknown(&s->bodies, refs[r].text, d, p->doc.path, refs[r].line, refs[r].col))
                        refs[r].unknown_id = NULL;
                    added = 1;
                }
            }
        }
    }
    if (added) bodies_finish(&s->bodies);

    for (size_t i = 0; i < s->nplans; i++) {
        plan *p = s->plans[i];
        const char *path = p->doc.path;
        /* the issuer and parent plans */
        if (p->issuer && !bodies_get(&s->bodies, p->issuer)) {
            const yvalue *v = yaml_map_get(p->doc.front, "issuer");
            diag_warning(d, path, v ? v->line : 1, v ? v->col : 1,
                         "issuer \"%s\" is not a body of bodies.yaml", p->issuer);
        }
        for (size_t k = 0; k < p->nparents; k++) {
            if (site_find_plan(s, p->parents[k])) continue;
            const yvalue *v = yaml_map_get(p->doc.front, "parent");
            diag_warning(d, path, v ? v->line : 1, v ? v->col : 1,
                         "parent plan \"%s\" is not in this repository", p->parents[k]);
        }
        for (size_t k = 0; k < p->nitems; k++) {
            item *it = p->items[k];
            S_bodies_of(s, it->lead_refs, it->nlead_refs, (body ***)&it->leads, &it->nleads);
            S_bodies_of(s, it->partner_refs, it->npartner_refs, (body ***)&it->partners, &it->npartners);
            for (size_t r = 0; r < it->ngoal_refs; r++) {
                const item_ref *ref = &it->goal_refs[r];
                item *g = links_find_item(s, p, ref->text);
                if (!g) {
                    diag_error(d, path, ref->line, ref->col, "%s \"%s\" names goal \"%s\", which does not exist",
                               item_role_name(it->role), it->id, ref->text);
                    failed = 1;
                } else if (g == it) {
                    diag_error(d, path, ref->line, ref->col, "%s \"%s\" names itself as its goal",
                               item_role_name(it->role), it->id);
                    failed = 1;
                } else if (g->role != ROLE_GOAL) {
                    diag_error(d, path, ref->line, ref->col, "\"%s\" is a %s, not a goal", ref->text,
                               item_role_name(g->role));
                    failed = 1;
                } else {
                    S_push(s->a, &it->goals, &it->ngoals, g);
                    S_push(s->a, &g->tasks, &g->ntasks, it);
                }
            }
            for (size_t r = 0; r < it->nsupports_refs; r++) {
                const item_ref *ref = &it->supports_refs[r];
                item *g = strchr(ref->text, '#') ? links_find_item(s, p, ref->text) : NULL;
                if (!strchr(ref->text, '#')) {
                    diag_error(d, path, ref->line, ref->col,
                               "supports=\"%s\": name the goal as plan#goal", ref->text);
                    failed = 1;
                } else if (!g) {
                    diag_error(d, path, ref->line, ref->col, "goal \"%s\" supports \"%s\", which does not exist",
                               it->id, ref->text);
                    failed = 1;
                } else if (g->role != ROLE_GOAL) {
                    diag_error(d, path, ref->line, ref->col, "\"%s\" is a %s, not a goal", ref->text,
                               item_role_name(g->role));
                    failed = 1;
                } else {
                    S_push(s->a, &it->supports, &it->nsupports, g);
                    S_push(s->a, &g->supported_by, &g->nsupported_by, it);
                }
            }
        }
    }
    /* supports cycles */
    strmap marks;
    strmap_init(&marks, s->a);
    int cycles = 0;
    for (size_t i = 0; i < s->nplans && !failed; i++)
        for (size_t k = 0; k < s->plans[i]->nitems; k++)
            if (s->plans[i]->items[k]->nsupports)
                cycles |= S_supports_cycle(s->plans[i]->items[k], &marks, s->a, d, s->plans[i]->doc.path);
    if (cycles) failed = 1;
    if (check) {
        for (size_t i = 0; i < s->nplans; i++) {
            plan *p = s->plans[i];
            for (size_t k = 0; k < p->nitems; k++) {
                item *it = p->items[k];
                if (it->role == ROLE_TASK && !it->nleads && !it->nchildren)
                    diag_warning(d, p->doc.path, it->line, it->col, "task \"%s\" has no lead body", it->id);
                if (it->role == ROLE_GOAL && !it->ntasks && !it->nchildren && !it->nsupported_by)
                    diag_warning(d, p->doc.path, it->line, it->col, "goal \"%s\" has no task serving it", it->id);
            }
        }
    }
    return failed ? -1 : 0;
}
