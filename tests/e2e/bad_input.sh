# bad_input.sh — every kind of bad input gets a file:line:col diagnostic and
# a non-zero exit, never a crash, a hang or a half-written site.

# A repository with one good plan, already published to public/.
published() {
    mkrepo r
    plan r good "Good plan"
    commit_at r "2020-02-01T10:00:00+08:00" "good"
    pp build --repo r --out public --quiet
    expect_status 0
    before=$(find public -type f | sort | xargs sha1sum | sha1sum)
}

untouched() {
    after=$(find public -type f | sort | xargs sha1sum | sha1sum)
    [ "$before" = "$after" ] || fail "the previous output changed"
}

t_malformed_yaml() {
    published
    printf -- '---\ntitle: x\n  bad: [1, 2\n---\n' > r/content/plans/bad.md
    commit_at r "2020-02-02T10:00:00+08:00" "bad"
    pp build --repo r --out public --quiet
    expect_status 1
    expect_err '^content/plans/bad\.md:[0-9]+:[0-9]+: error: malformed YAML'
    untouched
}

t_missing_title() {
    published
    printf -- '---\nid: notitle\n---\ntext\n' > r/content/plans/notitle.md
    commit_at r "2020-02-02T10:00:00+08:00" "bad"
    pp build --repo r --out public --quiet
    expect_status 1
    expect_err '^content/plans/notitle\.md:2:1: error: missing `title`'
    untouched
}

t_wrong_type_in_front_matter() {
    published
    printf -- '---\ntitle: [a, b]\ndate: 2017-13-01\nstatus: final\n---\n' > r/content/plans/types.md
    commit_at r "2020-02-02T10:00:00+08:00" "bad"
    pp build --repo r --out public --quiet
    expect_status 1
    expect_err '^content/plans/types\.md:2:8: error: `title` must be a single value'
    expect_err '^content/plans/types\.md:3:7: error: `date` must be a date'
    expect_err '^content/plans/types\.md:4:9: error: unknown status "final"'
    untouched
}

t_front_matter_not_closed() {
    published
    printf -- '---\ntitle: x\n' > r/content/plans/open.md
    commit_at r "2020-02-02T10:00:00+08:00" "bad"
    pp build --repo r --out public --quiet
    expect_status 1
    expect_err '^content/plans/open\.md:1:1: error: the front matter .* does not close'
    untouched
}

t_invalid_utf8() {
    published
    printf -- '---\ntitle: ok\n---\n\nline\nab\xff\xfecd\n' > r/content/plans/utf.md
    commit_at r "2020-02-02T10:00:00+08:00" "bad"
    pp build --repo r --out public --quiet
    expect_status 1
    expect_err '^content/plans/utf\.md:6:3: error: invalid UTF-8'
    untouched
}

t_nul_byte() {
    published
    printf -- '---\ntitle: ok\n---\nab\0cd\n' > r/content/plans/nul.md
    commit_at r "2020-02-02T10:00:00+08:00" "bad"
    pp build --repo r --out public --quiet
    expect_status 1
    expect_err '^content/plans/nul\.md:4:3: error: NUL byte'
    untouched
}

t_id_escaping_output_folder() {
    published
    printf -- '---\nid: ../../x\ntitle: escape\n---\n' > r/content/plans/esc.md
    commit_at r "2020-02-02T10:00:00+08:00" "bad"
    pp build --repo r --out public --quiet
    expect_status 1
    expect_err '^content/plans/esc\.md:2:5: error: invalid plan id "\.\./\.\./x"'
    untouched
    [ ! -e x ] && [ ! -e ../x ] || fail "something was written outside"
}

t_file_name_not_an_id() {
    published
    printf -- '---\ntitle: caps\n---\n' > r/content/plans/Bad_Name.md
    commit_at r "2020-02-02T10:00:00+08:00" "bad"
    pp build --repo r --out public --quiet
    expect_status 1
    expect_err 'Bad_Name\.md:1:1: error: the file name "Bad_Name" is not a valid plan id'
    untouched
}

t_duplicate_plan_ids() {
    published
    mkdir -p r/content/plans/sub
    printf -- '---\nid: good\ntitle: twin\n---\n' > r/content/plans/sub/twin.md
    commit_at r "2020-02-02T10:00:00+08:00" "bad"
    pp build --repo r --out public --quiet
    expect_status 1
    expect_err 'error: duplicate plan id "good"'
    untouched
}

t_unknown_ref() {
    published
    pp build --repo r --ref no-such-branch --out public --quiet
    expect_status 3
    expect_err 'unknown revision "no-such-branch"'
    untouched
}

