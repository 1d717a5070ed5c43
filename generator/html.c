/* html.c — HTML, XML and URL escaping. */
#include "html.h"

#include <string.h>

/* Which bytes html_escape replaces (1-5: the index in its table). */
static const unsigned char S_escaped[256] = {['&'] = 1, ['<'] = 2, ['>'] = 3, ['"'] = 4, ['\''] = 5};

void html_escape(strbuf *out, const char *s, size_t n) {
    static const char *const rep[] = {"", "&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};
    static const size_t rep_len[] = {0, 5, 4, 4, 6, 5};
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned k = S_escaped[(unsigned char)s[i]];
        if (!k) continue;
        sb_append(out, s + start, i - start);
        sb_append(out, rep[k], rep_len[k]);
        start = i + 1;
    }
    sb_append(out, s + start, n - start);
}

void html_escape_str(strbuf *out, const char *s) { html_escape(out, s, s ? strlen(s) : 0); }

void url_escape_path(strbuf *out, const char *s, size_t n) {
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || (c && strchr("-._~/", c))) {
            sb_putc(out, (char)c);
        } else {
            sb_putc(out, '%');
            sb_putc(out, hex[c >> 4]);
            sb_putc(out, hex[c & 15]);
        }
    }
}
