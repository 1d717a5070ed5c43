/* import.c — `planpress import`: a .docx (pandoc), .html (libxml2) or .txt plan
 * into a content file (the text kept; numbering, front matter, preface, roles
 * and ids added). */
#include "import.h"

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "build.h"
#include "diag.h"
#include "responsibility.h"
#include "roles.h"
#include "text.h"

extern char **environ;

/* ---- UTF-8 helpers ------------------------------------------------------- */

static size_t S_clen(const char *s) {
    unsigned char c = (unsigned char)*s;
    if (c < 0x80) return 1;
    if (c < 0xE0) return s[1] ? 2 : 1;
    if (c < 0xF0) return s[1] && s[2] ? 3 : 1;
    return s[1] && s[2] && s[3] ? 4 : 1;
}

static int S_at(const char *s, size_t n, const char *lit) {
    size_t k = strlen(lit);
    return n >= k && memcmp(s, lit, k) == 0;
}

static int S_ends(const char *s, size_t n, const char *lit) {
    size_t k = strlen(lit);
    return n >= k && memcmp(s + n - k, lit, k) == 0;
}

static const char *S_find(const char *s, size_t n, const char *lit) {
    size_t k = strlen(lit);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(s + i, lit, k) == 0) return s + i;
    return NULL;
}

/* A space at s: ASCII blank or control character but the line feed, U+3000,
 * U+00A0. Returns its length or 0. */
static size_t S_space(const char *s, size_t n) {
    if (n >= 1 && *s != '\n' && ((unsigned char)*s <= ' ' || *s == 0x7F)) return 1;
    if (S_at(s, n, "\xE3\x80\x80")) return 3;
    if (S_at(s, n, "\xC2\xA0")) return 2;
    return 0;
}

static size_t S_chars(const char *s, size_t n) {
    size_t c = 0;
    for (size_t i = 0; i < n; i += S_clen(s + i)) c++;
    return c;
}

/* Is s[0..n) a piece of Chinese punctuation that ends a sentence? */
static size_t S_sentence_end(const char *s, size_t n) {
    static const char *const ends[] = {"。", "！", "？", "；"};
    for (size_t i = 0; i < 4; i++)
        if (S_at(s, n, ends[i])) return 3;
    return 0;
}

/* A CJK ideograph (U+4E00..U+9FFF) at s. */
static int S_han(const char *s, size_t n) {
    const unsigned char *u = (const unsigned char *)s;
    return n >= 3 && u[0] >= 0xE4 && u[0] <= 0xE9 && (u[1] & 0xC0) == 0x80;
}

/* ---- numbering, dates, document numbers ----------------------------------- */

static int S_cn_digit(const char *s, size_t n, size_t *len) {
    static const char *const d[] = {"〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"};
    for (int i = 0; i < 10; i++)
        if (S_at(s, n, d[i])) {
            *len = strlen(d[i]);
            return i;
        }
    if (S_at(s, n, "零")) {
        *len = 3;
        return 0;
    }
    if (S_at(s, n, "两")) {
        *len = 3;
        return 2;
    }
    return -1;
}

/* 一 .. 九十九 (and 百 for chapters). */
static size_t S_cn_number(const char *s, size_t n, int *value) {
    size_t i = 0, l;
    int v = 0, d = S_cn_digit(s, n, &l);
    if (d > 0) {
        v = d;
        i = l;
    }
    if (S_at(s + i, n - i, "百")) {
        v = (i ? v : 1) * 100;
        i += 3;
        int t = S_cn_digit(s + i, n - i, &l);
        if (t == 0) i += l, t = S_cn_digit(s + i, n - i, &l);
        if (t > 0 && !S_at(s + i + l, n - i - l, "十")) return *value = v + t, i + l;
        if (t > 0) i += l, v += t * 10, i += 3;
        else if (S_at(s + i, n - i, "十")) v += 10, i += 3;
        int u = S_cn_digit(s + i, n - i, &l);
        if (u > 0) v += u, i += l;
        *value = v;
        return i;
    }
    if (S_at(s + i, n - i, "十")) {
        v = (i ? v : 1) * 10;
        i += 3;
        int u = S_cn_digit(s + i, n - i, &l);
        if (u > 0) {
            v += u;
            i += l;
        }
    }
    if (i == 0) return 0;
    *value = v;
    return i;
}

size_t import_numbering(const char *s, import_num_kind *kind, int *value) {
    size_t n = strlen(s), k = 0;
    *kind = IMPORT_NUM_NONE;
    if (S_at(s, n, "第")) {
        size_t l = S_cn_number(s + 3, n - 3, value);
        if (l && (S_at(s + 3 + l, n - 3 - l, "章") || S_at(s + 3 + l, n - 3 - l, "节"))) {
            *kind = S_at(s + 3 + l, n - 3 - l, "章") ? IMPORT_NUM_ZHANG : IMPORT_NUM_JIE;
            k = 3 + l + 3;
        }
    } else {
        k = roles_numbering(s, value);
        if (k) {
            const char *p = s;
            int paren = S_at(p, n, "（") || *p == '(';
            if (paren) p += *p == '(' ? 1 : 3;
            int digit = *p >= '0' && *p <= '9';
            if ((unsigned char)*s == 0xE2) *kind = IMPORT_NUM_CIRCLED;
            else if (paren) *kind = digit ? IMPORT_NUM_PAREN_ARABIC : IMPORT_NUM_PAREN_CN;
            else *kind = digit ? IMPORT_NUM_ARABIC : IMPORT_NUM_CN;
        }
    }
    if (!k) return 0;
    /* A number that is text: 1.5万, 2.0时代 are not numbering (roles_numbering
     * already refuses "1." before a digit); 一、 must be followed by text. */
    size_t sp;
    while ((sp = S_space(s + k, n - k)) != 0) k += sp;
    if (!s[k]) return 0;
    return k;
}

/* Digits, ASCII or full-width, or Chinese numerals; returns bytes, sets *v. */
static size_t S_number(const char *s, size_t n, int *v, int maxdigits) {
    size_t i = 0;
    int val = 0, nd = 0;
    for (;;) {
        if (i < n && s[i] >= '0' && s[i] <= '9' && nd < maxdigits) {
            val = val * 10 + (s[i] - '0');
            i++, nd++;
        } else if (i + 3 <= n && (unsigned char)s[i] == 0xEF && (unsigned char)s[i + 1] == 0xBC &&
                   (unsigned char)s[i + 2] >= 0x90 && (unsigned char)s[i + 2] <= 0x99 && nd < maxdigits) {
            val = val * 10 + ((unsigned char)s[i + 2] - 0x90);
            i += 3, nd++;
        } else break;
    }
    if (nd) return *v = val, i;
    if (maxdigits == 4) { /* 二〇一八: one numeral per digit */
        size_t l;
        int d;
        while (nd < 4 && (d = S_cn_digit(s + i, n - i, &l)) >= 0) val = val * 10 + d, i += l, nd++;
        return nd == 4 ? (*v = val, i) : 0;
    }
    return S_cn_number(s, n, v);
}

static size_t S_skip_spaces(const char *s, size_t n) {
    size_t i = 0, k;
    while ((k = S_space(s + i, n - i)) != 0) i += k;
    return i;
}

size_t import_date(const char *s, size_t n, char out[11]) {
    int y, m, d;
    size_t i = 0, k;
    if (!(k = S_number(s, n, &y, 4)) || y < 1900 || y > 2200) return 0;
    i += k;
    i += S_skip_spaces(s + i, n - i);
    if (!S_at(s + i, n - i, "年")) return 0;
    i += 3;
    i += S_skip_spaces(s + i, n - i);
    if (!(k = S_number(s + i, n - i, &m, 2)) || m < 1 || m > 12) return 0;
    i += k;
    i += S_skip_spaces(s + i, n - i);
    if (!S_at(s + i, n - i, "月")) return 0;
    i += 3;
    i += S_skip_spaces(s + i, n - i);
    if (!(k = S_number(s + i, n - i, &d, 2)) || d < 1 || d > 31) return 0;
    i += k;
    i += S_skip_spaces(s + i, n - i);
    if (!S_at(s + i, n - i, "日")) return 0;
    i += 3;
    snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
    if (!text_is_date(out)) return 0;
    return i;
}

