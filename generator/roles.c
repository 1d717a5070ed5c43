/* roles.c — from headings and list items to goals, tasks and measures. */
#include "roles.h"

#include <stdio.h>
#include <string.h>

#include <stdlib.h>

#include "responsibility.h"
#include "strbuf.h"
#include "text.h"

const char *item_role_name(item_role r) {
    static const char *const names[] = {"goal", "task", "measure"};
    return names[r];
}

/* ---- numbering ------------------------------------------------------------ */

static int S_cn_digit(const char *s, size_t *len) {
    static const char *const digits[] = {"零", "一", "二", "三", "四", "五", "六", "七", "八", "九"};
    for (int i = 0; i < 10; i++) {
        if (strncmp(s, digits[i], 3) == 0) {
            *len = 3;
            return i;
        }
    }
    return -1;
}

/* 一 .. 九十九 */
static size_t S_cn_number(const char *s, int *value) {
    size_t n = 0, l;
    int v = 0, d = S_cn_digit(s, &l);
    if (d >= 0) {
        v = d;
        n = l;
    }
    if (strncmp(s + n, "十", 3) == 0) {
        v = (n ? v : 1) * 10;
        n += 3;
        int u = S_cn_digit(s + n, &l);
        if (u > 0) {
            v += u;
            n += l;
        }
    }
    if (n == 0) return 0;
    *value = v;
    return n;
}

static size_t S_digits(const char *s, int *value) {
    size_t n = 0;
    int v = 0;
    while (s[n] >= '0' && s[n] <= '9' && n < 4) v = v * 10 + (s[n++] - '0');
    if (n == 0) return 0;
    *value = v;
    return n;
}

size_t roles_numbering(const char *t, int *value) {
    size_t n;
    /* （一） (一) （1） (1) */
    size_t open = strncmp(t, "（", 3) == 0 ? 3 : (t[0] == '(' ? 1 : 0);
    if (open) {
        n = S_cn_number(t + open, value);
        if (!n) n = S_digits(t + open, value);
        if (n) {
            const char *c = t + open + n;
            if (strncmp(c, "）", 3) == 0) return open + n + 3;
            if (*c == ')') return open + n + 1;
        }
        return 0;
    }
    /* ① .. ⑳: U+2460..U+2473 = E2 91 A0 .. E2 91 B3 */
    const unsigned char *u = (const unsigned char *)t;
    if (u[0] == 0xE2 && u[1] == 0x91 && u[2] >= 0xA0 && u[2] <= 0xB3) {
        *value = u[2] - 0xA0 + 1;
        return 3;
    }
    /* 一、 */
    n = S_cn_number(t, value);
    if (n) return strncmp(t + n, "、", 3) == 0 ? n + 3 : 0;
    /* 1. 1、 1． */
    n = S_digits(t, value);
    if (n) {
        if (t[n] == '.' && !(t[n + 1] >= '0' && t[n + 1] <= '9')) return n + 1;
        if (strncmp(t + n, "、", 3) == 0 || strncmp(t + n, "．", 3) == 0) return n + 3;
    }
    return 0;
}

/* A list item's title: its first sentence (to 。 or ；), at most 60
 * characters, with … when cut. */
static const char *S_short_title(arena *a, const char *t) {
    size_t i = 0, chars = 0;
    while (t[i] && chars < 60) {
        if (strncmp(t + i, "。", 3) == 0 || strncmp(t + i, "；", 3) == 0) return arena_strndup(a, t, i);
        unsigned char c = (unsigned char)t[i];
        i += c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        chars++;
    }
    if (!t[i]) return t;
    return arena_printf(a, "%.*s…", (int)i, t);
}

/* ---- attributes ----------------------------------------------------------- */

static const char *S_attr(const md_attrs *at, const char *key) {
    if (!at) return NULL;
    for (size_t i = 0; i < at->nkv; i++)
        if (strcmp(at->kv[i].key, key) == 0) return at->kv[i].value;
    return NULL;
}

/* Splits a list of references at spaces and commas (ASCII and full-width). */
static void S_refs(arena *a, const char *s, int line, int col, item_ref **out, size_t *n) {
    size_t cap = 0;
    while (s && *s) {
        while (*s == ' ' || *s == ',' || *s == '\t') s++;
        if (strncmp(s, "，", 3) == 0 || strncmp(s, "、", 3) == 0) {
            s += 3;
            continue;
        }
        if (!*s) break;
        const char *e = s;
        while (*e && *e != ' ' && *e != ',' && *e != '\t' && strncmp(e, "，", 3) != 0 &&
               strncmp(e, "、", 3) != 0)
            e++;
        *out = arena_grow(a, *out, sizeof **out, &cap, *n + 1);
        (*out)[(*n)++] = (item_ref){arena_strndup(a, s, (size_t)(e - s)), line, col, NULL, NULL, 0};
        s = e;
    }
}

