/* test_search.c — the search index: folding and character classes, terms,
 * rank classes, HTML to text, and the files search_write makes (read back
 * with a small decoder of the format in docs/search.md): documents and
 * their text, lookups of terms, ranking, filters, determinism. */
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "bodies.h"
#include "content.h"
#include "harness.h"
#include "output.h"
#include "search.h"

/* ---- characters and terms ------------------------------------------------ */

TEST(search_fold_and_classes) {
    CHECK(search_fold(0xFF21) == 'a');              /* Ａ */
    CHECK(search_fold(0xFF10) == '0');              /* ０ */
    CHECK(search_fold(0xFF0C) == ',');              /* ， */
    CHECK(search_fold(0x3000) == ' ');
    CHECK(search_fold('Q') == 'q');
    CHECK(search_fold(0x79D1) == 0x79D1);           /* 科 */
    CHECK(search_char_class(0x79D1) == SEARCH_CJK);
    CHECK(search_char_class(0x3007) == SEARCH_CJK);  /* 〇 */
    CHECK(search_char_class(0x30AB) == SEARCH_CJK);  /* カ */
    CHECK(search_char_class(0xAC00) == SEARCH_CJK);  /* 가 */
    CHECK(search_char_class(0x20000) == SEARCH_CJK);
    CHECK(search_char_class(0x3001) == SEARCH_SEP);  /* 、 */
    CHECK(search_char_class(0x300A) == SEARCH_SEP);  /* 《 */
    CHECK(search_char_class(0x2014) == SEARCH_SEP);  /* — */
    CHECK(search_char_class(0x2460) == SEARCH_SEP);  /* ① */
    CHECK(search_char_class(search_fold(0xFF08)) == SEARCH_SEP); /* （ */
    CHECK(search_char_class(0xA0) == SEARCH_SEP);
    CHECK(search_char_class(0xE9) == SEARCH_WORD);   /* é */
    CHECK(search_char_class(0x0416) == SEARCH_WORD); /* Ж */
    CHECK(search_char_class('7') == SEARCH_WORD);
    CHECK(search_char_class(0x200B) == SEARCH_IGNORE);
    CHECK(search_char_class(0xFE0F) == SEARCH_IGNORE);
}

TEST(search_utf8_decoding) {
    size_t i = 0;
    CHECK(search_utf8_next("科", 3, &i) == 0x79D1 && i == 3);
    i = 0;
    CHECK(search_utf8_next("\xe7\xa7", 2, &i) == 0xFFFD && i == 1); /* truncated */
    i = 0;
    CHECK(search_utf8_next("\xc0\xaf", 2, &i) == 0xFFFD && i == 1); /* overlong */
    i = 0;
    CHECK(search_utf8_next("\xed\xa0\x80", 3, &i) == 0xFFFD);      /* surrogate */
    i = 0;
    CHECK(search_utf8_next("\xf0\x9f\x98\x80", 4, &i) == 0x1F600 && i == 4);
}

static void S_collect_term(void *payload, const char *t, size_t n) {
    strbuf *b = payload;
    if (b->len) sb_putc(b, '|');
    sb_append(b, t, n);
}

static char *S_terms(const char *text) {
    strbuf b = STRBUF_INIT;
    search_terms(text, strlen(text), S_collect_term, &b);
    char *r = strdup(sb_str(&b));
    sb_free(&b);
    return r;
}