size_t import_doc_number(const char *s, size_t n, size_t *start) {
    static const char *const open[] = {"〔", "【", "[", "（", "(", "［"};
    static const char *const close[] = {"〕", "】", "]", "）", ")", "］"};
    for (size_t i = 0; i < n; i += S_clen(s + i)) {
        for (size_t b = 0; b < sizeof open / sizeof *open; b++) {
            if (!S_at(s + i, n - i, open[b])) continue;
            size_t j = i + strlen(open[b]);
            int y;
            size_t k = S_number(s + j, n - j, &y, 4);
            if (k != 4 || y < 1900) continue; /* ASCII year only */
            j += k;
            if (!S_at(s + j, n - j, close[b])) continue;
            j += strlen(close[b]);
            int num;
            k = S_number(s + j, n - j, &num, 5);
            if (!k || !(s[j] >= '0' && s[j] <= '9')) continue;
            j += k;
            if (!S_at(s + j, n - j, "号")) continue;
            j += 3;
            /* The issuer's abbreviation before the bracket: 2 to 12 Han characters. */
            size_t b0 = i, chars = 0;
            while (b0 >= 3 && chars < 12 && S_han(s + b0 - 3, 3)) b0 -= 3, chars++;
            if (chars < 1) continue;
            *start = b0;
            return j - b0;
        }
    }
    return 0;
}

/* ---- the document as lines ------------------------------------------------- */

typedef struct iline {
    char *s;          /* trimmed, NUL-terminated, in the arena */
    size_t n;
    int line;         /* 1-based source line */
} iline;

typedef struct ctx {
    arena *a;
    const char *path;
    const bodies *b;
    strbuf *log;
    iline *L;
    size_t n, cap;
    import_info *info;
    int converted;    /* 0 the file's text, 1 a page's text, 2 pandoc's text */
} ctx;

__attribute__((format(printf, 3, 4))) static void S_note(ctx *c, int line, const char *fmt, ...);
static void S_note(ctx *c, int line, const char *fmt, ...) {
    va_list ap;
    if (line > 0 && !c->converted) sb_printf(c->log, "%s:%d:1: note: ", c->path, line);
    else sb_printf(c->log, "%s: note: ", c->path);
    va_start(ap, fmt);
    sb_vprintf(c->log, fmt, ap);
    va_end(ap);
    sb_putc(c->log, '\n');
}

/* Every line that holds text, trimmed of spaces (ASCII, U+3000, U+00A0);
 * tabs and other control characters become spaces. */
static void S_lines(ctx *c, const char *t, size_t len) {
    size_t i = 0;
    int line = 1;
    if (len >= 3 && memcmp(t, "\xEF\xBB\xBF", 3) == 0) i = 3;
    while (i < len) {
        size_t e = i;
        while (e < len && t[e] != '\n') e++;
        size_t b = i, f = e, k;
        while (b < f && (k = S_space(t + b, f - b)) != 0) b += k;
        for (;;) {
            if (f > b && ((unsigned char)t[f - 1] <= ' ' || t[f - 1] == 0x7F)) f--;
            else if (f - b >= 3 && S_ends(t + b, f - b, "\xE3\x80\x80")) f -= 3;
            else if (f - b >= 2 && S_ends(t + b, f - b, "\xC2\xA0")) f -= 2;
            else break;
        }
        /* pandoc draws a table's rules with - = + | : (its cells stay). */
        int rule = c->converted == 2 && f > b;
        for (size_t j = b; j < f && rule; j++) rule = strchr("-=+|: ", t[j]) != NULL;
        if (f > b && !rule) {
            char *s = arena_strndup(c->a, t + b, f - b);
            for (size_t j = 0; j < f - b; j++)
                if ((unsigned char)s[j] < 0x20 || s[j] == 0x7F) s[j] = ' ';
            c->L = arena_grow(c->a, c->L, sizeof *c->L, &c->cap, c->n + 1);
            c->L[c->n++] = (iline){s, f - b, line};
        }
        i = e + 1;
        line++;
    }
}

/* Joins a line broken inside a sentence (as conversion from Word or PDF
 * leaves them): the line holds a full sentence already, ends with an
 * ideograph, and the next begins with one and is not numbered. */
static int S_prose(const iline *l) {
    for (size_t i = 0; i < l->n; i += S_clen(l->s + i))
        if (S_sentence_end(l->s + i, l->n - i)) return 1;
    return 0;
}

static int S_continues(const iline *q) {
    import_num_kind k;
    int v;
    return S_han(q->s, q->n) && !import_numbering(q->s, &k, &v) && !S_at(q->s, q->n, "——");
}

static void S_join_broken(ctx *c, size_t from) {
    size_t w = from, r = from, joined = 0;
    while (r < c->n) {
        iline cur = c->L[r++];
        if (S_prose(&cur)) {
            strbuf sb = STRBUF_INIT;
            const iline *last = &cur;
            while (r < c->n && last->n >= 3 && S_han(last->s + last->n - 3, 3) && S_continues(&c->L[r])) {
                if (!sb.len) sb_append(&sb, cur.s, cur.n);
                sb_append(&sb, c->L[r].s, c->L[r].n);
                last = &c->L[r++];
                joined++;
            }
            if (sb.len && !sb.oom) {
                cur.s = arena_strndup(c->a, sb.ptr, sb.len);
                cur.n = sb.len;
            }
            sb_free(&sb);
        }
        c->L[w++] = cur;
    }
    c->n = w;
    if (joined) S_note(c, 0, "%zu line%s broken inside a sentence joined to the line before", joined,
                       joined == 1 ? "" : "s");
}

/* ---- the head: title, preface, front matter --------------------------------- */

/* Without spaces. */
static char *S_squeeze(arena *a, const char *s, size_t n) {
    char *o = arena_alloc(a, n + 1);
    size_t w = 0;
    for (size_t i = 0; i < n;) {
        size_t k = S_space(s + i, n - i);
        if (k) {
            i += k;
            continue;
        }
        o[w++] = s[i++];
    }
    o[w] = 0;
    return o;
}

/* A line that can be (part of) a title: short, no sentence punctuation. */
static int S_title_like(const iline *l) {
    if (S_chars(l->s, l->n) > 60) return 0;
    static const char *const stops[] = {"。", "，", "；", "：", "！", "？", ":"};
    for (size_t i = 0; i < sizeof stops / sizeof *stops; i++)
        if (S_find(l->s, l->n, stops[i])) return 0;
    return 1;
}

/* Is s a run of parentheticals: （征求意见稿）（2016—2020）? */
static int S_parentheticals(const char *s) {
    size_t n = strlen(s);
    if (!n) return 1;
    while (n) {
        if (!S_at(s, n, "（") && *s != '(') return 0;
        const char *e = S_find(s, n, "）");
        const char *e2 = memchr(s, ')', n);
        if (!e || (e2 && e2 < e)) e = e2;
        if (!e) return 0;
        size_t k = (size_t)(e - s) + (*e == ')' ? 1 : 3);
        s += k, n -= k;
    }
    return 1;
}

/* <…> and 〈…〉 as 《…》, to compare titles. */
static char *S_bracket_norm(arena *a, const char *s) {
    strbuf t = STRBUF_INIT;
    size_t n = strlen(s);
    for (size_t j = 0; j < n; j += S_clen(s + j)) {
        if (s[j] == '<' || S_at(s + j, n - j, "〈")) sb_puts(&t, "《");
        else if (s[j] == '>' || S_at(s + j, n - j, "〉")) sb_puts(&t, "》");
        else sb_append(&t, s + j, S_clen(s + j));
    }
    char *r = arena_strdup(a, sb_str(&t));
    sb_free(&t);
    return r;
}

/* The contents of every 《…》 (and <…>, 〈…〉 inside them) in s. */
typedef struct cand {
    char *t;
    size_t line;  /* index into c->L where it closed */
} cand;

static void S_candidates(ctx *c, size_t upto, cand **out, size_t *nout) {
    size_t cap = 0;
    /* The head as one string, spaces removed, with where each line begins. */
    strbuf h = STRBUF_INIT;
    size_t *starts = arena_alloc(c->a, (upto + 1) * sizeof *starts);
    for (size_t i = 0; i < upto; i++) {
        starts[i] = h.len;
        char *q = S_squeeze(c->a, c->L[i].s, c->L[i].n);
        sb_puts(&h, q);
    }
    starts[upto] = h.len;
    if (h.oom) {
        sb_free(&h);
        return;
    }
    size_t stack[16], depth = 0, line = 0;
    const char *s = sb_str(&h);
    for (size_t i = 0; i < h.len && *nout < 64; i += S_clen(s + i)) {
        while (line + 1 < upto && starts[line + 1] <= i) line++;
        int opening = S_at(s + i, h.len - i, "《") || S_at(s + i, h.len - i, "〈") || s[i] == '<';
        int closing = S_at(s + i, h.len - i, "》") || S_at(s + i, h.len - i, "〉") || s[i] == '>';
        if (opening) {
            if (depth < 16) stack[depth] = i + (s[i] == '<' ? 1 : 3);
            depth++;
        } else if (closing && depth) {
            depth--;
            if (depth < 16 && i > stack[depth]) {
                /* Inner brackets of any kind count as 《》 when comparing. */
                char *t = S_bracket_norm(c->a, arena_strndup(c->a, s + stack[depth], i - stack[depth]));
                *out = arena_grow(c->a, *out, sizeof **out, &cap, *nout + 1);
                (*out)[(*nout)++] = (cand){t, line};
            }
        }
    }
    sb_free(&h);
}

