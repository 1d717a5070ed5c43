/* repo.c — libgit2: discovery, revisions, trees and blobs; and the working
 * tree for --worktree previews. */
#include "repo.h"

#include <dirent.h>
#include <errno.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "strbuf.h"
#include "text.h"

struct repo {
    git_repository *git;
    char *path;       /* what repo_open_again reopens */
    int worktree;
};

static void S_git_error(diag *d, const char *what) {
    const git_error *e = git_error_last();
    diag_error(d, NULL, 0, 0, "%s: %s", what, e && e->message ? e->message : "unknown error");
}

int repo_open(repo **out, const char *path, int worktree, diag *d) {
    static int inited;
    if (!inited) {
        git_libgit2_init();
        inited = 1;
    }
    *out = NULL;
    git_repository *g = NULL;
    const char *start = path ? path : ".";
    unsigned flags = path ? GIT_REPOSITORY_OPEN_NO_SEARCH : 0;
    if (git_repository_open_ext(&g, start, flags, NULL) < 0) {
        /* A path given may also be a folder inside a repository. */
        if (!path || git_repository_open_ext(&g, start, 0, NULL) < 0) {
            diag_error(d, NULL, 0, 0, "%s is not a Git repository (or inside one)%s", start,
                       path ? "" : "; use --repo DIR");
            return -1;
        }
    }
    if (worktree && git_repository_is_bare(g)) {
        diag_error(d, NULL, 0, 0, "--worktree needs a repository with a working tree; %s is bare", start);
        git_repository_free(g);
        return -1;
    }
    repo *r = calloc(1, sizeof *r);
    if (!r) {
        git_repository_free(g);
        return -1;
    }
    r->git = g;
    const char *p = git_repository_is_bare(g) ? git_repository_path(g) : git_repository_workdir(g);
    r->path = strdup(p);
    r->worktree = worktree;
    *out = r;
    return 0;
}

