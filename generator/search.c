/* search.c — the search index: documents from the model, Chinese-aware
 * terms (CJK unigrams and bigrams, folded Latin words and numbers), ranked
 * posting lists cut into segments, shards by term hash, per-result chunks.
 * Format and query algorithm: docs/search.md. */
#include "search.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "progress.h"
#include "workers.h"

/* ====================================================================== */
/* Characters                                                             */

uint32_t search_fold(uint32_t cp) {
    if (cp >= 0xFF01 && cp <= 0xFF5E) cp -= 0xFEE0;
    else if (cp == 0x3000) cp = 0x20;
    if (cp >= 'A' && cp <= 'Z') cp += 32;
    return cp;
}

/* Keep in step with S_class in search.js. */
search_class search_char_class(uint32_t c) {
    if (c < 0x80) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
            return SEARCH_WORD;
        return SEARCH_SEP;
    }
    if (c == 0xAD || (c >= 0x200B && c <= 0x200D) || c == 0x2060 || (c >= 0xFE00 && c <= 0xFE0F) ||
        c == 0xFEFF || (c >= 0xE0100 && c <= 0xE01EF))
        return SEARCH_IGNORE;
    if (c < 0xC0 || c == 0xD7 || c == 0xF7) return SEARCH_SEP;
    if (c >= 0x1100 && c <= 0x11FF) return SEARCH_CJK;            /* Hangul Jamo */
    if (c >= 0x2000 && c <= 0x2BFF) return SEARCH_SEP;            /* punctuation, symbols, ①... */
    if (c >= 0x2E00 && c <= 0x2E7F) return SEARCH_SEP;            /* supplemental punctuation */
    if (c >= 0x2E80 && c <= 0x2FDF) return SEARCH_CJK;            /* radicals */
    if (c >= 0x2FF0 && c <= 0x2FFF) return SEARCH_SEP;            /* ideographic description */
    if (c >= 0x3000 && c <= 0x303F)                               /* CJK symbols, punctuation */
        return (c >= 0x3005 && c <= 0x3007) ? SEARCH_CJK : SEARCH_SEP;
    if (c == 0x30FB) return SEARCH_SEP;                           /* katakana middle dot */
    if (c >= 0x3040 && c <= 0x31FF) return SEARCH_CJK;            /* kana, bopomofo, jamo */
    if (c >= 0x3200 && c <= 0x33FF) return SEARCH_SEP;            /* enclosed, compatibility */
    if (c >= 0x3400 && c <= 0x4DBF) return SEARCH_CJK;
    if (c >= 0x4DC0 && c <= 0x4DFF) return SEARCH_SEP;            /* hexagrams */
    if (c >= 0x4E00 && c <= 0x9FFF) return SEARCH_CJK;
    if (c >= 0xA960 && c <= 0xA97F) return SEARCH_CJK;            /* Hangul Jamo ext-A */
    if (c >= 0xAC00 && c <= 0xD7FF) return SEARCH_CJK;            /* Hangul */
    if (c >= 0xD800 && c <= 0xF8FF) return SEARCH_SEP;            /* surrogates, private use */
    if (c >= 0xF900 && c <= 0xFAFF) return SEARCH_CJK;
    if (c >= 0xFE10 && c <= 0xFE6F) return SEARCH_SEP;            /* vertical, small forms */
    if (c >= 0xFF00 && c <= 0xFF65) return SEARCH_SEP;            /* (folded before), ｡｢｣､･ */
    if (c >= 0xFF66 && c <= 0xFFDC) return SEARCH_CJK;            /* half-width kana, Hangul */
    if (c >= 0xFFE0) {
        if (c <= 0xFFFF) return SEARCH_SEP;
        if (c >= 0x1F000 && c <= 0x1FAFF) return SEARCH_SEP;      /* emoji, symbols */
        if (c >= 0x20000 && c <= 0x3FFFF) return SEARCH_CJK;      /* extensions B.. */
        if (c >= 0xF0000) return SEARCH_SEP;                      /* private use */
    }
    return SEARCH_WORD;
}

uint32_t search_utf8_next(const char *str, size_t n, size_t *i) {
    const unsigned char *s = (const unsigned char *)str;
    size_t k = *i;
    unsigned char c = s[k];
    uint32_t cp;
    size_t len;
    if (c < 0x80) {
        *i = k + 1;
        return c;
    } else if (c >= 0xC2 && c <= 0xDF) {
        cp = c & 0x1F, len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        cp = c & 0x0F, len = 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
        cp = c & 0x07, len = 4;
    } else {
        *i = k + 1;
        return 0xFFFD;
    }
    if (k + len > n) {
        *i = k + 1;
        return 0xFFFD;
    }
    for (size_t j = 1; j < len; j++) {
        if ((s[k + j] & 0xC0) != 0x80) {
            *i = k + 1;
            return 0xFFFD;
        }
        cp = (cp << 6) | (s[k + j] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
        *i = k + 1;
        return 0xFFFD;
    }
    *i = k + len;
    return cp;
}

static size_t S_utf8_put(char *out, uint32_t cp) {
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static size_t S_utf8_count(const char *s, size_t n) {
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) c++;
    return c;
}

/* The tokenizer: cjk(payload, 0, 0, c) for every CJK character c, then
 * cjk(payload, 0, b, c) when b stood right before it, then cjk(payload, a,
 * b, c) when a stood right before b; word(payload, bytes, n) for every
 * word, folded and cut. search_terms spells the CJK terms out; the indexer
 * looks them up by code points. */
typedef void (*S_cjk_fn)(void *payload, uint32_t a, uint32_t b, uint32_t cp);
static void S_scan(const char *text, size_t n, S_cjk_fn cjk, search_term_fn word_fn, void *payload) {
    char word[SEARCH_WORD_MAX * 4];
    size_t wlen = 0, wchars = 0;
    int in_word = 0;
    /* the two CJK characters before this one in its run (prev2, prev), 0 when none */
    uint32_t prev = 0, prev2 = 0;
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        if ((unsigned char)text[i] < 0x80) cp = (unsigned char)text[i++];
        else cp = search_utf8_next(text, n, &i);
        cp = search_fold(cp);
        search_class c = search_char_class(cp);
        if (c == SEARCH_IGNORE) continue;
        if (c != SEARCH_WORD && in_word) {
            word_fn(payload, word, wlen);
            in_word = 0, wlen = 0, wchars = 0;
        }
        if (c == SEARCH_CJK) {
            cjk(payload, 0, 0, cp);
            if (prev) cjk(payload, 0, prev, cp);
            if (prev2) cjk(payload, prev2, prev, cp);
            prev2 = prev, prev = cp;
            continue;
        }
        prev = prev2 = 0;
        if (c == SEARCH_WORD) {
            in_word = 1;
            if (wchars < SEARCH_WORD_MAX) {
                wlen += S_utf8_put(word + wlen, cp);
                wchars++;
            }
        }
    }
    if (in_word) word_fn(payload, word, wlen);
}

typedef struct S_terms_ctx {
    search_term_fn fn;
    void *payload;
} S_terms_ctx;

/* The UTF-8 bytes of the CJK term (a, b, cp) (a and b 0 when not there). */
static size_t S_cjk_bytes(char *out, uint32_t a, uint32_t b, uint32_t cp) {
    size_t n = a ? S_utf8_put(out, a) : 0;
    if (b) n += S_utf8_put(out + n, b);
    return n + S_utf8_put(out + n, cp);
}

