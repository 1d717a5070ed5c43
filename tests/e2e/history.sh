# history.sh — revisions, diffs in the reader's terms, changes in the plan's
# terms, the site-wide change list and feed, shallow clones.

# A plan with goals and tasks, committed in three revisions.
three_revisions() {
    mkrepo r
    printf -- '- id: a\n  name: 甲单位\n- id: b\n  name: 乙单位\n' > r/content/bodies.yaml
    cat > r/content/plans/p.md <<'MD'
---
id: p
title: 规划
status: draft
---
## 目标 {.goals}
### 科学素质 {#g1}
到2020年达到10%。
## 任务 {.tasks}
### 任务一 {#t1 goals="g1" lead="a" due="2019-12-31"}
开展科普活动。
MD
    commit_at r "2020-01-10T10:00:00+08:00" "征求意见稿"
    sed -i 's/达到10%/达到12%/; s/status: draft/status: adopted/; s/lead="a"/lead="b"/; s/2019-12-31/2020-06-30/' r/content/plans/p.md
    printf '### 任务二 {#t2 goals="g1" lead="a"}\n新增的任务。\n' >> r/content/plans/p.md
    commit_at r "2020-02-10T10:00:00+08:00" "正式通过"
    sed -i 's/开展科普活动。/开展群众性科普活动。/' r/content/plans/p.md
    commit_at r "2020-03-10T10:00:00+08:00" "修改任务一"
}

t_revisions_listed_newest_first() {
    three_revisions
    pp build --repo r --out public --quiet
    expect_status 0
    f=public/plans/p/history/index.html
    expect_file $f '修改任务一'
    python3 - $f <<'PY'
import sys
h = open(sys.argv[1]).read()
a, b, c = h.index("修改任务一"), h.index("正式通过"), h.index("征求意见稿")
assert a < b < c, (a, b, c)
PY
    revs=$(git -C r log --format=%H -- content/plans/p.md | cut -c1-12)
    [ "$(wc -w <<<"$revs")" = 3 ] || fail "expected 3 revisions in git: $revs"
    for rev in $revs; do
        expect_file public/plans/p/history/$rev/index.html
        expect_file public/plans/p/diff/$rev/index.html
    done
    old=$(git -C r log --format=%H -- content/plans/p.md | tail -1 | cut -c1-12)
    # a past version is marked as such, with the text as it stood
    expect_file public/plans/p/history/$old/index.html 'class="past-banner"'
    expect_file public/plans/p/history/$old/index.html '达到10%'
    # the plan page says when it last changed
    expect_file public/plans/p/index.html 'history/'
    python3 - public/data/site.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
p = d["plans"][0]
assert [r["message"] for r in p["revisions"]] == ["修改任务一", "正式通过", "征求意见稿"], p["revisions"]
assert all(len(r["commit"]) == 40 and r["url"].startswith("plans/p/history/") for r in p["revisions"])
PY
}

t_diff_marks_characters_and_plan_terms() {
    three_revisions
    pp build --repo r --out public --quiet
    expect_status 0
    mid=$(git -C r rev-parse HEAD~1 | cut -c1-12)
    last=$(git -C r rev-parse HEAD | cut -c1-12)
    f=public/plans/p/diff/$mid/index.html
    # the changed characters are marked inside the paragraph
    expect_file $f '<del>10</del>'
    expect_file $f '<ins>12</ins>'
    # the change told in the plan's own terms
    expect_file $f 'change-field'
    expect_file $f '<del>draft</del> → <ins>adopted</ins>'
    expect_file $f 'change-figure'
    expect_file $f '<del>10%</del> → <ins>12%</ins>'
    expect_file $f 'change-lead-added'
    expect_file $f 'change-lead-removed'
    expect_file $f 'change-due'
    expect_file $f '<del>2019-12-31</del> → <ins>2020-06-30</ins>'
    expect_file $f 'change-item-added'
    expect_file public/plans/p/diff/$last/index.html '<ins>群众性</ins>'
}