TEST(search_terms_cjk_latin_numbers) {
    char *t = S_terms("科普e站");
    CHECK_STR(t, "科|普|科普|e|站");
    free(t);
    /* full-width letters and digits fold; case folds; numbers are words */
    t = S_terms("Ｈｅｌｌｏ　World ２０２０年");
    CHECK_STR(t, "hello|world|2020|年");
    free(t);
    /* punctuation ends a run: no bigram or trigram across it */
    t = S_terms("十二五”主要");
    CHECK_STR(t, "十|二|十二|五|二五|十二五|主|要|主要");
    free(t);
    /* a run of CJK characters: unigrams, bigrams, trigrams */
    t = S_terms("科普大篷车");
    CHECK_STR(t, "科|普|科普|大|普大|科普大|篷|大篷|普大篷|车|篷车|大篷车");
    free(t);
    /* a word between CJK characters ends the run */
    t = S_terms("科普e站点");
    CHECK_STR(t, "科|普|科普|e|站|点|站点");
    free(t);
    /* zero-width characters are dropped, not separators */
    t = S_terms("科\xe2\x80\x8b普");
    CHECK_STR(t, "科|普|科普");
    free(t);
    /* long words are cut to SEARCH_WORD_MAX characters */
    t = S_terms("abcdefghijklmnopqrstuvwxyz0123456789");
    CHECK_STR(t, "abcdefghijklmnopqrstuvwx");
    free(t);
    /* 10.5%: two numbers */
    t = S_terms("达到10.5%");
    CHECK_STR(t, "达|到|达到|10|5");
    free(t);
    /* invalid UTF-8 is a separator, never a crash */
    t = S_terms("科\xff普");
    CHECK_STR(t, "科|普");
    free(t);
    t = S_terms("");
    CHECK_STR(t, "");
    free(t);
}

TEST(search_rank_classes) {
    /* title beats body; shorter titles beat longer ones */
    CHECK(search_rank_class(1, 4, 0, 100) == 64);
    CHECK(search_rank_class(1, 60, 0, 100) == 8);
    CHECK(search_rank_class(1, 10, 0, 0) > search_rank_class(1, 30, 0, 0));
    CHECK(search_rank_class(1, 200, 0, 0) > search_rank_class(0, 0, 1000, 10));
    CHECK(search_rank_class(0, 0, 0, 100) == 0);
    CHECK(search_rank_class(0, 0, 1, 500) == 1);
    CHECK(search_rank_class(0, 0, 100000, 1) == 7);
    CHECK(search_rank_class(1, 1, 100000, 1) == 71);
    /* more occurrences never rank lower (a phrase never outranks its terms) */
    for (unsigned tf = 1; tf < 300; tf++)
        for (size_t len = 0; len < 3000; len += 97)
            CHECK(search_rank_class(0, 0, tf, len) <= search_rank_class(0, 0, tf + 1, len));
}

TEST(search_hash_and_varint) {
    CHECK(search_hash("", 0) == 2166136261u);
    CHECK(search_hash("a", 1) == 0xe40c292cu);
    strbuf b = STRBUF_INIT;
    search_put_varint(&b, 0);
    search_put_varint(&b, 127);
    search_put_varint(&b, 128);
    search_put_varint(&b, 300);
    CHECK(b.len == 6);
    CHECK(memcmp(b.ptr, "\x00\x7f\x80\x01\xac\x02", 6) == 0);
    sb_free(&b);
}

static char *S_text(const char *html) {
    strbuf b = STRBUF_INIT;
    search_html_text(&b, html, strlen(html));
    char *r = strdup(sb_str(&b));
    sb_free(&b);
    return r;
}

TEST(search_html_to_text) {
    char *t = S_text("<h2 id=\"x\">标题 <a class=\"item-link item-link-task\" href=\"pp:plans/p/tasks/t1/\">t1</a></h2>\n"
                     "<p>A &amp; B&lt;c&gt; &quot;q&quot; &#39;s&#x4e00;</p>\n<ul>\n<li>一</li>\n<li>二 <em>三</em>\n四</li>\n</ul>\n");
    CHECK_STR(t, "标题\nA & B<c> \"q\" 's一\n一\n二 三 四");
    free(t);
    /* links keep their text; a > inside a quoted attribute does not end the tag */
    t = S_text("<p>由<a href=\"pp:bodies/x/\" title=\"a>b\">省科协</a>牵头</p>");
    CHECK_STR(t, "由省科协牵头");
    free(t);
    t = S_text("<table><tr><td>指标</td><td>10%</td></tr></table><p>a<br />b</p>");
    CHECK_STR(t, "指标\n10%\na\nb");
    free(t);
    /* unknown entities and a stray < stay as they are */
    t = S_text("<p>&foo; a < b &#0;</p>");
    CHECK_STR(t, "&foo; a < b \xef\xbf\xbd");
    free(t);
    /* entities that are white space collapse like white space; NUL is dropped */
    t = S_text("<p>a&#xa;&#10; b</p>");
    CHECK_STR(t, "a b");
    free(t);
    t = S_text("<p>unclosed <a href=\"x");
    CHECK_STR(t, "unclosed");
    free(t);
}

