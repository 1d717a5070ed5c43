# corpus.sh — the corpus of real 分工 wording (tests/corpus/fengong/) stays
# well formed: every document has its source and front matter, every task of
# a .tsv is a {#id} of its .md and back, every body id is in bodies.yaml,
# and every document passes `planpress check` (warnings allowed, no error).
# A broken copy of the corpus must make the checker fail.

t_corpus_wellformed() {
    local corpus=$ROOT/tests/corpus/fengong out
    out=$("$corpus/check-corpus" --planpress "$PLANPRESS" 2>&1) ||
        fail "check-corpus failed on the corpus: $(tail -20 <<<"$out")"
    grep -qE '^[0-9]+ documents, [0-9]+ tasks, [0-9]+ bodies, 0 problems$' <<<"$out" ||
        fail "no totals line: $(tail -5 <<<"$out")"

    # Each way of breaking it is found, with the file and line.
    local broken=$PWD/broken
    breakit() { rm -rf "$broken"; cp -r "$corpus" "$broken"; }

    breakit
    sed -i 's/ {#t5}$//' "$broken/gf-2019-3.md"
    if out=$("$broken/check-corpus" 2>&1); then fail "a task id missing from the .md was not found"; fi
    grep -q 'gf-2019-3.tsv:[0-9]*: error: task t5 has no {#t5}' <<<"$out" || fail "wrong report: $out"

    breakit
    sed -i '2s/^t1\t[a-z0-9-]*/t1\tno-such-body/' "$broken/gf-2019-3.tsv"
    if out=$("$broken/check-corpus" 2>&1); then fail "an unknown body id was not found"; fi
    grep -q "gf-2019-3.tsv:2: error: leads: 'no-such-body' is not a body" <<<"$out" || fail "wrong report: $out"

    breakit
    sed -i '/^t7\t/d' "$broken/gf-2019-3.tsv"
    if out=$("$broken/check-corpus" 2>&1); then fail "a task heading without a row was not found"; fi
    grep -q 'gf-2019-3.md:[0-9]*: error: task {#t7} has no row' <<<"$out" || fail "wrong report: $out"

    breakit
    sed -i '1s/.*/task\tlead\tpartners\tparties\tphrase/' "$broken/nongji-2018.tsv"
    if out=$("$broken/check-corpus" 2>&1); then fail "a wrong header was not found"; fi
    grep -q 'nongji-2018.tsv:1: error: header must be exactly' <<<"$out" || fail "wrong report: $out"

    breakit
    sed -i '/^source_url:/d' "$broken/nongji-2018.md"
    if out=$("$broken/check-corpus" 2>&1); then fail "a missing source_url was not found"; fi
    grep -q 'nongji-2018.md:1: error: front matter has no source_url' <<<"$out" || fail "wrong report: $out"

    breakit
    sed -i 's/^  parent: gz-gov$/  parent: gz-nowhere/' "$broken/bodies.yaml"
    if out=$("$broken/check-corpus" 2>&1); then fail "an unknown parent was not found"; fi
    grep -q "bodies.yaml:[0-9]*: error: body gz-org: parent 'gz-nowhere' is not a body" <<<"$out" ||
        fail "wrong report: $out"

    # A row of a 分工 table (序号 N is task tN) must have its line in the .tsv.
    breakit
    sed -i '/^t2\t/d' "$broken/huoshan-kfq-2025.tsv"
    if out=$("$broken/check-corpus" 2>&1); then fail "a table row without a line was not found"; fi
    grep -q 'huoshan-kfq-2025.md:[0-9]*: error: task {#t2} has no row' <<<"$out" || fail "wrong report: $out"

    # Markup only planpress rejects (a date that is no date) is an error of the corpus.
    breakit
    sed -i 's/^date: 2019-01-12$/date: 2019-01-32/' "$broken/gf-2019-3.md"
    "$broken/check-corpus" >/dev/null 2>&1 || fail "the date is planpress's to check, not check-corpus's"
    if out=$("$broken/check-corpus" --planpress "$PLANPRESS" 2>&1); then
        fail "planpress check did not reject a bad date"
    fi
    grep -q 'gf-2019-3.md:[0-9]*: error: planpress check: .*date' <<<"$out" || fail "wrong report: $out"
}
