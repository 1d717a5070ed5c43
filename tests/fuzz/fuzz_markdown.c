/* fuzz_markdown.c — libFuzzer target for md_render, md_parse_attrs and md_slug, with invariant checks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "diag.h"
#include "markdown.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts (so the fuzzer records the input) when an invariant breaks. */
static void S_require(int ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "fuzz_markdown: invariant broken: %s\n", what);
        abort();
    }
}

/* ASCII case folding: letters only (0x1C | 0x20 is '<'). */
static int S_lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static int S_has_ci(const char *hay, size_t n, const char *needle) {
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++) {
        size_t k = 0;
        while (k < m && S_lower((unsigned char)hay[i + k]) == S_lower((unsigned char)needle[k])) k++;
        if (k == m) return 1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *s = (const char *)data;
    md_init();
    arena *a = arena_new();
    diag *d = diag_new(0);
    md_doc doc;
    if (md_render(a, d, "fuzz.md", 3, s, size, &doc) == 0) {
        S_require(doc.html && strlen(doc.html) == doc.html_len, "html length");
        /* safe mode: no raw HTML and no script URLs reach the output */
        S_require(!S_has_ci(doc.html, doc.html_len, "<script"), "raw <script>");
        S_require(!S_has_ci(doc.html, doc.html_len, "href=\"javascript:"), "javascript: href");
        S_require(!S_has_ci(doc.html, doc.html_len, "src=\"javascript:"), "javascript: src");
        for (size_t i = 0; i < doc.nblocks; i++) {
            const md_block *b = &doc.blocks[i];
            S_require(b->anchor && b->anchor[0] && b->text, "block anchor and text");
            S_require(strpbrk(b->anchor, "\"<>&' \t\n") == NULL, "anchor is attribute-safe");
            S_require(b->parent < (int)i, "parent precedes block");
            S_require(b->kind == MD_ITEM ? b->attrs != NULL : (b->level >= 1 && b->level <= 6),
                      "block kind");
            for (size_t j = 0; j < i && j < 64; j++)
                S_require(strcmp(doc.blocks[j].anchor, b->anchor) != 0, "anchors unique");
        }
    }
    if (diag_errors(d) > 0) {
        /* these mean a bug in markdown.c, not bad content */
        char *msgs = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&msgs, &n);
        if (f) {
            diag_flush(d, f);
            fclose(f);
            S_require(!strstr(msgs, "internal error"), "headings/items out of step in HTML");
            free(msgs);
        }
    }
    md_attrs at;
    const char *err;
    size_t off;
    if (md_parse_attrs(a, s, size, &at, &err, &off) < 0)
        S_require(err != NULL && off <= size, "parse_attrs error offset");
    const char *slug = md_slug(a, s, size);
    S_require(slug && slug[0], "slug non-empty");
    diag_free(d);
    arena_free(a);
    return 0;
}
