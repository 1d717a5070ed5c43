/* render.c — from the model to pages: Lua tables for templates, one engine
 * per worker thread, every page written to the output folder. */
#include "render.h"

#include <lauxlib.h>
#include <stdatomic.h>
#include <stdio.h>
#include <lua.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"
#include "changes.h"
#include "indicators.h"
#include "progress.h"
#include "strmap.h"
#include "text.h"
#include "workers.h"

/* ---- Lua table helpers --------------------------------------------------- */

static void S_set_str(lua_State *L, const char *key, const char *val) {
    if (!val) return;
    lua_pushstring(L, val);
    lua_setfield(L, -2, key);
}

static void S_set_int(lua_State *L, const char *key, long long v) {
    lua_pushinteger(L, (lua_Integer)v);
    lua_setfield(L, -2, key);
}

static void S_set_bool(lua_State *L, const char *key, int v) {
    lua_pushboolean(L, v);
    lua_setfield(L, -2, key);
}

static void S_push_strlist(lua_State *L, const char *const *items, size_t n) {
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushstring(L, items[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

/* A YAML value as Lua: scalars as strings, sequences as arrays, maps as
 * tables (front matter and site.yaml reach templates as written). */
static void S_push_yaml(lua_State *L, const yvalue *v) {
    if (!v || yaml_is_null(v)) {
        lua_pushboolean(L, 0);
        return;
    }
    switch (v->kind) {
    case YAML_V_SCALAR: lua_pushlstring(L, v->str, v->len); break;
    case YAML_V_SEQ:
        lua_createtable(L, (int)v->n, 0);
        for (size_t i = 0; i < v->n; i++) {
            S_push_yaml(L, v->items[i]);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        break;
    case YAML_V_MAP:
        lua_createtable(L, 0, (int)v->n);
        for (size_t i = 0; i < v->n; i++) {
            S_push_yaml(L, v->items[i]);
            lua_setfield(L, -2, v->keys[i]->str);
        }
        break;
    }
}

const char *render_root_prefix(arena *a, const char *url_dir) {
    size_t depth = 0;
    for (const char *p = url_dir; *p; p++)
        if (*p == '/') depth++;
    char *s = arena_alloc(a, depth * 3 + 1);
    for (size_t i = 0; i < depth; i++) memcpy(s + i * 3, "../", 3);
    return s;
}

/* The 404 page is shown for a missing address at any depth, so relative
 * links cannot work there: with a base URL, its links start from the base
 * URL's path ("https://example.org/site/" -> "/site/"); without one they stay
 * relative (right for addresses at the top level). Only a plain path is
 * taken (letters, digits, -._~%/). */
static const char *S_not_found_root(arena *a, const char *base_url) {
    if (!base_url || !*base_url) return "";
    const char *p = strstr(base_url, "://");
    p = p ? strchr(p + 3, '/') : (*base_url == '/' ? base_url : NULL);
    if (!p) return "";
    for (const char *c = p; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              strchr("-._~%/", *c)))
            return "";
    size_t n = strlen(p);
    return n && p[n - 1] == '/' ? arena_strdup(a, p) : arena_printf(a, "%s/", p);
}

/* ---- the index the pages share: built once, read by every worker --------- */

typedef struct body_work {
    const item **leads, **partners;   /* what the body leads / joins */
    size_t nleads, npartners, clead, cpartner;
} body_work;

struct html_splices;

typedef struct site_index {
    strmap titles;       /* plan titles and aliases, page titles -> url */
    strmap body_index;   /* body id -> body_work */
    strmap plan_html;    /* plan id -> html_splices of its text (S_scan_plans) */
    yvalue *i18n;
} site_index;

static void S_work_add(arena *a, body_work *w, const item *it, int lead) {
    if (lead) {
        w->leads = arena_grow(a, w->leads, sizeof *w->leads, &w->clead, w->nleads + 1);
        w->leads[w->nleads++] = it;
    } else {
        w->partners = arena_grow(a, w->partners, sizeof *w->partners, &w->cpartner, w->npartners + 1);
        w->partners[w->npartners++] = it;
    }
}

static void S_build_index(arena *a, const site *s, site_index *ix) {
    strmap_init(&ix->titles, a);
    strmap_init(&ix->body_index, a);
    strmap_init(&ix->plan_html, a);
    for (size_t i = 0; i < s->npages; i++)
        strmap_put(&ix->titles, s->pages[i]->doc.title, arena_printf(a, "pages/%s/", s->pages[i]->doc.id));
    for (size_t i = 0; i < s->nplans; i++) {
        const plan *p = s->plans[i];
        char *url = arena_printf(a, "plans/%s/", p->doc.id);
        for (size_t k = 0; k < p->naliases; k++) strmap_put(&ix->titles, p->aliases[k], url);
        strmap_put(&ix->titles, p->doc.title, url);
    }
    for (size_t i = 0; i < s->bodies.n; i++)
        strmap_put(&ix->body_index, s->bodies.items[i]->id, arena_alloc(a, sizeof(body_work)));
    for (size_t i = 0; i < s->nplans; i++) {
        const plan *p = s->plans[i];
        for (size_t k = 0; k < p->nitems; k++) {
            const item *it = p->items[k];
            for (size_t b = 0; b < it->nleads; b++)
                S_work_add(a, strmap_get(&ix->body_index, it->leads[b]->id), it, 1);
            for (size_t b = 0; b < it->npartners; b++)
                S_work_add(a, strmap_get(&ix->body_index, it->partners[b]->id), it, 0);
        }
    }
}

/* ---- HTML from the model, placed on a page -------------------------------- */

/* HTML made by markdown.c is placed on a page whose root is `root`: the plan
 * model's links ("pp:" = the site root) become relative, and titles in
 * book-title marks 《...》 that name a plan or page become links (except to
 * the page itself, `self`). Scanning finds those places ("splices"), which
 * depend on neither the page nor its root; a plan's text is scanned once
 * (S_scan_plans) and placed on its plan, matrix and item pages from that. */
typedef struct html_splice {
    size_t at, end;   /* [at, end): "pp:" (url NULL), or a cited title */
    const char *url;  /* the cited plan's or page's url ("plans/x/") */
} html_splice;

typedef struct html_splices {
    html_splice *v;
    size_t n, cap;
    int oom;
} html_splices;

static void S_splice_add(html_splices *sp, size_t at, size_t end, const char *url) {
    if (sp->n == sp->cap) {
        size_t cap = sp->cap ? sp->cap * 2 : 16;
        html_splice *v = realloc(sp->v, cap * sizeof *v);
        if (!v) {
            sp->oom = 1;
            return;
        }
        sp->v = v;
        sp->cap = cap;
    }
    sp->v[sp->n++] = (html_splice){at, end, url};
}

static void S_scan_html(const char *h, size_t n, const site_index *ix, html_splices *sp) {
    /* the bytes that matter between tags ('<', the lead byte of 《) and in a tag */
    static const unsigned char text_stop[256] = {['<'] = 1, [0xE3] = 1};
    static const unsigned char tag_stop[256] = {['<'] = 1, ['>'] = 1, ['h'] = 1};
    size_t i = 0;
    int in_a = 0, in_tag = 0;
    while (i < n) {
        if (in_tag)
            while (i < n && !tag_stop[(unsigned char)h[i]]) i++;
        else
            while (i < n && !text_stop[(unsigned char)h[i]]) i++;
        if (i >= n) break;
        char c = h[i];
        if (c == '<') {
            in_tag = 1;
            if (i + 2 < n && h[i + 1] == 'a' && (h[i + 2] == ' ' || h[i + 2] == '>')) in_a = 1;
            else if (i + 3 < n && h[i + 1] == '/' && h[i + 2] == 'a' && h[i + 3] == '>') in_a = 0;
            i++;
            continue;
        }
        if (in_tag) {
            if (c == '>') in_tag = 0;
            else if (c == 'h' && i + 9 <= n && memcmp(h + i, "href=\"pp:", 9) == 0) {
                S_splice_add(sp, i + 6, i + 9, NULL);
                i += 9;
                continue;
            }
            i++;
            continue;
        }
        /* 《 = E3 80 8A, 》 = E3 80 8B */
        if (!in_a && (unsigned char)c == 0xE3 && i + 2 < n && (unsigned char)h[i + 1] == 0x80 &&
            (unsigned char)h[i + 2] == 0x8A) {
            size_t t0 = i + 3, j = t0;
            while (j + 2 < n && h[j] != '<' &&
                   !((unsigned char)h[j] == 0xE3 && (unsigned char)h[j + 1] == 0x80 &&
                     ((unsigned char)h[j + 2] == 0x8B || (unsigned char)h[j + 2] == 0x8A)))
                j++;
            if (j + 2 < n && (unsigned char)h[j] == 0xE3 && (unsigned char)h[j + 2] == 0x8B &&
                j - t0 < 512) {
                char title[512];
                memcpy(title, h + t0, j - t0);
                title[j - t0] = '\0';
                const char *url = strmap_get(&ix->titles, title);
                if (url) S_splice_add(sp, t0, j, url);
                i = j;
                continue;
            }
        }
        i++;
    }
}

/* Pushes h[lo, hi) placed for a page at `root`, with the splices of h
 * (those in [lo, hi) are used). */
static void S_push_placed(lua_State *L, const char *h, size_t lo, size_t hi, const html_splices *sp,
                          const char *root, const char *self) {
    static const char open_a[] = "<a class=\"cite-link\" href=\"";
    size_t rl = strlen(root), first = 0, last;
    /* the first splice at or after lo */
    size_t a = 0, b = sp->n;
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (sp->v[m].at < lo) a = m + 1;
        else b = m;
    }
    first = a;
    for (last = first; last < sp->n && sp->v[last].end <= hi; last++) {}
    size_t total = hi - lo;
    for (size_t k = first; k < last; k++) {
        const html_splice *x = &sp->v[k];
        if (!x->url) total += rl - (x->end - x->at);
        else if (!(self && strcmp(x->url, self) == 0))
            total += sizeof open_a - 1 + rl + strlen(x->url) + 2 + 4;
    }
    char *out = malloc(total ? total : 1), *w = out;
    if (!out) { /* as little as the strbuf this replaces, which gave up quietly */
        lua_pushliteral(L, "");
        return;
    }
    size_t start = lo;
    for (size_t k = first; k < last; k++) {
        const html_splice *x = &sp->v[k];
        if (x->url && self && strcmp(x->url, self) == 0) continue;
        memcpy(w, h + start, x->at - start);
        w += x->at - start;
        if (!x->url) {
            memcpy(w, root, rl);
            w += rl;
        } else {
            size_t ul = strlen(x->url);
            memcpy(w, open_a, sizeof open_a - 1);
            w += sizeof open_a - 1;
            memcpy(w, root, rl);
            w += rl;
            memcpy(w, x->url, ul);
            w += ul;
            memcpy(w, "\">", 2);
            w += 2;
            memcpy(w, h + x->at, x->end - x->at);
            w += x->end - x->at;
            memcpy(w, "</a>", 4);
            w += 4;
        }
        start = x->end;
    }
    memcpy(w, h + start, hi - start);
    w += hi - start;
    lua_pushlstring(L, out, (size_t)(w - out));
    free(out);
}

/* Pushes h[0, n) placed for a page at `root`; `pre` are the splices of the
 * whole text that h[0, n) is the part [base, base + n) of, or NULL. */
static void S_push_html(lua_State *L, const char *h, size_t n, const char *root,
                        const site_index *ix, const char *self, const html_splices *pre,
                        size_t base) {
    if (!h) h = "", n = 0;
    if (pre && !pre->oom) {
        S_push_placed(L, h - base, base, base + n, pre, root, self);
#ifdef PP_ARENA_DEBUG
        /* the sanitizer build checks that the part placed alone is the same */
        html_splices own = {0};
        S_scan_html(h, n, ix, &own);
        for (size_t k = 0; k < own.n; k++) own.v[k].at += base, own.v[k].end += base;
        S_push_placed(L, h - base, base, base + n, &own, root, self);
        if (!own.oom && !lua_rawequal(L, -1, -2)) {
            fprintf(stderr, "planpress: internal error: placed HTML differs\n");
            abort();
        }
        lua_pop(L, 1);
        free(own.v);
#endif
        return;
    }
    html_splices sp = {0};
    S_scan_html(h, n, ix, &sp);
    if (sp.oom) {
        free(sp.v);
        lua_pushliteral(L, "");
        return;
    }
    S_push_placed(L, h, 0, n, &sp, root, self);
    free(sp.v);
}

/* ---- tables for templates ----------------------------------------------- */

static const char *const role_dirs[] = {"goals", "tasks", "measures"};

/* Registry keys (by address) of tables every page of an engine shares, made
 * once by S_set_globals: body references and plan summaries, by pointer. */
static const char S_key_body_refs = 0, S_key_plan_summaries = 0;

/* Pushes the shared table of `key` for object `obj`; 0 (nothing pushed)
 * when there is none. */
static int S_push_shared(lua_State *L, const void *key, const void *obj) {
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, key) != LUA_TTABLE) {
        lua_pop(L, 1);
        return 0;
    }
    if (lua_rawgetp(L, -1, obj) != LUA_TTABLE) {
        lua_pop(L, 2);
        return 0;
    }
    lua_remove(L, -2);
    return 1;
}

