/* sandbox.c — a Lua 5.4 state that cannot reach outside, with a memory cap,
 * an instruction budget and deterministic library functions. */
#include "sandbox.h"

#include <lauxlib.h>
#include <limits.h>
#include <lualib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------------
 * Limits and the state
 *
 * Memory: every allocation goes through S_alloc. While a script runs (or a
 * chunk loads), growing past the cap is allowed once by up to half the cap
 * again (the "hard" cap) and arms the hook to fail at the very next VM
 * instruction, so the error names the script's line; past the hard cap an
 * allocation is refused and Lua raises its own memory error.
 *
 * Time: a count hook every S_HOOK_EVERY instructions charges the budget;
 * C functions that loop for a script (pattern matching, sorting, table.move,
 * ...) charge it too, and so does every allocated byte (S_BYTES_PER_UNIT).
 * Once a limit is hit it is "sticky": the hook then fires on every
 * instruction and fails again, so pcall cannot swallow it, and xpcall
 * handlers are not run. A wall-clock deadline covers what counting cannot
 * see (comparing two huge equal strings runs in one instruction).
 * ------------------------------------------------------------------------ */

#define S_DEFAULT_MEMORY ((size_t)256 << 20)
#define S_DEFAULT_INSTRUCTIONS 100000000LL
#define S_DEFAULT_SECONDS 30.0
#define S_HOOK_EVERY 1000
#define S_BYTES_PER_UNIT 16
#define S_NLIBS 4

#define S_POOL_MAX 256      /* blocks up to this size come from the pool */
#define S_POOL_CLASSES (S_POOL_MAX / 16)
#define S_POOL_SLAB (64 * 1024)

/* the kinds of sticky limit are SANDBOX_BUDGET, _MEMORY, _TIME, _TOTAL */
#define S_NKINDS 5
#define S_LOAD_UNITS_PER_BYTE 1 /* compiling a byte of load()ed source costs about an instruction */

static const char *const S_lib_names[S_NLIBS] = {"string", "table", "math", "utf8"};

struct sandbox {
    lua_State *L;
    size_t mem, mem_cap, mem_hard;
    long long budget, used;
    long long call_budget;  /* limits->instructions */
    long long total_budget; /* limits->total_instructions, or 0 */
    sandbox_total *total, own_total;
    int by_total;   /* this call's budget is what is left of the total */
    int last_hit;   /* SANDBOX_* of the last outermost call */
    char text[S_NKINDS][200]; /* each limit's message, with its setting */
    double seconds;
    struct timespec t0;
    int depth;      /* nesting of sandbox_call */
    int enforce;    /* > 0 while the memory cap applies */
    int sticky;     /* S_STICKY_* once a limit was hit in this call */
    int refused;    /* an allocation was refused in this call */
    char *err;      /* the last error message (malloc'd) */
    char where[256];        /* the outermost called function, for memory errors */
    char sticky_msg[480];   /* the first sticky error, with its place */
    int ref_envmt, ref_seed, ref_libs[S_NLIBS];
#ifndef PP_ARENA_DEBUG
    /* small blocks, by size class of 16 bytes, kept for reuse: Lua makes and
     * drops many small tables and strings a page (S_pool_*) */
    void *pool_free[S_POOL_CLASSES];
    char *pool_cur;         /* the rest of the newest slab */
    size_t pool_left;
    void *pool_slabs;       /* every slab, linked through its first word */
#endif
};

static sandbox *S_from(lua_State *L) {
    void *ud;
    lua_getallocf(L, &ud);
    return ud;
}

static void S_hook(lua_State *L, lua_Debug *ar);

static void S_place(sandbox *sb, char *out, size_t size);

static void S_stick(sandbox *sb, int kind) {
    if (sb->sticky) return;
    if (kind == SANDBOX_BUDGET && sb->by_total) kind = SANDBOX_TOTAL;
    sb->sticky = kind;
    lua_sethook(sb->L, S_hook, LUA_MASKCOUNT, 1);
    if (kind == SANDBOX_MEMORY && sb->depth && !sb->sticky_msg[0]) {
        /* the hook names the line at the next instruction; an allocation
         * that is refused is followed by none */
        char place[220];
        S_place(sb, place, sizeof place);
        if (place[0]) snprintf(sb->sticky_msg, sizeof sb->sticky_msg, "%s: %s", place, sb->text[kind]);
    }
}

/* The pool: a block of size n (1..S_POOL_MAX) belongs to class (n-1)/16 and
 * is that class's size; freed blocks go on their class's list. The sizes
 * Lua passes back on free and realloc say which blocks are pooled. Slabs
 * are freed with the state. The sanitizer build (PP_ARENA_DEBUG) mallocs
 * every block, so that AddressSanitizer sees each one. */
#ifndef PP_ARENA_DEBUG
static void *S_pool_get(sandbox *sb, size_t n) {
    size_t c = (n - 1) / 16, size = (c + 1) * 16;
    void *p = sb->pool_free[c];
    if (p) {
        sb->pool_free[c] = *(void **)p;
        return p;
    }
    if (sb->pool_left < size) {
        char *slab = malloc(S_POOL_SLAB);
        if (!slab) return NULL;
        /* what is left of the old slab feeds the free lists */
        while (sb->pool_left >= 16) {
            size_t k = (sb->pool_left > S_POOL_MAX ? S_POOL_MAX : sb->pool_left) / 16 - 1;
            size_t ks = (k + 1) * 16;
            *(void **)sb->pool_cur = sb->pool_free[k];
            sb->pool_free[k] = sb->pool_cur;
            sb->pool_cur += ks;
            sb->pool_left -= ks;
        }
        *(void **)slab = sb->pool_slabs;
        sb->pool_slabs = slab;
        sb->pool_cur = slab + 16;
        sb->pool_left = S_POOL_SLAB - 16;
    }
    p = sb->pool_cur;
    sb->pool_cur += size;
    sb->pool_left -= size;
    return p;
}

static void S_pool_put(sandbox *sb, void *p, size_t n) {
    size_t c = (n - 1) / 16;
    *(void **)p = sb->pool_free[c];
    sb->pool_free[c] = p;
}

static void S_pool_free_all(sandbox *sb) {
    void *slab = sb->pool_slabs;
    while (slab) {
        void *next = *(void **)slab;
        free(slab);
        slab = next;
    }
    sb->pool_slabs = NULL;
}

/* realloc over the pool and malloc: old (0 for a new block) to nsize > 0 */
static void *S_realloc(sandbox *sb, void *ptr, size_t old, size_t nsize) {
    int old_pooled = ptr && old > 0 && old <= S_POOL_MAX, new_pooled = nsize <= S_POOL_MAX;
    if (old_pooled && new_pooled && (old - 1) / 16 == (nsize - 1) / 16) return ptr;
    if (!old_pooled && !new_pooled) return realloc(ptr, nsize);
    void *p = new_pooled ? S_pool_get(sb, nsize) : malloc(nsize);
    if (!p) return NULL;
    if (ptr) {
        memcpy(p, ptr, old < nsize ? old : nsize);
        if (old_pooled) S_pool_put(sb, ptr, old);
        else free(ptr);
    }
    return p;
}
#endif

static void *S_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    sandbox *sb = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
#ifndef PP_ARENA_DEBUG
        if (ptr && old > 0 && old <= S_POOL_MAX) S_pool_put(sb, ptr, old);
        else free(ptr);
#else
        free(ptr);
