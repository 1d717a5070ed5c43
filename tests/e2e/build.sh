# build.sh — building a site from a throwaway repository: pages, data files,
# atomic output, reproducibility, revisions and the working tree.

t_builds_plans_and_pages() {
    mkrepo r
    plan r alpha "甲规划" "## 一、总则

第一段。

### （一）目标

| 指标 | 2020 |
|---|---|
| 比例 | 10% |"
    mkdir -p r/content/pages
    printf -- '---\ntitle: 关于\n---\n\n关于本站。\n' > r/content/pages/about.md
    commit_at r "2020-02-01T10:00:00+08:00" "Add alpha"
    pp build --repo r --out public --quiet
    expect_status 0
    expect_file public/index.html 'plans/alpha/'
    expect_file public/plans/alpha/index.html '甲规划'
    expect_file public/plans/alpha/index.html '<table>'
    expect_file public/plans/alpha/index.html 'id="一总则"'
    expect_file public/pages/about/index.html '关于本站'
    expect_file public/sitemap.xml '<loc>'
    expect_file public/data/site.json '"id": "alpha"'
    expect_file public/404.html
    # every page says which commit it was built from
    rev=$(git -C r rev-parse HEAD | cut -c1-12)
    expect_file public/plans/alpha/index.html "$rev"
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["plans"][0]["title"]=="甲规划", d' public/data/site.json
}

# The sitemap lists every public page, each dated by the last commit that
# changed its source: the plan file for a plan's pages, the revision for a
# version or a change, the built commit for the rest.
t_sitemap_every_page_with_its_date() {
    mkrepo r
    plan r alpha "甲规划" "## 一、目标 {.goals}

### （一）提高素质 {#g1}

## 二、任务 {.tasks}

### （一）科普 {#t1 goals=\"g1\"}"
    commit_at r "2020-02-01T10:00:00+08:00" "Add alpha"
    plan r beta "乙规划"
    commit_at r "2021-05-06T10:00:00+08:00" "Add beta"
    mkdir -p r/content/pages
    printf -- '---\ntitle: 关于\n---\n\n关于本站。\n' > r/content/pages/about.md
    commit_at r "2022-07-08T10:00:00+08:00" "Add about"
    pp build --repo r --out public --quiet --base-url https://example.org/
    expect_status 0
    python3 - public <<'PY'
import os, re, sys
root = sys.argv[1]
xml = open(os.path.join(root, "sitemap.xml"), encoding="utf-8").read()
urls = dict(re.findall(r"<url><loc>https://example.org/([^<]*)</loc><lastmod>([0-9-]+)</lastmod></url>", xml))
pages = set()
for d, _, files in os.walk(root):
    if "index.html" in files:
        rel = os.path.relpath(d, root)
        pages.add("" if rel == "." else rel + "/")
assert set(urls) == pages, (sorted(pages - set(urls)), sorted(set(urls) - pages))
rev = [u for u in urls if u.startswith("plans/alpha/history/") and u != "plans/alpha/history/"]
assert len(rev) == 1, rev
for u in ["plans/alpha/", "plans/alpha/matrix/", "plans/alpha/history/", "plans/alpha/goals/g1/",
          "plans/alpha/tasks/t1/", rev[0], rev[0].replace("/history/", "/diff/")]:
    assert urls[u] == "2020-02-01", (u, urls[u])
assert urls["plans/beta/"] == "2021-05-06", urls["plans/beta/"]
for u in ["", "pages/about/", "bodies/", "search/"]:
    assert urls[u] == "2022-07-08", (u, urls[u])
PY
}

t_default_repo_is_the_enclosing_one() {
    mkrepo r
    plan r alpha "Alpha"
    commit_at r "2020-02-01T10:00:00+08:00" "Add alpha"
    mkdir -p r/content/plans/sub
    cd r/content/plans/sub
    pp build --out ../../../../out --quiet
    expect_status 0
    cd ../../../..
    expect_file out/plans/alpha/index.html Alpha
}

