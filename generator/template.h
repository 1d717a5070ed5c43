/* template.h — theme templates: a small syntax compiled to Lua chunks and
 * run in the sandbox, HTML-escaping by default.
 *
 * Syntax (see docs/themes.md):
 *   {{ expr }}     the value of a Lua expression, HTML-escaped (nil → "")
 *   {{{ expr }}}   the value, raw: an explicit choice of the template
 *   {% stmts %}    Lua statements: {% for _, p in ipairs(plans) do %} ... {% end %}
 *   {# comment #}  nothing
 *   A tag written {{- ... -}} / {%- ... -%} trims the whitespace (including
 *   one newline) on that side.
 * Inside templates: the fields of the data table, the shared globals set with
 * tpl_set_global, the sandbox's safe library, and
 *   include(name [, tbl])  renders another template with the same data (or
 *                          tbl) and returns its output as a raw string
 *   escape(s)              HTML-escapes a string (for building attributes)
 *   raw(s)                 marks a string as HTML so {{ }} does not escape it
 * Errors name the template file and line ("themes/default/templates/plan.html:12: ..."),
 * since the generated Lua keeps the template's line structure. */
#ifndef PP_TEMPLATE_H
#define PP_TEMPLATE_H
#include <stddef.h>

#include "diag.h"
#include "sandbox.h"
#include "strbuf.h"

typedef struct tpl_engine tpl_engine;

/* One engine per thread: it owns a sandbox (one Lua state). `limits` may be
 * NULL; a page's output may not exceed limits->memory_bytes either. Returns
 * NULL when out of memory; tpl_engine_free frees everything it holds. */
tpl_engine *tpl_engine_new(const sandbox_limits *limits);
void tpl_engine_free(tpl_engine *e);
lua_State *tpl_engine_lua(tpl_engine *e);
/* Bytes the engine holds outside its Lua state, so outside the memory cap
 * (a buffer for numbers): stays small whatever the templates do. */
size_t tpl_engine_outside_bytes(const tpl_engine *e);

/* Compiles template source under lookup name `name` ("plan.html"); `path` is
 * what diagnostics show. A later compile under the same name replaces the
 * earlier (site overrides after the theme). Returns 0, or -1 after reporting
 * `path:line:col: error: ...`. */
int tpl_compile(tpl_engine *e, const char *name, const char *path,
                const char *src, size_t len, diag *d);
int tpl_has(tpl_engine *e, const char *name);

/* Pops the value on top of the Lua stack and makes it visible to every
 * template as global `name` (for data shared by all pages, built once). */
void tpl_set_global(tpl_engine *e, const char *name);

/* Renders template `name` with the table on top of the Lua stack (popped)
 * as its variables; appends the output to `out` (the caller's). Returns 0, or
 * -1 after reporting a diagnostic that names the template file and line; on
 * error `out` is left as it was. Each call runs under one instruction budget
 * (includes count toward it). */
int tpl_render(tpl_engine *e, const char *name, strbuf *out, diag *d);

/* What is being rendered ("plans/x/ from content/plans/x.md"), named by the
 * diagnostic when a render hits a limit; NULL for none. Kept by pointer. */
void tpl_set_context(tpl_engine *e, const char *what);

/* Which limit of the sandbox (SANDBOX_*) stopped the last tpl_render, or 0. */
int tpl_limit_hit(const tpl_engine *e);

#endif