t_changes_page_and_feed() {
    three_revisions
    pp build --repo r --out public --quiet --base-url https://plans.example.org/sub
    expect_status 0
    expect_file public/changes/index.html '修改任务一'
    python3 - public/feed.xml <<'PY'
import sys, xml.etree.ElementTree as ET
ns = {"a": "http://www.w3.org/2005/Atom"}
root = ET.parse(sys.argv[1]).getroot()
entries = root.findall("a:entry", ns)
assert len(entries) == 3, len(entries)
assert entries[0].find("a:summary", ns).text == "修改任务一"
link = entries[0].find("a:link", ns).get("href")
assert link.startswith("https://plans.example.org/sub/plans/p/diff/"), link
for e in entries:
    assert e.find("a:updated", ns).text.endswith("Z")
    assert e.find("a:id", ns).text
PY
}

t_delete_and_bring_back() {
    mkrepo r
    plan r p "规划"
    commit_at r "2020-01-10T10:00:00+08:00" "add"
    git -C r rm -q content/plans/p.md
    commit_at r "2020-02-10T10:00:00+08:00" "remove"
    mkdir -p r/content/plans
    plan r p "规划（恢复）"
    commit_at r "2020-03-10T10:00:00+08:00" "bring back"
    pp build --repo r --out public --quiet
    expect_status 0
    f=public/plans/p/history/index.html
    expect_file $f 'revision-deleted'
    expect_file $f 'bring back'
    expect_file $f 'add'
}

t_rename_with_edit_and_swap() {
    mkrepo r
    printf -- '---\nid: one\ntitle: 一号\n---\n第一版。\n' > r/content/plans/a.md
    printf -- '---\nid: two\ntitle: 二号\n---\n第二个。\n' > r/content/plans/b.md
    commit_at r "2020-01-10T10:00:00+08:00" "add"
    git -C r mv content/plans/a.md content/plans/moved.md
    sed -i 's/第一版/第二版/' r/content/plans/moved.md
    commit_at r "2020-02-10T10:00:00+08:00" "rename and edit"
    # the two files swap names; the ids stay with the text
    git -C r mv content/plans/moved.md content/plans/tmp.md
    git -C r mv content/plans/b.md content/plans/moved.md
    git -C r mv content/plans/tmp.md content/plans/b.md
    commit_at r "2020-03-10T10:00:00+08:00" "swap"
    pp build --repo r --out public --quiet
    expect_status 0
    f=public/plans/one/history/index.html
    expect_file $f 'rename and edit'
    expect_file $f 'swap'
    expect_file $f 'content/plans/a.md</code> → <code>content/plans/moved.md'
    rev=$(git -C r rev-parse HEAD~1 | cut -c1-12)
    expect_file public/plans/one/diff/$rev/index.html '<del>一</del>|<ins>二</ins>'
    # plan two: added, then swapped (no text change)
    expect_file public/plans/two/history/index.html 'swap'
}

t_markup_and_odd_messages() {
    mkrepo r
    plan r p "规划"
    commit_at r "2020-01-10T10:00:00+08:00" '<script>alert(1)</script> & more'
    # an author name that is not UTF-8, and an empty message: written raw
    python3 - <<'PY' | git -C r fast-import --quiet
import sys
body = "---\nid: p\ntitle: 规划\n---\n\n更多。\n".encode()
out = b"commit refs/heads/main\n"
out += b"author Bad \xff\xfe Name <x@example.org> 1581300000 +0800\n"
out += b"committer Bad \xff\xfe Name <x@example.org> 1581300000 +0800\n"
out += b"data 0\n\nfrom refs/heads/main^0\n"
out += b"M 100644 inline content/plans/p.md\n" + b"data %d\n%s\n" % (len(body), body)
sys.stdout.buffer.write(out)
PY
    git -C r reset -q --hard main
    pp build --repo r --out public --quiet
    expect_status 0
    for f in public/plans/p/history/index.html public/changes/index.html public/feed.xml; do
        expect_no_match $f '<script>alert'
    done
    expect_file public/plans/p/history/index.html '&lt;script&gt;alert\(1\)&lt;/script&gt; &amp; more'
    # every page is valid UTF-8; the bad bytes became U+FFFD
    python3 -c 'import sys; open(sys.argv[1], encoding="utf-8").read()' public/plans/p/history/index.html
    expect_file public/plans/p/history/index.html 'Bad �� Name'
    python3 -c 'import sys, xml.etree.ElementTree as ET; ET.parse(sys.argv[1])' public/feed.xml
}

