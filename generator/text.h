/* text.h — small text utilities: UTF-8 validation, positions, id checks. */
#ifndef PP_TEXT_H
#define PP_TEXT_H
#include <stddef.h>

#include "arena.h"

/* Returns n when s[0..n) is valid UTF-8 without NUL bytes, else the offset of
 * the first bad byte; *is_nul tells whether it is a NUL byte. */
size_t text_check_utf8(const char *s, size_t n, int *is_nul);
/* A copy of s[0..n) in which every invalid UTF-8 sequence and control
 * character (but \n and \t) is replaced by U+FFFD (for text from Git:
 * author names, commit messages). */
char *text_sanitize_utf8(arena *a, const char *s, size_t n);
/* 1-based line and byte column of offset `off` in s. */
void text_line_col(const char *s, size_t off, int *line, int *col);
/* Is s a valid id: [a-z0-9-]+, at most 100 bytes, not starting with '-'? */
int text_is_id(const char *s);
/* Is s a web address a page may link to: "http://" or "https://" (any
 * case), a host, and no space or control character? (Links from
 * configuration: site.yaml's base_url, archive_url, ...) */
int text_is_web_url(const char *s);
/* Is s a date YYYY-MM-DD with a valid month and day? */
int text_is_date(const char *s);
/* "YYYY-MM-DD" of time t (seconds since the epoch) at UTC offset
 * offset_min; buf holds at least 11 bytes. Returns buf. */
char *text_date_of(long long t, int offset_min, char *buf);
/* Do s end with suffix? */
int text_ends_with(const char *s, const char *suffix);

#endif
