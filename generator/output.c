/* output.c — staging folder, safe paths, atomic swap; what may be replaced,
 * and one build at a time per output folder. */
#include "output.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "strbuf.h"

struct output {
    char *dir;      /* the final folder */
    char *stage;    /* the staging folder */
    int lock;       /* the lock file beside it, locked (flock) */
    atomic_size_t bytes, files;
};

static const char S_marker_text[] =
    "This folder is a site built by planpress. The next build with --out this folder\n"
    "replaces it whole; planpress replaces no folder without this file (docs/architecture.md).\n";

int output_path_ok(const char *p) {
    if (!p || !*p || *p == '/') return 0;
    const char *seg = p;
    for (;;) {
        const char *slash = strchr(seg, '/');
        size_t n = slash ? (size_t)(slash - seg) : strlen(seg);
        if (n == 0) return 0;
        if (n == 1 && seg[0] == '.') return 0;
        if (n == 2 && seg[0] == '.' && seg[1] == '.') return 0;
        for (size_t i = 0; i < n; i++)
            if (seg[i] == '\\' || (unsigned char)seg[i] < 0x20) return 0;
        if (!slash) return 1;
        seg = slash + 1;
    }
}

char *output_resolve(const char *dir) {
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--;
    char *d = strndup(dir, n);
    if (!d) return NULL;
    char *slash = strrchr(d, '/');
    const char *base = slash ? slash + 1 : d;
    char *out = NULL;
    if (!strcmp(base, ".") || !strcmp(base, "..") || !strcmp(d, "/")) {
        out = realpath(d, NULL);
    } else {
        if (slash == d) slash[1] = '\0';
        else if (slash) *slash = '\0';
        char *parent = realpath(slash ? d : ".", NULL);
        if (parent) {
            size_t pl = strlen(parent), bl = strlen(base);
            out = malloc(pl + bl + 2);
            if (out) {
                memcpy(out, parent, pl);
                size_t k = pl;
                if (k == 0 || out[k - 1] != '/') out[k++] = '/';
                memcpy(out + k, base, bl + 1);
            }
            free(parent);
        }
    }
    free(d);
    return out;
}

static int S_rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)ftw;
    if (flag == FTW_DP) rmdir(path);
    else unlink(path);
    return 0;
}

static void S_rm_rf(const char *path) { nftw(path, S_rm_cb, 32, FTW_DEPTH | FTW_PHYS); }

/* Did planpress write this folder? It holds the marker; or it is an output
 * of a version before the marker: a data/site.json that opens, as planpress
 * writes it, with the site's "site" object and then its "build" object with
 * the commit's id (within its first 64 KB). */
static int S_is_output(const char *dir) {
    char p[PATH_MAX];
    struct stat st;
    snprintf(p, sizeof p, "%s/" OUTPUT_MARKER, dir);
    if (lstat(p, &st) == 0 && S_ISREG(st.st_mode)) return 1;
    snprintf(p, sizeof p, "%s/data/site.json", dir);
    int fd = open(p, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return 0;
    static const char open_[] = "{\n  \"site\": {\n", build[] = "\n  \"build\": {\n    \"commit\": \"";
    char *buf = malloc(65536 + 1);
    ssize_t k = buf && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? read(fd, buf, 65536) : -1;
    close(fd);
    int is = 0;
    if (k > 0) {
        buf[k] = '\0';
        char *b = strstr(buf, build);
        is = strncmp(buf, open_, sizeof open_ - 1) == 0 && b;
        for (int i = 0; is && i < 40; i++) {
            char c = b[sizeof build - 1 + i];
            is = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        }
    }
    free(buf);
    return is;
}

static int S_is_empty(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    int empty = 1;
    while (empty && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) empty = 0;
    closedir(d);
    return empty;
}

/* Removes the staging folders ".NAME.tmp-XXXXXX" that builds killed before
 * the end left in `parent` (the caller holds the lock: no build that is
 * running owns one). */
static void S_remove_stale(const char *parent, const char *name) {
    DIR *d = opendir(parent);
    if (!d) return;
    size_t nl = strlen(name);
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *n = e->d_name;
        if (n[0] != '.' || strncmp(n + 1, name, nl) != 0 || strncmp(n + 1 + nl, ".tmp-", 5) != 0 ||
            strlen(n + 1 + nl + 5) != 6)
            continue;
        char p[PATH_MAX];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", parent, n);
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) S_rm_rf(p);
    }
    closedir(d);
}

