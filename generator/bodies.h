/* bodies.h — the responsible bodies of bodies.yaml: a tree drawn by
 * `parent`, names and aliases, and the resolution of a name used in a plan to
 * the candidate closest to the plan's issuer. */
#ifndef PP_BODIES_H
#define PP_BODIES_H
#include <stddef.h>

#include "arena.h"
#include "diag.h"
#include "strmap.h"

typedef struct body body;
struct body {
    const char *id;       /* [a-z0-9-]+ */
    const char *name;
    const char **aliases;
    size_t naliases;
    const char *url, *kind;   /* optional */
    const char *parent_id;
    body *parent;
    body **children;      /* sorted by id */
    size_t nchildren;
    int depth;            /* 0 at a root */
    int line, col;        /* where the entry stands in bodies.yaml */
    int declared;         /* 0: an unknown name, given a page of its own */
    int id_taken;         /* declared: an unknown name's id collided with it (reported) */
};

typedef struct body_list {
    body **items;
    size_t n, cap;
} body_list;

typedef struct bodies {
    arena *a;
    const char *path;     /* bodies.yaml's repository path, or NULL */
    body **items;         /* sorted by id */
    size_t n, cap;
    strmap by_id;         /* id -> body */
    strmap by_name;       /* name or alias -> body_list of candidates */
} bodies;

void bodies_init(bodies *b, arena *a);
/* Reads bodies.yaml: a list of {id, name, aliases, parent, url, kind}.
 * Reports duplicate ids, a parent that does not exist, parent cycles, wrong
 * types. Returns 0, or -1 when the file cannot be used at all. */
int bodies_load(bodies *b, diag *d, const char *path, const char *src, size_t len);

body *bodies_get(const bodies *b, const char *id);

typedef enum { BODY_FOUND, BODY_UNKNOWN, BODY_AMBIGUOUS } body_match;
/* Resolves a name or alias (or an id) as written in a plan issued by
 * `issuer_id` (may be NULL): the candidate nearest to the issuer in the
 * tree wins; two at the same distance are ambiguous (*out and *other are
 * the two). Safe to call from many threads. */
body_match bodies_resolve(const bodies *b, const char *name, const char *issuer_id,
                          const body **out, const body **other);
/* The known name or alias nearest to `name` by edit distance (characters),
 * when near enough to be a likely typo; else NULL. */
const char *bodies_suggest(const bodies *b, const char *name);
/* Registers a name that resolves to no body, so that it gets a page, under
 * the id bodies_unknown_id gives it. When that id is a declared body's, or
 * (only possible for a name too long to be spelled out) another unknown
 * name's, reports an error (once) at the declared entry, or at `path`,
 * `line`, `col` (where the name is used), and returns NULL: the name is
 * never merged into another body. Not thread-safe. */
body *bodies_add_unknown(bodies *b, const char *name, diag *d, const char *path, int line, int col);
/* The id bodies_add_unknown gives a name: "name-" and the name spelled out
 * in [a-z0-9-], so that two names never share one: a-z and 0-9 stay, any
 * other character is "-" and its code point in 4 base-36 digits (an invalid
 * UTF-8 byte counts as 0x110000 plus its value). When that is longer than an
 * id may be (100 bytes), the spelling is cut at a character and "--" and 16
 * hex digits of a 64-bit hash of the whole name follow (no spelled-out id
 * holds "--"). The same name gives the same id in every build. */
#define BODIES_UNKNOWN_ID_SIZE 101
const char *bodies_unknown_id(const char *name, char buf[BODIES_UNKNOWN_ID_SIZE]);
/* Sorts items and children by id; call after every bodies_add_unknown. */
void bodies_finish(bodies *b);

#endif
