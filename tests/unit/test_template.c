/* test_template.c — templates: syntax, escaping, helpers, and diagnostics
 * that name the template's own file, line and column. */
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "harness.h"
#include "strbuf.h"
#include "template.h"

/* The diagnostics collected so far, as printed (static buffer). */
static const char *S_diags(diag *d) {
    static char buf[4096];
    char *text = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);
    diag_flush(d, f);
    fclose(f);
    snprintf(buf, sizeof buf, "%s", text ? text : "");
    free(text);
    return buf;
}

static int S_compile(tpl_engine *e, const char *name, const char *src, diag *d) {
    return tpl_compile(e, name, name, src, strlen(src), d);
}

/* Pushes the table that the Lua expression `expr` makes. */
static void S_push_data(tpl_engine *e, const char *expr) {
    lua_State *L = tpl_engine_lua(e);
    char code[1024];
    snprintf(code, sizeof code, "return %s", expr);
    if (luaL_loadstring(L, code) != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK) {
        fprintf(stderr, "  bad test data: %s\n", lua_tostring(L, -1));
        lua_pop(L, 1);
        lua_newtable(L);
    }
}

/* Renders `name` with data `expr`: the output, or "ERR " and the diagnostics. */
static const char *S_render(tpl_engine *e, const char *name, const char *expr, diag *d) {
    static char buf[8192];
    strbuf out = STRBUF_INIT;
    S_push_data(e, expr);
    if (tpl_render(e, name, &out, d) == 0) snprintf(buf, sizeof buf, "%s", sb_str(&out));
    else snprintf(buf, sizeof buf, "ERR %s", S_diags(d));
    sb_free(&out);
    return buf;
}

/* Compiles `src` as "t.html" and renders it with `expr`. */
static const char *S_tpl(tpl_engine *e, const char *src, const char *expr, diag *d) {
    static char buf[8192];
    if (S_compile(e, "t.html", src, d) != 0) {
        snprintf(buf, sizeof buf, "COMPILE %s", S_diags(d));
        return buf;
    }
    return S_render(e, "t.html", expr, d);
}

TEST(template_escapes_by_default) {
    tpl_engine *e = tpl_engine_new(NULL);
    diag *d = diag_new(0);
    CHECK_STR(S_tpl(e, "<p>{{ s }}</p>", "{s = [[<>&\"']]}", d), "<p>&lt;&gt;&amp;&quot;&#39;</p>");
    CHECK_STR(S_tpl(e, "<p>{{{ s }}}</p>", "{s = '<b>x</b>'}", d), "<p><b>x</b></p>");
    CHECK_STR(S_tpl(e, "{{ raw(s) }}|{{ raw(s) .. t }}|{{ t .. raw(s) }}", "{s = '<b>', t = '<i>'}", d),
              "<b>|<b>&lt;i&gt;|&lt;i&gt;<b>");
    CHECK_STR(S_tpl(e, "{{{ '<a title=\"' .. escape(t) .. '\">' }}}", "{t = '\"x\" & y'}", d),
              "<a title=\"&quot;x&quot; &amp; y\">");
    CHECK_STR(S_tpl(e, "{{ escape(raw('<b>')) }}|{{ tostring(raw('<i>')) }}", "{}", d), "&lt;b&gt;|&lt;i&gt;");
    CHECK_STR(S_tpl(e, "{{ raw(1.0) }}{{ raw(nil) }}{{ raw(raw('&')) }}", "{}", d), "1&");
    CHECK_STR(S_tpl(e, "[{{ missing }}][{{ nil }}][{{ false }}][{{ true }}]", "{}", d), "[][][false][true]");
    CHECK_STR(S_tpl(e, "{{ 3 }} {{ 2.5 }} {{ 10 / 2 }} {{ -0.0 }} {{ 1e20 }} {{ 2^63 }} {{ 1/3 }}", "{}", d),
              "3 2.5 5 0 1e+20 9.2233720368548e+18 0.33333333333333");
    CHECK_STR(S_tpl(e, "{{ items }}", "{items = {}}", d),
              "ERR t.html:1: error: cannot output a table (output one of its fields, or mark HTML with raw())\n");
    CHECK_STR(S_tpl(e, "\n{{ print }}", "{}", d), "ERR t.html:2: error: cannot output a function value\n");
    diag_free(d);
    tpl_engine_free(e);
}