int output_begin(output **out, const char *dir, diag *d) {
    *out = NULL;
    char *final = output_resolve(dir);
    if (!final) {
        diag_fail(d, NULL, 0, 0, "--out %s: %s", dir, strerror(errno));
        return -1;
    }
    char *slash = strrchr(final, '/');
    const char *name = slash + 1;
    char *parent = slash == final ? strdup("/") : strndup(final, (size_t)(slash - final));
    strbuf st_path = STRBUF_INIT, lock_path = STRBUF_INIT;
    output *o = calloc(1, sizeof *o);
    int lock = -1;
    if (!parent || !o || !*name) {
        diag_fail(d, NULL, 0, 0, "--out %s: %s", dir, *name ? "out of memory" : "not a folder to replace");
        goto fail;
    }
    /* One build at a time into one folder: ".NAME.lock" beside it, locked
     * while the build runs (the kernel lets go when the process ends, even
     * by kill -9). */
    sb_printf(&lock_path, "%s/.%s.lock", strcmp(parent, "/") ? parent : "", name);
    lock = lock_path.oom ? -1 : open(lock_path.ptr, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (lock < 0) {
        diag_fail(d, NULL, 0, 0, "cannot create the lock file %s: %s", sb_str(&lock_path), strerror(errno));
        goto fail;
    }
    if (flock(lock, LOCK_EX | LOCK_NB) < 0) {
        if (errno == EWOULDBLOCK)
            diag_fail(d, NULL, 0, 0, "another build is writing %s (it holds %s); try again when it is done",
                      dir, sb_str(&lock_path));
        else
            diag_fail(d, NULL, 0, 0, "cannot lock %s: %s", sb_str(&lock_path), strerror(errno));
        goto fail;
    }
    struct stat st;
    if (lstat(final, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            diag_fail(d, NULL, 0, 0, "--out %s exists and is not a folder: refusing to replace it", dir);
            goto fail;
        }
        if (!S_is_output(final) && !S_is_empty(final)) {
            diag_fail(d, NULL, 0, 0,
                      "--out %s is a folder that planpress did not write (it has no " OUTPUT_MARKER
                      ") and is not empty: refusing to replace it; remove it or choose another folder",
                      dir);
            goto fail;
        }
    }
    S_remove_stale(parent, name);
    /* ".public.tmp-XXXXXX" in the same parent, so that rename stays on one
     * file system. */
    sb_printf(&st_path, "%s/.%s.tmp-XXXXXX", strcmp(parent, "/") ? parent : "", name);
    if (st_path.oom || !mkdtemp(st_path.ptr)) {
        diag_fail(d, NULL, 0, 0, "cannot create a folder beside %s: %s", dir, strerror(errno));
        goto fail;
    }
    chmod(st_path.ptr, 0755);
    o->dir = final;
    o->stage = st_path.ptr;
    o->lock = lock;
    free(parent);
    sb_free(&lock_path);
    if (output_write(o, OUTPUT_MARKER, S_marker_text, sizeof S_marker_text - 1, d) < 0) {
        output_abort(o);
        return -1;
    }
    /* (the marker is not counted among the site's files) */
    atomic_store(&o->bytes, 0);
    atomic_store(&o->files, 0);
    *out = o;
    return 0;
fail:
    if (lock >= 0) close(lock);
    sb_free(&st_path);
    sb_free(&lock_path);
    free(parent);
    free(final);
    free(o);
    return -1;
}

/* The folder this thread made last: pages come in runs that share one. */
static __thread char S_last_dir[1024];

/* Makes the folder path[0..len) and, when missing, its parents down to
 * path[0..base_len) (which exists). One mkdir for a folder whose parent is
 * there already, as for almost every page: parents are made only on ENOENT. */
static int S_mkdir_len(char *path, size_t len, size_t base_len) {
    if (len <= base_len) return 0;
    char c = path[len];
    path[len] = '\0';
    int rc = mkdir(path, 0755);
    int err = errno;
    path[len] = c;
    if (rc == 0 || err == EEXIST) return 0;
    if (err != ENOENT) return -1;
    size_t up = len;
    while (up > base_len && path[up - 1] != '/') up--;
    if (up <= base_len + 1 || S_mkdir_len(path, up - 1, base_len) < 0) return -1;
    path[len] = '\0';
    rc = mkdir(path, 0755);
    err = errno;
    path[len] = c;
    if (rc < 0 && err != EEXIST) {
        errno = err;
        return -1;
    }
    return 0;
}

static int S_mkdirs(char *path, size_t base_len) {
    char *slash = strrchr(path, '/');
    size_t dl = slash ? (size_t)(slash - path) : 0;
    if (dl < sizeof S_last_dir && strncmp(S_last_dir, path, dl) == 0 && S_last_dir[dl] == '\0')
        return 0;
    if (S_mkdir_len(path, dl, base_len) < 0) return -1;
    if (dl < sizeof S_last_dir) {
        memcpy(S_last_dir, path, dl);
        S_last_dir[dl] = '\0';
    }
    return 0;
}

int output_write(output *o, const char *relpath, const char *data, size_t len, diag *d) {
    if (!output_path_ok(relpath)) {
        diag_error(d, NULL, 0, 0, "refusing to write outside the output folder: \"%s\"", relpath);
        return -1;
    }
    strbuf p = STRBUF_INIT;
    sb_puts(&p, o->stage);
    size_t base = p.len;
    sb_putc(&p, '/');
    sb_puts(&p, relpath);
    int rc = -1, fd = -1;
    if (p.oom || S_mkdirs(p.ptr, base) < 0) goto fail;
    fd = open(p.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) goto fail;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            goto fail;
        }
        off += (size_t)w;
    }
    if (close(fd) < 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    atomic_fetch_add(&o->bytes, len);
    atomic_fetch_add(&o->files, 1);
    rc = 0;
    goto done;
fail:
    diag_fail(d, NULL, 0, 0, "cannot write %s: %s", sb_str(&p), strerror(errno));
done:
    if (fd >= 0) close(fd);
    sb_free(&p);
    return rc;
}

static void S_free(output *o) {
    if (o->lock >= 0) close(o->lock); /* the lock goes with it */
    free(o->dir);
    free(o->stage);
    free(o);
}

int output_commit(output *o, diag *d) {
    struct stat st;
    int rc = 0;
    if (lstat(o->dir, &st) == 0) {
        if (renameat2(AT_FDCWD, o->stage, AT_FDCWD, o->dir, RENAME_EXCHANGE) < 0) {
            diag_fail(d, NULL, 0, 0, "cannot replace %s: %s", o->dir, strerror(errno));
            S_rm_rf(o->stage);
            rc = -1;
        } else {
            S_rm_rf(o->stage); /* now the previous output */
        }
    } else if (rename(o->stage, o->dir) < 0) {
        diag_fail(d, NULL, 0, 0, "cannot create %s: %s", o->dir, strerror(errno));
        S_rm_rf(o->stage);
        rc = -1;
    }
    S_free(o);
    return rc;
}

void output_abort(output *o) {
    if (!o) return;
    S_rm_rf(o->stage);
    S_free(o);
}

size_t output_bytes(const output *o) { return atomic_load(&o->bytes); }
size_t output_files(const output *o) { return atomic_load(&o->files); }
