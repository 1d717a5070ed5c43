/* json.c — streaming JSON output. */
#include "json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

void json_init(json_writer *w, strbuf *out, int pretty) {
    w->out = out;
    w->depth = 0;
    w->first[0] = 1;
    w->pretty = pretty;
}

static void S_indent(json_writer *w) {
    if (!w->pretty) return;
    sb_putc(w->out, '\n');
    for (int i = 0; i < w->depth; i++) sb_puts(w->out, "  ");
}

/* Before a value in an array (or a key in an object). */
static void S_sep(json_writer *w) {
    if (w->depth == 0) return;
    if (!w->first[w->depth]) sb_putc(w->out, ',');
    w->first[w->depth] = 0;
    S_indent(w);
}

static int S_after_key;

static void S_value_start(json_writer *w) {
    if (S_after_key) {
        S_after_key = 0;
        return;
    }
    S_sep(w);
}

static void S_open(json_writer *w, char c) {
    S_value_start(w);
    sb_putc(w->out, c);
    if (w->depth + 1 < JSON_MAX_DEPTH) w->depth++;
    w->first[w->depth] = 1;
}

static void S_close(json_writer *w, char c) {
    int empty = w->first[w->depth];
    if (w->depth > 0) w->depth--;
    if (!empty) S_indent(w);
    sb_putc(w->out, c);
}

void json_object_begin(json_writer *w) { S_open(w, '{'); }
void json_object_end(json_writer *w) { S_close(w, '}'); }
void json_array_begin(json_writer *w) { S_open(w, '['); }
void json_array_end(json_writer *w) { S_close(w, ']'); }

static void S_quoted(strbuf *out, const char *s) {
    sb_putc(out, '"');
    const char *start = s;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&') continue;
        sb_append(out, start, (size_t)(p - start));
        switch (c) {
        case '"': sb_puts(out, "\\\""); break;
        case '\\': sb_puts(out, "\\\\"); break;
        case '\n': sb_puts(out, "\\n"); break;
        case '\r': sb_puts(out, "\\r"); break;
        case '\t': sb_puts(out, "\\t"); break;
        default: sb_printf(out, "\\u%04x", c); break; /* control, < > & (safe inline in HTML) */
        }
        start = p + 1;
    }
    sb_puts(out, start);
    sb_putc(out, '"');
}

void json_key(json_writer *w, const char *key) {
    S_sep(w);
    S_quoted(w->out, key);
    sb_puts(w->out, w->pretty ? ": " : ":");
    S_after_key = 1;
}

void json_string(json_writer *w, const char *s) {
    S_value_start(w);
    if (!s) sb_puts(w->out, "null");
    else S_quoted(w->out, s);
}

void json_int(json_writer *w, long long v) {
    S_value_start(w);
    sb_printf(w->out, "%lld", v);
}

void json_number(json_writer *w, double v) {
    S_value_start(w);
    if (!isfinite(v)) sb_puts(w->out, "null");
    else if (v == (double)(long long)v && fabs(v) < 1e15) sb_printf(w->out, "%lld", (long long)v);
    else {
        /* the shortest form that reads back exactly: 5.14, not 5.1399999999999997 */
        char buf[32];
        snprintf(buf, sizeof buf, "%.15g", v);
        if (strtod(buf, NULL) != v) snprintf(buf, sizeof buf, "%.17g", v);
        sb_puts(w->out, buf);
    }
}

void json_bool(json_writer *w, int v) {
    S_value_start(w);
    sb_puts(w->out, v ? "true" : "false");
}

void json_null(json_writer *w) {
    S_value_start(w);
    sb_puts(w->out, "null");
}

void json_kv_str(json_writer *w, const char *key, const char *s) {
    json_key(w, key);
    json_string(w, s);
}

void json_kv_int(json_writer *w, const char *key, long long v) {
    json_key(w, key);
    json_int(w, v);
}
