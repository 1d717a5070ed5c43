# serve.sh — `planpress serve`: the preview server on 127.0.0.1, its URLs and
# content types, the paths it refuses, rebuilds on change, the error page, and
# a clean stop. Every wait is bounded; the server is always killed at the end.

# tests/run calls each t_* inside `if ( ... )`, where bash ignores `set -e`,
# so that only a test's last command could fail it. Each case below therefore
# runs in a fresh shell with -e in force: every failed check ends it.
serve_case() {
    bash -e -c 'source "$ROOT/tests/e2e/lib.sh"; source "$ROOT/tests/e2e/serve.sh"; "$1"' \
        serve-case "case_$1"
}

# serve_start ARGS...: starts `planpress serve --port 0 ARGS` in the background
# with a private TMPDIR (./tmp) and waits, 10 s at most, for its "serving"
# line. Sets $pid and $port; its stderr goes to ./serve.err.
serve_start() {
    mkdir -p tmp
    : >serve.err
    TMPDIR=$PWD/tmp "$PLANPRESS" serve --port 0 "$@" 2>serve.err &
    pid=$!
    trap serve_kill EXIT
    port=
    for _ in $(seq 100); do
        port=$(sed -nE 's|^planpress: serving http://127\.0\.0\.1:([0-9]+)/ \(Ctrl-C to stop\)$|\1|p' serve.err || true)
        [ -n "$port" ] && return 0
        # (a crash inside a build leaves its report in the build's log)
        kill -0 "$pid" 2>/dev/null ||
            fail "serve exited early: $(cat serve.err tmp/planpress-serve-*/build.log 2>/dev/null)"
        sleep 0.1
    done
    fail "serve did not start in 10 s: $(cat serve.err)"
}

# serve_kill: the EXIT trap; kills a server that is still running.
serve_kill() {
    if [ -n "${pid:-}" ] && kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
}

# serve_stop: SIGTERM, then waits 10 s at most. Sets $serve_status; fails if
# a sanitizer spoke or the server had to be killed.
serve_stop() {
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        serve_kill
        fail "serve did not stop within 10 s of SIGTERM"
    fi
    set +e
    wait "$pid"
    serve_status=$?
    set -e
    pid=
    if [ "$serve_status" = 86 ] || grep -qE 'Sanitizer|runtime error:' serve.err; then
        head -40 serve.err >&2
        fail "sanitizer report from serve"
    fi
}

# http METHOD PATH [BODY]: one request (with the Host header $HOST when set);
# sets $code and $headers (names in lower case, one "name: value" a line) and
# writes the body to ./body.
http() {
    if ! HOST=${HOST:-} timeout 30 python3 - "$port" "$@" >resp.txt 2>resp.err <<'EOF'
import http.client, os, sys
port, method, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
body = sys.argv[4].encode() if len(sys.argv) > 4 else None
headers = {"Host": os.environ["HOST"]} if os.environ.get("HOST") else {}
c = http.client.HTTPConnection("127.0.0.1", port, timeout=25)
c.request(method, path, body=body, headers=headers)
r = c.getresponse()
data = r.read()
open("body", "wb").write(data)
print(r.status)
for k, v in r.getheaders():
    print(k.lower() + ": " + v)
EOF
    then
        # (a crash inside a rebuild leaves its report in the build's log)
        fail "$1 $2: no answer ($(tail -n 1 resp.err)); server: $(tail -n 5 serve.err;
              head -n 20 tmp/planpress-serve-*/build.log 2>/dev/null)"
    fi
    code=$(head -n 1 resp.txt)
    headers=$(tail -n +2 resp.txt)
}

expect_code() {
    [ "$code" = "$1" ] || fail "expected HTTP $1, got $code for $2; body: $(head -c 600 body)"
}

expect_header() {
    grep -qiE -- "^$1" <<<"$headers" || fail "no header /$1/ in: $headers"
}

expect_body() {
    grep -qE -- "$1" body || fail "body does not match /$1/: $(head -c 600 body)"
}