#endif
        sb->mem -= old;
        return NULL;
    }
    if (nsize > old) {
        size_t grow = nsize - old;
        if (sb->enforce) {
            if (grow > sb->mem_hard || sb->mem > sb->mem_hard - grow) {
                sb->refused = 1;
                S_stick(sb, SANDBOX_MEMORY);
                return NULL;
            }
            if (sb->mem + grow > sb->mem_cap) S_stick(sb, SANDBOX_MEMORY);
        }
        if (sb->depth && !sb->sticky) {
            long long units = (long long)(grow / S_BYTES_PER_UNIT);
            if (units > sb->budget - sb->used) S_stick(sb, SANDBOX_BUDGET);
            else sb->used += units;
        }
    }
#ifndef PP_ARENA_DEBUG
    void *p = S_realloc(sb, ptr, old, nsize);
#else
    void *p = realloc(ptr, nsize);
#endif
    if (!p) {
        if (nsize <= old) return ptr; /* a failed shrink: the old block will do */
        if (sb->enforce) sb->refused = 1;
        return NULL;
    }
    sb->mem = sb->mem - old + nsize;
    return p;
}

static int S_panic(lua_State *L) {
    const char *msg = lua_tostring(L, -1);
    fprintf(stderr, "planpress: internal error in the Lua sandbox: %s\n", msg ? msg : "?");
    return 0; /* Lua aborts */
}

static double S_elapsed(const sandbox *sb) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - sb->t0.tv_sec) + (double)(now.tv_nsec - sb->t0.tv_nsec) / 1e9;
}

/* The name to show for a function's chunk: the full path of "@path" chunks
 * (ar->short_src may be cut to LUA_IDSIZE), else Lua's short form. */
static const char *S_srcname(const lua_Debug *ar) {
    return ar->source && ar->source[0] == '@' ? ar->source + 1 : ar->short_src;
}

/* "path:line" of the innermost running line of a file (a template or a
 * script, chunk "@path"): code given to load() is named by the line that
 * loaded it, not by "[string ...]". Empty when no Lua function runs.
 * Lua before 5.4.5 keeps its call frames valid during an allocation, so
 * this may be called from S_alloc; later releases make the frames relative
 * while the stack moves, and then it is only called from the hook. */
static void S_place_at(lua_State *L, char *out, size_t size) {
    lua_Debug ar;
    char first[200] = "";
    out[0] = '\0';
    for (int level = 0; level < 200 && lua_getstack(L, level, &ar); level++) {
        if (!lua_getinfo(L, "Sl", &ar) || ar.currentline <= 0) continue;
        if (ar.source && ar.source[0] == '@') {
            snprintf(out, size, "%s:%d", ar.source + 1, ar.currentline);
            return;
        }
        if (!first[0]) snprintf(first, sizeof first, "%s:%d", ar.short_src, ar.currentline);
    }
    snprintf(out, size, "%s", first);
}

static void S_place(sandbox *sb, char *out, size_t size) {
#if LUA_VERSION_RELEASE_NUM <= 50404
    S_place_at(sb->L, out, size);
#else
    (void)sb;
    out[0] = '\0';
#endif
}

/* ------------------------------------------------------------------------
 * The budget
 * ------------------------------------------------------------------------ */

static void S_hook(lua_State *L, lua_Debug *ar) {
    sandbox *sb = S_from(L);
    (void)ar;
    if (!sb->sticky) {
        sb->used += S_HOOK_EVERY;
        if (sb->used > sb->budget) S_stick(sb, SANDBOX_BUDGET);
        else if (sb->depth && S_elapsed(sb) > sb->seconds)
            S_stick(sb, SANDBOX_TIME);
        else return;
    }
    lua_sethook(L, S_hook, LUA_MASKCOUNT, 1); /* also for a thread that got here late */
    char place[220];
    S_place_at(L, place, sizeof place);
    const char *msg = lua_pushfstring(L, "%s: %s", place[0] ? place : sb->where, sb->text[sb->sticky]);
    if (!sb->sticky_msg[0]) snprintf(sb->sticky_msg, sizeof sb->sticky_msg, "%s", msg);
    lua_error(L);
}

void sandbox_charge(lua_State *L, long long units) {
    sandbox *sb = S_from(L);
    if (units < 0) units = 0;
    if (!sb->sticky) {
        if (units > sb->budget - sb->used) S_stick(sb, SANDBOX_BUDGET);
        else sb->used += units;
    }
    if (sb->sticky) luaL_error(L, "%s", sb->text[sb->sticky]);
}

/* ------------------------------------------------------------------------
 * Error messages
 * ------------------------------------------------------------------------ */

/* Whether `msg` starts with a place: "something:123:" on its first line. */
static int S_has_place(const char *msg) {
    for (const char *p = msg; *p && *p != '\n'; p++) {
        if (*p != ':' || p == msg || p[1] < '0' || p[1] > '9') continue;
        const char *q = p + 1;
        while (*q >= '0' && *q <= '9') q++;
        if (*q == ':') return 1;
    }
    return 0;
}

int sandbox_msgh(lua_State *L) {
    lua_Debug ar;
    const char *msg;
    int t = lua_type(L, 1);
    if (t == LUA_TSTRING || t == LUA_TNUMBER) msg = lua_tostring(L, 1);
    else msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    char place[220];
    if (S_has_place(msg)) {
        if (strncmp(msg, "[string ", 8) == 0) {
            /* in code given to load(): name the line of the file that loaded it */
            S_place_at(L, place, sizeof place);
            if (place[0] && strncmp(place, "[string ", 8) != 0) lua_pushfstring(L, "%s: %s", place, msg);
            return 1;
        }
        /* Lua cuts long chunk names to "...tail"; put the whole path back. */
        if (strncmp(msg, "...", 3) != 0) return 1;
        for (int level = 1; level < 64 && lua_getstack(L, level, &ar); level++) {
            if (!lua_getinfo(L, "S", &ar) || ar.source[0] != '@') continue;
            size_t n = strlen(ar.short_src);
            if (strncmp(msg, ar.short_src, n) == 0 && msg[n] == ':') {
                lua_pushfstring(L, "%s%s", ar.source + 1, msg + n);
                return 1;
            }
        }
        return 1;
    }
    S_place_at(L, place, sizeof place);
    if (place[0]) lua_pushfstring(L, "%s: %s", place, msg);
    else lua_pushstring(L, msg);
    return 1;
}

/* Lua's short name for chunk "@path" (cut to "...tail" past LUA_IDSIZE). */
static void S_chunkid(char out[LUA_IDSIZE], const char *chunkname) {
    const char *name = chunkname[0] == '@' || chunkname[0] == '=' ? chunkname + 1 : chunkname;
    size_t len = strlen(name);
    if (len < LUA_IDSIZE || chunkname[0] != '@') snprintf(out, LUA_IDSIZE, "%s", name);
    else snprintf(out, LUA_IDSIZE, "...%s", name + len - (LUA_IDSIZE - 4));
}

static void S_keep_err(sandbox *sb, const char *prefix, const char *msg) {
    size_t np = prefix ? strlen(prefix) : 0, nm = strlen(msg);
    char *e = malloc(np + nm + 1);
    if (!e) return; /* the previous message stays */
    if (np) memcpy(e, prefix, np);
    memcpy(e + np, msg, nm + 1);
    free(sb->err);
    sb->err = e;
}