/* ---- the index files --------------------------------------------------------- */

static const char *const plan_src =
    "---\n"
    "id: p\n"
    "title: 湖北省科普事业发展规划\n"
    "number: 鄂科协发〔2017〕8号\n"
    "aliases: [湖北科普规划]\n"
    "---\n"
    "前言：科普大篷车开进乡村。\n"
    "\n"
    "## 一、发展目标 {.goals}\n"
    "\n"
    "### （一）科普大篷车覆盖全省 {#g1}\n"
    "\n"
    "到2020年，科普大篷车覆盖每个县。\n"
    "\n"
    "## 二、主要任务 {.tasks}\n"
    "\n"
    "总体要求：建设院士专家工作站。\n"
    "\n"
    "### （一）院士专家工作站建设 {#t1}\n"
    "\n"
    "建设院士专家工作站100家，推进ＡＢＣ计划。\n"
    "\n"
    "- 第一项，普及科学。 {#t1-a .task}\n"
    "- 第二项，大篷车巡展。\n"
    "\n"
    "## 三、保障措施\n"
    "\n"
    "加强 <script>alert(1)</script> 组织领导。\n";

typedef struct fixture {
    site s;
    diag *d;
    char dir[64];
    char out[80];
} fixture;

static int S_setup_jobs(fixture *fx, int jobs) {
    memset(fx, 0, sizeof *fx);
    md_init();
    site *s = &fx->s;
    s->a = arena_new();
    s->content_dir = "content";
    s->cfg.language = "zh-CN";
    bodies_init(&s->bodies, s->a);
    fx->d = diag_new(0);
    plan *p = arena_alloc(s->a, sizeof *p);
    if (content_parse_plan(s->a, fx->d, &s->bodies, "content/plans/p.md", "p", plan_src,
                           strlen(plan_src), 0, p) < 0)
        return -1;
    s->plans = arena_alloc(s->a, sizeof *s->plans);
    s->plans[0] = p;
    s->nplans = 1;
    page *pg = arena_alloc(s->a, sizeof *pg);
    pg->doc.id = "about";
    pg->doc.title = "关于本站";
    pg->doc.md.html = "<p>本站转载<strong>科普</strong>规划。</p>\n";
    pg->doc.md.html_len = strlen(pg->doc.md.html);
    s->pages = arena_alloc(s->a, sizeof *s->pages);
    s->pages[0] = pg;
    s->npages = 1;
    strcpy(fx->dir, "/tmp/pp-search-test.XXXXXX");
    if (!mkdtemp(fx->dir)) return -1;
    snprintf(fx->out, sizeof fx->out, "%s/site", fx->dir);
    output *o;
    if (output_begin(&o, fx->out, fx->d) < 0) return -1;
    if ((jobs ? search_write_jobs(s, o, jobs, fx->d) : search_write(s, o, fx->d)) < 0) {
        output_abort(o);
        return -1;
    }
    return output_commit(o, fx->d);
}

static int S_setup(fixture *fx) { return S_setup_jobs(fx, 0); }

static int S_rm(const char *path) {
    DIR *dir = opendir(path);
    if (!dir) return unlink(path);
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char p[512];
        snprintf(p, sizeof p, "%s/%s", path, e->d_name);
        S_rm(p);
    }
    closedir(dir);
    return rmdir(path);
}

static void S_teardown(fixture *fx) {
    if (fx->dir[0]) S_rm(fx->dir);
    diag_free(fx->d);
    arena_free(fx->s.a);
}

