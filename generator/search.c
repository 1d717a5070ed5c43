/* search.c — PLACEHOLDER until the search issue lands: writes no index. */
#include "search.h"

int search_write(const site *s, output *o, diag *d) {
    (void)s, (void)o, (void)d;
    return 0;
}