# poll_until CODE REGEX PATH: GETs PATH until the answer is CODE with a body
# matching REGEX, for 10 s at most (the working tree is checked once a second).
poll_until() {
    for _ in $(seq 40); do
        http GET "$3"
        if [ "$code" = "$1" ] && grep -qE -- "$2" body; then return 0; fi
        sleep 0.25
    done
    fail "after 10 s, $3 is still HTTP $code: $(head -c 600 body)"
}

# a repository with one committed plan
one_plan() {
    mkrepo r
    plan r alpha "$1"
    commit_at r "2020-02-01T10:00:00+08:00" "Add alpha"
}

expect_tmp_removed() {
    [ -z "$(ls -A tmp)" ] || fail "the temporary folder was left behind: $(ls -A tmp)"
}

case_serves_pages_files_and_headers() {
    one_plan "甲规划"
    pp build --repo r --out public --quiet
    expect_status 0
    serve_start --repo r
    [ -n "$(ls -A tmp)" ] || fail "no private folder under TMPDIR"
    http GET /plans/alpha/
    expect_code 200 /plans/alpha/
    expect_header 'content-type: text/html; charset=utf-8$'
    expect_header 'x-content-type-options: nosniff$'
    expect_header 'cache-control: no-cache$'
    expect_body '甲规划'
    cmp -s body public/plans/alpha/index.html || fail "the served page differs from build's"
    len=$(wc -c <body)
    http GET /plans/alpha/index.html
    expect_code 200 /plans/alpha/index.html
    http GET '/plans/alpha/?q=%E7%A7%91%E6%99%AE&x=1'
    expect_code 200 "a query string"
    expect_body '甲规划'
    http GET /
    expect_code 200 /
    cmp -s body public/index.html || fail "/ is not index.html"
    http GET /plans/alpha
    expect_code 301 /plans/alpha
    expect_header 'location: /plans/alpha/$'
    http GET '/plans/alpha?q=a%20b'
    expect_code 301 "/plans/alpha?q="
    expect_header 'location: /plans/alpha/\?q=a%20b$'
    http GET /sitemap.xml
    expect_code 200 /sitemap.xml
    expect_header 'content-type: application/xml; charset=utf-8$'
    http GET /data/site.json
    expect_code 200 /data/site.json
    expect_header 'content-type: application/json; charset=utf-8$'
    cmp -s body public/data/site.json || fail "site.json differs from build's"
    css=$(cd public && find . -name '*.css' | head -n 1)
    if [ -n "$css" ]; then
        http GET "/${css#./}"
        expect_code 200 "$css"
        expect_header 'content-type: text/css; charset=utf-8$'
    fi
    http HEAD /plans/alpha/
    expect_code 200 "HEAD /plans/alpha/"
    expect_header "content-length: $len\$"
    [ ! -s body ] || fail "HEAD returned a body"
    http POST /plans/alpha/ 'a=1'
    expect_code 405 POST
    expect_header 'allow: GET, HEAD$'
    http DELETE /
    expect_code 405 DELETE
    serve_stop
    [ "$serve_status" = 0 ] || fail "SIGTERM: exit status $serve_status, want 0"
    expect_tmp_removed
}