t_shallow_clone_says_where_history_begins() {
    three_revisions
    git clone -q --depth 1 "file://$PWD/r" shallow
    pp build --repo shallow --out public --quiet
    expect_status 0
    expect_file public/plans/p/history/index.html 'class="notice"'
    n=$(ls public/plans/p/history | grep -c '^[0-9a-f]\{12\}$')
    [ "$n" = 1 ] || fail "expected one revision in a shallow clone, got $n"
}

t_no_history_option() {
    three_revisions
    pp build --repo r --out public --quiet --no-history
    expect_status 0
    [ ! -e public/plans/p/history ] || fail "history written with --no-history"
    expect_file public/plans/p/index.html
}

t_large_diff_and_long_history() {
    mkrepo r
    python3 - <<'PY'
lines = ["---", "id: big", "title: 大", "---", ""]
for i in range(100000):
    lines.append(f"第{i}行。")
    lines.append("")
open("r/content/plans/big.md", "w").write("\n".join(lines))
PY
    commit_at r "2020-01-10T10:00:00+08:00" "big"
    python3 - <<'PY'
lines = ["---", "id: big", "title: 大", "---", ""]
for i in range(100000):
    lines.append(f"第{i}段，已改。")
    lines.append("")
open("r/content/plans/big.md", "w").write("\n".join(lines))
PY
    commit_at r "2020-02-10T10:00:00+08:00" "rewrite everything"
    # 10,000 commits touching one small plan, written with fast-import
    plan r small "小"
    commit_at r "2020-02-11T10:00:00+08:00" "small"
    python3 - <<'PY' | git -C r fast-import --quiet
import sys
out = []
for i in range(10000):
    body = f"---\nid: small\ntitle: 小\n---\n\n第{i}版。\n".encode()
    msg = f"edit {i}".encode()
    out.append(b"commit refs/heads/main\n")
    out.append(f"committer T <t@example.org> {1581400000 + i * 60} +0800\n".encode())
    out.append(b"data %d\n%s\n" % (len(msg), msg))
    if i == 0:
        out.append(b"from refs/heads/main^0\n")
    out.append(b"M 100644 inline content/plans/small.md\n")
    out.append(b"data %d\n%s\n" % (len(body), body))
sys.stdout.buffer.write(b"".join(out))
PY
    git -C r reset -q --hard main
    PP_TIMEOUT=300 pp build --repo r --out public --quiet
    expect_status 0
    n=$(ls public/plans/small/history | grep -c '^[0-9a-f]\{12\}$')
    [ "$n" = 10001 ] || fail "expected 10001 revisions, got $n"
    rev=$(git -C r log --format=%H -1 -- content/plans/big.md | cut -c1-12)
    expect_file public/plans/big/diff/$rev/index.html 'diff-'
}

# An indicator whose target, values (from a CSV) and unit change over five
# commits, with commits between them that do not touch it.
indicator_revisions() {
    mkrepo r
    mkdir -p r/content/indicators r/content/data
    plan r p '规划' '## 目标 {.goals}
### 科学素质 {#g1}
到2020年达到10%。'
    cat > r/content/indicators/sci.lua <<'LUA'
indicator { id = "sci", name = "科学素质比例", unit = "%", plan = "p", goal = "g1",
  baseline = { year = 2015, value = 6.2 }, target = { year = 2020, value = 10 } }
LUA
    commit_at r "2020-01-10T10:00:00+08:00" "发布指标"
    sed -i 's/value = 10 }/value = 12 }/' r/content/indicators/sci.lua
    commit_at r "2020-02-10T10:00:00+08:00" "目标调整为12%"
    printf 'year,value\n2016,7.1\n2017,8\n' > r/content/data/v.csv
    cat > r/content/indicators/sci.lua <<'LUA'
local vals = {}
for _, row in ipairs(csv("data/v.csv")) do vals[tonumber(row.year)] = tonumber(row.value) end
indicator { id = "sci", name = "科学素质比例", unit = "%", plan = "p", goal = "g1",
  baseline = { year = 2015, value = 6.2 }, target = { year = 2020, value = 12 }, values = vals }
LUA
    commit_at r "2020-03-10T10:00:00+08:00" "加入观测值"
    sed -i 's/达到10%/达到12%/' r/content/plans/p.md
    echo "unrelated" > r/content/data/notes.txt
    commit_at r "2020-04-10T10:00:00+08:00" "修改规划文字"
    sed -i 's/2017,8$/2017,8.4/' r/content/data/v.csv
    echo "2018,9" >> r/content/data/v.csv
    commit_at r "2020-05-10T10:00:00+08:00" "更正2017年数值 <b>x</b>"
}

