/* build.c — `build` and `check`: read the revision, parse the content, render
 * through the theme, write data files, publish atomically. */
#include "build.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "content.h"
#include "datafiles.h"
#include "history.h"
#include "indicators.h"
#include "links.h"
#include "diag.h"
#include "markdown.h"
#include "output.h"
#include "progress.h"
#include "render.h"
#include "repo.h"
#include "search.h"
#include "theme.h"
#include "workers.h"

static double S_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Where the content lives in the tree: --content, else "content" when the
 * tree has that folder, else the root. */
static int S_content_dir(site *s, repo *r, const build_options *opt, diag *d) {
    if (opt->content) {
        size_t n = strlen(opt->content);
        while (n && opt->content[n - 1] == '/') n--;
        const char *c = opt->content;
        while (n >= 2 && c[0] == '.' && c[1] == '/') {
            c += 2;
            n -= 2;
        }
        if (n == 0 || (n == 1 && c[0] == '.')) {
            s->content_dir = "";
            return 0;
        }
        s->content_dir = arena_strndup(s->a, c, n);
        if (strstr(s->content_dir, "..") || s->content_dir[0] == '/' ||
            !repo_is_dir(r, &s->commit, s->content_dir)) {
            diag_error(d, NULL, 0, 0, "--content %s: no such folder in %s", s->content_dir,
                       opt->worktree ? "the working tree" : s->commit.short_id);
            return -1;
        }
        return 0;
    }
    s->content_dir = repo_is_dir(r, &s->commit, "content") ? "content" : "";
    return 0;
}

/* CPU seconds (user + system) the process has used, on every thread, and
 * its peak resident memory in MB. */
static double S_cpu(long *peak_mb) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) < 0) return 0;
    *peak_mb = ru.ru_maxrss / 1024;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* PLANPRESS_TIMINGS=1 prints how long each stage took (for benchmarks): wall
 * seconds, CPU seconds of all threads (which a busy machine moves less) and
 * the peak resident memory so far. */
static void S_stage_time(const char *stage, double *since) {
    static int on = -1;
    static double cpu_since;
    long peak = 0;
    if (on < 0) on = progress_timings();
    double now = S_now(), cpu = on ? S_cpu(&peak) : 0;
    if (on)
        fprintf(stderr, "planpress: %-10s %7.3f s  (CPU %7.3f s, peak %ld MB)\n", stage, now - *since,
                cpu - cpu_since, peak);
    *since = now;
    cpu_since = cpu;
}