t_reads_committed_tree_not_worktree() {
    mkrepo r
    plan r alpha "Committed title"
    commit_at r "2020-02-01T10:00:00+08:00" "Add alpha"
    plan r alpha "Uncommitted title"
    pp build --repo r --out public --quiet
    expect_status 0
    expect_file public/plans/alpha/index.html 'Committed title'
    expect_no_match public/plans/alpha/index.html 'Uncommitted title'
    pp build --repo r --out public2 --worktree --quiet
    expect_status 0
    expect_file public2/plans/alpha/index.html 'Uncommitted title'
}

# Committed files are read from their checked-out copies when these hash to
# the committed blob (docs/architecture.md): an edit, even of the same
# length, is never published, and a FIFO put where a file was checked out is
# never waited on.
t_checked_out_copy_read_only_when_it_is_the_blob() {
    mkrepo r
    plan r alpha "Committed title"
    plan r beta "Beta title"
    commit_at r "2020-02-01T10:00:00+08:00" "Add alpha and beta"
    sed -i 's/Committed title/Committed TITLE/' r/content/plans/alpha.md
    rm r/content/plans/beta.md
    mkfifo r/content/plans/beta.md
    PP_TIMEOUT=30 pp build --repo r --out public --quiet
    expect_status 0
    expect_file public/plans/alpha/index.html 'Committed title'
    expect_no_match public/plans/alpha/index.html 'Committed TITLE'
    expect_file public/plans/beta/index.html 'Beta title'
}

t_ref_and_as_of_pick_revisions() {
    mkrepo r
    plan r alpha "First"
    commit_at r "2020-02-01T10:00:00+08:00" "v1"
    plan r alpha "Second"
    commit_at r "2020-03-01T10:00:00+08:00" "v2"
    pp build --repo r --ref HEAD~1 --out a --quiet
    expect_status 0
    expect_file a/plans/alpha/index.html First
    pp build --repo r --as-of 2020-02-15 --out b --quiet
    expect_status 0
    expect_file b/plans/alpha/index.html First
    pp build --repo r --as-of 2020-03-01 --out c --quiet
    expect_status 0
    expect_file c/plans/alpha/index.html Second
    pp build --repo r --as-of 2019-01-01 --out d --quiet
    expect_status 3
    expect_err 'no commit on or before 2019-01-01'
    [ ! -e d ] || fail "output written for a failed build"
}

t_two_builds_are_byte_identical() {
    mkrepo r
    for i in 1 2 3 4 5 6 7 8; do plan r "p$i" "规划 $i"; done
    commit_at r "2020-02-01T10:00:00+08:00" "plans"
    pp build --repo r --out one --quiet --jobs 2
    expect_status 0
    pp build --repo r --out two --quiet --jobs 1
    expect_status 0
    diff -r one two >/dev/null || fail "two builds of one revision differ: $(diff -r one two | head -20)"
}

t_content_option_and_root_content() {
    mkdir r
    git -C r -c init.defaultBranch=main init -q
    mkdir -p r/site/plans
    printf 'title: Nested\n' > r/site/site.yaml
    plan_dir=r/site/plans
    printf -- '---\ntitle: Beta\n---\ntext\n' > $plan_dir/beta.md
    commit_at r "2020-02-01T10:00:00+08:00" "nested"
    pp build --repo r --content site --out public --quiet
    expect_status 0
    expect_file public/plans/beta/index.html Beta
    pp build --repo r --content nowhere --out p2 --quiet
    expect_status 2
    expect_err 'no such folder'
}

t_failed_build_keeps_previous_output() {
    mkrepo r
    plan r alpha "Good"
    commit_at r "2020-02-01T10:00:00+08:00" "good"
    pp build --repo r --out public --quiet
    expect_status 0
    before=$(find public -type f | sort | xargs sha1sum | sha1sum)
    printf -- '---\ntitle: [unclosed\n---\n' > r/content/plans/bad.md
    commit_at r "2020-02-02T10:00:00+08:00" "bad"
    pp build --repo r --out public --quiet
    expect_status 1
    after=$(find public -type f | sort | xargs sha1sum | sha1sum)
    [ "$before" = "$after" ] || fail "previous output changed"
    [ -z "$(ls -a | grep -E '^\.public\.tmp-')" ] || fail "staging folder left behind"
}

t_check_writes_nothing() {
    mkrepo r
    plan r alpha "Alpha"
    commit_at r "2020-02-01T10:00:00+08:00" "a"
    pp check --repo r --out public
    expect_status 0
    [ ! -e public ] || fail "check wrote output"
    expect_err 'checked'
}