static int S_role_class(const char *c, item_role *role, int *section) {
    static const struct {
        const char *name;
        item_role role;
        int section;
    } classes[] = {
        {"goal", ROLE_GOAL, 0},  {"task", ROLE_TASK, 0},  {"measure", ROLE_MEASURE, 0},
        {"goals", ROLE_GOAL, 1}, {"tasks", ROLE_TASK, 1}, {"measures", ROLE_MEASURE, 1},
    };
    for (size_t i = 0; i < sizeof classes / sizeof *classes; i++) {
        if (strcmp(c, classes[i].name) == 0) {
            *role = classes[i].role;
            *section = classes[i].section;
            return 1;
        }
    }
    return 0;
}

/* ---- bodies named in the text and in attributes --------------------------- */

typedef struct extract {
    arena *a;
    diag *d;
    const bodies *b;
    plan *p;
    roles_link *links;
    size_t nlinks, links_cap;
    int failed;
} extract;

/* Resolves a body reference; reports unknown (warning, did-you-mean) and
 * ambiguous (error) names. */
static void S_resolve(extract *x, item_ref *r) {
    const body *found = NULL, *other = NULL;
    body_match m = bodies_resolve(x->b, r->text, x->p->issuer, &found, &other);
    if (m == BODY_FOUND) {
        r->body = found;
        return;
    }
    if (m == BODY_AMBIGUOUS) {
        diag_error(x->d, x->p->doc.path, r->line, r->col,
                   "body name \"%s\" is ambiguous: \"%s\" (%s) and \"%s\" (%s) are equally near "
                   "to the issuer; write the id instead",
                   r->text, found->name, found->id, other->name, other->id);
        x->failed = 1;
        return;
    }
    char idbuf[BODIES_UNKNOWN_ID_SIZE];
    r->unknown_id = arena_strdup(x->a, bodies_unknown_id(r->text, idbuf));
    const char *sug = bodies_suggest(x->b, r->text);
    if (sug)
        diag_warning(x->d, x->p->doc.path, r->line, r->col,
                     "unknown body \"%s\" (did you mean \"%s\"?)", r->text, sug);
    else
        diag_warning(x->d, x->p->doc.path, r->line, r->col,
                     "unknown body \"%s\" (not in bodies.yaml)", r->text);
}

static void S_add_ref(extract *x, item_ref **list, size_t *n, size_t *cap, const char *name,
                      int line, int col, int from_text) {
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*list)[i].text, name) == 0) return;
    *list = arena_grow(x->a, *list, sizeof **list, cap, *n + 1);
    item_ref *r = &(*list)[(*n)++];
    *r = (item_ref){name, line, col, NULL, NULL, from_text};
    S_resolve(x, r);
}

static const item_ref *S_find_ref(const item_ref *list, size_t n, const char *name) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i].text, name) == 0) return &list[i];
    return NULL;
}

/* The document's stated rules (列第一位者为牵头单位，下同), by line. */
typedef struct rule_at {
    int line;
    resp_rule rule;
} rule_at;

typedef struct rules {
    rule_at *at;
    size_t n;
} rules;

/* Finds the rules the plan states, in its headings and paragraphs, in
 * document order; warns of one that contradicts an earlier one. */
static void S_find_rules(extract *x, rules *out) {
    const md_doc *md = &x->p->doc.md;
    size_t cap = 0, bi = 0, pi = 0;
    out->at = NULL;
    out->n = 0;
    while (bi < md->nblocks || pi < md->nparas) {
        const char *t;
        int line, col;
        if (pi >= md->nparas || (bi < md->nblocks && md->blocks[bi].line <= md->paras[pi].line)) {
            t = md->blocks[bi].text;
            line = md->blocks[bi].line;
            col = md->blocks[bi].col;
            bi++;
        } else {
            t = md->paras[pi].text;
            line = md->paras[pi].line;
            col = md->paras[pi].col;
            pi++;
        }
        size_t off;
        resp_rule r = t ? resp_rule_in(t, strlen(t), &off) : RESP_RULE_NONE;
        if (r == RESP_RULE_NONE) continue;
        if (out->n && out->at[out->n - 1].rule != r)
            diag_warning(x->d, x->p->doc.path, line, col,
                         "this rule of who leads contradicts the one stated at line %d; "
                         "it applies from here on",
                         out->at[out->n - 1].line);
        out->at = arena_grow(x->a, out->at, sizeof *out->at, &cap, out->n + 1);
        out->at[out->n++] = (rule_at){line, r};
    }
}

