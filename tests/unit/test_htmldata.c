/* test_htmldata.c — HTML kept as data (the history cache): what planpress
 * writes comes back byte for byte; whatever the data holds, no script, no
 * handler, no other element, no javascript: link comes out. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "content.h"
#include "diag.h"
#include "harness.h"
#include "history.h"
#include "htmldata.h"
#include "markdown.h"
#include "strbuf.h"
#include "textdiff.h"

static int S_roundtrip(const char *html, size_t len) {
    strbuf b = STRBUF_INIT;
    arena *a = arena_new();
    int ok = htmldata_encode(&b, html, len) == 0;
    size_t n = 0;
    char *back = ok ? htmldata_decode(a, b.ptr, b.len, &n) : NULL;
    ok = back && n == len && memcmp(back, html, len) == 0;
    sb_free(&b);
    arena_free(a);
    return ok;
}

/* A plan as content_parse_plan renders it (cmark-gfm, anchors, roles'
 * marks and body links), and a diff as textdiff writes it. */
TEST(htmldata_what_planpress_writes_comes_back) {
    static const char src[] =
        "---\ntitle: 规划\n---\n"
        "## 一、目标 {.goals}\n### （一）提高素质 {#g1}\n到2020年达到10%。\n\n"
        "## 二、任务 {.tasks}\n### 1. 建设 {#t1 goals=\"g1\"}\n内容（牵头单位：省科协；配合单位：省教育厅）\n\n"
        "- 列表 *强调* **加粗** ~~删除~~ `code`\n- [链接](https://example.org/a?b=1&c='2' \"标题\")\n"
        "- [站内](pp:plans/x/) <https://auto.example.org> <b>raw</b>\n\n"
        "3. three\n4. four\n\n- a\n\n\n- b\n\n"
        "| a | b |\n|:-|:-:|\n| 1 | 2 |\n\n> quote\n\n---\n\n"
        "```lua\nx = \"<y>\"\n```\n\n![图](data:image/png;base64,AAAA) ![x](img/a.png)\n"
        "[bad](javascript:alert(1)) line  \nbreak &amp; &copy; \"q\"\n";
    arena *a = arena_new();
    diag *d = diag_new(0);
    bodies bs;
    bodies_init(&bs, a);
    md_init();
    plan p;
    CHECK(content_parse_plan(a, d, &bs, "plans/p.md", "p", src, strlen(src), 0, &p) == 0);
    CHECK(p.doc.md.html && strstr(p.doc.md.html, "<table>") && strstr(p.doc.md.html, "item-link"));
    CHECK(S_roundtrip(p.doc.md.html, p.doc.md.html_len));

    strbuf dh = STRBUF_INIT;
    const char *x = "# 标题\n\n第一段 <b>&amp;</b>。\n\n第二段。\n\n第三段。\n\n第四段。\n";
    CHECK(textdiff_html(&dh, x, strlen(x), x, strlen(x), "%zu 段未改动", 1, NULL) == 0);
    CHECK(strstr(sb_str(&dh), "<details class=\"diff-fold\"><summary>"));
    CHECK(S_roundtrip(sb_str(&dh), dh.len));
    sb_clear(&dh);
    const char *c1 = "推动科技<创新>。\n", *c2 = "推进科技<创新>。\n";
    CHECK(textdiff_html(&dh, c1, strlen(c1), c2, strlen(c2), NULL, 2, NULL) == 0);
    CHECK(strstr(sb_str(&dh), "<del>") && strstr(sb_str(&dh), "&lt;"));
    CHECK(S_roundtrip(sb_str(&dh), dh.len));
    sb_clear(&dh);
    const char *m1 = "第一段。\n\n第二段。\n\n第三段。\n\n要移动的一段。\n";
    const char *m2 = "要移动的一段。\n\n第一段。\n\n第二段。\n\n第三段。\n";
    CHECK(textdiff_html(&dh, m1, strlen(m1), m2, strlen(m2), NULL, -1, NULL) == 0);
    CHECK(strstr(sb_str(&dh), "href=\"#diff-move-1\""));
    CHECK(S_roundtrip(sb_str(&dh), dh.len));
    sb_free(&dh);
    CHECK(S_roundtrip("", 0));
    /* not in the form planpress writes: not kept */
    strbuf b = STRBUF_INIT;
    CHECK(htmldata_encode(&b, "<script>x</script>", 18) < 0);
    sb_clear(&b);
    CHECK(htmldata_encode(&b, "<p onclick=\"x\">", 15) < 0);
    sb_clear(&b);
    CHECK(htmldata_encode(&b, "<a href='x'>", 12) < 0);
    sb_clear(&b);
    CHECK(htmldata_encode(&b, "<a href=\"javascript:x\">", 23) < 0);
    sb_free(&b);
    diag_free(d);
    arena_free(a);
}

