/* content.c — the content folder into the model: reading files from the
 * revision, checking their bytes, front matter and Markdown, in parallel. */
#include "content.h"

#include <stdlib.h>
#include <string.h>

#include "progress.h"
#include "roles.h"
#include "text.h"
#include "workers.h"

const char *plan_status_name(plan_status s) {
    static const char *const names[] = {"draft", "adopted", "superseded", "expired"};
    return names[s];
}

static int S_cmp_plan(const void *a, const void *b) {
    return strcmp((*(plan *const *)a)->doc.id, (*(plan *const *)b)->doc.id);
}

plan *site_find_plan(const site *s, const char *id) {
    size_t lo = 0, hi = s->nplans;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(s->plans[mid]->doc.id, id);
        if (c == 0) return s->plans[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

/* ---- front matter ---------------------------------------------------- */

int content_split_front_matter(const char *src, size_t len, const char **yaml,
                               size_t *yaml_len, int *yaml_line, const char **md_src,
                               size_t *body_len, int *body_line) {
    size_t off = 0;
    if (len >= 3 && memcmp(src, "\xEF\xBB\xBF", 3) == 0) off = 3;
    *yaml = NULL;
    *yaml_len = 0;
    *yaml_line = 2;
    *md_src = src + off;
    *body_len = len - off;
    *body_line = 1;
    const char *p = src + off, *end = src + len;
    if (!(end - p >= 3 && memcmp(p, "---", 3) == 0)) return 0;
    const char *q = p + 3;
    while (q < end && (*q == ' ' || *q == '\t')) q++;
    if (q < end && *q == '\r') q++;
    if (q < end && *q != '\n') return 0; /* "---x": not front matter */
    if (q < end) q++;
    const char *ystart = q;
    int line = 2;
    while (q < end) {
        const char *eol = memchr(q, '\n', (size_t)(end - q));
        const char *lend = eol ? eol : end;
        size_t n = (size_t)(lend - q);
        if (n && q[n - 1] == '\r') n--;
        while (n && (q[n - 1] == ' ' || q[n - 1] == '\t')) n--;
        if (n == 3 && (memcmp(q, "---", 3) == 0 || memcmp(q, "...", 3) == 0)) {
            *yaml = ystart;
            *yaml_len = (size_t)(q - ystart);
            *md_src = eol ? eol + 1 : end;
            *body_len = (size_t)(end - *md_src);
            *body_line = line + 1;
            return 0;
        }
        line++;
        q = eol ? eol + 1 : end;
    }
    return -1;
}

static const char *S_scalar(diag *d, const char *path, const yvalue *front, const char *key,
                            int required, int *bad) {
    const yvalue *v = yaml_map_get(front, key);
    if (!v || yaml_is_null(v)) {
        if (required) {
            diag_error(d, path, front ? front->line : 1, front ? front->col : 1,
                       "missing `%s` in the front matter", key);
            *bad = 1;
        }
        return NULL;
    }
    if (v->kind != YAML_V_SCALAR) {
        diag_error(d, path, v->line, v->col, "`%s` must be a single value, not %s", key,
                   yaml_kind_name(v));
        *bad = 1;
        return NULL;
    }
    if (required && v->len == 0) {
        diag_error(d, path, v->line, v->col, "`%s` is empty", key);
        *bad = 1;
        return NULL;
    }
    return v->str;
}

static const char *S_date(diag *d, const char *path, const yvalue *front, const char *key,
                          int *bad) {
    const char *s = S_scalar(d, path, front, key, 0, bad);
    if (s && !text_is_date(s)) {
        const yvalue *v = yaml_map_get(front, key);
        diag_error(d, path, v->line, v->col, "`%s` must be a date YYYY-MM-DD, not \"%s\"", key, s);
        *bad = 1;
        return NULL;
    }
    return s;
}

/* A value or a list of values. */
static int S_list(arena *a, diag *d, const char *path, const yvalue *front, const char *key,
                  int ids, const char ***out, size_t *n) {
    const yvalue *v = yaml_map_get(front, key);
    *out = NULL;
    *n = 0;
    if (!v || yaml_is_null(v)) return 0;
    const yvalue *one[1] = {v};
    yvalue *const *items = (yvalue *const *)one;
    size_t count = 1;
    if (v->kind == YAML_V_SEQ) {
        items = v->items;
        count = v->n;
    } else if (v->kind != YAML_V_SCALAR) {
        diag_error(d, path, v->line, v->col, "`%s` must be a value or a list, not %s", key,
                   yaml_kind_name(v));
        return -1;
    }
    const char **list = arena_alloc(a, (count ? count : 1) * sizeof *list);
    for (size_t i = 0; i < count; i++) {
        const yvalue *it = items[i];
        if (it->kind != YAML_V_SCALAR || it->len == 0) {
            diag_error(d, path, it->line, it->col, "each of `%s` must be a non-empty value", key);
            return -1;
        }
        if (ids && !text_is_id(it->str)) {
            diag_error(d, path, it->line, it->col,
                       "`%s`: \"%s\" is not an id (lowercase letters, digits and '-')", key,
                       it->str);
            return -1;
        }
        list[(*n)++] = it->str;
    }
    *out = list;
    return 0;
}

int content_plan_fields(arena *a, diag *d, const char *path, const char *stem,
                        const yvalue *front, plan *p) {
    int bad = 0;
    if (!front || front->kind != YAML_V_MAP) {
        diag_error(d, path, front ? front->line : 1, front ? front->col : 1,
                   "the front matter must be a mapping of `key: value` lines");
        return -1;
    }
    const char *id = S_scalar(d, path, front, "id", 0, &bad);
    const yvalue *idv = yaml_map_get(front, "id");
    if (!id && !bad) {
        id = stem;
        if (!text_is_id(id)) {
            diag_error(d, path, 1, 1,
                       "the file name \"%s\" is not a valid plan id; name the file with "
                       "lowercase letters, digits and '-', or set `id`",
                       stem);
            bad = 1;
        }
    } else if (id && !text_is_id(id)) {
        diag_error(d, path, idv->line, idv->col,
                   "invalid plan id \"%s\": use lowercase letters, digits and '-'", id);
        bad = 1;
    }
    p->doc.id = id;
    p->doc.title = S_scalar(d, path, front, "title", 1, &bad);
    p->issuer = S_scalar(d, path, front, "issuer", 0, &bad);
    if (p->issuer && !text_is_id(p->issuer)) {
        const yvalue *v = yaml_map_get(front, "issuer");
        diag_error(d, path, v->line, v->col, "`issuer` must be a body id, not \"%s\"", p->issuer);
        bad = 1;
    }
    p->number = S_scalar(d, path, front, "number", 0, &bad);
    p->period = S_scalar(d, path, front, "period", 0, &bad);
    p->date = S_date(d, path, front, "date", &bad);
    p->adopted = S_date(d, path, front, "adopted", &bad);
    const char *st = S_scalar(d, path, front, "status", 0, &bad);
    p->status = PLAN_ADOPTED;
    if (st) {
        int found = 0;
        for (int k = PLAN_DRAFT; k <= PLAN_EXPIRED; k++) {
            if (strcmp(st, plan_status_name((plan_status)k)) == 0) {
                p->status = (plan_status)k;
                found = 1;
            }
        }
        if (!found) {
            const yvalue *v = yaml_map_get(front, "status");
            diag_error(d, path, v->line, v->col,
                       "unknown status \"%s\" (draft, adopted, superseded or expired)", st);
            bad = 1;
        }
    }
    if (S_list(a, d, path, front, "parent", 1, &p->parents, &p->nparents) < 0) bad = 1;
    if (S_list(a, d, path, front, "aliases", 0, &p->aliases, &p->naliases) < 0) bad = 1;
    return bad ? -1 : 0;
}

/* ---- reading documents ---------------------------------------------- */

typedef enum { DOC_PLAN, DOC_PAGE } doc_kind;

typedef struct job {
    const repo_file *file;
    doc_kind kind;
    const char *stem;     /* plans: file name without .md; pages: path under pages/ */
    arena *a;             /* per job: documents are parsed in parallel */
    plan *plan;
    page *page;
    int ok;
} job;

typedef struct load_ctx {
    site *s;
    int check;
    repo **handles;
    diag *d;
    job *jobs;
} load_ctx;

/* Checks bytes, splits front matter, parses YAML and Markdown. */
static int S_parse_document(arena *a, diag *d, const char *path, const char *src, size_t len,
                            document *doc) {
    int is_nul, line, col;
    size_t bad = text_check_utf8(src, len, &is_nul);
    if (bad < len) {
        text_line_col(src, bad, &line, &col);
        diag_error(d, path, line, col, is_nul ? "NUL byte in the file" : "invalid UTF-8 (byte 0x%02X)",
                   (unsigned char)src[bad]);
        return -1;
    }
    const char *yaml, *md_src;
    size_t ylen, blen;
    int yline, bline;
    if (content_split_front_matter(src, len, &yaml, &ylen, &yline, &md_src, &blen, &bline) < 0) {
        diag_error(d, path, 1, 1, "the front matter opened by `---` does not close");
        return -1;
    }
    doc->path = path;
    doc->body_line = bline;
    doc->source_bytes = len;
    yvalue *front = NULL;
    if (yaml && yaml_parse_doc(a, d, path, yline, yaml, ylen, &front) < 0) return -1;
    doc->front = front;
    if (md_render(a, d, path, bline, md_src, blen, &doc->md) < 0) return -1;
    return 0;
}

int content_parse_plan(arena *a, diag *d, const bodies *b, const char *path, const char *stem,
                       const char *src, size_t len, int check, plan *p) {
    memset(p, 0, sizeof *p);
    document *doc = &p->doc;
    if (S_parse_document(a, d, path, src, len, doc) < 0) return -1;
    if (!doc->front) {
        diag_error(d, path, 1, 1, "a plan starts with front matter: `---`, `title: ...`, `---`");
        return -1;
    }
    if (content_plan_fields(a, d, path, stem, doc->front, p) < 0) return -1;
    roles_link *links = NULL;
    size_t nlinks = 0;
    /* Its errors are reported and fail the build; the plan stays in the
     * model so that checks across plans still run. */
    roles_extract(a, d, b, p, check, &links, &nlinks);
    roles_mark_html(a, p, links, nlinks);
    return 0;
}

static void S_load_one(void *vctx, size_t i, int worker) {
    load_ctx *ctx = vctx;
    job *j = &ctx->jobs[i];
    char *src = NULL;
    size_t len = 0;
    if (repo_read(ctx->handles[worker], j->file, &src, &len, ctx->d) < 0) return;
    j->a = arena_new();
    const char *path = arena_strdup(j->a, j->file->path);
    if (j->kind == DOC_PLAN) {
        j->plan = arena_alloc(j->a, sizeof *j->plan);
        if (content_parse_plan(j->a, ctx->d, &ctx->s->bodies, path, j->stem, src, len, ctx->check,
                               j->plan) < 0)
            goto done;
        memcpy(j->plan->doc.oid, j->file->oid, 20);
    } else {
        j->page = arena_alloc(j->a, sizeof *j->page);
        document *doc = &j->page->doc;
        if (S_parse_document(j->a, ctx->d, path, src, len, doc) < 0) goto done;
        int bad = 0;
        if (doc->front && doc->front->kind != YAML_V_MAP) {
            diag_error(ctx->d, path, doc->front->line, doc->front->col,
                       "the front matter must be a mapping of `key: value` lines");
            goto done;
        }
        doc->id = j->stem;
        doc->title = doc->front ? S_scalar(ctx->d, path, doc->front, "title", 0, &bad) : NULL;
        if (bad) goto done;
        if (!doc->title) {
            const char *slash = strrchr(j->stem, '/');
            doc->title = slash ? slash + 1 : j->stem;
        }
    }
    j->ok = 1;
done:
    progress_tick();
    free(src);
}

/* pages/a/b.md -> "a/b": every segment must be an id, so that no page can
 * be written outside its folder. */
static int S_page_id_ok(const char *id) {
    char seg[128];
    const char *p = id;
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 0 || n >= sizeof seg) return 0;
        memcpy(seg, p, n);
        seg[n] = '\0';
        if (!text_is_id(seg)) return 0;
        p += n + (slash ? 1 : 0);
        if (slash && !*p) return 0;
    }
    return 1;
}