static void S_terms_cjk(void *payload, uint32_t a, uint32_t b2, uint32_t cp) {
    S_terms_ctx *c = payload;
    char b[12];
    size_t n = S_cjk_bytes(b, a, b2, cp);
    c->fn(c->payload, b, n);
}

static void S_terms_word(void *payload, const char *t, size_t n) {
    S_terms_ctx *c = payload;
    c->fn(c->payload, t, n);
}

void search_terms(const char *text, size_t n, search_term_fn fn, void *payload) {
    S_terms_ctx c = {fn, payload};
    S_scan(text, n, S_terms_cjk, S_terms_word, &c);
}

int search_rank_class(int in_title, size_t title_len, unsigned tf, size_t body_len) {
    int t = 0, b = 0;
    if (in_title) {
        static const size_t limits[] = {4, 8, 12, 16, 24, 32, 48};
        t = 1;
        for (int k = 0; k < 7; k++)
            if (title_len <= limits[k]) {
                t = 8 - k;
                break;
            }
    }
    if (tf) {
        unsigned long long dens = (unsigned long long)tf * 4096 / ((unsigned long long)body_len + 256);
        b = 1;
        for (unsigned long long lim = 8; lim <= 256 && dens >= lim; lim *= 2) b++;
    }
    return t * 8 + b;
}

uint32_t search_hash(const char *s, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

void search_put_varint(strbuf *b, uint64_t x) {
    char tmp[10];
    size_t n = 0;
    do {
        unsigned char c = x & 0x7F;
        x >>= 7;
        if (x) c |= 0x80;
        tmp[n++] = (char)c;
    } while (x);
    sb_append(b, tmp, n);
}

/* ====================================================================== */
/* HTML to text                                                           */

static int S_is_block_tag(const char *name, size_t n) {
    static const char *const tags[] = {"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4",
                                       "h5", "h6", "blockquote", "pre", "table", "thead",
                                       "tbody", "tr", "td", "th", "dl", "dt", "dd", "hr",
                                       "br", "section", "figure", "figcaption", "details",
                                       "summary", "caption", "tfoot", "article", "aside",
                                       "header", "footer", "nav"};
    for (size_t i = 0; i < sizeof tags / sizeof *tags; i++)
        if (strlen(tags[i]) == n && strncasecmp(tags[i], name, n) == 0) return 1;
    return 0;
}

/* Appends a separator: a line break for blocks, one space for white space;
 * never at the start, never two in a row (a line break wins). */
static void S_sep(strbuf *out, size_t start, char c) {
    if (out->len == start) return;
    char last = out->ptr[out->len - 1];
    if (last == '\n') return;
    if (last == ' ') {
        if (c == '\n') out->ptr[out->len - 1] = '\n';
        return;
    }
    sb_putc(out, c);
}

/* The end of the tag that opens at html[i] ('<'), past '>', or 0 when it
 * is not a tag. */
static size_t S_tag_end(const char *h, size_t n, size_t i) {
    size_t k = i + 1;
    if (k < n && h[k] == '/') k++;
    if (k >= n || !((h[k] >= 'a' && h[k] <= 'z') || (h[k] >= 'A' && h[k] <= 'Z') || h[k] == '!'))
        return 0;
    char q = 0;
    for (; k < n; k++) {
        if (q) {
            if (h[k] == q) q = 0;
        } else if (h[k] == '"' || h[k] == '\'') {
            q = h[k];
        } else if (h[k] == '>') {
            return k + 1;
        }
    }
    return n;
}

static size_t S_entity(const char *h, size_t n, size_t i, uint32_t *cp) {
    static const struct { const char *name; uint32_t cp; } named[] = {
        {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}, {"nbsp", 0xA0}};
    size_t k = i + 1;
    size_t semi = k;
    while (semi < n && semi - k < 12 && h[semi] != ';') semi++;
    if (semi >= n || h[semi] != ';') return 0;
    if (h[k] == '#') {
        uint32_t v = 0;
        size_t j = k + 1;
        int hex = j < semi && (h[j] == 'x' || h[j] == 'X');
        if (hex) j++;
        if (j == semi) return 0;
        for (; j < semi; j++) {
            int dgt;
            char c = h[j];
            if (c >= '0' && c <= '9') dgt = c - '0';
            else if (hex && c >= 'a' && c <= 'f') dgt = c - 'a' + 10;
            else if (hex && c >= 'A' && c <= 'F') dgt = c - 'A' + 10;
            else return 0;
            v = v * (hex ? 16 : 10) + (uint32_t)dgt;
            if (v > 0x10FFFF) return 0;
        }
        if (v == 0 || (v >= 0xD800 && v <= 0xDFFF)) v = 0xFFFD;
        *cp = v;
        return semi + 1 - i;
    }
    for (size_t e = 0; e < sizeof named / sizeof *named; e++)
        if (strlen(named[e].name) == semi - k && memcmp(named[e].name, h + k, semi - k) == 0) {
            *cp = named[e].cp;
            return semi + 1 - i;
        }
    return 0;
}

void search_html_text(strbuf *out, const char *h, size_t n) {
    size_t start = out->len;
    size_t i = 0;
    while (i < n) {
        char c = h[i];
        if (c == '<') {
            size_t e = S_tag_end(h, n, i);
            if (!e) {
                sb_putc(out, '<');
                i++;
                continue;
            }
            size_t k = i + 1;
            int closing = k < n && h[k] == '/';
            if (closing) k++;
            size_t ns = k;
            while (k < e && ((h[k] >= 'a' && h[k] <= 'z') || (h[k] >= 'A' && h[k] <= 'Z') ||
                             (h[k] >= '0' && h[k] <= '9')))
                k++;
            size_t nl = k - ns;
            if (!closing && nl == 1 && (h[ns] == 'a' || h[ns] == 'A')) {
                /* the link to an item's page that roles.c puts after a
                 * heading's text: not part of the text */
                const char *cls = memmem(h + k, e - k, "class=\"item-link", 16);
                if (cls) {
                    const char *close = memmem(h + e, n - e, "</a>", 4);
                    i = close ? (size_t)(close - h) + 4 : n;
                    continue;
                }
            }
            if (S_is_block_tag(h + ns, nl)) S_sep(out, start, '\n');
            i = e;
            continue;
        }
        if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f') {
            S_sep(out, start, ' ');
            i++;
            continue;
        }
        if (c == '&') {
            uint32_t cp;
            size_t el = S_entity(h, n, i, &cp);
            if (el && (cp == ' ' || cp == '\n' || cp == '\t' || cp == '\r' || cp == '\f')) {
                S_sep(out, start, ' ');
                i += el;
                continue;
            }
            if (el) {
                char buf[4];
                sb_append(out, buf, S_utf8_put(buf, cp));
                i += el;
                continue;
            }
        }
        if (!c) { /* (NUL bytes never reach a page; dropped) */
            i++;
            continue;
        }
        /* the bytes that stand as they are, in one append */
        size_t run = i + 1;
        while (run < n && h[run] != '<' && h[run] != '&' && h[run] != ' ' && h[run] != '\n' &&
               h[run] != '\t' && h[run] != '\r' && h[run] != '\f' && h[run])
            run++;
        sb_append(out, h + i, run - i);
        i = run;
    }
    while (out->len > start && (out->ptr[out->len - 1] == '\n' || out->ptr[out->len - 1] == ' '))
        out->ptr[--out->len] = '\0';
}

