# import.sh — `planpress import`: the seed plans (as text, and as .docx made
# with pandoc) into plans that build, with every sentence and the numbering
# as headings; gov.cn-style pages; bad documents get a diagnostic, never a
# crash or a hang.

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

# A fake pandoc: a script in ./bin that does what $1 says.
fake_pandoc() {
    mkdir -p bin
    printf '#!/bin/sh\n%s\n' "$1" > bin/fake-pandoc
    chmod +x bin/fake-pandoc
    export PLANPRESS_PANDOC=$PWD/bin/fake-pandoc
}

t_bad_documents_get_a_diagnostic() {
    printf 'just text, no zip\n' > notzip.docx
    pp import notzip.docx
    expect_status 1
    expect_err '^notzip.docx: error: not a \.docx \(a \.docx is a zip archive'
    # An encrypted Word file is an OLE compound file, not a zip.
    printf '\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1' > locked.docx
    head -c 4096 /dev/zero >> locked.docx
    pp import locked.docx
    expect_status 1
    expect_err '^locked.docx: error: an encrypted \(password-protected\) document'
    # 200 MB, sparse: refused by its size before anything is read.
    truncate -s 200M big.docx
    pp import big.docx
    expect_status 1
    expect_err '^big.docx: error: the file is 200 MiB; import reads at most 64 MiB'
    printf '<html><head><title></title><script>x=1</script></head><body><div> </div></body></html>\n' > empty.html
    pp import empty.html
    expect_status 1
    expect_err '^empty.html: error: no text in this document'
    printf '%%PDF-1.4\n' > plan.pdf
    pp import plan.pdf
    expect_status 1
    expect_err '^plan.pdf: error: unknown kind of document \(\.pdf\)'
    printf 'a\n\0b\n' > nul.txt
    pp import nul.txt
    expect_status 1
    expect_err '^nul.txt:2:1: error: a NUL byte'
    printf 'ok\n\xff\xfe\n' > bad.txt
    pp import bad.txt
    expect_status 1
    expect_err '^bad.txt:2:1: error: not UTF-8 \(nor GB18030\)'
    # A zip that is no Word document: pandoc refuses it.
    python3 -c 'import zipfile; z = zipfile.ZipFile("x.docx", "w"); z.writestr("a.txt", "hello"); z.close()'
    pp import x.docx
    expect_status 1
    expect_err '^x.docx: error: pandoc could not read it'
    pp import missing.txt
    expect_status 3
    expect_err '^missing.txt: error: cannot read'
}

t_pandoc_missing_slow_or_flooding() {
    python3 -c 'import zipfile; z = zipfile.ZipFile("a.docx", "w"); z.writestr("word/document.xml", "<w/>"); z.close()'
    PLANPRESS_PANDOC=pandoc-not-installed pp import a.docx
    expect_status 3
    expect_err '^a.docx: error: pandoc-not-installed is not installed'
    fake_pandoc 'exec sleep 60'
    local t0=$SECONDS
    PLANPRESS_IMPORT_TIMEOUT=1 pp import a.docx
    expect_status 3
    expect_err '^a.docx: error: .*fake-pandoc took longer than 1 s; stopped'
    [ $((SECONDS - t0)) -lt 20 ] || fail "the timeout took $((SECONDS - t0)) s"
    fake_pandoc 'exec yes 一二三四五六七八九十'
    PLANPRESS_IMPORT_MAX_BYTES=100000 pp import a.docx
    expect_status 1
    expect_err "^a.docx: error: the document's text is larger than 100000 bytes"
    fake_pandoc 'kill -9 $$'
    pp import a.docx
    expect_status 3
    expect_err '^a.docx: error: .*fake-pandoc was killed by signal 9'
    # HTML is read without pandoc.
    printf '<p>规划</p><p>一、总则</p><p>正文。</p>\n' > a.html
    PLANPRESS_PANDOC=pandoc-not-installed pp import a.html
    expect_status 0
    grep -q '^## 一、总则' <<<"$out" || fail "a.html: $out"
}

t_gov_page_content_alone_in_its_charset() {
    # A gov.cn-style page in GB2312: navigation and footer around #UCAP-CONTENT.
    cat > nav.html <<'HTML'
<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>某页</title></head><body>
<div class="nav"><a href="/">首页</a> | <a href="/zhengce/">政策</a></div>
<div class="pages_content" id="UCAP-CONTENT">
<p>国务院关于加快推进某某的指导意见</p>
<p>国发〔2018〕42号</p>
<p>各省、自治区、直辖市人民政府：</p>
<p>一、总体要求</p>
<p>（一）指导思想。全面贯彻
党的精神。<br>第二行。</p>
<p>国务院</p><p>2018年12月21日</p>
<p>（此件公开发布）</p>
</div>
<div class="footer">版权所有：中国政府网 &nbsp; 主办单位：国务院办公厅</div>
</body></html>
HTML
    iconv -f UTF-8 -t GB2312 nav.html > gov.html
    pp import gov.html --id gov
    expect_status 0
    expect_err '^gov.html: note: the page.s document is in its #UCAP-CONTENT element'
    grep -q '^title: "国务院关于加快推进某某的指导意见"' <<<"$out" || fail "title: $out"
    grep -q '^number: "国发〔2018〕42号"' <<<"$out" || fail "number"
    grep -q '^date: 2018-12-21' <<<"$out" || fail "date"
    grep -q '^### （一）指导思想。$' <<<"$out" || fail "heading: $out"
    grep -q '^全面贯彻 党的精神。$' <<<"$out" || fail "a line break in the source is a space: $out"
    grep -q '^第二行。$' <<<"$out" || fail "<br> is a line"
    if grep -q '首页\|版权所有' <<<"$out"; then fail "navigation or footer imported: $out"; fi
}