static resp_rule S_rule_at(const rules *rs, int line) {
    resp_rule r = RESP_RULE_NONE;
    for (size_t i = 0; i < rs->n && rs->at[i].line <= line; i++) r = rs->at[i].rule;
    return r;
}

/* A name as the phrase gives it: with the level prefix its list carries
 * (省工业和信息化厅、科技厅 → 省科技厅) when that is a known body or the
 * bare name is not; 国家 only when it makes a known body. */
static const char *S_carried(extract *x, const resp_name *nm) {
    if (!nm->prefix) return nm->name;
    const char *full = arena_printf(x->a, "%s%s", nm->prefix, nm->name);
    const body *f = NULL, *o = NULL;
    if (bodies_resolve(x->b, full, x->p->issuer, &f, &o) != BODY_UNKNOWN) return full;
    if (bodies_resolve(x->b, nm->name, x->p->issuer, &f, &o) != BODY_UNKNOWN) return nm->name;
    return strcmp(nm->prefix, "国家") == 0 ? nm->name : full;
}

#define NO_LINK (-2) /* a phrase made from a table's cells: its names stay text */

/* Adds what one phrase assigns to the task; `k` is the paragraph (-1: the
 * block's own text). */
static void S_assign(extract *x, item *it, size_t bi, int k, const resp *r, int line, int col,
                     size_t *lcap, size_t *pcap, size_t *tcap) {
    it->resp_line = it->resp_line ? it->resp_line : line;
    for (size_t i = 0; i < r->n; i++) {
        const resp_name *nm = &r->names[i];
        const char *name = S_carried(x, nm);
        int lead = nm->lead;
        if (nm->role == RESP_PARTY) {
            const body *f = NULL, *o = NULL;
            if (bodies_resolve(x->b, name, x->p->issuer, &f, &o) == BODY_UNKNOWN) {
                for (size_t j = 0; j < it->nparties; j++)
                    if (strcmp(it->parties[j], name) == 0) goto next;
                it->parties = arena_grow(x->a, it->parties, sizeof *it->parties, tcap, it->nparties + 1);
                it->parties[it->nparties++] = name;
                continue;
            }
            /* a collective party the repository declares: a body, a
             * partner unless the phrase names no lead */
            lead = 1;
            for (size_t j = 0; j < r->n; j++)
                if (r->names[j].role == RESP_LEAD) lead = 0;
        }
        /* named twice (in two phrases of one task): leading wins */
        if (!lead && S_find_ref(it->lead_refs, it->nlead_refs, name)) continue;
        if (lead)
            S_add_ref(x, &it->lead_refs, &it->nlead_refs, lcap, name, line, col, 1);
        else
            S_add_ref(x, &it->partner_refs, &it->npartner_refs, pcap, name, line, col, 1);
        const item_ref *ref = S_find_ref(lead ? it->lead_refs : it->partner_refs,
                                         lead ? it->nlead_refs : it->npartner_refs, name);
        if (!ref) continue;
        const char *id = ref->body ? ref->body->id : ref->unknown_id;
        if (!id || k == NO_LINK) continue;
        x->links = arena_grow(x->a, x->links, sizeof *x->links, &x->links_cap, x->nlinks + 1);
        x->links[x->nlinks++] = (roles_link){bi, k, nm->off, nm->len, arena_printf(x->a, "pp:bodies/%s/", id)};
    next:;
    }
}

/* One text of the task: its phrases after sentences inside it
 * (…。（市场监管总局负责）加强…), then the one that ends it. */
