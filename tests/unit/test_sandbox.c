/* test_sandbox.c — the Lua sandbox: what scripts cannot reach, the limits,
 * determinism, and the pattern functions against Lua's own. */
#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "sandbox.h"

/* Runs `code` as chunk "@test.lua" in env (stack index, or 0 for a fresh
 * one); returns "ok: <tostring of the result>" or "error: <message>" in a
 * static buffer. */
static const char *S_run_in(sandbox *sb, int env, const char *code) {
    static char buf[2048];
    lua_State *L = sandbox_lua(sb);
    const char *err;
    int top = lua_gettop(L);
    if (env) lua_pushvalue(L, env);
    else sandbox_push_env(sb);
    if (sandbox_load(sb, code, strlen(code), "@test.lua", -1, &err) != 0) {
        snprintf(buf, sizeof buf, "error: %s", err);
    } else if (sandbox_call(sb, 0, 1, &err) != 0) {
        snprintf(buf, sizeof buf, "error: %s", err);
    } else {
        const char *s = luaL_tolstring(L, -1, NULL);
        snprintf(buf, sizeof buf, "ok: %s", s);
    }
    lua_settop(L, top);
    return buf;
}

static const char *S_run(sandbox *sb, const char *code) { return S_run_in(sb, 0, code); }

/* CPU time: the limits must hold on a busy machine as much as on an idle one */
static double S_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

TEST(sandbox_no_outside_world) {
    sandbox *sb = sandbox_new(NULL);
    CHECK(sb != NULL);
    CHECK_STR(S_run(sb, "return os == nil and io == nil and debug == nil and package == nil"), "ok: true");
    CHECK_STR(S_run(sb, "return require == nil and dofile == nil and loadfile == nil"), "ok: true");
    CHECK_STR(S_run(sb, "return collectgarbage == nil and coroutine == nil and string.dump == nil"), "ok: true");
    CHECK_CONTAINS(S_run(sb, "os.execute('touch /tmp/pwned')"), "error: test.lua:1: attempt to index a nil value (global 'os')");
    CHECK_CONTAINS(S_run(sb, "return io.open('/etc/passwd')"), "attempt to index a nil value (global 'io')");
    CHECK_CONTAINS(S_run(sb, "return require('os')"), "attempt to call a nil value (global 'require')");
    CHECK_CONTAINS(S_run(sb, "return dofile('/etc/passwd')"), "attempt to call a nil value (global 'dofile')");
    CHECK_CONTAINS(S_run(sb, "return loadfile('/etc/passwd')"), "attempt to call a nil value (global 'loadfile')");
    CHECK_CONTAINS(S_run(sb, "return ('').dump"), "ok: nil");
    CHECK_STR(S_run(sb, "print('hello') return 1"), "ok: 1");
    sandbox_free(sb);
}

TEST(sandbox_load_is_text_only) {
    sandbox *sb = sandbox_new(NULL);
    /* a binary chunk header: load must refuse it whatever the mode asked */
    CHECK_CONTAINS(S_run(sb, "local f, e = load('\\27Lua\\84\\0\\25\\147\\13\\10\\26\\10\\4\\8\\8') return e"),
                   "attempt to load a binary chunk");
    CHECK_CONTAINS(S_run(sb, "local f, e = load('\\27Lua\\84', 'x', 'b') return e"), "binary chunk");
    /* text chunks work, and see the caller's environment, never the state's globals */
    CHECK_STR(S_run(sb, "x = 5 local f = load('return x') return f()"), "ok: 5");
    CHECK_STR(S_run(sb, "local f = load('y = 7') f() return y"), "ok: 7");
    CHECK_STR(S_run(sb, "local f = load('return z', 'c', 't', {z = 3}) return f()"), "ok: 3");
    CHECK_STR(S_run(sb, "local f = load('return os') return f()"), "ok: nil");
    /* the binary check also holds for chunks built by a reader function */
    CHECK_CONTAINS(S_run(sb, "local s = '\\27Lua' local f, e = load(function() local r = s s = nil return r end) return e"),
                   "binary chunk");
    sandbox_free(sb);
}

