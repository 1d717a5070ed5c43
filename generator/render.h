/* render.h — the site's pages: the model handed to theme templates, the
 * results written to the output folder (see docs/themes.md for the data
 * each template gets). */
#ifndef PP_RENDER_H
#define PP_RENDER_H

#include "diag.h"
#include "model.h"
#include "output.h"
#include "sandbox.h"
#include "theme.h"

typedef struct render_options {
    int jobs;
    const char *generator;     /* "planpress 0.1.0" */
    sandbox_limits limits;     /* for each page (total_instructions: all pages together) */
} render_options;

/* Renders every page and copies the theme's static files. Returns 0, or -1
 * after diagnostics (a template error stops the build). */
int render_site(const site *s, const theme *t, output *o, const render_options *opt, diag *d);

/* How many pages render_site writes (for progress). */
size_t render_page_count(const site *s);

/* The path from a page at `url_dir` ("plans/x/") back to the site root
 * ("../../"); "" for the root itself. */
const char *render_root_prefix(arena *a, const char *url_dir);

#endif