/* The first `chars` characters (spaces not counted) of lines L[j..j+n), as
 * printed: a run of spaces is dropped, but kept as one space between two
 * Latin letters or digits (中文 titles are often spaced out; English ones not). */
static const char *S_title_text(ctx *c, size_t j, size_t n, size_t chars) {
    strbuf t = STRBUF_INIT;
    int pending = 0;
    for (size_t l = j; l < j + n && chars; l++) {
        const char *s = c->L[l].s;
        size_t len = c->L[l].n;
        for (size_t i = 0; i < len && chars;) {
            size_t k = S_space(s + i, len - i);
            if (k) {
                pending = 1;
                i += k;
                continue;
            }
            unsigned char ch = (unsigned char)s[i];
            int alnum = ch < 0x80 && (((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z') || (ch >= '0' && ch <= '9'));
            if (pending && alnum && t.len) {
                unsigned char prev = (unsigned char)t.ptr[t.len - 1];
                if (prev < 0x80 && (((prev | 0x20) >= 'a' && (prev | 0x20) <= 'z') || (prev >= '0' && prev <= '9')))
                    sb_putc(&t, ' ');
            }
            pending = 0;
            size_t cl = S_clen(s + i);
            sb_append(&t, s + i, cl);
            i += cl;
            chars--;
        }
        pending = 1; /* a line break is a space */
    }
    const char *r = arena_strdup(c->a, sb_str(&t));
    sb_free(&t);
    return r;
}

/* Finds the title: the first run of title-like lines (after the 《》 that
 * names it) whose text is a title named in the head — the plan a notice
 * forwards — else the first line when it is title-like. Sets *ts, *tn. */
static const char *S_title(ctx *c, size_t upto, size_t *ts, size_t *tn) {
    cand *cs = NULL;
    size_t nc = 0;
    S_candidates(c, upto, &cs, &nc);
    for (size_t j = 0; j < upto; j++) {
        if (!S_title_like(&c->L[j])) continue;
        strbuf cat = STRBUF_INIT;
        for (size_t k = 0; k < 4 && j + k < upto && S_title_like(&c->L[j + k]); k++) {
            sb_puts(&cat, S_squeeze(c->a, c->L[j + k].s, c->L[j + k].n));
            char *norm = S_bracket_norm(c->a, sb_str(&cat));
            for (size_t i = 0; i < nc; i++) {
                size_t tl = strlen(cs[i].t);
                if (cs[i].line >= j || tl < 6 || S_ends(cs[i].t, tl, "通知")) continue;
                if (strncmp(norm, cs[i].t, tl) == 0 && S_parentheticals(norm + tl)) {
                    sb_free(&cat);
                    *ts = j;
                    *tn = k + 1;
                    return S_title_text(c, j, k + 1, S_chars(cs[i].t, tl));
                }
            }
        }
        sb_free(&cat);
    }
    import_num_kind k;
    int v;
    if (upto && S_title_like(&c->L[0]) && !import_numbering(c->L[0].s, &k, &v)) {
        *ts = 0;
        *tn = 1;
        return S_title_text(c, 0, 1, c->L[0].n);
    }
    *ts = *tn = 0;
    return NULL;
}

/* A line that is a date and nothing else (印发 or 通过 may follow). */
static int S_date_line(const iline *l, char out[11]) {
    size_t k = import_date(l->s, l->n, out);
    if (!k) {
        static const char *const labels[] = {"成文日期：", "成文日期:", "发布日期：", "日期："};
        for (size_t i = 0; i < 4 && !k; i++)
            if (S_at(l->s, l->n, labels[i])) {
                size_t off = strlen(labels[i]);
                off += S_skip_spaces(l->s + off, l->n - off);
                k = import_date(l->s + off, l->n - off, out);
                if (k) k += off;
            }
    }
    if (!k) return 0;
    const char *rest = l->s + k;
    rest += S_skip_spaces(rest, strlen(rest));
    return !*rest || strcmp(rest, "印发") == 0 || strcmp(rest, "通过") == 0;
}

static const char *S_period(ctx *c, const char *title, const char *after) {
    const char *srcs[2] = {title, after};
    for (int k = 0; k < 2; k++) {
        const char *s = srcs[k];
        if (!s) continue;
        size_t n = strlen(s);
        for (size_t i = 0; i + 4 <= n; i++) {
            int y1, y2;
            if (i && s[i - 1] >= '0' && s[i - 1] <= '9') continue;
            size_t l = S_number(s + i, n - i, &y1, 4);
            if (l != 4 || y1 < 1900) continue;
            size_t j = i + l;
            if (S_at(s + j, n - j, "年")) j += 3;
            size_t d = S_at(s + j, n - j, "—") || S_at(s + j, n - j, "–") || S_at(s + j, n - j, "～")
                           ? 3 : S_at(s + j, n - j, "至") ? 3 : (s[j] == '-' || s[j] == '~') ? 1 : 0;
            if (!d) continue;
            j += d;
            if (S_at(s + j, n - j, "—")) j += 3; /* —— */
            l = S_number(s + j, n - j, &y2, 4);
            if (l == 4 && y2 > y1 && y2 - y1 <= 30) return arena_printf(c->a, "%d-%d", y1, y2);
        }
    }
    static const struct { const char *name; int from; } fyp[] = {
        {"十一五", 2006}, {"十二五", 2011}, {"十三五", 2016}, {"十四五", 2021}, {"十五五", 2026}};
    for (size_t i = 0; i < sizeof fyp / sizeof *fyp; i++)
        if (strstr(title, fyp[i].name)) return arena_printf(c->a, "%d-%d", fyp[i].from, fyp[i].from + 4);
    int y;
    size_t l = S_number(title, strlen(title), &y, 4);
    if (l == 4 && S_at(title + l, strlen(title + l), "年") && y >= 1900) return arena_printf(c->a, "%d", y);
    return NULL;
}

/* The issuer: names the head gives (the signature above the notice's date,
 * the letterhead above a document number, the name before 关于 in a notice's
 * title), resolved through bodies.yaml. */
static void S_issuer(ctx *c, size_t pre_end, int date_at, int tail_date_at, const char **unknown) {
    const char *names[5];
    int lines[5], nn = 0;
    if (date_at > 0 && S_title_like(&c->L[date_at - 1]) && S_chars(c->L[date_at - 1].s, c->L[date_at - 1].n) <= 30)
        lines[nn] = c->L[date_at - 1].line, names[nn++] = S_squeeze(c->a, c->L[date_at - 1].s, c->L[date_at - 1].n);
    size_t st;
    if (pre_end >= 2 && S_title_like(&c->L[0]) && import_doc_number(c->L[1].s, c->L[1].n, &st) &&
        S_chars(c->L[0].s, c->L[0].n) <= 30)
        lines[nn] = c->L[0].line, names[nn++] = S_squeeze(c->a, c->L[0].s, c->L[0].n);
    for (size_t i = 0; i < pre_end && i < 6 && nn < 4; i++) {
        const char *g = S_find(c->L[i].s, c->L[i].n, "关于");
        if (g && g > c->L[i].s && S_title_like(&c->L[i]))
            lines[nn] = c->L[i].line, names[nn++] = S_squeeze(c->a, c->L[i].s, (size_t)(g - c->L[i].s));
    }
    /* The signature above the date at the end (the State Council's layout). */
    if (tail_date_at > 0 && S_title_like(&c->L[tail_date_at - 1]) &&
        S_chars(c->L[tail_date_at - 1].s, c->L[tail_date_at - 1].n) <= 30)
        lines[nn] = c->L[tail_date_at - 1].line,
        names[nn++] = S_squeeze(c->a, c->L[tail_date_at - 1].s, c->L[tail_date_at - 1].n);
    for (int i = 0; i < nn; i++) {
        const body *f = NULL, *o = NULL;
        if (c->b && bodies_resolve(c->b, names[i], NULL, &f, &o) == BODY_FOUND) {
            c->info->issuer = f->id;
            S_note(c, lines[i], "issuer: %s (\"%s\")", f->id, names[i]);
            return;
        }
    }
    if (nn) {
        *unknown = names[0];
        S_note(c, lines[0], "issuer \"%s\" is not in bodies.yaml: no issuer written (the stanza below "
               "declares it)", names[0]);
    } else {
        S_note(c, 0, "no issuer found: add issuer: BODY-ID");
    }
}

/* ---- Markdown out --------------------------------------------------------- */

/* Text as Markdown that renders as exactly that text. */
static void S_md_text(strbuf *o, const char *s, size_t n, int heading) {
    size_t i = 0;
    /* Line starts that open a block: list markers, breaks (the rest are
     * escaped wherever they stand). A heading's text opens no block. */
    if (heading) {
    } else if (n && strchr("-+=", s[0])) sb_putc(o, '\\');
    else {
        size_t d = 0;
        while (d < n && d < 10 && s[d] >= '0' && s[d] <= '9') d++;
        if (d && d < n && (s[d] == '.' || s[d] == ')')) {
            sb_append(o, s, d);
            sb_putc(o, '\\');
            i = d;
        }
    }
    for (; i < n; i++) {
        char ch = s[i];
        /* GFM's autolinks (http://, www.) take the raw characters after them,
         * escapes included: an escaped ':' or the '.' of "www." starts none. */
        int www = ch == '.' && i >= 3 && strncasecmp(s + i - 3, "www", 3) == 0;
        if (ch == '|') { /* as a reference: the build counts a line's '|' (table cells) */
            sb_puts(o, "&#124;");
            continue;
        }
        int scheme = ch == ':' && i && ((s[i - 1] | 0x20) >= 'a' && (s[i - 1] | 0x20) <= 'z');
        if ((strchr("\\`*_[]<>&~{}#", ch) && ch) || www || scheme) sb_putc(o, '\\');
        sb_putc(o, ch);
    }
}

static void S_yaml_str(strbuf *o, const char *s) {
    sb_putc(o, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') sb_putc(o, '\\');
        sb_putc(o, *s);
    }
    sb_putc(o, '"');
}

/* ---- the body: numbering into headings, roles, ids --------------------------- */

typedef struct para {
    const char *s;
    size_t n;
    int line;
    int level;            /* 2..6 a heading, 0 a paragraph */
    int value;
    const char *attrs;    /* {...} contents, or NULL */
    int role;             /* a section that gives a role: 0 goal, 1 task, 2 measure; -1 none */
    int children;         /* headings under a role section */
    int item_role;        /* -1, or the role of an item under a role section */
} para;

static int S_role_title(const char *s, size_t n, int *role) {
    import_num_kind k;
    int v;
    size_t off = import_numbering(s, &k, &v);
    s += off, n -= off;
    while (n >= 3 && (S_ends(s, n, "。") || S_ends(s, n, "：") || S_ends(s, n, "；"))) n -= 3;
    if (n && (s[n - 1] == ':' || s[n - 1] == '.')) n--;
    if (!n || S_chars(s, n) > 10) return 0;
    static const char *const joins[] = {"与", "和", "及", "、", "，"};
    for (size_t i = 0; i < 5; i++)
        if (S_find(s, n, joins[i])) return 0;
    if (S_ends(s, n, "目标")) return *role = 0, 1;
    if (S_ends(s, n, "任务")) return *role = 1, 1;
    if (S_ends(s, n, "措施") || S_ends(s, n, "保障")) return *role = 2, 1;
    return 0;
}

static int S_annex(const iline *l) {
    if (!S_at(l->s, l->n, "附件") && !S_at(l->s, l->n, "附：")) return 0;
    return S_chars(l->s, l->n) <= 6;
}

typedef struct body_state {
    para *p;
    size_t n, cap;
} body_state;

static void S_push_para(ctx *c, body_state *bs, const char *s, size_t n, int line, int level, int value) {
    bs->p = arena_grow(c->a, bs->p, sizeof *bs->p, &bs->cap, bs->n + 1);
    bs->p[bs->n++] = (para){s, n, line, level, value, NULL, -1, 0, -1};
}

static void S_body(ctx *c, size_t from, body_state *bs) {
    struct { import_num_kind kind; int value; } st[8];
    int depth = 0, base = 1, out_of_seq = 0, too_deep = 0;
    for (size_t i = from; i < c->n; i++) {
        const iline *l = &c->L[i];
        if (S_annex(l)) {
            S_push_para(c, bs, l->s, l->n, l->line, 2, 0);
            depth = 0;
            base = 2;
            continue;
        }
        import_num_kind k;
        int v;
        size_t nl = import_numbering(l->s, &k, &v);
        int level = 0;
        if (nl) {
            int p = -1;
            for (int j = 0; j < depth; j++)
                if (st[j].kind == k) p = j;
            if (p >= 0) {
                if (v == st[p].value + 1) {
                    st[p].value = v;
                    depth = p + 1;
                    level = base + 1 + p;
                } else {
                    if (!out_of_seq++)
                        S_note(c, l->line, "numbering out of sequence (%d after %d): kept as a paragraph",
                               v, st[p].value);
                }
            } else if (base + 1 + depth <= 6 && depth < 8) {
                st[depth].kind = k;
                st[depth].value = v;
                depth++;
                level = base + depth;
            } else if (!too_deep++) {
                S_note(c, l->line, "numbering nested deeper than Markdown's six heading levels: kept as a paragraph");
            }
        }
        if (!level) {
            S_push_para(c, bs, l->s, l->n, l->line, 0, 0);
            continue;
        }
        /* A heading is the numbering and the first sentence; the rest is its paragraph. */
        size_t e = l->n;
        for (size_t j = nl; j < l->n; j += S_clen(l->s + j)) {
            size_t k2 = S_sentence_end(l->s + j, l->n - j);
            if (k2) {
                e = j + k2;
                break;
            }
        }
        size_t rest = e + S_skip_spaces(l->s + e, l->n - e);
        S_push_para(c, bs, l->s, e, l->line, level, v);
        if (rest < l->n) S_push_para(c, bs, l->s + rest, l->n - rest, l->line, 0, 0);
    }
    if (out_of_seq > 1) S_note(c, 0, "%d numbered lines out of sequence kept as paragraphs", out_of_seq);
}

static void S_roles(ctx *c, body_state *bs) {
    static const char prefix[] = {'g', 't', 'm'};
    static const char *const plural[] = {"goals", "tasks", "measures"};
    static const char *const singular[] = {"goal", "task", "measure"};
    strmap used;
    strmap_init(&used, c->a);
    int sec = -1;              /* the role section we are in */
    int path[8], plevel[8], np = 0; /* the numbering values below it */
    int singles[3] = {0, 0, 0};
    for (size_t i = 0; i < bs->n; i++) {
        para *p = &bs->p[i];
        if (!p->level) continue;
        c->info->headings++;
        if (sec >= 0 && p->level <= bs->p[sec].level) sec = -1;
        int role;
        if (sec < 0) {
            if (S_role_title(p->s, p->n, &role)) {
                p->role = role;
                sec = (int)i;
                np = 0;
            }
            continue;
        }
        para *s = &bs->p[sec];
        s->children++;
        p->item_role = s->role;
        while (np && plevel[np - 1] >= p->level) np--;
        if (np < 8) {
            path[np] = p->value;
            plevel[np++] = p->level;
        }
        strbuf id = STRBUF_INIT;
        sb_printf(&id, "%c", prefix[s->role]);
        for (int j = 0; j < np; j++) sb_printf(&id, "%s%d", j ? "-" : "", path[j]);
        const char *want = arena_strdup(c->a, sb_str(&id));
        for (int k = 2; strmap_get(&used, want); k++) want = arena_printf(c->a, "%s-%d", sb_str(&id), k);
        sb_free(&id);
        strmap_put(&used, want, (void *)want);
        p->attrs = arena_printf(c->a, "#%s", want);
    }
    for (size_t i = 0; i < bs->n; i++) {
        para *p = &bs->p[i];
        if (p->role < 0) continue;
        /* With headings below, the section gives them its role; without, it
         * is one goal, task or measure, numbered after the items. */
        if (p->children) {
            p->attrs = arena_printf(c->a, ".%s", plural[p->role]);
        } else {
            const char *want = arena_printf(c->a, "%c%d", prefix[p->role], ++singles[p->role]);
            while (strmap_get(&used, want)) want = arena_printf(c->a, "%c%d", prefix[p->role], ++singles[p->role]);
            strmap_put(&used, want, (void *)want);
            p->attrs = arena_printf(c->a, "#%s .%s", want, singular[p->role]);
            p->item_role = p->role;
        }
        S_note(c, p->line, "%s: \"%.*s\" {%s}", p->children ? "role section" : "role", (int)p->n, p->s, p->attrs);
    }
    for (size_t i = 0; i < bs->n; i++) {
        int r = bs->p[i].item_role;
        if (r == 0) c->info->goals++;
        else if (r == 1) c->info->tasks++;
        else if (r == 2) c->info->measures++;
    }
}

/* A name as its phrase gives it, as the build resolves it: with the level
 * prefix its list carries (省工业和信息化厅、科技厅 → 省科技厅) when that is a
 * known body or the bare name is not; 国家 only when it makes a known body. */
static const char *S_carried(ctx *c, const resp_name *nm, body_match *m) {
    const body *f = NULL, *o = NULL;
    if (!nm->prefix) {
        *m = c->b ? bodies_resolve(c->b, nm->name, c->info->issuer, &f, &o) : BODY_UNKNOWN;
        return nm->name;
    }
    const char *full = arena_printf(c->a, "%s%s", nm->prefix, nm->name);
    if (c->b && (*m = bodies_resolve(c->b, full, c->info->issuer, &f, &o)) != BODY_UNKNOWN) return full;
    if (c->b && (*m = bodies_resolve(c->b, nm->name, c->info->issuer, &f, &o)) != BODY_UNKNOWN) return nm->name;
    *m = BODY_UNKNOWN;
    return strcmp(nm->prefix, "国家") == 0 ? nm->name : full;
}

/* The bodies that the 分工 phrases of a section name — at the end of its
 * heading or of any of its paragraphs (a phrase may stand in a paragraph of its
 * own after the task's text) — for every heading, since role classes may be
 * added by hand later. Unknown ones are collected; collective parties
 * (各有关单位) are shown as written and never proposed as bodies. */
static void S_responsibility(ctx *c, body_state *bs, const char ***unknown, size_t *nunk, size_t *ucap) {
    int parties = 0, headed = 0;
    for (size_t i = 0; i < bs->n; i++) {
        const para *t = &bs->p[i];
        headed |= t->level > 0;
        if (!headed) continue; /* the introduction, before the first heading */
        resp r;
        int rc = resp_parse(c->a, t->s, t->n, &r);
        if (rc < 0) {
            S_note(c, t->line, "the responsibility phrase here is not read (%s): check will report it",
                   r.error ? r.error : "?");
            continue;
        }
        if (rc == 0) continue;
        for (size_t j = 0; j < r.n; j++) {
            body_match m;
            const body *f = NULL, *o = NULL;
            const char *nm = S_carried(c, &r.names[j], &m);
            if (m == BODY_FOUND) continue;
            if (m == BODY_AMBIGUOUS) {
                bodies_resolve(c->b, nm, c->info->issuer, &f, &o);
                S_note(c, t->line, "body \"%s\" is ambiguous (%s or %s)", nm, f->id, o->id);
                continue;
            }
            if (r.names[j].role == RESP_PARTY) {
                if (!parties++)
                    S_note(c, t->line, "\"%s\" is a collective party: shown as written, no body "
                           "(bodies.yaml may declare one to give it a page)", nm);
                continue;
            }
            size_t u;
            for (u = 0; u < *nunk; u++)
                if (strcmp((*unknown)[u], nm) == 0) break;
            if (u < *nunk) continue;
            *unknown = arena_grow(c->a, *unknown, sizeof **unknown, ucap, *nunk + 1);
            (*unknown)[(*nunk)++] = nm;
            S_note(c, t->line, "body \"%s\" is not in bodies.yaml", nm);
        }
    }
    if (parties > 1) S_note(c, 0, "%d names of collective parties shown as written", parties);
}

void import_text(arena *a, const char *path, const char *id, const char *text, size_t len,
                 int converted, const bodies *b, strbuf *md, strbuf *log, import_info *info) {
    memset(info, 0, sizeof *info);
    ctx c = {a, path, b, log, NULL, 0, 0, info, converted};
    S_lines(&c, text, len);

    /* The head ends at the first top-level numbering (一、 第一章). */
    size_t upto = c.n < 200 ? c.n : 200;
    for (size_t i = 0; i < upto; i++) {
        import_num_kind k;
        int v;
        if (import_numbering(c.L[i].s, &k, &v) && (k == IMPORT_NUM_CN || k == IMPORT_NUM_ZHANG)) {
            upto = i;
            break;
        }
    }
    size_t ts = 0, tn = 0;
    const char *title = S_title(&c, upto, &ts, &tn);
    if (title) {
        info->title = title;
        info->title_from_text = 1;
        info->title_line = c.L[ts].line;
        info->title_lines = (int)tn;
        info->title_last_line = c.L[ts + tn - 1].line;
        S_note(&c, c.L[ts].line, "title: %s", title);
    } else {
        info->title = id;
        S_note(&c, 0, "no title found: the id stands in; set title:");
    }
    info->preface_lines = title ? (int)ts : 0;
    size_t pre_end = title ? ts : 0, body_from = title ? ts + tn : 0;
    if (pre_end && !converted)
        S_note(&c, c.L[0].line, "lines %d-%d (before the title) kept as the preface", c.L[0].line,
               c.L[pre_end - 1].line);
    else if (pre_end)
        S_note(&c, 0, "%zu paragraphs before the title kept as the preface", pre_end);

    /* Front matter from what the head states. */
    char date[11];
    int date_at = -1;
    for (size_t i = 0; i < pre_end; i++)
        if (S_date_line(&c.L[i], date)) date_at = (int)i;
    if (date_at >= 0) {
        S_date_line(&c.L[date_at], date);
        info->date = arena_strdup(a, date);
        S_note(&c, c.L[date_at].line, "date: %s", info->date);
    }
    for (size_t i = body_from; i < body_from + 4 && i < c.n; i++) {
        if (!S_date_line(&c.L[i], date)) continue;
        int passed = strstr(c.L[i].s, "通过") || (i + 1 < c.n && strstr(c.L[i + 1].s, "通过")) ||
                     (i > body_from && strstr(c.L[i - 1].s, "通过"));
        if (passed && !info->adopted) {
            info->adopted = arena_strdup(a, date);
            S_note(&c, c.L[i].line, "adopted: %s", info->adopted);
        } else if (!passed && !info->date) {
            info->date = arena_strdup(a, date);
            date_at = (int)i;
            S_note(&c, c.L[i].line, "date: %s", info->date);
        }
    }
    /* Else the date under the signature at the end, as the State Council prints it. */
    int tail_date_at = -1;
    for (size_t i = c.n; i > body_from && i + 6 > c.n && !info->date; i--) {
        if (!S_date_line(&c.L[i - 1], date)) continue;
        info->date = arena_strdup(a, date);
        tail_date_at = (int)i - 1;
        S_note(&c, c.L[i - 1].line, "date: %s (under the signature at the end)", info->date);
    }
    if (!info->date) S_note(&c, 0, "no date of issue found: add date: YYYY-MM-DD");
    size_t nsearch = pre_end ? pre_end : (body_from + 3 < c.n ? body_from + 3 : c.n);
    for (size_t i = 0; i < nsearch && !info->number; i++) {
        size_t st, nl = import_doc_number(c.L[i].s, c.L[i].n, &st);
        if (nl) {
            info->number = arena_strndup(a, c.L[i].s + st, nl);
            S_note(&c, c.L[i].line, "number: %s", info->number);
        }
    }
    for (size_t i = 0; i < c.n && i < body_from + 3; i++)
        if (strstr(c.L[i].s, "征求意见稿")) {
            info->draft = 1;
            S_note(&c, c.L[i].line, "status: draft (征求意见稿)");
            break;
        }
    const char *after = body_from < c.n ? c.L[body_from].s : NULL;
    info->period = title ? S_period(&c, title, after) : NULL;
    if (info->period) S_note(&c, 0, "period: %s", info->period);
    const char *unknown_issuer = NULL;
    S_issuer(&c, pre_end, date_at >= 0 && (size_t)date_at < pre_end ? date_at : -1, tail_date_at,
             &unknown_issuer);

    /* The body. */
    S_join_broken(&c, body_from);
    body_state bs = {NULL, 0, 0};
    S_body(&c, body_from, &bs);
    S_roles(&c, &bs);
    const char **unknown = NULL;
    size_t nunk = 0, ucap = 0;
    if (unknown_issuer) {
        unknown = arena_grow(a, unknown, sizeof *unknown, &ucap, 1);
        unknown[nunk++] = unknown_issuer;
    }
    S_responsibility(&c, &bs, &unknown, &nunk, &ucap);
    S_note(&c, 0, "%d headings from the numbering: %d goals, %d tasks, %d measures", info->headings,
           info->goals, info->tasks, info->measures);
    if (!info->goals && !info->tasks && !info->measures)
        S_note(&c, 0, "no section says goals (目标), tasks (任务) or measures (措施/保障): add role classes by hand");
    if (info->tasks && info->goals) S_note(&c, 0, "tasks are not linked to goals: add goals=\"g1\" where the text says so");

    /* Out. */
    sb_puts(md, "---\n");
    sb_printf(md, "id: %s\n", id);
    sb_puts(md, "title: ");
    S_yaml_str(md, info->title);
    sb_putc(md, '\n');
    if (info->issuer) sb_printf(md, "issuer: %s\n", info->issuer);
    if (info->number) {
        sb_puts(md, "number: ");
        S_yaml_str(md, info->number);
        sb_putc(md, '\n');
    }
    if (info->date) sb_printf(md, "date: %s\n", info->date);
    if (info->adopted) sb_printf(md, "adopted: %s\n", info->adopted);
    if (info->period) sb_printf(md, "period: \"%s\"\n", info->period);
    sb_printf(md, "status: %s\n", info->draft ? "draft" : "adopted");
    sb_puts(md, "---\n");
    for (size_t i = 0; i < pre_end; i++) {
        sb_puts(md, i ? ">\n> " : "\n> ");
        S_md_text(md, c.L[i].s, c.L[i].n, 0);
        sb_putc(md, '\n');
    }
    for (size_t i = 0; i < bs.n; i++) {
        const para *p = &bs.p[i];
        sb_putc(md, '\n');
        if (p->level) {
            for (int k = 0; k < p->level; k++) sb_putc(md, '#');
            sb_putc(md, ' ');
        }
        S_md_text(md, p->s, p->n, p->level > 0);
        if (p->attrs) sb_printf(md, " {%s}", p->attrs);
        sb_putc(md, '\n');
    }

    if (nunk) {
        sb_printf(log, "%s: note: %zu bod%s not in bodies.yaml; to declare them, add to bodies.yaml "
                  "(choose the ids):\n", path, nunk, nunk == 1 ? "y" : "ies");
        for (size_t i = 0; i < nunk; i++) {
            char buf[BODIES_UNKNOWN_ID_SIZE];
            sb_printf(log, "\n- id: %s\n  name: ", bodies_unknown_id(unknown[i], buf));
            S_yaml_str(log, unknown[i]);
            sb_puts(log, "\n  aliases: []\n");
            if (info->issuer) sb_printf(log, "  parent: %s\n", info->issuer);
        }
        sb_putc(log, '\n');
    }
}

/* ---- pandoc (.docx) ------------------------------------------------------------ */

/* "64 MiB", "100000 bytes": a limit as a reader would write it. */
static const char *S_size(char *buf, size_t n, unsigned long long v) {
    if (v >= (1ull << 20) && v % (1ull << 20) == 0) snprintf(buf, n, "%llu MiB", v >> 20);
    else if (v >= (1ull << 20)) snprintf(buf, n, "%.1f MiB", (double)v / 1048576.0);
    else snprintf(buf, n, "%llu bytes", v);
    return buf;
}

static long S_env_long(const char *name, long dflt, long min, long max) {
    const char *v = getenv(name);
    if (!v || !*v) return dflt;
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || *end || n < min || n > max) return dflt;
    return n;
}

static double S_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs pandoc on path (no shell), its plain text into out. Returns 0, or an
 * exit status after printing a diagnostic: 1 when pandoc refuses the
 * document or its text is too large, 3 when pandoc is missing, is killed or
 * takes longer than the time allowed. */
static int S_pandoc(const char *path, const char *from, size_t cap, strbuf *out) {
    const char *prog = getenv("PLANPRESS_PANDOC");
    if (!prog || !*prog) prog = "pandoc";
    long timeout = S_env_long("PLANPRESS_IMPORT_TIMEOUT", 120, 1, 86400);
    char *arg_path = (path[0] == '-' || path[0] == '+') ? NULL : (char *)path;
    char local[PATH_MAX + 3];
    if (!arg_path) {
        snprintf(local, sizeof local, "./%s", path);
        arg_path = local;
    }
    char *argv[] = {(char *)prog, "-f", (char *)from, "-t", "plain", "--wrap=none", arg_path, NULL};
    int po[2] = {-1, -1}, pe[2] = {-1, -1}, rc = EXIT_IO;
    pid_t pid = -1;
    strbuf err = STRBUF_INIT;
    posix_spawn_file_actions_t fa;
    int fa_ok = 0;
    if (pipe2(po, O_CLOEXEC) != 0 || pipe2(pe, O_CLOEXEC) != 0) {
        fprintf(stderr, "planpress: import: cannot make a pipe: %s\n", strerror(errno));
        goto done;
    }
    if (posix_spawn_file_actions_init(&fa) != 0) goto done;
    fa_ok = 1;
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, po[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
    int se = posix_spawnp(&pid, prog, &fa, NULL, argv, environ);
    if (se != 0) {
        pid = -1;
        if (se == ENOENT)
            fprintf(stderr, "%s: error: %s is not installed; import reads .docx and .html through it "
                    "(Debian: apt-get install pandoc)\n", path, prog);
        else
            fprintf(stderr, "%s: error: cannot run %s: %s\n", path, prog, strerror(se));
        goto done;
    }
    close(po[1]), po[1] = -1;
    close(pe[1]), pe[1] = -1;
    double deadline = S_now() + (double)timeout;
    char buf[65536];
    while (po[0] >= 0 || pe[0] >= 0) {
        struct pollfd pf[2];
        int *fds[2], np = 0;
        if (po[0] >= 0) pf[np] = (struct pollfd){po[0], POLLIN, 0}, fds[np++] = &po[0];
        if (pe[0] >= 0) pf[np] = (struct pollfd){pe[0], POLLIN, 0}, fds[np++] = &pe[0];
        double left = deadline - S_now();
        if (left <= 0) {
            fprintf(stderr, "%s: error: %s took longer than %ld s; stopped\n", path, prog, timeout);
            goto done;
        }
        int pr = poll(pf, (nfds_t)np, (int)(left * 1000) + 1);
        if (pr < 0) {
            if (errno == EINTR) continue;
            fprintf(stderr, "planpress: import: poll: %s\n", strerror(errno));
            goto done;
        }
        for (int k = 0; k < np; k++) {
            if (!pf[k].revents) continue;
            ssize_t r = read(pf[k].fd, buf, sizeof buf);
            if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
            if (r <= 0) {
                close(pf[k].fd);
                *fds[k] = -1;
                continue;
            }
            if (fds[k] == &pe[0]) {
                if (err.len < 8192) sb_append(&err, buf, (size_t)r);
            } else if (out->len + (size_t)r > cap) {
                char sz[32];
                fprintf(stderr, "%s: error: the document's text is larger than %s; not imported\n",
                        path, S_size(sz, sizeof sz, cap));
                rc = EXIT_CONTENT;
                goto done;
            } else {
                sb_append(out, buf, (size_t)r);
            }
        }
    }
    /* Both pipes closed: wait for the exit, within the time left. */
    int status = 0;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid) break;
        if (w < 0 && errno != EINTR) goto done;
        if (S_now() > deadline) {
            fprintf(stderr, "%s: error: %s took longer than %ld s; stopped\n", path, prog, timeout);
            goto done;
        }
        usleep(10000);
    }
    pid = -1;
    if (out->oom || err.oom) {
        fprintf(stderr, "planpress: import: out of memory\n");
        goto done;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        rc = 0;
        goto done;
    }
    /* pandoc's own message, first line. */
    const char *m = sb_str(&err);
    size_t ml = strcspn(m, "\n");
    if (WIFEXITED(status)) {
        fprintf(stderr, "%s: error: %s could not read it (exit status %d)%s%.*s\n", path, prog,
                WEXITSTATUS(status), ml ? ": " : "", (int)(ml > 500 ? 500 : ml), m);
        rc = EXIT_CONTENT;
    } else {
        fprintf(stderr, "%s: error: %s was killed by signal %d\n", path, prog, WTERMSIG(status));
    }
done:
    if (pid > 0) {
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
        }
    }
    for (int k = 0; k < 2; k++) {
        if (po[k] >= 0) close(po[k]);
        if (pe[k] >= 0) close(pe[k]);
    }
    if (fa_ok) posix_spawn_file_actions_destroy(&fa);
    sb_free(&err);
    return rc;
}

