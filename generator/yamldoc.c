/* yamldoc.c — libyaml event stream to a yvalue tree, with positions. */
#include "yamldoc.h"

#include <string.h>
#include <yaml.h>

typedef struct builder {
    arena *a;
    diag *d;
    const char *path;
    int first_line;
    size_t nodes;
} builder;

static yvalue *S_new(builder *b, yaml_vkind kind, const yaml_mark_t *m) {
    yvalue *v = arena_alloc(b->a, sizeof *v);
    v->kind = kind;
    v->line = (int)m->line + b->first_line;
    v->col = (int)m->column + 1;
    return v;
}

static int S_next(builder *b, yaml_parser_t *p, yaml_event_t *ev) {
    if (!yaml_parser_parse(p, ev)) {
        const yaml_mark_t *m = &p->problem_mark;
        diag_error(b->d, b->path, (int)m->line + b->first_line, (int)m->column + 1,
                   "malformed YAML: %s%s%s", p->problem ? p->problem : "syntax error",
                   p->context ? " " : "", p->context ? p->context : "");
        return -1;
    }
    return 0;
}

/* Builds the node that starts with event `ev` (already read). */
static int S_node(builder *b, yaml_parser_t *p, yaml_event_t *ev, int depth, yvalue **out) {
    if (++b->nodes > YAML_MAX_NODES) {
        diag_error(b->d, b->path, (int)ev->start_mark.line + b->first_line,
                   (int)ev->start_mark.column + 1, "YAML document too large (over %d values)",
                   YAML_MAX_NODES);
        return -1;
    }
    if (depth > YAML_MAX_DEPTH) {
        diag_error(b->d, b->path, (int)ev->start_mark.line + b->first_line,
                   (int)ev->start_mark.column + 1, "YAML nested too deep (over %d levels)",
                   YAML_MAX_DEPTH);
        return -1;
    }
    switch (ev->type) {
    case YAML_ALIAS_EVENT:
        diag_error(b->d, b->path, (int)ev->start_mark.line + b->first_line,
                   (int)ev->start_mark.column + 1, "YAML aliases (*name) are not supported");
        return -1;
    case YAML_SCALAR_EVENT: {
        yvalue *v = S_new(b, YAML_V_SCALAR, &ev->start_mark);
        v->len = ev->data.scalar.length;
        if (memchr(ev->data.scalar.value, 0, v->len)) {
            diag_error(b->d, b->path, v->line, v->col, "NUL character in a YAML value");
            return -1;
        }
        v->str = arena_strndup(b->a, (const char *)ev->data.scalar.value, v->len);
        v->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        *out = v;
        return 0;
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        int is_map = ev->type == YAML_MAPPING_START_EVENT;
        yvalue *v = S_new(b, is_map ? YAML_V_MAP : YAML_V_SEQ, &ev->start_mark);
        size_t cap = 0, kcap = 0;
        for (;;) {
            yaml_event_t child;
            if (S_next(b, p, &child) < 0) return -1;
            if (child.type == YAML_SEQUENCE_END_EVENT || child.type == YAML_MAPPING_END_EVENT) {
                yaml_event_delete(&child);
                break;
            }
            yvalue *key = NULL, *item = NULL;
            int rc = S_node(b, p, &child, depth + 1, is_map ? &key : &item);
            yaml_event_delete(&child);
            if (rc < 0) return -1;
            if (is_map) {
                if (key->kind != YAML_V_SCALAR) {
                    diag_error(b->d, b->path, key->line, key->col, "a YAML key must be a plain value");
                    return -1;
                }
                for (size_t i = 0; i < v->n; i++) {
                    if (strcmp(v->keys[i]->str, key->str) == 0) {
                        diag_error(b->d, b->path, key->line, key->col,
                                   "duplicate key \"%s\" (first at line %d)", key->str,
                                   v->keys[i]->line);
                        return -1;
                    }
                }
                if (S_next(b, p, &child) < 0) return -1;
                rc = S_node(b, p, &child, depth + 1, &item);
                yaml_event_delete(&child);
                if (rc < 0) return -1;
                v->keys = arena_grow(b->a, v->keys, sizeof *v->keys, &kcap, v->n + 1);
                v->keys[v->n] = key;
            }
            v->items = arena_grow(b->a, v->items, sizeof *v->items, &cap, v->n + 1);
            v->items[v->n++] = item;
        }
        *out = v;
        return 0;
    }
    default:
        diag_error(b->d, b->path, (int)ev->start_mark.line + b->first_line,
                   (int)ev->start_mark.column + 1, "unexpected YAML event");
        return -1;
    }
}

int yaml_parse_doc(arena *a, diag *d, const char *path, int first_line,
                   const char *src, size_t len, yvalue **out) {
    builder b = {a, d, path, first_line > 0 ? first_line : 1, 0};
    yaml_parser_t p;
    yaml_event_t ev;
    int rc = -1, have_event = 0;
    *out = NULL;
    if (!yaml_parser_initialize(&p)) {
        diag_error(d, path, 0, 0, "out of memory reading YAML");
        return -1;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)src, len);
    yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
    for (;;) {
        if (S_next(&b, &p, &ev) < 0) goto done;
        have_event = 1;
        if (ev.type == YAML_STREAM_END_EVENT) break;
        if (ev.type == YAML_DOCUMENT_START_EVENT && *out) {
            diag_error(d, path, (int)ev.start_mark.line + b.first_line,
                       (int)ev.start_mark.column + 1, "more than one YAML document");
            goto done;
        }
        if (ev.type == YAML_SCALAR_EVENT || ev.type == YAML_SEQUENCE_START_EVENT ||
            ev.type == YAML_MAPPING_START_EVENT || ev.type == YAML_ALIAS_EVENT) {
            if (S_node(&b, &p, &ev, 0, out) < 0) goto done;
        }
        yaml_event_delete(&ev);
        have_event = 0;
    }
    rc = 0;
done:
    if (have_event) yaml_event_delete(&ev);
    yaml_parser_delete(&p);
    return rc;
}

const yvalue *yaml_map_get(const yvalue *map, const char *key) {
    if (!map || map->kind != YAML_V_MAP) return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->keys[i]->str, key) == 0) return map->items[i];
    return NULL;
}

int yaml_is_null(const yvalue *v) {
    if (!v) return 1;
    if (v->kind != YAML_V_SCALAR || !v->plain) return 0;
    return v->len == 0 || strcmp(v->str, "~") == 0 || strcmp(v->str, "null") == 0 ||
           strcmp(v->str, "Null") == 0 || strcmp(v->str, "NULL") == 0;
}

const char *yaml_kind_name(const yvalue *v) {
    if (!v) return "nothing";
    switch (v->kind) {
    case YAML_V_SCALAR: return "a value";
    case YAML_V_SEQ: return "a list";
    default: return "a mapping";
    }
}