TEST(sandbox_string_metatable_is_protected) {
    sandbox *sb = sandbox_new(NULL);
    CHECK_STR(S_run(sb, "return getmetatable('')"), "ok: false");
    CHECK_CONTAINS(S_run(sb, "getmetatable('').__index = {upper = function() return 'pwned' end}"), "error: test.lua:1:");
    CHECK_CONTAINS(S_run(sb, "setmetatable('', {})"), "error:");
    CHECK_STR(S_run(sb, "return ('abc'):upper()"), "ok: ABC");
    CHECK_STR(S_run(sb, "string.upper = nil return ('abc'):upper()"), "ok: ABC");
    sandbox_free(sb);
}

TEST(sandbox_envs_are_separate) {
    sandbox *sb = sandbox_new(NULL);
    lua_State *L = sandbox_lua(sb);
    sandbox_push_env(sb);
    int a = lua_gettop(L);
    sandbox_push_env(sb);
    int b = lua_gettop(L);
    CHECK_STR(S_run_in(sb, a, "x = 1 tostring = nil string.rep = nil table.insert = nil math.pi = 3 return x"), "ok: 1");
    CHECK_STR(S_run_in(sb, a, "return x"), "ok: 1");
    CHECK_STR(S_run_in(sb, b, "return x"), "ok: nil");
    CHECK_STR(S_run_in(sb, b, "return tostring(string.rep('a', 3)) .. math.pi"), "ok: aaa3.1415926535898");
    CHECK_STR(S_run_in(sb, b, "local t = {} table.insert(t, 1) return #t"), "ok: 1");
    /* rawset on _G only touches one's own environment */
    CHECK_STR(S_run_in(sb, a, "rawset(_G, 'pairs', 1) return rawget(_G, 'pairs')"), "ok: 1");
    CHECK_STR(S_run_in(sb, b, "return type(pairs)"), "ok: function");
    /* the environment's metatable cannot be reached nor replaced */
    CHECK_STR(S_run_in(sb, b, "return getmetatable(_G)"), "ok: false");
    CHECK_CONTAINS(S_run_in(sb, b, "setmetatable(_G, nil)"), "cannot change a protected metatable");
    lua_settop(L, a - 1);
    /* a chunk loaded without an environment sees the read-only safe globals */
    CHECK(luaL_loadstring(L, "pwned = 1") == LUA_OK);
    const char *err;
    CHECK(sandbox_call(sb, 0, 0, &err) == -1);
    CHECK_CONTAINS(err, "read-only");
    /* C code may share a function with every script, between calls */
    lua_pushcfunction(L, luaopen_base);
    lua_setglobal(L, "shared_fn");
    CHECK_STR(S_run(sb, "return type(shared_fn)"), "ok: function");
    CHECK_CONTAINS(S_run(sb, "rawset(getmetatable(_G), 'x', 1)"), "error:");
    sandbox_free(sb);
}

TEST(sandbox_endless_loop_is_stopped) {
    sandbox_limits lim = {0};
    sandbox *sb = sandbox_new(&lim);
    double t0 = S_now();
    CHECK_STR(S_run(sb, "local i = 0\nwhile true do\n  i = i + 1\nend"),
              "error: test.lua:3: instruction budget exceeded (site.yaml limits.lua_instructions: 100000000)");
    double t1 = S_now();
    CHECK(t1 - t0 < 2.0);
    /* pcall cannot swallow it, nor loop around it */
    CHECK_CONTAINS(S_run(sb, "while true do pcall(function() while true do end end) end"),
                   "instruction budget exceeded");
    CHECK_CONTAINS(S_run(sb, "for i = 1, 10 do pcall(function() while true do end end) end return 'finished'"),
                   "instruction budget exceeded");
    /* xpcall handlers run with hooks off: they are not run after a limit */
    CHECK_CONTAINS(S_run(sb, "while true do xpcall(function() while true do end end, function() while true do end end) end"),
                   "instruction budget exceeded");
    CHECK_CONTAINS(S_run(sb, "local function f() return f() end return f()"), "instruction budget exceeded");
    CHECK(S_now() - t1 < 8.0);
    /* and the next call has a fresh budget */
    CHECK_STR(S_run(sb, "local n = 0 for i = 1, 1000 do n = n + i end return n"), "ok: 500500");
    /* xpcall handlers still work for ordinary errors */
    CHECK_STR(S_run(sb, "return select(2, xpcall(error, function(m) return 'handled ' .. m end, 'x', 0))"),
              "ok: handled x");
    sandbox_free(sb);
}

