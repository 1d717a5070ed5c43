/* test_import.c — import's numbering, dates, document numbers, and the
 * structuring of plain text into a plan (headings, front matter, preface,
 * roles, ids, escaping). */
#include <stdlib.h>

#include "arena.h"
#include "diag.h"
#include "harness.h"
#include "import.h"
#include "markdown.h"
#include "strbuf.h"

static int S_num(const char *s, import_num_kind want_kind, int want_value) {
    import_num_kind k;
    int v = -1;
    size_t n = import_numbering(s, &k, &v);
    return n > 0 && k == want_kind && v == want_value;
}

TEST(import_numbering_kinds) {
    CHECK(S_num("第一章 总则", IMPORT_NUM_ZHANG, 1));
    CHECK(S_num("第十二章　附则", IMPORT_NUM_ZHANG, 12));
    CHECK(S_num("第三节 范围", IMPORT_NUM_JIE, 3));
    CHECK(S_num("第一百零五章 多", IMPORT_NUM_ZHANG, 105));
    CHECK(S_num("一、指导思想", IMPORT_NUM_CN, 1));
    CHECK(S_num("九十九、多", IMPORT_NUM_CN, 99));
    CHECK(S_num("（十一）加强", IMPORT_NUM_PAREN_CN, 11));
    CHECK(S_num("(三) 改革", IMPORT_NUM_PAREN_CN, 3));
    CHECK(S_num("1.繁荣学术交流", IMPORT_NUM_ARABIC, 1));
    CHECK(S_num("12、以党建", IMPORT_NUM_ARABIC, 12));
    CHECK(S_num("3．推进", IMPORT_NUM_ARABIC, 3));
    CHECK(S_num("（3）健全", IMPORT_NUM_PAREN_ARABIC, 3));
    CHECK(S_num("③丙", IMPORT_NUM_CIRCLED, 3));
    import_num_kind k;
    int v;
    CHECK(import_numbering("1.5万人", &k, &v) == 0);
    CHECK(import_numbering("2018年，开始", &k, &v) == 0);
    CHECK(import_numbering("一是加强", &k, &v) == 0);
    CHECK(import_numbering("第一条 规定", &k, &v) == 0);
    CHECK(import_numbering("一、", &k, &v) == 0);   /* nothing after the numbering */
    CHECK(import_numbering("1. 规范", &k, &v) == 3); /* the space after it included */
}

TEST(import_dates) {
    char d[11];
    CHECK(import_date("2018年12月21日", strlen("2018年12月21日"), d) > 0);
    CHECK_STR(d, "2018-12-21");
    CHECK(import_date("2017年5月 10日", strlen("2017年5月 10日"), d) > 0);
    CHECK_STR(d, "2017-05-10");
    CHECK(import_date("2018 年 3月13日印发", strlen("2018 年 3月13日印发"), d) == strlen("2018 年 3月13日"));
    CHECK_STR(d, "2018-03-13");
    const char *cn = "二〇一八年十二月二十一日";
    CHECK(import_date(cn, strlen(cn), d) == strlen(cn));
    CHECK_STR(d, "2018-12-21");
    const char *fw = "２０１９年１月５日";
    CHECK(import_date(fw, strlen(fw), d) == strlen(fw));
    CHECK_STR(d, "2019-01-05");
    CHECK(import_date("2018年2月30日", strlen("2018年2月30日"), d) == 0);
    CHECK(import_date("2018年12月", strlen("2018年12月"), d) == 0);
    CHECK(import_date("十三五", strlen("十三五"), d) == 0);
}

