/* indicators.h — indicators declared by Lua scripts under indicators/: run
 * in the sandbox, validated, linked to plans, goals, tasks and bodies, their
 * status computed; their data for templates, data files and charts.
 * docs/indicators.md is the editors' manual of the script API. */
#ifndef PP_INDICATORS_H
#define PP_INDICATORS_H

#include <lua.h>

#include "diag.h"
#include "json.h"
#include "model.h"
#include "output.h"
#include "repo.h"
#include "sandbox.h"
#include "strmap.h"

/* Runs every .lua script under indicators/ in the content folder (read from the same
 * revision as the plans, through r) and fills s->indicators, sorted by id;
 * links each to its plan, goal, tasks and lead body and fills
 * item->indicators. Call after links_build. Diagnostics name the script and
 * line. Returns 0, or -1 on a failure that stops the build (I/O).
 *
 * `limits` (may be NULL) are the defaults; site.yaml's `limits:` overrides
 * them (see indicators_limits); the memory cap defaults to 128 MiB, the rest
 * to the sandbox's defaults. The instruction budget and the time limit
 * hold for each script run and for each function field (values, baseline,
 * target, status) called; the memory cap holds for the one Lua state that
 * all scripts share. */
int indicators_load(site *s, repo *r, const sandbox_limits *limits, diag *d);

/* The indicators as the scripts of a past commit `c` declare them, for the
 * audit trail (history.c): ids, names, units, baselines, targets and
 * values, sorted by id; no links, no statuses. Runs quietly: a script that
 * fails there leaves its indicators out. Everything is allocated in `a`.
 * `reads` (may be NULL) gets every content path that csv() asked for,
 * found or not. r must read committed trees (repo_read_committed).
 * Returns 0; 1 when a script hit a limit (the scripts stop there, so what
 * they declare is unknown); -1 when the repository cannot be read. */
int indicators_snapshot(const site *s, repo *r, const repo_commit *c, arena *a, const sandbox_limits *limits,
                        strmap *reads, indicator ***out, size_t *n);

/* Reads site.yaml's `limits: {lua_instructions: N, lua_memory_mb: M,
 * lua_seconds: S, lua_instructions_scripts: T, lua_instructions_pages: P}`
 * into *out (T into total_instructions) and *pages_total (may be NULL),
 * keeping what they hold for the keys not given. Reports malformed values
 * through d (which may be NULL: silent). Templates run under the same
 * limits (build.c), with P for all the pages together. */
void indicators_limits(const site *s, sandbox_limits *out, long long *pages_total, diag *d);

/* The sandbox's default instruction budget of one call, and the default
 * budgets for all the scripts of a revision and all the pages of a build. */
#define INDICATORS_DEFAULT_INSTRUCTIONS 100000000LL
#define INDICATORS_DEFAULT_PAGES_TOTAL 20000000000LL

/* A file given in memory: for tests, and for the scripts once read. */
typedef struct indicators_file {
    const char *path;       /* repository path: "content/indicators/x.lua" */
    const char *text;
    size_t len;
} indicators_file;

/* indicators_load without a repository: the scripts, and the other files
 * of the content folder that csv() may read, are given in memory (paths
 * are repository paths, the files need not be sorted). For tests. */
int indicators_load_files(site *s, const indicators_file *scripts, size_t nscripts,
                          const indicators_file *files, size_t nfiles,
                          const sandbox_limits *limits, diag *d);

/* The default status rule (docs/indicators.md), as of the end of
 * `as_of_year` (the year of the commit built):
 *   no values (from the baseline year on) or no target  -> no-data
 *   the latest value meets the target (>= up, <= down)  -> achieved
 *   the target year is past or the latest value is from it -> off-track
 *   the latest value is on the right side of the straight line from the
 *   baseline (or, without one, the first value) to the target -> on-track
 *   otherwise                                            -> off-track
 * `reason` says which line decided: "no-values", "no-target", "achieved",
 * "past", "on-track", "behind". `expected` is the line's value at the
 * latest value's year (when has_expected). */
typedef struct indicator_verdict {
    const char *status;
    const char *reason;
    int has_expected;
    double expected;
} indicator_verdict;
indicator_verdict indicators_default_status(const indicator *ind, int as_of_year);

/* Pushes a table describing the indicator for templates: id, name, unit,
 * url ("indicators/ID/"), status, status_key ("on_track"), reason,
 * direction, baseline, target, latest ({year, value, text}), values (array
 * of {year, value, text}), expected (text), source, note, sample, custom
 * (status from the script), plan/goal/tasks/lead refs, path and line of
 * the definition; with `full`, also what its page shows: chart (the SVG as
 * HTML), chart_text (the text alternative) and rows (the table of numbers:
 * {year, observed, baseline, target, expected}, texts or nil).
 * `lang` is the site's language ("zh-CN" or "en"). Only for indicators made
 * by indicators_load. Thread-safe (reads the model only). */
void indicators_push(lua_State *L, const indicator *ind, int full, const char *lang);

/* "added", "removed", "baseline", "target", "value", "unit", "name". */
const char *indicators_change_kind_name(indicator_change_kind k);

/* Pushes entries first .. first+count-1 of the indicator's audit trail
 * (the `changes` of a full indicators_push): {kind, year, again, from, to,
 * rev, commit, date, author, message}. */
void indicators_push_changes(lua_State *L, const indicator *ind, size_t first, size_t count, const char *lang);

/* data/indicators.csv: one row per indicator and year (RFC 4180, CRLF):
 * indicator,year,value,kind,sample with kind baseline, observed or target. */
int indicators_write_data(const site *s, output *o, diag *d);

/* The "indicators" member of data/site.json (key and array). */
void indicators_json(json_writer *w, const site *s);

#endif