static const char *S_rel(const char *path, const char *dir) {
    size_t n = strlen(dir);
    if (n == 0) return path;
    if (strncmp(path, dir, n) == 0 && path[n] == '/') return path + n + 1;
    return NULL;
}

/* Every link site.yaml can carry — base_url, archive_url, and any other key
 * that is `url` or ends in `_url`, at any depth (the whole file reaches the
 * templates as site.config) — is an http:// or https:// URL, like a body's
 * website: never javascript: or another scheme a page would run or open. */
static void S_check_urls(diag *d, const char *path, const yvalue *v, int top) {
    if (v->kind == YAML_V_SEQ) {
        for (size_t i = 0; i < v->n; i++) S_check_urls(d, path, v->items[i], 0);
        return;
    }
    if (v->kind != YAML_V_MAP) return;
    for (size_t i = 0; i < v->n; i++) {
        const char *key = v->keys[i]->str;
        const yvalue *u = v->items[i];
        if (strcmp(key, "url") != 0 && !text_ends_with(key, "_url")) {
            S_check_urls(d, path, u, 0);
            continue;
        }
        if (yaml_is_null(u) || (u->kind == YAML_V_SCALAR && (u->len == 0 || text_is_web_url(u->str)))) continue;
        if (u->kind != YAML_V_SCALAR) {
            if (!(top && strcmp(key, "base_url") == 0)) /* (reported as a value that must be single) */
                diag_error(d, path, u->line, u->col, "`%s` must be a URL, not %s", key, yaml_kind_name(u));
        } else {
            diag_error(d, path, u->line, u->col, "%s \"%s\" is not an http:// or https:// URL", key, u->str);
        }
    }
}

