/* markdown.c — Markdown to safe HTML with cmark-gfm: attribute blocks, heading anchors, limits. */
#include "markdown.h"

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm-extension_api.h>
#include <cmark-gfm.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

/*
 * How it works
 * ============
 *
 * md_render parses once with cmark-gfm (CMARK_OPT_SOURCEPOS, never
 * CMARK_OPT_UNSAFE), walks the block tree once, renders with cmark's own
 * HTML renderer and copies the result into the arena in one pass that adds
 * the `id` attributes. No step re-parses the document; the source is read
 * once more only to find line starts (forward, in document order).
 *
 * Attribute blocks
 * ----------------
 * The raw source is the authority. For each heading and for each list item
 * whose first block is a paragraph, we take the one source line where the
 * text ends (an ATX heading's line; the line above a setext underline; the
 * last line of the paragraph) and look at its end, ignoring trailing blanks
 * and an ATX closing sequence:
 *   - it ends with an unescaped `}`: the block starts at the `{` found by
 *     scanning back over quoted values; it counts only if it looks like one
 *     (`{#x`, `{.x` or `{key=`), so `a {b} c` and `Set {x}` stay text;
 *   - otherwise, if the last unescaped `{` on the line looks like an opener
 *     and nothing closes it: "attribute block does not close".
 * The block is parsed from the raw bytes (md_parse_attrs), so values are
 * taken literally — `_`, `*`, URLs and backslashes in them mean nothing.
 *
 * Then the block is cut from the tree. cmark may have split its text over
 * several inline nodes (emphasis from `*`, autolinks from URLs, code spans
 * from backticks), so we do not match text; we count braces: every raw `{`
 * after the opener survives as exactly one literal `{` in a text, code or
 * raw-HTML leaf (Markdown links and character references could break that,
 * so blocks containing them are refused with a diagnostic). The opener is
 * thus the (n+1)-th `{` from the end of the block's leaves, where n is the
 * number of `{` after it on the raw line. Everything from there to the end
 * is removed, then trailing blanks and line breaks. Safety rules, so that
 * no text before the block is ever lost: the search never crosses a line
 * break (only the last line can be cut); if the opener lands in a code
 * span, a link or an image, or cannot be found (it went into a link
 * destination), or lands in a leaf that cmark's inline positions put left
 * of the raw opener, the braces belong to that construct and nothing is
 * touched.
 *
 * Anchors
 * -------
 * Explicit `#id`s are collected first (a repeated one is an error), then
 * every other heading, and every item with an attribute block, gets
 * md_slug(text), made unique with -1, -2, ... (GitHub's rule). cmark's
 * renderer writes a heading as exactly `<hN>` and an item as exactly `<li>`
 * and escapes `<` everywhere else (raw HTML is omitted in safe mode), so
 * the k-th such tag in the output is the k-th heading/item of the tree in
 * document order; the copy into the arena inserts ` id="..."` there and
 * checks that the counts agree.
 *
 * Limits
 * ------
 * cmark-gfm 0.29.0.gfm.6 is slow (quadratic) on some inputs that no plan
 * needs: lines that open thousands of containers followed by lazy
 * continuation lines, and table rows with thousands of cells. A cheap scan
 * of line starts and `|` counts refuses those before parsing; the tree walk
 * then enforces MD_MAX_NESTING exactly. (Still quadratic in this cmark
 * version, fixed upstream in 0.29.0.gfm.7+: thousands of unclosed `![`
 * followed by links in one paragraph — 240 KB of "![[]()" takes ~5 s.)
 *
 * Positions: lines are file lines (first_line + source line - 1); columns
 * count bytes from 1, as cmark's do.
 */

#define MD_MAX_TABLE_CELLS 128 /* '|' on one line (table columns) */
#define MD_SLUG_MAX 120        /* bytes in a generated slug */

/* ---------------------------------------------------------------------- */
/* One-time set-up                                                        */

static pthread_once_t S_once = PTHREAD_ONCE_INIT;
static cmark_syntax_extension *S_exts[4]; /* written once, under S_once */

static void S_init_once(void) {
    static const char *const names[4] = {"table", "strikethrough", "autolink", "tagfilter"};
    cmark_gfm_core_extensions_ensure_registered();
    for (int i = 0; i < 4; i++) S_exts[i] = cmark_find_syntax_extension(names[i]);
}

void md_init(void) { pthread_once(&S_once, S_init_once); }

/* ---------------------------------------------------------------------- */
/* Small byte helpers                                                     */

static int S_is_blank(char c) { return c == ' ' || c == '\t'; }
static int S_is_digit(char c) { return c >= '0' && c <= '9'; }
static int S_is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int S_is_id_char(char c) { return (c >= 'a' && c <= 'z') || S_is_digit(c) || c == '-'; }
static int S_is_class_char(char c) { return S_is_alpha(c) || S_is_digit(c) || c == '_' || c == '-'; }
static int S_is_key_start(char c) { return S_is_alpha(c) || c == '_'; }
static int S_is_key_char(char c) { return S_is_class_char(c); }

/* Whether s[i] is preceded by an odd number of backslashes (from s[lo]). */
static int S_escaped(const char *s, size_t lo, size_t i) {
    size_t k = 0;
    while (i > lo + k && s[i - k - 1] == '\\') k++;
    return (int)(k & 1);
}

/* ---------------------------------------------------------------------- */
/* Attribute blocks                                                       */

