/* responsibility.c — parsing responsibility annotations (see the header). */
#include "responsibility.h"

#include <string.h>

/* ---- UTF-8 matching helpers over a byte range --------------------------- */

static int S_starts(const char *s, size_t n, const char *lit) {
    size_t k = strlen(lit);
    return n >= k && memcmp(s, lit, k) == 0;
}

static int S_ends(const char *s, size_t n, const char *lit) {
    size_t k = strlen(lit);
    return n >= k && memcmp(s + n - k, lit, k) == 0;
}

/* Length of a space (ASCII or U+3000) at s, else 0. */
static size_t S_space_at(const char *s, size_t n) {
    if (n >= 1 && (s[0] == ' ' || s[0] == '\t')) return 1;
    if (S_starts(s, n, "\xE3\x80\x80")) return 3;
    return 0;
}

static void S_trim(const char *t, size_t *b, size_t *e) {
    for (;;) {
        size_t k = S_space_at(t + *b, *e - *b);
        if (!k) break;
        *b += k;
    }
    for (;;) {
        if (*e > *b && (t[*e - 1] == ' ' || t[*e - 1] == '\t')) (*e)--;
        else if (*e - *b >= 3 && S_ends(t + *b, *e - *b, "\xE3\x80\x80")) *e -= 3;
        else break;
    }
}

#define OPEN_FW "\xEF\xBC\x88"  /* （ */
#define CLOSE_FW "\xEF\xBC\x89" /* ） */

typedef struct builder {
    arena *a;
    const char *t;
    resp *out;
    size_t cap;
} builder;

/* Splits t[b..e) into names at 、 ， , and adds them. Returns -1 on an
 * empty name. */
static int S_names(builder *bl, size_t b, size_t e, int lead) {
    const char *t = bl->t;
    size_t start = b;
    for (size_t i = b;; ) {
        size_t sep = 0;
        if (i >= e) sep = 0;
        else if (S_starts(t + i, e - i, "\xE3\x80\x81")) sep = 3;       /* 、 */
        else if (S_starts(t + i, e - i, "\xEF\xBC\x8C")) sep = 3;       /* ， */
        else if (t[i] == ',') sep = 1;
        if (i >= e || sep) {
            size_t nb = start, ne = i;
            S_trim(t, &nb, &ne);
            if (ne == nb) {
                bl->out->error = "empty body name in the responsibility annotation";
                bl->out->err_off = start;
                return -1;
            }
            resp *r = bl->out;
            r->names = arena_grow(bl->a, r->names, sizeof *r->names, &bl->cap, r->n + 1);
            r->names[r->n++] = (resp_name){arena_strndup(bl->a, t + nb, ne - nb), nb, ne - nb, lead};
            if (i >= e) break;
            i += sep;
            start = i;
            continue;
        }
        i++;
    }
    return 0;
}

typedef struct label {
    const char *text;
    int lead;
} label;

static const label labels[] = {
    {"牵头单位", 1}, {"责任单位", 1}, {"主责单位", 1}, {"配合单位", 0}, {"参与单位", 0},
    {"协办单位", 0}, {"Lead", 1},     {"lead", 1},     {"Leads", 1},     {"Partners", 0},
    {"partners", 0}, {"Partner", 0},
};

/* A label at t[i..e) followed by ： or :. Returns its total length (label +
 * colon), sets *lead; 0 when none. */
static size_t S_label_at(const char *t, size_t i, size_t e, int *lead) {
    for (size_t k = 0; k < sizeof labels / sizeof *labels; k++) {
        size_t n = strlen(labels[k].text);
        if (!S_starts(t + i, e - i, labels[k].text)) continue;
        size_t j = i + n;
        while (j < e && t[j] == ' ') j++;
        if (S_starts(t + j, e - j, "\xEF\xBC\x9A")) j += 3; /* ： */
        else if (j < e && t[j] == ':') j += 1;
        else continue;
        *lead = labels[k].lead;
        return j - i;
    }
    return 0;
}

/* Clause separators: ； ; and ， , when a label follows. */
static size_t S_clause_sep(const char *t, size_t i, size_t e) {
    if (S_starts(t + i, e - i, "\xEF\xBC\x9B")) return 3; /* ； */
    if (t[i] == ';') return 1;
    return 0;
}

