/* history.h — every plan's revisions, from the first-parent history of the
 * built commit: the plan as it stood, what each revision changed (text
 * aligned, characters marked) and the change in the plan's own terms. */
#ifndef PP_HISTORY_H
#define PP_HISTORY_H

#include "diag.h"
#include "model.h"
#include "repo.h"
#include "sandbox.h"
#include "strbuf.h"

/* At most this many commits are walked (docs/history.md). */
#define HISTORY_MAX_COMMITS 100000

/* Fills plan->revisions for every plan of s (parallel over plans, `jobs`
 * threads, each with its own handle on r), and the indicators' audit trail
 * (indicator_trail.c; the scripts run under `limits`). With `cache_path`
 * (may be NULL), each revision's results are kept there by object ids and
 * taken from there by the next build (cache.h, docs/history.md). Past revisions that no longer
 * parse are kept, marked by an empty html. Returns 0, or -1 on a failure
 * that stops the build (the repository cannot be read). */
int history_collect(site *s, repo *r, int jobs, const sandbox_limits *limits, const char *cache_path,
                    diag *d);

/* The plan id a file's bytes declare (front matter `id:`), else `stem`.
 * Exposed for tests. */
const char *history_plan_id(arena *a, const char *src, size_t len, const char *stem);

/* A revision's results as the cache keeps them, and back. The HTML (the
 * text and the diff) is kept as data, not markup (htmldata.h): the decoder
 * writes it out again, into `a`, and what a damaged or hostile value holds
 * can only come out as the elements and attributes planpress writes, its
 * text and values checked. The decoder fills html, diff_html, the counts and
 * changes of `out` and *title (everything copied into `a`: the cache's
 * bytes go when the history is read; `val` must end in the bytes it read); -1 when the bytes are
 * malformed or break a rule (a change of an unknown kind, an item id that is
 * not one path segment). The encoder returns -1 when the HTML is not in the
 * form planpress writes (the revision is then not kept). Exposed for the
 * fuzz target and the unit tests. */
int history_revision_encode(strbuf *b, const plan_revision *rev, const char *title);
int history_revision_decode(arena *a, const void *val, size_t len, plan_revision *out, const char **title);

#endif