/* ---- HTML (libxml2) ------------------------------------------------------------ */

/* HTML is read with libxml2's HTML parser rather than pandoc: a gov.cn page is
 * mostly the site's navigation and footer around one element that holds the
 * document, and only a parser that gives the tree can take that element alone;
 * libxml2 also decodes the charset a page declares (GB2312 pages exist). */

static int S_is(const xmlNode *n, const char *name) {
    return n->type == XML_ELEMENT_NODE && n->name && strcasecmp((const char *)n->name, name) == 0;
}

static int S_attr_has(const xmlNode *n, const char *attr, const char *word) {
    xmlChar *v = xmlGetProp((xmlNode *)n, (const xmlChar *)attr);
    if (!v) return 0;
    int found = 0;
    size_t wl = strlen(word);
    for (const char *p = (const char *)v; *p && !found;) {
        while (*p == ' ' || *p == '\t') p++;
        size_t l = strcspn(p, " \t");
        found = l == wl && strncasecmp(p, word, wl) == 0;
        p += l;
    }
    xmlFree(v);
    return found;
}

/* The element that holds a gov.cn-style page's document: #UCAP-CONTENT,
 * .pages_content, .TRS_Editor, .article-content; else <body>. */
static const xmlNode *S_content_node(const xmlNode *n, const char **why) {
    static const char *const classes[] = {"pages_content", "TRS_Editor", "article-content"};
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE) continue;
        if (S_attr_has(n, "id", "UCAP-CONTENT")) return *why = "#UCAP-CONTENT", n;
        for (size_t i = 0; i < sizeof classes / sizeof *classes; i++)
            if (S_attr_has(n, "class", classes[i])) return *why = classes[i], n;
        const xmlNode *r = S_content_node(n->children, why);
        if (r) return r;
    }
    return NULL;
}

