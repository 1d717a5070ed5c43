/* indicators.c — indicators declared by Lua scripts: the script API
 * (indicator, csv, value) in the sandbox, validation, dependency order,
 * links to the plan model, status, and their data for pages and files. */
#include "indicators.h"

#include <lauxlib.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "csv.h"
#include "html.h"
#include "links.h"
#include "strbuf.h"
#include "strmap.h"
#include "text.h"

/* ------------------------------------------------------------------------
 * How the scripts run
 *
 * 1. Every script runs once, in path order, in the one sandbox state, each
 *    in a fresh environment. indicator{} records a declaration: its plain
 *    fields are read and checked at once; a field given as a function
 *    (values, baseline, target) is kept for later, and so is `status`.
 * 2. The function fields run once every script has run, so that they may
 *    call value(id, year) on any indicator. An indicator whose functions
 *    ask for one not computed yet is set aside: that one is computed first
 *    (depth first, at most S_MAX_CHAIN deep), then the first is run again.
 *    Asking for one that is being computed is a cycle.
 * 3. References (plan, goal, tasks, lead) are resolved against the model.
 * 4. Statuses: the default rule, or the script's `status` function.
 * Each script run and each function call is its own sandbox_call, with its
 * own instruction budget and time limit.
 * ------------------------------------------------------------------------ */

#define S_MAX_CHAIN 100         /* value() chains at most this deep */
#define S_MAX_EVALS 100000      /* function-field runs in all, retries included */
#define S_MAX_INDICATORS 100000
#define S_MAX_TASKS 1000
#define S_MAX_TEXT 20000        /* bytes in a name, unit, source or note */
#define S_MIN_YEAR 1000
#define S_MAX_YEAR 9999
#define S_DECL_COST 1000        /* instructions charged for one indicator{} */
#define S_MAX_REPORTS 3         /* bad entries of one field reported */
#define S_DEFAULT_MEMORY ((size_t)128 << 20) /* the state all scripts share */
#define S_MAX_KEPT ((size_t)64 << 20) /* text and values kept from the scripts, in all */
#define S_MAX_ERRORS 1000       /* diagnostics reported; then one line says there are more */

enum { S_F_VALUES, S_F_BASELINE, S_F_TARGET, S_NLAZY };
static const char *const S_lazy_names[S_NLAZY] = {"values", "baseline", "target"};

typedef enum { D_PENDING, D_RUNNING, D_DONE, D_FAILED } S_state;

/* An indicator with what only this module needs; s->indicators points at
 * `pub`, the first member. */
typedef struct S_ind {
    indicator pub;
    const char *note;
    const char *reason;       /* indicator_verdict.reason, or "custom" */
    int has_expected;
    double expected;
    int custom;               /* the status came from the script */
} S_ind;

typedef struct S_decl {
    S_ind *x;
    const char *script;       /* the script that declared it */
    int line;                 /* of the indicator{} call */
    const char *plan_ref, *goal_ref, *lead_ref;
    const char **task_refs;
    size_t ntask_refs;
    int lazy[S_NLAZY];        /* registry refs of function fields, or LUA_NOREF */
    int status_ref;           /* registry ref of the status function, or LUA_NOREF */
    const char *status_fixed; /* status = "on-track" */
    S_state state;
    int dup;                  /* the id was taken: left out */
} S_decl;

/* Reads a file of the content folder for csv(): 0 with a malloc'd *data,
 * 1 when there is no such file, -1 after a diagnostic. */
typedef int (*S_read_fn)(void *payload, const char *path, char **data, size_t *len, diag *d);

typedef struct S_ctx {
    site *s;
    diag *d;
    sandbox *sb;
    lua_State *L;
    S_read_fn read;
    void *read_payload;
    int phase;                /* 0: scripts run; 1: function fields; 2: statuses */
    const char *script;       /* the running script (phase 0) */
    S_decl *decls;
    size_t ndecls, cap;
    strmap by_id;             /* id -> S_decl index + 1 */
    int as_of_year;
    /* dependency resolution */
    size_t stack[S_MAX_CHAIN + 1];
    size_t depth;
    long missing;             /* a declaration asked for but not computed yet, or -1 */
    long evals;
    /* an error already reported (csv) or the consequence of one (value of a
     * failed indicator): the script's error message is not reported again */
    char quiet[256];
    char *csv_buf;            /* freed after every call, even one that failed */
    size_t kept;              /* bytes of text and values kept (S_MAX_KEPT) */
    int kept_over;
    int nerrors;
    int snapshot;             /* indicators_snapshot: no links, no statuses */
    int stopped;              /* a call hit a limit: no more calls (each would spend its whole budget) */
} S_ctx;

static S_ctx *S_ctx_of(lua_State *L) { return lua_touserdata(L, lua_upvalueindex(1)); }

/* A content error, counted: past S_MAX_ERRORS one line says so and the
 * rest are dropped (the build fails all the same). */
