/* test_indicators.c — indicator scripts: the API, validation, dependency
 * order, the sandbox's walls, the status rule on a table of cases, charts,
 * and the data for templates and files. */
#include <lauxlib.h>
#include <lualib.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>

#include "chart.h"
#include "harness.h"
#include "indicators.h"
#include "json.h"

/* ---- a small site: plan "p" with goal g1 and tasks t1, t2; plan "q" with
 * goal g9; bodies b1 and b2 ------------------------------------------------- */

typedef struct fixture {
    site s;
    diag *d;
    char *msgs;
} fixture;

static item *S_item(arena *a, plan *p, item_role role, const char *id, const char *title) {
    item *it = arena_alloc(a, sizeof *it);
    it->role = role;
    it->id = id;
    it->title = title;
    it->plan = p;
    return it;
}

static plan *S_plan(arena *a, const char *id, const char *title) {
    plan *p = arena_alloc(a, sizeof *p);
    p->doc.id = id;
    p->doc.title = title;
    p->doc.path = arena_printf(a, "content/plans/%s.md", id);
    p->status = PLAN_ADOPTED;
    return p;
}

static void S_setup(fixture *fx) {
    memset(fx, 0, sizeof *fx);
    site *s = &fx->s;
    s->a = arena_new();
    s->content_dir = "content";
    s->cfg.language = "zh-CN";
    s->commit.time = 1735689600; /* 2025-01-01 UTC */
    plan *p = S_plan(s->a, "p", "规划甲"), *q = S_plan(s->a, "q", "规划乙");
    p->nitems = 3;
    p->items = arena_alloc(s->a, 3 * sizeof *p->items);
    p->items[0] = S_item(s->a, p, ROLE_GOAL, "g1", "目标一");
    p->items[1] = S_item(s->a, p, ROLE_TASK, "t1", "任务一");
    p->items[2] = S_item(s->a, p, ROLE_TASK, "t2", "任务二");
    q->nitems = 1;
    q->items = arena_alloc(s->a, sizeof *q->items);
    q->items[0] = S_item(s->a, q, ROLE_GOAL, "g9", "目标九");
    s->nplans = 2;
    s->plans = arena_alloc(s->a, 2 * sizeof *s->plans);
    s->plans[0] = p;
    s->plans[1] = q;
    fx->d = diag_new(0);
    bodies_init(&s->bodies, s->a);
    const char *yaml = "- id: b1\n  name: 甲单位\n- id: b2\n  name: 乙单位\n  aliases: [乙]\n";
    bodies_load(&s->bodies, fx->d, "content/bodies.yaml", yaml, strlen(yaml));
}

static void S_teardown(fixture *fx) {
    diag_free(fx->d);
    free(fx->msgs);
    arena_free(fx->s.a);
}

/* Runs scripts given as path, text, path, text, ..., NULL (paths under
 * content/indicators/ unless they have a '/'); other files from `files`
 * (path, text, ..., NULL). Collects the diagnostics in fx->msgs. */
static int S_run_files(fixture *fx, const sandbox_limits *lim, const char *const *files, ...) {
    indicators_file scripts[16], data[16];
    size_t ns = 0, nd = 0;
    va_list ap;
    va_start(ap, files);
    for (const char *path; (path = va_arg(ap, const char *)) && ns < 16;) {
        const char *text = va_arg(ap, const char *);
        scripts[ns].path = strchr(path, '/') ? path : arena_printf(fx->s.a, "content/indicators/%s", path);
        scripts[ns].text = text;
        scripts[ns].len = strlen(text);
        ns++;
    }
    va_end(ap);
    for (size_t i = 0; files && files[i] && nd < 16; i += 2, nd++) {
        data[nd].path = files[i];
        data[nd].text = files[i + 1];
        data[nd].len = strlen(files[i + 1]);
    }
    int rc = indicators_load_files(&fx->s, scripts, ns, data, nd, lim, fx->d);
    size_t len;
    free(fx->msgs);
    fx->msgs = NULL;
    FILE *f = open_memstream(&fx->msgs, &len);
    if (diag_errors(fx->d) + diag_warnings(fx->d) > 0) diag_flush(fx->d, f);
    fclose(f);
    return rc;
}

#define RUN(fx, ...) S_run_files(fx, NULL, NULL, __VA_ARGS__, NULL)

static indicator *S_get(fixture *fx, const char *id) {
    for (size_t i = 0; i < fx->s.nindicators; i++)
        if (strcmp(fx->s.indicators[i]->id, id) == 0) return fx->s.indicators[i];
    return NULL;
}