static void S_u32(strbuf *b, uint32_t v) {
    unsigned char p[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    sb_append(b, (const char *)p, 4);
}

static void S_text(strbuf *b, const char *s) {
    sb_putc(b, 'T');
    S_u32(b, (uint32_t)strlen(s));
    sb_puts(b, s);
}

/* <TAG ATTR="value"> with the numbers of the tables in htmldata.c */
static void S_tag_attr(strbuf *b, int tag, int attr, const char *v) {
    sb_putc(b, 'S');
    sb_putc(b, (char)tag);
    sb_putc(b, 1);
    sb_putc(b, (char)(attr | 0x80));
    S_u32(b, (uint32_t)strlen(v));
    sb_puts(b, v);
}

static const char *S_decode(arena *a, const strbuf *b) {
    size_t n;
    return htmldata_decode(a, b->ptr, b->len, &n);
}

TEST(htmldata_hostile_data_never_comes_out_as_markup) {
    arena *a = arena_new();
    strbuf b = STRBUF_INIT;
    /* the same data, sound: <p>x</p> with a link */
    S_tag_attr(&b, 19 /* p */, 1 /* class */, "c");
    S_tag_attr(&b, 0 /* a */, 2 /* href */, "https://example.org/?a=1&amp;b=2");
    S_text(&b, "x &lt;y&gt; &#x4e00; &#20013;");
    sb_putc(&b, 'E');
    sb_putc(&b, 0);
    CHECK_STR(S_decode(a, &b), "<p class=\"c\"><a href=\"https://example.org/?a=1&amp;b=2\">x &lt;y&gt; &#x4e00; &#20013;</a>");
    static const char *const texts[] = {"<script>alert(1)</script>", "a & b", "&#x3c", "&;", "bad \xff utf-8"};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        sb_clear(&b);
        S_text(&b, texts[i]);
        CHECK(S_decode(a, &b) == NULL);
    }
    static const char *const hrefs[] = {"javascript:alert(1)", "JaVaScRiPt:alert(1)", "vbscript:x", "data:text/html,x",
                                        "java&#x09;script:x", " javascript:x", "java\tscript:x", "file:///etc/passwd"};
    for (size_t i = 0; i < sizeof hrefs / sizeof *hrefs; i++) {
        sb_clear(&b);
        S_tag_attr(&b, 0, 2, hrefs[i]);
        CHECK(S_decode(a, &b) == NULL);
        sb_clear(&b);
        S_tag_attr(&b, 15 /* img */, 4 /* src */, hrefs[i]);
        CHECK(S_decode(a, &b) == NULL);
    }
    sb_clear(&b);
    S_tag_attr(&b, 15, 4, "data:image/png;base64,AAAA");
    CHECK(S_decode(a, &b) != NULL);
    /* a value cannot close its quotes; tags and attributes outside the tables */
    sb_clear(&b);
    S_tag_attr(&b, 19, 1, "x\" onclick=\"alert(1)");
    CHECK(S_decode(a, &b) == NULL);
    static const unsigned char bad[][8] = {{'S', 200, 0}, {'E', 120}, {'S', 19, 1, 100}, {'C', 2}, {'X'}, {'T', 9, 0, 0}};
    static const size_t blen[] = {3, 2, 4, 2, 1, 4};
    for (size_t i = 0; i < sizeof blen / sizeof *blen; i++) {
        size_t n;
        CHECK(htmldata_decode(a, bad[i], blen[i], &n) == NULL);
    }
    sb_free(&b);
    arena_free(a);
}

/* A revision's value: its HTML is data; a change names a known kind and an
 * item id that stays one path segment. */
TEST(history_revision_value_holds_data) {
    arena *a = arena_new();
    plan_revision rev;
    memset(&rev, 0, sizeof rev);
    rev.html = "<p>正文 &amp; <a href=\"pp:plans/x/\">链接</a></p>\n";
    rev.html_len = strlen(rev.html);
    rev.diff_html = "<div class=\"diff-block diff-change\">正<del>文</del><ins>本</ins></div>\n";
    plan_change ch = {"item-title", NULL, "t1", "任务", 1, "旧", "新"};
    rev.changes = &ch;
    rev.nchanges = 1;
    strbuf b = STRBUF_INIT;
    CHECK(history_revision_encode(&b, &rev, "标题") == 0);
    CHECK(memmem(b.ptr, b.len, "<p>", 3) == NULL && memmem(b.ptr, b.len, "<div", 4) == NULL); /* data, not markup */
    plan_revision out;
    memset(&out, 0, sizeof out);
    const char *title = NULL;
    CHECK(history_revision_decode(a, b.ptr, b.len, &out, &title) == 0);
    CHECK_STR(out.html, rev.html);
    CHECK_STR(out.diff_html, rev.diff_html);
    CHECK_STR(title, "标题");
    CHECK(out.nchanges == 1 && strcmp(out.changes[0].item_id, "t1") == 0);
    /* markup planpress does not write is not kept */
    plan_revision odd = rev;
    odd.html = "<p>x</p><script>alert(1)</script>";
    odd.html_len = strlen(odd.html);
    strbuf c = STRBUF_INIT;
    CHECK(history_revision_encode(&c, &odd, "t") < 0);
    sb_free(&c);
    /* hostile changes */
    static const char *const ids[] = {"../../../x", "a/b", "..", "x?y"};
    for (size_t i = 0; i < sizeof ids / sizeof *ids + 1; i++) {
        plan_change h = ch;
        if (i < sizeof ids / sizeof *ids) h.item_id = ids[i];
        else h.kind = "<script>";
        odd = rev;
        odd.changes = &h;
        strbuf e = STRBUF_INIT;
        CHECK(history_revision_encode(&e, &odd, "t") == 0);
        CHECK(history_revision_decode(a, e.ptr, e.len, &out, &title) < 0);
        sb_free(&e);
    }
    sb_free(&b);
    arena_free(a);
}
