/* strbuf.c — growable byte strings. */
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sb_init(strbuf *b) { memset(b, 0, sizeof *b); }

void sb_free(strbuf *b) {
    free(b->ptr);
    memset(b, 0, sizeof *b);
}

void sb_clear(strbuf *b) {
    b->len = 0;
    if (b->ptr) b->ptr[0] = '\0';
}

static int S_reserve(strbuf *b, size_t extra) {
    if (b->oom) return -1;
    if (extra > (size_t)-1 / 2 - b->len) {
        b->oom = 1;
        return -1;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return 0;
    size_t ncap = b->cap ? b->cap : 64;
    while (ncap < need) ncap *= 2;
    char *p = realloc(b->ptr, ncap);
    if (!p) {
        b->oom = 1;
        return -1;
    }
    b->ptr = p;
    b->cap = ncap;
    return 0;
}

void sb_append_grow(strbuf *b, const char *s, size_t n) {
    if (S_reserve(b, n) < 0) return;
    if (n) memcpy(b->ptr + b->len, s, n);
    b->len += n;
    b->ptr[b->len] = '\0';
}

void sb_puts(strbuf *b, const char *s) { sb_append(b, s, strlen(s)); }


void sb_vprintf(strbuf *b, const char *fmt, va_list ap) {
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    if (n < 0 || S_reserve(b, (size_t)n) < 0) {
        va_end(ap2);
        return;
    }
    vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    b->len += (size_t)n;
}

void sb_printf(strbuf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(b, fmt, ap);
    va_end(ap);
}

const char *sb_str(const strbuf *b) { return b->ptr ? b->ptr : ""; }
