/* template.c — theme templates compiled to Lua chunks (one per template,
 * line for line) and rendered in the sandbox, HTML-escaping by default. */
#include "template.h"

#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"

#define S_MAX_INCLUDE_DEPTH 50
#define S_DEFAULT_OUTPUT ((size_t)256 << 20)
#define S_NLIBTABLES 4

static const char *const S_libtables[S_NLIBTABLES] = {"string", "table", "math", "utf8"};

/* ------------------------------------------------------------------------
 * The engine
 *
 * Each compiled template is a Lua function whose _ENV is a userdata proxy
 * (no fields of its own, so nothing can be stored in it between renders).
 * Reading a global looks in the data table of the render in progress (held
 * in one registry slot, swapped per render and per include), then in the
 * engine's shared globals (tpl_set_global), then in the template's own copy
 * of the safe library with the helpers. Assigning a global writes into the
 * data table, which belongs to that render. Output goes straight from C
 * functions (_o text, _e escaped, _r raw, passed to the chunk as its
 * arguments) into the caller's strbuf: a render makes no Lua garbage of its
 * own beyond what the template's expressions make.
 * ------------------------------------------------------------------------ */

struct tpl_engine {
    sandbox *sb;
    lua_State *L;
    int ref_tpls;    /* name -> compiled function */
    int ref_globals; /* tpl_set_global's table */
    int ref_dms;     /* every template's data metatable (S_push_tenv), for tpl_set_global */
    int ref_fresh;   /* compiled function -> {its _ENV proxy, its library tables}: S_fresh */
    int ref_data;    /* registry slot: the data table of the render in progress */
    int ref_rawmt;   /* the metatable that marks raw() values */
    int ref_out[3];  /* _o, _e, _r */
    strbuf *out;     /* the render in progress writes here */
    size_t out_base, out_limit;
    int depth;       /* include nesting */
    strbuf scratch;
    const char *context; /* tpl_set_context */
};

static tpl_engine *S_engine(lua_State *L) { return lua_touserdata(L, lua_upvalueindex(1)); }

static strbuf *S_out(lua_State *L, tpl_engine *e) {
    if (!e->out) luaL_error(L, "template output outside a render");
    return e->out;
}

static void S_room(lua_State *L, tpl_engine *e, size_t n) {
    size_t used = e->out->len - e->out_base;
    if (n > e->out_limit || used > e->out_limit - n)
        luaL_error(L, "memory limit exceeded (page output over %d MiB)", (int)(e->out_limit >> 20));
}

/* Whether the value at idx is a raw() value (upvalue 2 is the marker). */
static int S_is_raw(lua_State *L, int idx) {
    if (!lua_getmetatable(L, idx)) return 0;
    int r = lua_rawequal(L, -1, lua_upvalueindex(2));
    lua_pop(L, 1);
    return r;
}

static void S_put_number(strbuf *out, lua_State *L, int idx) {
    char buf[64];
    int n;
    if (lua_isinteger(L, idx)) {
        n = snprintf(buf, sizeof buf, "%lld", (long long)lua_tointeger(L, idx));
    } else {
        double v = (double)lua_tonumber(L, idx);
        if (isnan(v)) n = snprintf(buf, sizeof buf, "nan");
        else if (isinf(v)) n = snprintf(buf, sizeof buf, v < 0 ? "-inf" : "inf");
        else if (v == floor(v) && fabs(v) < 1e15) n = snprintf(buf, sizeof buf, "%.0f", v == 0 ? 0.0 : v);
        else n = snprintf(buf, sizeof buf, "%.14g", v);
    }
    sb_append(out, buf, (size_t)n);
}

/* Appends the value at idx as text, escaped or not: strings and numbers
 * (integral numbers without ".0"), booleans, nil as nothing, raw() values
 * as they are. Anything else is an error that names the template line. */
static void S_put_value(lua_State *L, tpl_engine *e, int idx, strbuf *out, int escape) {
    size_t n;
    const char *s;
    switch (lua_type(L, idx)) {
    case LUA_TNONE:
    case LUA_TNIL: return;
    case LUA_TSTRING:
        s = lua_tolstring(L, idx, &n);
        if (out == e->out) S_room(L, e, escape ? n * 6 : n);
        if (escape) html_escape(out, s, n);
        else sb_append(out, s, n);
        return;
    case LUA_TNUMBER: S_put_number(out, L, idx); return;
    case LUA_TBOOLEAN: sb_puts(out, lua_toboolean(L, idx) ? "true" : "false"); return;
    case LUA_TTABLE:
        if (S_is_raw(L, idx)) {
            lua_rawgeti(L, idx, 1);
            s = lua_tolstring(L, -1, &n);
            if (!s) luaL_error(L, "a raw() value was altered");
            if (out == e->out) S_room(L, e, n);
            sb_append(out, s, n);
            lua_pop(L, 1);
            return;
        }
        luaL_error(L, "cannot output a table (output one of its fields, or mark HTML with raw())");
        return;
    default: luaL_error(L, "cannot output a %s value", luaL_typename(L, idx));
    }
}