static char *S_read(const fixture *fx, const char *rel, size_t *len) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", fx->out, rel);
    FILE *f = fopen(p, "rb");
    if (!f) return NULL;
    strbuf b = STRBUF_INIT;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) sb_append(&b, buf, n);
    fclose(f);
    if (len) *len = b.len;
    if (!b.ptr) sb_putc(&b, '\0'), b.len = 0;
    return b.ptr;
}

static long S_json_int(const char *json, const char *key) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *at = strstr(json, pat);
    return at ? strtol(at + strlen(pat), NULL, 10) : -1;
}

typedef struct rd {
    const unsigned char *p, *end;
} rd;

static unsigned long S_v(rd *r) {
    unsigned long x = 0;
    int sh = 0;
    while (r->p < r->end) {
        unsigned char c = *r->p++;
        x |= (unsigned long)(c & 0x7F) << sh;
        sh += 7;
        if (!(c & 0x80)) break;
    }
    return x;
}

/* Reads n entries of a ranked list into docs/cls. */
static void S_ranked(rd *r, size_t n, unsigned *docs, int *cls) {
    size_t k = 0;
    while (k < n && r->p < r->end) {
        int c = *r->p++;
        unsigned long cnt = S_v(r), prev = 0;
        for (unsigned long j = 0; j < cnt && k < n; j++) {
            prev += S_v(r);
            docs[k] = (unsigned)prev;
            cls[k++] = c;
        }
    }
}

/* The documents of a term in ranked order (at most max); returns df, or -1
 * when the term is not in the index, -2 when the top of its list in its
 * shard entry is not the start of its list. */
static long S_lookup(const fixture *fx, const char *term, unsigned *docs, int *cls, size_t max) {
    char *man = S_read(fx, "search/manifest.json", NULL);
    long shards = S_json_int(man, "shards");
    free(man);
    char rel[64];
    snprintf(rel, sizeof rel, "search/s/%lu.bin", (unsigned long)(search_hash(term, strlen(term)) % (uint32_t)shards));
    size_t len;
    char *shard = S_read(fx, rel, &len);
    if (!shard) return -1;
    rd r = {(const unsigned char *)shard, (const unsigned char *)shard + len};
    unsigned long n = S_v(&r);
    long found = -1;
    int topbad = 0;
    for (unsigned long i = 0; i < n && found < 0; i++) {
        unsigned long tl = S_v(&r);
        int match = tl == strlen(term) && memcmp(r.p, term, tl) == 0;
        r.p += tl;
        unsigned long df = S_v(&r);
        unsigned *d = match ? docs : malloc(df * sizeof *d + 1);
        int *c = match ? cls : malloc(df * sizeof *c + 1);
        if (df <= SEARCH_INLINE_DF) {
            unsigned tmpd[SEARCH_INLINE_DF];
            int tmpc[SEARCH_INLINE_DF];
            S_ranked(&r, df, tmpd, tmpc);
            for (size_t k = 0; k < df && k < max; k++) d[k] = tmpd[k], c[k] = tmpc[k];
        } else {
            unsigned long file = S_v(&r), nseg = S_v(&r);
            size_t at = 0;
            for (unsigned long sg = 0; sg < nseg; sg++) {
                unsigned long cnt = S_v(&r);
                r.p++; /* top class */
                S_v(&r); /* bytes */
                if (!match) continue;
                char srel[96];
                snprintf(srel, sizeof srel, "search/t/%lu/%lu-%lu.bin", file / 1000, file, sg);
                size_t sl;
                char *seg = S_read(fx, srel, &sl);
                if (!seg) continue;
                unsigned *sd = malloc(cnt * sizeof *sd);
                int *sc = malloc(cnt * sizeof *sc);
                rd sr = {(const unsigned char *)seg, (const unsigned char *)seg + sl};
                S_ranked(&sr, cnt, sd, sc);
                for (size_t k = 0; k < cnt && at < max; k++, at++) d[at] = sd[k], c[at] = sc[k];
                free(sd), free(sc), free(seg);
            }
            if (nseg > 1) S_v(&r);
            unsigned topd[SEARCH_TOP];
            int topc[SEARCH_TOP];
            S_ranked(&r, SEARCH_TOP, topd, topc);
            for (size_t k = 0; match && k < SEARCH_TOP && k < max; k++)
                if (k >= at || topd[k] != d[k] || topc[k] != c[k]) topbad = 1;
        }
        if (match) found = topbad ? -2 : (long)df;
        else free(d), free(c);
    }
    free(shard);
    return found;
}

