/* yamldoc.h — YAML documents (front matter, site.yaml, bodies.yaml) read with
 * libyaml into a small tree that remembers where each value stood. */
#ifndef PP_YAMLDOC_H
#define PP_YAMLDOC_H
#include <stddef.h>

#include "arena.h"
#include "diag.h"

typedef enum { YAML_V_SCALAR, YAML_V_SEQ, YAML_V_MAP } yaml_vkind;

typedef struct yvalue yvalue;
struct yvalue {
    yaml_vkind kind;
    int line, col;        /* 1-based, in the file */
    /* scalar */
    const char *str;      /* NUL-terminated; may contain no NUL */
    size_t len;
    int plain;            /* unquoted scalar (so `null`, `~`, `` are null) */
    /* sequence: items; map: keys[i] -> items[i] (keys are scalars) */
    yvalue **items;
    yvalue **keys;
    size_t n;
};

/* Limits: documents nest at most this deep and hold at most this many nodes;
 * anchors and aliases are refused (no "billion laughs"). */
#define YAML_MAX_DEPTH 64
#define YAML_MAX_NODES 1000000

/* Parses one YAML document from src. `path` and `first_line` place the
 * diagnostics in the file. An empty document gives *out = NULL and 0.
 * Returns 0, or -1 after reporting `path:line:col: error: ...`. */
int yaml_parse_doc(arena *a, diag *d, const char *path, int first_line,
                   const char *src, size_t len, yvalue **out);

/* Helpers for reading a tree. */
const yvalue *yaml_map_get(const yvalue *map, const char *key);
int yaml_is_null(const yvalue *v);
const char *yaml_kind_name(const yvalue *v);

#endif