/* ====================================================================== */
/* Documents                                                              */

typedef enum { K_PLAN, K_SECTION, K_GOAL, K_TASK, K_MEASURE, K_BODY, K_INDICATOR, K_PAGE, K_COUNT } kind;
static const char *const kind_names[K_COUNT] = {"plan", "section", "goal", "task", "measure",
                                                "body", "indicator", "page"};
/* The kind filter of the page: sections are part of their plan. */
static const char *const kind_filter[K_COUNT] = {"plan", "plan", "goal", "task", "measure",
                                                 "body", "indicator", "page"};

typedef struct sdoc {
    kind k;
    const char *url;
    const char *title;
    const char *alt;        /* other names: aliases, document number ("\n"-joined) */
    int plan;               /* index into s->plans, -1 */
    strbuf text;            /* the body text */
    const char **bodies;    /* body ids it relates to (for the body filter) */
    size_t nbodies;
    const indicator *ind;   /* K_INDICATOR */
} sdoc;

typedef struct sdocs {
    arena *a;
    sdoc *v;
    size_t n, cap;
} sdocs;

static sdoc *S_doc_add(sdocs *ds, kind k, const char *url, const char *title, int pidx) {
    ds->v = arena_grow(ds->a, ds->v, sizeof *ds->v, &ds->cap, ds->n + 1);
    sdoc *d = &ds->v[ds->n++];
    memset(d, 0, sizeof *d);
    d->k = k, d->url = url, d->title = title ? title : "", d->alt = "", d->plan = pidx;
    return d;
}

static void S_doc_bodies(sdocs *ds, sdoc *d, body *const *list, size_t n) {
    if (!n) return;
    const char **v = arena_alloc(ds->a, (d->nbodies + n) * sizeof *v);
    if (d->nbodies) memcpy(v, d->bodies, d->nbodies * sizeof *v);
    for (size_t i = 0; i < n; i++) v[d->nbodies + i] = list[i]->id;
    d->bodies = v;
    d->nbodies += n;
}

/* A piece of a plan's HTML owned by one document. */
typedef struct srange {
    size_t start, end;
    size_t doc;
    int heading;            /* starts with a heading element to leave out */
} srange;

static int S_range_cmp(const void *a, const void *b) {
    const srange *x = a, *y = b;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    if (x->end != y->end) return x->end > y->end ? -1 : 1;
    return 0;
}

/* Text of html[from, to), leaving out a leading heading element. */
static void S_piece(strbuf *t, const char *html, size_t from, size_t to, int heading) {
    if (to <= from) return;
    if (heading) {
        const char *close = memmem(html + from, to - from, "</h", 3);
        if (close) {
            const char *gt = memchr(close, '>', (size_t)(html + to - close));
            from = gt ? (size_t)(gt - html) + 1 : to;
        }
    }
    if (t->len && to > from) S_sep(t, 0, '\n');
    search_html_text(t, html + from, to - from);
}

/* Gives each range its text, minus the ranges nested in it. */
static void S_owner(sdocs *ds, const char *html, srange *r, size_t n, size_t *i) {
    const srange *me = &r[(*i)++];
    size_t pos = me->start;
    int heading = me->heading;
    strbuf *t = &ds->v[me->doc].text;
    while (*i < n && r[*i].start < me->end) {
        if (r[*i].end > me->end) r[*i].end = me->end; /* overhangs its parent: clamp */
        size_t cstart = r[*i].start, cend = r[*i].end;
        S_piece(t, html, pos, cstart, heading);
        heading = 0;
        S_owner(ds, html, r, n, i);
        if (cend > pos) pos = cend;
    }
    if (pos < me->end) S_piece(t, html, pos, me->end, heading);
}

static const char *S_join(arena *a, const char *const *v, size_t n, const char *first) {
    strbuf b = STRBUF_INIT;
    if (first && *first) sb_puts(&b, first);
    for (size_t i = 0; i < n; i++) {
        if (!v[i] || !*v[i]) continue;
        if (b.len) sb_putc(&b, '\n');
        sb_puts(&b, v[i]);
    }
    const char *r = arena_strdup(a, sb_str(&b));
    sb_free(&b);
    return r;
}

static void S_collect_plan(sdocs *ds, const site *s, size_t pi) {
    const plan *p = s->plans[pi];
    arena *a = ds->a;
    const md_doc *md = &p->doc.md;
    size_t pdoc = ds->n;
    sdoc *d = S_doc_add(ds, K_PLAN, arena_printf(a, "plans/%s/", p->doc.id), p->doc.title, (int)pi);
    d->alt = S_join(a, p->aliases, p->naliases, p->number);
    if (p->issuer) {
        const body *b = bodies_get(&s->bodies, p->issuer);
        if (b) S_doc_bodies(ds, d, (body *const *)&b, 1);
    }
    const char *html = md->html ? md->html : "";
    size_t hlen = md->html ? md->html_len : 0;

    item **by_block = calloc(md->nblocks ? md->nblocks : 1, sizeof *by_block);
    srange *r = malloc((md->nblocks + 1) * sizeof *r);
    if (!by_block || !r) abort();
    for (size_t i = 0; i < p->nitems; i++)
        if (p->items[i]->block < md->nblocks && !p->items[i]->table_row) by_block[p->items[i]->block] = p->items[i];

    size_t nr = 0;
    size_t first = hlen;
    for (size_t b = 0; b < md->nblocks; b++)
        if (md->blocks[b].kind == MD_HEADING && md->blocks[b].html_off < first) {
            first = md->blocks[b].html_off;
            break;
        }
    r[nr++] = (srange){0, first, pdoc, 0};
    static const char *const dirs[] = {"goals", "tasks", "measures"};
    static const kind kinds[] = {K_GOAL, K_TASK, K_MEASURE};
    for (size_t b = 0; b < md->nblocks; b++) {
        const md_block *bl = &md->blocks[b];
        const item *it = by_block[b];
        if (bl->html_off > hlen) continue;
        size_t end;
        if (bl->kind == MD_HEADING) {
            end = hlen;
            for (size_t c = b + 1; c < md->nblocks; c++)
                if (md->blocks[c].kind == MD_HEADING && md->blocks[c].html_off >= bl->html_off) {
                    end = md->blocks[c].html_off;
                    break;
                }
        } else {
            if (!it) continue; /* a list item with attributes but no role */
            end = bl->html_end && bl->html_end <= hlen ? bl->html_end : hlen;
        }
        if (end < bl->html_off) end = bl->html_off;
        sdoc *sd;
        if (it) {
            sd = S_doc_add(ds, kinds[it->role],
                           arena_printf(a, "plans/%s/%s/%s/", p->doc.id, dirs[it->role], it->id),
                           it->title ? it->title : bl->text, (int)pi);
            S_doc_bodies(ds, sd, it->leads, it->nleads);
            S_doc_bodies(ds, sd, it->partners, it->npartners);
        } else {
            sd = S_doc_add(ds, K_SECTION, arena_printf(a, "plans/%s/#%s", p->doc.id, bl->anchor),
                           bl->text, (int)pi);
        }
        r[nr++] = (srange){bl->html_off, end, ds->n - 1, bl->kind == MD_HEADING};
    }
    /* Ranges nest: a heading owns the text up to the next heading, a list
     * item with a role is carved out of whatever holds it. */
    qsort(r + 1, nr - 1, sizeof *r, S_range_cmp);
    size_t i = 0;
    while (i < nr) S_owner(ds, html, r, nr, &i);
    for (size_t k = pdoc; k < ds->n; k++) { /* no trailing separator */
        strbuf *t = &ds->v[k].text;
        while (t->len && (t->ptr[t->len - 1] == '\n' || t->ptr[t->len - 1] == ' ')) t->ptr[--t->len] = '\0';
    }
    free(r);
    free(by_block);
}