static const xmlNode *S_find_element(const xmlNode *n, const char *name) {
    for (; n; n = n->next) {
        if (S_is(n, name)) return n;
        const xmlNode *r = S_find_element(n->children, name);
        if (r) return r;
    }
    return NULL;
}

static void S_html_walk(const xmlNode *n, strbuf *out, int pre) {
    static const char *const skip[] = {"script", "style", "noscript", "template", "head", "iframe",
                                       "object", "svg", "select", "button", "input", "textarea"};
    static const char *const blocks[] = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "tr",
                                         "table", "section", "article", "blockquote", "pre", "dd",
                                         "dt", "ul", "ol", "center", "header", "footer", "aside",
                                         "nav", "main", "figure", "figcaption", "caption", "hr", "form"};
    for (; n; n = n->next) {
        if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
            const char *t = (const char *)n->content;
            if (!t) continue;
            if (pre) {
                sb_puts(out, t);
                continue;
            }
            /* Outside <pre>, a line break in the source is a space, as a browser shows it. */
            for (; *t; t++) sb_putc(out, *t == '\n' || *t == '\r' || *t == '\t' ? ' ' : *t);
            continue;
        }
        if (n->type != XML_ELEMENT_NODE) continue;
        int skipped = 0, block = 0;
        for (size_t i = 0; i < sizeof skip / sizeof *skip; i++) skipped |= S_is(n, skip[i]);
        if (skipped) continue;
        if (S_is(n, "br")) {
            sb_putc(out, '\n');
            continue;
        }
        for (size_t i = 0; i < sizeof blocks / sizeof *blocks; i++) block |= S_is(n, blocks[i]);
        if (block) sb_putc(out, '\n');
        else if (S_is(n, "td") || S_is(n, "th")) sb_putc(out, ' ');
        S_html_walk(n->children, out, pre || S_is(n, "pre"));
        if (block) sb_putc(out, '\n');
    }
}

