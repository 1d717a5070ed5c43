# lib.sh — helpers for end-to-end tests: throwaway repositories, running
# planpress under the sanitizers, and assertions. Sourced by tests/e2e/*.sh.
# Each test is a shell function named t_*; tests/run calls them one by one.

: "${PLANPRESS:=$ROOT/build/asan/planpress}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-exitcode=86:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-exitcode=86:print_stacktrace=1:halt_on_error=1}"
export GIT_AUTHOR_NAME="Test Editor" GIT_AUTHOR_EMAIL="editor@example.org"
export GIT_COMMITTER_NAME="Test Editor" GIT_COMMITTER_EMAIL="editor@example.org"
export GIT_CONFIG_NOSYSTEM=1 HOME="${TEST_TMP:-/tmp}"

# mkrepo DIR: an empty repository with a minimal site.yaml committed.
mkrepo() {
    local dir=$1
    mkdir -p "$dir/content/plans"
    git -C "$dir" -c init.defaultBranch=main init -q
    printf 'title: Test site\nlanguage: zh-CN\n' > "$dir/content/site.yaml"
    git -C "$dir" add -A
    commit_at "$dir" "2020-01-01T10:00:00+08:00" "Initial"
}

# commit_at DIR DATE MESSAGE: commits everything with that date.
commit_at() {
    local dir=$1 date=$2 msg=$3
    git -C "$dir" add -A
    GIT_AUTHOR_DATE="$date" GIT_COMMITTER_DATE="$date" \
        git -C "$dir" commit -q --allow-empty -m "$msg"
}

# plan DIR ID TITLE [BODY]: writes content/plans/ID.md.
plan() {
    local dir=$1 id=$2 title=$3 body=${4:-"## 一、总则

正文。"}
    printf -- '---\nid: %s\ntitle: %s\nstatus: adopted\n---\n\n%s\n' "$id" "$title" "$body" \
        > "$dir/content/plans/$id.md"
}

# pp ARGS...: runs planpress; sets $status, $out (stdout), $err (stderr).
# Fails the test at once if a sanitizer spoke.
pp() {
    local o e
    o=$(mktemp) e=$(mktemp)
    set +e
    timeout "${PP_TIMEOUT:-60}" "$PLANPRESS" "$@" >"$o" 2>"$e"
    status=$?
    set -e
    out=$(cat "$o")
    err=$(cat "$e")
    rm -f "$o" "$e"
    if [ "$status" = 86 ] || grep -qE 'Sanitizer|runtime error:' <<<"$err"; then
        echo "  sanitizer report:" >&2
        printf '%s\n' "$err" | head -40 >&2
        return 1
    fi
    if [ "$status" = 124 ]; then
        echo "  timed out: planpress $*" >&2
        return 1
    fi
    return 0
}

fail() { echo "  $*" >&2; return 1; }

expect_status() {
    [ "$status" = "$1" ] || fail "expected exit status $1, got $status; stderr: $(head -c 2000 <<<"$err")"
}

# expect_err REGEX: stderr matches.
expect_err() {
    grep -qE -- "$1" <<<"$err" || fail "stderr does not match /$1/: $(head -c 2000 <<<"$err")"
}

# expect_file FILE [REGEX]
expect_file() {
    [ -f "$1" ] || fail "missing file $1"
    if [ $# -gt 1 ]; then
        grep -qE -- "$2" "$1" || fail "$1 does not match /$2/"
    fi
}

expect_no_match() {
    if grep -qE -- "$2" "$1"; then fail "$1 matches /$2/ but must not"; fi
}
