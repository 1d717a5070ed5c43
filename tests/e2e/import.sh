# import.sh — `planpress import`: the seed plans (as text, and as .docx made
# with pandoc) into plans that build, with every sentence and the numbering
# as headings; bad documents get a diagnostic, never a crash or a hang.

SEEDS="$ROOT/../shared/seeds"
[ -d "$SEEDS" ] || SEEDS=/work/shared/seeds

# page_has_seed SEED PAGE: every sentence of SEED (split at 。；！？ and at
# line ends, spaces ignored) is in the text of PAGE, and each numbered line
# of SEED is a heading of its kind (counts compared kind by kind).
page_has_seed() {
    python3 - "$1" "$2" <<'EOF'
import html.parser, re, sys
seed = open(sys.argv[1], encoding="utf-8").read()
page = open(sys.argv[2], encoding="utf-8").read()
class P(html.parser.HTMLParser):
    def __init__(s):
        super().__init__(convert_charrefs=True)
        s.text, s.skip, s.heads, s.h = [], 0, [], None
    def handle_starttag(s, t, a):
        if t in ("script", "style"): s.skip += 1
        if re.fullmatch(r"h[2-6]", t): s.h = []
    def handle_endtag(s, t):
        if t in ("script", "style"): s.skip -= 1
        if re.fullmatch(r"h[2-6]", t) and s.h is not None:
            s.heads.append((t, "".join(s.h))); s.h = None
    def handle_data(s, d):
        if not s.skip: s.text.append(d)
        if s.h is not None: s.h.append(d)
p = P(); p.feed(page)
ws = re.compile(r"[\s\u3000\u00a0]+")
text = ws.sub("", "".join(p.text))
missing = []
for piece in re.split(r"[。；！？\n]", seed):
    piece = ws.sub("", piece)
    if piece and piece not in text: missing.append(piece)
kinds = {
    "一、": r"[一二三四五六七八九十]+、",
    "（一）": r"[（(][一二三四五六七八九十]+[）)]",
    "1.": r"\d+(?:[.．](?!\d)|、)",
    "（1）": r"[（(]\d+[）)]",
}
def kind(s):
    s = ws.sub("", s)
    for k, rx in kinds.items():
        if re.match(rx + r"\S", s): return k
    return None
want = {k: 0 for k in kinds}; got = {k: 0 for k in kinds}
for line in seed.split("\n"):
    k = kind(line)
    if k: want[k] += 1
for t, h in p.heads:
    k = kind(h)
    if k: got[k] += 1
bad = 0
if missing:
    print("%d of the seed's sentences missing from the page, e.g.:" % len(missing))
    for m in missing[:5]: print("   ", m[:80])
    bad = 1
if want != got:
    print("numbered lines in the seed by kind:", want, "headings on the page:", got)
    bad = 1
sys.exit(bad)
EOF
}

# import_seed SEED ID [docx]: imports SEED (or a .docx made from it) into a
# fresh repository with the example bodies, builds, checks the page.
import_seed() {
    local seed=$1 id=$2 how=${3:-txt}
    mkrepo "r-$id"
    cp "$ROOT/content/bodies.yaml" "r-$id/content/"
    local src=$seed
    if [ "$how" = docx ]; then
        # Each line a paragraph of its own, as Word has them.
        sed 's/$/\n/' "$seed" > "$id.md"
        pandoc -f markdown -o "$id.docx" "$id.md" 2>/dev/null
        src=$PWD/$id.docx
    fi
    (cd "r-$id" && pp import "$src" --id "$id" --out "content/plans/$id.md" && expect_status 0) || return 1
    commit_at "r-$id" "2020-02-01T10:00:00+08:00" "import $id"
    pp build --repo "r-$id" --out "o-$id" --no-history --quiet
    expect_status 0
    page_has_seed "$seed" "o-$id/plans/$id/index.html" || fail "$id ($how): the page lacks the seed's text or headings"
}

t_seeds_as_text_build_with_every_sentence() {
    local i=0
    for s in "$SEEDS"/*.txt; do
        import_seed "$s" "seed$i"
        i=$((i + 1))
    done
    [ "$i" -ge 5 ] || fail "only $i seeds found in $SEEDS"
}

t_seeds_as_docx_build_with_every_sentence() {
    command -v pandoc >/dev/null || fail "pandoc is not installed (scripts/install-deps)"
    local i=0
    for s in "$SEEDS"/*.txt; do
        import_seed "$s" "docx$i" docx
        i=$((i + 1))
    done
}
