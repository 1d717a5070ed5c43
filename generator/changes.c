/* changes.c — the site-wide change list and its Atom feed. */
#include "changes.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "html.h"
#include "strbuf.h"

static int S_cmp(const void *x, const void *y) {
    const change_ref *a = x, *b = y;
    const plan_revision *ra = &a->p->revisions[a->index], *rb = &b->p->revisions[b->index];
    if (ra->commit.time != rb->commit.time) return ra->commit.time > rb->commit.time ? -1 : 1;
    int c = strcmp(ra->commit.id, rb->commit.id);
    if (c) return c;
    return strcmp(a->p->doc.id, b->p->doc.id);
}

change_ref *changes_list(arena *a, const site *s, size_t *n) {
    size_t total = 0;
    for (size_t i = 0; i < s->nplans; i++) total += s->plans[i]->nrevisions;
    change_ref *list = arena_alloc(a, (total ? total : 1) * sizeof *list);
    size_t k = 0;
    for (size_t i = 0; i < s->nplans; i++)
        for (size_t m = 0; m < s->plans[i]->nrevisions; m++) list[k++] = (change_ref){s->plans[i], m};
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
    S_time(&out, n ? list[0].p->revisions[list[0].index].commit.time : s->commit.time);
    sb_puts(&out, "</updated>\n<generator>planpress</generator>\n");
    for (size_t i = 0; i < n && i < FEED_MAX_ENTRIES; i++) {
        const plan *p = list[i].p;
        const plan_revision *rv = &p->revisions[list[i].index];
        snprintf(path, sizeof path, "plans/%s/diff/%s/", p->doc.id, rv->commit.short_id);
        sb_puts(&out, "<entry>\n<title>");
        html_escape_str(&out, rv->title ? rv->title : p->doc.title);
        sb_puts(&out, ": ");
        html_escape_str(&out, rv->commit.summary);
        sb_puts(&out, "</title>\n<id>");
        if (*s->cfg.base_url) S_url(&out, s, path);
        else sb_printf(&out, "urn:planpress:%s:%s", rv->commit.id, p->doc.id);
        sb_puts(&out, "</id>\n<link rel=\"alternate\" type=\"text/html\" href=\"");
        S_url(&out, s, path);
        sb_puts(&out, "\"/>\n<updated>");
        S_time(&out, rv->commit.time);
        sb_puts(&out, "</updated>\n<published>");
        S_time(&out, rv->commit.author_time);
        sb_puts(&out, "</published>\n<author><name>");
        html_escape_str(&out, rv->commit.author && *rv->commit.author ? rv->commit.author : "?");
        sb_puts(&out, "</name></author>\n<summary>");
        html_escape_str(&out, rv->commit.summary);
        sb_puts(&out, "</summary>\n</entry>\n");
    }
    sb_puts(&out, "</feed>\n");
    int rc = out.oom ? -1 : output_write(o, "feed.xml", out.ptr, out.len, d);
    sb_free(&out);
    return rc;
}