int build_run(const build_options *opt) {
    double t0 = S_now(), ts = t0;
    int status = EXIT_OK;
    diag *d = diag_new(opt->strict);
    repo *r = NULL;
    output *o = NULL;
    site s;
    memset(&s, 0, sizeof s);
    s.a = arena_new();
    if (!d || !s.a) {
        fputs("planpress: out of memory\n", stderr);
        return EXIT_IO;
    }
    progress_init(!opt->quiet && isatty(STDERR_FILENO));
    md_init();
    int jobs = opt->jobs > 0 ? opt->jobs : workers_default_jobs();

    if (repo_open(&r, opt->repo, opt->worktree, d) < 0) {
        status = EXIT_IO;
        goto done;
    }
    if (repo_resolve(r, s.a, opt->ref ? opt->ref : "HEAD", opt->as_of, &s.commit, d) < 0) {
        status = EXIT_IO;
        goto done;
    }
    /* The output folder first: refused, or locked for this build, before
     * any work (docs/architecture.md, Publication). */
    if (!opt->check_only) {
        const char *out = opt->out ? opt->out : "public";
        char *abs = output_resolve(out);
        const char *why = abs ? repo_holds(r, abs) : NULL;
        if (!abs || why) {
            if (abs) diag_fail(d, NULL, 0, 0, "--out %s: %s: refusing to replace it", out, why);
            else diag_fail(d, NULL, 0, 0, "--out %s: %s", out, strerror(errno));
            free(abs);
            status = EXIT_IO;
            goto done;
        }
        free(abs);
        if (output_begin(&o, out, d) < 0) {
            status = EXIT_IO;
            goto done;
        }
    }
    s.worktree = opt->worktree;
    if (S_content_dir(&s, r, opt, d) < 0) {
        status = EXIT_USAGE;
        goto done;
    }
    S_stage_time("open", &ts);
    /* build and check report the same warnings (completeness ones too) */
    if (content_load(&s, r, jobs, 1, d) < 0) {
        status = EXIT_IO;
        goto done;
    }
    S_stage_time("read+parse", &ts);
    links_build(&s, d, 1);
    S_stage_time("link", &ts);
    /* site.yaml's limits: for the indicator scripts and the templates alike */
    sandbox_limits limits = {0};
    long long pages_total = INDICATORS_DEFAULT_PAGES_TOTAL;
    indicators_limits(&s, &limits, &pages_total, NULL);
    if (indicators_load(&s, r, &limits, d) < 0) {
        status = EXIT_IO;
        goto done;
    }
    S_stage_time("indicators", &ts);
    /* The search index depends on the content alone, not on its history:
     * it is written first, so that its memory is given back before the
     * history's is taken (10,000 plans, 5,000 commits: peak 2.48 -> 2.26 GB). */
    if (!opt->check_only && !diag_errors(d)) {
        if (search_write_jobs(&s, o, jobs, d) < 0) {
            status = diag_errors(d) ? EXIT_CONTENT : EXIT_IO;
            goto done;
        }
        S_stage_time("search", &ts);
    }
    if (!opt->no_history && !opt->check_only && !diag_errors(d)) {
        const char *cache_path =
            opt->no_cache ? NULL : arena_printf(s.a, "%splanpress/history.cache", repo_git_dir(r));
        if (history_collect(&s, r, jobs, &limits, cache_path, d) < 0) {
            status = EXIT_IO;
            goto done;
        }
        S_stage_time("history", &ts);
        if (progress_timings())
            fprintf(stderr, "planpress:   history cache: %zu read, %zu used, %zu added; indicator scripts run on %zu past commits\n",
                    s.history_cache_read, s.history_cache_hits, s.history_cache_added, s.trail_runs);
    }
    if (opt->base_url) s.cfg.base_url = opt->base_url;
    if (*s.cfg.base_url && s.cfg.base_url[strlen(s.cfg.base_url) - 1] != '/')
        s.cfg.base_url = arena_printf(s.a, "%s/", s.cfg.base_url);
    if (diag_errors(d)) {
        status = EXIT_CONTENT;
        goto done;
    }

    theme th;
    if (theme_load(&th, s.a, r, &s.commit, s.cfg.theme, d) < 0) {
        status = EXIT_CONTENT;
        goto done;
    }
    if (opt->check_only) goto done;

    render_options ropt = {jobs, "planpress " PP_VERSION, limits};
    ropt.limits.total_instructions = pages_total;
    progress_stage("rendering", render_page_count(&s));
    int rrc = render_site(&s, &th, o, &ropt, d);
    progress_done();
    S_stage_time("render", &ts);
    int drc = rrc < 0 ? -1 : datafiles_write(&s, o, d);
    S_stage_time("data", &ts);
    if (rrc < 0 || drc < 0 || diag_errors(d)) {
        status = diag_errors(d) ? EXIT_CONTENT : EXIT_IO;
        output_abort(o);
        o = NULL;
        goto done;
    }
    size_t files = output_files(o), bytes = output_bytes(o);
    int crc = output_commit(o, d);
    S_stage_time("publish", &ts);
    o = NULL;
    if (crc < 0) {
        status = EXIT_IO;
        goto done;
    }
    if (!opt->quiet)
        fprintf(stderr, "planpress: %zu plans, %zu pages -> %s: %zu files, %.1f MB in %.2f s (commit %s%s)\n",
                s.nplans, s.npages, opt->out ? opt->out : "public", files, (double)bytes / 1e6,
                S_now() - t0, s.commit.short_id, s.worktree ? ", working tree" : "");

done:
    if (o) output_abort(o);
    diag_flush(d, stderr);
    /* An I/O or internal failure anywhere (diag_fail) is exit 3, whatever
     * else was found. */
    if (diag_failures(d)) status = EXIT_IO;
    else if (status == EXIT_OK && diag_errors(d)) status = EXIT_CONTENT;
    if (!opt->check_only && status == EXIT_OK && !opt->quiet && diag_warnings(d))
        fprintf(stderr, "planpress: %d warnings, listed above (`planpress check` lists the same "
                        "without building)\n",
                diag_warnings(d));
    if (opt->check_only && status == EXIT_OK && !opt->quiet)
        fprintf(stderr, "planpress: %zu plans, %zu pages checked: %d warnings\n", s.nplans,
                s.npages, diag_warnings(d));
    if (status != EXIT_OK && !opt->quiet)
        fprintf(stderr, "planpress: %s failed%s\n", opt->check_only ? "check" : "build",
                opt->check_only ? "" : "; the previous output is untouched");
    repo_free(r);
    arena_free(s.a);
    diag_free(d);
    return status;
}
