/* serve.c — `planpress serve`: a preview server on 127.0.0.1 that rebuilds
 * the site into a private temporary folder when the source changes. The only
 * file that includes microhttpd.h. */
#include "serve.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "diag.h"
#include "html.h"
#include "repo.h"
#include "strbuf.h"

/* The working tree is walked at most this often, in seconds. */
#define SERVE_CHECK_INTERVAL 1.0
/* A failed build's diagnostics are kept for the error page up to this size
 * (all of them are printed on stderr). */
#define SERVE_MAX_ERRORS (256 * 1024)
/* Folders deeper than this under the working tree are not watched. */
#define SERVE_MAX_DEPTH 64

typedef struct server {
    build_options opt;        /* the user's input options; out = site, quiet */
    int quiet;                /* the user's --quiet: no "rebuilt" lines */
    char tmp[PATH_MAX];       /* the private folder (mkdtemp), removed at exit */
    char site[PATH_MAX + 16]; /* tmp/site: the build output that is served */
    char log[PATH_MAX + 16];  /* tmp/build.log: a build's stderr */
    dev_t tmp_dev;            /* the private folder, never watched */
    ino_t tmp_ino;
    char *workdir;            /* the working tree, for --worktree (malloc'd) */

    pthread_mutex_t lock;     /* guards what follows; held during a rebuild */
    char built[96];           /* signature of the source of the last build */
    double last_check;        /* when the working tree was last walked */
    int failed;               /* the last build failed: pages show the errors */
    char *errors;             /* its diagnostics (malloc'd) */
} server;

static double S_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the source: has it changed since the last build? --------------------- */

static uint64_t S_fnv(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static uint64_t S_fnv_ll(uint64_t h, long long v) { return S_fnv(h, &v, sizeof v); }

typedef struct walk {
    const server *s;
    uint64_t sum;  /* a sum of per-entry hashes: independent of readdir order */
    size_t n;
} walk;

/* Adds every entry under the folder `fd` (closed here) to the walk. `parent`
 * is the hash of the folder's path. Symbolic links are not followed; .git
 * and the server's own folder are skipped. */
static void S_walk(walk *w, int fd, uint64_t parent, int depth) {
    DIR *dir = fdopendir(fd);
    if (!dir) {
        close(fd);
        return;
    }
    struct dirent *e;
    while ((e = readdir(dir))) {
        const char *name = e->d_name;
        if (!strcmp(name, ".") || !strcmp(name, "..") || !strcmp(name, ".git")) continue;
        struct stat st;
        if (fstatat(dirfd(dir), name, &st, AT_SYMLINK_NOFOLLOW) < 0) continue;
        uint64_t h = S_fnv(S_fnv(parent, "/", 1), name, strlen(name));
        uint64_t eh = S_fnv_ll(h, (long long)st.st_mtim.tv_sec);
        eh = S_fnv_ll(eh, (long long)st.st_mtim.tv_nsec);
        eh = S_fnv_ll(eh, (long long)st.st_size);
        eh = S_fnv_ll(eh, (long long)st.st_mode);
        w->sum += eh * 0x9e3779b97f4a7c15ULL + (eh >> 29);
        w->n++;
        if (S_ISDIR(st.st_mode) && depth < SERVE_MAX_DEPTH &&
            !(st.st_dev == w->s->tmp_dev && st.st_ino == w->s->tmp_ino)) {
            int sub = openat(dirfd(dir), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0) S_walk(w, sub, h, depth + 1);
        }
    }
    closedir(dir);
}

/* The signature of what the site is built from: the commit that --ref (and
 * --as-of) resolve to; with --worktree, also a hash of the path, mtime, size
 * and mode of every file and folder of the working tree (.git excluded).
 * Empty when the repository cannot be read (the build then says why). */
static void S_signature(server *s, char *out, size_t size) {
    char commit[41] = "";
    diag *d = diag_new(0);
    arena *a = arena_new();
    repo *r = NULL;
    repo_commit c;
    if (d && a && repo_open(&r, s->opt.repo, 0, d) == 0 &&
        repo_resolve(r, a, s->opt.ref ? s->opt.ref : "HEAD", s->opt.as_of, &c, d) == 0)
        snprintf(commit, sizeof commit, "%s", c.id);
    repo_free(r);
    arena_free(a);
    diag_free(d);
    if (!s->opt.worktree || !s->workdir) {
        snprintf(out, size, "%s", commit);
        return;
    }
    walk w = {s, 0, 0};
    int fd = open(s->workdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) S_walk(&w, fd, 0xcbf29ce484222325ULL, 0);
    snprintf(out, size, "%s %016llx %zu", commit, (unsigned long long)w.sum, w.n);
}

/* The working tree of the repository, for --worktree. */
static void S_find_workdir(server *s) {
    diag *d = diag_new(0);
    repo *r = NULL;
    if (d && repo_open(&r, s->opt.repo, 1, d) == 0 && repo_workdir(r))
        s->workdir = strdup(repo_workdir(r));
    repo_free(r);
    diag_free(d);
}

/* ---- building ------------------------------------------------------------- */

/* Copies the build log to stderr; returns its first SERVE_MAX_ERRORS bytes
 * (malloc'd, NUL-terminated; NULL when out of memory). */
static char *S_drain_log(int fd) {
    strbuf kept = STRBUF_INIT;
    char buf[8192];
    ssize_t n;
    int cut = 0;
    lseek(fd, 0, SEEK_SET);
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        fwrite(buf, 1, (size_t)n, stderr);
        size_t room = kept.len < SERVE_MAX_ERRORS ? SERVE_MAX_ERRORS - kept.len : 0;
        sb_append(&kept, buf, (size_t)n < room ? (size_t)n : room);
        if ((size_t)n > room) cut = 1;
    }
    if (cut) sb_puts(&kept, "\n[... more in the terminal]\n");
    if (kept.oom) {
        sb_free(&kept);
        return NULL;
    }
    return kept.ptr ? kept.ptr : strdup("");
}

