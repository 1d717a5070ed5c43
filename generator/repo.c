/* repo.c — libgit2: discovery, revisions, trees and blobs; and the working
 * tree for --worktree previews. */
#include "repo.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <git2/sys/odb_backend.h>
#include <git2/sys/repository.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "strbuf.h"
#include "text.h"

struct repo {
    git_repository *git;
    char *path;       /* what repo_open_again reopens */
    int worktree;
};

static void S_git_error(diag *d, const char *what) {
    const git_error *e = git_error_last();
    diag_fail(d, NULL, 0, 0, "%s: %s", what, e && e->message ? e->message : "unknown error");
}

/* ---- loose objects, read by planpress ----------------------------------- */

/* libgit2 1.5 loops for ever in zlib's inflate on a truncated loose object
 * (libgit2 #7342, fixed upstream by #7346 after 1.8; Debian 12 ships 1.5).
 * So every handle's object database is put together here: libgit2's pack
 * reader, and instead of its loose reader this one, which reads the file
 * whole and inflates it in bounded steps (all the input given at once, into
 * a buffer of the size the header declares, stopping when a step makes no
 * progress): a truncated, overlong or corrupt object is an error that names
 * it, never a loop. libgit2 then checks the bytes against the id (its
 * strict hash verification, on by default). Alternates (objects/info/
 * alternates) get the same pair of readers. See docs/history.md. */

/* Loose objects larger than this (compressed or not) are refused. */
#define LOOSE_MAX_SIZE (1u << 30)

typedef struct loose_reader {
    git_odb_backend parent;
    char *dir; /* the objects folder, with a trailing '/' */
} loose_reader;

static int S_loose_error(const git_oid *id, const char *why) {
    char hex[GIT_OID_HEXSZ + 1], msg[200];
    git_oid_tostr(hex, sizeof hex, id);
    snprintf(msg, sizeof msg, "object %s is corrupt (%s)", hex, why);
    git_error_set_str(GIT_ERROR_ODB, msg);
    return -1;
}

static void S_loose_path(const loose_reader *lr, const char *hex, char *out, size_t size) {
    snprintf(out, size, "%s%.2s/%s", lr->dir, hex, hex + 2);
}

/* The loose file of `id` whole into *buf (malloc'd). GIT_ENOTFOUND when
 * there is none. */
static int S_loose_file(loose_reader *lr, const git_oid *id, unsigned char **buf, size_t *n) {
    char hex[GIT_OID_HEXSZ + 1], path[PATH_MAX];
    git_oid_tostr(hex, sizeof hex, id);
    S_loose_path(lr, hex, path, sizeof path);
    *buf = NULL;
    *n = 0;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR) return GIT_ENOTFOUND;
        char msg[PATH_MAX + 64];
        snprintf(msg, sizeof msg, "cannot open %s: %s", path, strerror(errno));
        git_error_set_str(GIT_ERROR_OS, msg);
        return -1;
    }
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        rc = S_loose_error(id, "not a regular file");
    } else if ((unsigned long long)st.st_size > LOOSE_MAX_SIZE) {
        rc = S_loose_error(id, "too large");
    } else if (!(*buf = malloc((size_t)st.st_size + 1))) {
        git_error_set_oom();
        rc = -1;
    } else {
        size_t want = (size_t)st.st_size;
        while (*n < want) {
            ssize_t k = read(fd, *buf + *n, want - *n);
            if (k < 0 && errno == EINTR) continue;
            if (k <= 0) break;
            *n += (size_t)k;
        }
        if (*n < want) {
            char msg[PATH_MAX + 64];
            snprintf(msg, sizeof msg, "cannot read %s: %s", path, strerror(errno ? errno : EIO));
            git_error_set_str(GIT_ERROR_OS, msg);
            rc = -1;
        }
    }
    close(fd);
    if (rc < 0) {
        free(*buf);
        *buf = NULL;
    }
    return rc;
}

static int S_loose_type(const char *name, size_t n, git_object_t *type) {
    static const struct { const char *name; git_object_t type; } types[] = {
        {"blob", GIT_OBJECT_BLOB}, {"tree", GIT_OBJECT_TREE},
        {"commit", GIT_OBJECT_COMMIT}, {"tag", GIT_OBJECT_TAG}};
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        if (strlen(types[i].name) == n && memcmp(types[i].name, name, n) == 0) {
            *type = types[i].type;
            return 0;
        }
    return -1;
}

