/* changes.c — the site-wide change list and its Atom feed. */
#include "changes.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "html.h"
#include "strbuf.h"

const repo_commit *changes_commit(const change_ref *c) {
    return c->ind ? &c->ind->changes[c->first].commit : &c->p->revisions[c->index].commit;
}

static int S_cmp(const void *x, const void *y) {
    const change_ref *a = x, *b = y;
    const repo_commit *ca = changes_commit(a), *cb = changes_commit(b);
    if (ca->time != cb->time) return ca->time > cb->time ? -1 : 1;
    int c = strcmp(ca->id, cb->id);
    if (c) return c;
    if (!a->ind != !b->ind) return a->ind ? 1 : -1;
    return strcmp(a->ind ? a->ind->id : a->p->doc.id, b->ind ? b->ind->id : b->p->doc.id);
}

change_ref *changes_list(arena *a, const site *s, size_t *n) {
    size_t total = 0;
    for (size_t i = 0; i < s->nplans; i++) total += s->plans[i]->nrevisions;
    for (size_t i = 0; i < s->nindicators; i++) total += s->indicators[i]->nchanges;
    change_ref *list = arena_alloc(a, (total ? total : 1) * sizeof *list);
    size_t k = 0;
    for (size_t i = 0; i < s->nplans; i++)
        for (size_t m = 0; m < s->plans[i]->nrevisions; m++) list[k++] = (change_ref){s->plans[i], m, NULL, 0, 0};
    for (size_t i = 0; i < s->nindicators; i++) {
        const indicator *ind = s->indicators[i];
        /* a commit's changes stand together in the trail */
        for (size_t m = 0; m < ind->nchanges;) {
            size_t e = m + 1;
            while (e < ind->nchanges && strcmp(ind->changes[e].commit.id, ind->changes[m].commit.id) == 0) e++;
            list[k++] = (change_ref){NULL, 0, ind, m, e - m};
            m = e;
        }
    }
    if (k) qsort(list, k, sizeof *list, S_cmp);
    *n = k;
    return list;
}

/* RFC 3339 in UTC. */
static void S_time(strbuf *out, long long t) {
    time_t tt = (time_t)t;
    struct tm tm;
    char buf[32] = "1970-01-01T00:00:00Z";
    if (gmtime_r(&tt, &tm)) strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    sb_puts(out, buf);
}

static void S_url(strbuf *out, const site *s, const char *path) {
    strbuf u = STRBUF_INIT;
    sb_puts(&u, s->cfg.base_url);
    sb_puts(&u, path);
    html_escape(out, sb_str(&u), u.len);
    sb_free(&u);
}

int changes_write_feed(const site *s, const change_ref *list, size_t n, output *o, diag *d) {
    strbuf out = STRBUF_INIT;
    char path[512];
    sb_puts(&out, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\"");
    sb_puts(&out, " xml:lang=\"");
    html_escape_str(&out, s->cfg.language);
    sb_puts(&out, "\">\n<title>");
    html_escape_str(&out, s->cfg.title);
    sb_puts(&out, "</title>\n<id>");
    if (*s->cfg.base_url) S_url(&out, s, "");
    else sb_printf(&out, "urn:planpress:%s", s->commit.id);
    sb_puts(&out, "</id>\n<link rel=\"self\" href=\"");
    S_url(&out, s, "feed.xml");
    sb_puts(&out, "\"/>\n<link rel=\"alternate\" type=\"text/html\" href=\"");
    S_url(&out, s, "changes/");
    sb_puts(&out, "\"/>\n<updated>");
    S_time(&out, n ? changes_commit(&list[0])->time : s->commit.time);
    sb_puts(&out, "</updated>\n<generator>planpress</generator>\n");
    for (size_t i = 0; i < n && i < FEED_MAX_ENTRIES; i++) {
        const repo_commit *c = changes_commit(&list[i]);
        const char *title, *key;
        if (list[i].ind) {
            const indicator *ind = list[i].ind;
            snprintf(path, sizeof path, "indicators/%s/", ind->id);
            title = ind->name;
            key = ind->id;
        } else {
            const plan *p = list[i].p;
            const plan_revision *rv = &p->revisions[list[i].index];
            snprintf(path, sizeof path, "plans/%s/diff/%s/", p->doc.id, rv->commit.short_id);
            title = rv->title ? rv->title : p->doc.title;
            key = p->doc.id;
        }
        sb_puts(&out, "<entry>\n<title>");
        html_escape_str(&out, title);
        sb_puts(&out, ": ");
        html_escape_str(&out, c->summary);
        sb_puts(&out, "</title>\n<id>");
        if (*s->cfg.base_url) {
            S_url(&out, s, path);
            /* an indicator's page is the same for all its entries: the commit tells them apart */
            if (list[i].ind) sb_printf(&out, "#%s", c->short_id);
        } else {
            sb_printf(&out, "urn:planpress:%s:%s%s", c->id, list[i].ind ? "indicator:" : "", key);
        }
        sb_puts(&out, "</id>\n<link rel=\"alternate\" type=\"text/html\" href=\"");
        S_url(&out, s, path);
        sb_puts(&out, "\"/>\n<updated>");
        S_time(&out, c->time);
        sb_puts(&out, "</updated>\n<published>");
        S_time(&out, c->author_time);
        sb_puts(&out, "</published>\n<author><name>");
        html_escape_str(&out, c->author && *c->author ? c->author : "?");
        sb_puts(&out, "</name></author>\n<summary>");
        html_escape_str(&out, c->summary);
        sb_puts(&out, "</summary>\n</entry>\n");
    }
    sb_puts(&out, "</feed>\n");
    int rc = out.oom ? -1 : output_write(o, "feed.xml", out.ptr, out.len, d);
    sb_free(&out);
    return rc;
}