static void S_phrases(extract *x, item *it, size_t bi, int k, const char *t, int line, int col,
                      int flags, const rules *rs, size_t *lcap, size_t *pcap, size_t *tcap) {
    size_t len = strlen(t);
    resp_rule rule = S_rule_at(rs, line);
    resp r;
    for (const char *p = strstr(t, "。（"); p; p = strstr(p + 3, "。（")) {
        /* the bracket's end */
        size_t i = (size_t)(p - t) + 6;
        int depth = 1;
        while (i < len && depth) {
            if (strncmp(t + i, "（", 3) == 0) depth++, i += 3;
            else if (strncmp(t + i, "）", 3) == 0) depth--, i += 3;
            else i++;
        }
        if (depth) break;
        size_t rest = i;
        while (rest < len && (t[rest] == ' ' || strncmp(t + rest, "。", 3) == 0))
            rest += t[rest] == ' ' ? 1 : 3;
        if (rest >= len) break; /* the phrase that ends the text: below */
        if (resp_read(x->a, t, i, 0, rule, &r) == 1) S_assign(x, it, bi, k, &r, line, col, lcap, pcap, tcap);
    }
    int rc = resp_read(x->a, t, len, flags, rule, &r);
    if (rc < 0 && r.labelled) {
        diag_error(x->d, x->p->doc.path, line, col, "%s", r.error);
        x->failed = 1;
    } else if (rc < 0) {
        /* not read at all: never a body made of a fragment */
        size_t left = len - r.err_off;
        diag_warning(x->d, x->p->doc.path, line, col, "%s: no body is read from \"%.*s\"", r.error,
                     (int)(left > 90 ? 90 : left), t + r.err_off);
    } else if (rc > 0) {
        S_assign(x, it, bi, k, &r, line, col, lcap, pcap, tcap);
    }
}

/* The 分工 of a task: the phrases of its heading (or item) text and of the
 * paragraphs of its own section, before any heading below it. */
static void S_annotation(extract *x, item *it, const md_block *blk, size_t bi, const rules *rs,
                         size_t *lcap, size_t *pcap) {
    const md_doc *md = &x->p->doc.md;
    size_t tcap = 0;
    /* 牵头单位：A and 责任单位：B in paragraphs of their own: B are partners */
    int flags = RESP_WHOLE;
    for (size_t k = 0; k < md->nparas; k++) {
        resp r;
        const md_para *pa = &md->paras[k];
        if (pa->block == (int)bi && pa->text &&
            resp_read(x->a, pa->text, strlen(pa->text), RESP_WHOLE, RESP_RULE_NONE, &r) == 1 &&
            r.labelled && r.has_lead)
            flags |= RESP_LEAD_ELSEWHERE;
    }
    if (blk->text) S_phrases(x, it, bi, -1, blk->text, blk->line, blk->col, 0, rs, lcap, pcap, &tcap);
    for (size_t k = 0; k < md->nparas; k++)
        if (md->paras[k].block == (int)bi && md->paras[k].text)
            S_phrases(x, it, bi, (int)k, md->paras[k].text, md->paras[k].line, md->paras[k].col, flags, rs,
                      lcap, pcap, &tcap);
}

/* ---- 分工 tables -------------------------------------------------------------- */

typedef enum { COL_OTHER, COL_NUMBER, COL_TITLE, COL_LEAD, COL_PARTNER, COL_RESP } col_kind;

/* What a header cell says its column holds (spaces inside it ignored). */
static col_kind S_col_kind(arena *a, const char *h) {
    char *t = arena_strdup(a, h), *w = t;
    for (const char *r = h; *r; r++)
        if (*r != ' ') *w++ = *r;
    *w = '\0';
    if (strstr(t, "领导") || strstr(t, "责任人") || strstr(t, "时限") || strstr(t, "时间") ||
        strstr(t, "情况") || strstr(t, "说明") || strstr(t, "备注"))
        return COL_OTHER;
    if (strstr(t, "牵头")) return COL_LEAD;
    if (strstr(t, "配合") || strstr(t, "协同") || strstr(t, "协办") || strstr(t, "参与")) return COL_PARTNER;
    if (strstr(t, "责任单位") || strstr(t, "责任部门") || strstr(t, "责任主体") || strstr(t, "负责单位"))
        return COL_RESP;
    if (strcmp(t, "序号") == 0 || strcmp(t, "编号") == 0) return COL_NUMBER;
    if (strstr(t, "任务") || strstr(t, "工作") || strstr(t, "事项") || strstr(t, "内容") || strstr(t, "措施") ||
        strstr(t, "项目"))
        return COL_TITLE;
    return COL_OTHER;
}

/* A table under a section of tasks whose header names responsible bodies
 * (序号/任务/牵头单位/配合单位/完成时限): each row is a task, its id from its
 * 序号 (t24), its bodies read from its cells as labelled lines. */