TEST(import_document_numbers) {
    size_t st, n;
    const char *s = "近日收到（国发〔2018〕42号）文件";
    n = import_doc_number(s, strlen(s), &st);
    CHECK(n > 0);
    CHECK(n > 0 && strncmp(s + st, "国发〔2018〕42号", n) == 0 && n == strlen("国发〔2018〕42号"));
    s = "鄂科协发【2017】8号";
    n = import_doc_number(s, strlen(s), &st);
    CHECK(n == strlen(s) && st == 0);
    s = "鄂办发[2016]64号";
    CHECK(import_doc_number(s, strlen(s), &st) == strlen(s));
    s = "〔2018〕42号";   /* no issuer's abbreviation */
    CHECK(import_doc_number(s, strlen(s), &st) == 0);
    s = "2018年有42号";
    CHECK(import_doc_number(s, strlen(s), &st) == 0);
}

/* Runs import_text on src; returns the Markdown (caller frees) and fills info. */
static char *S_import(const char *src, import_info *info, char **log_out) {
    arena *a = arena_new();
    strbuf md = STRBUF_INIT, log = STRBUF_INIT;
    import_text(a, "t.txt", "t", src, strlen(src), 0, NULL, &md, &log, info);
    /* info's strings live in the arena: keep the ones tests read. */
    static char keep[6][256];
    const char *f[6] = {info->title, info->number, info->date, info->adopted, info->period, info->issuer};
    for (int i = 0; i < 6; i++) snprintf(keep[i], sizeof keep[i], "%s", f[i] ? f[i] : "");
    info->title = keep[0], info->number = keep[1], info->date = keep[2];
    info->adopted = keep[3], info->period = keep[4], info->issuer = keep[5];
    char *r = strdup(sb_str(&md));
    if (log_out) *log_out = strdup(sb_str(&log));
    sb_free(&md);
    sb_free(&log);
    arena_free(a);
    return r;
}

TEST(import_notice_becomes_front_matter_and_preface) {
    import_info info;
    char *log;
    char *md = S_import("关于印发《2018年扬州市科协工作要点》的通知\n\n"
                        "各市级学会：\n\n"
                        "现将《2018年扬州市科协工作要点》印发给你们，请结合实际认真贯彻落实。\n\n"
                        "　　扬州市科学技术协会\n"
                        "  2018年 3月13日\n\n"
                        "2018年扬州市科协工作要点\n"
                        "    2018年是开局之年。\n\n"
                        "一、拓展渠道\n\n"
                        "1、以党的十九大精神引领科技工作者。深入学习。\n",
                        &info, &log);
    CHECK_STR(info.title, "2018年扬州市科协工作要点");
    CHECK(info.title_line == 10 && info.title_lines == 1);
    CHECK_STR(info.date, "2018-03-13");
    CHECK_STR(info.period, "2018");
    CHECK(info.preface_lines == 5);
    CHECK_CONTAINS(md, "title: \"2018年扬州市科协工作要点\"\n");
    CHECK_CONTAINS(md, "date: 2018-03-13\n");
    CHECK_CONTAINS(md, "\n> 关于印发《2018年扬州市科协工作要点》的通知\n>\n> 各市级学会：\n");
    CHECK_CONTAINS(md, "> 2018年 3月13日\n\n2018年是开局之年。\n\n## 一、拓展渠道\n\n"
                       "### 1、以党的十九大精神引领科技工作者。\n\n深入学习。\n");
    CHECK_CONTAINS(log, "t.txt:10:1: note: title: 2018年扬州市科协工作要点");
    CHECK_CONTAINS(log, "issuer \"扬州市科学技术协会\" is not in bodies.yaml"); /* none given */
    free(md);
    free(log);
}