/* Wraps the string on top of the stack into a raw() value. */
static void S_wrap_raw(lua_State *L, int mt) {
    lua_createtable(L, 1, 0);
    lua_insert(L, -2);
    lua_rawseti(L, -2, 1);
    lua_pushvalue(L, mt);
    lua_setmetatable(L, -2);
}

/* ------------------------------------------------------------------------
 * Functions the templates see
 * ------------------------------------------------------------------------ */

static int S_fn_o(lua_State *L) {
    tpl_engine *e = S_engine(L);
    strbuf *out = S_out(L, e);
    size_t n;
    const char *s = lua_tolstring(L, 1, &n);
    if (!s) return 0;
    S_room(L, e, n);
    sb_append(out, s, n);
    return 0;
}

static int S_fn_e(lua_State *L) {
    tpl_engine *e = S_engine(L);
    S_put_value(L, e, 1, S_out(L, e), 1);
    return 0;
}

static int S_fn_r(lua_State *L) {
    tpl_engine *e = S_engine(L);
    S_put_value(L, e, 1, S_out(L, e), 0);
    return 0;
}

/* Pushes the string s (n bytes) HTML-escaped. The result is built in a
 * buffer the Lua state allocates, so that it counts toward the memory cap
 * (a C buffer would not: escape() of a 100 MB string held 600 MB outside
 * it). The string at idx is reused when nothing needs escaping. */
static void S_push_escaped(lua_State *L, int idx, const char *s, size_t n) {
    size_t m = n;
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '&': m += 4; break;
        case '<':
        case '>': m += 3; break;
        case '"':
        case '\'': m += 5; break;
        default: break;
        }
    }
    if (m == n) {
        lua_pushvalue(L, idx);
        return;
    }
    luaL_Buffer b;
    char *p = luaL_buffinitsize(L, &b, m);
    for (size_t i = 0; i < n; i++) {
        const char *ent;
        switch (s[i]) {
        case '&': ent = "&amp;"; break;
        case '<': ent = "&lt;"; break;
        case '>': ent = "&gt;"; break;
        case '"': ent = "&quot;"; break;
        case '\'': ent = "&#39;"; break;
        default: *p++ = s[i]; continue;
        }
        size_t k = strlen(ent);
        memcpy(p, ent, k);
        p += k;
    }
    luaL_pushresultsize(&b, m);
}

/* Pushes the value at idx as text, as {{ }} (escape) or {{{ }}} would
 * output it; strings are made by Lua (within the memory cap). */
static void S_push_text(lua_State *L, tpl_engine *e, int idx, int escape) {
    idx = lua_absindex(L, idx);
    size_t n;
    const char *s;
    switch (lua_type(L, idx)) {
    case LUA_TSTRING:
        s = lua_tolstring(L, idx, &n);
        if (escape) S_push_escaped(L, idx, s, n);
        else lua_pushvalue(L, idx);
        return;
    case LUA_TTABLE:
        if (S_is_raw(L, idx)) {
            if (lua_rawgeti(L, idx, 1) != LUA_TSTRING) luaL_error(L, "a raw() value was altered");
            return;
        }
        break;
    default: break;
    }
    /* nil, numbers, booleans (short); anything else is an error */
    sb_clear(&e->scratch);
    S_put_value(L, e, idx, &e->scratch, escape);
    if (e->scratch.oom) luaL_error(L, "not enough memory");
    lua_pushlstring(L, sb_str(&e->scratch), e->scratch.len);
}

static int S_fn_escape(lua_State *L) {
    S_push_text(L, S_engine(L), 1, 1);
    return 1;
}

static int S_fn_raw(lua_State *L) {
    tpl_engine *e = S_engine(L);
    if (S_is_raw(L, 1)) {
        lua_settop(L, 1);
        return 1;
    }
    S_push_text(L, e, 1, 0);
    S_wrap_raw(L, lua_upvalueindex(2));
    return 1;
}

/* raw .. x and x .. raw: a raw value; the plain side is escaped (so data
 * joined to HTML stays text). */
static int S_raw_concat(lua_State *L) {
    tpl_engine *e = S_engine(L);
    lua_settop(L, 2);
    S_push_text(L, e, 1, 1);
    S_push_text(L, e, 2, 1);
    lua_concat(L, 2);
    S_wrap_raw(L, lua_upvalueindex(2));
    return 1;
}

static int S_raw_tostring(lua_State *L) {
    lua_rawgeti(L, 1, 1);
    return 1;
}

static int S_raw_eq(lua_State *L) {
    lua_rawgeti(L, 1, 1);
    lua_rawgeti(L, 2, 1);
    lua_pushboolean(L, lua_rawequal(L, -1, -2));
    return 1;
}

static void S_push_outfns(lua_State *L, tpl_engine *e) {
    for (int i = 0; i < 3; i++) lua_rawgeti(L, LUA_REGISTRYINDEX, e->ref_out[i]);
}

