/* roles.h — the goals, tasks and measures of one plan, found in its
 * headings and list items: role classes, ids (explicit or from numbering),
 * attributes, and the responsible bodies its text names. */
#ifndef PP_ROLES_H
#define PP_ROLES_H
#include <stddef.h>

#include "arena.h"
#include "bodies.h"
#include "diag.h"
#include "model.h"

/* A body name in a heading or first paragraph to be rendered as a link. */
typedef struct roles_link {
    size_t block;       /* the md_block */
    int para;           /* in that md_para (an index of doc.md.paras), or -1:
                           in the block's own text (heading, item) */
    size_t off, len;    /* the name in that text */
    const char *href;   /* "pp:bodies/ID/" (pp: stands for the page's root) */
} roles_link;

/* Fills p->items from p->doc.md.blocks. Reads the registry only, so plans
 * can be done in parallel. With `check`, ids made from the numbering are
 * warned about (renumbering changes them). Returns 0, or -1 on errors
 * (reported). */
int roles_extract(arena *a, diag *d, const bodies *b, plan *p, int check,
                  roles_link **links, size_t *nlinks);

/* Rewrites the plan's HTML: each link's text (a byte range of a block's
 * `text`, or of the paragraph `para`) is wrapped in <a href="...">, where
 * that text stands as one run of text in the block's HTML (else the name is
 * left as plain text); every goal, task and measure gets the class
 * "item item-ROLE" and, on headings, a link to its own page. Updates the
 * blocks' html offsets. */
void roles_mark_html(arena *a, plan *p, const roles_link *links, size_t nlinks);

/* The numbering at the start of a heading: 一、 （一） (一) 1. 1、 1．
 * （1） ① ... Returns its length in bytes (0 when none) and its value. */
size_t roles_numbering(const char *text, int *value);

#endif