static int S_loose_read(void **data, size_t *len, git_object_t *type, git_odb_backend *b,
                        const git_oid *id) {
    loose_reader *lr = (loose_reader *)b;
    unsigned char *in = NULL, *body = NULL;
    size_t n = 0;
    *data = NULL;
    *len = 0;
    int rc = S_loose_file(lr, id, &in, &n);
    if (rc) return rc;
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit(&z) != Z_OK) {
        free(in);
        git_error_set_oom();
        return -1;
    }
    z.next_in = in;
    z.avail_in = (uInt)n;
    /* The header, "TYPE SIZE\0", is at most 28 bytes. */
    unsigned char head[64];
    z.next_out = head;
    z.avail_out = sizeof head;
    int zr = inflate(&z, Z_SYNC_FLUSH);
    size_t have = sizeof head - z.avail_out;
    unsigned char *nul = memchr(head, '\0', have);
    const char *why = NULL;
    size_t size = 0;
    if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) {
        why = z.msg ? z.msg : "not a zlib stream";
    } else if (!nul) {
        why = have < sizeof head ? "truncated" : "bad header";
    } else {
        const unsigned char *sp = memchr(head, ' ', (size_t)(nul - head));
        const unsigned char *p = sp ? sp + 1 : nul;
        if (!sp || S_loose_type((const char *)head, (size_t)(sp - head), type) < 0 || p == nul)
            why = "bad header";
        for (; !why && p < nul; p++) {
            if (*p < '0' || *p > '9' || size > LOOSE_MAX_SIZE) why = "bad header";
            else size = size * 10 + (size_t)(*p - '0');
        }
        if (!why && size > LOOSE_MAX_SIZE) why = "too large";
    }
    if (!why) {
        /* One byte of room more than declared, to see an overlong body. */
        body = git_odb_backend_data_alloc(b, size + 1);
        if (!body) {
            inflateEnd(&z);
            free(in);
            git_error_set_oom();
            return -1;
        }
        size_t got = have - (size_t)(nul + 1 - head);
        if (got > size) why = "longer than its header says";
        else memcpy(body, nul + 1, got);
        z.next_out = body + got;
        z.avail_out = (uInt)(size + 1 - got);
        while (!why && zr != Z_STREAM_END) {
            uInt in_before = z.avail_in, out_before = z.avail_out;
            zr = inflate(&z, Z_FINISH);
            if (zr == Z_STREAM_END) break;
            if (zr != Z_OK && zr != Z_BUF_ERROR) why = z.msg ? z.msg : "bad zlib stream";
            else if (z.avail_in == in_before && z.avail_out == out_before)
                why = z.avail_in == 0 ? "truncated" : "longer than its header says";
        }
        if (!why && z.avail_out != 1) why = z.avail_out ? "shorter than its header says"
                                                         : "longer than its header says";
    }
    inflateEnd(&z);
    free(in);
    if (why) {
        if (body) git_odb_backend_data_free(b, body);
        return S_loose_error(id, why);
    }
    body[size] = '\0';
    *data = body;
    *len = size;
    return 0;
}

static int S_loose_read_header(size_t *len, git_object_t *type, git_odb_backend *b,
                               const git_oid *id) {
    void *data = NULL;
    int rc = S_loose_read(&data, len, type, b, id);
    if (rc == 0) git_odb_backend_data_free(b, data);
    return rc;
}

static int S_loose_exists(git_odb_backend *b, const git_oid *id) {
    char hex[GIT_OID_HEXSZ + 1], path[PATH_MAX];
    git_oid_tostr(hex, sizeof hex, id);
    S_loose_path((loose_reader *)b, hex, path, sizeof path);
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The one loose object whose id starts with the first `len` hex digits of
 * `prefix`, into *out. */
static int S_loose_find(git_oid *out, loose_reader *lr, const git_oid *prefix, size_t len) {
    char hex[GIT_OID_HEXSZ + 1], path[PATH_MAX];
    git_oid_tostr(hex, sizeof hex, prefix);
    if (len >= GIT_OID_HEXSZ) {
        git_oid_cpy(out, prefix);
        return S_loose_exists(&lr->parent, prefix) ? 0 : GIT_ENOTFOUND;
    }
    if (len < 2) return GIT_ENOTFOUND;
    snprintf(path, sizeof path, "%s%.2s", lr->dir, hex);
    DIR *dir = opendir(path);
    if (!dir) return GIT_ENOTFOUND;
    int found = 0;
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (strlen(e->d_name) != GIT_OID_HEXSZ - 2 || strncmp(e->d_name, hex + 2, len - 2) != 0)
            continue;
        char full[GIT_OID_HEXSZ + 1];
        memcpy(full, hex, 2);
        memcpy(full + 2, e->d_name, GIT_OID_HEXSZ - 2);
        full[GIT_OID_HEXSZ] = '\0';
        git_oid id;
        if (git_oid_fromstr(&id, full) < 0) continue;
        if (found && !git_oid_equal(&id, out)) {
            closedir(dir);
            git_error_set_str(GIT_ERROR_ODB, "ambiguous object id prefix");
            return GIT_EAMBIGUOUS;
        }
        git_oid_cpy(out, &id);
        found = 1;
    }
    closedir(dir);
    return found ? 0 : GIT_ENOTFOUND;
}

static int S_loose_read_prefix(git_oid *out, void **data, size_t *len, git_object_t *type,
                               git_odb_backend *b, const git_oid *prefix, size_t plen) {
    int rc = S_loose_find(out, (loose_reader *)b, prefix, plen);
    return rc ? rc : S_loose_read(data, len, type, b, out);
}

static int S_loose_exists_prefix(git_oid *out, git_odb_backend *b, const git_oid *prefix,
                                 size_t plen) {
    return S_loose_find(out, (loose_reader *)b, prefix, plen);
}

static void S_loose_free(git_odb_backend *b) {
    loose_reader *lr = (loose_reader *)b;
    free(lr->dir);
    free(lr);
}

/* The loose and pack readers of the objects folder `dir`, and of its
 * alternates (as libgit2 does: relative to `dir`, at most 5 deep). */
static int S_odb_add(git_odb *odb, const char *dir, int alternate, int depth) {
    loose_reader *lr = calloc(1, sizeof *lr);
    size_t dl = strlen(dir);
    if (!lr || !(lr->dir = malloc(dl + 2))) {
        free(lr);
        git_error_set_oom();
        return -1;
    }
    memcpy(lr->dir, dir, dl + 1);
    if (dl == 0 || dir[dl - 1] != '/') memcpy(lr->dir + dl, "/", 2);
    lr->parent.version = GIT_ODB_BACKEND_VERSION;
    lr->parent.read = S_loose_read;
    lr->parent.read_prefix = S_loose_read_prefix;
    lr->parent.read_header = S_loose_read_header;
    lr->parent.exists = S_loose_exists;
    lr->parent.exists_prefix = S_loose_exists_prefix;
    lr->parent.free = S_loose_free;
    int rc = alternate ? git_odb_add_alternate(odb, &lr->parent, 1) : git_odb_add_backend(odb, &lr->parent, 1);
    if (rc < 0) {
        S_loose_free(&lr->parent);
        return -1;
    }
    git_odb_backend *pack = NULL;
    if (git_odb_backend_pack(&pack, dir) < 0) return -1;
    rc = alternate ? git_odb_add_alternate(odb, pack, 2) : git_odb_add_backend(odb, pack, 2);
    if (rc < 0) {
        pack->free(pack);
        return -1;
    }
    if (depth >= 5) return 0;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%sinfo/alternates", lr->dir);
    FILE *f = fopen(path, "re");
    if (!f) return 0;
    char line[PATH_MAX];
    rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!*line || *line == '#') continue;
        char alt[2 * PATH_MAX];
        if (*line == '/') snprintf(alt, sizeof alt, "%s", line);
        else snprintf(alt, sizeof alt, "%s%s", lr->dir, line);
        rc = S_odb_add(odb, alt, 1, depth + 1);
    }
    fclose(f);
    return rc;
}