t_indicator_audit_trail() {
    indicator_revisions
    pp build --repo r --out public --quiet
    expect_status 0
    python3 - public/indicators/sci/index.html <<'PY'
import re, sys
h = open(sys.argv[1]).read()
i = h.index('id="sec-trail"')
sec = h[i:h.index('</section>', i)]
# one entry per commit that changed the indicator, newest first; the
# commits that did not touch it (the plan's text, an unread file) are absent
commits = re.findall(r'<li class="trail-commit"[^>]*>(.*?)</ul>\s*</li>', sec, re.S)
msgs = [re.search(r'<p class="trail-message">(.*?)</p>', c).group(1) for c in commits]
assert msgs == ["更正2017年数值 &lt;b&gt;x&lt;/b&gt;", "加入观测值", "目标调整为12%", "发布指标"], msgs
text = lambda c: [re.sub(r'<[^>]+>', '', x).strip() for x in re.findall(r'<li class="trail-[a-z]+">(.*?)</li>', c, re.S)]
assert text(commits[0]) == ["2017年数值：8% → 8.4%", "2018年数值：新增 9%"], text(commits[0])
assert text(commits[1]) == ["2016年数值：新增 7.1%", "2017年数值：新增 8%"], text(commits[1])
assert text(commits[2]) == ["目标值：10%（2020年） → 12%（2020年）"], text(commits[2])
assert text(commits[3]) == ["首次发布。基期值 6.2%（2015年）。目标值 10%（2020年）。"], text(commits[3])
assert "2020年5月10日" in commits[0] and "2020年1月10日" in commits[3], commits[0]
assert "<b>x</b>" not in h
PY
    # the site-wide change list and the feed tell the indicator's changes too
    pp build --repo r --out public --quiet --base-url https://example.org/site/
    expect_status 0
    python3 - public/changes/index.html public/feed.xml <<'PY'
import re, sys
import xml.etree.ElementTree as ET
h = open(sys.argv[1]).read()
lst = h[h.index('<ol class="revision-list">'):]
lst = lst[:lst.index('</ol>')]
items = [(k, body) for k, body in re.findall(r'<li class="revision( revision-indicator)?">(.*?)(?=<li class="revision|$)', lst, re.S)]
kinds = ["indicator" if k else "plan" for k, _ in items]
# newest first: 更正 (indicator), 修改规划文字 (plan), 加入观测值, 目标调整, 发布指标 (plan + indicator)
assert kinds == ["indicator", "plan", "indicator", "indicator", "plan", "indicator"], kinds
assert "2017年数值：8% → 8.4%" in re.sub(r'<[^>]+>', '', items[0][1]), items[0][1]
assert 'href="../indicators/sci/#' in items[0][1], items[0][1]
ns = {"a": "http://www.w3.org/2005/Atom"}
feed = ET.parse(sys.argv[2]).getroot()
entries = feed.findall("a:entry", ns)
links = [e.find("a:link", ns).get("href") for e in entries]
ids = [e.find("a:id", ns).text for e in entries]
assert links[0] == "https://example.org/site/indicators/sci/", links
assert len(set(ids)) == len(ids), ids
assert sum(1 for l in links if "/indicators/sci/" in l) == 4, links
PY
    python3 - public/data/site.json <<'PY'
import json, sys
ind = json.load(open(sys.argv[1]))["indicators"][0]
ch = ind["changes"]
assert [c["kind"] for c in ch] == ["value", "value", "value", "value", "target", "added"], ch
assert ch[0]["year"] == 2017 and ch[0]["from"] == {"year": 2017, "value": 8} and ch[0]["to"]["value"] == 8.4, ch[0]
assert ch[4]["from"]["value"] == 10 and ch[4]["to"]["value"] == 12 and len(ch[4]["commit"]) == 40, ch[4]
PY
}

