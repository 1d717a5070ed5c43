/* textdiff.c — two versions of a Markdown text compared for readers: blocks
 * aligned, moves recognised, changed characters marked (see textdiff.h).
 *
 * Why our own Myers: Debian 12 has no well-kept C library for sequence diffs.
 * `apt-cache search diff library` offers libdtl-dev (a C++ template header),
 * libkomparediff2 (Qt/C++, line-oriented, for Kompare) and bindings for other
 * languages; libxdiff is not packaged, and libgit2's copy of xdiff is
 * line-oriented and reachable only through git2.h, which only repo.c may
 * include. So this file carries a compact linear-space Myers O(ND) diff
 * (E. Myers, "An O(ND) Difference Algorithm and Its Variations", 1986: the
 * middle-snake divide and conquer, shaped like xdiff's xdl_split) over arrays
 * of integers — block ids for paragraphs, code points for characters — with a
 * cap on the edit distance explored and a work budget per call. */
#include "textdiff.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_NONE ((size_t)-1)
#define S_BAD 0x200000u /* an invalid UTF-8 byte b is the unit S_BAD | b */
#define S_PAIR_WINDOW 8 /* added blocks tried for each removed one */
#define S_HIST 4096

/* ------------------------------------------------------------------ UTF-8 */

/* Decodes the unit at s[0..n) (n >= 1) into *u; returns its length in bytes.
 * Overlong forms, surrogates and values above U+10FFFF are invalid bytes. */
static size_t S_decode(const unsigned char *s, size_t n, uint32_t *u) {
    unsigned c = s[0];
    size_t len;
    uint32_t cp, min;
    if (c < 0x80) {
        *u = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) len = 2, cp = c & 0x1F, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF) len = 3, cp = c & 0x0F, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4) len = 4, cp = c & 0x07, min = 0x10000;
    else goto bad;
    if (n < len) goto bad;
    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xC0) != 0x80) goto bad;
        cp = (cp << 6) | (s[k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) goto bad;
    *u = cp;
    return len;
bad:
    *u = S_BAD | c;
    return 1;
}

/* Appends s[0..n) escaped; invalid bytes and control characters other than
 * tab and newline become U+FFFD. */
static void S_put(strbuf *out, const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s;
    size_t start = 0, i = 0;
    while (i < n) {
        uint32_t u;
        size_t len = S_decode(p + i, n - i, &u);
        const char *rep = NULL;
        if (u & S_BAD) rep = "\xEF\xBF\xBD";
        else if (u < 0x20 && u != '\t' && u != '\n') rep = "\xEF\xBF\xBD";
        else if (u == 0x7F) rep = "\xEF\xBF\xBD";
        else if (u == '&') rep = "&amp;";
        else if (u == '<') rep = "&lt;";
        else if (u == '>') rep = "&gt;";
        else if (u == '"') rep = "&quot;";
        else if (u == '\'') rep = "&#39;";
        if (rep) {
            sb_append(out, s + start, i - start);
            sb_puts(out, rep);
            start = i + len;
        }
        i += len;
    }
    sb_append(out, s + start, n - start);
}

/* Decodes s[0..n) into units; *offs gets the byte offset of each unit and one
 * more (n). Returns the number of units, or S_NONE when out of memory. */
static size_t S_units(const char *s, size_t n, uint32_t **units, size_t **offs) {
    uint32_t *u = malloc((n + 1) * sizeof *u);
    size_t *o = malloc((n + 1) * sizeof *o);
    if (!u || !o) {
        free(u);
        free(o);
        return S_NONE;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; k++) {
        o[k] = i;
        i += S_decode((const unsigned char *)s + i, n - i, &u[k]);
    }
    o[k] = n;
    *units = u;
    *offs = o;
    return k;
}

/* ------------------------------------------------------------------ Myers */

