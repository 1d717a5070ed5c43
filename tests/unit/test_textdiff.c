/* test_textdiff.c — textdiff: blocks aligned, moves, character marks, folding, limits. */
#include <stdlib.h>

#include "harness.h"
#include "strbuf.h"
#include "textdiff.h"

/* Diffs two C strings with no folding; the caller frees the result. */
static char *S_diff(const char *a, const char *b, int context, textdiff_stats *st) {
    strbuf out = STRBUF_INIT;
    int rc = textdiff_html(&out, a, strlen(a), b, strlen(b), "%zu 段未改动", context, st);
    if (rc != 0) {
        sb_free(&out);
        return NULL;
    }
    char *s = strdup(sb_str(&out));
    sb_free(&out);
    return s;
}

static size_t S_count(const char *hay, const char *needle) {
    size_t k = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) k++;
    return k;
}

TEST(textdiff_identical_folded) {
    textdiff_stats st;
    const char *t = "# 标题\n\n第一段。\n\n第二段。\n\n第三段。\n";
    char *h = S_diff(t, t, 2, &st);
    CHECK_STR(h, "<details class=\"diff-fold\"><summary>4 段未改动</summary>\n"
                 "<div class=\"diff-block diff-same diff-heading\"># 标题</div>\n"
                 "<div class=\"diff-block diff-same\">第一段。</div>\n"
                 "<div class=\"diff-block diff-same\">第二段。</div>\n"
                 "<div class=\"diff-block diff-same\">第三段。</div>\n"
                 "</details>\n");
    CHECK(st.same == 4 && st.added == 0 && st.removed == 0 && st.changed == 0 && st.moved == 0);
    char sum[128];
    textdiff_summary(sum, sizeof sum, &st, 0);
    CHECK_STR(sum, "文字未改动");
    free(h);
    h = S_diff(t, t, -1, &st); /* no folding */
    CHECK(h && !strstr(h, "<details") && S_count(h, "diff-same") == 4);
    free(h);
}

TEST(textdiff_one_chinese_char) {
    textdiff_stats st;
    char *h = S_diff("推动科技创新。\n", "推进科技创新。\n", 2, &st);
    CHECK_STR(h, "<div class=\"diff-block diff-change\">推<del>动</del><ins>进</ins>科技创新。</div>\n");
    CHECK(st.changed == 1 && st.chars_deleted == 1 && st.chars_inserted == 1 && st.same == 0);
    free(h);
}

TEST(textdiff_number_in_sentence) {
    textdiff_stats st;
    char *h = S_diff("到2025年，覆盖率达到10%以上。", "到2025年，覆盖率达到12%以上。", 2, &st);
    CHECK_STR(h, "<div class=\"diff-block diff-change\">到2025年，覆盖率达到<del>10</del><ins>12</ins>%以上。</div>\n");
    free(h);
    h = S_diff("The rate reaches 10 percent.", "The rate reaches 100 percent.", 2, &st);
    CHECK_CONTAINS(h, "reaches <del>10</del><ins>100</ins> percent.");
    CHECK(st.chars_inserted == 1 && st.chars_deleted == 0);
    free(h);
}

TEST(textdiff_gap_merged) {
    char *h = S_diff("一二三四五六七八九十", "一X三Y五六七八九十", 2, NULL);
    CHECK_STR(h, "<div class=\"diff-block diff-change\">一<del>二三四</del><ins>X三Y</ins>五六七八九十</div>\n");
    free(h);
}

TEST(textdiff_paragraph_added_removed) {
    textdiff_stats st;
    const char *a = "甲段。\n\n乙段。\n\n丙段。\n";
    const char *b = "甲段。\n\n乙段。\n\n新增的完全不同的一段文字。\n\n丙段。\n";
    char *h = S_diff(a, b, 2, &st);
    CHECK_STR(h, "<div class=\"diff-block diff-same\">甲段。</div>\n"
                 "<div class=\"diff-block diff-same\">乙段。</div>\n"
                 "<div class=\"diff-block diff-add\"><ins>新增的完全不同的一段文字。</ins></div>\n"
                 "<div class=\"diff-block diff-same\">丙段。</div>\n");
    CHECK(st.added == 1 && st.same == 3 && st.removed == 0);
    free(h);
    h = S_diff(b, a, 2, &st);
    CHECK_CONTAINS(h, "<div class=\"diff-block diff-del\"><del>新增的完全不同的一段文字。</del></div>\n");
    CHECK(st.removed == 1 && st.added == 0 && st.same == 3);
    char sum[128];
    textdiff_summary(sum, sizeof sum, &st, 1);
    CHECK_STR(sum, "1 paragraph removed");
    free(h);
}