/* Builds the site into s->site with build_run(), stderr captured so that the
 * diagnostics can be both printed and kept for the error page. `sig` is the
 * signature of the source taken just before. Called before the server starts
 * or with the lock held. Returns build_run's status. */
static int S_build(server *s, const char *sig, int first) {
    double t0 = S_now();
    int status, captured = 0;
    fflush(stderr);
    int logfd = open(s->log, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int saved = logfd >= 0 ? fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3) : -1;
    if (saved >= 0 && dup2(logfd, STDERR_FILENO) >= 0) captured = 1;
    status = build_run(&s->opt);
    if (captured) {
        fflush(stderr);
        dup2(saved, STDERR_FILENO);
    }
    if (saved >= 0) close(saved);
    char *text = captured ? S_drain_log(logfd) : NULL;
    if (logfd >= 0) close(logfd);

    snprintf(s->built, sizeof s->built, "%s", sig);
    free(s->errors);
    s->errors = NULL;
    if (status == EXIT_OK) {
        s->failed = 0;
        free(text);
        if (!s->quiet)
            fprintf(stderr, "planpress: %s in %.2f s\n", first ? "built" : "rebuilt", S_now() - t0);
        return status;
    }
    s->failed = 1;
    if (!text || !*text) {
        free(text);
        text = malloc(64);
        if (text) snprintf(text, 64, "the build failed (exit status %d)\n", status);
    }
    s->errors = text;
    if (status == EXIT_CONTENT || !first)
        fputs("planpress: the build failed; pages show the errors until they are fixed\n", stderr);
    return status;
}

/* Rebuilds when the source changed since the last build. Lock held. */
static void S_refresh(server *s) {
    if (s->opt.worktree) {
        double now = S_now();
        if (now - s->last_check < SERVE_CHECK_INTERVAL) return;
        s->last_check = now;
    }
    char sig[sizeof s->built];
    S_signature(s, sig, sizeof sig);
    if (strcmp(sig, s->built) != 0) S_build(s, sig, 0);
    if (s->opt.worktree) s->last_check = S_now();
}

