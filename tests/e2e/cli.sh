# cli.sh — the command line itself: version, help, new, install.

t_version_and_help() {
    pp --version
    expect_status 0
    grep -qE '^planpress [0-9]+\.[0-9]+\.[0-9]+' <<<"$out" || fail "version: $out"
    pp --help
    expect_status 0
    grep -q 'build' <<<"$out" || fail "help lacks build"
    pp help build
    expect_status 0
    grep -q -- '--as-of' <<<"$out" || fail "help build lacks --as-of"
    pp help nothing
    expect_status 2
}

t_new_scaffolds_a_plan_that_builds() {
    mkrepo r
    cd r
    pp new plan my-plan
    expect_status 0
    [ -f content/plans/my-plan.md ] || fail "no file"
    pp new plan my-plan
    expect_status 2
    expect_err 'already exists'
    pp new plan "../evil"
    expect_status 2
    pp new body some-body
    expect_status 0
    grep -q 'id: some-body' content/bodies.yaml || fail "body not appended"
    pp new indicator ind-one
    expect_status 0
    [ -f content/indicators/ind-one.lua ] || fail "no indicator file"
    pp check --worktree
    expect_status 0
}

t_install_prefix_works_elsewhere() {
    prefix="$PWD/inst"
    make -s -C "$ROOT" install PREFIX="$prefix" >/dev/null
    [ -x "$prefix/bin/planpress" ] || fail "not installed"
    [ -f "$prefix/share/planpress/themes/default/templates/layout.html" ] || fail "theme not installed"
    mkrepo r
    plan r alpha "Installed"
    commit_at r "2020-02-01T10:00:00+08:00" "a"
    mkdir elsewhere
    (cd elsewhere && "$prefix/bin/planpress" build --repo ../r --out ../o --quiet) || fail "installed binary failed"
    expect_file o/plans/alpha/index.html Installed
    expect_file o/assets/style.css
}

# make install puts the man page and the bash completion in place; the man
# page renders (when man is installed) and the completion completes.
t_install_man_page_and_completion() {
    make -C "$ROOT" --no-print-directory -s install DESTDIR="$PWD/inst" PREFIX=/usr >/dev/null
    expect_file inst/usr/share/man/man1/planpress.1 '^\.TH PLANPRESS 1'
    expect_file inst/usr/share/bash-completion/completions/planpress 'complete -F _planpress planpress'
    expect_file inst/usr/bin/planpress
    if command -v man >/dev/null; then
        warn=$(MANWIDTH=80 man --warnings -l inst/usr/share/man/man1/planpress.1 2>&1 >/dev/null)
        [ -z "$warn" ] || fail "man page warnings: $warn"
        MANWIDTH=80 man -l inst/usr/share/man/man1/planpress.1 2>/dev/null | grep -q 'EXIT STATUS' ||
            fail "the man page does not render"
    fi
    got=$(bash -c 'source "$1"; COMP_WORDS=(planpress build --no-h); COMP_CWORD=2; _planpress; echo "${COMPREPLY[*]}"' _ \
          inst/usr/share/bash-completion/completions/planpress)
    [ "$got" = "--no-history" ] || fail "completion of --no-h: '$got'"
}

# make on a machine without a library names it and says to run make deps.
t_make_names_missing_libraries() {
    set +e
    msg=$(make -C "$ROOT" --no-print-directory PKGS="libgit2 no-such-lib-xyz" LIBS_OK="$PWD/stamp" "$PWD/stamp" 2>&1)
    rc=$?
    set -e
    [ "$rc" != 0 ] || fail "make went on without no-such-lib-xyz"
    grep -q 'missing libraries (pkg-config modules): no-such-lib-xyz' <<<"$msg" || fail "message: $msg"
    grep -q 'make deps' <<<"$msg" || fail "message: $msg"
    [ ! -e stamp ] || fail "the stamp was made"
}
