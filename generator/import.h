/* import.h — `planpress import`: a plan as it arrives (.docx through pandoc,
 * .html through libxml2's HTML parser, .txt) into a content file. The text is kept, sentence by sentence and
 * in order; the structure is added: numbering into headings, front matter from
 * what the document states, the forwarding notice as a preface, role classes
 * and ids. What was inferred and what was not is told on stderr. */
#ifndef PP_IMPORT_H
#define PP_IMPORT_H
#include <stddef.h>

#include "arena.h"
#include "bodies.h"
#include "strbuf.h"

typedef struct import_options {
    const char *file;   /* the document: .docx, .html/.htm, .txt */
    const char *id;     /* --id, or NULL: from the file name */
    const char *out;    /* --out PATH, or NULL: stdout */
    const char *repo;   /* --repo DIR: where bodies.yaml is looked for, or NULL:
                           the repository enclosing the current folder */
    int force;          /* --force: --out may replace an existing file */
} import_options;

/* The whole command. Returns the exit status: 0, 1 for a document that
 * cannot be imported (diagnostic printed), 2 for usage errors, 3 for I/O
 * failures and pandoc failures (missing, killed, too slow). Limits, which
 * tests lower through the environment:
 *   PLANPRESS_IMPORT_MAX_BYTES      the document's size (default 64 MiB)
 *   PLANPRESS_IMPORT_TIMEOUT        seconds pandoc may take (default 120)
 *   PLANPRESS_PANDOC                the pandoc program (default "pandoc"), for .docx */
int import_run(const import_options *o);

/* What import_text found, for its caller and tests; strings in the arena. */
typedef struct import_info {
    const char *title;        /* never NULL */
    int title_from_text;      /* 0: no title found, the id stands in */
    int title_line, title_lines; /* where it stood (1-based) and on how many lines */
    int title_last_line;      /* the source line of its last line */
    const char *issuer;       /* a body id, or NULL */
    const char *number, *date, *adopted, *period; /* or NULL */
    int draft;
    int preface_lines;        /* lines of the source kept as the preface */
    int headings, goals, tasks, measures;
} import_info;

/* Structures plain text (UTF-8, no NUL: the caller checks) into a plan:
 * front matter and Markdown appended to md, notes (`path:line:col: note:`)
 * to log. `converted`: 0 the text is the file's; 1 it is an HTML page's text,
 * so notes name no line of the file; 2 it is pandoc's, and pandoc's table
 * rules (lines of - = + | :) are dropped too. b may be NULL (no bodies.yaml).
 * Never fails on content. */
void import_text(arena *a, const char *path, const char *id, const char *text, size_t len,
                 int converted, const bodies *b, strbuf *md, strbuf *log, import_info *info);

/* ---- pieces, exposed for tests ------------------------------------------- */

typedef enum {
    IMPORT_NUM_NONE, IMPORT_NUM_ZHANG, IMPORT_NUM_JIE, IMPORT_NUM_CN, IMPORT_NUM_PAREN_CN,
    IMPORT_NUM_ARABIC, IMPORT_NUM_PAREN_ARABIC, IMPORT_NUM_CIRCLED
} import_num_kind;

/* The numbering at the start of s: 第一章 第一节 一、 （一） 1. 1、 （1） ①.
 * Returns its length in bytes (spaces after it included), 0 when none. */
size_t import_numbering(const char *s, import_num_kind *kind, int *value);

/* A date at the start of s[0..n): 2018年12月21日 (spaces allowed between
 * the parts, Chinese numerals too: 二〇一八年十二月二十一日) into out as
 * YYYY-MM-DD. Returns the bytes read, 0 when there is none. */
size_t import_date(const char *s, size_t n, char out[11]);

/* The first document number in s[0..n), e.g. 国发〔2018〕42号 (brackets
 * 〔〕【】[]（） alike): returns its length and sets *start, or 0. */
size_t import_doc_number(const char *s, size_t n, size_t *start);

#endif