/* The chunk record of document `doc`, as JSON text. */
static char *S_doc(const fixture *fx, unsigned doc) {
    char *man = S_read(fx, "search/manifest.json", NULL);
    long chunk = S_json_int(man, "chunk");
    free(man);
    char rel[64];
    snprintf(rel, sizeof rel, "search/d/%lu/%lu.json", (doc / chunk) / 1000, doc / chunk);
    char *j = S_read(fx, rel, NULL);
    if (!j) return NULL;
    /* records start with ["kind", ... at top level of "d" */
    char *at = strstr(j, "\"d\":[");
    if (!at) {
        free(j);
        return NULL;
    }
    at += 5;
    for (long k = 0; k < (long)(doc % chunk); k++) {
        /* skip one record: find the "]" that closes it (strings may hold ]) */
        int depth = 0, instr = 0;
        for (; *at; at++) {
            if (instr) {
                if (*at == '\\') at++;
                else if (*at == '"') instr = 0;
            } else if (*at == '"') instr = 1;
            else if (*at == '[') depth++;
            else if (*at == ']' && --depth == 0) break;
        }
        at += 2; /* "]," */
    }
    char *r = strdup(at);
    free(j);
    return r;
}

TEST(search_index_documents) {
    fixture fx;
    if (S_setup(&fx) < 0) {
        diag_flush(fx.d, stderr);
        CHECK(0);
        S_teardown(&fx);
        return;
    }
    char *man = S_read(&fx, "search/manifest.json", NULL);
    CHECK(man != NULL);
    CHECK(S_json_int(man, "format") == SEARCH_FORMAT);
    /* plan, 一、, (一) g1, 二、, (一) t1, t1-a, 三、, the page */
    CHECK(S_json_int(man, "docs") == 8);
    free(man);

    char *d0 = S_doc(&fx, 0), *d2 = S_doc(&fx, 2), *d4 = S_doc(&fx, 4), *d5 = S_doc(&fx, 5),
         *d6 = S_doc(&fx, 6), *d7 = S_doc(&fx, 7);
    CHECK_CONTAINS(d0, "[\"plan\",\"plans/p/\",\"湖北省科普事业发展规划\",\"鄂科协发〔2017〕8号\\n湖北科普规划\",0,\"前言：科普大篷车开进乡村。\"]");
    CHECK_CONTAINS(d2, "[\"goal\",\"plans/p/goals/g1/\",\"（一）科普大篷车覆盖全省\",\"\",0,\"到2020年，科普大篷车覆盖每个县。\"]");
    /* a task's own text: its list item with a role is a document of its own */
    CHECK_CONTAINS(d4, "\"task\",\"plans/p/tasks/t1/\"");
    CHECK_CONTAINS(d4, "建设院士专家工作站100家，推进ＡＢＣ计划。\\n第二项，大篷车巡展。\"]");
    CHECK_CONTAINS(d5, "\"plans/p/tasks/t1-a/\"");
    CHECK_CONTAINS(d5, "第一项，普及科学。\"]");
    /* a section: its heading's anchor; raw HTML of the content is text */
    CHECK_CONTAINS(d6, "[\"section\",\"plans/p/#三保障措施\",\"三、保障措施\"");
    CHECK(d6 && !strstr(d6, "<script>"));
    CHECK_CONTAINS(d7, "[\"page\",\"pages/about/\",\"关于本站\",\"\",-1,\"本站转载科普规划。\"]");
    free(d0), free(d2), free(d4), free(d5), free(d6), free(d7);

    char *plans = S_read(&fx, "search/plans.json", NULL);
    CHECK_STR(plans, "[[\"p\",\"湖北省科普事业发展规划\",0,7]]\n");
    free(plans);
    /* the plan's row again in its shard of the plan table */
    man = S_read(&fx, "search/manifest.json", NULL);
    long nps = S_json_int(man, "plan_shards");
    CHECK(nps >= 1 && (nps & (nps - 1)) == 0);
    free(man);
    char rel[64];
    snprintf(rel, sizeof rel, "search/p/%lu.json", (unsigned long)(search_hash("p", 1) % (uint32_t)(nps > 0 ? nps : 1)));
    char *ps = S_read(&fx, rel, NULL);
    CHECK_STR(ps, "[[\"p\",\"湖北省科普事业发展规划\",0,7]]\n");
    free(ps);
    S_teardown(&fx);
}