static void S_table_tasks(extract *x, const int *section_role, strmap *ids, size_t *icap, const rules *rs) {
    plan *p = x->p;
    const md_doc *md = &p->doc.md;
    static const char *const labels[] = {"", "", "", "牵头单位：", "配合单位：", "责任单位："};
    col_kind *cols = NULL;
    size_t ncols = 0;
    int table = -1, usable = 0;
    for (size_t r = 0; r < md->nrows; r++) {
        const md_row *row = &md->rows[r];
        if (row->table != table) {
            table = row->table;
            usable = 0;
            if (!row->header || row->block < 0 || section_role[row->block] < 0 ||
                section_role[row->block] == ROLE_GOAL)
                continue;
            cols = arena_alloc(x->a, (row->ncells ? row->ncells : 1) * sizeof *cols);
            ncols = row->ncells;
            for (size_t c = 0; c < ncols; c++) {
                cols[c] = S_col_kind(x->a, row->cells[c]);
                if (cols[c] >= COL_LEAD) usable = 1;
            }
            continue;
        }
        if (!usable || row->header) continue;
        strbuf phrase = STRBUF_INIT;
        const char *title = NULL, *number = NULL;
        for (size_t c = 0; c < row->ncells && c < ncols; c++) {
            const char *v = row->cells[c];
            if (!*v) continue;
            if (cols[c] == COL_NUMBER && !number) number = v;
            else if (cols[c] == COL_TITLE && !title) title = v;
            else if (cols[c] >= COL_LEAD) {
                if (phrase.len) sb_puts(&phrase, "；");
                sb_puts(&phrase, labels[cols[c]]);
                sb_puts(&phrase, v);
            }
        }
        item *it = arena_alloc(x->a, sizeof *it);
        it->role = (item_role)section_role[row->block];
        it->plan = p;
        it->block = (size_t)row->block;
        it->line = row->line;
        it->col = 1;
        it->table_row = 1;
        it->title = title ? S_short_title(x->a, title) : "";
        it->number = number;
        /* the id from its 序号: t24; else its place in the table */
        long n = 0;
        const char *q = number;
        while (q && *q >= '0' && *q <= '9' && n < 1000000) n = n * 10 + (*q++ - '0');
        static const char prefix[] = {'g', 't', 'm'};
        it->id = (number && q && !*q && n > 0) ? arena_printf(x->a, "%c%ld", prefix[it->role], n)
                                                 : arena_printf(x->a, "%c-row%zu", prefix[it->role], r);
        if (strmap_get(ids, it->id)) {
            int k = 2;
            const char *cand;
            do cand = arena_printf(x->a, "%s-%d", it->id, k++);
            while (strmap_get(ids, cand));
            it->id = cand;
        }
        it->generated_id = 1;
        strmap_put(ids, it->id, it);
        if (phrase.len) {
            const char *t = arena_strndup(x->a, phrase.ptr, phrase.len);
            size_t lcap = 0, pcap = 0;
            S_phrases(x, it, it->block, NO_LINK, t, row->line, 1, RESP_WHOLE, rs, &lcap, &pcap, &(size_t){0});
        }
        sb_free(&phrase);
        p->items = arena_grow(x->a, p->items, sizeof *p->items, icap, p->nitems + 1);
        p->items[p->nitems++] = it;
    }
}

static int S_cmp_item_line(const void *a, const void *b) {
    const item *x = *(item *const *)a, *y = *(item *const *)b;
    if (x->line != y->line) return x->line < y->line ? -1 : 1;
    return x->col < y->col ? -1 : x->col > y->col;
}

/* ---- the walk --------------------------------------------------------------- */

