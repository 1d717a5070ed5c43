/* indicator_trail.h — the indicators' audit trail: for every commit on the
 * first-parent history that changed what the indicator scripts declare,
 * which baseline, target, value, unit or name changed, from what to what.
 * The scripts are run again on each such commit's tree (sandboxed, quietly);
 * a commit is skipped unless it touched the scripts, site.yaml or a file the
 * scripts read with csv() at the previous run. */
#ifndef PP_INDICATOR_TRAIL_H
#define PP_INDICATOR_TRAIL_H

#include "cache.h"
#include "diag.h"
#include "model.h"
#include "repo.h"
#include "sandbox.h"

/* A commit that changed files of the content folder other than plans and
 * pages (history.c collects them during its walk). */
typedef struct trail_commit {
    repo_commit commit;
    const char **paths;       /* repository paths it changed */
    size_t npaths;
} trail_commit;

/* Fills indicator->changes (newest first) for the indicators of s from
 * `commits`, given oldest first. `cut`: the history is cut short, so the
 * oldest commit's indicators are not told as added (indicator->changes_cut).
 * The scripts are read through a handle of their own on r's repository,
 * always from Git (even with --worktree). With `kc` (may be NULL), a
 * commit's results are kept in the cache, by the blob ids of its scripts
 * and of the files they read, and not computed again. Returns 0, or
 * -1 when the repository cannot be read (reported through d). */
int indicator_trail_build(site *s, repo *r, const trail_commit *commits, size_t n, int cut,
                          const sandbox_limits *limits, cache *kc, diag *d);

#endif
