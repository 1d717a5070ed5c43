/* test_markdown.c — unit tests of generator/markdown.c: safety, anchors, attribute blocks, limits. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "diag.h"
#include "harness.h"
#include "markdown.h"

/* One render: the document, its return code and the flushed diagnostics. */
typedef struct rendered {
    arena *a;
    diag *d;
    md_doc doc;
    int rc;
    char *msgs; /* malloc'd */
} rendered;

static void S_render_n(rendered *r, const char *src, size_t len, int first_line) {
    md_init();
    r->a = arena_new();
    r->d = diag_new(0);
    r->rc = md_render(r->a, r->d, "plans/x.md", first_line, src, len, &r->doc);
    size_t n = 0;
    FILE *f = open_memstream(&r->msgs, &n);
    /* (an empty diag is not flushed: diag_flush would qsort(NULL, 0)) */
    if (diag_errors(r->d) + diag_warnings(r->d) > 0) diag_flush(r->d, f);
    fclose(f);
}

static void S_render(rendered *r, const char *src, int first_line) {
    S_render_n(r, src, strlen(src), first_line);
}

static void S_done(rendered *r) {
    free(r->msgs);
    diag_free(r->d);
    arena_free(r->a);
}

static double S_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* strstr that treats a NULL haystack as empty. */
static int S_has(const char *hay, const char *needle) { return hay && strstr(hay, needle); }

static const char *S_kv(const md_attrs *at, const char *key) {
    for (size_t i = 0; at && i < at->nkv; i++)
        if (strcmp(at->kv[i].key, key) == 0) return at->kv[i].value;
    return NULL;
}

/* ---- safety ---------------------------------------------------------- */

TEST(markdown_raw_html_omitted) {
    rendered r;
    S_render(&r, "<script>alert(1)</script>\n\ntext <img src=x onerror=alert(1)> more\n\n"
                 "<div onclick=\"x()\">block</div>\n", 1);
    CHECK(r.rc == 0);
    CHECK(!S_has(r.doc.html, "<script"));
    CHECK(!S_has(r.doc.html, "alert(1)"));
    CHECK(!S_has(r.doc.html, "<img"));
    CHECK(!S_has(r.doc.html, "onerror"));
    CHECK(!S_has(r.doc.html, "onclick"));
    CHECK_CONTAINS(r.doc.html, "<p>text <!-- raw HTML omitted --> more</p>");
    CHECK(r.doc.html_len == strlen(r.doc.html));
    S_done(&r);
}

/* Inline tags that carry meaning are kept, bare and balanced; the rest of
 * the raw HTML is dropped, each piece with a warning at its place. */