/* Gives the repository the object database described above. */
static int S_guard_odb(git_repository *g) {
    git_buf objects = GIT_BUF_INIT;
    git_odb *odb = NULL;
    int rc = -1;
    if (git_repository_item_path(&objects, g, GIT_REPOSITORY_ITEM_OBJECTS) < 0 || git_odb_new(&odb) < 0)
        goto done;
    if (S_odb_add(odb, objects.ptr, 0, 0) < 0 || git_repository_set_odb(g, odb) < 0) goto done;
    rc = 0;
done:
    git_odb_free(odb);
    git_buf_dispose(&objects);
    return rc;
}

int repo_open(repo **out, const char *path, int worktree, diag *d) {
    static int inited;
    if (!inited) {
        git_libgit2_init();
        inited = 1;
    }
    *out = NULL;
    git_repository *g = NULL;
    const char *start = path ? path : ".";
    unsigned flags = path ? GIT_REPOSITORY_OPEN_NO_SEARCH : 0;
    if (git_repository_open_ext(&g, start, flags, NULL) < 0) {
        /* A path given may also be a folder inside a repository. */
        if (!path || git_repository_open_ext(&g, start, 0, NULL) < 0) {
            diag_fail(d, NULL, 0, 0, "%s is not a Git repository (or inside one)%s", start,
                       path ? "" : "; use --repo DIR");
            return -1;
        }
    }
    if (worktree && git_repository_is_bare(g)) {
        diag_fail(d, NULL, 0, 0, "--worktree needs a repository with a working tree; %s is bare", start);
        git_repository_free(g);
        return -1;
    }
    if (S_guard_odb(g) < 0) {
        S_git_error(d, "cannot open the object database");
        git_repository_free(g);
        return -1;
    }
    repo *r = calloc(1, sizeof *r);
    if (!r) {
        git_repository_free(g);
        diag_fail(d, NULL, 0, 0, "out of memory");
        return -1;
    }
    r->git = g;
    const char *p = git_repository_is_bare(g) ? git_repository_path(g) : git_repository_workdir(g);
    r->path = strdup(p);
    r->worktree = worktree;
    *out = r;
    return 0;
}