static void S_collect_indicator(sdocs *ds, const indicator *ind, int pidx) {
    sdoc *d = S_doc_add(ds, K_INDICATOR, arena_printf(ds->a, "indicators/%s/", ind->id),
                        ind->name ? ind->name : ind->id, pidx);
    d->ind = ind;
    d->alt = ind->id;
    const char *parts[] = {ind->unit, ind->source, ind->goal ? ind->goal->title : NULL};
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) {
        if (!parts[i] || !*parts[i]) continue;
        if (d->text.len) sb_putc(&d->text, '\n');
        sb_puts(&d->text, parts[i]);
    }
    if (ind->lead) S_doc_bodies(ds, d, (body *const *)&ind->lead, 1);
}

/* Documents in order: each plan with its sections, items and indicators
 * (so that a plan is a range of documents), then the other indicators, the
 * bodies and the pages. */
static void S_collect(sdocs *ds, const site *s, size_t *plan_first, size_t *plan_end) {
    arena *a = ds->a;
    for (size_t pi = 0; pi < s->nplans; pi++) {
        plan_first[pi] = ds->n;
        S_collect_plan(ds, s, pi);
        for (size_t k = 0; k < s->nindicators; k++)
            if (s->indicators[k]->plan == s->plans[pi]) S_collect_indicator(ds, s->indicators[k], (int)pi);
        plan_end[pi] = ds->n;
    }
    for (size_t k = 0; k < s->nindicators; k++)
        if (!s->indicators[k]->plan) S_collect_indicator(ds, s->indicators[k], -1);
    for (size_t k = 0; k < s->bodies.n; k++) {
        body *b = s->bodies.items[k];
        sdoc *d = S_doc_add(ds, K_BODY, arena_printf(a, "bodies/%s/", b->id), b->name ? b->name : b->id, -1);
        d->alt = S_join(a, b->aliases, b->naliases, NULL);
        if (b->parent && b->parent->name) sb_puts(&d->text, b->parent->name);
        S_doc_bodies(ds, d, &b, 1);
    }
    for (size_t k = 0; k < s->npages; k++) {
        const page *pg = s->pages[k];
        sdoc *d = S_doc_add(ds, K_PAGE, arena_printf(a, "pages/%s/", pg->doc.id), pg->doc.title, -1);
        if (pg->doc.md.html) search_html_text(&d->text, pg->doc.md.html, pg->doc.md.html_len);
    }
}

/* ====================================================================== */
/* Terms and postings                                                     */

typedef struct sterm {
    uint32_t off, len;      /* the term's bytes in the pool */
    uint32_t hash;
    uint32_t df;
    uint32_t cur;           /* the document being counted, UINT32_MAX when none */
    uint32_t last;          /* the last document appended */
    uint32_t tf;
    uint8_t intitle;
    unsigned char *post;    /* (delta varint, class byte) per document, the
                               first delta from 0 */
    size_t plen, pcap;
    struct spart {          /* merged terms: the postings of each job, in order */
        const unsigned char *post;
        uint32_t df;
    } *parts;
    uint32_t nparts;
} sterm;

typedef struct sindex {
    strbuf pool;
    sterm *t;
    size_t nt, cap;
    uint32_t *slots;        /* term index + 1, 0 = empty */
    size_t mask;
    uint64_t *ckeys;        /* CJK terms by code points: a << 42 | b << 21 | cp */
    uint32_t *cvals;        /* term index + 1 */
    size_t cmask, cn;
    uint32_t *touched;      /* terms seen in the current document */
    size_t ntouched, ctouched;
    int oom;
    /* the document being indexed */
    uint32_t doc;
    int field;              /* 0 title, 1 body */
} sindex;

static int S_grow_slots(sindex *x) {
    size_t n = x->mask ? (x->mask + 1) * 2 : 1u << 16;
    uint32_t *s = calloc(n, sizeof *s);
    if (!s) return -1;
    for (size_t i = 0; i < x->nt; i++) {
        size_t h = x->t[i].hash & (n - 1);
        while (s[h]) h = (h + 1) & (n - 1);
        s[h] = (uint32_t)i + 1;
    }
    free(x->slots);
    x->slots = s;
    x->mask = n - 1;
    return 0;
}

static sterm *S_intern(sindex *x, const char *s, size_t n) {
    uint32_t h = search_hash(s, n);
    if (!x->slots || x->nt * 2 >= x->mask) {
        if (S_grow_slots(x) < 0) return NULL;
    }
    size_t i = h & x->mask;
    while (x->slots[i]) {
        sterm *t = &x->t[x->slots[i] - 1];
        if (t->hash == h && t->len == n && memcmp(x->pool.ptr + t->off, s, n) == 0) return t;
        i = (i + 1) & x->mask;
    }
    if (x->nt == x->cap) {
        size_t nc = x->cap ? x->cap * 2 : 4096;
        sterm *nt = realloc(x->t, nc * sizeof *nt);
        if (!nt) return NULL;
        x->t = nt, x->cap = nc;
    }
    sterm *t = &x->t[x->nt];
    memset(t, 0, sizeof *t);
    t->off = (uint32_t)x->pool.len, t->len = (uint32_t)n, t->hash = h, t->cur = UINT32_MAX;
    sb_append(&x->pool, s, n);
    if (x->pool.oom) return NULL;
    x->slots[i] = (uint32_t)++x->nt;
    return t;
}

static void S_count(sindex *x, sterm *t) {
    if (t->cur != x->doc) {
        t->cur = x->doc, t->tf = 0, t->intitle = 0;
        if (x->ntouched == x->ctouched) {
            size_t nc = x->ctouched ? x->ctouched * 2 : 1024;
            uint32_t *v = realloc(x->touched, nc * sizeof *v);
            if (!v) {
                x->oom = 1;
                return;
            }
            x->touched = v, x->ctouched = nc;
        }
        x->touched[x->ntouched++] = (uint32_t)(t - x->t);
    }
    if (x->field == 0) t->intitle = 1;
    else if (x->field == 1 && t->tf < UINT32_MAX) t->tf++;
}

static void S_on_term(void *payload, const char *s, size_t n) {
    sindex *x = payload;
    sterm *t = S_intern(x, s, n);
    if (!t) {
        x->oom = 1;
        return;
    }
    S_count(x, t);
}

/* A CJK unigram, bigram or trigram: found by its code points without
 * spelling it out (most terms of a Chinese text), else interned by its
 * bytes. (Code points have 21 bits: three fit in a key.) */
