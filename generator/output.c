/* output.c — staging folder, safe paths, atomic swap. */
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "strbuf.h"

struct output {
    char *dir;      /* the final folder */
    char *stage;    /* the staging folder */
    atomic_size_t bytes, files;
};

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

int output_begin(output **out, const char *dir, diag *d) {
    *out = NULL;
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--;
    char *final = strndup(dir, n);
    struct stat st;
    if (lstat(final, &st) == 0 && !S_ISDIR(st.st_mode)) {
        diag_error(d, NULL, 0, 0, "--out %s exists and is not a folder", final);
        free(final);
        return -1;
    }
    /* ".public.tmp-XXXXXX" in the same parent, so that rename stays on one
     * file system. */
    const char *slash = strrchr(final, '/');
    strbuf st_path = STRBUF_INIT;
    if (slash) {
        sb_append(&st_path, final, (size_t)(slash - final) + 1);
        sb_printf(&st_path, ".%s.tmp-XXXXXX", slash + 1);
    } else {
        sb_printf(&st_path, ".%s.tmp-XXXXXX", final);
    }
    if (st_path.oom || !mkdtemp(st_path.ptr)) {
        diag_error(d, NULL, 0, 0, "cannot create a folder beside %s: %s", final, strerror(errno));
        sb_free(&st_path);
        free(final);
        return -1;
    }
    chmod(st_path.ptr, 0755);
    output *o = calloc(1, sizeof *o);
    o->dir = final;
    o->stage = st_path.ptr;
    *out = o;
    return 0;
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
    diag_error(d, NULL, 0, 0, "cannot write %s: %s", sb_str(&p), strerror(errno));
done:
    if (fd >= 0) close(fd);
    sb_free(&p);
    return rc;
}

static int S_rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)ftw;
    if (flag == FTW_DP) rmdir(path);
    else unlink(path);
    return 0;
}

static void S_rm_rf(const char *path) { nftw(path, S_rm_cb, 32, FTW_DEPTH | FTW_PHYS); }

static void S_free(output *o) {
    free(o->dir);
    free(o->stage);
    free(o);
}

int output_commit(output *o, diag *d) {
    struct stat st;
    int rc = 0;
    if (lstat(o->dir, &st) == 0) {
        if (renameat2(AT_FDCWD, o->stage, AT_FDCWD, o->dir, RENAME_EXCHANGE) < 0) {
            diag_error(d, NULL, 0, 0, "cannot replace %s: %s", o->dir, strerror(errno));
            S_rm_rf(o->stage);
            rc = -1;
        } else {
            S_rm_rf(o->stage); /* now the previous output */
        }
    } else if (rename(o->stage, o->dir) < 0) {
        diag_error(d, NULL, 0, 0, "cannot create %s: %s", o->dir, strerror(errno));
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