/* ------------------------------------------------------------------------
 * Safe basic functions
 * ------------------------------------------------------------------------ */

static int S_noop(lua_State *L) {
    (void)L;
    return 0;
}

/* __newindex of the safe globals: C code may add shared functions between
 * calls (lua_setglobal); scripts may not. */
static int S_readonly(lua_State *L) {
    if (S_from(L)->depth > 0) return luaL_error(L, "attempt to modify a read-only table");
    lua_settop(L, 3);
    lua_rawset(L, 1);
    return 0;
}

static void S_copy_table(lua_State *L, int src) {
    src = lua_absindex(L, src);
    lua_newtable(L);
    lua_pushnil(L);
    while (lua_next(L, src)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, -4);
    }
}

static void S_push_env(sandbox *sb) {
    lua_State *L = sb->L;
    lua_createtable(L, 0, S_NLIBS + 1);
    for (int i = 0; i < S_NLIBS; i++) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, sb->ref_libs[i]);
        S_copy_table(L, -1);
        lua_setfield(L, -3, S_lib_names[i]);
        lua_pop(L, 1);
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, -2, "_G");
    lua_rawgeti(L, LUA_REGISTRYINDEX, sb->ref_envmt);
    lua_setmetatable(L, -2);
}

void sandbox_push_env(sandbox *sb) { S_push_env(sb); }

/* Pushes the _ENV of the Lua function that called the running C function,
 * or a fresh environment. */
static void S_push_caller_env(lua_State *L) {
    lua_Debug ar;
    if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "f", &ar)) {
        for (int i = 1;; i++) {
            const char *name = lua_getupvalue(L, -1, i);
            if (!name) break;
            if (strcmp(name, "_ENV") == 0) {
                lua_remove(L, -2);
                return;
            }
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    S_push_env(S_from(L));
}

/* A reader function given to load(), charged for the text it returns. */
static int S_load_reader(lua_State *L) {
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_call(L, 0, 1);
    if (lua_type(L, -1) == LUA_TSTRING)
        sandbox_charge(L, (long long)lua_rawlen(L, -1) * S_LOAD_UNITS_PER_BYTE);
    return 1;
}

/* load(chunk [, name [, mode [, env]]]): text only; without env, the
 * caller's environment (never the state's globals). Compiling is charged
 * by the byte, like the instructions it takes (by the 16 bytes, a loop of
 * load() ran 15 times longer than a plain loop on the same budget). A name
 * may not pose as a file ("@path"): errors name the line that loaded it. */
static int S_load(lua_State *L) {
    int has_env = !lua_isnone(L, 4);
    if (lua_type(L, 1) == LUA_TSTRING) {
        sandbox_charge(L, (long long)lua_rawlen(L, 1) * S_LOAD_UNITS_PER_BYTE);
    } else if (lua_type(L, 1) == LUA_TFUNCTION) {
        lua_pushvalue(L, 1);
        lua_pushcclosure(L, S_load_reader, 1);
        lua_replace(L, 1);
    }
    lua_settop(L, 4);
    if (lua_type(L, 2) == LUA_TSTRING && (lua_tostring(L, 2)[0] == '@' || lua_tostring(L, 2)[0] == '=')) {
        lua_pushstring(L, lua_tostring(L, 2) + 1);
        lua_replace(L, 2);
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 2);
    lua_pushliteral(L, "t");
    if (has_env) lua_pushvalue(L, 4);
    else S_push_caller_env(L);
    lua_call(L, 4, LUA_MULTRET);
    return lua_gettop(L) - 4;
}

/* setmetatable without __gc: finalizers would run outside any budget. */
static int S_setmetatable(lua_State *L) {
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_error(L, "__gc metamethods are not allowed in the sandbox");
        lua_pop(L, 1);
    }
    return lua_tocfunction(L, lua_upvalueindex(1))(L);
}

/* xpcall's handler runs where hooks are off when the error came from the
 * hook; after a limit it is skipped, so it cannot loop unbudgeted. */
static int S_xpcall_handler(lua_State *L) {
    if (S_from(L)->sticky) return 1;
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

static int S_xpcall(lua_State *L) {
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 2);
    lua_pushcclosure(L, S_xpcall_handler, 1);
    lua_replace(L, 2);
    return lua_tocfunction(L, lua_upvalueindex(1))(L);
}

/* math.randomseed() without arguments would seed from the clock. */
static int S_randomseed(lua_State *L) {
    if (lua_isnone(L, 1)) lua_pushinteger(L, 0);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 0);
    return 0;
}

/* ------------------------------------------------------------------------
 * Stable merge sort of t[1..n] (raw) by a "less than" callback; used by
 * table.sort and by pairs. Lua's own sort picks random pivots on big
 * arrays, which can reorder equal elements from one build to the next.
 * ------------------------------------------------------------------------ */

typedef int (*S_less_fn)(lua_State *L, int a, int b);

static void S_msort(lua_State *L, int t, lua_Integer n, S_less_fn less) {
    t = lua_absindex(L, t);
    lua_createtable(L, n < INT_MAX ? (int)n : 0, 0);
    int aux = lua_gettop(L), src = t, dst = aux;
    for (lua_Integer w = 1; w < n; w *= 2) {
        for (lua_Integer lo = 1; lo <= n; lo += 2 * w) {
            lua_Integer mid = lo + w <= n + 1 ? lo + w : n + 1;
            lua_Integer hi = lo + 2 * w <= n + 1 ? lo + 2 * w : n + 1;
            lua_Integer i = lo, j = mid, k = lo;
            while (i < mid && j < hi) {
                lua_rawgeti(L, src, j);
                lua_rawgeti(L, src, i);
                int top = lua_gettop(L);
                if (less(L, top - 1, top)) {
                    lua_pop(L, 1);
                    j++;
                } else {
                    lua_remove(L, -2);
                    i++;
                }
                lua_rawseti(L, dst, k++);
            }
            for (; i < mid; i++) {
                lua_rawgeti(L, src, i);
                lua_rawseti(L, dst, k++);
            }
            for (; j < hi; j++) {
                lua_rawgeti(L, src, j);
                lua_rawseti(L, dst, k++);
            }
        }
        int tmp = src;
        src = dst;
        dst = tmp;
    }
    if (src != t)
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, src, i);
            lua_rawseti(L, t, i);
        }
    lua_pop(L, 1);
}

static long long S_sort_cost(lua_Integer n) {
    long long bits = 1;
    while (bits < 62 && ((lua_Integer)1 << bits) < n) bits++;
    return n > LLONG_MAX / (bits + 1) ? LLONG_MAX : (long long)n * (bits + 1);
}

static int S_less_call(lua_State *L, int a, int b) {
    lua_pushvalue(L, 2);
    lua_pushvalue(L, a);
    lua_pushvalue(L, b);
    lua_call(L, 2, 1);
    int r = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return r;
}

static int S_less_lt(lua_State *L, int a, int b) { return lua_compare(L, a, b, LUA_OPLT); }

static int S_table_sort(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Integer n = luaL_len(L, 1);
    if (n < 2) return 0;
    luaL_argcheck(L, n < INT_MAX, 1, "array too big");
    if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_settop(L, 2);
    sandbox_charge(L, S_sort_cost(n));
    lua_createtable(L, (int)n, 0);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_geti(L, 1, i);
        lua_rawseti(L, 3, i);
    }
    S_msort(L, 3, n, lua_isnil(L, 2) ? S_less_lt : S_less_call);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, 3, i);
        lua_seti(L, 1, i);
    }
    return 0;
}

