/* fuzz_import.c — libFuzzer target for import_text, the text -> plan
 * structuring of `planpress import` (not pandoc). Invariants: the Markdown it
 * writes renders without an error, has at most six heading levels and ids that
 * are ids; and it keeps the text: the rendered text, spaces aside, is the
 * input less the title's lines (the title is in the front matter). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "diag.h"
#include "import.h"
#include "markdown.h"
#include "strbuf.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void S_require(int ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "fuzz_import: invariant broken: %s\n", what);
        abort();
    }
}

/* A space as import trims it (ASCII blanks and controls, U+3000, U+00A0). */
static size_t S_space(const char *s, size_t n) {
    if (n >= 1 && ((unsigned char)*s <= 0x20 || *s == 0x7F)) return 1;
    if (n >= 3 && memcmp(s, "\xE3\x80\x80", 3) == 0) return 3;
    if (n >= 2 && memcmp(s, "\xC2\xA0", 2) == 0) return 2;
    return 0;
}

/* The input without spaces, without its first three bytes when a BOM, and
 * without the lines [skip_from, skip_to] (1-based; 0: none). */
static void S_expected(const char *s, size_t n, int skip_from, int skip_to, strbuf *out) {
    int line = 1;
    size_t i = 0;
    if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) i = 3;
    while (i < n) {
        if (s[i] == '\n') {
            line++;
            i++;
            continue;
        }
        size_t k = S_space(s + i, n - i);
        if (k) {
            i += k;
            continue;
        }
        if (!(skip_from && line >= skip_from && line <= skip_to)) sb_putc(out, s[i]);
        i++;
    }
}

/* The text of HTML: tags dropped, cmark's character references decoded,
 * spaces dropped. */
static void S_html_text(const char *h, strbuf *out) {
    static const struct { const char *ref, *ch; } refs[] = {
        {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}};
    size_t n = strlen(h);
    for (size_t i = 0; i < n;) {
        if (h[i] == '<') {
            const char *e = strchr(h + i, '>');
            i = e ? (size_t)(e - h) + 1 : n;
            continue;
        }
        if (h[i] == '&') {
            size_t r;
            for (r = 0; r < sizeof refs / sizeof *refs; r++)
                if (strncmp(h + i, refs[r].ref, strlen(refs[r].ref)) == 0) break;
            if (r < sizeof refs / sizeof *refs) {
                sb_puts(out, refs[r].ch);
                i += strlen(refs[r].ref);
                continue;
            }
        }
        size_t k = S_space(h + i, n - i);
        if (k) {
            i += k;
            continue;
        }
        sb_putc(out, h[i++]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *s = (const char *)data;
    int is_nul;
    if (size > 200000 || text_check_utf8(s, size, &is_nul) != size) return 0;
    md_init();
    arena *a = arena_new();
    strbuf md = STRBUF_INIT, log = STRBUF_INIT;
    import_info info;
    import_text(a, "fuzz.txt", "fuzz", s, size, 0, NULL, &md, &log, &info);
    S_require(!md.oom && !log.oom, "out of memory");
    S_require(info.title && info.title[0], "a title");
    const char *m = sb_str(&md);
    S_require(strncmp(m, "---\n", 4) == 0, "front matter opens");
    const char *body = strstr(m + 4, "\n---\n");
    S_require(body != NULL, "front matter closes");
    body += 5;

    diag *d = diag_new(0);
    md_doc doc;
    int rc = md_render(a, d, "fuzz.md", 1, body, strlen(body), &doc);
    if (rc != 0 || diag_errors(d) > 0) {
        diag_flush(d, stderr);
        S_require(0, "the Markdown renders without errors");
    }
    for (size_t i = 0; i < doc.nblocks; i++) {
        const md_block *b = &doc.blocks[i];
        S_require(b->kind != MD_ITEM, "no list items");
        S_require(b->level >= 2 && b->level <= 6, "heading levels 2..6");
        if (b->attrs && b->attrs->id) S_require(text_is_id(b->attrs->id), "ids are ids");
    }

    strbuf want = STRBUF_INIT, got = STRBUF_INIT;
    S_expected(s, size, info.title_from_text ? info.title_line : 0, info.title_last_line, &want);
    S_html_text(doc.html, &got);
    if (want.len != got.len || memcmp(sb_str(&want), sb_str(&got), want.len) != 0) {
        fprintf(stderr, "want: %.300s\ngot:  %.300s\n", sb_str(&want), sb_str(&got));
        S_require(0, "the text is kept");
    }
    sb_free(&want);
    sb_free(&got);
    sb_free(&md);
    sb_free(&log);
    diag_free(d);
    arena_free(a);
    return 0;
}
