/* sandbox.h — a Lua 5.4 state that cannot reach outside: only string
 * (without dump), table, math, utf8 and the safe basic functions; an
 * instruction budget and a memory cap. Used for templates and indicators.
 *
 * Determinism: pairs() visits keys in a fixed order (numbers ascending, then
 * strings bytewise, then booleans), table.sort is a stable merge sort and
 * math.random is reseeded with 0 at every outermost sandbox_call, so that two
 * builds of the same input are byte-identical. Scripts cannot set __gc
 * metamethods, so no Lua code ever runs outside sandbox_call. */
#ifndef PP_SANDBOX_H
#define PP_SANDBOX_H
#include <stdatomic.h>
#include <stddef.h>

#include <lua.h>

/* Instructions used by every sandbox that shares it (one per thread), for a
 * budget over all their calls together. */
typedef struct sandbox_total {
    _Atomic long long used;
} sandbox_total;

typedef struct sandbox_limits {
    size_t memory_bytes;   /* cap on the state's total allocation; 0 = default (256 MiB) */
    long long instructions;/* budget for one sandbox_call; 0 = default (100 million) */
    double seconds;        /* wall-clock safety net for one sandbox_call, for work the
                            * instruction count cannot see; 0 = default (30) */
    long long total_instructions; /* budget for all the calls together (of this
                            * sandbox, or of every sandbox sharing `total`); 0 = none */
    sandbox_total *total;  /* shared count for total_instructions, or NULL (the
                            * sandbox's own); must outlive the sandbox */
    const char *total_key; /* its site.yaml key, for messages ("lua_instructions_pages") */
} sandbox_limits;

/* The kinds of limit (sandbox_limit_hit). */
enum { SANDBOX_OK = 0, SANDBOX_BUDGET, SANDBOX_MEMORY, SANDBOX_TIME, SANDBOX_TOTAL };

typedef struct sandbox sandbox;

/* A new state. Returns NULL when out of memory. `limits` may be NULL (all
 * defaults). The sandbox owns the lua_State; sandbox_free closes it. */
sandbox *sandbox_new(const sandbox_limits *limits);
void sandbox_free(sandbox *sb);
lua_State *sandbox_lua(sandbox *sb);

/* Pushes a fresh environment table whose reads fall through (via a metatable
 * __index) to the shared, read-only table of safe globals. Writes land in the
 * fresh table only, so one script cannot change what another sees. Each
 * environment has its own copies of the string, table, math and utf8 tables.
 * The state's global table (lua_pushglobaltable) is the safe globals: C code
 * may add shared functions to it with lua_setglobal between calls; during a
 * sandbox_call it is read-only. */
void sandbox_push_env(sandbox *sb);

/* Loads text (never binary) chunk `code` named `chunkname` (use "@path" so
 * that errors read "path:line: message") and sets its _ENV to the table at
 * stack index env_idx. On success pushes the function and returns 0; on a
 * syntax error pushes nothing, sets *err (static storage owned by sb, valid
 * until the next call) and returns -1. */
int sandbox_load(sandbox *sb, const char *code, size_t len, const char *chunkname,
                 int env_idx, const char **err);

/* lua_pcall with the instruction budget armed and the memory cap enforced.
 * Returns 0, or -1 with *err = "path:line: message". A limit's message says
 * which site.yaml setting raises it: "instruction budget exceeded
 * (limits.lua_instructions: 100000000)", "memory limit exceeded
 * (limits.lua_memory_mb: 256)", "time limit exceeded (limits.lua_seconds: 30)";
 * the place is the line of a script or template file that was running (code
 * given to load() is reported at the line that loaded it). On error nothing
 * is pushed. */
int sandbox_call(sandbox *sb, int nargs, int nresults, const char **err);

/* Which limit, if any, stopped the last outermost sandbox_call (SANDBOX_*).
 * A caller that runs many calls stops at the first limit: the next would
 * most likely spend its whole budget too. */
int sandbox_limit_hit(const sandbox *sb);

/* The message handler sandbox_call uses, for C functions that make nested
 * protected calls (lua_pcall(L, n, r, idx) with it at idx): turns any error
 * value into a string "path:line: message" without running script code. */
int sandbox_msgh(lua_State *L);

/* Charges `units` (about one per VM instruction of work) to the running
 * call's budget, for C functions that loop on behalf of a script; raises
 * "instruction budget exceeded" when the budget is gone. */
void sandbox_charge(lua_State *L, long long units);

#endif
