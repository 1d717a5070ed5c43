/* test_csv.c — the RFC 4180 reader: quoting, line ends, BOM, blank lines,
 * and the errors with their line and column. */
#include <stdlib.h>

#include "csv.h"
#include "harness.h"

/* Reads all of src into "a|b|c/d|e/" (fields joined by '|', records ended
 * by '/'); on an error, "error L:C: message". Static buffer. */
static const char *S_read(const char *src, size_t len) {
    static char out[4096];
    char field[1024];
    size_t n = 0;
    csv_reader r;
    csv_field f;
    csv_init(&r, src, len);
    int rc;
    out[0] = '\0';
    while ((rc = csv_next(&r, &f)) > 0) {
        size_t k = csv_unquote(&f, field);
        if (n + k + 2 >= sizeof out) break;
        memcpy(out + n, field, k);
        n += k;
        out[n++] = f.last ? '/' : '|';
        out[n] = '\0';
    }
    if (rc < 0) snprintf(out, sizeof out, "error %d:%d: %s", r.err_line, r.err_col, r.err);
    return out;
}

#define READ(s) S_read(s, sizeof(s) - 1)

TEST(csv_plain_records) {
    CHECK_STR(READ("a,b,c\n1,2,3\n"), "a|b|c/1|2|3/");
    CHECK_STR(READ("a,b\n1,2"), "a|b/1|2/");            /* no final line break */
    CHECK_STR(READ("a,b\r\n1,2\r\n"), "a|b/1|2/");      /* CRLF */
    CHECK_STR(READ("a,b\r1,2\r"), "a|b/1|2/");          /* old Mac CR */
    CHECK_STR(READ("a,,c\n,,\n"), "a||c/||/");          /* empty fields */
    CHECK_STR(READ("a,b,\n"), "a|b|/");                 /* a trailing comma: one more, empty field */
    CHECK_STR(READ("a,b,"), "a|b|/");
    CHECK_STR(READ(""), "");
    CHECK_STR(READ("\n\r\n\n"), "");                    /* blank lines only */
    CHECK_STR(READ("a\n\n\nb\n"), "a/b/");              /* blank lines skipped */
    CHECK_STR(READ("\xEF\xBB\xBFid,name\n1,x\n"), "id|name/1|x/"); /* BOM */
    CHECK_STR(READ("名称,数值\n湖南,5.14\n"), "名称|数值/湖南|5.14/");
    CHECK_STR(READ(" a , b \n"), " a | b /");           /* spaces are data */
}

TEST(csv_quoted_fields) {
    CHECK_STR(READ("\"a,b\",c\n"), "a,b|c/");
    CHECK_STR(READ("\"say \"\"hi\"\"\",x\n"), "say \"hi\"|x/");
    CHECK_STR(READ("\"two\nlines\",x\n"), "two\nlines|x/");
    CHECK_STR(READ("\"crlf\r\ninside\",x\r\n"), "crlf\r\ninside|x/");
    CHECK_STR(READ("\"\",x\n"), "|x/");
    CHECK_STR(READ("\"\"\n"), "/");                      /* one empty field, written "" */
    CHECK_STR(READ("\"\"\"\"\n"), "\"/");                /* one quote */
    CHECK_STR(READ("x,\"end\""), "x|end/");
    /* quoted and unquoted fields report where they start */
    csv_reader r;
    csv_field f;
    const char src[] = "a,\"b\nc\",d\ne";
    csv_init(&r, src, sizeof src - 1);
    CHECK(csv_next(&r, &f) == 1 && f.line == 1 && f.col == 1 && !f.quoted);
    CHECK(csv_next(&r, &f) == 1 && f.line == 1 && f.col == 3 && f.quoted && !f.last);
    CHECK(csv_next(&r, &f) == 1 && f.line == 2 && f.col == 4 && f.last);
    CHECK(csv_next(&r, &f) == 1 && f.line == 3 && f.col == 1 && f.last);
    CHECK(csv_next(&r, &f) == 0);
    CHECK(csv_next(&r, &f) == 0);
}

TEST(csv_errors_have_places) {
    CHECK_STR(READ("a,b\n1,\"open\n2,3\n"),
              "error 2:3: unterminated quoted field (the quote opened here is never closed)");
    CHECK_CONTAINS(READ("a,\"b\"c\n"), "error 1:6: unexpected text after a closing quote");
    CHECK_CONTAINS(READ("a,b\"c\n"), "error 1:4: a quote inside an unquoted field");
    CHECK_CONTAINS(READ("\xEF\xBB\xBF\"x"), "error 1:4: unterminated");
    CHECK_CONTAINS(READ("x\r\n\"a\"\"\r\n"), "error 2:1: unterminated");
    /* after an error, nothing more */
    csv_reader r;
    csv_field f;
    csv_init(&r, "\"a\"b,c", 6);
    CHECK(csv_next(&r, &f) == -1);
    CHECK(csv_next(&r, &f) == -1);
}

TEST(csv_pathological_input_is_linear) {
    /* a megabyte of quotes, commas and line breaks: read in one pass */
    size_t n = 1 << 20;
    char *s = malloc(n);
    for (size_t i = 0; i < n; i++) s[i] = "\",\n\"\"x"[i % 6];
    csv_reader r;
    csv_field f;
    csv_init(&r, s, n);
    long fields = 0;
    int rc;
    while ((rc = csv_next(&r, &f)) > 0) fields++;
    CHECK(rc == -1 || rc == 0);
    memset(s, ',', n);
    csv_init(&r, s, n);
    fields = 0;
    while ((rc = csv_next(&r, &f)) > 0) fields++;
    CHECK(rc == 0 && fields == (long)n + 1);
    free(s);
}
