# indicators.sh — indicator scripts end to end: pages, charts, data files,
# the example content, and every kind of bad script: a clear diagnostic in
# bounded time, exit 1, the previous site kept, nothing outside touched.

# ind_repo DIR: a repository with a plan (goal g1, task t1 led by b1),
# bodies and a site.yaml; nothing committed yet beyond mkrepo's.
ind_repo() {
    mkrepo "$1"
    mkdir -p "$1/content/indicators" "$1/content/data"
    plan "$1" p "测试规划" '## 一、目标 {.goals}

### （一）提高比例 {#g1}

到2020年比例达到10%。

## 二、任务 {.tasks}

### 1. 开展活动 {#t1 goals="g1" lead="b1"}

正文。'
    printf -- '- id: b1\n  name: 甲单位\n' > "$1/content/bodies.yaml"
}

# A good site, published to public/; $before is its fingerprint.
ind_published() {
    ind_repo r
    cat > r/content/indicators/good.lua <<'EOF'
indicator { id = "good", name = "好指标", plan = "p", goal = "g1",
  baseline = { year = 2015, value = 1 }, target = { year = 2020, value = 2 } }
EOF
    commit_at r "2020-02-01T10:00:00+08:00" "good"
    pp build --repo r --out public --quiet
    expect_status 0
    before=$(find public -type f | sort | xargs sha1sum | sha1sum)
}

ind_untouched() {
    after=$(find public -type f | sort | xargs sha1sum | sha1sum)
    [ "$before" = "$after" ] || fail "the previous output changed"
}

# ind_bad FILE SCRIPT: commits content/indicators/FILE with SCRIPT, builds,
# expects exit 1 and the previous site; the caller checks the message.
ind_bad() {
    printf '%s\n' "$2" > "r/content/indicators/$1"
    commit_at r "2020-02-02T10:00:00+08:00" "bad $1"
    local t0=$SECONDS
    pp build --repo r --out public --quiet
    expect_status 1
    ind_untouched
    [ $((SECONDS - t0)) -lt 40 ] || fail "took $((SECONDS - t0)) s"
}