TEST(markdown_inline_html_allow_list) {
    rendered r;
    S_render(&r, "完成时间：<s>June 30</s> <b>July 31*</b>\n\n"
                 "H<sub>2</sub>O, 10<sup>3</sup>, <DEL>旧</DEL><ins>新</ins>, <strong>重</strong> <em>e</em> <i>i</i>"
                 "<br>x<br/>y<br />z <!-- a comment -->\n\n<!-- 注释 -->\n", 3);
    CHECK(r.rc == 0);
    CHECK_CONTAINS(r.doc.html, "<p>完成时间：<s>June 30</s> <b>July 31*</b></p>");
    CHECK_CONTAINS(r.doc.html, "H<sub>2</sub>O, 10<sup>3</sup>, <del>旧</del><ins>新</ins>, "
                               "<strong>重</strong> <em>e</em> <i>i</i><br>x<br>y<br>z");
    CHECK_STR(r.msgs ? r.msgs : "", "");
    S_done(&r);

    S_render(&r, "a <b class=\"x\">attr</b> b <span>no</span> c <s>open\n\n"
                 "d </i> e <b><i>x</b></i> f <s/> g\n\n<div>block</div>\n", 3);
    CHECK(r.rc == 0);
    CHECK(!S_has(r.doc.html, "class="));
    CHECK(!S_has(r.doc.html, "<span"));
    CHECK(!S_has(r.doc.html, "<div"));
    CHECK_CONTAINS(r.doc.html, "c <!-- raw HTML omitted -->open</p>");
    /* <b><i>x</b></i>: the <b> pair is kept, <i> and </i> are not */
    CHECK_CONTAINS(r.doc.html, "e <b><!-- raw HTML omitted -->x</b><!-- raw HTML omitted --> f");
    CHECK_CONTAINS(r.msgs, "plans/x.md:3:3: warning: raw HTML dropped: <b class=\"x\"> (not a tag that is kept;");
    CHECK_CONTAINS(r.msgs, "plans/x.md:3:20: warning: raw HTML dropped: </b> (closes a tag that is not open;");
    CHECK_CONTAINS(r.msgs, "raw HTML dropped: <span> (not a tag that is kept;");
    CHECK_CONTAINS(r.msgs, "plans/x.md:3:45: warning: raw HTML dropped: <s> (not closed;");
    CHECK_CONTAINS(r.msgs, "plans/x.md:5:3: warning: raw HTML dropped: </i> (closes a tag that is not open;");
    CHECK_CONTAINS(r.msgs, "plans/x.md:5:13: warning: raw HTML dropped: <i> (not closed;");
    CHECK_CONTAINS(r.msgs, "raw HTML dropped: <s/> (not a tag that is kept;");
    CHECK_CONTAINS(r.msgs, "plans/x.md:7:1: warning: raw HTML dropped: <div>block</div> (an HTML block;");
    CHECK_CONTAINS(r.msgs, "kept are <s> <del> <ins> <sub> <sup> <b> <strong> <i> <em> <br>, without attributes)");
    CHECK(diag_errors(r.d) == 0);
    S_done(&r);

    /* a pair split by emphasis is not a pair; a span inside emphasis is */
    S_render(&r, "<b>x *y</b>* and *<i>z</i>*\n", 1);
    CHECK(r.rc == 0);
    CHECK_CONTAINS(r.doc.html, "<em><i>z</i></em>");
    CHECK(!S_has(r.doc.html, "<b>"));
    S_done(&r);
}

TEST(markdown_dangerous_links_dropped) {
    rendered r;
    S_render(&r, "[x](javascript:alert(1)) [y](JavaScript:alert(1)) [z](vbscript:x) "
                 "[f](file:///etc/passwd) [d](data:text/html;base64,PHNjcmlwdD4=) "
                 "<javascript:alert(2)> [ok](https://example.org/)\n", 1);
    CHECK(r.rc == 0);
    CHECK(!S_has(r.doc.html, "href=\"javascript:"));
    CHECK(!S_has(r.doc.html, "href=\"JavaScript:"));
    CHECK(!S_has(r.doc.html, "href=\"vbscript:"));
    CHECK(!S_has(r.doc.html, "href=\"file:"));
    CHECK(!S_has(r.doc.html, "href=\"data:"));
    CHECK_CONTAINS(r.doc.html, "<a href=\"\">x</a>");
    CHECK_CONTAINS(r.doc.html, "<a href=\"https://example.org/\">ok</a>");
    S_done(&r);
}

TEST(markdown_gfm_extensions) {
    rendered r;
    S_render(&r, "| 指标 | 目标 |\n|---|---:|\n| 科学素质 | 10% |\n\n~~删除~~ www.example.org\n", 1);
    CHECK(r.rc == 0);
    CHECK_CONTAINS(r.doc.html, "<table>");
    CHECK_CONTAINS(r.doc.html, "<th>指标</th>");
    CHECK_CONTAINS(r.doc.html, "<td align=\"right\">10%</td>");
    CHECK_CONTAINS(r.doc.html, "<del>删除</del>");
    CHECK_CONTAINS(r.doc.html, "<a href=\"http://www.example.org\">www.example.org</a>");
    S_done(&r);
}

/* ---- anchors and slugs ----------------------------------------------- */

