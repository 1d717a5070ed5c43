/* strbuf.h — a growable byte string with a sticky out-of-memory flag:
 * append freely, check `oom` once at the end. */
#ifndef PP_STRBUF_H
#define PP_STRBUF_H
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

typedef struct strbuf {
    char *ptr;  /* always NUL-terminated once anything was appended */
    size_t len, cap;
    int oom;    /* set when an allocation failed; later appends do nothing */
} strbuf;

#define STRBUF_INIT {NULL, 0, 0, 0}

void sb_init(strbuf *b);
/* Frees the storage; the buffer is empty and usable again. */
void sb_free(strbuf *b);
void sb_clear(strbuf *b);  /* keeps the storage */
/* Appends by growing the buffer first (what sb_append and sb_putc fall
 * back to when the bytes do not fit). */
void sb_append_grow(strbuf *b, const char *s, size_t n);
void sb_puts(strbuf *b, const char *s);
void sb_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vprintf(strbuf *b, const char *fmt, va_list ap);
/* The contents as a C string ("" when empty). */
const char *sb_str(const strbuf *b);

/* Appending is most of what the generator does, a byte at a time in the
 * escapers and the search index: the common case, room left, is inline. */
static inline void sb_append(strbuf *b, const char *s, size_t n) {
    if (!b->oom && n < b->cap - b->len) {
        if (n) memcpy(b->ptr + b->len, s, n);
        b->len += n;
        b->ptr[b->len] = '\0';
        return;
    }
    sb_append_grow(b, s, n);
}

static inline void sb_putc(strbuf *b, char c) {
    if (!b->oom && 1 < b->cap - b->len) {
        b->ptr[b->len++] = c;
        b->ptr[b->len] = '\0';
        return;
    }
    sb_append_grow(b, &c, 1);
}
#endif
