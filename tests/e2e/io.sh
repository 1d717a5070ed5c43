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
