/* main.c — the command line: `build`, `check`, `new`, `import`, `help`, `--version`. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "build.h"
#include "import.h"
#include "serve.h"
#include "text.h"

static const char usage_text[] =
    "usage: planpress COMMAND [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  build   build the site from a Git revision into the output folder\n"
    "  check   validate the content; write nothing\n"
    "  serve   preview the site on 127.0.0.1, rebuilt when the source changes\n"
    "  new     scaffold a file: planpress new plan|indicator|body ID\n"
    "  import  a .docx/.html/.txt plan into a content file: planpress import FILE\n"
    "  help    help on a command: planpress help build\n"
    "\n"
    "  planpress --version | --help\n";

static const char build_help[] =
    "usage: planpress build [--repo DIR] [--ref REV] [--content PATH] [--out DIR]\n"
    "                       [--base-url URL] [--worktree] [--as-of DATE] [--jobs N]\n"
    "                       [--no-history] [--no-cache] [--strict] [--quiet]\n"
    "\n"
    "  --repo DIR       the Git repository (default: the one enclosing the current folder)\n"
    "  --ref REV        the revision to publish (default HEAD)\n"
    "  --content PATH   the content folder in the tree (default: content, else the root)\n"
    "  --out DIR        the output folder, replaced atomically (default: public); never\n"
    "                   one that holds the repository or tracked files, nor a non-empty\n"
    "                   folder without the .planpress-output that every output has\n"
    "  --base-url URL   absolute URL of the site, for feed.xml and sitemap.xml\n"
    "  --worktree       read the working tree instead of the committed files (previews)\n"
    "  --as-of DATE     build the site as it stood on DATE (YYYY-MM-DD)\n"
    "  --jobs N         worker threads (default: the number of processors)\n"
    "  --no-history     skip the revision history pages\n"
    "  --no-cache       recompute every revision's diff (the cache is GIT_DIR/planpress/)\n"
    "  --strict         warnings are errors\n"
    "  --quiet          no progress and no summary; diagnostics only\n"
    "\n"
    "exit status: 0 success, 1 content errors, 2 usage errors, 3 repository or I/O failures\n";

static const char check_help[] =
    "usage: planpress check [the input options of build]\n"
    "\n"
    "Reads and validates the content exactly as `build` would, reports every\n"
    "diagnostic, and writes nothing. Exit status as for build.\n";

static const char serve_help[] =
    "usage: planpress serve [--port N] [the input options of build]\n"
    "\n"
    "Builds the site into a private temporary folder and serves it on 127.0.0.1\n"
    "only (never on other addresses), until Ctrl-C. Before answering a request\n"
    "for a page, rebuilds when the source changed: with --worktree, when a file\n"
    "of the working tree changed (checked at most once a second); otherwise when\n"
    "--ref names another commit. While the content has errors, every page shows\n"
    "them (status 500); the last good build is kept for other files.\n"
    "\n"
    "  --port N         the port, 1 to 65535; 0 picks a free one (default 8080)\n"
    "\n"
    "exit status: 0 after Ctrl-C, 2 usage errors, 3 the port cannot be bound or the\n"
    "first build fails for a reason other than content errors\n";

static const char new_help[] =
    "usage: planpress new plan|indicator|body ID [--repo DIR] [--content PATH]\n"
    "\n"
    "Creates content/plans/ID.md or content/indicators/ID.lua with the right\n"
    "shape, or appends an entry to content/bodies.yaml, in the working tree.\n"
    "ID is lowercase letters, digits and '-'. Existing files are never overwritten.\n";

static const char import_help[] =
    "usage: planpress import FILE [--id ID] [--out PATH] [--force] [--repo DIR]\n"
    "\n"
    "Turns a plan as it arrives (.docx through pandoc; .html/.htm, a gov.cn page's\n"
    "document alone; .txt in UTF-8 or GB18030) into a plan file: the text kept, its\n"
    "numbering (第一章 一、 （一） 1. （1） ①) made headings, front matter from what\n"
    "the document states (title, issuer, 文号, dates, 征求意见稿 -> draft), a\n"
    "forwarding notice kept as a preface, role classes on sections whose titles\n"
    "say goals (目标), tasks (任务) or measures (措施/保障), ids from the numbering.\n"
    "What it inferred and what it could not is told on stderr, with a bodies.yaml\n"
    "stanza for bodies it cannot resolve. See docs/content.md, \"Importing a plan\".\n"
    "\n"
    "  --id ID          the plan's id (default: from the file name)\n"
    "  --out PATH       write there instead of standard output; never replaces a file\n"
    "  --force          let --out replace an existing file\n"
    "  --repo DIR       resolve bodies through DIR's bodies.yaml (default: the\n"
    "                   repository enclosing the current folder)\n"
    "\n"
    "pandoc (Debian's package) is needed for .docx only.\n"
    "exit status: 0 success, 1 a document that cannot be imported, 2 usage errors,\n"
    "3 I/O failures and pandoc failures (missing, killed, too slow)\n";

__attribute__((format(printf, 1, 2))) static int S_usage_error(const char *fmt, ...);
static int S_usage_error(const char *fmt, ...) {
    va_list ap;
    fputs("planpress: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n(see planpress --help)\n", stderr);
    return EXIT_USAGE;
}

static int S_help(const char *cmd) {
    if (!cmd) fputs(usage_text, stdout);
    else if (strcmp(cmd, "build") == 0) fputs(build_help, stdout);
    else if (strcmp(cmd, "check") == 0) fputs(check_help, stdout);
    else if (strcmp(cmd, "new") == 0) fputs(new_help, stdout);
    else if (strcmp(cmd, "serve") == 0) fputs(serve_help, stdout);
    else if (strcmp(cmd, "import") == 0) fputs(import_help, stdout);
    else if (strcmp(cmd, "help") == 0) fputs(usage_text, stdout);
    else return S_usage_error("no such command: %s", cmd);
    return EXIT_OK;
}

enum { OPT_REPO = 256, OPT_REF, OPT_CONTENT, OPT_OUT, OPT_BASE_URL, OPT_WORKTREE, OPT_AS_OF,
       OPT_JOBS, OPT_NO_HISTORY, OPT_NO_CACHE, OPT_STRICT, OPT_QUIET, OPT_HELP, OPT_PORT };

/* serve's --port (only that command takes it). */
static int serve_port = 8080;

