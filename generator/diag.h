/* diag.h — compiler-style diagnostics: `path:line:col: error: message`.
 * Thread-safe. Messages are collected and printed sorted by place, so that
 * parallel builds report in a stable order. */
#ifndef PP_DIAG_H
#define PP_DIAG_H
#include <stdio.h>

typedef enum { DIAG_NOTE, DIAG_WARNING, DIAG_ERROR } diag_level;

typedef struct diag diag;

/* strict: warnings count as errors (and are printed as errors). */
diag *diag_new(int strict);
void diag_free(diag *d);

/* path may be NULL (a message about the whole run); line/col 0 = unknown. */
void diag_report(diag *d, diag_level level, const char *path, int line, int col,
                 const char *fmt, ...) __attribute__((format(printf, 6, 7)));
#define diag_error(d, path, line, col, ...) diag_report(d, DIAG_ERROR, path, line, col, __VA_ARGS__)
#define diag_warning(d, path, line, col, ...) diag_report(d, DIAG_WARNING, path, line, col, __VA_ARGS__)

/* An internal or I/O failure (a file that cannot be read or written, a
 * repository object that cannot be read, memory): reported like an error
 * (and counted among them), but the run then exits 3, not 1 (diag_failures). */
void diag_fail(diag *d, const char *path, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Prints the collected messages (sorted by path, line, col, then order of
 * report) and forgets them. Counts are kept. */
void diag_flush(diag *d, FILE *out);
/* Errors so far, warnings included under strict. */
int diag_errors(const diag *d);
int diag_warnings(const diag *d);
/* Failures (diag_fail) so far. */
int diag_failures(const diag *d);

#endif