int roles_extract(arena *a, diag *d, const bodies *b, plan *p, int check, roles_link **links,
                  size_t *nlinks) {
    const md_doc *md = &p->doc.md;
    const char *path = p->doc.path;
    extract x = {a, d, b, p, NULL, 0, 0, 0};
    item **by_block = arena_alloc(a, (md->nblocks ? md->nblocks : 1) * sizeof *by_block);
    /* The role section each block stands in: the nearest enclosing heading
     * with a plural role class. */
    int *section_role = arena_alloc(a, (md->nblocks ? md->nblocks : 1) * sizeof *section_role);
    size_t icap = 0;
    p->items = NULL;
    p->nitems = 0;
    strmap ids;
    strmap_init(&ids, a);
    rules rs;
    S_find_rules(&x, &rs);

    for (size_t i = 0; i < md->nblocks; i++) {
        const md_block *blk = &md->blocks[i];
        const md_attrs *at = blk->attrs;
        int explicit_role = -1, opens_section = -1;
        section_role[i] = -1;
        for (size_t c = 0; at && c < at->nclasses; c++) {
            item_role r;
            int sec;
            if (!S_role_class(at->classes[c], &r, &sec)) {
                diag_warning(d, path, at->line, at->col,
                             "unknown class .%s (roles are .goal, .task, .measure; sections .goals, "
                             ".tasks, .measures)",
                             at->classes[c]);
                continue;
            }
            if (sec) opens_section = (int)r;
            else explicit_role = (int)r;
        }
        if (opens_section >= 0 && blk->kind != MD_HEADING) {
            diag_error(d, path, at->line, at->col, "a section role (.%ss) belongs on a heading",
                       item_role_name((item_role)opens_section));
            x.failed = 1;
            opens_section = -1;
        }
        /* inherited role: from the enclosing headings */
        int inherited = -1;
        for (int par = blk->parent; par >= 0; par = md->blocks[par].parent) {
            if (section_role[par] >= 0) {
                inherited = section_role[par];
                break;
            }
        }
        if (opens_section >= 0) section_role[i] = opens_section;
        else if (blk->kind == MD_HEADING) section_role[i] = inherited; /* sections nest */
        int role = explicit_role >= 0 ? explicit_role : (opens_section >= 0 ? -1 : inherited);
        if (blk->kind == MD_ITEM && explicit_role < 0 && !(at && at->id)) role = -1;
        if (role < 0) continue;

        item *it = arena_alloc(a, sizeof *it);
        it->role = (item_role)role;
        it->plan = p;
        it->block = i;
        it->line = blk->line;
        it->col = blk->col;
        it->title = blk->text ? blk->text : "";
        if (blk->kind == MD_ITEM) it->title = S_short_title(a, it->title);
        int num = 0;
        size_t nl = roles_numbering(it->title, &num);
        if (nl) it->number = arena_strndup(a, it->title, nl);
        /* the enclosing item of the same role */
        for (int par = blk->parent; par >= 0; par = md->blocks[par].parent) {
            if (by_block[par] && by_block[par]->role == it->role) {
                it->parent = by_block[par];
                break;
            }
        }
        if (at && at->id) {
            it->id = at->id;
        } else {
            /* from the numbering: g1, t2-3 ... ; without numbering, the
             * position among its siblings */
            if (!nl) {
                num = 1;
                for (size_t k = 0; k < p->nitems; k++)
                    if (p->items[k]->parent == it->parent && p->items[k]->role == it->role) num++;
            }
            static const char prefix[] = {'g', 't', 'm'};
            it->id = it->parent ? arena_printf(a, "%s-%d", it->parent->id, num)
                                : arena_printf(a, "%c%d", prefix[it->role], num);
            it->generated_id = 1;
        }
        item *prev = strmap_get(&ids, it->id);
        if (prev) {
            if (it->generated_id) {
                int k = 2;
                const char *cand;
                do cand = arena_printf(a, "%s-%d", it->id, k++);
                while (strmap_get(&ids, cand));
                it->id = cand;
            } else {
                continue; /* markdown.c reported the repeated id */
            }
        }
        if (it->generated_id && check)
            diag_warning(d, path, blk->line, blk->col,
                         "%s \"%s\" has no id; \"%s\" is made from its numbering and changes "
                         "when the plan is renumbered: add {#%s}",
                         item_role_name(it->role), it->title, it->id, it->id);
        strmap_put(&ids, it->id, it);
        by_block[i] = it;

        /* attributes */
        const char *v;
        int aline = at ? at->line : blk->line, acol = at ? at->col : blk->col;
        if ((v = S_attr(at, "due"))) {
            if (!text_is_date(v)) {
                diag_error(d, path, aline, acol, "due=\"%s\" is not a date YYYY-MM-DD", v);
                x.failed = 1;
            } else {
                it->due = v;
            }
        }
        if ((v = S_attr(at, "goals"))) {
            if (it->role != ROLE_TASK && it->role != ROLE_MEASURE)
                diag_warning(d, path, aline, acol, "goals=\"...\" belongs on a task or measure");
            S_refs(a, v, aline, acol, &it->goal_refs, &it->ngoal_refs);
        }
        if ((v = S_attr(at, "supports"))) {
            if (it->role != ROLE_GOAL)
                diag_warning(d, path, aline, acol, "supports=\"...\" belongs on a goal");
            S_refs(a, v, aline, acol, &it->supports_refs, &it->nsupports_refs);
        }
        size_t lcap = 0, pcap = 0;
        item_ref *tmp = NULL;
        size_t ntmp = 0;
        if ((v = S_attr(at, "lead"))) {
            S_refs(a, v, aline, acol, &tmp, &ntmp);
            for (size_t k = 0; k < ntmp; k++)
                S_add_ref(&x, &it->lead_refs, &it->nlead_refs, &lcap, tmp[k].text, aline, acol, 0);
        }
        tmp = NULL;
        ntmp = 0;
        if ((v = S_attr(at, "partners"))) {
            S_refs(a, v, aline, acol, &tmp, &ntmp);
            for (size_t k = 0; k < ntmp; k++)
                S_add_ref(&x, &it->partner_refs, &it->npartner_refs, &pcap, tmp[k].text, aline, acol, 0);
        }
        if (it->role == ROLE_TASK || it->role == ROLE_MEASURE) S_annotation(&x, it, blk, i, &rs, &lcap, &pcap);

        p->items = arena_grow(a, p->items, sizeof *p->items, &icap, p->nitems + 1);
        p->items[p->nitems++] = it;
    }
    if (md->nrows) {
        S_table_tasks(&x, section_role, &ids, &icap, &rs);
        /* in document order (mergesort: stable) */
        if (p->nitems > 1) qsort(p->items, p->nitems, sizeof *p->items, S_cmp_item_line);
    }
    /* children, in document order */
    for (size_t i = 0; i < p->nitems; i++)
        if (p->items[i]->parent) p->items[i]->parent->nchildren++;
    for (size_t i = 0; i < p->nitems; i++) {
        item *it = p->items[i];
        if (it->nchildren) it->children = arena_alloc(a, it->nchildren * sizeof *it->children);
        it->nchildren = 0;
    }
    for (size_t i = 0; i < p->nitems; i++) {
        item *par = p->items[i]->parent;
        if (par) par->children[par->nchildren++] = p->items[i];
    }
    *links = x.links;
    *nlinks = x.nlinks;
    return x.failed ? -1 : 0;
}