TEST(markdown_slug) {
    arena *a = arena_new();
#define SLUG(s) md_slug(a, s, strlen(s))
    CHECK_STR(SLUG("一、发展基础与形势"), "一发展基础与形势");
    CHECK_STR(SLUG("（一）发展基础"), "一发展基础");
    CHECK_STR(SLUG("Goals & Tasks"), "goals--tasks");
    CHECK_STR(SLUG("“十三五”规划——总体要求……"), "十三五规划总体要求");
    CHECK_STR(SLUG("二〇二〇年 目标"), "二〇二〇年-目标");
    CHECK_STR(SLUG("1. 打造院士专家服务企业平台"), "1-打造院士专家服务企业平台");
    CHECK_STR(SLUG("snake_case-and-dash"), "snake_case-and-dash");
    CHECK_STR(SLUG("Ｆｕｌｌ　ＷＩＤＴＨ"), "ｆｕｌｌｗｉｄｔｈ");
    CHECK_STR(SLUG("Über Ökologie"), "über-ökologie");
    CHECK_STR(SLUG("!!!"), "section");
    CHECK_STR(SLUG(""), "section");
    CHECK_STR(md_slug(a, "\xff\xfe" "ab\xe4", 5), "ab");
    /* long texts are cut at a character boundary */
    char big[1000];
    for (int i = 0; i < 333; i++) memcpy(big + 3 * i, "规", 3);
    const char *s = md_slug(a, big, 999);
    CHECK(strlen(s) <= 120 && strlen(s) % 3 == 0 && strlen(s) > 100);
#undef SLUG
    arena_free(a);
}

TEST(markdown_heading_ids) {
    rendered r;
    S_render(&r, "# 湖北省科协“十三五”规划\n\n## 一、发展基础与形势\n\ntext\n\n## 一、发展基础与形势\n\n"
                 "### （一）发展基础\n\n## 一、发展基础与形势\n\nSetext Title\n------------\n", 1);
    CHECK(r.rc == 0);
    CHECK_CONTAINS(r.doc.html, "<h1 id=\"湖北省科协十三五规划\">湖北省科协“十三五”规划</h1>");
    CHECK_CONTAINS(r.doc.html, "<h2 id=\"一发展基础与形势\">一、发展基础与形势</h2>");
    CHECK_CONTAINS(r.doc.html, "<h2 id=\"一发展基础与形势-1\">");
    CHECK_CONTAINS(r.doc.html, "<h3 id=\"一发展基础\">（一）发展基础</h3>");
    CHECK_CONTAINS(r.doc.html, "<h2 id=\"一发展基础与形势-2\">");
    CHECK_CONTAINS(r.doc.html, "<h2 id=\"setext-title\">Setext Title</h2>");
    CHECK(r.doc.nblocks == 6);
    if (r.doc.nblocks == 6) {
        CHECK(r.doc.blocks[0].kind == MD_HEADING && r.doc.blocks[0].level == 1);
        CHECK(r.doc.blocks[0].parent == -1);
        CHECK(r.doc.blocks[1].parent == 0);
        CHECK(r.doc.blocks[3].parent == 2);
        CHECK(r.doc.blocks[4].parent == 0);
        CHECK(r.doc.blocks[1].line == 3 && r.doc.blocks[1].col == 1);
        CHECK_STR(r.doc.blocks[1].text, "一、发展基础与形势");
        CHECK(r.doc.blocks[1].attrs == NULL);
        CHECK_STR(r.doc.blocks[5].anchor, "setext-title");
    }
    S_done(&r);
}

TEST(markdown_explicit_ids_win) {
    rendered r;
    /* the auto slug "goals" must step aside for the later explicit #goals */
    S_render(&r, "## Goals\n\n## Other {#goals}\n\n## Goals\n", 1);
    CHECK(r.rc == 0);
    CHECK_CONTAINS(r.doc.html, "<h2 id=\"goals-1\">Goals</h2>");
    CHECK_CONTAINS(r.doc.html, "<h2 id=\"goals\">Other</h2>");
    CHECK_CONTAINS(r.doc.html, "<h2 id=\"goals-2\">Goals</h2>");
    S_done(&r);
}

TEST(markdown_duplicate_explicit_id) {
    rendered r;
    S_render(&r, "## A {#t1}\n\n## B {#t1}\n", 10);
    /* reported, and rendering goes on (the build fails on the error) so
     * that the plan's other problems are found in the same run; the
     * repeat gets a slug so that the page has no two equal ids */
    CHECK(r.rc == 0);
    CHECK_CONTAINS(r.msgs, "plans/x.md:12:6: error: duplicate id \"t1\" (first used on line 10)");
    CHECK_CONTAINS(r.doc.html, "<h2 id=\"t1\">A</h2>");
    CHECK_CONTAINS(r.doc.html, "<h2 id=\"b\">B</h2>");
    S_done(&r);
}

/* ---- attribute blocks ------------------------------------------------ */