case_refuses_paths_outside_the_site() {
    one_plan "Alpha"
    pp build --repo r --out public --quiet
    expect_status 0
    serve_start --repo r
    for p in '/../etc/passwd' '/../../../../../../etc/passwd' '/%2e%2e/%2e%2e/%2e%2e/etc/passwd' \
             '/plans/%2E%2E/%2e%2e/%2e%2e/%2e%2e/etc/passwd' '/..%2f..%2f..%2fetc%2fpasswd' \
             '/plans/alpha/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd' \
             '/%2e%2e%5c%2e%2e%5cetc%5cpasswd' '/plans\..\..\etc\passwd' \
             '/plans/alpha/index.html%00.css' '/%00' '/./index.html' '/%zz' \
             '/proc/self/environ' '/etc/passwd'; do
        http GET "$p"
        case "$code" in 400 | 404) ;; *) fail "$p: HTTP $code, want 400 or 404" ;; esac
        if grep -qE 'root:|PATH=' body; then fail "$p served a file outside the site"; fi
    done
    http GET /%2e%2e/etc/passwd
    expect_code 400 "%2e%2e"
    http GET '/a%5cb'
    expect_code 400 "a backslash"
    http GET /plans/alpha/index.html%00
    expect_code 400 "NUL"
    # unknown paths get the site's own 404 page
    http GET /no/such/page/
    expect_code 404 /no/such/page/
    expect_header 'content-type: text/html; charset=utf-8$'
    cmp -s body public/404.html || fail "404 is not the site's 404.html"
    http GET /nothing.css
    expect_code 404 /nothing.css
    # listening on 127.0.0.1 only: one IPv4 listening socket on the port, bound to
    # 127.0.0.1 (0100007F in /proc/net/tcp), and none in /proc/net/tcp6
    hexport=$(printf '%04X' "$port")
    listen=$(awk -v p=":$hexport" '$4 == "0A" && substr($2, length($2) - 4) == p { print $2 }' /proc/net/tcp)
    [ "$listen" = "0100007F:$hexport" ] || fail "listening on '$listen', want 127.0.0.1 only"
    if [ -r /proc/net/tcp6 ] &&
       awk -v p=":$hexport" '$4 == "0A" && substr($2, length($2) - 4) == p { f = 1 } END { exit !f }' /proc/net/tcp6; then
        fail "also listening on IPv6"
    fi
    # and only to its own names (no DNS rebinding)
    HOST=localhost:1234 http GET /plans/alpha/
    expect_code 200 "Host: localhost"
    HOST=evil.example:$port http GET /plans/alpha/
    expect_code 403 "Host: evil.example"
    HOST=127.0.0.1.evil.example http GET /
    expect_code 403 "Host: 127.0.0.1.evil.example"
    for ip in $(hostname -I 2>/dev/null); do
        case "$ip" in 127.*|*:*) continue ;; esac
        if timeout 5 bash -c "exec 3<>/dev/tcp/$ip/$port" 2>/dev/null; then
            fail "reachable on $ip:$port"
        fi
    done
    serve_stop
    [ "$serve_status" = 0 ] || fail "exit status $serve_status"
    expect_tmp_removed
}

case_worktree_edit_rebuilds_and_errors_show_until_fixed() {
    one_plan "First text"
    serve_start --repo r --worktree
    http GET /plans/alpha/
    expect_code 200 /plans/alpha/
    expect_body 'First text'
    css=$(sed -nE 's|.*href="[./]*(assets/[^"]+\.css)".*|\1|p' body | head -n 1)
    plan r alpha "Second text"
    poll_until 200 'Second text' /plans/alpha/
    grep -qE '^planpress: rebuilt in [0-9.]+ s$' serve.err || fail "no 'rebuilt in' line: $(cat serve.err)"
    # a content error: every page shows it, escaped, with status 500
    printf -- '---\nid: alpha\ntitle: Broken\nstatus: <b>final</b>\n---\n\ntext\n' > r/content/plans/alpha.md
    poll_until 500 'content/plans/alpha\.md:4:[0-9]+: ' /plans/alpha/
    expect_header 'content-type: text/html; charset=utf-8$'
    expect_body '&lt;b&gt;final&lt;/b&gt;'
    if grep -q '<b>final</b>' body; then fail "the diagnostic was not escaped"; fi
    grep -q 'content/plans/alpha.md:4:' serve.err || fail "the diagnostic is not on stderr"
    http GET /
    expect_code 500 "/ while broken"
    # the last good build still serves everything else
    if [ -n "$css" ]; then
        http GET "/$css"
        expect_code 200 "/$css while broken"
    fi
    # fixing the file recovers
    plan r alpha "Third text"
    poll_until 200 'Third text' /plans/alpha/
    # a new plan appears without restarting
    plan r beta "Beta text"
    poll_until 200 'Beta text' /plans/beta/
    serve_stop
    [ "$serve_status" = 0 ] || fail "exit status $serve_status"
    expect_tmp_removed
}

