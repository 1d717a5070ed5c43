/* bodies.c — the body registry: loading, the parent tree, name resolution
 * by closeness to the issuer, did-you-mean suggestions. */
#include "bodies.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "yamldoc.h"

void bodies_init(bodies *b, arena *a) {
    memset(b, 0, sizeof *b);
    b->a = a;
    strmap_init(&b->by_id, a);
    strmap_init(&b->by_name, a);
}

body *bodies_get(const bodies *b, const char *id) { return strmap_get(&b->by_id, id); }

static void S_index_name(bodies *b, const char *name, body *bd) {
    body_list *l = strmap_get(&b->by_name, name);
    if (!l) {
        l = arena_alloc(b->a, sizeof *l);
        strmap_put(&b->by_name, name, l);
    }
    for (size_t i = 0; i < l->n; i++)
        if (l->items[i] == bd) return;
    l->items = arena_grow(b->a, l->items, sizeof *l->items, &l->cap, l->n + 1);
    l->items[l->n++] = bd;
}

static void S_append(bodies *b, body *bd) {
    b->items = arena_grow(b->a, b->items, sizeof *b->items, &b->cap, b->n + 1);
    b->items[b->n++] = bd;
}

static const char *S_str(diag *d, const char *path, const yvalue *entry, const char *key,
                         int required) {
    const yvalue *v = yaml_map_get(entry, key);
    if (!v || yaml_is_null(v)) {
        if (required)
            diag_error(d, path, entry->line, entry->col, "body entry without `%s`", key);
        return NULL;
    }
    if (v->kind != YAML_V_SCALAR || (required && v->len == 0)) {
        diag_error(d, path, v->line, v->col, "`%s` must be a non-empty value", key);
        return NULL;
    }
    return v->str;
}

int bodies_load(bodies *b, diag *d, const char *path, const char *src, size_t len) {
    yvalue *root = NULL;
    b->path = path;
    if (yaml_parse_doc(b->a, d, path, 1, src, len, &root) < 0) return -1;
    if (!root) return 0;
    if (root->kind != YAML_V_SEQ) {
        diag_error(d, path, root->line, root->col, "bodies.yaml must be a list of bodies (`- id: ...`)");
        return -1;
    }
    for (size_t i = 0; i < root->n; i++) {
        const yvalue *e = root->items[i];
        if (e->kind != YAML_V_MAP) {
            diag_error(d, path, e->line, e->col, "each body is a mapping: `- id: x` and `name: ...`");
            continue;
        }
        const char *id = S_str(d, path, e, "id", 1), *name = S_str(d, path, e, "name", 1);
        if (!id || !name) continue;
        if (!text_is_id(id)) {
            const yvalue *v = yaml_map_get(e, "id");
            diag_error(d, path, v->line, v->col,
                       "invalid body id \"%s\": use lowercase letters, digits and '-'", id);
            continue;
        }
        body *prev = bodies_get(b, id);
        if (prev) {
            const yvalue *v = yaml_map_get(e, "id");
            diag_error(d, path, v->line, v->col, "duplicate body id \"%s\" (first at line %d)", id,
                       prev->line);
            continue;
        }
        body *bd = arena_alloc(b->a, sizeof *bd);
        bd->id = id;
        bd->name = name;
        bd->line = e->line;
        bd->col = e->col;
        bd->declared = 1;
        bd->url = S_str(d, path, e, "url", 0);
        bd->kind = S_str(d, path, e, "kind", 0);
        bd->parent_id = S_str(d, path, e, "parent", 0);
        const yvalue *al = yaml_map_get(e, "aliases");
        if (al && !yaml_is_null(al)) {
            const yvalue *one[1] = {al};
            yvalue *const *its = (yvalue *const *)one;
            size_t cnt = 1;
            if (al->kind == YAML_V_SEQ) {
                its = al->items;
                cnt = al->n;
            } else if (al->kind != YAML_V_SCALAR) {
                diag_error(d, path, al->line, al->col, "`aliases` must be a list of names");
                cnt = 0;
            }
            bd->aliases = arena_alloc(b->a, (cnt ? cnt : 1) * sizeof *bd->aliases);
            for (size_t k = 0; k < cnt; k++) {
                if (its[k]->kind != YAML_V_SCALAR || its[k]->len == 0) {
                    diag_error(d, path, its[k]->line, its[k]->col, "an alias must be a non-empty name");
                    continue;
                }
                bd->aliases[bd->naliases++] = its[k]->str;
            }
        }
        strmap_put(&b->by_id, id, bd);
        S_append(b, bd);
        S_index_name(b, name, bd);
        for (size_t k = 0; k < bd->naliases; k++) S_index_name(b, bd->aliases[k], bd);
    }
    /* Parents: each must exist; the tree must have no cycle. */
    for (size_t i = 0; i < b->n; i++) {
        body *bd = b->items[i];
        if (!bd->parent_id) continue;
        bd->parent = bodies_get(b, bd->parent_id);
        if (!bd->parent)
            diag_error(d, path, bd->line, bd->col, "body \"%s\": parent \"%s\" does not exist",
                       bd->id, bd->parent_id);
    }
    for (size_t i = 0; i < b->n; i++) {
        body *slow = b->items[i], *fast = b->items[i];
        int cycle = 0;
        while (fast && fast->parent) {
            slow = slow->parent;
            fast = fast->parent->parent;
            if (fast && slow == fast) {
                cycle = 1;
                break;
            }
        }
        if (cycle) {
            body *bd = b->items[i];
            diag_error(d, path, bd->line, bd->col, "body \"%s\" is its own ancestor (a cycle of `parent`)",
                       bd->id);
            bd->parent = NULL; /* break it, so that later walks end */
        }
    }
    bodies_finish(b);
    return 0;
}

