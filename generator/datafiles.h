/* datafiles.h — the files other programs read: data/site.json (the model)
 * and sitemap.xml. */
#ifndef PP_DATAFILES_H
#define PP_DATAFILES_H

#include "diag.h"
#include "model.h"
#include "output.h"

int datafiles_write(const site *s, output *o, diag *d);

#endif