/* ------------------------------------------------------------------------
 * Name lookups without C calls
 *
 * A template's _ENV proxy has a metatable of its own (PM). Outside a render
 * of that template, PM's __index and __newindex are the C functions below,
 * which look the name up in the data in progress (ref_data), the globals and
 * the library. While a template renders a data table that has no metatable
 * (the usual case: planpress's page data, or the table given to include),
 * PM.__index and PM.__newindex are that table itself, and the table gets the
 * template's data metatable (DM) for the time of the render: DM.__index is
 * the template's lookup table (its library overlaid with the globals), so
 * the VM finds every name without calling C. Both are put back afterwards.
 * A data table with a metatable of its own keeps the C functions.
 * ------------------------------------------------------------------------ */

static const char S_key_dm = 0, S_key_lib = 0, S_key_ours = 0;

/* Before calling the template function at fi with the data table at di.
 * Returns 0 (nothing pushed: the C lookups apply), or the stack index of
 * four values that S_env_leave restores: D's metatable before, PM, and
 * PM's __index and __newindex before. */
static int S_env_enter(lua_State *L, int fi, int di) {
    fi = lua_absindex(L, fi);
    di = lua_absindex(L, di);
    if (!lua_istable(L, di)) return 0;
    if (lua_getmetatable(L, di)) {
        int ours = lua_rawgetp(L, -1, &S_key_ours) == LUA_TBOOLEAN;
        lua_pop(L, 1);
        if (!ours) {
            lua_pop(L, 1);
            return 0;
        }
    } else {
        lua_pushnil(L);
    }
    int base = lua_gettop(L);
    if (!lua_getupvalue(L, fi, 1) || !lua_getmetatable(L, -1)) { /* P, PM */
        lua_settop(L, base - 1);
        return 0;
    }
    lua_remove(L, -2);
    if (lua_rawgetp(L, base + 1, &S_key_dm) != LUA_TTABLE) {
        lua_settop(L, base - 1);
        return 0;
    }
    lua_setmetatable(L, di);
    lua_pushliteral(L, "__index");
    lua_rawget(L, base + 1);
    lua_pushliteral(L, "__newindex");
    lua_rawget(L, base + 1);
    lua_pushliteral(L, "__index");
    lua_pushvalue(L, di);
    lua_rawset(L, base + 1);
    lua_pushliteral(L, "__newindex");
    lua_pushvalue(L, di);
    lua_rawset(L, base + 1);
    return base;
}

/* Puts back what S_env_enter changed (the four values stay on the stack). */
static void S_env_leave(lua_State *L, int base, int di) {
    if (!base) return;
    lua_pushliteral(L, "__index");
    lua_pushvalue(L, base + 2);
    lua_rawset(L, base + 1);
    lua_pushliteral(L, "__newindex");
    lua_pushvalue(L, base + 3);
    lua_rawset(L, base + 1);
    lua_pushvalue(L, base);
    lua_setmetatable(L, di);
}

/* Before each render of the template function at fi: nothing a previous
 * render did survives in it. Its _ENV is its proxy again (a template may
 * assign _ENV, which is an upvalue of its function), and the library tables
 * it sees hold none of the fields a previous render set. */
static void S_fresh(lua_State *L, tpl_engine *e, int fi) {
    fi = lua_absindex(L, fi);
    lua_rawgeti(L, LUA_REGISTRYINDEX, e->ref_fresh);
    lua_pushvalue(L, fi);
    if (lua_rawget(L, -2) != LUA_TTABLE) {
        lua_pop(L, 2);
        return;
    }
    lua_rawgeti(L, -1, 1);
    if (!lua_setupvalue(L, fi, 1)) lua_pop(L, 1);
    for (int i = 0; i < S_NLIBTABLES; i++) {
        lua_rawgeti(L, -1, i + 2);
        lua_pushnil(L);
        while (lua_next(L, -2)) { /* setting a present field to nil is allowed mid-traversal */
            lua_pop(L, 1);
            lua_pushvalue(L, -1);
            lua_pushnil(L);
            lua_rawset(L, -4);
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 2);
}

/* include(name [, tbl]): renders template `name` with the current data (or
 * tbl) and returns its output as a raw value. */
static int S_fn_include(lua_State *L) {
    tpl_engine *e = S_engine(L);
    const char *name = luaL_checkstring(L, 1);
    int has_tbl = !lua_isnoneornil(L, 2);
    if (has_tbl) luaL_checktype(L, 2, LUA_TTABLE);
    strbuf *out = S_out(L, e);
    if (e->depth >= S_MAX_INCLUDE_DEPTH)
        return luaL_error(L, "include depth limit (%d) exceeded: does \"%s\" include itself?",
                          S_MAX_INCLUDE_DEPTH, name);
    lua_settop(L, 2);
    lua_rawgeti(L, LUA_REGISTRYINDEX, e->ref_tpls);
    if (lua_getfield(L, 3, name) != LUA_TFUNCTION) /* 4 */
        return luaL_error(L, "no template named \"%s\"", name);
    lua_rawgeti(L, LUA_REGISTRYINDEX, e->ref_data); /* 5: the caller's data */
    if (has_tbl) {
        lua_pushvalue(L, 2);
        lua_rawseti(L, LUA_REGISTRYINDEX, e->ref_data);
    }
    int di = has_tbl ? 2 : 5;
    S_fresh(L, e, 4);
    int saved = S_env_enter(L, 4, di); /* 6-9, or nothing */
    size_t start = out->len;
    lua_pushcfunction(L, sandbox_msgh);
    int msgh = lua_gettop(L);
    lua_pushvalue(L, 4);
    S_push_outfns(L, e);
    e->depth++;
    int status = lua_pcall(L, 3, 0, msgh);
    e->depth--;
    S_env_leave(L, saved, di);
    lua_pushvalue(L, 5);
    lua_rawseti(L, LUA_REGISTRYINDEX, e->ref_data);
    if (status != LUA_OK) {
        lua_Debug ar;
        out->len = start;
        if (out->ptr) out->ptr[start] = '\0';
        if (lua_type(L, -1) == LUA_TSTRING && lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar) &&
            ar.currentline > 0)
            lua_pushfstring(L, "%s\n  included from %s:%d", lua_tostring(L, -1),
                            ar.source[0] == '@' ? ar.source + 1 : ar.short_src, ar.currentline);
        return lua_error(L);
    }
    lua_pushlstring(L, out->ptr ? out->ptr + start : "", out->len - start);
    out->len = start;
    if (out->ptr) out->ptr[start] = '\0';
    S_wrap_raw(L, lua_upvalueindex(2));
    return 1;
}

