/* diag.c — collecting, sorting and printing diagnostics. */
#include "diag.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

typedef struct message {
    char *path;
    int line, col;
    diag_level level;
    size_t seq;
    char *text;
} message;

struct diag {
    pthread_mutex_t lock;
    int strict;
    int errors, warnings, failures;
    message *msgs;
    size_t n, cap, seq;
};

diag *diag_new(int strict) {
    diag *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    pthread_mutex_init(&d->lock, NULL);
    d->strict = strict;
    return d;
}

static void S_forget(diag *d) {
    for (size_t i = 0; i < d->n; i++) {
        free(d->msgs[i].path);
        free(d->msgs[i].text);
    }
    d->n = 0;
}

void diag_free(diag *d) {
    if (!d) return;
    S_forget(d);
    free(d->msgs);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

__attribute__((format(printf, 7, 0)))
static void S_report(diag *d, diag_level level, int failure, const char *path, int line, int col,
                     const char *fmt, va_list ap) {
    strbuf text = STRBUF_INIT;
    sb_vprintf(&text, fmt, ap);
    if (level == DIAG_WARNING && d->strict) level = DIAG_ERROR;

    pthread_mutex_lock(&d->lock);
    if (level == DIAG_ERROR) d->errors++;
    if (failure) d->failures++;
    if (level == DIAG_WARNING) d->warnings++;
    if (d->n == d->cap) {
        size_t ncap = d->cap ? d->cap * 2 : 16;
        message *m = realloc(d->msgs, ncap * sizeof *m);
        if (!m) {
            pthread_mutex_unlock(&d->lock);
            fprintf(stderr, "%s:%d:%d: %s\n", path ? path : "planpress", line, col, sb_str(&text));
            sb_free(&text);
            return;
        }
        d->msgs = m;
        d->cap = ncap;
    }
    message *m = &d->msgs[d->n++];
    m->path = path ? strdup(path) : NULL;
    m->line = line;
    m->col = col;
    m->level = level;
    m->seq = d->seq++;
    m->text = text.ptr ? text.ptr : strdup("");
    pthread_mutex_unlock(&d->lock);
}

void diag_report(diag *d, diag_level level, const char *path, int line, int col,
                 const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    S_report(d, level, 0, path, line, col, fmt, ap);
    va_end(ap);
}

void diag_fail(diag *d, const char *path, int line, int col, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    S_report(d, DIAG_ERROR, 1, path, line, col, fmt, ap);
    va_end(ap);
}

static int S_cmp(const void *pa, const void *pb) {
    const message *a = pa, *b = pb;
    if (!a->path != !b->path) return a->path ? 1 : -1; /* run-wide messages first */
    if (a->path && b->path) {
        int c = strcmp(a->path, b->path);
        if (c) return c;
    }
    if (a->line != b->line) return a->line < b->line ? -1 : 1;
    if (a->col != b->col) return a->col < b->col ? -1 : 1;
    return a->seq < b->seq ? -1 : (a->seq > b->seq);
}

static const char *const level_names[] = {"note", "warning", "error"};

void diag_flush(diag *d, FILE *out) {
    pthread_mutex_lock(&d->lock);
    if (d->n) qsort(d->msgs, d->n, sizeof *d->msgs, S_cmp);
    for (size_t i = 0; i < d->n; i++) {
        message *m = &d->msgs[i];
        const char *lv = level_names[m->level];
        /* the same message twice (two stages that meet the same file) once */
        const message *p = i ? &d->msgs[i - 1] : NULL;
        if (p && p->level == m->level && p->line == m->line && p->col == m->col &&
            !p->path == !m->path && (!m->path || !strcmp(p->path, m->path)) && !strcmp(p->text, m->text)) {
            /* (counted once, as printed) */
            if (m->level == DIAG_WARNING) d->warnings--;
            else if (m->level == DIAG_ERROR) d->errors--;
            continue;
        }
        if (!m->path)
            fprintf(out, "planpress: %s: %s\n", lv, m->text);
        else if (m->line > 0 && m->col > 0)
            fprintf(out, "%s:%d:%d: %s: %s\n", m->path, m->line, m->col, lv, m->text);
        else if (m->line > 0)
            fprintf(out, "%s:%d: %s: %s\n", m->path, m->line, lv, m->text);
        else
            fprintf(out, "%s: %s: %s\n", m->path, lv, m->text);
    }
    S_forget(d);
    fflush(out);
    pthread_mutex_unlock(&d->lock);
}

int diag_errors(const diag *d) { return d->errors; }
int diag_warnings(const diag *d) { return d->warnings; }
int diag_failures(const diag *d) { return d->failures; }