/* ---- URLs and files ------------------------------------------------------- */

static int S_hex(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* The site-relative path ("a/b/c", "" for the root) of a raw request path:
 * percent-decoded, split at '/', empty segments dropped. *slash is set when
 * the path ends with '/'. Returns 0, or -1 for a path that is refused: not
 * starting with '/', a bad escape, NUL, a control character, a backslash,
 * or a "." or ".." segment (decoding comes first, so "%2e%2e" is "..").
 * The query string was already cut off by libmicrohttpd. */
static int S_url_path(const char *raw, strbuf *out, int *slash) {
    if (raw[0] != '/') return -1;
    size_t n = strlen(raw), k = 0;
    char *dec = malloc(n + 1);
    if (!dec) return -1;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)raw[i];
        if (c == '%') {
            int hi = S_hex(raw[i + 1]), lo = hi < 0 ? -1 : S_hex(raw[i + 2]);
            if (hi < 0 || lo < 0) goto bad;
            c = hi * 16 + lo;
            i += 2;
        }
        if (c < 0x20 || c == 0x7f || c == '\\') goto bad;
        dec[k++] = (char)c;
    }
    *slash = k > 0 && dec[k - 1] == '/';
    for (size_t i = 0; i < k;) {
        size_t j = i;
        while (j < k && dec[j] != '/') j++;
        size_t len = j - i;
        if ((len == 1 && dec[i] == '.') || (len == 2 && dec[i] == '.' && dec[i + 1] == '.'))
            goto bad;
        if (len) {
            if (out->len) sb_putc(out, '/');
            sb_append(out, dec + i, len);
        }
        i = j + 1;
    }
    free(dec);
    return out->oom ? -1 : 0;
bad:
    free(dec);
    return -1;
}

/* The extension of the last segment of path ("" when none). */
static const char *S_ext(const char *path) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    return dot ? dot + 1 : "";
}

/* Is this a request for a page (the moment to check for changes)? An HTML
 * file, or a name without an extension (a folder, or a page not built yet). */
static int S_is_page(const char *path) {
    const char *ext = S_ext(path);
    return !*ext || !strcasecmp(ext, "html") || !strcasecmp(ext, "htm");
}

static const char *S_type(const char *path) {
    static const struct { const char *ext, *type; } types[] = {
        {"html", "text/html; charset=utf-8"},
        {"htm", "text/html; charset=utf-8"},
        {"css", "text/css; charset=utf-8"},
        {"js", "text/javascript; charset=utf-8"},
        {"mjs", "text/javascript; charset=utf-8"},
        {"json", "application/json; charset=utf-8"},
        {"map", "application/json; charset=utf-8"},
        {"xml", "application/xml; charset=utf-8"},
        {"txt", "text/plain; charset=utf-8"},
        {"csv", "text/csv; charset=utf-8"},
        {"svg", "image/svg+xml"},
        {"png", "image/png"},
        {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},
        {"gif", "image/gif"},
        {"webp", "image/webp"},
        {"ico", "image/x-icon"},
        {"woff2", "font/woff2"},
        {"woff", "font/woff"},
        {"pdf", "application/pdf"},
    };
    const char *ext = S_ext(path);
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (!strcasecmp(ext, types[i].ext)) return types[i].type;
    return "application/octet-stream";
}

/* Opens `rel` ("a/b/c.html") under the site folder one segment at a time,
 * never following a symbolic link, so nothing outside the folder can be
 * reached. Returns a descriptor of a regular file or a folder, with *st
 * filled, or -1. */