t_not_a_repository() {
    mkdir plain
    pp build --repo plain --out public --quiet
    expect_status 3
    expect_err 'not a Git repository'
    [ ! -e public ] || fail "output written"
}

t_usage_errors() {
    pp build --no-such-option
    expect_status 2
    expect_err 'unknown option'
    pp frobnicate
    expect_status 2
    pp build --jobs zero
    expect_status 2
    pp build --as-of 2020-13-45
    expect_status 2
}

t_huge_plan_stops_at_limit() {
    published
    { printf -- '---\ntitle: huge\n---\n'; head -c 50000000 /dev/zero | tr '\0' 'a'; } > r/content/plans/huge.md
    commit_at r "2020-02-02T10:00:00+08:00" "huge"
    PP_TIMEOUT=60 pp build --repo r --out public --quiet
    expect_status 1
    expect_err 'huge\.md: error: file too large .* the limit is 16 MiB'
    untouched
}

t_deeply_nested_list() {
    published
    python3 -c '
import sys
# 10,000 nested list levels: "- - - ... x" opens a list in a list on one line
out = ["---", "title: deep", "---", "", "- " * 10000 + "x"]
open("r/content/plans/deep.md", "w").write("\n".join(out) + "\n")'
    commit_at r "2020-02-02T10:00:00+08:00" "deep"
    PP_TIMEOUT=60 pp build --repo r --out public --quiet
    expect_status 1
    expect_err 'deep\.md:[0-9]+:[0-9]+: error: .*nest'
    untouched
}

t_deep_blockquote() {
    published
    python3 -c '
out = ["---", "title: deep", "---", "", ">" * 20000 + " x"]
open("r/content/plans/deepq.md", "w").write("\n".join(out) + "\n")'
    commit_at r "2020-02-02T10:00:00+08:00" "deep"
    PP_TIMEOUT=60 pp build --repo r --out public --quiet
    expect_status 1
    expect_err 'deepq\.md:[0-9]+(:[0-9]+)?: error: .*nest'
    untouched
}

t_yaml_alias_bomb() {
    published
    printf -- '---\ntitle: x\na: &a [1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n---\n' > r/content/plans/bomb.md
    commit_at r "2020-02-02T10:00:00+08:00" "bomb"
    pp build --repo r --out public --quiet
    expect_status 1
    expect_err 'bomb\.md:4:[0-9]+: error: YAML aliases'
    untouched
}

t_bad_site_yaml() {
    published
    printf 'title: [oops\n' > r/content/site.yaml
    commit_at r "2020-02-02T10:00:00+08:00" "bad site"
    pp build --repo r --out public --quiet
    expect_status 1
    expect_err '^content/site\.yaml:[0-9]+:[0-9]+: error: malformed YAML'
    untouched
}

# Links from site.yaml: http(s) only, like a body's website; a good one works.
t_site_yaml_urls_are_web_urls() {
    published
    printf 'title: t\nbase_url: javascript:alert(1)//\narchive_url: " JavaScript:alert(document.domain)//{date}"\nlinks:\n  - name: x\n    url: data:text/html,hi\n  - help_url: [a]\n' > r/content/site.yaml
    commit_at r "2020-02-02T10:00:00+08:00" "bad links"
    pp build --repo r --out public --quiet
    expect_status 1
    expect_err '^content/site\.yaml:2:11: error: base_url "javascript:alert\(1\)//" is not an http:// or https:// URL'
    expect_err '^content/site\.yaml:3:14: error: archive_url " JavaScript:alert\(document\.domain\)//\{date\}" is not an http:// or https:// URL'
    expect_err '^content/site\.yaml:6:10: error: url "data:text/html,hi" is not'
    expect_err '^content/site\.yaml:7:15: error: `help_url` must be a URL, not a'
    untouched
    pp build --repo r --out public --quiet --base-url 'javascript:x'
    expect_status 2
    expect_err 'base-url wants an http:// or https:// URL'
    untouched
    printf 'title: t\nbase_url: HTTPS://example.org/a"b/\narchive_url: https://example.org/as-of/{date}/\n' > r/content/site.yaml
    commit_at r "2020-02-03T10:00:00+08:00" "good links"
    pp build --repo r --out public --quiet
    expect_status 0
    grep -rq 'href="https://example.org/as-of/' public/plans/*/history/*/index.html || fail "no archive link"
}

t_page_with_bad_path() {
    published
    mkdir -p "r/content/pages/Bad Dir"
    printf -- '---\ntitle: p\n---\n' > "r/content/pages/Bad Dir/x.md"
    commit_at r "2020-02-02T10:00:00+08:00" "bad page"
    pp build --repo r --out public --quiet
    expect_status 1
    expect_err 'page path "Bad Dir/x"'
    untouched
}