TEST(markdown_attrs_heading) {
    rendered r;
    S_render(&r, "## 三、重点任务 {.tasks}\n\n"
                 "### 1. 打造院士专家服务企业平台 {#t1-1 .task goals=\"g1\" lead=\"hubei-cast-xhb\" "
                 "partners='hubei-city-casts' due=2020-12-31}\n\nbody\n", 1);
    CHECK(r.rc == 0);
    CHECK(!S_has(r.doc.html, "{"));
    CHECK(!S_has(r.doc.html, "hubei-cast-xhb"));
    CHECK_CONTAINS(r.doc.html, "<h2 id=\"三重点任务\">三、重点任务</h2>");
    CHECK_CONTAINS(r.doc.html, "<h3 id=\"t1-1\">1. 打造院士专家服务企业平台</h3>");
    CHECK(r.doc.nblocks == 2);
    if (r.doc.nblocks == 2) {
        const md_block *b = &r.doc.blocks[1];
        CHECK_STR(b->text, "1. 打造院士专家服务企业平台");
        CHECK_STR(b->anchor, "t1-1");
        CHECK(b->parent == 0);
        CHECK(b->attrs != NULL);
        if (b->attrs) {
            CHECK_STR(b->attrs->id, "t1-1");
            CHECK(b->attrs->nclasses == 1);
            CHECK(b->attrs->nclasses == 1 && strcmp(b->attrs->classes[0], "task") == 0);
            CHECK(b->attrs->nkv == 4);
            CHECK_STR(S_kv(b->attrs, "goals"), "g1");
            CHECK_STR(S_kv(b->attrs, "lead"), "hubei-cast-xhb");
            CHECK_STR(S_kv(b->attrs, "partners"), "hubei-city-casts");
            CHECK_STR(S_kv(b->attrs, "due"), "2020-12-31");
            CHECK(b->attrs->line == 3);
            CHECK(b->attrs->col == (int)strlen("### 1. 打造院士专家服务企业平台 ") + 1);
        }
        const md_block *s = &r.doc.blocks[0];
        CHECK(s->attrs && s->attrs->nclasses == 1 && s->attrs->id == NULL);
        CHECK_STR(s->text, "三、重点任务");
    }
    S_done(&r);
}

TEST(markdown_attrs_markup_in_values) {
    rendered r;
    /* values with '_', '*', URLs and e-mail addresses: cmark makes emphasis
     * and links of them, but the block is cut whole and read raw */
    S_render(&r, "# *Plan* title {#p .goal note=\"a *b* c_d_e\" url=\"https://x.org/a_b\" "
                 "mail=\"a@b.org\" k=\"`x`\"}\n\n"
                 "## ATX closed {#closed} ##\n\n"
                 "Setext {#st}\n===\n", 1);
    CHECK(r.rc == 0);
    CHECK_CONTAINS(r.doc.html, "<h1 id=\"p\"><em>Plan</em> title</h1>");
    CHECK_CONTAINS(r.doc.html, "<h2 id=\"closed\">ATX closed</h2>");
    CHECK_CONTAINS(r.doc.html, "<h1 id=\"st\">Setext</h1>");
    CHECK(!S_has(r.doc.html, "x.org"));
    CHECK(!S_has(r.doc.html, "mailto"));
    if (r.doc.nblocks == 3) {
        const md_attrs *at = r.doc.blocks[0].attrs;
        CHECK_STR(r.doc.blocks[0].text, "Plan title");
        CHECK_STR(S_kv(at, "note"), "a *b* c_d_e");
        CHECK_STR(S_kv(at, "url"), "https://x.org/a_b");
        CHECK_STR(S_kv(at, "mail"), "a@b.org");
        CHECK_STR(S_kv(at, "k"), "`x`");
    } else {
        CHECK(r.doc.nblocks == 3);
    }
    S_done(&r);
}