TEST(import_draft_adopted_number_period) {
    import_info info;
    char *md = S_import("湖北省科学技术协会\n鄂科协办〔2017〕86号\n"
                        "关于征求对《某某规划》（征求意见稿）意见的通知\n"
                        "现将《某某规划》（征求意见稿）印发如下。\n"
                        "某某\n规划\n（2016—2020）\n"
                        "2016年8月4日\n八届六次常委会通过\n"
                        "正文。\n一、总则\n",
                        &info, NULL);
    CHECK_STR(info.title, "某某规划");
    CHECK(info.title_lines == 2);
    CHECK(info.draft);
    CHECK_STR(info.number, "鄂科协办〔2017〕86号");
    CHECK_STR(info.adopted, "2016-08-04");
    CHECK_STR(info.period, "2016-2020");
    CHECK_CONTAINS(md, "status: draft\n");
    CHECK_CONTAINS(md, "number: \"鄂科协办〔2017〕86号\"\n");
    CHECK_CONTAINS(md, "\n（2016—2020）\n\n2016年8月4日\n\n八届六次常委会通过\n");
    free(md);
}

TEST(import_levels_roles_ids) {
    import_info info;
    char *md = S_import("规划\n"
                        "一、发展目标\n到2020年。\n"
                        "二、重点任务\n"
                        "（一）第一组\n1.任务甲\n2.任务乙\n（1）细项\n"
                        "（二）第二组\n3.任务丙\n"
                        "三、保障措施\n（一）加强领导。各级科协要重视。\n"
                        "四、指导思想与发展目标\n",
                        &info, NULL);
    CHECK_CONTAINS(md, "\n## 一、发展目标 {#g1 .goal}\n");
    CHECK_CONTAINS(md, "\n## 二、重点任务 {.tasks}\n");
    CHECK_CONTAINS(md, "\n### （一）第一组 {#t1}\n");
    CHECK_CONTAINS(md, "\n#### 1.任务甲 {#t1-1}\n");
    CHECK_CONTAINS(md, "\n#### 2.任务乙 {#t1-2}\n");
    CHECK_CONTAINS(md, "\n##### （1）细项 {#t1-2-1}\n");
    CHECK_CONTAINS(md, "\n### （二）第二组 {#t2}\n");
    CHECK_CONTAINS(md, "\n#### 3.任务丙 {#t2-3}\n");
    CHECK_CONTAINS(md, "\n## 三、保障措施 {.measures}\n\n### （一）加强领导。 {#m1}\n\n各级科协要重视。\n");
    CHECK_CONTAINS(md, "\n## 四、指导思想与发展目标\n"); /* two topics: no role */
    CHECK(info.goals == 1 && info.tasks == 6 && info.measures == 1);
    CHECK(info.headings == 11);
    free(md);
}

TEST(import_chapters_sequence_annex) {
    import_info info;
    char *log;
    char *md = S_import("条例\n第一章 总则\n第一节 目的\n一、一\n1.甲\n3.跳号的行\n第二节 范围\n第二章 附则\n"
                        "附件\n1. 清单一；\n2. 清单二\n",
                        &info, &log);
    CHECK_CONTAINS(md, "\n## 第一章 总则\n\n### 第一节 目的\n\n#### 一、一\n\n##### 1.甲\n\n3\\.跳号的行\n\n"
                       "### 第二节 范围\n\n## 第二章 附则\n\n## 附件\n\n### 1. 清单一；\n\n### 2. 清单二\n");
    CHECK_CONTAINS(log, "t.txt:6:1: note: numbering out of sequence (3 after 1): kept as a paragraph");
    free(md);
    free(log);
}