static void S_err(S_ctx *ctx, const char *path, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void S_err(S_ctx *ctx, const char *path, int line, int col, const char *fmt, ...) {
    if (++ctx->nerrors > S_MAX_ERRORS) {
        if (ctx->nerrors == S_MAX_ERRORS + 1)
            diag_error(ctx->d, NULL, 0, 0, "more than %d errors in the indicator scripts: the rest are not shown",
                       S_MAX_ERRORS);
        return;
    }
    char buf[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    diag_error(ctx->d, path, line, col, "%s", buf);
}

/* Whether n more bytes may be kept from the scripts; the first refusal is
 * reported. */
static int S_keep(S_ctx *ctx, const char *path, int line, size_t n) {
    if (ctx->kept_over || n > S_MAX_KEPT - ctx->kept) {
        if (!ctx->kept_over)
            S_err(ctx, path, line, 0, "the indicators hold more than %zu MiB of text and values in all",
                  S_MAX_KEPT >> 20);
        ctx->kept_over = 1;
        return 0;
    }
    ctx->kept += n;
    return 1;
}

static S_ind *S_ext(const indicator *ind) { return (S_ind *)(void *)ind; }

/* ------------------------------------------------------------------------
 * Limits from site.yaml
 * ------------------------------------------------------------------------ */

/* site.yaml's repository path, for diagnostics. */
static const char *S_site_yaml(const site *s, char *buf, size_t size) {
    const char *dir = s->content_dir ? s->content_dir : "";
    snprintf(buf, size, "%s%ssite.yaml", dir, *dir ? "/" : "");
    return buf;
}

static int S_limit(const site *s, const yvalue *lim, const char *key, double min, double max,
                   double *out, diag *d) {
    const yvalue *v = yaml_map_get(lim, key);
    if (!v || yaml_is_null(v)) return 0;
    char *end = NULL;
    double x = v->kind == YAML_V_SCALAR ? strtod(v->str, &end) : NAN;
    if (v->kind != YAML_V_SCALAR || end == v->str || *end || !(x >= min && x <= max)) {
        if (d) {
            char path[300];
            diag_error(d, S_site_yaml(s, path, sizeof path), v->line, v->col,
                       "limits.%s must be a number from %g to %g", key, min, max);
        }
        return 0;
    }
    *out = x;
    return 1;
}

void indicators_limits(const site *s, sandbox_limits *out, long long *pages_total, diag *d) {
    long long pages_dummy = 0;
    if (!pages_total) pages_total = &pages_dummy;
    out->total_key = "lua_instructions_scripts";
    const yvalue *lim = s->cfg.raw ? yaml_map_get(s->cfg.raw, "limits") : NULL;
    if (!lim || yaml_is_null(lim)) return;
    if (lim->kind != YAML_V_MAP) {
        if (d) {
            char path[300];
            diag_error(d, S_site_yaml(s, path, sizeof path), lim->line, lim->col,
                       "limits must be a mapping: limits: {lua_instructions: N, lua_memory_mb: M, lua_seconds: S}");
        }
        return;
    }
    double x;
    if (S_limit(s, lim, "lua_instructions", 1000, 1e15, &x, d)) out->instructions = (long long)x;
    if (S_limit(s, lim, "lua_instructions_scripts", 1000, 1e15, &x, d)) out->total_instructions = (long long)x;
    if (S_limit(s, lim, "lua_instructions_pages", 1000, 1e15, &x, d)) *pages_total = (long long)x;
    if (S_limit(s, lim, "lua_memory_mb", 1, 1 << 20, &x, d)) out->memory_bytes = (size_t)(x * 1048576.0);
    if (S_limit(s, lim, "lua_seconds", 0.01, 86400, &x, d)) out->seconds = x;
}

/* ------------------------------------------------------------------------
 * Diagnostics
 * ------------------------------------------------------------------------ */

/* Reports a sandbox error "path:line: message" (or "path:line:col: ...")
 * at its place; without a place, at fallback_path. */
static void S_report_lua(S_ctx *ctx, const char *err, const char *fallback_path, int fallback_line) {
    if (!err) err = "unknown error";
    if (ctx->quiet[0]) {
        size_t n = strlen(err), q = strlen(ctx->quiet);
        if (n >= q && strcmp(err + n - q, ctx->quiet) == 0) return;
    }
    const char *p = err;
    /* the path runs to the first ":<digits>:" */
    const char *colon = NULL;
    for (const char *c = strchr(p, ':'); c; c = strchr(c + 1, ':')) {
        const char *q = c + 1;
        if (*q < '0' || *q > '9') continue;
        while (*q >= '0' && *q <= '9') q++;
        if (*q == ':') {
            colon = c;
            break;
        }
    }
    if (!colon || colon == p || *p == '[' || memchr(p, '\n', (size_t)(colon - p))) {
        /* "path: message" (no line known): the path once, not twice */
        size_t fl = fallback_path ? strlen(fallback_path) : 0;
        if (fl && strncmp(err, fallback_path, fl) == 0 && err[fl] == ':' && err[fl + 1] == ' ') err += fl + 2;
        S_err(ctx, fallback_path, fallback_line, 0, "%.600s", err);
        return;
    }
    char path[512];
    size_t n = (size_t)(colon - p);
    if (n >= sizeof path) n = sizeof path - 1;
    memcpy(path, p, n);
    path[n] = '\0';
    const char *q = colon + 1;
    int line = (int)strtol(q, (char **)&q, 10), col = 0;
    q++; /* ':' */
    if (*q >= '0' && *q <= '9') {
        const char *r = q;
        int c = (int)strtol(r, (char **)&r, 10);
        if (*r == ':') {
            col = c;
            q = r + 1;
        }
    }
    while (*q == ' ') q++;
    S_err(ctx, path, line, col, "%.600s", q);
}

/* The line of the running script that is executing (the innermost level
 * whose chunk is that script), else the innermost Lua line. */
static int S_script_line(lua_State *L, const char *script, const char **chunk_out) {
    lua_Debug ar;
    int fallback = 0;
    for (int level = 1; level < 200 && lua_getstack(L, level, &ar); level++) {
        if (!lua_getinfo(L, "Sl", &ar) || ar.currentline <= 0) continue;
        if (!fallback) fallback = ar.currentline;
        if (script && ar.source[0] == '@' && strcmp(ar.source + 1, script) == 0) {
            if (chunk_out) *chunk_out = script;
            return ar.currentline;
        }
    }
    return fallback;
}

/* ------------------------------------------------------------------------
 * Reading values from Lua (raw access only: no metamethod runs)
 * ------------------------------------------------------------------------ */

static int S_rawfield(lua_State *L, int t, const char *k) {
    t = lua_absindex(L, t);
    lua_pushstring(L, k);
    return lua_rawget(L, t);
}

/* A text field: a string, valid UTF-8, not too long. Returns it in the
 * arena, or NULL (absent, or reported). */
static const char *S_text(S_ctx *ctx, S_decl *dc, lua_State *L, int t, const char *key, int required) {
    t = lua_absindex(L, t);
    int ty = S_rawfield(L, t, key);
    const char *out = NULL;
    if (ty == LUA_TNIL) {
        if (required) S_err(ctx, dc->script, dc->line, 0, "indicator{} has no %s", key);
    } else if (ty != LUA_TSTRING) {
        S_err(ctx, dc->script, dc->line, 0, "%s must be a string, not a %s", key, lua_typename(L, ty));
    } else {
        size_t n;
        const char *str = lua_tolstring(L, -1, &n);
        int nul;
        if (text_check_utf8(str, n, &nul) < n)
            S_err(ctx, dc->script, dc->line, 0, "%s is not valid UTF-8 text%s", key, nul ? " (a NUL byte)" : "");
        else if (n > S_MAX_TEXT)
            S_err(ctx, dc->script, dc->line, 0, "%s is too long (%zu bytes; at most %d)", key, n, S_MAX_TEXT);
        else if (n == 0 && required)
            S_err(ctx, dc->script, dc->line, 0, "%s is empty", key);
        else if (n == 0)
            ; /* an empty optional field is no field */
        else if (S_keep(ctx, dc->script, dc->line, n + 1))
            out = arena_strndup(ctx->s->a, str, n);
    }
    lua_pop(L, 1);
    return out;
}

/* A year: an integer (or a float with an integral value) from 1000 to 9999. */
static int S_year_of(lua_State *L, int idx, int *year) {
    if (lua_type(L, idx) != LUA_TNUMBER) return 0;
    lua_Number v = lua_tonumber(L, idx);
    if (!(v >= S_MIN_YEAR && v <= S_MAX_YEAR) || floor(v) != v) return 0;
    *year = (int)v;
    return 1;
}

static const char *S_describe(lua_State *L, int idx, char *buf, size_t size) {
    int ty = lua_type(L, idx);
    if (ty == LUA_TSTRING) {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        int nul;
        if (text_check_utf8(s, n, &nul) < n) snprintf(buf, size, "a string that is not UTF-8");
        else {
            size_t cut = n > 40 ? 40 : n;
            while (cut < n && cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80) cut--;
            snprintf(buf, size, "\"%.*s%s\" (a string)", (int)cut, s, cut < n ? "..." : "");
        }
    } else if (ty == LUA_TNUMBER) {
        char num[32];
        lua_Number v = lua_tonumber(L, idx);
        chart_number(num, v);
        snprintf(buf, size, "%s", isnan(v) ? "NaN (0/0)" : isinf(v) ? "an infinity" : num);
    } else {
        snprintf(buf, size, "a %s", lua_typename(L, ty));
    }
    return buf;
}

/* {year = ..., value = ...}: 1 when good (into *out); else reported. */
static int S_point(S_ctx *ctx, S_decl *dc, lua_State *L, int idx, const char *field,
                   indicator_value *out) {
    idx = lua_absindex(L, idx);
    char buf[96];
    if (lua_type(L, idx) != LUA_TTABLE) {
        S_err(ctx, dc->script, dc->line, 0, "%s must be a table { year = ..., value = ... }, not %s",
                   field, S_describe(L, idx, buf, sizeof buf));
        return 0;
    }
    int ok = 1;
    /* unknown keys */
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING || (strcmp(lua_tostring(L, -1), "year") != 0 &&
                                                strcmp(lua_tostring(L, -1), "value") != 0)) {
            S_err(ctx, dc->script, dc->line, 0, "%s has a field %s: only year and value are allowed",
                       field, S_describe(L, -1, buf, sizeof buf));
            ok = 0;
            lua_pop(L, 1);
            break;
        }
    }
    S_rawfield(L, idx, "year");
    if (!S_year_of(L, -1, &out->year)) {
        if (lua_isnil(L, -1)) S_err(ctx, dc->script, dc->line, 0, "%s needs a year", field);
        else S_err(ctx, dc->script, dc->line, 0, "%s.year must be a year (an integer from %d to %d), not %s",
                        field, S_MIN_YEAR, S_MAX_YEAR, S_describe(L, -1, buf, sizeof buf));
        ok = 0;
    }
    lua_pop(L, 1);
    S_rawfield(L, idx, "value");
    if (lua_type(L, -1) != LUA_TNUMBER || !isfinite(lua_tonumber(L, -1))) {
        if (lua_isnil(L, -1)) S_err(ctx, dc->script, dc->line, 0, "%s needs a value", field);
        else S_err(ctx, dc->script, dc->line, 0, "%s.value must be a finite number, not %s%s", field,
                        S_describe(L, -1, buf, sizeof buf),
                        lua_type(L, -1) == LUA_TSTRING ? " (use tonumber)" : "");
        ok = 0;
    } else {
        out->value = lua_tonumber(L, -1);
    }
    lua_pop(L, 1);
    return ok;
}

typedef struct S_entry {
    int ktype;         /* 0 integer-like number, 1 other number, 2 string, 3 other */
    double knum;
    const char *kstr;
    int vtype;
    double vnum;
    int year;          /* the year of this entry when good */
    int good;
    char why[160];
} S_entry;

static int S_cmp_entries(const void *a, const void *b) {
    const S_entry *x = a, *y = b;
    if (x->ktype != y->ktype) return x->ktype < y->ktype ? -1 : 1;
    if (x->ktype <= 1 && x->knum != y->knum) return x->knum < y->knum ? -1 : 1;
    if (x->ktype == 2) return strcmp(x->kstr, y->kstr);
    return 0;
}

static int S_cmp_values(const void *a, const void *b) {
    const indicator_value *x = a, *y = b;
    return (x->year > y->year) - (x->year < y->year);
}

/* values = { [2016] = 6.0, ... } or { {year = 2016, value = 6.0}, ... }:
 * 1 when good (sorted into *out, *n); else reported. */
static int S_values(S_ctx *ctx, S_decl *dc, lua_State *L, int idx, indicator_value **out, size_t *n) {
    idx = lua_absindex(L, idx);
    char buf[96];
    *out = NULL;
    *n = 0;
    if (lua_type(L, idx) != LUA_TTABLE) {
        S_err(ctx, dc->script, dc->line, 0,
                   "values must be a table { [2016] = 6.0, ... } (or a function that returns one), not %s",
                   S_describe(L, idx, buf, sizeof buf));
        return 0;
    }
    size_t count = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (++count > S_MAX_YEAR - S_MIN_YEAR + 1) break;
    }
    if (count > S_MAX_YEAR - S_MIN_YEAR + 1) {
        S_err(ctx, dc->script, dc->line, 0, "values has more entries than there are years (%d to %d)",
                   S_MIN_YEAR, S_MAX_YEAR);
        return 0;
    }
    if (count == 0) return 1;
    arena *a = ctx->s->a;
    /* the entries live in a userdata: the garbage collector frees them, even
     * when an error cuts this short */
    S_entry *e = lua_newuserdatauv(L, count * sizeof *e, 0);
    memset(e, 0, count * sizeof *e);
    size_t k = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (k == count) { /* the table grew meanwhile: cannot happen, but stay in bounds */
            lua_pop(L, 2);
            break;
        }
        S_entry *x = &e[k++];
        int kt = lua_type(L, -2);
        if (kt == LUA_TNUMBER) {
            x->knum = lua_tonumber(L, -2);
            x->ktype = floor(x->knum) == x->knum ? 0 : 1;
        } else if (kt == LUA_TSTRING) {
            x->ktype = 2;
            x->kstr = lua_tostring(L, -2); /* the table keeps it alive */
        } else {
            x->ktype = 3;
        }
        x->vtype = lua_type(L, -1);
        if (x->vtype == LUA_TTABLE) {
            /* { year = ..., value = ... } */
            if (x->ktype != 0) {
                snprintf(x->why, sizeof x->why, "a {year, value} entry must be in the list part (values = { {year = 2016, value = 6.0} })");
            } else {
                int ty = S_rawfield(L, -1, "year");
                int yok = S_year_of(L, -1, &x->year);
                if (!yok) snprintf(x->why, sizeof x->why, "entry %g: year must be a year (an integer from %d to %d), not %s",
                                   x->knum, S_MIN_YEAR, S_MAX_YEAR, ty == LUA_TNIL ? "missing" : S_describe(L, -1, buf, sizeof buf));
                lua_pop(L, 1);
                ty = S_rawfield(L, -1, "value");
                if (yok) {
                    if (ty == LUA_TNUMBER && isfinite(lua_tonumber(L, -1))) {
                        x->vnum = lua_tonumber(L, -1);
                        x->good = 1;
                    } else {
                        snprintf(x->why, sizeof x->why, "the value for %d must be a finite number, not %s%s", x->year,
                                 ty == LUA_TNIL ? "missing" : S_describe(L, -1, buf, sizeof buf),
                                 ty == LUA_TSTRING ? " (use tonumber)" : "");
                    }
                }
                lua_pop(L, 1);
            }
        } else if (x->ktype == 0 && x->knum >= S_MIN_YEAR && x->knum <= S_MAX_YEAR) {
            x->year = (int)x->knum;
            if (x->vtype == LUA_TNUMBER && isfinite(lua_tonumber(L, -1))) {
                x->vnum = lua_tonumber(L, -1);
                x->good = 1;
            } else {
                snprintf(x->why, sizeof x->why, "the value for %d must be a finite number, not %s%s", x->year,
                         S_describe(L, -1, buf, sizeof buf), x->vtype == LUA_TSTRING ? " (use tonumber)" : "");
            }
        } else {
            char kb[96];
            snprintf(x->why, sizeof x->why, "key %s is not a year (an integer from %d to %d)%s",
                     S_describe(L, -2, kb, sizeof kb), S_MIN_YEAR, S_MAX_YEAR,
                     x->ktype == 2 ? ": use [tonumber(year)]" : "");
        }
        lua_pop(L, 1);
    }
    qsort(e, k, sizeof *e, S_cmp_entries);
    int ok = 1, reported = 0, more = 0;
    if (!S_keep(ctx, dc->script, dc->line, k * sizeof(indicator_value))) {
        lua_pop(L, 1); /* the entries */
        return 0;
    }
    indicator_value *v = arena_alloc(a, k * sizeof *v);
    size_t nv = 0;
    for (size_t i = 0; i < k; i++) {
        if (!e[i].good) {
            ok = 0;
            if (reported < S_MAX_REPORTS) {
                S_err(ctx, dc->script, dc->line, 0, "values: %s", e[i].why);
                reported++;
            } else {
                more++;
            }
            continue;
        }
        v[nv].year = e[i].year;
        v[nv].value = e[i].vnum;
        nv++;
    }
    if (more) S_err(ctx, dc->script, dc->line, 0, "values: %d more bad entries", more);
    qsort(v, nv, sizeof *v, S_cmp_values);
    for (size_t i = 1; i < nv; i++)
        if (v[i].year == v[i - 1].year) {
            S_err(ctx, dc->script, dc->line, 0, "values: two values for %d", v[i].year);
            ok = 0;
            break;
        }
    lua_pop(L, 1); /* the entries */
    if (!ok) return 0;
    *out = v;
    *n = nv;
    return 1;
}

