/* markdown.h — plan and page Markdown to safe HTML with cmark-gfm, with the
 * attribute blocks `{#id .class key="value"}` of headings and list items
 * parsed out and the headings given stable anchors. The only module that
 * includes cmark-gfm's headers. */
#ifndef PP_MARKDOWN_H
#define PP_MARKDOWN_H
#include <stddef.h>

#include "arena.h"
#include "diag.h"

/* Limits, documented in docs/content.md; exceeding one is a diagnostic. */
#define MD_MAX_NESTING 100         /* list/blockquote depth */
#define MD_MAX_ATTR_BLOCK 4096     /* bytes in one attribute block */

typedef struct md_kv {
    const char *key, *value;
} md_kv;

/* One attribute block, e.g. {#t1-1 .task goals="g1" lead="hubei-cast"}. */
typedef struct md_attrs {
    const char *id;               /* "#id", NULL when absent */
    const char **classes;         /* ".class" names without the dot */
    size_t nclasses;
    md_kv *kv;                    /* key="value" (or key=value) in order */
    size_t nkv;
    int line, col;                /* where "{" stands in the file (1-based) */
} md_attrs;

typedef enum { MD_HEADING, MD_ITEM } md_block_kind;

/* A heading, or a list item that carries an attribute block. */
typedef struct md_block {
    md_block_kind kind;
    int level;          /* heading level 1..6; for items, list depth from 1 */
    const char *anchor; /* HTML id: the explicit #id, else a slug of the text */
    const char *text;   /* plain text (heading text, or the item's first
                           paragraph), attribute block removed */
    const md_attrs *attrs; /* NULL when the block had none */
    int line, col;      /* start of the block in the file */
    int parent;         /* index of the enclosing heading (the nearest heading
                           of a lower level before it, or for items the
                           heading the item stands under), -1 at top */
    size_t html_off;    /* where the block starts in the HTML */
    size_t html_end;    /* where its section ends: the next heading of the
                           same or a higher level (headings), the end of the
                           item (items), or html_len */
} md_block;

/* A paragraph of the document's text, in document order: the paragraphs
 * at the top level, and those inside a list item that carries an attribute
 * block (after its first, which is the item's text). */
typedef struct md_para {
    const char *text;   /* plain text, trimmed (line breaks as spaces) */
    int line, col;      /* where it starts in the file */
    int block;          /* the md_block it stands under: the nearest heading
                           before it, or its item; -1 before any */
} md_para;

/* A row of a GFM table at the top level (a 分工表 assigns its rows). */
typedef struct md_row {
    const char **cells; /* plain text of each cell */
    size_t ncells;
    int header;         /* the table's header row */
    int table;          /* which table of the document (0, 1, ...) */
    int line;           /* where the row stands in the file */
    int block;          /* the heading the table stands under, -1 before any */
} md_row;

typedef struct md_doc {
    const char *html;   /* the rendered body, NUL-terminated */
    size_t html_len;
    md_block *blocks;   /* in document order */
    size_t nblocks;
    md_para *paras;     /* in document order */
    size_t nparas;
    md_row *rows;       /* the top-level tables' rows, in document order */
    size_t nrows;
} md_doc;

/* One-time global set-up of cmark-gfm's extensions; call before threads. */
void md_init(void);

/* Renders `src` (the Markdown after the front matter). `path` names the file
 * in diagnostics and `first_line` is the file line on which src begins (so
 * that diagnostics point into the file). Everything in `out` lives in `a`.
 * Safe by default: raw HTML is not emitted, dangerous URLs (javascript:,
 * vbscript:, file:, data: except images) are dropped. GFM tables,
 * strikethrough and autolinks are on.
 * Returns 0, or -1 after reporting a diagnostic (e.g. nesting too deep,
 * an attribute block that does not close). */
int md_render(arena *a, diag *d, const char *path, int first_line,
              const char *src, size_t len, md_doc *out);

/* Parses one attribute block "{...}" (exactly, braces included). Returns 0,
 * or -1 with *err set to a static message and *err_off to the byte offset
 * in s where the problem is. Exposed for tests and the fuzzer. */
int md_parse_attrs(arena *a, const char *s, size_t n, md_attrs *out,
                   const char **err, size_t *err_off);

/* The anchor slug of a heading text (GitHub-like: lower-cased ASCII, spaces
 * to '-', punctuation dropped — CJK and full-width punctuation included —
 * letters and digits of any script kept). Never empty: "section" if it
 * would be. Uniqueness is md_render's job (suffixes -1, -2, ...). */
const char *md_slug(arena *a, const char *text, size_t n);

#endif