t_indicator_pages_chart_and_data() {
    ind_repo r
    cat > r/content/indicators/lit.lua <<'EOF'
-- a demo indicator with sample values
indicator {
  id = "lit", name = "公民具备科学素质的比例 <b>", unit = "%",
  plan = "p", goal = "g1", tasks = { "t1" }, lead = "b1",
  baseline = { year = 2015, value = 5.14 },
  target = { year = 2020, value = 10 },
  values = { [2016] = 6.0, [2017] = 7.2 },
  source = "统计, \"公报\"", note = "到2020年达到10%。",
  sample = true,
}
EOF
    printf 'id,name,target\r\n"q,1","带逗号, 和""引号""",150\r\n' > r/content/data/t.csv
    cat > r/content/indicators/table.lua <<'EOF'
for _, row in ipairs(csv("data/t.csv")) do
  indicator { id = "from-table", name = row.name, plan = "p",
    target = { year = 2020, value = tonumber(row.target) } }
end
EOF
    commit_at r "2019-01-01T10:00:00+08:00" "indicators"
    pp build --repo r --out site --quiet
    expect_status 0
    local page=site/indicators/lit/index.html
    expect_file "$page" '<svg class="indicator-chart" viewBox="0 0 400 [0-9]+" role="img" aria-labelledby="chart-lit-title chart-lit-desc"'
    expect_file "$page" '<title id="chart-lit-title">公民具备科学素质的比例 &lt;b&gt;：基线、实际值与目标</title>'
    expect_file "$page" '<desc id="chart-lit-desc">基线：2015年为5.14%。目标：到2020年达到10%。实际值：2016年为6%；2017年为7.2%。'
    expect_file "$page" 'class="sample-banner" role="note"'
    expect_file "$page" '<th scope="row">2017</th><td class="num">7.2</td>'
    # as of 2019, 7.2 in 2017 is ahead of the line (7.084): on track
    expect_file "$page" 'ind-status-on-track">进度正常</span> 尚未达到目标 10%；最新实际值 7.2%（2017年）不差于'
    expect_file "$page" '统计, &quot;公报&quot;'
    expect_file "$page" 'href="../../plans/p/goals/g1/"'
    expect_file "$page" 'href="../../bodies/b1/"'
    expect_no_match "$page" '<b>'
    expect_file site/indicators/index.html 'ind-status-on-track">进度正常</span> <span class="summary-count">1</span>'
    expect_file site/indicators/index.html 'id="rule"'
    expect_file site/plans/p/goals/g1/index.html 'href="../../../../indicators/lit/"'
    expect_file site/plans/p/tasks/t1/index.html 'indicators/lit/'
    expect_file site/bodies/b1/index.html 'indicators/lit/'
    expect_file site/index.html 'id="indicators"'
    # data/indicators.csv: RFC 4180, one row per indicator and year
    printf 'indicator,year,value,kind,sample\r\nfrom-table,2020,150,target,false\r\nlit,2015,5.14,baseline,true\r\nlit,2016,6,observed,true\r\nlit,2017,7.2,observed,true\r\nlit,2020,10,target,true\r\n' > expected.csv
    cmp expected.csv site/data/indicators.csv || fail "data/indicators.csv: $(cat -A site/data/indicators.csv)"
    python3 - site/data/site.json <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
ind = {i["id"]: i for i in d["indicators"]}
lit = ind["lit"]
assert lit["url"] == "indicators/lit/" and lit["unit"] == "%" and lit["plan"] == "p", lit
assert lit["goal"] == "p#g1" and lit["tasks"] == ["p#t1"] and lit["lead"] == "b1", lit
assert lit["baseline"] == {"year": 2015, "value": 5.14} and lit["target"]["value"] == 10, lit
assert [v["year"] for v in lit["values"]] == [2016, 2017] and lit["status"] == "on-track", lit
assert lit["sample"] is True and ind["from-table"]["name"] == '带逗号, 和"引号"', ind
goals = {g["id"]: g for g in d["goals"]}
assert goals["g1"]["indicators"] == ["lit"], goals
EOF
}

t_indicator_builds_are_byte_identical() {
    ind_repo r
    cat > r/content/indicators/many.lua <<'EOF'
local t = {}
for i = 1, 50 do t["k" .. i] = i end
for k, v in pairs(t) do
  indicator { id = "m-" .. k, name = k, values = { [2016] = v, [2017] = v * 1.5 },
    target = { year = 2020, value = 100 } }
end
EOF
    commit_at r "2020-02-01T10:00:00+08:00" "many"
    pp build --repo r --out one --quiet
    expect_status 0
    pp build --repo r --out two --quiet
    expect_status 0
    diff -r one two > /dev/null || fail "two builds differ"
    [ "$(ls one/indicators | wc -l)" = 51 ] || fail "expected 50 indicator pages"
}

t_indicator_check_reports_without_writing() {
    ind_repo r
    printf 'indicator { id = "x", name = "x", plan = "nope" }\n' > r/content/indicators/x.lua
    commit_at r "2020-02-01T10:00:00+08:00" "x"
    pp check --repo r
    expect_status 1
    expect_err '^content/indicators/x\.lua:1: error: unknown plan "nope"'
    [ ! -e public ] || fail "check wrote a site"
}

t_indicator_os_execute() {
    ind_published
    ind_bad evil.lua "os.execute('touch $PWD/pwned')"
    expect_err '^content/indicators/evil\.lua:1: error: attempt to index a nil value \(global .os.\)'
    [ ! -e pwned ] || fail "the script ran a command"
}

t_indicator_io_open() {
    ind_published
    ind_bad evil.lua "local f = io.open('$PWD/written', 'w') f:write('x')"
    expect_err '^content/indicators/evil\.lua:1: error: attempt to index a nil value \(global .io.\)'
    [ ! -e written ] || fail "the script wrote a file"
}

t_indicator_require() {
    ind_published
    ind_bad evil.lua "local os = require('os')"
    expect_err '^content/indicators/evil\.lua:1: error: attempt to call a nil value \(global .require.\)'
}