static const struct option long_opts[] = {
    {"repo", required_argument, NULL, OPT_REPO},
    {"ref", required_argument, NULL, OPT_REF},
    {"content", required_argument, NULL, OPT_CONTENT},
    {"out", required_argument, NULL, OPT_OUT},
    {"base-url", required_argument, NULL, OPT_BASE_URL},
    {"worktree", no_argument, NULL, OPT_WORKTREE},
    {"as-of", required_argument, NULL, OPT_AS_OF},
    {"jobs", required_argument, NULL, OPT_JOBS},
    {"no-history", no_argument, NULL, OPT_NO_HISTORY},
    {"no-cache", no_argument, NULL, OPT_NO_CACHE},
    {"strict", no_argument, NULL, OPT_STRICT},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"help", no_argument, NULL, OPT_HELP},
    {"port", required_argument, NULL, OPT_PORT},
    {NULL, 0, NULL, 0},
};

/* Parses the options after the command word. Returns -1 on success, else an
 * exit status (help printed, or a usage error). Positional arguments are
 * collected into pos (at most maxpos). */
static int S_parse(int argc, char **argv, const char *cmd, build_options *o, char **pos,
                   int maxpos, int *npos) {
    optind = 1;
    opterr = 0;
    *npos = 0;
    for (;;) {
        int c = getopt_long(argc, argv, "-", long_opts, NULL);
        if (c == -1) break;
        switch (c) {
        case 1:
            if (*npos >= maxpos) return S_usage_error("unexpected argument: %s", optarg);
            pos[(*npos)++] = optarg;
            break;
        case OPT_REPO: o->repo = optarg; break;
        case OPT_REF: o->ref = optarg; break;
        case OPT_CONTENT: o->content = optarg; break;
        case OPT_OUT:
            if (!*optarg) return S_usage_error("--out needs a folder%s", "");
            o->out = optarg;
            break;
        case OPT_BASE_URL:
            if (*optarg && !text_is_web_url(optarg))
                return S_usage_error("--base-url wants an http:// or https:// URL, not \"%s\"", optarg);
            o->base_url = optarg;
            break;
        case OPT_WORKTREE: o->worktree = 1; break;
        case OPT_AS_OF:
            if (!text_is_date(optarg))
                return S_usage_error("--as-of wants a date YYYY-MM-DD, not \"%s\"", optarg);
            o->as_of = optarg;
            break;
        case OPT_JOBS: {
            char *end;
            errno = 0;
            long n = strtol(optarg, &end, 10);
            if (errno || *end || n < 1 || n > 256)
                return S_usage_error("--jobs wants a number from 1 to 256, not \"%s\"", optarg);
            o->jobs = (int)n;
            break;
        }
        case OPT_NO_HISTORY: o->no_history = 1; break;
        case OPT_NO_CACHE: o->no_cache = 1; break;
        case OPT_STRICT: o->strict = 1; break;
        case OPT_QUIET: o->quiet = 1; break;
        case OPT_HELP: return S_help(cmd);
        case OPT_PORT: {
            if (strcmp(cmd, "serve") != 0) return S_usage_error("unknown option: --port%s", "");
            char *end;
            errno = 0;
            long n = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || n < 0 || n > 65535)
                return S_usage_error("--port wants a number from 0 to 65535, not \"%s\"", optarg);
            serve_port = (int)n;
            break;
        }
        case ':': return S_usage_error("option %s needs a value", argv[optind - 1]);
        default: return S_usage_error("unknown option: %s", argv[optind - 1]);
        }
    }
    return -1;
}

