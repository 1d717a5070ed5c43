/* repo.h — the content as committed: repository discovery, revisions, the
 * files of a tree and their bytes. The only module that includes git2.h.
 * With `worktree`, files come from the working directory instead (history
 * still comes from Git). */
#ifndef PP_REPO_H
#define PP_REPO_H
#include <stddef.h>

#include "arena.h"
#include "diag.h"

/* Files larger than this are refused with a diagnostic (docs/content.md). */
#define REPO_MAX_FILE_SIZE (16u * 1024 * 1024)

typedef struct repo repo;

typedef struct repo_commit {
    char id[41];          /* full hex id */
    char short_id[13];    /* first 12 hex digits: the REV of URLs */
    long long time;       /* committer time, seconds since the epoch */
    int offset;           /* committer's UTC offset in minutes */
    long long author_time;
    int author_offset;
    const char *author;   /* author name (arena) */
    const char *summary;  /* first line of the message (arena) */
} repo_commit;

typedef struct repo_file {
    const char *path;     /* repository-relative, '/'-separated (arena) */
    unsigned char oid[20];/* blob id; zero in worktree mode */
    size_t size;
} repo_file;

/* Opens the repository at `path`, or the one enclosing the current directory
 * when path is NULL. Returns 0, or -1 after reporting a diagnostic. */
int repo_open(repo **out, const char *path, int worktree, diag *d);
/* Another handle on the same repository, for use by one worker thread. */
int repo_open_again(repo **out, const repo *r);
/* From now on, this handle reads committed trees even when it was opened
 * with `worktree` (past revisions are never in the working directory). */
void repo_read_committed(repo *r);
void repo_free(repo *r);

/* The repository's own folder (".git/" or the bare repository), with a
 * trailing '/': where planpress keeps its cache. */
const char *repo_git_dir(const repo *r);
/* The working directory (NULL for a bare repository). */
const char *repo_workdir(const repo *r);
int repo_is_worktree(const repo *r);

/* Why the folder `dir` (absolute, links resolved: output_resolve) must not
 * be replaced by a build, or NULL: it is or holds the working tree or the
 * repository's .git, is inside .git, or holds files in the index. */
const char *repo_holds(repo *r, const char *dir);

/* Resolves `ref` (any revision expression). With as_of ("YYYY-MM-DD"), walks
 * the first-parent history from ref back to the last commit made on or before
 * that date (in the committer's own time zone). Returns 0, or -1 after a
 * diagnostic (unknown ref, no commit that old, bad date). */
int repo_resolve(repo *r, arena *a, const char *ref, const char *as_of,
                 repo_commit *out, diag *d);

/* Is `path` a folder in the commit's tree (or, in worktree mode, on disk)? */
int repo_is_dir(repo *r, const repo_commit *c, const char *path);

/* Lists every regular file under folder `prefix` ("" = the root), sorted by
 * path. Symbolic links and submodules are skipped with a warning; in worktree
 * mode no link is followed on any component of a path (a link at `prefix`
 * or above it gives no files and a warning). Returns 0 (a missing prefix
 * gives no files), or -1 after a diagnostic. */
int repo_list(repo *r, const repo_commit *c, const char *prefix, arena *a,
              repo_file **out, size_t *n, diag *d);

/* Reads a file listed by repo_list into a malloc'd buffer (NUL-terminated;
 * the caller frees it). Returns 0, or -1 after a diagnostic. */
int repo_read(repo *r, const repo_file *f, char **data, size_t *len, diag *d);

/* Reads a file of the host file system (themes): same contract. */
int repo_read_host_file(const char *path, char **data, size_t *len, diag *d);


/* ---- history ------------------------------------------------------------ */

typedef enum { REPO_ADDED, REPO_MODIFIED, REPO_DELETED } repo_change_kind;

/* A file under the walked folder that a commit changed against its first
 * parent. */
typedef struct repo_change {
    repo_change_kind kind;
    const char *path;             /* repository path */
    unsigned char old_oid[20];    /* zero when added */
    unsigned char new_oid[20];    /* zero when deleted */
} repo_change;

/* Called for each commit of the first-parent history of `head`, newest
 * first, with the files under `prefix` that it changed (n may be 0). Return
 * non-zero to stop. */
typedef int (*repo_commit_cb)(void *payload, const repo_commit *c, const repo_change *changes,
                              size_t n);

/* Walks the first-parent history from `head`, comparing each commit's tree
 * with its first parent's by entry ids and descending only into subtrees
 * whose id changed. `max_commits` bounds the walk (0 = no bound). When the
 * history is cut short (a shallow clone's boundary, listed in GIT_DIR/shallow,
 * or max_commits), the oldest commit reached gets all of its files as added
 * and *shallow is set. A parent that is missing or cannot be read elsewhere is
 * a failure (diag_fail). Returns 0, or -1 after a diagnostic. */
int repo_walk_history(repo *r, arena *a, const repo_commit *head, const char *prefix,
                      size_t max_commits, repo_commit_cb cb, void *payload, int *shallow,
                      diag *d);

/* Reads a blob by id (history): same contract as repo_read. */
int repo_read_blob(repo *r, const unsigned char oid[20], const char *shown_path, char **data,
                   size_t *len, diag *d);

#endif