TEST(markdown_attrs_list_item) {
    rendered r;
    S_render(&r, "## 重点任务\n\n"
                 "- 加强科普工作 {#t2 .task lead=\"hunan-cast\"}\n"
                 "- 没有属性的条目\n"
                 "  - 子任务，第一行\n"
                 "    第二行 {#t2-1 .task}\n"
                 "- 条目 {.measure}\n", 1);
    CHECK(r.rc == 0);
    CHECK_CONTAINS(r.doc.html, "<li id=\"t2\">加强科普工作</li>");
    CHECK_CONTAINS(r.doc.html, "<li>没有属性的条目");
    CHECK_CONTAINS(r.doc.html, "<li id=\"t2-1\">子任务，第一行\n第二行</li>");
    CHECK_CONTAINS(r.doc.html, "<li id=\"条目\">条目</li>");
    CHECK(!S_has(r.doc.html, "{"));
    CHECK(r.doc.nblocks == 4);
    if (r.doc.nblocks == 4) {
        const md_block *b = &r.doc.blocks[1];
        CHECK(b->kind == MD_ITEM && b->level == 1 && b->parent == 0);
        CHECK_STR(b->text, "加强科普工作");
        CHECK(b->line == 3 && b->col == 1);
        CHECK_STR(S_kv(b->attrs, "lead"), "hunan-cast");
        b = &r.doc.blocks[2];
        CHECK(b->kind == MD_ITEM && b->level == 2 && b->parent == 0);
        CHECK_STR(b->text, "子任务，第一行 第二行");
        CHECK_STR(b->anchor, "t2-1");
        /* columns count bytes, as cmark's do: "    第二行 " is 14 bytes */
        CHECK(b->attrs && b->attrs->line == 6 && b->attrs->col == 15);
        CHECK_STR(r.doc.blocks[3].anchor, "条目");
    }
    S_done(&r);
}

TEST(markdown_attrs_attr_only_line) {
    rendered r;
    /* a paragraph whose last line is only the block; a heading that is
     * only the block; a block in a block quote */
    S_render(&r, "- first line\n  {#only}\n\n## {#empty}\n\n> ## quoted {#q}\n", 1);
    CHECK(r.rc == 0);
    CHECK_CONTAINS(r.doc.html, "<li id=\"only\">first line</li>");
    CHECK_CONTAINS(r.doc.html, "<h2 id=\"empty\"></h2>");
    CHECK_CONTAINS(r.doc.html, "<h2 id=\"q\">quoted</h2>");
    S_done(&r);
}

TEST(markdown_braces_left_alone) {
    rendered r;
    S_render(&r, "## a {b} c\n\n## Set {x}\n\n## mid {#x} tail\n\n## escaped \\{#e}\n\n"
                 "## code `{#c}`\n\n## span `x {#s` y\n\n- item {a, b}\n\n## link [t](http://x/{#l})\n\n"
                 "## autolink www.example.org/{#w}\n\n```\n## fenced {#f}\n- {#g}\n```\n", 1);
    CHECK(r.rc == 0);
    CHECK_CONTAINS(r.doc.html, "<h2 id=\"a-b-c\">a {b} c</h2>");
    CHECK_CONTAINS(r.doc.html, "<h2 id=\"set-x\">Set {x}</h2>");
    CHECK_CONTAINS(r.doc.html, "<h2 id=\"mid-x-tail\">mid {#x} tail</h2>");
    CHECK_CONTAINS(r.doc.html, "<h2 id=\"escaped-e\">escaped {#e}</h2>");
    CHECK_CONTAINS(r.doc.html, "<h2 id=\"code-c\">code <code>{#c}</code></h2>");
    CHECK_CONTAINS(r.doc.html, "<code>x {#s</code> y</h2>");
    CHECK_CONTAINS(r.doc.html, "<li>item {a, b}</li>");
    CHECK_CONTAINS(r.doc.html, "<a href=\"http://x/%7B#l%7D\">t</a></h2>");
    CHECK_CONTAINS(r.doc.html, "www.example.org/{#w}</a></h2>");
    CHECK_CONTAINS(r.doc.html, "## fenced {#f}\n- {#g}\n</code></pre>");
    S_done(&r);
    /* braces that went into a link destination are the link's */
    S_render(&r, "## {x} [a](<{#q k=\">)\"}\n\n## ![i]( {#q )v=\"a\"}\n", 1);
    CHECK(r.rc == 0);
    CHECK_CONTAINS(r.doc.html, "<h2 id=\"x-a\">{x} <a href=\"%7B#q%20k=%22\">a</a>&quot;}</h2>");
    CHECK_CONTAINS(r.doc.html, "<img src=\"%7B#q\" alt=\"i\" />v=&quot;a&quot;}</h2>");
    for (size_t i = 0; i < r.doc.nblocks; i++) CHECK(r.doc.blocks[i].attrs == NULL);
    S_done(&r);
}

