/* datafiles.c — data/site.json and sitemap.xml. */
#include "datafiles.h"

#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "indicators.h"
#include "json.h"
#include "text.h"

static void S_strlist(json_writer *w, const char *key, const char *const *items, size_t n) {
    json_key(w, key);
    json_array_begin(w);
    for (size_t i = 0; i < n; i++) json_string(w, items[i]);
    json_array_end(w);
}

static const char *const role_dirs[] = {"goals", "tasks", "measures"};

/* An item's key: "id" in its plan, "plan#id" across plans. */
static void S_item_key(json_writer *w, const item *it) {
    char key[256];
    snprintf(key, sizeof key, "%s#%s", it->plan->doc.id, it->id);
    json_string(w, key);
}

static void S_item_list(json_writer *w, const char *key, item *const *list, size_t n) {
    json_key(w, key);
    json_array_begin(w);
    for (size_t i = 0; i < n; i++) S_item_key(w, list[i]);
    json_array_end(w);
}

static void S_item_ids(json_writer *w, const char *key, const plan *p, int role) {
    json_key(w, key);
    json_array_begin(w);
    for (size_t i = 0; i < p->nitems; i++)
        if ((int)p->items[i]->role == role) json_string(w, p->items[i]->id);
    json_array_end(w);
}

static void S_body_ids(json_writer *w, const char *key, body *const *list, size_t n) {
    json_key(w, key);
    json_array_begin(w);
    for (size_t i = 0; i < n; i++) json_string(w, list[i]->id);
    json_array_end(w);
}

static void S_item(json_writer *w, const item *it) {
    char url[512];
    snprintf(url, sizeof url, "plans/%s/%s/%s/", it->plan->doc.id, role_dirs[it->role], it->id);
    json_object_begin(w);
    json_kv_str(w, "id", it->id);
    json_kv_str(w, "plan", it->plan->doc.id);
    json_kv_str(w, "title", it->title);
    json_kv_str(w, "url", url);
    json_kv_str(w, "number", it->number);
    json_key(w, "generated_id");
    json_bool(w, it->generated_id);
    if (it->parent) {
        json_kv_str(w, "parent", it->parent->id);
    }
    if (it->role == ROLE_GOAL) {
        S_item_list(w, "tasks", it->tasks, it->ntasks);
        S_item_list(w, "supports", it->supports, it->nsupports);
        S_item_list(w, "supported_by", it->supported_by, it->nsupported_by);
    } else {
        S_item_list(w, "goals", it->goals, it->ngoals);
        json_kv_str(w, "due", it->due);
        S_body_ids(w, "lead", it->leads, it->nleads);
        S_body_ids(w, "partners", it->partners, it->npartners);
        json_key(w, "parties");
        json_array_begin(w);
        for (size_t i = 0; i < it->nparties; i++) json_string(w, it->parties[i]);
        json_array_end(w);
    }
    json_key(w, "indicators");
    json_array_begin(w);
    for (size_t i = 0; i < it->nindicators; i++) json_string(w, it->indicators[i]->id);
    json_array_end(w);
    json_object_end(w);
}

/* The items each body leads and joins, gathered in one pass over the items
 * (in plan and item order, as the lists are written). */
typedef struct body_items {
    const body *b;
    const item **v[2]; /* [0] joins, [1] leads */
    size_t n[2], cap[2];
} body_items;

static int S_cmp_body_items(const void *x, const void *y) {
    const body *a = ((const body_items *)x)->b, *b = ((const body_items *)y)->b;
    return a < b ? -1 : a > b;
}

static body_items *S_find_body_items(body_items *bi, size_t n, const body *b) {
    body_items key = {.b = b};
    return bsearch(&key, bi, n, sizeof *bi, S_cmp_body_items);
}

static int S_add_body_item(body_items *e, int lead, const item *it) {
    if (e->n[lead] == e->cap[lead]) {
        size_t cap = e->cap[lead] ? e->cap[lead] * 2 : 16;
        const item **v = realloc(e->v[lead], cap * sizeof *v);
        if (!v) return -1;
        e->v[lead] = v;
        e->cap[lead] = cap;
    }
    e->v[lead][e->n[lead]++] = it;
    return 0;
}

/* NULL when out of memory; free with S_free_body_items. Sorted by body
 * address (for S_find_body_items). */
static body_items *S_gather_body_items(const site *s) {
    size_t nb = s->bodies.n;
    body_items *bi = calloc(nb ? nb : 1, sizeof *bi);
    if (!bi) return NULL;
    for (size_t i = 0; i < nb; i++) bi[i].b = s->bodies.items[i];
    qsort(bi, nb, sizeof *bi, S_cmp_body_items);
    for (size_t i = 0; i < s->nplans; i++)
        for (size_t k = 0; k < s->plans[i]->nitems; k++) {
            const item *it = s->plans[i]->items[k];
            for (int lead = 0; lead < 2; lead++) {
                body *const *list = lead ? it->leads : it->partners;
                size_t n = lead ? it->nleads : it->npartners;
                for (size_t m = 0; m < n; m++) {
                    body_items *e = S_find_body_items(bi, nb, list[m]);
                    if (e && S_add_body_item(e, lead, it) < 0) {
                        for (size_t j = 0; j < nb; j++) free(bi[j].v[0]), free(bi[j].v[1]);
                        free(bi);
                        return NULL;
                    }
                }
            }
        }
    return bi;
}