/* pairs: keys in a fixed order, whatever the hash seed. */
static int S_key_rank(lua_State *L, int i) {
    switch (lua_type(L, i)) {
    case LUA_TNUMBER: return 0;
    case LUA_TSTRING: return 1;
    case LUA_TBOOLEAN: return 2;
    default: return 3;
    }
}

static int S_less_key(lua_State *L, int a, int b) {
    int ra = S_key_rank(L, a), rb = S_key_rank(L, b);
    if (ra != rb) return ra < rb;
    if (ra == 0) return lua_compare(L, a, b, LUA_OPLT);
    if (ra == 1) {
        size_t la, lb;
        const char *sa = lua_tolstring(L, a, &la), *sb = lua_tolstring(L, b, &lb);
        int c = memcmp(sa, sb, la < lb ? la : lb);
        return c < 0 || (c == 0 && la < lb);
    }
    if (ra == 2) return !lua_toboolean(L, a) && lua_toboolean(L, b);
    return 0;
}

static int S_pairs_next(lua_State *L) {
    lua_Integer i = lua_tointeger(L, lua_upvalueindex(3));
    lua_Integer n = (lua_Integer)lua_rawlen(L, lua_upvalueindex(2));
    while (++i <= n) {
        lua_rawgeti(L, lua_upvalueindex(2), i);
        lua_pushvalue(L, -1);
        if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) {
            lua_pushinteger(L, i);
            lua_replace(L, lua_upvalueindex(3));
            return 2;
        }
        lua_pop(L, 2);
    }
    lua_pushinteger(L, n);
    lua_replace(L, lua_upvalueindex(3));
    lua_pushnil(L);
    return 1;
}

static int S_pairs(lua_State *L) {
    luaL_checkany(L, 1);
    if (luaL_getmetafield(L, 1, "__pairs") != LUA_TNIL) {
        lua_pushvalue(L, 1);
        lua_call(L, 1, 3);
        return 3;
    }
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    lua_newtable(L);
    lua_Integer n = 0;
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        lua_rawseti(L, 2, ++n);
    }
    sandbox_charge(L, S_sort_cost(n));
    S_msort(L, 2, n, S_less_key);
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 2);
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, S_pairs_next, 3);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

/* ------------------------------------------------------------------------
 * Library functions that loop in C, charged by the work they do.
 * The original is called directly (none of them has upvalues).
 * ------------------------------------------------------------------------ */

enum { CH_RESULTS, CH_LEN1, CH_INSERT, CH_REMOVE, CH_MOVE, CH_CONCAT };

static long long S_span(lua_Integer from, lua_Integer to) {
    if (to < from) return 0;
    lua_Unsigned d = (lua_Unsigned)to - (lua_Unsigned)from;
    return d >= (lua_Unsigned)LLONG_MAX ? LLONG_MAX : (long long)d + 1;
}

/* An integer argument as luaL_checkinteger would read it (floats with an
 * integral value and numeric strings too); `def` when absent or not one. */
static lua_Integer S_intarg(lua_State *L, int i, lua_Integer def) {
    int ok;
    lua_Integer v = lua_tointegerx(L, i, &ok);
    return ok ? v : def;
}

static int S_charged(lua_State *L) {
    lua_CFunction f = lua_tocfunction(L, lua_upvalueindex(1));
    int mode = (int)lua_tointeger(L, lua_upvalueindex(2));
    int is_table = lua_type(L, 1) == LUA_TTABLE;
    switch (mode) {
    case CH_LEN1:
        if (lua_type(L, 1) == LUA_TSTRING)
            sandbox_charge(L, (long long)(lua_rawlen(L, 1) / S_BYTES_PER_UNIT));
        break;
    case CH_INSERT: /* insert(t, pos, v) shifts t[pos..#t] */
        if (is_table && lua_gettop(L) == 3) {
            lua_Integer n = luaL_len(L, 1), pos = S_intarg(L, 2, 0);
            if (pos >= 1) sandbox_charge(L, S_span(pos, n));
        }
        break;
    case CH_REMOVE: /* remove(t, pos) shifts t[pos+1..#t] */
        if (is_table) {
            lua_Integer n = luaL_len(L, 1), pos = S_intarg(L, 2, n);
            if (pos >= 1) sandbox_charge(L, S_span(pos, n));
        }
        break;
    case CH_MOVE:
        sandbox_charge(L, S_span(S_intarg(L, 2, 0), S_intarg(L, 3, -1)));
        break;
    case CH_CONCAT:
        if (is_table) {
            lua_Integer i = S_intarg(L, 3, 1);
            lua_Integer j = lua_isnoneornil(L, 4) ? luaL_len(L, 1) : S_intarg(L, 4, i);
            sandbox_charge(L, S_span(i, j));
        }
        break;
    default: break;
    }
    int n = f(L);
    if (mode == CH_RESULTS) sandbox_charge(L, n);
    return n;
}

static void S_wrap(lua_State *L, int lib, const char *name, int mode) {
    lua_getfield(L, lib, name);
    lua_CFunction f = lua_tocfunction(L, -1);
    lua_pop(L, 1);
    if (!f) return;
    lua_pushcfunction(L, f);
    lua_pushinteger(L, mode);
    lua_pushcclosure(L, S_charged, 2);
    lua_setfield(L, lib, name);
}

/* string.rep, checked against the memory cap before it allocates, and
 * immediate for empty results (Lua's loops n times even then). */
static int S_str_rep(lua_State *L) {
    size_t l, lsep;
    const char *s = luaL_checklstring(L, 1, &l);
    lua_Integer n = luaL_checkinteger(L, 2);
    const char *sep = luaL_optlstring(L, 3, "", &lsep);
    sandbox *sb = S_from(L);
    if (n <= 0 || l + lsep == 0) {
        lua_pushliteral(L, "");
        return 1;
    }
    size_t unit = l + lsep;
    if (unit < l || (lua_Unsigned)n > ((size_t)INT64_MAX >> 1) / unit)
        return luaL_error(L, "resulting string too large");
    size_t total = (size_t)n * unit - lsep;
    if (sb->enforce && (total > sb->mem_cap || sb->mem > sb->mem_cap - total)) {
        S_stick(sb, SANDBOX_MEMORY);
        return luaL_error(L, "%s", sb->text[SANDBOX_MEMORY]);
    }
    luaL_Buffer b;
    char *p = luaL_buffinitsize(L, &b, total);
    size_t first = total < unit ? total : unit, done = first;
    memcpy(p, s, l < first ? l : first);
    if (first > l) memcpy(p + l, sep, first - l);
    while (done < total) { /* the result repeats with period `unit` */
        size_t k = done < total - done ? done : total - done;
        memcpy(p + done, p, k);
        done += k;
    }
    luaL_pushresultsize(&b, total);
    return 1;
}

/* ------------------------------------------------------------------------
 * Pattern matching: Lua's patterns (find, match, gmatch, gsub), written
 * anew so that every step is charged: backtracking patterns such as
 * ".-.-.-x" take exponential time, in C, where the count hook cannot see.
 * Character classes are ASCII whatever the C locale, for determinism.
 * ------------------------------------------------------------------------ */

#define S_MAXCAPTURES 32
#define S_MAXMATCHDEPTH 200
#define S_CAP_UNFINISHED (-1)
#define S_CAP_POSITION (-2)
#define S_STEP_FLUSH 4096
#define S_SPECIALS "^$*+?.([%-"

