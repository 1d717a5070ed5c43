/* text.c — UTF-8 validation, positions in a file, id and date checks. */
#include "text.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

size_t text_check_utf8(const char *str, size_t n, int *is_nul) {
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    *is_nul = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x80) {
            if (c == 0) {
                *is_nul = 1;
                return i;
            }
            i++;
            continue;
        }
        size_t len;
        unsigned min;
        unsigned cp;
        if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; min = 0x80; }
        else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; min = 0x800; }
        else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; min = 0x10000; }
        else return i;
        if (n - i < len) return i;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return i;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
        i += len;
    }
    return n;
}

void text_line_col(const char *s, size_t off, int *line, int *col) {
    int l = 1;
    size_t start = 0;
    for (size_t i = 0; i < off; i++) {
        if (s[i] == '\n') {
            l++;
            start = i + 1;
        }
    }
    *line = l;
    *col = (int)(off - start) + 1;
}

int text_is_id(const char *s) {
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 100 || s[0] == '-') return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return 0;
    }
    return 1;
}

int text_is_web_url(const char *s) {
    size_t n;
    if (!s) return 0;
    if (strncasecmp(s, "https://", 8) == 0) n = 8;
    else if (strncasecmp(s, "http://", 7) == 0) n = 7;
    else return 0;
    if (s[n] == '\0' || s[n] == '/') return 0; /* no host */
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p == 0x7f) return 0;
    return 1;
}

int text_is_date(const char *s) {
    if (!s || strlen(s) != 10) return 0;
    for (int i = 0; i < 10; i++) {
        if (i == 4 || i == 7) {
            if (s[i] != '-') return 0;
        } else if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
    }
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1]) return 0;
    if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 0;
    return 1;
}

int text_ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

char *text_date_of(long long t, int offset_min, char *buf) {
    time_t tt = (time_t)(t + (long long)offset_min * 60);
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900) {
        strcpy(buf, "0000-00-00");
        return buf;
    }
    unsigned y = (unsigned)(tm.tm_year + 1900) % 10000u, m = (unsigned)(tm.tm_mon + 1) % 100u,
             d = (unsigned)tm.tm_mday % 100u;
    snprintf(buf, 11, "%04u-%02u-%02u", y, m, d);
    return buf;
}

char *text_sanitize_utf8(arena *a, const char *s, size_t n) {
    char *out = arena_alloc(a, n * 3 + 1), *w = out;
    size_t i = 0;
    while (i < n) {
        int nul;
        size_t ok = text_check_utf8(s + i, n - i, &nul);
        /* copy the valid run, replacing control characters */
        for (size_t k = 0; k < ok; k++) {
            unsigned char c = (unsigned char)s[i + k];
            if (c < 0x20 && c != '\n' && c != '\t') {
                memcpy(w, "\xEF\xBF\xBD", 3);
                w += 3;
            } else {
                *w++ = (char)c;
            }
        }
        i += ok;
        if (i < n) {
            memcpy(w, "\xEF\xBF\xBD", 3);
            w += 3;
            i++;
        }
    }
    *w = '\0';
    return out;
}