t_markup_in_content_is_not_emitted() {
    mkrepo r
    printf -- '---\nid: x\ntitle: "<script>alert(1)</script>标题"\nnumber: "<b>n</b>"\n---\n\n<script>alert(2)</script>\n\n<img src=x onerror=alert(3)>\n\n[link](javascript:alert(4))\n\n## <i>h</i>\n' > r/content/plans/x.md
    commit_at r "2020-02-01T10:00:00+08:00" "x"
    pp build --repo r --out public --quiet
    expect_status 0
    f=public/plans/x/index.html
    expect_no_match $f '<script>alert'
    expect_no_match $f 'onerror=alert'
    expect_no_match $f 'href="javascript:'
    expect_no_match $f '<b>n</b>'
    expect_file $f '&lt;script&gt;alert\(1\)'
    expect_no_match public/index.html '<script>alert'
}

# 404.html is shown at any depth: with a base URL its links start from the
# base URL's path; without one (or with an odd one) they stay relative.
t_not_found_page_links_from_base_path() {
    mkrepo r
    plan r p '规划'
    commit_at r "2020-01-10T10:00:00+08:00" "p"
    pp build --repo r --out a --quiet --base-url https://example.org/site/
    expect_status 0
    expect_file a/404.html 'href="/site/assets/style.css"'
    expect_file a/404.html 'action="/site/search/"'
    pp build --repo r --out b --quiet
    expect_status 0
    expect_file b/404.html 'href="assets/style.css"'
    pp build --repo r --out c --quiet --base-url 'https://example.org/a"b/'
    expect_status 0
    expect_file c/404.html 'href="assets/style.css"'
    expect_no_match c/404.html 'a"b'
}

# Template limits: the first page that hits one stops the build, naming the
# page, its source and the setting that raises the limit; all the pages
# together have a budget of their own.
t_template_limit_stops_the_build() {
    mkrepo r
    for i in $(seq 1 30); do plan r "p$i" "规划$i"; done
    mkdir -p r/themes/default/templates
    { echo '{% while true do end %}'; cat "$ROOT/themes/default/templates/layout.html"; } \
        > r/themes/default/templates/layout.html
    printf 'title: T\nlimits:\n  lua_instructions: 2000000\n' > r/content/site.yaml
    commit_at r "2020-02-02T10:00:00+08:00" "looping layout"
    export PLANPRESS_THEMES="$ROOT/themes"
    pp build --repo r --out public --quiet --jobs 2
    expect_status 1
    expect_err '^themes/default/templates/layout\.html:1: error: instruction budget exceeded \(site\.yaml limits\.lua_instructions: 2000000\), rendering '
    [ "$(grep -c 'budget exceeded' <<<"$err")" -le 2 ] || fail "every page was rendered: $(grep -c 'budget exceeded' <<<"$err") errors"
    [ ! -e public ] || fail "published"
    # memory: the page and its source are named, and the setting
    rm -rf r/themes
    mkdir -p r/themes/default/templates
    printf '{%% local t = {} while true do t[#t + 1] = ("x"):rep(1e6) end %%}\n' > r/themes/default/templates/goal.html
    printf 'title: T\nlimits:\n  lua_memory_mb: 16\n' > r/content/site.yaml
    plan r p1 "规划1" "## 一、目标 {#g1 .goal}

正文。"
    commit_at r "2020-02-03T10:00:00+08:00" "hungry goal template"
    pp build --repo r --out public --quiet --jobs 1
    expect_status 1
    expect_err '^themes/default/templates/goal\.html:1: error: memory limit exceeded \(site\.yaml limits\.lua_memory_mb: 16\), rendering plans/p1/goals/g1/ from content/plans/p1\.md:[0-9]+'
    # all the pages together
    rm -rf r/themes
    printf 'title: T\nlimits:\n  lua_instructions_pages: 20000\n' > r/content/site.yaml
    commit_at r "2020-02-04T10:00:00+08:00" "small total"
    pp build --repo r --out public --quiet --jobs 2
    expect_status 1
    expect_err 'error: instruction budget exceeded \(site\.yaml limits\.lua_instructions_pages: 20000, for all together\)'
}
