/* test_core.c — unit tests of the small modules: text, yamldoc, front matter,
 * plan fields, output paths, JSON, diagnostics, arena. */
#include <stdlib.h>

#include "arena.h"
#include "content.h"
#include "diag.h"
#include "harness.h"
#include "json.h"
#include "output.h"
#include "text.h"
#include "yamldoc.h"

TEST(text_utf8) {
    int nul;
    CHECK(text_check_utf8("湖北省", 9, &nul) == 9 && !nul);
    CHECK(text_check_utf8("ab\xff", 3, &nul) == 2 && !nul);
    CHECK(text_check_utf8("a\0b", 3, &nul) == 1 && nul);
    CHECK(text_check_utf8("\xe6\xb9", 2, &nul) == 0);          /* truncated */
    CHECK(text_check_utf8("\xc0\xaf", 2, &nul) == 0);          /* overlong */
    CHECK(text_check_utf8("\xed\xa0\x80", 3, &nul) == 0);      /* surrogate */
    CHECK(text_check_utf8("\xf4\x90\x80\x80", 4, &nul) == 0);  /* > U+10FFFF */
    int line, col;
    text_line_col("ab\ncd\nef", 7, &line, &col);
    CHECK(line == 3 && col == 2);
}

TEST(text_ids_and_dates) {
    CHECK(text_is_id("hubei-cast-13th"));
    CHECK(!text_is_id("../../x"));
    CHECK(!text_is_id("Caps"));
    CHECK(!text_is_id(""));
    CHECK(!text_is_id("-lead"));
    CHECK(text_is_date("2016-02-29"));
    CHECK(!text_is_date("2017-02-29"));
    CHECK(!text_is_date("2017-13-01"));
    CHECK(!text_is_date("2017-1-01"));
    char buf[11];
    CHECK_STR(text_date_of(1500000000, 480, buf), "2017-07-14");
    CHECK_STR(text_date_of(1500000000 - 8 * 3600 + 60, -480, buf), "2017-07-13");
}

TEST(yaml_tree_and_positions) {
    arena *a = arena_new();
    diag *d = diag_new(0);
    const char *src = "title: 规划\nlist:\n  - a\n  - \"b\"\nmap: {k: v}\n";
    yvalue *v = NULL;
    CHECK(yaml_parse_doc(a, d, "f.yaml", 1, src, strlen(src), &v) == 0);
    CHECK(v && v->kind == YAML_V_MAP && v->n == 3);
    const yvalue *t = yaml_map_get(v, "title");
    CHECK(t && t->line == 1 && t->col == 8);
    CHECK_STR(t->str, "规划");
    const yvalue *l = yaml_map_get(v, "list");
    CHECK(l && l->kind == YAML_V_SEQ && l->n == 2 && l->items[1]->line == 4 && !l->items[1]->plain);
    CHECK(yaml_map_get(yaml_map_get(v, "map"), "k") != NULL);
    CHECK(diag_errors(d) == 0);
    diag_free(d);
    arena_free(a);
}

TEST(yaml_errors) {
    arena *a = arena_new();
    diag *d = diag_new(0);
    yvalue *v;
    const char *dup = "a: 1\na: 2\n";
    CHECK(yaml_parse_doc(a, d, "f", 10, dup, strlen(dup), &v) < 0);
    const char *alias = "a: &x 1\nb: *x\n";
    CHECK(yaml_parse_doc(a, d, "f", 1, alias, strlen(alias), &v) < 0);
    const char *bad = "a: [1, 2\n";
    CHECK(yaml_parse_doc(a, d, "f", 1, bad, strlen(bad), &v) < 0);
    char deep[300];
    memset(deep, '[', 200);
    deep[200] = '\0';
    CHECK(yaml_parse_doc(a, d, "f", 1, deep, strlen(deep), &v) < 0);
    CHECK(diag_errors(d) == 4);
    const char *empty = "";
    CHECK(yaml_parse_doc(a, d, "f", 1, empty, 0, &v) == 0 && v == NULL);
    diag_free(d);
    arena_free(a);
}

