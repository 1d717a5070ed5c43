/* fuzz_csv.c — libFuzzer target for the RFC 4180 reader (csv.c): every
 * input ends in records or an error with a place inside the input, fields
 * point into the input, and what was read, written back with quotes,
 * reads the same. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts (so the fuzzer records the input) when an invariant breaks. */
static void S_require(int ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "fuzz_csv: invariant broken: %s\n", what);
        abort();
    }
}

/* Reads src into `values` (each field's value, then '\x1f' after a field
 * and '\x1e' after a record); returns 1, or 0 on malformed input. */
static int S_read(const char *src, size_t len, strbuf *values) {
    csv_reader r;
    csv_field f;
    csv_init(&r, src, len);
    char *buf = malloc(len + 1);
    S_require(buf != NULL, "malloc");
    int rc, lines = 1;
    for (size_t i = 0; i < len; i++)
        if (src[i] == '\n' || (src[i] == '\r' && (i + 1 == len || src[i + 1] != '\n'))) lines++;
    long fields = 0;
    while ((rc = csv_next(&r, &f)) > 0) {
        fields++;
        S_require(fields <= (long)len + 1, "more fields than bytes");
        S_require(f.ptr >= src && f.ptr + f.len <= src + len, "field inside the input");
        S_require(f.line >= 1 && f.line <= lines && f.col >= 1, "field place");
        if (!f.quoted)
            for (size_t i = 0; i < f.len; i++)
                S_require(f.ptr[i] != '"' && f.ptr[i] != ',' && f.ptr[i] != '\n' && f.ptr[i] != '\r',
                          "unquoted field holds a special character");
        size_t n = csv_unquote(&f, buf);
        S_require(n <= f.len, "unquoted value longer than the field");
        sb_append(values, buf, n);
        sb_putc(values, f.last ? '\x1e' : '\x1f');
    }
    free(buf);
    if (rc < 0) {
        S_require(r.err != NULL && r.err_line >= 1 && r.err_line <= lines && r.err_col >= 1, "error place");
        S_require(csv_next(&r, &f) < 0, "reading goes on after an error");
        return 0;
    }
    S_require(csv_next(&r, &f) == 0, "reading goes on after the end");
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *src = (const char *)data;
    strbuf first = STRBUF_INIT, again = STRBUF_INIT, written = STRBUF_INIT;
    if (S_read(src, size, &first)) {
        /* write every field quoted, records ended by CRLF, and read again */
        const char *v = sb_str(&first);
        sb_putc(&written, '"');
        for (size_t i = 0; i < first.len; i++) {
            char c = v[i];
            if (c == '\x1f') sb_puts(&written, "\",\"");
            else if (c == '\x1e') sb_puts(&written, i + 1 < first.len ? "\"\r\n\"" : "\"\r\n");
            else if (c == '"') sb_puts(&written, "\"\"");
            else sb_putc(&written, c);
        }
        if (first.len == 0) written.len = 0;
        S_require(S_read(sb_str(&written), written.len, &again), "written back, it does not read");
        S_require(again.len == first.len && memcmp(sb_str(&again), sb_str(&first), first.len) == 0,
                  "written back, it reads differently");
    }
    sb_free(&first);
    sb_free(&again);
    sb_free(&written);
    return 0;
}