typedef struct S_myers {
    const uint32_t *a, *b;
    char *ca, *cb;         /* 1: removed from a / inserted into b */
    ptrdiff_t *kvdf, *kvdb; /* furthest reach per diagonal i - j */
    ptrdiff_t maxcost;
    size_t *work;          /* steps left in this call's budget */
} S_myers;

/* Finds the middle snake of a[off1..lim1) against b[off2..lim2) (both non-empty,
 * first and last elements differing); *s1, *s2 split both in two. Returns 1
 * when the edit distance explored passes the cap or the budget runs out. */
static int S_middle(S_myers *x, ptrdiff_t off1, ptrdiff_t lim1, ptrdiff_t off2, ptrdiff_t lim2,
                    ptrdiff_t *s1, ptrdiff_t *s2) {
    const uint32_t *a = x->a, *b = x->b;
    ptrdiff_t *kf = x->kvdf, *kb = x->kvdb;
    ptrdiff_t dmin = off1 - lim2, dmax = lim1 - off2;
    ptrdiff_t fmid = off1 - off2, bmid = lim1 - lim2;
    int odd = (int)((fmid - bmid) & 1);
    ptrdiff_t fmin = fmid, fmax = fmid, bmin = bmid, bmax = bmid;
    kf[fmid] = off1;
    kb[bmid] = lim1;
    for (ptrdiff_t ec = 1;; ec++) {
        size_t steps = 0;
        if (fmin > dmin) kf[--fmin - 1] = -1;
        else ++fmin;
        if (fmax < dmax) kf[++fmax + 1] = -1;
        else --fmax;
        for (ptrdiff_t d = fmax; d >= fmin; d -= 2) {
            ptrdiff_t i1 = kf[d - 1] >= kf[d + 1] ? kf[d - 1] + 1 : kf[d + 1];
            ptrdiff_t i2 = i1 - d, st = i1;
            while (i1 < lim1 && i2 < lim2 && a[i1] == b[i2]) i1++, i2++;
            steps += 1 + (size_t)(i1 - st);
            kf[d] = i1;
            if (odd && bmin <= d && d <= bmax && kb[d] <= i1) {
                *s1 = i1;
                *s2 = i2;
                return 0;
            }
        }
        if (bmin > dmin) kb[--bmin - 1] = PTRDIFF_MAX;
        else ++bmin;
        if (bmax < dmax) kb[++bmax + 1] = PTRDIFF_MAX;
        else --bmax;
        for (ptrdiff_t d = bmax; d >= bmin; d -= 2) {
            ptrdiff_t i1 = kb[d - 1] < kb[d + 1] ? kb[d - 1] : kb[d + 1] - 1;
            ptrdiff_t i2 = i1 - d, st = i1;
            while (i1 > off1 && i2 > off2 && a[i1 - 1] == b[i2 - 1]) i1--, i2--;
            steps += 1 + (size_t)(st - i1);
            kb[d] = i1;
            if (!odd && fmin <= d && d <= fmax && i1 <= kf[d]) {
                *s1 = i1;
                *s2 = i2;
                return 0;
            }
        }
        if (steps >= *x->work) {
            *x->work = 0;
            return 1;
        }
        *x->work -= steps;
        if (ec >= x->maxcost) return 1;
    }
}

static void S_compare(S_myers *x, ptrdiff_t off1, ptrdiff_t lim1, ptrdiff_t off2, ptrdiff_t lim2) {
    while (off1 < lim1 && off2 < lim2 && x->a[off1] == x->b[off2]) off1++, off2++;
    while (off1 < lim1 && off2 < lim2 && x->a[lim1 - 1] == x->b[lim2 - 1]) lim1--, lim2--;
    ptrdiff_t s1 = 0, s2 = 0;
    if (off1 < lim1 && off2 < lim2 && *x->work > 0 &&
        S_middle(x, off1, lim1, off2, lim2, &s1, &s2) == 0 &&
        !(s1 == off1 && s2 == off2) && !(s1 == lim1 && s2 == lim2)) {
        S_compare(x, off1, s1, off2, s2);
        S_compare(x, s1, lim1, s2, lim2);
        return;
    }
    /* one side empty, or too costly: the stretch is replaced */
    if (lim1 > off1) memset(x->ca + off1, 1, (size_t)(lim1 - off1));
    if (lim2 > off2) memset(x->cb + off2, 1, (size_t)(lim2 - off2));
}