TEST(sandbox_c_loops_are_charged) {
    sandbox_limits lim = {.instructions = 10000000};
    sandbox *sb = sandbox_new(&lim);
    double t0 = S_now();
    /* exponential backtracking in the pattern matcher */
    CHECK_CONTAINS(S_run(sb, "return string.find(string.rep('a', 3000), '.-.-.-.-.-b')"),
                   "test.lua:1: instruction budget exceeded");
    /* table functions whose length comes from __len */
    CHECK_CONTAINS(S_run(sb, "local t = setmetatable({}, {__len = function() return 1e15 end}) table.insert(t, 1, 'x')"),
                   "instruction budget exceeded");
    CHECK_CONTAINS(S_run(sb, "table.move({}, 1, math.maxinteger - 1, 2)"), "instruction budget exceeded");
    CHECK_CONTAINS(S_run(sb, "local t = setmetatable({}, {__index = table.concat}) return table.concat(t, '', 1, 1e14)"),
                   "instruction budget exceeded");
    CHECK_STR(S_run(sb, "return #string.rep('', 1e15) + #string.rep('', 1e15, '')"), "ok: 0");
    /* repeated big allocations */
    CHECK_CONTAINS(S_run(sb, "local s = string.rep('x', 1e6) while true do local t = s .. 'y' end"),
                   "instruction budget exceeded");
    CHECK(S_now() - t0 < 5.0);
    sandbox_free(sb);
}

TEST(sandbox_memory_cap) {
    sandbox_limits lim = {.memory_bytes = (size_t)64 << 20};
    sandbox *sb = sandbox_new(&lim);
    CHECK_STR(S_run(sb, "local t = {}\nwhile true do\n  t[#t + 1] = string.rep('x', 1e6)\nend"),
              "error: test.lua:3: memory limit exceeded (site.yaml limits.lua_memory_mb: 64)");
    CHECK_STR(S_run(sb, "return #string.rep('x', 1e10)"), "error: test.lua:1: memory limit exceeded (site.yaml limits.lua_memory_mb: 64)");
    CHECK_CONTAINS(S_run(sb, "local s = 'x' while true do s = s .. s end"), "memory limit exceeded");
    CHECK_CONTAINS(S_run(sb, "local t = {} for i = 1, 1e9 do t[i] = i end"), "memory limit exceeded");
    CHECK_CONTAINS(S_run(sb, "local t = {} while true do pcall(function() t[#t + 1] = string.rep('y', 1e6) end) end"),
                   "memory limit exceeded");
    /* the state recovers for the next script */
    CHECK_STR(S_run(sb, "return #string.rep('x', 1e6)"), "ok: 1000000");
    sandbox_free(sb);
}

TEST(sandbox_deep_recursion_is_an_error) {
    sandbox *sb = sandbox_new(NULL);
    CHECK_CONTAINS(S_run(sb, "local function f(n) return 1 + f(n + 1) end return f(1)"), "stack overflow");
    CHECK_CONTAINS(S_run(sb, "local function f() return string.gsub('a', 'a', f) end return f()"), "error:");
    CHECK_CONTAINS(S_run(sb, "local t = setmetatable({}, {}) getmetatable(t).__index = t return t.x"), "error:");
    CHECK_CONTAINS(S_run(sb, "local s = string.rep('(', 300) return string.find('x', s)"), "error:");
    sandbox_free(sb);
}

