# io.sh — the repository and the file system going wrong: damaged Git
# objects, missing parents, the output folder, staging folders, links in the
# working tree, I/O failures. Every run is bounded by a timeout (pp).

# two_commits DIR: a repository whose plan p1 changed in a second commit.
two_commits() {
    mkrepo "$1"
    plan "$1" p1 "规划一"
    commit_at "$1" "2020-02-01T10:00:00+08:00" "add p1"
    plan "$1" p1 "规划一" "## 二、任务

改了。"
    commit_at "$1" "2020-03-01T10:00:00+08:00" "edit p1"
}

# truncate_object DIR REV BYTES: cuts the loose object of REV to BYTES bytes.
truncate_object() {
    local id f
    id=$(git -C "$1" rev-parse "$2")
    f=$1/.git/objects/${id:0:2}/${id:2}
    [ -f "$f" ] || fail "no loose object for $2"
    chmod u+w "$f"
    truncate -s "$3" "$f"
    echo "$id"
}

t_truncated_loose_object_fails_never_hangs() {
    # libgit2 1.5 loops for ever on these (libgit2 #7342): a blob, trees and
    # commits of the current and of a past revision, cut to 2..36 bytes.
    local rev bytes id
    export PP_TIMEOUT=20
    for rev in HEAD:content/plans/p1.md HEAD:content HEAD^{tree} HEAD HEAD~1 \
               HEAD~1:content/plans/p1.md HEAD~1:content; do
        for bytes in 2 11 36; do
            rm -rf r
            two_commits r >/dev/null
            rm r/content/plans/p1.md # not read from its checked-out copy
            id=$(truncate_object r "$rev" "$bytes")
            pp build --repo r --out public --quiet
            expect_status 3
            expect_err "$id"
            [ ! -e public ] || fail "$rev: an output was published"
            case $rev in HEAD~1*) continue ;; esac # (check reads no history)
            pp check --repo r --quiet
            expect_status 3
            expect_err "$id"
        done
        case $rev in *p1.md) pp build --repo r --out public --quiet
                             expect_err "content/plans/p1.md: error: .*$id.*truncated" ;; esac
    done
    # an abbreviated id (libgit2 looks it up by prefix), and an alternate
    # object store (git clone --shared)
    rm -rf r s
    two_commits r >/dev/null
    git clone -q --shared "$PWD/r" s
    id=$(truncate_object r HEAD 20)
    pp build --repo r --ref "${id:0:10}" --out public --quiet
    expect_status 3
    expect_err "$id"
    [ -z "$(ls s/.git/objects/?? 2>/dev/null)" ] || fail "the clone has loose objects of its own"
    pp build --repo s --out public --quiet
    expect_status 3
    expect_err "$id"
    # the preview server: its first build fails, it says why and exits 3
    rm -rf r
    two_commits r >/dev/null
    rm r/content/plans/p1.md
    id=$(truncate_object r HEAD:content/plans/p1.md 20)
    mkdir -p tmp
    TMPDIR=$PWD/tmp pp serve --repo r --port 0
    expect_status 3
    expect_err "$id"
    # a loose object that is intact still reads (the same reader)
    rm -rf r
    two_commits r >/dev/null
    rm r/content/plans/p1.md
    pp build --repo r --out public --quiet
    expect_status 0
    expect_file public/plans/p1/index.html "改了"
}

