/* fuzz_textdiff.c — libFuzzer target for textdiff_html: two texts split from the
 * input (at the first NUL, else in the middle), with invariant checks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "textdiff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts (so the fuzzer records the input) when an invariant breaks. */
static void S_require(int ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "fuzz_textdiff: invariant broken: %s\n", what);
        abort();
    }
}

/* Strict UTF-8 without control characters but tab, CR and LF. */
static int S_clean(const unsigned char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        if (c < 0x80) {
            if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) return 0;
            i++;
            continue;
        }
        size_t len = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
        if (!len || i + len > n) return 0;
        uint32_t cp = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        uint32_t min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
        i += len;
    }
    return 1;
}

static const char *const tags[] = {
    "<div class=\"diff-block diff-", "</div>", "<ins>", "</ins>", "<del>", "</del>",
    "<a href=\"#diff-move-", "</a>", "<details class=\"diff-fold\">", "</details>",
    "<summary>", "</summary>"};

/* Which of tags[] starts at p, or -1. */
static int S_tag(const char *p) {
    for (int k = 0; k < (int)(sizeof tags / sizeof tags[0]); k++)
        if (strncmp(p, tags[k], strlen(tags[k])) == 0) return k;
    return -1;
}

/* Appends the non-whitespace text of `side` (0 old, 1 new) seen in the HTML,
 * entities decoded. */
static void S_side_text(const char *h, int side, strbuf *sb) {
    int in_ins = 0, in_del = 0, skip_block = 0, in_summary = 0;
    for (const char *p = h; *p;) {
        if (*p == '<') {
            int t = S_tag(p);
            S_require(t >= 0, "only known tags");
            if (t == 0) {
                const char *kind = p + strlen(tags[0]);
                skip_block = side == 0 ? (!strncmp(kind, "add", 3) || !strncmp(kind, "move diff-move-to", 17))
                                       : (!strncmp(kind, "del", 3) || !strncmp(kind, "move diff-move-from", 19));
            }
            if (t == 2) in_ins = 1;
            if (t == 3) in_ins = 0;
            if (t == 4) in_del = 1;
            if (t == 5) in_del = 0;
            if (t == 10) in_summary = 1;
            if (t == 11) in_summary = 0;
            const char *e = strchr(p, '>');
            S_require(e != NULL, "tag closed");
            p = e + 1;
            continue;
        }
        int show = !skip_block && !in_summary && !(side == 0 ? in_ins : in_del);
        char c = *p;
        size_t adv = 1;
        if (c == '&') {
            static const char *const ent[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};
            static const char rep[] = "&<>\"'";
            int found = 0;
            for (int k = 0; k < 5; k++)
                if (!strncmp(p, ent[k], strlen(ent[k]))) c = rep[k], adv = strlen(ent[k]), found = 1;
            S_require(found, "known entity");
        }
        if (show && c != ' ' && c != '\t' && c != '\n' && c != '\r') sb_putc(sb, c);
        p += adv;
    }
}

static void S_nows(const char *s, size_t n, strbuf *sb) {
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') sb_putc(sb, s[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    int context = data[0] % 5 - 1;
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    const char *nul = memchr(s, 0, n);
    size_t la = nul ? (size_t)(nul - s) : n / 2;
    const char *b = s + la + (nul ? 1 : 0);
    size_t lb = n - la - (nul ? 1 : 0);
    strbuf out = STRBUF_INIT;
    textdiff_stats st;
    S_require(textdiff_html(&out, s, la, b, lb, "%zu folded %%", context, &st) == 0, "returns 0");
    const char *h = sb_str(&out);
    S_require(strlen(h) == out.len, "no NUL in output");
    S_require(S_clean((const unsigned char *)h, out.len), "output is clean UTF-8");
    size_t divs = 0;
    for (const char *p = h; (p = strstr(p, tags[0])); p++) divs++;
    S_require(divs == st.same + st.added + st.removed + st.changed + 2 * st.moved, "block count");
    if (context < 0) S_require(!strstr(h, "<details"), "no fold with context < 0");
    if (st.added + st.removed + st.changed + st.moved == 0 && st.same >= 2 && context >= 0)
        S_require(!strncmp(h, "<details", 8), "unchanged text folded");
    if (S_clean((const unsigned char *)s, la) && S_clean((const unsigned char *)b, lb)) {
        strbuf x = STRBUF_INIT, y = STRBUF_INIT;
        S_side_text(h, 0, &x);
        S_nows(s, la, &y);
        S_require(x.len == y.len && memcmp(sb_str(&x), sb_str(&y), x.len) == 0, "old text kept");
        sb_clear(&x);
        sb_clear(&y);
        S_side_text(h, 1, &x);
        S_nows(b, lb, &y);
        S_require(x.len == y.len && memcmp(sb_str(&x), sb_str(&y), x.len) == 0, "new text kept");
        sb_free(&x);
        sb_free(&y);
    }
    char sum[200];
    S_require(textdiff_summary(sum, sizeof sum, &st, data[0] & 1) > 0, "summary");
    sb_free(&out);
    return 0;
}
