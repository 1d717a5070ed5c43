/* test_bodies.c — responsibility annotations and body resolution. */
#include "arena.h"
#include "bodies.h"
#include "diag.h"
#include "harness.h"
#include "responsibility.h"
#include "text.h"

static int S_parse(arena *a, const char *t, resp *r) { return resp_parse(a, t, strlen(t), r); }

TEST(resp_labelled_form) {
    arena *a = arena_new();
    resp r;
    const char *t = "加强学会建设（牵头单位：省科协学会部；配合单位：各市州科协、高校科协）";
    CHECK(S_parse(a, t, &r) == 1);
    CHECK(r.n == 3);
    if (r.n == 3) {
        CHECK_STR(r.names[0].name, "省科协学会部");
        CHECK(r.names[0].lead == 1);
        CHECK_STR(r.names[1].name, "各市州科协");
        CHECK(r.names[1].lead == 0);
        CHECK_STR(r.names[2].name, "高校科协");
        CHECK(strncmp(t + r.names[2].off, "高校科协", r.names[2].len) == 0);
    }
    CHECK(strncmp(t + r.start, "（牵头单位", strlen("（牵头单位")) == 0);
    /* 参与单位 and 协办单位 are partners too; a final 。 is allowed */
    CHECK(S_parse(a, "任务。（牵头单位：甲，参与单位：乙；协办单位：丙）。", &r) == 1);
    CHECK(r.n == 3 && r.names[0].lead && !r.names[1].lead && !r.names[2].lead);
    arena_free(a);
}

TEST(resp_every_form) {
    arena *a = arena_new();
    resp r;
    CHECK(S_parse(a, "任务（责任单位：甲、乙）", &r) == 1);
    CHECK(r.n == 2 && r.names[0].lead && r.names[1].lead);
    CHECK(S_parse(a, "任务（甲牵头，乙、丙按职责分工负责）", &r) == 1);
    CHECK(r.n == 3 && r.names[0].lead && !r.names[1].lead && !r.names[2].lead);
    if (r.n == 3) CHECK_STR(r.names[2].name, "丙");
    CHECK(S_parse(a, "任务（甲负责）", &r) == 1);
    CHECK(r.n == 1 && r.names[0].lead);
    if (r.n == 1) CHECK_STR(r.names[0].name, "甲");
    CHECK(S_parse(a, "Task (Lead: City CAST; Partners: A, B)", &r) == 1);
    CHECK(r.n == 3 && r.names[0].lead && !r.names[2].lead);
    if (r.n == 3) CHECK_STR(r.names[0].name, "City CAST");
    CHECK(S_parse(a, "任务(牵头单位:甲;配合单位:乙,丙)", &r) == 1);
    CHECK(r.n == 3);
    arena_free(a);
}

TEST(resp_not_annotations) {
    arena *a = arena_new();
    resp r;
    CHECK(S_parse(a, "制定《规划纲要》（以下简称《纲要》）", &r) == 0);
    CHECK(S_parse(a, "没有括号的句子。", &r) == 0);
    CHECK(S_parse(a, "（牵头单位：甲）之后还有文字", &r) == 0);
    CHECK(S_parse(a, "按职责分工负责（各地）", &r) == 0);
    CHECK(S_parse(a, "不平衡的括号）", &r) == 0);
    arena_free(a);
}

TEST(resp_empty_names_are_errors) {
    arena *a = arena_new();
    resp r;
    CHECK(S_parse(a, "任务（牵头单位：；）", &r) == -1);
    CHECK(r.error != NULL);
    CHECK(S_parse(a, "任务（牵头单位：甲、、乙）", &r) == -1);
    CHECK(S_parse(a, "任务（、牵头）", &r) == -1);
    arena_free(a);
}

/* The phrase of `t` as "L:name P:name X:party ..." (lead, partner, party;
 * a carried prefix as prefix+name), or "0" / "-1". */
