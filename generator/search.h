/* search.h — the search index, built at build time and split so that a
 * query in the browser loads only the parts it needs (search/...). The
 * format and the query algorithm are described in docs/search.md; the
 * browser side is themes/default/static/assets/search.js, which mirrors the
 * character classes, folding, hashing and rank classes defined here. */
#ifndef PP_SEARCH_H
#define PP_SEARCH_H
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "model.h"
#include "output.h"
#include "strbuf.h"

/* Indexes plans and their sections, goals, tasks, measures, bodies,
 * indicators and pages, and writes the index files under search/ (the page
 * itself, search/index.html, is rendered from the theme's search.html).
 * Deterministic: the same site gives the same bytes. Returns 0, or -1 after
 * a diagnostic. */
int search_write(const site *s, output *o, diag *d);
/* The same on `jobs` threads (search_write: one a processor). */
int search_write_jobs(const site *s, output *o, int jobs, diag *d);

/* ---- the pieces, exposed for tests and the fuzzer ---------------------- */

/* Version of the index format, written into search/manifest.json. */
#define SEARCH_FORMAT 2
/* Terms with at most this many documents are stored inside their shard. */
#define SEARCH_INLINE_DF 32
/* A term's shard entry holds the first this many documents of its ranked
 * list (enough for a page of results without fetching a segment). */
#define SEARCH_TOP 16
/* Ranked lists are cut into segments of 128, 1024, 8192, ... documents. */
#define SEARCH_SEG0 128
#define SEARCH_SEG_GROWTH 8
/* Chunks of documents are made to hold about this many bytes of text. */
#define SEARCH_CHUNK_BYTES 1024
/* A Latin or digit token is indexed by its first this many characters. */
#define SEARCH_WORD_MAX 24

typedef enum {
    SEARCH_SEP,    /* separators: spaces, punctuation, symbols, controls */
    SEARCH_WORD,   /* letters and digits of alphabetic scripts: words */
    SEARCH_CJK,    /* Han, kana, Hangul: indexed as unigrams and bigrams */
    SEARCH_IGNORE  /* zero-width characters and variation selectors: dropped */
} search_class;

/* Folds a code point: full-width ASCII (U+FF01..U+FF5E) to ASCII, the
 * ideographic space U+3000 to a space, A-Z to a-z. */
uint32_t search_fold(uint32_t cp);
/* The class of a folded code point. */
search_class search_char_class(uint32_t cp);

/* Decodes the code point at s[*i] (n bytes in all) and advances *i; an
 * invalid byte decodes as U+FFFD and advances by one. */
uint32_t search_utf8_next(const char *s, size_t n, size_t *i);

/* The terms of a text, in order, each passed to fn as UTF-8 bytes: for a run
 * of CJK characters every character (unigram), every pair of neighbours
 * (bigram) and every three in a row (trigram); for a run of word characters
 * the folded word, cut to SEARCH_WORD_MAX characters. Separators end runs. */
typedef void (*search_term_fn)(void *payload, const char *term, size_t len);
void search_terms(const char *text, size_t n, search_term_fn fn, void *payload);

/* The rank class (0..71) of a term in a document: 8 * t + b, where t (0..8)
 * is 0 when the term is not in the title field and otherwise higher for
 * shorter titles, and b (0..7) is 0 when the term is not in the body and
 * otherwise higher for more occurrences per character. Lengths are in
 * code points. A phrase never ranks above the terms it is made of. */
int search_rank_class(int in_title, size_t title_len, unsigned tf, size_t body_len);

/* Appends the plain text of an HTML fragment made by markdown.c: tags
 * dropped (block tags become line breaks), entities decoded, white space
 * collapsed, the item links that roles.c puts after headings left out. */
void search_html_text(strbuf *out, const char *html, size_t n);

/* FNV-1a, 32 bits: which shard holds a term (hash % shards). */
uint32_t search_hash(const char *s, size_t n);

/* Appends x as an unsigned LEB128 varint. */
void search_put_varint(strbuf *b, uint64_t x);

#endif
