# model.sh — the plan model end to end: roles, ids, bodies named as plans
# write them, links across plans, the pages and data/site.json that show them,
# and every `check` diagnostic.

# A registry with the same alias in two provinces.
bodies_yaml() {
    cat > "$1/content/bodies.yaml" <<'YAML'
- id: cast
  name: 中国科学技术协会
  aliases: [中国科协]
- id: hubei-cast
  name: 湖北省科学技术协会
  aliases: [湖北省科协, 省科协]
  parent: cast
- id: hunan-cast
  name: 湖南省科学技术协会
  aliases: [湖南省科协, 省科协]
  parent: cast
- id: hubei-xhb
  name: 湖北省科协学会部
  aliases: [省科协学会部, 学会部]
  parent: hubei-cast
- id: hubei-kpb
  name: 湖北省科协科普部
  aliases: [科普部]
  parent: hubei-cast
- id: hubei-city-casts
  name: 湖北省各市州科协
  aliases: [各市州科协]
  parent: hubei-cast
YAML
}

model_site() {
    mkrepo r
    bodies_yaml r
    cat > r/content/plans/national.md <<'MD'
---
id: national
title: 全国规划
issuer: cast
---
## 一、目标 {.goals}
### （一）提高科学素质 {#literacy}
MD
    cat > r/content/plans/hubei.md <<'MD'
---
id: hubei
title: 湖北规划
issuer: hubei-cast
parent: national
---
## 一、发展目标 {.goals}

### （一）公民科学素质 {#g1 supports="national#literacy"}

到2020年达到10%。

### （二）学会能力

## 二、重点任务 {.tasks}

### （一）学会改革 {#t1 goals="g1" due="2020-12-31"}

推进学会改革。（牵头单位：省科协学会部；配合单位：各市州科协、科普部）

#### 1. 治理结构 {#t1-1 lead="hubei-xhb"}

#### 2. 会员服务

### （二）科普工作（省科协负责） {#t2 goals="g1 g2"}

- 科普日活动 {#t2-a .task partners="科普部"}

参见《全国规划》。
MD
    commit_at r "2020-02-01T10:00:00+08:00" "plans"
}

t_roles_ids_and_pages() {
    model_site
    pp build --repo r --out public --quiet
    expect_status 0
    expect_file public/plans/hubei/goals/g1/index.html '公民科学素质'
    expect_file public/plans/hubei/goals/g2/index.html '学会能力'   # id from numbering
    expect_file public/plans/hubei/tasks/t1/index.html '学会改革'
    expect_file public/plans/hubei/tasks/t1-1/index.html '治理结构'
    expect_file public/plans/hubei/tasks/t1-2/index.html '会员服务'  # numbering under t1
    expect_file public/plans/hubei/tasks/t2-a/index.html '科普日活动'
    expect_file public/plans/hubei/matrix/index.html
    # roles are visible in the plan's text, each with a link to its page
    expect_file public/plans/hubei/index.html '<h3 class="item item-task" id="t1">（一）学会改革 <a class="item-link item-link-task" href="../../plans/hubei/tasks/t1/">t1</a></h3>'
    expect_file public/plans/hubei/index.html '<h3 class="item item-goal" id="g1">'
    expect_file public/plans/hubei/index.html '<li class="item item-task" id="t2-a">'
    # and the plan page lists its goals
    expect_file public/plans/hubei/index.html 'class="plan-goals"'
    # attribute blocks never reach the page
    expect_no_match public/plans/hubei/index.html '\{#|\.goals\}|supports='
}

t_goal_and_task_link_both_ways() {
    model_site
    pp build --repo r --out public --quiet
    expect_status 0
    # the goal lists the tasks serving it, the task links its goals
    expect_file public/plans/hubei/goals/g1/index.html 'href="[./]*plans/hubei/tasks/t1/"'
    expect_file public/plans/hubei/goals/g1/index.html 'href="[./]*plans/hubei/tasks/t2/"'
    expect_file public/plans/hubei/tasks/t1/index.html 'href="[./]*plans/hubei/goals/g1/"'
    # supports: the child goal shows the parent's, the parent shows its supporter
    expect_file public/plans/hubei/goals/g1/index.html 'href="[./]*plans/national/goals/literacy/"'
    expect_file public/plans/national/goals/literacy/index.html 'href="[./]*plans/hubei/goals/g1/"'
    python3 - public/data/site.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
goals = {g["plan"] + "#" + g["id"]: g for g in d["goals"]}
tasks = {t["plan"] + "#" + t["id"]: t for t in d["tasks"]}
bodies = {b["id"]: b for b in d["bodies"]}
assert set(goals["hubei#g1"]["tasks"]) == {"hubei#t1", "hubei#t2"}, goals["hubei#g1"]
assert goals["hubei#g1"]["supports"] == ["national#literacy"]
assert goals["national#literacy"]["supported_by"] == ["hubei#g1"]
assert tasks["hubei#t1"]["goals"] == ["hubei#g1"]
assert tasks["hubei#t1"]["lead"] == ["hubei-xhb"], tasks["hubei#t1"]
assert tasks["hubei#t1"]["partners"] == ["hubei-city-casts", "hubei-kpb"], tasks["hubei#t1"]
assert tasks["hubei#t1"]["due"] == "2020-12-31"
assert tasks["hubei#t2"]["lead"] == ["hubei-cast"], tasks["hubei#t2"]   # 省科协 -> the issuer's
assert tasks["hubei#t1-2"]["generated_id"] is True
assert "hubei#t1" in bodies["hubei-xhb"]["lead"]
assert "hubei#t1" in bodies["hubei-kpb"]["partners"] and "hubei#t2-a" in bodies["hubei-kpb"]["partners"]
plan = [p for p in d["plans"] if p["id"] == "hubei"][0]
assert plan["goals"] == ["g1", "g2"] and "t1" in plan["tasks"]
for g in d["goals"]: assert g["url"].startswith("plans/")
PY
}

t_body_names_become_links() {
    model_site
    pp build --repo r --out public --quiet
    expect_status 0
    f=public/plans/hubei/index.html
    # the names stay in the text and link to the body pages
    expect_file $f '<a class="body-link" href="../../bodies/hubei-xhb/">省科协学会部</a>'
    expect_file $f '<a class="body-link" href="../../bodies/hubei-city-casts/">各市州科协</a>'
    expect_file $f '<a class="body-link" href="../../bodies/hubei-cast/">省科协</a>负责'
    # a body page gathers what it leads and joins
    expect_file public/bodies/hubei-kpb/index.html 'plans/hubei/tasks/t1/'
    expect_file public/bodies/hubei-kpb/index.html 'plans/hubei/tasks/t2-a/'
    expect_file public/bodies/index.html 'bodies/hubei-xhb/'
    # a book title that names a plan links to it
    expect_file $f '《<a class="cite-link" href="../../plans/national/">全国规划</a>》'
}

t_body_page_gathers_across_plans() {
    model_site
    cat > r/content/plans/second.md <<'MD'
---
id: second
title: 第二个规划
issuer: hubei-cast
---
## 任务 {.tasks}
### 1. 另一项任务 {#x1}
开展工作（省科协学会部负责）
MD
    commit_at r "2020-02-02T10:00:00+08:00" "second"
    pp build --repo r --out public --quiet
    expect_status 0
    expect_file public/bodies/hubei-xhb/index.html 'plans/hubei/tasks/t1/'
    expect_file public/bodies/hubei-xhb/index.html 'plans/second/tasks/x1/'
}

t_ambiguous_name_is_an_error() {
    model_site
    printf -- '---\nid: nat2\ntitle: 全国任务\nissuer: cast\n---\n## 任务 {.tasks}\n### 1. 任务 {#a}\n内容（省科协负责）\n' > r/content/plans/nat2.md
    commit_at r "2020-02-02T10:00:00+08:00" "tie"
    pp build --repo r --out public --quiet
    expect_status 1
    expect_err 'nat2\.md:8:1: error: body name "省科协" is ambiguous: .*hubei-cast.*hunan-cast|nat2\.md:8:1: error: body name "省科协" is ambiguous: .*hunan-cast.*hubei-cast'
}

t_unknown_body_warns_and_gets_a_page() {
    model_site
    printf -- '---\nid: typo\ntitle: 错字\nissuer: hubei-cast\n---\n## 任务 {.tasks}\n### 1. 任务 {#a}\n内容（牵头单位：省科协学部）\n' > r/content/plans/typo.md
    commit_at r "2020-02-02T10:00:00+08:00" "typo"
    pp build --repo r --out public --quiet
    expect_status 0
    expect_err 'typo\.md:8:1: warning: unknown body "省科协学部" \(did you mean "省科协学会部"\?\)'
    ls public/bodies/ | grep -q '^name-' || fail "no page for the unknown name"
    pp build --repo r --out public2 --quiet --strict
    expect_status 1
    expect_err 'typo\.md:8:1: error: unknown body'
}

# Names missing from bodies.yaml keep apart (these two shared one 32-bit id),
# and a declared id of their shape is an error, not a takeover.
t_unknown_bodies_never_merge() {
    model_site
    printf -- '---\nid: two\ntitle: 两个\nissuer: hubei-cast\n---\n## 任务 {.tasks}\n### 1. 任务 {#a}\n内容（牵头单位：市心院司）\n### 2. 任务 {#b}\n内容（牵头单位：县协市省）\n' > r/content/plans/two.md
    commit_at r "2020-02-02T10:00:00+08:00" "two"
    pp build --repo r --out public --quiet
    expect_status 0
    [ "$(ls public/bodies/ | grep -c '^name-')" = 2 ] || fail "not two pages: $(ls public/bodies/)"
    expect_file public/bodies/name--0iki-0iwz-0tpe-0gl4/index.html '市心院司'
    grep -q '县协市省' public/bodies/name--0iki-0iwz-0tpe-0gl4/index.html && fail "merged"
    printf -- '- id: name--0iki-0iwz-0tpe-0gl4\n  name: 别的单位\n' >> r/content/bodies.yaml
    commit_at r "2020-02-03T10:00:00+08:00" "taken"
    pp build --repo r --out public2 --quiet
    expect_status 1
    expect_err 'bodies\.yaml:[0-9]+:3: error: body id "name--0iki-0iwz-0tpe-0gl4" is the page id of "市心院司", a name that is not in bodies\.yaml \(content/plans/two\.md:8\)'
    [ ! -e public2 ] || fail "published"
}

t_check_reports_every_problem() {
    mkrepo r
    bodies_yaml r
    cat > r/content/plans/bad.md <<'MD'
---
id: bad
title: 有问题的规划
issuer: hubei-cast
---
## 目标 {.goals}
### 目标一 {#g1}
### 目标二 {#g2 supports="nowhere#x"}
## 任务 {.tasks}
### 任务一 {#t1 goals="g9"}
### 任务二 {#t2 goals="t2"}
### 任务三 {#t1}
### 任务四
### 任务五 {#t5 goals="t1" .taks}
MD
    commit_at r "2020-02-01T10:00:00+08:00" "bad"
    pp check --repo r
    expect_status 1
    expect_err 'bad\.md:8:[0-9]+: error: goal "g2" supports "nowhere#x", which does not exist'
    expect_err 'bad\.md:10:[0-9]+: error: task "t1" names goal "g9", which does not exist'
    expect_err 'bad\.md:11:[0-9]+: error: task "t2" names itself as its goal'
    expect_err 'bad\.md:12:[0-9]+: error: duplicate id "t1"'
    expect_err 'bad\.md:13:1: warning: task "任务四" has no id; "t2-2"|bad\.md:13:1: warning: task "任务四" has no id'
    expect_err 'bad\.md:14:[0-9]+: error: "t1" is a task, not a goal'
    expect_err 'bad\.md:14:[0-9]+: warning: unknown class \.taks'
    expect_err 'bad\.md:10:1: warning: task "t1" has no lead body'
    expect_err 'bad\.md:7:1: warning: goal "g1" has no task serving it'
}

t_supports_cycle() {
    mkrepo r
    printf -- '---\nid: a\ntitle: A\n---\n## G {.goals}\n### g {#g supports="b#g"}\n' > r/content/plans/a.md
    printf -- '---\nid: b\ntitle: B\n---\n## G {.goals}\n### g {#g supports="a#g"}\n' > r/content/plans/b.md
    commit_at r "2020-02-01T10:00:00+08:00" "cycle"
    pp build --repo r --out public --quiet
    expect_status 1
    expect_err 'error: goal "[ab]#g" supports itself through a cycle'
    # every cycle is reported, not only the first
    printf -- '---\nid: c\ntitle: C\n---\n## G {.goals}\n### g {#g supports="d#g"}\n' > r/content/plans/c.md
    printf -- '---\nid: d\ntitle: D\n---\n## G {.goals}\n### g {#g supports="c#g"}\n' > r/content/plans/d.md
    commit_at r "2020-02-02T10:00:00+08:00" "two cycles"
    pp build --repo r --out public --quiet
    expect_status 1
    expect_err 'error: goal "[ab]#g" supports itself through a cycle'
    expect_err 'error: goal "[cd]#g" supports itself through a cycle'
}

t_unclosed_attribute_block() {
    mkrepo r
    printf -- '---\nid: a\ntitle: A\n---\n## 任务 {.tasks}\n### 任务 {#t1 goals="g1"\n' > r/content/plans/a.md
    commit_at r "2020-02-01T10:00:00+08:00" "open"
    pp build --repo r --out public --quiet
    expect_status 1
    expect_err 'a\.md:6:[0-9]+: error: .*attribute block does not close'
}

t_empty_names_in_annotation() {
    mkrepo r
    printf -- '---\nid: a\ntitle: A\n---\n## 任务 {.tasks}\n### 任务 {#t1}\n内容（牵头单位：；）\n' > r/content/plans/a.md
    commit_at r "2020-02-01T10:00:00+08:00" "empty"
    pp build --repo r --out public --quiet
    expect_status 1
    expect_err 'a\.md:7:1: error: empty body name in the responsibility phrase'
}

t_bad_bodies_registry() {
    mkrepo r
    printf -- '- id: a\n  name: A\n  parent: b\n- id: b\n  name: B\n  parent: a\n- id: c\n  name: C\n  parent: ghost\n' > r/content/bodies.yaml
    plan r p "P"
    commit_at r "2020-02-01T10:00:00+08:00" "bodies"
    pp build --repo r --out public --quiet
    expect_status 1
    expect_err 'content/bodies\.yaml:[0-9]+:[0-9]+: error: body "[ab]" is its own ancestor'
    expect_err 'content/bodies\.yaml:7:3: error: body "c": parent "ghost" does not exist'
}

t_two_thousand_tasks() {
    mkrepo r
    bodies_yaml r
    python3 - <<'PY'
lines = ["---", "id: big", "title: 大规划", "issuer: hubei-cast", "---", "## 目标 {.goals}", "### 目标 {#g1}", "## 任务 {.tasks}"]
for i in range(2000):
    lines.append(f"### {i+1}. 任务{i} {{#t{i} goals=\"g1\"}}")
    lines.append(f"内容（牵头单位：学会部；配合单位：科普部）")
open("r/content/plans/big.md", "w").write("\n".join(lines) + "\n")
PY
    commit_at r "2020-02-01T10:00:00+08:00" "big"
    PP_TIMEOUT=120 pp build --repo r --out public --quiet
    expect_status 0
    [ "$(ls public/plans/big/tasks | wc -l)" = 2000 ] || fail "not 2000 task pages"
    expect_file public/plans/big/matrix/index.html 't1999'
}

# An id that is not [a-z0-9-]+ is an error at its place, never text left in
# the heading.
t_bad_heading_id() {
    mkrepo r
    printf -- '---\nid: a\ntitle: A\n---\n## 目标 {.goals}\n### 目标一 {#../x .goal}\n' > r/content/plans/a.md
    commit_at r "2020-02-01T10:00:00+08:00" "bad id"
    pp build --repo r --out public --quiet
    expect_status 1
    expect_err '^content/plans/a\.md:6:[0-9]+: error: invalid character in id'
# A task its text assigns to no body says so, on its page and in the matrix.
t_task_without_body_says_so() {
    mkrepo r
    cat > r/content/bodies.yaml <<'YML'
- id: kepu
  name: 科普部
YML
    plan r alpha "甲规划" "## 一、任务 {.tasks}

### （一）科普日 {#t1 lead=\"kepu\"}

### （二）学会改革 {#t2}

### （三）评估 {#t3 partners=\"kepu\"}"
    commit_at r "2020-02-01T10:00:00+08:00" "plans"
    pp build --repo r --out public --quiet
    expect_status 0
    expect_file public/plans/alpha/tasks/t2/index.html '<div class="unassigned"><dt>牵头单位</dt><dd>规划文本未给本条指明牵头或配合单位</dd>'
    expect_file public/plans/alpha/tasks/t3/index.html '<dd>规划文本未指明牵头单位</dd>'
    expect_no_match public/plans/alpha/tasks/t1/index.html 'unassigned'
    expect_file public/plans/alpha/matrix/index.html '其中 1 项的规划文本未指明任何责任单位'
    expect_file public/plans/alpha/matrix/index.html 'tasks/t2/">（二）学会改革</a> <span class="item-sub unassigned">未指明单位</span>'
    expect_no_match public/plans/alpha/matrix/index.html 'tasks/t1/">（一）科普日</a> <span class="item-sub unassigned">'
}
