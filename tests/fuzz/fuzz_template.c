/* fuzz_template.c — libFuzzer target: compiles arbitrary templates and
 * renders those that compile, with a small data table and low limits, so
 * that the translator, the sandbox and its library are all exercised. */
#include <lauxlib.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "diag.h"
#include "strbuf.h"
#include "template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char S_data[] =
    "return {title = '<T&\"\\'>', n = 3, f = 1.5, big = 2^53, flag = true, "
    "items = {'a', '<b>', 3, {name = 'x'}}, nested = {a = {b = 'c'}}, empty = {}, "
    "text = ('\\228\\184\\173 one two, three.'):rep(4)}";

static const char S_partial[] = "<p>{{ x }}{{ title }}</p>";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    sandbox_limits lim = {(size_t)16 << 20, 200000, 5};
    tpl_engine *e = tpl_engine_new(&lim);
    diag *d = diag_new(0);
    strbuf out = STRBUF_INIT;
    if (!e || !d) goto done;
    lua_State *L = tpl_engine_lua(e);
    if (tpl_compile(e, "p.html", "p.html", S_partial, strlen(S_partial), d) != 0) __builtin_trap();
    if (tpl_compile(e, "f.html", "fuzz/f.html", (const char *)data, size, d) != 0) goto done;
    if (luaL_loadstring(L, S_data) != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK) __builtin_trap();
    lua_newtable(L);
    lua_pushstring(L, "site");
    lua_setfield(L, -2, "title");
    tpl_set_global(e, "site");
    for (int i = 0; i < 2; i++) { /* twice: nothing may leak from one render to the next */
        size_t before = out.len;
        lua_pushvalue(L, -1);
        if (tpl_render(e, "f.html", &out, d) != 0 && out.len != before) __builtin_trap();
    }
    lua_pop(L, 1);
done:
    sb_free(&out);
    diag_free(d);
    tpl_engine_free(e);
    return 0;
}
