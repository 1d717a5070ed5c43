/* output.h — the output folder, replaced atomically: pages are written to a
 * fresh folder beside it and swapped in only when the build is complete. */
#ifndef PP_OUTPUT_H
#define PP_OUTPUT_H
#include <stddef.h>

#include "diag.h"

typedef struct output output;

/* The file written into every output: a folder without it (and not an
 * output of an older planpress, nor empty) is never replaced. */
#define OUTPUT_MARKER ".planpress-output"

/* `dir` as an absolute path, its parent's links resolved (dir itself need
 * not exist). malloc'd; NULL (errno set) when the parent is missing. */
char *output_resolve(const char *dir);
/* Takes the lock ".NAME.lock" beside `dir` (flock; another build into the
 * same folder fails at once), refuses a `dir` that is not a folder, or is a
 * folder planpress did not write and not empty, removes the staging folders
 * that killed builds left beside it, and creates a fresh staging folder there
 * ("public" -> ".public.tmp-XXXXXX") with the marker in it. The lock is held
 * until output_commit or output_abort. Returns 0, or -1 after a diagnostic
 * (diag_fail). The caller checks first that `dir` holds no repository
 * (repo_holds). */
int output_begin(output **out, const char *dir, diag *d);
/* Writes `relpath` ("plans/x/index.html") under the staging folder, making
 * its folders. Thread-safe. A path that is absolute, empty, or has an empty,
 * "." or ".." segment is refused: nothing is written outside the folder.
 * Returns 0, or -1 after a diagnostic (diag_fail). */
int output_write(output *o, const char *relpath, const char *data, size_t len, diag *d);
/* Swaps the staging folder in for `dir` (renameat2 RENAME_EXCHANGE when dir
 * exists, so that readers never see a half-written site) and removes the
 * previous output. Frees o. Returns 0, or -1 (the previous output is kept). */
int output_commit(output *o, diag *d);
/* Removes the staging folder; the previous output is untouched. Frees o. */
void output_abort(output *o);
/* Is relpath safe to write under the folder? (see output_write) */
int output_path_ok(const char *relpath);
/* Bytes and files written so far. */
size_t output_bytes(const output *o);
size_t output_files(const output *o);

#endif