int md_parse_attrs(arena *a, const char *s, size_t n, md_attrs *out, const char **err,
                   size_t *err_off) {
    size_t ccap = 0, kcap = 0, i = 1;
    memset(out, 0, sizeof *out);
    *err = NULL;
    *err_off = 0;
    if (n == 0 || s[0] != '{') {
        *err = "attribute block must start with '{'";
        return -1;
    }
    if (n > MD_MAX_ATTR_BLOCK) {
        *err = "attribute block is too long";
        return -1;
    }
    for (;;) {
        while (i < n && S_is_blank(s[i])) i++;
        if (i >= n) {
            *err = "attribute block does not close";
            *err_off = 0;
            return -1;
        }
        char c = s[i];
        size_t start = i;
        if (c == '}') {
            if (i + 1 != n) {
                *err = "unexpected text after the attribute block";
                *err_off = i + 1;
                return -1;
            }
            return 0;
        }
        if (c == '\n' || c == '\r') {
            *err = "attribute block must be on one line";
            *err_off = i;
            return -1;
        }
        if (c == '#' || c == '.') {
            int is_id = c == '#';
            i++;
            while (i < n && !S_is_blank(s[i]) && s[i] != '}') {
                if (is_id ? !S_is_id_char(s[i]) : !S_is_class_char(s[i])) {
                    *err = is_id ? "invalid character in id (ids use a-z, 0-9 and -)"
                                 : "invalid character in class name (use A-Z, a-z, 0-9, _ and -)";
                    *err_off = i;
                    return -1;
                }
                i++;
            }
            if (i == start + 1) {
                *err = is_id ? "empty id after '#'" : "empty class name after '.'";
                *err_off = start;
                return -1;
            }
            if (is_id) {
                if (out->id) {
                    *err = "more than one id in attribute block";
                    *err_off = start;
                    return -1;
                }
                out->id = arena_strndup(a, s + start + 1, i - start - 1);
            } else {
                out->classes = arena_grow(a, out->classes, sizeof *out->classes, &ccap, out->nclasses + 1);
                out->classes[out->nclasses++] = arena_strndup(a, s + start + 1, i - start - 1);
            }
            continue;
        }
        if (!S_is_key_start(c)) {
            *err = "expected #id, .class or key=value";
            *err_off = i;
            return -1;
        }
        while (i < n && S_is_key_char(s[i])) i++;
        size_t key_end = i;
        if (i >= n || s[i] != '=') {
            *err = (i < n && !S_is_blank(s[i]) && s[i] != '}') ? "invalid character in attribute name"
                                                              : "expected '=' after attribute name";
            *err_off = i;
            return -1;
        }
        for (size_t k = 0; k < out->nkv; k++) {
            if (strlen(out->kv[k].key) == key_end - start &&
                memcmp(out->kv[k].key, s + start, key_end - start) == 0) {
                *err = "duplicate attribute";
                *err_off = start;
                return -1;
            }
        }
        i++; /* '=' */
        size_t vstart, vend;
        if (i < n && (s[i] == '"' || s[i] == '\'')) {
            char q = s[i];
            size_t open = i++;
            vstart = i;
            while (i < n && s[i] != q) {
                if (s[i] == '\n' || s[i] == '\r') {
                    *err = "attribute value must be on one line";
                    *err_off = i;
                    return -1;
                }
                if ((unsigned char)s[i] < 0x20 && s[i] != '\t') {
                    *err = "control character in attribute value";
                    *err_off = i;
                    return -1;
                }
                i++;
            }
            if (i >= n) {
                *err = "quoted value does not close";
                *err_off = open;
                return -1;
            }
            vend = i++;
            if (i < n && !S_is_blank(s[i]) && s[i] != '}') {
                *err = "expected a space after the quoted value";
                *err_off = i;
                return -1;
            }
        } else {
            vstart = i;
            while (i < n && !S_is_blank(s[i]) && s[i] != '}') {
                unsigned char b = (unsigned char)s[i];
                if (b < 0x20 || strchr("\"'`=<>{", b)) {
                    *err = "invalid character in unquoted value (quote the value)";
                    *err_off = i;
                    return -1;
                }
                i++;
            }
            vend = i;
            if (vend == vstart) {
                *err = "missing value after '='";
                *err_off = vstart;
                return -1;
            }
        }
        out->kv = arena_grow(a, out->kv, sizeof *out->kv, &kcap, out->nkv + 1);
        out->kv[out->nkv].key = arena_strndup(a, s + start, key_end - start);
        out->kv[out->nkv].value = arena_strndup(a, s + vstart, vend - vstart);
        out->nkv++;
    }
}

/* Whether the `{` at p (p < end) opens something that is clearly meant as
 * an attribute block: `{#x`, `{.x` or `{key=` (blanks allowed after `{`). */
static int S_looks_like_opener(const char *p, const char *end) {
    const char *q = p + 1;
    while (q < end && S_is_blank(*q)) q++;
    if (q >= end) return 0;
    if (*q == '#' || *q == '.') {
        if (q + 1 >= end) return 0;
        unsigned char c = (unsigned char)q[1];
        /* `{#` and anything but a blank or `}` is meant as an id: a bad one
         * ({#../x}) is an error, not text left in the heading */
        if (*q == '#') return c > 0x20 && c != '}' && c != 0x7f;
        return c >= 0x80 || S_is_alpha((char)c) || S_is_digit((char)c) || c == '-' || c == '_';
    }
    if (!S_is_key_start(*q)) return 0;
    while (q < end && S_is_key_char(*q)) q++;
    return q < end && *q == '=';
}

/* The last unescaped `{` in s[lo, hi), or NULL. */
static const char *S_last_brace(const char *s, size_t lo, size_t hi) {
    while (hi > lo) {
        const char *p = memrchr(s + lo, '{', hi - lo);
        if (!p) return NULL;
        size_t i = (size_t)(p - s);
        if (!S_escaped(s, lo, i)) return p;
        hi = i;
    }
    return NULL;
}

/* Scans back from the `}` at s[hi-1] over blanks, tokens and quoted values
 * to the `{` that opens the block; NULL when there is none within
 * MD_MAX_ATTR_BLOCK bytes or an unquoted `}` comes first. */
static const char *S_scan_back(const char *s, size_t lo, size_t hi) {
    size_t lim = hi - lo > MD_MAX_ATTR_BLOCK ? hi - MD_MAX_ATTR_BLOCK : lo;
    size_t j = hi - 1;
    while (j > lim) {
        char c = s[--j];
        if (c == '"' || c == '\'') {
            const char *q = memrchr(s + lim, c, j - lim);
            if (!q) return NULL;
            j = (size_t)(q - s);
        } else if (c == '}') {
            return NULL;
        } else if (c == '{') {
            return S_escaped(s, lo, j) ? NULL : s + j;
        }
    }
    return NULL;
}