t_indicator_binary_chunk() {
    ind_published
    ind_bad evil.lua "local f = function() return 1 end
local g = load(string.dump(f))"
    expect_err '^content/indicators/evil\.lua:2: error: attempt to call a nil value \(field .dump.\)'
    ind_bad evil.lua "local g, e = load('\\27Lua\\84\\0') assert(g, e)"
    expect_err '^content/indicators/evil\.lua:1: error: .*binary chunk'
}

t_indicator_other_scripts_globals() {
    ind_published
    printf 'secret = "a"\nstring.upper = function() return "pwned" end\nindicator = nil\n' > r/content/indicators/a.lua
    ind_bad b.lua 'assert(secret == nil, "b.lua sees a.lua globals")
assert(("x"):upper() == "X", "b.lua sees a.lua string library")
indicator { id = "b", name = "b" }
error("b.lua is fine")'
    expect_err '^content/indicators/b\.lua:4: error: b\.lua is fine'
    if grep -q 'sees a.lua' <<<"$err"; then fail "scripts share globals: $err"; fi
}

t_indicator_string_metatable() {
    ind_published
    ind_bad evil.lua 'getmetatable("").__index = { upper = function() return "pwned" end }'
    expect_err '^content/indicators/evil\.lua:1: error: attempt to index a boolean value'
}

t_indicator_endless_loop() {
    ind_published
    ind_bad evil.lua 'indicator { id = "loop", name = "x" }
while true do end'
    expect_err '^content/indicators/evil\.lua:2: error: instruction budget exceeded'
}

t_indicator_endless_loop_in_a_function() {
    ind_published
    ind_bad evil.lua 'indicator { id = "loop", name = "x", values = function()
  local n = 0
  while true do n = n + 1 end
end }'
    expect_err '^content/indicators/evil\.lua:3: error: instruction budget exceeded'
}

t_indicator_memory_bomb() {
    ind_published
    ind_bad evil.lua 'local t = {}
for i = 1, 1e12 do t[i] = string.rep("x", 1 << 20) .. i end'
    expect_err '^content/indicators/evil\.lua:2: error: memory limit exceeded'
}

t_indicator_value_chain_200_deep() {
    ind_published
    ind_bad chain.lua 'for i = 1, 200 do
  indicator { id = "c" .. i, name = "c",
    values = function() return { [2017] = value("c" .. (i + 1), 2017) + 1 } end }
end
indicator { id = "c201", name = "end", values = { [2017] = 0 } }'
    expect_err '^content/indicators/chain\.lua:2: error: value\(\) calls nest more than 100 deep: c1 -> c2'
}

t_indicator_value_cycle() {
    ind_published
    ind_bad cycle.lua 'indicator { id = "a", name = "a", values = function() return { [2017] = value("b", 2017) } end }
indicator { id = "b", name = "b", values = function() return { [2017] = value("a", 2017) } end }'
    expect_err '^content/indicators/cycle\.lua:2: error: value\("a", 2017\): the indicators depend on each other in a cycle: a -> b -> a'
}

t_indicator_csv_broken_quote() {
    ind_published
    printf 'id,name\n1,"unterminated\n2,x\n' > r/content/data/bad.csv
    ind_bad table.lua 'local rows = csv("data/bad.csv")'
    expect_err '^content/data/bad\.csv:2:3: error: unterminated quoted field .*\(read by csv\(\) at content/indicators/table\.lua:1\)'
}

t_indicator_csv_outside_the_content_folder() {
    ind_published
    printf 'secret\n' > r/outside.csv
    ind_bad table.lua 'local rows = csv("../outside.csv")'
    expect_err '^content/indicators/table\.lua:1: error: csv\("\.\./outside\.csv"\): the path must be relative'
}

t_indicator_id_reused_in_two_files() {
    ind_published
    printf 'indicator { id = "twice", name = "first" }\n' > r/content/indicators/a.lua
    ind_bad b.lua '
indicator { id = "twice", name = "second" }'
    expect_err '^content/indicators/b\.lua:2: error: indicator id "twice" is already declared at content/indicators/a\.lua:1'
}