TEST(template_statements_and_loops) {
    tpl_engine *e = tpl_engine_new(NULL);
    diag *d = diag_new(0);
    CHECK_STR(S_tpl(e, "<ul>{% for _, x in ipairs(items) do %}<li>{{ x }}</li>{% end %}</ul>",
                    "{items = {'a', '<b>'}}", d),
              "<ul><li>a</li><li>&lt;b&gt;</li></ul>");
    CHECK_STR(S_tpl(e, "{% if n > 1 then %}many{% elseif n == 1 then %}one{% else %}none{% end %}", "{n = 1}", d),
              "one");
    CHECK_STR(S_tpl(e, "{% local total = 0 for _, v in ipairs(xs) do total = total + v end %}{{ total }}",
                    "{xs = {1, 2, 3}}", d),
              "6");
    CHECK_STR(S_tpl(e, "a{% (function() end)() %}b{%x=1%}{{x}}", "{}", d), "ab1");
    CHECK_STR(S_tpl(e, "{% for k, v in pairs(t) do %}{{ k }}={{ v }};{% end %}", "{t = {b = 2, a = 1, c = 3}}", d),
              "a=1;b=2;c=3;");
    CHECK_STR(S_tpl(e, "{{ '}}' }}{{ \"%}\" }}{{ [[}}]] }}{{ #{1, 2} }}{{ ('a'):rep(2) -- note }}{# {{ #}", "{}", d),
              "}}%}}}2aa");
    CHECK_STR(S_tpl(e, "{% -- don't %}ok{% --[[ a\nb ]] %}", "{}", d), "ok");
    CHECK_STR(S_tpl(e, "{% local s = 'a' -- comment\n%}{{ s }}", "{}", d), "a");
    CHECK_STR(S_tpl(e, "\x01\"\\\r\n\x7f\xe4\xb8\xad{{ 1 }}", "{}", d), "\x01\"\\\r\n\x7f\xe4\xb8\xad" "1");
    /* assignments land in the render's data and do not leak to the next page */
    CHECK_STR(S_tpl(e, "{% count = (count or 0) + 1 %}{{ count }}", "{}", d), "1");
    CHECK_STR(S_render(e, "t.html", "{}", d), "1");
    CHECK_STR(S_render(e, "t.html", "{count = 41}", d), "42");
    /* nothing can be stored in the template's environment itself */
    CHECK_CONTAINS(S_tpl(e, "{% rawset(_ENV, 'x', 1) %}", "{}", d), "ERR t.html:1: error: bad argument #1 to 'rawset'");
    CHECK_STR(S_tpl(e, "{% string.upper = nil %}{{ ('x'):upper() }}", "{}", d), "X");
    diag_free(d);
    tpl_engine_free(e);
}

TEST(template_whitespace_trim) {
    tpl_engine *e = tpl_engine_new(NULL);
    diag *d = diag_new(0);
    CHECK_STR(S_tpl(e, "<ul>\n  {%- for _, x in ipairs(items) do -%}\n  <li>{{ x }}</li>\n  {%- end -%}\n</ul>",
                    "{items = {'a', 'b'}}", d),
              "<ul><li>a</li><li>b</li></ul>");
    CHECK_STR(S_tpl(e, "a  \n  {{- x -}}  \n\n  b", "{x = 1}", d), "a1\n  b");
    CHECK_STR(S_tpl(e, "a {{{- x }}} b {#- c -#} d", "{x = '<'}", d), "a< bd");
    CHECK_STR(S_tpl(e, "a\r\n{{- 1 -}}\r\nb", "{}", d), "a1b");
    CHECK_STR(S_tpl(e, "{{-}}x{{ - 1 }}", "{}", d), "x-1");
    diag_free(d);
    tpl_engine_free(e);
}

