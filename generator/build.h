/* build.h — the pipeline of `build` and `check`: repository, content, theme,
 * pages, data files, atomic publication. */
#ifndef PP_BUILD_H
#define PP_BUILD_H

typedef struct build_options {
    const char *repo;      /* NULL: the repository enclosing the current folder */
    const char *ref;       /* "HEAD" */
    const char *content;   /* NULL: "content" if the tree has it, else the root */
    const char *out;       /* "public" */
    const char *base_url;  /* NULL: site.yaml's */
    const char *as_of;     /* NULL or YYYY-MM-DD */
    int worktree, jobs, no_history, strict, quiet;
    int no_cache;          /* history: no cache read or written (GIT_DIR/planpress/) */
    int check_only;        /* validate, write nothing */
} build_options;

/* Exit statuses (SPEC section 1). */
enum { EXIT_OK = 0, EXIT_CONTENT = 1, EXIT_USAGE = 2, EXIT_IO = 3 };

/* Runs a build or check; prints diagnostics; returns the exit status. */
int build_run(const build_options *opt);

#endif
