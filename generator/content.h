/* content.h — reads the content folder of a revision into the model:
 * site.yaml, plans/ and pages/ Markdown files (front matter and Markdown). */
#ifndef PP_CONTENT_H
#define PP_CONTENT_H

#include "diag.h"
#include "model.h"
#include "repo.h"

/* Reads and parses the content of s->commit under s->content_dir, using
 * `jobs` threads (each with its own handle on r). With `check`, the
 * warnings only `check` gives are reported too. Diagnostics are reported;
 * returns 0, or -1 on a failure that stops the build (I/O, repository).
 * Content errors do not return -1: check diag_errors(). */
int content_load(site *s, repo *r, int jobs, int check, diag *d);

/* Splits "---\n<yaml>\n---\n<markdown>" (a UTF-8 BOM is allowed before it).
 * Sets *yaml, *yaml_len (NULL when there is no front matter), *md_src and the
 * 1-based file line where the body and the YAML start. Returns 0, or -1 when
 * the front matter does not close (err_line set to its opening line). */
int content_split_front_matter(const char *src, size_t len, const char **yaml,
                               size_t *yaml_len, int *yaml_line, const char **md_src,
                               size_t *body_len, int *body_line);

/* Parses one plan from its bytes: checks, front matter, Markdown, roles
 * (names resolved against b). Used for the current content and for past
 * revisions (history). Returns 0, or -1 after a diagnostic. */
int content_parse_plan(arena *a, diag *d, const bodies *b, const char *path, const char *stem,
                       const char *src, size_t len, int check, plan *p);

/* Reads a plan's fields from its front matter (exposed for tests and the
 * fuzzer). `stem` is the file name without .md (the default id). */
int content_plan_fields(arena *a, diag *d, const char *path, const char *stem,
                        const yvalue *front, plan *p);

#endif
