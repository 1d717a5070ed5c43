/* fuzz_search.c — libFuzzer target for the search index's text pieces:
 * Markdown rendered and turned into text (search_html_text), raw bytes as
 * HTML, and the terms of both (search_terms), with invariant checks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "diag.h"
#include "markdown.h"
#include "search.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void S_require(int ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "fuzz_search: invariant broken: %s\n", what);
        abort();
    }
}

/* Every term is a word (word characters only, at most SEARCH_WORD_MAX) or
 * one to three CJK characters, and never empty. */
static void S_term(void *payload, const char *t, size_t n) {
    size_t *count = payload;
    (*count)++;
    S_require(n > 0, "empty term");
    size_t i = 0, chars = 0;
    search_class first = SEARCH_SEP;
    while (i < n) {
        uint32_t cp = search_utf8_next(t, n, &i);
        search_class c = search_char_class(cp);
        S_require(c == SEARCH_WORD || c == SEARCH_CJK, "a separator in a term");
        S_require(search_fold(cp) == cp, "an unfolded character in a term");
        if (!chars) first = c;
        S_require(c == first, "a term mixes words and CJK");
        chars++;
    }
    if (first == SEARCH_CJK) S_require(chars <= 3, "a CJK term longer than a trigram");
    else S_require(chars <= SEARCH_WORD_MAX, "a word longer than the limit");
}

static void S_text_ok(const strbuf *b, size_t in) {
    const char *s = sb_str(b);
    S_require(strlen(s) == b->len, "NUL in text");
    if (b->len) {
        S_require(s[0] != ' ' && s[0] != '\n', "leading white space");
        S_require(s[b->len - 1] != ' ' && s[b->len - 1] != '\n', "trailing white space");
    }
    S_require(!strstr(s, "  ") && !strstr(s, "\n\n") && !strstr(s, " \n"), "white space not collapsed");
    S_require(b->len <= in + 3, "text longer than its HTML");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *s = (const char *)data;
    strbuf b = STRBUF_INIT;
    size_t count = 0;
    /* the bytes as HTML */
    search_html_text(&b, s, size);
    S_text_ok(&b, size);
    search_terms(b.ptr ? b.ptr : "", b.len, S_term, &count);
    search_terms(s, size, S_term, &count);
    sb_clear(&b);
    /* the bytes as Markdown, rendered the way plans are */
    md_init();
    arena *a = arena_new();
    diag *d = diag_new(0);
    md_doc doc;
    if (md_render(a, d, "fuzz.md", 1, s, size, &doc) == 0) {
        search_html_text(&b, doc.html, doc.html_len);
        S_text_ok(&b, doc.html_len);
        search_terms(sb_str(&b), b.len, S_term, &count);
    }
    for (unsigned tf = 0; tf < 3; tf++) {
        int c = search_rank_class(size & 1, size, tf * (unsigned)size, size / 3);
        S_require(c >= 0 && c <= 71, "rank class out of range");
    }
    diag_free(d);
    arena_free(a);
    sb_free(&b);
    return 0;
}