/* __index of a template's _ENV: the data, the shared globals, the library. */
static int S_env_index(lua_State *L) {
    tpl_engine *e = S_engine(L);
    if (lua_rawgeti(L, LUA_REGISTRYINDEX, e->ref_data) == LUA_TTABLE) {
        lua_pushvalue(L, 2);
        if (lua_gettable(L, -2) != LUA_TNIL) return 1;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(2)) != LUA_TNIL) return 1;
    lua_pop(L, 1);
    lua_pushvalue(L, 2);
    lua_gettable(L, lua_upvalueindex(3));
    return 1;
}

/* __newindex: a global assigned by a template lives in this render's data. */
static int S_env_newindex(lua_State *L) {
    tpl_engine *e = S_engine(L);
    if (lua_rawgeti(L, LUA_REGISTRYINDEX, e->ref_data) != LUA_TTABLE)
        return luaL_error(L, "cannot assign a global outside a render");
    lua_pushvalue(L, 2);
    lua_pushvalue(L, 3);
    lua_settable(L, -3);
    return 0;
}

/* Pushes a new _ENV proxy for one template, and below it the table of what
 * S_fresh restores before each render of it. */
static void S_push_tenv(tpl_engine *e) {
    lua_State *L = e->L;
    lua_newuserdatauv(L, 0, 0);
    int env = lua_gettop(L);
    lua_createtable(L, 0, 3);
    int mt = env + 1;
    sandbox_push_env(e->sb); /* the template's own copy of the library */
    int lib = env + 2;
    static const struct {
        const char *name;
        lua_CFunction fn;
    } helpers[] = {{"include", S_fn_include}, {"escape", S_fn_escape}, {"raw", S_fn_raw}};
    for (size_t i = 0; i < sizeof helpers / sizeof helpers[0]; i++) {
        lua_pushlightuserdata(L, e);
        lua_rawgeti(L, LUA_REGISTRYINDEX, e->ref_rawmt);
        lua_pushcclosure(L, helpers[i].fn, 2);
        lua_setfield(L, lib, helpers[i].name);
    }
    lua_pushvalue(L, env);
    lua_setfield(L, lib, "_G");
    /* The library tables a template sees are empty tables over its copies:
     * what a template sets in them (string.x = 1) lands in the empty table,
     * which S_fresh empties before each render. */
    lua_createtable(L, S_NLIBTABLES + 1, 0); /* F: {env, the library tables} */
    lua_pushvalue(L, env);
    lua_rawseti(L, -2, 1);
    for (int i = 0; i < S_NLIBTABLES; i++) {
        lua_newtable(L);
        lua_createtable(L, 0, 2);
        lua_getfield(L, lib, S_libtables[i]);
        lua_setfield(L, -2, "__index");
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "__metatable");
        lua_setmetatable(L, -2);
        lua_pushvalue(L, -1);
        lua_setfield(L, lib, S_libtables[i]);
        lua_rawseti(L, -2, i + 2);
    }
    lua_insert(L, env); /* below the proxy: tpl_compile keeps it */
    env++, mt++, lib++;
    lua_pushlightuserdata(L, e);
    lua_rawgeti(L, LUA_REGISTRYINDEX, e->ref_globals);
    lua_pushvalue(L, lib);
    lua_pushcclosure(L, S_env_index, 3);
    lua_setfield(L, mt, "__index");
    lua_pushlightuserdata(L, e);
    lua_pushcclosure(L, S_env_newindex, 1);
    lua_setfield(L, mt, "__newindex");
    lua_pushboolean(L, 0);
    lua_setfield(L, mt, "__metatable");
    /* DM, the data metatable: DM.__index is the lookup table M, a copy of
     * the library's own fields overlaid with the globals, falling back on
     * the safe functions the library's metatable holds. */
    lua_createtable(L, 0, 3);
    int dm = lua_gettop(L);
    lua_newtable(L);
    int m = dm + 1;
    lua_pushnil(L);
    while (lua_next(L, lib)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, m);
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, e->ref_globals);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, m);
    }
    lua_pop(L, 1);
    if (lua_getmetatable(L, lib)) lua_setmetatable(L, m);
    lua_setfield(L, dm, "__index");
    lua_pushvalue(L, lib);
    lua_rawsetp(L, dm, &S_key_lib);
    lua_pushboolean(L, 1);
    lua_rawsetp(L, dm, &S_key_ours);
    lua_pushboolean(L, 0);
    lua_setfield(L, dm, "__metatable");
    lua_rawgeti(L, LUA_REGISTRYINDEX, e->ref_dms);
    lua_pushvalue(L, dm);
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    lua_pop(L, 1);
    lua_rawsetp(L, mt, &S_key_dm); /* pops dm */
    lua_pop(L, 1); /* lib */
    lua_setmetatable(L, env);
}