static const char *S_read(arena *a, const char *t, int whole, resp_rule rule) {
    resp r;
    int rc = resp_read(a, t, strlen(t), whole, rule, &r);
    if (rc <= 0) return rc ? "-1" : "0";
    char buf[1024];
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < r.n && n < sizeof buf - 200; i++) {
        const resp_name *nm = &r.names[i];
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s:%s%s", i ? " " : "",
                              nm->role == RESP_PARTY ? "X" : nm->lead ? "L" : "P",
                              nm->prefix ? nm->prefix : "", nm->name);
        if (strncmp(t + nm->off, nm->name, nm->len) != 0) return "bad offset";
    }
    return arena_strdup(a, buf);
}

/* Phrases as real documents write them (tests/corpus/fengong/ has their
 * sources): 国发〔2018〕42号, 数字广东建设2025年工作要点, and others. */
TEST(resp_real_forms) {
    arena *a = arena_new();
    /* the State Council: a rule stated once in the first phrase */
    CHECK_STR(S_read(a, "（工业和信息化部、发展改革委、科技部、农业农村部等负责。列第一位者为牵头单位，下同）", 1,
                     RESP_RULE_NONE),
              "L:工业和信息化部 P:发展改革委 P:科技部 P:农业农村部");
    CHECK_STR(S_read(a, "（农业农村部、工业和信息化部等负责）", 1, RESP_RULE_FIRST_LEADS),
              "L:农业农村部 P:工业和信息化部");
    CHECK_STR(S_read(a, "（农业农村部、工业和信息化部等负责）", 1, RESP_RULE_NONE),
              "L:农业农村部 L:工业和信息化部");
    CHECK_STR(S_read(a, "（各省级人民政府负责）", 1, RESP_RULE_FIRST_LEADS), "X:各省级人民政府");
    CHECK_STR(S_read(a, "（税务总局、财政部、海关总署负责，排在第一位的部门为牵头部门，下同）", 1, RESP_RULE_NONE),
              "L:税务总局 P:财政部 P:海关总署");
    /* Guangdong: prefixes carried, 等单位, a trailing clause of a collective party */
    CHECK_STR(S_read(a, "推动产业应用。（省科技厅、工业和信息化厅按职责分工负责，各地级以上市人民政府结合实际落实）",
                     0, RESP_RULE_NONE),
              "L:省科技厅 L:省工业和信息化厅 X:各地级以上市人民政府");
    CHECK_STR(S_read(a, "（省政务和数据局牵头，省国资委等单位按职责分工负责）", 1, RESP_RULE_NONE),
              "L:省政务和数据局 P:省国资委");
    CHECK_STR(S_read(a, "（省工业和信息化厅、科技厅、政务和数据局等单位按职责分工负责）", 1, RESP_RULE_NONE),
              "L:省工业和信息化厅 L:省科技厅 L:省政务和数据局");
    CHECK_STR(S_read(a, "（省工业和信息化厅牵头，各有关单位按职责分工负责）", 1, RESP_RULE_NONE),
              "L:省工业和信息化厅 X:各有关单位");
    CHECK_STR(S_read(a, "（省委网信办、省工业和信息化厅牵头）", 1, RESP_RULE_NONE),
              "L:省委网信办 L:省工业和信息化厅");
    /* a comma inside a partner list */
    CHECK_STR(S_read(a, "（省发展改革委牵头，省财政厅、自然资源厅，省住房城乡建设厅按职责分工负责）", 1,
                     RESP_RULE_NONE),
              "L:省发展改革委 P:省财政厅 P:省自然资源厅 P:省住房城乡建设厅");
    /* 会同, 分别, 牵头负责, 配合 */
    CHECK_STR(S_read(a, "（教育部会同人力资源社会保障部负责）", 1, RESP_RULE_NONE), "L:教育部 P:人力资源社会保障部");
    CHECK_STR(S_read(a, "（市发展改革委、市财政局分别负责）", 1, RESP_RULE_NONE), "L:市发展改革委 L:市财政局");
    CHECK_STR(S_read(a, "（市政府办公室、市行政审批制度改革工作领导小组办公室牵头，市级各有关部门及各县市区政府按职责分工负责）",
                     1, RESP_RULE_NONE),
              "L:市政府办公室 L:市行政审批制度改革工作领导小组办公室 X:市级各有关部门 X:各县市区政府");
    CHECK_STR(S_read(a, "（国家发展改革委、财政部牵头负责）", 1, RESP_RULE_NONE), "L:国家发展改革委 L:国家财政部");
    CHECK_STR(S_read(a, "（区住建局负责，区财政局配合）", 1, RESP_RULE_NONE), "L:区住建局 P:区财政局");
    CHECK_STR(S_read(a, "（市场监管总局负责）", 1, RESP_RULE_NONE), "L:市场监管总局");
    CHECK_STR(S_read(a, "（扶贫办、商务部等和各省级人民政府负责）", 1, RESP_RULE_NONE),
              "L:扶贫办 L:商务部 X:各省级人民政府");
    CHECK_STR(S_read(a, "（人力资源社会保障部、财政部等有关部门和单位负责）", 1, RESP_RULE_NONE),
              "L:人力资源社会保障部 L:财政部");
    CHECK_STR(S_read(a, "（牵头单位：市经贸委，配合单位：市工商联，各区、县级市）", 1, RESP_RULE_NONE),
              "L:市经贸委 P:市工商联 X:各区 X:县级市");
    CHECK_STR(S_read(a, "（牵头单位：市委组织部，配合单位：各项目牵头单位）", 1, RESP_RULE_NONE),
              "L:市委组织部 X:各项目牵头单位");
    CHECK_STR(S_read(a, "（省法院、检察院按职责分工负责）", 1, RESP_RULE_NONE), "L:省法院 L:省检察院");
    /* unbracketed labelled lines (a paragraph of its own) */
    CHECK_STR(S_read(a, "牵头单位：区发改局 责任单位：立山经济开发区，全区经济运行各专班", 1, RESP_RULE_NONE),
              "L:区发改局 P:立山经济开发区 X:全区经济运行各专班");
    CHECK_STR(S_read(a, "牵头单位：区发改局 责任单位：立山经济开发区", 0, RESP_RULE_NONE), "0");
    CHECK_STR(S_read(a, "责任单位：区财政局；完成时限：2023年底", 1, RESP_RULE_NONE), "L:区财政局");
    /* fragments are never names */
    CHECK_STR(S_read(a, "（由省政府办公厅负责解释）", 1, RESP_RULE_NONE), "-1");
    CHECK_STR(S_read(a, "（具体办法由省财政厅另行制定，省发展改革委负责）", 1, RESP_RULE_NONE), "-1");
    CHECK_STR(S_read(a, "（以下简称“牵头单位”）", 1, RESP_RULE_NONE), "-1");
    CHECK_STR(S_read(a, "（2025年底前完成）", 1, RESP_RULE_NONE), "0");
    arena_free(a);
}