/* Refuses what would break the brace count between source and tree. */
static int S_has_markup(const char *p, const char *end) {
    for (const char *q = p; q + 1 < end; q++) {
        if (q[0] == ']' && (q[1] == '(' || q[1] == '[')) return 1;
        if (q[0] == '&' && (q[1] == '#' || S_is_alpha(q[1]))) {
            const char *r = q + 1;
            if (*r == '#') r++;
            while (r < end && r - q < 40 && (S_is_alpha(*r) || S_is_digit(*r))) r++;
            if (r < end && *r == ';') return 1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Slugs                                                                  */

/* Decodes one UTF-8 sequence at s[0..n); returns its length (0 when
 * invalid: overlong, surrogate, out of range or truncated). */
static size_t S_utf8(const unsigned char *s, size_t n, uint32_t *cp) {
    unsigned char c = s[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        len = 2, v = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3, v = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return len;
}

static size_t S_put_utf8(char *o, uint32_t cp) {
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    } else if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    } else if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Non-ASCII code points that a slug drops: punctuation, symbols, spaces,
 * controls and private use. Letters, marks and numbers of every script are
 * kept — including 〇 and 々 (U+3005–3007) and the Suzhou numerals, which
 * sit inside the CJK punctuation block but are letters and numbers. */
static int S_slug_drops(uint32_t c) {
    static const uint32_t ranges[][2] = {
        {0x0080, 0x00A9}, {0x00AB, 0x00B1}, {0x00B4, 0x00B4}, {0x00B6, 0x00B8},
        {0x00BB, 0x00BB}, {0x00BF, 0x00BF}, {0x00D7, 0x00D7}, {0x00F7, 0x00F7},
        {0x2000, 0x206F}, /* general punctuation: “”‘’—…•‧, spaces, ZW chars */
        {0x20A0, 0x20CF}, /* currency */
        {0x2190, 0x245F}, /* arrows, math operators, technical, control pictures */
        {0x2500, 0x2775}, /* box drawing, shapes, miscellaneous symbols */
        {0x2794, 0x2BFF}, /* dingbats, arrows, math symbols */
        {0x2E00, 0x2E7F}, /* supplemental punctuation */
        {0x3000, 0x3004}, {0x3008, 0x3020}, {0x302A, 0x3030}, {0x3036, 0x3037},
        {0x303D, 0x303F}, /* CJK punctuation: 、。「」【】〔〕 etc. */
        {0x30FB, 0x30FB}, /* katakana middle dot */
        {0xE000, 0xF8FF}, /* private use */
        {0xFE10, 0xFE1F}, {0xFE30, 0xFE6F}, /* vertical, compatibility, small forms */
        {0xFEFF, 0xFEFF}, /* BOM */
        {0xFF00, 0xFF0F}, {0xFF1A, 0xFF20}, {0xFF3B, 0xFF40}, {0xFF5B, 0xFF65},
        {0xFFE0, 0xFFFF}, /* full-width signs, specials */
        {0x1F000, 0x1FAFF}, /* emoji and pictographs */
        {0xE0000, 0x10FFFF}, /* tags, variation selectors supplement, private use */
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        if (c < ranges[i][0]) return 0;
        if (c <= ranges[i][1]) return 1;
    }
    return 0;
}

/* Lower case for ASCII, Latin-1, basic Greek and Cyrillic, full-width Latin. */
static uint32_t S_lower(uint32_t c) {
    if (c >= 'A' && c <= 'Z') return c + 32;
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;
    if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 32;
    if (c >= 0x410 && c <= 0x42F) return c + 32;
    if (c >= 0x400 && c <= 0x40F) return c + 80;
    if (c >= 0xFF21 && c <= 0xFF3A) return c + 32;
    return c;
}

/* GitHub's rule: lower-case, ' ' becomes '-', ASCII punctuation other than
 * '-' and '_' is dropped, as is non-ASCII punctuation (so "Goals & Tasks"
 * gives "goals--tasks", "（一）发展基础" gives "一发展基础"). Departures from
 * GitHub: at most MD_SLUG_MAX bytes (cut at a character boundary), invalid
 * UTF-8 is dropped, and lower-casing covers only the scripts in S_lower. */
const char *md_slug(arena *a, const char *text, size_t n) {
    const unsigned char *s = (const unsigned char *)text;
    char *out = arena_alloc(a, (n < MD_SLUG_MAX ? n : MD_SLUG_MAX) + 8);
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t len = S_utf8(s + i, n - i, &cp);
        if (len == 0) {
            i++;
            continue;
        }
        i += len;
        if (cp < 0x80) {
            char c = (char)cp;
            if (c == ' ') c = '-';
            else if (S_is_alpha(c)) c = (char)(c | 0x20);
            else if (!S_is_digit(c) && c != '-' && c != '_') continue;
            if (o + 1 > MD_SLUG_MAX) break;
            out[o++] = c;
            continue;
        }
        if (S_slug_drops(cp)) continue;
        char buf[4];
        size_t bl = S_put_utf8(buf, S_lower(cp));
        if (o + bl > MD_SLUG_MAX) break;
        memcpy(out + o, buf, bl);
        o += bl;
    }
    if (o == 0) return "section";
    out[o] = '\0';
    return out;
}

/* ---------------------------------------------------------------------- */
/* Render state                                                           */

typedef struct render_ctx {
    arena *a;
    diag *d;
    const char *path;
    int first_line;
    const char *src;
    size_t len;
    int has_cr;
    int cur_line;   /* line cursor: cur_off is where cur_line starts */
    size_t cur_off;
    md_block *blocks;
    size_t nblocks, bcap;
    int *tags;      /* per heading/item in document order: block index, or -1 */
    size_t ntags, tcap;
    int last_heading[7];
    int cur_heading; /* the last heading's block, -1 before any */
    md_para *paras;
    size_t nparas, pcap;
    md_row *rows;
    size_t nrows, rcap;
    int ntables;
    int list_depth, depth;
    int failed;     /* content errors reported */
    int oom;
    strbuf tmp;
} render_ctx;

static int S_file_line(const render_ctx *c, int line) { return c->first_line + line - 1; }

/* End of the line that starts at p: the first '\n' or '\r' (or end). */
static size_t S_eol(const render_ctx *c, size_t p) {
    const char *s = c->src;
    const char *nl = memchr(s + p, '\n', c->len - p);
    size_t e = nl ? (size_t)(nl - s) : c->len;
    if (c->has_cr) {
        const char *cr = memchr(s + p, '\r', e - p);
        if (cr) e = (size_t)(cr - s);
    }
    return e;
}

/* The source line `line` (1-based, as cmark counts: \n, \r and \r\n end a
 * line) as [*ls, *le) without its terminator. Lines are asked for in
 * document order, give or take a line (a setext heading's text is found
 * after its underline), so the cursor moves by short steps either way and
 * all lookups together cost one pass over the source. */
static int S_line(render_ctx *c, int line, size_t *ls, size_t *le) {
    if (line < 1) return -1;
    while (c->cur_line > line) {
        size_t e = c->cur_off - 1; /* the previous line's terminator ends here */
        if (e > 0 && c->src[e] == '\n' && c->src[e - 1] == '\r') e--;
        size_t b = e;
        while (b > 0 && c->src[b - 1] != '\n' && c->src[b - 1] != '\r') b--;
        c->cur_off = b;
        c->cur_line--;
    }
    while (c->cur_line < line) {
        size_t e = S_eol(c, c->cur_off);
        if (e >= c->len) return -1;
        if (c->src[e] == '\r' && e + 1 < c->len && c->src[e + 1] == '\n') e += 2;
        else e += 1;
        c->cur_off = e;
        c->cur_line++;
    }
    *ls = c->cur_off;
    *le = S_eol(c, c->cur_off);
    return 0;
}

static void S_push_tag(render_ctx *c, int v) {
    if (c->ntags == c->tcap) {
        size_t ncap = c->tcap ? c->tcap * 2 : 64;
        int *p = realloc(c->tags, ncap * sizeof *p);
        if (!p) {
            c->oom = 1;
            return;
        }
        c->tags = p;
        c->tcap = ncap;
    }
    c->tags[c->ntags++] = v;
}

/* ---------------------------------------------------------------------- */
/* Pre-scan: limits that must hold before cmark sees the text             */

/* Container markers at the start of a line (block quote '>' and list
 * markers), as a cheap upper bound of the nesting that line opens. A line
 * that is a thematic break ("- - - -") opens nothing. */
static int S_line_markers(const char *s, size_t n) {
    size_t i = 0, first_list = (size_t)-1;
    int count = 0;
    for (;;) {
        while (i < n && S_is_blank(s[i])) i++;
        if (i >= n) break;
        if (s[i] == '>') {
            i++;
        } else if ((s[i] == '-' || s[i] == '+' || s[i] == '*') && (i + 1 >= n || S_is_blank(s[i + 1]))) {
            if (first_list == (size_t)-1) first_list = i;
            i++;
        } else if (S_is_digit(s[i])) {
            size_t j = i;
            while (j < n && j - i < 9 && S_is_digit(s[j])) j++;
            if (j < n && (s[j] == '.' || s[j] == ')') && (j + 1 >= n || S_is_blank(s[j + 1]))) {
                if (first_list == (size_t)-1) first_list = i;
                i = j + 1;
            } else {
                break;
            }
        } else {
            break;
        }
        count++;
    }
    if (count > MD_MAX_NESTING && first_list != (size_t)-1) {
        /* "- - - -" alone is a thematic break, not nesting */
        char m = s[first_list];
        size_t k = first_list;
        while (k < n && (s[k] == m || S_is_blank(s[k]))) k++;
        if (k == n && (m == '-' || m == '*')) {
            int markers = 0;
            for (size_t j = 0; j < first_list; j++) markers += s[j] == '>';
            return markers;
        }
    }
    return count;
}

static int S_prescan(render_ctx *c) {
    size_t p = 0;
    int line = 1;
    while (p < c->len) {
        size_t e = S_eol(c, p);
        if (S_line_markers(c->src + p, e - p) > MD_MAX_NESTING) {
            diag_error(c->d, c->path, S_file_line(c, line), 1,
                       "lists and block quotes nested deeper than %d levels", MD_MAX_NESTING);
            return -1;
        }
        const char *q = c->src + p, *qe = c->src + e;
        int pipes = 0;
        while ((q = memchr(q, '|', (size_t)(qe - q))) != NULL) {
            if (++pipes > MD_MAX_TABLE_CELLS) {
                diag_error(c->d, c->path, S_file_line(c, line), (int)(q - (c->src + p)) + 1,
                           "more than %d table cells ('|') on one line", MD_MAX_TABLE_CELLS);
                return -1;
            }
            q++;
        }
        if (e >= c->len) break;
        p = (c->src[e] == '\r' && e + 1 < c->len && c->src[e + 1] == '\n') ? e + 2 : e + 1;
        line++;
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Tree helpers                                                           */

static void S_remove(cmark_node *n) {
    cmark_node_unlink(n);
    cmark_node_free(n);
}

static cmark_node *S_last_leaf(cmark_node *n) {
    cmark_node *c;
    while ((c = cmark_node_last_child(n)) != NULL) n = c;
    return n;
}

/* The leaf before n inside `top` (in document order), or NULL. */
static cmark_node *S_prev_leaf(cmark_node *n, cmark_node *top) {
    while (n != top && !cmark_node_previous(n)) n = cmark_node_parent(n);
    if (n == top || !n) return NULL;
    return S_last_leaf(cmark_node_previous(n));
}

/* Finds the (skip+1)-th '{' from the end of block's leaves without crossing
 * a line break: *leaf, *off. Returns 0 when found. */
static int S_find_opener(cmark_node *block, size_t skip, cmark_node **leaf, size_t *off) {
    for (cmark_node *n = S_last_leaf(block); n && n != block; n = S_prev_leaf(n, block)) {
        cmark_node_type t = cmark_node_get_type(n);
        if (t == CMARK_NODE_SOFTBREAK || t == CMARK_NODE_LINEBREAK) return -1;
        if (t != CMARK_NODE_TEXT && t != CMARK_NODE_CODE && t != CMARK_NODE_HTML_INLINE) continue;
        const char *lit = cmark_node_get_literal(n);
        if (!lit) continue;
        for (size_t i = strlen(lit); i-- > 0;) {
            if (lit[i] == '\n') return -1;
            if (lit[i] != '{') continue;
            if (skip-- == 0) {
                *leaf = n;
                *off = i;
                return 0;
            }
        }
    }
    return -1;
}

/* Whether the opener found stands in plain (possibly emphasised) text. */
static int S_in_plain_text(cmark_node *leaf, cmark_node *block) {
    if (cmark_node_get_type(leaf) != CMARK_NODE_TEXT) return 0;
    for (cmark_node *p = cmark_node_parent(leaf); p && p != block; p = cmark_node_parent(p)) {
        cmark_node_type t = cmark_node_get_type(p);
        if (t == CMARK_NODE_LINK || t == CMARK_NODE_IMAGE) return 0;
    }
    return 1;
}

/* Length of s without trailing blanks (space, tab, U+3000). */
static size_t S_rtrim(const char *s, size_t n) {
    for (;;) {
        if (n > 0 && S_is_blank(s[n - 1])) n--;
        else if (n >= 3 && memcmp(s + n - 3, "\xE3\x80\x80", 3) == 0) n -= 3;
        else return n;
    }
}

/* Removes trailing blanks, line breaks and emptied emphasis from block. */
static void S_trim_tail(render_ctx *c, cmark_node *block) {
    for (;;) {
        cmark_node *n = S_last_leaf(block);
        if (n == block) return;
        cmark_node_type t = cmark_node_get_type(n);
        if (t == CMARK_NODE_SOFTBREAK || t == CMARK_NODE_LINEBREAK) {
            S_remove(n);
            continue;
        }
        if (t == CMARK_NODE_TEXT) {
            const char *lit = cmark_node_get_literal(n);
            size_t len = lit ? strlen(lit) : 0, k = S_rtrim(lit ? lit : "", len);
            if (k == 0) {
                S_remove(n);
                continue;
            }
            if (k < len) {
                sb_clear(&c->tmp);
                sb_append(&c->tmp, lit, k);
                cmark_node_set_literal(n, sb_str(&c->tmp));
            }
            return;
        }
        if (t == CMARK_NODE_EMPH || t == CMARK_NODE_STRONG ||
            strcmp(cmark_node_get_type_string(n), "strikethrough") == 0) {
            S_remove(n); /* emptied by the cut */
            continue;
        }
        return;
    }
}

/* Cuts the block's inline content at leaf[off] and removes all after it. */
static void S_cut(render_ctx *c, cmark_node *block, cmark_node *leaf, size_t off) {
    const char *lit = cmark_node_get_literal(leaf);
    sb_clear(&c->tmp);
    sb_append(&c->tmp, lit, off);
    cmark_node_set_literal(leaf, sb_str(&c->tmp));
    for (cmark_node *n = leaf; n && n != block; n = cmark_node_parent(n)) {
        cmark_node *next;
        while ((next = cmark_node_next(n)) != NULL) S_remove(next);
    }
    S_trim_tail(c, block);
}

/* Plain text of an inline container, trimmed, in the arena. */
static const char *S_plain_text(render_ctx *c, cmark_node *top) {
    sb_clear(&c->tmp);
    cmark_node *n = cmark_node_first_child(top);
    while (n) {
        cmark_node_type t = cmark_node_get_type(n);
        if (t == CMARK_NODE_TEXT || t == CMARK_NODE_CODE) {
            const char *lit = cmark_node_get_literal(n);
            if (lit) sb_puts(&c->tmp, lit);
        } else if (t == CMARK_NODE_SOFTBREAK || t == CMARK_NODE_LINEBREAK) {
            sb_putc(&c->tmp, ' ');
        }
        cmark_node *child = cmark_node_first_child(n);
        if (child) {
            n = child;
            continue;
        }
        while (n != top && !cmark_node_next(n)) n = cmark_node_parent(n);
        n = (n == top) ? NULL : cmark_node_next(n);
    }
    if (c->tmp.oom) c->oom = 1;
    const char *s = sb_str(&c->tmp);
    size_t b = 0, e = S_rtrim(s, c->tmp.len);
    while (b < e && S_is_blank(s[b])) b++;
    return arena_strndup(c->a, s + b, e - b);
}

/* ---------------------------------------------------------------------- */
/* Attribute blocks in the tree                                           */

/* The source line on which a heading's text ends. An ATX heading is one
 * line; a setext heading's text ends above its underline, which is the
 * first later line that (after '>' markers and blanks) is all '=' or '-'. */
static int S_heading_text_line(render_ctx *c, cmark_node *h, int *atx) {
    int line = cmark_node_get_start_line(h), col = cmark_node_get_start_column(h);
    size_t ls, le;
    if (S_line(c, line, &ls, &le) < 0) return -1;
    size_t p = ls + (col > 0 ? (size_t)col - 1 : 0);
    if (p > le) p = le;
    while (p < le && S_is_blank(c->src[p])) p++;
    size_t k = 0;
    while (p + k < le && c->src[p + k] == '#') k++;
    if (k >= 1 && k <= 6 && (p + k == le || S_is_blank(c->src[p + k]))) {
        *atx = 1;
        return line;
    }
    *atx = 0;
    int end = cmark_node_get_end_line(h);
    for (int l = line + 1; l <= end; l++) {
        if (S_line(c, l, &ls, &le) < 0) return -1;
        size_t i = ls;
        while (i < le && (S_is_blank(c->src[i]) || c->src[i] == '>')) i++;
        if (i == le || (c->src[i] != '=' && c->src[i] != '-')) continue;
        char m = c->src[i];
        while (i < le && c->src[i] == m) i++;
        while (i < le && S_is_blank(c->src[i])) i++;
        if (i == le) return l - 1;
    }
    return -1;
}

/* Finds, checks, parses and cuts the attribute block at the end of `block`
 * (a heading or paragraph) whose text ends on source line `line`.
 * Returns the attributes (in the arena) or NULL. Errors are reported. */
static const md_attrs *S_take_attrs(render_ctx *c, cmark_node *block, int line, int atx) {
    size_t ls, le;
    if (line < 1 || S_line(c, line, &ls, &le) < 0) return NULL;
    const char *s = c->src;
    le = ls + S_rtrim(s + ls, le - ls);
    if (atx && le > ls && s[le - 1] == '#') {
        size_t k = le;
        while (k > ls && s[k - 1] == '#') k--;
        if (k > ls && S_is_blank(s[k - 1])) le = ls + S_rtrim(s + ls, k - ls);
    }
    if (le == ls) return NULL;

    const char *open;
    int closed = s[le - 1] == '}' && !S_escaped(s, ls, le - 1);
    if (closed) {
        open = S_scan_back(s, ls, le);
        if (!open || !S_looks_like_opener(open, s + le)) open = S_last_brace(s, ls, le - 1);
    } else {
        open = S_last_brace(s, ls, le);
        if (open && memchr(open, '}', (size_t)(s + le - open))) return NULL; /* braces mid-text */
    }
    if (!open || !S_looks_like_opener(open, s + le)) return NULL;

    size_t skip = 0;
    for (const char *q = open + 1; q < s + le; q++) skip += *q == '{';
    int fline = S_file_line(c, line), fcol = (int)(open - (s + ls)) + 1;
    size_t n = (size_t)(s + le - open);
    cmark_node *leaf = NULL;
    size_t off = 0;
    /* Not found: the brace went into a link destination, so it belongs to
     * the link. Found in a leaf that ends left of the brace (cmark's inline
     * positions say so): the same, and the brace we found is another one. */
    if (S_find_opener(block, skip, &leaf, &off) < 0) return NULL;
    if (!S_in_plain_text(leaf, block)) return NULL; /* code span, link: not ours */
    int leaf_end = cmark_node_get_end_column(leaf);
    if (cmark_node_get_start_line(leaf) == line && leaf_end > 0 && leaf_end < fcol) return NULL;

    if (!closed) {
        diag_error(c->d, c->path, fline, fcol, "attribute block does not close");
        c->failed = 1;
        return NULL;
    }
    if (n > MD_MAX_ATTR_BLOCK) {
        diag_error(c->d, c->path, fline, fcol, "attribute block is longer than %d bytes",
                   MD_MAX_ATTR_BLOCK);
        c->failed = 1;
        return NULL;
    }
    if (S_has_markup(open, s + le)) {
        diag_error(c->d, c->path, fline, fcol,
                   "attribute block must not contain Markdown links or character references");
        c->failed = 1;
        return NULL;
    }
    md_attrs *at = arena_alloc(c->a, sizeof *at);
    const char *err;
    size_t eoff;
    if (md_parse_attrs(c->a, open, n, at, &err, &eoff) < 0) {
        if (strcmp(err, "duplicate attribute") == 0) {
            size_t k = eoff;
            while (k < n && S_is_key_char(open[k])) k++;
            diag_error(c->d, c->path, fline, fcol + (int)eoff, "duplicate attribute \"%.*s\"",
                       (int)(k - eoff), open + eoff);
        } else {
            diag_error(c->d, c->path, fline, fcol + (int)eoff, "%s", err);
        }
        c->failed = 1;
        return NULL;
    }
    at->line = fline;
    at->col = fcol;
    S_cut(c, block, leaf, off);
    return at;
}

static md_block *S_new_block(render_ctx *c) {
    c->blocks = arena_grow(c->a, c->blocks, sizeof *c->blocks, &c->bcap, c->nblocks + 1);
    return &c->blocks[c->nblocks++];
}

static void S_heading(render_ctx *c, cmark_node *h) {
    int atx = 0, level = cmark_node_get_heading_level(h);
    if (level < 1 || level > 6) level = level < 1 ? 1 : 6;
    int line = S_heading_text_line(c, h, &atx);
    const md_attrs *at = S_take_attrs(c, h, line, atx);
    int parent = -1;
    for (int l = 1; l < level; l++)
        if (c->last_heading[l] > parent) parent = c->last_heading[l];
    int idx = (int)c->nblocks;
    md_block *b = S_new_block(c);
    b->kind = MD_HEADING;
    b->level = level;
    b->text = S_plain_text(c, h);
    b->attrs = at;
    b->line = S_file_line(c, cmark_node_get_start_line(h));
    b->col = cmark_node_get_start_column(h);
    b->parent = parent;
    c->last_heading[level] = idx;
    c->cur_heading = idx;
    S_push_tag(c, idx);
}

static void S_item(render_ctx *c, cmark_node *item) {
    cmark_node *para = cmark_node_first_child(item);
    const md_attrs *at = NULL;
    if (para && cmark_node_get_type(para) == CMARK_NODE_PARAGRAPH)
        at = S_take_attrs(c, para, cmark_node_get_end_line(para), 0);
    if (!at) {
        S_push_tag(c, -1);
        return;
    }
    int parent = -1;
    for (int l = 1; l <= 6; l++)
        if (c->last_heading[l] > parent) parent = c->last_heading[l];
    int idx = (int)c->nblocks;
    md_block *b = S_new_block(c);
    b->kind = MD_ITEM;
    b->level = c->list_depth;
    b->text = S_plain_text(c, para);
    b->attrs = at;
    b->line = S_file_line(c, cmark_node_get_start_line(item));
    b->col = cmark_node_get_start_column(item);
    b->parent = parent;
    cmark_node_set_user_data(item, (void *)(intptr_t)(idx + 1));
    S_push_tag(c, idx);
}

/* A paragraph at the top level, or inside a list item that is a block
 * (not its first: that is the item's text). */
static void S_para(render_ctx *c, cmark_node *n) {
    cmark_node *up = cmark_node_parent(n);
    int owner;
    if (cmark_node_get_type(up) == CMARK_NODE_DOCUMENT) {
        owner = c->cur_heading;
    } else if (cmark_node_get_type(up) == CMARK_NODE_ITEM && cmark_node_get_user_data(up) &&
               cmark_node_first_child(up) != n) {
        owner = (int)(intptr_t)cmark_node_get_user_data(up) - 1;
    } else {
        return;
    }
    const char *text = S_plain_text(c, n);
    c->paras = arena_grow(c->a, c->paras, sizeof *c->paras, &c->pcap, c->nparas + 1);
    c->paras[c->nparas++] = (md_para){text, S_file_line(c, cmark_node_get_start_line(n)),
                                      cmark_node_get_start_column(n), owner};
}

/* A table at the top level: its rows' cells as plain text. */
static void S_table(render_ctx *c, cmark_node *tb) {
    if (cmark_node_get_type(cmark_node_parent(tb)) != CMARK_NODE_DOCUMENT) return;
    int table = c->ntables++;
    for (cmark_node *row = cmark_node_first_child(tb); row; row = cmark_node_next(row)) {
        size_t n = 0, cap = 0;
        const char **cells = NULL;
        for (cmark_node *cell = cmark_node_first_child(row); cell; cell = cmark_node_next(cell)) {
            const char *text = S_plain_text(c, cell);
            cells = arena_grow(c->a, cells, sizeof *cells, &cap, n + 1);
            cells[n++] = text;
        }
        c->rows = arena_grow(c->a, c->rows, sizeof *c->rows, &c->rcap, c->nrows + 1);
        c->rows[c->nrows++] = (md_row){cells, n, cmark_gfm_extensions_get_table_row_is_header(row), table,
                                       S_file_line(c, cmark_node_get_start_line(row)), c->cur_heading};
    }
}

static int S_is_container(cmark_node *n) {
    cmark_node_type t = cmark_node_get_type(n);
    return t == CMARK_NODE_BLOCK_QUOTE || t == CMARK_NODE_LIST || t == CMARK_NODE_ITEM;
}

/* Visits the block tree in document order without descending into leaf
 * blocks. Returns -1 when nesting is too deep (reported). */
static int S_walk(render_ctx *c, cmark_node *doc) {
    cmark_node *n = cmark_node_first_child(doc);
    while (n) {
        cmark_node_type t = cmark_node_get_type(n);
        if (t == CMARK_NODE_LIST || t == CMARK_NODE_BLOCK_QUOTE) {
            if (t == CMARK_NODE_LIST) c->list_depth++;
            if (++c->depth > MD_MAX_NESTING) {
                diag_error(c->d, c->path, S_file_line(c, cmark_node_get_start_line(n)),
                           cmark_node_get_start_column(n),
                           "lists and block quotes nested deeper than %d levels", MD_MAX_NESTING);
                return -1;
            }
        } else if (t == CMARK_NODE_HEADING) {
            S_heading(c, n);
        } else if (t == CMARK_NODE_ITEM) {
            S_item(c, n);
        } else if (t == CMARK_NODE_PARAGRAPH) {
            S_para(c, n);
        } else if (strcmp(cmark_node_get_type_string(n), "table") == 0) {
            S_table(c, n);
        }
        cmark_node *child = S_is_container(n) ? cmark_node_first_child(n) : NULL;
        if (child) {
            n = child;
            continue;
        }
        for (;;) {
            t = cmark_node_get_type(n);
            if (t == CMARK_NODE_LIST || t == CMARK_NODE_BLOCK_QUOTE) {
                if (t == CMARK_NODE_LIST) c->list_depth--;
                c->depth--;
            }
            cmark_node *next = cmark_node_next(n);
            if (next) {
                n = next;
                break;
            }
            n = cmark_node_parent(n);
            if (!n || n == doc) {
                n = NULL;
                break;
            }
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Inline HTML that carries meaning                                        */

/* Raw HTML is not published, except these inline tags, which carry meaning
 * in a plan's text (<s>June 30</s> <b>July 31*</b>: a date struck out and
 * its replacement): bare, without attributes, each opened tag closed in the
 * same span of text (<br> alone). They are kept as written, lower-cased;
 * every other piece of raw HTML is dropped with a warning (comments, which
 * show nothing anyway, without one). */
static const char *const S_kept_tags[] = {"s", "del", "ins", "sub", "sup", "b", "strong", "i", "em", "br"};
#define S_KEPT_LIST "<s> <del> <ins> <sub> <sup> <b> <strong> <i> <em> <br>"

/* The tag of a piece of inline HTML when it is one of S_kept_tags, bare:
 * its index, and *closing; -1 otherwise. */
static int S_kept_tag(const char *lit, int *closing) {
    const char *p = lit;
    if (!p || *p++ != '<') return -1;
    *closing = *p == '/';
    if (*closing) p++;
    char name[8];
    size_t n = 0;
    while (S_is_alpha(*p) && n < sizeof name - 1) name[n++] = (char)(*p++ | 0x20);
    name[n] = '\0';
    if (n == 0 || S_is_alpha(*p)) return -1;
    while (S_is_blank(*p) || *p == '\n') p++;
    int self = *p == '/';
    if (self) p++;
    if (p[0] != '>' || p[1] != '\0') return -1;
    for (int i = 0; i < (int)(sizeof S_kept_tags / sizeof *S_kept_tags); i++) {
        if (strcmp(name, S_kept_tags[i]) != 0) continue;
        int br = strcmp(name, "br") == 0;
        if (br ? *closing : self) return -1; /* </br>, <s/> */
        return i;
    }
    return -1;
}

static void S_html_dropped(render_ctx *c, cmark_node *n, const char *why) {
    const char *lit = cmark_node_get_literal(n);
    char shown[72];
    size_t k = 0;
    for (const char *p = lit ? lit : ""; *p && k < 60; p++) shown[k++] = (unsigned char)*p < 0x20 ? ' ' : *p;
    while (k > 0 && lit && lit[k] && ((unsigned char)lit[k] & 0xC0) == 0x80) k--; /* whole characters */
    size_t full = k;
    while (k > 0 && shown[k - 1] == ' ') k--;
    shown[k] = '\0';
    diag_warning(c->d, c->path, S_file_line(c, cmark_node_get_start_line(n)), cmark_node_get_start_column(n),
                 "raw HTML dropped: %s%s (%s; kept are " S_KEPT_LIST ", without attributes)", shown,
                 lit && lit[full] ? "..." : "", why);
}

/* One span of inlines (the children of one node): kept tags paired in
 * order, the rest dropped. Returns -1 when out of memory. */
static int S_inline_span(render_ctx *c, cmark_node *parent) {
    cmark_node *open[64];
    int open_tag[64], nopen = 0;
    cmark_node *keep[256];
    int nkeep = 0;
    for (cmark_node *n = cmark_node_first_child(parent); n; n = cmark_node_next(n)) {
        if (cmark_node_get_type(n) != CMARK_NODE_HTML_INLINE) continue;
        const char *lit = cmark_node_get_literal(n);
        if (lit && strncmp(lit, "<!--", 4) == 0) continue; /* a comment: nothing is lost */
        int closing, tag = S_kept_tag(lit, &closing);
        if (tag < 0) {
            S_html_dropped(c, n, "not a tag that is kept");
        } else if (strcmp(S_kept_tags[tag], "br") == 0) {
            if (nkeep < 256) keep[nkeep++] = n;
            else S_html_dropped(c, n, "too many tags in one paragraph");
        } else if (!closing) {
            if (nopen < 64) open[nopen] = n, open_tag[nopen++] = tag;
            else S_html_dropped(c, n, "nested too deep");
        } else {
            int k = nopen - 1;
            while (k >= 0 && open_tag[k] != tag) k--;
            if (k < 0) {
                S_html_dropped(c, n, "closes a tag that is not open");
                continue;
            }
            while (nopen - 1 > k) S_html_dropped(c, open[--nopen], "not closed");
            nopen--;
            if (nkeep + 2 <= 256) {
                keep[nkeep++] = open[k];
                keep[nkeep++] = n;
            } else {
                S_html_dropped(c, open[k], "too many tags in one paragraph");
                S_html_dropped(c, n, "too many tags in one paragraph");
            }
        }
    }
    while (nopen > 0) S_html_dropped(c, open[--nopen], "not closed");
    for (int i = 0; i < nkeep; i++) {
        int closing, tag = S_kept_tag(cmark_node_get_literal(keep[i]), &closing);
        char out[16];
        snprintf(out, sizeof out, "<%s%s>", closing ? "/" : "", S_kept_tags[tag]);
        cmark_node *rep = cmark_node_new(CMARK_NODE_CUSTOM_INLINE);
        if (!rep || !cmark_node_set_on_enter(rep, out) || !cmark_node_replace(keep[i], rep)) {
            if (rep) cmark_node_free(rep);
            return -1;
        }
        cmark_node_free(keep[i]);
    }
    return 0;
}

static int S_cmp_ptr(const void *a, const void *b) {
    uintptr_t x = (uintptr_t) * (cmark_node *const *)a, y = (uintptr_t) * (cmark_node *const *)b;
    return x < y ? -1 : x > y;
}

/* Every piece of raw HTML: blocks dropped, inline tags kept or dropped by
 * the spans they are in (S_inline_span). */
static int S_raw_html(render_ctx *c, cmark_node *doc) {
    cmark_node **spans = NULL;
    size_t n = 0, cap = 0;
    cmark_iter *it = cmark_iter_new(doc);
    if (!it) return -1;
    cmark_event_type ev;
    int rc = 0;
    while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
        cmark_node *node = cmark_iter_get_node(it);
        cmark_node_type t = cmark_node_get_type(node);
        if (ev != CMARK_EVENT_ENTER) continue;
        if (t == CMARK_NODE_HTML_BLOCK) {
            const char *lit = cmark_node_get_literal(node);
            if (!lit || strncmp(lit, "<!--", 4) != 0) S_html_dropped(c, node, "an HTML block");
        } else if (t == CMARK_NODE_HTML_INLINE) {
            cmark_node *p = cmark_node_parent(node);
            if (n > 0 && spans[n - 1] == p) continue;
            if (n == cap) {
                size_t ncap = cap ? 2 * cap : 16;
                cmark_node **g = realloc(spans, ncap * sizeof *g);
                if (!g) {
                    rc = -1;
                    break;
                }
                spans = g, cap = ncap;
            }
            spans[n++] = p;
        }
    }
    cmark_iter_free(it);
    /* a parent can come back after a child span (text <b>x *y <i>z</i>* w</b>):
     * each is done once (the warnings are sorted by place when printed) */
    if (n > 1) qsort(spans, n, sizeof *spans, S_cmp_ptr);
    for (size_t i = 0; i < n && rc == 0; i++)
        if (i == 0 || spans[i] != spans[i - 1]) rc = S_inline_span(c, spans[i]);
    free(spans);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Anchors                                                                */

typedef struct anchor_slot {
    const char *key; /* NULL: empty */
    int block;       /* the block that took it */
    int next_suffix; /* for a base slug: the next -N to try */
} anchor_slot;

typedef struct anchor_set {
    anchor_slot *slots;
    size_t mask;
} anchor_set;

static uint64_t S_hash(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* The slot for key: the one holding it, or the empty one where it goes. */
static anchor_slot *S_slot(anchor_set *set, const char *key) {
    size_t i = (size_t)S_hash(key) & set->mask;
    while (set->slots[i].key && strcmp(set->slots[i].key, key) != 0) i = (i + 1) & set->mask;
    return &set->slots[i];
}

static int S_assign_anchors(render_ctx *c) {
    if (c->nblocks == 0) return 0;
    size_t cap = 16;
    while (cap < c->nblocks * 2 + 2) cap *= 2;
    anchor_set set = {calloc(cap, sizeof(anchor_slot)), cap - 1};
    if (!set.slots) {
        c->oom = 1;
        return -1;
    }
    for (size_t i = 0; i < c->nblocks; i++) {
        md_block *b = &c->blocks[i];
        if (!b->attrs || !b->attrs->id) continue;
        anchor_slot *sl = S_slot(&set, b->attrs->id);
        if (sl->key) {
            diag_error(c->d, c->path, b->attrs->line, b->attrs->col,
                       "duplicate id \"%s\" (first used on line %d)", b->attrs->id,
                       c->blocks[sl->block].attrs->line);
            /* Reported (the build fails); go on so that the plan's other
             * problems are found in the same run. The repeat gets a slug. */
            continue;
        }
        sl->key = b->attrs->id;
        sl->block = (int)i;
        b->anchor = b->attrs->id;
    }
    for (size_t i = 0; i < c->nblocks; i++) {
        md_block *b = &c->blocks[i];
        if (b->anchor) continue;
        const char *base = md_slug(c->a, b->text, strlen(b->text));
        anchor_slot *sl = S_slot(&set, base);
        if (!sl->key) {
            sl->key = base;
            sl->block = (int)i;
            b->anchor = base;
            continue;
        }
        int k = sl->next_suffix ? sl->next_suffix : 1;
        anchor_slot *cand;
        for (;; k++) {
            sb_clear(&c->tmp);
            sb_printf(&c->tmp, "%s-%d", base, k);
            if (c->tmp.oom) {
                free(set.slots);
                c->oom = 1;
                return -1;
            }
            cand = S_slot(&set, sb_str(&c->tmp));
            if (!cand->key) break;
        }
        S_slot(&set, base)->next_suffix = k + 1;
        cand->key = arena_strndup(c->a, c->tmp.ptr, c->tmp.len);
        cand->block = (int)i;
        b->anchor = cand->key;
    }
    free(set.slots);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* HTML                                                                   */

#define S_TABLE_OPEN "<div class=\"table-scroll\" tabindex=\"0\">\n<table>"
#define S_TABLE_CLOSE "</table>\n</div>"

/* Copies cmark's HTML into the arena, giving the k-th `<hN>`/`<li>` the
 * anchor of the k-th heading/item tag. Anchors are [a-z0-9_-] and non-ASCII
 * bytes (slugs) or [a-z0-9-] (ids), so they need no escaping. A table goes
 * into a box that scrolls sideways and can be focused, so that a keyboard
 * scrolls it too (WCAG 2.1.1). */
static int S_copy_html(render_ctx *c, const char *html, md_doc *out) {
    size_t hl = strlen(html), extra = 0;
    for (size_t t = 0; t < c->ntags; t++)
        if (c->tags[t] >= 0) extra += strlen(c->blocks[c->tags[t]].anchor) + 6;
    for (const char *tb = html; (tb = strstr(tb, "<table>")) != NULL; tb += 7)
        extra += sizeof S_TABLE_OPEN + sizeof S_TABLE_CLOSE;
    /* a block of its own: roles.c may replace it with a marked copy */
    char *o = arena_alloc_own(c->a, hl + extra + 1), *w = o;
    const char *p = html, *end = html + hl, *q;
    size_t t = 0;
    /* open <li> elements: the block each belongs to (-1 for plain items) */
    int li_stack[MD_MAX_NESTING + 8];
    int li_depth = 0;
    while ((q = memchr(p, '<', (size_t)(end - p))) != NULL) {
        int heading = end - q >= 4 && q[1] == 'h' && q[2] >= '1' && q[2] <= '6' && q[3] == '>';
        int item = end - q >= 4 && q[1] == 'l' && q[2] == 'i' && q[3] == '>';
        if (!heading && !item) {
            int open = end - q >= 7 && memcmp(q, "<table>", 7) == 0;
            if (open || (end - q >= 8 && memcmp(q, "</table>", 8) == 0)) {
                const char *rep = open ? S_TABLE_OPEN : S_TABLE_CLOSE;
                size_t rl = open ? sizeof S_TABLE_OPEN - 1 : sizeof S_TABLE_CLOSE - 1;
                memcpy(w, p, (size_t)(q - p));
                w += q - p;
                memcpy(w, rep, rl);
                w += rl;
                p = q + (open ? 7 : 8);
                continue;
            }
            if (end - q >= 5 && memcmp(q, "</li>", 5) == 0 && li_depth > 0) {
                int bi = li_stack[--li_depth];
                if (bi >= 0) c->blocks[bi].html_end = (size_t)(w - o) + (size_t)(q - p) + 5;
            }
            memcpy(w, p, (size_t)(q + 1 - p));
            w += q + 1 - p;
            p = q + 1;
            continue;
        }
        if (t >= c->ntags) return -1;
        int bi = c->tags[t++];
        if (heading ? (bi < 0 || c->blocks[bi].kind != MD_HEADING)
                    : (bi >= 0 && c->blocks[bi].kind != MD_ITEM))
            return -1;
        if (bi >= 0) c->blocks[bi].html_off = (size_t)(w - o) + (size_t)(q - p);
        if (item) {
            if (li_depth >= (int)(sizeof li_stack / sizeof *li_stack)) return -1;
            li_stack[li_depth++] = bi;
        }
        memcpy(w, p, (size_t)(q + 3 - p));
        w += q + 3 - p;
        if (bi >= 0) {
            const char *an = c->blocks[bi].anchor;
            size_t al = strlen(an);
            memcpy(w, " id=\"", 5);
            memcpy(w + 5, an, al);
            w[5 + al] = '"';
            w += al + 6;
        }
        *w++ = '>';
        p = q + 4;
    }
    if (t != c->ntags) return -1;
    memcpy(w, p, (size_t)(end - p));
    w += end - p;
    *w = '\0';
    out->html = o;
    out->html_len = (size_t)(w - o);
    /* A heading's section ends where the next heading of the same or a
     * higher level begins. */
    int open[7];
    int nopen = 0;
    for (size_t i = 0; i < c->nblocks; i++) {
        md_block *b = &c->blocks[i];
        if (b->kind != MD_HEADING) continue;
        while (nopen > 0 && c->blocks[open[nopen - 1]].level >= b->level)
            c->blocks[open[--nopen]].html_end = b->html_off;
        if (nopen < 7) open[nopen++] = (int)i;
    }
    while (nopen > 0) c->blocks[open[--nopen]].html_end = out->html_len;
    for (size_t i = 0; i < c->nblocks; i++)
        if (c->blocks[i].kind == MD_ITEM && !c->blocks[i].html_end) c->blocks[i].html_end = out->html_len;
    return 0;
}

/* ---------------------------------------------------------------------- */
/* md_render                                                              */

int md_render(arena *a, diag *d, const char *path, int first_line, const char *src, size_t len,
              md_doc *out) {
    int rc = -1, oom = 0;
    cmark_parser *parser = NULL;
    cmark_node *doc = NULL;
    char *html = NULL;
    render_ctx c;
    memset(&c, 0, sizeof c);
    memset(out, 0, sizeof *out);
    md_init();
    c.a = a;
    c.d = d;
    c.path = path;
    c.first_line = first_line;
    c.src = src ? src : "";
    c.len = src ? len : 0;
    c.has_cr = memchr(c.src, '\r', c.len) != NULL;
    c.cur_line = 1;
    for (int i = 0; i < 7; i++) c.last_heading[i] = -1;
    c.cur_heading = -1;
    sb_init(&c.tmp);

    if (S_prescan(&c) < 0) goto done;

    parser = cmark_parser_new(CMARK_OPT_SOURCEPOS);
    oom = parser == NULL;
    if (oom) goto done;
    for (int i = 0; i < 4; i++)
        if (S_exts[i]) cmark_parser_attach_syntax_extension(parser, S_exts[i]);
    cmark_parser_feed(parser, c.src, c.len);
    doc = cmark_parser_finish(parser);
    oom = doc == NULL;
    if (oom) goto done;

    if (S_walk(&c, doc) < 0) goto done;
    oom = S_raw_html(&c, doc) < 0;
    if (oom) goto done;
    oom = S_assign_anchors(&c) < 0 || c.oom;
    if (oom || c.failed) goto done;

    html = cmark_render_html(doc, CMARK_OPT_DEFAULT, cmark_parser_get_syntax_extensions(parser));
    oom = html == NULL;
    if (oom) goto done;
    if (S_copy_html(&c, html, out) < 0) {
        diag_error(d, path, first_line, 0, "internal error: headings and list items out of step in HTML");
        goto done;
    }
    out->blocks = c.blocks;
    out->nblocks = c.nblocks;
    out->paras = c.paras;
    out->nparas = c.nparas;
    out->rows = c.rows;
    out->nrows = c.nrows;
    rc = 0;
done:
    if (oom) diag_error(d, path, 0, 0, "out of memory while rendering Markdown");
    if (rc < 0) memset(out, 0, sizeof *out);
    if (html) cmark_get_default_mem_allocator()->free(html);
    if (doc) cmark_node_free(doc);
    if (parser) cmark_parser_free(parser);
    free(c.tags);
    sb_free(&c.tmp);
    return rc;
}