static int S_engine_setup(lua_State *L) {
    tpl_engine *e = lua_touserdata(L, 1);
    lua_newtable(L);
    e->ref_tpls = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_newtable(L);
    e->ref_globals = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_newtable(L);
    e->ref_dms = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_newtable(L);
    e->ref_fresh = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushboolean(L, 0);
    e->ref_data = luaL_ref(L, LUA_REGISTRYINDEX);

    lua_createtable(L, 0, 4);
    int mt = lua_gettop(L);
    lua_pushcfunction(L, S_raw_tostring);
    lua_setfield(L, mt, "__tostring");
    lua_pushcfunction(L, S_raw_eq);
    lua_setfield(L, mt, "__eq");
    lua_pushlightuserdata(L, e);
    lua_pushvalue(L, mt);
    lua_pushcclosure(L, S_raw_concat, 2);
    lua_setfield(L, mt, "__concat");
    lua_pushboolean(L, 0);
    lua_setfield(L, mt, "__metatable");
    lua_pushvalue(L, mt);
    e->ref_rawmt = luaL_ref(L, LUA_REGISTRYINDEX);

    static const lua_CFunction outfns[3] = {S_fn_o, S_fn_e, S_fn_r};
    for (int i = 0; i < 3; i++) {
        lua_pushlightuserdata(L, e);
        lua_pushvalue(L, mt);
        lua_pushcclosure(L, outfns[i], 2);
        e->ref_out[i] = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    return 0;
}

tpl_engine *tpl_engine_new(const sandbox_limits *limits) {
    tpl_engine *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->sb = sandbox_new(limits);
    if (!e->sb) goto fail;
    e->L = sandbox_lua(e->sb);
    e->out_limit = limits && limits->memory_bytes ? limits->memory_bytes : S_DEFAULT_OUTPUT;
    lua_pushcfunction(e->L, S_engine_setup);
    lua_pushlightuserdata(e->L, e);
    if (lua_pcall(e->L, 1, 0, 0) != LUA_OK) goto fail;
    /* Generational collection: a page makes many short-lived tables and
     * strings beside a large, long-lived set of shared globals (every plan's
     * summary), which the incremental collector would mark over and over. */
    lua_gc(e->L, LUA_GCGEN, 0, 0);
    return e;
fail:
    tpl_engine_free(e);
    return NULL;
}

void tpl_engine_free(tpl_engine *e) {
    if (!e) return;
    sandbox_free(e->sb);
    sb_free(&e->scratch);
    free(e);
}

lua_State *tpl_engine_lua(tpl_engine *e) { return e->L; }

size_t tpl_engine_outside_bytes(const tpl_engine *e) { return e->scratch.cap; }

/* ------------------------------------------------------------------------
 * Translation of the template syntax into Lua, line for line
 * ------------------------------------------------------------------------ */

enum { T_EXPR, T_RAW, T_STMT, T_COMMENT };
static const char *const S_open_text[] = {"{{", "{{{", "{%", "{#"};
static const char *const S_close_text[] = {"}}", "}}}", "%}", "#}"};

static const char *S_find_open(const char *p, const char *end) {
    while (p < end && (p = memchr(p, '{', (size_t)(end - p))) != NULL) {
        if (p + 1 < end && (p[1] == '{' || p[1] == '%' || p[1] == '#')) return p;
        p++;
    }
    return end;
}

/* At '[': the level of a Lua long bracket "[==[" (number of '='), or -1. */
static int S_long_level(const char *p, const char *end) {
    int level = 0;
    for (p++; p < end && *p == '='; p++) level++;
    return p < end && *p == '[' ? level : -1;
}

static const char *S_skip_long(const char *p, const char *end, int level) {
    for (p += level + 2; p < end; p++) {
        if (*p != ']') continue;
        const char *q = p + 1;
        int n = 0;
        while (q < end && *q == '=') q++, n++;
        if (n == level && q < end && *q == ']') return q + 1;
    }
    return end;
}

/* At a quote: past the end of the short string (or at the newline that
 * leaves it unfinished). */
static const char *S_skip_string(const char *p, const char *end) {
    char q = *p++;
    while (p < end) {
        if (*p == '\\') p += 2;
        else if (*p == q) return p + 1;
        else if (*p == '\n') return p;
        else p++;
    }
    return end;
}

static int S_at(const char *p, const char *end, const char *s) {
    size_t n = strlen(s);
    return (size_t)(end - p) >= n && memcmp(p, s, n) == 0;
}

/* The start of the tag's closing delimiter, skipping Lua strings, comments
 * and (in {{ }}) balanced braces; NULL when the tag is not closed. */
static const char *S_find_close(int kind, const char *p, const char *end) {
    const char *closer = S_close_text[kind];
    int depth = 0, level;
    if (kind == T_COMMENT) {
        const char *q = memmem(p, (size_t)(end - p), closer, 2);
        return q;
    }
    while (p < end) {
        if (depth == 0 && S_at(p, end, closer)) return p;
        char c = *p;
        if (c == '"' || c == '\'') {
            p = S_skip_string(p, end);
        } else if (c == '[' && (level = S_long_level(p, end)) >= 0) {
            p = S_skip_long(p, end, level);
        } else if (c == '-' && p + 1 < end && p[1] == '-') {
            p += 2;
            if (p < end && *p == '[' && (level = S_long_level(p, end)) >= 0) p = S_skip_long(p, end, level);
            else /* a line comment ends at the newline or at the closing delimiter */
                while (p < end && *p != '\n' && !S_at(p, end, closer)) p++;
        } else if (kind != T_STMT && c == '{') {
            depth++;
            p++;
        } else if (kind != T_STMT && c == '}') {
            if (depth > 0) depth--;
            p++;
        } else {
            p++;
        }
    }
    return NULL;
}

/* Copies Lua code, blanking comments (keeping their newlines), so that a
 * comment cannot swallow the generated code that follows on its line. */
static void S_put_code(strbuf *code, const char *p, const char *end) {
    int level;
    while (p < end) {
        const char *q;
        char c = *p;
        if (c == '"' || c == '\'') {
            q = S_skip_string(p, end);
        } else if (c == '[' && (level = S_long_level(p, end)) >= 0) {
            q = S_skip_long(p, end, level);
        } else if (c == '-' && p + 1 < end && p[1] == '-') {
            q = p + 2;
            if (q < end && *q == '[' && (level = S_long_level(q, end)) >= 0) q = S_skip_long(q, end, level);
            else
                while (q < end && *q != '\n') q++;
            for (; p < q; p++) sb_putc(code, *p == '\n' ? '\n' : ' ');
            continue;
        } else {
            q = p + 1;
        }
        sb_append(code, p, (size_t)(q - p));
        p = q;
    }
}

static void S_put_newlines(strbuf *code, const char *p, const char *end) {
    while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        sb_putc(code, '\n');
        p++;
    }
}