/* Marks in ca[0..n) and cb[0..m) what a minimal (within the caps) edit script
 * removes from a and inserts into b. ca and cb must be zeroed. Returns -1 when
 * out of memory. */
static int S_myers_run(const uint32_t *a, size_t n, const uint32_t *b, size_t m, char *ca,
                       char *cb, ptrdiff_t maxcost, size_t *work) {
    if (n == 0 || m == 0 || *work == 0) {
        memset(ca, 1, n);
        memset(cb, 1, m);
        return 0;
    }
    size_t nd = n + m + 3;
    ptrdiff_t *kv = malloc(2 * nd * sizeof *kv);
    if (!kv) return -1;
    S_myers x = {a, b, ca, cb, kv + m + 1, kv + nd + m + 1, maxcost, work};
    S_compare(&x, 0, (ptrdiff_t)n, 0, (ptrdiff_t)m);
    free(kv);
    return 0;
}

/* ----------------------------------------------------------------- blocks */

typedef struct S_block {
    size_t off, len;
    uint64_t hash;
    int heading;
} S_block;

typedef struct S_side {
    char *text; /* CRLF and CR made LF */
    size_t len;
    S_block *b;
    uint32_t *id;
    size_t n, cap;
} S_side;

static uint64_t S_hash(const char *s, size_t n) {
    uint64_t h = 1469598103934665603u;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211u;
    return h;
}

static int S_is_heading(const char *s, size_t n) {
    size_t i = 0, k = 0;
    while (i < n && i < 3 && s[i] == ' ') i++;
    while (i < n && s[i] == '#') i++, k++;
    return k >= 1 && k <= 6 && (i == n || s[i] == ' ' || s[i] == '\t');
}

static int S_push(S_side *sd, size_t off, size_t len, int heading) {
    if (sd->n == sd->cap) {
        size_t cap = sd->cap ? sd->cap * 2 : 64;
        S_block *nb = realloc(sd->b, cap * sizeof *nb);
        if (!nb) return -1;
        sd->b = nb;
        sd->cap = cap;
    }
    sd->b[sd->n++] = (S_block){off, len, S_hash(sd->text + off, len), heading};
    return 0;
}

/* Normalises line endings and cuts the text into blocks. */
static int S_side_init(S_side *sd, const char *s, size_t n) {
    memset(sd, 0, sizeof *sd);
    sd->text = malloc(n + 1);
    if (!sd->text) return -1;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\r') {
            sd->text[k++] = '\n';
            if (i + 1 < n && s[i + 1] == '\n') i++;
        } else {
            sd->text[k++] = s[i];
        }
    }
    sd->text[k] = 0;
    sd->len = k;
    const char *t = sd->text;
    size_t start = S_NONE, end = 0;
    for (size_t ls = 0; ls <= k;) {
        const char *nl = memchr(t + ls, '\n', k - ls);
        size_t le = nl ? (size_t)(nl - t) : k;
        size_t i = ls;
        while (i < le && (t[i] == ' ' || t[i] == '\t')) i++;
        int blank = i == le, heading = !blank && S_is_heading(t + ls, le - ls);
        if ((blank || heading) && start != S_NONE) {
            if (S_push(sd, start, end - start, 0) < 0) return -1;
            start = S_NONE;
        }
        if (heading) {
            if (S_push(sd, ls, le - ls, 1) < 0) return -1;
        } else if (!blank) {
            if (start == S_NONE) start = ls;
            end = le;
        }
        ls = le + 1;
    }
    if (start != S_NONE && S_push(sd, start, end - start, 0) < 0) return -1;
    sd->id = malloc((sd->n + 1) * sizeof *sd->id);
    return sd->id ? 0 : -1;
}