static int S_cmp_body(const void *x, const void *y) {
    return strcmp((*(body *const *)x)->id, (*(body *const *)y)->id);
}

void bodies_finish(bodies *b) {
    qsort(b->items, b->n, sizeof *b->items, S_cmp_body);
    for (size_t i = 0; i < b->n; i++) {
        b->items[i]->nchildren = 0;
        int depth = 0;
        for (body *p = b->items[i]->parent; p && depth <= (int)b->n; p = p->parent) depth++;
        b->items[i]->depth = depth;
    }
    /* children, in id order (items are sorted) */
    for (size_t i = 0; i < b->n; i++) {
        body *p = b->items[i]->parent;
        if (p) p->nchildren++;
    }
    for (size_t i = 0; i < b->n; i++) {
        body *bd = b->items[i];
        bd->children = bd->nchildren ? arena_alloc(b->a, bd->nchildren * sizeof *bd->children) : NULL;
        bd->nchildren = 0;
    }
    for (size_t i = 0; i < b->n; i++) {
        body *p = b->items[i]->parent;
        if (p) p->children[p->nchildren++] = b->items[i];
    }
}

/* Edges between two bodies in the tree; -1 when they share no root. */
static int S_distance(const body *x, const body *y) {
    int dist = 0;
    while (x->depth > y->depth) { x = x->parent; dist++; }
    while (y->depth > x->depth) { y = y->parent; dist++; }
    while (x != y) {
        if (!x->parent || !y->parent) return -1;
        x = x->parent;
        y = y->parent;
        dist += 2;
    }
    return dist;
}

body_match bodies_resolve(const bodies *b, const char *name, const char *issuer_id,
                          const body **out, const body **other) {
    *out = NULL;
    if (other) *other = NULL;
    const body_list *l = strmap_get(&b->by_name, name);
    if (!l || l->n == 0) {
        const body *byid = bodies_get(b, name);
        if (byid) {
            *out = byid;
            return BODY_FOUND;
        }
        return BODY_UNKNOWN;
    }
    if (l->n == 1) {
        *out = l->items[0];
        return BODY_FOUND;
    }
    const body *issuer = issuer_id ? bodies_get(b, issuer_id) : NULL;
    const body *best = NULL, *tie = NULL;
    int best_d = 1 << 30;
    for (size_t i = 0; i < l->n; i++) {
        int dd = issuer ? S_distance(l->items[i], issuer) : -1;
        if (dd < 0) dd = 1 << 29; /* another tree: farther than anything in ours */
        if (dd < best_d) {
            best_d = dd;
            best = l->items[i];
            tie = NULL;
        } else if (dd == best_d && !tie) {
            tie = l->items[i];
        }
    }
    *out = best;
    if (tie) {
        if (other) *other = tie;
        return BODY_AMBIGUOUS;
    }
    return BODY_FOUND;
}

/* Decodes UTF-8 into code points (valid input assumed; at most cap). */
static size_t S_codepoints(const char *s, uint32_t *out, size_t cap) {
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p && n < cap) {
        uint32_t c = *p;
        int len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        if (len > 1) c &= (uint32_t)(0x3F >> (len - 1));
        for (int k = 1; k < len && p[k]; k++) c = (c << 6) | (p[k] & 0x3F);
        out[n++] = c;
        for (int k = 0; k < len && *p; k++) p++;
    }
    return n;
}

static size_t S_edit_distance(const uint32_t *a, size_t n, const uint32_t *b, size_t m) {
    size_t row[65];
    for (size_t j = 0; j <= m; j++) row[j] = j;
    for (size_t i = 1; i <= n; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= m; j++) {
            size_t cur = row[j];
            size_t sub = prev + (a[i - 1] != b[j - 1]);
            size_t del = row[j] + 1, ins = row[j - 1] + 1;
            row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
            prev = cur;
        }
    }
    return row[m];
}