/* ---- new ------------------------------------------------------------------ */

static int S_write_new(const char *path, const char *text, int append) {
    struct stat st;
    if (!append && stat(path, &st) == 0) {
        fprintf(stderr, "planpress: %s already exists; nothing written\n", path);
        return EXIT_USAGE;
    }
    FILE *f = fopen(path, append ? "a" : "wx");
    if (!f) {
        fprintf(stderr, "planpress: cannot write %s: %s\n", path, strerror(errno));
        return EXIT_IO;
    }
    fputs(text, f);
    if (fclose(f) != 0) {
        fprintf(stderr, "planpress: cannot write %s: %s\n", path, strerror(errno));
        return EXIT_IO;
    }
    printf("%s %s\n", append ? "appended to" : "created", path);
    return EXIT_OK;
}

static int S_new(const build_options *o, const char *what, const char *id) {
    if (!text_is_id(id))
        return S_usage_error("\"%s\" is not an id: use lowercase letters, digits and '-'", id);
    char dir[4096];
    const char *base = o->content ? o->content : "content";
    struct stat st;
    if (o->repo) snprintf(dir, sizeof dir, "%s/%s", o->repo, base);
    else snprintf(dir, sizeof dir, "%s", base);
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "planpress: no content folder %s here; run in the site's repository or pass --content\n", dir);
        return EXIT_USAGE;
    }
    char path[4200], text[2048];
    if (strcmp(what, "plan") == 0) {
        snprintf(path, sizeof path, "%s/plans", dir);
        mkdir(path, 0755);
        snprintf(path, sizeof path, "%s/plans/%s.md", dir, id);
        snprintf(text, sizeof text,
                 "---\n"
                 "id: %s\n"
                 "title: 规划标题\n"
                 "issuer: body-id            # a body id from bodies.yaml\n"
                 "number: 文号〔2026〕1号\n"
                 "date: 2026-01-01           # issued\n"
                 "period: 2026-2030\n"
                 "status: draft              # draft | adopted | superseded | expired\n"
                 "---\n"
                 "\n"
                 "## 一、发展目标 {.goals}\n"
                 "\n"
                 "### （一）目标 {#g1}\n"
                 "\n"
                 "## 二、重点任务 {.tasks}\n"
                 "\n"
                 "### 1. 任务 {#t1 goals=\"g1\"}\n"
                 "\n"
                 "任务内容。（牵头单位：某单位；配合单位：某单位）\n",
                 id);
        return S_write_new(path, text, 0);
    }
    if (strcmp(what, "indicator") == 0) {
        snprintf(path, sizeof path, "%s/indicators", dir);
        mkdir(path, 0755);
        snprintf(path, sizeof path, "%s/indicators/%s.lua", dir, id);
        snprintf(text, sizeof text,
                 "-- %s: one indicator; see docs/indicators.md\n"
                 "indicator {\n"
                 "  id = \"%s\",\n"
                 "  name = \"指标名称\",\n"
                 "  unit = \"%%\",\n"
                 "  -- plan = \"plan-id\", goal = \"g1\",   -- the plan and goal it measures\n"
                 "  direction = \"up\",\n"
                 "  baseline = { year = 2025, value = 0 },\n"
                 "  target = { year = 2030, value = 10 },\n"
                 "  source = \"\",\n"
                 "}\n",
                 id, id);
        return S_write_new(path, text, 0);
    }
    if (strcmp(what, "body") == 0) {
        snprintf(path, sizeof path, "%s/bodies.yaml", dir);
        snprintf(text, sizeof text,
                 "\n- id: %s\n"
                 "  name: 单位名称\n"
                 "  aliases: []\n"
                 "  # parent: parent-body-id\n",
                 id);
        return S_write_new(path, text, 1);
    }
    return S_usage_error("new what? plan, indicator or body, not \"%s\"", what);
}

