/* output.h — the output folder, replaced atomically: pages are written to a
 * fresh folder beside it and swapped in only when the build is complete. */
#ifndef PP_OUTPUT_H
#define PP_OUTPUT_H
#include <stddef.h>

#include "diag.h"

typedef struct output output;

/* Creates the staging folder beside `dir` ("public" -> ".public.tmp-XXXXXX").
 * Returns 0, or -1 after a diagnostic. */
int output_begin(output **out, const char *dir, diag *d);
/* Writes `relpath` ("plans/x/index.html") under the staging folder, making
 * its folders. Thread-safe. A path that is absolute, empty, or has an empty,
 * "." or ".." segment is refused: nothing is written outside the folder.
 * Returns 0, or -1 after a diagnostic. */
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
