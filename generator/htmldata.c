/* htmldata.c — HTML that planpress made, as data and back (see htmldata.h). */
#include "htmldata.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "text.h"

/* The elements markdown.c (cmark-gfm's safe output, tables, strikethrough),
 * roles.c and textdiff.c write. */
static const char *const S_tags[] = {
    "a",  "blockquote", "br", "code", "del",   "details", "div",   "em",   "h1",    "h2",
    "h3", "h4",         "h5", "h6",   "hr",    "img",     "ins",   "li",   "ol",    "p",
    "pre", "strong",    "summary", "table", "tbody", "td",  "th",  "thead", "tr", "ul",
    "span", "sup",      "sub", "b", "i", "s", /* inline HTML markdown.c keeps */
};
#define NTAGS (sizeof S_tags / sizeof *S_tags)

static const char *const S_attrs[] = {"id", "class", "href", "title", "src", "alt", "start", "align",
                                      "tabindex", "role", "aria-label", "lang"};
#define NATTRS (sizeof S_attrs / sizeof *S_attrs)
#define ATTR_HREF 2
#define ATTR_SRC 4

static const char *const S_comments[] = {"<!-- raw HTML omitted -->", "<!-- end list -->"};
#define NCOMMENTS (sizeof S_comments / sizeof *S_comments)

/* token kinds */
enum { T_TEXT = 'T', T_START = 'S', T_END = 'E', T_COMMENT = 'C' };
#define HAS_VALUE 0x80u
#define SELF_CLOSING 0x80u

static void S_put_u32(strbuf *b, uint32_t v) {
    unsigned char p[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    sb_append(b, (const char *)p, 4);
}

static int S_lookup(const char *const *table, size_t n, const char *s, size_t len) {
    for (size_t i = 0; i < n; i++)
        if (strlen(table[i]) == len && memcmp(table[i], s, len) == 0) return (int)i;
    return -1;
}

static size_t S_name_len(const char *s, const char *end) {
    size_t n = 0;
    while (s + n < end && ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '-')) n++;
    return n;
}

/* ---- the checks of what is written out ------------------------------------- */

static int S_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

/* The length of the character reference at s ("&amp;", "&#39;", "&#x27;"),
 * 0 when it is not one. */
static size_t S_charref(const char *s, const char *end) {
    size_t n = 1;
    if (s + n < end && s[n] == '#') {
        n++;
        int hex = s + n < end && (s[n] == 'x' || s[n] == 'X');
        if (hex) n++;
        size_t d = 0;
        while (s + n < end && d < 8 && (hex ? S_hex(s[n]) : (s[n] >= '0' && s[n] <= '9'))) n++, d++;
        if (d == 0) return 0;
    } else {
        size_t d = 0;
        while (s + n < end && d < 32 &&
               ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') || (d && s[n] >= '0' && s[n] <= '9')))
            n++, d++;
        if (d == 0) return 0;
    }
    return s + n < end && s[n] == ';' ? n + 1 : 0;
}

/* Text or an attribute value: valid UTF-8 without NUL, no '<' (nor '"' in
 * a value), every '&' a character reference. */
static int S_text_ok(const char *s, size_t n, int value) {
    int nul;
    if (text_check_utf8(s, n, &nul) < n) return 0;
    const char *end = s + n;
    for (const char *p = s; p < end; p++) {
        if (*p == '<' || (value && *p == '"')) return 0;
        if (*p == '&') {
            size_t r = S_charref(p, end);
            if (!r) return 0;
            p += r - 1;
        }
    }
    return 1;
}

/* A URL a link or an image may have: relative, or a scheme of the list. No
 * space or control character (cmark percent-encodes them, and browsers skip
 * some inside a scheme), and '&' only as "&amp;" or "&#x27;" (what cmark
 * writes), so the scheme read here is the one a browser reads. */
static int S_url_ok(const char *s, size_t n, int image) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c == 0x7f) return 0;
        if (c == '&' && !(n - i >= 5 && memcmp(s + i, "&amp;", 5) == 0) &&
            !(n - i >= 6 && memcmp(s + i, "&#x27;", 6) == 0))
            return 0;
    }
    size_t k = 0;
    while (k < n && ((s[k] >= 'a' && s[k] <= 'z') || (s[k] >= 'A' && s[k] <= 'Z') ||
                     (k > 0 && ((s[k] >= '0' && s[k] <= '9') || s[k] == '+' || s[k] == '-' || s[k] == '.'))))
        k++;
    if (k == n || s[k] != ':') return 1; /* no scheme: relative */
    static const char *const ok[] = {"http", "https", "mailto", "ftp", "tel", "pp"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        if (strlen(ok[i]) == k && strncasecmp(s, ok[i], k) == 0) return 1;
    if (image) {
        static const char *const img[] = {"data:image/png", "data:image/gif", "data:image/jpeg", "data:image/webp"};
        for (size_t i = 0; i < sizeof img / sizeof *img; i++) {
            size_t il = strlen(img[i]);
            if (n > il && strncasecmp(s, img[i], il) == 0 && (s[il] == ';' || s[il] == ',')) return 1;
        }
    }
    return 0;
}

