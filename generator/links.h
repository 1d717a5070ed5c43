/* links.h — the graph across plans, once every plan is read: goals and the
 * tasks that serve them, supported and supporting goals, plan parents,
 * responsible bodies; and the checks on it. */
#ifndef PP_LINKS_H
#define PP_LINKS_H

#include "diag.h"
#include "model.h"

/* Registers bodies for unknown names, resolves every reference, builds the
 * reverse links. With `check`, also warns about tasks without a lead and
 * goals without a task. Reports dangling references and supports cycles as
 * errors. Returns 0, or -1 when errors were reported. */
int links_build(site *s, diag *d, int check);

/* An item by "id" in plan p, or by "plan#id" anywhere; NULL when none. */
item *links_find_item(const site *s, const plan *p, const char *ref);

#endif