/* A new table {id, name, url, declared} for a body. */
static void S_new_body_ref(lua_State *L, const body *b) {
    lua_createtable(L, 0, 4);
    S_set_str(L, "id", b->id);
    S_set_str(L, "name", b->name);
    lua_pushfstring(L, "bodies/%s/", b->id);
    lua_setfield(L, -2, "url");
    S_set_bool(L, "declared", b->declared);
}

/* A body reference: the engine's shared table (templates treat the data
 * they are given as read-only), or a new one. */
static void S_push_body_ref(lua_State *L, const body *b) {
    if (!S_push_shared(L, &S_key_body_refs, b)) S_new_body_ref(L, b);
}

static void S_push_bodies(lua_State *L, body *const *list, size_t n) {
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        S_push_body_ref(L, list[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

/* Pushes the concatenation of up to seven strings (NULL ends them early):
 * a url without lua_pushfstring's formatting. */
static void S_push_joined(lua_State *L, const char *a, const char *b, const char *c, const char *d,
                          const char *e, const char *f, const char *g) {
    const char *parts[7] = {a, b, c, d, e, f, g};
    char buf[512];
    size_t len = 0;
    for (int i = 0; i < 7 && parts[i]; i++) {
        size_t n = strlen(parts[i]);
        if (len + n > sizeof buf) { /* a very long id: let Lua join them */
            int k = 0;
            for (; k < 7 && parts[k]; k++) lua_pushstring(L, parts[k]);
            lua_concat(L, k);
            return;
        }
        memcpy(buf + len, parts[i], n);
        len += n;
    }
    lua_pushlstring(L, buf, len);
}

/* A short form of an item, for lists and links. */
static void S_push_item_ref(lua_State *L, const item *it) {
    lua_createtable(L, 0, 10);
    S_set_str(L, "id", it->id);
    S_set_str(L, "role", item_role_name(it->role));
    S_set_str(L, "title", it->title);
    S_set_str(L, "number", it->number);
    S_set_str(L, "due", it->due);
    S_set_str(L, "plan_id", it->plan->doc.id);
    S_set_str(L, "plan_title", it->plan->doc.title);
    S_push_joined(L, "plans/", it->plan->doc.id, "/", role_dirs[it->role], "/", it->id, "/");
    lua_setfield(L, -2, "url");
    S_push_joined(L, "plans/", it->plan->doc.id, "/#", it->plan->doc.md.blocks[it->block].anchor, NULL,
                  NULL, NULL);
    lua_setfield(L, -2, "text_url");
    S_push_bodies(L, (body *const *)it->leads, it->nleads);
    lua_setfield(L, -2, "leads");
    S_push_bodies(L, (body *const *)it->partners, it->npartners);
    lua_setfield(L, -2, "partners");
    lua_createtable(L, (int)it->nparties, 0);
    for (size_t i = 0; i < it->nparties; i++) {
        lua_pushstring(L, it->parties[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "parties");
}

/* While a worker renders the pages of one plan (S_render_group), the item
 * references it makes for lists are kept and shared by those pages. */
static const char S_key_item_refs = 0, S_key_plan_full = 0;

static void S_push_item_ref_shared(lua_State *L, const item *it) {
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &S_key_item_refs) != LUA_TTABLE) {
        lua_pop(L, 1);
        S_push_item_ref(L, it);
        return;
    }
    if (lua_rawgetp(L, -1, it) == LUA_TTABLE) {
        lua_remove(L, -2);
        return;
    }
    lua_pop(L, 1);
    S_push_item_ref(L, it);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, -3, it);
    lua_remove(L, -2);
}

static void S_push_items(lua_State *L, item *const *list, size_t n) {
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        S_push_item_ref_shared(L, list[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

static void S_new_plan_summary(lua_State *L, const plan *p) {
    lua_createtable(L, 0, 16);
    S_set_str(L, "id", p->doc.id);
    S_set_str(L, "title", p->doc.title);
    lua_pushfstring(L, "plans/%s/", p->doc.id);
    lua_setfield(L, -2, "url");
    S_set_str(L, "issuer", p->issuer);
    S_set_str(L, "number", p->number);
    S_set_str(L, "date", p->date);
    S_set_str(L, "adopted", p->adopted);
    S_set_str(L, "period", p->period);
    S_set_str(L, "status", plan_status_name(p->status));
    S_push_strlist(L, p->parents, p->nparents);
    lua_setfield(L, -2, "parents");
    S_push_strlist(L, p->aliases, p->naliases);
    lua_setfield(L, -2, "aliases");
    size_t counts[3] = {0, 0, 0};
    for (size_t i = 0; i < p->nitems; i++) counts[p->items[i]->role]++;
    S_set_int(L, "ngoals", (long long)counts[ROLE_GOAL]);
    S_set_int(L, "ntasks", (long long)counts[ROLE_TASK]);
    S_set_int(L, "nmeasures", (long long)counts[ROLE_MEASURE]);
    lua_pushfstring(L, "plans/%s/matrix/", p->doc.id);
    lua_setfield(L, -2, "matrix_url");
}

/* A plan summary: the engine's shared table (the entry of the global
 * `plans`), or a new one. For a summary that gets more fields, use
 * S_new_plan_summary. */
static void S_push_plan_summary(lua_State *L, const plan *p) {
    if (!S_push_shared(L, &S_key_plan_summaries, p)) S_new_plan_summary(L, p);
}

/* ---- history ------------------------------------------------------------- */

static void S_push_revision(lua_State *L, const plan *p, const plan_revision *rv, size_t index) {
    char day[16];
    lua_createtable(L, 0, 20);
    S_set_str(L, "rev", rv->commit.short_id);
    S_set_str(L, "commit", rv->commit.id);
    S_set_str(L, "date", text_date_of(rv->commit.author_time, rv->commit.author_offset, day));
    S_set_str(L, "author", rv->commit.author);
    S_set_str(L, "message", rv->commit.summary);
    S_set_str(L, "title", rv->title);
    S_set_str(L, "path", rv->path);
    S_set_str(L, "old_path", rv->old_path);
    S_set_bool(L, "added", rv->added);
    S_set_bool(L, "deleted", rv->deleted);
    S_set_bool(L, "current", index == 0);
    S_set_int(L, "number", (long long)(p->nrevisions - index));
    lua_pushfstring(L, "plans/%s/history/%s/", p->doc.id, rv->commit.short_id);
    lua_setfield(L, -2, "url");
    lua_pushfstring(L, "plans/%s/diff/%s/", p->doc.id, rv->commit.short_id);
    lua_setfield(L, -2, "diff_url");
    lua_createtable(L, 0, 5);
    S_set_int(L, "same", (long long)rv->same);
    S_set_int(L, "added", (long long)rv->added_blocks);
    S_set_int(L, "removed", (long long)rv->removed_blocks);
    S_set_int(L, "changed", (long long)rv->changed_blocks);
    S_set_int(L, "moved", (long long)rv->moved_blocks);
    lua_setfield(L, -2, "stats");
    lua_createtable(L, (int)rv->nchanges, 0);
    for (size_t i = 0; i < rv->nchanges; i++) {
        const plan_change *c = &rv->changes[i];
        lua_createtable(L, 0, 7);
        S_set_str(L, "kind", c->kind);
        S_set_str(L, "field", c->field);
        S_set_str(L, "item_id", c->item_id);
        S_set_str(L, "item_title", c->item_title);
        if (c->role >= 0) {
            S_set_str(L, "role", item_role_name((item_role)c->role));
            static const char *const dirs[] = {"goals", "tasks", "measures"};
            if (c->item_id && strcmp(c->kind, "item-removed") != 0) {
                lua_pushfstring(L, "plans/%s/%s/%s/", p->doc.id, dirs[c->role], c->item_id);
                lua_setfield(L, -2, "item_url");
            }
        }
        S_set_str(L, "from", c->from);
        S_set_str(L, "to", c->to);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "changes");
    if (index + 1 < p->nrevisions) {
        const plan_revision *before = &p->revisions[index + 1];
        S_set_str(L, "previous_rev", before->commit.short_id);
        lua_pushfstring(L, "plans/%s/history/%s/", p->doc.id, before->commit.short_id);
        lua_setfield(L, -2, "previous_url");
    }
}

static void S_push_history(lua_State *L, const plan *p) {
    lua_createtable(L, (int)p->nrevisions, 0);
    for (size_t i = 0; i < p->nrevisions; i++) {
        S_push_revision(L, p, &p->revisions[i], i);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

/* The plan's text placed for a page at `root` (its own title is no link). */
static void S_push_plan_html(lua_State *L, const plan *p, const char *root, const site_index *ix) {
    char *self = NULL;
    size_t n = strlen(p->doc.id) + 8;
    self = malloc(n);
    if (self) snprintf(self, n, "plans/%s/", p->doc.id);
    S_push_html(L, p->doc.md.html, p->doc.md.html_len, root, ix, self,
                strmap_get(&ix->plan_html, p->doc.id), 0);
    free(self);
}

/* The full plan: summary, text, contents, its goals and tasks. */
static void S_push_plan_full(lua_State *L, const plan *p, const char *root, const site_index *ix,
                             const site *s) {
    S_new_plan_summary(L, p);
    S_set_str(L, "path", p->doc.path);
    S_push_plan_html(L, p, root, ix);
    lua_setfield(L, -2, "html");
    lua_createtable(L, (int)p->doc.md.nblocks, 0);
    lua_Integer k = 1;
    for (size_t i = 0; i < p->doc.md.nblocks; i++) {
        const md_block *b = &p->doc.md.blocks[i];
        if (b->kind != MD_HEADING) continue;
        lua_createtable(L, 0, 4);
        S_set_int(L, "level", b->level);
        S_set_str(L, "anchor", b->anchor);
        S_set_str(L, "text", b->text);
        lua_rawseti(L, -2, k++);
    }
    lua_setfield(L, -2, "toc");
    S_push_yaml(L, p->doc.front);
    lua_setfield(L, -2, "front");
    /* parent plans, resolved: {id, title (nil when not in the site), url} */
    lua_createtable(L, (int)p->nparents, 0);
    for (size_t i = 0; i < p->nparents; i++) {
        const plan *pp = site_find_plan(s, p->parents[i]);
        lua_createtable(L, 0, 3);
        S_set_str(L, "id", p->parents[i]);
        if (pp) {
            S_set_str(L, "title", pp->doc.title);
            lua_pushfstring(L, "plans/%s/", pp->doc.id);
            lua_setfield(L, -2, "url");
        }
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "parent_plans");
    if (p->nrevisions) {
        S_push_revision(L, p, &p->revisions[0], 0);
        lua_setfield(L, -2, "last_change");
        S_set_int(L, "nrevisions", (long long)p->nrevisions);
        lua_pushfstring(L, "plans/%s/history/", p->doc.id);
        lua_setfield(L, -2, "history_url");
    }
    S_set_bool(L, "history_cut", p->history_cut);
    for (int r = ROLE_GOAL; r <= ROLE_MEASURE; r++) {
        lua_newtable(L);
        lua_Integer m = 1;
        for (size_t i = 0; i < p->nitems; i++) {
            if ((int)p->items[i]->role != r) continue;
            S_push_item_ref(L, p->items[i]);
            S_set_str(L, "anchor", p->doc.md.blocks[p->items[i]->block].anchor);
            S_set_int(L, "depth", 0);
            int depth = 0;
            for (const item *q = p->items[i]->parent; q; q = q->parent) depth++;
            S_set_int(L, "depth", depth);
            lua_rawseti(L, -2, m++);
        }
        lua_setfield(L, -2, role_dirs[r]);
    }
    if (p->issuer) {
        const body *b = bodies_get(&s->bodies, p->issuer);
        if (b) {
            S_push_body_ref(L, b);
            lua_setfield(L, -2, "issuer_body");
        }
    }
}

static void S_set_globals(tpl_engine *e, const site *s, const site_index *ix, const char *generator) {
    lua_State *L = tpl_engine_lua(e);

    lua_createtable(L, 0, 8);
    S_set_str(L, "title", s->cfg.title);
    S_set_str(L, "description", s->cfg.description);
    S_set_str(L, "language", s->cfg.language);
    S_set_str(L, "base_url", s->cfg.base_url);
    S_push_yaml(L, s->cfg.raw);
    lua_setfield(L, -2, "config");
    tpl_set_global(e, "site");

    char day[16];
    lua_createtable(L, 0, 8);
    S_set_str(L, "commit", s->commit.id);
    S_set_str(L, "rev", s->commit.short_id);
    S_set_str(L, "date", text_date_of(s->commit.time, s->commit.offset, day));
    S_set_str(L, "summary", s->commit.summary);
    S_set_bool(L, "worktree", s->worktree);
    S_set_str(L, "generator", generator);
    tpl_set_global(e, "build");

    /* the plan summaries, shared with the pages that show a plan's summary */
    lua_createtable(L, 0, (int)s->nplans);
    lua_createtable(L, (int)s->nplans, 0);
    for (size_t i = 0; i < s->nplans; i++) {
        S_new_plan_summary(L, s->plans[i]);
        lua_pushvalue(L, -1);
        lua_rawsetp(L, -4, s->plans[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    tpl_set_global(e, "plans");
    lua_rawsetp(L, LUA_REGISTRYINDEX, &S_key_plan_summaries);

    /* body references, shared by every list of bodies */
    lua_createtable(L, 0, (int)s->bodies.n);
    for (size_t i = 0; i < s->bodies.n; i++) {
        S_new_body_ref(L, s->bodies.items[i]);
        lua_rawsetp(L, -2, s->bodies.items[i]);
    }
    lua_rawsetp(L, LUA_REGISTRYINDEX, &S_key_body_refs);

    lua_createtable(L, (int)s->npages, 0);
    for (size_t i = 0; i < s->npages; i++) {
        lua_createtable(L, 0, 3);
        S_set_str(L, "id", s->pages[i]->doc.id);
        S_set_str(L, "title", s->pages[i]->doc.title);
        lua_pushfstring(L, "pages/%s/", s->pages[i]->doc.id);
        lua_setfield(L, -2, "url");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    tpl_set_global(e, "pages");

    lua_createtable(L, (int)s->bodies.n, 0);
    for (size_t i = 0; i < s->bodies.n; i++) {
        const body *b = s->bodies.items[i];
        const body_work *w = strmap_get(&ix->body_index, b->id);
        S_new_body_ref(L, b);
        S_set_int(L, "nleads", w ? (long long)w->nleads : 0);
        S_set_int(L, "npartners", w ? (long long)w->npartners : 0);
        S_set_int(L, "depth", b->depth);
        S_set_str(L, "kind", b->kind);
        S_set_str(L, "parent", b->parent ? b->parent->id : NULL);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    tpl_set_global(e, "bodies");

    lua_createtable(L, (int)s->nindicators, 0);
    for (size_t i = 0; i < s->nindicators; i++) {
        indicators_push(L, s->indicators[i], 0, s->cfg.language);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    tpl_set_global(e, "indicators");

    /* Interface strings: i18n/LANG.yaml of the theme. */
    lua_newtable(L);
    const yvalue *v = ix->i18n;
    for (size_t i = 0; v && v->kind == YAML_V_MAP && i < v->n; i++) {
        if (v->items[i]->kind != YAML_V_SCALAR) continue;
        lua_pushlstring(L, v->items[i]->str, v->items[i]->len);
        lua_setfield(L, -2, v->keys[i]->str);
    }
    tpl_set_global(e, "t");
}

/* ---- pages --------------------------------------------------------------- */

typedef enum {
    PAGE_INDEX, PAGE_PLAN, PAGE_FREE, PAGE_NOT_FOUND, PAGE_ITEM, PAGE_MATRIX, PAGE_BODY,
    PAGE_BODIES, PAGE_INDICATOR, PAGE_INDICATORS, PAGE_SEARCH, PAGE_HISTORY, PAGE_REVISION,
    PAGE_DIFF, PAGE_CHANGES, PAGE_COUNT
} page_kind;

static const char *const template_of[PAGE_COUNT] = {
    "index.html", "plan.html", "page.html", "404.html", "task.html", "matrix.html", "body.html",
    "bodies.html", "indicator.html", "indicators.html", "search.html", "history.html",
    "revision.html", "diff.html", "changes.html",
};
static const char *const kind_name[PAGE_COUNT] = {
    "index", "plan", "page", "404", "item", "matrix", "body", "bodies", "indicator",
    "indicators", "search", "history", "revision", "diff", "changes",
};

typedef struct page_job {
    page_kind kind;
    const void *obj;
    size_t index;        /* revision pages: the revision */
    const char *url_dir; /* "plans/x/" ; "" for the root */
} page_job;

typedef struct render_ctx {
    const site *s;
    const site_index *ix;
    output *o;
    diag *d;
    tpl_engine **engines;
    page_job *jobs;
    const render_options *opt;
    const change_ref *changes;
    size_t nchanges;
    strbuf *bufs;        /* two a worker, reused from page to page */
    size_t *group_start; /* pages [group_start[g], group_start[g + 1]) go together */
    atomic_int failed;
    atomic_int stop;     /* a page hit a limit: the pages left are not rendered */
} render_ctx;

/* An item's section of its plan's text made a whole part of its own page
 * (docs/themes.md): a list item goes into a list of its own, and headings
 * move up so that the highest is an h2 under the page's h1 (no level is
 * skipped). Replaces the string on the top of the stack. */
static void S_item_html_whole(lua_State *L) {
    size_t n;
    const char *h = lua_tolstring(L, -1, &n);
    int min = 7;
    for (size_t i = 0; i + 3 < n; i++)
        if (h[i] == '<' && h[i + 1] == 'h' && h[i + 2] >= '1' && h[i + 2] <= '6' &&
            (h[i + 3] == '>' || h[i + 3] == ' ') && h[i + 2] - '0' < min)
            min = h[i + 2] - '0';
    int shift = min < 7 && min > 2 ? min - 2 : 0;
    int list = n >= 4 && memcmp(h, "<li", 3) == 0 && (h[3] == '>' || h[3] == ' ');
    if (!shift && !list) return;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    if (list) luaL_addstring(&b, "<ul class=\"item-text-list\">\n");
    size_t from = 0;
    for (size_t i = 0; shift && i + 3 < n; i++) {
        size_t d = h[i + 1] == '/' ? i + 3 : i + 2; /* the digit of <hN or </hN */
        if (h[i] != '<' || d + 1 >= n || h[d - 1] != 'h' || h[d] < '1' || h[d] > '6' ||
            (h[d + 1] != '>' && h[d + 1] != ' ') || (d == i + 3 && h[i + 1] != '/'))
            continue;
        luaL_addlstring(&b, h + from, d - from);
        luaL_addchar(&b, (char)(h[d] - shift));
        from = d + 1;
    }
    luaL_addlstring(&b, h + from, n - from);
    if (list) luaL_addstring(&b, "</ul>\n");
    luaL_pushresult(&b);
    lua_remove(L, -2);
}

/* The section of a plan's HTML that an item heads. */
static void S_push_item_full(lua_State *L, const item *it, const char *root, const site_index *ix,
                             const char *lang) {
    S_push_item_ref(L, it);
    const md_block *b = &it->plan->doc.md.blocks[it->block];
    const md_doc *md = &it->plan->doc.md;
    size_t lo = b->html_off, hi = b->html_end ? b->html_end : md->html_len;
    if (lo > md->html_len) lo = md->html_len;
    if (hi > md->html_len || hi < lo) hi = md->html_len;
    S_push_html(L, md->html + lo, hi - lo, root, ix, NULL, strmap_get(&ix->plan_html, it->plan->doc.id),
                lo);
    S_item_html_whole(L);
    lua_setfield(L, -2, "html");
    S_push_plan_summary(L, it->plan);
    lua_setfield(L, -2, "plan");
    S_push_items(L, it->goals, it->ngoals);
    lua_setfield(L, -2, "goals");
    S_push_items(L, it->tasks, it->ntasks);
    lua_setfield(L, -2, "tasks");
    S_push_items(L, it->supports, it->nsupports);
    lua_setfield(L, -2, "supports");
    S_push_items(L, it->supported_by, it->nsupported_by);
    lua_setfield(L, -2, "supported_by");
    S_push_items(L, it->children, it->nchildren);
    lua_setfield(L, -2, "children");
    if (it->parent) {
        S_push_item_ref_shared(L, it->parent);
        lua_setfield(L, -2, "parent");
    }
    lua_createtable(L, (int)it->nindicators, 0);
    for (size_t i = 0; i < it->nindicators; i++) {
        indicators_push(L, it->indicators[i], 0, lang);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "indicators");
}

/* Items a body leads or joins, grouped by plan (plans in id order). */
static void S_push_by_plan(lua_State *L, const item *const *list, size_t n) {
    lua_newtable(L);
    lua_Integer k = 0;
    const plan *cur = NULL;
    lua_Integer m = 0;
    for (size_t i = 0; i < n; i++) {
        if (list[i]->plan != cur) {
            if (cur) lua_pop(L, 2); /* items, group */
            cur = list[i]->plan;
            lua_createtable(L, 0, 2);
            S_push_plan_summary(L, cur);
            lua_setfield(L, -2, "plan");
            lua_pushvalue(L, -1);
            lua_rawseti(L, -3, ++k);
            lua_newtable(L);
            lua_pushvalue(L, -1);
            lua_setfield(L, -3, "items");
            m = 0;
        }
        S_push_item_ref(L, list[i]);
        lua_rawseti(L, -2, ++m);
    }
    if (cur) lua_pop(L, 2);
}

static void S_push_body_full(lua_State *L, const body *b, const site_index *ix) {
    S_new_body_ref(L, b);
    S_push_strlist(L, b->aliases, b->naliases);
    lua_setfield(L, -2, "aliases");
    S_set_str(L, "kind", b->kind);
    S_set_str(L, "website", b->url);
    if (b->parent) {
        S_push_body_ref(L, b->parent);
        lua_setfield(L, -2, "parent");
    }
    S_push_bodies(L, (body *const *)b->children, b->nchildren);
    lua_setfield(L, -2, "children");
    const body_work *w = strmap_get(&ix->body_index, b->id);
    S_push_by_plan(L, w ? w->leads : NULL, w ? w->nleads : 0);
    lua_setfield(L, -2, "leads");
    S_push_by_plan(L, w ? w->partners : NULL, w ? w->npartners : 0);
    lua_setfield(L, -2, "partners");
    S_set_int(L, "nleads", w ? (long long)w->nleads : 0);
    S_set_int(L, "npartners", w ? (long long)w->npartners : 0);
}

/* The indicators a body leads. */
static void S_push_body_indicators(lua_State *L, const site *s, const body *b) {
    lua_newtable(L);
    lua_Integer k = 0;
    for (size_t i = 0; i < s->nindicators; i++) {
        if (s->indicators[i]->lead != b) continue;
        indicators_push(L, s->indicators[i], 0, s->cfg.language);
        lua_rawseti(L, -2, ++k);
    }
}

/* The division of work: rows are the plan's tasks and measures, columns
 * the bodies named, cells "lead", "partner" or false. */
static void S_push_matrix(lua_State *L, const plan *p) {
    const body *cols[512];
    size_t ncols = 0;
    for (size_t i = 0; i < p->nitems; i++) {
        const item *it = p->items[i];
        for (int pass = 0; pass < 2; pass++) {
            body *const *list = pass ? it->partners : it->leads;
            size_t n = pass ? it->npartners : it->nleads;
            for (size_t k = 0; k < n; k++) {
                size_t c = 0;
                while (c < ncols && cols[c] != list[k]) c++;
                if (c == ncols && ncols < sizeof cols / sizeof *cols) cols[ncols++] = list[k];
            }
        }
    }
    lua_createtable(L, 0, 2);
    lua_createtable(L, (int)ncols, 0);
    for (size_t c = 0; c < ncols; c++) {
        S_push_body_ref(L, cols[c]);
        lua_rawseti(L, -2, (lua_Integer)c + 1);
    }
    lua_setfield(L, -2, "bodies");
    lua_newtable(L);
    lua_Integer r = 0;
    for (size_t i = 0; i < p->nitems; i++) {
        const item *it = p->items[i];
        if (it->role == ROLE_GOAL) continue;
        S_push_item_ref(L, it);
        int depth = 0;
        for (const item *q = it->parent; q; q = q->parent) depth++;
        S_set_int(L, "depth", depth);
        lua_createtable(L, (int)ncols, 0);
        for (size_t c = 0; c < ncols; c++) {
            const char *cell = NULL;
            for (size_t k = 0; k < it->nleads && !cell; k++)
                if (it->leads[k] == cols[c]) cell = "lead";
            for (size_t k = 0; k < it->npartners && !cell; k++)
                if (it->partners[k] == cols[c]) cell = "partner";
            if (cell) lua_pushstring(L, cell);
            else lua_pushboolean(L, 0);
            lua_rawseti(L, -2, (lua_Integer)c + 1);
        }
        lua_setfield(L, -2, "cells");
        lua_rawseti(L, -2, ++r);
    }
    lua_setfield(L, -2, "rows");
}

static const char *S_template_for(tpl_engine *e, const page_job *j) {
    if (j->kind == PAGE_ITEM) {
        const item *it = j->obj;
        if (it->role == ROLE_GOAL) return "goal.html";
        if (it->role == ROLE_MEASURE && tpl_has(e, "measure.html")) return "measure.html";
        return "task.html";
    }
    return template_of[j->kind];
}

/* The source of a page, for diagnostics: "plans/x/ from content/plans/x.md". */
static const char *S_job_context(arena *a, const page_job *j) {
    const char *src = NULL;
    int line = 0;
    switch (j->kind) {
    case PAGE_PLAN:
    case PAGE_MATRIX:
    case PAGE_HISTORY:
    case PAGE_REVISION:
    case PAGE_DIFF: src = ((const plan *)j->obj)->doc.path; break;
    case PAGE_ITEM:
        src = ((const item *)j->obj)->plan->doc.path;
        line = ((const item *)j->obj)->line;
        break;
    case PAGE_FREE: src = ((const document *)j->obj)->path; break;
    case PAGE_INDICATOR:
        src = ((const indicator *)j->obj)->path;
        line = ((const indicator *)j->obj)->line;
        break;
    default: break;
    }
    const char *url = j->kind == PAGE_NOT_FOUND ? "404.html" : *j->url_dir ? j->url_dir : "the home page";
    if (!src) return arena_printf(a, "%s", url);
    if (line > 0) return arena_printf(a, "%s from %s:%d", url, src, line);
    return arena_printf(a, "%s from %s", url, src);
}

static void S_render_one(void *vctx, size_t i, int worker) {
    render_ctx *ctx = vctx;
    page_job *j = &ctx->jobs[i];
    tpl_engine *e = ctx->engines[worker];
    lua_State *L = tpl_engine_lua(e);
    if (atomic_load(&ctx->stop)) {
        progress_tick();
        return;
    }
    arena *a = arena_new();
    tpl_set_context(e, S_job_context(a, j));
    strbuf *bufs = &ctx->bufs[2 * worker];
    for (int b = 0; b < 2; b++) {
        if (bufs[b].oom) sb_free(&bufs[b]);
        sb_clear(&bufs[b]);
    }
    strbuf *content = &bufs[0], *html = &bufs[1];
    const char *root = j->kind == PAGE_NOT_FOUND ? S_not_found_root(a, ctx->s->cfg.base_url)
                                                 : render_root_prefix(a, j->url_dir);

    /* The page's own data: `page` and, by kind, `plan`, `item`, `body`, `doc`. */
    lua_createtable(L, 0, 6);
    lua_createtable(L, 0, 6);
    S_set_str(L, "kind", kind_name[j->kind]);
    S_set_str(L, "url", j->url_dir);
    S_set_str(L, "root", root);
    switch (j->kind) {
    case PAGE_PLAN:
    case PAGE_MATRIX: {
        const plan *p = j->obj;
        S_set_str(L, "title", p->doc.title);
        lua_setfield(L, -2, "page");
        /* the plan's table is made for its plan page and kept for its matrix
         * page (S_render_group), which gets the text placed for its root */
        int cached = 0, top = lua_gettop(L);
        if (j->kind == PAGE_MATRIX) {
            if (lua_rawgetp(L, LUA_REGISTRYINDEX, &S_key_plan_full) == LUA_TTABLE &&
                lua_rawgetp(L, -1, p) == LUA_TTABLE) {
                lua_remove(L, -2);
                cached = 1;
            } else {
                lua_settop(L, top);
            }
        }
        if (cached) {
            S_push_plan_html(L, p, root, ctx->ix);
            lua_setfield(L, -2, "html");
        } else {
            S_push_plan_full(L, p, root, ctx->ix, ctx->s);
            if (lua_rawgetp(L, LUA_REGISTRYINDEX, &S_key_plan_full) == LUA_TTABLE) {
                lua_pushvalue(L, -2);
                lua_rawsetp(L, -2, p);
            }
            lua_pop(L, 1);
        }
        lua_setfield(L, -2, "plan");
        if (j->kind == PAGE_MATRIX) {
            S_push_matrix(L, p);
            lua_setfield(L, -2, "matrix");
        }
        break;
    }
    case PAGE_FREE: {
        const page *pg = j->obj;
        S_set_str(L, "title", pg->doc.title);
        lua_setfield(L, -2, "page");
        lua_createtable(L, 0, 6);
        S_set_str(L, "id", pg->doc.id);
        S_set_str(L, "title", pg->doc.title);
        S_set_str(L, "path", pg->doc.path);
        S_push_html(L, pg->doc.md.html, pg->doc.md.html_len, root, ctx->ix, NULL, NULL, 0);
        lua_setfield(L, -2, "html");
        lua_newtable(L);
        lua_Integer k = 1;
        for (size_t b = 0; b < pg->doc.md.nblocks; b++) {
            const md_block *blk = &pg->doc.md.blocks[b];
            if (blk->kind != MD_HEADING) continue;
            lua_createtable(L, 0, 3);
            S_set_int(L, "level", blk->level);
            S_set_str(L, "anchor", blk->anchor);
            S_set_str(L, "text", blk->text);
            lua_rawseti(L, -2, k++);
        }
        lua_setfield(L, -2, "toc");
        S_push_yaml(L, pg->doc.front);
        lua_setfield(L, -2, "front");
        lua_setfield(L, -2, "doc");
        break;
    }
    case PAGE_ITEM: {
        const item *it = j->obj;
        S_set_str(L, "title", it->title);
        S_set_str(L, "role", item_role_name(it->role));
        lua_setfield(L, -2, "page");
        S_push_item_full(L, it, root, ctx->ix, ctx->s->cfg.language);
        lua_setfield(L, -2, "item");
        break;
    }
    case PAGE_HISTORY: {
        const plan *p = j->obj;
        S_set_str(L, "title", p->doc.title);
        lua_setfield(L, -2, "page");
        S_new_plan_summary(L, p);
        S_set_bool(L, "history_cut", p->history_cut);
        lua_setfield(L, -2, "plan");
        S_push_history(L, p);
        lua_setfield(L, -2, "revisions");
        break;
    }
    case PAGE_REVISION:
    case PAGE_DIFF: {
        const plan *p = j->obj;
        const plan_revision *rv = &p->revisions[j->index];
        S_set_str(L, "title", rv->title);
        lua_setfield(L, -2, "page");
        S_push_plan_summary(L, p);
        lua_setfield(L, -2, "plan");
        S_push_revision(L, p, rv, j->index);
        if (j->kind == PAGE_REVISION) {
            S_push_html(L, rv->html, rv->html_len, root, ctx->ix, NULL, NULL, 0);
            lua_setfield(L, -2, "html");
        } else {
            lua_pushstring(L, rv->diff_html ? rv->diff_html : "");
            lua_setfield(L, -2, "diff_html");
        }
        lua_setfield(L, -2, "revision");
        break;
    }
    case PAGE_CHANGES: {
        lua_setfield(L, -2, "page");
        lua_createtable(L, (int)ctx->nchanges, 0);
        for (size_t c = 0; c < ctx->nchanges; c++) {
            const change_ref *cr = &ctx->changes[c];
            if (cr->ind) {
                /* what one commit changed in an indicator */
                const repo_commit *cm = changes_commit(cr);
                char day[16];
                lua_createtable(L, 0, 10);
                S_set_str(L, "kind", "indicator");
                S_set_str(L, "indicator_id", cr->ind->id);
                S_set_str(L, "indicator_name", cr->ind->name);
                lua_pushfstring(L, "indicators/%s/", cr->ind->id);
                lua_setfield(L, -2, "url");
                S_set_str(L, "rev", cm->short_id);
                S_set_str(L, "commit", cm->id);
                S_set_str(L, "date", text_date_of(cm->author_time, cm->author_offset, day));
                S_set_str(L, "author", cm->author);
                S_set_str(L, "message", cm->summary);
                indicators_push_changes(L, cr->ind, cr->first, cr->count, ctx->s->cfg.language);
                lua_setfield(L, -2, "changes");
            } else {
                S_push_revision(L, cr->p, &cr->p->revisions[cr->index], cr->index);
                S_set_str(L, "kind", "plan");
                S_set_str(L, "plan_id", cr->p->doc.id);
                S_set_str(L, "plan_title", cr->p->doc.title);
            }
            lua_rawseti(L, -2, (lua_Integer)c + 1);
        }
        lua_setfield(L, -2, "changes");
        break;
    }
    case PAGE_INDICATOR: {
        const indicator *ind = j->obj;
        S_set_str(L, "title", ind->name);
        lua_setfield(L, -2, "page");
        indicators_push(L, ind, 1, ctx->s->cfg.language);
        lua_setfield(L, -2, "indicator");
        break;
    }
    case PAGE_BODY: {
        const body *b = j->obj;
        S_set_str(L, "title", b->name);
        lua_setfield(L, -2, "page");
        S_push_body_full(L, b, ctx->ix);
        S_push_body_indicators(L, ctx->s, b);
        lua_setfield(L, -2, "indicators");
        lua_setfield(L, -2, "body");
        break;
    }
    default:
        lua_setfield(L, -2, "page");
        break;
    }
    /* Keep the data for the layout: the content template pops it. */
    lua_pushvalue(L, -1);
    int ref = luaL_ref(L, LUA_REGISTRYINDEX);
    if (tpl_render(e, S_template_for(e, j), content, ctx->d) < 0) goto limit;
    lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
    lua_pushlstring(L, sb_str(content), content->len);
    lua_setfield(L, -2, "content");
    if (tpl_render(e, "layout.html", html, ctx->d) < 0) goto limit;
    if (html->oom) {
        diag_error(ctx->d, NULL, 0, 0, "out of memory rendering %s", j->url_dir);
        goto fail;
    }
    {
        const char *rel = j->kind == PAGE_NOT_FOUND ? "404.html"
                                                    : arena_printf(a, "%sindex.html", j->url_dir);
        if (output_write(ctx->o, rel, html->ptr, html->len, ctx->d) < 0) goto fail;
    }
    goto done;
limit:
    /* a limit hit on one page would most likely be hit on the next ones,
     * each spending its whole budget (a looping footer: a second a page) */
    if (tpl_limit_hit(e)) atomic_store(&ctx->stop, 1);
fail:
    atomic_store(&ctx->failed, 1);
done:
    tpl_set_context(e, NULL);
    progress_tick();
    luaL_unref(L, LUA_REGISTRYINDEX, ref);
    lua_settop(L, 0);
    arena_free(a);
}

/* The plan a page belongs to, or NULL. */
static const plan *S_job_plan(const page_job *j) {
    switch (j->kind) {
    case PAGE_PLAN:
    case PAGE_MATRIX:
    case PAGE_HISTORY:
    case PAGE_REVISION:
    case PAGE_DIFF: return j->obj;
    case PAGE_ITEM: return ((const item *)j->obj)->plan;
    default: return NULL;
    }
}

/* Renders the pages of group g (a plan's pages, or one other page) on one
 * worker, which keeps the tables they share meanwhile: the plan's full
 * table (plan and matrix pages) and item references. */
static void S_render_group(void *vctx, size_t g, int worker) {
    render_ctx *ctx = vctx;
    lua_State *L = tpl_engine_lua(ctx->engines[worker]);
    int shared = ctx->group_start[g + 1] - ctx->group_start[g] > 1;
    if (shared) {
        lua_newtable(L);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &S_key_item_refs);
        lua_newtable(L);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &S_key_plan_full);
    }
    for (size_t i = ctx->group_start[g]; i < ctx->group_start[g + 1]; i++) S_render_one(ctx, i, worker);
    if (shared) {
        lua_pushnil(L);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &S_key_item_refs);
        lua_pushnil(L);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &S_key_plan_full);
    }
}

static int S_compile_templates(tpl_engine *e, const theme *t, diag *d) {
    int rc = 0;
    for (size_t i = 0; i < t->n; i++) {
        const theme_file *f = &t->files[i];
        if (strncmp(f->rel, "templates/", 10) != 0 || !text_ends_with(f->rel, ".html")) continue;
        if (tpl_compile(e, f->rel + 10, f->shown, f->data, f->len, d) < 0) rc = -1;
    }
    return rc;
}

/* Every plan's text scanned once for its splices, in parallel. */
typedef struct scan_ctx {
    const site *s;
    const site_index *ix;
    html_splices *out;
} scan_ctx;

static void S_scan_one(void *vctx, size_t i, int worker) {
    (void)worker;
    scan_ctx *c = vctx;
    const plan *p = c->s->plans[i];
    S_scan_html(p->doc.md.html ? p->doc.md.html : "", p->doc.md.html ? p->doc.md.html_len : 0, c->ix,
                &c->out[i]);
}

static html_splices *S_scan_plans(const site *s, site_index *ix, int jobs) {
    html_splices *v = calloc(s->nplans ? s->nplans : 1, sizeof *v);
    if (!v) return NULL;
    scan_ctx c = {s, ix, v};
    workers_run(jobs, s->nplans, S_scan_one, &c);
    for (size_t i = 0; i < s->nplans; i++)
        if (!v[i].oom) strmap_put(&ix->plan_html, s->plans[i]->doc.id, &v[i]);
    return v;
}

size_t render_page_count(const site *s) {
    size_t n = 6 + s->nplans * 3 + s->npages + s->bodies.n + s->nindicators;
    for (size_t i = 0; i < s->nplans; i++) n += s->plans[i]->nitems + 2 * s->plans[i]->nrevisions;
    return n;
}

int render_site(const site *s, const theme *t, output *o, const render_options *opt, diag *d) {
    int jobs = opt->jobs < 1 ? 1 : opt->jobs;
    int rc = -1;
    arena *a = arena_new();
    tpl_engine **engines = calloc((size_t)jobs, sizeof *engines);
    site_index ix;
    memset(&ix, 0, sizeof ix);
    S_build_index(a, s, &ix);
    html_splices *plan_html = NULL;
    strbuf *bufs = NULL;
    /* one budget of instructions for all the pages together, on every thread */
    sandbox_total pages_used;
    atomic_init(&pages_used.used, 0);
    sandbox_limits lim = opt->limits;
    lim.total = &pages_used;
    lim.total_key = "lua_instructions_pages";

    /* Interface strings of the site's language. */
    char rel[64];
    snprintf(rel, sizeof rel, "i18n/%s.yaml", s->cfg.language);
    const theme_file *tf = theme_find(t, rel);
    if (!tf) {
        diag_error(d, NULL, 0, 0, "theme \"%s\" has no %s", t->name, rel);
        goto done;
    }
    if (yaml_parse_doc(a, d, tf->shown, 1, tf->data, tf->len, &ix.i18n) < 0) goto done;

    /* Static files first: they are plain copies. */
    for (size_t i = 0; i < t->n; i++) {
        const theme_file *f = &t->files[i];
        if (strncmp(f->rel, "static/", 7) != 0) continue;
        if (output_write(o, f->rel + 7, f->data, f->len, d) < 0) goto done;
    }

    for (int k = 0; k < jobs; k++) {
        engines[k] = tpl_engine_new(&lim);
        if (!engines[k]) {
            diag_error(d, NULL, 0, 0, "cannot create a Lua state (out of memory)");
            goto done;
        }
        /* Every engine compiles the same sources; report errors once. */
        diag *dd = k == 0 ? d : diag_new(0);
        int crc = S_compile_templates(engines[k], t, dd);
        if (k) diag_free(dd);
        if (crc < 0) goto done;
        if (k == 0) {
            static const char *const required[] = {"layout.html", "index.html", "plan.html",
                                                   "page.html", "404.html", "goal.html",
                                                   "task.html", "matrix.html", "body.html",
                                                   "bodies.html", "indicator.html",
                                                   "indicators.html", "search.html",
                                                   "history.html", "revision.html", "diff.html",
                                                   "changes.html"};
            for (size_t m = 0; m < sizeof required / sizeof *required; m++)
                if (!tpl_has(engines[k], required[m]))
                    diag_error(d, NULL, 0, 0, "theme \"%s\" has no templates/%s", t->name, required[m]);
        }
        if (diag_errors(d)) goto done;
        S_set_globals(engines[k], s, &ix, opt->generator);
    }

    size_t n = render_page_count(s), k = 0;
    page_job *pj = arena_alloc(a, n * sizeof *pj);
    pj[k++] = (page_job){PAGE_INDEX, NULL, 0, ""};
    pj[k++] = (page_job){PAGE_NOT_FOUND, NULL, 0, ""};
    pj[k++] = (page_job){PAGE_BODIES, NULL, 0, "bodies/"};
    pj[k++] = (page_job){PAGE_INDICATORS, NULL, 0, "indicators/"};
    if (s->history) pj[k++] = (page_job){PAGE_CHANGES, NULL, 0, "changes/"};
    pj[k++] = (page_job){PAGE_SEARCH, NULL, 0, "search/"};
    for (size_t i = 0; i < s->nindicators; i++)
        pj[k++] = (page_job){PAGE_INDICATOR, s->indicators[i], 0,
                             arena_printf(a, "indicators/%s/", s->indicators[i]->id)};
    for (size_t i = 0; i < s->nplans; i++) {
        const plan *p = s->plans[i];
        pj[k++] = (page_job){PAGE_PLAN, p, 0, arena_printf(a, "plans/%s/", p->doc.id)};
        pj[k++] = (page_job){PAGE_MATRIX, p, 0, arena_printf(a, "plans/%s/matrix/", p->doc.id)};
        if (s->history) {
            pj[k++] = (page_job){PAGE_HISTORY, p, 0, arena_printf(a, "plans/%s/history/", p->doc.id)};
            for (size_t m = 0; m < p->nrevisions; m++) {
                const char *rev = p->revisions[m].commit.short_id;
                pj[k++] = (page_job){PAGE_REVISION, p, m, arena_printf(a, "plans/%s/history/%s/", p->doc.id, rev)};
                pj[k++] = (page_job){PAGE_DIFF, p, m, arena_printf(a, "plans/%s/diff/%s/", p->doc.id, rev)};
            }
        }
        for (size_t m = 0; m < p->nitems; m++)
            pj[k++] = (page_job){PAGE_ITEM, p->items[m], 0,
                                 arena_printf(a, "plans/%s/%s/%s/", p->doc.id,
                                              role_dirs[p->items[m]->role], p->items[m]->id)};
    }
    for (size_t i = 0; i < s->npages; i++)
        pj[k++] = (page_job){PAGE_FREE, s->pages[i], 0, arena_printf(a, "pages/%s/", s->pages[i]->doc.id)};
    for (size_t i = 0; i < s->bodies.n; i++)
        pj[k++] = (page_job){PAGE_BODY, s->bodies.items[i], 0,
                             arena_printf(a, "bodies/%s/", s->bodies.items[i]->id)};

    size_t nchanges = 0;
    change_ref *changes = changes_list(a, s, &nchanges);
    if (s->history && changes_write_feed(s, changes, nchanges, o, d) < 0) goto done;
    plan_html = S_scan_plans(s, &ix, jobs);
    bufs = calloc(2 * (size_t)jobs, sizeof *bufs);
    if (!bufs) {
        diag_error(d, NULL, 0, 0, "out of memory");
        goto done;
    }
    size_t ngroups = 0, *group_start = arena_alloc(a, (k + 1) * sizeof *group_start);
    for (size_t m = 0; m < k; m++) {
        const plan *gp = S_job_plan(&pj[m]);
        if (m == 0 || !gp || gp != S_job_plan(&pj[m - 1])) group_start[ngroups++] = m;
    }
    group_start[ngroups] = k;
    render_ctx ctx = {s, &ix, o, d, engines, pj, opt, changes, nchanges, bufs, group_start, 0, 0};
    atomic_init(&ctx.failed, 0);
    atomic_init(&ctx.stop, 0);
    workers_run(jobs, ngroups, S_render_group, &ctx);
    rc = atomic_load(&ctx.failed) ? -1 : 0;
    if (progress_timings())
        fprintf(stderr, "planpress:   templates: %lld instructions in all\n", (long long)atomic_load(&pages_used.used));
done:
    for (size_t m = 0; bufs && m < 2 * (size_t)jobs; m++) sb_free(&bufs[m]);
    free(bufs);
    for (size_t m = 0; plan_html && m < s->nplans; m++) free(plan_html[m].v);
    free(plan_html);
    for (int m = 0; m < jobs; m++)
        if (engines[m]) tpl_engine_free(engines[m]);
    free(engines);
    arena_free(a);
    return rc;
}
