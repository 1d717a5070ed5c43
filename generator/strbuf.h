/* strbuf.h — a growable byte string with a sticky out-of-memory flag:
 * append freely, check `oom` once at the end. */
#ifndef PP_STRBUF_H
#define PP_STRBUF_H
#include <stdarg.h>
#include <stddef.h>

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
void sb_append(strbuf *b, const char *s, size_t n);
void sb_puts(strbuf *b, const char *s);
void sb_putc(strbuf *b, char c);
void sb_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vprintf(strbuf *b, const char *fmt, va_list ap);
/* The contents as a C string ("" when empty). */
const char *sb_str(const strbuf *b);

#endif
