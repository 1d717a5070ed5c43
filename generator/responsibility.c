/* responsibility.c — reading a plan's 分工 phrases (see the header). */
#include "responsibility.h"

#include <string.h>

/* ---- bytes and UTF-8 ------------------------------------------------------ */

static int S_starts(const char *s, size_t n, const char *lit) {
    size_t k = strlen(lit);
    return n >= k && memcmp(s, lit, k) == 0;
}

static int S_ends(const char *s, size_t n, const char *lit) {
    size_t k = strlen(lit);
    return n >= k && memcmp(s + n - k, lit, k) == 0;
}

/* Does s[0..n) end with one of the k words? */
static int S_ends_any(const char *s, size_t n, const char *const *words, size_t k) {
    for (size_t i = 0; i < k; i++)
        if (S_ends(s, n, words[i])) return 1;
    return 0;
}

static int S_contains(const char *s, size_t n, const char *lit) {
    size_t k = strlen(lit);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(s + i, lit, k) == 0) return 1;
    return 0;
}

/* Length of the UTF-8 character at s (1 for a stray byte). */
static size_t S_char(const char *s, size_t n) {
    unsigned char c = (unsigned char)s[0];
    size_t k = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    return k <= n ? k : 1;
}

static size_t S_chars(const char *s, size_t n) {
    size_t c = 0;
    for (size_t i = 0; i < n; c++) i += S_char(s + i, n - i);
    return c;
}