/* A Lua string literal without newlines in it. */
static void S_put_literal(strbuf *code, const char *s, size_t n) {
    sb_putc(code, '"');
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        if (c == '"' || c == '\\') snprintf(esc, sizeof esc, "\\%c", c);
        else if (c == '\n') snprintf(esc, sizeof esc, "\\n");
        else if (c < 0x20 || c == 0x7f) snprintf(esc, sizeof esc, "\\%03u", c);
        else continue;
        sb_append(code, s + start, i - start);
        sb_puts(code, esc);
        start = i + 1;
    }
    sb_append(code, s + start, n - start);
    sb_putc(code, '"');
}

static int S_hspace(char c) { return c == ' ' || c == '\t'; }

/* After "-}}": spaces, one newline, the next line's indentation. */
static const char *S_trim_start(const char *p, const char *end) {
    while (p < end && S_hspace(*p)) p++;
    if (p + 1 < end && p[0] == '\r' && p[1] == '\n') p += 2;
    else if (p < end && *p == '\n') p++;
    while (p < end && S_hspace(*p)) p++;
    return p;
}

/* Before "{{-": the same, backwards. */
static const char *S_trim_end(const char *start, const char *p) {
    while (p > start && S_hspace(p[-1])) p--;
    if (p > start && p[-1] == '\n') {
        p--;
        if (p > start && p[-1] == '\r') p--;
    }
    while (p > start && S_hspace(p[-1])) p--;
    return p;
}

/* Reports `what` at the line and column (in characters) of `at`. */
static void S_error_at(diag *d, const char *path, const char *src, const char *at, const char *what) {
    int line = 1, col = 1;
    for (const char *p = src; p < at; p++) {
        if (*p == '\n') line++, col = 1;
        else if (((unsigned char)*p & 0xC0) != 0x80) col++;
    }
    diag_error(d, path, line, col, "%s", what);
}