static int S_load_site_yaml(site *s, repo *r, const repo_file *f, diag *d) {
    char *src = NULL;
    size_t len = 0;
    site_config *cfg = &s->cfg;
    if (!f) {
        diag_warning(d, NULL, 0, 0, "no site.yaml in the content folder; using defaults");
        return 0;
    }
    if (repo_read(r, f, &src, &len, d) < 0) return -1;
    int is_nul, line, col;
    size_t bad = text_check_utf8(src, len, &is_nul);
    yvalue *v = NULL;
    int rc = 0;
    if (bad < len) {
        text_line_col(src, bad, &line, &col);
        diag_error(d, f->path, line, col, is_nul ? "NUL byte in the file" : "invalid UTF-8");
        goto done;
    }
    if (yaml_parse_doc(s->a, d, f->path, 1, src, len, &v) < 0) goto done;
    if (!v) goto done;
    if (v->kind != YAML_V_MAP) {
        diag_error(d, f->path, v->line, v->col, "site.yaml must be a mapping of `key: value` lines");
        goto done;
    }
    cfg->raw = v;
    S_check_urls(d, f->path, v, 1);
    int badf = 0;
    const char *t;
    if ((t = S_scalar(d, f->path, v, "title", 0, &badf))) cfg->title = t;
    if ((t = S_scalar(d, f->path, v, "description", 0, &badf))) cfg->description = t;
    if ((t = S_scalar(d, f->path, v, "language", 0, &badf))) {
        if (strcmp(t, "zh-CN") != 0 && strcmp(t, "en") != 0) {
            const yvalue *lv = yaml_map_get(v, "language");
            diag_error(d, f->path, lv->line, lv->col, "language \"%s\" is not supported (zh-CN or en)", t);
        } else {
            cfg->language = t;
        }
    }
    if ((t = S_scalar(d, f->path, v, "base_url", 0, &badf)) && *t) cfg->base_url = t;
    if ((t = S_scalar(d, f->path, v, "theme", 0, &badf))) {
        if (!text_is_id(t)) {
            const yvalue *tv = yaml_map_get(v, "theme");
            diag_error(d, f->path, tv->line, tv->col, "theme \"%s\" is not a theme name ([a-z0-9-]+)", t);
        } else {
            cfg->theme = t;
        }
    }
done:
    free(src);
    return rc;
}

