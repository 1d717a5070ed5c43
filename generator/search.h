/* search.h — the search index, built at build time and split so that a
 * query in the browser loads only the parts it needs (search/...). */
#ifndef PP_SEARCH_H
#define PP_SEARCH_H

#include "diag.h"
#include "model.h"
#include "output.h"

/* Indexes plans and their sections, goals, tasks, bodies, indicators and
 * pages, and writes the index files under search/ (the page itself,
 * search/index.html, is rendered from the theme's search.html). Returns 0,
 * or -1 after a diagnostic. */
int search_write(const site *s, output *o, diag *d);

#endif