static void S_on_cjk(void *payload, uint32_t a, uint32_t b2, uint32_t cp) {
    sindex *x = payload;
    uint64_t key = (uint64_t)a << 42 | (uint64_t)b2 << 21 | cp;
    if (!x->ckeys || x->cn * 2 >= x->cmask) {
        size_t n = x->cmask ? (x->cmask + 1) * 2 : 1u << 14;
        uint64_t *k = calloc(n, sizeof *k);
        uint32_t *v = calloc(n, sizeof *v);
        if (!k || !v) {
            free(k), free(v);
            x->oom = 1;
            return;
        }
        for (size_t i = 0; x->ckeys && i <= x->cmask; i++) {
            if (!x->cvals[i]) continue;
            size_t h = (size_t)((x->ckeys[i] * 0x9E3779B97F4A7C15ull) >> 20) & (n - 1);
            while (v[h]) h = (h + 1) & (n - 1);
            k[h] = x->ckeys[i], v[h] = x->cvals[i];
        }
        free(x->ckeys), free(x->cvals);
        x->ckeys = k, x->cvals = v, x->cmask = n - 1;
    }
    size_t h = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 20) & x->cmask;
    while (x->cvals[h]) {
        if (x->ckeys[h] == key) {
            S_count(x, &x->t[x->cvals[h] - 1]);
            return;
        }
        h = (h + 1) & x->cmask;
    }
    char b[12];
    size_t n = S_cjk_bytes(b, a, b2, cp);
    sterm *t = S_intern(x, b, n);
    if (!t) {
        x->oom = 1;
        return;
    }
    x->ckeys[h] = key, x->cvals[h] = (uint32_t)(t - x->t) + 1, x->cn++;
    S_count(x, t);
}

static void S_post(sindex *x, sterm *t, uint32_t doc, int cls) {
    if (t->plen + 6 > t->pcap) {
        size_t nc = t->pcap ? t->pcap * 2 : 16;
        unsigned char *p = realloc(t->post, nc);
        if (!p) {
            x->oom = 1;
            return;
        }
        t->post = p, t->pcap = nc;
    }
    uint32_t d = doc - (t->df ? t->last : 0);
    do {
        unsigned char c = d & 0x7F;
        d >>= 7;
        if (d) c |= 0x80;
        t->post[t->plen++] = c;
    } while (d);
    t->post[t->plen++] = (unsigned char)cls;
    t->last = doc;
    t->df++;
}

static void S_index_doc(sindex *x, uint32_t docno, const sdoc *d, strbuf *tmp) {
    x->doc = docno;
    x->ntouched = 0;
    sb_clear(tmp);
    sb_puts(tmp, d->title);
    if (d->alt && *d->alt) {
        sb_putc(tmp, '\n');
        sb_puts(tmp, d->alt);
    }
    size_t title_len = S_utf8_count(tmp->ptr ? tmp->ptr : "", tmp->len);
    x->field = 0;
    S_scan(sb_str(tmp), tmp->len, S_on_cjk, S_on_term, x);
    x->field = 1;
    S_scan(sb_str(&d->text), d->text.len, S_on_cjk, S_on_term, x);
    size_t body_len = S_utf8_count(sb_str(&d->text), d->text.len);
    /* filters: kind and bodies, as terms no text can hold (U+0001) */
    x->field = 2;
    sb_clear(tmp);
    sb_printf(tmp, "\001k:%s", kind_filter[d->k]);
    S_on_term(x, tmp->ptr, tmp->len);
    for (size_t i = 0; i < d->nbodies; i++) {
        sb_clear(tmp);
        sb_printf(tmp, "\001b:%s", d->bodies[i]);
        S_on_term(x, tmp->ptr, tmp->len);
    }
    for (size_t i = 0; i < x->ntouched; i++) {
        sterm *t = &x->t[x->touched[i]];
        S_post(x, t, docno, search_rank_class(t->intitle, title_len, t->tf, body_len));
    }
}

typedef struct sindex_job {
    sindex *xs;
    const sdocs *ds;
    const size_t *bounds;
} sindex_job;

static void S_index_job(void *ctx, size_t k, int worker) {
    (void)worker;
    sindex_job *j = ctx;
    strbuf tmp = STRBUF_INIT;
    for (size_t i = j->bounds[k]; i < j->bounds[k + 1] && !j->xs[k].oom; i++)
        S_index_doc(&j->xs[k], (uint32_t)i, &j->ds->v[i], &tmp);
    if (tmp.oom) j->xs[k].oom = 1;
    sb_free(&tmp);
}

/* Joins the terms of the jobs' indexes into x, each with the postings of
 * every job in order (parts), or takes the only one as it is. */
static int S_merge(sindex *x, sindex *xs, size_t nx) {
    if (nx == 1) {
        *x = xs[0];
        memset(&xs[0], 0, sizeof xs[0]);
        return 0;
    }
    for (size_t k = 0; k < nx; k++) {
        for (size_t i = 0; i < xs[k].nt; i++) {
            const sterm *lt = &xs[k].t[i];
            sterm *g = S_intern(x, xs[k].pool.ptr + lt->off, lt->len);
            if (!g) return -1;
            if (!g->parts) {
                g->parts = malloc(nx * sizeof *g->parts);
                if (!g->parts) return -1;
            }
            g->parts[g->nparts++] = (struct spart){lt->post, lt->df};
            g->df += lt->df;
            g->plen += lt->plen;
        }
    }
    return 0;
}

static void S_index_free(sindex *x) {
    for (size_t i = 0; i < x->nt; i++) {
        free(x->t[i].post);
        free(x->t[i].parts);
    }
    free(x->t);
    free(x->slots);
    free(x->ckeys);
    free(x->cvals);
    free(x->touched);
    sb_free(&x->pool);
}

/* ====================================================================== */
/* Writing                                                                */

typedef struct swriter {
    output *o;
    diag *d;
    atomic_uint_least64_t id; /* the sum of every file's FNV-1a 64 hash (of its path and bytes):
                                 the index's version, whatever order files are written in */
    atomic_size_t files, bytes;
    atomic_int failed;
} swriter;

static void S_write(swriter *w, const char *path, const char *data, size_t n) {
    if (atomic_load(&w->failed)) return;
    uint64_t h = 14695981039346656037ull;
    for (const char *p = path; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ull;
    h = (h ^ 0) * 1099511628211ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)data[i]) * 1099511628211ull;
    atomic_fetch_add(&w->id, h);
    if (output_write(w->o, path, data, n, w->d) < 0) atomic_store(&w->failed, 1);
    atomic_fetch_add(&w->files, 1);
    atomic_fetch_add(&w->bytes, n);
}

static void S_json_str(strbuf *b, const char *s) {
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    sb_putc(b, '"');
    for (;;) {
        /* the bytes that stand as they are, in one append */
        const unsigned char *run = p;
        while (*p >= 0x20 && *p != '"' && *p != '\\' && *p != 0x7F && *p != 0xE2) p++;
        if (p > run) sb_append(b, (const char *)run, (size_t)(p - run));
        unsigned char c = *p;
        if (!c) break;
        if (c == '"' || c == '\\') {
            sb_putc(b, '\\');
            sb_putc(b, (char)c);
        } else if (c == '\n') {
            sb_append(b, "\\n", 2);
        } else if (c == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9)) {
            sb_printf(b, "\\u%04x", p[2] == 0xA8 ? 0x2028 : 0x2029);
            p += 2;
        } else if (c == 0xE2) {
            sb_putc(b, (char)c);
        } else {
            sb_printf(b, "\\u%04x", c);
        }
        p++;
    }
    sb_putc(b, '"');
}