static void S_free_body_items(body_items *bi, size_t n) {
    for (size_t j = 0; bi && j < n; j++) free(bi[j].v[0]), free(bi[j].v[1]);
    free(bi);
}

/* The items a body leads (lead = 1) or joins, as "plan#id" keys. */
static void S_items_of_body(json_writer *w, const char *key, const body_items *e, int lead) {
    json_key(w, key);
    json_array_begin(w);
    for (size_t i = 0; e && i < e->n[lead]; i++) S_item_key(w, e->v[lead][i]);
    json_array_end(w);
}

static void S_body(json_writer *w, const body *b, const body_items *e) {
    char url[256];
    snprintf(url, sizeof url, "bodies/%s/", b->id);
    json_object_begin(w);
    json_kv_str(w, "id", b->id);
    json_kv_str(w, "name", b->name);
    json_kv_str(w, "url", url);
    S_strlist(w, "aliases", b->aliases, b->naliases);
    json_kv_str(w, "parent", b->parent ? b->parent->id : NULL);
    json_kv_str(w, "kind", b->kind);
    json_kv_str(w, "website", b->url);
    json_key(w, "declared");
    json_bool(w, b->declared);
    /* the items it leads and joins, across plans */
    S_items_of_body(w, "lead", e, 1);
    S_items_of_body(w, "partners", e, 0);
    json_object_end(w);
}

static int S_site_json(const site *s, output *o, diag *d) {
    strbuf out = STRBUF_INIT;
    json_writer w;
    json_init(&w, &out, 1);
    json_object_begin(&w);
    json_key(&w, "site");
    json_object_begin(&w);
    json_kv_str(&w, "title", s->cfg.title);
    json_kv_str(&w, "description", s->cfg.description);
    json_kv_str(&w, "language", s->cfg.language);
    json_kv_str(&w, "base_url", s->cfg.base_url);
    json_object_end(&w);
    json_key(&w, "build");
    json_object_begin(&w);
    json_kv_str(&w, "commit", s->commit.id);
    json_kv_int(&w, "commit_time", s->commit.time);
    json_key(&w, "worktree");
    json_bool(&w, s->worktree);
    json_object_end(&w);

    json_key(&w, "plans");
    json_array_begin(&w);
    for (size_t i = 0; i < s->nplans; i++) {
        const plan *p = s->plans[i];
        char url[256];
        snprintf(url, sizeof url, "plans/%s/", p->doc.id);
        json_object_begin(&w);
        json_kv_str(&w, "id", p->doc.id);
        json_kv_str(&w, "title", p->doc.title);
        json_kv_str(&w, "url", url);
        json_kv_str(&w, "path", p->doc.path);
        json_kv_str(&w, "issuer", p->issuer);
        json_kv_str(&w, "number", p->number);
        json_kv_str(&w, "date", p->date);
        json_kv_str(&w, "adopted", p->adopted);
        json_kv_str(&w, "period", p->period);
        json_kv_str(&w, "status", plan_status_name(p->status));
        S_strlist(&w, "parents", p->parents, p->nparents);
        S_strlist(&w, "aliases", p->aliases, p->naliases);
        json_key(&w, "revisions");
        json_array_begin(&w);
        for (size_t k = 0; k < p->nrevisions; k++) {
            const plan_revision *rv = &p->revisions[k];
            char day[16], rurl[256];
            snprintf(rurl, sizeof rurl, "plans/%s/history/%s/", p->doc.id, rv->commit.short_id);
            json_object_begin(&w);
            json_kv_str(&w, "commit", rv->commit.id);
            json_kv_str(&w, "date", text_date_of(rv->commit.author_time, rv->commit.author_offset, day));
            json_kv_str(&w, "author", rv->commit.author);
            json_kv_str(&w, "message", rv->commit.summary);
            json_kv_str(&w, "url", rurl);
            json_key(&w, "deleted");
            json_bool(&w, rv->deleted);
            json_object_end(&w);
        }
        json_array_end(&w);
        S_item_ids(&w, "goals", p, ROLE_GOAL);
        S_item_ids(&w, "tasks", p, ROLE_TASK);
        S_item_ids(&w, "measures", p, ROLE_MEASURE);
        json_object_end(&w);
    }
    json_array_end(&w);

    for (int role = ROLE_GOAL; role <= ROLE_MEASURE; role++) {
        json_key(&w, role == ROLE_GOAL ? "goals" : role == ROLE_TASK ? "tasks" : "measures");
        json_array_begin(&w);
        for (size_t i = 0; i < s->nplans; i++)
            for (size_t k = 0; k < s->plans[i]->nitems; k++)
                if ((int)s->plans[i]->items[k]->role == role) S_item(&w, s->plans[i]->items[k]);
        json_array_end(&w);
    }

    json_key(&w, "bodies");
    json_array_begin(&w);
    body_items *bi = S_gather_body_items(s);
    if (!bi) out.oom = 1;
    for (size_t i = 0; bi && i < s->bodies.n; i++)
        S_body(&w, s->bodies.items[i], S_find_body_items(bi, s->bodies.n, s->bodies.items[i]));
    S_free_body_items(bi, s->bodies.n);
    json_array_end(&w);

    indicators_json(&w, s);

    json_key(&w, "pages");
    json_array_begin(&w);
    for (size_t i = 0; i < s->npages; i++) {
        const page *pg = s->pages[i];
        char url[256];
        snprintf(url, sizeof url, "pages/%s/", pg->doc.id);
        json_object_begin(&w);
        json_kv_str(&w, "id", pg->doc.id);
        json_kv_str(&w, "title", pg->doc.title);
        json_kv_str(&w, "url", url);
        json_object_end(&w);
    }
    json_array_end(&w);
    json_object_end(&w);
    sb_putc(&out, '\n');
    int rc = out.oom ? -1 : output_write(o, "data/site.json", out.ptr, out.len, d);
    sb_free(&out);
    return rc;
}