static int S_open(const server *s, const char *rel, struct stat *st) {
    int dir = open(s->site, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return -1;
    const char *p = rel;
    const char *slash;
    while ((slash = strchr(p, '/'))) {
        char seg[NAME_MAX + 1];
        size_t len = (size_t)(slash - p);
        if (len > NAME_MAX) {
            close(dir);
            return -1;
        }
        memcpy(seg, p, len);
        seg[len] = '\0';
        int next = openat(dir, seg, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        close(dir);
        if (next < 0) return -1;
        dir = next;
        p = slash + 1;
    }
    int fd = dir;
    if (*p) {
        fd = openat(dir, p, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        close(dir);
        if (fd < 0) return -1;
    }
    if (fstat(fd, st) < 0 || !(S_ISREG(st->st_mode) || S_ISDIR(st->st_mode))) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Percent-encodes all but unreserved characters and '/' (for a Location). */
static void S_url_escape(strbuf *out, const char *s, size_t n) {
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            (c && strchr("-._~/", c))) {
            sb_putc(out, (char)c);
        } else {
            sb_putc(out, '%');
            sb_putc(out, hex[c >> 4]);
            sb_putc(out, hex[c & 15]);
        }
    }
}

/* ---- responses ------------------------------------------------------------ */

static enum MHD_Result S_send(struct MHD_Connection *c, unsigned code, struct MHD_Response *r,
                              const char *type) {
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    enum MHD_Result ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result S_text(struct MHD_Connection *c, unsigned code, const char *text) {
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
    return S_send(c, code, r, "text/plain; charset=utf-8");
}

/* Sends the open file `fd` (which the response then owns). */
static enum MHD_Result S_file(struct MHD_Connection *c, unsigned code, int fd,
                              const struct stat *st, const char *type) {
    struct MHD_Response *r;
    if (st->st_size > 0) {
        r = MHD_create_response_from_fd((size_t)st->st_size, fd);
        if (!r) close(fd);
    } else {
        close(fd);
        r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    }
    return S_send(c, code, r, type);
}

/* 404, with the site's 404.html when it has one. */
static enum MHD_Result S_not_found(const server *s, struct MHD_Connection *c) {
    struct stat st;
    int fd = S_open(s, "404.html", &st);
    if (fd >= 0 && S_ISREG(st.st_mode)) return S_file(c, 404, fd, &st, "text/html; charset=utf-8");
    if (fd >= 0) close(fd);
    return S_text(c, 404, "404 not found\n");
}

/* 500 with the failed build's diagnostics, escaped. */
static enum MHD_Result S_error_page(struct MHD_Connection *c, const char *errors) {
    strbuf b = STRBUF_INIT;
    sb_puts(&b,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>planpress: the site did not build</title>\n"
            "<style>body{font:16px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;"
            "padding:0 1rem;color:#1a1a1a}pre{white-space:pre-wrap;overflow-wrap:anywhere;"
            "background:#fdf2f2;border-left:4px solid #b00020;padding:1rem;font-size:14px}"
            "</style>\n</head>\n<body>\n<h1>The site did not build</h1>\n"
            "<p>Fix the errors below, save, and reload this page. Until then every page "
            "shows this list.</p>\n<pre>");
    html_escape_str(&b, errors);
    sb_puts(&b, "</pre>\n</body>\n</html>\n");
    if (b.oom) {
        sb_free(&b);
        return MHD_NO;
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(b.len, b.ptr, MHD_RESPMEM_MUST_COPY);
    sb_free(&b);
    return S_send(c, 500, r, "text/html; charset=utf-8");
}

/* Appends the request's query string (raw, as received) to a Location. */
static enum MHD_Result S_query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value) {
    strbuf *loc = cls;
    sb_putc(loc, strchr(sb_str(loc), '?') ? '&' : '?');
    for (int part = 0; part < 2; part++) {
        const char *p = part ? value : key;
        if (!p) break;
        if (part) sb_putc(loc, '=');
        for (; *p; p++) {
            unsigned char ch = (unsigned char)*p;
            if (ch > 0x20 && ch < 0x7f && ch != '#' && ch != '&' && ch != '=')
                sb_putc(loc, (char)ch);
            else
                sb_printf(loc, "%%%02X", ch);
        }
    }
    return MHD_YES;
}

/* 301 from a folder "/x" to "/x/", query string kept. */
static enum MHD_Result S_redirect(struct MHD_Connection *c, const char *rel) {
    strbuf loc = STRBUF_INIT;
    sb_putc(&loc, '/');
    S_url_escape(&loc, rel, strlen(rel));
    sb_putc(&loc, '/');
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, S_query_arg, &loc);
    static const char body[] = "301 moved permanently\n";
    struct MHD_Response *r = NULL;
    if (!loc.oom) {
        r = MHD_create_response_from_buffer(sizeof body - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
        if (r) MHD_add_response_header(r, "Location", sb_str(&loc));
    }
    sb_free(&loc);
    return S_send(c, 301, r, "text/plain; charset=utf-8");
}

/* Is the Host header one of this machine's loopback names? A page on another
 * site could otherwise reach the server through a name of its own that it
 * points at 127.0.0.1 (DNS rebinding). The port is not compared, so that
 * tunnels and port forwarding keep working; no Host (HTTP/1.0) is allowed. */
static int S_host_ok(struct MHD_Connection *c) {
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    if (!host) return 1;
    size_t n;
    if (host[0] == '[') {
        const char *end = strchr(host, ']');
        if (!end) return 0;
        n = (size_t)(end - host) + 1;
    } else {
        n = strcspn(host, ":");
    }
    if (host[n] && (host[n] != ':' || strspn(host + n + 1, "0123456789") != strlen(host + n + 1)))
        return 0;
    static const char *const names[] = {"127.0.0.1", "localhost", "[::1]"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == n && !strncasecmp(host, names[i], n)) return 1;
    return 0;
}

/* libmicrohttpd's handler: one call per request. */
static enum MHD_Result S_request(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version,
                                 const char *upload_data, size_t *upload_data_size,
                                 void **con_cls) {
    server *s = cls;
    if (!S_host_ok(c))
        return S_text(c, 403, "403 forbidden: this server answers to localhost only\n");
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        static const char body[] = "405 method not allowed: GET and HEAD only\n";
        struct MHD_Response *r =
            MHD_create_response_from_buffer(sizeof body - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
        if (r) MHD_add_response_header(r, "Allow", "GET, HEAD");
        return S_send(c, 405, r, "text/plain; charset=utf-8");
    }
    /* Answer on the second call, once the request has been read whole, so
     * that the connection can be kept alive; a body sent with GET is dropped. */
    static int seen;
    if (!*con_cls) {
        *con_cls = &seen;
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    strbuf rel = STRBUF_INIT;
    int slash = 0;
    if (S_url_path(url, &rel, &slash) < 0) {
        sb_free(&rel);
        return S_text(c, 400, "400 bad request\n");
    }
    if (slash || rel.len == 0) sb_puts(&rel, rel.len ? "/index.html" : "index.html");
    if (rel.oom) {
        sb_free(&rel);
        return MHD_NO;
    }
    const char *path = sb_str(&rel);
    enum MHD_Result ret;

    if (S_is_page(path)) {
        char *errors = NULL;
        int failed;
        pthread_mutex_lock(&s->lock);
        S_refresh(s);
        failed = s->failed;
        if (failed) errors = strdup(s->errors ? s->errors : "the build failed\n");
        pthread_mutex_unlock(&s->lock);
        if (failed) {
            ret = errors ? S_error_page(c, errors) : MHD_NO;
            free(errors);
            sb_free(&rel);
            return ret;
        }
    }

    struct stat st;
    int fd = S_open(s, path, &st);
    if (fd < 0) {
        ret = S_not_found(s, c);
    } else if (S_ISDIR(st.st_mode)) {
        close(fd);
        ret = slash ? S_not_found(s, c) : S_redirect(c, path);
    } else {
        ret = S_file(c, 200, fd, &st, S_type(path));
    }
    sb_free(&rel);
    return ret;
}

/* Leaves escapes alone: S_url_path decodes the path itself, so that %00 and
 * %2e%2e are seen and refused rather than decoded behind its back. */
static size_t S_keep_escapes(void *cls, struct MHD_Connection *c, char *s) {
    return strlen(s);
}

/* ---- the server ----------------------------------------------------------- */

/* A listening socket on 127.0.0.1 (never any other address). Returns it
 * with *bound set to its port, or -1 after a message. */
static int S_listen(int port, int *bound) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fprintf(stderr, "planpress: cannot create a socket: %s\n", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 64) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
        fprintf(stderr, "planpress: cannot listen on 127.0.0.1:%d: %s\n", port, strerror(errno));
        close(fd);
        return -1;
    }
    *bound = ntohs(a.sin_port);
    return fd;
}

static int S_remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
    remove(path);
    return 0;
}

/* Removes the private folder and everything in it (links are not followed). */
static void S_remove_tree(const char *path) {
    nftw(path, S_remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* Makes the private folder under $TMPDIR (or /tmp). Returns 0, or -1 after
 * a message. */
static int S_make_tmp(server *s) {
    const char *base = getenv("TMPDIR");
    if (!base || !*base) base = "/tmp";
    if ((size_t)snprintf(s->tmp, sizeof s->tmp, "%s/planpress-serve-XXXXXX", base) >=
            sizeof s->tmp ||
        !mkdtemp(s->tmp)) {
        fprintf(stderr, "planpress: cannot make a temporary folder in %s: %s\n", base,
                strerror(errno));
        s->tmp[0] = '\0';
        return -1;
    }
    struct stat st;
    if (stat(s->tmp, &st) == 0) {
        s->tmp_dev = st.st_dev;
        s->tmp_ino = st.st_ino;
    }
    snprintf(s->site, sizeof s->site, "%s/site", s->tmp);
    snprintf(s->log, sizeof s->log, "%s/build.log", s->tmp);
    return 0;
}

int serve_run(const build_options *opt, int port) {
    server s;
    memset(&s, 0, sizeof s);
    pthread_mutex_init(&s.lock, NULL);
    s.opt = *opt;
    s.opt.check_only = 0;
    s.opt.quiet = 1;
    s.quiet = opt->quiet;
    int status = EXIT_IO, lfd = -1;
    struct MHD_Daemon *daemon = NULL;

    /* Signals are taken by sigwait() below, in this thread only: every thread
     * started from here on (builds, the server) inherits the blocked mask. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    if ((lfd = S_listen(port, &port)) < 0) goto done;
    if (S_make_tmp(&s) < 0) goto done;
    s.opt.out = s.site;

    if (s.opt.worktree) S_find_workdir(&s);
    char sig[sizeof s.built];
    S_signature(&s, sig, sizeof sig);
    int rc = S_build(&s, sig, 1);
    if (rc != EXIT_OK && rc != EXIT_CONTENT) {
        status = rc;
        goto done;
    }
    s.last_check = S_now();

    daemon = MHD_start_daemon(MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD |
                                  MHD_USE_THREAD_PER_CONNECTION,
                              0, NULL, NULL, S_request, &s,
                              MHD_OPTION_LISTEN_SOCKET, lfd,
                              MHD_OPTION_CONNECTION_LIMIT, (unsigned int)64,
                              MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)60,
                              MHD_OPTION_UNESCAPE_CALLBACK, S_keep_escapes, NULL,
                              MHD_OPTION_END);
    if (!daemon) {
        fprintf(stderr, "planpress: cannot start the server on 127.0.0.1:%d\n", port);
        goto done;
    }
    lfd = -1; /* the daemon owns it now */
    fprintf(stderr, "planpress: serving http://127.0.0.1:%d/ (Ctrl-C to stop)\n", port);
    fflush(stderr);

    int got = 0;
    while (sigwait(&stop, &got) != 0) {
    }
    status = EXIT_OK;

done:
    if (daemon) MHD_stop_daemon(daemon);
    if (lfd >= 0) close(lfd);
    if (s.tmp[0]) S_remove_tree(s.tmp);
    free(s.errors);
    free(s.workdir);
    pthread_mutex_destroy(&s.lock);
    return status;
}