t_indicator_audit_trail_past_failure_and_shallow() {
    indicator_revisions
    # a commit whose script fails: the indicator is gone there, back after
    cp r/content/indicators/sci.lua sci.good
    sed -i '1i error("broken")' r/content/indicators/sci.lua
    commit_at r "2020-06-10T10:00:00+08:00" "写错了"
    cp sci.good r/content/indicators/sci.lua
    sed -i 's/unit = "%"/unit = "百分比"/' r/content/indicators/sci.lua
    commit_at r "2020-07-10T10:00:00+08:00" "修好"
    pp build --repo r --out public --quiet
    expect_status 0
    python3 - public/indicators/sci/index.html <<'PY'
import re, sys
h = open(sys.argv[1]).read()
i = h.index('id="sec-trail"')
sec = h[i:h.index('</section>', i)]
commits = re.findall(r'<li class="trail-commit"[^>]*>(.*?)</ul>\s*</li>', sec, re.S)
msgs = [re.search(r'<p class="trail-message">(.*?)</p>', c).group(1) for c in commits]
assert msgs[:2] == ["修好", "写错了"], msgs
assert 'class="trail-removed"' in commits[1]
assert 'class="trail-added"' in commits[0] and "重新定义" in commits[0], commits[0]
assert "单位" not in commits[0], commits[0]  # back again: told as such, not as a unit change
assert msgs[-1] == "发布指标" and "首次发布" in commits[-1], msgs
PY
    # a shallow clone: the trail says where it begins; the oldest commit
    # there (更正…) is where it starts, not a "first published"
    git clone -q --depth 3 "file://$PWD/r" shallow
    pp build --repo shallow --out public2 --quiet
    expect_status 0
    expect_file public2/indicators/sci/index.html 'id="sec-trail"'
    python3 - public2/indicators/sci/index.html <<'PY'
import re, sys
h = open(sys.argv[1]).read()
i = h.index('id="sec-trail"')
sec = h[i:h.index('</section>', i)]
assert 'class="notice"' in sec, sec
assert len(re.findall(r'class="trail-commit"', sec)) == 2, sec
assert "首次发布" not in sec and "重新定义" in sec, sec
PY
    # --no-history: no trail
    pp build --repo r --out public3 --quiet --no-history
    expect_status 0
    expect_no_match public3/indicators/sci/index.html 'sec-trail'
}