static double S_cpu(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- the API ------------------------------------------------------------- */

TEST(indicators_every_field) {
    fixture fx;
    S_setup(&fx);
    CHECK(RUN(&fx, "lit.lua",
              "indicator {\n"
              "  id = \"lit\", name = \"比例\", unit = \"%\",\n"
              "  plan = \"p\", goal = \"g1\", tasks = { \"t1\", \"p#t2\" }, lead = \"b1\",\n"
              "  direction = \"up\",\n"
              "  baseline = { year = 2015, value = 5.14 },\n"
              "  target = { year = 2020, value = 10 },\n"
              "  values = { [2017] = 7.2, [2016] = 6.0 },\n"
              "  source = \"省科协\", note = \"原文\", sample = true,\n"
              "}\n") == 0);
    CHECK_STR(fx.msgs, "");
    CHECK(fx.s.nindicators == 1);
    indicator *ind = S_get(&fx, "lit");
    CHECK(ind != NULL);
    if (ind) {
        CHECK_STR(ind->name, "比例");
        CHECK_STR(ind->unit, "%");
        CHECK_STR(ind->source, "省科协");
        CHECK_STR(ind->path, "content/indicators/lit.lua");
        CHECK(ind->line == 1);
        CHECK(ind->plan == fx.s.plans[0]);
        CHECK(ind->goal == fx.s.plans[0]->items[0]);
        CHECK(ind->ntasks == 2 && ind->tasks[0]->id[1] == '1' && ind->tasks[1]->id[1] == '2');
        CHECK(ind->lead && strcmp(ind->lead->id, "b1") == 0);
        CHECK(ind->has_baseline && ind->baseline.year == 2015 && ind->baseline.value == 5.14);
        CHECK(ind->has_target && ind->target.year == 2020 && ind->target.value == 10);
        CHECK(ind->nvalues == 2 && ind->values[0].year == 2016 && ind->values[1].value == 7.2);
        CHECK(ind->sample && !ind->down);
        /* as of 2025 the 2020 target is past and not met */
        CHECK_STR(ind->status, "off-track");
        /* goal and tasks know it */
        CHECK(fx.s.plans[0]->items[0]->nindicators == 1 && fx.s.plans[0]->items[0]->indicators[0] == ind);
        CHECK(fx.s.plans[0]->items[2]->nindicators == 1);
    }
    S_teardown(&fx);
}

TEST(indicators_loops_csv_and_sorting) {
    fixture fx;
    S_setup(&fx);
    const char *files[] = {
        "content/data/t.csv",
        "\xEF\xBB\xBFid,name,year,target\r\n"
        "zz,\"名称, 带逗号\",2020,150\r\n"
        "aa,\"多行\n\"\"引号\"\"\",2019,100\r\n",
        NULL};
    CHECK(S_run_files(&fx, NULL, files, "t.lua",
                      "local rows, cols = csv('data/t.csv')\n"
                      "assert(#cols == 4 and cols[2] == 'name')\n"
                      "for _, r in ipairs(rows) do\n"
                      "  indicator { id = r.id, name = r.name,\n"
                      "    target = { year = tonumber(r.year), value = tonumber(r.target) } }\n"
                      "end\n",
                      NULL) == 0);
    CHECK_STR(fx.msgs, "");
    CHECK(fx.s.nindicators == 2);
    if (fx.s.nindicators == 2) {
        CHECK_STR(fx.s.indicators[0]->id, "aa"); /* sorted by id */
        CHECK_STR(fx.s.indicators[0]->name, "多行\n\"引号\"");
        CHECK_STR(fx.s.indicators[1]->name, "名称, 带逗号");
        CHECK(fx.s.indicators[1]->target.value == 150 && fx.s.indicators[0]->target.year == 2019);
        CHECK(fx.s.indicators[0]->line == 4);
        CHECK_STR(fx.s.indicators[0]->status, "no-data");
    }
    S_teardown(&fx);
}

TEST(indicators_values_forms) {
    fixture fx;
    S_setup(&fx);
    CHECK(RUN(&fx, "v.lua",
              "indicator { id = 'list', name = 'n', values = { {year = 2018, value = 2}, {year = 2017, value = 1.5} } }\n"
              "indicator { id = 'float-year', name = 'n', values = { [2016.0] = 1 }, baseline = { year = 2010.0, value = 0 } }\n"
              "indicator { id = 'down', name = 'n', direction = 'down', target = { year = 2030, value = 1 } }\n") == 0);
    CHECK_STR(fx.msgs, "");
    indicator *l = S_get(&fx, "list"), *f = S_get(&fx, "float-year"), *dn = S_get(&fx, "down");
    CHECK(l && l->nvalues == 2 && l->values[0].year == 2017 && l->values[1].value == 2);
    CHECK(f && f->nvalues == 1 && f->values[0].year == 2016 && f->baseline.year == 2010);
    CHECK(dn && dn->down);
    S_teardown(&fx);
}

TEST(indicators_derived_in_dependency_order) {
    fixture fx;
    S_setup(&fx);
    /* b.lua's derived indicator needs a.lua's, which is declared later in
     * path order? no: z.lua needs c.lua which needs b.lua's: any order works */
    CHECK(RUN(&fx,
              "a.lua",
              "indicator { id = 'sum', name = 'sum',\n"
              "  values = function() return { [2017] = value('x', 2017) + value('y', 2017) } end,\n"
              "  target = function() return { year = 2020, value = value('x', 2015) * 2 } end }\n",
              "b.lua",
              "indicator { id = 'y', name = 'y', values = function() return { [2017] = value('x', 2017) * 10 } end }\n",
              "c.lua",
              "indicator { id = 'x', name = 'x', baseline = { year = 2015, value = 1 }, values = { [2017] = 2 } }\n") == 0);
    CHECK_STR(fx.msgs, "");
    indicator *sum = S_get(&fx, "sum"), *y = S_get(&fx, "y");
    CHECK(y && y->nvalues == 1 && y->values[0].value == 20);
    CHECK(sum && sum->nvalues == 1 && sum->values[0].value == 22);
    CHECK(sum && sum->has_target && sum->target.value == 2);
    S_teardown(&fx);
}

TEST(indicators_value_errors) {
    fixture fx;
    S_setup(&fx);
    RUN(&fx, "a.lua",
        "local top = pcall(value, 'x', 2017)\n"
        "assert(top == false)\n"
        "value('x', 2017)\n");
    CHECK_CONTAINS(fx.msgs, "content/indicators/a.lua:3: error: value() works only in a function field");
    S_teardown(&fx);

    S_setup(&fx);
    RUN(&fx, "a.lua",
        "indicator { id = 'x', name = 'x', values = { [2017] = 2 } }\n"
        "indicator { id = 'nope', name = 'n', values = function() return { [2018] = value('x', 2018) } end }\n"
        "indicator { id = 'ghost', name = 'n', values = function() return { [2018] = value('missing', 2018) } end }\n");
    CHECK_CONTAINS(fx.msgs, "a.lua:2: error: value(\"x\", 2018): \"x\" has no value for 2018 (values 2017)");
    CHECK_CONTAINS(fx.msgs, "a.lua:3: error: value(\"missing\", 2018): there is no indicator \"missing\"");
    S_teardown(&fx);
}

TEST(indicators_value_cycle) {
    fixture fx;
    S_setup(&fx);
    double t0 = S_cpu();
    RUN(&fx, "a.lua",
        "indicator { id = 'a', name = 'a', values = function() return { [2017] = value('b', 2017) } end }\n"
        "indicator { id = 'b', name = 'b', values = function() return { [2017] = value('c', 2017) } end }\n"
        "indicator { id = 'c', name = 'c', values = function() return { [2017] = value('a', 2017) } end }\n"
        "indicator { id = 'self', name = 's', values = function() return { [2017] = value('self', 2017) } end }\n");
    CHECK(S_cpu() - t0 < 5);
    CHECK_CONTAINS(fx.msgs, "the indicators depend on each other in a cycle: a -> b -> c -> a");
    CHECK_CONTAINS(fx.msgs, "a.lua:4: error: value(\"self\", 2017): the indicators depend on each other in a cycle: self -> self");
    /* one diagnostic per cycle: the indicators waiting on it say nothing more */
    CHECK(diag_errors(fx.d) == 2);
    S_teardown(&fx);
}

TEST(indicators_value_chain_200_deep) {
    fixture fx;
    S_setup(&fx);
    double t0 = S_cpu();
    RUN(&fx, "chain.lua",
        "for i = 1, 200 do\n"
        "  indicator { id = 'c' .. i, name = 'c',\n"
        "    values = function() return { [2017] = value('c' .. (i + 1), 2017) + 1 } end }\n"
        "end\n"
        "indicator { id = 'c201', name = 'end', values = { [2017] = 0 } }\n");
    CHECK(S_cpu() - t0 < 20);
    CHECK_CONTAINS(fx.msgs, "chain.lua:2: error: value() calls nest more than 100 deep: c1 -> c2 -> c3 -> c4 -> c5 -> ... (");
    S_teardown(&fx);

    /* 100 deep is fine */
    S_setup(&fx);
    RUN(&fx, "chain.lua",
        "for i = 1, 99 do\n"
        "  indicator { id = 'c' .. i, name = 'c',\n"
        "    values = function() return { [2017] = value('c' .. (i + 1), 2017) + 1 } end }\n"
        "end\n"
        "indicator { id = 'c100', name = 'end', values = { [2017] = 0 } }\n");
    CHECK_STR(fx.msgs, "");
    indicator *c1 = S_get(&fx, "c1");
    CHECK(c1 && c1->nvalues == 1 && c1->values[0].value == 99);
    S_teardown(&fx);
}

TEST(indicators_duplicate_id_names_both_files) {
    fixture fx;
    S_setup(&fx);
    RUN(&fx, "a.lua", "\nindicator { id = 'same', name = 'first' }\n", "b.lua",
        "indicator { id = 'same', name = 'second' }\n");
    CHECK_CONTAINS(fx.msgs, "content/indicators/b.lua:1: error: indicator id \"same\" is already declared at "
                            "content/indicators/a.lua:2");
    CHECK(fx.s.nindicators == 1 && strcmp(fx.s.indicators[0]->name, "first") == 0);
    S_teardown(&fx);
}

TEST(indicators_validation) {
    fixture fx;
    S_setup(&fx);
    RUN(&fx, "bad.lua",
        "indicator { id = 'Bad_ID', name = 'x' }\n"                                   /* 1 */
        "indicator { id = 'y1', name = 'x', baseline = { year = 2015.5, value = 1 } }\n" /* 2 */
        "indicator { id = 'y2', name = 'x', target = { year = 2020, value = '10' } }\n"  /* 3 */
        "indicator { id = 'y3', name = 'x', values = { [2016] = 0/0, ['2017'] = 1 } }\n" /* 4 */
        "indicator { id = 'y4', name = 'x', plan = 'nope', goal = 'g1' }\n"             /* 5 */
        "indicator { id = 'y5', name = 'x', plan = 'p', goal = 'g7', tasks = { 'g1', 'q#zz' } }\n" /* 6 */
        "indicator { id = 'y6', name = 'x', goal = 'q#g9', lead = '甲单位x' }\n"          /* 7 */
        "indicator { id = 'y7', name = 'x', tagret = {}, [1] = 2, direction = 'sideways' }\n" /* 8 */
        "indicator { id = 'y8', name = 'x', plan = 'p', goal = 't1' }\n"                /* 9 */
        "indicator { name = 'no id', values = { [2016] = 1/0 } }\n"                     /* 10 */
        "indicator { id = 'y9', name = 'x', goal = 'g1', sample = 'yes' }\n"            /* 11 */
        "indicator { id = 'y10', name = 'x', plan = 'q', goal = 'p#g1', values = 5 }\n" /* 12 */
        "indicator 'just a string'\n");                                                 /* 13 */
    const char *m = fx.msgs;
    CHECK_CONTAINS(m, "bad.lua:1: error: indicator id \"Bad_ID\" must be made of lowercase letters");
    CHECK_CONTAINS(m, "bad.lua:2: error: baseline.year must be a year (an integer from 1000 to 9999), not 2015.5");
    CHECK_CONTAINS(m, "bad.lua:3: error: target.value must be a finite number, not \"10\" (a string) (use tonumber)");
    CHECK_CONTAINS(m, "bad.lua:4: error: values: key \"2017\" (a string) is not a year");
    CHECK_CONTAINS(m, "bad.lua:4: error: values: the value for 2016 must be a finite number");
    CHECK_CONTAINS(m, "bad.lua:5: error: unknown plan \"nope\"");
    CHECK_CONTAINS(m, "bad.lua:6: error: unknown goal \"g7\" in plan \"p\"");
    CHECK_CONTAINS(m, "bad.lua:6: error: task \"g1\" is a goal");
    CHECK_CONTAINS(m, "bad.lua:6: error: unknown task \"q#zz\"");
    CHECK_CONTAINS(m, "bad.lua:7: error: unknown body \"甲单位x\" (did you mean \"甲单位\"?)");
    CHECK_CONTAINS(m, "bad.lua:8: error: unknown field \"tagret\" in indicator{}");
    CHECK_CONTAINS(m, "bad.lua:8: error: unknown field 1 in indicator{}");
    CHECK_CONTAINS(m, "bad.lua:8: error: direction must be \"up\" or \"down\", not \"sideways\"");
    CHECK_CONTAINS(m, "bad.lua:9: error: goal \"t1\" is a task, not a goal");
    CHECK_CONTAINS(m, "bad.lua:10: error: indicator{} has no id");
    CHECK_CONTAINS(m, "bad.lua:11: error: goal \"g1\": name its plan");
    CHECK_CONTAINS(m, "bad.lua:11: error: sample must be true or false");
    CHECK_CONTAINS(m, "bad.lua:12: error: goal \"p#g1\" is not in plan \"q\"");
    CHECK_CONTAINS(m, "bad.lua:12: error: values must be a table");
    CHECK_CONTAINS(m, "bad.lua:13: error: bad argument #1 to 'indicator' (table expected, got string)");
    if (*failed_) fprintf(stderr, "%s", m);
    /* a goal named plan#goal gives the plan */
    indicator *y6 = S_get(&fx, "y6");
    CHECK(y6 && y6->plan == fx.s.plans[1] && y6->goal == fx.s.plans[1]->items[0]);
    S_teardown(&fx);
}

TEST(indicators_status_function) {
    fixture fx;
    S_setup(&fx);
    RUN(&fx, "s.lua",
        "indicator { id = 'a', name = 'a', target = { year = 2030, value = 10 }, values = { [2020] = 1, [2024] = 1.5 },\n"
        "  status = function(ind) assert(ind.latest.value == 1.5 and ind.default == 'off-track' and ind.as_of == 2025)\n"
        "    return 'on-track' end }\n"
        "indicator { id = 'b', name = 'b', status = function() return 'great' end }\n"
        "indicator { id = 'c', name = 'c', status = 'achieved' }\n"
        "indicator { id = 'd', name = 'd', status = function() error('boom') end }\n"
        "indicator { id = 'e', name = 'e', values = { [2017] = 3 },\n"
        "  status = function() return value('e', 2017) > 2 and 'achieved' or 'off-track' end }\n");
    CHECK_CONTAINS(fx.msgs, "s.lua:4: error: the status function returned \"great\" (a string): it must return");
    CHECK_CONTAINS(fx.msgs, "s.lua:6: error: boom");
    indicator *a = S_get(&fx, "a"), *c = S_get(&fx, "c"), *e = S_get(&fx, "e");
    CHECK(a && strcmp(a->status, "on-track") == 0);
    CHECK(c && strcmp(c->status, "achieved") == 0);
    CHECK(e && strcmp(e->status, "achieved") == 0);
    S_teardown(&fx);
}

/* ---- the sandbox's walls ------------------------------------------------------ */

TEST(indicators_sandbox_walls) {
    fixture fx;
    S_setup(&fx);
    RUN(&fx, "os.lua", "os.execute('touch /tmp/planpress-pwned')\n",
        "io.lua", "local f = io.open('/etc/passwd')\n",
        "require.lua", "require('os')\n",
        "dump.lua", "local f = function() end\nload(string.dump(f))\n",
        "meta.lua", "getmetatable('').__index = { upper = function() return 'x' end }\n",
        "debug.lua", "debug.sethook()\n",
        "gc.lua", "setmetatable({}, { __gc = function() end })\n");
    const char *m = fx.msgs;
    CHECK_CONTAINS(m, "content/indicators/os.lua:1: error: attempt to index a nil value (global 'os')");
    CHECK_CONTAINS(m, "content/indicators/io.lua:1: error: attempt to index a nil value (global 'io')");
    CHECK_CONTAINS(m, "content/indicators/require.lua:1: error: attempt to call a nil value (global 'require')");
    CHECK_CONTAINS(m, "content/indicators/dump.lua:2: error: attempt to call a nil value (field 'dump')");
    CHECK_CONTAINS(m, "content/indicators/meta.lua:1: error: attempt to index a boolean value");
    CHECK_CONTAINS(m, "content/indicators/debug.lua:1: error: attempt to index a nil value (global 'debug')");
    CHECK_CONTAINS(m, "content/indicators/gc.lua:1: error: __gc metamethods are not allowed");
    FILE *f = fopen("/tmp/planpress-pwned", "r");
    CHECK(f == NULL);
    if (f) fclose(f);
    S_teardown(&fx);
}

TEST(indicators_scripts_do_not_share_globals) {
    fixture fx;
    S_setup(&fx);
    RUN(&fx, "a.lua",
        "secret = 'a'\n"
        "string.upper = function() return 'pwned' end\n"
        "indicator = function() end\n"
        "_G.value = nil\n",
        "b.lua",
        "assert(secret == nil and _G.secret == nil, 'sees a.lua globals')\n"
        "assert(('x'):upper() == 'X' and string.upper('y') == 'Y', 'sees a.lua string')\n"
        "assert(value ~= nil, 'sees a.lua _G')\n"
        "indicator { id = 'b', name = 'b' }\n"
        "rawset(getmetatable(_ENV) or {}, 'x', 1)\n");
    CHECK_STR(fx.msgs, "");
    CHECK(fx.s.nindicators == 1);
    S_teardown(&fx);
}

static int S_count(const char *hay, const char *needle) {
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++) n++;
    return n;
}