/* Length of a space (ASCII or U+3000) at s, else 0. */
static size_t S_space_at(const char *s, size_t n) {
    if (n >= 1 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\n')) return 1;
    if (S_starts(s, n, "\u3000")) return 3;
    return 0;
}

static void S_trim(const char *t, size_t *b, size_t *e) {
    for (;;) {
        size_t k = S_space_at(t + *b, *e - *b);
        if (!k) break;
        *b += k;
    }
    for (;;) {
        if (*e > *b && (t[*e - 1] == ' ' || t[*e - 1] == '\t' || t[*e - 1] == '\n')) (*e)--;
        else if (*e - *b >= 3 && S_ends(t + *b, *e - *b, "\u3000")) *e -= 3;
        else break;
    }
}

/* List separators inside a clause: 、, the ASCII comma of English lists, and
 * 和/及 before a collective party (A、B等和各省级人民政府). */
static size_t S_list_sep(const char *s, size_t n) {
    if (S_starts(s, n, "、")) return 3;
    if (S_starts(s, n, "等和各") || S_starts(s, n, "等及各")) return 6;
    if (S_starts(s, n, "以及各")) return 6;
    if (S_starts(s, n, "和各") || S_starts(s, n, "及各")) return 3;
    if (n && s[0] == ',') return 1;
    return 0;
}

/* Clause separators: ， ； and their ASCII forms. */
static size_t S_clause_sep(const char *s, size_t n) {
    if (S_starts(s, n, "，") || S_starts(s, n, "；")) return 3;
    if (n && (s[0] == ',' || s[0] == ';')) return 1;
    return 0;
}

/* ---- words ----------------------------------------------------------------- */

/* What a clause's verb says of the names before it. */
typedef enum { V_NONE, V_LEAD, V_RESP, V_PARTNER, V_SKIP } verb;

/* Adverbs before the verb: stripped, any number, in any order. */
static const char *const adverbs[] = {
    "分别", "共同", "具体", "按职责分工", "按照职责分工", "按职责", "按照职责", "按职能分工",
    "按职能", "依职责", "根据职责分工", "根据职责", "结合实际", "结合各自职责", "切实", "认真",
    "负责", /* 负责落实, 负责组织实施 */
};

static const struct {
    const char *word;
    verb v;
} verbs[] = {
    {"牵头", V_LEAD},         {"牵头负责", V_LEAD},     {"牵头落实", V_LEAD},
    {"牵头实施", V_LEAD},     {"牵头推进", V_LEAD},     {"牵头组织实施", V_LEAD},
    {"负总责", V_LEAD},       {"牵头抓总", V_LEAD},     {"负责", V_RESP},
    {"落实", V_RESP},         {"抓好落实", V_RESP},     {"组织落实", V_RESP},
    {"组织实施", V_RESP},     {"实施", V_RESP},         {"推进", V_RESP},
    {"推进落实", V_RESP},     {"推动落实", V_RESP},     {"分工负责", V_RESP},
    {"办理", V_RESP},         {"配合", V_PARTNER},      {"参与", V_PARTNER},
    {"协助", V_PARTNER},      {"协同", V_PARTNER},      {"配合落实", V_PARTNER},
    {"协同推进", V_PARTNER},  {"参与实施", V_PARTNER},  {"配合实施", V_PARTNER},
    {"做好配合", V_PARTNER},
};

/* Words after a list that end it and are not part of the last name. */
static const char *const list_ends[] = {
    "等有关部门和单位", "等部门和单位", "等有关单位和部门", "等省有关部门", "等市有关部门",
    "等省直有关部门", "等市直有关部门", "等区有关部门", "等县有关部门", "等有关部门", "等有关单位", "等相关部门", "等相关单位", "等部门", "等单位", "等", "",
};

/* The verb t[0..n) is, once an ending like 等单位 and adverbs are off;
 * V_NONE when it is not one. */
static verb S_verb(const char *t, size_t n) {
    size_t b = 0;
    for (size_t k = 0; k < sizeof list_ends / sizeof *list_ends - 1; k++) {
        if (S_starts(t, n, list_ends[k])) {
            b = strlen(list_ends[k]);
            break;
        }
    }
    for (int again = 1; again;) {
        again = 0;
        for (size_t k = 0; k < sizeof adverbs / sizeof *adverbs; k++) {
            size_t al = strlen(adverbs[k]);
            /* an adverb never is the whole verb: 负责 stays one */
            if (S_starts(t + b, n - b, adverbs[k]) && n - b > al) {
                b += al;
                again = 1;
                break;
            }
        }
    }
    for (size_t k = 0; k < sizeof verbs / sizeof *verbs; k++)
        if (n - b == strlen(verbs[k].word) && memcmp(t + b, verbs[k].word, n - b) == 0) return verbs[k].v;
    return V_NONE;
}

typedef struct label {
    const char *text;
    verb v;
} label;

static const label labels[] = {
    {"牵头单位", V_LEAD},    {"牵头部门", V_LEAD},    {"主责单位", V_LEAD},
    {"主办单位", V_LEAD},    {"责任单位", V_RESP},    {"责任部门", V_RESP},
    {"实施单位", V_RESP},    {"配合单位", V_PARTNER}, {"配合部门", V_PARTNER},
    {"参与单位", V_PARTNER}, {"参加单位", V_PARTNER}, {"协办单位", V_PARTNER},
    {"协同单位", V_PARTNER}, {"协助单位", V_PARTNER}, {"协办部门", V_PARTNER},
    {"配合部门", V_PARTNER}, {"参与部门", V_PARTNER}, {"协同部门", V_PARTNER}, {"责任领导", V_SKIP},
    {"牵头领导", V_SKIP},    {"分管领导", V_SKIP},    {"责任人", V_SKIP},
    {"完成时限", V_SKIP},    {"完成时间", V_SKIP},    {"时间节点", V_SKIP},
    {"时间要求", V_SKIP},    {"部门分工", V_RESP},    {"责任分工", V_RESP},    {"Leads", V_LEAD},       {"Lead", V_LEAD},
    {"lead", V_LEAD},        {"Partners", V_PARTNER}, {"Partner", V_PARTNER},
    {"partners", V_PARTNER}, {"Responsible", V_RESP},
};

/* A label at t[0..n) followed by ： or :. Returns its total length (label,
 * spaces, colon) and sets *v; 0 when none. */
static size_t S_label_at(const char *t, size_t n, verb *v) {
    for (size_t k = 0; k < sizeof labels / sizeof *labels; k++) {
        size_t j = strlen(labels[k].text);
        if (!S_starts(t, n, labels[k].text)) continue;
        while (j < n && t[j] == ' ') j++;
        if (S_starts(t + j, n - j, "：")) j += 3;
        else if (j < n && t[j] == ':') j += 1;
        else continue;
        *v = labels[k].v;
        return j;
    }
    return 0;
}

int resp_is_party(const char *s, size_t n) {
    static const char *const starts[] = {"各", "有关", "相关", "其他", "其它", "全体", "省级", "市级",
                                         "县级", "区级"};
    static const char *const ends[] = {"有关部门", "有关单位", "相关部门", "相关单位", "各部门",
                                       "各单位", "成员单位"};
    for (size_t k = 0; k < sizeof starts / sizeof *starts; k++)
        if (S_starts(s, n, starts[k])) return 1;
    for (size_t k = 0; k < sizeof ends / sizeof *ends; k++)
        if (S_ends(s, n, ends[k])) return 1;
    /* 市级各有关部门, 区直各部门, 全区经济运行各专班 */
    return S_contains(s, n, "各");
}

/* The level prefix a name begins with (省 市 区 县 国家 自治区), else 0.
 * 市场监管总局 and 区域… are names, not prefixed. */
static size_t S_level_prefix(const char *s, size_t n) {
    if (S_starts(s, n, "自治区")) return strlen("自治区");
    if (S_starts(s, n, "国家")) return strlen("国家");
    if (S_starts(s, n, "省")) return 3;
    if (S_starts(s, n, "市") && !S_starts(s, n, "市场")) return 3;
    if (S_starts(s, n, "区") && !S_starts(s, n, "区域")) return 3;
    if (S_starts(s, n, "县") && !S_starts(s, n, "县域")) return 3;
    return 0;
}

/* A name the level prefix of the list carries to: a department's short
 * name (科技厅, 财政局, 发展改革委, 政务和数据局), not a place (开发区). */
static int S_takes_prefix(const char *s, size_t n) {
    static const char *const ends[] = {"厅", "局", "委", "办", "部", "室", "委员会", "中心", "署",
                                       "院", "社", "会"};
    return n <= 42 /* 14 characters */ && S_ends_any(s, n, ends, sizeof ends / sizeof *ends);
}

/* Words that never stand in a body's name: a "name" holding one is a
 * fragment of a sentence. */
static const char *const not_in_names[] = {
    "负责", "牵头", "按职责", "会同", "分工", "结合实际", "落实", "由", "制定", "另行", "确保",
    "。", "：", ":",
    "（",   "）",   "(",      ")",    "《",   "》",       "“",    "”",  "\"",
};

#define MAX_NAME_BYTES 120 /* 40 CJK characters */

/* The bracket pairs a phrase may stand in. */
static const struct {
    const char *open, *close;
} pairs[] = {{"（", "）"}, {"(", ")"}, {"〔", "〕"}, {"[", "]"}, {"【", "】"}};

/* The length of the closing bracket that ends t[0..e) (0 when none) and
 * which pair it closes. */
static size_t S_close_at_end(const char *t, size_t e, int *pair) {
    for (int k = 0; k < (int)(sizeof pairs / sizeof *pairs); k++) {
        if (S_ends(t, e, pairs[k].close)) {
            *pair = k;
            return strlen(pairs[k].close);
        }
    }
    return 0;
}

/* The bracket of that pair that opens the one closing at e (exclusive).
 * (size_t)-1 when none; *open_len its length. */
static size_t S_open_of(const char *t, size_t e, int pair, size_t *open_len) {
    const char *op = pairs[pair].open, *cl = pairs[pair].close;
    size_t ol = strlen(op), cll = strlen(cl);
    size_t i = e - cll;
    int depth = 1;
    while (i > 0) {
        if (i >= cll && memcmp(t + i - cll, cl, cll) == 0) {
            depth++;
            i -= cll;
        } else if (i >= ol && memcmp(t + i - ol, op, ol) == 0) {
            if (--depth == 0) {
                *open_len = ol;
                return i - ol;
            }
            i -= ol;
        } else {
            i--;
        }
    }
    return (size_t)-1;
}

/* ---- building the result ---------------------------------------------------- */

typedef struct builder {
    arena *a;
    const char *t;
    resp *out;
    size_t cap;
    verb *verbs;        /* per name: what its clause said */
    size_t vcap;
    const char *prefix; /* the level prefix carried along */
    size_t prefix_len;
    int each;           /* the last name was 各…: 各区、县级市 */
} builder;

/* A kind of place that 各 before it in the list makes a party: 县级市, 区. */
static int S_place_kind(const char *s, size_t n) {
    static const char *const kinds[] = {"市", "区", "县", "镇", "乡", "街道", "州", "盟", "旗",
                                        "管委会", "人民政府", "政府"};
    return n <= 24 /* 8 characters */ && S_ends_any(s, n, kinds, sizeof kinds / sizeof *kinds);
}

static int S_fail(builder *bl, size_t off, const char *msg) {
    bl->out->error = msg;
    bl->out->err_off = off;
    return -1;
}

/* One name t[b..e): trimmed, 由/请 and 等… stripped, checked, added with
 * the verb of its clause. */
static int S_name(builder *bl, size_t b, size_t e, verb v) {
    const char *t = bl->t;
    S_trim(t, &b, &e);
    if (S_starts(t + b, e - b, "由")) b += 3;
    else if (S_starts(t + b, e - b, "请")) b += 3;
    for (size_t k = 0; k < sizeof list_ends / sizeof *list_ends - 1; k++) {
        if (S_ends(t + b, e - b, list_ends[k]) && e - b > strlen(list_ends[k])) {
            e -= strlen(list_ends[k]);
            break;
        }
    }
    S_trim(t, &b, &e);
    if (e == b) return S_fail(bl, b, "empty body name in the responsibility phrase");
    if (memchr(t + b, '\0', e - b)) return S_fail(bl, b, "a NUL byte in the responsibility phrase");
    if (e - b > MAX_NAME_BYTES)
        return S_fail(bl, b, "a body name in the responsibility phrase is longer than 40 characters");
    int party = resp_is_party(t + b, e - b) ||
                (bl->each && (S_place_kind(t + b, e - b) ||
                              (S_chars(t + b, e - b) <= 4 && !S_level_prefix(t + b, e - b))));
    for (size_t k = 0; !party && k < sizeof not_in_names / sizeof *not_in_names; k++)
        if (S_contains(t + b, e - b, not_in_names[k]))
            return S_fail(bl, b, "responsibility phrase not understood (a name holds other words)");
    resp *r = bl->out;
    r->names = arena_grow(bl->a, r->names, sizeof *r->names, &bl->cap, r->n + 1);
    size_t vc = bl->vcap;
    bl->verbs = arena_grow(bl->a, bl->verbs, sizeof *bl->verbs, &vc, r->n + 1);
    bl->vcap = vc;
    resp_name *nm = &r->names[r->n];
    memset(nm, 0, sizeof *nm);
    nm->name = arena_strndup(bl->a, t + b, e - b);
    nm->off = b;
    nm->len = e - b;
    nm->role = party ? RESP_PARTY : RESP_LEAD;
    /* 各区、县级市: 各 goes on along the list */
    bl->each = party && S_starts(t + b, e - b, "各");
    if (nm->role != RESP_PARTY) {
        size_t pl = S_level_prefix(t + b, e - b);
        if (pl) {
            bl->prefix = t + b;
            bl->prefix_len = pl;
        } else if (bl->prefix && S_takes_prefix(t + b, e - b)) {
            nm->prefix = arena_strndup(bl->a, bl->prefix, bl->prefix_len);
        }
    }
    bl->verbs[r->n] = v;
    r->n++;
    return 0;
}

/* The names of a list t[b..e), split at 、 ， ； and their ASCII forms (a
 * list may run on across a comma). A separator that ends the list is not an
 * empty name; one between two others is. */
/* Does the name end like an organisation's (局, 委, 站 …)? */
static int S_org_end(const char *s, size_t n) {
    static const char *const ends[] = {"厅", "局", "委", "办", "部", "室", "院", "社", "会", "中心",
                                       "署", "站", "行", "所", "队", "协", "联", "团", "处", "司"};
    return S_ends_any(s, n, ends, sizeof ends / sizeof *ends);
}


/* 广州、深圳、珠海出入境边防检查总站: places before a name share its
 * suffix (广州出入境边防检查总站). */
static void S_shared_suffix(builder *bl, size_t first) {
    resp *r = bl->out;
    for (size_t j = first + 1; j < r->n; j++) {
        resp_name *last = &r->names[j];
        size_t ln = strlen(last->name);
        if (last->role == RESP_PARTY || !S_org_end(last->name, ln) || S_level_prefix(last->name, ln)) continue;
        size_t i = j;
        while (i > first) {
            const resp_name *p = &r->names[i - 1];
            size_t pn = strlen(p->name), pc = S_chars(p->name, pn);
            if (p->role == RESP_PARTY || pc < 2 || pc > 3 || S_org_end(p->name, pn) ||
                S_level_prefix(p->name, pn))
                break;
            i--;
        }
        if (i == j) continue;
        /* the suffix: the last name less a place as long as the one before it */
        size_t k = 0, pc = S_chars(r->names[j - 1].name, strlen(r->names[j - 1].name));
        for (size_t c = 0; c < pc && k < ln; c++) k += S_char(last->name + k, ln - k);
        if (S_chars(last->name + k, ln - k) < 3) continue;
        for (size_t m = i; m < j; m++)
            r->names[m].name = arena_printf(bl->a, "%s%s", r->names[m].name, last->name + k);
    }
}

static int S_names(builder *bl, size_t b, size_t e, verb v) {
    const char *t = bl->t;
    size_t start = b, first = bl->out->n;
    int named = 0;
    for (size_t i = b;;) {
        size_t sep = i < e ? S_list_sep(t + i, e - i) : 0;
        if (!sep && i < e) sep = S_clause_sep(t + i, e - i);
        if (i >= e || sep) {
            size_t nb = start, ne = i;
            S_trim(t, &nb, &ne);
            if (!(i >= e && nb == ne && named)) {
                if (S_name(bl, start, i, v) < 0) return -1;
                named = 1;
            }
            if (i >= e) break;
            /* 各 goes on along 、 (各区、县级市), not across a comma */
            if (S_clause_sep(t + i, e - i)) bl->each = 0;
            i += sep;
            start = i;
            continue;
        }
        i += S_char(t + i, e - i);
    }
    S_shared_suffix(bl, first);
    return 0;
}

/* ---- labelled lines: 牵头单位：A；配合单位：B、C --------------------------- */

/* Where the next label starts in t[i..e): after a separator or a space;
 * e when none. */
static size_t S_next_label(const char *t, size_t i, size_t e) {
    verb v;
    while (i < e) {
        size_t s = S_clause_sep(t + i, e - i);
        if (!s) s = S_space_at(t + i, e - i);
        if (!s) {
            i += S_char(t + i, e - i);
            continue;
        }
        size_t j = i + s;
        while (j < e && S_space_at(t + j, e - j)) j += S_space_at(t + j, e - j);
        if (S_label_at(t + j, e - j, &v)) return i;
        i = j;
    }
    return e;
}

static int S_clause(builder *bl, size_t b, size_t e, size_t *pending, int *npending);
static int S_rule_clause(builder *bl, size_t b, size_t e);
static int S_time_clause(const char *t, size_t b, size_t e);

/* A label's value t[b..e): names, perhaps with a verb of their own
 * (责任单位：A、B分别牵头), rules (排在首位的为牵头单位，下同) and a
 * bracketed rule at its end. */
static int S_value(builder *bl, size_t b, size_t e, verb v) {
    const char *t = bl->t;
    S_trim(t, &b, &e);
    int pair = 0;
    size_t cl = e > b ? S_close_at_end(t + b, e - b, &pair) : 0;
    if (cl) {
        size_t ol = 0, o = S_open_of(t, e, pair, &ol);
        size_t roff;
        if (o != (size_t)-1 && o > b) {
            resp_rule r = resp_rule_in(t + o + ol, e - cl - o - ol, &roff);
            if (r != RESP_RULE_NONE) {
                bl->out->rule = r;
                bl->out->rule_off = o + ol + roff;
                e = o;
            }
        }
    }
    size_t pending = 0, last_end = b, start = b;
    int np = 0;
    for (size_t i = b;;) {
        size_t sep = i < e ? S_clause_sep(t + i, e - i) : 0;
        if (i >= e || sep) {
            if (!S_rule_clause(bl, start, i) && !S_time_clause(t, start, i)) {
                if (S_clause(bl, start, i, &pending, &np) < 0) return -1;
                last_end = i;
            }
            if (i >= e) break;
            i += sep;
            start = i;
            continue;
        }
        i += S_char(t + i, e - i);
    }
    return np ? S_names(bl, pending, last_end, v) : 0;
}

static int S_labelled(builder *bl, size_t b, size_t e) {
    const char *t = bl->t;
    verb v;
    size_t i = b;
    bl->out->labelled = 1;
    while (i < e) {
        while (i < e && (S_space_at(t + i, e - i) || S_clause_sep(t + i, e - i)))
            i += S_space_at(t + i, e - i) ? S_space_at(t + i, e - i) : S_clause_sep(t + i, e - i);
        if (i >= e) break;
        size_t ll = S_label_at(t + i, e - i, &v);
        if (!ll) return S_fail(bl, i, "responsibility phrase not understood (words before a label)");
        size_t vb = i + ll, ve = S_next_label(t, vb, e);
        i = ve;
        if (v == V_SKIP) continue;
        if (S_value(bl, vb, ve, v) < 0) return -1;
    }
    return 1;
}

/* ---- clauses: A牵头，B、C按职责分工负责 ------------------------------------- */

/* One clause t[b..e). Names without a verb wait in *pending (from its
 * start) for the verb of a later clause: a list that runs on across a
 * comma. Returns 0, or -1 (reported in out). */
static int S_clause(builder *bl, size_t b, size_t e, size_t *pending, int *npending) {
    const char *t = bl->t;
    S_trim(t, &b, &e);
    if (b == e) return S_fail(bl, b, "empty body name in the responsibility phrase");
    /* A会同B(、C)(负责) */
    for (size_t i = b; i < e; i += S_char(t + i, e - i)) {
        if (!S_starts(t + i, e - i, "会同")) continue;
        size_t lb = *npending ? *pending : b;
        *npending = 0;
        if (S_names(bl, lb, i, V_LEAD) < 0) return -1;
        size_t rb = i + strlen("会同"), re = e;
        /* the verb after the partners, if any */
        for (size_t k = rb; k < re; k += S_char(t + k, re - k)) {
            if (k > rb && S_verb(t + k, re - k) != V_NONE) {
                re = k;
                break;
            }
        }
        return S_names(bl, rb, re, V_PARTNER);
    }
    /* names, then the verb: the longest verb that ends the clause */
    for (size_t i = b; i < e; i += S_char(t + i, e - i)) {
        verb v = S_verb(t + i, e - i);
        if (v == V_NONE) continue;
        if (i == b && !*npending) return S_fail(bl, b, "no body named before the verb");
        size_t lb = *npending ? *pending : b;
        *npending = 0;
        /* the list runs from the pending names through this clause */
        if (S_names(bl, lb, i, v) < 0) return -1;
        return 0;
    }
    if (!*npending) {
        *pending = b;
        *npending = 1;
    }
    return 0;
}

/* A clause that states a rule (排在第一位的部门为牵头部门) or says 下同:
 * recorded, not read for names. */
static int S_rule_clause(builder *bl, size_t b, size_t e) {
    const char *t = bl->t;
    S_trim(t, &b, &e);
    if (e - b == strlen("下同") && S_starts(t + b, e - b, "下同")) return 1;
    if (S_starts(t + b, e - b, "除") && S_ends(t + b, e - b, "外")) return 1; /* 除标注…外 */
    size_t off;
    resp_rule r = resp_rule_in(t + b, e - b, &off);
    if (r == RESP_RULE_NONE) return 0;
    bl->out->rule = r;
    bl->out->rule_off = b + off;
    return 1;
}

/* Is t[b..e) a list of nothing but bodies' names (each ends like an
 * organisation's: 市工信委、市财政局)? */
static int S_bare_list(const char *t, size_t b, size_t e) {
    size_t start = b;
    for (size_t i = b;;) {
        size_t sep = i < e ? S_list_sep(t + i, e - i) : 0;
        if (!sep && i < e) sep = S_clause_sep(t + i, e - i);
        if (i >= e || sep) {
            size_t nb = start, ne = i;
            S_trim(t, &nb, &ne);
            size_t c = S_chars(t + nb, ne - nb);
            if (c < 2 || c > 20 || !S_org_end(t + nb, ne - nb)) return 0;
            for (size_t k = 0; k < sizeof not_in_names / sizeof *not_in_names; k++)
                if (S_contains(t + nb, ne - nb, not_in_names[k])) return 0;
            if (i >= e) return 1;
            i += sep;
            start = i;
            continue;
        }
        i += S_char(t + i, e - i);
    }
}

/* A clause that says when (年内持续推进, 2025年底前完成, 长期坚持): no names. */
static int S_time_clause(const char *t, size_t b, size_t e) {
    static const char *const starts[] = {"年内", "年底", "长期", "持续", "逐步", "每年", "按年",
                                         "及时", "定期"};
    S_trim(t, &b, &e);
    if (b == e) return 0;
    if (t[b] >= '0' && t[b] <= '9') return 1;
    for (size_t k = 0; k < sizeof starts / sizeof *starts; k++)
        if (S_starts(t + b, e - b, starts[k])) return 1;
    return S_contains(t + b, e - b, "年底前") || S_contains(t + b, e - b, "月底前");
}

static int S_clauses(builder *bl, size_t b, size_t e) {
    const char *t = bl->t;
    size_t pending = 0, start = b;
    int npending = 0;
    for (size_t i = b;;) {
        size_t sep = i < e ? S_clause_sep(t + i, e - i) : 0;
        if (i >= e || sep) {
            if (!S_rule_clause(bl, start, i) && !S_time_clause(t, start, i) &&
                S_clause(bl, start, i, &pending, &npending) < 0)
                return -1;
            if (i >= e) break;
            i += sep;
            start = i;
            continue;
        }
        i += S_char(t + i, e - i);
    }
    if (npending) {
        /* (市工信委、市财政局): a bare list of what are plainly bodies'
         * names is the list of those responsible */
        if (!S_bare_list(t, pending, e))
            return S_fail(bl, pending, "responsibility phrase not understood (names without a verb)");
        return S_names(bl, pending, e, V_RESP) < 0 ? -1 : 1;
    }
    return 1;
}

/* ---- rules a document states ----------------------------------------------- */

resp_rule resp_rule_in(const char *t, size_t n, size_t *off) {
    /* sentence by sentence */
    size_t sb = 0;
    for (size_t i = 0;;) {
        int end = i >= n || S_starts(t + i, n - i, "。") || S_starts(t + i, n - i, "；") ||
                  S_starts(t + i, n - i, "（") || S_starts(t + i, n - i, "）");
        if (end) {
            const char *s = t + sb;
            size_t sn = i - sb;
            int names_lead = S_contains(s, sn, "牵头");
            if (names_lead && (S_contains(s, sn, "第一位") || S_contains(s, sn, "首位") ||
                               S_contains(s, sn, "第一个") || S_contains(s, sn, "排名第一") ||
                               S_contains(s, sn, "排在最前"))) {
                if (off) *off = sb;
                return RESP_RULE_FIRST_LEADS;
            }
            if ((S_contains(s, sn, "单位") || S_contains(s, sn, "部门")) &&
                (S_contains(s, sn, "不分先后") || S_contains(s, sn, "均为牵头") ||
                 S_contains(s, sn, "均为责任"))) {
                if (off) *off = sb;
                return RESP_RULE_ALL_EQUAL;
            }
            if (i >= n) break;
            i += 3;
            sb = i;
            continue;
        }
        i += S_char(t + i, n - i);
    }
    return RESP_RULE_NONE;
}

/* Words that say a bracket is meant as a 分工 phrase: one that is not
 * understood is then a diagnostic, not silence. */
static int S_meant(const char *t, size_t n) {
    static const char *const words[] = {"牵头", "负责", "单位：", "单位:", "配合", "会同",
                                        "Lead:", "Partners:"};
    for (size_t k = 0; k < sizeof words / sizeof *words; k++)
        if (S_contains(t, n, words[k])) return 1;
    return 0;
}

/* ---- the phrase ------------------------------------------------------------ */

int resp_read(arena *a, const char *t, size_t len, int flags, resp_rule rule, resp *out) {
    memset(out, 0, sizeof *out);
    size_t b0 = 0, e = len;
    S_trim(t, &b0, &e);
    if (S_ends(t + b0, e - b0, "。")) e -= 3;
    else if (e > b0 && t[e - 1] == '.') e--;
    S_trim(t, &b0, &e);
    size_t ib, ie, start;
    int pair = 0;
    size_t close_len = e > b0 ? S_close_at_end(t + b0, e - b0, &pair) : 0;
    verb v;
    int whole = flags & RESP_WHOLE;
    if (whole && S_label_at(t + b0, e - b0, &v)) {
        start = ib = b0; /* a bracket at its end is the last value's */
        ie = e;
    } else if (close_len) {
        size_t open_len = 0, open_at = S_open_of(t, e, pair, &open_len);
        if (open_at == (size_t)-1 || open_at < b0) return 0;
        start = open_at;
        ib = open_at + open_len;
        ie = e - close_len;
    } else {
        return 0;
    }
    S_trim(t, &ib, &ie);
    if (!S_meant(t + ib, ie - ib) && !S_label_at(t + ib, ie - ib, &v) &&
        !(ie > ib && S_bare_list(t, ib, ie)))
        return 0;

    builder bl = {a, t, out, 0, NULL, 0, NULL, 0, 0};
    /* sentence by sentence: a rule, or an assignment */
    int rc = 1;
    size_t sb = ib;
    for (size_t i = ib;;) {
        int end = i >= ie || S_starts(t + i, ie - i, "。");
        if (!end) {
            i += S_char(t + i, ie - i);
            continue;
        }
        size_t s0 = sb, s1 = i;
        S_trim(t, &s0, &s1);
        if (s1 > s0) {
            size_t before = out->n;
            rc = S_label_at(t + s0, s1 - s0, &v) ? S_labelled(&bl, s0, s1) : S_clauses(&bl, s0, s1);
            if (rc < 0 && before > 0) {
                /* a note after the assignment (以下政策措施均需…落实，不再单独列出) */
                out->n = before;
                out->error = NULL;
                rc = 1;
            } else if (rc < 0) {
                break;
            }
        }
        if (i >= ie) break;
        i += 3;
        sb = i;
    }
    if (rc < 0 || !out->n) { /* malformed, or only a rule */
        out->labelled = rc < 0 && out->labelled;
        out->n = 0;
        out->names = NULL;
        return rc < 0 ? -1 : 0;
    }

    /* roles: an explicit lead makes the merely responsible partners; an
     * explicit partner makes them leads; all merely responsible, they all
     * lead, unless the document's rule says the first named leads */
    resp_rule in_force = out->rule != RESP_RULE_NONE ? out->rule : rule;
    int has_lead = (flags & RESP_LEAD_ELSEWHERE) && out->labelled, has_partner = 0;
    for (size_t k = 0; k < out->n; k++) {
        if (out->names[k].role == RESP_PARTY) continue;
        if (bl.verbs[k] == V_LEAD) has_lead = 1;
        if (bl.verbs[k] == V_PARTNER) has_partner = 1;
    }
    int first = 1;
    for (size_t k = 0; k < out->n; k++) {
        resp_name *nm = &out->names[k];
        if (nm->role == RESP_PARTY) {
            nm->lead = 0;
            continue;
        }
        verb vk = bl.verbs[k];
        int lead;
        if (vk == V_LEAD) lead = 1;
        else if (vk == V_PARTNER) lead = 0;
        else if (has_lead) lead = 0;
        else if (has_partner) lead = 1;
        else lead = in_force == RESP_RULE_FIRST_LEADS ? first : 1;
        first = 0;
        nm->lead = lead;
        nm->role = lead ? RESP_LEAD : RESP_PARTNER;
    }
    for (size_t k = 0; k < out->n; k++)
        if (out->names[k].role != RESP_PARTY && bl.verbs[k] == V_LEAD) out->has_lead = 1;
    out->start = start;
    out->end = e;
    return 1;
}

int resp_parse(arena *a, const char *t, size_t len, resp *out) {
    return resp_read(a, t, len, 0, RESP_RULE_NONE, out);
}
