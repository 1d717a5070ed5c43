/* changes.h — every change to the site, newest first: the list behind
 * changes/ and the Atom feed feed.xml. */
#ifndef PP_CHANGES_H
#define PP_CHANGES_H
#include <stddef.h>

#include "arena.h"
#include "diag.h"
#include "model.h"
#include "output.h"

/* One entry of the site's change list: a revision of a plan, or what one
 * commit changed in an indicator (its audit trail). */
typedef struct change_ref {
    const plan *p;          /* a plan's revision, or NULL */
    size_t index;           /* into p->revisions */
    const indicator *ind;   /* an indicator's changes, or NULL */
    size_t first, count;    /* ind->changes[first .. first+count): one commit's */
} change_ref;

/* The commit an entry tells of. */
const repo_commit *changes_commit(const change_ref *c);

/* Every revision of every plan and every commit of every indicator's audit
 * trail, newest first (commit time, then commit id, plans before
 * indicators, then id: a stable order). Allocated in a. */
change_ref *changes_list(arena *a, const site *s, size_t *n);

/* feed.xml: an Atom feed of the changes (at most FEED_MAX_ENTRIES, newest
 * first), with absolute links from base_url. */
#define FEED_MAX_ENTRIES 500
int changes_write_feed(const site *s, const change_ref *list, size_t n, output *o, diag *d);

#endif