TEST(markdown_unclosed_attr_block) {
    rendered r;
    /* src starts on file line 5: the heading is on file line 7 */
    S_render(&r, "# Plan\n\n### 1. 打造平台 {#t1 .task\n\ntext\n", 5);
    CHECK(r.rc == -1);
    char want[128];
    snprintf(want, sizeof want, "plans/x.md:7:%d: error: attribute block does not close",
             (int)strlen("### 1. 打造平台 ") + 1);
    CHECK_CONTAINS(r.msgs, want);
    S_done(&r);

    S_render(&r, "intro\n\n- item {lead=\"x\"\n", 5);
    CHECK(r.rc == -1);
    CHECK_CONTAINS(r.msgs, "plans/x.md:7:8: error: attribute block does not close");
    S_done(&r);
}

TEST(markdown_bad_attr_block_positions) {
    rendered r;
    S_render(&r, "## A {#Bad_Id}\n\n## B {#b due=2020 due=2021}\n\n## C {#c x=\"open}\n\n"
                 "- D {.ok bogus}\n", 3);
    CHECK(r.rc == -1);
    CHECK_CONTAINS(r.msgs, "plans/x.md:3:8: error: invalid character in id");
    CHECK_CONTAINS(r.msgs, "plans/x.md:5:19: error: duplicate attribute \"due\"");
    CHECK_CONTAINS(r.msgs, "plans/x.md:7:12: error: quoted value does not close");
    CHECK_CONTAINS(r.msgs, "plans/x.md:9:15: error: expected '=' after attribute name");
    S_done(&r);

    S_render(&r, "## Link {#a t=\"[x](y)\"}\n", 1);
    CHECK(r.rc == -1);
    CHECK_CONTAINS(r.msgs, "plans/x.md:1:9: error: attribute block must not contain Markdown links");
    S_done(&r);
}

TEST(markdown_parse_attrs) {
    arena *a = arena_new();
    md_attrs at;
    const char *err;
    size_t off;
#define PA(s) md_parse_attrs(a, s, strlen(s), &at, &err, &off)
    CHECK(PA("{#t1-1 .task .big goals=\"g1,g2\" lead='a b' due=2020-12-31}") == 0);
    CHECK_STR(at.id, "t1-1");
    CHECK(at.nclasses == 2 && strcmp(at.classes[1], "big") == 0);
    CHECK(at.nkv == 3 && strcmp(at.kv[1].value, "a b") == 0 && strcmp(at.kv[2].key, "due") == 0);
    CHECK(PA("{}") == 0 && at.id == NULL && at.nclasses == 0 && at.nkv == 0);
    CHECK(PA("{ #x }") == 0 && strcmp(at.id, "x") == 0);
    CHECK(PA("{k=\"\"}") == 0 && at.nkv == 1 && at.kv[0].value[0] == '\0');
    CHECK(PA("{k=\"a}b{c\"}") == 0 && strcmp(at.kv[0].value, "a}b{c") == 0);

    CHECK(PA("#x}") == -1 && off == 0);
    CHECK(PA("{#x") == -1 && strstr(err, "does not close") && off == 0);
    CHECK(PA("{#X}") == -1 && strstr(err, "id") && off == 2);
    CHECK(PA("{#}") == -1 && strstr(err, "empty id"));
    CHECK(PA("{#a #b}") == -1 && strstr(err, "more than one id") && off == 4);
    CHECK(PA("{.}") == -1 && strstr(err, "empty class"));
    CHECK(PA("{.a!}") == -1 && strstr(err, "class") && off == 3);
    CHECK(PA("{a=1 a=2}") == -1 && strcmp(err, "duplicate attribute") == 0 && off == 5);
    CHECK(PA("{a}") == -1 && strstr(err, "expected '='") && off == 2);
    CHECK(PA("{a-b!=1}") == -1 && strstr(err, "attribute name") && off == 4);
    CHECK(PA("{9a=1}") == -1 && strstr(err, "expected #id") && off == 1);
    CHECK(PA("{a=}") == -1 && strstr(err, "missing value") && off == 3);
    CHECK(PA("{a=\"x}") == -1 && strstr(err, "quoted value does not close") && off == 3);
    CHECK(PA("{a=\"x\"b=1}") == -1 && strstr(err, "space after") && off == 6);
    CHECK(PA("{a=\"x\ny\"}") == -1 && strstr(err, "one line") && off == 5);
    CHECK(PA("{a=x\"y}") == -1 && strstr(err, "unquoted") && off == 4);
    CHECK(PA("{#a} tail") == -1 && strstr(err, "after the attribute block") && off == 4);
    CHECK(PA("") == -1);
    char big[MD_MAX_ATTR_BLOCK + 10];
    memset(big, 'a', sizeof big);
    big[0] = '{';
    memcpy(big + 1, "k=", 2);
    big[sizeof big - 1] = '}';
    CHECK(md_parse_attrs(a, big, sizeof big, &at, &err, &off) == -1 && strstr(err, "too long"));
#undef PA
    arena_free(a);
}