t_out_never_overwrites_without_force() {
    printf '规划\n\n一、总则\n\n正文。\n' > p.txt
    printf 'keep me\n' > p.md
    pp import p.txt --out p.md
    expect_status 2
    expect_err 'p.md already exists; nothing written'
    grep -q 'keep me' p.md || fail "p.md was changed"
    pp import p.txt --out p.md --force
    expect_status 0
    grep -q '^## 一、总则' p.md || fail "p.md not replaced: $(cat p.md)"
    pp import p.txt --id 'Bad Id'
    expect_status 2
    pp import
    expect_status 2
    pp help import
    expect_status 0
    grep -q -- '--force' <<<"$out" || fail "help import lacks --force"
}

t_gb18030_text_and_a_gov_page() {
    iconv -f UTF-8 -t GB18030 "$SEEDS/003_0d2d74b43f439259.txt" > gb.txt
    pp import gb.txt --id gb
    expect_status 0
    expect_err 'gb.txt: note: not UTF-8: read as GB18030'
    grep -q '^title: "2018年扬州市科协工作要点"' <<<"$out" || fail "title: $(head -5 <<<"$out")"
    cat > page.html <<'HTML'
<!DOCTYPE html><html><head><meta charset="utf-8"><title>国务院关于印发某规划的通知</title>
<style>p{color:red}</style><script>var x = "不要";</script></head><body>
<table><tr><td>发文字号：</td><td>国发〔2018〕42号</td></tr><tr><td>成文日期：2018年12月21日</td></tr></table>
<h1>国务院关于印发《某某发展规划（2018—2022年）》的通知</h1>
<p>各省、自治区、直辖市人民政府：</p>
<p>现将《某某发展规划（2018—2022年）》印发给你们，请认真贯彻执行。</p>
<p>国务院</p><p>2018年12月21日</p>
<p>某某发展规划（2018—2022年）</p>
<p>一、发展目标</p><p>到2022年，某某达到10%。</p>
<p>二、重点任务</p><p>（一）建设平台。加快建设。（省科技厅牵头，省发展改革委、某不存在的局按职责分工负责）</p>
<p>（二）培养人才。</p>
<p>加快培养。</p>
<p>（省工业和信息化厅、科技厅，各地级以上市人民政府按职责分工负责）</p>
</body></html>
HTML
    mkdir r && git -C r init -q && mkdir r/content
    printf -- '- id: gov\n  name: 国务院\n- id: kjt\n  name: 省科技厅\n  parent: gov\n- id: fgw\n  name: 省发展改革委\n  parent: gov\n' > r/content/bodies.yaml
    pp import page.html --id gov-plan --repo r
    expect_status 0
    grep -q '^title: "某某发展规划（2018—2022年）"' <<<"$out" || fail "title: $(head -12 <<<"$out")"
    grep -q '^number: "国发〔2018〕42号"' <<<"$out" || fail "number"
    grep -q '^date: 2018-12-21' <<<"$out" || fail "date"
    grep -q '^issuer: gov' <<<"$out" || fail "issuer"
    grep -q '^period: "2018-2022"' <<<"$out" || fail "period"
    grep -q '^> 现将《某某发展规划（2018—2022年）》印发给你们' <<<"$out" || fail "preface"
    grep -q '^> 发文字号： 国发〔2018〕42号$' <<<"$out" || fail "table cells: $out"
    grep -q '^## 一、发展目标 {#g1 .goal}' <<<"$out" || fail "goal: $out"
    grep -q '^## 二、重点任务 {.tasks}' <<<"$out" || fail "tasks"
    grep -q '^### （一）建设平台。 {#t1}' <<<"$out" || fail "task t1: $out"
    if grep -q '不要' <<<"$out"; then fail "script text imported"; fi
    expect_err '^page.html: note: title: 某某发展规划（2018—2022年）$'   # no line: the text is the page's
    expect_err 'body "省某不存在的局" is not in bodies.yaml'   # the prefix its list carries
    expect_err '^- id: name-[0-9a-f]{8}$'
    expect_err '^  name: "省某不存在的局"$'
    if grep -q 'not in bodies.yaml' <<<"$(grep '省科技厅\|省发展改革委' <<<"$err")"; then fail "known bodies reported unknown"; fi
    # a phrase in a paragraph of its own; a prefix carried along its list; a collective party
    expect_err 'body "省工业和信息化厅" is not in bodies.yaml'
    expect_err '"各地级以上市人民政府" is a collective party: shown as written'
    if grep -q '^  name: "各地级以上市人民政府"' <<<"$err"; then fail "a collective party proposed as a body"; fi
}