TEST(template_globals_and_data) {
    tpl_engine *e = tpl_engine_new(NULL);
    diag *d = diag_new(0);
    lua_State *L = tpl_engine_lua(e);
    S_push_data(e, "{title = 'Site', lang = 'zh-CN'}");
    tpl_set_global(e, "site");
    lua_pushstring(L, "global title");
    tpl_set_global(e, "title");
    CHECK_STR(S_tpl(e, "{{ site.title }}|{{ title }}|{{ site.lang }}", "{title = 'Page'}", d), "Site|Page|zh-CN");
    CHECK_STR(S_render(e, "t.html", "{}", d), "Site|global title|zh-CN");
    /* data shadows the library too, for that page only */
    CHECK_STR(S_tpl(e, "{{ type }}", "{type = 'plan'}", d), "plan");
    CHECK_STR(S_render(e, "t.html", "{}", d), "ERR t.html:1: error: cannot output a function value\n");
    CHECK(tpl_has(e, "t.html"));
    CHECK(!tpl_has(e, "nope.html"));
    CHECK_STR(S_render(e, "nope.html", "{}", d), "ERR planpress: error: no template named \"nope.html\"\n");
    /* a later compile under the same name replaces the earlier */
    CHECK(S_compile(e, "t.html", "second", d) == 0);
    CHECK_STR(S_render(e, "t.html", "{}", d), "second");
    /* a failed render leaves the output as it was */
    strbuf out = STRBUF_INIT;
    sb_puts(&out, "before|");
    CHECK(S_compile(e, "bad.html", "partial {{ nil .. 1 }}", d) == 0);
    lua_newtable(L);
    CHECK(tpl_render(e, "bad.html", &out, d) == -1);
    CHECK_STR(sb_str(&out), "before|");
    CHECK_CONTAINS(S_diags(d), "bad.html:1: error: attempt to concatenate a nil value");
    sb_free(&out);
    diag_free(d);
    tpl_engine_free(e);
}

TEST(template_include) {
    tpl_engine *e = tpl_engine_new(NULL);
    diag *d = diag_new(0);
    CHECK(S_compile(e, "p.html", "<i>{{ x }}</i>", d) == 0);
    CHECK_STR(S_tpl(e, "{{ include('p.html') }}|{{ include('p.html', {x = 'other'}) }}|{{ x }}", "{x = '<1>'}", d),
              "<i>&lt;1&gt;</i>|<i>other</i>|&lt;1&gt;");
    CHECK_STR(S_tpl(e, "{% for i = 1, 3 do %}{{{ include('p.html', {x = i}) }}}{% end %}", "{}", d),
              "<i>1</i><i>2</i><i>3</i>");
    CHECK(S_compile(e, "r.html", "a{{ include('r.html') }}", d) == 0);
    CHECK_CONTAINS(S_render(e, "r.html", "{}", d),
                   "r.html:1: error: include depth limit (50) exceeded: does \"r.html\" include itself?");
    CHECK_STR(S_tpl(e, "\n{{ include('missing.html') }}", "{}", d),
              "ERR t.html:2: error: no template named \"missing.html\"\n");
    CHECK(S_compile(e, "boom.html", "ok\n{{ x.y }}", d) == 0);
    CHECK_STR(S_tpl(e, "a\n\n{{ include('boom.html') }}", "{}", d),
              "ERR boom.html:2: error: attempt to index a nil value (global 'x')\n  included from t.html:3\n");
    /* an error caught inside the template discards the partial output */
    CHECK_STR(S_tpl(e, "[{% pcall(include, 'boom.html') %}]", "{}", d), "[]");
    diag_free(d);
    tpl_engine_free(e);
}

