/* theme.h — finding a theme's files: templates, static files and the
 * interface strings (i18n). A file committed in the site's repository under
 * themes/NAME/ overrides the installed theme's file of the same name, so a
 * site can replace single templates. */
#ifndef PP_THEME_H
#define PP_THEME_H
#include <stddef.h>

#include "arena.h"
#include "diag.h"
#include "repo.h"

typedef struct theme_file {
    const char *rel;      /* path inside the theme: "templates/plan.html" */
    const char *shown;    /* path for diagnostics */
    char *data;           /* contents (arena) */
    size_t len;
} theme_file;

typedef struct theme {
    const char *name;
    const char *installed_dir; /* NULL when only the repository has it */
    theme_file *files;    /* sorted by rel */
    size_t n;
} theme;

/* The folder holding installed themes: $PLANPRESS_THEMES, else
 * <exe>/../share/planpress/themes, else <exe>/../themes (a source tree). */
const char *theme_installed_root(arena *a);

/* Loads every file of theme `name`. Returns 0, or -1 after a diagnostic
 * (no such theme anywhere, unreadable file). */
int theme_load(theme *t, arena *a, repo *r, const repo_commit *c, const char *name, diag *d);
const theme_file *theme_find(const theme *t, const char *rel);

#endif
