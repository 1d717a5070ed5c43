/* test_bodies.c — responsibility annotations and body resolution. */
#include "arena.h"
#include "bodies.h"
#include "diag.h"
#include "harness.h"
#include "responsibility.h"

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
    body *u = bodies_add_unknown(&b, "省科学院");
    CHECK(u && strncmp(u->id, "name-", 5) == 0 && !u->declared);
    CHECK(bodies_add_unknown(&b, "省科学院") == u);
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