case_committed_mode_follows_the_ref() {
    one_plan "Version one"
    serve_start --repo r
    http GET /plans/alpha/
    expect_code 200 /plans/alpha/
    expect_body 'Version one'
    # an uncommitted edit is not published
    plan r alpha "Uncommitted"
    sleep 1.2
    http GET /plans/alpha/
    expect_body 'Version one'
    # a commit is
    plan r alpha "Version two"
    commit_at r "2020-03-01T10:00:00+08:00" "v2"
    poll_until 200 'Version two' /plans/alpha/
    # a broken commit shows the error page; the next good one recovers
    printf -- '---\nid: alpha\ntitle: [unclosed\n---\n' > r/content/plans/alpha.md
    commit_at r "2020-03-02T10:00:00+08:00" "broken"
    poll_until 500 'content/plans/alpha\.md:[0-9]+:[0-9]+: error' /plans/alpha/
    plan r alpha "Version three"
    commit_at r "2020-03-03T10:00:00+08:00" "v3"
    poll_until 200 'Version three' /plans/alpha/
    serve_stop
    [ "$serve_status" = 0 ] || fail "exit status $serve_status"
    expect_tmp_removed
}

case_first_build_with_content_errors_still_serves() {
    mkrepo r
    printf -- '---\nid: bad\ntitle: Bad\nstatus: <i>odd</i>\n---\n\ntext\n' > r/content/plans/bad.md
    commit_at r "2020-02-01T10:00:00+08:00" "bad"
    serve_start --repo r --worktree
    http GET /
    expect_code 500 "/ with a content error"
    expect_body 'content/plans/bad\.md:4:[0-9]+: '
    expect_body '&lt;i&gt;odd&lt;/i&gt;'
    http GET /assets/none.css
    expect_code 404 "a file when no build succeeded yet"
    plan r bad "Now good"
    poll_until 200 'Now good' /plans/bad/
    serve_stop
    [ "$serve_status" = 0 ] || fail "exit status $serve_status"
    expect_tmp_removed
}

case_usage_and_startup_failures() {
    mkrepo r
    pp serve --repo r --port 65536
    expect_status 2
    expect_err 'port'
    pp serve --repo r --port abc
    expect_status 2
    pp serve --repo r --port
    expect_status 2
    pp build --repo r --port 8080
    expect_status 2
    pp help serve
    expect_status 0
    grep -q -- '--port' <<<"$out" || fail "help serve lacks --port"
    # the first build fails for a reason other than content: exit 3, nothing left
    mkdir -p tmp
    TMPDIR=$PWD/tmp PP_TIMEOUT=30 pp serve --repo notarepo --port 0
    expect_status 3
    expect_tmp_removed
    # the port is taken: exit 3
    serve_start --repo r
    taken=$port
    TMPDIR=$PWD/tmp PP_TIMEOUT=30 pp serve --repo r --port "$taken"
    expect_status 3
    expect_err "127\.0\.0\.1:$taken"
    serve_stop
    [ "$serve_status" = 0 ] || fail "exit status $serve_status"
    expect_tmp_removed
}

t_serves_pages_files_and_headers() { serve_case serves_pages_files_and_headers; }
t_refuses_paths_outside_the_site() { serve_case refuses_paths_outside_the_site; }
t_worktree_edit_rebuilds_and_errors_show_until_fixed() { serve_case worktree_edit_rebuilds_and_errors_show_until_fixed; }
t_committed_mode_follows_the_ref() { serve_case committed_mode_follows_the_ref; }
t_first_build_with_content_errors_still_serves() { serve_case first_build_with_content_errors_still_serves; }
t_usage_and_startup_failures() { serve_case usage_and_startup_failures; }
