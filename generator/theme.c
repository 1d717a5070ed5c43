/* theme.c — a theme's files, from the installed theme and the repository. */
#include "theme.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "strbuf.h"

static int S_is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *theme_installed_root(arena *a) {
    const char *env = getenv("PLANPRESS_THEMES");
    if (env && *env) return arena_strdup(a, env);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return NULL;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) return NULL;
    *slash = '\0';
    const char *cands[] = {"/../share/planpress/themes", "/../themes", "/../../themes"};
    for (size_t i = 0; i < sizeof cands / sizeof *cands; i++) {
        char *p = arena_printf(a, "%s%s", exe, cands[i]);
        if (S_is_dir(p)) {
            char real[PATH_MAX];
            return realpath(p, real) ? arena_strdup(a, real) : p;
        }
    }
    return NULL;
}

typedef struct collect {
    arena *a;
    theme_file *files;
    size_t n, cap;
} collect;

static theme_file *S_slot(collect *c, const char *rel) {
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->files[i].rel, rel) == 0) return &c->files[i];
    c->files = arena_grow(c->a, c->files, sizeof *c->files, &c->cap, c->n + 1);
    theme_file *f = &c->files[c->n++];
    f->rel = arena_strdup(c->a, rel);
    return f;
}

static int S_walk_host(collect *c, strbuf *abs, size_t root_len, int depth, diag *d) {
    if (depth > 16) return 0;
    DIR *dir = opendir(sb_str(abs));
    if (!dir) {
        if (errno == ENOENT) return 0;
        diag_fail(d, sb_str(abs), 0, 0, "cannot read the theme's folder: %s", strerror(errno));
        return -1;
    }
    struct dirent *de;
    size_t base = abs->len;
    int rc = 0;
    while ((de = readdir(dir)) != NULL) {
        if (de->d_name[0] == '.') continue;
        abs->len = base;
        sb_putc(abs, '/');
        sb_puts(abs, de->d_name);
        struct stat st;
        if (lstat(sb_str(abs), &st) < 0) continue;
        if (S_ISDIR(st.st_mode)) {
            if (S_walk_host(c, abs, root_len, depth + 1, d) < 0) rc = -1;
        } else if (S_ISREG(st.st_mode)) {
            char *data;
            size_t len;
            if (repo_read_host_file(sb_str(abs), &data, &len, d) < 0) {
                rc = -1;
                continue;
            }
            theme_file *f = S_slot(c, sb_str(abs) + root_len + 1);
            f->shown = arena_strdup(c->a, sb_str(abs));
            f->data = arena_strndup(c->a, data, len);
            f->len = len;
            free(data);
        }
    }
    abs->len = base;
    abs->ptr[base] = '\0';
    closedir(dir);
    return rc;
}

static int S_cmp(const void *a, const void *b) {
    return strcmp(((const theme_file *)a)->rel, ((const theme_file *)b)->rel);
}

int theme_load(theme *t, arena *a, repo *r, const repo_commit *c, const char *name, diag *d) {
    collect col = {a, NULL, 0, 0};
    int found = 0, rc = 0;
    memset(t, 0, sizeof *t);
    t->name = name;
    const char *root = theme_installed_root(a);
    if (root) {
        char *dir = arena_printf(a, "%s/%s", root, name);
        if (S_is_dir(dir)) {
            found = 1;
            t->installed_dir = dir;
            strbuf abs = STRBUF_INIT;
            sb_puts(&abs, dir);
            if (S_walk_host(&col, &abs, abs.len, 0, d) < 0) rc = -1;
            sb_free(&abs);
        }
    }
    /* The repository's own themes/NAME/ overrides, file by file. */
    char *prefix = arena_printf(a, "themes/%s", name);
    repo_file *files = NULL;
    size_t n = 0;
    if (repo_list(r, c, prefix, a, &files, &n, d) < 0) return -1;
    for (size_t i = 0; i < n; i++) {
        char *data;
        size_t len;
        if (repo_read(r, &files[i], &data, &len, d) < 0) {
            rc = -1;
            continue;
        }
        found = 1;
        theme_file *f = S_slot(&col, files[i].path + strlen(prefix) + 1);
        f->shown = files[i].path;
        f->data = arena_strndup(a, data, len);
        f->len = len;
        free(data);
    }
    if (!found) {
        diag_error(d, NULL, 0, 0,
                   "theme \"%s\" not found (looked in the repository's themes/%s/ and in %s)",
                   name, name, root ? root : "no installed themes folder");
        return -1;
    }
    if (col.n) qsort(col.files, col.n, sizeof *col.files, S_cmp);
    t->files = col.files;
    t->n = col.n;
    return rc;
}

const theme_file *theme_find(const theme *t, const char *rel) {
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->files[i].rel, rel) == 0) return &t->files[i];
    return NULL;
}