TEST(search_index_lookups_and_ranking) {
    fixture fx;
    if (S_setup(&fx) < 0) {
        diag_flush(fx.d, stderr);
        CHECK(0);
        S_teardown(&fx);
        return;
    }
    unsigned docs[64];
    int cls[64];
    /* 大篷: the goal's title, then the text of the plan and task t1 */
    long df = S_lookup(&fx, "大篷", docs, cls, 64);
    CHECK(df == 3);
    CHECK(docs[0] == 2 && cls[0] >= 8);            /* in a title */
    CHECK(docs[1] == 0 || docs[1] == 4);
    CHECK(cls[1] < 8 && cls[2] < 8 && cls[1] >= cls[2]);
    /* a unigram, a folded Latin word, a number, the alias */
    CHECK(S_lookup(&fx, "篷", docs, cls, 64) == 3);
    CHECK(S_lookup(&fx, "abc", docs, cls, 64) == 1 && docs[0] == 4);
    CHECK(S_lookup(&fx, "ABC", docs, cls, 64) == -1);
    CHECK(S_lookup(&fx, "2020", docs, cls, 64) == 1 && docs[0] == 2);
    CHECK(S_lookup(&fx, "2017", docs, cls, 64) == 1 && docs[0] == 0 && cls[0] >= 8);
    CHECK(S_lookup(&fx, "科普", docs, cls, 64) == 3); /* the plan, g1, the page */
    CHECK(S_lookup(&fx, "〕8", docs, cls, 64) == -1); /* no term across punctuation */
    CHECK(S_lookup(&fx, "号", docs, cls, 64) == 1);
    /* trigrams: in titles and text, in other names, never across punctuation */
    CHECK(S_lookup(&fx, "大篷车", docs, cls, 64) == 3);
    CHECK(S_lookup(&fx, "科普大", docs, cls, 64) == 2 && docs[0] == 2 && cls[0] >= 8);
    CHECK(S_lookup(&fx, "篷车巡", docs, cls, 64) == 1 && docs[0] == 4);
    CHECK(S_lookup(&fx, "鄂科协", docs, cls, 64) == 1 && docs[0] == 0 && cls[0] >= 8);
    CHECK(S_lookup(&fx, "协发〔", docs, cls, 64) == -1);
    CHECK(S_lookup(&fx, "大篷车巡", docs, cls, 64) == -1); /* (no longer terms) */
    CHECK(S_lookup(&fx, "script", docs, cls, 64) == -1); /* raw HTML: dropped */
    CHECK(S_lookup(&fx, "alert", docs, cls, 64) == 1 && docs[0] == 6);
    /* filters: kinds and the plan range */
    CHECK(S_lookup(&fx, "\001k:task", docs, cls, 64) == 2 && docs[0] == 4 && docs[1] == 5);
    CHECK(S_lookup(&fx, "\001k:plan", docs, cls, 64) == 4); /* the plan and its 3 sections */
    CHECK(S_lookup(&fx, "\001k:page", docs, cls, 64) == 1 && docs[0] == 7);
    S_teardown(&fx);
}