/* A slice of a ranked list: runs of [class byte, count, doc deltas]. */
static void S_ranked(strbuf *b, const uint32_t *docs, const unsigned char *cls, size_t n) {
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && cls[j] == cls[i]) j++;
        sb_putc(b, (char)cls[i]);
        search_put_varint(b, j - i);
        uint32_t prev = 0;
        for (size_t k = i; k < j; k++) {
            search_put_varint(b, docs[k] - prev);
            prev = docs[k];
        }
        i = j;
    }
}

/* Membership: [0, count, deltas] or [1, bitmap of ndocs bits]. */
static void S_members(strbuf *b, const uint32_t *sorted, size_t n, size_t ndocs) {
    strbuf l = STRBUF_INIT;
    search_put_varint(&l, n);
    uint32_t prev = 0;
    for (size_t k = 0; k < n; k++) {
        search_put_varint(&l, sorted[k] - prev);
        prev = sorted[k];
    }
    size_t bm = (ndocs + 7) / 8;
    if (l.len <= bm) {
        sb_putc(b, 0);
        sb_append(b, l.ptr, l.len);
    } else {
        sb_putc(b, 1);
        size_t at = b->len;
        for (size_t k = 0; k < bm; k++) sb_putc(b, 0);
        if (!b->oom)
            for (size_t k = 0; k < n; k++) b->ptr[at + (sorted[k] >> 3)] |= (char)(1u << (sorted[k] & 7));
    }
    sb_free(&l);
}

static size_t S_nseg(size_t df) {
    size_t n = 0, covered = 0, size = SEARCH_SEG0;
    while (covered < df) {
        covered += size;
        size *= SEARCH_SEG_GROWTH;
        n++;
    }
    return n;
}

typedef struct sorder {
    uint32_t shard;
    const sterm *t;
    const char *bytes;
} sorder;

static int S_order_cmp(const void *a, const void *b) {
    const sorder *x = a, *y = b;
    if (x->shard != y->shard) return x->shard < y->shard ? -1 : 1;
    size_t n = x->t->len < y->t->len ? x->t->len : y->t->len;
    int c = memcmp(x->bytes, y->bytes, n);
    if (c) return c;
    return x->t->len < y->t->len ? -1 : x->t->len > y->t->len;
}

/* Decodes a term's postings into docs/cls (document order), then sorts a
 * copy into ranked order: class descending, document ascending. */
static size_t S_decode_part(const unsigned char *post, uint32_t df, uint32_t *docs, unsigned char *cls) {
    size_t p = 0;
    uint32_t doc = 0;
    for (uint32_t k = 0; k < df; k++) {
        uint32_t d = 0;
        int sh = 0;
        unsigned char c;
        do {
            c = post[p++];
            d |= (uint32_t)(c & 0x7F) << sh;
            sh += 7;
        } while (c & 0x80);
        doc = k ? doc + d : d;
        docs[k] = doc;
        cls[k] = post[p++];
    }
    return df;
}

static void S_decode(const sterm *t, uint32_t *docs, unsigned char *cls) {
    if (!t->nparts) {
        S_decode_part(t->post, t->df, docs, cls);
        return;
    }
    size_t at = 0;
    for (uint32_t k = 0; k < t->nparts; k++)
        at += S_decode_part(t->parts[k].post, t->parts[k].df, docs + at, cls + at);
}

static void S_rank(const uint32_t *docs, const unsigned char *cls, size_t n, uint32_t *rdocs,
                   unsigned char *rcls) {
    size_t count[256] = {0}, start[256];
    for (size_t k = 0; k < n; k++) count[cls[k]]++;
    size_t at = 0;
    for (int c = 255; c >= 0; c--) {
        start[c] = at;
        at += count[c];
    }
    for (size_t k = 0; k < n; k++) {
        size_t j = start[cls[k]]++;
        rdocs[j] = docs[k];
        rcls[j] = cls[k];
    }
}

static void S_path(char *buf, size_t n, const char *dir, size_t num, const char *suffix) {
    /* search/t/12/12345-0.bin: a thousand files a folder */
    snprintf(buf, n, "search/%s/%zu/%zu%s", dir, num / 1000, num, suffix);
}

_Static_assert(SEARCH_TOP <= SEARCH_INLINE_DF && SEARCH_TOP <= SEARCH_SEG0,
               "the top of a list is part of its first segment");

/* Writing the terms: shards in parallel, each job one shard and the files
 * of its terms; file numbers are given beforehand, in term order. */
typedef struct sterms_job {
    swriter *w;
    sindex *x;
    const sorder *ord;
    const size_t *start;    /* shard k's terms: ord[start[k], start[k+1]) */
    const uint32_t *fileno; /* per term in ord order, for df > SEARCH_INLINE_DF */
    size_t ndocs;
    struct sterms_buf {
        uint32_t *docs, *rdocs;
        unsigned char *cls, *rcls;
        strbuf shard, f;
    } *buf;                 /* one per worker */
    atomic_int oom;
} sterms_job;

static void S_shard_job(void *ctx, size_t sh, int worker) {
    sterms_job *j = ctx;
    struct sterms_buf *bf = &j->buf[worker];
    strbuf *shard = &bf->shard, *f = &bf->f;
    char path[128];
    sb_clear(shard);
    search_put_varint(shard, j->start[sh + 1] - j->start[sh]);
    for (size_t k = j->start[sh]; k < j->start[sh + 1]; k++) {
        const sterm *t = j->ord[k].t;
        search_put_varint(shard, t->len);
        sb_append(shard, j->ord[k].bytes, t->len);
        search_put_varint(shard, t->df);
        S_decode(t, bf->docs, bf->cls);
        S_rank(bf->docs, bf->cls, t->df, bf->rdocs, bf->rcls);
        if (t->df <= SEARCH_INLINE_DF) {
            S_ranked(shard, bf->rdocs, bf->rcls, t->df);
            continue;
        }
        size_t fileno = j->fileno[k];
        search_put_varint(shard, fileno);
        size_t nseg = S_nseg(t->df);
        search_put_varint(shard, nseg);
        size_t from = 0, size = SEARCH_SEG0;
        for (size_t sg = 0; sg < nseg; sg++) {
            size_t cnt = t->df - from < size ? t->df - from : size;
            sb_clear(f);
            S_ranked(f, bf->rdocs + from, bf->rcls + from, cnt);
            char suffix[32];
            snprintf(suffix, sizeof suffix, "-%zu.bin", sg);
            S_path(path, sizeof path, "t", fileno, suffix);
            if (f->oom) goto oom;
            S_write(j->w, path, f->ptr, f->len);
            search_put_varint(shard, cnt);
            sb_putc(shard, (char)bf->rcls[from]);
            search_put_varint(shard, f->len);
            from += cnt;
            size *= SEARCH_SEG_GROWTH;
        }
        if (nseg > 1) {
            sb_clear(f);
            S_members(f, bf->docs, t->df, j->ndocs);
            S_path(path, sizeof path, "t", fileno, "-m.bin");
            if (f->oom) goto oom;
            S_write(j->w, path, f->ptr, f->len);
            search_put_varint(shard, f->len);
        }
        S_ranked(shard, bf->rdocs, bf->rcls, SEARCH_TOP); /* the top of the list */
    }
    if (shard->oom) goto oom;
    snprintf(path, sizeof path, "search/s/%zu.bin", sh);
    S_write(j->w, path, shard->ptr ? shard->ptr : "", shard->len);
    return;
oom:
    atomic_store(&j->oom, 1);
}