/* ------------------------------------------------------------------------
 * indicator { ... }
 * ------------------------------------------------------------------------ */

static const char *const S_fields[] = {
    "id", "name", "unit", "plan", "goal", "tasks", "lead", "direction", "baseline", "target",
    "values", "source", "note", "status", "sample", NULL};

static const char *const S_statuses[] = {"achieved", "on-track", "off-track", "no-data", NULL};

static const char *S_status_name(const char *s) {
    for (int i = 0; S_statuses[i]; i++)
        if (strcmp(s, S_statuses[i]) == 0) return S_statuses[i];
    return NULL;
}

static int S_cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Fields nobody knows: reported sorted, so that the order is stable. */
static void S_unknown_fields(S_ctx *ctx, S_decl *dc, lua_State *L, int t) {
    const char *bad[16];
    int nbad = 0, more = 0;
    char buf[96];
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        int known = 0;
        if (lua_type(L, -1) == LUA_TSTRING)
            for (int i = 0; S_fields[i] && !known; i++) known = strcmp(lua_tostring(L, -1), S_fields[i]) == 0;
        if (known) continue;
        if (nbad >= 16) more++;
        else {
            /* "tagret" (a string) -> "tagret" */
            const char *desc = S_describe(L, -1, buf, sizeof buf);
            const char *tail = strstr(desc, " (a string)");
            size_t len = tail && lua_type(L, -1) == LUA_TSTRING ? (size_t)(tail - desc) : strlen(desc);
            bad[nbad++] = arena_strndup(ctx->s->a, desc, len);
        }
    }
    qsort(bad, (size_t)nbad, sizeof *bad, S_cmp_str);
    for (int i = 0; i < nbad; i++)
        S_err(ctx, dc->script, dc->line, 0,
                   "unknown field %s in indicator{} (known: id, name, unit, plan, goal, tasks, lead, direction, "
                   "baseline, target, values, source, note, status, sample)",
                   bad[i]);
    if (more) S_err(ctx, dc->script, dc->line, 0, "%d more unknown fields", more);
}

static S_decl *S_new_decl(S_ctx *ctx) {
    ctx->decls = arena_grow(ctx->s->a, ctx->decls, sizeof *ctx->decls, &ctx->cap, ctx->ndecls + 1);
    S_decl *dc = &ctx->decls[ctx->ndecls++];
    memset(dc, 0, sizeof *dc);
    dc->x = arena_alloc(ctx->s->a, sizeof *dc->x);
    for (int i = 0; i < S_NLAZY; i++) dc->lazy[i] = LUA_NOREF;
    dc->status_ref = LUA_NOREF;
    return dc;
}

