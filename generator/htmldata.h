/* htmldata.h — HTML that planpress made (a plan's text as markdown.c and
 * roles.c render it, a diff as textdiff.c writes it) kept as data, and
 * written out again: what the history cache holds instead of markup.
 *
 * The data is a list of tokens: text, a start tag, an end tag, one of two
 * comments cmark writes. Tag and attribute names are numbers into tables
 * of this file (the elements and attributes those modules write), so what
 * the data holds can only ever come out as those elements and attributes;
 * text and attribute values are checked when written out: valid UTF-8, no
 * `<` (nor `"` in a value), every `&` a well-formed character reference, and
 * the value of `href`/`src` a relative URL or one of http, https, mailto,
 * ftp, tel, pp (and data:image/png|gif|jpeg|webp for `src`). Whatever bytes
 * the data holds, the HTML written from them holds no script, no event
 * handler, no other element or attribute, no javascript: link. */
#ifndef PP_HTMLDATA_H
#define PP_HTMLDATA_H
#include <stddef.h>

#include "arena.h"
#include "strbuf.h"

/* Appends html[0..len) as data to out. Returns 0, or -1 when the HTML is not
 * in the form those modules write (another element, attribute, quoting or
 * URL scheme): it cannot be kept as data (out may then hold part of it). */
int htmldata_encode(strbuf *out, const char *html, size_t len);

/* The HTML that data[0..len) stands for, NUL-terminated, in `a` (*out_len
 * its length); NULL when the data is malformed or breaks a rule above. */
char *htmldata_decode(arena *a, const void *data, size_t len, size_t *out_len);

#endif