/* ---- names as links in the HTML ------------------------------------------ */

typedef struct insertion {
    size_t at;          /* offset in the old HTML */
    const char *text;   /* what goes there */
} insertion;

static int S_cmp_ins(const void *x, const void *y) {
    const insertion *a = x, *b = y;
    if (a->at != b->at) return a->at < b->at ? -1 : 1;
    /* at one place, a closing tag comes before an opening one, and an
     * attribute (" class=") is never split; the order is otherwise stable */
    int ac = a->text[0] == '<' && a->text[1] == '/', bc = b->text[0] == '<' && b->text[1] == '/';
    if (ac != bc) return ac ? -1 : 1;
    return strcmp(a->text, b->text);
}

/* The escaped form of t[0..n) as it stands in cmark's HTML. */
static void S_escaped(strbuf *out, const char *t, size_t n) {
    for (size_t i = 0; i < n; i++) {
        switch (t[i]) {
        case '&': sb_puts(out, "&amp;"); break;
        case '<': sb_puts(out, "&lt;"); break;
        case '>': sb_puts(out, "&gt;"); break;
        case '"': sb_puts(out, "&quot;"); break;
        default: sb_putc(out, t[i]);
        }
    }
}

/* The last occurrence of needle in h[lo..hi). */
static const char *S_rfind(const char *h, size_t lo, size_t hi, const char *needle, size_t n) {
    if (n == 0 || hi - lo < n) return NULL;
    for (size_t i = hi - n + 1; i-- > lo;)
        if (memcmp(h + i, needle, n) == 0) return h + i;
    return NULL;
}