int repo_open_again(repo **out, const repo *r) {
    git_repository *g = NULL;
    *out = NULL;
    if (git_repository_open_ext(&g, r->path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) return -1;
    if (S_guard_odb(g) < 0) {
        git_repository_free(g);
        return -1;
    }
    repo *n = calloc(1, sizeof *n);
    if (!n) {
        git_repository_free(g);
        return -1;
    }
    n->git = g;
    n->path = strdup(r->path);
    n->worktree = r->worktree;
    *out = n;
    return 0;
}

void repo_free(repo *r) {
    if (!r) return;
    git_repository_free(r->git);
    free(r->path);
    free(r);
}

void repo_read_committed(repo *r) { r->worktree = 0; }

const char *repo_git_dir(const repo *r) { return git_repository_path(r->git); }

const char *repo_workdir(const repo *r) { return git_repository_workdir(r->git); }
int repo_is_worktree(const repo *r) { return r->worktree; }

static void S_fill_commit(arena *a, git_commit *c, repo_commit *out) {
    const git_oid *oid = git_commit_id(c);
    git_oid_tostr(out->id, sizeof out->id, oid);
    memcpy(out->short_id, out->id, 12);
    out->short_id[12] = '\0';
    out->time = (long long)git_commit_time(c);
    out->offset = git_commit_time_offset(c);
    const git_signature *au = git_commit_author(c);
    out->author_time = au ? (long long)au->when.time : out->time;
    out->author_offset = au ? au->when.offset : out->offset;
    const char *name = au && au->name ? au->name : "";
    out->author = text_sanitize_utf8(a, name, strlen(name));
    const char *sum = git_commit_summary(c);
    out->summary = text_sanitize_utf8(a, sum ? sum : "", sum ? strlen(sum) : 0);
}

int repo_resolve(repo *r, arena *a, const char *ref, const char *as_of,
                 repo_commit *out, diag *d) {
    git_object *obj = NULL;
    git_commit *c = NULL;
    int rc = -1;
    memset(out, 0, sizeof *out);
    if (as_of && !text_is_date(as_of)) {
        diag_error(d, NULL, 0, 0, "--as-of wants a date YYYY-MM-DD, not \"%s\"", as_of);
        return -1;
    }
    /* A reference (HEAD, a branch, a tag) is looked up first, so that an
     * object that cannot be read is told apart from an unknown name. */
    git_reference *named = NULL, *target = NULL;
    int found = 0;
    if (git_reference_dwim(&named, r->git, ref) == 0 && git_reference_resolve(&target, named) == 0) {
        const git_oid *id = git_reference_target(target);
        if (id && git_object_lookup(&obj, r->git, id, GIT_OBJECT_ANY) < 0) {
            char hex[GIT_OID_HEXSZ + 1];
            git_oid_tostr(hex, sizeof hex, id);
            const git_error *e = git_error_last();
            diag_fail(d, NULL, 0, 0, "cannot read \"%s\" (object %s): %s", ref, hex,
                      e && e->message ? e->message : "unknown error");
            git_reference_free(target);
            git_reference_free(named);
            goto done;
        }
        found = id != NULL;
    }
    git_reference_free(target);
    git_reference_free(named);
    if (!found && git_revparse_single(&obj, r->git, ref) < 0) {
        const git_error *e = git_error_last();
        if (e && (e->klass == GIT_ERROR_ODB || e->klass == GIT_ERROR_ZLIB || e->klass == GIT_ERROR_OS))
            diag_fail(d, NULL, 0, 0, "cannot resolve \"%s\": %s", ref, e->message);
        else
            diag_error(d, NULL, 0, 0, "unknown revision \"%s\"", ref);
        goto done;
    }
    if (git_object_peel((git_object **)&c, obj, GIT_OBJECT_COMMIT) < 0) {
        diag_error(d, NULL, 0, 0, "revision \"%s\" is not a commit", ref);
        goto done;
    }
    while (as_of) {
        char day[11];
        text_date_of((long long)git_commit_time(c), git_commit_time_offset(c), day);
        if (strcmp(day, as_of) <= 0) break;
        git_commit *parent = NULL;
        if (git_commit_parentcount(c) == 0) {
            diag_error(d, NULL, 0, 0, "no commit on or before %s in the history of %s", as_of, ref);
            goto done;
        }
        if (git_commit_parent(&parent, c, 0) < 0) {
            char hex[GIT_OID_HEXSZ + 1];
            git_oid_tostr(hex, sizeof hex, git_commit_parent_id(c, 0));
            const git_error *e = git_error_last();
            diag_fail(d, NULL, 0, 0, "cannot read commit %s (looking for %s in the history of %s): %s", hex,
                      as_of, ref, e && e->message ? e->message : "unknown error");
            goto done;
        }
        git_commit_free(c);
        c = parent;
    }
    S_fill_commit(a, c, out);
    rc = 0;
done:
    git_commit_free(c);
    git_object_free(obj);
    return rc;
}

static int S_subtree(repo *r, const repo_commit *c, const char *path, git_tree **out) {
    git_oid oid;
    git_commit *commit = NULL;
    git_tree *root = NULL;
    int rc = -1;
    *out = NULL;
    if (git_oid_fromstr(&oid, c->id) < 0 || git_commit_lookup(&commit, r->git, &oid) < 0) return -1;
    if (git_commit_tree(&root, commit) < 0) goto done;
    if (!path || !*path) {
        *out = root;
        root = NULL;
        rc = 0;
        goto done;
    }
    git_tree_entry *e = NULL;
    if (git_tree_entry_bypath(&e, root, path) < 0) {
        rc = 1; /* not there */
        goto done;
    }
    if (git_tree_entry_type(e) != GIT_OBJECT_TREE) {
        git_tree_entry_free(e);
        rc = 1;
        goto done;
    }
    rc = git_tree_lookup(out, r->git, git_tree_entry_id(e)) < 0 ? -1 : 0;
    git_tree_entry_free(e);
done:
    git_tree_free(root);
    git_commit_free(commit);
    return rc;
}

/* Is `dir` (absolute, links resolved) `top` or inside it? */
static int S_is_within(const char *dir, const char *top) {
    size_t n = strlen(top);
    while (n > 1 && top[n - 1] == '/') n--;
    return strncmp(dir, top, n) == 0 && (dir[n] == '\0' || dir[n] == '/' || (n == 1 && top[0] == '/'));
}

const char *repo_holds(repo *r, const char *dir) {
    const char *places[] = {git_repository_workdir(r->git), git_repository_path(r->git),
                            git_repository_commondir(r->git)};
    for (size_t i = 0; i < 3; i++) {
        char *real = places[i] ? realpath(places[i], NULL) : NULL;
        if (!real) continue;
        const char *why = NULL;
        if (S_is_within(real, dir)) why = i == 0 ? "it holds the repository" : "it holds the repository's .git";
        else if (i > 0 && S_is_within(dir, real)) why = "it is inside the repository's .git";
        else if (i == 0 && S_is_within(dir, real)) {
            /* inside the working tree: no tracked file may be in it */
            const char *rel = dir + strlen(real);
            while (*rel == '/') rel++;
            git_index *idx = NULL;
            size_t pos;
            char prefix[PATH_MAX];
            snprintf(prefix, sizeof prefix, "%s/", rel);
            if (git_repository_index(&idx, r->git) == 0 &&
                (git_index_find_prefix(&pos, idx, prefix) == 0 || git_index_get_bypath(idx, rel, 0)))
                why = "it holds files that Git tracks";
            git_index_free(idx);
        }
        free(real);
        if (why) return why;
    }
    return NULL;
}

/* Opens `rel` ("content/plans/x.md", "" for the working tree itself) under
 * the working tree one component at a time, each with O_NOFOLLOW: a
 * symbolic link anywhere on the way is never followed (ELOOP, or ENOTDIR
 * for a link to a file where a folder is wanted). `flags` are for the last
 * component. Returns a descriptor, or -1 with errno set. */
static int S_open_beneath(const repo *r, const char *rel, int flags) {
    int dir = open(repo_workdir(r), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return -1;
    const char *p = rel;
    while (*p == '/') p++;
    if (!*p) return dir;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        char name[NAME_MAX + 1];
        if (n > NAME_MAX) {
            close(dir);
            errno = ENAMETOOLONG;
            return -1;
        }
        memcpy(name, p, n);
        name[n] = '\0';
        int last = !slash || !slash[1];
        int fd = openat(dir, name, (last ? flags : O_RDONLY | O_DIRECTORY) | O_NOFOLLOW | O_CLOEXEC);
        int err = errno;
        close(dir);
        if (fd < 0) {
            errno = err;
            return -1;
        }
        if (last) return fd;
        dir = fd;
        p = slash + 1;
    }
}

/* Is the component of `rel` that stopped S_open_beneath (errno) a link? */
static int S_is_link_on_way(const repo *r, const char *rel, int err) {
    if (err != ELOOP && err != ENOTDIR) return 0;
    strbuf p = STRBUF_INIT;
    sb_puts(&p, repo_workdir(r));
    sb_puts(&p, rel);
    /* the first component that is a link */
    int link = 0;
    for (size_t i = strlen(repo_workdir(r)); !link && i <= p.len && !p.oom; i++) {
        if (i < p.len && p.ptr[i] != '/') continue;
        char c = p.ptr[i];
        p.ptr[i] = '\0';
        struct stat st;
        link = lstat(p.ptr, &st) == 0 && S_ISLNK(st.st_mode);
        p.ptr[i] = c;
    }
    sb_free(&p);
    return link;
}

static int S_fs_is_dir(const repo *r, const char *path) {
    int fd = S_open_beneath(r, path, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return 0;
    close(fd);
    return 1;
}

int repo_is_dir(repo *r, const repo_commit *c, const char *path) {
    if (r->worktree) return S_fs_is_dir(r, path);
    git_tree *t = NULL;
    int rc = S_subtree(r, c, path, &t);
    git_tree_free(t);
    return rc == 0;
}

typedef struct list_ctx {
    arena *a;
    diag *d;
    const char *prefix;
    repo_file *files;
    size_t n, cap;
} list_ctx;

static void S_add(list_ctx *ctx, const char *path, const unsigned char *oid, size_t size) {
    ctx->files = arena_grow(ctx->a, ctx->files, sizeof *ctx->files, &ctx->cap, ctx->n + 1);
    repo_file *f = &ctx->files[ctx->n++];
    f->path = arena_strdup(ctx->a, path);
    if (oid) memcpy(f->oid, oid, 20);
    f->size = size;
}

static int S_walk_cb(const char *root, const git_tree_entry *e, void *payload) {
    list_ctx *ctx = payload;
    git_filemode_t mode = git_tree_entry_filemode(e);
    strbuf p = STRBUF_INIT;
    if (*ctx->prefix) {
        sb_puts(&p, ctx->prefix);
        sb_putc(&p, '/');
    }
    sb_puts(&p, root);
    sb_puts(&p, git_tree_entry_name(e));
    if (mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE) {
        S_add(ctx, sb_str(&p), git_tree_entry_id(e)->id, 0);
    } else if (mode == GIT_FILEMODE_LINK) {
        diag_warning(ctx->d, sb_str(&p), 0, 0, "symbolic link skipped");
    } else if (mode == GIT_FILEMODE_COMMIT) {
        diag_warning(ctx->d, sb_str(&p), 0, 0, "submodule skipped");
    }
    sb_free(&p);
    return 0;
}

static int S_cmp_files(const void *a, const void *b) {
    return strcmp(((const repo_file *)a)->path, ((const repo_file *)b)->path);
}

/* Adds the files under the folder `fd` (closed here), whose path in the
 * working tree is rel[0..rel->len) ("" or ending in '/'). Links are not
 * followed: each is a warning. */
static int S_fs_walk(list_ctx *ctx, int fd, strbuf *rel, int depth) {
    if (depth > 64) {
        close(fd);
        diag_error(ctx->d, sb_str(rel), 0, 0, "folders nested too deep");
        return -1;
    }
    DIR *dir = fdopendir(fd);
    if (!dir) {
        close(fd);
        return -1;
    }
    struct dirent *de;
    int rc = 0;
    size_t base = rel->len;
    while ((de = readdir(dir)) != NULL) {
        if (de->d_name[0] == '.') continue; /* ., .., .git and hidden files */
        rel->len = base;
        sb_puts(rel, de->d_name);
        struct stat st;
        if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) continue;
        if (S_ISDIR(st.st_mode)) {
            int sub = openat(dirfd(dir), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            sb_putc(rel, '/');
            if (sub < 0 || S_fs_walk(ctx, sub, rel, depth + 1) < 0) rc = -1;
        } else if (S_ISREG(st.st_mode)) {
            S_add(ctx, sb_str(rel), NULL, (size_t)st.st_size);
        } else if (S_ISLNK(st.st_mode)) {
            diag_warning(ctx->d, sb_str(rel), 0, 0, "symbolic link not followed: skipped");
        }
    }
    rel->len = base;
    if (rel->ptr) rel->ptr[base] = '\0';
    closedir(dir);
    return rc;
}

int repo_list(repo *r, const repo_commit *c, const char *prefix, arena *a,
              repo_file **out, size_t *n, diag *d) {
    list_ctx ctx = {a, d, prefix ? prefix : "", NULL, 0, 0};
    int rc = 0;
    *out = NULL;
    *n = 0;
    if (r->worktree) {
        const char *wd = repo_workdir(r);
        int fd = S_open_beneath(r, ctx.prefix, O_RDONLY | O_DIRECTORY);
        if (fd < 0) {
            int err = errno;
            if (S_is_link_on_way(r, ctx.prefix, err))
                diag_warning(d, ctx.prefix, 0, 0, "symbolic link not followed: skipped");
            else if (err != ENOENT && err != ENOTDIR)
                diag_fail(d, ctx.prefix, 0, 0, "cannot read the folder in the working tree %s: %s", wd,
                          strerror(err));
            rc = err == ENOENT || err == ENOTDIR || err == ELOOP ? 0 : -1;
        } else {
            strbuf rel = STRBUF_INIT;
            if (*ctx.prefix) {
                sb_puts(&rel, ctx.prefix);
                sb_putc(&rel, '/');
            }
            rc = S_fs_walk(&ctx, fd, &rel, 0);
            sb_free(&rel);
            if (rc < 0) diag_fail(d, NULL, 0, 0, "cannot read the working tree at %s", wd);
        }
    } else {
        git_tree *t = NULL;
        int st = S_subtree(r, c, ctx.prefix, &t);
        if (st < 0) {
            S_git_error(d, "cannot read the commit's tree");
            return -1;
        }
        if (st == 0) {
            if (git_tree_walk(t, GIT_TREEWALK_PRE, S_walk_cb, &ctx) < 0) {
                S_git_error(d, "cannot walk the tree");
                rc = -1;
            }
            git_tree_free(t);
        }
    }
    if (ctx.n) qsort(ctx.files, ctx.n, sizeof *ctx.files, S_cmp_files);
    *out = ctx.files;
    *n = ctx.n;
    return rc;
}

/* Reads a regular file whole, NUL-terminated, into *data (malloc'd). Never
 * waits on a FIFO or a device put where a file was expected (opened
 * non-blocking, then only a regular file is read); with `nofollow`, not
 * through a symbolic link. Returns 0, or why not: an errno from open (> 0),
 * READ_NOT_REGULAR, READ_TOO_LARGE (*size says how big) or READ_FAILED. */
enum { READ_NOT_REGULAR = -1, READ_TOO_LARGE = -2, READ_FAILED = -3 };
static int S_read_fd(int fd, char **data, size_t *len, long long *size);
static int S_read_regular(const char *path, int nofollow, char **data, size_t *len, long long *size) {
    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
    if (fd < 0) return errno > 0 ? errno : READ_FAILED;
    return S_read_fd(fd, data, len, size);
}

/* S_read_regular's reading, of an open descriptor (closed here). */
static int S_read_fd(int fd, char **data, size_t *len, long long *size) {
    *data = NULL;
    *len = 0;
    struct stat st;
    int why = 0;
    char *buf = NULL;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        why = READ_NOT_REGULAR;
    } else if ((unsigned long long)st.st_size > REPO_MAX_FILE_SIZE) {
        why = READ_TOO_LARGE;
        if (size) *size = (long long)st.st_size;
    } else if (!(buf = malloc((size_t)st.st_size + 1))) {
        why = READ_FAILED;
        errno = ENOMEM;
    } else {
        size_t n = (size_t)st.st_size, got = 0;
        errno = 0;
        while (got < n) {
            ssize_t k = read(fd, buf + got, n - got);
            if (k < 0 && errno == EINTR) continue;
            if (k <= 0) break;
            got += (size_t)k;
        }
        if (got < n) {
            why = READ_FAILED;
            if (!errno) errno = EIO;
        } else {
            buf[n] = '\0';
            *data = buf;
            *len = n;
        }
    }
    int e = errno;
    close(fd);
    errno = e;
    if (why) free(buf);
    return why;
}

/* The diagnostic of S_read_regular's `why` for the file shown as `path`. */
static int S_read_report(int why, const char *path, long long size, diag *d) {
    if (why == READ_NOT_REGULAR)
        diag_error(d, path, 0, 0, "not a regular file");
    else if (why == READ_TOO_LARGE)
        diag_error(d, path, 0, 0, "file too large (%lld bytes; the limit is %u MiB)", size,
                   REPO_MAX_FILE_SIZE >> 20);
    else if (why == READ_FAILED)
        diag_fail(d, path, 0, 0, "cannot read: %s", errno == ENOMEM ? "out of memory" : strerror(errno));
    else if (why == ELOOP)
        diag_error(d, path, 0, 0, "a symbolic link on the way to the file: not followed");
    else if (why)
        diag_fail(d, path, 0, 0, "cannot open: %s", strerror(why));
    return why ? -1 : 0;
}

int repo_read_host_file(const char *path, char **data, size_t *len, diag *d) {
    long long size = 0;
    return S_read_report(S_read_regular(path, 0, data, len, &size), path, size, d);
}

/* The checked-out copy of a committed file, when its bytes are the blob's:
 * a blob's id is the hash of its bytes, so a file that hashes to it is that
 * blob, byte for byte, and reading it costs a fraction of reading the blob
 * out of a pack (where it can be a chain of up to 50 deltas to inflate:
 * 10,000 plans after 5,000 commits, 0.5 ms a file). 1 when *data holds
 * the blob; 0 when there is no such copy (no working tree, another file,
 * edited, missing, a link, not a regular file): then the blob is read from
 * Git. */
static int S_read_checked_out(repo *r, const repo_file *f, char **data, size_t *len) {
    const char *wd = git_repository_workdir(r->git);
    if (!wd) return 0;
    strbuf p = STRBUF_INIT;
    sb_puts(&p, wd);
    sb_puts(&p, f->path);
    char *buf = NULL;
    size_t n = 0;
    int why = p.oom ? READ_FAILED : S_read_regular(sb_str(&p), 1, &buf, &n, NULL);
    sb_free(&p);
    if (why) return 0;
    git_oid h;
    if (git_odb_hash(&h, buf, n, GIT_OBJECT_BLOB) < 0 || memcmp(h.id, f->oid, 20) != 0) {
        free(buf);
        return 0;
    }
    *data = buf;
    *len = n;
    return 1;
}

static int S_read_object(repo *r, const repo_file *f, char **data, size_t *len, diag *d);

int repo_read(repo *r, const repo_file *f, char **data, size_t *len, diag *d) {
    *data = NULL;
    *len = 0;
    if (r->worktree) {
        /* never through a link, on any component of the path */
        long long size = 0;
        int fd = S_open_beneath(r, f->path, O_RDONLY | O_NONBLOCK), why;
        if (fd >= 0) {
            why = S_read_fd(fd, data, len, &size);
        } else {
            why = errno > 0 ? errno : READ_FAILED;
            if (why == ENOTDIR && S_is_link_on_way(r, f->path, why)) why = ELOOP;
        }
        return S_read_report(why, f->path, size, d);
    }
    if (S_read_checked_out(r, f, data, len)) return 0;
    return S_read_object(r, f, data, len, d);
}

/* The blob itself, out of Git's object database. */
static int S_read_object(repo *r, const repo_file *f, char **data, size_t *len, diag *d) {
    git_oid oid;
    git_blob *b = NULL;
    memcpy(oid.id, f->oid, 20);
    if (git_blob_lookup(&b, r->git, &oid) < 0) {
        const git_error *e = git_error_last();
        char hex[GIT_OID_HEXSZ + 1];
        git_oid_tostr(hex, sizeof hex, &oid);
        const char *msg = e && e->message ? e->message : "unknown error";
        if (strstr(msg, hex)) diag_fail(d, f->path, 0, 0, "cannot read the object: %s", msg);
        else diag_fail(d, f->path, 0, 0, "cannot read the object %s: %s", hex, msg);
        return -1;
    }
    git_object_size_t n = git_blob_rawsize(b);
    if (n > REPO_MAX_FILE_SIZE) {
        diag_error(d, f->path, 0, 0, "file too large (%llu bytes; the limit is %u MiB)",
                   (unsigned long long)n, REPO_MAX_FILE_SIZE >> 20);
        git_blob_free(b);
        return -1;
    }
    char *buf = malloc((size_t)n + 1);
    if (!buf) {
        git_blob_free(b);
        diag_fail(d, f->path, 0, 0, "out of memory");
        return -1;
    }
    memcpy(buf, git_blob_rawcontent(b), (size_t)n);
    buf[n] = '\0';
    git_blob_free(b);
    *data = buf;
    *len = (size_t)n;
    return 0;
}

/* ---- history ------------------------------------------------------------ */

typedef struct change_list {
    arena *a;
    repo_change *items;
    size_t n, cap;
} change_list;

static void S_change(change_list *cl, repo_change_kind kind, const char *path, const git_oid *old,
                     const git_oid *new_) {
    cl->items = arena_grow(cl->a, cl->items, sizeof *cl->items, &cl->cap, cl->n + 1);
    repo_change *c = &cl->items[cl->n++];
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->path = arena_strdup(cl->a, path);
    if (old) memcpy(c->old_oid, old->id, 20);
    if (new_) memcpy(c->new_oid, new_->id, 20);
}

static int S_is_blob(const git_tree_entry *e) {
    git_filemode_t m = git_tree_entry_filemode(e);
    return m == GIT_FILEMODE_BLOB || m == GIT_FILEMODE_BLOB_EXECUTABLE;
}

/* Every blob of a tree as added (added = 1) or deleted. */
static int S_all(git_repository *g, const git_tree_entry *e, strbuf *path, int added,
                 change_list *cl, int depth) {
    if (S_is_blob(e)) {
        S_change(cl, added ? REPO_ADDED : REPO_DELETED, sb_str(path), added ? NULL : git_tree_entry_id(e),
                 added ? git_tree_entry_id(e) : NULL);
        return 0;
    }
    if (git_tree_entry_type(e) != GIT_OBJECT_TREE || depth > 64) return 0;
    git_tree *t = NULL;
    if (git_tree_lookup(&t, g, git_tree_entry_id(e)) < 0) return -1;
    size_t base = path->len;
    int rc = 0;
    for (size_t i = 0; i < git_tree_entrycount(t) && rc == 0; i++) {
        const git_tree_entry *c = git_tree_entry_byindex(t, i);
        path->len = base;
        sb_putc(path, '/');
        sb_puts(path, git_tree_entry_name(c));
        rc = S_all(g, c, path, added, cl, depth + 1);
    }
    path->len = base;
    if (path->ptr) path->ptr[base] = '\0';
    git_tree_free(t);
    return rc;
}

/* Compares two trees (either may be NULL) by entry ids, descending only
 * into subtrees whose ids differ. */
static int S_diff_trees(git_repository *g, git_tree *a, git_tree *b, strbuf *path,
                        change_list *cl, int depth) {
    if (depth > 64) return 0;
    size_t base = path->len;
    int rc = 0;
    size_t na = a ? git_tree_entrycount(a) : 0, nb = b ? git_tree_entrycount(b) : 0;
    for (size_t i = 0; i < na && rc == 0; i++) {
        const git_tree_entry *ea = git_tree_entry_byindex(a, i);
        const git_tree_entry *eb = b ? git_tree_entry_byname(b, git_tree_entry_name(ea)) : NULL;
        if (eb && git_oid_equal(git_tree_entry_id(ea), git_tree_entry_id(eb)) &&
            git_tree_entry_filemode(ea) == git_tree_entry_filemode(eb))
            continue;
        path->len = base;
        if (base) sb_putc(path, '/');
        sb_puts(path, git_tree_entry_name(ea));
        if (!eb) {
            rc = S_all(g, ea, path, 0, cl, depth + 1);
        } else if (S_is_blob(ea) && S_is_blob(eb)) {
            S_change(cl, REPO_MODIFIED, sb_str(path), git_tree_entry_id(ea), git_tree_entry_id(eb));
        } else if (git_tree_entry_type(ea) == GIT_OBJECT_TREE &&
                   git_tree_entry_type(eb) == GIT_OBJECT_TREE) {
            git_tree *ta = NULL, *tb = NULL;
            if (git_tree_lookup(&ta, g, git_tree_entry_id(ea)) < 0 ||
                git_tree_lookup(&tb, g, git_tree_entry_id(eb)) < 0) {
                rc = -1;
            } else {
                rc = S_diff_trees(g, ta, tb, path, cl, depth + 1);
            }
            git_tree_free(ta);
            git_tree_free(tb);
        } else {
            rc = S_all(g, ea, path, 0, cl, depth + 1);
            if (rc == 0) rc = S_all(g, eb, path, 1, cl, depth + 1);
        }
    }
    for (size_t i = 0; i < nb && rc == 0; i++) {
        const git_tree_entry *eb = git_tree_entry_byindex(b, i);
        if (a && git_tree_entry_byname(a, git_tree_entry_name(eb))) continue;
        path->len = base;
        if (base) sb_putc(path, '/');
        sb_puts(path, git_tree_entry_name(eb));
        rc = S_all(g, eb, path, 1, cl, depth + 1);
    }
    path->len = base;
    if (path->ptr) path->ptr[base] = '\0';
    return rc;
}

/* The tree at `prefix` in a commit; NULL (and 0) when it has none. */
static int S_prefix_tree(git_repository *g, git_commit *c, const char *prefix, git_tree **out) {
    git_tree *root = NULL;
    *out = NULL;
    if (git_commit_tree(&root, c) < 0) return -1;
    if (!prefix || !*prefix) {
        *out = root;
        return 0;
    }
    git_tree_entry *e = NULL;
    int rc = 0;
    if (git_tree_entry_bypath(&e, root, prefix) == 0) {
        if (git_tree_entry_type(e) == GIT_OBJECT_TREE) rc = git_tree_lookup(out, g, git_tree_entry_id(e));
        git_tree_entry_free(e);
    }
    git_tree_free(root);
    return rc < 0 ? -1 : 0;
}

/* Is `id` a boundary commit of a shallow clone (listed in GIT_DIR/shallow,
 * whose parents were not fetched)? */
static int S_is_shallow_root(repo *r, const git_oid *id) {
    if (!git_repository_is_shallow(r->git)) return 0;
    char hex[GIT_OID_HEXSZ + 1], line[128];
    git_oid_tostr(hex, sizeof hex, id);
    strbuf p = STRBUF_INIT;
    sb_puts(&p, git_repository_commondir(r->git));
    sb_puts(&p, "shallow");
    FILE *f = p.oom ? NULL : fopen(sb_str(&p), "re");
    sb_free(&p);
    int found = 0;
    while (f && !found && fgets(line, sizeof line, f))
        found = strncmp(line, hex, GIT_OID_HEXSZ) == 0 && (line[GIT_OID_HEXSZ] == '\n' || !line[GIT_OID_HEXSZ]);
    if (f) fclose(f);
    return found;
}

int repo_walk_history(repo *r, arena *a, const repo_commit *head, const char *prefix,
                      size_t max_commits, repo_commit_cb cb, void *payload, int *shallow,
                      diag *d) {
    git_oid oid;
    git_commit *c = NULL;
    git_tree *t = NULL;
    int rc = -1;
    size_t count = 0;
    *shallow = 0;
    if (git_oid_fromstr(&oid, head->id) < 0 || git_commit_lookup(&c, r->git, &oid) < 0) {
        S_git_error(d, "cannot read the commit to build");
        return -1;
    }
    if (S_prefix_tree(r->git, c, prefix, &t) < 0) goto fail;
    strbuf path = STRBUF_INIT;
    for (;;) {
        git_commit *parent = NULL;
        git_tree *pt = NULL;
        int has_parent = git_commit_parentcount(c) > 0;
        if (S_is_shallow_root(r, git_commit_id(c))) {
            /* a shallow clone's boundary: the parents are not here, by design */
            *shallow = 1;
        } else if (has_parent && git_commit_parent(&parent, c, 0) < 0) {
            /* not a boundary: a parent that is missing or cannot be read is
             * a damaged repository, not a shorter history */
            char hex[GIT_OID_HEXSZ + 1], child[GIT_OID_HEXSZ + 1];
            git_oid_tostr(hex, sizeof hex, git_commit_parent_id(c, 0));
            git_oid_tostr(child, sizeof child, git_commit_id(c));
            const git_error *e = git_error_last();
            diag_fail(d, NULL, 0, 0, "cannot read commit %s, the parent of %s: %s", hex, child,
                      e && e->message ? e->message : "unknown error");
            sb_free(&path);
            git_tree_free(t);
            git_commit_free(c);
            return -1;
        }
        if (parent && S_prefix_tree(r->git, parent, prefix, &pt) < 0) {
            git_commit_free(parent);
            sb_free(&path);
            goto fail;
        }
        change_list cl = {a, NULL, 0, 0};
        int same = t && pt && git_oid_equal(git_tree_id(t), git_tree_id(pt));
        if (!same && (t || pt)) {
            sb_clear(&path);
            sb_puts(&path, prefix ? prefix : "");
            if (S_diff_trees(r->git, pt, t, &path, &cl, 0) < 0) {
                git_tree_free(pt);
                git_commit_free(parent);
                sb_free(&path);
                goto fail;
            }
        }
        repo_commit rc_info;
        S_fill_commit(a, c, &rc_info);
        int stop = cb(payload, &rc_info, cl.items, cl.n);
        count++;
        git_tree_free(t);
        git_commit_free(c);
        t = pt;
        c = parent;
        if (stop || !c || (max_commits && count >= max_commits)) {
            if (c && max_commits && count >= max_commits) *shallow = 1;
            break;
        }
    }
    sb_free(&path);
    rc = 0;
fail:
    if (rc < 0) S_git_error(d, "cannot read the history");
    git_tree_free(t);
    git_commit_free(c);
    return rc;
}

int repo_read_blob(repo *r, const unsigned char oid[20], const char *shown_path, char **data,
                   size_t *len, diag *d) {
    repo_file f;
    memset(&f, 0, sizeof f);
    f.path = shown_path;
    memcpy(f.oid, oid, 20);
    *data = NULL;
    *len = 0;
    /* history always comes from Git (a past version is seldom the file checked out) */
    return S_read_object(r, &f, data, len, d);
}