TEST(markdown_full_width_space_before_block) {
    rendered r;
    S_render(&r, "## 保障措施　{#bz .measures}\n", 1);
    CHECK(r.rc == 0);
    CHECK_CONTAINS(r.doc.html, "<h2 id=\"bz\">保障措施</h2>");
    S_done(&r);
}

TEST(markdown_crlf) {
    rendered r;
    S_render(&r, "# T\r\n\r\n## A {#a}\r\n\r\n- x {#b}\r\n- y {#c\r\n", 1);
    CHECK(r.rc == -1);
    CHECK_CONTAINS(r.msgs, "plans/x.md:6:5: error: attribute block does not close");
    S_done(&r);
    S_render(&r, "# T\r\n\r\n## A {#a}\r\n\r\n- x {#b}\r\n", 1);
    CHECK(r.rc == 0);
    CHECK_CONTAINS(r.doc.html, "<h2 id=\"a\">A</h2>");
    CHECK_CONTAINS(r.doc.html, "<li id=\"b\">x</li>");
    S_done(&r);
}

TEST(markdown_setext_many) {
    /* the block is read from the line above the underline; many setext
     * headings must stay linear (the line cursor steps back, not restarts) */
    size_t n = 5000, cap = n * 64, len = 0;
    char *src = malloc(cap);
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(src + len, cap - len, "Title %zu {#no}\r\nline two {#s%zu}\r\n---\r\n\r\n", i, i);
    rendered r;
    double t0 = S_now();
    S_render_n(&r, src, len, 1);
    CHECK(S_now() - t0 < 2.0);
    CHECK(r.rc == 0);
    CHECK_CONTAINS(r.doc.html, "<h2 id=\"s0\">Title 0 {#no}\nline two</h2>");
    CHECK(r.doc.nblocks == n);
    if (r.doc.nblocks == n) {
        CHECK_STR(r.doc.blocks[n - 1].anchor, "s4999");
        CHECK(r.doc.blocks[n - 1].attrs->line == (int)(4 * n - 2));
        CHECK(r.doc.blocks[n - 1].line == (int)(4 * n - 3));
    }
    S_done(&r);
    free(src);
}

/* ---- limits and robustness ------------------------------------------- */

static char *S_repeat(const char *unit, size_t times, const char *tail) {
    size_t ul = strlen(unit), tl = strlen(tail);
    char *s = malloc(ul * times + tl + 1);
    for (size_t i = 0; i < times; i++) memcpy(s + i * ul, unit, ul);
    memcpy(s + ul * times, tail, tl + 1);
    return s;
}

