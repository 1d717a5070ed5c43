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