typedef struct S_match {
    const char *src, *src_end, *pat_end;
    lua_State *L;
    int level, depth;
    long long steps;
    struct {
        const char *init;
        ptrdiff_t len;
    } cap[S_MAXCAPTURES];
} S_match;

static void S_pm_flush(S_match *ms) {
    long long n = ms->steps;
    ms->steps = 0;
    sandbox_charge(ms->L, n);
}

#define S_STEP(ms)                                              \
    do {                                                        \
        if (++(ms)->steps >= S_STEP_FLUSH) S_pm_flush(ms);      \
    } while (0)

static int S_uc(char c) { return (unsigned char)c; }

static int S_class(int c, int cl) {
    int r, lower = cl >= 'A' && cl <= 'Z' ? cl + 32 : cl;
    int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'), digit = c >= '0' && c <= '9';
    switch (lower) {
    case 'a': r = alpha; break;
    case 'c': r = c < 32 || c == 127; break;
    case 'd': r = digit; break;
    case 'g': r = c > 32 && c < 127; break;
    case 'l': r = c >= 'a' && c <= 'z'; break;
    case 'p': r = c > 32 && c < 127 && !alpha && !digit; break;
    case 's': r = c == ' ' || (c >= '\t' && c <= '\r'); break;
    case 'u': r = c >= 'A' && c <= 'Z'; break;
    case 'w': r = alpha || digit; break;
    case 'x': r = digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); break;
    case 'z': r = c == 0; break; /* deprecated, but Lua 5.4 still has it */
    default: return cl == c;
    }
    return lower != cl ? !r : r;
}

/* p at '[', ec at the closing ']'. */
static int S_pm_bracket(int c, const char *p, const char *ec) {
    int sig = 1;
    if (p[1] == '^') {
        sig = 0;
        p++;
    }
    while (++p < ec) {
        if (*p == '%') {
            p++;
            if (S_class(c, S_uc(*p))) return sig;
        } else if (p[1] == '-' && p + 2 < ec) {
            p += 2;
            if (S_uc(p[-2]) <= c && c <= S_uc(*p)) return sig;
        } else if (S_uc(*p) == c) {
            return sig;
        }
    }
    return !sig;
}

/* The end of the single-character class that starts at p. */
static const char *S_pm_class_end(S_match *ms, const char *p) {
    char c = *p++;
    if (c == '%') {
        if (p >= ms->pat_end) luaL_error(ms->L, "malformed pattern (ends with '%%')");
        return p + 1;
    }
    if (c == '[') {
        if (p < ms->pat_end && *p == '^') p++;
        do { /* the first character may be ']' */
            if (p >= ms->pat_end) luaL_error(ms->L, "malformed pattern (missing ']')");
            c = *p++;
            if (c == '%' && p < ms->pat_end) p++;
        } while (p >= ms->pat_end || *p != ']');
        return p + 1;
    }
    return p;
}

static int S_pm_single(S_match *ms, const char *s, const char *p, const char *ep) {
    if (s >= ms->src_end) return 0;
    int c = S_uc(*s);
    switch (*p) {
    case '.': return 1;
    case '%': return S_class(c, S_uc(p[1]));
    case '[': return S_pm_bracket(c, p, ep - 1);
    default: return S_uc(*p) == c;
    }
}

static const char *S_pm_match(S_match *ms, const char *s, const char *p);

static const char *S_pm_balance(S_match *ms, const char *s, const char *p) {
    if (p + 1 >= ms->pat_end) luaL_error(ms->L, "malformed pattern (missing arguments to '%%b')");
    if (s >= ms->src_end || *s != *p) return NULL;
    char b = p[0], e = p[1];
    int open = 1;
    while (++s < ms->src_end) {
        S_STEP(ms);
        if (*s == e) {
            if (--open == 0) return s + 1;
        } else if (*s == b) {
            open++;
        }
    }
    return NULL;
}

static const char *S_pm_max_expand(S_match *ms, const char *s, const char *p, const char *ep) {
    ptrdiff_t i = 0;
    while (S_pm_single(ms, s + i, p, ep)) {
        i++;
        S_STEP(ms);
    }
    for (; i >= 0; i--) {
        const char *r = S_pm_match(ms, s + i, ep + 1);
        if (r) return r;
    }
    return NULL;
}

static const char *S_pm_min_expand(S_match *ms, const char *s, const char *p, const char *ep) {
    for (;;) {
        const char *r = S_pm_match(ms, s, ep + 1);
        if (r) return r;
        if (!S_pm_single(ms, s, p, ep)) return NULL;
        s++;
    }
}

static const char *S_pm_start_capture(S_match *ms, const char *s, const char *p, ptrdiff_t what) {
    if (ms->level >= S_MAXCAPTURES) luaL_error(ms->L, "too many captures");
    ms->cap[ms->level].init = s;
    ms->cap[ms->level].len = what;
    ms->level++;
    const char *r = S_pm_match(ms, s, p);
    if (!r) ms->level--;
    return r;
}

static const char *S_pm_end_capture(S_match *ms, const char *s, const char *p) {
    int l = ms->level - 1;
    while (l >= 0 && ms->cap[l].len != S_CAP_UNFINISHED) l--;
    if (l < 0) luaL_error(ms->L, "invalid pattern capture");
    ms->cap[l].len = s - ms->cap[l].init;
    const char *r = S_pm_match(ms, s, p);
    if (!r) ms->cap[l].len = S_CAP_UNFINISHED;
    return r;
}

static const char *S_pm_backref(S_match *ms, const char *s, int c) {
    int l = c - '1';
    if (l < 0 || l >= ms->level || ms->cap[l].len == S_CAP_UNFINISHED)
        luaL_error(ms->L, "invalid capture index %%%d", l + 1);
    ptrdiff_t len = ms->cap[l].len;
    if (len < 0) return NULL; /* a position capture matches no text */
    ms->steps += len / S_BYTES_PER_UNIT;
    if (ms->src_end - s >= len && memcmp(ms->cap[l].init, s, (size_t)len) == 0) return s + len;
    return NULL;
}