t_indicator_bad_values() {
    ind_published
    ind_bad bad.lua 'indicator { id = "Bad", name = "x" }
indicator { id = "y", name = "x", values = { [2016.5] = 1, [2017] = "7" }, plan = "p", goal = "g9" }'
    expect_err '^content/indicators/bad\.lua:1: error: indicator id "Bad" must be made of lowercase letters'
    expect_err '^content/indicators/bad\.lua:2: error: values: key 2016\.5 is not a year'
    expect_err '^content/indicators/bad\.lua:2: error: values: the value for 2017 must be a finite number, not "7" \(a string\) \(use tonumber\)'
    expect_err '^content/indicators/bad\.lua:2: error: unknown goal "g9" in plan "p"'
}

t_indicator_limits_in_site_yaml() {
    ind_published
    printf 'title: Test site\nlanguage: zh-CN\nlimits:\n  lua_instructions: 100000\n  lua_memory_mb: 16\n' > r/content/site.yaml
    ind_bad slow.lua 'local n = 0
for i = 1, 1e6 do n = n + i end'
    expect_err '^content/indicators/slow\.lua:2: error: instruction budget exceeded'
}

t_indicator_example_site() {
    pp build --repo "$ROOT" --out site --quiet
    expect_status 0
    local n
    n=$(ls site/indicators | grep -vc index.html)
    [ "$n" -ge 50 ] || fail "only $n indicator pages"
    for id in hunan-sci-literacy hunan-academician-workstations hunan-model-grassroots-orgs \
              hubei-sci-literacy hubei-community-stations hubei-university-cast-coverage \
              chuzhou-community-science-rooms chuzhou-science-caravan-events \
              yangzhou-patent-db-enterprises-2018 hunan-sci-literacy-gain; do
        expect_file "site/indicators/$id/index.html" '<svg class="indicator-chart"'
    done
    expect_file site/indicators/hunan-sci-literacy/index.html '5.14%（2015年）'
    expect_file site/indicators/hunan-sci-literacy-gain/index.html '4.86个百分点（2020年）'
    # no invented observations in the example content
    if grep -q ',observed,' site/data/indicators.csv; then fail "the example site has observed values"; fi
    expect_no_match site/indicators/index.html 'sample-badge'
}

# A plan links its indicators; an indicator with no value after its target
# year says so; the status counts link to the list filtered by status; the
# data files are linked where the data is shown.
t_indicator_links_and_passed_target() {
    ind_repo r
    cat > r/content/indicators/two.lua <<'EOF2'
indicator { id = "late", name = "过期指标", plan = "p", goal = "g1",
  baseline = { year = 2015, value = 1 }, target = { year = 2020, value = 2 } }
indicator { id = "future", name = "将来指标", plan = "p", goal = "g1",
  baseline = { year = 2015, value = 1 }, target = { year = 2030, value = 2 } }
EOF2
    commit_at r "2022-02-01T10:00:00+08:00" "indicators"
    pp build --repo r --out public --quiet
    expect_status 0
    expect_file public/indicators/late/index.html '目标年份已过，暂无数据'
    expect_no_match public/indicators/future/index.html '目标年份已过'
    expect_file public/indicators/index.html '<tr data-status="no-data">'
    expect_file public/indicators/index.html '<a href="#status-no-data"><span class="ind-status ind-status-no-data">暂无数据</span> <span class="summary-count">2</span></a>'
    expect_file public/indicators/index.html '<p id="status-no-data" class="status-filter"'
    expect_file public/index.html 'href="indicators/#status-no-data"'
    expect_file public/plans/p/index.html '<summary>本规划的指标（2 项）</summary>'
    expect_file public/plans/p/index.html 'href="../../indicators/late/"'
    expect_file public/plans/p/index.html '<a href="#plan-indicators">指标 2 项</a>'
    for f in public/indicators/index.html public/indicators/late/index.html public/plans/p/index.html; do
        expect_file "$f" 'href="[./]*data/indicators.csv"'
        expect_file "$f" 'href="[./]*data/site.json"'
    done
}