static void S_side_free(S_side *sd) {
    free(sd->text);
    free(sd->b);
    free(sd->id);
}

/* Gives equal blocks of both sides the same id (1, 2, ...); returns the
 * number of ids + 1, or 0 when out of memory. */
static size_t S_intern(S_side *o, S_side *nw) {
    size_t total = o->n + nw->n, size = 16;
    while (size < 2 * total) size *= 2;
    typedef struct slot { const char *p; size_t len; uint64_t h; uint32_t id; } slot;
    slot *tab = calloc(size, sizeof *tab);
    if (!tab) return 0;
    uint32_t next = 1;
    S_side *sides[2] = {o, nw};
    for (int s = 0; s < 2; s++) {
        for (size_t i = 0; i < sides[s]->n; i++) {
            const S_block *b = &sides[s]->b[i];
            const char *p = sides[s]->text + b->off;
            size_t h = (size_t)b->hash & (size - 1);
            while (tab[h].id && !(tab[h].h == b->hash && tab[h].len == b->len &&
                                  memcmp(tab[h].p, p, b->len) == 0))
                h = (h + 1) & (size - 1);
            if (!tab[h].id) tab[h] = (slot){p, b->len, b->hash, next++};
            sides[s]->id[i] = tab[h].id;
        }
    }
    free(tab);
    return next;
}

/* Block alignment: items that occur nowhere on the other side cannot be
 * matched, so they are marked first and left out of the Myers run (as xdiff
 * does), which keeps large rewrites cheap. */
static int S_align_blocks(const S_side *o, const S_side *nw, size_t nids, char *ca, char *cb,
                          size_t *work) {
    int rc = -1;
    size_t *cnt_o = calloc(nids, sizeof *cnt_o), *cnt_n = calloc(nids, sizeof *cnt_n);
    uint32_t *ra = malloc((o->n + 1) * sizeof *ra), *rb = malloc((nw->n + 1) * sizeof *rb);
    size_t *ma = malloc((o->n + 1) * sizeof *ma), *mb = malloc((nw->n + 1) * sizeof *mb);
    char *rca = calloc(o->n + 1, 1), *rcb = calloc(nw->n + 1, 1);
    if (!cnt_o || !cnt_n || !ra || !rb || !ma || !mb || !rca || !rcb) goto done;
    for (size_t i = 0; i < o->n; i++) cnt_o[o->id[i]]++;
    for (size_t j = 0; j < nw->n; j++) cnt_n[nw->id[j]]++;
    size_t rn = 0, rm = 0;
    for (size_t i = 0; i < o->n; i++) {
        if (cnt_n[o->id[i]]) ma[rn] = i, ra[rn++] = o->id[i];
        else ca[i] = 1;
    }
    for (size_t j = 0; j < nw->n; j++) {
        if (cnt_o[nw->id[j]]) mb[rm] = j, rb[rm++] = nw->id[j];
        else cb[j] = 1;
    }
    if (S_myers_run(ra, rn, rb, rm, rca, rcb, TEXTDIFF_MAX_COST, work) < 0) goto done;
    for (size_t i = 0; i < rn; i++)
        if (rca[i]) ca[ma[i]] = 1;
    for (size_t j = 0; j < rm; j++)
        if (rcb[j]) cb[mb[j]] = 1;
    rc = 0;
done:
    free(cnt_o);
    free(cnt_n);
    free(ra);
    free(rb);
    free(ma);
    free(mb);
    free(rca);
    free(rcb);
    return rc;
}

/* A cheap similarity: code points in common (as a multiset, hashed into
 * S_HIST buckets) at least a quarter of both lengths summed. */
