/* responsibility.h — reading who does a task from the words a plan uses for
 * it (its 分工), as governments write them. The phrase stands in brackets at
 * the end of a task's heading or of a paragraph of its own, or as a paragraph
 * of labelled lines:
 *   （牵头单位：A；配合单位：B、C）       参与/协办/协同单位 name partners too
 *   牵头单位：A 责任单位：B、C             unbracketed labelled lines
 *   （责任单位：A、B）                     every one responsible (leads)
 *   （A牵头，B、C按职责分工负责）           A leads, B and C are partners
 *   （A、B牵头负责） （A会同B负责） （A负责）
 *   （A、B按职责分工负责） （A、B分别负责）  all responsible (leads) ...
 *   （A、B、C等负责。列第一位者为牵头单位，下同）
 *                                          ... unless the document states once
 *                                          that the first named leads
 *   (Lead: A; Partners: B, C)
 * Full-width and ASCII punctuation alike; a list may run on across 、 ，
 * and ；; 等/等单位/等有关部门 end a list and are not part of a name; a
 * level prefix (省 市 区 县 …) carries along a list (省工业和信息化厅、科技厅
 * names 省科技厅); collective parties (各有关单位, 各地级以上市人民政府,
 * 市级各有关部门 …) are kept apart, as written. A phrase whose words are not
 * all understood is not read at all: no body is ever made from a fragment. */
#ifndef PP_RESPONSIBILITY_H
#define PP_RESPONSIBILITY_H
#include <stddef.h>

#include "arena.h"

typedef enum { RESP_LEAD, RESP_PARTNER, RESP_PARTY } resp_role;

typedef struct resp_name {
    const char *name;     /* arena copy, 等… stripped */
    size_t off, len;      /* where the name stands in the text */
    int lead;             /* 1 lead, 0 partner or party */
    resp_role role;
    const char *prefix;   /* a level prefix carried from an earlier name of
                             the list ("省"), to try before the bare name;
                             NULL when none */
} resp_name;

/* A rule a document states once and applies after: "列第一位者为牵头单位，
 * 下同" — in a list of bodies all responsible, the first named leads. */
typedef enum { RESP_RULE_NONE, RESP_RULE_FIRST_LEADS, RESP_RULE_ALL_EQUAL } resp_rule;

typedef struct resp {
    resp_name *names;
    size_t n;
    size_t start, end;    /* the phrase, brackets included */
    const char *error;    /* set when malformed: a static message */
    size_t err_off;       /* where, in the text */
    resp_rule rule;       /* a rule the phrase states (applies to it too) */
    size_t rule_off;      /* where that rule stands in the text */
    int has_lead;         /* names a lead explicitly (牵头, 牵头单位：) */
    int labelled;         /* written with labels (牵头单位：…): malformed, an
                             error of the editor's, not prose */
} resp;

#define RESP_WHOLE 1          /* the text is a paragraph of its own */
#define RESP_LEAD_ELSEWHERE 2 /* another labelled phrase of the task names
                                 its lead (牵头单位：A / 责任单位：B) */

/* Reads the phrase at the end of text[0..len) (trailing spaces and a final
 * 。 or . allowed after it), or, with RESP_WHOLE in `flags`, a paragraph
 * that is a phrase of labelled lines from its start. `rule` is the document's rule in force
 * (RESP_RULE_NONE when it stated none). Returns 1 when found (out filled),
 * 0 when the text does not end with a phrase, -1 when it does but is
 * malformed (out->error, out->err_off): an empty name, a name that is a
 * fragment of a sentence, words that are not understood after a list that
 * names responsibility. */
int resp_read(arena *a, const char *text, size_t len, int flags, resp_rule rule, resp *out);

/* resp_read of a heading or paragraph end with no document rule. */
int resp_parse(arena *a, const char *text, size_t len, resp *out);

/* The rule a sentence of text[0..len) states, if any: RESP_RULE_FIRST_LEADS
 * for 列第一位者为牵头单位 / 排在第一位的为牵头单位 / 第一个为牵头单位 ...,
 * RESP_RULE_ALL_EQUAL for 排名不分先后 and the like; *off is where the
 * sentence starts. */
resp_rule resp_rule_in(const char *text, size_t len, size_t *off);

/* 1 when the name is a collective party (各有关单位, 各地级以上市人民政府,
 * 有关部门, 市级各有关部门 …) rather than the name of one body. */
int resp_is_party(const char *name, size_t len);

#endif