TEST(indicators_limits_hold) {
    sandbox_limits lim = {.memory_bytes = 8u << 20, .instructions = 2000000, .seconds = 10};
    static const char *const cases[][3] = {
        {"loop.lua", "indicator { id = 'ok', name = 'n' }\nwhile true do end\n",
         "content/indicators/loop.lua:2: error: instruction budget exceeded (site.yaml limits.lua_instructions: 2000000)"},
        {"bomb.lua", "local t = {}\nfor i = 1, 1e9 do t[i] = string.rep('x', 4096) .. i end\n",
         "content/indicators/bomb.lua:2: error: memory limit exceeded (site.yaml limits.lua_memory_mb: 8)"},
        {"deep.lua", "local function f(n) return f(n + 1) + 1 end\nf(1)\n",
         "content/indicators/deep.lua:1: error: "}, /* stack overflow or memory */
        {"lazy.lua", "indicator { id = 'l', name = 'l', values = function() while true do end end }\n",
         "content/indicators/lazy.lua:1: error: instruction budget exceeded"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fixture fx;
        S_setup(&fx);
        double t0 = S_cpu();
        S_run_files(&fx, &lim, NULL, cases[i][0], cases[i][1], "a.lua", "indicator { id = 'a', name = 'before' }\n",
                    NULL);
        CHECK(S_cpu() - t0 < 10);
        CHECK_CONTAINS(fx.msgs, cases[i][2]);
        CHECK(S_get(&fx, "a") != NULL);
        S_teardown(&fx);
    }
}

/* After a limit, no more script or function runs: twenty looping function
 * fields cost one budget, not twenty. */
TEST(indicators_stop_at_the_first_limit) {
    sandbox_limits lim = {.instructions = 2000000};
    fixture fx;
    S_setup(&fx);
    S_run_files(&fx, &lim, NULL, "twenty.lua",
                "for i = 1, 20 do\n"
                "  indicator { id = 'i' .. i, name = 'n', values = function() while true do end end }\n"
                "end\n", NULL);
    CHECK_CONTAINS(fx.msgs, "content/indicators/twenty.lua:2: error: instruction budget exceeded");
    CHECK(S_count(fx.msgs, "budget exceeded") == 1);
    S_teardown(&fx);
    /* all the scripts of a revision together: limits.lua_instructions_scripts */
    lim.total_instructions = 3000000;
    S_setup(&fx);
    S_run_files(&fx, &lim, NULL, "a.lua", "for i = 1, 1200000 do end\n", "b.lua", "for i = 1, 1200000 do end\n",
                "c.lua", "for i = 1, 1200000 do end\n", NULL);
    CHECK_CONTAINS(fx.msgs, "content/indicators/c.lua:1: error: instruction budget exceeded "
                            "(site.yaml limits.lua_instructions_scripts: 3000000, for all together)");
    S_teardown(&fx);
}

TEST(indicators_limits_from_site_yaml) {
    fixture fx;
    S_setup(&fx);
    const char *yaml = "title: x\nlimits:\n  lua_instructions: 5000\n  lua_memory_mb: 4\n  lua_seconds: oops\n";
    yvalue *v = NULL;
    yaml_parse_doc(fx.s.a, fx.d, "content/site.yaml", 1, yaml, strlen(yaml), &v);
    fx.s.cfg.raw = v;
    sandbox_limits lim = {0};
    indicators_limits(&fx.s, &lim, NULL, fx.d);
    CHECK(lim.instructions == 5000 && lim.memory_bytes == 4u << 20 && lim.seconds == 0);
    S_run_files(&fx, NULL, NULL, "loop.lua", "for i = 1, 1e7 do end\n", NULL);
    CHECK_CONTAINS(fx.msgs, "content/site.yaml:5:16: error: limits.lua_seconds must be a number");
    CHECK_CONTAINS(fx.msgs, "content/indicators/loop.lua:1: error: instruction budget exceeded");
    S_teardown(&fx);
}

TEST(indicators_csv_errors) {
    fixture fx;
    S_setup(&fx);
    const char *files[] = {
        "content/data/broken.csv", "id,name\n1,\"open\n2,x\n",
        "content/data/short.csv", "id,name\r\n1\r\n",
        "content/data/dup.csv", "id,id\n1,2\n",
        "content/data/utf.csv", "id\n\xff\n",
        NULL};
    S_run_files(&fx, NULL, files,
                "broken.lua", "local rows = csv('data/broken.csv')\n",
                "short.lua", "\ncsv('data/short.csv')\n",
                "dup.lua", "csv('data/dup.csv')\n",
                "utf.lua", "csv('data/utf.csv')\n",
                "escape.lua", "csv('../site.yaml')\n",
                "abs.lua", "csv('/etc/passwd')\n",
                "missing.lua", "csv('data/none.csv')\n",
                "caught.lua", "local ok = pcall(csv, 'data/broken.csv')\nassert(not ok)\nindicator { id = 'c', name = 'c' }\n",
                NULL);
    const char *m = fx.msgs;
    CHECK_CONTAINS(m, "content/data/broken.csv:2:3: error: unterminated quoted field (the quote opened here is never "
                      "closed) (read by csv() at content/indicators/broken.lua:1)");
    CHECK_CONTAINS(m, "content/data/short.csv:2: error: this row has 1 fields, the header has 2 (read by csv() at "
                      "content/indicators/short.lua:2)");
    CHECK_CONTAINS(m, "content/data/dup.csv:1:4: error: two columns are named \"id\"");
    CHECK_CONTAINS(m, "content/data/utf.csv:2:1: error: invalid UTF-8");
    CHECK_CONTAINS(m, "content/indicators/escape.lua:1: error: csv(\"../site.yaml\"): the path must be relative");
    CHECK_CONTAINS(m, "content/indicators/abs.lua:1: error: csv(\"/etc/passwd\"): the path must be relative");
    CHECK_CONTAINS(m, "content/indicators/missing.lua:1: error: csv(\"data/none.csv\"): there is no file "
                      "content/data/none.csv in the content folder");
    /* the CSV's error is reported once, at the CSV, not again at the script */
    CHECK(strstr(m, "broken.lua:1: error") == NULL);
    CHECK(S_get(&fx, "c") != NULL);
    S_teardown(&fx);
}

TEST(indicators_bad_script_files) {
    fixture fx;
    S_setup(&fx);
    RUN(&fx, "syntax.lua", "indicator { id = 'x'\n", "utf.lua", "-- \xff\n");
    CHECK_CONTAINS(fx.msgs, "content/indicators/syntax.lua:2: error: '}' expected (to close '{' at line 1) near <eof>");
    CHECK_CONTAINS(fx.msgs, "content/indicators/utf.lua:1:4: error: invalid UTF-8");
    S_teardown(&fx);
}

TEST(indicators_floods_are_bounded) {
    fixture fx;
    S_setup(&fx);
    double t0 = S_cpu();
    RUN(&fx, "errors.lua", "for i = 1, 3000 do indicator { id = 'X' .. i, name = 'n' } end\n");
    CHECK(S_cpu() - t0 < 20);
    CHECK_CONTAINS(fx.msgs, "planpress: error: more than 1000 errors in the indicator scripts: the rest are not shown");
    CHECK(diag_errors(fx.d) <= 1002);
    S_teardown(&fx);

    S_setup(&fx);
    RUN(&fx, "big.lua", "local s = string.rep('x', 20000)\nfor i = 1, 4000 do indicator { id = 'k' .. i, name = s } end\n");
    CHECK_CONTAINS(fx.msgs, "content/indicators/big.lua:2: error: the indicators hold more than 64 MiB of text and values in all");
    CHECK(diag_errors(fx.d) == 1); /* once: what follows is left out without more noise */
    S_teardown(&fx);
}

/* ---- the default status: a table of cases ------------------------------------ */

typedef struct status_case {
    const char *name;
    int down, has_b, by;
    double bv;
    int has_t, ty;
    double tv;
    int n;
    int years[3];
    double vals[3];
    int as_of;
    const char *status, *reason;
    double expected;
} status_case;

TEST(indicators_default_status_table) {
    static const status_case cases[] = {
        /* name                    down b  by    bv    t  ty    tv   n  years              values        as_of status       reason       expected */
        {"up, achieved",              0, 1, 2015, 5.14, 1, 2020, 10,  1, {2018},            {10},         2019, "achieved",  "achieved",  8.056},
        {"up, beyond target",         0, 1, 2015, 5.14, 1, 2020, 10,  2, {2016, 2017},      {6, 10.5},    2018, "achieved",  "achieved",  7.084},
        {"up, on the line",           0, 1, 2015, 0,    1, 2020, 10,  1, {2017},            {4},          2018, "on-track",  "on-track",  4},
        {"up, ahead of the line",     0, 1, 2015, 0,    1, 2020, 10,  1, {2016},            {5},          2018, "on-track",  "on-track",  2},
        {"up, behind the line",       0, 1, 2015, 0,    1, 2020, 10,  1, {2018},            {5},          2019, "off-track", "behind",    6},
        {"up, target year reached",   0, 1, 2015, 0,    1, 2020, 10,  1, {2020},            {9.9},        2020, "off-track", "past",      10},
        {"up, target year past",      0, 1, 2015, 0,    1, 2020, 10,  1, {2018},            {8},          2025, "off-track", "past",      6},
        {"up, past but achieved",     0, 1, 2015, 0,    1, 2020, 10,  1, {2019},            {11},         2025, "achieved",  "achieved",  8},
        {"down, achieved",            1, 1, 2015, 30,   1, 2020, 20,  1, {2019},            {19.5},       2020, "achieved",  "achieved",  22},
        {"down, on track",            1, 1, 2015, 30,   1, 2020, 20,  1, {2017},            {25},         2018, "on-track",  "on-track",  26},
        {"down, behind",              1, 1, 2015, 30,   1, 2020, 20,  1, {2017},            {28},         2018, "off-track", "behind",    26},
        {"down, past",                1, 1, 2015, 30,   1, 2020, 20,  1, {2018},            {21},         2021, "off-track", "past",      24},
        {"no values",                 0, 1, 2015, 5,    1, 2020, 10,  0, {0},               {0},          2018, "no-data",   "no-values", 0},
        {"baseline only",             0, 1, 2015, 5,    0, 0,    0,   0, {0},               {0},          2018, "no-data",   "no-values", 0},
        {"values, no target",         0, 1, 2015, 5,    0, 0,    0,   1, {2016},            {6},          2018, "no-data",   "no-target", 0},
        {"values before baseline",    0, 1, 2015, 5,    1, 2020, 10,  1, {2010},            {2},          2018, "no-data",   "no-values", 0},
        {"no baseline: first value",  0, 0, 0,    0,    1, 2020, 10,  2, {2016, 2018},      {2, 7},       2019, "on-track",  "on-track",  6},
        {"no baseline: one value",    0, 0, 0,    0,    1, 2020, 10,  1, {2016},            {2},          2019, "on-track",  "on-track",  2},
        {"no baseline: behind",       0, 0, 0,    0,    1, 2020, 10,  2, {2016, 2018},      {2, 5},       2019, "off-track", "behind",    6},
        {"target already met at 0",   1, 1, 2015, 0,    1, 2020, 0,   1, {2016},            {0},          2017, "achieved",  "achieved",  0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const status_case *c = &cases[i];
        indicator_value vals[3];
        for (int k = 0; k < c->n; k++) vals[k] = (indicator_value){c->years[k], c->vals[k]};
        indicator ind;
        memset(&ind, 0, sizeof ind);
        ind.down = c->down;
        ind.has_baseline = c->has_b;
        ind.baseline = (indicator_value){c->by, c->bv};
        ind.has_target = c->has_t;
        ind.target = (indicator_value){c->ty, c->tv};
        ind.values = vals;
        ind.nvalues = (size_t)c->n;
        indicator_verdict v = indicators_default_status(&ind, c->as_of);
        int ok = strcmp(v.status, c->status) == 0 && strcmp(v.reason, c->reason) == 0 &&
                 (!v.has_expected || fabs(v.expected - c->expected) < 1e-9);
        if (!ok)
            fprintf(stderr, "  case \"%s\": got %s/%s/%g, expected %s/%s/%g\n", c->name, v.status, v.reason,
                    v.expected, c->status, c->reason, c->expected);
        CHECK(ok);
    }
}

/* ---- charts -------------------------------------------------------------------- */

TEST(indicators_chart_svg) {
    chart_point vals[] = {{2016, 6}, {2017, 7.2}};
    chart_data c = {"chart-x", "名称<script>&\"", "%", "zh-CN", 1, 1, {2015, 5.14}, {2020, 10}, vals, 2, 1};
    strbuf b = STRBUF_INIT;
    CHECK(chart_svg(&b, &c) == 0);
    const char *s = sb_str(&b);
    CHECK_CONTAINS(s, "<svg class=\"indicator-chart\" viewBox=\"0 0 400 ");
    CHECK_CONTAINS(s, "role=\"img\" aria-labelledby=\"chart-x-title chart-x-desc\"");
    CHECK_CONTAINS(s, "<title id=\"chart-x-title\">名称&lt;script&gt;&amp;&quot;：基线、实际值与目标</title>");
    CHECK_CONTAINS(s, "<desc id=\"chart-x-desc\">基线：2015年为5.14%。目标：到2020年达到10%。实际值：2016年为6%；2017年为7.2%。");
    CHECK_CONTAINS(s, "class=\"chart-expected\"");
    CHECK_CONTAINS(s, "class=\"chart-observed-line\"");
    CHECK_CONTAINS(s, ">年份</text>");
    CHECK_CONTAINS(s, ">示例数据，并非实际统计</text>");
    CHECK(strstr(s, "<script") == NULL);
    CHECK(strstr(s, "width=\"") == NULL || strstr(s, "<svg") < strstr(s, "width=\"")); /* no fixed size on <svg> */
    sb_free(&b);

    /* English, no baseline, one value; nothing to draw */
    chart_data e = {"c", "Rate", "stations", "en", 0, 1, {0, 0}, {2020, 500}, vals, 1, 0};
    CHECK(chart_svg(&b, &e) == 0);
    CHECK_CONTAINS(sb_str(&b), "Target: 2020, 500 stations. Observed: 2016, 6 stations.");
    CHECK_CONTAINS(sb_str(&b), ">Year</text>");
    CHECK(strstr(sb_str(&b), "Sample") == NULL);
    sb_free(&b);
    chart_data none = {"c", "n", NULL, "zh-CN", 0, 0, {0, 0}, {0, 0}, NULL, 0, 0};
    CHECK(chart_svg(&b, &none) == -1 && b.len == 0);
    sb_free(&b);
}

/* The value axis starts near the data when zero would flatten it (69 -> 73%),
 * and the chart and its text alternative say so; otherwise it starts at 0. */
TEST(indicators_chart_axis_near_data) {
    chart_point vals[] = {{2021, 70}, {2022, 71}, {2023, 73}};
    chart_data c = {"c", "比例", "%", "zh-CN", 1, 1, {2020, 69}, {2025, 75}, vals, 3, 0};
    strbuf b = STRBUF_INIT;
    CHECK(chart_svg(&b, &c) == 0);
    const char *s = sb_str(&b);
    CHECK_CONTAINS(s, "不从0开始。</desc>");
    CHECK_CONTAINS(s, "纵轴从68到76，不从0开始");
    CHECK_CONTAINS(s, ">68</text>");
    CHECK(strstr(s, ">0</text>") == NULL);
    CHECK_CONTAINS(s, "class=\"chart-axis-break\"");
    sb_free(&b);
    /* English; below zero the same, mirrored */
    chart_point neg[] = {{2021, -52}, {2022, -50}};
    chart_data e = {"c", "Balance", NULL, "en", 1, 0, {2020, -53}, {0, 0}, neg, 2, 0};
    CHECK(chart_svg(&b, &e) == 0);
    CHECK_CONTAINS(sb_str(&b), "The value axis runs from -53 to -49, not from 0.</desc>");
    CHECK(strstr(sb_str(&b), ">0</text>") == NULL);
    sb_free(&b);
    /* 5.14 -> 10: zero does not flatten it, the axis starts at 0 */
    chart_data z = {"c", "比例", "%", "zh-CN", 1, 1, {2015, 5.14}, {2020, 10}, NULL, 0, 0};
    CHECK(chart_svg(&b, &z) == 0);
    CHECK_CONTAINS(sb_str(&b), ">0</text>");
    CHECK(strstr(sb_str(&b), "不从0开始") == NULL);
    CHECK(strstr(sb_str(&b), "chart-axis-break") == NULL);
    sb_free(&b);
}

TEST(indicators_chart_numbers) {
    char buf[32];
    chart_number(buf, 5.14);
    CHECK_STR(buf, "5.14");
    chart_number(buf, 10);
    CHECK_STR(buf, "10");
    chart_number(buf, 10 - 5.14);
    CHECK_STR(buf, "4.86");
    chart_number(buf, -0.0);
    CHECK_STR(buf, "0");
    chart_number(buf, 9490000);
    CHECK_STR(buf, "9490000");
    chart_number(buf, 1e13);
    CHECK_STR(buf, "10000000000000");
    chart_number(buf, 0.00005);
    CHECK_STR(buf, "0.00005");
    chart_number(buf, NAN);
    CHECK_STR(buf, "?");
    CHECK(chart_line_at((chart_point){2015, 0}, (chart_point){2020, 10}, 2017) == 4);
    CHECK(chart_line_at((chart_point){2015, 0}, (chart_point){2020, 10}, 2010) == 0);
    CHECK(chart_line_at((chart_point){2015, 0}, (chart_point){2020, 10}, 2030) == 10);
    CHECK(chart_line_at((chart_point){2020, 3}, (chart_point){2020, 10}, 2020) == 10);
}

/* ---- data for templates and files ------------------------------------------------ */

TEST(indicators_push_and_json) {
    fixture fx;
    S_setup(&fx);
    RUN(&fx, "a.lua",
        "indicator { id = 'lit', name = '比例', unit = '%', plan = 'p', goal = 'g1', tasks = {'t1'}, lead = '乙',\n"
        "  baseline = { year = 2015, value = 5.14 }, target = { year = 2020, value = 10.5 },\n"
        "  values = { [2016] = 6.25 }, sample = true, note = '原文' }\n");
    CHECK_STR(fx.msgs, "");
    indicator *ind = S_get(&fx, "lit");
    CHECK(ind != NULL);
    if (!ind) {
        S_teardown(&fx);
        return;
    }
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    indicators_push(L, ind, 1, "zh-CN");
    lua_setglobal(L, "ind");
    const char *check =
        "assert(ind.id == 'lit' and ind.url == 'indicators/lit/' and ind.status == 'off-track')\n"
        "assert(ind.status_key == 'off_track' and ind.reason == 'past' and ind.direction == 'up')\n"
        "assert(ind.baseline.year == 2015 and ind.baseline.text == '5.14' and ind.baseline.amount == '5.14%')\n"
        "assert(ind.target.amount == '10.5%' and ind.latest.year == 2016 and #ind.values == 1)\n"
        "assert(ind.expected == '6.21' and ind.expected_amount == '6.21%')\n"
        "assert(ind.sample == true and ind.note == '原文' and ind.custom == false)\n"
        "assert(ind.plan.id == 'p' and ind.goal.url == 'plans/p/goals/g1/' and ind.tasks[1].url == 'plans/p/tasks/t1/')\n"
        "assert(ind.lead.id == 'b2' and ind.lead.url == 'bodies/b2/')\n"
        "assert(ind.chart:find('^<svg') and ind.chart_text:find('基线：2015年为5.14%%'))\n"
        "assert(#ind.rows == 3 and ind.rows[1].year == 2015 and ind.rows[1].baseline == '5.14')\n"
        "assert(ind.rows[2].observed == '6.25' and ind.rows[2].expected == '6.21' and ind.rows[3].target == '10.5')\n"
        "return true\n";
    int ok = luaL_dostring(L, check) == LUA_OK;
    if (!ok) fprintf(stderr, "  %s\n", lua_tostring(L, -1));
    CHECK(ok);
    /* without `full`: no chart */
    indicators_push(L, ind, 0, "en");
    lua_getfield(L, -1, "chart");
    CHECK(lua_isnil(L, -1));
    lua_getfield(L, -2, "target");
    lua_getfield(L, -1, "amount");
    CHECK_STR(lua_tostring(L, -1), "10.5%");
    lua_close(L);

    strbuf out = STRBUF_INIT;
    json_writer w;
    json_init(&w, &out, 0);
    json_object_begin(&w);
    indicators_json(&w, &fx.s);
    json_object_end(&w);
    CHECK_CONTAINS(sb_str(&out), "\"indicators\":[{\"id\":\"lit\",\"name\":\"比例\",\"url\":\"indicators/lit/\",\"unit\":\"%\"");
    CHECK_CONTAINS(sb_str(&out), "\"plan\":\"p\",\"goal\":\"p#g1\",\"tasks\":[\"p#t1\"],\"lead\":\"b2\"");
    CHECK_CONTAINS(sb_str(&out), "\"baseline\":{\"year\":2015,\"value\":5.1");
    CHECK_CONTAINS(sb_str(&out), "\"target\":{\"year\":2020,\"value\":10.5}");
    CHECK_CONTAINS(sb_str(&out), "\"values\":[{\"year\":2016,\"value\":6.25}],\"status\":\"off-track\",\"sample\":true");
    sb_free(&out);
    S_teardown(&fx);
}

/* A memory error without a line names the script once, with the setting. */
TEST(indicators_memory_error_names_the_script_once) {
    sandbox_limits lim = {.memory_bytes = 1u << 20};
    fixture fx;
    S_setup(&fx);
    size_t n = 400000;
    char *big = malloc(4 * n + 1);
    for (size_t i = 0; i < n; i++) memcpy(big + 4 * i, "a=1\n", 4);
    big[4 * n] = '\0';
    S_run_files(&fx, &lim, NULL, "big.lua", big, NULL);
    CHECK_STR(fx.msgs, "content/indicators/big.lua: error: memory limit exceeded (site.yaml limits.lua_memory_mb: 1)\n");
    free(big);
    S_teardown(&fx);
}