static int S_translate(strbuf *code, const char *src, size_t len, const char *path, diag *d) {
    static const char *const emit_open[] = {"_e(", "_r(", " ", ""};
    /* our calls end with ';' so that a statement may start with '('; a
     * statement is followed by a space only, as a ';' there would be what
     * Lua's syntax errors point at */
    static const char *const emit_close[] = {");", ");", " ", ""};
    const char *p = src, *end = src + len;
    int trim_next = 0;
    sb_puts(code, "local _o,_e,_r=...;");
    for (;;) {
        const char *tag = S_find_open(p, end);
        int kind = T_EXPR, trim_left = 0;
        if (tag < end) {
            kind = tag[1] == '%' ? T_STMT : tag[1] == '#' ? T_COMMENT
                 : tag + 2 < end && tag[2] == '{' ? T_RAW : T_EXPR;
            const char *after = tag + strlen(S_open_text[kind]);
            trim_left = after < end && *after == '-';
        }
        const char *ls = trim_next ? S_trim_start(p, tag) : p;
        const char *le = trim_left ? S_trim_end(ls, tag) : tag;
        if (le > ls) {
            sb_puts(code, "_o(");
            S_put_literal(code, ls, (size_t)(le - ls));
            sb_puts(code, ");");
        }
        S_put_newlines(code, p, tag);
        if (tag == end) break;

        const char *cs = tag + strlen(S_open_text[kind]) + trim_left;
        const char *close = S_find_close(kind, cs, end);
        if (!close) {
            char what[32];
            snprintf(what, sizeof what, "unclosed %s", S_open_text[kind]);
            S_error_at(d, path, src, tag, what);
            return -1;
        }
        const char *ce = close;
        trim_next = ce > cs && ce[-1] == '-';
        if (trim_next) ce--;
        sb_puts(code, emit_open[kind]);
        if (kind == T_COMMENT) S_put_newlines(code, cs, ce);
        else S_put_code(code, cs, ce);
        sb_puts(code, emit_close[kind]);
        p = close + strlen(S_close_text[kind]);
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Diagnostics from Lua messages "path:line: message"
 * ------------------------------------------------------------------------ */

/* Finds "path:LINE: " at the start of msg; returns the message after it. */
static const char *S_split_place(const char *msg, strbuf *path, int *line) {
    for (const char *p = msg; *p && *p != '\n'; p++) {
        if (*p != ':' || p == msg || p[1] < '0' || p[1] > '9') continue;
        const char *q = p + 1;
        long n = 0;
        while (*q >= '0' && *q <= '9') {
            if (n < 100000000) n = n * 10 + (*q - '0');
            q++;
        }
        if (*q != ':') continue;
        sb_append(path, msg, (size_t)(p - msg));
        *line = (int)n;
        q++;
        if (*q == ' ') q++;
        return q;
    }
    return NULL;
}

/* Reports msg at its own place, or else at fallback_path (dropping a
 * leading "fallback_path: ", which the sandbox adds when the line is unknown). */
static void S_report(diag *d, const char *fallback_path, const char *msg) {
    strbuf path = STRBUF_INIT;
    int line = 0;
    size_t n = strlen(fallback_path);
    const char *rest = S_split_place(msg, &path, &line);
    if (rest && !path.oom) diag_error(d, sb_str(&path), line, 0, "%s", rest);
    else if (strncmp(msg, fallback_path, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ')
        diag_error(d, fallback_path, 0, 0, "%s", msg + n + 2);
    else diag_error(d, fallback_path, 0, 0, "%s", msg);
    sb_free(&path);
}

/* The path a compiled template was given (for messages without a line). */
static void S_template_path(tpl_engine *e, const char *name, strbuf *out) {
    lua_State *L = e->L;
    lua_Debug ar;
    lua_rawgeti(L, LUA_REGISTRYINDEX, e->ref_tpls);
    if (lua_getfield(L, -1, name) == LUA_TFUNCTION && lua_getinfo(L, ">S", &ar) && ar.source[0] == '@') {
        sb_puts(out, ar.source + 1);
        lua_pop(L, 1);
        return;
    }
    lua_pop(L, 2);
    sb_puts(out, name);
}

/* Lua's syntax errors speak of the generated code's _o/_e/_r. */
static void S_humanize(strbuf *out, const char *msg) {
    static const char *const from[] = {"near '_o'", "near '_e'", "near '_r'"};
    static const char *const to[] = {"near template text", "near '{{'", "near '{{{'"};
    while (*msg) {
        size_t i;
        for (i = 0; i < 3; i++)
            if (strncmp(msg, from[i], strlen(from[i])) == 0) break;
        if (i < 3) {
            sb_puts(out, to[i]);
            msg += strlen(from[i]);
        } else {
            sb_putc(out, *msg++);
        }
    }
}

/* ------------------------------------------------------------------------
 * The API
 * ------------------------------------------------------------------------ */

int tpl_compile(tpl_engine *e, const char *name, const char *path,
                const char *src, size_t len, diag *d) {
    lua_State *L = e->L;
    strbuf code = STRBUF_INIT, chunk = STRBUF_INIT, msg = STRBUF_INIT;
    const char *err;
    int rc = -1;
    if (S_translate(&code, src, len, path, d) < 0) goto done;
    sb_putc(&chunk, '@');
    sb_puts(&chunk, path);
    if (code.oom || chunk.oom) {
        diag_error(d, path, 0, 0, "out of memory");
        goto done;
    }
    S_push_tenv(e);
    if (sandbox_load(e->sb, code.ptr, code.len, chunk.ptr, -1, &err) != 0) {
        lua_pop(L, 2);
        S_humanize(&msg, err);
        S_report(d, path, msg.oom ? err : sb_str(&msg));
        goto done;
    }
    lua_remove(L, -2); /* the env lives on as the chunk's upvalue */
    lua_rawgeti(L, LUA_REGISTRYINDEX, e->ref_fresh); /* F fn fresh */
    lua_pushvalue(L, -2);
    lua_pushvalue(L, -4);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    lua_remove(L, -2);
    lua_rawgeti(L, LUA_REGISTRYINDEX, e->ref_tpls);
    lua_insert(L, -2);
    lua_setfield(L, -2, name);
    lua_pop(L, 1);
    rc = 0;
done:
    sb_free(&code);
    sb_free(&chunk);
    sb_free(&msg);
    return rc;
}

int tpl_has(tpl_engine *e, const char *name) {
    lua_rawgeti(e->L, LUA_REGISTRYINDEX, e->ref_tpls);
    int r = lua_getfield(e->L, -1, name) == LUA_TFUNCTION;
    lua_pop(e->L, 2);
    return r;
}

void tpl_set_global(tpl_engine *e, const char *name) {
    lua_State *L = e->L;
    int v = lua_gettop(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, e->ref_globals);
    lua_pushvalue(L, v);
    lua_setfield(L, -2, name);
    lua_pop(L, 1);
    /* every template's lookup table: the global, or the library's field */
    lua_rawgeti(L, LUA_REGISTRYINDEX, e->ref_dms);
    lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, -1, i);                   /* DM */
        lua_getfield(L, -1, "__index");          /* M */
        if (lua_isnil(L, v)) {
            lua_rawgetp(L, -2, &S_key_lib);
            lua_getfield(L, -1, name);
            lua_remove(L, -2);
        } else {
            lua_pushvalue(L, v);
        }
        lua_setfield(L, -2, name);
        lua_pop(L, 2);
    }
    lua_settop(L, v - 1);
}

int tpl_render(tpl_engine *e, const char *name, strbuf *out, diag *d) {
    lua_State *L = e->L;
    const char *err;
    if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        lua_newtable(L);
    }
    int di = lua_gettop(L); /* the data, kept until the end */
    lua_pushvalue(L, di);
    lua_rawseti(L, LUA_REGISTRYINDEX, e->ref_data);
    lua_rawgeti(L, LUA_REGISTRYINDEX, e->ref_tpls);
    if (lua_getfield(L, -1, name) != LUA_TFUNCTION) {
        lua_settop(L, di - 1);
        lua_pushboolean(L, 0);
        lua_rawseti(L, LUA_REGISTRYINDEX, e->ref_data);
        diag_error(d, NULL, 0, 0, "no template named \"%s\"", name);
        return -1;
    }
    lua_remove(L, -2);
    int fi = lua_gettop(L);
    S_fresh(L, e, fi);
    int saved = S_env_enter(L, fi, di);
    lua_pushvalue(L, fi);
    S_push_outfns(L, e);
    e->out = out;
    e->out_base = out->len;
    e->depth = 0;
    int rc = sandbox_call(e->sb, 3, 0, &err);
    e->out = NULL;
    S_env_leave(L, saved, di);
    lua_settop(L, di - 1);
    lua_pushboolean(L, 0); /* let the data go */
    lua_rawseti(L, LUA_REGISTRYINDEX, e->ref_data);
    if (rc == 0 && out->oom) {
        diag_error(d, NULL, 0, 0, "out of memory rendering \"%s\"", name);
        return -1;
    }
    if (rc != 0) {
        strbuf path = STRBUF_INIT;
        out->len = e->out_base;
        if (out->ptr) out->ptr[out->len] = '\0';
        S_template_path(e, name, &path);
        strbuf full = STRBUF_INIT;
        if (e->context && sandbox_limit_hit(e->sb)) {
            sb_printf(&full, "%s, rendering %s", err, e->context);
            if (!full.oom) err = sb_str(&full);
        }
        S_report(d, path.oom ? name : sb_str(&path), err);
        sb_free(&full);
        sb_free(&path);
        return -1;
    }
    return 0;
}

void tpl_set_context(tpl_engine *e, const char *what) { e->context = what; }

int tpl_limit_hit(const tpl_engine *e) { return sandbox_limit_hit(e->sb); }
