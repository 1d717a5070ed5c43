/* model.h — what a site is made of once its content is read: the site's
 * configuration, its plans and free pages. Everything lives in the site's
 * arena (each document's own arena is adopted by it). */
#ifndef PP_MODEL_H
#define PP_MODEL_H
#include <stddef.h>

#include "arena.h"
#include "markdown.h"
#include "repo.h"
#include "yamldoc.h"

typedef struct site_config {
    const char *title;
    const char *description;
    const char *language;   /* "zh-CN" (default) or "en" */
    const char *base_url;   /* ends in '/'; "" when unset */
    const char *theme;      /* "default" */
    const yvalue *raw;      /* the whole of site.yaml, for themes */
} site_config;

/* The fields common to plans and pages. */
typedef struct document {
    const char *path;       /* repository path of the source file */
    const char *id;         /* plans: [a-z0-9-]+; pages: a/b path without .md */
    const char *title;
    const yvalue *front;    /* the front matter as written (unknown keys too) */
    int body_line;          /* file line where the Markdown starts */
    md_doc md;              /* the rendered body, blocks and anchors */
    size_t source_bytes;
} document;

typedef enum { PLAN_DRAFT, PLAN_ADOPTED, PLAN_SUPERSEDED, PLAN_EXPIRED } plan_status;

typedef struct plan {
    document doc;
    const char *issuer;     /* body id or NULL */
    const char *number;     /* document number, e.g. 鄂科协发〔2017〕8号 */
    const char *date;       /* issued, YYYY-MM-DD */
    const char *adopted;    /* YYYY-MM-DD */
    const char *period;     /* e.g. 2016-2020 */
    plan_status status;
    const char **parents;   /* plan ids */
    size_t nparents;
    const char **aliases;
    size_t naliases;
} plan;

typedef struct page {
    document doc;
} page;

typedef struct site {
    arena *a;
    site_config cfg;
    repo_commit commit;     /* the revision built */
    const char *content_dir;/* "content" or "" (repository root) */
    int worktree;           /* built from uncommitted files */
    plan **plans;           /* sorted by id */
    size_t nplans;
    page **pages;           /* sorted by id */
    size_t npages;
    const char *bodies_path;/* bodies.yaml, if present (read by the model) */
    const yvalue *bodies_raw;
} site;

const char *plan_status_name(plan_status s);
/* The plan with that id, or NULL (binary search; plans are sorted). */
plan *site_find_plan(const site *s, const char *id);

#endif