TEST(front_matter_split) {
    const char *y, *b;
    size_t yl, bl;
    int yline, bline;
    const char *src = "\xEF\xBB\xBF---\ntitle: x\n---\n# Body\n";
    CHECK(content_split_front_matter(src, strlen(src), &y, &yl, &yline, &b, &bl, &bline) == 0);
    CHECK(y && yl == 9 && strncmp(y, "title: x\n", 9) == 0);
    CHECK(bline == 4 && strncmp(b, "# Body", 6) == 0);
    const char *none = "# Just text\n";
    CHECK(content_split_front_matter(none, strlen(none), &y, &yl, &yline, &b, &bl, &bline) == 0);
    CHECK(y == NULL && bline == 1);
    const char *open = "---\ntitle: x\n";
    CHECK(content_split_front_matter(open, strlen(open), &y, &yl, &yline, &b, &bl, &bline) < 0);
    const char *crlf = "---\r\ntitle: x\r\n---\r\nbody";
    CHECK(content_split_front_matter(crlf, strlen(crlf), &y, &yl, &yline, &b, &bl, &bline) == 0);
    CHECK(y != NULL && strcmp(b, "body") == 0);
    const char *rule = "----\ntext\n";
    CHECK(content_split_front_matter(rule, strlen(rule), &y, &yl, &yline, &b, &bl, &bline) == 0);
    CHECK(y == NULL);
}

static int S_fields(const char *yaml, plan *p, diag *d, arena *a) {
    yvalue *v = NULL;
    if (yaml_parse_doc(a, d, "p.md", 2, yaml, strlen(yaml), &v) < 0) return -2;
    memset(p, 0, sizeof *p);
    return content_plan_fields(a, d, "p.md", "stem", v, p);
}

TEST(plan_fields) {
    arena *a = arena_new();
    diag *d = diag_new(0);
    plan p;
    CHECK(S_fields("title: T\nissuer: hubei-cast\nnumber: 鄂科协发〔2017〕8号\ndate: 2017-05-10\n"
                   "status: draft\nparent: [a, b]\naliases: 别名\nextra: kept\n", &p, d, a) == 0);
    CHECK_STR(p.doc.id, "stem");
    CHECK_STR(p.doc.title, "T");
    CHECK(p.status == PLAN_DRAFT && p.nparents == 2 && p.naliases == 1);
    CHECK_STR(p.aliases[0], "别名");
    CHECK(S_fields("title: T\nid: ../x\n", &p, d, a) == -1);
    CHECK(S_fields("title: ''\n", &p, d, a) == -1);
    CHECK(S_fields("title: T\nparent: [Not-An-Id]\n", &p, d, a) == -1);
    CHECK(S_fields("title: T\nadopted: 2016-8-4\n", &p, d, a) == -1);
    CHECK(diag_errors(d) == 4);
    diag_free(d);
    arena_free(a);
}

TEST(output_paths) {
    CHECK(output_path_ok("plans/x/index.html"));
    CHECK(output_path_ok("404.html"));
    CHECK(!output_path_ok("../x"));
    CHECK(!output_path_ok("plans/../../x"));
    CHECK(!output_path_ok("/etc/passwd"));
    CHECK(!output_path_ok("a//b"));
    CHECK(!output_path_ok("a/./b"));
    CHECK(!output_path_ok(""));
    CHECK(!output_path_ok("a\\b"));
}

TEST(json_writer) {
    strbuf b = STRBUF_INIT;
    json_writer w;
    json_init(&w, &b, 0);
    json_object_begin(&w);
    json_kv_str(&w, "s", "a\"b\\c\n<x>");
    json_key(&w, "l");
    json_array_begin(&w);
    json_int(&w, 1);
    json_number(&w, 2.5);
    json_null(&w);
    json_array_end(&w);
    json_key(&w, "e");
    json_object_begin(&w);
    json_object_end(&w);
    json_object_end(&w);
    CHECK_STR(sb_str(&b), "{\"s\":\"a\\\"b\\\\c\\n\\u003cx\\u003e\",\"l\":[1,2.5,null],\"e\":{}}");
    sb_free(&b);
}

TEST(diag_sorted_output) {
    diag *d = diag_new(1);
    diag_warning(d, "b.md", 3, 1, "w");
    diag_error(d, "a.md", 9, 2, "e");
    CHECK(diag_errors(d) == 2); /* strict: the warning counts */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    diag_flush(d, f);
    fclose(f);
    CHECK_STR(buf, "a.md:9:2: error: e\nb.md:3:1: error: w\n");
    free(buf);
    diag_free(d);
}

TEST(arena_grow_and_adopt) {
    arena *a = arena_new(), *child = arena_new();
    size_t cap = 0;
    int *xs = NULL;
    for (int i = 0; i < 1000; i++) {
        xs = arena_grow(a, xs, sizeof *xs, &cap, (size_t)i + 1);
        xs[i] = i;
    }
    int ok = 1;
    for (int i = 0; i < 1000; i++) ok &= xs[i] == i;
    CHECK(ok);
    char *big = arena_alloc(child, 1 << 20);
    big[(1 << 20) - 1] = 'x';
    arena_adopt(a, child);
    CHECK_STR(arena_printf(a, "%d-%s", 7, "x"), "7-x");
    arena_free(a); /* frees child too: LeakSanitizer would say otherwise */
}
