/* render.c — from the model to pages: Lua tables for templates, one engine
 * per worker thread, every page written to the output folder. */
#include "render.h"

#include <lauxlib.h>
#include <stdatomic.h>
#include <lua.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"
#include "progress.h"
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

/* ---- the shared data: built once per engine ------------------------------ */

static void S_push_plan_summary(lua_State *L, const plan *p) {
    lua_createtable(L, 0, 12);
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
}

static void S_set_globals(tpl_engine *e, const site *s, const theme *t, const char *generator) {
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

    lua_createtable(L, (int)s->nplans, 0);
    for (size_t i = 0; i < s->nplans; i++) {
        S_push_plan_summary(L, s->plans[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    tpl_set_global(e, "plans");

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

    /* Interface strings: i18n/LANG.yaml of the theme, already parsed. */
    char rel[64];
    snprintf(rel, sizeof rel, "i18n/%s.yaml", s->cfg.language);
    const theme_file *tf = theme_find(t, rel);
    lua_newtable(L);
    if (tf) {
        arena *a = arena_new();
        diag *quiet = diag_new(0);
        yvalue *v = NULL;
        if (yaml_parse_doc(a, quiet, tf->shown, 1, tf->data, tf->len, &v) == 0 && v &&
            v->kind == YAML_V_MAP) {
            for (size_t i = 0; i < v->n; i++) {
                if (v->items[i]->kind != YAML_V_SCALAR) continue;
                lua_pushlstring(L, v->items[i]->str, v->items[i]->len);
                lua_setfield(L, -2, v->keys[i]->str);
            }
        }
        diag_free(quiet);
        arena_free(a);
    }
    tpl_set_global(e, "t");
}

/* ---- pages --------------------------------------------------------------- */

typedef enum { PAGE_INDEX, PAGE_PLAN, PAGE_FREE, PAGE_NOT_FOUND } page_kind;

typedef struct page_job {
    page_kind kind;
    const void *obj;
    const char *url_dir; /* "plans/x/" ; "" for the root */
} page_job;

typedef struct render_ctx {
    const site *s;
    const theme *t;
    output *o;
    diag *d;
    tpl_engine **engines;
    page_job *jobs;
    const render_options *opt;
    atomic_int failed;
} render_ctx;

static void S_push_toc(lua_State *L, const md_doc *md) {
    lua_createtable(L, (int)md->nblocks, 0);
    lua_Integer k = 1;
    for (size_t i = 0; i < md->nblocks; i++) {
        const md_block *b = &md->blocks[i];
        if (b->kind != MD_HEADING) continue;
        lua_createtable(L, 0, 3);
        S_set_int(L, "level", b->level);
        S_set_str(L, "anchor", b->anchor);
        S_set_str(L, "text", b->text);
        lua_rawseti(L, -2, k++);
    }
}

static void S_push_document(lua_State *L, const document *doc) {
    S_set_str(L, "id", doc->id);
    S_set_str(L, "title", doc->title);
    S_set_str(L, "path", doc->path);
    lua_pushlstring(L, doc->md.html ? doc->md.html : "", doc->md.html_len);
    lua_setfield(L, -2, "html");
    S_push_toc(L, &doc->md);
    lua_setfield(L, -2, "toc");
    S_push_yaml(L, doc->front);
    lua_setfield(L, -2, "front");
}

static const char *const template_of[] = {"index.html", "plan.html", "page.html", "404.html"};
static const char *const kind_name[] = {"index", "plan", "page", "404"};

static void S_render_one(void *vctx, size_t i, int worker) {
    render_ctx *ctx = vctx;
    page_job *j = &ctx->jobs[i];
    tpl_engine *e = ctx->engines[worker];
    lua_State *L = tpl_engine_lua(e);
    arena *a = arena_new();
    strbuf content = STRBUF_INIT, html = STRBUF_INIT;
    const char *root = render_root_prefix(a, j->url_dir);

    /* The page's own data: `page` and, by kind, `plan` or `doc`. */
    lua_createtable(L, 0, 6);
    lua_createtable(L, 0, 6);
    S_set_str(L, "kind", kind_name[j->kind]);
    S_set_str(L, "url", j->url_dir);
    S_set_str(L, "root", root);
    if (j->kind == PAGE_PLAN) {
        const plan *p = j->obj;
        S_set_str(L, "title", p->doc.title);
        lua_setfield(L, -2, "page");
        S_push_plan_summary(L, p);
        S_push_document(L, &p->doc);
        lua_setfield(L, -2, "plan");
    } else if (j->kind == PAGE_FREE) {
        const page *pg = j->obj;
        S_set_str(L, "title", pg->doc.title);
        lua_setfield(L, -2, "page");
        lua_createtable(L, 0, 6);
        S_push_document(L, &pg->doc);
        lua_setfield(L, -2, "doc");
    } else {
        lua_setfield(L, -2, "page");
    }
    /* Keep the data for the layout: the content template pops it. */
    lua_pushvalue(L, -1);
    int ref = luaL_ref(L, LUA_REGISTRYINDEX);
    if (tpl_render(e, template_of[j->kind], &content, ctx->d) < 0) goto fail;
    lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
    lua_pushlstring(L, sb_str(&content), content.len);
    lua_setfield(L, -2, "content");
    if (tpl_render(e, "layout.html", &html, ctx->d) < 0) goto fail;
    if (html.oom) {
        diag_error(ctx->d, NULL, 0, 0, "out of memory rendering %s", j->url_dir);
        goto fail;
    }
    {
        const char *rel = j->kind == PAGE_NOT_FOUND ? "404.html"
                                                    : arena_printf(a, "%sindex.html", j->url_dir);
        if (output_write(ctx->o, rel, html.ptr, html.len, ctx->d) < 0) goto fail;
    }
    goto done;
fail:
    atomic_store(&ctx->failed, 1);
done:
    progress_tick();
    luaL_unref(L, LUA_REGISTRYINDEX, ref);
    lua_settop(L, 0);
    sb_free(&content);
    sb_free(&html);
    arena_free(a);
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

int render_site(const site *s, const theme *t, output *o, const render_options *opt, diag *d) {
    int jobs = opt->jobs < 1 ? 1 : opt->jobs;
    int rc = -1;
    arena *a = arena_new();
    tpl_engine **engines = calloc((size_t)jobs, sizeof *engines);

    /* Static files first: they are plain copies. */
    for (size_t i = 0; i < t->n; i++) {
        const theme_file *f = &t->files[i];
        if (strncmp(f->rel, "static/", 7) != 0) continue;
        if (output_write(o, f->rel + 7, f->data, f->len, d) < 0) goto done;
    }

    for (int k = 0; k < jobs; k++) {
        engines[k] = tpl_engine_new(&opt->limits);
        if (!engines[k]) {
            diag_error(d, NULL, 0, 0, "cannot create a Lua state (out of memory)");
            goto done;
        }
        /* Every engine compiles the same sources; report errors once. */
        diag *dd = k == 0 ? d : diag_new(0);
        int crc = S_compile_templates(engines[k], t, dd);
        if (k) diag_free(dd);
        if (crc < 0) goto done;
        for (size_t m = 0; m < sizeof template_of / sizeof *template_of; m++) {
            if (!tpl_has(engines[k], template_of[m]) && k == 0)
                diag_error(d, NULL, 0, 0, "theme \"%s\" has no templates/%s", t->name, template_of[m]);
        }
        if (!tpl_has(engines[k], "layout.html")) {
            if (k == 0) diag_error(d, NULL, 0, 0, "theme \"%s\" has no templates/layout.html", t->name);
        }
        if (diag_errors(d)) goto done;
        S_set_globals(engines[k], s, t, opt->generator);
    }

    size_t n = 2 + s->nplans + s->npages;
    page_job *pj = arena_alloc(a, n * sizeof *pj);
    size_t k = 0;
    pj[k++] = (page_job){PAGE_INDEX, NULL, ""};
    pj[k++] = (page_job){PAGE_NOT_FOUND, NULL, ""};
    for (size_t i = 0; i < s->nplans; i++)
        pj[k++] = (page_job){PAGE_PLAN, s->plans[i], arena_printf(a, "plans/%s/", s->plans[i]->doc.id)};
    for (size_t i = 0; i < s->npages; i++)
        pj[k++] = (page_job){PAGE_FREE, s->pages[i], arena_printf(a, "pages/%s/", s->pages[i]->doc.id)};

    render_ctx ctx = {s, t, o, d, engines, pj, opt, 0};
    atomic_init(&ctx.failed, 0);
    workers_run(jobs, n, S_render_one, &ctx);
    rc = atomic_load(&ctx.failed) ? -1 : 0;
done:
    for (int m = 0; m < jobs; m++)
        if (engines[m]) tpl_engine_free(engines[m]);
    free(engines);
    arena_free(a);
    return rc;
}