TEST(template_compile_errors) {
    tpl_engine *e = tpl_engine_new(NULL);
    diag *d = diag_new(0);
    CHECK(S_compile(e, "u.html", "line one\nab {{ x\n\n", d) == -1);
    CHECK_STR(S_diags(d), "u.html:2:4: error: unclosed {{\n");
    CHECK(S_compile(e, "u.html", "\xe4\xb8\xad\xe6\x96\x87{% if x then", d) == -1);
    CHECK_STR(S_diags(d), "u.html:1:3: error: unclosed {%\n");
    CHECK(S_compile(e, "u.html", "a\n {{{ x }}", d) == -1);
    CHECK_STR(S_diags(d), "u.html:2:2: error: unclosed {{{\n");
    CHECK(S_compile(e, "u.html", "{# never closed", d) == -1);
    CHECK_STR(S_diags(d), "u.html:1:1: error: unclosed {#\n");
    CHECK(S_compile(e, "u.html", "{{ 'a }}' ", d) == -1);
    CHECK_STR(S_diags(d), "u.html:1:1: error: unclosed {{\n");
    CHECK(S_compile(e, "s.html", "a\nb\n{{ x y }}\n", d) == -1);
    CHECK_STR(S_diags(d), "s.html:3: error: ')' expected near 'y'\n");
    CHECK(S_compile(e, "s.html", "{# one\ntwo #}\n{% for x in xs %}\n<li>\n", d) == -1);
    CHECK_STR(S_diags(d), "s.html:3: error: 'do' expected near template text\n");
    CHECK(S_compile(e, "s.html", "\n{% if x then %}\n<p>\n", d) == -1);
    CHECK_STR(S_diags(d), "s.html:4: error: 'end' expected (to close 'if' at line 2) near <eof>\n");
    CHECK(S_compile(e, "s.html", "{% end %}", d) == -1);
    CHECK_STR(S_diags(d), "s.html:1: error: <eof> expected near 'end'\n");
    CHECK(diag_errors(d) == 9);
    diag_free(d);
    tpl_engine_free(e);
}

TEST(template_runtime_errors_name_the_line) {
    tpl_engine *e = tpl_engine_new(NULL);
    diag *d = diag_new(0);
    CHECK_STR(S_tpl(e, "a\n{# c\nc #}\n{% for _, x in ipairs(items) do %}\n{{ x.name.first }}\n{% end %}",
                    "{items = {{}}}", d),
              "ERR t.html:5: error: attempt to index a nil value (field 'name')\n");
    CHECK_STR(S_tpl(e, "{{ '<x>' }}\n{{ 1 +\n  nil }}", "{}", d),
              "ERR t.html:2: error: attempt to perform arithmetic on a nil value\n");
    CHECK_STR(S_tpl(e, "\n\n{% error('custom') %}", "{}", d), "ERR t.html:3: error: custom\n");
    CHECK_STR(S_tpl(e, "\n{% error({}) %}", "{}", d), "ERR t.html:2: error: (error object is a table value)\n");
    CHECK_STR(S_tpl(e, "{{ undefined_fn() }}", "{}", d),
              "ERR t.html:1: error: attempt to call a nil value (global 'undefined_fn')\n");
    diag_free(d);
    tpl_engine_free(e);
}

TEST(template_limits) {
    sandbox_limits lim = {.memory_bytes = (size_t)32 << 20, .instructions = 20000000};
    tpl_engine *e = tpl_engine_new(&lim);
    diag *d = diag_new(0);
    CHECK_STR(S_tpl(e, "x\n{% while true do end %}", "{}", d), "ERR t.html:2: error: instruction budget exceeded (site.yaml limits.lua_instructions: 20000000)\n");
    CHECK_STR(S_tpl(e, "{% for i = 1, 1e9 do %}{{{ s }}}{% end %}", "{s = ('x'):rep(1e6)}", d),
              "ERR t.html:1: error: memory limit exceeded (page output over 32 MiB)\n");
    CHECK(S_compile(e, "loop.html", "{% while true do end %}", d) == 0);
    CHECK_STR(S_tpl(e, "a\n{% for i = 1, 100 do pcall(include, 'loop.html') end %}", "{}", d),
              "ERR t.html:2: error: instruction budget exceeded (site.yaml limits.lua_instructions: 20000000)\n");
    CHECK_STR(S_tpl(e, "{% local t = {} while true do t[#t + 1] = ('x'):rep(1e6) end %}", "{}", d),
              "ERR t.html:1: error: memory limit exceeded (site.yaml limits.lua_memory_mb: 32)\n");
    CHECK_STR(S_tpl(e, "{% local s = ('x'):rep(1e6) while true do s = s .. s end %}", "{}", d),
              "ERR t.html:1: error: memory limit exceeded (site.yaml limits.lua_memory_mb: 32)\n");
    /* one allocation far past the cap is refused inside Lua: the line that asked for it */
    CHECK_STR(S_tpl(e, "{% local s = ('x'):rep(16e6)\nlocal r = table.concat({s, s, s}) %}", "{}", d),
              "ERR t.html:2: error: memory limit exceeded (site.yaml limits.lua_memory_mb: 32)\n");
    CHECK_STR(S_tpl(e, "{{ 'still works' }}", "{}", d), "still works");
    diag_free(d);
    tpl_engine_free(e);
}