/* bodies.yaml: read before the plans, which resolve names against it. */
static int S_load_bodies(site *s, repo *r, const repo_file *f, diag *d) {
    bodies_init(&s->bodies, s->a);
    if (!f) return 0;
    char *src = NULL;
    size_t len = 0;
    if (repo_read(r, f, &src, &len, d) < 0) return -1;
    int is_nul, line, col;
    size_t bad = text_check_utf8(src, len, &is_nul);
    if (bad < len) {
        text_line_col(src, bad, &line, &col);
        diag_error(d, f->path, line, col, is_nul ? "NUL byte in the file" : "invalid UTF-8");
    } else {
        bodies_load(&s->bodies, d, f->path, src, len);
    }
    free(src);
    return 0;
}

int content_load(site *s, repo *r, int jobs, int check, diag *d) {
    repo_file *files = NULL;
    size_t nfiles = 0;
    int rc = -1;
    s->cfg.title = "planpress";
    s->cfg.description = "";
    s->cfg.language = "zh-CN";
    s->cfg.base_url = "";
    s->cfg.theme = "default";
    if (repo_list(r, &s->commit, s->content_dir, s->a, &files, &nfiles, d) < 0) return -1;

    const repo_file *site_yaml = NULL, *bodies_yaml = NULL;
    job *js = arena_alloc(s->a, (nfiles ? nfiles : 1) * sizeof *js);
    size_t nj = 0;
    for (size_t i = 0; i < nfiles; i++) {
        const char *rel = S_rel(files[i].path, s->content_dir);
        if (!rel) continue;
        if (strcmp(rel, "site.yaml") == 0) site_yaml = &files[i];
        else if (strcmp(rel, "bodies.yaml") == 0) bodies_yaml = &files[i];
        doc_kind kind;
        const char *under;
        if (strncmp(rel, "plans/", 6) == 0) {
            kind = DOC_PLAN;
            under = rel + 6;
        } else if (strncmp(rel, "pages/", 6) == 0) {
            kind = DOC_PAGE;
            under = rel + 6;
        } else {
            continue;
        }
        if (!text_ends_with(under, ".md")) continue;
        job *j = &js[nj++];
        j->file = &files[i];
        j->kind = kind;
        if (kind == DOC_PLAN) {
            const char *base = strrchr(under, '/');
            base = base ? base + 1 : under;
            j->stem = arena_strndup(s->a, base, strlen(base) - 3);
        } else {
            j->stem = arena_strndup(s->a, under, strlen(under) - 3);
            if (!S_page_id_ok(j->stem)) {
                diag_error(d, files[i].path, 0, 0,
                           "page path \"%s\" must be made of lowercase letters, digits and '-'",
                           j->stem);
                nj--;
            }
        }
    }
    if (S_load_site_yaml(s, r, site_yaml, d) < 0) return -1;
    if (S_load_bodies(s, r, bodies_yaml, d) < 0) return -1;

    /* One repository handle per worker: libgit2 objects are not shared
     * between threads. */
    if (jobs < 1) jobs = 1;
    repo **handles = calloc((size_t)jobs, sizeof *handles);
    if (!handles) {
        diag_fail(d, NULL, 0, 0, "out of memory");
        return -1;
    }
    handles[0] = r;
    for (int k = 1; k < jobs; k++) {
        if (repo_open_again(&handles[k], r) < 0) {
            jobs = k;
            break;
        }
    }
    load_ctx ctx = {s, check, handles, d, js};
    progress_stage("reading", nj);
    workers_run(jobs, nj, S_load_one, &ctx);
    progress_done();
    for (int k = 1; k < jobs; k++) repo_free(handles[k]);
    free(handles);

    /* Gather, in path order (deterministic), then sort by id. */
    size_t np = 0, ng = 0;
    for (size_t i = 0; i < nj; i++) {
        if (!js[i].ok) continue;
        if (js[i].kind == DOC_PLAN) np++;
        else ng++;
    }
    s->plans = arena_alloc(s->a, (np ? np : 1) * sizeof *s->plans);
    s->pages = arena_alloc(s->a, (ng ? ng : 1) * sizeof *s->pages);
    for (size_t i = 0; i < nj; i++) {
        if (!js[i].ok) continue;
        if (js[i].kind == DOC_PLAN) s->plans[s->nplans++] = js[i].plan;
        else s->pages[s->npages++] = js[i].page;
    }
    qsort(s->plans, s->nplans, sizeof *s->plans, S_cmp_plan);
    qsort(s->pages, s->npages, sizeof *s->pages, S_cmp_plan);
    for (size_t i = 1; i < s->nplans; i++) {
        if (strcmp(s->plans[i]->doc.id, s->plans[i - 1]->doc.id) == 0) {
            const yvalue *idv = yaml_map_get(s->plans[i]->doc.front, "id");
            diag_error(d, s->plans[i]->doc.path, idv ? idv->line : 1, idv ? idv->col : 1,
                       "duplicate plan id \"%s\" (also %s)", s->plans[i]->doc.id,
                       s->plans[i - 1]->doc.path);
        }
    }
    /* The per-document arenas now belong to the site: chain them so they
     * are freed with it. */
    for (size_t i = 0; i < nj; i++)
        if (js[i].a) arena_adopt(s->a, js[i].a);
    rc = 0;
    return rc;
}
