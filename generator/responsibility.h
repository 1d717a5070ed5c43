/* responsibility.h — the ways Chinese plans name who does a task, as they
 * write them at the end of a task's heading or first paragraph:
 *   （牵头单位：A；配合单位：B、C）   参与单位 / 协办单位 also name partners
 *   （责任单位：A、B）                 every one a lead
 *   （A牵头，B、C按职责分工负责）       the State Council form
 *   （A负责）
 *   (Lead: A; Partners: B, C)
 * Full-width and ASCII punctuation alike. */
#ifndef PP_RESPONSIBILITY_H
#define PP_RESPONSIBILITY_H
#include <stddef.h>

#include "arena.h"

typedef struct resp_name {
    const char *name;     /* arena copy */
    size_t off, len;      /* where the name stands in the text */
    int lead;             /* 1 lead, 0 partner */
} resp_name;

typedef struct resp {
    resp_name *names;
    size_t n;
    size_t start, end;    /* the annotation, brackets included */
    const char *error;    /* set when malformed: a static message */
    size_t err_off;       /* where, in the text */
} resp;

/* Looks for an annotation at the end of text[0..len) (trailing spaces and a
 * final 。 or . allowed after it). Returns 1 when found (out filled), 0 when
 * the text does not end with one, -1 when it does but is malformed (e.g. an
 * empty name: out->error, out->err_off). */
int resp_parse(arena *a, const char *text, size_t len, resp *out);

#endif