TEST(resp_rules_stated) {
    size_t off = 99;
    const char *t = "（甲、乙负责。列第一位者为牵头单位，下同）";
    CHECK(resp_rule_in(t, strlen(t), &off) == RESP_RULE_FIRST_LEADS);
    t = "注：排在第一位的为牵头单位。";
    CHECK(resp_rule_in(t, strlen(t), &off) == RESP_RULE_FIRST_LEADS);
    CHECK(off == 0);
    t = "各责任单位排名不分先后。";
    CHECK(resp_rule_in(t, strlen(t), &off) == RESP_RULE_ALL_EQUAL);
    t = "加强牵头抓总，第一时间响应。";
    CHECK(resp_rule_in(t, strlen(t), &off) == RESP_RULE_NONE);
    CHECK(resp_is_party("各有关单位", strlen("各有关单位")));
    CHECK(resp_is_party("国务院有关部门", strlen("国务院有关部门")));
    CHECK(!resp_is_party("省科技厅", strlen("省科技厅")));
}

static const char registry[] =
    "- id: cast\n  name: 中国科学技术协会\n  aliases: [中国科协]\n"
    "- id: hubei-cast\n  name: 湖北省科学技术协会\n  aliases: [湖北省科协, 省科协]\n  parent: cast\n"
    "- id: hunan-cast\n  name: 湖南省科学技术协会\n  aliases: [湖南省科协, 省科协]\n  parent: cast\n"
    "- id: hubei-cast-xhb\n  name: 湖北省科协学会部\n  aliases: [省科协学会部, 学会部]\n  parent: hubei-cast\n"
    "- id: hunan-cast-xhb\n  name: 湖南省科协学会部\n  aliases: [学会部]\n  parent: hunan-cast\n";