static int S_labelled(builder *bl, size_t b, size_t e) {
    const char *t = bl->t;
    int lead;
    size_t i = b;
    size_t ll = S_label_at(t, i, e, &lead);
    if (!ll) return 0;
    while (i < e) {
        ll = S_label_at(t, i, e, &lead);
        if (!ll) return 0;
        size_t vb = i + ll, j = vb;
        int next_lead;
        /* the value runs to a clause separator, or to a comma before a label */
        while (j < e) {
            size_t s = S_clause_sep(t, j, e);
            if (s) break;
            size_t c = S_starts(t + j, e - j, "\xEF\xBC\x8C") ? 3 : (t[j] == ',' ? 1 : 0);
            if (c) {
                size_t k = j + c;
                while (k < e && t[k] == ' ') k++;
                if (S_label_at(t, k, e, &next_lead)) break;
            }
            j++;
        }
        if (S_names(bl, vb, j, lead) < 0) return -1;
        if (j >= e) break;
        size_t s = S_clause_sep(t, j, e);
        if (!s) s = S_starts(t + j, e - j, "\xEF\xBC\x8C") ? 3 : 1;
        i = j + s;
        while (i < e && t[i] == ' ') i++;
        if (i >= e) break; /* a trailing separator */
    }
    return 1;
}

static const char *const partner_suffixes[] = {
    "按职责分工负责", "按照职责分工负责", "按职责负责", "分工负责", "共同负责",
    "配合", "参与", "协助", "负责",
};

/* （A牵头，B、C按职责分工负责） and （A负责）. */
static int S_state_council(builder *bl, size_t b, size_t e) {
    const char *t = bl->t;
    /* first clause: up to the first ， , ； ; */
    size_t j = b;
    while (j < e && !S_starts(t + j, e - j, "\xEF\xBC\x8C") && t[j] != ',' && !S_clause_sep(t, j, e)) j++;
    size_t cb = b, ce = j;
    S_trim(t, &cb, &ce);
    if (S_ends(t + cb, ce - cb, "牵头")) {
        if (S_names(bl, cb, ce - strlen("牵头"), 1) < 0) return -1;
    } else if (j >= e && S_ends(t + cb, ce - cb, "负责") &&
               !S_ends(t + cb, ce - cb, "分工负责")) {
        return S_names(bl, cb, ce - strlen("负责"), 1) < 0 ? -1 : 1;
    } else {
        return 0;
    }
    while (j < e) {
        j += S_starts(t + j, e - j, "\xEF\xBC\x8C") || S_starts(t + j, e - j, "\xEF\xBC\x9B") ? 3 : 1;
        size_t k = j;
        while (k < e && !S_starts(t + k, e - k, "\xEF\xBC\x8C") && t[k] != ',' && !S_clause_sep(t, k, e)) k++;
        size_t pb = j, pe = k;
        S_trim(t, &pb, &pe);
        size_t sl = 0;
        for (size_t m = 0; m < sizeof partner_suffixes / sizeof *partner_suffixes; m++) {
            if (S_ends(t + pb, pe - pb, partner_suffixes[m])) {
                sl = strlen(partner_suffixes[m]);
                break;
            }
        }
        if (!sl) return 0; /* not the form after all */
        /* names are separated by 、 only here: a comma ends the clause */
        if (S_names(bl, pb, pe - sl, 0) < 0) return -1;
        j = k;
    }
    return 1;
}

int resp_parse(arena *a, const char *t, size_t len, resp *out) {
    memset(out, 0, sizeof *out);
    size_t e = len;
    /* trailing spaces, then one 。 or . */
    size_t b0 = 0;
    S_trim(t, &b0, &e);
    if (S_ends(t, e, "\xE3\x80\x82")) e -= 3; /* 。 */
    else if (e && t[e - 1] == '.') e--;
    S_trim(t, &b0, &e);
    size_t close_len;
    if (S_ends(t, e, CLOSE_FW)) close_len = 3;
    else if (e && t[e - 1] == ')') close_len = 1;
    else return 0;
    /* the matching opening bracket */
    size_t i = e - close_len;
    int depth = 1;
    size_t open_at = (size_t)-1, open_len = 0;
    while (i > 0) {
        if (i >= 3 && memcmp(t + i - 3, CLOSE_FW, 3) == 0) {
            depth++;
            i -= 3;
        } else if (i >= 3 && memcmp(t + i - 3, OPEN_FW, 3) == 0) {
            if (--depth == 0) {
                open_at = i - 3;
                open_len = 3;
                break;
            }
            i -= 3;
        } else if (t[i - 1] == ')') {
            depth++;
            i--;
        } else if (t[i - 1] == '(') {
            if (--depth == 0) {
                open_at = i - 1;
                open_len = 1;
                break;
            }
            i--;
        } else {
            i--;
        }
    }
    if (open_at == (size_t)-1) return 0;
    size_t ib = open_at + open_len, ie = e - close_len;
    S_trim(t, &ib, &ie);
    builder bl = {a, t, out, 0};
    int rc = S_labelled(&bl, ib, ie);
    if (rc == 0) {
        out->n = 0;
        rc = S_state_council(&bl, ib, ie);
    }
    if (rc <= 0) {
        if (rc == 0) {
            out->n = 0;
            out->names = NULL;
        }
        return rc;
    }
    out->start = open_at;
    out->end = e;
    return 1;
}