static const char *S_pm_match(S_match *ms, const char *s, const char *p) {
    if (++ms->depth > S_MAXMATCHDEPTH) luaL_error(ms->L, "pattern too complex");
    for (;;) {
        S_STEP(ms);
        if (p == ms->pat_end) break;
        switch (*p) {
        case '(':
            if (p + 1 < ms->pat_end && p[1] == ')')
                s = S_pm_start_capture(ms, s, p + 2, S_CAP_POSITION);
            else
                s = S_pm_start_capture(ms, s, p + 1, S_CAP_UNFINISHED);
            goto done;
        case ')':
            s = S_pm_end_capture(ms, s, p + 1);
            goto done;
        case '$':
            if (p + 1 == ms->pat_end) {
                if (s != ms->src_end) s = NULL;
                goto done;
            }
            break;
        case '%':
            if (p + 1 >= ms->pat_end) break;
            if (p[1] == 'b') {
                s = S_pm_balance(ms, s, p + 2);
                if (!s) goto done;
                p += 4;
                continue;
            }
            if (p[1] == 'f') {
                p += 2;
                if (p >= ms->pat_end || *p != '[')
                    luaL_error(ms->L, "missing '[' after '%%f' in pattern");
                const char *ep = S_pm_class_end(ms, p);
                int prev = s == ms->src ? 0 : S_uc(s[-1]);
                int cur = s < ms->src_end ? S_uc(*s) : 0;
                if (!S_pm_bracket(prev, p, ep - 1) && S_pm_bracket(cur, p, ep - 1)) {
                    p = ep;
                    continue;
                }
                s = NULL;
                goto done;
            }
            if (p[1] >= '0' && p[1] <= '9') {
                s = S_pm_backref(ms, s, p[1]);
                if (!s) goto done;
                p += 2;
                continue;
            }
            break;
        default: break;
        }
        /* a single-character class, maybe with a quantifier */
        const char *ep = S_pm_class_end(ms, p);
        char q = ep < ms->pat_end ? *ep : '\0';
        if (!S_pm_single(ms, s, p, ep)) {
            if (q == '*' || q == '?' || q == '-') {
                p = ep + 1;
                continue;
            }
            s = NULL;
            goto done;
        }
        if (q == '?') {
            const char *r = S_pm_match(ms, s + 1, ep + 1);
            if (r) {
                s = r;
                goto done;
            }
            p = ep + 1;
            continue;
        }
        if (q == '+') s = S_pm_max_expand(ms, s + 1, p, ep);
        else if (q == '*') s = S_pm_max_expand(ms, s, p, ep);
        else if (q == '-') s = S_pm_min_expand(ms, s, p, ep);
        else {
            s++;
            p = ep;
            continue;
        }
        goto done;
    }
done:
    ms->depth--;
    return s;
}

static void S_pm_init(S_match *ms, lua_State *L, const char *s, size_t ls, const char *p, size_t lp) {
    ms->L = L;
    ms->src = s;
    ms->src_end = s + ls;
    ms->pat_end = p + lp;
    ms->level = ms->depth = 0;
    ms->steps = 0;
}

static void S_pm_push_capture(S_match *ms, int i, const char *s, const char *e) {
    if (i >= ms->level) {
        if (i != 0) luaL_error(ms->L, "invalid capture index %%%d", i + 1);
        lua_pushlstring(ms->L, s, (size_t)(e - s));
        return;
    }
    ptrdiff_t l = ms->cap[i].len;
    if (l == S_CAP_UNFINISHED) luaL_error(ms->L, "unfinished capture");
    if (l == S_CAP_POSITION) lua_pushinteger(ms->L, (ms->cap[i].init - ms->src) + 1);
    else lua_pushlstring(ms->L, ms->cap[i].init, (size_t)l);
}

/* Pushes the captures (the whole match when there are none and s != NULL). */
static int S_pm_push_captures(S_match *ms, const char *s, const char *e) {
    int n = ms->level == 0 && s ? 1 : ms->level;
    luaL_checkstack(ms->L, n, "too many captures");
    for (int i = 0; i < n; i++) S_pm_push_capture(ms, i, s, e);
    return n;
}

/* Lua's string positions: negative counts from the end; result >= 1. */
static size_t S_posrelat(lua_Integer pos, size_t len) {
    if (pos > 0) return (size_t)pos;
    if (pos == 0 || pos < -(lua_Integer)len) return 1;
    return len + (size_t)pos + 1;
}

static int S_nospecials(const char *p, size_t lp) {
    for (size_t i = 0; i < lp; i++)
        if (memchr(S_SPECIALS, p[i], sizeof S_SPECIALS - 1)) return 0;
    return 1;
}

static int S_find_aux(lua_State *L, int find) {
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    size_t init = S_posrelat(luaL_optinteger(L, 3, 1), ls) - 1;
    if (init > ls) {
        luaL_pushfail(L);
        return 1;
    }
    if (find && (lua_toboolean(L, 4) || S_nospecials(p, lp))) {
        sandbox_charge(L, (long long)((ls - init) / S_BYTES_PER_UNIT));
        const char *f = memmem(s + init, ls - init, p, lp);
        if (f) {
            lua_pushinteger(L, (f - s) + 1);
            lua_pushinteger(L, (lua_Integer)((size_t)(f - s) + lp));
            return 2;
        }
    } else {
        S_match ms;
        const char *s1 = s + init;
        int anchor = lp > 0 && *p == '^';
        if (anchor) {
            p++;
            lp--;
        }
        S_pm_init(&ms, L, s, ls, p, lp);
        do {
            ms.level = ms.depth = 0;
            const char *e = S_pm_match(&ms, s1, p);
            if (e) {
                S_pm_flush(&ms);
                if (!find) return S_pm_push_captures(&ms, s1, e);
                lua_pushinteger(L, (s1 - s) + 1);
                lua_pushinteger(L, e - s);
                return S_pm_push_captures(&ms, NULL, NULL) + 2;
            }
        } while (s1++ < ms.src_end && !anchor);
        S_pm_flush(&ms);
    }
    luaL_pushfail(L);
    return 1;
}

static int S_str_find(lua_State *L) { return S_find_aux(L, 1); }
static int S_str_match(lua_State *L) { return S_find_aux(L, 0); }

typedef struct S_gmatch {
    const char *src, *p, *lastmatch;
    S_match ms;
} S_gmatch;

static int S_gmatch_next(lua_State *L) {
    S_gmatch *gm = lua_touserdata(L, lua_upvalueindex(3));
    gm->ms.L = L;
    for (const char *src = gm->src; src <= gm->ms.src_end; src++) {
        gm->ms.level = gm->ms.depth = 0;
        const char *e = S_pm_match(&gm->ms, src, gm->p);
        if (e && e != gm->lastmatch) {
            gm->src = gm->lastmatch = e;
            S_pm_flush(&gm->ms);
            return S_pm_push_captures(&gm->ms, src, e);
        }
    }
    gm->src = gm->ms.src_end + 1; /* exhausted: later calls return at once */
    S_pm_flush(&gm->ms);
    return 0;
}

static int S_str_gmatch(lua_State *L) {
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    size_t init = S_posrelat(luaL_optinteger(L, 3, 1), ls) - 1;
    lua_settop(L, 2);
    S_gmatch *gm = lua_newuserdatauv(L, sizeof *gm, 0);
    if (init > ls) init = ls + 1;
    S_pm_init(&gm->ms, L, s, ls, p, lp);
    gm->src = s + init;
    gm->p = p;
    gm->lastmatch = NULL;
    lua_pushcclosure(L, S_gmatch_next, 3);
    return 1;
}

static void S_pm_add_s(S_match *ms, luaL_Buffer *b, const char *s, const char *e) {
    lua_State *L = ms->L;
    size_t l;
    const char *news = lua_tolstring(L, 3, &l), *p;
    while ((p = memchr(news, '%', l)) != NULL) {
        luaL_addlstring(b, news, (size_t)(p - news));
        p++;
        if (p < news + l && *p == '%') {
            luaL_addchar(b, '%');
        } else if (p < news + l && *p == '0') {
            luaL_addlstring(b, s, (size_t)(e - s));
        } else if (p < news + l && *p >= '1' && *p <= '9') {
            S_pm_push_capture(ms, *p - '1', s, e);
            luaL_tolstring(L, -1, NULL);
            lua_remove(L, -2);
            luaL_addvalue(b);
        } else {
            luaL_error(L, "invalid use of '%%' in replacement string");
        }
        l -= (size_t)(p + 1 - news);
        news = p + 1;
    }
    luaL_addlstring(b, news, l);
}

