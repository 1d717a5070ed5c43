/* changes.h — every change to the site, newest first: the list behind
 * changes/ and the Atom feed feed.xml. */
#ifndef PP_CHANGES_H
#define PP_CHANGES_H
#include <stddef.h>

#include "arena.h"
#include "diag.h"
#include "model.h"
#include "output.h"

/* A revision of a plan, as one entry of the site's change list. */
typedef struct change_ref {
    const plan *p;
    size_t index;   /* into p->revisions */
} change_ref;

/* Every revision of every plan, newest first (commit time, then commit id,
 * then plan id: a stable order). Allocated in a. */
change_ref *changes_list(arena *a, const site *s, size_t *n);

/* feed.xml: an Atom feed of the changes (at most FEED_MAX_ENTRIES, newest
 * first), with absolute links from base_url. */
#define FEED_MAX_ENTRIES 500
int changes_write_feed(const site *s, const change_ref *list, size_t n, output *o, diag *d);

#endif