TEST(sandbox_error_values) {
    sandbox *sb = sandbox_new(NULL);
    CHECK_STR(S_run(sb, "\nerror({})"), "error: test.lua:2: (error object is a table value)");
    CHECK_STR(S_run(sb, "error(setmetatable({}, {__tostring = function() while true do end end}))"),
              "error: test.lua:1: (error object is a table value)");
    CHECK_STR(S_run(sb, "error('plain', 0)"), "error: test.lua:1: plain");
    CHECK_STR(S_run(sb, "error(42)"), "error: test.lua:1: 42");
    CHECK_STR(S_run(sb, "local x = nil\nreturn x.y"), "error: test.lua:2: attempt to index a nil value (local 'x')");
    CHECK_CONTAINS(S_run(sb, "setmetatable({}, {__gc = function() end})"), "__gc metamethods are not allowed");
    CHECK_STR(S_run(sb, "return 1 +"), "error: test.lua:1: unexpected symbol near <eof>");
    sandbox_free(sb);
}

TEST(sandbox_long_chunk_names) {
    sandbox *sb = sandbox_new(NULL);
    lua_State *L = sandbox_lua(sb);
    const char *path = "content/themes/default/templates/partials/indicators/some-very-long-name.html";
    char chunk[256];
    const char *err;
    snprintf(chunk, sizeof chunk, "@%s", path);
    sandbox_push_env(sb);
    CHECK(sandbox_load(sb, "local a\nreturn a.b", 18, chunk, -1, &err) == 0);
    CHECK(sandbox_call(sb, 0, 0, &err) == -1);
    char want[256];
    snprintf(want, sizeof want, "%s:2: attempt to index a nil value (local 'a')", path);
    CHECK_STR(err, want);
    CHECK(sandbox_load(sb, "\n\nreturn +", 10, chunk, -1, &err) == -1);
    snprintf(want, sizeof want, "%s:3:", path);
    CHECK(strncmp(err, want, strlen(want)) == 0);
    lua_settop(L, 0);
    sandbox_free(sb);
}

TEST(sandbox_is_deterministic) {
    sandbox *a = sandbox_new(NULL), *b = sandbox_new(NULL);
    const char *code =
        "local t = {zeta = 1, alpha = 2, [10] = 3, [2] = 4, beta = 5, [true] = 6, [1.5] = 7}\n"
        "local keys = {}\n"
        "for k in pairs(t) do keys[#keys + 1] = tostring(k) end\n"
        "local r = {} for i = 1, 5 do r[i] = math.random(1000) end\n"
        "local s = {} for i = 1, 300 do s[i] = {k = i % 7, i = i} end\n"
        "table.sort(s, function(x, y) return x.k < y.k end)\n"
        "local stable = true\n"
        "for i = 2, #s do if s[i - 1].k == s[i].k and s[i - 1].i > s[i].i then stable = false end end\n"
        "return table.concat(keys, ',') .. ' ' .. table.concat(r, ',') .. ' ' .. tostring(stable)";
    char first[2048];
    snprintf(first, sizeof first, "%s", S_run(a, code));
    CHECK_CONTAINS(first, "ok: 1.5,2,10,alpha,beta,zeta,true ");
    CHECK_CONTAINS(first, " true");
    CHECK_STR(S_run(b, code), first);
    CHECK_STR(S_run(a, code), first); /* reseeded for every call */
    CHECK_STR(S_run(a, "math.randomseed() local x = math.random(1e6) math.randomseed(0) return x == math.random(1e6)"),
              "ok: true");
    CHECK_STR(S_run(a, "local t = {3, 1, 2} table.sort(t) return table.concat(t, ',')"), "ok: 1,2,3");
    CHECK_STR(S_run(a, "local t = {'b', 'a', 'c'} table.sort(t, function(x, y) return x > y end) return table.concat(t)"),
              "ok: cba");
    CHECK_CONTAINS(S_run(a, "table.sort({1, 'x', 2})"), "attempt to compare");
    CHECK_STR(S_run(a, "local n = 0 for k, v in pairs({a = 1, b = 2}) do n = n + v end return n"), "ok: 3");
    CHECK_STR(S_run(a, "local t = setmetatable({}, {__pairs = function(t) return function(_, k) if not k then return 1, 'x' end end, t, nil end})\n"
                       "for k, v in pairs(t) do return v end"),
              "ok: x");
    sandbox_free(a);
    sandbox_free(b);
}