TEST(bodies_closest_candidate_wins) {
    arena *a = arena_new();
    diag *d = diag_new(0);
    bodies b;
    bodies_init(&b, a);
    CHECK(bodies_load(&b, d, "bodies.yaml", registry, strlen(registry)) == 0);
    CHECK(diag_errors(d) == 0);
    CHECK(b.n == 5);
    const body *x, *y;
    CHECK(bodies_resolve(&b, "省科协", "hubei-cast", &x, &y) == BODY_FOUND);
    CHECK(x && strcmp(x->id, "hubei-cast") == 0);
    CHECK(bodies_resolve(&b, "省科协", "hunan-cast-xhb", &x, &y) == BODY_FOUND);
    CHECK(x && strcmp(x->id, "hunan-cast") == 0);
    CHECK(bodies_resolve(&b, "学会部", "hubei-cast", &x, &y) == BODY_FOUND);
    CHECK(x && strcmp(x->id, "hubei-cast-xhb") == 0);
    /* the national body is equally near to both provinces: a tie */
    CHECK(bodies_resolve(&b, "省科协", "cast", &x, &y) == BODY_AMBIGUOUS);
    CHECK(x && y && strcmp(x->id, y->id) != 0);
    CHECK(bodies_resolve(&b, "省科协", NULL, &x, &y) == BODY_AMBIGUOUS);
    CHECK(bodies_resolve(&b, "中国科协", "hubei-cast", &x, &y) == BODY_FOUND);
    CHECK(bodies_resolve(&b, "hubei-cast-xhb", NULL, &x, &y) == BODY_FOUND);
    CHECK(bodies_resolve(&b, "省科学院", "hubei-cast", &x, &y) == BODY_UNKNOWN);
    CHECK_STR(bodies_suggest(&b, "省科协学部"), "省科协学会部");
    CHECK(bodies_suggest(&b, "完全不同的名字") == NULL);
    CHECK(b.items[0]->depth == 0 && bodies_get(&b, "hubei-cast-xhb")->depth == 2);
    CHECK(bodies_get(&b, "cast")->nchildren == 2);
    body *u = bodies_add_unknown(&b, "省科学院", d, "plans/a.md", 1, 1);
    CHECK(u && strncmp(u->id, "name-", 5) == 0 && !u->declared);
    CHECK(bodies_add_unknown(&b, "省科学院", d, "plans/a.md", 2, 1) == u);
    diag_free(d);
    arena_free(a);
}

TEST(bodies_bad_registry) {
    arena *a = arena_new();
    diag *d = diag_new(0);
    bodies b;
    bodies_init(&b, a);
    const char *bad = "- id: a\n  name: A\n  parent: b\n"
                      "- id: b\n  name: B\n  parent: a\n"
                      "- id: c\n  name: C\n  parent: nowhere\n"
                      "- id: a\n  name: again\n"
                      "- id: Bad\n  name: x\n"
                      "- name: no id\n";
    CHECK(bodies_load(&b, d, "bodies.yaml", bad, strlen(bad)) == 0);
    /* the cycle a<->b (once: it is broken where found), unknown parent,
     * duplicate id, bad id, missing id */
    CHECK(diag_errors(d) == 5);
    const body *x;
    CHECK(bodies_resolve(&b, "A", "b", &x, NULL) == BODY_FOUND); /* walks end */
    diag_free(d);
    arena_free(a);
}