TEST(textdiff_moved) {
    textdiff_stats st;
    const char *a = "第一段。\n\n第二段。\n\n第三段。\n\n要移动的一段。\n";
    const char *b = "要移动的一段。\n\n第一段。\n\n第二段。\n\n第三段。\n";
    char *h = S_diff(a, b, -1, &st);
    CHECK_STR(h, "<div class=\"diff-block diff-move diff-move-to\" id=\"diff-move-1\">要移动的一段。</div>\n"
                 "<div class=\"diff-block diff-same\">第一段。</div>\n"
                 "<div class=\"diff-block diff-same\">第二段。</div>\n"
                 "<div class=\"diff-block diff-same\">第三段。</div>\n"
                 "<div class=\"diff-block diff-move diff-move-from\" id=\"diff-moved-1\">"
                 "<a href=\"#diff-move-1\">要移动的一段。</a></div>\n");
    CHECK(st.moved == 1 && st.added == 0 && st.removed == 0 && st.same == 3);
    free(h);
}

TEST(textdiff_heading_changed) {
    textdiff_stats st;
    char *h = S_diff("## 主要目标\n正文不变。\n", "## 主要任务\n正文不变。\n", 2, &st);
    CHECK_STR(h, "<div class=\"diff-block diff-change diff-heading\">## 主要<del>目标</del><ins>任务</ins></div>\n"
                 "<div class=\"diff-block diff-same\">正文不变。</div>\n");
    CHECK(st.changed == 1 && st.same == 1);
    free(h);
}

TEST(textdiff_crlf) {
    textdiff_stats st;
    char *h = S_diff("第一行\r\n第二行\r\n\r\n另一段\r\n", "第一行\n第二行\n\n另一段\n", -1, &st);
    CHECK_STR(h, "<div class=\"diff-block diff-same\">第一行\n第二行</div>\n"
                 "<div class=\"diff-block diff-same\">另一段</div>\n");
    CHECK(st.same == 2 && st.changed == 0);
    free(h);
}

TEST(textdiff_empty_sides) {
    textdiff_stats st;
    char *h = S_diff("", "# 新规划\n\n正文。\n", 2, &st);
    CHECK_STR(h, "<div class=\"diff-block diff-add diff-heading\"><ins># 新规划</ins></div>\n"
                 "<div class=\"diff-block diff-add\"><ins>正文。</ins></div>\n");
    CHECK(st.added == 2 && st.same == 0);
    free(h);
    h = S_diff("# 旧规划\n\n正文。\n", "", 2, &st);
    CHECK(h && S_count(h, "diff-del") == 2 && st.removed == 2);
    free(h);
    h = S_diff("", "", 2, &st);
    CHECK_STR(h, "");
    free(h);
    strbuf out = STRBUF_INIT;
    CHECK(textdiff_html(&out, NULL, 0, NULL, 0, NULL, 2, NULL) == 0);
    sb_free(&out);
}

TEST(textdiff_markup_escaped) {
    char *h = S_diff("a <b>x</b> & 'q'\n", "a <script>alert(1)</script> & \"q\"\n", 2, NULL);
    CHECK(h && !strstr(h, "<script") && !strstr(h, "<b>"));
    CHECK_CONTAINS(h, "&lt;");
    CHECK_CONTAINS(h, "&amp;");
    CHECK_CONTAINS(h, "&quot;");
    CHECK_CONTAINS(h, "&#39;");
    free(h);
    strbuf out = STRBUF_INIT;
    CHECK(textdiff_html(&out, "x\n\ny", 4, "x\n\ny", 4, "<b>%zu</b> 100%% & more", 0, NULL) == 0);
    CHECK_CONTAINS(sb_str(&out), "<summary>&lt;b&gt;2&lt;/b&gt; 100% &amp; more</summary>");
    sb_clear(&out);
    /* one unchanged block alone is not worth a fold */
    CHECK(textdiff_html(&out, "x", 1, "x", 1, NULL, 0, NULL) == 0);
    CHECK_STR(sb_str(&out), "<div class=\"diff-block diff-same\">x</div>\n");
    sb_free(&out);
}

TEST(textdiff_invalid_utf8) {
    textdiff_stats st;
    const char a[] = "abc\xff\xfe中文\xe4\xb8 end\n\n\xc0\x80\x01";
    const char b[] = "abd\xff中文\xe4\xb8\xad end\n\n\xc0\x80\x01";
    strbuf out = STRBUF_INIT;
    CHECK(textdiff_html(&out, a, sizeof a - 1, b, sizeof b - 1, NULL, 2, &st) == 0);
    const char *h = sb_str(&out);
    CHECK(!strstr(h, "\xff") && !strstr(h, "\xc0") && !strstr(h, "\x01"));
    CHECK_CONTAINS(h, "\xEF\xBF\xBD");
    CHECK(st.changed == 1 && st.same == 1);
    sb_free(&out);
}