/* Every file of a folder, recursively, compared with another's. */
static int S_same_tree(const char *a, const char *b) {
    DIR *dir = opendir(a);
    if (!dir) {
        FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
        int same = fa && fb;
        while (same) {
            int ca = fgetc(fa), cb = fgetc(fb);
            if (ca != cb) same = 0;
            if (ca == EOF || cb == EOF) break;
        }
        if (fa) fclose(fa);
        if (fb) fclose(fb);
        return same;
    }
    int same = 1, n = 0;
    struct dirent *e;
    while (same && (e = readdir(dir))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char pa[512], pb[512];
        snprintf(pa, sizeof pa, "%s/%s", a, e->d_name);
        snprintf(pb, sizeof pb, "%s/%s", b, e->d_name);
        same = S_same_tree(pa, pb);
        n++;
    }
    closedir(dir);
    return same && n > 0;
}

/* The same bytes from one build to the next, whatever the number of threads. */
TEST(search_index_is_deterministic) {
    fixture a, b;
    int ra = S_setup_jobs(&a, 1), rb = S_setup_jobs(&b, 5);
    CHECK(ra == 0 && rb == 0);
    if (ra == 0 && rb == 0) {
        char pa[128], pb[128];
        snprintf(pa, sizeof pa, "%s/search", a.out);
        snprintf(pb, sizeof pb, "%s/search", b.out);
        CHECK(S_same_tree(pa, pb));
        CHECK(S_same_tree(pb, pa));
    }
    S_teardown(&a);
    S_teardown(&b);
}

TEST(search_index_empty_site) {
    md_init();
    site s;
    memset(&s, 0, sizeof s);
    s.a = arena_new();
    bodies_init(&s.bodies, s.a);
    diag *d = diag_new(0);
    char dir[] = "/tmp/pp-search-empty.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char out[64];
    snprintf(out, sizeof out, "%s/site", dir);
    output *o;
    CHECK(output_begin(&o, out, d) == 0);
    CHECK(search_write(&s, o, d) == 0);
    CHECK(output_commit(o, d) == 0);
    char p[128];
    snprintf(p, sizeof p, "%s/search/manifest.json", out);
    FILE *f = fopen(p, "r");
    CHECK(f != NULL);
    if (f) {
        char buf[512] = {0};
        CHECK(fread(buf, 1, sizeof buf - 1, f) > 0);
        CHECK_CONTAINS(buf, "\"docs\":0,");
        fclose(f);
    }
    S_rm(dir);
    diag_free(d);
    arena_free(s.a);
}

/* Many plans: the plan table in shards of about 1 KB, each plan's row in
 * the shard its id hashes to, and in no other. */
TEST(search_index_plan_shards) {
    fixture fx;
    memset(&fx, 0, sizeof fx);
    md_init();
    site *s = &fx.s;
    s->a = arena_new();
    s->content_dir = "content";
    s->cfg.language = "zh-CN";
    bodies_init(&s->bodies, s->a);
    fx.d = diag_new(0);
    enum { N = 60 };
    s->plans = arena_alloc(s->a, N * sizeof *s->plans);
    for (int i = 0; i < N; i++) {
        char id[24], path[64];
        snprintf(id, sizeof id, "plan-%d", i);
        snprintf(path, sizeof path, "content/plans/%s.md", id);
        /* the same text under another id (its front matter names it) */
        char *src = arena_printf(s->a, "---\nid: %s%s", id, strstr(plan_src, "\ntitle:"));
        plan *pl = arena_alloc(s->a, sizeof *pl);
        CHECK(content_parse_plan(s->a, fx.d, &s->bodies, arena_strdup(s->a, path), arena_strdup(s->a, id), src,
                                 strlen(src), 0, pl) == 0);
        s->plans[s->nplans++] = pl;
    }
    strcpy(fx.dir, "/tmp/pp-search-test.XXXXXX");
    CHECK(mkdtemp(fx.dir) != NULL);
    snprintf(fx.out, sizeof fx.out, "%s/site", fx.dir);
    output *o;
    CHECK(output_begin(&o, fx.out, fx.d) == 0);
    CHECK(search_write(s, o, fx.d) == 0);
    CHECK(output_commit(o, fx.d) == 0);
    char *man = S_read(&fx, "search/manifest.json", NULL);
    long nps = S_json_int(man, "plan_shards");
    free(man);
    CHECK(nps > 1 && (nps & (nps - 1)) == 0);
    char *all = S_read(&fx, "search/plans.json", NULL);
    size_t total = 0;
    for (long sh = 0; sh < nps && all; sh++) {
        char rel[64];
        snprintf(rel, sizeof rel, "search/p/%ld.json", sh);
        size_t len = 0;
        char *ps = S_read(&fx, rel, &len);
        CHECK(ps != NULL && len <= 2 * SEARCH_CHUNK_BYTES);
        for (int i = 0; ps && i < N; i++) {
            char id[24], row[40];
            snprintf(id, sizeof id, "plan-%d", i);
            snprintf(row, sizeof row, "[\"%s\",", id);
            int here = strstr(ps, row) != NULL;
            CHECK(here == ((long)(search_hash(id, strlen(id)) % (uint32_t)nps) == sh));
            if (here) {
                /* the same row as in plans.json, range included */
                const char *r = strstr(ps, row), *a = strstr(all, row);
                CHECK(a && strncmp(r, a, strcspn(a, "]") + 1) == 0);
                total++;
            }
        }
        free(ps);
    }
    CHECK(total == N);
    free(all);
    S_teardown(&fx);
}