t_missing_or_corrupt_parent_is_not_a_shallow_clone() {
    export PP_TIMEOUT=20
    # a commit missing from the object database
    two_commits r >/dev/null
    local id
    id=$(git -C r rev-parse HEAD~1)
    rm "r/.git/objects/${id:0:2}/${id:2}"
    pp build --repo r --out public --quiet
    expect_status 3
    expect_err "cannot read commit $id, the parent of"
    [ ! -e public ] || fail "a site was published without its history"
    # a commit damaged inside a pack
    rm -rf r
    two_commits r >/dev/null
    git -C r repack -adq
    id=$(git -C r rev-parse HEAD~1)
    local idx off
    idx=$(ls r/.git/objects/pack/*.idx)
    off=$(git verify-pack -v "$idx" | awk -v id="$id" '$1 == id { print $5 }')
    [ -n "$off" ] || fail "commit not in the pack"
    printf 'XXXXXXXX' | dd of="${idx%.idx}.pack" bs=1 seek=$((off + 6)) conv=notrunc status=none
    pp build --repo r --out public --quiet
    expect_status 3
    expect_err "cannot read commit $id"
    # --as-of walks the same parents
    pp build --repo r --out public --quiet --as-of 2020-02-15
    expect_status 3
    expect_err "$id"
    # a real shallow clone still builds, and says where its history begins
    rm -rf r s
    two_commits r >/dev/null
    git clone -q --depth 1 "file://$PWD/r" s
    pp build --repo s --out public --quiet
    expect_status 0
    expect_file public/plans/p1/history/index.html
}

# snapshot DIR: every path under DIR with its type and size (what a refused
# build must leave as it was).
snapshot() { (cd "$1" && find . -printf '%p %y %s\n' | sort); }

t_out_never_replaces_the_repository_or_a_foreign_folder() {
    two_commits r >/dev/null
    echo "not committed" > r/notes.txt
    echo "edited" >> r/content/plans/p1.md
    local before
    before=$(snapshot r)
    # the repository, its .git, a folder inside .git, a folder above it,
    # tracked folders (from inside the repository too)
    for o in r r/.git r/.git/objects . r/content r/content/plans; do
        pp build --repo r --out "$o" --quiet
        expect_status 3
        expect_err "^planpress: error: --out $o: it (holds|is inside) .*: refusing to replace it"
    done
    (cd r && pp build --out content --quiet && expect_status 3 && expect_err "holds files that Git tracks" &&
        pp build --out . --quiet && expect_status 3 && expect_err "holds the repository")
    [ "$(snapshot r)" = "$before" ] || fail "the repository changed: $(diff <(echo "$before") <(snapshot r))"
    # a folder planpress did not write, not empty: refused, untouched
    mkdir other
    echo keep > other/file.txt
    pp build --repo r --out other --quiet
    expect_status 3
    expect_err "--out other is a folder that planpress did not write .*refusing to replace it"
    expect_file other/file.txt keep
    ls -A | grep -q '^\.other\.tmp-' && fail "a staging folder was left"
    # a file: refused
    echo x > afile
    pp build --repo r --out afile --quiet
    expect_status 3
    expect_err "exists and is not a folder"
    # an empty folder, then the output it became (it has the marker)
    mkdir empty
    pp build --repo r --out empty --quiet
    expect_status 0
    expect_file empty/.planpress-output "planpress"
    pp build --repo r --out empty --quiet
    expect_status 0
    # `make site`: --out public inside the repository, run there
    (cd r && pp build --out public --quiet && expect_status 0 && pp build --out public --quiet &&
        expect_status 0)
    expect_file r/public/plans/p1/index.html
}

t_out_replaces_an_output_of_the_previous_version() {
    # An output written before the marker: recognised by data/site.json, as
    # planpress wrote it ("site", then "build" with the commit).
    two_commits r >/dev/null
    pp build --repo r --out public --quiet
    expect_status 0
    rm public/.planpress-output
    echo stale > public/stale.html
    pp build --repo r --out public --quiet
    expect_status 0
    expect_file public/.planpress-output
    [ ! -e public/stale.html ] || fail "the old output was not replaced"
    # a data/site.json of another shape does not make a folder an output
    rm public/.planpress-output
    printf '{"site": {}}\n' > public/data/site.json
    pp build --repo r --out public --quiet
    expect_status 3
    expect_err "did not write"
}

t_stale_staging_folders_are_removed_and_builds_lock_the_output() {
    export PP_TIMEOUT=120
    # a build killed with -9 leaves its staging folder ...
    "$PLANPRESS" build --repo "$ROOT" --out public --no-history --jobs 1 --quiet 2>/dev/null &
    local pid=$! i
    for i in $(seq 200); do
        ls -A | grep -q '^\.public\.tmp-' && break
        sleep 0.05
    done
    kill -9 "$pid"
    wait "$pid" 2>/dev/null || true
    ls -A | grep -q '^\.public\.tmp-' || fail "no staging folder to clean (the build ended first?)"
    # ... and one of another output's, which is not ours to remove
    mkdir .other.tmp-abcdef
    two_commits r >/dev/null
    pp build --repo r --out public --quiet
    expect_status 0
    [ "$(ls -A | grep -c '^\.public\.tmp-')" = 0 ] || fail "stale staging folders left: $(ls -A)"
    [ -d .other.tmp-abcdef ] || fail "another output's staging folder was removed"
    # a second build into the same folder while one runs: a clear failure,
    # and the running build's staging folder is not touched
    mkdir .public.tmp-zzzzzz
    local fd
    exec {fd}>.public.lock
    flock -n "$fd"
    pp build --repo r --out public --quiet
    exec {fd}>&-
    expect_status 3
    expect_err "another build is writing public"
    [ -d .public.tmp-zzzzzz ] || fail "a staging folder removed while its build held the lock"
    pp build --repo r --out public --quiet
    expect_status 0
    [ ! -d .public.tmp-zzzzzz ] || fail "not removed once the lock was free"
    # make clean removes what builds leave
    grep -E '^\s+rm -rf .*\.public\.tmp-\* \.public\.lock' "$ROOT/Makefile" >/dev/null ||
        fail "make clean does not remove .public.tmp-* and .public.lock"
}

t_worktree_never_follows_a_link() {
    # links committed and checked out at the theme folder, the indicators
    # folder, a folder on a content path, and at files: none is followed
    two_commits r >/dev/null
    mkdir -p outside/static/assets outside/plans
    echo "SECRET-THEME" > outside/static/assets/secret.txt
    printf '<p>SECRET-TEMPLATE</p>\n' > outside/layout.html
    printf 'indicator { id = "x", name = "X" }\nerror("SCRIPT-RAN")\n' > outside/evil.lua
    printf -- '---\nid: leak\ntitle: SECRET-PLAN\n---\n正文。\n' > outside/plans/leak.md
    echo "SECRET-FILE" > outside/secret.md
    mkdir -p r/themes
    ln -s "$PWD/outside" r/themes/default
    ln -s "$PWD/outside" r/content/indicators
    ln -s "$PWD/outside/plans" r/content/plans/more
    ln -s "$PWD/outside/secret.md" r/content/plans/secret.md
    commit_at r "2020-04-01T10:00:00+08:00" "links"
    pp build --repo r --worktree --out public
    expect_status 0
    for p in themes/default content/indicators content/plans/more content/plans/secret.md; do
        expect_err "^$p: warning: symbolic link not followed: skipped"
    done
    if grep -rqE 'SECRET|SCRIPT-RAN' public; then fail "something outside was read: $(grep -rlE 'SECRET' public)"; fi
    if grep -qE 'SCRIPT-RAN' <<<"$err"; then fail "an outside script ran"; fi
    [ ! -e public/assets/secret.txt ] || fail "an outside file was published"
    # a link on the way to the theme's static folder, in the real theme folder
    rm r/themes/default
    mkdir -p r/themes/default
    ln -s "$PWD/outside/static" r/themes/default/static
    pp build --repo r --worktree --out public --quiet
    expect_status 0
    expect_err "^themes/default/static: warning: symbolic link not followed"
    [ ! -e public/assets/secret.txt ] || fail "an outside file was published"
    # the preview server does not serve it either
    source "$ROOT/tests/e2e/serve.sh"
    serve_start --repo r --worktree
    http GET /assets/secret.txt
    expect_code 404 /assets/secret.txt
    http GET /
    expect_code 200 /
    if grep -q SECRET body; then fail "served an outside file"; fi
    serve_stop
}

t_io_failures_exit_3() {
    two_commits r >/dev/null
    pp build --repo r --out public --quiet
    expect_status 0
    # a file too large to write (ulimit -f: EFBIG, SIGXFSZ ignored)
    set +e
    (trap '' XFSZ; ulimit -f 8; exec "$PLANPRESS" build --repo r --out public --quiet) 2>efbig.err
    status=$?
    set -e
    err=$(cat efbig.err)
    expect_status 3
    expect_err "^planpress: error: cannot write .*File too large"
    expect_file public/plans/p1/index.html # the previous output, untouched
    [ "$(ls -A | grep -c '^\.public\.tmp-')" = 0 ] || fail "a staging folder was left"
    # a full disk (ENOSPC): a small tmpfs, where mounting is allowed
    mkdir small
    if mount -t tmpfs -o size=64k tmpfs small 2>/dev/null; then
        local rc=0
        pp build --repo r --out small/public --quiet || rc=$?
        umount small
        [ "$rc" = 0 ] || fail "planpress failed to run"
        expect_status 3
        expect_err "^planpress: error: cannot write .*No space left on device"
    else
        echo "  (no tmpfs: ENOSPC not tried)" >&2
    fi
    # a current file that cannot be read (--worktree): as root, chmod 000 is
    # still readable, so the build runs as nobody on a copy that nobody owns
    local dir=$PWD runas=()
    if [ "$(id -u)" = 0 ]; then
        dir=$(mktemp -d /tmp/pp-io-unreadable.XXXXXX)
        chmod 755 "$dir"
        cp -a r "$dir/r"
        chown -R nobody: "$dir/r"
        runas=(setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$dir")
    fi
    chmod 000 "$dir/r/content/plans/p1.md"
    set +e
    "${runas[@]}" "$PLANPRESS" build --repo "$dir/r" --worktree --out "$dir/r/public" --quiet 2>unreadable.err
    status=$?
    set -e
    err=$(cat unreadable.err)
    chmod 644 "$dir/r/content/plans/p1.md"
    expect_status 3
    expect_err "^content/plans/p1.md: error: cannot open: Permission denied"
    # an installed theme's folder that cannot be read
    mkdir -p "$dir/themes"
    cp -r "$ROOT/themes/default" "$dir/themes/"
    chmod 000 "$dir/themes/default/static"
    set +e
    PLANPRESS_THEMES="$dir/themes" "${runas[@]}" "$PLANPRESS" build --repo "$dir/r" --worktree \
        --out "$dir/r/public" --quiet 2>unreadable.err
    status=$?
    set -e
    err=$(cat unreadable.err)
    chmod 755 "$dir/themes/default/static"
    [ "$dir" = "$PWD" ] || rm -rf "$dir"
    expect_status 3
    expect_err "themes/default/static: error: cannot read the theme's folder: Permission denied"
    # content errors and an I/O failure in one build: exit 3
    printf -- '---\nid: BAD ID\ntitle: x\n---\n' > r/content/plans/bad.md
    git -C r add -A
    git -C r commit -qm bad
    rm r/content/plans/p1.md
    truncate_object r HEAD:content/plans/p1.md 20 >/dev/null
    pp build --repo r --out public --quiet
    expect_status 3
    expect_err "content/plans/bad.md:.*error"
    # a past version that cannot be read
    rm -rf r
    two_commits r >/dev/null
    local old
    old=$(git -C r rev-parse HEAD~1:content/plans/p1.md)
    rm "r/.git/objects/${old:0:2}/${old:2}"
    pp build --repo r --out public --quiet
    expect_status 3
    expect_err "content/plans/p1.md: error: cannot read the object"
}