TEST(textdiff_context_folding) {
    strbuf a = STRBUF_INIT, b = STRBUF_INIT;
    for (int i = 0; i < 10; i++) {
        sb_printf(&a, "第%d段内容。\n\n", i);
        sb_printf(&b, i == 5 ? "第%d段内容改了。\n\n" : "第%d段内容。\n\n", i);
    }
    strbuf out = STRBUF_INIT;
    textdiff_stats st;
    CHECK(textdiff_html(&out, a.ptr, a.len, b.ptr, b.len, "%zu unchanged", 2, &st) == 0);
    const char *h = sb_str(&out);
    /* 0..2 folded, 3 4 shown, 5 changed, 6 7 shown, 8 9 folded */
    CHECK_CONTAINS(h, "<summary>3 unchanged</summary>");
    CHECK_CONTAINS(h, "<summary>2 unchanged</summary>");
    CHECK_CONTAINS(h, "</details>\n<div class=\"diff-block diff-same\">第3段内容。</div>");
    CHECK_CONTAINS(h, "第7段内容。</div>\n<details");
    CHECK_CONTAINS(h, "内容<ins>改了</ins>。");
    CHECK(st.same == 9 && st.changed == 1 && st.chars_inserted == 2);
    sb_free(&out);
    sb_free(&a);
    sb_free(&b);
}

TEST(textdiff_stats_counts) {
    textdiff_stats st;
    const char *a = "# 规划\n\n目标一：到2025年达到10个。\n\n要删除的这一段与别的都不一样。\n\n"
                    "甲。\n\n乙。\n\n挪走的段落。\n\n结尾。\n";
    const char *b = "挪走的段落。\n\n# 规划\n\n目标一：到2025年达到12个。\n\nQuite another paragraph here.\n\n"
                    "甲。\n\n乙。\n\n结尾。\n";
    char *h = S_diff(a, b, 2, &st);
    CHECK(h != NULL);
    CHECK(st.same == 4);
    CHECK(st.changed == 1);
    CHECK(st.moved == 1);
    CHECK(st.added == 1);
    CHECK(st.removed == 1);
    char sum[128];
    textdiff_summary(sum, sizeof sum, &st, 0);
    CHECK_STR(sum, "改动 1 段，新增 1 段，删除 1 段，移动 1 段");
    textdiff_summary(sum, sizeof sum, &st, 1);
    CHECK_STR(sum, "1 paragraph changed, 1 added, 1 removed, 1 moved");
    char small[8];
    CHECK(textdiff_summary(small, sizeof small, &st, 1) > 8 && strlen(small) == 7);
    free(h);
}

TEST(textdiff_large_bounded) {
    /* 100,000 lines each side: every 7th changed, blocks inserted and removed */
    strbuf a = STRBUF_INIT, b = STRBUF_INIT;
    for (int i = 0; i < 100000; i++) {
        sb_printf(&a, "第%d行：推动高质量发展，line %d.\n", i, i);
        if (i % 7 == 3) sb_printf(&b, "第%d行：推进高质量发展，line %d!\n", i, i);
        else if (i % 1000 != 5) sb_printf(&b, "第%d行：推动高质量发展，line %d.\n", i, i);
        if (i % 10 == 9) {
            sb_puts(&a, "\n");
            sb_puts(&b, "\n");
        }
        if (i % 5000 == 17) sb_printf(&b, "新增一段 %d。\n\n", i);
    }
    strbuf out = STRBUF_INIT;
    textdiff_stats st;
    CHECK(textdiff_html(&out, a.ptr, a.len, b.ptr, b.len, "%zu", 2, &st) == 0);
    CHECK(st.changed > 0 && out.len > 0);
    sb_free(&out);
    /* and an unrelated rewrite of the same size: caps and budget apply */
    strbuf c = STRBUF_INIT;
    for (int i = 0; i < 100000; i++) sb_printf(&c, "%d\n\n", (i * 7919) % 100003);
    CHECK(textdiff_html(&out, a.ptr, a.len, c.ptr, c.len, "%zu", 2, &st) == 0);
    sb_free(&out);
    strbuf d = STRBUF_INIT;
    for (int i = 0; i < 100000; i++) sb_printf(&d, "%d\n\n", i);
    CHECK(textdiff_html(&out, d.ptr, d.len, c.ptr, c.len, "%zu", 2, &st) == 0);
    sb_free(&out);
    /* one huge paragraph, rewritten character by character */
    sb_clear(&c);
    sb_clear(&d);
    for (int i = 0; i < 100000; i++) {
        sb_puts(&c, i % 3 ? "甲" : "乙");
        sb_puts(&d, i % 5 ? "甲" : "丙");
    }
    CHECK(textdiff_html(&out, c.ptr, c.len, d.ptr, d.len, "%zu", 2, &st) == 0);
    CHECK(st.changed == 1);
    sb_free(&out);
    sb_free(&a);
    sb_free(&b);
    sb_free(&c);
    sb_free(&d);
}