/* ---- import -------------------------------------------------------------- */

static int S_import(int argc, char **argv) {
    enum { I_ID = 300, I_OUT, I_REPO, I_FORCE, I_HELP };
    static const struct option opts[] = {
        {"id", required_argument, NULL, I_ID},     {"out", required_argument, NULL, I_OUT},
        {"repo", required_argument, NULL, I_REPO}, {"force", no_argument, NULL, I_FORCE},
        {"help", no_argument, NULL, I_HELP},       {NULL, 0, NULL, 0},
    };
    import_options io = {0};
    optind = 1;
    opterr = 0;
    for (;;) {
        int c = getopt_long(argc, argv, "-", opts, NULL);
        if (c == -1) break;
        switch (c) {
        case 1:
            if (io.file) return S_usage_error("unexpected argument: %s", optarg);
            io.file = optarg;
            break;
        case I_ID: io.id = optarg; break;
        case I_OUT:
            if (!*optarg) return S_usage_error("--out needs a path%s", "");
            io.out = optarg;
            break;
        case I_REPO: io.repo = optarg; break;
        case I_FORCE: io.force = 1; break;
        case I_HELP: return S_help("import");
        case ':': return S_usage_error("option %s needs a value", argv[optind - 1]);
        default: return S_usage_error("unknown option: %s", argv[optind - 1]);
        }
    }
    if (!io.file) return S_usage_error("usage: planpress import FILE [--id ID] [--out PATH]%s", "");
    return import_run(&io);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fputs(usage_text, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("planpress %s\n", PP_VERSION);
        return EXIT_OK;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) return S_help(NULL);
    if (strcmp(cmd, "help") == 0) return S_help(argc > 2 ? argv[2] : NULL);

    if (strcmp(cmd, "import") == 0) return S_import(argc - 1, argv + 1);

    build_options o = {0};
    o.ref = "HEAD";
    o.out = "public";
    char *pos[2];
    int npos = 0;
    int is_build = strcmp(cmd, "build") == 0, is_check = strcmp(cmd, "check") == 0,
        is_new = strcmp(cmd, "new") == 0, is_serve = strcmp(cmd, "serve") == 0;
    if (!is_build && !is_check && !is_new && !is_serve)
        return S_usage_error("no such command: %s", cmd);
    int rc = S_parse(argc - 1, argv + 1, cmd, &o, pos, is_new ? 2 : 0, &npos);
    if (rc >= 0) return rc;
    if (is_new) {
        if (npos != 2) return S_usage_error("usage: planpress new plan|indicator|body ID%s", "");
        return S_new(&o, pos[0], pos[1]);
    }
    if (is_serve) return serve_run(&o, serve_port);
    o.check_only = is_check;
    return build_run(&o);
}