/* Names missing from bodies.yaml: ids that never merge two names. */
TEST(bodies_unknown_ids_never_collide) {
    char x[BODIES_UNKNOWN_ID_SIZE], y[BODIES_UNKNOWN_ID_SIZE];
    /* spelled out, the same in every build */
    CHECK_STR(bodies_unknown_id("省科学院", x), "name--0ni9-0o29-0i1y-0tpe");
    CHECK_STR(bodies_unknown_id("Ab-1", x), "name--001tb-00191");
    CHECK(text_is_id(bodies_unknown_id("a b", x)));
    /* these two shared "name-0b8bd797" (32-bit FNV-1a) */
    bodies_unknown_id("市心院司", x);
    bodies_unknown_id("县协市省", y);
    CHECK(strcmp(x, y) != 0);
    /* "-" is spelled out too: "a-b" is not "a" then "-b" */
    CHECK(strcmp(bodies_unknown_id("a-b", x), bodies_unknown_id("a\xe2\x80\x90" "b", y)) != 0);
    /* an invalid byte is not the character of the same value */
    CHECK(strcmp(bodies_unknown_id("\xe5", x), bodies_unknown_id("\xc3\xa5", y)) != 0);
    /* too long to spell out: cut, then "--" and a hash of the whole name */
    char lng[200], lng2[200];
    strcpy(lng, "");
    for (int i = 0; i < 30; i++) strcat(lng, "科");
    strcpy(lng2, lng);
    strcat(lng, "甲");
    strcat(lng2, "乙");
    bodies_unknown_id(lng, x);
    bodies_unknown_id(lng2, y);
    CHECK(strlen(x) <= 100 && text_is_id(x) && strstr(x + 5, "--") != NULL);
    CHECK(strcmp(x, y) != 0 && strncmp(x, y, strlen(x) - 16) == 0);
    /* 19 CJK characters still fit (5 + 19 x 5 = 100) */
    char fit[100] = "";
    for (int i = 0; i < 19; i++) strcat(fit, "科");
    CHECK(strlen(bodies_unknown_id(fit, x)) == 100 && strstr(x + 6, "--") == NULL);

    arena *a = arena_new();
    diag *d = diag_new(0);
    bodies b;
    bodies_init(&b, a);
    char reg[256];
    bodies_unknown_id("省科学院", x);
    snprintf(reg, sizeof reg, "- id: %s\n  name: 省科协\n", x);
    CHECK(bodies_load(&b, d, "bodies.yaml", reg, strlen(reg)) == 0 && diag_errors(d) == 0);
    /* two names, two bodies */
    body *p = bodies_add_unknown(&b, "市心院司", d, "plans/a.md", 3, 1);
    body *q = bodies_add_unknown(&b, "县协市省", d, "plans/a.md", 4, 1);
    CHECK(p && q && p != q && strcmp(p->name, "市心院司") == 0 && strcmp(q->name, "县协市省") == 0);
    CHECK(diag_errors(d) == 0);
    /* a declared id of that shape: an error at the declaration, and the
     * name does not take its tasks */
    CHECK(bodies_add_unknown(&b, "省科学院", d, "plans/a.md", 5, 1) == NULL);
    CHECK(diag_errors(d) == 1);
    CHECK(bodies_add_unknown(&b, "省科学院", d, "plans/b.md", 6, 1) == NULL);
    CHECK(diag_errors(d) == 1); /* once */
    CHECK(bodies_get(&b, x)->declared && strcmp(bodies_get(&b, x)->name, "省科协") == 0);
    diag_free(d);
    arena_free(a);
}
