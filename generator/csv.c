/* csv.c — an RFC 4180 reader that points into its input (see csv.h). */
#include "csv.h"

#include <string.h>

void csv_init(csv_reader *r, const char *src, size_t len) {
    memset(r, 0, sizeof *r);
    r->src = src;
    r->len = len;
    r->line = 1;
    if (len >= 3 && memcmp(src, "\xEF\xBB\xBF", 3) == 0) r->pos = 3;
}

static int S_col(const csv_reader *r, size_t off) { return (int)(off - r->line_start) + 1; }

/* Steps over the line break at pos (CRLF, LF or CR). */
static void S_newline(csv_reader *r) {
    if (r->src[r->pos] == '\r' && r->pos + 1 < r->len && r->src[r->pos + 1] == '\n') r->pos++;
    r->pos++;
    r->line++;
    r->line_start = r->pos;
}

static int S_fail(csv_reader *r, const char *msg, int line, int col) {
    r->err = msg;
    r->err_line = line;
    r->err_col = col;
    r->pos = r->len; /* nothing more is read */
    r->in_record = 0;
    return -1;
}

/* After a field: a comma (another field follows), a line break or the end
 * (the record ends). */
static void S_after_field(csv_reader *r, csv_field *f) {
    if (r->pos < r->len && r->src[r->pos] == ',') {
        r->pos++;
        f->last = 0;
        r->in_record = 1;
        return;
    }
    if (r->pos < r->len) S_newline(r);
    f->last = 1;
    r->in_record = 0;
}

int csv_next(csv_reader *r, csv_field *f) {
    if (r->err) return -1;
    if (!r->in_record) {
        while (r->pos < r->len && (r->src[r->pos] == '\n' || r->src[r->pos] == '\r')) S_newline(r);
        if (r->pos >= r->len) return 0;
    }
    memset(f, 0, sizeof *f);
    f->line = r->line;
    f->col = S_col(r, r->pos);
    if (r->pos < r->len && r->src[r->pos] == '"') {
        int open_line = r->line, open_col = f->col;
        r->pos++;
        f->ptr = r->src + r->pos;
        f->quoted = 1;
        for (;;) {
            if (r->pos >= r->len)
                return S_fail(r, "unterminated quoted field (the quote opened here is never closed)",
                              open_line, open_col);
            char c = r->src[r->pos];
            if (c == '"') {
                if (r->pos + 1 < r->len && r->src[r->pos + 1] == '"') {
                    r->pos += 2;
                    continue;
                }
                break;
            }
            if (c == '\n' || c == '\r') {
                S_newline(r); /* a line break inside the field: counted, kept */
                continue;
            }
            r->pos++;
        }
        f->len = (size_t)(r->src + r->pos - f->ptr);
        r->pos++; /* the closing quote */
        if (r->pos < r->len) {
            char c = r->src[r->pos];
            if (c != ',' && c != '\n' && c != '\r')
                return S_fail(r, "unexpected text after a closing quote (a quote inside a quoted field is written \"\")",
                              r->line, S_col(r, r->pos));
        }
    } else {
        f->ptr = r->src + r->pos;
        while (r->pos < r->len) {
            char c = r->src[r->pos];
            if (c == ',' || c == '\n' || c == '\r') break;
            if (c == '"')
                return S_fail(r, "a quote inside an unquoted field (quote the whole field and write the quote as \"\")",
                              r->line, S_col(r, r->pos));
            r->pos++;
        }
        f->len = (size_t)(r->src + r->pos - f->ptr);
    }
    S_after_field(r, f);
    return 1;
}

size_t csv_unquote(const csv_field *f, char *out) {
    if (!f->quoted) {
        if (f->len) memcpy(out, f->ptr, f->len);
        return f->len;
    }
    size_t n = 0;
    for (size_t i = 0; i < f->len; i++) {
        out[n++] = f->ptr[i];
        if (f->ptr[i] == '"' && i + 1 < f->len && f->ptr[i + 1] == '"') i++;
    }
    return n;
}