# The cache (docs/history.md): a rebuild reuses every revision, a new commit
# adds only its own work, and no state of the cache changes the output.
# The cache can only cost time: damaged bytes (the audit's 4-byte
# corruptions, a script written over a paragraph) and forged entries with a
# valid checksum (markup, a javascript: link, a tag of no table) give the
# output of a build without it, exit 0.
t_history_cache_damage_or_forgery_never_reaches_a_page() {
    three_revisions
    pp build --repo r --out nocache --quiet --no-cache
    expect_status 0
    pp build --repo r --out cold --quiet
    expect_status 0
    diff -r nocache cold >/dev/null || fail "the cache changed the output"
    cp r/.git/planpress/history.cache pristine
    size=$(stat -c %s pristine)
    for seed in $(seq 1 14); do
        cp pristine r/.git/planpress/history.cache
        python3 - r/.git/planpress/history.cache $seed <<'PY'
import random, sys
path, seed = sys.argv[1], int(sys.argv[2])
data = bytearray(open(path, 'rb').read())
rnd = random.Random(seed)
pos = rnd.randrange(36, len(data) - 4)   # past the header (magic, version, stamp)
for k in range(4):
    data[pos + k] = (data[pos + k] + 1 + rnd.randrange(255)) % 256  # always another byte
open(path, 'wb').write(data)
PY
        pp build --repo r --out damaged-$seed --quiet
        expect_status 0
        diff -r nocache damaged-$seed >/dev/null || fail "4 damaged bytes (seed $seed) changed the output"
        rm -rf damaged-$seed
    done
    # a script over the bytes after a paragraph's start, checksum not mended
    cp pristine r/.git/planpress/history.cache
    python3 - r/.git/planpress/history.cache <<'PY'
import sys
path = sys.argv[1]
data = bytearray(open(path, 'rb').read())
i = data.find(b'<p>')
i = i + 3 if i >= 0 else data.find(b'S\x13\x00') + 3   # markup, or a <p> as data
script = b'<script>alert(1)</script>'
data[i:i + len(script)] = script
open(path, 'wb').write(data)
PY
    pp build --repo r --out script --quiet
    expect_status 0
    diff -r nocache script >/dev/null || fail "a script written into the cache changed the output"
    grep -rq 'alert(1)' script && fail "the script was published"
    # forged with a valid checksum: the value breaks a rule, so it is recomputed
    for forgery in text link tag; do
        cp pristine r/.git/planpress/history.cache
        python3 - r/.git/planpress/history.cache $forgery <<'PY'
import struct, sys, zlib
path, how = sys.argv[1], sys.argv[2]
data = open(path, 'rb').read()
out, pos, done = bytearray(data[:36]), 36, False
def u32(b, i): return struct.unpack_from('<I', b, i)[0]
while pos + 4 <= len(data):
    kl = u32(data, pos); key = data[pos + 4:pos + 4 + kl]
    vp = pos + 4 + kl; vl = u32(data, vp); val = bytearray(data[vp + 4:vp + 4 + vl])
    pos = vp + 4 + vl + 4
    if not done and key.startswith(b'rev '):
        tl = u32(val, 0); i = 4 + (tl + 1 if tl != 0xffffffff else 0)
        hl = u32(val, i)                       # the text, as data
        if hl not in (0, 0xffffffff):
            if how == 'text':
                extra = b'T' + struct.pack('<I', 25) + b'<script>alert(1)</script>'
            elif how == 'link':
                href = b'javascript:alert(1)'
                extra = b'S\x00\x01\x82' + struct.pack('<I', len(href)) + href + b'T\x01\x00\x00\x00xE\x00'
            else:
                extra = b'S\xc8\x00E\xc8'     # an element of no table
            val[i:i + 4] = struct.pack('<I', hl + len(extra))
            val[i + 4:i + 4] = extra
            done = True
    rec = struct.pack('<I', kl) + key + struct.pack('<I', len(val)) + bytes(val)
    out += rec + struct.pack('<I', zlib.crc32(rec))
assert done, 'no revision to forge'
open(path, 'wb').write(out)
PY
        pp build --repo r --out forged-$forgery --quiet
        expect_status 0
        expect_err 'note: 1 entry of the history cache was damaged or invalid: recomputed, not used'
        diff -r nocache forged-$forgery >/dev/null || fail "a forged entry ($forgery) changed the output"
        grep -rq 'alert(1)' forged-$forgery && fail "the forgery ($forgery) was published"
    done
    # the damaged entries were recomputed and written anew: a sound cache
    pp build --repo r --out again --quiet
    expect_status 0
    grep -q 'damaged' <<<"$err" && fail "the cache stayed damaged: $err"
    diff -r nocache again >/dev/null || fail "the rewritten cache changed the output"
}