TEST(import_escapes_markdown_and_renders_the_same_text) {
    import_info info;
    const char *src = "标题\n*强调* <b>x</b> [a](http://x) & &amp; `c` ~d~ {#id .task} \\ #\n"
                      "- 不是列表\n1) 不是列表\n> 不是引用\n# 不是标题\n---\n见http://a.cn/x_y*z 与 www.b.cn/a_b\n";
    char *md = S_import(src, &info, NULL);
    const char *text = strstr(md + 4, "\n---\n") + 5;
    md_init();
    arena *a = arena_new();
    diag *d = diag_new(0);
    md_doc doc;
    CHECK(md_render(a, d, "t.md", 1, text, strlen(text), &doc) == 0);
    CHECK(diag_errors(d) == 0);
    CHECK(doc.nblocks == 0);
    CHECK_CONTAINS(doc.html, "<p>*强调* &lt;b&gt;x&lt;/b&gt; [a](http://x) &amp; &amp;amp; `c` ~d~ {#id .task} \\ #</p>");
    CHECK_CONTAINS(doc.html, "<p>- 不是列表</p>");
    CHECK_CONTAINS(doc.html, "<p>1) 不是列表</p>");
    CHECK_CONTAINS(doc.html, "<p>&gt; 不是引用</p>");
    CHECK_CONTAINS(doc.html, "<p># 不是标题</p>");
    CHECK_CONTAINS(doc.html, "<p>---</p>");
    /* no autolink takes the escapes into its text */
    CHECK_CONTAINS(doc.html, "<p>见http://a.cn/x_y*z 与 www.b.cn/a_b</p>");
    diag_free(d);
    arena_free(a);
    free(md);
}

TEST(import_joins_lines_broken_inside_a_sentence) {
    import_info info;
    char *md = S_import("规划\n——强化政治引领。坚持党的领导，凝聚带领广大会员和科\n\n技工作者勇担重任。\n"
                        "一、拓展渠道，实施“聚力引领工程”，在服务广大科技工作者上力求更加广泛\n进一步增强。\n",
                        &info, NULL);
    CHECK_CONTAINS(md, "\n——强化政治引领。坚持党的领导，凝聚带领广大会员和科技工作者勇担重任。\n");
    /* a heading is never joined to its paragraph */
    CHECK_CONTAINS(md, "上力求更加广泛\n\n进一步增强。\n");
    free(md);
}

TEST(import_no_title_found) {
    import_info info;
    char *log;
    char *md = S_import("这是一个很长的句子，不像标题。\n一、总则\n", &info, &log);
    CHECK(!info.title_from_text);
    CHECK_STR(info.title, "t");
    CHECK_CONTAINS(md, "title: \"t\"\n");
    CHECK_CONTAINS(log, "no title found");
    free(md);
    free(log);
}

TEST(import_numbered_first_line_is_no_title) {
    import_info info;
    char *md = S_import("一、加快培育数字化发展引擎\n（一）打造高地\n要求是: 全面。\n", &info, NULL);
    CHECK(!info.title_from_text);
    CHECK_CONTAINS(md, "---\n\n## 一、加快培育数字化发展引擎\n\n### （一）打造高地\n\n要求是: 全面。\n");
    free(md);
}

TEST(import_date_and_issuer_under_the_closing_signature) {
    import_info info;
    char *md = S_import("国务院关于加快推进某某的指导意见\n国发〔2018〕42号\n各省、自治区、直辖市人民政府：\n"
                        "一、总体要求\n正文。\n国务院\n2018年12月21日\n（此件公开发布）\n",
                        &info, NULL);
    CHECK_STR(info.title, "国务院关于加快推进某某的指导意见");
    CHECK_STR(info.number, "国发〔2018〕42号");
    CHECK_STR(info.date, "2018-12-21");
    CHECK_CONTAINS(md, "\n\n国发〔2018〕42号\n\n各省、自治区、直辖市人民政府：\n\n## 一、总体要求\n");
    free(md);
}

TEST(import_title_as_printed) {
    import_info info;
    char *md = S_import("关于印发《Digital  Guangdong 2025 工作要点》的通知\n现将《Digital Guangdong 2025工作要点》印发。\n"
                        "Digital\nGuangdong 2025 工作 要点\n（征求意见稿）\n一、总则\n",
                        &info, NULL);
    CHECK_STR(info.title, "Digital Guangdong 2025工作要点");
    CHECK(info.title_lines == 2);
    CHECK(info.draft);
    free(md);
    md = S_import("关于深化湖北省科协所属学会改革的 实施意见\n一、指导思想\n", &info, NULL);
    CHECK_STR(info.title, "关于深化湖北省科协所属学会改革的实施意见");
    free(md);
}