TEST(markdown_deep_nesting_bounded) {
    rendered r;
    const char *units[] = {"- ", ">", "> ", "1. ", "* > "};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        char *s = S_repeat(units[i], 10000, "x\nlazy\nlazy\n");
        double t0 = S_now();
        S_render(&r, s, 1);
        CHECK(S_now() - t0 < 2.0);
        CHECK(r.rc == -1);
        CHECK_CONTAINS(r.msgs, "plans/x.md:1:1: error: lists and block quotes nested deeper than 100");
        S_done(&r);
        free(s);
    }
    /* 10,000 lines of '>' and a staircase that nests one level per line */
    char *s = S_repeat(">\n", 10000, "");
    S_render(&r, s, 1);
    CHECK(r.rc == 0);
    S_done(&r);
    free(s);
    size_t n = 2000, len = 0;
    s = malloc(n * (n + 1) / 2 + n + 1);
    for (size_t i = 1; i <= n; i++) {
        memset(s + len, '>', i);
        len += i;
        s[len++] = '\n';
    }
    double t0 = S_now();
    S_render_n(&r, s, len, 1);
    CHECK(S_now() - t0 < 2.0);
    CHECK(r.rc == -1);
    CHECK_CONTAINS(r.msgs, "plans/x.md:101:1: error: lists and block quotes nested deeper than 100");
    S_done(&r);
    free(s);
    /* nesting built from indentation is caught in the tree */
    len = 0;
    s = malloc(200 * 210);
    for (int i = 0; i < 120; i++) {
        memset(s + len, ' ', (size_t)i * 2);
        len += (size_t)i * 2;
        memcpy(s + len, "- x\n", 4);
        len += 4;
    }
    S_render_n(&r, s, len, 1);
    CHECK(r.rc == -1);
    CHECK_CONTAINS(r.msgs, "plans/x.md:101:201: error: lists and block quotes nested deeper than 100");
    S_done(&r);
    free(s);
    /* exactly at the limit is fine; "- - - -" is a thematic break */
    s = S_repeat("- ", 99, "x\n");
    S_render(&r, s, 1);
    CHECK(r.rc == 0);
    S_done(&r);
    free(s);
    s = S_repeat("- ", 500, "\n");
    S_render(&r, s, 1);
    CHECK(r.rc == 0);
    CHECK_CONTAINS(r.doc.html, "<hr />");
    S_done(&r);
    free(s);
}

TEST(markdown_wide_table_refused) {
    rendered r;
    char *s = S_repeat("|x", 20000, "|\n");
    char *doc = malloc(strlen(s) + 16);
    strcpy(doc, "|a|\n|-|\n");
    strcat(doc, s);
    double t0 = S_now();
    S_render(&r, doc, 1);
    CHECK(S_now() - t0 < 2.0);
    CHECK(r.rc == -1);
    CHECK_CONTAINS(r.msgs, "plans/x.md:3:257: error: more than 128 table cells");
    S_done(&r);
    free(s);
    free(doc);
}

TEST(markdown_invalid_utf8_and_nul) {
    rendered r;
    const char src[] = "# \xff\xfe head\xe4 {#h}\n\n- \xc0\x80 item {.x}\n\ntext \0 nul \xed\xa0\x80\n";
    S_render_n(&r, src, sizeof src - 1, 1);
    CHECK(r.rc == 0);
    CHECK(r.doc.html != NULL);
    CHECK(r.doc.nblocks == 2);
    S_done(&r);
    S_render_n(&r, "", 0, 1);
    CHECK(r.rc == 0 && r.doc.html_len == 0 && r.doc.nblocks == 0);
    S_done(&r);
    S_render_n(&r, NULL, 0, 1);
    CHECK(r.rc == 0);
    S_done(&r);
}

TEST(markdown_speed) {
    /* a plan-like document of ~20 KB: headings with attribute blocks,
     * items, tables and long Chinese paragraphs */
    const char *para = "坚持创新驱动发展，推动科协事业全面发展，到2020年全省公民具备科学素质的比例达到10%，"
                       "各级科协组织建设明显加强（牵头单位：省科协；配合单位：各市州科协）。\n\n";
    arena *a = arena_new();
    size_t cap = 64 * 1024, len = 0;
    char *src = malloc(cap);
    int k = 0;
    while (len < 20000) {
        len += (size_t)snprintf(src + len, cap - len,
                                "## %d、重点任务 {#t%d .task lead=\"hubei-cast\" due=\"2020-12-31\"}\n\n%s"
                                "- 加强基层组织建设 {#i%d .measure}\n- 普通条目\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n%s",
                                k, k, para, k, para);
        k++;
    }
    diag *d = diag_new(0);
    md_doc doc;
    int iters = 100;
    double t0 = S_now();
    for (int i = 0; i < iters; i++) CHECK(md_render(a, d, "x.md", 1, src, len, &doc) == 0);
    /* 2 MB; a release build does this in ~10 ms, sanitizers in ~0.2 s */
    CHECK(S_now() - t0 < 5.0);
    CHECK(doc.nblocks == (size_t)k * 2);
    diag_free(d);
    arena_free(a);
    free(src);
}
