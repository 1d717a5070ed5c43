/* indicators.h — indicators declared by Lua scripts under indicators/: run
 * in the sandbox, validated, linked to plans, goals, tasks and bodies, their
 * status computed; their data for templates, data files and charts. */
#ifndef PP_INDICATORS_H
#define PP_INDICATORS_H

#include <lua.h>

#include "diag.h"
#include "json.h"
#include "model.h"
#include "output.h"
#include "repo.h"
#include "sandbox.h"

/* Runs every .lua script under indicators/ in the content folder (read from the same
 * revision as the plans, through r) and fills s->indicators, sorted by id;
 * links each to its plan, goal, tasks and lead body and fills
 * item->indicators. Call after links_build. Diagnostics name the script and
 * line. Returns 0, or -1 on a failure that stops the build (I/O). */
int indicators_load(site *s, repo *r, const sandbox_limits *limits, diag *d);

/* Pushes a table describing the indicator for templates: id, name, unit,
 * url ("indicators/ID/"), status, baseline, target, values, source, sample,
 * plan/goal/tasks/lead refs; with `full`, also what its page shows (the SVG
 * chart as HTML, the table rows, the text alternative, the status rule).
 * `lang` is the site's language ("zh-CN" or "en"). */
void indicators_push(lua_State *L, const indicator *ind, int full, const char *lang);

/* data/indicators.csv: one row per indicator and year. */
int indicators_write_data(const site *s, output *o, diag *d);

/* The "indicators" member of data/site.json (key and array). */
void indicators_json(json_writer *w, const site *s);

#endif