/* The pattern functions are rewritten (to charge their steps): compare them
 * with Lua's own on a set of cases, results and errors alike. */
static const char *const S_pattern_cases[][3] = {
    {"hello world", "o w", ""}, {"hello world", "(o)(r)", ""}, {"hello", "l+", ""},
    {"hello", "l*", ""}, {"hello", "l-o", ""}, {"hello", "^h(.-)o$", ""}, {"hello", "^e", ""},
    {"  trim  ", "^%s*(.-)%s*$", ""}, {"key = value", "(%w+)%s*=%s*(%w+)", ""},
    {"a,b,,c", "([^,]*)", ""}, {"THE (quick) fox", "%((%a+)%)", ""}, {"f(a(b)c)d", "%b()", ""},
    {"THE quick", "%f[%a]%a+", ""}, {"abcabc", "(abc)%1", ""}, {"x = 1.5e3", "[%d%.eE]+", ""},
    {"2024-01-31", "(%d+)-(%d+)-(%d+)", ""}, {"abc", "()b()", ""}, {"abc", "", ""},
    {"a.b", ".", ""}, {"a.b", "%.", ""}, {"a]b", "[]]", ""}, {"a^b", "[%^]", ""}, {"a-b", "[a-]", ""},
    {"hello", "[^aeiou]+", ""}, {"x$y", "$y", ""}, {"xy", "y$", ""}, {"caf\xc3\xa9", "[\x80-\xff]+", ""},
    {"abc", "%", ""}, {"abc", "[a", ""}, {"abc", "(a", ""}, {"abc", "a)", ""}, {"abc", "%1", ""},
    {"abc", "%b", ""}, {"abc", "%f", ""}, {"abc", "%g+", ""}, {"a\0b", "%z", ""}, {"a\tb c", "%s", ""},
    {"hello world from lua", "%w+", "<%0>"}, {"hello", "l", "%%"}, {"hello", "(l)(l)", "%2%1"},
    {"hello", "", "-"}, {"abc", "%w", "%9"}, {"abc", "b", "%"}, {"abc", "()", "%1"},
    {"one two", "(%w+)", "[%1]"}, {"^^", "^^", "x"}, {"aaa", "a*", "-"}, {"abc", "x*", "-"},
};

static const char *S_pattern_script =
    "local s, p, r = ...\n"
    "local out = {}\n"
    "local function add(ok, ...)\n"
    "  if not ok then out[#out + 1] = 'E:' .. tostring((...)):gsub('^[^:]*:%d+: ', '') return end\n"
    "  local n = select('#', ...) out[#out + 1] = n\n"
    "  for i = 1, n do out[#out + 1] = type((select(i, ...))) .. '=' .. tostring((select(i, ...))) end\n"
    "end\n"
    "add(pcall(string.find, s, p)) add(pcall(string.find, s, p, 2)) add(pcall(string.find, s, p, -2))\n"
    "add(pcall(string.find, s, p, 1, true)) add(pcall(string.match, s, p)) add(pcall(string.match, s, p, 3))\n"
    "add(pcall(function() local t = {} for a, b in string.gmatch(s, p) do t[#t + 1] = tostring(a) .. '/' .. tostring(b) end return table.concat(t, '|') end))\n"
    "if r ~= '' then add(pcall(string.gsub, s, p, r)) add(pcall(string.gsub, s, p, r, 1)) end\n"
    "add(pcall(string.gsub, s, p, function(x) return '<' .. tostring(x) .. '>' end))\n"
    "add(pcall(string.gsub, s, p, {a = 'A', l = false, h = 'H'}))\n"
    "return table.concat(out, ' ')";