const char *bodies_suggest(const bodies *b, const char *name) {
    uint32_t q[64], c[64];
    size_t nq = S_codepoints(name, q, 64);
    if (nq == 0 || nq >= 64) return NULL;
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    for (size_t i = 0; i < b->by_name.cap; i++) {
        const char *k = b->by_name.keys[i];
        if (!k) continue;
        size_t nc = S_codepoints(k, c, 64);
        if (nc >= 64) continue;
        size_t dd = S_edit_distance(q, nq, c, nc);
        if (dd < best_d || (dd == best_d && best && strcmp(k, best) < 0)) {
            best_d = dd;
            best = k;
        }
    }
    size_t limit = nq / 3 > 1 ? nq / 3 : 1;
    return best && best_d <= limit ? best : NULL;
}

/* The next code point of s (an invalid UTF-8 byte: 0x110000 plus its
 * value), and its length in bytes. */
static uint32_t S_next_cp(const unsigned char *s, size_t *len) {
    uint32_t c = s[0];
    int n = c < 0x80 ? 1 : (c >= 0xC2 && c < 0xE0) ? 2 : (c >= 0xE0 && c < 0xF0) ? 3 : (c >= 0xF0 && c < 0xF5) ? 4 : 0;
    if (n == 0) {
        *len = 1;
        return 0x110000u + c;
    }
    uint32_t v = n == 1 ? c : c & (0x7Fu >> n);
    for (int k = 1; k < n; k++) {
        if ((s[k] & 0xC0) != 0x80) {
            *len = 1;
            return 0x110000u + c;
        }
        v = (v << 6) | (s[k] & 0x3Fu);
    }
    /* overlong forms, surrogates and values past U+10FFFF are bytes too */
    if ((n == 3 && (v < 0x800 || (v >= 0xD800 && v < 0xE000))) || (n == 4 && (v < 0x10000 || v > 0x10FFFF))) {
        *len = 1;
        return 0x110000u + c;
    }
    *len = (size_t)n;
    return v;
}

const char *bodies_unknown_id(const char *name, char buf[BODIES_UNKNOWN_ID_SIZE]) {
    static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    enum { MAX = BODIES_UNKNOWN_ID_SIZE - 1, HASHED = 2 + 16 };
    size_t w = 5, cut = 5;
    memcpy(buf, "name-", 5);
    const unsigned char *p = (const unsigned char *)name;
    int whole = 1;
    while (*p) {
        size_t n;
        uint32_t c = S_next_cp(p, &n);
        char one[5];
        size_t ol = 0;
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            one[ol++] = (char)c;
        } else {
            one[ol++] = '-';
            for (int k = 3; k >= 0; k--) {
                uint32_t d = c;
                for (int m = 0; m < k; m++) d /= 36;
                one[ol++] = digits[d % 36];
            }
        }
        if (w + ol > MAX) {
            whole = 0;
            break;
        }
        if (w + ol <= MAX - HASHED) cut = w + ol;
        memcpy(buf + w, one, ol);
        w += ol;
        p += n;
    }
    if (!whole) {
        /* too long to spell out: a cut spelling and a hash of the whole name */
        uint64_t h = 0xcbf29ce484222325ull;
        for (const unsigned char *q = (const unsigned char *)name; *q; q++) h = (h ^ *q) * 0x100000001b3ull;
        w = cut;
        snprintf(buf + w, BODIES_UNKNOWN_ID_SIZE - w, "--%016llx", (unsigned long long)h);
        return buf;
    }
    buf[w] = '\0';
    return buf;
}

body *bodies_add_unknown(bodies *b, const char *name, diag *d, const char *path, int line, int col) {
    char id[BODIES_UNKNOWN_ID_SIZE];
    bodies_unknown_id(name, id);
    body *bd = bodies_get(b, id);
    if (bd && !bd->declared && strcmp(bd->name, name) == 0) return bd;
    if (bd) {
        /* never merged into another body: an error, once */
        if (!bd->id_taken) {
            bd->id_taken = 1;
            if (bd->declared)
                diag_error(d, b->path, bd->line, bd->col,
                           "body id \"%s\" is the page id of \"%s\", a name that is not in bodies.yaml (%s:%d); "
                           "choose another id, or add the name to this body's aliases",
                           id, name, path ? path : "?", line);
            else
                diag_error(d, path, line, col,
                           "the bodies \"%s\" and \"%s\" (not in bodies.yaml) would share the page id \"%s\"; "
                           "add one of them to bodies.yaml",
                           name, bd->name, id);
        }
        return NULL;
    }
    bd = arena_alloc(b->a, sizeof *bd);
    bd->id = arena_strdup(b->a, id);
    bd->name = arena_strdup(b->a, name);
    strmap_put(&b->by_id, bd->id, bd);
    S_append(b, bd);
    S_index_name(b, bd->name, bd);
    return bd;
}
