/* datafiles.c — data/site.json and sitemap.xml. */
#include "datafiles.h"

#include <string.h>

#include "html.h"
#include "json.h"
#include "text.h"

static void S_strlist(json_writer *w, const char *key, const char *const *items, size_t n) {
    json_key(w, key);
    json_array_begin(w);
    for (size_t i = 0; i < n; i++) json_string(w, items[i]);
    json_array_end(w);
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
        json_object_end(&w);
    }
    json_array_end(&w);

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

static int S_sitemap(const site *s, output *o, diag *d) {
    strbuf out = STRBUF_INIT;
    char day[16];
    text_date_of(s->commit.time, s->commit.offset, day);
    sb_puts(&out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                  "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    sb_puts(&out, "<url><loc>");
    S_url(&out, s, "");
    sb_printf(&out, "</loc><lastmod>%s</lastmod></url>\n", day);
    for (size_t i = 0; i < s->nplans; i++) {
        char path[256];
        snprintf(path, sizeof path, "plans/%s/", s->plans[i]->doc.id);
        sb_puts(&out, "<url><loc>");
        S_url(&out, s, path);
        sb_printf(&out, "</loc><lastmod>%s</lastmod></url>\n", day);
    }
    for (size_t i = 0; i < s->npages; i++) {
        char path[256];
        snprintf(path, sizeof path, "pages/%s/", s->pages[i]->doc.id);
        sb_puts(&out, "<url><loc>");
        S_url(&out, s, path);
        sb_printf(&out, "</loc><lastmod>%s</lastmod></url>\n", day);
    }
    sb_puts(&out, "</urlset>\n");
    int rc = out.oom ? -1 : output_write(o, "sitemap.xml", out.ptr, out.len, d);
    sb_free(&out);
    return rc;
}

int datafiles_write(const site *s, output *o, diag *d) {
    if (S_site_json(s, o, d) < 0) return -1;
    return S_sitemap(s, o, d);
}