static int S_similar(const char *a, size_t la, const char *b, size_t lb, uint32_t *hist,
                     size_t *work) {
    if (la + lb >= *work) {
        *work = 0;
        return 0;
    }
    *work -= la + lb;
    size_t ua = 0, ub = 0, common = 0;
    uint32_t u;
    for (size_t i = 0; i < la; ua++) {
        i += S_decode((const unsigned char *)a + i, la - i, &u);
        hist[(u * 2654435761u) >> 20 & (S_HIST - 1)]++;
    }
    for (size_t i = 0; i < lb; ub++) {
        i += S_decode((const unsigned char *)b + i, lb - i, &u);
        uint32_t *h = &hist[(u * 2654435761u) >> 20 & (S_HIST - 1)];
        if (*h) (*h)--, common++;
    }
    for (size_t i = 0; i < la;) {
        i += S_decode((const unsigned char *)a + i, la - i, &u);
        hist[(u * 2654435761u) >> 20 & (S_HIST - 1)] = 0;
    }
    return common > 0 && 4 * common >= ua + ub;
}

/* ----------------------------------------------------------------- output */

enum { R_SAME, R_ADD, R_DEL, R_CHANGE, R_MOVE_FROM, R_MOVE_TO };

typedef struct S_row {
    int kind;
    size_t o, n; /* block indexes (old, new) as the kind needs */
    size_t move; /* R_MOVE_*: the move's number */
} S_row;

typedef struct S_ctx {
    strbuf *out;
    S_side *o, *nw;
    textdiff_stats st;
    size_t work;
} S_ctx;