/* Nothing a render does survives it: not an assigned _ENV (an upvalue of
 * the template's function), not a field set in a library table. */
TEST(template_no_state_across_renders) {
    tpl_engine *e = tpl_engine_new(NULL);
    diag *d = diag_new(0);
    const char *counter = "{% local E = _ENV local n = (E.count or 0) + 1 _ENV = {count = n} %}{{ n }}";
    CHECK(S_compile(e, "c.html", counter, d) == 0);
    CHECK_STR(S_render(e, "c.html", "{}", d), "1");
    CHECK_STR(S_render(e, "c.html", "{}", d), "1");
    CHECK_STR(S_render(e, "c.html", "{}", d), "1");
    CHECK(S_compile(e, "n.html", "{% if broke then _ENV = nil end %}{{ x }}", d) == 0);
    CHECK_CONTAINS(S_render(e, "n.html", "{broke = true, x = 1}", d), "ERR n.html:1:");
    CHECK_STR(S_render(e, "n.html", "{x = 2}", d), "2");
    /* the same through include */
    CHECK(S_compile(e, "i.html", "{{ include('c.html') }}{{ include('c.html') }}", d) == 0);
    CHECK_STR(S_render(e, "i.html", "{}", d), "11");
    CHECK(S_compile(e, "s.html", "{% string.n = (string.n or 0) + 1 math.pi = 3 %}{{ string.n }} {{ math.pi }} {{ string.upper('a') }}", d) == 0);
    CHECK_STR(S_render(e, "s.html", "{}", d), "1 3 A");
    CHECK_STR(S_render(e, "s.html", "{}", d), "1 3 A");
    CHECK(S_compile(e, "p.html", "{{ math.floor(math.pi) }} {{ getmetatable(string) }}", d) == 0);
    CHECK_STR(S_render(e, "p.html", "{}", d), "3 false");
    diag_free(d);
    tpl_engine_free(e);
}

/* escape(), raw() and raw .. x make their strings in the Lua state, within
 * its memory cap, not in a C buffer beside it. */
TEST(template_escape_raw_within_the_memory_cap) {
    sandbox_limits lim = {.memory_bytes = (size_t)64 << 20};
    tpl_engine *e = tpl_engine_new(&lim);
    diag *d = diag_new(0);
    CHECK_STR(S_tpl(e, "{% local s = ('<'):rep(4e6) local t, r, c = escape(s), raw(s), raw('') .. s %}"
                       "{{ #t }} {{ #tostring(r) }} {{ #tostring(c) }} {{ escape(raw('<')) }}{{ raw(1.5) }}",
                    "{}", d),
              "16000000 4000000 16000000 &lt;1.5");
    CHECK(tpl_engine_outside_bytes(e) < ((size_t)1 << 20));
    CHECK_CONTAINS(S_tpl(e, "{% local s = ('<'):rep(20e6) local t = escape(s) %}", "{}", d),
                   "memory limit exceeded");
    CHECK_CONTAINS(S_tpl(e, "{% local s = ('\"'):rep(20e6) local t = raw('') .. s %}", "{}", d),
                   "memory limit exceeded");
    CHECK(tpl_engine_outside_bytes(e) < ((size_t)1 << 20));
    CHECK_STR(S_tpl(e, "{{ escape('a&b') }}", "{}", d), "a&amp;amp;b");
    diag_free(d);
    tpl_engine_free(e);
}