static int S_write_terms(swriter *w, sindex *x, size_t ndocs, int jobs, size_t *nshards_out) {
    /* Shard count: about 1 KB of dictionary per shard, a power of two. */
    size_t est = 0;
    uint32_t maxdf = 0;
    for (size_t i = 0; i < x->nt; i++) {
        const sterm *t = &x->t[i];
        est += t->len + 4 +
               (t->df <= SEARCH_INLINE_DF ? t->plen + 4 : 8 + 3 * S_nseg(t->df) + 2 * SEARCH_TOP);
        if (t->df > maxdf) maxdf = t->df;
    }
    size_t nshards = 1;
    while (nshards < 65536 && nshards * 1024 < est) nshards *= 2;
    *nshards_out = nshards;

    int rc = -1;
    sterms_job j;
    memset(&j, 0, sizeof j);
    sorder *ord = malloc((x->nt ? x->nt : 1) * sizeof *ord);
    size_t *start = calloc(nshards + 1, sizeof *start);
    uint32_t *fileno = malloc((x->nt ? x->nt : 1) * sizeof *fileno);
    j.buf = calloc((size_t)jobs, sizeof *j.buf);
    if (!ord || !start || !fileno || !j.buf) goto done;
    for (int k = 0; k < jobs; k++) {
        j.buf[k].docs = malloc(((size_t)maxdf + 1) * sizeof(uint32_t) * 2);
        j.buf[k].cls = malloc(((size_t)maxdf + 1) * 2);
        if (!j.buf[k].docs || !j.buf[k].cls) goto done;
        j.buf[k].rdocs = j.buf[k].docs + maxdf + 1;
        j.buf[k].rcls = j.buf[k].cls + maxdf + 1;
    }
    for (size_t i = 0; i < x->nt; i++)
        ord[i] = (sorder){x->t[i].hash % (uint32_t)nshards, &x->t[i], x->pool.ptr + x->t[i].off};
    qsort(ord, x->nt, sizeof *ord, S_order_cmp);
    uint32_t nfile = 0;
    for (size_t i = 0; i < x->nt; i++) {
        start[ord[i].shard + 1]++;
        fileno[i] = ord[i].t->df > SEARCH_INLINE_DF ? nfile++ : 0;
    }
    for (size_t k = 0; k < nshards; k++) start[k + 1] += start[k];
    j.w = w, j.x = x, j.ord = ord, j.start = start, j.fileno = fileno, j.ndocs = ndocs;
    workers_run(jobs, nshards, S_shard_job, &j);
    rc = atomic_load(&j.oom) ? -1 : atomic_load(&w->failed) ? -1 : 0;
done:
    for (int k = 0; j.buf && k < jobs; k++) {
        free(j.buf[k].docs), free(j.buf[k].cls);
        sb_free(&j.buf[k].shard), sb_free(&j.buf[k].f);
    }
    free(j.buf);
    free(ord), free(start), free(fileno);
    return rc;
}

/* Per-result data: CHUNK documents a file, in document order, one job a
 * file. */
typedef struct schunk_job {
    swriter *w;
    const site *s;
    const sdocs *ds;
    size_t chunk;
    strbuf *bufs;           /* one per worker */
    int **local;            /* one per worker: plan index -> index in the chunk */
    atomic_size_t bytes;    /* of every chunk */
    atomic_int oom;
} schunk_job;

static void S_chunk_job(void *ctx, size_t c, int worker) {
    schunk_job *j = ctx;
    strbuf *b = &j->bufs[worker];
    int *local = j->local[worker];
    const sdocs *ds = j->ds;
    size_t lo = c * j->chunk, hi = lo + j->chunk < ds->n ? lo + j->chunk : ds->n;
    sb_clear(b);
    sb_puts(b, "{\"p\":[");
    int np = 0;
    for (size_t k = lo; k < hi; k++) {
        int pi = ds->v[k].plan;
        if (pi < 0 || local[pi] >= 0) continue;
        local[pi] = np++;
        if (np > 1) sb_putc(b, ',');
        sb_putc(b, '[');
        S_json_str(b, j->s->plans[pi]->doc.id);
        sb_putc(b, ',');
        S_json_str(b, j->s->plans[pi]->doc.title);
        sb_putc(b, ']');
    }
    sb_puts(b, "],\"d\":[");
    for (size_t k = lo; k < hi; k++) {
        const sdoc *d = &ds->v[k];
        if (k > lo) sb_putc(b, ',');
        sb_putc(b, '[');
        S_json_str(b, kind_names[d->k]);
        sb_putc(b, ',');
        S_json_str(b, d->url);
        sb_putc(b, ',');
        S_json_str(b, d->title);
        sb_putc(b, ',');
        S_json_str(b, d->alt);
        sb_printf(b, ",%d,", d->plan >= 0 ? local[d->plan] : -1);
        S_json_str(b, sb_str(&d->text));
        sb_putc(b, ']');
    }
    sb_puts(b, "]}\n");
    for (size_t k = lo; k < hi; k++)
        if (ds->v[k].plan >= 0) local[ds->v[k].plan] = -1;
    if (b->oom) {
        atomic_store(&j->oom, 1);
        return;
    }
    char path[128];
    S_path(path, sizeof path, "d", c, ".json");
    S_write(j->w, path, b->ptr, b->len);
    atomic_fetch_add(&j->bytes, b->len);
}

/* Writes the chunks; *bytes is their size in all. */
static int S_write_chunks(swriter *w, const site *s, const sdocs *ds, size_t chunk, int jobs,
                          size_t *bytes) {
    schunk_job j;
    memset(&j, 0, sizeof j);
    j.w = w, j.s = s, j.ds = ds, j.chunk = chunk;
    j.bufs = calloc((size_t)jobs, sizeof *j.bufs);
    j.local = calloc((size_t)jobs, sizeof *j.local);
    int rc = -1;
    if (!j.bufs || !j.local) goto done;
    for (int k = 0; k < jobs; k++) {
        j.local[k] = malloc((s->nplans ? s->nplans : 1) * sizeof **j.local);
        if (!j.local[k]) goto done;
        for (size_t p = 0; p < s->nplans; p++) j.local[k][p] = -1;
    }
    workers_run(jobs, (ds->n + chunk - 1) / chunk, S_chunk_job, &j);
    *bytes = atomic_load(&j.bytes);
    rc = atomic_load(&j.oom) || atomic_load(&w->failed) ? -1 : 0;
done:
    for (int k = 0; k < jobs; k++) {
        if (j.bufs) sb_free(&j.bufs[k]);
        if (j.local) free(j.local[k]);
    }
    free(j.bufs);
    free(j.local);
    return rc;
}

int search_write(const site *s, output *o, diag *d) {
    return search_write_jobs(s, o, workers_default_jobs(), d);
}