int repo_open_again(repo **out, const repo *r) {
    git_repository *g = NULL;
    *out = NULL;
    if (git_repository_open_ext(&g, r->path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) return -1;
    repo *n = calloc(1, sizeof *n);
    if (!n) {
        git_repository_free(g);
        return -1;
    }
    n->git = g;
    n->path = strdup(r->path);
    n->worktree = r->worktree;
    *out = n;
    return 0;
}

void repo_free(repo *r) {
    if (!r) return;
    git_repository_free(r->git);
    free(r->path);
    free(r);
}

const char *repo_workdir(const repo *r) { return git_repository_workdir(r->git); }
int repo_is_worktree(const repo *r) { return r->worktree; }

static void S_fill_commit(arena *a, git_commit *c, repo_commit *out) {
    const git_oid *oid = git_commit_id(c);
    git_oid_tostr(out->id, sizeof out->id, oid);
    memcpy(out->short_id, out->id, 12);
    out->short_id[12] = '\0';
    out->time = (long long)git_commit_time(c);
    out->offset = git_commit_time_offset(c);
    const git_signature *au = git_commit_author(c);
    out->author_time = au ? (long long)au->when.time : out->time;
    out->author_offset = au ? au->when.offset : out->offset;
    out->author = arena_strdup(a, au && au->name ? au->name : "");
    const char *sum = git_commit_summary(c);
    out->summary = arena_strdup(a, sum ? sum : "");
}

int repo_resolve(repo *r, arena *a, const char *ref, const char *as_of,
                 repo_commit *out, diag *d) {
    git_object *obj = NULL;
    git_commit *c = NULL;
    int rc = -1;
    memset(out, 0, sizeof *out);
    if (as_of && !text_is_date(as_of)) {
        diag_error(d, NULL, 0, 0, "--as-of wants a date YYYY-MM-DD, not \"%s\"", as_of);
        return -1;
    }
    if (git_revparse_single(&obj, r->git, ref) < 0) {
        diag_error(d, NULL, 0, 0, "unknown revision \"%s\"", ref);
        goto done;
    }
    if (git_object_peel((git_object **)&c, obj, GIT_OBJECT_COMMIT) < 0) {
        diag_error(d, NULL, 0, 0, "revision \"%s\" is not a commit", ref);
        goto done;
    }
    while (as_of) {
        char day[11];
        text_date_of((long long)git_commit_time(c), git_commit_time_offset(c), day);
        if (strcmp(day, as_of) <= 0) break;
        git_commit *parent = NULL;
        if (git_commit_parentcount(c) == 0 || git_commit_parent(&parent, c, 0) < 0) {
            diag_error(d, NULL, 0, 0, "no commit on or before %s in the history of %s", as_of, ref);
            goto done;
        }
        git_commit_free(c);
        c = parent;
    }
    S_fill_commit(a, c, out);
    rc = 0;
done:
    git_commit_free(c);
    git_object_free(obj);
    return rc;
}

static int S_subtree(repo *r, const repo_commit *c, const char *path, git_tree **out) {
    git_oid oid;
    git_commit *commit = NULL;
    git_tree *root = NULL;
    int rc = -1;
    *out = NULL;
    if (git_oid_fromstr(&oid, c->id) < 0 || git_commit_lookup(&commit, r->git, &oid) < 0) return -1;
    if (git_commit_tree(&root, commit) < 0) goto done;
    if (!path || !*path) {
        *out = root;
        root = NULL;
        rc = 0;
        goto done;
    }
    git_tree_entry *e = NULL;
    if (git_tree_entry_bypath(&e, root, path) < 0) {
        rc = 1; /* not there */
        goto done;
    }
    if (git_tree_entry_type(e) != GIT_OBJECT_TREE) {
        git_tree_entry_free(e);
        rc = 1;
        goto done;
    }
    rc = git_tree_lookup(out, r->git, git_tree_entry_id(e)) < 0 ? -1 : 0;
    git_tree_entry_free(e);
done:
    git_tree_free(root);
    git_commit_free(commit);
    return rc;
}

static int S_fs_is_dir(const repo *r, const char *path) {
    strbuf p = STRBUF_INIT;
    sb_puts(&p, repo_workdir(r));
    sb_puts(&p, path);
    struct stat st;
    int is = lstat(sb_str(&p), &st) == 0 && S_ISDIR(st.st_mode);
    sb_free(&p);
    return is;
}

int repo_is_dir(repo *r, const repo_commit *c, const char *path) {
    if (r->worktree) return S_fs_is_dir(r, path);
    git_tree *t = NULL;
    int rc = S_subtree(r, c, path, &t);
    git_tree_free(t);
    return rc == 0;
}

typedef struct list_ctx {
    arena *a;
    diag *d;
    const char *prefix;
    repo_file *files;
    size_t n, cap;
} list_ctx;

static void S_add(list_ctx *ctx, const char *path, const unsigned char *oid, size_t size) {
    ctx->files = arena_grow(ctx->a, ctx->files, sizeof *ctx->files, &ctx->cap, ctx->n + 1);
    repo_file *f = &ctx->files[ctx->n++];
    f->path = arena_strdup(ctx->a, path);
    if (oid) memcpy(f->oid, oid, 20);
    f->size = size;
}

static int S_walk_cb(const char *root, const git_tree_entry *e, void *payload) {
    list_ctx *ctx = payload;
    git_filemode_t mode = git_tree_entry_filemode(e);
    strbuf p = STRBUF_INIT;
    if (*ctx->prefix) {
        sb_puts(&p, ctx->prefix);
        sb_putc(&p, '/');
    }
    sb_puts(&p, root);
    sb_puts(&p, git_tree_entry_name(e));
    if (mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE) {
        S_add(ctx, sb_str(&p), git_tree_entry_id(e)->id, 0);
    } else if (mode == GIT_FILEMODE_LINK) {
        diag_warning(ctx->d, sb_str(&p), 0, 0, "symbolic link skipped");
    } else if (mode == GIT_FILEMODE_COMMIT) {
        diag_warning(ctx->d, sb_str(&p), 0, 0, "submodule skipped");
    }
    sb_free(&p);
    return 0;
}

static int S_cmp_files(const void *a, const void *b) {
    return strcmp(((const repo_file *)a)->path, ((const repo_file *)b)->path);
}

static int S_fs_walk(list_ctx *ctx, strbuf *abs, size_t root_len, int depth) {
    if (depth > 64) {
        diag_error(ctx->d, abs->ptr + root_len, 0, 0, "folders nested too deep");
        return -1;
    }
    DIR *dir = opendir(sb_str(abs));
    if (!dir) return errno == ENOENT ? 0 : -1;
    struct dirent *de;
    int rc = 0;
    size_t base = abs->len;
    while ((de = readdir(dir)) != NULL) {
        if (de->d_name[0] == '.') continue; /* ., .., .git and hidden files */
        abs->len = base;
        sb_putc(abs, '/');
        sb_puts(abs, de->d_name);
        struct stat st;
        if (lstat(sb_str(abs), &st) < 0) continue;
        if (S_ISDIR(st.st_mode)) {
            if (S_fs_walk(ctx, abs, root_len, depth + 1) < 0) rc = -1;
        } else if (S_ISREG(st.st_mode)) {
            S_add(ctx, sb_str(abs) + root_len, NULL, (size_t)st.st_size);
        } else if (S_ISLNK(st.st_mode)) {
            diag_warning(ctx->d, sb_str(abs) + root_len, 0, 0, "symbolic link skipped");
        }
    }
    abs->len = base;
    abs->ptr[base] = '\0';
    closedir(dir);
    return rc;
}

int repo_list(repo *r, const repo_commit *c, const char *prefix, arena *a,
              repo_file **out, size_t *n, diag *d) {
    list_ctx ctx = {a, d, prefix ? prefix : "", NULL, 0, 0};
    int rc = 0;
    *out = NULL;
    *n = 0;
    if (r->worktree) {
        strbuf abs = STRBUF_INIT;
        const char *wd = repo_workdir(r);
        sb_puts(&abs, wd);
        size_t root_len = abs.len; /* workdir ends in '/' */
        if (*ctx.prefix) sb_puts(&abs, ctx.prefix);
        else if (abs.len && abs.ptr[abs.len - 1] == '/') abs.ptr[--abs.len] = '\0';
        if (!*ctx.prefix) root_len = abs.len + 1;
        rc = S_fs_walk(&ctx, &abs, root_len, 0);
        sb_free(&abs);
        if (rc < 0) diag_error(d, NULL, 0, 0, "cannot read the working tree at %s", wd);
    } else {
        git_tree *t = NULL;
        int st = S_subtree(r, c, ctx.prefix, &t);
        if (st < 0) {
            S_git_error(d, "cannot read the commit's tree");
            return -1;
        }
        if (st == 0) {
            if (git_tree_walk(t, GIT_TREEWALK_PRE, S_walk_cb, &ctx) < 0) {
                S_git_error(d, "cannot walk the tree");
                rc = -1;
            }
            git_tree_free(t);
        }
    }
    if (ctx.n) qsort(ctx.files, ctx.n, sizeof *ctx.files, S_cmp_files);
    *out = ctx.files;
    *n = ctx.n;
    return rc;
}

int repo_read_host_file(const char *path, char **data, size_t *len, diag *d) {
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        diag_error(d, path, 0, 0, "cannot open: %s", strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
        diag_error(d, path, 0, 0, "not a regular file");
        fclose(f);
        return -1;
    }
    if ((unsigned long long)st.st_size > REPO_MAX_FILE_SIZE) {
        diag_error(d, path, 0, 0, "file too large (%lld bytes; the limit is %u MiB)",
                   (long long)st.st_size, REPO_MAX_FILE_SIZE >> 20);
        fclose(f);
        return -1;
    }
    size_t n = (size_t)st.st_size;
    char *buf = malloc(n + 1);
    if (!buf || fread(buf, 1, n, f) != n) {
        diag_error(d, path, 0, 0, "cannot read: %s", buf ? strerror(errno) : "out of memory");
        free(buf);
        fclose(f);
        return -1;
    }
    buf[n] = '\0';
    fclose(f);
    *data = buf;
    *len = n;
    return 0;
}

int repo_read(repo *r, const repo_file *f, char **data, size_t *len, diag *d) {
    *data = NULL;
    *len = 0;
    if (r->worktree) {
        strbuf p = STRBUF_INIT;
        sb_puts(&p, repo_workdir(r));
        sb_puts(&p, f->path);
        int rc = repo_read_host_file(sb_str(&p), data, len, d);
        sb_free(&p);
        return rc;
    }
    git_oid oid;
    git_blob *b = NULL;
    memcpy(oid.id, f->oid, 20);
    if (git_blob_lookup(&b, r->git, &oid) < 0) {
        const git_error *e = git_error_last();
        diag_error(d, f->path, 0, 0, "cannot read the object: %s",
                   e && e->message ? e->message : "unknown error");
        return -1;
    }
    git_object_size_t n = git_blob_rawsize(b);
    if (n > REPO_MAX_FILE_SIZE) {
        diag_error(d, f->path, 0, 0, "file too large (%llu bytes; the limit is %u MiB)",
                   (unsigned long long)n, REPO_MAX_FILE_SIZE >> 20);
        git_blob_free(b);
        return -1;
    }
    char *buf = malloc((size_t)n + 1);
    if (!buf) {
        git_blob_free(b);
        diag_error(d, f->path, 0, 0, "out of memory");
        return -1;
    }
    memcpy(buf, git_blob_rawcontent(b), (size_t)n);
    buf[n] = '\0';
    git_blob_free(b);
    *data = buf;
    *len = (size_t)n;
    return 0;
}