static void S_url(strbuf *out, const site *s, const char *path) {
    strbuf u = STRBUF_INIT;
    sb_puts(&u, s->cfg.base_url);
    url_escape_path(&u, path, strlen(path));
    html_escape(out, u.ptr ? u.ptr : "", u.len);
    sb_free(&u);
}

/* One <url> of the sitemap, last changed at a commit's time. */
static void S_sitemap_url(strbuf *out, const site *s, const char *path, const repo_commit *c) {
    char day[16];
    sb_puts(out, "<url><loc>");
    S_url(out, s, path);
    sb_printf(out, "</loc><lastmod>%s</lastmod></url>\n", text_date_of(c->time, c->offset, day));
}

/* Every public page (all but 404.html), in the order of render.c, each with
 * the date of the last commit that changed its source: a plan's pages, the
 * plan file's last revision; a version or a change, its own commit; an
 * indicator, the newest commit of its audit trail; the rest (home, lists,
 * bodies, free pages, search), the built commit (docs/content.md). */
static int S_sitemap(const site *s, output *o, diag *d) {
    strbuf out = STRBUF_INIT;
    char path[512];
    const repo_commit *built = &s->commit;
    sb_puts(&out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                  "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    S_sitemap_url(&out, s, "", built);
    S_sitemap_url(&out, s, "bodies/", built);
    S_sitemap_url(&out, s, "indicators/", built);
    if (s->history) S_sitemap_url(&out, s, "changes/", built);
    S_sitemap_url(&out, s, "search/", built);
    for (size_t i = 0; i < s->nindicators; i++) {
        const indicator *ind = s->indicators[i];
        snprintf(path, sizeof path, "indicators/%s/", ind->id);
        S_sitemap_url(&out, s, path, ind->nchanges ? &ind->changes[0].commit : built);
    }
    for (size_t i = 0; i < s->nplans; i++) {
        const plan *p = s->plans[i];
        const repo_commit *last = p->nrevisions ? &p->revisions[0].commit : built;
        snprintf(path, sizeof path, "plans/%s/", p->doc.id);
        S_sitemap_url(&out, s, path, last);
        snprintf(path, sizeof path, "plans/%s/matrix/", p->doc.id);
        S_sitemap_url(&out, s, path, last);
        if (s->history) {
            snprintf(path, sizeof path, "plans/%s/history/", p->doc.id);
            S_sitemap_url(&out, s, path, last);
            for (size_t m = 0; m < p->nrevisions; m++) {
                const repo_commit *c = &p->revisions[m].commit;
                snprintf(path, sizeof path, "plans/%s/history/%s/", p->doc.id, c->short_id);
                S_sitemap_url(&out, s, path, c);
                snprintf(path, sizeof path, "plans/%s/diff/%s/", p->doc.id, c->short_id);
                S_sitemap_url(&out, s, path, c);
            }
        }
        for (size_t m = 0; m < p->nitems; m++) {
            snprintf(path, sizeof path, "plans/%s/%s/%s/", p->doc.id, role_dirs[p->items[m]->role],
                     p->items[m]->id);
            S_sitemap_url(&out, s, path, last);
        }
    }
    for (size_t i = 0; i < s->npages; i++) {
        snprintf(path, sizeof path, "pages/%s/", s->pages[i]->doc.id);
        S_sitemap_url(&out, s, path, built);
    }
    for (size_t i = 0; i < s->bodies.n; i++) {
        snprintf(path, sizeof path, "bodies/%s/", s->bodies.items[i]->id);
        S_sitemap_url(&out, s, path, built);
    }
    sb_puts(&out, "</urlset>\n");
    int rc = out.oom ? -1 : output_write(o, "sitemap.xml", out.ptr, out.len, d);
    sb_free(&out);
    return rc;
}

int datafiles_write(const site *s, output *o, diag *d) {
    if (S_site_json(s, o, d) < 0) return -1;
    if (indicators_write_data(s, o, d) < 0) return -1;
    return S_sitemap(s, o, d);
}