/* The page's text: one line per block, the content element alone when there
 * is one. Returns 0, or an exit status after a diagnostic. */
static int S_html(const char *path, const strbuf *raw, strbuf *text) {
    int len = raw->len > INT_MAX ? INT_MAX : (int)raw->len;
    htmlDocPtr doc = htmlReadMemory(raw->ptr ? raw->ptr : "", len, path, NULL,
                                    HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                    HTML_PARSE_NONET | HTML_PARSE_COMPACT);
    if (!doc) {
        fprintf(stderr, "%s: error: not an HTML page libxml2 can read\n", path);
        return EXIT_CONTENT;
    }
    const xmlNode *root = xmlDocGetRootElement(doc);
    const char *why = NULL;
    const xmlNode *content = S_content_node(root, &why);
    if (content) {
        fprintf(stderr, "%s: note: the page's document is in its %s element: the rest of the page "
                "(navigation, footer) is left out\n", path, why);
        S_html_walk(content->children, text, 0);
    } else {
        const xmlNode *bn = S_find_element(root, "body");
        S_html_walk(bn ? bn->children : root, text, 0);
    }
    xmlFreeDoc(doc);
    if (text->oom) {
        fprintf(stderr, "planpress: import: out of memory\n");
        return EXIT_IO;
    }
    return 0;
}

