/* csv.h — an RFC 4180 reader over a byte buffer: quoted fields with
 * embedded commas, quotes ("") and line breaks; CRLF, LF or CR line ends; a
 * UTF-8 byte order mark. It allocates nothing: fields point into the input,
 * so a caller may build its values with any allocator (indicators.c builds Lua
 * strings with it). Strict: a quote inside an unquoted field, text after a
 * closing quote and an unterminated quote are errors with a line and column. */
#ifndef PP_CSV_H
#define PP_CSV_H
#include <stddef.h>

typedef struct csv_field {
    const char *ptr;  /* the field as written, without its enclosing quotes */
    size_t len;
    int quoted;       /* enclosed in quotes: "" inside stands for one " (csv_unquote) */
    int line, col;    /* where the field starts: 1-based line, byte column */
    int last;         /* the last field of its record */
} csv_field;

typedef struct csv_reader {
    const char *src;
    size_t len, pos;
    int line;         /* line of src[pos] */
    size_t line_start;/* offset where that line starts */
    int in_record;    /* a record has begun and has not ended */
    /* set when csv_next returns -1 */
    const char *err;
    int err_line, err_col;
} csv_reader;

/* Starts reading src[0..len) (skipping a UTF-8 BOM). */
void csv_init(csv_reader *r, const char *src, size_t len);

/* Reads the next field. Returns 1 with *f set, 0 at the end of the input,
 * or -1 on malformed input (r->err, r->err_line, r->err_col; reading stops
 * there). Blank lines between records are skipped, so a record is never
 * empty; a record of one empty field is written `""`. */
int csv_next(csv_reader *r, csv_field *f);

/* Writes the field's value to out (room for f->len bytes): the text as
 * written, with "" turned into " in a quoted field. Returns its length. */
size_t csv_unquote(const csv_field *f, char *out);

#endif