static int S_l_indicator(lua_State *L) {
    S_ctx *ctx = S_ctx_of(L);
    if (ctx->phase != 0)
        return luaL_error(L, "indicator{} can only be called while the scripts run, not from a function field");
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    sandbox_charge(L, S_DECL_COST);
    if (ctx->ndecls >= S_MAX_INDICATORS)
        return luaL_error(L, "more than %d indicators", S_MAX_INDICATORS);
    S_decl *dc = S_new_decl(ctx);
    indicator *ind = &dc->x->pub;
    dc->script = ctx->script;
    dc->line = S_script_line(L, ctx->script, NULL);
    ind->path = dc->script;
    ind->line = dc->line;
    dc->state = D_DONE;
    char buf[96];

    S_unknown_fields(ctx, dc, L, 1);
    ind->id = S_text(ctx, dc, L, 1, "id", 1);
    if (ind->id && !text_is_id(ind->id)) {
        S_err(ctx, dc->script, dc->line, 0,
                   "indicator id \"%s\" must be made of lowercase letters, digits and '-' (at most 100, not starting with '-')",
                   ind->id);
        ind->id = NULL;
    }
    ind->name = S_text(ctx, dc, L, 1, "name", 1);
    if (!ind->name) ind->name = ind->id; /* reported; pages still have a title */
    ind->unit = S_text(ctx, dc, L, 1, "unit", 0);
    if (ind->unit && strlen(ind->unit) > 60) {
        S_err(ctx, dc->script, dc->line, 0, "unit is too long (at most 60 bytes): \"%.60s...\"", ind->unit);
        ind->unit = NULL;
    }
    ind->source = S_text(ctx, dc, L, 1, "source", 0);
    dc->x->note = S_text(ctx, dc, L, 1, "note", 0);
    dc->plan_ref = S_text(ctx, dc, L, 1, "plan", 0);
    dc->goal_ref = S_text(ctx, dc, L, 1, "goal", 0);
    dc->lead_ref = S_text(ctx, dc, L, 1, "lead", 0);

    const char *dir = S_text(ctx, dc, L, 1, "direction", 0);
    if (dir && strcmp(dir, "down") == 0) ind->down = 1;
    else if (dir && strcmp(dir, "up") != 0)
        S_err(ctx, dc->script, dc->line, 0, "direction must be \"up\" or \"down\", not \"%s\"", dir);

    int ty = S_rawfield(L, 1, "sample");
    if (ty == LUA_TBOOLEAN) ind->sample = lua_toboolean(L, -1);
    else if (ty != LUA_TNIL)
        S_err(ctx, dc->script, dc->line, 0, "sample must be true or false, not %s", S_describe(L, -1, buf, sizeof buf));
    lua_pop(L, 1);

    /* tasks: a list of ids ("t1" in the plan, "plan#t1" anywhere), or one id */
    ty = S_rawfield(L, 1, "tasks");
    if (ty == LUA_TSTRING) {
        dc->task_refs = arena_alloc(ctx->s->a, sizeof *dc->task_refs);
        dc->task_refs[0] = S_text(ctx, dc, L, 1, "tasks", 0);
        dc->ntask_refs = dc->task_refs[0] ? 1 : 0;
    } else if (ty == LUA_TTABLE) {
        lua_Unsigned n = lua_rawlen(L, -1);
        size_t count = 0;
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            lua_pop(L, 1);
            count++;
        }
        if (count != n || n > S_MAX_TASKS) {
            S_err(ctx, dc->script, dc->line, 0, "tasks must be a list of task ids { \"t1\", \"t2\" }%s",
                       n > S_MAX_TASKS ? " (at most 1000)" : "");
        } else {
            dc->task_refs = arena_alloc(ctx->s->a, (n ? n : 1) * sizeof *dc->task_refs);
            for (lua_Unsigned i = 1; i <= n; i++) {
                lua_rawgeti(L, -1, (lua_Integer)i);
                size_t len;
                const char *t = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
                int nul;
                if (!t || text_check_utf8(t, len, &nul) < len || len == 0 || len > 300)
                    S_err(ctx, dc->script, dc->line, 0, "tasks[%d] must be a task id, not %s", (int)i,
                               S_describe(L, -1, buf, sizeof buf));
                else
                    dc->task_refs[dc->ntask_refs++] = arena_strndup(ctx->s->a, t, len);
                lua_pop(L, 1);
            }
        }
    } else if (ty != LUA_TNIL) {
        S_err(ctx, dc->script, dc->line, 0, "tasks must be a list of task ids, not %s",
                   S_describe(L, -1, buf, sizeof buf));
    }
    lua_pop(L, 1);

    /* baseline, target, values: a value now, or a function for later */
    for (int f = 0; f < S_NLAZY; f++) {
        ty = S_rawfield(L, 1, S_lazy_names[f]);
        if (ty == LUA_TFUNCTION) {
            dc->lazy[f] = luaL_ref(L, LUA_REGISTRYINDEX);
            dc->state = D_PENDING;
            continue;
        }
        if (ty != LUA_TNIL) {
            if (f == S_F_VALUES) S_values(ctx, dc, L, -1, &ind->values, &ind->nvalues);
            else if (f == S_F_BASELINE) ind->has_baseline = S_point(ctx, dc, L, -1, "baseline", &ind->baseline);
            else ind->has_target = S_point(ctx, dc, L, -1, "target", &ind->target);
            sandbox_charge(L, (long long)ind->nvalues * 10);
        }
        lua_pop(L, 1);
    }

    ty = S_rawfield(L, 1, "status");
    if (ty == LUA_TFUNCTION) {
        dc->status_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    } else {
        if (ty == LUA_TSTRING && S_status_name(lua_tostring(L, -1)))
            dc->status_fixed = S_status_name(lua_tostring(L, -1));
        else if (ty != LUA_TNIL)
            S_err(ctx, dc->script, dc->line, 0,
                       "status must be a function or one of \"achieved\", \"on-track\", \"off-track\", \"no-data\", not %s",
                       S_describe(L, -1, buf, sizeof buf));
        lua_pop(L, 1);
    }

    if (ind->id) {
        size_t prev = (size_t)(uintptr_t)strmap_get(&ctx->by_id, ind->id);
        if (prev) {
            const S_decl *first = &ctx->decls[prev - 1];
            S_err(ctx, dc->script, dc->line, 0, "indicator id \"%s\" is already declared at %s:%d", ind->id,
                       first->script, first->line);
            dc->dup = 1;
        } else {
            strmap_put(&ctx->by_id, ind->id, (void *)(uintptr_t)ctx->ndecls);
        }
    } else {
        dc->dup = 1; /* no usable id: left out */
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * csv(path)
 * ------------------------------------------------------------------------ */

/* A path inside the content folder: relative, '/'-separated, no empty,
 * "." or ".." segment, no backslash or control character. */
static int S_path_ok(const char *p, size_t n) {
    if (n == 0 || n > 400 || strlen(p) != n || p[0] == '/') return 0;
    const char *seg = p;
    for (size_t i = 0; i <= n; i++) {
        char c = i < n ? p[i] : '/';
        if (c == '\\' || (unsigned char)c < 0x20) return 0;
        if (c == '/') {
            size_t len = (size_t)(p + i - seg);
            if (len == 0 || (len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.')) return 0;
            seg = p + i + 1;
        }
    }
    return 1;
}

/* Raises an error already reported as a diagnostic: the script's error is
 * not reported again. */
static int S_quiet_error(lua_State *L, S_ctx *ctx, const char *fn, const char *arg, const char *what) {
    snprintf(ctx->quiet, sizeof ctx->quiet, "%s(\"%.100s\"): %s", fn, arg, what);
    return luaL_error(L, "%s", ctx->quiet);
}

static int S_l_csv(lua_State *L) {
    S_ctx *ctx = S_ctx_of(L);
    size_t plen;
    const char *rel = luaL_checklstring(L, 1, &plen);
    if (!S_path_ok(rel, plen))
        return luaL_error(L, "csv(\"%s\"): the path must be relative to the content folder and stay inside it "
                             "(no \"..\", no absolute path), e.g. csv(\"data/x.csv\")", rel);
    const char *dir = ctx->s->content_dir ? ctx->s->content_dir : "";
    const char *path = lua_pushfstring(L, "%s%s%s", dir, *dir ? "/" : "", rel);
    const char *from = NULL;
    int line = S_script_line(L, ctx->script, &from);
    free(ctx->csv_buf);
    ctx->csv_buf = NULL;
    size_t len = 0;
    int rc = ctx->read(ctx->read_payload, path, &ctx->csv_buf, &len, ctx->d);
    if (rc > 0) return luaL_error(L, "csv(\"%s\"): there is no file %s in the content folder", rel, path);
    if (rc < 0) return S_quiet_error(L, ctx, "csv", rel, "the file cannot be read");
    const char *src = ctx->csv_buf;
    sandbox_charge(L, (long long)(len / 16) + 1);

    char where[400];
    const char *script = from ? from : ctx->script;
    if (script && line > 0) snprintf(where, sizeof where, " (read by csv() at %s:%d)", script, line);
    else where[0] = '\0';
    int nul, l, c;
    size_t bad = text_check_utf8(src, len, &nul);
    if (bad < len) {
        text_line_col(src, bad, &l, &c);
        S_err(ctx, path, l, c, "%s%s", nul ? "NUL byte in the file" : "invalid UTF-8", where);
        return S_quiet_error(L, ctx, "csv", rel, "the file is not UTF-8 text");
    }

    /* pass 1: the syntax and the shape, before anything is built */
    csv_reader r;
    csv_field f;
    csv_init(&r, src, len);
    size_t ncols = 0, col = 0, nrows = 0;
    int header = 1, got, row_line = 0;
    while ((got = csv_next(&r, &f)) > 0) {
        if (col++ == 0) row_line = f.line;
        if (!f.last) continue;
        if (header) {
            ncols = col;
            header = 0;
        } else if (col != ncols) {
            S_err(ctx, path, row_line, 0, "this row has %zu fields, the header has %zu%s", col, ncols, where);
            return S_quiet_error(L, ctx, "csv", rel, "the table is malformed");
        } else {
            nrows++;
        }
        col = 0;
    }
    if (got < 0) {
        S_err(ctx, path, r.err_line, r.err_col, "%s%s", r.err, where);
        return S_quiet_error(L, ctx, "csv", rel, "the table is malformed");
    }
    sandbox_charge(L, (long long)(nrows + 1) * (long long)(ncols + 1));

    /* pass 2: the header's names, then a table per row keyed by them */
    lua_createtable(L, nrows < 1u << 24 ? (int)nrows : 0, 0); /* rows */
    int rows = lua_gettop(L);
    lua_createtable(L, ncols < 1u << 16 ? (int)ncols : 0, 0); /* columns */
    int cols = lua_gettop(L);
    lua_newtable(L); /* names seen */
    int seen = lua_gettop(L);
    csv_init(&r, src, len);
    for (size_t i = 0; i < ncols; i++) {
        csv_next(&r, &f);
        luaL_Buffer b;
        char *p = luaL_buffinitsize(L, &b, f.len);
        luaL_pushresultsize(&b, csv_unquote(&f, p));
        if (lua_rawlen(L, -1) == 0) {
            S_err(ctx, path, f.line, f.col, "column %zu has no name in the header%s", i + 1, where);
            return S_quiet_error(L, ctx, "csv", rel, "the table is malformed");
        }
        lua_pushvalue(L, -1);
        if (lua_rawget(L, seen) != LUA_TNIL) {
            S_err(ctx, path, f.line, f.col, "two columns are named \"%s\"%s", lua_tostring(L, -2), where);
            return S_quiet_error(L, ctx, "csv", rel, "the table is malformed");
        }
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        lua_pushboolean(L, 1);
        lua_rawset(L, seen);
        lua_rawseti(L, cols, (lua_Integer)i + 1);
    }
    for (size_t row = 1; row <= nrows; row++) {
        lua_createtable(L, 0, (int)(ncols < 1024 ? ncols : 1024));
        for (size_t i = 1; i <= ncols; i++) {
            csv_next(&r, &f);
            lua_rawgeti(L, cols, (lua_Integer)i);
            if (f.quoted) {
                luaL_Buffer b;
                char *p = luaL_buffinitsize(L, &b, f.len);
                luaL_pushresultsize(&b, csv_unquote(&f, p));
            } else {
                lua_pushlstring(L, f.ptr, f.len);
            }
            lua_rawset(L, -3);
        }
        lua_rawseti(L, rows, (lua_Integer)row);
    }
    free(ctx->csv_buf);
    ctx->csv_buf = NULL;
    lua_pop(L, 1); /* seen */
    return 2;      /* rows, columns */
}

/* ------------------------------------------------------------------------
 * value(id, year)
 * ------------------------------------------------------------------------ */

static long S_find(S_ctx *ctx, const char *id) {
    size_t i = (size_t)(uintptr_t)strmap_get(&ctx->by_id, id);
    return i ? (long)i - 1 : -1;
}

static int S_l_value(lua_State *L) {
    S_ctx *ctx = S_ctx_of(L);
    if (ctx->phase == 0)
        return luaL_error(L, "value() works only in a function field, which runs once every script has "
                             "declared its indicators: values = function() return { [2017] = value(\"x\", 2017) } end");
    const char *id = luaL_checkstring(L, 1);
    int year;
    if (!S_year_of(L, 2, &year))
        return luaL_error(L, "value(\"%s\", year): the year must be an integer from %d to %d", id, S_MIN_YEAR,
                          S_MAX_YEAR);
    long i = S_find(ctx, id);
    if (i < 0) return luaL_error(L, "value(\"%s\", %d): there is no indicator \"%s\"", id, year, id);
    S_decl *dc = &ctx->decls[i];
    switch (dc->state) {
    case D_PENDING:
        if (ctx->missing < 0) ctx->missing = i;
        return luaL_error(L, "value(\"%s\", %d): not computed yet", id, year);
    case D_RUNNING: {
        /* a cycle: the ids from the one asked for to the one asking */
        strbuf b = STRBUF_INIT;
        size_t from = 0;
        for (size_t k = 0; k < ctx->depth; k++)
            if (ctx->stack[k] == (size_t)i) from = k;
        for (size_t k = from; k < ctx->depth; k++) {
            sb_puts(&b, ctx->decls[ctx->stack[k]].x->pub.id);
            sb_puts(&b, " -> ");
        }
        sb_puts(&b, id);
        lua_pushfstring(L, "value(\"%s\", %d): the indicators depend on each other in a cycle: %s", id, year,
                        sb_str(&b));
        sb_free(&b);
        return lua_error(L);
    }
    case D_FAILED:
        return S_quiet_error(L, ctx, "value", id, "that indicator could not be computed");
    case D_DONE:
        break;
    }
    const indicator *ind = &dc->x->pub;
    for (size_t k = 0; k < ind->nvalues; k++)
        if (ind->values[k].year == year) {
            lua_pushnumber(L, ind->values[k].value);
            return 1;
        }
    if (ind->has_baseline && ind->baseline.year == year) {
        lua_pushnumber(L, ind->baseline.value);
        return 1;
    }
    strbuf b = STRBUF_INIT;
    if (ind->has_baseline) sb_printf(&b, " (baseline %d", ind->baseline.year);
    for (size_t k = 0; k < ind->nvalues; k++) sb_printf(&b, "%s%d", b.len ? ", " : " (values ", ind->values[k].year);
    if (b.len) sb_puts(&b, ")");
    lua_pushfstring(L, "value(\"%s\", %d): \"%s\" has no value for %d%s", id, year, id, year, sb_str(&b));
    sb_free(&b);
    return lua_error(L);
}

/* ------------------------------------------------------------------------
 * Function fields, in dependency order
 * ------------------------------------------------------------------------ */

/* Calls the function fields of the declaration (light userdata 1) and
 * returns their results, one per field (nil when a field is not lazy). */
static int S_l_eval(lua_State *L) {
    const S_decl *dc = lua_touserdata(L, 1);
    for (int f = 0; f < S_NLAZY; f++) {
        if (dc->lazy[f] == LUA_NOREF) {
            lua_pushnil(L);
            continue;
        }
        lua_rawgeti(L, LUA_REGISTRYINDEX, dc->lazy[f]);
        lua_call(L, 0, 1);
    }
    return S_NLAZY;
}

static void S_after_call(S_ctx *ctx) {
    free(ctx->csv_buf);
    ctx->csv_buf = NULL;
    if (sandbox_limit_hit(ctx->sb)) ctx->stopped = 1;
}

static void S_resolve(S_ctx *ctx, size_t i);

/* "a -> b -> ... -> z", cut in the middle when long. */
static void S_chain(S_ctx *ctx, strbuf *b, const char *last) {
    for (size_t k = 0; k < ctx->depth; k++) {
        if (ctx->depth > 12 && k == 5) {
            sb_printf(b, "... (%zu more) -> ", ctx->depth - 10);
            k = ctx->depth - 5;
        }
        sb_puts(b, ctx->decls[ctx->stack[k]].x->pub.id);
        sb_puts(b, " -> ");
    }
    sb_puts(b, last);
}

static void S_resolve(S_ctx *ctx, size_t i) {
    S_decl *dc = &ctx->decls[i];
    if (dc->state != D_PENDING) return;
    if (ctx->stopped) {
        dc->state = D_FAILED;
        return;
    }
    lua_State *L = ctx->L;
    indicator *ind = &dc->x->pub;
    dc->state = D_RUNNING;
    ctx->stack[ctx->depth++] = i;
    for (;;) {
        if (++ctx->evals > S_MAX_EVALS) {
            if (ctx->evals == S_MAX_EVALS + 1)
                S_err(ctx, dc->script, dc->line, 0,
                           "the function fields ran more than %d times: too many indicators depend on others",
                           S_MAX_EVALS);
            dc->state = D_FAILED;
            break;
        }
        ctx->missing = -1;
        ctx->quiet[0] = '\0';
        int top = lua_gettop(L);
        lua_pushcfunction(L, S_l_eval);
        lua_pushlightuserdata(L, dc);
        const char *err = NULL;
        int rc = sandbox_call(ctx->sb, 1, S_NLAZY, &err);
        S_after_call(ctx);
        if (ctx->missing >= 0) {
            /* it asked for one not computed yet: compute that one, run again */
            lua_settop(L, top);
            size_t j = (size_t)ctx->missing;
            if (ctx->depth >= S_MAX_CHAIN) {
                strbuf b = STRBUF_INIT;
                S_chain(ctx, &b, ctx->decls[j].x->pub.id);
                S_err(ctx, dc->script, dc->line, 0, "value() calls nest more than %d deep: %s", S_MAX_CHAIN,
                           sb_str(&b));
                sb_free(&b);
                dc->state = D_FAILED;
                break;
            }
            S_resolve(ctx, j);
            continue;
        }
        if (rc != 0) {
            S_report_lua(ctx, err, dc->script, dc->line);
            dc->state = D_FAILED;
            break;
        }
        /* the results, checked like the plain fields */
        int base = top + 1, ok = 1;
        for (int f = 0; f < S_NLAZY; f++) {
            if (dc->lazy[f] == LUA_NOREF) continue;
            int idx = base + f;
            if (f == S_F_VALUES) {
                if (lua_isnil(L, idx)) ind->nvalues = 0;
                else ok &= S_values(ctx, dc, L, idx, &ind->values, &ind->nvalues);
            } else if (lua_isnil(L, idx)) {
                if (f == S_F_BASELINE) ind->has_baseline = 0;
                else ind->has_target = 0;
            } else if (f == S_F_BASELINE) {
                ok &= ind->has_baseline = S_point(ctx, dc, L, idx, "baseline", &ind->baseline);
            } else {
                ok &= ind->has_target = S_point(ctx, dc, L, idx, "target", &ind->target);
            }
        }
        lua_settop(L, top);
        dc->state = ok ? D_DONE : D_FAILED;
        break;
    }
    ctx->depth--;
}

/* ------------------------------------------------------------------------
 * References to the plan model
 * ------------------------------------------------------------------------ */

static void S_item_add(arena *a, item *it, indicator *ind) {
    for (size_t i = 0; i < it->nindicators; i++)
        if (it->indicators[i] == ind) return;
    indicator **nl = arena_alloc(a, (it->nindicators + 1) * sizeof *nl);
    if (it->nindicators) memcpy(nl, it->indicators, it->nindicators * sizeof *nl);
    nl[it->nindicators++] = ind;
    it->indicators = nl;
}

static void S_link(S_ctx *ctx, S_decl *dc) {
    site *s = ctx->s;
    indicator *ind = &dc->x->pub;
    if (dc->plan_ref) {
        ind->plan = site_find_plan(s, dc->plan_ref);
        if (!ind->plan) S_err(ctx, dc->script, dc->line, 0, "unknown plan \"%s\"", dc->plan_ref);
    }
    if (dc->goal_ref) {
        int qualified = strchr(dc->goal_ref, '#') != NULL;
        item *g = NULL;
        if (!qualified && !dc->plan_ref) {
            S_err(ctx, dc->script, dc->line, 0,
                       "goal \"%s\": name its plan, plan = \"...\", or write goal = \"plan#%s\"", dc->goal_ref,
                       dc->goal_ref);
        } else if (!qualified && !ind->plan) {
            /* the unknown plan is reported */
        } else if (!(g = links_find_item(s, ind->plan, dc->goal_ref))) {
            S_err(ctx, dc->script, dc->line, 0, "unknown goal \"%s\"%s%s%s", dc->goal_ref,
                       qualified ? "" : " in plan \"", qualified ? "" : ind->plan->doc.id, qualified ? "" : "\"");
        } else if (g->role != ROLE_GOAL) {
            S_err(ctx, dc->script, dc->line, 0, "goal \"%s\" is a %s, not a goal", dc->goal_ref,
                       item_role_name(g->role));
        } else if (ind->plan && g->plan != ind->plan) {
            S_err(ctx, dc->script, dc->line, 0, "goal \"%s\" is not in plan \"%s\"", dc->goal_ref,
                       ind->plan->doc.id);
        } else {
            ind->goal = g;
            if (!ind->plan && !dc->plan_ref) ind->plan = g->plan;
        }
    }
    if (dc->ntask_refs) {
        ind->tasks = arena_alloc(s->a, dc->ntask_refs * sizeof *ind->tasks);
        for (size_t i = 0; i < dc->ntask_refs; i++) {
            const char *ref = dc->task_refs[i];
            int qualified = strchr(ref, '#') != NULL;
            item *t = NULL;
            if (!qualified && !ind->plan) {
                if (!dc->plan_ref)
                    S_err(ctx, dc->script, dc->line, 0,
                               "task \"%s\": name its plan, plan = \"...\", or write \"plan#%s\"", ref, ref);
            } else if (!(t = links_find_item(s, ind->plan, ref))) {
                S_err(ctx, dc->script, dc->line, 0, "unknown task \"%s\"%s%s%s", ref,
                           qualified ? "" : " in plan \"", qualified ? "" : ind->plan->doc.id, qualified ? "" : "\"");
            } else if (t->role == ROLE_GOAL) {
                S_err(ctx, dc->script, dc->line, 0, "task \"%s\" is a goal: name it as goal = \"%s\"", ref, ref);
            } else {
                size_t k = 0;
                while (k < ind->ntasks && ind->tasks[k] != t) k++;
                if (k == ind->ntasks) ind->tasks[ind->ntasks++] = t;
            }
        }
    }
    if (dc->lead_ref) {
        const body *b = bodies_get(&s->bodies, dc->lead_ref), *other = NULL;
        if (!b) {
            body_match m = bodies_resolve(&s->bodies, dc->lead_ref, ind->plan ? ind->plan->issuer : NULL, &b, &other);
            if (m == BODY_AMBIGUOUS) {
                S_err(ctx, dc->script, dc->line, 0, "lead \"%s\" could be \"%s\" (%s) or \"%s\" (%s): use the id",
                           dc->lead_ref, b->name, b->id, other->name, other->id);
                b = NULL;
            } else if (m != BODY_FOUND) {
                const char *sug = bodies_suggest(&s->bodies, dc->lead_ref);
                if (sug) S_err(ctx, dc->script, dc->line, 0, "unknown body \"%s\" (did you mean \"%s\"?)",
                                    dc->lead_ref, sug);
                else S_err(ctx, dc->script, dc->line, 0, "unknown body \"%s\"", dc->lead_ref);
                b = NULL;
            }
        }
        ind->lead = (body *)b;
    }
}

/* ------------------------------------------------------------------------
 * Status
 * ------------------------------------------------------------------------ */

static int S_meets(int down, double v, double target) {
    double eps = 1e-9 * (fabs(target) > 1 ? fabs(target) : 1);
    return down ? v <= target + eps : v >= target - eps;
}

indicator_verdict indicators_default_status(const indicator *ind, int as_of_year) {
    indicator_verdict v = {"no-data", "no-values", 0, 0};
    /* values from before the baseline year are history, not progress */
    size_t first = 0;
    if (ind->has_baseline)
        while (first < ind->nvalues && ind->values[first].year < ind->baseline.year) first++;
    if (first >= ind->nvalues) return v;
    if (!ind->has_target) {
        v.reason = "no-target";
        return v;
    }
    indicator_value latest = ind->values[ind->nvalues - 1];
    chart_point from = ind->has_baseline ? (chart_point){ind->baseline.year, ind->baseline.value}
                                         : (chart_point){ind->values[first].year, ind->values[first].value};
    chart_point to = {ind->target.year, ind->target.value};
    v.has_expected = 1;
    v.expected = chart_line_at(from, to, latest.year);
    if (S_meets(ind->down, latest.value, ind->target.value)) {
        v.status = "achieved";
        v.reason = "achieved";
    } else if (latest.year >= ind->target.year || as_of_year > ind->target.year) {
        v.status = "off-track";
        v.reason = "past";
    } else if (S_meets(ind->down, latest.value, v.expected)) {
        v.status = "on-track";
        v.reason = "on-track";
    } else {
        v.status = "off-track";
        v.reason = "behind";
    }
    return v;
}

static void S_push_point(lua_State *L, const indicator_value *p) {
    lua_createtable(L, 0, 2);
    lua_pushinteger(L, p->year);
    lua_setfield(L, -2, "year");
    lua_pushnumber(L, p->value);
    lua_setfield(L, -2, "value");
}

/* The argument of a status function: a fresh table the script may keep. */
static void S_push_status_arg(lua_State *L, const S_decl *dc, const indicator_verdict *v, int as_of) {
    const indicator *ind = &dc->x->pub;
    lua_createtable(L, 0, 12);
    lua_pushstring(L, ind->id);
    lua_setfield(L, -2, "id");
    lua_pushstring(L, ind->name);
    lua_setfield(L, -2, "name");
    if (ind->unit) {
        lua_pushstring(L, ind->unit);
        lua_setfield(L, -2, "unit");
    }
    lua_pushstring(L, ind->down ? "down" : "up");
    lua_setfield(L, -2, "direction");
    if (ind->has_baseline) {
        S_push_point(L, &ind->baseline);
        lua_setfield(L, -2, "baseline");
    }
    if (ind->has_target) {
        S_push_point(L, &ind->target);
        lua_setfield(L, -2, "target");
    }
    lua_createtable(L, 0, (int)ind->nvalues);
    for (size_t i = 0; i < ind->nvalues; i++) {
        lua_pushnumber(L, ind->values[i].value);
        lua_rawseti(L, -2, ind->values[i].year);
    }
    lua_setfield(L, -2, "values");
    if (ind->nvalues) {
        S_push_point(L, &ind->values[ind->nvalues - 1]);
        lua_setfield(L, -2, "latest");
    }
    if (v->has_expected) {
        lua_pushnumber(L, v->expected);
        lua_setfield(L, -2, "expected");
    }
    lua_pushstring(L, v->status);
    lua_setfield(L, -2, "default");
    lua_pushinteger(L, as_of);
    lua_setfield(L, -2, "as_of");
    lua_pushboolean(L, ind->sample);
    lua_setfield(L, -2, "sample");
}

static void S_status(S_ctx *ctx, S_decl *dc) {
    S_ind *x = dc->x;
    indicator *ind = &x->pub;
    indicator_verdict v = indicators_default_status(ind, ctx->as_of_year);
    ind->status = v.status;
    x->reason = v.reason;
    x->has_expected = v.has_expected;
    x->expected = v.expected;
    if (dc->status_fixed) {
        ind->status = dc->status_fixed;
        x->custom = 1;
        x->reason = "custom";
        return;
    }
    if (dc->status_ref == LUA_NOREF || dc->state != D_DONE || ctx->stopped) return;
    lua_State *L = ctx->L;
    int top = lua_gettop(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, dc->status_ref);
    S_push_status_arg(L, dc, &v, ctx->as_of_year);
    const char *err = NULL;
    ctx->quiet[0] = '\0';
    int rc = sandbox_call(ctx->sb, 1, 1, &err);
    S_after_call(ctx);
    if (rc != 0) {
        S_report_lua(ctx, err, dc->script, dc->line);
        return;
    }
    const char *st = lua_type(L, -1) == LUA_TSTRING ? S_status_name(lua_tostring(L, -1)) : NULL;
    if (!st) {
        char buf[96];
        S_err(ctx, dc->script, dc->line, 0,
                   "the status function returned %s: it must return \"achieved\", \"on-track\", \"off-track\" or "
                   "\"no-data\"",
                   S_describe(L, -1, buf, sizeof buf));
    } else {
        ind->status = st;
        x->custom = 1;
        x->reason = "custom";
    }
    lua_settop(L, top);
}

/* ------------------------------------------------------------------------
 * Loading
 * ------------------------------------------------------------------------ */

static int S_cmp_ind(const void *a, const void *b) {
    const indicator *x = *(const indicator *const *)a, *y = *(const indicator *const *)b;
    return strcmp(x->id, y->id);
}

static int S_cmp_files(const void *a, const void *b) {
    return strcmp(((const indicators_file *)a)->path, ((const indicators_file *)b)->path);
}

static void S_run_script(S_ctx *ctx, const indicators_file *f) {
    int nul, line, col;
    if (ctx->stopped) return;
    size_t bad = text_check_utf8(f->text, f->len, &nul);
    if (bad < f->len) {
        text_line_col(f->text, bad, &line, &col);
        S_err(ctx, f->path, line, col, nul ? "NUL byte in the file" : "invalid UTF-8");
        return;
    }
    lua_State *L = ctx->L;
    int top = lua_gettop(L);
    ctx->script = f->path;
    ctx->quiet[0] = '\0';
    sandbox_push_env(ctx->sb);
    const char *chunk = lua_pushfstring(L, "@%s", f->path);
    lua_insert(L, -2);
    const char *err = NULL;
    if (sandbox_load(ctx->sb, f->text, f->len, chunk, -1, &err) != 0) {
        S_report_lua(ctx, err, f->path, 0);
    } else if (sandbox_call(ctx->sb, 0, 0, &err) != 0) {
        S_after_call(ctx);
        S_report_lua(ctx, err, f->path, 0);
    }
    S_after_call(ctx);
    lua_settop(L, top);
}

static int S_load(site *s, const indicators_file *scripts, size_t nscripts, S_read_fn read, void *payload,
                  const sandbox_limits *limits, int snapshot, diag *d) {
    s->indicators = NULL;
    s->nindicators = 0;
    if (nscripts == 0) return 0;
    sandbox_limits lim = limits ? *limits : (sandbox_limits){0};
    indicators_limits(s, &lim, NULL, d);
    /* the scripts of one revision together: by default ten runs' worth */
    if (!lim.total_instructions)
        lim.total_instructions = 10 * (lim.instructions > 0 ? lim.instructions : INDICATORS_DEFAULT_INSTRUCTIONS);
    lim.total = NULL;
    if (!lim.memory_bytes) lim.memory_bytes = S_DEFAULT_MEMORY;
    S_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.s = s;
    ctx.d = d;
    ctx.read = read;
    ctx.read_payload = payload;
    ctx.missing = -1;
    ctx.snapshot = snapshot;
    strmap_init(&ctx.by_id, s->a);
    char day[16];
    text_date_of(s->commit.time, s->commit.offset, day);
    ctx.as_of_year = atoi(day);
    ctx.sb = sandbox_new(&lim);
    if (!ctx.sb) {
        diag_error(d, NULL, 0, 0, "out of memory starting the Lua sandbox");
        return -1;
    }
    lua_State *L = ctx.L = sandbox_lua(ctx.sb);
    static const luaL_Reg fns[] = {{"indicator", S_l_indicator}, {"csv", S_l_csv}, {"value", S_l_value}, {NULL, NULL}};
    for (const luaL_Reg *r = fns; r->name; r++) {
        lua_pushlightuserdata(L, &ctx);
        lua_pushcclosure(L, r->func, 1);
        lua_setglobal(L, r->name);
    }

    /* 1. the scripts, in path order */
    indicators_file *sorted = malloc(nscripts * sizeof *sorted);
    if (!sorted) {
        sandbox_free(ctx.sb);
        return -1;
    }
    memcpy(sorted, scripts, nscripts * sizeof *sorted);
    qsort(sorted, nscripts, sizeof *sorted, S_cmp_files);
    for (size_t i = 0; i < nscripts; i++) S_run_script(&ctx, &sorted[i]);
    free(sorted);
    ctx.script = NULL;

    /* 2. function fields, in dependency order */
    ctx.phase = 1;
    for (size_t i = 0; i < ctx.ndecls; i++)
        if (!ctx.decls[i].dup) S_resolve(&ctx, i);

    /* 3. links; 4. statuses (not for a snapshot of a past revision) */
    ctx.phase = 2;
    size_t n = 0;
    for (size_t i = 0; i < ctx.ndecls; i++) {
        S_decl *dc = &ctx.decls[i];
        if (dc->dup) continue;
        n++;
        if (snapshot) continue;
        S_link(&ctx, dc);
        if (dc->x->pub.has_baseline && dc->x->pub.has_target && dc->x->pub.baseline.year > dc->x->pub.target.year)
            diag_error(d, dc->script, dc->line, 0, "the target's year (%d) is before the baseline's (%d)",
                       dc->x->pub.target.year, dc->x->pub.baseline.year);
    }
    for (size_t i = 0; i < ctx.ndecls && !snapshot; i++)
        if (!ctx.decls[i].dup) S_status(&ctx, &ctx.decls[i]);
    sandbox_free(ctx.sb);
    if (ctx.stopped && snapshot) return 1; /* what the scripts declare is not known */

    s->indicators = arena_alloc(s->a, (n ? n : 1) * sizeof *s->indicators);
    for (size_t i = 0; i < ctx.ndecls; i++)
        if (!ctx.decls[i].dup) s->indicators[s->nindicators++] = &ctx.decls[i].x->pub;
    if (s->nindicators) qsort(s->indicators, s->nindicators, sizeof *s->indicators, S_cmp_ind);
    for (size_t i = 0; i < s->nindicators; i++) {
        indicator *ind = s->indicators[i];
        if (ind->goal) S_item_add(s->a, ind->goal, ind);
        for (size_t k = 0; k < ind->ntasks; k++) S_item_add(s->a, ind->tasks[k], ind);
    }
    return 0;
}

/* csv() from a repository: the content folder is listed once. */
typedef struct S_repo_reader {
    site *s;
    repo *r;
    repo_file *files;
    size_t n;
    int listed, failed;
    strmap *reads;            /* indicators_snapshot: every path asked for */
} S_repo_reader;

static int S_read_repo(void *payload, const char *path, char **data, size_t *len, diag *d) {
    S_repo_reader *rr = payload;
    if (rr->reads && !strmap_get(rr->reads, path)) {
        const char *key = arena_strdup(rr->reads->a, path);
        strmap_put(rr->reads, key, (void *)key);
    }
    if (!rr->listed) {
        rr->listed = 1;
        if (repo_list(rr->r, &rr->s->commit, rr->s->content_dir, rr->s->a, &rr->files, &rr->n, d) < 0) {
            rr->failed = 1;
            return -1;
        }
    }
    if (rr->failed) return -1;
    size_t lo = 0, hi = rr->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(rr->files[mid].path, path);
        if (c == 0) return repo_read(rr->r, &rr->files[mid], data, len, d) < 0 ? -1 : 0;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return 1;
}

static int S_load_repo(site *s, repo *r, const sandbox_limits *limits, int snapshot, strmap *reads, diag *d) {
    s->indicators = NULL;
    s->nindicators = 0;
    const char *dir = s->content_dir ? s->content_dir : "";
    char prefix[512];
    snprintf(prefix, sizeof prefix, "%s%sindicators", dir, *dir ? "/" : "");
    repo_file *files = NULL;
    size_t nfiles = 0;
    if (repo_list(r, &s->commit, prefix, s->a, &files, &nfiles, d) < 0) return -1;
    indicators_file *scripts = calloc(nfiles ? nfiles : 1, sizeof *scripts);
    if (!scripts) return -1;
    size_t n = 0;
    int rc = 0;
    for (size_t i = 0; i < nfiles; i++) {
        if (!text_ends_with(files[i].path, ".lua")) continue;
        char *text = NULL;
        size_t len = 0;
        if (repo_read(r, &files[i], &text, &len, d) < 0) continue; /* reported */
        scripts[n].path = files[i].path;
        scripts[n].text = text;
        scripts[n].len = len;
        n++;
    }
    S_repo_reader rr = {s, r, NULL, 0, 0, 0, reads};
    int lrc = S_load(s, scripts, n, S_read_repo, &rr, limits, snapshot, d);
    if (lrc != 0) rc = lrc < 0 ? -1 : 1;
    for (size_t i = 0; i < n; i++) free((char *)scripts[i].text);
    free(scripts);
    return rc;
}

int indicators_load(site *s, repo *r, const sandbox_limits *limits, diag *d) {
    return S_load_repo(s, r, limits, 0, NULL, d);
}

int indicators_snapshot(const site *s, repo *r, const repo_commit *c, arena *a, const sandbox_limits *limits,
                        strmap *reads, indicator ***out, size_t *n) {
    site past;
    memset(&past, 0, sizeof past);
    past.a = a;
    past.cfg = s->cfg;
    past.commit = *c;
    past.content_dir = s->content_dir;
    diag *quiet = diag_new(0);
    if (!quiet) return -1;
    int rc = S_load_repo(&past, r, limits, 1, reads, quiet);
    diag_free(quiet);
    *out = past.indicators;
    *n = past.nindicators;
    return rc;
}

/* csv() from files in memory */
typedef struct S_mem_reader {
    const indicators_file *files;
    size_t n;
} S_mem_reader;

static int S_read_mem(void *payload, const char *path, char **data, size_t *len, diag *d) {
    (void)d;
    S_mem_reader *m = payload;
    for (size_t i = 0; i < m->n; i++) {
        if (strcmp(m->files[i].path, path) != 0) continue;
        *data = malloc(m->files[i].len + 1);
        if (!*data) return -1;
        memcpy(*data, m->files[i].text, m->files[i].len);
        (*data)[m->files[i].len] = '\0';
        *len = m->files[i].len;
        return 0;
    }
    return 1;
}

int indicators_load_files(site *s, const indicators_file *scripts, size_t nscripts, const indicators_file *files,
                          size_t nfiles, const sandbox_limits *limits, diag *d) {
    S_mem_reader m = {files, nfiles};
    return S_load(s, scripts, nscripts, S_read_mem, &m, limits, 0, d);
}

/* ------------------------------------------------------------------------
 * For templates
 * ------------------------------------------------------------------------ */

static const char *const S_role_dirs[] = {"goals", "tasks", "measures"};

static void S_set_str(lua_State *L, const char *k, const char *v) {
    if (!v) return;
    lua_pushstring(L, v);
    lua_setfield(L, -2, k);
}

static void S_set_num(lua_State *L, const char *k, double v) {
    char num[32];
    chart_number(num, v);
    lua_pushstring(L, num);
    lua_setfield(L, -2, k);
}

/* The number of decimals a figure is written with ("5.14" -> 2). */
static int S_decimals(double v) {
    char num[32];
    chart_number(num, v);
    const char *dot = strchr(num, '.');
    return dot && !strchr(num, 'e') ? (int)strlen(dot + 1) : 0;
}

/* A value of the straight line, rounded to as many decimals as the
 * indicator's most precise figure (at least 1, at most 4): 6.112 -> 6.11
 * beside 5.14; 33.333 -> 33.3 beside counts. */
static double S_round_expected(const indicator *ind, double v) {
    int dp = 0;
    if (ind->has_baseline && S_decimals(ind->baseline.value) > dp) dp = S_decimals(ind->baseline.value);
    if (ind->has_target && S_decimals(ind->target.value) > dp) dp = S_decimals(ind->target.value);
    for (size_t i = 0; i < ind->nvalues; i++)
        if (S_decimals(ind->values[i].value) > dp) dp = S_decimals(ind->values[i].value);
    dp = dp < 1 ? 1 : dp > 4 ? 4 : dp;
    double scale = pow(10, dp), r = round(v * scale) / scale;
    return isfinite(r) ? r : v;
}

/* "10%", "150家": the number with its unit, in the site's language */
static void S_set_amount(lua_State *L, const char *k, double v, const char *unit, const char *lang) {
    char buf[160]; /* copied out first: lua_pushstring may raise */
    strbuf a = STRBUF_INIT;
    chart_amount(&a, v, unit, lang);
    snprintf(buf, sizeof buf, "%s", sb_str(&a));
    sb_free(&a);
    lua_pushstring(L, buf);
    lua_setfield(L, -2, k);
}

/* {year, value, text, amount} */
static void S_push_value(lua_State *L, const indicator_value *p, const char *unit, const char *lang) {
    lua_createtable(L, 0, 4);
    lua_pushinteger(L, p->year);
    lua_setfield(L, -2, "year");
    lua_pushnumber(L, p->value);
    lua_setfield(L, -2, "value");
    S_set_num(L, "text", p->value);
    S_set_amount(L, "amount", p->value, unit, lang);
}

static void S_push_item(lua_State *L, const item *it) {
    lua_createtable(L, 0, 8);
    S_set_str(L, "id", it->id);
    S_set_str(L, "role", item_role_name(it->role));
    S_set_str(L, "title", it->title);
    S_set_str(L, "number", it->number);
    S_set_str(L, "plan_id", it->plan->doc.id);
    S_set_str(L, "plan_title", it->plan->doc.title);
    lua_pushfstring(L, "plans/%s/%s/%s/", it->plan->doc.id, S_role_dirs[it->role], it->id);
    lua_setfield(L, -2, "url");
}

static void S_push_body(lua_State *L, const body *b) {
    lua_createtable(L, 0, 4);
    S_set_str(L, "id", b->id);
    S_set_str(L, "name", b->name);
    lua_pushfstring(L, "bodies/%s/", b->id);
    lua_setfield(L, -2, "url");
    lua_pushboolean(L, b->declared);
    lua_setfield(L, -2, "declared");
}

static int S_cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* The table beside the chart: one row per year that has a number, with
 * the straight line's value for the years it spans. */
static void S_push_rows(lua_State *L, const indicator *ind) {
    size_t cap = ind->nvalues + 2, n = 0;
    int *years = malloc(cap * sizeof *years);
    if (!years) {
        lua_newtable(L);
        return;
    }
    if (ind->has_baseline) years[n++] = ind->baseline.year;
    for (size_t i = 0; i < ind->nvalues; i++) years[n++] = ind->values[i].year;
    if (ind->has_target) years[n++] = ind->target.year;
    qsort(years, n, sizeof *years, S_cmp_int);
    int has_line = ind->has_target && (ind->has_baseline || ind->nvalues);
    chart_point from = {0, 0}, to = {ind->target.year, ind->target.value};
    if (has_line)
        from = ind->has_baseline ? (chart_point){ind->baseline.year, ind->baseline.value}
                                 : (chart_point){ind->values[0].year, ind->values[0].value};
    lua_createtable(L, (int)n, 0);
    int row = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && years[i] == years[i - 1]) continue;
        int y = years[i];
        lua_createtable(L, 0, 5);
        lua_pushinteger(L, y);
        lua_setfield(L, -2, "year");
        while (k < ind->nvalues && ind->values[k].year < y) k++;
        if (k < ind->nvalues && ind->values[k].year == y) S_set_num(L, "observed", ind->values[k].value);
        if (ind->has_baseline && ind->baseline.year == y) S_set_num(L, "baseline", ind->baseline.value);
        if (ind->has_target && ind->target.year == y) S_set_num(L, "target", ind->target.value);
        if (has_line && from.year < to.year && y >= from.year && y <= to.year)
            S_set_num(L, "expected", S_round_expected(ind, chart_line_at(from, to, y)));
        lua_rawseti(L, -2, ++row);
    }
    free(years);
}

/* The SVG chart and its text alternative. */
static void S_push_chart(lua_State *L, const indicator *ind, const char *lang) {
    chart_point *pts = malloc((ind->nvalues ? ind->nvalues : 1) * sizeof *pts);
    if (!pts) return;
    char id[160];
    snprintf(id, sizeof id, "chart-%s", ind->id);
    chart_data c;
    memset(&c, 0, sizeof c);
    c.id = id;
    c.name = ind->name;
    c.unit = ind->unit;
    c.lang = lang;
    c.has_baseline = ind->has_baseline;
    c.baseline = (chart_point){ind->baseline.year, ind->baseline.value};
    c.has_target = ind->has_target;
    c.target = (chart_point){ind->target.year, ind->target.value};
    for (size_t i = 0; i < ind->nvalues; i++) pts[i] = (chart_point){ind->values[i].year, ind->values[i].value};
    c.values = pts;
    c.nvalues = ind->nvalues;
    c.sample = ind->sample;
    strbuf svg = STRBUF_INIT, text = STRBUF_INIT;
    int drawn = chart_svg(&svg, &c) == 0;
    chart_describe(&text, &c);
    free(pts);
    /* (outside sandbox_call no memory cap applies: lua_pushlstring raises
     * only when the process itself is out of memory) */
    if (drawn && !svg.oom) {
        lua_pushlstring(L, sb_str(&svg), svg.len);
        lua_setfield(L, -2, "chart");
    }
    if (!text.oom) {
        lua_pushlstring(L, sb_str(&text), text.len);
        lua_setfield(L, -2, "chart_text");
    }
    sb_free(&svg);
    sb_free(&text);
}

/* The audit trail: {kind, year, from, to (each {year, value, text, amount}
 * or, for unit and name, a string), rev, commit, date, author, message}. */
const char *indicators_change_kind_name(indicator_change_kind k) {
    static const char *const kinds[] = {"added", "removed", "baseline", "target", "value", "unit", "name"};
    return (unsigned)k < sizeof kinds / sizeof *kinds ? kinds[k] : "?";
}

void indicators_push_changes(lua_State *L, const indicator *ind, size_t first, size_t count, const char *lang) {
    if (first > ind->nchanges) first = ind->nchanges;
    if (count > ind->nchanges - first) count = ind->nchanges - first;
    lua_createtable(L, (int)count, 0);
    for (size_t i = first; i < first + count; i++) {
        const indicator_change *c = &ind->changes[i];
        char day[16];
        lua_createtable(L, 0, 10);
        S_set_str(L, "kind", indicators_change_kind_name(c->kind));
        if (c->kind == IND_CHANGE_ADDED) {
            lua_pushboolean(L, c->again);
            lua_setfield(L, -2, "again");
        }
        if (c->kind == IND_CHANGE_VALUE) {
            lua_pushinteger(L, c->year);
            lua_setfield(L, -2, "year");
        }
        if (c->kind == IND_CHANGE_UNIT || c->kind == IND_CHANGE_NAME) {
            S_set_str(L, "from", c->from_text);
            S_set_str(L, "to", c->to_text);
        } else {
            /* amounts in the unit of the built revision, as elsewhere on the page */
            if (c->has_from) {
                S_push_value(L, &c->from, ind->unit, lang);
                lua_setfield(L, -2, "from");
            }
            if (c->has_to) {
                S_push_value(L, &c->to, ind->unit, lang);
                lua_setfield(L, -2, "to");
            }
        }
        S_set_str(L, "rev", c->commit.short_id);
        S_set_str(L, "commit", c->commit.id);
        S_set_str(L, "date", text_date_of(c->commit.author_time, c->commit.author_offset, day));
        S_set_str(L, "author", c->commit.author);
        S_set_str(L, "message", c->commit.summary);
        lua_rawseti(L, -2, (lua_Integer)(i - first) + 1);
    }
}

void indicators_push(lua_State *L, const indicator *ind, int full, const char *lang) {
    const S_ind *x = S_ext(ind);
    lua_createtable(L, 0, 32);
    S_set_str(L, "id", ind->id);
    S_set_str(L, "name", ind->name);
    S_set_str(L, "unit", ind->unit);
    lua_pushfstring(L, "indicators/%s/", ind->id);
    lua_setfield(L, -2, "url");
    const char *status = ind->status ? ind->status : "no-data";
    S_set_str(L, "status", status);
    char key[16];
    snprintf(key, sizeof key, "%s", status);
    for (char *p = key; *p; p++)
        if (*p == '-') *p = '_';
    S_set_str(L, "status_key", key);
    S_set_str(L, "reason", x->reason ? x->reason : "no-values");
    lua_pushboolean(L, x->custom);
    lua_setfield(L, -2, "custom");
    S_set_str(L, "direction", ind->down ? "down" : "up");
    if (ind->has_baseline) {
        S_push_value(L, &ind->baseline, ind->unit, lang);
        lua_setfield(L, -2, "baseline");
    }
    if (ind->has_target) {
        S_push_value(L, &ind->target, ind->unit, lang);
        lua_setfield(L, -2, "target");
    }
    lua_createtable(L, (int)ind->nvalues, 0);
    for (size_t i = 0; i < ind->nvalues; i++) {
        S_push_value(L, &ind->values[i], ind->unit, lang);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "values");
    if (ind->nvalues) {
        S_push_value(L, &ind->values[ind->nvalues - 1], ind->unit, lang);
        lua_setfield(L, -2, "latest");
    }
    if (x->has_expected) {
        double e = S_round_expected(ind, x->expected);
        S_set_num(L, "expected", e);
        S_set_amount(L, "expected_amount", e, ind->unit, lang);
    }
    S_set_str(L, "source", ind->source);
    S_set_str(L, "note", x->note);
    lua_pushboolean(L, ind->sample);
    lua_setfield(L, -2, "sample");
    S_set_str(L, "path", ind->path);
    lua_pushinteger(L, ind->line);
    lua_setfield(L, -2, "line");
    if (ind->plan) {
        lua_createtable(L, 0, 4);
        S_set_str(L, "id", ind->plan->doc.id);
        S_set_str(L, "title", ind->plan->doc.title);
        S_set_str(L, "status", plan_status_name(ind->plan->status));
        lua_pushfstring(L, "plans/%s/", ind->plan->doc.id);
        lua_setfield(L, -2, "url");
        lua_setfield(L, -2, "plan");
    }
    if (ind->goal) {
        S_push_item(L, ind->goal);
        lua_setfield(L, -2, "goal");
    }
    lua_createtable(L, (int)ind->ntasks, 0);
    for (size_t i = 0; i < ind->ntasks; i++) {
        S_push_item(L, ind->tasks[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "tasks");
    if (ind->lead) {
        S_push_body(L, ind->lead);
        lua_setfield(L, -2, "lead");
    }
    if (!full) return;
    S_push_chart(L, ind, lang);
    S_push_rows(L, ind);
    lua_setfield(L, -2, "rows");
    indicators_push_changes(L, ind, 0, ind->nchanges, lang);
    lua_setfield(L, -2, "changes");
    lua_pushboolean(L, ind->changes_cut);
    lua_setfield(L, -2, "changes_cut");
}

/* ------------------------------------------------------------------------
 * Data files
 * ------------------------------------------------------------------------ */

static void S_json_point(json_writer *w, const char *key, int has, const indicator_value *p) {
    json_key(w, key);
    if (!has) {
        json_null(w);
        return;
    }
    json_object_begin(w);
    json_kv_int(w, "year", p->year);
    json_key(w, "value");
    json_number(w, p->value);
    json_object_end(w);
}

static void S_json_item_key(json_writer *w, const item *it) {
    char key[512];
    snprintf(key, sizeof key, "%s#%s", it->plan->doc.id, it->id);
    json_string(w, key);
}

void indicators_json(json_writer *w, const site *s) {
    json_key(w, "indicators");
    json_array_begin(w);
    for (size_t i = 0; i < s->nindicators; i++) {
        const indicator *ind = s->indicators[i];
        char url[256];
        snprintf(url, sizeof url, "indicators/%s/", ind->id);
        json_object_begin(w);
        json_kv_str(w, "id", ind->id);
        json_kv_str(w, "name", ind->name);
        json_kv_str(w, "url", url);
        json_kv_str(w, "unit", ind->unit);
        json_kv_str(w, "direction", ind->down ? "down" : "up");
        json_kv_str(w, "plan", ind->plan ? ind->plan->doc.id : NULL);
        json_key(w, "goal");
        if (ind->goal) S_json_item_key(w, ind->goal);
        else json_null(w);
        json_key(w, "tasks");
        json_array_begin(w);
        for (size_t k = 0; k < ind->ntasks; k++) S_json_item_key(w, ind->tasks[k]);
        json_array_end(w);
        json_kv_str(w, "lead", ind->lead ? ind->lead->id : NULL);
        S_json_point(w, "baseline", ind->has_baseline, &ind->baseline);
        S_json_point(w, "target", ind->has_target, &ind->target);
        json_key(w, "values");
        json_array_begin(w);
        for (size_t k = 0; k < ind->nvalues; k++) {
            json_object_begin(w);
            json_kv_int(w, "year", ind->values[k].year);
            json_key(w, "value");
            json_number(w, ind->values[k].value);
            json_object_end(w);
        }
        json_array_end(w);
        json_kv_str(w, "status", ind->status ? ind->status : "no-data");
        json_key(w, "sample");
        json_bool(w, ind->sample);
        json_kv_str(w, "source", ind->source);
        json_kv_str(w, "note", S_ext(ind)->note);
        json_kv_str(w, "path", ind->path);
        /* the audit trail, newest first (only when the history was read) */
        if (s->history) {
            json_key(w, "changes");
            json_array_begin(w);
            for (size_t k = 0; k < ind->nchanges; k++) {
                const indicator_change *c = &ind->changes[k];
                char day[16];
                json_object_begin(w);
                json_kv_str(w, "commit", c->commit.id);
                json_kv_str(w, "date", text_date_of(c->commit.author_time, c->commit.author_offset, day));
                json_kv_str(w, "message", c->commit.summary);
                json_kv_str(w, "kind", indicators_change_kind_name(c->kind));
                if (c->kind == IND_CHANGE_VALUE) json_kv_int(w, "year", c->year);
                if (c->kind == IND_CHANGE_UNIT || c->kind == IND_CHANGE_NAME) {
                    json_kv_str(w, "from", c->from_text);
                    json_kv_str(w, "to", c->to_text);
                } else {
                    S_json_point(w, "from", c->has_from, &c->from);
                    S_json_point(w, "to", c->has_to, &c->to);
                }
                json_object_end(w);
            }
            json_array_end(w);
        }
        json_object_end(w);
    }
    json_array_end(w);
}

/* A CSV field, quoted when it must be (RFC 4180). */
static void S_csv_field(strbuf *b, const char *s) {
    if (!s) return;
    if (!strpbrk(s, ",\"\r\n")) {
        sb_puts(b, s);
        return;
    }
    sb_putc(b, '"');
    for (const char *p = s; *p; p++) {
        if (*p == '"') sb_putc(b, '"');
        sb_putc(b, *p);
    }
    sb_putc(b, '"');
}

static void S_csv_row(strbuf *b, const indicator *ind, const indicator_value *p, const char *kind) {
    char num[32];
    S_csv_field(b, ind->id);
    sb_printf(b, ",%d,", p->year);
    chart_number(num, p->value);
    S_csv_field(b, num);
    sb_printf(b, ",%s,%s\r\n", kind, ind->sample ? "true" : "false");
}

int indicators_write_data(const site *s, output *o, diag *d) {
    strbuf b = STRBUF_INIT;
    sb_puts(&b, "indicator,year,value,kind,sample\r\n");
    for (size_t i = 0; i < s->nindicators; i++) {
        const indicator *ind = s->indicators[i];
        /* by year; in a year: baseline, observed, target */
        size_t k = 0;
        int done_b = !ind->has_baseline, done_t = !ind->has_target;
        for (;;) {
            int yb = done_b ? S_MAX_YEAR + 1 : ind->baseline.year;
            int yv = k < ind->nvalues ? ind->values[k].year : S_MAX_YEAR + 1;
            int yt = done_t ? S_MAX_YEAR + 1 : ind->target.year;
            if (done_b && done_t && k >= ind->nvalues) break;
            if (yb <= yv && yb <= yt && !done_b) {
                S_csv_row(&b, ind, &ind->baseline, "baseline");
                done_b = 1;
            } else if (yv <= yt && k < ind->nvalues) {
                S_csv_row(&b, ind, &ind->values[k++], "observed");
            } else {
                S_csv_row(&b, ind, &ind->target, "target");
                done_t = 1;
            }
        }
    }
    int rc = b.oom ? -1 : output_write(o, "data/indicators.csv", sb_str(&b), b.len, d);
    sb_free(&b);
    return rc;
}