/* ---- data to HTML ------------------------------------------------------------- */

typedef struct reader {
    const unsigned char *p, *end;
} reader;

static int S_get_u8(reader *r, unsigned *v) {
    if (r->p >= r->end) return -1;
    *v = *r->p++;
    return 0;
}

static int S_get_bytes(reader *r, const char **s, size_t *n) {
    if (r->end - r->p < 4) return -1;
    uint32_t v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 | (uint32_t)r->p[3] << 24;
    r->p += 4;
    if ((size_t)(r->end - r->p) < v) return -1;
    *s = (const char *)r->p;
    *n = v;
    r->p += v;
    return 0;
}

/* One pass over the data: checks it and measures the HTML (w == NULL), or
 * writes it (checked already). Returns the length, or (size_t)-1. */
static size_t S_emit(const unsigned char *data, size_t len, char *w) {
    if (len == 0) return 0;
    reader r = {data, data + len};
    size_t n = 0;
#define PUT(s, l)                                  \
    do {                                           \
        if (w) memcpy(w + n, (s), (l));            \
        n += (l);                                  \
    } while (0)
    while (r.p < r.end) {
        unsigned kind = *r.p++, t, x;
        const char *s;
        size_t sl;
        switch (kind) {
        case T_TEXT:
            if (S_get_bytes(&r, &s, &sl) < 0 || sl == 0 || (!w && !S_text_ok(s, sl, 0))) return (size_t)-1;
            PUT(s, sl);
            break;
        case T_START: {
            if (S_get_u8(&r, &t) < 0 || t >= NTAGS || S_get_u8(&r, &x) < 0) return (size_t)-1;
            unsigned nattr = x & ~SELF_CLOSING;
            PUT("<", 1);
            PUT(S_tags[t], strlen(S_tags[t]));
            for (unsigned i = 0; i < nattr; i++) {
                unsigned at;
                if (S_get_u8(&r, &at) < 0 || (at & ~HAS_VALUE) >= NATTRS) return (size_t)-1;
                const char *an = S_attrs[at & ~HAS_VALUE];
                PUT(" ", 1);
                PUT(an, strlen(an));
                if (at & HAS_VALUE) {
                    if (S_get_bytes(&r, &s, &sl) < 0) return (size_t)-1;
                    unsigned id = at & ~HAS_VALUE;
                    if (!w && (!S_text_ok(s, sl, 1) ||
                               ((id == ATTR_HREF || id == ATTR_SRC) && !S_url_ok(s, sl, id == ATTR_SRC))))
                        return (size_t)-1;
                    PUT("=\"", 2);
                    PUT(s, sl);
                    PUT("\"", 1);
                } else if ((at & ~HAS_VALUE) == ATTR_HREF || (at & ~HAS_VALUE) == ATTR_SRC) {
                    return (size_t)-1;
                }
            }
            if (x & SELF_CLOSING) PUT(" />", 3);
            else PUT(">", 1);
            break;
        }
        case T_END:
            if (S_get_u8(&r, &t) < 0 || t >= NTAGS) return (size_t)-1;
            PUT("</", 2);
            PUT(S_tags[t], strlen(S_tags[t]));
            PUT(">", 1);
            break;
        case T_COMMENT:
            if (S_get_u8(&r, &t) < 0 || t >= NCOMMENTS) return (size_t)-1;
            PUT(S_comments[t], strlen(S_comments[t]));
            break;
        default:
            return (size_t)-1;
        }
    }
#undef PUT
    return n;
}