static char *S_pattern_run(lua_State *L, int sandboxed, sandbox *sb, const char *s, size_t ls,
                           const char *p, const char *r) {
    const char *err;
    char *res;
    if (sandboxed) sandbox_push_env(sb);
    int st = luaL_loadbufferx(L, S_pattern_script, strlen(S_pattern_script), "=cmp", "t");
    if (st != LUA_OK) return strdup("load failed");
    if (sandboxed) {
        lua_pushvalue(L, -2);
        lua_setupvalue(L, -2, 1);
        lua_remove(L, -2);
    }
    lua_pushlstring(L, s, ls);
    lua_pushstring(L, p);
    lua_pushstring(L, r);
    if (sandboxed) st = sandbox_call(sb, 3, 1, &err) == 0 ? LUA_OK : LUA_ERRRUN;
    else st = lua_pcall(L, 3, 1, 0);
    if (st != LUA_OK) {
        res = strdup(sandboxed ? err : lua_tostring(L, -1));
        if (!sandboxed) lua_pop(L, 1);
        return res;
    }
    res = strdup(lua_tostring(L, -1));
    lua_pop(L, 1);
    return res;
}

TEST(sandbox_patterns_match_lua) {
    sandbox *sb = sandbox_new(NULL);
    lua_State *S = sandbox_lua(sb), *P = luaL_newstate();
    luaL_openlibs(P);
    for (size_t i = 0; i < sizeof S_pattern_cases / sizeof S_pattern_cases[0]; i++) {
        const char *s = S_pattern_cases[i][0], *p = S_pattern_cases[i][1], *r = S_pattern_cases[i][2];
        size_t ls = strcmp(p, "%z") == 0 ? 3 : strlen(s);
        char *want = S_pattern_run(P, 0, NULL, s, ls, p, r);
        char *got = S_pattern_run(S, 1, sb, s, ls, p, r);
        if (strcmp(want, got) != 0)
            fprintf(stderr, "  pattern \"%s\" on \"%s\" (repl \"%s\")\n", p, s, r);
        CHECK_STR(got, want);
        free(want);
        free(got);
    }
    lua_close(P);
    sandbox_free(sb);
}

/* load() is charged a unit per byte it compiles, given as a string or by a
 * reader function; limits and errors in loaded code name the line of the
 * file that loaded it; a loaded chunk cannot pose as a file. */
TEST(sandbox_load_is_charged_and_named) {
    sandbox_limits lim = {.instructions = 1000000};
    sandbox *sb = sandbox_new(&lim);
    CHECK_STR(S_run(sb, "local s = string.rep('a=1 ', 300000)\nlocal f = load(s)\nreturn type(f)"),
              "error: test.lua:2: instruction budget exceeded (site.yaml limits.lua_instructions: 1000000)");
    CHECK_STR(S_run(sb, "local s, n = string.rep('a=1 ', 60000), 0\n"
                        "local f = load(function() n = n + 1 if n <= 5 then return s end end)\nreturn type(f)"),
              "error: test.lua:3: instruction budget exceeded (site.yaml limits.lua_instructions: 1000000)");
    CHECK_STR(S_run(sb, "local f = load('a=1')\nreturn type(f)"), "ok: function");
    CHECK_STR(S_run(sb, "local f = load('\\n\\nwhile true do end')\n\nf()"),
              "error: test.lua:3: instruction budget exceeded (site.yaml limits.lua_instructions: 1000000)");
    CHECK_STR(S_run(sb, "local f = load('\\n\\nerror(\"boom\")')\nf()"),
              "error: test.lua:2: [string \"...\"]:3: boom");
    CHECK_STR(S_run(sb, "local f = load('\\nerror(\"x\")', '@content/other.lua')\nf()"),
              "error: test.lua:2: [string \"content/other.lua\"]:2: x");
    sandbox_free(sb);
}