t_history_cache_reuses_and_never_changes_output() {
    three_revisions
    export PLANPRESS_TIMINGS=1
    pp build --repo r --out cold --quiet
    expect_status 0
    [ -f r/.git/planpress/history.cache ] || fail "no cache written"
    grep -q 'history cache: 0 read, 0 used, [1-9]' <<<"$err" || fail "cold build: $err"
    pp build --repo r --out warm --quiet
    expect_status 0
    n=$(grep -oE 'history cache: [0-9]+ read, [0-9]+ used, [0-9]+ added' <<<"$err")
    [[ $n =~ ^history\ cache:\ ([0-9]+)\ read,\ ([0-9]+)\ used,\ 0\ added$ ]] || fail "warm build: $n"
    [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] && [ "${BASH_REMATCH[1]}" -gt 3 ] || fail "warm build: $n"
    pp build --repo r --out nocache --quiet --no-cache
    expect_status 0
    diff -r cold warm || fail "a warm cache changed the output"
    diff -r cold nocache || fail "the cache changed the output"
    # one more commit: only its revision (and its blob's id) is new work
    sed -i 's/新增的任务。/新增的任务，已修改。/' r/content/plans/p.md
    commit_at r "2020-04-10T10:00:00+08:00" "修改任务二"
    pp build --repo r --out next --quiet
    expect_status 0
    grep -qE 'history cache: [0-9]+ read, [0-9]+ used, 2 added' <<<"$err" || fail "after one commit: $err"
    pp build --repo r --out next-nocache --quiet --no-cache
    diff -r next next-nocache || fail "the cache changed the output after a commit"
    # a damaged cache is an empty one
    for damage in truncate garbage; do
        if [ $damage = truncate ]; then truncate -s 100 r/.git/planpress/history.cache
        else head -c 5000 /dev/urandom > r/.git/planpress/history.cache; fi
        pp build --repo r --out damaged-$damage --quiet
        expect_status 0
        diff -r next-nocache damaged-$damage || fail "a $damage cache changed the output"
    done
    # other bodies: the cache's stamp differs, nothing is reused
    pp build --repo r --out again --quiet
    printf -- '- id: a\n  name: 甲单位\n- id: b\n  name: 乙单位\n- id: c\n  name: 丙单位\n' > r/content/bodies.yaml
    commit_at r "2020-05-10T10:00:00+08:00" "新增单位"
    pp build --repo r --out stamped --quiet
    expect_status 0
    grep -q 'history cache: 0 read, 0 used' <<<"$err" || fail "another bodies registry reused the cache: $err"
    # a cache that cannot be written is a note, and the build succeeds
    rm -rf r/.git/planpress
    echo "not a folder" > r/.git/planpress
    pp build --repo r --out unwritable --quiet --strict
    expect_status 0
    grep -q 'cannot write the cache' <<<"$err" || fail "no note about the cache: $err"
}

# A past version whose blob is missing from the repository (a damaged
# clone): the walk reads the blobs it needs ahead, on several threads, and
# leaves a failed read to the walk itself, so the error is reported once,
# with the file it belongs to, and the site of the build before stays whole.
t_missing_past_blob_is_reported_once() {
    mkrepo r
    printf -- '---\nid: p\ntitle: 规划\n---\n正文一。\n' > r/content/plans/p.md
    printf -- '---\nid: q\ntitle: 另一规划\n---\n正文。\n' > r/content/plans/q.md
    commit_at r "2020-01-10T10:00:00+08:00" "一"
    pp build --repo r --out public --quiet
    expect_status 0
    sed -i 's/正文一/正文二/' r/content/plans/p.md
    commit_at r "2020-02-10T10:00:00+08:00" "二"
    old=$(git -C r rev-parse HEAD~1:content/plans/p.md)
    rm -f "r/.git/objects/${old:0:2}/${old:2}"
    pp build --repo r --out public --jobs 2
    expect_status 3
    expect_err "content/plans/p.md: error: cannot read the object"
    [ "$(grep -c 'cannot read the object' <<<"$err")" = 1 ] || fail "reported more than once: $err"
    # the site of the first build, untouched
    expect_file public/plans/p/index.html '正文一'
    expect_no_match public/plans/p/index.html '正文二'
}

# The scripts' results on past commits are kept in the cache, by the blob
# ids of the scripts and the files they read: a second build runs them on
# no past commit, and publishes the same trail.
t_indicator_trail_cached() {
    indicator_revisions
    PLANPRESS_TIMINGS=1 pp build --repo r --out public
    expect_status 0
    runs=$(grep -oE 'indicator scripts run on [0-9]+ past commits' <<<"$err" | grep -oE '[0-9]+')
    [ "${runs:-0}" -gt 0 ] || fail "no script runs on past commits: $err"
    cp public/data/site.json first.json
    PLANPRESS_TIMINGS=1 pp build --repo r --out public
    expect_status 0
    expect_err 'indicator scripts run on 0 past commits'
    cmp first.json public/data/site.json || fail "the cached trail differs"
    # a corrupt or foreign entry is a miss, never a different trail
    PLANPRESS_TIMINGS=1 pp build --repo r --out public --no-cache
    expect_status 0
    expect_err "indicator scripts run on $runs past commits"
    cmp first.json public/data/site.json || fail "--no-cache differs"
}