int search_write_jobs(const site *s, output *o, int jobs, diag *d) {
    int rc = -1;
    if (jobs < 1) jobs = 1;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    sdocs ds = {arena_new(), NULL, 0, 0};
    sindex x, *xs = NULL;
    size_t nx = 0;
    memset(&x, 0, sizeof x);
    strbuf tmp = STRBUF_INIT, b = STRBUF_INIT;
    swriter w;
    memset(&w, 0, sizeof w);
    w.o = o, w.d = d;
    size_t *plan_first = calloc(s->nplans + 1, sizeof *plan_first);
    size_t *plan_end = calloc(s->nplans + 1, sizeof *plan_end);
    if (!ds.a || !plan_first || !plan_end) goto oom;

    S_collect(&ds, s, plan_first, plan_end);
    size_t text_bytes = 0;
    for (size_t i = 0; i < ds.n; i++) {
        if (ds.v[i].text.oom) goto oom;
        text_bytes += ds.v[i].text.len + strlen(ds.v[i].title) + strlen(ds.v[i].alt) +
                      strlen(ds.v[i].url) + 24;
    }
    progress_step_time("search", "text", &ts);
    /* Terms, on `jobs` threads: each indexes a run of documents with terms of
     * its own; the runs' postings are then joined in document order. */
    nx = jobs < 1 ? 1 : (size_t)jobs;
    if (nx > ds.n) nx = ds.n ? ds.n : 1;
    xs = calloc(nx, sizeof *xs);
    size_t *bounds = calloc(nx + 1, sizeof *bounds);
    if (!xs || !bounds) {
        free(bounds);
        goto oom;
    }
    for (size_t i = 0, k = 1, acc = 0; i < ds.n && k < nx; i++) {
        acc += ds.v[i].text.len + 64;
        if (acc * nx >= text_bytes * k) bounds[k++] = i + 1;
    }
    for (size_t k = 1; k <= nx; k++)
        if (bounds[k] < bounds[k - 1] || k == nx) bounds[k] = k == nx ? ds.n : bounds[k - 1];
    sindex_job ij = {xs, &ds, bounds};
    workers_run((int)nx, nx, S_index_job, &ij);
    free(bounds);
    for (size_t k = 0; k < nx; k++)
        if (xs[k].oom) goto oom;
    if (S_merge(&x, xs, nx) < 0) goto oom;
    progress_step_time("search", "terms", &ts);

    /* Documents a chunk: about 1 KB a file on average (a result's chunk is
     * fetched for it alone: the documents around it are rarely wanted). */
    size_t chunk = ds.n ? (text_bytes / ds.n ? SEARCH_CHUNK_BYTES / (text_bytes / ds.n) : 64) : 1;
    if (chunk < 1) chunk = 1;
    if (chunk > 64) chunk = 64;

    size_t nshards = 1;
    if (S_write_terms(&w, &x, ds.n, jobs, &nshards) < 0) {
        if (!atomic_load(&w.failed)) goto oom;
        goto done;
    }
    progress_step_time("search", "postings", &ts);
    size_t nchunks = (ds.n + chunk - 1) / chunk, chunk_bytes = 0;
    if (S_write_chunks(&w, s, &ds, chunk, jobs, &chunk_bytes) < 0) {
        if (!atomic_load(&w.failed)) goto oom;
        goto done;
    }
    progress_step_time("search", "chunks", &ts);

    /* plans.json: [id, title, first document, end] in document order;
     * bodies.json: [id, name] for the body filter. */
    sb_clear(&b);
    sb_putc(&b, '[');
    for (size_t p = 0; p < s->nplans; p++) {
        if (p) sb_puts(&b, ",\n");
        sb_putc(&b, '[');
        S_json_str(&b, s->plans[p]->doc.id);
        sb_putc(&b, ',');
        S_json_str(&b, s->plans[p]->doc.title);
        sb_printf(&b, ",%zu,%zu]", plan_first[p], plan_end[p]);
    }
    sb_puts(&b, "]\n");
    if (b.oom) goto oom;
    S_write(&w, "search/plans.json", b.ptr, b.len);
    /* p/N.json: the same rows, the plans whose id hashes to N modulo a power
     * of two that keeps a file near 1 KB: a link with a plan filter needs
     * its plan's range and title, not the list of every plan. */
    size_t plan_shards = 1;
    while (plan_shards < 65536 && b.len / plan_shards > SEARCH_CHUNK_BYTES) plan_shards *= 2;
    for (size_t sh = 0; sh < plan_shards && !b.oom; sh++) {
        strbuf ps = STRBUF_INIT;
        sb_putc(&ps, '[');
        for (size_t p = 0, n = 0; p < s->nplans; p++) {
            const char *id = s->plans[p]->doc.id;
            if (search_hash(id, strlen(id)) % plan_shards != sh) continue;
            if (n++) sb_puts(&ps, ",\n");
            sb_putc(&ps, '[');
            S_json_str(&ps, id);
            sb_putc(&ps, ',');
            S_json_str(&ps, s->plans[p]->doc.title);
            sb_printf(&ps, ",%zu,%zu]", plan_first[p], plan_end[p]);
        }
        sb_puts(&ps, "]\n");
        char path[64];
        snprintf(path, sizeof path, "search/p/%zu.json", sh);
        if (ps.oom) b.oom = 1;
        else S_write(&w, path, ps.ptr, ps.len);
        sb_free(&ps);
    }
    if (b.oom) goto oom;
    sb_clear(&b);
    sb_putc(&b, '[');
    for (size_t k = 0; k < s->bodies.n; k++) {
        if (k) sb_puts(&b, ",\n");
        sb_putc(&b, '[');
        S_json_str(&b, s->bodies.items[k]->id);
        sb_putc(&b, ',');
        S_json_str(&b, s->bodies.items[k]->name);
        sb_putc(&b, ']');
    }
    sb_puts(&b, "]\n");
    if (b.oom) goto oom;
    S_write(&w, "search/bodies.json", b.ptr, b.len);

    /* The manifest last: its id is a hash of everything written before it,
     * so that a browser never mixes the files of two builds. */
    sb_clear(&b);
    sb_printf(&b,
              "{\"format\":%d,\"id\":\"%016llx\",\"docs\":%zu,\"shards\":%zu,\"chunk\":%zu,"
              "\"chunk_bytes\":%zu,\"inline\":%d,\"top\":%d,\"seg0\":%d,\"word_max\":%d,"
              "\"plans\":%zu,\"plan_shards\":%zu,\"bodies\":%zu,\"terms\":%zu,\"files\":%zu,"
              "\"bytes\":%zu}\n",
              SEARCH_FORMAT, (unsigned long long)atomic_load(&w.id), ds.n, nshards, chunk,
              nchunks ? chunk_bytes / nchunks : 0, SEARCH_INLINE_DF, SEARCH_TOP, SEARCH_SEG0,
              SEARCH_WORD_MAX, s->nplans, plan_shards, s->bodies.n, x.nt, atomic_load(&w.files) + 1,
              atomic_load(&w.bytes));
    if (b.oom) goto oom;
    S_write(&w, "search/manifest.json", b.ptr, b.len);
    rc = atomic_load(&w.failed) ? -1 : 0;
    goto done;
oom:
    diag_error(d, NULL, 0, 0, "search index: out of memory");
    rc = -1;
done:
    for (size_t i = 0; i < ds.n; i++) sb_free(&ds.v[i].text);
    S_index_free(&x);
    for (size_t k = 0; xs && k < nx; k++) S_index_free(&xs[k]);
    free(xs);
    sb_free(&tmp);
    sb_free(&b);
    free(plan_first);
    free(plan_end);
    if (ds.a) arena_free(ds.a);
    return rc;
}