void roles_mark_html(arena *a, plan *p, const roles_link *links, size_t nlinks) {
    md_doc *doc = &p->doc.md;
    if ((!nlinks && !p->nitems) || !doc->html) return;
    insertion *ins = arena_alloc(a, (2 * nlinks + 2 * p->nitems + 1) * sizeof *ins);
    size_t nins = 0;
    strbuf pat = STRBUF_INIT;
    /* Roles made visible: a class on the heading or item, and after a
     * heading's text a link to the item's own page. */
    static const char *const dirs[] = {"goals", "tasks", "measures"};
    for (size_t i = 0; i < p->nitems; i++) {
        const item *it = p->items[i];
        if (it->table_row) continue; /* its place is a row of a table */
        const md_block *b = &doc->blocks[it->block];
        if (b->html_off + 3 > doc->html_len) continue;
        const char *tag = doc->html + b->html_off; /* "<hN id=..." or "<li id=..." */
        if (tag[0] != '<') continue;
        ins[nins++] = (insertion){b->html_off + 3,
                                  arena_printf(a, " class=\"item item-%s\"", item_role_name(it->role))};
        if (b->kind == MD_HEADING) {
            const char *close = strstr(tag, "</h");
            if (close)
                ins[nins++] = (insertion){(size_t)(close - doc->html),
                                          arena_printf(a, " <a class=\"item-link item-link-%s\" "
                                                          "href=\"pp:plans/%s/%s/%s/\">%s</a>",
                                                       item_role_name(it->role), p->doc.id,
                                                       dirs[it->role], it->id, it->id)};
        }
    }
    for (size_t i = 0; i < nlinks; i++) {
        const roles_link *l = &links[i];
        const md_block *b = &doc->blocks[l->block];
        const char *text = l->para >= 0 ? doc->paras[l->para].text : b->text;
        if (!text) continue;
        /* The annotation, from the name to the end of the text, as escaped
         * HTML: found at the end of the block's element, it pins the name. */
        size_t tlen = strlen(text);
        sb_clear(&pat);
        S_escaped(&pat, text + l->off, tlen - l->off);
        size_t lo = b->html_off, hi = b->html_end ? b->html_end : doc->html_len;
        if (hi > doc->html_len || lo > hi) continue;
        /* the end of the heading element, or of the first paragraph */
        const char *close = NULL;
        if (l->para >= 0) {
            /* the paragraph whose text ends with the phrase */
            sb_puts(&pat, "</p>");
            const char *at = S_rfind(doc->html, lo, hi, pat.ptr, pat.len);
            pat.len -= 4;
            close = at ? at + pat.len : NULL;
        } else if (b->kind == MD_HEADING) {
            close = strstr(doc->html + lo, "</h");
        } else {
            const char *pstart = strstr(doc->html + lo, "<li");
            const char *pend = pstart ? strstr(pstart, "</p>") : NULL;
            const char *lend = pstart ? strstr(pstart, "<ul") : NULL;
            const char *lend2 = pstart ? strstr(pstart, "</li>") : NULL;
            close = pend;
            if (lend2 && (!close || lend2 < close)) close = lend2;
            if (lend && (!close || lend < close)) close = lend;
        }
        if (!close || (size_t)(close - doc->html) > hi) continue;
        const char *at = S_rfind(doc->html, lo, (size_t)(close - doc->html), pat.ptr, pat.len);
        /* it must end right at the element's end (trailing spaces aside) */
        if (!at) continue;
        size_t name_html = 0;
        strbuf nm = STRBUF_INIT;
        S_escaped(&nm, text + l->off, l->len);
        name_html = nm.len;
        sb_free(&nm);
        size_t start = (size_t)(at - doc->html);
        ins[nins++] = (insertion){start, arena_printf(a, "<a class=\"body-link\" href=\"%s\">", l->href)};
        ins[nins++] = (insertion){start + name_html, "</a>"};
    }
    sb_free(&pat);
    if (!nins) return;
    qsort(ins, nins, sizeof *ins, S_cmp_ins);
    size_t prev = 0;
    size_t *shift_at = arena_alloc(a, nins * sizeof *shift_at);
    size_t *shift_by = arena_alloc(a, nins * sizeof *shift_by);
    size_t total = 0;
    for (size_t i = 0; i < nins; i++) total += strlen(ins[i].text);
    /* the marked copy replaces the text (its own block: the old one is freed) */
    char *out = arena_alloc_own(a, doc->html_len + total + 1), *w = out;
    total = 0;
    for (size_t i = 0; i < nins; i++) {
        size_t tl = strlen(ins[i].text);
        memcpy(w, doc->html + prev, ins[i].at - prev);
        w += ins[i].at - prev;
        memcpy(w, ins[i].text, tl);
        w += tl;
        prev = ins[i].at;
        total += tl;
        shift_at[i] = ins[i].at;
        shift_by[i] = total;
    }
    memcpy(w, doc->html + prev, doc->html_len - prev);
    w += doc->html_len - prev;
    *w = '\0';
    /* html offsets of blocks move by what was inserted before them */
    for (size_t k = 0; k < doc->nblocks; k++) {
        md_block *b = &doc->blocks[k];
        size_t off_shift = 0, end_shift = 0;
        for (size_t i = 0; i < nins; i++) {
            if (shift_at[i] <= b->html_off && !(shift_at[i] == b->html_off)) off_shift = shift_by[i];
            if (shift_at[i] < b->html_end) end_shift = shift_by[i];
        }
        b->html_off += off_shift;
        if (b->html_end) b->html_end += end_shift;
    }
    arena_release(a, (void *)doc->html);
    doc->html = out;
    doc->html_len = (size_t)(w - out);
}