/* Adds the replacement for match s..e; returns whether it changed the text. */
static int S_pm_add_value(S_match *ms, luaL_Buffer *b, const char *s, const char *e, int tr) {
    lua_State *L = ms->L;
    if (tr == LUA_TFUNCTION) {
        lua_pushvalue(L, 3);
        int n = S_pm_push_captures(ms, s, e);
        lua_call(L, n, 1);
    } else if (tr == LUA_TTABLE) {
        S_pm_push_capture(ms, 0, s, e);
        lua_gettable(L, 3);
    } else {
        S_pm_add_s(ms, b, s, e);
        return 1;
    }
    if (!lua_toboolean(L, -1)) {
        lua_pop(L, 1);
        luaL_addlstring(b, s, (size_t)(e - s));
        return 0;
    }
    if (!lua_isstring(L, -1))
        return luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    luaL_addvalue(b);
    return 1;
}

static int S_str_gsub(lua_State *L) {
    size_t srcl, lp;
    const char *src = luaL_checklstring(L, 1, &srcl);
    const char *p = luaL_checklstring(L, 2, &lp);
    const char *lastmatch = NULL;
    int tr = lua_type(L, 3);
    lua_Integer max_s = luaL_optinteger(L, 4, (lua_Integer)srcl + 1);
    int anchor = lp > 0 && *p == '^', changed = 0;
    lua_Integer n = 0;
    S_match ms;
    luaL_Buffer b;
    luaL_argexpected(L, tr == LUA_TNUMBER || tr == LUA_TSTRING || tr == LUA_TFUNCTION || tr == LUA_TTABLE,
                     3, "string/function/table");
    luaL_buffinit(L, &b);
    if (anchor) {
        p++;
        lp--;
    }
    S_pm_init(&ms, L, src, srcl, p, lp);
    while (n < max_s) {
        ms.level = ms.depth = 0;
        const char *e = S_pm_match(&ms, src, p);
        if (e && e != lastmatch) {
            n++;
            changed = S_pm_add_value(&ms, &b, src, e, tr) | changed;
            src = lastmatch = e;
        } else if (src < ms.src_end) {
            luaL_addchar(&b, *src++);
        } else {
            break;
        }
        if (anchor) break;
    }
    S_pm_flush(&ms);
    if (!changed) {
        lua_pushvalue(L, 1);
    } else {
        luaL_addlstring(&b, src, (size_t)(ms.src_end - src));
        luaL_pushresult(&b);
    }
    lua_pushinteger(L, n);
    return 2;
}

/* ------------------------------------------------------------------------
 * Building the state
 * ------------------------------------------------------------------------ */

static const char *const S_safe_base[] = {
    "assert", "error", "getmetatable", "ipairs", "next", "pcall", "rawequal", "rawget",
    "rawlen", "rawset", "select", "tostring", "type", "_VERSION", NULL};

/* Runs protected (a memory error while building the state is a failure). */
static int S_setup(lua_State *L) {
    sandbox *sb = S_from(L);
    luaL_requiref(L, LUA_GNAME, luaopen_base, 1);            /* 1: the base library */
    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 0);     /* 2 */
    luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 0);      /* 3 */
    luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 0);      /* 4 */
    luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 0);      /* 5 */
    const int G = 1, STR = 2, TAB = 3, MATH = 4, UTF8 = 5;

    /* string: the real table stays behind the string metatable's __index,
     * so it is hardened in place and its metatable is hidden. */
    lua_pushnil(L);
    lua_setfield(L, STR, "dump");
    static const luaL_Reg strfns[] = {{"find", S_str_find}, {"match", S_str_match},
                                      {"gmatch", S_str_gmatch}, {"gsub", S_str_gsub},
                                      {"rep", S_str_rep}, {NULL, NULL}};
    for (const luaL_Reg *r = strfns; r->name; r++) {
        lua_pushcfunction(L, r->func);
        lua_setfield(L, STR, r->name);
    }
    S_wrap(L, STR, "byte", CH_RESULTS);
    S_wrap(L, STR, "unpack", CH_RESULTS);
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 2);

    lua_pushcfunction(L, S_table_sort);
    lua_setfield(L, TAB, "sort");
    S_wrap(L, TAB, "insert", CH_INSERT);
    S_wrap(L, TAB, "remove", CH_REMOVE);
    S_wrap(L, TAB, "move", CH_MOVE);
    S_wrap(L, TAB, "concat", CH_CONCAT);
    S_wrap(L, TAB, "unpack", CH_RESULTS);

    lua_getfield(L, MATH, "randomseed");
    lua_pushvalue(L, -1);
    sb->ref_seed = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushcclosure(L, S_randomseed, 1);
    lua_setfield(L, MATH, "randomseed");

    S_wrap(L, UTF8, "codepoint", CH_RESULTS);
    S_wrap(L, UTF8, "len", CH_LEN1);
    S_wrap(L, UTF8, "offset", CH_LEN1);

    for (int i = 0; i < S_NLIBS; i++) {
        lua_pushvalue(L, STR + i);
        sb->ref_libs[i] = luaL_ref(L, LUA_REGISTRYINDEX);
    }

    /* the shared, read-only safe globals */
    lua_newtable(L);
    int safe = lua_gettop(L);
    for (int i = 0; S_safe_base[i]; i++) {
        lua_getfield(L, G, S_safe_base[i]);
        lua_setfield(L, safe, S_safe_base[i]);
    }
    S_wrap(L, G, "tonumber", CH_LEN1);
    lua_getfield(L, G, "tonumber");
    lua_setfield(L, safe, "tonumber");
    lua_pushcfunction(L, S_pairs);
    lua_setfield(L, safe, "pairs");
    lua_pushcfunction(L, S_noop);
    lua_setfield(L, safe, "print");
    lua_getfield(L, G, "setmetatable");
    lua_pushcclosure(L, S_setmetatable, 1);
    lua_setfield(L, safe, "setmetatable");
    lua_getfield(L, G, "xpcall");
    lua_pushcclosure(L, S_xpcall, 1);
    lua_setfield(L, safe, "xpcall");
    lua_getfield(L, G, "load");
    lua_pushcclosure(L, S_load, 1);
    lua_setfield(L, safe, "load");
    lua_createtable(L, 0, 2);
    lua_pushcfunction(L, S_readonly);
    lua_setfield(L, -2, "__newindex");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, safe);
    /* chunks loaded without an environment see only the safe globals */
    lua_pushvalue(L, safe);
    lua_rawseti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);

    lua_createtable(L, 0, 2);
    lua_pushvalue(L, safe);
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    sb->ref_envmt = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