/* ---- the command ------------------------------------------------------------ */

/* Reads a regular file of at most cap bytes. Returns 0, or an exit status
 * after a diagnostic. */
static int S_read_file(const char *path, size_t cap, strbuf *out) {
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        fprintf(stderr, "%s: error: cannot read: %s\n", path, strerror(errno));
        return EXIT_IO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        fprintf(stderr, "%s: error: not a regular file\n", path);
        close(fd);
        return EXIT_CONTENT;
    }
    if ((unsigned long long)st.st_size > cap) {
        char s1[32], s2[32];
        fprintf(stderr, "%s: error: the file is %s; import reads at most %s\n", path,
                S_size(s1, sizeof s1, (unsigned long long)st.st_size), S_size(s2, sizeof s2, cap));
        close(fd);
        return EXIT_CONTENT;
    }
    char buf[65536];
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            fprintf(stderr, "%s: error: cannot read: %s\n", path, strerror(errno));
            close(fd);
            return EXIT_IO;
        }
        if (r == 0) break;
        if (out->len + (size_t)r > cap) {
            char s1[32];
            fprintf(stderr, "%s: error: the file is larger than %s\n", path, S_size(s1, sizeof s1, cap));
            close(fd);
            return EXIT_CONTENT;
        }
        sb_append(out, buf, (size_t)r);
    }
    close(fd);
    if (out->oom) {
        fprintf(stderr, "planpress: import: out of memory\n");
        return EXIT_IO;
    }
    return 0;
}

/* A .docx is a zip archive; an encrypted one is an OLE compound file. */
static int S_check_docx(const char *path, const strbuf *head) {
    const unsigned char *u = (const unsigned char *)head->ptr;
    size_t n = head->len;
    static const unsigned char ole[] = {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1};
    if (n >= 8 && memcmp(u, ole, 8) == 0) {
        fprintf(stderr, "%s: error: an encrypted (password-protected) document or an old binary .doc, not a "
                "zip archive: save it from Word as a .docx without a password\n", path);
        return EXIT_CONTENT;
    }
    if (n < 30 || memcmp(u, "PK\x03\x04", 4) != 0) {
        fprintf(stderr, "%s: error: not a .docx (a .docx is a zip archive; this file is not one)\n", path);
        return EXIT_CONTENT;
    }
    if (u[6] & 1) {
        fprintf(stderr, "%s: error: the zip archive is encrypted: save it from Word without a password\n", path);
        return EXIT_CONTENT;
    }
    return 0;
}

/* GB18030 (GBK) text into UTF-8, as many Chinese .txt files are. */
static int S_from_gb18030(const strbuf *in, strbuf *out) {
    iconv_t cd = iconv_open("UTF-8", "GB18030");
    if (cd == (iconv_t)-1) return -1;
    char *ip = in->ptr;
    size_t il = in->len;
    int rc = 0;
    char buf[65536];
    while (il) {
        char *op = buf;
        size_t ol = sizeof buf;
        size_t r = iconv(cd, &ip, &il, &op, &ol);
        sb_append(out, buf, (size_t)(op - buf));
        if (r == (size_t)-1 && errno != E2BIG) {
            rc = -1;
            break;
        }
    }
    iconv_close(cd);
    return rc || out->oom ? -1 : 0;
}