char *htmldata_decode(arena *a, const void *data, size_t len, size_t *out_len) {
    size_t n = S_emit(data, len, NULL);
    if (n == (size_t)-1) return NULL;
    char *o = arena_alloc(a, n + 1);
    if (!o) return NULL;
    S_emit(data, len, o);
    o[n] = '\0';
    *out_len = n;
    return o;
}

/* ---- HTML to data ------------------------------------------------------------- */

int htmldata_encode(strbuf *out, const char *html, size_t len) {
    if (len == 0) return 0;
    size_t start = out->len;
    const char *p = html, *end = html + len;
    while (p < end) {
        if (*p != '<') {
            const char *q = memchr(p, '<', (size_t)(end - p));
            if (!q) q = end;
            sb_putc(out, T_TEXT);
            S_put_u32(out, (uint32_t)(q - p));
            sb_append(out, p, (size_t)(q - p));
            p = q;
            continue;
        }
        if (end - p >= 4 && memcmp(p, "<!--", 4) == 0) {
            size_t c = 0;
            while (c < NCOMMENTS && !((size_t)(end - p) >= strlen(S_comments[c]) &&
                                      memcmp(p, S_comments[c], strlen(S_comments[c])) == 0))
                c++;
            if (c == NCOMMENTS) return -1;
            sb_putc(out, T_COMMENT);
            sb_putc(out, (char)c);
            p += strlen(S_comments[c]);
            continue;
        }
        int closing = end - p >= 2 && p[1] == '/';
        const char *nm = p + 1 + closing;
        size_t nl = S_name_len(nm, end);
        int t = S_lookup(S_tags, NTAGS, nm, nl);
        if (t < 0) return -1;
        p = nm + nl;
        if (closing) {
            if (p >= end || *p != '>') return -1;
            sb_putc(out, T_END);
            sb_putc(out, (char)t);
            p++;
            continue;
        }
        sb_putc(out, T_START);
        sb_putc(out, (char)t);
        size_t flags_at = out->len;
        sb_putc(out, 0);
        unsigned nattr = 0, self = 0;
        for (;;) {
            if (p < end && *p == '>') {
                p++;
                break;
            }
            if (end - p >= 3 && memcmp(p, " />", 3) == 0) {
                self = 1;
                p += 3;
                break;
            }
            if (p >= end || *p != ' ' || nattr >= 127) return -1;
            const char *an = p + 1;
            size_t al = S_name_len(an, end);
            int at = S_lookup(S_attrs, NATTRS, an, al);
            if (at < 0) return -1;
            p = an + al;
            nattr++;
            if (end - p >= 2 && p[0] == '=' && p[1] == '"') {
                const char *v = p + 2, *q = memchr(v, '"', (size_t)(end - v));
                if (!q) return -1;
                sb_putc(out, (char)(at | HAS_VALUE));
                S_put_u32(out, (uint32_t)(q - v));
                sb_append(out, v, (size_t)(q - v));
                p = q + 1;
            } else {
                sb_putc(out, (char)at);
            }
        }
        if (!out->oom) out->ptr[flags_at] = (char)(nattr | (self ? SELF_CLOSING : 0));
    }
    if (out->oom) return -1;
    /* kept only when it comes back as it was, and passes the checks */
    size_t n = S_emit((const unsigned char *)out->ptr + start, out->len - start, NULL);
    return n == len ? 0 : -1;
}