static int S_is_word(uint32_t u) {
    return (u >= '0' && u <= '9') || (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || u == '_';
}

typedef struct S_region { size_t o0, o1, n0, n1; } S_region;

/* The character diff of one changed pair. */
static int S_render_change(S_ctx *c, const S_block *ob, const S_block *nb) {
    const char *as = c->o->text + ob->off, *bs = c->nw->text + nb->off;
    uint32_t *ua = NULL, *ub = NULL;
    size_t *oa = NULL, *obf = NULL;
    char *ca = NULL, *cb = NULL;
    S_region *rg = NULL;
    int rc = -1;
    size_t na = S_units(as, ob->len, &ua, &oa);
    if (na == S_NONE) goto done;
    size_t nb_ = S_units(bs, nb->len, &ub, &obf);
    if (nb_ == S_NONE) goto done;
    ca = calloc(na + 1, 1);
    cb = calloc(nb_ + 1, 1);
    rg = malloc((na + nb_ + 1) * sizeof *rg);
    if (!ca || !cb || !rg) goto done;
    if (na + nb_ > TEXTDIFF_MAX_PAIR_UNITS) {
        memset(ca, 1, na);
        memset(cb, 1, nb_);
    } else if (S_myers_run(ua, na, ub, nb_, ca, cb, TEXTDIFF_MAX_COST_CHARS, &c->work) < 0) {
        goto done;
    }
    /* the changed stretches, as regions between equal code points */
    size_t nr = 0, i = 0, j = 0;
    while (i < na || j < nb_) {
        if ((i < na && ca[i]) || (j < nb_ && cb[j])) {
            S_region r = {i, i, j, j};
            while (i < na && ca[i]) i++, c->st.chars_deleted++;
            while (j < nb_ && cb[j]) j++, c->st.chars_inserted++;
            r.o1 = i, r.n1 = j;
            rg[nr++] = r;
        } else {
            i++, j++;
        }
    }
    /* widened to whole ASCII words and numbers: between regions, old and
     * new agree code point by code point */
    for (size_t k = 0; k < nr; k++) {
        S_region *r = &rg[k];
        size_t lo = k ? rg[k - 1].o1 : 0;
        while (r->o0 > lo && r->n0 > 0 && S_is_word(ua[r->o0 - 1]) &&
               ((r->o0 < r->o1 && S_is_word(ua[r->o0])) || (r->n0 < r->n1 && S_is_word(ub[r->n0]))))
            r->o0--, r->n0--;
        size_t hi = k + 1 < nr ? rg[k + 1].o0 : na;
        while (r->o1 < hi && r->n1 < nb_ && S_is_word(ua[r->o1]) &&
               ((r->o1 > r->o0 && S_is_word(ua[r->o1 - 1])) ||
                (r->n1 > r->n0 && S_is_word(ub[r->n1 - 1]))))
            r->o1++, r->n1++;
    }
    /* tiny equal gaps merged */
    size_t m = 0;
    for (size_t k = 0; k < nr; k++) {
        if (m > 0) {
            S_region *p = &rg[m - 1];
            size_t gap = rg[k].o0 - p->o1;
            size_t sp = p->o1 - p->o0 > p->n1 - p->n0 ? p->o1 - p->o0 : p->n1 - p->n0;
            size_t sk = rg[k].o1 - rg[k].o0 > rg[k].n1 - rg[k].n0 ? rg[k].o1 - rg[k].o0
                                                                 : rg[k].n1 - rg[k].n0;
            if (gap <= 2 || gap < (sp < sk ? sp : sk)) {
                p->o1 = rg[k].o1;
                p->n1 = rg[k].n1;
                continue;
            }
        }
        rg[m++] = rg[k];
    }
    size_t pos = 0;
    for (size_t k = 0; k < m; k++) {
        const S_region *r = &rg[k];
        S_put(c->out, as + oa[pos], oa[r->o0] - oa[pos]);
        if (r->o1 > r->o0) {
            sb_puts(c->out, "<del>");
            S_put(c->out, as + oa[r->o0], oa[r->o1] - oa[r->o0]);
            sb_puts(c->out, "</del>");
        }
        if (r->n1 > r->n0) {
            sb_puts(c->out, "<ins>");
            S_put(c->out, bs + obf[r->n0], obf[r->n1] - obf[r->n0]);
            sb_puts(c->out, "</ins>");
        }
        pos = r->o1;
    }
    S_put(c->out, as + oa[pos], oa[na] - oa[pos]);
    rc = 0;
done:
    free(ua);
    free(ub);
    free(oa);
    free(obf);
    free(ca);
    free(cb);
    free(rg);
    return rc;
}

static int S_render_row(S_ctx *c, const S_row *r) {
    static const char *const kinds[] = {"diff-same", "diff-add", "diff-del", "diff-change",
                                        "diff-move diff-move-from", "diff-move diff-move-to"};
    const S_block *b = r->kind == R_DEL || r->kind == R_MOVE_FROM ? &c->o->b[r->o] : &c->nw->b[r->n];
    const char *text = (r->kind == R_DEL || r->kind == R_MOVE_FROM ? c->o->text : c->nw->text) + b->off;
    sb_printf(c->out, "<div class=\"diff-block %s%s\"", kinds[r->kind],
              b->heading ? " diff-heading" : "");
    if (r->kind == R_MOVE_FROM) sb_printf(c->out, " id=\"diff-moved-%zu\"", r->move);
    if (r->kind == R_MOVE_TO) sb_printf(c->out, " id=\"diff-move-%zu\"", r->move);
    sb_putc(c->out, '>');
    switch (r->kind) {
    case R_ADD:
        sb_puts(c->out, "<ins>");
        S_put(c->out, text, b->len);
        sb_puts(c->out, "</ins>");
        break;
    case R_DEL:
        sb_puts(c->out, "<del>");
        S_put(c->out, text, b->len);
        sb_puts(c->out, "</del>");
        break;
    case R_MOVE_FROM:
        sb_printf(c->out, "<a href=\"#diff-move-%zu\">", r->move);
        S_put(c->out, text, b->len);
        sb_puts(c->out, "</a>");
        break;
    case R_CHANGE:
        if (S_render_change(c, &c->o->b[r->o], b) < 0) return -1;
        break;
    default:
        S_put(c->out, text, b->len);
    }
    sb_puts(c->out, "</div>\n");
    return 0;
}

/* The fold summary: "%zu" is the count, "%%" a percent sign, the rest text. */
static void S_put_fold_summary(strbuf *out, const char *fmt, size_t count) {
    if (!fmt) fmt = "%zu";
    const char *run = fmt;
    for (const char *p = fmt; *p;) {
        if (p[0] == '%' && p[1] == 'z' && p[2] == 'u') {
            S_put(out, run, (size_t)(p - run));
            sb_printf(out, "%zu", count);
            run = p += 3;
        } else if (p[0] == '%' && p[1] == '%') {
            S_put(out, run, (size_t)(p - run));
            sb_putc(out, '%');
            run = p += 2;
        } else {
            p++;
        }
    }
    S_put(out, run, strlen(run));
}

static int S_render(S_ctx *c, const S_row *rows, size_t nrows, const char *fold_fmt, int context) {
    for (size_t r = 0; r < nrows;) {
        if (rows[r].kind != R_SAME) {
            if (S_render_row(c, &rows[r]) < 0) return -1;
            r++;
            continue;
        }
        size_t s = r;
        while (r < nrows && rows[r].kind == R_SAME) r++;
        size_t len = r - s, ctx = context < 0 ? 0 : (size_t)context;
        size_t lead = s == 0 ? 0 : ctx, trail = r == nrows ? 0 : ctx;
        if (context >= 0 && len >= 2 && lead <= len - 2 && trail <= len - 2 - lead) {
            size_t hidden = len - lead - trail;
            for (size_t k = s; k < s + lead; k++) S_render_row(c, &rows[k]);
            sb_puts(c->out, "<details class=\"diff-fold\"><summary>");
            S_put_fold_summary(c->out, fold_fmt, hidden);
            sb_puts(c->out, "</summary>\n");
            for (size_t k = s + lead; k < s + lead + hidden; k++) S_render_row(c, &rows[k]);
            sb_puts(c->out, "</details>\n");
            for (size_t k = s + lead + hidden; k < r; k++) S_render_row(c, &rows[k]);
        } else {
            for (size_t k = s; k < r; k++) S_render_row(c, &rows[k]);
        }
    }
    return 0;
}

/* ------------------------------------------------------------------- API */

int textdiff_html(strbuf *out, const char *old_text, size_t old_len, const char *new_text,
                  size_t new_len, const char *fold_fmt, int context, textdiff_stats *stats) {
    S_side o, nw;
    S_ctx c = {out, &o, &nw, {0}, TEXTDIFF_WORK_BUDGET};
    char *ca = NULL, *cb = NULL;
    size_t *ins_head = NULL, *ins_next = NULL, *move_o = NULL, *move_n = NULL, *pair = NULL;
    S_row *rows = NULL;
    int rc = -1, so = S_side_init(&o, old_len ? old_text : "", old_len),
        sn = S_side_init(&nw, new_len ? new_text : "", new_len);
    if (so < 0 || sn < 0) goto done;
    size_t n = o.n, m = nw.n;
    size_t nids = S_intern(&o, &nw);
    if (!nids) goto done;
    ca = calloc(n + 1, 1);
    cb = calloc(m + 1, 1);
    ins_head = malloc(nids * sizeof *ins_head);
    ins_next = malloc((m + 1) * sizeof *ins_next);
    move_o = malloc((n + 1) * sizeof *move_o);
    move_n = malloc((m + 1) * sizeof *move_n);
    pair = malloc((n + 1) * sizeof *pair);
    rows = malloc((n + m + 1) * sizeof *rows);
    if (!ca || !cb || !ins_head || !ins_next || !move_o || !move_n || !pair || !rows) goto done;
    if (S_align_blocks(&o, &nw, nids, ca, cb, &c.work) < 0) goto done;

    /* moves: a removed block takes the first unclaimed inserted copy */
    for (size_t k = 0; k < nids; k++) ins_head[k] = S_NONE;
    for (size_t j = m; j-- > 0;) {
        move_n[j] = 0;
        if (cb[j]) ins_next[j] = ins_head[nw.id[j]], ins_head[nw.id[j]] = j;
    }
    size_t nmoves = 0;
    for (size_t i = 0; i < n; i++) {
        move_o[i] = 0;
        pair[i] = S_NONE;
        size_t j = ca[i] ? ins_head[o.id[i]] : S_NONE;
        if (j != S_NONE) {
            ins_head[o.id[i]] = ins_next[j];
            move_o[i] = move_n[j] = ++nmoves;
        }
    }

    /* rows: unchanged blocks, and hunks of removed and inserted blocks with
     * similar ones paired in order */
    uint32_t hist[S_HIST] = {0};
    size_t nrows = 0, i = 0, j = 0;
    while (i < n || j < m) {
        if (i < n && j < m && !ca[i] && !cb[j]) {
            rows[nrows++] = (S_row){R_SAME, i, j, 0};
            c.st.same++;
            i++, j++;
            continue;
        }
        size_t i0 = i, j0 = j;
        while (i < n && ca[i]) i++;
        while (j < m && cb[j]) j++;
        size_t jn = j0;
        for (size_t a = i0; a < i; a++) {
            if (move_o[a]) continue;
            int tries = 0;
            for (size_t b = jn; b < j && tries < S_PAIR_WINDOW; b++) {
                if (move_n[b]) continue;
                tries++;
                if (S_similar(o.text + o.b[a].off, o.b[a].len, nw.text + nw.b[b].off, nw.b[b].len,
                              hist, &c.work)) {
                    pair[a] = b;
                    jn = b + 1;
                    break;
                }
            }
        }
        size_t op = i0, np = j0;
        for (size_t a = i0; a <= i; a++) {
            if (a < i && pair[a] == S_NONE) continue;
            size_t bend = a < i ? pair[a] : j;
            for (; op < a; op++) {
                rows[nrows++] = move_o[op] ? (S_row){R_MOVE_FROM, op, 0, move_o[op]}
                                           : (S_row){R_DEL, op, 0, 0};
                if (!move_o[op]) c.st.removed++;
            }
            for (; np < bend; np++) {
                rows[nrows++] = move_n[np] ? (S_row){R_MOVE_TO, 0, np, move_n[np]}
                                           : (S_row){R_ADD, 0, np, 0};
                if (move_n[np]) c.st.moved++;
                else c.st.added++;
            }
            if (a < i) {
                rows[nrows++] = (S_row){R_CHANGE, a, pair[a], 0};
                c.st.changed++;
                op = a + 1;
                np = pair[a] + 1;
            }
        }
    }
    if (S_render(&c, rows, nrows, fold_fmt, context) < 0) goto done;
    rc = out->oom ? -1 : 0;
done:
    if (stats) *stats = c.st;
    S_side_free(&o);
    S_side_free(&nw);
    free(ca);
    free(cb);
    free(ins_head);
    free(ins_next);
    free(move_o);
    free(move_n);
    free(pair);
    free(rows);
    return rc;
}

int textdiff_summary(char *buf, size_t n, const textdiff_stats *st, int english) {
    static const char *const zh[] = {"改动", "新增", "删除", "移动"};
    static const char *const en[] = {"changed", "added", "removed", "moved"};
    size_t v[4] = {st->changed, st->added, st->removed, st->moved};
    char tmp[256];
    size_t len = 0;
    int first = 1;
    for (int k = 0; k < 4; k++) {
        if (!v[k]) continue;
        int w;
        if (english)
            w = first ? snprintf(tmp + len, sizeof tmp - len, "%zu %s %s", v[k],
                                 v[k] == 1 ? "paragraph" : "paragraphs", en[k])
                      : snprintf(tmp + len, sizeof tmp - len, ", %zu %s", v[k], en[k]);
        else
            w = snprintf(tmp + len, sizeof tmp - len, "%s%s %zu 段", first ? "" : "，", zh[k], v[k]);
        if (w > 0) len += (size_t)w;
        first = 0;
    }
    if (first) snprintf(tmp, sizeof tmp, "%s", english ? "no change to the text" : "文字未改动");
    return snprintf(buf, n, "%s", tmp);
}
