/* model.h — what a site is made of once its content is read: the site's
 * configuration, its plans and free pages. Everything lives in the site's
 * arena (each document's own arena is adopted by it). */
#ifndef PP_MODEL_H
#define PP_MODEL_H
#include <stddef.h>

#include "arena.h"
#include "markdown.h"
#include "repo.h"
#include "bodies.h"
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
    unsigned char oid[20];  /* the file's blob id (zero from the working tree) */
    size_t source_bytes;
} document;

typedef enum { PLAN_DRAFT, PLAN_ADOPTED, PLAN_SUPERSEDED, PLAN_EXPIRED } plan_status;

typedef enum { ROLE_GOAL, ROLE_TASK, ROLE_MEASURE } item_role;

struct plan;
struct body;

/* A reference as written (`goals="g1 other-plan#g2"`, a body name) and what
 * it resolved to, with the place it was written for diagnostics. */
typedef struct item_ref {
    const char *text;
    int line, col;
    const struct body *body;  /* body refs: what the name resolved to, or NULL */
    const char *unknown_id;   /* body refs: the page id of an unknown name */
    int from_text;            /* body refs: named in the text (an annotation) */
} item_ref;

/* A goal, task or measure of a plan: a heading or list item with a role. */
typedef struct item {
    item_role role;
    const char *id;           /* explicit {#id}, or made from the numbering */
    int generated_id;         /* 1 when made from the numbering: unstable */
    struct plan *plan;
    const char *title;        /* the heading text (or the item's first paragraph) */
    const char *number;       /* the numbering as printed: "（一）", "1." or NULL */
    size_t block;             /* index into plan->doc.md.blocks */
    int line, col;
    struct item *parent;      /* the enclosing item of the same role (a task group) */
    struct item **children;
    size_t nchildren;
    const char *due;          /* YYYY-MM-DD or NULL */
    /* as written */
    item_ref *goal_refs;      /* tasks: goals="..." */
    size_t ngoal_refs;
    item_ref *supports_refs;  /* goals: supports="plan#goal" */
    size_t nsupports_refs;
    item_ref *lead_refs;      /* bodies, from lead="..." and the annotation */
    size_t nlead_refs;
    item_ref *partner_refs;
    size_t npartner_refs;
    const char **parties;     /* collective parties the text names, as written
                                 (各有关单位, 各地级以上市人民政府) */
    size_t nparties;
    int resp_line;            /* where its 分工 phrase stands (0: none read) */
    int table_row;            /* a row of a 分工 table (block: the heading the
                                 table stands under; its page shows that section) */
    /* resolved (links.c) */
    struct item **goals;      /* tasks: the goals they serve */
    size_t ngoals;
    struct item **tasks;      /* goals: the tasks that serve them */
    size_t ntasks;
    struct item **supports;   /* goals: goals of other plans they support */
    size_t nsupports;
    struct item **supported_by;
    size_t nsupported_by;
    struct body **leads;      /* resolved bodies (unique, in order written) */
    size_t nleads;
    struct body **partners;
    size_t npartners;
    struct indicator **indicators; /* goals and tasks: the indicators measuring them */
    size_t nindicators;
} item;

/* One year's figure of an indicator. */
typedef struct indicator_value {
    int year;
    double value;
} indicator_value;

/* One entry of an indicator's audit trail (history.c): a commit that
 * changed what its scripts declare. */
typedef enum {
    IND_CHANGE_ADDED,         /* first declared (from, to: unset; to = the baseline) */
    IND_CHANGE_REMOVED,       /* no longer declared (it came back later) */
    IND_CHANGE_BASELINE,
    IND_CHANGE_TARGET,
    IND_CHANGE_VALUE,         /* the value of one year: `year` */
    IND_CHANGE_UNIT,          /* from_text, to_text */
    IND_CHANGE_NAME           /* from_text, to_text */
} indicator_change_kind;

typedef struct indicator_change {
    repo_commit commit;
    indicator_change_kind kind;
    int year;                 /* IND_CHANGE_VALUE */
    int again;                /* IND_CHANGE_ADDED: it was declared before, then not */
    int has_from, has_to;
    indicator_value from, to; /* baseline, target, value: before and after */
    const char *from_text, *to_text; /* unit, name */
} indicator_change;

/* An indicator declared by a script under indicators/ (indicators.c). */
typedef struct indicator {
    const char *id;           /* [a-z0-9-]+ */
    const char *name, *unit, *source;
    int down;                 /* direction: 1 = lower is better */
    const char *path;         /* the script that declared it */
    int line;                 /* the line of the declaration */
    struct plan *plan;        /* plan = "...", resolved */
    struct item *goal;        /* goal = "..." or "plan#goal", resolved */
    struct item **tasks;      /* tasks = {...}, resolved */
    size_t ntasks;
    struct body *lead;        /* lead = "...", resolved */
    int has_baseline, has_target;
    indicator_value baseline, target;
    indicator_value *values;  /* observations, sorted by year */
    size_t nvalues;
    const char *status;       /* "achieved", "on-track", "off-track", "no-data" */
    int sample;               /* the values are sample data, not facts */
    indicator_change *changes;/* the audit trail, newest first (history.c) */
    size_t nchanges;
    int changes_cut;          /* the trail starts at a cut history (shallow clone) */
} indicator;

/* A change told in the plan's own terms (history.c). */
typedef struct plan_change {
    const char *kind;         /* "field" (front matter), "item-added", "item-removed",
                                 "item-title", "due", "lead-added", "lead-removed",
                                 "partner-added", "partner-removed", "figure" */
    const char *field;        /* kind "field": the front matter key */
    const char *item_id;      /* the goal, task or measure concerned */
    const char *item_title;
    int role;                 /* item_role, or -1 */
    const char *from, *to;    /* the values before and after (NULL: none) */
} plan_change;

/* One revision of a plan: a commit on the first-parent history that
 * changed its file (history.c). */
typedef struct plan_revision {
    repo_commit commit;
    const char *path;         /* the file at this revision (NULL when deleted) */
    const char *old_path;     /* when the commit renamed it */
    int added, deleted;       /* the commit added (or brought back) / deleted it */
    const char *title;        /* the plan's title at this revision */
    const char *html;         /* the plan as it stood (NULL when deleted) */
    size_t html_len;
    const char *diff_html;    /* what this revision changed (textdiff.c) */
    size_t same, added_blocks, removed_blocks, changed_blocks, moved_blocks;
    plan_change *changes;     /* in the plan's own terms */
    size_t nchanges;
} plan_revision;

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
    item **items;           /* goals, tasks and measures in document order */
    size_t nitems;
    plan_revision *revisions; /* newest first (history.c) */
    size_t nrevisions;
    int history_cut;        /* the history is cut short (shallow clone, --as-of walk bound) */
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
    bodies bodies;          /* bodies.yaml, plus names that resolved to none */
    indicator **indicators; /* sorted by id */
    size_t nindicators;
    int history;            /* revisions were collected (not --no-history) */
    int history_shallow;    /* the repository's history is cut short */
    const char *history_begins; /* the oldest commit reached, when cut short */
    size_t history_cache_read, history_cache_hits, history_cache_added; /* for PLANPRESS_TIMINGS */
    size_t trail_runs;        /* past commits whose indicator scripts ran (not from the cache) */
} site;

const char *plan_status_name(plan_status s);
const char *item_role_name(item_role r); /* "goal", "task", "measure" */
/* The plan with that id, or NULL (binary search; plans are sorted). */
plan *site_find_plan(const site *s, const char *id);

#endif