/* A term in more documents than the first segment holds: segments of
 * 128 and 1024 documents, and a membership file (a bitmap when dense). */
TEST(search_index_segments_and_members) {
    md_init();
    site s;
    memset(&s, 0, sizeof s);
    s.a = arena_new();
    bodies_init(&s.bodies, s.a);
    diag *d = diag_new(0);
    strbuf src = STRBUF_INIT;
    sb_puts(&src, "---\nid: big\ntitle: 大规划\n---\n");
    for (int i = 0; i < 300; i++) sb_printf(&src, "## 第%d节\n\n%s科普%d。\n\n", i, i % 3 ? "推进" : "", i);
    plan *p = arena_alloc(s.a, sizeof *p);
    CHECK(content_parse_plan(s.a, d, &s.bodies, "content/plans/big.md", "big", src.ptr, src.len, 0, p) == 0);
    s.plans = &p;
    s.nplans = 1;
    fixture fx;
    memset(&fx, 0, sizeof fx);
    fx.d = d;
    strcpy(fx.dir, "/tmp/pp-search-big.XXXXXX");
    CHECK(mkdtemp(fx.dir) != NULL);
    snprintf(fx.out, sizeof fx.out, "%s/site", fx.dir);
    output *o;
    CHECK(output_begin(&o, fx.out, d) == 0);
    CHECK(search_write(&s, o, d) == 0);
    CHECK(output_commit(o, d) == 0);
    unsigned docs[400];
    int cls[400];
    /* 科普 is in every section: 300 documents, ranked; 推进 in 200 */
    CHECK(S_lookup(&fx, "科普", docs, cls, 400) == 300);
    int sorted = 1;
    for (int i = 1; i < 300; i++)
        if (cls[i] > cls[i - 1] || (cls[i] == cls[i - 1] && docs[i] <= docs[i - 1])) sorted = 0;
    CHECK(sorted);
    CHECK(S_lookup(&fx, "推进", docs, cls, 400) == 200);
    /* the membership file of 科普: a bitmap of 301 documents, all but the plan */
    size_t len = 0;
    char rel[64];
    int found = 0;
    for (int f = 0; f < 64 && !found; f++) {
        snprintf(rel, sizeof rel, "search/t/0/%d-m.bin", f);
        char *m = S_read(&fx, rel, &len);
        if (m && len == 1 + (301 + 7) / 8 && m[0] == 1 && (unsigned char)m[1] == 0xFE) found = 1;
        free(m);
    }
    CHECK(found);
    sb_free(&src);
    S_rm(fx.dir);
    diag_free(d);
    arena_free(s.a);
}