sandbox *sandbox_new(const sandbox_limits *limits) {
    sandbox *sb = calloc(1, sizeof *sb);
    if (!sb) return NULL;
    sb->mem_cap = limits && limits->memory_bytes ? limits->memory_bytes : S_DEFAULT_MEMORY;
    if (sb->mem_cap > SIZE_MAX / 4) sb->mem_cap = SIZE_MAX / 4;
    sb->mem_hard = sb->mem_cap + sb->mem_cap / 2;
    sb->budget = limits && limits->instructions > 0 ? limits->instructions : S_DEFAULT_INSTRUCTIONS;
    if (sb->budget > LLONG_MAX / 4) sb->budget = LLONG_MAX / 4;
    sb->call_budget = sb->budget;
    sb->total_budget = limits && limits->total_instructions > 0 ? limits->total_instructions : 0;
    if (sb->total_budget > LLONG_MAX / 4) sb->total_budget = LLONG_MAX / 4;
    sb->total = limits && limits->total ? limits->total : &sb->own_total;
    sb->seconds = limits && limits->seconds > 0 ? limits->seconds : S_DEFAULT_SECONDS;
    /* each limit's message names the site.yaml setting that raises it */
    snprintf(sb->text[SANDBOX_BUDGET], sizeof sb->text[0],
             "instruction budget exceeded (site.yaml limits.lua_instructions: %lld)", sb->call_budget);
    snprintf(sb->text[SANDBOX_MEMORY], sizeof sb->text[0],
             "memory limit exceeded (site.yaml limits.lua_memory_mb: %g)", (double)sb->mem_cap / 1048576.0);
    snprintf(sb->text[SANDBOX_TIME], sizeof sb->text[0], "time limit exceeded (site.yaml limits.lua_seconds: %g)",
             sb->seconds);
    snprintf(sb->text[SANDBOX_TOTAL], sizeof sb->text[0],
             "instruction budget exceeded (site.yaml limits.%s: %lld, for all together)",
             limits && limits->total_key ? limits->total_key : "total_instructions", sb->total_budget);
    sb->L = lua_newstate(S_alloc, sb);
    if (!sb->L) {
        free(sb);
        return NULL;
    }
    lua_atpanic(sb->L, S_panic);
    lua_pushcfunction(sb->L, S_setup);
    if (lua_pcall(sb->L, 0, 0, 0) != LUA_OK) {
        sandbox_free(sb);
        return NULL;
    }
    lua_sethook(sb->L, S_hook, LUA_MASKCOUNT, S_HOOK_EVERY);
    return sb;
}

void sandbox_free(sandbox *sb) {
    if (!sb) return;
    if (sb->L) lua_close(sb->L);
#ifndef PP_ARENA_DEBUG
    S_pool_free_all(sb);
#endif
    free(sb->err);
    free(sb);
}

lua_State *sandbox_lua(sandbox *sb) { return sb->L; }

/* ------------------------------------------------------------------------
 * Loading and calling
 * ------------------------------------------------------------------------ */

static void S_fresh_limits(sandbox *sb) {
    sb->used = 0;
    sb->budget = sb->call_budget;
    sb->by_total = 0;
    if (sb->total_budget) {
        long long left = sb->total_budget - atomic_load(&sb->total->used);
        if (left < sb->budget) {
            sb->budget = left > 0 ? left : 0;
            sb->by_total = 1;
        }
    }
    sb->sticky = 0;
    sb->refused = 0;
    sb->sticky_msg[0] = '\0';
    clock_gettime(CLOCK_MONOTONIC, &sb->t0);
    lua_sethook(sb->L, S_hook, LUA_MASKCOUNT, S_HOOK_EVERY);
}

int sandbox_load(sandbox *sb, const char *code, size_t len, const char *chunkname,
                 int env_idx, const char **err) {
    lua_State *L = sb->L;
    env_idx = lua_absindex(L, env_idx);
    sb->enforce++;
    int status = luaL_loadbufferx(L, code, len, chunkname, "t");
    sb->enforce--;
    int trouble = sb->refused || sb->sticky;
    if (!sb->depth && trouble) S_fresh_limits(sb);
    if (status != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        char id[LUA_IDSIZE];
        S_chunkid(id, chunkname);
        size_t n = strlen(id);
        if (status == LUA_ERRMEM || !msg) {
            char text[220];
            snprintf(text, sizeof text, ": %s", sb->text[SANDBOX_MEMORY]);
            S_keep_err(sb, chunkname[0] == '@' ? chunkname + 1 : id, text);
        } else if (chunkname[0] == '@' && strncmp(msg, id, n) == 0 && msg[n] == ':') {
            S_keep_err(sb, chunkname + 1, msg + n); /* the whole path, even a long one */
        } else {
            S_keep_err(sb, NULL, msg);
        }
        lua_pop(L, 1);
        if (trouble) lua_gc(L, LUA_GCCOLLECT);
        if (err) *err = sb->err ? sb->err : "out of memory";
        return -1;
    }
    lua_pushvalue(L, env_idx);
    if (!lua_setupvalue(L, -2, 1)) lua_pop(L, 1);
    return 0;
}

/* Makes sb->err from the error object on top of the stack. */
static void S_call_error(sandbox *sb, int status) {
    lua_State *L = sb->L;
    const char *msg = lua_tostring(L, -1);
    char place[300];
    snprintf(place, sizeof place, "%s: ", sb->where);
    if (!msg) msg = "(error object is not a string)";
    if (sb->sticky) {
        const char *text = sb->text[sb->sticky];
        if (strstr(msg, text) && S_has_place(msg)) S_keep_err(sb, NULL, msg);
        else if (sb->sticky_msg[0]) S_keep_err(sb, NULL, sb->sticky_msg);
        else S_keep_err(sb, place, text);
    } else if (status == LUA_ERRMEM || (sb->refused && strstr(msg, "not enough memory"))) {
        S_keep_err(sb, place, sb->text[SANDBOX_MEMORY]);
    } else if (status == LUA_ERRERR || !S_has_place(msg)) {
        S_keep_err(sb, place, msg);
    } else {
        S_keep_err(sb, NULL, msg);
    }
}

int sandbox_call(sandbox *sb, int nargs, int nresults, const char **err) {
    lua_State *L = sb->L;
    int base = lua_gettop(L) - nargs, outer = sb->depth == 0;
    if (outer) {
        lua_Debug ar;
        S_fresh_limits(sb);
        lua_pushvalue(L, base);
        if (lua_isfunction(L, -1) && lua_getinfo(L, ">S", &ar)) { /* pops it */
            snprintf(sb->where, sizeof sb->where, "%s", S_srcname(&ar));
        } else {
            lua_pop(L, 1);
            snprintf(sb->where, sizeof sb->where, "?");
        }
        lua_rawgeti(L, LUA_REGISTRYINDEX, sb->ref_seed); /* a fixed random sequence */
        lua_pushinteger(L, 0);
        lua_call(L, 1, 0);
    }
    lua_pushcfunction(L, sandbox_msgh);
    lua_insert(L, base);
    sb->depth++;
    sb->enforce++;
    int status = lua_pcall(L, nargs, nresults, base);
    sb->depth--;
    sb->enforce--;
    lua_remove(L, base);
    if (status == LUA_OK && outer && sb->sticky) {
        /* the limit was crossed by the last allocation: no instruction followed */
        lua_settop(L, base - 1);
        lua_pushstring(L, sb->text[sb->sticky]);
        status = LUA_ERRRUN;
    }
    if (status != LUA_OK) {
        S_call_error(sb, status);
        lua_pop(L, 1);
    }
    if (outer) {
        int trouble = sb->sticky || sb->refused || status == LUA_ERRMEM;
        sb->last_hit = sb->sticky ? sb->sticky : trouble && status != LUA_OK ? SANDBOX_MEMORY : SANDBOX_OK;
        if (sb->total_budget) atomic_fetch_add(&sb->total->used, sb->used);
        S_fresh_limits(sb);
        if (trouble) lua_gc(L, LUA_GCCOLLECT);
    }
    if (status == LUA_OK) return 0;
    if (err) *err = sb->err ? sb->err : "out of memory";
    return -1;
}

int sandbox_limit_hit(const sandbox *sb) { return sb->last_hit; }