/* The id from the file name: lower-cased, other characters as '-'. */
static char *S_id_from_path(arena *a, const char *path) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot > base ? (size_t)(dot - base) : strlen(base);
    char *id = arena_alloc(a, n + 1);
    size_t w = 0;
    for (size_t i = 0; i < n && w < 100; i++) {
        char ch = base[i];
        if (ch >= 'A' && ch <= 'Z') ch = (char)(ch - 'A' + 'a');
        if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) id[w++] = ch;
        else if (w && id[w - 1] != '-') id[w++] = '-';
    }
    while (w && id[w - 1] == '-') w--;
    id[w] = 0;
    return w ? id : arena_strdup(a, "plan");
}

/* bodies.yaml of --repo, or of the repository enclosing the current folder. */
static const bodies *S_bodies(arena *a, const char *repo_dir, bodies *b) {
    char dir[PATH_MAX];
    if (repo_dir) {
        snprintf(dir, sizeof dir, "%s", repo_dir);
    } else {
        if (!getcwd(dir, sizeof dir)) return NULL;
        for (;;) {
            char probe[PATH_MAX + 8];
            struct stat st;
            snprintf(probe, sizeof probe, "%s/.git", dir);
            if (stat(probe, &st) == 0) break;
            char *slash = strrchr(dir, '/');
            if (!slash || slash == dir) return NULL;
            *slash = 0;
        }
    }
    static const char *const rel[] = {"content/bodies.yaml", "bodies.yaml"};
    for (size_t i = 0; i < 2; i++) {
        char p[PATH_MAX + 32];
        snprintf(p, sizeof p, "%s/%s", dir, rel[i]);
        struct stat st;
        if (stat(p, &st) != 0 || !S_ISREG(st.st_mode)) continue;
        strbuf src = STRBUF_INIT;
        if (S_read_file(p, 16u << 20, &src) != 0) {
            sb_free(&src);
            return NULL;
        }
        diag *d = diag_new(0);
        bodies_init(b, a);
        int rc = d ? bodies_load(b, d, p, sb_str(&src), src.len) : -1;
        if (d) {
            diag_flush(d, stderr);
            diag_free(d);
        }
        sb_free(&src);
        if (rc != 0) {
            fprintf(stderr, "planpress: import: %s cannot be used; bodies are not resolved\n", p);
            return NULL;
        }
        fprintf(stderr, "%s: note: bodies resolved through this file\n", p);
        return b;
    }
    if (repo_dir) fprintf(stderr, "%s: note: no bodies.yaml here; bodies are not resolved\n", repo_dir);
    return NULL;
}

static int S_write_out(const char *path, const strbuf *md, int force) {
    if (!force) {
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0) {
            if (errno == EEXIST) {
                fprintf(stderr, "planpress: %s already exists; nothing written (--force replaces it)\n", path);
                return EXIT_USAGE;
            }
            fprintf(stderr, "planpress: cannot write %s: %s\n", path, strerror(errno));
            return EXIT_IO;
        }
        size_t off = 0;
        while (off < md->len) {
            ssize_t w = write(fd, md->ptr + off, md->len - off);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) {
                fprintf(stderr, "planpress: cannot write %s: %s\n", path, strerror(errno));
                close(fd);
                unlink(path);
                return EXIT_IO;
            }
            off += (size_t)w;
        }
        if (close(fd) != 0) {
            fprintf(stderr, "planpress: cannot write %s: %s\n", path, strerror(errno));
            unlink(path);
            return EXIT_IO;
        }
        return 0;
    }
    char tmp[PATH_MAX + 16];
    snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        fprintf(stderr, "planpress: cannot write %s: %s\n", path, strerror(errno));
        return EXIT_IO;
    }
    fchmod(fd, 0644);
    size_t off = 0;
    int ok = 1;
    while (ok && off < md->len) {
        ssize_t w = write(fd, md->ptr + off, md->len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) ok = 0;
        else off += (size_t)w;
    }
    if (close(fd) != 0) ok = 0;
    if (!ok || rename(tmp, path) != 0) {
        fprintf(stderr, "planpress: cannot write %s: %s\n", path, strerror(errno));
        unlink(tmp);
        return EXIT_IO;
    }
    return 0;
}

int import_run(const import_options *o) {
    const char *path = o->file;
    const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
    if (dot && slash && dot < slash) dot = NULL;
    enum { K_TXT, K_DOCX, K_HTML } kind;
    if (dot && strcasecmp(dot, ".txt") == 0) kind = K_TXT;
    else if (dot && strcasecmp(dot, ".docx") == 0) kind = K_DOCX;
    else if (dot && (strcasecmp(dot, ".html") == 0 || strcasecmp(dot, ".htm") == 0)) kind = K_HTML;
    else {
        fprintf(stderr, "%s: error: unknown kind of document (%s): import reads .docx, .html, .htm and .txt\n",
                path, dot ? dot : "no extension");
        return EXIT_CONTENT;
    }
    if (o->id && !text_is_id(o->id)) {
        fprintf(stderr, "planpress: \"%s\" is not an id: use lowercase letters, digits and '-'\n(see planpress --help)\n", o->id);
        return EXIT_USAGE;
    }
    size_t cap = (size_t)S_env_long("PLANPRESS_IMPORT_MAX_BYTES", 64L << 20, 1, 1L << 30);
    int rc = 0;
    arena *a = arena_new();
    strbuf raw = STRBUF_INIT, text = STRBUF_INIT, md = STRBUF_INIT, log = STRBUF_INIT;
    if (!a) {
        fprintf(stderr, "planpress: import: out of memory\n");
        return EXIT_IO;
    }
    if ((rc = S_read_file(path, cap, &raw)) != 0) goto done;
    if (kind == K_DOCX && (rc = S_check_docx(path, &raw)) != 0) goto done;
    if (kind == K_TXT) {
        text = raw;
        raw = (strbuf)STRBUF_INIT;
    } else if (kind == K_HTML) {
        if ((rc = S_html(path, &raw, &text)) != 0) goto done;
    } else {
        sb_free(&raw);
        if ((rc = S_pandoc(path, "docx", cap, &text)) != 0) goto done;
    }
    int is_nul = 0;
    size_t bad = text_check_utf8(sb_str(&text), text.len, &is_nul);
    if (bad < text.len) {
        int line, col;
        text_line_col(sb_str(&text), bad, &line, &col);
        if (is_nul) {
            fprintf(stderr, "%s:%d:%d: error: a NUL byte: not a text file\n", path, line, col);
            rc = EXIT_CONTENT;
            goto done;
        }
        strbuf conv = STRBUF_INIT;
        if (kind == K_TXT && S_from_gb18030(&text, &conv) == 0 &&
            text_check_utf8(sb_str(&conv), conv.len, &is_nul) == conv.len) {
            fprintf(stderr, "%s: note: not UTF-8: read as GB18030\n", path);
            sb_free(&text);
            text = conv;
        } else {
            sb_free(&conv);
            fprintf(stderr, "%s:%d:%d: error: not UTF-8 (nor GB18030) text\n", path, line, col);
            rc = EXIT_CONTENT;
            goto done;
        }
    }
    int has_text = 0;
    for (size_t i = 0; i < text.len && !has_text;) {
        size_t k = S_space(text.ptr + i, text.len - i);
        if (k) i += k;
        else if (text.ptr[i] == '\n') i++;
        else has_text = 1;
    }
    if (!has_text) {
        fprintf(stderr, "%s: error: no text in this document\n", path);
        rc = EXIT_CONTENT;
        goto done;
    }
    const char *id = o->id ? o->id : S_id_from_path(a, path);
    if (!o->id) fprintf(stderr, "%s: note: id: %s (from the file name; --id sets another)\n", path, id);
    bodies bs;
    const bodies *b = S_bodies(a, o->repo, &bs);
    import_info info;
    import_text(a, path, id, sb_str(&text), text.len, kind == K_TXT ? 0 : kind == K_HTML ? 1 : 2, b,
                &md, &log, &info);
    fputs(sb_str(&log), stderr);
    if (md.oom || log.oom) {
        fprintf(stderr, "planpress: import: out of memory\n");
        rc = EXIT_IO;
        goto done;
    }
    if (o->out) {
        rc = S_write_out(o->out, &md, o->force);
        if (rc == 0) fprintf(stderr, "wrote %s\n", o->out);
    } else if (fwrite(md.ptr, 1, md.len, stdout) != md.len || fflush(stdout) != 0) {
        fprintf(stderr, "planpress: import: cannot write to standard output: %s\n", strerror(errno));
        rc = EXIT_IO;
    }
done:
    sb_free(&raw);
    sb_free(&text);
    sb_free(&md);
    sb_free(&log);
    arena_free(a);
    return rc;
}
